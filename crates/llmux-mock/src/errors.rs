//! Provider-native error responses.

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use crate::control::ErrorControl;
use crate::template::response;

/// Which provider's error shape to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    OpenAi,
    Anthropic,
    Gemini,
    Bedrock,
    Cohere,
    Ollama,
}

/// The response for an `/error/{status}` control.
pub(crate) fn control_error(
    family: Family,
    error: ErrorControl,
    retry_after: Option<&str>,
) -> Response {
    let status = error.status;
    let body = match family {
        Family::OpenAi => openai_error_body(error),
        Family::Anthropic => anthropic_error_body(error),
        Family::Gemini => crate::gemini::error_body(status.as_u16(), error.context),
        Family::Bedrock | Family::Cohere | Family::Ollama => {
            crate::families::error_body(family, status, error.context)
        }
    };
    let mut response = error_response(status, &body);
    if family == Family::Bedrock {
        response.headers_mut().insert(
            "x-amzn-errortype",
            HeaderValue::from_static(crate::families::bedrock_error_type(status)),
        );
    }
    let retry_after = retry_after.or((status == StatusCode::TOO_MANY_REQUESTS).then_some("1"));
    // A value that is not a valid header (cannot happen for a path segment) is left out.
    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(v).ok()) {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}

fn openai_error_body(error: ErrorControl) -> Value {
    let (message, kind, param, code) = match error.status.as_u16() {
        400 if error.context => (
            "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.".to_owned(),
            "invalid_request_error",
            json!("messages"),
            json!("context_length_exceeded"),
        ),
        401 => (
            "Incorrect API key provided: sk-fake*****.".to_owned(),
            "invalid_request_error",
            Value::Null,
            json!("invalid_api_key"),
        ),
        429 => (
            "Rate limit reached for requests. Please try again in 1s.".to_owned(),
            "requests",
            Value::Null,
            json!("rate_limit_exceeded"),
        ),
        500 => (
            "The server had an error while processing your request. Sorry about that!".to_owned(),
            "server_error",
            Value::Null,
            Value::Null,
        ),
        code => (
            format!("llmux-mock error with status {code}"),
            if code >= 500 { "server_error" } else { "invalid_request_error" },
            Value::Null,
            Value::Null,
        ),
    };
    openai_body(&message, kind, param, code)
}

fn anthropic_error_body(error: ErrorControl) -> Value {
    let (kind, message) = match error.status.as_u16() {
        400 if error.context => (
            "invalid_request_error",
            "prompt is too long: 210000 tokens > 200000 maximum".to_owned(),
        ),
        400 => ("invalid_request_error", "llmux-mock invalid request".to_owned()),
        401 => ("authentication_error", "invalid x-api-key".to_owned()),
        403 => (
            "permission_error",
            "Your API key does not have permission to use the specified resource.".to_owned(),
        ),
        404 => ("not_found_error", "The requested resource could not be found.".to_owned()),
        413 => ("request_too_large", "Request exceeds the maximum allowed number of bytes.".to_owned()),
        429 => (
            "rate_limit_error",
            "This request would exceed the rate limit for your organization. Please try again later.".to_owned(),
        ),
        500 => ("api_error", "Internal server error".to_owned()),
        529 => ("overloaded_error", "Overloaded".to_owned()),
        code if code < 500 => ("invalid_request_error", format!("llmux-mock error with status {code}")),
        code => ("api_error", format!("llmux-mock error with status {code}")),
    };
    anthropic_body(kind, &message)
}

/// `{"error":{"message","type","param","code"}}`.
pub(crate) fn openai_body(message: &str, kind: &str, param: Value, code: Value) -> Value {
    json!({"error": {"message": message, "type": kind, "param": param, "code": code}})
}

/// `{"type":"error","error":{"type","message"}}`.
pub(crate) fn anthropic_body(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}})
}

/// A JSON error response.
pub(crate) fn error_response(status: StatusCode, body: &Value) -> Response {
    response(status, "application/json", body.to_string().into())
}

/// A 400 for a malformed request body or control.
pub(crate) fn bad_request(family: Family, message: &str) -> Response {
    let body = match family {
        Family::OpenAi => openai_body(message, "invalid_request_error", Value::Null, Value::Null),
        Family::Anthropic => anthropic_body("invalid_request_error", message),
        Family::Gemini => crate::gemini::body(400, message),
        Family::Bedrock | Family::Cohere => json!({"message": message}),
        Family::Ollama => json!({"error": message}),
    };
    error_response(StatusCode::BAD_REQUEST, &body)
}

/// A 400 for a body that does not parse.
pub(crate) fn bad_body(family: Family, error: &serde_json::Error) -> Response {
    bad_request(
        family,
        &format!("We could not parse the JSON body of your request: {error}"),
    )
}

/// The 404 for an unknown route.
pub(crate) fn not_found(method: &str, path: &str) -> Response {
    let message = format!(
        "Unknown request URL: {method} {path}. Please check the URL for typos, or see the docs at https://platform.openai.com/docs/api-reference/."
    );
    let body = openai_body(
        &message,
        "invalid_request_error",
        Value::Null,
        json!("unknown_url"),
    );
    error_response(StatusCode::NOT_FOUND, &body)
}
