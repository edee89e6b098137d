#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::sync::atomic::Ordering;

use serde_json::json;

use super::*;

fn settings(v: Value) -> (LoggingSettings, Vec<String>) {
    let Value::Object(m) = v else { panic!() };
    LoggingSettings::from_litellm_settings(&m).unwrap()
}

#[test]
fn callback_lists_merge_and_unknown_names_are_reported() {
    let (s, ignored) = settings(json!({
        "callbacks": ["prometheus"],
        "success_callback": ["json_lines", "langfuse"],
        "failure_callback": "json_lines",
    }));
    assert_eq!(
        s.callbacks,
        [
            CallbackSpec {
                name: "prometheus".into(),
                wants: Wants::ALL
            },
            CallbackSpec {
                name: "json_lines".into(),
                wants: Wants::ALL
            },
        ]
    );
    assert_eq!(ignored, ["langfuse"]);
    assert!(s.message_logging);
    assert!(!s.redact_user_api_key_info);
}

#[test]
fn bad_logging_settings_name_their_key() {
    let Value::Object(m) = json!({"callbacks": [1]}) else {
        panic!()
    };
    let e = LoggingSettings::from_litellm_settings(&m).unwrap_err();
    assert_eq!(e.path, "litellm_settings.callbacks");
    let Value::Object(m) = json!({"turn_off_message_logging": "maybe"}) else {
        panic!()
    };
    let e = LoggingSettings::from_litellm_settings(&m).unwrap_err();
    assert_eq!(e.path, "litellm_settings.turn_off_message_logging");
}

#[test]
fn generic_api_needs_an_endpoint_and_reads_the_environment() {
    let none = |_: &str| None;
    let e = generic_api::GenericApiSettings::from_options(&Map::new(), &none).unwrap_err();
    assert_eq!(e.0, "endpoint");
    let env = |k: &str| match k {
        "GENERIC_LOGGER_ENDPOINT" => Some("http://127.0.0.1:9/logs".to_owned()),
        "GENERIC_LOGGER_HEADERS" => Some("Authorization=Bearer x, X-Team=a".to_owned()),
        _ => None,
    };
    let s = generic_api::GenericApiSettings::from_options(&Map::new(), &env).unwrap();
    assert_eq!(s.endpoint, "http://127.0.0.1:9/logs");
    assert!(
        s.headers
            .contains(&("authorization".into(), "Bearer x".into()))
    );
    assert!(s.headers.contains(&("x-team".into(), "a".into())));
    assert_eq!(s.batch_size, 512);
    let Value::Object(bad) = json!({"endpoint": "http://h/l", "log_format": "xml"}) else {
        panic!()
    };
    let e = generic_api::GenericApiSettings::from_options(&bad, &none).unwrap_err();
    assert_eq!(e.0, "log_format");
}

/// A sink that never finishes a write: the worker holds one batch forever.
#[derive(Debug)]
struct Stuck;

impl Sink for Stuck {
    fn name(&self) -> &'static str {
        "stuck"
    }
    fn batch_size(&self) -> usize {
        1
    }
    fn write<'a>(&'a self, _: &'a [Arc<StandardLoggingPayload>]) -> BoxFuture<'a, ()> {
        Box::pin(std::future::pending())
    }
}

fn event(status: Status) -> Arc<StandardLoggingPayload> {
    let ctx = CallContext::new(Entrance::Library, crate::router::Identity::Library);
    let logger = Logger::new(true, false, Vec::new());
    Arc::new(logger.payload(
        &ctx,
        Parts {
            status,
            model_group: "g",
            deployment: None,
            usage: None,
            cost: None,
            elapsed: std::time::Duration::ZERO,
            time_to_first_token: None,
            stream: None,
            error: None,
            response: None,
            stream_info: None,
        },
    ))
}

#[tokio::test]
async fn a_full_queue_drops_and_counts_without_waiting() {
    let rt = tokio::runtime::Handle::current();
    let q = SinkQueue::start(Arc::new(Stuck), Wants::ALL, 3, &rt);
    let e = event(Status::Success);
    q.offer(&e);
    // Let the worker take the first event into its stuck write.
    while q.counters().queued.load(Ordering::SeqCst) < 1 {
        tokio::task::yield_now().await;
    }
    for _ in 0..5 {
        tokio::task::yield_now().await;
    }
    for _ in 0..10 {
        q.offer(&e);
    }
    let c = q.counters();
    let queued = c.queued.load(Ordering::SeqCst);
    let dropped = c.dropped.load(Ordering::SeqCst);
    assert_eq!(queued + dropped, 11);
    assert!(
        (3..=4).contains(&queued),
        "queue of 3 plus one in the worker: {queued}"
    );
}

#[tokio::test]
async fn a_success_only_sink_never_sees_failures() {
    let rt = tokio::runtime::Handle::current();
    let wants = Wants {
        success: true,
        failure: false,
    };
    let q = SinkQueue::start(Arc::new(Stuck), wants, 8, &rt);
    q.offer(&event(Status::Failure));
    q.offer(&event(Status::Success));
    assert_eq!(q.counters().queued.load(Ordering::SeqCst), 1);
    assert_eq!(q.counters().dropped.load(Ordering::SeqCst), 0);
}

/// A sink that waits an hour for a batch of 100 to fill, and records what it writes.
#[derive(Debug, Default)]
struct Patient {
    written: std::sync::Mutex<Vec<usize>>,
}

impl Sink for Patient {
    fn name(&self) -> &'static str {
        "patient"
    }
    fn batch_size(&self) -> usize {
        100
    }
    fn flush_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(3600)
    }
    fn write<'a>(&'a self, batch: &'a [Arc<StandardLoggingPayload>]) -> BoxFuture<'a, ()> {
        self.written.lock().unwrap().push(batch.len());
        Box::pin(async {})
    }
}

#[tokio::test]
async fn a_flush_writes_a_batch_still_filling_and_the_queue_keeps_working() {
    let rt = tokio::runtime::Handle::current();
    let sink = Arc::new(Patient::default());
    let logger = Logger::new(
        true,
        false,
        vec![SinkQueue::start(sink.clone(), Wants::ALL, 8, &rt)],
    );
    let e = event(Status::Success);
    for _ in 0..3 {
        logger.queues()[0].offer(&e);
    }
    tokio::time::timeout(std::time::Duration::from_secs(10), logger.flush())
        .await
        .expect("a flush does not wait out the flush interval");
    assert_eq!(*sink.written.lock().unwrap(), [3]);
    assert_eq!(
        logger.queues()[0].counters().written.load(Ordering::SeqCst),
        3
    );
    // After a flush the worker batches again, and a second flush writes the rest.
    logger.queues()[0].offer(&e);
    logger.flush().await;
    logger.flush().await;
    assert_eq!(*sink.written.lock().unwrap(), [3, 1]);
}

#[test]
fn a_stream_is_put_back_together_for_the_log() {
    let chunk = |content: Option<&str>, finish: Option<&str>| {
        json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
               "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]})
    };
    let usage = json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                       "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2}});
    let events = [
        chunk(Some("Hel"), None),
        chunk(Some("lo"), None),
        chunk(None, Some("stop")),
        usage,
    ];
    let whole = assemble(&events);
    assert_eq!(whole["object"], "chat.completion");
    assert_eq!(whole["choices"][0]["message"]["content"], "Hello");
    assert_eq!(whole["choices"][0]["finish_reason"], "stop");
    assert_eq!(whole["usage"]["completion_tokens"], 2);
    // Not chat chunks: kept as they were.
    let other = [json!({"type": "message_start"})];
    assert_eq!(assemble(&other), json!([{"type": "message_start"}]));
}
