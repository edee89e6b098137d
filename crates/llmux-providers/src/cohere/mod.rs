//! Cohere's v2 API: chat (<https://docs.cohere.com/reference/chat>), its SSE stream
//! (<https://docs.cohere.com/reference/chat-stream>) and embed
//! (<https://docs.cohere.com/reference/embed>).
//!
//! The request follows LiteLLM 1.108.7 (`llms/cohere/chat/v2_transformation.py`,
//! `llms/cohere/embed/`): v2 chat takes OpenAI-shaped messages and tools, so the body is
//! the turns as given plus renamed parameters. As in LiteLLM, `api_base` is the complete
//! URL (`…/v2/chat`, `…/v2/embed`).
//!
//! The stream is parsed as the SSE it is. LiteLLM 1.108.7 cannot: it `json.loads` every raw
//! line and fails on the first `event:` line, so its Cohere streams always error. Here
//! `content-delta` is content, `tool-call-start`/`tool-call-delta` build tool calls,
//! `tool-plan-delta` is kept in `provider_specific_fields.tool_plan`, and `message-end`
//! gives the finish reason and usage.
//!
//! - `request.rs`: chat and embed bodies;
//! - `response.rs`: answers → canonical responses;
//! - `stream.rs`: SSE events → chunks;
//! - `error.rs`: `{"message": "…"}` answers → typed errors.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use llmux_types::{ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, Error};

use crate::{ParamSpec, ParseContext, Target};

mod error;
mod request;
mod response;
mod stream;

pub use stream::CohereStreamDecoder;

pub const DEFAULT_CHAT_URL: &str = "https://api.cohere.com/v2/chat";
pub const DEFAULT_EMBED_URL: &str = "https://api.cohere.com/v2/embed";

/// `CohereV2ChatConfig.get_supported_openai_params`.
pub const PARAMS: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "stream",
        "temperature",
        "max_tokens",
        "max_completion_tokens",
        "top_p",
        "frequency_penalty",
        "presence_penalty",
        "stop",
        "n",
        "tools",
        "tool_choice",
        "seed",
        "extra_headers",
    ],
    function_calling: &[],
    reasoning: &[],
};

fn post(
    t: &Target<'_>,
    default_url: &str,
    body: &serde_json::Value,
) -> Result<http::Request<Bytes>, Error> {
    let url = t.api_base.filter(|b| !b.is_empty()).unwrap_or(default_url);
    let key = t.api_key.unwrap_or_default();
    let auth = HeaderValue::try_from(format!("Bearer {key}"))
        .map_err(|_| Error::bad_request("the Cohere api_key is not a valid header value"))?;
    let mut builder = http::Request::post(url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::ACCEPT, "application/json")
        .header(http::header::AUTHORIZATION, auth)
        .header("request-source", "unspecified:litellm");
    for (k, v) in t.extra_headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let bytes = serde_json::to_vec(body)
        .map_err(|e| Error::bad_request(format!("cannot serialise the Cohere body: {e}")))?;
    builder
        .body(Bytes::from(bytes))
        .map_err(|e| Error::bad_request(format!("cannot build the Cohere request: {e}")))
}

/// Builds a v2 chat request.
pub fn build_chat_request(
    req: &ChatRequest,
    t: &Target<'_>,
) -> Result<http::Request<Bytes>, Error> {
    post(t, DEFAULT_CHAT_URL, &request::chat_body(req)?)
}

/// Parses a v2 chat answer.
pub fn parse_chat_response(body: &[u8], ctx: &ParseContext<'_>) -> Result<ChatResponse, Error> {
    response::parse_chat_response(body, ctx)
}

/// Maps a Cohere error answer.
pub fn map_error(provider_id: &str, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    error::map_error(provider_id, status, headers, body)
}

/// Builds a v2 embed request.
pub fn build_embedding_request(
    req: &EmbeddingRequest,
    t: &Target<'_>,
) -> Result<http::Request<Bytes>, Error> {
    post(t, DEFAULT_EMBED_URL, &request::embed_body(req)?)
}

/// Parses a v2 embed answer.
pub fn parse_embedding_response(
    body: &[u8],
    want_base64: bool,
) -> Result<EmbeddingResponse, Error> {
    response::parse_embedding_response(body, want_base64)
}
