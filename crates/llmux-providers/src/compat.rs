//! The catalog of OpenAI-compatible providers: each is a row of data, not code.
//!
//! A row says where the provider lives, which environment variables hold its key, which
//! parameters it accepts and which of LiteLLM's wire quirks it has. Everything else is
//! the OpenAI adapter. Rows are sorted by id (a test checks it).
//!
//! The catalog holds every provider LiteLLM 1.108.7 calls with the OpenAI chat wire
//! format at `{api_base}/chat/completions` with a bearer key: its
//! `openai_compatible_providers`, the JSON providers of `llms/openai_like/providers.json`,
//! and the few other configs with a default base URL and key variable (amazon_nova,
//! cometapi, compactifai, edenai, lemonade, minimax, nadir, ovhcloud). Each row was
//! checked against LiteLLM itself: the URL, headers and body it sends, the variables it
//! reads, and `get_supported_openai_params`.
//!
//! Providers LiteLLM knows but that are not rows, and why: anthropic, bedrock,
//! bedrock_mantle, vertex_ai, gemini, cohere, ollama, watsonx, sagemaker, replicate,
//! cloudflare, triton, predibase, snowflake, oci, sap, maritalk, nlp_cloud, petals,
//! aleph_alpha (other wire formats or auth); azure_ai, databricks, github_copilot,
//! chatgpt, gigachat (own auth: Entra, OAuth, device flow, token exchange); huggingface,
//! gradient_ai, datarobot, heroku, ragflow (own URL layout: `{base}/{provider}/...`,
//! `{base}/api/v1/chat/completions`, an LLM-gateway path, `{base}/v1/chat/completions`
//! with no default base, a chat id in the model); clarifai (rewrites the model into a
//! clarifai.com URL); bytez (`Key` auth, own URL); vllm (in-process Python); ai21 (only
//! its chat models go to ai21_chat, the rest to OpenAI); aiohttp_openai (a transport for
//! OpenAI itself); custom (needs a registered handler); scaledown, fal_ai, jina_ai,
//! voyage, infinity and the audio and agent providers (not chat completions).

use crate::compat_params as p;
use crate::params::ParamSpec;

pub use crate::compat_params::OPENAI_LIKE_PARAMS;

/// One OpenAI-compatible provider.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompatProvider {
    /// LiteLLM's provider id, the `id/` prefix of model strings.
    pub id: &'static str,
    /// Default base URL; `/chat/completions` is appended.
    pub api_base: &'static str,
    /// Environment variables that may hold the API key, first found wins. Where LiteLLM
    /// calls a provider through the OpenAI SDK it falls back to `OPENAI_API_KEY`
    /// (`main.py` `_complete_custom_openai`); llmux deliberately does not, so an OpenAI
    /// key is never sent to another company's endpoint.
    pub key_env: &'static [&'static str],
    /// Environment variable that may override the base URL (the first LiteLLM reads).
    pub base_env: Option<&'static str>,
    /// Whether a call without any key is an error before sending.
    pub key_required: bool,
    pub params: ParamSpec,
    pub quirks: Quirks,
    /// Base-URL fragments that identify the provider when no prefix is given: LiteLLM's
    /// `openai_compatible_endpoints` that its `get_llm_provider` maps to this provider
    /// (scheme and trailing slash dropped). Endpoints it lists but maps to nothing
    /// (sambanova, xai, galadriel, meta_llama, featherless_ai, nscale, nebius, dashscope,
    /// moonshot, morph, clarifai) are left out.
    pub hosts: &'static [&'static str],
}

/// Ways a provider's wire traffic differs from plain OpenAI, as LiteLLM sends and
/// shapes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quirks {
    /// Sends `"stream": false` when the client did not ask for a stream.
    pub explicit_stream_false: bool,
    /// OpenRouter: `usage: {include: true}` in the body and the app-attribution headers.
    pub openrouter: bool,
    /// The answer's choices are rebuilt without `provider_specific_fields`, and `null`
    /// `logprobs` are dropped (LiteLLM's Groq path).
    pub bare_choices: bool,
    /// Sends the client's `max_completion_tokens` as `max_tokens`.
    pub max_completion_tokens_as_max_tokens: bool,
    /// The bearer token LiteLLM sends when no key is configured (local servers).
    pub placeholder_key: Option<&'static str>,
    /// Attribution headers LiteLLM adds unless the caller sent one of the same name.
    pub extra_headers: &'static [(&'static str, &'static str)],
    /// A message's text-only content list is sent as one string
    /// (`handle_messages_with_content_list_to_str_conversion`; deepseek's
    /// `_forward_or_collapse_content`). Lists carrying images or files stay lists.
    pub content_list_to_str: bool,
    /// Serves OpenAI's Responses API at `{api_base}/responses` (LiteLLM has a Responses
    /// config for it): `/v1/responses` passes through as for OpenAI, not bridged.
    pub serves_responses: bool,
}

impl Quirks {
    pub const NONE: Quirks = Quirks {
        explicit_stream_false: false,
        openrouter: false,
        bare_choices: false,
        max_completion_tokens_as_max_tokens: false,
        placeholder_key: None,
        extra_headers: &[],
        content_list_to_str: false,
        serves_responses: false,
    };
    /// A provider LiteLLM calls through its own HTTP handler with a config that forwards
    /// `stream` as given (see the dispatch note below).
    pub const OPENAI_LIKE: Quirks = Quirks {
        explicit_stream_false: true,
        ..Quirks::NONE
    };
}

// Whether `"stream": false` reaches the wire depends on how LiteLLM's `completion()`
// dispatches the provider, not on its config's base class (groq's config extends
// `OpenAILikeChatConfig`, deepseek's and xai's extend `OpenAIGPTConfig`, and all three
// send it):
//
// - SDK: ids in `openai_compatible_providers` and the JSON providers go through
//   `_complete_custom_openai`, i.e. the OpenAI Python SDK; that handler pops `stream`
//   (llms/openai/openai.py `OpenAIChatCompletion.completion`) and sets it only when
//   streaming: no `"stream": false`. (vercel_ai_gateway and codestral are in that list, so the SDK
//   branch wins over their own.)
// - HTTP: the providers with their own `_complete_<id>` branch go through
//   `base_llm_http_handler`, and their `map_openai_params` copies the proxy's
//   `stream=False` into the body. Mistral's is the exception: `MistralConfig` copies
//   `stream` only when it is true, so mistral is an HTTP provider without the quirk.
//
// `*_MAX_TOKENS`: the provider's `map_openai_params` renames `max_completion_tokens` to
// `max_tokens` (`OpenAILikeChatConfig`, the JSON `param_mappings`, the generic branch of
// `get_optional_params`, or the provider's own mapping).

/// Called through the OpenAI SDK: `stream` only when streaming.
const SDK: Quirks = Quirks::NONE;
const SDK_MAX_TOKENS: Quirks = Quirks {
    max_completion_tokens_as_max_tokens: true,
    ..SDK
};
/// Called through LiteLLM's own HTTP handler: `"stream": false` when not streaming.
const HTTP: Quirks = Quirks::OPENAI_LIKE;
const HTTP_MAX_TOKENS: Quirks = Quirks {
    max_completion_tokens_as_max_tokens: true,
    ..HTTP
};
const OPENROUTER: Quirks = Quirks {
    openrouter: true,
    serves_responses: true,
    ..HTTP
};
/// As [`HTTP_MAX_TOKENS`], and `/v1/responses` served natively.
const HTTP_MAX_TOKENS_RESPONSES: Quirks = Quirks {
    serves_responses: true,
    ..HTTP_MAX_TOKENS
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

/// Every OpenAI-compatible provider llmux knows, sorted by id.
pub static CATALOG: &[CompatProvider] = &[
    // JSON provider outside LlmProviders: OpenAI's params
    row!(
        "abliteration",
        "https://api.abliteration.ai/v1",
        ["ABLITERATION_API_KEY"],
        None,
        true,
        p::OPENAI_UNKNOWN_MODEL,
        SDK_MAX_TOKENS,
        []
    ),
    row!(
        "ai21_chat",
        "https://api.ai21.com/studio/v1",
        ["AI21_API_KEY"],
        Some("AI21_API_BASE"),
        true,
        p::AI21,
        SDK_MAX_TOKENS,
        []
    ),
    // JSON provider outside LlmProviders: OpenAI's params
    row!(
        "aihubmix",
        "https://aihubmix.com/v1",
        ["AIHUBMIX_API_KEY"],
        Some("AIHUBMIX_API_BASE"),
        true,
        p::OPENAI_UNKNOWN_MODEL,
        SDK_MAX_TOKENS,
        []
    ),
    // no chat config: OpenAI's params
    row!(
        "aiml",
        "https://api.aimlapi.com/v1",
        ["AIML_API_KEY"],
        Some("AIML_API_BASE"),
        true,
        p::OPENAI_UNKNOWN_MODEL,
        SDK_MAX_TOKENS,
        []
    ),
    row!(
        "amazon_nova",
        "https://api.nova.amazon.com/v1",
        ["AMAZON_NOVA_API_KEY"],
        Some("AMAZON_NOVA_API_BASE"),
        true,
        p::AMAZON_NOVA,
        HTTP_MAX_TOKENS,
        []
    ),
    // LiteLLM reaches it only by api_base host: `anyscale/` is not in its provider_list
    row!(
        "anyscale",
        "https://api.endpoints.anyscale.com/v1",
        ["ANYSCALE_API_KEY"],
        Some("ANYSCALE_API_BASE"),
        true,
        p::ANYSCALE,
        SDK,
        ["api.endpoints.anyscale.com/v1"]
    ),
    row!(
        "apertis",
        "https://api.stima.tech/v1",
        ["STIMA_API_KEY"],
        None,
        true,
        p::JSON_PROVIDER,
        SDK_MAX_TOKENS,
        ["api.stima.tech/v1"]
    ),
    row!(
        "assemblyai",
        "https://llm-gateway.assemblyai.com/v1",
        ["ASSEMBLYAI_API_KEY"],
        None,
        true,
        p::JSON_PROVIDER,
        SDK,
        []
    ),
    // BASETEN_API_BASE is read only when an api_base is already given
    row!(
        "baseten",
        "https://inference.baseten.co/v1",
        ["BASETEN_API_KEY"],
        None,
        true,
        p::BASETEN,
        SDK_MAX_TOKENS,
        []
    ),
    row!(
        "cerebras",
        "https://api.cerebras.ai/v1",
        ["CEREBRAS_API_KEY"],
        Some("CEREBRAS_API_BASE"),
        true,
        p::CEREBRAS,
        SDK_MAX_TOKENS,
        []
    ),
    row!(
        "charity_engine",
        "https://api.charityengine.services/remotejobs/v2/inference",
        ["CHARITY_ENGINE_API_KEY"],
        None,
        true,
        p::JSON_PROVIDER,
        SDK_MAX_TOKENS,
        []
    ),
    row!(
        "chutes",
        "https://llm.chutes.ai/v1",
        ["CHUTES_API_KEY"],
        None,
        true,
        p::JSON_PROVIDER,
        SDK_MAX_TOKENS,
        ["llm.chutes.ai/v1"]
    ),
    row!(
        "codestral",
        "https://codestral.mistral.ai/v1",
        ["CODESTRAL_API_KEY"],
        Some("CODESTRAL_API_BASE"),
        true,
        p::MISTRAL,
        SDK_MAX_TOKENS,
        ["codestral.mistral.ai/v1/chat/completions"]
    ),
    row!(
        "cognition",
        "https://api.cognition.ai/v1",
        ["COGNITION_API_KEY"],
        Some("COGNITION_API_BASE"),
        true,
        p::JSON_PROVIDER,
        SDK,
        ["api.cognition.ai/v1"]
    ),
    row!(
        "cometapi",
        "https://api.cometapi.com/v1",
        ["COMETAPI_KEY"],
        Some("COMETAPI_API_BASE"),
        false,
        p::OPENAI_GPT,
        HTTP,
        []
    ),
    row!(
        "compactifai",
        "https://api.compactif.ai/v1",
        ["COMPACTIFAI_API_KEY"],
        None,
        false,
        p::OPENAI_GPT,
        HTTP,
        []
    ),
    row!(
        "coralbricks",
        "https://inference.coralbricks.ai/v1",
        ["CORALBRICKS_API_KEY"],
        Some("CORALBRICKS_API_BASE"),
        true,
        p::JSON_PROVIDER,
        SDK,
        ["inference.coralbricks.ai/v1"]
    ),
    row!(
        "cortecs",
        "https://api.cortecs.ai/v1",
        ["CORTECS_API_KEY"],
        Some("CORTECS_API_BASE"),
        true,
        p::JSON_PROVIDER,
        SDK,
        ["api.cortecs.ai/v1"]
    ),
    // JSON provider outside LlmProviders: OpenAI's params
    row!(
        "crusoe",
        "https://api.inference.crusoecloud.com/v1",
        ["CRUSOE_API_KEY"],
        Some("CRUSOE_API_BASE"),
        true,
        p::OPENAI_UNKNOWN_MODEL,
        SDK_MAX_TOKENS,
        []
    ),
    // LiteLLM also reads OPENAI_API_BASE after OPENAI_BASE_URL
    row!(
        "custom_openai",
        "https://api.openai.com/v1",
        ["OPENAI_API_KEY"],
        Some("OPENAI_BASE_URL"),
        true,
        p::OPENAI_GPT,
        SDK_MAX_TOKENS,
        []
    ),
    row!(
        "darkbloom",
        "https://api.darkbloom.dev/v1",
        ["DARKBLOOM_API_KEY"],
        Some("DARKBLOOM_API_BASE"),
        true,
        p::JSON_PROVIDER,
        SDK_MAX_TOKENS,
        []
    ),
    row!(
        "dashscope",
        "https://dashscope.aliyuncs.com/compatible-mode/v1",
        ["DASHSCOPE_API_KEY"],
        Some("DASHSCOPE_API_BASE"),
        true,
        p::OPENAI_UNKNOWN_MODEL,
        SDK,
        []
    ),
    row!(
        "deepinfra",
        "https://api.deepinfra.com/v1/openai",
        ["DEEPINFRA_API_KEY"],
        Some("DEEPINFRA_API_BASE"),
        true,
        p::DEEPINFRA,
        SDK_MAX_TOKENS,
        ["api.deepinfra.com/v1/openai"]
    ),
    row!(
        "deepseek",
        "https://api.deepseek.com/beta",
        ["DEEPSEEK_API_KEY"],
        Some("DEEPSEEK_API_BASE"),
        false,
        p::DEEPSEEK,
        Quirks {
            content_list_to_str: true,
            ..HTTP
        },
        ["api.deepseek.com/v1"]
    ),
    row!(
        "docker_model_runner",
        "http://localhost:22088/engines/llama.cpp",
        ["DOCKER_MODEL_RUNNER_API_KEY"],
        Some("DOCKER_MODEL_RUNNER_API_BASE"),
        false,
        p::OPENAI_GPT,
        Quirks {
            placeholder_key: Some("dummy-key"),
            content_list_to_str: true,
            ..SDK_MAX_TOKENS
        },
        []
    ),
    row!(
        "edenai",
        "https://api.edenai.run/v3",
        ["EDENAI_API_KEY"],
        Some("EDENAI_API_BASE"),
        false,
        p::OPENAI_GPT_REASONING_GATED,
        HTTP,
        ["api.edenai.run/v3"]
    ),
    // JSON provider outside LlmProviders: OpenAI's params
    row!(
        "empiriolabs",
        "https://api.empiriolabs.ai/v1",
        ["EMPIRIOLABS_API_KEY"],
        Some("EMPIRIOLABS_API_BASE"),
        true,
        p::OPENAI_UNKNOWN_MODEL,
        SDK_MAX_TOKENS,
        []
    ),
    row!(
        "empower",
        "https://app.empower.dev/api/v1",
        ["EMPOWER_API_KEY"],
        Some("EMPOWER_API_BASE"),
        true,
        p::OPENAI_GPT,
        SDK_MAX_TOKENS,
        ["app.empower.dev/api/v1"]
    ),
    // LiteLLM also reads FEATHERLESS_API_BASE after FEATHERLESS_AI_API_BASE
    row!(
        "featherless_ai",
        "https://api.featherless.ai/v1",
        ["FEATHERLESS_AI_API_KEY", "FEATHERLESS_API_KEY"],
        Some("FEATHERLESS_AI_API_BASE"),
        true,
        p::FEATHERLESS,
        SDK_MAX_TOKENS,
        []
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
        p::FIREWORKS,
        Quirks {
            bare_choices: true,
            serves_responses: true,
            ..HTTP_MAX_TOKENS
        },
        []
    ),
    row!(
        "friendliai",
        "https://api.friendli.ai/serverless/v1",
        ["FRIENDLIAI_API_KEY", "FRIENDLI_TOKEN"],
        Some("FRIENDLI_API_BASE"),
        true,
        p::OPENAI_GPT,
        SDK_MAX_TOKENS,
        ["api.friendli.ai/serverless/v1"]
    ),
    row!(
        "galadriel",
        "https://api.galadriel.com/v1",
        ["GALADRIEL_API_KEY"],
        Some("GALADRIEL_API_BASE"),
        true,
        p::OPENAI_GPT,
        SDK_MAX_TOKENS,
        []
    ),
    row!(
        "github",
        "https://models.inference.ai.azure.com",
        ["GITHUB_API_KEY"],
        Some("GITHUB_API_BASE"),
        true,
        p::OPENAI_GPT,
        SDK_MAX_TOKENS,
        []
    ),
    // JSON provider outside LlmProviders: OpenAI's params
    row!(
        "gmi",
        "https://api.gmi-serving.com/v1",
        ["GMI_API_KEY"],
        None,
        true,
        p::OPENAI_UNKNOWN_MODEL,
        SDK_MAX_TOKENS,
        []
    ),
    row!(
        "groq",
        "https://api.groq.com/openai/v1",
        ["GROQ_API_KEY"],
        Some("GROQ_API_BASE"),
        false,
        p::GROQ,
        Quirks {
            bare_choices: true,
            ..HTTP_MAX_TOKENS
        },
        ["api.groq.com/openai/v1"]
    ),
    row!(
        "helicone",
        "https://ai-gateway.helicone.ai",
        ["HELICONE_API_KEY"],
        None,
        true,
        p::JSON_PROVIDER,
        SDK,
        ["ai-gateway.helicone.ai"]
    ),
    // LiteLLM has no default base (HOSTED_VLLM_API_BASE or api_base); vLLM's own default
    // here
    row!(
        "hosted_vllm",
        "http://localhost:8000/v1",
        ["HOSTED_VLLM_API_KEY"],
        Some("HOSTED_VLLM_API_BASE"),
        false,
        p::DEEPSEEK,
        Quirks {
            placeholder_key: Some("fake-api-key"),
            serves_responses: true,
            ..HTTP
        },
        []
    ),
    row!(
        "hyperbolic",
        "https://api.hyperbolic.xyz/v1",
        ["HYPERBOLIC_API_KEY"],
        Some("HYPERBOLIC_API_BASE"),
        true,
        p::HYPERBOLIC,
        SDK,
        ["api.hyperbolic.xyz/v1"]
    ),
    row!(
        "inception",
        "https://api.inceptionlabs.ai/v1",
        ["INCEPTION_API_KEY"],
        Some("INCEPTION_API_BASE"),
        true,
        p::INCEPTION,
        SDK_MAX_TOKENS,
        ["api.inceptionlabs.ai/v1"]
    ),
    row!(
        "inferenceapis",
        "https://api.inferenceapis.com/v1",
        ["INFERENCEAPIS_API_KEY"],
        Some("INFERENCEAPIS_API_BASE"),
        true,
        p::JSON_PROVIDER,
        SDK,
        []
    ),
    row!(
        "lambda_ai",
        "https://api.lambda.ai/v1",
        ["LAMBDA_API_KEY"],
        Some("LAMBDA_API_BASE"),
        true,
        p::OPENAI_GPT,
        SDK_MAX_TOKENS,
        ["api.lambda.ai/v1"]
    ),
    row!(
        "lemonade",
        "http://localhost:8000/api/v1",
        ["LEMONADE_API_KEY"],
        Some("LEMONADE_API_BASE"),
        false,
        p::OPENAI_UNKNOWN_MODEL,
        Quirks {
            placeholder_key: Some("lemonade"),
            ..HTTP_MAX_TOKENS
        },
        []
    ),
    row!(
        "libertai",
        "https://api.libertai.io/v1",
        ["LIBERTAI_API_KEY"],
        Some("LIBERTAI_API_BASE"),
        true,
        p::JSON_PROVIDER,
        SDK_MAX_TOKENS,
        ["api.libertai.io/v1"]
    ),
    // LiteLLM has no default base (then OPENAI_BASE_URL, OPENAI_API_BASE, OpenAI's); the
    // proxy's own default here
    row!(
        "litellm_proxy",
        "http://0.0.0.0:4000",
        ["LITELLM_PROXY_API_KEY"],
        Some("LITELLM_PROXY_API_BASE"),
        true,
        p::LITELLM_PROXY,
        SDK,
        []
    ),
    row!(
        "llamafile",
        "http://127.0.0.1:8080/v1",
        ["LLAMAFILE_API_KEY"],
        Some("LLAMAFILE_API_BASE"),
        false,
        p::OPENAI_GPT,
        Quirks {
            placeholder_key: Some("fake-api-key"),
            ..SDK
        },
        []
    ),
    // JSON provider outside LlmProviders: OpenAI's params
    row!(
        "llamagate",
        "https://api.llamagate.dev/v1",
        ["LLAMAGATE_API_KEY"],
        None,
        true,
        p::OPENAI_UNKNOWN_MODEL,
        SDK_MAX_TOKENS,
        []
    ),
    // LiteLLM has no default base (then OPENAI_BASE_URL, OPENAI_API_BASE, OpenAI's); LM
    // Studio's own default here
    row!(
        "lm_studio",
        "http://localhost:1234/v1",
        ["LM_STUDIO_API_KEY"],
        Some("LM_STUDIO_API_BASE"),
        false,
        p::OPENAI_GPT,
        Quirks {
            placeholder_key: Some("fake-api-key"),
            ..SDK
        },
        []
    ),
    row!(
        "meta",
        "https://api.meta.ai/v1",
        ["META_API_KEY"],
        Some("META_API_BASE"),
        true,
        p::JSON_PROVIDER,
        SDK,
        ["api.meta.ai/v1"]
    ),
    row!(
        "meta_llama",
        "https://api.llama.com/compat/v1",
        ["LLAMA_API_KEY"],
        Some("LLAMA_API_BASE"),
        true,
        p::OPENAI_GPT,
        SDK,
        []
    ),
    row!(
        "minimax",
        "https://api.minimax.io/v1",
        ["MINIMAX_API_KEY"],
        Some("MINIMAX_API_BASE"),
        false,
        p::MINIMAX,
        HTTP,
        []
    ),
    // own HTTP path, but MistralConfig only forwards `stream: true`; MISTRAL_API_BASE is
    // never reached
    row!(
        "mistral",
        "https://api.mistral.ai/v1",
        ["MISTRAL_AZURE_API_KEY", "MISTRAL_API_KEY"],
        Some("MISTRAL_AZURE_API_BASE"),
        false,
        p::MISTRAL,
        Quirks {
            max_completion_tokens_as_max_tokens: true,
            ..SDK
        },
        ["api.mistral.ai/v1"]
    ),
    row!(
        "modelscope",
        "https://api-inference.modelscope.cn/v1",
        ["MODELSCOPE_API_KEY"],
        Some("MODELSCOPE_API_BASE"),
        true,
        p::OPENAI_GPT,
        SDK,
        ["api-inference.modelscope.cn/v1"]
    ),
    row!(
        "moonshot",
        "https://api.moonshot.ai/v1",
        ["MOONSHOT_API_KEY"],
        Some("MOONSHOT_API_BASE"),
        true,
        p::MOONSHOT,
        Quirks {
            content_list_to_str: true,
            ..SDK_MAX_TOKENS
        },
        []
    ),
    row!(
        "morph",
        "https://api.morphllm.com/v1",
        ["MORPH_API_KEY"],
        Some("MORPH_API_BASE"),
        true,
        p::MORPH,
        SDK,
        []
    ),
    row!(
        "nadir",
        "https://api.getnadir.com/v1",
        ["NADIR_API_KEY"],
        Some("NADIR_API_BASE"),
        false,
        p::NADIR,
        HTTP,
        ["api.getnadir.com/v1"]
    ),
    row!(
        "nano-gpt",
        "https://nano-gpt.com/api/v1",
        ["NANOGPT_API_KEY"],
        None,
        true,
        p::JSON_PROVIDER,
        SDK_MAX_TOKENS,
        ["nano-gpt.com/api/v1"]
    ),
    row!(
        "nebius",
        "https://api.studio.nebius.ai/v1",
        ["NEBIUS_API_KEY"],
        Some("NEBIUS_API_BASE"),
        true,
        p::OPENAI_GPT,
        SDK_MAX_TOKENS,
        []
    ),
    row!(
        "neosantara",
        "https://api.neosantara.xyz/v1",
        ["NEOSANTARA_API_KEY"],
        Some("NEOSANTARA_API_BASE"),
        true,
        p::JSON_PROVIDER,
        SDK_MAX_TOKENS,
        []
    ),
    row!(
        "novita",
        "https://api.novita.ai/v3/openai",
        ["NOVITA_API_KEY"],
        Some("NOVITA_API_BASE"),
        true,
        p::OPENAI_GPT,
        Quirks {
            extra_headers: &[("X-Novita-Source", "litellm")],
            ..SDK
        },
        []
    ),
    row!(
        "nscale",
        "https://inference.api.nscale.com/v1",
        ["NSCALE_API_KEY"],
        Some("NSCALE_API_BASE"),
        true,
        p::NSCALE,
        SDK,
        []
    ),
    row!(
        "nvidia_nim",
        "https://integrate.api.nvidia.com/v1",
        ["NVIDIA_NIM_API_KEY"],
        Some("NVIDIA_NIM_API_BASE"),
        true,
        p::NVIDIA_NIM,
        SDK_MAX_TOKENS,
        ["integrate.api.nvidia.com/v1"]
    ),
    // LiteLLM's completion() rejects this id; llmux keeps it as the generic row, shaped
    // like LiteLLM's OpenAILikeChatHandler (always sends `stream`)
    row!(
        "openai_like",
        "http://localhost:8000/v1",
        ["OPENAI_LIKE_API_KEY"],
        Some("OPENAI_LIKE_API_BASE"),
        false,
        p::OPENAI_GPT,
        Quirks::OPENAI_LIKE,
        []
    ),
    row!(
        "openrouter",
        "https://openrouter.ai/api/v1",
        ["OPENROUTER_API_KEY", "OR_API_KEY"],
        Some("OPENROUTER_API_BASE"),
        false,
        p::DEEPSEEK,
        OPENROUTER,
        []
    ),
    row!(
        "ovhcloud",
        "https://oai.endpoints.kepler.ai.cloud.ovh.net/v1",
        ["OVHCLOUD_API_KEY"],
        Some("OVHCLOUD_API_BASE"),
        false,
        p::OPENAI_GPT,
        HTTP,
        []
    ),
    row!(
        "parasail",
        "https://api.parasail.io/v1",
        ["PARASAIL_API_KEY"],
        Some("PARASAIL_API_BASE"),
        true,
        p::JSON_PROVIDER,
        SDK,
        []
    ),
    row!(
        "perplexity",
        "https://api.perplexity.ai",
        ["PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"],
        Some("PERPLEXITY_API_BASE"),
        true,
        p::PERPLEXITY,
        Quirks {
            extra_headers: &[("X-Pplx-Integration", "litellm")],
            ..SDK
        },
        ["api.perplexity.ai"]
    ),
    row!(
        "pinstripes",
        "https://pinstripes.io/v1",
        ["PINSTRIPES_API_KEY"],
        Some("PINSTRIPES_API_BASE"),
        true,
        p::JSON_PROVIDER,
        SDK_MAX_TOKENS,
        ["pinstripes.io/v1"]
    ),
    row!(
        "poe",
        "https://api.poe.com/v1",
        ["POE_API_KEY"],
        None,
        true,
        p::JSON_PROVIDER,
        SDK_MAX_TOKENS,
        ["api.poe.com/v1"]
    ),
    row!(
        "prism",
        "https://api.prisminference.com/v1",
        ["PRISM_API_KEY"],
        Some("PRISM_API_BASE"),
        true,
        p::JSON_PROVIDER,
        SDK,
        ["api.prisminference.com/v1"]
    ),
    row!(
        "publicai",
        "https://api.publicai.co/v1",
        ["PUBLICAI_API_KEY"],
        Some("PUBLICAI_API_BASE"),
        true,
        p::JSON_PROVIDER,
        Quirks {
            content_list_to_str: true,
            ..SDK_MAX_TOKENS
        },
        ["api.publicai.co/v1"]
    ),
    row!(
        "qwen_ai_platform",
        "https://dashscope.aliyuncs.com/compatible-mode/v1",
        ["QWEN_AI_PLATFORM_API_KEY", "DASHSCOPE_API_KEY"],
        Some("QWEN_AI_PLATFORM_API_BASE"),
        true,
        p::OPENAI_UNKNOWN_MODEL,
        SDK,
        []
    ),
    row!(
        "qwencloud",
        "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
        ["QWENCLOUD_API_KEY", "DASHSCOPE_API_KEY"],
        Some("QWENCLOUD_API_BASE"),
        true,
        p::OPENAI_UNKNOWN_MODEL,
        SDK,
        []
    ),
    row!(
        "reka",
        "https://api.reka.ai/v1",
        ["REKA_API_KEY"],
        Some("REKA_API_BASE"),
        true,
        p::JSON_PROVIDER,
        SDK,
        ["api.reka.ai/v1"]
    ),
    row!(
        "sail",
        "https://api.sailresearch.com/v1",
        ["SAIL_API_KEY"],
        Some("SAIL_API_BASE"),
        true,
        p::SAIL,
        SDK,
        ["api.sailresearch.com/v1"]
    ),
    row!(
        "sambanova",
        "https://api.sambanova.ai/v1",
        ["SAMBANOVA_API_KEY"],
        Some("SAMBANOVA_API_BASE"),
        true,
        p::SAMBANOVA,
        Quirks {
            content_list_to_str: true,
            ..SDK_MAX_TOKENS
        },
        []
    ),
    // JSON provider outside LlmProviders: OpenAI's params
    row!(
        "sarvam",
        "https://api.sarvam.ai/v1",
        ["SARVAM_API_KEY"],
        None,
        true,
        p::OPENAI_UNKNOWN_MODEL,
        SDK_MAX_TOKENS,
        []
    ),
    row!(
        "scaleway",
        "https://api.scaleway.ai/v1",
        ["SCW_SECRET_KEY"],
        None,
        true,
        p::JSON_PROVIDER,
        SDK,
        []
    ),
    row!(
        "scx-ai",
        "https://api.scx.ai/v1",
        ["SCX_API_KEY"],
        Some("SCX_API_BASE"),
        true,
        p::JSON_PROVIDER,
        SDK_MAX_TOKENS,
        ["api.scx.ai/v1"]
    ),
    row!(
        "synthetic",
        "https://api.synthetic.new/openai/v1",
        ["SYNTHETIC_API_KEY"],
        None,
        true,
        p::JSON_PROVIDER,
        SDK_MAX_TOKENS,
        ["api.synthetic.new/openai/v1"]
    ),
    row!(
        "tencent",
        "https://tokenhub-intl.tencentcloudmaas.com/v1",
        ["TENCENT_API_KEY"],
        Some("TENCENT_API_BASE"),
        true,
        p::TENCENT,
        SDK,
        []
    ),
    row!(
        "tensormesh",
        "https://serverless.tensormesh.ai/v1",
        ["TENSORMESH_INFERENCE_API_KEY"],
        Some("TENSORMESH_SERVERLESS_BASE_URL"),
        true,
        p::JSON_PROVIDER,
        SDK_MAX_TOKENS,
        ["serverless.tensormesh.ai/v1"]
    ),
    row!(
        "together_ai",
        "https://api.together.ai/v1",
        [
            "TOGETHER_API_KEY",
            "TOGETHER_AI_API_KEY",
            "TOGETHERAI_API_KEY",
            "TOGETHER_AI_TOKEN"
        ],
        Some("TOGETHER_AI_API_BASE"),
        false,
        p::OPENAI_GPT_REASONING_GATED,
        HTTP,
        ["api.together.ai/v1", "api.together.xyz/v1"]
    ),
    row!(
        "v0",
        "https://api.v0.dev/v1",
        ["V0_API_KEY"],
        Some("V0_API_BASE"),
        true,
        p::V0,
        SDK,
        ["api.v0.dev/v1"]
    ),
    // JSON provider outside LlmProviders: OpenAI's params
    row!(
        "veniceai",
        "https://api.venice.ai/api/v1",
        ["VENICE_AI_API_KEY"],
        None,
        true,
        p::OPENAI_UNKNOWN_MODEL,
        SDK_MAX_TOKENS,
        []
    ),
    // in openai_compatible_providers, so the SDK branch wins over its own one
    row!(
        "vercel_ai_gateway",
        "https://ai-gateway.vercel.sh/v1",
        ["VERCEL_AI_GATEWAY_API_KEY", "VERCEL_OIDC_TOKEN"],
        Some("VERCEL_AI_GATEWAY_API_BASE"),
        true,
        p::OPENAI_GPT,
        SDK,
        ["ai-gateway.vercel.sh/v1"]
    ),
    row!(
        "volcengine",
        "https://ark.cn-beijing.volces.com/api/v3",
        ["VOLCENGINE_API_KEY"],
        Some("VOLCENGINE_API_BASE"),
        true,
        p::VOLCENGINE,
        SDK_MAX_TOKENS,
        []
    ),
    row!(
        "wandb",
        "https://api.inference.wandb.ai/v1",
        ["WANDB_API_KEY"],
        Some("WANDB_API_BASE"),
        true,
        p::WANDB,
        SDK_MAX_TOKENS,
        ["api.inference.wandb.ai/v1"]
    ),
    row!(
        "xai",
        "https://api.x.ai/v1",
        ["XAI_API_KEY"],
        Some("XAI_API_BASE"),
        false,
        p::XAI,
        HTTP_MAX_TOKENS_RESPONSES,
        []
    ),
    row!(
        "xiaomi_mimo",
        "https://api.xiaomimimo.com/v1",
        ["XIAOMI_MIMO_API_KEY"],
        None,
        true,
        p::JSON_PROVIDER,
        SDK_MAX_TOKENS,
        []
    ),
    // LiteLLM has no xinference config and falls back to OpenAI's key and base variables;
    // llmux reads Xinference's own and defaults to its local server, which needs no key
    row!(
        "xinference",
        "http://127.0.0.1:9997/v1",
        ["XINFERENCE_API_KEY"],
        Some("XINFERENCE_API_BASE"),
        false,
        p::OPENAI_UNKNOWN_MODEL,
        SDK_MAX_TOKENS,
        []
    ),
    row!(
        "zai",
        "https://api.z.ai/api/paas/v4",
        ["ZAI_API_KEY"],
        Some("ZAI_API_BASE"),
        true,
        p::ZAI,
        SDK,
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
    use crate::params::{CHECKED_PARAMS, Capabilities};

    fn row(id: &str) -> &'static CompatProvider {
        find(id).unwrap_or_else(|| panic!("no row {id}"))
    }

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

    #[test]
    fn every_api_base_is_an_http_url_without_the_endpoint() {
        for r in CATALOG {
            let url = url::Url::parse(r.api_base)
                .unwrap_or_else(|e| panic!("{}: {} is not a URL: {e}", r.id, r.api_base));
            assert!(
                matches!(url.scheme(), "http" | "https"),
                "{}: {}",
                r.id,
                r.api_base
            );
            assert!(url.host_str().is_some(), "{}: no host", r.id);
            assert!(
                !r.api_base.ends_with('/') && !r.api_base.ends_with("/chat/completions"),
                "{}: {} must be the base, without the endpoint or a trailing slash",
                r.id,
                r.api_base
            );
        }
    }

    #[test]
    fn hosts_do_not_collide_between_rows() {
        for (i, a) in CATALOG.iter().enumerate() {
            for b in &CATALOG[i + 1..] {
                for ha in a.hosts {
                    for hb in b.hosts {
                        assert!(
                            !ha.contains(hb) && !hb.contains(ha),
                            "{} ({ha}) and {} ({hb}) would claim the same api_base",
                            a.id,
                            b.id
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn hosts_are_bare_fragments_of_their_own_base_or_litellm_endpoints() {
        for r in CATALOG {
            for h in r.hosts {
                assert!(
                    !h.contains("://") && !h.ends_with('/') && !h.is_empty(),
                    "{}: {h}",
                    r.id
                );
            }
        }
        // A row's own default base resolves back to it.
        for id in ["groq", "perplexity", "deepinfra", "together_ai", "chutes"] {
            let r = row(id);
            assert!(
                r.hosts.iter().any(|h| r.api_base.contains(h)),
                "{id}: {} not matched by {:?}",
                r.api_base,
                r.hosts
            );
        }
    }

    #[test]
    fn key_variables_are_plausible_names() {
        for r in CATALOG {
            assert!(!r.key_env.is_empty(), "{}: no key variable", r.id);
            for v in r.key_env.iter().copied().chain(r.base_env) {
                assert!(
                    !v.is_empty()
                        && v.chars()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
                    "{}: {v:?}",
                    r.id
                );
            }
            let mut seen = r.key_env.to_vec();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), r.key_env.len(), "{}: repeated variable", r.id);
        }
    }

    #[test]
    fn every_listed_param_is_one_litellm_checks() {
        for r in CATALOG {
            let spec = r.params;
            for name in spec
                .base
                .iter()
                .chain(spec.function_calling)
                .chain(spec.reasoning)
            {
                assert!(CHECKED_PARAMS.contains(name), "{}: {name}", r.id);
            }
        }
    }

    #[test]
    fn spot_checks_against_litellm() {
        assert_eq!(row("perplexity").api_base, "https://api.perplexity.ai");
        assert_eq!(
            row("perplexity").key_env,
            ["PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"]
        );
        assert_eq!(
            row("deepinfra").api_base,
            "https://api.deepinfra.com/v1/openai"
        );
        assert_eq!(row("nvidia_nim").key_env, ["NVIDIA_NIM_API_KEY"]);
        assert_eq!(row("nvidia_nim").base_env, Some("NVIDIA_NIM_API_BASE"));
        assert_eq!(row("deepseek").api_base, "https://api.deepseek.com/beta");
        assert_eq!(
            row("together_ai").key_env,
            [
                "TOGETHER_API_KEY",
                "TOGETHER_AI_API_KEY",
                "TOGETHERAI_API_KEY",
                "TOGETHER_AI_TOKEN"
            ]
        );
        assert_eq!(
            row("mistral").key_env,
            ["MISTRAL_AZURE_API_KEY", "MISTRAL_API_KEY"]
        );
    }

    #[test]
    fn json_providers_come_from_providers_json() {
        let publicai = row("publicai");
        assert_eq!(publicai.api_base, "https://api.publicai.co/v1");
        assert_eq!(publicai.key_env[0], "PUBLICAI_API_KEY");
        assert_eq!(publicai.base_env, Some("PUBLICAI_API_BASE"));
        assert_eq!(row("scaleway").key_env[0], "SCW_SECRET_KEY");
        assert_eq!(
            row("tensormesh").base_env,
            Some("TENSORMESH_SERVERLESS_BASE_URL")
        );
        // providers.json writes it with a trailing slash; the base drops it.
        assert_eq!(row("chutes").api_base, "https://llm.chutes.ai/v1");
        assert_eq!(row("nano-gpt").key_env[0], "NANOGPT_API_KEY");
        // The JSON config offers tools only to function-calling models.
        let spec = row("synthetic").params;
        assert!(!spec.supports("tools", Capabilities::default()));
        let fc = Capabilities {
            function_calling: true,
            ..Capabilities::default()
        };
        assert!(spec.supports("tools", fc));
        assert!(row("synthetic").quirks.max_completion_tokens_as_max_tokens);
    }

    #[test]
    fn stream_false_follows_litellm_dispatch() {
        for id in [
            "groq",
            "deepseek",
            "together_ai",
            "xai",
            "openrouter",
            "fireworks_ai",
        ] {
            assert!(row(id).quirks.explicit_stream_false, "{id}");
        }
        for id in ["mistral", "codestral", "cerebras", "perplexity", "publicai"] {
            assert!(!row(id).quirks.explicit_stream_false, "{id}");
        }
        assert!(row("groq").quirks.bare_choices);
        assert!(row("openrouter").quirks.openrouter);
    }

    #[test]
    fn local_servers_need_no_key() {
        for id in [
            "hosted_vllm",
            "lm_studio",
            "llamafile",
            "docker_model_runner",
        ] {
            let r = row(id);
            assert!(!r.key_required, "{id}");
            assert!(r.quirks.placeholder_key.is_some(), "{id}");
        }
        assert!(row("cerebras").key_required);
    }
}
