//! OpenAI-compatible routes: chat completions, text completions, embeddings, models.

use std::sync::LazyLock;

use axum::response::Response;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::control::Controls;
use crate::errors::{Family, bad_body};
use crate::template::{MODEL, Model, StreamTemplate, Template, json_ok};
use crate::tools::ToolCall;

/// The model echoed when the request names none.
pub(crate) const DEFAULT_MODEL: &str = "gpt-4o-mini";
/// The assistant's answer.
pub(crate) const TEXT: &str = "Hello! How can I help you today?";
/// [`TEXT`] as streamed.
pub(crate) const PIECES: [&str; 3] = ["Hello", "! How can", " I help you today?"];
/// The content of each `/chunks/{n}` chunk.
pub(crate) const TOK: &str = "tok ";
pub(crate) const CREATED: u64 = 1_700_000_000;
const CHAT_ID: &str = "chatcmpl-mock0001";
const COMPLETION_ID: &str = "cmpl-mock0001";
const MAX_CHOICES: u32 = 128;

/// The `GET …/models` body.
pub(crate) const MODELS: &str = r#"{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1700000000,"owned_by":"mock"}]}"#;

static CHAT_JSON: LazyLock<Template> = LazyLock::new(|| Template::json(&chat_json(1, None)));
static CHAT_STREAM: LazyLock<[StreamTemplate; 2]> =
    LazyLock::new(|| [false, true].map(|usage| chat_stream(1, None, usage)));
static COMPLETION_JSON: LazyLock<Template> = LazyLock::new(|| Template::json(&completion_json(1)));
static COMPLETION_STREAM: LazyLock<[StreamTemplate; 2]> =
    LazyLock::new(|| [false, true].map(|usage| completion_stream(1, usage)));

/// Build the cached templates now rather than on the first request.
pub(crate) fn warm_up() {
    LazyLock::force(&CHAT_JSON);
    LazyLock::force(&CHAT_STREAM);
    LazyLock::force(&COMPLETION_JSON);
    LazyLock::force(&COMPLETION_STREAM);
}

/// The fields of a chat or text completion request the mock looks at.
#[derive(Deserialize)]
struct CompletionRequest {
    model: Option<String>,
    stream: Option<bool>,
    stream_options: Option<StreamOptions>,
    n: Option<u32>,
    messages: Option<Vec<Message>>,
    tools: Option<Vec<Value>>,
    tool_choice: Option<Value>,
}

#[derive(Deserialize)]
struct StreamOptions {
    include_usage: Option<bool>,
}

#[derive(Deserialize)]
struct Message {
    role: Option<String>,
}

impl CompletionRequest {
    fn parse(body: &[u8]) -> Result<(Self, Model), Response> {
        let request: Self =
            serde_json::from_slice(body).map_err(|e| bad_body(Family::OpenAi, &e))?;
        let model = Model::new(request.model.as_deref().unwrap_or(DEFAULT_MODEL));
        Ok((request, model))
    }

    fn choices(&self) -> u32 {
        self.n.unwrap_or(1).clamp(1, MAX_CHOICES)
    }

    fn include_usage(&self) -> bool {
        self.stream_options
            .as_ref()
            .and_then(|o| o.include_usage)
            .unwrap_or(false)
    }

    /// The tool to call, if the request offers tools and does not answer a tool call.
    fn tool_call(&self) -> Option<ToolCall> {
        let tools = self.tools.as_deref().filter(|t| !t.is_empty())?;
        let messages = self.messages.as_deref().unwrap_or_default();
        let last_role = messages.last().and_then(|m| m.role.as_deref());
        let choice = self.tool_choice.as_ref().unwrap_or(&Value::Null);
        if last_role == Some("tool") || choice.as_str() == Some("none") {
            return None;
        }
        let forced = choice["function"]["name"].as_str();
        let function = |tool: &Value| tool["function"].clone();
        let chosen = match forced {
            Some(name) => tools.iter().map(function).find(|f| f["name"] == name),
            None => tools.first().map(function),
        };
        let name = forced.or_else(|| chosen.as_ref()?["name"].as_str())?;
        Some(ToolCall::new(
            name,
            chosen.as_ref().map(|f| &f["parameters"]),
        ))
    }
}

/// `POST …/chat/completions`.
pub(crate) fn chat(body: &[u8], controls: &Controls<'_>) -> Response {
    let (request, model) = match CompletionRequest::parse(body) {
        Ok(parsed) => parsed,
        Err(response) => return response,
    };
    let n = request.choices();
    let tool = request.tool_call();
    let cached = n == 1 && tool.is_none();
    if request.stream == Some(true) {
        let usage = request.include_usage();
        if cached {
            return CHAT_STREAM[usize::from(usage)].respond(&model, controls);
        }
        return chat_stream(n, tool.as_ref(), usage).respond(&model, controls);
    }
    if cached {
        return json_ok(CHAT_JSON.render(&model));
    }
    json_ok(Template::json(&chat_json(n, tool.as_ref())).render(&model))
}

/// `POST …/completions`.
pub(crate) fn completion(body: &[u8], controls: &Controls<'_>) -> Response {
    let (request, model) = match CompletionRequest::parse(body) {
        Ok(parsed) => parsed,
        Err(response) => return response,
    };
    let n = request.choices();
    if request.stream == Some(true) {
        let usage = request.include_usage();
        if n == 1 {
            return COMPLETION_STREAM[usize::from(usage)].respond(&model, controls);
        }
        return completion_stream(n, usage).respond(&model, controls);
    }
    if n == 1 {
        return json_ok(COMPLETION_JSON.render(&model));
    }
    json_ok(Template::json(&completion_json(n)).render(&model))
}

fn chat_usage() -> Value {
    json!({
        "prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
    })
}

fn finish_reason(tool: Option<&ToolCall>) -> &'static str {
    if tool.is_some() { "tool_calls" } else { "stop" }
}

fn chat_json(n: u32, tool: Option<&ToolCall>) -> Value {
    let message = match tool {
        None => json!({"role": "assistant", "content": TEXT, "refusal": null, "annotations": []}),
        Some(tool) => json!({
            "role": "assistant",
            "content": null,
            "tool_calls": [{
                "id": "call_mock_0",
                "type": "function",
                "function": {"name": tool.name, "arguments": tool.arguments()}
            }],
            "refusal": null,
            "annotations": []
        }),
    };
    let choices: Vec<Value> = (0..n)
        .map(|index| {
            json!({
                "index": index,
                "message": message,
                "logprobs": null,
                "finish_reason": finish_reason(tool)
            })
        })
        .collect();
    json!({
        "id": CHAT_ID,
        "object": "chat.completion",
        "created": CREATED,
        "model": MODEL,
        "choices": choices,
        "usage": chat_usage(),
        "service_tier": "default",
        "system_fingerprint": "fp_mock"
    })
}

/// One chat chunk; `usage` adds `"usage": null` as OpenAI does when usage is streamed.
fn chat_chunk(choices: Value, usage: bool) -> Template {
    let mut chunk = json!({
        "id": CHAT_ID,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "service_tier": "default",
        "system_fingerprint": "fp_mock",
        "choices": choices
    });
    if let (true, Some(object)) = (usage, chunk.as_object_mut()) {
        object.insert("usage".to_owned(), Value::Null);
    }
    Template::sse(None, &chunk)
}

/// One chunk per choice with the given delta.
fn chat_step(n: u32, delta: &Value, finish: Option<&str>, usage: bool) -> Vec<Template> {
    (0..n)
        .map(|index| {
            let choice =
                json!({"index": index, "delta": delta, "logprobs": null, "finish_reason": finish});
            chat_chunk(json!([choice]), usage)
        })
        .collect()
}

fn chat_stream(n: u32, tool: Option<&ToolCall>, usage: bool) -> StreamTemplate {
    let mut stream = StreamTemplate::default();
    match tool {
        None => {
            stream.head = chat_step(n, &json!({"role": "assistant", "content": ""}), None, usage);
            for piece in PIECES {
                stream
                    .body
                    .extend(chat_step(n, &json!({"content": piece}), None, usage));
            }
            stream.tok = chat_step(n, &json!({"content": TOK}), None, usage);
        }
        Some(tool) => {
            let call = json!({
                "index": 0,
                "id": "call_mock_0",
                "type": "function",
                "function": {"name": tool.name, "arguments": ""}
            });
            let delta = json!({"role": "assistant", "content": null, "tool_calls": [call]});
            stream.head = chat_step(n, &delta, None, usage);
            for half in tool.argument_halves() {
                let delta = json!({"tool_calls": [{"index": 0, "function": {"arguments": half}}]});
                stream.body.extend(chat_step(n, &delta, None, usage));
            }
        }
    }
    stream.tail = chat_step(n, &json!({}), Some(finish_reason(tool)), usage);
    if usage {
        let last = json!({
            "id": CHAT_ID,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": MODEL,
            "service_tier": "default",
            "system_fingerprint": "fp_mock",
            "choices": [],
            "usage": chat_usage()
        });
        stream.tail.push(Template::sse(None, &last));
    }
    stream.tail.push(Template::raw("data: [DONE]\n\n"));
    stream
}

fn completion_usage() -> Value {
    json!({"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21})
}

fn completion_object(choices: Value, usage: Option<Value>) -> Value {
    let mut object = json!({
        "id": COMPLETION_ID,
        "object": "text_completion",
        "created": CREATED,
        "model": MODEL,
        "system_fingerprint": "fp_mock",
        "choices": choices
    });
    if let (Some(usage), Some(map)) = (usage, object.as_object_mut()) {
        map.insert("usage".to_owned(), usage);
    }
    object
}

fn completion_choice(index: u32, text: &str, finish: Option<&str>) -> Value {
    json!({"text": text, "index": index, "logprobs": null, "finish_reason": finish})
}

fn completion_json(n: u32) -> Value {
    let choices = (0..n)
        .map(|i| completion_choice(i, TEXT, Some("stop")))
        .collect();
    completion_object(Value::Array(choices), Some(completion_usage()))
}

fn completion_stream(n: u32, usage: bool) -> StreamTemplate {
    let step = |text: &str, finish: Option<&str>| -> Vec<Template> {
        (0..n)
            .map(|i| {
                let choices = json!([completion_choice(i, text, finish)]);
                let object = completion_object(choices, usage.then_some(Value::Null));
                Template::sse(None, &object)
            })
            .collect()
    };
    let mut stream = StreamTemplate {
        body: PIECES.iter().flat_map(|piece| step(piece, None)).collect(),
        tok: step(TOK, None),
        tail: step("", Some("stop")),
        ..StreamTemplate::default()
    };
    if usage {
        let last = completion_object(json!([]), Some(completion_usage()));
        stream.tail.push(Template::sse(None, &last));
    }
    stream.tail.push(Template::raw("data: [DONE]\n\n"));
    stream
}

/// The `GET …/models` response.
pub(crate) fn models() -> Response {
    json_ok(Bytes::from_static(MODELS.as_bytes()))
}
