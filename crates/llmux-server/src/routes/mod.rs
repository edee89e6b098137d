//! Request handlers, one module per API surface.

pub(crate) mod chat;
pub(crate) mod completions;
pub(crate) mod embeddings;
pub(crate) mod health;
pub(crate) mod messages;
pub(crate) mod models;
pub(crate) mod sse;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use llmux::{Error, ErrorKind, RequestOverrides};
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

/// An OpenAI-format request body a route accepts.
pub(crate) trait ApiRequest: DeserializeOwned + serde::Serialize + Sized {
    fn model_mut(&mut self) -> &mut String;
    /// Takes LiteLLM's own keys out of the body (they are never forwarded).
    fn take_overrides(&mut self) -> Result<RequestOverrides, Error>;
}

impl ApiRequest for llmux::ChatRequest {
    fn model_mut(&mut self) -> &mut String {
        &mut self.model
    }
    fn take_overrides(&mut self) -> Result<RequestOverrides, Error> {
        RequestOverrides::take_from_chat(self)
    }
}

impl ApiRequest for llmux::EmbeddingRequest {
    fn model_mut(&mut self) -> &mut String {
        &mut self.model
    }
    fn take_overrides(&mut self) -> Result<RequestOverrides, Error> {
        RequestOverrides::take_from(&mut self.extra)
    }
}

impl ApiRequest for llmux::CompletionRequest {
    fn model_mut(&mut self) -> &mut String {
        &mut self.model
    }
    fn take_overrides(&mut self) -> Result<RequestOverrides, Error> {
        RequestOverrides::take_from(&mut self.extra)
    }
}

/// A request that passed auth and parsing and has a deployment to go to.
pub(crate) struct Accepted {
    pub call: Call,
    pub md: Arc<ModelDeployment>,
    pub overrides: RequestOverrides,
}

impl Accepted {
    /// Auth, body, parse, the path's model (Azure routes), the deployment, its request
    /// defaults, and LiteLLM's keys taken out.
    pub fn new<R: ApiRequest>(
        st: &AppState,
        headers: &HeaderMap,
        body: Result<Bytes, BytesRejection>,
        path_model: Option<String>,
    ) -> Result<(Self, R), ApiError> {
        let call = Call::start(st, headers)?;
        let bytes = call.body(body)?;
        let mut req: R = call.parse(&bytes)?;
        if let Some(model) = path_model {
            *req.model_mut() = model;
        }
        let md = call.deployment(st, req.model_mut())?;
        if !md.default_params.is_empty() {
            req = with_defaults(req, &md.default_params).map_err(|e| call.fail(e))?;
        }
        let overrides = req.take_overrides().map_err(|e| call.fail(e))?;
        Ok((
            Self {
                call,
                md,
                overrides,
            },
            req,
        ))
    }

    /// The JSON answer, its `model` renamed to the group the client asked for.
    pub fn json<T: serde::Serialize>(
        &self,
        reply: llmux::Reply<T>,
        model_of: impl FnOnce(&mut T) -> &mut String,
    ) -> Result<Response, ApiError> {
        let mut value = reply.value;
        model_of(&mut value).clone_from(&self.md.model_name);
        let mut resp = json_response(&value).map_err(|e| self.call.fail(e))?;
        self.call.decorate(
            &mut resp,
            &self.md,
            reply.attempts,
            reply.upstream_time,
            &reply.headers,
        );
        Ok(resp)
    }

    /// The SSE answer, every event's `model` renamed to the group.
    pub fn sse<T>(
        &self,
        reply: llmux::Reply<llmux::EventStream<T>>,
        model_of: fn(&mut T) -> &mut String,
    ) -> Response
    where
        T: serde::Serialize + Send + 'static,
    {
        let alias = self.md.model_name.clone();
        let mut resp = sse::sse_response(reply.value, move |event: &mut T| {
            model_of(event).clone_from(&alias)
        });
        self.call.decorate(
            &mut resp,
            &self.md,
            reply.attempts,
            reply.upstream_time,
            &reply.headers,
        );
        resp
    }

    pub fn fail(&self, e: Error) -> ApiError {
        self.call.fail(e)
    }
}

/// Fills parameters the client left unset from the deployment's `litellm_params`
/// (LiteLLM merges them into every call, the request winning).
pub(crate) fn with_defaults<R: ApiRequest>(
    req: R,
    defaults: &serde_json::Map<String, serde_json::Value>,
) -> Result<R, Error> {
    let mut value = serde_json::to_value(req).map_err(|e| Error::bad_request(e.to_string()))?;
    if let Some(obj) = value.as_object_mut() {
        for (k, v) in defaults {
            if obj.get(k).is_none_or(serde_json::Value::is_null) {
                obj.insert(k.clone(), v.clone());
            }
        }
    }
    serde_json::from_value(value)
        .map_err(|e| Error::bad_request(format!("invalid default param in config: {e}")))
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
