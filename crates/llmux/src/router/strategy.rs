//! Routing strategies (`router_settings.routing_strategy`): each turns a group's
//! candidates and their current load into a preference order. The state then reserves
//! the first candidate in that order that is not cooling down and under its limits.

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

    /// Orders `deps` (indices into it), most preferred first. `loads[i]` is `deps[i]`'s;
    /// a missing load counts as an idle deployment.
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
            Self::SimpleShuffle => weighted_order(&mut idx, deps, rng),
            Self::LeastBusy => by_count(&mut idx, rng, |i| load(loads, i).in_flight),
            Self::UsageBased => by_count(&mut idx, rng, |i| load(loads, i).tpm),
            Self::LatencyBased { buffer } => latency_order(&mut idx, loads, buffer, rng),
            Self::CostBased => by_key(&mut idx, rng, |i, _| cost_per_token(deps[i])),
        }
        idx
    }
}

fn load(loads: &[DeploymentLoad], i: usize) -> DeploymentLoad {
    loads.get(i).copied().unwrap_or_default()
}

/// `x` as bits whose unsigned order is `x`'s numeric order; NaN sorts last, -0 as 0.
fn ordered_bits(x: f64) -> u64 {
    if x.is_nan() {
        return u64::MAX;
    }
    let bits = (x + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// Sorts by `key` ascending; ties are broken at random so equal deployments share load.
///
/// Each entry is packed into one `u128` (key bits, a random tie-breaker, the index) so
/// that the sort is an unstable sort of integers: no float comparisons, no closure.
fn by_key<R: Rng>(idx: &mut [usize], rng: &mut R, mut key: impl FnMut(usize, &mut R) -> f64) {
    let mut keyed: Vec<u128> = idx
        .iter()
        .map(|&i| {
            let k = ordered_bits(key(i, rng));
            let tie = rng.random::<u32>();
            (u128::from(k) << 64) | (u128::from(tie) << 32) | i as u128
        })
        .collect();
    keyed.sort_unstable();
    for (slot, k) in idx.iter_mut().zip(keyed) {
        // The low 32 bits hold the index (groups are far smaller than 2^32).
        *slot = (k as u32) as usize;
    }
}

/// Groups up to this size are sorted with one `u64` per entry.
const PACKED: usize = 1 << 16;

/// Sorts by a 32-bit `key` ascending, ties at random, as one `u64` per entry (key,
/// 16-bit random tie-breaker, 16-bit index): cheaper than [`by_key`]'s `u128`. Equal
/// keys share a tie-breaker with probability 2^-16, and then the lower index goes
/// first: a bias far below any load difference. `idx` holds indices below [`PACKED`].
fn sort_packed<R: Rng>(idx: &mut [usize], rng: &mut R, mut key: impl FnMut(usize, &mut R) -> u32) {
    let mut ties = 0u64;
    let mut keyed: Vec<u64> = idx
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            let k = u64::from(key(i, rng));
            if n % 4 == 0 {
                ties = rng.random::<u64>();
            }
            let tie = (ties >> (16 * (n % 4))) & 0xffff;
            (k << 32) | (tie << 16) | (i as u64 & 0xffff)
        })
        .collect();
    keyed.sort_unstable();
    for (slot, k) in idx.iter_mut().zip(keyed) {
        *slot = (k & 0xffff) as usize;
    }
}

/// [`by_key`] for counts: packed when the group and every count fit.
fn by_count<R: Rng>(idx: &mut [usize], rng: &mut R, key: impl Fn(usize) -> u64) {
    let fits = idx.len() <= PACKED
        && idx
            .iter()
            .all(|&i| i < PACKED && key(i) <= u64::from(u32::MAX));
    if fits {
        sort_packed(idx, rng, |i, _| key(i) as u32);
    } else {
        by_key(idx, rng, |i, _| key(i) as f64);
    }
}

/// Which number simple-shuffle weighs a group by: LiteLLM's `simple_shuffle` takes the
/// first of `weight`, `rpm`, `tpm` that any deployment of the group sets to a positive
/// value, and gives the deployments that leave it unset a weight of 0.
#[derive(Clone, Copy)]
enum Metric {
    Weight,
    Rpm,
    Tpm,
}

fn metric_value(d: &RouterDeployment, m: Metric) -> f64 {
    let v = match m {
        Metric::Weight => d.weight,
        Metric::Rpm => d.rpm.map(|r| r as f64),
        Metric::Tpm => d.tpm.map(|t| t as f64),
    };
    v.filter(|w| *w > 0.0 && w.is_finite()).unwrap_or(0.0)
}

fn group_metric(deps: &[&Arc<RouterDeployment>]) -> Option<Metric> {
    [Metric::Weight, Metric::Rpm, Metric::Tpm]
        .into_iter()
        .find(|&m| deps.iter().any(|d| metric_value(d, m) > 0.0))
}

/// A weighted random order (Efraimidis–Spirakis): the first element is drawn with
/// probability weight / total, as LiteLLM's `random.choices`; the rest follow in the
/// same weighted way, so a skipped first choice falls to a fair second one. Zero weights
/// come last, in random order; a group without weights is shuffled uniformly.
fn weighted_order(idx: &mut [usize], deps: &[&Arc<RouterDeployment>], rng: &mut impl Rng) {
    let Some(metric) = group_metric(deps) else {
        shuffle(idx, rng);
        return;
    };
    let weight = |d: &RouterDeployment| metric_value(d, metric);
    let first = deps.first().map_or(0.0, |d| weight(d));
    if deps.iter().all(|d| weight(d) == first) {
        // Equal weights: a uniform order.
        shuffle(idx, rng);
        return;
    }
    // Exponential(w) keys, smallest first: -ln(u)/w orders like u^(1/w) (largest first)
    // without underflow; a zero weight gets +inf and sorts after every other.
    let key = |i: usize, rng: &mut _| {
        let w = weight(deps[i]);
        if w > 0.0 {
            let u: f64 = Rng::random::<f64>(rng).max(f64::MIN_POSITIVE);
            -u.ln() / w
        } else {
            f64::INFINITY
        }
    };
    if deps.len() <= PACKED {
        // The key is random: its top 32 bits (20 of mantissa) are precision enough.
        sort_packed(idx, rng, |i, rng| (ordered_bits(key(i, rng)) >> 32) as u32);
    } else {
        by_key(idx, rng, key);
    }
}

/// Fisher–Yates.
fn shuffle(v: &mut [usize], rng: &mut impl Rng) {
    for k in (1..v.len()).rev() {
        let j = rng.random_range(0..=k);
        v.swap(k, j);
    }
}

/// Lowest latency first. Deployments without samples count as 0 s (tried first, as
/// LiteLLM does, so a new deployment gets measured); every deployment within
/// `(1 + buffer)` × the lowest mean is shuffled into the front group.
fn latency_order(idx: &mut [usize], loads: &[DeploymentLoad], buffer: f64, rng: &mut impl Rng) {
    let lat = |i: usize| load(loads, i).latency_secs.unwrap_or(0.0);
    by_key(idx, rng, |i, _| lat(i));
    if buffer > 0.0
        && let Some(&best) = idx.first()
    {
        let limit = lat(best) * (1.0 + buffer);
        let front = idx.iter().take_while(|&&i| lat(i) <= limit).count();
        if let Some(head) = idx.get_mut(..front) {
            shuffle(head, rng);
        }
    }
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

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::config::ModelEntry;
    use crate::{CallOptions, Deployment};

    const PICKS: usize = 10_000;

    fn dep_for(model: &str) -> RouterDeployment {
        let entry: ModelEntry = serde_json::from_value(serde_json::json!({
            "model_name": "g",
            "litellm_params": {"model": model},
        }))
        .unwrap();
        let d =
            Deployment::from_options_with_env(model, &CallOptions::default(), &|_| None).unwrap();
        RouterDeployment::from_deployment(entry, d)
    }

    /// `n` gpt-4o-mini deployments, each adjusted by `set(i, &mut d)`.
    fn deps(n: usize, set: impl Fn(usize, &mut RouterDeployment)) -> Vec<Arc<RouterDeployment>> {
        (0..n)
            .map(|i| {
                let mut d = dep_for("openai/gpt-4o-mini");
                set(i, &mut d);
                Arc::new(d)
            })
            .collect()
    }

    fn refs(v: &[Arc<RouterDeployment>]) -> Vec<&Arc<RouterDeployment>> {
        v.iter().collect()
    }

    fn in_flight(n: &[u64]) -> Vec<DeploymentLoad> {
        n.iter()
            .map(|&in_flight| DeploymentLoad {
                in_flight,
                ..DeploymentLoad::default()
            })
            .collect()
    }

    fn tpm(n: &[u64]) -> Vec<DeploymentLoad> {
        n.iter()
            .map(|&tpm| DeploymentLoad {
                tpm,
                ..DeploymentLoad::default()
            })
            .collect()
    }

    fn latency(secs: &[Option<f64>]) -> Vec<DeploymentLoad> {
        secs.iter()
            .map(|&latency_secs| DeploymentLoad {
                latency_secs,
                ..DeploymentLoad::default()
            })
            .collect()
    }

    /// How often each deployment comes first over `picks` orders (fixed seed), checking
    /// every order is a permutation of the deployments.
    fn firsts(
        s: Strategy,
        d: &[Arc<RouterDeployment>],
        loads: &[DeploymentLoad],
        picks: usize,
    ) -> Vec<usize> {
        let mut rng = StdRng::seed_from_u64(0x5eed);
        let d = refs(d);
        let mut counts = vec![0; d.len()];
        for _ in 0..picks {
            let order = s.order(&d, loads, &mut rng);
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..d.len()).collect::<Vec<_>>(), "{order:?}");
            counts[order[0]] += 1;
        }
        counts
    }

    fn assert_shares(counts: &[usize], expected: &[f64], tolerance: f64) {
        let total = counts.iter().sum::<usize>() as f64;
        for (i, (&c, &want)) in counts.iter().zip(expected).enumerate() {
            let share = c as f64 / total;
            assert!(
                (share - want).abs() <= tolerance,
                "deployment {i}: first {share:.4} of the time, expected {want} ± {tolerance} ({counts:?})"
            );
        }
    }

    #[test]
    fn simple_shuffle_follows_weights_1_2_7() {
        let weights = [1.0, 2.0, 7.0];
        let d = deps(3, |i, d| d.weight = Some(weights[i]));
        let counts = firsts(Strategy::SimpleShuffle, &d, &[], PICKS);
        assert_shares(&counts, &[0.1, 0.2, 0.7], 0.03);
    }

    #[test]
    fn simple_shuffle_weight_wins_over_rpm_and_tpm() {
        let d = deps(2, |i, d| {
            d.weight = Some([1.0, 3.0][i]);
            // Would give the opposite split if they were used.
            d.rpm = Some([900, 100][i]);
            d.tpm = Some([900, 100][i]);
        });
        let counts = firsts(Strategy::SimpleShuffle, &d, &[], PICKS);
        assert_shares(&counts, &[0.25, 0.75], 0.03);
    }

    /// LiteLLM picks one metric for the whole group: once any deployment sets `weight`,
    /// one that sets only `rpm` weighs 0.
    #[test]
    fn simple_shuffle_picks_one_metric_for_the_whole_group() {
        let d = deps(2, |i, d| {
            if i == 0 {
                d.weight = Some(1.0);
            } else {
                d.rpm = Some(100);
            }
        });
        let counts = firsts(Strategy::SimpleShuffle, &d, &[], PICKS);
        assert_eq!(counts, [PICKS, 0]);
    }

    #[test]
    fn simple_shuffle_uses_rpm_when_weight_is_unset() {
        let d = deps(2, |i, d| {
            d.rpm = Some([100, 300][i]);
            d.tpm = Some([300, 100][i]);
        });
        let counts = firsts(Strategy::SimpleShuffle, &d, &[], PICKS);
        assert_shares(&counts, &[0.25, 0.75], 0.03);
    }

    #[test]
    fn simple_shuffle_uses_tpm_when_rpm_is_unset() {
        let d = deps(2, |i, d| d.tpm = Some([1_000, 9_000][i]));
        let counts = firsts(Strategy::SimpleShuffle, &d, &[], PICKS);
        assert_shares(&counts, &[0.1, 0.9], 0.03);
    }

    #[test]
    fn simple_shuffle_is_uniform_without_weights() {
        let d = deps(4, |_, _| {});
        let counts = firsts(Strategy::SimpleShuffle, &d, &[], PICKS);
        assert_shares(&counts, &[0.25; 4], 0.03);
    }

    #[test]
    fn simple_shuffle_never_puts_weight_zero_first() {
        let d = deps(3, |i, d| d.weight = Some([0.0, 1.0, 2.0][i]));
        let mut rng = StdRng::seed_from_u64(1);
        let r = refs(&d);
        for _ in 0..PICKS {
            let order = Strategy::SimpleShuffle.order(&r, &[], &mut rng);
            // Not first, and after every positive weight (a skipped first choice falls
            // to another weighted one).
            assert_eq!(order[2], 0, "{order:?}");
        }
    }

    #[test]
    fn simple_shuffle_spreads_when_every_weight_is_zero() {
        // Nothing to weigh by: LiteLLM falls back to a uniform choice.
        let d = deps(3, |_, d| d.weight = Some(0.0));
        let counts = firsts(Strategy::SimpleShuffle, &d, &[], PICKS);
        assert_shares(&counts, &[1.0 / 3.0; 3], 0.03);
    }

    #[test]
    fn least_busy_puts_fewest_in_flight_first() {
        let d = deps(3, |_, _| {});
        let r = refs(&d);
        let loads = in_flight(&[3, 1, 2]);
        let mut rng = StdRng::seed_from_u64(2);
        for _ in 0..100 {
            assert_eq!(
                Strategy::LeastBusy.order(&r, &loads, &mut rng),
                vec![1, 2, 0]
            );
        }
    }

    #[test]
    fn least_busy_spreads_ties() {
        let d = deps(4, |_, _| {});
        let loads = in_flight(&[2, 0, 0, 5]);
        let counts = firsts(Strategy::LeastBusy, &d, &loads, PICKS);
        assert_eq!((counts[0], counts[3]), (0, 0), "{counts:?}");
        assert_shares(&counts, &[0.0, 0.5, 0.5, 0.0], 0.03);
    }

    #[test]
    fn counts_beyond_32_bits_still_sort() {
        let d = deps(3, |_, _| {});
        let r = refs(&d);
        let loads = in_flight(&[u64::MAX, 5, 1 << 40]);
        let mut rng = StdRng::seed_from_u64(10);
        for _ in 0..100 {
            assert_eq!(
                Strategy::LeastBusy.order(&r, &loads, &mut rng),
                vec![1, 2, 0]
            );
        }
    }

    #[test]
    fn usage_based_puts_lowest_tpm_first() {
        let d = deps(3, |_, _| {});
        let r = refs(&d);
        // In-flight counts do not matter to it.
        let mut loads = tpm(&[500, 100, 300]);
        loads[1].in_flight = 50;
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..100 {
            assert_eq!(
                Strategy::UsageBased.order(&r, &loads, &mut rng),
                vec![1, 2, 0]
            );
        }
        assert!(Strategy::UsageBased.enforces_limits());
        assert!(!Strategy::SimpleShuffle.enforces_limits());
    }

    #[test]
    fn latency_based_puts_lowest_latency_first() {
        let d = deps(3, |_, _| {});
        let r = refs(&d);
        let loads = latency(&[Some(0.3), Some(0.1), Some(0.2)]);
        let mut rng = StdRng::seed_from_u64(4);
        for _ in 0..100 {
            assert_eq!(
                Strategy::LatencyBased { buffer: 0.0 }.order(&r, &loads, &mut rng),
                vec![1, 2, 0]
            );
        }
    }

    #[test]
    fn latency_buffer_shares_first_place_within_it() {
        let d = deps(3, |_, _| {});
        // 1.4 s is within 1.5 × 1.0 s; 3.0 s is not.
        let loads = latency(&[Some(1.0), Some(1.4), Some(3.0)]);
        let s = Strategy::LatencyBased { buffer: 0.5 };
        let counts = firsts(s, &d, &loads, PICKS);
        assert_eq!(counts[2], 0, "{counts:?}");
        assert_shares(&counts, &[0.5, 0.5, 0.0], 0.03);
        let r = refs(&d);
        let mut rng = StdRng::seed_from_u64(5);
        for _ in 0..100 {
            assert_eq!(s.order(&r, &loads, &mut rng)[2], 2);
        }
        // Without a buffer the fastest always wins.
        let counts = firsts(Strategy::LatencyBased { buffer: 0.0 }, &d, &loads, 1_000);
        assert_eq!(counts, vec![1_000, 0, 0]);
    }

    #[test]
    fn latency_based_tries_unmeasured_deployments_first() {
        let d = deps(3, |_, _| {});
        let loads = latency(&[Some(0.1), None, Some(0.05)]);
        for buffer in [0.0, 0.5] {
            let counts = firsts(Strategy::LatencyBased { buffer }, &d, &loads, 1_000);
            assert_eq!(counts, vec![0, 1_000, 0], "buffer {buffer}");
        }
        // Several unmeasured ones share first place.
        let loads = latency(&[None, Some(0.01), None]);
        let counts = firsts(Strategy::LatencyBased { buffer: 0.0 }, &d, &loads, PICKS);
        assert_shares(&counts, &[0.5, 0.0, 0.5], 0.03);
    }

    #[test]
    fn cost_based_puts_cheapest_first_and_unknown_prices_last() {
        let d: Vec<Arc<RouterDeployment>> = [
            "openai/gpt-4o",
            "openai/my-private-finetune",
            "openai/gpt-4o-mini",
        ]
        .into_iter()
        .map(|m| Arc::new(dep_for(m)))
        .collect();
        let price = |i: usize| cost_per_token(&d[i]);
        assert!(price(2) < price(0), "{} < {}", price(2), price(0));
        assert!(d[1].deployment.model_info.is_none());
        assert_eq!(price(1), f64::INFINITY);
        let r = refs(&d);
        let mut rng = StdRng::seed_from_u64(6);
        for _ in 0..100 {
            assert_eq!(Strategy::CostBased.order(&r, &[], &mut rng), vec![2, 0, 1]);
        }
    }

    #[test]
    fn cost_based_reads_prices_set_in_model_info() {
        let priced = |input: f64| {
            let model = "openai/my-private-finetune";
            let entry: ModelEntry = serde_json::from_value(serde_json::json!({
                "model_name": "g",
                "litellm_params": {"model": model},
            }))
            .unwrap();
            let opts = CallOptions {
                model_info: serde_json::json!({
                    "input_cost_per_token": input,
                    "output_cost_per_token": input * 2.0,
                })
                .as_object()
                .cloned()
                .unwrap(),
                ..CallOptions::default()
            };
            let d = Deployment::from_options_with_env(model, &opts, &|_| None).unwrap();
            Arc::new(RouterDeployment::from_deployment(entry, d))
        };
        let d = vec![
            priced(3e-6),
            priced(1e-6),
            Arc::new(dep_for("openai/gpt-4o")),
        ];
        // gpt-4o ($2.5 + $10 per million) is dearer than both configured prices.
        assert!(cost_per_token(&d[2]) > 9e-6, "{}", cost_per_token(&d[2]));
        let r = refs(&d);
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..100 {
            assert_eq!(Strategy::CostBased.order(&r, &[], &mut rng), vec![1, 0, 2]);
        }
    }

    #[test]
    fn every_strategy_orders_every_deployment() {
        let d = deps(5, |i, d| d.weight = Some(i as f64));
        let r = refs(&d);
        let strategies = [
            Strategy::SimpleShuffle,
            Strategy::LeastBusy,
            Strategy::UsageBased,
            Strategy::LatencyBased { buffer: 0.0 },
            Strategy::LatencyBased { buffer: 0.5 },
            Strategy::CostBased,
        ];
        let mut rng = StdRng::seed_from_u64(8);
        for s in strategies {
            // Fewer loads than deployments (the pipeline passes none for the strategies
            // that do not read them): the missing ones count as idle.
            for loads in [Vec::new(), in_flight(&[1, 2]), in_flight(&[1, 2, 3, 4, 5])] {
                let mut order = s.order(&r, &loads, &mut rng);
                order.sort_unstable();
                assert_eq!(
                    order,
                    vec![0, 1, 2, 3, 4],
                    "{s:?} with {} loads",
                    loads.len()
                );
            }
            assert_eq!(s.order(&r[..1], &[], &mut rng), vec![0]);
            assert!(s.order(&[], &[], &mut rng).is_empty());
        }
    }

    #[test]
    fn zero_weights_come_last_in_random_order() {
        let d = deps(4, |i, d| d.weight = Some([0.0, 0.0, 1.0, 2.0][i]));
        let r = refs(&d);
        let mut rng = StdRng::seed_from_u64(9);
        let mut third = [0; 4];
        for _ in 0..1_000 {
            let order = Strategy::SimpleShuffle.order(&r, &[], &mut rng);
            let mut tail = [order[2], order[3]];
            tail.sort_unstable();
            assert_eq!(tail, [0, 1], "{order:?}");
            third[order[2]] += 1;
        }
        assert!(third[0] > 400 && third[1] > 400, "{third:?}");
    }

    #[test]
    fn key_bits_sort_like_the_numbers() {
        let xs = [
            f64::NEG_INFINITY,
            -2.5,
            -1e-300,
            0.0,
            1e-300,
            0.5,
            3.0,
            f64::INFINITY,
            f64::NAN,
        ];
        for w in xs.windows(2) {
            assert!(
                ordered_bits(w[0]) < ordered_bits(w[1]),
                "{} < {}",
                w[0],
                w[1]
            );
        }
        assert_eq!(ordered_bits(-0.0), ordered_bits(0.0));
        assert_eq!(ordered_bits(-f64::NAN), ordered_bits(f64::NAN));
    }

    #[test]
    fn parse_accepts_litellm_names() {
        let p = |name: Option<&str>| Strategy::parse(name, None).unwrap();
        assert_eq!(p(None), Strategy::SimpleShuffle);
        assert_eq!(p(Some("")), Strategy::SimpleShuffle);
        assert_eq!(p(Some("simple-shuffle")), Strategy::SimpleShuffle);
        assert_eq!(p(Some("least-busy")), Strategy::LeastBusy);
        assert_eq!(p(Some("usage-based-routing")), Strategy::UsageBased);
        assert_eq!(p(Some("usage-based-routing-v2")), Strategy::UsageBased);
        assert_eq!(
            p(Some("latency-based-routing")),
            Strategy::LatencyBased { buffer: 0.0 }
        );
        assert_eq!(p(Some("cost-based-routing")), Strategy::CostBased);
        for s in [
            Strategy::SimpleShuffle,
            Strategy::LeastBusy,
            Strategy::UsageBased,
            Strategy::LatencyBased { buffer: 0.0 },
            Strategy::CostBased,
        ] {
            assert_eq!(p(Some(s.name())), s);
        }
    }

    #[test]
    fn parse_takes_the_latency_buffer() {
        let p = |b: Option<f64>| Strategy::parse(Some("latency-based-routing"), b).unwrap();
        assert_eq!(p(Some(0.5)), Strategy::LatencyBased { buffer: 0.5 });
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(p(Some(bad)), Strategy::LatencyBased { buffer: 0.0 });
        }
        // Only latency-based routing reads it.
        assert_eq!(
            Strategy::parse(Some("least-busy"), Some(0.5)),
            Ok(Strategy::LeastBusy)
        );
    }

    #[test]
    fn parse_rejects_an_unknown_name() {
        for bad in ["round-robin", "Simple-Shuffle", "usage-based-routing-v3"] {
            let err = Strategy::parse(Some(bad), None).unwrap_err();
            assert!(err.contains(&format!("'{bad}'")), "{err}");
            assert!(err.contains("simple-shuffle"), "{err}");
        }
    }
}
