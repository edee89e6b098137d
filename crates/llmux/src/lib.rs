//! llmux: one OpenAI-format interface to every major LLM provider.
//!
//! The provider is picked by the model string (`groq/llama-3.3-70b-versatile`,
//! `azure/my-deployment`, bare `gpt-4o-mini`), and each request and answer is translated
//! to that provider's wire format, streams included.
//!
//! ```no_run
//! # async fn demo() -> Result<(), llmux::Error> {
//! use llmux::{CallOptions, ChatMessage, ChatRequest};
//!
//! let req = ChatRequest {
//!     model: "openai/gpt-4o-mini".into(),
//!     messages: vec![ChatMessage::user("Say hello")],
//!     ..ChatRequest::default()
//! };
//! let answer = llmux::completion(req, &CallOptions::default()).await?;
//! println!("{:?}", answer.choices[0].message.content);
//! # Ok(()) }
//! ```
//!
//! `mock_response` answers without any network call, which makes examples and tests
//! self-contained:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), llmux::Error> {
//! use llmux::{CallOptions, ChatMessage, ChatRequest};
//!
//! let req = ChatRequest { model: "gpt-4o-mini".into(), messages: vec![ChatMessage::user("hi")], ..Default::default() };
//! let opts = CallOptions { mock_response: Some("Hello from the mock".into()), ..Default::default() };
//! let answer = llmux::completion(req, &opts).await?;
//! assert_eq!(answer.choices[0].message.content.as_deref(), Some("Hello from the mock"));
//! # Ok(()) }
//! ```
//!
//! Where things live: [`Deployment`] is a resolved model string (provider, key, base URL,
//! capabilities), built once; [`Client`] owns the one HTTP client and is the only place
//! that does network I/O, timeouts and retries; the translation itself is the sans-IO
//! `llmux-providers` crate.

mod client;
mod deployment;
pub mod google_auth;
mod messages;
mod mock;
mod options;
mod overrides;
mod shaping;
mod stream;
mod tokens;
mod transport;

pub use client::{Client, Reply};
pub use deployment::Deployment;
pub use llmux_providers::{Capabilities, ParamPolicy, ParseContext, Provider, Target};
pub use llmux_registry as models;
pub use llmux_types::*;
pub use messages::{MessagesAnswer, MessagesPassthrough, TokenCount, count_message_tokens_locally};
pub use mock::MockResponse;
pub use options::CallOptions;
pub use overrides::RequestOverrides;
pub use stream::{ChatStream, CompletionStream, EventStream};

use std::sync::OnceLock;

fn default_client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(Client::new)
}

/// A chat completion. Resolves `req.model` with `opts`, calls the provider, translates back.
pub async fn completion(req: ChatRequest, opts: &CallOptions) -> Result<ChatResponse, Error> {
    let dep = Deployment::from_options(&req.model, opts)?;
    Ok(default_client()
        .chat(&dep, req, &RequestOverrides::default())
        .await?
        .value)
}

/// A streamed chat completion: a `Stream` of OpenAI chunks.
pub async fn completion_stream(
    mut req: ChatRequest,
    opts: &CallOptions,
) -> Result<ChatStream, Error> {
    req.stream = Some(true);
    let dep = Deployment::from_options(&req.model, opts)?;
    Ok(default_client()
        .chat_stream(&dep, req, &RequestOverrides::default())
        .await?
        .value)
}

/// A legacy text completion.
pub async fn text_completion(
    req: CompletionRequest,
    opts: &CallOptions,
) -> Result<CompletionResponse, Error> {
    let dep = Deployment::from_options(&req.model, opts)?;
    Ok(default_client()
        .text_completion(&dep, req, &RequestOverrides::default())
        .await?
        .value)
}

/// A streamed legacy text completion.
pub async fn text_completion_stream(
    mut req: CompletionRequest,
    opts: &CallOptions,
) -> Result<CompletionStream, Error> {
    req.stream = Some(true);
    let dep = Deployment::from_options(&req.model, opts)?;
    Ok(default_client()
        .text_completion_stream(&dep, req, &RequestOverrides::default())
        .await?
        .value)
}

/// Embeddings.
pub async fn embedding(
    req: EmbeddingRequest,
    opts: &CallOptions,
) -> Result<EmbeddingResponse, Error> {
    let dep = Deployment::from_options(&req.model, opts)?;
    Ok(default_client()
        .embedding(&dep, req, &RequestOverrides::default())
        .await?
        .value)
}
