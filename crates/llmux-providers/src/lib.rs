//! Sans-IO provider adapters.
//!
//! A provider adapter is a handful of pure functions: build the upstream HTTP request
//! from a canonical request, parse the upstream answer (whole or streamed) into canonical
//! types, and map an upstream error to llmux's typed [`Error`]. Nothing here does I/O,
//! reads the clock or the environment: the caller (`llmux::client`) owns the network,
//! timeouts and retries, and passes in everything an adapter needs in a [`Target`].
//!
//! ```text
//! ChatRequest ──build_chat_request──▶ http::Request<Bytes> ──(caller sends)──▶ upstream
//! ChatResponse ◀──parse_chat_response── body bytes
//! ChatChunk*   ◀──StreamDecoder::feed── body bytes, split anywhere
//! Error        ◀──map_error──────────── status, headers, body
//! ```
//!
//! Dispatch is static: [`Provider`] is an enum, and each operation is an exhaustive
//! `match`, so a new family does not compile until every operation is wired.

pub mod compat;
mod error_text;
pub mod openai;
pub mod params;
mod resolve;
pub mod sse;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use llmux_types::{
    ChatChunk, ChatRequest, ChatResponse, CompletionRequest, CompletionResponse, EmbeddingRequest,
    EmbeddingResponse, Error,
};

pub use compat::{CATALOG, CompatProvider, Quirks};
pub use error_text::{is_content_policy_violation, is_context_window_exceeded};
pub use openai::{OpenAiCompletionStreamDecoder, OpenAiStreamDecoder};
pub use params::{Capabilities, ParamPolicy, ParamSpec, apply_param_policy};
pub use resolve::{Resolved, resolve_provider};

/// A provider llmux can call, by wire family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Provider {
    /// OpenAI itself.
    OpenAi,
    /// Azure OpenAI: deployment URLs, `api-version`, `api-key`.
    Azure,
    /// An OpenAI-compatible provider from the catalog.
    Compat(&'static CompatProvider),
}

/// Where and how to call a provider for one deployment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Target<'a> {
    /// The provider-side model (prefix stripped), or the Azure deployment name.
    pub model: &'a str,
    pub api_base: Option<&'a str>,
    pub api_key: Option<&'a str>,
    pub api_version: Option<&'a str>,
    pub organization: Option<&'a str>,
    pub azure_ad_token: Option<&'a str>,
    /// Headers added to the upstream request as given.
    pub extra_headers: &'a [(String, String)],
}

/// LiteLLM's default Azure `api-version`.
pub const AZURE_DEFAULT_API_VERSION: &str = "2025-02-01-preview";

impl Provider {
    /// LiteLLM's provider id (`openai`, `azure`, `groq`, …).
    pub fn id(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Azure => "azure",
            Self::Compat(row) => row.id,
        }
    }

    /// The provider of LiteLLM id `id`, if llmux implements it.
    pub fn from_id(id: &str) -> Option<Self> {
        match id {
            "openai" | "text-completion-openai" => Some(Self::OpenAi),
            "azure" | "azure_text" => Some(Self::Azure),
            other => compat::find(other).map(Self::Compat),
        }
    }

    /// LiteLLM's exception prefix for this provider (`OpenAIException`, `GroqException`).
    pub fn exception_name(self) -> String {
        openai::exception_name(self)
    }

    /// Environment variables that may hold this provider's key.
    pub fn key_env(self) -> &'static [&'static str] {
        match self {
            Self::OpenAi => &["OPENAI_API_KEY"],
            Self::Azure => &["AZURE_API_KEY", "AZURE_OPENAI_API_KEY"],
            Self::Compat(row) => row.key_env,
        }
    }

    /// Environment variables that may hold this provider's base URL.
    pub fn base_env(self) -> &'static [&'static str] {
        match self {
            Self::OpenAi => &["OPENAI_BASE_URL", "OPENAI_API_BASE"],
            Self::Azure => &["AZURE_API_BASE", "AZURE_OPENAI_ENDPOINT"],
            Self::Compat(row) => row.base_env.as_slice(),
        }
    }

    /// Environment variables that may hold the API version (Azure).
    pub fn version_env(self) -> &'static [&'static str] {
        match self {
            Self::Azure => &["AZURE_API_VERSION"],
            Self::OpenAi | Self::Compat(_) => &[],
        }
    }

    /// Whether a call with no key at all must fail before it is sent.
    pub fn key_required(self) -> bool {
        match self {
            Self::OpenAi => true,
            Self::Azure => false, // an Entra token may stand in for the key
            Self::Compat(row) => row.key_required,
        }
    }

    /// The chat parameters this provider accepts.
    pub fn chat_params(self) -> ParamSpec {
        match self {
            Self::OpenAi | Self::Azure => ParamSpec::ALL,
            Self::Compat(row) => row.params,
        }
    }

    fn quirks(self) -> Quirks {
        match self {
            Self::OpenAi => Quirks::NONE,
            Self::Azure => Quirks::OPENAI_LIKE,
            Self::Compat(row) => row.quirks,
        }
    }

    /// Whether LiteLLM puts `cost` into the usage chunk of this provider's streams.
    pub fn stream_usage_has_cost(self) -> bool {
        matches!(self, Self::OpenAi | Self::Azure)
    }

    /// Builds the upstream chat request. `req.model` must already be the provider-side model.
    pub fn build_chat_request(
        self,
        req: &ChatRequest,
        t: &Target<'_>,
    ) -> Result<http::Request<Bytes>, Error> {
        match self {
            Self::OpenAi | Self::Compat(_) => {
                openai::build_chat_request(self, req, t, self.quirks())
            }
            Self::Azure => openai::azure::build_chat_request(req, t),
        }
    }

    /// Parses a successful (2xx) chat answer.
    pub fn parse_chat_response(self, body: &[u8]) -> Result<ChatResponse, Error> {
        match self {
            Self::OpenAi | Self::Azure | Self::Compat(_) => {
                openai::parse_chat_response(self.id(), body, self.quirks())
            }
        }
    }

    /// A decoder for this provider's stream framing.
    pub fn stream_decoder(self) -> StreamDecoder {
        match self {
            Self::OpenAi | Self::Azure | Self::Compat(_) => {
                StreamDecoder::OpenAi(OpenAiStreamDecoder::new(self.id()))
            }
        }
    }

    /// A decoder for this provider's text-completion stream.
    pub fn completion_stream_decoder(self) -> CompletionStreamDecoder {
        match self {
            Self::OpenAi | Self::Azure | Self::Compat(_) => {
                CompletionStreamDecoder::OpenAi(OpenAiCompletionStreamDecoder::new(self.id()))
            }
        }
    }

    /// Maps an upstream error answer to the typed error.
    pub fn map_error(self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
        match self {
            Self::OpenAi | Self::Azure | Self::Compat(_) => {
                openai::map_error(self, status, headers, body)
            }
        }
    }

    /// Builds the upstream embeddings request.
    pub fn build_embedding_request(
        self,
        req: &EmbeddingRequest,
        t: &Target<'_>,
    ) -> Result<http::Request<Bytes>, Error> {
        match self {
            Self::OpenAi | Self::Compat(_) => openai::build_embedding_request(req, t),
            Self::Azure => openai::azure::build_embedding_request(req, t),
        }
    }

    /// Parses a successful embeddings answer. `want_base64` is what the client asked for.
    pub fn parse_embedding_response(
        self,
        body: &[u8],
        want_base64: bool,
    ) -> Result<EmbeddingResponse, Error> {
        match self {
            Self::OpenAi | Self::Azure | Self::Compat(_) => {
                openai::parse_embedding_response(self.id(), body, want_base64)
            }
        }
    }

    /// Builds the upstream text-completion request.
    pub fn build_completion_request(
        self,
        req: &CompletionRequest,
        t: &Target<'_>,
    ) -> Result<http::Request<Bytes>, Error> {
        match self {
            Self::OpenAi | Self::Compat(_) => openai::build_completion_request(req, t),
            Self::Azure => openai::azure::build_completion_request(req, t),
        }
    }

    /// Parses a successful text-completion answer.
    pub fn parse_completion_response(self, body: &[u8]) -> Result<CompletionResponse, Error> {
        match self {
            Self::OpenAi | Self::Azure | Self::Compat(_) => {
                openai::parse_completion_response(self.id(), body)
            }
        }
    }
}

/// A stream decoder of any family (static dispatch, no boxing).
#[derive(Debug)]
pub enum StreamDecoder {
    OpenAi(OpenAiStreamDecoder),
}

impl StreamDecoder {
    /// Feeds a piece of the body; returns the chunks it completes.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<ChatChunk>, Error> {
        match self {
            Self::OpenAi(d) => d.feed(bytes),
        }
    }

    /// End of body: the last chunks, or an error if the stream was cut off.
    pub fn finish(&mut self) -> Result<Vec<ChatChunk>, Error> {
        match self {
            Self::OpenAi(d) => d.finish(),
        }
    }
}

/// A text-completion stream decoder of any family.
#[derive(Debug)]
pub enum CompletionStreamDecoder {
    OpenAi(OpenAiCompletionStreamDecoder),
}

impl CompletionStreamDecoder {
    /// Feeds a piece of the body; returns the chunks it completes.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<CompletionResponse>, Error> {
        match self {
            Self::OpenAi(d) => d.feed(bytes),
        }
    }

    /// End of body.
    pub fn finish(&mut self) -> Result<Vec<CompletionResponse>, Error> {
        match self {
            Self::OpenAi(d) => d.finish(),
        }
    }
}
