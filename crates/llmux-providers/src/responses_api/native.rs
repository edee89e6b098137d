//! Native `/v1/responses` for the providers that serve it (OpenAI, Azure OpenAI): the
//! request built from the client's body, and the upstream's SSE body decoded into
//! events the gateway can restamp, price and store before relaying them.

use bytes::Bytes;
use http::header::AUTHORIZATION;
use llmux_types::{Error, ErrorKind, JsonMap};
use serde_json::Value;

use crate::openai::json_request;
use crate::sse::{SseEvent, SseParser};
use crate::{AZURE_DEFAULT_API_VERSION, Provider, Target};

/// Whether `provider` serves the Responses API itself (the others are bridged): OpenAI,
/// Azure, and the catalog rows whose quirks say so (xAI, OpenRouter, vLLM, Fireworks).
pub fn serves_responses(provider: Provider) -> bool {
    match provider {
        Provider::OpenAi | Provider::Azure => true,
        Provider::Compat(row) => row.quirks.serves_responses,
        _ => false,
    }
}

/// `POST {api_base}/responses` (OpenAI, `Authorization: Bearer`) or
/// `POST {api_base}/openai/responses?api-version=…` (Azure, `api-key`), with `body`.
pub fn build_responses_request(
    provider: Provider,
    body: &JsonMap,
    t: &Target<'_>,
) -> Result<http::Request<Bytes>, Error> {
    let builder = match provider {
        Provider::OpenAi => {
            let base = t.api_base.unwrap_or("https://api.openai.com/v1");
            let url = crate::openai::join(base, "responses");
            crate::openai::bearer(http::Request::post(url), t, crate::Quirks::NONE)
        }
        Provider::Compat(row) if row.quirks.serves_responses => {
            let base = t.api_base.unwrap_or(row.api_base);
            let url = crate::openai::join(base, "responses");
            crate::openai::bearer(http::Request::post(url), t, row.quirks)
        }
        Provider::Azure => {
            let base = t.api_base.ok_or_else(|| {
                Error::bad_request(
                    "Azure needs an api_base (your resource's endpoint, or AZURE_API_BASE)",
                )
            })?;
            let version = t.api_version.unwrap_or(AZURE_DEFAULT_API_VERSION);
            let url = format!(
                "{}/openai/responses?api-version={version}",
                base.trim_end_matches('/')
            );
            let builder = http::Request::post(url);
            if let Some(key) = t.api_key.filter(|k| !k.is_empty()) {
                builder.header("api-key", key)
            } else if let Some(token) = t.azure_ad_token {
                builder.header(AUTHORIZATION, format!("Bearer {token}"))
            } else {
                builder
            }
        }
        other => {
            return Err(Error::bad_request(format!(
                "native /v1/responses needs an OpenAI or Azure deployment, not '{}'",
                other.id()
            )));
        }
    };
    json_request(builder, t, body)
}

/// One event of a native Responses stream: its `type` and its JSON.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NativeEvent {
    /// The `event:` name, or the data's `type`.
    pub name: String,
    pub data: Value,
}

impl NativeEvent {
    /// `response.completed`, `response.incomplete` or `response.failed`.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self.name.as_str(),
            "response.completed" | "response.incomplete" | "response.failed"
        )
    }
}

/// Decodes a native Responses SSE body fed in pieces split anywhere.
#[derive(Debug, Default)]
pub struct NativeStreamDecoder {
    parser: SseParser,
    events: Vec<SseEvent>,
}

impl NativeStreamDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<NativeEvent>, Error> {
        self.parser.feed(bytes, &mut self.events)?;
        self.drain()
    }

    pub fn finish(&mut self) -> Result<Vec<NativeEvent>, Error> {
        self.parser.finish(&mut self.events)?;
        self.drain()
    }

    fn drain(&mut self) -> Result<Vec<NativeEvent>, Error> {
        let mut out = Vec::with_capacity(self.events.len());
        for event in self.events.drain(..) {
            if event.data.trim() == "[DONE]" {
                continue;
            }
            let data: Value = serde_json::from_str(&event.data).map_err(|e| {
                Error::new(
                    ErrorKind::Api,
                    format!("upstream sent a Responses event that is not JSON: {e}"),
                )
            })?;
            let name = event
                .event
                .or_else(|| data.get("type").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_default();
            out.push(NativeEvent { name, data });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target<'a>(base: &'a str, version: Option<&'a str>) -> Target<'a> {
        Target {
            model: "d",
            api_base: Some(base),
            api_key: Some("k"),
            api_version: version,
            ..Target::default()
        }
    }

    #[test]
    fn openai_and_azure_urls_and_keys() {
        let body = json!({"model": "gpt", "input": "x"});
        let body = body.as_object().unwrap();
        let r =
            build_responses_request(Provider::OpenAi, body, &target("http://h/v1/", None)).unwrap();
        assert_eq!(r.uri(), "http://h/v1/responses");
        assert_eq!(r.headers()["authorization"], "Bearer k");
        let r = build_responses_request(
            Provider::Azure,
            body,
            &target("http://h/", Some("2024-10-21")),
        )
        .unwrap();
        assert_eq!(r.uri(), "http://h/openai/responses?api-version=2024-10-21");
        assert_eq!(r.headers()["api-key"], "k");
        assert!(
            build_responses_request(Provider::Anthropic, body, &target("http://h", None)).is_err()
        );
        let xai = Provider::Compat(crate::compat::find("xai").unwrap());
        assert!(serves_responses(xai));
        let r = build_responses_request(xai, body, &Target::default()).unwrap();
        assert_eq!(r.uri(), "https://api.x.ai/v1/responses");
        let vllm = Provider::Compat(crate::compat::find("hosted_vllm").unwrap());
        let r = build_responses_request(vllm, body, &target("http://gpu:8000/v1", None)).unwrap();
        assert_eq!(r.uri(), "http://gpu:8000/v1/responses");
        let groq = Provider::Compat(crate::compat::find("groq").unwrap());
        assert!(!serves_responses(groq), "bridged");
    }

    #[test]
    fn events_decode_across_any_split() {
        let body = "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0}\n\n\
                    data: {\"type\":\"response.completed\",\"sequence_number\":1}\n\ndata: [DONE]\n\n";
        for split in 0..body.len() {
            let mut d = NativeStreamDecoder::new();
            let mut events = d.feed(&body.as_bytes()[..split]).unwrap();
            events.extend(d.feed(&body.as_bytes()[split..]).unwrap());
            events.extend(d.finish().unwrap());
            assert_eq!(events.len(), 2, "split at {split}");
            assert_eq!(events[0].name, "response.created");
            assert!(events[1].is_terminal());
        }
    }
}
