//! The logging callbacks through the gateway (`litellm_settings.callbacks`): the JSON-lines
//! payload field by field, `/metrics` after a known mix of requests, and a `generic_api`
//! receiver that hangs, fails, then recovers while requests keep being answered.

use std::collections::HashSet;
use std::future::IntoFuture;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{Gateway, Reply, UPSTREAM_KEY, chat_body, sse_json};

/// gpt-4o-mini's registry prices (USD per token), for the mock's fixed 12 + 9 tokens.
const GPT_4O_MINI_IN: f64 = 1.5e-7;
const GPT_4O_MINI_OUT: f64 = 6e-7;

fn mock_cost() -> f64 {
    12.0 * GPT_4O_MINI_IN + 9.0 * GPT_4O_MINI_OUT
}

fn config(litellm_settings: &str) -> String {
    format!(
        r#"
model_list:
  - model_name: gpt-alias
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{{mock}}/v1"
      api_key: {UPSTREAM_KEY}
      rpm: 100
    model_info: {{id: dep-ok}}
  - model_name: limited
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{{mock}}/error/429/v1"
      api_key: {UPSTREAM_KEY}
    model_info: {{id: dep-429}}
router_settings:
  num_retries: 0
litellm_settings:
{litellm_settings}
"#
    )
}

fn temp_file(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!(
        "llmux-log-{name}-{}-{nanos}.jsonl",
        std::process::id()
    ))
}

/// The file's JSON lines once there are `n` of them.
async fn lines(path: &PathBuf, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if lines.len() >= n {
            assert_eq!(lines.len(), n, "more events than requests: {lines:?}");
            return lines;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n} events logged",
            lines.len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn stream_body(model: &str) -> Value {
    json!({
        "model": model,
        "messages": [{"role": "user", "content": "hi"}],
        "stream": true,
        "stream_options": {"include_usage": true},
    })
}

#[tokio::test]
async fn json_lines_payload_carries_the_standard_logging_fields() {
    let path = temp_file("fields");
    let settings = format!(
        "  callbacks: [json_lines]\n  callback_settings: {{json_lines: {{path: \"{}\"}}}}",
        path.display()
    );
    let gw = Gateway::start(&config(&settings)).await;
    let body = json!({
        "model": "gpt-alias",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.5,
        "user": "end-user-7",
        "metadata": {"tags": ["team-a"], "spend_logs_metadata": {"project": "p1"}},
    });
    let ok = gw.chat(&body).await;
    let answer = ok.ok_json();
    let events = lines(&path, 1).await;
    let e = &events[0];
    assert_eq!(e["status"], "success");
    assert_eq!(
        e["status_fields"],
        json!({"llm_api_status": "success", "guardrail_status": "not_run"})
    );
    assert_eq!(e["call_type"], "acompletion");
    assert_eq!(e["stream"], false);
    assert_eq!(
        e["litellm_call_id"],
        ok.header("x-litellm-call-id").unwrap()
    );
    assert_eq!(e["id"], e["litellm_call_id"]);
    assert_eq!(e["trace_id"], e["litellm_call_id"]);
    assert_eq!(e["model"], "gpt-4o-mini");
    assert_eq!(e["model_group"], "gpt-alias");
    assert_eq!(e["model_id"], "dep-ok");
    assert_eq!(e["model_id"], ok.header("x-litellm-model-id").unwrap());
    assert_eq!(e["custom_llm_provider"], "openai");
    assert_eq!(e["api_base"], format!("{}/v1", gw.mock.url()));
    assert_eq!(e["prompt_tokens"], 12);
    assert_eq!(e["completion_tokens"], 9);
    assert_eq!(e["total_tokens"], 21);
    assert_eq!(e["response_cost"].as_f64().unwrap(), mock_cost());
    assert_eq!(
        e["hidden_params"]["response_cost"].as_f64().unwrap(),
        mock_cost()
    );
    assert_eq!(e["hidden_params"]["model_id"], "dep-ok");
    assert_eq!(e["hidden_params"]["litellm_model_name"], "gpt-4o-mini");
    assert_eq!(e["hidden_params"]["usage_object"], answer["usage"]);
    assert_eq!(e["response_cost_failure_debug_info"], Value::Null);
    assert_eq!(e["model_map_information"]["model_map_key"], "gpt-4o-mini");
    assert_eq!(
        e["model_map_information"]["model_map_value"]["input_cost_per_token"].as_f64(),
        Some(GPT_4O_MINI_IN)
    );
    let (start, end) = (
        e["startTime"].as_f64().unwrap(),
        e["endTime"].as_f64().unwrap(),
    );
    assert!(start > 1.7e9 && start <= end, "{start} {end}");
    assert_eq!(e["completionStartTime"].as_f64().unwrap(), end);
    assert!((e["response_time"].as_f64().unwrap() - (end - start)).abs() < 1e-6);
    assert_eq!(e["cache_hit"], Value::Null);
    assert_eq!(e["request_tags"], json!(["team-a"]));
    assert_eq!(e["end_user"], "end-user-7");
    assert_eq!(e["metadata"]["user_api_key_end_user_id"], "end-user-7");
    assert_eq!(
        e["metadata"]["user_api_key_request_route"],
        "/chat/completions"
    );
    assert_eq!(
        e["metadata"]["spend_logs_metadata"],
        json!({"project": "p1"})
    );
    assert_eq!(
        e["metadata"]["requester_metadata"]["spend_logs_metadata"],
        json!({"project": "p1"})
    );
    assert_eq!(e["messages"], json!([{"role": "user", "content": "hi"}]));
    assert_eq!(e["model_parameters"]["temperature"], 0.5);
    assert_eq!(e["response"]["choices"], answer["choices"]);
    assert_eq!(e["error_str"], Value::Null);
    assert_eq!(e["error_information"], Value::Null);

    // A failure after the router gave up.
    let failed = gw.chat(&chat_body("limited")).await;
    assert_eq!(failed.status, 429);
    let events = lines(&path, 2).await;
    let f = &events[1];
    assert_eq!(f["status"], "failure");
    assert_eq!(f["model_group"], "limited");
    assert_eq!(
        f["litellm_call_id"],
        failed.header("x-litellm-call-id").unwrap()
    );
    assert_eq!(f["error_information"]["error_code"], "429");
    assert_eq!(f["error_information"]["error_class"], "RateLimitError");
    assert_eq!(f["error_information"]["llm_provider"], "openai");
    assert!(
        f["error_str"].as_str().unwrap().contains("Rate limit"),
        "{f}"
    );
    assert_eq!(f["response_cost"], 0.0);
    assert_eq!(f["response"], Value::Null);

    // A stream: logged at its end, with its usage, time to first token and the answer
    // put back together.
    let streamed = gw
        .post_json("/v1/chat/completions", &stream_body("gpt-alias"))
        .await;
    let chunks = sse_json(&streamed);
    assert!(!chunks.is_empty());
    let events = lines(&path, 3).await;
    let s = &events[2];
    assert_eq!(s["status"], "success");
    assert_eq!(s["stream"], true);
    assert_eq!(s["prompt_tokens"], 12);
    assert_eq!(s["completion_tokens"], 9);
    assert_eq!(s["response_cost"].as_f64().unwrap(), mock_cost());
    let first = s["completionStartTime"].as_f64().unwrap();
    assert!(s["startTime"].as_f64().unwrap() <= first && first <= s["endTime"].as_f64().unwrap());
    assert_eq!(
        s["response"]["choices"][0]["message"]["content"],
        "Hello! How can I help you today?"
    );
    assert_eq!(s["response"]["choices"][0]["finish_reason"], "stop");
    assert_eq!(s["llmux_stream"]["end"], "completed");
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn message_logging_off_and_key_info_redacted() {
    let path = temp_file("redacted");
    let settings = format!(
        "  success_callback: [json_lines]\n  turn_off_message_logging: true\n  redact_user_api_key_info: true\n  callback_settings: {{json_lines: {{path: \"{}\"}}}}",
        path.display()
    );
    let gw = Gateway::start(&config(&settings)).await;
    gw.chat(&chat_body("gpt-alias")).await.ok_json();
    // success_callback only: the failure is not logged.
    assert_eq!(gw.chat(&chat_body("limited")).await.status, 429);
    gw.chat(&chat_body("gpt-alias")).await.ok_json();
    let events = lines(&path, 2).await;
    for e in &events {
        assert_eq!(e["status"], "success");
        assert_eq!(
            e["messages"],
            json!([{"role": "user", "content": "redacted-by-litellm"}])
        );
        assert_eq!(e["response"], json!({"text": "redacted-by-litellm"}));
        assert_eq!(e["model_parameters"], json!({}));
        let metadata = e["metadata"].as_object().unwrap();
        assert!(
            metadata.keys().all(|k| !k.starts_with("user_api_key")),
            "{metadata:?}"
        );
        assert_eq!(e["prompt_tokens"], 12, "usage is still logged");
    }
    let _ = std::fs::remove_file(&path);
}

/// One sample of a metrics text: name, labels, value.
type Sample = (String, Vec<(String, String)>, f64);

fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let value: f64 = match value {
                "+Inf" => f64::INFINITY,
                v => v.parse().unwrap_or_else(|e| panic!("{line}: {e}")),
            };
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.strip_suffix('}').unwrap()),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once("=\"").unwrap();
                    (k.to_owned(), v.trim_end_matches('"').to_owned())
                })
                .collect();
            (name.to_owned(), labels, value)
        })
        .collect()
}

/// The sum of `name`'s samples whose labels include every pair of `with`.
fn sum(text: &str, name: &str, with: &[(&str, &str)]) -> f64 {
    samples(text)
        .into_iter()
        .filter(|(n, labels, _)| {
            n == name
                && with
                    .iter()
                    .all(|(k, v)| labels.iter().any(|(lk, lv)| lk == k && lv == v))
        })
        .map(|(_, _, v)| v)
        .sum()
}

async fn scrape_when(gw: &Gateway, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = gw.get("/metrics").await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let text = reply.text();
        if done(&text) {
            return text;
        }
        assert!(Instant::now() < deadline, "metrics never settled:\n{text}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn metrics_after_a_known_mix_of_requests() {
    let gw = Gateway::start(&config("  callbacks: [prometheus]")).await;
    for _ in 0..3 {
        gw.chat(&chat_body("gpt-alias")).await.ok_json();
    }
    let streamed = gw
        .post_json("/v1/chat/completions", &stream_body("gpt-alias"))
        .await;
    sse_json(&streamed);
    for _ in 0..2 {
        assert_eq!(gw.chat(&chat_body("limited")).await.status, 429);
    }
    let text = scrape_when(&gw, |t| {
        sum(t, "litellm_proxy_total_requests_metric_total", &[]) == 6.0
    })
    .await;
    let ok = [
        ("requested_model", "gpt-alias"),
        ("model_id", "dep-ok"),
        ("api_provider", "openai"),
    ];
    assert_eq!(sum(&text, "litellm_requests_metric_total", &ok), 4.0);
    assert_eq!(sum(&text, "litellm_requests_metric_total", &[]), 4.0);
    let mut spend = 0.0;
    for _ in 0..4 {
        spend += mock_cost();
    }
    assert_eq!(sum(&text, "litellm_spend_metric_total", &ok), spend);
    assert_eq!(sum(&text, "litellm_input_tokens_metric_total", &ok), 48.0);
    assert_eq!(sum(&text, "litellm_output_tokens_metric_total", &ok), 36.0);
    assert_eq!(sum(&text, "litellm_total_tokens_metric_total", &ok), 84.0);
    assert_eq!(
        sum(
            &text,
            "litellm_proxy_total_requests_metric_total",
            &[("status_code", "200")]
        ),
        4.0
    );
    assert_eq!(
        sum(
            &text,
            "litellm_proxy_total_requests_metric_total",
            &[("status_code", "429")]
        ),
        2.0
    );
    assert_eq!(
        sum(
            &text,
            "litellm_proxy_failed_requests_metric_total",
            &[
                ("requested_model", "limited"),
                ("exception_status", "429"),
                ("exception_class", "RateLimitError"),
                ("route", "/chat/completions"),
            ]
        ),
        2.0
    );
    assert_eq!(
        sum(
            &text,
            "litellm_deployment_success_responses_total",
            &[("model_id", "dep-ok")]
        ),
        4.0
    );
    // Latency histograms: every success once, time to first token for the stream only.
    assert_eq!(sum(&text, "litellm_llm_api_latency_metric_count", &ok), 4.0);
    assert_eq!(
        sum(
            &text,
            "litellm_llm_api_latency_metric_bucket",
            &[("le", "+Inf"), ("model_group", "gpt-alias")]
        ),
        4.0
    );
    assert_eq!(
        sum(&text, "litellm_request_total_latency_metric_count", &[]),
        4.0
    );
    assert_eq!(
        sum(
            &text,
            "litellm_llm_api_time_to_first_token_metric_count",
            &ok
        ),
        1.0
    );
    assert!(sum(&text, "litellm_llm_api_latency_metric_sum", &ok) > 0.0);
    let buckets: Vec<f64> = samples(&text)
        .into_iter()
        .filter(|(n, _, _)| n == "litellm_llm_api_latency_metric_bucket")
        .map(|(_, _, v)| v)
        .collect();
    assert_eq!(buckets.len(), 18, "LiteLLM's 17 buckets and +Inf");
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
    // Deployment gauges from the router's state.
    assert_eq!(
        sum(&text, "litellm_deployment_state", &[("model_id", "dep-ok")]),
        0.0
    );
    assert_eq!(
        sum(
            &text,
            "litellm_deployment_rpm_limit",
            &[("model_group", "gpt-alias")]
        ),
        100.0
    );
    let remaining = sum(
        &text,
        "litellm_remaining_requests_metric",
        &[("model_id", "dep-ok")],
    );
    assert!((96.0..=100.0).contains(&remaining), "{remaining}");
    assert_eq!(
        sum(
            &text,
            "llmux_logging_dropped_events",
            &[("callback_name", "prometheus")]
        ),
        0.0
    );
    assert!(
        text.contains("# TYPE litellm_llm_api_latency_metric histogram"),
        "{text}"
    );
    // Every metric the Grafana dashboard queries is one /metrics declares.
    let dashboard: Value =
        serde_json::from_str(include_str!("../../../../dashboards/grafana-llmux.json")).unwrap();
    let declared: HashSet<&str> = gw
        .state
        .logging
        .as_ref()
        .unwrap()
        .prometheus
        .as_ref()
        .unwrap()
        .metric_names()
        .iter()
        .copied()
        .collect();
    let family = |word: &str| {
        ["_total", "_bucket", "_count", "_sum"]
            .iter()
            .find_map(|suffix| word.strip_suffix(suffix))
            .unwrap_or(word)
            .to_owned()
    };
    let mut queried = 0;
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            // A metric name is followed by its selector, range or closing parenthesis;
            // a label name (`by (model_group, …)`) is not.
            let mut rest = expr;
            while let Some(start) = rest.find("litellm_").or_else(|| rest.find("llmux_")) {
                let tail = &rest[start..];
                let end = tail
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(tail.len());
                let word = &tail[..end];
                if matches!(tail[end..].chars().next(), Some('{' | '[' | ')')) {
                    queried += 1;
                    assert!(
                        declared.contains(family(word).as_str()),
                        "the dashboard queries {word}, not served"
                    );
                }
                rest = &tail[end..];
            }
        }
    }
    assert!(queried >= 16, "{queried}");
}

#[tokio::test]
async fn metrics_need_the_master_key_and_the_prometheus_callback() {
    let gw = Gateway::start(&format!(
        "{}\ngeneral_settings:\n  master_key: sk-master\n",
        config("  callbacks: [prometheus]")
    ))
    .await;
    assert_eq!(gw.get("/metrics").await.status, 401);
    let with_key = crate::common::send(
        gw.http
            .get(gw.url("/metrics"))
            .header("authorization", "Bearer sk-master"),
    )
    .await;
    assert_eq!(with_key.status, 200);
    let open = Gateway::start(&config(
        "  callbacks: [prometheus]\n  require_auth_for_metrics_endpoint: false",
    ))
    .await;
    assert_eq!(open.get("/metrics").await.status, 200);
    let none = Gateway::start(&config("  drop_params: true")).await;
    none.get("/metrics")
        .await
        .assert_error(404, "invalid_request_error");
}

/// A log receiver that can hang (1), fail with a 503 (2) or take the batch (0).
#[derive(Default)]
struct Receiver {
    mode: AtomicU8,
    posts: AtomicU64,
    ids: Mutex<Vec<String>>,
}

async fn receive(State(r): State<Arc<Receiver>>, body: axum::body::Bytes) -> StatusCode {
    r.posts.fetch_add(1, Ordering::SeqCst);
    loop {
        match r.mode.load(Ordering::SeqCst) {
            1 => tokio::time::sleep(Duration::from_millis(5)).await,
            2 => return StatusCode::SERVICE_UNAVAILABLE,
            _ => break,
        }
    }
    let batch: Vec<Value> = serde_json::from_slice(&body).unwrap();
    let mut ids = r.ids.lock().unwrap();
    for e in batch {
        ids.push(e["litellm_call_id"].as_str().unwrap().to_owned());
    }
    StatusCode::OK
}

#[tokio::test]
async fn generic_api_down_slow_then_back_never_slows_a_request() {
    let receiver = Arc::new(Receiver::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/logs", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/logs", axum::routing::post(receive))
        .with_state(receiver.clone());
    let server = tokio::spawn(axum::serve(listener, app).into_future());

    let settings = format!(
        "  callbacks: [generic_api]\n  callback_settings:\n    generic_api: {{endpoint: \"{url}\", batch_size: 1, flush_interval: 0, queue_size: 5, max_retries: 10000, retry_delay: 0.01, timeout: 60}}"
    );
    let gw = Gateway::start(&config(&settings)).await;
    let queue = &gw.state.logging.as_ref().unwrap().logger.queues()[0];

    // Slow: the receiver holds the first POST open; every request is still answered.
    receiver.mode.store(1, Ordering::SeqCst);
    let mut sent: Vec<String> = Vec::new();
    for _ in 0..20 {
        let r: Reply = gw.chat(&chat_body("gpt-alias")).await;
        r.ok_json();
        sent.push(r.header("x-litellm-call-id").unwrap().to_owned());
    }
    let dropped = queue.counters().dropped.load(Ordering::SeqCst);
    assert!(
        dropped >= 14,
        "a queue of 5 and one batch in flight: {dropped} dropped"
    );
    // Down: the held POST and its retries get 503s; still nothing waits on it.
    receiver.mode.store(2, Ordering::SeqCst);
    for _ in 0..3 {
        let r = gw.chat(&chat_body("gpt-alias")).await;
        r.ok_json();
        sent.push(r.header("x-litellm-call-id").unwrap().to_owned());
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while receiver.posts.load(Ordering::SeqCst) < 3 {
        assert!(Instant::now() < deadline, "no retries while down");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Back: what the queue held is delivered; what it could not hold was counted.
    receiver.mode.store(0, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let delivered = receiver.ids.lock().unwrap().len() as u64;
        let dropped = queue.counters().dropped.load(Ordering::SeqCst);
        if delivered + dropped == sent.len() as u64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{delivered} delivered + {dropped} dropped != {} sent",
            sent.len()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let ids = receiver.ids.lock().unwrap().clone();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no event delivered twice");
    assert!(ids.iter().all(|id| sent.contains(id)));
    assert!((5..=6).contains(&ids.len()), "{} delivered", ids.len());
    assert_eq!(queue.failed_events(), 0, "retried until delivered");
    // The first 20 were sent while the receiver hung: at most the queue bound and the
    // one batch in flight of them got through.
    let early = ids.iter().filter(|id| sent[..20].contains(id)).count();
    assert!(
        (5..=6).contains(&early),
        "{early} of the first 20 delivered"
    );
    server.abort();
}

#[tokio::test]
async fn response_cost_header_uses_litellm_params_prices_which_never_go_upstream() {
    let gw = Gateway::start(&format!(
        r#"
model_list:
  - model_name: priced
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{{mock}}/v1"
      api_key: {UPSTREAM_KEY}
      input_cost_per_token: 0.000001
      output_cost_per_token: 0.000002
      cache_read_input_token_cost: 0.0000005
  - model_name: registry
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{{mock}}/v1"
      api_key: {UPSTREAM_KEY}
  - model_name: embed
    litellm_params:
      model: openai/text-embedding-3-small
      api_base: "{{mock}}/v1"
      api_key: {UPSTREAM_KEY}
"#
    ))
    .await;
    let r = gw.chat(&chat_body("priced")).await;
    r.ok_json();
    let cost: f64 = r
        .header("x-litellm-response-cost")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(cost, 12.0 * 1e-6 + 9.0 * 2e-6);
    let r = gw.chat(&chat_body("registry")).await;
    r.ok_json();
    let cost: f64 = r
        .header("x-litellm-response-cost")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(cost, mock_cost());
    // Embeddings: the mock bills 5 tokens per input; text-embedding-3-small is 2e-8.
    let r = gw
        .post_json(
            "/v1/embeddings",
            &json!({"model": "embed", "input": ["a", "b"]}),
        )
        .await;
    r.ok_json();
    let cost: f64 = r
        .header("x-litellm-response-cost")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(cost, 10.0 * 2e-8);
    for req in gw.upstream() {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert!(keys.iter().all(|k| !k.contains("cost")), "{keys:?}");
    }
}

#[tokio::test]
async fn utils_token_counter_counts_in_the_deployments_encoding() {
    let gw = Gateway::start(&config("  drop_params: true")).await;
    let r = gw
        .post_json(
            "/utils/token_counter",
            &json!({"model": "gpt-alias", "messages": [{"role": "user", "content": "Hello, how are you today?"}]}),
        )
        .await;
    let body = r.ok_json();
    assert_eq!(body["total_tokens"], 14);
    assert_eq!(body["request_model"], "gpt-alias");
    assert_eq!(body["model_used"], "gpt-4o-mini");
    assert_eq!(body["tokenizer_type"], "openai_tokenizer");
    let r = gw
        .post_json(
            "/utils/token_counter",
            &json!({"model": "gpt-alias", "prompt": "hello world"}),
        )
        .await;
    assert_eq!(r.ok_json()["total_tokens"], 2);
    gw.post_json("/utils/token_counter", &json!({"model": "gpt-alias"}))
        .await
        .assert_error(400, "invalid_request_error");
}
