//! The `/v1/messages` entrance: Anthropic-format requests in, Anthropic-format answers
//! out, whatever provider serves the model. Pure translation; the gateway's
//! `routes/messages.rs` and `llmux::Client::anthropic_messages` do the I/O.
//!
//! ```text
//! client ── Anthropic request (wire types: crate::anthropic::types) ──▶ gateway
//!   deployment is Anthropic?
//!   ├─ yes: native pass-through ([`passthrough`]): the client's body, `model` swapped
//!   │       for the deployment's, to {api_base}/v1/messages; the answer (JSON or SSE
//!   │       bytes) relayed as is, `model` restamped to the client's name
//!   └─ no:  [`to_chat_request`] → canonical ChatRequest → Client::chat / chat_stream
//!           → [`from_chat_response`] (JSON), or ChatChunk* → [`MessagesStreamEncoder`]
//!           → `event: <type>\ndata: <json>\n\n` frames ([`write_sse_event`])
//! errors: `{"type": "error", "error": {"type", "message"}}` (`Error::anthropic_body`);
//!         an `event: error` frame ([`error_event`]) once a stream has started
//! count_tokens: Anthropic → its own `/v1/messages/count_tokens`; else LiteLLM's local
//!         estimate ([`count_request_tokens`]) on the caller's tokenizer
//! ```
//!
//! Everything here follows LiteLLM 1.108's `llms/anthropic/pass_through/adapters/`
//! (`LiteLLMAnthropicMessagesAdapter`, `AnthropicStreamWrapper`) and
//! `proxy/anthropic_endpoints/`; deviations are noted where they are made.

mod count;
mod passthrough;
mod relay_check;
mod request;
mod response;
mod stream;
mod tool_names;

pub use count::{EncodeLen, IMAGE_TOKENS, count_request_tokens, count_text, function_definitions};
pub use passthrough::{
    ClientHeaders, DEFAULT_ANTHROPIC_VERSION, DEFAULT_API_BASE, MessageStartRestamper,
    TOKEN_COUNTING_BETA, anthropic_base, build_count_tokens_request, build_messages_request,
    parse_count_tokens, restamp_message,
};
pub use relay_check::RelayCheck;
pub use request::{ChatTranslation, to_chat_request};
pub use response::{from_chat_response, stop_reason, usage, usage_delta};
pub use stream::{MessagesStreamEncoder, error_event, event_name, write_sse_event};
pub use tool_names::{ToolNames, truncate_tool_name};
