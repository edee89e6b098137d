//! `/v1/responses`: OpenAI's Responses API (LiteLLM's `proxy/response_api_endpoints/`).
//!
//! ```text
//! POST /v1/responses
//!   Call::start (master key) ▶ body → JSON object → ResponsesRequest
//!   ▶ LiteLLM's own keys out (`metadata` stays: it is the response's)
//!   ▶ previous_response_id → the stored conversation; one not held here (another
//!     key's, or made upstream) goes to a native deployment as sent, and is a 400 for
//!     a bridged one
//!   ▶ Router::route, per attempt:
//!       OpenAI / Azure (and no mock_response): native, llmux::Client::openai_responses;
//!         a conversation the upstream does not hold is sent as full input instead of
//!         previous_response_id
//!       any other provider: responses_api::to_chat_request (history + input)
//!         → Client::chat | chat_stream (retries, fallbacks, and a stream that fails
//!         before its first event falls back, as chat does)
//!   ▶ Responses object (from_chat_response) or events (ResponsesStreamEncoder)
//!   ▶ stored (unless `store: false`) before the client gets it: for streams, before
//!     the terminal event is sent
//! GET /v1/responses/{id} · DELETE /v1/responses/{id} · GET /v1/responses/{id}/input_items
//!   from the store; another key's response is a 404
//! GET /v1/responses with `Upgrade: websocket` (Codex tries this first): 426, so the
//!   client falls back to HTTP
//! errors: OpenAI's `{"error": {…}}` with chat's status and headers; after a stream has
//!   started, `response.failed` (bridged) or an `error` event (native)
//! ```

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use futures::future::BoxFuture;
use llmux::router::{Answer, Entrance, RequestView, StreamTracker, with_defaults};
use llmux::{
    ChatResponse, ChatStream, Error, ErrorKind, EventStream, JsonMap, NativeFrame, Reply,
    RequestKeys, ResponseItem, ResponsesAnswer, ResponsesPassthrough, ResponsesRequest,
};
use llmux_providers::responses_api::{
    self, ResponseIds, ResponsesStreamEncoder, serves_responses, write_sse_event,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::messages::sse;
use super::{Call, json_response};
use crate::error::ApiError;
use crate::responses_store::{ResponseStore, StoredResponse};
use crate::state::AppState;
use crate::store::StoreError;

/// `POST /v1/responses`.
pub(crate) async fn create(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let mut call = match Call::start(&st, &headers, Entrance::Responses) {
        Ok(call) => call,
        Err(e) => return e.into_response(),
    };
    handle(&st, &mut call, &headers, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `GET /v1/responses`: only a WebSocket upgrade comes here, and gets a 426.
pub(crate) async fn upgrade(headers: HeaderMap) -> Response {
    let websocket = headers
        .get("upgrade")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let (status, message) = if websocket {
        (
            StatusCode::UPGRADE_REQUIRED,
            "WebSocket is not supported on /v1/responses: send POST /v1/responses over HTTP",
        )
    } else {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed: use POST /v1/responses",
        )
    };
    ApiError::from(Error::bad_request(message).with_status(status)).into_response()
}

/// `GET /v1/responses/{id}`.
pub(crate) async fn retrieve(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    // These answer without the router: a virtual key is checked here.
    if let Err(e) = Call::start_checked(&st, &headers, Entrance::Responses).await {
        return e.into_response();
    }
    let result = async {
        let call = Call::start(&st, &headers, Entrance::Responses)?;
        let stored = find(&st, &call, &headers, &id).await?;
        Ok::<_, ApiError>(json_bytes(stored.response.clone()))
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

/// `DELETE /v1/responses/{id}`.
pub(crate) async fn delete(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    // These answer without the router: a virtual key is checked here.
    if let Err(e) = Call::start_checked(&st, &headers, Entrance::Responses).await {
        return e.into_response();
    }
    let result = async {
        let call = Call::start(&st, &headers, Entrance::Responses)?;
        let deleted = st
            .responses
            .delete(&id, &owner(&headers))
            .await
            .map_err(|e| call.fail(store_error(e)))?;
        if !deleted {
            return Err(call.fail(not_found(&id)));
        }
        json_response(&json!({"id": id, "object": "response", "deleted": true}))
            .map_err(|e| call.fail(e))
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /v1/responses/input_tokens`: `{"object": "response.input_tokens",
/// "input_tokens": N}`, counted as LiteLLM does (the provider's count API for Anthropic
/// deployments, the local estimate for the others).
pub(crate) async fn input_tokens(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let mut call = match Call::start_checked(&st, &headers, Entrance::CountTokens).await {
        Ok((call, _)) => call,
        Err(e) => return e.into_response(),
    };
    count(&st, &mut call, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn count(
    st: &AppState,
    call: &mut Call,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let bytes = call.body(body)?;
    let mut body: JsonMap = call.parse(&bytes)?;
    call.ctx.keys = take_keys(call, &mut body)?;
    // Read from the map in place: the typed request and the map (the native body, the
    // hooks' view) both live on, so no copy of the whole body is made to parse it.
    let req = ResponsesRequest::deserialize(&body)
        .map_err(|e| call.fail(Error::bad_request(format!("Invalid request body: {e}"))))?;
    if req.model.is_empty() {
        return Err(call.fail(Error::bad_request("model is required").with_param("model")));
    }
    let chat = responses_api::to_chat_request(&req, &[]).map_err(|e| call.fail(e))?;
    let client = st.router.client();
    let o = &call.ctx.keys.overrides;
    let chat = &chat;
    let routed = st
        .router
        .route(
            &call.ctx,
            &req.model,
            RequestView::Responses(&body),
            |d| async move {
                let started = std::time::Instant::now();
                let counted_body = responses_api::count_body(chat, &d.deployment.model)?;
                let counted = client
                    .count_message_tokens(&d.deployment, counted_body, o)
                    .await?;
                Ok(Reply {
                    value: counted,
                    provider: d.deployment.provider,
                    attempts: 1,
                    headers: Vec::new(),
                    upstream_time: started.elapsed(),
                })
            },
        )
        .await
        .map_err(|f| call.failed(f))?;
    let (value, meta) = routed.into_parts();
    let mut resp = json_response(&json!({
        "object": "response.input_tokens",
        "input_tokens": value.input_tokens,
        "litellm_count_source": value.source,
    }))
    .map_err(|e| call.fail(e))?;
    call.decorate(&mut resp, &meta);
    Ok(resp)
}

/// The query of `…/input_items`.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct ListQuery {
    limit: Option<usize>,
    order: Option<String>,
    after: Option<String>,
}

/// `GET /v1/responses/{id}/input_items`: the response's own input items, newest first
/// unless `order=asc`, `limit` (1–100, default 20) at a time after the item `after`.
pub(crate) async fn input_items(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    // These answer without the router: a virtual key is checked here.
    if let Err(e) = Call::start_checked(&st, &headers, Entrance::Responses).await {
        return e.into_response();
    }
    let result = async {
        let call = Call::start(&st, &headers, Entrance::Responses)?;
        let stored = find(&st, &call, &headers, &id).await?;
        let mut items: Vec<&ResponseItem> = stored.input.iter().collect();
        match q.order.as_deref() {
            None | Some("desc") => items.reverse(),
            Some("asc") => {}
            Some(other) => {
                return Err(call.fail(
                    Error::bad_request(format!("order must be 'asc' or 'desc', not '{other}'"))
                        .with_param("order"),
                ));
            }
        }
        if let Some(after) = &q.after {
            let start = items
                .iter()
                .position(|i| i.id.as_deref() == Some(after.as_str()))
                .map_or(items.len(), |p| p.saturating_add(1));
            items.drain(..start);
        }
        let limit = q.limit.unwrap_or(20).clamp(1, 100);
        let has_more = items.len() > limit;
        items.truncate(limit);
        let first = items.first().and_then(|i| i.id.clone());
        let last = items.last().and_then(|i| i.id.clone());
        json_response(&json!({
            "object": "list",
            "data": items,
            "first_id": first,
            "last_id": last,
            "has_more": has_more,
        }))
        .map_err(|e| call.fail(e))
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

fn owner(headers: &HeaderMap) -> String {
    ResponseStore::owner(crate::auth::presented_key(headers))
}

/// The store's database could not answer: the response may exist, so not a 404.
fn store_error(e: StoreError) -> Error {
    let kind = match e {
        StoreError::Unavailable(_) => ErrorKind::ServiceUnavailable,
        StoreError::Query(_) | StoreError::Corrupt(_) => ErrorKind::InternalServer,
    };
    Error::new(kind, format!("stored responses cannot be read: {e}"))
}

fn not_found(id: &str) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!("Response with id '{id}' not found."),
    )
}

async fn find(
    st: &AppState,
    call: &Call,
    headers: &HeaderMap,
    id: &str,
) -> Result<Arc<StoredResponse>, ApiError> {
    st.responses
        .get(id, &owner(headers))
        .await
        .map_err(|e| call.fail(store_error(e)))?
        .ok_or_else(|| call.fail(not_found(id)))
}

/// What one attempt produced.
enum ResponsesOut {
    Native(Box<JsonMap>),
    NativeStream(EventStream<NativeFrame>),
    Chat(Box<ChatResponse>),
    Stream(ChatStream),
}

impl Answer for ResponsesOut {
    fn tokens(&self) -> Option<u64> {
        match self {
            Self::Native(object) => object
                .get("usage")
                .and_then(llmux::chat_usage_of)
                .map(|u| u.total_tokens),
            Self::Chat(r) => r.tokens(),
            Self::NativeStream(_) | Self::Stream(_) => None,
        }
    }
    fn usage(&self) -> Option<&llmux::Usage> {
        match self {
            Self::Chat(r) => r.usage.as_ref(),
            _ => None,
        }
    }
    fn first_event(self) -> BoxFuture<'static, Result<Self, Error>> {
        match self {
            Self::NativeStream(s) => {
                Box::pin(async move { Ok(Self::NativeStream(s.first_event().await?)) })
            }
            Self::Stream(s) => Box::pin(async move { Ok(Self::Stream(s.first_event().await?)) }),
            whole => Box::pin(std::future::ready(Ok(whole))),
        }
    }
    fn is_stream(&self) -> bool {
        matches!(self, Self::NativeStream(_) | Self::Stream(_))
    }
    fn track(self, tracker: StreamTracker) -> Self {
        match self {
            Self::NativeStream(s) => Self::NativeStream(s.track(tracker)),
            Self::Stream(s) => Self::Stream(s.track(tracker)),
            whole => whole,
        }
    }
    fn from_hook(value: Value) -> Result<Self, Error> {
        match value {
            Value::Object(object) => Ok(Self::Native(Box::new(object))),
            _ => Err(Error::new(
                ErrorKind::InternalServer,
                "a pre-call hook answered a Responses call with a body that is not an object",
            )),
        }
    }
}

fn reply_of<T, U>(r: Reply<T>, f: impl FnOnce(T) -> U) -> Reply<U> {
    Reply {
        value: f(r.value),
        provider: r.provider,
        attempts: r.attempts,
        headers: r.headers,
        upstream_time: r.upstream_time,
    }
}

/// LiteLLM's keys out of the body; `metadata` stays, it is the response's own.
fn take_keys(call: &Call, body: &mut JsonMap) -> Result<RequestKeys, ApiError> {
    let metadata = body.get("metadata").cloned();
    let mut keys = RequestKeys::take_from(body).map_err(|e| call.fail(e))?;
    keys.overrides.metadata = None;
    if let Some(metadata) = metadata {
        body.insert("metadata".into(), metadata);
    }
    Ok(keys)
}

/// A fresh id base: 32 hex digits, time-ordered (UUIDv7: a millisecond timestamp, then
/// 74 random bits), so stored turns' ids grow at one end of the store's indexes. A
/// random id lands on a random page of each index, and SQLite's write-ahead log writes
/// every page a commit touched whole: about 8 KiB a turn at a few thousand turns.
fn id_base() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The request's input items, each with an id (OpenAI gives every input item one).
fn input_with_ids(req: &ResponsesRequest, base: &str) -> Vec<ResponseItem> {
    let mut items = req.input_items();
    for (n, item) in items.iter_mut().enumerate() {
        if item.id.is_none() {
            let prefix = match item.item_type() {
                llmux::ItemType::FunctionCall => "fc",
                llmux::ItemType::FunctionCallOutput => "fco",
                llmux::ItemType::Reasoning => "rs",
                _ => "msg",
            };
            item.id = Some(format!("{prefix}_{base}in{n:02}"));
        }
    }
    items
}

/// What is stored once the response completes.
struct Pending {
    store: Arc<AppState>,
    owner: String,
    input: Vec<ResponseItem>,
    previous: Option<Arc<StoredResponse>>,
}

impl Pending {
    async fn put(self, response: Value, native_deployment: Option<String>) {
        let output = response
            .get("output")
            .and_then(|o| Vec::<ResponseItem>::deserialize(o).ok())
            .unwrap_or_default();
        let Some(id) = response
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            return;
        };
        let Ok(bytes) = serde_json::to_vec(&response) else {
            return;
        };
        self.put_with_output(id, bytes.into(), output, native_deployment)
            .await;
    }

    /// As [`Pending::put`], with the response already encoded and its output typed.
    async fn put_with_output(
        self,
        id: String,
        response: Bytes,
        output: Vec<ResponseItem>,
        native_deployment: Option<String>,
    ) {
        if id.is_empty() {
            return;
        }
        let conversation = self
            .previous
            .as_ref()
            .map_or_else(|| id.clone(), |p| p.conversation.clone());
        self.store
            .responses
            .put(StoredResponse {
                id,
                owner: self.owner,
                conversation,
                response,
                output,
                input: self.input,
                previous: self.previous,
                native_deployment,
            })
            .await;
    }
}

async fn handle(
    st: &Arc<AppState>,
    call: &mut Call,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let bytes = call.body(body)?;
    let mut body: JsonMap = call.parse(&bytes)?;
    call.ctx.keys = take_keys(call, &mut body)?;
    let req: ResponsesRequest = serde_json::from_value(Value::Object(body.clone()))
        .map_err(|e| call.fail(Error::bad_request(format!("Invalid request body: {e}"))))?;
    call.ctx.user.clone_from(&req.user);
    let owner = owner(headers);
    // A response this gateway does not hold may still be the upstream's (made at
    // OpenAI directly, or before a restart): a native deployment gets the id as sent;
    // a bridged one has nothing to rebuild and refuses it, as OpenAI does.
    let previous = match req.previous_response_id.as_deref() {
        Some(id) => st
            .responses
            .get(id, &owner)
            .await
            .map_err(|e| call.fail(store_error(e)))?,
        None => None,
    };
    let unknown_previous = match (&req.previous_response_id, &previous) {
        (Some(id), None) => Some(id.as_str()),
        _ => None,
    };
    let history = previous
        .as_ref()
        .map(|p| p.conversation())
        .unwrap_or_default();
    let base = id_base();
    let input = input_with_ids(&req, &base);

    let client = st.router.client();
    let o = &call.ctx.keys.overrides;
    let (body, req, history, input, previous) = (&body, &req, &history, &input, &previous);
    let unknown_previous = &unknown_previous;
    let routed = st
        .router
        .route(
            &call.ctx,
            &req.model,
            RequestView::Responses(body),
            |d| async move {
                let dep = &d.deployment;
                let mocked = o.mock_response.is_some() || dep.mock_response.is_some();
                if serves_responses(dep.provider) && !mocked {
                    let mut body = body.clone();
                    let upstream_holds_it = previous
                        .as_ref()
                        .is_some_and(|p| p.native_deployment.as_deref() == Some(d.id.as_str()));
                    if previous.is_some() && !upstream_holds_it {
                        // The conversation lives here, not upstream: send it whole.
                        body.remove("previous_response_id");
                        // Item ids the upstream never issued are left out.
                        let all: Vec<ResponseItem> = history
                            .iter()
                            .chain(input)
                            .map(|item| ResponseItem {
                                id: None,
                                ..item.clone()
                            })
                            .collect();
                        body.insert(
                            "input".into(),
                            serde_json::to_value(all).map_err(|e| {
                                Error::bad_request(format!("cannot encode the input: {e}"))
                            })?,
                        );
                    }
                    let req = ResponsesPassthrough {
                        body,
                        response_model: Some(d.model_name.clone()),
                    };
                    let reply = client.openai_responses(dep, req, o).await?;
                    return Ok(reply_of(reply, |a| match a {
                        ResponsesAnswer::Json(object) => ResponsesOut::Native(object),
                        ResponsesAnswer::Stream(s) => ResponsesOut::NativeStream(s),
                    }));
                }
                if let Some(id) = unknown_previous {
                    return Err(Error::bad_request(format!(
                        "Previous response with id '{id}' not found."
                    ))
                    .with_param("previous_response_id"));
                }
                let chat = responses_api::to_chat_request(req, history)?;
                let mut chat = if d.default_params.is_empty() {
                    chat
                } else {
                    with_defaults(&chat, &d.default_params)?
                };
                chat.omit_stream_default = true;
                if chat.is_stream() {
                    let reply = client.chat_stream(dep, chat, o).await?;
                    Ok(reply_of(reply, ResponsesOut::Stream))
                } else {
                    let reply = client.chat(dep, chat, o).await?;
                    Ok(reply_of(reply, |r| ResponsesOut::Chat(Box::new(r))))
                }
            },
        )
        .await
        .map_err(|f| call.failed(f))?;
    let (value, meta) = routed.into_parts();
    let group = meta.model_group.clone();
    let native_deployment = meta.deployment.as_ref().map(|d| d.id.clone());
    let pending = req.stores().then(|| Pending {
        store: Arc::clone(st),
        owner,
        input: input.clone(),
        previous: previous.clone(),
    });
    let ids = ResponseIds::new(base);
    let mut resp = match value {
        ResponsesOut::Native(object) => {
            let object = Value::Object(*object);
            let resp = json_response(&object).map_err(|e| call.fail(e))?;
            if let Some(p) = pending {
                p.put(object, native_deployment).await;
            }
            resp
        }
        ResponsesOut::NativeStream(stream) => {
            sse(native_frames(stream, pending, native_deployment))
        }
        ResponsesOut::Chat(chat) => {
            let object = responses_api::from_chat_response(&chat, req, &ids, now(), group);
            // Encoded once: the same bytes answer the client and are stored; the typed
            // output is kept for the store rather than read back from them.
            let bytes: Bytes = serde_json::to_vec(&object)
                .map_err(|e| {
                    call.fail(Error::new(
                        ErrorKind::InternalServer,
                        format!("cannot encode the response: {e}"),
                    ))
                })?
                .into();
            let resp = json_bytes(bytes.clone());
            if let Some(p) = pending {
                p.put_with_output(object.id, bytes, object.output, None)
                    .await;
            }
            resp
        }
        ResponsesOut::Stream(stream) => {
            let shell = responses_api::response_shell(req, ids.response(), now(), group);
            let encoder = ResponsesStreamEncoder::new(ids, shell);
            sse(encoded_frames(encoder, stream, pending))
        }
    };
    call.decorate(&mut resp, &meta);
    Ok(resp)
}

/// Chat chunks as Responses events; the response is stored before its terminal event
/// goes out. A failure mid-stream ends it with `response.failed`.
fn encoded_frames(
    mut encoder: ResponsesStreamEncoder,
    stream: ChatStream,
    mut pending: Option<Pending>,
) -> impl futures::Stream<Item = Bytes> + Send {
    let mut failed = false;
    stream
        .map(Some)
        .chain(futures::stream::once(std::future::ready(None)))
        .then(move |item| {
            let (bytes, store) = match item {
                Some(Ok(chunk)) => (frames(&encoder.push(&chunk)), None),
                Some(Err(e)) => {
                    failed = true;
                    (frames(&encoder.fail(&e)), None)
                }
                None if failed => (Bytes::new(), None),
                None => {
                    let events = encoder.finish();
                    let store = pending
                        .take()
                        .zip(serde_json::to_value(encoder.response()).ok());
                    (frames(&events), store)
                }
            };
            async move {
                if let Some((p, object)) = store {
                    p.put(object, None).await;
                }
                bytes
            }
        })
}

/// A 200 with a JSON body already encoded.
fn json_bytes(body: Bytes) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

fn frames(events: &[llmux::ResponsesStreamEvent]) -> Bytes {
    let mut buf = Vec::with_capacity(512 * events.len());
    for event in events {
        if write_sse_event(event, &mut buf).is_err() {
            break;
        }
    }
    Bytes::from(buf)
}

/// The upstream's events relayed; the terminal one's response is stored before it goes
/// out. A failure mid-stream ends it with an `error` event.
fn native_frames(
    stream: EventStream<NativeFrame>,
    mut pending: Option<Pending>,
    native_deployment: Option<String>,
) -> impl futures::Stream<Item = Bytes> + Send {
    let mut last_sequence: u64 = 0;
    stream.then(move |item| {
        let (bytes, store) = native_event(item, &mut last_sequence, &mut pending);
        let native_deployment = native_deployment.clone();
        async move {
            if let Some((p, response)) = store {
                p.put(response, native_deployment).await;
            }
            bytes
        }
    })
}

/// One upstream event as the client's frame, and what to store before it goes out.
fn native_event(
    item: Result<NativeFrame, Error>,
    last_sequence: &mut u64,
    pending: &mut Option<Pending>,
) -> (Bytes, Option<(Pending, Value)>) {
    match item {
        Ok(frame) => {
            let event = frame.event;
            if let Some(n) = event.data.get("sequence_number").and_then(Value::as_u64) {
                *last_sequence = n;
            }
            let store = if event.is_terminal() {
                pending.take().zip(event.data.get("response").cloned())
            } else {
                None
            };
            (native_frame(&event.name, &event.data), store)
        }
        Err(e) => {
            let data = json!({
                "type": "error",
                "code": e.openai_type(),
                "message": e.client_message(),
                "param": e.param,
                "sequence_number": last_sequence.saturating_add(1),
            });
            (native_frame("error", &data), None)
        }
    }
}

fn native_frame(name: &str, data: &Value) -> Bytes {
    let mut buf = Vec::with_capacity(256);
    buf.extend_from_slice(b"event: ");
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b"\ndata: ");
    if serde_json::to_writer(&mut buf, data).is_err() {
        return Bytes::new();
    }
    buf.extend_from_slice(b"\n\n");
    Bytes::from(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_minted_in_order_so_the_store_appends_them() {
        let ids: Vec<String> = (0..2_000).map(|_| id_base()).collect();
        assert!(ids.iter().all(|id| id.len() == 32), "{:?}", ids.first());
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids out of order");
    }

    #[test]
    fn input_items_get_ids_by_type() {
        let req: ResponsesRequest = serde_json::from_value(json!({"model": "m", "input": [
            {"role": "user", "content": "a"},
            {"type": "function_call_output", "call_id": "c", "output": "x"},
            {"type": "message", "id": "msg_kept", "role": "user", "content": "b"}
        ]}))
        .unwrap();
        let items = input_with_ids(&req, "ab");
        let ids: Vec<_> = items.iter().map(|i| i.id.clone().unwrap()).collect();
        assert_eq!(ids, ["msg_abin00", "fco_abin01", "msg_kept"]);
    }

    #[test]
    fn native_frames_are_named() {
        let b = native_frame("response.created", &json!({"type": "response.created"}));
        assert_eq!(
            &b[..],
            b"event: response.created\ndata: {\"type\":\"response.created\"}\n\n"
        );
    }
}
