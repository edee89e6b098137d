//! Shared state in Redis, for several llmux instances behind one load balancer: they
//! enforce a deployment's `rpm`, `tpm` and `max_parallel_requests` together and see each
//! other's cooldowns.
//!
//! Every operation is one Lua script (`redis/*.lua`, invoked by `EVALSHA`), so each check
//! and its count happen in one atomic step inside Redis, never as a read here followed by
//! a write there. Keys, under the configured prefix (`llmux:`):
//!
//! | key | value | expires |
//! |---|---|---|
//! | `cooldown:{id}` | end of the cooldown, Unix ms | when it ends (`PX`) |
//! | `rpm:{id}:{minute}`, `tpm:{id}:{minute}` | the minute's requests, tokens | 120 s |
//! | `successes:{id}:{minute}`, `failures:{id}:{minute}` | the minute's outcomes | 120 s |
//! | `inflight:{id}` | requests started, not ended | 600 s after the last reservation |
//! | `latency:{id}` | the 10 newest latencies, seconds (a list) | 1 h |
//! | `total:{name}` | a running total, e.g. a budget's spend (`INCRBYFLOAT`) | the caller's TTL after its last change |
//!
//! `{minute}` is [`minute_of`](super::minute_of) of the caller's `now_ms`.
//!
//! A [`MemoryState`] sits beside Redis as its mirror and its fallback. Each reservation
//! brings back the load of every candidate, which is mirrored there, so
//! [`SharedState::loads`] never pays a round trip; each operation also applies its effect
//! there. When Redis fails or is slower than `op_timeout`, that memory answers: the
//! request goes on with what this instance last knew, limits are enforced per instance,
//! and the miss is logged (once per outage) and counted ([`RedisState::local_fallbacks`]).
//! What is counted locally during an outage is not replayed into Redis afterwards: the
//! minute counters are gone within two minutes anyway, and an in-flight count can only
//! be off until the requests of the outage end.

pub(crate) mod health;
mod scripts;

use std::fmt::Display;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::future::BoxFuture;
use redis::aio::ConnectionManager;
use redis::{RedisResult, ScriptInvocation};
use tokio::runtime::Handle;

use self::health::{Health, Probed, manager_config};
use self::scripts::Keys;
use super::{
    Candidate, DeploymentLoad, MemoryState, MinuteCounts, Reservation, SharedState, Success,
};
use crate::config::RouterSettings;

/// Where the shared store is and how long one operation may take.
#[derive(Clone)]
pub struct RedisConfig {
    /// `redis://[:password@]host:port[/db]`.
    pub url: String,
    /// One operation's time limit; past it the request goes on with local state.
    pub op_timeout: Duration,
    /// Prefix of every key (`llmux:`).
    pub prefix: String,
}

impl std::fmt::Debug for RedisConfig {
    /// Without the URL: it may carry the password, and configs end up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConfig")
            .field("op_timeout", &self.op_timeout)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisConfig {
    /// From `router_settings`: `redis_url`, else `redis_host` (+ `redis_port`,
    /// `redis_password`); `None` when neither is set.
    pub fn from_settings(s: &RouterSettings) -> Option<Self> {
        let url = match (&s.redis_url, &s.redis_host) {
            (Some(url), _) if !url.is_empty() => url.clone(),
            (_, Some(host)) if !host.is_empty() => {
                let port = s.redis_port.unwrap_or(6379);
                match crate::secret::expose_opt(&s.redis_password).filter(|p| !p.is_empty()) {
                    Some(pw) => format!("redis://:{pw}@{host}:{port}"),
                    None => format!("redis://{host}:{port}"),
                }
            }
            _ => return None,
        };
        Some(Self {
            url,
            op_timeout: Duration::from_millis(250),
            prefix: "llmux:".into(),
        })
    }
}

/// Router state in Redis, with local memory as the fallback.
pub struct RedisState {
    inner: Arc<Inner>,
}

struct Inner {
    config: RedisConfig,
    keys: Keys,
    local: MemoryState,
    health: Health,
    /// Built on first use inside a runtime (the manager spawns its reader there); `None`
    /// when the URL cannot be used, which leaves the state local for good.
    link: OnceLock<Option<ConnectionManager>>,
}

impl RedisState {
    /// Returns at once, connected or not: until Redis answers, the local state serves.
    ///
    /// Inside a Tokio runtime the connection starts now, in the background; outside one
    /// (a test building state before its runtime) it starts with the first operation.
    /// Operations themselves must run inside a Tokio runtime with its time driver.
    pub fn connect(config: RedisConfig) -> Self {
        let inner = Arc::new(Inner {
            keys: Keys::new(&config.prefix),
            config,
            local: MemoryState::new(),
            health: Health::default(),
            link: OnceLock::new(),
        });
        if Handle::try_current().is_ok() && inner.manager().is_some() {
            inner.spawn_probe(inner.health.outages(), false);
        }
        Self { inner }
    }

    /// Operations answered from local state because Redis was unreachable, slow, or known
    /// to be down.
    pub fn local_fallbacks(&self) -> u64 {
        self.inner.health.fallbacks()
    }

    /// The local mirror: what this instance last saw of Redis, and what it serves from
    /// while Redis is away.
    pub fn local(&self) -> &MemoryState {
        &self.inner.local
    }
}

impl std::fmt::Debug for RedisState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisState")
            .field("config", &self.inner.config)
            .field("connected", &self.inner.health.connected())
            .field("local_fallbacks", &self.inner.health.fallbacks())
            .finish_non_exhaustive()
    }
}

impl Inner {
    fn manager(&self) -> Option<ConnectionManager> {
        self.link
            .get_or_init(|| {
                let client = redis::Client::open(self.config.url.as_str())
                    .map_err(|e| {
                        tracing::error!(error = %e, "redis url unusable: router state stays local")
                    })
                    .ok()?;
                ConnectionManager::new_lazy_with_config(
                    client,
                    manager_config(self.config.op_timeout),
                )
                .map_err(|e| {
                    tracing::error!(error = %e, "redis client not built: router state stays local")
                })
                .ok()
            })
            .clone()
    }

    /// Runs one operation against Redis within `op_timeout`; `None` (counted, and logged
    /// when it starts an outage) when the caller must answer from local memory.
    async fn remote<T, F>(
        self: &Arc<Self>,
        op: &'static str,
        call: impl FnOnce(ConnectionManager) -> F,
    ) -> Option<T>
    where
        F: Future<Output = RedisResult<T>>,
    {
        let Some(conn) = self.health.allow().then(|| self.manager()).flatten() else {
            self.health.fell_back();
            return None;
        };
        match tokio::time::timeout(self.config.op_timeout, call(conn)).await {
            Ok(Ok(value)) => {
                self.health.up();
                Some(value)
            }
            Ok(Err(e)) => {
                self.failed(op, &e);
                None
            }
            Err(elapsed) => {
                self.failed(op, &elapsed);
                None
            }
        }
    }

    fn failed(self: &Arc<Self>, op: &'static str, error: &dyn Display) {
        self.health.fell_back();
        if let Some(outage) = self.health.down(op, error) {
            self.spawn_probe(outage, true);
        }
    }

    /// Runs `inv` without anyone waiting for it (successes and releases: the router has
    /// answered already). Local effects are the caller's.
    fn spawn_script(self: &Arc<Self>, op: &'static str, inv: ScriptInvocation<'static>) {
        let runtime = match Handle::try_current() {
            Ok(runtime) if self.health.allow() => runtime,
            _ => {
                self.health.fell_back();
                return;
            }
        };
        let inner = Arc::clone(self);
        runtime.spawn(async move {
            inner
                .remote(op, |mut conn| async move {
                    inv.invoke_async::<()>(&mut conn).await
                })
                .await;
        });
    }

    fn spawn_probe(self: &Arc<Self>, outage: u64, wait_first: bool) {
        health::spawn_probe(self, outage, wait_first);
    }
}

impl Probed for Inner {
    fn health(&self) -> &Health {
        &self.health
    }

    fn connection(&self) -> Option<ConnectionManager> {
        self.manager()
    }

    fn op_timeout(&self) -> Duration {
        self.config.op_timeout
    }

    fn ping(&self, mut conn: ConnectionManager) -> BoxFuture<'static, RedisResult<()>> {
        let script = scripts::probe();
        Box::pin(async move { script.exec_async(&mut conn).await })
    }

    /// Cooldowns set during the outage were only local: share them, or the store would
    /// send traffic back to a deployment this instance knows is down.
    fn recovered(self: &Arc<Self>) {
        let now = super::now_ms();
        for (id, until) in self.local.active_cooldowns(now) {
            let ttl_ms = until.saturating_sub(now);
            if ttl_ms > 0 {
                let inv = scripts::set_cooldown(&self.keys, &id, until, ttl_ms);
                self.spawn_script("set_cooldown", inv);
            }
        }
    }
}

impl SharedState for RedisState {
    fn reserve<'a>(
        &'a self,
        candidates: &'a [Candidate<'a>],
        now_ms: u64,
    ) -> BoxFuture<'a, Reservation> {
        Box::pin(async move {
            let inner = &self.inner;
            if candidates.is_empty() {
                return inner.local.reserve_at_once(candidates, now_ms);
            }
            let inv = scripts::reserve(&inner.keys, candidates, now_ms);
            let n = candidates.len();
            let reserved = inner
                .remote("reserve", |mut conn| async move {
                    let reply = inv.invoke_async::<scripts::ReserveReply>(&mut conn).await?;
                    scripts::parse_reserve(reply, n, now_ms)
                })
                .await;
            match reserved {
                Some(reserved) => {
                    for (c, load) in candidates.iter().zip(&reserved.loads) {
                        inner.local.mirror(c.id, load, now_ms);
                    }
                    reserved.reservation
                }
                None => inner.local.reserve_at_once(candidates, now_ms),
            }
        })
    }

    fn record_success(&self, id: &str, success: Success, now_ms: u64) {
        self.inner.local.record_success(id, success, now_ms);
        let inv = scripts::record_success(
            &self.inner.keys,
            id,
            success.tokens,
            success.latency_secs,
            now_ms,
        );
        self.inner.spawn_script("record_success", inv);
    }

    fn record_failure<'a>(&'a self, id: &'a str, now_ms: u64) -> BoxFuture<'a, MinuteCounts> {
        Box::pin(async move {
            let inner = &self.inner;
            let local = inner.local.record_failure_now(id, now_ms);
            let inv = scripts::record_failure(&inner.keys, id, now_ms);
            inner
                .remote("record_failure", |mut conn| async move {
                    inv.invoke_async(&mut conn).await.map(scripts::parse_counts)
                })
                .await
                .unwrap_or(local)
        })
    }

    fn release(&self, id: &str) {
        self.inner.local.release(id);
        let inv = scripts::release(&self.inner.keys, id);
        self.inner.spawn_script("release", inv);
    }

    fn set_cooldown<'a>(&'a self, id: &'a str, until_ms: u64) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let inner = &self.inner;
            inner.local.set_cooldown_now(id, until_ms);
            // The key's lifetime is the cooldown's rest by this clock; one already over
            // has nothing to tell other instances.
            let ttl_ms = until_ms.saturating_sub(super::now_ms());
            if ttl_ms == 0 {
                return;
            }
            let inv = scripts::set_cooldown(&inner.keys, id, until_ms, ttl_ms);
            let until = inner
                .remote("set_cooldown", |mut conn| async move {
                    inv.invoke_async::<u64>(&mut conn).await
                })
                .await;
            if let Some(until) = until {
                // Another instance's longer cooldown wins here too.
                inner.local.set_cooldown_now(id, until);
            }
        })
    }

    fn loads(&self, ids: &[&str], now_ms: u64) -> Vec<DeploymentLoad> {
        self.inner.local.loads(ids, now_ms)
    }

    fn add_to_total<'a>(
        &'a self,
        name: &'a str,
        delta: f64,
        seed: f64,
        ttl_secs: u64,
    ) -> BoxFuture<'a, Option<f64>> {
        Box::pin(async move {
            let inner = &self.inner;
            let inv = scripts::add_to_total(&inner.keys, name, delta, seed, ttl_secs);
            let shared = inner
                .remote("add_to_total", |mut conn| async move {
                    let total: String = inv.invoke_async(&mut conn).await?;
                    Ok(total.parse::<f64>().ok())
                })
                .await
                .flatten();
            match shared {
                Some(total) => {
                    inner.local.mirror_total(name, total);
                    Some(total)
                }
                // Redis away: the local copy counts on, as the limits do.
                None => Some(inner.local.add_to_total_now(name, delta, seed)),
            }
        })
    }

    fn backend(&self) -> &'static str {
        "redis"
    }

    fn connected(&self) -> bool {
        self.inner.health.connected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_build_the_url_from_host_port_and_password() {
        let mut s = RouterSettings {
            redis_host: Some("cache".into()),
            redis_password: Some("pw".into()),
            ..RouterSettings::default()
        };
        let c = RedisConfig::from_settings(&s).unwrap();
        assert_eq!(c.url, "redis://:pw@cache:6379");
        assert!(!format!("{c:?}").contains("pw"), "Debug hides the password");
        s.redis_url = Some("redis://other:1".into());
        assert_eq!(
            RedisConfig::from_settings(&s).unwrap().url,
            "redis://other:1"
        );
        assert!(RedisConfig::from_settings(&RouterSettings::default()).is_none());
    }

    #[test]
    fn connect_outside_a_runtime_serves_locally_without_panicking() {
        let state = RedisState::connect(RedisConfig {
            url: "redis://127.0.0.1:1".into(),
            op_timeout: Duration::from_millis(100),
            prefix: "t:".into(),
        });
        // No runtime: nothing can be spawned, so the release is local only.
        state.release("a");
        state.record_success("a", Success::default(), 0);
        assert!(!state.connected());
        assert_eq!(state.local_fallbacks(), 2);
    }
}
