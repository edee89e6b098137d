//! Anthropic's Messages API: <https://docs.anthropic.com/en/api/messages>, streaming
//! <https://docs.anthropic.com/en/docs/build-with-claude/streaming>, errors
//! <https://docs.anthropic.com/en/api/errors>.
//!
//! Also Claude on Vertex AI (`rawPredict` / `streamRawPredict`,
//! <https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude>): the
//! same body without `model`, with `anthropic_version: "vertex-2023-10-16"`.
//!
//! The translation follows LiteLLM 1.108.7 (`llms/anthropic/chat/`,
//! `prompt_templates/factory.py: anthropic_messages_pt`). What LiteLLM reads from its
//! model map and this adapter cannot see (it gets only a [`Target`]): the default
//! `max_tokens` of mapped models comes in `Target::max_output_tokens` (4096 otherwise); native
//! structured outputs (`output_format`; here always the `json_tool_call` tool),
//! adaptive thinking (here recognised by model family name), and tiktoken counts of
//! reasoning tokens Anthropic does not report (here estimated).
//!
//! - `request.rs`: canonical request → wire request (`messages.rs` converts the turns,
//!   `media.rs` images and files, `tools.rs` the tools, `endpoint.rs` picks URL and headers);
//! - `response.rs`: answer → canonical response;
//! - `stream.rs`: SSE events → chunks;
//! - `error.rs`: error answers → typed errors;
//! - [`types`]: the wire types, shared with the `/v1/messages` entrance.

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use llmux_types::{ChatRequest, ChatResponse, Error};

use crate::{ParamSpec, ParseContext, Provider, Target};

mod endpoint;
mod error;
mod media;
mod messages;
mod request;
mod response;
mod stream;
mod tools;
pub mod types;

pub use stream::AnthropicStreamDecoder;

/// Which endpoint shape to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `{api_base}/v1/messages` with `x-api-key`.
    Direct,
    /// Vertex AI `…/publishers/anthropic/models/{model}:rawPredict` with a bearer token.
    Vertex,
    /// AWS Bedrock InvokeModel (`bedrock/invoke/…`): the body without `model` or `stream`,
    /// `anthropic_version: "bedrock-2023-05-31"`, SigV4-signed by the caller.
    Bedrock,
}

/// LiteLLM's `AnthropicConfig.get_supported_openai_params`: `thinking` and
/// `reasoning_effort` only for reasoning models.
pub const PARAMS: ParamSpec = ParamSpec {
    all: false,
    base: BASE_PARAMS,
    function_calling: &[],
    reasoning: &["thinking", "reasoning_effort"],
};

/// `VertexAIAnthropicConfig`'s: the same less `service_tier`, which only the direct
/// API takes.
pub const VERTEX_PARAMS: ParamSpec = ParamSpec {
    all: false,
    base: BASE_PARAMS.split_at(BASE_PARAMS.len() - 1).0,
    function_calling: &[],
    reasoning: &["thinking", "reasoning_effort"],
};

/// Supported everywhere; `service_tier` stays last (see [`VERTEX_PARAMS`]).
const BASE_PARAMS: &[&str] = &[
    "stream",
    "stop",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "tools",
    "tool_choice",
    "extra_headers",
    "parallel_tool_calls",
    "response_format",
    "user",
    "web_search_options",
    "speed",
    "context_management",
    "cache_control",
    "service_tier",
];

/// Builds the upstream request.
pub fn build_chat_request(
    req: &ChatRequest,
    t: &Target<'_>,
    flavor: Flavor,
) -> Result<http::Request<Bytes>, Error> {
    request::build_chat_request(req, t, flavor)
}

/// Parses a Messages API answer.
pub fn parse_chat_response(body: &[u8], ctx: &ParseContext<'_>) -> Result<ChatResponse, Error> {
    response::parse_chat_response(body, ctx)
}

/// Maps an Anthropic error answer.
pub fn map_error(
    provider: Provider,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    error::map_error(provider, status, headers, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Capabilities;

    #[test]
    fn vertex_params_lack_only_service_tier() {
        let caps = Capabilities::default();
        assert!(PARAMS.supports("service_tier", caps));
        assert!(!VERTEX_PARAMS.supports("service_tier", caps));
        assert!(VERTEX_PARAMS.supports("tools", caps) && VERTEX_PARAMS.supports("user", caps));
        assert!(!PARAMS.supports("logit_bias", caps));
        assert!(!PARAMS.supports("thinking", caps));
        let reasoning = Capabilities {
            reasoning: true,
            ..caps
        };
        assert!(VERTEX_PARAMS.supports("reasoning_effort", reasoning));
    }
}
