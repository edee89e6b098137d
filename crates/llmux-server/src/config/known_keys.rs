//! The ONE table of LiteLLM config keys llmux knows, outside the typed fields.
//!
//! It drives [`super::Config::unsupported_keys`] (the start-up warning: a key present
//! in the file and not [`Handling::Acted`] is listed, and so is a key not in the table)
//! and the test that every key marked acted-on is read somewhere
//! (`config::tests::every_key_the_table_says_is_acted_on_is_read_by_name`). Adding a key
//! is one line.

/// What llmux does with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    /// Read and acted on.
    Acted,
    /// Known, not acted on yet: listed at start-up.
    Ignored,
}

use Handling::{Acted, Ignored};

/// `(section, key, handling)`. Sections: `litellm_settings`, `router_settings`,
/// `general_settings`, and `litellm_params` for a deployment's keys that are not sent
/// to the provider (`llmux::router::NON_REQUEST_KEYS`; every other `litellm_params` key
/// is forwarded, so never ignored).
pub const KNOWN_KEYS: &[(&str, &str, Handling)] = &[
    // litellm_settings: router keys LiteLLM reads as `litellm.<key>` fallbacks.
    ("litellm_settings", "fallbacks", Acted),
    ("litellm_settings", "context_window_fallbacks", Acted),
    ("litellm_settings", "content_policy_fallbacks", Acted),
    ("litellm_settings", "default_fallbacks", Acted),
    ("litellm_settings", "allowed_fails", Acted),
    ("litellm_settings", "max_fallbacks", Acted),
    ("litellm_settings", "cache", Acted),
    ("litellm_settings", "cache_params", Acted),
    // litellm_settings: the logging callbacks (llmux::logging).
    ("litellm_settings", "callbacks", Acted),
    ("litellm_settings", "success_callback", Acted),
    ("litellm_settings", "failure_callback", Acted),
    ("litellm_settings", "callback_settings", Acted),
    ("litellm_settings", "turn_off_message_logging", Acted),
    ("litellm_settings", "redact_user_api_key_info", Acted),
    (
        "litellm_settings",
        "require_auth_for_metrics_endpoint",
        Acted,
    ),
    ("litellm_settings", "set_verbose", Ignored),
    ("litellm_settings", "json_logs", Ignored),
    // router_settings
    ("router_settings", "caching_groups", Acted),
    (
        "router_settings",
        "enable_loadbalancing_on_batch_endpoints",
        Ignored,
    ),
    // general_settings
    ("general_settings", "max_request_size_mb", Acted),
    ("general_settings", "max_upstream_response_size_mb", Acted),
    ("general_settings", "max_upstream_event_size_mb", Acted),
    ("general_settings", "key_management_system", Acted),
    ("general_settings", "key_management_settings", Acted),
    // general_settings: virtual keys and their store (crate::keys, crate::store).
    ("general_settings", "database_url", Acted),
    ("general_settings", "database_connection_pool_limit", Acted),
    (
        "general_settings",
        "allow_requests_on_db_unavailable",
        Acted,
    ),
    ("general_settings", "user_api_key_cache_ttl", Acted),
    ("general_settings", "alerting", Ignored),
    ("general_settings", "max_response_size_mb", Ignored),
    // litellm_params keys that are not request parameters
    ("litellm_params", "extra_headers", Acted),
    ("litellm_params", "headers", Acted),
    ("litellm_params", "weight", Acted),
    ("litellm_params", "order", Acted),
    ("litellm_params", "max_parallel_requests", Acted),
    ("litellm_params", "cooldown_time", Acted),
    ("litellm_params", "input_cost_per_token", Acted),
    ("litellm_params", "output_cost_per_token", Acted),
    ("litellm_params", "cache_read_input_token_cost", Acted),
    ("litellm_params", "cache_creation_input_token_cost", Acted),
    ("litellm_params", "output_cost_per_reasoning_token", Acted),
    ("litellm_params", "base_model", Acted),
    ("litellm_params", "model_info", Acted),
    ("litellm_params", "tags", Ignored),
    ("litellm_params", "region_name", Ignored),
    ("litellm_params", "use_in_pass_through", Ignored),
    ("litellm_params", "use_litellm_proxy", Ignored),
    (
        "litellm_params",
        "merge_reasoning_content_in_choices",
        Ignored,
    ),
    ("litellm_params", "litellm_credential_name", Ignored),
];

/// Whether `section.key` is in the table as acted on.
pub fn is_acted(section: &str, key: &str) -> bool {
    KNOWN_KEYS
        .iter()
        .any(|&(s, k, h)| s == section && k == key && h == Acted)
}
