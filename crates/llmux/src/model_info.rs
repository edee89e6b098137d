//! LiteLLM's `get_model_info` and `supports_*` helpers over the embedded registry: the
//! model string is resolved as a call would resolve it (`anthropic/claude-…`,
//! `gpt-4o`, …), then looked up in LiteLLM's order.

use llmux_providers::resolve_provider;
use llmux_registry::ModelInfo;
use llmux_types::Error;

/// The registry entry of `model` (LiteLLM's `get_model_info`); an error for a model the
/// map does not have, as LiteLLM raises.
pub fn model_info(model: &str) -> Result<ModelInfo, Error> {
    let registry = llmux_registry::builtin();
    let resolved = resolve_provider(model, None, None, |m| {
        registry.get(m).and_then(|i| i.litellm_provider.clone())
    })?;
    let provider = resolved.provider.id();
    registry
        .lookup(&resolved.model, Some(provider))
        .cloned()
        .ok_or_else(|| {
            Error::bad_request(format!(
                "This model isn't mapped yet. model={model}, custom_llm_provider={provider}. \
                 Add it to model_info in the config."
            ))
        })
}

fn flag(model: &str, f: impl Fn(&ModelInfo) -> Option<bool>) -> bool {
    model_info(model).ok().as_ref().and_then(f).unwrap_or(false)
}

/// LiteLLM's `supports_function_calling`: `false` for unmapped models.
pub fn supports_function_calling(model: &str) -> bool {
    flag(model, |i| i.supports_function_calling)
}

pub fn supports_parallel_function_calling(model: &str) -> bool {
    flag(model, |i| i.supports_parallel_function_calling)
}

pub fn supports_tool_choice(model: &str) -> bool {
    flag(model, |i| i.supports_tool_choice)
}

pub fn supports_vision(model: &str) -> bool {
    flag(model, |i| i.supports_vision)
}

pub fn supports_response_schema(model: &str) -> bool {
    flag(model, |i| i.supports_response_schema)
}

pub fn supports_reasoning(model: &str) -> bool {
    flag(model, |i| i.supports_reasoning)
}

pub fn supports_prompt_caching(model: &str) -> bool {
    flag(model, |i| i.supports_prompt_caching)
}

pub fn supports_system_messages(model: &str) -> bool {
    flag(model, |i| i.supports_system_messages)
}

pub fn supports_pdf_input(model: &str) -> bool {
    flag(model, |i| i.supports_pdf_input)
}

pub fn supports_audio_input(model: &str) -> bool {
    flag(model, |i| i.supports_audio_input)
}

pub fn supports_audio_output(model: &str) -> bool {
    flag(model, |i| i.supports_audio_output)
}

pub fn supports_web_search(model: &str) -> bool {
    flag(model, |i| i.supports_web_search)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_a_call_and_reads_the_registry() {
        let info = model_info("gpt-4o-mini").unwrap();
        assert_eq!(info.litellm_provider.as_deref(), Some("openai"));
        assert_eq!(info.input_cost_per_token, Some(1.5e-7));
        let claude = model_info("anthropic/claude-sonnet-4-5").unwrap();
        assert_eq!(claude.max_input_tokens, Some(200_000));
        assert!(supports_function_calling("gpt-4o-mini"));
        assert!(supports_vision("anthropic/claude-sonnet-4-5"));
        assert!(supports_reasoning("o3-mini"));
        assert!(!supports_function_calling("openai/my-private-finetune"));
        assert!(model_info("openai/my-private-finetune").is_err());
    }
}
