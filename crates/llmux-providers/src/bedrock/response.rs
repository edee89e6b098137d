//! Converse answer → canonical response, as LiteLLM's `AmazonConverseConfig._transform_response`:
//!
//! - text blocks are concatenated into `content` (`""` when there is none);
//! - `toolUse` blocks are tool calls whose `index` is the block's position and whose
//!   arguments are the input as Python's `json.dumps` writes it;
//! - reasoning blocks give `reasoning_content`, `thinking_blocks` and
//!   `provider_specific_fields.reasoningContentBlocks`;
//! - LiteLLM's `json_tool_call` answer (response_format) becomes the text, and the
//!   finish reason `stop`.

use llmux_types::{
    ChatResponse, Choice, CompletionTokensDetails, Error, ErrorKind, FinishReason, FunctionCall,
    JsonMap, PromptTokensDetails, ResponseMessage, Role, ToolCall, Usage,
};
use serde_json::{Value, json};

use super::request::RESPONSE_FORMAT_TOOL_NAME;
use crate::ParseContext;
use crate::python_json;

pub(super) fn parse_chat_response(
    body: &[u8],
    ctx: &ParseContext<'_>,
) -> Result<ChatResponse, Error> {
    let v: Value = serde_json::from_slice(body).map_err(|e| unreadable(&e.to_string()))?;
    let blocks = v
        .pointer("/output/message/content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut text = String::new();
    let mut tool_calls = Vec::new();
    let mut reasoning: Vec<Value> = Vec::new();
    for (idx, block) in blocks.iter().enumerate() {
        if let Some(t) = block.get("text").and_then(Value::as_str) {
            text.push_str(t);
        }
        if let Some(tool) = block.get("toolUse") {
            let field = |k: &str| tool.get(k).and_then(Value::as_str).unwrap_or_default();
            let mut extra = JsonMap::new();
            extra.insert("index".into(), json!(idx));
            tool_calls.push(ToolCall {
                id: field("toolUseId").to_owned(),
                kind: "function".into(),
                function: FunctionCall {
                    name: field("name").to_owned(),
                    arguments: python_json::dumps(tool.get("input").unwrap_or(&Value::Null)),
                },
                extra,
            });
        }
        if let Some(r) = block.get("reasoningContent") {
            reasoning.push(r.clone());
        }
    }
    let stop_reason = v.get("stopReason").and_then(Value::as_str);
    let mut finish = finish_reason(stop_reason);
    let json_calls = tool_calls
        .iter()
        .filter(|c| c.function.name == RESPONSE_FORMAT_TOOL_NAME)
        .count();
    if json_calls > 0 {
        let first = tool_calls
            .iter()
            .position(|c| c.function.name == RESPONSE_FORMAT_TOOL_NAME);
        if let Some(args) = first.map(|i| unwrap_properties(&tool_calls[i].function.arguments)) {
            text = if json_calls == tool_calls.len() || text.is_empty() {
                args
            } else {
                text + &args
            };
        }
        tool_calls.retain(|c| c.function.name != RESPONSE_FORMAT_TOOL_NAME);
        if tool_calls.is_empty() && finish == FinishReason::ToolCalls {
            finish = FinishReason::Stop;
        }
    }
    let mut message = ResponseMessage {
        role: Role::Assistant,
        content: Some(text),
        tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
        reasoning_content: None,
        thinking_blocks: None,
        extra: JsonMap::new(),
    };
    let thinking_ran = !reasoning.is_empty();
    if thinking_ran {
        message.reasoning_content = Some(
            reasoning
                .iter()
                .filter_map(|r| r.pointer("/reasoningText/text").and_then(Value::as_str))
                .collect(),
        );
        message.thinking_blocks = Some(reasoning.iter().map(thinking_block).collect());
        message.extra.insert(
            "provider_specific_fields".into(),
            json!({"reasoningContentBlocks": reasoning}),
        );
    }
    let usage = v.get("usage").map(|u| usage(u, thinking_ran));
    Ok(ChatResponse {
        id: ctx.response_id.to_owned(),
        object: "chat.completion".into(),
        created: ctx.created,
        model: String::new(),
        choices: vec![Choice {
            index: 0,
            message,
            finish_reason: Some(finish),
            extra: JsonMap::new(),
        }],
        usage,
        system_fingerprint: None,
        service_tier: v
            .pointer("/serviceTier/type")
            .and_then(Value::as_str)
            .map(str::to_owned),
        extra: JsonMap::new(),
    })
}

/// LiteLLM's `map_finish_reason` for Bedrock's stop reasons.
pub(super) fn finish_reason(stop: Option<&str>) -> FinishReason {
    match stop.unwrap_or("stop") {
        "max_tokens" | "length" | "model_context_window_exceeded" => FinishReason::Length,
        "tool_use" | "tool_calls" => FinishReason::ToolCalls,
        "guardrail_intervened" | "content_filtered" | "content_filter" => {
            FinishReason::ContentFilter
        }
        _ => FinishReason::Stop,
    }
}

/// A reasoning block as an Anthropic-style thinking block.
pub(super) fn thinking_block(r: &Value) -> Value {
    if let Some(redacted) = r.get("redactedContent") {
        return json!({"type": "redacted_thinking", "data": redacted});
    }
    let mut b = json!({
        "type": "thinking",
        "thinking": r.pointer("/reasoningText/text").cloned().unwrap_or(json!("")),
    });
    if let Some(sig) = r.pointer("/reasoningText/signature") {
        b["signature"] = sig.clone();
    }
    b
}

/// `_unwrap_bedrock_properties`: a lone `{"properties": …}` object is unwrapped.
fn unwrap_properties(args: &str) -> String {
    match serde_json::from_str::<Value>(args) {
        Ok(Value::Object(m)) if m.len() == 1 && m.contains_key("properties") => {
            python_json::dumps(m.get("properties").unwrap_or(&Value::Null))
        }
        _ => args.to_owned(),
    }
}

/// LiteLLM's `transform_usage`: cache reads and writes count as prompt tokens.
pub(super) fn usage(u: &Value, thinking_ran: bool) -> Usage {
    let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
    let raw_input = n("inputTokens");
    let output = n("outputTokens");
    let cache_read = n("cacheReadInputTokens");
    let cache_write = n("cacheWriteInputTokens");
    let input = raw_input
        .saturating_add(cache_read)
        .saturating_add(cache_write);
    let total = u
        .get("totalTokens")
        .and_then(Value::as_u64)
        .unwrap_or(input.saturating_add(output));
    let mut prompt_details = JsonMap::new();
    prompt_details.insert("cache_creation_tokens".into(), cache_write.into());
    prompt_details.insert("cache_write_tokens".into(), cache_write.into());
    prompt_details.insert("text_tokens".into(), raw_input.into());
    let mut completion_details = JsonMap::new();
    let reasoning_tokens = if thinking_ran {
        completion_details.insert("text_tokens".into(), Value::Null);
        None
    } else {
        completion_details.insert("text_tokens".into(), output.into());
        Some(0)
    };
    let mut extra = JsonMap::new();
    extra.insert("cache_creation_input_tokens".into(), cache_write.into());
    extra.insert("cache_read_input_tokens".into(), cache_read.into());
    Usage {
        prompt_tokens: input,
        completion_tokens: output,
        total_tokens: total,
        prompt_tokens_details: Some(PromptTokensDetails {
            cached_tokens: Some(cache_read),
            extra: prompt_details,
        }),
        completion_tokens_details: Some(CompletionTokensDetails {
            reasoning_tokens,
            extra: completion_details,
        }),
        extra,
    }
}

fn unreadable(detail: &str) -> Error {
    Error::new(
        ErrorKind::Api,
        format!("BedrockException - Error converting to valid response block={detail}"),
    )
    .with_status(http::StatusCode::UNPROCESSABLE_ENTITY)
    .with_provider("bedrock")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: ParseContext<'static> = ParseContext {
        created: 1,
        response_id: "chatcmpl-x",
    };

    #[test]
    fn a_json_tool_call_answer_is_text_with_finish_stop() {
        let body = json!({"output": {"message": {"role": "assistant", "content": [
            {"toolUse": {"toolUseId": "t", "name": "json_tool_call", "input": {"name": "Alice", "age": 42}}}
        ]}}, "stopReason": "tool_use", "usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3}});
        let r = parse_chat_response(body.to_string().as_bytes(), &CTX).unwrap();
        let c = &r.choices[0];
        assert_eq!(
            c.message.content.as_deref(),
            Some("{\"name\": \"Alice\", \"age\": 42}")
        );
        assert!(c.message.tool_calls.is_none());
        assert_eq!(c.finish_reason, Some(FinishReason::Stop));
    }

    #[test]
    fn cache_tokens_count_as_prompt_tokens() {
        let u = usage(
            &json!({"inputTokens": 10, "outputTokens": 2, "cacheReadInputTokens": 5, "cacheWriteInputTokens": 3}),
            false,
        );
        assert_eq!(
            (u.prompt_tokens, u.total_tokens, u.cached_tokens()),
            (18, 20, 5)
        );
        assert_eq!(u.extra["cache_creation_input_tokens"], 3);
    }
}
