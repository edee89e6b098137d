//! Canonical request → OpenAI wire request.

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use llmux_types::{ChatRequest, CompletionRequest, EmbeddingRequest, Error};
use serde::Serialize;
use serde_json::{Value, json};

use crate::{Provider, Quirks, Target};

/// The chat body, with the fields LiteLLM adds for some providers.
#[derive(Serialize)]
struct ChatBody<'a> {
    #[serde(flatten)]
    req: &'a ChatRequest,
    /// `"stream": false` when the client did not stream (only set when `req.stream` is None).
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<bool>,
    /// OpenRouter's `usage: {include: true}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Value>,
}

/// Builds `POST {api_base}/chat/completions`.
pub fn build_chat_request(
    provider: Provider,
    req: &ChatRequest,
    t: &Target<'_>,
    quirks: Quirks,
) -> Result<http::Request<Bytes>, Error> {
    let body = ChatBody {
        req,
        stream: (quirks.explicit_stream_false && req.stream.is_none()).then_some(false),
        usage: (quirks.openrouter && !req.extra.contains_key("usage"))
            .then(|| json!({"include": true})),
    };
    let url = join(base(provider, t), "chat/completions");
    let mut builder = bearer(http::Request::post(url), t);
    if quirks.openrouter {
        // LiteLLM's defaults for OpenRouter's app attribution.
        builder = builder
            .header("http-referer", "https://litellm.ai")
            .header("x-title", "liteLLM");
    }
    json_request(builder, t, &body)
}

/// Builds `POST {api_base}/embeddings`.
pub fn build_embedding_request(
    req: &EmbeddingRequest,
    t: &Target<'_>,
) -> Result<http::Request<Bytes>, Error> {
    let url = join(t.api_base.unwrap_or(OPENAI_BASE), "embeddings");
    json_request(bearer(http::Request::post(url), t), t, req)
}

/// Builds `POST {api_base}/completions`.
pub fn build_completion_request(
    req: &CompletionRequest,
    t: &Target<'_>,
) -> Result<http::Request<Bytes>, Error> {
    let url = join(t.api_base.unwrap_or(OPENAI_BASE), "completions");
    json_request(bearer(http::Request::post(url), t), t, req)
}

const OPENAI_BASE: &str = "https://api.openai.com/v1";

fn base<'a>(provider: Provider, t: &Target<'a>) -> &'a str {
    match (t.api_base, provider) {
        (Some(b), _) => b,
        (None, Provider::Compat(row)) => row.api_base,
        (None, _) => OPENAI_BASE,
    }
}

/// `base` + `/` + `path`, whatever slashes `base` ends with.
pub(crate) fn join(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with(path) {
        base.to_owned()
    } else {
        format!("{base}/{path}")
    }
}

fn bearer(mut builder: http::request::Builder, t: &Target<'_>) -> http::request::Builder {
    if let Some(key) = t.api_key.filter(|k| !k.is_empty()) {
        builder = builder.header(AUTHORIZATION, format!("Bearer {key}"));
    }
    if let Some(org) = t.organization {
        builder = builder.header("openai-organization", org);
    }
    builder
}

/// Serialises `body` as JSON and finishes the request with the content type and the
/// caller's extra headers.
pub fn json_request(
    mut builder: http::request::Builder,
    t: &Target<'_>,
    body: &impl Serialize,
) -> Result<http::Request<Bytes>, Error> {
    let bytes = serde_json::to_vec(body)
        .map_err(|e| Error::bad_request(format!("cannot encode request: {e}")))?;
    builder = builder.header(CONTENT_TYPE, "application/json");
    for (name, value) in t.extra_headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder.body(Bytes::from(bytes)).map_err(|e| {
        Error::bad_request(format!(
            "invalid upstream request (check api_base and headers): {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_tolerates_trailing_slashes_and_full_urls() {
        assert_eq!(
            join("http://h/v1/", "chat/completions"),
            "http://h/v1/chat/completions"
        );
        assert_eq!(
            join("http://h", "chat/completions"),
            "http://h/chat/completions"
        );
        assert_eq!(
            join("http://h/v1/chat/completions", "chat/completions"),
            "http://h/v1/chat/completions"
        );
    }
}
