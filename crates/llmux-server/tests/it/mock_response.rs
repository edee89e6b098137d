#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! `mock_response` (issue #7, item 4): embeddings and text completions are mocked as
//! LiteLLM mocks them, and a malformed mock is an error, never a call to the real
//! (billed) upstream.

use serde_json::json;

use crate::common::{Gateway, one_model};

const EMBED: &str = "
  - model_name: emb
    litellm_params:
      model: openai/text-embedding-3-small
      api_base: \"{mock}/v1\"
      api_key: sk-x
";

#[tokio::test]
async fn embeddings_mock_response_answers_the_vector_without_the_upstream() {
    let gw = Gateway::start(&format!("{}{EMBED}", one_model("{mock}/v1", ""))).await;

    let reply = gw
        .post_json(
            "/v1/embeddings",
            &json!({"model": "emb", "input": "hi", "mock_response": [0.5, -0.25]}),
        )
        .await;

    let body = reply.ok_json();
    assert_eq!(body["object"], "list");
    assert_eq!(body["data"][0]["embedding"], json!([0.5, -0.25]), "{body}");
    assert_eq!(body["data"][0]["index"], 0);
    assert_eq!(body["usage"]["prompt_tokens"], 10, "LiteLLM's mock usage");
    assert!(gw.upstream().is_empty(), "the upstream was not called");
}

#[tokio::test]
async fn text_completion_mock_response_answers_the_text_without_the_upstream() {
    let gw = Gateway::start(&one_model("{mock}/v1", "")).await;

    let reply = gw
        .post_json(
            "/v1/completions",
            &json!({"model": "gpt-alias", "prompt": "hi", "mock_response": "mocked words"}),
        )
        .await;

    let body = reply.ok_json();
    assert_eq!(body["object"], "text_completion", "{body}");
    assert_eq!(body["choices"][0]["text"], "mocked words", "{body}");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert!(gw.upstream().is_empty(), "the upstream was not called");
}

#[tokio::test]
async fn streamed_text_completion_mock_response_streams_the_text_without_the_upstream() {
    let gw = Gateway::start(&one_model("{mock}/v1", "")).await;

    let reply = gw
        .post_json(
            "/v1/completions",
            &json!({"model": "gpt-alias", "prompt": "hi", "stream": true, "mock_response": "mocked words"}),
        )
        .await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    let events = crate::common::sse_json(&reply);
    let text: String = events
        .iter()
        .filter_map(|e| e["choices"][0]["text"].as_str())
        .collect();
    assert_eq!(text, "mocked words");
    assert_eq!(
        events.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );
    assert!(
        events.iter().all(|e| e["object"] == "text_completion"),
        "{events:?}"
    );
    assert!(gw.upstream().is_empty(), "the upstream was not called");
}

#[tokio::test]
async fn a_malformed_request_mock_response_is_a_400_without_the_upstream() {
    let gw = Gateway::start(&one_model("{mock}/v1", "")).await;
    for mock in [
        json!(42),
        json!(true),
        json!(["x"]),
        json!({"choices": "none"}),
    ] {
        let reply = gw
            .chat(&json!({
                "model": "gpt-alias",
                "messages": [{"role": "user", "content": "hi"}],
                "mock_response": mock,
            }))
            .await;
        let err = reply.assert_error(400, "invalid_request_error");
        assert_eq!(err["param"], "mock_response", "{mock}: {err}");
    }
    assert!(gw.upstream().is_empty());
}

#[tokio::test]
async fn a_malformed_config_mock_response_never_reaches_the_upstream() {
    let gw = Gateway::start(&one_model("{mock}/v1", "      mock_response: 42")).await;

    let reply = gw
        .chat(&json!({"model": "gpt-alias", "messages": [{"role": "user", "content": "hi"}]}))
        .await;

    assert!(reply.status >= 400, "{} {}", reply.status, reply.text());
    let message = reply.json()["error"]["message"].clone();
    assert!(
        message
            .as_str()
            .is_some_and(|m| m.contains("mock_response")),
        "{message}"
    );
    assert!(gw.upstream().is_empty(), "the real upstream was not called");
}
