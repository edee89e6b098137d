//! `POST /v1/messages` and `POST /v1/messages/count_tokens`: the Anthropic-format
//! entrance (LiteLLM's `proxy/anthropic_endpoints/endpoints.py`).
//!
//! ```text
//! Call::start (master key from x-api-key or Authorization; its 401 keeps LiteLLM's
//!   OpenAI shape: LiteLLM checks the key in a dependency, before the route's handler)
//! ▶ body → JSON object → `model` → a deployment of that group
//! ▶ LiteLLM's own keys out (num_retries, mock_response, …; `metadata` stays: Anthropic's)
//! ▶ Anthropic deployment (and no mock_response):
//!     native pass-through: llmux::Client::anthropic_messages, the answer's bytes relayed
//!     with `model` restamped to the group name
//!   any other provider:
//!     messages_api::to_chat_request → Client::chat | chat_stream
//!     → messages_api::from_chat_response | MessagesStreamEncoder (SSE events)
//! ▶ errors after the key check: Anthropic's `{"type": "error", "error": {type, message}}`
//!   with the status and headers every llmux error gets; mid-stream, an `event: error`
//!   frame ends the stream
//! ```

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use futures::future::BoxFuture;
use llmux::router::{Answer, Entrance, RequestView, StreamTracker, with_defaults};
use llmux::{
    ChatResponse, ChatStream, Error, EventStream, JsonMap, MessagesAnswer, MessagesPassthrough,
    Provider, Reply, RequestKeys,
};
use llmux_providers::anthropic::types::AnthropicRequest;
use llmux_providers::messages_api::{
    self, ChatTranslation, MessagesStreamEncoder, ToolNames, error_event, write_sse_event,
};
use serde_json::{Value, json};

use super::{Call, json_response};
use crate::error::{ApiError, insert};
use crate::state::AppState;

/// `POST /v1/messages`.
pub(crate) async fn messages(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let mut call = match Call::start(&st, &headers, Entrance::Messages) {
        Ok(call) => call,
        Err(e) => return e.into_response(),
    };
    handle(&st, &mut call, &headers, body)
        .await
        .unwrap_or_else(|e| anthropic_error(e, &headers))
}

/// `POST /v1/messages/count_tokens`: `{"input_tokens": N, "litellm_count_source": …}`.
pub(crate) async fn count_tokens(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let mut call = match Call::start_checked(&st, &headers, Entrance::CountTokens).await {
        Ok((call, _)) => call,
        Err(e) => return e.into_response(),
    };
    count(&st, &mut call, body)
        .await
        .unwrap_or_else(|e| anthropic_error(e, &headers))
}

/// LiteLLM's keys out of an Anthropic body; `metadata` stays, it is Anthropic's
/// (`user_id`), not LiteLLM's logging metadata.
fn take_keys(call: &Call, body: &mut JsonMap) -> Result<RequestKeys, ApiError> {
    let metadata = body.get("metadata").cloned();
    let mut keys = RequestKeys::take_from(body).map_err(|e| call.fail(e))?;
    keys.overrides.metadata = None;
    if let Some(metadata) = metadata {
        body.insert("metadata".into(), metadata);
    }
    Ok(keys)
}

/// What one attempt produced: the upstream's Anthropic answer, or a chat answer to
/// translate.
enum MessagesOut {
    Native(MessagesAnswer),
    Chat(Box<ChatResponse>, ToolNames),
    Stream(ChatStream, ToolNames),
}

impl Answer for MessagesOut {
    fn tokens(&self) -> Option<u64> {
        match self {
            Self::Native(a) => a.tokens(),
            Self::Chat(r, _) => r.tokens(),
            Self::Stream(..) => None,
        }
    }
    fn usage(&self) -> Option<&llmux::Usage> {
        match self {
            Self::Chat(r, _) => r.usage.as_ref(),
            Self::Native(_) | Self::Stream(..) => None,
        }
    }
    fn first_event(self) -> BoxFuture<'static, Result<Self, Error>> {
        match self {
            Self::Native(a) => Box::pin(async move { Ok(Self::Native(a.first_event().await?)) }),
            Self::Stream(s, names) => {
                Box::pin(async move { Ok(Self::Stream(s.first_event().await?, names)) })
            }
            chat => Box::pin(std::future::ready(Ok(chat))),
        }
    }
    fn is_stream(&self) -> bool {
        match self {
            Self::Native(a) => a.is_stream(),
            Self::Chat(..) => false,
            Self::Stream(..) => true,
        }
    }
    fn track(self, tracker: StreamTracker) -> Self {
        match self {
            Self::Native(a) => Self::Native(a.track(tracker)),
            Self::Stream(s, names) => Self::Stream(s.track(tracker), names),
            chat => chat,
        }
    }
    fn from_hook(value: Value) -> Result<Self, Error> {
        MessagesAnswer::from_hook(value).map(Self::Native)
    }
}

fn reply_of<T, U>(r: Reply<T>, f: impl FnOnce(T) -> U) -> Reply<U> {
    Reply {
        value: f(r.value),
        provider: r.provider,
        attempts: r.attempts,
        headers: r.headers,
        upstream_time: r.upstream_time,
    }
}

async fn handle(
    st: &AppState,
    call: &mut Call,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let bytes = call.body(body)?;
    let mut body: JsonMap = call.parse(&bytes)?;
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    call.ctx.keys = take_keys(call, &mut body)?;
    if !body.get("max_tokens").is_some_and(Value::is_u64) {
        return Err(call.fail(
            Error::bad_request(
                "AnthropicException - max_tokens is required for Anthropic /v1/messages API",
            )
            .with_param("max_tokens"),
        ));
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (version, beta) = (header("anthropic-version"), header("anthropic-beta"));
    let client = st.router.client();
    let o = &call.ctx.keys.overrides;
    let body = &body;
    let routed = st
        .router
        .route(&call.ctx, &model, RequestView::Messages(body), |d| {
            let (version, beta) = (version.clone(), beta.clone());
            async move {
                let dep = &d.deployment;
                let mocked = o.mock_response.is_some() || dep.mock_response.is_some();
                if dep.provider == Provider::Anthropic && !mocked {
                    let req = native_request(body, version, beta, &d.model_name);
                    let reply = client.anthropic_messages(dep, req, o).await?;
                    return Ok(reply_of(reply, MessagesOut::Native));
                }
                let req: AnthropicRequest = serde_json::from_value(Value::Object(body.clone()))
                    .map_err(|e| Error::bad_request(format!("Invalid request body: {e}")))?;
                let ChatTranslation {
                    request,
                    tool_names,
                } = messages_api::to_chat_request(req, &dep.model);
                let request = with_defaults(&request, &d.default_params)?;
                if request.is_stream() {
                    let reply = client.chat_stream(dep, request, o).await?;
                    Ok(reply_of(reply, |s| MessagesOut::Stream(s, tool_names)))
                } else {
                    let reply = client.chat(dep, request, o).await?;
                    Ok(reply_of(reply, |r| {
                        MessagesOut::Chat(Box::new(r), tool_names)
                    }))
                }
            }
        })
        .await
        .map_err(|f| call.failed(f))?;
    let (value, meta) = routed.into_parts();
    let group = meta.model_group.clone();
    let mut resp = match value {
        MessagesOut::Native(MessagesAnswer::Json(body)) => Response::builder()
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap_or_default(),
        MessagesOut::Native(MessagesAnswer::Stream(stream)) => sse(relayed_frames(stream)),
        MessagesOut::Chat(reply, tool_names) => {
            let mut message =
                messages_api::from_chat_response(&reply, &tool_names).map_err(|e| call.fail(e))?;
            message.model = group;
            json_response(&message).map_err(|e| call.fail(e))?
        }
        MessagesOut::Stream(stream, tool_names) => {
            let message_id = format!("msg_{}", uuid::Uuid::new_v4());
            let encoder = MessagesStreamEncoder::new(message_id, group, tool_names);
            sse(encoded_frames(encoder, stream))
        }
    };
    call.decorate(&mut resp, &meta);
    Ok(resp)
}

/// The client's body for an Anthropic deployment. Anthropic takes only `user_id` in
/// `metadata` (LiteLLM's `validate_anthropic_api_metadata` drops the rest).
fn native_request(
    body: &JsonMap,
    anthropic_version: Option<String>,
    anthropic_beta: Option<String>,
    group: &str,
) -> MessagesPassthrough {
    let mut body = body.clone();
    if let Some(Value::Object(metadata)) = body.get_mut("metadata") {
        metadata.retain(|k, _| k == "user_id");
    }
    MessagesPassthrough {
        body,
        anthropic_version,
        anthropic_beta,
        response_model: Some(group.to_owned()),
    }
}

async fn count(
    st: &AppState,
    call: &mut Call,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let bytes = call.body(body)?;
    let mut body: JsonMap = call.parse(&bytes)?;
    // LiteLLM's own checks, in its order and words.
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| call.fail(Error::bad_request("model parameter is required")))?;
    if body
        .get("messages")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        return Err(call.fail(Error::bad_request("messages parameter is required")));
    }
    call.ctx.keys = take_keys(call, &mut body)?;
    let client = st.router.client();
    let o = &call.ctx.keys.overrides;
    let body = &body;
    let routed = st
        .router
        .route(
            &call.ctx,
            &model,
            RequestView::Messages(body),
            |d| async move {
                let started = std::time::Instant::now();
                let counted = client
                    .count_message_tokens(&d.deployment, body.clone(), o)
                    .await?;
                Ok(Reply {
                    value: counted,
                    provider: d.deployment.provider,
                    attempts: 1,
                    headers: Vec::new(),
                    upstream_time: started.elapsed(),
                })
            },
        )
        .await
        .map_err(|f| call.failed(f))?;
    let mut resp = json_response(&json!({
        "input_tokens": routed.value.input_tokens,
        "litellm_count_source": routed.value.source,
    }))
    .map_err(|e| call.fail(e))?;
    insert(resp.headers_mut(), "x-litellm-call-id", &call.ctx.call_id);
    Ok(resp)
}

/// An SSE response over `frames`, pulled as the client reads.
pub(super) fn sse(frames: impl futures::Stream<Item = Bytes> + Send + 'static) -> Response {
    let frames = frames
        .filter(|b| std::future::ready(!b.is_empty()))
        .map(Ok::<_, Infallible>);
    Response::builder()
        .header(CONTENT_TYPE, "text/event-stream")
        .header("cache-control", "no-cache")
        .header("x-accel-buffering", "no")
        .body(Body::from_stream(frames))
        .unwrap_or_default()
}

/// The upstream's SSE bytes as they come; a failure ends the stream with an
/// `event: error` frame.
fn relayed_frames(stream: EventStream<Bytes>) -> impl futures::Stream<Item = Bytes> + Send {
    stream.map(|piece| match piece {
        Ok(bytes) => bytes,
        Err(e) => error_frame(&e),
    })
}

/// Chat chunks as Anthropic events: `message_start` first, each chunk's events as it
/// arrives, the closing events when the upstream ends, or an `event: error` frame (and
/// nothing after it) when it fails.
fn encoded_frames(
    mut encoder: MessagesStreamEncoder,
    stream: ChatStream,
) -> impl futures::Stream<Item = Bytes> + Send {
    let start = frames(&[encoder.start()]);
    let mut failed = false;
    let body = stream
        .map(Some)
        .chain(futures::stream::once(std::future::ready(None)))
        .map(move |item| match item {
            Some(Ok(chunk)) => frames(&encoder.push(&chunk)),
            Some(Err(e)) => {
                failed = true;
                error_frame(&e)
            }
            None if failed => Bytes::new(),
            None => frames(&encoder.finish()),
        });
    futures::stream::once(std::future::ready(start)).chain(body)
}

fn frames(events: &[llmux_providers::anthropic::types::AnthropicStreamEvent]) -> Bytes {
    let mut buf = Vec::with_capacity(256 * events.len());
    for event in events {
        if let Err(e) = write_sse_event(event, &mut buf) {
            buf.extend_from_slice(&error_frame(&e));
            break;
        }
    }
    Bytes::from(buf)
}

fn error_frame(e: &Error) -> Bytes {
    let mut buf = Vec::with_capacity(256);
    if write_sse_event(&error_event(e), &mut buf).is_err() {
        buf = b"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"cannot encode error\"}}\n\n".to_vec();
    }
    Bytes::from(buf)
}

/// An error in Anthropic's shape, with the status and headers every llmux error answer
/// carries (call id, relayed upstream headers), and `request_id` when the client sent
/// `x-request-id` (as LiteLLM's `transform_to_anthropic_error`).
fn anthropic_error(err: ApiError, headers: &HeaderMap) -> Response {
    let mut body = err.error.anthropic_body();
    if let Some(id) = headers.get("x-request-id").and_then(|v| v.to_str().ok()) {
        body["request_id"] = Value::from(id);
    }
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    // The OpenAI-shaped answer has the right status and headers; only the body differs.
    let mut resp = err.into_response();
    resp.headers_mut().remove(CONTENT_LENGTH);
    *resp.body_mut() = Body::from(bytes);
    resp
}
