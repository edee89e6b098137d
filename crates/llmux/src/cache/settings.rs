//! `litellm_settings.cache_params`, read as LiteLLM's `Cache(**cache_params)` reads them.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value};

/// LiteLLM's `DEFAULT_CACHING_SUPPORTED_CALL_TYPES`.
pub const DEFAULT_CALL_TYPES: &[&str] = &[
    "completion",
    "acompletion",
    "embedding",
    "aembedding",
    "atranscription",
    "transcription",
    "atext_completion",
    "text_completion",
    "arerank",
    "rerank",
    "responses",
    "aresponses",
    "anthropic_messages",
    "aanthropic_messages",
];

/// Where answers are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheType {
    /// In this process (moka), bounded by entries and bytes.
    Local,
    /// In Redis, shared by every instance.
    Redis,
    /// In a file (redb), kept across restarts, bounded in size.
    Disk,
}

impl CacheType {
    /// LiteLLM's name (`/cache/ping` reports it).
    pub fn name(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Redis => "redis",
            Self::Disk => "disk",
        }
    }
}

/// How to reach the cache's Redis.
#[derive(Clone)]
pub struct CacheRedis {
    /// `redis://[:password@]host:port[/db]`.
    pub url: String,
    /// One operation's limit; past it the request goes on without the cache.
    pub op_timeout: Duration,
}

impl std::fmt::Debug for CacheRedis {
    /// Without the URL: it may carry the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheRedis")
            .field("op_timeout", &self.op_timeout)
            .finish_non_exhaustive()
    }
}

/// The response cache's configuration.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    pub kind: CacheType,
    /// `ttl` (or `default_in_memory_ttl` / `default_in_redis_ttl` for their type): how
    /// long answers are kept when the request does not say. Local entries default to
    /// LiteLLM's `InMemoryCache` 600 s; Redis and disk keep them until evicted.
    pub ttl: Option<Duration>,
    pub namespace: Option<String>,
    /// `supported_call_types`.
    pub call_types: Vec<String>,
    /// `mode: default_off`: only requests with `cache: {"use-cache": true}` use it.
    pub opt_in: bool,
    /// `max_messages`: requests with more messages are neither looked up nor stored
    /// (LiteLLM's default 4; `null` lifts the limit).
    pub max_messages: Option<usize>,
    /// `router_settings.caching_groups`: groups that share answers.
    pub caching_groups: Vec<Vec<String>>,
    /// Local: `max_size_in_memory` entries (LiteLLM's default 200)…
    pub max_entries: u64,
    /// … and `max_bytes_in_memory` bytes (llmux's; 64 MiB).
    pub max_bytes: u64,
    /// Largest answer kept, bytes (`max_size_per_item`, KB, LiteLLM's 1024).
    pub max_item_bytes: u64,
    pub redis: Option<CacheRedis>,
    /// Disk: `disk_cache_dir` (LiteLLM's default `.litellm_cache`)…
    pub disk_dir: PathBuf,
    /// … bounded by `disk_cache_size_limit` bytes (diskcache's default, 1 GiB).
    pub disk_max_bytes: u64,
}

/// A bad `cache_params` value: its path and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct CacheConfigError {
    pub path: String,
    pub message: String,
}

const PATH: &str = "litellm_settings.cache_params";

/// Keys of `cache_params` that are read here.
const KNOWN: &[&str] = &[
    "type",
    "host",
    "port",
    "password",
    "url",
    "redis_url",
    "namespace",
    "ttl",
    "default_in_memory_ttl",
    "default_in_redis_ttl",
    "supported_call_types",
    "mode",
    "max_messages",
    "max_size_in_memory",
    "max_bytes_in_memory",
    "max_size_per_item",
    "disk_cache_dir",
    "disk_cache_size_limit",
    "socket_timeout",
];

impl CacheSettings {
    /// From `cache_params` (`None` when only `cache: true` is set: a local cache);
    /// `env` answers LiteLLM's `REDIS_URL` / `REDIS_HOST` / `REDIS_PORT` /
    /// `REDIS_PASSWORD` fallbacks. Also returns the keys it does not act on.
    pub fn from_params(
        params: Option<&Map<String, Value>>,
        caching_groups: Vec<Vec<String>>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(Self, Vec<String>), CacheConfigError> {
        let empty = Map::new();
        let p = params.unwrap_or(&empty);
        let kind = match str_of(p, "type")?.as_deref() {
            None | Some("local") => CacheType::Local,
            Some("redis") => CacheType::Redis,
            Some("disk") => CacheType::Disk,
            Some(other) => {
                return Err(err(
                    "type",
                    format!(
                        "cache type '{other}' is not supported by llmux (local, redis or disk)"
                    ),
                ));
            }
        };
        let type_ttl = match kind {
            CacheType::Local => secs(p, "default_in_memory_ttl")?,
            CacheType::Redis => secs(p, "default_in_redis_ttl")?,
            CacheType::Disk => None,
        };
        let ttl = type_ttl.or(secs(p, "ttl")?).or(match kind {
            CacheType::Local => Some(Duration::from_secs(600)),
            _ => None,
        });
        let call_types = match p.get("supported_call_types") {
            None | Some(Value::Null) => {
                DEFAULT_CALL_TYPES.iter().map(|s| (*s).to_owned()).collect()
            }
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_owned).ok_or_else(|| {
                        err("supported_call_types", format!("expected names, got {v}"))
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(v) => {
                return Err(err(
                    "supported_call_types",
                    format!("expected a list, got {v}"),
                ));
            }
        };
        let opt_in = match str_of(p, "mode")?.as_deref() {
            None | Some("default_on") => false,
            Some("default_off") => true,
            Some(other) => {
                return Err(err(
                    "mode",
                    format!("expected default_on or default_off, got '{other}'"),
                ));
            }
        };
        let max_messages = match p.get("max_messages") {
            None => Some(4),
            Some(Value::Null) => None,
            Some(v) => Some(
                count(v).ok_or_else(|| err("max_messages", format!("expected a count, got {v}")))?
                    as usize,
            ),
        };
        let redis = match kind {
            CacheType::Redis => Some(redis_of(p, env)?),
            _ => None,
        };
        let ignored = p
            .keys()
            .filter(|k| !KNOWN.contains(&k.as_str()))
            .map(|k| format!("{PATH}.{k}"))
            .collect();
        let settings = Self {
            kind,
            ttl,
            namespace: str_of(p, "namespace")?.filter(|n| !n.is_empty()),
            call_types,
            opt_in,
            max_messages,
            caching_groups,
            max_entries: count_or(p, "max_size_in_memory", 200)?.max(1),
            max_bytes: count_or(p, "max_bytes_in_memory", 64 << 20)?.max(1),
            max_item_bytes: count_or(p, "max_size_per_item", 1024)?.saturating_mul(1024),
            redis,
            disk_dir: str_of(p, "disk_cache_dir")?
                .map_or_else(|| PathBuf::from(".litellm_cache"), PathBuf::from),
            disk_max_bytes: count_or(p, "disk_cache_size_limit", 1 << 30)?.max(1),
        };
        Ok((settings, ignored))
    }

    /// A local cache with LiteLLM's defaults.
    pub fn local() -> Self {
        let none = |_: &str| None;
        match Self::from_params(None, Vec::new(), &none) {
            Ok((s, _)) => s,
            // Unreachable: no params cannot be wrong; keep a sane value regardless.
            Err(_) => Self {
                kind: CacheType::Local,
                ttl: Some(Duration::from_secs(600)),
                namespace: None,
                call_types: DEFAULT_CALL_TYPES.iter().map(|s| (*s).to_owned()).collect(),
                opt_in: false,
                max_messages: Some(4),
                caching_groups: Vec::new(),
                max_entries: 200,
                max_bytes: 64 << 20,
                max_item_bytes: 1 << 20,
                redis: None,
                disk_dir: PathBuf::from(".litellm_cache"),
                disk_max_bytes: 1 << 30,
            },
        }
    }

    /// Whether a call of LiteLLM's `call_type` (`acompletion`, …) is cached.
    pub fn caches(&self, call_type: &str) -> bool {
        let sync = call_type.strip_prefix('a').unwrap_or(call_type);
        self.call_types
            .iter()
            .any(|t| t == call_type || t == sync || t.strip_prefix('a') == Some(call_type))
    }
}

fn err(key: &str, message: String) -> CacheConfigError {
    CacheConfigError {
        path: format!("{PATH}.{key}"),
        message,
    }
}

fn str_of(p: &Map<String, Value>, key: &str) -> Result<Option<String>, CacheConfigError> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(v) => Err(err(key, format!("expected a string, got {v}"))),
    }
}

fn count(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

fn count_or(p: &Map<String, Value>, key: &str, default: u64) -> Result<u64, CacheConfigError> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => count(v).ok_or_else(|| err(key, format!("expected a whole number, got {v}"))),
    }
}

fn secs(p: &Map<String, Value>, key: &str) -> Result<Option<Duration>, CacheConfigError> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .filter(|s| s.is_finite() && *s > 0.0 && *s <= 10.0 * 365.0 * 86_400.0)
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .map(Some)
            .ok_or_else(|| {
                err(
                    key,
                    format!("expected a number of seconds above 0, got {v}"),
                )
            }),
    }
}

/// LiteLLM's order: `url`, else `host` + `port` + `password`, else `REDIS_URL`, else
/// `REDIS_HOST` + `REDIS_PORT` (+ `REDIS_PASSWORD`).
fn redis_of(
    p: &Map<String, Value>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<CacheRedis, CacheConfigError> {
    let url = match (
        str_of(p, "url")?.or(str_of(p, "redis_url")?),
        str_of(p, "host")?,
    ) {
        (Some(url), _) if !url.is_empty() => url,
        (_, Some(host)) if !host.is_empty() => {
            let port = str_of(p, "port")?.unwrap_or_else(|| "6379".into());
            match str_of(p, "password")?.filter(|pw| !pw.is_empty()) {
                Some(pw) => format!("redis://:{pw}@{host}:{port}"),
                None => format!("redis://{host}:{port}"),
            }
        }
        _ => match (env("REDIS_URL"), env("REDIS_HOST"), env("REDIS_PORT")) {
            (Some(url), _, _) if !url.is_empty() => url,
            (_, Some(host), Some(port)) => match env("REDIS_PASSWORD").filter(|p| !p.is_empty()) {
                Some(pw) => format!("redis://:{pw}@{host}:{port}"),
                None => format!("redis://{host}:{port}"),
            },
            _ => {
                return Err(err(
                    "host",
                    "a redis cache needs host (and port, password) or url, or REDIS_URL / REDIS_HOST and REDIS_PORT in the environment".into(),
                ));
            }
        },
    };
    let op_timeout = secs(p, "socket_timeout")?.unwrap_or(Duration::from_millis(250));
    Ok(CacheRedis { url, op_timeout })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<(CacheSettings, Vec<String>), CacheConfigError> {
        let none = |_: &str| None;
        CacheSettings::from_params(v.as_object(), Vec::new(), &none)
    }

    #[test]
    fn litellm_defaults_and_names() {
        let (s, ignored) = parse(json!({})).unwrap();
        assert_eq!(s.kind, CacheType::Local);
        assert_eq!(s.ttl, Some(Duration::from_secs(600)));
        assert_eq!(s.max_messages, Some(4));
        assert!(ignored.is_empty());
        assert!(
            s.caches("acompletion") && s.caches("aembedding") && s.caches("anthropic_messages")
        );
        assert!(!s.caches("count_tokens"));
        let (s, ignored) = parse(json!({"type": "redis", "host": "h", "port": 1, "password": "pw",
            "ttl": 30, "namespace": "ns", "supported_call_types": ["completion"], "max_messages": null,
            "similarity_threshold": 0.8})).unwrap();
        assert_eq!(s.redis.as_ref().unwrap().url, "redis://:pw@h:1");
        assert!(!format!("{s:?}").contains("pw"), "Debug hides the password");
        assert_eq!(s.ttl, Some(Duration::from_secs(30)));
        assert!(s.caches("acompletion") && !s.caches("aembedding"));
        assert_eq!(s.max_messages, None);
        assert_eq!(
            ignored,
            vec!["litellm_settings.cache_params.similarity_threshold"]
        );
    }

    #[test]
    fn bad_values_name_their_path() {
        for (v, path) in [
            (json!({"type": "s3"}), "cache_params.type"),
            (json!({"type": "redis"}), "cache_params.host"),
            (json!({"ttl": "x"}), "cache_params.ttl"),
            (json!({"mode": "sometimes"}), "cache_params.mode"),
        ] {
            let e = parse(v.clone()).unwrap_err();
            assert!(e.to_string().contains(path), "{v}: {e}");
        }
    }
}
