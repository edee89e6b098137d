#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! Non-streamed chat: the happy path, headers, config-driven behaviour.

use serde_json::{Value, json};

use crate::common::{Gateway, UPSTREAM_KEY, chat_body, one_model};

#[tokio::test]
async fn chat_answers_under_the_alias_with_litellm_headers_and_calls_the_provider_model() {
    let gw = Gateway::start(&one_model(
        "{mock}/v1",
        "    model_info:\n      id: deployment-one",
    ))
    .await;

    let reply = gw.chat(&chat_body("gpt-alias")).await;

    let body = reply.ok_json();
    assert_eq!(body["model"], "gpt-alias", "the client sees the model_name");
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Hello! How can I help you today?"
    );
    assert_eq!(body["usage"]["prompt_tokens"], 12);
    assert_eq!(body["usage"]["completion_tokens"], 9);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );

    let call_id = reply.header("x-litellm-call-id").expect("call id header");
    assert_eq!(call_id.len(), 36, "a uuid: {call_id}");
    assert_eq!(reply.header("x-litellm-model-id"), Some("deployment-one"));
    assert_eq!(reply.header("x-litellm-model-group"), Some("gpt-alias"));
    assert_eq!(reply.header("x-litellm-attempted-retries"), Some("0"));
    let overhead: f64 = reply
        .header("x-litellm-overhead-duration-ms")
        .expect("overhead header")
        .parse()
        .expect("overhead is a number of ms");
    assert!(overhead >= 0.0);

    let up = gw.upstream();
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].method, "POST");
    assert_eq!(up[0].path, "/v1/chat/completions");
    let sent = up[0].json().expect("upstream body is JSON");
    assert_eq!(
        sent["model"], "gpt-4o-mini",
        "the provider model, prefix stripped"
    );
    assert_eq!(sent["messages"], json!([{"role": "user", "content": "hi"}]));
    assert_eq!(
        up[0].header("authorization"),
        Some(format!("Bearer {UPSTREAM_KEY}").as_str())
    );
}

#[tokio::test]
async fn each_call_gets_its_own_call_id_and_the_model_id_is_stable_without_model_info() {
    let gw = Gateway::start(&one_model("{mock}/v1", "")).await;

    let a = gw.chat(&chat_body("gpt-alias")).await;
    let b = gw.chat(&chat_body("gpt-alias")).await;

    a.ok_json();
    b.ok_json();
    assert_ne!(a.header("x-litellm-call-id"), b.header("x-litellm-call-id"));
    let id = a.header("x-litellm-model-id").expect("model id");
    assert!(!id.is_empty());
    assert_eq!(b.header("x-litellm-model-id"), Some(id));
}

#[tokio::test]
async fn litellm_keys_in_the_body_are_not_forwarded_upstream() {
    let gw = Gateway::start(&one_model("{mock}/v1", "")).await;
    let mut body = chat_body("gpt-alias");
    body["num_retries"] = json!(0);
    body["tags"] = json!(["team-a"]);
    body["litellm_trace_id"] = json!("trace-1");
    body["temperature"] = json!(0.5);

    gw.chat(&body).await.ok_json();

    let sent = gw.upstream()[0].json().unwrap();
    assert_eq!(sent["temperature"], 0.5);
    for key in ["num_retries", "tags", "litellm_trace_id"] {
        assert!(sent.get(key).is_none(), "{key} forwarded: {sent}");
    }
}

/// LiteLLM keeps the client's `metadata` for logging (`litellm_params.metadata`) and
/// never sends it to the provider; llmux's own `LITELLM_KEYS` lists it too.
#[tokio::test]
async fn client_metadata_is_not_forwarded_upstream() {
    let gw = Gateway::start(&one_model("{mock}/v1", "")).await;
    let mut body = chat_body("gpt-alias");
    body["metadata"] = json!({"trace_name": "abc"});

    gw.chat(&body).await.ok_json();

    let sent = gw.upstream()[0].json().unwrap();
    assert!(sent.get("metadata").is_none(), "{sent}");
}

#[tokio::test]
async fn litellm_params_request_defaults_fill_unset_fields_and_the_request_wins() {
    let gw = Gateway::start(&one_model("{mock}/v1", "      temperature: 0.2")).await;

    gw.chat(&chat_body("gpt-alias")).await.ok_json();
    let mut explicit = chat_body("gpt-alias");
    explicit["temperature"] = json!(0.9);
    gw.chat(&explicit).await.ok_json();

    let up = gw.upstream();
    assert_eq!(up[0].json().unwrap()["temperature"], 0.2);
    assert_eq!(up[1].json().unwrap()["temperature"], 0.9);
}

#[tokio::test]
async fn azure_deployment_route_serves_the_model_group_named_in_the_path() {
    let gw = Gateway::start(&one_model("{mock}/v1", "")).await;

    // The path names the deployment; the body's model is overridden by it.
    let reply = gw
        .post_json(
            "/openai/deployments/gpt-alias/chat/completions?api-version=2024-10-21",
            &chat_body("whatever-the-sdk-sent"),
        )
        .await;

    let body = reply.ok_json();
    assert_eq!(body["model"], "gpt-alias");
    assert_eq!(reply.header("x-litellm-model-group"), Some("gpt-alias"));
    let up = gw.upstream();
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].json().unwrap()["model"], "gpt-4o-mini");
}

#[tokio::test]
async fn azure_deployment_route_accepts_a_body_without_model() {
    let gw = Gateway::start(&one_model("{mock}/v1", "")).await;

    let reply = gw
        .post_json(
            "/openai/deployments/gpt-alias/chat/completions?api-version=2024-10-21",
            &json!({"messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;

    assert_eq!(reply.ok_json()["model"], "gpt-alias");
    assert_eq!(gw.upstream().len(), 1);
}

#[tokio::test]
async fn config_mock_response_answers_without_calling_the_upstream() {
    let gw = Gateway::start(&one_model(
        "{mock}/v1",
        "      mock_response: \"canned from config\"",
    ))
    .await;

    let reply = gw.chat(&chat_body("gpt-alias")).await;

    let body = reply.ok_json();
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "canned from config"
    );
    assert_eq!(body["model"], "gpt-alias");
    assert_eq!(reply.header("x-litellm-attempted-retries"), Some("0"));
    assert!(reply.header("x-litellm-call-id").is_some());
    assert_eq!(
        gw.upstream().len(),
        0,
        "mock_response never reaches the upstream"
    );
}

#[tokio::test]
async fn body_mock_response_answers_without_calling_the_upstream() {
    let gw = Gateway::start(&one_model("{mock}/v1", "")).await;
    let mut body = chat_body("gpt-alias");
    body["mock_response"] = json!("canned from body");

    let reply = gw.chat(&body).await;

    assert_eq!(
        reply.ok_json()["choices"][0]["message"]["content"],
        "canned from body"
    );
    assert_eq!(gw.upstream().len(), 0);
}

#[tokio::test]
async fn os_environ_api_key_is_resolved_through_the_env_and_sent_upstream() {
    let env = |name: &str| (name == "MY_KEY").then(|| "sk-env".to_owned());
    let yaml = r#"
model_list:
  - model_name: gpt-alias
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{mock}/v1"
      api_key: os.environ/MY_KEY
"#;
    let gw = Gateway::start_with_env(yaml, &env).await;

    gw.chat(&chat_body("gpt-alias")).await.ok_json();

    let up = gw.upstream();
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].header("authorization"), Some("Bearer sk-env"));
}

#[tokio::test]
async fn legacy_completions_answer_under_the_alias() {
    let gw = Gateway::start(&one_model("{mock}/v1", "")).await;

    let reply = gw
        .post_json(
            "/v1/completions",
            &json!({"model": "gpt-alias", "prompt": "Say hi"}),
        )
        .await;

    let body = reply.ok_json();
    assert_eq!(body["model"], "gpt-alias");
    assert_eq!(body["object"], "text_completion");
    assert!(body["choices"][0]["text"].is_string(), "{body}");
    // gpt-4o-mini is a chat model: LiteLLM (and llmux) answer through chat.
    let up = gw.upstream();
    assert_eq!(up[0].path, "/v1/chat/completions");
    assert_eq!(up[0].json().unwrap()["model"], Value::from("gpt-4o-mini"));
}

#[tokio::test]
async fn concurrent_requests_are_all_answered() {
    let gw = Gateway::start(&one_model("{mock}/delay/20/v1", "")).await;
    let body = chat_body("gpt-alias");

    let replies = futures::future::join_all((0..32).map(|_| gw.chat(&body))).await;

    for reply in &replies {
        assert_eq!(reply.ok_json()["model"], "gpt-alias");
    }
    let mut ids: Vec<_> = replies
        .iter()
        .map(|r| r.header("x-litellm-call-id").unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 32, "every call has its own id");
    assert_eq!(gw.upstream().len(), 32);
}
