#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! Graceful shutdown (issue #7, item 6): the real `llmux` binary is restarted on the
//! same port under steady load. Every request the gateway accepted and sent upstream
//! (the mock's log, one unique id per request) must have been answered 200: SIGTERM
//! stops new connections, lets in-flight requests finish, and exits 0.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use llmux_mock::MockServer;
use serde_json::json;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn_gateway(config: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_llmux"))
        .args(["--config", config.to_str().unwrap()])
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--graceful_shutdown_timeout", "10"])
        .env("LLMUX_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Spawns gateways until one is serving on `port` (the old one may still hold it).
async fn gateway_up(config: &std::path::Path, port: u16) -> Child {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let started = Instant::now();
    loop {
        let mut child = spawn_gateway(config, port);
        for _ in 0..100 {
            if child.try_wait().unwrap().is_some() {
                break; // could not bind yet
            }
            let up = http
                .get(format!("http://127.0.0.1:{port}/health/liveliness"))
                .send()
                .await;
            if up.is_ok_and(|r| r.status() == 200) {
                return child;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no gateway came up"
        );
    }
}

/// Sends SIGTERM to `child` and waits (at most 15 s) for it to exit.
async fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let signalled = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(15),
            "the gateway did not exit"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restart_under_steady_load_loses_no_accepted_request() {
    let mock = MockServer::start().await.unwrap();
    let dir = std::env::temp_dir().join(format!("llmux-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/gpt-4o-mini\n      api_base: \"{}/delay/300/v1\"\n      api_key: sk-x\n      num_retries: 0\n",
            mock.url()
        ),
    )
    .unwrap();
    let port = free_port();
    let mut first = gateway_up(&config, port).await;

    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(Mutex::new(HashSet::new()));
    let mut load = Vec::new();
    for worker in 0..8 {
        let (stop, answered) = (stop.clone(), answered.clone());
        load.push(tokio::spawn(async move {
            // No pooled connections: each request is accepted or refused on its own.
            let http = reqwest::Client::builder()
                .no_proxy()
                .pool_max_idle_per_host(0)
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let id = format!("req-{worker}-{n}");
                let body = json!({"model": "m", "messages": [{"role": "user", "content": id}]});
                let reply = http
                    .post(format!("http://127.0.0.1:{port}/v1/chat/completions"))
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await;
                match reply {
                    Ok(r) if r.status() == 200 => {
                        if r.bytes().await.is_ok() {
                            answered.lock().unwrap().insert(id);
                        }
                    }
                    Ok(_) | Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }));
    }

    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = answered.lock().unwrap().len();
    assert!(before > 0, "the load is answered");
    let forwarded_before_signal = mock.requests().len();
    let (exited, mut second) = tokio::join!(terminate(&mut first), gateway_up(&config, port));
    assert!(exited.success(), "SIGTERM exits 0: {exited:?}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    let _ = second.kill();
    let _ = second.wait();

    let answered = answered.lock().unwrap();
    let forwarded: Vec<String> = mock
        .requests()
        .iter()
        .map(|r| {
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            body["messages"][0]["content"].as_str().unwrap().to_owned()
        })
        .collect();
    assert!(
        forwarded.len() > forwarded_before_signal,
        "requests were in flight or sent after the signal"
    );
    let lost: Vec<&String> = forwarded
        .iter()
        .filter(|id| !answered.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} accepted requests were lost: {lost:?}",
        lost.len(),
        forwarded.len()
    );
    assert!(answered.len() > before, "the restarted gateway serves");
    std::fs::remove_dir_all(&dir).ok();
}

/// The log events of the last requests before SIGTERM are still in a `generic_api`
/// batch that waits a minute to fill; the gateway delivers them before it exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_events_still_batching_at_sigterm_are_delivered_before_exit() {
    let mock = MockServer::start().await.unwrap();
    let received: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let logs_url = format!("http://{}/logs", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route(
            "/logs",
            axum::routing::post(
                |axum::extract::State(r): axum::extract::State<
                    Arc<Mutex<Vec<serde_json::Value>>>,
                >,
                 axum::Json(events): axum::Json<Vec<serde_json::Value>>| async move {
                    r.lock().unwrap().extend(events);
                },
            ),
        )
        .with_state(received.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = std::env::temp_dir().join(format!("llmux-logflush-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/gpt-4o-mini\n      api_base: \"{}/v1\"\n      api_key: sk-x\n\
             litellm_settings:\n  callbacks: [generic_api]\n  callback_settings:\n    generic_api: {{endpoint: \"{logs_url}\", batch_size: 1000, flush_interval: 60}}\n",
            mock.url()
        ),
    )
    .unwrap();
    let port = free_port();
    let mut gateway = gateway_up(&config, port).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut ids = HashSet::new();
    for _ in 0..3 {
        let r = http
            .post(format!("http://127.0.0.1:{port}/v1/chat/completions"))
            .header("content-type", "application/json")
            .body(
                json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).to_string(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        ids.insert(
            r.headers()["x-litellm-call-id"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert!(
        received.lock().unwrap().is_empty(),
        "the batch is still filling"
    );
    let exited = terminate(&mut gateway).await;
    assert!(exited.success(), "SIGTERM exits 0: {exited:?}");
    let delivered: HashSet<String> = received
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| e["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        delivered, ids,
        "every request's event, delivered at shutdown"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The binary turns transparent huge pages off for itself (main.rs `small_pages_only`:
/// with them, the kernel zeroed a whole 2 MiB page each time mimalloc touched memory
/// it had returned), unless `MIMALLOC_ALLOW_THP` is set.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_gateway_runs_without_transparent_huge_pages_unless_asked() {
    let dir = std::env::temp_dir().join(format!("llmux-thp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.yaml");
    std::fs::write(
        &config,
        "model_list:\n  - model_name: m\n    litellm_params: {model: openai/gpt-4o-mini, api_key: sk-x}\n",
    )
    .unwrap();
    let thp_enabled = |pid: u32| {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("THP_enabled:"))
            .map(|v| v.trim().to_owned())
    };
    let port = free_port();
    let mut child = gateway_up(&config, port).await;
    let off = thp_enabled(child.id());
    assert!(terminate(&mut child).await.success());
    // Kernels before 5.0 have no THP_enabled line: nothing to check there.
    if let Some(off) = off {
        assert_eq!(off, "0", "transparent huge pages are still on");
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_llmux"))
            .args(["--config", config.to_str().unwrap()])
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .env("MIMALLOC_ALLOW_THP", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let left = thp_enabled(child.id());
        let _ = child.kill();
        let _ = child.wait();
        // Left as the gateway found it (inherited from this test's process).
        assert_eq!(
            left,
            thp_enabled(std::process::id()),
            "MIMALLOC_ALLOW_THP=1 is not honoured"
        );
    }
}
