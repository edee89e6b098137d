//! Ollama through the gateway against `llmux-mock`'s `/api/chat`, `/api/generate` and
//! `/api/embed`: options mapping, NDJSON streams, and tool calls given stable ids.

use serde_json::{Value, json};

use crate::common::{Gateway, chat_body, sse_json};

const CONFIG: &str = r#"
model_list:
  - model_name: llama-chat
    litellm_params:
      model: ollama_chat/llama3.1
      api_base: "{mock}"
  - model_name: llama-generate
    litellm_params:
      model: ollama/llama3.1
      api_base: "{mock}"
  - model_name: nomic
    litellm_params:
      model: ollama/nomic-embed-text
      api_base: "{mock}"
"#;

#[tokio::test]
async fn chat_maps_options_and_format() {
    let gw = Gateway::start(CONFIG).await;
    let body = gw
        .chat(&json!({"model": "llama-chat", "max_tokens": 50, "temperature": 0.2,
            "response_format": {"type": "json_schema", "json_schema": {"name": "p", "schema":
                {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}}},
            "messages": [{"role": "user", "content": "hi"}]}))
        .await
        .ok_json();
    let content = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(content).unwrap(),
        json!({"name": "x"})
    );
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21})
    );
    let up = gw.upstream();
    assert_eq!(up[0].path, "/api/chat");
    let sent: Value = serde_json::from_slice(&up[0].body).unwrap();
    assert_eq!(
        sent["options"],
        json!({"num_predict": 50, "temperature": 0.2})
    );
    assert_eq!(sent["format"]["required"], json!(["name"]));
    assert_eq!(
        sent["messages"],
        json!([{"role": "user", "content": "hi", "images": []}])
    );
    assert_eq!(sent["stream"], false);
}

#[tokio::test]
async fn tool_calls_get_uuid_ids_and_finish_tool_calls() {
    let gw = Gateway::start(CONFIG).await;
    let mut req = chat_body("llama-chat");
    req["tools"] = json!([{"type": "function", "function": {"name": "get_weather",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}]);
    let body = gw.chat(&req).await.ok_json();
    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["function"]["arguments"], "{\"location\": \"Paris\"}");
    let id = call["id"].as_str().unwrap();
    assert_eq!(
        id.split('-').map(str::len).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12],
        "{id}"
    );

    req["stream"] = json!(true);
    let chunks = sse_json(&gw.chat(&req).await);
    let calls: Vec<&Value> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].as_array())
        .flatten()
        .collect();
    assert_eq!(calls.len(), 1);
    assert!(calls[0]["id"].is_string());
    assert_eq!(calls[0]["index"], 0);
    let finish: Vec<_> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["finish_reason"].as_str())
        .collect();
    assert_eq!(finish, ["tool_calls"]);
}

#[tokio::test]
async fn ndjson_streams_become_chunks() {
    let gw = Gateway::start(CONFIG).await;
    for model in ["llama-chat", "llama-generate"] {
        let mut req = chat_body(model);
        req["stream"] = json!(true);
        req["stream_options"] = json!({"include_usage": true});
        let chunks = sse_json(&gw.chat(&req).await);
        let text: String = chunks
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
            .collect();
        assert_eq!(text, "Hello! How can I help you today?", "{model}");
        assert_eq!(
            chunks.last().unwrap()["usage"]["total_tokens"],
            21,
            "{model}"
        );
    }
    let up = gw.upstream();
    assert_eq!(up[1].path, "/api/generate");
    let sent: Value = serde_json::from_slice(&up[1].body).unwrap();
    assert_eq!(sent["prompt"], "### User:\nhi\n\n");
    assert_eq!(sent["stream"], true);
}

#[tokio::test]
async fn embeddings_and_errors() {
    let gw = Gateway::start(CONFIG).await;
    let body = gw
        .post_json(
            "/v1/embeddings",
            &json!({"model": "nomic", "input": ["a", "b"]}),
        )
        .await
        .ok_json();
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(body["usage"]["prompt_tokens"], 10);
    assert_eq!(gw.upstream()[0].path, "/api/embed");

    let gw = Gateway::start(&CONFIG.replace("\"{mock}\"", "\"{mock}/error/400_context\"")).await;
    gw.chat(&chat_body("llama-chat"))
        .await
        .assert_error(400, "invalid_request_error");
}
