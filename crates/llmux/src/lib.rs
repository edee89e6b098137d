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

pub mod cache;
mod client;
pub mod config;
pub mod credentials;
mod deployment;
/// Google OAuth for Vertex AI (moved into the credential layer; the old path stays).
pub use credentials::google as google_auth;
mod messages;
mod mock;
mod options;
pub mod redact;
pub mod request_keys;
mod responses;
pub mod router;
pub mod secrets;
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
pub use request_keys::{RequestKeys, RequestOverrides};
pub use responses::{NativeFrame, ResponsesAnswer, ResponsesPassthrough, chat_usage_of};
pub use router::{CallContext, Routed, Router};
pub use stream::{ChatStream, CompletionStream, EventStream};
pub use transport::Limits;

/// A one-deployment router for a free-function call: the same attempt loop (retries,
/// hooks) as every other call, with `opts.num_retries` retries.
fn single(model: &str, opts: &CallOptions) -> Result<Router, Error> {
    let entry = config::ModelEntry {
        model_name: model.to_owned(),
        litellm_params: config::LitellmParams {
            model: model.to_owned(),
            ..Default::default()
        },
        model_info: serde_json::Map::new(),
    };
    let dep = router::RouterDeployment {
        num_retries: Some(opts.num_retries.unwrap_or(0)),
        ..router::RouterDeployment::from_deployment(entry, Deployment::from_options(model, opts)?)
    };
    Router::from_deployments(vec![dep], default_client().clone())
}

fn default_client() -> &'static Client {
    static CLIENT: std::sync::OnceLock<Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(Client::new)
}

/// A chat completion. Resolves `req.model` with `opts`, calls the provider, translates back.
pub async fn completion(req: ChatRequest, opts: &CallOptions) -> Result<ChatResponse, Error> {
    single(&req.model, opts)?.completion(req).await
}

/// A streamed chat completion: a `Stream` of OpenAI chunks.
pub async fn completion_stream(req: ChatRequest, opts: &CallOptions) -> Result<ChatStream, Error> {
    single(&req.model, opts)?.completion_stream(req).await
}

/// A legacy text completion.
pub async fn text_completion(
    req: CompletionRequest,
    opts: &CallOptions,
) -> Result<CompletionResponse, Error> {
    single(&req.model, opts)?.text_completion(req).await
}

/// A streamed legacy text completion.
pub async fn text_completion_stream(
    mut req: CompletionRequest,
    opts: &CallOptions,
) -> Result<CompletionStream, Error> {
    req.stream = Some(true);
    let r = single(&req.model, opts)?;
    let ctx = CallContext::new(router::Entrance::Library, router::Identity::Library);
    Ok(r.text_stream(&ctx, req).await?.value)
}

/// Embeddings.
pub async fn embedding(
    req: EmbeddingRequest,
    opts: &CallOptions,
) -> Result<EmbeddingResponse, Error> {
    single(&req.model, opts)?.embedding(req).await
}
