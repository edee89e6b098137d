//! Canonical types of llmux: the OpenAI schema, typed where llmux reads a field and
//! lossless everywhere else.
//!
//! Every request and response that crosses llmux is one of these types. Provider adapters
//! (`llmux-providers`) translate them to and from each provider's wire format; the gateway
//! (`llmux-server`) parses client bodies into them and serialises them back.
//!
//! Two rules keep the types lossless:
//! - fields llmux does not read live in a `#[serde(flatten)] extra` map, so a parameter
//!   OpenAI adds tomorrow still reaches OpenAI-compatible providers;
//! - strings an upstream chooses (`role`, `finish_reason`) are open enums with an
//!   `Other(String)` arm, so a new value never breaks parsing.
//!
//! This crate does no I/O and knows no provider.

mod chat;
mod completion;
mod embedding;
mod error;
mod model_list;
#[macro_use]
mod open_enum;
mod response;
mod responses;
mod stream;

pub use chat::{
    ChatMessage, ChatRequest, ContentPart, FunctionDefinition, JsonSchemaFormat, MessageContent,
    ResponseFormat, StopSequences, StreamOptions, Tool, ToolChoice,
};
pub use completion::{CompletionChoice, CompletionPrompt, CompletionRequest, CompletionResponse};
pub use embedding::{
    Embedding, EmbeddingInput, EmbeddingRequest, EmbeddingResponse, EmbeddingUsage, EmbeddingVector,
};
pub use error::{Error, ErrorKind};
pub use model_list::{ModelCard, ModelList};
pub use open_enum::{FinishReason, Role};
pub use response::{
    ChatResponse, Choice, CompletionTokensDetails, FunctionCall, PromptTokensDetails,
    ResponseMessage, ToolCall, Usage,
};
pub use responses::{
    ContentItem, InputTokensDetails, ItemContent, ItemType, OutputTokensDetails, PartType,
    ReasoningConfig, ResponseItem, ResponseObject, ResponseStatus, ResponsesEvent, ResponsesInput,
    ResponsesRequest, ResponsesStreamEvent, ResponsesTool, ResponsesUsage, TextConfig, TextFormat,
};
pub use stream::{ChatChunk, ChunkChoice, Delta, FunctionCallDelta, ToolCallDelta};

/// JSON object used for every "the rest of the fields" map.
pub type JsonMap = serde_json::Map<String, serde_json::Value>;

/// Removes every `null` value of a map: LiteLLM's stream chunks never carry nulls.
pub fn strip_nulls(map: &mut JsonMap) {
    map.retain(|_, v| !v.is_null());
}
