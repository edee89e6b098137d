//! The catalog of OpenAI-compatible providers: each is a row of data, not code.
//!
//! A row says where the provider lives, which environment variable holds its key, which
//! parameters it accepts and which of LiteLLM's wire quirks it has. Everything else is
//! the OpenAI adapter. Rows are sorted by id (a test checks it).

use crate::params::ParamSpec;

/// One OpenAI-compatible provider.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompatProvider {
    /// LiteLLM's provider id, the `id/` prefix of model strings.
    pub id: &'static str,
    /// Default base URL; `/chat/completions` is appended.
    pub api_base: &'static str,
    /// Environment variables that may hold the API key, first found wins.
    pub key_env: &'static [&'static str],
    /// Environment variable that may override the base URL.
    pub base_env: Option<&'static str>,
    /// Whether a call without any key is an error before sending.
    pub key_required: bool,
    pub params: ParamSpec,
    pub quirks: Quirks,
    /// Base-URL fragments that identify the provider when no prefix is given.
    pub hosts: &'static [&'static str],
}

/// Ways a provider's wire traffic differs from plain OpenAI, as LiteLLM sends and
/// shapes it (each pinned by an oracle case).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quirks {
    /// Sends `"stream": false` when the client did not ask for a stream.
    pub explicit_stream_false: bool,
    /// OpenRouter: `usage: {include: true}` in the body and the app-attribution headers.
    pub openrouter: bool,
    /// The answer's choices are rebuilt without `provider_specific_fields`, and `null`
    /// `logprobs` are dropped (LiteLLM's Groq path).
    pub bare_choices: bool,
}

impl Quirks {
    pub const NONE: Quirks = Quirks {
        explicit_stream_false: false,
        openrouter: false,
        bare_choices: false,
    };
    /// LiteLLM's `OpenAILikeChatConfig` providers.
    pub const OPENAI_LIKE: Quirks = Quirks {
        explicit_stream_false: true,
        openrouter: false,
        bare_choices: false,
    };
}

/// The parameters of LiteLLM's `OpenAIGPTConfig`, which most compatible providers inherit.
pub const OPENAI_LIKE_PARAMS: &[&str] = &[
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
    "service_tier",
    "safety_identifier",
    "prompt_cache_key",
    "prompt_cache_retention",
    "store",
    "response_format",
    "user",
];

const OPENAI_LIKE: ParamSpec = ParamSpec {
    all: false,
    base: OPENAI_LIKE_PARAMS,
    function_calling: &[],
    reasoning: &["reasoning_effort"],
};

/// `MistralConfig.get_supported_openai_params`.
const MISTRAL: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "stream",
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "tools",
        "tool_choice",
        "seed",
        "stop",
        "response_format",
        "parallel_tool_calls",
    ],
    function_calling: &[],
    reasoning: &["reasoning_effort"],
};

/// `FireworksAIConfig.get_supported_openai_params`: tools only for function-calling models.
const FIREWORKS: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "stream",
        "max_completion_tokens",
        "max_tokens",
        "temperature",
        "top_p",
        "frequency_penalty",
        "presence_penalty",
        "n",
        "stop",
        "response_format",
        "user",
        "logprobs",
        "seed",
        "top_logprobs",
        "logit_bias",
        "prompt_cache_key",
        "service_tier",
        "prediction",
        "stream_options",
    ],
    function_calling: &["tools", "tool_choice", "parallel_tool_calls"],
    reasoning: &["reasoning_effort"],
};

macro_rules! row {
    ($id:literal, $base:literal, [$($env:literal),*], $base_env:expr, $key_required:expr, $params:expr, $quirks:expr, [$($host:literal),*]) => {
        CompatProvider {
            id: $id,
            api_base: $base,
            key_env: &[$($env),*],
            base_env: $base_env,
            key_required: $key_required,
            params: $params,
            quirks: $quirks,
            hosts: &[$($host),*],
        }
    };
}

const BARE: Quirks = Quirks {
    explicit_stream_false: true,
    openrouter: false,
    bare_choices: true,
};
const OPENROUTER: Quirks = Quirks {
    explicit_stream_false: true,
    openrouter: true,
    bare_choices: false,
};

/// Every OpenAI-compatible provider llmux knows, sorted by id.
pub static CATALOG: &[CompatProvider] = &[
    row!(
        "aiml",
        "https://api.aimlapi.com/v1",
        ["AIML_API_KEY"],
        Some("AIML_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.aimlapi.com"]
    ),
    row!(
        "anyscale",
        "https://api.endpoints.anyscale.com/v1",
        ["ANYSCALE_API_KEY"],
        None,
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.endpoints.anyscale.com"]
    ),
    row!(
        "baseten",
        "https://inference.baseten.co/v1",
        ["BASETEN_API_KEY"],
        None,
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["inference.baseten.co"]
    ),
    row!(
        "cerebras",
        "https://api.cerebras.ai/v1",
        ["CEREBRAS_API_KEY"],
        Some("CEREBRAS_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.cerebras.ai"]
    ),
    row!(
        "codestral",
        "https://codestral.mistral.ai/v1",
        ["CODESTRAL_API_KEY"],
        Some("CODESTRAL_API_BASE"),
        true,
        MISTRAL,
        Quirks::NONE,
        ["codestral.mistral.ai"]
    ),
    row!(
        "custom_openai",
        "https://api.openai.com/v1",
        ["OPENAI_API_KEY"],
        Some("OPENAI_BASE_URL"),
        false,
        ParamSpec::ALL,
        Quirks::NONE,
        []
    ),
    row!(
        "dashscope",
        "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
        ["DASHSCOPE_API_KEY"],
        Some("DASHSCOPE_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["dashscope-intl.aliyuncs.com", "dashscope.aliyuncs.com"]
    ),
    row!(
        "deepinfra",
        "https://api.deepinfra.com/v1/openai",
        ["DEEPINFRA_API_KEY"],
        Some("DEEPINFRA_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.deepinfra.com"]
    ),
    row!(
        "deepseek",
        "https://api.deepseek.com",
        ["DEEPSEEK_API_KEY"],
        Some("DEEPSEEK_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.deepseek.com"]
    ),
    row!(
        "featherless_ai",
        "https://api.featherless.ai/v1",
        ["FEATHERLESS_AI_API_KEY", "FEATHERLESS_API_KEY"],
        Some("FEATHERLESS_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.featherless.ai"]
    ),
    row!(
        "fireworks_ai",
        "https://api.fireworks.ai/inference/v1",
        [
            "FIREWORKS_API_KEY",
            "FIREWORKS_AI_API_KEY",
            "FIREWORKSAI_API_KEY",
            "FIREWORKS_AI_TOKEN"
        ],
        Some("FIREWORKS_API_BASE"),
        true,
        FIREWORKS,
        Quirks::OPENAI_LIKE,
        ["api.fireworks.ai"]
    ),
    row!(
        "friendliai",
        "https://api.friendli.ai/serverless/v1",
        ["FRIENDLIAI_API_KEY", "FRIENDLI_TOKEN"],
        Some("FRIENDLI_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.friendli.ai"]
    ),
    row!(
        "galadriel",
        "https://api.galadriel.com/v1",
        ["GALADRIEL_API_KEY"],
        Some("GALADRIEL_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.galadriel.com"]
    ),
    row!(
        "github",
        "https://models.inference.ai.azure.com",
        ["GITHUB_API_KEY"],
        None,
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["models.inference.ai.azure.com"]
    ),
    row!(
        "groq",
        "https://api.groq.com/openai/v1",
        ["GROQ_API_KEY"],
        Some("GROQ_API_BASE"),
        true,
        OPENAI_LIKE,
        BARE,
        ["api.groq.com"]
    ),
    row!(
        "hosted_vllm",
        "http://localhost:8000/v1",
        ["HOSTED_VLLM_API_KEY"],
        Some("HOSTED_VLLM_API_BASE"),
        false,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        []
    ),
    row!(
        "hyperbolic",
        "https://api.hyperbolic.xyz/v1",
        ["HYPERBOLIC_API_KEY"],
        Some("HYPERBOLIC_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.hyperbolic.xyz"]
    ),
    row!(
        "lambda_ai",
        "https://api.lambda.ai/v1",
        ["LAMBDA_API_KEY"],
        Some("LAMBDA_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.lambda.ai"]
    ),
    row!(
        "litellm_proxy",
        "http://0.0.0.0:4000",
        ["LITELLM_PROXY_API_KEY"],
        Some("LITELLM_PROXY_API_BASE"),
        false,
        ParamSpec::ALL,
        Quirks::NONE,
        []
    ),
    row!(
        "llamafile",
        "http://127.0.0.1:8080/v1",
        ["LLAMAFILE_API_KEY"],
        Some("LLAMAFILE_API_BASE"),
        false,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        []
    ),
    row!(
        "lm_studio",
        "http://localhost:1234/v1",
        ["LM_STUDIO_API_KEY"],
        Some("LM_STUDIO_API_BASE"),
        false,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        []
    ),
    row!(
        "meta_llama",
        "https://api.llama.com/compat/v1",
        ["LLAMA_API_KEY"],
        Some("LLAMA_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.llama.com"]
    ),
    row!(
        "mistral",
        "https://api.mistral.ai/v1",
        ["MISTRAL_API_KEY"],
        Some("MISTRAL_API_BASE"),
        true,
        MISTRAL,
        Quirks::NONE,
        ["api.mistral.ai"]
    ),
    row!(
        "moonshot",
        "https://api.moonshot.ai/v1",
        ["MOONSHOT_API_KEY"],
        Some("MOONSHOT_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.moonshot.ai"]
    ),
    row!(
        "nebius",
        "https://api.studio.nebius.ai/v1",
        ["NEBIUS_API_KEY"],
        Some("NEBIUS_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.studio.nebius.ai"]
    ),
    row!(
        "novita",
        "https://api.novita.ai/v3/openai",
        ["NOVITA_API_KEY"],
        None,
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.novita.ai"]
    ),
    row!(
        "nscale",
        "https://inference.api.nscale.com/v1",
        ["NSCALE_API_KEY"],
        Some("NSCALE_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["inference.api.nscale.com"]
    ),
    row!(
        "nvidia_nim",
        "https://integrate.api.nvidia.com/v1",
        ["NVIDIA_NIM_API_KEY"],
        Some("NVIDIA_NIM_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["integrate.api.nvidia.com"]
    ),
    row!(
        "openai_like",
        "http://localhost:8000/v1",
        ["OPENAI_LIKE_API_KEY"],
        None,
        false,
        ParamSpec::ALL,
        Quirks::OPENAI_LIKE,
        []
    ),
    row!(
        "openrouter",
        "https://openrouter.ai/api/v1",
        ["OPENROUTER_API_KEY", "OR_API_KEY"],
        Some("OPENROUTER_API_BASE"),
        true,
        OPENAI_LIKE,
        OPENROUTER,
        ["openrouter.ai"]
    ),
    row!(
        "perplexity",
        "https://api.perplexity.ai",
        ["PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"],
        None,
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.perplexity.ai"]
    ),
    row!(
        "sambanova",
        "https://api.sambanova.ai/v1",
        ["SAMBANOVA_API_KEY"],
        Some("SAMBANOVA_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.sambanova.ai"]
    ),
    row!(
        "together_ai",
        "https://api.together.xyz/v1",
        [
            "TOGETHERAI_API_KEY",
            "TOGETHER_API_KEY",
            "TOGETHER_AI_API_KEY",
            "TOGETHER_AI_TOKEN"
        ],
        Some("TOGETHER_AI_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.together.xyz", "api.together.ai"]
    ),
    row!(
        "v0",
        "https://api.v0.dev/v1",
        ["V0_API_KEY"],
        Some("V0_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.v0.dev"]
    ),
    row!(
        "vercel_ai_gateway",
        "https://ai-gateway.vercel.sh/v1",
        ["VERCEL_AI_GATEWAY_API_KEY", "VERCEL_OIDC_TOKEN"],
        Some("VERCEL_AI_GATEWAY_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["ai-gateway.vercel.sh"]
    ),
    row!(
        "xai",
        "https://api.x.ai/v1",
        ["XAI_API_KEY"],
        Some("XAI_API_BASE"),
        true,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        ["api.x.ai"]
    ),
    row!(
        "xinference",
        "http://127.0.0.1:9997/v1",
        ["XINFERENCE_API_KEY"],
        Some("XINFERENCE_API_BASE"),
        false,
        OPENAI_LIKE,
        Quirks::OPENAI_LIKE,
        []
    ),
];

/// The catalog row of `id`.
pub fn find(id: &str) -> Option<&'static CompatProvider> {
    CATALOG
        .binary_search_by(|row| row.id.cmp(id))
        .ok()
        .map(|i| &CATALOG[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_sorted_and_unique() {
        for pair in CATALOG.windows(2) {
            assert!(
                pair[0].id < pair[1].id,
                "{} must sort before {}",
                pair[0].id,
                pair[1].id
            );
        }
    }

    #[test]
    fn find_uses_the_id() {
        assert_eq!(
            find("groq").map(|r| r.api_base),
            Some("https://api.groq.com/openai/v1")
        );
        assert!(find("nope").is_none());
    }
}
