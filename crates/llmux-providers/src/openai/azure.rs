//! Azure OpenAI: the OpenAI wire format on deployment URLs.
//!
//! `{api_base}/openai/deployments/{deployment}/{op}?api-version={v}`, the key in
//! `api-key` (or an Entra ID token as `Authorization: Bearer`).

use bytes::Bytes;
use http::header::AUTHORIZATION;
use llmux_types::{ChatRequest, CompletionRequest, EmbeddingRequest, Error};
use serde::Serialize;

use super::request::json_request;
use crate::{AZURE_DEFAULT_API_VERSION, Target};

#[derive(Serialize)]
struct StreamFlag<'a, T: Serialize> {
    #[serde(flatten)]
    req: &'a T,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<bool>,
}

/// Builds an Azure chat request (LiteLLM sends `"stream": false` when not streaming).
pub fn build_chat_request(
    req: &ChatRequest,
    t: &Target<'_>,
) -> Result<http::Request<Bytes>, Error> {
    let body = StreamFlag {
        req,
        stream: req.stream.is_none().then_some(false),
    };
    json_request(azure_builder(t, "chat/completions")?, t, &body)
}

/// Builds an Azure embeddings request. Like the OpenAI SDK LiteLLM drives, it asks for
/// base64 when the client did not choose, and the answer is decoded back to floats.
pub fn build_embedding_request(
    req: &EmbeddingRequest,
    t: &Target<'_>,
) -> Result<http::Request<Bytes>, Error> {
    #[derive(Serialize)]
    struct Body<'a> {
        #[serde(flatten)]
        req: &'a EmbeddingRequest,
        #[serde(skip_serializing_if = "Option::is_none")]
        encoding_format: Option<&'static str>,
    }
    let body = Body {
        req,
        encoding_format: req.encoding_format.is_none().then_some("base64"),
    };
    json_request(azure_builder(t, "embeddings")?, t, &body)
}

/// Builds an Azure text-completion request.
pub fn build_completion_request(
    req: &CompletionRequest,
    t: &Target<'_>,
) -> Result<http::Request<Bytes>, Error> {
    json_request(azure_builder(t, "completions")?, t, req)
}

fn azure_builder(t: &Target<'_>, op: &str) -> Result<http::request::Builder, Error> {
    let base = t.api_base.ok_or_else(|| {
        Error::bad_request("Azure needs an api_base (your resource's endpoint, or AZURE_API_BASE)")
    })?;
    let version = t.api_version.unwrap_or(AZURE_DEFAULT_API_VERSION);
    let url = format!(
        "{}/openai/deployments/{}/{op}?api-version={version}",
        base.trim_end_matches('/'),
        t.model
    );
    let mut builder = http::Request::post(url);
    if let Some(key) = t.api_key.filter(|k| !k.is_empty()) {
        builder = builder.header("api-key", key);
    } else if let Some(token) = t.azure_ad_token.or(t.bearer_token) {
        // `bearer_token`: an Entra ID token the caller's client-credentials source minted.
        builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    Ok(builder)
}
