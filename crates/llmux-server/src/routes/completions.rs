//! `POST /v1/completions` (legacy text completions; also `/completions` and Azure's route).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use llmux::{CompletionRequest, CompletionResponse};

use super::Accepted;
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
    let (a, req) = Accepted::new::<CompletionRequest>(st, headers, body, path_model)?;
    let dep = &a.md.deployment;
    if req.stream == Some(true) {
        let reply = st
            .client
            .text_completion_stream(dep, req, &a.overrides)
            .await
            .map_err(|e| a.fail(e))?;
        return Ok(a.sse(reply, |c: &mut CompletionResponse| &mut c.model));
    }
    let reply = st
        .client
        .text_completion(dep, req, &a.overrides)
        .await
        .map_err(|e| a.fail(e))?;
    a.json(reply, |r: &mut CompletionResponse| &mut r.model)
}
