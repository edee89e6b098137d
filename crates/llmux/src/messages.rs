//! The network half of the `/v1/messages` entrance: native pass-through to Anthropic
//! and token counting. The translation for other providers is pure and lives in
//! `llmux_providers::messages_api`; it calls [`Client::chat`] / [`Client::chat_stream`].

use std::time::Instant;

use bytes::Bytes;
use llmux_providers::Provider;
use llmux_providers::messages_api::{self, ClientHeaders, MessageStartRestamper, RelayCheck};
use llmux_types::{Error, ErrorKind, JsonMap};
use serde_json::Value;

use crate::stream::Decode;
use crate::tokens::Encoding;
use crate::transport::DEFAULT_TIMEOUT;
use crate::{Client, Deployment, EventStream, Reply, RequestOverrides};

/// A native `/v1/messages` call: the client's body, forwarded as it is but for `model`.
#[derive(Debug, Clone, Default)]
pub struct MessagesPassthrough {
    /// The client's JSON body with LiteLLM's own keys taken out. Its `model` becomes the
    /// deployment's (in place: key order is kept); `"stream": true` streams.
    pub body: JsonMap,
    /// The client's `anthropic-version` header (default `2023-06-01`).
    pub anthropic_version: Option<String>,
    /// The client's `anthropic-beta` header, forwarded as is.
    pub anthropic_beta: Option<String>,
    /// The `model` the client sees in the answer and in `message_start` (the model group
    /// it asked for, as LiteLLM restamps it); `None` relays the upstream's.
    pub response_model: Option<String>,
}

/// An Anthropic answer relayed as the upstream sent it (but for the restamped `model`).
#[derive(Debug)]
pub enum MessagesAnswer {
    /// The JSON body.
    Json(Bytes),
    /// The SSE body, in the pieces it arrives in.
    Stream(EventStream<Bytes>),
}

/// A token count and where it came from: LiteLLM's `litellm_count_source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenCount {
    pub input_tokens: u64,
    /// `provider` (the upstream's count-tokens API) or `local_estimate` (tiktoken).
    pub source: &'static str,
}

/// Requests whose text is larger than this are counted on the blocking pool.
const INLINE_COUNT_BYTES: usize = 32 * 1024;

impl Client {
    /// Forwards an Anthropic-format request to an Anthropic deployment, natively: the
    /// body to `{api_base}/v1/messages` with `x-api-key`, `anthropic-version` and the
    /// client's `anthropic-beta`, with the deployment's timeouts, in one attempt (retries
    /// are the router's). Upstream errors come back typed (render them with
    /// [`Error::anthropic_body`]).
    pub async fn anthropic_messages(
        &self,
        dep: &Deployment,
        req: MessagesPassthrough,
        o: &RequestOverrides,
    ) -> Result<Reply<MessagesAnswer>, Error> {
        if dep.provider != Provider::Anthropic {
            return Err(Error::bad_request(format!(
                "native /v1/messages needs an Anthropic deployment, not '{}'",
                dep.provider.id()
            )));
        }
        dep.check_credentials()?;
        let MessagesPassthrough {
            mut body,
            anthropic_version,
            anthropic_beta,
            response_model,
        } = req;
        let stream = body.get("stream") == Some(&Value::Bool(true));
        body.insert("model".into(), Value::String(dep.model.clone()));
        let bytes = serde_json::to_vec(&body)
            .map_err(|e| Error::bad_request(format!("cannot encode the request: {e}")))?;
        let client_headers = ClientHeaders {
            anthropic_version: anthropic_version.as_deref(),
            anthropic_beta: anthropic_beta.as_deref(),
        };
        let http_req = messages_api::build_messages_request(
            Bytes::from(bytes),
            &dep.target(None),
            &client_headers,
        )?;
        let timeout = if stream {
            crate::client::stream_timeout(dep, o)
        } else {
            o.timeout.or(dep.timeout).unwrap_or(DEFAULT_TIMEOUT)
        };
        let started = Instant::now();
        let response = self.transport().send(dep, &http_req, timeout).await?;
        let headers = llmux_providers::openai::passthrough_headers(response.headers());
        let value = if stream {
            let relay = Relay {
                check: RelayCheck::new(),
                restamper: response_model.map(MessageStartRestamper::new),
                failed: None,
            };
            MessagesAnswer::Stream(EventStream::from_upstream(
                dep.clone(),
                response,
                relay,
                timeout,
                self.transport().limits.max_event_bytes,
            ))
        } else {
            let left = timeout.saturating_sub(started.elapsed());
            let body = self
                .transport()
                .read_body(dep, response, left, timeout)
                .await?;
            let restamped = response_model
                .as_deref()
                .and_then(|m| messages_api::restamp_message(&body, m));
            MessagesAnswer::Json(restamped.map_or(body, Bytes::from))
        };
        Ok(Reply {
            value,
            provider: dep.provider,
            attempts: 1,
            headers,
            upstream_time: started.elapsed(),
        })
    }

    /// `/v1/messages/count_tokens`: Anthropic deployments ask the upstream's count-tokens
    /// API; every other one gets LiteLLM's local tiktoken estimate
    /// ([`count_message_tokens_locally`]).
    pub async fn count_message_tokens(
        &self,
        dep: &Deployment,
        req: JsonMap,
        o: &RequestOverrides,
    ) -> Result<TokenCount, Error> {
        if dep.provider != Provider::Anthropic || dep.mock_response.is_some() {
            return count_message_tokens_locally(&dep.model, req).await;
        }
        dep.check_credentials()?;
        let http_req = messages_api::build_count_tokens_request(&req, &dep.target(None))?;
        let timeout = o.timeout.or(dep.timeout).unwrap_or(DEFAULT_TIMEOUT);
        let started = Instant::now();
        let response = self.transport().send(dep, &http_req, timeout).await?;
        let left = timeout.saturating_sub(started.elapsed());
        let body = self
            .transport()
            .read_body(dep, response, left, timeout)
            .await?;
        Ok(TokenCount {
            input_tokens: messages_api::parse_count_tokens(&body)?,
            source: "provider",
        })
    }
}

/// Relays an upstream SSE body frame by frame as it came, restamping `message_start`'s
/// model. Only complete frames go on (so the stream's event-size limit holds here too),
/// each checked: a malformed event, or an end before `message_stop`, ends the relay
/// with an error after the good frames, never with a stream that looks whole.
struct Relay {
    check: RelayCheck,
    restamper: Option<MessageStartRestamper>,
    /// The fault found after the frames last returned.
    failed: Option<Error>,
}

impl Relay {
    fn pass(&mut self, frames: Vec<u8>, checked: Result<(), Error>) -> Result<Vec<Bytes>, Error> {
        let mut out = Vec::with_capacity(1);
        if !frames.is_empty() {
            let frames = Bytes::from(frames);
            out.push(match &mut self.restamper {
                Some(r) => r.feed(frames),
                None => frames,
            });
        }
        if let Err(e) = checked {
            // Nothing more comes: what the restamper still holds goes first.
            out.extend(self.restamper.take().map(|mut r| r.finish()));
            if out.iter().all(Bytes::is_empty) {
                return Err(e);
            }
            self.failed = Some(e);
        }
        Ok(out)
    }
}

impl Decode for Relay {
    type Item = Bytes;

    fn feed(&mut self, bytes: &[u8]) -> Result<Vec<Bytes>, Error> {
        let mut frames = Vec::with_capacity(bytes.len());
        let checked = self.check.feed(bytes, &mut frames);
        self.pass(frames, checked)
    }

    fn finish(&mut self) -> Result<Vec<Bytes>, Error> {
        let mut frames = Vec::new();
        let checked = self.check.finish(&mut frames);
        let mut out = self.pass(frames, checked)?;
        out.extend(self.restamper.take().map(|mut r| r.finish()));
        Ok(out)
    }

    fn shape(&self, _dep: &Deployment, item: Bytes) -> Option<Bytes> {
        (!item.is_empty()).then_some(item)
    }

    fn take_error(&mut self) -> Option<Error> {
        self.failed.take()
    }
}

fn count_with(encoding: Encoding, req: &JsonMap) -> Result<u64, Error> {
    let bpe = encoding.bpe()?;
    let encode_len = |text: &str| bpe.count_ordinary(text);
    messages_api::count_request_tokens(req, &encode_len)
}

/// LiteLLM's local estimate of an Anthropic-format request's input tokens (`messages`,
/// `system`, `tools`) for the provider-side `model`. Small requests on a loaded encoding
/// are counted inline; big ones, and the first load of an encoding, on the blocking pool.
pub async fn count_message_tokens_locally(model: &str, req: JsonMap) -> Result<TokenCount, Error> {
    let encoding = Encoding::for_model(model);
    let small = text_bytes(&req) <= INLINE_COUNT_BYTES;
    let input_tokens = if small && encoding.is_loaded() {
        count_with(encoding, &req)?
    } else {
        tokio::task::spawn_blocking(move || count_with(encoding, &req))
            .await
            .map_err(|e| {
                Error::new(
                    ErrorKind::InternalServer,
                    format!("token counting failed: {e}"),
                )
            })??
    };
    Ok(TokenCount {
        input_tokens,
        source: "local_estimate",
    })
}

/// Bytes of text in a request (strings and keys), to decide where to count it.
fn text_bytes(map: &JsonMap) -> usize {
    fn of(v: &Value) -> usize {
        match v {
            Value::String(s) => s.len(),
            Value::Array(items) => items.iter().map(of).sum(),
            Value::Object(map) => text_bytes(map),
            _ => 0,
        }
    }
    map.iter().map(|(k, v)| k.len() + of(v)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encodings_follow_litellm() {
        assert_eq!(Encoding::for_model("gpt-4o-mini"), Encoding::O200kBase);
        assert_eq!(Encoding::for_model("o3-mini"), Encoding::O200kBase);
        assert_eq!(Encoding::for_model("gpt-4.1"), Encoding::O200kBase);
        assert_eq!(Encoding::for_model("gpt-4"), Encoding::Cl100kBase);
        assert_eq!(
            Encoding::for_model("llama-3.3-70b-versatile"),
            Encoding::Cl100kBase
        );
        assert_eq!(
            Encoding::for_model("my-private-gpt-4o"),
            Encoding::Cl100kBase
        );
    }

    #[tokio::test]
    async fn local_count_matches_litellm_token_counter() {
        // litellm.token_counter(model="gpt-4o-mini", messages=[{"role": "user", "content":
        // "Hello, how are you today?"}]) == 14
        let req = json!({"model": "x", "messages": [{"role": "user", "content": "Hello, how are you today?"}]});
        let count = count_message_tokens_locally("gpt-4o-mini", req.as_object().unwrap().clone())
            .await
            .unwrap();
        assert_eq!(
            count,
            TokenCount {
                input_tokens: 14,
                source: "local_estimate"
            }
        );
    }
}
