//! `POST /v1/chat/completions` (and `/chat/completions`, Azure's deployment route).

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use llmux::{ChatRequest, Error, RequestOverrides};

use super::{Call, json_response};
use crate::error::ApiError;
use crate::state::{AppState, ModelDeployment};

pub(crate) async fn chat_completions(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(&st, &headers, body, None)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// Azure clients name the deployment in the path.
pub(crate) async fn azure_chat_completions(
    State(st): State<Arc<AppState>>,
    Path(model): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(&st, &headers, body, Some(model))
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn handle(
    st: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    path_model: Option<String>,
) -> Result<Response, ApiError> {
    let call = Call::start(st, headers)?;
    let bytes = call.body(body)?;
    let mut req: ChatRequest = call.parse(&bytes)?;
    if let Some(model) = path_model {
        req.model = model;
    }
    let md = call.deployment(st, &req.model)?;
    if !md.default_params.is_empty() {
        req = with_defaults(req, &md).map_err(|e| call.fail(e))?;
    }
    let overrides = RequestOverrides::take_from(&mut req.extra).map_err(|e| call.fail(e))?;
    if req.is_stream() {
        let reply = st
            .client
            .chat_stream(&md.deployment, req, &overrides)
            .await
            .map_err(|e| call.fail(e))?;
        let mut resp = sse_response(reply.value, md.model_name.clone());
        call.decorate(
            &mut resp,
            &md,
            reply.attempts,
            reply.upstream_time,
            &reply.headers,
        );
        return Ok(resp);
    }
    let mut reply = st
        .client
        .chat(&md.deployment, req, &overrides)
        .await
        .map_err(|e| call.fail(e))?;
    reply.value.model.clone_from(&md.model_name);
    let mut resp = json_response(&reply.value).map_err(|e| call.fail(e))?;
    call.decorate(
        &mut resp,
        &md,
        reply.attempts,
        reply.upstream_time,
        &reply.headers,
    );
    Ok(resp)
}

/// Fills request parameters the client left unset from the deployment's `litellm_params`
/// (LiteLLM merges them, the request winning).
fn with_defaults(req: ChatRequest, md: &ModelDeployment) -> Result<ChatRequest, Error> {
    let mut value = serde_json::to_value(req).map_err(|e| Error::bad_request(e.to_string()))?;
    if let Some(obj) = value.as_object_mut() {
        for (k, v) in &md.default_params {
            if obj.get(k).is_none_or(serde_json::Value::is_null) {
                obj.insert(k.clone(), v.clone());
            }
        }
    }
    serde_json::from_value(value)
        .map_err(|e| Error::bad_request(format!("invalid default param in config: {e}")))
}

/// Relays chunks as SSE. Each chunk is written when the client can take it (the body is
/// pulled by hyper), and a client that disconnects drops the upstream stream with it.
fn sse_response(stream: llmux::ChatStream, model_name: String) -> Response {
    let frames = stream
        .map(move |item| {
            let mut buf = Vec::with_capacity(512);
            buf.extend_from_slice(b"data: ");
            let ok = match item {
                Ok(mut chunk) => {
                    chunk.model.clone_from(&model_name);
                    serde_json::to_writer(&mut buf, &chunk).is_ok()
                }
                Err(e) => serde_json::to_writer(&mut buf, &e.openai_body()).is_ok(),
            };
            if !ok {
                buf.truncate(6);
                buf.extend_from_slice(br#"{"error":{"message":"cannot encode chunk","type":"internal_server_error","param":null,"code":"500"}}"#);
            }
            buf.extend_from_slice(b"\n\n");
            Ok::<_, Infallible>(Bytes::from(buf))
        })
        .chain(futures::stream::once(async { Ok(Bytes::from_static(b"data: [DONE]\n\n")) }));
    Response::builder()
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .header("x-accel-buffering", "no")
        .body(Body::from_stream(frames))
        .unwrap_or_default()
}
