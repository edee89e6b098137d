//! Ollama (<https://github.com/ollama/ollama/blob/main/docs/api.md>): `ollama_chat/…` goes to
//! `/api/chat`, `ollama/…` to `/api/generate` (a prompt built from the turns), embeddings
//! to `/api/embed`. Streams are NDJSON, one JSON object a line.
//!
//! The translation follows LiteLLM 1.108.7 (`llms/ollama/chat/transformation.py`,
//! `llms/ollama/completion/transformation.py`, `prompt_templates/factory.py: ollama_pt`),
//! with one fix: Ollama sends tool calls without ids, and LiteLLM invents random ones;
//! here they are derived from the response id and the call's position, so the same
//! answer always carries the same ids (a UUID, as LiteLLM's are).
//!
//! - `request.rs`: canonical request → `/api/chat` or `/api/generate` body;
//! - `response.rs`: answers → canonical responses, ids, usage;
//! - `stream.rs`: NDJSON lines → chunks;
//! - `error.rs`: `{"error": "…"}` answers → typed errors.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use llmux_types::{ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, Error};

use crate::{ParamSpec, ParseContext, Target};

mod error;
mod request;
mod response;
mod stream;

pub use stream::OllamaStreamDecoder;

/// Where Ollama listens when no `api_base` is set.
pub const DEFAULT_API_BASE: &str = "http://localhost:11434";

/// Which endpoint a deployment uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `ollama_chat/…`: `/api/chat` with messages and tools.
    Chat,
    /// `ollama/…`: `/api/generate` with a prompt.
    Generate,
}

/// `OllamaChatConfig.get_supported_openai_params`. `tool_choice` is accepted as LiteLLM
/// accepts it: Ollama has no such control, the model decides.
pub const CHAT_PARAMS: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "max_tokens",
        "max_completion_tokens",
        "stream",
        "top_p",
        "temperature",
        "seed",
        "frequency_penalty",
        "stop",
        "tools",
        "tool_choice",
        "functions",
        "response_format",
        "reasoning_effort",
    ],
    function_calling: &[],
    reasoning: &[],
};

/// `OllamaConfig.get_supported_openai_params` (`/api/generate`).
pub const GENERATE_PARAMS: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "max_tokens",
        "stream",
        "top_p",
        "temperature",
        "seed",
        "frequency_penalty",
        "stop",
        "response_format",
        "max_completion_tokens",
        "reasoning_effort",
    ],
    function_calling: &[],
    reasoning: &[],
};

fn post(
    t: &Target<'_>,
    path: &str,
    body: &serde_json::Value,
) -> Result<http::Request<Bytes>, Error> {
    let base = t
        .api_base
        .filter(|b| !b.is_empty())
        .unwrap_or(DEFAULT_API_BASE)
        .trim_end_matches('/');
    let mut builder = http::Request::post(format!("{base}{path}"))
        .header(http::header::CONTENT_TYPE, "application/json");
    if let Some(key) = t.api_key.filter(|k| !k.is_empty()) {
        let value = HeaderValue::try_from(format!("Bearer {key}"))
            .map_err(|_| Error::bad_request("the Ollama api_key is not a valid header value"))?;
        builder = builder.header(http::header::AUTHORIZATION, value);
    }
    for (k, v) in t.extra_headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let bytes = serde_json::to_vec(body)
        .map_err(|e| Error::bad_request(format!("cannot serialise the Ollama body: {e}")))?;
    builder
        .body(Bytes::from(bytes))
        .map_err(|e| Error::bad_request(format!("cannot build the Ollama request: {e}")))
}

/// Builds an `/api/chat` or `/api/generate` request.
pub fn build_chat_request(
    req: &ChatRequest,
    t: &Target<'_>,
    flavor: Flavor,
) -> Result<http::Request<Bytes>, Error> {
    match flavor {
        Flavor::Chat => post(t, "/api/chat", &request::chat_body(req)?),
        Flavor::Generate => post(t, "/api/generate", &request::generate_body(req)?),
    }
}

/// Parses an `/api/chat` or `/api/generate` answer.
pub fn parse_chat_response(
    body: &[u8],
    ctx: &ParseContext<'_>,
    flavor: Flavor,
) -> Result<ChatResponse, Error> {
    response::parse_chat_response(body, ctx, flavor)
}

/// Maps an Ollama error answer.
pub fn map_error(provider_id: &str, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    error::map_error(provider_id, status, headers, body)
}

/// Builds an `/api/embed` request.
pub fn build_embedding_request(
    req: &EmbeddingRequest,
    t: &Target<'_>,
) -> Result<http::Request<Bytes>, Error> {
    post(t, "/api/embed", &request::embed_body(req)?)
}

/// Parses an `/api/embed` answer.
pub fn parse_embedding_response(
    body: &[u8],
    want_base64: bool,
) -> Result<EmbeddingResponse, Error> {
    response::parse_embedding_response(body, want_base64)
}
