#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! Virtual keys in real `llmux` processes: on a real PostgreSQL, which each test initdbs
//! into its scratch directory and starts on a free port (with a real `redis-server` where
//! instances share limits), and on SQLite for the log check.
//!
//! Without PostgreSQL's `initdb` (on `PATH` or under `/usr/lib/postgresql/*/bin`) the
//! tests print a note and pass, unless `CI` is set or `LLMUX_REQUIRE_POSTGRES=1`: then
//! they fail, so CI cannot go green without running them.

#[allow(
    dead_code,
    reason = "shared with redis_gateway.rs, which uses other parts"
)]
#[path = "redis_gateway/support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use llmux_mock::MockServer;
use serde_json::{Value, json};

use support::{Gateway, RedisServer, Scratch, a_minute_with, assert_still_minute, free_port};

const MASTER: &str = "sk-master-pg";

/// A PostgreSQL cluster in a scratch directory, stopped on drop.
struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
}

fn pg_bin() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("initdb"))
            .find(|p| p.is_file())
    });
    if let Some(initdb) = on_path {
        // /usr/local/bin/initdb may be a link into the versioned directory.
        let real = std::fs::canonicalize(&initdb).unwrap_or(initdb);
        return real.parent().map(Path::to_path_buf);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").is_file())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Postgres {
    /// A fresh cluster, or `None` when the tests are to be skipped.
    fn start(scratch: &Scratch) -> Option<Self> {
        let Some(bin) = pg_bin() else {
            let required = std::env::var_os("CI").is_some()
                || std::env::var("LLMUX_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "PostgreSQL's initdb was not found, and CI or LLMUX_REQUIRE_POSTGRES=1 requires \
                 the PostgreSQL tests: install it (apt-get install postgresql)"
            );
            eprintln!("skipped: PostgreSQL is not installed");
            return None;
        };
        let data = scratch.dir.join("pg");
        std::fs::create_dir_all(&data).unwrap();
        let pg = Self {
            bin,
            data,
            port: free_port(),
        };
        if is_root() {
            // PostgreSQL refuses to run as root: its files belong to `postgres`.
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&scratch.dir)
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown to postgres failed");
        }
        let out = pg
            .run(
                "initdb",
                &[
                    "-D",
                    &pg.data_str(),
                    "-U",
                    "llmux",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                ],
            )
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pg.up();
        Some(pg)
    }

    fn data_str(&self) -> String {
        self.data.display().to_string()
    }

    fn run(&self, tool: &str, args: &[&str]) -> Command {
        let exe = self.bin.join(tool);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        cmd.args(args).stdin(Stdio::null());
        cmd
    }

    fn url(&self) -> String {
        format!("postgres://llmux@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts (or restarts) the server and waits until it accepts connections.
    fn up(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.data_str()
        );
        let log = self.data.join("server.log").display().to_string();
        let out = self
            .run(
                "pg_ctl",
                &[
                    "-D",
                    &self.data_str(),
                    "-o",
                    &opts,
                    "-l",
                    &log,
                    "-w",
                    "-t",
                    "30",
                    "start",
                ],
            )
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Stops the server at once (connections are cut).
    fn down(&self) {
        let _ = self
            .run(
                "pg_ctl",
                &["-D", &self.data_str(), "-m", "immediate", "-w", "stop"],
            )
            .output();
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.down();
    }
}

fn yaml(mock: &str, db_url: &str, redis_port: Option<u16>, extra_general: &str) -> String {
    let redis = redis_port.map_or(String::new(), |p| {
        format!("router_settings:\n  redis_host: 127.0.0.1\n  redis_port: {p}\n")
    });
    format!(
        "model_list:\n  - model_name: gpt-alias\n    litellm_params: {{model: openai/gpt-4o-mini, \
         api_base: \"{mock}/v1\", api_key: sk-x}}\n{redis}general_settings:\n  master_key: {MASTER}\n  \
         database_url: \"{db_url}\"\n{extra_general}"
    )
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .no_proxy()
        .build()
        .unwrap()
}

async fn post(base: &str, path: &str, key: &str, body: &Value) -> (u16, Value) {
    let resp = http()
        .post(format!("{base}{path}"))
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn get(base: &str, path: &str) -> Value {
    let resp = http()
        .get(format!("{base}{path}"))
        .bearer_auth(MASTER)
        .send()
        .await
        .unwrap();
    serde_json::from_str(&resp.text().await.unwrap()).unwrap()
}

async fn chat(base: &str, key: &str) -> (u16, Value) {
    post(
        base,
        "/v1/chat/completions",
        key,
        &json!({"model": "gpt-alias", "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await
}

async fn wait_db(gw: &Gateway, state: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = get(&gw.base, "/health/readiness").await;
        if r["db"] == state {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} never reported db {state}: {r}\n{}",
            gw.name,
            gw.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn spend_rows(base: &str, key: &str) -> usize {
    get(base, &format!("/spend/logs?api_key={key}"))
        .await
        .as_array()
        .map_or(0, Vec::len)
}

#[tokio::test]
async fn two_instances_on_postgres_and_redis_enforce_one_keys_rpm_and_budget_together() {
    let scratch = Scratch::new("pg-two");
    let Some(pg) = Postgres::start(&scratch) else {
        return;
    };
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let mock = MockServer::start().await.unwrap();
    let config = yaml(&mock.url(), &pg.url(), Some(redis.port), "");
    let gws = [
        Gateway::start("gw1", &scratch, &config).await,
        Gateway::start("gw2", &scratch, &config).await,
    ];
    for gw in &gws {
        wait_db(gw, "connected").await;
    }
    // rpm: 6 a minute for the key, whichever instance answers.
    let (status, made) = post(
        &gws[0].base,
        "/key/generate",
        MASTER,
        &json!({"rpm_limit": 6}),
    )
    .await;
    assert_eq!(status, 200, "{made}");
    let key = made["key"].as_str().unwrap().to_owned();
    let window = a_minute_with(Duration::from_secs(8)).await;
    let mut ok = 0;
    let mut limited = 0;
    for i in 0..12 {
        let (status, body) = chat(&gws[i % 2].base, &key).await;
        match status {
            200 => ok += 1,
            429 => limited += 1,
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_still_minute(window, "the rpm phase");
    assert_eq!(
        (ok, limited),
        (6, 6),
        "one limit for both instances, not 6 each"
    );

    // Budget: one answer spends it; the other instance refuses the next request.
    let (_, made) = post(
        &gws[0].base,
        "/key/generate",
        MASTER,
        &json!({"max_budget": 0.000_000_1}),
    )
    .await;
    let budget_key = made["key"]
        .as_str()
        .unwrap_or_else(|| panic!("{made}"))
        .to_owned();
    let (status, _) = chat(&gws[0].base, &budget_key).await;
    assert_eq!(status, 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = chat(&gws[1].base, &budget_key).await;
        if status == 400 {
            assert_eq!(body["error"]["type"], "budget_exceeded", "{body}");
            break;
        }
        assert!(Instant::now() < deadline, "gw2 never saw gw1's spend");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Every answer is one spend row in the shared database.
    let deadline = Instant::now() + Duration::from_secs(10);
    while spend_rows(&gws[1].base, &key).await != 6 {
        assert!(Instant::now() < deadline, "spend rows never reached 6");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_database_outage_mid_run_loses_no_spend_row() {
    let scratch = Scratch::new("pg-outage");
    let Some(pg) = Postgres::start(&scratch) else {
        return;
    };
    let mock = MockServer::start().await.unwrap();
    let config = yaml(
        &mock.url(),
        &pg.url(),
        None,
        "  allow_requests_on_db_unavailable: true\n",
    );
    let gw = Gateway::start_with("gw", &scratch, &config, &[], None).await;
    wait_db(&gw, "connected").await;
    let (_, made) = post(&gw.base, "/key/generate", MASTER, &json!({})).await;
    let key = made["key"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        assert_eq!(chat(&gw.base, &key).await.0, 200);
    }
    pg.down();
    // The key is cached: served through the outage, spend kept in the buffer.
    for _ in 0..10 {
        let (status, body) = chat(&gw.base, &key).await;
        assert_eq!(status, 200, "{body}");
    }
    // A key never seen is let in too, per allow_requests_on_db_unavailable.
    assert_eq!(chat(&gw.base, "sk-unseen-during-outage").await.0, 200);
    pg.up();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = http()
            .get(format!("{}/spend/logs?api_key={key}", gw.base))
            .bearer_auth(MASTER)
            .send()
            .await
            .unwrap();
        if r.status().is_success() {
            let rows: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
            if rows.as_array().map_or(0, Vec::len) == 13 {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the outage's spend rows never reached the database:\n{}",
            gw.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_db(&gw, "connected").await;
}

#[tokio::test]
async fn postgres_down_at_start_up_then_up_serves_virtual_keys_without_a_restart() {
    let scratch = Scratch::new("pg-late");
    let Some(pg) = Postgres::start(&scratch) else {
        return;
    };
    pg.down();
    let mock = MockServer::start().await.unwrap();
    let config = yaml(&mock.url(), &pg.url(), None, "");
    let gw = Gateway::start_with("gw", &scratch, &config, &[], None).await;
    wait_db(&gw, "disconnected").await;
    assert_eq!(chat(&gw.base, MASTER).await.0, 200, "the master key works");
    pg.up();
    wait_db(&gw, "connected").await;
    let (status, made) = post(&gw.base, "/key/generate", MASTER, &json!({})).await;
    assert_eq!(status, 200, "{made}");
    let key = made["key"].as_str().unwrap().to_owned();
    assert_eq!(chat(&gw.base, &key).await.0, 200);
}

#[tokio::test]
async fn keys_never_reach_a_log_line_even_at_debug_level() {
    let scratch = Scratch::new("keys-logs");
    let mock = MockServer::start().await.unwrap();
    let db = format!("sqlite://{}", scratch.dir.join("keys.db").display());
    let config = yaml(&mock.url(), &db, None, "");
    let gw = Gateway::start_with(
        "gw",
        &scratch,
        &config,
        &[("LLMUX_LOG", "debug".to_owned())],
        None,
    )
    .await;
    wait_db(&gw, "connected").await;
    let (_, made) = post(&gw.base, "/key/generate", MASTER, &json!({"rpm_limit": 2})).await;
    let key = made["key"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        chat(&gw.base, &key).await;
    }
    let wrong = "sk-wrong-key-never-logged";
    assert_eq!(chat(&gw.base, wrong).await.0, 401);
    let (_, regen) = post(&gw.base, "/key/regenerate", MASTER, &json!({"key": key})).await;
    let new_key = regen["key"].as_str().unwrap().to_owned();
    chat(&gw.base, &new_key).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = gw.log();
    assert!(log.lines().count() > 5, "a debug run logs: {log}");
    for secret in [key.as_str(), new_key.as_str(), wrong, MASTER] {
        assert!(!log.contains(secret), "{secret} is in the log:\n{log}");
    }
}

#[tokio::test]
async fn a_response_stored_on_one_instance_is_continued_and_deleted_on_the_other() {
    let scratch = Scratch::new("pg-responses");
    let Some(pg) = Postgres::start(&scratch) else {
        return;
    };
    let mock = MockServer::start().await.unwrap();
    // A bridged model: the follow-up turn's history is rebuilt by the gateway, from the
    // database when the first turn was answered by the other instance.
    let config = yaml(&mock.url(), &pg.url(), None, "").replace(
        "general_settings:",
        &format!(
            "  - model_name: claude\n    litellm_params: {{model: anthropic/claude-3-5-haiku-20241022, \
             api_base: \"{}\", api_key: sk-x}}\ngeneral_settings:",
            mock.url()
        ),
    );
    let gws = [
        Gateway::start_with("gw1", &scratch, &config, &[], None).await,
        Gateway::start_with("gw2", &scratch, &config, &[], None).await,
    ];
    for gw in &gws {
        wait_db(gw, "connected").await;
    }
    let (status, made) = post(&gws[0].base, "/key/generate", MASTER, &json!({})).await;
    assert_eq!(status, 200, "{made}");
    let key = made["key"].as_str().unwrap().to_owned();

    let (status, first) = post(
        &gws[0].base,
        "/v1/responses",
        &key,
        &json!({"model": "claude", "input": "Remember the word: heron"}),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    let id = first["id"].as_str().unwrap().to_owned();
    // At once, on the other instance.
    let (status, second) = post(
        &gws[1].base,
        "/v1/responses",
        &key,
        &json!({"model": "claude", "previous_response_id": id, "input": "Which word?"}),
    )
    .await;
    assert_eq!(status, 200, "{second}\n{}", gws[1].log());
    let sent: Value = serde_json::from_slice(&mock.requests().last().unwrap().body).unwrap();
    let messages = sent["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "{sent}");
    assert_eq!(
        messages[0]["content"][0]["text"],
        "Remember the word: heron"
    );
    assert_eq!(messages[1]["role"], "assistant");

    // Another key does not see it; the owner deletes it on one instance and it is
    // gone on both.
    let (_, other) = post(&gws[0].base, "/key/generate", MASTER, &json!({})).await;
    let other = other["key"].as_str().unwrap().to_owned();
    let read = |base: &str, key: &str| {
        http()
            .get(format!("{base}/v1/responses/{id}"))
            .bearer_auth(key.to_owned())
            .send()
    };
    assert_eq!(read(&gws[1].base, &other).await.unwrap().status(), 404);
    assert_eq!(read(&gws[0].base, &key).await.unwrap().status(), 200);
    let deleted = http()
        .delete(format!("{}/v1/responses/{id}", gws[1].base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    assert_eq!(read(&gws[0].base, &key).await.unwrap().status(), 404);
    assert_eq!(read(&gws[1].base, &key).await.unwrap().status(), 404);
}

#[tokio::test]
async fn a_batch_of_turns_with_an_id_written_twice_is_stored_on_postgres() {
    use llmux_server::store::{ResponseRow, Store};
    let scratch = Scratch::new("pg-response-batch");
    let Some(pg) = Postgres::start(&scratch) else {
        return;
    };
    let store = Store::open(&pg.url(), 2).unwrap();
    assert!(store.wait_ready(Duration::from_secs(30)).await);
    let turn = |id: &str, previous: Option<&str>, body: &str, expires_at: i64| ResponseRow {
        response_id: id.into(),
        owner: "o".into(),
        conversation_id: "c".into(),
        previous_response_id: previous.map(Into::into),
        native_deployment: None,
        response: body.into(),
        input: "[]".into(),
        deleted: false,
        created_at: 1,
        expires_at,
    };
    // More turns than one multi-row statement holds, and one id twice: PostgreSQL
    // refuses an upsert that meets an id twice in one statement.
    let mut turns: Vec<ResponseRow> = (0..250)
        .map(|i| turn(&format!("r{i}"), (i > 0).then_some("r0"), "{}", 1_000 + i))
        .collect();
    turns.push(turn("r0", None, r#"{"second":true}"#, 10));
    let rows: Vec<&ResponseRow> = turns.iter().collect();
    store.put_responses(&rows).await.unwrap();
    for i in 0..250 {
        let got = store.response(&format!("r{i}"), 0).await.unwrap().unwrap();
        assert_eq!(
            got.expires_at, 1_249,
            "r{i}: the conversation's newest expiry"
        );
    }
    let first = store.response("r0", 0).await.unwrap().unwrap();
    assert_eq!(first.response, r#"{"second":true}"#, "the last write wins");
    assert_eq!(first.previous_response_id, None);
}
