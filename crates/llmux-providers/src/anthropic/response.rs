//! Messages API answer → canonical response, as LiteLLM's
//! `AnthropicConfig.transform_parsed_response` and `calculate_usage` build it.

use llmux_types::{
    ChatResponse, Choice, CompletionTokensDetails, Error, ErrorKind, FinishReason, FunctionCall,
    JsonMap, PromptTokensDetails, ResponseMessage, Role, ToolCall, Usage,
};
use serde_json::{Value, json};

use super::request::RESPONSE_FORMAT_TOOL_NAME;
use super::types::{AnthropicContentBlock, AnthropicResponse};
use crate::ParseContext;
use crate::python_json;

/// Parses a Messages API answer.
pub(super) fn parse_chat_response(
    body: &[u8],
    ctx: &ParseContext<'_>,
) -> Result<ChatResponse, Error> {
    let value: Value = serde_json::from_slice(body).map_err(unreadable)?;
    if value.get("type").and_then(Value::as_str) == Some("error") || value.get("error").is_some() {
        let message = value
            .pointer("/error/message")
            .and_then(Value::as_str)
            .map_or_else(|| value.to_string(), str::to_owned);
        return Err(
            Error::new(ErrorKind::Api, format!("AnthropicException - {message}"))
                .with_provider("anthropic"),
        );
    }
    let resp: AnthropicResponse = serde_json::from_value(value).map_err(unreadable)?;
    Ok(translate(resp, ctx))
}

fn unreadable(e: serde_json::Error) -> Error {
    Error::new(
        ErrorKind::Api,
        format!("anthropic returned an answer llmux cannot read: {e}"),
    )
    .with_provider("anthropic")
}

/// LiteLLM's `map_finish_reason` for Anthropic's stop reasons.
pub(super) fn finish_reason(stop_reason: Option<&str>) -> FinishReason {
    match stop_reason.unwrap_or("stop") {
        "max_tokens" | "compaction" | "length" => FinishReason::Length,
        "tool_use" | "tool_calls" => FinishReason::ToolCalls,
        "refusal" | "content_filtered" | "content_filter" => FinishReason::ContentFilter,
        _ => FinishReason::Stop,
    }
}

/// `provider_specific_fields` LiteLLM adds for refusals.
pub(super) fn refusal_fields(stop_reason: Option<&str>, stop_details: Option<&Value>) -> JsonMap {
    let mut out = JsonMap::new();
    if let Some(details) = stop_details.filter(|d| !d.is_null()) {
        out.insert("stop_reason".into(), json!(stop_reason));
        out.insert("stop_details".into(), details.clone());
    } else if stop_reason == Some("refusal") {
        out.insert("stop_reason".into(), json!("refusal"));
    }
    out
}

fn translate(resp: AnthropicResponse, ctx: &ParseContext<'_>) -> ChatResponse {
    let mut text = String::new();
    let mut tool_calls: Vec<ToolCall> = Vec::new();
    let mut thinking_blocks: Option<Vec<Value>> = None;
    let mut citations: Option<Vec<Value>> = None;
    let mut web_search_results: Option<Vec<Value>> = None;
    let mut tool_results: Option<Vec<Value>> = None;
    let mut tool_search_calls = 0u64;
    for (idx, block) in resp.content.iter().enumerate() {
        match block {
            AnthropicContentBlock::Text(b) => {
                text.push_str(&b.text);
                if let Some(Value::Array(cites)) = &b.citations {
                    let with_text = cites
                        .iter()
                        .map(|c| {
                            let mut c = c.clone();
                            if let Value::Object(m) = &mut c {
                                m.insert("supported_text".into(), Value::from(b.text.clone()));
                            }
                            c
                        })
                        .collect();
                    citations
                        .get_or_insert_with(Vec::new)
                        .push(Value::Array(with_text));
                }
            }
            AnthropicContentBlock::ToolUse(b) => {
                tool_calls.push(tool_call(
                    &b.id,
                    &b.name,
                    &b.input,
                    idx,
                    b.extra.get("caller"),
                ));
            }
            AnthropicContentBlock::Thinking(_) | AnthropicContentBlock::RedactedThinking(_) => {
                if let Ok(v) = serde_json::to_value(block) {
                    thinking_blocks.get_or_insert_with(Vec::new).push(v);
                }
            }
            AnthropicContentBlock::Other(v) => {
                let kind = v.get("type").and_then(Value::as_str).unwrap_or_default();
                if kind == "server_tool_use" {
                    let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default();
                    if field("name").contains("tool_search") {
                        tool_search_calls += 1;
                    }
                    let input = v.get("input").cloned().unwrap_or_else(|| json!({}));
                    tool_calls.push(tool_call(
                        field("id"),
                        field("name"),
                        &input,
                        idx,
                        v.get("caller"),
                    ));
                } else if kind == "web_search_tool_result" || kind == "web_fetch_tool_result" {
                    web_search_results
                        .get_or_insert_with(Vec::new)
                        .push(v.clone());
                } else if kind.ends_with("_tool_result") {
                    tool_results.get_or_insert_with(Vec::new).push(v.clone());
                }
            }
            AnthropicContentBlock::Image(_)
            | AnthropicContentBlock::Document(_)
            | AnthropicContentBlock::ToolResult(_) => {}
        }
    }
    let reasoning_content = thinking_blocks.as_ref().map(|blocks| {
        blocks
            .iter()
            .filter_map(|b| b.get("thinking").and_then(Value::as_str))
            .collect::<String>()
    });

    let stop_details = resp.extra.get("stop_details");
    let mut provider_fields = JsonMap::new();
    provider_fields.insert("citations".into(), json!(citations));
    provider_fields.insert("thinking_blocks".into(), json!(thinking_blocks));
    for key in ["context_management", "container"] {
        if let Some(v) = resp.extra.get(key).filter(|v| !v.is_null()) {
            provider_fields.insert(key.into(), v.clone());
        }
    }
    if let Some(results) = &web_search_results {
        provider_fields.insert("web_search_results".into(), json!(results));
    }
    if let Some(results) = &tool_results {
        provider_fields.insert("tool_results".into(), json!(results));
    }
    let refusal = refusal_fields(resp.stop_reason.as_deref(), stop_details);
    provider_fields.extend(refusal.clone());

    let mut finish = finish_reason(resp.stop_reason.as_deref());
    let (json_calls, other_calls): (Vec<ToolCall>, Vec<ToolCall>) = tool_calls
        .into_iter()
        .partition(|c| c.function.name == RESPONSE_FORMAT_TOOL_NAME);
    let message = if !json_calls.is_empty() && other_calls.is_empty() {
        // JSON mode: the forced tool's input is the answer (LiteLLM's
        // `_convert_tool_response_to_message`), and the call "stopped".
        finish = FinishReason::Stop;
        let mut extra = JsonMap::new();
        if !refusal.is_empty() {
            extra.insert("provider_specific_fields".into(), Value::Object(refusal));
        }
        let has_thinking = thinking_blocks.as_ref().is_some_and(|b| !b.is_empty());
        ResponseMessage {
            role: Role::Assistant,
            content: Some(json_answer(&json_calls[0].function.arguments)),
            tool_calls: None,
            reasoning_content: if has_thinking {
                reasoning_content.clone()
            } else {
                None
            },
            thinking_blocks: if has_thinking {
                thinking_blocks.clone()
            } else {
                None
            },
            extra,
        }
    } else {
        // A JSON answer next to real tool calls is appended to the text.
        for call in &json_calls {
            text.push_str(&json_answer(&call.function.arguments));
        }
        let mut extra = JsonMap::new();
        extra.insert(
            "provider_specific_fields".into(),
            Value::Object(provider_fields),
        );
        ResponseMessage {
            role: Role::Assistant,
            content: (!text.is_empty()).then_some(text),
            tool_calls: (!other_calls.is_empty()).then_some(other_calls),
            reasoning_content: reasoning_content.clone(),
            thinking_blocks: thinking_blocks.clone(),
            extra,
        }
    };

    let mut usage = usage(
        &usage_object(&resp),
        reasoning_content.as_deref(),
        thinking_blocks.is_some(),
    );
    if let Some(tier) = &resp.usage.service_tier {
        usage
            .extra
            .insert("service_tier".into(), Value::from(tier.clone()));
    }
    if tool_search_calls > 0 && !usage.extra.contains_key("server_tool_use") {
        usage.extra.insert(
            "server_tool_use".into(),
            json!({"web_search_requests": null, "tool_search_requests": tool_search_calls}),
        );
    }

    ChatResponse {
        id: ctx.response_id.to_owned(),
        object: "chat.completion".into(),
        created: ctx.created,
        model: resp.model,
        choices: vec![Choice {
            index: 0,
            message,
            finish_reason: Some(finish),
            extra: JsonMap::new(),
        }],
        usage: Some(usage),
        system_fingerprint: None,
        service_tier: None,
        extra: JsonMap::new(),
    }
}

/// An Anthropic tool use as an OpenAI tool call: `arguments` as Python's `json.dumps`
/// spells it, and LiteLLM's `index` (the content block's position).
fn tool_call(
    id: &str,
    name: &str,
    input: &Value,
    index: usize,
    caller: Option<&Value>,
) -> ToolCall {
    let mut extra = JsonMap::new();
    extra.insert("index".into(), Value::from(index));
    if let Some(caller) = caller {
        extra.insert("caller".into(), caller.clone());
    }
    ToolCall {
        id: id.to_owned(),
        kind: "function".into(),
        function: FunctionCall {
            name: name.to_owned(),
            arguments: python_json::dumps(input),
        },
        extra,
    }
}

/// The JSON answer of LiteLLM's `json_tool_call`: the input, or its `values` when the
/// model wrapped the answer in one, or the object inside a
/// `{"name": "json_tool_call", "arguments": …}` envelope.
pub(super) fn json_answer(arguments: &str) -> String {
    let Ok(payload) = serde_json::from_str::<Value>(arguments) else {
        return arguments.to_owned();
    };
    let unwrapped = envelope_contents(&payload)
        .or_else(|| payload.get("values").filter(|v| !v.is_null()).cloned());
    python_json::dumps(unwrapped.as_ref().unwrap_or(&payload))
}

fn envelope_contents(payload: &Value) -> Option<Value> {
    let map = payload.as_object()?;
    let names_tool = ["name", "tool_name"]
        .iter()
        .any(|k| map.get(*k).and_then(Value::as_str) == Some(RESPONSE_FORMAT_TOOL_NAME));
    if !names_tool {
        return None;
    }
    let mut rest = map
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "name" | "tool_name"));
    let (_, wrapped) = rest.next()?;
    if rest.next().is_some() {
        return None;
    }
    match wrapped {
        Value::Object(_) => Some(wrapped.clone()),
        Value::String(s) => serde_json::from_str::<Value>(s)
            .ok()
            .filter(Value::is_object),
        _ => None,
    }
}

/// The answer's usage as a JSON object (what `calculate_usage` reads).
fn usage_object(resp: &AnthropicResponse) -> JsonMap {
    match serde_json::to_value(&resp.usage) {
        Ok(Value::Object(map)) => map,
        _ => JsonMap::new(),
    }
}

fn count(map: &JsonMap, key: &str) -> u64 {
    map.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// LiteLLM's `calculate_usage`: cache reads and writes count as prompt tokens, and the
/// prompt and completion breakdowns it reports. `has_thinking` is whether the answer
/// had thinking blocks (their tokens are then unknown when no text came with them).
pub(super) fn usage(u: &JsonMap, reasoning_content: Option<&str>, has_thinking: bool) -> Usage {
    let iterations = u
        .get("iterations")
        .and_then(Value::as_array)
        .filter(|i| !i.is_empty());
    let (mut prompt, completion, cache_creation, cache_read) = match iterations {
        Some(its) => {
            let sum = |k: &str| {
                its.iter()
                    .filter_map(|i| i.get(k).and_then(Value::as_u64))
                    .sum::<u64>()
            };
            (
                sum("input_tokens"),
                sum("output_tokens"),
                sum("cache_creation_input_tokens"),
                sum("cache_read_input_tokens"),
            )
        }
        None => (
            count(u, "input_tokens"),
            count(u, "output_tokens"),
            count(u, "cache_creation_input_tokens"),
            count(u, "cache_read_input_tokens"),
        ),
    };
    prompt = prompt
        .saturating_add(cache_creation)
        .saturating_add(cache_read);

    let mut prompt_extra = JsonMap::new();
    prompt_extra.insert("cache_creation_tokens".into(), Value::from(cache_creation));
    prompt_extra.insert("cache_write_tokens".into(), Value::from(cache_creation));
    prompt_extra.insert(
        "text_tokens".into(),
        Value::from(prompt - cache_creation - cache_read),
    );
    if let Some(Value::Object(cc)) = u.get("cache_creation") {
        prompt_extra.insert(
            "cache_creation_token_details".into(),
            json!({
                "ephemeral_5m_input_tokens": cc.get("ephemeral_5m_input_tokens"),
                "ephemeral_1h_input_tokens": cc.get("ephemeral_1h_input_tokens"),
            }),
        );
    }

    let reported_thinking = u
        .get("output_tokens_details")
        .and_then(|d| d.get("thinking_tokens"))
        .and_then(Value::as_u64);
    let reasoning = match (
        reported_thinking,
        reasoning_content.filter(|r| !r.is_empty()),
    ) {
        (Some(n), _) => Some(n.min(completion)),
        (None, Some(text)) => Some(estimate_tokens(text).min(completion)),
        (None, None) if has_thinking => None,
        (None, None) => Some(0),
    };
    let mut completion_extra = JsonMap::new();
    if let Some(r) = reasoning {
        completion_extra.insert("text_tokens".into(), Value::from(completion - r));
    }

    let mut extra = JsonMap::new();
    extra.insert(
        "cache_creation_input_tokens".into(),
        Value::from(cache_creation),
    );
    extra.insert("cache_read_input_tokens".into(), Value::from(cache_read));
    if let Some(stu) = u.get("server_tool_use").filter(|v| v.is_object()) {
        let web = stu.get("web_search_requests").filter(|v| !v.is_null());
        let search = stu.get("tool_search_requests").filter(|v| !v.is_null());
        if web.is_some() || search.is_some() {
            extra.insert(
                "server_tool_use".into(),
                json!({"web_search_requests": web, "tool_search_requests": search}),
            );
        }
    }
    for key in ["inference_geo", "speed"] {
        if let Some(v) = u.get(key).filter(|v| !v.is_null()) {
            extra.insert(key.into(), v.clone());
        }
    }
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt.saturating_add(completion),
        prompt_tokens_details: Some(PromptTokensDetails {
            cached_tokens: Some(cache_read),
            extra: prompt_extra,
        }),
        completion_tokens_details: Some(CompletionTokensDetails {
            reasoning_tokens: reasoning,
            extra: completion_extra,
        }),
        extra,
    }
}

/// Tokens in `text` when Anthropic does not report them. LiteLLM counts with tiktoken
/// (`cl100k_base`); a sans-IO adapter estimates about four characters per token.
fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: ParseContext<'static> = ParseContext {
        created: 1,
        response_id: "chatcmpl-test",
    };

    #[test]
    fn cache_tokens_count_as_prompt_tokens() {
        let body = br#"{"id":"m","type":"message","role":"assistant","model":"c","content":[{"type":"text","text":"hi"}],"stop_reason":"max_tokens","usage":{"input_tokens":10,"output_tokens":5,"cache_creation_input_tokens":3,"cache_read_input_tokens":7}}"#;
        let r = parse_chat_response(body, &CTX).unwrap();
        let u = serde_json::to_value(r.usage.unwrap()).unwrap();
        assert_eq!(u["prompt_tokens"], 20);
        assert_eq!(u["total_tokens"], 25);
        assert_eq!(
            u["prompt_tokens_details"],
            json!({"cached_tokens": 7, "cache_creation_tokens": 3, "cache_write_tokens": 3, "text_tokens": 10})
        );
        assert_eq!(r.choices[0].finish_reason, Some(FinishReason::Length));
    }

    #[test]
    fn json_tool_answer_becomes_content() {
        assert_eq!(
            json_answer(r#"{"a":1,"b":"é"}"#),
            r#"{"a": 1, "b": "\u00e9"}"#
        );
        assert_eq!(json_answer(r#"{"values":{"a":1}}"#), r#"{"a": 1}"#);
        assert_eq!(
            json_answer(r#"{"name":"json_tool_call","arguments":"{\"a\":1}"}"#),
            r#"{"a": 1}"#
        );
        assert_eq!(json_answer("not json"), "not json");
    }

    #[test]
    fn error_bodies_with_2xx_are_errors() {
        let body =
            br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        let err = parse_chat_response(body, &CTX).unwrap_err();
        assert!(err.message.contains("Overloaded"));
    }
}
