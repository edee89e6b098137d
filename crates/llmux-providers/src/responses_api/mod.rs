//! The `/v1/responses` entrance: OpenAI Responses requests in, Responses objects and
//! stream events out, whatever provider serves the model. Pure translation; the
//! gateway's `routes/responses.rs` and `llmux::Client::openai_responses` do the I/O.
//!
//! ```text
//! client ── ResponsesRequest (llmux_types) ──▶ gateway (history of previous_response_id
//!                                              read from its store)
//!   provider serves Responses ([`serves_responses`]: OpenAI, Azure)?
//!   ├─ yes: native ([`native`]): the client's body, `model` swapped, to
//!   │       {api_base}/responses (Azure: /openai/responses?api-version=); the answer
//!   │       relayed, `model` restamped; streams decoded ([`NativeStreamDecoder`]) so the
//!   │       gateway can price and store the completed response
//!   └─ no:  [`to_chat_request`] (history + input → messages) → Client::chat /
//!           chat_stream → [`from_chat_response`], or ChatChunk* →
//!           [`ResponsesStreamEncoder`] → `event: <type>\ndata: <json>\n\n`
//! ```
//!
//! The other direction, chat completions for `mode: responses` models sent to a
//! provider's `/v1/responses`, is [`chat_bridge`].
//!
//! Follows LiteLLM 1.108's `responses/litellm_completion_transformation/`; where it
//! differs (tool calls in bridged streams, unbridgeable tools a 400) it says so.

pub mod chat_bridge;
mod count;
mod native;
mod request;
mod response;
mod stream;

pub use count::count_body;
pub use native::{NativeEvent, NativeStreamDecoder, build_responses_request, serves_responses};
pub use request::to_chat_request;
pub use response::{
    ResponseIds, chat_usage, from_chat_response, incomplete_details, response_shell, status_of,
    usage,
};
pub use stream::{ResponsesStreamEncoder, write_sse_event};
