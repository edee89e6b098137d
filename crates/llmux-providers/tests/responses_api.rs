//! The `/v1/responses` bridge on bytes: Responses requests to Anthropic's and Gemini's
//! wire requests and chat answers back to Responses objects against fixtures
//! (`fixtures/responses_api/<case>.json`, insta snapshots), and Anthropic streams
//! through the Responses stream encoder on every split of their bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::collections::BTreeMap;

use bytes::Bytes;
use llmux_providers::anthropic::AnthropicStreamDecoder;
use llmux_providers::responses_api::{
    ResponseIds, ResponsesStreamEncoder, from_chat_response, response_shell, to_chat_request,
};
use llmux_providers::{ParseContext, Provider, Target};
use llmux_types::{ChatResponse, JsonMap, ResponseItem, ResponsesRequest, ResponsesStreamEvent};
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

fn wire(provider: Provider, model: &str, req: &ResponsesRequest) -> Value {
    let mut chat = to_chat_request(req, &[]).unwrap();
    chat.model = model.into();
    provider.prepare_chat_request(&mut chat, llmux_providers::Capabilities::default());
    let t = Target {
        model,
        api_base: Some("http://127.0.0.1:18765"),
        api_key: Some("fake-key"),
        max_output_tokens: Some(8192),
        ..Target::default()
    };
    request_snapshot(&provider.build_chat_request(&chat, &t).unwrap())
}

fn translate(fixture: &Value) -> Value {
    let req: ResponsesRequest = serde_json::from_value(fixture["request"].clone()).unwrap();
    let mut out = JsonMap::new();
    let chat = to_chat_request(&req, &[]).unwrap();
    out.insert("chat_request".into(), serde_json::to_value(&chat).unwrap());
    out.insert(
        "anthropic".into(),
        wire(Provider::Anthropic, "claude-3-5-haiku-20241022", &req),
    );
    out.insert(
        "gemini".into(),
        wire(Provider::Gemini, "gemini-2.5-flash", &req),
    );
    if let Some(answer) = fixture.get("chat_response") {
        let answer: ChatResponse = serde_json::from_value(answer.clone()).unwrap();
        let object = from_chat_response(
            &answer,
            &req,
            &ResponseIds::new("0123456789abcdef"),
            1_700_000_000,
            "group".into(),
        );
        out.insert("response".into(), serde_json::to_value(object).unwrap());
    }
    Value::Object(out)
}

#[test]
fn translations() {
    insta::glob!("fixtures/responses_api/*.json", |path| {
        let fixture: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        insta::assert_json_snapshot!(translate(&fixture));
    });
}

/// A follow-up turn: the stored history, then the new input, as one conversation.
#[test]
fn history_then_input_reaches_anthropic_as_one_conversation() {
    let history: Vec<ResponseItem> = serde_json::from_value(json!([
        {"type": "message", "role": "user", "content": "What's the weather in Paris?"},
        {"type": "function_call", "id": "fc_1", "call_id": "toolu_01", "name": "get_weather",
         "arguments": "{\"location\":\"Paris\"}", "status": "completed"}
    ]))
    .unwrap();
    let req: ResponsesRequest = serde_json::from_value(json!({"model": "m",
        "previous_response_id": "resp_1",
        "input": [{"type": "function_call_output", "call_id": "toolu_01", "output": "18C"}]}))
    .unwrap();
    let mut chat = to_chat_request(&req, &history).unwrap();
    chat.model = "claude-3-5-haiku-20241022".into();
    let t = Target {
        model: "claude-3-5-haiku-20241022",
        api_key: Some("k"),
        max_output_tokens: Some(8192),
        ..Target::default()
    };
    let wire = Provider::Anthropic.build_chat_request(&chat, &t).unwrap();
    let body: Value = serde_json::from_slice(wire.body()).unwrap();
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": [{"type": "text", "text": "What's the weather in Paris?"}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"location": "Paris"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": "18C"}]}
        ])
    );
}

fn anthropic_sse(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/anthropic/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let fixture: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    fixture["sse"].as_str().unwrap().to_owned()
}

/// Anthropic SSE bytes, in `pieces`, through the chat decoder and the Responses encoder.
fn encode(pieces: &[&[u8]]) -> Vec<ResponsesStreamEvent> {
    let req: ResponsesRequest =
        serde_json::from_value(json!({"model": "group", "input": "x", "stream": true})).unwrap();
    let ids = ResponseIds::new("0123456789abcdef");
    let shell = response_shell(&req, ids.response(), 1_700_000_000, "group".into());
    let mut encoder = ResponsesStreamEncoder::new(ids, shell);
    let mut decoder = AnthropicStreamDecoder::new(&CTX);
    let mut events = Vec::new();
    for piece in pieces {
        for chunk in decoder.feed(piece).unwrap() {
            events.extend(encoder.push(&chunk));
        }
    }
    for chunk in decoder.finish().unwrap() {
        events.extend(encoder.push(&chunk));
    }
    events.extend(encoder.finish());
    events
}

#[test]
fn anthropic_streams_as_response_events() {
    for name in ["stream", "stream_tools", "stream_thinking"] {
        let sse = anthropic_sse(name);
        insta::assert_json_snapshot!(format!("stream_{name}"), encode(&[sse.as_bytes()]));
    }
}

proptest! {
    #[test]
    fn any_split_gives_the_same_events(a in 0usize..4000, b in 0usize..4000) {
        for name in ["stream_tools", "stream_thinking"] {
            let sse = anthropic_sse(name);
            let bytes = sse.as_bytes();
            let (a, b) = (a.min(bytes.len()), b.min(bytes.len()));
            let (lo, hi) = (a.min(b), a.max(b));
            let whole = encode(&[bytes]);
            let split = encode(&[&bytes[..lo], &bytes[lo..hi], &bytes[hi..]]);
            prop_assert_eq!(whole, split);
        }
    }
}

/// Claude's signed thinking, streamed into a reasoning item, goes back to Claude signed
/// when the next turn replays the output.
#[test]
fn streamed_thinking_is_replayed_signed_on_the_next_turn() {
    let events = encode(&[anthropic_sse("stream_thinking").as_bytes()]);
    let last = serde_json::to_value(events.last().unwrap()).unwrap();
    let output: Vec<ResponseItem> =
        serde_json::from_value(last["response"]["output"].clone()).unwrap();
    let mut history: Vec<ResponseItem> =
        serde_json::from_value(json!([{"role": "user", "content": "3+3?"}])).unwrap();
    history.extend(output);
    let req: ResponsesRequest =
        serde_json::from_value(json!({"model": "m", "input": "And 4+4?"})).unwrap();
    let mut chat = to_chat_request(&req, &history).unwrap();
    chat.model = "claude-3-7-sonnet-20250219".into();
    let t = Target {
        model: "claude-3-7-sonnet-20250219",
        api_key: Some("k"),
        max_output_tokens: Some(8192),
        ..Target::default()
    };
    let wire = Provider::Anthropic.build_chat_request(&chat, &t).unwrap();
    let body: Value = serde_json::from_slice(wire.body()).unwrap();
    let assistant = &body["messages"][1];
    assert_eq!(assistant["role"], "assistant");
    assert_eq!(
        assistant["content"][0],
        json!({"type": "thinking", "thinking": "Three plus three is six.", "signature": "EqQBCgIYAhIM"})
    );
    assert_eq!(assistant["content"][1]["type"], "redacted_thinking");
    assert_eq!(assistant["content"][2]["text"], "6.");
}

/// The other direction: chat requests for `mode: responses` models to `/v1/responses`
/// bodies, and the Responses answers (whole and streamed) back to chat, against
/// `fixtures/responses_api_chat/<case>.json`.
mod chat_bridge {
    use super::*;
    use llmux_providers::responses_api::chat_bridge::{
        ResponsesChatStreamDecoder, build_chat_request, parse_chat_response,
    };
    use llmux_types::{ChatChunk, ChatRequest};

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/tests/fixtures/responses_api_chat/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    fn decode(pieces: &[&[u8]]) -> Vec<ChatChunk> {
        let mut d = ResponsesChatStreamDecoder::new(&CTX);
        let mut out = Vec::new();
        for piece in pieces {
            out.extend(d.feed(piece).unwrap());
        }
        out.extend(d.finish().unwrap());
        out
    }

    #[test]
    fn translations() {
        insta::glob!("fixtures/responses_api_chat/*.json", |path| {
            let f: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            let mut chat: ChatRequest = serde_json::from_value(f["request"].clone()).unwrap();
            Provider::OpenAi
                .prepare_chat_request(&mut chat, llmux_providers::Capabilities::default());
            let t = Target {
                model: &chat.model,
                api_base: Some("http://127.0.0.1:18765/v1"),
                api_key: Some("fake-key"),
                ..Target::default()
            };
            let wire = build_chat_request(Provider::OpenAi, &chat, &t, false).unwrap();
            let body = serde_json::to_vec(&f["response"]).unwrap();
            let response = parse_chat_response(&body, &CTX).unwrap();
            let sse = f["sse"].as_str().unwrap();
            insta::assert_json_snapshot!(json!({
                "request": request_snapshot(&wire),
                "response": response,
                "stream": decode(&[sse.as_bytes()]),
            }));
        });
    }

    /// The stream, assembled, says what the whole answer says.
    #[test]
    fn the_assembled_stream_matches_the_whole_answer() {
        let f = fixture("tools_reasoning");
        let chunks = decode(&[f["sse"].as_str().unwrap().as_bytes()]);
        let text: String = chunks
            .iter()
            .filter_map(|c| c.choices.first()?.delta.content.clone())
            .collect();
        let reasoning: String = chunks
            .iter()
            .filter_map(|c| c.choices.first()?.delta.reasoning_content.clone())
            .collect();
        let args: String = chunks
            .iter()
            .filter_map(|c| c.choices.first()?.delta.tool_calls.as_ref())
            .flatten()
            .filter_map(|t| t.function.as_ref()?.arguments.clone())
            .collect();
        let whole =
            parse_chat_response(&serde_json::to_vec(&f["response"]).unwrap(), &CTX).unwrap();
        let m = &whole.choices[0].message;
        assert_eq!(Some(text), m.content);
        assert_eq!(Some(reasoning), m.reasoning_content);
        assert_eq!(args, m.tool_calls.as_ref().unwrap()[0].function.arguments);
        let usage = chunks.iter().find_map(|c| c.usage.clone()).unwrap();
        assert_eq!(Some(usage), whole.usage);
    }

    #[test]
    fn a_stream_cut_before_its_terminal_event_is_an_error() {
        let f = fixture("incomplete");
        let sse = f["sse"].as_str().unwrap();
        let cut = sse.find("event: response.incomplete").unwrap();
        let mut d = ResponsesChatStreamDecoder::new(&CTX);
        d.feed(&sse.as_bytes()[..cut]).unwrap();
        assert!(d.finish().is_err());
        let failed = "event: response.failed\ndata: {\"type\":\"response.failed\",\"sequence_number\":1,\
                      \"response\":{\"status\":\"failed\",\"error\":{\"code\":\"rate_limit_exceeded\",\"message\":\"slow down\"}}}\n\n";
        let err = ResponsesChatStreamDecoder::new(&CTX)
            .feed(failed.as_bytes())
            .unwrap_err();
        assert_eq!(err.status.as_u16(), 429, "{err}");
    }

    proptest! {
        #[test]
        fn any_split_gives_the_same_chunks(a in 0usize..6000, b in 0usize..6000) {
            for name in ["tools_reasoning", "incomplete"] {
                let f = fixture(name);
                let bytes = f["sse"].as_str().unwrap().as_bytes();
                let (a, b) = (a.min(bytes.len()), b.min(bytes.len()));
                let (lo, hi) = (a.min(b), a.max(b));
                prop_assert_eq!(
                    decode(&[bytes]),
                    decode(&[&bytes[..lo], &bytes[lo..hi], &bytes[hi..]])
                );
            }
        }
    }
}
