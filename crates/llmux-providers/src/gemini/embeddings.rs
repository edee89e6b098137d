//! Embeddings.
//!
//! - AI Studio: always `batchEmbedContents`, one request per input, even for a single
//!   input (LiteLLM's `GoogleBatchEmbeddings` with mode `batch_embedding`).
//! - Vertex AI: `:predict` with `instances: [{content}]` (LiteLLM's
//!   `VertexAITextEmbeddingConfig`), Vertex's text-embedding API.
//!
//! `dimensions` becomes `outputDimensionality`; `task_type` / `input_type` and `title`
//! are passed on. Answers are parsed by shape (`embeddings`, `embedding` or
//! `predictions`), so either flavor's parser reads any of them.

use bytes::Bytes;
use llmux_types::{
    EmbeddingInput, EmbeddingRequest, EmbeddingResponse, EmbeddingUsage, Error, ErrorKind, JsonMap,
};
use serde_json::{Value, json};

use super::Flavor;
use super::media::FILES_API_PREFIX;
use super::request::{authorize, endpoint_url};
use crate::Target;
use crate::embedding_vectors::embeddings_from_lists;

/// LiteLLM's parameter check for Gemini and Vertex embeddings
/// (`get_optional_params_embeddings`): `encoding_format: float` is what the API returns
/// anyway and is dropped; any other format is an `UnsupportedParamsError` unless
/// `drop_params`, which drops it (the answer then holds floats, as LiteLLM's).
pub fn check_embedding_params(
    req: &mut EmbeddingRequest,
    drop_params: bool,
    provider: &str,
) -> Result<(), Error> {
    let Some(format) = req.encoding_format.as_deref() else {
        return Ok(());
    };
    if format == "float" || drop_params {
        req.encoding_format = None;
        return Ok(());
    }
    let value = crate::python_json::repr(&Value::String(format.to_owned()));
    Err(Error::new(
        ErrorKind::UnsupportedParams,
        format!(
            "{provider} does not support parameters: {{'encoding_format': {value}}}, for model={}. To drop \
             these, set `litellm.drop_params=True` or for proxy:\n\n`litellm_settings:\n drop_params: true`\n",
            req.model
        ),
    )
    .with_provider(provider)
    .with_model(req.model.clone()))
}

/// Builds the embeddings request.
pub fn build_embedding_request(
    req: &EmbeddingRequest,
    t: &Target<'_>,
    flavor: Flavor,
) -> Result<http::Request<Bytes>, Error> {
    let inputs = texts(&req.input)?;
    let task_type = ["task_type", "input_type", "taskType"]
        .iter()
        .find_map(|k| req.extra.get(*k).filter(|v| !v.is_null()));
    let title = req.extra.get("title").filter(|v| !v.is_null());
    let (endpoint, body) = match flavor {
        Flavor::AiStudio => {
            let model = format!("models/{}", t.model);
            let requests = inputs
                .iter()
                .map(|text| {
                    let mut r = JsonMap::new();
                    r.insert("model".into(), Value::from(model.as_str()));
                    r.insert("content".into(), json!({ "parts": [part(text)?] }));
                    if let Some(d) = req.dimensions {
                        r.insert("outputDimensionality".into(), json!(d));
                    }
                    if let Some(tt) = task_type {
                        r.insert("taskType".into(), tt.clone());
                    }
                    if let Some(title) = title {
                        r.insert("title".into(), title.clone());
                    }
                    Ok(Value::Object(r))
                })
                .collect::<Result<Vec<_>, Error>>()?;
            ("batchEmbedContents", json!({ "requests": requests }))
        }
        Flavor::Vertex if uses_embed_content(t.model) => {
            // LiteLLM sends Vertex's multimodal Gemini embedding models every input as
            // one content: one embedding for all of them.
            let mut body = JsonMap::new();
            let parts = inputs
                .iter()
                .map(|text| part(text))
                .collect::<Result<Vec<_>, _>>()?;
            body.insert("content".into(), json!({ "parts": parts }));
            if let Some(d) = req.dimensions {
                body.insert("outputDimensionality".into(), json!(d));
            }
            if let Some(tt) = task_type {
                body.insert("taskType".into(), tt.clone());
            }
            if let Some(title) = title {
                body.insert("title".into(), title.clone());
            }
            ("embedContent", Value::Object(body))
        }
        Flavor::Vertex => {
            let instances: Vec<Value> = inputs
                .iter()
                .map(|text| {
                    let mut i = JsonMap::new();
                    i.insert("content".into(), Value::from(*text));
                    if let Some(tt) = task_type {
                        i.insert("task_type".into(), tt.clone());
                    }
                    if let Some(title) = title {
                        i.insert("title".into(), title.clone());
                    }
                    Value::Object(i)
                })
                .collect();
            let mut parameters = JsonMap::new();
            if let Some(d) = req.dimensions {
                parameters.insert("outputDimensionality".into(), json!(d));
            }
            (
                "predict",
                json!({ "instances": instances, "parameters": parameters }),
            )
        }
    };
    let url = endpoint_url(t, flavor, endpoint, false)?;
    let builder = authorize(http::Request::post(url), t, flavor);
    crate::openai::json_request(builder, t, &body)
}

/// Models LiteLLM's model map marks `uses_embed_content` (Vertex AI `embedContent`).
fn uses_embed_content(model: &str) -> bool {
    model.starts_with("gemini-embedding-2") || model == "gemini-flash-experimental"
}

/// The inputs as text; token arrays are not embeddable by Gemini.
fn texts(input: &EmbeddingInput) -> Result<Vec<&str>, Error> {
    match input {
        EmbeddingInput::Text(s) => Ok(vec![s.as_str()]),
        EmbeddingInput::Texts(v) => Ok(v.iter().map(String::as_str).collect()),
        EmbeddingInput::Tokens(_) | EmbeddingInput::TokenLists(_) => Err(Error::bad_request(
            "Embedding input must be a string or a list of strings for gemini; token arrays are \
             not supported",
        )),
    }
}

/// Mime types Gemini embeds from a data URL.
const EMBEDDING_MIME_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "audio/mpeg",
    "audio/wav",
    "video/mp4",
    "video/quicktime",
    "application/pdf",
];

/// One input: text, or a media part for data URLs and `gs://` URLs.
fn part(text: &str) -> Result<Value, Error> {
    if text.starts_with("data:") && text.contains(";base64,") {
        let (meta, data) = text.split_once(',').unwrap_or((text, ""));
        let mime = meta[5..].split(';').next().unwrap_or("");
        if !EMBEDDING_MIME_TYPES.contains(&mime) {
            return Err(Error::bad_request(format!(
                "Unsupported MIME type for embedding: {mime}. Supported types: {}",
                EMBEDDING_MIME_TYPES.join(", ")
            )));
        }
        return Ok(json!({"inline_data": {"mime_type": mime, "data": data}}));
    }
    if text.starts_with("gs://") {
        let lower = text.to_ascii_lowercase();
        let mime = [
            (".png", "image/png"),
            (".jpg", "image/jpeg"),
            (".jpeg", "image/jpeg"),
            (".mp3", "audio/mpeg"),
            (".wav", "audio/wav"),
            (".mp4", "video/mp4"),
            (".mov", "video/quicktime"),
            (".pdf", "application/pdf"),
        ]
        .iter()
        .find(|(ext, _)| lower.ends_with(ext))
        .map(|(_, m)| *m)
        .ok_or_else(|| {
            Error::bad_request(format!("Unable to infer MIME type from GCS URL: {text}"))
        })?;
        return Ok(json!({"file_data": {"mime_type": mime, "file_uri": text}}));
    }
    if text.starts_with("files/") || text.starts_with(FILES_API_PREFIX) {
        // LiteLLM looks the file up through the Files API first; llmux does no I/O here.
        return Err(Error::bad_request(format!(
            "File reference {text:?} cannot be embedded: llmux does not resolve Gemini Files API \
             references"
        )));
    }
    Ok(json!({ "text": text }))
}

/// Parses an embeddings answer.
pub fn parse_embedding_response(
    body: &[u8],
    req: &EmbeddingRequest,
    want_base64: bool,
) -> Result<EmbeddingResponse, Error> {
    let v: Value = serde_json::from_slice(body).map_err(|e| unreadable(&e.to_string()))?;
    let mut prompt_tokens = 0u64;
    let mut details: Option<Value> = None;
    let mut total_tokens: Option<u64> = None;
    let vectors: Vec<&Value> = if let Some(list) = v.get("embeddings").and_then(Value::as_array) {
        list.iter()
            .map(|e| e.get("values").unwrap_or(&Value::Null))
            .collect()
    } else if let Some(one) = v.get("embedding") {
        if let Some(meta) = v.get("usageMetadata").filter(|m| m.is_object()) {
            prompt_tokens = meta
                .get("promptTokenCount")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            total_tokens = meta
                .get("totalTokenCount")
                .and_then(Value::as_u64)
                .filter(|t| *t > 0);
            details = Some(modality_details(meta, prompt_tokens, &req.input));
        }
        vec![one.get("values").unwrap_or(&Value::Null)]
    } else if let Some(list) = v.get("predictions").and_then(Value::as_array) {
        prompt_tokens = list
            .iter()
            .filter_map(|p| {
                p.get("embeddings")?
                    .get("statistics")?
                    .get("token_count")?
                    .as_f64()
            })
            .sum::<f64>() as u64;
        if let Some(chars) = v
            .get("metadata")
            .and_then(|m| m.get("billableCharacterCount"))
            .filter(|c| c.is_number())
        {
            details = Some(json!({ "character_count": chars }));
        }
        list.iter()
            .map(|p| {
                p.get("embeddings")
                    .and_then(|e| e.get("values"))
                    .unwrap_or(&Value::Null)
            })
            .collect()
    } else {
        return Err(unreadable("no embeddings in the answer"));
    };
    let data = embeddings_from_lists(vectors, want_base64, unreadable)?;
    // batchEmbedContents reports no usage: LiteLLM counts the input with its tokenizer,
    // which the caller does (llmux-providers has no tokenizer).
    Ok(EmbeddingResponse {
        object: "list".into(),
        data,
        model: req.model.clone(),
        usage: EmbeddingUsage {
            prompt_tokens,
            completion_tokens: 0,
            total_tokens: total_tokens.unwrap_or(prompt_tokens),
            prompt_tokens_details: details,
            completion_tokens_details: None,
        },
        extra: JsonMap::new(),
    })
}

/// `prompt_tokens_details` of an `embedContent` answer, per modality (LiteLLM's
/// `_usage_from_embed_content_response`).
fn modality_details(meta: &Value, prompt_tokens: u64, input: &EmbeddingInput) -> Value {
    let list = meta
        .get("promptTokensDetails")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty());
    let Some(list) = list else {
        let image_only = texts(input).is_ok_and(|t| {
            !t.is_empty()
                && t.iter().all(|s| {
                    ["data:image/png;", "data:image/jpeg;"]
                        .iter()
                        .any(|p| s.starts_with(p))
                        || [".png", ".jpg", ".jpeg"]
                            .iter()
                            .any(|e| s.starts_with("gs://") && s.to_ascii_lowercase().ends_with(e))
                })
        });
        return json!({"text_tokens": 0, "image_tokens": if image_only { prompt_tokens } else { 0 }});
    };
    let sum = |modality: &str| -> u64 {
        list.iter()
            .filter(|d| d.get("modality").and_then(Value::as_str) == Some(modality))
            .filter_map(|d| d.get("tokenCount").and_then(Value::as_u64))
            .sum()
    };
    json!({
        "text_tokens": sum("TEXT"),
        "audio_tokens": sum("AUDIO"),
        "image_tokens": sum("IMAGE"),
        "video_tokens": sum("VIDEO"),
    })
}

fn unreadable(why: &str) -> Error {
    Error::new(
        ErrorKind::Api,
        format!("Gemini returned an embeddings answer llmux cannot read: {why}"),
    )
    .with_provider("gemini")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_unsupported_unless_dropped_and_float_is_a_no_op() {
        let mut req: EmbeddingRequest = serde_json::from_value(
            json!({"model": "text-embedding-004", "input": "hi", "encoding_format": "base64"}),
        )
        .unwrap();
        let err = check_embedding_params(&mut req.clone(), false, "gemini").unwrap_err();
        assert_eq!(err.kind, ErrorKind::UnsupportedParams);
        assert_eq!(err.status.as_u16(), 400);
        assert!(
            err.message
                .starts_with("gemini does not support parameters: {'encoding_format': 'base64'}, for model=text-embedding-004."),
            "{}",
            err.message
        );
        check_embedding_params(&mut req, true, "gemini").unwrap();
        assert_eq!(req.encoding_format, None);
        req.encoding_format = Some("float".into());
        check_embedding_params(&mut req, false, "vertex_ai").unwrap();
        assert_eq!(req.encoding_format, None);
    }

    #[test]
    fn media_inputs_become_parts() {
        assert_eq!(part("hello").unwrap(), json!({"text": "hello"}));
        assert_eq!(
            part("gs://b/cat.png").unwrap(),
            json!({"file_data": {"mime_type": "image/png", "file_uri": "gs://b/cat.png"}})
        );
        assert!(part("data:image/gif;base64,AAAA").is_err());
    }
}
