//! The call path: mock or prepare → send (with retries) → translate.

use std::time::{Duration, Instant};

use llmux_providers::{ParamPolicy, ParseContext, Provider, apply_param_policy};
use llmux_types::{
    ChatRequest, ChatResponse, CompletionRequest, CompletionResponse, EmbeddingRequest,
    EmbeddingResponse, Error,
};

use crate::shaping::StreamShape;
use crate::stream::{ChatDecode, CompletionStream};
use crate::transport::{DEFAULT_TIMEOUT, Transport, read_body, relayed_headers};
use crate::{ChatStream, Deployment, RequestOverrides};

/// An answer and how it was obtained.
#[derive(Debug)]
pub struct Reply<T> {
    pub value: T,
    pub provider: Provider,
    /// Upstream attempts made (1 when the first try succeeded, 0 when mocked).
    pub attempts: u32,
    /// Upstream response headers worth relaying (LiteLLM's `llm_provider-*`).
    pub headers: Vec<(String, String)>,
    /// Time spent waiting on the upstream (to the last byte; to the headers for streams).
    pub upstream_time: Duration,
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

    /// A chat completion on `dep`.
    pub async fn chat(
        &self,
        dep: &Deployment,
        mut req: ChatRequest,
        o: &RequestOverrides,
    ) -> Result<Reply<ChatResponse>, Error> {
        if let Some(mock) = o.mock_response.as_ref().or(dep.mock_response.as_ref()) {
            let value = mock.response(&req.model, req.n.unwrap_or(1))?;
            return Ok(Reply {
                value,
                provider: dep.provider,
                attempts: 0,
                headers: Vec::new(),
                upstream_time: Duration::ZERO,
            });
        }
        prepare_chat(dep, &mut req, o)?;
        let token = bearer_token(dep).await?;
        let http_req = dep
            .provider
            .build_chat_request(&req, &dep.target(token.as_deref()))?;
        let timeout = o.timeout.or(dep.timeout).unwrap_or(DEFAULT_TIMEOUT);
        let started = Instant::now();
        let (up, headers) = self.send(dep, &http_req, timeout, o).await?;
        let body = read_body(dep, up.response, timeout).await?;
        let upstream_time = started.elapsed();
        let id = response_id();
        let value = dep.provider.parse_chat_response(
            &body,
            &ParseContext {
                created: now(),
                response_id: &id,
            },
        )?;
        Ok(Reply {
            value,
            provider: dep.provider,
            attempts: up.attempts,
            headers,
            upstream_time,
        })
    }

    /// A streamed chat completion on `dep`. Retries happen before the first byte; an
    /// error after it ends the stream.
    pub async fn chat_stream(
        &self,
        dep: &Deployment,
        mut req: ChatRequest,
        o: &RequestOverrides,
    ) -> Result<Reply<ChatStream>, Error> {
        req.stream = Some(true);
        let include_usage = req.include_usage();
        if let Some(mock) = o.mock_response.as_ref().or(dep.mock_response.as_ref()) {
            let chunks = mock.chunks(&req.model, req.n.unwrap_or(1), include_usage)?;
            return Ok(Reply {
                value: ChatStream::from_events(chunks),
                provider: dep.provider,
                attempts: 0,
                headers: Vec::new(),
                upstream_time: Duration::ZERO,
            });
        }
        prepare_chat(dep, &mut req, o)?;
        let token = bearer_token(dep).await?;
        let http_req = dep
            .provider
            .build_chat_request(&req, &dep.target(token.as_deref()))?;
        let timeout = o
            .timeout
            .or(dep.stream_timeout)
            .or(dep.timeout)
            .unwrap_or(DEFAULT_TIMEOUT);
        let started = Instant::now();
        let (up, headers) = self.send(dep, &http_req, timeout, o).await?;
        let upstream_time = started.elapsed();
        let shape = StreamShape {
            include_usage,
            cost_per_usage: dep
                .provider
                .stream_usage_has_cost()
                .then_some(Deployment::cost as _),
        };
        let decoder = ChatDecode {
            decoder: dep.provider.stream_decoder(&ParseContext {
                created: now(),
                response_id: &response_id(),
            }),
            shape,
        };
        let stream = ChatStream::from_upstream(dep.clone(), up.response, decoder, timeout);
        Ok(Reply {
            value: stream,
            provider: dep.provider,
            attempts: up.attempts,
            headers,
            upstream_time,
        })
    }

    /// Embeddings on `dep`.
    pub async fn embedding(
        &self,
        dep: &Deployment,
        mut req: EmbeddingRequest,
        o: &RequestOverrides,
    ) -> Result<Reply<EmbeddingResponse>, Error> {
        dep.check_credentials()?;
        req.model.clone_from(&dep.model);
        let want_base64 = req.encoding_format.as_deref() == Some("base64");
        let token = bearer_token(dep).await?;
        let http_req = dep
            .provider
            .build_embedding_request(&req, &dep.target(token.as_deref()))?;
        let timeout = o.timeout.or(dep.timeout).unwrap_or(DEFAULT_TIMEOUT);
        let started = Instant::now();
        let (up, headers) = self.send(dep, &http_req, timeout, o).await?;
        let body = read_body(dep, up.response, timeout).await?;
        let upstream_time = started.elapsed();
        let value = dep
            .provider
            .parse_embedding_response(&body, &req, want_base64)?;
        Ok(Reply {
            value,
            provider: dep.provider,
            attempts: up.attempts,
            headers,
            upstream_time,
        })
    }

    /// A legacy text completion on `dep`.
    pub async fn text_completion(
        &self,
        dep: &Deployment,
        mut req: CompletionRequest,
        o: &RequestOverrides,
    ) -> Result<Reply<CompletionResponse>, Error> {
        dep.check_credentials()?;
        req.model.clone_from(&dep.model);
        let token = bearer_token(dep).await?;
        let http_req = dep
            .provider
            .build_completion_request(&req, &dep.target(token.as_deref()))?;
        let timeout = o.timeout.or(dep.timeout).unwrap_or(DEFAULT_TIMEOUT);
        let started = Instant::now();
        let (up, headers) = self.send(dep, &http_req, timeout, o).await?;
        let body = read_body(dep, up.response, timeout).await?;
        let upstream_time = started.elapsed();
        let value = dep.provider.parse_completion_response(&body)?;
        Ok(Reply {
            value,
            provider: dep.provider,
            attempts: up.attempts,
            headers,
            upstream_time,
        })
    }

    /// A streamed legacy text completion on `dep`.
    pub async fn text_completion_stream(
        &self,
        dep: &Deployment,
        mut req: CompletionRequest,
        o: &RequestOverrides,
    ) -> Result<Reply<CompletionStream>, Error> {
        dep.check_credentials()?;
        req.model.clone_from(&dep.model);
        req.stream = Some(true);
        let token = bearer_token(dep).await?;
        let http_req = dep
            .provider
            .build_completion_request(&req, &dep.target(token.as_deref()))?;
        let timeout = o
            .timeout
            .or(dep.stream_timeout)
            .or(dep.timeout)
            .unwrap_or(DEFAULT_TIMEOUT);
        let started = Instant::now();
        let (up, headers) = self.send(dep, &http_req, timeout, o).await?;
        let upstream_time = started.elapsed();
        let stream = CompletionStream::from_upstream(
            dep.clone(),
            up.response,
            dep.provider.completion_stream_decoder()?,
            timeout,
        );
        Ok(Reply {
            value: stream,
            provider: dep.provider,
            attempts: up.attempts,
            headers,
            upstream_time,
        })
    }

    async fn send(
        &self,
        dep: &Deployment,
        http_req: &http::Request<bytes::Bytes>,
        timeout: Duration,
        o: &RequestOverrides,
    ) -> Result<(crate::transport::Upstream, Vec<(String, String)>), Error> {
        let retries = o.num_retries.unwrap_or(dep.num_retries);
        let up = self
            .transport
            .send(dep, http_req, timeout, retries)
            .await
            .map_err(|(e, _attempts)| e)?;
        let headers = relayed_headers(up.response.headers());
        Ok((up, headers))
    }
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
        &dep.provider.chat_params(),
        dep.capabilities,
        &policy,
        dep.provider.id(),
        &dep.model,
    )?;
    req.model.clone_from(&dep.model);
    Ok(())
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

/// The OAuth bearer token the deployment's provider needs, if any.
async fn bearer_token(dep: &Deployment) -> Result<Option<String>, Error> {
    match &dep.google_auth {
        Some(source) => source.token().await.map(Some),
        None => Ok(None),
    }
}
