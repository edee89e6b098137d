//! OpenAI image and file parts → Anthropic `image` and `document` blocks, as LiteLLM's
//! `create_anthropic_image_param` and `anthropic_process_openai_file_message`.

use llmux_types::{Error, JsonMap};
use serde_json::{Value, json};

use super::messages::{ConvertOptions, bad_request};
use super::types::{
    AnthropicContentBlock, AnthropicDocumentBlock, AnthropicImageBlock, AnthropicSource,
};

/// The URL of an `image_url` part given as a bare string (`"image_url": "https://…"`).
pub(super) fn string_image_url(part: &Value) -> Option<&str> {
    if part.get("type").and_then(Value::as_str) != Some("image_url") {
        return None;
    }
    part.get("image_url").and_then(Value::as_str)
}

/// `data:<media>;base64,<data>` split into media type and data.
fn parse_data_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (media, data) = rest.split_once(";base64,")?;
    Some((media, data))
}

/// An image part: https URLs by reference, data URLs inline (a PDF data URL becomes a
/// document, as LiteLLM's `_anthropic_content_element_factory`). With
/// `document_mimes`, `text/plain` data URLs become documents too (tool results).
pub(super) fn image_block(
    url: &str,
    format: Option<&str>,
    document_mimes: bool,
    opts: ConvertOptions<'_>,
) -> Result<AnthropicContentBlock, Error> {
    if url.starts_with("http://") || url.starts_with("https://") {
        // LiteLLM downloads `http://` images (and every image on Vertex) and inlines
        // them; a sans-IO adapter cannot, so the URL goes by reference.
        return Ok(AnthropicContentBlock::Image(AnthropicImageBlock {
            source: AnthropicSource::Url {
                url: url.to_owned(),
            },
            cache_control: None,
            extra: JsonMap::new(),
        }));
    }
    let Some((media, data)) = parse_data_url(url) else {
        return Err(bad_request(
            opts.provider,
            "Image url not in expected format. Example Expected input - \"image_url\": \
             \"data:image/jpeg;base64,{base64_image}\". Supported formats - ['image/jpeg', \
             'image/png', 'image/gif', 'image/webp'].",
        ));
    };
    let media_type = format.unwrap_or(media).replace("\\/", "/");
    let is_document =
        media_type == "application/pdf" || (document_mimes && media_type == "text/plain");
    let source = AnthropicSource::Base64 {
        media_type,
        data: data.to_owned(),
    };
    Ok(if is_document {
        document(source)
    } else {
        AnthropicContentBlock::Image(AnthropicImageBlock {
            source,
            cache_control: None,
            extra: JsonMap::new(),
        })
    })
}

fn document(source: AnthropicSource) -> AnthropicContentBlock {
    AnthropicContentBlock::Document(AnthropicDocumentBlock {
        source,
        title: None,
        context: None,
        citations: None,
        cache_control: None,
        extra: JsonMap::new(),
    })
}

/// An OpenAI `file` part (`anthropic_process_openai_file_message`).
pub(super) fn file_block(
    file: &Value,
    opts: ConvertOptions<'_>,
) -> Result<AnthropicContentBlock, Error> {
    let format = file.get("format").and_then(Value::as_str);
    let nonempty = |k: &str| {
        file.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if let Some(data) = nonempty("file_data") {
        if data.starts_with("http://") || data.starts_with("https://") {
            return Ok(document(AnthropicSource::Url {
                url: data.to_owned(),
            }));
        }
        let Some((media, b64)) = parse_data_url(data) else {
            return Err(bad_request(
                opts.provider,
                "file_data must be a base64 data URL (data:<media type>;base64,<data>)",
            ));
        };
        return Ok(document(AnthropicSource::Base64 {
            media_type: format.unwrap_or(media).replace("\\/", "/"),
            data: b64.to_owned(),
        }));
    }
    let Some(file_id) = nonempty("file_id") else {
        return Err(bad_request(
            opts.provider,
            "Either file_data or file_id must be present in the file content part",
        ));
    };
    let file_source = || AnthropicSource::File {
        file_id: file_id.to_owned(),
    };
    Ok(match format {
        Some("application/pdf" | "text/plain") => document(file_source()),
        Some("image/jpeg" | "image/png" | "image/gif" | "image/webp") => {
            AnthropicContentBlock::Image(AnthropicImageBlock {
                source: file_source(),
                cache_control: None,
                extra: JsonMap::new(),
            })
        }
        None if file_id.starts_with("http") => document(AnthropicSource::Url {
            url: file_id.to_owned(),
        }),
        _ => AnthropicContentBlock::Other(json!({"type": "container_upload", "file_id": file_id})),
    })
}
