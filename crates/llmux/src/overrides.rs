//! LiteLLM's own keys inside a request body: taken out before the body is forwarded.

use std::time::Duration;

use llmux_types::{Error, JsonMap};
use serde_json::Value;

use crate::MockResponse;

/// Per-request settings a client may put in the body (`drop_params`, `num_retries`, …).
#[derive(Debug, Clone, Default)]
pub struct RequestOverrides {
    pub drop_params: Option<bool>,
    pub additional_drop_params: Option<Vec<String>>,
    pub allowed_openai_params: Option<Vec<String>>,
    pub num_retries: Option<u32>,
    pub timeout: Option<Duration>,
    pub mock_response: Option<MockResponse>,
    /// The client's `metadata`: LiteLLM's, for logging and spend, never sent upstream.
    pub metadata: Option<Value>,
}

/// Body keys that belong to LiteLLM, not to the provider: never forwarded.
const LITELLM_KEYS: &[&str] = &[
    "api_base",
    "api_key",
    "api_version",
    "base_url",
    "cache",
    "caching",
    "context_window_fallbacks",
    "custom_llm_provider",
    "fallbacks",
    "guardrails",
    "input_cost_per_token",
    "litellm_call_id",
    "litellm_metadata",
    "litellm_session_id",
    "litellm_trace_id",
    "max_retries",
    "mock_delay",
    "mock_testing_fallbacks",
    "mock_timeout",
    "mock_tool_calls",
    "model_list",
    "no-log",
    "output_cost_per_token",
    "proxy_server_request",
    "request_timeout",
    "retry_policy",
    "secret_fields",
    "tags",
    "user_config",
];

impl RequestOverrides {
    /// Takes LiteLLM's keys out of a chat request: its extra fields and `metadata`.
    pub fn take_from_chat(req: &mut llmux_types::ChatRequest) -> Result<Self, Error> {
        let mut o = Self::take_from(&mut req.extra)?;
        o.metadata = req.metadata.take().filter(|m| !m.is_null());
        Ok(o)
    }

    /// Takes LiteLLM's keys out of a body's extra fields.
    pub fn take_from(extra: &mut JsonMap) -> Result<Self, Error> {
        let mut o = Self {
            drop_params: take_bool(extra, "drop_params")?,
            additional_drop_params: take_strings(extra, "additional_drop_params")?,
            allowed_openai_params: take_strings(extra, "allowed_openai_params")?,
            num_retries: take_u32(extra, "num_retries")?,
            timeout: take_secs(extra, "timeout")?,
            mock_response: None,
            metadata: extra.remove("metadata").filter(|m| !m.is_null()),
        };
        if let Some(v) = extra.remove("mock_response") {
            o.mock_response = MockResponse::from_json(&v);
        }
        for key in LITELLM_KEYS {
            extra.remove(*key);
        }
        Ok(o)
    }
}

fn invalid(key: &str, v: &Value, want: &str) -> Error {
    Error::bad_request(format!("invalid '{key}': expected {want}, got {v}")).with_param(key)
}

fn take_bool(extra: &mut JsonMap, key: &str) -> Result<Option<bool>, Error> {
    match extra.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(v) => Err(invalid(key, &v, "a boolean")),
    }
}

fn take_u32(extra: &mut JsonMap, key: &str) -> Result<Option<u32>, Error> {
    match extra.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| invalid(key, &v, "a non-negative integer")),
    }
}

fn take_secs(extra: &mut JsonMap, key: &str) -> Result<Option<Duration>, Error> {
    match extra.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(|s| Some(Duration::from_secs_f64(s)))
            .ok_or_else(|| invalid(key, &v, "a positive number of seconds")),
    }
}

fn take_strings(extra: &mut JsonMap, key: &str) -> Result<Option<Vec<String>>, Error> {
    match extra.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| invalid(key, i, "a list of strings"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(v) => Err(invalid(key, &v, "a list of strings")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn litellm_keys_are_taken_out_and_parsed() {
        let mut extra =
            json!({"drop_params": true, "num_retries": 1, "metadata": {"a": 1}, "top_k": 3})
                .as_object()
                .cloned()
                .unwrap();
        let o = RequestOverrides::take_from(&mut extra).unwrap();
        assert_eq!(o.drop_params, Some(true));
        assert_eq!(o.num_retries, Some(1));
        assert_eq!(extra.keys().collect::<Vec<_>>(), vec!["top_k"]);
    }

    #[test]
    fn bad_values_are_400s_naming_the_key() {
        let mut extra = json!({"num_retries": "many"}).as_object().cloned().unwrap();
        let e = RequestOverrides::take_from(&mut extra).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        assert_eq!(e.param.as_deref(), Some("num_retries"));
    }
}
