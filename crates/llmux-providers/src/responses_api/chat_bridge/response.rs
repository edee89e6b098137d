//! A Responses object → the chat completion, as LiteLLM's `transform_response`: every
//! message item's text and every tool call folded into one choice, reasoning summaries
//! as `reasoning_content`.

use llmux_types::{
    ChatResponse, Choice, ContentItem, Error, ErrorKind, FinishReason, FunctionCall, ItemContent,
    ItemType, JsonMap, ResponseItem, ResponseMessage, ResponseStatus, ResponsesUsage, Role,
    ToolCall,
};
use serde::Deserialize;
use serde_json::Value;

use super::super::chat_usage;
use crate::ParseContext;

/// The fields of a response object the chat answer is made from.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Object {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub created_at: Option<u64>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub status: Option<ResponseStatus>,
    #[serde(default)]
    pub output: Vec<ResponseItem>,
    #[serde(default)]
    pub usage: Option<ResponsesUsage>,
    #[serde(default)]
    pub incomplete_details: Option<Value>,
    #[serde(default)]
    pub error: Option<Value>,
    #[serde(default)]
    pub service_tier: Option<String>,
}

/// Parses a `/v1/responses` answer into a chat completion.
pub fn parse_chat_response(body: &[u8], ctx: &ParseContext<'_>) -> Result<ChatResponse, Error> {
    let object: Object = serde_json::from_slice(body).map_err(|e| {
        Error::new(
            ErrorKind::Api,
            format!("upstream sent a Responses answer llmux cannot read: {e}"),
        )
        .with_provider("openai")
    })?;
    to_chat_response(object, ctx)
}

pub(super) fn to_chat_response(
    object: Object,
    ctx: &ParseContext<'_>,
) -> Result<ChatResponse, Error> {
    if let Some(error) = object.error.as_ref().filter(|e| !e.is_null()) {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| error.to_string(), str::to_owned);
        return Err(
            Error::new(ErrorKind::Api, format!("Error in response: {message}"))
                .with_provider("openai"),
        );
    }
    let finish_reason = finish_reason(&object);
    let message = fold(&object.output);
    let finish_reason = if message.tool_calls.is_some() && finish_reason == FinishReason::Stop {
        FinishReason::ToolCalls
    } else {
        finish_reason
    };
    Ok(ChatResponse {
        id: object.id.unwrap_or_else(|| ctx.response_id.to_owned()),
        object: "chat.completion".into(),
        created: object.created_at.unwrap_or(ctx.created),
        model: object.model.unwrap_or_default(),
        choices: vec![Choice {
            index: 0,
            message,
            finish_reason: Some(finish_reason),
            extra: JsonMap::new(),
        }],
        usage: Some(object.usage.as_ref().map(chat_usage).unwrap_or_default()),
        system_fingerprint: None,
        service_tier: object.service_tier,
        extra: JsonMap::new(),
    })
}

/// `length`, or `content_filter`, for an incomplete response; `stop` otherwise.
pub(super) fn finish_reason(object: &Object) -> FinishReason {
    let reason = object
        .incomplete_details
        .as_ref()
        .and_then(|d| d.get("reason"))
        .and_then(Value::as_str);
    if object.status == Some(ResponseStatus::Incomplete) || reason.is_some() {
        incomplete_reason(reason)
    } else {
        FinishReason::Stop
    }
}

pub(super) fn incomplete_reason(reason: Option<&str>) -> FinishReason {
    if reason == Some("content_filter") {
        FinishReason::ContentFilter
    } else {
        FinishReason::Length
    }
}

fn fold(output: &[ResponseItem]) -> ResponseMessage {
    let mut text: Option<String> = None;
    let mut reasoning: Vec<String> = Vec::new();
    let mut calls: Vec<ToolCall> = Vec::new();
    for item in output {
        match item.item_type() {
            ItemType::Message => {
                let t = text.get_or_insert_with(String::new);
                match &item.content {
                    Some(ItemContent::Text(s)) => t.push_str(s),
                    Some(ItemContent::Parts(parts)) => {
                        for p in parts {
                            t.push_str(part_text(p));
                        }
                    }
                    None => {}
                }
            }
            ItemType::Reasoning => reasoning.extend(
                item.summary
                    .iter()
                    .flatten()
                    .filter_map(|s| s.text.clone())
                    .filter(|s| !s.is_empty()),
            ),
            ItemType::FunctionCall | ItemType::CustomToolCall => calls.push(tool_call(item)),
            _ => {}
        }
    }
    ResponseMessage {
        role: Role::Assistant,
        content: text,
        tool_calls: (!calls.is_empty()).then_some(calls),
        reasoning_content: (!reasoning.is_empty()).then(|| reasoning.join(" ")),
        thinking_blocks: None,
        extra: JsonMap::new(),
    }
}

fn part_text(p: &ContentItem) -> &str {
    p.text.as_deref().unwrap_or_default()
}

/// A `function_call` (or custom tool call: its `input` as the arguments) as a chat tool
/// call, under its `call_id`.
pub(super) fn tool_call(item: &ResponseItem) -> ToolCall {
    let custom = item.item_type() == ItemType::CustomToolCall;
    let arguments = if custom { &item.input } else { &item.arguments };
    ToolCall {
        id: item
            .call_id
            .clone()
            .or_else(|| item.id.clone())
            .unwrap_or_default(),
        kind: "function".into(),
        function: FunctionCall {
            name: item.name.clone().unwrap_or_else(|| {
                if custom {
                    "custom_tool".into()
                } else {
                    String::new()
                }
            }),
            arguments: arguments.clone().unwrap_or_default(),
        },
        extra: JsonMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CTX: ParseContext<'static> = ParseContext {
        created: 1,
        response_id: "chatcmpl-x",
    };

    fn parse(v: Value) -> Result<ChatResponse, Error> {
        parse_chat_response(&serde_json::to_vec(&v).unwrap(), &CTX)
    }

    #[test]
    fn text_reasoning_and_tool_calls_fold_into_one_choice() {
        let r = parse(json!({"id": "resp_1", "created_at": 5, "model": "o1-pro", "status": "completed",
            "output": [
                {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "think"}]},
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hi", "annotations": []}]},
                {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": "{}"}
            ],
            "usage": {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7,
                      "output_tokens_details": {"reasoning_tokens": 2}}}))
        .unwrap();
        let c = &r.choices[0];
        assert_eq!((r.id.as_str(), r.created), ("resp_1", 5));
        assert_eq!(c.message.content.as_deref(), Some("Hi"));
        assert_eq!(c.message.reasoning_content.as_deref(), Some("think"));
        let calls = c.message.tool_calls.as_ref().unwrap();
        assert_eq!(
            (calls[0].id.as_str(), calls[0].function.name.as_str()),
            ("call_1", "f")
        );
        assert_eq!(c.finish_reason, Some(FinishReason::ToolCalls));
        let u = r.usage.unwrap();
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.reasoning_tokens()),
            (3, 4, 2)
        );
    }

    #[test]
    fn incomplete_is_length_or_content_filter() {
        let r = parse(json!({"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"},
            "output": [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hi"}]}]}))
        .unwrap();
        assert_eq!(r.choices[0].finish_reason, Some(FinishReason::Length));
        assert_eq!(r.id, "chatcmpl-x");
        let r = parse(json!({"status": "incomplete", "incomplete_details": {"reason": "content_filter"}, "output": []})).unwrap();
        assert_eq!(
            r.choices[0].finish_reason,
            Some(FinishReason::ContentFilter)
        );
    }

    #[test]
    fn an_error_object_or_bad_json_is_an_error() {
        assert!(parse(json!({"error": {"message": "boom"}, "output": []})).is_err());
        assert!(parse_chat_response(b"not json", &CTX).is_err());
    }
}
