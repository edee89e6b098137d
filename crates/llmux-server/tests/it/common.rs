#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! The in-process gateway and small helpers shared by the tests.

use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use llmux_mock::{MockServer, RecordedRequest};
use llmux_server::config::Config;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Upper bound on any one request a test makes.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(20);

/// The `api_key` every standard config gives its upstream.
pub const UPSTREAM_KEY: &str = "sk-upstream-test";

/// One `openai/gpt-4o-mini` deployment named `gpt-alias`, on the mock at `{api_base}`
/// (a path under `{mock}`), with extra `litellm_params` lines appended.
pub fn one_model(api_base: &str, extra_params: &str) -> String {
    format!(
        r#"
model_list:
  - model_name: gpt-alias
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{api_base}"
      api_key: {UPSTREAM_KEY}
{extra_params}
"#
    )
}

/// A gateway serving `llmux_server::router` on 127.0.0.1, with its own mock upstream.
pub struct Gateway {
    pub mock: MockServer,
    pub base: String,
    pub http: reqwest::Client,
    /// The gateway's state (its response cache, its router).
    pub state: Arc<llmux_server::AppState>,
    server: JoinHandle<std::io::Result<()>>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Gateway {
    /// Starts a mock and a gateway whose config is `yaml_template` with `{mock}` replaced
    /// by the mock's URL. `os.environ/` references resolve to nothing.
    pub async fn start(yaml_template: &str) -> Self {
        Self::start_with_env(yaml_template, &|_| None).await
    }

    /// As [`Gateway::start`], resolving `os.environ/NAME` (and provider key variables)
    /// with `env`.
    pub async fn start_with_env(yaml_template: &str, env: &dyn Fn(&str) -> Option<String>) -> Self {
        Self::try_start(yaml_template, env, Arc::new(llmux::cache::SystemClock))
            .await
            .expect("state builds")
    }

    /// As [`Gateway::start_with_env`], the response cache on `clock`; the start-up error
    /// when the state cannot be built.
    pub async fn try_start(
        yaml_template: &str,
        env: &dyn Fn(&str) -> Option<String>,
        clock: Arc<dyn llmux::cache::Clock>,
    ) -> Result<Self, llmux_server::StartupError> {
        let mock = MockServer::start().await.expect("mock upstream starts");
        let yaml = yaml_template.replace("{mock}", &mock.url());
        let config = Config::from_yaml_str(&yaml, env).expect("test config loads");
        let state = Arc::new(llmux_server::AppState::with_cache_clock(
            &config,
            env,
            llmux::router::RouterOptions::default(),
            clock,
        )?);
        let app = llmux_server::router(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(axum::serve(listener, app).into_future());
        Ok(Self {
            mock,
            base,
            http: client(),
            state,
            server,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A POST with a JSON content type; send it with [`send`].
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(self.url(path))
            .header("content-type", "application/json")
    }

    /// POSTs `body` as JSON and reads the whole answer.
    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        send(self.post(path).body(body.to_string())).await
    }

    /// POSTs a chat request to `/v1/chat/completions`.
    pub async fn chat(&self, body: &Value) -> Reply {
        self.post_json("/v1/chat/completions", body).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        send(self.http.get(self.url(path))).await
    }

    /// What the mock upstream received so far.
    pub fn upstream(&self) -> Vec<RecordedRequest> {
        self.mock.requests()
    }
}

/// A client with a bounded timeout and no proxy (everything is local).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(CLIENT_TIMEOUT)
        .no_proxy()
        .build()
        .unwrap()
}

/// Sends and reads the whole answer.
pub async fn send(req: reqwest::RequestBuilder) -> Reply {
    let resp = req.send().await.expect("gateway answers");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.expect("gateway body is readable");
    Reply {
        status,
        headers,
        body,
    }
}

/// A `{"model", "messages"}` chat body.
pub fn chat_body(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

/// A whole answer from the gateway.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Asserts a 200 and returns the JSON body.
    pub fn ok_json(&self) -> Value {
        assert_eq!(self.status, 200, "expected 200, got: {}", self.text());
        self.json()
    }

    /// Asserts an OpenAI-shaped error answer: `status`, JSON content type, `error.type`
    /// and `error.code` (the status as a string); returns the `error` object.
    pub fn assert_error(&self, status: u16, kind: &str) -> Value {
        assert_eq!(
            self.status,
            status,
            "unexpected status, body: {}",
            self.text()
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "error answers are JSON"
        );
        let body = self.json();
        let err = body
            .get("error")
            .unwrap_or_else(|| panic!("no `error` object: {body}"))
            .clone();
        assert_eq!(err["type"], kind, "error.type of {err}");
        assert_eq!(
            err["code"],
            json!(status.to_string()),
            "error.code of {err}"
        );
        assert!(err["message"].is_string(), "error.message of {err}");
        assert!(
            err.get("param").is_some(),
            "error.param is always present: {err}"
        );
        err
    }

    /// The `data:` payloads of an SSE body, in order (`[DONE]` included).
    pub fn sse_data(&self) -> Vec<String> {
        sse_data(&self.text())
    }
}

/// The `data:` payloads of SSE text; panics on anything that is not a `data:` event.
pub fn sse_data(text: &str) -> Vec<String> {
    text.split("\n\n")
        .filter(|event| !event.trim().is_empty())
        .map(|event| {
            event
                .strip_prefix("data: ")
                .unwrap_or_else(|| panic!("not an SSE data event: {event:?}"))
                .to_owned()
        })
        .collect()
}

/// The `data:` payloads of an SSE body parsed as JSON (`[DONE]` excluded and required
/// last).
pub fn sse_json(reply: &Reply) -> Vec<Value> {
    let data = reply.sse_data();
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"), "{data:?}");
    data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap_or_else(|e| panic!("bad chunk {d}: {e}")))
        .collect()
}

/// Standard base64 decoding (the embeddings test's only need; no extra dependency).
pub fn base64_decode(text: &str) -> Vec<u8> {
    fn sextet(c: u8) -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    }
    let clean: Vec<u8> = text.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for group in clean.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in group.iter().enumerate() {
            acc |= sextet(c) << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..group.len()]);
    }
    out
}
