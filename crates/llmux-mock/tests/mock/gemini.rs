//! The Gemini routes: generateContent, streamGenerateContent (CRLF SSE), embeddings,
//! Vertex predict, and the controls in Gemini's error shape.

use llmux_mock::MockServer;
use serde_json::{Value, json};

use crate::common::{TEXT, post, read_stream};

const GENERATE: &str = "/v1beta/models/gemini-2.5-flash:generateContent";
const STREAM: &str = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse";

fn hello() -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
}

fn with_tools(config: Value) -> Value {
    json!({
        "contents": [{"role": "user", "parts": [{"text": "weather?"}]}],
        "tools": [{"function_declarations": [
            {"name": "get_weather", "parameters": {"type": "object",
                "properties": {"location": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                "required": ["location"]}},
            {"name": "get_time", "parameters": {"type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]}}
        ]}],
        "toolConfig": config
    })
}

/// The JSON of each `data:` line of a CRLF stream.
fn gemini_events(text: &str) -> Vec<Value> {
    assert!(text.ends_with("\r\n\r\n"), "CRLF framing: {text:?}");
    text.split("\r\n\r\n")
        .filter(|e| !e.is_empty())
        .map(|e| serde_json::from_str(e.strip_prefix("data: ").unwrap()).unwrap())
        .collect()
}

fn stream_text(events: &[Value]) -> String {
    events
        .iter()
        .filter_map(|e| e["candidates"][0]["content"]["parts"][0]["text"].as_str())
        .collect()
}

#[tokio::test]
async fn generate_content_answers_text_with_usage() {
    let server = MockServer::start().await.unwrap();
    let reply = post(&server, GENERATE, &hello()).await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(
        body,
        json!({
            "candidates": [{"content": {"parts": [{"text": TEXT}], "role": "model"}, "index": 0, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 9, "totalTokenCount": 21,
                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 12}]},
            "modelVersion": "gemini-2.5-flash",
            "responseId": "mock-gemini-01"
        })
    );
    let vertex = post(
        &server,
        "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent",
        &json!({"contents": [], "generationConfig": {"candidateCount": 2}}),
    )
    .await;
    let body = vertex.json();
    assert_eq!(body["modelVersion"], "gemini-2.0-flash");
    assert_eq!(body["candidates"].as_array().unwrap().len(), 2);
    assert_eq!(body["candidates"][1]["index"], 1);
}

#[tokio::test]
async fn generate_content_calls_declared_functions() {
    let server = MockServer::start().await.unwrap();
    let first = post(
        &server,
        GENERATE,
        &with_tools(json!({"functionCallingConfig": {"mode": "AUTO"}})),
    )
    .await;
    assert_eq!(
        first.json()["candidates"][0]["content"]["parts"],
        json!([{"functionCall": {"name": "get_weather", "args": {"location": "Paris", "unit": "celsius"}}}])
    );
    let forced = post(
        &server,
        GENERATE,
        &with_tools(json!({"function_calling_config": {"mode": "ANY", "allowed_function_names": ["get_time"]}})),
    )
    .await;
    assert_eq!(
        forced.json()["candidates"][0]["content"]["parts"][0]["functionCall"],
        json!({"name": "get_time", "args": {"timezone": "x"}})
    );
    let none = post(
        &server,
        GENERATE,
        &with_tools(json!({"functionCallingConfig": {"mode": "NONE"}})),
    )
    .await;
    assert_eq!(
        none.json()["candidates"][0]["content"]["parts"][0]["text"],
        TEXT
    );
    let mut answered = with_tools(Value::Null);
    answered["contents"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "user", "parts": [{"function_response": {"name": "get_weather", "response": {"t": 1}}}]}));
    let after = post(&server, GENERATE, &answered).await;
    assert_eq!(
        after.json()["candidates"][0]["content"]["parts"][0]["text"],
        TEXT
    );
}

#[tokio::test]
async fn stream_generate_content_is_crlf_sse() {
    let server = MockServer::start().await.unwrap();
    let (text, broken) = read_stream(&server, STREAM, &hello()).await;
    assert!(!broken);
    let events = gemini_events(&text);
    assert_eq!(events.len(), 4);
    assert_eq!(stream_text(&events), TEXT);
    assert!(
        events[..3]
            .iter()
            .all(|e| e["candidates"][0].get("finishReason").is_none())
    );
    assert_eq!(events[3]["candidates"][0]["finishReason"], "STOP");
    assert_eq!(events[3]["usageMetadata"]["totalTokenCount"], 21);
    assert!(!text.contains("[DONE]"));

    let (text, _) = read_stream(
        &server,
        STREAM,
        &with_tools(json!({"functionCallingConfig": {"mode": "ANY"}})),
    )
    .await;
    let events = gemini_events(&text);
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0]["candidates"][0]["content"]["parts"][0]["functionCall"]["name"],
        "get_weather"
    );
    assert_eq!(events[0]["candidates"][0]["finishReason"], "STOP");
}

#[tokio::test]
async fn gemini_stream_controls() {
    let server = MockServer::start().await.unwrap();
    let (text, _) = read_stream(&server, &format!("/chunks/5{STREAM}"), &hello()).await;
    let events = gemini_events(&text);
    assert_eq!(stream_text(&events), "tok tok tok tok tok ");
    assert_eq!(events.len(), 6);

    let (text, broken) = read_stream(&server, &format!("/break_stream{STREAM}"), &hello()).await;
    assert!(broken);
    assert_eq!(stream_text(&gemini_events(&text)), "Hello");

    let (text, broken) = read_stream(&server, &format!("/bad_json{STREAM}"), &hello()).await;
    assert!(!broken);
    let data = text.strip_prefix("data: ").unwrap().trim_end();
    assert!(serde_json::from_str::<Value>(data).is_err());
}

#[tokio::test]
async fn gemini_errors_have_gemini_shape() {
    let server = MockServer::start().await.unwrap();
    for (control, status, name, message) in [
        (
            "429",
            429,
            "RESOURCE_EXHAUSTED",
            "Resource has been exhausted (e.g. check quota).",
        ),
        (
            "401",
            401,
            "UNAUTHENTICATED",
            "API key not valid. Please pass a valid API key.",
        ),
        (
            "400_context",
            400,
            "INVALID_ARGUMENT",
            "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
        ),
        (
            "503",
            503,
            "UNAVAILABLE",
            "The model is overloaded. Please try again later.",
        ),
    ] {
        let reply = post(&server, &format!("/error/{control}{GENERATE}"), &hello()).await;
        assert_eq!(reply.status, status, "{control}");
        assert_eq!(
            reply.json(),
            json!({"error": {"code": status, "message": message, "status": name}}),
            "{control}"
        );
        assert_eq!(reply.header("retry-after").is_some(), status == 429);
    }
    let bad = crate::common::post_raw(&server, GENERATE, "{not json".into()).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["status"], "INVALID_ARGUMENT");
    let recorded = server.requests();
    assert!(
        recorded
            .iter()
            .any(|r| r.path == "/error/429/v1beta/models/gemini-2.5-flash:generateContent")
    );
}

#[tokio::test]
async fn gemini_embeddings() {
    let server = MockServer::start().await.unwrap();
    let batch = post(
        &server,
        "/v1beta/models/gemini-embedding-001:batchEmbedContents",
        &json!({"requests": [
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "a"}]}},
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "b"}]}, "outputDimensionality": 3}
        ]}),
    )
    .await;
    assert_eq!(
        batch.json(),
        json!({"embeddings": [
            {"values": [0.5, -0.25, 0.125, 1.0, -0.5, 0.75, 0.0625, -1.0]},
            {"values": [0.5078125, -0.2421875, 0.1328125]}
        ]})
    );
    let single = post(
        &server,
        "/v1beta/models/gemini-embedding-001:embedContent",
        &json!({"content": {"parts": [{"text": "a"}]}, "outputDimensionality": 2}),
    )
    .await;
    assert_eq!(
        single.json(),
        json!({"embedding": {"values": [0.5, -0.25]}})
    );
    let predict = post(
        &server,
        "/v1/projects/p/locations/us-central1/publishers/google/models/text-embedding-005:predict",
        &json!({"instances": [{"content": "a"}], "parameters": {"outputDimensionality": 2}}),
    )
    .await;
    assert_eq!(
        predict.json()["predictions"][0],
        json!({"embeddings": {"values": [0.5, -0.25], "statistics": {"token_count": 5, "truncated": false}}})
    );
    let empty = post(
        &server,
        "/v1beta/models/gemini-embedding-001:batchEmbedContents",
        &json!({"requests": []}),
    )
    .await;
    assert_eq!(empty.status, 400);
}
