//! In-process state: the default, with nothing to set up. Lock-free counters; the only
//! lock is a short one around each deployment's latency samples.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use futures::future::BoxFuture;

use super::{
    Candidate, DeploymentLoad, MinuteCounts, Reservation, SharedState, Skip, Success, minute_of,
};

/// Latency samples kept per deployment (LiteLLM keeps the last 10).
pub const LATENCY_SAMPLES: usize = 10;

/// State held in this process only.
#[derive(Debug, Default)]
pub struct MemoryState {
    /// Keyed by deployment id: from the config (or its hash), never from clients, so a
    /// fast hash is safe here and halves the cost of [`SharedState::loads`].
    slots: RwLock<HashMap<String, Arc<Slot>, foldhash::fast::RandomState>>,
    /// The deployments known when the state was made (a router's whole model list):
    /// looked up without a lock or a reference count, which two worker threads touching
    /// on every request would otherwise bounce between their caches.
    fixed: HashMap<String, Slot, foldhash::fast::RandomState>,
    /// Running totals ([`SharedState::add_to_total`]): budgets' spend.
    totals: Mutex<HashMap<String, f64>>,
}

/// A count that belongs to one minute: minute in the high 32 bits, count in the low 32.
/// Reading it in a later minute gives 0, so nothing has to reset the counters.
#[derive(Debug, Default)]
struct MinuteCounter(AtomicU64);

const COUNT_BITS: u32 = 32;
const COUNT_MASK: u64 = (1 << COUNT_BITS) - 1;

impl MinuteCounter {
    fn get(&self, minute: u64) -> u64 {
        let v = self.0.load(Ordering::Acquire);
        if v >> COUNT_BITS == minute & COUNT_MASK {
            v & COUNT_MASK
        } else {
            0
        }
    }

    /// Adds `n` if the count stays at or under `limit` (after adding); returns whether it did.
    fn add_within(&self, minute: u64, n: u64, limit: Option<u64>) -> bool {
        let tag = (minute & COUNT_MASK) << COUNT_BITS;
        let mut current = self.0.load(Ordering::Acquire);
        loop {
            let count = if current & !COUNT_MASK == tag {
                current & COUNT_MASK
            } else {
                0
            };
            let next = count.saturating_add(n).min(COUNT_MASK);
            if limit.is_some_and(|l| next > l) {
                return false;
            }
            match self.0.compare_exchange_weak(
                current,
                tag | next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(seen) => current = seen,
            }
        }
    }

    fn add(&self, minute: u64, n: u64) -> u64 {
        self.add_within(minute, n, None);
        self.get(minute)
    }
}

#[derive(Debug, Default)]
struct Slot {
    rpm: MinuteCounter,
    tpm: MinuteCounter,
    successes: MinuteCounter,
    failures: MinuteCounter,
    in_flight: AtomicU64,
    cooldown_until_ms: AtomicU64,
    /// Mean of `samples` as `f64` bits; `u64::MAX` while there are none.
    latency_mean: AtomicU64,
    samples: Mutex<VecDeque<f64>>,
}

const NO_LATENCY: u64 = u64::MAX;

impl Slot {
    fn new() -> Self {
        Self {
            latency_mean: AtomicU64::new(NO_LATENCY),
            ..Self::default()
        }
    }

    fn load(&self, now_ms: u64) -> DeploymentLoad {
        let minute = minute_of(now_ms);
        let until = self.cooldown_until_ms.load(Ordering::Acquire);
        let mean = self.latency_mean.load(Ordering::Acquire);
        DeploymentLoad {
            rpm: self.rpm.get(minute),
            tpm: self.tpm.get(minute),
            in_flight: self.in_flight.load(Ordering::Acquire),
            cooldown_until_ms: (until > now_ms).then_some(until),
            latency_secs: (mean != NO_LATENCY).then(|| f64::from_bits(mean)),
        }
    }

    /// Checks the limits and counts the request, or says why not.
    fn try_reserve(&self, c: &Candidate<'_>, now_ms: u64) -> Result<(), Skip> {
        let until = self.cooldown_until_ms.load(Ordering::Acquire);
        if until > now_ms {
            return Err(Skip::CoolingDown { until_ms: until });
        }
        let minute = minute_of(now_ms);
        if let Some(limit) = c.tpm_limit
            && self.tpm.get(minute) >= limit
        {
            return Err(Skip::TpmLimit);
        }
        if let Some(max) = c.max_parallel {
            let taken = self
                .in_flight
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (n < max).then_some(n + 1)
                });
            if taken.is_err() {
                return Err(Skip::Parallel);
            }
        } else {
            self.in_flight.fetch_add(1, Ordering::AcqRel);
        }
        if !self.rpm.add_within(minute, 1, c.rpm_limit) {
            self.release();
            return Err(Skip::RpmLimit);
        }
        Ok(())
    }

    fn release(&self) {
        let _ = self
            .in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
    }

    fn record_latency(&self, secs: f64) {
        if !secs.is_finite() || secs < 0.0 {
            return;
        }
        let mut samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        if samples.len() == LATENCY_SAMPLES {
            samples.pop_front();
        }
        samples.push_back(secs);
        let mean = samples.iter().sum::<f64>() / samples.len() as f64;
        self.latency_mean.store(mean.to_bits(), Ordering::Release);
    }
}

impl MemoryState {
    pub fn new() -> Self {
        Self::default()
    }

    /// A state with a slot for each of `ids` made up front (any other id still works).
    pub fn with_ids(ids: impl IntoIterator<Item = String>) -> Self {
        Self {
            fixed: ids.into_iter().map(|id| (id, Slot::new())).collect(),
            ..Self::default()
        }
    }

    /// Runs `f` on `id`'s slot, made on first use.
    fn with_slot<R>(&self, id: &str, f: impl FnOnce(&Slot) -> R) -> R {
        if let Some(slot) = self.fixed.get(id) {
            return f(slot);
        }
        let found = self
            .slots
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned();
        let slot = found.unwrap_or_else(|| {
            self.slots
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(id.to_owned())
                .or_insert_with(|| Arc::new(Slot::new()))
                .clone()
        });
        f(&slot)
    }

    /// [`SharedState::reserve`] without the future: the Redis state's local fallback.
    pub fn reserve_at_once(&self, candidates: &[Candidate<'_>], now_ms: u64) -> Reservation {
        // Filled only as far as the last skip: the common reservation allocates nothing.
        let mut skipped = Vec::new();
        for (i, c) in candidates.iter().enumerate() {
            match self.with_slot(c.id, |slot| slot.try_reserve(c, now_ms)) {
                Ok(()) => {
                    return Reservation {
                        chosen: Some(i),
                        skipped,
                    };
                }
                Err(why) => {
                    skipped.resize(i, None);
                    skipped.push(Some(why));
                }
            }
        }
        Reservation {
            chosen: None,
            skipped,
        }
    }

    /// [`SharedState::record_failure`] without the future.
    pub fn record_failure_now(&self, id: &str, now_ms: u64) -> MinuteCounts {
        self.with_slot(id, |slot| {
            slot.release();
            let minute = minute_of(now_ms);
            MinuteCounts {
                failures: slot.failures.add(minute, 1),
                successes: slot.successes.get(minute),
            }
        })
    }

    /// [`SharedState::set_cooldown`] without the future.
    pub fn set_cooldown_now(&self, id: &str, until_ms: u64) {
        self.with_slot(id, |slot| {
            slot.cooldown_until_ms.fetch_max(until_ms, Ordering::AcqRel);
        });
    }

    /// Cooldowns still running at `now_ms`: (id, until).
    pub fn active_cooldowns(&self, now_ms: u64) -> Vec<(String, u64)> {
        let active = |id: &String, slot: &Slot| {
            let until = slot.cooldown_until_ms.load(Ordering::Acquire);
            (until > now_ms).then(|| (id.clone(), until))
        };
        let mut out: Vec<(String, u64)> = self
            .fixed
            .iter()
            .filter_map(|(id, slot)| active(id, slot))
            .collect();
        let slots = self.slots.read().unwrap_or_else(PoisonError::into_inner);
        out.extend(slots.iter().filter_map(|(id, slot)| active(id, slot)));
        out
    }

    /// Overwrites what is known of `id` (the Redis state mirrors its store's answers here).
    /// [`SharedState::add_to_total`] answered at once.
    pub fn add_to_total_now(&self, name: &str, delta: f64, seed: f64) -> f64 {
        let mut totals = self.totals.lock().unwrap_or_else(PoisonError::into_inner);
        let total = totals.entry(name.to_owned()).or_insert(seed);
        *total += delta;
        *total
    }

    /// Sets the local copy of a total to what the shared store answered.
    pub fn mirror_total(&self, name: &str, total: f64) {
        self.totals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned(), total);
    }

    pub fn mirror(&self, id: &str, load: &DeploymentLoad, now_ms: u64) {
        self.with_slot(id, |slot| slot.mirror(load, now_ms));
    }
}

impl Slot {
    fn mirror(&self, load: &DeploymentLoad, now_ms: u64) {
        let slot = self;
        let minute = minute_of(now_ms);
        let tag = (minute & COUNT_MASK) << COUNT_BITS;
        slot.rpm
            .0
            .store(tag | load.rpm.min(COUNT_MASK), Ordering::Release);
        slot.tpm
            .0
            .store(tag | load.tpm.min(COUNT_MASK), Ordering::Release);
        slot.in_flight.store(load.in_flight, Ordering::Release);
        // A cooldown this instance set while the store was unreachable stays until the
        // store has it too (cooldowns are never shortened).
        slot.cooldown_until_ms
            .fetch_max(load.cooldown_until_ms.unwrap_or(0), Ordering::AcqRel);
        if let Some(l) = load.latency_secs {
            slot.latency_mean.store(l.to_bits(), Ordering::Release);
        }
    }
}

impl SharedState for MemoryState {
    fn reserve<'a>(
        &'a self,
        candidates: &'a [Candidate<'a>],
        now_ms: u64,
    ) -> BoxFuture<'a, Reservation> {
        let r = self.reserve_at_once(candidates, now_ms);
        Box::pin(std::future::ready(r))
    }

    fn reserve_now(&self, candidates: &[Candidate<'_>], now_ms: u64) -> Option<Reservation> {
        Some(self.reserve_at_once(candidates, now_ms))
    }

    fn record_success(&self, id: &str, success: Success, now_ms: u64) {
        self.with_slot(id, |slot| {
            slot.release();
            let minute = minute_of(now_ms);
            slot.successes.add(minute, 1);
            if success.tokens > 0 {
                slot.tpm.add(minute, success.tokens);
            }
            slot.record_latency(success.latency_secs);
        });
    }

    fn record_failure<'a>(&'a self, id: &'a str, now_ms: u64) -> BoxFuture<'a, MinuteCounts> {
        let counts = self.record_failure_now(id, now_ms);
        Box::pin(std::future::ready(counts))
    }

    fn release(&self, id: &str) {
        self.with_slot(id, Slot::release);
    }

    fn set_cooldown<'a>(&'a self, id: &'a str, until_ms: u64) -> BoxFuture<'a, ()> {
        self.set_cooldown_now(id, until_ms);
        Box::pin(std::future::ready(()))
    }

    fn loads(&self, ids: &[&str], now_ms: u64) -> Vec<DeploymentLoad> {
        if let Some(loads) = ids
            .iter()
            .map(|id| self.fixed.get(*id).map(|s| s.load(now_ms)))
            .collect::<Option<Vec<_>>>()
        {
            return loads;
        }
        let slots = self.slots.read().unwrap_or_else(PoisonError::into_inner);
        ids.iter()
            .map(|id| {
                self.fixed
                    .get(*id)
                    .or_else(|| slots.get(*id).map(|s| &**s))
                    .map(|s| s.load(now_ms))
                    .unwrap_or_default()
            })
            .collect()
    }

    fn add_to_total<'a>(
        &'a self,
        name: &'a str,
        delta: f64,
        seed: f64,
        _ttl_secs: u64,
    ) -> BoxFuture<'a, Option<f64>> {
        Box::pin(std::future::ready(Some(
            self.add_to_total_now(name, delta, seed),
        )))
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: &str, rpm: Option<u64>) -> Candidate<'_> {
        Candidate {
            id,
            rpm_limit: rpm,
            tpm_limit: None,
            max_parallel: None,
        }
    }

    #[test]
    fn running_totals_start_at_their_seed_and_add_up() {
        let s = MemoryState::new();
        assert_eq!(s.add_to_total_now("t", 0.0, 2.0), 2.0);
        assert_eq!(s.add_to_total_now("t", 0.5, 100.0), 2.5);
        s.mirror_total("t", 7.0);
        assert_eq!(s.add_to_total_now("t", 0.0, 0.0), 7.0);
        assert_eq!(s.add_to_total_now("other", 1.0, 0.0), 1.0);
    }

    #[test]
    fn rpm_is_checked_and_counted_together() {
        let s = MemoryState::new();
        let now = 1_000_000;
        let c = [cand("a", Some(2)), cand("b", None)];
        assert_eq!(s.reserve_at_once(&c, now).chosen, Some(0));
        assert_eq!(s.reserve_at_once(&c, now).chosen, Some(0));
        let third = s.reserve_at_once(&c, now);
        assert_eq!(third.chosen, Some(1));
        assert_eq!(third.skipped[0], Some(Skip::RpmLimit));
        // The next minute starts from zero.
        assert_eq!(s.reserve_at_once(&c, now + 60_000).chosen, Some(0));
    }

    #[test]
    fn concurrent_reservations_never_exceed_the_limit() {
        let s = Arc::new(MemoryState::new());
        let now = 7 * 60_000;
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let s = s.clone();
                std::thread::spawn(move || {
                    (0..100)
                        .filter(|_| {
                            s.reserve_at_once(&[cand("a", Some(50))], now)
                                .chosen
                                .is_some()
                        })
                        .count()
                })
            })
            .collect();
        let total: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(total, 50);
    }

    #[test]
    fn cooldowns_are_absolute_and_never_shortened() {
        let s = MemoryState::new();
        s.set_cooldown_now("a", 5_000);
        s.set_cooldown_now("a", 3_000);
        let r = s.reserve_at_once(&[cand("a", None)], 4_000);
        assert_eq!(r.skipped[0], Some(Skip::CoolingDown { until_ms: 5_000 }));
        assert_eq!(s.reserve_at_once(&[cand("a", None)], 5_000).chosen, Some(0));
    }

    #[test]
    fn tpm_and_parallel_limits_and_latency() {
        let s = MemoryState::new();
        let now = 60_000;
        let c = Candidate {
            id: "a",
            rpm_limit: None,
            tpm_limit: Some(100),
            max_parallel: Some(1),
        };
        assert_eq!(s.reserve_at_once(&[c], now).chosen, Some(0));
        assert_eq!(
            s.reserve_at_once(&[c], now).skipped[0],
            Some(Skip::Parallel)
        );
        s.record_success(
            "a",
            Success {
                tokens: 100,
                latency_secs: 0.5,
            },
            now,
        );
        assert_eq!(
            s.reserve_at_once(&[c], now).skipped[0],
            Some(Skip::TpmLimit)
        );
        let load = s.loads(&["a"], now)[0];
        assert_eq!((load.tpm, load.in_flight), (100, 0));
        assert_eq!(load.latency_secs, Some(0.5));
        let counts = s.record_failure_now("a", now);
        assert_eq!(
            counts,
            MinuteCounts {
                successes: 1,
                failures: 1
            }
        );
    }
}
