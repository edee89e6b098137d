//! Hooks into every call's life: where the cache, the loggers, the limiters and the key
//! checks plug in, each as one [`CallHook`], with no second call path.
//!
//! `pre_call` runs before routing and may answer (a cache hit) or refuse (a limit or a
//! budget). The other three are notifications: they run on the request's task and must
//! return at once; a hook that does I/O hands the event to its own queue or task.

use std::time::Duration;

use futures::future::BoxFuture;
use llmux_types::{ChatRequest, CompletionRequest, EmbeddingRequest, Error, JsonMap, Usage};
use serde_json::Value;

use std::sync::Arc;

use super::{CallContext, RouterDeployment};

/// The request as the entrance parsed it, before any deployment's defaults.
#[derive(Debug, Clone, Copy)]
pub enum RequestView<'a> {
    Chat(&'a ChatRequest),
    Completion(&'a CompletionRequest),
    Embedding(&'a EmbeddingRequest),
    /// `/v1/messages` and `/v1/messages/count_tokens` bodies.
    Messages(&'a JsonMap),
    /// `/v1/responses` bodies.
    Responses(&'a JsonMap),
}

/// What a pre-call hook decides.
#[derive(Debug)]
pub enum PreCall {
    /// Go on to the router.
    Continue,
    /// Refuse the request with this error (a limit, a budget).
    Refuse(Error),
    /// Answer without calling any deployment: the answer's JSON (for streams, a JSON
    /// array of the events to replay).
    Answer(Value),
}

/// A call that succeeded (for streams: that produced its first event).
#[derive(Debug)]
pub struct CallSuccess<'a> {
    /// The group that answered (after fallbacks, not necessarily the one requested).
    pub model_group: &'a str,
    pub deployment_id: &'a str,
    pub provider: &'a str,
    /// The deployment that answered; `None` when a pre-call hook did (a cache hit).
    pub deployment: Option<&'a RouterDeployment>,
    /// Usage of a whole answer; `None` for streams (see [`StreamEnd`]).
    pub usage: Option<&'a Usage>,
    /// USD cost of `usage` at the deployment's registry price (`None`: no usage, or no
    /// known price).
    pub cost: Option<f64>,
    pub retries: u32,
    pub fallbacks: u32,
    /// From the start of the request to the answer (first event for streams).
    pub elapsed: Duration,
    /// The answer itself, turned into JSON only when a hook asks (the cache stores it).
    pub answer: &'a dyn AnswerJson,
}

/// An answer a hook may read as JSON: whole answers are, streams are not (their events
/// come with [`StreamEnd::streamed`]).
pub trait AnswerJson {
    fn to_json(&self) -> Option<Value>;

    /// Whether the answer is a stream (its usage and end come with [`StreamEnd`]).
    fn is_stream(&self) -> bool {
        false
    }
}

impl std::fmt::Debug for dyn AnswerJson + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<answer>")
    }
}

/// A call that failed after every retry and fallback.
#[derive(Debug)]
pub struct CallFailure<'a> {
    pub model_group: &'a str,
    /// The error the client gets.
    pub error: &'a Error,
    /// Every attempt's error, in order.
    pub attempts: &'a [Error],
    pub retries: u32,
    pub fallbacks: u32,
}

/// How a stream ended.
#[derive(Debug, Clone)]
pub enum StreamStatus {
    /// The upstream finished the stream.
    Completed,
    /// The upstream failed after the first event (the client got an error event).
    Failed(Error),
    /// The client went away before the end.
    ClientGone,
}

/// The end of a stream, with what was streamed.
#[derive(Debug, Clone)]
pub struct StreamEnd {
    pub model_group: String,
    pub deployment_id: String,
    /// The deployment that streamed (`None` only in tests that build a tracker bare).
    pub deployment: Option<Arc<RouterDeployment>>,
    pub status: StreamStatus,
    /// The last usage the stream reported, if any.
    pub usage: Option<Usage>,
    /// USD cost of `usage` at the deployment's registry price.
    pub cost: Option<f64>,
    /// From the start of the request to the first event.
    pub time_to_first_token: Option<Duration>,
    /// Events relayed.
    pub events: u64,
    /// From the start of the request to the end.
    pub elapsed: Duration,
    /// Every event as JSON, in order: only for a completed stream, only when a hook asked
    /// for them ([`CallHook::collects_stream`]) and the stream stayed under
    /// [`MAX_COLLECTED_EVENTS`].
    pub streamed: Option<Vec<Value>>,
}

/// Longest stream whose events are kept for a hook (the cache stores streams whole).
pub const MAX_COLLECTED_EVENTS: usize = 16_384;

/// One consumer of the pipeline's events.
pub trait CallHook: Send + Sync + std::fmt::Debug {
    /// Before routing.
    fn pre_call<'a>(
        &'a self,
        _ctx: &'a CallContext,
        _request: RequestView<'a>,
    ) -> BoxFuture<'a, PreCall> {
        Box::pin(std::future::ready(PreCall::Continue))
    }

    fn on_success(&self, _ctx: &CallContext, _success: &CallSuccess<'_>) {}

    fn on_failure(&self, _ctx: &CallContext, _failure: &CallFailure<'_>) {}

    /// Fires once per stream, also when the client goes away.
    fn on_stream_end(&self, _ctx: &CallContext, _end: &StreamEnd) {}

    /// Whether this call's stream events are to be kept for [`CallHook::on_stream_end`]
    /// ([`StreamEnd::streamed`]); asked once per stream, when it opens.
    fn collects_stream(&self, _ctx: &CallContext) -> bool {
        false
    }
}
