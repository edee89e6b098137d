//! The Bedrock, Cohere and Ollama adapters on bytes: every conversion direction against
//! fixtures (`fixtures/{bedrock,bedrock_invoke,cohere,ollama}/<case>.json`, insta snapshots), and each
//! stream decoder on every split of its input.
//!
//! A fixture may hold `request` (→ the upstream request), `reply` (→ the response),
//! a stream (`events` for Bedrock, encoded here as the binary event-stream, an
//! `!exceptionType` name making an exception message; `invoke_events`, Anthropic events
//! sent as InvokeModelWithResponseStream chunks; `sse` for Cohere; `ndjson` for
//! Ollama), `error` (status, headers, body → the typed error) and
//! `embedding_request` / `embedding_reply`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use llmux_providers::bedrock::eventstream::encode;
use llmux_providers::{ParseContext, Provider, Target};
use llmux_types::{ChatChunk, ChatRequest, EmbeddingRequest, JsonMap};
use proptest::prelude::*;
use serde_json::{Value, json};

const CTX: ParseContext<'static> = ParseContext {
    created: 1_700_000_000,
    response_id: "chatcmpl-00000000-0000-4000-8000-000000000000",
};

fn fixture(family: &str, name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/{family}/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn provider(family: &str, f: &Value) -> Provider {
    match (family, f.get("flavor").and_then(Value::as_str)) {
        ("bedrock", _) => Provider::Bedrock,
        ("bedrock_invoke", _) => Provider::BedrockInvoke,
        ("cohere", _) => Provider::CohereChat,
        ("ollama", Some("generate")) => Provider::Ollama,
        ("ollama", _) => Provider::OllamaChat,
        _ => panic!("unknown family {family}"),
    }
}

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

/// The stream body of a fixture, as the upstream sends it.
fn stream_body(f: &Value) -> Option<Vec<u8>> {
    if let Some(events) = f.get("events").and_then(Value::as_array) {
        let mut out = Vec::new();
        for e in events {
            let name = e[0].as_str().unwrap();
            let payload = e[1].to_string();
            let frame = match name.strip_prefix('!') {
                Some(exception) => encode(
                    &[
                        (":exception-type", exception),
                        (":content-type", "application/json"),
                        (":message-type", "exception"),
                    ],
                    payload.as_bytes(),
                ),
                None => encode(
                    &[
                        (":event-type", name),
                        (":content-type", "application/json"),
                        (":message-type", "event"),
                    ],
                    payload.as_bytes(),
                ),
            };
            out.extend(frame);
        }
        return Some(out);
    }
    if let Some(events) = f.get("invoke_events").and_then(Value::as_array) {
        use base64::Engine;
        let mut out = Vec::new();
        for e in events {
            let bytes = base64::engine::general_purpose::STANDARD.encode(e.to_string());
            out.extend(encode(
                &[
                    (":event-type", "chunk"),
                    (":content-type", "application/json"),
                    (":message-type", "event"),
                ],
                json!({"bytes": bytes}).to_string().as_bytes(),
            ));
        }
        return Some(out);
    }
    f.get("sse")
        .or_else(|| f.get("ndjson"))
        .and_then(Value::as_str)
        .map(|s| s.as_bytes().to_vec())
}

fn decode(p: Provider, pieces: &[&[u8]]) -> Result<Vec<ChatChunk>, String> {
    let mut d = p.stream_decoder(&CTX);
    let mut out = Vec::new();
    for piece in pieces {
        out.extend(d.feed(piece).map_err(|e| e.to_string())?);
    }
    out.extend(d.finish().map_err(|e| e.to_string())?);
    Ok(out)
}

fn translate(family: &str, f: &Value) -> Value {
    let p = provider(family, f);
    let mut out = JsonMap::new();
    let params: Option<JsonMap> = f
        .pointer("/target/params")
        .map(|v| serde_json::from_value(v.clone()).unwrap());
    let api_base = match family {
        "bedrock" | "bedrock_invoke" => None,
        "cohere" => Some("http://127.0.0.1:18765/v2/chat"),
        _ => Some("http://127.0.0.1:18765"),
    };
    let key = (family == "cohere").then_some("co-fake-key");
    if let Some(req) = f.get("request") {
        let req: ChatRequest = serde_json::from_value(req.clone()).unwrap();
        let t = Target {
            model: &req.model,
            api_base,
            api_key: key,
            params: params.as_ref(),
            ..Target::default()
        };
        let wire = p.build_chat_request(&req, &t).unwrap();
        out.insert("upstream_request".into(), request_snapshot(&wire));
        let mut streamed = req.clone();
        streamed.stream = Some(true);
        let wire = p.build_chat_request(&streamed, &t).unwrap();
        out.insert("stream_url".into(), json!(wire.uri().to_string()));
    }
    if let Some(reply) = f.get("reply") {
        let body = serde_json::to_vec(reply).unwrap();
        let resp = p.parse_chat_response(&body, &CTX).unwrap();
        out.insert("response".into(), serde_json::to_value(resp).unwrap());
    }
    if let Some(body) = stream_body(f) {
        let mut d = p.stream_decoder(&CTX);
        let mut chunks = Vec::new();
        let mut error = None;
        for result in [d.feed(&body), d.finish()] {
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
    if let Some(err) = f.get("error") {
        let mut headers = HeaderMap::new();
        for (k, v) in err["headers"].as_object().unwrap() {
            headers.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.as_str().unwrap().parse().unwrap(),
            );
        }
        let status = StatusCode::from_u16(err["status"].as_u64().unwrap() as u16).unwrap();
        let e = p.map_error(status, &headers, err["body"].as_str().unwrap().as_bytes());
        out.insert("error".into(), error_snapshot(&e));
    }
    if let Some(req) = f.get("embedding_request") {
        let req: EmbeddingRequest = serde_json::from_value(req.clone()).unwrap();
        let api_base = (family == "cohere")
            .then_some("http://127.0.0.1:18765/v2/embed")
            .or(api_base);
        let t = Target {
            model: &req.model,
            api_base,
            api_key: key,
            ..Target::default()
        };
        let wire = p.build_embedding_request(&req, &t).unwrap();
        out.insert("upstream_embedding_request".into(), request_snapshot(&wire));
        if let Some(reply) = f.get("embedding_reply") {
            let body = serde_json::to_vec(reply).unwrap();
            let resp = p.parse_embedding_response(&body, &req, false).unwrap();
            out.insert(
                "embedding_response".into(),
                serde_json::to_value(resp).unwrap(),
            );
        }
    }
    Value::Object(out)
}

#[test]
fn bedrock_translations() {
    insta::glob!("fixtures/bedrock/*.json", |path| {
        let f: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        insta::assert_json_snapshot!(translate("bedrock", &f));
    });
}

#[test]
fn bedrock_invoke_translations() {
    insta::glob!("fixtures/bedrock_invoke/*.json", |path| {
        let f: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        insta::assert_json_snapshot!(translate("bedrock_invoke", &f));
    });
}

#[test]
fn cohere_translations() {
    insta::glob!("fixtures/cohere/*.json", |path| {
        let f: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        insta::assert_json_snapshot!(translate("cohere", &f));
    });
}

#[test]
fn ollama_translations() {
    insta::glob!("fixtures/ollama/*.json", |path| {
        let f: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        insta::assert_json_snapshot!(translate("ollama", &f));
    });
}

const STREAMS: &[(&str, &str)] = &[
    ("bedrock", "stream"),
    ("bedrock", "stream_tools"),
    ("bedrock", "stream_reasoning_json"),
    ("bedrock_invoke", "stream"),
    ("cohere", "stream"),
    ("cohere", "stream_tools"),
    ("ollama", "chat_stream"),
    ("ollama", "chat_stream_tools"),
    ("ollama", "generate_stream"),
];

#[test]
fn every_split_position_decodes_like_the_whole_body() {
    for (family, name) in STREAMS {
        let f = fixture(family, name);
        let p = provider(family, &f);
        let body = stream_body(&f).unwrap();
        let whole = decode(p, &[&body]).unwrap();
        assert!(!whole.is_empty(), "{family}/{name}");
        for cut in 0..=body.len() {
            let (a, b) = body.split_at(cut);
            assert_eq!(
                decode(p, &[a, b]).unwrap(),
                whole,
                "{family}/{name}: cut at {cut}"
            );
        }
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(
            decode(p, &bytes).unwrap(),
            whole,
            "{family}/{name}: byte by byte"
        );
    }
}

#[test]
fn a_cut_off_stream_is_an_error() {
    for (family, name) in [
        ("bedrock", "stream"),
        ("cohere", "stream"),
        ("ollama", "chat_stream"),
    ] {
        let f = fixture(family, name);
        let body = stream_body(&f).unwrap();
        let cut = body.len() - 3;
        assert!(
            decode(provider(family, &f), &[&body[..cut]]).is_err(),
            "{family}/{name}"
        );
    }
}

#[test]
fn a_bedrock_exception_is_a_typed_error_after_the_text_before_it() {
    let f = fixture("bedrock", "stream_exception");
    let body = stream_body(&f).unwrap();
    let mut d = Provider::Bedrock.stream_decoder(&CTX);
    let chunks = d.feed(&body).unwrap();
    assert_eq!(chunks[0].choices[0].delta.content.as_deref(), Some("Hel"));
    let e = d.finish().unwrap_err();
    assert_eq!(
        (e.kind, e.status.as_u16()),
        (llmux_types::ErrorKind::RateLimit, 429)
    );
}

proptest! {
    #[test]
    fn any_splits_decode_like_the_whole_body(
        which in 0..STREAMS.len(),
        cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..12),
    ) {
        let (family, name) = STREAMS[which];
        let f = fixture(family, name);
        let p = provider(family, &f);
        let body = stream_body(&f).unwrap();
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(body.len() + 1)).collect();
        points.sort_unstable();
        let mut pieces = Vec::new();
        let mut last = 0;
        for point in points {
            pieces.push(&body[last..point]);
            last = point;
        }
        pieces.push(&body[last..]);
        prop_assert_eq!(decode(p, &pieces).unwrap(), decode(p, &[&body]).unwrap());
    }

    #[test]
    fn random_bytes_never_panic_any_decoder(
        which in 0..STREAMS.len(),
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let (family, name) = STREAMS[which];
        let p = provider(family, &fixture(family, name));
        let _ = decode(p, &[&bytes]);
    }
}
