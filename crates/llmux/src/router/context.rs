//! The per-request context: built once at the entrance, read by the router, the hooks
//! and (later) the cache, the loggers and the key checks.

use std::sync::OnceLock;
use std::time::Instant;

use serde_json::Value;

use crate::RequestKeys;

/// Which API the request came in through; decides the answer's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entrance {
    ChatCompletions,
    Completions,
    Embeddings,
    /// `/v1/messages`, forwarded natively or translated.
    Messages,
    /// `/v1/messages/count_tokens`.
    CountTokens,
    /// `/v1/responses`, forwarded natively or bridged to chat completions.
    Responses,
    /// A library call (`Router::completion`, …).
    Library,
    /// Info and management routes (`/v1/models`, `/model/info`, `/health`).
    Admin,
}

impl Entrance {
    /// LiteLLM's `call_type` name.
    pub fn call_type(self) -> &'static str {
        match self {
            Self::ChatCompletions | Self::Library => "acompletion",
            Self::Completions => "atext_completion",
            Self::Embeddings => "aembedding",
            Self::Messages => "anthropic_messages",
            Self::CountTokens => "count_tokens",
            Self::Responses => "aresponses",
            Self::Admin => "admin",
        }
    }
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// No key configured: every caller is let in.
    Open,
    /// The gateway's master key.
    MasterKey,
    /// A library call.
    Library,
    /// A virtual key (`sk-…`), by the sha256 hex of the key: never the key itself. The
    /// key-check hook decides whether it is let in.
    VirtualKey { token: String },
}

/// Everything known about one request before it is routed.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// `x-litellm-call-id`.
    pub call_id: String,
    pub started: Instant,
    pub entrance: Entrance,
    pub identity: Identity,
    /// The body's `user`.
    pub user: Option<String>,
    /// LiteLLM's keys from the body (fallbacks, retries, mocks, tags, metadata, …).
    pub keys: RequestKeys,
    /// What the response cache made of this call, set once by its pre-call hook: read by
    /// its success hooks (where to store) and by the entrance (`x-litellm-cache-key`).
    pub cache: OnceLock<CacheLookup>,
    /// What the virtual-key check granted this call, set once by its pre-call hook: read
    /// by its success hooks (whose spend, which limits to end) and by the entrance (the
    /// `x-litellm-key-spend` and remaining-limit headers).
    pub grant: OnceLock<KeyGrant>,
    /// The request's messages and parameters as the loggers record them, set once by the
    /// logging hook's pre-call when message logging is on (`llmux::logging`).
    pub logged_request: OnceLock<std::sync::Arc<LoggedRequest>>,
}

/// The virtual-key check's verdict on one call it let in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyGrant {
    /// sha256 hex of the key.
    pub token: String,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    /// Response headers for the entrance to add (`x-litellm-key-spend`, …).
    pub headers: Vec<(&'static str, String)>,
    /// Shared-state ids counted for this call (the key's, its team's limits): each ends
    /// when the call does.
    pub limiter_ids: Vec<String>,
    /// Running totals (budgets' spend, `SharedState::add_to_total`) the call's cost
    /// adds to, each with the seed it starts at when it does not exist yet.
    pub totals: Vec<(String, f64)>,
    /// The request asked for a stream (its usage comes at the stream's end).
    pub stream: bool,
}

/// What the logging hook keeps of a request for its success and failure events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoggedRequest {
    /// `messages` (chat), `prompt` (completions), `input` (embeddings, responses).
    pub messages: Value,
    /// The request's other parameters (`temperature`, `max_tokens`, …).
    pub model_parameters: serde_json::Map<String, Value>,
    pub stream: bool,
}

/// The response cache's verdict on one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheLookup {
    /// `{namespace}:{sha256}`.
    pub key: String,
    /// The answer came from the cache.
    pub hit: bool,
}

impl CallContext {
    /// A context for a request arriving now.
    pub fn new(entrance: Entrance, identity: Identity) -> Self {
        Self {
            call_id: uuid::Uuid::new_v4().to_string(),
            started: Instant::now(),
            entrance,
            identity,
            user: None,
            keys: RequestKeys::default(),
            cache: OnceLock::new(),
            grant: OnceLock::new(),
            logged_request: OnceLock::new(),
        }
    }

    /// The client's `metadata` (LiteLLM's logging metadata), if any.
    pub fn metadata(&self) -> Option<&Value> {
        self.keys.overrides.metadata.as_ref()
    }

    /// Request tags (body `tags` and `metadata.tags`).
    pub fn tags(&self) -> &[String] {
        &self.keys.tags
    }
}
