//! Whether Redis is answering, as the request path sees it: a circuit breaker, the logs of
//! its transitions and the count of operations answered locally.
//!
//! While Redis is down the request path does not try it at all (a dead Redis would cost
//! every request a timeout otherwise); one background probe per outage tries again every
//! [`RETRY_AFTER`] and closes the breaker when Redis answers. Logs are per transition, not
//! per request: a Redis outage under load is one warning and one recovery line.

use std::fmt::Display;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures::future::BoxFuture;
use redis::RedisResult;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::runtime::Handle;

/// How long the request path stays away from Redis after a failure, and how often the
/// probe tries it meanwhile.
pub(crate) const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Not reached yet (no operation has answered, none has failed).
const CONNECTING: u8 = 0;
const UP: u8 = 1;
const DOWN: u8 = 2;

#[derive(Debug)]
pub(crate) struct Health {
    /// What Redis holds, for the log lines ("router state", "response cache").
    subject: &'static str,
    state: AtomicU8,
    /// Transitions to down so far: each outage's probe knows which outage it serves, so a
    /// probe outlived by its outage stops instead of doubling the next one's.
    outages: AtomicU64,
    fallbacks: AtomicU64,
}

impl Default for Health {
    fn default() -> Self {
        Self::new("router state")
    }
}

impl Health {
    pub(crate) fn new(subject: &'static str) -> Self {
        Self {
            subject,
            state: AtomicU8::new(CONNECTING),
            outages: AtomicU64::new(0),
            fallbacks: AtomicU64::new(0),
        }
    }

    /// Whether the request path may try Redis.
    pub(crate) fn allow(&self) -> bool {
        self.state.load(Ordering::Acquire) != DOWN
    }

    pub(crate) fn connected(&self) -> bool {
        self.state.load(Ordering::Acquire) == UP
    }

    pub(crate) fn outages(&self) -> u64 {
        self.outages.load(Ordering::Acquire)
    }

    pub(crate) fn fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed)
    }

    /// An operation was answered from local memory.
    pub(crate) fn fell_back(&self) {
        self.fallbacks.fetch_add(1, Ordering::Relaxed);
    }

    /// Redis answered.
    pub(crate) fn up(&self) {
        // A load first: on the hot path Redis is up and the swap would contend for nothing.
        if self.state.load(Ordering::Acquire) == UP {
            return;
        }
        match self.state.swap(UP, Ordering::AcqRel) {
            DOWN => tracing::info!("redis reachable again: {} is shared again", self.subject),
            CONNECTING => tracing::info!("redis connected: {} is shared", self.subject),
            _ => {}
        }
    }

    /// Redis failed `op`. Returns the outage's number when this failure started one (the
    /// caller then starts its probe), `None` when Redis was already known to be down.
    pub(crate) fn down(&self, op: &'static str, error: &dyn Display) -> Option<u64> {
        if self.state.swap(DOWN, Ordering::AcqRel) == DOWN {
            return None;
        }
        tracing::warn!(
            op,
            %error,
            retry_after_ms = RETRY_AFTER.as_millis(),
            "redis unreachable: {} is local to this instance until it answers",
            self.subject
        );
        Some(self.outages.fetch_add(1, Ordering::AcqRel).wrapping_add(1))
    }
}

/// The manager's own reconnection: a few quick tries, so that a failed attempt ends soon
/// and the next operation or probe starts a fresh one against a Redis that is back.
pub(crate) fn manager_config(op_timeout: Duration) -> ConnectionManagerConfig {
    let patience = op_timeout.max(Duration::from_millis(500));
    ConnectionManagerConfig::new()
        .set_number_of_retries(2)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_millis(500))
        .set_connection_timeout(Some(patience))
        .set_response_timeout(Some(patience))
}

/// A Redis-backed store the outage probe can try: the router's state and the response
/// cache each are one.
pub(crate) trait Probed: Send + Sync + 'static {
    fn health(&self) -> &Health;
    /// A connection to try, or `None` when the store has none (the probe then ends).
    fn connection(&self) -> Option<ConnectionManager>;
    /// How long one try may take.
    fn op_timeout(&self) -> Duration;
    /// One round trip that proves Redis answers.
    fn ping(&self, conn: ConnectionManager) -> BoxFuture<'static, RedisResult<()>>;
    /// Redis answers again (the breaker is already closed).
    fn recovered(self: &Arc<Self>) {}
}

/// Starts the probe of outage number `outage`, after one [`RETRY_AFTER`] when
/// `wait_first`. Outside a runtime there is nothing to probe from: the breaker stays
/// open until an operation succeeds.
pub(crate) fn spawn_probe<P: Probed>(store: &Arc<P>, outage: u64, wait_first: bool) {
    if let Ok(runtime) = Handle::try_current() {
        runtime.spawn(probe(Arc::downgrade(store), outage, wait_first));
    }
}

/// Tries Redis every [`RETRY_AFTER`] until it answers, the store is dropped, or a newer
/// outage's probe has taken over. Holds the store only while trying, so dropping the
/// store ends it.
async fn probe<P: Probed>(store: Weak<P>, mut outage: u64, mut wait: bool) {
    loop {
        if wait {
            tokio::time::sleep(RETRY_AFTER).await;
        }
        wait = true;
        let Some(store) = store.upgrade() else { return };
        let health = store.health();
        if health.connected() || health.outages() != outage {
            return;
        }
        let Some(conn) = store.connection() else {
            return;
        };
        // More patient than a request: nobody waits for the probe, and a first
        // connection costs a handshake on top of the round trip.
        let patience = store.op_timeout().max(Duration::from_secs(1));
        let error: Box<dyn Display + Send> =
            match tokio::time::timeout(patience, store.ping(conn)).await {
                Ok(Ok(())) => {
                    health.up();
                    store.recovered();
                    return;
                }
                Ok(Err(e)) => Box::new(e),
                Err(elapsed) => Box::new(elapsed),
            };
        if let Some(next) = health.down("connect", &error) {
            outage = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_outage_per_transition_and_requests_skip_redis_while_down() {
        let h = Health::default();
        assert!(h.allow() && !h.connected());
        assert_eq!(h.down("reserve", &"refused"), Some(1));
        assert_eq!(h.down("reserve", &"refused"), None);
        assert!(!h.allow());
        h.up();
        assert!(h.allow() && h.connected());
        assert_eq!(h.down("reserve", &"timed out"), Some(2));
        assert_eq!(h.outages(), 2);
    }
}
