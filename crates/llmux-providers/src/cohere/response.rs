//! Cohere v2 answers → canonical responses, as LiteLLM's `CohereV2ChatConfig.transform_response`:
//! text parts joined into `content`; tool calls as given (with their `index`), and then
//! `content: null`; usage from `usage.tokens`; citations as `annotations`. The finish
//! reason is `stop`, as LiteLLM answers (only `MAX_TOKENS` is told apart, as `length`).

use llmux_types::{
    ChatResponse, Choice, EmbeddingResponse, EmbeddingUsage, Error, ErrorKind, FinishReason,
    FunctionCall, JsonMap, ResponseMessage, Role, ToolCall, Usage,
};
use serde_json::{Value, json};

use crate::ParseContext;
use crate::embedding_vectors::embeddings_from_lists;

pub(super) fn parse_chat_response(
    body: &[u8],
    ctx: &ParseContext<'_>,
) -> Result<ChatResponse, Error> {
    let v: Value = serde_json::from_slice(body).map_err(|e| unreadable(&e.to_string()))?;
    let message = v
        .get("message")
        .ok_or_else(|| unreadable("the answer has no message"))?;
    let text: Option<String> = message
        .get("content")
        .and_then(Value::as_array)
        .map(|parts| {
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect()
        });
    let calls = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty());
    let mut out = ResponseMessage {
        role: Role::Assistant,
        content: text,
        tool_calls: None,
        reasoning_content: None,
        thinking_blocks: None,
        extra: JsonMap::new(),
    };
    if let Some(calls) = calls {
        out.content = None;
        out.tool_calls = Some(
            calls
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let s = |p: &str| c.pointer(p).and_then(Value::as_str).unwrap_or_default();
                    let mut extra = JsonMap::new();
                    extra.insert("index".into(), json!(i));
                    ToolCall {
                        id: s("/id").to_owned(),
                        kind: "function".into(),
                        function: FunctionCall {
                            name: s("/function/name").to_owned(),
                            arguments: s("/function/arguments").to_owned(),
                        },
                        extra,
                    }
                })
                .collect(),
        );
    }
    if let Some(citations) = message
        .get("citations")
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
    {
        out.extra
            .insert("annotations".into(), Value::Array(annotations(citations)));
    }
    let finish = match v.get("finish_reason").and_then(Value::as_str) {
        Some("MAX_TOKENS") => FinishReason::Length,
        _ => FinishReason::Stop,
    };
    Ok(ChatResponse {
        id: ctx.response_id.to_owned(),
        object: "chat.completion".into(),
        created: ctx.created,
        model: String::new(),
        choices: vec![Choice {
            index: 0,
            message: out,
            finish_reason: Some(finish),
            extra: JsonMap::new(),
        }],
        usage: Some(usage(v.pointer("/usage/tokens"))),
        system_fingerprint: None,
        service_tier: None,
        extra: JsonMap::new(),
    })
}

pub(super) fn usage(tokens: Option<&Value>) -> Usage {
    let n = |k: &str| {
        tokens
            .and_then(|t| t.get(k))
            .and_then(Value::as_f64)
            .map_or(0, |f| f.max(0.0) as u64)
    };
    let (prompt, completion) = (n("input_tokens"), n("output_tokens"));
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt.saturating_add(completion),
        ..Usage::default()
    }
}

/// One `url_citation`-style annotation per cited source (LiteLLM's translation).
fn annotations(citations: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for c in citations {
        for source in c
            .get("sources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let doc = source.get("document").unwrap_or(&Value::Null);
            out.push(json!({
                "type": "url_citation",
                "url_citation": {
                    "start_index": c.get("start").cloned().unwrap_or(json!(0)),
                    "end_index": c.get("end").cloned().unwrap_or(json!(0)),
                    "title": doc.get("title").cloned().unwrap_or_else(|| source.get("id").cloned().unwrap_or(json!(""))),
                    "url": doc.get("url").cloned().unwrap_or(json!("")),
                }
            }));
        }
    }
    out
}

pub(super) fn parse_embedding_response(
    body: &[u8],
    want_base64: bool,
) -> Result<EmbeddingResponse, Error> {
    let v: Value = serde_json::from_slice(body).map_err(|e| unreadable(&e.to_string()))?;
    let embeddings = v.get("embeddings").unwrap_or(&Value::Null);
    let list = match embeddings {
        Value::Array(list) => list,
        Value::Object(by_type) => ["float", "int8", "uint8", "binary", "ubinary"]
            .iter()
            .find_map(|k| by_type.get(*k).and_then(Value::as_array))
            .ok_or_else(|| unreadable("no embeddings in the answer"))?,
        _ => return Err(unreadable("no embeddings in the answer")),
    };
    let data = embeddings_from_lists(list, want_base64, unreadable)?;
    let tokens = v
        .pointer("/meta/billed_units/input_tokens")
        .and_then(Value::as_f64)
        .map_or(0, |f| f.max(0.0) as u64);
    Ok(EmbeddingResponse {
        object: "list".into(),
        data,
        model: String::new(),
        usage: EmbeddingUsage {
            prompt_tokens: tokens,
            completion_tokens: 0,
            total_tokens: tokens,
            // LiteLLM's PromptTokensDetailsWrapper, every field written.
            prompt_tokens_details: Some(json!({
                "audio_tokens": null, "cached_tokens": null, "image_tokens": null,
                "initial_prompt_tokens": null, "text_tokens": tokens, "video_tokens": null,
            })),
            completion_tokens_details: None,
        },
        extra: JsonMap::new(),
    })
}

fn unreadable(detail: &str) -> Error {
    Error::new(
        ErrorKind::Api,
        format!("CohereException - cannot read the answer: {detail}"),
    )
    .with_status(http::StatusCode::UNPROCESSABLE_ENTITY)
    .with_provider("cohere")
}
