//! The Anthropic adapter on bytes: every conversion direction against fixtures
//! (`fixtures/anthropic/<case>.json`, insta snapshots), the stream decoder on every
//! split of its input, and streamed answers folding into the non-streamed translation.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use llmux_providers::anthropic::{self, AnthropicStreamDecoder, Flavor};
use llmux_providers::{ParseContext, Provider, Target};
use llmux_types::{ChatChunk, ChatRequest, JsonMap};
use proptest::prelude::*;
use serde_json::{Value, json};

const CTX: ParseContext<'static> = ParseContext {
    created: 1_700_000_000,
    response_id: "chatcmpl-00000000-0000-0000-0000-000000000000",
};

fn request_snapshot(r: &http::Request<Bytes>) -> Value {
    let headers: BTreeMap<String, String> = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    json!({
        "method": r.method().as_str(),
        "url": r.uri().to_string(),
        "headers": headers,
        "body": serde_json::from_slice::<Value>(r.body()).unwrap(),
    })
}

fn decode(pieces: &[&[u8]]) -> Result<Vec<ChatChunk>, String> {
    let mut d = AnthropicStreamDecoder::new(&CTX);
    let mut out = Vec::new();
    for p in pieces {
        out.extend(d.feed(p).map_err(|e| e.to_string())?);
    }
    out.extend(d.finish().map_err(|e| e.to_string())?);
    Ok(out)
}

fn error_snapshot(e: &llmux_types::Error) -> Value {
    json!({
        "kind": format!("{:?}", e.kind),
        "status": e.status.as_u16(),
        "message": e.message,
        "retry_after_secs": e.retry_after.map(|d| d.as_secs_f64()),
        "provider": e.provider,
        "openai_body": e.openai_body(),
    })
}

/// Translates one fixture in every direction it has.
fn translate(fixture: &Value) -> Value {
    let mut out = JsonMap::new();
    if let Some(req) = fixture.get("request") {
        let req: ChatRequest = serde_json::from_value(req.clone()).unwrap();
        let params: Option<JsonMap> = fixture
            .pointer("/target/params")
            .map(|p| serde_json::from_value(p.clone()).unwrap());
        let vertex = fixture.get("flavor").and_then(Value::as_str) == Some("vertex");
        let t = Target {
            model: &req.model,
            api_base: (!vertex).then_some("http://127.0.0.1:18765"),
            api_key: (!vertex).then_some("sk-ant-fake-key"),
            bearer_token: vertex.then_some("ya29.fake-token"),
            params: params.as_ref(),
            ..Target::default()
        };
        let flavor = if vertex {
            Flavor::Vertex
        } else {
            Flavor::Direct
        };
        let wire = anthropic::build_chat_request(&req, &t, flavor).unwrap();
        out.insert("upstream_request".into(), request_snapshot(&wire));
    }
    if let Some(reply) = fixture.get("reply") {
        let body = serde_json::to_vec(reply).unwrap();
        let resp = anthropic::parse_chat_response(&body, &CTX).unwrap();
        out.insert("response".into(), serde_json::to_value(resp).unwrap());
    }
    if let Some(sse) = fixture.get("sse").and_then(Value::as_str) {
        // Chunks up to the first error, then the error.
        let mut d = AnthropicStreamDecoder::new(&CTX);
        let mut chunks = Vec::new();
        let mut error = None;
        for result in [d.feed(sse.as_bytes()), d.finish()] {
            match result {
                Ok(c) => chunks.extend(c),
                Err(e) => {
                    error = Some(error_snapshot(&e));
                    break;
                }
            }
        }
        out.insert("chunks".into(), serde_json::to_value(chunks).unwrap());
        if let Some(e) = error {
            out.insert("stream_error".into(), e);
        }
    }
    if let Some(err) = fixture.get("error") {
        let mut headers = HeaderMap::new();
        for (k, v) in err["headers"].as_object().unwrap() {
            headers.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.as_str().unwrap().parse().unwrap(),
            );
        }
        let status = StatusCode::from_u16(err["status"].as_u64().unwrap() as u16).unwrap();
        let body = err["body"].as_str().unwrap();
        let e = anthropic::map_error(Provider::Anthropic, status, &headers, body.as_bytes());
        out.insert("error".into(), error_snapshot(&e));
    }
    Value::Object(out)
}

#[test]
fn translations() {
    insta::glob!("fixtures/anthropic/*.json", |path| {
        let fixture: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        insta::assert_json_snapshot!(translate(&fixture));
    });
}

/// The stream error event becomes the typed error LiteLLM raises.
#[test]
fn stream_error_event_is_an_internal_server_error() {
    let fixture: Value =
        serde_json::from_str(include_str!("fixtures/anthropic/stream_error.json")).unwrap();
    let sse = fixture["sse"].as_str().unwrap();
    let mut d = AnthropicStreamDecoder::new(&CTX);
    // The text before the error still comes out, then the error.
    let chunks = d.feed(sse.as_bytes()).unwrap();
    assert_eq!(chunks[0].choices[0].delta.content.as_deref(), Some("Hel"));
    let err = d.finish().unwrap_err();
    assert_eq!(err.kind, llmux_types::ErrorKind::InternalServer);
    assert_eq!(err.status.as_u16(), 500);
    assert!(err.message.contains("Overloaded"), "{}", err.message);
}

// ---- splits ----

fn fixture_sse(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/anthropic/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let fixture: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    fixture["sse"].as_str().unwrap().to_owned()
}

const STREAMS: &[&str] = &[
    "stream",
    "stream_tools",
    "stream_thinking",
    "stream_json_schema",
];

#[test]
fn every_split_position_decodes_like_the_whole_body() {
    for name in STREAMS {
        let body = fixture_sse(name);
        let bytes = body.as_bytes();
        assert!(
            bytes.len() > body.chars().count() || *name != "stream",
            "needs multi-byte chars"
        );
        let whole = decode(&[bytes]).unwrap();
        for cut in 0..=bytes.len() {
            let (a, b) = bytes.split_at(cut);
            assert_eq!(decode(&[a, b]).unwrap(), whole, "{name}: cut at {cut}");
        }
    }
}

#[test]
fn byte_by_byte_decodes_like_the_whole_body() {
    for name in STREAMS {
        let body = fixture_sse(name);
        let bytes = body.as_bytes();
        let pieces: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(
            decode(&pieces).unwrap(),
            decode(&[bytes]).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn crlf_framing_decodes_like_lf() {
    let body = fixture_sse("stream_tools");
    let crlf = body.replace('\n', "\r\n");
    assert_eq!(
        decode(&[crlf.as_bytes()]).unwrap(),
        decode(&[body.as_bytes()]).unwrap()
    );
}

#[test]
fn a_cut_off_event_is_an_error() {
    let body = fixture_sse("stream");
    // Inside the JSON of `message_delta`.
    let cut = body.find("\"stop_reason\":\"end_turn\"").unwrap();
    assert!(decode(&[&body.as_bytes()[..cut]]).is_err());
}

proptest! {
    #[test]
    fn any_splits_decode_like_the_whole_body(
        which in 0..STREAMS.len(),
        cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..12),
    ) {
        let body = fixture_sse(STREAMS[which]);
        let bytes = body.as_bytes();
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        points.sort_unstable();
        let mut pieces = Vec::new();
        let mut last = 0;
        for p in points {
            pieces.push(&bytes[last..p]);
            last = p;
        }
        pieces.push(&bytes[last..]);
        prop_assert_eq!(decode(&pieces).unwrap(), decode(&[bytes]).unwrap());
    }
}

// ---- stream_chunk_builder: folding the stream gives the non-stream answer ----

/// The SSE stream Anthropic sends for `message`: the same blocks, each streamed in
/// small pieces (text and thinking by 3 characters, tool input JSON by 5 bytes).
fn stream_of(message: &Value) -> String {
    let mut events = Vec::new();
    let mut start = message.clone();
    start["content"] = json!([]);
    start["stop_reason"] = Value::Null;
    start["usage"]["output_tokens"] = json!(1);
    events.push(json!({"type": "message_start", "message": start}));
    let pieces = |s: &str, n: usize| -> Vec<String> {
        s.chars()
            .collect::<Vec<_>>()
            .chunks(n)
            .map(|c| c.iter().collect())
            .collect()
    };
    for (i, block) in message["content"].as_array().unwrap().iter().enumerate() {
        let (empty, deltas): (Value, Vec<Value>) = match block["type"].as_str().unwrap() {
            "text" => (
                json!({"type": "text", "text": ""}),
                pieces(block["text"].as_str().unwrap(), 3)
                    .into_iter()
                    .map(|t| json!({"type": "text_delta", "text": t}))
                    .collect(),
            ),
            "tool_use" => {
                let input = serde_json::to_string(&block["input"]).unwrap();
                (
                    json!({"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}),
                    pieces(&input, 5)
                        .into_iter()
                        .map(|p| json!({"type": "input_json_delta", "partial_json": p}))
                        .collect(),
                )
            }
            "thinking" => {
                let mut d: Vec<Value> = pieces(block["thinking"].as_str().unwrap(), 3)
                    .into_iter()
                    .map(|t| json!({"type": "thinking_delta", "thinking": t}))
                    .collect();
                d.push(json!({"type": "signature_delta", "signature": block["signature"]}));
                (
                    json!({"type": "thinking", "thinking": "", "signature": ""}),
                    d,
                )
            }
            other => panic!("no stream for {other}"),
        };
        events.push(json!({"type": "content_block_start", "index": i, "content_block": empty}));
        for d in deltas {
            events.push(json!({"type": "content_block_delta", "index": i, "delta": d}));
        }
        events.push(json!({"type": "content_block_stop", "index": i}));
    }
    events.push(json!({
        "type": "message_delta",
        "delta": {"stop_reason": message["stop_reason"], "stop_sequence": null},
        "usage": {"output_tokens": message["usage"]["output_tokens"]},
    }));
    events.push(json!({"type": "message_stop"}));
    events
        .iter()
        .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap()))
        .collect()
}

/// LiteLLM's `stream_chunk_builder`: content joined, tool calls merged by index,
/// thinking blocks merged by their index, the last finish reason and usage.
fn fold(chunks: &[ChatChunk]) -> Value {
    let mut content = String::new();
    let mut reasoning: Option<String> = None;
    let mut calls: BTreeMap<u32, (String, String, String)> = BTreeMap::new();
    let mut thinking: BTreeMap<i64, Value> = BTreeMap::new();
    let mut finish = Value::Null;
    let mut usage = Value::Null;
    for chunk in chunks {
        if let Some(u) = &chunk.usage {
            usage = json!([u.prompt_tokens, u.completion_tokens, u.total_tokens]);
        }
        for choice in &chunk.choices {
            let d = &choice.delta;
            if let Some(f) = &choice.finish_reason {
                finish = json!(f);
            }
            content.push_str(d.content.as_deref().unwrap_or_default());
            if let Some(r) = &d.reasoning_content {
                reasoning.get_or_insert_with(String::new).push_str(r);
            }
            for call in d.tool_calls.iter().flatten() {
                let entry = calls.entry(call.index).or_default();
                if let Some(id) = &call.id {
                    entry.0.clone_from(id);
                }
                if let Some(f) = &call.function {
                    if let Some(name) = &f.name {
                        entry.1.clone_from(name);
                    }
                    entry.2.push_str(f.arguments.as_deref().unwrap_or_default());
                }
            }
            for block in d.thinking_blocks.iter().flatten() {
                let index = block["index"].as_i64().unwrap();
                let merged = thinking
                    .entry(index)
                    .or_insert_with(|| json!({"type": block["type"]}));
                match block["type"].as_str().unwrap() {
                    "thinking" => {
                        let text = format!(
                            "{}{}",
                            merged["thinking"].as_str().unwrap_or_default(),
                            block["thinking"].as_str().unwrap_or_default()
                        );
                        merged["thinking"] = json!(text);
                        if let Some(sig) = block.get("signature") {
                            merged["signature"] = sig.clone();
                        }
                    }
                    _ => merged["data"] = block["data"].clone(),
                }
            }
        }
    }
    normalized(
        (!content.is_empty()).then_some(content),
        reasoning,
        calls
            .into_values()
            .map(|(id, name, args)| (id, name, serde_json::from_str(&args).unwrap()))
            .collect(),
        (!thinking.is_empty()).then(|| thinking.into_values().collect()),
        finish,
        usage,
    )
}

fn normalized(
    content: Option<String>,
    reasoning: Option<String>,
    calls: Vec<(String, String, Value)>,
    thinking: Option<Vec<Value>>,
    finish: Value,
    usage: Value,
) -> Value {
    json!({
        "content": content,
        "reasoning_content": reasoning,
        "tool_calls": calls.iter().map(|(id, name, args)| json!({"id": id, "name": name, "arguments": args})).collect::<Vec<_>>(),
        "thinking_blocks": thinking,
        "finish_reason": finish,
        "usage": usage,
    })
}

/// The non-streamed translation in the same normalized form (tool arguments parsed:
/// the stream relays Anthropic's compact JSON, the answer Python's `json.dumps`).
fn non_stream(message: &Value) -> Value {
    let r = anthropic::parse_chat_response(&serde_json::to_vec(message).unwrap(), &CTX).unwrap();
    let m = &r.choices[0].message;
    let u = r.usage.unwrap();
    normalized(
        m.content.clone(),
        m.reasoning_content.clone(),
        m.tool_calls
            .iter()
            .flatten()
            .map(|c| {
                (
                    c.id.clone(),
                    c.function.name.clone(),
                    serde_json::from_str(&c.function.arguments).unwrap(),
                )
            })
            .collect(),
        m.thinking_blocks.clone(),
        json!(r.choices[0].finish_reason),
        json!([u.prompt_tokens, u.completion_tokens, u.total_tokens]),
    )
}

fn answer(content: Value, stop: &str) -> Value {
    json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": content, "stop_reason": stop, "stop_sequence": null,
        "usage": {"input_tokens": 21, "output_tokens": 34, "cache_creation_input_tokens": 5, "cache_read_input_tokens": 8},
    })
}

#[test]
fn folded_stream_equals_the_answer_for_text_tools_and_thinking() {
    let answers = [
        answer(
            json!([{"type": "text", "text": "Hello, wörld! 👋 How are you?"}]),
            "end_turn",
        ),
        answer(
            json!([
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"location": "Paris", "unit": "celsius"}},
                {"type": "tool_use", "id": "toolu_2", "name": "get_time", "input": {"timezone": "Europe/Paris", "n": [1, 2.5, null]}}
            ]),
            "tool_use",
        ),
        answer(
            json!([
                {"type": "thinking", "thinking": "Two plus two… is four.", "signature": "EqQBCgIYAhIM"},
                {"type": "text", "text": "4"}
            ]),
            "max_tokens",
        ),
        answer(
            json!([
                {"type": "thinking", "thinking": "Need weather.", "signature": "sig"},
                {"type": "tool_use", "id": "toolu_9", "name": "get_weather", "input": {}}
            ]),
            "tool_use",
        ),
    ];
    for message in answers {
        let chunks = decode(&[stream_of(&message).as_bytes()]).unwrap();
        assert_eq!(fold(&chunks), non_stream(&message), "{message}");
    }
}
