//! OpenAI messages → Anthropic `system` + `messages`, as LiteLLM's
//! `anthropic_messages_pt` (`prompt_templates/factory.py`) and
//! `AnthropicConfig.translate_system_message` build them.
//!
//! - The leading run of system (and developer) messages becomes `system` blocks.
//!   A later system message becomes a user turn in place, opened by LiteLLM's
//!   operator note (`mid_conversation_system.py`, for models without mid-conversation
//!   system support), after the tool results it would otherwise split.
//! - Consecutive user, tool and function messages merge into one user turn; tool
//!   results become `tool_result` blocks. Consecutive assistant messages merge too;
//!   their `thinking_blocks`, text and `tool_calls` become `thinking`, `text` and
//!   `tool_use` blocks, in that order.
//! - Empty text is replaced by LiteLLM's placeholder (Anthropic rejects empty text
//!   blocks); the last assistant turn loses trailing whitespace.
//! - `cache_control` on a message, a content part or a tool call is kept on its block.

use std::borrow::Cow;
use std::collections::HashSet;

use llmux_types::{ChatMessage, ContentPart, Error, JsonMap, MessageContent, Role, ToolCall};
use serde_json::{Value, json};

use super::media::{file_block, image_block, string_image_url};
use super::types::{
    AnthropicContent, AnthropicContentBlock, AnthropicMessage, AnthropicRole, AnthropicTextBlock,
    AnthropicToolResultBlock, AnthropicToolUseBlock,
};

/// LiteLLM's text for empty content (`factory.py: _EMPTY_TEXT_PLACEHOLDER`).
pub(super) const EMPTY_TEXT_PLACEHOLDER: &str =
    "[System: Empty message content sanitised to satisfy protocol]";

/// The note LiteLLM puts before a mid-conversation system message it turns into a
/// user turn (`mid_conversation_system.py: CONVERTED_SYSTEM_NOTE`).
const CONVERTED_SYSTEM_NOTE: &str = "Operator note (not from the user): the following was originally a mid-conversation system-role reminder.";

/// The converted conversation.
#[derive(Debug, Default)]
pub(super) struct Conversation {
    pub system: Vec<AnthropicContentBlock>,
    pub messages: Vec<AnthropicMessage>,
}

/// Options that change how content converts.
#[derive(Debug, Clone, Copy)]
pub(super) struct ConvertOptions<'a> {
    /// The provider id errors name.
    pub provider: &'a str,
}

/// Converts `messages` (OpenAI roles) to Anthropic's shape.
pub(super) fn convert(
    messages: &[ChatMessage],
    opts: ConvertOptions<'_>,
) -> Result<Conversation, Error> {
    let leading = messages.iter().take_while(|m| is_system(m)).count();
    let system = messages[..leading]
        .iter()
        .flat_map(|m| system_text_parts(m, false))
        .map(|(text, cache_control)| text_block(text, cache_control))
        .collect();
    let rest = place_later_system_messages(&messages[leading..]);
    if rest.is_empty() {
        return Err(bad_request(
            opts.provider,
            "Anthropic requires at least one non-system message.",
        ));
    }
    let messages = convert_turns(&rest, opts)?;
    Ok(Conversation { system, messages })
}

fn is_system(m: &ChatMessage) -> bool {
    matches!(m.role, Role::System | Role::Developer)
}

fn is_tool_like(m: &ChatMessage) -> bool {
    matches!(m.role, Role::Tool | Role::Function)
}

fn is_user_like(m: &ChatMessage) -> bool {
    m.role == Role::User || is_tool_like(m)
}

/// The non-empty text parts of a system message with their `cache_control`.
/// `normalize_cache_control` applies LiteLLM's rebuilt shape for converted turns.
fn system_text_parts(
    m: &ChatMessage,
    normalize_cache_control: bool,
) -> Vec<(String, Option<Value>)> {
    let cc = |v: Option<&Value>| -> Option<Value> {
        let v = v.filter(|v| !v.is_null())?;
        if normalize_cache_control {
            normalized_cache_control(v)
        } else {
            Some(v.clone())
        }
    };
    match &m.content {
        Some(MessageContent::Text(s)) if !s.is_empty() => {
            vec![(s.clone(), cc(m.extra.get("cache_control")))]
        }
        Some(MessageContent::Parts(parts)) => parts
            .iter()
            .filter_map(|p| match p {
                ContentPart::Text { text, extra, .. } if !text.is_empty() => {
                    Some((text.clone(), cc(extra.get("cache_control"))))
                }
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `{"type": "ephemeral"}` with a `ttl` of `1h` or `5m` kept; anything else dropped.
fn normalized_cache_control(v: &Value) -> Option<Value> {
    if v.get("type").and_then(Value::as_str) != Some("ephemeral") {
        return None;
    }
    Some(match v.get("ttl").and_then(Value::as_str) {
        Some(ttl @ ("1h" | "5m")) => json!({"type": "ephemeral", "ttl": ttl}),
        _ => json!({"type": "ephemeral"}),
    })
}

/// Turns each system message after the first turn into a user turn in place; a run
/// of them just before tool results moves after those results, which must open the
/// merged user turn.
fn place_later_system_messages(messages: &[ChatMessage]) -> Vec<Cow<'_, ChatMessage>> {
    #[derive(PartialEq, Clone, Copy)]
    enum Kind {
        System,
        Tool,
        Other,
    }
    let kind = |m: &ChatMessage| {
        if is_system(m) {
            Kind::System
        } else if is_tool_like(m) {
            Kind::Tool
        } else {
            Kind::Other
        }
    };
    let mut runs: Vec<(Kind, &[ChatMessage])> = Vec::new();
    let mut start = 0;
    for i in 1..=messages.len() {
        if i == messages.len() || kind(&messages[i]) != kind(&messages[start]) {
            if start < i {
                runs.push((kind(&messages[start]), &messages[start..i]));
            }
            start = i;
        }
    }
    let converted = |run: &[ChatMessage]| -> Vec<Cow<'_, ChatMessage>> {
        run.iter()
            .filter_map(|m| {
                let parts = system_text_parts(m, true);
                if parts.is_empty() {
                    return None;
                }
                let mut content = vec![ContentPart::text(CONVERTED_SYSTEM_NOTE)];
                for (text, cache_control) in parts {
                    let mut part = ContentPart::text(text);
                    if let (ContentPart::Text { extra, .. }, Some(cc)) = (&mut part, cache_control)
                    {
                        extra.insert("cache_control".into(), cc);
                    }
                    content.push(part);
                }
                let mut turn = ChatMessage::user("");
                turn.content = Some(MessageContent::Parts(content));
                Some(Cow::Owned(turn))
            })
            .collect()
    };
    let mut out = Vec::with_capacity(messages.len());
    for (i, &(k, run)) in runs.iter().enumerate() {
        let follower = runs.get(i + 1).map(|r| r.0);
        match k {
            Kind::System if follower == Some(Kind::Tool) => {}
            Kind::System => out.extend(converted(run)),
            _ => {
                out.extend(run.iter().map(Cow::Borrowed));
                if k == Kind::Tool && i > 0 && runs[i - 1].0 == Kind::System {
                    out.extend(converted(runs[i - 1].1));
                }
            }
        }
    }
    out
}

fn convert_turns(
    messages: &[Cow<'_, ChatMessage>],
    opts: ConvertOptions<'_>,
) -> Result<Vec<AnthropicMessage>, Error> {
    let later_tool_result = tool_result_later_in_turn(messages);
    let mut out: Vec<AnthropicMessage> = Vec::new();
    let mut i = 0;
    while i < messages.len() {
        let start = i;
        let mut user: Vec<AnthropicContentBlock> = Vec::new();
        while i < messages.len() && is_user_like(&messages[i]) {
            let m = &messages[i];
            if m.role == Role::User {
                user_blocks(m, later_tool_result[i], &mut user, opts)?;
            } else {
                user.push(AnthropicContentBlock::ToolResult(tool_result(m, opts)?));
            }
            i += 1;
        }
        if user.is_empty() {
            // An empty user turn still needs a block (its cache breakpoint, if any).
            if let Some(m) = messages[start..i]
                .iter()
                .rev()
                .find(|m| m.role == Role::User && content_is_empty(m))
            {
                user.push(placeholder(m.extra.get("cache_control")));
            }
        }
        if !user.is_empty() {
            out.push(message(AnthropicRole::User, user));
        }

        let mut assistant: Vec<AnthropicContentBlock> = Vec::new();
        let mut tool_ids: HashSet<String> = HashSet::new();
        while i < messages.len() && messages[i].role == Role::Assistant {
            assistant_blocks(&messages[i], &mut assistant, &mut tool_ids, opts)?;
            i += 1;
        }
        if !assistant.is_empty() {
            out.push(message(AnthropicRole::Assistant, assistant));
        }

        if i == start {
            return Err(bad_request(
                opts.provider,
                format!(
                    "Invalid Message passed in: role '{}' is not supported by Anthropic",
                    messages[i].role
                ),
            ));
        }
    }
    if let Some(last) = out
        .last_mut()
        .filter(|m| m.role == AnthropicRole::Assistant)
    {
        // Anthropic rejects a final assistant turn that ends in whitespace.
        if let AnthropicContent::Blocks(blocks) = &mut last.content {
            for block in blocks {
                if let AnthropicContentBlock::Text(t) = block {
                    t.text.truncate(t.text.trim_end().len());
                }
            }
        }
    }
    Ok(out)
}

/// For each message, whether a later message of the same user turn is a tool result
/// (a cache breakpoint placeholder would then split the tool results from the call).
fn tool_result_later_in_turn(messages: &[Cow<'_, ChatMessage>]) -> Vec<bool> {
    let mut out = vec![false; messages.len()];
    let mut later = false;
    for i in (0..messages.len()).rev() {
        out[i] = later;
        let m = &messages[i];
        later = is_user_like(m) && (later || is_tool_like(m));
    }
    out
}

fn message(role: AnthropicRole, blocks: Vec<AnthropicContentBlock>) -> AnthropicMessage {
    AnthropicMessage {
        role,
        content: AnthropicContent::Blocks(blocks),
        extra: JsonMap::new(),
    }
}

fn content_is_empty(m: &ChatMessage) -> bool {
    match &m.content {
        None => true,
        Some(MessageContent::Text(s)) => s.is_empty(),
        Some(MessageContent::Parts(p)) => p.is_empty(),
    }
}

fn placeholder(cache_control: Option<&Value>) -> AnthropicContentBlock {
    text_block(
        EMPTY_TEXT_PLACEHOLDER.to_owned(),
        cache_control.filter(|v| v.is_object()).cloned(),
    )
}

fn text_block(text: String, cache_control: Option<Value>) -> AnthropicContentBlock {
    AnthropicContentBlock::Text(AnthropicTextBlock {
        text,
        cache_control,
        ..AnthropicTextBlock::default()
    })
}

/// `text`, or the placeholder when it is empty or only whitespace.
fn sanitized(text: &str) -> String {
    if text.trim().is_empty() {
        EMPTY_TEXT_PLACEHOLDER.to_owned()
    } else {
        text.to_owned()
    }
}

/// A `cache_control` LiteLLM copies onto a block: only objects.
fn cache_control_of(extra: &JsonMap) -> Option<Value> {
    extra
        .get("cache_control")
        .filter(|v| v.is_object())
        .cloned()
}

fn user_blocks(
    m: &ChatMessage,
    tool_result_follows: bool,
    out: &mut Vec<AnthropicContentBlock>,
    opts: ConvertOptions<'_>,
) -> Result<(), Error> {
    match &m.content {
        None => {}
        Some(MessageContent::Parts(parts)) if parts.is_empty() => {}
        Some(MessageContent::Text(s)) => {
            out.push(text_block(sanitized(s), cache_control_of(&m.extra)));
            return Ok(());
        }
        Some(MessageContent::Parts(parts)) => {
            for part in parts {
                if let Some(block) = user_part(part, opts)? {
                    out.push(block);
                }
            }
            return Ok(());
        }
    }
    // No content: only a cache breakpoint survives, unless tool results follow.
    if !tool_result_follows && cache_control_of(&m.extra).is_some() {
        out.push(placeholder(m.extra.get("cache_control")));
    }
    Ok(())
}

fn user_part(
    part: &ContentPart,
    opts: ConvertOptions<'_>,
) -> Result<Option<AnthropicContentBlock>, Error> {
    Ok(Some(match part {
        ContentPart::Text { text, extra, .. } => {
            text_block(sanitized(text), cache_control_of(extra))
        }
        ContentPart::ImageUrl {
            image_url, extra, ..
        } => {
            let format = image_url.extra.get("format").and_then(Value::as_str);
            with_cache_control(
                image_block(&image_url.url, format, false, opts)?,
                cache_control_of(extra),
            )
        }
        ContentPart::File { file, extra, .. } => {
            with_cache_control(file_block(file, opts)?, cache_control_of(extra))
        }
        ContentPart::InputAudio { .. } => {
            return Err(bad_request(
                opts.provider,
                "Anthropic does not accept audio input (content part 'input_audio').",
            ));
        }
        ContentPart::Other(value) => match string_image_url(value) {
            Some(url) => with_cache_control(
                image_block(url, None, false, opts)?,
                value
                    .get("cache_control")
                    .filter(|v| v.is_object())
                    .cloned(),
            ),
            // Anthropic-native blocks (`document`, `search_result`, …) pass as sent.
            None => parse_block(value, opts)?,
        },
    }))
}

/// A content block given in Anthropic's own shape.
fn parse_block(value: &Value, opts: ConvertOptions<'_>) -> Result<AnthropicContentBlock, Error> {
    serde_json::from_value(value.clone()).map_err(|e| {
        bad_request(
            opts.provider,
            format!("invalid content block for Anthropic: {e}"),
        )
    })
}

fn with_cache_control(
    mut block: AnthropicContentBlock,
    cache_control: Option<Value>,
) -> AnthropicContentBlock {
    let Some(cc) = cache_control else {
        return block;
    };
    match &mut block {
        AnthropicContentBlock::Text(b) => b.cache_control = Some(cc),
        AnthropicContentBlock::Image(b) => b.cache_control = Some(cc),
        AnthropicContentBlock::Document(b) => b.cache_control = Some(cc),
        AnthropicContentBlock::ToolUse(b) => b.cache_control = Some(cc),
        AnthropicContentBlock::ToolResult(b) => b.cache_control = Some(cc),
        AnthropicContentBlock::Thinking(b) => b.cache_control = Some(cc),
        AnthropicContentBlock::RedactedThinking(b) => b.cache_control = Some(cc),
        AnthropicContentBlock::Other(Value::Object(map)) => {
            map.insert("cache_control".into(), cc);
        }
        AnthropicContentBlock::Other(_) => {}
    }
    block
}

/// A tool (or function) message as a `tool_result` block.
fn tool_result(
    m: &ChatMessage,
    opts: ConvertOptions<'_>,
) -> Result<AnthropicToolResultBlock, Error> {
    let id = match (&m.tool_call_id, m.role == Role::Function) {
        (Some(id), _) => id.as_str(),
        // A legacy function result names its function; its call got the same id.
        (None, true) => m.name.as_deref().unwrap_or_default(),
        (None, false) => {
            return Err(bad_request(
                opts.provider,
                "a tool message needs a tool_call_id",
            ));
        }
    };
    let content = match &m.content {
        None => AnthropicContent::Text(String::new()),
        Some(MessageContent::Text(s)) => AnthropicContent::Text(s.clone()),
        Some(MessageContent::Parts(parts)) => {
            let mut blocks = Vec::new();
            for part in parts {
                match part {
                    ContentPart::Text { text, extra, .. } => {
                        blocks.push(text_block(text.clone(), cache_control_of(extra)));
                    }
                    ContentPart::ImageUrl {
                        image_url, extra, ..
                    } => {
                        let format = image_url.extra.get("format").and_then(Value::as_str);
                        blocks.push(with_cache_control(
                            image_block(&image_url.url, format, true, opts)?,
                            cache_control_of(extra),
                        ));
                    }
                    ContentPart::File { file, extra, .. } => {
                        blocks.push(with_cache_control(
                            file_block(file, opts)?,
                            cache_control_of(extra),
                        ));
                    }
                    ContentPart::Other(v) if string_image_url(v).is_some() => {
                        let url = string_image_url(v).unwrap_or_default();
                        blocks.push(with_cache_control(
                            image_block(url, None, true, opts)?,
                            v.get("cache_control").filter(|c| c.is_object()).cloned(),
                        ));
                    }
                    ContentPart::Other(v)
                        if v.get("type").and_then(Value::as_str) == Some("tool_reference") =>
                    {
                        blocks.push(AnthropicContentBlock::Other(json!({
                            "type": "tool_reference",
                            "tool_name": v.get("tool_name").cloned().unwrap_or(Value::Null),
                        })));
                    }
                    // LiteLLM keeps only these part types in a tool result.
                    ContentPart::InputAudio { .. } | ContentPart::Other(_) => {}
                }
            }
            AnthropicContent::Blocks(blocks)
        }
    };
    Ok(AnthropicToolResultBlock {
        tool_use_id: sanitize_tool_use_id(id),
        content: Some(content),
        is_error: None,
        cache_control: cache_control_of(&m.extra),
        extra: JsonMap::new(),
    })
}

/// Anthropic requires tool ids matching `^[a-zA-Z0-9_-]+$`.
pub(super) fn sanitize_tool_use_id(id: &str) -> String {
    let clean: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() {
        "tool_use_id".to_owned()
    } else {
        clean
    }
}

fn assistant_blocks(
    m: &ChatMessage,
    out: &mut Vec<AnthropicContentBlock>,
    tool_ids: &mut HashSet<String>,
    opts: ConvertOptions<'_>,
) -> Result<(), Error> {
    let parts = match &m.content {
        Some(MessageContent::Parts(parts)) => Some(parts),
        _ => None,
    };
    let inline_thinking = parts.is_some_and(|parts| {
        parts.iter().any(|p| {
            matches!(p, ContentPart::Other(v)
                if matches!(v.get("type").and_then(Value::as_str), Some("thinking" | "redacted_thinking")))
        })
    });
    // Thinking first: Anthropic rejects a turn whose thinking follows its text.
    if !inline_thinking {
        for block in m.thinking_blocks.iter().flatten() {
            if let Some(block) = replayable_thinking(block) {
                out.push(block);
            }
        }
    }
    match &m.content {
        // Empty text was replaced by the placeholder first, so it is never skipped.
        Some(MessageContent::Text(s)) => {
            out.push(text_block(sanitized(s), cache_control_of(&m.extra)));
        }
        Some(MessageContent::Parts(parts)) => {
            for part in parts {
                match part {
                    ContentPart::Text { text, extra, .. } => {
                        out.push(text_block(sanitized(text), cache_control_of(extra)));
                    }
                    ContentPart::Other(v) => {
                        let kind = v.get("type").and_then(Value::as_str).unwrap_or_default();
                        if matches!(kind, "thinking" | "redacted_thinking") {
                            if let Some(block) = replayable_thinking(v) {
                                out.push(block);
                            }
                        } else if kind == "server_tool_use" || kind.ends_with("_tool_result") {
                            out.push(parse_block(v, opts)?);
                        }
                    }
                    ContentPart::ImageUrl { .. }
                    | ContentPart::InputAudio { .. }
                    | ContentPart::File { .. } => {}
                }
            }
        }
        _ => {}
    }
    let server_results = server_tool_results(m);
    for call in m.tool_calls.iter().flatten() {
        if call.kind != "function" {
            continue;
        }
        for block in tool_use_blocks(call, &server_results, opts)? {
            let id = match &block {
                AnthropicContentBlock::ToolUse(b) => Some(b.id.clone()),
                AnthropicContentBlock::Other(v) => {
                    v.get("id").and_then(Value::as_str).map(str::to_owned)
                }
                _ => None,
            };
            // Repeated ids would make Anthropic reject the turn.
            if let Some(id) = id
                && !tool_ids.insert(id)
            {
                continue;
            }
            out.push(block);
        }
    }
    if let Some(function_call) = m.extra.get("function_call").filter(|v| v.is_object()) {
        let name = function_call
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let arguments = function_call.get("arguments").and_then(Value::as_str);
        out.push(AnthropicContentBlock::ToolUse(AnthropicToolUseBlock {
            id: sanitize_tool_use_id(name),
            name: name.to_owned(),
            input: parse_arguments(arguments, opts)?,
            ..AnthropicToolUseBlock::default()
        }));
    }
    Ok(())
}

/// A thinking block Anthropic accepts back: signed `thinking` or `redacted_thinking`,
/// without the stream `index` LiteLLM adds.
fn replayable_thinking(block: &Value) -> Option<AnthropicContentBlock> {
    let Value::Object(map) = block else {
        return None;
    };
    match map.get("type").and_then(Value::as_str) {
        Some("thinking") => {
            let signed = map
                .get("signature")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty());
            if !signed {
                return None;
            }
        }
        Some("redacted_thinking") => {}
        _ => return None,
    }
    let mut map = map.clone();
    map.remove("index");
    serde_json::from_value(Value::Object(map)).ok()
}

/// Server tool results (`web_search_tool_result`, …) LiteLLM kept in the assistant
/// message's `provider_specific_fields`, to rebuild `server_tool_use` turns.
fn server_tool_results(m: &ChatMessage) -> Vec<&Value> {
    let Some(fields) = m.extra.get("provider_specific_fields") else {
        return Vec::new();
    };
    ["web_search_results", "tool_results"]
        .iter()
        .filter_map(|k| fields.get(*k).and_then(Value::as_array))
        .flatten()
        .collect()
}

fn tool_use_blocks(
    call: &ToolCall,
    server_results: &[&Value],
    opts: ConvertOptions<'_>,
) -> Result<Vec<AnthropicContentBlock>, Error> {
    let input = parse_arguments(Some(&call.function.arguments), opts)?;
    if call.id.starts_with("srvtoolu_")
        && let Some(result) = server_results
            .iter()
            .find(|r| r.get("tool_use_id").and_then(Value::as_str) == Some(call.id.as_str()))
    {
        return Ok(vec![
            AnthropicContentBlock::Other(json!({
                "type": "server_tool_use",
                "id": call.id,
                "name": call.function.name,
                "input": input,
            })),
            AnthropicContentBlock::Other((*result).clone()),
        ]);
    }
    Ok(vec![AnthropicContentBlock::ToolUse(
        AnthropicToolUseBlock {
            id: sanitize_tool_use_id(&call.id),
            name: call.function.name.clone(),
            input,
            cache_control: cache_control_of(&call.extra),
            extra: JsonMap::new(),
        },
    )])
}

/// Tool-call `arguments` as a JSON value: `{}` when empty; a cut-off object gets its
/// brackets closed, as LiteLLM's `parse_tool_call_arguments` repairs it.
pub(super) fn parse_arguments(
    arguments: Option<&str>,
    opts: ConvertOptions<'_>,
) -> Result<Value, Error> {
    let Some(text) = arguments.filter(|a| !a.trim().is_empty()) else {
        return Ok(Value::Object(JsonMap::new()));
    };
    if let Ok(v) = serde_json::from_str(text) {
        return Ok(v);
    }
    repair_json(text)
        .and_then(|fixed| serde_json::from_str(&fixed).ok())
        .ok_or_else(|| {
            bad_request(
                opts.provider,
                format!("tool call arguments are not valid JSON: {text}"),
            )
        })
}

/// Closes the strings, arrays and objects a truncated JSON text left open.
fn repair_json(text: &str) -> Option<String> {
    let mut stack = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => stack.push('}'),
            '[' => stack.push(']'),
            '}' | ']' if stack.pop() != Some(c) => return None,
            _ => {}
        }
    }
    if stack.is_empty() && !in_string {
        return None;
    }
    let mut fixed = text.trim_end().trim_end_matches(',').to_owned();
    if in_string {
        fixed.push('"');
    }
    fixed.extend(stack.iter().rev());
    Some(fixed)
}

pub(super) fn bad_request(provider: &str, message: impl Into<String>) -> Error {
    Error::bad_request(message).with_provider(provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTS: ConvertOptions<'static> = ConvertOptions {
        provider: "anthropic",
    };

    fn convert_json(messages: Value) -> Value {
        let messages: Vec<ChatMessage> = serde_json::from_value(messages).unwrap();
        let c = convert(&messages, OPTS).unwrap();
        json!({"system": c.system, "messages": c.messages})
    }

    #[test]
    fn consecutive_user_turns_and_tool_results_merge() {
        let out = convert_json(json!([
            {"role": "user", "content": "a"},
            {"role": "user", "content": "b"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call.1", "type": "function", "function": {"name": "f", "arguments": "{\"x\": 1}"}},
                {"id": "call_2", "type": "function", "function": {"name": "g", "arguments": ""}}
            ]},
            {"role": "tool", "tool_call_id": "call.1", "content": "r1"},
            {"role": "tool", "tool_call_id": "call_2", "content": "r2"},
            {"role": "assistant", "content": "done  "}
        ]));
        assert_eq!(
            out["messages"],
            json!([
                {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
                {"role": "assistant", "content": [
                    {"type": "tool_use", "id": "call_1", "name": "f", "input": {"x": 1}},
                    {"type": "tool_use", "id": "call_2", "name": "g", "input": {}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "call_1", "content": "r1"},
                    {"type": "tool_result", "tool_use_id": "call_2", "content": "r2"}
                ]},
                {"role": "assistant", "content": [{"type": "text", "text": "done"}]}
            ])
        );
    }

    #[test]
    fn later_system_messages_become_noted_user_turns_after_tool_results() {
        let out = convert_json(json!([
            {"role": "system", "content": "s1"},
            {"role": "developer", "content": [{"type": "text", "text": "s2", "cache_control": {"type": "ephemeral"}}]},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "system", "content": "remember"},
            {"role": "tool", "tool_call_id": "c", "content": "ok"}
        ]));
        assert_eq!(
            out["system"],
            json!([{"type": "text", "text": "s1"}, {"type": "text", "text": "s2", "cache_control": {"type": "ephemeral"}}])
        );
        assert_eq!(
            out["messages"][2],
            json!({"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "c", "content": "ok"},
                {"type": "text", "text": CONVERTED_SYSTEM_NOTE},
                {"type": "text", "text": "remember"}
            ]})
        );
    }

    #[test]
    fn empty_text_is_replaced_and_empty_cached_turn_keeps_its_breakpoint() {
        let out = convert_json(json!([
            {"role": "user", "content": " "},
            {"role": "assistant", "content": ""},
            {"role": "user", "content": null, "cache_control": {"type": "ephemeral"}}
        ]));
        assert_eq!(
            out["messages"][0]["content"][0]["text"],
            EMPTY_TEXT_PLACEHOLDER
        );
        assert_eq!(
            out["messages"][1]["content"][0]["text"],
            EMPTY_TEXT_PLACEHOLDER
        );
        assert_eq!(
            out["messages"][2]["content"][0],
            json!({"type": "text", "text": EMPTY_TEXT_PLACEHOLDER, "cache_control": {"type": "ephemeral"}})
        );
    }

    #[test]
    fn images_documents_and_files() {
        let out = convert_json(json!([
            {"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}, "cache_control": {"type": "ephemeral"}},
                {"type": "image_url", "image_url": "https://x/y.png"},
                {"type": "image_url", "image_url": {"url": "data:application/pdf;base64,JVBE"}},
                {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBE"}},
                {"type": "file", "file": {"file_id": "file_1", "format": "application/pdf"}},
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "doc"}}
            ]}
        ]));
        let content = &out["messages"][0]["content"];
        assert_eq!(
            content[0],
            json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}, "cache_control": {"type": "ephemeral"}})
        );
        assert_eq!(
            content[1],
            json!({"type": "image", "source": {"type": "url", "url": "https://x/y.png"}})
        );
        assert_eq!(content[2]["type"], "document");
        assert_eq!(
            content[3],
            json!({"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}})
        );
        assert_eq!(
            content[4]["source"],
            json!({"type": "file", "file_id": "file_1"})
        );
        assert_eq!(content[5]["source"]["type"], "text");
    }

    #[test]
    fn thinking_blocks_replay_first_and_unsigned_ones_are_dropped() {
        let out = convert_json(json!([
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "a", "thinking_blocks": [
                {"type": "thinking", "thinking": "t", "signature": "sig", "index": 0},
                {"type": "thinking", "thinking": "unsigned"},
                {"type": "redacted_thinking", "data": "enc"}
            ]}
        ]));
        assert_eq!(
            out["messages"][1]["content"],
            json!([
                {"type": "thinking", "thinking": "t", "signature": "sig"},
                {"type": "redacted_thinking", "data": "enc"},
                {"type": "text", "text": "a"}
            ])
        );
    }

    #[test]
    fn only_system_messages_is_an_error() {
        let messages = vec![ChatMessage::system("s")];
        let err = convert(&messages, OPTS).unwrap_err();
        assert_eq!(err.status.as_u16(), 400);
    }

    #[test]
    fn truncated_arguments_are_repaired() {
        assert_eq!(
            parse_arguments(Some("{\"a\": [1, 2"), OPTS).unwrap(),
            json!({"a": [1, 2]})
        );
        assert!(parse_arguments(Some("nope"), OPTS).is_err());
        assert_eq!(sanitize_tool_use_id("a.b/c"), "a_b_c");
    }
}
