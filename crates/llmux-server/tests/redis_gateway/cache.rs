//! The response cache on a real Redis shared by two gateway processes: an answer one
//! stored is served by the other without reaching the upstream; with Redis killed both
//! keep serving (from the upstream, the breaker open after one failure, logged once),
//! and once Redis is back they share the cache again.

use std::time::Duration;

use llmux_mock::MockServer;
use serde_json::json;

use crate::support::{Gateway, LOG_REACHABLE_AGAIN, LOG_UNREACHABLE, RedisServer, Reply, Scratch};

fn cache_config(mock: &str, redis_port: u16) -> String {
    format!(
        "model_list:\n  - model_name: m\n    litellm_params: {{model: openai/gpt-4o-mini, \
         api_base: \"{mock}/v1\", api_key: sk-x}}\nrouter_settings:\n  num_retries: 0\n\
         litellm_settings:\n  cache: true\n  cache_params: {{type: redis, host: 127.0.0.1, \
         port: {redis_port}, namespace: shared}}\n"
    )
}

fn ask(text: &str) -> serde_json::Value {
    json!({"model": "m", "messages": [{"role": "user", "content": text}]})
}

fn hit_key(r: &Reply) -> Option<String> {
    assert_eq!(r.status, 200, "{}", r.text());
    r.header("x-litellm-cache-key").map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_cache_is_shared_by_two_gateways_and_survives_a_redis_outage() {
    let Some(mut redis) = RedisServer::start().await else {
        return;
    };
    let mock = MockServer::start().await.unwrap();
    let scratch = Scratch::new("cache");
    let yaml = cache_config(&mock.url(), redis.port);
    let one = Gateway::start("gw1", &scratch, &yaml).await;
    let two = Gateway::start("gw2", &scratch, &yaml).await;

    // Stored by one, served by the other.
    let first = one.post_chat(&ask("shared")).await;
    assert_eq!(hit_key(&first), None, "the first answer is a miss");
    redis.wait_for_keys(1, Duration::from_secs(5)).await;
    let second = two.post_chat(&ask("shared")).await;
    let key = hit_key(&second).expect("the other gateway answers from the shared cache");
    assert!(key.starts_with("shared:"), "namespaced: {key}");
    assert_eq!(
        mock.requests().len(),
        1,
        "the hit did not reach the upstream"
    );
    assert_eq!(second.json(), first.json());

    // Redis gone: every request is still answered, by the upstream.
    redis.kill();
    for i in 0..6 {
        let gw = if i % 2 == 0 { &one } else { &two };
        let r = gw.post_chat(&ask("shared")).await;
        assert_eq!(hit_key(&r), None, "no cache while Redis is down");
    }
    assert_eq!(mock.requests().len(), 7);
    for gw in [&one, &two] {
        gw.wait_for_log(LOG_UNREACHABLE, Duration::from_secs(5))
            .await;
        let outages = gw
            .log()
            .lines()
            .filter(|l| l.contains(LOG_UNREACHABLE) && l.contains("response cache"))
            .count();
        // The breaker opened on the first failure: later requests skipped Redis.
        assert_eq!(
            outages,
            1,
            "{}: one warning per outage:\n{}",
            gw.name,
            gw.log()
        );
    }

    // Back: the probes close the breakers, and the cache is shared again.
    redis.restart().await;
    for gw in [&one, &two] {
        gw.wait_for_log(LOG_REACHABLE_AGAIN, Duration::from_secs(10))
            .await;
    }
    let again = two.post_chat(&ask("after the outage")).await;
    assert_eq!(hit_key(&again), None);
    redis.wait_for_keys(1, Duration::from_secs(5)).await;
    let shared = one.post_chat(&ask("after the outage")).await;
    assert!(
        hit_key(&shared).is_some(),
        "shared again after Redis is back"
    );
    assert_eq!(mock.requests().len(), 8);
}
