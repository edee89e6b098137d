//! Gateway state built once from the config: the router (model groups, strategy, shared
//! state), the master key and the body limit.

use std::collections::HashMap;
use std::sync::Arc;

use llmux::Router;
use llmux::cache::{CacheSettings, Clock, ResponseCache, SystemClock};
use llmux::config::RouterSettings;
use llmux::router::{DeploymentDefaults, RouterOptions, deployment::secs};
use serde_json::Value;

use crate::config::Config;

/// Default request body limit when `general_settings.max_request_size_mb` is unset.
const DEFAULT_MAX_REQUEST_MB: f64 = 32.0;
/// Largest body limit accepted from config (4 GiB): beyond it the `usize` conversion
/// would be meaningless on any platform llmux runs on.
const MAX_REQUEST_MB: f64 = 4096.0;

/// `litellm_settings` keys the router reads when `router_settings` leaves them unset
/// (LiteLLM's `Router.__init__` falls back to `litellm.<key>`).
pub const ROUTER_KEYS_IN_LITELLM_SETTINGS: &[&str] = &[
    "fallbacks",
    "context_window_fallbacks",
    "content_policy_fallbacks",
    "default_fallbacks",
    "allowed_fails",
    "max_fallbacks",
];

/// Everything a request handler needs, shared by all of them.
pub struct AppState {
    pub router: Router,
    pub master_key: Option<llmux::Secret>,
    pub max_request_bytes: usize,
    /// The response cache (`litellm_settings.cache`), also one of the router's hooks.
    pub cache: Option<Arc<ResponseCache>>,
    /// Stored `/v1/responses` answers (`previous_response_id`, `GET`).
    pub responses: crate::responses_store::ResponseStore,
    /// Virtual keys, teams and spend (`crate::keys`): on when a master key is set.
    pub keys: Option<Arc<crate::keys::KeyAuth>>,
    /// The logging callbacks (`litellm_settings.callbacks`, …), also one of the
    /// router's hooks; the Prometheus sink is what `/metrics` serves.
    pub logging: Option<llmux::logging::Started>,
    /// `litellm_settings.require_auth_for_metrics_endpoint` (LiteLLM's default: true).
    pub metrics_need_auth: bool,
}

impl std::fmt::Debug for AppState {
    // The master key is a `Secret`; deployments redact their own.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("router", &self.router)
            .field("master_key", &self.master_key)
            .field("max_request_bytes", &self.max_request_bytes)
            .finish_non_exhaustive()
    }
}

/// A config that cannot be served, with the path of the bad value.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct StartupError {
    pub path: String,
    pub message: String,
}

impl AppState {
    /// Builds the state from a loaded config; `env` resolves provider key variables.
    /// With Redis in `router_settings` this must run inside a Tokio runtime.
    pub fn from_config(
        config: &Config,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, StartupError> {
        Self::with_options(config, env, RouterOptions::default())
    }

    /// As [`AppState::from_config`], with router options (a state, hooks) given.
    pub fn with_options(
        config: &Config,
        env: &dyn Fn(&str) -> Option<String>,
        options: RouterOptions,
    ) -> Result<Self, StartupError> {
        Self::with_cache_clock(config, env, options, Arc::new(SystemClock))
    }

    /// As [`AppState::with_options`], the response cache reading `clock` (tests move
    /// time on with a [`llmux::cache::ManualClock`]).
    pub fn with_cache_clock(
        config: &Config,
        env: &dyn Fn(&str) -> Option<String>,
        mut options: RouterOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartupError> {
        let settings = router_settings(config)?;
        let keys = crate::keys::setup::key_auth(config, env, clock.clone())?;
        if let Some(k) = &keys {
            // First: a refused key gets no cache hit either.
            options.hooks.insert(0, k.clone());
        }
        if options.client.is_none() {
            options.client = Some(llmux::Client::new().with_limits(upstream_limits(config)));
        }
        let cache = response_cache(config, env, clock)?;
        // The logger goes first: its pre-call keeps the request even when the cache
        // answers it.
        let logging = logging(config, env)?;
        if let Some(l) = &logging {
            options.hooks.insert(0, l.logger.clone());
        }
        if let Some(c) = &cache {
            options.hooks.push(c.clone());
        }
        let ls = &config.litellm_settings;
        options.defaults = DeploymentDefaults {
            drop_params: ls.drop_params,
            additional_drop_params: ls.additional_drop_params.clone().unwrap_or_default(),
            timeout: secs(settings.timeout).or(secs(ls.request_timeout)),
            stream_timeout: secs(settings.stream_timeout),
        };
        let router = Router::build(&config.model_list, settings, options, env).map_err(|e| {
            StartupError {
                path: e.path,
                message: e.message,
            }
        })?;
        if let Some(k) = &keys {
            k.set_state(router.state().clone());
        }
        let mb = config
            .general_settings
            .extra
            .get("max_request_size_mb")
            .and_then(Value::as_f64)
            .filter(|mb| mb.is_finite() && *mb > 0.0)
            .unwrap_or(DEFAULT_MAX_REQUEST_MB)
            .min(MAX_REQUEST_MB);
        Ok(Self {
            router,
            master_key: config
                .general_settings
                .master_key
                .clone()
                .and_then(llmux::Secret::non_empty),
            max_request_bytes: (mb * 1024.0 * 1024.0) as usize,
            cache,
            // With the tenancy database, stored responses are shared through it too.
            responses: match &keys {
                Some(k) => crate::responses_store::ResponseStore::default()
                    .with_database(Arc::clone(k.store())),
                None => crate::responses_store::ResponseStore::default(),
            },
            keys,
            logging,
            metrics_need_auth: !matches!(
                config
                    .litellm_settings
                    .extra
                    .get("require_auth_for_metrics_endpoint"),
                Some(Value::Bool(false))
            ),
        })
    }

    /// Model names in config order (for `/v1/models`).
    pub fn model_names(&self) -> &[String] {
        &self.router.groups().names
    }

    /// Model names whose every entry failed to resolve, with the reason.
    pub fn unavailable(&self) -> &HashMap<String, llmux::Error> {
        &self.router.groups().unavailable
    }
}

/// `general_settings.max_upstream_response_size_mb` and
/// `general_settings.max_upstream_event_size_mb` (llmux's own keys; LiteLLM bounds
/// neither), in MiB, defaults in [`llmux::Limits`].
pub fn upstream_limits(config: &Config) -> llmux::Limits {
    let mb = |key: &str| {
        config
            .general_settings
            .extra
            .get(key)
            .and_then(Value::as_f64)
            .filter(|mb| mb.is_finite() && *mb > 0.0)
            .map(|mb| (mb.min(MAX_REQUEST_MB) * 1024.0 * 1024.0) as usize)
    };
    let defaults = llmux::Limits::default();
    llmux::Limits {
        max_body_bytes: mb("max_upstream_response_size_mb").unwrap_or(defaults.max_body_bytes),
        max_event_bytes: mb("max_upstream_event_size_mb").unwrap_or(defaults.max_event_bytes),
    }
}

/// The response cache `litellm_settings.cache` asks for (`cache_params` says which), or
/// `None`. A disk cache opens its file now; a Redis one starts connecting.
fn response_cache(
    config: &Config,
    env: &dyn Fn(&str) -> Option<String>,
    clock: Arc<dyn Clock>,
) -> Result<Option<Arc<ResponseCache>>, StartupError> {
    let ls = &config.litellm_settings.extra;
    let on = match ls.get("cache") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => true,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => false,
        Some(v) => {
            return Err(StartupError {
                path: "litellm_settings.cache".into(),
                message: format!("expected true or false, got {v}"),
            });
        }
    };
    if !on {
        return Ok(None);
    }
    let params = match ls.get("cache_params") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m),
        Some(v) => {
            return Err(StartupError {
                path: "litellm_settings.cache_params".into(),
                message: format!("expected a mapping, got {v}"),
            });
        }
    };
    let groups = caching_groups(config)?;
    let (settings, ignored) =
        CacheSettings::from_params(params, groups, env).map_err(|e| StartupError {
            path: e.path,
            message: e.message,
        })?;
    if !ignored.is_empty() {
        tracing::warn!(
            "cache_params keys llmux does not act on (ignored): {}",
            ignored.join(", ")
        );
    }
    let kind = settings.kind;
    let path = match kind {
        llmux::cache::CacheType::Disk => "litellm_settings.cache_params.disk_cache_dir",
        _ => "litellm_settings.cache_params",
    };
    let cache = ResponseCache::open(settings, clock).map_err(|e| StartupError {
        path: path.into(),
        message: e.to_string(),
    })?;
    tracing::info!(cache_type = kind.name(), "response cache on");
    Ok(Some(Arc::new(cache)))
}

/// The logging callbacks `litellm_settings` asks for, started (their workers run on the
/// current Tokio runtime), or `None`.
fn logging(
    config: &Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<llmux::logging::Started>, StartupError> {
    let err = |e: llmux::logging::LoggingConfigError| StartupError {
        path: e.path,
        message: e.message,
    };
    let (settings, ignored) =
        llmux::logging::LoggingSettings::from_litellm_settings(&config.litellm_settings.extra)
            .map_err(err)?;
    if !ignored.is_empty() {
        tracing::warn!(
            "callbacks llmux has no sink for (ignored): {}",
            ignored.join(", ")
        );
    }
    if settings.callbacks.is_empty() {
        return Ok(None);
    }
    let rt = tokio::runtime::Handle::try_current().map_err(|_| StartupError {
        path: "litellm_settings.callbacks".into(),
        message: "logging callbacks need a Tokio runtime".into(),
    })?;
    let started = settings.start(&rt, env).map_err(err)?;
    if let Some(s) = &started {
        let names: Vec<&str> = s.logger.queues().iter().map(|q| q.name()).collect();
        tracing::info!(callbacks = names.join(", "), "logging on");
    }
    Ok(started)
}

/// `router_settings.caching_groups`: `[["gpt-a", "gpt-b"], …]`.
fn caching_groups(config: &Config) -> Result<Vec<Vec<String>>, StartupError> {
    match config.router_settings.extra.get("caching_groups") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| StartupError {
            path: "router_settings.caching_groups".into(),
            message: format!("expected lists of model group names: {e}"),
        }),
    }
}

/// `router_settings`, with the router keys LiteLLM also reads from `litellm_settings`
/// (`num_retries`, `fallbacks`, …) filled in where `router_settings` leaves them unset.
pub fn router_settings(config: &Config) -> Result<RouterSettings, StartupError> {
    let mut s = config.router_settings.clone();
    let ls = &config.litellm_settings;
    if s.num_retries.is_none() {
        s.num_retries = ls.num_retries;
    }
    let mut merged = serde_json::Map::new();
    for key in ROUTER_KEYS_IN_LITELLM_SETTINGS {
        if let Some(v) = ls.extra.get(*key) {
            merged.insert((*key).to_owned(), v.clone());
        }
    }
    if merged.is_empty() {
        return Ok(s);
    }
    let from_ls: RouterSettings =
        serde_json::from_value(Value::Object(merged)).map_err(|e| StartupError {
            path: "litellm_settings".into(),
            message: e.to_string(),
        })?;
    if s.fallbacks.is_empty() {
        s.fallbacks = from_ls.fallbacks;
    }
    if s.context_window_fallbacks.is_empty() {
        s.context_window_fallbacks = from_ls.context_window_fallbacks;
    }
    if s.content_policy_fallbacks.is_empty() {
        s.content_policy_fallbacks = from_ls.content_policy_fallbacks;
    }
    if s.default_fallbacks.is_empty() {
        s.default_fallbacks = from_ls.default_fallbacks;
    }
    s.allowed_fails = s.allowed_fails.or(from_ls.allowed_fails);
    s.max_fallbacks = s.max_fallbacks.or(from_ls.max_fallbacks);
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The gateway's state holds the master key and, through the router, every
    /// deployment's keys and credential sources: its `Debug` shows none of them.
    #[test]
    fn the_state_debug_shows_no_secret() {
        const SECRETS: [&str; 5] = [
            "sk-master-5e5e",
            "sk-upstream-1a1a",
            "sk-from-env-2b2b",
            "azure-client-secret-3c3c",
            "aws-secret-4d4d",
        ];
        let yaml = format!(
            r#"
model_list:
  - model_name: a
    litellm_params: {{model: openai/gpt-4o-mini, api_key: {}}}
  - model_name: b
    litellm_params: {{model: openai/gpt-4o-mini, api_key: os.environ/UPSTREAM}}
  - model_name: c
    litellm_params: {{model: azure/dep, api_base: "https://x.example", tenant_id: t, client_id: c, client_secret: {}}}
  - model_name: d
    litellm_params: {{model: bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0, aws_access_key_id: AKID, aws_secret_access_key: {}}}
general_settings: {{master_key: {}}}
"#,
            SECRETS[1], SECRETS[3], SECRETS[4], SECRETS[0]
        );
        let env = |name: &str| (name == "UPSTREAM").then(|| SECRETS[2].to_owned());
        let config = Config::from_yaml_str(&yaml, &env).unwrap();
        let state = AppState::from_config(&config, &env).unwrap();
        assert!(state.master_key.as_ref().is_some_and(|k| *k == SECRETS[0]));
        let debug = format!("{state:?} {config:?}");
        assert!(debug.contains("Deployment"), "{debug}");
        for secret in SECRETS {
            assert!(!debug.contains(secret), "shows {secret}: {debug}");
        }
    }
}
