//! Request handlers, one module per API surface.

pub(crate) mod chat;
pub(crate) mod completions;
pub(crate) mod embeddings;
pub(crate) mod health;
pub(crate) mod models;
pub(crate) mod sse;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use llmux::{Error, ErrorKind};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, insert};
use crate::state::{AppState, ModelDeployment};

/// The per-request context every handler builds first.
pub(crate) struct Call {
    pub started: Instant,
    pub call_id: String,
}

impl Call {
    /// Starts a call: assigns its id and checks the key.
    pub fn start(st: &AppState, headers: &HeaderMap) -> Result<Self, ApiError> {
        let call = Self {
            started: Instant::now(),
            call_id: uuid::Uuid::new_v4().to_string(),
        };
        crate::auth::check(st.master_key.as_deref(), headers).map_err(|e| call.fail(e))?;
        Ok(call)
    }

    pub fn fail(&self, e: Error) -> ApiError {
        ApiError::from(e).with_call_id(&self.call_id)
    }

    /// The request body, or LiteLLM-shaped errors for an oversized or unreadable one.
    pub fn body(&self, body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
        body.map_err(|rejection| {
            let e = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::new(
                    ErrorKind::PayloadTooLarge,
                    "Request body is too large (general_settings.max_request_size_mb)",
                )
            } else {
                Error::bad_request(format!("Could not read the request body: {rejection}"))
            };
            self.fail(e)
        })
    }

    /// Parses a JSON body into `T`; malformed JSON or a missing field is a 400.
    pub fn parse<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, ApiError> {
        serde_json::from_slice(bytes)
            .map_err(|e| self.fail(Error::bad_request(format!("Invalid request body: {e}"))))
    }

    /// The deployment serving `model`, or LiteLLM's 400 for a model not in the config.
    pub fn deployment(&self, st: &AppState, model: &str) -> Result<Arc<ModelDeployment>, ApiError> {
        if model.is_empty() {
            return Err(self.fail(
                Error::bad_request("Invalid request body: missing field `model`")
                    .with_param("model"),
            ));
        }
        st.pick(model).ok_or_else(|| {
            if let Some(e) = st.unavailable.get(model) {
                return self.fail(e.clone());
            }
            self.fail(
                Error::bad_request(format!(
                    "Invalid model name passed in model={model}. Call `/v1/models` to view available models for your key."
                ))
                .with_model(model),
            )
        })
    }

    /// The `x-litellm-*` headers, and upstream headers as `llm_provider-*`.
    pub fn decorate(
        &self,
        resp: &mut Response,
        md: &ModelDeployment,
        attempts: u32,
        upstream_time: Duration,
        upstream_headers: &[(String, String)],
    ) {
        let h = resp.headers_mut();
        for (name, value) in upstream_headers {
            if name != "content-type" || !h.contains_key("content-type") {
                insert(h, &format!("llm_provider-{name}"), value);
            }
            if name.starts_with("x-ratelimit-") {
                insert(h, name, value);
            }
        }
        insert(h, "x-litellm-call-id", &self.call_id);
        insert(h, "x-litellm-model-id", &md.id);
        insert(h, "x-litellm-model-group", &md.model_name);
        insert(
            h,
            "x-litellm-attempted-retries",
            &attempts.saturating_sub(1).to_string(),
        );
        let overhead = self.started.elapsed().saturating_sub(upstream_time);
        insert(
            h,
            "x-litellm-overhead-duration-ms",
            &format!("{:.3}", overhead.as_secs_f64() * 1000.0),
        );
    }
}

/// A JSON answer.
pub(crate) fn json_response(value: &impl serde::Serialize) -> Result<Response, Error> {
    let body = serde_json::to_vec(value).map_err(|e| {
        Error::new(
            ErrorKind::InternalServer,
            format!("cannot encode answer: {e}"),
        )
    })?;
    Ok(Response::builder()
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(body))
        .unwrap_or_default())
}
