//! Per-call options, as LiteLLM's `completion(…)` keyword arguments.

use std::time::Duration;

use crate::{MockResponse, Secret};

/// Where and how to call, beyond the model string. Every field is optional; unset
/// connection fields fall back to the provider's environment variables
/// (`OPENAI_API_KEY`, `GROQ_API_KEY`, `AZURE_API_BASE`, …).
#[derive(Clone, Default)]
pub struct CallOptions {
    pub custom_llm_provider: Option<String>,
    pub api_base: Option<String>,
    pub api_key: Option<Secret>,
    pub api_version: Option<String>,
    pub organization: Option<String>,
    pub azure_ad_token: Option<Secret>,
    /// Total time for a non-streamed call; time to first byte and between chunks for a stream.
    pub timeout: Option<Duration>,
    /// Overrides `timeout` for streams.
    pub stream_timeout: Option<Duration>,
    /// Retries on the same deployment after a retryable failure (408, 409, 429, 5xx).
    pub num_retries: Option<u32>,
    /// Drop parameters the provider does not support instead of failing.
    pub drop_params: Option<bool>,
    pub additional_drop_params: Vec<String>,
    pub allowed_openai_params: Vec<String>,
    pub extra_headers: Vec<(String, String)>,
    /// Answer without calling the provider (LiteLLM's `mock_response`).
    pub mock_response: Option<MockResponse>,
    /// Provider-specific connection settings (`vertex_project`, `vertex_location`,
    /// `vertex_credentials`, …): a config's other `litellm_params` of that kind.
    pub provider_params: serde_json::Map<String, serde_json::Value>,
    /// Registry overrides for this model (a config's `model_info`).
    pub model_info: serde_json::Map<String, serde_json::Value>,
}

impl std::fmt::Debug for CallOptions {
    // Keys are `Secret`s; headers and provider credentials stay out too (crate::redact).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::redact::{HeaderNames, KeysOnly};
        f.debug_struct("CallOptions")
            .field("custom_llm_provider", &self.custom_llm_provider)
            .field("api_base", &self.api_base)
            .field("api_key", &self.api_key)
            .field("api_version", &self.api_version)
            .field("organization", &self.organization)
            .field("azure_ad_token", &self.azure_ad_token)
            .field("timeout", &self.timeout)
            .field("stream_timeout", &self.stream_timeout)
            .field("num_retries", &self.num_retries)
            .field("extra_headers", &HeaderNames(&self.extra_headers))
            .field("mock_response", &self.mock_response.is_some())
            .field("provider_params", &KeysOnly(&self.provider_params))
            .finish_non_exhaustive()
    }
}
