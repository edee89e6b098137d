//! `POST /v1/completions` (legacy text completions; also `/completions` and Azure's route).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use llmux::{CompletionRequest, CompletionResponse};

use llmux::router::Entrance;

use super::accept;
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

/// Azure clients name the deployment in the path.
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
    let (call, req) =
        accept::<CompletionRequest>(st, headers, body, path_model, Entrance::Completions)?;
    if req.stream == Some(true) {
        let routed = st
            .router
            .text_stream(&call.ctx, req)
            .await
            .map_err(|f| call.failed(f))?;
        return Ok(call.sse(routed, |c: &mut CompletionResponse| &mut c.model));
    }
    let routed = st
        .router
        .text(&call.ctx, req)
        .await
        .map_err(|f| call.failed(f))?;
    call.json(routed, |r: &mut CompletionResponse| &mut r.model)
}
