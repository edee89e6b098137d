//! `POST /v1/completions` (legacy text completions).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use llmux::{CompletionRequest, RequestOverrides};

use super::sse::sse_response;
use super::{Call, json_response};
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) async fn completions(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(&st, &headers, body, None)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

pub(crate) async fn azure_completions(
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
    let mut req: CompletionRequest = call.parse(&bytes)?;
    if let Some(model) = path_model {
        req.model = model;
    }
    let md = call.deployment(st, &req.model)?;
    let overrides = RequestOverrides::take_from(&mut req.extra).map_err(|e| call.fail(e))?;
    if req.stream == Some(true) {
        let reply = st
            .client
            .text_completion_stream(&md.deployment, req, &overrides)
            .await
            .map_err(|e| call.fail(e))?;
        let alias = md.model_name.clone();
        let mut resp = sse_response(reply.value, move |c: &mut llmux::CompletionResponse| {
            c.model.clone_from(&alias)
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
        .text_completion(&md.deployment, req, &overrides)
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
