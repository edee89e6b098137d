//! The OpenAI embeddings route (`POST …/embeddings`).

use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::errors::{Family, bad_body, bad_request};
use crate::template::{MODEL, Model, Template, json_ok};

const MAX_INPUTS: usize = 2048;
const MAX_DIMENSIONS: usize = 16_384;
/// Exactly representable values; item `i` adds `i * STEP`.
pub(crate) const PATTERN: [f32; 8] = [0.5, -0.25, 0.125, 1.0, -0.5, 0.75, 0.0625, -1.0];
const STEP: f32 = 0.007_812_5;

/// The `dimensions` values of item `index`.
pub(crate) fn vector(index: usize, dimensions: usize) -> impl Iterator<Item = f32> {
    let offset = index as f32 * STEP;
    (0..dimensions).map(move |j| PATTERN[j % PATTERN.len()] + offset)
}

#[derive(Deserialize)]
struct EmbeddingRequest {
    model: Option<String>,
    input: Value,
    dimensions: Option<usize>,
    encoding_format: Option<String>,
}

/// `POST …/embeddings`.
pub(crate) fn embeddings(body: &[u8]) -> Response {
    let request: EmbeddingRequest = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(e) => return bad_body(Family::OpenAi, &e),
    };
    let count = match &request.input {
        Value::String(_) => 1,
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_u64) => 1,
        Value::Array(items)
            if !items.is_empty()
                && items.len() <= MAX_INPUTS
                && items.iter().all(|i| i.is_string() || i.is_array()) =>
        {
            items.len()
        }
        _ => {
            let message = "'input' must be a string, an array of strings or an array of token arrays (1 to 2048 items)";
            return bad_request(Family::OpenAi, message);
        }
    };
    let dimensions = request.dimensions.unwrap_or(PATTERN.len());
    if dimensions == 0 || dimensions > MAX_DIMENSIONS {
        return bad_request(Family::OpenAi, "'dimensions' must be between 1 and 16384");
    }
    let base64 = match request.encoding_format.as_deref() {
        None | Some("float") => false,
        Some("base64") => true,
        Some(_) => {
            return bad_request(
                Family::OpenAi,
                "'encoding_format' must be 'float' or 'base64'",
            );
        }
    };
    let data: Vec<Value> = (0..count)
        .map(|index| {
            let vector = vector(index, dimensions);
            let embedding = if base64 {
                let bytes: Vec<u8> = vector.flat_map(f32::to_le_bytes).collect();
                Value::String(base64_encode(&bytes))
            } else {
                vector.map(|x| Value::from(f64::from(x))).collect()
            };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    let tokens = 5 * count;
    let response = json!({
        "object": "list",
        "data": data,
        "model": MODEL,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens}
    });
    let model = Model::new(request.model.as_deref().unwrap_or("text-embedding-3-small"));
    json_ok(Template::json(&response).render(&model))
}

/// Standard base64 with padding.
fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> shift & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(input.as_bytes()), expected);
        }
    }
}
