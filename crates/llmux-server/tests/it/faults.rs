#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! Upstream faults get honest answers (issue #7, item 2): each fault of the mock's fault
//! controls against the real gateway.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};

use crate::common::{Gateway, Reply, chat_body, one_model};

fn stream_body() -> Value {
    let mut body = chat_body("gpt-alias");
    body["stream"] = json!(true);
    body
}

/// A 429 stays a 429 whatever its Retry-After says.
#[tokio::test]
async fn a_429_with_a_huge_negative_or_garbage_retry_after_is_a_429() {
    for value in [
        "1e20",
        "-5",
        "soon",
        "inf",
        "NaN",
        "99999999999999999999999",
    ] {
        let gw = Gateway::start(&one_model(
            &format!("{{mock}}/error/429/retry_after/{value}/v1"),
            "      num_retries: 0",
        ))
        .await;

        let reply = gw.chat(&chat_body("gpt-alias")).await;

        let err = reply.assert_error(429, "throttling_error");
        assert!(
            err["message"].as_str().unwrap().contains("RateLimitError"),
            "retry-after {value}: {err}"
        );
        assert_eq!(reply.header("llm_provider-retry-after"), Some(value));
    }
}

/// A 429 with a huge Retry-After and retries left is retried at once or after the
/// backoff, never after 1e20 seconds.
#[tokio::test]
async fn a_huge_retry_after_does_not_hold_the_retry() {
    let gw = Gateway::start(&one_model(
        "{mock}/error/429/retry_after/1e20/v1",
        "      num_retries: 1",
    ))
    .await;

    let reply = gw.chat(&chat_body("gpt-alias")).await;

    reply.assert_error(429, "throttling_error");
    assert_eq!(gw.upstream().len(), 2, "tried and retried");
}

/// A 200 whose body is not the answer is a shaped 5xx, never a 200 and never a crash.
#[tokio::test]
async fn a_broken_200_body_is_a_shaped_5xx() {
    for fault in ["truncated", "html", "wrong_shape", "fake_gzip"] {
        let gw = Gateway::start(&one_model(
            &format!("{{mock}}/{fault}/v1"),
            "      num_retries: 0",
        ))
        .await;

        let reply = gw.chat(&chat_body("gpt-alias")).await;

        assert!(
            (500..600).contains(&reply.status),
            "{fault}: got {} {}",
            reply.status,
            reply.text()
        );
        let err = reply.assert_error(reply.status, &error_type(&reply));
        assert!(
            err["message"].as_str().unwrap().starts_with("litellm."),
            "{fault}: {err}"
        );
        gw.get("/health/liveliness").await.ok_json();
    }
}

fn error_type(reply: &Reply) -> String {
    reply.json()["error"]["type"].as_str().unwrap().to_owned()
}

/// The mock's fault controls break the answer after the first content chunk; a stream
/// broken there must end with an error event: no `[DONE]`, no finish reason.
fn assert_ends_with_an_error_event(reply: &Reply, fault: &str) -> Value {
    assert_eq!(reply.status, 200, "{fault}: {}", reply.text());
    let data = reply.sse_data();
    assert!(
        !data.iter().any(|d| d == "[DONE]"),
        "{fault}: a broken stream must not look complete: {data:?}"
    );
    let events: Vec<Value> = data
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let (last, chunks) = events.split_last().expect("some events");
    let err = last
        .get("error")
        .unwrap_or_else(|| panic!("{fault}: the last event is not an error: {data:?}"))
        .clone();
    assert!(err["message"].is_string(), "{fault}: {err}");
    assert!(err["code"].is_string(), "{fault}: {err}");
    assert!(
        chunks.iter().all(|c| c["choices"][0]
            .get("finish_reason")
            .is_none_or(Value::is_null)),
        "{fault}: no chunk said the answer finished: {data:?}"
    );
    assert!(
        chunks
            .iter()
            .any(|c| c["choices"][0]["delta"]["content"] == "Hello"),
        "{fault}: what came before the fault is relayed: {data:?}"
    );
    err
}

#[tokio::test]
async fn a_malformed_stream_event_ends_the_stream_with_an_error_event() {
    let gw = Gateway::start(&one_model("{mock}/bad_event/v1", "")).await;

    let reply = gw.chat(&stream_body()).await;

    let err = assert_ends_with_an_error_event(&reply, "bad_event");
    assert!(
        err["message"].as_str().unwrap().contains("not JSON"),
        "{err}"
    );
}

#[tokio::test]
async fn a_stream_cut_before_done_ends_with_an_error_event() {
    let gw = Gateway::start(&one_model("{mock}/cut_stream/v1", "")).await;

    let reply = gw.chat(&stream_body()).await;

    let err = assert_ends_with_an_error_event(&reply, "cut_stream");
    assert!(err["message"].as_str().unwrap().contains("[DONE]"), "{err}");
}

#[tokio::test]
async fn a_stream_stalled_past_stream_timeout_ends_with_a_timeout_event() {
    let gw = Gateway::start(&one_model(
        "{mock}/stall_stream/5000/v1",
        "      stream_timeout: 0.3",
    ))
    .await;
    let started = Instant::now();

    let reply = gw.chat(&stream_body()).await;

    let err = assert_ends_with_an_error_event(&reply, "stall_stream");
    assert_eq!(err["code"], "408", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("litellm.Timeout"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "ended at the stream timeout, not when the upstream resumed ({:?})",
        started.elapsed()
    );
}

/// One attempt's `timeout` covers the headers and the body together: headers after
/// 300 ms and a body that stalls give a 408 at 600 ms, not at 300 + 600.
#[tokio::test]
async fn a_408_comes_at_timeout_not_twice_it() {
    let gw = Gateway::start(&one_model(
        "{mock}/delay/300/stall_body/5000/v1",
        "      timeout: 0.6\n      num_retries: 0",
    ))
    .await;
    let started = Instant::now();

    let reply = gw.chat(&chat_body("gpt-alias")).await;

    let elapsed = started.elapsed();
    reply.assert_error(408, "invalid_request_error");
    assert!(
        elapsed >= Duration::from_millis(550) && elapsed < Duration::from_millis(850),
        "the 408 came at {elapsed:?}, the timeout is 600 ms"
    );
}

#[tokio::test]
async fn a_stall_before_the_headers_is_a_408_at_timeout() {
    let gw = Gateway::start(&one_model(
        "{mock}/delay/5000/v1",
        "      timeout: 0.4\n      num_retries: 0",
    ))
    .await;
    let started = Instant::now();

    let reply = gw.chat(&chat_body("gpt-alias")).await;

    let elapsed = started.elapsed();
    reply.assert_error(408, "invalid_request_error");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
}

/// The mock counts a streamed answer whose reader went away; it must go away within a
/// second of the client's.
#[tokio::test]
async fn a_client_disconnect_mid_stream_closes_the_upstream_within_a_second() {
    let gw = Gateway::start(&one_model("{mock}/pace/20/chunks/5000/v1", "")).await;

    let resp = gw
        .post("/v1/chat/completions")
        .body(stream_body().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut frames = resp.bytes_stream();
    let mut seen = String::new();
    while seen.matches("\n\n").count() < 3 {
        let bytes = tokio::time::timeout(Duration::from_secs(5), frames.next())
            .await
            .expect("chunks come every 20 ms")
            .expect("the stream is open")
            .unwrap();
        seen.push_str(std::str::from_utf8(&bytes).unwrap());
    }
    assert_eq!(gw.mock.streams_dropped(), 0);
    drop(frames);
    let dropped_at = Instant::now();

    while gw.mock.streams_dropped() == 0 {
        assert!(
            dropped_at.elapsed() < Duration::from_secs(1),
            "the upstream stream is still being read a second after the client left"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    gw.chat(&chat_body("gpt-alias")).await.ok_json();
}

/// `Duration::from_secs_f64(1e20)` panics; the request keys are checked instead, and a
/// timeout no `Duration` can hold is the client's mistake (400), not a caught panic (500).
#[tokio::test]
async fn a_request_timeout_of_1e20_is_a_400_not_a_panic() {
    let gw = Gateway::start(&one_model("{mock}/v1", "")).await;
    for key in ["timeout", "request_timeout"] {
        let mut body = chat_body("gpt-alias");
        body[key] = json!(1e20);

        let reply = gw.chat(&body).await;

        let err = reply.assert_error(400, "invalid_request_error");
        assert!(err["message"].as_str().unwrap().contains(key), "{err}");
    }
    assert!(gw.upstream().is_empty());
}

/// 10 KiB limits, so the test moves little data.
const SMALL_LIMITS: &str = "general_settings:
  max_upstream_response_size_mb: 0.01
  max_upstream_event_size_mb: 0.01
";

#[tokio::test]
async fn an_upstream_body_over_the_limit_is_a_clear_error() {
    let over = format!(
        "{}{SMALL_LIMITS}",
        one_model("{mock}/pad/64/v1", "      num_retries: 0")
    );
    let gw = Gateway::start(&over).await;

    let reply = gw.chat(&chat_body("gpt-alias")).await;

    let err = reply.assert_error(500, &error_type(&reply));
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains("general_settings.max_upstream_response_size_mb"),
        "{message}"
    );

    let under = format!("{}{SMALL_LIMITS}", one_model("{mock}/pad/4/v1", ""));
    let gw = Gateway::start(&under).await;
    gw.chat(&chat_body("gpt-alias")).await.ok_json();
}

#[tokio::test]
async fn an_endless_stream_line_over_the_limit_ends_with_an_error_event() {
    let yaml = format!("{}{SMALL_LIMITS}", one_model("{mock}/pad/256/v1", ""));
    let gw = Gateway::start(&yaml).await;

    let reply = gw.chat(&stream_body()).await;

    let err = assert_ends_with_an_error_event(&reply, "huge");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("general_settings.max_upstream_event_size_mb"),
        "{err}"
    );
}

/// The same stream faults on Anthropic and Gemini deployments (their own stream
/// formats, decoded into chat chunks).
#[tokio::test]
async fn anthropic_and_gemini_streams_broken_mid_way_end_with_an_error_event() {
    for (model, base) in [
        ("anthropic/claude-sonnet-4-5", "{mock}/FAULT"),
        ("gemini/gemini-2.0-flash", "{mock}/FAULT/v1beta"),
    ] {
        for fault in ["bad_event", "cut_stream"] {
            let yaml = format!(
                "model_list:\n  - model_name: gpt-alias\n    litellm_params:\n      model: {model}\n      api_base: \"{}\"\n      api_key: sk-x\n",
                base.replace("FAULT", fault)
            );
            let gw = Gateway::start(&yaml).await;

            let reply = gw.chat(&stream_body()).await;

            assert_eq!(reply.status, 200, "{model} {fault}: {}", reply.text());
            let data = reply.sse_data();
            assert!(
                !data.iter().any(|d| d == "[DONE]"),
                "{model} {fault}: a broken stream must not look complete: {data:?}"
            );
            let last: Value = serde_json::from_str(data.last().unwrap()).unwrap();
            assert!(
                last.get("error").is_some(),
                "{model} {fault}: the last event is an error: {data:?}"
            );
        }
    }
}

/// `(event name, data)` of each frame of an Anthropic SSE body (a frame with no data,
/// such as a keep-alive, is left out).
fn anthropic_events(reply: &Reply) -> Vec<(String, Value)> {
    reply
        .text()
        .split("\n\n")
        .filter_map(|frame| {
            let mut name = String::new();
            let mut data = None;
            for line in frame.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    n.clone_into(&mut name);
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = Some(serde_json::from_str::<Value>(d).unwrap_or_else(|e| {
                        panic!("the client got an event that is not JSON ({e}): {d:?}")
                    }));
                }
            }
            Some((name, data?))
        })
        .collect()
}

/// The stream faults on the native `/v1/messages` pass-through (an Anthropic
/// deployment, its bytes relayed): a malformed event, a cut before `message_stop` and a
/// stall past `stream_timeout` (the deployment's, or the request's `stream_timeout`)
/// each end the relayed stream with an Anthropic `event: error`, after the events that
/// came before the fault, and never with `message_stop`.
#[tokio::test]
async fn native_messages_streams_broken_mid_way_end_with_an_anthropic_error_event() {
    for (fault, param, body_key, wants) in [
        ("bad_event", "", None, "not JSON"),
        ("cut_stream", "", None, "before message_stop"),
        (
            "stall_stream/5000",
            "      stream_timeout: 0.3\n",
            None,
            "Timeout",
        ),
        ("stall_stream/5000", "", Some(0.3), "Timeout"),
    ] {
        let yaml = format!(
            "model_list:\n  - model_name: claude-alias\n    litellm_params:\n      model: anthropic/claude-3-5-haiku-20241022\n      api_base: \"{{mock}}/{fault}\"\n      api_key: sk-x\n      num_retries: 0\n{param}"
        );
        let gw = Gateway::start(&yaml).await;
        let mut body = json!({
            "model": "claude-alias", "max_tokens": 64, "stream": true,
            "messages": [{"role": "user", "content": "Say hello."}]
        });
        if let Some(secs) = body_key {
            body["stream_timeout"] = json!(secs);
        }
        let started = Instant::now();

        let reply = gw.post_json("/v1/messages", &body).await;

        assert_eq!(reply.status, 200, "{fault}: {}", reply.text());
        let events = anthropic_events(&reply);
        let (last, err) = events.last().expect("some events");
        assert_eq!(last, "error", "{fault}: {}", reply.text());
        assert_eq!(err["type"], "error", "{fault}: {err}");
        assert!(err["error"]["type"].is_string(), "{fault}: {err}");
        let message = err["error"]["message"].as_str().unwrap();
        assert!(message.contains(wants), "{fault}: {message}");
        assert!(
            !events
                .iter()
                .any(|(n, _)| n == "message_stop" || n == "message_delta"),
            "{fault}: a broken stream must not look complete: {}",
            reply.text()
        );
        assert_eq!(events[0].0, "message_start", "{fault}");
        assert_eq!(events[0].1["message"]["model"], "claude-alias", "restamped");
        assert!(
            events
                .iter()
                .any(|(_, d)| d["delta"]["text"].as_str().is_some_and(|t| !t.is_empty())),
            "{fault}: what came before the fault is relayed: {}",
            reply.text()
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{fault}: ended at the fault, not when the upstream resumed"
        );
        assert_eq!(
            events.iter().filter(|(n, _)| n == "error").count(),
            1,
            "{fault}: one error event, last"
        );
    }
}

/// A native `/v1/messages` stream that sends one endless line is cut at
/// `max_upstream_event_size_mb` with an error event, not buffered without bound.
#[tokio::test]
async fn a_native_messages_stream_line_over_the_limit_ends_with_an_error_event() {
    let yaml = format!(
        "model_list:\n  - model_name: claude-alias\n    litellm_params:\n      model: anthropic/claude-3-5-haiku-20241022\n      api_base: \"{{mock}}/pad/256\"\n      api_key: sk-x\n      num_retries: 0\n{SMALL_LIMITS}"
    );
    let gw = Gateway::start(&yaml).await;
    let body = json!({
        "model": "claude-alias", "max_tokens": 64, "stream": true,
        "messages": [{"role": "user", "content": "Say hello."}]
    });

    let reply = gw.post_json("/v1/messages", &body).await;

    let events = anthropic_events(&reply);
    let (last, err) = events.last().expect("some events");
    assert_eq!(last, "error", "{}", reply.text());
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("general_settings.max_upstream_event_size_mb"),
        "{err}"
    );
}

/// `stream_timeout` in a request body is that request's stream timeout, as LiteLLM's
/// router reads it (`Router._get_stream_timeout`: the call's kwargs first): a stream
/// stalled past it ends with a timeout event although the deployment sets no stream
/// timeout; a request that does not stream ignores it; the key never goes upstream.
#[tokio::test]
async fn a_stream_timeout_in_the_request_body_bounds_that_stream() {
    let gw = Gateway::start(&one_model("{mock}/stall_stream/5000/v1", "")).await;
    let mut body = stream_body();
    body["stream_timeout"] = json!(0.3);
    let started = Instant::now();

    let reply = gw.chat(&body).await;

    let err = assert_ends_with_an_error_event(&reply, "stall_stream");
    assert_eq!(err["code"], "408", "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "ended at the request's stream timeout ({:?})",
        started.elapsed()
    );
    let sent = gw.upstream()[0].json().unwrap();
    assert!(
        sent.get("stream_timeout").is_none(),
        "not forwarded: {sent}"
    );

    let gw = Gateway::start(&one_model("{mock}/stall_body/300/v1", "")).await;
    let mut body = chat_body("gpt-alias");
    body["stream_timeout"] = json!(0.05);

    let reply = gw.chat(&body).await;

    assert_eq!(reply.status, 200, "not a stream: {}", reply.text());
}
