//! Media URLs → Gemini parts, as LiteLLM's `_process_gemini_media`.
//!
//! - `gs://…` → `file_data` with the mime type from the extension (Gemini's accepted
//!   types only) or the one the client gave;
//! - Files API URIs → `file_data`, mime type only if given;
//! - `https://…` with a known media extension (or a given format) → `file_data`;
//! - `data:…;base64,…` → `inline_data`.
//!
//! LiteLLM downloads other http(s) URLs and inlines them; llmux does no I/O here, so such a
//! URL without a recognisable extension is a 400 asking for `format`.

use llmux_types::Error;
use serde_json::Value;

use super::types::{GeminiBlob, GeminiFileData, GeminiPart};

/// Files uploaded through the Gemini Files API.
pub(crate) const FILES_API_PREFIX: &str = "https://generativelanguage.googleapis.com/v1beta/files/";

/// What a client said about one media item besides its URL.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct MediaHints<'a> {
    /// `format` / `mime_type` / `content_type`.
    pub format: Option<&'a str>,
    /// `detail` (`low`, `medium`, `high`, `ultra_high`).
    pub detail: Option<&'a str>,
    /// `video_metadata` (`fps`, `start_offset`, `end_offset`).
    pub video_metadata: Option<&'a Value>,
}

/// The part for one media URL.
pub(crate) fn media_part(
    url: &str,
    hints: MediaHints<'_>,
    model: &str,
) -> Result<GeminiPart, Error> {
    let mut part = GeminiPart::default();
    if url.contains("gs://") {
        let mime = match hints.format {
            Some(f) => mime_alias(f),
            None => {
                let ext = extension(url);
                if ext.is_empty() {
                    // LiteLLM reads the object's metadata from GCS here; llmux does no I/O.
                    return Err(Error::bad_request(format!(
                        "Unable to determine mime type for gs URI: {url}. This gs:// URI has no file \
                         extension. Set it explicitly using image_url.format (or \
                         image_url.mime_type/content_type) or message.content[].file.format."
                    )));
                }
                gemini_mime_for_extension(ext)
                    .ok_or_else(|| {
                        Error::bad_request(format!(
                            "File type not supported by gemini - {}",
                            ext.to_ascii_uppercase()
                        ))
                    })?
                    .to_owned()
            }
        };
        part.file_data = Some(GeminiFileData {
            mime_type: Some(mime),
            file_uri: url.to_owned(),
        });
    } else if url.starts_with(FILES_API_PREFIX) {
        part.file_data = Some(GeminiFileData {
            mime_type: hints.format.map(str::to_owned),
            file_uri: url.to_owned(),
        });
    } else if let Some(mime) = url
        .contains("https://")
        .then(|| {
            hints
                .format
                .map(str::to_owned)
                .or_else(|| mime_from_url(url))
        })
        .flatten()
    {
        part.file_data = Some(GeminiFileData {
            mime_type: Some(mime),
            file_uri: url.to_owned(),
        });
    } else if url.contains("base64") && !url.starts_with("http") {
        let (mime, data) = parse_data_url(url)?;
        part.inline_data = Some(GeminiBlob {
            data: data.to_owned(),
            mime_type: hints.format.unwrap_or(mime).to_owned(),
        });
    } else if url.contains("http://") || url.contains("https://") {
        return Err(Error::bad_request(format!(
            "Unable to determine mime type for {url}: llmux does not download media. Set it \
             explicitly using image_url.format (or file.format)."
        )));
    } else {
        return Err(Error::bad_request(format!(
            "Invalid image received - {url}"
        )));
    }
    if super::request::is_gemini_3_or_newer(model)
        && let Some(level) = hints.detail.and_then(media_resolution)
    {
        part.media_resolution = Some(serde_json::json!({ "level": level }));
    }
    if let Some(Value::Object(meta)) = hints.video_metadata {
        let mut out = llmux_types::JsonMap::new();
        for (from, to) in [
            ("fps", "fps"),
            ("start_offset", "startOffset"),
            ("end_offset", "endOffset"),
        ] {
            if let Some(v) = meta.get(from) {
                out.insert(to.to_owned(), v.clone());
            }
        }
        if !out.is_empty() {
            part.video_metadata = Some(out);
        }
    }
    Ok(part)
}

/// `detail` → Gemini's media resolution level.
pub(crate) fn media_resolution(detail: &str) -> Option<&'static str> {
    match detail {
        "low" => Some("MEDIA_RESOLUTION_LOW"),
        "medium" => Some("MEDIA_RESOLUTION_MEDIUM"),
        "high" => Some("MEDIA_RESOLUTION_HIGH"),
        "ultra_high" => Some("MEDIA_RESOLUTION_ULTRA_HIGH"),
        _ => None,
    }
}

/// The rank of a `detail` value (ultra_high > high > medium > low).
pub(crate) fn detail_rank(detail: &str) -> u8 {
    match detail {
        "ultra_high" => 4,
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}

/// `data:<mime>;base64,<data>` → (mime, data).
pub(crate) fn parse_data_url(url: &str) -> Result<(&str, &str), Error> {
    url.split_once("data:")
        .and_then(|(_, rest)| rest.split_once(";base64,"))
        .ok_or_else(|| {
            Error::bad_request(
                "Image url not in expected format. Example Expected input - \"image_url\": \
                 \"data:image/jpeg;base64,{base64_image}\".",
            )
        })
}

/// LiteLLM's mime aliases: parameters stripped, lowercased, `image/jpg` → `image/jpeg`.
fn mime_alias(mime: &str) -> String {
    let m = mime
        .split(';')
        .next()
        .unwrap_or(mime)
        .trim()
        .to_ascii_lowercase();
    if m == "image/jpg" {
        "image/jpeg".to_owned()
    } else {
        m
    }
}

/// `os.path.splitext(url)[1]` without the dot.
fn extension(url: &str) -> &str {
    let name = url.rsplit('/').next().unwrap_or(url);
    match name.rfind('.') {
        Some(i) if i > 0 || !name.starts_with('.') => &name[i + 1..],
        _ => "",
    }
}

/// Mime type of an extension Gemini accepts (`GEMINI_1_5_ACCEPTED_FILE_TYPES`).
fn gemini_mime_for_extension(ext: &str) -> Option<&'static str> {
    Some(match ext.to_ascii_lowercase().as_str() {
        "png" => "image/png",
        "jpeg" | "jpg" => "image/jpeg",
        "webp" => "image/webp",
        "aac" => "audio/aac",
        "flac" => "audio/flac",
        "mp3" => "audio/mpeg",
        "mpa" => "audio/m4a",
        "mpeg" => "video/mpeg",
        "mpga" => "audio/mpga",
        "opus" => "audio/opus",
        "pcm" => "audio/pcm",
        "wav" => "audio/wav",
        "webm" => "video/webm",
        "flv" => "video/x-flv",
        "mov" => "video/quicktime",
        "mpegps" => "video/mpegps",
        "mpg" => "video/mpg",
        "mp4" => "video/mp4",
        "wmv" => "video/wmv",
        "3gpp" => "video/3gpp",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        _ => return None,
    })
}

/// LiteLLM's `get_image_mime_type_from_url`: common media extensions of the URL path.
fn mime_from_url(url: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    let path = url::Url::parse(&lower)
        .map(|u| u.path().to_owned())
        .unwrap_or(lower);
    const TABLE: &[(&[&str], &str)] = &[
        (&[".jpg", ".jpeg"], "image/jpeg"),
        (&[".png"], "image/png"),
        (&[".webp"], "image/webp"),
        (&[".mp4"], "video/mp4"),
        (&[".mov"], "video/mov"),
        (&[".mpeg", ".mpg"], "video/mpeg"),
        (&[".avi"], "video/avi"),
        (&[".wmv"], "video/wmv"),
        (&[".mpegps"], "video/mpegps"),
        (&[".flv"], "video/flv"),
        (&[".mp3"], "audio/mp3"),
        (&[".wav"], "audio/wav"),
        (&[".ogg"], "audio/ogg"),
        (&[".pdf"], "application/pdf"),
        (&[".txt"], "text/plain"),
    ];
    TABLE
        .iter()
        .find(|(exts, _)| exts.iter().any(|e| path.ends_with(e)))
        .map(|(_, mime)| (*mime).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(url: &str) -> serde_json::Value {
        serde_json::to_value(media_part(url, MediaHints::default(), "gemini-2.5-flash").unwrap())
            .unwrap()
    }

    #[test]
    fn data_urls_are_inline_data() {
        assert_eq!(
            part("data:image/png;base64,AAAA"),
            serde_json::json!({"inline_data": {"data": "AAAA", "mime_type": "image/png"}})
        );
    }

    #[test]
    fn gs_and_https_urls_are_file_data() {
        assert_eq!(
            part("gs://bucket/a/cat.JPG"),
            serde_json::json!({"file_data": {"mime_type": "image/jpeg", "file_uri": "gs://bucket/a/cat.JPG"}})
        );
        assert_eq!(
            part("https://example.com/doc.pdf?sig=1"),
            serde_json::json!({"file_data": {"mime_type": "application/pdf", "file_uri": "https://example.com/doc.pdf?sig=1"}})
        );
        assert_eq!(
            part("https://generativelanguage.googleapis.com/v1beta/files/abc"),
            serde_json::json!({"file_data": {"file_uri": "https://generativelanguage.googleapis.com/v1beta/files/abc"}})
        );
    }

    #[test]
    fn unknown_media_is_a_400() {
        let bad = |u: &str| media_part(u, MediaHints::default(), "gemini-2.5-flash").unwrap_err();
        assert_eq!(bad("gs://bucket/noext").status.as_u16(), 400);
        assert_eq!(bad("gs://bucket/a.gif").status.as_u16(), 400);
        assert_eq!(bad("https://example.com/picture").status.as_u16(), 400);
    }
}
