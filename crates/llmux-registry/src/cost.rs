//! The USD cost of a call, as LiteLLM's `generic_cost_per_token` computes it for text tokens.

use crate::info::ModelInfo;

/// Token counts of one call, in OpenAI's convention: `prompt_tokens` counts every prompt
/// token, cached and cache-writing ones included; `completion_tokens` counts every
/// completion token, reasoning ones included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenUsage {
    /// All prompt tokens.
    pub prompt_tokens: u64,
    /// All completion tokens.
    pub completion_tokens: u64,
    /// Prompt tokens read from the provider's prompt cache (part of `prompt_tokens`).
    pub cached_prompt_tokens: u64,
    /// Prompt tokens written to the provider's prompt cache (part of `prompt_tokens`).
    pub cache_creation_tokens: u64,
    /// Reasoning tokens (part of `completion_tokens`).
    pub reasoning_tokens: u64,
}

/// Per-token prices for one call.
struct Rates {
    input: f64,
    output: f64,
    cache_read: f64,
    cache_creation: f64,
    reasoning: f64,
}

impl ModelInfo {
    /// Cost of a call in USD, or `None` when the model has neither an input nor an output
    /// price (a missing one of the two counts as free, as in LiteLLM).
    ///
    /// As LiteLLM: uncached prompt tokens at `input_cost_per_token`, cached ones at
    /// `cache_read_input_token_cost` and cache writes at `cache_creation_input_token_cost`
    /// (each falling back to the input price when absent; Fireworks reads default to half
    /// the input price); non-reasoning completion tokens at `output_cost_per_token` and
    /// reasoning tokens at `output_cost_per_reasoning_token`, else the output price. When the
    /// prompt is longer than a threshold with `*_above_<N>k_tokens` prices (e.g. Gemini's
    /// 200k tier), those prices apply to the whole call (at or above the threshold for xAI).
    /// Audio, image and video tokens, service tiers, `tiered_pricing` tables, off-peak and
    /// regional prices are not modelled.
    ///
    /// ```
    /// use llmux_registry::TokenUsage;
    /// let info = llmux_registry::builtin().lookup("gpt-4o-mini", Some("openai")).unwrap();
    /// let usage = TokenUsage { prompt_tokens: 12, completion_tokens: 9, ..TokenUsage::default() };
    /// assert!((info.cost(&usage).unwrap() - 7.2e-6).abs() < 1e-12);
    /// ```
    pub fn cost(&self, usage: &TokenUsage) -> Option<f64> {
        let rates = self.rates(usage.prompt_tokens)?;
        let cached = usage.cached_prompt_tokens;
        let writes = usage.cache_creation_tokens;
        let uncached = usage
            .prompt_tokens
            .saturating_sub(cached)
            .saturating_sub(writes);
        // Same operations in the same order as LiteLLM, so the floats match.
        let mut prompt_cost = uncached as f64 * rates.input;
        prompt_cost += cached as f64 * rates.cache_read;
        if writes > 0 {
            prompt_cost += writes as f64 * rates.cache_creation;
        }
        let reasoning = usage.reasoning_tokens;
        let text = usage.completion_tokens.saturating_sub(reasoning);
        let mut completion_cost = text as f64 * rates.output;
        if reasoning > 0 {
            completion_cost += reasoning as f64 * rates.reasoning;
        }
        Some(prompt_cost + completion_cost)
    }

    /// LiteLLM's `_get_token_base_cost` for the standard tier.
    fn rates(&self, prompt_tokens: u64) -> Option<Rates> {
        if self.input_cost_per_token.is_none() && self.output_cost_per_token.is_none() {
            return None;
        }
        let mut input = self.input_cost_per_token.unwrap_or(0.0);
        let mut output = self.output_cost_per_token.unwrap_or(0.0);
        let mut cache_read = self.cache_read_input_token_cost;
        if cache_read.is_none() && self.litellm_provider.as_deref() == Some("fireworks_ai") {
            cache_read = self.input_cost_per_token.map(|rate| rate * 0.5);
        }
        let mut cache_creation = self.cache_creation_input_token_cost;
        let inclusive = self.litellm_provider.as_deref() == Some("xai");
        for (threshold, label) in self.price_thresholds() {
            let tokens = prompt_tokens as f64;
            if tokens > threshold || (inclusive && tokens == threshold) {
                let price =
                    |prefix: &str| self.extra_price(&format!("{prefix}_above_{label}_tokens"));
                input = price("input_cost_per_token").unwrap_or(input);
                output = price("output_cost_per_token").unwrap_or(output);
                cache_creation = price("cache_creation_input_token_cost").or(cache_creation);
                cache_read = price("cache_read_input_token_cost").or(cache_read);
            }
        }
        Some(Rates {
            input,
            output,
            cache_read: cache_read.unwrap_or(input),
            cache_creation: cache_creation.unwrap_or(input),
            reasoning: self.output_cost_per_reasoning_token.unwrap_or(output),
        })
    }

    /// The prompt-size thresholds that have their own prices, ascending, as
    /// `(tokens, label)`: `input_cost_per_token_above_200k_tokens` gives `(200000.0, "200k")`.
    fn price_thresholds(&self) -> Vec<(f64, &str)> {
        const PREFIXES: [&str; 4] = [
            "input_cost_per_token_above_",
            "output_cost_per_token_above_",
            "cache_read_input_token_cost_above_",
            "cache_creation_input_token_cost_above_",
        ];
        let mut thresholds: Vec<(f64, &str)> = self
            .extra
            .iter()
            .filter(|(key, value)| {
                !value.is_null()
                    && key.contains("_tokens")
                    && PREFIXES.iter().any(|p| key.starts_with(p))
            })
            .filter_map(|(key, _)| {
                let label = key.rsplit("_above_").next()?.split("_tokens").next()?;
                let (digits, scale) = match label.strip_suffix('k') {
                    Some(digits) => (digits, 1000.0),
                    None => (label, 1.0),
                };
                Some((digits.parse::<f64>().ok()? * scale, label))
            })
            .collect();
        thresholds.sort_by(|a, b| a.0.total_cmp(&b.0));
        thresholds.dedup_by(|a, b| a.1 == b.1);
        thresholds
    }

    /// A price kept in [`extra`](Self::extra), given as a number or a numeric string.
    fn extra_price(&self, key: &str) -> Option<f64> {
        match self.extra.get(key)? {
            serde_json::Value::String(s) => s.trim().parse().ok(),
            value => value.as_f64(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn priced(input: f64, output: f64) -> ModelInfo {
        ModelInfo {
            input_cost_per_token: Some(input),
            output_cost_per_token: Some(output),
            ..ModelInfo::default()
        }
    }

    fn usage(prompt_tokens: u64, completion_tokens: u64) -> TokenUsage {
        TokenUsage {
            prompt_tokens,
            completion_tokens,
            ..TokenUsage::default()
        }
    }

    #[test]
    fn plain_tokens_match_litellm_bit_for_bit() {
        // litellm.cost_per_token("gpt-4o-mini", prompt_tokens=12, completion_tokens=9)
        let cost = priced(1.5e-7, 6e-7).cost(&usage(12, 9)).unwrap();
        assert_eq!(cost, 12.0 * 1.5e-7 + 9.0 * 6e-7);
        assert!((cost - 7.2e-6).abs() < 1e-12);
    }

    #[test]
    fn no_price_is_none_and_one_missing_price_is_free() {
        assert_eq!(ModelInfo::default().cost(&usage(1, 1)), None);
        let input_only = ModelInfo {
            input_cost_per_token: Some(2e-8),
            ..ModelInfo::default()
        };
        assert_eq!(input_only.cost(&usage(100, 0)), Some(100.0 * 2e-8));
        assert_eq!(input_only.cost(&usage(0, 100)), Some(0.0));
    }

    #[test]
    fn cache_reads_writes_and_reasoning() {
        let mut info = priced(3e-6, 1.5e-5);
        info.cache_read_input_token_cost = Some(3e-7);
        info.cache_creation_input_token_cost = Some(3.75e-6);
        info.output_cost_per_reasoning_token = Some(2e-5);
        let usage = TokenUsage {
            prompt_tokens: 1000,
            completion_tokens: 300,
            cached_prompt_tokens: 600,
            cache_creation_tokens: 100,
            reasoning_tokens: 200,
        };
        let expected =
            (300.0 * 3e-6 + 600.0 * 3e-7 + 100.0 * 3.75e-6) + (100.0 * 1.5e-5 + 200.0 * 2e-5);
        assert_eq!(info.cost(&usage), Some(expected));
    }

    #[test]
    fn missing_cache_prices_fall_back_to_input_price() {
        let usage = TokenUsage {
            prompt_tokens: 10,
            cached_prompt_tokens: 4,
            reasoning_tokens: 5,
            completion_tokens: 5,
            ..TokenUsage::default()
        };
        let info = priced(1e-6, 2e-6);
        assert_eq!(
            info.cost(&usage),
            Some(6.0 * 1e-6 + 4.0 * 1e-6 + 5.0 * 2e-6)
        );
        let mut fireworks = info.clone();
        fireworks.litellm_provider = Some("fireworks_ai".into());
        assert_eq!(
            fireworks.cost(&usage),
            Some(6.0 * 1e-6 + 4.0 * 5e-7 + 5.0 * 2e-6)
        );
    }

    #[test]
    fn long_prompts_use_threshold_prices() {
        let mut info = priced(1.25e-6, 1e-5);
        info.extra.insert(
            "input_cost_per_token_above_200k_tokens".into(),
            json!(2.5e-6),
        );
        info.extra.insert(
            "output_cost_per_token_above_200k_tokens".into(),
            json!("1.5e-5"),
        );
        info.extra.insert(
            "input_cost_per_token_above_200k_tokens_priority".into(),
            json!(9.0),
        );
        assert_eq!(
            info.cost(&usage(200_000, 10)),
            Some(200_000.0 * 1.25e-6 + 10.0 * 1e-5)
        );
        assert_eq!(
            info.cost(&usage(200_001, 10)),
            Some(200_001.0 * 2.5e-6 + 10.0 * 1.5e-5)
        );
        info.litellm_provider = Some("xai".into());
        assert_eq!(
            info.cost(&usage(200_000, 10)),
            Some(200_000.0 * 2.5e-6 + 10.0 * 1.5e-5)
        );
    }

    #[test]
    fn thresholds_sort_numerically() {
        let mut info = priced(1.0, 1.0);
        for (key, value) in [
            ("input_cost_per_token_above_1000k_tokens", 3.0),
            ("input_cost_per_token_above_128k_tokens", 2.0),
            ("cache_creation_input_token_cost_above_1hr", 7.0),
        ] {
            info.extra.insert(key.into(), json!(value));
        }
        let labels: Vec<_> = info.price_thresholds().into_iter().map(|t| t.1).collect();
        assert_eq!(labels, ["128k", "1000k"]);
        assert_eq!(info.cost(&usage(2_000_000, 0)), Some(2_000_000.0 * 3.0));
    }
}
