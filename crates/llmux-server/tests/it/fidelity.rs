#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! Divergences from LiteLLM closed by the fidelity sweep (issue #12), end to end: text
//! completions bridged to chat, Gemini embeddings' `encoding_format`, model-name
//! parameter rules, and the attempt headers on error answers.

use serde_json::{Value, json};

use crate::common::{Gateway, sse_json};

const MODELS: &str = r#"
model_list:
  - model_name: chat-model
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{mock}/v1"
      api_key: sk-x
  - model_name: instruct
    litellm_params:
      model: openai/gpt-3.5-turbo-instruct
      api_base: "{mock}/v1"
      api_key: sk-x
  - model_name: groq-model
    litellm_params:
      model: groq/llama-3.3-70b-versatile
      api_base: "{mock}/groq/v1"
      api_key: sk-x
  - model_name: gemini-embed
    litellm_params:
      model: gemini/text-embedding-004
      api_base: "{mock}/gemini"
      api_key: sk-x
  - model_name: gemini-embed-drop
    litellm_params:
      model: gemini/text-embedding-004
      api_base: "{mock}/gemini"
      api_key: sk-x
      drop_params: true
  - model_name: grok-mini
    litellm_params:
      model: xai/grok-3-mini
      api_base: "{mock}/xai/v1"
      api_key: sk-x
  - model_name: broken
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{mock}/error/500/v1"
      api_key: sk-x
  - model_name: broken-embed
    litellm_params:
      model: openai/text-embedding-3-small
      api_base: "{mock}/error/503/v1"
      api_key: sk-x
router_settings:
  num_retries: 1
"#;

#[tokio::test]
async fn a_text_completion_for_a_chat_model_is_bridged_to_chat() {
    let gw = Gateway::start(MODELS).await;

    let reply = gw
        .post_json(
            "/v1/completions",
            &json!({"model": "chat-model", "prompt": "Say hi", "max_tokens": 7}),
        )
        .await;

    let body = reply.ok_json();
    assert_eq!(body["object"], "text_completion");
    assert_eq!(body["model"], "chat-model");
    let text = body["choices"][0]["text"].as_str().unwrap();
    assert!(!text.is_empty(), "{body}");
    assert!(body["usage"]["total_tokens"].as_u64().unwrap() > 0);
    let up = gw.upstream();
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].path, "/v1/chat/completions");
    let sent = up[0].json().unwrap();
    assert_eq!(
        sent["messages"],
        json!([{"role": "user", "content": "Say hi"}])
    );
    assert_eq!(sent["max_tokens"], 7);
    assert!(sent.get("prompt").is_none());
}

#[tokio::test]
async fn a_completion_model_keeps_its_own_completions_endpoint() {
    let gw = Gateway::start(MODELS).await;

    let reply = gw
        .post_json(
            "/v1/completions",
            &json!({"model": "instruct", "prompt": "Say hi"}),
        )
        .await;

    assert_eq!(reply.ok_json()["object"], "text_completion");
    let up = gw.upstream();
    assert_eq!(up[0].path, "/v1/completions");
    assert_eq!(up[0].json().unwrap()["prompt"], "Say hi");
}

#[tokio::test]
async fn a_streamed_text_completion_on_a_chat_only_provider_streams_text_chunks() {
    let gw = Gateway::start(MODELS).await;

    let reply = gw
        .post_json(
            "/v1/completions",
            &json!({"model": "groq-model", "prompt": ["one", "two"], "stream": true}),
        )
        .await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    let chunks = sse_json(&reply);
    assert!(!chunks.is_empty());
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["text"].as_str())
        .collect();
    assert!(!text.is_empty(), "{chunks:?}");
    for c in &chunks {
        assert_eq!(c["object"], "text_completion", "{c}");
        assert_eq!(c["model"], "groq-model", "{c}");
    }
    assert!(reply.text().trim_end().ends_with("data: [DONE]"));
    let up = gw.upstream();
    assert_eq!(up[0].path, "/groq/v1/chat/completions");
    let sent = up[0].json().unwrap();
    assert_eq!(
        sent["messages"],
        json!([{"role": "user", "content": "one"}, {"role": "user", "content": "two"}])
    );
    assert_eq!(sent["stream"], true);
}

#[tokio::test]
async fn gemini_embeddings_refuse_base64_unless_drop_params() {
    let gw = Gateway::start(MODELS).await;
    let body = |model: &str| json!({"model": model, "input": "hi", "encoding_format": "base64"});

    let refused = gw.post_json("/v1/embeddings", &body("gemini-embed")).await;
    let err = refused.assert_error(400, "invalid_request_error");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains("does not support parameters: {'encoding_format': 'base64'}"),
        "{message}"
    );
    assert!(gw.upstream().is_empty(), "no upstream call");

    let dropped = gw
        .post_json("/v1/embeddings", &body("gemini-embed-drop"))
        .await
        .ok_json();
    assert!(dropped["data"][0]["embedding"].is_array(), "{dropped}");

    let float = gw
        .post_json(
            "/v1/embeddings",
            &json!({"model": "gemini-embed", "input": "hi", "encoding_format": "float"}),
        )
        .await
        .ok_json();
    assert!(float["data"][0]["embedding"].is_array(), "{float}");
}

#[tokio::test]
async fn grok_3_mini_refuses_stop_before_any_call() {
    let gw = Gateway::start(MODELS).await;

    let reply = gw
        .chat(&json!({"model": "grok-mini", "stop": ["\n"],
            "messages": [{"role": "user", "content": "hi"}]}))
        .await;

    let err = reply.assert_error(400, "invalid_request_error");
    assert!(
        err["message"].as_str().unwrap().contains("['stop']"),
        "{err}"
    );
    assert!(gw.upstream().is_empty());
    let ok = gw
        .chat(
            &json!({"model": "grok-mini", "stop": ["\n"], "drop_params": true,
            "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    ok.ok_json();
    assert!(gw.upstream()[0].json().unwrap().get("stop").is_none());
}

#[tokio::test]
async fn error_answers_carry_the_attempt_headers_on_every_entrance() {
    let gw = Gateway::start(MODELS).await;
    let cases: [(&str, Value); 3] = [
        (
            "/v1/chat/completions",
            json!({"model": "broken", "messages": [{"role": "user", "content": "hi"}]}),
        ),
        (
            "/v1/completions",
            json!({"model": "broken", "prompt": "hi"}),
        ),
        (
            "/v1/embeddings",
            json!({"model": "broken-embed", "input": "hi"}),
        ),
    ];
    for (path, body) in cases {
        let reply = gw.post_json(path, &body).await;
        assert!(reply.status >= 500, "{path}: {}", reply.status);
        assert_eq!(
            reply.header("x-litellm-attempted-retries"),
            Some("1"),
            "{path}"
        );
        assert_eq!(
            reply.header("x-litellm-attempted-fallbacks"),
            Some("0"),
            "{path}"
        );
        assert!(reply.header("x-litellm-call-id").is_some(), "{path}");
    }
}
