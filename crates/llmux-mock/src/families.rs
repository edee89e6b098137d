//! AWS Bedrock (Converse, ConverseStream over the binary event-stream, InvokeModel
//! embeddings), Cohere v2 (chat, its SSE stream, embed) and Ollama (`/api/chat`,
//! `/api/generate`, `/api/embed`, NDJSON streams). Built per request from `serde_json`
//! values: these routes serve tests, not benchmarks.

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue as HttpHeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use crate::control::Controls;
use crate::embeddings::vector;
use crate::errors::{Family, bad_body};
use crate::openai::{PIECES, TEXT, TOK};
use crate::template::{json_ok, sse_response};
use crate::tools::ToolCall;

const TOOL_PREAMBLE: &str = "Let me look that up.";
const USAGE_IN: u64 = 12;
const USAGE_OUT: u64 = 9;

fn pieces(controls: &Controls<'_>) -> Vec<&'static str> {
    match controls.chunks {
        Some(n) => vec![TOK; n],
        None => PIECES.to_vec(),
    }
}

fn parse(body: &[u8], family: Family) -> Result<Value, Response> {
    serde_json::from_slice(body).map_err(|e| bad_body(family, &e))
}

/// The tool to call among OpenAI-shaped `tools` (`function.name`, `function.parameters`),
/// unless the last message is a tool result.
fn openai_tool(body: &Value, forced: Option<&str>) -> Option<ToolCall> {
    let tools = body["tools"].as_array().filter(|t| !t.is_empty())?;
    let last_role = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .map_or("", |m| m["role"].as_str().unwrap_or(""));
    if last_role == "tool" {
        return None;
    }
    let chosen = match forced {
        Some(name) => tools.iter().find(|t| t["function"]["name"] == name)?,
        None => tools.first()?,
    };
    let name = chosen["function"]["name"].as_str()?;
    Some(ToolCall::new(name, chosen["function"].get("parameters")))
}

// ---------------------------------------------------------------- Bedrock

fn bedrock_tool(body: &Value) -> Option<ToolCall> {
    let tools = body["toolConfig"]["tools"]
        .as_array()
        .filter(|t| !t.is_empty())?;
    let last_has_result = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_array())
        .is_some_and(|c| c.iter().any(|b| b.get("toolResult").is_some()));
    if last_has_result {
        return None;
    }
    let forced = body["toolConfig"]["toolChoice"]["tool"]["name"].as_str();
    let chosen = match forced {
        Some(name) => tools.iter().find(|t| t["toolSpec"]["name"] == name)?,
        None => tools.first()?,
    };
    let spec = &chosen["toolSpec"];
    Some(ToolCall::new(
        spec["name"].as_str()?,
        spec.pointer("/inputSchema/json"),
    ))
}

fn bedrock_usage() -> Value {
    json!({"inputTokens": USAGE_IN, "outputTokens": USAGE_OUT, "totalTokens": USAGE_IN + USAGE_OUT})
}

/// `POST …/model/{id}/converse` and `…/converse-stream`.
pub(crate) fn bedrock_converse(body: &[u8], stream: bool, controls: &Controls<'_>) -> Response {
    let body = match parse(body, Family::Bedrock) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let tool = bedrock_tool(&body);
    if !stream {
        let (content, stop) = match &tool {
            Some(t) => (
                json!([{"text": TOOL_PREAMBLE}, {"toolUse": {"toolUseId": "tooluse_mock01", "name": t.name, "input": t.input}}]),
                "tool_use",
            ),
            None => (json!([{"text": TEXT}]), "end_turn"),
        };
        let answer = json!({"output": {"message": {"role": "assistant", "content": content}},
            "stopReason": stop, "usage": bedrock_usage(), "metrics": {"latencyMs": 100}});
        return json_ok(Bytes::from(answer.to_string()));
    }
    let mut events = vec![("messageStart", json!({"role": "assistant"}))];
    let stop = match &tool {
        Some(t) => {
            let [a, b] = t.argument_halves();
            events.extend([
                ("contentBlockDelta", json!({"contentBlockIndex": 0, "delta": {"text": TOOL_PREAMBLE}})),
                ("contentBlockStop", json!({"contentBlockIndex": 0})),
                ("contentBlockStart", json!({"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "tooluse_mock01", "name": t.name}}})),
                ("contentBlockDelta", json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": a}}})),
                ("contentBlockDelta", json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": b}}})),
                ("contentBlockStop", json!({"contentBlockIndex": 1})),
            ]);
            "tool_use"
        }
        None => {
            for p in pieces(controls) {
                events.push((
                    "contentBlockDelta",
                    json!({"contentBlockIndex": 0, "delta": {"text": p}}),
                ));
            }
            events.push(("contentBlockStop", json!({"contentBlockIndex": 0})));
            "end_turn"
        }
    };
    events.push(("messageStop", json!({"stopReason": stop})));
    events.push((
        "metadata",
        json!({"usage": bedrock_usage(), "metrics": {"latencyMs": 100}}),
    ));
    let mut frames: Vec<Bytes> = events
        .into_iter()
        .map(|(name, payload)| {
            event_frame(
                &[
                    (":event-type", name),
                    (":content-type", "application/json"),
                    (":message-type", "event"),
                ],
                &payload,
            )
        })
        .collect();
    if controls.break_stream {
        frames.truncate(2);
    }
    binary_stream(
        frames,
        controls.break_stream,
        "application/vnd.amazon.eventstream",
    )
}

/// An event-stream frame (aws-smithy-eventstream's encoder).
pub(crate) fn event_frame(headers: &[(&str, &str)], payload: &Value) -> Bytes {
    let mut message = Message::new(Bytes::from(payload.to_string()));
    for (name, value) in headers {
        message = message.add_header(Header::new(
            (*name).to_owned(),
            HeaderValue::String((*value).to_owned().into()),
        ));
    }
    let mut out = Vec::new();
    // Writing to a Vec fails only on headers over the format's limits, which these are not.
    if write_message_to(&message, &mut out).is_err() {
        out.clear();
    }
    Bytes::from(out)
}

/// An Anthropic Messages answer to an InvokeModel body, as content blocks.
fn anthropic_blocks(body: &Value) -> (Vec<Value>, &'static str) {
    let tools = body["tools"].as_array().filter(|t| !t.is_empty());
    let answers_tool = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_array())
        .is_some_and(|c| c.iter().any(|b| b["type"] == "tool_result"));
    match tools.filter(|_| !answers_tool).and_then(|t| t.first()) {
        Some(tool) => {
            let call = ToolCall::new(
                tool["name"].as_str().unwrap_or("tool"),
                tool.get("input_schema"),
            );
            (
                vec![
                    json!({"type": "text", "text": TOOL_PREAMBLE}),
                    json!({"type": "tool_use", "id": "toolu_mock01", "name": call.name, "input": call.input}),
                ],
                "tool_use",
            )
        }
        None => (vec![json!({"type": "text", "text": TEXT})], "end_turn"),
    }
}

fn anthropic_usage() -> Value {
    json!({"input_tokens": USAGE_IN, "output_tokens": USAGE_OUT})
}

/// `POST …/model/{id}/invoke-with-response-stream` for Anthropic models: each Anthropic
/// stream event as a `chunk` message whose `bytes` are the event's JSON in base64.
pub(crate) fn bedrock_invoke_stream(body: &[u8], controls: &Controls<'_>) -> Response {
    use base64::Engine;
    let body = match parse(body, Family::Bedrock) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (blocks, stop) = anthropic_blocks(&body);
    let mut events = vec![
        json!({"type": "message_start", "message": {"id": "msg_mock01", "type": "message",
        "role": "assistant", "model": "claude", "content": [], "stop_reason": null,
        "usage": {"input_tokens": USAGE_IN, "output_tokens": 1}}}),
    ];
    for (i, block) in blocks.iter().enumerate() {
        if block["type"] == "text" {
            events.push(json!({"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}}));
            let pieces: Vec<String> = if block["text"] == TEXT {
                pieces(controls).into_iter().map(str::to_owned).collect()
            } else {
                vec![block["text"].as_str().unwrap_or_default().to_owned()]
            };
            for p in pieces {
                events.push(json!({"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": p}}));
            }
        } else {
            let mut start = block.clone();
            start["input"] = json!({});
            events.push(json!({"type": "content_block_start", "index": i, "content_block": start}));
            events.push(json!({"type": "content_block_delta", "index": i, "delta": {"type": "input_json_delta", "partial_json": block["input"].to_string()}}));
        }
        events.push(json!({"type": "content_block_stop", "index": i}));
    }
    events.push(json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null}, "usage": {"output_tokens": USAGE_OUT}}));
    events.push(json!({"type": "message_stop", "amazon-bedrock-invocationMetrics": {"inputTokenCount": USAGE_IN, "outputTokenCount": USAGE_OUT}}));
    let frames = events
        .into_iter()
        .map(|e| {
            let bytes = base64::engine::general_purpose::STANDARD.encode(e.to_string());
            event_frame(
                &[
                    (":event-type", "chunk"),
                    (":content-type", "application/json"),
                    (":message-type", "event"),
                ],
                &json!({"bytes": bytes}),
            )
        })
        .collect();
    binary_stream(frames, false, "application/vnd.amazon.eventstream")
}

/// `POST …/model/{id}/invoke`: an Anthropic message for Anthropic models, else Titan
/// (`inputText`) or Cohere (`texts`) embeddings.
pub(crate) fn bedrock_invoke(model: &str, body: &[u8]) -> Response {
    let body = match parse(body, Family::Bedrock) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if model.contains("anthropic.") {
        let (content, stop) = anthropic_blocks(&body);
        let answer = json!({"id": "msg_mock01", "type": "message", "role": "assistant", "model": "claude",
            "content": content, "stop_reason": stop, "stop_sequence": null, "usage": anthropic_usage()});
        return json_ok(Bytes::from(answer.to_string()));
    }
    let floats = |i: usize, d: usize| vector(i, d).map(f64::from).collect::<Vec<_>>();
    if model.contains("cohere") {
        let n = body["texts"].as_array().map_or(1, Vec::len).max(1);
        let embeddings: Vec<_> = (0..n).map(|i| floats(i, 8)).collect();
        return json_ok(Bytes::from(json!({"id": "mock-embed-01", "embeddings": embeddings, "texts": body["texts"], "response_type": "embeddings_floats"}).to_string()));
    }
    let dims = body["dimensions"]
        .as_u64()
        .and_then(|d| usize::try_from(d).ok())
        .unwrap_or(8);
    json_ok(Bytes::from(
        json!({"embedding": floats(0, dims), "inputTextTokenCount": 5}).to_string(),
    ))
}

// ---------------------------------------------------------------- Cohere

fn cohere_usage() -> Value {
    json!({"billed_units": {"input_tokens": USAGE_IN, "output_tokens": USAGE_OUT},
        "tokens": {"input_tokens": USAGE_IN, "output_tokens": USAGE_OUT}})
}

/// `POST …/v2/chat`.
pub(crate) fn cohere_chat(body: &[u8], controls: &Controls<'_>) -> Response {
    let body = match parse(body, Family::Cohere) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let tool = if body["tool_choice"] == "NONE" {
        None
    } else {
        openai_tool(&body, None)
    };
    if body["stream"] != true {
        let answer = match &tool {
            Some(t) => {
                json!({"id": "mock-cohere-01", "finish_reason": "TOOL_CALL", "usage": cohere_usage(),
                "message": {"role": "assistant", "tool_plan": TOOL_PREAMBLE, "tool_calls": [
                    {"id": "mock_cohere_call_0", "type": "function", "function": {"name": t.name, "arguments": t.arguments()}}]}})
            }
            None => {
                json!({"id": "mock-cohere-01", "finish_reason": "COMPLETE", "usage": cohere_usage(),
                "message": {"role": "assistant", "content": [{"type": "text", "text": TEXT}]}})
            }
        };
        return json_ok(Bytes::from(answer.to_string()));
    }
    let mut events = vec![(
        "message-start",
        json!({"id": "mock-cohere-01", "delta": {"message": {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}}),
    )];
    let finish = match &tool {
        Some(t) => {
            let [a, b] = t.argument_halves();
            events.extend([
                ("tool-plan-delta", json!({"delta": {"message": {"tool_plan": TOOL_PREAMBLE}}})),
                ("tool-call-start", json!({"index": 0, "delta": {"message": {"tool_calls": {"id": "mock_cohere_call_0", "type": "function", "function": {"name": t.name, "arguments": ""}}}}})),
                ("tool-call-delta", json!({"index": 0, "delta": {"message": {"tool_calls": {"function": {"arguments": a}}}}})),
                ("tool-call-delta", json!({"index": 0, "delta": {"message": {"tool_calls": {"function": {"arguments": b}}}}})),
                ("tool-call-end", json!({"index": 0})),
            ]);
            "TOOL_CALL"
        }
        None => {
            events.push(("content-start", json!({"index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}})));
            for p in pieces(controls) {
                events.push((
                    "content-delta",
                    json!({"index": 0, "delta": {"message": {"content": {"text": p}}}}),
                ));
            }
            events.push(("content-end", json!({"index": 0})));
            "COMPLETE"
        }
    };
    events.push((
        "message-end",
        json!({"delta": {"finish_reason": finish, "usage": cohere_usage()}}),
    ));
    let mut frames: Vec<Bytes> = events
        .into_iter()
        .map(|(name, mut data)| {
            data["type"] = json!(name);
            Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
        })
        .collect();
    if controls.break_stream {
        frames.truncate(3);
    }
    sse_response(frames, controls.break_stream)
}

/// `POST …/v2/embed`.
pub(crate) fn cohere_embed(body: &[u8]) -> Response {
    let body = match parse(body, Family::Cohere) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let texts = body["texts"].as_array().cloned().unwrap_or_default();
    let n = texts.len().max(1);
    let floats: Vec<Vec<f64>> = (0..n)
        .map(|i| vector(i, 8).map(f64::from).collect())
        .collect();
    let answer = json!({"id": "mock-embed-01", "embeddings": {"float": floats}, "texts": texts,
        "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": 5 * n}},
        "response_type": "embeddings_by_type"});
    json_ok(Bytes::from(answer.to_string()))
}

// ---------------------------------------------------------------- Ollama

const OLLAMA_TS: &str = "2024-01-01T00:00:00.000000Z";

fn ollama_final(v: &mut Value) {
    for (k, x) in [
        ("done", json!(true)),
        ("done_reason", json!("stop")),
        ("total_duration", json!(1_000_000)),
        ("prompt_eval_count", json!(USAGE_IN)),
        ("eval_count", json!(USAGE_OUT)),
    ] {
        v[k] = x;
    }
}

fn ollama_text(body: &Value) -> String {
    match &body["format"] {
        Value::Object(_) => {
            crate::tools::ToolCall::new("format", Some(&body["format"])).arguments()
        }
        Value::String(s) if s == "json" => r#"{"result":"ok"}"#.to_owned(),
        _ => TEXT.to_owned(),
    }
}

/// `POST …/api/chat` and `…/api/generate`; `stream` defaults to true, as Ollama's does.
pub(crate) fn ollama(body: &[u8], chat: bool, controls: &Controls<'_>) -> Response {
    let body = match parse(body, Family::Ollama) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let model = body["model"].as_str().unwrap_or("llama3.1").to_owned();
    let tool = if chat { openai_tool(&body, None) } else { None };
    let text = ollama_text(&body);
    let stream = body["stream"] != false;
    let line = |content: &str, calls: Option<&ToolCall>| {
        if chat {
            let mut message = json!({"role": "assistant", "content": content});
            if let Some(t) = calls {
                message["tool_calls"] =
                    json!([{"function": {"name": t.name, "arguments": t.input}}]);
            }
            json!({"model": model, "created_at": OLLAMA_TS, "message": message, "done": false})
        } else {
            json!({"model": model, "created_at": OLLAMA_TS, "response": content, "done": false})
        }
    };
    if !stream {
        let mut answer = match &tool {
            Some(t) => line("", Some(t)),
            None => line(&text, None),
        };
        ollama_final(&mut answer);
        return json_ok(Bytes::from(answer.to_string()));
    }
    let mut lines = Vec::new();
    match &tool {
        Some(t) => lines.push(line("", Some(t))),
        None if text == TEXT => lines.extend(pieces(controls).into_iter().map(|p| line(p, None))),
        None => lines.push(line(&text, None)),
    }
    let mut last = line("", None);
    ollama_final(&mut last);
    lines.push(last);
    let mut frames: Vec<Bytes> = lines
        .into_iter()
        .map(|l| Bytes::from(format!("{l}\n")))
        .collect();
    if controls.break_stream {
        frames.truncate(1);
    }
    binary_stream(frames, controls.break_stream, "application/x-ndjson")
}

/// `POST …/api/embed`.
pub(crate) fn ollama_embed(body: &[u8]) -> Response {
    let body = match parse(body, Family::Ollama) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let n = body["input"].as_array().map_or(1, Vec::len);
    let floats: Vec<Vec<f64>> = (0..n)
        .map(|i| vector(i, 8).map(f64::from).collect())
        .collect();
    let answer = json!({"model": body["model"], "embeddings": floats, "total_duration": 1000, "prompt_eval_count": 5 * n});
    json_ok(Bytes::from(answer.to_string()))
}

/// A streamed body of `frames` with `content_type`; `broken` aborts the connection.
fn binary_stream(frames: Vec<Bytes>, broken: bool, content_type: &'static str) -> Response {
    let mut response = sse_response(frames, broken);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HttpHeaderValue::from_static(content_type));
    response
}

/// Error bodies in these families' shapes.
pub(crate) fn error_body(family: Family, status: StatusCode, context: bool) -> Value {
    let code = status.as_u16();
    match family {
        Family::Bedrock => json!({"message": match code {
            400 if context => "Input is too long for requested model.".to_owned(),
            401 | 403 => "The security token included in the request is invalid.".to_owned(),
            429 => "Too many requests, please wait before trying again.".to_owned(),
            500 => "The server encountered an internal error while processing the request.".to_owned(),
            other => format!("llmux-mock error with status {other}"),
        }}),
        Family::Cohere => json!({"message": match code {
            400 if context => "too many tokens: total number of tokens in the prompt cannot exceed 4081".to_owned(),
            401 => "invalid api token".to_owned(),
            429 => "You are using a Trial key, which is limited to 10 API calls / minute.".to_owned(),
            500 => "internal server error, this has been reported to our developers".to_owned(),
            other => format!("llmux-mock error with status {other}"),
        }}),
        _ => json!({"error": match code {
            400 if context => "input length exceeds maximum context length".to_owned(),
            401 => "unauthorized".to_owned(),
            429 => "too many requests".to_owned(),
            500 => "llama runner process has terminated".to_owned(),
            other => format!("llmux-mock error with status {other}"),
        }}),
    }
}

/// Bedrock's `x-amzn-ErrorType` for a status.
pub(crate) fn bedrock_error_type(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "ValidationException",
        401 => "UnrecognizedClientException",
        403 => "AccessDeniedException",
        429 => "ThrottlingException",
        503 => "ServiceUnavailableException",
        _ => "InternalServerException",
    }
}
