#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! Requests the gateway refuses before any upstream call.

use serde_json::{Value, json};

use crate::common::{Gateway, chat_body, one_model, send};

#[tokio::test]
async fn malformed_json_is_400_invalid_request_error() {
    let gw = Gateway::start(&one_model("{mock}/v1", "")).await;

    let reply = send(
        gw.post("/v1/chat/completions")
            .body(r#"{"model": "gpt-alias", "messages": ["#),
    )
    .await;

    let err = reply.assert_error(400, "invalid_request_error");
    assert_eq!(err["param"], Value::Null);
    assert!(reply.header("x-litellm-call-id").is_some());
    assert_eq!(gw.upstream().len(), 0);
}

#[tokio::test]
async fn missing_model_is_400_invalid_request_error() {
    let gw = Gateway::start(&one_model("{mock}/v1", "")).await;

    let reply = gw
        .chat(&json!({"messages": [{"role": "user", "content": "hi"}]}))
        .await;

    let err = reply.assert_error(400, "invalid_request_error");
    assert!(
        err["message"].as_str().unwrap().contains("model"),
        "names the missing field: {err}"
    );
    assert_eq!(gw.upstream().len(), 0);
}

#[tokio::test]
async fn unknown_model_is_400_naming_the_model() {
    let gw = Gateway::start(&one_model("{mock}/v1", "")).await;

    let reply = gw.chat(&chat_body("no-such-model")).await;

    let err = reply.assert_error(400, "invalid_request_error");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains("Invalid model name passed in model=no-such-model"),
        "{message}"
    );
    assert_eq!(err["param"], Value::Null);
    assert_eq!(gw.upstream().len(), 0);
}

#[tokio::test]
async fn model_of_an_unsupported_provider_is_400_saying_so_and_the_gateway_still_starts() {
    let yaml = r#"
model_list:
  - model_name: gpt-alias
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{mock}/v1"
      api_key: sk-x
  - model_name: claude-on-bedrock
    litellm_params:
      model: sagemaker/my-endpoint
"#;
    let gw = Gateway::start(yaml).await;

    let reply = gw.chat(&chat_body("claude-on-bedrock")).await;

    let err = reply.assert_error(400, "invalid_request_error");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains("does not support provider 'sagemaker'"),
        "{message}"
    );
    // The supported model next to it is served.
    gw.chat(&chat_body("gpt-alias")).await.ok_json();
    assert_eq!(gw.upstream().len(), 1);
}

#[tokio::test]
async fn body_over_max_request_size_is_413_with_an_openai_error_body() {
    let yaml = format!(
        "{}\ngeneral_settings:\n  max_request_size_mb: 0.001\n",
        one_model("{mock}/v1", "")
    );
    let gw = Gateway::start(&yaml).await;
    let mut body = chat_body("gpt-alias");
    body["messages"][0]["content"] = json!("x".repeat(4096));

    let reply = gw.chat(&body).await;

    let err = reply.assert_error(413, "invalid_request_error");
    assert!(
        err["message"].as_str().unwrap().contains("too large"),
        "{err}"
    );
    assert_eq!(gw.upstream().len(), 0);
    // A small body still passes the same limit.
    gw.chat(&chat_body("gpt-alias")).await.ok_json();
}

#[tokio::test]
async fn bad_litellm_override_in_the_body_is_400_naming_the_param() {
    let gw = Gateway::start(&one_model("{mock}/v1", "")).await;
    let mut body = chat_body("gpt-alias");
    body["num_retries"] = json!("many");

    let reply = gw.chat(&body).await;

    let err = reply.assert_error(400, "invalid_request_error");
    assert_eq!(err["param"], "num_retries");
    assert_eq!(gw.upstream().len(), 0);
}
