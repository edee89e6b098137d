//! Gateway state built once from the config: deployments by model name, the client, keys.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use llmux::{CallOptions, Client, Deployment, MockResponse};
use rand::Rng;
use serde_json::Value;

use crate::config::{Config, ModelEntry};

/// Default retries per deployment, as LiteLLM's router (`num_retries` = 2).
const DEFAULT_NUM_RETRIES: u32 = 2;
/// Default request body limit when `general_settings.max_request_size_mb` is unset.
const DEFAULT_MAX_REQUEST_MB: f64 = 32.0;

/// One `model_list` entry, ready to call.
#[derive(Debug)]
pub struct ModelDeployment {
    /// The public name (model group) clients use.
    pub model_name: String,
    /// `model_info.id`, or a stable hash of the entry (LiteLLM's `x-litellm-model-id`).
    pub id: String,
    pub deployment: Deployment,
    /// Routing weight (`weight`, else `rpm`, else `tpm`, else 1): LiteLLM's simple-shuffle.
    pub weight: f64,
    /// `litellm_params` keys that are request defaults (`temperature: 0.2` in the config).
    pub default_params: serde_json::Map<String, Value>,
}

/// Everything a request handler needs, shared by all of them.
#[derive(Debug)]
pub struct AppState {
    pub client: Client,
    /// Deployments per model name, in config order.
    pub models: HashMap<String, Vec<Arc<ModelDeployment>>>,
    /// Model names in config order (for `/v1/models`).
    pub model_names: Vec<String>,
    pub master_key: Option<String>,
    pub max_request_bytes: usize,
    /// Model names whose every entry failed to resolve (e.g. a provider llmux does not
    /// support yet), with the reason: requests get that error, and start-up goes on.
    pub unavailable: HashMap<String, llmux::Error>,
}

/// A config that cannot be served, with the path of the bad value.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct StartupError {
    pub path: String,
    pub message: String,
}

/// `litellm_params` keys that configure the connection or routing, not the request.
const NON_REQUEST_KEYS: &[&str] = &[
    "extra_headers",
    "headers",
    "weight",
    "order",
    "tags",
    "max_parallel_requests",
    "cooldown_time",
    "input_cost_per_token",
    "output_cost_per_token",
    "base_model",
    "region_name",
    "use_in_pass_through",
    "use_litellm_proxy",
    "merge_reasoning_content_in_choices",
    "model_info",
    "litellm_credential_name",
];

impl AppState {
    /// Builds the state from a loaded config; `env` resolves provider key variables.
    pub fn from_config(
        config: &Config,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, StartupError> {
        let mut models: HashMap<String, Vec<Arc<ModelDeployment>>> = HashMap::new();
        let mut model_names = Vec::new();
        let mut unavailable = HashMap::new();
        for (i, entry) in config.model_list.iter().enumerate() {
            if !model_names.contains(&entry.model_name) {
                model_names.push(entry.model_name.clone());
            }
            match build_deployment(config, entry, env) {
                Ok(md) => {
                    models
                        .entry(entry.model_name.clone())
                        .or_default()
                        .push(Arc::new(md));
                }
                Err(e) if e.kind == llmux::ErrorKind::BadRequest => {
                    tracing::warn!(path = %format!("model_list[{i}].litellm_params.model"), "{}", e.message);
                    unavailable.insert(entry.model_name.clone(), e);
                }
                Err(e) => {
                    return Err(StartupError {
                        path: format!("model_list[{i}].litellm_params.model"),
                        message: e.message,
                    });
                }
            }
        }
        unavailable.retain(|name, _| !models.contains_key(name));
        let mb = config
            .general_settings
            .extra
            .get("max_request_size_mb")
            .and_then(Value::as_f64)
            .unwrap_or(DEFAULT_MAX_REQUEST_MB);
        Ok(Self {
            client: Client::new(),
            models,
            model_names,
            master_key: config
                .general_settings
                .master_key
                .clone()
                .filter(|k| !k.is_empty()),
            max_request_bytes: (mb * 1024.0 * 1024.0) as usize,
            unavailable,
        })
    }

    /// Picks a deployment of `model_name`: weighted random over its deployments, as
    /// LiteLLM's default `simple-shuffle`.
    pub fn pick(&self, model_name: &str) -> Option<Arc<ModelDeployment>> {
        let group = self.models.get(model_name)?;
        if group.len() == 1 {
            return group.first().cloned();
        }
        let total: f64 = group.iter().map(|d| d.weight).sum();
        let mut x = rand::rng().random::<f64>() * total;
        for d in group {
            if x < d.weight {
                return Some(d.clone());
            }
            x -= d.weight;
        }
        group.last().cloned()
    }
}

fn secs(v: Option<f64>) -> Option<Duration> {
    v.filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
}

fn build_deployment(
    config: &Config,
    entry: &ModelEntry,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ModelDeployment, llmux::Error> {
    let lp = &entry.litellm_params;
    let ls = &config.litellm_settings;
    let extra_headers = lp
        .extra
        .get("extra_headers")
        .or_else(|| lp.extra.get("headers"))
        .and_then(Value::as_object)
        .map(|h| {
            h.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let mut additional_drop_params = ls.additional_drop_params.clone().unwrap_or_default();
    additional_drop_params.extend(lp.additional_drop_params.clone().unwrap_or_default());
    let opts = CallOptions {
        custom_llm_provider: lp.custom_llm_provider.clone(),
        api_base: lp.api_base.clone(),
        api_key: lp.api_key.clone(),
        api_version: lp.api_version.clone(),
        organization: lp.organization.clone(),
        azure_ad_token: lp.azure_ad_token.clone(),
        timeout: secs(lp.timeout)
            .or(secs(config.router_settings.timeout))
            .or(secs(ls.request_timeout)),
        stream_timeout: secs(lp.stream_timeout),
        num_retries: Some(
            lp.num_retries
                .or(lp.max_retries)
                .or(config.router_settings.num_retries)
                .or(ls.num_retries)
                .unwrap_or(DEFAULT_NUM_RETRIES),
        ),
        drop_params: Some(lp.drop_params.or(ls.drop_params).unwrap_or(false)),
        additional_drop_params,
        allowed_openai_params: lp.allowed_openai_params.clone().unwrap_or_default(),
        extra_headers,
        mock_response: lp.mock_response.as_ref().and_then(MockResponse::from_json),
        model_info: entry.model_info.clone(),
        provider_params: lp
            .extra
            .iter()
            .filter(|(k, _)| is_connection_key(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    let deployment = Deployment::from_options_with_env(&lp.model, &opts, env)?;
    let weight = lp
        .extra
        .get("weight")
        .and_then(Value::as_f64)
        .or(lp.rpm.map(|r| r as f64))
        .or(lp.tpm.map(|t| t as f64))
        .filter(|w| *w > 0.0)
        .unwrap_or(1.0);
    let default_params = lp
        .extra
        .iter()
        .filter(|(k, _)| !NON_REQUEST_KEYS.contains(&k.as_str()) && !is_connection_key(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let id = entry
        .model_info
        .get("id")
        .and_then(Value::as_str)
        .map_or_else(
            || stable_id(&entry.model_name, lp.model.as_str(), lp.api_base.as_deref()),
            str::to_owned,
        );
    Ok(ModelDeployment {
        model_name: entry.model_name.clone(),
        id,
        deployment,
        weight,
        default_params,
    })
}

/// Provider credentials and locations handled by later provider families (`aws_*`, …).
fn is_connection_key(k: &str) -> bool {
    [
        "aws_", "vertex_", "azure_", "watsonx_", "api_", "client_", "tenant_", "litellm_",
    ]
    .iter()
    .any(|p| k.starts_with(p))
}

/// FNV-1a of the entry, hex: stable across restarts and instances.
fn stable_id(model_name: &str, model: &str, api_base: Option<&str>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [model_name, "\u{0}", model, "\u{0}", api_base.unwrap_or("")] {
        for b in part.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}
