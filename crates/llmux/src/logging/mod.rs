//! LiteLLM's logging callbacks (`litellm_logging.py`, `integrations/`): one
//! [`StandardLoggingPayload`] per request, handed to every configured sink off the
//! request's task.
//!
//! ```text
//! request task:  Logger (a CallHook)
//!   pre_call        ─ message logging on? keep the messages and parameters (ctx)
//!   on_success      ─ whole answers and cache hits ─┐
//!   on_failure      ─ after every retry/fallback    ├▶ payload ─try_send▶ each sink's
//!   on_stream_end   ─ completed, failed, client gone┘   (Arc)             bounded queue
//!                                                                full: dropped, counted
//! sink tasks:   worker ─ batches (size, flush interval) ─▶ Sink::write
//!               json_lines (stdout/file) | prometheus | generic_api (HTTP, retries)
//! ```
//!
//! The hook does no I/O and never waits: what it builds is ids, numbers and the usage;
//! the answer is turned into JSON only when message logging is on.

mod jsonl;
mod payload;
mod queue;
mod settings;

pub mod generic_api;
pub mod otel;
pub mod prometheus;

use std::sync::Arc;

use futures::future::BoxFuture;
use llmux_types::{Error, Usage};
use serde_json::{Map, Value, json};

pub use jsonl::JsonLinesSink;
pub use payload::{
    ErrorInformation, HiddenParams, Metadata, ModelMapInformation, REDACTED,
    StandardLoggingPayload, Status, StatusFields, StreamInfo, UserApiKeyMetadata, unix_secs_ago,
};
pub use queue::{QueueCounters, Sink, SinkQueue, Wants};
pub use settings::{
    CallbackSpec, DEFAULT_QUEUE_SIZE, KNOWN_CALLBACKS, LoggingConfigError, LoggingSettings, Started,
};

use crate::router::{
    CallContext, CallFailure, CallHook, CallSuccess, Entrance, LoggedRequest, PreCall, RequestView,
    RouterDeployment, StreamEnd, StreamStatus,
};

/// The logging hook: builds the payloads and offers them to the sinks' queues.
#[derive(Debug)]
pub struct Logger {
    /// Messages and answers are logged (LiteLLM's default; `turn_off_message_logging`
    /// turns it off).
    message_logging: bool,
    redact_user_api_key_info: bool,
    queues: Vec<SinkQueue>,
}

/// What one event is made of, whichever hook saw it.
struct Parts<'a> {
    status: Status,
    model_group: &'a str,
    deployment: Option<&'a RouterDeployment>,
    usage: Option<&'a Usage>,
    cost: Option<f64>,
    elapsed: std::time::Duration,
    time_to_first_token: Option<std::time::Duration>,
    stream: Option<bool>,
    error: Option<&'a Error>,
    response: Option<Value>,
    stream_info: Option<StreamInfo>,
}

impl Logger {
    pub fn new(
        message_logging: bool,
        redact_user_api_key_info: bool,
        queues: Vec<SinkQueue>,
    ) -> Self {
        Self {
            message_logging,
            redact_user_api_key_info,
            queues,
        }
    }

    /// The sinks' queues (their counters feed `/metrics`).
    pub fn queues(&self) -> &[SinkQueue] {
        &self.queues
    }

    /// Hands every event queued so far to its sink, all sinks at once (at shutdown: a
    /// batch still filling would otherwise be dropped with the runtime).
    pub async fn flush(&self) {
        futures::future::join_all(self.queues.iter().map(SinkQueue::flush)).await;
    }

    fn emit(&self, event: StandardLoggingPayload) {
        let event = Arc::new(event);
        for q in &self.queues {
            q.offer(&event);
        }
    }

    fn payload(&self, ctx: &CallContext, p: Parts<'_>) -> StandardLoggingPayload {
        let start = unix_secs_ago(ctx.started.elapsed());
        let elapsed = p.elapsed.as_secs_f64();
        let end = start + elapsed;
        let first = p
            .time_to_first_token
            .map_or(end, |t| start + t.as_secs_f64());
        let d = p.deployment.map(|d| &d.deployment);
        let provider = d
            .map(|d| d.provider.id().to_owned())
            .or_else(|| p.error.and_then(|e| e.provider.clone()));
        let model = d.map_or_else(|| p.model_group.to_owned(), |d| d.model.clone());
        let api_base = d.and_then(|d| d.api_base.clone());
        let model_id = p.deployment.map(|d| d.id.clone());
        let lookup = ctx.cache.get();
        let cache_hit = lookup.map(|l| l.hit);
        let cache_key = lookup.filter(|l| l.hit).map(|l| l.key.clone());
        let usage = p.usage.cloned();
        let (prompt, completion, total) = usage.as_ref().map_or((0, 0, 0), |u| {
            let total = if u.total_tokens > 0 {
                u.total_tokens
            } else {
                u.prompt_tokens.saturating_add(u.completion_tokens)
            };
            (u.prompt_tokens, u.completion_tokens, total)
        });
        let logged = ctx.logged_request.get();
        let (messages, model_parameters, response) = if self.message_logging {
            (
                logged.map(|l| l.messages.clone()),
                logged
                    .map(|l| l.model_parameters.clone())
                    .unwrap_or_default(),
                p.response,
            )
        } else {
            (
                Some(json!([{"role": "user", "content": REDACTED}])),
                Map::new(),
                (p.status == Status::Success).then(|| json!({"text": REDACTED})),
            )
        };
        let stream = p.stream.or(logged.map(|l| l.stream));
        let request_metadata = ctx.metadata().cloned();
        let grant = ctx.grant.get();
        let user_api_key = (!self.redact_user_api_key_info).then(|| UserApiKeyMetadata {
            user_api_key_hash: grant.map(|g| g.token.clone()),
            user_api_key_team_id: grant.and_then(|g| g.team_id.clone()),
            user_api_key_user_id: grant.and_then(|g| g.user_id.clone()),
            user_api_key_end_user_id: ctx.user.clone(),
            user_api_key_request_route: Some(route(ctx.entrance).to_owned()),
            ..UserApiKeyMetadata::default()
        });
        let cost_debug = (p.status == Status::Success && p.cost.is_none() && cache_hit != Some(true))
            .then(|| {
                json!({
                    "error_str": format!("no price for model={model} in the model registry or the deployment's model_info"),
                    "traceback_str": "",
                    "model": model,
                    "cache_hit": cache_hit,
                    "custom_llm_provider": provider,
                    "base_model": p.deployment.and_then(|d| d.base_model.clone()),
                    "call_type": ctx.entrance.call_type(),
                })
            });
        StandardLoggingPayload {
            id: ctx.call_id.clone(),
            trace_id: ctx.call_id.clone(),
            litellm_call_id: Some(ctx.call_id.clone()),
            call_type: ctx.entrance.call_type(),
            stream,
            response_cost: p.cost.unwrap_or(0.0),
            response_cost_failure_debug_info: cost_debug,
            status: p.status,
            status_fields: StatusFields {
                llm_api_status: p.status,
                guardrail_status: "not_run",
            },
            custom_llm_provider: provider,
            total_tokens: total,
            prompt_tokens: prompt,
            completion_tokens: completion,
            start_time: start,
            end_time: end,
            completion_start_time: first,
            response_time: elapsed,
            model_map_information: ModelMapInformation {
                model_map_key: p
                    .deployment
                    .and_then(|d| d.base_model.clone())
                    .unwrap_or_else(|| model.clone()),
                model_map_value: d.and_then(|d| d.model_info.clone()),
            },
            model: model.clone(),
            model_id: model_id.clone(),
            model_group: Some(p.model_group.to_owned()),
            api_base: api_base.clone().unwrap_or_default(),
            metadata: Metadata {
                user_api_key,
                spend_logs_metadata: request_metadata
                    .as_ref()
                    .and_then(|m| m.get("spend_logs_metadata"))
                    .cloned(),
                requester_metadata: request_metadata,
                usage_object: usage.clone(),
                team_id: grant.and_then(|g| g.team_id.clone()),
                ..Metadata::default()
            },
            cache_hit,
            cache_key: cache_key.clone(),
            saved_cache_cost: 0.0,
            request_tags: ctx.tags().to_vec(),
            end_user: ctx.user.clone(),
            requester_ip_address: None,
            user_agent: None,
            messages,
            response,
            error_str: p.error.map(|e| e.message.clone()),
            error_information: p.error.map(ErrorInformation::of),
            model_parameters,
            hidden_params: HiddenParams {
                model_id,
                cache_key,
                api_base,
                response_cost: p.cost,
                litellm_model_name: Some(model),
                usage_object: usage.clone(),
                ..HiddenParams::default()
            },
            llmux_stream: p.stream_info,
            usage,
            time_to_first_token: p.time_to_first_token,
        }
    }
}

/// LiteLLM's route for an entrance (`user_api_key_request_route`).
fn route(e: Entrance) -> &'static str {
    match e {
        Entrance::ChatCompletions => "/chat/completions",
        Entrance::Completions => "/completions",
        Entrance::Embeddings => "/embeddings",
        Entrance::Messages => "/v1/messages",
        Entrance::CountTokens => "/v1/messages/count_tokens",
        Entrance::Responses => "/v1/responses",
        Entrance::Library => "",
        Entrance::Admin => "",
    }
}

/// The request's loggable part: `messages` (or `prompt`, `input`) and the other
/// parameters.
fn logged_request(request: RequestView<'_>) -> Option<LoggedRequest> {
    let (mut params, input_key, stream) = match request {
        RequestView::Chat(r) => (to_map(r)?, "messages", r.is_stream()),
        RequestView::Completion(r) => (to_map(r)?, "prompt", r.stream == Some(true)),
        RequestView::Embedding(r) => (to_map(r)?, "input", false),
        RequestView::Messages(m) => {
            let s = m.get("stream").and_then(Value::as_bool) == Some(true);
            (m.clone(), "messages", s)
        }
        RequestView::Responses(m) => {
            let s = m.get("stream").and_then(Value::as_bool) == Some(true);
            (m.clone(), "input", s)
        }
    };
    let messages = params.remove(input_key).unwrap_or(Value::Null);
    params.remove("model");
    params.remove("stream");
    Some(LoggedRequest {
        messages,
        model_parameters: params,
        stream,
    })
}

fn to_map<T: serde::Serialize>(r: &T) -> Option<Map<String, Value>> {
    match serde_json::to_value(r) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// A completed stream's events put back together as one chat completion (content, the
/// last usage, finish reasons), as LiteLLM logs `complete_streaming_response`. Events
/// that are not chat chunks (a `/v1/messages` or `/v1/responses` stream) are logged as
/// the list they were.
fn assemble(events: &[Value]) -> Value {
    let chunks = events
        .iter()
        .all(|e| e.get("object").and_then(Value::as_str) == Some("chat.completion.chunk"));
    if !chunks || events.is_empty() {
        return Value::Array(events.to_vec());
    }
    let mut contents: Vec<(String, Option<Value>)> = Vec::new();
    let mut usage = Value::Null;
    for e in events {
        if let Some(u) = e.get("usage").filter(|u| !u.is_null()) {
            usage = u.clone();
        }
        for c in e
            .get("choices")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let i = c.get("index").and_then(Value::as_u64).unwrap_or(0);
            let Ok(i) = usize::try_from(i) else { continue };
            if i > 64 {
                continue;
            }
            if contents.len() <= i {
                contents.resize(i.saturating_add(1), (String::new(), None));
            }
            let Some(slot) = contents.get_mut(i) else {
                continue;
            };
            if let Some(t) = c.pointer("/delta/content").and_then(Value::as_str) {
                slot.0.push_str(t);
            }
            if let Some(f) = c.get("finish_reason").filter(|f| !f.is_null()) {
                slot.1 = Some(f.clone());
            }
        }
    }
    let first = events.first();
    let field = |k: &str| first.and_then(|e| e.get(k)).cloned().unwrap_or(Value::Null);
    let choices: Vec<Value> = contents
        .into_iter()
        .enumerate()
        .map(|(i, (content, finish))| {
            json!({
                "index": i,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish,
            })
        })
        .collect();
    json!({
        "id": field("id"),
        "object": "chat.completion",
        "created": field("created"),
        "model": field("model"),
        "choices": choices,
        "usage": usage,
    })
}

impl CallHook for Logger {
    fn pre_call<'a>(
        &'a self,
        ctx: &'a CallContext,
        request: RequestView<'a>,
    ) -> BoxFuture<'a, PreCall> {
        if self.message_logging
            && let Some(logged) = logged_request(request)
        {
            let _ = ctx.logged_request.set(Arc::new(logged));
        }
        Box::pin(std::future::ready(PreCall::Continue))
    }

    fn on_success(&self, ctx: &CallContext, s: &CallSuccess<'_>) {
        let hit = ctx.cache.get().is_some_and(|l| l.hit);
        let stream = s.answer.is_stream();
        // A stream is logged when it ends; a replayed one (a cache hit) has no end event.
        if stream && !hit {
            return;
        }
        let response = if self.message_logging {
            s.answer.to_json()
        } else {
            None
        };
        let event = self.payload(
            ctx,
            Parts {
                status: Status::Success,
                model_group: s.model_group,
                deployment: s.deployment,
                usage: s.usage,
                cost: s.cost,
                elapsed: s.elapsed,
                time_to_first_token: None,
                stream: Some(stream),
                error: None,
                response,
                stream_info: None,
            },
        );
        self.emit(event);
    }

    fn on_failure(&self, ctx: &CallContext, f: &CallFailure<'_>) {
        let event = self.payload(
            ctx,
            Parts {
                status: Status::Failure,
                model_group: f.model_group,
                deployment: None,
                usage: None,
                cost: None,
                elapsed: ctx.started.elapsed(),
                time_to_first_token: None,
                stream: None,
                error: Some(f.error),
                response: None,
                stream_info: None,
            },
        );
        self.emit(event);
    }

    fn collects_stream(&self, _ctx: &CallContext) -> bool {
        self.message_logging
    }

    fn on_stream_end(&self, ctx: &CallContext, end: &StreamEnd) {
        let (status, error, label) = match &end.status {
            StreamStatus::Completed => (Status::Success, None, "completed"),
            // The client had its answer started (a 200): what it got is a success,
            // marked as cut short.
            StreamStatus::ClientGone => (Status::Success, None, "client_gone"),
            StreamStatus::Failed(e) => (Status::Failure, Some(e), "failed"),
        };
        let response = if self.message_logging {
            end.streamed.as_deref().map(assemble)
        } else {
            None
        };
        let event = self.payload(
            ctx,
            Parts {
                status,
                model_group: &end.model_group,
                deployment: end.deployment.as_deref(),
                usage: end.usage.as_ref(),
                cost: end.cost,
                elapsed: end.elapsed,
                time_to_first_token: end.time_to_first_token,
                stream: Some(true),
                error,
                response,
                stream_info: Some(StreamInfo {
                    end: label,
                    events: end.events,
                }),
            },
        );
        self.emit(event);
    }
}

#[cfg(test)]
mod tests;
