//! Gemini (Google AI Studio) and Gemini on Vertex AI: <https://ai.google.dev/api/generate-content>.
//!
//! Vertex AI uses the same translation on
//! `{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent`.

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use llmux_types::{
    ChatChunk, ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, Error,
};

use crate::{ParamSpec, ParseContext, Provider, Target};

/// Which endpoint shape to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `{api_base}/models/{model}:generateContent` with `x-goog-api-key`.
    AiStudio,
    /// Vertex AI with a bearer token.
    Vertex,
}

/// LiteLLM's `GoogleAIStudioGeminiConfig.get_supported_openai_params`..
pub const PARAMS: ParamSpec = ParamSpec {
    all: false,
    base: &[],
    function_calling: &[],
    reasoning: &[],
};

fn not_yet() -> Error {
    Error::bad_request("llmux does not support provider 'gemini' yet")
}

/// Builds the upstream request.
pub fn build_chat_request(
    _req: &ChatRequest,
    _t: &Target<'_>,
    _flavor: Flavor,
) -> Result<http::Request<Bytes>, Error> {
    Err(not_yet())
}

/// Parses a generateContent answer.
pub fn parse_chat_response(_body: &[u8], _ctx: &ParseContext<'_>) -> Result<ChatResponse, Error> {
    Err(not_yet())
}

/// Maps a Gemini error answer.
pub fn map_error(
    provider: Provider,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    crate::openai::map_error(provider, status, headers, body)
}

/// Decodes Gemini's SSE stream into OpenAI chunks.
#[derive(Debug)]
pub struct GeminiStreamDecoder {}

impl GeminiStreamDecoder {
    pub fn new(_ctx: &ParseContext<'_>) -> Self {
        Self {}
    }

    pub fn feed(&mut self, _bytes: &[u8]) -> Result<Vec<ChatChunk>, Error> {
        Err(not_yet())
    }

    pub fn finish(&mut self) -> Result<Vec<ChatChunk>, Error> {
        Err(not_yet())
    }
}

/// Builds an `embedContent` / `batchEmbedContents` request.
pub fn build_embedding_request(
    _req: &EmbeddingRequest,
    _t: &Target<'_>,
    _flavor: Flavor,
) -> Result<http::Request<Bytes>, Error> {
    Err(not_yet())
}

/// Parses an embeddings answer.
pub fn parse_embedding_response(
    _body: &[u8],
    _req: &EmbeddingRequest,
    _want_base64: bool,
) -> Result<EmbeddingResponse, Error> {
    Err(not_yet())
}
