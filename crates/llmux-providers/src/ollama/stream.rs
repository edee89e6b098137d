//! Ollama NDJSON streams → OpenAI chunks, as LiteLLM's `OllamaChatCompletionResponseIterator`
//! and `OllamaTextCompletionResponseIterator` shape them:
//!
//! - each line's text is `content` (the first chunk also says `role: assistant`);
//!   `thinking` (or text inside `<think>…</think>`) is `reasoning_content`;
//! - tool calls arrive whole; each gets the next `index` and a stable id
//!   ([`super::response::tool_call_id`]);
//! - the `done` line gives the finish chunk (`tool_calls` if any call was seen) and the
//!   usage chunk;
//! - an `{"error": …}` line is an error.
//!
//! Chat stream chunks are identified by a bare UUID, generate stream chunks by
//! `chatcmpl-<uuid>`, as LiteLLM's are.

use llmux_types::{
    ChatChunk, ChunkChoice, CompletionTokensDetails, Delta, Error, ErrorKind, FinishReason,
    FunctionCallDelta, JsonMap, Role, ToolCallDelta, Usage,
};
use serde_json::{Value, json};

use super::Flavor;
use super::response::{arguments_text, finish_reason, tool_call_id};
use crate::ParseContext;

/// Decodes an Ollama NDJSON body. Bytes may be split anywhere.
#[derive(Debug)]
pub struct OllamaStreamDecoder {
    buf: Vec<u8>,
    flavor: Flavor,
    response_id: String,
    id: String,
    created: u64,
    role_sent: bool,
    tool_calls: usize,
    in_think: bool,
    done: bool,
}

impl OllamaStreamDecoder {
    pub fn new(ctx: &ParseContext<'_>, flavor: Flavor) -> Self {
        let id = match flavor {
            Flavor::Chat => ctx
                .response_id
                .strip_prefix("chatcmpl-")
                .unwrap_or(ctx.response_id),
            Flavor::Generate => ctx.response_id,
        };
        Self {
            buf: Vec::new(),
            flavor,
            response_id: ctx.response_id.to_owned(),
            id: id.to_owned(),
            created: ctx.created,
            role_sent: false,
            tool_calls: 0,
            in_think: false,
            done: false,
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<ChatChunk>, Error> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=pos).collect();
            self.on_line(&line, &mut out)?;
        }
        Ok(out)
    }

    pub fn finish(&mut self) -> Result<Vec<ChatChunk>, Error> {
        let rest = std::mem::take(&mut self.buf);
        let mut out = Vec::new();
        self.on_line(&rest, &mut out)?;
        Ok(out)
    }

    fn on_line(&mut self, line: &[u8], out: &mut Vec<ChatChunk>) -> Result<(), Error> {
        let line = line.trim_ascii();
        if line.is_empty() || self.done {
            return Ok(());
        }
        let v: Value = serde_json::from_slice(line).map_err(|e| {
            Error::new(
                ErrorKind::InternalServer,
                format!("OllamaException - Got an unreadable stream line from Ollama: {e}"),
            )
            .with_provider("ollama")
        })?;
        if let Some(e) = v.get("error") {
            let text = e.as_str().map_or_else(|| e.to_string(), str::to_owned);
            let kind = if crate::is_context_window_exceeded(&text) {
                ErrorKind::ContextWindowExceeded
            } else {
                ErrorKind::InternalServer
            };
            return Err(
                Error::new(kind, format!("OllamaException - {text}")).with_provider("ollama")
            );
        }
        let (text, thinking, calls) = match self.flavor {
            Flavor::Chat => {
                let m = v.get("message").unwrap_or(&Value::Null);
                (
                    m.get("content").and_then(Value::as_str).unwrap_or_default(),
                    m.get("thinking").and_then(Value::as_str),
                    m.get("tool_calls").and_then(Value::as_array),
                )
            }
            Flavor::Generate => (
                v.get("response")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
                v.get("thinking").and_then(Value::as_str),
                None,
            ),
        };
        if let Some(t) = thinking.filter(|t| !t.is_empty()) {
            self.emit(
                out,
                Delta {
                    reasoning_content: Some(t.to_owned()),
                    ..Delta::default()
                },
            );
        }
        if !text.is_empty() {
            let mut text = text.to_owned();
            if text.contains("<think>") {
                text = text.replace("<think>", "");
                self.in_think = true;
            }
            let closing = text.contains("</think>");
            if closing {
                text = text.replace("</think>", "");
            }
            let delta = if self.in_think {
                Delta {
                    reasoning_content: Some(text),
                    ..Delta::default()
                }
            } else {
                Delta {
                    content: Some(text),
                    ..Delta::default()
                }
            };
            if closing {
                self.in_think = false;
            }
            // A line that was only a `<think>` tag adds nothing.
            if delta
                .content
                .as_deref()
                .or(delta.reasoning_content.as_deref())
                != Some("")
            {
                self.emit(out, delta);
            }
        }
        for c in calls.into_iter().flatten() {
            let index = self.tool_calls;
            self.tool_calls += 1;
            self.emit(
                out,
                Delta {
                    tool_calls: Some(vec![ToolCallDelta {
                        index: u32::try_from(index).unwrap_or(u32::MAX),
                        id: Some(tool_call_id(&self.response_id, index)),
                        kind: Some("function".into()),
                        function: Some(FunctionCallDelta {
                            name: c
                                .pointer("/function/name")
                                .and_then(Value::as_str)
                                .map(str::to_owned),
                            arguments: Some(arguments_text(c.pointer("/function/arguments"))),
                        }),
                        extra: JsonMap::new(),
                    }]),
                    ..Delta::default()
                },
            );
        }
        if v.get("done").and_then(Value::as_bool) == Some(true) {
            self.done = true;
            let finish = if self.tool_calls > 0 {
                FinishReason::ToolCalls
            } else {
                finish_reason(v.get("done_reason").and_then(Value::as_str))
            };
            out.push(self.chunk(Some(Delta::default()), Some(finish), None));
            let prompt = v
                .get("prompt_eval_count")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let completion = v.get("eval_count").and_then(Value::as_u64).unwrap_or(0);
            let mut details = JsonMap::new();
            details.insert("text_tokens".into(), json!(completion));
            let usage = Usage {
                prompt_tokens: prompt,
                completion_tokens: completion,
                total_tokens: prompt.saturating_add(completion),
                prompt_tokens_details: None,
                completion_tokens_details: Some(CompletionTokensDetails {
                    reasoning_tokens: Some(0),
                    extra: details,
                }),
                extra: JsonMap::new(),
            };
            out.push(self.chunk(None, None, Some(usage)));
        }
        Ok(())
    }

    fn emit(&mut self, out: &mut Vec<ChatChunk>, mut delta: Delta) {
        if !self.role_sent {
            delta.role = Some(Role::Assistant);
            self.role_sent = true;
        }
        out.push(self.chunk(Some(delta), None, None));
    }

    fn chunk(
        &self,
        delta: Option<Delta>,
        finish: Option<FinishReason>,
        usage: Option<Usage>,
    ) -> ChatChunk {
        ChatChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk".into(),
            created: self.created,
            model: String::new(),
            choices: delta
                .map(|delta| ChunkChoice {
                    index: 0,
                    delta,
                    finish_reason: finish,
                    extra: JsonMap::new(),
                })
                .into_iter()
                .collect(),
            usage,
            system_fingerprint: None,
            service_tier: None,
            extra: JsonMap::new(),
        }
    }
}
