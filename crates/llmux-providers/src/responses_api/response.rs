//! Chat completion → Responses object (LiteLLM's
//! `transform_chat_completion_response_to_responses_api_response`).
//!
//! The object echoes the request's settings (`instructions`, `tools`, `temperature`,
//! `store`, … as sent, `null` when not), its output is a reasoning item (when the model
//! reasoned), a message item (when it wrote text) and one `function_call` item per tool
//! call, and usage maps to `input_tokens` / `output_tokens` with their details.

use llmux_types::{
    ChatResponse, ContentItem, FinishReason, InputTokensDetails, ItemContent, ItemType, JsonMap,
    OutputTokensDetails, PartType, ResponseItem, ResponseObject, ResponseStatus, ResponsesRequest,
    ResponsesUsage, Role, ToolCall, Usage,
};
use serde_json::{Value, json};

/// Ids of one response: `resp_<base>`, and its items' ids built from the same base.
#[derive(Debug, Clone)]
pub struct ResponseIds {
    base: String,
}

impl ResponseIds {
    /// Ids from `base` (random hex from the caller: this crate has no randomness).
    pub fn new(base: impl Into<String>) -> Self {
        Self { base: base.into() }
    }

    pub fn response(&self) -> String {
        format!("resp_{}", self.base)
    }

    pub fn message(&self, n: usize) -> String {
        format!("msg_{}{n:02}", self.base)
    }

    pub fn function_call(&self, n: usize) -> String {
        format!("fc_{}{n:02}", self.base)
    }

    pub fn reasoning(&self, n: usize) -> String {
        format!("rs_{}{n:02}", self.base)
    }

    pub fn custom_tool_call(&self, n: usize) -> String {
        format!("ctc_{}{n:02}", self.base)
    }

    /// A `call_id` for a tool call the upstream gave none.
    pub fn call(&self, n: usize) -> String {
        format!("call_{}{n:02}", self.base)
    }
}

/// The response object for `req` before any output: `in_progress`, the request's
/// settings echoed.
pub fn response_shell(
    req: &ResponsesRequest,
    id: String,
    created_at: u64,
    model: String,
) -> ResponseObject {
    ResponseObject {
        id,
        object: "response".into(),
        created_at,
        status: ResponseStatus::InProgress,
        error: None,
        incomplete_details: None,
        instructions: req.instructions.clone(),
        max_output_tokens: req.max_output_tokens,
        model,
        output: Vec::new(),
        parallel_tool_calls: req.parallel_tool_calls.unwrap_or(false),
        previous_response_id: req.previous_response_id.clone(),
        reasoning: req
            .reasoning
            .as_ref()
            .and_then(|r| serde_json::to_value(r).ok()),
        store: req.store,
        temperature: req.temperature,
        text: req
            .text
            .as_ref()
            .and_then(|t| serde_json::to_value(t).ok())
            .unwrap_or_else(|| json!({})),
        tool_choice: response_tool_choice(req.tool_choice.as_ref()),
        tools: req
            .tools
            .iter()
            .flatten()
            .filter_map(|t| serde_json::to_value(t).ok())
            .collect(),
        top_p: req.top_p,
        truncation: req.truncation.clone(),
        usage: None,
        user: req.user.clone(),
        metadata: req.metadata.clone().unwrap_or_else(|| json!({})),
        extra: JsonMap::new(),
    }
}

/// `tool_choice` as the response reports it: the request's, `"auto"` when unset.
fn response_tool_choice(choice: Option<&Value>) -> Value {
    match choice {
        None | Some(Value::Null) => json!("auto"),
        Some(Value::Object(map)) => match map.get("function").and_then(|f| f.get("name")) {
            // The chat form of a named choice, as a Responses one.
            Some(name) => json!({"type": "function", "name": name}),
            None => Value::Object(map.clone()),
        },
        Some(other) => other.clone(),
    }
}

/// The whole Responses object for a chat answer to `req`.
pub fn from_chat_response(
    chat: &ChatResponse,
    req: &ResponsesRequest,
    ids: &ResponseIds,
    created_at: u64,
    model: String,
) -> ResponseObject {
    let mut response = response_shell(req, ids.response(), created_at, model);
    let choice = chat.choices.first();
    let finish = choice.and_then(|c| c.finish_reason.as_ref());
    let status = status_of(finish);
    let item_status = Some(status.clone());
    if let Some(choice) = choice {
        let message = &choice.message;
        let reasoning = message.reasoning_content.as_deref().unwrap_or_default();
        let blocks = message.thinking_blocks.as_deref().unwrap_or_default();
        if !reasoning.is_empty() || !blocks.is_empty() {
            response
                .output
                .push(reasoning_item(ids.reasoning(0), reasoning, blocks));
        }
        if let Some(text) = &message.content {
            response.output.push(ResponseItem {
                id: Some(ids.message(0)),
                status: item_status.clone(),
                ..ResponseItem::message(
                    Role::Assistant,
                    ItemContent::Parts(vec![ContentItem::output_text(text.clone())]),
                )
            });
        }
        let custom = custom_tool_names(&response.tools);
        for (n, call) in message.tool_calls.iter().flatten().enumerate() {
            let mut item = function_call_item(ids, n, call, ResponseStatus::Completed);
            if custom.contains(&call.function.name.as_str()) {
                as_custom_tool_call(&mut item, ids, n);
            } else {
                split_namespace(&mut item, &response.tools);
            }
            response.output.push(item);
        }
        if let Some(Value::Object(fields)) = message.extra.get("provider_specific_fields")
            && !fields.is_empty()
        {
            response.extra.insert(
                "provider_specific_fields".into(),
                Value::Object(fields.clone()),
            );
        }
    }
    response.incomplete_details = incomplete_details(finish);
    response.status = status;
    response.usage = Some(chat.usage.as_ref().map(usage).unwrap_or_default());
    response
}

/// A finished reasoning item with `text` as its one summary part. The provider's
/// thinking blocks (Anthropic's signed `thinking`, `redacted_thinking`) ride along as
/// `encrypted_content`, opaque to the client, so a later turn can replay them (Claude
/// refuses a tool-use turn whose thinking comes back unsigned).
pub(crate) fn reasoning_item(id: String, text: &str, blocks: &[Value]) -> ResponseItem {
    let mut item = ResponseItem {
        kind: Some(ItemType::Reasoning),
        id: Some(id),
        summary: Some(if text.is_empty() {
            Vec::new()
        } else {
            vec![ContentItem::text(PartType::SummaryText, text)]
        }),
        ..ResponseItem::default()
    };
    if !blocks.is_empty()
        && let Ok(encoded) = serde_json::to_string(blocks)
    {
        item.extra
            .insert("encrypted_content".into(), Value::String(encoded));
    }
    item
}

/// The thinking blocks a reasoning item's `encrypted_content` carries, if it is ours.
pub(crate) fn thinking_blocks_of(item: &ResponseItem) -> Option<Vec<Value>> {
    let encoded = item.extra.get("encrypted_content")?.as_str()?;
    let blocks: Vec<Value> = serde_json::from_str(encoded).ok()?;
    blocks
        .iter()
        .all(|b| {
            matches!(
                b.get("type").and_then(Value::as_str),
                Some("thinking" | "redacted_thinking")
            )
        })
        .then_some(blocks)
}

/// A `function_call` output item for the `n`-th tool call.
fn function_call_item(
    ids: &ResponseIds,
    n: usize,
    call: &ToolCall,
    status: ResponseStatus,
) -> ResponseItem {
    ResponseItem {
        kind: Some(ItemType::FunctionCall),
        id: Some(ids.function_call(n)),
        status: Some(status),
        call_id: Some(if call.id.is_empty() {
            ids.call(n)
        } else {
            call.id.clone()
        }),
        name: Some(call.function.name.clone()),
        arguments: Some(call.function.arguments.clone()),
        ..ResponseItem::default()
    }
}

/// The names of the custom (freeform) tools among a response's echoed `tools`, at the
/// top or in a `namespace`.
pub(crate) fn custom_tool_names(tools: &[Value]) -> Vec<&str> {
    let members = tools
        .iter()
        .filter(|t| t.get("type").and_then(Value::as_str) == Some("namespace"))
        .filter_map(|t| t.get("tools").and_then(Value::as_array))
        .flatten();
    tools
        .iter()
        .chain(members)
        .filter(|t| t.get("type").and_then(Value::as_str) == Some("custom"))
        .filter_map(|t| t.get("name").and_then(Value::as_str))
        .collect()
}

/// A call to a flattened `namespace` member (`{namespace}__{name}`) back as the client
/// declared it: `name` and `namespace`, as LiteLLM answers it.
pub(crate) fn split_namespace(item: &mut ResponseItem, tools: &[Value]) {
    let Some(name) = item.name.as_deref() else {
        return;
    };
    let found = tools
        .iter()
        .filter(|t| t.get("type").and_then(Value::as_str) == Some("namespace"))
        .find_map(|t| {
            let ns = t.get("name").and_then(Value::as_str)?;
            let member = name
                .strip_prefix(ns)?
                .strip_prefix(super::request::NAMESPACE_SEPARATOR)?;
            t.get("tools")?
                .as_array()?
                .iter()
                .any(|m| m.get("name").and_then(Value::as_str) == Some(member))
                .then(|| (ns.to_owned(), member.to_owned()))
        });
    if let Some((ns, member)) = found {
        item.name = Some(member);
        item.extra.insert("namespace".into(), Value::String(ns));
    }
}

/// Turns a bridged `function_call` item for a custom tool back into the
/// `custom_tool_call` the client declared: the arguments' `input` string as `input`.
pub(crate) fn as_custom_tool_call(item: &mut ResponseItem, ids: &ResponseIds, n: usize) {
    let arguments = item.arguments.take().unwrap_or_default();
    let input = serde_json::from_str::<Value>(&arguments)
        .ok()
        .and_then(|v| v.get("input").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or(arguments);
    item.kind = Some(ItemType::CustomToolCall);
    item.id = Some(ids.custom_tool_call(n));
    item.input = Some(input);
}

/// The response status a chat finish reason gives (LiteLLM's mapping).
pub fn status_of(finish: Option<&FinishReason>) -> ResponseStatus {
    match finish {
        Some(FinishReason::Length | FinishReason::ContentFilter) => ResponseStatus::Incomplete,
        Some(FinishReason::Other(other)) if other == "refusal" => ResponseStatus::Incomplete,
        None => ResponseStatus::Incomplete,
        Some(_) => ResponseStatus::Completed,
    }
}

/// `incomplete_details` for an answer cut short.
pub fn incomplete_details(finish: Option<&FinishReason>) -> Option<Value> {
    match finish {
        Some(FinishReason::Length) => Some(json!({"reason": "max_output_tokens"})),
        Some(FinishReason::ContentFilter) => Some(json!({"reason": "content_filter"})),
        _ => None,
    }
}

/// Chat usage as Responses usage (LiteLLM's `transform_chat_completion_usage_to_responses_usage`):
/// the prompt details become `input_tokens_details` (`cached_tokens` 0 when unknown,
/// `cache_write_tokens` from `cache_creation_tokens`), the completion details
/// `output_tokens_details`; `cost` is kept.
pub fn usage(u: &Usage) -> ResponsesUsage {
    let mut out = ResponsesUsage {
        input_tokens: u.prompt_tokens,
        input_tokens_details: None,
        output_tokens: u.completion_tokens,
        output_tokens_details: None,
        total_tokens: u.total_tokens,
        extra: JsonMap::new(),
    };
    if let Some(cost) = u.extra.get("cost").filter(|c| !c.is_null()) {
        out.extra.insert("cost".into(), cost.clone());
    }
    if let Some(details) = &u.prompt_tokens_details {
        let mut extra = JsonMap::new();
        for key in [
            "text_tokens",
            "audio_tokens",
            "image_tokens",
            "video_tokens",
        ] {
            if let Some(v) = details.extra.get(key).filter(|v| !v.is_null()) {
                extra.insert(key.into(), v.clone());
            }
        }
        if let Some(v) = ["cache_write_tokens", "cache_creation_tokens"]
            .iter()
            .find_map(|k| details.extra.get(*k).filter(|v| !v.is_null()))
        {
            extra.insert("cache_write_tokens".into(), v.clone());
        }
        out.input_tokens_details = Some(InputTokensDetails {
            cached_tokens: details.cached_tokens.unwrap_or(0),
            extra,
        });
    }
    if let Some(details) = &u.completion_tokens_details {
        let mut extra = JsonMap::new();
        for key in ["audio_tokens", "text_tokens", "image_tokens"] {
            if let Some(v) = details.extra.get(key).filter(|v| !v.is_null()) {
                extra.insert(key.into(), v.clone());
            }
        }
        out.output_tokens_details = Some(OutputTokensDetails {
            reasoning_tokens: details.reasoning_tokens.unwrap_or(0),
            extra,
        });
    }
    out
}

/// Responses usage back as chat usage (for pricing and the router's token counts).
pub fn chat_usage(u: &ResponsesUsage) -> Usage {
    Usage {
        prompt_tokens: u.input_tokens,
        completion_tokens: u.output_tokens,
        total_tokens: u.total_tokens,
        prompt_tokens_details: u.input_tokens_details.as_ref().map(|d| {
            llmux_types::PromptTokensDetails {
                cached_tokens: Some(d.cached_tokens),
                extra: JsonMap::new(),
            }
        }),
        completion_tokens_details: u.output_tokens_details.as_ref().map(|d| {
            llmux_types::CompletionTokensDetails {
                reasoning_tokens: Some(d.reasoning_tokens),
                extra: JsonMap::new(),
            }
        }),
        extra: JsonMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(v: Value) -> ChatResponse {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn text_answer_with_anthropic_usage() {
        let c = chat(json!({
            "id": "chatcmpl-1", "created": 1, "model": "claude", "object": "chat.completion",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant",
                "content": "Hello!", "provider_specific_fields": {"citations": null}}}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21,
                "prompt_tokens_details": {"cached_tokens": 0, "text_tokens": 12, "cache_creation_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0, "text_tokens": 9}}
        }));
        let req: ResponsesRequest =
            serde_json::from_value(json!({"model": "g", "input": "hi", "instructions": "x"}))
                .unwrap();
        let r = from_chat_response(&c, &req, &ResponseIds::new("ab"), 7, "g".into());
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["id"], "resp_ab");
        assert_eq!(v["status"], "completed");
        assert_eq!(v["instructions"], "x");
        assert_eq!(v["tool_choice"], "auto");
        assert_eq!(v["store"], Value::Null);
        assert_eq!(
            v["output"],
            json!([{"type": "message", "id": "msg_ab00", "status": "completed", "role": "assistant",
                    "content": [{"type": "output_text", "text": "Hello!", "annotations": []}]}])
        );
        assert_eq!(
            v["usage"],
            json!({"input_tokens": 12, "output_tokens": 9, "total_tokens": 21,
                "input_tokens_details": {"cached_tokens": 0, "text_tokens": 12, "cache_write_tokens": 0},
                "output_tokens_details": {"reasoning_tokens": 0, "text_tokens": 9}})
        );
        assert_eq!(v["provider_specific_fields"], json!({"citations": null}));
    }

    #[test]
    fn a_call_to_a_custom_tool_comes_back_as_a_custom_tool_call() {
        let c = chat(json!({
            "id": "x", "model": "m", "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": null,
                "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "apply_patch",
                    "arguments": "{\"input\": \"*** Begin Patch\"}"}}]}}]
        }));
        let req: ResponsesRequest = serde_json::from_value(json!({"model": "g", "input": "hi",
            "tools": [{"type": "custom", "name": "apply_patch"}]}))
        .unwrap();
        let r = from_chat_response(&c, &req, &ResponseIds::new("ef"), 7, "g".into());
        assert_eq!(
            serde_json::to_value(&r.output).unwrap(),
            json!([{"type": "custom_tool_call", "id": "ctc_ef00", "status": "completed",
                    "call_id": "call_1", "name": "apply_patch", "input": "*** Begin Patch"}])
        );
    }

    #[test]
    fn tool_calls_and_reasoning_become_items_and_length_is_incomplete() {
        let c = chat(json!({
            "id": "x", "model": "m", "choices": [{"index": 0, "finish_reason": "length", "message": {
                "role": "assistant", "content": null, "reasoning_content": "hmm",
                "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"a\": 1}"}}]}}]
        }));
        let req: ResponsesRequest = serde_json::from_value(json!({"model": "g", "input": "hi",
            "tool_choice": {"type": "function", "function": {"name": "f"}}}))
        .unwrap();
        let r = from_chat_response(&c, &req, &ResponseIds::new("cd"), 7, "g".into());
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["status"], "incomplete");
        assert_eq!(
            v["incomplete_details"],
            json!({"reason": "max_output_tokens"})
        );
        assert_eq!(v["tool_choice"], json!({"type": "function", "name": "f"}));
        assert_eq!(
            v["output"],
            json!([
                {"type": "reasoning", "id": "rs_cd00", "summary": [{"type": "summary_text", "text": "hmm"}]},
                {"type": "function_call", "id": "fc_cd00", "status": "completed", "call_id": "call_1",
                 "name": "f", "arguments": "{\"a\": 1}"}
            ])
        );
        assert_eq!(
            v["usage"],
            json!({"input_tokens": 0, "output_tokens": 0, "total_tokens": 0})
        );
    }

    #[test]
    fn a_call_to_a_namespace_member_names_its_namespace() {
        let tools = vec![
            json!({"type": "namespace", "name": "agents", "tools": [{"type": "function", "name": "spawn"}]}),
        ];
        let mut item = ResponseItem {
            name: Some("agents__spawn".into()),
            ..ResponseItem::default()
        };
        split_namespace(&mut item, &tools);
        assert_eq!(item.name.as_deref(), Some("spawn"));
        assert_eq!(item.extra["namespace"], "agents");
        let mut other = ResponseItem {
            name: Some("agents__other".into()),
            ..ResponseItem::default()
        };
        split_namespace(&mut other, &tools);
        assert_eq!(other.name.as_deref(), Some("agents__other"));
    }
}
