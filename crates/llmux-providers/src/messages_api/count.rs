//! LiteLLM's local token estimate for `/v1/messages/count_tokens` (`token_counter.py`),
//! over any tokenizer: the caller passes the BPE's length function (sans-IO, and no
//! tokenizer tables in this crate).
//!
//! An Anthropic request is counted the way LiteLLM counts it: `system` as a leading
//! system message, then each message as 3 tokens plus its string fields and content
//! blocks, then 3 tokens of reply priming, and the tools rendered as OpenAI's hidden
//! `namespace functions { … }` TypeScript (+9, −4 when there is a system message).
//! Images count 85 tokens (OpenAI's `auto` detail); dict-valued fields such as a
//! `tool_use` block's `input` count as Python's `str(dict)`.

use llmux_types::{Error, JsonMap};
use serde_json::Value;

use crate::python_json;

/// Tokens of an image at `auto` detail (OpenAI's base tokens), which LiteLLM applies to
/// every image and unreadable document.
pub const IMAGE_TOKENS: u64 = 85;
const TOKENS_PER_MESSAGE: u64 = 3;
const TOKENS_PER_NAME: u64 = 1;
/// Reply priming: `<|start|>assistant<|message|>`.
const REPLY_PRIMING: u64 = 3;
const TOOLS_OVERHEAD: u64 = 9;
const TOOLS_WITH_SYSTEM_DISCOUNT: u64 = 4;
/// LiteLLM encodes in 1024-character pieces (`TIKTOKEN_ENCODE_CHUNK_SIZE_CHARS`): linear
/// time on pathological input, at most a token of drift per boundary.
const CHUNK_CHARS: usize = 1024;
/// Above this many characters LiteLLM extrapolates from evenly spaced samples.
const MAX_EXACT_CHARS: usize = 4_000_000;
const EXTRAPOLATION_SAMPLES: usize = 16;

/// A BPE's token count for a piece of text (special tokens counted as ordinary text).
pub type EncodeLen<'a> = &'a dyn Fn(&str) -> usize;

/// Tokens of `text`: exact in 1024-character pieces, extrapolated past 4 M characters.
pub fn count_text(text: &str, encode_len: EncodeLen<'_>) -> u64 {
    let chars = text.chars().count();
    if chars <= MAX_EXACT_CHARS {
        return count_exact(text, encode_len);
    }
    // LiteLLM's `_evenly_spaced_samples`: 16 samples of 250 000 characters.
    let sample_chars = MAX_EXACT_CHARS / EXTRAPOLATION_SAMPLES;
    let last_start = chars - sample_chars;
    let offsets: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    let byte_at = |char_idx: usize| offsets.get(char_idx).copied().unwrap_or(text.len());
    let mut counted = 0u64;
    for i in 0..EXTRAPOLATION_SAMPLES {
        let start = last_start * i / (EXTRAPOLATION_SAMPLES - 1);
        counted += count_exact(
            &text[byte_at(start)..byte_at(start + sample_chars)],
            encode_len,
        );
    }
    let sampled = (sample_chars * EXTRAPOLATION_SAMPLES) as f64;
    (counted as f64 * chars as f64 / sampled).round() as u64
}

fn count_exact(text: &str, encode_len: EncodeLen<'_>) -> u64 {
    let mut total = 0u64;
    let mut start = 0;
    for (n, (i, _)) in text.char_indices().enumerate() {
        if n > 0 && n % CHUNK_CHARS == 0 {
            total += encode_len(&text[start..i]) as u64;
            start = i;
        }
    }
    if start < text.len() {
        total += encode_len(&text[start..]) as u64;
    }
    total
}

/// The estimate for a `/v1/messages/count_tokens` body (`messages`, `system`, `tools`).
///
/// A content block of a type LiteLLM cannot count is a 400, as it answers.
pub fn count_request_tokens(req: &JsonMap, encode_len: EncodeLen<'_>) -> Result<u64, Error> {
    let c = Counter { encode_len };
    let system = req.get("system").filter(|s| {
        s.as_str().is_some_and(|t| !t.is_empty()) || s.as_array().is_some_and(|a| !a.is_empty())
    });
    let mut total = 0;
    let mut has_system = false;
    if let Some(system) = system {
        has_system = true;
        total += TOKENS_PER_MESSAGE + c.text("system");
        total += match system {
            Value::String(s) => c.text(s),
            Value::Array(blocks) => c.content_list(blocks)?,
            _ => 0,
        };
    }
    for message in req
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(message) = message.as_object() else {
            return Err(messages_error("each message must be an object"));
        };
        has_system |= message.get("role").and_then(Value::as_str) == Some("system");
        total += c.message(message)?;
    }
    total += REPLY_PRIMING;
    let tools = req
        .get("tools")
        .and_then(Value::as_array)
        .filter(|t| !t.is_empty());
    if let Some(tools) = tools {
        total += c.text(&function_definitions(tools)) + TOOLS_OVERHEAD;
        if has_system {
            total = total.saturating_sub(TOOLS_WITH_SYSTEM_DISCOUNT);
        }
    }
    Ok(total)
}

fn messages_error(message: impl Into<String>) -> Error {
    Error::bad_request(message).with_param("messages")
}

struct Counter<'a> {
    encode_len: EncodeLen<'a>,
}

impl Counter<'_> {
    fn text(&self, text: &str) -> u64 {
        count_text(text, self.encode_len)
    }

    /// LiteLLM's `_count_messages` for one message.
    fn message(&self, message: &JsonMap) -> Result<u64, Error> {
        let mut n = TOKENS_PER_MESSAGE;
        for (key, value) in message {
            match value {
                Value::Null => {}
                Value::String(s) => {
                    n += self.text(s);
                    if key == "name" {
                        n += TOKENS_PER_NAME;
                    }
                }
                Value::Array(items) if key == "content" => n += self.content_list(items)?,
                Value::Array(calls) if key == "tool_calls" => {
                    for call in calls {
                        let args = &call["function"]["arguments"];
                        n += self.text(&python_str(args));
                    }
                }
                _ => {}
            }
        }
        Ok(n)
    }

    /// LiteLLM's `_count_content_list`.
    fn content_list(&self, items: &[Value]) -> Result<u64, Error> {
        let mut n = 0;
        for item in items {
            n += match item {
                Value::String(s) => self.text(s),
                Value::Object(block) => self.block(block)?,
                other => {
                    return Err(messages_error(format!(
                        "Error getting number of tokens from content list: invalid content item {other}"
                    )));
                }
            };
        }
        Ok(n)
    }

    fn block(&self, block: &JsonMap) -> Result<u64, Error> {
        let str_field = |key: &str| block.get(key).and_then(Value::as_str).unwrap_or("");
        let kind = str_field("type");
        Ok(match kind {
            "text" => self.text(&python_str(block.get("text").unwrap_or(&Value::Null))),
            "image_url" | "image" => IMAGE_TOKENS,
            "document" => self.document(block)?,
            "file" => {
                let file = block.get("file");
                let name = file.and_then(|f| f.get("filename")).and_then(Value::as_str);
                let data = file
                    .and_then(|f| f.get("file_data"))
                    .and_then(Value::as_str);
                name.map_or(0, |n| self.text(n))
                    + data.filter(|d| !d.is_empty()).map_or(0, |_| IMAGE_TOKENS)
            }
            "tool_use" => self.fields(block, &["name", "input", "caller"])?,
            "tool_result" => {
                if !block.contains_key("tool_use_id") {
                    return Err(messages_error(
                        "Error getting number of tokens from content list: Missing required fields in tool_result block: tool_use_id",
                    ));
                }
                self.fields(block, &["content"])?
            }
            "search_result" => self.fields(block, &["source", "title", "content"])?,
            "thinking" | "redacted_thinking" => self.text(str_field("thinking")),
            "tool_reference" => self.text(str_field("tool_name")),
            other => {
                let shown = if other.is_empty() { "dict" } else { other };
                return Err(messages_error(format!(
                    "Error getting number of tokens from content list: Invalid content item type: {shown}. \
                     Expected str or dict with 'type' field (text, image_url, image, document, file, tool_use, \
                     tool_result, thinking, redacted_thinking, tool_reference, search_result)., default_token_count=None"
                )));
            }
        })
    }

    /// LiteLLM's `_count_anthropic_content`: strings counted, lists recursed, dicts as
    /// `str(dict)`, for the fields its TypedDict declares.
    fn fields(&self, block: &JsonMap, keys: &[&str]) -> Result<u64, Error> {
        let mut n = 0;
        for key in keys {
            n += match block.get(*key) {
                None | Some(Value::Null) => 0,
                Some(Value::String(s)) => self.text(s),
                Some(Value::Array(items)) => self.content_list(items)?,
                Some(v @ Value::Object(_)) => self.text(&python_json::repr(v)),
                Some(_) => 0,
            };
        }
        Ok(n)
    }

    /// LiteLLM's `_count_document_tokens`.
    fn document(&self, block: &JsonMap) -> Result<u64, Error> {
        let mut n = 0;
        for key in ["title", "context"] {
            if let Some(text) = block
                .get(key)
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
            {
                n += self.text(text);
            }
        }
        let source = block.get("source");
        let source_type = source.and_then(|s| s.get("type")).and_then(Value::as_str);
        n += match (source_type, source) {
            (Some("text"), Some(s)) => {
                self.text(s.get("data").and_then(Value::as_str).unwrap_or(""))
            }
            (Some("content"), Some(s)) => match s.get("content") {
                Some(Value::String(text)) => self.text(text),
                Some(Value::Array(items)) => self.content_list(items)?,
                _ => 0,
            },
            // PDFs and files: priced like one image, as LiteLLM does without pypdf.
            _ => IMAGE_TOKENS,
        };
        Ok(n)
    }
}

/// Python's `str()` of a JSON value: strings as they are, anything else as its repr.
fn python_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => python_json::repr(other),
    }
}

/// LiteLLM's `_format_function_definitions`: tools as OpenAI's hidden TypeScript.
pub fn function_definitions(tools: &[Value]) -> String {
    let mut lines = vec!["namespace functions {".to_owned(), String::new()];
    for tool in tools.iter().filter_map(Value::as_object) {
        if let Some(function) = tool.get("function").and_then(Value::as_object) {
            single_function(&mut lines, function);
            continue;
        }
        let declarations = tool
            .get("function_declarations")
            .or_else(|| tool.get("functionDeclarations"))
            .and_then(Value::as_array);
        if let Some(declarations) = declarations {
            for declaration in declarations.iter().filter_map(Value::as_object) {
                single_function(&mut lines, declaration);
            }
            continue;
        }
        let parameters = tool
            .get("input_schema")
            .filter(|p| is_truthy_object(p))
            .or_else(|| tool.get("parameters"))
            .filter(|p| p.is_object())
            .cloned()
            .unwrap_or_else(|| Value::Object(JsonMap::new()));
        let mut function = JsonMap::new();
        function.insert(
            "name".into(),
            tool.get("name").cloned().unwrap_or(Value::Null),
        );
        function.insert(
            "description".into(),
            tool.get("description").cloned().unwrap_or(Value::Null),
        );
        function.insert("parameters".into(), parameters);
        single_function(&mut lines, &function);
    }
    lines.push("} // namespace functions".to_owned());
    lines.join("\n")
}

fn is_truthy_object(v: &Value) -> bool {
    v.as_object().is_some_and(|o| !o.is_empty())
}

fn single_function(lines: &mut Vec<String>, function: &JsonMap) {
    let name = match function.get("name") {
        None | Some(Value::Null) => return,
        Some(Value::String(s)) if s.is_empty() => return,
        Some(name) => python_str(name),
    };
    let description = function
        .get("description")
        .filter(|d| !d.is_null() && d.as_str() != Some(""))
        .map(python_str);
    if let Some(description) = &description {
        lines.push(format!("// {description}"));
    }
    let parameters = function.get("parameters").and_then(Value::as_object);
    let has_properties = parameters
        .and_then(|p| p.get("properties"))
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    match parameters {
        Some(parameters) if has_properties => {
            lines.push(format!("type {name} = (_: {{"));
            lines.push(object_parameters(parameters, 0));
            lines.push("}) => any;".to_owned());
        }
        _ => lines.push(format!("type {name} = () => any;")),
    }
    lines.push(String::new());
}

fn object_parameters(parameters: &JsonMap, indent: usize) -> String {
    let Some(properties) = parameters
        .get("properties")
        .and_then(Value::as_object)
        .filter(|p| !p.is_empty())
    else {
        return String::new();
    };
    let required: Vec<&str> = parameters
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut lines = Vec::new();
    for (key, props) in properties {
        if let Some(description) = props
            .get("description")
            .filter(|d| !d.is_null() && d.as_str() != Some(""))
        {
            lines.push(format!("// {}", python_str(description)));
        }
        let question = if required.contains(&key.as_str()) {
            ""
        } else {
            "?"
        };
        lines.push(format!("{key}{question}: {},", type_of(props, indent)));
    }
    let pad = " ".repeat(indent);
    lines
        .iter()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn type_of(props: &Value, indent: usize) -> String {
    let enum_of = |props: &Value| {
        props.get("enum").and_then(Value::as_array).map(|items| {
            items
                .iter()
                .map(|i| format!("\"{}\"", python_str(i)))
                .collect::<Vec<_>>()
                .join(" | ")
        })
    };
    match props.get("type").and_then(Value::as_str) {
        Some("string") => enum_of(props).unwrap_or_else(|| "string".into()),
        Some("array") => match props.get("items") {
            Some(items) => format!("{}[]", type_of(items, indent)),
            None => "any[]".into(),
        },
        Some("object") => {
            let inner = props
                .as_object()
                .map(|p| object_parameters(p, indent + 2))
                .unwrap_or_default();
            format!("{{\n{inner}\n}}")
        }
        Some("integer" | "number") => enum_of(props).unwrap_or_else(|| "number".into()),
        Some("boolean") => "boolean".into(),
        Some("null") => "null".into(),
        _ => "any".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A stand-in tokenizer: one token per whitespace-separated word.
    fn words(text: &str) -> usize {
        text.split_whitespace().count()
    }

    fn count(body: Value) -> u64 {
        count_request_tokens(body.as_object().unwrap(), &words).unwrap()
    }

    #[test]
    fn plain_messages_count_overheads_like_litellm() {
        // (3 + "user" 1 + "hello there" 2) + reply priming 3
        assert_eq!(
            count(json!({"messages": [{"role": "user", "content": "hello there"}]})),
            9
        );
        // system: 3 + "system" 1 + "be brief" 2
        assert_eq!(
            count(
                json!({"system": "be brief", "messages": [{"role": "user", "content": "hello there"}]})
            ),
            15
        );
    }

    #[test]
    fn blocks_count_text_images_and_tool_inputs() {
        let body = json!({"messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "look at this"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}
            ]},
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "t", "name": "get_weather", "input": {"city": "New York"}}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "t", "content": [{"type": "text", "text": "sunny and warm"}]}
            ]}
        ]});
        // user: 3+1+3+85; assistant: 3+1 + name 1 + "{'city': 'New York'}" 3; user: 3+1+3; priming 3
        assert_eq!(count(body), 92 + 8 + 7 + 3);
    }

    #[test]
    fn tools_render_as_typescript() {
        let tools = [json!({
            "name": "get_weather", "description": "Current weather",
            "input_schema": {"type": "object", "required": ["city"], "properties": {
                "city": {"type": "string", "description": "City name"},
                "unit": {"type": "string", "enum": ["c", "f"]},
                "days": {"type": "array", "items": {"type": "integer"}},
                "opts": {"type": "object", "properties": {"x": {"type": "boolean"}}}
            }}
        })];
        insta::assert_snapshot!(function_definitions(&tools));
        let with_tools =
            json!({"system": "s", "messages": [{"role": "user", "content": "hi"}], "tools": tools});
        let without = json!({"system": "s", "messages": [{"role": "user", "content": "hi"}]});
        let defs = words(&function_definitions(&tools)) as u64;
        assert_eq!(count(with_tools), count(without) + defs + 9 - 4);
    }

    #[test]
    fn unknown_blocks_are_a_400_on_messages() {
        let body = json!({"messages": [{"role": "user", "content": [{"type": "hologram"}]}]});
        let e = count_request_tokens(body.as_object().unwrap(), &words).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        assert_eq!(e.param.as_deref(), Some("messages"));
        assert!(
            e.message.contains("Invalid content item type: hologram"),
            "{}",
            e.message
        );
    }

    #[test]
    fn long_text_is_counted_in_1024_character_pieces() {
        let calls = std::cell::Cell::new(0);
        let counting = |t: &str| {
            calls.set(calls.get() + 1);
            t.chars().count()
        };
        let text = "é".repeat(2500);
        assert_eq!(count_text(&text, &counting), 2500);
        assert_eq!(calls.get(), 3);
    }
}
