//! OpenAI messages → Gemini `contents` and `system_instruction`, as LiteLLM's
//! `_gemini_convert_messages_with_history` and `_transform_system_message`.
//!
//! - System messages become the system instruction (one text part each); if nothing else
//!   is left, a user turn `"."` is added.
//! - Consecutive user (and leftover system) messages merge into one `user` turn;
//!   consecutive assistant messages into one `model` turn; consecutive tool results into
//!   one `user` turn of `function_response` parts, the function name recovered from the
//!   last assistant tool call with the same id.
//! - Assistant tool calls become `function_call` parts; a thought signature carried in
//!   the tool-call id (`call_…__thought__<sig>`) or in `provider_specific_fields` goes
//!   back as the part's `thoughtSignature`.

use llmux_types::{ChatMessage, ContentPart, Error, MessageContent, Role, ToolCall};
use serde_json::{Value, json};

use super::media::{MediaHints, media_part, parse_data_url};
use super::request::is_gemini_3_or_newer;
use super::signature::{THOUGHT_SIGNATURE_SEPARATOR, dummy_signature, signature_of};
use super::types::{
    GeminiBlob, GeminiContent, GeminiFunctionCall, GeminiFunctionResponse, GeminiPart,
};

/// The converted conversation.
#[derive(Debug, Default)]
pub(crate) struct Conversation {
    pub system_instruction: Option<GeminiContent>,
    pub contents: Vec<GeminiContent>,
}

/// Converts `messages` for `model`.
pub(crate) fn convert_messages(
    messages: &[ChatMessage],
    model: &str,
) -> Result<Conversation, Error> {
    let dot = ChatMessage::user(".");
    let mut system_parts = Vec::new();
    let mut rest: Vec<&ChatMessage> = Vec::with_capacity(messages.len());
    for m in messages {
        if is_system(&m.role) {
            match &m.content {
                Some(MessageContent::Text(t)) => {
                    system_parts.push(GeminiPart::text(t.clone()));
                    continue;
                }
                Some(MessageContent::Parts(parts)) => {
                    system_parts.push(GeminiPart::text(system_text(parts)));
                    continue;
                }
                None => {}
            }
        }
        rest.push(m);
    }
    if !system_parts.is_empty() && rest.is_empty() {
        // LiteLLM adds a user turn so Gemini does not refuse a system-only request.
        rest.push(&dot);
    }
    let system_instruction = (!system_parts.is_empty()).then(|| GeminiContent {
        role: None,
        parts: system_parts,
    });
    Ok(Conversation {
        system_instruction,
        contents: convert_turns(&rest, model)?,
    })
}

fn is_system(role: &Role) -> bool {
    matches!(role, Role::System | Role::Developer)
}

/// The text of a list-content system message: every part's `text`, concatenated.
fn system_text(parts: &[ContentPart]) -> String {
    parts
        .iter()
        .filter_map(|p| match p {
            ContentPart::Text { text, .. } => Some(text.as_str()),
            ContentPart::Other(v) => v.get("text").and_then(Value::as_str),
            _ => None,
        })
        .collect()
}

fn convert_turns(messages: &[&ChatMessage], model: &str) -> Result<Vec<GeminiContent>, Error> {
    let forward_ids = is_gemini_3_or_newer(model);
    let mut contents: Vec<GeminiContent> = Vec::new();
    let mut tool_responses: Vec<GeminiPart> = Vec::new();
    let mut last_tool_calls: Option<&[ToolCall]> = None;
    let mut i = 0;
    while i < messages.len() {
        let start = i;
        let mut user_parts: Vec<GeminiPart> = Vec::new();
        while i < messages.len() && (messages[i].role == Role::User || is_system(&messages[i].role))
        {
            user_parts.extend(user_content_parts(messages[i], model)?);
            i += 1;
        }
        if !user_parts.is_empty() {
            if !user_parts.iter().any(|p| p.text.is_some()) {
                // Vertex refuses a turn without a text part (LiteLLM issue #5515).
                user_parts.push(GeminiPart::text(" "));
            }
            contents.push(GeminiContent {
                role: Some("user"),
                parts: user_parts,
            });
        }
        let mut model_parts: Vec<GeminiPart> = Vec::new();
        while i < messages.len() && messages[i].role == Role::Assistant {
            let m = messages[i];
            assistant_parts(m, model, forward_ids, &mut model_parts)?;
            if m.tool_calls.as_ref().is_some_and(|c| !c.is_empty()) {
                last_tool_calls = m.tool_calls.as_deref();
            }
            i += 1;
        }
        if !model_parts.is_empty() {
            contents.push(GeminiContent {
                role: Some("model"),
                parts: model_parts,
            });
        }
        if i < messages.len() && matches!(messages[i].role, Role::Tool | Role::Function) {
            tool_responses.push(tool_result_part(messages[i], last_tool_calls, forward_ids)?);
            i += 1;
        }
        if i < messages.len()
            && !matches!(messages[i].role, Role::Tool | Role::Function)
            && !tool_responses.is_empty()
        {
            contents.push(GeminiContent {
                role: Some("user"),
                parts: std::mem::take(&mut tool_responses),
            });
        }
        if i == start {
            return Err(Error::bad_request(format!(
                "Invalid Message passed in - message with role '{}' cannot be sent to Gemini",
                messages[i].role
            )));
        }
    }
    if !tool_responses.is_empty() {
        contents.push(GeminiContent {
            role: Some("user"),
            parts: tool_responses,
        });
    }
    if contents.is_empty() {
        contents.push(GeminiContent {
            role: Some("user"),
            parts: vec![GeminiPart::text(" ")],
        });
    }
    Ok(contents)
}

/// The parts of one user (or leftover system) message.
fn user_content_parts(m: &ChatMessage, model: &str) -> Result<Vec<GeminiPart>, Error> {
    let parts = match &m.content {
        None => return Ok(Vec::new()),
        Some(MessageContent::Text(t)) => return Ok(vec![GeminiPart::text(t.clone())]),
        Some(MessageContent::Parts(parts)) => parts,
    };
    let mut out = Vec::new();
    for part in parts {
        match part {
            ContentPart::Text { text, .. } => {
                if !text.is_empty() {
                    out.push(GeminiPart::text(text.clone()));
                }
            }
            ContentPart::ImageUrl { image_url, .. } => {
                let hints = MediaHints {
                    format: ["format", "mime_type", "content_type"]
                        .iter()
                        .find_map(|k| image_url.extra.get(*k).and_then(Value::as_str))
                        .filter(|f| !f.is_empty()),
                    detail: image_url.detail.as_deref(),
                    video_metadata: None,
                };
                out.push(media_part(&image_url.url, hints, model)?);
            }
            ContentPart::InputAudio { input_audio, .. } => {
                let data = input_audio.get("data").and_then(Value::as_str);
                let format = input_audio.get("format").and_then(Value::as_str);
                if let (Some(data), Some(format)) = (data, format) {
                    let mime = if format.starts_with("audio/") {
                        format.to_owned()
                    } else {
                        format!("audio/{format}")
                    };
                    let url = format!("data:{mime};base64,{data}");
                    let hints = MediaHints {
                        format: Some(&mime),
                        ..MediaHints::default()
                    };
                    out.push(media_part(&url, hints, model)?);
                }
            }
            ContentPart::File { file, .. } => {
                let Value::Object(file) = file else {
                    return Err(Error::bad_request(
                        "Content block has type='file' but is missing the required 'file' field",
                    ));
                };
                let source = ["file_id", "file_data"]
                    .iter()
                    .find_map(|k| {
                        file.get(*k)
                            .and_then(Value::as_str)
                            .filter(|s| !s.is_empty())
                    })
                    .ok_or_else(|| {
                        Error::bad_request(
                            "Unknown file type. Please pass in a file_id or file_data",
                        )
                    })?;
                let hints = MediaHints {
                    format: ["format", "mime_type", "content_type"]
                        .iter()
                        .find_map(|k| file.get(*k).and_then(Value::as_str))
                        .filter(|f| !f.is_empty()),
                    detail: file.get("detail").and_then(Value::as_str),
                    video_metadata: file.get("video_metadata"),
                };
                out.push(media_part(source, hints, model)?);
            }
            // `image_url` given as a bare string, which LiteLLM accepts too.
            ContentPart::Other(v) => {
                if v.get("type").and_then(Value::as_str) == Some("image_url")
                    && let Some(url) = v.get("image_url").and_then(Value::as_str)
                {
                    out.push(media_part(url, MediaHints::default(), model)?);
                }
            }
        }
    }
    Ok(out)
}

/// Appends the parts of one assistant message.
fn assistant_parts(
    m: &ChatMessage,
    model: &str,
    forward_ids: bool,
    out: &mut Vec<GeminiPart>,
) -> Result<(), Error> {
    if let Some(reasoning) = &m.reasoning_content {
        out.push(GeminiPart {
            thought: Some(true),
            text: Some(reasoning.clone()),
            ..GeminiPart::default()
        });
    }
    match &m.content {
        Some(MessageContent::Parts(parts)) => {
            for part in parts {
                if let ContentPart::Text { text, .. } = part {
                    out.push(GeminiPart::text(text.clone()));
                }
            }
        }
        Some(MessageContent::Text(text)) => {
            let signature = m
                .extra
                .get("provider_specific_fields")
                .and_then(|p| p.get("thought_signatures"))
                .and_then(Value::as_array)
                .and_then(|s| s.first())
                .and_then(Value::as_str)
                .filter(|s| !tool_call_signatures(m).iter().any(|t| t == s));
            out.push(GeminiPart {
                text: Some(text.clone()),
                thought_signature: signature.map(str::to_owned),
                ..GeminiPart::default()
            });
        }
        None => {}
    }
    if let Some(Value::Array(images)) = m.extra.get("images") {
        for image in images {
            let Some(Value::Object(image_url)) = image.get("image_url") else {
                continue;
            };
            let Some(url) = image_url
                .get("url")
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty())
            else {
                continue;
            };
            let hints = MediaHints {
                format: ["format", "mime_type", "content_type"]
                    .iter()
                    .find_map(|k| image_url.get(*k).and_then(Value::as_str))
                    .filter(|f| !f.is_empty()),
                detail: image_url.get("detail").and_then(Value::as_str),
                video_metadata: None,
            };
            out.push(media_part(url, hints, model)?);
        }
    }
    if let Some(calls) = &m.tool_calls {
        let needs_dummy = is_gemini_3_or_newer(model);
        let mut first = true;
        for call in calls {
            let args = if call.function.arguments.is_empty() {
                json!({"type": "object"})
            } else {
                serde_json::from_str(&call.function.arguments).map_err(|e| {
                    Error::bad_request(format!(
                        "Unable to convert openai tool calls to gemini tool calls: arguments of \
                         '{}' are not JSON: {e}",
                        call.function.name
                    ))
                })?
            };
            let id = forward_ids
                .then(|| {
                    call.id
                        .split(THOUGHT_SIGNATURE_SEPARATOR)
                        .next()
                        .unwrap_or("")
                })
                .filter(|id| !id.is_empty())
                .map(str::to_owned);
            let mut signature = signature_of(call);
            if signature.is_none() && first && needs_dummy {
                // Gemini 3 requires a signature on the first call of a turn; Google's
                // documented placeholder when the history came from elsewhere.
                signature = Some(dummy_signature());
            }
            first = false;
            let part = GeminiPart {
                function_call: Some(GeminiFunctionCall {
                    name: call.function.name.clone(),
                    args,
                    id,
                }),
                thought_signature: signature,
                ..GeminiPart::default()
            };
            if !out
                .iter()
                .any(|p| p.function_call.is_some() && p.function_call == part.function_call)
            {
                out.push(part);
            }
        }
    }
    Ok(())
}

/// The thought signatures this message's tool calls already carry.
fn tool_call_signatures(m: &ChatMessage) -> Vec<String> {
    m.tool_calls
        .iter()
        .flatten()
        .filter_map(signature_of)
        .collect()
}

/// A tool (or legacy function) result → a `function_response` part.
fn tool_result_part(
    m: &ChatMessage,
    last_tool_calls: Option<&[ToolCall]>,
    forward_ids: bool,
) -> Result<GeminiPart, Error> {
    let mut text = String::new();
    let mut inline: Vec<GeminiBlob> = Vec::new();
    match &m.content {
        Some(MessageContent::Text(t)) => {
            // A data-URL image as the whole result (Anthropic tool results translated
            // upstream of LiteLLM look like this) goes as bytes.
            let image = t
                .get(..5)
                .filter(|p| p.eq_ignore_ascii_case("data:"))
                .and_then(|_| t.get(5..))
                .and_then(|rest| rest.split_once(";base64,"))
                .filter(|(mime, _)| mime.starts_with("image/"));
            if let Some((mime, data)) = image {
                let mime = mime.split(';').next().unwrap_or(mime).trim();
                inline.push(GeminiBlob {
                    data: data.to_owned(),
                    mime_type: mime.to_owned(),
                });
            } else {
                text.clone_from(t);
            }
        }
        Some(MessageContent::Parts(parts)) => {
            for part in parts {
                match part {
                    ContentPart::Text { text: t, .. } => text.push_str(t),
                    ContentPart::ImageUrl { image_url, .. } => {
                        if let Ok((mime, data)) = parse_data_url(&image_url.url) {
                            inline.push(GeminiBlob {
                                data: data.to_owned(),
                                mime_type: mime.to_owned(),
                            });
                        }
                    }
                    ContentPart::File { file, .. } => {
                        let data = file
                            .get("file_data")
                            .and_then(Value::as_str)
                            .or_else(|| file.as_str());
                        if let Some(Ok((mime, data))) = data.map(parse_data_url) {
                            inline.push(GeminiBlob {
                                data: data.to_owned(),
                                mime_type: mime.to_owned(),
                            });
                        }
                    }
                    ContentPart::Other(v) => other_tool_part(v, &mut inline),
                    ContentPart::InputAudio { .. } => {}
                }
            }
        }
        None => {}
    }
    let mut name = m.name.clone().unwrap_or_default();
    if let (Some(calls), Some(id)) = (last_tool_calls, m.tool_call_id.as_deref()) {
        for call in calls {
            if !id.is_empty() && call.id == id {
                name.clone_from(&call.function.name);
            }
        }
    }
    if name.is_empty() {
        return Err(Error::bad_request(format!(
            "Missing corresponding tool call for tool response message. Received - tool_call_id={}",
            m.tool_call_id.as_deref().unwrap_or("None")
        )));
    }
    let id = forward_ids
        .then(|| {
            m.tool_call_id
                .as_deref()
                .and_then(|id| id.split(THOUGHT_SIGNATURE_SEPARATOR).next())
        })
        .flatten()
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    let response = response_data(&text);
    let parts = (!inline.is_empty()).then(|| {
        inline
            .into_iter()
            .map(|blob| json!({ "inline_data": blob }))
            .collect()
    });
    Ok(GeminiPart {
        function_response: Some(GeminiFunctionResponse {
            name,
            response,
            id,
            parts,
        }),
        ..GeminiPart::default()
    })
}

/// Anthropic-style image blocks and `input_image` parts in tool results.
fn other_tool_part(v: &Value, inline: &mut Vec<GeminiBlob>) {
    match v.get("type").and_then(Value::as_str) {
        Some("image") => {
            let source = v.get("source");
            if source.and_then(|s| s.get("type")).and_then(Value::as_str) == Some("base64") {
                inline.push(GeminiBlob {
                    data: source
                        .and_then(|s| s.get("data"))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                    mime_type: source
                        .and_then(|s| s.get("media_type"))
                        .and_then(Value::as_str)
                        .unwrap_or("image/jpeg")
                        .to_owned(),
                });
            }
        }
        Some("input_image") => {
            let url = match v.get("image_url") {
                Some(Value::String(s)) => Some(s.as_str()),
                Some(obj) => obj.get("url").and_then(Value::as_str),
                None => None,
            };
            if let Some(Ok((mime, data))) = url.map(parse_data_url) {
                inline.push(GeminiBlob {
                    data: data.to_owned(),
                    mime_type: mime.to_owned(),
                });
            }
        }
        Some("input_file") => {
            let data = v.get("file_data").and_then(Value::as_str);
            if let Some(Ok((mime, data))) = data.map(parse_data_url) {
                inline.push(GeminiBlob {
                    data: data.to_owned(),
                    mime_type: mime.to_owned(),
                });
            }
        }
        _ => {}
    }
}

/// A JSON object result goes as is; anything else as `{"content": text}`.
fn response_data(text: &str) -> Value {
    let trimmed = text.trim();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(Value::Object(parsed)) = serde_json::from_str::<Value>(text)
    {
        let parsed = Value::Object(parsed);
        // Gemini reads {"$ref": "…"} in a function response as a pointer to a part.
        if !contains_part_reference(&parsed) {
            return parsed;
        }
    }
    json!({ "content": text })
}

/// Whether any object reachable without passing a list directly nested in a list has a
/// non-empty string `$ref` (LiteLLM issue #38223).
fn contains_part_reference(v: &Value) -> bool {
    let mut level: Vec<&Value> = vec![v];
    while !level.is_empty() {
        let mut next = Vec::new();
        for node in level {
            match node {
                Value::Object(map) => {
                    if map
                        .get("$ref")
                        .and_then(Value::as_str)
                        .is_some_and(|r| !r.is_empty())
                    {
                        return true;
                    }
                    next.extend(map.values());
                }
                Value::Array(items) => next.extend(items.iter().filter(|i| !i.is_array())),
                _ => {}
            }
        }
        level = next;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(messages: Value, model: &str) -> Value {
        let messages: Vec<ChatMessage> = serde_json::from_value(messages).unwrap();
        let c = convert_messages(&messages, model).unwrap();
        json!({"system": c.system_instruction, "contents": c.contents})
    }

    #[test]
    fn consecutive_turns_merge_and_tool_results_find_their_names() {
        let out = convert(
            json!([
                {"role": "user", "content": "a"},
                {"role": "user", "content": [{"type": "text", "text": "b"}, {"type": "text", "text": ""}]},
                {"role": "assistant", "content": "c", "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"x\":1}"}},
                    {"id": "call_2", "type": "function", "function": {"name": "g", "arguments": ""}}
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "plain"},
                {"role": "tool", "tool_call_id": "call_2", "content": "[1, 2]"},
                {"role": "user", "content": "d"}
            ]),
            "gemini-2.5-flash",
        );
        assert_eq!(
            out["contents"],
            json!([
                {"role": "user", "parts": [{"text": "a"}, {"text": "b"}]},
                {"role": "model", "parts": [
                    {"text": "c"},
                    {"function_call": {"name": "f", "args": {"x": 1}}},
                    {"function_call": {"name": "g", "args": {"type": "object"}}}
                ]},
                {"role": "user", "parts": [
                    {"function_response": {"name": "f", "response": {"content": "plain"}}},
                    {"function_response": {"name": "g", "response": {"content": "[1, 2]"}}}
                ]},
                {"role": "user", "parts": [{"text": "d"}]}
            ])
        );
    }

    #[test]
    fn a_system_only_request_gets_a_dot() {
        let out = convert(
            json!([{"role": "system", "content": "be brief"}]),
            "gemini-2.5-flash",
        );
        assert_eq!(out["system"], json!({"parts": [{"text": "be brief"}]}));
        assert_eq!(
            out["contents"],
            json!([{"role": "user", "parts": [{"text": "."}]}])
        );
    }

    #[test]
    fn gemini_3_forwards_ids_and_signs_the_first_call() {
        let out = convert(
            json!([
                {"role": "user", "content": "q"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_a__thought__c2ln", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                    {"id": "call_b", "type": "function", "function": {"name": "f", "arguments": "{\"y\":2}"}}
                ]},
                {"role": "tool", "tool_call_id": "call_a__thought__c2ln", "content": "{\"ok\":true}"}
            ]),
            "gemini-3-pro-preview",
        );
        assert_eq!(
            out["contents"][1]["parts"],
            json!([
                {"function_call": {"name": "f", "args": {}, "id": "call_a"}, "thoughtSignature": "c2ln"},
                {"function_call": {"name": "f", "args": {"y": 2}, "id": "call_b"}}
            ])
        );
        assert_eq!(
            out["contents"][2]["parts"][0],
            json!({"function_response": {"name": "f", "response": {"ok": true}, "id": "call_a"}})
        );
    }

    #[test]
    fn unknown_tool_results_are_a_400() {
        let messages: Vec<ChatMessage> = serde_json::from_value(json!([
            {"role": "user", "content": "q"},
            {"role": "tool", "tool_call_id": "nope", "content": "x"}
        ]))
        .unwrap();
        assert_eq!(
            convert_messages(&messages, "gemini-2.5-flash")
                .unwrap_err()
                .status
                .as_u16(),
            400
        );
    }

    #[test]
    fn ref_objects_in_tool_results_stay_text() {
        assert_eq!(
            response_data("{\"a\": {\"$ref\": \"x\"}}"),
            json!({"content": "{\"a\": {\"$ref\": \"x\"}}"})
        );
        assert_eq!(
            response_data("{\"a\": [[{\"$ref\": \"x\"}]]}")["a"],
            json!([[{"$ref": "x"}]])
        );
    }
}
