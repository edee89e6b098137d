//! OpenAI's Responses API (`POST …/responses`): the response object, or its SSE events
//! (`event: <type>` and `data:` lines, each with its `sequence_number`).

use axum::response::Response;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::control::Controls;
use crate::errors::{Family, bad_body};
use crate::openai::{CREATED, DEFAULT_MODEL, PIECES, TEXT};
use crate::template::{faulted_sse, json_ok};
use crate::tools::ToolCall;

const RESPONSE_ID: &str = "resp_mock01";
const MESSAGE_ID: &str = "msg_mock01";
const CALL_ITEM_ID: &str = "fc_mock01";
const CALL_ID: &str = "call_mock_0";

#[derive(Deserialize)]
struct Request {
    model: Option<String>,
    stream: Option<bool>,
    input: Option<Value>,
    tools: Option<Vec<Value>>,
    tool_choice: Option<Value>,
    previous_response_id: Option<String>,
    instructions: Option<String>,
}

impl Request {
    /// The function the model calls: the forced one, else the first, unless the last
    /// input item is a function_call_output or `tool_choice` is `none`.
    fn tool_call(&self) -> Option<ToolCall> {
        if self.tool_choice.as_ref().and_then(Value::as_str) == Some("none") {
            return None;
        }
        let last_is_output = self
            .input
            .as_ref()
            .and_then(Value::as_array)
            .and_then(|items| items.last())
            .and_then(|i| i.get("type"))
            .and_then(Value::as_str)
            == Some("function_call_output");
        if last_is_output {
            return None;
        }
        let functions: Vec<&Value> = self
            .tools
            .iter()
            .flatten()
            .filter(|t| t.get("type").and_then(Value::as_str) == Some("function"))
            .collect();
        let forced = self
            .tool_choice
            .as_ref()
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str);
        let tool = forced
            .and_then(|name| {
                functions
                    .iter()
                    .find(|t| t.get("name").and_then(Value::as_str) == Some(name))
            })
            .or(functions.first())?;
        let name = tool.get("name").and_then(Value::as_str)?;
        Some(ToolCall::new(name, tool.get("parameters")))
    }
}

fn object(req: &Request, status: &str, output: Value, usage: Value) -> Value {
    json!({
        "id": RESPONSE_ID, "object": "response", "created_at": CREATED, "status": status,
        "error": null, "incomplete_details": null, "instructions": req.instructions,
        "model": req.model.as_deref().unwrap_or(DEFAULT_MODEL), "output": output,
        "parallel_tool_calls": true, "previous_response_id": req.previous_response_id,
        "store": true, "temperature": 1.0, "text": {"format": {"type": "text"}},
        "tool_choice": req.tool_choice.clone().unwrap_or(json!("auto")),
        "tools": req.tools.clone().unwrap_or_default(), "top_p": 1.0, "truncation": "disabled",
        "usage": usage, "metadata": {}
    })
}

fn usage() -> Value {
    json!({"input_tokens": 12, "input_tokens_details": {"cached_tokens": 0},
           "output_tokens": 9, "output_tokens_details": {"reasoning_tokens": 0},
           "total_tokens": 21})
}

fn output(call: Option<&ToolCall>) -> Value {
    match call {
        Some(call) => json!([{"id": CALL_ITEM_ID, "type": "function_call", "status": "completed",
            "arguments": call.arguments(), "call_id": CALL_ID, "name": call.name}]),
        None => {
            json!([{"id": MESSAGE_ID, "type": "message", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "annotations": [], "text": TEXT}]}])
        }
    }
}

/// `POST …/responses`.
pub(crate) fn responses(body: &Bytes, controls: &Controls<'_>) -> Response {
    let req: Request = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => return bad_body(Family::OpenAi, &e),
    };
    let call = req.tool_call();
    if req.stream != Some(true) {
        let body = object(&req, "completed", output(call.as_ref()), usage());
        return json_ok(Bytes::from(body.to_string()));
    }
    let mut events: Vec<(&str, Value)> = Vec::new();
    let pending = object(&req, "in_progress", json!([]), Value::Null);
    events.push(("response.created", json!({"response": pending})));
    events.push(("response.in_progress", json!({"response": pending})));
    let final_item = output(call.as_ref())[0].clone();
    match &call {
        Some(call) => {
            let mut added = final_item.clone();
            added["status"] = json!("in_progress");
            added["arguments"] = json!("");
            events.push((
                "response.output_item.added",
                json!({"output_index": 0, "item": added}),
            ));
            for half in call.argument_halves() {
                events.push((
                    "response.function_call_arguments.delta",
                    json!({"item_id": CALL_ITEM_ID, "output_index": 0, "delta": half}),
                ));
            }
            events.push((
                "response.function_call_arguments.done",
                json!({"item_id": CALL_ITEM_ID, "output_index": 0, "arguments": call.arguments()}),
            ));
        }
        None => {
            let mut added = final_item.clone();
            added["status"] = json!("in_progress");
            added["content"] = json!([]);
            events.push((
                "response.output_item.added",
                json!({"output_index": 0, "item": added}),
            ));
            let part = json!({"type": "output_text", "annotations": [], "text": ""});
            events.push((
                "response.content_part.added",
                json!({"item_id": MESSAGE_ID,
                "output_index": 0, "content_index": 0, "part": part}),
            ));
            for piece in PIECES {
                events.push((
                    "response.output_text.delta",
                    json!({"item_id": MESSAGE_ID,
                    "output_index": 0, "content_index": 0, "delta": piece}),
                ));
            }
            events.push((
                "response.output_text.done",
                json!({"item_id": MESSAGE_ID,
                "output_index": 0, "content_index": 0, "text": TEXT}),
            ));
            events.push((
                "response.content_part.done",
                json!({"item_id": MESSAGE_ID,
                "output_index": 0, "content_index": 0,
                "part": {"type": "output_text", "annotations": [], "text": TEXT}}),
            ));
        }
    }
    events.push((
        "response.output_item.done",
        json!({"output_index": 0, "item": final_item}),
    ));
    events.push((
        "response.completed",
        json!({"response": object(&req, "completed", output(call.as_ref()), usage())}),
    ));
    let first_content = events
        .iter()
        .position(|(name, _)| name.ends_with(".delta"))
        .unwrap_or(0);
    let frames: Vec<Bytes> = events
        .into_iter()
        .enumerate()
        .map(|(n, (name, mut data))| {
            if let Value::Object(map) = &mut data {
                map.insert("type".into(), json!(name));
                map.insert("sequence_number".into(), json!(n));
            }
            Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
        })
        .collect();
    faulted_sse(frames, first_content, controls)
}
