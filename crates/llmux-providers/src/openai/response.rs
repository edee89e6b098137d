//! OpenAI wire answers → canonical responses.

use llmux_types::{
    ChatResponse, CompletionResponse, EmbeddingResponse, EmbeddingVector, Error, ErrorKind, JsonMap,
};
use serde_json::Value;

use crate::Quirks;

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

/// Decodes little-endian f32s from standard base64.
fn decode_f32_base64(text: &str) -> Option<Vec<f64>> {
    let bytes = decode_base64(text)?;
    if bytes.len() % 4 != 0 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
    )
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' | b'-' => Some(62),
            b'/' | b'_' => Some(63),
            _ => None,
        }
    }
    let clean: Vec<u8> = text
        .bytes()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for group in clean.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in group.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * i);
        }
        let n = match group.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        for i in 0..n {
            out.push(((acc >> (16 - 8 * i)) & 0xff) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_embeddings_decode_to_exact_floats() {
        // [0.5, -0.25] as little-endian f32
        let mut raw = Vec::new();
        raw.extend_from_slice(&0.5f32.to_le_bytes());
        raw.extend_from_slice(&(-0.25f32).to_le_bytes());
        let b64 = "AAAAPwAAgL4=";
        assert_eq!(decode_base64(b64).unwrap(), raw);
        assert_eq!(decode_f32_base64(b64).unwrap(), vec![0.5, -0.25]);
    }

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
