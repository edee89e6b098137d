//! The attempt loop: groups (the requested one, then fallbacks), attempts within a group
//! (retries), one deployment per attempt. See the module diagram in `router/mod.rs`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use llmux_types::{Error, ErrorKind};

use super::answer::{Answer, StreamTracker};
use super::errors::{mock_failure, no_deployments, unknown_model};
use super::groups::{Group, Resolved};
use super::hooks::{CallFailure, CallSuccess, PreCall, RequestView};
use super::policy::{self, CooldownScene, RetryScene};
use super::selection::{filter_by_tags, health, prompt_tokens};
use super::state::{Candidate, Success, now_ms};
use super::{
    CallContext, DEFAULT_COOLDOWN_SECS, DEFAULT_MAX_FALLBACKS, DEFAULT_NUM_RETRIES, Failed, Inner,
    Routed, RouterDeployment, Strategy,
};
use crate::Reply;

/// Longest cooldown honoured from config: a year.
const MAX_COOLDOWN_SECS: f64 = 365.0 * 86_400.0;

pub(super) async fn route<T, F, Fut>(
    inner: &Inner,
    ctx: &CallContext,
    model: &str,
    request: RequestView<'_>,
    call: F,
) -> Result<Routed<T>, Failed>
where
    T: Answer,
    F: Fn(Arc<RouterDeployment>) -> Fut + Send + Sync,
    Fut: std::future::Future<Output = Result<Reply<T>, Error>> + Send,
{
    let failed = |error: Error| Failed {
        error,
        retries: 0,
        fallbacks: 0,
        model_group: model.to_owned(),
    };
    for hook in inner.hooks.iter() {
        match hook.pre_call(ctx, request).await {
            PreCall::Continue => {}
            PreCall::Refuse(e) => {
                notify_failure(inner, ctx, model, &e, &[], 0, 0);
                return Err(failed(e));
            }
            PreCall::Answer(v) => {
                let routed = T::from_hook(v)
                    .map(|value| Routed {
                        value,
                        deployment: None,
                        model_group: model.to_owned(),
                        retries: 0,
                        fallbacks: 0,
                        headers: Vec::new(),
                        upstream_time: Duration::ZERO,
                    })
                    .map_err(failed)?;
                // A hook's answer (a cache hit) is a success too (`CallSuccess::deployment`
                // is `None`): the loggers record it, the key hook ends the limits it counted.
                notify_success(inner, ctx, &routed);
                return Ok(routed);
            }
        }
    }
    if model.is_empty() {
        return Err(failed(
            Error::bad_request("Invalid request body: missing field `model`").with_param("model"),
        ));
    }
    let prompt_tokens = if inner.settings.enable_pre_call_checks == Some(true) {
        prompt_tokens(request).await
    } else {
        None
    };
    let max_fallbacks = ctx
        .keys
        .max_fallbacks
        .or(inner.settings.max_fallbacks)
        .unwrap_or(DEFAULT_MAX_FALLBACKS);
    let mut errors: Vec<Error> = Vec::new();
    let mut retries = 0u32;
    let mut fallbacks = 0u32;
    let mut queue: VecDeque<String> = VecDeque::new();
    let mut tried_groups: Vec<String> = Vec::new();
    let mut group = std::borrow::Cow::Borrowed(model);
    loop {
        let hop = Hop {
            inner,
            ctx,
            requested: model,
            name: &group,
            first: fallbacks == 0,
            prompt_tokens,
        };
        match hop.run(&mut retries, &mut errors, &call).await {
            Ok(mut routed) => {
                routed.retries = retries;
                routed.fallbacks = fallbacks;
                notify_success(inner, ctx, &routed);
                return Ok(routed);
            }
            // An unknown requested model is the client's mistake, answered before any
            // routing (LiteLLM's proxy checks it before its router runs).
            Err(HopError::Unknown(e)) if fallbacks == 0 => {
                errors.push(e);
                break;
            }
            Err(HopError::Unknown(e)) => {
                // A fallback that names no group is a config slip: it must not mask the
                // error the requested group gave.
                tracing::warn!(group = %group, "fallback skipped: {}", e.message);
                tried_groups.push(group.to_string());
            }
            Err(HopError::Failed(e)) => {
                tried_groups.push(group.to_string());
                let next = fallback_groups(inner, ctx, &group, model, &e);
                if ctx.keys.disable_fallbacks || policy::never_falls_back(&e) {
                    break;
                }
                // Depth first, as LiteLLM's nested fallbacks: this group's own list goes
                // before what is left of its parent's.
                for g in next.iter().rev() {
                    if !tried_groups.contains(g) && !queue.contains(g) {
                        queue.push_front(g.clone());
                    }
                }
            }
        }
        match queue.pop_front() {
            Some(next) if fallbacks < max_fallbacks => {
                fallbacks += 1;
                group = std::borrow::Cow::Owned(next);
            }
            _ => break,
        }
    }
    let attempts = errors.clone();
    let error = policy::most_meaningful(errors)
        .unwrap_or_else(|| Error::bad_request(format!("no model group could serve model={model}")));
    notify_failure(inner, ctx, model, &error, &attempts, retries, fallbacks);
    Err(Failed {
        error,
        retries,
        fallbacks,
        model_group: model.to_owned(),
    })
}

fn notify_failure(
    inner: &Inner,
    ctx: &CallContext,
    model: &str,
    error: &Error,
    attempts: &[Error],
    retries: u32,
    fallbacks: u32,
) {
    for hook in inner.hooks.iter() {
        hook.on_failure(
            ctx,
            &CallFailure {
                model_group: model,
                error,
                attempts,
                retries,
                fallbacks,
            },
        );
    }
}

fn notify_success<T: Answer>(inner: &Inner, ctx: &CallContext, routed: &Routed<T>) {
    if inner.hooks.is_empty() {
        return;
    }
    let (id, provider) = routed
        .deployment
        .as_ref()
        .map_or(("", ""), |d| (d.id.as_str(), d.deployment.provider.id()));
    let built = routed.value.built_usage();
    let usage = routed.value.usage().or(built.as_ref());
    let deployment = routed.deployment.as_deref();
    let cost = deployment
        .zip(usage)
        .and_then(|(d, u)| d.deployment.cost(u));
    for hook in inner.hooks.iter() {
        hook.on_success(
            ctx,
            &CallSuccess {
                model_group: &routed.model_group,
                deployment_id: id,
                provider,
                deployment,
                usage,
                cost,
                retries: routed.retries,
                fallbacks: routed.fallbacks,
                elapsed: ctx.started.elapsed(),
                answer: &routed.value,
            },
        );
    }
}

/// The fallback groups for `group` after it failed with `err`: the per-request list
/// (for the requested group), the context-window or content-policy list for those
/// errors, else the router's `fallbacks` (its entry for the group, else `"*"`, which
/// holds `default_fallbacks`).
fn fallback_groups(
    inner: &Inner,
    ctx: &CallContext,
    group: &str,
    requested: &str,
    err: &Error,
) -> Vec<String> {
    let s = &inner.settings;
    let special = match err.kind {
        ErrorKind::ContextWindowExceeded => Some(
            ctx.keys
                .context_window_fallbacks
                .as_deref()
                .unwrap_or(&s.context_window_fallbacks),
        ),
        ErrorKind::ContentPolicyViolation => Some(
            ctx.keys
                .content_policy_fallbacks
                .as_deref()
                .unwrap_or(&s.content_policy_fallbacks),
        ),
        _ => None,
    };
    if let Some(lists) = special.filter(|l| !l.is_empty()) {
        return policy::fallbacks_for(lists, group)
            .map(<[String]>::to_vec)
            .unwrap_or_default();
    }
    if group == requested
        && let Some(list) = &ctx.keys.fallbacks
    {
        return list.clone();
    }
    regular_fallbacks(inner, group)
}

fn regular_fallbacks(inner: &Inner, group: &str) -> Vec<String> {
    let s = &inner.settings;
    if let Some(list) = policy::fallbacks_for(&s.fallbacks, group) {
        return list.to_vec();
    }
    s.default_fallbacks.clone()
}

enum HopError {
    /// The group does not exist (or none of its entries could be resolved).
    Unknown(Error),
    Failed(Error),
}

/// One model group's attempts.
struct Hop<'a> {
    inner: &'a Inner,
    ctx: &'a CallContext,
    requested: &'a str,
    name: &'a str,
    first: bool,
    prompt_tokens: Option<u64>,
}

impl Hop<'_> {
    /// Runs the group's attempts; every failed attempt's error is added to `errors`, and
    /// the last one is returned for the fallback decision.
    async fn run<T, F, Fut>(
        &self,
        retries_total: &mut u32,
        errors: &mut Vec<Error>,
        call: &F,
    ) -> Result<Routed<T>, HopError>
    where
        T: Answer,
        F: Fn(Arc<RouterDeployment>) -> Fut + Send + Sync,
        Fut: std::future::Future<Output = Result<Reply<T>, Error>> + Send,
    {
        let inner = self.inner;
        let resolved = inner
            .groups
            .resolve(self.name)
            .ok_or_else(|| HopError::Unknown(unknown_model(inner, self.name)))?;
        let group = &resolved.group;
        let answering_group = if resolved.matched.is_some() {
            self.name.to_owned()
        } else {
            group.name.clone()
        };
        if self.first
            && let Some(kind) = self.ctx.keys.mock_failure
        {
            let e = mock_failure(inner, kind, self.name);
            errors.push(e.clone());
            return Err(HopError::Failed(e));
        }
        let has_fallbacks = policy::fallbacks_for(&inner.settings.fallbacks, &group.name)
            .is_some_and(|l| !l.is_empty())
            || !inner.settings.default_fallbacks.is_empty()
            || (group.name == self.requested && self.ctx.keys.fallbacks.is_some());
        let mut tried: Vec<String> = Vec::new();
        let mut retries = 0u32;
        loop {
            let dep = match self.reserve(&resolved, &tried).await {
                Ok(dep) => dep,
                Err(e) => {
                    errors.push(e.clone());
                    return Err(HopError::Failed(e));
                }
            };
            let attempt_started = Instant::now();
            match attempt(self.ctx, dep.clone(), call).await {
                Ok(reply) => {
                    let value = if reply.value.is_stream() {
                        reply
                            .value
                            .track(self.tracker(&dep, &answering_group, attempt_started))
                    } else {
                        inner.state.record_success(
                            &dep.id,
                            Success {
                                tokens: reply.value.tokens().unwrap_or(0),
                                latency_secs: attempt_started.elapsed().as_secs_f64(),
                            },
                            now_ms(),
                        );
                        reply.value
                    };
                    return Ok(Routed {
                        value,
                        deployment: Some(dep),
                        model_group: answering_group,
                        retries: 0,
                        fallbacks: 0,
                        headers: reply.headers,
                        upstream_time: reply.upstream_time,
                    });
                }
                Err(e) => {
                    errors.push(e.clone());
                    self.after_failure(group, &dep, &e, has_fallbacks).await;
                    if !tried.contains(&dep.id) {
                        tried.push(dep.id.clone());
                    }
                    let (healthy, sibling) = health(inner, group, &dep.id);
                    let scene = RetryScene {
                        deployments: group.deployments.len(),
                        healthy,
                        has_fallbacks,
                        has_context_window_fallbacks: !self
                            .ctx
                            .keys
                            .context_window_fallbacks
                            .as_deref()
                            .unwrap_or(&inner.settings.context_window_fallbacks)
                            .is_empty(),
                        has_content_policy_fallbacks: !self
                            .ctx
                            .keys
                            .content_policy_fallbacks
                            .as_deref()
                            .unwrap_or(&inner.settings.content_policy_fallbacks)
                            .is_empty(),
                    };
                    if retries >= self.allowed_retries(&group.name, &dep, &e)
                        || !policy::should_retry(&e, scene)
                    {
                        return Err(HopError::Failed(e));
                    }
                    let min_wait = super::deployment::secs(inner.settings.retry_after)
                        .unwrap_or(Duration::ZERO);
                    let wait = policy::retry_delay(&e, retries, sibling, min_wait);
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    retries += 1;
                    *retries_total = retries_total.saturating_add(1);
                }
            }
        }
    }

    /// Retries this error may have in this group: the request's `num_retries`, else a
    /// retry policy that names the error's kind (request, group, router), else the
    /// deployment's or the router's `num_retries`.
    fn allowed_retries(&self, group: &str, dep: &RouterDeployment, e: &Error) -> u32 {
        let s = &self.inner.settings;
        let keys = &self.ctx.keys;
        keys.overrides
            .num_retries
            .or_else(|| {
                keys.retry_policy
                    .as_ref()
                    .and_then(|p| policy::policy_retries(p, e))
            })
            .or_else(|| {
                s.model_group_retry_policy
                    .get(group)
                    .and_then(|p| policy::policy_retries(p, e))
            })
            .or_else(|| {
                s.retry_policy
                    .as_ref()
                    .and_then(|p| policy::policy_retries(p, e))
            })
            .or(dep.num_retries)
            .or(s.num_retries)
            .unwrap_or(DEFAULT_NUM_RETRIES)
    }

    fn tracker(
        &self,
        dep: &Arc<RouterDeployment>,
        group: &str,
        attempt_started: Instant,
    ) -> StreamTracker {
        StreamTracker {
            state: self.inner.state.clone(),
            hooks: self.inner.hooks.clone(),
            ctx: (!self.inner.hooks.is_empty()).then(|| self.ctx.clone()),
            deployment_id: dep.id.clone(),
            deployment: Some(dep.clone()),
            model_group: group.to_owned(),
            request_started: self.ctx.started,
            attempt_started,
            first_event_after: None,
            usage: None,
            events: 0,
            collected: self
                .inner
                .hooks
                .iter()
                .any(|h| h.collects_stream(self.ctx))
                .then(Vec::new),
            done: false,
        }
    }

    /// Counts the failure and applies the cooldown rules.
    async fn after_failure(
        &self,
        group: &Group,
        dep: &RouterDeployment,
        e: &Error,
        has_fallbacks: bool,
    ) {
        let inner = self.inner;
        let s = &inner.settings;
        let now = now_ms();
        let counts = inner.state.record_failure(&dep.id, now).await;
        if s.disable_cooldowns == Some(true) || !policy::cooldown_applies(e) {
            return;
        }
        let secs = dep
            .cooldown_time
            .or(s.cooldown_time)
            .unwrap_or(DEFAULT_COOLDOWN_SECS);
        if !(secs.is_finite() && secs > 0.0) {
            return;
        }
        let scene = CooldownScene {
            single: group.deployments.len() == 1,
            has_fallbacks,
            counts,
            allowed_fails: s.allowed_fails,
            allowed_fails_policy: s.allowed_fails_policy.as_ref(),
        };
        if policy::should_cool_down(e, &scene) {
            let ms = (secs.min(MAX_COOLDOWN_SECS) * 1000.0) as u64;
            inner
                .state
                .set_cooldown(&dep.id, now.saturating_add(ms))
                .await;
            tracing::info!(
                deployment = %dep.id,
                group = %group.name,
                status = e.status.as_u16(),
                cooldown_secs = secs,
                "deployment cooling down"
            );
        }
    }

    /// Picks and reserves a deployment of the group for the next attempt.
    async fn reserve(
        &self,
        resolved: &Resolved,
        tried: &[String],
    ) -> Result<Arc<RouterDeployment>, Error> {
        let inner = self.inner;
        let group = &resolved.group;
        let parallel = inner.settings.default_max_parallel_requests;
        let enforce = inner.enforce_limits;
        let candidate = |d| candidate(d, enforce, parallel);
        // The common case, a group of one with no filters: nothing to order.
        if let [only] = group.deployments.as_slice()
            && inner.settings.enable_tag_filtering != Some(true)
            && self.prompt_tokens.is_none()
        {
            let now = now_ms();
            let candidates = [candidate(only)];
            let reservation = reserve(&*inner.state, &candidates, now).await;
            let chosen = reservation.chosen.map(|_| only);
            return self.reserved(resolved, chosen, &candidates, &reservation, now);
        }
        let mut deps: Vec<&Arc<RouterDeployment>> = group.deployments.iter().collect();
        if inner.settings.enable_tag_filtering == Some(true) {
            deps = filter_by_tags(deps, self.ctx.tags(), self.name)?;
        }
        if let Some(tokens) = self.prompt_tokens {
            deps.retain(|d| d.max_input_tokens().is_none_or(|max| tokens <= max));
            if deps.is_empty() {
                return Err(Error::new(
                    ErrorKind::ContextWindowExceeded,
                    format!(
                        "litellm._pre_call_checks: Context Window exceeded for given call. No models have context window large enough for this call.\nmodel={}, prompt tokens={tokens}",
                        self.name
                    ),
                )
                .with_model(self.name));
            }
        }
        let now = now_ms();
        let loads = match inner.strategy {
            Strategy::SimpleShuffle | Strategy::CostBased => Vec::new(),
            _ => {
                let ids: Vec<&str> = deps.iter().map(|d| d.id.as_str()).collect();
                inner.state.loads(&ids, now)
            }
        };
        let mut order = inner.strategy.order(&deps, &loads, &mut rand::rng());
        if !tried.is_empty() || deps.iter().any(|d| d.order.is_some()) {
            // Stable: the strategy's preference holds within each (untried, order) level.
            order.sort_by_key(|&i| {
                deps.get(i).map_or((true, u64::MAX), |d| {
                    (tried.contains(&d.id), d.order.unwrap_or(u64::MAX))
                })
            });
        }
        order.retain(|&i| i < deps.len());
        let candidates: Vec<Candidate<'_>> = order
            .iter()
            .filter_map(|&i| deps.get(i).map(|d| candidate(d)))
            .collect();
        let reservation = reserve(&*inner.state, &candidates, now).await;
        let chosen = reservation
            .chosen
            .and_then(|i| order.get(i))
            .and_then(|&i| deps.get(i).copied());
        self.reserved(resolved, chosen, &candidates, &reservation, now)
    }

    /// The deployment to call once the state has reserved `chosen` (for a wildcard group,
    /// resolved for the requested model), or the router's 429 when nothing was.
    fn reserved(
        &self,
        resolved: &Resolved,
        chosen: Option<&Arc<RouterDeployment>>,
        candidates: &[Candidate<'_>],
        reservation: &super::state::Reservation,
        now: u64,
    ) -> Result<Arc<RouterDeployment>, Error> {
        let inner = self.inner;
        match chosen {
            Some(d) => inner
                .groups
                .concrete(d, resolved.matched.as_deref())
                .inspect_err(|_| inner.state.release(&d.id)),
            None => Err(no_deployments(
                inner,
                self.name,
                candidates,
                reservation,
                now,
            )),
        }
    }
}

/// [`SharedState::reserve`], without its boxed future when the state can answer at once.
async fn reserve(
    state: &dyn super::state::SharedState,
    candidates: &[Candidate<'_>],
    now: u64,
) -> super::state::Reservation {
    match state.reserve_now(candidates, now) {
        Some(r) => r,
        None => state.reserve(candidates, now).await,
    }
}

/// What the state checks for `d`: `rpm`/`tpm` only when they are limits.
fn candidate(d: &RouterDeployment, enforce: bool, parallel: Option<u64>) -> Candidate<'_> {
    Candidate {
        id: &d.id,
        rpm_limit: d.rpm.filter(|_| enforce),
        tpm_limit: d.tpm.filter(|_| enforce),
        max_parallel: d.max_parallel_requests.or(parallel),
    }
}

/// One attempt on `dep`: the request's mock switches, the call, and for streams the
/// wait for the first event.
async fn attempt<T, F, Fut>(
    ctx: &CallContext,
    dep: Arc<RouterDeployment>,
    call: &F,
) -> Result<Reply<T>, Error>
where
    T: Answer,
    F: Fn(Arc<RouterDeployment>) -> Fut + Send + Sync,
    Fut: std::future::Future<Output = Result<Reply<T>, Error>> + Send,
{
    if ctx.keys.mock_timeout {
        return Err(
            Error::new(ErrorKind::Timeout, "This is a mock timeout error")
                .with_provider(dep.deployment.provider.id())
                .with_model(dep.deployment.model.clone()),
        );
    }
    if let Some(delay) = ctx.keys.mock_delay
        && (ctx.keys.overrides.mock_response.is_some() || dep.deployment.mock_response.is_some())
    {
        tokio::time::sleep(delay).await;
    }
    let reply = call(dep).await?;
    if !reply.value.is_stream() {
        return Ok(reply);
    }
    let Reply {
        value,
        provider,
        attempts,
        headers,
        upstream_time,
    } = reply;
    Ok(Reply {
        value: value.first_event().await?,
        provider,
        attempts,
        headers,
        upstream_time,
    })
}
