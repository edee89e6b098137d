//! The chat parameters each OpenAI-compatible provider accepts, as LiteLLM 1.108.7's
//! `get_supported_openai_params` answers for it (only the names in
//! [`crate::params::CHECKED_PARAMS`] matter: LiteLLM forwards any other key).
//!
//! `function_calling` / `reasoning` hold what LiteLLM adds only when the model map says
//! the model calls functions / reasons. LiteLLM never rejects `user`, `stream`,
//! `stream_options` or `n=1` (it drops them silently); `params::apply_param_policy` does
//! the same, so their presence here only decides whether they are forwarded.
//!
//! Rules LiteLLM keys on the model *name* cannot be written as data; each spec's doc
//! names the ones its provider has.

use crate::params::ParamSpec;

/// `OpenAIGPTConfig.get_supported_openai_params` (llms/openai/chat/gpt_transformation.py),
/// which most compatible providers inherit. LiteLLM adds `user` only for OpenAI's own
/// catalog models, so these providers never get it (it is dropped silently, as every
/// provider that does not take `user`).
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
    "web_search_options",
    "service_tier",
    "safety_identifier",
    "prompt_cache_key",
    "prompt_cache_retention",
    "store",
    "response_format",
];

/// [`OPENAI_LIKE_PARAMS`] plus `reasoning_effort`.
const OPENAI_LIKE_AND_REASONING_EFFORT: &[&str] = &[
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
    "response_format",
    "reasoning_effort",
];

/// [`OPENAI_LIKE_PARAMS`] less the tool parameters.
const OPENAI_LIKE_WITHOUT_TOOLS: &[&str] = &[
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
    "audio",
    "web_search_options",
    "service_tier",
    "safety_identifier",
    "prompt_cache_key",
    "prompt_cache_retention",
    "store",
    "response_format",
];

const TOOL_PARAMS: &[&str] = &[
    "tools",
    "tool_choice",
    "function_call",
    "functions",
    "parallel_tool_calls",
];

/// Plain `OpenAIGPTConfig` (and `OpenAILikeChatConfig`, which keeps its list).
pub const OPENAI_GPT: ParamSpec = ParamSpec {
    all: false,
    base: OPENAI_LIKE_PARAMS,
    function_calling: &[],
    reasoning: &[],
};

/// `OpenAIGPTConfig` plus `reasoning_effort` for every model: `DashScopeChatConfig`
/// (dashscope, qwencloud, qwen_ai_platform), and OpenAI's own list for a model it does not
/// know, which LiteLLM's `get_optional_params` falls back to when a provider has no chat
/// config (aiml, lemonade, xinference, and JSON providers outside `LlmProviders`).
pub const OPENAI_UNKNOWN_MODEL: ParamSpec = ParamSpec {
    all: false,
    base: OPENAI_LIKE_AND_REASONING_EFFORT,
    function_calling: &[],
    reasoning: &[],
};

/// `OpenAIGPTConfig` plus `reasoning_effort` for reasoning models (together_ai: its own
/// `_supports_together_reasoning`; edenai).
pub const OPENAI_GPT_REASONING_GATED: ParamSpec = ParamSpec {
    all: false,
    base: OPENAI_LIKE_PARAMS,
    function_calling: &[],
    reasoning: &["reasoning_effort"],
};

/// `WandbConfig`: `reasoning_effort` for reasoning models. (LiteLLM's model map answers
/// `supports_reasoning` true for wandb models it does not list.)
pub const WANDB: ParamSpec = OPENAI_GPT_REASONING_GATED;

/// The JSON-configured providers (llms/openai_like/dynamic_config.py): `OpenAIGPTConfig`
/// with the tool parameters only for function-calling models and `reasoning_effort` only
/// for reasoning ones.
pub const JSON_PROVIDER: ParamSpec = ParamSpec {
    all: false,
    base: OPENAI_LIKE_WITHOUT_TOOLS,
    function_calling: TOOL_PARAMS,
    reasoning: &["reasoning_effort"],
};

/// `DeepSeekChatConfig`, `HostedVLLMChatConfig` and `OpenrouterConfig`: `OpenAIGPTConfig`
/// plus `thinking` and `reasoning_effort` for every model.
pub const DEEPSEEK: ParamSpec = ParamSpec {
    all: false,
    base: &[
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
        "response_format",
        "user",
        "thinking",
        "reasoning_effort",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// `LiteLLMProxyChatConfig`: `OpenAIGPTConfig` plus `thinking`, `reasoning_effort`,
/// `verbosity`.
pub const LITELLM_PROXY: ParamSpec = ParamSpec {
    all: false,
    base: &[
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
        "response_format",
        "user",
        "thinking",
        "reasoning_effort",
        "verbosity",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// [`OPENAI_LIKE_PARAMS`] less `user` (LiteLLM adds it for OpenAI's own catalog models
/// only) and `web_search_options`.
const OPENAI_LIKE_WITHOUT_USER_AND_WEB_SEARCH: &[&str] = &[
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
];

/// `GroqChatConfig` (`OpenAIGPTConfig`): `reasoning_effort` for reasoning models, no
/// `user` (Groq models are not in OpenAI's catalog, so LiteLLM drops it), no
/// `web_search_options` unless the model searches ([`GROQ_WEB_SEARCH`]).
pub const GROQ: ParamSpec = ParamSpec {
    all: false,
    base: OPENAI_LIKE_WITHOUT_USER_AND_WEB_SEARCH,
    function_calling: &[],
    reasoning: &["reasoning_effort"],
};

/// [`GROQ`] for a web-search model or one of Groq's compound models.
pub const GROQ_WEB_SEARCH: ParamSpec = ParamSpec {
    all: false,
    base: &[
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
        "web_search_options",
    ],
    function_calling: &[],
    reasoning: &["reasoning_effort"],
};

/// `MinimaxChatConfig`: `thinking` for reasoning models.
pub const MINIMAX: ParamSpec = ParamSpec {
    all: false,
    base: OPENAI_LIKE_PARAMS,
    function_calling: &[],
    reasoning: &["thinking"],
};

/// `TencentChatConfig`: `reasoning_effort` and `thinking` for reasoning models.
pub const TENCENT: ParamSpec = ParamSpec {
    all: false,
    base: OPENAI_LIKE_PARAMS,
    function_calling: &[],
    reasoning: &["reasoning_effort", "thinking"],
};

/// `MoonshotChatConfig`: no `functions`; `reasoning_effort` for reasoning models. By
/// name, `kimi-thinking-preview` also loses `tools` and `tool_choice`
/// ([`MOONSHOT_KIMI_THINKING`]).
pub const MOONSHOT: ParamSpec = ParamSpec {
    all: false,
    base: &[
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
        "parallel_tool_calls",
        "audio",
        "web_search_options",
        "service_tier",
        "safety_identifier",
        "prompt_cache_key",
        "prompt_cache_retention",
        "store",
        "response_format",
    ],
    function_calling: &[],
    reasoning: &["reasoning_effort"],
};

/// [`MOONSHOT`] for `kimi-thinking-preview` models: no `tools`, no `tool_choice`.
pub const MOONSHOT_KIMI_THINKING: ParamSpec = ParamSpec {
    all: false,
    base: &[
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
        "function_call",
        "parallel_tool_calls",
        "audio",
        "web_search_options",
        "service_tier",
        "safety_identifier",
        "prompt_cache_key",
        "prompt_cache_retention",
        "store",
        "response_format",
    ],
    function_calling: &[],
    reasoning: &["reasoning_effort"],
};

const MISTRAL_BASE: &[&str] = &[
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
];

/// `MistralConfig` (mistral and codestral); `magistral` models are [`MISTRAL_MAGISTRAL`].
pub const MISTRAL: ParamSpec = ParamSpec {
    all: false,
    base: MISTRAL_BASE,
    function_calling: &[],
    reasoning: &["reasoning_effort"],
};

/// `MistralConfig` for a model whose name contains `magistral`: `thinking` and
/// `reasoning_effort` whatever the model map says.
pub const MISTRAL_MAGISTRAL: ParamSpec = ParamSpec {
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
        "thinking",
        "reasoning_effort",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// `FireworksAIConfig`: tools for function-calling models (the model map answers true for
/// Fireworks models it does not list), `tool_choice` for `supports_tool_choice` models
/// (approximated by function calling), reasoning parameters for reasoning models.
pub const FIREWORKS: ParamSpec = ParamSpec {
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
    reasoning: &["reasoning_effort", "thinking"],
};

/// `XAIChatConfig`. By name, `grok-3-mini` models lose `stop` ([`XAI_NO_STOP`]), and
/// `grok-4` and `grok-code-fast` models lose `stop` and `frequency_penalty`
/// ([`XAI_NO_STOP_NO_FREQUENCY_PENALTY`]).
pub const XAI: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "logit_bias",
        "logprobs",
        "max_tokens",
        "max_completion_tokens",
        "n",
        "presence_penalty",
        "response_format",
        "seed",
        "stream",
        "stream_options",
        "temperature",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "user",
        "web_search_options",
        "parallel_tool_calls",
        "stop",
        "frequency_penalty",
    ],
    function_calling: &[],
    reasoning: &["reasoning_effort"],
};

const XAI_WITHOUT_STOP: &[&str] = &[
    "logit_bias",
    "logprobs",
    "max_tokens",
    "max_completion_tokens",
    "n",
    "presence_penalty",
    "response_format",
    "seed",
    "stream",
    "stream_options",
    "temperature",
    "tool_choice",
    "tools",
    "top_logprobs",
    "top_p",
    "user",
    "web_search_options",
    "parallel_tool_calls",
];

/// [`XAI`] for `grok-3-mini` models.
pub const XAI_NO_STOP: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "logit_bias",
        "logprobs",
        "max_tokens",
        "max_completion_tokens",
        "n",
        "presence_penalty",
        "response_format",
        "seed",
        "stream",
        "stream_options",
        "temperature",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "user",
        "web_search_options",
        "parallel_tool_calls",
        "frequency_penalty",
    ],
    function_calling: &[],
    reasoning: &["reasoning_effort"],
};

/// [`XAI`] for `grok-4` and `grok-code-fast` models.
pub const XAI_NO_STOP_NO_FREQUENCY_PENALTY: ParamSpec = ParamSpec {
    all: false,
    base: XAI_WITHOUT_STOP,
    function_calling: &[],
    reasoning: &["reasoning_effort"],
};

/// `PerplexityChatConfig`; web-search models are [`PERPLEXITY_WEB_SEARCH`].
pub const PERPLEXITY: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "frequency_penalty",
        "max_tokens",
        "max_completion_tokens",
        "presence_penalty",
        "response_format",
        "stream",
        "temperature",
        "top_p",
    ],
    function_calling: &[],
    reasoning: &["reasoning_effort"],
};

/// [`PERPLEXITY`] plus `web_search_options`, for models the model map says search.
pub const PERPLEXITY_WEB_SEARCH: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "frequency_penalty",
        "max_tokens",
        "max_completion_tokens",
        "presence_penalty",
        "response_format",
        "stream",
        "temperature",
        "top_p",
        "web_search_options",
    ],
    function_calling: &[],
    reasoning: &["reasoning_effort"],
};

/// `DeepInfraConfig`: `reasoning_effort` for reasoning models.
pub const DEEPINFRA: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "stream",
        "frequency_penalty",
        "function_call",
        "functions",
        "logit_bias",
        "max_tokens",
        "max_completion_tokens",
        "n",
        "presence_penalty",
        "stop",
        "temperature",
        "top_p",
        "response_format",
        "tools",
        "tool_choice",
    ],
    function_calling: &[],
    reasoning: &["reasoning_effort"],
};

/// `CerebrasConfig`: `reasoning_effort` for reasoning models.
pub const CEREBRAS: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "max_tokens",
        "max_completion_tokens",
        "response_format",
        "seed",
        "stop",
        "stream",
        "temperature",
        "top_p",
        "tool_choice",
        "tools",
        "user",
    ],
    function_calling: &[],
    reasoning: &["reasoning_effort"],
};

/// `SambanovaConfig`: tools for function-calling models.
pub const SAMBANOVA: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "max_completion_tokens",
        "max_tokens",
        "response_format",
        "stop",
        "stream",
        "stream_options",
        "temperature",
        "top_p",
    ],
    function_calling: &["tools", "tool_choice", "parallel_tool_calls"],
    reasoning: &[],
};

/// `NvidiaNimConfig` for a model it does not name; the models it names have the shorter
/// lists below.
pub const NVIDIA_NIM: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "stream",
        "temperature",
        "top_p",
        "frequency_penalty",
        "presence_penalty",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "seed",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// `NvidiaNimConfig` for `google/recurrentgemma-2b`, `google/gemma-2-27b-it`,
/// `google/gemma-2-9b-it` and `gemma-2-9b-it`.
pub const NVIDIA_NIM_GEMMA_2: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "stream",
        "temperature",
        "top_p",
        "max_tokens",
        "stop",
        "seed",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// `NvidiaNimConfig` for `nvidia/nemotron-4-340b-instruct`.
pub const NVIDIA_NIM_NEMOTRON_4_340B_INSTRUCT: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "stream",
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// `NvidiaNimConfig` for `nvidia/nemotron-4-340b-reward`.
pub const NVIDIA_NIM_NEMOTRON_4_340B_REWARD: ParamSpec = ParamSpec {
    all: false,
    base: &["stream"],
    function_calling: &[],
    reasoning: &[],
};

/// `NvidiaNimConfig` for `google/codegemma-1.1-7b` (no `seed`).
pub const NVIDIA_NIM_CODEGEMMA: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "stream",
        "temperature",
        "top_p",
        "frequency_penalty",
        "presence_penalty",
        "max_tokens",
        "max_completion_tokens",
        "stop",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// `BasetenConfig`.
pub const BASETEN: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "stream",
        "stream_options",
        "stop",
        "presence_penalty",
        "frequency_penalty",
        "seed",
        "response_format",
        "tools",
        "tool_choice",
        "user",
        "reasoning_effort",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// `FeatherlessAIConfig`.
pub const FEATHERLESS: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "stream",
        "frequency_penalty",
        "function_call",
        "functions",
        "logit_bias",
        "max_tokens",
        "max_completion_tokens",
        "n",
        "presence_penalty",
        "stop",
        "temperature",
        "top_p",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// `HyperbolicChatConfig`.
pub const HYPERBOLIC: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "frequency_penalty",
        "max_tokens",
        "n",
        "presence_penalty",
        "response_format",
        "seed",
        "stop",
        "stream",
        "temperature",
        "tool_choice",
        "tools",
        "top_p",
        "user",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// `InceptionChatConfig`.
pub const INCEPTION: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "max_tokens",
        "max_completion_tokens",
        "reasoning_effort",
        "response_format",
        "stop",
        "stream",
        "stream_options",
        "temperature",
        "tool_choice",
        "tools",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// `AI21ChatConfig`.
pub const AI21: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "tools",
        "response_format",
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "stop",
        "n",
        "stream",
        "seed",
        "tool_choice",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// `AmazonNovaChatConfig`.
pub const AMAZON_NOVA: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "max_tokens",
        "max_completion_tokens",
        "reasoning_effort",
        "stop",
        "stream",
        "stream_options",
        "temperature",
        "tool_choice",
        "tools",
        "top_p",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// The fixed list `get_supported_openai_params` returns for anyscale.
pub const ANYSCALE: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "temperature",
        "top_p",
        "stream",
        "max_tokens",
        "stop",
        "frequency_penalty",
        "presence_penalty",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// `NadirConfig`.
pub const NADIR: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "frequency_penalty",
        "max_tokens",
        "presence_penalty",
        "response_format",
        "stream",
        "temperature",
        "top_p",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// `NscaleConfig`.
pub const NSCALE: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "max_tokens",
        "n",
        "temperature",
        "top_p",
        "stream",
        "logprobs",
        "top_logprobs",
        "frequency_penalty",
        "presence_penalty",
        "response_format",
        "stop",
        "logit_bias",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// `SailChatConfig`: `OpenAIGPTConfig` less what Sail rejects, plus `reasoning_effort`
/// and `user`.
pub const SAIL: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "max_tokens",
        "max_completion_tokens",
        "modalities",
        "prediction",
        "n",
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
        "response_format",
        "user",
        "reasoning_effort",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// `VolcEngineChatConfig`.
pub const VOLCENGINE: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "frequency_penalty",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "max_tokens",
        "max_completion_tokens",
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
        "thinking",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// `ZAIChatConfig`: `thinking` for reasoning models.
pub const ZAI: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "max_tokens",
        "stop",
        "stream",
        "stream_options",
        "temperature",
        "tool_choice",
        "tools",
        "top_p",
    ],
    function_calling: &[],
    reasoning: &["thinking"],
};

/// `V0ChatConfig`.
pub const V0: ParamSpec = ParamSpec {
    all: false,
    base: &["stream", "tools", "tool_choice"],
    function_calling: &[],
    reasoning: &[],
};

/// `MorphChatConfig`.
pub const MORPH: ParamSpec = ParamSpec {
    all: false,
    base: &["stream"],
    function_calling: &[],
    reasoning: &[],
};
