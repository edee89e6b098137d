//! The HTTP application: routes and layers.
//!
//! Layers, outermost first:
//! 1. `CatchPanicLayer`: a bug answers 500 in OpenAI's error shape instead of dropping
//!    the connection (no handler is meant to panic; this is the last line), logged
//!    (see [`crate::panic`]).
//! 2. `DefaultBodyLimit`: bodies over `general_settings.max_request_size_mb` get a 413
//!    (handlers turn the rejection into LiteLLM's error body).
//!
//! Every API handler starts with [`crate::routes::Call::start`], which assigns the call
//! id and checks the master key; the health probes (`/health/liveliness`,
//! `/health/liveness`, `/health/readiness`) are open, as in LiteLLM. The admin routes
//! need the master key too: `/health` (a real minimal call to every deployment, at most
//! `HEALTH_CHECK_CONCURRENCY` (`routes/health.rs`) at once, secrets never shown),
//! `/health/readiness/details`, and `/v1/model/info` (`/model/info`: every deployment,
//! credentials dropped or masked as LiteLLM does), and the cache's `/cache/ping`,
//! `/cache/delete` and `/cache/flushall`.
//!
//! Routes answer in their API's format: OpenAI's for `/v1/chat/completions`,
//! `/v1/completions`, `/v1/embeddings` and `/v1/models`; Anthropic's for the
//! `/v1/messages` entrance (`/v1/messages`, `/v1/messages/count_tokens`: Anthropic-format
//! requests to any model, natively forwarded to Anthropic deployments, translated for
//! the others; errors after the key check in Anthropic's error shape); OpenAI's Responses
//! API for `/v1/responses` (`POST`, `GET`/`DELETE /v1/responses/{id}`,
//! `…/input_items`; native for OpenAI and Azure, bridged for the others; a WebSocket
//! upgrade on `GET /v1/responses` gets a 426).

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::routes::responses;
use tower_http::catch_panic::CatchPanicLayer;

use crate::routes::{
    cache, chat, completions, embeddings, health, keys, messages, metrics, model_info, models,
    teams, users, utils,
};
use crate::state::AppState;

/// The gateway's router over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.max_request_bytes;
    Router::new()
        .route("/v1/chat/completions", post(chat::chat_completions))
        .route("/chat/completions", post(chat::chat_completions))
        .route(
            "/openai/deployments/{model}/chat/completions",
            post(chat::azure_chat_completions),
        )
        .route("/v1/completions", post(completions::completions))
        .route("/completions", post(completions::completions))
        .route(
            "/openai/deployments/{model}/completions",
            post(completions::azure_completions),
        )
        .route("/v1/embeddings", post(embeddings::embeddings))
        .route("/embeddings", post(embeddings::embeddings))
        .route(
            "/openai/deployments/{model}/embeddings",
            post(embeddings::azure_embeddings),
        )
        .route("/v1/messages", post(messages::messages))
        .route("/v1/messages/count_tokens", post(messages::count_tokens))
        .route(
            "/v1/responses",
            post(responses::create).get(responses::upgrade),
        )
        .route(
            "/responses",
            post(responses::create).get(responses::upgrade),
        )
        .route("/v1/responses/input_tokens", post(responses::input_tokens))
        .route("/responses/input_tokens", post(responses::input_tokens))
        .route(
            "/v1/responses/{id}",
            get(responses::retrieve).delete(responses::delete),
        )
        .route(
            "/responses/{id}",
            get(responses::retrieve).delete(responses::delete),
        )
        .route(
            "/v1/responses/{id}/input_items",
            get(responses::input_items),
        )
        .route("/responses/{id}/input_items", get(responses::input_items))
        .route("/v1/models", get(models::list_models))
        .route("/models", get(models::list_models))
        .route("/health/liveliness", get(health::liveliness))
        .route("/health/liveness", get(health::liveliness))
        .route("/health/readiness", get(health::readiness))
        .route("/health/readiness/details", get(health::readiness_details))
        .route("/health", get(health::health))
        .route("/v1/model/info", get(model_info::model_info))
        .route("/model/info", get(model_info::model_info))
        .route("/cache/ping", get(cache::ping))
        .route("/cache/delete", post(cache::delete))
        .route("/cache/flushall", post(cache::flushall))
        .route("/key/generate", post(keys::generate))
        .route("/key/update", post(keys::update))
        .route("/key/delete", post(keys::delete))
        .route("/key/info", get(keys::info))
        .route("/key/list", get(keys::list))
        .route("/key/regenerate", post(keys::regenerate))
        .route("/key/{key}/regenerate", post(keys::regenerate_path))
        .route("/key/block", post(keys::block))
        .route("/key/unblock", post(keys::unblock))
        .route("/team/new", post(teams::new))
        .route("/team/info", get(teams::info))
        .route("/team/update", post(teams::update))
        .route("/team/delete", post(teams::delete))
        .route("/team/member_add", post(teams::member_add))
        .route("/team/member_delete", post(teams::member_delete))
        .route("/user/new", post(users::new))
        .route("/user/info", get(users::info))
        .route("/user/update", post(users::update))
        .route("/user/delete", post(users::delete))
        .route("/spend/logs", get(teams::spend_logs))
        .route("/global/spend/report", get(teams::spend_report))
        .route("/metrics", get(metrics::metrics))
        .route("/metrics/", get(metrics::metrics))
        .route("/utils/token_counter", post(utils::token_counter))
        .layer(DefaultBodyLimit::max(limit))
        .layer(CatchPanicLayer::custom(crate::panic::answer))
        .with_state(state)
}
