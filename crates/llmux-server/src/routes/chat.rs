//! `POST /v1/chat/completions` (and `/chat/completions`, Azure's deployment route).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use llmux::{ChatRequest, Error, RequestOverrides};

use super::sse::sse_response;
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
    let overrides = RequestOverrides::take_from_chat(&mut req).map_err(|e| call.fail(e))?;
    if req.is_stream() {
        let reply = st
            .client
            .chat_stream(&md.deployment, req, &overrides)
            .await
            .map_err(|e| call.fail(e))?;
        let alias = md.model_name.clone();
        let mut resp = sse_response(reply.value, move |chunk: &mut llmux::ChatChunk| {
            chunk.model.clone_from(&alias)
        });
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
