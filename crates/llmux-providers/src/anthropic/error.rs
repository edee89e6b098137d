//! Anthropic error answers → typed errors, as LiteLLM's `_map_anthropic_exception`
//! (`exception_mapping_utils.py`).

use http::{HeaderMap, StatusCode};
use llmux_types::{Error, ErrorKind};

use crate::openai::{passthrough_headers, retry_after};
use crate::{Provider, is_content_policy_violation, is_context_window_exceeded};

/// Maps an error answer. The message carries the upstream body as LiteLLM's does
/// (`AnthropicException - {"type": "error", …}`).
pub(super) fn map_error(
    provider: Provider,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    let text = String::from_utf8_lossy(body);
    let mut err = map_text(provider, status, text.trim());
    err.retry_after = retry_after(headers);
    err.upstream_headers = passthrough_headers(headers);
    err
}

/// The typed error for an upstream error `text` (the body, or a stream `error` event)
/// that came with `status`.
pub(super) fn map_text(provider: Provider, status: StatusCode, text: &str) -> Error {
    let (kind, prefix) = if text.contains("prompt is too long")
        || text.contains("prompt: length")
        || is_context_window_exceeded(text)
    {
        (ErrorKind::ContextWindowExceeded, "AnthropicError")
    } else if text.contains("overloaded_error") || text.contains("Overloaded") {
        // Anthropic's 529 "overloaded" is a server error, retried like a 500.
        (ErrorKind::InternalServer, "AnthropicError")
    } else if text.contains("Invalid API Key") {
        (ErrorKind::Authentication, "AnthropicError")
    } else if text.contains("content filtering policy") || is_content_policy_violation(text) {
        (ErrorKind::ContentPolicyViolation, "AnthropicError")
    } else {
        let kind = match status.as_u16() {
            401 => ErrorKind::Authentication,
            403 => ErrorKind::PermissionDenied,
            400 | 413 => ErrorKind::BadRequest,
            404 => ErrorKind::NotFound,
            408 | 504 => ErrorKind::Timeout,
            429 => ErrorKind::RateLimit,
            500 | 529 => ErrorKind::InternalServer,
            502 => ErrorKind::BadGateway,
            503 => ErrorKind::ServiceUnavailable,
            _ => ErrorKind::from_status(status),
        };
        (kind, "AnthropicException")
    };
    let mut err = Error::new(kind, format!("{prefix} - {text}")).with_provider(provider.id());
    // Kinds without a status of their own keep the upstream one (a 418 stays 418).
    if kind == ErrorKind::Api || (kind == ErrorKind::BadRequest && status.is_client_error()) {
        err = err.with_status(if status.as_u16() == 413 {
            StatusCode::BAD_REQUEST
        } else {
            status
        });
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn map(status: u16, body: &str, headers: &[(&str, &str)]) -> Error {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        map_error(
            Provider::Anthropic,
            StatusCode::from_u16(status).unwrap(),
            &h,
            body.as_bytes(),
        )
    }

    #[test]
    fn each_anthropic_error_type_maps_like_litellm() {
        let cases = [
            (
                400,
                r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}"#,
                ErrorKind::ContextWindowExceeded,
                400,
            ),
            (
                400,
                r#"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: field required"}}"#,
                ErrorKind::BadRequest,
                400,
            ),
            (
                401,
                r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
                ErrorKind::Authentication,
                401,
            ),
            (
                403,
                r#"{"type":"error","error":{"type":"permission_error","message":"no"}}"#,
                ErrorKind::PermissionDenied,
                403,
            ),
            (
                404,
                r#"{"type":"error","error":{"type":"not_found_error","message":"model: x"}}"#,
                ErrorKind::NotFound,
                404,
            ),
            (
                413,
                r#"{"type":"error","error":{"type":"request_too_large","message":"too big"}}"#,
                ErrorKind::BadRequest,
                400,
            ),
            (
                429,
                r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#,
                ErrorKind::RateLimit,
                429,
            ),
            (
                500,
                r#"{"type":"error","error":{"type":"api_error","message":"Internal server error"}}"#,
                ErrorKind::InternalServer,
                500,
            ),
            (
                529,
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                ErrorKind::InternalServer,
                500,
            ),
            (
                503,
                "upstream connect error",
                ErrorKind::ServiceUnavailable,
                503,
            ),
            (418, "teapot", ErrorKind::BadRequest, 418),
        ];
        for (status, body, kind, want_status) in cases {
            let e = map(status, body, &[]);
            assert_eq!(e.kind, kind, "{status} {body}");
            assert_eq!(e.status.as_u16(), want_status, "{status} {body}");
            assert!(e.message.contains(body), "{}", e.message);
            assert_eq!(e.provider.as_deref(), Some("anthropic"));
        }
    }

    #[test]
    fn rate_limits_keep_retry_after_and_headers() {
        let e = map(
            429,
            "{}",
            &[
                ("retry-after", "7"),
                ("anthropic-ratelimit-requests-remaining", "0"),
            ],
        );
        assert_eq!(e.retry_after, Some(Duration::from_secs(7)));
        assert!(
            e.upstream_headers
                .iter()
                .any(|(k, _)| k == "anthropic-ratelimit-requests-remaining")
        );
    }
}
