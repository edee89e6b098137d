//! Responses stream events → chat chunks, as LiteLLM's
//! `OpenAiResponsesToChatCompletionStreamIterator`: text and reasoning-summary deltas,
//! tool calls numbered in the order they start, a finish chunk and a usage chunk at the
//! terminal event. Events with nothing for chat (`content_part.added`, `.done`s) make
//! no chunk.

use llmux_types::{
    ChatChunk, ChunkChoice, Delta, Error, ErrorKind, FinishReason, FunctionCallDelta, JsonMap,
    ResponseItem, Role, ToolCallDelta, Usage,
};
use serde_json::Value;

use super::response::{Object, finish_reason, tool_call};
use crate::ParseContext;
use crate::responses_api::{NativeEvent, NativeStreamDecoder, chat_usage};

/// Decodes a `/v1/responses` SSE body, fed in pieces split anywhere, into chat chunks.
#[derive(Debug)]
pub struct ResponsesChatStreamDecoder {
    events: NativeStreamDecoder,
    id: String,
    model: String,
    created: u64,
    /// `output_index` of each tool call, in the order they started, and whether its
    /// arguments have been sent.
    calls: Vec<(u64, bool)>,
    ended: bool,
}

impl ResponsesChatStreamDecoder {
    pub fn new(ctx: &ParseContext<'_>) -> Self {
        Self {
            events: NativeStreamDecoder::new(),
            id: ctx.response_id.to_owned(),
            model: String::new(),
            created: ctx.created,
            calls: Vec::new(),
            ended: false,
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<ChatChunk>, Error> {
        let events = self.events.feed(bytes)?;
        self.translate(events)
    }

    /// End of body: an error if the stream stopped before its terminal event.
    pub fn finish(&mut self) -> Result<Vec<ChatChunk>, Error> {
        let events = self.events.finish()?;
        let out = self.translate(events)?;
        if !self.ended {
            return Err(Error::new(
                ErrorKind::Api,
                "the Responses stream ended before response.completed",
            )
            .with_provider("openai"));
        }
        Ok(out)
    }

    fn translate(&mut self, events: Vec<NativeEvent>) -> Result<Vec<ChatChunk>, Error> {
        let mut out = Vec::new();
        for event in events {
            self.event(event, &mut out)?;
        }
        Ok(out)
    }

    fn event(&mut self, event: NativeEvent, out: &mut Vec<ChatChunk>) -> Result<(), Error> {
        let data = &event.data;
        let str_of = |key: &str| data.get(key).and_then(Value::as_str);
        let output_index = data
            .get("output_index")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        match event.name.as_str() {
            "response.created" => {
                if let Some(r) = data.get("response") {
                    if let Some(id) = r.get("id").and_then(Value::as_str) {
                        id.clone_into(&mut self.id);
                    }
                    if let Some(model) = r.get("model").and_then(Value::as_str) {
                        model.clone_into(&mut self.model);
                    }
                    if let Some(t) = r.get("created_at").and_then(Value::as_u64) {
                        self.created = t;
                    }
                }
                let delta = Delta {
                    role: Some(Role::Assistant),
                    content: Some(String::new()),
                    ..Delta::default()
                };
                out.push(self.chunk(delta, None));
            }
            "response.output_text.delta" => {
                if let Some(text) = str_of("delta") {
                    out.push(self.content(text.to_owned()));
                }
            }
            "response.reasoning_summary_text.delta" => {
                if let Some(text) = str_of("delta").filter(|t| !t.is_empty()) {
                    let delta = Delta {
                        reasoning_content: Some(text.to_owned()),
                        ..Delta::default()
                    };
                    out.push(self.chunk(delta, None));
                }
            }
            "response.output_item.added" => {
                if let Some(item) = call_item(data) {
                    let call = tool_call(&item);
                    let index = self.call_index(output_index);
                    let sent = !call.function.arguments.is_empty();
                    self.mark(index, sent);
                    out.push(self.tool_delta(
                        index,
                        Some(call.id),
                        Some(call.function.name),
                        call.function.arguments,
                    ));
                }
            }
            "response.function_call_arguments.delta" | "response.custom_tool_call_input.delta" => {
                if let Some(delta) = str_of("delta").filter(|d| !d.is_empty()) {
                    let index = self.call_index(output_index);
                    self.mark(index, true);
                    out.push(self.tool_delta(index, None, None, delta.to_owned()));
                }
            }
            "response.output_item.done" => {
                // Arguments that came only whole, at the end.
                if let Some(item) = call_item(data) {
                    let index = self.call_index(output_index);
                    let call = tool_call(&item);
                    if !self.sent(index) && !call.function.arguments.is_empty() {
                        self.mark(index, true);
                        out.push(self.tool_delta(index, None, None, call.function.arguments));
                    }
                }
            }
            "response.completed" | "response.incomplete" => {
                self.ended = true;
                let object: Object = data
                    .get("response")
                    .map(|r| serde_json::from_value(r.clone()))
                    .transpose()
                    .map_err(|e| bad_event(&event.name, &e))?
                    .unwrap_or(Object::default());
                let mut reason = finish_reason(&object);
                let has_calls = !self.calls.is_empty()
                    || object.output.iter().any(|i| {
                        matches!(
                            i.item_type(),
                            llmux_types::ItemType::FunctionCall
                                | llmux_types::ItemType::CustomToolCall
                        )
                    });
                if reason == FinishReason::Stop && has_calls {
                    reason = FinishReason::ToolCalls;
                }
                out.push(self.chunk(Delta::default(), Some(reason)));
                let usage = object.usage.as_ref().map(chat_usage).unwrap_or_default();
                out.push(self.usage_chunk(usage));
            }
            "response.failed" => {
                self.ended = true;
                let error = data.get("response").and_then(|r| r.get("error"));
                return Err(upstream_error(error));
            }
            "error" => {
                self.ended = true;
                return Err(upstream_error(Some(data)));
            }
            _ => {}
        }
        Ok(())
    }

    fn call_index(&mut self, output_index: u64) -> usize {
        match self.calls.iter().position(|(o, _)| *o == output_index) {
            Some(i) => i,
            None => {
                self.calls.push((output_index, false));
                self.calls.len().saturating_sub(1)
            }
        }
    }

    fn mark(&mut self, index: usize, sent: bool) {
        if let Some(c) = self.calls.get_mut(index) {
            c.1 |= sent;
        }
    }

    fn sent(&self, index: usize) -> bool {
        self.calls.get(index).is_some_and(|c| c.1)
    }

    fn content(&self, text: String) -> ChatChunk {
        let delta = Delta {
            content: Some(text),
            ..Delta::default()
        };
        self.chunk(delta, None)
    }

    fn tool_delta(
        &self,
        index: usize,
        id: Option<String>,
        name: Option<String>,
        arguments: String,
    ) -> ChatChunk {
        let delta = Delta {
            tool_calls: Some(vec![ToolCallDelta {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                id,
                kind: Some("function".into()),
                function: Some(FunctionCallDelta {
                    name: name.filter(|n| !n.is_empty()),
                    arguments: Some(arguments),
                }),
                ..ToolCallDelta::default()
            }]),
            ..Delta::default()
        };
        self.chunk(delta, None)
    }

    fn chunk(&self, delta: Delta, finish_reason: Option<FinishReason>) -> ChatChunk {
        ChatChunk {
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                finish_reason,
                extra: JsonMap::new(),
            }],
            ..self.usage_chunk_shell()
        }
    }

    fn usage_chunk(&self, usage: Usage) -> ChatChunk {
        ChatChunk {
            usage: Some(usage),
            ..self.usage_chunk_shell()
        }
    }

    fn usage_chunk_shell(&self) -> ChatChunk {
        ChatChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk".into(),
            created: self.created,
            model: self.model.clone(),
            choices: Vec::new(),
            usage: None,
            system_fingerprint: None,
            service_tier: None,
            extra: JsonMap::new(),
        }
    }
}

/// The event's `item`, if it is a (custom) tool call.
fn call_item(data: &Value) -> Option<ResponseItem> {
    let item = data.get("item")?;
    match item.get("type").and_then(Value::as_str) {
        Some("function_call" | "custom_tool_call") => serde_json::from_value(item.clone()).ok(),
        _ => None,
    }
}

fn bad_event(name: &str, e: &serde_json::Error) -> Error {
    Error::new(
        ErrorKind::Api,
        format!("upstream sent a {name} event llmux cannot read: {e}"),
    )
    .with_provider("openai")
}

/// A `response.failed` or `error` event as the typed error.
fn upstream_error(error: Option<&Value>) -> Error {
    let message = error
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("the upstream's Responses stream failed");
    let code = error.and_then(|e| e.get("code")).and_then(Value::as_str);
    let kind = match code {
        Some("rate_limit_exceeded") => ErrorKind::RateLimit,
        Some("context_length_exceeded") => ErrorKind::ContextWindowExceeded,
        _ => ErrorKind::Api,
    };
    Error::new(kind, message.to_owned()).with_provider("openai")
}
