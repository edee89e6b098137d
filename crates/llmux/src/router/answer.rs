//! What the router needs from each kind of answer: its usage (for `tpm`), for streams
//! the first event (a stream that fails before it falls back like any failed call), and
//! the tracking that ends a stream's accounting when it ends or the client goes away.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use futures::future::BoxFuture;
use llmux_types::{
    ChatChunk, ChatResponse, CompletionResponse, EmbeddingResponse, Error, ErrorKind, Usage,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::hooks::{AnswerJson, CallHook, MAX_COLLECTED_EVENTS, StreamEnd, StreamStatus};
use super::state::{SharedState, Success, now_ms};
use super::{CallContext, RouterDeployment};
use crate::stream::Observer;
use crate::{EventStream, MessagesAnswer, TokenCount};

/// An answer the router can route.
pub trait Answer: Send + Sized + 'static {
    /// Tokens a whole answer used; `None` for streams (counted at their end).
    fn tokens(&self) -> Option<u64>;

    /// A whole answer's usage, for the success hooks (streams report theirs at the end).
    fn usage(&self) -> Option<&Usage> {
        None
    }

    /// A usage built from an answer whose own usage has another shape (embeddings), for
    /// pricing and the success hooks; `None` for answers that have [`Answer::usage`].
    fn built_usage(&self) -> Option<Usage> {
        None
    }

    /// For streams: waits for the first event, so an upstream that fails before it is
    /// a failed attempt (retried, then fallen back) rather than a broken answer.
    fn first_event(self) -> BoxFuture<'static, Result<Self, Error>> {
        Box::pin(std::future::ready(Ok(self)))
    }

    /// Whether [`Answer::track`] takes over the deployment's accounting.
    fn is_stream(&self) -> bool {
        false
    }

    /// For streams: ends the deployment's accounting when the stream ends.
    fn track(self, tracker: StreamTracker) -> Self {
        drop(tracker);
        self
    }

    /// An answer a pre-call hook made (a cache hit).
    fn from_hook(value: Value) -> Result<Self, Error>;

    /// A whole answer as JSON, for the success hooks (the cache); `None` for streams.
    fn to_json(&self) -> Option<Value> {
        None
    }
}

impl<T: Answer> AnswerJson for T {
    fn to_json(&self) -> Option<Value> {
        Answer::to_json(self)
    }
    fn is_stream(&self) -> bool {
        Answer::is_stream(self)
    }
}

fn decode<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    serde_json::from_value(value).map_err(|e| {
        Error::new(
            ErrorKind::InternalServer,
            format!("a pre-call hook answered with a body of the wrong shape: {e}"),
        )
    })
}

fn usage_tokens(u: &Usage) -> u64 {
    if u.total_tokens > 0 {
        u.total_tokens
    } else {
        u.prompt_tokens.saturating_add(u.completion_tokens)
    }
}

impl Answer for ChatResponse {
    fn tokens(&self) -> Option<u64> {
        self.usage.as_ref().map(usage_tokens)
    }
    fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }
    fn from_hook(value: Value) -> Result<Self, Error> {
        decode(value)
    }
    fn to_json(&self) -> Option<Value> {
        serde_json::to_value(self).ok()
    }
}

impl Answer for CompletionResponse {
    fn tokens(&self) -> Option<u64> {
        self.usage.as_ref().map(usage_tokens)
    }
    fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }
    fn from_hook(value: Value) -> Result<Self, Error> {
        decode(value)
    }
    fn to_json(&self) -> Option<Value> {
        serde_json::to_value(self).ok()
    }
}

impl Answer for EmbeddingResponse {
    fn tokens(&self) -> Option<u64> {
        Some(self.usage.prompt_tokens)
    }
    fn built_usage(&self) -> Option<Usage> {
        Some(Usage {
            prompt_tokens: self.usage.prompt_tokens,
            completion_tokens: self.usage.completion_tokens,
            total_tokens: self.usage.total_tokens,
            ..Usage::default()
        })
    }
    fn from_hook(value: Value) -> Result<Self, Error> {
        decode(value)
    }
    fn to_json(&self) -> Option<Value> {
        serde_json::to_value(self).ok()
    }
}

impl Answer for TokenCount {
    fn tokens(&self) -> Option<u64> {
        None
    }
    fn from_hook(_: Value) -> Result<Self, Error> {
        Err(Error::new(
            ErrorKind::InternalServer,
            "token counts are not answered by hooks",
        ))
    }
}

/// An Anthropic message's `usage` (input + output tokens), read from its JSON.
fn anthropic_tokens(body: &[u8]) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct U {
        #[serde(default)]
        input_tokens: u64,
        #[serde(default)]
        output_tokens: u64,
    }
    #[derive(serde::Deserialize)]
    struct M {
        usage: Option<U>,
    }
    let m: M = serde_json::from_slice(body).ok()?;
    m.usage
        .map(|u| u.input_tokens.saturating_add(u.output_tokens))
}

impl Answer for MessagesAnswer {
    fn tokens(&self) -> Option<u64> {
        match self {
            Self::Json(body) => anthropic_tokens(body),
            Self::Stream(_) => None,
        }
    }
    fn first_event(self) -> BoxFuture<'static, Result<Self, Error>> {
        match self {
            Self::Json(_) => Box::pin(std::future::ready(Ok(self))),
            Self::Stream(s) => Box::pin(async move { Ok(Self::Stream(first(s).await?)) }),
        }
    }
    fn is_stream(&self) -> bool {
        matches!(self, Self::Stream(_))
    }
    fn track(self, tracker: StreamTracker) -> Self {
        match self {
            Self::Stream(s) => Self::Stream(tracked(s, tracker)),
            json => json,
        }
    }
    fn from_hook(value: Value) -> Result<Self, Error> {
        serde_json::to_vec(&value)
            .map(|b| Self::Json(Bytes::from(b)))
            .map_err(|e| Error::new(ErrorKind::InternalServer, e.to_string()))
    }
    fn to_json(&self) -> Option<Value> {
        match self {
            Self::Json(body) => serde_json::from_slice(body).ok(),
            Self::Stream(_) => None,
        }
    }
}

/// An event of a stream the router tracks: what usage it reports.
pub trait StreamEvent: Send + 'static {
    fn usage(&self) -> Option<&Usage>;

    /// The event as JSON, for a hook that keeps the stream (the cache); `None` when it
    /// cannot be replayed from JSON.
    fn to_json(&self) -> Option<Value> {
        None
    }
}

impl StreamEvent for ChatChunk {
    fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }
    fn to_json(&self) -> Option<Value> {
        serde_json::to_value(self).ok()
    }
}

impl StreamEvent for CompletionResponse {
    fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }
    fn to_json(&self) -> Option<Value> {
        serde_json::to_value(self).ok()
    }
}

impl StreamEvent for Bytes {
    fn usage(&self) -> Option<&Usage> {
        None
    }
}

impl<T: StreamEvent + DeserializeOwned> Answer for EventStream<T> {
    fn tokens(&self) -> Option<u64> {
        None
    }
    fn first_event(self) -> BoxFuture<'static, Result<Self, Error>> {
        Box::pin(first(self))
    }
    fn is_stream(&self) -> bool {
        true
    }
    fn track(self, tracker: StreamTracker) -> Self {
        tracked(self, tracker)
    }
    fn from_hook(value: Value) -> Result<Self, Error> {
        let events: Vec<T> = decode(value)?;
        Ok(EventStream::from_events(events))
    }
}

/// Waits for the first event: an error before it fails the attempt.
async fn first<T: Send + 'static>(mut s: EventStream<T>) -> Result<EventStream<T>, Error> {
    match s.next().await {
        Some(Ok(event)) => {
            s.put_back(event);
            Ok(s)
        }
        Some(Err(e)) => Err(e),
        None => Ok(EventStream::from_events(Vec::new())),
    }
}

/// Ends a stream's accounting once: on its last event, its error, or when it is dropped
/// before either (the client went away).
pub struct StreamTracker {
    pub(super) state: Arc<dyn SharedState>,
    pub(super) hooks: Arc<[Arc<dyn CallHook>]>,
    /// Only kept when a hook will read it.
    pub(super) ctx: Option<CallContext>,
    pub(super) deployment_id: String,
    pub(super) deployment: Option<Arc<RouterDeployment>>,
    pub(super) model_group: String,
    pub(super) request_started: Instant,
    /// When the attempt that opened the stream started (its latency sample is TTFT).
    pub(super) attempt_started: Instant,
    pub(super) first_event_after: Option<Duration>,
    pub(super) usage: Option<Usage>,
    pub(super) events: u64,
    /// The events as JSON while a hook wants them; `None` once one cannot be kept.
    pub(super) collected: Option<Vec<Value>>,
    pub(super) done: bool,
}

impl StreamTracker {
    fn event<T: StreamEvent>(&mut self, event: &T) {
        self.events = self.events.saturating_add(1);
        if self.first_event_after.is_none() {
            self.first_event_after = Some(self.request_started.elapsed());
        }
        if let Some(u) = event.usage() {
            self.usage = Some(u.clone());
        }
        if let Some(kept) = &mut self.collected {
            match event.to_json() {
                Some(v) if kept.len() < MAX_COLLECTED_EVENTS => kept.push(v),
                _ => self.collected = None,
            }
        }
    }

    fn end(&mut self, status: StreamStatus) {
        if self.done {
            return;
        }
        self.done = true;
        let now = now_ms();
        match &status {
            StreamStatus::Completed => self.state.record_success(
                &self.deployment_id,
                Success {
                    tokens: self.usage.as_ref().map_or(0, usage_tokens),
                    latency_secs: self.attempt_started.elapsed().as_secs_f64(),
                },
                now,
            ),
            // A mid-stream failure counts against the deployment; not awaited (the
            // client already has its error event), so its cooldown decision is left
            // to the next failure that happens before the first event.
            StreamStatus::Failed(_) => {
                let state = self.state.clone();
                let id = self.deployment_id.clone();
                if let Ok(rt) = tokio::runtime::Handle::try_current() {
                    rt.spawn(async move {
                        state.record_failure(&id, now).await;
                    });
                } else {
                    state.release(&id);
                }
            }
            StreamStatus::ClientGone => self.state.release(&self.deployment_id),
        }
        let streamed = match status {
            StreamStatus::Completed => self.collected.take(),
            _ => None,
        };
        if let Some(ctx) = &self.ctx {
            let cost = self
                .deployment
                .as_ref()
                .zip(self.usage.as_ref())
                .and_then(|(d, u)| d.deployment.cost(u));
            let end = StreamEnd {
                model_group: self.model_group.clone(),
                deployment_id: self.deployment_id.clone(),
                deployment: self.deployment.clone(),
                status,
                usage: self.usage.clone(),
                cost,
                time_to_first_token: self.first_event_after,
                events: self.events,
                elapsed: self.request_started.elapsed(),
                streamed,
            };
            for hook in self.hooks.iter() {
                hook.on_stream_end(ctx, &end);
            }
        }
    }
}

impl Drop for StreamTracker {
    fn drop(&mut self) {
        self.end(StreamStatus::ClientGone);
    }
}

impl<T: StreamEvent> Observer<T> for StreamTracker {
    fn observe(&mut self, item: Option<&Result<T, Error>>) {
        match item {
            Some(Ok(event)) => self.event(event),
            Some(Err(e)) => self.end(StreamStatus::Failed(e.clone())),
            None => self.end(StreamStatus::Completed),
        }
    }
}

fn tracked<T: StreamEvent>(mut inner: EventStream<T>, tracker: StreamTracker) -> EventStream<T> {
    inner.observe_with(Box::new(tracker));
    inner
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::router::{Entrance, Identity, MemoryState};

    /// Records each stream end: completed or not, and the events kept.
    #[derive(Debug, Default)]
    struct Ends(Mutex<Vec<(bool, Option<usize>)>>);

    impl CallHook for Ends {
        fn collects_stream(&self, _: &CallContext) -> bool {
            true
        }
        fn on_stream_end(&self, _: &CallContext, end: &StreamEnd) {
            let completed = matches!(end.status, StreamStatus::Completed);
            let kept = end.streamed.as_ref().map(Vec::len);
            self.0.lock().unwrap().push((completed, kept));
        }
    }

    fn tracked_stream(
        events: Vec<Result<ChatChunk, Error>>,
        hook: &Arc<Ends>,
    ) -> EventStream<ChatChunk> {
        let hooks: Arc<[Arc<dyn CallHook>]> = vec![hook.clone() as Arc<dyn CallHook>].into();
        let tracker = StreamTracker {
            state: Arc::new(MemoryState::new()),
            hooks,
            ctx: Some(CallContext::new(Entrance::ChatCompletions, Identity::Open)),
            deployment_id: "d".into(),
            deployment: None,
            model_group: "g".into(),
            request_started: Instant::now(),
            attempt_started: Instant::now(),
            first_event_after: None,
            usage: None,
            events: 0,
            collected: Some(Vec::new()),
            done: false,
        };
        tracked(
            EventStream::from_stream(futures::stream::iter(events)),
            tracker,
        )
    }

    #[tokio::test]
    async fn only_a_completed_stream_hands_its_events_to_the_hooks() {
        let chunk = || {
            Ok(serde_json::from_value::<ChatChunk>(serde_json::json!({
                "id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                "choices": [{"index": 0, "delta": {"content": "x"}}]
            }))
            .unwrap())
        };
        let hook = Arc::new(Ends::default());
        let mut done = tracked_stream(vec![chunk(), chunk()], &hook);
        while done.next().await.is_some() {}
        let mut failed = tracked_stream(
            vec![chunk(), Err(Error::new(ErrorKind::InternalServer, "cut"))],
            &hook,
        );
        while failed.next().await.is_some() {}
        let mut abandoned = tracked_stream(vec![chunk(), chunk(), chunk()], &hook);
        let _ = abandoned.next().await;
        drop(abandoned);
        let ends = hook.0.lock().unwrap().clone();
        assert_eq!(ends, vec![(true, Some(2)), (false, None), (false, None)]);
    }
}
