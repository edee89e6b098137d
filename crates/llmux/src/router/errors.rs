//! The router's own errors, in LiteLLM's words.

use std::time::Duration;

use llmux_types::{Error, ErrorKind};

use super::Inner;
use super::state::{Candidate, Reservation, Skip};
use crate::request_keys::MockFailure;

/// LiteLLM's tag routing: deployments with any of the request's tags (`!tag` excludes,
/// `&tag` requires); without request tags, those tagged `default` (else all); with tags
/// LiteLLM's `RouterRateLimitError`: no candidate could take the request.
pub(super) fn no_deployments(
    inner: &Inner,
    model: &str,
    candidates: &[Candidate<'_>],
    r: &Reservation,
    now: u64,
) -> Error {
    let cooling: Vec<(&str, u64)> = candidates
        .iter()
        .zip(&r.skipped)
        .filter_map(|(c, s)| match s {
            Some(Skip::CoolingDown { until_ms }) => Some((c.id, *until_ms)),
            _ => None,
        })
        .collect();
    let all_cooling = !cooling.is_empty() && cooling.len() == candidates.len();
    let wait_ms = match cooling.iter().map(|(_, until)| *until).min() {
        Some(first_back) if all_cooling => first_back.saturating_sub(now),
        // Limits free up when the minute turns.
        _ => 60_000 - now % 60_000,
    };
    let wait_secs = wait_ms.div_ceil(1000).max(1);
    let list = cooling
        .iter()
        .map(|(id, _)| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let reason = if all_cooling {
        " All deployments for selected model are in cooldown."
    } else {
        ""
    };
    let mut e = Error::new(
        ErrorKind::RouterRateLimit,
        format!(
            "No deployments available for selected model, Try again in {wait_secs} seconds.{reason} Passed model={model}. pre-call-checks={}, cooldown_list=[{list}]",
            if inner.settings.enable_pre_call_checks == Some(true) { "True" } else { "False" }
        ),
    )
    .with_model(model);
    e.retry_after = Some(Duration::from_secs(wait_secs));
    if all_cooling {
        e.error_type = Some("all_deployments_in_cooldown");
    }
    e
}

pub(super) fn unknown_model(inner: &Inner, model: &str) -> Error {
    if let Some(e) = inner.groups.unavailable.get(model) {
        return e.clone();
    }
    Error::bad_request(format!(
        "Invalid model name passed in model={model}. Call `/v1/models` to view available models for your key."
    ))
    .with_model(model)
}

/// The error `mock_testing_*` raises, in LiteLLM's words.
pub(super) fn mock_failure(inner: &Inner, kind: MockFailure, group: &str) -> Error {
    let s = &inner.settings;
    let show = |lists: &[std::collections::HashMap<String, Vec<String>>]| {
        serde_json::to_string(lists).unwrap_or_default()
    };
    let (kind, text) = match kind {
        MockFailure::Fallbacks => (
            ErrorKind::InternalServer,
            format!(
                "This is a mock exception for model={group}, to trigger a fallback. Fallbacks={}",
                show(&s.fallbacks)
            ),
        ),
        MockFailure::ContextWindow => (
            ErrorKind::ContextWindowExceeded,
            format!(
                "This is a mock exception for model={group}, to trigger a fallback. Context_Window_Fallbacks={}",
                show(&s.context_window_fallbacks)
            ),
        ),
        MockFailure::ContentPolicy => (
            ErrorKind::ContentPolicyViolation,
            format!(
                "This is a mock exception for model={group}, to trigger a fallback. Context_Policy_Fallbacks={}",
                show(&s.content_policy_fallbacks)
            ),
        ),
        MockFailure::RateLimit => (
            ErrorKind::RateLimit,
            format!("This is a mock rate limit error for model={group}"),
        ),
    };
    Error::new(kind, text).with_model(group)
}
