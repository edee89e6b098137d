//! Which OpenAI parameters LiteLLM lets through to OpenAI and Azure OpenAI, by model.
//!
//! LiteLLM picks a config class per model (`ProviderConfigManager.get_provider_chat_config`):
//! the o-series and gpt-5 configs take reasoning parameters, the plain GPT config does not.
//! llmux keeps every parameter for reasoning models and for OpenAI models the registry does
//! not know (LiteLLM's `OpenAIUnknownModelConfig` forwards them too: such a name is usually
//! another proxy's alias), and applies the plain lists below to the rest.

use crate::params::{Capabilities, ParamSpec};

/// `OpenAIGPTConfig.get_supported_openai_params` for a catalog model (which adds `user`).
const GPT: &[&str] = &[
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "max_tokens",
    "max_completion_tokens",
    "modalities",
    "prediction",
    "n",
    "presence_penalty",
    "seed",
    "stop",
    "stream",
    "stream_options",
    "temperature",
    "top_p",
    "tools",
    "tool_choice",
    "function_call",
    "functions",
    "parallel_tool_calls",
    "audio",
    "web_search_options",
    "service_tier",
    "safety_identifier",
    "prompt_cache_key",
    "prompt_cache_retention",
    "store",
    "user",
    "response_format",
];

/// The plain GPT config for OpenAI's catalog models.
const GPT_PARAMS: ParamSpec = ParamSpec {
    all: false,
    base: GPT,
    function_calling: &[],
    reasoning: &[],
};

/// `gpt-4` and `gpt-3.5-turbo-16k` take no `response_format` (the same list, less its last).
const GPT_NO_RESPONSE_FORMAT: ParamSpec = ParamSpec {
    base: GPT.split_at(GPT.len() - 1).0,
    ..GPT_PARAMS
};

/// `AzureOpenAIConfig.get_supported_openai_params`.
const AZURE_PARAMS: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "temperature",
        "n",
        "stream",
        "stream_options",
        "stop",
        "max_tokens",
        "max_completion_tokens",
        "tools",
        "tool_choice",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "user",
        "function_call",
        "functions",
        "top_p",
        "logprobs",
        "top_logprobs",
        "response_format",
        "seed",
        "parallel_tool_calls",
        "prediction",
        "modalities",
        "audio",
        "web_search_options",
        "prompt_cache_key",
        "store",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// OpenAI's parameters for `model` (the provider-side name); `caps.catalog` says whether
/// the registry lists it under `openai`.
pub(crate) fn openai_chat_params(model: &str, caps: Capabilities) -> ParamSpec {
    let name = model.rsplit('/').next().unwrap_or(model);
    if !caps.catalog || is_o_series(name) || is_gpt_reasoning_series(model) {
        ParamSpec::ALL
    } else if matches!(name, "gpt-4" | "gpt-3.5-turbo-16k") {
        GPT_NO_RESPONSE_FORMAT
    } else {
        GPT_PARAMS
    }
}

/// Azure's parameters for a deployment; `model` is the deployment name, or the
/// deployment's `base_model` when it declares one (`_get_azure_config` detects the model
/// type on it, so oddly named deployments still reach the reasoning configs).
pub(crate) fn azure_chat_params(model: &str) -> ParamSpec {
    // AzureOpenAIO1Config.is_o_series_model / AzureOpenAIGPT5Config.is_model_gpt_5_model
    let o_series = ["o1", "o3", "o4", "o_series/"]
        .iter()
        .any(|m| model.contains(m));
    if o_series || is_gpt_reasoning_series(model) || model.contains("gpt5_series") {
        ParamSpec::ALL
    } else {
        AZURE_PARAMS
    }
}

/// OpenAI's o-series (`o1`, `o3-mini`, `o4-mini`, …), by LiteLLM's test: `o` and a digit.
pub(crate) fn is_o_series(name: &str) -> bool {
    let name = name.as_bytes();
    name.len() > 1 && name[0] == b'o' && name[1].is_ascii_digit()
}

/// `is_gpt_reasoning_series_name`: gpt-5 or gpt-6 anywhere in the name, except the
/// non-reasoning `gpt-5-chat` models.
fn is_gpt_reasoning_series(model: &str) -> bool {
    let name = model.rsplit('/').next().unwrap_or(model);
    (model.contains("gpt-5") || model.contains("gpt-6")) && !name.contains("gpt-5-chat")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Capabilities {
        Capabilities {
            catalog: true,
            ..Capabilities::default()
        }
    }

    #[test]
    fn catalog_gpt_models_take_no_reasoning_parameters() {
        let c = catalog();
        for p in [
            "reasoning_effort",
            "verbosity",
            "thinking",
            "context_management",
        ] {
            assert!(!openai_chat_params("gpt-4o-mini", c).supports(p, c), "{p}");
            assert!(
                !openai_chat_params("gpt-5-chat-latest", c).supports(p, c),
                "{p}"
            );
        }
        for p in [
            "service_tier",
            "user",
            "response_format",
            "prompt_cache_retention",
        ] {
            assert!(openai_chat_params("gpt-4o-mini", c).supports(p, c), "{p}");
        }
        assert!(!openai_chat_params("gpt-4", c).supports("response_format", c));
        assert!(openai_chat_params("gpt-4", c).supports("seed", c));
    }

    #[test]
    fn reasoning_and_unknown_openai_models_take_every_parameter() {
        let c = catalog();
        for m in [
            "o3-mini",
            "openai/o1",
            "gpt-5",
            "gpt-5-mini",
            "gpt-6-preview",
        ] {
            assert!(
                openai_chat_params(m, c).supports("reasoning_effort", c),
                "{m}"
            );
        }
        let unknown = Capabilities::default();
        assert!(openai_chat_params("my-alias", unknown).supports("reasoning_effort", unknown));
        assert!(openai_chat_params("gpt-4o-mini", unknown).supports("thinking", unknown));
    }

    #[test]
    fn azure_deployments_are_judged_by_name_or_base_model() {
        let c = Capabilities::default();
        let plain = azure_chat_params("gpt4o-deployment");
        for p in [
            "reasoning_effort",
            "service_tier",
            "safety_identifier",
            "verbosity",
        ] {
            assert!(!plain.supports(p, c), "{p}");
        }
        assert!(plain.supports("prompt_cache_key", c) && plain.supports("user", c));
        for m in [
            "my-o3-deployment",
            "o_series/anything",
            "gpt-5-prod",
            "x-gpt5_series",
        ] {
            assert!(azure_chat_params(m).supports("reasoning_effort", c), "{m}");
        }
    }
}
