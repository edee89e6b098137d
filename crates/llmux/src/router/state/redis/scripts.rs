//! The key layout and the Lua scripts that work on it. Every script takes all its keys in
//! `KEYS` (none is built inside Lua), so what a script touches is visible here.

use std::sync::LazyLock;

use redis::{ErrorKind, RedisError, RedisResult, Script, ScriptInvocation};

use super::super::memory::LATENCY_SAMPLES;
use super::super::{Candidate, DeploymentLoad, MinuteCounts, Reservation, Skip, minute_of};

/// Minute counters outlive their minute a little, so a clock a few seconds off still
/// finds the minute it is counting in.
const MINUTE_TTL_SECS: u64 = 120;
/// An instance that dies with requests in flight never ends them: its counts fade once
/// nobody reserves the deployment for this long.
const IN_FLIGHT_TTL_SECS: u64 = 600;
/// Latency samples of a deployment nobody uses any more are forgotten after an hour.
const LATENCY_TTL_SECS: u64 = 3_600;

static RESERVE: LazyLock<Script> = LazyLock::new(|| Script::new(RESERVE_LUA));
static RECORD_SUCCESS: LazyLock<Script> = LazyLock::new(|| Script::new(RECORD_SUCCESS_LUA));
static RECORD_FAILURE: LazyLock<Script> = LazyLock::new(|| Script::new(RECORD_FAILURE_LUA));
static RELEASE: LazyLock<Script> = LazyLock::new(|| Script::new(RELEASE_LUA));
static SET_COOLDOWN: LazyLock<Script> = LazyLock::new(|| Script::new(SET_COOLDOWN_LUA));
static ADD_TO_TOTAL: LazyLock<Script> = LazyLock::new(|| Script::new(ADD_TO_TOTAL_LUA));

const RESERVE_LUA: &str = include_str!("reserve.lua");
const RECORD_SUCCESS_LUA: &str = include_str!("record_success.lua");
const RECORD_FAILURE_LUA: &str = include_str!("record_failure.lua");
const RELEASE_LUA: &str = include_str!("release.lua");
const SET_COOLDOWN_LUA: &str = include_str!("set_cooldown.lua");
const ADD_TO_TOTAL_LUA: &str = include_str!("add_to_total.lua");

/// Every script, for `SCRIPT LOAD` when a connection is (re)made: a restarted Redis has
/// forgotten them, and loading them then spares the request path the `NOSCRIPT` retry.
const ALL: [&str; 6] = [
    RESERVE_LUA,
    RECORD_SUCCESS_LUA,
    RECORD_FAILURE_LUA,
    RELEASE_LUA,
    SET_COOLDOWN_LUA,
    ADD_TO_TOTAL_LUA,
];

/// Names of the keys of one deployment, all under one prefix. The id sits between the
/// kind and the minute, so `SCAN llmux:rpm:*` lists one kind and no id can be mistaken
/// for another (the minute is always the last segment).
#[derive(Debug, Clone)]
pub(super) struct Keys {
    prefix: String,
}

impl Keys {
    pub(super) fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    /// The end of a cooldown (Unix ms); expires with it.
    pub(super) fn cooldown(&self, id: &str) -> String {
        format!("{}cooldown:{id}", self.prefix)
    }

    pub(super) fn rpm(&self, id: &str, minute: u64) -> String {
        format!("{}rpm:{id}:{minute}", self.prefix)
    }

    pub(super) fn tpm(&self, id: &str, minute: u64) -> String {
        format!("{}tpm:{id}:{minute}", self.prefix)
    }

    /// A running total (a budget's spend).
    pub(super) fn total(&self, name: &str) -> String {
        format!("{}total:{name}", self.prefix)
    }

    pub(super) fn in_flight(&self, id: &str) -> String {
        format!("{}inflight:{id}", self.prefix)
    }

    /// A list of the newest latency samples, seconds, newest first.
    pub(super) fn latency(&self, id: &str) -> String {
        format!("{}latency:{id}", self.prefix)
    }

    pub(super) fn successes(&self, id: &str, minute: u64) -> String {
        format!("{}successes:{id}:{minute}", self.prefix)
    }

    pub(super) fn failures(&self, id: &str, minute: u64) -> String {
        format!("{}failures:{id}:{minute}", self.prefix)
    }
}

/// A limit as the scripts read it: `''` (which `tonumber` makes `nil`) when not enforced.
fn limit(l: Option<u64>) -> String {
    l.map(|l| l.to_string()).unwrap_or_default()
}

pub(super) fn reserve(
    keys: &Keys,
    candidates: &[Candidate<'_>],
    now_ms: u64,
) -> ScriptInvocation<'static> {
    let minute = minute_of(now_ms);
    let mut inv = RESERVE.prepare_invoke();
    inv.arg(now_ms).arg(MINUTE_TTL_SECS).arg(IN_FLIGHT_TTL_SECS);
    for c in candidates {
        inv.key(keys.cooldown(c.id))
            .key(keys.rpm(c.id, minute))
            .key(keys.tpm(c.id, minute))
            .key(keys.in_flight(c.id))
            .key(keys.latency(c.id));
        inv.arg(limit(c.rpm_limit))
            .arg(limit(c.tpm_limit))
            .arg(limit(c.max_parallel));
    }
    inv
}

pub(super) fn record_success(
    keys: &Keys,
    id: &str,
    tokens: u64,
    latency_secs: f64,
    now_ms: u64,
) -> ScriptInvocation<'static> {
    let minute = minute_of(now_ms);
    // The same samples MemoryState keeps: a NaN or negative time would poison the mean.
    let sample = if latency_secs.is_finite() && latency_secs >= 0.0 {
        latency_secs.to_string()
    } else {
        String::new()
    };
    let mut inv = RECORD_SUCCESS.prepare_invoke();
    inv.key(keys.in_flight(id))
        .key(keys.tpm(id, minute))
        .key(keys.latency(id))
        .key(keys.successes(id, minute));
    inv.arg(tokens)
        .arg(sample)
        .arg(MINUTE_TTL_SECS)
        .arg(LATENCY_TTL_SECS)
        .arg(LATENCY_SAMPLES);
    inv
}

pub(super) fn record_failure(keys: &Keys, id: &str, now_ms: u64) -> ScriptInvocation<'static> {
    let minute = minute_of(now_ms);
    let mut inv = RECORD_FAILURE.prepare_invoke();
    inv.key(keys.in_flight(id))
        .key(keys.failures(id, minute))
        .key(keys.successes(id, minute));
    inv.arg(MINUTE_TTL_SECS);
    inv
}

pub(super) fn release(keys: &Keys, id: &str) -> ScriptInvocation<'static> {
    let mut inv = RELEASE.prepare_invoke();
    inv.key(keys.in_flight(id));
    inv
}

pub(super) fn set_cooldown(
    keys: &Keys,
    id: &str,
    until_ms: u64,
    ttl_ms: u64,
) -> ScriptInvocation<'static> {
    let mut inv = SET_COOLDOWN.prepare_invoke();
    inv.key(keys.cooldown(id)).arg(until_ms).arg(ttl_ms);
    inv
}

/// A running total (`SharedState::add_to_total`): `total:{name}`.
pub(super) fn add_to_total(
    keys: &Keys,
    name: &str,
    delta: f64,
    seed: f64,
    ttl_secs: u64,
) -> ScriptInvocation<'static> {
    let mut inv = ADD_TO_TOTAL.prepare_invoke();
    inv.key(keys.total(name))
        .arg(delta.to_string())
        .arg(seed.to_string())
        .arg(ttl_secs.max(1));
    inv
}

/// One `PING` and a `SCRIPT LOAD` of every script, pipelined: what a probe of a Redis
/// that was away sends.
pub(super) fn probe() -> redis::Pipeline {
    let mut pipe = redis::pipe();
    pipe.cmd("PING");
    for source in ALL {
        pipe.cmd("SCRIPT").arg("LOAD").arg(source);
    }
    pipe
}

/// `reserve.lua`'s reply: the 1-based index chosen, then per candidate
/// `(skip, rpm, tpm, in_flight, cooldown_until, latency)`.
pub(super) type ReserveReply = (i64, Vec<(i64, i64, i64, i64, i64, String)>);

/// What one reservation round trip learnt.
#[derive(Debug)]
pub(super) struct Reserved {
    pub(super) reservation: Reservation,
    /// Each candidate's load as Redis has it, to mirror locally.
    pub(super) loads: Vec<DeploymentLoad>,
}

pub(super) fn parse_reserve(
    reply: ReserveReply,
    candidates: usize,
    now_ms: u64,
) -> RedisResult<Reserved> {
    let (chosen, rows) = reply;
    if rows.len() != candidates {
        return Err(RedisError::from((
            ErrorKind::UnexpectedReturnType,
            "reserve.lua answered for a different number of candidates",
        )));
    }
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let mut skipped = Vec::with_capacity(candidates);
    let mut loads = Vec::with_capacity(candidates);
    for (skip, rpm, tpm, in_flight, until, latency) in rows {
        let until = count(until);
        skipped.push(match skip {
            1 => Some(Skip::CoolingDown { until_ms: until }),
            2 => Some(Skip::RpmLimit),
            3 => Some(Skip::TpmLimit),
            4 => Some(Skip::Parallel),
            _ => None,
        });
        loads.push(DeploymentLoad {
            rpm: count(rpm),
            tpm: count(tpm),
            in_flight: count(in_flight),
            cooldown_until_ms: (until > now_ms).then_some(until),
            latency_secs: latency.parse::<f64>().ok().filter(|l| l.is_finite()),
        });
    }
    let chosen = usize::try_from(chosen)
        .ok()
        .and_then(|i| i.checked_sub(1))
        .filter(|&i| i < candidates);
    Ok(Reserved {
        reservation: Reservation { chosen, skipped },
        loads,
    })
}

pub(super) fn parse_counts((successes, failures): (u64, u64)) -> MinuteCounts {
    MinuteCounts {
        successes,
        failures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_put_the_minute_last_under_the_prefix() {
        let keys = Keys::new("llmux:");
        assert_eq!(keys.rpm("gpt:eu", 7), "llmux:rpm:gpt:eu:7");
        assert_eq!(keys.cooldown("a"), "llmux:cooldown:a");
        assert_eq!(keys.in_flight("a"), "llmux:inflight:a");
    }

    #[test]
    fn a_reserve_reply_becomes_reasons_and_loads() {
        let now = 10_000;
        let reply = (
            2,
            vec![
                (1, 3, 0, 1, 20_000, String::new()),
                (0, 5, 40, 2, 0, "0.25".to_owned()),
            ],
        );
        let r = parse_reserve(reply, 2, now).unwrap();
        assert_eq!(r.reservation.chosen, Some(1));
        assert_eq!(
            r.reservation.skipped,
            vec![Some(Skip::CoolingDown { until_ms: 20_000 }), None]
        );
        assert_eq!(r.loads[0].cooldown_until_ms, Some(20_000));
        assert_eq!(r.loads[0].latency_secs, None);
        assert_eq!((r.loads[1].rpm, r.loads[1].tpm), (5, 40));
        assert_eq!(r.loads[1].latency_secs, Some(0.25));
    }

    #[test]
    fn a_reply_for_other_candidates_is_an_error() {
        assert!(parse_reserve((0, vec![]), 1, 0).is_err());
        let none = parse_reserve((0, vec![(2, 1, 0, 0, 0, String::new())]), 1, 0).unwrap();
        assert_eq!(none.reservation.chosen, None);
        assert_eq!(none.reservation.skipped, vec![Some(Skip::RpmLimit)]);
    }
}
