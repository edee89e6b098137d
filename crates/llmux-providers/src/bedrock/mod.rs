//! AWS Bedrock: the Converse API (<https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html>),
//! ConverseStream over the binary AWS event-stream
//! (<https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html>),
//! and embeddings through InvokeModel (Titan and Cohere embed models).
//!
//! The translation follows LiteLLM 1.108.7 (`llms/bedrock/chat/converse_transformation.py`,
//! `invoke_handler.py: AWSEventStreamDecoder`, `llms/bedrock/embed/`).
//!
//! Requests leave here unsigned: SigV4 needs the clock and the credentials, which belong
//! to the caller (`llmux::credentials`). With a bearer token (`api_key`, or
//! `AWS_BEARER_TOKEN_BEDROCK`) the request carries `Authorization: Bearer` instead.
//!
//! - `request.rs`: canonical request → Converse body (`messages.rs` converts the turns);
//! - `response.rs`: Converse answer → canonical response (usage shared with streams);
//! - `eventstream.rs`: the binary framing (prelude, headers, CRCs), split anywhere;
//! - `stream.rs`: ConverseStream events → chunks;
//! - `error.rs`: error answers and exception events → typed errors;
//! - `embeddings.rs`: Titan / Cohere embed bodies and answers;
//! - `invoke_stream.rs`: InvokeModelWithResponseStream for Claude (`bedrock/invoke/…`,
//!   whose body and answers are the Anthropic family's, `anthropic::Flavor::Bedrock`).

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use llmux_types::{ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, Error};

use crate::{ParamSpec, ParseContext, Target};

mod embeddings;
mod error;
pub mod eventstream;
mod invoke_stream;
mod messages;
mod request;
mod response;
mod stream;

pub use invoke_stream::BedrockInvokeStreamDecoder;
pub use stream::BedrockStreamDecoder;

/// LiteLLM's default region when neither the deployment nor the environment names one.
pub const DEFAULT_REGION: &str = "us-west-2";

/// The SigV4 service name of the Bedrock runtime.
pub const SIGNING_SERVICE: &str = "bedrock";

/// `AmazonConverseConfig.get_supported_openai_params` for models that call tools
/// (Anthropic, Mistral, Cohere, Llama 3.1+, Nova: the registry's function-calling flag)
/// and reason (`thinking`, `reasoning_effort`).
pub const PARAMS: ParamSpec = ParamSpec {
    all: false,
    base: &[
        "max_tokens",
        "max_completion_tokens",
        "stream",
        "stream_options",
        "stop",
        "temperature",
        "top_p",
        "extra_headers",
        "response_format",
        "requestMetadata",
        "service_tier",
        "parallel_tool_calls",
    ],
    function_calling: &["tools", "tool_choice"],
    reasoning: &["thinking", "reasoning_effort"],
};

/// The model id as it goes in the URL path: `bedrock/` routing prefixes (`converse/`)
/// stripped, then percent-encoded with nothing safe, as LiteLLM's `encode_model_id`
/// (`urllib.parse.quote(model_id, safe="")`): `…-v1:0` → `…-v1%3A0`, and an ARN's `:`
/// and `/` too. Cross-region inference profiles (`us.`, `eu.`, `apac.`) are ids like any
/// other.
pub fn model_path_id(model: &str) -> String {
    let model = model
        .strip_prefix("converse/")
        .or_else(|| model.strip_prefix("invoke/"))
        .unwrap_or(model);
    let mut out = String::with_capacity(model.len() + 8);
    for b in model.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The region of a deployment: `aws_region_name` (the caller fills it from the
/// environment when the config has none), else [`DEFAULT_REGION`].
pub fn region<'a>(t: &Target<'a>) -> &'a str {
    t.params
        .and_then(|p| p.get("aws_region_name"))
        .and_then(|v| v.as_str())
        .filter(|r| !r.is_empty())
        .unwrap_or(DEFAULT_REGION)
}

/// `{endpoint}/model/{id}/{action}`: the endpoint is `api_base`, else
/// `aws_bedrock_runtime_endpoint`, else AWS's public one for the region (LiteLLM's
/// `get_runtime_endpoint` order).
pub(crate) fn url(t: &Target<'_>, action: &str) -> String {
    let base = t
        .api_base
        .filter(|b| !b.is_empty())
        .or_else(|| {
            t.param("aws_bedrock_runtime_endpoint")
                .filter(|b| !b.is_empty())
        })
        .map_or_else(
            || format!("https://bedrock-runtime.{}.amazonaws.com", region(t)),
            |b| b.trim_end_matches('/').to_owned(),
        );
    format!("{base}/model/{}/{action}", model_path_id(t.model))
}

/// A POST of `body` to `action`, with a bearer token when one is configured.
fn post(t: &Target<'_>, action: &str, body: Vec<u8>) -> Result<http::Request<Bytes>, Error> {
    let mut builder =
        http::Request::post(url(t, action)).header(http::header::CONTENT_TYPE, "application/json");
    if let Some(token) = t.api_key.filter(|k| !k.is_empty()) {
        let value = HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| {
            Error::bad_request("the Bedrock bearer token is not a valid header value")
        })?;
        builder = builder.header(http::header::AUTHORIZATION, value);
    }
    for (k, v) in t.extra_headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    builder
        .body(Bytes::from(body))
        .map_err(|e| Error::bad_request(format!("cannot build the Bedrock request: {e}")))
}

/// Builds a Converse (or ConverseStream, when `req.stream`) request.
pub fn build_chat_request(
    req: &ChatRequest,
    t: &Target<'_>,
) -> Result<http::Request<Bytes>, Error> {
    let body = request::converse_body(req)?;
    let action = if req.stream == Some(true) {
        "converse-stream"
    } else {
        "converse"
    };
    let bytes = serde_json::to_vec(&body)
        .map_err(|e| Error::bad_request(format!("cannot serialise the Bedrock body: {e}")))?;
    post(t, action, bytes)
}

/// Parses a Converse answer.
pub fn parse_chat_response(body: &[u8], ctx: &ParseContext<'_>) -> Result<ChatResponse, Error> {
    response::parse_chat_response(body, ctx)
}

/// Maps a Bedrock error answer.
pub fn map_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    error::map_error(status, headers, body)
}

/// Builds an InvokeModel embeddings request (Titan or Cohere embed).
pub fn build_embedding_request(
    req: &EmbeddingRequest,
    t: &Target<'_>,
) -> Result<http::Request<Bytes>, Error> {
    let body = embeddings::request_body(req, t.model)?;
    let bytes = serde_json::to_vec(&body)
        .map_err(|e| Error::bad_request(format!("cannot serialise the Bedrock body: {e}")))?;
    post(t, "invoke", bytes)
}

/// Parses an InvokeModel embeddings answer.
pub fn parse_embedding_response(
    body: &[u8],
    req: &EmbeddingRequest,
    want_base64: bool,
) -> Result<EmbeddingResponse, Error> {
    embeddings::parse_response(body, req, want_base64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_ids_are_percent_encoded_as_litellm_does() {
        assert_eq!(
            model_path_id("anthropic.claude-3-5-sonnet-20240620-v1:0"),
            "anthropic.claude-3-5-sonnet-20240620-v1%3A0"
        );
        assert_eq!(
            model_path_id("us.anthropic.claude-3-7-sonnet-20250219-v1:0"),
            "us.anthropic.claude-3-7-sonnet-20250219-v1%3A0"
        );
        assert_eq!(
            model_path_id("converse/eu.meta.llama3-2-1b-instruct-v1:0"),
            "eu.meta.llama3-2-1b-instruct-v1%3A0"
        );
        assert_eq!(
            model_path_id(
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/apac.amazon.nova-pro-v1:0"
            ),
            "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fapac.amazon.nova-pro-v1%3A0"
        );
    }

    #[test]
    fn the_endpoint_is_api_base_then_the_runtime_endpoint_then_the_region() {
        let mut params = llmux_types::JsonMap::new();
        params.insert("aws_region_name".into(), "eu-west-1".into());
        let t = Target {
            model: "amazon.nova-lite-v1:0",
            params: Some(&params),
            ..Target::default()
        };
        assert_eq!(
            url(&t, "converse"),
            "https://bedrock-runtime.eu-west-1.amazonaws.com/model/amazon.nova-lite-v1%3A0/converse"
        );
        let mut with_endpoint = params.clone();
        with_endpoint.insert(
            "aws_bedrock_runtime_endpoint".into(),
            "http://127.0.0.1:9/".into(),
        );
        let t = Target {
            params: Some(&with_endpoint),
            ..t
        };
        assert_eq!(
            url(&t, "converse-stream"),
            "http://127.0.0.1:9/model/amazon.nova-lite-v1%3A0/converse-stream"
        );
        let t = Target {
            api_base: Some("http://proxy.internal"),
            ..t
        };
        assert!(url(&t, "invoke").starts_with("http://proxy.internal/model/"));
    }
}
