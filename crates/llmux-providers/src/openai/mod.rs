//! The OpenAI wire family: OpenAI itself, Azure OpenAI and every catalog provider.
//!
//! API reference: <https://platform.openai.com/docs/api-reference/chat>.

pub mod azure;
mod error;
pub(crate) mod params;
mod request;
mod response;
mod stream;

pub use error::{error_message, exception_name, map_error, passthrough_headers, retry_after};
pub(crate) use request::{bearer, join};
pub use request::{
    build_chat_request, build_completion_request, build_embedding_request, json_request,
};
pub use response::{parse_chat_response, parse_completion_response, parse_embedding_response};
pub use stream::{OpenAiCompletionStreamDecoder, OpenAiStreamDecoder};
