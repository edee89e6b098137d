//! `GET /v1/model/info` and `/model/info`: every deployment, as LiteLLM's `model_info_v1`
//! lists them (`proxy_server.py`): `{"data": [{"model_name", "litellm_params",
//! "model_info"}]}`, one row per deployment in config order, then one per deployment of
//! each visible `model_group_alias` (named after the alias, as
//! `Router.get_model_list_from_model_alias`).
//!
//! `litellm_params` are the entry as written with LiteLLM's redaction
//! (`remove_sensitive_info_from_deployment`): `api_key` and the other credentials it names
//! are dropped, and every other value under a secret-looking key is masked by
//! [`SensitiveDataMasker`](mask_params)'s rules (`sk-a****wxyz`). `model_info` is the
//! config's `model_info` (with `id` and `db_model: false`) over the registry entry of the
//! model (or its `base_model`), as `_enrich_model_info_with_litellm_data` merges them.
//!
//! Each row also carries `llmux_router_state`: the router's live view of the deployment
//! (requests and tokens this minute, in flight, cooldown, latency). LiteLLM has no such
//! key; it is named so nobody mistakes it for one of LiteLLM's.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use llmux::config::LitellmParams;
use llmux::router::state::{DeploymentLoad, now_ms};
use llmux::router::{Entrance, RouterDeployment};
use llmux::{Error, ErrorKind};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Call, json_response};
use crate::error::ApiError;
use crate::state::AppState;

/// `litellm_params` keys LiteLLM drops from every answer before masking the rest
/// (`remove_sensitive_info_from_deployment`).
const DROPPED_PARAMS: &[&str] = &[
    "api_key",
    "client_secret",
    "vertex_credentials",
    "vertex_ai_credentials",
    "aws_access_key_id",
    "aws_secret_access_key",
];

/// Keys that look secret but are not, exempt from masking by exact name (LiteLLM's
/// `excluded_keys` plus its rate-limit config keys).
const NOT_SECRET: &[&str] = &[
    "litellm_credential_name",
    "default_api_key_tpm_limit",
    "default_api_key_rpm_limit",
];

/// Key segments that make a key secret (`_DEFAULT_SENSITIVE_PATTERNS`).
const SECRET_SEGMENTS: &[&str] = &[
    "password",
    "secret",
    "key",
    "token",
    "auth",
    "authorization",
    "cookie",
    "credential",
    "credentials",
    "access",
    "private",
    "certificate",
    "fingerprint",
    "tenancy",
];

/// A segment that makes a key not secret even with a secret segment
/// (`input_cost_per_token` is a price).
const NEVER_SECRET_SEGMENTS: &[&str] = &["cost"];

/// Characters left visible at each end of a masked value.
const VISIBLE: usize = 4;

/// Nesting below which values are left as they are
/// (`DEFAULT_MAX_RECURSE_DEPTH_SENSITIVE_DATA_MASKER`).
const MAX_MASK_DEPTH: usize = 10;

/// The query LiteLLM's `model_info_v1` reads (team filters need a database llmux has not).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ModelInfoQuery {
    /// One deployment, by `model_info.id` (`x-litellm-model-id`).
    litellm_model_id: Option<String>,
}

/// `GET /v1/model/info` (and `/model/info`).
pub(crate) async fn model_info(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<ModelInfoQuery>, QueryRejection>,
) -> Response {
    answer(&st, &headers, query).unwrap_or_else(IntoResponse::into_response)
}

fn answer(
    st: &AppState,
    headers: &HeaderMap,
    query: Result<Query<ModelInfoQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let call = Call::start(st, headers, Entrance::Admin)?;
    let Query(query) =
        query.map_err(|e| call.fail(Error::bad_request(format!("Invalid query: {e}"))))?;
    let rows: Vec<(String, Arc<RouterDeployment>)> = match query.litellm_model_id {
        Some(id) => {
            let found = deployments(st).into_iter().find(|d| d.id == id);
            let Some(d) = found else {
                // LiteLLM answers an unknown id with a 400.
                return Err(call.fail(Error::new(
                    ErrorKind::BadRequest,
                    format!("Model id = {id} not found on litellm proxy"),
                )));
            };
            vec![(d.model_name.clone(), d)]
        }
        None => listed(st),
    };
    let ids: Vec<&str> = rows.iter().map(|(_, d)| d.id.as_str()).collect();
    let loads = st.router.state().loads(&ids, now_ms());
    let data: Vec<Value> = rows
        .iter()
        .zip(loads.iter().map(Some).chain(std::iter::repeat(None)))
        .map(|((name, d), load)| row(name, d, load))
        .collect();
    json_response(&json!({ "data": data })).map_err(|e| call.fail(e))
}

/// Every deployment, in config order.
pub(crate) fn deployments(st: &AppState) -> Vec<Arc<RouterDeployment>> {
    let groups = st.router.groups();
    groups
        .names
        .iter()
        .filter_map(|name| groups.get(name))
        .flat_map(|g| g.deployments.iter().cloned())
        .collect()
}

/// The rows of the listing: each deployment under its own name, then each deployment of
/// an alias's target under the alias.
fn listed(st: &AppState) -> Vec<(String, Arc<RouterDeployment>)> {
    let groups = st.router.groups();
    let mut rows: Vec<(String, Arc<RouterDeployment>)> = deployments(st)
        .into_iter()
        .map(|d| (d.model_name.clone(), d))
        .collect();
    let mut aliases: Vec<(&str, &str)> = groups.visible_aliases().collect();
    aliases.sort_unstable();
    for (alias, target) in aliases {
        if let Some(g) = groups.get(target) {
            rows.extend(g.deployments.iter().map(|d| (alias.to_owned(), d.clone())));
        }
    }
    rows
}

fn row(name: &str, d: &RouterDeployment, load: Option<&DeploymentLoad>) -> Value {
    let mut row = json!({
        "model_name": name,
        "litellm_params": Value::Object(mask_params(litellm_params_json(&d.entry.litellm_params))),
        "model_info": Value::Object(model_info_json(d)),
    });
    if let (Some(load), Some(obj)) = (load, row.as_object_mut()) {
        obj.insert(
            "llmux_router_state".into(),
            json!({
                "rpm": load.rpm,
                "tpm": load.tpm,
                "in_flight": load.in_flight,
                "cooling_down": load.cooldown_until_ms.is_some(),
                "cooldown_until_ms": load.cooldown_until_ms,
                "latency_secs": load.latency_secs,
            }),
        );
    }
    row
}

/// The entry's `litellm_params` as written (unset keys left out, as LiteLLM's
/// `exclude_none` dump does), secrets included: callers redact.
pub(crate) fn litellm_params_json(lp: &LitellmParams) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("model".into(), lp.model.clone().into());
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v.filter(|v| !v.is_null()) {
            m.insert(k.to_owned(), v);
        }
    };
    put("api_base", lp.api_base.clone().map(Value::from));
    let exposed = |s: &Option<llmux::Secret>| s.as_ref().map(|s| Value::from(s.expose()));
    put("api_key", exposed(&lp.api_key));
    put("api_version", lp.api_version.clone().map(Value::from));
    put(
        "custom_llm_provider",
        lp.custom_llm_provider.clone().map(Value::from),
    );
    put("organization", lp.organization.clone().map(Value::from));
    put("azure_ad_token", exposed(&lp.azure_ad_token));
    put("timeout", lp.timeout.map(Value::from));
    put("stream_timeout", lp.stream_timeout.map(Value::from));
    put("max_retries", lp.max_retries.map(Value::from));
    put("num_retries", lp.num_retries.map(Value::from));
    put("rpm", lp.rpm.map(Value::from));
    put("tpm", lp.tpm.map(Value::from));
    put("mock_response", lp.mock_response.clone());
    put("drop_params", lp.drop_params.map(Value::from));
    put(
        "additional_drop_params",
        lp.additional_drop_params.clone().map(Value::from),
    );
    put(
        "allowed_openai_params",
        lp.allowed_openai_params.clone().map(Value::from),
    );
    for (k, v) in &lp.extra {
        if !v.is_null() {
            m.insert(k.clone(), v.clone());
        }
    }
    m
}

/// LiteLLM's `remove_sensitive_info_from_deployment` on `litellm_params`: the credentials
/// it names dropped, every other secret-looking value masked.
pub(crate) fn mask_params(mut params: Map<String, Value>) -> Map<String, Value> {
    for k in DROPPED_PARAMS {
        params.remove(*k);
    }
    mask_map(params, 0)
}

/// `SensitiveDataMasker.is_sensitive_key`: a key is secret when one of its `_`/`-`
/// separated segments is a secret word and none is `cost`.
///
/// `api_key`, `azure_ad_token`, `Authorization` are; `max_tokens`,
/// `input_cost_per_token`, `api_base` are not.
pub(crate) fn is_secret_key(key: &str) -> bool {
    if NOT_SECRET.contains(&key) {
        return false;
    }
    let lower = key.to_lowercase().replace('-', "_");
    let segments: Vec<&str> = lower.split('_').collect();
    if segments.iter().any(|s| NEVER_SECRET_SEGMENTS.contains(s)) {
        return false;
    }
    segments.iter().any(|s| SECRET_SEGMENTS.contains(s))
}

/// `SensitiveDataMasker.mask_value`: four characters kept at each end, the rest `*`;
/// a value of eight characters or fewer is all `*`.
pub(crate) fn mask_value(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 2 * VISIBLE {
        return "*".repeat(chars.len());
    }
    let head: String = chars.iter().take(VISIBLE).collect();
    let tail: String = chars.iter().skip(chars.len() - VISIBLE).collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 2 * VISIBLE))
}

/// `SensitiveDataMasker.mask_dict`: nested objects are walked (a secret key's object too,
/// key by key); a secret key's scalar is masked as Python prints it.
fn mask_map(map: Map<String, Value>, depth: usize) -> Map<String, Value> {
    if depth >= MAX_MASK_DEPTH {
        return map;
    }
    map.into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let secret = is_secret_key(&k);
            let v = match v {
                Value::Object(inner) => Value::Object(mask_map(inner, depth + 1)),
                Value::Array(items) => Value::Array(mask_list(items, depth + 1, secret)),
                scalar if secret => Value::String(mask_value(&python_str(&scalar))),
                scalar => scalar,
            };
            (k, v)
        })
        .collect()
}

/// `SensitiveDataMasker._mask_sequence`: strings under a secret key are masked, objects
/// walked.
fn mask_list(items: Vec<Value>, depth: usize, secret: bool) -> Vec<Value> {
    if depth >= MAX_MASK_DEPTH {
        return items;
    }
    items
        .into_iter()
        .map(|item| match item {
            Value::Object(inner) => Value::Object(mask_map(inner, depth + 1)),
            Value::Array(inner) => Value::Array(mask_list(inner, depth + 1, secret)),
            Value::String(s) if secret => Value::String(mask_value(&s)),
            other => other,
        })
        .collect()
}

/// A scalar as Python's `str()` prints it (the masker masks that text).
fn python_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `model_info`: the config's keys (with `id` and `db_model`), then every registry field
/// the config does not set, as `_enrich_model_info_with_litellm_data`.
fn model_info_json(d: &RouterDeployment) -> Map<String, Value> {
    let mut info = Map::new();
    info.insert("id".into(), d.id.clone().into());
    info.insert("db_model".into(), false.into());
    for (k, v) in &d.entry.model_info {
        if k != "id" && k != "db_model" {
            info.insert(k.clone(), v.clone());
        }
    }
    // LiteLLM looks the base model up first, then the deployment's model; an entry the
    // registry does not know (empty `key`) adds nothing.
    let registry = d
        .base_model
        .as_deref()
        .and_then(|b| llmux::models::builtin().lookup(b, None))
        .or_else(|| {
            d.deployment
                .model_info
                .as_deref()
                .filter(|i| !i.key.is_empty())
        });
    if let Some(Ok(Value::Object(fields))) = registry.map(serde_json::to_value) {
        for (k, v) in fields {
            if !info.contains_key(&k) {
                info.insert(k, v);
            }
        }
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_follow_litellm_segments() {
        for k in [
            "api_key",
            "azure_ad_token",
            "Authorization",
            "aws_session_token",
            "client-secret",
            "redis_password",
            "vertex_credentials",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "max_tokens",
            "input_cost_per_token",
            "api_base",
            "model",
            "litellm_credential_name",
            "default_api_key_tpm_limit",
            "rpm",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn values_are_masked_as_litellm_masks_them() {
        assert_eq!(mask_value("sk-9876543210abcdef"), "sk-9***********cdef");
        assert_eq!(mask_value("very_secret_pass"), "very********pass");
        assert_eq!(mask_value("short"), "*****");
        assert_eq!(mask_value(""), "");
    }

    #[test]
    fn credentials_are_dropped_and_the_rest_masked() {
        let params = json!({
            "model": "openai/gpt-4o-mini",
            "api_key": "sk-upstream-secret-value",
            "aws_secret_access_key": "abc",
            "api_base": "http://x/v1",
            "azure_ad_token": "tok-1234567890",
            "extra_headers": {"Authorization": "Bearer abcdefghijkl", "x-trace": "t"},
            "input_cost_per_token": 0.5,
            "tags": ["a"],
            "nothing": null,
        });
        let Value::Object(params) = params else {
            unreachable!()
        };
        let masked = Value::Object(mask_params(params));
        assert_eq!(
            masked,
            json!({
                "model": "openai/gpt-4o-mini",
                "api_base": "http://x/v1",
                "azure_ad_token": "tok-******7890",
                "extra_headers": {"Authorization": "Bear***********ijkl", "x-trace": "t"},
                "input_cost_per_token": 0.5,
                "tags": ["a"],
            })
        );
    }
}
