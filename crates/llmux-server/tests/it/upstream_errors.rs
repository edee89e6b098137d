#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! Upstream failures: retries, status mapping, timeouts, unreachable hosts.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Gateway, chat_body, one_model};

#[tokio::test]
async fn upstream_429_is_retried_then_surfaces_as_429_with_throttling_error() {
    let gw = Gateway::start(&one_model("{mock}/error/429/v1", "      num_retries: 1")).await;
    let started = Instant::now();

    let reply = gw.chat(&chat_body("gpt-alias")).await;

    let err = reply.assert_error(429, "throttling_error");
    assert_eq!(err["param"], Value::Null);
    let message = err["message"].as_str().unwrap();
    assert!(message.starts_with("litellm.RateLimitError"), "{message}");
    assert!(
        message.contains("Rate limit reached"),
        "the upstream's words: {message}"
    );
    assert_eq!(gw.upstream().len(), 2, "one try and one retry");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the retry waited for retry-after: 1 ({:?})",
        started.elapsed()
    );
    assert_eq!(reply.header("llm_provider-retry-after"), Some("1"));
    assert_eq!(
        reply.header("retry-after"),
        None,
        "LiteLLM never sets its own Retry-After"
    );
    assert!(reply.header("x-litellm-call-id").is_some());
}

#[tokio::test]
async fn upstream_500_once_is_retried_and_succeeds() {
    let gw = Gateway::start(&one_model("{mock}/fail_first/1/error/500/v1", "")).await;

    let reply = gw.chat(&chat_body("gpt-alias")).await;

    assert_eq!(reply.ok_json()["model"], "gpt-alias");
    assert_eq!(reply.header("x-litellm-attempted-retries"), Some("1"));
    assert_eq!(gw.upstream().len(), 2);
}

#[tokio::test]
async fn upstream_500_every_time_is_retried_num_retries_times_then_500() {
    let gw = Gateway::start(&one_model("{mock}/error/500/v1", "      num_retries: 1")).await;

    let reply = gw.chat(&chat_body("gpt-alias")).await;

    let err = reply.assert_error(500, "internal_server_error");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("The server had an error"),
        "{err}"
    );
    assert_eq!(gw.upstream().len(), 2);
}

#[tokio::test]
async fn upstream_400_is_not_retried_and_keeps_its_status() {
    let gw = Gateway::start(&one_model("{mock}/error/400/v1", "      num_retries: 3")).await;

    let reply = gw.chat(&chat_body("gpt-alias")).await;

    let err = reply.assert_error(400, "invalid_request_error");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("llmux-mock error with status 400"),
        "{err}"
    );
    assert_eq!(gw.upstream().len(), 1, "a 400 is never retried");
}

#[tokio::test]
async fn upstream_context_window_error_is_400_and_not_retried() {
    let gw = Gateway::start(&one_model("{mock}/error/400_context/v1", "")).await;

    let reply = gw.chat(&chat_body("gpt-alias")).await;

    let err = reply.assert_error(400, "invalid_request_error");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("litellm.ContextWindowExceededError"),
        "{err}"
    );
    assert_eq!(gw.upstream().len(), 1);
}

#[tokio::test]
async fn upstream_401_is_401_authentication_error_and_not_retried() {
    let gw = Gateway::start(&one_model("{mock}/error/401/v1", "")).await;

    let reply = gw.chat(&chat_body("gpt-alias")).await;

    let err = reply.assert_error(401, "authentication_error");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.starts_with("litellm.AuthenticationError"),
        "{message}"
    );
    assert!(message.contains("Incorrect API key"), "{message}");
    assert_eq!(gw.upstream().len(), 1);
}

#[tokio::test]
async fn upstream_slower_than_timeout_is_408() {
    let gw = Gateway::start(&one_model(
        "{mock}/delay/2000/v1",
        "      timeout: 0.2\n      num_retries: 0",
    ))
    .await;
    let started = Instant::now();

    let reply = gw.chat(&chat_body("gpt-alias")).await;

    let err = reply.assert_error(408, "invalid_request_error");
    let message = err["message"].as_str().unwrap();
    assert!(message.starts_with("litellm.Timeout"), "{message}");
    assert!(message.contains("timed out"), "{message}");
    assert_eq!(err["param"], Value::Null);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "the gateway gave up at the timeout, not when the upstream answered ({:?})",
        started.elapsed()
    );
    assert_eq!(gw.upstream().len(), 1);
}

#[tokio::test]
async fn unreachable_upstream_is_500_api_connection_error() {
    let yaml = r#"
model_list:
  - model_name: gpt-alias
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "http://127.0.0.1:1/v1"
      api_key: sk-x
      num_retries: 0
"#;
    let gw = Gateway::start(yaml).await;

    let reply = gw.chat(&chat_body("gpt-alias")).await;

    let err = reply.assert_error(500, "internal_server_error");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.starts_with("litellm.APIConnectionError"),
        "{message}"
    );
    assert!(
        message.to_lowercase().contains("connect"),
        "says it could not connect: {message}"
    );
    // Still serving.
    gw.get("/health/liveliness").await.ok_json();
}

#[tokio::test]
async fn upstream_invalid_json_is_an_error_answer_not_a_crash() {
    let gw = Gateway::start(&one_model("{mock}/bad_json/v1", "")).await;

    let reply = gw.chat(&chat_body("gpt-alias")).await;

    assert!(
        reply.status >= 400,
        "got {}: {}",
        reply.status,
        reply.text()
    );
    let err = reply.json()["error"].clone();
    assert_eq!(err["code"], reply.status.to_string());
    gw.get("/health/liveliness").await.ok_json();
}

/// LiteLLM names the provider's exception class in every mapped message
/// (`OpenAIException - …`), as llmux already does for upstream error answers.
#[tokio::test]
async fn connection_and_timeout_errors_name_the_provider_exception_class() {
    let unreachable = Gateway::start(
        r#"
model_list:
  - model_name: gpt-alias
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "http://127.0.0.1:1/v1"
      api_key: sk-x
      num_retries: 0
"#,
    )
    .await;
    let slow = Gateway::start(&one_model(
        "{mock}/delay/2000/v1",
        "      timeout: 0.2\n      num_retries: 0",
    ))
    .await;

    let refused = unreachable.chat(&chat_body("gpt-alias")).await;
    let timed_out = slow.chat(&chat_body("gpt-alias")).await;

    for (reply, status) in [(refused, 500), (timed_out, 408)] {
        let body = reply.json();
        let message = body["error"]["message"].as_str().unwrap();
        assert_eq!(reply.status, status);
        assert!(message.contains(": OpenAIException - "), "{message}");
    }
}

#[tokio::test]
async fn mock_response_rate_limit_magic_string_is_a_429_without_upstream() {
    let gw = Gateway::start(&one_model("{mock}/v1", "")).await;
    let mut body = chat_body("gpt-alias");
    body["mock_response"] = serde_json::json!("litellm.RateLimitError");

    let reply = gw.chat(&body).await;

    let err = reply.assert_error(429, "throttling_error");
    assert_eq!(err["param"], Value::Null);
    assert_eq!(gw.upstream().len(), 0);
}
