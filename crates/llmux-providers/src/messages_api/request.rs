//! An Anthropic Messages request → the canonical chat request, as LiteLLM's
//! `LiteLLMAnthropicMessagesAdapter.translate_anthropic_to_openai` does it.
//!
//! | Anthropic | canonical |
//! |---|---|
//! | `system` (text or text blocks) | a leading `system` message |
//! | user `text` / `image` / `document` blocks | user content parts (`image_url` with a `data:` URL for base64) |
//! | user `tool_result` blocks | `tool` messages, before the user's own content |
//! | assistant `text` / `tool_use` / `thinking` blocks | `content`, `tool_calls` (arguments as `json.dumps(input)`), `thinking_blocks` + `reasoning_content` |
//! | `tools[].input_schema` | `function.parameters`; hosted tools (`bash_…`, …) verbatim; `web_search_…` → `web_search_options` |
//! | `tool_choice` `any` / `auto` / `none` / `tool` | `required` / `auto` / `none` / named function |
//! | `thinking` | kept as `thinking` for Claude targets, else `reasoning_effort` by budget |
//! | `stop_sequences`, `metadata.user_id`, `output_format` | `stop`, `user`, `response_format` (strict JSON schema) |
//! | `max_tokens`, `temperature`, `top_p`, `stream`, `service_tier`, anything else | as they are (`top_k` and unknown keys in `extra`) |
//!
//! `cache_control` markers are kept only for targets that read them (Claude, Gemini).

use llmux_types::{
    ChatMessage, ChatRequest, ContentPart, FunctionCall, FunctionDefinition, JsonMap,
    JsonSchemaFormat, MessageContent, ResponseFormat, Role, StopSequences, StreamOptions, Tool,
    ToolCall, ToolChoice,
};
use serde_json::{Value, json};

use super::tool_names::ToolNames;
use crate::anthropic::types::{
    AnthropicContent, AnthropicContentBlock, AnthropicCustomTool, AnthropicMessage,
    AnthropicRequest, AnthropicRole, AnthropicSource, AnthropicSystem, AnthropicTool,
    AnthropicToolChoice,
};
use crate::python_json;

/// LiteLLM's `DEFAULT_REASONING_EFFORT_*_THINKING_BUDGET` thresholds.
const HIGH_BUDGET: u64 = 4096;
const MEDIUM_BUDGET: u64 = 2048;
const LOW_BUDGET: u64 = 1024;

/// Request keys that are Anthropic-only and never forwarded to a chat provider (LiteLLM's
/// `ANTHROPIC_ONLY_REQUEST_KEYS`, plus `output_format`, translated above).
const ANTHROPIC_ONLY_KEYS: &[&str] = &["output_config", "output_format", "safeguards"];

/// A translated request and what is needed to translate its answer back.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatTranslation {
    pub request: ChatRequest,
    /// Tool names shortened for the upstream, to restore in the answer.
    pub tool_names: ToolNames,
}

/// Translates `req` for a deployment whose provider-side model is `target_model` (it
/// decides how `thinking` and `cache_control` travel).
pub fn to_chat_request(req: AnthropicRequest, target_model: &str) -> ChatTranslation {
    let target = Target::new(target_model);
    let mut names = ToolNames::default();
    let AnthropicRequest {
        model,
        messages,
        system,
        max_tokens,
        stop_sequences,
        temperature,
        top_p,
        top_k,
        tools,
        tool_choice,
        thinking,
        metadata,
        stream,
        service_tier,
        mut extra,
    } = req;
    let mut out = ChatRequest {
        model: model.unwrap_or_default(),
        max_tokens,
        temperature,
        top_p,
        service_tier,
        ..ChatRequest::default()
    };
    out.user = metadata.and_then(|m| m.user_id);
    out.tool_choice = tool_choice.map(|c| translate_tool_choice(c, &mut names));
    if let Some(tools) = tools.filter(|t| !t.is_empty()) {
        let (translated, web_search) = translate_tools(tools, &target, &mut names);
        if web_search {
            out.extra.insert("web_search_options".into(), json!({}));
        }
        if !translated.is_empty() {
            out.tools = Some(translated);
        }
    }
    if let Some(thinking) = thinking.filter(|t| !t.is_null()) {
        if target.is_claude {
            out.extra.insert("thinking".into(), thinking);
        } else {
            out.reasoning_effort = reasoning_effort(&thinking, extra.get("output_config"));
        }
    }
    let mut chat_messages = Vec::with_capacity(messages.len() + 1);
    if let Some(system) = system.and_then(|s| system_message(s, &target)) {
        chat_messages.push(system);
    }
    for message in messages {
        translate_message(message, &target, &mut names, &mut chat_messages);
    }
    out.messages = chat_messages;
    out.stop = stop_sequences
        .filter(|s| !s.is_empty())
        .map(StopSequences::Many);
    let output_format = extra
        .get("output_format")
        .filter(|f| f.is_object())
        .or_else(|| extra.get("output_config").and_then(|c| c.get("format")))
        .and_then(response_format);
    out.response_format = output_format;
    if let Some(top_k) = top_k {
        out.extra.insert("top_k".into(), Value::from(top_k));
    }
    for key in ANTHROPIC_ONLY_KEYS {
        extra.remove(*key);
    }
    for (key, value) in extra {
        out.extra.entry(key).or_insert(value);
    }
    if stream == Some(true) {
        // LiteLLM always asks for the usage chunk: message_delta reports usage.
        out.stream = Some(true);
        out.stream_options = Some(StreamOptions {
            include_usage: Some(true),
            extra: JsonMap::new(),
        });
    } else {
        out.stream = stream;
    }
    ChatTranslation {
        request: out,
        tool_names: names,
    }
}

/// What the target model changes in the translation.
struct Target {
    /// Claude (by name): `thinking` travels as is.
    is_claude: bool,
    /// Providers that read `cache_control` (Claude, Gemini): markers are kept.
    keeps_cache_control: bool,
}

impl Target {
    fn new(model: &str) -> Self {
        let lower = model.to_ascii_lowercase();
        let is_bedrock_arn = lower.contains("arn:") && lower.contains(":bedrock:");
        let is_claude = lower.contains("anthropic") || lower.contains("claude") || is_bedrock_arn;
        Self {
            is_claude,
            keeps_cache_control: is_claude || lower.contains("gemini"),
        }
    }

    /// Puts `cache_control` into `extra` when the target reads it.
    fn cache_control(&self, cache_control: Option<Value>, extra: &mut JsonMap) {
        if let Some(cc) = cache_control.filter(|cc| self.keeps_cache_control && !cc.is_null()) {
            extra.insert("cache_control".into(), cc);
        }
    }
}

fn translate_tool_choice(choice: AnthropicToolChoice, names: &mut ToolNames) -> ToolChoice {
    // `disable_parallel_tool_use` has no translation in LiteLLM's adapter either.
    match choice {
        AnthropicToolChoice::Any { .. } => ToolChoice::Mode("required".into()),
        AnthropicToolChoice::Auto { .. } => ToolChoice::Mode("auto".into()),
        AnthropicToolChoice::None => ToolChoice::Mode("none".into()),
        AnthropicToolChoice::Tool { name, .. } => ToolChoice::Named(json!({
            "type": "function",
            "function": {"name": names.shorten(&name)},
        })),
    }
}

/// The function tools, and whether a web-search tool asked for `web_search_options`.
fn translate_tools(
    tools: Vec<AnthropicTool>,
    target: &Target,
    names: &mut ToolNames,
) -> (Vec<Tool>, bool) {
    let mut web_search = false;
    let mut out = Vec::with_capacity(tools.len());
    for tool in tools {
        match tool {
            AnthropicTool::Other(value) if is_web_search_tool(&value) => web_search = true,
            // Hosted tools (bash, text editor, computer, …) and provider-native ones go
            // through verbatim, as LiteLLM keeps them.
            AnthropicTool::Other(value) => out.push(verbatim_tool(value)),
            AnthropicTool::Custom(custom) => {
                let idx = out.len();
                out.push(function_tool(custom, idx, target, names));
            }
        }
    }
    (out, web_search)
}

/// `type: web_search_…`, or a bare `web_search` tool without a schema.
fn is_web_search_tool(tool: &Value) -> bool {
    let kind = tool.get("type").and_then(Value::as_str).unwrap_or("");
    kind.starts_with("web_search")
        || (tool.get("name").and_then(Value::as_str) == Some("web_search")
            && tool.get("input_schema").is_none())
}

fn verbatim_tool(value: Value) -> Tool {
    let mut extra = match value {
        Value::Object(map) => map,
        _ => JsonMap::new(),
    };
    let kind = match extra.remove("type") {
        Some(Value::String(kind)) => kind,
        Some(other) => {
            extra.insert("type".into(), other);
            String::new()
        }
        None => String::new(),
    };
    Tool {
        kind,
        function: None,
        extra,
    }
}

fn function_tool(
    tool: AnthropicCustomTool,
    idx: usize,
    target: &Target,
    names: &mut ToolNames,
) -> Tool {
    let AnthropicCustomTool {
        kind: _,
        name,
        description,
        mut input_schema,
        cache_control,
        extra,
    } = tool;
    let name = if name.trim().is_empty() {
        format!("litellm_unnamed_tool_{idx}")
    } else {
        name
    };
    let mut strict = None;
    let mut tool_extra = JsonMap::new();
    for (key, value) in extra {
        match key.as_str() {
            "strict" => strict = Some(truthy(&value)),
            "eager_input_streaming" => {
                tool_extra.insert(key, value);
            }
            // LiteLLM passes any other key (computer-use sizes, …) inside `parameters`.
            _ => {
                if let Some(params) = input_schema.as_object_mut() {
                    params.insert(key, value);
                }
            }
        }
    }
    target.cache_control(cache_control, &mut tool_extra);
    Tool {
        kind: "function".into(),
        function: Some(FunctionDefinition {
            name: names.shorten(&name),
            description,
            parameters: Some(input_schema),
            strict,
            extra: JsonMap::new(),
        }),
        extra: tool_extra,
    }
}

/// Python truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// LiteLLM's `translate_anthropic_thinking_to_reasoning_effort` (adaptive thinking takes
/// `output_config.effort` when given).
fn reasoning_effort(thinking: &Value, output_config: Option<&Value>) -> Option<String> {
    match thinking
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("disabled")
    {
        "disabled" => Some("none".into()),
        "enabled" => {
            let budget = thinking
                .get("budget_tokens")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            Some(
                match budget {
                    b if b >= HIGH_BUDGET => "high",
                    b if b >= MEDIUM_BUDGET => "medium",
                    b if b >= LOW_BUDGET => "low",
                    _ => "minimal",
                }
                .into(),
            )
        }
        "adaptive" => Some(
            output_config
                .and_then(|c| c.get("effort"))
                .and_then(Value::as_str)
                .unwrap_or("medium")
                .to_owned(),
        ),
        _ => None,
    }
}

/// `output_format` `{"type": "json_schema", "schema"}` → a strict `json_schema` response
/// format named `structured_output`.
fn response_format(format: &Value) -> Option<ResponseFormat> {
    if format.get("type").and_then(Value::as_str) != Some("json_schema") {
        return None;
    }
    let mut schema = format.get("schema").filter(|s| truthy(s))?.clone();
    strict_schema(&mut schema);
    Some(ResponseFormat {
        kind: "json_schema".into(),
        json_schema: Some(JsonSchemaFormat {
            name: Some("structured_output".into()),
            description: None,
            schema: Some(schema),
            strict: Some(true),
            extra: JsonMap::new(),
        }),
        extra: JsonMap::new(),
    })
}

/// OpenAI strict mode: `additionalProperties: false` and every property required, at
/// every object level (LiteLLM's `_add_additional_properties_false`).
fn strict_schema(schema: &mut Value) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    let required = (obj.get("type").and_then(Value::as_str) == Some("object"))
        .then(|| obj.get("properties").and_then(Value::as_object))
        .flatten()
        .map(|p| p.keys().cloned().map(Value::String).collect::<Vec<_>>());
    if let Some(keys) = required {
        obj.insert("additionalProperties".into(), Value::Bool(false));
        obj.insert("required".into(), Value::Array(keys));
        if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
            props.values_mut().for_each(strict_schema);
        }
    }
    if let Some(items) = obj.get_mut("items") {
        strict_schema(items);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(list) = obj.get_mut(key).and_then(Value::as_array_mut) {
            list.iter_mut().for_each(strict_schema);
        }
    }
    for key in ["$defs", "definitions"] {
        if let Some(defs) = obj.get_mut(key).and_then(Value::as_object_mut) {
            defs.values_mut().for_each(strict_schema);
        }
    }
}

fn system_message(system: AnthropicSystem, target: &Target) -> Option<ChatMessage> {
    match system {
        AnthropicSystem::Text(text) if !text.is_empty() => Some(ChatMessage::system(text)),
        AnthropicSystem::Text(_) => None,
        AnthropicSystem::Blocks(blocks) => {
            let parts: Vec<ContentPart> = blocks
                .into_iter()
                .filter_map(|b| match b {
                    AnthropicContentBlock::Text(t) => {
                        Some(text_part(t.text, t.cache_control, target))
                    }
                    _ => None,
                })
                .collect();
            (!parts.is_empty()).then(|| message(Role::System, Some(MessageContent::Parts(parts))))
        }
    }
}

fn message(role: Role, content: Option<MessageContent>) -> ChatMessage {
    ChatMessage {
        role,
        content,
        name: None,
        tool_calls: None,
        tool_call_id: None,
        reasoning_content: None,
        thinking_blocks: None,
        extra: JsonMap::new(),
    }
}

fn text_part(text: String, cache_control: Option<Value>, target: &Target) -> ContentPart {
    let mut part = ContentPart::text(text);
    if let ContentPart::Text { extra, .. } = &mut part {
        target.cache_control(cache_control, extra);
    }
    part
}

fn image_part(url: String, cache_control: Option<Value>, target: &Target) -> ContentPart {
    let mut part = ContentPart::image_url(url);
    if let ContentPart::ImageUrl { extra, .. } = &mut part {
        target.cache_control(cache_control, extra);
    }
    part
}

/// LiteLLM's `anthropic_image_source_to_openai_url`: base64 → `data:` URL, URL as is.
fn source_url(source: &AnthropicSource) -> Option<String> {
    match source {
        AnthropicSource::Base64 { media_type, data } if !data.is_empty() => {
            let media_type = if media_type.is_empty() {
                "image/jpeg"
            } else {
                media_type
            };
            Some(format!("data:{media_type};base64,{data}"))
        }
        AnthropicSource::Url { url } => Some(url.clone()),
        _ => None,
    }
}

fn translate_message(
    message_in: AnthropicMessage,
    target: &Target,
    names: &mut ToolNames,
    out: &mut Vec<ChatMessage>,
) {
    match message_in.role {
        AnthropicRole::User => translate_user(message_in.content, target, out),
        AnthropicRole::Assistant => translate_assistant(message_in.content, target, names, out),
    }
}

fn translate_user(content: AnthropicContent, target: &Target, out: &mut Vec<ChatMessage>) {
    let blocks = match content {
        AnthropicContent::Text(text) => {
            // An empty string turn is dropped, as LiteLLM's adapter does.
            if !text.is_empty() {
                out.push(ChatMessage::user(text));
            }
            return;
        }
        AnthropicContent::Blocks(blocks) => blocks,
    };
    let mut tool_messages = Vec::new();
    let mut parts = Vec::new();
    for block in blocks {
        match block {
            AnthropicContentBlock::Text(t) => {
                parts.push(text_part(t.text, t.cache_control, target))
            }
            AnthropicContentBlock::Image(img) => {
                if let Some(url) = source_url(&img.source) {
                    parts.push(image_part(url, img.cache_control, target));
                }
            }
            AnthropicContentBlock::Document(doc) => {
                if let Some(url) = source_url(&doc.source) {
                    parts.push(image_part(url, doc.cache_control, target));
                }
            }
            AnthropicContentBlock::ToolResult(result) => {
                let mut tool = message(Role::Tool, Some(tool_result_content(result.content)));
                tool.tool_call_id = Some(result.tool_use_id);
                target.cache_control(result.cache_control, &mut tool.extra);
                tool_messages.push(tool);
            }
            // Thinking, tool_use and unknown blocks have no place in a user turn upstream.
            _ => {}
        }
    }
    out.extend(tool_messages);
    if !parts.is_empty() {
        out.push(message(Role::User, Some(MessageContent::Parts(parts))));
    }
}

/// A tool result's content: a string, the text of a lone text block, or parts.
fn tool_result_content(content: Option<AnthropicContent>) -> MessageContent {
    let blocks = match content {
        None => return MessageContent::Text(String::new()),
        Some(AnthropicContent::Text(text)) => return MessageContent::Text(text),
        Some(AnthropicContent::Blocks(blocks)) => blocks,
    };
    let mut parts: Vec<ContentPart> = blocks
        .into_iter()
        .filter_map(|block| match block {
            AnthropicContentBlock::Text(t) => Some(ContentPart::text(t.text)),
            AnthropicContentBlock::Image(img) => {
                source_url(&img.source).map(ContentPart::image_url)
            }
            AnthropicContentBlock::Document(doc) => {
                source_url(&doc.source).map(ContentPart::image_url)
            }
            AnthropicContentBlock::Other(v)
                if v.get("type").and_then(Value::as_str) == Some("tool_reference") =>
            {
                Some(ContentPart::Other(json!({
                    "type": "tool_reference",
                    "tool_name": v.get("tool_name").and_then(Value::as_str).unwrap_or(""),
                })))
            }
            _ => None,
        })
        .collect();
    match parts.as_slice() {
        [] => MessageContent::Text(String::new()),
        [ContentPart::Text { .. }] => match parts.pop() {
            Some(ContentPart::Text { text, .. }) => MessageContent::Text(text),
            _ => MessageContent::Text(String::new()),
        },
        _ => MessageContent::Parts(parts),
    }
}

fn translate_assistant(
    content: AnthropicContent,
    target: &Target,
    names: &mut ToolNames,
    out: &mut Vec<ChatMessage>,
) {
    let blocks = match content {
        AnthropicContent::Text(text) => {
            out.push(message(Role::Assistant, Some(MessageContent::Text(text))));
            return;
        }
        AnthropicContent::Blocks(blocks) => blocks,
    };
    let mut text_parts: Vec<ContentPart> = Vec::new();
    let mut any_cache_control = false;
    let mut tool_calls = Vec::new();
    let mut thinking_blocks = Vec::new();
    for block in blocks {
        match block {
            AnthropicContentBlock::Text(t) => {
                let part = text_part(t.text, t.cache_control, target);
                any_cache_control |= matches!(&part, ContentPart::Text { extra, .. } if extra.contains_key("cache_control"));
                text_parts.push(part);
            }
            AnthropicContentBlock::ToolUse(tool_use) => {
                let mut call = ToolCall {
                    id: tool_use.id,
                    kind: "function".into(),
                    function: FunctionCall {
                        name: names.shorten(&tool_use.name),
                        arguments: python_json::dumps(&tool_use.input),
                    },
                    extra: JsonMap::new(),
                };
                target.cache_control(tool_use.cache_control, &mut call.extra);
                tool_calls.push(call);
            }
            // Anthropic's schema has no cache_control on thinking blocks: never carried.
            AnthropicContentBlock::Thinking(t) => thinking_blocks.push(json!({
                "type": "thinking",
                "thinking": t.thinking,
                "signature": t.signature.unwrap_or_default(),
            })),
            AnthropicContentBlock::RedactedThinking(r) => thinking_blocks.push(json!({
                "type": "redacted_thinking",
                "data": r.data,
            })),
            _ => {}
        }
    }
    if text_parts.is_empty() && tool_calls.is_empty() && thinking_blocks.is_empty() {
        return;
    }
    let content = if text_parts.is_empty() {
        None
    } else if any_cache_control {
        Some(MessageContent::Parts(text_parts))
    } else {
        Some(MessageContent::Text(
            MessageContent::Parts(text_parts).text(),
        ))
    };
    let mut assistant = message(Role::Assistant, content);
    if !tool_calls.is_empty() {
        assistant.tool_calls = Some(tool_calls);
    }
    if !thinking_blocks.is_empty() {
        let reasoning: Vec<&str> = thinking_blocks
            .iter()
            .filter_map(|b| b.get("thinking").and_then(Value::as_str))
            .filter(|t| !t.is_empty())
            .collect();
        if !reasoning.is_empty() {
            assistant.reasoning_content = Some(reasoning.join("\n"));
        }
        assistant.thinking_blocks = Some(thinking_blocks);
    }
    out.push(assistant);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn translate(body: Value, target: &str) -> Value {
        let req: AnthropicRequest = serde_json::from_value(body).unwrap();
        serde_json::to_value(to_chat_request(req, target).request).unwrap()
    }

    #[test]
    fn full_conversation_translates_like_litellm() {
        let body = json!({
            "model": "gpt-alias",
            "max_tokens": 256,
            "system": [{"type": "text", "text": "be brief", "cache_control": {"type": "ephemeral"}}],
            "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": "weather?"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}
                ]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "look it up", "signature": "sig"},
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Zürich"}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "sunny"}]},
                    {"type": "text", "text": "thanks"}
                ]}
            ],
            "tools": [
                {"name": "get_weather", "description": "Weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}},
                {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
                {"type": "bash_20250124", "name": "bash"}
            ],
            "tool_choice": {"type": "any"},
            "thinking": {"type": "enabled", "budget_tokens": 2048},
            "stop_sequences": ["END"],
            "metadata": {"user_id": "u-1"},
            "top_k": 5,
            "temperature": 0.5,
            "stream": true,
            "container": "c-1"
        });
        insta::assert_json_snapshot!(translate(body, "gpt-4o-mini"));
    }

    #[test]
    fn claude_targets_keep_thinking_and_cache_control() {
        let body = json!({
            "model": "m", "max_tokens": 10,
            "system": [{"type": "text", "text": "sys", "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}]}],
            "thinking": {"type": "enabled", "budget_tokens": 1024}
        });
        let out = translate(body, "claude-3-5-haiku-20241022");
        assert_eq!(
            out["thinking"],
            json!({"type": "enabled", "budget_tokens": 1024})
        );
        assert!(out.get("reasoning_effort").is_none());
        assert_eq!(
            out["messages"][0]["content"][0]["cache_control"],
            json!({"type": "ephemeral"})
        );
        assert_eq!(
            out["messages"][1]["content"][0]["cache_control"],
            json!({"type": "ephemeral"})
        );
    }

    #[test]
    fn thinking_budgets_bucket_into_reasoning_effort() {
        for (thinking, effort) in [
            (json!({"type": "enabled", "budget_tokens": 500}), "minimal"),
            (json!({"type": "enabled", "budget_tokens": 1024}), "low"),
            (json!({"type": "enabled", "budget_tokens": 4096}), "high"),
            (json!({"type": "disabled"}), "none"),
            (json!({"type": "adaptive"}), "medium"),
        ] {
            let body = json!({"model": "m", "max_tokens": 1, "messages": [], "thinking": thinking});
            assert_eq!(translate(body, "o3-mini")["reasoning_effort"], effort);
        }
    }

    #[test]
    fn named_tool_choice_and_long_names_are_shortened_consistently() {
        let long = "t".repeat(80);
        let body = json!({
            "model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": "x"}],
            "tools": [{"name": long, "input_schema": {"type": "object"}, "strict": true}],
            "tool_choice": {"type": "tool", "name": long}
        });
        let req: AnthropicRequest = serde_json::from_value(body).unwrap();
        let t = to_chat_request(req, "gpt-4o");
        let tools = t.request.tools.unwrap();
        let function = tools[0].function.as_ref().unwrap();
        assert_eq!(function.name.chars().count(), 64);
        assert_eq!(function.strict, Some(true));
        assert_eq!(
            t.request.tool_choice.unwrap().function_name(),
            Some(function.name.as_str())
        );
        assert_eq!(t.tool_names.original(&function.name), long);
    }

    #[test]
    fn output_format_becomes_a_strict_json_schema() {
        let body = json!({
            "model": "m", "max_tokens": 1, "messages": [],
            "output_format": {"type": "json_schema", "schema": {
                "type": "object",
                "properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}}}}
            }}
        });
        let out = translate(body, "gpt-4o");
        let schema = &out["response_format"]["json_schema"];
        assert_eq!(schema["name"], "structured_output");
        assert_eq!(schema["strict"], true);
        assert_eq!(schema["schema"]["additionalProperties"], false);
        assert_eq!(schema["schema"]["required"], json!(["a"]));
        assert_eq!(
            schema["schema"]["properties"]["a"]["required"],
            json!(["b"])
        );
        assert!(out.get("output_format").is_none());
    }

    #[test]
    fn string_turns_and_tool_results_keep_their_order() {
        let body = json!({
            "model": "m", "max_tokens": 1,
            "system": "sys",
            "messages": [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": "b"},
                {"role": "user", "content": [
                    {"type": "text", "text": "c"},
                    {"type": "tool_result", "tool_use_id": "t1", "content": "r1"},
                    {"type": "tool_result", "tool_use_id": "t2"}
                ]},
                {"role": "user", "content": ""}
            ]
        });
        let out = translate(body, "gpt-4o");
        let roles: Vec<&str> = out["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(
            roles,
            ["system", "user", "assistant", "tool", "tool", "user"]
        );
        assert_eq!(out["messages"][3]["content"], "r1");
        assert_eq!(out["messages"][4]["content"], "");
        assert!(out.get("stream_options").is_none());
    }
}
