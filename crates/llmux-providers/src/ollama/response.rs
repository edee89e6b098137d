//! Ollama answers → canonical responses, as LiteLLM's `OllamaChatConfig.transform_response`
//! and `OllamaConfig.transform_response`:
//!
//! - `message.content` (chat) or `response` (generate) is the text; a leading
//!   `<think>…</think>` is `reasoning_content`, as is `message.thinking`;
//! - tool calls (arguments as Python's `json.dumps` writes them) make the finish reason
//!   `tool_calls`; their ids come from [`tool_call_id`];
//! - usage is `prompt_eval_count` and `eval_count`.

use llmux_types::{
    ChatResponse, Choice, EmbeddingResponse, Error, ErrorKind, FinishReason, FunctionCall, JsonMap,
    ResponseMessage, Role, ToolCall, Usage,
};
use serde_json::Value;

use super::Flavor;
use crate::ParseContext;
use crate::embedding_vectors::{embeddings_from_lists, prompt_usage};
use crate::python_json;

pub(super) fn parse_chat_response(
    body: &[u8],
    ctx: &ParseContext<'_>,
    flavor: Flavor,
) -> Result<ChatResponse, Error> {
    let v: Value = serde_json::from_slice(body).map_err(|e| unreadable(&e.to_string()))?;
    if let Some(e) = v.get("error") {
        return Err(Error::new(ErrorKind::Api, format!("OllamaException - {e}"))
            .with_status(http::StatusCode::INTERNAL_SERVER_ERROR)
            .with_provider("ollama"));
    }
    let (raw_text, thinking, calls) = match flavor {
        Flavor::Chat => {
            let m = v.get("message").unwrap_or(&Value::Null);
            (
                m.get("content").and_then(Value::as_str).unwrap_or_default(),
                m.get("thinking").and_then(Value::as_str).map(str::to_owned),
                m.get("tool_calls").and_then(Value::as_array),
            )
        }
        Flavor::Generate => (
            v.get("response")
                .and_then(Value::as_str)
                .unwrap_or_default(),
            v.get("thinking").and_then(Value::as_str).map(str::to_owned),
            None,
        ),
    };
    let (reasoning, text) = match thinking {
        Some(t) => (Some(t), raw_text.to_owned()),
        None => split_think(raw_text),
    };
    let tool_calls: Vec<ToolCall> = calls
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| ToolCall {
            id: tool_call_id(ctx.response_id, i),
            kind: "function".into(),
            function: FunctionCall {
                name: c
                    .pointer("/function/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                arguments: arguments_text(c.pointer("/function/arguments")),
            },
            extra: JsonMap::new(),
        })
        .collect();
    let mut finish = finish_reason(v.get("done_reason").and_then(Value::as_str));
    if !tool_calls.is_empty() {
        finish = FinishReason::ToolCalls;
    }
    let prompt = v
        .get("prompt_eval_count")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let completion = v.get("eval_count").and_then(Value::as_u64).unwrap_or(0);
    Ok(ChatResponse {
        id: ctx.response_id.to_owned(),
        object: "chat.completion".into(),
        created: ctx.created,
        model: String::new(),
        choices: vec![Choice {
            index: 0,
            message: ResponseMessage {
                role: Role::Assistant,
                content: Some(text),
                tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
                reasoning_content: reasoning,
                thinking_blocks: None,
                extra: JsonMap::new(),
            },
            finish_reason: Some(finish),
            extra: JsonMap::new(),
        }],
        usage: Some(Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: prompt.saturating_add(completion),
            ..Usage::default()
        }),
        system_fingerprint: None,
        service_tier: None,
        extra: JsonMap::new(),
    })
}

/// Arguments as a string: an object is written as Python's `json.dumps` would.
pub(super) fn arguments_text(args: Option<&Value>) -> String {
    match args {
        Some(Value::String(s)) => s.clone(),
        Some(v) => python_json::dumps(v),
        None => "{}".to_owned(),
    }
}

/// A tool call id Ollama does not send: a UUID derived from the response id and the
/// call's position, so it is stable for one answer and unique across answers.
pub(super) fn tool_call_id(response_id: &str, index: usize) -> String {
    let fnv = |seed: u64| {
        let mut h = seed;
        for b in response_id.bytes().chain(index.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    };
    let hi = fnv(0xcbf2_9ce4_8422_2325);
    let lo = fnv(0x8422_2325_cbf2_9ce4);
    // Version 8 (custom) and the RFC 4122 variant, so it reads as any other UUID.
    let hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_8000;
    let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

/// LiteLLM's `parse_content_for_reasoning`: `<think>…</think>` at the start.
fn split_think(text: &str) -> (Option<String>, String) {
    if let Some(rest) = text.trim_start().strip_prefix("<think>")
        && let Some((thought, answer)) = rest.split_once("</think>")
    {
        return (Some(thought.to_owned()), answer.trim_start().to_owned());
    }
    (None, text.to_owned())
}

pub(super) fn finish_reason(done_reason: Option<&str>) -> FinishReason {
    match done_reason.unwrap_or("stop") {
        "length" | "max_tokens" => FinishReason::Length,
        _ => FinishReason::Stop,
    }
}

pub(super) fn parse_embedding_response(
    body: &[u8],
    want_base64: bool,
) -> Result<EmbeddingResponse, Error> {
    let v: Value = serde_json::from_slice(body).map_err(|e| unreadable(&e.to_string()))?;
    let list = v
        .get("embeddings")
        .and_then(Value::as_array)
        .ok_or_else(|| unreadable("no embeddings in the answer"))?;
    let data = embeddings_from_lists(list, want_base64, unreadable)?;
    let tokens = v
        .get("prompt_eval_count")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    Ok(EmbeddingResponse {
        object: "list".into(),
        data,
        model: String::new(),
        usage: prompt_usage(tokens),
        extra: JsonMap::new(),
    })
}

fn unreadable(detail: &str) -> Error {
    Error::new(
        ErrorKind::Api,
        format!("OllamaException - Got unexpected response from Ollama: {detail}"),
    )
    .with_status(http::StatusCode::UNPROCESSABLE_ENTITY)
    .with_provider("ollama")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CTX: ParseContext<'static> = ParseContext {
        created: 1,
        response_id: "chatcmpl-5b1e0f7e-0000-4000-8000-000000000001",
    };

    #[test]
    fn tool_calls_get_stable_uuid_ids() {
        let body = json!({"message": {"role": "assistant", "content": "", "tool_calls": [
            {"function": {"name": "get_weather", "arguments": {"location": "Paris"}}},
            {"function": {"name": "get_time", "arguments": {}}}]},
            "done": true, "done_reason": "stop", "prompt_eval_count": 12, "eval_count": 9});
        let parse =
            || parse_chat_response(body.to_string().as_bytes(), &CTX, Flavor::Chat).unwrap();
        let (a, b) = (parse(), parse());
        let calls = a.choices[0].message.tool_calls.as_ref().unwrap();
        assert_eq!(calls[0].function.arguments, "{\"location\": \"Paris\"}");
        assert_eq!(a.choices[0].finish_reason, Some(FinishReason::ToolCalls));
        let ids: Vec<_> = calls.iter().map(|c| c.id.clone()).collect();
        assert_ne!(ids[0], ids[1]);
        assert_eq!(
            ids,
            b.choices[0]
                .message
                .tool_calls
                .as_ref()
                .unwrap()
                .iter()
                .map(|c| c.id.clone())
                .collect::<Vec<_>>()
        );
        assert!(uuid_like(&ids[0]), "{}", ids[0]);
        assert_ne!(tool_call_id("chatcmpl-other", 0), ids[0]);
    }

    fn uuid_like(s: &str) -> bool {
        let parts: Vec<_> = s.split('-').map(str::len).collect();
        parts == [8, 4, 4, 4, 12] && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
    }

    #[test]
    fn think_tags_are_reasoning() {
        let body = json!({"response": "<think>hmm</think> 42", "done": true, "prompt_eval_count": 1, "eval_count": 2});
        let r = parse_chat_response(body.to_string().as_bytes(), &CTX, Flavor::Generate).unwrap();
        let m = &r.choices[0].message;
        assert_eq!(
            (m.reasoning_content.as_deref(), m.content.as_deref()),
            (Some("hmm"), Some("42"))
        );
        assert_eq!(r.usage.unwrap().total_tokens, 3);
    }
}
