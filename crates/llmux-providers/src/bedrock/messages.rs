//! Chat turns → Converse `system` and `messages`, as LiteLLM's
//! `_bedrock_converse_messages_pt` and `_transform_system_message` build them:
//!
//! - system (and developer) turns, wherever they are, become `system` text blocks;
//! - user and tool turns in a row become one `user` message; a tool turn is a
//!   `toolResult` block (`toolUseId`, its text as `content`);
//! - assistant turns in a row become one `assistant` message: text, then `toolUse`
//!   blocks with the arguments parsed, reasoning as `reasoningContent`;
//! - images and files must be inline (`data:` URLs) or on S3 (`s3://`); the adapter does
//!   no I/O, so an `https` URL is a 400 rather than a silent download;
//! - `cache_control` on a turn or a part adds a `cachePoint` block after it.

use llmux_types::{ChatMessage, ContentPart, Error, MessageContent, Role};
use serde_json::{Value, json};

/// The converted turns.
pub(super) struct Converted {
    pub system: Vec<Value>,
    pub messages: Vec<Value>,
}

pub(super) fn convert(messages: &[ChatMessage]) -> Result<Converted, Error> {
    let mut system = Vec::new();
    let mut out: Vec<(&'static str, Vec<Value>)> = Vec::new();
    let mut documents = 0usize;
    for m in messages {
        let (role, blocks) = match &m.role {
            Role::System | Role::Developer => {
                system.extend(text_blocks(m.content.as_ref()));
                if has_cache_control(&m.extra) {
                    system.push(cache_point());
                }
                continue;
            }
            Role::User => ("user", user_blocks(m, &mut documents)?),
            Role::Tool | Role::Function => ("user", vec![tool_result(m)]),
            Role::Assistant => ("assistant", assistant_blocks(m)?),
            Role::Other(other) => {
                return Err(Error::bad_request(format!(
                    "Bedrock does not accept messages with role '{other}'"
                ))
                .with_provider("bedrock"));
            }
        };
        match out.last_mut() {
            Some((last, existing)) if *last == role => existing.extend(blocks),
            _ => out.push((role, blocks)),
        }
    }
    let messages = out
        .into_iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect();
    Ok(Converted { system, messages })
}

fn has_cache_control(extra: &llmux_types::JsonMap) -> bool {
    extra.get("cache_control").is_some_and(|c| !c.is_null())
}

fn cache_point() -> Value {
    json!({"cachePoint": {"type": "default"}})
}

/// The text of a content as `{"text"}` blocks (empty text left out), cache points kept.
fn text_blocks(content: Option<&MessageContent>) -> Vec<Value> {
    match content {
        Some(MessageContent::Text(s)) if !s.is_empty() => vec![json!({"text": s})],
        Some(MessageContent::Parts(parts)) => {
            let mut out = Vec::new();
            for p in parts {
                if let ContentPart::Text { text, extra, .. } = p {
                    if !text.is_empty() {
                        out.push(json!({"text": text}));
                    }
                    if has_cache_control(extra) {
                        out.push(cache_point());
                    }
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

fn user_blocks(m: &ChatMessage, documents: &mut usize) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    match &m.content {
        Some(MessageContent::Text(s)) => out.push(json!({"text": s})),
        Some(MessageContent::Parts(parts)) => {
            for p in parts {
                match p {
                    ContentPart::Text { text, extra, .. } => {
                        out.push(json!({"text": text}));
                        if has_cache_control(extra) {
                            out.push(cache_point());
                        }
                    }
                    ContentPart::ImageUrl {
                        image_url, extra, ..
                    } => {
                        out.push(media_block(&image_url.url, None, documents)?);
                        if has_cache_control(extra) {
                            out.push(cache_point());
                        }
                    }
                    ContentPart::File { file, extra, .. } => {
                        let data = file
                            .get("file_data")
                            .or_else(|| file.get("file_id"))
                            .and_then(Value::as_str)
                            .ok_or_else(|| {
                                Error::bad_request("a file part needs file_data or file_id")
                                    .with_provider("bedrock")
                            })?;
                        let name = file.get("filename").and_then(Value::as_str);
                        out.push(media_block(data, name, documents)?);
                        if has_cache_control(extra) {
                            out.push(cache_point());
                        }
                    }
                    ContentPart::InputAudio { .. } | ContentPart::Other(_) => {
                        return Err(Error::bad_request(
                            "Bedrock Converse takes text, image and file parts only",
                        )
                        .with_provider("bedrock"));
                    }
                }
            }
        }
        None => {}
    }
    if has_cache_control(&m.extra) {
        out.push(cache_point());
    }
    Ok(out)
}

/// An image or document block from a `data:` or `s3://` URL.
fn media_block(url: &str, name: Option<&str>, documents: &mut usize) -> Result<Value, Error> {
    let (mime, source) = if let Some(rest) = url.strip_prefix("data:") {
        let (mime, data) = rest.split_once(";base64,").ok_or_else(|| {
            Error::bad_request("a data URL for Bedrock must be base64 (data:<mime>;base64,…)")
                .with_provider("bedrock")
        })?;
        (mime.to_owned(), json!({"bytes": data}))
    } else if url.starts_with("s3://") {
        let ext = url
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mime = match ext.as_str() {
            "pdf" => "application/pdf".to_owned(),
            "jpg" | "jpeg" => "image/jpeg".to_owned(),
            other => format!("image/{other}"),
        };
        (mime, json!({"s3Location": {"uri": url}}))
    } else {
        return Err(Error::bad_request(
            "Bedrock needs images and files inline (a data: URL) or on S3 (s3://…); llmux does not download URLs",
        )
        .with_provider("bedrock"));
    };
    let format = mime.rsplit('/').next().unwrap_or_default();
    if let Some(image) = mime.strip_prefix("image/") {
        let format = if image == "jpg" { "jpeg" } else { image };
        return Ok(json!({"image": {"format": format, "source": source}}));
    }
    let format = match format {
        "plain" => "txt",
        "vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "msword" => "doc",
        "vnd.ms-excel" => "xls",
        "markdown" => "md",
        other => other,
    };
    *documents += 1;
    // LiteLLM's generated names (Bedrock requires one, unique per request).
    let name = name.map_or_else(
        || {
            format!(
                "Document{}messages_{}",
                format.to_ascii_uppercase(),
                documents
            )
        },
        str::to_owned,
    );
    Ok(json!({"document": {"format": format, "name": name, "source": source}}))
}

fn tool_result(m: &ChatMessage) -> Value {
    let text = m
        .content
        .as_ref()
        .map(MessageContent::text)
        .unwrap_or_default();
    // Bedrock rejects an empty tool result; LiteLLM sends a single space.
    let text = if text.is_empty() {
        " ".to_owned()
    } else {
        text
    };
    json!({"toolResult": {
        "content": [{"text": text}],
        "toolUseId": m.tool_call_id.clone().unwrap_or_default(),
    }})
}

fn assistant_blocks(m: &ChatMessage) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    if let Some(blocks) = &m.thinking_blocks {
        for b in blocks {
            match b.get("type").and_then(Value::as_str) {
                Some("thinking") => out.push(json!({"reasoningContent": {"reasoningText": {
                    "text": b.get("thinking").cloned().unwrap_or(Value::Null),
                    "signature": b.get("signature").cloned().unwrap_or(Value::Null),
                }}})),
                Some("redacted_thinking") => out.push(json!({"reasoningContent": {
                    "redactedContent": b.get("data").cloned().unwrap_or(Value::Null),
                }})),
                _ => {}
            }
        }
    }
    out.extend(text_blocks(m.content.as_ref()));
    for call in m.tool_calls.iter().flatten() {
        let args = call.function.arguments.trim();
        let input: Value = if args.is_empty() {
            json!({})
        } else {
            serde_json::from_str(args).map_err(|e| {
                Error::bad_request(format!(
                    "tool call {} has arguments that are not JSON: {e}",
                    call.id
                ))
                .with_provider("bedrock")
            })?
        };
        out.push(json!({"toolUse": {
            "input": input,
            "name": call.function.name,
            "toolUseId": call.id,
        }}));
    }
    if has_cache_control(&m.extra) {
        out.push(cache_point());
    }
    Ok(out)
}
