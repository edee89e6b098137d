//! The other direction: a chat completion for a model the registry lists as
//! `mode: responses` (o1-pro, codex-mini-latest, gpt-5-pro, …), which OpenAI serves on
//! `/v1/responses` only, sent there and answered as chat, as LiteLLM's
//! `completion_extras/litellm_responses_transformation`.
//!
//! ```text
//! ChatRequest ── to_responses_body ──▶ {api_base}/responses (Azure: /openai/responses)
//! ChatResponse ◀── parse_chat_response ── response object
//! ChatChunk*   ◀── ResponsesChatStreamDecoder ── Responses events, split anywhere
//! ```

mod request;
mod response;
mod stream;

use bytes::Bytes;
use llmux_types::{ChatRequest, Error};

pub use request::to_responses_body;
pub use response::parse_chat_response;
pub use stream::ResponsesChatStreamDecoder;

use crate::{Provider, Target};

/// Whether a chat request for a model of registry `mode` goes to `provider`'s
/// `/v1/responses` instead of its chat completions.
pub fn chat_goes_to_responses(provider: Provider, mode: Option<&str>) -> bool {
    mode == Some("responses") && super::serves_responses(provider)
}

/// The upstream request for a chat request bridged to `/v1/responses`.
pub fn build_chat_request(
    provider: Provider,
    req: &ChatRequest,
    t: &Target<'_>,
    drop_params: bool,
) -> Result<http::Request<Bytes>, Error> {
    let body = to_responses_body(req, drop_params)?;
    super::build_responses_request(provider, &body, t)
}
