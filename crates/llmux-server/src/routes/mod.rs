//! Request handlers, one module per API surface.
//!
//! Every API handler starts with [`Call::start`] (call id, key check, the request's
//! [`CallContext`]) and hands the parsed request to the one router
//! ([`llmux::Router`]); [`Call::json`] / [`Call::sse`] / [`Call::failed`] turn what the
//! router returns into LiteLLM's answers and headers.

pub(crate) mod admin;
pub(crate) mod cache;
pub(crate) mod chat;
pub(crate) mod completions;
pub(crate) mod embeddings;
pub(crate) mod health;
pub(crate) mod keys;
pub(crate) mod messages;
pub(crate) mod metrics;
pub(crate) mod model_info;
pub(crate) mod models;
pub(crate) mod responses;
pub(crate) mod sse;
pub(crate) mod teams;
pub(crate) mod users;
pub(crate) mod utils;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use llmux::router::{Entrance, Failed, Identity};
use llmux::{CallContext, Error, ErrorKind, RequestKeys, Routed};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, insert};
use crate::state::AppState;

/// One request, from its key check to its answer.
pub(crate) struct Call {
    pub ctx: CallContext,
}

impl Call {
    /// Starts a call: assigns its id (the client's `x-litellm-call-id` when it sent a
    /// usable one, as LiteLLM) and checks the key.
    pub fn start(st: &AppState, headers: &HeaderMap, entrance: Entrance) -> Result<Self, ApiError> {
        Self::start_as(st, headers, entrance, entrance != Entrance::Admin)
    }

    /// As [`Call::start`]; `virtual_keys`: a virtual key may be presented (its check is
    /// the key hook's, or [`Call::start_checked`]'s).
    fn start_as(
        st: &AppState,
        headers: &HeaderMap,
        entrance: Entrance,
        virtual_keys: bool,
    ) -> Result<Self, ApiError> {
        let identity = match crate::auth::identify(
            st.master_key.as_ref(),
            st.keys.is_some() && virtual_keys,
            headers,
        ) {
            Ok(identity) => identity,
            Err(e) => {
                let ctx = CallContext::new(entrance, Identity::Open);
                return Err(ApiError::from(e).with_call_id(&ctx.call_id));
            }
        };
        let mut ctx = CallContext::new(entrance, identity);
        if let Some(id) = headers
            .get("x-litellm-call-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 128)
        {
            id.clone_into(&mut ctx.call_id);
        }
        Ok(Self { ctx })
    }

    /// As [`Call::start`], for a route that answers without the router (whose key hook
    /// would check a virtual key): the key is checked here; the key's cached entry when
    /// it is one.
    pub async fn start_checked(
        st: &AppState,
        headers: &HeaderMap,
        entrance: Entrance,
    ) -> Result<(Self, Option<std::sync::Arc<crate::keys::Loaded>>), ApiError> {
        let call = Self::start_as(st, headers, entrance, true)?;
        let loaded = match &st.keys {
            Some(keys) => keys
                .verify(&call.ctx.identity)
                .await
                .map_err(|e| call.fail(e))?,
            None => None,
        };
        Ok((call, loaded))
    }

    pub fn fail(&self, e: Error) -> ApiError {
        ApiError::from(e).with_call_id(&self.ctx.call_id)
    }

    /// The error answer after the router gave up, with its attempt counts.
    pub fn failed(&self, f: Failed) -> ApiError {
        let mut e = self.fail(f.error);
        e.headers = vec![
            ("x-litellm-attempted-retries", f.retries.to_string()),
            ("x-litellm-attempted-fallbacks", f.fallbacks.to_string()),
            ("x-litellm-model-group", f.model_group),
        ];
        e
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

    /// The `x-litellm-*` headers, and upstream headers as `llm_provider-*`.
    pub fn decorate<T>(&self, resp: &mut Response, routed: &Routed<T>) {
        let h = resp.headers_mut();
        for (name, value) in &routed.headers {
            if name != "content-type" || !h.contains_key("content-type") {
                insert(h, &format!("llm_provider-{name}"), value);
            }
            if name.starts_with("x-ratelimit-") {
                insert(h, name, value);
            }
        }
        insert(h, "x-litellm-call-id", &self.ctx.call_id);
        // LiteLLM sets `x-litellm-cache-key` on hits only: it is the hit marker.
        if let Some(hit) = self.ctx.cache.get().filter(|c| c.hit) {
            insert(h, "x-litellm-cache-key", &hit.key);
        }
        if let Some(d) = &routed.deployment {
            insert(h, "x-litellm-model-id", &d.id);
        }
        if let Some(grant) = self.ctx.grant.get() {
            for (name, value) in &grant.headers {
                insert(h, name, value);
            }
        }
        insert(h, "x-litellm-model-group", &routed.model_group);
        insert(
            h,
            "x-litellm-attempted-retries",
            &routed.retries.to_string(),
        );
        insert(
            h,
            "x-litellm-attempted-fallbacks",
            &routed.fallbacks.to_string(),
        );
        let overhead = self
            .ctx
            .started
            .elapsed()
            .saturating_sub(routed.upstream_time);
        insert(
            h,
            "x-litellm-overhead-duration-ms",
            &format!("{:.3}", overhead.as_secs_f64() * 1000.0),
        );
    }

    /// The JSON answer, its `model` renamed to the group that answered, with
    /// `x-litellm-response-cost` when the answer has a price.
    pub fn json<T: serde::Serialize + llmux::router::Answer>(
        &self,
        routed: Routed<T>,
        model_of: impl FnOnce(&mut T) -> &mut String,
    ) -> Result<Response, ApiError> {
        let built = routed.value.built_usage();
        let cost = routed
            .deployment
            .as_ref()
            .zip(routed.value.usage().or(built.as_ref()))
            .and_then(|(d, u)| d.deployment.cost(u));
        let (mut value, meta) = routed.into_parts();
        model_of(&mut value).clone_from(&meta.model_group);
        let mut resp = json_response(&value).map_err(|e| self.fail(e))?;
        self.decorate(&mut resp, &meta);
        if let Some(cost) = cost {
            insert(
                resp.headers_mut(),
                "x-litellm-response-cost",
                &cost.to_string(),
            );
        }
        Ok(resp)
    }

    /// The SSE answer, every event's `model` renamed to the group that answered.
    pub fn sse<T>(
        &self,
        routed: Routed<llmux::EventStream<T>>,
        model_of: fn(&mut T) -> &mut String,
    ) -> Response
    where
        T: serde::Serialize + Send + 'static,
    {
        let (value, meta) = routed.into_parts();
        let alias = meta.model_group.clone();
        let mut resp = sse::sse_response(value, move |event: &mut T| {
            model_of(event).clone_from(&alias)
        });
        self.decorate(&mut resp, &meta);
        resp
    }
}

/// An OpenAI-format request body a route accepts.
pub(crate) trait ApiRequest: DeserializeOwned + serde::Serialize + Sized {
    fn model_mut(&mut self) -> &mut String;
    /// Takes LiteLLM's own keys out of the body (they are never forwarded).
    fn take_keys(&mut self) -> Result<RequestKeys, Error>;
    /// The body's `user`.
    fn user(&self) -> Option<String> {
        None
    }
}

impl ApiRequest for llmux::ChatRequest {
    fn model_mut(&mut self) -> &mut String {
        &mut self.model
    }
    fn take_keys(&mut self) -> Result<RequestKeys, Error> {
        RequestKeys::take_from_chat(self)
    }
    fn user(&self) -> Option<String> {
        self.user.clone()
    }
}

impl ApiRequest for llmux::EmbeddingRequest {
    fn model_mut(&mut self) -> &mut String {
        &mut self.model
    }
    fn take_keys(&mut self) -> Result<RequestKeys, Error> {
        RequestKeys::take_from(&mut self.extra)
    }
}

impl ApiRequest for llmux::CompletionRequest {
    fn model_mut(&mut self) -> &mut String {
        &mut self.model
    }
    fn take_keys(&mut self) -> Result<RequestKeys, Error> {
        RequestKeys::take_from(&mut self.extra)
    }
}

/// Auth, body, parse, the path's model (Azure routes), and LiteLLM's keys taken out of
/// the body into the call's context.
pub(crate) fn accept<R: ApiRequest>(
    st: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    path_model: Option<String>,
    entrance: Entrance,
) -> Result<(Call, R), ApiError> {
    let mut call = Call::start(st, headers, entrance)?;
    let bytes = call.body(body)?;
    let mut req: R = call.parse(&bytes)?;
    if let Some(model) = path_model {
        *req.model_mut() = model;
    }
    call.ctx.keys = req.take_keys().map_err(|e| call.fail(e))?;
    call.ctx.user = req.user();
    Ok((call, req))
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
