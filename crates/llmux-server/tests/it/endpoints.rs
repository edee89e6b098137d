#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! `/v1/models` and `/v1/embeddings`.

use serde_json::{Value, json};

use crate::common::{Gateway, base64_decode};

const MODELS: &str = r#"
model_list:
  - model_name: zeta
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{mock}/v1"
      api_key: sk-x
  - model_name: alpha
    litellm_params:
      model: openai/gpt-4o
      api_base: "{mock}/v1"
      api_key: sk-x
  - model_name: zeta
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{mock}/second/v1"
      api_key: sk-x
  - model_name: embedder
    litellm_params:
      model: openai/text-embedding-3-small
      api_base: "{mock}/v1"
      api_key: sk-x
"#;

/// The mock's first embedding (item 0, 8 dimensions).
const FIRST_VECTOR: [f32; 8] = [0.5, -0.25, 0.125, 1.0, -0.5, 0.75, 0.0625, -1.0];

#[tokio::test]
async fn models_lists_each_model_name_once_in_config_order() {
    let gw = Gateway::start(MODELS).await;

    for path in ["/v1/models", "/models"] {
        let body = gw.get(path).await.ok_json();
        assert_eq!(body["object"], "list");
        let ids: Vec<&str> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["zeta", "alpha", "embedder"], "{path}");
        assert_eq!(body["data"][0]["object"], "model");
        assert_eq!(body["data"][0]["owned_by"], "openai");
    }
    assert_eq!(gw.upstream().len(), 0);
}

#[tokio::test]
async fn embeddings_float_answer_under_the_alias() {
    let gw = Gateway::start(MODELS).await;

    let reply = gw
        .post_json(
            "/v1/embeddings",
            &json!({"model": "embedder", "input": ["one", "two"]}),
        )
        .await;

    let body = reply.ok_json();
    assert_eq!(body["model"], "embedder");
    assert_eq!(body["object"], "list");
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[1]["index"], 1);
    let first: Vec<f64> = data[0]["embedding"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let want: Vec<f64> = FIRST_VECTOR.iter().map(|&f| f64::from(f)).collect();
    assert_eq!(first, want);
    assert_eq!(body["usage"]["prompt_tokens"], 10);
    assert!(reply.header("x-litellm-call-id").is_some());
    let up = gw.upstream();
    assert_eq!(up[0].path, "/v1/embeddings");
    assert_eq!(up[0].json().unwrap()["model"], "text-embedding-3-small");
}

#[tokio::test]
async fn embeddings_base64_decodes_to_the_float_vector() {
    let gw = Gateway::start(MODELS).await;

    let reply = gw
        .post_json(
            "/embeddings",
            &json!({"model": "embedder", "input": "one", "encoding_format": "base64"}),
        )
        .await;

    let body = reply.ok_json();
    let encoded = body["data"][0]["embedding"]
        .as_str()
        .unwrap_or_else(|| panic!("a base64 string: {body}"));
    let bytes = base64_decode(encoded);
    let floats: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    assert_eq!(floats, FIRST_VECTOR);
}

#[tokio::test]
async fn embeddings_through_the_azure_deployment_route() {
    let gw = Gateway::start(MODELS).await;

    let reply = gw
        .post_json(
            "/openai/deployments/embedder/embeddings?api-version=2024-10-21",
            &json!({"model": "embedder", "input": "one"}),
        )
        .await;

    assert_eq!(reply.ok_json()["model"], "embedder");
}

#[tokio::test]
async fn embeddings_for_an_unknown_model_is_400() {
    let gw = Gateway::start(MODELS).await;

    let reply = gw
        .post_json("/v1/embeddings", &json!({"model": "nope", "input": "x"}))
        .await;

    let err = reply.assert_error(400, "invalid_request_error");
    assert!(err["message"].as_str().unwrap().contains("model=nope"));
    assert_eq!(err["param"], Value::Null);
}
