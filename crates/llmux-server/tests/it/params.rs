#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! Unsupported OpenAI parameters and `drop_params`.

use serde_json::{Value, json};

use crate::common::Gateway;

fn mistral(extra_yaml: &str) -> String {
    format!(
        r#"
model_list:
  - model_name: mistral-small
    litellm_params:
      model: mistral/mistral-small-latest
      api_base: "{{mock}}/v1"
      api_key: sk-mistral
{extra_yaml}
"#
    )
}

fn with_logit_bias() -> Value {
    json!({
        "model": "mistral-small",
        "messages": [{"role": "user", "content": "hi"}],
        "logit_bias": {"50256": -100},
        "temperature": 0.3
    })
}

#[tokio::test]
async fn unsupported_param_is_400_unsupported_params_error_without_an_upstream_call() {
    let gw = Gateway::start(&mistral("")).await;

    let reply = gw.chat(&with_logit_bias()).await;

    let err = reply.assert_error(400, "invalid_request_error");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.starts_with("litellm.UnsupportedParamsError"),
        "{message}"
    );
    assert!(
        message.contains("'logit_bias'"),
        "names the param: {message}"
    );
    assert!(
        message.contains("drop_params"),
        "says how to drop it: {message}"
    );
    assert_eq!(gw.upstream().len(), 0);
}

#[tokio::test]
async fn drop_params_in_the_body_drops_the_unsupported_param() {
    let gw = Gateway::start(&mistral("")).await;
    let mut body = with_logit_bias();
    body["drop_params"] = json!(true);

    let reply = gw.chat(&body).await;

    assert_eq!(reply.ok_json()["model"], "mistral-small");
    let up = gw.upstream();
    assert_eq!(up.len(), 1);
    let sent = up[0].json().unwrap();
    assert!(sent.get("logit_bias").is_none(), "{sent}");
    assert!(
        sent.get("drop_params").is_none(),
        "LiteLLM's own key stays home: {sent}"
    );
    assert_eq!(sent["temperature"], 0.3, "supported params are kept");
    assert_eq!(sent["model"], "mistral-small-latest");
    assert_eq!(up[0].header("authorization"), Some("Bearer sk-mistral"));
}

#[tokio::test]
async fn drop_params_in_litellm_settings_drops_the_unsupported_param() {
    let gw = Gateway::start(&mistral("litellm_settings:\n  drop_params: true")).await;

    let reply = gw.chat(&with_logit_bias()).await;

    reply.ok_json();
    let sent = gw.upstream()[0].json().unwrap();
    assert!(sent.get("logit_bias").is_none(), "{sent}");
    assert_eq!(sent["temperature"], 0.3);
}

#[tokio::test]
async fn drop_params_in_litellm_params_drops_the_unsupported_param() {
    let gw = Gateway::start(&mistral("      drop_params: true")).await;

    gw.chat(&with_logit_bias()).await.ok_json();

    assert!(gw.upstream()[0].json().unwrap().get("logit_bias").is_none());
}

#[tokio::test]
async fn allowed_openai_params_in_the_body_forwards_the_param() {
    let gw = Gateway::start(&mistral("")).await;
    let mut body = with_logit_bias();
    body["allowed_openai_params"] = json!(["logit_bias"]);

    gw.chat(&body).await.ok_json();

    let sent = gw.upstream()[0].json().unwrap();
    assert_eq!(sent["logit_bias"], json!({"50256": -100}));
    assert!(sent.get("allowed_openai_params").is_none(), "{sent}");
}

#[tokio::test]
async fn additional_drop_params_in_config_drops_even_supported_params() {
    let gw = Gateway::start(&mistral("      additional_drop_params: [\"temperature\"]")).await;
    let body = json!({
        "model": "mistral-small",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.3
    });

    gw.chat(&body).await.ok_json();

    assert!(
        gw.upstream()[0]
            .json()
            .unwrap()
            .get("temperature")
            .is_none()
    );
}

/// LiteLLM's `_check_valid_arg` never counts `user`, `stream`, `stream_options` or
/// `n == 1` as unsupported (`if k == "user" or k == "stream_options" or k == "stream":
/// continue`; `if k == "n" and n == 1: continue`), so OpenAI SDK and LangChain defaults
/// work against every provider without `drop_params`.
#[tokio::test]
async fn user_and_n_of_one_are_never_unsupported_params() {
    let gw = Gateway::start(&mistral("")).await;
    let body = json!({
        "model": "mistral-small",
        "messages": [{"role": "user", "content": "hi"}],
        "user": "end-user-1",
        "n": 1
    });

    let reply = gw.chat(&body).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(gw.upstream().len(), 1);
}

#[tokio::test]
async fn stream_options_is_never_an_unsupported_param() {
    let gw = Gateway::start(&mistral("")).await;
    let body = json!({
        "model": "mistral-small",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": true,
        "stream_options": {"include_usage": true}
    });

    let reply = gw.chat(&body).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    assert_eq!(gw.upstream().len(), 1);
}
