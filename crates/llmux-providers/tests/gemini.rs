//! The Gemini family on fixtures: every conversion direction as an insta snapshot,
//! streams split anywhere, streams folded against whole answers, and thought signatures
//! carried from an answer's tool-call id into the next request.
//!
//! Fixtures (`fixtures/gemini/<case>.json`, named after the oracle case where there is
//! one) hold any of: `request` (+ `target`, `flavor`), `response`, `stream` (the events of
//! a stream), `error` (`status`, `headers`, `body`), `embedding_request`,
//! `embedding_response`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::BTreeMap;
use std::path::Path;

use http::{HeaderMap, StatusCode};
use llmux_providers::gemini::{self, Flavor, GeminiStreamDecoder};
use llmux_providers::{ParseContext, Provider, Target};
use llmux_types::{ChatChunk, ChatMessage, ChatRequest, ChatResponse, EmbeddingRequest, JsonMap};
use proptest::prelude::*;
use serde_json::{Value, json};

const CTX: ParseContext<'static> = ParseContext {
    created: 1_700_000_000,
    response_id: "chatcmpl-9f6c2a1e-3b4d-4e5f-8a7b-0c1d2e3f4a5b",
};

struct Fixture {
    value: Value,
}

impl Fixture {
    fn load(path: &Path) -> Self {
        let text = std::fs::read_to_string(path).unwrap();
        Self {
            value: serde_json::from_str(&text).unwrap(),
        }
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.value.get(key).filter(|v| !v.is_null())
    }

    fn note(&self) -> String {
        self.get("note")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    }

    fn flavor(&self) -> Flavor {
        match self.get("flavor").and_then(Value::as_str) {
            Some("vertex") => Flavor::Vertex,
            _ => Flavor::AiStudio,
        }
    }

    fn provider(&self) -> Provider {
        match self.flavor() {
            Flavor::Vertex => Provider::VertexGemini,
            Flavor::AiStudio => Provider::Gemini,
        }
    }

    fn target_str(&self, key: &str) -> Option<&str> {
        self.get("target")?.get(key)?.as_str()
    }

    fn params(&self) -> Option<&JsonMap> {
        self.get("target")?.get("params")?.as_object()
    }

    fn target<'a>(&'a self, model: &'a str) -> Target<'a> {
        Target {
            model: self.target_str("model").unwrap_or(model),
            api_base: self.target_str("api_base"),
            api_key: self.target_str("api_key"),
            bearer_token: self.target_str("bearer_token"),
            params: self.params(),
            ..Target::default()
        }
    }

    /// The stream as Gemini sends it: `data: <json>\r\n\r\n` per event.
    fn sse_body(&self) -> Option<Vec<u8>> {
        let events = self.get("stream")?.as_array()?;
        let mut body = String::new();
        for e in events {
            body.push_str("data: ");
            body.push_str(&serde_json::to_string(e).unwrap());
            body.push_str("\r\n\r\n");
        }
        Some(body.into_bytes())
    }
}

fn snapshot(path: &Path, kind: &str, value: Value) {
    let f = Fixture::load(path);
    insta::with_settings!({ description => format!("{kind}: {}", f.note()), omit_expression => true }, {
        insta::assert_json_snapshot!(kind, value);
    });
}

fn request_snapshot(req: &http::Request<bytes::Bytes>) -> Value {
    let headers: BTreeMap<String, String> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    json!({
        "method": req.method().as_str(),
        "url": req.uri().to_string(),
        "headers": headers,
        "body": serde_json::from_slice::<Value>(req.body()).unwrap(),
    })
}

fn decode(pieces: &[&[u8]]) -> Result<Vec<ChatChunk>, llmux_types::Error> {
    let mut d = GeminiStreamDecoder::new(&CTX);
    let mut out = Vec::new();
    for p in pieces {
        out.extend(d.feed(p)?);
    }
    out.extend(d.finish()?);
    Ok(out)
}

#[test]
fn requests_match_snapshots() {
    insta::glob!("fixtures/gemini/*.json", |path| {
        let f = Fixture::load(path);
        let Some(req) = f.get("request") else { return };
        let req: ChatRequest = serde_json::from_value(req.clone()).unwrap();
        let http = gemini::build_chat_request(&req, &f.target(&req.model), f.flavor()).unwrap();
        snapshot(path, "request", request_snapshot(&http));
    });
}

#[test]
fn responses_match_snapshots() {
    insta::glob!("fixtures/gemini/*.json", |path| {
        let f = Fixture::load(path);
        let Some(body) = f.get("response") else {
            return;
        };
        let resp = gemini::parse_chat_response(body.to_string().as_bytes(), &CTX).unwrap();
        snapshot(path, "response", serde_json::to_value(resp).unwrap());
    });
}

#[test]
fn streams_match_snapshots() {
    insta::glob!("fixtures/gemini/*.json", |path| {
        let f = Fixture::load(path);
        let Some(body) = f.sse_body() else { return };
        let chunks = decode(&[&body]).unwrap();
        snapshot(path, "stream", serde_json::to_value(chunks).unwrap());
    });
}

#[test]
fn errors_match_snapshots() {
    insta::glob!("fixtures/gemini/*.json", |path| {
        let f = Fixture::load(path);
        let Some(e) = f.get("error") else { return };
        let mut headers = HeaderMap::new();
        for (k, v) in e["headers"].as_object().unwrap() {
            headers.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.as_str().unwrap().parse().unwrap(),
            );
        }
        let status =
            StatusCode::from_u16(u16::try_from(e["status"].as_u64().unwrap()).unwrap()).unwrap();
        let err = gemini::map_error(
            f.provider(),
            status,
            &headers,
            e["body"].as_str().unwrap().as_bytes(),
        );
        snapshot(
            path,
            "error",
            json!({
                "kind": format!("{:?}", err.kind),
                "status": err.status.as_u16(),
                "openai_type": err.openai_type(),
                "message": err.message,
                "provider": err.provider,
                "retry_after_secs": err.retry_after.map(|d| d.as_secs_f64()),
                "upstream_headers": err.upstream_headers,
            }),
        );
    });
}

#[test]
fn embeddings_match_snapshots() {
    insta::glob!("fixtures/gemini/*.json", |path| {
        let f = Fixture::load(path);
        let Some(req) = f.get("embedding_request") else {
            return;
        };
        let req: EmbeddingRequest = serde_json::from_value(req.clone()).unwrap();
        let http =
            gemini::build_embedding_request(&req, &f.target(&req.model), f.flavor()).unwrap();
        let body = f.get("embedding_response").unwrap().to_string();
        let want_base64 = req.encoding_format.as_deref() == Some("base64");
        let resp = gemini::parse_embedding_response(body.as_bytes(), &req, want_base64).unwrap();
        snapshot(
            path,
            "embeddings",
            json!({"request": request_snapshot(&http), "response": resp}),
        );
    });
}

/// One choice of a folded stream: content, reasoning, tool calls by index (id, name,
/// arguments), finish reason.
type FoldedChoice = (
    String,
    String,
    BTreeMap<u32, (String, String, String)>,
    Value,
);

/// Content, reasoning, tool calls, finish reason and usage of a folded stream or a whole
/// answer, per choice. Not `total_tokens`: LiteLLM reports Gemini's `totalTokenCount` for
/// a whole answer but prompt + completion for a stream, which differ when Google Search
/// grounding used tool tokens.
fn fold(chunks: &[ChatChunk]) -> Value {
    let mut choices: BTreeMap<u32, FoldedChoice> = BTreeMap::new();
    let mut usage = Value::Null;
    for chunk in chunks {
        for c in &chunk.choices {
            let entry = choices
                .entry(c.index)
                .or_insert_with(|| (String::new(), String::new(), BTreeMap::new(), Value::Null));
            entry.0.push_str(c.delta.content.as_deref().unwrap_or(""));
            entry
                .1
                .push_str(c.delta.reasoning_content.as_deref().unwrap_or(""));
            for call in c.delta.tool_calls.iter().flatten() {
                let slot = entry.2.entry(call.index).or_default();
                slot.0.push_str(call.id.as_deref().unwrap_or(""));
                if let Some(func) = &call.function {
                    slot.1.push_str(func.name.as_deref().unwrap_or(""));
                    slot.2.push_str(func.arguments.as_deref().unwrap_or(""));
                }
            }
            if let Some(reason) = &c.finish_reason {
                entry.3 = json!(reason);
            }
        }
        if let Some(u) = &chunk.usage {
            usage = json!([u.prompt_tokens, u.completion_tokens, u.reasoning_tokens()]);
        }
    }
    json!({
        "choices": choices.into_iter().map(|(i, (content, reasoning, calls, finish))| json!({
            "index": i,
            "content": content,
            "reasoning": reasoning,
            "tool_calls": calls.into_values().map(|(id, name, args)| json!([id, name, args])).collect::<Vec<_>>(),
            "finish_reason": finish,
        })).collect::<Vec<_>>(),
        "usage": usage,
    })
}

fn fold_whole(resp: &ChatResponse) -> Value {
    let u = resp.usage.as_ref().unwrap();
    json!({
        "choices": resp.choices.iter().map(|c| json!({
            "index": c.index,
            "content": c.message.content.clone().unwrap_or_default(),
            "reasoning": c.message.reasoning_content.clone().unwrap_or_default(),
            "tool_calls": c.message.tool_calls.iter().flatten()
                .map(|t| json!([t.id, t.function.name, t.function.arguments])).collect::<Vec<_>>(),
            "finish_reason": c.finish_reason,
        })).collect::<Vec<_>>(),
        "usage": [u.prompt_tokens, u.completion_tokens, u.reasoning_tokens()],
    })
}

#[test]
fn streams_fold_to_the_whole_answer() {
    let mut checked = 0;
    insta::glob!("fixtures/gemini/*.json", |path| {
        let f = Fixture::load(path);
        let (Some(body), Some(whole)) = (f.sse_body(), f.get("response")) else {
            return;
        };
        let streamed = fold(&decode(&[&body]).unwrap());
        let whole = gemini::parse_chat_response(whole.to_string().as_bytes(), &CTX).unwrap();
        assert_eq!(streamed, fold_whole(&whole), "{}", path.display());
        checked += 1;
    });
    assert!(checked >= 3, "text, tools and thinking streams are folded");
}

fn stream_bodies() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gemini");
    let mut bodies: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| Fixture::load(&e.unwrap().path()).sse_body())
        .collect();
    bodies.sort();
    bodies
}

#[test]
fn every_split_position_decodes_like_the_whole_body() {
    for body in stream_bodies() {
        let whole = decode(&[&body]).unwrap();
        for cut in 0..=body.len() {
            let (a, b) = body.split_at(cut);
            assert_eq!(decode(&[a, b]).unwrap(), whole, "cut at {cut}");
        }
        // Byte by byte, through every multi-byte character and every CRLF.
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(decode(&bytes).unwrap(), whole);
    }
}

#[test]
fn the_thinking_stream_splits_inside_multi_byte_characters() {
    let body = stream_bodies()
        .into_iter()
        .find(|b| String::from_utf8_lossy(b).contains('✓'))
        .unwrap();
    let text = String::from_utf8(body.clone()).unwrap();
    let inside = (1..body.len())
        .filter(|&i| !text.is_char_boundary(i))
        .count();
    assert!(
        inside >= 4,
        "the fixture has multi-byte characters to cut through"
    );
}

proptest! {
    #[test]
    fn any_cuts_decode_like_the_whole_body(
        which in 0usize..16,
        mut cuts in proptest::collection::vec(0usize..4096, 0..8),
    ) {
        let bodies = stream_bodies();
        let body = &bodies[which % bodies.len()];
        let whole = decode(&[body]).unwrap();
        for c in &mut cuts {
            *c %= body.len() + 1;
        }
        cuts.sort_unstable();
        let mut pieces: Vec<&[u8]> = Vec::new();
        let mut last = 0;
        for c in cuts {
            pieces.push(&body[last..c]);
            last = c;
        }
        pieces.push(&body[last..]);
        prop_assert_eq!(decode(&pieces).unwrap(), whole);
    }
}

#[test]
fn a_cut_off_event_is_an_error() {
    let mut d = GeminiStreamDecoder::new(&CTX);
    d.feed(b"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hel")
        .unwrap();
    assert!(d.finish().is_err());
}

#[test]
fn an_error_event_in_a_stream_is_typed() {
    let mut d = GeminiStreamDecoder::new(&CTX);
    let err = d
        .feed(b"data: {\"error\": {\"code\": 429, \"message\": \"Quota exceeded for x\", \"status\": \"RESOURCE_EXHAUSTED\"}}\r\n\r\n")
        .unwrap_err();
    assert_eq!(err.status.as_u16(), 429);
}

/// The answer's tool call id carries Gemini's thought signature; sent back in the next
/// request, the signature lands on the `functionCall` part again.
fn round_trip(model: &str) -> Value {
    let answer = json!({
        "candidates": [{"content": {"role": "model", "parts": [
            {"functionCall": {"name": "get_weather", "args": {"location": "Paris"}}, "thoughtSignature": "Q2lZ+/sig=="},
            {"functionCall": {"name": "get_time", "args": {"timezone": "CET"}}}
        ]}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 5, "totalTokenCount": 10},
        "responseId": "r"
    });
    let resp = gemini::parse_chat_response(answer.to_string().as_bytes(), &CTX).unwrap();
    let calls = resp.choices[0].message.tool_calls.clone().unwrap();
    assert!(calls[0].id.starts_with("call_"));
    assert!(calls[0].id.ends_with("__thought__Q2lZ+/sig=="));
    assert!(!calls[1].id.contains("__thought__"));
    // A client keeps only what OpenAI defines: id, type, function.
    let history: Vec<ChatMessage> = serde_json::from_value(json!([
        {"role": "user", "content": "Weather and time?"},
        {"role": "assistant", "content": null, "tool_calls": calls.iter().map(|c| json!({
            "id": c.id, "type": "function", "function": {"name": c.function.name, "arguments": c.function.arguments}
        })).collect::<Vec<_>>()},
        {"role": "tool", "tool_call_id": calls[0].id, "content": "sunny"},
        {"role": "tool", "tool_call_id": calls[1].id, "content": "12:00"}
    ]))
    .unwrap();
    let req = ChatRequest {
        model: model.into(),
        messages: history,
        ..ChatRequest::default()
    };
    let t = Target {
        model,
        api_key: Some("k"),
        ..Target::default()
    };
    let http = gemini::build_chat_request(&req, &t, Flavor::AiStudio).unwrap();
    let body: Value = serde_json::from_slice(http.body()).unwrap();
    body["contents"].clone()
}

#[test]
fn thought_signatures_survive_a_round_trip_through_tool_call_ids() {
    let contents = round_trip("gemini-2.5-flash");
    assert_eq!(
        contents[1],
        json!({"role": "model", "parts": [
            {"function_call": {"name": "get_weather", "args": {"location": "Paris"}}, "thoughtSignature": "Q2lZ+/sig=="},
            {"function_call": {"name": "get_time", "args": {"timezone": "CET"}}}
        ]})
    );
    assert_eq!(
        contents[2],
        json!({"role": "user", "parts": [
            {"function_response": {"name": "get_weather", "response": {"content": "sunny"}}},
            {"function_response": {"name": "get_time", "response": {"content": "12:00"}}}
        ]})
    );
}

#[test]
fn gemini_3_also_gets_the_call_ids_back_without_the_signature() {
    let contents = round_trip("gemini-3-pro-preview");
    let parts = contents[1]["parts"].as_array().unwrap();
    assert_eq!(parts[0]["thoughtSignature"], "Q2lZ+/sig==");
    let id = parts[0]["function_call"]["id"].as_str().unwrap();
    assert!(id.starts_with("call_") && !id.contains("__thought__"));
    assert_eq!(contents[2]["parts"][0]["function_response"]["id"], id);
}

#[test]
fn a_streamed_tool_call_id_carries_the_signature_too() {
    let body = stream_bodies()
        .into_iter()
        .find(|b| String::from_utf8_lossy(b).contains("functionCall"))
        .unwrap();
    let chunks = decode(&[&body]).unwrap();
    let id = chunks
        .iter()
        .flat_map(|c| &c.choices)
        .flat_map(|c| c.delta.tool_calls.iter().flatten())
        .find_map(|t| t.id.clone())
        .unwrap();
    assert!(id.starts_with("call_") && id.ends_with("__thought__c2ln"));
}
