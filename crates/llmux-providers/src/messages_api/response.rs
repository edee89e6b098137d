//! A canonical chat answer → an Anthropic Messages answer, as LiteLLM's
//! `translate_openai_response_to_anthropic` does it.

use llmux_types::{ChatResponse, Error, ErrorKind, FinishReason, JsonMap, ResponseMessage, Usage};
use serde_json::{Value, json};

use super::tool_names::ToolNames;
use crate::anthropic::types::{
    AnthropicContentBlock, AnthropicDeltaUsage, AnthropicRedactedThinkingBlock, AnthropicResponse,
    AnthropicRole, AnthropicTextBlock, AnthropicThinkingBlock, AnthropicToolUseBlock,
    AnthropicUsage,
};

/// Translates a chat answer. `id` and `model` are the upstream's (the gateway puts the
/// public model name in `model`).
///
/// Fails only when a tool call's arguments are not JSON, even after closing what a
/// truncated answer left open (LiteLLM raises too).
pub fn from_chat_response(
    resp: &ChatResponse,
    tool_names: &ToolNames,
) -> Result<AnthropicResponse, Error> {
    let mut content = Vec::new();
    let mut refused = false;
    for choice in &resp.choices {
        refused |= refusal(&choice.message.extra).is_some();
        translate_message(&choice.message, tool_names, &mut content)?;
    }
    let finish = resp
        .choices
        .first()
        .and_then(|c| c.finish_reason.as_ref())
        .map_or("end_turn", stop_reason);
    let stop = if refused && finish != "max_tokens" {
        "refusal"
    } else {
        finish
    };
    Ok(AnthropicResponse {
        id: resp.id.clone(),
        kind: "message".into(),
        role: AnthropicRole::Assistant,
        model: if resp.model.is_empty() {
            "unknown-model".into()
        } else {
            resp.model.clone()
        },
        content,
        stop_reason: Some(stop.into()),
        stop_sequence: None,
        usage: resp.usage.as_ref().map(usage).unwrap_or_default(),
        extra: JsonMap::new(),
    })
}

/// LiteLLM's `_translate_openai_finish_reason_to_anthropic`.
pub fn stop_reason(finish: &FinishReason) -> &'static str {
    match finish {
        FinishReason::Stop => "end_turn",
        FinishReason::Length => "max_tokens",
        FinishReason::ToolCalls => "tool_use",
        FinishReason::ContentFilter => "refusal",
        FinishReason::Other(s) if s == "refusal" => "refusal",
        FinishReason::FunctionCall | FinishReason::Other(_) => "end_turn",
    }
}

/// The refusal text a message or delta carries (`refusal`, or LiteLLM's
/// `provider_specific_fields.refusal`).
pub(crate) fn refusal(extra: &JsonMap) -> Option<&str> {
    extra
        .get("refusal")
        .and_then(Value::as_str)
        .or_else(|| {
            extra
                .get("provider_specific_fields")
                .and_then(|f| f.get("refusal"))
                .and_then(Value::as_str)
        })
        .filter(|s| !s.is_empty())
}

fn translate_message(
    message: &ResponseMessage,
    tool_names: &ToolNames,
    content: &mut Vec<AnthropicContentBlock>,
) -> Result<(), Error> {
    match message.thinking_blocks.as_deref() {
        Some(blocks) if !blocks.is_empty() => {
            content.extend(blocks.iter().filter_map(thinking_block))
        }
        _ => {
            if let Some(reasoning) = message
                .reasoning_content
                .as_deref()
                .filter(|r| !r.is_empty())
            {
                content.push(AnthropicContentBlock::Thinking(AnthropicThinkingBlock {
                    thinking: reasoning.to_owned(),
                    ..AnthropicThinkingBlock::default()
                }));
            }
        }
    }
    if let Some(text) = &message.content {
        content.push(text_block(text));
    }
    if let Some(text) = refusal(&message.extra) {
        content.push(text_block(text));
    }
    for call in message.tool_calls.iter().flatten() {
        let name = tool_names.original(&call.function.name);
        content.push(AnthropicContentBlock::ToolUse(AnthropicToolUseBlock {
            id: tool_use_id(&call.id),
            name: name.to_owned(),
            input: parse_arguments(&call.function.arguments, name)?,
            ..AnthropicToolUseBlock::default()
        }));
    }
    Ok(())
}

fn text_block(text: &str) -> AnthropicContentBlock {
    AnthropicContentBlock::Text(AnthropicTextBlock {
        text: text.to_owned(),
        ..AnthropicTextBlock::default()
    })
}

/// A `thinking_blocks` entry as an Anthropic block; empty unsigned ones are dropped
/// (Anthropic rejects them when the client replays them).
fn thinking_block(block: &Value) -> Option<AnthropicContentBlock> {
    let text = |key: &str| {
        block
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    match block.get("type").and_then(Value::as_str) {
        Some("thinking") => {
            let (thinking, signature) = (text("thinking"), text("signature"));
            if thinking.is_empty() && signature.is_empty() {
                return None;
            }
            Some(AnthropicContentBlock::Thinking(AnthropicThinkingBlock {
                thinking,
                signature: block
                    .get("signature")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                ..AnthropicThinkingBlock::default()
            }))
        }
        Some("redacted_thinking") => Some(AnthropicContentBlock::RedactedThinking(
            AnthropicRedactedThinkingBlock {
                data: text("data"),
                ..AnthropicRedactedThinkingBlock::default()
            },
        )),
        _ => None,
    }
}

/// LiteLLM's `normalize_anthropic_tool_use_id`: Gemini's thought-signature suffix off,
/// then anything outside `[A-Za-z0-9_-]` as `_`.
pub(crate) fn tool_use_id(raw: &str) -> String {
    let base = raw.split("__thought__").next().unwrap_or(raw);
    let id: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if id.is_empty() {
        "tool_use_id".into()
    } else {
        id
    }
}

/// A tool call's arguments as JSON: `{}` when empty, repaired when a truncated answer
/// left brackets or a string open.
fn parse_arguments(arguments: &str, tool: &str) -> Result<Value, Error> {
    if arguments.trim().is_empty() {
        return Ok(json!({}));
    }
    match serde_json::from_str(arguments) {
        Ok(v) => Ok(v),
        Err(e) => repair_json(arguments).ok_or_else(|| {
            Error::new(
                ErrorKind::InternalServer,
                format!(
                    "Failed to parse tool call arguments for tool '{tool}' (Anthropic pass-through adapter). Error: {e}. Arguments: {arguments}"
                ),
            )
        }),
    }
}

/// Closes an unterminated string and unmatched brackets (LiteLLM's `_attempt_json_repair`).
fn repair_json(text: &str) -> Option<Value> {
    let mut closers = Vec::new();
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => closers.push('}'),
            '[' => closers.push(']'),
            '}' | ']' => {
                closers.pop();
            }
            _ => {}
        }
    }
    let mut fixed = text.trim_end().to_owned();
    if in_string {
        fixed.push('"');
    }
    fixed.extend(closers.iter().rev());
    serde_json::from_str(&fixed).ok()
}

/// Usage in Anthropic's terms: `input_tokens` excludes cache reads and writes.
pub fn usage(u: &Usage) -> AnthropicUsage {
    let d = usage_delta(u);
    AnthropicUsage {
        input_tokens: d.input_tokens.unwrap_or(0),
        output_tokens: d.output_tokens.unwrap_or(0),
        cache_creation_input_tokens: d.cache_creation_input_tokens,
        cache_read_input_tokens: d.cache_read_input_tokens,
        server_tool_use: d.server_tool_use,
        ..AnthropicUsage::default()
    }
}

/// LiteLLM's `translate_openai_usage_to_anthropic_usage_delta`: cache counts and web
/// searches only when positive.
pub fn usage_delta(u: &Usage) -> AnthropicDeltaUsage {
    let extra_u64 = |map: &JsonMap, key: &str| map.get(key).and_then(Value::as_u64).unwrap_or(0);
    let details = u.prompt_tokens_details.as_ref();
    let cache_read = match extra_u64(&u.extra, "cache_read_input_tokens") {
        0 => u.cached_tokens(),
        n => n,
    };
    let cache_creation = match extra_u64(&u.extra, "cache_creation_input_tokens") {
        0 => details.map_or(0, |d| match extra_u64(&d.extra, "cache_creation_tokens") {
            0 => extra_u64(&d.extra, "cache_write_tokens"),
            n => n,
        }),
        n => n,
    };
    let web_searches = u
        .extra
        .get("server_tool_use")
        .and_then(|s| s.get("web_search_requests"))
        .and_then(Value::as_u64)
        .filter(|n| *n > 0)
        .or_else(|| details.map(|d| extra_u64(&d.extra, "web_search_requests")))
        .unwrap_or(0);
    let positive = |n: u64| (n > 0).then_some(n);
    AnthropicDeltaUsage {
        input_tokens: Some(
            u.prompt_tokens
                .saturating_sub(cache_read.saturating_add(cache_creation)),
        ),
        output_tokens: Some(u.completion_tokens),
        cache_creation_input_tokens: positive(cache_creation),
        cache_read_input_tokens: positive(cache_read),
        server_tool_use: positive(web_searches).map(|n| json!({"web_search_requests": n})),
        extra: JsonMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(message: Value, finish: &str, usage: Value) -> ChatResponse {
        serde_json::from_value(json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": usage
        }))
        .unwrap()
    }

    #[test]
    fn text_tool_calls_and_reasoning_become_blocks() {
        let resp = answer(
            json!({
                "role": "assistant", "content": "Let me check.",
                "reasoning_content": "thinking...",
                "tool_calls": [{"id": "call:1", "type": "function",
                    "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\""}}]
            }),
            "tool_calls",
            json!({"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25,
                   "prompt_tokens_details": {"cached_tokens": 8}}),
        );
        let out = from_chat_response(&resp, &ToolNames::default()).unwrap();
        insta::assert_json_snapshot!(out);
    }

    #[test]
    fn finish_reasons_map_like_litellm() {
        for (finish, stop) in [
            ("stop", "end_turn"),
            ("length", "max_tokens"),
            ("tool_calls", "tool_use"),
            ("content_filter", "refusal"),
            ("weird", "end_turn"),
        ] {
            let resp = answer(
                json!({"role": "assistant", "content": "x"}),
                finish,
                json!({}),
            );
            let out = from_chat_response(&resp, &ToolNames::default()).unwrap();
            assert_eq!(out.stop_reason.as_deref(), Some(stop), "{finish}");
        }
    }

    #[test]
    fn a_refusal_is_a_text_block_and_the_stop_reason() {
        let resp = answer(
            json!({"role": "assistant", "content": null, "refusal": "I can't."}),
            "stop",
            json!({"prompt_tokens": 1, "completion_tokens": 1}),
        );
        let out = serde_json::to_value(from_chat_response(&resp, &ToolNames::default()).unwrap())
            .unwrap();
        assert_eq!(
            out["content"],
            json!([{"type": "text", "text": "I can't."}])
        );
        assert_eq!(out["stop_reason"], "refusal");
        assert_eq!(out["usage"], json!({"input_tokens": 1, "output_tokens": 1}));
    }

    #[test]
    fn arguments_that_are_not_json_are_an_error() {
        let resp = answer(
            json!({"role": "assistant", "content": null, "tool_calls": [
                {"id": "c", "type": "function", "function": {"name": "f", "arguments": "not json"}}]}),
            "tool_calls",
            json!({}),
        );
        let e = from_chat_response(&resp, &ToolNames::default()).unwrap_err();
        assert_eq!(e.status.as_u16(), 500);
    }

    #[test]
    fn tool_use_ids_are_normalised() {
        assert_eq!(tool_use_id("functions.Bash:0"), "functions_Bash_0");
        assert_eq!(tool_use_id("call_1__thought__abc"), "call_1");
        assert_eq!(tool_use_id(""), "tool_use_id");
    }
}
