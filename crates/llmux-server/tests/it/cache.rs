//! The response cache through the gateway (`litellm_settings.cache`): the mock upstream's
//! request count proves which requests were answered from the cache.

use std::sync::Arc;
use std::time::{Duration, Instant};

use llmux::cache::{Clock, ManualClock, SystemClock};
use serde_json::{Value, json};

use crate::common::{Gateway, Reply, UPSTREAM_KEY, sse_json};

fn config(cache_params: &str) -> String {
    format!(
        r#"
model_list:
  - model_name: gpt-alias
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{{mock}}/v1"
      api_key: {UPSTREAM_KEY}
  - model_name: broken
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{{mock}}/break_stream/v1"
      api_key: {UPSTREAM_KEY}
  - model_name: embed
    litellm_params:
      model: openai/text-embedding-3-small
      api_base: "{{mock}}/v1"
      api_key: {UPSTREAM_KEY}
router_settings:
  num_retries: 0
litellm_settings:
  cache: true
  cache_params: {cache_params}
"#
    )
}

async fn start(cache_params: &str) -> Gateway {
    start_on(cache_params, Arc::new(SystemClock)).await
}

async fn start_on(cache_params: &str, clock: Arc<dyn Clock>) -> Gateway {
    Gateway::try_start(&config(cache_params), &|_| None, clock)
        .await
        .unwrap()
}

/// Waits until the cache has finished the writes handed to it (disk and Redis write in
/// the background).
async fn settled(gw: &Gateway) {
    let store = gw.state.cache.as_ref().unwrap().store().clone();
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.pending_writes() > 0 {
        assert!(Instant::now() < deadline, "cache writes did not finish");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn upstream_chats(gw: &Gateway) -> usize {
    gw.upstream().len()
}

/// The same request as [`body`], written with its keys in another order.
const BODY: &str = r#"{"model": "gpt-alias", "temperature": 0.5,
    "messages": [{"role": "user", "content": "cache me"}]}"#;
const BODY_REORDERED: &str = r#"{"messages": [{"content": "cache me", "role": "user"}],
    "temperature": 0.5, "model": "gpt-alias"}"#;

async fn chat_raw(gw: &Gateway, body: &str) -> Reply {
    crate::common::send(gw.post("/v1/chat/completions").body(body.to_owned())).await
}

fn assert_hit(r: &Reply) -> String {
    assert_eq!(r.status, 200, "{}", r.text());
    let key = r
        .header("x-litellm-cache-key")
        .unwrap_or_else(|| panic!("a hit carries x-litellm-cache-key: {:?}", r.headers))
        .to_owned();
    assert_eq!(key.len(), 64, "sha256 hex: {key}");
    key
}

fn assert_miss(r: &Reply) {
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.header("x-litellm-cache-key").is_none(),
        "a miss has no cache key header"
    );
}

/// For each backend: the second identical request (keys in another order) is answered
/// from the cache, the same answer, without reaching the upstream.
async fn second_request_is_a_hit(gw: &Gateway) {
    let first = chat_raw(gw, BODY).await;
    assert_miss(&first);
    assert_eq!(upstream_chats(gw), 1);
    settled(gw).await;
    let second = chat_raw(gw, BODY_REORDERED).await;
    assert_hit(&second);
    assert_eq!(upstream_chats(gw), 1, "the hit did not reach the upstream");
    assert_eq!(second.json(), first.json(), "the same answer");
    assert_eq!(second.header("x-litellm-model-group"), Some("gpt-alias"));
    // A different request is not served from that entry.
    let other = chat_raw(gw, &BODY.replace("0.5", "0.6")).await;
    assert_miss(&other);
    assert_eq!(upstream_chats(gw), 2);
}

#[tokio::test]
async fn local_cache_answers_the_second_identical_request_in_any_key_order() {
    let gw = start("{type: local}").await;
    second_request_is_a_hit(&gw).await;
}

#[tokio::test]
async fn disk_cache_answers_the_second_identical_request() {
    let dir = scratch_dir("disk-hit");
    let gw = start(&format!(
        "{{type: disk, disk_cache_dir: \"{}\"}}",
        dir.display()
    ))
    .await;
    second_request_is_a_hit(&gw).await;
    drop(gw);
    let _ = std::fs::remove_dir_all(&dir);
}

fn scratch_dir(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!("llmux-cache-{name}-{}-{nanos}", std::process::id()))
}

#[tokio::test]
async fn the_disk_cache_survives_a_gateway_restart() {
    let dir = scratch_dir("restart");
    let params = format!("{{type: disk, disk_cache_dir: \"{}\"}}", dir.display());
    let first = {
        let gw = start(&params).await;
        let r = chat_raw(&gw, BODY).await;
        assert_miss(&r);
        settled(&gw).await;
        r.json()
    };
    // The old gateway's tasks let go of the file soon after it is dropped.
    let deadline = Instant::now() + Duration::from_secs(10);
    let gw = loop {
        match Gateway::try_start(&config(&params), &|_| None, Arc::new(SystemClock)).await {
            Ok(gw) => break gw,
            Err(e) if Instant::now() < deadline => {
                assert!(e.path.contains("disk_cache_dir"), "{e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("the restarted gateway could not open its cache: {e}"),
        }
    };
    let again = chat_raw(&gw, BODY).await;
    assert_hit(&again);
    assert_eq!(
        upstream_chats(&gw),
        0,
        "answered from the file the first gateway wrote"
    );
    assert_eq!(again.json(), first);
    drop(gw);
    let _ = std::fs::remove_dir_all(&dir);
}

fn with_cache(controls: Value) -> String {
    let mut body: Value = serde_json::from_str(BODY).unwrap();
    body["cache"] = controls;
    body.to_string()
}

#[tokio::test]
async fn no_store_skips_the_write_and_no_cache_skips_the_lookup() {
    let gw = start("{type: local}").await;
    assert_miss(&chat_raw(&gw, &with_cache(json!({"no-store": true}))).await);
    assert_miss(&chat_raw(&gw, BODY).await);
    assert_eq!(upstream_chats(&gw), 2, "nothing was stored the first time");
    assert_hit(&chat_raw(&gw, BODY).await);
    assert_eq!(upstream_chats(&gw), 2);
    // The controls are not part of the key: no-store still reads, no-cache does not.
    assert_hit(&chat_raw(&gw, &with_cache(json!({"no-store": true}))).await);
    assert_miss(&chat_raw(&gw, &with_cache(json!({"no-cache": true}))).await);
    assert_eq!(upstream_chats(&gw), 3);
    // `caching: false` keeps a request away from the cache altogether.
    let mut off: Value = serde_json::from_str(BODY).unwrap();
    off["caching"] = json!(false);
    assert_miss(&gw.chat(&off).await);
    assert_eq!(upstream_chats(&gw), 4);
    // A request's own mock answer is neither stored nor served a cached real one.
    let mut mocked: Value = serde_json::from_str(BODY).unwrap();
    mocked["mock_response"] = json!("a mock");
    let r = gw.chat(&mocked).await;
    assert_miss(&r);
    assert_eq!(r.json()["choices"][0]["message"]["content"], "a mock");
    assert_hit(&chat_raw(&gw, BODY).await);
    // A bad control is the client's mistake.
    let bad = chat_raw(&gw, &with_cache(json!({"ttl": "soon"}))).await;
    bad.assert_error(400, "invalid_request_error");
    assert_eq!(upstream_chats(&gw), 4);
}

#[tokio::test]
async fn entries_expire_by_ttl_and_s_maxage_on_the_cache_clock() {
    let clock = Arc::new(ManualClock::starting_now());
    let gw = start_on("{type: local, ttl: 60}", clock.clone()).await;
    assert_miss(&chat_raw(&gw, BODY).await);
    clock.advance(Duration::from_secs(59));
    assert_hit(&chat_raw(&gw, BODY).await);
    // Younger than 59 s is asked for: too old.
    assert_miss(&chat_raw(&gw, &with_cache(json!({"s-maxage": 30}))).await);
    assert_eq!(upstream_chats(&gw), 2);
    // That miss stored a fresh entry (at +59 s, for 60 s).
    clock.advance(Duration::from_secs(61));
    assert_miss(&chat_raw(&gw, BODY).await);
    assert_eq!(upstream_chats(&gw), 3, "the entry expired after its ttl");
    // A request's own ttl wins over cache_params.ttl.
    assert_miss(&chat_raw(&gw, &with_cache(json!({"ttl": 5, "no-cache": true}))).await);
    assert_hit(&chat_raw(&gw, BODY).await);
    clock.advance(Duration::from_secs(6));
    assert_miss(&chat_raw(&gw, BODY).await);
    assert_eq!(upstream_chats(&gw), 5);
}

fn stream_body(model: &str) -> String {
    json!({"model": model, "stream": true,
        "messages": [{"role": "user", "content": "stream me"}]})
    .to_string()
}

/// The content of a chat stream's chunks, joined.
fn assembled(chunks: &[Value]) -> String {
    chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect()
}

#[tokio::test]
async fn a_streamed_answer_is_cached_whole_and_replayed_as_a_stream() {
    let gw = start("{type: local}").await;
    let first = chat_raw(&gw, &stream_body("gpt-alias")).await;
    assert_miss(&first);
    let first_chunks = sse_json(&first);
    assert_eq!(assembled(&first_chunks), "Hello! How can I help you today?");
    let second = chat_raw(&gw, &stream_body("gpt-alias")).await;
    assert_hit(&second);
    assert_eq!(
        upstream_chats(&gw),
        1,
        "the replay did not reach the upstream"
    );
    assert!(
        second
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/event-stream")),
        "replayed as a stream: {:?}",
        second.headers
    );
    let replayed = sse_json(&second);
    assert_eq!(replayed, first_chunks, "the same events, in order");
    // The whole answer is keyed apart from the stream.
    let whole = gw
        .chat(
            &serde_json::from_str::<Value>(&stream_body("gpt-alias"))
                .map(|mut v| {
                    v["stream"] = json!(false);
                    v
                })
                .unwrap(),
        )
        .await;
    assert_miss(&whole);
    assert_eq!(upstream_chats(&gw), 2);
}

#[tokio::test]
async fn a_stream_that_breaks_is_never_cached() {
    let gw = start("{type: local}").await;
    for n in 1..=2 {
        let r = chat_raw(&gw, &stream_body("broken")).await;
        assert_miss(&r);
        assert!(
            r.text().contains("error"),
            "the client saw the break: {}",
            r.text()
        );
        assert_eq!(upstream_chats(&gw), n, "request {n} went upstream");
    }
}

#[tokio::test]
async fn embeddings_and_text_completions_are_cached_too() {
    let gw = start("{type: local}").await;
    let emb = json!({"model": "embed", "input": ["a", "b"]});
    let first = gw.post_json("/v1/embeddings", &emb).await;
    assert_miss(&first);
    let second = gw.post_json("/v1/embeddings", &emb).await;
    assert_hit(&second);
    assert_eq!(second.json(), first.json());
    let text = json!({"model": "gpt-alias", "prompt": "once upon"});
    assert_miss(&gw.post_json("/v1/completions", &text).await);
    assert_hit(&gw.post_json("/v1/completions", &text).await);
    assert_eq!(upstream_chats(&gw), 2);
}

#[tokio::test]
async fn conversations_longer_than_max_messages_are_not_cached() {
    let gw = start("{type: local}").await;
    let long = json!({"model": "gpt-alias", "messages": (0..5).map(|i| json!({"role": "user", "content": format!("m{i}")})).collect::<Vec<_>>()});
    gw.chat(&long).await;
    assert_miss(&gw.chat(&long).await);
    assert_eq!(
        upstream_chats(&gw),
        2,
        "LiteLLM's max_messages default of 4"
    );
}

#[tokio::test]
async fn cache_admin_routes_ping_delete_and_flush() {
    let yaml = config("{type: local}").replace(
        "router_settings:",
        "general_settings:\n  master_key: sk-admin\nrouter_settings:",
    );
    let gw = Gateway::try_start(&yaml, &|_| None, Arc::new(SystemClock))
        .await
        .unwrap();
    let admin = |req: reqwest::RequestBuilder| req.header("authorization", "Bearer sk-admin");
    let chat = || admin(gw.post("/v1/chat/completions")).body(BODY);
    let denied = crate::common::send(gw.http.get(gw.url("/cache/ping"))).await;
    denied.assert_error(401, "auth_error");
    let ping = crate::common::send(admin(gw.http.get(gw.url("/cache/ping")))).await;
    assert_eq!(
        ping.ok_json(),
        json!({"status": "healthy", "cache_type": "local"})
    );

    crate::common::send(chat()).await;
    let key = assert_hit(&crate::common::send(chat()).await);
    let deleted = crate::common::send(
        admin(gw.post("/cache/delete")).body(json!({"keys": [key]}).to_string()),
    )
    .await;
    assert_eq!(deleted.ok_json()["status"], "success");
    assert_miss(&crate::common::send(chat()).await);
    assert_hit(&crate::common::send(chat()).await);
    let flushed = crate::common::send(admin(gw.post("/cache/flushall"))).await;
    assert_eq!(flushed.ok_json(), json!({"status": "success"}));
    assert_miss(&crate::common::send(chat()).await);
    assert_eq!(upstream_chats(&gw), 3);
    let bad = crate::common::send(admin(gw.post("/cache/delete")).body("{}")).await;
    bad.assert_error(400, "invalid_request_error");
}

#[tokio::test]
async fn cache_routes_answer_503_when_no_cache_is_configured() {
    let gw = Gateway::start(&crate::common::one_model("{mock}/v1", "")).await;
    let r = gw.get("/cache/ping").await;
    let err = r.assert_error(503, "cache_ping_error");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("Cache not initialized")
    );
}

#[tokio::test]
async fn caching_groups_share_answers_across_model_groups() {
    let yaml = config("{type: local}")
        .replace(
            "  - model_name: embed",
            "  - model_name: twin\n    litellm_params:\n      model: openai/gpt-4o-mini\n      api_base: \"{mock}/v1\"\n      api_key: k\n  - model_name: embed",
        )
        .replace("  num_retries: 0", "  num_retries: 0\n  caching_groups: [[gpt-alias, twin]]");
    let gw = Gateway::try_start(&yaml, &|_| None, Arc::new(SystemClock))
        .await
        .unwrap();
    assert_miss(&chat_raw(&gw, BODY).await);
    let twin = chat_raw(&gw, &BODY.replace("gpt-alias", "twin")).await;
    assert_hit(&twin);
    assert_eq!(
        upstream_chats(&gw),
        1,
        "the twin group was answered from gpt-alias's entry"
    );
    assert_eq!(
        twin.json()["model"],
        "twin",
        "the answer names the group asked for"
    );
    // The broken group is in no caching group: its own key.
    let other = chat_raw(&gw, &BODY.replace("gpt-alias", "broken")).await;
    assert_miss(&other);
}
