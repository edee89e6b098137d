//! Vertex AI through the gateway: service-account credentials in the config, an
//! in-process fake Google token endpoint (reached through the credentials' `token_uri`,
//! the setting a user changes for a private endpoint) and a fake Vertex upstream (reached
//! through `api_base`) that records the `Authorization` header.

use std::future::IntoFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::common::{Gateway, chat_body};

/// The throwaway test key of `crates/llmux/tests/fixtures` (see its README).
const PRIVATE_KEY: &str = include_str!("../../../llmux/tests/fixtures/test_sa_key.pem");

/// A minimal `generateContent` answer.
const GEMINI_ANSWER: &str = r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"hi"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1,"totalTokenCount":2}}"#;

#[derive(Default)]
struct FakeGoogle {
    /// Answer the token endpoint with this status and an OAuth2 error instead of a token.
    refuse_tokens: Option<StatusCode>,
    token_calls: AtomicUsize,
    /// `(path, Authorization)` of each upstream (non-token) request.
    upstream: Mutex<Vec<(String, Option<String>)>>,
}

/// The token endpoint at `/token` and a Vertex upstream on every other path, on one
/// 127.0.0.1 port.
struct FakeGoogleServer {
    state: Arc<FakeGoogle>,
    base: String,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for FakeGoogleServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeGoogleServer {
    async fn start(state: FakeGoogle) -> Self {
        let state = Arc::new(state);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .route("/token", axum::routing::post(answer_token))
            .fallback(answer_upstream)
            .with_state(Arc::clone(&state));
        let server = tokio::spawn(axum::serve(listener, app).into_future());
        Self {
            state,
            base,
            server,
        }
    }

    fn token_calls(&self) -> usize {
        self.state.token_calls.load(Ordering::SeqCst)
    }

    fn upstream(&self) -> Vec<(String, Option<String>)> {
        self.state.upstream.lock().unwrap().clone()
    }

    /// A service-account JSON whose `token_uri` is this server's `/token`.
    fn service_account(&self) -> Value {
        json!({
            "type": "service_account",
            "project_id": "llmux-test-project",
            "private_key_id": "test-key-id-1",
            "private_key": PRIVATE_KEY,
            "client_email": "llmux-test@llmux-test-project.iam.gserviceaccount.com",
            "token_uri": format!("{}/token", self.base),
        })
    }

    /// A config with one `vertex_ai/gemini-2.5-flash` deployment named `gemini-vertex`:
    /// the credentials inline (JSON is YAML, so this is a YAML mapping) and `api_base` on
    /// this server.
    fn config(&self) -> String {
        format!(
            r#"
model_list:
  - model_name: gemini-vertex
    litellm_params:
      model: vertex_ai/gemini-2.5-flash
      vertex_project: llmux-test-project
      vertex_location: us-central1
      vertex_credentials: {credentials}
      api_base: "{base}"
"#,
            credentials = self.service_account(),
            base = self.base,
        )
    }
}

async fn answer_token(State(state): State<Arc<FakeGoogle>>, body: String) -> Response {
    let n = state.token_calls.fetch_add(1, Ordering::SeqCst) + 1;
    let grant = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
    if !body.starts_with(grant) {
        let error = json!({"error": "unsupported_grant_type", "error_description": body});
        return (StatusCode::BAD_REQUEST, axum::Json(error)).into_response();
    }
    if let Some(status) = state.refuse_tokens {
        let error = json!({"error": "invalid_grant", "error_description": "account disabled"});
        return (status, axum::Json(error)).into_response();
    }
    axum::Json(
        json!({"access_token": format!("tok-{n}"), "expires_in": 3600, "token_type": "Bearer"}),
    )
    .into_response()
}

async fn answer_upstream(
    State(state): State<Arc<FakeGoogle>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    state.upstream.lock().unwrap().push((uri.to_string(), auth));
    ([("content-type", "application/json")], GEMINI_ANSWER).into_response()
}

#[tokio::test]
async fn vertex_request_carries_the_service_account_token() {
    let google = FakeGoogleServer::start(FakeGoogle::default()).await;
    let gw = Gateway::start(&google.config()).await;

    for _ in 0..2 {
        let body = gw.chat(&chat_body("gemini-vertex")).await.ok_json();
        assert_eq!(body["choices"][0]["message"]["content"], "hi", "{body}");
    }

    let upstream = google.upstream();
    assert_eq!(upstream.len(), 2, "{upstream:?}");
    for (path, auth) in &upstream {
        assert_eq!(auth.as_deref(), Some("Bearer tok-1"), "request to {path}");
    }
    assert_eq!(google.token_calls(), 1, "the token is reused");
}

/// Holds whatever the Gemini adapter answers: the token is fetched before the request is
/// built, once for all requests.
#[tokio::test]
async fn gateway_fetches_one_token_for_many_requests() {
    let google = FakeGoogleServer::start(FakeGoogle::default()).await;
    let gw = Gateway::start(&google.config()).await;
    for _ in 0..3 {
        gw.chat(&chat_body("gemini-vertex")).await;
    }
    assert_eq!(google.token_calls(), 1);
    for (path, auth) in google.upstream() {
        assert_eq!(auth.as_deref(), Some("Bearer tok-1"), "request to {path}");
    }
}

#[tokio::test]
async fn refused_service_account_answers_401() {
    let google = FakeGoogleServer::start(FakeGoogle {
        refuse_tokens: Some(StatusCode::UNAUTHORIZED),
        ..FakeGoogle::default()
    })
    .await;
    let gw = Gateway::start(&google.config()).await;

    let reply = gw.chat(&chat_body("gemini-vertex")).await;
    let err = reply.assert_error(401, "authentication_error");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains("invalid_grant: account disabled"),
        "{message}"
    );
    assert!(google.upstream().is_empty(), "no token, no upstream call");
    assert_eq!(google.token_calls(), 1);
}

#[tokio::test]
async fn vertex_model_without_credentials_is_unavailable() {
    let gw = Gateway::start(
        r#"
model_list:
  - model_name: gemini-vertex
    litellm_params:
      model: vertex_ai/gemini-2.5-flash
      vertex_project: llmux-test-project
      vertex_location: us-central1
"#,
    )
    .await;

    let reply = gw.chat(&chat_body("gemini-vertex")).await;
    let err = reply.assert_error(400, "invalid_request_error");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains("vertex_credentials")
            && message.contains("GOOGLE_APPLICATION_CREDENTIALS"),
        "{message}"
    );
}
