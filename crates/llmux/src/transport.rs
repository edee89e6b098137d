//! The one place llmux touches the network: one pooled HTTP client and timeouts. One
//! call is one attempt; retries belong to the router.

use std::time::Duration;

use bytes::Bytes;
use llmux_types::{Error, ErrorKind};

use crate::Deployment;

/// Used when neither the deployment nor the call sets a timeout.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// The shared HTTP client.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
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

/// The `content-encoding` of a response, unless it is absent or `identity`. llmux sends
/// no `accept-encoding`, so an encoded body is either a misbehaving upstream or a label
/// on a plain body; decoding it as plain bytes would be a guess either way.
fn encoded_with(response: &reqwest::Response) -> Option<String> {
    let value = response.headers().get(http::header::CONTENT_ENCODING)?;
    let encoding = String::from_utf8_lossy(value.as_bytes()).trim().to_owned();
    (!encoding.is_empty() && !encoding.eq_ignore_ascii_case("identity")).then_some(encoding)
}

/// Reads a whole 2xx body within `left`, what the attempt's `timeout` has left.
pub(crate) async fn read_body(
    dep: &Deployment,
    response: reqwest::Response,
    left: Duration,
    timeout: Duration,
) -> Result<Bytes, Error> {
    match tokio::time::timeout(left, response.bytes()).await {
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
