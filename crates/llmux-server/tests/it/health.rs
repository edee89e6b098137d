#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! `GET /health` (a real call per deployment), the readiness probes and
//! `GET /v1/model/info` (`/model/info`).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{Gateway, Reply, UPSTREAM_KEY, send};

const MASTER: &str = "sk-master-health-1234";

/// One `litellm_params` line per entry: `(model_name, api_base path under {mock},
/// extra YAML for the entry)`.
fn config(entries: &[(&str, &str, &str)]) -> String {
    let mut yaml = String::from("model_list:\n");
    for (name, path, extra) in entries {
        yaml.push_str(&format!(
            "  - model_name: {name}\n    litellm_params:\n      model: openai/gpt-4o-mini\n      \
             api_base: \"{{mock}}{path}\"\n      api_key: {UPSTREAM_KEY}\n{extra}"
        ));
    }
    yaml
}

fn with_master_key(yaml: &str) -> String {
    format!("{yaml}general_settings:\n  master_key: {MASTER}\n")
}

async fn admin_get(gw: &Gateway, path: &str) -> Reply {
    send(
        gw.http
            .get(gw.url(path))
            .header("authorization", format!("Bearer {MASTER}")),
    )
    .await
}

fn endpoints(body: &Value, which: &str) -> Vec<Value> {
    body[which].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn health_calls_each_deployment_and_shows_no_secret() {
    let gw = Gateway::start(&config(&[
        ("good", "/v1", ""),
        ("bad", "/error/500/v1", ""),
    ]))
    .await;

    let reply = gw.get("/health").await;

    let body = reply.ok_json();
    assert!(
        !reply.text().contains(UPSTREAM_KEY),
        "the key leaked: {}",
        reply.text()
    );
    assert!(!reply.text().contains("api_key"), "{}", reply.text());
    assert_eq!(body["healthy_count"], 1, "{body}");
    assert_eq!(body["unhealthy_count"], 1, "{body}");
    let healthy = &endpoints(&body, "healthy_endpoints")[0];
    assert_eq!(healthy["model"], "openai/gpt-4o-mini");
    assert_eq!(healthy["api_base"], format!("{}/v1", gw.mock.url()));
    assert!(healthy["model_id"].is_string(), "{healthy}");
    assert!(healthy.get("error").is_none(), "{healthy}");
    let unhealthy = &endpoints(&body, "unhealthy_endpoints")[0];
    assert_eq!(
        unhealthy["api_base"],
        format!("{}/error/500/v1", gw.mock.url())
    );
    assert_eq!(unhealthy["exception_status"], 500, "{unhealthy}");
    let error = unhealthy["error"].as_str().unwrap();
    assert!(error.starts_with("litellm.InternalServerError"), "{error}");

    // One attempt each (no retries), with LiteLLM's health-check request.
    let calls = gw.upstream();
    assert_eq!(calls.len(), 2, "{calls:?}");
    for call in &calls {
        assert!(call.path.ends_with("/chat/completions"), "{}", call.path);
        let sent: Value = serde_json::from_slice(&call.body).unwrap();
        assert_eq!(sent["max_tokens"], 16, "{sent}");
        let text = sent["messages"][0]["content"].as_str().unwrap();
        assert!(
            ["Hey how's it going?", "What's 1 + 1?"].contains(&text),
            "{sent}"
        );
    }
}

#[tokio::test]
async fn health_model_filter_checks_only_that_group() {
    let gw = Gateway::start(&config(&[
        ("good", "/v1", ""),
        ("bad", "/error/500/v1", ""),
    ]))
    .await;

    let good = gw.get("/health?model=good").await.ok_json();
    assert_eq!(good["healthy_count"], 1, "{good}");
    assert_eq!(good["unhealthy_count"], 0, "{good}");
    assert_eq!(gw.upstream().len(), 1);

    // A targeted check with nothing healthy is a 503 (same body shape).
    let bad = gw.get("/health?model=bad").await;
    assert_eq!(bad.status, 503, "{}", bad.text());
    let bad = bad.json();
    assert_eq!(bad["healthy_count"], 0, "{bad}");
    assert_eq!(bad["unhealthy_count"], 1, "{bad}");

    // `model` also matches `litellm_params.model` when no group has that name.
    let by_model = gw.get("/health?model=openai/gpt-4o-mini").await.json();
    assert_eq!(by_model["healthy_count"], 1, "{by_model}");
    assert_eq!(by_model["unhealthy_count"], 1, "{by_model}");

    let id = good["healthy_endpoints"][0]["model_id"].as_str().unwrap();
    let by_id = gw.get(&format!("/health?model_id={id}")).await.ok_json();
    assert_eq!(by_id["healthy_count"], 1, "{by_id}");
    assert_eq!(by_id["unhealthy_count"], 0, "{by_id}");

    gw.get("/health?model_id=no-such-id")
        .await
        .assert_error(404, "invalid_request_error");
}

#[tokio::test]
async fn admin_routes_need_the_master_key_and_probes_do_not() {
    let gw = Gateway::start(&with_master_key(&config(&[("good", "/v1", "")]))).await;

    for path in [
        "/health",
        "/health/readiness/details",
        "/v1/model/info",
        "/model/info",
    ] {
        gw.get(path).await.assert_error(401, "auth_error");
        admin_get(&gw, path).await.ok_json();
    }
    assert_eq!(gw.get("/health/liveliness").await.ok_json(), "I'm alive!");
    gw.get("/health/liveness").await.ok_json();
    assert_eq!(
        gw.get("/health/readiness").await.ok_json(),
        json!({"status": "healthy", "db": "Not connected"})
    );
    let details = admin_get(&gw, "/health/readiness/details").await.ok_json();
    assert_eq!(details["status"], "healthy");
    assert_eq!(details["cache"], Value::Null);
    assert_eq!(details["llmux_router_state"]["backend"], "memory");
    assert_eq!(details["llmux_router_state"]["connected"], true);
}

#[tokio::test]
async fn mocked_and_embedding_deployments_are_checked_their_way() {
    let gw = Gateway::start(&config(&[
        ("mocked", "/unused/v1", "      mock_response: \"pong\"\n"),
        (
            "embedder",
            "/v1",
            "    model_info:\n      mode: embedding\n",
        ),
    ]))
    .await;

    let body = gw.get("/health").await.ok_json();

    assert_eq!(body["healthy_count"], 2, "{body}");
    let calls = gw.upstream();
    assert_eq!(calls.len(), 1, "the mock makes no call: {calls:?}");
    assert!(calls[0].path.ends_with("/embeddings"), "{}", calls[0].path);
    let sent: Value = serde_json::from_slice(&calls[0].body).unwrap();
    assert_eq!(sent["input"], json!(["test from litellm"]), "{sent}");
    assert!(sent.get("max_tokens").is_none(), "{sent}");
}

#[tokio::test]
async fn a_wildcard_deployment_is_checked_with_the_cheapest_models() {
    // The first call fails: LiteLLM falls back to the next cheapest model.
    let yaml = format!(
        "model_list:\n  - model_name: \"openai/*\"\n    litellm_params:\n      model: \"openai/*\"\n      \
         api_base: \"{{mock}}/fail_first/1/v1\"\n      api_key: {UPSTREAM_KEY}\n"
    );
    let gw = Gateway::start(&yaml).await;

    let body = gw.get("/health").await.ok_json();

    assert_eq!(body["healthy_count"], 1, "{body}");
    assert_eq!(body["healthy_endpoints"][0]["model"], "openai/*", "{body}");
    let models: Vec<String> = gw
        .upstream()
        .iter()
        .map(|call| {
            let sent: Value = serde_json::from_slice(&call.body).unwrap();
            // Reasoning models get it as `max_completion_tokens`.
            let limit = sent.get("max_tokens").or(sent.get("max_completion_tokens"));
            assert_eq!(limit, Some(&json!(16)), "{sent}");
            sent["model"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(models.len(), 2, "{models:?}");
    assert_ne!(models[0], models[1], "{models:?}");
    assert!(
        models.iter().all(|m| !m.is_empty() && !m.contains('*')),
        "{models:?}"
    );
}

#[tokio::test]
async fn a_slow_deployment_times_out_on_its_own_limit() {
    let gw = Gateway::start(&config(&[(
        "slow",
        "/delay/3000/v1",
        "    model_info:\n      health_check_timeout: 0.3\n",
    )]))
    .await;

    let started = Instant::now();
    let body = gw.get("/health").await.ok_json();

    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(body["unhealthy_count"], 1, "{body}");
    let unhealthy = &body["unhealthy_endpoints"][0];
    assert_eq!(unhealthy["error"], "Timeout exceeded", "{unhealthy}");
    assert_eq!(unhealthy["exception_status"], 408, "{unhealthy}");
}

#[tokio::test]
async fn checks_run_concurrently_but_bounded() {
    let names: Vec<String> = (0..25).map(|i| format!("slow-{i}")).collect();
    let entries: Vec<(&str, &str, &str)> = names
        .iter()
        .map(|n| (n.as_str(), "/delay/200/v1", ""))
        .collect();
    let gw = Gateway::start(&config(&entries)).await;

    let started = Instant::now();
    let body = gw.get("/health").await.ok_json();
    let took = started.elapsed();

    assert_eq!(body["healthy_count"], 25, "{body}");
    // 25 checks of 200 ms, 10 at a time: three rounds, far from 25 × 200 ms in a row.
    assert!(took < Duration::from_millis(2500), "{took:?}");
    assert!(took >= Duration::from_millis(550), "not bounded: {took:?}");
    // Results keep config order, as /model/info lists it.
    let ids = |rows: Vec<Value>, key: &str| -> Vec<String> {
        rows.iter()
            .map(|e| e[key].as_str().unwrap().to_owned())
            .collect()
    };
    let listed: Vec<Value> = gw.get("/model/info").await.ok_json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["model_info"].clone())
        .collect();
    assert_eq!(
        ids(endpoints(&body, "healthy_endpoints"), "model_id"),
        ids(listed, "id")
    );
}

#[tokio::test]
async fn model_info_lists_every_deployment_with_keys_masked() {
    let auth_header = "Bearer hdr-secret-abcdefgh";
    let yaml = format!(
        "{}router_settings:\n  model_group_alias:\n    gpt-latest: good\n",
        config(&[
            (
                "good",
                "/v1",
                &format!(
                    "      extra_headers:\n        Authorization: \"{auth_header}\"\n      \
                     azure_ad_token: tok-abcdefghijkl\n      rpm: 100\n    model_info:\n      \
                     id: good-1\n      max_input_tokens: 1000\n"
                ),
            ),
            ("good", "/v2", "    model_info:\n      id: good-2\n"),
            ("other", "/v1", ""),
        ])
    );
    let gw = Gateway::start(&yaml).await;

    for path in ["/v1/model/info", "/model/info"] {
        let reply = gw.get(path).await;
        let body = reply.ok_json();
        let text = reply.text();
        assert!(!text.contains(UPSTREAM_KEY), "the key leaked: {text}");
        assert!(!text.contains("hdr-secret-abcdefgh"), "{text}");
        assert!(!text.contains("tok-abcdefghijkl"), "{text}");
        let data = body["data"].as_array().unwrap();
        let rows: Vec<(&str, &str)> = data
            .iter()
            .map(|r| {
                (
                    r["model_name"].as_str().unwrap(),
                    r["model_info"]["id"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            rows[..2],
            [("good", "good-1"), ("good", "good-2")],
            "{body}"
        );
        assert_eq!(rows[2].0, "other", "{body}");
        // The alias lists its target's deployments under its own name.
        assert_eq!(
            rows[3..],
            [("gpt-latest", "good-1"), ("gpt-latest", "good-2")],
            "{body}"
        );

        let first = &data[0];
        let params = &first["litellm_params"];
        assert!(
            params.get("api_key").is_none(),
            "dropped as LiteLLM: {params}"
        );
        assert_eq!(params["model"], "openai/gpt-4o-mini");
        assert_eq!(params["api_base"], format!("{}/v1", gw.mock.url()));
        assert_eq!(params["rpm"], 100);
        assert_eq!(params["azure_ad_token"], "tok-********ijkl", "{params}");
        assert_eq!(
            params["extra_headers"]["Authorization"],
            format!("Bear{}efgh", "*".repeat(auth_header.len() - 8)),
            "{params}"
        );
        let info = &first["model_info"];
        assert_eq!(info["db_model"], false);
        assert_eq!(info["max_input_tokens"], 1000, "config wins: {info}");
        assert_eq!(info["litellm_provider"], "openai", "{info}");
        assert_eq!(info["mode"], "chat", "{info}");
        assert!(info["input_cost_per_token"].is_number(), "{info}");
        assert!(info["max_output_tokens"].is_number(), "{info}");
        assert!(info["supports_function_calling"].is_boolean(), "{info}");
        assert_eq!(first["llmux_router_state"]["in_flight"], 0, "{first}");
    }

    let one = gw
        .get("/v1/model/info?litellm_model_id=good-2")
        .await
        .ok_json();
    assert_eq!(one["data"].as_array().unwrap().len(), 1, "{one}");
    assert_eq!(one["data"][0]["model_info"]["id"], "good-2");
    gw.get("/v1/model/info?litellm_model_id=nope")
        .await
        .assert_error(400, "invalid_request_error");
}
