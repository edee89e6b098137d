//! The one place llmux touches the network: one pooled HTTP client, timeouts, retries.

use std::time::Duration;

use bytes::Bytes;
use llmux_types::{Error, ErrorKind};
use rand::Rng;

use crate::Deployment;

/// LiteLLM's backoff (`utils.py: _calculate_retry_after`): 0.5 s doubling, at most 8 s.
const INITIAL_RETRY_DELAY: f64 = 0.5;
const MAX_RETRY_DELAY: f64 = 8.0;
/// A Retry-After beyond this is ignored in favour of the backoff, as LiteLLM does.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Used when neither the deployment nor the call sets a timeout.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// The shared HTTP client.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
}

/// An upstream answer with a 2xx status, body not read yet.
pub(crate) struct Upstream {
    pub response: reqwest::Response,
    pub attempts: u32,
}

impl Transport {
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self { http }
    }

    /// Sends `req` until it gets a 2xx or runs out of retries. Each attempt, body
    /// included when `read_body` is set, is bounded by `timeout`.
    pub async fn send(
        &self,
        dep: &Deployment,
        req: &http::Request<Bytes>,
        timeout: Duration,
        num_retries: u32,
    ) -> Result<Upstream, (Error, u32)> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = match tokio::time::timeout(timeout, self.attempt(dep, req)).await {
                Ok(r) => r,
                Err(_) => Err(timeout_error(dep, timeout)),
            };
            match result {
                Ok(response) => {
                    return Ok(Upstream {
                        response,
                        attempts: attempt,
                    });
                }
                Err(err) if attempt <= num_retries && err.is_retryable() => {
                    tokio::time::sleep(retry_delay(&err, attempt - 1)).await;
                }
                Err(err) => return Err((err, attempt)),
            }
        }
    }

    async fn attempt(
        &self,
        dep: &Deployment,
        req: &http::Request<Bytes>,
    ) -> Result<reqwest::Response, Error> {
        let response = self
            .http
            .request(req.method().clone(), req.uri().to_string())
            .headers(req.headers().clone())
            .body(req.body().clone())
            .send()
            .await
            .map_err(|e| connection_error(dep, &e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| connection_error(dep, &e))?;
        Err(dep
            .provider
            .map_error(status, &headers, &body)
            .with_model(dep.model.clone()))
    }
}

/// Reads a whole 2xx body within what is left of `timeout`.
pub(crate) async fn read_body(
    dep: &Deployment,
    response: reqwest::Response,
    timeout: Duration,
) -> Result<Bytes, Error> {
    match tokio::time::timeout(timeout, response.bytes()).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(e)) => Err(connection_error(dep, &e)),
        Err(_) => Err(timeout_error(dep, timeout)),
    }
}

pub(crate) fn connection_error(dep: &Deployment, e: &reqwest::Error) -> Error {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::ApiConnection
    };
    // reqwest's Display hides the cause ("error sending request"); walk the chain.
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    Error::new(
        kind,
        format!("{} - {detail}", dep.provider.exception_name()),
    )
    .with_provider(dep.provider.id())
    .with_model(dep.model.clone())
}

pub(crate) fn timeout_error(dep: &Deployment, timeout: Duration) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!(
            "{} - Request timed out after {:.1}s",
            dep.provider.exception_name(),
            timeout.as_secs_f64()
        ),
    )
    .with_provider(dep.provider.id())
    .with_model(dep.model.clone())
}

/// How long to wait before retry number `retries_done + 1`.
fn retry_delay(err: &Error, retries_done: u32) -> Duration {
    if let Some(after) = err
        .retry_after
        .filter(|d| !d.is_zero() && *d <= MAX_RETRY_AFTER)
    {
        return after;
    }
    let backoff =
        (INITIAL_RETRY_DELAY * 2f64.powi(retries_done.min(16) as i32)).min(MAX_RETRY_DELAY);
    let jitter = 1.0 - 0.25 * rand::rng().random::<f64>();
    Duration::from_secs_f64(backoff * jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_honoured_and_backoff_is_capped() {
        let mut e = Error::new(ErrorKind::RateLimit, "x");
        e.retry_after = Some(Duration::from_secs(1));
        assert_eq!(retry_delay(&e, 0), Duration::from_secs(1));
        e.retry_after = Some(Duration::from_secs(120));
        assert!(retry_delay(&e, 0) <= Duration::from_secs_f64(0.5));
        assert!(retry_delay(&e, 10) <= Duration::from_secs(8));
        assert!(retry_delay(&e, 10) >= Duration::from_secs(6));
    }
}
