//! Virtual keys on the request path: one [`CallHook`] that lets a key in or refuses it,
//! counts its limits and records its spend.
//!
//! - **Auth from memory.** Keys (with their team) live in a bounded moka cache keyed by
//!   the key's sha256. A miss is loaded from the store once, however many requests ask
//!   at the same moment (`try_get_with` is single-flight); an unknown key is cached as
//!   unknown too, so a flood of bad keys costs no more than one read each per TTL. A
//!   management call invalidates the entries it changes on this instance at once; other
//!   instances see the change when their entry's TTL ends
//!   (`general_settings.user_api_key_cache_ttl`, 60 s by default, as LiteLLM's).
//! - **Limits through the router's shared state.** A key's (and its team's) `rpm_limit`,
//!   `tpm_limit` and `max_parallel_requests` are a [`Candidate`] `key:{sha}` (`team:{id}`)
//!   reserved in one atomic step, so instances sharing Redis enforce them together.
//! - **Budgets from running totals.** A budget's spend is a shared total per budget
//!   period (`SharedState::add_to_total`), seeded from the store's spend when first seen;
//!   a `budget_duration` period that ends starts a new total and resets the stored spend.
//! - **Spend written later.** Success hooks hand spend-log rows to the batched writer
//!   ([`spend`]); nothing here waits on the database.

pub mod setup;
pub mod spend;
pub mod token;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;
use llmux::cache::Clock;
use llmux::router::hooks::{CallFailure, CallHook, CallSuccess, PreCall, RequestView, StreamEnd};
use llmux::router::state::{Candidate, SharedState, Skip, Success};
use llmux::router::{CallContext, Identity, KeyGrant};
use llmux::{Error, ErrorKind, Usage};

use crate::store::{BudgetReset, Entity, KeyRecord, SpendRow, Store, StoreError, TeamRecord};
use spend::{SpendOp, SpendWriter};

/// LiteLLM's `user_api_key_cache_ttl` default.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(60);
/// Keys held in memory at most.
const CACHE_CAPACITY: u64 = 1_000_000;
/// A total with no budget period is kept this long after its last change.
const TOTAL_TTL_SECS: u64 = 86_400;
/// LiteLLM's rate-limit window, and so its `retry-after`.
const WINDOW_SECS: u64 = 60;

/// A key as the cache holds it: the key and its team, or nothing (an unknown key).
#[derive(Debug)]
pub struct Loaded {
    pub key: Option<KeyRecord>,
    pub team: Option<TeamRecord>,
}

/// The virtual-key hook.
pub struct KeyAuth {
    store: Arc<Store>,
    cache: moka::future::Cache<String, Arc<Loaded>>,
    writer: SpendWriter,
    /// The router's shared state, set once the router is built.
    state: OnceLock<Arc<dyn SharedState>>,
    clock: Arc<dyn Clock>,
    /// `model_info.access_groups`: access group → model groups in it.
    access_groups: HashMap<String, Vec<String>>,
    allow_on_db_unavailable: bool,
    /// Budget resets already handed to the writer (entity id → period end).
    resets_sent: Mutex<HashMap<String, i64>>,
}

impl std::fmt::Debug for KeyAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyAuth")
            .field("store", &self.store)
            .field("cached", &self.cache.entry_count())
            .finish_non_exhaustive()
    }
}

/// The counters once more as the gateway stops: after a benchmark they show how many
/// database reads the requests cost (`auth_reads`) and that every spend row was written.
impl Drop for KeyAuth {
    fn drop(&mut self) {
        tracing::info!(counters = %self.stats(), "virtual keys: counters at shutdown");
    }
}

/// How the hook is set up.
#[derive(Debug, Clone)]
pub struct KeySettings {
    pub cache_ttl: Duration,
    pub access_groups: HashMap<String, Vec<String>>,
    pub allow_requests_on_db_unavailable: bool,
    /// Spend rows kept while the database is away.
    pub max_buffered_spend: usize,
}

impl KeyAuth {
    /// Must run inside a Tokio runtime (the spend writer starts).
    pub fn new(store: Arc<Store>, settings: KeySettings, clock: Arc<dyn Clock>) -> Self {
        let cache = moka::future::Cache::builder()
            .max_capacity(CACHE_CAPACITY)
            .time_to_live(settings.cache_ttl)
            .build();
        Self {
            writer: SpendWriter::start(store.clone(), settings.max_buffered_spend),
            store,
            cache,
            state: OnceLock::new(),
            clock,
            access_groups: settings.access_groups,
            allow_on_db_unavailable: settings.allow_requests_on_db_unavailable,
            resets_sent: Mutex::new(HashMap::new()),
        }
    }

    /// Gives the hook the router's shared state (the router is built after its hooks).
    pub fn set_state(&self, state: Arc<dyn SharedState>) {
        let _ = self.state.set(state);
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn writer(&self) -> &SpendWriter {
        &self.writer
    }

    /// The store's and the writer's counters (`/health/readiness/details`): `auth_reads`
    /// stays still while requests are served from the cache.
    pub fn stats(&self) -> serde_json::Value {
        use std::sync::atomic::Ordering::Relaxed;
        let w = &self.writer.stats;
        serde_json::json!({
            "backend": self.store.backend(),
            "connected": self.store.connected(),
            "cached_keys": self.cache.entry_count(),
            "auth_reads": self.store.auth_reads(),
            "other_queries": self.store.other_queries(),
            "spend_rows_written": w.written.load(Relaxed),
            "spend_rows_buffered": w.buffered.load(Relaxed),
            "spend_rows_dropped": w.dropped.load(Relaxed),
        })
    }

    /// Forgets a key on this instance (after an update, a regeneration, a delete).
    pub async fn invalidate(&self, token: &str) {
        self.cache.invalidate(token).await;
    }

    /// Forgets every key (after a team changed: its keys are bound by it).
    pub fn invalidate_all(&self) {
        self.cache.invalidate_all();
    }

    /// Unix ms by the hook's clock (tests move it).
    pub fn now(&self) -> i64 {
        i64::try_from(self.clock.now_ms()).unwrap_or(i64::MAX)
    }

    /// The key and its team, from the cache or loaded once.
    async fn load(&self, token: &str) -> Result<Arc<Loaded>, Arc<StoreError>> {
        // A hit needs neither the owned key nor the loading future `try_get_with` takes.
        if let Some(hit) = self.cache.get(token).await {
            return Ok(hit);
        }
        let store = self.store.clone();
        let t = token.to_owned();
        self.cache
            .try_get_with(token.to_owned(), async move {
                let key = store.key(&t, true).await?;
                let team = match key.as_ref().and_then(|k| k.team_id.as_deref()) {
                    Some(team_id) => store.team(team_id, true).await?,
                    None => None,
                };
                Ok::<_, StoreError>(Arc::new(Loaded { key, team }))
            })
            .await
    }

    async fn admit(
        &self,
        ctx: &CallContext,
        token: &str,
        request: RequestView<'_>,
    ) -> Result<KeyGrant, Error> {
        let loaded = match self.load(token).await {
            Ok(l) => l,
            Err(e) if self.allow_on_db_unavailable => {
                // LiteLLM's `allow_requests_on_db_unavailable`: a key that cannot be
                // checked is let in, with no limits, and its spend is still recorded.
                tracing::warn!(error = %e, "key not verifiable (database unavailable): let in per allow_requests_on_db_unavailable");
                return Ok(KeyGrant {
                    token: token.to_owned(),
                    stream: is_stream(request),
                    ..KeyGrant::default()
                });
            }
            Err(e) => {
                return Err(Error::new(
                    ErrorKind::ProxyAuthentication,
                    format!("Authentication Error, the key cannot be verified now: {e}"),
                ));
            }
        };
        let now = self.now();
        let key = usable(&loaded, now)?;
        let team = loaded.team.as_ref();
        let model = requested_model(request);
        if let Some(model) = model {
            if !self.may_use(&key.models, model) {
                return Err(model_denied(model, "key_model_access_denied"));
            }
            if let Some(t) = team
                && !self.may_use(&t.models, model)
            {
                return Err(model_denied(model, "team_model_access_denied"));
            }
        }
        let mut grant = KeyGrant {
            token: token.to_owned(),
            team_id: key.team_id.clone(),
            user_id: key.user_id.clone(),
            stream: is_stream(request),
            ..KeyGrant::default()
        };
        let state = self.state.get().cloned();
        // Budgets: the key's, then its team's.
        let key_spend = self
            .check_budget(
                state.as_deref(),
                Budget {
                    entity: Entity::Key,
                    id: &key.token,
                    max_budget: key.max_budget,
                    duration: key.budget_duration.as_deref(),
                    reset_at: key.budget_reset_at,
                    created_at: key.created_at,
                    stored_spend: key.spend,
                },
                now,
                &mut grant,
            )
            .await
            .map_err(|(spend, max)| {
                let label = key.key_alias.as_deref().unwrap_or("key");
                budget_exceeded(format!(
                    "Budget has been exceeded! Key={label} ({}) Current cost: {}, Max budget: {}",
                    key.key_name,
                    py_float(spend),
                    py_float(max)
                ))
            })?;
        if let Some(t) = team {
            self.check_budget(
                state.as_deref(),
                Budget {
                    entity: Entity::Team,
                    id: &t.team_id,
                    max_budget: t.max_budget,
                    duration: t.budget_duration.as_deref(),
                    reset_at: t.budget_reset_at,
                    created_at: t.created_at,
                    stored_spend: t.spend,
                },
                now,
                &mut grant,
            )
            .await
            .map_err(|(spend, max)| {
                budget_exceeded(format!(
                    "Budget has been exceeded! Team={} Current cost: {}, Max budget: {}",
                    t.team_id,
                    py_float(spend),
                    py_float(max)
                ))
            })?;
        }
        grant
            .headers
            .push(("x-litellm-key-spend", py_float(key_spend)));
        if let Some(max) = key.max_budget {
            grant
                .headers
                .push(("x-litellm-key-max-budget", max.to_string()));
        }
        // Limits: the key's, then its team's; a refusal gives back what was counted.
        if let Some(state) = &state {
            let key_limits = Limits::of(
                "api_key",
                &key.token,
                key.rpm_limit,
                key.tpm_limit,
                key.max_parallel_requests,
            );
            if let Some(l) = key_limits {
                let id = format!("key:{}", key.token);
                self.reserve(state.as_ref(), &id, &l, now, &mut grant, true)
                    .await?;
            }
            if let Some(t) = team
                && let Some(l) = Limits::of(
                    "team_id",
                    &t.team_id,
                    t.rpm_limit,
                    t.tpm_limit,
                    t.max_parallel_requests,
                )
            {
                let id = format!("team:{}", t.team_id);
                if let Err(e) = self
                    .reserve(state.as_ref(), &id, &l, now, &mut grant, false)
                    .await
                {
                    for id in &grant.limiter_ids {
                        state.release(id);
                    }
                    return Err(e);
                }
            }
        }
        let _ = ctx;
        Ok(grant)
    }

    /// For the routes that answer without the router (`/v1/models`, stored Responses,
    /// token counts): the key exists, is not blocked and has not expired. `Ok(None)`: not
    /// a virtual key, or one let in unchecked by `allow_requests_on_db_unavailable`.
    pub async fn verify(&self, identity: &Identity) -> Result<Option<Arc<Loaded>>, Error> {
        let Identity::VirtualKey { token } = identity else {
            return Ok(None);
        };
        match self.load(token).await {
            Ok(loaded) => {
                usable(&loaded, self.now())?;
                Ok(Some(loaded))
            }
            Err(_) if self.allow_on_db_unavailable => Ok(None),
            Err(e) => Err(Error::new(
                ErrorKind::ProxyAuthentication,
                format!("Authentication Error, the key cannot be verified now: {e}"),
            )),
        }
    }

    /// The model groups among `names` that the key (and its team) may use.
    pub fn visible_models(&self, loaded: &Loaded, names: &[String]) -> Vec<String> {
        names
            .iter()
            .filter(|n| {
                loaded
                    .key
                    .as_ref()
                    .is_none_or(|k| self.may_use(&k.models, n))
                    && loaded
                        .team
                        .as_ref()
                        .is_none_or(|t| self.may_use(&t.models, n))
            })
            .cloned()
            .collect()
    }

    fn may_use(&self, allowed: &[String], model: &str) -> bool {
        allowed.is_empty()
            || allowed.iter().any(|a| {
                a == model
                    || a == "*"
                    || a == "all-proxy-models"
                    || a.strip_suffix('*').is_some_and(|p| model.starts_with(p))
                    || self
                        .access_groups
                        .get(a)
                        .is_some_and(|models| models.iter().any(|m| m == model))
            })
    }

    /// The budget's spend now, or `(spend, max)` when it is spent.
    async fn check_budget(
        &self,
        state: Option<&dyn SharedState>,
        b: Budget<'_>,
        now: i64,
        grant: &mut KeyGrant,
    ) -> Result<f64, (f64, f64)> {
        let (period_end, seed, reset) = period(&b, now);
        let name = format!("{}:{}:{period_end}", b.entity.prefix(), b.id);
        if let Some(next) = reset {
            let mut sent = self
                .resets_sent
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if sent.get(b.id) != Some(&next) {
                sent.insert(b.id.to_owned(), next);
                self.writer.send(SpendOp::Reset(BudgetReset {
                    entity: b.entity,
                    id: b.id.to_owned(),
                    next_reset_at: next,
                }));
            }
        }
        let ttl = if period_end > 0 {
            u64::try_from((period_end - now) / 1000)
                .unwrap_or(0)
                .max(TOTAL_TTL_SECS)
        } else {
            TOTAL_TTL_SECS
        };
        // Without a budget the total is only added to: a shared store is not asked for
        // it (a round trip), and the spend header shows the stored spend.
        let spend = match state {
            Some(s) if b.max_budget.is_some() || s.backend() == "memory" => {
                s.add_to_total(&name, 0.0, seed, ttl).await.unwrap_or(seed)
            }
            _ => seed,
        };
        grant.totals.push((name, seed));
        match b.max_budget {
            Some(max) if spend >= max => Err((spend, max)),
            _ => Ok(spend),
        }
    }

    async fn reserve(
        &self,
        state: &dyn SharedState,
        id: &str,
        l: &Limits<'_>,
        now: i64,
        grant: &mut KeyGrant,
        headers: bool,
    ) -> Result<(), Error> {
        let now_ms = u64::try_from(now).unwrap_or(0);
        let c = [Candidate {
            id,
            rpm_limit: l.rpm,
            tpm_limit: l.tpm,
            max_parallel: l.parallel,
        }];
        let r = match state.reserve_now(&c, now_ms) {
            Some(r) => r,
            None => state.reserve(&c, now_ms).await,
        };
        if r.chosen.is_none() {
            let skip = r.skipped.first().copied().flatten();
            return Err(rate_limited(l, skip, now));
        }
        grant.limiter_ids.push(id.to_owned());
        if headers {
            let load = state
                .loads(&[id], now_ms)
                .first()
                .copied()
                .unwrap_or_default();
            if let Some(rpm) = l.rpm {
                grant
                    .headers
                    .push(("x-ratelimit-api_key-limit-requests", rpm.to_string()));
                grant.headers.push((
                    "x-ratelimit-api_key-remaining-requests",
                    rpm.saturating_sub(load.rpm).to_string(),
                ));
            }
            if let Some(tpm) = l.tpm {
                grant
                    .headers
                    .push(("x-ratelimit-api_key-limit-tokens", tpm.to_string()));
                grant.headers.push((
                    "x-ratelimit-api_key-remaining-tokens",
                    tpm.saturating_sub(load.tpm).to_string(),
                ));
            }
        }
        Ok(())
    }

    /// A call let in has ended: its limits end, its spend is counted and written.
    fn finish(
        &self,
        ctx: &CallContext,
        grant: &KeyGrant,
        answered: Option<Answered<'_>>,
        elapsed: Duration,
    ) {
        let state = self.state.get();
        let tokens = answered
            .as_ref()
            .and_then(|a| a.usage)
            .map_or(0, |u| u.total_tokens);
        if let Some(state) = state {
            let now_ms = self.clock.now_ms();
            for id in &grant.limiter_ids {
                if answered.is_some() {
                    state.record_success(
                        id,
                        Success {
                            tokens,
                            latency_secs: elapsed.as_secs_f64(),
                        },
                        now_ms,
                    );
                } else {
                    state.release(id);
                }
            }
        }
        let Some(a) = answered else { return };
        let cost = a.cost.filter(|c| c.is_finite() && *c > 0.0).unwrap_or(0.0);
        if cost > 0.0
            && let Some(state) = state.cloned()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            let totals = grant.totals.clone();
            let mut add = Box::pin(async move {
                for (name, seed) in totals {
                    state.add_to_total(&name, cost, seed, TOTAL_TTL_SECS).await;
                }
            });
            // The in-memory state adds at once: no task for it. A shared store's round
            // trip goes on in a task (which polls the future again, with its own waker).
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            if add.as_mut().poll(&mut cx).is_pending() {
                rt.spawn(add);
            }
        }
        let end = self.now();
        let start = end.saturating_sub(i64::try_from(elapsed.as_millis()).unwrap_or(0));
        let u = a.usage;
        let n = |v: Option<u64>| i64::try_from(v.unwrap_or(0)).unwrap_or(i64::MAX);
        self.writer.send(SpendOp::Row(SpendRow {
            request_id: ctx.call_id.clone(),
            api_key: grant.token.clone(),
            team_id: grant.team_id.clone(),
            user_id: grant.user_id.clone(),
            model: a.model.to_owned(),
            model_group: a.model_group.to_owned(),
            call_type: ctx.entrance.call_type().to_owned(),
            spend: cost,
            prompt_tokens: n(u.map(|u| u.prompt_tokens)),
            completion_tokens: n(u.map(|u| u.completion_tokens)),
            total_tokens: n(u.map(|u| u.total_tokens)),
            start_time: start,
            end_time: end,
        }));
    }
}

/// The key of `loaded` if it may be used at `now`: known, not blocked (nor its team),
/// not expired.
fn usable(loaded: &Loaded, now: i64) -> Result<&KeyRecord, Error> {
    let Some(key) = &loaded.key else {
        return Err(invalid_key());
    };
    if key.blocked || loaded.team.as_ref().is_some_and(|t| t.blocked) {
        return Err(Error::new(
            ErrorKind::ProxyAuthentication,
            "Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.",
        ));
    }
    if let Some(exp) = key.expires.filter(|e| *e < now) {
        let mut e = Error::new(
            ErrorKind::ProxyAuthentication,
            format!(
                "Authentication Error - Expired Key. Key Expiry time {} and current time {}",
                iso(exp),
                iso(now)
            ),
        );
        e.error_type = Some("expired_key");
        e.param = Some(key.key_name.clone());
        return Err(e);
    }
    Ok(key)
}

struct Answered<'a> {
    usage: Option<&'a Usage>,
    cost: Option<f64>,
    model: &'a str,
    model_group: &'a str,
}

impl CallHook for KeyAuth {
    fn pre_call<'a>(
        &'a self,
        ctx: &'a CallContext,
        request: RequestView<'a>,
    ) -> BoxFuture<'a, PreCall> {
        Box::pin(async move {
            let Identity::VirtualKey { token } = &ctx.identity else {
                return PreCall::Continue;
            };
            match self.admit(ctx, token, request).await {
                Ok(grant) => {
                    let _ = ctx.grant.set(grant);
                    PreCall::Continue
                }
                Err(e) => PreCall::Refuse(e),
            }
        })
    }

    fn on_success(&self, ctx: &CallContext, s: &CallSuccess<'_>) {
        let Some(grant) = ctx.grant.get() else { return };
        if grant.stream && s.deployment.is_some() && s.usage.is_none() {
            return; // the stream's end has its usage
        }
        let model = s.deployment.map_or("", |d| d.deployment.model.as_str());
        self.finish(
            ctx,
            grant,
            Some(Answered {
                usage: s.usage,
                cost: s.cost,
                model,
                model_group: s.model_group,
            }),
            s.elapsed,
        );
    }

    fn on_failure(&self, ctx: &CallContext, _f: &CallFailure<'_>) {
        if let Some(grant) = ctx.grant.get() {
            self.finish(ctx, grant, None, Duration::ZERO);
        }
    }

    fn on_stream_end(&self, ctx: &CallContext, end: &StreamEnd) {
        let Some(grant) = ctx.grant.get() else { return };
        let model = end
            .deployment
            .as_ref()
            .map_or("", |d| d.deployment.model.as_str());
        self.finish(
            ctx,
            grant,
            Some(Answered {
                usage: end.usage.as_ref(),
                cost: end.cost,
                model,
                model_group: &end.model_group,
            }),
            end.elapsed,
        );
    }
}

struct Budget<'a> {
    entity: Entity,
    id: &'a str,
    max_budget: Option<f64>,
    duration: Option<&'a str>,
    reset_at: Option<i64>,
    created_at: i64,
    stored_spend: f64,
}

impl Entity {
    fn prefix(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Team => "team",
        }
    }
}

/// The budget period `now` is in: its end (0 without a `budget_duration`), the spend to
/// start its total at (the stored spend while the stored period runs, else 0), and the
/// next reset to store when the stored period is over.
fn period(b: &Budget<'_>, now: i64) -> (i64, f64, Option<i64>) {
    let Some(dur) = b.duration.and_then(token::duration_ms) else {
        return (0, b.stored_spend, None);
    };
    let stored_end = b
        .reset_at
        .unwrap_or_else(|| b.created_at.saturating_add(dur));
    if now < stored_end {
        return (stored_end, b.stored_spend, None);
    }
    let periods = (now - stored_end) / dur + 1;
    let end = stored_end.saturating_add(periods.saturating_mul(dur));
    (end, 0.0, Some(end))
}

struct Limits<'a> {
    descriptor: &'static str,
    value: &'a str,
    rpm: Option<u64>,
    tpm: Option<u64>,
    parallel: Option<u64>,
}

impl<'a> Limits<'a> {
    fn of(
        descriptor: &'static str,
        value: &'a str,
        rpm: Option<i64>,
        tpm: Option<i64>,
        parallel: Option<i64>,
    ) -> Option<Self> {
        let u = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok());
        let l = Self {
            descriptor,
            value,
            rpm: u(rpm),
            tpm: u(tpm),
            parallel: u(parallel),
        };
        (l.rpm.is_some() || l.tpm.is_some() || l.parallel.is_some()).then_some(l)
    }
}

/// LiteLLM's `ProxyRateLimitError` (parallel_request_limiter_v3): a 429 with
/// `retry-after` the window.
fn rate_limited(l: &Limits<'_>, skip: Option<Skip>, now: i64) -> Error {
    let (kind, limit) = match skip {
        Some(Skip::TpmLimit) => ("tokens", l.tpm),
        Some(Skip::Parallel) => ("max_parallel_requests", l.parallel),
        _ => ("requests", l.rpm),
    };
    let resets = iso(now.saturating_add(i64::try_from(WINDOW_SECS * 1000).unwrap_or(0)));
    let mut e = Error::new(
        ErrorKind::RouterRateLimit,
        format!(
            "Rate limit exceeded for {}: {}. Limit type: {kind}. Current limit: {}, Remaining: 0. Limit resets at: {resets}",
            l.descriptor,
            l.value,
            limit.unwrap_or(0)
        ),
    );
    e.retry_after = Some(Duration::from_secs(WINDOW_SECS));
    e.error_type = Some("rate_limit_error");
    e
}

fn invalid_key() -> Error {
    Error::new(
        ErrorKind::ProxyAuthentication,
        "Authentication Error, Invalid proxy server token passed. Unable to find token in cache or \
         `LiteLLM_VerificationTokenTable`",
    )
}

fn model_denied(model: &str, kind: &'static str) -> Error {
    let mut e = Error::new(
        ErrorKind::PermissionDenied,
        format!(
            "The requested model '{model}' is not available for this API key, or the model name is invalid. \
             Check the models available to you and try again."
        ),
    )
    .with_param("model");
    e.error_type = Some(kind);
    e
}

fn budget_exceeded(message: String) -> Error {
    Error::new(ErrorKind::BudgetExceeded, message)
}

fn requested_model<'a>(request: RequestView<'a>) -> Option<&'a str> {
    match request {
        RequestView::Chat(r) => Some(&r.model),
        RequestView::Completion(r) => Some(&r.model),
        RequestView::Embedding(r) => Some(&r.model),
        RequestView::Messages(m) | RequestView::Responses(m) => {
            m.get("model").and_then(|v| v.as_str())
        }
    }
}

fn is_stream(request: RequestView<'_>) -> bool {
    match request {
        RequestView::Chat(r) => r.stream == Some(true),
        RequestView::Completion(r) => r.stream == Some(true),
        RequestView::Embedding(_) => false,
        RequestView::Messages(m) | RequestView::Responses(m) => {
            m.get("stream").and_then(serde_json::Value::as_bool) == Some(true)
        }
    }
}

/// A float as Python's `str` prints it (LiteLLM's messages interpolate them): `1.0`,
/// `0.25`, `1e-07`, `7.2e-06`.
pub fn py_float(f: f64) -> String {
    if !f.is_finite() {
        return f.to_string();
    }
    let a = f.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        let s = format!("{f:e}");
        return match s.split_once('e') {
            Some((m, e)) => {
                let (sign, digits) = e.strip_prefix('-').map_or(("+", e), |d| ("-", d));
                format!("{m}e{sign}{digits:0>2}")
            }
            None => s,
        };
    }
    if f.fract() == 0.0 {
        format!("{f:.1}")
    } else {
        f.to_string()
    }
}

/// Unix ms as LiteLLM prints datetimes (`2026-01-02 03:04:05+00:00`).
pub fn iso(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}+00:00",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_python_does() {
        assert_eq!(py_float(1.0), "1.0");
        assert_eq!(py_float(0.25), "0.25");
        assert_eq!(py_float(1e-7), "1e-07");
        assert_eq!(py_float(0.0000072), "7.2e-06");
        assert_eq!(py_float(0.0), "0.0");
        assert_eq!(py_float(1e20), "1e+20");
    }

    #[test]
    fn iso_prints_utc() {
        assert_eq!(iso(0), "1970-01-01 00:00:00+00:00");
        assert_eq!(iso(1_767_323_045_000), "2026-01-02 03:04:05+00:00");
    }

    #[test]
    fn budget_periods_roll_over() {
        let b = Budget {
            entity: Entity::Key,
            id: "k",
            max_budget: Some(1.0),
            duration: Some("10s"),
            reset_at: Some(10_000),
            created_at: 0,
            stored_spend: 0.5,
        };
        assert_eq!(period(&b, 5_000), (10_000, 0.5, None));
        assert_eq!(period(&b, 10_000), (20_000, 0.0, Some(20_000)));
        assert_eq!(period(&b, 35_000), (40_000, 0.0, Some(40_000)));
        let none = Budget {
            duration: None,
            ..b
        };
        assert_eq!(period(&none, 99_000), (0, 0.5, None));
    }
}
