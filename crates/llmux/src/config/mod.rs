//! The parts of LiteLLM's `config.yaml` the library's [`Router`](crate::Router) reads:
//! `model_list` entries and `router_settings`. The gateway parses the whole file and
//! hands these over; a library user can deserialize them from YAML or JSON directly.
//!
//! Numbers and booleans may be written as strings (`timeout: "30"`), as LiteLLM accepts
//! them; every key that is not typed here is kept in an `extra` map so that nothing in
//! the file is dropped without the caller being able to list it.

pub mod lenient;

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::Secret;

/// One `model_list` entry: a deployment reachable under the alias `model_name`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ModelEntry {
    /// The public model name clients send (the model group).
    pub model_name: String,
    /// How to call the upstream provider.
    pub litellm_params: LitellmParams,
    /// Free-form metadata (`id`, `base_model`, `mode`, `access_groups`, …).
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub model_info: Map<String, Value>,
}
/// `litellm_params` of a deployment. Numbers may be given as strings (`timeout: "30"`).
#[derive(Clone, Default, PartialEq, Deserialize)]
pub struct LitellmParams {
    /// `provider/model`, e.g. `openai/gpt-4o-mini` (required).
    pub model: String,
    /// Base URL of the provider API.
    pub api_base: Option<String>,
    /// Provider API key.
    pub api_key: Option<Secret>,
    /// API version (Azure).
    pub api_version: Option<String>,
    /// Overrides the provider taken from the `model` prefix.
    pub custom_llm_provider: Option<String>,
    /// OpenAI organization.
    pub organization: Option<String>,
    /// Azure AD token.
    pub azure_ad_token: Option<Secret>,
    /// Request timeout in seconds.
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    pub timeout: Option<f64>,
    /// Timeout in seconds for `stream=true` requests.
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    pub stream_timeout: Option<f64>,
    /// Retries done by the provider client.
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub max_retries: Option<u32>,
    /// Retries done by the router for this deployment.
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub num_retries: Option<u32>,
    /// Requests-per-minute limit (also a routing weight).
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub rpm: Option<u64>,
    /// Tokens-per-minute limit (also a routing weight).
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub tpm: Option<u64>,
    /// Canned response returned instead of calling the provider.
    pub mock_response: Option<Value>,
    /// Drop OpenAI params the provider does not support instead of failing.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub drop_params: Option<bool>,
    /// Extra request params to always drop.
    pub additional_drop_params: Option<Vec<String>>,
    /// Params to pass through although the provider is not known to support them.
    pub allowed_openai_params: Option<Vec<String>>,
    /// Every other key, forwarded to the provider (e.g. `aws_*`, `vertex_*`,
    /// `extra_headers`, `temperature` defaults).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `router_settings` (LiteLLM's `Router.__init__` arguments), plus the `litellm_settings`
/// keys the router falls back to (`litellm.num_retries`, `litellm.fallbacks`, …), which the
/// gateway merges in before building the [`Router`](crate::Router).
#[derive(Clone, Default, PartialEq, Deserialize)]
pub struct RouterSettings {
    /// `simple-shuffle` (default), `least-busy`, `usage-based-routing-v2`,
    /// `latency-based-routing`, `cost-based-routing`.
    pub routing_strategy: Option<String>,
    /// Strategy arguments: `lowest_latency_buffer`, `ttl` (latency-based routing).
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub routing_strategy_args: Map<String, Value>,
    /// Retries per model group (default 2, as LiteLLM's `openai.DEFAULT_MAX_RETRIES`).
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub num_retries: Option<u32>,
    /// Seconds: the shortest sleep between retries.
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    pub retry_after: Option<f64>,
    /// Router-level request timeout, seconds.
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    pub timeout: Option<f64>,
    /// Router-level stream timeout, seconds.
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    pub stream_timeout: Option<f64>,
    /// Retries per exception kind (`RateLimitErrorRetries: 3`, …).
    pub retry_policy: Option<RetryPolicy>,
    /// `retry_policy` per model group.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub model_group_retry_policy: HashMap<String, RetryPolicy>,
    /// `[{"gpt-4o": ["claude", "mini"]}, …]`; a `"*"` key applies to every group.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub fallbacks: Vec<HashMap<String, Vec<String>>>,
    /// Fallbacks for every group without its own (LiteLLM stores them as `{"*": […]}`).
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub default_fallbacks: Vec<String>,
    /// Fallbacks taken on a `ContextWindowExceededError`.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub context_window_fallbacks: Vec<HashMap<String, Vec<String>>>,
    /// Fallbacks taken on a `ContentPolicyViolationError`.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub content_policy_fallbacks: Vec<HashMap<String, Vec<String>>>,
    /// Fallback hops at most (default 5).
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub max_fallbacks: Option<u32>,
    /// Failures per minute a deployment may have before it cools down.
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub allowed_fails: Option<u32>,
    /// `allowed_fails` per exception kind (`RateLimitErrorAllowedFails: 10`, …).
    pub allowed_fails_policy: Option<AllowedFailsPolicy>,
    /// Seconds a deployment cools down (default 5).
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    pub cooldown_time: Option<f64>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub disable_cooldowns: Option<bool>,
    /// `{"gpt-4": "gpt-4o"}` or `{"gpt-4": {"model": "gpt-4o", "hidden": true}}`.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub model_group_alias: HashMap<String, AliasTarget>,
    /// Route by `tags` in the request metadata.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub enable_tag_filtering: Option<bool>,
    /// Skip deployments whose context window cannot hold the prompt.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub enable_pre_call_checks: Option<bool>,
    /// `enforce_model_rate_limits`, … (LiteLLM's `optional_pre_call_checks`).
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub optional_pre_call_checks: Vec<String>,
    /// In-flight requests per deployment when the deployment sets none.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub default_max_parallel_requests: Option<u64>,
    /// Shared state: `redis_url`, or `redis_host` + `redis_port` + `redis_password`.
    pub redis_url: Option<String>,
    pub redis_host: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub redis_port: Option<u64>,
    pub redis_password: Option<Secret>,
    /// Keys the router does not act on (listed at start-up by the gateway).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A `model_group_alias` target.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum AliasTarget {
    Name(String),
    Detailed {
        model: String,
        #[serde(default)]
        hidden: bool,
    },
}

impl AliasTarget {
    pub fn model(&self) -> &str {
        match self {
            Self::Name(m) | Self::Detailed { model: m, .. } => m,
        }
    }
}

/// Retries per exception kind, LiteLLM's `RetryPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RetryPolicy {
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub bad_request_error_retries: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub authentication_error_retries: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub timeout_error_retries: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub rate_limit_error_retries: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub content_policy_violation_error_retries: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub internal_server_error_retries: Option<u32>,
}

/// Failures per minute allowed per exception kind, LiteLLM's `AllowedFailsPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AllowedFailsPolicy {
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub bad_request_error_allowed_fails: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub authentication_error_allowed_fails: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub timeout_error_allowed_fails: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub rate_limit_error_allowed_fails: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub content_policy_violation_error_allowed_fails: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub internal_server_error_allowed_fails: Option<u32>,
}

impl std::fmt::Debug for LitellmParams {
    // Keys are `Secret`s; provider credentials (in `extra`) stay out too (crate::redact).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::redact::KeysOnly;
        f.debug_struct("LitellmParams")
            .field("model", &self.model)
            .field("api_base", &self.api_base)
            .field("api_key", &self.api_key)
            .field("api_version", &self.api_version)
            .field("custom_llm_provider", &self.custom_llm_provider)
            .field("azure_ad_token", &self.azure_ad_token)
            .field("timeout", &self.timeout)
            .field("stream_timeout", &self.stream_timeout)
            .field("num_retries", &self.num_retries)
            .field("extra", &KeysOnly(&self.extra))
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for RouterSettings {
    // The Redis password (alone or in `redis_url`) stays out of logs (crate::redact).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::redact::{KeysOnly, UrlHost};
        f.debug_struct("RouterSettings")
            .field("routing_strategy", &self.routing_strategy)
            .field("redis_url", &UrlHost(&self.redis_url))
            .field("redis_host", &self.redis_host)
            .field("redis_port", &self.redis_port)
            .field("redis_password", &self.redis_password)
            .field("extra", &KeysOnly(&self.extra))
            .finish_non_exhaustive()
    }
}
