//! The `/v1/responses` entrance: bridged to chat completions for Anthropic (plain and
//! streamed, tool calls included), native for OpenAI, stored conversations
//! (`previous_response_id` at once, `GET`, `DELETE`, `input_items`), the WebSocket 426,
//! and a stream that fails before its first event falling back.

use serde_json::{Value, json};

use crate::common::{Gateway, Reply, UPSTREAM_KEY, send};

const MASTER_KEY: &str = "sk-master";
const HELLO: &str = "Hello! How can I help you today?";

/// `claude` (Anthropic, bridged), `gpt` (OpenAI, native) and `broken` (OpenAI-family
/// chat on a bad stream, bridged through the Groq adapter) falling back to `claude`.
fn config() -> String {
    format!(
        r#"
general_settings:
  master_key: {MASTER_KEY}
model_list:
  - model_name: claude
    litellm_params:
      model: anthropic/claude-3-5-haiku-20241022
      api_base: "{{mock}}/claude"
      api_key: {UPSTREAM_KEY}
  - model_name: gpt
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{{mock}}/gpt/v1"
      api_key: {UPSTREAM_KEY}
  - model_name: broken
    litellm_params:
      model: groq/llama-3.3-70b-versatile
      api_base: "{{mock}}/bad_json/broken/v1"
      api_key: {UPSTREAM_KEY}
  - model_name: broken-native
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{{mock}}/bad_json/broken-native/v1"
      api_key: {UPSTREAM_KEY}
  - model_name: cut
    litellm_params:
      model: anthropic/claude-3-5-haiku-20241022
      api_base: "{{mock}}/break_stream/cut"
      api_key: {UPSTREAM_KEY}
router_settings:
  num_retries: 0
  fallbacks: [{{broken: [claude]}}, {{broken-native: [gpt]}}]
"#
    )
}

fn weather_tool() -> Value {
    json!({
        "type": "function",
        "name": "get_weather",
        "description": "Get the weather",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                       "required": ["location"]}
    })
}

async fn post(gw: &Gateway, body: &Value) -> Reply {
    send(
        gw.post("/v1/responses")
            .bearer_auth(MASTER_KEY)
            .body(body.to_string()),
    )
    .await
}

async fn get(gw: &Gateway, path: &str) -> Reply {
    send(gw.http.get(gw.url(path)).bearer_auth(MASTER_KEY)).await
}

/// `(event:, data)` of every frame; each frame's `event:` names its data's `type`.
fn events(reply: &Reply) -> Vec<Value> {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    reply
        .text()
        .split("\n\n")
        .filter(|f| !f.trim().is_empty())
        .map(|frame| {
            let (name, data) = frame
                .strip_prefix("event: ")
                .and_then(|f| f.split_once("\ndata: "))
                .unwrap_or_else(|| panic!("not an event frame: {frame:?}"));
            let data: Value = serde_json::from_str(data).unwrap();
            assert_eq!(data["type"], name, "{frame}");
            data
        })
        .collect()
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

/// The JSON bodies the mock got on paths containing `marker`.
fn upstream_bodies(gw: &Gateway, marker: &str) -> Vec<Value> {
    gw.upstream()
        .iter()
        .filter(|r| r.path.contains(marker))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn a_bridged_request_goes_to_anthropic_as_chat_and_comes_back_as_a_response() {
    let gw = Gateway::start(&config()).await;

    let reply = post(
        &gw,
        &json!({"model": "claude", "input": "Say hello.", "instructions": "Be brief.",
                "max_output_tokens": 100, "temperature": 0.5}),
    )
    .await;

    let body = reply.ok_json();
    assert_eq!(body["object"], "response");
    assert!(body["id"].as_str().unwrap().starts_with("resp_"), "{body}");
    assert_eq!(body["model"], "claude");
    assert_eq!(body["status"], "completed");
    assert_eq!(body["instructions"], "Be brief.");
    assert_eq!(body["temperature"], 0.5);
    let output = body["output"].as_array().unwrap();
    assert_eq!(output.len(), 1, "{body}");
    assert_eq!(output[0]["type"], "message");
    assert_eq!(output[0]["content"][0]["type"], "output_text");
    assert_eq!(output[0]["content"][0]["text"], HELLO);
    assert_eq!(body["usage"]["input_tokens"], 12);
    assert_eq!(body["usage"]["output_tokens"], 9);
    assert_eq!(body["usage"]["total_tokens"], 21);
    let sent = upstream_bodies(&gw, "/claude/v1/messages");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["system"][0]["text"], "Be brief.");
    assert_eq!(sent[0]["max_tokens"], 100);
    assert_eq!(sent[0]["temperature"], 0.5);
    assert_eq!(sent[0]["messages"][0]["content"][0]["text"], "Say hello.");
}

#[tokio::test]
async fn openai_is_native_with_the_model_swapped_and_restamped() {
    let gw = Gateway::start(&config()).await;

    let reply = post(
        &gw,
        &json!({"model": "gpt", "input": "Say hello.", "max_output_tokens": 50,
                "some_new_field": {"kept": true}}),
    )
    .await;

    let body = reply.ok_json();
    assert_eq!(body["id"], "resp_mock01");
    assert_eq!(body["model"], "gpt");
    assert_eq!(body["output"][0]["content"][0]["text"], HELLO);
    let recorded = gw.upstream();
    let native: Vec<_> = recorded
        .iter()
        .filter(|r| r.path == "/gpt/v1/responses")
        .collect();
    assert_eq!(native.len(), 1);
    let sent: Value = serde_json::from_slice(&native[0].body).unwrap();
    assert_eq!(
        sent,
        json!({"model": "gpt-4o-mini", "input": "Say hello.", "max_output_tokens": 50,
               "some_new_field": {"kept": true}})
    );
    assert!(
        native[0]
            .headers
            .contains(&("authorization".into(), format!("Bearer {UPSTREAM_KEY}")))
    );
}

#[tokio::test]
async fn a_bridged_stream_carries_text_and_tool_calls_as_response_events() {
    let gw = Gateway::start(&config()).await;

    let reply = post(
        &gw,
        &json!({"model": "claude", "input": "Weather in Paris?", "stream": true,
                "tools": [weather_tool()]}),
    )
    .await;

    let events = events(&reply);
    let seqs: Vec<u64> = events
        .iter()
        .map(|e| e["sequence_number"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (0..events.len() as u64).collect::<Vec<_>>());
    let kinds = types(&events);
    assert_eq!(kinds[..2], ["response.created", "response.in_progress"]);
    assert_eq!(kinds.last(), Some(&"response.completed"));
    for expected in [
        "response.output_text.delta",
        "response.output_text.done",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
    ] {
        assert!(kinds.contains(&expected), "{expected} missing: {kinds:?}");
    }
    let args: String = events
        .iter()
        .filter(|e| e["type"] == "response.function_call_arguments.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&args).unwrap(),
        json!({"location": "Paris"})
    );
    let done = &events.last().unwrap()["response"];
    assert_eq!(done["status"], "completed");
    assert_eq!(done["usage"]["total_tokens"], 21);
    let output = done["output"].as_array().unwrap();
    assert_eq!(output[0]["type"], "message");
    assert_eq!(output[0]["content"][0]["text"], "Let me look that up.");
    assert_eq!(output[1]["type"], "function_call");
    assert_eq!(output[1]["call_id"], "toolu_mock01");
    assert_eq!(output[1]["name"], "get_weather");
    let sent = upstream_bodies(&gw, "/claude/v1/messages");
    assert_eq!(sent[0]["stream"], true);
    assert_eq!(sent[0]["tools"][0]["name"], "get_weather");
}

#[tokio::test]
async fn previous_response_id_works_the_moment_the_first_turn_completes() {
    let gw = Gateway::start(&config()).await;
    for stream in [false, true] {
        let first = post(
            &gw,
            &json!({"model": "claude", "input": "Weather in Paris?", "stream": stream,
                    "tools": [weather_tool()]}),
        )
        .await;
        let first = if stream {
            events(&first).last().unwrap()["response"].clone()
        } else {
            first.ok_json()
        };
        let call = first["output"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["type"] == "function_call")
            .unwrap()
            .clone();

        // No wait: the store is written before the first answer is sent.
        let second = post(
            &gw,
            &json!({"model": "claude", "previous_response_id": first["id"],
                    "tools": [weather_tool()],
                    "input": [{"type": "function_call_output", "call_id": call["call_id"],
                               "output": "{\"temperature\": 18}"}]}),
        )
        .await;

        let second = second.ok_json();
        assert_eq!(second["previous_response_id"], first["id"]);
        assert_eq!(second["output"][0]["content"][0]["text"], HELLO);
        let sent = upstream_bodies(&gw, "/claude/v1/messages");
        let messages = &sent.last().unwrap()["messages"];
        assert_eq!(messages[0]["role"], "user");
        assert_eq!(messages[0]["content"][0]["text"], "Weather in Paris?");
        assert_eq!(messages[1]["role"], "assistant");
        let blocks = messages[1]["content"].as_array().unwrap();
        assert!(
            blocks
                .iter()
                .any(|b| b["type"] == "tool_use" && b["id"] == call["call_id"]),
            "{messages}"
        );
        assert_eq!(messages[2]["content"][0]["type"], "tool_result");
        assert_eq!(messages[2]["content"][0]["tool_use_id"], call["call_id"]);
    }
}

#[tokio::test]
async fn stored_responses_can_be_read_listed_and_deleted() {
    let gw = Gateway::start(&config()).await;
    let created = post(
        &gw,
        &json!({"model": "claude", "input": [
            {"role": "user", "content": "one"},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "two"}]}
        ]}),
    )
    .await
    .ok_json();
    let id = created["id"].as_str().unwrap();

    let got = get(&gw, &format!("/v1/responses/{id}")).await.ok_json();
    assert_eq!(got, created);
    let got = get(&gw, &format!("/responses/{id}")).await.ok_json();
    assert_eq!(got, created);

    let list = get(&gw, &format!("/v1/responses/{id}/input_items"))
        .await
        .ok_json();
    assert_eq!(list["object"], "list");
    assert_eq!(list["has_more"], false);
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["content"][0]["text"], "two", "newest first");
    assert!(data.iter().all(|i| i["id"].is_string()));
    assert_eq!(list["first_id"], data[0]["id"]);
    let asc = get(
        &gw,
        &format!("/v1/responses/{id}/input_items?order=asc&limit=1"),
    )
    .await
    .ok_json();
    assert_eq!(asc["data"][0]["content"], "one");
    assert_eq!(asc["has_more"], true);

    let deleted = send(
        gw.http
            .delete(gw.url(&format!("/v1/responses/{id}")))
            .bearer_auth(MASTER_KEY),
    )
    .await
    .ok_json();
    assert_eq!(
        deleted,
        json!({"id": id, "object": "response", "deleted": true})
    );
    let gone = get(&gw, &format!("/v1/responses/{id}")).await;
    assert_eq!(gone.status, 404, "{}", gone.text());
    let again = post(
        &gw,
        &json!({"model": "claude", "input": "x", "previous_response_id": id}),
    )
    .await;
    let err = again.assert_error(400, "invalid_request_error");
    assert_eq!(err["param"], "previous_response_id");
    assert_eq!(
        upstream_bodies(&gw, "/claude/").len(),
        1,
        "refused before any call"
    );

    // A native deployment may hold a response this gateway does not: the id goes up.
    post(
        &gw,
        &json!({"model": "gpt", "input": "x", "previous_response_id": "resp_made_upstream"}),
    )
    .await
    .ok_json();
    let sent = upstream_bodies(&gw, "/gpt/v1/responses");
    assert_eq!(sent[0]["previous_response_id"], "resp_made_upstream");
}

/// A scratch directory for one test's database, removed on drop.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("llmux-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn with_database(db: &std::path::Path) -> Gateway {
    let url = format!("sqlite://{}", db.display());
    let config = config().replace(
        "general_settings:\n",
        &format!("general_settings:\n  database_url: \"{url}\"\n"),
    );
    let gw = Gateway::start(&config).await;
    let keys = gw.state.keys.as_ref().expect("a database");
    assert!(
        keys.store()
            .wait_ready(std::time::Duration::from_secs(10))
            .await
    );
    gw
}

#[tokio::test]
async fn with_a_database_stored_responses_outlive_a_restart() {
    let scratch = Scratch::new("responses-db");
    let db = scratch.0.join("llmux.db");
    let first_gw = with_database(&db).await;
    let first = post(
        &first_gw,
        &json!({"model": "claude", "input": "Weather in Paris?", "tools": [weather_tool()]}),
    )
    .await
    .ok_json();
    let id = first["id"].as_str().unwrap().to_owned();
    let call = first["output"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"] == "function_call")
        .unwrap_or_else(|| panic!("{first}"))
        .clone();
    let streamed = post(
        &first_gw,
        &json!({"model": "claude", "input": "Say hello", "stream": true}),
    )
    .await;
    let streamed_id = events(&streamed).last().unwrap()["response"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    drop(first_gw);

    // A new process's memory is empty: the database has both turns.
    let gw = with_database(&db).await;
    let got = get(&gw, &format!("/v1/responses/{id}")).await.ok_json();
    assert_eq!(got, first);
    let got = get(&gw, &format!("/v1/responses/{streamed_id}"))
        .await
        .ok_json();
    assert_eq!(got["output"][0]["content"][0]["text"], HELLO);
    let items = get(&gw, &format!("/v1/responses/{id}/input_items"))
        .await
        .ok_json();
    assert_eq!(items["data"][0]["content"], "Weather in Paris?");

    // The bridged follow-up replays the first turn from the database.
    let second = post(
        &gw,
        &json!({"model": "claude", "previous_response_id": id, "tools": [weather_tool()],
                "input": [{"type": "function_call_output", "call_id": call["call_id"],
                           "output": "18C"}]}),
    )
    .await
    .ok_json();
    assert_eq!(second["previous_response_id"], id.as_str());
    let sent = upstream_bodies(&gw, "/claude/v1/messages");
    let messages = &sent.last().unwrap()["messages"];
    assert_eq!(messages[0]["content"][0]["text"], "Weather in Paris?");
    assert!(
        messages[1]["content"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["type"] == "tool_use" && b["id"] == call["call_id"]),
        "{messages}"
    );
    assert_eq!(messages[2]["content"][0]["type"], "tool_result");

    // Deleted: gone for the next process too.
    let deleted = send(
        gw.http
            .delete(gw.url(&format!("/v1/responses/{id}")))
            .bearer_auth(MASTER_KEY),
    )
    .await;
    assert_eq!(deleted.ok_json()["deleted"], true);
    drop(gw);
    let gw = with_database(&db).await;
    assert_eq!(get(&gw, &format!("/v1/responses/{id}")).await.status, 404);
    // The later turn still holds it as history.
    let second_id = second["id"].as_str().unwrap();
    assert_eq!(
        get(&gw, &format!("/v1/responses/{second_id}")).await.status,
        200
    );
    let keys = gw.state.keys.as_ref().unwrap();
    assert_eq!(gw.state.responses.db_write_failures(), 0);
    assert_eq!(keys.store().auth_reads(), 0);
}

#[tokio::test]
async fn store_false_keeps_nothing_and_keys_are_checked() {
    let gw = Gateway::start(&config()).await;
    let created = post(
        &gw,
        &json!({"model": "claude", "input": "x", "store": false}),
    )
    .await
    .ok_json();
    let id = created["id"].as_str().unwrap();
    assert_eq!(get(&gw, &format!("/v1/responses/{id}")).await.status, 404);
    let anonymous = send(gw.http.get(gw.url(&format!("/v1/responses/{id}")))).await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn a_websocket_upgrade_is_answered_426() {
    let gw = Gateway::start(&config()).await;
    let reply = send(
        gw.http
            .get(gw.url("/v1/responses"))
            .bearer_auth(MASTER_KEY)
            .header("connection", "Upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    )
    .await;
    assert_eq!(reply.status, 426, "{}", reply.text());
    assert!(reply.json()["error"]["message"].is_string());
    let plain = get(&gw, "/v1/responses").await;
    assert_eq!(plain.status, 405);
}

#[tokio::test]
async fn a_stream_that_fails_before_its_first_event_falls_back() {
    let gw = Gateway::start(&config()).await;
    for (group, fallback_path) in [("broken", "/claude/"), ("broken-native", "/gpt/")] {
        let reply = post(
            &gw,
            &json!({"model": group, "input": "Say hello.", "stream": true}),
        )
        .await;

        let events = events(&reply);
        assert_eq!(types(&events).last(), Some(&"response.completed"));
        let text: String = events
            .iter()
            .filter(|e| e["type"] == "response.output_text.delta")
            .map(|e| e["delta"].as_str().unwrap())
            .collect();
        assert_eq!(text, HELLO);
        assert_eq!(reply.header("x-litellm-attempted-fallbacks"), Some("1"));
        assert!(
            gw.upstream().iter().any(|r| r.path.contains(fallback_path)),
            "{group} fell back to {fallback_path}"
        );
    }
}

#[tokio::test]
async fn a_native_stream_is_relayed_and_stored_and_continued_natively() {
    let gw = Gateway::start(&config()).await;
    let reply = post(
        &gw,
        &json!({"model": "gpt", "input": "Weather?", "stream": true, "tools": [weather_tool()]}),
    )
    .await;
    let events = events(&reply);
    let done = events.last().unwrap();
    assert_eq!(done["type"], "response.completed");
    assert_eq!(done["response"]["output"][0]["type"], "function_call");
    // gpt-4o-mini has a price: LiteLLM's cost is added to the completed usage.
    assert!(done["response"]["usage"]["cost"].as_f64().unwrap() > 0.0);

    let stored = get(&gw, "/v1/responses/resp_mock01").await.ok_json();
    assert_eq!(stored["status"], "completed");

    // The upstream holds this conversation: previous_response_id goes through.
    let next = post(
        &gw,
        &json!({"model": "gpt", "previous_response_id": "resp_mock01",
                "input": [{"type": "function_call_output", "call_id": "call_mock_0", "output": "18C"}]}),
    )
    .await;
    next.ok_json();
    let sent = upstream_bodies(&gw, "/gpt/v1/responses");
    assert_eq!(sent.last().unwrap()["previous_response_id"], "resp_mock01");
    assert_eq!(
        sent.last().unwrap()["input"][0]["type"],
        "function_call_output"
    );
}

#[tokio::test]
async fn a_bridged_conversation_continued_on_a_native_model_is_sent_whole() {
    let gw = Gateway::start(&config()).await;
    let first = post(&gw, &json!({"model": "claude", "input": "Hi"}))
        .await
        .ok_json();

    let next = post(
        &gw,
        &json!({"model": "gpt", "previous_response_id": first["id"], "input": "And again?"}),
    )
    .await;

    next.ok_json();
    let sent = upstream_bodies(&gw, "/gpt/v1/responses");
    let sent = sent.last().unwrap();
    assert!(sent.get("previous_response_id").is_none(), "{sent}");
    let input = sent["input"].as_array().unwrap();
    assert_eq!(input.len(), 3, "{sent}");
    assert_eq!(input[0]["content"], "Hi");
    assert_eq!(input[1]["role"], "assistant");
    assert_eq!(input[1]["content"][0]["text"], HELLO);
    assert_eq!(input[2]["content"], "And again?");
    assert!(input.iter().all(|i| i.get("id").is_none()), "{sent}");
}

#[tokio::test]
async fn a_native_stream_that_is_cut_bad_or_stalled_ends_with_an_error_event() {
    let gw = Gateway::start(&native_faults_config()).await;
    for model in ["cut-clean", "cut-abort", "bad-event", "stalled"] {
        let reply = post(&gw, &json!({"model": model, "input": "x", "stream": true})).await;
        let events = events(&reply);
        let last = events.last().unwrap();
        assert_eq!(last["type"], "error", "{model}: {events:?}");
        assert!(last["message"].is_string(), "{model}: {last}");
        assert!(
            events.iter().all(|e| e["type"] != "response.completed"),
            "{model} must not look complete: {events:?}"
        );
        // Nothing half-done is stored.
        let got = get(&gw, "/v1/responses/resp_mock01").await;
        assert_eq!(got.status, 404, "{model}: {}", got.text());
    }
}

/// OpenAI-native deployments whose Responses streams end early, break, or stall past
/// `stream_timeout`.
fn native_faults_config() -> String {
    let model = |name: &str, control: &str| {
        format!(
            "  - model_name: {name}\n    litellm_params:\n      model: openai/gpt-4o-mini\n      \
             api_base: \"{{mock}}/{control}/v1\"\n      api_key: {UPSTREAM_KEY}\n      \
             stream_timeout: 0.3\n"
        )
    };
    format!(
        "general_settings:\n  master_key: {MASTER_KEY}\nmodel_list:\n{}{}{}{}router_settings:\n  \
         num_retries: 0\n",
        model("cut-clean", "cut_stream"),
        model("cut-abort", "break_stream"),
        model("bad-event", "bad_event"),
        model("stalled", "stall_stream/3000"),
    )
}

#[tokio::test]
async fn a_bridged_stream_that_breaks_midway_ends_with_response_failed() {
    let gw = Gateway::start(&config()).await;
    let reply = post(&gw, &json!({"model": "cut", "input": "x", "stream": true})).await;
    let events = events(&reply);
    let last = events.last().unwrap();
    assert_eq!(last["type"], "response.failed", "{events:?}");
    assert_eq!(last["response"]["status"], "failed");
    assert!(last["response"]["error"]["message"].is_string());
}

#[tokio::test]
async fn unbridgeable_tools_are_a_400_and_upstream_errors_keep_their_status() {
    let gw = Gateway::start(&config()).await;
    let reply = post(
        &gw,
        &json!({"model": "claude", "input": "x", "tools": [{"type": "file_search", "vector_store_ids": ["vs_1"]}]}),
    )
    .await;
    let err = reply.assert_error(400, "invalid_request_error");
    assert_eq!(err["param"], "tools");
    assert!(upstream_bodies(&gw, "/claude/").is_empty());
}

#[tokio::test]
async fn input_tokens_counts_the_bridged_conversation_locally_for_openai() {
    let gw = Gateway::start(&config()).await;
    let reply = send(
        gw.post("/v1/responses/input_tokens")
            .bearer_auth(MASTER_KEY)
            .body(
                json!({"model": "gpt", "instructions": "Be brief.", "input": "Hello, how are you today?"})
                    .to_string(),
            ),
    )
    .await;
    let body = reply.ok_json();
    assert_eq!(body["object"], "response.input_tokens");
    assert_eq!(body["litellm_count_source"], "local_estimate");
    assert!(gw.upstream().is_empty(), "counted locally");

    // The same conversation through /v1/messages/count_tokens counts the same.
    let same = send(
        gw.post("/v1/messages/count_tokens")
            .bearer_auth(MASTER_KEY)
            .body(
                json!({"model": "gpt", "system": [{"type": "text", "text": "Be brief."}],
                       "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello, how are you today?"}]}]})
                .to_string(),
            ),
    )
    .await
    .ok_json();
    assert_eq!(body["input_tokens"], same["input_tokens"]);
    assert!(body["input_tokens"].as_u64().unwrap() > 10, "{body}");

    let missing = send(
        gw.post("/responses/input_tokens")
            .bearer_auth(MASTER_KEY)
            .body(json!({"model": "gpt"}).to_string()),
    )
    .await;
    assert_eq!(
        missing.assert_error(400, "invalid_request_error")["param"],
        "input"
    );
}

/// A request shaped as the Codex CLI sends it reaches Claude with nothing Anthropic
/// would refuse.
#[tokio::test]
async fn a_codex_shaped_request_is_bridged_to_claude() {
    let gw = Gateway::start(&config()).await;
    let mut tool = weather_tool();
    tool["strict"] = json!(false);
    let reply = post(
        &gw,
        &json!({
            "model": "claude", "instructions": "You are a coding agent.", "stream": true,
            "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather?"}]}],
            "tools": [tool], "tool_choice": "auto", "parallel_tool_calls": false,
            "reasoning": null, "store": false, "include": ["reasoning.encrypted_content"],
            "prompt_cache_key": "0199-session", "text": {"verbosity": "medium"}
        }),
    )
    .await;
    let events = events(&reply);
    assert_eq!(types(&events).last(), Some(&"response.completed"));
    let sent = upstream_bodies(&gw, "/claude/v1/messages");
    let sent = &sent[0];
    for key in ["prompt_cache_key", "include", "store", "text", "reasoning"] {
        assert!(sent.get(key).is_none(), "{key} reached Anthropic: {sent}");
    }
    assert_eq!(sent["system"][0]["text"], "You are a coding agent.");
    assert_eq!(sent["tools"][0]["name"], "get_weather");
}

/// `pro` (OpenAI `o1-pro`) and `codex-az` (Azure `codex-mini`): models the registry
/// lists as `mode: responses`, served on `/v1/responses` only.
fn responses_only_config() -> String {
    format!(
        r#"
general_settings:
  master_key: {MASTER_KEY}
model_list:
  - model_name: pro
    litellm_params:
      model: openai/o1-pro
      api_base: "{{mock}}/pro/v1"
      api_key: {UPSTREAM_KEY}
  - model_name: codex-az
    litellm_params:
      model: azure/codex-mini
      api_base: "{{mock}}/az"
      api_version: "2025-04-01-preview"
      api_key: {UPSTREAM_KEY}
router_settings:
  num_retries: 0
"#
    )
}

async fn chat(gw: &Gateway, body: &Value) -> Reply {
    send(
        gw.post("/v1/chat/completions")
            .bearer_auth(MASTER_KEY)
            .body(body.to_string()),
    )
    .await
}

#[tokio::test]
async fn a_chat_request_for_a_responses_only_model_is_bridged_to_v1_responses() {
    let gw = Gateway::start(&responses_only_config()).await;

    let reply = chat(
        &gw,
        &json!({"model": "pro", "max_tokens": 50, "messages": [
            {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello."}]}),
    )
    .await;

    let body = reply.ok_json();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "pro");
    assert_eq!(body["choices"][0]["message"]["role"], "assistant");
    assert_eq!(body["choices"][0]["message"]["content"], HELLO);
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(body["usage"]["prompt_tokens"], 12);
    assert_eq!(body["usage"]["completion_tokens"], 9);
    let recorded = gw.upstream();
    let sent: Vec<_> = recorded
        .iter()
        .filter(|r| r.path.starts_with("/pro/"))
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/pro/v1/responses");
    let sent = sent[0].json().unwrap();
    assert_eq!(sent["model"], "o1-pro");
    assert_eq!(sent["instructions"], "Be brief.");
    assert_eq!(sent["max_output_tokens"], 50);
    assert_eq!(
        sent["input"],
        json!([{"type": "message", "role": "user",
                "content": [{"type": "input_text", "text": "Say hello."}]}])
    );
}

#[tokio::test]
async fn a_bridged_chat_tool_round_trip_on_azure() {
    let gw = Gateway::start(&responses_only_config()).await;
    let tool = json!({"type": "function", "function": {"name": "get_weather",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}});

    let first = chat(
        &gw,
        &json!({"model": "codex-az", "tools": [tool],
                "messages": [{"role": "user", "content": "Weather in Paris?"}]}),
    )
    .await
    .ok_json();
    let message = &first["choices"][0]["message"];
    assert_eq!(first["choices"][0]["finish_reason"], "tool_calls");
    let call = &message["tool_calls"][0];
    assert_eq!(call["id"], "call_mock_0");
    assert_eq!(call["function"]["name"], "get_weather");

    let second = chat(
        &gw,
        &json!({"model": "codex-az", "tools": [tool], "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            message,
            {"role": "tool", "tool_call_id": "call_mock_0", "content": "18C"}]}),
    )
    .await
    .ok_json();
    assert_eq!(second["choices"][0]["message"]["content"], HELLO);
    let sent = upstream_bodies(&gw, "/az/openai/responses");
    assert_eq!(sent.len(), 2);
    let input = &sent[1]["input"];
    assert_eq!(input[1]["type"], "function_call");
    assert_eq!(input[1]["call_id"], "call_mock_0");
    assert_eq!(
        input[2],
        json!({"type": "function_call_output", "call_id": "call_mock_0",
                                "output": [{"type": "input_text", "text": "18C"}]})
    );
    assert_eq!(sent[1]["tools"][0]["name"], "get_weather");
    let recorded = gw.upstream();
    let azure = recorded
        .iter()
        .find(|r| r.path.starts_with("/az/"))
        .unwrap();
    assert_eq!(
        azure.query.as_deref(),
        Some("api-version=2025-04-01-preview")
    );
    assert_eq!(azure.header("api-key"), Some(UPSTREAM_KEY));
}

/// The `data:` JSON of every chat chunk, up to `[DONE]`.
fn chat_chunks(reply: &Reply) -> Vec<Value> {
    assert_eq!(reply.status, 200, "{}", reply.text());
    let text = reply.text();
    assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");
    text.split("\n\n")
        .filter_map(|f| f.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

#[tokio::test]
async fn a_streamed_chat_request_for_a_responses_only_model_gets_chat_chunks() {
    let gw = Gateway::start(&responses_only_config()).await;

    let reply = chat(
        &gw,
        &json!({"model": "pro", "stream": true, "stream_options": {"include_usage": true},
                "messages": [{"role": "user", "content": "Say hello."}]}),
    )
    .await;
    let chunks = chat_chunks(&reply);
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, HELLO);
    assert!(
        chunks
            .iter()
            .all(|c| c["object"] == "chat.completion.chunk")
    );
    let finish: Vec<_> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["finish_reason"].as_str())
        .collect();
    assert_eq!(finish, ["stop"]);
    let usage = chunks.iter().find_map(|c| c.get("usage")).unwrap();
    assert_eq!(usage["total_tokens"], 21);
    let sent = upstream_bodies(&gw, "/pro/v1/responses");
    assert_eq!(sent[0]["stream"], true);
    assert!(sent[0].get("stream_options").is_none(), "{}", sent[0]);

    let tool = json!({"type": "function", "function": {"name": "get_weather", "parameters": {}}});
    let reply = chat(
        &gw,
        &json!({"model": "pro", "stream": true, "tools": [tool],
                "messages": [{"role": "user", "content": "Weather?"}]}),
    )
    .await;
    let chunks = chat_chunks(&reply);
    let calls: Vec<&Value> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].get(0))
        .collect();
    assert_eq!(calls[0]["id"], "call_mock_0");
    assert_eq!(calls[0]["function"]["name"], "get_weather");
    let arguments: String = calls
        .iter()
        .filter_map(|c| c["function"]["arguments"].as_str())
        .collect();
    let arguments: Value = serde_json::from_str(&arguments).unwrap();
    assert!(arguments.is_object(), "{arguments}");
    assert!(
        chunks
            .iter()
            .any(|c| c["choices"][0]["finish_reason"] == "tool_calls")
    );
}

#[tokio::test]
async fn a_chat_param_the_responses_api_lacks_is_a_400_unless_dropped() {
    let gw = Gateway::start(&responses_only_config()).await;
    let body = json!({"model": "pro", "stop": ["\n"],
                      "messages": [{"role": "user", "content": "x"}]});
    let reply = chat(&gw, &body).await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(reply.text().contains("stop"), "{}", reply.text());
    assert!(gw.upstream().is_empty());
    let mut dropped = body;
    dropped["drop_params"] = json!(true);
    reply_ok(chat(&gw, &dropped).await);
}

fn reply_ok(reply: Reply) {
    assert_eq!(reply.status, 200, "{}", reply.text());
}

#[tokio::test]
async fn a_catalog_row_that_serves_responses_gets_the_body_natively() {
    let config = format!(
        r#"
general_settings:
  master_key: {MASTER_KEY}
model_list:
  - model_name: grok
    litellm_params:
      model: xai/grok-4
      api_base: "{{mock}}/xai/v1"
      api_key: {UPSTREAM_KEY}
  - model_name: llama
    litellm_params:
      model: groq/llama-3.3-70b-versatile
      api_base: "{{mock}}/groq/v1"
      api_key: {UPSTREAM_KEY}
"#
    );
    let gw = Gateway::start(&config).await;
    let body = json!({"model": "grok", "input": "Say hello.", "truncation": "auto",
                      "some_new_field": {"kept": true}});
    let reply = post(&gw, &body).await.ok_json();
    assert_eq!(reply["output"][0]["content"][0]["text"], HELLO);
    let sent = upstream_bodies(&gw, "/xai/v1/responses");
    assert_eq!(sent.len(), 1, "native, not bridged");
    assert_eq!(sent[0]["model"], "grok-4");
    assert_eq!(sent[0]["some_new_field"], json!({"kept": true}));

    // Groq's row does not say it serves Responses: bridged to its chat completions.
    post(&gw, &json!({"model": "llama", "input": "Say hello."}))
        .await
        .ok_json();
    assert_eq!(upstream_bodies(&gw, "/groq/v1/chat/completions").len(), 1);
}

#[tokio::test]
async fn codex_namespace_tools_are_bridged_as_qualified_functions() {
    let gw = Gateway::start(&config()).await;
    let tools = json!([{"type": "namespace", "name": "multi_agent_v1", "description": "Sub-agents.",
        "tools": [{"type": "function", "name": "spawn_agent", "description": "Spawn one.",
                   "parameters": {"type": "object", "properties": {"task": {"type": "string"}}}}]}]);

    let first = post(
        &gw,
        &json!({"model": "claude", "input": "Spawn.", "tools": tools}),
    )
    .await
    .ok_json();
    let call = first["output"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"] == "function_call")
        .unwrap()
        .clone();
    assert_eq!(call["name"], "spawn_agent");
    assert_eq!(call["namespace"], "multi_agent_v1");
    let sent = upstream_bodies(&gw, "/claude/v1/messages");
    assert_eq!(sent[0]["tools"][0]["name"], "multi_agent_v1__spawn_agent");

    let output =
        json!({"type": "function_call_output", "call_id": call["call_id"], "output": "ok"});
    let second = post(
        &gw,
        &json!({"model": "claude", "tools": tools,
                "input": [{"role": "user", "content": "Spawn."}, call, output]}),
    )
    .await
    .ok_json();
    assert_eq!(second["status"], "completed");
    let sent = upstream_bodies(&gw, "/claude/v1/messages");
    let replayed = &sent[1]["messages"][1]["content"];
    let tool_use = replayed
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "tool_use")
        .unwrap();
    assert_eq!(tool_use["name"], "multi_agent_v1__spawn_agent");
}
