//! Gemini: Google AI Studio (<https://ai.google.dev/api/generate-content>) and Gemini on
//! Vertex AI (<https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/inference>),
//! translated as LiteLLM 1.108.7 does (`llms/vertex_ai/gemini/`, `llms/gemini/`).
//!
//! | | AI Studio | Vertex AI |
//! |---|---|---|
//! | chat | `{api_base}/models/{model}:generateContent` | `https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent` |
//! | stream | `:streamGenerateContent?alt=sse` | same |
//! | embeddings | `:batchEmbedContents` | `:predict` |
//! | auth | `x-goog-api-key` | `Authorization: Bearer` (token from the caller) |
//!
//! Files: `request.rs` (body, generationConfig, URLs), `messages.rs` (contents),
//! `media.rs` (image/file parts), `tools.rs` and `schema.rs` (function declarations),
//! `response.rs` (answers), `usage.rs`, `stream.rs`, `error.rs`, `embeddings.rs`,
//! `signature.rs` (tool-call ids carrying thought signatures), `types.rs` (wire types).
//! Tool arguments are written by `crate::python_json` (`json.dumps(…, ensure_ascii=False)`).

pub(crate) mod embeddings;
mod error;
mod media;
mod messages;
mod request;
mod response;
mod schema;
mod signature;
mod stream;
mod tools;
mod types;
mod usage;

pub use embeddings::{build_embedding_request, check_embedding_params, parse_embedding_response};
pub use error::map_error;
pub use request::build_chat_request;
pub use response::parse_chat_response;
pub use stream::GeminiStreamDecoder;

use crate::ParamSpec;

/// Which endpoint shape to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `{api_base}/models/{model}:generateContent` with `x-goog-api-key`.
    AiStudio,
    /// Vertex AI with a bearer token.
    Vertex,
}

/// LiteLLM's `GoogleAIStudioGeminiConfig.get_supported_openai_params` (`logit_bias` is
/// not among them). `audio` only for TTS models in LiteLLM; not offered here.
pub const PARAMS: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "stream",
        "tools",
        "tool_choice",
        "functions",
        "response_format",
        "n",
        "stop",
        "logprobs",
        "frequency_penalty",
        "presence_penalty",
        "seed",
        "modalities",
        "parallel_tool_calls",
        "web_search_options",
        "include_server_side_tool_invocations",
        "service_tier",
    ],
    function_calling: &[],
    reasoning: &["reasoning_effort", "thinking"],
};

/// LiteLLM's `VertexGeminiConfig.get_supported_openai_params`: AI Studio's plus
/// `top_logprobs`, `audio` and `top_k`.
pub const VERTEX_PARAMS: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "temperature",
        "top_p",
        "top_k",
        "max_tokens",
        "max_completion_tokens",
        "stream",
        "tools",
        "functions",
        "tool_choice",
        "response_format",
        "n",
        "stop",
        "extra_headers",
        "seed",
        "logprobs",
        "top_logprobs",
        "modalities",
        "audio",
        "parallel_tool_calls",
        "web_search_options",
        "include_server_side_tool_invocations",
        "service_tier",
        "frequency_penalty",
        "presence_penalty",
    ],
    function_calling: &[],
    reasoning: &["reasoning_effort", "thinking"],
};
