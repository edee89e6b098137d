#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! The real `llmux` binary with `key_management_system: hashicorp_vault`: the upstream key
//! comes from an in-process fake Vault (reached as a user reaches a private one, through
//! `HCP_VAULT_ADDR`), and neither it nor the Vault token appears in any log line (at
//! debug) or any answer of a full run; a refused Vault token stops start-up with a
//! message naming `HCP_VAULT_TOKEN` and not the token.

#[allow(
    dead_code,
    reason = "shared with redis_gateway.rs, which uses all of it"
)]
#[path = "redis_gateway/support.rs"]
mod support;

use std::future::IntoFuture;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use llmux_mock::MockServer;
use serde_json::json;

use support::{Gateway, Scratch};

const UPSTREAM_KEY: &str = "sk-upstream-kept-in-vault-7d1e";
const VAULT_TOKEN: &str = "hvs.gateway-token-93ab";
const MASTER_KEY: &str = "sk-admin-for-the-secrets-test";

async fn fake_vault() -> String {
    let ok =
        |h: &HeaderMap| h.get("x-vault-token").and_then(|v| v.to_str().ok()) == Some(VAULT_TOKEN);
    let app = Router::new()
        .route(
            "/v1/auth/token/lookup-self",
            get(move |h: HeaderMap| async move {
                if ok(&h) {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                }
            }),
        )
        .route(
            "/v1/secret/data/{name}",
            get(move |Path(name): Path<String>, h: HeaderMap| async move {
                if !ok(&h) {
                    return StatusCode::FORBIDDEN.into_response();
                }
                match name.as_str() {
                    "UPSTREAM_KEY" => {
                        axum::Json(json!({"data": {"data": {"key": UPSTREAM_KEY}}})).into_response()
                    }
                    _ => StatusCode::NOT_FOUND.into_response(),
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(axum::serve(listener, app).into_future());
    url
}

fn yaml(mock: &str) -> String {
    format!(
        "model_list:\n\
         \x20 - model_name: m\n    litellm_params: {{model: openai/gpt-4o-mini, api_base: \"{mock}/v1\", api_key: os.environ/UPSTREAM_KEY}}\n\
         \x20 - model_name: refused\n    litellm_params: {{model: openai/gpt-4o-mini, api_base: \"{mock}/error/401/v1\", api_key: os.environ/UPSTREAM_KEY}}\n\
         router_settings:\n  num_retries: 0\n\
         general_settings:\n  master_key: {MASTER_KEY}\n  key_management_system: hashicorp_vault\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vault_secrets_reach_the_upstream_and_never_a_log_line_or_an_answer() {
    let vault = fake_vault().await;
    let mock = MockServer::start().await.unwrap();
    let scratch = Scratch::new("secrets");
    let envs = [
        ("HCP_VAULT_ADDR", vault.clone()),
        ("HCP_VAULT_TOKEN", VAULT_TOKEN.to_owned()),
        ("LLMUX_LOG", "debug".to_owned()),
    ];
    let gw = Gateway::start_with("gw", &scratch, &yaml(&mock.url()), &envs, None).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut answers = Vec::new();
    let call = |method: reqwest::Method, path: &str, body: Option<serde_json::Value>| {
        let mut req = http
            .request(method, format!("{}{path}", gw.base))
            .header("authorization", format!("Bearer {MASTER_KEY}"));
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        req
    };
    let chat =
        |model: &str| json!({"model": model, "messages": [{"role": "user", "content": "hi"}]});
    for (method, path, body) in [
        (
            reqwest::Method::POST,
            "/v1/chat/completions",
            Some(chat("m")),
        ),
        (
            reqwest::Method::POST,
            "/v1/chat/completions",
            Some(chat("refused")),
        ),
        (
            reqwest::Method::POST,
            "/v1/chat/completions",
            Some(chat("unknown")),
        ),
        (reqwest::Method::GET, "/health", None),
        (reqwest::Method::GET, "/model/info", None),
        (reqwest::Method::GET, "/v1/models", None),
        (reqwest::Method::GET, "/health/readiness/details", None),
    ] {
        let resp = call(method, path, body).send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = format!("{:?}", resp.headers());
        let text = resp.text().await.unwrap();
        answers.push(format!("{path} {status} {headers} {text}"));
    }
    assert!(answers[0].contains(" 200 "), "{}", answers[0]);
    assert!(answers[1].contains(" 401 "), "{}", answers[1]);
    // The key really came from Vault: the upstream got it.
    let sent = mock.requests();
    assert!(
        sent.iter().any(|r| r
            .headers
            .iter()
            .any(|(k, v)| k == "authorization" && v == &format!("Bearer {UPSTREAM_KEY}"))),
        "the upstream saw the key from Vault"
    );
    let log = gw.log();
    assert!(log.contains("resolved through the secret manager"), "{log}");
    for secret in [UPSTREAM_KEY, VAULT_TOKEN] {
        for line in log.lines() {
            assert!(!line.contains(secret), "a log line holds a secret: {line}");
        }
        for answer in &answers {
            assert!(
                !answer.contains(secret),
                "an answer holds a secret: {answer}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_vault_token_stops_start_up_naming_the_setting() {
    let vault = fake_vault().await;
    let scratch = Scratch::new("secrets-refused");
    let wrong = "hvs.not-the-right-one-55c0";
    let envs = [
        ("HCP_VAULT_ADDR", vault),
        ("HCP_VAULT_TOKEN", wrong.to_owned()),
    ];
    let stderr = Gateway::start_failing("gw", &scratch, &yaml("http://127.0.0.1:9"), &envs).await;
    assert!(stderr.contains("HCP_VAULT_TOKEN"), "{stderr}");
    assert!(stderr.contains("key_management_system"), "{stderr}");
    assert!(!stderr.contains(wrong), "the token is not shown: {stderr}");
}
