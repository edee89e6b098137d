#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! The library's free functions (issue #7, item 7) reuse what they resolved: the same
//! (model, options) twice is one Azure AD token exchange, not two; other options are
//! another deployment.

use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::State;
use llmux::{CallOptions, ChatRequest};
use llmux_mock::MockServer;
use serde_json::json;

async fn fake_entra() -> (Arc<AtomicUsize>, String) {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/token",
            axum::routing::post(|State(calls): State<Arc<AtomicUsize>>| async move {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                axum::Json(json!({"token_type": "Bearer", "expires_in": 3600, "access_token": format!("ad-{n}")}))
            }),
        )
        .with_state(calls.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(axum::serve(listener, app).into_future());
    (calls, url)
}

fn options(mock: &str, authority: &str, client: &str) -> CallOptions {
    let mut o = CallOptions {
        api_base: Some(mock.to_owned()),
        api_version: Some("2024-10-21".to_owned()),
        ..CallOptions::default()
    };
    for (k, v) in [
        ("tenant_id", "tenant-1"),
        ("client_id", client),
        ("client_secret", "s3cret"),
        ("azure_authority_host", authority),
    ] {
        o.provider_params.insert(k.into(), json!(v));
    }
    o
}

fn request() -> ChatRequest {
    serde_json::from_value(json!({
        "model": "azure/my-deployment",
        "messages": [{"role": "user", "content": "hi"}]
    }))
    .unwrap()
}

#[tokio::test]
async fn repeated_free_function_calls_reuse_the_resolved_deployment() {
    let mock = MockServer::start().await.unwrap();
    let (token_calls, authority) = fake_entra().await;
    let opts = options(&mock.url(), &authority, "app-1");

    for _ in 0..3 {
        let answer = llmux::completion(request(), &opts).await.unwrap();
        assert_eq!(answer.choices.len(), 1);
    }
    assert_eq!(mock.requests().len(), 3);
    assert_eq!(
        token_calls.load(Ordering::SeqCst),
        1,
        "one token exchange for three calls with the same options"
    );

    let other = options(&mock.url(), &authority, "app-2");
    llmux::completion(request(), &other).await.unwrap();
    assert_eq!(
        token_calls.load(Ordering::SeqCst),
        2,
        "other credentials are another deployment"
    );
    let bearers: Vec<String> = mock
        .requests()
        .iter()
        .filter_map(|r| {
            r.headers
                .iter()
                .find(|(k, _)| k == "authorization")
                .map(|(_, v)| v.clone())
        })
        .collect();
    assert_eq!(
        bearers,
        ["Bearer ad-1", "Bearer ad-1", "Bearer ad-1", "Bearer ad-2"]
    );
}
