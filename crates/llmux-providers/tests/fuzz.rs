#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! Property-based fuzzing (issue #7): no translator may panic on any input, whatever a
//! client or an upstream sends. cargo-fuzz needs nightly, so these are proptest runs:
//! bounded by `PROPTEST_CASES` (scripts/test.sh sets it), shrunk findings are kept in
//! `proptest-regressions/fuzz.txt` and replayed first on every run.
//!
//! Covered: every provider's chat/completion/embedding response parser, error mapper and
//! stream decoders (fed in arbitrary pieces), the Retry-After parser, the chat,
//! completions and embeddings request types and every provider's request builders on
//! them, the `/v1/messages` request translation, and the SSE framer.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use llmux_providers::anthropic::types::AnthropicRequest;
use llmux_providers::sse::SseParser;
use llmux_providers::{Capabilities, ParseContext, Provider, Target, messages_api, openai};
use llmux_types::{ChatRequest, CompletionRequest, EmbeddingRequest};
use proptest::prelude::*;
use serde_json::{Value, json};

const CTX: ParseContext<'static> = ParseContext {
    created: 1_700_000_000,
    response_id: "chatcmpl-fuzz",
};

/// One provider per wire family.
fn providers() -> Vec<Provider> {
    let mut all = vec![
        Provider::OpenAi,
        Provider::Azure,
        Provider::Anthropic,
        Provider::Gemini,
        Provider::VertexGemini,
        Provider::VertexAnthropic,
        Provider::Bedrock,
        Provider::BedrockInvoke,
        Provider::OllamaChat,
        Provider::Ollama,
        Provider::CohereChat,
        Provider::Cohere,
    ];
    all.extend(Provider::from_id("groq", "llama"));
    all.extend(Provider::from_id("mistral", "mistral-small"));
    all
}

/// Any JSON value, a few levels deep, with the words upstreams use as keys.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("choices".to_owned()),
        Just("message".to_owned()),
        Just("content".to_owned()),
        Just("delta".to_owned()),
        Just("role".to_owned()),
        Just("type".to_owned()),
        Just("text".to_owned()),
        Just("usage".to_owned()),
        Just("error".to_owned()),
        Just("candidates".to_owned()),
        Just("parts".to_owned()),
        Just("tool_calls".to_owned()),
        Just("function".to_owned()),
        Just("index".to_owned()),
        Just("data".to_owned()),
        Just("embedding".to_owned()),
        Just("output".to_owned()),
        Just("messages".to_owned()),
        Just("model".to_owned()),
        "[a-z_]{1,10}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![
            Just("user".to_owned()),
            Just("assistant".to_owned()),
            Just("tool".to_owned()),
            Just("text".to_owned()),
            Just("stop".to_owned()),
            Just("tool_use".to_owned()),
            ".{0,12}"
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Bytes an upstream might send: JSON, JSON cut anywhere, or noise.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        json_value().prop_map(|v| v.to_string().into_bytes()),
        (json_value(), any::<prop::sample::Index>()).prop_map(|(v, cut)| {
            let text = v.to_string().into_bytes();
            let at = cut.index(text.len() + 1);
            text[..at].to_vec()
        }),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

/// A stream body: SSE / NDJSON framed JSON values, or noise.
fn stream_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(json_value(), 0..5).prop_map(|events| {
            events
                .iter()
                .map(|e| format!("data: {e}\n\n"))
                .collect::<String>()
                .into_bytes()
        }),
        prop::collection::vec(json_value(), 0..5).prop_map(|events| {
            events
                .iter()
                .map(|e| {
                    format!(
                        "event: {}\ndata: {e}\n\n",
                        e["type"].as_str().unwrap_or("x")
                    )
                })
                .collect::<String>()
                .into_bytes()
        }),
        prop::collection::vec(json_value(), 0..5).prop_map(|lines| {
            lines
                .iter()
                .map(|e| format!("{e}\n"))
                .collect::<String>()
                .into_bytes()
        }),
        prop::collection::vec(any::<u8>(), 0..128),
    ]
}

fn headers() -> impl Strategy<Value = HeaderMap> {
    let name = prop_oneof![
        Just("retry-after"),
        Just("retry-after-ms"),
        Just("x-ratelimit-remaining-requests"),
        Just("x-ratelimit-reset-tokens"),
        Just("x-amzn-errortype"),
        Just("content-type"),
    ];
    let value = prop_oneof![
        Just("1e20".to_owned()),
        Just("-5".to_owned()),
        Just("NaN".to_owned()),
        Just("inf".to_owned()),
        Just("Wed, 21 Oct 2015 07:28:00 GMT".to_owned()),
        any::<f64>().prop_map(|f| f.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        "[ -~]{0,20}",
    ];
    prop::collection::vec((name, value), 0..4).prop_map(|pairs| {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.append(HeaderName::from_static(name), v);
            }
        }
        h
    })
}

/// Feeds `body` to `feed` in pieces cut at `cuts`, then calls `finish`.
fn in_pieces<E>(
    body: &[u8],
    cuts: &[prop::sample::Index],
    mut feed: impl FnMut(&[u8]) -> Result<(), E>,
    finish: impl FnOnce() -> Result<(), E>,
) {
    let mut at: Vec<usize> = cuts.iter().map(|c| c.index(body.len() + 1)).collect();
    at.sort_unstable();
    let mut last = 0;
    for cut in at {
        if feed(&body[last..cut]).is_err() {
            return;
        }
        last = cut;
    }
    if feed(&body[last..]).is_ok() {
        let _ = finish();
    }
}

fn target() -> Target<'static> {
    Target {
        model: "m",
        api_base: Some("http://127.0.0.1:1/v1"),
        api_key: Some("sk-fuzz"),
        api_version: Some("2024-02-01"),
        max_output_tokens: Some(4096),
        ..Target::default()
    }
}

/// A request-shaped JSON object with arbitrary values in known and unknown fields.
fn request_json(fields: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(fields), json_value()), 0..6).prop_map(|pairs| {
        let mut obj = json!({"model": "m"});
        for (k, v) in pairs {
            obj[k] = v;
        }
        obj
    })
}

const CHAT_FIELDS: &[&str] = &[
    "messages",
    "tools",
    "tool_choice",
    "temperature",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "n",
    "stream",
    "stream_options",
    "response_format",
    "reasoning_effort",
    "thinking",
    "logprobs",
    "top_logprobs",
    "seed",
    "user",
    "functions",
    "parallel_tool_calls",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    #[test]
    fn response_parsers_and_error_mappers_never_panic(
        body in body(),
        status in 100u16..600,
        headers in headers(),
    ) {
        let embed_req: EmbeddingRequest =
            serde_json::from_value(json!({"model": "m", "input": ["a", "b"]})).unwrap();
        for p in providers() {
            let _ = p.parse_chat_response(&body, &CTX);
            let _ = p.parse_completion_response(&body);
            let _ = p.parse_embedding_response(&body, &embed_req, false);
            let _ = p.parse_embedding_response(&body, &embed_req, true);
            if let Ok(status) = StatusCode::from_u16(status) {
                let _ = p.map_error(status, &headers, &body);
            }
        }
        let _ = messages_api::parse_count_tokens(&body);
        let _ = messages_api::restamp_message(&body, "m");
    }

    #[test]
    fn stream_decoders_never_panic(
        body in stream_body(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        for p in providers() {
            let mut d = p.stream_decoder(&CTX);
            let mut d2 = p.stream_decoder(&CTX);
            in_pieces(&body, &cuts, |b| d.feed(b).map(drop), || d2.finish().map(drop));
            let _ = d.finish();
            if let Ok(mut c) = p.completion_stream_decoder() {
                in_pieces(&body, &cuts, |b| c.feed(b).map(drop), || Ok(()));
                let _ = c.finish();
            }
        }
        let mut sse = SseParser::new();
        let mut out = Vec::new();
        in_pieces(&body, &cuts, |b| sse.feed(b, &mut out), || Ok(()));
        let _ = sse.finish(&mut out);
        let mut relay = messages_api::MessageStartRestamper::new("m");
        in_pieces(
            &body,
            &cuts,
            |b| {
                relay.feed(Bytes::copy_from_slice(b));
                Ok::<_, ()>(())
            },
            || Ok(()),
        );
        relay.finish();
        // The native relay's check passes on a prefix of what it is fed, never more.
        let mut check = messages_api::RelayCheck::new();
        let mut relayed = Vec::new();
        in_pieces(&body, &cuts, |b| check.feed(b, &mut relayed), || Ok(()));
        let _ = check.finish(&mut relayed);
        prop_assert!(relayed.len() <= body.len() + 2);
    }

    #[test]
    fn retry_after_never_panics(headers in headers()) {
        if let Some(d) = openai::retry_after(&headers) {
            prop_assert!(d.as_secs_f64().is_finite());
        }
    }

    #[test]
    fn chat_requests_never_panic_a_request_builder(raw in request_json(CHAT_FIELDS)) {
        let Ok(req) = serde_json::from_value::<ChatRequest>(raw) else { return Ok(()) };
        for p in providers() {
            let mut req = req.clone();
            p.prepare_chat_request(&mut req, Capabilities {
                function_calling: true,
                reasoning: true,
                web_search: false,
                catalog: true,
            });
            let _ = p.build_chat_request(&req, &target());
        }
    }

    #[test]
    fn completion_and_embedding_requests_never_panic_a_request_builder(
        completion in request_json(&["prompt", "max_tokens", "stop", "n", "echo", "suffix", "logprobs"]),
        embedding in request_json(&["input", "dimensions", "encoding_format", "user"]),
    ) {
        let completion = serde_json::from_value::<CompletionRequest>(completion).ok();
        let embedding = serde_json::from_value::<EmbeddingRequest>(embedding).ok();
        for p in providers() {
            if let Some(req) = &completion {
                let _ = p.build_completion_request(req, &target());
            }
            if let Some(req) = &embedding {
                let _ = p.build_embedding_request(req, &target());
            }
        }
    }

    #[test]
    fn messages_requests_never_panic_the_translation(
        raw in request_json(&["messages", "system", "tools", "tool_choice", "max_tokens",
            "thinking", "stop_sequences", "metadata", "temperature", "top_k"]),
    ) {
        let Ok(req) = serde_json::from_value::<AnthropicRequest>(raw) else { return Ok(()) };
        let translation = messages_api::to_chat_request(req, "m");
        for p in providers() {
            let _ = p.build_chat_request(&translation.request, &target());
        }
    }
}

/// The first finding (shrunk): Gemini token counts near `u64::MAX` overflowed the usage
/// sums (a panic in debug builds, a wrapped count in release).
#[test]
fn gemini_usage_with_huge_counts_does_not_overflow() {
    let body = br#"[[],[1543688029976470614,16903056043733081002]]"#;
    for p in [Provider::Gemini, Provider::VertexGemini] {
        let _ = p.parse_chat_response(body, &CTX);
    }
    let huge = json!({
        "candidates": [{"content": {"parts": [{"text": "x"}], "role": "model"}, "finishReason": "STOP"}],
        "usageMetadata": {
            "promptTokenCount": u64::MAX, "candidatesTokenCount": u64::MAX,
            "toolUsePromptTokenCount": u64::MAX, "thoughtsTokenCount": u64::MAX,
            "totalTokenCount": 1
        }
    });
    let parsed = Provider::Gemini
        .parse_chat_response(huge.to_string().as_bytes(), &CTX)
        .unwrap();
    assert_eq!(parsed.usage.unwrap().prompt_tokens, u64::MAX, "saturated");
}

/// `PROPTEST_CASES` if set (the test script bounds the run with it), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
