#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! Secrets never printed (issue #7, item 5): every secret of a config (literal and from
//! the environment) is absent from the `Debug` of the loaded config and of the whole
//! gateway state (router, deployments, call options), and from every error answer.

use llmux_server::config::Config;
use serde_json::json;

use crate::common::{Gateway, chat_body};

const SECRETS: [&str; 6] = [
    "sk-literal-upstream-1f3a",
    "sk-from-the-environment-77c2",
    "sk-master-secret-9d0e",
    "aws-secret-access-5b6c",
    "redis-password-4e8f",
    "azure-ad-token-0a1b",
];

fn yaml() -> String {
    format!(
        r#"
model_list:
  - model_name: literal
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{{mock}}/error/401/v1"
      api_key: {}
      num_retries: 0
      extra_headers: {{Authorization: "Bearer {}"}}
  - model_name: env
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{{mock}}/v1"
      api_key: os.environ/UPSTREAM_SECRET
      aws_secret_access_key: {}
  - model_name: azure
    litellm_params:
      model: azure/dep
      api_base: "{{mock}}/error/500/v1"
      api_version: "2024-02-01"
      azure_ad_token: {}
      num_retries: 0
router_settings:
  redis_password: {}
general_settings:
  master_key: {}
"#,
        SECRETS[0], SECRETS[0], SECRETS[3], SECRETS[5], SECRETS[4], SECRETS[2]
    )
}

fn env(name: &str) -> Option<String> {
    (name == "UPSTREAM_SECRET").then(|| SECRETS[1].to_owned())
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows {secret}: {text}");
    }
}

#[tokio::test]
async fn no_secret_appears_in_any_debug_output_or_error_answer() {
    let config =
        Config::from_yaml_str(&yaml().replace("{mock}", "http://127.0.0.1:9"), &env).unwrap();
    assert_no_secret("the config's Debug", &format!("{config:?}"));
    // Without Redis reachable the state would try to connect: drop the password setting.
    let yaml = yaml().replace(&format!("  redis_password: {}\n", SECRETS[4]), "");
    let gw = Gateway::start_with_env(&yaml, &env).await;
    let state = format!("{:?}", gw.state);
    assert!(
        state.contains("Deployment"),
        "the state shows its deployments: {state}"
    );
    assert_no_secret("the gateway state's Debug", &state);

    for model in ["literal", "azure", "env", "no-such-model"] {
        let reply = gw
            .post("/v1/chat/completions")
            .header("authorization", format!("Bearer {}", SECRETS[2]))
            .body(chat_body(model).to_string())
            .send()
            .await
            .unwrap();
        let text = reply.text().await.unwrap();
        assert_no_secret(&format!("the answer for {model}"), &text);
    }
    let reply = gw
        .post("/v1/chat/completions")
        .header("authorization", "Bearer wrong")
        .body(json!({"model": "literal"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 401);
    assert_no_secret("the 401", &reply.text().await.unwrap());
}
