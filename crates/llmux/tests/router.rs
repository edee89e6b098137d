//! `llmux::Router` as a library: hooks (refuse, answer, success, failure, stream end),
//! retries on a healthy sibling, fallbacks and weighted shuffling, against the fake
//! upstream (`llmux-mock`) with injected failures, or `mock_response` deployments where
//! no network is needed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::BoxFuture;
use llmux::config::{ModelEntry, RouterSettings};
use llmux::router::state::now_ms;
use llmux::router::{
    CallContext, CallFailure, CallHook, CallSuccess, PreCall, RequestView, RouterOptions,
    StreamEnd, StreamStatus,
};
use llmux::{ChatRequest, ChatResponse, EmbeddingRequest, Error, ErrorKind, Router};
use llmux_mock::MockServer;
use serde_json::{Value, json};

/// What a [`Recorder`] does before routing.
#[derive(Debug, Default)]
enum Before {
    #[default]
    Continue,
    Refuse(Error),
    Answer(Value),
}

#[derive(Debug, Clone, PartialEq)]
struct Succeeded {
    model_group: String,
    deployment_id: String,
    provider: String,
    retries: u32,
    fallbacks: u32,
}

#[derive(Debug, Clone, PartialEq)]
struct FailedCall {
    model_group: String,
    status: u16,
    attempts: usize,
    retries: u32,
    fallbacks: u32,
}

/// A hook that records every event it sees.
#[derive(Debug, Default)]
struct Recorder {
    before: Before,
    pre_calls: Mutex<Vec<String>>,
    successes: Mutex<Vec<Succeeded>>,
    failures: Mutex<Vec<FailedCall>>,
    stream_ends: Mutex<Vec<StreamEnd>>,
}

fn take<T: Clone>(m: &Mutex<Vec<T>>) -> Vec<T> {
    m.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

fn push<T>(m: &Mutex<Vec<T>>, v: T) {
    m.lock().unwrap_or_else(PoisonError::into_inner).push(v);
}

impl Recorder {
    fn new(before: Before) -> Arc<Self> {
        Arc::new(Self {
            before,
            ..Self::default()
        })
    }
}

impl CallHook for Recorder {
    fn pre_call<'a>(
        &'a self,
        _ctx: &'a CallContext,
        request: RequestView<'a>,
    ) -> BoxFuture<'a, PreCall> {
        let model = match request {
            RequestView::Chat(r) => r.model.clone(),
            RequestView::Embedding(r) => r.model.clone(),
            RequestView::Completion(r) => r.model.clone(),
            RequestView::Messages(_) | RequestView::Responses(_) => String::new(),
        };
        push(&self.pre_calls, model);
        let decision = match &self.before {
            Before::Continue => PreCall::Continue,
            Before::Refuse(e) => PreCall::Refuse(e.clone()),
            Before::Answer(v) => PreCall::Answer(v.clone()),
        };
        Box::pin(std::future::ready(decision))
    }

    fn on_success(&self, _ctx: &CallContext, s: &CallSuccess<'_>) {
        push(
            &self.successes,
            Succeeded {
                model_group: s.model_group.to_owned(),
                deployment_id: s.deployment_id.to_owned(),
                provider: s.provider.to_owned(),
                retries: s.retries,
                fallbacks: s.fallbacks,
            },
        );
    }

    fn on_failure(&self, _ctx: &CallContext, f: &CallFailure<'_>) {
        push(
            &self.failures,
            FailedCall {
                model_group: f.model_group.to_owned(),
                status: f.error.status.as_u16(),
                attempts: f.attempts.len(),
                retries: f.retries,
                fallbacks: f.fallbacks,
            },
        );
    }

    fn on_stream_end(&self, _ctx: &CallContext, end: &StreamEnd) {
        push(&self.stream_ends, end.clone());
    }
}

/// A deployment of `group` with `id` on the mock, behind the control `prefix`.
fn upstream(mock: &MockServer, group: &str, id: &str, prefix: &str) -> Value {
    json!({
        "model_name": group,
        "litellm_params": {
            "model": "openai/gpt-4o-mini",
            "api_base": format!("{}{prefix}/v1", mock.url()),
            "api_key": "sk-test",
        },
        "model_info": {"id": id},
    })
}

fn build(list: Vec<Value>, settings: Value, hooks: Vec<Arc<dyn CallHook>>) -> Router {
    let list: Vec<ModelEntry> = list
        .into_iter()
        .map(|e| serde_json::from_value(e).unwrap())
        .collect();
    let settings: RouterSettings = serde_json::from_value(settings).unwrap();
    let options = RouterOptions {
        hooks,
        ..RouterOptions::default()
    };
    Router::build(&list, settings, options, &|_| None).unwrap()
}

fn chat(model: &str) -> ChatRequest {
    serde_json::from_value(json!({
        "model": model,
        "messages": [{"role": "user", "content": "hi"}],
    }))
    .unwrap()
}

fn text(r: &ChatResponse) -> &str {
    r.choices[0].message.content.as_deref().unwrap_or_default()
}

fn library_ctx() -> CallContext {
    CallContext::new(
        llmux::router::Entrance::Library,
        llmux::router::Identity::Library,
    )
}

#[tokio::test]
async fn a_refusing_pre_call_hook_fails_the_call_before_any_upstream_request() {
    let mock = MockServer::start().await.unwrap();
    let refusal = Error::new(ErrorKind::BudgetExceeded, "key over its budget");
    let hook = Recorder::new(Before::Refuse(refusal));
    let router = build(
        vec![upstream(&mock, "g", "d1", "")],
        json!({}),
        vec![hook.clone()],
    );

    let err = router.completion(chat("g")).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::BudgetExceeded);
    assert_eq!(err.message, "key over its budget");
    let failed = router.chat(&library_ctx(), chat("g")).await.unwrap_err();
    assert_eq!((failed.retries, failed.fallbacks), (0, 0));
    assert_eq!(failed.model_group, "g");
    assert_eq!(failed.error.kind, ErrorKind::BudgetExceeded);

    assert!(mock.requests().is_empty(), "{:?}", mock.requests());
    assert_eq!(take(&hook.pre_calls), vec!["g", "g"]);
    assert!(take(&hook.successes).is_empty());
}

#[tokio::test]
async fn a_pre_call_hook_can_answer_without_an_upstream_request() {
    let mock = MockServer::start().await.unwrap();
    let cached = json!({
        "id": "chatcmpl-cached",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": "from the cache"},
            "finish_reason": "stop",
        }],
    });
    let hook = Recorder::new(Before::Answer(cached));
    let router = build(
        vec![upstream(&mock, "g", "d1", "")],
        json!({}),
        vec![hook.clone()],
    );

    let answer = router.completion(chat("g")).await.unwrap();
    assert_eq!(text(&answer), "from the cache");
    assert_eq!(answer.id, "chatcmpl-cached");
    let routed = router.chat(&library_ctx(), chat("g")).await.unwrap();
    assert!(routed.deployment.is_none());
    assert_eq!(routed.model_group, "g");

    assert!(mock.requests().is_empty(), "{:?}", mock.requests());
}

#[tokio::test]
async fn a_pre_call_hook_can_answer_a_stream() {
    let mock = MockServer::start().await.unwrap();
    let chunk = |content: &str| {
        json!({
            "id": "chatcmpl-cached",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": null}],
        })
    };
    let hook = Recorder::new(Before::Answer(json!([chunk("from "), chunk("cache")])));
    let router = build(
        vec![upstream(&mock, "g", "d1", "")],
        json!({}),
        vec![hook.clone()],
    );

    let stream = router.completion_stream(chat("g")).await.unwrap();
    let chunks: Vec<_> = stream.collect().await;
    let text: String = chunks
        .into_iter()
        .map(|c| c.unwrap())
        .filter_map(|c| c.choices.first()?.delta.content.clone())
        .collect();
    assert_eq!(text, "from cache");
    assert!(mock.requests().is_empty(), "{:?}", mock.requests());
}

#[tokio::test]
async fn a_failed_deployment_is_retried_at_once_on_its_healthy_sibling() {
    let mock = MockServer::start().await.unwrap();
    let hook = Recorder::new(Before::Continue);
    // `order` makes the broken deployment the first choice every time.
    let mut broken = upstream(&mock, "g", "broken", "/error/500");
    broken["litellm_params"]["order"] = json!(1);
    let mut healthy = upstream(&mock, "g", "healthy", "");
    healthy["litellm_params"]["order"] = json!(2);
    let router = build(
        vec![broken, healthy],
        json!({"num_retries": 2}),
        vec![hook.clone()],
    );

    let started = Instant::now();
    let answer = router.completion(chat("g")).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(text(&answer), "Hello! How can I help you today?");
    // Without a healthy sibling the backoff would be 0.5 s less up to 25 % jitter.
    assert!(elapsed < Duration::from_millis(300), "{elapsed:?}");

    let paths: Vec<String> = mock.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        vec!["/error/500/v1/chat/completions", "/v1/chat/completions"]
    );
    assert_eq!(
        take(&hook.successes),
        vec![Succeeded {
            model_group: "g".into(),
            deployment_id: "healthy".into(),
            provider: "openai".into(),
            retries: 1,
            fallbacks: 0,
        }]
    );

    let routed = router.chat(&library_ctx(), chat("g")).await.unwrap();
    assert_eq!(routed.retries, 1);
    assert_eq!(routed.fallbacks, 0);
    assert_eq!(routed.model_group, "g");
    assert_eq!(routed.deployment.unwrap().id, "healthy");
    // Nothing left in flight on either deployment.
    let loads = router.state().loads(&["broken", "healthy"], now_ms());
    assert_eq!((loads[0].in_flight, loads[1].in_flight), (0, 0));
}

#[tokio::test]
async fn a_broken_sibling_costs_no_backoff_whichever_is_picked_first() {
    let mock = MockServer::start().await.unwrap();
    let router = build(
        vec![
            upstream(&mock, "g", "broken", "/error/500"),
            upstream(&mock, "g", "healthy", ""),
        ],
        json!({"num_retries": 2}),
        Vec::new(),
    );
    for _ in 0..20 {
        let started = Instant::now();
        let answer = router.completion(chat("g")).await.unwrap();
        assert_eq!(text(&answer), "Hello! How can I help you today?");
        // The shortest backoff is 0.375 s (0.5 s less 25 % jitter).
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_millis(300), "{elapsed:?}");
    }
    // Both were picked first at some point (the broken one then failed over).
    let broken = mock
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/error/500"))
        .count();
    assert!(broken > 0, "the broken deployment was never tried");
}

#[tokio::test]
async fn failure_hooks_see_the_call_that_gave_up() {
    let mock = MockServer::start().await.unwrap();
    let hook = Recorder::new(Before::Continue);
    let router = build(
        vec![
            upstream(&mock, "g", "a", "/error/500"),
            upstream(&mock, "g", "b", "/error/500"),
        ],
        json!({"num_retries": 1}),
        vec![hook.clone()],
    );

    let started = Instant::now();
    let err = router.completion(chat("g")).await.unwrap_err();
    assert_eq!(err.status.as_u16(), 500);
    assert!(started.elapsed() < Duration::from_millis(300));
    // One retry, on the other deployment, then the call gives up.
    let paths: Vec<String> = mock.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    let failures = take(&hook.failures);
    assert_eq!(failures.len(), 1, "{failures:?}");
    let f = &failures[0];
    assert_eq!(
        (f.model_group.as_str(), f.status, f.retries, f.fallbacks),
        ("g", 500, 1, 0)
    );
    // Every attempt's error, not only the group's last.
    assert_eq!(f.attempts, 2, "{f:?}");
    assert!(take(&hook.successes).is_empty());
}

#[tokio::test]
async fn a_failing_group_falls_back_and_hooks_see_the_answering_group() {
    let mock = MockServer::start().await.unwrap();
    let hook = Recorder::new(Before::Continue);
    let router = build(
        vec![
            upstream(&mock, "primary", "p", "/error/500"),
            upstream(&mock, "backup", "b", ""),
        ],
        json!({"num_retries": 0, "fallbacks": [{"primary": ["backup"]}]}),
        vec![hook.clone()],
    );

    let routed = router.chat(&library_ctx(), chat("primary")).await.unwrap();
    assert_eq!(text(&routed.value), "Hello! How can I help you today?");
    assert_eq!((routed.retries, routed.fallbacks), (0, 1));
    assert_eq!(routed.model_group, "backup");
    assert_eq!(routed.deployment.unwrap().id, "b");
    let seen = take(&hook.successes);
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].model_group.as_str(), seen[0].fallbacks),
        ("backup", 1)
    );
}

#[tokio::test]
async fn embeddings_go_through_the_router_and_its_hooks() {
    let mock = MockServer::start().await.unwrap();
    let hook = Recorder::new(Before::Continue);
    let mut entry = upstream(&mock, "emb", "e1", "");
    entry["litellm_params"]["model"] = json!("openai/text-embedding-3-small");
    let router = build(vec![entry], json!({}), vec![hook.clone()]);

    let req: EmbeddingRequest =
        serde_json::from_value(json!({"model": "emb", "input": ["a", "b"]})).unwrap();
    let answer = router.embedding(req).await.unwrap();
    assert_eq!(answer.data.len(), 2);
    assert_eq!(take(&hook.pre_calls), vec!["emb"]);
    let seen = take(&hook.successes);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].deployment_id, "e1");
    // Usage is counted against the deployment's tpm (5 tokens per input).
    let load = router.state().loads(&["e1"], now_ms())[0];
    assert_eq!((load.tpm, load.in_flight), (10, 0));
}

#[tokio::test]
async fn a_stream_dropped_after_its_first_chunk_ends_as_client_gone() {
    let mock = MockServer::start().await.unwrap();
    let hook = Recorder::new(Before::Continue);
    let router = build(
        vec![upstream(&mock, "g", "d1", "/delay/20/chunks/50")],
        json!({}),
        vec![hook.clone()],
    );

    let mut stream = router.completion_stream(chat("g")).await.unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.id, "chatcmpl-mock0001");
    // Success is reported at the first event; the end is not there yet.
    assert_eq!(take(&hook.successes).len(), 1);
    assert!(take(&hook.stream_ends).is_empty());
    assert_eq!(router.state().loads(&["d1"], now_ms())[0].in_flight, 1);
    drop(stream);

    let ends = take(&hook.stream_ends);
    assert_eq!(ends.len(), 1, "{ends:?}");
    let end = &ends[0];
    assert!(
        matches!(end.status, StreamStatus::ClientGone),
        "{:?}",
        end.status
    );
    assert_eq!(end.deployment_id, "d1");
    assert_eq!(end.model_group, "g");
    assert_eq!(end.events, 1);
    assert!(end.usage.is_none());
    assert!(end.time_to_first_token.is_some());
    // The deployment is released, and nothing is counted for it.
    let load = router.state().loads(&["d1"], now_ms())[0];
    assert_eq!((load.in_flight, load.tpm), (0, 0));
    assert_eq!(load.latency_secs, None);
}

#[tokio::test]
async fn a_stream_read_to_its_end_completes_with_its_usage() {
    let mock = MockServer::start().await.unwrap();
    let hook = Recorder::new(Before::Continue);
    let router = build(
        vec![upstream(&mock, "g", "d1", "")],
        json!({}),
        vec![hook.clone()],
    );

    let mut req = chat("g");
    req.stream_options = serde_json::from_value(json!({"include_usage": true})).unwrap();
    let stream = router.completion_stream(req).await.unwrap();
    let chunks: Vec<_> = stream.map(|c| c.unwrap()).collect().await;
    let text: String = chunks
        .iter()
        .filter_map(|c| c.choices.first()?.delta.content.clone())
        .collect();
    assert_eq!(text, "Hello! How can I help you today?");

    let ends = take(&hook.stream_ends);
    assert_eq!(ends.len(), 1, "{ends:?}");
    let end = &ends[0];
    assert!(
        matches!(end.status, StreamStatus::Completed),
        "{:?}",
        end.status
    );
    assert_eq!(end.events, chunks.len() as u64);
    let usage = end.usage.as_ref().expect("the usage chunk");
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (12, 9, 21)
    );
    // Counted at the end: tokens against tpm, the time to first token as latency.
    let load = router.state().loads(&["d1"], now_ms())[0];
    assert_eq!((load.in_flight, load.tpm), (0, 21));
    assert!(load.latency_secs.is_some());
}

#[tokio::test]
async fn weighted_shuffle_splits_calls_1_to_3() {
    let mocked = |id: &str, answer: &str, weight: u32| {
        json!({
            "model_name": "g",
            "litellm_params": {
                "model": "openai/gpt-4o-mini",
                "mock_response": answer,
                "weight": weight,
            },
            "model_info": {"id": id},
        })
    };
    let router = build(
        vec![mocked("light", "a", 1), mocked("heavy", "b", 3)],
        json!({"routing_strategy": "simple-shuffle"}),
        Vec::new(),
    );

    const CALLS: usize = 2_000;
    let mut b = 0;
    for _ in 0..CALLS {
        let answer = router.completion(chat("g")).await.unwrap();
        match text(&answer) {
            "a" => {}
            "b" => b += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    let share = b as f64 / CALLS as f64;
    assert!((share - 0.75).abs() <= 0.05, "heavy answered {share:.3}");
}
