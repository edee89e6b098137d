//! Errors as the client sees them: LiteLLM's status and `{"error": {...}}` body.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use llmux::Error;

/// An error answer in OpenAI's shape (or Anthropic's, for `/v1/messages`).
#[derive(Debug)]
pub struct ApiError {
    pub error: Error,
    pub call_id: Option<String>,
    /// Gateway headers the answer carries (`x-litellm-attempted-retries`, …).
    pub headers: Vec<(&'static str, String)>,
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        Self {
            error,
            call_id: None,
            headers: Vec::new(),
        }
    }
}

impl ApiError {
    #[must_use]
    pub fn with_call_id(mut self, id: &str) -> Self {
        self.call_id = Some(id.to_owned());
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.error.status.as_u16())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.error.openai_body()).unwrap_or_default();
        let mut resp = (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
        let headers = resp.headers_mut();
        for (name, value) in &self.error.upstream_headers {
            // LiteLLM relays every upstream header as `llm_provider-*`, and the rate-limit
            // ones also as themselves; it never sets its own Retry-After on the answer.
            insert(headers, &format!("llm_provider-{name}"), value);
            if name.starts_with("x-ratelimit-") {
                insert(headers, name, value);
            }
        }
        if let Some(id) = &self.call_id {
            insert(headers, "x-litellm-call-id", id);
        }
        for (name, value) in &self.headers {
            insert(headers, name, value);
        }
        // The router's own 429 says when a deployment is back (upstream errors relay
        // the upstream's Retry-After as `llm_provider-retry-after` instead).
        if self.error.kind == llmux::ErrorKind::RouterRateLimit
            && let Some(after) = self.error.retry_after
        {
            insert(headers, "retry-after", &after.as_secs().max(1).to_string());
        }
        resp
    }
}

pub(crate) fn insert(headers: &mut axum::http::HeaderMap, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
        headers.insert(n, v);
    }
}
