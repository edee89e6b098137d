//! The Redis backend, shared by every instance: `GET` / `SET … PX` under
//! `llmux:cache:{key}`, each bounded by a short timeout, behind the circuit breaker the
//! router's Redis state uses (`router/state/redis/health.rs`).
//!
//! A Redis that fails or is slow costs one request at most one `op_timeout`; then the
//! breaker opens, requests skip the cache (a miss, answered by the upstream) and writes
//! are dropped, while one background probe tries Redis every second and closes the
//! breaker when it answers. Transitions are logged once each.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::future::BoxFuture;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use tokio::runtime::Handle;

use super::entry::CachedEntry;
use super::settings::{CacheRedis, CacheType};
use super::store::{CacheStore, Pending, StoreError};
use crate::router::state::redis::health::{self, Health, Probed, manager_config};

/// Prefix of every key: `/cache/flushall` deletes these and nothing else.
const PREFIX: &str = "llmux:cache:";

pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    config: CacheRedis,
    health: Health,
    link: OnceLock<Option<ConnectionManager>>,
    pending: Pending,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("config", &self.inner.config)
            .field("connected", &self.inner.health.connected())
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Returns at once; inside a runtime the connection starts in the background.
    pub fn connect(config: CacheRedis) -> Self {
        let inner = Arc::new(Inner {
            config,
            health: Health::new("response cache"),
            link: OnceLock::new(),
            pending: Pending::default(),
        });
        if Handle::try_current().is_ok() && inner.manager().is_some() {
            inner.spawn_probe(inner.health.outages(), false);
        }
        Self { inner }
    }

    /// Reads and writes skipped or failed because Redis was down or slow.
    pub fn fallbacks(&self) -> u64 {
        self.inner.health.fallbacks()
    }

    pub fn connected(&self) -> bool {
        self.inner.health.connected()
    }
}

impl Inner {
    fn manager(&self) -> Option<ConnectionManager> {
        self.link
            .get_or_init(|| {
                let client = redis::Client::open(self.config.url.as_str())
                    .map_err(
                        |e| tracing::error!(error = %e, "cache redis url unusable: caching is off"),
                    )
                    .ok()?;
                ConnectionManager::new_lazy_with_config(
                    client,
                    manager_config(self.config.op_timeout),
                )
                .map_err(
                    |e| tracing::error!(error = %e, "cache redis client not built: caching is off"),
                )
                .ok()
            })
            .clone()
    }

    /// One operation within `op_timeout`; `None` when Redis is down, failed or slow.
    async fn remote<T, F>(
        self: &Arc<Self>,
        op: &'static str,
        call: impl FnOnce(ConnectionManager) -> F,
    ) -> Option<T>
    where
        F: Future<Output = redis::RedisResult<T>>,
    {
        let Some(conn) = self.health.allow().then(|| self.manager()).flatten() else {
            self.health.fell_back();
            return None;
        };
        match tokio::time::timeout(self.config.op_timeout, call(conn)).await {
            Ok(Ok(v)) => {
                self.health.up();
                Some(v)
            }
            Ok(Err(e)) => {
                self.failed(op, &e);
                None
            }
            Err(e) => {
                self.failed(op, &e);
                None
            }
        }
    }

    /// As [`Inner::remote`], for admin calls: the error is reported, not hidden.
    async fn admin<T, F>(
        self: &Arc<Self>,
        op: &'static str,
        call: impl FnOnce(ConnectionManager) -> F,
    ) -> Result<T, StoreError>
    where
        F: Future<Output = redis::RedisResult<T>>,
    {
        let conn = self
            .manager()
            .ok_or_else(|| StoreError("the cache's redis url is unusable".into()))?;
        match tokio::time::timeout(
            self.config.op_timeout.max(Duration::from_secs(2)),
            call(conn),
        )
        .await
        {
            Ok(Ok(v)) => {
                self.health.up();
                Ok(v)
            }
            Ok(Err(e)) => {
                self.failed(op, &e);
                Err(StoreError(format!("redis {op} failed: {e}")))
            }
            Err(e) => {
                self.failed(op, &e);
                Err(StoreError(format!("redis {op} failed: {e}")))
            }
        }
    }

    fn failed(self: &Arc<Self>, op: &'static str, error: &dyn std::fmt::Display) {
        self.health.fell_back();
        if let Some(outage) = self.health.down(op, error) {
            self.spawn_probe(outage, true);
        }
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

    fn ping(&self, mut conn: ConnectionManager) -> BoxFuture<'static, redis::RedisResult<()>> {
        Box::pin(async move { redis::cmd("PING").query_async::<()>(&mut conn).await })
    }
}

fn prefixed(key: &str) -> String {
    format!("{PREFIX}{key}")
}

impl CacheStore for RedisStore {
    fn kind(&self) -> CacheType {
        CacheType::Redis
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<Arc<CachedEntry>>> {
        Box::pin(async move {
            let k = prefixed(key);
            let bytes: Option<Vec<u8>> = self
                .inner
                .remote("get", |mut c| async move { c.get(k).await })
                .await
                .flatten();
            bytes.and_then(|b| CachedEntry::decode(&b)).map(Arc::new)
        })
    }

    fn set(&self, key: String, entry: Arc<CachedEntry>, ttl: Option<Duration>) {
        let Ok(rt) = Handle::try_current() else {
            return;
        };
        if !self.inner.health.allow() {
            self.inner.health.fell_back();
            return;
        }
        let Some(bytes) = entry.encode() else { return };
        let inner = Arc::clone(&self.inner);
        let pending = self.inner.pending.start();
        rt.spawn(async move {
            let _pending = pending;
            let k = prefixed(&key);
            let ms = ttl.map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX).max(1));
            inner
                .remote("set", |mut c| async move {
                    match ms {
                        Some(ms) => c.pset_ex::<_, _, ()>(k, bytes, ms).await,
                        None => c.set::<_, _, ()>(k, bytes).await,
                    }
                })
                .await;
        });
    }

    fn delete<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(async move {
            if keys.is_empty() {
                return Ok(0);
            }
            let ks: Vec<String> = keys.iter().map(|k| prefixed(k)).collect();
            self.inner
                .admin("del", |mut c| async move { c.del(ks).await })
                .await
        })
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let pattern = format!("{PREFIX}*");
            let mut cursor: u64 = 0;
            loop {
                let p = pattern.clone();
                let (next, keys): (u64, Vec<String>) = self
                    .inner
                    .admin("scan", |mut c| async move {
                        redis::cmd("SCAN")
                            .arg(cursor)
                            .arg("MATCH")
                            .arg(p)
                            .arg("COUNT")
                            .arg(500)
                            .query_async(&mut c)
                            .await
                    })
                    .await?;
                if !keys.is_empty() {
                    self.inner
                        .admin("del", |mut c| async move { c.del::<_, ()>(keys).await })
                        .await?;
                }
                if next == 0 {
                    return Ok(());
                }
                cursor = next;
            }
        })
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            self.inner
                .admin("ping", |mut c| async move {
                    redis::cmd("PING").query_async::<()>(&mut c).await
                })
                .await
        })
    }

    fn pending_writes(&self) -> usize {
        self.inner.pending.count()
    }
}
