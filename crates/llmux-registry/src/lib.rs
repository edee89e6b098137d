//! The built-in model registry of llmux: LiteLLM's `model_prices_and_context_window.json`
//! (about 4,250 models from 140+ providers, as shipped with LiteLLM 1.108.7), embedded at
//! build time.
//!
//! It answers "what is this model?": provider, mode, context window, prices and capability
//! flags ([`ModelInfo`]), found with LiteLLM's `get_model_info` lookup rules
//! ([`Registry::lookup`]); applies a deployment's `model_info:` overrides
//! ([`ModelInfo::with_overrides`]); and prices a call's tokens ([`ModelInfo::cost`]).
//!
//! `build.rs` turns the JSON in `data/` into a compact tab-separated table (typed fields
//! as columns, every other field as one JSON object per row, documentation-only fields
//! dropped). [`builtin`] parses it once, on first use, into hash maps.
//!
//! What it does not do: fetch a newer map over the network, call providers for dynamic
//! model info (LiteLLM's per-provider `get_model_info` hooks, Hugging Face config lookups),
//! infer a provider from a bare model name (only from a `provider/` prefix), apply
//! LiteLLM's regex `fallback_generalizations` for unmapped models, or price anything but
//! text tokens (see [`ModelInfo::cost`]).

mod cost;
mod info;
mod providers;
mod registry;

use std::sync::LazyLock;

pub use cost::TokenUsage;
pub use info::ModelInfo;
pub use registry::Registry;

/// The compact table `build.rs` writes.
const BUILTIN_TABLE: &str = include_str!(concat!(env!("OUT_DIR"), "/registry.tsv"));

static BUILTIN: LazyLock<Registry> =
    LazyLock::new(|| Registry::from_compact(BUILTIN_TABLE).unwrap_or_default());

/// The built-in model map, parsed on first use (about 10 ms in a release build; call it at
/// startup to pay that early) and shared afterwards.
///
/// ```
/// let info = llmux_registry::builtin().lookup("gpt-4o-mini", Some("openai")).unwrap();
/// assert_eq!(info.mode.as_deref(), Some("chat"));
/// assert_eq!(info.max_input_tokens, Some(128_000));
/// ```
pub fn builtin() -> &'static Registry {
    &BUILTIN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_parses_completely() {
        let registry = Registry::from_compact(BUILTIN_TABLE).unwrap();
        assert_eq!(registry.len(), BUILTIN_TABLE.lines().count() - 1);
        assert!(registry.len() > 4000);
        assert!(builtin().get("sample_spec").is_none());
        assert!(builtin().get("fallback_generalizations").is_none());
    }

    /// Every entry holds what the source JSON says, minus the documentation fields.
    #[test]
    fn builtin_matches_the_source_json() {
        let source = include_str!("../data/model_prices_and_context_window.json");
        let from_json = Registry::from_json(source).unwrap();
        assert_eq!(from_json.len(), builtin().len());
        for info in builtin().iter() {
            let mut expected = from_json.get(&info.key).unwrap().clone();
            expected.extra.remove("source");
            expected.extra.remove("metadata");
            let mut info = info.clone();
            // `from_json` may read a 17-digit price 1 ULP off; the embedded one is exact.
            for (got, want) in [
                (
                    &mut info.input_cost_per_token,
                    &mut expected.input_cost_per_token,
                ),
                (
                    &mut info.output_cost_per_token,
                    &mut expected.output_cost_per_token,
                ),
                (
                    &mut info.cache_read_input_token_cost,
                    &mut expected.cache_read_input_token_cost,
                ),
                (
                    &mut info.cache_creation_input_token_cost,
                    &mut expected.cache_creation_input_token_cost,
                ),
                (
                    &mut info.output_cost_per_reasoning_token,
                    &mut expected.output_cost_per_reasoning_token,
                ),
            ] {
                let (a, b) = (got.take().unwrap_or(0.0), want.take().unwrap_or(0.0));
                assert!(
                    (a - b).abs() <= a.abs() * 2.0 * f64::EPSILON,
                    "{}",
                    info.key
                );
            }
            assert_eq!(info, expected, "{}", info.key);
        }
    }

    /// The one price in the map whose 17-digit literal trips serde_json's fast float path.
    #[test]
    fn embedded_prices_are_read_exactly() {
        let info = builtin()
            .get("databricks/databricks-gemini-2-5-flash")
            .unwrap();
        assert_eq!(info.input_cost_per_token, Some(3.0001999999999996e-7));
    }

    fn find(model: &str, provider: Option<&str>) -> &'static ModelInfo {
        builtin().lookup(model, provider).unwrap()
    }

    #[test]
    fn fireworks_ids_resolve_under_the_provider_prefix() {
        let llama = find(
            "accounts/fireworks/models/llama-v3p1-8b-instruct",
            Some("fireworks_ai"),
        );
        assert_eq!(
            llama.key,
            "fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct"
        );
        assert_eq!(llama.supports_function_calling, Some(false));
        let same = find(
            "fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct",
            None,
        );
        assert_eq!(same.key, llama.key);
        let firefunction = find(
            "accounts/fireworks/models/firefunction-v2",
            Some("fireworks_ai"),
        );
        assert_eq!(firefunction.supports_function_calling, Some(true));
        assert!(
            builtin()
                .lookup("accounts/fireworks/models/firefunction-v2", None)
                .is_none()
        );
    }

    #[test]
    fn gpt_4o_mini() {
        for (model, provider) in [
            ("gpt-4o-mini", Some("openai")),
            ("gpt-4o-mini", None),
            ("openai/gpt-4o-mini", None),
            ("GPT-4O-MINI", Some("openai")),
        ] {
            let info = find(model, provider);
            assert_eq!(info.key, "gpt-4o-mini");
            assert_eq!(info.litellm_provider.as_deref(), Some("openai"));
            assert_eq!(info.mode.as_deref(), Some("chat"));
            assert_eq!(info.max_input_tokens, Some(128_000));
            assert_eq!(info.input_cost_per_token, Some(1.5e-7));
            assert_eq!(info.output_cost_per_token, Some(6e-7));
            assert_eq!(info.supports_function_calling, Some(true));
        }
        // A dated snapshot with its own entry is found as itself.
        assert_eq!(
            find("gpt-4o-mini-2024-07-18", Some("openai")).key,
            "gpt-4o-mini-2024-07-18"
        );
        assert!(builtin().lookup("gpt-4o-mini", Some("anthropic")).is_none());
    }

    #[test]
    fn anthropic_models() {
        let info = find("claude-sonnet-4-5", Some("anthropic"));
        assert_eq!(info.litellm_provider.as_deref(), Some("anthropic"));
        assert_eq!(info.supports_prompt_caching, Some(true));
        // LiteLLM 1.108.7's map has claude-3-5-haiku-20241022 only on Bedrock and Vertex AI;
        // LiteLLM too answers "not mapped" for it under anthropic.
        assert!(
            builtin()
                .lookup("claude-3-5-haiku-20241022", Some("anthropic"))
                .is_none()
        );
        let bedrock = find(
            "us.anthropic.claude-3-5-haiku-20241022-v1:0",
            Some("bedrock"),
        );
        assert_eq!(
            bedrock.key,
            "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0"
        );
        let vertex = find("claude-3-5-haiku@20241022", Some("vertex_ai"));
        assert_eq!(vertex.key, "vertex_ai/claude-3-5-haiku@20241022");
    }

    #[test]
    fn gemini_models() {
        let info = find("gemini-2.5-flash", Some("gemini"));
        assert_eq!(info.key, "gemini/gemini-2.5-flash");
        assert_eq!(info.litellm_provider.as_deref(), Some("gemini"));
        assert_eq!(info.supports_reasoning, Some(true));
        assert_eq!(
            find("gemini/gemini-2.5-flash", None).key,
            "gemini/gemini-2.5-flash"
        );
        assert_eq!(
            find("gemini-2.5-flash-001", Some("gemini")).key,
            "gemini/gemini-2.5-flash"
        );
        // Bare, it is the Vertex AI entry.
        let vertex = find("gemini-2.5-flash", None);
        assert_eq!(
            vertex.litellm_provider.as_deref(),
            Some("vertex_ai-language-models")
        );
        assert_eq!(
            find("gemini-2.5-flash", Some("vertex_ai")).key,
            "gemini-2.5-flash"
        );
    }

    #[test]
    fn groq_azure_and_openrouter() {
        // This map has no groq/llama-3.3-70b-versatile (nor any openrouter entry); LiteLLM
        // 1.108.7 answers "not mapped" too.
        assert!(
            builtin()
                .lookup("llama-3.3-70b-versatile", Some("groq"))
                .is_none()
        );
        assert!(
            builtin()
                .lookup("openrouter/openai/gpt-4o-mini", None)
                .is_none()
        );
        assert!(
            builtin()
                .lookup("openai/gpt-4o-mini", Some("openrouter"))
                .is_none()
        );
        // A stored key with the provider prefix and a slash in the model id.
        assert_eq!(
            find("openai/gpt-oss-120b", Some("groq")).key,
            "groq/openai/gpt-oss-120b"
        );
        assert_eq!(
            find("groq/openai/gpt-oss-120b", None).key,
            "groq/openai/gpt-oss-120b"
        );
        assert_eq!(find("gpt-4o", Some("azure")).key, "azure/gpt-4o");
        assert_eq!(find("azure/gpt-4o", None).key, "azure/gpt-4o");
        assert_eq!(
            find("gpt-4o-2024-08-06", Some("azure")).key,
            "azure/gpt-4o-2024-08-06"
        );
        // azure_ai falls back to the OpenAI entry.
        assert_eq!(find("gpt-4o", Some("azure_ai")).key, "gpt-4o");
    }

    #[test]
    fn embedding_model() {
        let info = find("text-embedding-3-small", None);
        assert_eq!(info.mode.as_deref(), Some("embedding"));
        assert_eq!(info.extra.get("output_vector_size"), Some(&1536.into()));
    }

    #[test]
    fn deployment_overrides() {
        let base = find("gpt-4o-mini", Some("openai"));
        let overrides = serde_json::json!({
            "input_cost_per_token": 1e-6,
            "output_cost_per_token": "2e-6",
            "max_tokens": 1000,
            "supports_function_calling": false,
            "base_model": "gpt-4o-mini",
        });
        let info = base.with_overrides(overrides.as_object().unwrap());
        assert_eq!(info.key, "gpt-4o-mini");
        assert_eq!(info.max_tokens, Some(1000));
        assert_eq!(info.max_input_tokens, base.max_input_tokens);
        assert_eq!(info.supports_function_calling, Some(false));
        assert_eq!(info.extra["base_model"], "gpt-4o-mini");
        let usage = TokenUsage {
            prompt_tokens: 10,
            completion_tokens: 5,
            ..TokenUsage::default()
        };
        assert_eq!(info.cost(&usage), Some(10.0 * 1e-6 + 5.0 * 2e-6));
        // A model the map does not know, described entirely by its deployment.
        let custom = ModelInfo::default().with_overrides(overrides.as_object().unwrap());
        assert_eq!(custom.cost(&usage), info.cost(&usage));
    }

    /// Expected values: `litellm.cost_per_token(...)`, prompt + completion, LiteLLM 1.108.7.
    #[test]
    fn costs_match_litellm_exactly() {
        let cases: [(&str, &str, [u64; 5], f64); 8] = [
            ("gpt-4o-mini", "openai", [12, 9, 0, 0, 0], 7.2e-06),
            (
                "claude-sonnet-4-5",
                "anthropic",
                [1000, 300, 600, 100, 0],
                0.005955,
            ),
            (
                "gemini-2.5-pro",
                "gemini",
                [250_000, 3000, 0, 0, 1000],
                0.67,
            ),
            (
                "gemini-2.5-pro",
                "gemini",
                [150_000, 3000, 1000, 0, 1000],
                0.216375,
            ),
            (
                "gemini-2.5-flash",
                "gemini",
                [1000, 3000, 0, 0, 1000],
                0.0078,
            ),
            (
                "o3-mini",
                "openai",
                [1000, 3000, 500, 0, 2500],
                0.014025000000000001,
            ),
            (
                "accounts/fireworks/models/llama-v3p1-8b-instruct",
                "fireworks_ai",
                [1000, 10, 400, 0, 0],
                8.099999999999999e-05,
            ),
            (
                "text-embedding-3-small",
                "openai",
                [1234, 0, 0, 0, 0],
                2.468e-05,
            ),
        ];
        for (model, provider, [prompt, completion, cached, created, reasoning], expected) in cases {
            let usage = TokenUsage {
                prompt_tokens: prompt,
                completion_tokens: completion,
                cached_prompt_tokens: cached,
                cache_creation_tokens: created,
                reasoning_tokens: reasoning,
            };
            let cost = find(model, Some(provider)).cost(&usage);
            assert_eq!(cost, Some(expected), "{model}");
        }
    }
}
