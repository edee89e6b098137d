//! The router's choice cost: one `Router::route` call whose attempt answers at once with
//! a prebuilt reply (no network, no provider translation), so what is measured is the
//! pipeline around the call: hooks check, group lookup, the strategy's order, the state's
//! `loads` and `reserve`, and the success accounting. In-memory state.
//!
//! `route/{strategy}/{n}` is a group of `n` deployments (1 is the baseline: the strategy
//! is skipped for a single deployment); `order/{strategy}/100` is `Strategy::order`
//! alone on 100 deployments with prebuilt loads. The target is "≤ 5 µs per request with
//! in-memory state for 100 deployments in a group". Run with
//!
//! ```text
//! cargo bench -p llmux --bench router -- --warm-up-time 1 --measurement-time 3
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmarks fail loudly"
)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use llmux::config::{ModelEntry, RouterSettings};
use llmux::router::state::{Candidate, DeploymentLoad, MemoryState, SharedState, now_ms};
use llmux::router::{
    CallContext, Entrance, Identity, RequestView, RouterDeployment, RouterOptions, Strategy,
};
use llmux::{ChatRequest, ChatResponse, Reply, Router};
use rand::SeedableRng;
use serde_json::json;

const STRATEGIES: [&str; 4] = [
    "simple-shuffle",
    "least-busy",
    "usage-based-routing-v2",
    "latency-based-routing",
];

/// The upstream's answer, cloned into every reply.
fn answer() -> ChatResponse {
    serde_json::from_value(json!({
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": "ok"},
            "finish_reason": "stop",
        }],
        "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
    }))
    .unwrap()
}

/// `n` deployments of group `g`; `weighted` gives deployment `i` the weight `i + 1`.
fn entries(n: usize, weighted: bool) -> Vec<ModelEntry> {
    (0..n)
        .map(|i| {
            let mut e = json!({
                "model_name": "g",
                "litellm_params": {
                    "model": "openai/gpt-4o-mini",
                    "api_base": format!("http://upstream-{i}.invalid/v1"),
                    "api_key": "sk-bench",
                },
                "model_info": {"id": format!("deployment-{i:03}")},
            });
            if weighted {
                e["litellm_params"]["weight"] = json!(i + 1);
            }
            serde_json::from_value(e).unwrap()
        })
        .collect()
}

fn router(strategy: &str, n: usize, weighted: bool) -> Router {
    let settings: RouterSettings = serde_json::from_value(json!({
        "routing_strategy": strategy,
        "routing_strategy_args": {"lowest_latency_buffer": 0.5},
    }))
    .unwrap();
    Router::build(
        &entries(n, weighted),
        settings,
        RouterOptions::default(),
        &|_| None,
    )
    .unwrap()
}

fn route(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let req: ChatRequest = serde_json::from_value(json!({
        "model": "g",
        "messages": [{"role": "user", "content": "hi"}],
    }))
    .unwrap();
    let ctx = CallContext::new(Entrance::Library, Identity::Library);
    let value = answer();
    let mut g = c.benchmark_group("route");
    let cases = STRATEGIES
        .iter()
        .flat_map(|s| [(*s, 1, false), (*s, 100, false)])
        .chain([("simple-shuffle", 100, true)]);
    for (strategy, n, weighted) in cases {
        let router = router(strategy, n, weighted);
        let name = if weighted {
            format!("{strategy} (weights 1..=100)")
        } else {
            strategy.to_owned()
        };
        g.bench_function(BenchmarkId::new(name, n), |b| {
            b.iter(|| {
                let routed = rt
                    .block_on(router.route(&ctx, "g", RequestView::Chat(&req), |d| {
                        let value = value.clone();
                        async move {
                            Ok(Reply {
                                value,
                                provider: d.deployment.provider,
                                attempts: 1,
                                headers: Vec::new(),
                                upstream_time: Duration::ZERO,
                            })
                        }
                    }))
                    .unwrap();
                black_box(routed)
            });
        });
    }
    g.finish();
}

/// The same answer clone and runtime round trip, without the router: what `route/*`
/// spends outside the router's own work.
fn overhead(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let value = answer();
    c.bench_function("route/overhead (clone + block_on)", |b| {
        b.iter(|| black_box(rt.block_on(async { value.clone() })));
    });
}

fn order(c: &mut Criterion) {
    let build = |weighted| -> Vec<Arc<RouterDeployment>> {
        entries(100, weighted)
            .iter()
            .map(|e| Arc::new(RouterDeployment::build(e, &Default::default(), &|_| None).unwrap()))
            .collect()
    };
    let deps = build(false);
    let weighted = build(true);
    let refs: Vec<&Arc<RouterDeployment>> = deps.iter().collect();
    let weighted_refs: Vec<&Arc<RouterDeployment>> = weighted.iter().collect();
    let loads: Vec<DeploymentLoad> = (0..100u64)
        .map(|i| DeploymentLoad {
            rpm: i * 7 % 13,
            tpm: i * 31 % 97 * 100,
            in_flight: i % 5,
            cooldown_until_ms: None,
            latency_secs: Some(0.2 + (i * 17 % 23) as f64 / 100.0),
        })
        .collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mut g = c.benchmark_group("order");
    for strategy in STRATEGIES {
        let buffer = Some(0.5);
        let s = Strategy::parse(Some(strategy), buffer).unwrap();
        g.bench_function(BenchmarkId::new(strategy, 100), |b| {
            b.iter(|| black_box(s.order(black_box(&refs), black_box(&loads), &mut rng)));
        });
    }
    g.bench_function(
        BenchmarkId::new("simple-shuffle (weights 1..=100)", 100),
        |b| {
            b.iter(|| {
                black_box(Strategy::SimpleShuffle.order(
                    black_box(&weighted_refs),
                    black_box(&[]),
                    &mut rng,
                ))
            });
        },
    );
    g.finish();
}

/// The in-memory state's two calls on the request path, for 100 deployments: what
/// `route/*/100` spends there.
fn state(c: &mut Criterion) {
    let ids: Vec<String> = (0..100).map(|i| format!("deployment-{i:03}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let state = MemoryState::new();
    for id in &refs {
        state.release(id);
    }
    let candidates: Vec<Candidate<'_>> = refs
        .iter()
        .map(|id| Candidate {
            id,
            rpm_limit: None,
            tpm_limit: None,
            max_parallel: None,
        })
        .collect();
    let now = now_ms();
    c.bench_function("state/loads/100", |b| {
        b.iter(|| black_box(state.loads(black_box(&refs), now)));
    });
    c.bench_function("state/reserve+release/100", |b| {
        b.iter(|| {
            let r = state.reserve_at_once(black_box(&candidates), now);
            state.release(refs[r.chosen.unwrap()]);
            black_box(r)
        });
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = route, overhead, order, state
}
criterion_main!(benches);
