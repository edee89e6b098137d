//! The one place llmux touches the network: one pooled HTTP client and timeouts. One
//! call is one attempt; retries belong to the router.

use std::time::Duration;

use bytes::Bytes;
use llmux_types::{Error, ErrorKind};

use crate::Deployment;

/// Used when neither the deployment nor the call sets a timeout.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// How much of an upstream answer llmux holds in memory at once. An upstream over a
/// limit is a failed attempt with a clear error, never an unbounded buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest whole (non-streamed) upstream body, error bodies included.
    pub max_body_bytes: usize,
    /// Largest amount of a stream read without one complete event: bounds a single SSE
    /// event (or NDJSON line, or event-stream frame) and an upstream's endless line.
    pub max_event_bytes: usize,
}

impl Limits {
    /// 64 MiB: a long answer with logprobs, or a large batch of embeddings in base64,
    /// stays well under it.
    pub const DEFAULT_MAX_BODY_BYTES: usize = 64 << 20;
    /// 8 MiB: one streamed event carries one delta.
    pub const DEFAULT_MAX_EVENT_BYTES: usize = 8 << 20;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
            max_event_bytes: Self::DEFAULT_MAX_EVENT_BYTES,
        }
    }
}

/// The shared HTTP client.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    pub limits: Limits,
}

impl Transport {
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self {
            http,
            limits: Limits::default(),
        }
    }

    /// Sends `req` once, bounded by `timeout` to the response headers. Retries are the
    /// router's: it may send the next attempt to another deployment.
    pub async fn send(
        &self,
        dep: &Deployment,
        req: &http::Request<Bytes>,
        timeout: Duration,
    ) -> Result<reqwest::Response, Error> {
        match tokio::time::timeout(timeout, self.attempt(dep, req)).await {
            Ok(r) => r,
            Err(_) => Err(timeout_error(dep, timeout)),
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
            return match encoded_with(&response) {
                None => Ok(response),
                Some(encoding) => Err(Error::new(
                    ErrorKind::Api,
                    format!(
                        "{} - upstream sent a body with content-encoding `{encoding}`, which \
                         llmux never asks for and does not decode",
                        dep.provider.exception_name()
                    ),
                )
                .with_provider(dep.provider.id())
                .with_model(dep.model.clone())),
            };
        }
        let headers = response.headers().clone();
        let body = read_capped(dep, response, self.limits.max_body_bytes).await?;
        Err(dep
            .provider
            .map_error(status, &headers, &body)
            .with_model(dep.model.clone()))
    }
}

/// The `content-encoding` of a response, unless it is absent or `identity`. llmux sends
/// no `accept-encoding`, so an encoded body is either a misbehaving upstream or a label
/// on a plain body; decoding it as plain bytes would be a guess either way.
fn encoded_with(response: &reqwest::Response) -> Option<String> {
    let value = response.headers().get(http::header::CONTENT_ENCODING)?;
    let encoding = String::from_utf8_lossy(value.as_bytes()).trim().to_owned();
    (!encoding.is_empty() && !encoding.eq_ignore_ascii_case("identity")).then_some(encoding)
}

impl Transport {
    /// Reads a whole 2xx body within `left`, what the attempt's `timeout` has left, and
    /// at most [`Limits::max_body_bytes`] of it.
    pub(crate) async fn read_body(
        &self,
        dep: &Deployment,
        response: reqwest::Response,
        left: Duration,
        timeout: Duration,
    ) -> Result<Bytes, Error> {
        let read = read_capped(dep, response, self.limits.max_body_bytes);
        match tokio::time::timeout(left, read).await {
            Ok(body) => body,
            Err(_) => Err(timeout_error(dep, timeout)),
        }
    }
}

/// The whole body, failing as soon as it passes `max` bytes (a `content-length` over
/// it fails before anything is read).
async fn read_capped(
    dep: &Deployment,
    mut response: reqwest::Response,
    max: usize,
) -> Result<Bytes, Error> {
    let declared = response
        .content_length()
        .and_then(|n| usize::try_from(n).ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large(dep, "body", max));
    }
    let mut body = bytes::BytesMut::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| connection_error(dep, &e))?
    {
        if body.len().saturating_add(chunk.len()) > max {
            return Err(too_large(dep, "body", max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// An upstream answer over one of the [`Limits`]: a 500 naming the limit and its key.
pub(crate) fn too_large(dep: &Deployment, what: &str, max: usize) -> Error {
    let key = if what == "body" {
        "general_settings.max_upstream_response_size_mb"
    } else {
        "general_settings.max_upstream_event_size_mb"
    };
    Error::new(
        ErrorKind::Api,
        format!(
            "{} - upstream {what} is larger than llmux's limit of {max} bytes ({key})",
            dep.provider.exception_name()
        ),
    )
    .with_provider(dep.provider.id())
    .with_model(dep.model.clone())
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
