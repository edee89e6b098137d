//! ConverseStream events → OpenAI chunks, as LiteLLM's `AWSEventStreamDecoder.converse_chunk_parser`
//! and its stream wrapper shape them:
//!
//! - `contentBlockDelta` text is `content`; the first chunk also says `role: assistant`;
//!   blocks that add nothing (`messageStart`, a text block's stop) give no chunk;
//! - a `toolUse` block start opens a tool call (`index` counts tool calls from 0, with
//!   `id`, `name` and `arguments: ""`), its deltas stream the arguments, and a call
//!   that streamed none closes with `"{}"`;
//! - `reasoningContent` deltas are `reasoning_content` plus `thinking_blocks`;
//! - LiteLLM's `json_tool_call` (response_format) streams as `content`;
//! - `messageStop` gives the finish chunk, `metadata` the usage chunk (no choices; the
//!   client layer keeps it when the caller asked for usage);
//! - every chunk but the usage one carries LiteLLM's empty `provider_specific_fields`;
//! - an exception message is a typed error (after the chunks decoded before it).
//!
//! Decoding is pure and incremental: bytes are parsed as they arrive, nothing blocks.

use llmux_types::{
    ChatChunk, ChunkChoice, Delta, Error, ErrorKind, FinishReason, FunctionCallDelta, JsonMap,
    Role, ToolCallDelta,
};
use serde_json::{Value, json};

use super::error::stream_exception;
use super::eventstream::{Event, EventStreamParser};
use super::request::RESPONSE_FORMAT_TOOL_NAME;
use super::response::{finish_reason, thinking_block, usage};
use crate::ParseContext;

/// Decodes a ConverseStream body. Bytes may be split anywhere.
#[derive(Debug)]
pub struct BedrockStreamDecoder {
    state: Box<State>,
}

#[derive(Debug)]
struct State {
    parser: EventStreamParser,
    events: Vec<Event>,
    id: String,
    created: u64,
    role_sent: bool,
    /// Index of the last tool call opened.
    tool_index: Option<u32>,
    /// The tool block being streamed: its name, and whether arguments came.
    tool: Option<(String, bool)>,
    json_answered: bool,
    thinking_ran: bool,
    failed: Option<Error>,
}

impl BedrockStreamDecoder {
    pub fn new(ctx: &ParseContext<'_>) -> Self {
        Self {
            state: Box::new(State {
                parser: EventStreamParser::new(),
                events: Vec::new(),
                id: ctx.response_id.to_owned(),
                created: ctx.created,
                role_sent: false,
                tool_index: None,
                tool: None,
                json_answered: false,
                thinking_ran: false,
                failed: None,
            }),
        }
    }

    /// Feeds a piece of the body.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<ChatChunk>, Error> {
        let s = &mut self.state;
        let framed = s.parser.feed(bytes, &mut s.events);
        let out = s.drain();
        match (framed, out) {
            (Ok(()), out) => out,
            (Err(e), Ok(out)) if !out.is_empty() => {
                s.failed = Some(frame_error(&e));
                Ok(out)
            }
            (Err(e), _) => Err(frame_error(&e)),
        }
    }

    /// End of body: a cut-off message is an error.
    pub fn finish(&mut self) -> Result<Vec<ChatChunk>, Error> {
        let s = &mut self.state;
        if let Some(e) = s.failed.take() {
            return Err(e);
        }
        s.parser.finish().map_err(|e| frame_error(&e))?;
        Ok(Vec::new())
    }
}

fn frame_error(e: &super::eventstream::FrameError) -> Error {
    Error::new(
        ErrorKind::InternalServer,
        format!("BedrockException - Received streaming error - {e}"),
    )
    .with_provider("bedrock")
}

impl State {
    fn drain(&mut self) -> Result<Vec<ChatChunk>, Error> {
        if let Some(e) = self.failed.take() {
            self.events.clear();
            return Err(e);
        }
        let mut out = Vec::new();
        for event in std::mem::take(&mut self.events) {
            if let Err(e) = self.on_event(&event, &mut out) {
                if out.is_empty() {
                    return Err(e);
                }
                self.failed = Some(e);
                break;
            }
        }
        Ok(out)
    }

    fn on_event(&mut self, event: &Event, out: &mut Vec<ChatChunk>) -> Result<(), Error> {
        if event.message_type != "event" {
            return Err(stream_exception(
                event
                    .exception_type
                    .as_deref()
                    .unwrap_or(&event.message_type),
                &event.payload,
            ));
        }
        let v: Value = serde_json::from_slice(&event.payload).map_err(|e| {
            Error::new(
                ErrorKind::InternalServer,
                format!("BedrockException - Received streaming error - {e}"),
            )
            .with_provider("bedrock")
        })?;
        match event.event_type.as_str() {
            "contentBlockStart" => self.on_start(&v, out),
            "contentBlockDelta" => self.on_delta(&v, out),
            "contentBlockStop" => {
                if let Some((name, streamed)) = self.tool.take()
                    && name != RESPONSE_FORMAT_TOOL_NAME
                    && !streamed
                {
                    let index = self.tool_index.unwrap_or(0);
                    self.emit(out, tool_delta(index, None, None, "{}"));
                }
            }
            "messageStop" => {
                let mut finish = finish_reason(v.get("stopReason").and_then(Value::as_str));
                if finish == FinishReason::ToolCalls
                    && self.json_answered
                    && self.tool_index.is_none()
                {
                    finish = FinishReason::Stop;
                }
                out.push(self.chunk(Delta::default(), Some(finish)));
            }
            "metadata" => {
                if let Some(u) = v.get("usage") {
                    out.push(ChatChunk {
                        id: self.id.clone(),
                        object: "chat.completion.chunk".into(),
                        created: self.created,
                        model: String::new(),
                        choices: Vec::new(),
                        usage: Some(usage(u, self.thinking_ran)),
                        system_fingerprint: None,
                        service_tier: None,
                        extra: JsonMap::new(),
                    });
                }
            }
            // messageStart and anything newer carry nothing for the client.
            _ => {}
        }
        Ok(())
    }

    fn on_start(&mut self, v: &Value, out: &mut Vec<ChatChunk>) {
        let Some(start) = v.get("start") else { return };
        if let Some(tool) = start.get("toolUse") {
            let field = |k: &str| tool.get(k).and_then(Value::as_str).unwrap_or_default();
            let name = field("name").to_owned();
            self.tool = Some((name.clone(), false));
            if name == RESPONSE_FORMAT_TOOL_NAME {
                return;
            }
            let index = self.tool_index.map_or(0, |i| i.saturating_add(1));
            self.tool_index = Some(index);
            self.emit(
                out,
                tool_delta(index, Some(field("toolUseId")), Some(&name), ""),
            );
        } else if let Some(r) = start.get("reasoningContent") {
            self.thinking_ran = true;
            let mut d = Delta {
                thinking_blocks: Some(vec![thinking_block(r)]),
                reasoning_content: Some(String::new()),
                ..Delta::default()
            };
            d.extra.insert(
                "provider_specific_fields".into(),
                json!({"reasoningContent": r}),
            );
            self.emit(out, d);
        }
    }

    fn on_delta(&mut self, v: &Value, out: &mut Vec<ChatChunk>) {
        let Some(delta) = v.get("delta") else { return };
        if let Some(text) = delta.get("text").and_then(Value::as_str) {
            if !text.is_empty() {
                self.emit(out, content(text));
            }
        } else if let Some(input) = delta.pointer("/toolUse/input").and_then(Value::as_str) {
            let Some((name, streamed)) = self.tool.as_mut() else {
                return;
            };
            *streamed = true;
            if name == RESPONSE_FORMAT_TOOL_NAME {
                self.json_answered = true;
                if !input.is_empty() {
                    self.emit(out, content(input));
                }
            } else {
                let index = self.tool_index.unwrap_or(0);
                self.emit(out, tool_delta(index, None, None, input));
            }
        } else if let Some(r) = delta.get("reasoningContent") {
            self.thinking_ran = true;
            let mut d = Delta {
                reasoning_content: Some(
                    r.get("text")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                ),
                thinking_blocks: Some(vec![json!({
                    "type": "thinking",
                    "thinking": r.get("text").cloned().unwrap_or(json!("")),
                    "signature": r.get("signature").cloned().unwrap_or(json!(null)),
                })]),
                ..Delta::default()
            };
            d.extra.insert(
                "provider_specific_fields".into(),
                json!({"reasoningContent": r}),
            );
            self.emit(out, d);
        }
    }

    fn emit(&mut self, out: &mut Vec<ChatChunk>, mut delta: Delta) {
        if !self.role_sent {
            delta.role = Some(Role::Assistant);
            self.role_sent = true;
        }
        out.push(self.chunk(delta, None));
    }

    fn chunk(&self, delta: Delta, finish_reason: Option<FinishReason>) -> ChatChunk {
        let mut extra = JsonMap::new();
        extra.insert("provider_specific_fields".into(), json!({}));
        ChatChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk".into(),
            created: self.created,
            model: String::new(),
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                finish_reason,
                extra: JsonMap::new(),
            }],
            usage: None,
            system_fingerprint: None,
            service_tier: None,
            extra,
        }
    }
}

fn content(text: &str) -> Delta {
    Delta {
        content: Some(text.to_owned()),
        ..Delta::default()
    }
}

fn tool_delta(index: u32, id: Option<&str>, name: Option<&str>, args: &str) -> Delta {
    Delta {
        tool_calls: Some(vec![ToolCallDelta {
            index,
            id: id.map(str::to_owned),
            kind: Some("function".into()),
            function: Some(FunctionCallDelta {
                name: name.map(str::to_owned),
                arguments: Some(args.to_owned()),
            }),
            extra: JsonMap::new(),
        }]),
        ..Delta::default()
    }
}
