//! The network half of the `/v1/responses` entrance: native pass-through to OpenAI and
//! Azure. The bridge for other providers is pure (`llmux_providers::responses_api`)
//! and calls [`Client::chat`] / [`Client::chat_stream`].

use std::time::Instant;

use bytes::Bytes;
use llmux_providers::responses_api::{
    self, NativeEvent, NativeStreamDecoder, build_responses_request,
};
use llmux_types::{Error, ErrorKind, JsonMap, ResponsesUsage, Usage};
use serde::Deserialize;
use serde_json::Value;

use crate::router::StreamEvent;
use crate::stream::Decode;
use crate::transport::DEFAULT_TIMEOUT;
use crate::{Client, Deployment, EventStream, Reply, RequestOverrides};

/// A native `/v1/responses` call: the client's body, forwarded as it is but for `model`.
#[derive(Debug, Clone, Default)]
pub struct ResponsesPassthrough {
    /// The client's JSON body with LiteLLM's own keys taken out; its `model` becomes
    /// the deployment's; `"stream": true` streams.
    pub body: JsonMap,
    /// The `model` the client sees in a whole answer (the model group, as LiteLLM
    /// restamps it); `None` keeps the upstream's.
    pub response_model: Option<String>,
}

/// A Responses answer from the upstream.
#[derive(Debug)]
pub enum ResponsesAnswer {
    /// The response object.
    Json(Box<JsonMap>),
    /// The stream's events as they arrive; the terminal one carries its `usage` priced.
    Stream(EventStream<NativeFrame>),
}

/// One event of a native Responses stream, with the usage of a terminal event.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct NativeFrame {
    pub event: NativeEvent,
    /// The terminal event's usage, as chat usage (for the router's token accounting).
    #[serde(default, skip)]
    pub usage: Option<Usage>,
}

impl StreamEvent for NativeFrame {
    fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }
}

impl Client {
    /// Forwards a Responses request to an OpenAI or Azure deployment, natively: the
    /// body to `{api_base}/responses` (Azure: `/openai/responses?api-version=`), with
    /// the deployment's key and timeouts, in one attempt (retries are the router's).
    pub async fn openai_responses(
        &self,
        dep: &Deployment,
        req: ResponsesPassthrough,
        o: &RequestOverrides,
    ) -> Result<Reply<ResponsesAnswer>, Error> {
        dep.check_credentials()?;
        let ResponsesPassthrough {
            mut body,
            response_model,
        } = req;
        let stream = body.get("stream") == Some(&Value::Bool(true));
        body.insert("model".into(), Value::String(dep.model.clone()));
        let http_req = build_responses_request(dep.provider, &body, &dep.target(None))?;
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
                decoder: NativeStreamDecoder::new(),
                ended: false,
            };
            ResponsesAnswer::Stream(EventStream::from_upstream(
                dep.clone(),
                response,
                relay,
                timeout,
                self.transport().limits.max_event_bytes,
            ))
        } else {
            let left = timeout.saturating_sub(started.elapsed());
            let bytes = self
                .transport()
                .read_body(dep, response, left, timeout)
                .await?;
            let mut object = parse_object(&bytes)?;
            if let Some(model) = response_model {
                object.insert("model".into(), Value::String(model));
            }
            ResponsesAnswer::Json(Box::new(object))
        };
        Ok(Reply {
            value,
            provider: dep.provider,
            attempts: 1,
            headers,
            upstream_time: started.elapsed(),
        })
    }
}

fn parse_object(bytes: &Bytes) -> Result<JsonMap, Error> {
    serde_json::from_slice(bytes).map_err(|e| {
        Error::new(
            ErrorKind::Api,
            format!("upstream sent a Responses answer that is not a JSON object: {e}"),
        )
    })
}

/// A response object's `usage`, as chat usage.
pub fn chat_usage_of(usage: &Value) -> Option<Usage> {
    let usage = ResponsesUsage::deserialize(usage).ok()?;
    Some(responses_api::chat_usage(&usage))
}

/// Decodes the upstream's events; a terminal event's usage gets LiteLLM's `cost`. A
/// body that ends before a terminal event is an error, so the client's stream ends with
/// an `error` event rather than looking complete.
struct Relay {
    decoder: NativeStreamDecoder,
    ended: bool,
}

impl Relay {
    fn frames(&mut self, events: Vec<NativeEvent>) -> Vec<NativeFrame> {
        self.ended |= events.iter().any(NativeEvent::is_terminal);
        frames(events)
    }
}

impl Decode for Relay {
    type Item = NativeFrame;

    fn feed(&mut self, bytes: &[u8]) -> Result<Vec<NativeFrame>, Error> {
        let events = self.decoder.feed(bytes)?;
        Ok(self.frames(events))
    }

    fn finish(&mut self) -> Result<Vec<NativeFrame>, Error> {
        let events = self.decoder.finish()?;
        let out = self.frames(events);
        if !self.ended {
            return Err(Error::new(
                ErrorKind::Api,
                "the upstream's Responses stream ended before response.completed: the answer was cut off",
            ));
        }
        Ok(out)
    }

    fn shape(&self, dep: &Deployment, mut item: NativeFrame) -> Option<NativeFrame> {
        if item.event.is_terminal()
            && let Some(response) = item.event.data.get_mut("response")
            && let Some(usage) = response.get("usage").and_then(chat_usage_of)
        {
            if let Some(cost) = dep.cost(&usage)
                && let Some(Value::Object(u)) = response.get_mut("usage")
            {
                u.insert("cost".into(), Value::from(cost));
            }
            item.usage = Some(usage);
        }
        Some(item)
    }
}

fn frames(events: Vec<NativeEvent>) -> Vec<NativeFrame> {
    events
        .into_iter()
        .map(|event| NativeFrame { event, usage: None })
        .collect()
}
