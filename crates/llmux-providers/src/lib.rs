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

pub mod anthropic;
pub mod bedrock;
pub mod cohere;
pub mod compat;
mod compat_params;
mod compat_rules;
mod embedding_vectors;
mod error_text;
pub mod gemini;
pub mod messages_api;
pub mod ollama;
pub mod openai;
pub mod params;
mod python_json;
mod resolve;
pub mod responses_api;
pub mod sse;
pub mod text_bridge;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use llmux_types::{
    ChatChunk, ChatRequest, ChatResponse, CompletionRequest, CompletionResponse, EmbeddingRequest,
    EmbeddingResponse, Error, JsonMap,
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
    /// Anthropic's Messages API.
    Anthropic,
    /// Google AI Studio (Gemini API).
    Gemini,
    /// Gemini models on Vertex AI (`vertex_ai/gemini-…`).
    VertexGemini,
    /// Claude on Vertex AI (`vertex_ai/claude-…`, rawPredict).
    VertexAnthropic,
    /// AWS Bedrock's Converse API (`bedrock/…`, `bedrock/converse/…`), SigV4-signed by the caller.
    Bedrock,
    /// Anthropic models through Bedrock's InvokeModel (`bedrock/invoke/anthropic.…`): the
    /// Anthropic family's body and answers, SigV4-signed by the caller.
    BedrockInvoke,
    /// Ollama's chat API (`ollama_chat/…`, `/api/chat`).
    OllamaChat,
    /// Ollama's generate API (`ollama/…`, `/api/generate` with a prompt).
    Ollama,
    /// Cohere's v2 chat (`cohere_chat/…`).
    CohereChat,
    /// Cohere's v2 API under LiteLLM's `cohere` id (`cohere/…`: embed models, and chat).
    Cohere,
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
    /// An OAuth bearer token the caller obtained (Vertex AI).
    pub bearer_token: Option<&'a str>,
    /// Provider-specific connection settings from `litellm_params` (`vertex_project`,
    /// `vertex_location`, …).
    pub params: Option<&'a JsonMap>,
    /// Headers added to the upstream request as given.
    pub extra_headers: &'a [(String, String)],
    /// The model's output limit from the registry (LiteLLM's `get_max_tokens`), for
    /// providers that need a `max_tokens` the client did not send (Anthropic).
    pub max_output_tokens: Option<u64>,
}

impl Target<'_> {
    /// A provider-specific string setting.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params?.get(name)?.as_str()
    }
}

/// What a response parser may not compute itself (sans-IO: no clock, no randomness).
#[derive(Debug, Clone, Copy)]
pub struct ParseContext<'a> {
    /// Unix time for `created` when the provider sends none.
    pub created: u64,
    /// `id` for answers whose provider sends none LiteLLM keeps (`chatcmpl-<uuid>`).
    pub response_id: &'a str,
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
            Self::Anthropic => "anthropic",
            Self::Gemini => "gemini",
            Self::VertexGemini | Self::VertexAnthropic => "vertex_ai",
            Self::Bedrock | Self::BedrockInvoke => "bedrock",
            Self::OllamaChat => "ollama_chat",
            Self::Ollama => "ollama",
            Self::CohereChat => "cohere_chat",
            Self::Cohere => "cohere",
        }
    }

    /// The provider of LiteLLM id `id` for `model`, if llmux implements it.
    pub fn from_id(id: &str, model: &str) -> Option<Self> {
        match id {
            "openai" | "text-completion-openai" => Some(Self::OpenAi),
            "azure" | "azure_text" => Some(Self::Azure),
            "anthropic" => Some(Self::Anthropic),
            "gemini" => Some(Self::Gemini),
            "ollama_chat" => Some(Self::OllamaChat),
            "ollama" => Some(Self::Ollama),
            "cohere_chat" => Some(Self::CohereChat),
            "cohere" => Some(Self::Cohere),
            "bedrock" if model.starts_with("invoke/") => Some(Self::BedrockInvoke),
            // The model map files Converse-only models under `bedrock_converse`.
            "bedrock" | "bedrock_converse" => Some(Self::Bedrock),
            "vertex_ai" | "vertex_ai_beta" => Some(if model.starts_with("claude") {
                Self::VertexAnthropic
            } else {
                Self::VertexGemini
            }),
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
            Self::Anthropic => &["ANTHROPIC_API_KEY"],
            Self::Gemini => &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
            Self::VertexGemini | Self::VertexAnthropic => &[],
            Self::Bedrock | Self::BedrockInvoke => &["AWS_BEARER_TOKEN_BEDROCK"],
            Self::OllamaChat | Self::Ollama => &["OLLAMA_API_KEY"],
            Self::CohereChat | Self::Cohere => &["COHERE_API_KEY", "CO_API_KEY"],
        }
    }

    /// Environment variables that may hold this provider's base URL.
    pub fn base_env(self) -> &'static [&'static str] {
        match self {
            Self::OpenAi => &["OPENAI_BASE_URL", "OPENAI_API_BASE"],
            Self::Azure => &["AZURE_API_BASE", "AZURE_OPENAI_ENDPOINT"],
            Self::Compat(row) => row.base_env.as_slice(),
            Self::Anthropic => &["ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"],
            Self::Gemini => &["GEMINI_API_BASE"],
            // AWS_BEDROCK_RUNTIME_ENDPOINT comes after `aws_bedrock_runtime_endpoint`, so the
            // deployment fills that setting instead of `api_base`.
            Self::VertexGemini | Self::VertexAnthropic | Self::Bedrock | Self::BedrockInvoke => &[],
            Self::OllamaChat | Self::Ollama => &["OLLAMA_API_BASE"],
            Self::CohereChat | Self::Cohere => &["COHERE_API_BASE"],
        }
    }

    /// Environment variables that may hold the API version (Azure).
    pub fn version_env(self) -> &'static [&'static str] {
        match self {
            Self::Azure => &["AZURE_API_VERSION"],
            _ => &[],
        }
    }

    /// Whether a call with no key at all must fail before it is sent.
    pub fn key_required(self) -> bool {
        match self {
            Self::OpenAi | Self::Anthropic | Self::Gemini | Self::CohereChat | Self::Cohere => true,
            // Azure: an Entra token may stand in; Vertex: OAuth tokens, not keys.
            // Bedrock: SigV4 credentials, or a bearer token in `api_key`.
            // Ollama: local, keyless unless a proxy in front asks for one.
            Self::Azure
            | Self::VertexGemini
            | Self::VertexAnthropic
            | Self::Bedrock
            | Self::BedrockInvoke
            | Self::OllamaChat
            | Self::Ollama => false,
            Self::Compat(row) => row.key_required,
        }
    }

    /// Whether calls need an OAuth bearer token the caller must obtain (Vertex AI).
    pub fn needs_google_token(self) -> bool {
        matches!(self, Self::VertexGemini | Self::VertexAnthropic)
    }

    /// Whether calls are SigV4-signed by the caller (AWS Bedrock) unless a bearer token is set.
    pub fn signs_with_sigv4(self) -> bool {
        matches!(self, Self::Bedrock | Self::BedrockInvoke)
    }

    /// The chat parameters this provider accepts.
    pub fn chat_params(self) -> ParamSpec {
        match self {
            Self::OpenAi | Self::Azure => ParamSpec::ALL,
            Self::Compat(row) => row.params,
            Self::Anthropic => anthropic::PARAMS,
            Self::VertexAnthropic => anthropic::VERTEX_PARAMS,
            Self::Gemini => gemini::PARAMS,
            Self::VertexGemini => gemini::VERTEX_PARAMS,
            Self::Bedrock => bedrock::PARAMS,
            // Anthropic's, less `service_tier`, which Bedrock does not take.
            Self::BedrockInvoke => anthropic::VERTEX_PARAMS,
            Self::OllamaChat => ollama::CHAT_PARAMS,
            Self::Ollama => ollama::GENERATE_PARAMS,
            Self::CohereChat | Self::Cohere => cohere::PARAMS,
        }
    }

    /// The chat parameters this provider accepts for `model` (the provider-side name, or
    /// an Azure deployment's `base_model`): [`Self::chat_params`] refined by LiteLLM's
    /// rules that key on the model name, on its web-search capability, or on whether the
    /// registry knows it (OpenAI's plain GPT models take no reasoning parameters).
    pub fn chat_params_for(self, model: &str, caps: Capabilities) -> ParamSpec {
        match self {
            Self::Compat(row) => compat_rules::chat_params(row, model, caps),
            Self::OpenAi => openai::params::openai_chat_params(model, caps),
            Self::Azure => openai::params::azure_chat_params(model),
            other => other.chat_params(),
        }
    }

    fn quirks(self) -> Quirks {
        match self {
            Self::Azure => Quirks::OPENAI_LIKE,
            Self::Compat(row) => row.quirks,
            _ => Quirks::NONE,
        }
    }

    /// Whether LiteLLM puts `cost` into the usage chunk of this provider's streams.
    pub fn stream_usage_has_cost(self) -> bool {
        matches!(
            self,
            Self::OpenAi | Self::Azure | Self::Gemini | Self::VertexGemini | Self::Bedrock
        )
    }

    /// LiteLLM's provider-specific request rewrites that the OpenAI wire format does not
    /// express by itself; call after the param policy, with `req.model` the provider-side
    /// model. Pure: only `req` changes.
    ///
    /// - `developer` turns become `system` except on OpenAI's o-series, which knows the role
    ///   (`BaseConfig.translate_developer_role_to_system_role`);
    /// - o-series and gpt-5 models take `max_completion_tokens`, not `max_tokens`;
    /// - Mistral's seed is `random_seed`, and its text-only content lists become strings;
    /// - the catalog rows' own rewrites (`compat_rules::prepare`: text-only lists as
    ///   strings, Fireworks resource names, Groq's browser search, magistral's prompt);
    /// - streams to providers that accept `stream_options` ask for usage, so the gateway
    ///   always learns a streamed call's tokens (LiteLLM's `always_include_stream_usage`);
    ///   the client's own choice is applied again when chunks are shaped.
    pub fn prepare_chat_request(self, req: &mut ChatRequest, caps: Capabilities) {
        let openai_reasoning =
            matches!(self, Self::OpenAi | Self::Azure) && is_openai_reasoning_model(&req.model);
        if !(openai_reasoning && is_o_series(&req.model)) {
            for m in &mut req.messages {
                if m.role == llmux_types::Role::Developer {
                    m.role = llmux_types::Role::System;
                }
            }
        }
        if openai_reasoning && req.max_completion_tokens.is_none() {
            req.max_completion_tokens = req.max_tokens.take();
        }
        if matches!(self, Self::Compat(row) if row.id == "mistral" || row.id == "codestral") {
            if let Some(seed) = req.seed.take() {
                req.extra.insert("random_seed".into(), seed.into());
            }
            flatten_text_only_content(req);
        }
        if req.stream == Some(true)
            && self
                .chat_params_for(&req.model, caps)
                .supports("stream_options", caps)
        {
            req.stream_options
                .get_or_insert_with(Default::default)
                .include_usage = Some(true);
        }
        if let Self::Compat(row) = self {
            compat_rules::prepare(row, req);
        }
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
            Self::Anthropic => anthropic::build_chat_request(req, t, anthropic::Flavor::Direct),
            Self::VertexAnthropic => {
                anthropic::build_chat_request(req, t, anthropic::Flavor::Vertex)
            }
            Self::Gemini => gemini::build_chat_request(req, t, gemini::Flavor::AiStudio),
            Self::VertexGemini => gemini::build_chat_request(req, t, gemini::Flavor::Vertex),
            Self::Bedrock => bedrock::build_chat_request(req, t),
            Self::BedrockInvoke if !t.model.contains("anthropic.") => Err(Error::bad_request(format!(
                "llmux calls bedrock/invoke/ for Anthropic models only; use bedrock/converse/{} for this one",
                t.model
            ))
            .with_provider("bedrock")),
            Self::BedrockInvoke => anthropic::build_chat_request(req, t, anthropic::Flavor::Bedrock),
            Self::OllamaChat => ollama::build_chat_request(req, t, ollama::Flavor::Chat),
            Self::Ollama => ollama::build_chat_request(req, t, ollama::Flavor::Generate),
            Self::CohereChat | Self::Cohere => cohere::build_chat_request(req, t),
        }
    }

    /// Parses a successful (2xx) chat answer.
    pub fn parse_chat_response(
        self,
        body: &[u8],
        ctx: &ParseContext<'_>,
    ) -> Result<ChatResponse, Error> {
        match self {
            Self::OpenAi | Self::Azure | Self::Compat(_) => {
                openai::parse_chat_response(self.id(), body, self.quirks())
            }
            Self::Anthropic | Self::VertexAnthropic | Self::BedrockInvoke => {
                anthropic::parse_chat_response(body, ctx)
            }
            Self::Gemini | Self::VertexGemini => gemini::parse_chat_response(body, ctx),
            Self::Bedrock => bedrock::parse_chat_response(body, ctx),
            Self::OllamaChat => ollama::parse_chat_response(body, ctx, ollama::Flavor::Chat),
            Self::Ollama => ollama::parse_chat_response(body, ctx, ollama::Flavor::Generate),
            Self::CohereChat | Self::Cohere => cohere::parse_chat_response(body, ctx),
        }
    }

    /// A decoder for this provider's stream framing.
    pub fn stream_decoder(self, ctx: &ParseContext<'_>) -> StreamDecoder {
        match self {
            Self::OpenAi | Self::Azure | Self::Compat(_) => {
                StreamDecoder::OpenAi(OpenAiStreamDecoder::new(self.id()))
            }
            Self::Anthropic | Self::VertexAnthropic => {
                StreamDecoder::Anthropic(anthropic::AnthropicStreamDecoder::new(ctx))
            }
            Self::Gemini | Self::VertexGemini => {
                StreamDecoder::Gemini(gemini::GeminiStreamDecoder::new(ctx))
            }
            Self::Bedrock => StreamDecoder::Bedrock(bedrock::BedrockStreamDecoder::new(ctx)),
            Self::BedrockInvoke => {
                StreamDecoder::BedrockInvoke(bedrock::BedrockInvokeStreamDecoder::new(ctx))
            }
            Self::OllamaChat => {
                StreamDecoder::Ollama(ollama::OllamaStreamDecoder::new(ctx, ollama::Flavor::Chat))
            }
            Self::Ollama => StreamDecoder::Ollama(ollama::OllamaStreamDecoder::new(
                ctx,
                ollama::Flavor::Generate,
            )),
            Self::CohereChat | Self::Cohere => {
                StreamDecoder::Cohere(cohere::CohereStreamDecoder::new(ctx))
            }
        }
    }

    /// A decoder for this provider's text-completion stream.
    pub fn completion_stream_decoder(self) -> Result<CompletionStreamDecoder, Error> {
        match self {
            Self::OpenAi | Self::Azure | Self::Compat(_) => Ok(CompletionStreamDecoder::OpenAi(
                OpenAiCompletionStreamDecoder::new(self.id()),
            )),
            Self::Anthropic
            | Self::VertexAnthropic
            | Self::Gemini
            | Self::VertexGemini
            | Self::Bedrock
            | Self::BedrockInvoke
            | Self::OllamaChat
            | Self::Ollama
            | Self::CohereChat
            | Self::Cohere => Err(self.unsupported("text completions")),
        }
    }

    /// Maps an upstream error answer to the typed error.
    pub fn map_error(self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
        match self {
            Self::OpenAi | Self::Azure | Self::Compat(_) => {
                openai::map_error(self, status, headers, body)
            }
            Self::Anthropic | Self::VertexAnthropic => {
                anthropic::map_error(self, status, headers, body)
            }
            Self::Gemini | Self::VertexGemini => gemini::map_error(self, status, headers, body),
            Self::Bedrock | Self::BedrockInvoke => bedrock::map_error(status, headers, body),
            Self::OllamaChat | Self::Ollama => ollama::map_error(self.id(), status, headers, body),
            Self::CohereChat | Self::Cohere => cohere::map_error(self.id(), status, headers, body),
        }
    }

    /// Builds the upstream embeddings request.
    pub fn build_embedding_request(
        self,
        req: &EmbeddingRequest,
        t: &Target<'_>,
    ) -> Result<http::Request<Bytes>, Error> {
        match self {
            Self::OpenAi | Self::Compat(_) => {
                openai::build_embedding_request(self, req, t, self.quirks())
            }
            Self::Azure => openai::azure::build_embedding_request(req, t),
            Self::Gemini => gemini::build_embedding_request(req, t, gemini::Flavor::AiStudio),
            Self::VertexGemini => gemini::build_embedding_request(req, t, gemini::Flavor::Vertex),
            Self::Bedrock | Self::BedrockInvoke => bedrock::build_embedding_request(req, t),
            Self::OllamaChat | Self::Ollama => ollama::build_embedding_request(req, t),
            Self::CohereChat | Self::Cohere => cohere::build_embedding_request(req, t),
            Self::Anthropic | Self::VertexAnthropic => Err(self.unsupported("embeddings")),
        }
    }

    /// LiteLLM's check of the OpenAI embeddings parameters the provider does not take
    /// (Gemini and Vertex: `encoding_format` other than `float`); with `drop_params` they
    /// are removed. Call before building the request and before reading what format the
    /// client wants.
    pub fn check_embedding_params(
        self,
        req: &mut EmbeddingRequest,
        drop_params: bool,
    ) -> Result<(), Error> {
        match self {
            Self::Gemini | Self::VertexGemini => {
                gemini::check_embedding_params(req, drop_params, self.id())
            }
            _ => Ok(()),
        }
    }

    /// Whether `model` takes one input per embeddings call (Bedrock's Titan models):
    /// a list is sent as one call per input, as LiteLLM's `_single_func_embeddings`.
    pub fn embeds_one_input_per_call(self, model: &str) -> bool {
        matches!(self, Self::Bedrock | Self::BedrockInvoke) && !model.contains("cohere.")
    }

    /// Parses a successful embeddings answer. `want_base64` is what the client asked for.
    pub fn parse_embedding_response(
        self,
        body: &[u8],
        req: &EmbeddingRequest,
        want_base64: bool,
    ) -> Result<EmbeddingResponse, Error> {
        match self {
            Self::OpenAi | Self::Azure | Self::Compat(_) => {
                openai::parse_embedding_response(self.id(), body, want_base64)
            }
            Self::Gemini | Self::VertexGemini => {
                gemini::parse_embedding_response(body, req, want_base64)
            }
            Self::Bedrock | Self::BedrockInvoke => {
                bedrock::parse_embedding_response(body, req, want_base64)
            }
            Self::OllamaChat | Self::Ollama => ollama::parse_embedding_response(body, want_base64),
            Self::CohereChat | Self::Cohere => cohere::parse_embedding_response(body, want_base64),
            Self::Anthropic | Self::VertexAnthropic => Err(self.unsupported("embeddings")),
        }
    }

    /// Builds the upstream text-completion request.
    pub fn build_completion_request(
        self,
        req: &CompletionRequest,
        t: &Target<'_>,
    ) -> Result<http::Request<Bytes>, Error> {
        match self {
            // Fireworks' text completions name the model as its chat does.
            Self::Compat(row) if row.id == "fireworks_ai" => {
                let mut req = req.clone();
                req.model = compat_rules::fireworks_resource_name(&req.model);
                openai::build_completion_request(self, &req, t, self.quirks())
            }
            Self::OpenAi | Self::Compat(_) => {
                openai::build_completion_request(self, req, t, self.quirks())
            }
            Self::Azure => openai::azure::build_completion_request(req, t),
            Self::Anthropic
            | Self::VertexAnthropic
            | Self::Gemini
            | Self::VertexGemini
            | Self::Bedrock
            | Self::BedrockInvoke
            | Self::OllamaChat
            | Self::Ollama
            | Self::CohereChat
            | Self::Cohere => Err(self.unsupported("text completions")),
        }
    }

    /// Parses a successful text-completion answer.
    pub fn parse_completion_response(self, body: &[u8]) -> Result<CompletionResponse, Error> {
        match self {
            Self::OpenAi | Self::Azure | Self::Compat(_) => {
                openai::parse_completion_response(self.id(), body)
            }
            Self::Anthropic
            | Self::VertexAnthropic
            | Self::Gemini
            | Self::VertexGemini
            | Self::Bedrock
            | Self::BedrockInvoke
            | Self::OllamaChat
            | Self::Ollama
            | Self::CohereChat
            | Self::Cohere => Err(self.unsupported("text completions")),
        }
    }

    fn unsupported(self, what: &str) -> Error {
        Error::bad_request(format!(
            "llmux does not support {what} on provider '{}'",
            self.id()
        ))
        .with_provider(self.id())
    }
}

/// Mistral's transform (`MistralConfig._transform_messages`): unless some message carries
/// an image or a file, list content becomes the concatenation of its text parts.
fn flatten_text_only_content(req: &mut ChatRequest) {
    use llmux_types::{ContentPart, MessageContent};
    let has_media = req.messages.iter().any(|m| {
        matches!(&m.content, Some(MessageContent::Parts(parts))
            if parts.iter().any(|p| matches!(p, ContentPart::ImageUrl { .. } | ContentPart::File { .. })))
    });
    if has_media {
        return;
    }
    for m in &mut req.messages {
        if let Some(content @ MessageContent::Parts(_)) = &m.content {
            let text = content.text();
            if !text.is_empty() {
                m.content = Some(MessageContent::Text(text));
            }
        }
    }
}

/// OpenAI's o-series, by the model's last path segment.
fn is_o_series(model: &str) -> bool {
    openai::params::is_o_series(model.rsplit('/').next().unwrap_or(model))
}

/// OpenAI models that take `max_completion_tokens` only: the o-series and gpt-5.
fn is_openai_reasoning_model(model: &str) -> bool {
    let name = model.rsplit('/').next().unwrap_or(model);
    is_o_series(name) || name.starts_with("gpt-5")
}

/// A stream decoder of any family (static dispatch, no boxing).
#[derive(Debug)]
pub enum StreamDecoder {
    OpenAi(OpenAiStreamDecoder),
    Anthropic(anthropic::AnthropicStreamDecoder),
    Gemini(gemini::GeminiStreamDecoder),
    Bedrock(bedrock::BedrockStreamDecoder),
    BedrockInvoke(bedrock::BedrockInvokeStreamDecoder),
    Ollama(ollama::OllamaStreamDecoder),
    Cohere(cohere::CohereStreamDecoder),
    /// A chat stream served by `/v1/responses` (`mode: responses` models).
    Responses(responses_api::chat_bridge::ResponsesChatStreamDecoder),
}

impl StreamDecoder {
    /// Feeds a piece of the body; returns the chunks it completes.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<ChatChunk>, Error> {
        match self {
            Self::OpenAi(d) => d.feed(bytes),
            Self::Anthropic(d) => d.feed(bytes),
            Self::Gemini(d) => d.feed(bytes),
            Self::Bedrock(d) => d.feed(bytes),
            Self::BedrockInvoke(d) => d.feed(bytes),
            Self::Ollama(d) => d.feed(bytes),
            Self::Cohere(d) => d.feed(bytes),
            Self::Responses(d) => d.feed(bytes),
        }
    }

    /// End of body: the last chunks, or an error if the stream was cut off.
    pub fn finish(&mut self) -> Result<Vec<ChatChunk>, Error> {
        match self {
            Self::OpenAi(d) => d.finish(),
            Self::Anthropic(d) => d.finish(),
            Self::Gemini(d) => d.finish(),
            Self::Bedrock(d) => d.finish(),
            Self::BedrockInvoke(d) => d.finish(),
            Self::Ollama(d) => d.finish(),
            Self::Cohere(d) => d.finish(),
            Self::Responses(d) => d.finish(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(v: serde_json::Value) -> ChatRequest {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn developer_becomes_system_except_on_the_o_series() {
        let body =
            json!({"model": "gpt-4o", "messages": [{"role": "developer", "content": "be brief"}]});
        let mut r = req(body.clone());
        Provider::OpenAi.prepare_chat_request(&mut r, Capabilities::default());
        assert_eq!(r.messages[0].role, llmux_types::Role::System);
        let mut r = req(
            json!({"model": "o3-mini", "messages": [{"role": "developer", "content": "x"}], "max_tokens": 100}),
        );
        Provider::OpenAi.prepare_chat_request(&mut r, Capabilities::default());
        assert_eq!(r.messages[0].role, llmux_types::Role::Developer);
        assert_eq!((r.max_tokens, r.max_completion_tokens), (None, Some(100)));
        let mut r = req(body);
        Provider::Compat(compat::find("groq").unwrap())
            .prepare_chat_request(&mut r, Capabilities::default());
        assert_eq!(r.messages[0].role, llmux_types::Role::System);
    }

    #[test]
    fn mistral_gets_text_only_lists_as_strings_unless_media_is_present() {
        let mistral = Provider::Compat(compat::find("mistral").unwrap());
        let mut r = req(json!({"model": "m", "messages": [
            {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
        ]}));
        mistral.prepare_chat_request(&mut r, Capabilities::default());
        assert_eq!(
            serde_json::to_value(&r.messages[0]).unwrap()["content"],
            "ab"
        );
        let body = json!({"model": "m", "messages": [
            {"role": "system", "content": [{"type": "text", "text": "s"}]},
            {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}]}
        ]});
        let mut r = req(body.clone());
        mistral.prepare_chat_request(&mut r, Capabilities::default());
        assert_eq!(
            serde_json::to_value(&r).unwrap()["messages"],
            body["messages"]
        );
        let mut r = req(
            json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": "a"}]}]}),
        );
        Provider::OpenAi.prepare_chat_request(&mut r, Capabilities::default());
        assert!(
            matches!(
                r.messages[0].content,
                Some(llmux_types::MessageContent::Parts(_))
            ),
            "OpenAI keeps lists"
        );
    }

    #[test]
    fn mistral_seed_is_random_seed() {
        let mut r = req(json!({"model": "mistral-small-latest", "messages": [], "seed": 7}));
        Provider::Compat(compat::find("mistral").unwrap())
            .prepare_chat_request(&mut r, Capabilities::default());
        assert_eq!(r.seed, None);
        assert_eq!(r.extra["random_seed"], 7);
    }

    #[test]
    fn streams_ask_for_usage_where_the_provider_takes_stream_options() {
        let body = json!({"model": "gpt-4o-mini", "messages": [], "stream": true, "stream_options": {"include_usage": false}});
        let mut r = req(body.clone());
        Provider::OpenAi.prepare_chat_request(&mut r, Capabilities::default());
        assert_eq!(r.stream_options.unwrap().include_usage, Some(true));
        let mut r = req(json!({"model": "mistral-small-latest", "messages": [], "stream": true}));
        Provider::Compat(compat::find("mistral").unwrap())
            .prepare_chat_request(&mut r, Capabilities::default());
        assert!(r.stream_options.is_none());
        let mut r = req(json!({"model": "gpt-4o-mini", "messages": []}));
        Provider::OpenAi.prepare_chat_request(&mut r, Capabilities::default());
        assert!(r.stream_options.is_none(), "non-streams are left alone");
    }
}
