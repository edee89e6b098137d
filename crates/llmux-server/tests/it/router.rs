//! The router through the gateway: retries, fallbacks, cooldowns, limits and their
//! headers, against the fake upstream with injected failures. Each deployment's
//! `api_base` carries a marker segment (`/a/`, `/g2/`) so the mock's request log tells
//! which deployment each attempt reached.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{Gateway, Reply, chat_body};

/// A `model_list` entry for the mock at `{mock}{path}`, with extra `litellm_params`
/// (YAML flow-map entries, e.g. `"order: 1"`) and `model_info.id: {id}`.
fn entry(group: &str, id: &str, path: &str, extra: &str) -> String {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(", {extra}")
    };
    format!(
        "  - model_name: {group}\n    litellm_params: {{model: openai/gpt-4o-mini, api_base: \"{{mock}}{path}\", api_key: sk-up{extra}}}\n    model_info: {{id: {id}}}\n"
    )
}

fn config(entries: &[String], router_settings: &str) -> String {
    format!(
        "model_list:\n{}router_settings:\n{router_settings}\n",
        entries.concat()
    )
}

/// How many upstream requests went to a path containing `marker`.
fn hits(gw: &Gateway, marker: &str) -> usize {
    gw.upstream()
        .iter()
        .filter(|r| r.path.contains(marker))
        .count()
}

/// The markers of the upstream requests, in order.
fn trail(gw: &Gateway, markers: &[&str]) -> Vec<String> {
    gw.upstream()
        .iter()
        .filter_map(|r| {
            markers
                .iter()
                .find(|m| r.path.contains(*m))
                .map(|m| (*m).to_owned())
        })
        .collect()
}

fn model_id(reply: &Reply) -> &str {
    reply.header("x-litellm-model-id").unwrap_or("")
}

#[tokio::test]
async fn a_single_deployment_is_retried_num_retries_times_with_backoff() {
    let gw = Gateway::start(&config(
        &[entry("m", "a", "/error/500/a/v1", "")],
        "  num_retries: 2",
    ))
    .await;

    let started = Instant::now();
    let reply = gw.chat(&chat_body("m")).await;

    reply.assert_error(500, "internal_server_error");
    assert_eq!(hits(&gw, "/a/"), 3, "1 try + 2 retries");
    assert_eq!(reply.header("x-litellm-attempted-retries"), Some("2"));
    assert_eq!(reply.header("x-litellm-attempted-fallbacks"), Some("0"));
    // No sibling to move to: 0.5 s then 1 s of backoff (with up to 25 % jitter off).
    assert!(started.elapsed() >= Duration::from_millis(1100));
}

#[tokio::test]
async fn bad_requests_and_not_found_are_never_retried() {
    for (status, kind) in [
        (400, "invalid_request_error"),
        (404, "invalid_request_error"),
    ] {
        let gw = Gateway::start(&config(
            &[
                entry("m", "a", &format!("/error/{status}/a/v1"), "order: 1"),
                entry("m", "b", "/b/v1", "order: 2"),
            ],
            "  num_retries: 3",
        ))
        .await;

        let reply = gw.chat(&chat_body("m")).await;

        reply.assert_error(status, kind);
        assert_eq!(hits(&gw, "/a/"), 1, "{status} is not retried");
        assert_eq!(hits(&gw, "/b/"), 0, "{status} does not move to a sibling");
        assert_eq!(reply.header("x-litellm-attempted-retries"), Some("0"));
    }
}

#[tokio::test]
async fn a_rate_limit_waits_for_retry_after_then_succeeds() {
    let gw = Gateway::start(&config(
        &[entry("m", "a", "/fail_first/1/error/429/a/v1", "")],
        "  num_retries: 1",
    ))
    .await;

    let started = Instant::now();
    let reply = gw.chat(&chat_body("m")).await;

    reply.ok_json();
    assert_eq!(hits(&gw, "/a/"), 2);
    assert_eq!(reply.header("x-litellm-attempted-retries"), Some("1"));
    // The mock's 429 says `retry-after: 1`.
    assert!(started.elapsed() >= Duration::from_millis(950));
}

#[tokio::test]
async fn a_failed_attempt_moves_to_a_healthy_sibling_at_once() {
    let gw = Gateway::start(&config(
        &[
            entry("m", "a", "/error/500/a/v1", "order: 1"),
            entry("m", "b", "/b/v1", "order: 2"),
        ],
        "  num_retries: 2",
    ))
    .await;

    let started = Instant::now();
    let reply = gw.chat(&chat_body("m")).await;

    assert_eq!(reply.ok_json()["model"], "m");
    assert_eq!(model_id(&reply), "b");
    assert_eq!(trail(&gw, &["/a/", "/b/"]), ["/a/", "/b/"]);
    assert_eq!(reply.header("x-litellm-attempted-retries"), Some("1"));
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "no backoff when a sibling is healthy"
    );
}

#[tokio::test]
async fn fallbacks_run_in_order_across_three_groups() {
    let gw = Gateway::start(&config(
        &[
            entry("g1", "a", "/error/500/g1/v1", ""),
            entry("g2", "b", "/error/503/g2/v1", ""),
            entry("g3", "c", "/g3/v1", ""),
        ],
        "  num_retries: 0\n  fallbacks: [{g1: [g2, g3]}]",
    ))
    .await;

    let reply = gw.chat(&chat_body("g1")).await;

    assert_eq!(reply.ok_json()["model"], "g3");
    assert_eq!(
        trail(&gw, &["/g1/", "/g2/", "/g3/"]),
        ["/g1/", "/g2/", "/g3/"]
    );
    assert_eq!(reply.header("x-litellm-attempted-fallbacks"), Some("2"));
    assert_eq!(reply.header("x-litellm-model-group"), Some("g3"));
    assert_eq!(model_id(&reply), "c");
}

#[tokio::test]
async fn each_fallback_group_gets_its_own_retries_and_the_most_telling_error_wins() {
    let gw = Gateway::start(&config(
        &[
            entry("g1", "a", "/error/429/g1/v1", ""),
            entry("g2", "b", "/error/500/g2/v1", ""),
        ],
        "  num_retries: 1\n  fallbacks: [{g1: [g2]}]",
    ))
    .await;

    let reply = gw.chat(&chat_body("g1")).await;

    // A 429 stays a 429 even though the last group failed with a 500.
    reply.assert_error(429, "throttling_error");
    // Each group ran its own retry loop (a lone deployment is not cooled down by a 429,
    // so it stays healthy and is retried after the mock's `retry-after: 1`).
    assert_eq!(hits(&gw, "/g1/"), 2);
    assert_eq!(hits(&gw, "/g2/"), 2);
    assert_eq!(reply.header("x-litellm-attempted-fallbacks"), Some("1"));
    assert_eq!(reply.header("x-litellm-attempted-retries"), Some("2"));
    assert_eq!(reply.header("x-litellm-model-group"), Some("g1"));
}

#[tokio::test]
async fn a_context_window_error_takes_the_context_window_fallbacks() {
    let gw = Gateway::start(&config(
        &[
            entry("small", "a", "/error/400_context/small/v1", ""),
            entry("big", "b", "/big/v1", ""),
            entry("other", "c", "/other/v1", ""),
        ],
        "  num_retries: 2\n  fallbacks: [{small: [other]}]\n  context_window_fallbacks: [{small: [big]}]",
    ))
    .await;

    let reply = gw.chat(&chat_body("small")).await;

    assert_eq!(reply.ok_json()["model"], "big");
    assert_eq!(
        hits(&gw, "/small/"),
        1,
        "a context-window error is not retried"
    );
    assert_eq!(hits(&gw, "/other/"), 0);
}

#[tokio::test]
async fn default_fallbacks_apply_to_every_group_without_its_own() {
    let gw = Gateway::start(&config(
        &[
            entry("g1", "a", "/error/500/g1/v1", ""),
            entry("spare", "b", "/spare/v1", ""),
        ],
        "  num_retries: 0\n  default_fallbacks: [spare]",
    ))
    .await;

    let reply = gw.chat(&chat_body("g1")).await;

    assert_eq!(reply.ok_json()["model"], "spare");
}

#[tokio::test]
async fn a_dead_deployment_cools_down_and_returns_after_cooldown_time() {
    let gw = Gateway::start(&config(
        &[
            entry("m", "dead", "/error/503/dead/v1", ""),
            entry("m", "live", "/live/v1", ""),
        ],
        "  num_retries: 1\n  cooldown_time: 1",
    ))
    .await;

    // Every answer succeeds (a failed pick moves to the live sibling) until the dead one
    // has failed 5 of its 5 requests this minute: LiteLLM's failure-rate rule.
    let mut sent = 0;
    while hits(&gw, "/dead/") < 5 {
        assert_eq!(gw.chat(&chat_body("m")).await.status, 200);
        sent += 1;
        assert!(sent < 200, "the dead deployment is never picked");
    }
    let cooled_at = hits(&gw, "/dead/");
    for _ in 0..20 {
        let reply = gw.chat(&chat_body("m")).await;
        assert_eq!(model_id(&reply), "live");
    }
    assert_eq!(
        hits(&gw, "/dead/"),
        cooled_at,
        "no traffic while cooling down"
    );

    tokio::time::sleep(Duration::from_millis(1100)).await;
    for _ in 0..40 {
        gw.chat(&chat_body("m")).await;
    }
    assert!(hits(&gw, "/dead/") > cooled_at, "back after cooldown_time");
}

#[tokio::test]
async fn when_every_deployment_cools_down_the_client_gets_litellms_429() {
    let gw = Gateway::start(&config(
        &[
            entry("m", "a", "/error/429/a/v1", ""),
            entry("m", "b", "/error/429/b/v1", ""),
        ],
        "  num_retries: 2\n  cooldown_time: 30",
    ))
    .await;

    // A 429 in a group of two cools each one down; the retry moves to the other.
    let first = gw.chat(&chat_body("m")).await;
    first.assert_error(429, "throttling_error");
    assert_eq!(hits(&gw, "/a/") + hits(&gw, "/b/"), 2);

    let reply = gw.chat(&chat_body("m")).await;

    let err = reply.assert_error(429, "all_deployments_in_cooldown");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.starts_with("No deployments available for selected model, Try again in "),
        "{message}"
    );
    assert!(
        message.contains("All deployments for selected model are in cooldown. Passed model=m. pre-call-checks=False, cooldown_list=["),
        "{message}"
    );
    assert!(
        message.contains("'a'") && message.contains("'b'"),
        "{message}"
    );
    let retry_after: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!(
        (28..=30).contains(&retry_after),
        "retry-after {retry_after}"
    );
    assert_eq!(hits(&gw, "/a/") + hits(&gw, "/b/"), 2, "no upstream call");
}

#[tokio::test]
async fn a_stream_that_fails_before_its_first_chunk_falls_back() {
    let gw = Gateway::start(&config(
        &[
            entry("g1", "a", "/bad_json/g1/v1", ""),
            entry("g2", "b", "/g2/v1", ""),
        ],
        "  num_retries: 0\n  fallbacks: [{g1: [g2]}]",
    ))
    .await;
    let mut body = chat_body("g1");
    body["stream"] = json!(true);

    let reply = gw.chat(&body).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    let chunks = crate::common::sse_json(&reply);
    assert!(chunks.iter().all(|c| c["model"] == "g2"), "{chunks:?}");
    assert_eq!(reply.header("x-litellm-attempted-fallbacks"), Some("1"));
}

#[tokio::test]
async fn a_stream_that_breaks_after_its_first_chunk_ends_with_an_error_event() {
    let gw = Gateway::start(&config(
        &[
            entry("g1", "a", "/break_stream/g1/v1", ""),
            entry("g2", "b", "/g2/v1", ""),
        ],
        "  num_retries: 0\n  fallbacks: [{g1: [g2]}]",
    ))
    .await;
    let mut body = chat_body("g1");
    body["stream"] = json!(true);

    let reply = gw.chat(&body).await;

    let data = reply.sse_data();
    assert!(
        data.first().unwrap().contains("\"model\":\"g1\""),
        "{data:?}"
    );
    assert!(data.last().unwrap().starts_with(r#"{"error":"#), "{data:?}");
    assert_eq!(
        hits(&gw, "/g2/"),
        0,
        "the client already has g1's first chunk"
    );
}

#[tokio::test]
async fn request_fallbacks_and_their_switches() {
    let cfg = config(
        &[
            entry("g1", "a", "/error/500/g1/v1", ""),
            entry("g2", "b", "/g2/v1", ""),
            entry("g3", "c", "/g3/v1", ""),
        ],
        "  num_retries: 0\n  fallbacks: [{g1: [g3]}]",
    );
    let gw = Gateway::start(&cfg).await;

    // A request's own list replaces the configured one.
    let mut body = chat_body("g1");
    body["fallbacks"] = json!(["g2"]);
    assert_eq!(gw.chat(&body).await.ok_json()["model"], "g2");

    // disable_fallbacks: the group's error, no fallback.
    let mut body = chat_body("g1");
    body["disable_fallbacks"] = json!(true);
    gw.chat(&body)
        .await
        .assert_error(500, "internal_server_error");
    assert_eq!(hits(&gw, "/g3/"), 0);

    // mock_testing_fallbacks: g1 fails without being called.
    let before = hits(&gw, "/g1/");
    let gw2 = Gateway::start(&cfg.replace("/error/500/g1/v1", "/g1/v1")).await;
    let mut body = chat_body("g1");
    body["mock_testing_fallbacks"] = json!(true);
    let reply = gw2.chat(&body).await;
    assert_eq!(reply.ok_json()["model"], "g3");
    assert_eq!(hits(&gw2, "/g1/"), 0);
    assert_eq!(hits(&gw, "/g1/"), before);
}

#[tokio::test]
async fn rpm_limits_are_enforced_with_enforce_model_rate_limits() {
    let gw = Gateway::start(&config(
        &[
            entry("m", "a", "/a/v1", "rpm: 3, order: 1"),
            entry("m", "b", "/b/v1", "order: 2"),
            entry("solo", "s", "/s/v1", "rpm: 2"),
        ],
        "  optional_pre_call_checks: [enforce_model_rate_limits]",
    ))
    .await;

    let mut ids = Vec::new();
    for _ in 0..5 {
        let reply = gw.chat(&chat_body("m")).await;
        ids.push(model_id(&reply).to_owned());
    }
    // The minute may turn during the test; then `a` takes requests again.
    assert!(
        ids == ["a", "a", "a", "b", "b"] || ids.iter().filter(|i| *i == "a").count() > 3,
        "{ids:?}"
    );

    let answers: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(gw.chat(&chat_body("solo")).await.status);
        }
        v
    };
    if answers != [200, 200, 200] {
        assert_eq!(answers, [200, 200, 429]);
        let reply = gw.chat(&chat_body("solo")).await;
        let err = reply.assert_error(429, "rate_limit_error");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .starts_with("No deployments available")
        );
        assert!(reply.header("retry-after").is_some());
    }
}

#[tokio::test]
async fn max_parallel_requests_sends_the_overflow_to_a_sibling() {
    let gw = Gateway::start(&config(
        &[
            entry(
                "m",
                "a",
                "/delay/400/a/v1",
                "max_parallel_requests: 1, order: 1",
            ),
            entry("m", "b", "/b/v1", "order: 2"),
        ],
        "  num_retries: 0",
    ))
    .await;

    let body = chat_body("m");
    let (r1, r2) = tokio::join!(gw.chat(&body), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        gw.chat(&body).await
    });

    assert_eq!(model_id(&r1), "a");
    assert_eq!(model_id(&r2), "b");
}

#[tokio::test]
async fn order_sends_everything_to_the_lowest_order_while_it_is_healthy() {
    let gw = Gateway::start(&config(
        &[
            entry("m", "b", "/b/v1", "order: 2, weight: 100"),
            entry("m", "a", "/a/v1", "order: 1, weight: 1"),
        ],
        "  num_retries: 0",
    ))
    .await;

    for _ in 0..10 {
        let reply = gw.chat(&chat_body("m")).await;
        assert_eq!(model_id(&reply), "a");
    }
}

#[tokio::test]
async fn tags_pick_deployments_when_tag_filtering_is_on() {
    let gw = Gateway::start(&config(
        &[
            entry("m", "free", "/free/v1", "tags: [free]"),
            entry("m", "paid", "/paid/v1", "tags: [paid]"),
            entry("m", "dflt", "/dflt/v1", "tags: [default]"),
        ],
        "  enable_tag_filtering: true",
    ))
    .await;

    for _ in 0..5 {
        let mut body = chat_body("m");
        body["metadata"] = json!({"tags": ["paid"]});
        let reply = gw.chat(&body).await;
        assert_eq!(model_id(&reply), "paid");
        let mut body = chat_body("m");
        body["tags"] = json!(["free"]);
        let reply = gw.chat(&body).await;
        assert_eq!(model_id(&reply), "free");
        let reply = gw.chat(&chat_body("m")).await;
        assert_eq!(model_id(&reply), "dflt");
        let mut body = chat_body("m");
        body["tags"] = json!(["nobody"]);
        let reply = gw.chat(&body).await;
        assert_eq!(model_id(&reply), "dflt");
    }
}

#[tokio::test]
async fn aliases_and_wildcard_groups_resolve_as_litellm() {
    let yaml = r#"
model_list:
  - model_name: gpt-alias
    litellm_params: {model: openai/gpt-4o-mini, api_base: "{mock}/exact/v1", api_key: sk-up}
  - model_name: "openai/*"
    litellm_params: {model: "openai/*", api_base: "{mock}/wild/v1", api_key: sk-up}
router_settings:
  model_group_alias: {gpt-4: gpt-alias}
"#;
    let gw = Gateway::start(yaml).await;

    assert_eq!(
        gw.chat(&chat_body("gpt-4")).await.ok_json()["model"],
        "gpt-alias"
    );
    let reply = gw.chat(&chat_body("openai/gpt-4.1-nano")).await;
    assert_eq!(reply.ok_json()["model"], "openai/gpt-4.1-nano");
    let last = gw.upstream().pop().unwrap();
    assert!(last.path.contains("/wild/"));
    let sent: Value = serde_json::from_slice(&last.body).unwrap();
    assert_eq!(sent["model"], "gpt-4.1-nano");
    gw.chat(&chat_body("groq/llama"))
        .await
        .assert_error(400, "invalid_request_error");
}

#[tokio::test]
async fn pre_call_checks_skip_deployments_whose_context_window_is_too_small() {
    let yaml = r#"
model_list:
  - model_name: m
    litellm_params: {model: openai/gpt-4o-mini, api_base: "{mock}/tiny/v1", api_key: sk-up}
    model_info: {id: tiny, max_input_tokens: 8}
  - model_name: m
    litellm_params: {model: openai/gpt-4o-mini, api_base: "{mock}/huge/v1", api_key: sk-up}
    model_info: {id: huge, max_input_tokens: 100000}
router_settings:
  enable_pre_call_checks: true
"#;
    let gw = Gateway::start(yaml).await;
    let long =
        json!({"model": "m", "messages": [{"role": "user", "content": "word ".repeat(200)}]});

    for _ in 0..5 {
        let reply = gw.chat(&long).await;
        assert_eq!(model_id(&reply), "huge");
    }
    assert_eq!(hits(&gw, "/tiny/"), 0);
}

#[tokio::test]
async fn routing_strategies_are_read_and_an_unknown_one_is_a_startup_error() {
    let cfg = config(
        &[entry("m", "a", "/a/v1", "")],
        "  routing_strategy: least-busy",
    );
    Gateway::start(&cfg)
        .await
        .chat(&chat_body("m"))
        .await
        .ok_json();

    let bad = config(
        &[entry("m", "a", "/a/v1", "")],
        "  routing_strategy: fastest-wins",
    );
    let config = llmux_server::config::Config::from_yaml_str(&bad, &|_| None).unwrap();
    let err = llmux_server::AppState::from_config(&config, &|_| None).unwrap_err();
    assert_eq!(err.path, "router_settings.routing_strategy");
}

#[tokio::test]
async fn embeddings_and_the_messages_entrance_go_through_the_router_too() {
    let gw = Gateway::start(&config(
        &[
            entry("e1", "a", "/error/500/e1/v1", ""),
            entry("e2", "b", "/e2/v1", ""),
        ],
        "  num_retries: 0\n  fallbacks: [{e1: [e2]}]",
    ))
    .await;

    let reply = gw
        .post_json("/v1/embeddings", &json!({"model": "e1", "input": "hi"}))
        .await;
    assert_eq!(reply.ok_json()["model"], "e2");

    let reply = gw
        .post_json(
            "/v1/messages",
            &json!({"model": "e1", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(reply.ok_json()["model"], "e2");
    assert_eq!(reply.header("x-litellm-attempted-fallbacks"), Some("1"));
}

/// Every LiteLLM body key is acted on, warned about, or refused, and none reaches the
/// upstream.
#[tokio::test]
async fn no_litellm_request_key_vanishes() {
    use llmux::request_keys::{Disposition, KEYS, warned_keys};
    let gw = Gateway::start(&config(&[entry("m", "a", "/a/v1", "")], "  num_retries: 0")).await;
    let value_for = |key: &str| match key {
        "num_retries" | "max_retries" | "max_fallbacks" => json!(0),
        "timeout" | "request_timeout" | "stream_timeout" | "mock_delay" => json!(5),
        "fallbacks" | "tags" | "additional_drop_params" | "allowed_openai_params" => json!([]),
        "context_window_fallbacks" | "content_policy_fallbacks" => json!([]),
        "metadata" | "litellm_metadata" | "retry_policy" | "cache" => json!({}),
        "drop_params" | "caching" => json!(true),
        "disable_fallbacks"
        | "mock_timeout"
        | "mock_testing_fallbacks"
        | "mock_testing_context_fallbacks"
        | "mock_testing_content_policy_fallbacks"
        | "mock_testing_rate_limit_error" => json!(false),
        _ => json!("x"),
    };
    for (key, disposition) in KEYS {
        let mut body = chat_body("m");
        body[*key] = value_for(key);
        let before = gw.upstream().len();
        let reply = gw.chat(&body).await;
        match disposition {
            Disposition::Refused => {
                let err = reply.assert_error(400, "invalid_request_error");
                assert_eq!(err["param"], *key, "{key}: {err}");
                assert!(err["message"].as_str().unwrap().contains(key), "{err}");
                assert_eq!(gw.upstream().len(), before, "{key}: no upstream call");
            }
            Disposition::Acted | Disposition::Warned => {
                assert_eq!(reply.status, 200, "{key}: {}", reply.text());
                if *disposition == Disposition::Warned {
                    assert!(warned_keys().contains(key), "{key} is warned about");
                }
                if let Some(sent) = gw.upstream().get(before) {
                    let sent: Value = serde_json::from_slice(&sent.body).unwrap();
                    assert!(sent.get(*key).is_none(), "{key} was forwarded: {sent}");
                } else {
                    assert_eq!(*key, "mock_response", "only a mock answers without a call");
                }
            }
        }
    }
}

/// The error after retries is chosen among every attempt, not only the group's last: a
/// 429 from the first deployment outranks the 500 of its sibling.
#[tokio::test]
async fn the_most_telling_error_is_chosen_among_every_attempt() {
    let gw = Gateway::start(&config(
        &[
            entry("m", "a", "/error/429/a/v1", "order: 1"),
            entry("m", "b", "/error/500/b/v1", "order: 2"),
        ],
        "  num_retries: 1",
    ))
    .await;

    let reply = gw.chat(&chat_body("m")).await;

    reply.assert_error(429, "throttling_error");
    assert_eq!(trail(&gw, &["/a/", "/b/"]), ["/a/", "/b/"]);
}

#[tokio::test]
async fn a_retry_policy_sets_the_retries_per_error_kind() {
    let gw = Gateway::start(&config(
        &[
            entry("m", "a", "/error/500/a/v1", ""),
            entry("r", "b", "/fail_first/5/error/429/b/v1", ""),
        ],
        "  num_retries: 3\n  retry_policy: {InternalServerErrorRetries: 0, RateLimitErrorRetries: 1}",
    ))
    .await;

    gw.chat(&chat_body("m"))
        .await
        .assert_error(500, "internal_server_error");
    assert_eq!(hits(&gw, "/a/"), 1, "InternalServerErrorRetries: 0");
    gw.chat(&chat_body("r"))
        .await
        .assert_error(429, "throttling_error");
    assert_eq!(hits(&gw, "/b/"), 2, "RateLimitErrorRetries: 1");
}

#[tokio::test]
async fn content_policy_errors_take_their_own_list_and_max_fallbacks_bounds_the_chain() {
    let gw = Gateway::start(&config(
        &[
            entry("g1", "a", "/error/500/g1/v1", ""),
            entry("g2", "b", "/error/500/g2/v1", ""),
            entry("g3", "c", "/g3/v1", ""),
            entry("safe", "s", "/safe/v1", ""),
        ],
        "  num_retries: 0\n  fallbacks: [{g1: [g2, g3]}]\n  content_policy_fallbacks: [{g1: [safe]}]",
    ))
    .await;

    let mut body = chat_body("g1");
    body["mock_testing_content_policy_fallbacks"] = json!(true);
    assert_eq!(gw.chat(&body).await.ok_json()["model"], "safe");
    assert_eq!(hits(&gw, "/g1/"), 0);

    let mut body = chat_body("g1");
    body["max_fallbacks"] = json!(1);
    let reply = gw.chat(&body).await;
    reply.assert_error(500, "internal_server_error");
    assert_eq!(reply.header("x-litellm-attempted-fallbacks"), Some("1"));
    assert_eq!(
        hits(&gw, "/g3/"),
        0,
        "the second fallback is past max_fallbacks"
    );
}

#[tokio::test]
async fn disable_cooldowns_keeps_every_deployment_in_rotation() {
    let gw = Gateway::start(&config(
        &[
            entry("m", "a", "/error/429/a/v1", ""),
            entry("m", "b", "/error/429/b/v1", ""),
        ],
        "  num_retries: 0\n  disable_cooldowns: true",
    ))
    .await;

    for _ in 0..6 {
        // Always the upstream's own 429, never the router's "No deployments available".
        gw.chat(&chat_body("m"))
            .await
            .assert_error(429, "throttling_error");
    }
    assert_eq!(hits(&gw, "/a/") + hits(&gw, "/b/"), 6);
}
