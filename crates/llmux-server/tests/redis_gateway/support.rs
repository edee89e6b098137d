//! What the Redis gateway tests stand on: a real `redis-server` on a free port that can be
//! killed and restarted, real `llmux` gateway processes (killed on drop, stderr kept in a
//! scratch directory), configs, and waits that always have a deadline.
//!
//! The `redis-server` helper is the one of `crates/llmux/tests/redis_state.rs`, copied (the
//! test crates do not depend on each other), with a plain-socket `PING` instead of the
//! `redis` crate.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// Upper bound on any one request a test makes.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// Warnings from everything, and the Redis state's transitions (`redis connected`,
/// `redis unreachable`, `redis reachable again`) which it logs at info and warn.
const LOG_FILTER: &str = "warn,llmux::router::state=info";

/// How the state logs its transitions (`router/state/redis/health.rs`).
pub const LOG_CONNECTED: &str = "redis connected";
pub const LOG_UNREACHABLE: &str = "redis unreachable";
pub const LOG_REACHABLE_AGAIN: &str = "redis reachable again";

// ---------------------------------------------------------------------------------------
// redis-server

pub struct RedisServer {
    bin: PathBuf,
    pub port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// A fresh server, or `None` when the tests are to be skipped (no `redis-server` on
    /// `PATH`, and neither `CI` nor `LLMUX_REQUIRE_REDIS=1` set: then it fails instead).
    pub async fn start() -> Option<Self> {
        let Some(bin) = find_on_path("redis-server") else {
            let required = std::env::var_os("CI").is_some()
                || std::env::var("LLMUX_REQUIRE_REDIS").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "redis-server is not on PATH, and CI or LLMUX_REQUIRE_REDIS=1 requires the \
                 Redis gateway tests: install it (apt-get install redis-server)"
            );
            eprintln!(
                "skipped: redis-server is not on PATH (set LLMUX_REQUIRE_REDIS=1 to fail instead)"
            );
            return None;
        };
        // The free port may be taken between our probe and the server's bind: try again.
        for _ in 0..3 {
            let mut server = Self {
                bin: bin.clone(),
                port: free_port(),
                child: None,
            };
            if server.try_restart().await {
                return Some(server);
            }
        }
        panic!("redis-server did not start on a free port in 3 tries");
    }

    /// Starts the server again on the same port (after [`kill`](Self::kill)), empty: it
    /// runs without persistence.
    pub async fn restart(&mut self) {
        assert!(
            self.try_restart().await,
            "redis-server did not restart on port {}",
            self.port
        );
    }

    async fn try_restart(&mut self) -> bool {
        let port = self.port.to_string();
        let child = Command::new(&self.bin)
            .args(["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
            .args(["--port", &port])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self
                .child
                .as_mut()
                .is_some_and(|c| c.try_wait().ok().flatten().is_some())
            {
                self.child = None;
                return false;
            }
            if self.ping().await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.kill();
        false
    }

    /// `DBSIZE` over a plain socket (0 when the server does not answer).
    pub async fn dbsize(&self) -> u64 {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        tokio::task::spawn_blocking(move || {
            let limit = Duration::from_secs(1);
            let size = || -> std::io::Result<u64> {
                let mut s = TcpStream::connect_timeout(&addr, limit)?;
                s.set_read_timeout(Some(limit))?;
                s.write_all(b"DBSIZE\r\n")?;
                let mut buf = [0u8; 32];
                let n = s.read(&mut buf)?;
                let text = String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned();
                Ok(text.trim().trim_start_matches(':').parse().unwrap_or(0))
            };
            size().unwrap_or(0)
        })
        .await
        .unwrap_or(0)
    }

    /// Waits until the server holds at least `n` keys.
    pub async fn wait_for_keys(&self, n: u64, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.dbsize().await < n {
            assert!(
                Instant::now() < deadline,
                "redis did not get {n} keys within {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `PING` over a plain socket, bounded by one second.
    pub async fn ping(&self) -> bool {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        tokio::task::spawn_blocking(move || {
            let limit = Duration::from_secs(1);
            let pong = || -> std::io::Result<bool> {
                let mut s = TcpStream::connect_timeout(&addr, limit)?;
                s.set_read_timeout(Some(limit))?;
                s.set_write_timeout(Some(limit))?;
                s.write_all(b"PING\r\n")?;
                let mut buf = [0u8; 7];
                s.read_exact(&mut buf)?;
                Ok(&buf == b"+PONG\r\n")
            };
            pong().unwrap_or(false)
        })
        .await
        .unwrap_or(false)
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

// ---------------------------------------------------------------------------------------
// scratch directory

/// A directory for one test's configs and gateway logs: removed when the test passes,
/// kept (and its path printed) when it fails.
pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    pub fn new(test: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "llmux-redis-gateway-{test}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("configs and gateway logs kept in {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

// ---------------------------------------------------------------------------------------
// configs

/// One `model_list` entry on the mock: `openai/gpt-4o-mini` at `{mock}{path}/v1`, with
/// `model_info.id` = `id` and more `litellm_params` (`"rpm: 10, order: 1"`).
pub struct Dep<'a> {
    pub group: &'a str,
    pub id: &'a str,
    /// Path prefix on the mock: a control (`/error/429`) or just a name to count by.
    pub path: &'a str,
    pub params: &'a str,
}

/// A config with `deps`, Redis at 127.0.0.1:`redis_port`, rate limits enforced, no
/// retries, 30 s cooldowns.
pub fn config(mock: &str, redis_port: u16, deps: &[Dep<'_>]) -> String {
    let mut yaml = String::from("model_list:\n");
    for d in deps {
        let extra = if d.params.is_empty() {
            String::new()
        } else {
            format!(", {}", d.params)
        };
        yaml.push_str(&format!(
            "  - model_name: {group}\n    litellm_params: {{model: openai/gpt-4o-mini, \
             api_base: \"{mock}{path}/v1\", api_key: sk-x{extra}}}\n    model_info: {{id: {id}}}\n",
            group = d.group,
            path = d.path,
            id = d.id,
        ));
    }
    yaml.push_str(&format!(
        "router_settings:\n  redis_host: 127.0.0.1\n  redis_port: {redis_port}\n  \
         optional_pre_call_checks: [\"enforce_model_rate_limits\"]\n  num_retries: 0\n  \
         cooldown_time: 30\n"
    ));
    yaml
}

// ---------------------------------------------------------------------------------------
// gateway processes

/// One `llmux` process on 127.0.0.1, killed on drop.
pub struct Gateway {
    pub name: String,
    pub base: String,
    log: PathBuf,
    http: reqwest::Client,
    child: Option<Child>,
}

enum Start {
    Alive,
    Exited(String),
}

impl Gateway {
    /// Starts `llmux --config {yaml}` on a free port and waits until it answers
    /// `/health/liveliness` and has connected to Redis.
    pub async fn start(name: &str, scratch: &Scratch, yaml: &str) -> Self {
        Self::start_with(name, scratch, yaml, &[], Some(LOG_CONNECTED)).await
    }

    /// As [`Gateway::start`], with `envs` set for the process, waiting for `ready_log`
    /// (when given) after it answers.
    pub async fn start_with(
        name: &str,
        scratch: &Scratch,
        yaml: &str,
        envs: &[(&str, String)],
        ready_log: Option<&str>,
    ) -> Self {
        let config = scratch.write(&format!("{name}.yaml"), yaml);
        let mut last = String::new();
        // The free port may be taken before the gateway binds it: try another.
        for attempt in 0..3 {
            let port = free_port();
            let log = scratch.dir.join(format!("{name}.{attempt}.stderr"));
            let mut gw = Self::spawn(name, &config, port, &log, envs);
            match gw.wait_alive(Duration::from_secs(20)).await {
                Start::Alive => {
                    if let Some(needle) = ready_log {
                        gw.wait_for_log(needle, Duration::from_secs(10)).await;
                    }
                    return gw;
                }
                Start::Exited(stderr) if stderr.contains("in use") => last = stderr,
                Start::Exited(stderr) => panic!("{name} exited at start-up:\n{stderr}"),
            }
        }
        panic!("{name} found no free port in 3 tries:\n{last}");
    }

    /// Starts a gateway that must fail to start; its stderr.
    pub async fn start_failing(
        name: &str,
        scratch: &Scratch,
        yaml: &str,
        envs: &[(&str, String)],
    ) -> String {
        let config = scratch.write(&format!("{name}.yaml"), yaml);
        let log = scratch.dir.join(format!("{name}.stderr"));
        let mut gw = Self::spawn(name, &config, free_port(), &log, envs);
        match gw.wait_alive(Duration::from_secs(20)).await {
            Start::Exited(stderr) => stderr,
            Start::Alive => panic!("{name} started, but was to fail:\n{}", gw.log()),
        }
    }

    fn spawn(name: &str, config: &Path, port: u16, log: &Path, envs: &[(&str, String)]) -> Self {
        let stderr = File::create(log).unwrap();
        let port_arg = port.to_string();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_llmux"));
        // In the scratch directory: a gateway with a master key and no database_url keeps
        // its keys in ./llmux.db, which must not outlive the test (or be the next run's).
        if let Some(dir) = log.parent() {
            cmd.current_dir(dir);
        }
        cmd.arg("--config")
            .arg(config)
            .args(["--port", &port_arg, "--host", "127.0.0.1"])
            .env("LLMUX_LOG", LOG_FILTER)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())));
        for var in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
            "CONFIG_FILE_PATH",
            "PORT",
        ] {
            cmd.env_remove(var);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("the llmux binary runs");
        Self {
            name: name.to_owned(),
            base: format!("http://127.0.0.1:{port}"),
            log: log.to_owned(),
            http: client(),
            child: Some(child),
        }
    }

    async fn wait_alive(&mut self, limit: Duration) -> Start {
        let probe = reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .no_proxy()
            .build()
            .unwrap();
        let url = format!("{}/health/liveliness", self.base);
        let deadline = Instant::now() + limit;
        loop {
            if let Some(child) = self.child.as_mut()
                && child.try_wait().ok().flatten().is_some()
            {
                self.child = None;
                return Start::Exited(self.log());
            }
            if let Ok(resp) = probe.get(&url).send().await
                && resp.status().is_success()
            {
                return Start::Alive;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not answer /health/liveliness within {limit:?}:\n{}",
                self.name,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Everything the gateway wrote to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the gateway's stderr holds `needle`.
    pub async fn wait_for_log(&self, needle: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while !self.log().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "{} did not log {needle:?} within {limit:?}:\n{}",
                self.name,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// POSTs a one-message chat request for `model` and reads the whole answer.
    pub async fn chat(&self, model: &str) -> Reply {
        let body = json!({"model": model, "messages": [{"role": "user", "content": "hi"}]});
        self.post_chat(&body).await
    }

    /// POSTs `body` to `/v1/chat/completions` and reads the whole answer.
    pub async fn post_chat(&self, body: &Value) -> Reply {
        let started = Instant::now();
        let resp = self
            .http
            .post(format!("{}/v1/chat/completions", self.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{} did not answer: {e}\n{}", self.name, self.log()));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.expect("the body is readable");
        Reply {
            status,
            headers,
            body,
            elapsed: started.elapsed(),
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            let log = self.log();
            let tail_from = log.len().saturating_sub(4000);
            let tail = log.get(tail_from..).unwrap_or(&log);
            eprintln!("--- {} stderr (tail) ---\n{tail}", self.name);
        }
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(CLIENT_TIMEOUT)
        .no_proxy()
        .build()
        .unwrap()
}

/// A whole answer from a gateway.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub elapsed: Duration,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `x-litellm-model-id` of a 200 (panics on anything else).
    pub fn model_id(&self) -> String {
        assert_eq!(self.status, 200, "expected 200, got: {}", self.text());
        self.header("x-litellm-model-id")
            .unwrap_or_else(|| panic!("no x-litellm-model-id: {:?}", self.headers))
            .to_owned()
    }

    /// Asserts LiteLLM's `RouterRateLimitError` answer: 429, `error.code` "429", the
    /// message, and a `retry-after` of 1..=60 s (the rest of the minute, at most).
    pub fn assert_no_deployments(&self) {
        assert_eq!(self.status, 429, "expected 429, got: {}", self.text());
        let body = self.json();
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("No deployments available for selected model"),
            "error.message: {body}"
        );
        assert_eq!(body["error"]["code"], json!("429"), "error.code: {body}");
        let after: u64 = self
            .header("retry-after")
            .unwrap_or_else(|| panic!("no retry-after header: {:?}", self.headers))
            .parse()
            .expect("retry-after is whole seconds");
        assert!((1..=60).contains(&after), "retry-after {after}");
    }
}

// ---------------------------------------------------------------------------------------
// the clock

/// Unix time in milliseconds: the gateways run on this machine, so this is their clock.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The `rpm` window: the wall-clock minute (`router/state`'s `minute_of`).
pub fn minute() -> u64 {
    now_ms() / 60_000
}

/// Returns the current minute once at least `needed` of it is left, sleeping into the
/// next minute first when it is not: a phase that counts against an `rpm` limit must not
/// straddle two windows.
pub async fn a_minute_with(needed: Duration) -> u64 {
    let needed_ms = u64::try_from(needed.as_millis()).unwrap_or(u64::MAX);
    let left = 60_000 - now_ms() % 60_000;
    if left < needed_ms {
        tokio::time::sleep(Duration::from_millis(left + 100)).await;
    }
    minute()
}

/// Panics if the minute is no longer `m` (a phase was slower than its guard assumed).
pub fn assert_still_minute(m: u64, phase: &str) {
    assert_eq!(
        minute(),
        m,
        "{phase} crossed a minute boundary: the rpm window changed under it"
    );
}
