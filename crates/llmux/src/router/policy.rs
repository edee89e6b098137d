//! The router's rules, as pure functions: how often to retry an error and how long to
//! wait, when a failure cools a deployment down, which fallback list an error takes, and
//! which of several errors the client gets. LiteLLM's `router.py`
//! (`should_retry_this_error`, `_time_to_sleep_before_retry`,
//! `async_function_with_fallbacks`) and `cooldown_handlers.py`.

use std::collections::HashMap;
use std::time::Duration;

use llmux_types::{Error, ErrorKind};
use rand::Rng;

use super::state::MinuteCounts;
use crate::config::{AllowedFailsPolicy, RetryPolicy};

/// LiteLLM's backoff (`utils.py: calculate_retry_after`): 0.5 s doubling, at most 8 s.
const INITIAL_RETRY_DELAY: f64 = 0.5;
const MAX_RETRY_DELAY: f64 = 8.0;
/// A Retry-After beyond this is ignored in favour of the backoff, as LiteLLM does.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Retries of `err` allowed by a retry policy, if the policy names its kind.
pub fn policy_retries(policy: &RetryPolicy, err: &Error) -> Option<u32> {
    match err.kind {
        ErrorKind::ContentPolicyViolation => policy.content_policy_violation_error_retries,
        ErrorKind::RateLimit => policy.rate_limit_error_retries,
        ErrorKind::Timeout => policy.timeout_error_retries,
        ErrorKind::Authentication => policy.authentication_error_retries,
        ErrorKind::InternalServer => policy.internal_server_error_retries,
        ErrorKind::BadRequest | ErrorKind::UnsupportedParams | ErrorKind::ContextWindowExceeded => {
            policy.bad_request_error_retries
        }
        _ => None,
    }
}

/// Failures allowed per minute for `err`'s kind, if the policy names it.
pub fn policy_allowed_fails(policy: &AllowedFailsPolicy, err: &Error) -> Option<u32> {
    match err.kind {
        ErrorKind::ContentPolicyViolation => policy.content_policy_violation_error_allowed_fails,
        ErrorKind::RateLimit => policy.rate_limit_error_allowed_fails,
        ErrorKind::Timeout => policy.timeout_error_allowed_fails,
        ErrorKind::Authentication => policy.authentication_error_allowed_fails,
        ErrorKind::InternalServer => policy.internal_server_error_allowed_fails,
        ErrorKind::BadRequest | ErrorKind::UnsupportedParams | ErrorKind::ContextWindowExceeded => {
            policy.bad_request_error_allowed_fails
        }
        _ => None,
    }
}

/// LiteLLM's `should_retry(status)`: 408, 409, 429 and 5xx.
pub fn status_is_retryable(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || status >= 500
}

/// What [`should_retry`] needs to know about the group and the request.
#[derive(Debug, Clone, Copy)]
pub struct RetryScene {
    /// Deployments in the group.
    pub deployments: usize,
    /// Deployments not cooling down now (after this failure's cooldown, if any).
    pub healthy: usize,
    pub has_fallbacks: bool,
    pub has_context_window_fallbacks: bool,
    pub has_content_policy_fallbacks: bool,
}

/// LiteLLM's `should_retry_this_error`: whether another attempt in the same group is
/// worth making.
pub fn should_retry(err: &Error, scene: RetryScene) -> bool {
    if err.kind == ErrorKind::ContextWindowExceeded && scene.has_context_window_fallbacks {
        return false;
    }
    if err.kind == ErrorKind::ContentPolicyViolation && scene.has_content_policy_fallbacks {
        return false;
    }
    if !err.is_retryable() && !matches!(err.status.as_u16(), 401 | 403) {
        return false;
    }
    match err.status.as_u16() {
        404 => return false,
        429 if scene.healthy == 0 && scene.has_fallbacks => return false,
        401 | 403 if scene.deployments <= 1 => return false,
        _ => {}
    }
    scene.healthy > 0
}

/// How long to wait before retry number `retries_done + 1`: nothing when a healthy
/// sibling can take it, else Retry-After when it is in (0, 60] s, else the backoff
/// (at least `min_wait`), with jitter.
pub fn retry_delay(
    err: &Error,
    retries_done: u32,
    healthy_sibling: bool,
    min_wait: Duration,
) -> Duration {
    if healthy_sibling {
        return Duration::ZERO;
    }
    if let Some(after) = err
        .retry_after
        .filter(|d| !d.is_zero() && *d <= MAX_RETRY_AFTER)
    {
        return after.max(min_wait);
    }
    let exp = i32::try_from(retries_done.min(16)).unwrap_or(16);
    let backoff = (INITIAL_RETRY_DELAY * 2f64.powi(exp))
        .max(min_wait.as_secs_f64())
        .min(MAX_RETRY_DELAY);
    let jitter = 1.0 - 0.25 * rand::rng().random::<f64>();
    Duration::try_from_secs_f64(backoff * jitter).unwrap_or(Duration::ZERO)
}

/// Whether a failure's status is one that can cool a deployment down at all
/// (`_is_cooldown_required`): 429, 401, 402, 404, 408, and every 5xx. LiteLLM skips
/// connection errors here (its #27362: a dead host kept being retried); llmux cools them
/// down like any 5xx.
pub fn cooldown_applies(err: &Error) -> bool {
    let status = err.status.as_u16();
    if (400..500).contains(&status) {
        matches!(status, 429 | 401 | 402 | 404 | 408)
    } else {
        true
    }
}

/// The cooldown rules once [`cooldown_applies`]: `_should_cooldown_deployment`.
pub struct CooldownScene<'a> {
    /// The group has one deployment.
    pub single: bool,
    /// The group has a fallback group.
    pub has_fallbacks: bool,
    pub counts: MinuteCounts,
    pub allowed_fails: Option<u32>,
    pub allowed_fails_policy: Option<&'a AllowedFailsPolicy>,
}

/// LiteLLM's `SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD` and failure-rate rule.
const ALL_FAILED_MIN_REQUESTS: u64 = 1000;
const FAILURE_RATE: f64 = 0.5;
const FAILURE_RATE_MIN_REQUESTS: u64 = 5;
/// `DEFAULT_ALLOWED_FAILS`, used when only a policy is set and it does not name the kind.
const DEFAULT_ALLOWED_FAILS: u32 = 3;

pub fn should_cool_down(err: &Error, s: &CooldownScene<'_>) -> bool {
    let status = err.status.as_u16();
    let from_policy = s
        .allowed_fails_policy
        .and_then(|p| policy_allowed_fails(p, err));
    if s.allowed_fails.is_some() || s.allowed_fails_policy.is_some() {
        if s.single && !s.has_fallbacks && from_policy.is_none() {
            return false;
        }
        let allowed = from_policy
            .or(s.allowed_fails)
            .unwrap_or(DEFAULT_ALLOWED_FAILS);
        return s.counts.failures > u64::from(allowed);
    }
    let total = s.counts.failures.saturating_add(s.counts.successes);
    let rate = if total > 0 {
        s.counts.failures as f64 / total as f64
    } else {
        0.0
    };
    if status == 429 && !s.single {
        return true;
    }
    if rate >= 1.0 && total >= ALL_FAILED_MIN_REQUESTS {
        return true;
    }
    if rate > FAILURE_RATE && total >= FAILURE_RATE_MIN_REQUESTS && !s.single {
        return true;
    }
    !status_is_retryable(status)
}

/// A fallback list setting: `[{"group": ["a", "b"]}, {"*": ["c"]}]`.
pub type FallbackLists = [HashMap<String, Vec<String>>];

/// The fallback groups `lists` gives `group`: its own entry, else the `"*"` entry.
pub fn fallbacks_for<'a>(lists: &'a FallbackLists, group: &str) -> Option<&'a [String]> {
    lists
        .iter()
        .find_map(|m| m.get(group))
        .or_else(|| lists.iter().find_map(|m| m.get("*")))
        .map(Vec::as_slice)
}

/// Errors that never go to a fallback: the request itself is wrong in a way another
/// model would not fix, or the gateway refused it.
pub fn never_falls_back(err: &Error) -> bool {
    matches!(
        err.kind,
        ErrorKind::UnsupportedParams
            | ErrorKind::ProxyAuthentication
            | ErrorKind::PayloadTooLarge
            | ErrorKind::BudgetExceeded
    )
}

/// How telling an error is to the client, higher first: a request the client must fix,
/// then credentials, then a rate limit (retry later), then a timeout, then the rest.
fn meaning(err: &Error) -> u8 {
    match err.status.as_u16() {
        400 | 413 | 422 => 5,
        401..=404 => 4,
        429 => 3,
        408 => 2,
        s if s < 500 => 1,
        _ => 0,
    }
}

/// The error the client gets after every attempt failed: the most telling one, the
/// earliest among equals (the requested group's own error wins a tie).
pub fn most_meaningful(errors: Vec<Error>) -> Option<Error> {
    let mut best: Option<Error> = None;
    for e in errors {
        if best.as_ref().is_none_or(|b| meaning(&e) > meaning(b)) {
            best = Some(e);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    fn err(status: u16) -> Error {
        Error::new(
            ErrorKind::from_status(StatusCode::from_u16(status).unwrap()),
            "x",
        )
        .with_status(StatusCode::from_u16(status).unwrap())
    }

    fn scene(deployments: usize, healthy: usize, fallbacks: bool) -> RetryScene {
        RetryScene {
            deployments,
            healthy,
            has_fallbacks: fallbacks,
            has_context_window_fallbacks: false,
            has_content_policy_fallbacks: false,
        }
    }

    #[test]
    fn retry_rules_follow_litellm() {
        assert!(should_retry(&err(500), scene(1, 1, false)));
        assert!(should_retry(&err(429), scene(1, 1, true)));
        assert!(!should_retry(&err(429), scene(2, 0, true)));
        assert!(!should_retry(&err(400), scene(3, 3, false)));
        assert!(!should_retry(&err(404), scene(3, 3, false)));
        assert!(!should_retry(&err(401), scene(1, 1, false)));
        assert!(should_retry(&err(401), scene(2, 1, false)));
        assert!(!should_retry(&err(500), scene(2, 0, false)));
        let cw = Error::new(ErrorKind::ContextWindowExceeded, "x");
        let mut s = scene(2, 2, false);
        s.has_context_window_fallbacks = true;
        assert!(!should_retry(&cw, s));
    }

    #[test]
    fn delays_prefer_a_sibling_then_retry_after_then_backoff() {
        let mut e = err(429);
        assert_eq!(retry_delay(&e, 3, true, Duration::ZERO), Duration::ZERO);
        e.retry_after = Some(Duration::from_secs(2));
        assert_eq!(
            retry_delay(&e, 0, false, Duration::ZERO),
            Duration::from_secs(2)
        );
        e.retry_after = Some(Duration::from_secs(1000));
        assert!(retry_delay(&e, 0, false, Duration::ZERO) <= Duration::from_millis(500));
        let d = retry_delay(&e, 10, false, Duration::ZERO);
        assert!(d <= Duration::from_secs(8) && d >= Duration::from_secs(6));
    }

    #[test]
    fn cooldown_rules_follow_litellm() {
        let counts = |failures, successes| MinuteCounts {
            failures,
            successes,
        };
        let base = |single, c| CooldownScene {
            single,
            has_fallbacks: false,
            counts: c,
            allowed_fails: None,
            allowed_fails_policy: None,
        };
        assert!(should_cool_down(&err(429), &base(false, counts(1, 0))));
        assert!(!should_cool_down(&err(429), &base(true, counts(1, 0))));
        assert!(!should_cool_down(&err(500), &base(false, counts(2, 2))));
        assert!(should_cool_down(&err(500), &base(false, counts(3, 2))));
        assert!(should_cool_down(&err(401), &base(true, counts(1, 0))));
        assert!(!cooldown_applies(&err(400)));
        let mut s = base(false, counts(4, 0));
        s.allowed_fails = Some(3);
        assert!(should_cool_down(&err(500), &s));
        s.counts = counts(3, 0);
        assert!(!should_cool_down(&err(500), &s));
    }

    /// LiteLLM never cools a deployment down on a connection error (its #27362); llmux
    /// does, by the same rules as a 5xx.
    #[test]
    fn connection_errors_cool_down() {
        let refused = Error::new(ErrorKind::ApiConnection, "APIConnectionError - refused");
        assert!(cooldown_applies(&refused));
        let scene = CooldownScene {
            single: false,
            has_fallbacks: false,
            counts: MinuteCounts {
                failures: 5,
                successes: 0,
            },
            allowed_fails: None,
            allowed_fails_policy: None,
        };
        assert!(should_cool_down(&refused, &scene));
    }

    #[test]
    fn the_most_telling_error_wins() {
        let e = most_meaningful(vec![err(500), err(429), err(503)]).unwrap();
        assert_eq!(e.status.as_u16(), 429);
        let e = most_meaningful(vec![err(429), err(401), err(500)]).unwrap();
        assert_eq!(e.status.as_u16(), 401);
        let e = most_meaningful(vec![err(500), err(502)]).unwrap();
        assert_eq!(e.status.as_u16(), 500);
    }
}
