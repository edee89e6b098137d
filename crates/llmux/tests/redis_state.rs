//! `RedisState` against a real `redis-server`, which each test starts on a free port and
//! kills when it ends. Two `RedisState`s on one server stand for two gateway instances.
//!
//! Without `redis-server` on `PATH` the tests print a note and pass, unless `CI` is set
//! or `LLMUX_REQUIRE_REDIS=1`: then they fail, so CI cannot go green without running them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use llmux::router::state::{
    Candidate, MinuteCounts, RedisConfig, RedisState, SharedState, Skip, Success, now_ms,
};

/// Long enough that a loaded test machine never falls back by accident.
const PATIENT: Duration = Duration::from_secs(2);
/// Short, for the tests where Redis goes away.
const IMPATIENT: Duration = Duration::from_millis(200);

struct RedisServer {
    bin: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// A fresh server, or `None` when the tests are to be skipped.
    async fn start() -> Option<Self> {
        let Some(bin) = find_on_path("redis-server") else {
            let required = std::env::var_os("CI").is_some()
                || std::env::var("LLMUX_REQUIRE_REDIS").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "redis-server is not on PATH, and CI or LLMUX_REQUIRE_REDIS=1 requires the \
                 Redis state tests: install it (apt-get install redis-server)"
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

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts the server again on the same port (after [`kill`](Self::kill)).
    async fn restart(&mut self) {
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

    async fn ping(&self) -> bool {
        let answer = async {
            let mut conn = self.raw().await?;
            redis::cmd("PING").query_async::<String>(&mut conn).await
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(1), answer).await,
            Ok(Ok(pong)) if pong == "PONG"
        )
    }

    /// A plain connection, to look at keys behind the state's back.
    async fn raw(&self) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        redis::Client::open(self.url())?
            .get_multiplexed_async_connection()
            .await
    }

    fn kill(&mut self) {
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

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn config(url: String, op_timeout: Duration) -> RedisConfig {
    RedisConfig {
        url,
        op_timeout,
        prefix: "llmux:".into(),
    }
}

/// Two instances on one server, both connected.
async fn two_instances(server: &RedisServer, op_timeout: Duration) -> (RedisState, RedisState) {
    let a = RedisState::connect(config(server.url(), op_timeout));
    let b = RedisState::connect(config(server.url(), op_timeout));
    wait_until("both instances connected", Duration::from_secs(5), || {
        a.connected() && b.connected()
    })
    .await;
    (a, b)
}

async fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn open(id: &str) -> Candidate<'_> {
    Candidate {
        id,
        rpm_limit: None,
        tpm_limit: None,
        max_parallel: None,
    }
}

fn rpm(id: &str, limit: u64) -> Candidate<'_> {
    Candidate {
        rpm_limit: Some(limit),
        ..open(id)
    }
}

#[tokio::test]
async fn two_instances_enforce_one_rpm_limit_together() {
    let Some(server) = RedisServer::start().await else {
        return;
    };
    let (a, b) = two_instances(&server, PATIENT).await;
    let now = now_ms();

    let alone = [rpm("alone", 10)];
    let mut taken = 0;
    for i in 0..20 {
        let instance = if i % 2 == 0 { &a } else { &b };
        let r = instance.reserve(&alone, now).await;
        if r.chosen == Some(0) {
            taken += 1;
        } else {
            assert_eq!(r.skipped, vec![Some(Skip::RpmLimit)], "request {i}");
        }
    }
    assert_eq!(taken, 10, "not 10 per instance");

    let with_spare = [rpm("limited", 10), open("spare")];
    for i in 0..20 {
        let instance = if i % 2 == 0 { &a } else { &b };
        let r = instance.reserve(&with_spare, now).await;
        if i < 10 {
            assert_eq!(r.chosen, Some(0), "request {i}");
        } else {
            assert_eq!(r.chosen, Some(1), "request {i}");
            assert_eq!(r.skipped, vec![Some(Skip::RpmLimit), None]);
        }
    }
    // The last reservation brought back both counts, without another round trip.
    let loads = b.loads(&["limited", "spare"], now);
    assert_eq!((loads[0].rpm, loads[1].rpm), (10, 10));
    assert_eq!((loads[0].in_flight, loads[1].in_flight), (10, 10));
    assert_eq!(a.local_fallbacks() + b.local_fallbacks(), 0);
}

#[tokio::test]
async fn a_cooldown_set_on_one_instance_holds_on_the_other_until_it_ends() {
    let Some(server) = RedisServer::start().await else {
        return;
    };
    let (a, b) = two_instances(&server, PATIENT).await;
    let now = now_ms();
    let until = now + 30_000;
    let cooling = [open("cooling")];

    a.set_cooldown("cooling", until).await;
    let r = b.reserve(&cooling, now).await;
    assert_eq!(r.chosen, None);
    assert_eq!(r.skipped, vec![Some(Skip::CoolingDown { until_ms: until })]);
    assert_eq!(b.loads(&["cooling"], now)[0].cooldown_until_ms, Some(until));

    // A shorter cooldown from the other instance does not shorten it.
    b.set_cooldown("cooling", now + 1_000).await;
    let r = a.reserve(&cooling, until - 1).await;
    assert_eq!(r.skipped, vec![Some(Skip::CoolingDown { until_ms: until })]);
    assert_eq!(b.reserve(&cooling, until).await.chosen, Some(0));

    // By the wall clock, the key itself goes when the cooldown ends.
    let brief_until = now_ms() + 1_000;
    a.set_cooldown("brief", brief_until).await;
    let mut raw = server.raw().await.unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg("llmux:cooldown:brief")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(0 < ttl && ttl <= 1_000, "PTTL {ttl}");
    let r = b.reserve(&[open("brief")], now_ms()).await;
    assert_eq!(
        r.skipped,
        vec![Some(Skip::CoolingDown {
            until_ms: brief_until
        })]
    );
    tokio::time::sleep(Duration::from_millis(
        brief_until.saturating_sub(now_ms()) + 50,
    ))
    .await;
    let exists: i64 = redis::cmd("EXISTS")
        .arg("llmux:cooldown:brief")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(exists, 0);
    assert_eq!(b.reserve(&[open("brief")], now_ms()).await.chosen, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reserves_from_both_instances_never_exceed_a_limit() {
    let Some(server) = RedisServer::start().await else {
        return;
    };
    let (a, b) = two_instances(&server, PATIENT).await;
    let (a, b) = (Arc::new(a), Arc::new(b));
    let now = now_ms();

    let reserve_all = |candidate: Candidate<'static>, n: usize| {
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let instance = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(
                    async move { instance.reserve(&[candidate], now).await.chosen.is_some() },
                )
            })
            .collect();
        async move {
            let mut taken = 0;
            for t in tasks {
                taken += usize::from(t.await.unwrap());
            }
            taken
        }
    };

    assert_eq!(reserve_all(rpm("busy", 25), 80).await, 25);
    let narrow = Candidate {
        max_parallel: Some(4),
        ..open("narrow")
    };
    assert_eq!(reserve_all(narrow, 40).await, 4);

    // A release on one instance frees a slot for the other (the release is not awaited).
    a.release("narrow");
    let deadline = Instant::now() + Duration::from_secs(5);
    while b.reserve(&[narrow], now).await.chosen.is_none() {
        assert!(Instant::now() < deadline, "the release never reached Redis");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        b.reserve(&[narrow], now).await.skipped,
        vec![Some(Skip::Parallel)]
    );
    assert_eq!(a.local_fallbacks() + b.local_fallbacks(), 0);
}

#[tokio::test]
async fn reserves_answer_locally_while_redis_is_down_and_share_again_after_restart() {
    let Some(mut server) = RedisServer::start().await else {
        return;
    };
    let (a, b) = two_instances(&server, IMPATIENT).await;
    let now = now_ms();
    let steady = [rpm("steady", 100)];
    assert_eq!(a.reserve(&steady, now).await.chosen, Some(0));
    assert_eq!(b.reserve(&steady, now).await.chosen, Some(0));

    server.kill();
    let outage = Instant::now();
    for i in 0..10 {
        let instance = if i % 2 == 0 { &a } else { &b };
        let started = Instant::now();
        assert_eq!(instance.reserve(&steady, now).await.chosen, Some(0));
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "reserve {i} took {:?}",
            started.elapsed()
        );
    }
    assert_eq!(a.record_failure("steady", now).await.failures, 1);
    a.set_cooldown("steady", now_ms() + 60_000).await;
    assert!(outage.elapsed() < Duration::from_secs(3));
    assert!(!a.connected() && !b.connected());
    assert!(a.local_fallbacks() >= 5 && b.local_fallbacks() >= 5);
    // The cooldown was not lost: this instance enforces it on its own.
    assert!(matches!(
        a.reserve(&steady, now).await.skipped[0],
        Some(Skip::CoolingDown { .. })
    ));

    server.restart().await;
    wait_until("reconnected after restart", Duration::from_secs(10), || {
        a.connected() && b.connected()
    })
    .await;
    let fallbacks = (a.local_fallbacks(), b.local_fallbacks());
    let now = now_ms();
    let fresh = [rpm("fresh", 100)];
    for instance in [&a, &a, &b] {
        assert_eq!(instance.reserve(&fresh, now).await.chosen, Some(0));
    }
    assert_eq!(
        b.loads(&["fresh"], now)[0].rpm,
        3,
        "counts are shared again"
    );
    assert_eq!((a.local_fallbacks(), b.local_fallbacks()), fallbacks);
}

#[tokio::test]
async fn successes_failures_and_latency_round_trip_between_instances() {
    let Some(server) = RedisServer::start().await else {
        return;
    };
    let (a, b) = two_instances(&server, PATIENT).await;
    let now = now_ms();
    let served = [open("served")];

    for (tokens, latency_secs) in [(120, 0.4), (80, 0.6)] {
        assert_eq!(a.reserve(&served, now).await.chosen, Some(0));
        a.record_success(
            "served",
            Success {
                tokens,
                latency_secs,
            },
            now,
        );
    }

    // A reservation of another deployment brings back what Redis knows of this one.
    let look = [open("other"), open("served")];
    let deadline = Instant::now() + Duration::from_secs(5);
    let seen = loop {
        b.reserve(&look, now).await;
        let load = b.loads(&["served"], now)[0];
        if load.tpm == 200 && load.in_flight == 0 && load.latency_secs.is_some() {
            break load;
        }
        assert!(Instant::now() < deadline, "successes not seen: {load:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!((seen.latency_secs.unwrap() - 0.5).abs() < 1e-9, "{seen:?}");
    assert_eq!(seen.rpm, 2);

    let capped = |tpm| Candidate {
        tpm_limit: Some(tpm),
        ..open("served")
    };
    assert_eq!(
        b.reserve(&[capped(200)], now).await.skipped,
        vec![Some(Skip::TpmLimit)]
    );
    assert_eq!(b.reserve(&[capped(201)], now).await.chosen, Some(0));

    let expected = |failures| MinuteCounts {
        successes: 2,
        failures,
    };
    assert_eq!(b.record_failure("served", now).await, expected(1));
    assert_eq!(a.record_failure("served", now).await, expected(2));
    // In-flight never goes below zero, however many ends are reported.
    a.release("served");
    b.release("served");
    tokio::time::sleep(Duration::from_millis(200)).await; // releases are not awaited
    let mut raw = server.raw().await.unwrap();
    let in_flight: i64 = redis::cmd("GET")
        .arg("llmux:inflight:served")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(in_flight, 0);
    assert_eq!(a.local_fallbacks() + b.local_fallbacks(), 0);
}

/// Needs no server: nothing listens on the port.
#[tokio::test]
async fn an_unreachable_redis_costs_one_timeout_and_local_limits_still_hold() {
    let state = RedisState::connect(config(
        format!("redis://127.0.0.1:{}", free_port()),
        IMPATIENT,
    ));
    let started = Instant::now();
    let now = now_ms();
    let mut taken = 0;
    for _ in 0..50 {
        taken += usize::from(
            state
                .reserve(&[rpm("nowhere", 3)], now)
                .await
                .chosen
                .is_some(),
        );
    }
    assert_eq!(taken, 3);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(!state.connected());
    assert_eq!(state.local_fallbacks(), 50);
    assert_eq!(state.backend(), "redis");
}

/// Calls of each command since the last `CONFIG RESETSTAT`, from `INFO commandstats`.
async fn command_calls(server: &RedisServer) -> std::collections::BTreeMap<String, u64> {
    let mut raw = server.raw().await.unwrap();
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut raw)
        .await
        .unwrap();
    info.lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = rest
                .strip_prefix("calls=")?
                .split(',')
                .next()?
                .parse()
                .ok()?;
            (name != "info" && name != "config").then(|| (name.to_owned(), calls))
        })
        .collect()
}

/// The router on Redis state pays one awaited round trip per request (the reserve
/// script) and one that is not awaited (the success record): no read of loads, no
/// separate limit check, however many deployments the group has.
#[tokio::test]
async fn a_routed_request_costs_one_awaited_round_trip() {
    use llmux::config::{ModelEntry, RouterSettings};
    use llmux::router::RouterOptions;
    use llmux::{ChatMessage, ChatRequest, Router};

    let Some(server) = RedisServer::start().await else {
        return;
    };
    let state = Arc::new(RedisState::connect(config(server.url(), PATIENT)));
    wait_until("connected", Duration::from_secs(5), || state.connected()).await;
    let model_list: Vec<ModelEntry> = (0..100)
        .map(|i| {
            serde_json::from_value(serde_json::json!({
                "model_name": "g",
                "litellm_params": {"model": "openai/gpt-4o-mini", "mock_response": "hi", "rpm": 1000},
                "model_info": {"id": format!("d{i}")}
            }))
            .unwrap()
        })
        .collect();
    let settings = RouterSettings {
        routing_strategy: Some("usage-based-routing-v2".into()),
        ..RouterSettings::default()
    };
    let options = RouterOptions {
        state: Some(state.clone()),
        ..RouterOptions::default()
    };
    let router = Router::build(&model_list, settings, options, &|_| None).unwrap();
    let mut raw = server.raw().await.unwrap();
    redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query_async::<()>(&mut raw)
        .await
        .unwrap();

    const N: u64 = 40;
    for _ in 0..N {
        let req = ChatRequest {
            model: "g".into(),
            messages: vec![ChatMessage::user("hi")],
            ..ChatRequest::default()
        };
        router.completion(req).await.unwrap();
    }
    // The success records are not awaited: let them land.
    let deadline = Instant::now() + Duration::from_secs(5);
    let calls = loop {
        let calls = command_calls(&server).await;
        if calls.get("evalsha").copied().unwrap_or(0) >= 2 * N || Instant::now() > deadline {
            break calls;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // Commands the scripts run inside Redis are counted too; the client sent only the
    // two scripts per request.
    assert_eq!(calls.get("evalsha").copied(), Some(2 * N), "{calls:?}");
    let inside_scripts = [
        "config|resetstat",
        "evalsha",
        "get",
        "set",
        "incr",
        "incrby",
        "decr",
        "expire",
        "pexpire",
        "lpush",
        "ltrim",
        "lrange",
    ];
    assert!(
        calls.keys().all(|c| inside_scripts.contains(&c.as_str())),
        "a command outside the scripts: {calls:?}"
    );
    assert_eq!(state.local_fallbacks(), 0);
}

#[tokio::test]
async fn running_totals_are_shared_seeded_once_and_counted_together() {
    let Some(server) = RedisServer::start().await else {
        return;
    };
    let (a, b) = two_instances(&server, PATIENT).await;
    // The first to see the total seeds it; the second's seed is ignored.
    assert_eq!(a.add_to_total("key:x:0", 0.0, 1.5, 60).await, Some(1.5));
    assert_eq!(b.add_to_total("key:x:0", 0.0, 99.0, 60).await, Some(1.5));
    let adds: Vec<_> = (0..20)
        .map(|i| {
            let s = if i % 2 == 0 { &a } else { &b };
            s.add_to_total("key:x:0", 0.25, 0.0, 60)
        })
        .collect();
    futures::future::join_all(adds).await;
    assert_eq!(a.add_to_total("key:x:0", 0.0, 0.0, 60).await, Some(6.5));
    assert_eq!(a.local_fallbacks() + b.local_fallbacks(), 0);
}
