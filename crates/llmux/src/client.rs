//! The call path: mock or prepare → send (with retries) → translate.

use std::time::{Duration, Instant};

use futures::StreamExt;
use llmux_providers::responses_api::chat_bridge;
use llmux_providers::{
    ParamPolicy, ParseContext, Provider, StreamDecoder, Target, apply_param_policy, text_bridge,
};
use llmux_types::{
    ChatRequest, ChatResponse, CompletionRequest, CompletionResponse, EmbeddingInput,
    EmbeddingRequest, EmbeddingResponse, Error,
};

use crate::shaping::StreamShape;
use crate::stream::{ChatDecode, CompletionStream};
use crate::tokens::{Encoding, count_ordinary};
use crate::transport::{DEFAULT_TIMEOUT, Transport};
use crate::{ChatStream, Deployment, RequestOverrides};

/// An answer and how it was obtained.
#[derive(Debug)]
pub struct Reply<T> {
    pub value: T,
    pub provider: Provider,
    /// Upstream attempts made: 1, or 0 when mocked (retries are the router's).
    pub attempts: u32,
    /// Upstream response headers worth relaying (LiteLLM's `llm_provider-*`).
    pub headers: Vec<(String, String)>,
    /// Time spent waiting on the upstream (to the last byte; to the headers for streams).
    pub upstream_time: Duration,
}

/// What one upstream exchange produced, besides the translated value.
struct Exchange {
    body: bytes::Bytes,
    attempts: u32,
    headers: Vec<(String, String)>,
    upstream_time: Duration,
}

impl Exchange {
    fn reply<T>(self, dep: &Deployment, value: T) -> Reply<T> {
        Reply {
            value,
            provider: dep.provider,
            attempts: self.attempts,
            headers: self.headers,
            upstream_time: self.upstream_time,
        }
    }
}

impl<T> Reply<T> {
    /// The same reply with its value rewritten (a text completion answered through chat).
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Reply<U> {
        Reply {
            value: f(self.value),
            provider: self.provider,
            attempts: self.attempts,
            headers: self.headers,
            upstream_time: self.upstream_time,
        }
    }

    /// An answer made without calling the provider (`mock_response`).
    fn mocked(dep: &Deployment, value: T) -> Self {
        Reply {
            value,
            provider: dep.provider,
            attempts: 0,
            headers: Vec::new(),
            upstream_time: Duration::ZERO,
        }
    }
}

/// The llmux client: owns the pooled HTTP client. Cheap to clone; share one.
#[derive(Debug, Clone)]
pub struct Client {
    transport: Transport,
}

impl Default for Client {
    fn default() -> Self {
        Self::new()
    }
}

impl Client {
    pub fn new() -> Self {
        Self {
            transport: Transport::new(),
        }
    }

    /// This client with `limits` on what it holds of an upstream answer.
    pub fn with_limits(mut self, limits: crate::Limits) -> Self {
        self.transport.limits = limits;
        self
    }

    /// The shared transport, for call kinds that build their own requests (the native
    /// `/v1/messages` pass-through in `messages.rs`).
    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }

    /// A chat completion on `dep`.
    pub async fn chat(
        &self,
        dep: &Deployment,
        req: ChatRequest,
        o: &RequestOverrides,
    ) -> Result<Reply<ChatResponse>, Error> {
        let start = start_chat(dep, req, o, false);
        self.finish_chat(dep, start?).await
    }

    /// A streamed chat completion on `dep`. An error after the first event ends the
    /// stream.
    pub async fn chat_stream(
        &self,
        dep: &Deployment,
        req: ChatRequest,
        o: &RequestOverrides,
    ) -> Result<Reply<ChatStream>, Error> {
        let start = start_chat(dep, req, o, true);
        self.finish_chat_stream(dep, start?).await
    }

    /// Sends a chat attempt [`start_chat`] prepared, and parses the answer.
    pub(crate) async fn finish_chat(
        &self,
        dep: &Deployment,
        start: ChatStart,
    ) -> Result<Reply<ChatResponse>, Error> {
        let (wire, timeout) = match start {
            ChatStart::Mocked(mock) => {
                return Ok(Reply::mocked(dep, mock.mock.response(&mock.model, mock.n)?));
            }
            ChatStart::Send { wire, timeout, .. } => (wire, timeout),
        };
        let ex = self.exchange(dep, timeout, wire).await?;
        let id = response_id();
        let ctx = ParseContext {
            created: now(),
            response_id: &id,
        };
        let value = if via_responses(dep) {
            chat_bridge::parse_chat_response(&ex.body, &ctx)?
        } else {
            dep.provider.parse_chat_response(&ex.body, &ctx)?
        };
        Ok(ex.reply(dep, value))
    }

    /// Opens a streamed chat attempt [`start_chat`] prepared.
    pub(crate) async fn finish_chat_stream(
        &self,
        dep: &Deployment,
        start: ChatStart,
    ) -> Result<Reply<ChatStream>, Error> {
        let (wire, timeout, include_usage) = match start {
            ChatStart::Mocked(mock) => {
                let chunks = mock.mock.chunks(&mock.model, mock.n, mock.include_usage)?;
                return Ok(Reply::mocked(dep, ChatStream::from_events(chunks)));
            }
            ChatStart::Send {
                wire,
                timeout,
                include_usage,
            } => (wire, timeout, include_usage),
        };
        let (response, ex) = self.open(dep, timeout, wire).await?;
        let id = response_id();
        let ctx = ParseContext {
            created: now(),
            response_id: &id,
        };
        let decoder = ChatDecode {
            decoder: if via_responses(dep) {
                StreamDecoder::Responses(chat_bridge::ResponsesChatStreamDecoder::new(&ctx))
            } else {
                dep.provider.stream_decoder(&ctx)
            },
            shape: StreamShape { include_usage },
        };
        Ok(ex.reply(
            dep,
            ChatStream::from_upstream(
                dep.clone(),
                response,
                decoder,
                timeout,
                self.transport.limits.max_event_bytes,
            ),
        ))
    }

    /// Embeddings on `dep`.
    pub async fn embedding(
        &self,
        dep: &Deployment,
        mut req: EmbeddingRequest,
        o: &RequestOverrides,
    ) -> Result<Reply<EmbeddingResponse>, Error> {
        if let Some(mock) = o.mock_response.as_ref().or(dep.mock_response.as_ref()) {
            return Ok(Reply::mocked(dep, mock.embedding(&dep.model)?));
        }
        dep.check_credentials()?;
        req.model.clone_from(&dep.model);
        dep.provider
            .check_embedding_params(&mut req, merged_policy(&dep.params, o).drop_params)?;
        let want_base64 = req.encoding_format.as_deref() == Some("base64");
        let timeout = o.timeout.or(dep.timeout).unwrap_or(DEFAULT_TIMEOUT);
        if let EmbeddingInput::Texts(texts) = &req.input
            && texts.len() > 1
            && dep.provider.embeds_one_input_per_call(&dep.model)
        {
            let texts = texts.clone();
            return self
                .embedding_per_input(dep, req, texts, want_base64, timeout)
                .await;
        }
        let wire = Wire::new(dep, |t| dep.provider.build_embedding_request(&req, t))?;
        let ex = self.exchange(dep, timeout, wire).await?;
        let mut value = dep
            .provider
            .parse_embedding_response(&ex.body, &req, want_base64)?;
        if value.usage.prompt_tokens == 0
            && matches!(dep.provider, Provider::Gemini | Provider::VertexGemini)
        {
            // Gemini's batchEmbedContents reports no usage; LiteLLM counts the text inputs
            // itself, joined without separator, with cl100k_base (media inputs left out).
            let text = embedding_text(&req.input);
            let tokens = count_ordinary(Encoding::Cl100kBase, text).await?;
            value.usage.prompt_tokens = tokens;
            value.usage.total_tokens = tokens;
        }
        Ok(ex.reply(dep, value))
    }

    /// Embeddings for a model that takes one input per call: one call per input, in
    /// order, within one timeout for them all; the answers joined, usage summed.
    async fn embedding_per_input(
        &self,
        dep: &Deployment,
        mut req: EmbeddingRequest,
        texts: Vec<String>,
        want_base64: bool,
        timeout: Duration,
    ) -> Result<Reply<EmbeddingResponse>, Error> {
        let started = Instant::now();
        let mut joined: Option<EmbeddingResponse> = None;
        let mut last: Option<Exchange> = None;
        let mut upstream_time = Duration::ZERO;
        let mut attempts = 0u32;
        for (i, text) in texts.into_iter().enumerate() {
            let left = timeout.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(crate::transport::timeout_error(dep, timeout));
            }
            req.input = EmbeddingInput::Text(text);
            let wire = Wire::new(dep, |t| dep.provider.build_embedding_request(&req, t))?;
            let ex = self.exchange(dep, left, wire).await?;
            let mut one = dep
                .provider
                .parse_embedding_response(&ex.body, &req, want_base64)?;
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            for e in &mut one.data {
                e.index = index;
            }
            upstream_time = upstream_time.saturating_add(ex.upstream_time);
            attempts = attempts.saturating_add(1);
            joined = Some(match joined {
                None => one,
                Some(mut all) => {
                    all.data.append(&mut one.data);
                    all.usage.prompt_tokens = all
                        .usage
                        .prompt_tokens
                        .saturating_add(one.usage.prompt_tokens);
                    all.usage.total_tokens = all
                        .usage
                        .total_tokens
                        .saturating_add(one.usage.total_tokens);
                    all
                }
            });
            last = Some(ex);
        }
        match (joined, last) {
            (Some(value), Some(mut ex)) => {
                ex.attempts = attempts;
                ex.upstream_time = upstream_time;
                Ok(ex.reply(dep, value))
            }
            _ => Err(Error::bad_request("input is an empty list").with_param("input")),
        }
    }

    /// A legacy text completion on `dep`.
    pub async fn text_completion(
        &self,
        dep: &Deployment,
        mut req: CompletionRequest,
        o: &RequestOverrides,
    ) -> Result<Reply<CompletionResponse>, Error> {
        if let Some(mock) = o.mock_response.as_ref().or(dep.mock_response.as_ref()) {
            return Ok(Reply::mocked(
                dep,
                mock.completion(&dep.model, req.n.unwrap_or(1))?,
            ));
        }
        if !serves_text_completions(dep) {
            let chat = text_bridge::completion_as_chat(&req)?;
            let reply = self.chat(dep, chat, o).await?;
            return Ok(reply.map(text_bridge::chat_as_completion));
        }
        dep.check_credentials()?;
        req.model.clone_from(&dep.model);
        let timeout = o.timeout.or(dep.timeout).unwrap_or(DEFAULT_TIMEOUT);
        let wire = Wire::new(dep, |t| dep.provider.build_completion_request(&req, t))?;
        let ex = self.exchange(dep, timeout, wire).await?;
        let value = dep.provider.parse_completion_response(&ex.body)?;
        Ok(ex.reply(dep, value))
    }

    /// A streamed legacy text completion on `dep`.
    pub async fn text_completion_stream(
        &self,
        dep: &Deployment,
        mut req: CompletionRequest,
        o: &RequestOverrides,
    ) -> Result<Reply<CompletionStream>, Error> {
        if let Some(mock) = o.mock_response.as_ref().or(dep.mock_response.as_ref()) {
            let events = mock.completion_chunks(&dep.model, req.n.unwrap_or(1))?;
            return Ok(Reply::mocked(dep, CompletionStream::from_events(events)));
        }
        if !serves_text_completions(dep) {
            let mut chat = text_bridge::completion_as_chat(&req)?;
            chat.stream = Some(true);
            let reply = self.chat_stream(dep, chat, o).await?;
            return Ok(reply.map(|chunks| {
                CompletionStream::from_stream(
                    chunks.map(|c| c.map(text_bridge::chunk_as_completion)),
                )
            }));
        }
        dep.check_credentials()?;
        req.model.clone_from(&dep.model);
        req.stream = Some(true);
        let decoder = dep.provider.completion_stream_decoder()?;
        let timeout = stream_timeout(dep, o);
        let wire = Wire::new(dep, |t| dep.provider.build_completion_request(&req, t))?;
        let (response, ex) = self.open(dep, timeout, wire).await?;
        Ok(ex.reply(
            dep,
            CompletionStream::from_upstream(
                dep.clone(),
                response,
                decoder,
                timeout,
                self.transport.limits.max_event_bytes,
            ),
        ))
    }

    /// Sends the upstream request once (with a fresh bearer token if the provider needs
    /// one), and reads the whole answer.
    async fn exchange(
        &self,
        dep: &Deployment,
        timeout: Duration,
        wire: Wire<'_>,
    ) -> Result<Exchange, Error> {
        let (response, mut ex) = self.open(dep, timeout, wire).await?;
        let started = Instant::now();
        // One budget for the whole attempt: the body gets what the headers left.
        let left = timeout.saturating_sub(ex.upstream_time);
        ex.body = self
            .transport
            .read_body(dep, response, left, timeout)
            .await?;
        ex.upstream_time += started.elapsed();
        Ok(ex)
    }

    /// As [`Client::exchange`], up to a 2xx status: the body is left to read (streams).
    async fn open(
        &self,
        dep: &Deployment,
        timeout: Duration,
        wire: Wire<'_>,
    ) -> Result<(reqwest::Response, Exchange), Error> {
        let mut http_req = match wire {
            Wire::Built(r) => r,
            Wire::Deferred(build) => {
                let token = bearer_token(dep).await?;
                build(&dep.target(crate::secret::expose_opt(&token)))?
            }
        };
        if let Some(auth) = &dep.credentials {
            auth.sign(&mut http_req).await?;
        }
        let started = Instant::now();
        let response = self.transport.send(dep, &http_req, timeout).await?;
        let ex = Exchange {
            body: bytes::Bytes::new(),
            attempts: 1,
            headers: llmux_providers::openai::passthrough_headers(response.headers()),
            upstream_time: started.elapsed(),
        };
        Ok((response, ex))
    }
}

type Build<'a> =
    Box<dyn FnOnce(&Target<'_>) -> Result<http::Request<bytes::Bytes>, Error> + Send + 'a>;

/// An attempt's upstream request, built before the attempt's first `.await` where it
/// can be: the attempt's future (moved through every router layer) then holds the wire
/// request, not the much larger typed one.
#[expect(
    clippy::large_enum_variant,
    reason = "the large variant is the common one; boxing it would allocate per call"
)]
pub(crate) enum Wire<'a> {
    Built(http::Request<bytes::Bytes>),
    /// Built once the deployment's credential source has answered (a token to write
    /// into the request: Vertex AI, Azure AD).
    Deferred(Build<'a>),
}

impl<'a> Wire<'a> {
    fn new(
        dep: &Deployment,
        build: impl FnOnce(&Target<'_>) -> Result<http::Request<bytes::Bytes>, Error> + Send + 'a,
    ) -> Result<Self, Error> {
        if dep.credentials.is_some() {
            Ok(Self::Deferred(Box::new(build)))
        } else {
            Ok(Self::Built(build(&dep.target(None))?))
        }
    }
}

/// A chat attempt, prepared from the typed request without awaiting anything.
#[expect(
    clippy::large_enum_variant,
    reason = "the large variant is the common one; boxing it would allocate per call"
)]
pub(crate) enum ChatStart {
    Mocked(Box<MockCall>),
    Send {
        wire: Wire<'static>,
        timeout: Duration,
        include_usage: bool,
    },
}

/// What a mocked chat attempt answers from.
pub(crate) struct MockCall {
    mock: crate::MockResponse,
    model: String,
    n: u32,
    include_usage: bool,
}

/// Prepares a chat attempt on `dep`: the mock, or the parameter policy applied and the
/// upstream request built.
pub(crate) fn start_chat(
    dep: &Deployment,
    mut req: ChatRequest,
    o: &RequestOverrides,
    stream: bool,
) -> Result<ChatStart, Error> {
    if stream {
        req.stream = Some(true);
    }
    let include_usage = req.include_usage();
    if let Some(mock) = o.mock_response.as_ref().or(dep.mock_response.as_ref()) {
        return Ok(ChatStart::Mocked(Box::new(MockCall {
            mock: mock.clone(),
            n: req.n.unwrap_or(1),
            model: req.model,
            include_usage,
        })));
    }
    prepare_chat(dep, &mut req, o)?;
    let timeout = if stream {
        stream_timeout(dep, o)
    } else {
        o.timeout.or(dep.timeout).unwrap_or(DEFAULT_TIMEOUT)
    };
    let provider = dep.provider;
    let wire = if via_responses(dep) {
        let drop = o.drop_params.unwrap_or(false) || dep.params.drop_params;
        Wire::new(dep, move |t| {
            chat_bridge::build_chat_request(provider, &req, t, drop)
        })?
    } else {
        Wire::new(dep, move |t| provider.build_chat_request(&req, t))?
    };
    Ok(ChatStart::Send {
        wire,
        timeout,
        include_usage,
    })
}

/// Applies the parameter policy and points the request at the deployment's model.
fn prepare_chat(
    dep: &Deployment,
    req: &mut ChatRequest,
    o: &RequestOverrides,
) -> Result<(), Error> {
    dep.check_credentials()?;
    let policy = merged_policy(&dep.params, o);
    apply_param_policy(
        req,
        &dep.chat_params(),
        dep.capabilities,
        &policy,
        dep.provider.id(),
        &dep.model,
    )?;
    // LiteLLM's own field: logging metadata, never the provider's.
    req.metadata = None;
    req.model.clone_from(&dep.model);
    dep.provider.prepare_chat_request(req, dep.capabilities);
    Ok(())
}

/// Whether `dep` takes text completions at its own `/completions` (LiteLLM bridges the
/// others, and OpenAI's chat models, to chat).
fn serves_text_completions(dep: &Deployment) -> bool {
    let chat_model = dep
        .model_info
        .as_ref()
        .is_some_and(|i| i.mode.as_deref() == Some("chat"));
    dep.provider.serves_text_completions(chat_model)
}

/// Whether `dep`'s model is served on `/v1/responses` only (registry `mode: responses`
/// on OpenAI or Azure): its chat calls are bridged there.
fn via_responses(dep: &Deployment) -> bool {
    let mode = dep.model_info.as_deref().and_then(|i| i.mode.as_deref());
    chat_bridge::chat_goes_to_responses(dep.provider, mode)
}

/// A streamed attempt's timeout: the request's `stream_timeout`, else its `timeout`,
/// else the deployment's (`stream_timeout`, then `timeout`).
pub(crate) fn stream_timeout(dep: &Deployment, o: &RequestOverrides) -> Duration {
    o.stream_timeout
        .or(o.timeout)
        .or(dep.stream_timeout)
        .or(dep.timeout)
        .unwrap_or(DEFAULT_TIMEOUT)
}

fn merged_policy(base: &ParamPolicy, o: &RequestOverrides) -> ParamPolicy {
    let mut p = base.clone();
    if let Some(drop) = o.drop_params {
        p.drop_params = drop || p.drop_params;
    }
    if let Some(extra) = &o.additional_drop_params {
        p.additional_drop_params.extend(extra.iter().cloned());
    }
    if let Some(extra) = &o.allowed_openai_params {
        p.allowed_openai_params.extend(extra.iter().cloned());
    }
    p
}

/// `chatcmpl-<uuid>`, LiteLLM's id for answers whose provider id it does not keep.
fn response_id() -> String {
    format!("chatcmpl-{}", uuid::Uuid::new_v4())
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The bearer token the deployment's credential source mints, if any.
async fn bearer_token(dep: &Deployment) -> Result<Option<crate::Secret>, Error> {
    match &dep.credentials {
        Some(auth) => auth.bearer_token().await,
        None => Ok(None),
    }
}

/// The text inputs of an embeddings request, joined as LiteLLM counts them.
fn embedding_text(input: &llmux_types::EmbeddingInput) -> String {
    use llmux_types::EmbeddingInput;
    let is_text = |s: &&String| !s.starts_with("data:") && !s.starts_with("gs://");
    match input {
        EmbeddingInput::Text(s) if is_text(&s) => s.clone(),
        EmbeddingInput::Texts(v) => v.iter().filter(is_text).map(String::as_str).collect(),
        EmbeddingInput::Text(_) | EmbeddingInput::Tokens(_) | EmbeddingInput::TokenLists(_) => {
            String::new()
        }
    }
}
