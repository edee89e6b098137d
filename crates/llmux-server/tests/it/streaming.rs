#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! Streamed chat: SSE framing, usage chunks, mid-stream failures, cancellation.

use std::convert::Infallible;
use std::future::IntoFuture;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::response::Response;
use axum::routing::post;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::common::{Gateway, chat_body, one_model, sse_json};

fn stream_body(include_usage: bool) -> Value {
    let mut body = chat_body("gpt-alias");
    body["stream"] = json!(true);
    if include_usage {
        body["stream_options"] = json!({"include_usage": true});
    }
    body
}

fn content(chunks: &[Value]) -> String {
    chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect()
}

#[tokio::test]
async fn stream_with_include_usage_ends_with_a_usage_chunk_carrying_cost() {
    let gw = Gateway::start(&one_model("{mock}/v1", "")).await;

    let reply = gw.chat(&stream_body(true)).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    assert!(reply.header("x-litellm-call-id").is_some());
    assert_eq!(reply.header("x-litellm-attempted-retries"), Some("0"));
    let chunks = sse_json(&reply);
    assert!(chunks.len() >= 3, "{chunks:?}");
    for chunk in &chunks {
        assert_eq!(chunk["model"], "gpt-alias", "every chunk names the alias");
        assert_eq!(chunk["object"], "chat.completion.chunk");
    }
    assert_eq!(content(&chunks), "Hello! How can I help you today?");
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"], json!([{"index": 0, "delta": {}}]));
    let usage = &last["usage"];
    assert_eq!(usage["prompt_tokens"], 12);
    assert_eq!(usage["completion_tokens"], 9);
    assert_eq!(usage["total_tokens"], 21);
    let cost = usage["cost"]
        .as_f64()
        .expect("usage.cost for openai/gpt-4o-mini");
    assert!(cost > 0.0, "{cost}");
    for chunk in &chunks[..chunks.len() - 1] {
        assert!(chunk.get("usage").is_none_or(Value::is_null), "{chunk}");
    }
    let sent = gw.upstream()[0].json().unwrap();
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["model"], "gpt-4o-mini");
    assert_eq!(sent["stream_options"], json!({"include_usage": true}));
}

#[tokio::test]
async fn stream_without_include_usage_has_no_usage_anywhere() {
    let gw = Gateway::start(&one_model("{mock}/v1", "")).await;

    let reply = gw.chat(&stream_body(false)).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    let chunks = sse_json(&reply);
    assert_eq!(content(&chunks), "Hello! How can I help you today?");
    for chunk in &chunks {
        assert!(chunk.get("usage").is_none_or(Value::is_null), "{chunk}");
        assert_eq!(chunk["model"], "gpt-alias");
    }
    let finish: Vec<_> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["finish_reason"].as_str())
        .collect();
    assert_eq!(finish, ["stop"]);
}

#[tokio::test]
async fn stream_from_config_mock_response_never_calls_the_upstream() {
    let gw = Gateway::start(&one_model(
        "{mock}/v1",
        "      mock_response: \"streamed canned answer\"",
    ))
    .await;

    let reply = gw.chat(&stream_body(true)).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    let chunks = sse_json(&reply);
    assert_eq!(content(&chunks), "streamed canned answer");
    assert!(chunks.iter().all(|c| c["model"] == "gpt-alias"));
    assert!(chunks.last().unwrap()["usage"].is_object(), "{chunks:?}");
    assert_eq!(gw.upstream().len(), 0);
}

#[tokio::test]
async fn upstream_error_before_the_first_byte_is_a_plain_error_answer() {
    let gw = Gateway::start(&one_model("{mock}/error/401/v1", "")).await;

    let reply = gw.chat(&stream_body(false)).await;

    reply.assert_error(401, "authentication_error");
}

#[tokio::test]
async fn stream_is_retried_before_the_first_byte() {
    let gw = Gateway::start(&one_model("{mock}/fail_first/1/error/500/v1", "")).await;

    let reply = gw.chat(&stream_body(false)).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("x-litellm-attempted-retries"), Some("1"));
    assert_eq!(
        content(&sse_json(&reply)),
        "Hello! How can I help you today?"
    );
    assert_eq!(gw.upstream().len(), 2);
}

/// What the client receives when the upstream dies mid-stream, recorded exactly:
/// `200`, the role chunk and the first content chunk, then one
/// `data: {"error": {...}}` event (500, `APIConnectionError`), then `data: [DONE]`.
#[tokio::test]
async fn mid_stream_failure_sends_an_error_event_then_ends() {
    let gw = Gateway::start(&one_model("{mock}/break_stream/v1", "")).await;

    let reply = gw.chat(&stream_body(false)).await;

    assert_eq!(reply.status, 200, "headers were sent before the failure");
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    let data = reply.sse_data();
    let events: Vec<Value> = data
        .iter()
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let error_at = events
        .iter()
        .position(|e| e.get("error").is_some())
        .unwrap_or_else(|| panic!("no error event in {data:?}"));
    assert_eq!(
        error_at,
        events.len() - 1,
        "the error is the last JSON event"
    );
    let chunks = &events[..error_at];
    assert_eq!(
        content(chunks),
        "Hello",
        "what arrived before the break is relayed"
    );
    assert!(chunks.iter().all(|c| c["model"] == "gpt-alias"));
    let err = &events[error_at]["error"];
    assert_eq!(err["code"], "500", "{err}");
    assert_eq!(err["type"], "internal_server_error", "{err}");
    assert_eq!(err["param"], Value::Null);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("litellm.APIConnectionError"),
        "{err}"
    );
    // Today llmux sends `[DONE]` after the error event (see the ignored test below).
    assert!(data.len() - events.len() <= 1, "{data:?}");
    gw.get("/health/liveliness").await.ok_json();
}

/// LiteLLM's `async_data_generator` yields the error event and returns: no `[DONE]`
/// follows an error, so a client reading until `[DONE]` cannot mistake a broken answer
/// for a complete one.
#[tokio::test]
async fn mid_stream_error_is_the_last_event_with_no_done_after_it() {
    let gw = Gateway::start(&one_model("{mock}/break_stream/v1", "")).await;

    let reply = gw.chat(&stream_body(false)).await;

    let data = reply.sse_data();
    let last = data.last().expect("some events");
    assert!(
        last.starts_with(r#"{"error":"#),
        "last event: {last}; all: {data:?}"
    );
}

/// A stream whose first event is broken has sent the client nothing yet: it is a failed
/// attempt (retried, then answered with an error status), not a broken 200.
#[tokio::test]
async fn a_stream_broken_before_its_first_event_is_a_failed_call() {
    let gw = Gateway::start(&one_model("{mock}/bad_json/v1", "      num_retries: 1")).await;

    let reply = gw.chat(&stream_body(false)).await;

    assert_eq!(reply.status, 500, "{}", reply.text());
    assert_eq!(reply.json()["error"]["type"], "internal_server_error");
    assert_eq!(reply.header("x-litellm-attempted-retries"), Some("1"));
    assert_eq!(gw.upstream().len(), 2);
}

/// Signals when dropped: the upstream's response body was dropped, i.e. its reader
/// went away.
struct DropSignal(Option<oneshot::Sender<()>>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            tx.send(()).ok();
        }
    }
}

/// An OpenAI-compatible upstream whose one stream never ends (a chunk every 5 ms);
/// the receiver fires when that stream is dropped.
async fn endless_upstream() -> (String, oneshot::Receiver<()>) {
    let (tx, rx) = oneshot::channel();
    let signal = Arc::new(Mutex::new(Some(DropSignal(Some(tx)))));
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(move || {
            let guard = signal.lock().unwrap().take();
            async move {
                let frames = futures::stream::unfold(guard, |guard| async move {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    let chunk = json!({
                        "id": "chatcmpl-endless", "object": "chat.completion.chunk",
                        "created": 1, "model": "gpt-4o-mini",
                        "choices": [{"index": 0, "delta": {"content": "tok "}}]
                    });
                    let frame = Bytes::from(format!("data: {chunk}\n\n"));
                    Some((Ok::<_, Infallible>(frame), guard))
                });
                Response::builder()
                    .header("content-type", "text/event-stream")
                    .body(Body::from_stream(frames))
                    .unwrap()
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(axum::serve(listener, app).into_future());
    (url, rx)
}

#[tokio::test]
async fn client_disconnect_mid_stream_cancels_the_upstream_call() {
    let (endless, upstream_dropped) = endless_upstream().await;
    let yaml = format!(
        r#"
model_list:
  - model_name: endless
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{endless}/v1"
      api_key: sk-x
  - model_name: gpt-alias
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{{mock}}/v1"
      api_key: sk-x
"#
    );
    let gw = Gateway::start(&yaml).await;
    let mut body = chat_body("endless");
    body["stream"] = json!(true);

    let resp = gw
        .post("/v1/chat/completions")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut frames = resp.bytes_stream();
    let mut seen = String::new();
    while seen.matches("\n\n").count() < 3 {
        let bytes = tokio::time::timeout(Duration::from_secs(5), frames.next())
            .await
            .expect("the gateway relays chunks as they come")
            .expect("the stream is still open")
            .unwrap();
        seen.push_str(std::str::from_utf8(&bytes).unwrap());
    }
    assert!(seen.contains(r#""model":"endless""#), "{seen}");
    drop(frames);

    tokio::time::timeout(Duration::from_secs(5), upstream_dropped)
        .await
        .expect("the upstream stream is dropped soon after the client goes away")
        .ok();
    // The gateway is unharmed.
    gw.chat(&chat_body("gpt-alias")).await.ok_json();
}

#[tokio::test]
async fn long_stream_is_relayed_in_full() {
    let gw = Gateway::start(&one_model("{mock}/chunks/500/v1", "")).await;

    let reply = gw.chat(&stream_body(true)).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    let chunks = sse_json(&reply);
    assert_eq!(content(&chunks), "tok ".repeat(500));
    assert!(chunks.last().unwrap()["usage"].is_object());
}
