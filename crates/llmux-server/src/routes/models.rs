//! `GET /v1/models`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use llmux::ModelList;
use llmux::router::Entrance;

use super::{Call, json_response};
use crate::state::AppState;

/// LiteLLM's fixed `created` and `owned_by` for config models.
const CREATED: u64 = 1_677_610_602;

pub(crate) async fn list_models(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    // A virtual key lists the models it may use, as LiteLLM.
    let (call, key) = match Call::start_checked(&st, &headers, Entrance::Admin).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let names = match (&key, &st.keys) {
        (Some(loaded), Some(keys)) => keys.visible_models(loaded, st.model_names()),
        _ => st.model_names().to_vec(),
    };
    let list = ModelList::new(names, CREATED, "openai");
    json_response(&list).unwrap_or_else(|e| call.fail(e).into_response())
}
