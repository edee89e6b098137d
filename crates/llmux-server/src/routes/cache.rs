//! `/cache/ping`, `/cache/delete`, `/cache/flushall`: LiteLLM's cache admin routes, for
//! the master key only. Unlike LiteLLM's, delete and flush work on every backend, and
//! flush on Redis deletes the cache's own keys only (LiteLLM's `FLUSHALL` would take the
//! router's shared state with it).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use llmux::cache::ResponseCache;
use llmux::router::Entrance;
use llmux::{Error, ErrorKind};
use serde_json::{Value, json};

use super::Call;
use crate::error::ApiError;
use crate::state::AppState;

/// LiteLLM's `ProxyErrorTypes.cache_ping_error`, with a 503.
fn cache_error(message: String) -> Error {
    let mut e = Error::new(ErrorKind::ServiceUnavailable, message).with_param("cache_ping");
    e.error_type = Some("cache_ping_error");
    e
}

fn not_initialized() -> Error {
    cache_error("Cache not initialized. litellm.cache is None".into())
}

fn unhealthy(e: impl std::fmt::Display) -> Error {
    cache_error(format!("Service Unhealthy ({e})"))
}

fn admitted<'a>(
    st: &'a AppState,
    headers: &HeaderMap,
) -> Result<(Call, &'a Arc<ResponseCache>), ApiError> {
    let call = Call::start(st, headers, Entrance::Admin)?;
    match &st.cache {
        Some(c) => Ok((call, c)),
        None => Err(call.fail(not_initialized())),
    }
}

pub(crate) async fn ping(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let run = async {
        let (call, cache) = admitted(&st, &headers)?;
        cache.ping().await.map_err(|e| call.fail(unhealthy(e)))?;
        let kind = cache.settings().kind.name();
        let body = if kind == "redis" {
            json!({"status": "healthy", "cache_type": kind, "ping_response": true,
                   "set_cache_response": "success"})
        } else {
            json!({"status": "healthy", "cache_type": kind})
        };
        Ok::<_, ApiError>(Json(body).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

pub(crate) async fn delete(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = async {
        let (call, cache) = admitted(&st, &headers)?;
        let bytes = call.body(body)?;
        let req: Value = call.parse(&bytes)?;
        let keys: Vec<String> = match req.get("keys") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|k| k.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    call.fail(
                        Error::bad_request("'keys' must be a list of strings").with_param("keys"),
                    )
                })?,
            _ => {
                return Err(call.fail(
                    Error::bad_request("expected {\"keys\": [\"key1\", …]}").with_param("keys"),
                ));
            }
        };
        let deleted = cache.delete(&keys).await.map_err(|e| {
            call.fail(Error::new(
                ErrorKind::InternalServer,
                format!("Cache Delete Failed({e})"),
            ))
        })?;
        Ok::<_, ApiError>(Json(json!({"status": "success", "deleted": deleted})).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

pub(crate) async fn flushall(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let run = async {
        let (call, cache) = admitted(&st, &headers)?;
        cache.flush().await.map_err(|e| call.fail(unhealthy(e)))?;
        Ok::<_, ApiError>(Json(json!({"status": "success"})).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}
