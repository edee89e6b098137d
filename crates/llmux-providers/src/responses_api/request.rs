//! Responses request → canonical `ChatRequest` (LiteLLM's
//! `transform_responses_api_request_to_chat_completion_request`).
//!
//! - `instructions` → a leading system message; `input` (after any stored history)
//!   → messages: message items keep their role, `function_call` items become an
//!   assistant message's `tool_calls` (consecutive calls, and a text turn just before
//!   them, share one assistant message), `function_call_output` items become `tool`
//!   messages, a reasoning item's summary becomes the next assistant turn's
//!   `reasoning_content`;
//! - function tools → chat function tools (`strict` defaults to false, parameters get
//!   `"type": "object"`), `web_search` → `web_search_options`; other built-in tools have
//!   no chat equivalent and are a 400; a custom (freeform) tool becomes a function of
//!   one string `input`, and its calls come back as `custom_tool_call` items;
//! - keys that only steer OpenAI's serving (`prompt_cache_key`, `service_tier`, …) are
//!   consumed, `background: true`, `conversation` and `prompt` are a 400, other keys
//!   pass on as the chat entrance passes unknown keys;
//! - `text.format` → `response_format`, `max_output_tokens` → `max_tokens`,
//!   `reasoning.effort` → `reasoning_effort`; streams ask for usage (the completed event
//!   carries it).

use llmux_types::{
    ChatMessage, ChatRequest, ContentPart, Error, FunctionCall, FunctionDefinition, ItemContent,
    ItemType, JsonMap, JsonSchemaFormat, MessageContent, PartType, ResponseFormat, ResponseItem,
    ResponsesRequest, ResponsesTool, Role, StreamOptions, Tool, ToolCall, ToolChoice,
};
use serde_json::{Value, json};

/// The chat request for `req`, whose input follows `history` (the stored conversation
/// of `previous_response_id`, oldest first).
pub fn to_chat_request(
    req: &ResponsesRequest,
    history: &[ResponseItem],
) -> Result<ChatRequest, Error> {
    let mut messages = Vec::new();
    if let Some(instructions) = &req.instructions {
        messages.push(ChatMessage::system(instructions.clone()));
    }
    let input = req.input_items();
    if input.is_empty() && history.is_empty() {
        return Err(Error::bad_request("input is required").with_param("input"));
    }
    let mut builder = Messages::default();
    for item in history.iter().chain(&input) {
        builder.push(item)?;
    }
    messages.extend(builder.finish());

    let (tools, web_search) = tools(req.tools.as_deref().unwrap_or_default())?;
    let has_tools = !tools.is_empty();
    let mut extra = bridged_extra(&req.extra)?;
    let top_logprobs = extra
        .remove("top_logprobs")
        .and_then(|v| v.as_u64())
        .and_then(|n| u32::try_from(n).ok());
    if let Some(options) = web_search {
        extra.insert("web_search_options".into(), options);
    }
    let stream = req.is_stream();
    Ok(ChatRequest {
        model: req.model.clone(),
        messages,
        temperature: req.temperature,
        top_p: req.top_p,
        stream: stream.then_some(true),
        stream_options: stream.then(|| StreamOptions {
            include_usage: Some(true),
            extra: JsonMap::new(),
        }),
        max_tokens: req.max_output_tokens,
        user: req.user.clone(),
        tool_choice: if has_tools {
            req.tool_choice.as_ref().map(tool_choice)
        } else {
            None
        },
        parallel_tool_calls: req.parallel_tool_calls.filter(|_| has_tools),
        tools: has_tools.then_some(tools),
        response_format: req
            .text
            .as_ref()
            .and_then(|t| t.format.as_ref())
            .and_then(response_format),
        reasoning_effort: req.reasoning.as_ref().and_then(|r| r.effort.clone()),
        logprobs: top_logprobs.map(|_| true),
        top_logprobs,
        extra,
        omit_stream_default: true,
        ..ChatRequest::default()
    })
}

/// Responses keys that steer OpenAI's own serving of a response and mean nothing to
/// a chat completion (a cache-routing hint, an abuse-tracking id, the serving tier, a
/// cap on built-in tool calls when none is bridged, stream obfuscation): the bridge
/// consumes them. Forwarded, they would make a provider's strict API refuse the call.
const SERVING_ONLY: &[&str] = &[
    "prompt_cache_key",
    "safety_identifier",
    "service_tier",
    "max_tool_calls",
    "stream_options",
    "background",
];

/// Keys asking for what a bridged model cannot give: a 400 that names them.
const NOT_BRIDGEABLE: &[&str] = &["conversation", "prompt"];

/// The request's other keys as chat keys: serving-only ones consumed, unbridgeable
/// ones refused, the rest forwarded as the chat entrance forwards unknown keys.
fn bridged_extra(extra: &JsonMap) -> Result<JsonMap, Error> {
    if extra.get("background") == Some(&Value::Bool(true)) {
        return Err(Error::bad_request(
            "background responses are not supported for this model (it is served through \
             chat completions)",
        )
        .with_param("background"));
    }
    if let Some(key) = NOT_BRIDGEABLE
        .iter()
        .find(|k| extra.get(**k).is_some_and(|v| !v.is_null()))
    {
        return Err(Error::bad_request(format!(
            "'{key}' is not supported for this model (it is served through chat completions)"
        ))
        .with_param(*key));
    }
    Ok(extra
        .iter()
        .filter(|(k, _)| !SERVING_ONLY.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect())
}

/// Builds the message list item by item.
#[derive(Default)]
struct Messages {
    out: Vec<ChatMessage>,
    /// A reasoning item's text, for the next assistant message.
    reasoning: Option<String>,
    /// A reasoning item's thinking blocks (from its `encrypted_content`), likewise.
    thinking: Option<Vec<Value>>,
}

impl Messages {
    fn push(&mut self, item: &ResponseItem) -> Result<(), Error> {
        match item.item_type() {
            ItemType::Message => {
                let role = item.role.clone().unwrap_or(Role::User);
                let content = match &item.content {
                    Some(c) => content(c)?,
                    None => MessageContent::Text(String::new()),
                };
                let mut message = ChatMessage {
                    content: Some(content),
                    ..ChatMessage::new(role, "")
                };
                if message.role == Role::Assistant {
                    message.reasoning_content = self.reasoning.take();
                    message.thinking_blocks = self.thinking.take();
                }
                self.out.push(message);
            }
            kind @ (ItemType::FunctionCall | ItemType::CustomToolCall) => {
                let custom = kind == ItemType::CustomToolCall;
                let call_id = item
                    .call_id
                    .clone()
                    .or_else(|| item.id.clone())
                    .ok_or_else(|| {
                        Error::bad_request("a function_call input item needs a call_id")
                            .with_param("input")
                    })?;
                let call = ToolCall {
                    id: call_id,
                    kind: "function".into(),
                    function: FunctionCall {
                        name: match item.extra.get("namespace").and_then(Value::as_str) {
                            Some(ns) if !custom && !ns.is_empty() => format!(
                                "{ns}{NAMESPACE_SEPARATOR}{}",
                                item.name.as_deref().unwrap_or_default()
                            ),
                            _ => item.name.clone().unwrap_or_default(),
                        },
                        arguments: if custom {
                            custom_arguments(item.input.as_deref().unwrap_or_default())
                        } else {
                            item.arguments
                                .clone()
                                .filter(|a| !a.is_empty())
                                .unwrap_or_else(|| "{}".into())
                        },
                    },
                    extra: JsonMap::new(),
                };
                match self.out.last_mut() {
                    Some(last) if last.role == Role::Assistant && last.tool_call_id.is_none() => {
                        last.tool_calls.get_or_insert_with(Vec::new).push(call);
                        if let Some(reasoning) = self.reasoning.take() {
                            last.reasoning_content.get_or_insert(reasoning);
                        }
                        if let Some(blocks) = self.thinking.take() {
                            last.thinking_blocks.get_or_insert(blocks);
                        }
                    }
                    _ => {
                        let mut message = ChatMessage::new(Role::Assistant, "");
                        message.content = None;
                        message.tool_calls = Some(vec![call]);
                        message.reasoning_content = self.reasoning.take();
                        message.thinking_blocks = self.thinking.take();
                        self.out.push(message);
                    }
                }
            }
            ItemType::FunctionCallOutput | ItemType::CustomToolCallOutput => {
                let call_id = item.call_id.clone().ok_or_else(|| {
                    Error::bad_request("a function_call_output input item needs a call_id")
                        .with_param("input")
                })?;
                let content = match &item.output {
                    Some(Value::String(s)) => MessageContent::Text(s.clone()),
                    Some(Value::Array(parts)) => {
                        let parts: Vec<llmux_types::ContentItem> =
                            serde_json::from_value(Value::Array(parts.clone())).map_err(|e| {
                                Error::bad_request(format!("invalid function_call_output: {e}"))
                                    .with_param("input")
                            })?;
                        content(&ItemContent::Parts(parts))?
                    }
                    Some(other) => MessageContent::Text(other.to_string()),
                    None => MessageContent::Text(String::new()),
                };
                let mut message = ChatMessage::new(Role::Tool, "");
                message.content = Some(content);
                message.tool_call_id = Some(call_id);
                self.out.push(message);
            }
            ItemType::Reasoning => {
                let text: String = item
                    .summary
                    .iter()
                    .flatten()
                    .chain(match &item.content {
                        Some(ItemContent::Parts(parts)) => parts.as_slice(),
                        _ => &[],
                    })
                    .filter_map(|p| p.text.as_deref())
                    .collect::<Vec<_>>()
                    .join("\n");
                if !text.is_empty() {
                    self.reasoning = Some(text);
                }
                if let Some(blocks) = super::response::thinking_blocks_of(item) {
                    self.thinking = Some(blocks);
                }
            }
            ItemType::ItemReference | ItemType::Other(_) => {
                return Err(Error::bad_request(format!(
                    "input items of type '{}' are not supported for this model (it is served \
                     through chat completions)",
                    item.item_type()
                ))
                .with_param("input"));
            }
        }
        Ok(())
    }

    fn finish(self) -> Vec<ChatMessage> {
        self.out
    }
}

/// A message item's content as chat content: a string stays a string.
fn content(c: &ItemContent) -> Result<MessageContent, Error> {
    let parts = match c {
        ItemContent::Text(s) => return Ok(MessageContent::Text(s.clone())),
        ItemContent::Parts(parts) => parts,
    };
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        let converted = match &part.kind {
            PartType::InputImage => {
                let url = part
                    .image_url
                    .clone()
                    .or_else(|| part.file_id.clone())
                    .ok_or_else(|| {
                        Error::bad_request("an input_image part needs an image_url or a file_id")
                            .with_param("input")
                    })?;
                let mut image = ContentPart::image_url(url);
                if let ContentPart::ImageUrl { image_url, .. } = &mut image {
                    image_url.detail.clone_from(&part.detail);
                }
                image
            }
            PartType::InputFile => {
                let mut file = JsonMap::new();
                for (key, value) in [
                    ("file_data", &part.file_data),
                    ("file_id", &part.file_id),
                    ("filename", &part.filename),
                    ("file_url", &part.file_url),
                ] {
                    if let Some(v) = value {
                        file.insert(key.into(), Value::String(v.clone()));
                    }
                }
                serde_json::from_value(json!({"type": "file", "file": file})).map_err(|e| {
                    Error::bad_request(format!("invalid input_file part: {e}")).with_param("input")
                })?
            }
            PartType::Refusal => match part.refusal.as_ref().or(part.text.as_ref()) {
                Some(text) => ContentPart::text(text.clone()),
                None => continue,
            },
            _ => match &part.text {
                Some(text) => ContentPart::text(text.clone()),
                None => {
                    return Err(Error::bad_request(format!(
                        "content parts of type '{}' are not supported for this model",
                        part.kind
                    ))
                    .with_param("input"));
                }
            },
        };
        out.push(converted);
    }
    Ok(MessageContent::Parts(out))
}

/// Function tools as chat tools, and `web_search` as `web_search_options`.
fn tools(tools: &[ResponsesTool]) -> Result<(Vec<Tool>, Option<Value>), Error> {
    let mut out = Vec::with_capacity(tools.len());
    let mut web_search = None;
    for tool in tools {
        if tool.kind == "namespace" {
            out.extend(namespace_tools(tool)?);
            continue;
        }
        match tool.kind.as_str() {
            "function" => {
                let name = tool.name.clone().ok_or_else(|| {
                    Error::bad_request("a function tool needs a name").with_param("tools")
                })?;
                let mut parameters = tool.parameters.clone().unwrap_or_else(|| json!({}));
                if let Value::Object(p) = &mut parameters {
                    p.entry("type").or_insert_with(|| json!("object"));
                }
                out.push(Tool {
                    kind: "function".into(),
                    function: Some(FunctionDefinition {
                        name,
                        description: Some(tool.description.clone().unwrap_or_default()),
                        parameters: Some(parameters),
                        strict: Some(tool.strict.unwrap_or(false)),
                        extra: JsonMap::new(),
                    }),
                    extra: JsonMap::new(),
                });
            }
            "custom" => {
                // A freeform tool: the model writes one string, carried as `input`.
                let name = tool.name.clone().ok_or_else(|| {
                    Error::bad_request("a custom tool needs a name").with_param("tools")
                })?;
                out.push(Tool {
                    kind: "function".into(),
                    function: Some(FunctionDefinition {
                        name,
                        description: Some(tool.description.clone().unwrap_or_default()),
                        parameters: Some(json!({
                            "type": "object",
                            "properties": {"input": {"type": "string",
                                "description": "The raw input for this tool."}},
                            "required": ["input"]
                        })),
                        strict: Some(false),
                        extra: JsonMap::new(),
                    }),
                    extra: JsonMap::new(),
                });
            }
            "web_search" | "web_search_preview" => {
                let mut options = JsonMap::new();
                for key in ["search_context_size", "user_location"] {
                    if let Some(v) = tool.extra.get(key).filter(|v| !v.is_null()) {
                        options.insert(key.into(), v.clone());
                    }
                }
                web_search = Some(Value::Object(options));
            }
            other => {
                return Err(Error::bad_request(format!(
                    "the built-in tool '{other}' has no equivalent on this model's provider \
                     (only function and web_search tools can be bridged to chat completions)"
                ))
                .with_param("tools"));
            }
        }
    }
    Ok((out, web_search))
}

/// A `namespace` tool (a group, as Codex sends its sub-agent tools) as its members:
/// functions named `{namespace}__{name}`, their description after the group's, as
/// LiteLLM's `_namespace_chat_tools`; custom members as custom tools. The model's calls
/// get their namespace back in the answer (`response::split_namespace`).
fn namespace_tools(group: &ResponsesTool) -> Result<Vec<Tool>, Error> {
    let namespace = group.name.as_deref().unwrap_or_default();
    let group_description = group.description.as_deref().unwrap_or_default();
    let members: Vec<ResponsesTool> = match group.extra.get("tools") {
        Some(members) => serde_json::from_value(members.clone()).map_err(|e| {
            Error::bad_request(format!("invalid namespace tool '{namespace}': {e}"))
                .with_param("tools")
        })?,
        None => Vec::new(),
    };
    let mut out = Vec::with_capacity(members.len());
    for mut member in members {
        if !matches!(member.kind.as_str(), "function" | "custom") {
            continue;
        }
        let description = member.description.as_deref().unwrap_or_default();
        member.description = Some(match (group_description, description) {
            ("", d) => d.to_owned(),
            (g, "") => g.to_owned(),
            (g, d) => format!("{g}{NAMESPACE_DESCRIPTION_SEPARATOR}{d}"),
        });
        if member.kind == "function" {
            let name = member.name.as_deref().unwrap_or_default();
            member.name = Some(format!("{namespace}{NAMESPACE_SEPARATOR}{name}"));
        }
        out.extend(tools(std::slice::from_ref(&member))?.0);
    }
    Ok(out)
}

/// Between a namespace and its member's name in the flattened chat tool's name.
pub(crate) const NAMESPACE_SEPARATOR: &str = "__";
const NAMESPACE_DESCRIPTION_SEPARATOR: &str = "\n\n";

/// A custom tool call's raw input as function arguments: `{"input": …}`.
fn custom_arguments(input: &str) -> String {
    json!({"input": input}).to_string()
}

/// Responses `tool_choice` → chat `tool_choice`.
fn tool_choice(choice: &Value) -> ToolChoice {
    match choice {
        Value::String(mode) => ToolChoice::Mode(mode.clone()),
        Value::Object(map) => {
            if map.get("function").and_then(|f| f.get("name")).is_some() {
                return ToolChoice::Named(choice.clone());
            }
            match map.get("type").and_then(Value::as_str) {
                Some("auto") => ToolChoice::Mode("auto".into()),
                Some("none") => ToolChoice::Mode("none".into()),
                Some("function" | "custom") => match map.get("name").and_then(Value::as_str) {
                    Some(name) => ToolChoice::Named(json!({
                        "type": "function", "function": {"name": name}
                    })),
                    None => ToolChoice::Mode("required".into()),
                },
                Some("required" | "tool" | "any") => ToolChoice::Mode("required".into()),
                _ => ToolChoice::Named(choice.clone()),
            }
        }
        other => ToolChoice::Named(other.clone()),
    }
}

/// `text.format` → `response_format` (`text` is the default: none).
fn response_format(format: &llmux_types::TextFormat) -> Option<ResponseFormat> {
    match format.kind.as_str() {
        "json_schema" => Some(ResponseFormat {
            kind: "json_schema".into(),
            json_schema: Some(JsonSchemaFormat {
                name: Some(
                    format
                        .name
                        .clone()
                        .unwrap_or_else(|| "response_schema".into()),
                ),
                description: format.description.clone(),
                schema: Some(format.schema.clone().unwrap_or_else(|| json!({}))),
                strict: Some(format.strict.unwrap_or(false)),
                extra: JsonMap::new(),
            }),
            extra: JsonMap::new(),
        }),
        "json_object" => Some(ResponseFormat {
            kind: "json_object".into(),
            json_schema: None,
            extra: JsonMap::new(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(body: Value) -> ResponsesRequest {
        serde_json::from_value(body).unwrap()
    }

    fn chat(body: Value) -> Value {
        serde_json::to_value(to_chat_request(&req(body), &[]).unwrap()).unwrap()
    }

    #[test]
    fn string_input_and_instructions() {
        let out = chat(
            json!({"model": "m", "input": "hi", "instructions": "be brief",
                              "max_output_tokens": 50, "temperature": 0.2}),
        );
        assert_eq!(
            out,
            json!({"model": "m", "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "hi"}
            ], "max_tokens": 50, "temperature": 0.2})
        );
    }

    #[test]
    fn function_calls_and_outputs_become_tool_calls_and_tool_messages() {
        let out = chat(json!({"model": "m", "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "weather?"}]},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Looking.", "annotations": []}]},
            {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{\"location\":\"Paris\"}"},
            {"type": "function_call", "call_id": "c2", "name": "get_time", "arguments": ""},
            {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
            {"type": "function_call_output", "call_id": "c2", "output": [{"type": "input_text", "text": "noon"}]}
        ]}));
        assert_eq!(
            out["messages"],
            json!([
                {"role": "user", "content": [{"type": "text", "text": "weather?"}]},
                {"role": "assistant", "content": [{"type": "text", "text": "Looking."}], "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"location\":\"Paris\"}"}},
                    {"id": "c2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
                ]},
                {"role": "tool", "content": "sunny", "tool_call_id": "c1"},
                {"role": "tool", "content": [{"type": "text", "text": "noon"}], "tool_call_id": "c2"}
            ])
        );
    }

    #[test]
    fn history_comes_first_and_reasoning_rides_on_the_next_assistant_turn() {
        let history: Vec<ResponseItem> = serde_json::from_value(json!([
            {"role": "user", "content": "first"},
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "thinking"}]},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "one"}]}
        ]))
        .unwrap();
        let out =
            to_chat_request(&req(json!({"model": "m", "input": "second"})), &history).unwrap();
        let v = serde_json::to_value(out).unwrap();
        assert_eq!(
            v["messages"],
            json!([
                {"role": "user", "content": "first"},
                {"role": "assistant", "content": [{"type": "text", "text": "one"}], "reasoning_content": "thinking"},
                {"role": "user", "content": "second"}
            ])
        );
    }

    #[test]
    fn thinking_blocks_in_encrypted_content_are_replayed_on_the_tool_turn() {
        let blocks = json!([{"type": "thinking", "thinking": "hm", "signature": "sig"}]);
        let out = chat(json!({"model": "m", "input": [
            {"role": "user", "content": "q"},
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "hm"}],
             "encrypted_content": blocks.to_string()},
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "ok"}
        ]}));
        assert_eq!(out["messages"][1]["thinking_blocks"], blocks);
        assert_eq!(out["messages"][1]["reasoning_content"], "hm");
        // Another provider's encrypted_content is not ours to decode.
        let out = chat(json!({"model": "m", "input": [
            {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAA-opaque"},
            {"type": "message", "role": "assistant", "content": "a"}
        ]}));
        assert!(out["messages"][0].get("thinking_blocks").is_none());
    }

    #[test]
    fn tools_formats_and_streams() {
        let out = chat(json!({"model": "m", "input": "x", "stream": true,
            "tools": [{"type": "function", "name": "f", "parameters": {"properties": {}}},
                      {"type": "web_search", "search_context_size": "low"}],
            "tool_choice": {"type": "function", "name": "f"},
            "parallel_tool_calls": false,
            "text": {"format": {"type": "json_schema", "name": "s", "schema": {"type": "object"}, "strict": true}},
            "reasoning": {"effort": "high", "summary": "auto"}}));
        assert_eq!(
            out["tools"],
            json!([{"type": "function", "function": {"name": "f", "description": "",
                    "parameters": {"properties": {}, "type": "object"}, "strict": false}}])
        );
        assert_eq!(
            out["web_search_options"],
            json!({"search_context_size": "low"})
        );
        assert_eq!(
            out["tool_choice"],
            json!({"type": "function", "function": {"name": "f"}})
        );
        assert_eq!(out["parallel_tool_calls"], json!(false));
        assert_eq!(
            out["response_format"],
            json!({"type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "object"}, "strict": true}})
        );
        assert_eq!(out["reasoning_effort"], json!("high"));
        assert_eq!(out["stream"], json!(true));
        assert_eq!(out["stream_options"], json!({"include_usage": true}));
    }

    #[test]
    fn serving_only_keys_are_consumed_and_others_forwarded() {
        let out = chat(json!({"model": "m", "input": "x", "prompt_cache_key": "k",
            "safety_identifier": "u", "service_tier": "auto", "background": false,
            "max_tool_calls": 3, "top_logprobs": 2, "top_k": 5}));
        for key in [
            "prompt_cache_key",
            "safety_identifier",
            "service_tier",
            "background",
            "max_tool_calls",
        ] {
            assert!(out.get(key).is_none(), "{key}: {out}");
        }
        assert_eq!(out["top_logprobs"], 2);
        assert_eq!(out["logprobs"], true);
        assert_eq!(out["top_k"], 5);
        for (body, param) in [
            (
                json!({"model": "m", "input": "x", "background": true}),
                "background",
            ),
            (
                json!({"model": "m", "input": "x", "conversation": "conv_1"}),
                "conversation",
            ),
        ] {
            let e = to_chat_request(&req(body), &[]).unwrap_err();
            assert_eq!(e.param.as_deref(), Some(param));
        }
    }

    #[test]
    fn custom_tools_become_functions_with_one_string_input() {
        let out = chat(
            json!({"model": "m", "tools": [{"type": "custom", "name": "apply_patch",
                "description": "Apply a patch", "format": {"type": "grammar"}}],
            "input": [
                {"role": "user", "content": "fix it"},
                {"type": "custom_tool_call", "call_id": "c1", "name": "apply_patch", "input": "*** Begin"},
                {"type": "custom_tool_call_output", "call_id": "c1", "output": "done"}
            ]}),
        );
        assert_eq!(out["tools"][0]["function"]["name"], "apply_patch");
        assert_eq!(
            out["tools"][0]["function"]["parameters"]["required"],
            json!(["input"])
        );
        assert_eq!(
            out["messages"][1]["tool_calls"][0]["function"]["arguments"],
            "{\"input\":\"*** Begin\"}"
        );
        assert_eq!(
            out["messages"][2],
            json!({"role": "tool", "content": "done", "tool_call_id": "c1"})
        );
    }

    #[test]
    fn tool_choice_without_tools_is_left_out() {
        let out = chat(
            json!({"model": "m", "input": "x", "tool_choice": "auto", "parallel_tool_calls": true}),
        );
        assert!(out.get("tool_choice").is_none());
        assert!(out.get("parallel_tool_calls").is_none());
    }

    #[test]
    fn unbridgeable_tools_and_items_are_a_400() {
        let e = to_chat_request(
            &req(json!({"model": "m", "input": "x", "tools": [{"type": "file_search", "vector_store_ids": []}]})),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        assert!(e.message.contains("file_search"), "{}", e.message);
        let e = to_chat_request(
            &req(json!({"model": "m", "input": [{"type": "item_reference", "id": "msg_1"}]})),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        let e = to_chat_request(&req(json!({"model": "m"})), &[]).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("input"));
    }

    #[test]
    fn namespace_tools_are_flattened_and_their_calls_qualified() {
        let out = chat(json!({"model": "m", "input": [
                {"role": "user", "content": "x"},
                {"type": "function_call", "call_id": "c1", "name": "spawn", "namespace": "agents", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": "ok"}],
            "tools": [{"type": "namespace", "name": "agents", "description": "Sub-agents.", "tools": [
                {"type": "function", "name": "spawn", "description": "Spawn one.", "parameters": {"type": "object", "properties": {}}},
                {"type": "custom", "name": "patch"}]}]}));
        assert_eq!(out["tools"][0]["function"]["name"], "agents__spawn");
        assert_eq!(
            out["tools"][0]["function"]["description"],
            "Sub-agents.\n\nSpawn one."
        );
        assert_eq!(out["tools"][1]["function"]["name"], "patch");
        assert_eq!(
            out["messages"][1]["tool_calls"][0]["function"]["name"],
            "agents__spawn"
        );
    }
}
