//! Real OpenAI payloads parse into the canonical types and serialise back unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use llmux_types::{
    ChatChunk, ChatRequest, ChatResponse, CompletionResponse, ContentPart, EmbeddingResponse,
    EmbeddingVector, FinishReason, MessageContent, Role,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn round_trip<T: DeserializeOwned + Serialize>(name: &str) -> T {
    let original = fixture(name);
    let typed: T = serde_json::from_value(original.clone()).unwrap();
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(back, original, "{name} did not survive the round trip");
    typed
}

#[test]
fn chat_request_with_every_field_round_trips() {
    let req: ChatRequest = round_trip("chat_request_full.json");
    assert_eq!(req.messages.len(), 7);
    assert_eq!(req.messages[6].role, Role::Other("narrator".into()));
    let Some(MessageContent::Parts(parts)) = &req.messages[2].content else {
        panic!("parts expected")
    };
    assert!(matches!(parts[1], ContentPart::ImageUrl { .. }));
    assert!(
        matches!(parts[4], ContentPart::Other(_)),
        "unknown part kinds are kept verbatim"
    );
    assert_eq!(req.tools.as_ref().unwrap()[1].kind, "web_search_preview");
    assert_eq!(
        req.tool_choice.as_ref().unwrap().function_name(),
        Some("get_weather")
    );
    assert!(req.extra.contains_key("a_future_param"));
    assert!(req.include_usage());
}

#[test]
fn chat_response_with_tools_logprobs_and_new_finish_reason_round_trips() {
    let resp: ChatResponse = round_trip("chat_response_tools.json");
    assert_eq!(resp.choices[0].finish_reason, Some(FinishReason::ToolCalls));
    assert_eq!(
        resp.choices[1].finish_reason,
        Some(FinishReason::Other("a_new_reason".into()))
    );
    let usage = resp.usage.unwrap();
    assert_eq!((usage.cached_tokens(), usage.reasoning_tokens()), (4, 2));
}

#[test]
fn stream_chunk_parses_and_keeps_unknown_fields() {
    let original = fixture("chat_chunk.json");
    let chunk: ChatChunk = serde_json::from_value(original).unwrap();
    let call = &chunk.choices[0].delta.tool_calls.as_ref().unwrap()[0];
    assert_eq!(call.id.as_deref(), Some("call_1"));
    assert_eq!(chunk.extra["obfuscation"], "abc");
    // `usage: null` is read as absent: chunks are re-emitted without nulls, as LiteLLM does.
    assert!(chunk.usage.is_none());
}

#[test]
fn embeddings_float_and_base64_round_trip() {
    let f: EmbeddingResponse = round_trip("embedding_float.json");
    assert!(matches!(&f.data[0].embedding, EmbeddingVector::Float(v) if v == &[0.5, -0.25, 0.125]));
    let b: EmbeddingResponse = round_trip("embedding_base64.json");
    assert!(matches!(&b.data[0].embedding, EmbeddingVector::Base64(_)));
}

#[test]
fn text_completion_round_trips() {
    let c: CompletionResponse = round_trip("text_completion.json");
    assert_eq!(c.choices[0].finish_reason, Some(FinishReason::Length));
}

#[test]
fn null_assistant_content_is_dropped_as_litellm_does() {
    // oracle case openai__tool_result: LiteLLM forwards the tool-calling turn without `content`.
    let msg: llmux_types::ChatMessage =
        serde_json::from_str(r#"{"role":"assistant","content":null,"tool_calls":[]}"#).unwrap();
    assert_eq!(
        serde_json::to_value(&msg).unwrap(),
        serde_json::json!({"role": "assistant", "tool_calls": []})
    );
}
