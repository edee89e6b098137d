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
    // Providers that only know `max_tokens` get the client's `max_completion_tokens` under
    // that name (LiteLLM's param mapping); the copy is made only when the rename applies.
    let renamed;
    let req = if quirks.max_completion_tokens_as_max_tokens && req.max_completion_tokens.is_some() {
        let mut r = req.clone();
        r.max_tokens = r.max_tokens.or(r.max_completion_tokens.take());
        r.max_completion_tokens = None;
        renamed = r;
        &renamed
    } else {
        req
    };
    let body = ChatBody {
        req,
        stream: (quirks.explicit_stream_false && req.stream.is_none() && !req.omit_stream_default)
            .then_some(false),
        usage: (quirks.openrouter && !req.extra.contains_key("usage"))
            .then(|| json!({"include": true})),
    };
    let url = join(base(provider, t), "chat/completions");
    let mut builder = bearer(http::Request::post(url), t, quirks);
    for (name, value) in quirks.extra_headers {
        if !t
            .extra_headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            builder = builder.header(*name, *value);
        }
    }
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
    provider: Provider,
    req: &EmbeddingRequest,
    t: &Target<'_>,
    quirks: Quirks,
) -> Result<http::Request<Bytes>, Error> {
    let url = join(base(provider, t), "embeddings");
    json_request(bearer(http::Request::post(url), t, quirks), t, req)
}

/// Builds `POST {api_base}/completions`.
pub fn build_completion_request(
    provider: Provider,
    req: &CompletionRequest,
    t: &Target<'_>,
    quirks: Quirks,
) -> Result<http::Request<Bytes>, Error> {
    let url = join(base(provider, t), "completions");
    json_request(bearer(http::Request::post(url), t, quirks), t, req)
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

/// `Authorization: Bearer` with the key, or the placeholder some local servers expect
/// when none is configured (LiteLLM's `fake-api-key` for hosted_vllm, …).
pub(crate) fn bearer(
    mut builder: http::request::Builder,
    t: &Target<'_>,
    quirks: Quirks,
) -> http::request::Builder {
    if let Some(key) = t
        .api_key
        .filter(|k| !k.is_empty())
        .or(quirks.placeholder_key)
    {
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
    fn max_completion_tokens_is_renamed_where_the_provider_wants_max_tokens() {
        let req: ChatRequest = serde_json::from_value(json!({
            "model": "m", "messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 7
        }))
        .unwrap();
        let t = Target {
            api_base: Some("http://h/v1"),
            ..Target::default()
        };
        let quirks = Quirks {
            max_completion_tokens_as_max_tokens: true,
            ..Quirks::NONE
        };
        let body: Value = serde_json::from_slice(
            build_chat_request(Provider::OpenAi, &req, &t, quirks)
                .unwrap()
                .body(),
        )
        .unwrap();
        assert_eq!(body["max_tokens"], 7);
        assert!(body.get("max_completion_tokens").is_none());
        let body: Value = serde_json::from_slice(
            build_chat_request(Provider::OpenAi, &req, &t, Quirks::NONE)
                .unwrap()
                .body(),
        )
        .unwrap();
        assert_eq!(body["max_completion_tokens"], 7);
    }

    #[test]
    fn placeholder_key_and_attribution_headers_apply_unless_the_caller_set_them() {
        let req: ChatRequest = serde_json::from_value(
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .unwrap();
        let quirks = Quirks {
            placeholder_key: Some("fake-api-key"),
            extra_headers: &[("x-src", "litellm")],
            ..Quirks::NONE
        };
        let t = Target {
            api_base: Some("http://h/v1"),
            ..Target::default()
        };
        let r = build_chat_request(Provider::OpenAi, &req, &t, quirks).unwrap();
        assert_eq!(r.headers()["authorization"], "Bearer fake-api-key");
        assert_eq!(r.headers()["x-src"], "litellm");
        let mine = [("X-Src".to_owned(), "me".to_owned())];
        let t = Target {
            api_base: Some("http://h/v1"),
            api_key: Some("k"),
            extra_headers: &mine,
            ..Target::default()
        };
        let r = build_chat_request(Provider::OpenAi, &req, &t, quirks).unwrap();
        assert_eq!(r.headers()["authorization"], "Bearer k");
        assert_eq!(r.headers().get_all("x-src").iter().count(), 1);
        assert_eq!(r.headers()["x-src"], "me");
    }

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
