//! Streamed answers as `Stream`s of typed events.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::{Stream, StreamExt};
use llmux_providers::{CompletionStreamDecoder, StreamDecoder};
use llmux_types::{ChatChunk, CompletionResponse, Error};

use crate::Deployment;
use crate::shaping::StreamShape;
use crate::transport::{connection_error, timeout_error, too_large};

/// The events of a streamed answer, in order. An error ends the stream.
///
/// Dropping the stream drops the upstream connection: a client that goes away cancels
/// the provider call.
pub struct EventStream<T> {
    /// An event already taken off `inner` (the router's wait for the first event),
    /// sent before it. Boxed: events can be large, and a stream is moved by value.
    front: Option<Box<T>>,
    inner: Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>>,
    /// Sees every item and the end: the router's accounting. Kept here rather than as a
    /// wrapping stream, so that an event passes one boxed stream, not three.
    observer: Option<Box<dyn Observer<T>>>,
}

/// Watches a stream go by.
pub(crate) trait Observer<T>: Send {
    /// An item as it is handed on; `None` once the stream has ended.
    fn observe(&mut self, item: Option<&Result<T, Error>>);
}

/// A streamed chat answer.
pub type ChatStream = EventStream<ChatChunk>;
/// A streamed text completion.
pub type CompletionStream = EventStream<CompletionResponse>;

impl<T> std::fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventStream")
    }
}

// Sound: nothing is pinned in place. `front` is only ever moved out whole, and `inner`
// is pinned on the heap.
impl<T> Unpin for EventStream<T> {}

impl<T> Stream for EventStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let polled = match this.front.take() {
            Some(event) => Poll::Ready(Some(Ok(*event))),
            None => this.inner.as_mut().poll_next(cx),
        };
        if let (Some(observer), Poll::Ready(item)) = (&mut this.observer, &polled) {
            observer.observe(item.as_ref());
        }
        polled
    }
}

impl<T: Send + 'static> EventStream<T> {
    /// A stream of ready-made events (mocked answers, cache hits).
    pub fn from_events(events: Vec<T>) -> Self {
        Self::from_stream(futures::stream::iter(events.into_iter().map(Ok)))
    }

    /// Any stream of events.
    pub fn from_stream(s: impl Stream<Item = Result<T, Error>> + Send + 'static) -> Self {
        Self {
            front: None,
            inner: Box::pin(s),
            observer: None,
        }
    }

    /// Puts back an event taken off the stream: it is the next one sent.
    pub(crate) fn put_back(&mut self, event: T) {
        debug_assert!(self.front.is_none());
        self.front = Some(Box::new(event));
    }

    /// Watches every item from now on (replacing any earlier observer).
    pub(crate) fn observe_with(&mut self, observer: Box<dyn Observer<T>>) {
        self.observer = Some(observer);
    }

    /// Collects the whole stream, failing on its first error.
    pub async fn collect_all(self) -> Result<Vec<T>, Error> {
        let mut out = Vec::new();
        let mut s = self;
        while let Some(item) = s.next().await {
            out.push(item?);
        }
        Ok(out)
    }

    /// Decodes an upstream body with `decoder`; more than `max_event_bytes` read
    /// without a complete event ends the stream with an error.
    pub(crate) fn from_upstream<D: Decode<Item = T>>(
        dep: Deployment,
        response: reqwest::Response,
        decoder: D,
        idle_timeout: Duration,
        max_event_bytes: usize,
    ) -> Self {
        let state = State {
            dep,
            body: Box::pin(response.bytes_stream()),
            decoder,
            pending: VecDeque::new(),
            finished: false,
            idle_timeout,
            since_event: 0,
            max_event_bytes,
        };
        Self::from_stream(futures::stream::unfold(state, next_event))
    }
}

/// A stateful decoder of one kind of stream, plus the shaping applied to what it yields.
pub(crate) trait Decode: Send + 'static {
    type Item: Send + 'static;
    fn feed(&mut self, bytes: &[u8]) -> Result<Vec<Self::Item>, Error>;
    fn finish(&mut self) -> Result<Vec<Self::Item>, Error>;
    /// Shapes one event; `None` drops it.
    fn shape(&self, dep: &Deployment, item: Self::Item) -> Option<Self::Item>;
    /// An error that ends the stream once the items already returned are sent (a
    /// relay hands on the good part of a piece before its fault).
    fn take_error(&mut self) -> Option<Error> {
        None
    }
}

/// Chat streams: the provider's decoder, then LiteLLM's shaping.
pub(crate) struct ChatDecode {
    pub decoder: StreamDecoder,
    pub shape: StreamShape,
}

impl Decode for ChatDecode {
    type Item = ChatChunk;
    fn feed(&mut self, bytes: &[u8]) -> Result<Vec<ChatChunk>, Error> {
        self.decoder.feed(bytes)
    }
    fn finish(&mut self) -> Result<Vec<ChatChunk>, Error> {
        self.decoder.finish()
    }
    fn shape(&self, dep: &Deployment, item: ChatChunk) -> Option<ChatChunk> {
        self.shape.apply(dep, item)
    }
}

impl Decode for CompletionStreamDecoder {
    type Item = CompletionResponse;
    fn feed(&mut self, bytes: &[u8]) -> Result<Vec<CompletionResponse>, Error> {
        CompletionStreamDecoder::feed(self, bytes)
    }
    fn finish(&mut self) -> Result<Vec<CompletionResponse>, Error> {
        CompletionStreamDecoder::finish(self)
    }
    fn shape(&self, _: &Deployment, item: CompletionResponse) -> Option<CompletionResponse> {
        Some(item)
    }
}

type Body = Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

struct State<D: Decode> {
    dep: Deployment,
    body: Body,
    decoder: D,
    pending: VecDeque<D::Item>,
    finished: bool,
    idle_timeout: Duration,
    /// Bytes read since the decoder last completed an event.
    since_event: usize,
    max_event_bytes: usize,
}

async fn next_event<D: Decode>(mut s: State<D>) -> Option<(Result<D::Item, Error>, State<D>)> {
    loop {
        if let Some(item) = s.pending.pop_front() {
            return Some((Ok(item), s));
        }
        if let Some(e) = s.decoder.take_error() {
            s.finished = true;
            return Some((Err(e.with_model(s.dep.model.clone())), s));
        }
        if s.finished {
            return None;
        }
        let decoded = match tokio::time::timeout(s.idle_timeout, s.body.next()).await {
            Err(_) => Err(timeout_error(&s.dep, s.idle_timeout)),
            Ok(Some(Ok(bytes))) => {
                s.since_event = s.since_event.saturating_add(bytes.len());
                match s.decoder.feed(&bytes) {
                    Ok(items) if items.is_empty() && s.since_event > s.max_event_bytes => {
                        Err(too_large(&s.dep, "stream event", s.max_event_bytes))
                    }
                    Ok(items) => {
                        if !items.is_empty() {
                            s.since_event = 0;
                        }
                        Ok(items)
                    }
                    Err(e) => Err(e),
                }
            }
            Ok(Some(Err(e))) => Err(connection_error(&s.dep, &e)),
            Ok(None) => {
                s.finished = true;
                s.decoder.finish()
            }
        };
        match decoded {
            Ok(items) => {
                for item in items {
                    if let Some(item) = s.decoder.shape(&s.dep, item) {
                        s.pending.push_back(item);
                    }
                }
            }
            Err(e) => {
                s.finished = true;
                s.pending.clear();
                return Some((Err(e.with_model(s.dep.model.clone())), s));
            }
        }
    }
}
