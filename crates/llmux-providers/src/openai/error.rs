//! OpenAI-format error answers → typed errors.

use std::time::Duration;

use http::{HeaderMap, StatusCode};
use llmux_types::{Error, ErrorKind};
use serde_json::Value;

use crate::{Provider, is_content_policy_violation, is_context_window_exceeded};

/// Maps an OpenAI-format error answer (`{"error": {"message", "type", "code", "param"}}`).
pub fn map_error(
    provider: Provider,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    let (message, code) = error_message(body);
    let mut kind = ErrorKind::from_status(status);
    if status == StatusCode::BAD_REQUEST || kind == ErrorKind::BadRequest {
        if code.as_deref() == Some("context_length_exceeded")
            || is_context_window_exceeded(&message)
        {
            kind = ErrorKind::ContextWindowExceeded;
        } else if code.as_deref() == Some("content_policy_violation")
            || is_content_policy_violation(&message)
        {
            kind = ErrorKind::ContentPolicyViolation;
        }
    }
    let mut err = Error::new(kind, format!("{} - {message}", exception_name(provider)))
        .with_provider(provider.id());
    if kind == ErrorKind::Api || kind == ErrorKind::BadRequest {
        err = err.with_status(status);
    }
    err.retry_after = retry_after(headers);
    err.upstream_headers = passthrough_headers(headers);
    err
}

/// LiteLLM's exception prefix per provider ("OpenAIException", "AzureException", …).
pub fn exception_name(provider: Provider) -> String {
    match provider {
        Provider::OpenAi => "OpenAIException".to_owned(),
        Provider::Azure => "AzureException".to_owned(),
        Provider::Anthropic | Provider::VertexAnthropic => "AnthropicException".to_owned(),
        Provider::Gemini => "GeminiException".to_owned(),
        Provider::VertexGemini => "VertexAIException".to_owned(),
        Provider::Bedrock | Provider::BedrockInvoke => "BedrockException".to_owned(),
        Provider::OllamaChat | Provider::Ollama => "OllamaException".to_owned(),
        Provider::CohereChat | Provider::Cohere => "CohereException".to_owned(),
        Provider::Compat(row) => {
            let mut name = String::new();
            for part in row.id.split('_') {
                let mut chars = part.chars();
                if let Some(first) = chars.next() {
                    name.extend(first.to_uppercase());
                    name.push_str(chars.as_str());
                }
            }
            name + "Exception"
        }
    }
}

/// The human message and machine code of an error body, whatever its shape.
pub fn error_message(body: &[u8]) -> (String, Option<String>) {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return (String::from_utf8_lossy(body).trim().to_owned(), None);
    };
    let err = value.get("error").unwrap_or(&value);
    let message = match err {
        Value::String(s) => s.clone(),
        _ => err
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| value.to_string(), str::to_owned),
    };
    let code = err.get("code").and_then(|c| match c {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    (message, code)
}

/// `retry-after-ms`, else `retry-after` in seconds (HTTP dates are ignored). A value
/// too large for a `Duration` (`retry-after: 1e20`) is ignored like a malformed one.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let parse = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok();
    let secs = |v: f64| Duration::try_from_secs_f64(v).ok();
    if let Some(d) = parse("retry-after-ms").and_then(|ms| secs(ms / 1000.0)) {
        return Some(d);
    }
    parse("retry-after").and_then(secs)
}

/// Upstream headers worth relaying (LiteLLM relays them as `llm_provider-*`).
pub fn passthrough_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| {
            !matches!(
                name.as_str(),
                "content-length"
                    | "transfer-encoding"
                    | "connection"
                    | "date"
                    | "server"
                    | "keep-alive"
            )
        })
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compat;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn rate_limit_keeps_429_and_retry_after() {
        let body = br#"{"error":{"message":"Rate limit reached for requests. Please try again in 1s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#;
        let e = map_error(
            Provider::OpenAi,
            StatusCode::TOO_MANY_REQUESTS,
            &headers(&[("retry-after", "1")]),
            body,
        );
        assert_eq!(e.kind, ErrorKind::RateLimit);
        assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(e.retry_after, Some(Duration::from_secs(1)));
        let mut huge = HeaderMap::new();
        huge.insert("retry-after", "1e20".parse().unwrap());
        assert_eq!(retry_after(&huge), None);
        huge.insert("retry-after", "-3".parse().unwrap());
        assert_eq!(retry_after(&huge), None);
        assert!(e.message.contains("OpenAIException - Rate limit reached"));
    }

    #[test]
    fn context_length_code_is_context_window_exceeded() {
        let body = br#"{"error":{"message":"This model's maximum context length is 8192 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#;
        let e = map_error(
            Provider::OpenAi,
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            body,
        );
        assert_eq!(e.kind, ErrorKind::ContextWindowExceeded);
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn unknown_status_keeps_its_code_and_plain_text_bodies_survive() {
        let e = map_error(
            Provider::OpenAi,
            StatusCode::from_u16(599).unwrap(),
            &HeaderMap::new(),
            b"boom",
        );
        assert_eq!(e.kind, ErrorKind::Api);
        assert_eq!(e.status.as_u16(), 599);
        assert!(e.message.ends_with("boom"));
    }

    #[test]
    fn exception_names_follow_the_provider() {
        let groq = Provider::Compat(compat::find("together_ai").unwrap());
        assert_eq!(exception_name(groq), "TogetherAiException");
        assert_eq!(exception_name(Provider::Azure), "AzureException");
    }
}
