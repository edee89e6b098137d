//! Anthropic's Messages API: <https://docs.anthropic.com/en/api/messages>.
//!
//! Also Claude on Vertex AI (`rawPredict` / `streamRawPredict`): the same body without
//! `model`, with `anthropic_version: "vertex-2023-10-16"`.

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use llmux_types::{ChatChunk, ChatRequest, ChatResponse, Error};

use crate::{ParamSpec, ParseContext, Provider, Target};

pub mod types;

/// Which endpoint shape to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `{api_base}/v1/messages` with `x-api-key`.
    Direct,
    /// Vertex AI `…/publishers/anthropic/models/{model}:rawPredict` with a bearer token.
    Vertex,
}

/// LiteLLM's `AnthropicConfig.get_supported_openai_params`.
pub const PARAMS: ParamSpec = ParamSpec {
    all: false,
    base: &[],
    function_calling: &[],
    reasoning: &[],
};

fn not_yet() -> Error {
    Error::bad_request("llmux does not support provider 'anthropic' yet")
}

/// Builds the upstream request.
pub fn build_chat_request(
    _req: &ChatRequest,
    _t: &Target<'_>,
    _flavor: Flavor,
) -> Result<http::Request<Bytes>, Error> {
    Err(not_yet())
}

/// Parses a Messages API answer.
pub fn parse_chat_response(_body: &[u8], _ctx: &ParseContext<'_>) -> Result<ChatResponse, Error> {
    Err(not_yet())
}

/// Maps an Anthropic error answer.
pub fn map_error(
    provider: Provider,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    crate::openai::map_error(provider, status, headers, body)
}

/// Decodes Anthropic's SSE events into OpenAI chunks.
#[derive(Debug)]
pub struct AnthropicStreamDecoder {}

impl AnthropicStreamDecoder {
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
