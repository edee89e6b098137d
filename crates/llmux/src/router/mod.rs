//! The router: model groups over deployments, a routing strategy, and the one attempt
//! loop every call goes through (retries, fallbacks, cooldowns, limits, hooks).
//!
//! ```text
//! Router::route(ctx, model, request view, call)
//!   ▶ pre-call hooks (may answer or refuse)
//!   ▶ for each model group: the requested one, then its fallbacks (max_fallbacks)
//!       ▶ mock_testing_* fails the first group before any call
//!       ▶ attempt loop (num_retries / retry_policy):
//!           ▶ candidates: tags, context window, untried first, `order` levels,
//!             then the strategy's preference
//!           ▶ SharedState::reserve: first candidate not cooling down and under its
//!             rpm / tpm / max_parallel, counted atomically (one round trip)
//!           ▶ call(deployment): one upstream attempt (`Transport` never retries)
//!           ▶ streams: the first event is awaited; an error before it is a failure
//!           ▶ success: usage and latency recorded (streams: at their end)
//!           ▶ failure: counted; cooldown rules; retry now on a healthy sibling, or
//!             after Retry-After / backoff, or give up on the group
//!   ▶ success / failure hooks; the most telling error of all attempts
//! ```
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use llmux::config::{ModelEntry, RouterSettings};
//! use llmux::{ChatMessage, ChatRequest, Router};
//!
//! let model_list: Vec<ModelEntry> = serde_json::from_value(serde_json::json!([
//!     {"model_name": "chat", "litellm_params": {"model": "openai/gpt-4o-mini", "mock_response": "from a", "weight": 3}},
//!     {"model_name": "chat", "litellm_params": {"model": "openai/gpt-4o", "mock_response": "from b", "weight": 1}}
//! ]))?;
//! let router = Router::new(&model_list, RouterSettings::default())?;
//! let req = ChatRequest { model: "chat".into(), messages: vec![ChatMessage::user("hi")], ..Default::default() };
//! let answer = router.completion(req).await?;
//! assert!(answer.choices[0].message.content.as_deref().unwrap().starts_with("from "));
//! # Ok(()) }
//! ```

pub mod answer;
pub mod context;
pub mod deployment;
mod errors;
pub mod groups;
pub mod hooks;
mod pipeline;
pub mod policy;
mod selection;
pub mod state;
pub mod strategy;

use std::sync::Arc;
use std::time::Duration;

use llmux_types::{
    ChatRequest, ChatResponse, CompletionRequest, CompletionResponse, EmbeddingRequest,
    EmbeddingResponse, Error, ErrorKind,
};

pub use answer::{Answer, StreamEvent, StreamTracker};
pub use context::{CacheLookup, CallContext, Entrance, Identity, KeyGrant, LoggedRequest};
pub use deployment::{DeploymentDefaults, NON_REQUEST_KEYS, RouterDeployment};
pub use groups::{Group, Groups, Resolved};
pub use hooks::{
    AnswerJson, CallFailure, CallHook, CallSuccess, PreCall, RequestView, StreamEnd, StreamStatus,
};
pub use state::{MemoryState, RedisConfig, RedisState, SharedState};
pub use strategy::Strategy;

use crate::client::start_chat;
use crate::config::{ModelEntry, RouterSettings};
use crate::{ChatStream, Client, CompletionStream, Reply};

/// LiteLLM's defaults: `openai.DEFAULT_MAX_RETRIES`, `ROUTER_MAX_FALLBACKS`,
/// `DEFAULT_COOLDOWN_TIME_SECONDS`.
pub const DEFAULT_NUM_RETRIES: u32 = 2;
pub const DEFAULT_MAX_FALLBACKS: u32 = 5;
pub const DEFAULT_COOLDOWN_SECS: f64 = 5.0;

/// An answer, and how the router got it.
#[derive(Debug)]
pub struct Routed<T> {
    pub value: T,
    /// The deployment that answered; `None` when a pre-call hook did.
    pub deployment: Option<Arc<RouterDeployment>>,
    /// The group that answered (after fallbacks, not necessarily the one requested).
    pub model_group: String,
    /// Retries made, over every group tried.
    pub retries: u32,
    /// Fallback groups tried.
    pub fallbacks: u32,
    /// Upstream response headers worth relaying (LiteLLM's `llm_provider-*`).
    pub headers: Vec<(String, String)>,
    /// Time spent waiting on the upstream in the answering attempt.
    pub upstream_time: Duration,
}

impl<T> Routed<T> {
    /// The answer, and how it was obtained.
    pub fn into_parts(self) -> (T, Routed<()>) {
        let meta = Routed {
            value: (),
            deployment: self.deployment,
            model_group: self.model_group,
            retries: self.retries,
            fallbacks: self.fallbacks,
            headers: self.headers,
            upstream_time: self.upstream_time,
        };
        (self.value, meta)
    }
}

/// A call that failed after every retry and fallback.
#[derive(Debug, Clone)]
pub struct Failed {
    /// The most telling error of all the attempts.
    pub error: Error,
    pub retries: u32,
    pub fallbacks: u32,
    /// The group requested.
    pub model_group: String,
}

impl From<Failed> for Error {
    fn from(f: Failed) -> Self {
        f.error
    }
}

/// The router. Cheap to clone; share one.
#[derive(Debug, Clone)]
pub struct Router {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub groups: Groups,
    pub strategy: Strategy,
    pub settings: RouterSettings,
    pub state: Arc<dyn SharedState>,
    pub client: Client,
    pub hooks: Arc<[Arc<dyn CallHook>]>,
    /// `rpm`/`tpm` are limits, not only weights.
    pub enforce_limits: bool,
}

/// How to build a [`Router`] beyond the model list and settings.
#[derive(Debug, Default)]
pub struct RouterOptions {
    /// Per-deployment defaults from `litellm_settings`.
    pub defaults: DeploymentDefaults,
    /// The state to share; default: Redis when the settings name one, else memory.
    pub state: Option<Arc<dyn SharedState>>,
    pub hooks: Vec<Arc<dyn CallHook>>,
    /// The HTTP client; default: a new one.
    pub client: Option<Client>,
}

/// Why a router could not be built: the config path of the bad value and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RouterError {
    pub path: String,
    pub message: String,
}

impl Router {
    /// A router over `model_list` with `settings`, credentials from the environment.
    /// With `redis_host`/`redis_url` set, state is shared through Redis (this must then
    /// run inside a Tokio runtime).
    pub fn new(model_list: &[ModelEntry], settings: RouterSettings) -> Result<Self, RouterError> {
        Self::build(model_list, settings, RouterOptions::default(), &|n| {
            std::env::var(n).ok()
        })
    }

    /// As [`Router::new`], with options and `env` resolving provider key variables.
    pub fn build(
        model_list: &[ModelEntry],
        settings: RouterSettings,
        options: RouterOptions,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, RouterError> {
        let bad = |path: &str, message: String| RouterError {
            path: path.to_owned(),
            message,
        };
        let buffer = settings
            .routing_strategy_args
            .get("lowest_latency_buffer")
            .and_then(serde_json::Value::as_f64);
        let strategy = Strategy::parse(settings.routing_strategy.as_deref(), buffer)
            .map_err(|m| bad("router_settings.routing_strategy", m))?;
        let groups = Groups::build(
            model_list,
            settings.model_group_alias.clone(),
            options.defaults,
            env,
        )
        .map_err(|(i, e)| bad(&format!("model_list[{i}].litellm_params.model"), e.message))?;
        for (alias, target) in &settings.model_group_alias {
            if groups.get(target.model()).is_none() {
                return Err(bad(
                    &format!("router_settings.model_group_alias.{alias}"),
                    format!("no model_list entry is named '{}'", target.model()),
                ));
            }
        }
        let state: Arc<dyn SharedState> = match options.state {
            Some(s) => s,
            None => match RedisConfig::from_settings(&settings) {
                Some(cfg) => Arc::new(RedisState::connect(cfg)),
                None => Arc::new(MemoryState::with_ids(
                    groups.deployment_ids().map(str::to_owned),
                )),
            },
        };
        let enforce_limits = strategy.enforces_limits()
            || settings
                .optional_pre_call_checks
                .iter()
                .any(|c| c == "enforce_model_rate_limits");
        Ok(Self {
            inner: Arc::new(Inner {
                groups,
                strategy,
                settings,
                state,
                client: options.client.unwrap_or_default(),
                hooks: options.hooks.into(),
                enforce_limits,
            }),
        })
    }

    /// A router over deployments already resolved (the library's free functions), with
    /// default settings and in-memory state.
    pub fn from_deployments(
        deployments: Vec<RouterDeployment>,
        client: Client,
    ) -> Result<Self, Error> {
        Ok(Self {
            inner: Arc::new(Inner {
                state: Arc::new(MemoryState::with_ids(
                    deployments.iter().map(|d| d.id.clone()),
                )),
                groups: Groups::from_deployments(deployments),
                strategy: Strategy::SimpleShuffle,
                settings: RouterSettings::default(),
                client,
                hooks: Vec::new().into(),
                enforce_limits: false,
            }),
        })
    }

    /// The model groups.
    pub fn groups(&self) -> &Groups {
        &self.inner.groups
    }

    /// The settings the router was built with.
    pub fn settings(&self) -> &RouterSettings {
        &self.inner.settings
    }

    pub fn strategy(&self) -> Strategy {
        self.inner.strategy
    }

    /// The shared state (for health and model-info reports).
    pub fn state(&self) -> &Arc<dyn SharedState> {
        &self.inner.state
    }

    /// The HTTP client every attempt goes through.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// Routes one call: `call` makes one attempt on the deployment it is given (with
    /// that deployment's defaults applied to the request); the router does the rest.
    pub fn route<'a, T, F, Fut>(
        &'a self,
        ctx: &'a CallContext,
        model: &'a str,
        request: RequestView<'a>,
        call: F,
    ) -> impl std::future::Future<Output = Result<Routed<T>, Failed>> + Send + 'a
    where
        T: Answer,
        F: Fn(Arc<RouterDeployment>) -> Fut + Send + Sync + 'a,
        Fut: std::future::Future<Output = Result<Reply<T>, Error>> + Send + 'a,
    {
        // Not an `async fn`: one future layer fewer to move on every call.
        pipeline::route(&self.inner, ctx, model, request, call)
    }

    /// A chat completion through the router.
    pub async fn chat(
        &self,
        ctx: &CallContext,
        req: ChatRequest,
    ) -> Result<Routed<ChatResponse>, Failed> {
        let client = &self.inner.client;
        let o = &ctx.keys.overrides;
        self.route(ctx, &req.model, RequestView::Chat(&req), |d| {
            // Built before the attempt's future so that it holds the wire request only.
            let start = with_defaults(&req, &d.default_params)
                .and_then(|req| start_chat(&d.deployment, req, o, false));
            async move { client.finish_chat(&d.deployment, start?).await }
        })
        .await
    }

    /// A streamed chat completion through the router: it falls back while no event has
    /// been sent; after the first, an upstream failure ends the stream with an error.
    pub async fn chat_stream(
        &self,
        ctx: &CallContext,
        req: ChatRequest,
    ) -> Result<Routed<ChatStream>, Failed> {
        let client = &self.inner.client;
        let o = &ctx.keys.overrides;
        self.route(ctx, &req.model, RequestView::Chat(&req), |d| {
            let start = with_defaults(&req, &d.default_params)
                .and_then(|req| start_chat(&d.deployment, req, o, true));
            async move { client.finish_chat_stream(&d.deployment, start?).await }
        })
        .await
    }

    /// Embeddings through the router.
    pub async fn embed(
        &self,
        ctx: &CallContext,
        req: EmbeddingRequest,
    ) -> Result<Routed<EmbeddingResponse>, Failed> {
        let client = &self.inner.client;
        let o = &ctx.keys.overrides;
        self.route(ctx, &req.model, RequestView::Embedding(&req), |d| {
            let req = with_defaults(&req, &d.default_params);
            async move { client.embedding(&d.deployment, req?, o).await }
        })
        .await
    }

    /// A legacy text completion through the router.
    pub async fn text(
        &self,
        ctx: &CallContext,
        req: CompletionRequest,
    ) -> Result<Routed<CompletionResponse>, Failed> {
        let client = &self.inner.client;
        let o = &ctx.keys.overrides;
        self.route(ctx, &req.model, RequestView::Completion(&req), |d| {
            let req = with_defaults(&req, &d.default_params);
            async move { client.text_completion(&d.deployment, req?, o).await }
        })
        .await
    }

    /// A streamed legacy text completion through the router.
    pub async fn text_stream(
        &self,
        ctx: &CallContext,
        req: CompletionRequest,
    ) -> Result<Routed<CompletionStream>, Failed> {
        let client = &self.inner.client;
        let o = &ctx.keys.overrides;
        self.route(ctx, &req.model, RequestView::Completion(&req), |d| {
            let req = with_defaults(&req, &d.default_params);
            async move { client.text_completion_stream(&d.deployment, req?, o).await }
        })
        .await
    }

    /// LiteLLM's `Router.acompletion`: a chat completion for a library caller.
    pub async fn completion(&self, mut req: ChatRequest) -> Result<ChatResponse, Error> {
        let ctx = library_context(&mut req.extra, req.metadata.take())?;
        Ok(self.chat(&ctx, req).await?.value)
    }

    /// A streamed chat completion for a library caller.
    pub async fn completion_stream(&self, mut req: ChatRequest) -> Result<ChatStream, Error> {
        req.stream = Some(true);
        let ctx = library_context(&mut req.extra, req.metadata.take())?;
        Ok(self.chat_stream(&ctx, req).await?.value)
    }

    /// LiteLLM's `Router.aembedding`.
    pub async fn embedding(&self, mut req: EmbeddingRequest) -> Result<EmbeddingResponse, Error> {
        let ctx = library_context(&mut req.extra, None)?;
        Ok(self.embed(&ctx, req).await?.value)
    }

    /// LiteLLM's `Router.atext_completion`.
    pub async fn text_completion(
        &self,
        mut req: CompletionRequest,
    ) -> Result<CompletionResponse, Error> {
        let ctx = library_context(&mut req.extra, None)?;
        Ok(self.text(&ctx, req).await?.value)
    }
}

/// A library call's context: LiteLLM's keys taken out of the request's extra fields.
fn library_context(
    extra: &mut llmux_types::JsonMap,
    metadata: Option<serde_json::Value>,
) -> Result<CallContext, Error> {
    if let Some(m) = metadata.filter(|m| !m.is_null()) {
        extra.insert("metadata".into(), m);
    }
    let mut ctx = CallContext::new(Entrance::Library, Identity::Library);
    ctx.keys = crate::RequestKeys::take_from(extra)?;
    Ok(ctx)
}

/// Fills parameters the client left unset from the deployment's `litellm_params`
/// (LiteLLM merges them into every call, the request winning).
pub fn with_defaults<R>(
    req: &R,
    defaults: &serde_json::Map<String, serde_json::Value>,
) -> Result<R, Error>
where
    R: Clone + serde::Serialize + serde::de::DeserializeOwned,
{
    if defaults.is_empty() {
        return Ok(req.clone());
    }
    let mut value = serde_json::to_value(req).map_err(|e| Error::bad_request(e.to_string()))?;
    if let Some(obj) = value.as_object_mut() {
        for (k, v) in defaults {
            if obj.get(k).is_none_or(serde_json::Value::is_null) {
                obj.insert(k.clone(), v.clone());
            }
        }
    }
    serde_json::from_value(value).map_err(|e| {
        Error::new(
            ErrorKind::BadRequest,
            format!("invalid default param in config: {e}"),
        )
    })
}
