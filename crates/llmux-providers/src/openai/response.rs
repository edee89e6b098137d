//! OpenAI wire answers → canonical responses.

use llmux_types::{
    ChatResponse, CompletionResponse, EmbeddingResponse, EmbeddingVector, Error, ErrorKind, JsonMap,
};
use serde_json::Value;

use crate::Quirks;
use crate::embedding_vectors::decode_f32_base64;

/// Parses a chat completion, shaped as LiteLLM hands it to clients.
pub fn parse_chat_response(
    provider: &str,
    body: &[u8],
    quirks: Quirks,
) -> Result<ChatResponse, Error> {
    let mut resp: ChatResponse = parse(provider, body)?;
    for choice in &mut resp.choices {
        if quirks.bare_choices {
            if choice.extra.get("logprobs").is_some_and(Value::is_null) {
                choice.extra.remove("logprobs");
            }
        } else {
            choice
                .extra
                .entry("provider_specific_fields")
                .or_insert_with(|| Value::Object(JsonMap::new()));
        }
    }
    Ok(resp)
}

/// Parses a text completion.
pub fn parse_completion_response(provider: &str, body: &[u8]) -> Result<CompletionResponse, Error> {
    let mut resp: CompletionResponse = parse(provider, body)?;
    // LiteLLM's text-completion usage always names its details, `null` when absent.
    if let Some(usage) = &mut resp.usage {
        if usage.prompt_tokens_details.is_none() {
            usage
                .extra
                .entry("prompt_tokens_details")
                .or_insert(Value::Null);
        }
        if usage.completion_tokens_details.is_none() {
            usage
                .extra
                .entry("completion_tokens_details")
                .or_insert(Value::Null);
        }
    }
    Ok(resp)
}

/// Parses an embeddings answer; base64 vectors become floats unless the client asked
/// for base64 itself.
pub fn parse_embedding_response(
    provider: &str,
    body: &[u8],
    want_base64: bool,
) -> Result<EmbeddingResponse, Error> {
    let mut resp: EmbeddingResponse = parse(provider, body)?;
    if !want_base64 {
        for item in &mut resp.data {
            if let EmbeddingVector::Base64(b64) = &item.embedding {
                item.embedding =
                    EmbeddingVector::Float(decode_f32_base64(b64).ok_or_else(|| {
                        Error::new(
                            ErrorKind::Api,
                            format!("{provider} returned an embedding that is not base64 of f32"),
                        )
                        .with_provider(provider)
                    })?);
            }
        }
    }
    Ok(resp)
}

fn parse<T: serde::de::DeserializeOwned>(provider: &str, body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| {
        Error::new(
            ErrorKind::Api,
            format!("{provider} returned an answer llmux cannot read: {e}"),
        )
        .with_provider(provider)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_gain_provider_specific_fields_unless_bare() {
        let body = br#"{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi","refusal":null},"logprobs":null,"finish_reason":"stop"}]}"#;
        let r = parse_chat_response("openai", body, Quirks::NONE).unwrap();
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v["choices"][0]["provider_specific_fields"],
            serde_json::json!({})
        );
        assert_eq!(v["choices"][0]["logprobs"], Value::Null);
        assert_eq!(v["choices"][0]["message"]["refusal"], Value::Null);
        let bare = Quirks {
            bare_choices: true,
            ..Quirks::NONE
        };
        let v = serde_json::to_value(parse_chat_response("groq", body, bare).unwrap()).unwrap();
        assert!(v["choices"][0].get("provider_specific_fields").is_none());
        assert!(v["choices"][0].get("logprobs").is_none());
    }
}
