//! The Anthropic Messages API route (`POST …/messages`).

use std::sync::LazyLock;

use axum::response::Response;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::control::Controls;
use crate::errors::{Family, bad_body};
use crate::openai::{PIECES, TEXT, TOK};
use crate::template::{MODEL, Model, StreamTemplate, Template, json_ok};
use crate::tools::ToolCall;

/// The model echoed when the request names none.
const DEFAULT_MODEL: &str = "claude-sonnet-4-5";
const MESSAGE_ID: &str = "msg_mock01";
const TOOL_USE_ID: &str = "toolu_mock01";
/// The text block before a tool call.
const TOOL_PREAMBLE: &str = "Let me look that up.";

static MESSAGE_JSON: LazyLock<Template> = LazyLock::new(|| Template::json(&message_json(None)));
static MESSAGE_STREAM: LazyLock<StreamTemplate> = LazyLock::new(|| message_stream(None));

/// Build the cached templates now rather than on the first request.
pub(crate) fn warm_up() {
    LazyLock::force(&MESSAGE_JSON);
    LazyLock::force(&MESSAGE_STREAM);
}

/// The fields of a Messages request the mock looks at.
#[derive(Deserialize)]
struct MessagesRequest {
    model: Option<String>,
    stream: Option<bool>,
    messages: Option<Vec<Message>>,
    tools: Option<Vec<Value>>,
    tool_choice: Option<Value>,
}

#[derive(Deserialize)]
struct Message {
    content: Option<Box<RawValue>>,
}

impl MessagesRequest {
    /// The tool to call, if the request offers tools and does not carry a tool result.
    fn tool_call(&self) -> Option<ToolCall> {
        let tools = self.tools.as_deref().filter(|t| !t.is_empty())?;
        let choice = self.tool_choice.as_ref().unwrap_or(&Value::Null);
        if choice["type"] == "none" || self.answers_tool_call() {
            return None;
        }
        let forced = choice["name"].as_str().filter(|_| choice["type"] == "tool");
        let chosen = match forced {
            Some(name) => tools.iter().find(|t| t["name"] == name),
            None => tools.first(),
        };
        let name = forced.or_else(|| chosen?["name"].as_str())?;
        Some(ToolCall::new(name, chosen.map(|t| &t["input_schema"])))
    }

    /// Whether the last message contains a `tool_result` block.
    fn answers_tool_call(&self) -> bool {
        let Some(content) = self
            .messages
            .as_deref()
            .and_then(<[Message]>::last)
            .and_then(|m| m.content.as_deref())
        else {
            return false;
        };
        match serde_json::from_str::<Value>(content.get()) {
            Ok(Value::Array(blocks)) => blocks.iter().any(|b| b["type"] == "tool_result"),
            _ => false,
        }
    }
}

/// `POST …/messages`.
pub(crate) fn messages(body: &[u8], controls: &Controls<'_>) -> Response {
    let request: MessagesRequest = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(e) => return bad_body(Family::Anthropic, &e),
    };
    let model = Model::new(request.model.as_deref().unwrap_or(DEFAULT_MODEL));
    let tool = request.tool_call();
    match (request.stream == Some(true), tool) {
        (true, None) => MESSAGE_STREAM.respond(&model, controls),
        (true, Some(tool)) => message_stream(Some(&tool)).respond(&model, controls),
        (false, None) => json_ok(MESSAGE_JSON.render(&model)),
        (false, Some(tool)) => json_ok(Template::json(&message_json(Some(&tool))).render(&model)),
    }
}

fn message_json(tool: Option<&ToolCall>) -> Value {
    let (content, stop_reason) = match tool {
        None => (json!([{"type": "text", "text": TEXT}]), "end_turn"),
        Some(tool) => (
            json!([
                {"type": "text", "text": TOOL_PREAMBLE},
                {"type": "tool_use", "id": TOOL_USE_ID, "name": tool.name, "input": tool.input}
            ]),
            "tool_use",
        ),
    };
    json!({
        "id": MESSAGE_ID,
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": {
            "input_tokens": 12,
            "output_tokens": 9,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0
        }
    })
}

fn event(kind: &str, data: &Value) -> Template {
    Template::sse(Some(kind), data)
}

fn block_start(index: u32, block: &Value) -> Template {
    let data = json!({"type": "content_block_start", "index": index, "content_block": block});
    event("content_block_start", &data)
}

fn block_delta(index: u32, delta: &Value) -> Template {
    let data = json!({"type": "content_block_delta", "index": index, "delta": delta});
    event("content_block_delta", &data)
}

fn text_delta(text: &str) -> Template {
    block_delta(0, &json!({"type": "text_delta", "text": text}))
}

fn block_stop(index: u32) -> Template {
    event(
        "content_block_stop",
        &json!({"type": "content_block_stop", "index": index}),
    )
}

/// The event sequence of <https://docs.anthropic.com/en/api/messages-streaming>.
fn message_stream(tool: Option<&ToolCall>) -> StreamTemplate {
    let start = json!({
        "type": "message_start",
        "message": {
            "id": MESSAGE_ID,
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": MODEL,
            "stop_reason": null,
            "stop_sequence": null,
            "usage": {
                "input_tokens": 12,
                "output_tokens": 1,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0
            }
        }
    });
    let mut stream = StreamTemplate {
        head: vec![
            event("message_start", &start),
            block_start(0, &json!({"type": "text", "text": ""})),
            event("ping", &json!({"type": "ping"})),
        ],
        ..StreamTemplate::default()
    };
    let stop_reason = match tool {
        None => {
            stream.body = PIECES.into_iter().map(text_delta).collect();
            stream.tok = vec![text_delta(TOK)];
            stream.tail.push(block_stop(0));
            "end_turn"
        }
        Some(tool) => {
            let block =
                json!({"type": "tool_use", "id": TOOL_USE_ID, "name": tool.name, "input": {}});
            stream.head.extend([
                text_delta(TOOL_PREAMBLE),
                block_stop(0),
                block_start(1, &block),
                block_delta(1, &json!({"type": "input_json_delta", "partial_json": ""})),
            ]);
            stream.body = tool
                .argument_halves()
                .iter()
                .map(|half| {
                    block_delta(
                        1,
                        &json!({"type": "input_json_delta", "partial_json": half}),
                    )
                })
                .collect();
            stream.tail.push(block_stop(1));
            "tool_use"
        }
    };
    let delta = json!({
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": null},
        "usage": {"output_tokens": 9}
    });
    stream.tail.push(event("message_delta", &delta));
    stream
        .tail
        .push(event("message_stop", &json!({"type": "message_stop"})));
    stream
}
