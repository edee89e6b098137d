//! Micro-benchmarks of the per-request translation work of llmux: everything the gateway
//! does to a chat request and its answer apart from network I/O.
//!
//! All inputs are fixed byte strings (the upstream answers are the exact bodies of the
//! fake upstream in `shared/bench/upstream.py`), so the figures can be set next to the
//! gateway's CPU-µs/request from the load harness. Run with
//!
//! ```text
//! cargo bench -p llmux --bench translate -- --warm-up-time 1 --measurement-time 3
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmarks fail loudly"
)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use llmux::{CallOptions, ChatRequest, ChatResponse, Deployment};

/// A typical client body: system + user turns, two function tools, sampling parameters.
const CLIENT_REQUEST: &[u8] = br#"{
  "model": "bench-fast",
  "messages": [
    {"role": "system", "content": "You are a concise assistant for a travel booking site. Answer in at most three sentences. Use the tools when the user asks about weather or flights; never invent prices."},
    {"role": "user", "content": "I am flying from Lisbon to Berlin next Tuesday morning. What will the weather be like when I land, and is there an earlier flight than the 09:40 one?"}
  ],
  "tools": [
    {"type": "function", "function": {
      "name": "get_weather",
      "description": "Current weather and a 3-day forecast for a city",
      "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "City name, e.g. Berlin"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "date": {"type": "string", "format": "date"}
      }, "required": ["city"]}
    }},
    {"type": "function", "function": {
      "name": "search_flights",
      "description": "Search scheduled flights between two airports on a date",
      "parameters": {"type": "object", "properties": {
        "from": {"type": "string", "description": "IATA code of the departure airport"},
        "to": {"type": "string", "description": "IATA code of the arrival airport"},
        "date": {"type": "string", "format": "date"},
        "depart_before": {"type": "string", "description": "HH:MM local time"}
      }, "required": ["from", "to", "date"]}
    }}
  ],
  "tool_choice": "auto",
  "temperature": 0.2,
  "max_tokens": 256,
  "user": "user-4711"
}"#;

/// The fake upstream's `POST /v1/chat/completions` answer (468 bytes).
const UPSTREAM_RESPONSE: &[u8] = br#"{"id":"chatcmpl-bench0000000000000000000001","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_bench","choices":[{"index":0,"message":{"role":"assistant","content":"This is a canned benchmark answer from the fake upstream. It is about forty tokens long so that the gateway has some text to carry.","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":25,"completion_tokens":40,"total_tokens":65}}"#;

const CHUNK_HEAD: &str = r#"data: {"id":"chatcmpl-bench0000000000000000000002","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_bench","choices":"#;

/// Parse context as the client builds it per call (fixed here: benches are deterministic).
const CTX: llmux::ParseContext<'static> = llmux::ParseContext {
    created: 1_700_000_000,
    response_id: "chatcmpl-bench",
};

/// The shared harness's Anthropic answer (bench/upstream.py), as `/v1/messages` returns it.
const ANTHROPIC_RESPONSE: &[u8] = br#"{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"text","text":"Hello! This is a benchmark response from the fake Anthropic upstream."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":16,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}"#;

/// The fake upstream's SSE body: role chunk, 20 content chunks, finish chunk, usage
/// chunk, `data: [DONE]` (22 chat chunks + usage).
fn upstream_stream() -> Vec<u8> {
    let mut s = String::new();
    let mut event = |choices: &str| {
        s.push_str(CHUNK_HEAD);
        s.push_str(choices);
        s.push_str("}\n\n");
    };
    event(
        r#"[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]"#,
    );
    for i in 0..20 {
        event(&format!(
            r#"[{{"index":0,"delta":{{"content":"tok{i} "}},"logprobs":null,"finish_reason":null}}]"#
        ));
    }
    event(r#"[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]"#);
    event(r#"[],"usage":{"prompt_tokens":25,"completion_tokens":20,"total_tokens":45}"#);
    s.push_str("data: [DONE]\n\n");
    s.into_bytes()
}

/// The deployment behind `bench-fast`, resolved once as the gateway does at start.
fn deployment() -> Deployment {
    Deployment::from_options(
        "openai/gpt-4o-mini",
        &CallOptions {
            api_key: Some("sk-x".into()),
            api_base: Some("http://127.0.0.1:1/v1".into()),
            ..Default::default()
        },
    )
    .expect("deployment resolves")
}

/// The client request as the gateway hands it to the adapter: model rewritten to the
/// provider-side name.
fn provider_request(dep: &Deployment) -> ChatRequest {
    let mut req: ChatRequest = serde_json::from_slice(CLIENT_REQUEST).expect("request parses");
    req.model.clone_from(&dep.model);
    req
}

fn bench_request(c: &mut Criterion) {
    let dep = deployment();
    let req = provider_request(&dep);

    let mut g = c.benchmark_group("request");
    g.throughput(Throughput::Bytes(CLIENT_REQUEST.len() as u64));
    g.bench_function("parse_client_body", |b| {
        b.iter(|| serde_json::from_slice::<ChatRequest>(black_box(CLIENT_REQUEST)).unwrap());
    });
    // Floor for comparison: the same bytes into an untyped `serde_json::Value`.
    g.bench_function("parse_client_body_as_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(CLIENT_REQUEST)).unwrap());
    });
    g.bench_function("build_upstream_openai", |b| {
        b.iter(|| {
            dep.provider
                .build_chat_request(black_box(&req), &dep.target(None))
                .unwrap()
        });
    });
    g.finish();
}

fn bench_response(c: &mut Criterion) {
    let dep = deployment();
    let resp = dep
        .provider
        .parse_chat_response(UPSTREAM_RESPONSE, &CTX)
        .unwrap();

    let mut g = c.benchmark_group("response");
    g.throughput(Throughput::Bytes(UPSTREAM_RESPONSE.len() as u64));
    g.bench_function("parse_upstream_openai", |b| {
        b.iter(|| {
            dep.provider
                .parse_chat_response(black_box(UPSTREAM_RESPONSE), &CTX)
                .unwrap()
        });
    });
    g.bench_function("parse_upstream_as_value", |b| {
        b.iter(|| {
            serde_json::from_slice::<serde_json::Value>(black_box(UPSTREAM_RESPONSE)).unwrap()
        });
    });
    g.bench_function("serialize_client_body", |b| {
        b.iter(|| serde_json::to_vec(black_box(&resp)).unwrap());
    });
    g.finish();
}

fn bench_stream(c: &mut Criterion) {
    let dep = deployment();
    let body = upstream_stream();
    // The same body as the separate events a socket read would typically deliver.
    let mut events: Vec<&[u8]> = Vec::new();
    let mut start = 0;
    for end in 1..body.len() {
        if body[end - 1] == b'\n' && body[end] == b'\n' {
            events.push(&body[start..=end]);
            start = end + 1;
        }
    }
    assert_eq!(start, body.len(), "body ends with a blank line");
    let mut check = dep.provider.stream_decoder(&CTX);
    let mut chunks = check.feed(&body).unwrap();
    chunks.extend(check.finish().unwrap());
    assert_eq!(
        chunks.len(),
        23,
        "role + 20 content + finish + usage chunks"
    );

    let mut g = c.benchmark_group("stream");
    g.throughput(Throughput::Elements(chunks.len() as u64));
    g.bench_function("decode_23_chunks_one_read", |b| {
        b.iter(|| {
            let mut d = dep.provider.stream_decoder(&CTX);
            let mut out = d.feed(black_box(&body)).unwrap();
            out.extend(d.finish().unwrap());
            out
        });
    });
    g.bench_function("decode_23_chunks_per_event_reads", |b| {
        b.iter(|| {
            let mut d = dep.provider.stream_decoder(&CTX);
            let mut n = 0;
            for e in &events {
                n += d.feed(black_box(e)).unwrap().len();
            }
            n + d.finish().unwrap().len()
        });
    });
    g.bench_function("encode_23_chunks_sse", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(body.len());
            for chunk in black_box(&chunks) {
                out.extend_from_slice(b"data: ");
                serde_json::to_writer(&mut out, chunk).unwrap();
                out.extend_from_slice(b"\n\n");
            }
            out.extend_from_slice(b"data: [DONE]\n\n");
            out
        });
    });
    g.finish();
}

/// Parse, build, parse the answer and serialise it: the translation share of one
/// non-streamed gateway request.
/// The OpenAI → Anthropic → OpenAI translation of `bench-anthropic`, next to the plain
/// OpenAI path: the issue's ≤ 30 % budget can be checked here first.
fn bench_anthropic(c: &mut Criterion) {
    let dep = Deployment::from_options(
        "anthropic/claude-haiku-4-5",
        &CallOptions {
            api_key: Some("sk-ant-x".into()),
            api_base: Some("http://127.0.0.1:1/anthropic".into()),
            ..Default::default()
        },
    )
    .expect("deployment resolves");
    let req = provider_request(&dep);
    let mut g = c.benchmark_group("anthropic");
    g.bench_function("build_upstream_anthropic", |b| {
        b.iter(|| {
            dep.provider
                .build_chat_request(black_box(&req), &dep.target(None))
                .unwrap()
        });
    });
    g.bench_function("parse_upstream_anthropic", |b| {
        b.iter(|| {
            dep.provider
                .parse_chat_response(black_box(ANTHROPIC_RESPONSE), &CTX)
                .unwrap()
        });
    });
    g.finish();
}

fn bench_round_trip(c: &mut Criterion) {
    let dep = deployment();
    let mut g = c.benchmark_group("round_trip");
    g.throughput(Throughput::Elements(1));
    g.bench_function("chat_non_stream", |b| {
        b.iter(|| {
            let mut req: ChatRequest = serde_json::from_slice(black_box(CLIENT_REQUEST)).unwrap();
            req.model.clone_from(&dep.model);
            let upstream = dep
                .provider
                .build_chat_request(&req, &dep.target(None))
                .unwrap();
            black_box(upstream);
            let resp: ChatResponse = dep
                .provider
                .parse_chat_response(black_box(UPSTREAM_RESPONSE), &CTX)
                .unwrap();
            serde_json::to_vec(&resp).unwrap()
        });
    });
    g.finish();
}

criterion_group!(
    benches,
    bench_request,
    bench_response,
    bench_stream,
    bench_anthropic,
    bench_round_trip
);
criterion_main!(benches);
