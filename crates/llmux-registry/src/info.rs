//! [`ModelInfo`]: one model's entry, and per-deployment overrides.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What the registry knows about one model: provider, mode, context window, prices and
/// capability flags. Field names and meanings are LiteLLM's (`model_prices_and_context_window.json`);
/// an absent field is `None`, never a guessed default.
///
/// Prices are in USD per token. Serializes to LiteLLM's flat JSON shape, with
/// [`extra`](Self::extra) flattened in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The registry key the entry was found under, e.g. `"gemini/gemini-2.5-flash"`
    /// (LiteLLM's `key`). Empty for an entry built from scratch.
    #[serde(default)]
    pub key: String,
    /// LiteLLM provider name, e.g. `"openai"`, `"vertex_ai-language-models"`.
    pub litellm_provider: Option<String>,
    /// Kind of endpoint: `"chat"`, `"embedding"`, `"completion"`, `"image_generation"`, `"rerank"`, ...
    pub mode: Option<String>,
    /// Legacy limit: the output limit if the provider states one, else the input limit.
    pub max_tokens: Option<u64>,
    /// Context window (prompt tokens).
    pub max_input_tokens: Option<u64>,
    /// Longest completion, in tokens.
    pub max_output_tokens: Option<u64>,
    /// USD per prompt token.
    pub input_cost_per_token: Option<f64>,
    /// USD per completion token.
    pub output_cost_per_token: Option<f64>,
    /// USD per prompt token read from the provider's prompt cache.
    pub cache_read_input_token_cost: Option<f64>,
    /// USD per prompt token written to the provider's prompt cache.
    pub cache_creation_input_token_cost: Option<f64>,
    /// USD per reasoning token, when it differs from [`output_cost_per_token`](Self::output_cost_per_token).
    pub output_cost_per_reasoning_token: Option<f64>,
    /// Accepts `tools` / function calling.
    pub supports_function_calling: Option<bool>,
    /// Can return several tool calls in one turn.
    pub supports_parallel_function_calling: Option<bool>,
    /// Accepts `tool_choice`.
    pub supports_tool_choice: Option<bool>,
    /// Accepts image input.
    pub supports_vision: Option<bool>,
    /// Accepts a JSON schema `response_format`.
    pub supports_response_schema: Option<bool>,
    /// Is a reasoning ("thinking") model.
    pub supports_reasoning: Option<bool>,
    /// Supports prompt caching.
    pub supports_prompt_caching: Option<bool>,
    /// Accepts a system message.
    pub supports_system_messages: Option<bool>,
    /// Accepts PDF input.
    pub supports_pdf_input: Option<bool>,
    /// Accepts audio input.
    pub supports_audio_input: Option<bool>,
    /// Can produce audio output.
    pub supports_audio_output: Option<bool>,
    /// Has built-in web search.
    pub supports_web_search: Option<bool>,
    /// Every other field of the entry, as in LiteLLM's map (tiered and service-tier prices,
    /// `supported_endpoints`, `deprecation_date`, `output_vector_size`, ...). Never holds
    /// the names of the typed fields above.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A mutable view of one typed field, chosen by its LiteLLM name.
pub(crate) enum Field<'a> {
    Text(&'a mut Option<String>),
    Count(&'a mut Option<u64>),
    Price(&'a mut Option<f64>),
    Flag(&'a mut Option<bool>),
}

impl ModelInfo {
    /// The typed field called `name`, or `None` when the name belongs in [`extra`](Self::extra).
    pub(crate) fn field(&mut self, name: &str) -> Option<Field<'_>> {
        use Field::{Count, Flag, Price, Text};
        Some(match name {
            "litellm_provider" => Text(&mut self.litellm_provider),
            "mode" => Text(&mut self.mode),
            "max_tokens" => Count(&mut self.max_tokens),
            "max_input_tokens" => Count(&mut self.max_input_tokens),
            "max_output_tokens" => Count(&mut self.max_output_tokens),
            "input_cost_per_token" => Price(&mut self.input_cost_per_token),
            "output_cost_per_token" => Price(&mut self.output_cost_per_token),
            "cache_read_input_token_cost" => Price(&mut self.cache_read_input_token_cost),
            "cache_creation_input_token_cost" => Price(&mut self.cache_creation_input_token_cost),
            "output_cost_per_reasoning_token" => Price(&mut self.output_cost_per_reasoning_token),
            "supports_function_calling" => Flag(&mut self.supports_function_calling),
            "supports_parallel_function_calling" => {
                Flag(&mut self.supports_parallel_function_calling)
            }
            "supports_tool_choice" => Flag(&mut self.supports_tool_choice),
            "supports_vision" => Flag(&mut self.supports_vision),
            "supports_response_schema" => Flag(&mut self.supports_response_schema),
            "supports_reasoning" => Flag(&mut self.supports_reasoning),
            "supports_prompt_caching" => Flag(&mut self.supports_prompt_caching),
            "supports_system_messages" => Flag(&mut self.supports_system_messages),
            "supports_pdf_input" => Flag(&mut self.supports_pdf_input),
            "supports_audio_input" => Flag(&mut self.supports_audio_input),
            "supports_audio_output" => Flag(&mut self.supports_audio_output),
            "supports_web_search" => Flag(&mut self.supports_web_search),
            _ => return None,
        })
    }

    /// This entry with a deployment's `model_info:` block applied on top, the way LiteLLM
    /// merges a `model_list` entry's `model_info` over the map entry: a shallow update where
    /// each given field replaces the stored one, `null` removes it, and unknown fields are
    /// added to [`extra`](Self::extra). Typed fields accept JSON of their type; numbers may
    /// also be given as strings (YAML reads `3e-7` as a string). A value that does not fit
    /// its field is ignored. `key` is never overridden.
    ///
    /// ```
    /// let base = llmux_registry::builtin().get("gpt-4o-mini").unwrap();
    /// let overrides = serde_json::json!({"input_cost_per_token": "1e-6", "max_tokens": 1000});
    /// let info = base.with_overrides(overrides.as_object().unwrap());
    /// assert_eq!(info.input_cost_per_token, Some(1e-6));
    /// assert_eq!(info.max_tokens, Some(1000));
    /// assert_eq!(info.output_cost_per_token, base.output_cost_per_token);
    /// ```
    #[must_use]
    pub fn with_overrides(&self, overrides: &Map<String, Value>) -> ModelInfo {
        let mut info = self.clone();
        for (name, value) in overrides {
            if name == "key" {
                continue;
            }
            match info.field(name) {
                Some(field) => field.set_json(value),
                None if value.is_null() => {
                    info.extra.remove(name);
                }
                None => {
                    info.extra.insert(name.clone(), value.clone());
                }
            }
        }
        info
    }
}

impl Field<'_> {
    /// Sets the field from a cell of the embedded table (see `build.rs`); `false` if malformed.
    pub(crate) fn set_cell(self, cell: &str) -> bool {
        match self {
            Field::Text(slot) => fill(slot, Some(cell.to_owned())),
            Field::Count(slot) => fill(slot, cell.parse().ok()),
            Field::Price(slot) => fill(slot, cell.parse().ok()),
            Field::Flag(slot) => fill(
                slot,
                match cell {
                    "1" => Some(true),
                    "0" => Some(false),
                    _ => None,
                },
            ),
        }
    }

    /// Sets the field from a JSON override: `null` clears it, a value that does not fit
    /// leaves it unchanged.
    fn set_json(self, value: &Value) {
        let number = match value {
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => value.as_f64(),
        }
        .filter(|n| n.is_finite());
        let count = value.as_u64().or_else(|| {
            number
                .filter(|n| n.fract() == 0.0 && (0.0..=9.0e15).contains(n))
                .map(|n| n as u64)
        });
        match (self, value.is_null()) {
            (Field::Text(slot), true) => *slot = None,
            (Field::Count(slot), true) => *slot = None,
            (Field::Price(slot), true) => *slot = None,
            (Field::Flag(slot), true) => *slot = None,
            (Field::Text(slot), false) => _ = fill(slot, value.as_str().map(str::to_owned)),
            (Field::Count(slot), false) => _ = fill(slot, count),
            (Field::Price(slot), false) => _ = fill(slot, number),
            (Field::Flag(slot), false) => _ = fill(slot, value.as_bool()),
        }
    }
}

/// Stores `value` in `slot` if there is one; returns whether there was.
fn fill<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    let filled = value.is_some();
    if filled {
        *slot = value;
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn overrides(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn overrides_replace_typed_fields_and_extend_extra() {
        let base = ModelInfo {
            key: "m".into(),
            mode: Some("chat".into()),
            input_cost_per_token: Some(1e-6),
            supports_vision: Some(true),
            ..ModelInfo::default()
        };
        let info = base.with_overrides(&overrides(json!({
            "mode": "completion",
            "input_cost_per_token": 2e-6,
            "output_cost_per_token": "3e-7",
            "max_tokens": 8192.0,
            "supports_function_calling": true,
            "supports_vision": null,
            "base_model": "azure/gpt-4o",
            "key": "ignored",
        })));
        assert_eq!(info.key, "m");
        assert_eq!(info.mode.as_deref(), Some("completion"));
        assert_eq!(info.input_cost_per_token, Some(2e-6));
        assert_eq!(info.output_cost_per_token, Some(3e-7));
        assert_eq!(info.max_tokens, Some(8192));
        assert_eq!(info.supports_function_calling, Some(true));
        assert_eq!(info.supports_vision, None);
        assert_eq!(info.extra.get("base_model"), Some(&json!("azure/gpt-4o")));
    }

    #[test]
    fn overrides_that_do_not_fit_are_ignored() {
        let base = ModelInfo {
            max_tokens: Some(10),
            supports_vision: Some(true),
            ..ModelInfo::default()
        };
        let info = base.with_overrides(&overrides(json!({
            "max_tokens": "lots",
            "max_input_tokens": -5,
            "input_cost_per_token": "NaN",
            "supports_vision": "yes",
        })));
        assert_eq!(info, base);
    }

    #[test]
    fn null_override_removes_an_extra_field() {
        let mut base = ModelInfo::default();
        base.extra
            .insert("deprecation_date".into(), json!("2026-01-01"));
        let info = base.with_overrides(&overrides(json!({"deprecation_date": null})));
        assert!(info.extra.is_empty());
    }

    #[test]
    fn serde_round_trip_keeps_litellm_shape() {
        let mut info = ModelInfo {
            key: "gpt-x".into(),
            input_cost_per_token: Some(1.5e-7),
            ..ModelInfo::default()
        };
        info.extra.insert("output_vector_size".into(), json!(1536));
        let value = serde_json::to_value(&info).unwrap();
        assert_eq!(value["input_cost_per_token"], json!(1.5e-7));
        assert_eq!(value["output_vector_size"], json!(1536));
        assert_eq!(value["mode"], Value::Null);
        let back: ModelInfo = serde_json::from_value(value).unwrap();
        assert_eq!(back, info);
    }
}
