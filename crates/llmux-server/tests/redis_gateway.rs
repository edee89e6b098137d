#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! Two real `llmux` gateway processes sharing one real `redis-server`, in front of the
//! in-process `llmux-mock` upstream: `rpm` limits are enforced across the instances, a
//! cooldown set by one is obeyed by the other, and a Redis outage leaves both serving
//! (each on its own state) until Redis is back, when they share again.
//!
//! Each test starts its own Redis (on a free port, without persistence), mock and two
//! gateways, and everything is bounded: every HTTP request by
//! [`support::CLIENT_TIMEOUT`], every wait by a deadline.
//!
//! Without `redis-server` on `PATH` the tests print a note and pass, unless `CI` is set
//! or `LLMUX_REQUIRE_REDIS=1`: then they fail, so CI cannot go green without running them.

#[allow(
    dead_code,
    reason = "shared with secrets_gateway.rs, which uses other parts"
)]
#[path = "redis_gateway/support.rs"]
mod support;

#[path = "redis_gateway/cache.rs"]
mod cache;

use std::time::Duration;

use llmux_mock::MockServer;

use support::{
    Dep, Gateway, LOG_REACHABLE_AGAIN, LOG_UNREACHABLE, RedisServer, Reply, Scratch, a_minute_with,
    assert_still_minute, config,
};

/// Room left in the current minute before a phase that counts against an `rpm` limit
/// starts: far more than the phase takes (a few dozen local requests, well under 2 s).
const PHASE_ROOM: Duration = Duration::from_secs(8);

/// Upstream requests the mock received under `prefix` (a deployment's path).
fn upstream_hits(mock: &MockServer, prefix: &str) -> usize {
    mock.requests()
        .iter()
        .filter(|r| r.path.starts_with(prefix))
        .count()
}

/// Instance `i % 2`: requests alternate between the two gateways.
fn alternate(gws: &[Gateway; 2], i: usize) -> &Gateway {
    &gws[i % 2]
}

async fn two_gateways(scratch: &Scratch, yaml: &str) -> [Gateway; 2] {
    let one = Gateway::start("gw1", scratch, yaml).await;
    let two = Gateway::start("gw2", scratch, yaml).await;
    [one, two]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpm_is_enforced_across_two_instances() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let mock = MockServer::start().await.unwrap();
    let scratch = Scratch::new("rpm");
    // `a` is preferred (`order: 1`) until its 10 a minute are taken, then `b` serves.
    // `solo` has no sibling: past its 10 the router answers 429 itself.
    let yaml = config(
        &mock.url(),
        redis.port,
        &[
            Dep {
                group: "m",
                id: "a",
                path: "/dep-a",
                params: "rpm: 10, order: 1",
            },
            Dep {
                group: "m",
                id: "b",
                path: "/dep-b",
                params: "order: 2",
            },
            Dep {
                group: "solo",
                id: "s",
                path: "/dep-s",
                params: "rpm: 10",
            },
        ],
    );
    let gws = two_gateways(&scratch, &yaml).await;

    let window = a_minute_with(PHASE_ROOM).await;
    let mut answered_by = Vec::new();
    for i in 0..20 {
        answered_by.push(alternate(&gws, i).chat("m").await.model_id());
    }
    // Per instance the limit would let `a` take all 20 (10 on each gateway).
    let expected: Vec<&str> = std::iter::repeat_n("a", 10)
        .chain(std::iter::repeat_n("b", 10))
        .collect();
    assert_eq!(answered_by, expected, "a: 10 a minute over both instances");
    assert_eq!(upstream_hits(&mock, "/dep-a/"), 10);
    assert_eq!(upstream_hits(&mock, "/dep-b/"), 10);

    for i in 0..10 {
        assert_eq!(alternate(&gws, i).chat("solo").await.model_id(), "s");
    }
    // The 11th and 12th, one on each instance: each has let only 5 through itself.
    for gw in &gws {
        let refused = gw.chat("solo").await;
        refused.assert_no_deployments();
    }
    assert_eq!(upstream_hits(&mock, "/dep-s/"), 10, "no 11th upstream call");
    assert_still_minute(window, "the rpm phase");
    for gw in &gws {
        assert!(!gw.log().contains(LOG_UNREACHABLE), "{}", gw.log());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cooldown_set_by_one_instance_is_seen_by_the_other() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let mock = MockServer::start().await.unwrap();
    let scratch = Scratch::new("cooldown");
    // In each group the failing deployment is preferred (`order: 1`): an instance that
    // does not know it is cooling down sends it the request first. `d` is the control:
    // nobody cools it down beforehand.
    let yaml = config(
        &mock.url(),
        redis.port,
        &[
            Dep {
                group: "c",
                id: "c-bad",
                path: "/error/429/c",
                params: "order: 1",
            },
            Dep {
                group: "c",
                id: "c-good",
                path: "/c-good",
                params: "order: 2",
            },
            Dep {
                group: "d",
                id: "d-bad",
                path: "/error/429/d",
                params: "order: 1",
            },
            Dep {
                group: "d",
                id: "d-good",
                path: "/d-good",
                params: "order: 2",
            },
        ],
    );
    let [one, two] = two_gateways(&scratch, &yaml).await;

    // Instance 1 meets the 429: with num_retries 0 it answers it (a retry would have
    // gone to the healthy sibling), and cools `c-bad` down for 30 s in a group of two.
    let first = one.chat("c").await;
    assert!(
        first.status == 429 || first.header("x-litellm-model-id") == Some("c-good"),
        "{} {}",
        first.status,
        first.text()
    );
    assert_eq!(upstream_hits(&mock, "/error/429/c/"), 1);

    for i in 0..6 {
        let reply = two.chat("c").await;
        assert_eq!(
            (reply.status, reply.header("x-litellm-model-id")),
            (200, Some("c-good")),
            "request {i} on instance 2 did not see the cooldown from instance 1: {}",
            reply.text()
        );
    }
    assert_eq!(
        upstream_hits(&mock, "/error/429/c/"),
        1,
        "instance 2 sent a request to the deployment instance 1 cooled down"
    );
    assert_eq!(upstream_hits(&mock, "/c-good/"), 6);
    // Instance 1 holds the cooldown too, of course.
    assert_eq!(one.chat("c").await.model_id(), "c-good");

    // The control: untold, instance 2 does try the preferred deployment first, so the
    // assertions above are not satisfied by the order alone.
    let control = two.chat("d").await;
    assert_eq!(control.status, 429, "{}", control.text());
    assert_eq!(upstream_hits(&mock, "/error/429/d/"), 1);
}

/// Sends `group` (rpm 1, never asked before) to instance 1, then to instance 2: whether
/// instance 2 refused it, i.e. saw the request instance 1 counted, i.e. both counted it
/// in Redis. Local state cannot give a false yes: instance 2 never saw `group` itself. A
/// minute boundary between the two requests can only give a false no.
async fn counts_are_shared(one: &Gateway, two: &Gateway, group: &str) -> bool {
    assert_eq!(
        one.chat(group).await.model_id(),
        group,
        "first use of {group}"
    );
    let second = two.chat(group).await;
    match second.status {
        200 => false,
        _ => {
            second.assert_no_deployments();
            true
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_redis_leaves_the_gateways_serving_and_restarting_it_shares_again() {
    // Design, for a deterministic answer whatever the timing:
    // - Each phase uses its own deployments, so no phase inherits another's counts:
    //   `steady` (no limit) carries the outage traffic; the `canary-*` deployments
    //   (rpm 1 each, each asked by at most one check) tell whether the instances share
    //   counts right now (see `counts_are_shared`); `limited` (rpm 5) is asked only after
    //   the recovery.
    // - Redis runs without persistence, so the restarted one is empty: after recovery
    //   `limited`'s shared count starts at 0, and alternating requests must get exactly 5
    //   answers before the first 429. Instances still on their own state would let 10
    //   through (5 each), so the count tells the two apart exactly.
    // - Recovery is polled (one fresh canary per poll, 10 s at most) rather than slept
    //   for: the gateways' probes retry every second.
    // - The `limited` phase starts with at least 8 s of the minute left (it takes well
    //   under 1 s), so one rpm window holds all of it.
    let Some(mut redis) = RedisServer::start().await else {
        return;
    };
    let mock = MockServer::start().await.unwrap();
    let scratch = Scratch::new("outage");
    let canaries: Vec<String> = (0..20).map(|i| format!("canary-{i}")).collect();
    let mut deps = vec![
        Dep {
            group: "steady",
            id: "steady",
            path: "/steady",
            params: "",
        },
        Dep {
            group: "limited",
            id: "limited",
            path: "/limited",
            params: "rpm: 5",
        },
        Dep {
            group: "canary-before",
            id: "canary-before",
            path: "/canary",
            params: "rpm: 1",
        },
        Dep {
            group: "canary-outage",
            id: "canary-outage",
            path: "/canary",
            params: "rpm: 1",
        },
    ];
    deps.extend(canaries.iter().map(|c| Dep {
        group: c,
        id: c,
        path: "/canary",
        params: "rpm: 1",
    }));
    let yaml = config(&mock.url(), redis.port, &deps);
    let gws = two_gateways(&scratch, &yaml).await;
    let [one, two] = &gws;

    a_minute_with(Duration::from_secs(2)).await;
    assert!(
        counts_are_shared(one, two, "canary-before").await,
        "counts not shared before the outage"
    );
    for i in 0..4 {
        assert_eq!(alternate(&gws, i).chat("steady").await.model_id(), "steady");
    }

    redis.kill();
    for i in 0..10 {
        let gw = alternate(&gws, i);
        let reply = gw.chat("steady").await;
        assert_eq!(reply.model_id(), "steady", "request {i} to {}", gw.name);
        assert!(
            reply.elapsed < Duration::from_secs(2),
            "request {i} to {} took {:?} with Redis down",
            gw.name,
            reply.elapsed
        );
    }
    for gw in &gws {
        gw.wait_for_log(LOG_UNREACHABLE, Duration::from_secs(5))
            .await;
    }
    assert!(
        !counts_are_shared(one, two, "canary-outage").await,
        "counts shared with Redis down?"
    );

    redis.restart().await;
    let mut recovered = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    for canary in &canaries {
        if counts_are_shared(one, two, canary).await {
            recovered = true;
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        recovered,
        "counts not shared again within 10 s of the restart"
    );
    for gw in &gws {
        assert!(gw.log().contains(LOG_REACHABLE_AGAIN), "{}", gw.log());
    }

    let window = a_minute_with(PHASE_ROOM).await;
    let mut served = 0;
    let mut refusal: Option<Reply> = None;
    for i in 0..11 {
        let reply = alternate(&gws, i).chat("limited").await;
        if reply.status == 200 {
            assert_eq!(reply.model_id(), "limited");
            served += 1;
        } else {
            refusal = Some(reply);
            break;
        }
    }
    assert_still_minute(window, "the shared rpm phase");
    assert_eq!(served, 5, "rpm 5 over both instances, not 5 on each");
    refusal
        .expect("the 6th request is refused")
        .assert_no_deployments();
    assert_eq!(upstream_hits(&mock, "/limited/"), 5);
}
