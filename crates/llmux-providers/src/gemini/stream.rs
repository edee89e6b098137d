//! `streamGenerateContent?alt=sse` → OpenAI chunks, shaped as LiteLLM's proxy streams
//! them (`ModelResponseIterator` + `CustomStreamWrapper`):
//!
//! - one chunk per event and candidate with what it adds (`content`,
//!   `reasoning_content`, whole `tool_calls`), `role: assistant` on a choice's first one;
//! - at the end, a chunk with an empty delta and the finish reason (the last one Gemini
//!   gave, `stop` if none; `tool_calls` once the model called a tool);
//! - then the usage chunk (`choices: []`; the caller keeps or drops it per
//!   `stream_options.include_usage`), with `reasoning_tokens: 0` for plain-text streams
//!   as LiteLLM's `stream_chunk_builder` adds it.
//!
//! Events arrive as SSE `data:` lines (CRLF); bytes may be split anywhere. A JSON object
//! split across events is put back together, as LiteLLM's accumulated-JSON mode does.

use std::collections::BTreeMap;

use llmux_types::{
    ChatChunk, ChunkChoice, Delta, Error, ErrorKind, FinishReason, FunctionCallDelta, JsonMap,
    Role, ToolCallDelta, Usage,
};
use serde_json::Value;

use super::error::stream_error;
use super::response::{Metadata, read_candidate, served_model};
use super::types::GeminiResponse;
use super::usage::usage;
use crate::ParseContext;
use crate::sse::{SseEvent, SseParser};

/// Decodes Gemini's SSE stream into OpenAI chunks.
#[derive(Debug)]
pub struct GeminiStreamDecoder {
    /// Boxed: the decoder lives in [`crate::StreamDecoder`] next to smaller ones.
    state: Box<State>,
}

#[derive(Debug)]
struct State {
    sse: SseParser,
    /// Data of events that did not parse on their own yet.
    partial: String,
    response_id: String,
    created: u64,
    /// The first upstream `responseId`, used for every chunk.
    id: Option<String>,
    model: String,
    next_tool_index: usize,
    seen_tool_calls: bool,
    /// Per choice index: whether the role was sent, and the last finish reason.
    choices: BTreeMap<u32, ChoiceState>,
    /// Only `content` so far (LiteLLM's "simple text stream").
    simple_text: bool,
    metadata: Metadata,
    usage: Option<Usage>,
    done: bool,
    /// A candidate carried a `finishReason`: the answer is whole.
    upstream_finished: bool,
}

#[derive(Debug, Default)]
struct ChoiceState {
    role_sent: bool,
    finish: Option<FinishReason>,
}

impl GeminiStreamDecoder {
    pub fn new(ctx: &ParseContext<'_>) -> Self {
        Self {
            state: Box::new(State::new(ctx)),
        }
    }

    /// Any piece of the body; an unfinished event waits.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<ChatChunk>, Error> {
        self.state.feed(bytes)
    }

    /// End of body: the finish and usage chunks; an error if an event was cut off.
    pub fn finish(&mut self) -> Result<Vec<ChatChunk>, Error> {
        self.state.finish()
    }
}

impl State {
    fn new(ctx: &ParseContext<'_>) -> Self {
        Self {
            sse: SseParser::new(),
            partial: String::new(),
            response_id: ctx.response_id.to_owned(),
            created: ctx.created,
            id: None,
            model: String::new(),
            next_tool_index: 0,
            seen_tool_calls: false,
            choices: BTreeMap::new(),
            simple_text: true,
            metadata: Metadata::default(),
            usage: None,
            done: false,
            upstream_finished: false,
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<Vec<ChatChunk>, Error> {
        let mut events = Vec::new();
        self.sse.feed(bytes, &mut events)?;
        self.events(events)
    }

    fn finish(&mut self) -> Result<Vec<ChatChunk>, Error> {
        if self.done {
            return Ok(Vec::new());
        }
        let mut events = Vec::new();
        self.sse.finish(&mut events)?;
        let mut out = self.events(events)?;
        if !self.partial.trim().is_empty() {
            return Err(Error::new(
                ErrorKind::Api,
                format!(
                    "Gemini stream ended inside an event: {}",
                    truncate(&self.partial, 200)
                ),
            )
            .with_provider("gemini"));
        }
        if !self.upstream_finished {
            // Gemini sends no `[DONE]`: a body that ends before any finishReason was cut,
            // and relaying it with a made-up `stop` would look complete.
            return Err(Error::new(
                ErrorKind::ApiConnection,
                "Gemini stream ended before any finishReason: the answer was cut off",
            )
            .with_provider("gemini"));
        }
        self.done = true;
        if self.choices.is_empty() {
            self.choices.insert(0, ChoiceState::default());
        }
        let finishes: Vec<(u32, FinishReason)> = self
            .choices
            .iter()
            .map(|(i, s)| (*i, s.finish.clone().unwrap_or(FinishReason::Stop)))
            .collect();
        for (index, reason) in finishes {
            out.push(self.chunk(vec![ChunkChoice {
                index,
                delta: Delta::default(),
                finish_reason: Some(reason),
                extra: JsonMap::new(),
            }]));
        }
        if let Some(mut usage) = self.usage.take() {
            // LiteLLM rebuilds stream usage from the chunks: the total is the sum.
            usage.total_tokens = usage.prompt_tokens.saturating_add(usage.completion_tokens);
            if self.simple_text {
                let details = usage
                    .completion_tokens_details
                    .get_or_insert_with(Default::default);
                if details.reasoning_tokens.is_none() {
                    details.reasoning_tokens = Some(0);
                    if !details.extra.contains_key("text_tokens") {
                        details
                            .extra
                            .insert("text_tokens".into(), Value::from(usage.completion_tokens));
                    }
                }
            }
            let mut chunk = self.chunk(Vec::new());
            chunk.usage = Some(usage);
            out.push(chunk);
        }
        Ok(out)
    }

    fn events(&mut self, events: Vec<SseEvent>) -> Result<Vec<ChatChunk>, Error> {
        let mut out = Vec::new();
        for event in events {
            let data = event.data.trim();
            if data.is_empty() || data == "[DONE]" {
                continue;
            }
            let parsed = if self.partial.is_empty() {
                serde_json::from_str::<GeminiResponse>(data)
            } else {
                self.partial.push_str(data);
                serde_json::from_str::<GeminiResponse>(&self.partial)
            };
            match parsed {
                Ok(resp) => {
                    self.partial.clear();
                    self.event(&resp, &mut out)?;
                }
                Err(e) if e.is_eof() => {
                    if self.partial.is_empty() {
                        self.partial.push_str(data);
                    }
                }
                Err(e) => {
                    return Err(Error::new(
                        ErrorKind::Api,
                        format!(
                            "Error parsing chunk: {e},\nReceived chunk: {}",
                            truncate(data, 200)
                        ),
                    )
                    .with_provider("gemini"));
                }
            }
        }
        Ok(out)
    }

    fn event(&mut self, resp: &GeminiResponse, out: &mut Vec<ChatChunk>) -> Result<(), Error> {
        if let Some(error) = &resp.error {
            return Err(stream_error(error));
        }
        if self.id.is_none() {
            self.id = resp.response_id.clone().filter(|id| !id.is_empty());
        }
        let model = served_model(resp.model_version.as_deref());
        if !model.is_empty() {
            self.model = model;
        }
        if resp
            .prompt_feedback
            .as_ref()
            .is_some_and(|f| f.get("blockReason").is_some())
        {
            let state = self.choices.entry(0).or_default();
            state.finish = Some(FinishReason::ContentFilter);
            if !state.role_sent {
                state.role_sent = true;
                out.push(self.chunk(vec![ChunkChoice {
                    index: 0,
                    delta: Delta {
                        role: Some(Role::Assistant),
                        ..Delta::default()
                    },
                    finish_reason: None,
                    extra: JsonMap::new(),
                }]));
            }
        }
        let ctx = ParseContext {
            created: self.created,
            response_id: &self.response_id,
        };
        let mut next_tool_index = self.next_tool_index;
        let mut chunks = Vec::new();
        let mut event_metadata = Metadata::default();
        for (i, candidate) in resp.candidates.iter().flatten().enumerate() {
            self.metadata.add(candidate);
            event_metadata.add(candidate);
            let Some(read) = read_candidate(candidate, i, &mut next_tool_index, &ctx) else {
                continue;
            };
            if !read.tool_calls.is_empty() {
                self.seen_tool_calls = true;
            }
            self.upstream_finished |= read.native_finish_reason.is_some();
            let state = self.choices.entry(read.index).or_default();
            // The latest event decides, as in LiteLLM's stream wrapper.
            state.finish = Some(read.finish_reason());
            if self.seen_tool_calls && state.finish == Some(FinishReason::Stop) {
                state.finish = Some(FinishReason::ToolCalls);
            }
            let mut delta = Delta {
                content: read.content.clone().filter(|c| !c.is_empty()),
                reasoning_content: read.reasoning_content.clone(),
                ..Delta::default()
            };
            if !read.tool_calls.is_empty() {
                delta.tool_calls = Some(
                    read.tool_calls
                        .iter()
                        .map(|call| {
                            let mut extra = call.extra.clone();
                            let index = extra
                                .remove("index")
                                .and_then(|v| v.as_u64())
                                .and_then(|v| u32::try_from(v).ok())
                                .unwrap_or(0);
                            ToolCallDelta {
                                index,
                                id: Some(call.id.clone()),
                                kind: Some("function".into()),
                                function: Some(FunctionCallDelta {
                                    name: Some(call.function.name.clone()),
                                    arguments: Some(call.function.arguments.clone()),
                                }),
                                extra,
                            }
                        })
                        .collect(),
                );
            }
            if !read.images.is_empty() {
                delta
                    .extra
                    .insert("images".into(), Value::Array(read.images.clone()));
            }
            if let Some(audio) = &read.audio {
                delta.extra.insert("audio".into(), audio.clone());
            }
            if !read.annotations.is_empty() {
                delta
                    .extra
                    .insert("annotations".into(), Value::Array(read.annotations.clone()));
            }
            if let Some(fields) = read.message_provider_fields() {
                delta
                    .extra
                    .insert("provider_specific_fields".into(), fields);
            }
            let only_text = delta.reasoning_content.is_none()
                && delta.tool_calls.is_none()
                && delta.extra.is_empty();
            if delta == Delta::default() {
                continue;
            }
            if !only_text {
                self.simple_text = false;
            }
            if !state.role_sent {
                state.role_sent = true;
                delta.role = Some(Role::Assistant);
            }
            let mut extra = JsonMap::new();
            if let Some(lp) = read.logprobs {
                extra.insert("logprobs".into(), lp);
            }
            chunks.push(ChunkChoice {
                index: read.index,
                delta,
                finish_reason: None,
                extra,
            });
        }
        self.next_tool_index = next_tool_index;
        for choice in chunks {
            // LiteLLM's proxy writes plain text chunks in a short form; any other chunk is
            // the full object, which carries this event's `vertex_ai_*` lists.
            // (Image deltas are rebuilt by LiteLLM's stream wrapper and lose them.)
            let rich = !choice.extra.is_empty()
                || choice.delta.reasoning_content.is_some()
                || choice.delta.tool_calls.is_some()
                || choice.delta.extra.keys().any(|k| k != "images");
            let mut chunk = self.chunk(vec![choice]);
            if rich {
                chunk.extra = event_metadata.stream_fields();
            }
            out.push(chunk);
        }
        if let Some(meta) = &resp.usage_metadata {
            self.usage = Some(usage(meta, &self.metadata.grounding));
        }
        Ok(())
    }

    fn chunk(&self, choices: Vec<ChunkChoice>) -> ChatChunk {
        ChatChunk {
            id: self.id.clone().unwrap_or_else(|| self.response_id.clone()),
            object: "chat.completion.chunk".into(),
            created: self.created,
            model: self.model.clone(),
            choices,
            usage: None,
            system_fingerprint: None,
            service_tier: None,
            extra: JsonMap::new(),
        }
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
