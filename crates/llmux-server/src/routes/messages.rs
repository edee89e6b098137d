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
use llmux::{
    ChatStream, Error, EventStream, JsonMap, MessagesAnswer, MessagesPassthrough, Provider,
    RequestOverrides,
};
use llmux_providers::anthropic::types::AnthropicRequest;
use llmux_providers::messages_api::{
    self, ChatTranslation, MessagesStreamEncoder, error_event, write_sse_event,
};
use serde_json::{Value, json};

use super::{Call, json_response};
use crate::error::{ApiError, insert};
use crate::state::{AppState, ModelDeployment};

/// `POST /v1/messages`.
pub(crate) async fn messages(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let call = match Call::start(&st, &headers) {
        Ok(call) => call,
        Err(e) => return e.into_response(),
    };
    handle(&st, &call, &headers, body)
        .await
        .unwrap_or_else(|e| anthropic_error(e, &headers))
}

/// `POST /v1/messages/count_tokens`: `{"input_tokens": N, "litellm_count_source": …}`.
pub(crate) async fn count_tokens(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let call = match Call::start(&st, &headers) {
        Ok(call) => call,
        Err(e) => return e.into_response(),
    };
    count(&st, &call, body)
        .await
        .unwrap_or_else(|e| anthropic_error(e, &headers))
}

async fn handle(
    st: &AppState,
    call: &Call,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let bytes = call.body(body)?;
    let mut body: JsonMap = call.parse(&bytes)?;
    let md = call.deployment(st, body.get("model").and_then(Value::as_str).unwrap_or(""))?;
    // `metadata` is Anthropic's here (`user_id`), not LiteLLM's logging metadata.
    let metadata = body.get("metadata").cloned();
    let mut overrides = RequestOverrides::take_from(&mut body).map_err(|e| call.fail(e))?;
    overrides.metadata = None;
    if let Some(metadata) = metadata {
        body.insert("metadata".into(), metadata);
    }
    if !body.get("max_tokens").is_some_and(Value::is_u64) {
        return Err(call.fail(
            Error::bad_request(
                "AnthropicException - max_tokens is required for Anthropic /v1/messages API",
            )
            .with_param("max_tokens"),
        ));
    }
    let dep = &md.deployment;
    let mocked = overrides.mock_response.is_some() || dep.mock_response.is_some();
    if dep.provider == Provider::Anthropic && !mocked {
        native(st, call, &md, body, headers, &overrides).await
    } else {
        translated(st, call, &md, body, &overrides).await
    }
}

/// The client's body to the Anthropic deployment, the answer back as it came.
async fn native(
    st: &AppState,
    call: &Call,
    md: &ModelDeployment,
    mut body: JsonMap,
    headers: &HeaderMap,
    overrides: &RequestOverrides,
) -> Result<Response, ApiError> {
    // Anthropic takes only `user_id` in `metadata` (LiteLLM's
    // `validate_anthropic_api_metadata` drops the rest).
    if let Some(Value::Object(metadata)) = body.get_mut("metadata") {
        metadata.retain(|k, _| k == "user_id");
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let req = MessagesPassthrough {
        body,
        anthropic_version: header("anthropic-version"),
        anthropic_beta: header("anthropic-beta"),
        response_model: Some(md.model_name.clone()),
    };
    let reply = st
        .client
        .anthropic_messages(&md.deployment, req, overrides)
        .await
        .map_err(|e| call.fail(e))?;
    let mut resp = match reply.value {
        MessagesAnswer::Json(body) => Response::builder()
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap_or_default(),
        MessagesAnswer::Stream(stream) => sse(relayed_frames(stream)),
    };
    call.decorate(
        &mut resp,
        md,
        reply.attempts,
        reply.upstream_time,
        &reply.headers,
    );
    Ok(resp)
}

/// The request translated to the canonical chat request, the answer translated back.
async fn translated(
    st: &AppState,
    call: &Call,
    md: &ModelDeployment,
    body: JsonMap,
    overrides: &RequestOverrides,
) -> Result<Response, ApiError> {
    let req: AnthropicRequest = serde_json::from_value(Value::Object(body))
        .map_err(|e| call.fail(Error::bad_request(format!("Invalid request body: {e}"))))?;
    let ChatTranslation {
        request,
        tool_names,
    } = messages_api::to_chat_request(req, &md.deployment.model);
    let request = super::with_defaults(request, &md.default_params).map_err(|e| call.fail(e))?;
    let dep = &md.deployment;
    if request.is_stream() {
        let reply = st
            .client
            .chat_stream(dep, request, overrides)
            .await
            .map_err(|e| call.fail(e))?;
        let message_id = format!("msg_{}", uuid::Uuid::new_v4());
        let encoder = MessagesStreamEncoder::new(message_id, md.model_name.clone(), tool_names);
        let mut resp = sse(encoded_frames(encoder, reply.value));
        call.decorate(
            &mut resp,
            md,
            reply.attempts,
            reply.upstream_time,
            &reply.headers,
        );
        return Ok(resp);
    }
    let reply = st
        .client
        .chat(dep, request, overrides)
        .await
        .map_err(|e| call.fail(e))?;
    let mut message =
        messages_api::from_chat_response(&reply.value, &tool_names).map_err(|e| call.fail(e))?;
    message.model.clone_from(&md.model_name);
    let mut resp = json_response(&message).map_err(|e| call.fail(e))?;
    call.decorate(
        &mut resp,
        md,
        reply.attempts,
        reply.upstream_time,
        &reply.headers,
    );
    Ok(resp)
}

async fn count(
    st: &AppState,
    call: &Call,
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
    let md = call.deployment(st, &model)?;
    let metadata = body.remove("metadata");
    let overrides = RequestOverrides::take_from(&mut body).map_err(|e| call.fail(e))?;
    if let Some(metadata) = metadata {
        body.insert("metadata".into(), metadata);
    }
    let counted = st
        .client
        .count_message_tokens(&md.deployment, body, &overrides)
        .await
        .map_err(|e| call.fail(e))?;
    let mut resp = json_response(&json!({
        "input_tokens": counted.input_tokens,
        "litellm_count_source": counted.source,
    }))
    .map_err(|e| call.fail(e))?;
    insert(resp.headers_mut(), "x-litellm-call-id", &call.call_id);
    Ok(resp)
}

/// An SSE response over `frames`, pulled as the client reads.
fn sse(frames: impl futures::Stream<Item = Bytes> + Send + 'static) -> Response {
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
