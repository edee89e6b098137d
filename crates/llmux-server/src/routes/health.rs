//! Health routes, as LiteLLM's (`proxy/health_endpoints/_health_endpoints.py`).
//!
//! - `GET /health/liveliness`, `/health/liveness`: open; the process is up.
//! - `GET /health/readiness`: open; LiteLLM's low-detail public probe
//!   (`{"status", "db"}`).
//! - `GET /health/readiness/details`: admin; LiteLLM's detailed payload, plus
//!   `llmux_router_state` (the router's state backend and whether it is reachable).
//! - `GET /health`: admin; one real, minimal call to every deployment
//!   (`proxy/health_check.py`'s `perform_health_check`), at most
//!   [`HEALTH_CHECK_CONCURRENCY`] at a time, each bounded by its own timeout, straight
//!   through [`llmux::Client`]: no router, so no retries, fallbacks or cooldowns. The
//!   answer lists each endpoint with LiteLLM's displayable `litellm_params` only (never a
//!   key) and, when unhealthy, the error.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use llmux::router::groups::glob_match;
use llmux::router::{DeploymentDefaults, Entrance, RouterDeployment};
use llmux::{ChatRequest, CompletionRequest, EmbeddingRequest, Error, ErrorKind, RequestOverrides};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::model_info::{deployments, is_secret_key, litellm_params_json, mask_value};
use super::{Call, json_response};
use crate::error::ApiError;
use crate::state::AppState;

/// Checks in flight at once. LiteLLM runs every check at once unless
/// `general_settings.health_check_concurrency` bounds them; llmux always bounds them.
pub const HEALTH_CHECK_CONCURRENCY: usize = 10;

/// A check's time limit unless `model_info.health_check_timeout` sets one (LiteLLM's
/// `HEALTH_CHECK_TIMEOUT_SECONDS`).
const HEALTH_CHECK_TIMEOUT: Duration = Duration::from_secs(60);

/// The longest `health_check_timeout` taken from config: a check is always bounded.
const MAX_HEALTH_CHECK_TIMEOUT: Duration = Duration::from_secs(600);

/// Models a wildcard entry is checked with: the cheapest, then two fallbacks.
const WILDCARD_CANDIDATES: usize = 3;

/// LiteLLM's `DEFAULT_HEALTH_CHECK_PROMPT`: the embedding input and completion prompt.
const HEALTH_CHECK_PROMPT: &str = "test from litellm";

/// The user messages of a chat check, one picked at random (`_get_random_llm_message`).
const HEALTH_CHECK_MESSAGES: [&str; 2] = ["Hey how's it going?", "What's 1 + 1?"];

/// `max_tokens` of a chat or completion check unless `model_info` sets one (LiteLLM's
/// default; GPT-5 models need at least 16).
const HEALTH_CHECK_MAX_TOKENS: u64 = 16;

/// Modes whose check takes `max_tokens` (`_MAX_TOKEN_SUPPORT_MODES`).
const MAX_TOKEN_MODES: &[&str] = &["chat", "completion", "responses", "anthropic_messages"];

/// The `litellm_params` keys an endpoint may show (`HEALTH_DISPLAY_PARAMS`, as proxy
/// admins see them: every llmux caller that passes the key check is one). Nothing else
/// of the deployment is shown: no key, token, secret or header.
const DISPLAY_PARAMS: &[&str] = &[
    "model",
    "mode_error",
    "api_base",
    "api_version",
    "aws_bedrock_runtime_endpoint",
    "anthropic_federation_rule_id",
    "anthropic_organization_id",
    "anthropic_service_account_id",
    "anthropic_federation_workspace_id",
    "anthropic_identity_source",
    "anthropic_issuer_url",
    "anthropic_issuer_subject",
    "anthropic_issuer_audience",
    "anthropic_issuer_ttl_seconds",
    "anthropic_keycloak_token_url",
    "anthropic_keycloak_client_id",
    "anthropic_keycloak_auth_method",
    "anthropic_keycloak_scope",
    "anthropic_disable_workload_identity_federation",
    "openai_identity_provider_id",
    "openai_service_account_id",
    "token_exchange_audience",
    "token_exchange_endpoint",
    "token_exchange_profile",
    "token_exchange_scope",
    "github_copilot_auth_type",
    "custom_llm_provider",
    "mode",
    "base_model",
    "aws_region_name",
    "region_name",
    "watsonx_region_name",
    "vertex_project",
    "vertex_location",
    "tpm",
    "rpm",
];

/// Upstream headers a healthy endpoint reports (`create_health_check_response`).
const REPORTED_HEADERS: [&str; 3] = [
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ms-region",
];

/// `GET /health/liveliness` (and `/health/liveness`): the process is up.
pub(crate) async fn liveliness() -> Json<Value> {
    Json(json!("I'm alive!"))
}

/// `GET /health/readiness`: LiteLLM's public probe. llmux has no database to wait for,
/// and its router state answers from memory when Redis is unreachable, so it is ready as
/// soon as it listens.
pub(crate) async fn readiness(State(st): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({"status": "healthy", "db": db_state(&st)}))
}

/// LiteLLM's `db` field: `connected`, `disconnected` (configured, not reachable now),
/// or `Not connected` (no database).
fn db_state(st: &AppState) -> &'static str {
    match &st.keys {
        Some(k) if k.store().connected() => "connected",
        Some(_) => "disconnected",
        None => "Not connected",
    }
}

/// `GET /health/readiness/details`: LiteLLM's detailed payload (`cache` is its response
/// cache, which llmux does not have), plus the router's state backend.
pub(crate) async fn readiness_details(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Response {
    let call = match Call::start(&st, &headers, Entrance::Admin) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let state = st.router.state();
    let (log_level, detailed_debug) = log_level();
    let body = json!({
        "status": "healthy",
        "db": db_state(&st),
        "cache": null,
        "litellm_version": env!("CARGO_PKG_VERSION"),
        "success_callbacks": [],
        "use_aiohttp_transport": false,
        "log_level": log_level,
        "is_detailed_debug": detailed_debug,
        "show_no_redis_warning": false,
        "show_env_credential_login_warning": false,
        "llmux_router_state": {
            "backend": state.backend(),
            "connected": state.connected(),
        },
        "llmux_keys": st.keys.as_ref().map(|k| k.stats()),
    });
    json_response(&body).unwrap_or_else(|e| call.fail(e).into_response())
}

/// The log level in Python's names, and whether it is `DEBUG` or finer.
fn log_level() -> (&'static str, bool) {
    use tracing::level_filters::LevelFilter;
    let current = LevelFilter::current();
    let name = if current == LevelFilter::OFF {
        "CRITICAL"
    } else if current >= LevelFilter::DEBUG {
        "DEBUG"
    } else if current >= LevelFilter::INFO {
        "INFO"
    } else if current >= LevelFilter::WARN {
        "WARNING"
    } else {
        "ERROR"
    };
    (name, current >= LevelFilter::DEBUG)
}

/// `GET /health`'s query.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct HealthQuery {
    /// Only the deployments of this model group (else those whose `litellm_params.model`
    /// it is).
    model: Option<String>,
    /// Only the deployment with this `model_info.id`.
    model_id: Option<String>,
}

/// `GET /health`: checks every deployment (or those `?model=` / `?model_id=` name).
pub(crate) async fn health(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<HealthQuery>, QueryRejection>,
) -> Response {
    check_all(&st, &headers, query)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn check_all(
    st: &AppState,
    headers: &HeaderMap,
    query: Result<Query<HealthQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let call = Call::start(st, headers, Entrance::Admin)?;
    let Query(query) =
        query.map_err(|e| call.fail(Error::bad_request(format!("Invalid query: {e}"))))?;
    // LiteLLM treats an empty parameter as absent.
    let model = query.model.filter(|m| !m.is_empty());
    let model_id = query.model_id.filter(|m| !m.is_empty());
    let all = deployments(st);
    let targets: Vec<Arc<RouterDeployment>> = match (&model_id, &model) {
        (Some(id), _) => {
            let by_id: Vec<_> = all.into_iter().filter(|d| d.id == *id).collect();
            if by_id.is_empty() {
                return Err(call.fail(Error::new(
                    ErrorKind::NotFound,
                    format!("Model with ID {id} not found"),
                )));
            }
            by_id
        }
        (None, Some(name)) => targeted_by_name(all, name),
        (None, None) => all,
    };
    // Deployments sharing an id are checked once (`filter_deployments_by_id`).
    let mut seen = HashSet::new();
    let targets: Vec<_> = targets
        .into_iter()
        .filter(|d| seen.insert(d.id.clone()))
        .collect();

    let mut healthy = Vec::new();
    let mut unhealthy = Vec::new();
    let mut checks = futures::stream::iter(targets.into_iter().map(|d| check(st, d)))
        .buffered(HEALTH_CHECK_CONCURRENCY);
    while let Some((ok, endpoint)) = checks.next().await {
        if ok {
            healthy.push(endpoint);
        } else {
            unhealthy.push(endpoint);
        }
    }
    // Model names none of whose entries llmux can call: LiteLLM would check them; llmux
    // reports why it cannot.
    if model_id.is_none() {
        for name in st.model_names() {
            if model.as_ref().is_some_and(|m| m != name) {
                continue;
            }
            if let Some(e) = st.unavailable().get(name) {
                unhealthy.push(Value::Object(Map::from_iter([
                    ("model".to_owned(), Value::from(name.as_str())),
                    ("error".to_owned(), e.client_message().into()),
                    ("exception_status".to_owned(), e.status.as_u16().into()),
                ])));
            }
        }
    }
    let healthy_count = healthy.len();
    let body = json!({
        "healthy_endpoints": healthy,
        "unhealthy_endpoints": unhealthy,
        "healthy_count": healthy_count,
        "unhealthy_count": unhealthy.len(),
    });
    let mut resp = json_response(&body).map_err(|e| call.fail(e))?;
    // A targeted check with nothing healthy is a 503, so monitors need not read the body.
    if (model.is_some() || model_id.is_some()) && healthy_count == 0 {
        *resp.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
    Ok(resp)
}

/// The deployments `?model=` names: those of that model group, else those whose
/// `litellm_params.model` it is (`deployments_targeted_by_name`).
fn targeted_by_name(all: Vec<Arc<RouterDeployment>>, name: &str) -> Vec<Arc<RouterDeployment>> {
    let (by_group, rest): (Vec<_>, Vec<_>) = all.into_iter().partition(|d| d.model_name == name);
    if !by_group.is_empty() {
        return by_group;
    }
    rest.into_iter()
        .filter(|d| d.entry.litellm_params.model == name)
        .collect()
}

/// Why a check failed: the text shown and the status (`exception_status`).
struct Failure {
    text: String,
    status: u16,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self {
            text: e.client_message(),
            status: e.status.as_u16(),
        }
    }
}

impl Failure {
    /// A failure of the check itself, not of an upstream call (LiteLLM raises a plain
    /// `Exception`, shown as its message, status 500).
    fn internal(text: String) -> Self {
        Self { text, status: 500 }
    }
}

/// Checks one deployment; returns whether it is healthy and its endpoint entry.
async fn check(st: &AppState, d: Arc<RouterDeployment>) -> (bool, Value) {
    let secrets = secrets_of(&d);
    let mut endpoint = displayed_params(&d);
    let limit = check_timeout(&d.entry.model_info);
    let outcome = match tokio::time::timeout(limit, probe(st, &d)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Failure {
            text: "Timeout exceeded".into(),
            status: StatusCode::REQUEST_TIMEOUT.as_u16(),
        }),
    };
    let ok = match outcome {
        Ok(headers) => {
            for name in REPORTED_HEADERS {
                if let Some((_, v)) = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
                    endpoint.insert(name.to_owned(), v.clone().into());
                }
            }
            endpoint.insert("model_id".into(), d.id.clone().into());
            true
        }
        Err(f) => {
            endpoint.insert("error".into(), scrub(&f.text, &secrets).into());
            endpoint.insert("model_id".into(), d.id.clone().into());
            endpoint.insert("exception_status".into(), f.status.into());
            false
        }
    };
    for v in endpoint.values_mut() {
        if let Value::String(s) = v {
            *s = scrub(s, &secrets);
        }
    }
    (ok, Value::Object(endpoint))
}

/// `model_info.health_check_timeout` (seconds), else [`HEALTH_CHECK_TIMEOUT`].
fn check_timeout(info: &Map<String, Value>) -> Duration {
    info.get("health_check_timeout")
        .and_then(as_f64)
        .filter(|s| *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .map_or(HEALTH_CHECK_TIMEOUT, |t| t.min(MAX_HEALTH_CHECK_TIMEOUT))
}

/// The endpoint's displayable `litellm_params` (`clean_endpoint_data`), `model` being
/// the one checked when `model_info.health_check_model` names another.
fn displayed_params(d: &RouterDeployment) -> Map<String, Value> {
    let mut params = litellm_params_json(&d.entry.litellm_params);
    if let Some(m) = health_check_model(d) {
        params.insert("model".into(), m.into());
    }
    params
        .into_iter()
        .filter(|(k, _)| DISPLAY_PARAMS.contains(&k.as_str()))
        .collect()
}

fn health_check_model(d: &RouterDeployment) -> Option<&str> {
    d.entry
        .model_info
        .get("health_check_model")
        .and_then(Value::as_str)
}

/// The check: one minimal call in the deployment's mode; the upstream's headers on
/// success. A wildcard entry is checked with a chat call to the provider's cheapest chat
/// model, then the next two as fallbacks, as LiteLLM's `ahealth_check_wildcard_models`
/// (the most recent error is the check's).
async fn probe(st: &AppState, d: &Arc<RouterDeployment>) -> Result<Vec<(String, String)>, Failure> {
    let (targets, wildcard) = probe_deployments(st, d)?;
    let mode = if wildcard {
        "chat".to_owned()
    } else {
        mode_of(d)
    };
    let mut last = Failure::internal("no model to health check".into());
    for target in targets {
        match probe_one(st, d, &target, &mode).await {
            Ok(headers) => return Ok(headers),
            Err(f) => last = f,
        }
    }
    Err(last)
}

/// One call of the check on `target` (the deployment, or the model it is checked with).
async fn probe_one(
    st: &AppState,
    d: &RouterDeployment,
    target: &RouterDeployment,
    mode: &str,
) -> Result<Vec<(String, String)>, Failure> {
    let info = &d.entry.model_info;
    let dep = &target.deployment;
    let client = st.router.client();
    let o = RequestOverrides::default();
    let mut fields = Map::new();
    fields.insert("model".into(), dep.model.clone().into());
    if let Some(n) = max_tokens(info, mode, d.deployment.capabilities.reasoning) {
        fields.insert("max_tokens".into(), n.into());
    }
    if matches!(mode, "chat" | "completion")
        && let Some(effort) = info.get("health_check_reasoning_effort")
        && !effort.is_null()
    {
        fields.insert("reasoning_effort".into(), effort.clone());
    }
    match mode {
        "chat" => {
            let text = HEALTH_CHECK_MESSAGES[rand::random_range(0..HEALTH_CHECK_MESSAGES.len())];
            fields.insert(
                "messages".into(),
                json!([{"role": "user", "content": text}]),
            );
            let req: ChatRequest = request(target, info, fields)?;
            Ok(client.chat(dep, req, &o).await?.headers)
        }
        "completion" => {
            fields.insert("prompt".into(), HEALTH_CHECK_PROMPT.into());
            let req: CompletionRequest = request(target, info, fields)?;
            // The client calls no mock for these; LiteLLM's mocked call answers at once.
            if let Some(mock) = &dep.mock_response {
                mock.response(&dep.model, 1)?;
                return Ok(Vec::new());
            }
            Ok(client.text_completion(dep, req, &o).await?.headers)
        }
        "embedding" => {
            fields.insert("input".into(), json!([HEALTH_CHECK_PROMPT]));
            let req: EmbeddingRequest = request(target, info, fields)?;
            if let Some(mock) = &dep.mock_response {
                mock.response(&dep.model, 1)?;
                return Ok(Vec::new());
            }
            Ok(client.embedding(dep, req, &o).await?.headers)
        }
        other => Err(Failure::internal(format!(
            "Mode {other} not supported. llmux health-checks chat, completion and embedding \
             deployments. See modes here: https://docs.litellm.ai/docs/proxy/health"
        ))),
    }
}

/// The check's mode: `model_info.mode`, else the registry's, else `chat`
/// (`resolve_health_check_mode`, `default_health_check_mode`).
fn mode_of(d: &RouterDeployment) -> String {
    d.entry
        .model_info
        .get("mode")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| d.deployment.model_info.as_ref()?.mode.clone())
        .unwrap_or_else(|| "chat".to_owned())
}

/// `max_tokens` of the check (`_resolve_health_check_max_tokens`):
/// `model_info.health_check_max_tokens`, else the reasoning / non-reasoning variant,
/// else 16; none for modes that take no `max_tokens` unless
/// `health_check_supports_max_tokens` says otherwise.
fn max_tokens(info: &Map<String, Value>, mode: &str, reasoning: bool) -> Option<u64> {
    let supported = info
        .get("health_check_supports_max_tokens")
        .filter(|v| !v.is_null())
        .map_or_else(|| MAX_TOKEN_MODES.contains(&mode), truthy);
    if !supported {
        return None;
    }
    let variant = if reasoning {
        "health_check_max_tokens_reasoning"
    } else {
        "health_check_max_tokens_non_reasoning"
    };
    info.get("health_check_max_tokens")
        .and_then(as_count)
        .or_else(|| info.get(variant).and_then(as_count))
        .or(Some(HEALTH_CHECK_MAX_TOKENS))
}

/// The request: the deployment's default params, `model_info.health_check_params` over
/// them, the check's own fields over both (`update_litellm_params_for_health_check`).
fn request<R: DeserializeOwned>(
    target: &RouterDeployment,
    info: &Map<String, Value>,
    fields: Map<String, Value>,
) -> Result<R, Failure> {
    let mut body = target.default_params.clone();
    if let Some(Value::Object(params)) = info.get("health_check_params") {
        body.extend(params.clone());
    }
    body.extend(fields);
    serde_json::from_value(Value::Object(body))
        .map_err(|e| Failure::internal(format!("invalid health check request: {e}")))
}

/// The deployments the check calls, and whether the entry is a wildcard: the deployment
/// itself; or, for `model_info.health_check_model`, that model on the deployment's
/// connection; or, for a wildcard, the provider's three cheapest chat models
/// (`pick_cheapest_chat_models_from_llm_provider`).
fn probe_deployments(
    st: &AppState,
    d: &Arc<RouterDeployment>,
) -> Result<(Vec<Arc<RouterDeployment>>, bool), Failure> {
    let configured = d.entry.litellm_params.model.as_str();
    let wanted = health_check_model(d).unwrap_or(configured);
    if !wanted.contains('*') {
        if wanted == configured {
            return Ok((vec![d.clone()], false));
        }
        return Ok((vec![deployment_for(st, d, wanted)?], false));
    }
    let provider = d.deployment.provider.id();
    let models = cheapest_chat_models(provider, WILDCARD_CANDIDATES);
    if models.is_empty() {
        return Err(Failure::internal(format!(
            "Unable to health check wildcard model for provider {provider}. Add a model on \
             your config.yaml or contribute here - \
             https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json"
        )));
    }
    let targets = models
        .iter()
        .map(|m| deployment_for(st, d, m))
        .collect::<Result<_, _>>()?;
    Ok((targets, true))
}

/// `d`'s entry calling `model`: built the way requests for it are when `d`'s wildcard
/// covers it (the router's defaults, cached), else from the entry as it stands.
fn deployment_for(
    st: &AppState,
    d: &Arc<RouterDeployment>,
    model: &str,
) -> Result<Arc<RouterDeployment>, Failure> {
    let configured = d.entry.litellm_params.model.as_str();
    if configured.contains('*')
        && let Some(matched) = glob_match(configured, model)
    {
        return Ok(st.router.groups().concrete(d, Some(&matched))?);
    }
    let built =
        RouterDeployment::build_for_model(&d.entry, model, &DeploymentDefaults::default(), &|n| {
            std::env::var(n).ok()
        })?;
    Ok(Arc::new(built))
}

/// The provider's `n` cheapest chat models in the registry, by input + output price per
/// token (`pick_cheapest_chat_models_from_llm_provider`; an unpriced model costs 0), as
/// `provider/model`. Ties go to the first name, so the pick is stable.
fn cheapest_chat_models(provider: &str, n: usize) -> Vec<String> {
    // The registry splits some providers by family (`vertex_ai-language-models`).
    let family = format!("{provider}-");
    let prefixed = format!("{provider}/");
    let mut priced: Vec<(f64, &str)> = llmux::models::builtin()
        .iter()
        .filter(|i| i.mode.as_deref() == Some("chat"))
        .filter(|i| {
            i.litellm_provider
                .as_deref()
                .is_some_and(|p| p == provider || p.starts_with(&family))
        })
        .map(|i| {
            let cost =
                i.input_cost_per_token.unwrap_or(0.0) + i.output_cost_per_token.unwrap_or(0.0);
            (cost, i.key.as_str())
        })
        .collect();
    priced.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    priced
        .into_iter()
        .take(n)
        .map(|(_, key)| {
            if key.starts_with(&prefixed) {
                key.to_owned()
            } else {
                format!("{prefixed}{key}")
            }
        })
        .collect()
}

/// The deployment's secret values (its key, wherever it came from, and every
/// secret-looking `litellm_params` string), so that none reaches the answer even when an
/// upstream error quotes one.
fn secrets_of(d: &RouterDeployment) -> Vec<String> {
    let mut secrets: Vec<String> = [&d.deployment.api_key, &d.deployment.azure_ad_token]
        .into_iter()
        .flatten()
        .map(|s| s.expose().to_owned())
        .collect();
    collect_secrets(
        &Value::Object(litellm_params_json(&d.entry.litellm_params)),
        false,
        &mut secrets,
    );
    // Longest first, so a secret containing another is replaced whole.
    secrets.retain(|s| s.chars().count() >= 4);
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    secrets
}

fn collect_secrets(v: &Value, secret: bool, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                collect_secrets(v, secret || is_secret_key(k), out);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_secrets(item, secret, out);
            }
        }
        Value::String(s) if secret => out.push(s.clone()),
        _ => {}
    }
}

/// `text` with every secret in it masked.
fn scrub(text: &str, secrets: &[String]) -> String {
    secrets.iter().fold(text.to_owned(), |t, s| {
        if t.contains(s.as_str()) {
            t.replace(s.as_str(), &mask_value(s))
        } else {
            t
        }
    })
}

fn as_f64(v: &Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str()?.trim().parse().ok())
        .filter(|f: &f64| f.is_finite())
}

/// A count as Python's `int()` reads it (`16`, `16.0`, `"16"`).
fn as_count(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        as_f64(v)
            .filter(|f| *f >= 0.0 && *f < 1e15)
            .map(|f| f.trunc() as u64)
    })
}

/// Python's truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_tokens_follow_litellm_overrides() {
        let info = |v: Value| v.as_object().cloned().unwrap_or_default();
        assert_eq!(max_tokens(&info(json!({})), "chat", false), Some(16));
        assert_eq!(max_tokens(&info(json!({})), "embedding", false), None);
        assert_eq!(
            max_tokens(&info(json!({"health_check_max_tokens": "5"})), "chat", true),
            Some(5)
        );
        assert_eq!(
            max_tokens(
                &info(json!({"health_check_max_tokens_reasoning": 64})),
                "chat",
                true
            ),
            Some(64)
        );
        assert_eq!(
            max_tokens(
                &info(json!({"health_check_max_tokens_reasoning": 64})),
                "chat",
                false
            ),
            Some(16)
        );
        assert_eq!(
            max_tokens(
                &info(json!({"health_check_supports_max_tokens": false})),
                "chat",
                false
            ),
            None
        );
        assert_eq!(
            max_tokens(
                &info(json!({"health_check_supports_max_tokens": true})),
                "embedding",
                false
            ),
            Some(16)
        );
    }

    #[test]
    fn secrets_are_masked_in_text() {
        let secrets = vec!["sk-upstream-test".to_owned()];
        assert_eq!(
            scrub("Incorrect API key provided: sk-upstream-test.", &secrets),
            "Incorrect API key provided: sk-u********test."
        );
    }

    #[test]
    fn the_cheapest_openai_chat_models_are_prefixed() {
        let models = cheapest_chat_models("openai", 3);
        assert_eq!(models.len(), 3, "{models:?}");
        assert!(
            models.iter().all(|m| m.starts_with("openai/")),
            "{models:?}"
        );
        assert!(cheapest_chat_models("no-such-provider", 3).is_empty());
    }
}
