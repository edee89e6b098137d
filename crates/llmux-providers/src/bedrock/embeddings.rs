//! Embeddings through InvokeModel, as LiteLLM's `llms/bedrock/embed/`:
//!
//! - Amazon Titan (`amazon.titan-embed-*`): `{"inputText"}` (plus `dimensions` on v2),
//!   one text per call (`llmux::Client` sends a list as one call per input, as LiteLLM);
//!   the answer's `inputTextTokenCount` is the usage;
//! - Cohere (`cohere.embed-*`): `{"texts", "input_type"}` (`search_document` unless the
//!   client sets `input_type`), a batch per call.

use llmux_types::{EmbeddingInput, EmbeddingRequest, EmbeddingResponse, Error, ErrorKind};
use serde_json::{Map, Value, json};

use crate::embedding_vectors::{embeddings_from_lists, prompt_usage};

fn is_cohere(model: &str) -> bool {
    model.contains("cohere.")
}

pub(super) fn request_body(req: &EmbeddingRequest, model: &str) -> Result<Value, Error> {
    let texts: Vec<&str> = match &req.input {
        EmbeddingInput::Text(s) => vec![s.as_str()],
        EmbeddingInput::Texts(v) => v.iter().map(String::as_str).collect(),
        EmbeddingInput::Tokens(_) | EmbeddingInput::TokenLists(_) => {
            return Err(
                Error::bad_request("Bedrock embeddings take text input, not token ids")
                    .with_provider("bedrock"),
            );
        }
    };
    if is_cohere(model) {
        let mut body = Map::new();
        body.insert("texts".into(), json!(texts));
        body.insert(
            "input_type".into(),
            req.extra
                .get("input_type")
                .cloned()
                .unwrap_or_else(|| json!("search_document")),
        );
        for (k, v) in &req.extra {
            body.entry(k.clone()).or_insert_with(|| v.clone());
        }
        return Ok(Value::Object(body));
    }
    let [text] = texts.as_slice() else {
        return Err(Error::bad_request(format!(
            "{model} embeds one text per request; send the inputs one at a time"
        ))
        .with_provider("bedrock")
        .with_param("input"));
    };
    let mut body = Map::new();
    body.insert("inputText".into(), json!(text));
    if let Some(d) = req.dimensions {
        body.insert("dimensions".into(), d.into());
    }
    for (k, v) in &req.extra {
        body.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Ok(Value::Object(body))
}

pub(super) fn parse_response(
    body: &[u8],
    _req: &EmbeddingRequest,
    want_base64: bool,
) -> Result<EmbeddingResponse, Error> {
    let v: Value = serde_json::from_slice(body).map_err(|e| unreadable(&e.to_string()))?;
    let vectors: Vec<&Value> = if let Some(one) = v.get("embedding") {
        vec![one]
    } else if let Some(list) = v.get("embeddings").and_then(Value::as_array) {
        list.iter().collect()
    } else if let Some(list) = v.pointer("/embeddings/float").and_then(Value::as_array) {
        list.iter().collect()
    } else {
        return Err(unreadable("no embedding in the answer"));
    };
    let data = embeddings_from_lists(vectors, want_base64, unreadable)?;
    let tokens = v
        .get("inputTextTokenCount")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    Ok(EmbeddingResponse {
        object: "list".into(),
        data,
        model: String::new(),
        usage: prompt_usage(tokens),
        extra: Default::default(),
    })
}

fn unreadable(detail: &str) -> Error {
    Error::new(
        ErrorKind::Api,
        format!("BedrockException - cannot read the embeddings answer: {detail}"),
    )
    .with_status(http::StatusCode::UNPROCESSABLE_ENTITY)
    .with_provider("bedrock")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(v: Value) -> EmbeddingRequest {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn titan_takes_one_text_and_cohere_a_batch() {
        let b = request_body(
            &req(json!({"model": "m", "input": "fox", "dimensions": 256})),
            "amazon.titan-embed-text-v2:0",
        )
        .unwrap();
        assert_eq!(b, json!({"inputText": "fox", "dimensions": 256}));
        let e = request_body(
            &req(json!({"model": "m", "input": ["a", "b"]})),
            "amazon.titan-embed-text-v2:0",
        )
        .unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        let b = request_body(
            &req(json!({"model": "m", "input": ["a", "b"]})),
            "cohere.embed-english-v3",
        )
        .unwrap();
        assert_eq!(
            b,
            json!({"texts": ["a", "b"], "input_type": "search_document"})
        );
    }

    #[test]
    fn titan_usage_is_the_token_count() {
        let r = parse_response(
            br#"{"embedding": [0.5, 1.0], "inputTextTokenCount": 5}"#,
            &req(json!({"model": "m", "input": "x"})),
            false,
        )
        .unwrap();
        assert_eq!(
            (r.usage.prompt_tokens, r.usage.total_tokens, r.data.len()),
            (5, 5, 1)
        );
    }
}
