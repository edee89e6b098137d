//! Cohere v2 through the gateway against `llmux-mock`'s `/v2/chat` and `/v2/embed`:
//! the request renames, tool calls, and the real v2 SSE stream (which LiteLLM cannot
//! parse) with tool-call events.

use serde_json::{Value, json};

use crate::common::{Gateway, chat_body, sse_json};

const CONFIG: &str = r#"
model_list:
  - model_name: command
    litellm_params:
      model: cohere_chat/command-r-plus
      api_base: "{mock}/v2/chat"
      api_key: co-test-key
  - model_name: cohere-embed
    litellm_params:
      model: cohere/embed-english-v3.0
      api_base: "{mock}/v2/embed"
      api_key: co-test-key
"#;

fn weather_tools() -> Value {
    json!([{"type": "function", "function": {"name": "get_weather", "description": "Weather",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}])
}

#[tokio::test]
async fn chat_renames_params_and_answers() {
    let gw = Gateway::start(CONFIG).await;
    let body = gw
        .chat(
            &json!({"model": "command", "top_p": 0.5, "stop": ["END"], "max_tokens": 7,
            "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await
        .ok_json();
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Hello! How can I help you today?"
    );
    assert_eq!(body["usage"]["total_tokens"], 21);
    let up = gw.upstream();
    assert_eq!(up[0].path, "/v2/chat");
    let auth = up[0]
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.as_str());
    assert_eq!(auth, Some("Bearer co-test-key"));
    assert_eq!(
        serde_json::from_slice::<Value>(&up[0].body).unwrap(),
        json!({"model": "command-r-plus", "messages": [{"role": "user", "content": "hi"}],
            "stream": false, "p": 0.5, "stop_sequences": ["END"], "max_tokens": 7})
    );
}

#[tokio::test]
async fn tool_calls_come_back_with_their_ids() {
    let gw = Gateway::start(CONFIG).await;
    let mut req = chat_body("command");
    req["tools"] = weather_tools();
    let body = gw.chat(&req).await.ok_json();
    let call = &body["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["id"], "mock_cohere_call_0");
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(
        serde_json::from_str::<Value>(call["function"]["arguments"].as_str().unwrap()).unwrap(),
        json!({"location": "Paris"})
    );
    assert!(body["choices"][0]["message"]["content"].is_null());
}

#[tokio::test]
async fn the_real_v2_sse_stream_is_parsed_with_tool_call_events() {
    let gw = Gateway::start(CONFIG).await;
    let mut req = chat_body("command");
    req["stream"] = json!(true);
    req["stream_options"] = json!({"include_usage": true});
    req["tools"] = weather_tools();
    let reply = gw.chat(&req).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let chunks = sse_json(&reply);
    let mut args = String::new();
    let mut names = Vec::new();
    let mut ids = Vec::new();
    let mut plan = String::new();
    for c in &chunks {
        let delta = &c["choices"][0]["delta"];
        if let Some(p) = delta["provider_specific_fields"]["tool_plan"].as_str() {
            plan.push_str(p);
        }
        for call in delta["tool_calls"].as_array().into_iter().flatten() {
            assert_eq!(call["index"], 0);
            ids.extend(call["id"].as_str().map(str::to_owned));
            names.extend(call["function"]["name"].as_str().map(str::to_owned));
            args.push_str(call["function"]["arguments"].as_str().unwrap_or_default());
        }
    }
    assert_eq!(plan, "Let me look that up.");
    assert_eq!(
        (ids.as_slice(), names.as_slice()),
        (
            &["mock_cohere_call_0".to_owned()][..],
            &["get_weather".to_owned()][..]
        )
    );
    assert_eq!(
        serde_json::from_str::<Value>(&args).unwrap(),
        json!({"location": "Paris"})
    );
    let finish: Vec<_> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["finish_reason"].as_str())
        .collect();
    assert_eq!(finish, ["tool_calls"]);
    assert_eq!(chunks.last().unwrap()["usage"]["completion_tokens"], 9);
    assert_eq!(
        serde_json::from_slice::<Value>(&gw.upstream()[0].body).unwrap()["stream"],
        true
    );
}

#[tokio::test]
async fn a_text_stream_is_content() {
    let gw = Gateway::start(CONFIG).await;
    let mut req = chat_body("command");
    req["stream"] = json!(true);
    let chunks = sse_json(&gw.chat(&req).await);
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Hello! How can I help you today?");
    assert!(
        chunks
            .iter()
            .all(|c| c.get("usage").is_none_or(Value::is_null)),
        "no usage unless asked"
    );
}

#[tokio::test]
async fn embed_v2_and_errors() {
    let gw = Gateway::start(CONFIG).await;
    let body = gw
        .post_json(
            "/v1/embeddings",
            &json!({"model": "cohere-embed", "input": ["a", "b"]}),
        )
        .await
        .ok_json();
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(body["usage"]["prompt_tokens"], 10);
    assert_eq!(
        serde_json::from_slice::<Value>(&gw.upstream()[0].body).unwrap(),
        json!({"model": "embed-english-v3.0", "texts": ["a", "b"], "input_type": "search_document"})
    );
    let gw = Gateway::start(&CONFIG.replace("{mock}/v2/chat", "{mock}/error/401/v2/chat")).await;
    let err = gw
        .chat(&chat_body("command"))
        .await
        .assert_error(401, "authentication_error");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("invalid api token"),
        "{err}"
    );
}
