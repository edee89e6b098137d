//! Gemini / Vertex AI error answers → typed errors, as LiteLLM's `_map_vertex_exception`
//! (`litellm_core_utils/exception_mapping_utils.py`).
//!
//! LiteLLM matches phrases of the raw body first, then falls back on the status. The
//! message is `GeminiException - <raw body>`, as LiteLLM prints it.

use http::{HeaderMap, StatusCode};
use llmux_types::{Error, ErrorKind};
use serde_json::Value;

use crate::openai::{exception_name, passthrough_headers, retry_after};
use crate::{Provider, is_context_window_exceeded};

/// Maps a Gemini error answer.
pub fn map_error(
    provider: Provider,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let kind = classify(status, text);
    let mut err = Error::new(kind, format!("{} - {text}", exception_name(provider)))
        .with_provider(provider.id());
    if kind == ErrorKind::Api {
        err = err.with_status(status);
    }
    err.retry_after = retry_after(headers);
    err.upstream_headers = passthrough_headers(headers);
    err
}

/// An error event inside a stream (`{"error": {"code", "message", "status"}}`, which
/// Vertex AI sends with a 200): LiteLLM raises it with the event's code.
pub(crate) fn stream_error(error: &Value) -> Error {
    let Value::Object(e) = error else {
        return Error::new(
            ErrorKind::InternalServer,
            format!("Unexpected error format in mid-stream chunk: {error}"),
        )
        .with_provider("gemini");
    };
    let code = match e.get("code") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .and_then(|c| u16::try_from(c).ok())
    .and_then(|c| StatusCode::from_u16(c).ok())
    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = format!(
        "{} - {}",
        e.get("status").and_then(Value::as_str).unwrap_or("UNKNOWN"),
        e.get("message")
            .and_then(Value::as_str)
            .unwrap_or("Unknown error")
    );
    let kind = classify(code, &message);
    let mut err = Error::new(kind, format!("GeminiException - {message}")).with_provider("gemini");
    if kind == ErrorKind::Api {
        err = err.with_status(code);
    }
    err
}

/// LiteLLM's order: phrases of the body, then the status.
fn classify(status: StatusCode, text: &str) -> ErrorKind {
    let has = |s: &str| text.contains(s);
    if has("Vertex AI API has not been used in project") || has("Unable to find your project") {
        return ErrorKind::BadRequest;
    }
    if has("400 Request payload size exceeds") || is_context_window_exceeded(text) {
        return ErrorKind::ContextWindowExceeded;
    }
    if has("None Unknown Error.") || has("Content has no parts.") {
        return ErrorKind::InternalServer;
    }
    // Gemini answers a bad key with 400 INVALID_ARGUMENT.
    if has("API key not valid.") {
        return ErrorKind::Authentication;
    }
    // LiteLLM looks for "403" anywhere in the body and calls it a bad request.
    if has("403") {
        return ErrorKind::BadRequest;
    }
    if has("The response was blocked.") || has("Output blocked by content filtering policy") {
        return ErrorKind::ContentPolicyViolation;
    }
    if has("429 Quota exceeded")
        || has("Quota exceeded for")
        || has("Resource exhausted")
        || has("IndexError: list index out of range")
        || has("429 Unable to submit request because the service is temporarily out of capacity.")
    {
        return ErrorKind::RateLimit;
    }
    // A gateway wrapping a 429 in a 5xx envelope.
    if status.is_server_error() && body_code(text) == Some(429) {
        return ErrorKind::RateLimit;
    }
    if has("500 Internal Server Error") || has("The model is overloaded.") {
        return ErrorKind::InternalServer;
    }
    match status.as_u16() {
        400 => ErrorKind::BadRequest,
        401 => ErrorKind::Authentication,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        408 => ErrorKind::Timeout,
        429 => ErrorKind::RateLimit,
        500 => ErrorKind::InternalServer,
        // LiteLLM raises APIConnectionError for a Vertex 502.
        502 => ErrorKind::ApiConnection,
        503 => ErrorKind::ServiceUnavailable,
        _ => ErrorKind::from_status(status),
    }
}

/// `error.code` of a JSON error body.
fn body_code(text: &str) -> Option<u64> {
    let v: Value = serde_json::from_str(text).ok()?;
    let code = v.get("error")?.get("code")?;
    code.as_u64().or_else(|| code.as_str()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(status: u16, body: &str) -> Error {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "1".parse().unwrap());
        map_error(
            Provider::Gemini,
            StatusCode::from_u16(status).unwrap(),
            &headers,
            body.as_bytes(),
        )
    }

    #[test]
    fn resource_exhausted_is_a_rate_limit_with_retry_after() {
        let e = map(
            429,
            r#"{"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}}"#,
        );
        assert_eq!(e.kind, ErrorKind::RateLimit);
        assert_eq!(e.status.as_u16(), 429);
        assert_eq!(e.retry_after, Some(std::time::Duration::from_secs(1)));
        assert!(e.message.starts_with("GeminiException - {"));
        assert!(
            e.message
                .contains("Resource has been exhausted (e.g. check quota).")
        );
    }

    #[test]
    fn too_many_tokens_is_context_window_exceeded() {
        let e = map(
            400,
            r#"{"error": {"code": 400, "message": "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).", "status": "INVALID_ARGUMENT"}}"#,
        );
        assert_eq!(e.kind, ErrorKind::ContextWindowExceeded);
        assert_eq!(e.status.as_u16(), 400);
    }

    #[test]
    fn bad_keys_and_statuses() {
        let e = map(
            400,
            r#"{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT"}}"#,
        );
        assert_eq!(e.kind, ErrorKind::Authentication);
        assert_eq!(
            map(401, r#"{"error": {"code": 401}}"#).kind,
            ErrorKind::Authentication
        );
        assert_eq!(
            map(403, r#"{"error": {"code": 403}}"#).kind,
            ErrorKind::BadRequest
        );
        assert_eq!(
            map(500, r#"{"error": {"code": 500}}"#).kind,
            ErrorKind::InternalServer
        );
        assert_eq!(
            map(503, r#"{"error": {"code": 503}}"#).kind,
            ErrorKind::ServiceUnavailable
        );
        assert_eq!(
            map(503, r#"{"error": {"code": 429}}"#).kind,
            ErrorKind::RateLimit
        );
        let odd = map(418, "teapot");
        assert_eq!(
            (odd.kind, odd.status.as_u16()),
            (ErrorKind::BadRequest, 400)
        );
        let odd = map(599, "boom");
        assert_eq!((odd.kind, odd.status.as_u16()), (ErrorKind::Api, 599));
    }

    #[test]
    fn stream_errors_keep_their_code() {
        let e = stream_error(
            &serde_json::json!({"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}),
        );
        assert_eq!(e.kind, ErrorKind::RateLimit);
        assert!(e.message.contains("RESOURCE_EXHAUSTED - slow down"));
    }
}
