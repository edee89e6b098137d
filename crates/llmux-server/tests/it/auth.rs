#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! The master key.

use serde_json::Value;

use crate::common::{Gateway, chat_body, one_model, send};

const MASTER: &str = "sk-master-1234";

async fn gateway_with_master_key() -> Gateway {
    let yaml = format!(
        "{}\ngeneral_settings:\n  master_key: {MASTER}\n",
        one_model("{mock}/v1", "")
    );
    Gateway::start(&yaml).await
}

fn chat_text() -> String {
    chat_body("gpt-alias").to_string()
}

#[tokio::test]
async fn no_key_is_401_auth_error() {
    let gw = gateway_with_master_key().await;

    let reply = gw.chat(&chat_body("gpt-alias")).await;

    let err = reply.assert_error(401, "auth_error");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("No api key passed in"),
        "{err}"
    );
    assert_eq!(err["param"], Value::Null);
    assert_eq!(gw.upstream().len(), 0);
}

#[tokio::test]
async fn wrong_key_is_401_auth_error() {
    let gw = gateway_with_master_key().await;

    let reply = send(
        gw.post("/v1/chat/completions")
            .header("authorization", "Bearer sk-wrong")
            .body(chat_text()),
    )
    .await;

    let err = reply.assert_error(401, "auth_error");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("Invalid proxy server token"),
        "{err}"
    );
    assert_eq!(gw.upstream().len(), 0);
}

#[tokio::test]
async fn master_key_is_accepted_in_each_header_litellm_reads() {
    let gw = gateway_with_master_key().await;
    let bearer = format!("Bearer {MASTER}");
    let headers = [
        ("authorization", bearer.as_str()),
        ("x-litellm-api-key", MASTER),
        ("x-litellm-api-key", bearer.as_str()),
        ("api-key", MASTER),
        ("x-api-key", MASTER),
    ];

    for (name, value) in headers {
        let reply = send(
            gw.post("/v1/chat/completions")
                .header(name, value)
                .body(chat_text()),
        )
        .await;
        assert_eq!(reply.status, 200, "{name}: {value}: {}", reply.text());
    }
    assert_eq!(gw.upstream().len(), headers.len());
}

#[tokio::test]
async fn the_master_key_is_not_forwarded_upstream() {
    let gw = gateway_with_master_key().await;

    send(
        gw.post("/v1/chat/completions")
            .header("authorization", format!("Bearer {MASTER}"))
            .body(chat_text()),
    )
    .await
    .ok_json();

    let up = gw.upstream();
    assert_eq!(
        up[0].header("authorization"),
        Some("Bearer sk-upstream-test"),
        "the upstream gets the config's api_key"
    );
    assert!(up[0].headers.iter().all(|(_, v)| !v.contains(MASTER)));
}

#[tokio::test]
async fn health_probes_need_no_key_but_models_does() {
    let gw = gateway_with_master_key().await;

    let live = gw.get("/health/liveliness").await;
    assert_eq!(live.ok_json(), Value::from("I'm alive!"));
    gw.get("/health/liveness").await.ok_json();
    assert_eq!(
        gw.get("/health/readiness").await.ok_json()["status"],
        "healthy"
    );

    gw.get("/v1/models").await.assert_error(401, "auth_error");
    let listed = send(
        gw.http
            .get(gw.url("/v1/models"))
            .header("authorization", format!("Bearer {MASTER}")),
    )
    .await;
    listed.ok_json();
}
