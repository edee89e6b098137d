//! Embedding vectors between upstream JSON and OpenAI's answer: lists of numbers read
//! once for every family that answers with them, and OpenAI's `encoding_format: base64`
//! (little-endian f32 bytes in standard base64) both ways.

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use llmux_types::{Embedding, EmbeddingUsage, EmbeddingVector, Error};
use serde_json::Value;

/// OpenAI's `data` entries from an upstream's vectors, in order, as floats or, when the
/// client asked for base64, as base64 of f32. `unreadable` names the provider in the
/// error a vector that is not a list of numbers gets.
pub(crate) fn embeddings_from_lists<'a>(
    vectors: impl IntoIterator<Item = &'a Value>,
    want_base64: bool,
    unreadable: impl Fn(&str) -> Error,
) -> Result<Vec<Embedding>, Error> {
    vectors
        .into_iter()
        .enumerate()
        .map(|(i, vector)| {
            let floats: Vec<f64> = vector
                .as_array()
                .ok_or_else(|| unreadable("an embedding is not a list"))?
                .iter()
                .map(|x| {
                    x.as_f64()
                        .ok_or_else(|| unreadable("an embedding value is not a number"))
                })
                .collect::<Result<_, _>>()?;
            Ok(Embedding {
                object: "embedding".into(),
                index: u32::try_from(i).unwrap_or(u32::MAX),
                embedding: if want_base64 {
                    EmbeddingVector::Base64(f32_base64(&floats))
                } else {
                    EmbeddingVector::Float(floats)
                },
            })
        })
        .collect()
}

/// Usage of an embeddings call that only reports prompt tokens (all of them do).
pub(crate) fn prompt_usage(tokens: u64) -> EmbeddingUsage {
    EmbeddingUsage {
        prompt_tokens: tokens,
        completion_tokens: 0,
        total_tokens: tokens,
        prompt_tokens_details: None,
        completion_tokens_details: None,
    }
}

/// Little-endian f32 bytes in standard base64 (OpenAI's `encoding_format: base64`).
pub(crate) fn f32_base64(values: &[f64]) -> String {
    // Embeddings are f32 on the wire.
    let bytes: Vec<u8> = values
        .iter()
        .flat_map(|v| (*v as f32).to_le_bytes())
        .collect();
    general_purpose::STANDARD.encode(bytes)
}

/// Decodes little-endian f32s from base64, as OpenAI-compatible servers write it: the
/// standard or the URL-safe alphabet, padded or not, possibly wrapped.
pub(crate) fn decode_f32_base64(text: &str) -> Option<Vec<f64>> {
    const LENIENT: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);
    let clean: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = STANDARD
        .decode(&clean)
        .or_else(|_| URL_SAFE.decode(&clean))
        .ok()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use llmux_types::ErrorKind;
    use serde_json::json;

    #[test]
    fn base64_round_trips_exact_f32s() {
        assert_eq!(f32_base64(&[1.0, -0.5]), "AACAPwAAAL8=");
        assert_eq!(f32_base64(&[]), "");
        assert_eq!(decode_f32_base64("AAAAPwAAgL4=").unwrap(), vec![0.5, -0.25]);
        // Unpadded, wrapped and URL-safe forms decode to the same floats.
        assert_eq!(
            decode_f32_base64("AAAAPwAA\ngL4").unwrap(),
            vec![0.5, -0.25]
        );
        assert_eq!(
            decode_f32_base64(
                &f32_base64(&[0.1, 2.5e-3])
                    .replace('+', "-")
                    .replace('/', "_")
            ),
            decode_f32_base64(&f32_base64(&[0.1, 2.5e-3]))
        );
        assert_eq!(decode_f32_base64("AAA="), None, "not a whole f32");
        assert_eq!(decode_f32_base64("*@!"), None);
    }

    #[test]
    fn lists_become_indexed_entries_and_bad_ones_an_error() {
        let unreadable = |why: &str| Error::new(ErrorKind::Api, format!("x: {why}"));
        let vectors = [json!([0.5, 1]), json!([-0.25])];
        let data = embeddings_from_lists(&vectors, false, unreadable).unwrap();
        assert_eq!(data[1].index, 1);
        assert_eq!(data[0].embedding, EmbeddingVector::Float(vec![0.5, 1.0]));
        let b64 = embeddings_from_lists(&vectors, true, unreadable).unwrap();
        assert_eq!(b64[1].embedding, EmbeddingVector::Base64("AACAvg==".into()));
        let e = embeddings_from_lists(&[json!({"v": 1})], false, unreadable).unwrap_err();
        assert_eq!(e.message, "x: an embedding is not a list");
        let e = embeddings_from_lists(&[json!(["a"])], false, unreadable).unwrap_err();
        assert_eq!(e.message, "x: an embedding value is not a number");
    }
}
