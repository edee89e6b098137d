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
pub mod logging;
/// Google OAuth for Vertex AI (moved into the credential layer; the old path stays).
pub use credentials::google as google_auth;
mod messages;
mod mock;
pub mod model_info;
mod options;
pub mod redact;
pub mod request_keys;
mod responses;
pub mod router;
pub mod secret;
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
pub use model_info::{
    model_info, supports_function_calling, supports_parallel_function_calling,
    supports_prompt_caching, supports_reasoning, supports_response_schema, supports_tool_choice,
    supports_vision,
};
pub use options::CallOptions;
pub use request_keys::{RequestKeys, RequestOverrides};
pub use responses::{NativeFrame, ResponsesAnswer, ResponsesPassthrough, chat_usage_of};
pub use router::{CallContext, Routed, Router};
pub use secret::Secret;
pub use stream::{ChatStream, CompletionStream, EventStream};
pub use tokens::count_text_tokens;
pub use transport::Limits;

/// A one-deployment router for a free-function call: the same attempt loop (retries,
/// hooks) as every other call, with `opts.num_retries` retries.
///
/// Cached per (model, options): a repeated call reuses its resolved deployment, so it
/// pays for provider resolution, credential files and token exchanges once (the
/// environment is read on first use). A miss builds on a blocking thread, since
/// resolving may read credential files. Every router shares one HTTP client.
async fn single(model: &str, opts: &CallOptions) -> Result<std::sync::Arc<Router>, Error> {
    let key = cache_key(model, opts);
    if let Some(router) = routers().get(&key) {
        return Ok(router);
    }
    let (owned_model, owned_opts) = (model.to_owned(), opts.clone());
    let built = tokio::task::spawn_blocking(move || build_single(&owned_model, &owned_opts))
        .await
        .map_err(|e| Error::new(ErrorKind::InternalServer, format!("resolving {model}: {e}")))??;
    let router = std::sync::Arc::new(built);
    routers().insert(key, router.clone());
    Ok(router)
}

fn build_single(model: &str, opts: &CallOptions) -> Result<Router, Error> {
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

/// How many (model, options) pairs the free functions keep resolved.
const ROUTER_CACHE_CAPACITY: u64 = 256;

fn routers() -> &'static moka::sync::Cache<String, std::sync::Arc<Router>> {
    static ROUTERS: std::sync::OnceLock<moka::sync::Cache<String, std::sync::Arc<Router>>> =
        std::sync::OnceLock::new();
    ROUTERS.get_or_init(|| moka::sync::Cache::new(ROUTER_CACHE_CAPACITY))
}

/// Everything in `opts` that changes the deployment, as one string (kept in memory
/// only, like the options themselves). Keys are in it exposed: their `Debug` is the
/// same for every key, and two keys must not share a router.
fn cache_key(model: &str, o: &CallOptions) -> String {
    let json = |m: &serde_json::Map<String, serde_json::Value>| {
        serde_json::to_string(m).unwrap_or_default()
    };
    let fields: [&dyn std::fmt::Debug; 15] = [
        &model,
        &o.custom_llm_provider,
        &o.api_base,
        &secret::expose_opt(&o.api_key),
        &o.api_version,
        &o.organization,
        &secret::expose_opt(&o.azure_ad_token),
        &o.timeout,
        &o.stream_timeout,
        &o.num_retries,
        &(
            &o.drop_params,
            &o.additional_drop_params,
            &o.allowed_openai_params,
        ),
        &o.extra_headers,
        &o.mock_response,
        &json(&o.provider_params),
        &json(&o.model_info),
    ];
    fields
        .iter()
        .map(|f| format!("{f:?}"))
        .collect::<Vec<_>>()
        .join("\u{0}")
}

/// A chat completion. Resolves `req.model` with `opts`, calls the provider, translates back.
pub async fn completion(req: ChatRequest, opts: &CallOptions) -> Result<ChatResponse, Error> {
    single(&req.model, opts).await?.completion(req).await
}

/// A streamed chat completion: a `Stream` of OpenAI chunks.
pub async fn completion_stream(req: ChatRequest, opts: &CallOptions) -> Result<ChatStream, Error> {
    single(&req.model, opts).await?.completion_stream(req).await
}

/// A legacy text completion.
pub async fn text_completion(
    req: CompletionRequest,
    opts: &CallOptions,
) -> Result<CompletionResponse, Error> {
    single(&req.model, opts).await?.text_completion(req).await
}

/// A streamed legacy text completion.
pub async fn text_completion_stream(
    mut req: CompletionRequest,
    opts: &CallOptions,
) -> Result<CompletionStream, Error> {
    req.stream = Some(true);
    let r = single(&req.model, opts).await?;
    let ctx = CallContext::new(router::Entrance::Library, router::Identity::Library);
    Ok(r.text_stream(&ctx, req).await?.value)
}

/// Embeddings.
pub async fn embedding(
    req: EmbeddingRequest,
    opts: &CallOptions,
) -> Result<EmbeddingResponse, Error> {
    single(&req.model, opts).await?.embedding(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key's `Debug` is the same for every key: the free functions' cache must still
    /// tell two keys apart, or a call would go out with another caller's key.
    #[test]
    fn options_that_differ_only_in_a_key_never_share_a_router() {
        let with = |api_key: &str, token: &str| CallOptions {
            api_key: Some(api_key.into()),
            azure_ad_token: Some(token.into()),
            ..CallOptions::default()
        };
        let key = |o: &CallOptions| cache_key("azure/dep", o);
        assert_eq!(key(&with("sk-a", "t")), key(&with("sk-a", "t")));
        assert_ne!(key(&with("sk-a", "t")), key(&with("sk-b", "t")));
        assert_ne!(key(&with("sk-a", "t")), key(&with("sk-a", "u")));
    }
}
