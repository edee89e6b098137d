//! A streamed chat answer as a `Stream` of chunks.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::{Stream, StreamExt};
use llmux_providers::StreamDecoder;
use llmux_types::{ChatChunk, Error};

use crate::Deployment;
use crate::shaping::StreamShape;
use crate::transport::{connection_error, timeout_error};

/// The chunks of a streamed chat answer, in order. An error ends the stream.
///
/// Dropping the stream drops the upstream connection: a client that goes away cancels
/// the provider call.
pub struct ChatStream {
    inner: Pin<Box<dyn Stream<Item = Result<ChatChunk, Error>> + Send>>,
}

impl std::fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChatStream")
    }
}

impl Stream for ChatStream {
    type Item = Result<ChatChunk, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl ChatStream {
    /// A stream of ready-made chunks (mocked answers, cache hits).
    pub fn from_chunks(chunks: Vec<ChatChunk>) -> Self {
        Self {
            inner: Box::pin(futures::stream::iter(chunks.into_iter().map(Ok))),
        }
    }

    /// Collects the stream.
    pub async fn collect_all(self) -> Result<Vec<ChatChunk>, Error> {
        let mut out = Vec::new();
        let mut s = self;
        while let Some(item) = s.next().await {
            out.push(item?);
        }
        Ok(out)
    }

    /// Decodes an upstream body.
    pub(crate) fn from_upstream(
        dep: Deployment,
        response: reqwest::Response,
        decoder: StreamDecoder,
        shape: StreamShape,
        idle_timeout: Duration,
    ) -> Self {
        let state = State {
            dep,
            body: Box::pin(response.bytes_stream()),
            decoder,
            shape,
            pending: VecDeque::new(),
            finished: false,
            idle_timeout,
        };
        Self {
            inner: Box::pin(futures::stream::unfold(state, next_chunk)),
        }
    }
}

type Body = Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

struct State {
    dep: Deployment,
    body: Body,
    decoder: StreamDecoder,
    shape: StreamShape,
    pending: VecDeque<ChatChunk>,
    finished: bool,
    idle_timeout: Duration,
}

async fn next_chunk(mut s: State) -> Option<(Result<ChatChunk, Error>, State)> {
    loop {
        if let Some(chunk) = s.pending.pop_front() {
            return Some((Ok(chunk), s));
        }
        if s.finished {
            return None;
        }
        let decoded = match tokio::time::timeout(s.idle_timeout, s.body.next()).await {
            Err(_) => Err(timeout_error(&s.dep, s.idle_timeout)),
            Ok(Some(Ok(bytes))) => s.decoder.feed(&bytes),
            Ok(Some(Err(e))) => Err(connection_error(&s.dep, &e)),
            Ok(None) => {
                s.finished = true;
                s.decoder.finish()
            }
        };
        match decoded {
            Ok(chunks) => {
                let dep = &s.dep;
                let shape = s.shape;
                s.pending
                    .extend(chunks.into_iter().filter_map(|c| shape.apply(dep, c)));
            }
            Err(e) => {
                s.finished = true;
                s.pending.clear();
                return Some((Err(e.with_model(s.dep.model.clone())), s));
            }
        }
    }
}
