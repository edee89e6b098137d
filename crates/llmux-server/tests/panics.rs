#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! A caught panic is logged with its message and location, and answered as a 500 in
//! OpenAI's shape. Its own test binary: the panic hook is process-wide.

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::routing::get;
use tower::ServiceExt;
use tower_http::catch_panic::CatchPanicLayer;

#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_caught_panic_is_logged_with_message_and_location_and_answered_500() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    llmux_server::panic::install_hook();

    let app = axum::Router::new()
        .route(
            "/boom",
            get(|| async {
                let v: Vec<u8> = Vec::new();
                let i = v.len() + 3;
                format!("{}", v[i]) // index out of bounds, on purpose
            }),
        )
        .layer(CatchPanicLayer::custom(llmux_server::panic::answer));
    let request = axum::http::Request::get("/boom")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    drop(std::panic::take_hook());

    assert_eq!(response.status(), 500);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "500", "{body}");
    assert_eq!(body["error"]["type"], "internal_server_error", "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("index out of bounds"),
        "the message is logged: {logs}"
    );
    assert!(
        logs.contains(&format!("tests{}panics.rs:", std::path::MAIN_SEPARATOR)),
        "the location is logged: {logs}"
    );
    assert!(
        logs.contains("answered 500"),
        "the answer is logged: {logs}"
    );
    assert!(
        !logs.contains("stack backtrace"),
        "no backtrace is captured: {logs}"
    );
}
