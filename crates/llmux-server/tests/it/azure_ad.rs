//! Azure AD (Entra ID) client credentials through the gateway: an in-process fake token
//! endpoint (reached through `azure_authority_host`), the Azure OpenAI route of
//! `llmux-mock` as upstream.

use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::{Path, State};
use serde_json::json;
use tokio::net::TcpListener;

use crate::common::{Gateway, chat_body};

struct FakeEntra {
    calls: AtomicUsize,
    expires_in: u64,
}

async fn token(
    State(state): State<Arc<FakeEntra>>,
    Path(tenant): Path<String>,
    body: String,
) -> axum::Json<serde_json::Value> {
    assert_eq!(tenant, "tenant-1");
    for field in [
        "grant_type=client_credentials",
        "client_id=app-1",
        "client_secret=s3cret",
        "scope=https%3A%2F%2Fcognitiveservices.azure.com%2F.default",
    ] {
        assert!(body.contains(field), "{field} in {body}");
    }
    let n = state.calls.fetch_add(1, Ordering::SeqCst) + 1;
    axum::Json(
        json!({"token_type": "Bearer", "expires_in": state.expires_in, "access_token": format!("ad-token-{n}")}),
    )
}

async fn start_entra(
    expires_in: u64,
) -> (
    Arc<FakeEntra>,
    String,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let state = Arc::new(FakeEntra {
        calls: AtomicUsize::new(0),
        expires_in,
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/{tenant}/oauth2/v2.0/token", axum::routing::post(token))
        .with_state(Arc::clone(&state));
    (
        state,
        base,
        tokio::spawn(axum::serve(listener, app).into_future()),
    )
}

fn config(authority: &str) -> String {
    format!(
        r#"
model_list:
  - model_name: azure-ad
    litellm_params:
      model: azure/my-deployment
      api_base: "{{mock}}"
      api_version: "2024-10-21"
      tenant_id: tenant-1
      client_id: app-1
      client_secret: s3cret
      azure_authority_host: "{authority}"
"#
    )
}

fn bearers(gw: &Gateway) -> Vec<String> {
    gw.upstream()
        .iter()
        .map(|r| {
            r.headers
                .iter()
                .find(|(k, _)| k == "authorization")
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn one_token_exchange_serves_many_concurrent_requests() {
    let (entra, authority, server) = start_entra(3600).await;
    let gw = Arc::new(Gateway::start(&config(&authority)).await);
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let gw = Arc::clone(&gw);
            tokio::spawn(async move { gw.chat(&chat_body("azure-ad")).await.status })
        })
        .collect();
    for c in calls {
        assert_eq!(c.await.unwrap(), 200);
    }
    assert_eq!(entra.calls.load(Ordering::SeqCst), 1);
    let sent = bearers(&gw);
    assert_eq!(sent.len(), 8);
    assert!(sent.iter().all(|b| b == "Bearer ad-token-1"), "{sent:?}");
    assert!(
        gw.upstream()[0]
            .path
            .starts_with("/openai/deployments/my-deployment/chat/completions"),
        "{}",
        gw.upstream()[0].path
    );
    server.abort();
}

#[tokio::test]
async fn the_token_is_refreshed_before_it_expires() {
    // 301 s of life and a 300 s margin: fresh for one second, then due for refresh
    // although still valid.
    let (entra, authority, server) = start_entra(301).await;
    let gw = Gateway::start(&config(&authority)).await;
    gw.chat(&chat_body("azure-ad")).await.ok_json();
    gw.chat(&chat_body("azure-ad")).await.ok_json();
    assert_eq!(entra.calls.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    gw.chat(&chat_body("azure-ad")).await.ok_json();
    assert_eq!(entra.calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        bearers(&gw),
        [
            "Bearer ad-token-1",
            "Bearer ad-token-1",
            "Bearer ad-token-2"
        ]
    );
    server.abort();
}
