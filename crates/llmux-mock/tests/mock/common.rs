//! Helpers: a tiny HTTP client on top of reqwest.

use bytes::Bytes;
use futures::StreamExt;
use llmux_mock::MockServer;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// The mock's answer.
pub const TEXT: &str = "Hello! How can I help you today?";

pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The JSON payloads of the `data:` lines, without `[DONE]`.
    pub fn sse_data(&self) -> Vec<Value> {
        self.text()
            .split("\n\n")
            .filter_map(|event| event.lines().find_map(|l| l.strip_prefix("data: ")))
            .filter(|data| *data != "[DONE]")
            .map(|data| serde_json::from_str(data).unwrap())
            .collect()
    }

    /// The `event:` names of an Anthropic stream.
    pub fn sse_events(&self) -> Vec<String> {
        self.text()
            .lines()
            .filter_map(|l| l.strip_prefix("event: "))
            .map(str::to_owned)
            .collect()
    }
}

pub async fn post(server: &MockServer, path: &str, body: &Value) -> Reply {
    post_raw(server, path, body.to_string()).await
}

pub async fn post_raw(server: &MockServer, path: &str, body: String) -> Reply {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", server.url()))
        .header("content-type", "application/json")
        .header("authorization", "Bearer sk-test")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap();
    Reply {
        status,
        headers,
        body,
    }
}

pub async fn get(server: &MockServer, path: &str) -> Reply {
    let response = reqwest::get(format!("{}{path}", server.url()))
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap();
    Reply {
        status,
        headers,
        body,
    }
}

/// Read a stream until it ends or fails; returns the bytes and whether it failed.
pub async fn read_stream(server: &MockServer, path: &str, body: &Value) -> (String, bool) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", server.url()))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let mut stream = response.bytes_stream();
    let mut text = String::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => text.push_str(std::str::from_utf8(&bytes).unwrap()),
            Err(_) => return (text, true),
        }
    }
    (text, false)
}

/// A minimal chat request.
pub fn chat_body() -> Value {
    json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]})
}

/// A minimal Anthropic Messages request.
pub fn anthropic_body() -> Value {
    json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "hi"}]
    })
}
