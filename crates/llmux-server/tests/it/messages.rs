#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! The `/v1/messages` entrance: Anthropic-format requests to an OpenAI-family model
//! (translated) and to an Anthropic model (forwarded natively), errors in Anthropic's
//! shape, and `/v1/messages/count_tokens`.

use std::future::IntoFuture;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::http::HeaderMap;
use axum::routing::post as post_route;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::common::{Gateway, Reply, UPSTREAM_KEY, send};

const MASTER_KEY: &str = "sk-master";
const HELLO: &str = "Hello! How can I help you today?";

/// `gpt-alias` (OpenAI on the mock) and `claude-alias` (Anthropic on the mock), each
/// under an optional mock control prefix, no retries.
fn config(openai_prefix: &str, anthropic_base: &str) -> String {
    format!(
        r#"
general_settings:
  master_key: {MASTER_KEY}
model_list:
  - model_name: gpt-alias
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{{mock}}{openai_prefix}/v1"
      api_key: {UPSTREAM_KEY}
      num_retries: 0
  - model_name: claude-alias
    litellm_params:
      model: anthropic/claude-3-5-haiku-20241022
      api_base: "{anthropic_base}"
      api_key: {UPSTREAM_KEY}
      num_retries: 0
"#
    )
}

async fn gateway() -> Gateway {
    Gateway::start(&config("", "{mock}")).await
}

fn hello(model: &str) -> Value {
    json!({
        "model": model,
        "max_tokens": 256,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Say hello."}]
    })
}

/// POSTs `body` to `path` as an Anthropic SDK would (`x-api-key`, `anthropic-version`).
async fn anthropic_post(gw: &Gateway, path: &str, body: &Value) -> Reply {
    send(
        gw.post(path)
            .header("x-api-key", MASTER_KEY)
            .header("anthropic-version", "2023-06-01")
            .body(body.to_string()),
    )
    .await
}

/// `(event name, data)` of each frame of an Anthropic SSE body.
fn events(reply: &Reply) -> Vec<(String, Value)> {
    reply
        .text()
        .split("\n\n")
        .filter(|f| !f.trim().is_empty())
        .map(|frame| {
            let mut name = None;
            let mut data = None;
            for line in frame.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = Some(n.to_owned());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = Some(serde_json::from_str::<Value>(d).unwrap());
                }
            }
            let (name, data) = (name.unwrap(), data.unwrap());
            assert_eq!(data["type"], name.as_str(), "event name is the data type");
            (name, data)
        })
        .collect()
}

fn text_of(events: &[(String, Value)]) -> String {
    events
        .iter()
        .filter_map(|(_, d)| d["delta"]["text"].as_str())
        .collect()
}

/// Asserts an Anthropic-shaped error answer and returns `error`.
fn assert_anthropic_error(reply: &Reply, status: u16, kind: &str) -> Value {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body = reply.json();
    assert_eq!(body["type"], "error", "{body}");
    assert_eq!(body["error"]["type"], kind, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    assert!(body.get("code").is_none(), "{body}");
    body["error"].clone()
}

#[tokio::test]
async fn openai_model_answers_an_anthropic_request_in_anthropic_format() {
    let gw = gateway().await;

    let reply = anthropic_post(&gw, "/v1/messages", &hello("gpt-alias")).await;

    let msg = reply.ok_json();
    assert_eq!(msg["type"], "message");
    assert_eq!(msg["role"], "assistant");
    assert_eq!(msg["model"], "gpt-alias");
    assert_eq!(msg["content"], json!([{"type": "text", "text": HELLO}]));
    assert_eq!(msg["stop_reason"], "end_turn");
    assert_eq!(msg["stop_sequence"], Value::Null);
    assert_eq!(
        msg["usage"],
        json!({"input_tokens": 12, "output_tokens": 9})
    );
    assert!(reply.header("x-litellm-call-id").is_some());
    assert_eq!(reply.header("x-litellm-model-group"), Some("gpt-alias"));
    let sent = &gw.upstream()[0];
    assert!(sent.path.ends_with("/v1/chat/completions"), "{}", sent.path);
    assert_eq!(
        sent.json().unwrap(),
        json!({
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Say hello."}
            ],
            "max_tokens": 256
        })
    );
}

#[tokio::test]
async fn openai_model_streams_anthropic_events() {
    let gw = gateway().await;
    let mut body = hello("gpt-alias");
    body["stream"] = json!(true);

    let reply = anthropic_post(&gw, "/v1/messages", &body).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    let events = events(&reply);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(
        &names[names.len() - 3..],
        ["content_block_stop", "message_delta", "message_stop"]
    );
    assert_eq!(events[0].1["message"]["model"], "gpt-alias");
    assert!(
        events[0].1["message"]["id"]
            .as_str()
            .unwrap()
            .starts_with("msg_")
    );
    assert_eq!(
        events[1].1["content_block"],
        json!({"type": "text", "text": ""})
    );
    assert_eq!(text_of(&events), HELLO);
    let delta = &events[events.len() - 2].1;
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert_eq!(
        delta["usage"],
        json!({"input_tokens": 12, "output_tokens": 9})
    );
    let sent = gw.upstream()[0].json().unwrap();
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["stream_options"], json!({"include_usage": true}));
}

#[tokio::test]
async fn openai_model_tool_call_becomes_a_tool_use_block() {
    let gw = gateway().await;
    let body = json!({
        "model": "gpt-alias",
        "max_tokens": 256,
        "messages": [{"role": "user", "content": "Weather in Paris?"}],
        "tools": [{"name": "get_weather", "description": "Weather", "input_schema": {
            "type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}],
        "tool_choice": {"type": "tool", "name": "get_weather"}
    });

    let msg = anthropic_post(&gw, "/v1/messages", &body).await.ok_json();

    assert_eq!(msg["stop_reason"], "tool_use");
    let tool_use = msg["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "tool_use")
        .unwrap_or_else(|| panic!("no tool_use in {msg}"));
    assert_eq!(tool_use["name"], "get_weather");
    assert_eq!(tool_use["input"], json!({"location": "Paris"}));
    let sent = gw.upstream()[0].json().unwrap();
    assert_eq!(
        sent["tool_choice"],
        json!({"type": "function", "function": {"name": "get_weather"}})
    );
    assert_eq!(
        sent["tools"][0]["function"]["parameters"]["required"],
        json!(["location"])
    );
}

#[tokio::test]
async fn openai_model_tool_stream_has_input_json_deltas() {
    let gw = gateway().await;
    let body = json!({
        "model": "gpt-alias", "max_tokens": 256, "stream": true,
        "messages": [{"role": "user", "content": "Weather in Paris?"}],
        "tools": [{"name": "get_weather", "input_schema": {
            "type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}]
    });

    let reply = anthropic_post(&gw, "/v1/messages", &body).await;

    let events = events(&reply);
    let start = events
        .iter()
        .find(|(n, d)| n == "content_block_start" && d["content_block"]["type"] == "tool_use")
        .unwrap_or_else(|| panic!("no tool_use block: {}", reply.text()));
    assert_eq!(start.1["content_block"]["name"], "get_weather");
    let index = start.1["index"].clone();
    let json_text: String = events
        .iter()
        .filter(|(_, d)| d["index"] == index && d["delta"]["type"] == "input_json_delta")
        .map(|(_, d)| d["delta"]["partial_json"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&json_text).unwrap(),
        json!({"location": "Paris"})
    );
    let delta = events.iter().find(|(n, _)| n == "message_delta").unwrap();
    assert_eq!(delta.1["delta"]["stop_reason"], "tool_use");
}

#[tokio::test]
async fn anthropic_model_is_forwarded_natively_with_the_clients_body() {
    let gw = gateway().await;
    let body = json!({
        "model": "claude-alias",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}]}],
        "top_k": 3,
        "metadata": {"user_id": "u-1"},
        "num_retries": 0
    });

    let reply = send(
        gw.post("/v1/messages")
            .header("authorization", format!("Bearer {MASTER_KEY}"))
            .header("anthropic-beta", "prompt-caching-2024-07-31")
            .body(body.to_string()),
    )
    .await;

    let msg = reply.ok_json();
    assert_eq!(msg["model"], "claude-alias", "restamped to the group");
    assert_eq!(msg["id"], "msg_mock01", "the upstream's answer otherwise");
    assert_eq!(msg["content"], json!([{"type": "text", "text": HELLO}]));
    assert_eq!(
        msg["usage"],
        json!({"input_tokens": 12, "output_tokens": 9, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0})
    );
    assert_eq!(reply.header("x-litellm-model-group"), Some("claude-alias"));
    let sent = &gw.upstream()[0];
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some(UPSTREAM_KEY));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(
        sent.header("anthropic-beta"),
        Some("prompt-caching-2024-07-31")
    );
    let mut expected = body.clone();
    expected["model"] = json!("claude-3-5-haiku-20241022");
    expected.as_object_mut().unwrap().remove("num_retries");
    assert_eq!(
        sent.json().unwrap(),
        expected,
        "the client's body, model swapped"
    );
}

#[tokio::test]
async fn anthropic_model_stream_is_relayed_with_the_model_restamped() {
    let gw = gateway().await;
    let mut body = hello("claude-alias");
    body["stream"] = json!(true);

    let reply = anthropic_post(&gw, "/v1/messages", &body).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    let events = events(&reply);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ],
        "the upstream's events, all of them"
    );
    assert_eq!(events[0].1["message"]["model"], "claude-alias");
    assert_eq!(events[0].1["message"]["id"], "msg_mock01");
    assert_eq!(text_of(&events), HELLO);
    assert!(
        reply
            .text()
            .contains("event: ping\ndata: {\"type\":\"ping\"}\n\n"),
        "frames after message_start are byte for byte the upstream's"
    );
    assert_eq!(gw.upstream()[0].json().unwrap()["stream"], true);
}

#[tokio::test]
async fn anthropic_model_tool_use_passes_through() {
    let gw = gateway().await;
    let body = json!({
        "model": "claude-alias", "max_tokens": 100,
        "messages": [{"role": "user", "content": "Weather in Paris?"}],
        "tools": [{"name": "get_weather", "input_schema": {
            "type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}]
    });

    let msg = anthropic_post(&gw, "/v1/messages", &body).await.ok_json();

    assert_eq!(msg["stop_reason"], "tool_use");
    assert_eq!(msg["content"][1]["input"], json!({"location": "Paris"}));
    assert_eq!(gw.upstream()[0].json().unwrap()["tools"], body["tools"]);
}

#[tokio::test]
async fn upstream_errors_come_back_in_anthropic_shape_with_their_status() {
    let gw = Gateway::start(&config("/error/429", "{mock}/error/429")).await;

    for model in ["gpt-alias", "claude-alias"] {
        let reply = anthropic_post(&gw, "/v1/messages", &hello(model)).await;
        let err = assert_anthropic_error(&reply, 429, "rate_limit_error");
        assert!(
            err["message"].as_str().unwrap().contains("RateLimitError"),
            "{err}"
        );
        assert!(reply.header("x-litellm-call-id").is_some());
    }
}

#[tokio::test]
async fn request_errors_come_back_in_anthropic_shape() {
    let gw = gateway().await;

    let unknown = anthropic_post(&gw, "/v1/messages", &hello("no-such-model")).await;
    let err = assert_anthropic_error(&unknown, 400, "invalid_request_error");
    assert!(err["message"].as_str().unwrap().contains("no-such-model"));

    let mut no_max = hello("gpt-alias");
    no_max.as_object_mut().unwrap().remove("max_tokens");
    let reply = anthropic_post(&gw, "/v1/messages", &no_max).await;
    let err = assert_anthropic_error(&reply, 400, "invalid_request_error");
    assert!(
        err["message"].as_str().unwrap().contains("max_tokens"),
        "{err}"
    );

    let bad = send(
        gw.post("/v1/messages")
            .header("x-api-key", MASTER_KEY)
            .header("x-request-id", "req-7")
            .body("{not json"),
    )
    .await;
    assert_anthropic_error(&bad, 400, "invalid_request_error");
    assert_eq!(bad.json()["request_id"], "req-7");

    let bad_block = json!({"model": "gpt-alias", "max_tokens": 5,
        "messages": [{"role": "user", "content": [{"type": "tool_use", "id": 1}]}]});
    let reply = anthropic_post(&gw, "/v1/messages", &bad_block).await;
    assert_anthropic_error(&reply, 400, "invalid_request_error");
    assert!(gw.upstream().is_empty(), "nothing reached the upstream");
}

/// LiteLLM checks the key in a route dependency, before its Anthropic error handling:
/// a bad key gets the proxy's usual OpenAI-shaped 401.
#[tokio::test]
async fn a_wrong_key_is_a_401() {
    let gw = gateway().await;

    let reply = send(
        gw.post("/v1/messages")
            .header("x-api-key", "sk-wrong")
            .body(hello("gpt-alias").to_string()),
    )
    .await;

    reply.assert_error(401, "auth_error");
    assert!(gw.upstream().is_empty());
}

#[tokio::test]
async fn a_stream_that_breaks_ends_with_an_error_event() {
    for (openai_prefix, anthropic_base, model) in [
        ("/break_stream", "{mock}", "gpt-alias"),
        ("", "{mock}/break_stream", "claude-alias"),
    ] {
        let gw = Gateway::start(&config(openai_prefix, anthropic_base)).await;
        let mut body = hello(model);
        body["stream"] = json!(true);

        let reply = anthropic_post(&gw, "/v1/messages", &body).await;

        assert_eq!(reply.status, 200, "headers went out before the break");
        let events = events(&reply);
        let (last, data) = events.last().unwrap();
        assert_eq!(last, "error", "{model}: {}", reply.text());
        assert!(data["error"]["message"].is_string(), "{data}");
        assert!(
            !events.iter().any(|(n, _)| n == "message_stop"),
            "{model}: a failed stream never looks complete"
        );
        assert!(text_of(&events).starts_with("Hello"), "{model}");
    }
}

#[tokio::test]
async fn count_tokens_for_an_openai_model_is_litellms_local_estimate() {
    let gw = gateway().await;
    let body = json!({
        "model": "gpt-alias",
        "messages": [{"role": "user", "content": "Hello, how are you today?"}]
    });

    let reply = anthropic_post(&gw, "/v1/messages/count_tokens", &body).await;

    assert_eq!(
        reply.ok_json(),
        json!({"input_tokens": 14, "litellm_count_source": "local_estimate"})
    );
    assert!(gw.upstream().is_empty(), "counted locally");

    let no_messages = anthropic_post(
        &gw,
        "/v1/messages/count_tokens",
        &json!({"model": "gpt-alias"}),
    )
    .await;
    let err = assert_anthropic_error(&no_messages, 400, "invalid_request_error");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("messages parameter is required")
    );
}

/// What a stub count-tokens upstream received.
#[derive(Default)]
struct Seen {
    headers: Vec<HeaderMap>,
    bodies: Vec<Value>,
}

#[tokio::test]
async fn count_tokens_for_an_anthropic_model_asks_anthropic() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let seen_in_stub = seen.clone();
    let stub = axum::Router::new().route(
        "/v1/messages/count_tokens",
        post_route(move |headers: HeaderMap, Json(body): Json<Value>| {
            let seen = seen_in_stub.clone();
            async move {
                let mut s = seen.lock().unwrap();
                s.headers.push(headers);
                s.bodies.push(body);
                Json(json!({"input_tokens": 42}))
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stub_url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(axum::serve(listener, stub).into_future());
    let gw = Gateway::start(&config("", &stub_url)).await;
    let body = json!({
        "model": "claude-alias",
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hello"}],
        "max_tokens": 10
    });

    let reply = anthropic_post(&gw, "/v1/messages/count_tokens", &body).await;

    assert_eq!(
        reply.ok_json(),
        json!({"input_tokens": 42, "litellm_count_source": "provider"})
    );
    {
        let s = seen.lock().unwrap();
        assert_eq!(
            s.bodies,
            [json!({
                "model": "claude-3-5-haiku-20241022",
                "messages": [{"role": "user", "content": "Hello"}],
                "system": "Be brief."
            })]
        );
        let h = &s.headers[0];
        assert_eq!(h["x-api-key"], UPSTREAM_KEY);
        assert_eq!(h["anthropic-beta"], "token-counting-2024-11-01");
    }
    server.abort();
}
