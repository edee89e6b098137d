//! `generic_api`: batches of payloads POSTed to a URL, as LiteLLM's `GenericAPILogger`
//! (`integrations/generic_api/`): `endpoint` (or `GENERIC_LOGGER_ENDPOINT`), `headers`
//! (or `GENERIC_LOGGER_HEADERS`, `k=v,k2=v2`), `log_format` (`json_array`, the default;
//! `ndjson`; `single`, one POST per event), `batch_size` (512), `flush_interval` (5 s),
//! `max_retries`, `retry_delay` (exponential backoff), `timeout`.
//!
//! This is network I/O, done on the sink's own task only. A timeout, a connection error,
//! a 429 or a 5xx is retried; after the last retry, or on any other status, the batch is
//! given up and counted ([`Sink::failed_events`], `litellm_callback_logging_failures_metric`).
//! While a batch is being retried the queue fills, and a full queue drops (and counts)
//! new events: the requests never wait.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{Map, Value};

use super::payload::StandardLoggingPayload;
use super::queue::Sink;

/// Longest wait between two retries, whatever `retry_delay` and the attempt say.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    JsonArray,
    Ndjson,
    Single,
}

/// `callback_settings.generic_api`.
#[derive(Debug, Clone, PartialEq)]
pub struct GenericApiSettings {
    pub endpoint: String,
    pub headers: Vec<(String, String)>,
    pub log_format: LogFormat,
    pub batch_size: usize,
    pub flush_interval: Duration,
    pub max_retries: u32,
    pub retry_delay: Duration,
    pub timeout: Duration,
}

impl GenericApiSettings {
    /// From the options, then the environment; errors name the option.
    pub fn from_options(
        opts: &Map<String, Value>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, (&'static str, String)> {
        let endpoint = match opts.get("endpoint") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(v) if !v.is_null() => {
                return Err(("endpoint", format!("expected a URL, got {v}")));
            }
            _ => env("GENERIC_LOGGER_ENDPOINT")
                .filter(|s| !s.is_empty())
                .ok_or((
                    "endpoint",
                    "generic_api needs an endpoint (or GENERIC_LOGGER_ENDPOINT)".to_owned(),
                ))?,
        };
        reqwest::Url::parse(&endpoint).map_err(|e| ("endpoint", format!("{endpoint}: {e}")))?;
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        let mut set = |k: &str, v: String| {
            let k = k.trim().to_ascii_lowercase();
            headers.retain(|(h, _)| *h != k);
            headers.push((k, v));
        };
        if let Some(h) = env("GENERIC_LOGGER_HEADERS") {
            for item in h.split(',') {
                if let Some((k, v)) = item.split_once('=') {
                    set(k, v.trim().to_owned());
                }
            }
        }
        match opts.get("headers") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    set(k, v);
                }
            }
            Some(v) => return Err(("headers", format!("expected a mapping, got {v}"))),
        }
        let log_format = match opts.get("log_format").and_then(Value::as_str) {
            None | Some("json_array") => LogFormat::JsonArray,
            Some("ndjson") => LogFormat::Ndjson,
            Some("single") => LogFormat::Single,
            Some(other) => {
                return Err((
                    "log_format",
                    format!("{other}: must be one of json_array, ndjson, single"),
                ));
            }
        };
        let secs = |key: &'static str, default: f64| -> Result<Duration, (&'static str, String)> {
            match opts.get(key) {
                None | Some(Value::Null) => Ok(Duration::from_secs_f64(default)),
                Some(v) => v
                    .as_f64()
                    .filter(|s| *s >= 0.0)
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .ok_or((key, format!("expected seconds, got {v}"))),
            }
        };
        let count = |key: &'static str, default: u64| -> Result<u64, (&'static str, String)> {
            match opts.get(key) {
                None | Some(Value::Null) => Ok(default),
                Some(v) => v
                    .as_u64()
                    .ok_or((key, format!("expected a non-negative integer, got {v}"))),
            }
        };
        Ok(Self {
            endpoint,
            headers,
            log_format,
            batch_size: usize::try_from(count("batch_size", 512)?)
                .unwrap_or(usize::MAX)
                .max(1),
            flush_interval: secs("flush_interval", 5.0)?,
            max_retries: u32::try_from(count("max_retries", 3)?).unwrap_or(u32::MAX),
            retry_delay: secs("retry_delay", 1.0)?,
            timeout: secs("timeout", 10.0)?,
        })
    }
}

/// The generic API sink.
#[derive(Debug)]
pub struct GenericApiSink {
    settings: GenericApiSettings,
    http: reqwest::Client,
    failed: AtomicU64,
}

/// Why one POST did not deliver.
enum PostError {
    Retryable(String),
    Final(String),
}

impl GenericApiSink {
    pub fn new(settings: GenericApiSettings) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            settings,
            http,
            failed: AtomicU64::new(0),
        })
    }

    async fn post(&self, body: Vec<u8>) -> Result<(), PostError> {
        let mut req = self.http.post(&self.settings.endpoint);
        for (k, v) in &self.settings.headers {
            req = req.header(k, v);
        }
        match req.body(body).send().await {
            Ok(resp) => {
                let status = resp.status();
                if status.is_success() {
                    Ok(())
                } else if status.is_server_error() || status.as_u16() == 429 {
                    Err(PostError::Retryable(format!("status {status}")))
                } else {
                    Err(PostError::Final(format!("status {status}")))
                }
            }
            Err(e) => Err(PostError::Retryable(e.to_string())),
        }
    }

    /// One body, with the retries; `true` when delivered.
    async fn deliver(&self, body: Vec<u8>) -> bool {
        let mut attempt: u32 = 0;
        loop {
            match self.post(body.clone()).await {
                Ok(()) => return true,
                Err(PostError::Retryable(e)) if attempt < self.settings.max_retries => {
                    let factor = 2f64.powi(i32::try_from(attempt).unwrap_or(i32::MAX));
                    let wait = Duration::try_from_secs_f64(
                        self.settings.retry_delay.as_secs_f64() * factor,
                    )
                    .unwrap_or(MAX_RETRY_WAIT)
                    .min(MAX_RETRY_WAIT);
                    tracing::debug!(
                        callback = "generic_api",
                        attempt,
                        "retrying log delivery: {e}"
                    );
                    tokio::time::sleep(wait).await;
                    attempt = attempt.saturating_add(1);
                }
                Err(PostError::Retryable(e) | PostError::Final(e)) => {
                    tracing::warn!(
                        callback = "generic_api",
                        endpoint = %self.settings.endpoint,
                        "log delivery failed: {e}"
                    );
                    return false;
                }
            }
        }
    }
}

impl Sink for GenericApiSink {
    fn name(&self) -> &'static str {
        "generic_api"
    }

    fn batch_size(&self) -> usize {
        self.settings.batch_size
    }

    fn flush_interval(&self) -> Duration {
        self.settings.flush_interval
    }

    fn failed_events(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    fn write<'a>(&'a self, batch: &'a [Arc<StandardLoggingPayload>]) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let bodies: Vec<(Vec<u8>, u64)> = match self.settings.log_format {
                LogFormat::JsonArray => {
                    let events: Vec<&StandardLoggingPayload> =
                        batch.iter().map(Arc::as_ref).collect();
                    serde_json::to_vec(&events)
                        .map(|b| vec![(b, batch.len() as u64)])
                        .unwrap_or_default()
                }
                LogFormat::Ndjson => {
                    let mut b = Vec::new();
                    for e in batch {
                        if serde_json::to_writer(&mut b, e.as_ref()).is_ok() {
                            b.push(b'\n');
                        }
                    }
                    vec![(b, batch.len() as u64)]
                }
                LogFormat::Single => batch
                    .iter()
                    .filter_map(|e| serde_json::to_vec(e.as_ref()).ok().map(|b| (b, 1)))
                    .collect(),
            };
            let results = futures::future::join_all(
                bodies
                    .into_iter()
                    .map(|(body, n)| async move { (self.deliver(body).await, n) }),
            )
            .await;
            for (delivered, n) in results {
                if !delivered {
                    self.failed.fetch_add(n, Ordering::Relaxed);
                }
            }
        })
    }
}
