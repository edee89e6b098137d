//! Anthropic SSE events → OpenAI chunks, as LiteLLM's `ModelResponseIterator`
//! (`llms/anthropic/chat/handler.py`) and its stream wrapper shape them:
//!
//! - text deltas are `content`; the first chunk also carries `role: assistant`;
//! - a `tool_use` block opens a tool call (OpenAI `index` = the block's rank among
//!   tool uses, with `id` and `name`), its `input_json_delta`s stream the
//!   `arguments` as given (empty ones too), and a block that streamed none closes
//!   with `"{}"`; every piece says `"type": "function"`;
//! - chunks other than the finish chunk carry `content`, `""` when the block has no
//!   text (LiteLLM's relay keeps the empty string);
//! - thinking streams as `reasoning_content` plus `thinking_blocks` (signatures too);
//! - LiteLLM's `json_tool_call` (response_format) streams as `content`;
//! - `message_delta` gives one finish chunk, then a usage chunk with no choices
//!   (the client layer keeps it only when the caller asked for usage);
//! - an `error` event is an error.

use http::StatusCode;
use llmux_types::{
    ChatChunk, ChunkChoice, Delta, Error, ErrorKind, FinishReason, FunctionCallDelta, JsonMap,
    Role, ToolCallDelta, Usage,
};
use serde_json::{Value, json};

use super::error::map_text;
use super::request::RESPONSE_FORMAT_TOOL_NAME;
use super::response::{finish_reason, refusal_fields, usage};
use super::types::{AnthropicBlockDelta, AnthropicContentBlock, AnthropicStreamEvent};
use crate::sse::{SseEvent, SseParser};
use crate::{ParseContext, Provider};

/// What the content block being streamed is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Text,
    /// A tool use, as OpenAI tool call `index`; `args` once arguments streamed.
    ToolUse {
        index: u32,
        args: bool,
    },
    /// LiteLLM's `json_tool_call`: its arguments are the answer text.
    JsonTool {
        args: bool,
    },
    Thinking,
    Other,
}

/// Decodes a Messages API stream into OpenAI chunks. Bytes may be split anywhere.
///
/// The state is boxed so that [`crate::StreamDecoder`] stays small.
#[derive(Debug)]
pub struct AnthropicStreamDecoder {
    state: Box<State>,
}

impl AnthropicStreamDecoder {
    pub fn new(ctx: &ParseContext<'_>) -> Self {
        Self {
            state: Box::new(State::new(ctx)),
        }
    }

    /// Feeds a piece of the body; an unfinished event waits for more.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<ChatChunk>, Error> {
        self.state.sse.feed(bytes, &mut self.state.events)?;
        self.state.drain()
    }

    /// End of body: the last event, or an error if it was cut off (mid-event, or
    /// before `message_delta`/`message_stop`: relaying it would look complete).
    pub fn finish(&mut self) -> Result<Vec<ChatChunk>, Error> {
        self.state.sse.finish(&mut self.state.events)?;
        let chunks = self.state.drain()?;
        if !self.state.finished {
            return Err(Error::new(
                ErrorKind::ApiConnection,
                "Anthropic stream ended before message_stop: the answer was cut off",
            )
            .with_provider("anthropic"));
        }
        Ok(chunks)
    }
}

#[derive(Debug)]
struct State {
    sse: SseParser,
    events: Vec<SseEvent>,
    id: String,
    created: u64,
    model: String,
    role_sent: bool,
    block: Option<Block>,
    /// Tool uses seen so far (the next tool call's index).
    tool_calls: u32,
    /// Thinking blocks seen so far, less one (LiteLLM's `thinking_block_index`).
    thinking_index: i64,
    /// Whether a `json_tool_call` answer was turned into text.
    json_answered: bool,
    /// `message_delta` (with the stop reason) or `message_stop` arrived: the answer is
    /// whole.
    finished: bool,
    /// Usage so far: `message_start`'s, updated by each `message_delta`.
    usage: JsonMap,
    /// An error that ended the stream after chunks the same call still returned.
    failed: Option<Error>,
    reasoning: String,
    web_search_results: Vec<Value>,
    tool_results: Vec<Value>,
}

impl State {
    fn new(ctx: &ParseContext<'_>) -> Self {
        Self {
            sse: SseParser::new(),
            events: Vec::new(),
            id: ctx.response_id.to_owned(),
            created: ctx.created,
            model: String::new(),
            role_sent: false,
            block: None,
            tool_calls: 0,
            thinking_index: -1,
            json_answered: false,
            finished: false,
            usage: JsonMap::new(),
            failed: None,
            reasoning: String::new(),
            web_search_results: Vec::new(),
            tool_results: Vec::new(),
        }
    }

    /// Translates the parsed events. An error comes after the chunks decoded before
    /// it: they are returned first, the error on the next call.
    fn drain(&mut self) -> Result<Vec<ChatChunk>, Error> {
        if let Some(e) = self.failed.take() {
            self.events.clear();
            return Err(e);
        }
        let mut out = Vec::new();
        let events = std::mem::take(&mut self.events);
        for event in events {
            if let Err(e) = self.on_data(event.data.trim(), &mut out) {
                if out.is_empty() {
                    return Err(e);
                }
                self.failed = Some(e);
                break;
            }
        }
        Ok(out)
    }

    fn on_data(&mut self, data: &str, out: &mut Vec<ChatChunk>) -> Result<(), Error> {
        if data.is_empty() {
            return Ok(());
        }
        let parsed: AnthropicStreamEvent = serde_json::from_str(data).map_err(|e| {
            Error::new(
                ErrorKind::Api,
                format!("anthropic sent a stream event llmux cannot read: {e}"),
            )
            .with_provider("anthropic")
        })?;
        self.on_event(parsed, data, out)
    }

    fn on_event(
        &mut self,
        event: AnthropicStreamEvent,
        raw: &str,
        out: &mut Vec<ChatChunk>,
    ) -> Result<(), Error> {
        match event {
            AnthropicStreamEvent::MessageStart { message } => {
                self.model = message.model;
                if let Ok(Value::Object(u)) = serde_json::to_value(&message.usage) {
                    self.usage.extend(u);
                }
            }
            AnthropicStreamEvent::ContentBlockStart { content_block, .. } => {
                self.on_block_start(content_block, out);
            }
            AnthropicStreamEvent::ContentBlockDelta { delta, .. } => self.on_delta(delta, out),
            AnthropicStreamEvent::ContentBlockStop { .. } => {
                match self.block.take() {
                    Some(Block::ToolUse { index, args: false }) => {
                        // LiteLLM closes a call that streamed no arguments with "{}".
                        self.emit(out, tool_delta(index, None, None, "{}"));
                    }
                    Some(Block::JsonTool { args: false }) => {
                        self.emit(out, content("{}"));
                    }
                    _ => {}
                }
            }
            AnthropicStreamEvent::MessageDelta { delta, usage: u } => {
                self.finished = true;
                let mut finish = finish_reason(delta.stop_reason.as_deref());
                if finish == FinishReason::ToolCalls && self.json_answered && self.tool_calls == 0 {
                    finish = FinishReason::Stop;
                }
                let mut d = Delta::default();
                let refusal = refusal_fields(
                    delta.stop_reason.as_deref(),
                    delta.extra.get("stop_details"),
                );
                let mut fields = refusal;
                if let Some(container) = delta.extra.get("container").filter(|c| !c.is_null()) {
                    fields.insert("container".into(), container.clone());
                }
                if !fields.is_empty() {
                    d.extra
                        .insert("provider_specific_fields".into(), Value::Object(fields));
                }
                self.push(out, d, Some(finish));
                if let Some(u) = u
                    && let Ok(Value::Object(u)) = serde_json::to_value(&u)
                {
                    self.usage.extend(u);
                }
                out.push(self.usage_chunk());
            }
            AnthropicStreamEvent::Error { .. } => {
                // The stream cannot carry a status; LiteLLM treats the event as a 500.
                return Err(map_text(
                    Provider::Anthropic,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    raw,
                ));
            }
            AnthropicStreamEvent::MessageStop => self.finished = true,
            AnthropicStreamEvent::Ping | AnthropicStreamEvent::Unknown => {}
        }
        Ok(())
    }

    fn on_block_start(&mut self, block: AnthropicContentBlock, out: &mut Vec<ChatChunk>) {
        match block {
            AnthropicContentBlock::Text(b) => {
                self.block = Some(Block::Text);
                if !b.text.is_empty() {
                    self.emit(out, content(&b.text));
                }
            }
            AnthropicContentBlock::ToolUse(b) => self.start_tool(&b.id, &b.name, out),
            AnthropicContentBlock::Thinking(_) => {
                self.thinking_index += 1;
                self.block = Some(Block::Thinking);
            }
            AnthropicContentBlock::RedactedThinking(b) => {
                self.thinking_index += 1;
                self.block = Some(Block::Other);
                let blocks = vec![
                    json!({"type": "redacted_thinking", "data": b.data, "index": self.thinking_index}),
                ];
                self.emit(out, thinking_delta(None, blocks));
            }
            AnthropicContentBlock::Other(v) => {
                let kind = v.get("type").and_then(Value::as_str).unwrap_or_default();
                let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default();
                if kind == "server_tool_use" {
                    self.start_tool(field("id"), field("name"), out);
                    return;
                }
                self.block = Some(Block::Other);
                let key = if kind == "web_search_tool_result" || kind == "web_fetch_tool_result" {
                    self.web_search_results.push(v.clone());
                    Some((
                        "web_search_results",
                        Value::from(self.web_search_results.clone()),
                    ))
                } else if kind.ends_with("_tool_result") {
                    self.tool_results.push(v.clone());
                    Some(("tool_results", Value::from(self.tool_results.clone())))
                } else {
                    None
                };
                if let Some((key, value)) = key {
                    let mut d = Delta::default();
                    d.extra
                        .insert("provider_specific_fields".into(), json!({ key: value }));
                    self.emit(out, d);
                }
            }
            AnthropicContentBlock::Image(_)
            | AnthropicContentBlock::Document(_)
            | AnthropicContentBlock::ToolResult(_) => self.block = Some(Block::Other),
        }
    }

    fn start_tool(&mut self, id: &str, name: &str, out: &mut Vec<ChatChunk>) {
        if name == RESPONSE_FORMAT_TOOL_NAME {
            self.block = Some(Block::JsonTool { args: false });
            self.json_answered = true;
            return;
        }
        let index = self.tool_calls;
        self.tool_calls += 1;
        self.block = Some(Block::ToolUse { index, args: false });
        self.emit(out, tool_delta(index, Some(id), Some(name), ""));
    }

    fn on_delta(&mut self, delta: AnthropicBlockDelta, out: &mut Vec<ChatChunk>) {
        match delta {
            AnthropicBlockDelta::TextDelta { text } => {
                if !text.is_empty() {
                    self.emit(out, content(&text));
                }
            }
            AnthropicBlockDelta::InputJsonDelta { partial_json } => match &mut self.block {
                // Empty pieces too, as LiteLLM relays them.
                Some(Block::ToolUse { index, args }) => {
                    *args |= !partial_json.is_empty();
                    let index = *index;
                    self.emit(out, tool_delta(index, None, None, &partial_json));
                }
                Some(Block::JsonTool { args }) if !partial_json.is_empty() => {
                    *args = true;
                    self.emit(out, content(&partial_json));
                }
                // Deltas of result blocks (web search) are not tool calls.
                _ => {}
            },
            AnthropicBlockDelta::ThinkingDelta { thinking } => {
                if !thinking.is_empty() {
                    self.reasoning.push_str(&thinking);
                    let block = json!({"type": "thinking", "thinking": thinking, "index": self.thinking_index});
                    self.emit(out, thinking_delta(Some(thinking), vec![block]));
                }
            }
            AnthropicBlockDelta::SignatureDelta { signature } => {
                if !signature.is_empty() {
                    let block = json!({"type": "thinking", "thinking": "", "signature": signature, "index": self.thinking_index});
                    self.emit(out, thinking_delta(Some(String::new()), vec![block]));
                }
            }
            AnthropicBlockDelta::CitationsDelta { citation } => {
                let mut d = Delta::default();
                d.extra.insert(
                    "provider_specific_fields".into(),
                    json!({"citation": citation}),
                );
                self.emit(out, d);
            }
            AnthropicBlockDelta::Unknown => {}
        }
    }

    /// A content chunk (no finish reason).
    fn emit(&mut self, out: &mut Vec<ChatChunk>, delta: Delta) {
        self.push(out, delta, None);
    }

    fn push(&mut self, out: &mut Vec<ChatChunk>, mut delta: Delta, finish: Option<FinishReason>) {
        if finish.is_none() {
            if !self.role_sent {
                delta.role = Some(Role::Assistant);
                self.role_sent = true;
            }
            // LiteLLM's chunks carry the block's text even when it is empty (tool
            // calls, thinking); only the finish chunk's delta is `{}`.
            delta.content.get_or_insert_with(String::new);
        }
        out.push(self.chunk(
            vec![ChunkChoice {
                index: 0,
                delta,
                finish_reason: finish,
                extra: JsonMap::new(),
            }],
            None,
        ));
    }

    /// The usage so far, in a chunk without choices.
    fn usage_chunk(&self) -> ChatChunk {
        let reasoning = (!self.reasoning.is_empty()).then_some(self.reasoning.as_str());
        let u: Usage = usage(&self.usage, reasoning, false);
        self.chunk(Vec::new(), Some(u))
    }

    fn chunk(&self, choices: Vec<ChunkChoice>, usage: Option<Usage>) -> ChatChunk {
        ChatChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk".into(),
            created: self.created,
            model: self.model.clone(),
            choices,
            usage,
            system_fingerprint: None,
            service_tier: None,
            extra: JsonMap::new(),
        }
    }
}

fn content(text: &str) -> Delta {
    Delta {
        content: Some(text.to_owned()),
        ..Delta::default()
    }
}

fn tool_delta(index: u32, id: Option<&str>, name: Option<&str>, arguments: &str) -> Delta {
    Delta {
        tool_calls: Some(vec![ToolCallDelta {
            index,
            id: id.map(str::to_owned),
            // LiteLLM repeats the type on every piece.
            kind: Some("function".to_owned()),
            function: Some(FunctionCallDelta {
                name: name.map(str::to_owned),
                arguments: Some(arguments.to_owned()),
            }),
            extra: JsonMap::new(),
        }]),
        ..Delta::default()
    }
}

fn thinking_delta(reasoning: Option<String>, blocks: Vec<Value>) -> Delta {
    let mut d = Delta {
        reasoning_content: reasoning,
        thinking_blocks: Some(blocks.clone()),
        ..Delta::default()
    };
    d.extra.insert(
        "provider_specific_fields".into(),
        json!({"thinking_blocks": blocks}),
    );
    d
}
