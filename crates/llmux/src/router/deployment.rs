//! One `model_list` entry, resolved once: the callable [`Deployment`] plus what the
//! router needs to choose it (weight, order, tags, limits).

use std::time::Duration;

use serde_json::{Map, Value};

use crate::config::{LitellmParams, ModelEntry};
use crate::{CallOptions, Deployment, MockResponse};

/// A deployment in a model group.
#[derive(Debug)]
pub struct RouterDeployment {
    /// The public name (model group) clients use.
    pub model_name: String,
    /// `model_info.id`, or a stable hash of the entry (LiteLLM's `x-litellm-model-id`).
    pub id: String,
    pub deployment: Deployment,
    /// `litellm_params.weight`.
    pub weight: Option<f64>,
    /// `litellm_params.rpm` / `tpm`: routing weights, and limits when enforced.
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    /// `litellm_params.order`: lower is tried first; higher orders are the fallbacks.
    pub order: Option<u64>,
    /// `litellm_params.tags` (tag filtering).
    pub tags: Vec<String>,
    /// `litellm_params.max_parallel_requests`.
    pub max_parallel_requests: Option<u64>,
    /// `litellm_params.cooldown_time`, seconds (overrides the router's).
    pub cooldown_time: Option<f64>,
    /// `litellm_params.num_retries` / `max_retries`, when set on the deployment.
    pub num_retries: Option<u32>,
    /// `litellm_params` keys that are request defaults (`temperature: 0.2`).
    pub default_params: Map<String, Value>,
    /// The entry as written, for wildcard groups (re-resolved per concrete model) and
    /// `/model/info`.
    pub entry: ModelEntry,
    /// `model_info.base_model` or the model, for pricing and context windows.
    pub base_model: Option<String>,
}

/// `litellm_params` keys that configure the connection or routing, not the request.
pub const NON_REQUEST_KEYS: &[&str] = &[
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

/// Defaults the gateway's `litellm_settings` give every deployment.
#[derive(Debug, Clone, Default)]
pub struct DeploymentDefaults {
    pub drop_params: Option<bool>,
    pub additional_drop_params: Vec<String>,
    pub timeout: Option<Duration>,
    pub stream_timeout: Option<Duration>,
}

/// Seconds from config as a `Duration`; `None` for non-finite, non-positive or huge values.
pub fn secs(v: Option<f64>) -> Option<Duration> {
    v.filter(|s| s.is_finite() && *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
}

impl RouterDeployment {
    /// Resolves `entry` (provider, credentials from `env`, registry facts).
    pub fn build(
        entry: &ModelEntry,
        defaults: &DeploymentDefaults,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, crate::Error> {
        Self::build_for_model(entry, &entry.litellm_params.model, defaults, env)
    }

    /// As [`RouterDeployment::build`], calling `model` instead of the entry's own model
    /// (a wildcard entry resolved for one concrete model).
    pub fn build_for_model(
        entry: &ModelEntry,
        model: &str,
        defaults: &DeploymentDefaults,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, crate::Error> {
        let lp = &entry.litellm_params;
        // A malformed mock must not fall through to the real (billed) upstream.
        if let Some(mock) = lp.mock_response.as_ref().filter(|m| !m.is_null())
            && MockResponse::from_json(mock).is_none()
        {
            return Err(crate::Error::bad_request(format!(
                "model_list entry {}: litellm_params.mock_response is neither a string, a \
                 chat completion object nor a list of numbers",
                entry.model_name
            ))
            .with_param("mock_response"));
        }
        let opts = call_options(lp, &entry.model_info, defaults);
        let deployment = Deployment::from_options_with_env(model, &opts, env)?;
        let x = &lp.extra;
        let u64_of = |k: &str| x.get(k).and_then(as_u64);
        Ok(Self {
            model_name: entry.model_name.clone(),
            id: entry
                .model_info
                .get("id")
                .and_then(Value::as_str)
                .map_or_else(|| stable_id(entry), str::to_owned),
            deployment,
            weight: x.get("weight").and_then(as_f64).filter(|w| *w >= 0.0),
            rpm: lp.rpm,
            tpm: lp.tpm,
            order: u64_of("order"),
            tags: x
                .get("tags")
                .and_then(Value::as_array)
                .map(|t| {
                    t.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            max_parallel_requests: u64_of("max_parallel_requests"),
            cooldown_time: x.get("cooldown_time").and_then(as_f64),
            num_retries: lp.num_retries.or(lp.max_retries),
            default_params: x
                .iter()
                .filter(|(k, _)| {
                    !NON_REQUEST_KEYS.contains(&k.as_str())
                        && !is_connection_key(k)
                        && !is_price_key(k)
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            entry: entry.clone(),
            base_model: entry
                .model_info
                .get("base_model")
                .or_else(|| x.get("base_model"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// A deployment already resolved, named and keyed by `entry`, with no routing
    /// settings of its own.
    pub fn from_deployment(entry: ModelEntry, deployment: Deployment) -> Self {
        Self {
            model_name: entry.model_name.clone(),
            id: stable_id(&entry),
            deployment,
            weight: None,
            rpm: None,
            tpm: None,
            order: None,
            tags: Vec::new(),
            max_parallel_requests: None,
            cooldown_time: None,
            num_retries: None,
            default_params: Map::new(),
            base_model: None,
            entry,
        }
    }

    /// Largest prompt the model takes, from the registry (or `model_info`).
    pub fn max_input_tokens(&self) -> Option<u64> {
        let info = self.deployment.model_info.as_ref()?;
        info.max_input_tokens.or(info.max_tokens)
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .filter(|f: &f64| f.is_finite())
}

fn as_u64(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

fn call_options(
    lp: &LitellmParams,
    model_info: &Map<String, Value>,
    defaults: &DeploymentDefaults,
) -> CallOptions {
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
    let mut additional_drop_params = defaults.additional_drop_params.clone();
    additional_drop_params.extend(lp.additional_drop_params.clone().unwrap_or_default());
    CallOptions {
        custom_llm_provider: lp.custom_llm_provider.clone(),
        api_base: lp.api_base.clone(),
        api_key: lp.api_key.clone(),
        api_version: lp.api_version.clone(),
        organization: lp.organization.clone(),
        azure_ad_token: lp.azure_ad_token.clone(),
        timeout: secs(lp.timeout).or(defaults.timeout),
        stream_timeout: secs(lp.stream_timeout).or(defaults.stream_timeout),
        num_retries: lp.num_retries.or(lp.max_retries),
        drop_params: Some(lp.drop_params.or(defaults.drop_params).unwrap_or(false)),
        additional_drop_params,
        allowed_openai_params: lp.allowed_openai_params.clone().unwrap_or_default(),
        extra_headers,
        mock_response: lp.mock_response.as_ref().and_then(MockResponse::from_json),
        model_info: with_params_prices(model_info, lp),
        provider_params: lp
            .extra
            .iter()
            .filter(|(k, _)| is_connection_key(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

/// Provider credentials and locations handled by provider families (`aws_*`, …).
/// A custom price (`input_cost_per_token`, `cache_read_input_token_cost`,
/// `output_cost_per_token_above_200k_tokens`, `input_cost_per_image`, …): it prices the
/// deployment's calls and is never sent upstream.
pub fn is_price_key(k: &str) -> bool {
    k.contains("_cost_per_") || k.ends_with("_token_cost") || k.contains("_token_cost_above_")
}

/// The entry's `model_info` with the custom prices of its `litellm_params` over it, as
/// LiteLLM registers `litellm_params` prices for the deployment's model.
fn with_params_prices(model_info: &Map<String, Value>, lp: &LitellmParams) -> Map<String, Value> {
    let mut info = model_info.clone();
    for (k, v) in lp.extra.iter().filter(|(k, _)| is_price_key(k)) {
        info.insert(k.clone(), v.clone());
    }
    info
}

fn is_connection_key(k: &str) -> bool {
    [
        "aws_", "vertex_", "azure_", "watsonx_", "api_", "client_", "tenant_", "litellm_",
    ]
    .iter()
    .any(|p| k.starts_with(p))
}

/// FNV-1a of the entry's name and every `litellm_params` value, hex: stable across
/// restarts and instances, and distinct for entries that differ in any parameter (two
/// deployments of one model with different keys must not share cooldowns and limits),
/// as LiteLLM hashes the whole `litellm_params`.
fn stable_id(entry: &ModelEntry) -> String {
    let lp = &entry.litellm_params;
    let num = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    let flt = |v: Option<f64>| v.map(|n| n.to_string()).unwrap_or_default();
    let extra = serde_json::to_string(&lp.extra).unwrap_or_default();
    let mock = lp
        .mock_response
        .as_ref()
        .map(Value::to_string)
        .unwrap_or_default();
    let parts = [
        entry.model_name.as_str(),
        lp.model.as_str(),
        lp.api_base.as_deref().unwrap_or(""),
        crate::secret::expose_opt(&lp.api_key).unwrap_or(""),
        lp.api_version.as_deref().unwrap_or(""),
        lp.custom_llm_provider.as_deref().unwrap_or(""),
        lp.organization.as_deref().unwrap_or(""),
        &num(lp.rpm),
        &num(lp.tpm),
        &flt(lp.timeout),
        &mock,
        &extra,
    ];
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(yaml_params: serde_json::Value) -> ModelEntry {
        serde_json::from_value(
            serde_json::json!({"model_name": "m", "litellm_params": yaml_params}),
        )
        .unwrap()
    }

    #[test]
    fn ids_are_stable_and_differ_when_any_param_differs() {
        let a = entry(serde_json::json!({"model": "openai/gpt-4o", "api_key": "k1"}));
        let b = entry(serde_json::json!({"model": "openai/gpt-4o", "api_key": "k2"}));
        let c = entry(
            serde_json::json!({"model": "openai/gpt-4o", "api_key": "k1", "temperature": 0.1}),
        );
        assert_eq!(stable_id(&a), stable_id(&a.clone()));
        assert_ne!(stable_id(&a), stable_id(&b));
        assert_ne!(stable_id(&a), stable_id(&c));
    }
}
