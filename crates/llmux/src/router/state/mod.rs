//! The router's shared state: per-deployment usage, cooldowns, in-flight counts and
//! latency, behind one trait with an in-memory and a Redis implementation.
//!
//! The contract every implementation keeps:
//! - **Limits are checked and counted in one atomic step** ([`SharedState::reserve`]):
//!   never a read followed by a separate write, so N instances sharing Redis enforce a
//!   deployment's `rpm` together, not N × `rpm`.
//! - **Cooldowns are absolute expiry times** (Unix milliseconds), so instances whose
//!   clocks agree see the same deployment come back at the same moment.
//! - **One round trip on the request path**: `reserve` is the only call the router awaits
//!   before an attempt. Successes are recorded without being awaited
//!   ([`SharedState::record_success`]); failures are awaited (the cooldown decision needs
//!   the minute's counts), and they are off the hot path by definition.
//! - **A state backend never fails a request**: a backend that cannot reach its store
//!   answers from local memory and says so in its logs and counters.
//!
//! Time comes in as `now_ms` (Unix milliseconds) so tests drive the clock.

mod memory;
pub(crate) mod redis;

pub use memory::MemoryState;
pub use redis::{RedisConfig, RedisState};

use futures::future::BoxFuture;

/// Minutes since the Unix epoch: the window `rpm`/`tpm` and failure counts live in.
pub fn minute_of(now_ms: u64) -> u64 {
    now_ms / 60_000
}

/// Unix time in milliseconds, from the system clock.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// A deployment as the state sees it: its id and the limits to enforce.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// The deployment's `model_info.id` (`x-litellm-model-id`), stable across instances.
    pub id: &'a str,
    /// Requests this minute at most (`rpm`), when enforced.
    pub rpm_limit: Option<u64>,
    /// Tokens this minute at most (`tpm`), when enforced: a request is let through while
    /// the minute's count is below the limit.
    pub tpm_limit: Option<u64>,
    /// In-flight requests at most (`max_parallel_requests`).
    pub max_parallel: Option<u64>,
}

/// What the state knows of one deployment right now.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DeploymentLoad {
    /// Requests counted this minute.
    pub rpm: u64,
    /// Tokens counted this minute.
    pub tpm: u64,
    /// Requests started and not finished.
    pub in_flight: u64,
    /// When a cooldown ends (Unix ms), if one is active.
    pub cooldown_until_ms: Option<u64>,
    /// Mean latency of the recent samples, in seconds (time to first token for streams).
    pub latency_secs: Option<f64>,
}

/// The answer to [`SharedState::reserve`].
#[derive(Debug, Clone, PartialEq)]
pub struct Reservation {
    /// Index into the candidates of the one that was counted, if any fitted.
    pub chosen: Option<usize>,
    /// Why each candidate before the chosen one (or every candidate, when none fitted)
    /// was passed over, in candidate order. It may end early: a missing entry, like a
    /// `None`, is a candidate that was not skipped (the chosen one and those after it).
    pub skipped: Vec<Option<Skip>>,
}

/// Why a candidate was not reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Cooling down until this Unix ms.
    CoolingDown { until_ms: u64 },
    /// `rpm` reached this minute.
    RpmLimit,
    /// `tpm` reached this minute.
    TpmLimit,
    /// `max_parallel_requests` in flight.
    Parallel,
}

/// One finished request, for latency and token accounting.
#[derive(Debug, Clone, Copy, Default)]
pub struct Success {
    /// Tokens the answer used (prompt + completion), counted against `tpm`.
    pub tokens: u64,
    /// Seconds to the whole answer, or to the first chunk for streams.
    pub latency_secs: f64,
}

/// Successes and failures of one deployment in the current minute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MinuteCounts {
    pub successes: u64,
    pub failures: u64,
}

/// State shared by every request of a router, and by every instance pointed at the same
/// store. Object-safe, so the router holds an `Arc<dyn SharedState>`.
pub trait SharedState: Send + Sync + std::fmt::Debug {
    /// Among `candidates`, in the order given (the strategy's preference), finds the
    /// first that is not cooling down at `now_ms`, is under its `rpm` and `tpm` for the
    /// minute and under `max_parallel`, and counts one request and one in-flight on it.
    /// Atomic: two concurrent calls never both take the last request of a limit.
    fn reserve<'a>(
        &'a self,
        candidates: &'a [Candidate<'a>],
        now_ms: u64,
    ) -> BoxFuture<'a, Reservation>;

    /// [`SharedState::reserve`] answered synchronously, for states that need no I/O to
    /// answer (the router then skips the boxed future); `None` means "await `reserve`".
    fn reserve_now(&self, _candidates: &[Candidate<'_>], _now_ms: u64) -> Option<Reservation> {
        None
    }

    /// Ends an in-flight request that succeeded: one in-flight less, `tokens` added to the
    /// minute's `tpm`, a latency sample, a success counted. Not awaited by the router: an
    /// implementation that does I/O starts it and returns.
    fn record_success(&self, id: &str, success: Success, now_ms: u64);

    /// Ends an in-flight request that failed: one in-flight less, a failure counted.
    /// Returns the minute's counts after it, for the cooldown rules.
    fn record_failure<'a>(&'a self, id: &'a str, now_ms: u64) -> BoxFuture<'a, MinuteCounts>;

    /// Ends an in-flight request that neither succeeded nor failed on the deployment's
    /// account (the client went away): one in-flight less, nothing counted.
    fn release(&self, id: &str);

    /// Cools `id` down until `until_ms` (Unix ms). A later, shorter cooldown does not
    /// shorten a longer one.
    fn set_cooldown<'a>(&'a self, id: &'a str, until_ms: u64) -> BoxFuture<'a, ()>;

    /// The current load of each of `ids`, in order. For the in-memory state it is exact;
    /// a remote state answers from what its last round trips saw (strategies read this
    /// on every request and must not pay a round trip for it).
    fn loads(&self, ids: &[&str], now_ms: u64) -> Vec<DeploymentLoad>;

    /// Adds `delta` to the running total `name`, created at `seed` when it does not
    /// exist, kept for `ttl_secs` after its last change, and returns the new total, in
    /// one atomic step. Budgets keep their spend here, so instances sharing Redis see one
    /// total; `delta = 0.0` reads it. `None`: this backend keeps no totals (the caller
    /// keeps its own). Awaited only where a budget needs the total now.
    fn add_to_total<'a>(
        &'a self,
        _name: &'a str,
        _delta: f64,
        _seed: f64,
        _ttl_secs: u64,
    ) -> BoxFuture<'a, Option<f64>> {
        Box::pin(std::future::ready(None))
    }

    /// `memory` or `redis` (for `/health/readiness` and logs).
    fn backend(&self) -> &'static str;

    /// Whether the shared store is reachable right now (`true` for in-memory state).
    fn connected(&self) -> bool {
        true
    }
}
