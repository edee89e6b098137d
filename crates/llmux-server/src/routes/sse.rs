//! Relaying a stream to the client as server-sent events.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::{Body, Bytes};
use axum::response::Response;
use futures::StreamExt;
use llmux::EventStream;
use serde::Serialize;

/// Relays `stream` as SSE: `data: {event}` frames, then `data: [DONE]`. An error becomes
/// a last `data: {"error": {...}}` frame with no `[DONE]` after it, as LiteLLM's
/// `async_data_generator` ends a failed stream, so clients cannot take it for complete.
///
/// Frames are produced when hyper polls the body, i.e. when the client can take more;
/// a client that disconnects drops the body and with it the upstream stream.
pub(crate) fn sse_response<T>(
    stream: EventStream<T>,
    mut rename: impl FnMut(&mut T) + Send + 'static,
) -> Response
where
    T: Serialize + Send + 'static,
{
    let failed = Arc::new(AtomicBool::new(false));
    let failed_in_map = failed.clone();
    let frames = stream
        .map(move |item| {
            let mut buf = Vec::with_capacity(512);
            buf.extend_from_slice(b"data: ");
            let ok = match item {
                Ok(mut event) => {
                    rename(&mut event);
                    serde_json::to_writer(&mut buf, &event).is_ok()
                }
                Err(e) => {
                    failed_in_map.store(true, Ordering::Relaxed);
                    serde_json::to_writer(&mut buf, &e.openai_body()).is_ok()
                }
            };
            if !ok {
                buf.truncate(6);
                buf.extend_from_slice(
                    br#"{"error":{"message":"cannot encode event","type":"internal_server_error","param":null,"code":"500"}}"#,
                );
            }
            buf.extend_from_slice(b"\n\n");
            Ok::<_, Infallible>(Bytes::from(buf))
        })
        .chain(futures::stream::once(async move {
            let done: &'static [u8] = if failed.load(Ordering::Relaxed) { b"" } else { b"data: [DONE]\n\n" };
            Ok(Bytes::from_static(done))
        }));
    Response::builder()
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .header("x-accel-buffering", "no")
        .body(Body::from_stream(frames))
        .unwrap_or_default()
}
