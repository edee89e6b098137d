//! Whether Redis is answering, as the request path sees it: a circuit breaker, the logs of
//! its transitions and the count of operations answered locally.
//!
//! While Redis is down the request path does not try it at all (a dead Redis would cost
//! every request a timeout otherwise); one background probe per outage tries again every
//! [`RETRY_AFTER`] and closes the breaker when Redis answers. Logs are per transition, not
//! per request: a Redis outage under load is one warning and one recovery line.

use std::fmt::Display;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

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
