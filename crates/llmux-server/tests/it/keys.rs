//! Virtual keys end to end: the management API with the master key, then requests with
//! the keys it made, on an SQLite store in a temporary directory.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{Gateway, Reply, UPSTREAM_KEY, chat_body, send};

const MASTER: &str = "sk-master-test";

/// A fresh directory for one test's database.
fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("llmux-keys-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config(db_url: &str) -> String {
    format!(
        r#"
model_list:
  - model_name: gpt-alias
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{{mock}}/v1"
      api_key: {UPSTREAM_KEY}
  - model_name: other-model
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{{mock}}/v1"
      api_key: {UPSTREAM_KEY}
  - model_name: grouped
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{{mock}}/v1"
      api_key: {UPSTREAM_KEY}
    model_info:
      access_groups: ["beta-models"]
general_settings:
  master_key: {MASTER}
  database_url: "{db_url}"
"#
    )
}

struct Env {
    gw: Gateway,
    clock: Arc<llmux::cache::ManualClock>,
    dir: std::path::PathBuf,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn start() -> Env {
    start_with("").await
}

/// A gateway on a fresh store, with `extra` appended to its config.
async fn start_with(extra: &str) -> Env {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.join("keys.db").display());
    let clock = Arc::new(llmux::cache::ManualClock::starting_now());
    let gw = Gateway::try_start(&(config(&url) + extra), &|_| None, clock.clone())
        .await
        .unwrap();
    let keys = gw.state.keys.as_ref().expect("keys on");
    assert!(keys.store().wait_ready(Duration::from_secs(10)).await);
    Env { gw, clock, dir }
}

impl Env {
    async fn admin(&self, path: &str, body: &Value) -> Reply {
        send(
            self.gw
                .post(path)
                .bearer_auth(MASTER)
                .body(body.to_string()),
        )
        .await
    }

    async fn admin_get(&self, path: &str) -> Reply {
        send(self.gw.http.get(self.gw.url(path)).bearer_auth(MASTER)).await
    }

    async fn generate(&self, body: Value) -> String {
        let r = self.admin("/key/generate", &body).await;
        let v = r.ok_json();
        v["key"].as_str().unwrap().to_owned()
    }

    async fn chat_as(&self, key: &str, model: &str) -> Reply {
        send(
            self.gw
                .post("/v1/chat/completions")
                .bearer_auth(key)
                .body(chat_body(model).to_string()),
        )
        .await
    }

    async fn spend_rows(&self, key: &str) -> Vec<Value> {
        let r = self
            .admin_get(&format!("/spend/logs?api_key={key}"))
            .await
            .ok_json();
        r.as_array().unwrap().clone()
    }
}

async fn eventually(mut f: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("condition never held");
}

#[tokio::test]
async fn a_key_limited_to_one_model_is_refused_another_with_403() {
    let env = start().await;
    let key = env.generate(json!({"models": ["gpt-alias"]})).await;
    assert!(key.starts_with("sk-"));
    let ok = env.chat_as(&key, "gpt-alias").await;
    ok.ok_json();
    assert_eq!(ok.header("x-litellm-key-spend"), Some("0.0"));
    let denied = env.chat_as(&key, "other-model").await;
    let err = denied.assert_error(403, "key_model_access_denied");
    assert_eq!(err["param"], "model");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("The requested model 'other-model' is not available for this API key"),
        "{err}"
    );
    // An access group grants its models.
    let grouped = env.generate(json!({"models": ["beta-models"]})).await;
    env.chat_as(&grouped, "grouped").await.ok_json();
    env.chat_as(&grouped, "gpt-alias")
        .await
        .assert_error(403, "key_model_access_denied");
    // An unknown key is a 401.
    env.chat_as("sk-nope", "gpt-alias")
        .await
        .assert_error(401, "auth_error");
}

#[tokio::test]
async fn a_spent_budget_is_budget_exceeded_and_a_budget_duration_resets_it() {
    let env = start().await;
    let key = env
        .generate(json!({"max_budget": 0.000_000_1, "budget_duration": "1h", "key_alias": "tiny"}))
        .await;
    env.chat_as(&key, "gpt-alias").await.ok_json();
    let mut refused = None;
    eventually(async || {
        let r = env.chat_as(&key, "gpt-alias").await;
        if r.status == 400 {
            refused = Some(r);
            true
        } else {
            false
        }
    })
    .await;
    let err = refused.unwrap().assert_error(400, "budget_exceeded");
    let msg = err["message"].as_str().unwrap();
    assert!(
        msg.contains("Budget has been exceeded! Key=tiny (sk-..."),
        "{msg}"
    );
    assert!(msg.contains("Max budget: 1e-07"), "{msg}");
    // The period ends: the key spends again.
    env.clock.advance(Duration::from_secs(3601));
    env.chat_as(&key, "gpt-alias").await.ok_json();
}

#[tokio::test]
async fn rpm_limit_gives_a_429_with_retry_after() {
    let env = start().await;
    let key = env.generate(json!({"rpm_limit": 2})).await;
    let first = env.chat_as(&key, "gpt-alias").await;
    first.ok_json();
    assert_eq!(
        first.header("x-ratelimit-api_key-limit-requests"),
        Some("2")
    );
    assert_eq!(
        first.header("x-ratelimit-api_key-remaining-requests"),
        Some("1")
    );
    env.chat_as(&key, "gpt-alias").await.ok_json();
    let limited = env.chat_as(&key, "gpt-alias").await;
    assert_eq!(limited.status, 429, "{}", limited.text());
    assert_eq!(limited.header("retry-after"), Some("60"));
    let body = limited.json();
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("Rate limit exceeded for api_key: "),
        "{msg}"
    );
    assert!(
        msg.contains("Limit type: requests. Current limit: 2"),
        "{msg}"
    );
    assert_eq!(
        env.gw.upstream().len(),
        2,
        "the refused request made no call"
    );
}

#[tokio::test]
async fn a_regenerated_key_invalidates_the_old_one_at_once() {
    let env = start().await;
    let old = env.generate(json!({"key_alias": "rotating"})).await;
    env.chat_as(&old, "gpt-alias").await.ok_json(); // now cached
    let r = env
        .admin("/key/regenerate", &json!({"key": old}))
        .await
        .ok_json();
    let new = r["key"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(r["key_alias"], "rotating");
    env.chat_as(&old, "gpt-alias")
        .await
        .assert_error(401, "auth_error");
    env.chat_as(&new, "gpt-alias").await.ok_json();
}

#[tokio::test]
async fn a_blocked_key_is_refused_until_unblocked() {
    let env = start().await;
    let key = env.generate(json!({})).await;
    env.chat_as(&key, "gpt-alias").await.ok_json();
    env.admin("/key/block", &json!({"key": key}))
        .await
        .ok_json();
    let err = env
        .chat_as(&key, "gpt-alias")
        .await
        .assert_error(401, "auth_error");
    assert!(err["message"].as_str().unwrap().contains("Key is blocked"));
    env.admin("/key/unblock", &json!({"key": key}))
        .await
        .ok_json();
    env.chat_as(&key, "gpt-alias").await.ok_json();
}

#[tokio::test]
async fn an_expired_key_is_refused() {
    let env = start().await;
    let key = env.generate(json!({"duration": "10s"})).await;
    env.chat_as(&key, "gpt-alias").await.ok_json();
    env.clock.advance(Duration::from_secs(11));
    let err = env
        .chat_as(&key, "gpt-alias")
        .await
        .assert_error(401, "expired_key");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("Authentication Error - Expired Key. Key Expiry time ")
    );
}

#[tokio::test]
async fn api_base_in_the_body_is_refused_for_a_virtual_key_without_an_upstream_call() {
    let env = start().await;
    let key = env.generate(json!({})).await;
    let mut body = chat_body("gpt-alias");
    body["api_base"] = json!("http://169.254.169.254/latest");
    let r = send(
        env.gw
            .post("/v1/chat/completions")
            .bearer_auth(&key)
            .body(body.to_string()),
    )
    .await;
    let err = r.assert_error(400, "invalid_request_error");
    assert_eq!(err["param"], "api_base");
    assert!(env.gw.upstream().is_empty(), "no upstream call was made");
}

#[tokio::test]
async fn cached_keys_cost_no_database_read_and_spend_rows_match_the_answers() {
    let env = start().await;
    let key = env.generate(json!({"max_budget": 100.0})).await;
    let store = env.gw.state.keys.as_ref().unwrap().store().clone();
    env.chat_as(&key, "gpt-alias").await.ok_json();
    let reads = store.auth_reads();
    assert!(reads >= 1);
    for _ in 0..20 {
        env.chat_as(&key, "gpt-alias").await.ok_json();
    }
    assert_eq!(store.auth_reads(), reads, "the hot path read the database");
    let mut rows = Vec::new();
    eventually(async || {
        rows = env.spend_rows(&key).await;
        rows.len() == 21
    })
    .await;
    let sum: f64 = rows.iter().map(|r| r["spend"].as_f64().unwrap()).sum();
    assert!(sum > 0.0);
    let info = env
        .admin_get(&format!("/key/info?key={key}"))
        .await
        .ok_json();
    let spend = info["info"]["spend"].as_f64().unwrap();
    assert!(
        (spend - sum).abs() < 1e-12,
        "key spend {spend} vs rows {sum}"
    );
    assert!(
        info["info"].get("key").is_none(),
        "the key itself is never shown again"
    );
}

#[tokio::test]
async fn key_list_pages_and_delete_removes() {
    let env = start().await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(env.generate(json!({"key_alias": format!("k{i}")})).await);
    }
    let page = env.admin_get("/key/list?page=2&size=2").await.ok_json();
    assert_eq!(page["total_count"], 5);
    assert_eq!(page["total_pages"], 3);
    assert_eq!(page["current_page"], 2);
    assert_eq!(page["keys"].as_array().unwrap().len(), 2);
    let r = env
        .admin("/key/delete", &json!({"keys": [made[0]]}))
        .await
        .ok_json();
    assert_eq!(r["deleted_keys"].as_array().unwrap().len(), 1);
    env.chat_as(&made[0], "gpt-alias")
        .await
        .assert_error(401, "auth_error");
    // Virtual keys cannot manage keys.
    let r = send(
        env.gw
            .post("/key/generate")
            .bearer_auth(&made[1])
            .body("{}"),
    )
    .await;
    r.assert_error(401, "auth_error");
}

#[tokio::test]
async fn the_logging_payload_and_metrics_name_the_key_and_its_team() {
    use sha2::Digest as _;
    let dir = temp_dir();
    let log = dir.join("events.jsonl");
    let env = start_with(&format!(
        "litellm_settings:\n  callbacks: [json_lines, prometheus]\n  callback_settings: {{json_lines: {{path: \"{}\"}}}}\n",
        log.display()
    ))
    .await;
    let team = env
        .admin("/team/new", &json!({"team_alias": "logged"}))
        .await
        .ok_json();
    let team_id = team["team_id"].as_str().unwrap().to_owned();
    let key = env.generate(json!({"team_id": team_id})).await;
    env.chat_as(&key, "gpt-alias").await.ok_json();
    let hash = format!("{:x}", sha2::Sha256::digest(key.as_bytes()));
    let mut event = Value::Null;
    eventually(async || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        match text.lines().next() {
            Some(line) => {
                event = serde_json::from_str(line).unwrap();
                true
            }
            None => false,
        }
    })
    .await;
    assert_eq!(event["metadata"]["user_api_key_hash"], hash.as_str());
    assert_eq!(event["metadata"]["user_api_key_team_id"], team_id.as_str());
    assert_eq!(event["metadata"]["team_id"], team_id.as_str());
    assert!(!std::fs::read_to_string(&log).unwrap().contains(&key));
    let mut metrics = String::new();
    eventually(async || {
        metrics = env.admin_get("/metrics").await.text();
        metrics.contains("litellm_requests_metric_total{")
    })
    .await;
    let line = metrics
        .lines()
        .find(|l| l.starts_with("litellm_requests_metric_total{"))
        .unwrap();
    assert!(
        line.contains(&format!("hashed_api_key=\"{hash}\"")),
        "{line}"
    );
    assert!(line.contains(&format!("team=\"{team_id}\"")), "{line}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_team_budget_and_models_bind_its_keys() {
    let env = start().await;
    let team = env
        .admin(
            "/team/new",
            &json!({"team_alias": "t", "models": ["gpt-alias"], "rpm_limit": 1}),
        )
        .await
        .ok_json();
    let team_id = team["team_id"].as_str().unwrap().to_owned();
    let key = env.generate(json!({"team_id": team_id})).await;
    env.chat_as(&key, "other-model")
        .await
        .assert_error(403, "team_model_access_denied");
    env.chat_as(&key, "gpt-alias").await.ok_json();
    let limited = env.chat_as(&key, "gpt-alias").await;
    assert_eq!(limited.status, 429, "{}", limited.text());
    let info = env
        .admin_get(&format!("/team/info?team_id={team_id}"))
        .await
        .ok_json();
    assert_eq!(info["keys"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_database_down_at_start_up_leaves_the_master_key_working_until_it_comes_up() {
    let dir = std::env::temp_dir().join(format!("llmux-keys-late-{}", uuid::Uuid::new_v4()));
    // The directory does not exist yet: SQLite cannot open the file.
    let url = format!("sqlite://{}", dir.join("keys.db").display());
    let gw = Gateway::start(&config(&url)).await;
    let ready = gw.get("/health/readiness").await.ok_json();
    assert_eq!(ready["db"], "disconnected");
    let chat = send(
        gw.post("/v1/chat/completions")
            .bearer_auth(MASTER)
            .body(chat_body("gpt-alias").to_string()),
    )
    .await;
    chat.ok_json();
    std::fs::create_dir_all(&dir).unwrap();
    let store = gw.state.keys.as_ref().unwrap().store().clone();
    assert!(
        store.wait_ready(Duration::from_secs(15)).await,
        "the store reconnected"
    );
    let r = send(gw.post("/key/generate").bearer_auth(MASTER).body("{}")).await;
    let key = r.ok_json()["key"].as_str().unwrap().to_owned();
    send(
        gw.post("/v1/chat/completions")
            .bearer_auth(&key)
            .body(chat_body("gpt-alias").to_string()),
    )
    .await
    .ok_json();
    assert_eq!(
        gw.get("/health/readiness").await.ok_json()["db"],
        "connected"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_cache_hit_ends_the_keys_parallel_count_and_is_a_spend_row() {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.join("keys.db").display());
    let yaml = format!("{}litellm_settings:\n  cache: true\n", config(&url));
    let gw = Gateway::start(&yaml).await;
    let keys = gw.state.keys.as_ref().unwrap();
    assert!(keys.store().wait_ready(Duration::from_secs(10)).await);
    let made = send(
        gw.post("/key/generate")
            .bearer_auth(MASTER)
            .body(json!({"max_parallel_requests": 1}).to_string()),
    )
    .await
    .ok_json();
    let key = made["key"].as_str().unwrap();
    for i in 0..4 {
        let r = send(
            gw.post("/v1/chat/completions")
                .bearer_auth(key)
                .body(chat_body("gpt-alias").to_string()),
        )
        .await;
        assert_eq!(r.status, 200, "request {i}: {}", r.text());
    }
    assert_eq!(gw.upstream().len(), 1, "three answers came from the cache");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let rows = send(
            gw.http
                .get(gw.url(&format!("/spend/logs?api_key={key}")))
                .bearer_auth(MASTER),
        )
        .await
        .ok_json();
        if rows.as_array().unwrap().len() == 4 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{rows}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn user_new_makes_a_user_with_a_key_and_user_info_lists_it() {
    let env = start().await;
    let made = env
        .admin(
            "/user/new",
            &json!({"user_id": "u1", "user_email": "a@b.c", "models": ["gpt-alias"]}),
        )
        .await
        .ok_json();
    assert_eq!(made["user_id"], "u1");
    let key = made["key"].as_str().unwrap().to_owned();
    env.chat_as(&key, "gpt-alias").await.ok_json();
    env.chat_as(&key, "other-model")
        .await
        .assert_error(403, "key_model_access_denied");
    let info = env.admin_get("/user/info?user_id=u1").await.ok_json();
    assert_eq!(info["user_info"]["user_email"], "a@b.c");
    assert_eq!(info["keys"].as_array().unwrap().len(), 1);
    env.admin(
        "/user/update",
        &json!({"user_id": "u1", "user_role": "proxy_admin_viewer"}),
    )
    .await
    .ok_json();
    let r = env
        .admin("/user/delete", &json!({"user_ids": ["u1"]}))
        .await
        .ok_json();
    assert_eq!(r["deleted_users"], json!(["u1"]));
    env.admin_get("/user/info?user_id=u1")
        .await
        .assert_error(404, "invalid_request_error");
}

#[tokio::test]
async fn the_global_spend_report_sums_a_teams_spend_per_day_and_model() {
    let env = start().await;
    let team = env
        .admin("/team/new", &json!({"team_id": "t-report"}))
        .await
        .ok_json();
    assert_eq!(team["team_id"], "t-report");
    let key = env.generate(json!({"team_id": "t-report"})).await;
    for _ in 0..3 {
        env.chat_as(&key, "gpt-alias").await.ok_json();
    }
    let mut rows = Vec::new();
    eventually(async || {
        rows = env.spend_rows(&key).await;
        rows.len() == 3
    })
    .await;
    let sum: f64 = rows.iter().map(|r| r["spend"].as_f64().unwrap()).sum();
    let report = env
        .admin_get("/global/spend/report?group_by=team")
        .await
        .ok_json();
    let day = &report[0];
    assert_eq!(day["teams"][0]["team_name"], "t-report", "{report}");
    let total = day["teams"][0]["total_spend"].as_f64().unwrap();
    assert!((total - sum).abs() < 1e-12, "{report}");
    assert_eq!(day["teams"][0]["metadata"][0]["model"], "gpt-alias");
    env.admin_get("/global/spend/report?start_date=soon")
        .await
        .assert_error(400, "invalid_request_error");
}

#[tokio::test]
async fn routes_outside_the_router_check_virtual_keys_too() {
    let env = start().await;
    let key = env.generate(json!({"models": ["gpt-alias"]})).await;
    let models = send(env.gw.http.get(env.gw.url("/v1/models")).bearer_auth(&key))
        .await
        .ok_json();
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["gpt-alias"], "a key lists the models it may use");
    for path in [
        "/v1/models",
        "/v1/responses/resp_x",
        "/v1/responses/resp_x/input_items",
    ] {
        let r = send(env.gw.http.get(env.gw.url(path)).bearer_auth("sk-made-up")).await;
        r.assert_error(401, "auth_error");
    }
    let r = send(
        env.gw
            .post("/v1/messages/count_tokens")
            .bearer_auth("sk-made-up")
            .body(
                json!({"model": "gpt-alias", "messages": [{"role": "user", "content": "hi"}]})
                    .to_string(),
            ),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text());
    // Admin routes never take a virtual key.
    let r = send(env.gw.http.get(env.gw.url("/model/info")).bearer_auth(&key)).await;
    r.assert_error(401, "auth_error");
}

#[tokio::test]
async fn a_streamed_answer_is_one_spend_row_with_its_usage_at_the_end() {
    let env = start().await;
    let key = env.generate(json!({"max_parallel_requests": 1})).await;
    let mut body = chat_body("gpt-alias");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    for _ in 0..2 {
        let r = send(
            env.gw
                .post("/v1/chat/completions")
                .bearer_auth(&key)
                .body(body.to_string()),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.text().contains("[DONE]"));
    }
    let mut rows = Vec::new();
    eventually(async || {
        rows = env.spend_rows(&key).await;
        rows.len() == 2
    })
    .await;
    assert!(rows[0]["total_tokens"].as_i64().unwrap() > 0, "{rows:?}");
    assert!(rows[0]["spend"].as_f64().unwrap() > 0.0, "{rows:?}");
}

#[tokio::test]
async fn a_key_update_applies_at_once_and_team_budgets_and_tpm_limits_hold() {
    let env = start().await;
    let key = env.generate(json!({"models": ["gpt-alias"]})).await;
    env.chat_as(&key, "other-model")
        .await
        .assert_error(403, "key_model_access_denied");
    let updated = env
        .admin(
            "/key/update",
            &json!({"key": key, "models": ["other-model"]}),
        )
        .await
        .ok_json();
    assert_eq!(updated["models"], json!(["other-model"]));
    env.chat_as(&key, "other-model").await.ok_json();

    // A team's budget binds its keys.
    env.admin(
        "/team/new",
        &json!({"team_id": "poor", "max_budget": 0.000_000_1}),
    )
    .await
    .ok_json();
    let member = env.generate(json!({"team_id": "poor"})).await;
    env.chat_as(&member, "gpt-alias").await.ok_json();
    let mut refused = None;
    eventually(async || {
        let r = env.chat_as(&member, "gpt-alias").await;
        let done = r.status == 400;
        if done {
            refused = Some(r);
        }
        done
    })
    .await;
    let err = refused.unwrap().assert_error(400, "budget_exceeded");
    assert!(
        err["message"].as_str().unwrap().contains("Team=poor"),
        "{err}"
    );

    // tpm: let in while the minute's tokens are under the limit.
    let tokens = env.generate(json!({"tpm_limit": 1})).await;
    env.chat_as(&tokens, "gpt-alias").await.ok_json();
    let mut limited = None;
    eventually(async || {
        let r = env.chat_as(&tokens, "gpt-alias").await;
        let done = r.status == 429;
        if done {
            limited = Some(r);
        }
        done
    })
    .await;
    let limited = limited.unwrap();
    let msg = limited.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        msg.contains("Limit type: tokens. Current limit: 1"),
        "{msg}"
    );
}
