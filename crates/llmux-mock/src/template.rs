//! Precomputed response bytes with the request's model spliced in, and response helpers.

use std::io;

use axum::body::Body;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use bytes::{BufMut, Bytes, BytesMut};
use futures::StreamExt;
use serde_json::Value;

use crate::control::{Controls, StreamFault};

/// Builders put this where the request's model goes.
pub(crate) const MODEL: &str = "__llmux_mock_model__";
const QUOTED_MODEL: &str = "\"__llmux_mock_model__\"";

/// The request's model, JSON-encoded once.
pub(crate) struct Model(String);

impl Model {
    pub(crate) fn new(name: &str) -> Self {
        Self(Value::String(name.to_owned()).to_string())
    }
}

/// Serialized bytes, split where the model goes.
#[derive(Clone, Debug)]
pub(crate) struct Template {
    parts: Vec<Bytes>,
}

impl Template {
    /// A JSON body.
    pub(crate) fn json(value: &Value) -> Self {
        Self::split(&value.to_string())
    }

    /// One SSE event: optional `event:` line, then `data: <json>`.
    pub(crate) fn sse(event: Option<&str>, value: &Value) -> Self {
        let data = value.to_string();
        let text = match event {
            Some(event) => format!("event: {event}\ndata: {data}\n\n"),
            None => format!("data: {data}\n\n"),
        };
        Self::split(&text)
    }

    /// One SSE event with CRLF line ends, as Gemini sends them: `data: <json>\r\n\r\n`.
    pub(crate) fn sse_crlf(value: &Value) -> Self {
        Self::split(&format!("data: {value}\r\n\r\n"))
    }

    /// Fixed bytes.
    pub(crate) fn raw(text: &'static str) -> Self {
        Self {
            parts: vec![Bytes::from_static(text.as_bytes())],
        }
    }

    fn split(text: &str) -> Self {
        let parts = text
            .split(QUOTED_MODEL)
            .map(|part| Bytes::copy_from_slice(part.as_bytes()))
            .collect();
        Self { parts }
    }

    /// The bytes with `model` filled in (no copy if the model does not occur).
    pub(crate) fn render(&self, model: &Model) -> Bytes {
        if let [only] = self.parts.as_slice() {
            return only.clone();
        }
        let len = self.parts.iter().map(Bytes::len).sum::<usize>()
            + model.0.len() * (self.parts.len() - 1);
        let mut out = BytesMut::with_capacity(len);
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                out.put_slice(model.0.as_bytes());
            }
            out.put_slice(part);
        }
        out.freeze()
    }
}

/// A stream as events: `head`, then `body` (or `tok` repeated for `/chunks/{n}`), then `tail`.
#[derive(Clone, Debug, Default)]
pub(crate) struct StreamTemplate {
    pub head: Vec<Template>,
    pub body: Vec<Template>,
    /// One `"tok "` content step (one event per choice); empty if `/chunks` does not apply.
    pub tok: Vec<Template>,
    pub tail: Vec<Template>,
}

impl StreamTemplate {
    /// Render the events and send them as `text/event-stream`.
    pub(crate) fn respond(&self, model: &Model, controls: &Controls<'_>) -> Response {
        let render = |templates: &[Template]| templates.iter().map(|t| t.render(model)).collect();
        let mut events: Vec<Bytes> = render(&self.head);
        let content: Vec<Bytes> = match controls.chunks {
            Some(n) if !self.tok.is_empty() => {
                let step: Vec<Bytes> = render(&self.tok);
                let mut all = Vec::with_capacity(step.len() * n);
                for _ in 0..n {
                    all.extend(step.iter().cloned());
                }
                all
            }
            _ => render(&self.body),
        };
        if controls.break_stream {
            events.extend(content.into_iter().take(1));
            return sse_response(events, true);
        }
        let mut content = content.into_iter();
        // Faults strike after the first content event: the client has its 200 by then.
        events.extend(content.next());
        let mut frames: Vec<Frame> = events.into_iter().map(Frame::Event).collect();
        if let Some(kib) = controls.huge_kib {
            let mut line = b"data: {\"x\": \"".to_vec();
            line.resize(line.len() + kib * 1024, b'x');
            frames.push(Frame::Event(Bytes::from(line)));
            return sse_frames(frames, controls.pace_ms);
        }
        match controls.stream_fault {
            Some(StreamFault::Cut) => return sse_frames(frames, controls.pace_ms),
            Some(StreamFault::BadEvent) => frames.push(Frame::Event(Bytes::from_static(
                b"data: {\"choices\": [{ not json\n\n",
            ))),
            Some(StreamFault::Stall(ms)) => frames.push(Frame::Pause(ms)),
            None => {}
        }
        frames.extend(content.map(Frame::Event));
        frames.extend(self.tail.iter().map(|t| Frame::Event(t.render(model))));
        sse_frames(frames, controls.pace_ms)
    }
}

/// A stream built whole (`events`, framed), with the stream controls applied after the
/// event at `first_content`: `/break_stream` aborts there, `/cut_stream` ends there
/// cleanly, `/bad_event` and `/stall_stream` strike there, `/pace` paces every event.
pub(crate) fn faulted_sse(
    mut events: Vec<Bytes>,
    first_content: usize,
    controls: &Controls<'_>,
) -> Response {
    let split = first_content.saturating_add(1).min(events.len());
    let tail = events.split_off(split);
    if controls.break_stream {
        return sse_response(events, true);
    }
    let mut frames: Vec<Frame> = events.into_iter().map(Frame::Event).collect();
    match controls.stream_fault {
        Some(StreamFault::Cut) => return sse_frames(frames, controls.pace_ms),
        Some(StreamFault::BadEvent) => frames.push(Frame::Event(Bytes::from_static(
            b"data: {\"type\": { not json\n\n",
        ))),
        Some(StreamFault::Stall(ms)) => frames.push(Frame::Pause(ms)),
        None => {}
    }
    frames.extend(tail.into_iter().map(Frame::Event));
    sse_frames(frames, controls.pace_ms)
}

/// A piece of a timed stream.
enum Frame {
    Event(Bytes),
    /// Sleep this many ms.
    Pause(u64),
}

/// An SSE response from `frames`, sleeping `pace_ms` before each event. With neither
/// pauses nor pace, the same as [`sse_response`].
fn sse_frames(frames: Vec<Frame>, pace_ms: Option<u64>) -> Response {
    if pace_ms.is_none() && !frames.iter().any(|f| matches!(f, Frame::Pause(_))) {
        let events = frames
            .into_iter()
            .filter_map(|f| match f {
                Frame::Event(b) => Some(b),
                Frame::Pause(_) => None,
            })
            .collect();
        return sse_response(events, false);
    }
    let pace = std::time::Duration::from_millis(pace_ms.unwrap_or(0));
    let body = futures::stream::iter(frames).filter_map(move |frame| async move {
        match frame {
            Frame::Event(bytes) => {
                if !pace.is_zero() {
                    tokio::time::sleep(pace).await;
                }
                Some(Ok::<_, io::Error>(bytes))
            }
            Frame::Pause(ms) => {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                None
            }
        }
    });
    sse_with_body(Body::from_stream(body))
}

/// A response with a fixed body and content type.
pub(crate) fn response(status: StatusCode, content_type: &'static str, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A 200 JSON response.
pub(crate) fn json_ok(body: Bytes) -> Response {
    response(StatusCode::OK, "application/json", body)
}

/// An SSE response; `broken` aborts the connection after the events.
pub(crate) fn sse_response(events: Vec<Bytes>, broken: bool) -> Response {
    let events = futures::stream::iter(events.into_iter().map(Ok::<_, io::Error>));
    let body = if broken {
        // Yield once first so the events are flushed before the connection is aborted.
        let abort = futures::stream::once(async {
            tokio::task::yield_now().await;
            Err(io::Error::other("llmux-mock: stream broken on purpose"))
        });
        Body::from_stream(events.chain(abort))
    } else {
        Body::from_stream(events)
    };
    sse_with_body(body)
}

fn sse_with_body(body: Body) -> Response {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_model() {
        let t = Template::json(&json!({"model": MODEL, "x": [MODEL]}));
        assert_eq!(
            t.render(&Model::new("a\"b")),
            Bytes::from_static(br#"{"model":"a\"b","x":["a\"b"]}"#)
        );
        let fixed = Template::json(&json!({"a": 1}));
        assert_eq!(
            fixed.render(&Model::new("m")),
            Bytes::from_static(br#"{"a":1}"#)
        );
    }
}
