//! Ollama error answers (`{"error": "…"}`) → typed errors, by status, with LiteLLM's
//! context-window phrases; the message is `OllamaException - <body>`.

use http::{HeaderMap, StatusCode};
use llmux_types::{Error, ErrorKind};

use crate::is_context_window_exceeded;
use crate::openai::{passthrough_headers, retry_after};

pub(super) fn map_error(
    provider_id: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let kind = if status == StatusCode::BAD_REQUEST && is_context_window_exceeded(text) {
        ErrorKind::ContextWindowExceeded
    } else {
        ErrorKind::from_status(status)
    };
    let mut err = Error::new(kind, format!("OllamaException - {text}")).with_provider(provider_id);
    if kind == ErrorKind::Api {
        err = err.with_status(status);
    }
    err.retry_after = retry_after(headers);
    err.upstream_headers = passthrough_headers(headers);
    err
}
