//! The per-request `cache` controls, as LiteLLM reads them from a body (or the OpenAI
//! SDK's `extra_body`, which arrives merged into the body):
//! `{"no-cache": true, "no-store": true, "ttl": 60, "s-maxage": 10, "namespace": "x"}`.

use std::time::Duration;

use llmux_types::Error;
use serde_json::Value;

/// Longest `ttl` or `s-maxage` accepted: ten years (`Duration` arithmetic stays safe).
const MAX_SECS: f64 = 10.0 * 365.0 * 86_400.0;

/// What one request asks of the response cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheControls {
    /// `no-cache`: do not answer from the cache (the answer is still stored).
    pub no_cache: bool,
    /// `no-store`: do not store the answer.
    pub no_store: bool,
    /// `ttl`: how long this answer is kept, instead of `cache_params.ttl`.
    pub ttl: Option<Duration>,
    /// `s-maxage` (or `s-max-age`): accept only a cached answer at most this old.
    pub s_maxage: Option<Duration>,
    /// `namespace`: the key's prefix, instead of `cache_params.namespace`.
    pub namespace: Option<String>,
    /// `use-cache`: opt in when the cache's `mode` is `default_off`.
    pub use_cache: bool,
}

impl CacheControls {
    /// Parses the body's `cache` value; a wrong type is a 400 naming the key.
    pub fn parse(v: &Value) -> Result<Self, Error> {
        let Value::Object(map) = v else {
            return Err(bad("cache", v, "an object such as {\"no-cache\": true}"));
        };
        let mut c = Self::default();
        for (k, v) in map {
            let path = format!("cache.{k}");
            match k.as_str() {
                "no-cache" => c.no_cache = flag(&path, v)?,
                "no-store" => c.no_store = flag(&path, v)?,
                "use-cache" => c.use_cache = flag(&path, v)?,
                "ttl" => c.ttl = secs(&path, v)?,
                "s-maxage" | "s-max-age" => c.s_maxage = secs(&path, v)?,
                "namespace" => {
                    c.namespace = match v {
                        Value::Null => None,
                        Value::String(s) if s.is_empty() => None,
                        Value::String(s) => Some(s.clone()),
                        _ => return Err(bad(&path, v, "a string")),
                    }
                }
                _ => {
                    return Err(Error::bad_request(format!(
                        "unknown cache control '{k}': expected no-cache, no-store, ttl, s-maxage, namespace or use-cache"
                    ))
                    .with_param("cache"));
                }
            }
        }
        Ok(c)
    }
}

fn bad(key: &str, v: &Value, want: &str) -> Error {
    Error::bad_request(format!("invalid '{key}': expected {want}, got {v}")).with_param("cache")
}

fn flag(key: &str, v: &Value) -> Result<bool, Error> {
    match v {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(bad(key, v, "a boolean")),
    }
}

fn secs(key: &str, v: &Value) -> Result<Option<Duration>, Error> {
    if v.is_null() {
        return Ok(None);
    }
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .filter(|s| s.is_finite() && *s >= 0.0 && *s <= MAX_SECS)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .map(Some)
        .ok_or_else(|| bad(key, v, "a number of seconds, at least 0"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_control_is_read_as_litellm_names_it() {
        let c = CacheControls::parse(&json!({
            "no-cache": true, "no-store": "true", "ttl": 60, "s-max-age": 1.5,
            "namespace": "team-a", "use-cache": true
        }))
        .unwrap();
        assert!(c.no_cache && c.no_store && c.use_cache);
        assert_eq!(c.ttl, Some(Duration::from_secs(60)));
        assert_eq!(c.s_maxage, Some(Duration::from_millis(1500)));
        assert_eq!(c.namespace.as_deref(), Some("team-a"));
        assert_eq!(
            CacheControls::parse(&json!({"s-maxage": 0}))
                .unwrap()
                .s_maxage,
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn bad_values_are_400s_naming_the_control() {
        for (body, needle) in [
            (json!({"ttl": -1}), "cache.ttl"),
            (json!({"ttl": "soon"}), "cache.ttl"),
            (json!({"no-cache": 3}), "cache.no-cache"),
            (json!({"namespace": 1}), "cache.namespace"),
            (json!({"nocache": true}), "nocache"),
            (json!(true), "'cache'"),
        ] {
            let e = CacheControls::parse(&body).unwrap_err();
            assert_eq!(e.status.as_u16(), 400, "{body}");
            assert!(e.message.contains(needle), "{body}: {}", e.message);
        }
    }
}
