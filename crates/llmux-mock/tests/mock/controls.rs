//! One test per path-prefix control.

use std::time::{Duration, Instant};

use llmux_mock::MockServer;
use serde_json::json;

use crate::common::{TEXT, anthropic_body, chat_body, post, read_stream};

#[tokio::test]
async fn error_openai_shapes() {
    let server = MockServer::start().await.unwrap();
    let cases = [
        (
            "401",
            401,
            "Incorrect API key provided: sk-fake*****.",
            "invalid_request_error",
            json!(null),
            json!("invalid_api_key"),
        ),
        (
            "429",
            429,
            "Rate limit reached for requests. Please try again in 1s.",
            "requests",
            json!(null),
            json!("rate_limit_exceeded"),
        ),
        (
            "400_context",
            400,
            "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.",
            "invalid_request_error",
            json!("messages"),
            json!("context_length_exceeded"),
        ),
        (
            "500",
            500,
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            json!(null),
            json!(null),
        ),
    ];
    for (control, status, message, kind, param, code) in cases {
        let reply = post(
            &server,
            &format!("/error/{control}/v1/chat/completions"),
            &chat_body(),
        )
        .await;
        assert_eq!(reply.status, status, "{control}");
        assert_eq!(
            reply.json(),
            json!({"error": {"message": message, "type": kind, "param": param, "code": code}}),
            "{control}"
        );
        let retry_after = (status == 429).then_some("1");
        assert_eq!(reply.header("retry-after"), retry_after);
    }
    let reply = post(&server, "/error/503/v1/embeddings", &json!({"input": "x"})).await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.json()["error"]["type"], "server_error");
    let reply = post(&server, "/error/418/v1/completions", &json!({})).await;
    assert_eq!(reply.status, 418);
    assert_eq!(reply.json()["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn error_anthropic_shapes() {
    let server = MockServer::start().await.unwrap();
    let cases = [
        ("401", 401, "authentication_error"),
        ("429", 429, "rate_limit_error"),
        ("400_context", 400, "invalid_request_error"),
        ("500", 500, "api_error"),
        ("529", 529, "overloaded_error"),
    ];
    for (control, status, kind) in cases {
        let reply = post(
            &server,
            &format!("/error/{control}/v1/messages"),
            &anthropic_body(),
        )
        .await;
        assert_eq!(reply.status, status, "{control}");
        let body = reply.json();
        assert_eq!(body["type"], "error");
        assert_eq!(body["error"]["type"], kind, "{control}");
        assert!(body["error"]["message"].is_string());
    }
    let reply = post(&server, "/error/400_context/v1/messages", &anthropic_body()).await;
    assert_eq!(
        reply.json()["error"]["message"],
        "prompt is too long: 210000 tokens > 200000 maximum"
    );
}

#[tokio::test]
async fn fail_first_counts_per_prefix() {
    let server = MockServer::start().await.unwrap();
    let path = "/fail_first/2/error/429/v1/chat/completions";
    let statuses = [
        post(&server, path, &chat_body()).await.status,
        post(&server, path, &chat_body()).await.status,
        post(&server, path, &chat_body()).await.status,
        post(&server, path, &chat_body()).await.status,
    ];
    assert_eq!(statuses, [429, 429, 200, 200]);
    // A different prefix has its own counter; no /error means 500.
    let other = "/fail_first/1/v1/chat/completions";
    assert_eq!(post(&server, other, &chat_body()).await.status, 500);
    assert_eq!(
        post(&server, other, &chat_body()).await.json()["choices"][0]["message"]["content"],
        TEXT
    );
    assert_eq!(server.requests().len(), 6);
    server.clear();
    assert_eq!(post(&server, path, &chat_body()).await.status, 429);
}

#[tokio::test]
async fn retry_after_header() {
    let server = MockServer::start().await.unwrap();
    let reply = post(
        &server,
        "/retry_after/7/error/429/v1/chat/completions",
        &chat_body(),
    )
    .await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("retry-after"), Some("7"));
    let reply = post(
        &server,
        "/retry_after/3/error/429/v1/messages",
        &anthropic_body(),
    )
    .await;
    assert_eq!(reply.header("retry-after"), Some("3"));
    assert_eq!(reply.json()["error"]["type"], "rate_limit_error");
}

#[tokio::test]
async fn delay_waits() {
    let server = MockServer::start().await.unwrap();
    let start = Instant::now();
    let reply = post(&server, "/delay/150/v1/chat/completions", &chat_body()).await;
    assert_eq!(reply.status, 200);
    assert!(start.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn chunks_make_long_streams() {
    let server = MockServer::start().await.unwrap();
    let mut body = chat_body();
    body["stream"] = json!(true);
    let chunks = post(&server, "/chunks/50/v1/chat/completions", &body)
        .await
        .sse_data();
    assert_eq!(chunks.len(), 52);
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, "tok ".repeat(50));

    let mut body = anthropic_body();
    body["stream"] = json!(true);
    let reply = post(&server, "/chunks/4/v1/messages", &body).await;
    let text: String = reply
        .sse_data()
        .iter()
        .filter_map(|d| d["delta"]["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(text, "tok tok tok tok ");
    assert_eq!(reply.sse_events().last().unwrap(), "message_stop");

    let body = json!({"prompt": "x", "stream": true});
    let chunks = post(&server, "/chunks/3/v1/completions", &body)
        .await
        .sse_data();
    assert_eq!(chunks.len(), 4);
}

#[tokio::test]
async fn break_stream_aborts() {
    let server = MockServer::start().await.unwrap();
    let mut body = chat_body();
    body["stream"] = json!(true);
    let (text, failed) = read_stream(&server, "/break_stream/v1/chat/completions", &body).await;
    assert!(failed, "stream should fail: {text}");
    assert!(text.contains(r#""role":"assistant""#), "{text}");
    assert!(text.contains(r#""content":"Hello""#), "{text}");
    assert!(!text.contains("[DONE]"));

    let mut body = anthropic_body();
    body["stream"] = json!(true);
    let (text, failed) = read_stream(&server, "/break_stream/v1/messages", &body).await;
    assert!(failed);
    assert!(text.contains("text_delta"));
    assert!(!text.contains("message_stop"));

    // Non-stream requests are unaffected.
    let reply = post(&server, "/break_stream/v1/chat/completions", &chat_body()).await;
    assert_eq!(reply.json()["choices"][0]["message"]["content"], TEXT);
}

#[tokio::test]
async fn bad_json_body() {
    let server = MockServer::start().await.unwrap();
    let reply = post(&server, "/bad_json/v1/chat/completions", &chat_body()).await;
    assert_eq!(reply.status, 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&reply.body).is_err());
    let mut body = chat_body();
    body["stream"] = json!(true);
    let reply = post(&server, "/bad_json/v1/chat/completions", &body).await;
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    let data = reply
        .text()
        .lines()
        .next()
        .unwrap()
        .strip_prefix("data: ")
        .unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(data).is_err());
}

#[tokio::test]
async fn combined_controls_and_invalid_controls() {
    let server = MockServer::start().await.unwrap();
    let start = Instant::now();
    let path = "/delay/50/fail_first/1/error/401/openai/v1/chat/completions";
    assert_eq!(post(&server, path, &chat_body()).await.status, 401);
    assert_eq!(post(&server, path, &chat_body()).await.status, 200);
    assert!(start.elapsed() >= Duration::from_millis(100));
    let reply = post(&server, "/error/abc/v1/chat/completions", &chat_body()).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["type"], "invalid_request_error");
}
