//! One test per route.

use std::time::{Duration, Instant};

use llmux_mock::MockServer;
use serde_json::{Value, json};

use crate::common::{TEXT, anthropic_body, chat_body, get, post, post_raw, read_stream};

fn weather_tool() -> Value {
    json!({
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {"type": "string"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "note": {"type": "string"}
                },
                "required": ["location"]
            }
        }
    })
}

fn time_tool() -> Value {
    json!({
        "type": "function",
        "function": {
            "name": "get_time",
            "parameters": {
                "type": "object",
                "properties": {"zone": {"type": "string"}, "offset": {"type": "integer"}},
                "required": ["zone", "offset"]
            }
        }
    })
}

#[tokio::test]
async fn chat_completion_json() {
    let server = MockServer::start().await.unwrap();
    let reply = post(&server, "/v1/chat/completions", &chat_body()).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let expected = json!({
        "id": "chatcmpl-mock0001",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": TEXT, "refusal": null, "annotations": []},
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {
            "prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0, "audio_tokens": 0,
                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0
            }
        },
        "service_tier": "default",
        "system_fingerprint": "fp_mock"
    });
    assert_eq!(reply.json(), expected);
}

#[tokio::test]
async fn chat_model_is_escaped_and_prefixes_work() {
    let server = MockServer::start().await.unwrap();
    let body = json!({"model": "we\"ird/model", "messages": []});
    for path in [
        "/chat/completions",
        "/openai/v1/chat/completions/",
        "/openai/deployments/dep/chat/completions?api-version=2024-10-21",
    ] {
        let reply = post(&server, path, &body).await;
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.json()["model"], "we\"ird/model");
    }
    let reply = post(&server, "/v1/chat/completions", &json!({"messages": []})).await;
    assert_eq!(reply.json()["model"], "gpt-4o-mini");
}

#[tokio::test]
async fn chat_n_choices() {
    let server = MockServer::start().await.unwrap();
    let mut body = chat_body();
    body["n"] = json!(2);
    let reply = post(&server, "/v1/chat/completions", &body).await.json();
    let choices = reply["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 2);
    for (i, choice) in choices.iter().enumerate() {
        assert_eq!(choice["index"], i);
        assert_eq!(choice["message"]["content"], TEXT);
    }
}

#[tokio::test]
async fn chat_tool_calls() {
    let server = MockServer::start().await.unwrap();
    let mut body = chat_body();
    body["tools"] = json!([weather_tool(), time_tool()]);
    let reply = post(&server, "/v1/chat/completions", &body).await.json();
    let choice = &reply["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    assert_eq!(
        choice["message"]["tool_calls"],
        json!([{
            "id": "call_mock_0",
            "type": "function",
            "function": {"name": "get_weather", "arguments": "{\"location\":\"Paris\",\"unit\":\"celsius\"}"}
        }])
    );

    body["tool_choice"] = json!({"type": "function", "function": {"name": "get_time"}});
    let reply = post(&server, "/v1/chat/completions", &body).await.json();
    let call = &reply["choices"][0]["message"]["tool_calls"][0]["function"];
    assert_eq!(call["name"], "get_time");
    assert_eq!(call["arguments"], "{\"zone\":\"x\",\"offset\":42}");

    body["tool_choice"] = json!("none");
    let reply = post(&server, "/v1/chat/completions", &body).await.json();
    assert_eq!(reply["choices"][0]["message"]["content"], TEXT);

    body["tool_choice"] = json!("auto");
    body["messages"] = json!([
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "call_mock_0", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_mock_0", "content": "sunny"}
    ]);
    let reply = post(&server, "/v1/chat/completions", &body).await.json();
    assert_eq!(reply["choices"][0]["message"]["content"], TEXT);
    assert_eq!(reply["choices"][0]["finish_reason"], "stop");
}

fn stream_content(chunks: &[Value]) -> String {
    chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect()
}

#[tokio::test]
async fn chat_stream_without_usage() {
    let server = MockServer::start().await.unwrap();
    let mut body = chat_body();
    body["stream"] = json!(true);
    let reply = post(&server, "/v1/chat/completions", &body).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    assert!(reply.text().ends_with("data: [DONE]\n\n"));
    let chunks = reply.sse_data();
    assert_eq!(chunks.len(), 5);
    assert_eq!(
        chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": ""})
    );
    let pieces: Vec<&str> = chunks[1..4]
        .iter()
        .map(|c| c["choices"][0]["delta"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(pieces, ["Hello", "! How can", " I help you today?"]);
    assert_eq!(stream_content(&chunks), TEXT);
    assert_eq!(chunks[4]["choices"][0]["delta"], json!({}));
    assert_eq!(chunks[4]["choices"][0]["finish_reason"], "stop");
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["model"], "gpt-4o");
        assert_eq!(chunk["id"], "chatcmpl-mock0001");
        assert!(chunk.get("usage").is_none());
    }
}

#[tokio::test]
async fn chat_stream_with_usage() {
    let server = MockServer::start().await.unwrap();
    let mut body = chat_body();
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let chunks = post(&server, "/v1/chat/completions", &body)
        .await
        .sse_data();
    assert_eq!(chunks.len(), 6);
    for chunk in &chunks[..5] {
        assert_eq!(chunk["usage"], Value::Null);
        assert!(chunk.get("usage").is_some());
    }
    let last = &chunks[5];
    assert_eq!(last["choices"], json!([]));
    assert_eq!(last["usage"]["total_tokens"], 21);
    assert_eq!(stream_content(&chunks), TEXT);
}

#[tokio::test]
async fn chat_stream_n2_and_tools() {
    let server = MockServer::start().await.unwrap();
    let mut body = chat_body();
    body["stream"] = json!(true);
    body["n"] = json!(2);
    let chunks = post(&server, "/v1/chat/completions", &body)
        .await
        .sse_data();
    assert_eq!(chunks.len(), 10);
    for index in 0..2 {
        let text: String = chunks
            .iter()
            .map(|c| &c["choices"][0])
            .filter(|c| c["index"] == index)
            .filter_map(|c| c["delta"]["content"].as_str())
            .collect();
        assert_eq!(text, TEXT);
    }

    body["n"] = json!(1);
    body["tools"] = json!([weather_tool()]);
    let chunks = post(&server, "/v1/chat/completions", &body)
        .await
        .sse_data();
    let first = &chunks[0]["choices"][0]["delta"]["tool_calls"][0];
    assert_eq!(first["id"], "call_mock_0");
    assert_eq!(first["function"]["name"], "get_weather");
    assert_eq!(first["function"]["arguments"], "");
    let args: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str())
        .collect();
    assert_eq!(args, "{\"location\":\"Paris\",\"unit\":\"celsius\"}");
    assert_eq!(chunks.len(), 4);
    assert_eq!(chunks[3]["choices"][0]["finish_reason"], "tool_calls");
}

#[tokio::test]
async fn text_completion_json_and_stream() {
    let server = MockServer::start().await.unwrap();
    let body = json!({"model": "gpt-3.5-turbo-instruct", "prompt": "Say hi"});
    let reply = post(&server, "/v1/completions", &body).await.json();
    assert_eq!(reply["object"], "text_completion");
    assert_eq!(reply["model"], "gpt-3.5-turbo-instruct");
    assert_eq!(
        reply["choices"],
        json!([{"text": TEXT, "index": 0, "logprobs": null, "finish_reason": "stop"}])
    );
    assert_eq!(reply["usage"]["total_tokens"], 21);

    let body = json!({"model": "m", "prompt": "x", "stream": true, "stream_options": {"include_usage": true}});
    let reply = post(&server, "/v1/completions", &body).await;
    assert!(reply.text().ends_with("data: [DONE]\n\n"));
    let chunks = reply.sse_data();
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["text"].as_str())
        .collect();
    assert_eq!(text, TEXT);
    assert_eq!(chunks[3]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks[4]["choices"], json!([]));
    assert_eq!(chunks[4]["usage"]["completion_tokens"], 9);
}

fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for byte in text.bytes().filter(|b| *b != b'=') {
        let value = ALPHABET.iter().position(|a| *a == byte).unwrap() as u32;
        acc = acc << 6 | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

#[tokio::test]
async fn embeddings_float_and_base64() {
    let server = MockServer::start().await.unwrap();
    let body = json!({"model": "text-embedding-3-small", "input": ["a", "b"]});
    let reply = post(&server, "/v1/embeddings", &body).await.json();
    assert_eq!(reply["object"], "list");
    assert_eq!(reply["model"], "text-embedding-3-small");
    assert_eq!(
        reply["usage"],
        json!({"prompt_tokens": 10, "total_tokens": 10})
    );
    let data = reply["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[1]["object"], "embedding");
    assert_eq!(data[1]["index"], 1);
    assert_eq!(
        data[0]["embedding"],
        json!([0.5, -0.25, 0.125, 1.0, -0.5, 0.75, 0.0625, -1.0])
    );
    assert_eq!(data[1]["embedding"][0], json!(0.5078125));

    let body =
        json!({"model": "e", "input": "hello", "dimensions": 3, "encoding_format": "base64"});
    let reply = post(&server, "/v1/embeddings", &body).await.json();
    let encoded = reply["data"][0]["embedding"].as_str().unwrap();
    let floats: Vec<f32> = base64_decode(encoded)
        .chunks(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(floats, [0.5, -0.25, 0.125]);
    assert_eq!(reply["usage"]["prompt_tokens"], 5);

    let tokens = post(&server, "/v1/embeddings", &json!({"input": [1, 2, 3]}))
        .await
        .json();
    assert_eq!(tokens["data"].as_array().unwrap().len(), 1);
    let token_lists = post(
        &server,
        "/v1/embeddings",
        &json!({"input": [[1], [2], [3]]}),
    )
    .await;
    assert_eq!(token_lists.json()["data"].as_array().unwrap().len(), 3);

    for bad in [
        json!({"input": []}),
        json!({"input": 5}),
        json!({"model": "x"}),
    ] {
        let reply = post(&server, "/v1/embeddings", &bad).await;
        assert_eq!(reply.status, 400, "{bad}");
        assert_eq!(reply.json()["error"]["type"], "invalid_request_error");
    }
}

fn anthropic_tool() -> Value {
    json!({
        "name": "get_weather",
        "description": "weather",
        "input_schema": {
            "type": "object",
            "properties": {"location": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["location", "days"]
        }
    })
}

#[tokio::test]
async fn anthropic_messages_json() {
    let server = MockServer::start().await.unwrap();
    let reply = post(&server, "/v1/messages", &anthropic_body()).await;
    assert_eq!(reply.status, 200);
    let expected = json!({
        "id": "msg_mock01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": TEXT}],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": {"input_tokens": 12, "output_tokens": 9, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    });
    assert_eq!(reply.json(), expected);
}

#[tokio::test]
async fn anthropic_messages_tools() {
    let server = MockServer::start().await.unwrap();
    let mut body = anthropic_body();
    body["tools"] =
        json!([anthropic_tool(), {"name": "other", "input_schema": {"type": "object"}}]);
    let reply = post(&server, "/v1/messages", &body).await.json();
    assert_eq!(reply["stop_reason"], "tool_use");
    assert_eq!(
        reply["content"],
        json!([
            {"type": "text", "text": "Let me look that up."},
            {"type": "tool_use", "id": "toolu_mock01", "name": "get_weather", "input": {"location": "Paris", "days": 42}}
        ])
    );

    body["tool_choice"] = json!({"type": "tool", "name": "other"});
    let reply = post(&server, "/v1/messages", &body).await.json();
    assert_eq!(reply["content"][1]["name"], "other");
    assert_eq!(reply["content"][1]["input"], json!({}));

    body["tool_choice"] = json!({"type": "auto"});
    body["messages"] = json!([
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_mock01", "name": "get_weather", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_mock01", "content": "sunny"}]}
    ]);
    let reply = post(&server, "/v1/messages", &body).await.json();
    assert_eq!(reply["stop_reason"], "end_turn");
    assert_eq!(reply["content"][0]["text"], TEXT);
}

#[tokio::test]
async fn anthropic_messages_stream() {
    let server = MockServer::start().await.unwrap();
    let mut body = anthropic_body();
    body["stream"] = json!(true);
    let reply = post(&server, "/v1/messages", &body).await;
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    assert_eq!(
        reply.sse_events(),
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let data = reply.sse_data();
    let names: Vec<&str> = data.iter().map(|d| d["type"].as_str().unwrap()).collect();
    assert_eq!(names, reply.sse_events());
    assert_eq!(data[0]["message"]["model"], "claude-sonnet-4-5");
    assert_eq!(data[0]["message"]["content"], json!([]));
    assert_eq!(
        data[1]["content_block"],
        json!({"type": "text", "text": ""})
    );
    let text: String = data
        .iter()
        .filter(|d| d["delta"]["type"] == "text_delta")
        .map(|d| d["delta"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, TEXT);
    assert_eq!(
        data[7]["delta"],
        json!({"stop_reason": "end_turn", "stop_sequence": null})
    );
    assert_eq!(data[7]["usage"]["output_tokens"], 9);

    body["tools"] = json!([anthropic_tool()]);
    let reply = post(&server, "/v1/messages", &body).await;
    let data = reply.sse_data();
    let start = data
        .iter()
        .find(|d| d["type"] == "content_block_start" && d["index"] == 1)
        .unwrap();
    assert_eq!(
        start["content_block"],
        json!({"type": "tool_use", "id": "toolu_mock01", "name": "get_weather", "input": {}})
    );
    let json: String = data
        .iter()
        .filter(|d| d["delta"]["type"] == "input_json_delta")
        .map(|d| d["delta"]["partial_json"].as_str().unwrap())
        .collect();
    assert_eq!(json, "{\"location\":\"Paris\",\"days\":42}");
    let delta = data.iter().find(|d| d["type"] == "message_delta").unwrap();
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    assert_eq!(reply.sse_events().last().unwrap(), "message_stop");
}

#[tokio::test]
async fn models_health_and_unknown() {
    let server = MockServer::start().await.unwrap();
    let models = get(&server, "/v1/models").await;
    assert_eq!(
        models.json(),
        json!({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model", "created": 1700000000, "owned_by": "mock"}]})
    );
    let health = get(&server, "/health").await;
    assert_eq!(
        (health.status, health.json()),
        (200, json!({"status": "ok"}))
    );
    let unknown = post(&server, "/v1/nope", &json!({})).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"]["code"], "unknown_url");
    assert_eq!(get(&server, "/v1/chat/completions").await.status, 404);
}

#[tokio::test]
async fn malformed_bodies_get_400() {
    let server = MockServer::start().await.unwrap();
    for path in ["/v1/chat/completions", "/v1/completions", "/v1/embeddings"] {
        for body in [
            "{not json",
            "[1,2]",
            r#"{"model": 5}"#,
            r#"{"messages": "x"}"#,
        ] {
            let reply = post_raw(&server, path, body.to_owned()).await;
            assert_eq!(reply.status, 400, "{path} {body}");
            assert_eq!(reply.json()["error"]["type"], "invalid_request_error");
        }
    }
    let reply = post_raw(&server, "/v1/messages", "{".to_owned()).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["type"], "error");
    assert_eq!(reply.json()["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn records_requests() {
    let server = MockServer::start().await.unwrap();
    post(
        &server,
        "/openai/deployments/d/chat/completions?api-version=x",
        &chat_body(),
    )
    .await;
    get(&server, "/v1/models").await;
    get(&server, "/health").await;
    post(&server, "/error/500/v1/messages", &anthropic_body()).await;
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, "/openai/deployments/d/chat/completions");
    assert_eq!(first.query.as_deref(), Some("api-version=x"));
    assert_eq!(first.header("Authorization"), Some("Bearer sk-test"));
    assert!(first.headers.iter().any(|(n, _)| n == "content-type"));
    assert_eq!(first.json().unwrap(), chat_body());
    assert_eq!(requests[1].path, "/error/500/v1/messages");
    server.clear();
    assert!(server.requests().is_empty());
    server.set_recording(false);
    post(&server, "/v1/chat/completions", &chat_body()).await;
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn drop_stops_the_server() {
    let server = MockServer::start().await.unwrap();
    let addr = server.addr();
    assert_eq!(server.url(), format!("http://{addr}"));
    drop(server);
    let deadline = Instant::now() + Duration::from_secs(5);
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(Instant::now() < deadline, "server still accepting");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn router_is_usable_directly() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, llmux_mock::router()).await });
    let reply = reqwest::get(format!("http://{addr}/health")).await.unwrap();
    assert_eq!(reply.status().as_u16(), 200);
}

#[tokio::test]
async fn streams_arrive_in_pieces_and_complete() {
    let server = MockServer::start().await.unwrap();
    let mut body = chat_body();
    body["stream"] = json!(true);
    let (text, failed) = read_stream(&server, "/v1/chat/completions", &body).await;
    assert!(!failed);
    assert!(text.ends_with("data: [DONE]\n\n"));
}
