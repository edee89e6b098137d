//! Canonical stream chunks → Responses stream events, as OpenAI sends them.
//!
//! ```text
//! response.created  response.in_progress                    (with the first chunk)
//! per output item, in order:
//!   message:       output_item.added  content_part.added  output_text.delta*
//!                  output_text.done  content_part.done  output_item.done
//!   reasoning:     output_item.added  reasoning_summary_part.added
//!                  reasoning_summary_text.delta*  reasoning_summary_text.done
//!                  reasoning_summary_part.done  output_item.done
//!   function_call: output_item.added  function_call_arguments.delta*
//!                  function_call_arguments.done  output_item.done
//! response.completed | response.incomplete (finish_reason length / content_filter)
//! | response.failed (the upstream failed mid-stream)
//! ```
//!
//! Text and reasoning are one open item at a time: a change of kind, or the first tool
//! call, closes it. Tool calls (LiteLLM's bridge drops them, its #17246) stay open until
//! the end, each fed by its chat `index`, so parallel calls whose deltas interleave
//! still land on their own item. Every event carries its `sequence_number`.

use llmux_types::{
    ChatChunk, ContentItem, Error, FinishReason, ItemContent, ItemType, PartType, ResponseItem,
    ResponseObject, ResponseStatus, ResponsesEvent, ResponsesStreamEvent, Role, ToolCallDelta,
    Usage,
};
use serde_json::{Value, json};

use super::response::{
    ResponseIds, as_custom_tool_call, custom_tool_names, incomplete_details, reasoning_item,
    split_namespace, status_of, usage,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpenKind {
    Text,
    Reasoning,
}

#[derive(Debug)]
struct OpenItem {
    kind: OpenKind,
    output_index: usize,
    id: String,
    text: String,
    /// Reasoning: the provider's thinking blocks, merged from their deltas.
    blocks: Vec<Value>,
}

#[derive(Debug)]
struct ToolState {
    chat_index: u32,
    output_index: usize,
    /// The n-th tool call (for its ids).
    n: usize,
    /// A custom (freeform) tool: its input is sent whole when the call ends, not as
    /// argument deltas (the deltas are JSON around that input).
    custom: bool,
    /// The arguments are gathered in `item.arguments` either way.
    item: ResponseItem,
}

/// Turns one chat stream into Responses events. Pure: ids and the shell (the response
/// object with the request's settings) come in.
#[derive(Debug)]
pub struct ResponsesStreamEncoder {
    ids: ResponseIds,
    response: ResponseObject,
    sequence: u64,
    started: bool,
    finished: bool,
    /// Closed output items with their output index.
    done: Vec<(usize, ResponseItem)>,
    next_index: usize,
    open: Option<OpenItem>,
    tools: Vec<ToolState>,
    messages: usize,
    reasonings: usize,
    finish_reason: Option<FinishReason>,
    usage: Option<Usage>,
}

impl ResponsesStreamEncoder {
    /// An encoder for the response `shell` (see `response_shell`). Its `model` is
    /// replaced by the first chunk's, the model that serves the stream.
    pub fn new(ids: ResponseIds, shell: ResponseObject) -> Self {
        Self {
            ids,
            response: shell,
            sequence: 0,
            started: false,
            finished: false,
            done: Vec::new(),
            next_index: 0,
            open: None,
            tools: Vec::new(),
            messages: 0,
            reasonings: 0,
            finish_reason: None,
            usage: None,
        }
    }

    /// The response as it stands (whole after [`Self::finish`]).
    pub fn response(&self) -> &ResponseObject {
        &self.response
    }

    fn emit(&mut self, out: &mut Vec<ResponsesStreamEvent>, event: ResponsesEvent) {
        out.push(ResponsesStreamEvent {
            event,
            sequence_number: self.sequence,
        });
        self.sequence = self.sequence.saturating_add(1);
    }

    fn start(&mut self, out: &mut Vec<ResponsesStreamEvent>) {
        if self.started {
            return;
        }
        self.started = true;
        let shell = Box::new(self.response.clone());
        self.emit(
            out,
            ResponsesEvent::Created {
                response: shell.clone(),
            },
        );
        self.emit(out, ResponsesEvent::InProgress { response: shell });
    }

    /// The events one chunk gives.
    pub fn push(&mut self, chunk: &ChatChunk) -> Vec<ResponsesStreamEvent> {
        let mut out = Vec::new();
        if self.finished {
            return out;
        }
        if !self.started && !chunk.model.is_empty() {
            chunk.model.clone_into(&mut self.response.model);
        }
        self.start(&mut out);
        if let Some(u) = &chunk.usage {
            self.usage = Some(u.clone());
        }
        for choice in chunk.choices.iter().filter(|c| c.index == 0) {
            let delta = &choice.delta;
            if let Some(reasoning) = delta.reasoning_content.as_deref().filter(|r| !r.is_empty()) {
                self.open_kind(OpenKind::Reasoning, &mut out);
                self.delta(reasoning, &mut out);
            }
            if let Some(blocks) = delta.thinking_blocks.as_deref().filter(|b| !b.is_empty()) {
                self.open_kind(OpenKind::Reasoning, &mut out);
                if let Some(open) = &mut self.open {
                    merge_thinking(&mut open.blocks, blocks);
                }
            }
            if let Some(text) = delta.content.as_deref().filter(|t| !t.is_empty()) {
                self.open_kind(OpenKind::Text, &mut out);
                self.delta(text, &mut out);
            }
            for call in delta.tool_calls.iter().flatten() {
                self.tool_delta(call, &mut out);
            }
            if let Some(reason) = &choice.finish_reason {
                self.finish_reason = Some(reason.clone());
            }
        }
        out
    }

    fn open_kind(&mut self, kind: OpenKind, out: &mut Vec<ResponsesStreamEvent>) {
        if self.open.as_ref().is_some_and(|o| o.kind == kind) {
            return;
        }
        self.close_open(ResponseStatus::Completed, out);
        let output_index = self.next_index;
        self.next_index = self.next_index.saturating_add(1);
        let (id, item) = match kind {
            OpenKind::Text => {
                let id = self.ids.message(self.messages);
                self.messages = self.messages.saturating_add(1);
                let item = ResponseItem {
                    id: Some(id.clone()),
                    status: Some(ResponseStatus::InProgress),
                    ..ResponseItem::message(Role::Assistant, ItemContent::Parts(Vec::new()))
                };
                (id, item)
            }
            OpenKind::Reasoning => {
                let id = self.ids.reasoning(self.reasonings);
                self.reasonings = self.reasonings.saturating_add(1);
                let item = ResponseItem {
                    kind: Some(ItemType::Reasoning),
                    id: Some(id.clone()),
                    summary: Some(Vec::new()),
                    ..ResponseItem::default()
                };
                (id, item)
            }
        };
        self.emit(
            out,
            ResponsesEvent::OutputItemAdded {
                output_index,
                item: Box::new(item),
            },
        );
        let event = match kind {
            OpenKind::Text => ResponsesEvent::ContentPartAdded {
                item_id: id.clone(),
                output_index,
                content_index: 0,
                part: ContentItem::output_text(""),
            },
            OpenKind::Reasoning => ResponsesEvent::ReasoningSummaryPartAdded {
                item_id: id.clone(),
                output_index,
                summary_index: 0,
                part: ContentItem::text(PartType::SummaryText, ""),
            },
        };
        self.emit(out, event);
        self.open = Some(OpenItem {
            kind,
            output_index,
            id,
            text: String::new(),
            blocks: Vec::new(),
        });
    }

    fn delta(&mut self, text: &str, out: &mut Vec<ResponsesStreamEvent>) {
        let Some(open) = &mut self.open else {
            return;
        };
        open.text.push_str(text);
        let event = match open.kind {
            OpenKind::Text => ResponsesEvent::OutputTextDelta {
                item_id: open.id.clone(),
                output_index: open.output_index,
                content_index: 0,
                delta: text.to_owned(),
            },
            OpenKind::Reasoning => ResponsesEvent::ReasoningSummaryTextDelta {
                item_id: open.id.clone(),
                output_index: open.output_index,
                summary_index: 0,
                delta: text.to_owned(),
            },
        };
        self.emit(out, event);
    }

    fn close_open(&mut self, status: ResponseStatus, out: &mut Vec<ResponsesStreamEvent>) {
        let Some(open) = self.open.take() else {
            return;
        };
        let OpenItem {
            kind,
            output_index,
            id,
            text,
            blocks,
        } = open;
        let item = match kind {
            OpenKind::Text => {
                self.emit(
                    out,
                    ResponsesEvent::OutputTextDone {
                        item_id: id.clone(),
                        output_index,
                        content_index: 0,
                        text: text.clone(),
                    },
                );
                self.emit(
                    out,
                    ResponsesEvent::ContentPartDone {
                        item_id: id.clone(),
                        output_index,
                        content_index: 0,
                        part: ContentItem::output_text(text.clone()),
                    },
                );
                ResponseItem {
                    id: Some(id),
                    status: Some(status),
                    ..ResponseItem::message(
                        Role::Assistant,
                        ItemContent::Parts(vec![ContentItem::output_text(text)]),
                    )
                }
            }
            OpenKind::Reasoning => {
                self.emit(
                    out,
                    ResponsesEvent::ReasoningSummaryTextDone {
                        item_id: id.clone(),
                        output_index,
                        summary_index: 0,
                        text: text.clone(),
                    },
                );
                self.emit(
                    out,
                    ResponsesEvent::ReasoningSummaryPartDone {
                        item_id: id.clone(),
                        output_index,
                        summary_index: 0,
                        part: ContentItem::text(PartType::SummaryText, text.clone()),
                    },
                );
                reasoning_item(id, &text, &blocks)
            }
        };
        self.emit(
            out,
            ResponsesEvent::OutputItemDone {
                output_index,
                item: Box::new(item.clone()),
            },
        );
        self.done.push((output_index, item));
    }

    fn tool_delta(&mut self, call: &ToolCallDelta, out: &mut Vec<ResponsesStreamEvent>) {
        let function = call.function.as_ref();
        let position = self.tools.iter().position(|t| t.chat_index == call.index);
        let position = match position {
            Some(p) => p,
            None => {
                self.close_open(ResponseStatus::Completed, out);
                let n = self.tools.len();
                let output_index = self.next_index;
                self.next_index = self.next_index.saturating_add(1);
                let name = function.and_then(|f| f.name.clone()).unwrap_or_default();
                let custom = custom_tool_names(&self.response.tools).contains(&name.as_str());
                let item = ResponseItem {
                    kind: Some(ItemType::FunctionCall),
                    id: Some(self.ids.function_call(n)),
                    status: Some(ResponseStatus::InProgress),
                    call_id: Some(
                        call.id
                            .clone()
                            .filter(|id| !id.is_empty())
                            .unwrap_or_else(|| self.ids.call(n)),
                    ),
                    name: Some(name),
                    arguments: Some(String::new()),
                    ..ResponseItem::default()
                };
                let mut item = item;
                if !custom {
                    split_namespace(&mut item, &self.response.tools);
                }
                let mut added = item.clone();
                if custom {
                    as_custom_tool_call(&mut added, &self.ids, n);
                }
                self.emit(
                    out,
                    ResponsesEvent::OutputItemAdded {
                        output_index,
                        item: Box::new(added),
                    },
                );
                self.tools.push(ToolState {
                    chat_index: call.index,
                    output_index,
                    n,
                    custom,
                    item,
                });
                n
            }
        };
        let Some(tool) = self.tools.get_mut(position) else {
            return;
        };
        if let Some(name) = function.and_then(|f| f.name.as_deref())
            && tool.item.name.as_deref().is_none_or(str::is_empty)
        {
            tool.item.name = Some(name.to_owned());
            if !tool.custom {
                split_namespace(&mut tool.item, &self.response.tools);
            }
        }
        let Some(args) = function
            .and_then(|f| f.arguments.as_deref())
            .filter(|a| !a.is_empty())
        else {
            return;
        };
        tool.item.arguments.get_or_insert_default().push_str(args);
        if tool.custom {
            return;
        }
        let event = ResponsesEvent::FunctionCallArgumentsDelta {
            item_id: tool.item.id.clone().unwrap_or_default(),
            output_index: tool.output_index,
            delta: args.to_owned(),
        };
        self.emit(out, event);
    }

    /// The end of the upstream stream: every open item closed, then
    /// `response.completed` (or `response.incomplete`) with the whole response.
    pub fn finish(&mut self) -> Vec<ResponsesStreamEvent> {
        let mut out = Vec::new();
        if self.finished {
            return out;
        }
        self.start(&mut out);
        self.finished = true;
        let status = status_of(self.finish_reason.as_ref().or(Some(&FinishReason::Stop)));
        self.close_open(status.clone(), &mut out);
        for mut tool in std::mem::take(&mut self.tools) {
            if tool.custom {
                as_custom_tool_call(&mut tool.item, &self.ids, tool.n);
                let event = ResponsesEvent::CustomToolCallInputDone {
                    item_id: tool.item.id.clone().unwrap_or_default(),
                    output_index: tool.output_index,
                    input: tool.item.input.clone().unwrap_or_default(),
                };
                self.emit(&mut out, event);
            } else {
                let event = ResponsesEvent::FunctionCallArgumentsDone {
                    item_id: tool.item.id.clone().unwrap_or_default(),
                    output_index: tool.output_index,
                    arguments: tool.item.arguments.clone().unwrap_or_default(),
                };
                self.emit(&mut out, event);
            }
            tool.item.status = Some(ResponseStatus::Completed);
            self.emit(
                &mut out,
                ResponsesEvent::OutputItemDone {
                    output_index: tool.output_index,
                    item: Box::new(tool.item.clone()),
                },
            );
            self.done.push((tool.output_index, tool.item));
        }
        self.done.sort_by_key(|(i, _)| *i);
        self.response.output = self.done.iter().map(|(_, item)| item.clone()).collect();
        self.response.incomplete_details = incomplete_details(self.finish_reason.as_ref());
        self.response.usage = Some(self.usage.as_ref().map(usage).unwrap_or_default());
        self.response.status = status.clone();
        let response = Box::new(self.response.clone());
        let event = if status == ResponseStatus::Incomplete {
            ResponsesEvent::Incomplete { response }
        } else {
            ResponsesEvent::Completed { response }
        };
        self.emit(&mut out, event);
        out
    }

    /// The upstream failed mid-stream: `response.failed` with the error, and nothing
    /// after it.
    pub fn fail(&mut self, error: &Error) -> Vec<ResponsesStreamEvent> {
        let mut out = Vec::new();
        if self.finished {
            return out;
        }
        self.start(&mut out);
        self.finished = true;
        self.done.sort_by_key(|(i, _)| *i);
        self.response.output = self.done.iter().map(|(_, item)| item.clone()).collect();
        self.response.status = ResponseStatus::Failed;
        self.response.error = Some(json!({
            "code": error_code(error),
            "message": error.client_message(),
        }));
        let response = Box::new(self.response.clone());
        self.emit(&mut out, ResponsesEvent::Failed { response });
        out
    }
}

/// Folds streamed thinking-block pieces into whole blocks: a `thinking` piece extends
/// the open unsigned block (its text appended, its signature taken); anything else is
/// a block of its own.
fn merge_thinking(blocks: &mut Vec<Value>, pieces: &[Value]) {
    for piece in pieces {
        let is_thinking = piece.get("type").and_then(Value::as_str) == Some("thinking");
        let open = blocks.last_mut().filter(|b| {
            b.get("type").and_then(Value::as_str) == Some("thinking")
                && b.get("signature")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
        });
        match (is_thinking, open) {
            (true, Some(Value::Object(block))) => {
                if let Some(text) = piece.get("thinking").and_then(Value::as_str) {
                    let mut joined = block
                        .get("thinking")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    joined.push_str(text);
                    block.insert("thinking".into(), Value::String(joined));
                }
                if let Some(sig) = piece
                    .get("signature")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                {
                    block.insert("signature".into(), Value::String(sig.to_owned()));
                }
            }
            _ => blocks.push(piece.clone()),
        }
    }
}

/// OpenAI's Responses error codes for the failures a gateway sees.
fn error_code(error: &Error) -> &'static str {
    match error.status.as_u16() {
        429 => "rate_limit_exceeded",
        400..=499 => "invalid_prompt",
        _ => "server_error",
    }
}

/// Writes `event: <type>\ndata: <json>\n\n`.
pub fn write_sse_event(event: &ResponsesStreamEvent, buf: &mut Vec<u8>) -> Result<(), Error> {
    buf.extend_from_slice(b"event: ");
    buf.extend_from_slice(event.event.name().as_bytes());
    buf.extend_from_slice(b"\ndata: ");
    serde_json::to_writer(&mut *buf, event)
        .map_err(|e| Error::bad_request(format!("cannot encode a stream event: {e}")))?;
    buf.extend_from_slice(b"\n\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::responses_api::response_shell;
    use llmux_types::ResponsesRequest;

    fn chunk(v: Value) -> ChatChunk {
        let mut base = json!({"id": "c", "model": "claude-x", "choices": []});
        if let (Value::Object(b), Value::Object(extra)) = (&mut base, v) {
            b.extend(extra);
        }
        serde_json::from_value(base).unwrap()
    }

    fn encoder() -> ResponsesStreamEncoder {
        let req: ResponsesRequest =
            serde_json::from_value(json!({"model": "g", "input": "x"})).unwrap();
        let ids = ResponseIds::new("ab");
        let shell = response_shell(&req, ids.response(), 5, "g".into());
        ResponsesStreamEncoder::new(ids, shell)
    }

    fn names(events: &[ResponsesStreamEvent]) -> Vec<&'static str> {
        events.iter().map(|e| e.event.name()).collect()
    }

    #[test]
    fn text_then_a_tool_call_with_usage() {
        let mut enc = encoder();
        let mut events = Vec::new();
        for c in [
            json!({"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Let me"}}]}),
            json!({"choices": [{"index": 0, "delta": {"content": " look."}}]}),
            json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 1, "id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}}]}),
            json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 1, "function": {"arguments": "{\"location\":"}}]}}]}),
            json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 1, "function": {"arguments": "\"Paris\"}"}}]}}]}),
            json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}),
            json!({"choices": [{"index": 0, "delta": {}}], "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}}),
        ] {
            events.extend(enc.push(&chunk(c)));
        }
        events.extend(enc.finish());
        assert_eq!(
            names(&events),
            [
                "response.created",
                "response.in_progress",
                "response.output_item.added",
                "response.content_part.added",
                "response.output_text.delta",
                "response.output_text.delta",
                "response.output_text.done",
                "response.content_part.done",
                "response.output_item.done",
                "response.output_item.added",
                "response.function_call_arguments.delta",
                "response.function_call_arguments.delta",
                "response.function_call_arguments.done",
                "response.output_item.done",
                "response.completed",
            ]
        );
        let seqs: Vec<u64> = events.iter().map(|e| e.sequence_number).collect();
        assert_eq!(seqs, (0..15).collect::<Vec<_>>());
        let last = serde_json::to_value(events.last().unwrap()).unwrap();
        let r = &last["response"];
        assert_eq!(r["model"], "claude-x");
        assert_eq!(r["status"], "completed");
        assert_eq!(r["usage"]["total_tokens"], 21);
        assert_eq!(
            r["output"],
            json!([
                {"type": "message", "id": "msg_ab00", "status": "completed", "role": "assistant",
                 "content": [{"type": "output_text", "text": "Let me look.", "annotations": []}]},
                {"type": "function_call", "id": "fc_ab00", "status": "completed", "call_id": "toolu_1",
                 "name": "get_weather", "arguments": "{\"location\":\"Paris\"}"}
            ])
        );
        assert_eq!(enc.response().output.len(), 2);
    }

    #[test]
    fn a_custom_tool_call_streams_its_input_whole() {
        let req: ResponsesRequest = serde_json::from_value(json!({"model": "g", "input": "x",
            "tools": [{"type": "custom", "name": "apply_patch"}]}))
        .unwrap();
        let ids = ResponseIds::new("ab");
        let shell = response_shell(&req, ids.response(), 5, "g".into());
        let mut enc = ResponsesStreamEncoder::new(ids, shell);
        let mut events = Vec::new();
        for c in [
            json!({"choices": [{"index": 0, "delta": {"tool_calls": [
                {"index": 0, "id": "c1", "function": {"name": "apply_patch", "arguments": "{\"input\": \"*** Be"}}]}}]}),
            json!({"choices": [{"index": 0, "delta": {"tool_calls": [
                {"index": 0, "function": {"arguments": "gin\"}"}}]}}]}),
        ] {
            events.extend(enc.push(&chunk(c)));
        }
        events.extend(enc.finish());
        assert_eq!(
            names(&events),
            [
                "response.created",
                "response.in_progress",
                "response.output_item.added",
                "response.custom_tool_call_input.done",
                "response.output_item.done",
                "response.completed",
            ]
        );
        let out = serde_json::to_value(&enc.response().output).unwrap();
        assert_eq!(
            out,
            json!([{"type": "custom_tool_call", "id": "ctc_ab00", "status": "completed",
                    "call_id": "c1", "name": "apply_patch", "input": "*** Begin"}])
        );
    }

    #[test]
    fn parallel_tool_calls_keep_their_own_items() {
        let mut enc = encoder();
        let mut events = Vec::new();
        for c in [
            json!({"choices": [{"index": 0, "delta": {"tool_calls": [
                {"index": 0, "id": "a", "function": {"name": "f", "arguments": "{\"x\""}},
                {"index": 1, "id": "b", "function": {"name": "g", "arguments": "{\"y\""}}]}}]}),
            json!({"choices": [{"index": 0, "delta": {"tool_calls": [
                {"index": 0, "function": {"arguments": ":1}"}},
                {"index": 1, "function": {"arguments": ":2}"}}]}}]}),
        ] {
            events.extend(enc.push(&chunk(c)));
        }
        events.extend(enc.finish());
        let out = serde_json::to_value(&enc.response().output).unwrap();
        assert_eq!(out[0]["arguments"], "{\"x\":1}");
        assert_eq!(out[1]["arguments"], "{\"y\":2}");
        assert_eq!(out[1]["call_id"], "b");
    }

    #[test]
    fn reasoning_then_text_and_a_cut_short_answer_is_incomplete() {
        let mut enc = encoder();
        let mut events = Vec::new();
        for c in [
            json!({"choices": [{"index": 0, "delta": {"reasoning_content": "think"}}]}),
            json!({"choices": [{"index": 0, "delta": {"content": "answer"}, "finish_reason": "length"}]}),
        ] {
            events.extend(enc.push(&chunk(c)));
        }
        events.extend(enc.finish());
        assert!(names(&events).contains(&"response.reasoning_summary_text.delta"));
        assert_eq!(names(&events).last(), Some(&"response.incomplete"));
        let r = serde_json::to_value(enc.response()).unwrap();
        assert_eq!(
            r["incomplete_details"],
            json!({"reason": "max_output_tokens"})
        );
        assert_eq!(r["output"][0]["type"], "reasoning");
        assert_eq!(r["output"][1]["content"][0]["text"], "answer");
    }

    #[test]
    fn a_failure_ends_with_response_failed() {
        let mut enc = encoder();
        let mut events = enc.push(&chunk(
            json!({"choices": [{"index": 0, "delta": {"content": "a"}}]}),
        ));
        events.extend(enc.fail(&Error::new(llmux_types::ErrorKind::InternalServer, "boom")));
        assert_eq!(names(&events).last(), Some(&"response.failed"));
        assert!(enc.finish().is_empty());
        let r = serde_json::to_value(enc.response()).unwrap();
        assert_eq!(r["status"], "failed");
        assert_eq!(r["error"]["code"], "server_error");
    }

    #[test]
    fn frames_name_their_event() {
        let mut enc = encoder();
        let events = enc.finish();
        let mut buf = Vec::new();
        for e in &events {
            write_sse_event(e, &mut buf).unwrap();
        }
        let text = String::from_utf8(buf).unwrap();
        assert!(text.starts_with("event: response.created\ndata: {\"type\":\"response.created\""));
        assert!(text.ends_with("\"sequence_number\":2}\n\n"), "{text}");
    }
}
