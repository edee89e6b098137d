//! Routing strategies (`router_settings.routing_strategy`): each turns a group's
//! candidates and their current load into a preference order. The state then reserves
//! the first candidate in that order that is not cooling down and under its limits.

use std::cmp::Ordering;
use std::sync::Arc;

use rand::Rng;

use super::deployment::RouterDeployment;
use super::state::DeploymentLoad;

/// A routing strategy, with LiteLLM's semantics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Strategy {
    /// Weighted random: `weight`, else `rpm`, else `tpm`, else uniform.
    SimpleShuffle,
    /// Fewest requests in flight.
    LeastBusy,
    /// Lowest tokens this minute; deployments at their `rpm`/`tpm` are skipped.
    UsageBased,
    /// Lowest mean latency of the recent samples (time to first token for streams);
    /// every deployment within `buffer` × the lowest is equally good.
    LatencyBased { buffer: f64 },
    /// Cheapest per token, from the model registry.
    CostBased,
}

impl Strategy {
    /// From `routing_strategy` (and `routing_strategy_args.lowest_latency_buffer`).
    pub fn parse(name: Option<&str>, latency_buffer: Option<f64>) -> Result<Self, String> {
        Ok(match name.unwrap_or("simple-shuffle") {
            "simple-shuffle" | "" => Self::SimpleShuffle,
            "least-busy" => Self::LeastBusy,
            "usage-based-routing" | "usage-based-routing-v2" => Self::UsageBased,
            "latency-based-routing" => Self::LatencyBased {
                buffer: latency_buffer
                    .filter(|b| b.is_finite() && *b >= 0.0)
                    .unwrap_or(0.0),
            },
            "cost-based-routing" => Self::CostBased,
            other => {
                return Err(format!(
                    "routing_strategy '{other}' is not one of simple-shuffle, least-busy, usage-based-routing-v2, latency-based-routing, cost-based-routing"
                ));
            }
        })
    }

    /// The strategy's name as LiteLLM spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::SimpleShuffle => "simple-shuffle",
            Self::LeastBusy => "least-busy",
            Self::UsageBased => "usage-based-routing-v2",
            Self::LatencyBased { .. } => "latency-based-routing",
            Self::CostBased => "cost-based-routing",
        }
    }

    /// Whether the strategy itself skips deployments at their `rpm`/`tpm` (usage-based
    /// routing does; the others only with `enforce_model_rate_limits`).
    pub fn enforces_limits(self) -> bool {
        self == Self::UsageBased
    }

    /// Orders `deps` (indices into it), most preferred first. `loads[i]` is `deps[i]`'s.
    pub fn order(
        self,
        deps: &[&Arc<RouterDeployment>],
        loads: &[DeploymentLoad],
        rng: &mut impl Rng,
    ) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..deps.len()).collect();
        if deps.len() <= 1 {
            return idx;
        }
        match self {
            Self::SimpleShuffle => weighted_order(deps, rng),
            Self::LeastBusy => {
                by_key(&mut idx, rng, |i| load(loads, i).in_flight as f64);
                idx
            }
            Self::UsageBased => {
                by_key(&mut idx, rng, |i| load(loads, i).tpm as f64);
                idx
            }
            Self::LatencyBased { buffer } => latency_order(loads, buffer, rng),
            Self::CostBased => {
                by_key(&mut idx, rng, |i| cost_per_token(deps[i]));
                idx
            }
        }
    }
}

fn load(loads: &[DeploymentLoad], i: usize) -> DeploymentLoad {
    loads.get(i).copied().unwrap_or_default()
}

/// Sorts by `key` ascending; ties are broken at random so equal deployments share load.
fn by_key(idx: &mut [usize], rng: &mut impl Rng, key: impl Fn(usize) -> f64) {
    let mut keyed: Vec<(f64, u32, usize)> = idx
        .iter()
        .map(|&i| (key(i), rng.random::<u32>(), i))
        .collect();
    keyed.sort_by(|a, b| {
        a.0.partial_cmp(&b.0)
            .unwrap_or(Ordering::Equal)
            .then(a.1.cmp(&b.1))
    });
    for (slot, (_, _, i)) in idx.iter_mut().zip(keyed) {
        *slot = i;
    }
}

/// A weighted random order (Efraimidis–Spirakis): the first element is drawn with
/// probability weight / total, as LiteLLM's `random.choices`; the rest follow in the
/// same weighted way, so a skipped first choice falls to a fair second one. Zero weights
/// come last, in random order.
fn weighted_order(deps: &[&Arc<RouterDeployment>], rng: &mut impl Rng) -> Vec<usize> {
    let mut keyed: Vec<(f64, usize)> = deps
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let w = d.shuffle_weight();
            let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
            // ln(u)/w orders like u^(1/w) without underflow; w = 0 sorts after everything.
            let key = if w > 0.0 && w.is_finite() {
                u.ln() / w
            } else {
                f64::NEG_INFINITY
            };
            (key, i)
        })
        .collect();
    keyed.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(Ordering::Equal));
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// Lowest latency first. Deployments without samples count as 0 s (tried first, as
/// LiteLLM does, so a new deployment gets measured); every deployment within
/// `(1 + buffer)` × the lowest mean is shuffled into the front group.
fn latency_order(loads: &[DeploymentLoad], buffer: f64, rng: &mut impl Rng) -> Vec<usize> {
    let lat = |i: usize| load(loads, i).latency_secs.unwrap_or(0.0);
    let mut idx: Vec<usize> = (0..loads.len()).collect();
    by_key(&mut idx, rng, lat);
    if buffer > 0.0
        && let Some(&best) = idx.first()
    {
        let limit = lat(best) * (1.0 + buffer);
        let front = idx.iter().take_while(|&&i| lat(i) <= limit).count();
        if let Some(head) = idx.get_mut(..front) {
            for k in (1..head.len()).rev() {
                let j = rng.random_range(0..=k);
                head.swap(k, j);
            }
        }
    }
    idx
}

/// Input plus output price per token; unknown prices sort last.
fn cost_per_token(d: &RouterDeployment) -> f64 {
    d.deployment
        .model_info
        .as_ref()
        .and_then(|i| Some(i.input_cost_per_token? + i.output_cost_per_token.unwrap_or(0.0)))
        .filter(|c| c.is_finite())
        .unwrap_or(f64::INFINITY)
}
