//! LiteLLM's own keys inside a request body, taken out before the body is forwarded and
//! parsed into [`RequestKeys`].
//!
//! Every key LiteLLM reads from a body is in [`KEYS`] with what llmux does with it: acts
//! on it, warns that it does not act on it yet (a log line once per key name), or refuses
//! the request with a 400 naming it (keys that ask for protection llmux does not give, or
//! that would let a client redirect the gateway's credentials). Nothing is deleted
//! silently.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use llmux_types::{Error, JsonMap};
use serde_json::Value;

use crate::MockResponse;
use crate::cache::CacheControls;
use crate::config::RetryPolicy;

/// A fallback list as LiteLLM's router settings write it: `[{"group": ["a", "b"]}]`.
pub type FallbackMap = Vec<HashMap<String, Vec<String>>>;

/// Per-call settings the [`Client`](crate::Client) reads (`drop_params`, `timeout`, …).
#[derive(Debug, Clone, Default)]
pub struct RequestOverrides {
    pub drop_params: Option<bool>,
    pub additional_drop_params: Option<Vec<String>>,
    pub allowed_openai_params: Option<Vec<String>>,
    pub num_retries: Option<u32>,
    pub timeout: Option<Duration>,
    /// `stream_timeout`: for a streamed request, it comes before every other timeout
    /// (LiteLLM's `Router._get_stream_timeout` reads the call's kwargs first); a request
    /// that does not stream ignores it, as LiteLLM's does.
    pub stream_timeout: Option<Duration>,
    pub mock_response: Option<MockResponse>,
    /// The client's `metadata`: LiteLLM's, for logging and spend, never sent upstream.
    pub metadata: Option<Value>,
}

/// What the client's body asks of the router and the rest of the pipeline.
#[derive(Debug, Clone, Default)]
pub struct RequestKeys {
    pub overrides: RequestOverrides,
    /// `fallbacks`: model groups to try after the requested one fails.
    pub fallbacks: Option<Vec<String>>,
    /// `context_window_fallbacks`, as the router setting or a plain list.
    pub context_window_fallbacks: Option<FallbackMap>,
    pub content_policy_fallbacks: Option<FallbackMap>,
    pub disable_fallbacks: bool,
    pub max_fallbacks: Option<u32>,
    pub retry_policy: Option<RetryPolicy>,
    /// `mock_testing_*`: fail the first model group with this kind, to test fallbacks.
    pub mock_failure: Option<MockFailure>,
    /// `mock_timeout: true`: every attempt times out.
    pub mock_timeout: bool,
    /// `mock_delay`: sleep before a mocked answer.
    pub mock_delay: Option<Duration>,
    /// `tags` (body or `metadata.tags`): tag-based routing.
    pub tags: Vec<String>,
    /// `cache`: the per-request controls of the response cache.
    pub cache: CacheControls,
    /// `caching`: `false` keeps this request away from the response cache, `true` asks
    /// for it.
    pub caching: Option<bool>,
    pub session_id: Option<String>,
    pub trace_id: Option<String>,
}

/// Which error `mock_testing_*` raises on the first model group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MockFailure {
    Fallbacks,
    ContextWindow,
    ContentPolicy,
    RateLimit,
}

/// What llmux does with a LiteLLM body key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Parsed into [`RequestKeys`] and acted on.
    Acted,
    /// Taken out and named in a warning: llmux does not act on it yet.
    Warned,
    /// The request is refused with a 400 naming the key.
    Refused,
}

/// Every LiteLLM body key llmux knows, and its disposition.
pub const KEYS: &[(&str, Disposition)] = &[
    ("drop_params", Disposition::Acted),
    ("additional_drop_params", Disposition::Acted),
    ("allowed_openai_params", Disposition::Acted),
    ("num_retries", Disposition::Acted),
    ("max_retries", Disposition::Acted),
    ("timeout", Disposition::Acted),
    ("request_timeout", Disposition::Acted),
    ("stream_timeout", Disposition::Acted),
    ("mock_response", Disposition::Acted),
    ("metadata", Disposition::Acted),
    ("litellm_metadata", Disposition::Acted),
    ("fallbacks", Disposition::Acted),
    ("context_window_fallbacks", Disposition::Acted),
    ("content_policy_fallbacks", Disposition::Acted),
    ("disable_fallbacks", Disposition::Acted),
    ("max_fallbacks", Disposition::Acted),
    ("retry_policy", Disposition::Acted),
    ("mock_testing_fallbacks", Disposition::Acted),
    ("mock_testing_context_fallbacks", Disposition::Acted),
    ("mock_testing_content_policy_fallbacks", Disposition::Acted),
    ("mock_testing_rate_limit_error", Disposition::Acted),
    ("mock_timeout", Disposition::Acted),
    ("mock_delay", Disposition::Acted),
    ("tags", Disposition::Acted),
    ("cache", Disposition::Acted),
    ("caching", Disposition::Acted),
    ("no-log", Disposition::Warned),
    ("litellm_session_id", Disposition::Warned),
    ("litellm_trace_id", Disposition::Warned),
    ("litellm_call_id", Disposition::Warned),
    ("input_cost_per_token", Disposition::Warned),
    ("output_cost_per_token", Disposition::Warned),
    ("mock_tool_calls", Disposition::Warned),
    ("custom_llm_provider", Disposition::Warned),
    ("api_version", Disposition::Warned),
    ("proxy_server_request", Disposition::Warned),
    ("secret_fields", Disposition::Warned),
    ("guardrails", Disposition::Refused),
    ("api_base", Disposition::Refused),
    ("base_url", Disposition::Refused),
    ("api_key", Disposition::Refused),
    ("user_config", Disposition::Refused),
    ("model_list", Disposition::Refused),
];

/// Key names warned about so far (each is logged once per process).
static WARNED: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());

/// The body keys this process has warned about, in name order.
pub fn warned_keys() -> Vec<&'static str> {
    WARNED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .copied()
        .collect()
}

fn warn_once(key: &'static str) {
    let first = WARNED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key);
    if first {
        tracing::warn!(
            key,
            "request body key `{key}` is not acted on by llmux yet; it was taken out of the request and not forwarded (logged once)"
        );
    }
}

fn refusal(key: &str) -> Error {
    let why = match key {
        "guardrails" => "guardrails are not supported by llmux yet, so the protection it asks for cannot be given".to_owned(),
        "api_base" | "base_url" | "api_key" | "user_config" | "model_list" => format!(
            "Rejected Request: {key} is not allowed in request body. Client-side credentials and endpoints are not accepted by this gateway."
        ),
        _ => format!("'{key}' is not allowed in the request body"),
    };
    Error::bad_request(why).with_param(key)
}

impl RequestKeys {
    /// Takes LiteLLM's keys out of a chat request: its extra fields and `metadata`.
    pub fn take_from_chat(req: &mut llmux_types::ChatRequest) -> Result<Self, Error> {
        if let Some(m) = req.metadata.take().filter(|m| !m.is_null()) {
            req.extra.insert("metadata".into(), m);
        }
        Self::take_from(&mut req.extra)
    }

    /// Takes LiteLLM's keys out of a body's extra fields. The body's own `metadata` is
    /// taken too (merged with `litellm_metadata`).
    pub fn take_from(extra: &mut JsonMap) -> Result<Self, Error> {
        // Most requests carry none of LiteLLM's keys: nothing to look for.
        if extra.is_empty() {
            return Ok(Self::default());
        }
        if let Some((key, _)) = KEYS.iter().find(|(k, d)| {
            *d == Disposition::Refused && extra.get(*k).is_some_and(|v| !v.is_null())
        }) {
            return Err(refusal(key));
        }
        let mut metadata = extra.remove("metadata").filter(|m| !m.is_null());
        if let Some(Value::Object(lm)) = extra.remove("litellm_metadata") {
            match &mut metadata {
                Some(Value::Object(m)) => {
                    for (k, v) in lm {
                        m.entry(k).or_insert(v);
                    }
                }
                _ => metadata = Some(Value::Object(lm)),
            }
        }
        let mock_response = match extra.remove("mock_response") {
            None | Some(Value::Null) => None,
            Some(v) => Some(MockResponse::from_json(&v).ok_or_else(|| {
                invalid(
                    "mock_response",
                    &v,
                    "a string, a chat completion object or a list of numbers",
                )
            })?),
        };
        let mut tags = take_strings(extra, "tags")?.unwrap_or_default();
        if let Some(Value::Array(meta_tags)) = metadata.as_ref().and_then(|m| m.get("tags")) {
            for t in meta_tags.iter().filter_map(Value::as_str) {
                if !tags.iter().any(|x| x == t) {
                    tags.push(t.to_owned());
                }
            }
        }
        let mock_failure = [
            ("mock_testing_fallbacks", MockFailure::Fallbacks),
            ("mock_testing_context_fallbacks", MockFailure::ContextWindow),
            (
                "mock_testing_content_policy_fallbacks",
                MockFailure::ContentPolicy,
            ),
            ("mock_testing_rate_limit_error", MockFailure::RateLimit),
        ]
        .into_iter()
        .try_fold(None, |found, (key, kind)| {
            Ok::<_, Error>(match take_bool(extra, key)? {
                Some(true) if found.is_none() => Some(kind),
                _ => found,
            })
        })?;
        let keys =
            Self {
                overrides: RequestOverrides {
                    drop_params: take_bool(extra, "drop_params")?,
                    additional_drop_params: take_strings(extra, "additional_drop_params")?,
                    allowed_openai_params: take_strings(extra, "allowed_openai_params")?,
                    num_retries: match take_u32(extra, "num_retries")? {
                        Some(n) => Some(n),
                        None => take_u32(extra, "max_retries")?,
                    },
                    timeout: match take_secs(extra, "timeout")? {
                        Some(t) => Some(t),
                        None => take_secs(extra, "request_timeout")?,
                    },
                    stream_timeout: take_secs(extra, "stream_timeout")?,
                    mock_response,
                    metadata,
                },
                fallbacks: take_fallback_names(extra, "fallbacks")?,
                context_window_fallbacks: take_fallback_map(extra, "context_window_fallbacks")?,
                content_policy_fallbacks: take_fallback_map(extra, "content_policy_fallbacks")?,
                disable_fallbacks: take_bool(extra, "disable_fallbacks")?.unwrap_or(false),
                max_fallbacks: take_u32(extra, "max_fallbacks")?,
                retry_policy: match extra.remove("retry_policy") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(serde_json::from_value(v.clone()).map_err(|e| {
                        invalid("retry_policy", &v, &format!("a retry policy ({e})"))
                    })?),
                },
                mock_failure,
                mock_timeout: take_bool(extra, "mock_timeout")?.unwrap_or(false),
                mock_delay: take_secs_or_zero(extra, "mock_delay")?,
                tags,
                cache: match extra.remove("cache") {
                    None | Some(Value::Null) => CacheControls::default(),
                    Some(v) => CacheControls::parse(&v)?,
                },
                caching: take_bool(extra, "caching")?,
                session_id: extra
                    .get("litellm_session_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                trace_id: extra
                    .get("litellm_trace_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            };
        for (key, d) in KEYS {
            if *d == Disposition::Warned && extra.remove(*key).is_some() {
                warn_once(key);
            }
        }
        Ok(keys)
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

/// Longest timeout a request may ask for: a day. Beyond it `Duration` arithmetic on
/// `Instant`s could overflow, and no upstream call is meant to last that long.
const MAX_SECS: f64 = 86_400.0;

fn secs_of(v: &Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .filter(|s: &f64| s.is_finite())
}

fn take_secs(extra: &mut JsonMap, key: &str) -> Result<Option<Duration>, Error> {
    match extra.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => secs_of(&v)
            .filter(|s| *s > 0.0 && *s <= MAX_SECS)
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .map(Some)
            .ok_or_else(|| invalid(key, &v, "a number of seconds, above 0 and at most 86400")),
    }
}

fn take_secs_or_zero(extra: &mut JsonMap, key: &str) -> Result<Option<Duration>, Error> {
    match extra.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => secs_of(&v)
            .filter(|s| *s >= 0.0 && *s <= MAX_SECS)
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .map(Some)
            .ok_or_else(|| invalid(key, &v, "a number of seconds, from 0 to 86400")),
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

/// `["gpt-4o-mini", {"model": "claude"}]`: model group names in order.
fn take_fallback_names(extra: &mut JsonMap, key: &str) -> Result<Option<Vec<String>>, Error> {
    match extra.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                Value::Object(o) => o
                    .get("model")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| invalid(key, i, "a model name or {\"model\": …}")),
                _ => Err(invalid(key, i, "a model name or {\"model\": …}")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(v) => Err(invalid(key, &v, "a list of model names")),
    }
}

/// `[{"gpt-4o": ["gpt-4o-32k"]}]`, or a plain list (applied to the requested group,
/// stored under `"*"`).
fn take_fallback_map(extra: &mut JsonMap, key: &str) -> Result<Option<FallbackMap>, Error> {
    let Some(v) = extra.remove(key).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    if let Ok(map) = serde_json::from_value::<FallbackMap>(v.clone()) {
        return Ok(Some(map));
    }
    let mut probe = JsonMap::new();
    probe.insert(key.to_owned(), v);
    let names = take_fallback_names(&mut probe, key)?.unwrap_or_default();
    Ok(Some(vec![HashMap::from([("*".to_owned(), names)])]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> JsonMap {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn litellm_keys_are_taken_out_and_parsed() {
        let mut extra = map(
            json!({"drop_params": true, "num_retries": 1, "metadata": {"a": 1, "tags": ["t1"]}, "top_k": 3,
            "fallbacks": ["b", {"model": "c"}], "mock_testing_fallbacks": true, "tags": ["t0"]}),
        );
        let k = RequestKeys::take_from(&mut extra).unwrap();
        assert_eq!(k.overrides.drop_params, Some(true));
        assert_eq!(k.overrides.num_retries, Some(1));
        assert_eq!(k.fallbacks, Some(vec!["b".to_owned(), "c".to_owned()]));
        assert_eq!(k.mock_failure, Some(MockFailure::Fallbacks));
        assert_eq!(k.tags, vec!["t0", "t1"]);
        assert_eq!(extra.keys().collect::<Vec<_>>(), vec!["top_k"]);
    }

    #[test]
    fn stream_timeout_is_a_per_request_stream_timeout_taken_out_of_the_body() {
        let mut extra = map(json!({"stream_timeout": "0.25", "timeout": 9, "top_k": 3}));
        let k = RequestKeys::take_from(&mut extra).unwrap();
        assert_eq!(k.overrides.stream_timeout, Some(Duration::from_millis(250)));
        assert_eq!(k.overrides.timeout, Some(Duration::from_secs(9)));
        assert_eq!(
            extra.keys().collect::<Vec<_>>(),
            vec!["top_k"],
            "never forwarded"
        );
    }

    #[test]
    fn bad_values_are_400s_naming_the_key() {
        for body in [
            json!({"num_retries": "many"}),
            json!({"timeout": 1e20}),
            json!({"timeout": -1}),
            json!({"stream_timeout": 1e20}),
            json!({"stream_timeout": "soon"}),
            json!({"mock_response": 12}),
            json!({"fallbacks": "x"}),
        ] {
            let key = body.as_object().unwrap().keys().next().unwrap().clone();
            let e = RequestKeys::take_from(&mut map(body)).unwrap_err();
            assert_eq!(e.status.as_u16(), 400);
            assert_eq!(e.param.as_deref(), Some(key.as_str()));
        }
    }

    #[test]
    fn every_known_key_is_acted_on_warned_or_refused() {
        for (key, d) in KEYS {
            let mut extra = map(json!({ *key: true, "keep": 1 }));
            let r = RequestKeys::take_from(&mut extra);
            match d {
                Disposition::Refused => {
                    let e = r.unwrap_err();
                    assert_eq!(e.param.as_deref(), Some(*key));
                }
                // A boolean is not a valid value for every acted-on key; either way the
                // key never reaches the provider.
                Disposition::Acted => assert!(!extra.contains_key(*key) || r.is_err(), "{key}"),
                Disposition::Warned => {
                    r.unwrap();
                    assert!(!extra.contains_key(*key), "{key}");
                    assert!(warned_keys().contains(key), "{key}");
                }
            }
        }
    }
}
