//! Canonical stream chunks → Anthropic Messages stream events (the state machine of
//! LiteLLM's `AnthropicStreamWrapper`).
//!
//! ```text
//! message_start                                   (at once, usage zero)
//! content_block_start(i) content_block_delta(i)* content_block_stop(i)   per block
//! message_delta {stop_reason, usage}  message_stop                       at the end
//! ```
//!
//! Blocks follow the payload: `reasoning_content`/`thinking_blocks` open a `thinking`
//! block (`thinking_delta`, then `signature_delta`), text a `text` block, each new tool
//! call (a new `index` with an id or a name) a `tool_use` block fed by `input_json_delta`.
//! A change of kind closes the open block first. A stream that carried nothing still
//! gets one empty text block, as LiteLLM sends it.

use llmux_types::{ChatChunk, Delta, Error, JsonMap, ToolCallDelta};
use serde_json::Value;

use super::response::{refusal, stop_reason, tool_use_id, usage_delta};
use super::tool_names::ToolNames;
use crate::anthropic::types::{
    AnthropicBlockDelta, AnthropicContentBlock, AnthropicDeltaUsage, AnthropicErrorDetail,
    AnthropicMessageDelta, AnthropicRedactedThinkingBlock, AnthropicResponse, AnthropicRole,
    AnthropicStreamEvent, AnthropicTextBlock, AnthropicThinkingBlock, AnthropicToolUseBlock,
    AnthropicUsage,
};

/// The kind of the block being streamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    Text,
    Thinking,
    ToolUse,
}

/// Turns one chat stream into Anthropic events. Pure: ids come in, nothing is read from
/// the clock or a random source.
#[derive(Debug)]
pub struct MessagesStreamEncoder {
    message_id: String,
    model: String,
    tool_names: ToolNames,
    /// Index of the open block, or of the next one when none is open.
    index: usize,
    open: Option<BlockKind>,
    /// A block was opened at some point.
    any_block: bool,
    /// The open thinking block got its signature: more thinking starts a new block.
    thinking_signed: bool,
    /// The OpenAI `index` of the tool call streaming into the open `tool_use` block.
    live_tool: Option<u32>,
    /// Tool calls opened so far (for ids the upstream left out).
    tools_opened: usize,
    stop_reason: Option<&'static str>,
    refused: bool,
    usage: Option<AnthropicDeltaUsage>,
    finished: bool,
}

impl MessagesStreamEncoder {
    /// An encoder for message `message_id` (`msg_…`) reporting `model`. `tool_names`
    /// restores tool names shortened for the upstream.
    pub fn new(
        message_id: impl Into<String>,
        model: impl Into<String>,
        tool_names: ToolNames,
    ) -> Self {
        Self {
            message_id: message_id.into(),
            model: model.into(),
            tool_names,
            index: 0,
            open: None,
            any_block: false,
            thinking_signed: false,
            live_tool: None,
            tools_opened: 0,
            stop_reason: None,
            refused: false,
            usage: None,
            finished: false,
        }
    }

    /// The `message_start` event, sent before anything else. Its usage is zero, with the
    /// cache fields present (clients such as Claude Code read them as "caching works").
    pub fn start(&self) -> AnthropicStreamEvent {
        AnthropicStreamEvent::MessageStart {
            message: AnthropicResponse {
                id: self.message_id.clone(),
                kind: "message".into(),
                role: AnthropicRole::Assistant,
                model: self.model.clone(),
                content: Vec::new(),
                stop_reason: None,
                stop_sequence: None,
                usage: AnthropicUsage {
                    cache_creation_input_tokens: Some(0),
                    cache_read_input_tokens: Some(0),
                    ..AnthropicUsage::default()
                },
                extra: JsonMap::new(),
            },
        }
    }

    /// The events one chunk completes.
    pub fn push(&mut self, chunk: &ChatChunk) -> Vec<AnthropicStreamEvent> {
        let mut out = Vec::new();
        if self.finished {
            return out;
        }
        if let Some(u) = &chunk.usage {
            self.usage = Some(usage_delta(u));
        }
        // One message: the first choice (Anthropic has no `n`).
        let Some(choice) = chunk.choices.iter().find(|c| c.index == 0) else {
            return out;
        };
        self.thinking(&choice.delta, &mut out);
        self.text(&choice.delta, &mut out);
        for call in choice.delta.tool_calls.iter().flatten() {
            self.tool_call(call, &mut out);
        }
        if let Some(finish) = &choice.finish_reason {
            self.stop_reason = Some(stop_reason(finish));
            if !self.any_block {
                self.open_block(BlockKind::Text, text_start(), &mut out);
            }
            self.close(&mut out);
        }
        out
    }

    /// End of the upstream stream: closes the open block, then `message_delta` (stop
    /// reason and usage) and `message_stop`.
    pub fn finish(&mut self) -> Vec<AnthropicStreamEvent> {
        let mut out = Vec::new();
        if self.finished {
            return out;
        }
        self.finished = true;
        if !self.any_block {
            self.open_block(BlockKind::Text, text_start(), &mut out);
        }
        self.close(&mut out);
        let stop = match self.stop_reason {
            Some(stop) if self.refused && stop != "max_tokens" => Some("refusal"),
            stop => stop,
        };
        out.push(AnthropicStreamEvent::MessageDelta {
            delta: AnthropicMessageDelta {
                stop_reason: stop.map(str::to_owned),
                ..AnthropicMessageDelta::default()
            },
            usage: Some(self.usage.take().unwrap_or_else(|| AnthropicDeltaUsage {
                input_tokens: Some(0),
                output_tokens: Some(0),
                ..AnthropicDeltaUsage::default()
            })),
        });
        out.push(AnthropicStreamEvent::MessageStop);
        out
    }

    fn thinking(&mut self, d: &Delta, out: &mut Vec<AnthropicStreamEvent>) {
        let blocks = d.thinking_blocks.as_deref().unwrap_or_default();
        let of_type = |kind: &'static str| {
            blocks
                .iter()
                .filter(move |b| b.get("type").and_then(Value::as_str) == Some(kind))
        };
        let field =
            |b: &Value, key: &str| b.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
        let signature: String = of_type("thinking").map(|b| field(b, "signature")).collect();
        let reasoning = d.reasoning_content.clone().unwrap_or_default();
        // A signed block repeats the text already streamed: only its signature is new
        // (LiteLLM suppresses the snapshot the same way).
        if !signature.is_empty() {
            self.ensure_open(BlockKind::Thinking, out);
            out.push(self.delta(AnthropicBlockDelta::SignatureDelta { signature }));
            self.thinking_signed = true;
        } else {
            let text = if reasoning.is_empty() {
                of_type("thinking").map(|b| field(b, "thinking")).collect()
            } else {
                reasoning
            };
            if !text.is_empty() {
                self.ensure_open(BlockKind::Thinking, out);
                out.push(self.delta(AnthropicBlockDelta::ThinkingDelta { thinking: text }));
            }
        }
        for redacted in of_type("redacted_thinking") {
            self.close(out);
            let block = AnthropicContentBlock::RedactedThinking(AnthropicRedactedThinkingBlock {
                data: field(redacted, "data"),
                ..AnthropicRedactedThinkingBlock::default()
            });
            // Opened and closed at once: redacted thinking has no deltas.
            self.open_block(BlockKind::Thinking, block, out);
            self.close(out);
        }
    }

    fn text(&mut self, d: &Delta, out: &mut Vec<AnthropicStreamEvent>) {
        let mut text = d.content.clone().unwrap_or_default();
        if let Some(refused) = refusal(&d.extra) {
            self.refused = true;
            text.push_str(refused);
        }
        if !text.is_empty() {
            self.ensure_open(BlockKind::Text, out);
            out.push(self.delta(AnthropicBlockDelta::TextDelta { text }));
        }
    }

    fn tool_call(&mut self, call: &ToolCallDelta, out: &mut Vec<AnthropicStreamEvent>) {
        let name = call.function.as_ref().and_then(|f| f.name.as_deref());
        let names_a_call = call.id.as_deref().is_some_and(|i| !i.is_empty())
            || name.is_some_and(|n| !n.is_empty());
        let streaming_this =
            self.open == Some(BlockKind::ToolUse) && self.live_tool == Some(call.index);
        // A nameless piece of a call that is not the open one still belongs to the open
        // tool block (interleaved calls are not something providers send).
        if !streaming_this && (names_a_call || self.open != Some(BlockKind::ToolUse)) {
            self.close(out);
            self.tools_opened += 1;
            let id = match call.id.as_deref().filter(|i| !i.is_empty()) {
                Some(id) => tool_use_id(id),
                None => format!(
                    "{}_tool_{}",
                    tool_use_id(&self.message_id),
                    self.tools_opened
                ),
            };
            let block = AnthropicContentBlock::ToolUse(AnthropicToolUseBlock {
                id,
                name: self.tool_names.original(name.unwrap_or("")).to_owned(),
                input: Value::Object(JsonMap::new()),
                ..AnthropicToolUseBlock::default()
            });
            self.open_block(BlockKind::ToolUse, block, out);
            self.live_tool = Some(call.index);
        }
        let arguments = call.function.as_ref().and_then(|f| f.arguments.as_deref());
        if let Some(partial_json) = arguments.filter(|a| !a.is_empty()) {
            out.push(self.delta(AnthropicBlockDelta::InputJsonDelta {
                partial_json: partial_json.to_owned(),
            }));
        }
    }

    /// Opens a block of `kind` unless one is open (a signed thinking block counts as done).
    fn ensure_open(&mut self, kind: BlockKind, out: &mut Vec<AnthropicStreamEvent>) {
        let reusable =
            self.open == Some(kind) && !(kind == BlockKind::Thinking && self.thinking_signed);
        if reusable {
            return;
        }
        self.close(out);
        let start = match kind {
            BlockKind::Text => text_start(),
            BlockKind::Thinking => AnthropicContentBlock::Thinking(AnthropicThinkingBlock {
                signature: Some(String::new()),
                ..AnthropicThinkingBlock::default()
            }),
            BlockKind::ToolUse => AnthropicContentBlock::ToolUse(AnthropicToolUseBlock::default()),
        };
        self.open_block(kind, start, out);
    }

    fn open_block(
        &mut self,
        kind: BlockKind,
        content_block: AnthropicContentBlock,
        out: &mut Vec<AnthropicStreamEvent>,
    ) {
        out.push(AnthropicStreamEvent::ContentBlockStart {
            index: self.index,
            content_block,
        });
        self.open = Some(kind);
        self.any_block = true;
        self.thinking_signed = false;
    }

    fn close(&mut self, out: &mut Vec<AnthropicStreamEvent>) {
        if self.open.take().is_some() {
            out.push(AnthropicStreamEvent::ContentBlockStop { index: self.index });
            self.index += 1;
            self.live_tool = None;
        }
    }

    fn delta(&self, delta: AnthropicBlockDelta) -> AnthropicStreamEvent {
        AnthropicStreamEvent::ContentBlockDelta {
            index: self.index,
            delta,
        }
    }
}

fn text_start() -> AnthropicContentBlock {
    AnthropicContentBlock::Text(AnthropicTextBlock::default())
}

/// The `error` event a stream ends with when the upstream fails mid-way.
pub fn error_event(err: &Error) -> AnthropicStreamEvent {
    let body = err.anthropic_body();
    let text = |key: &str| body["error"][key].as_str().unwrap_or_default().to_owned();
    AnthropicStreamEvent::Error {
        error: AnthropicErrorDetail {
            kind: text("type"),
            message: text("message"),
            extra: JsonMap::new(),
        },
    }
}

/// The SSE `event:` name of an event (its `type`).
pub fn event_name(event: &AnthropicStreamEvent) -> &'static str {
    match event {
        AnthropicStreamEvent::MessageStart { .. } => "message_start",
        AnthropicStreamEvent::ContentBlockStart { .. } => "content_block_start",
        AnthropicStreamEvent::ContentBlockDelta { .. } => "content_block_delta",
        AnthropicStreamEvent::ContentBlockStop { .. } => "content_block_stop",
        AnthropicStreamEvent::MessageDelta { .. } => "message_delta",
        AnthropicStreamEvent::MessageStop => "message_stop",
        AnthropicStreamEvent::Ping => "ping",
        AnthropicStreamEvent::Error { .. } => "error",
        AnthropicStreamEvent::Unknown => "unknown",
    }
}

/// Appends `event: <type>\ndata: <json>\n\n` to `buf`.
pub fn write_sse_event(event: &AnthropicStreamEvent, buf: &mut Vec<u8>) -> Result<(), Error> {
    let start = buf.len();
    buf.extend_from_slice(b"event: ");
    buf.extend_from_slice(event_name(event).as_bytes());
    buf.extend_from_slice(b"\ndata: ");
    if let Err(e) = serde_json::to_writer(&mut *buf, event) {
        buf.truncate(start);
        return Err(Error::new(
            llmux_types::ErrorKind::InternalServer,
            format!("cannot encode stream event: {e}"),
        ));
    }
    buf.extend_from_slice(b"\n\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chunk(choices: Value, usage: Value) -> ChatChunk {
        serde_json::from_value(json!({
            "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
            "model": "gpt-4o-mini", "choices": choices, "usage": usage
        }))
        .unwrap()
    }

    fn delta(d: Value) -> ChatChunk {
        chunk(json!([{"index": 0, "delta": d}]), Value::Null)
    }

    fn finish(reason: &str) -> ChatChunk {
        chunk(
            json!([{"index": 0, "delta": {}, "finish_reason": reason}]),
            Value::Null,
        )
    }

    fn usage() -> ChatChunk {
        chunk(
            json!([{"index": 0, "delta": {}}]),
            json!({"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}),
        )
    }

    /// Every event of a whole stream, as JSON.
    fn encode(chunks: &[ChatChunk]) -> Vec<Value> {
        let mut enc = MessagesStreamEncoder::new("msg_test", "alias", ToolNames::default());
        let mut events = vec![enc.start()];
        for c in chunks {
            events.extend(enc.push(c));
        }
        events.extend(enc.finish());
        events
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect()
    }

    #[test]
    fn text_stream_is_one_text_block() {
        let events = encode(&[
            delta(json!({"role": "assistant", "content": ""})),
            delta(json!({"content": "Hello"})),
            delta(json!({"content": "! How can"})),
            delta(json!({"content": " I help you today?"})),
            finish("stop"),
            usage(),
        ]);
        insta::assert_json_snapshot!(events);
    }

    #[test]
    fn tool_call_stream_becomes_text_then_tool_use() {
        let events = encode(&[
            delta(json!({"role": "assistant", "content": "Let me look."})),
            delta(
                json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                "function": {"name": "get_weather", "arguments": ""}}]}),
            ),
            delta(json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]})),
            delta(json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]})),
            delta(
                json!({"tool_calls": [{"index": 1, "id": "call_2", "type": "function",
                "function": {"name": "get_time", "arguments": "{}"}}]}),
            ),
            finish("tool_calls"),
            usage(),
        ]);
        insta::assert_json_snapshot!(events);
    }

    #[test]
    fn thinking_then_text_then_signature_order() {
        let events = encode(&[
            delta(json!({"reasoning_content": "Let me think",
                "thinking_blocks": [{"type": "thinking", "thinking": "Let me think"}]})),
            delta(
                json!({"thinking_blocks": [{"type": "thinking", "thinking": "", "signature": "sig=="}]}),
            ),
            delta(json!({"thinking_blocks": [{"type": "redacted_thinking", "data": "opaque"}]})),
            delta(json!({"content": "Answer"})),
            finish("stop"),
        ]);
        insta::assert_json_snapshot!(events);
    }

    #[test]
    fn one_chunk_with_content_tools_and_finish_is_split_in_order() {
        let events = encode(&[chunk(
            json!([{"index": 0, "finish_reason": "tool_calls", "delta": {
            "role": "assistant", "content": "Two calls.",
            "tool_calls": [
                {"index": 0, "id": "a:1", "type": "function", "function": {"name": "f", "arguments": "{\"x\": 1}"}},
                {"index": 1, "id": "b", "type": "function", "function": {"name": "g", "arguments": "{}"}}
            ]}}]),
            json!({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7,
                   "prompt_tokens_details": {"cached_tokens": 1}}),
        )]);
        let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "message_start",
                "content_block_start",
                "content_block_delta",
                "content_block_stop",
                "content_block_start",
                "content_block_delta",
                "content_block_stop",
                "content_block_start",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
        assert_eq!(events[4]["content_block"]["id"], "a_1");
        assert_eq!(events[7]["index"], 2);
        assert_eq!(events[10]["delta"]["stop_reason"], "tool_use");
        assert_eq!(
            events[10]["usage"],
            json!({"input_tokens": 2, "output_tokens": 4, "cache_read_input_tokens": 1})
        );
    }

    #[test]
    fn an_empty_stream_still_has_one_empty_text_block() {
        let events = encode(&[delta(json!({"role": "assistant"})), finish("length")]);
        let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "message_start",
                "content_block_start",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
        assert_eq!(events[3]["delta"]["stop_reason"], "max_tokens");
        assert_eq!(
            events[3]["usage"],
            json!({"input_tokens": 0, "output_tokens": 0})
        );
    }

    #[test]
    fn frames_carry_the_event_name_and_compact_json() {
        let mut buf = Vec::new();
        write_sse_event(&AnthropicStreamEvent::MessageStop, &mut buf).unwrap();
        assert_eq!(
            buf,
            b"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
        );
        let err = Error::new(llmux_types::ErrorKind::RateLimit, "slow down");
        let mut buf = Vec::new();
        write_sse_event(&error_event(&err), &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(
            text.starts_with(
                "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\""
            ),
            "{text}"
        );
    }
}
