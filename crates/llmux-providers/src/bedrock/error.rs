//! Bedrock error answers → typed errors, as LiteLLM's `BedrockError` and
//! `exception_mapping_utils.py` (bedrock branch) map them:
//!
//! - a 400 whose message says the input is too long is `ContextWindowExceeded`
//!   (`BedrockException: Context Window Error - …`);
//! - 400 → BadRequest, 401 → Authentication, 403 → PermissionDenied
//!   (AccessDeniedException), 404 → NotFound, 408 → Timeout, 422 → Unprocessable,
//!   429 (ThrottlingException) → RateLimit;
//! - every 5xx → ServiceUnavailable (503), as the oracle shows LiteLLM answering.
//!
//! The message is `BedrockException - <raw body>`.

use http::{HeaderMap, StatusCode};
use llmux_types::{Error, ErrorKind};

use crate::is_context_window_exceeded;
use crate::openai::{passthrough_headers, retry_after};

pub(super) fn map_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let error_type = headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|t| t.split(':').next().unwrap_or(t))
        .unwrap_or_default();
    let mut err = classify(status, error_type, text);
    err.retry_after = retry_after(headers);
    err.upstream_headers = passthrough_headers(headers);
    err
}

fn classify(status: StatusCode, error_type: &str, text: &str) -> Error {
    let too_long = text.contains("Input is too long")
        || text.contains("input is too long")
        || text.contains("too many total text bytes")
        || is_context_window_exceeded(text);
    if status == StatusCode::BAD_REQUEST && too_long {
        return Error::new(
            ErrorKind::ContextWindowExceeded,
            format!("BedrockException: Context Window Error - {text}"),
        )
        .with_provider("bedrock");
    }
    let kind = match (status.as_u16(), error_type) {
        (_, "ThrottlingException") | (429, _) => ErrorKind::RateLimit,
        (_, "AccessDeniedException") | (403, _) => ErrorKind::PermissionDenied,
        (_, "UnrecognizedClientException") | (401, _) => ErrorKind::Authentication,
        (400, _) => ErrorKind::BadRequest,
        (404, _) => ErrorKind::NotFound,
        (408, _) => ErrorKind::Timeout,
        (422, _) => ErrorKind::UnprocessableEntity,
        (s, _) if s >= 500 => ErrorKind::ServiceUnavailable,
        _ => ErrorKind::Api,
    };
    let mut err = Error::new(kind, format!("BedrockException - {text}")).with_provider("bedrock");
    if kind == ErrorKind::Api {
        err = err.with_status(status);
    }
    err
}

/// An exception message inside a ConverseStream (`:exception-type`).
pub(super) fn stream_exception(exception_type: &str, payload: &[u8]) -> Error {
    let status = match exception_type {
        "throttlingException" => StatusCode::TOO_MANY_REQUESTS,
        "validationException" => StatusCode::BAD_REQUEST,
        "accessDeniedException" => StatusCode::FORBIDDEN,
        "serviceUnavailableException" => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut capitalised = exception_type.to_owned();
    if let Some(first) = capitalised.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    let text = String::from_utf8_lossy(payload);
    classify(status, &capitalised, text.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(t: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-amzn-errortype", t.parse().unwrap());
        h
    }

    #[test]
    fn statuses_map_as_litellm_maps_them() {
        let e = map_error(
            StatusCode::BAD_REQUEST,
            &headers("ValidationException"),
            br#"{"message": "Input is too long for requested model."}"#,
        );
        assert_eq!(e.kind, ErrorKind::ContextWindowExceeded);
        let e = map_error(StatusCode::INTERNAL_SERVER_ERROR, &HeaderMap::new(), b"{}");
        assert_eq!(
            (e.kind, e.status.as_u16()),
            (ErrorKind::ServiceUnavailable, 503)
        );
        let e = map_error(
            StatusCode::BAD_REQUEST,
            &headers("ThrottlingException:http://x"),
            b"{}",
        );
        assert_eq!(e.status.as_u16(), 429);
        let e = map_error(
            StatusCode::FORBIDDEN,
            &headers("AccessDeniedException"),
            b"{}",
        );
        assert_eq!(e.status.as_u16(), 403);
        let e = stream_exception("throttlingException", br#"{"message":"slow"}"#);
        assert_eq!(e.kind, ErrorKind::RateLimit);
        assert!(e.message.contains("slow"));
    }
}
