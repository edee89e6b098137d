//! `POST /v1/embeddings` (and `/embeddings`, Azure's deployment route).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use llmux::{EmbeddingRequest, EmbeddingResponse};

use llmux::router::Entrance;

use super::accept;
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) async fn embeddings(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(&st, &headers, body, None)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// Azure clients name the deployment in the path.
pub(crate) async fn azure_embeddings(
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
        accept::<EmbeddingRequest>(st, headers, body, path_model, Entrance::Embeddings)?;
    let routed = st
        .router
        .embed(&call.ctx, req)
        .await
        .map_err(|f| call.failed(f))?;
    call.json(routed, |r: &mut EmbeddingResponse| &mut r.model)
}
