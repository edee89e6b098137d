//! Canonical request → Ollama bodies.
//!
//! - sampling parameters go into `options` (`max_tokens` → `num_predict`,
//!   `frequency_penalty` → `repeat_penalty`, `temperature`, `top_p`, `seed`, `stop`);
//!   fields the OpenAI schema does not know (`num_ctx`, `mirostat`, …) go there too, but
//!   `keep_alive` and `think`, which are top-level;
//! - `response_format` `json_object` → `format: "json"`, `json_schema` → `format: <schema>`;
//! - `reasoning_effort` → `think` (`low`/`medium`/`high` → `true`; gpt-oss keeps the level);
//! - chat messages keep their role and text, images become base64 `images` (every
//!   message carries the list, empty or not), assistant tool calls carry their arguments
//!   as objects;
//! - `/api/generate` gets LiteLLM's `ollama_pt` prompt (`### User:`, `### System:`,
//!   `### Assistant:` sections) and the user images.

use llmux_types::{
    ChatMessage, ChatRequest, ContentPart, EmbeddingInput, EmbeddingRequest, Error, MessageContent,
    Role, StopSequences,
};
use serde_json::{Map, Value, json};

use crate::python_json;

const TOP_LEVEL_KEYS: &[&str] = &["keep_alive", "think"];

/// `options`, and the keys that go at the top of the body.
fn options_and_top(req: &ChatRequest) -> (Map<String, Value>, Map<String, Value>) {
    let mut o = Map::new();
    let mut top = Map::new();
    if let Some(n) = req.max_completion_tokens.or(req.max_tokens) {
        o.insert("num_predict".into(), n.into());
    }
    if let Some(t) = req.temperature {
        o.insert("temperature".into(), t.into());
    }
    if let Some(s) = req.seed {
        o.insert("seed".into(), s.into());
    }
    if let Some(p) = req.top_p {
        o.insert("top_p".into(), p.into());
    }
    if let Some(f) = req.frequency_penalty {
        o.insert("repeat_penalty".into(), f.into());
    }
    match &req.stop {
        Some(StopSequences::One(s)) => {
            o.insert("stop".into(), json!(s));
        }
        Some(StopSequences::Many(v)) => {
            o.insert("stop".into(), json!(v));
        }
        None => {}
    }
    if let Some(rf) = &req.response_format {
        match rf.kind.as_str() {
            "json_object" => {
                top.insert("format".into(), json!("json"));
            }
            "json_schema" => {
                if let Some(schema) = rf.json_schema.as_ref().and_then(|s| s.schema.clone()) {
                    top.insert("format".into(), schema);
                }
            }
            _ => {}
        }
    }
    if let Some(effort) = req.reasoning_effort.as_deref() {
        let think = if req.model.starts_with("gpt-oss") {
            json!(effort)
        } else {
            json!(matches!(effort, "low" | "medium" | "high"))
        };
        top.insert("think".into(), think);
    }
    for (k, v) in &req.extra {
        if TOP_LEVEL_KEYS.contains(&k.as_str()) {
            top.insert(k.clone(), v.clone());
        } else {
            o.insert(k.clone(), v.clone());
        }
    }
    (o, top)
}

pub(super) fn chat_body(req: &ChatRequest) -> Result<Value, Error> {
    let (options, top) = options_and_top(req);
    let messages = req
        .messages
        .iter()
        .map(chat_message)
        .collect::<Result<Vec<_>, _>>()?;
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    body.insert("messages".into(), Value::Array(messages));
    body.insert("options".into(), Value::Object(options));
    body.insert("stream".into(), json!(req.stream == Some(true)));
    body.extend(top);
    let tools: Vec<Value> = req
        .tools
        .iter()
        .flatten()
        .filter_map(|t| serde_json::to_value(t).ok())
        .chain(
            req.functions
                .iter()
                .flatten()
                .map(|f| json!({"type": "function", "function": f})),
        )
        .collect();
    if !tools.is_empty() {
        body.insert("tools".into(), Value::Array(tools));
    }
    Ok(Value::Object(body))
}

fn chat_message(m: &ChatMessage) -> Result<Value, Error> {
    let mut out = Map::new();
    out.insert("role".into(), json!(m.role.as_str()));
    if let Some(reasoning) = &m.reasoning_content {
        out.insert("thinking".into(), json!(reasoning));
    }
    let (text, images) = text_and_images(m.content.as_ref())?;
    out.insert("content".into(), json!(text));
    out.insert("images".into(), json!(images));
    if let Some(calls) = &m.tool_calls {
        let calls = calls
            .iter()
            .map(|c| {
                let args = c.function.arguments.trim();
                let arguments: Value = if args.is_empty() {
                    json!({})
                } else {
                    serde_json::from_str(args).ok().filter(Value::is_object).ok_or_else(|| {
                        Error::bad_request(format!(
                            "OllamaException - arguments of assistant tool call {:?} are not a JSON object",
                            c.id
                        ))
                        .with_provider("ollama_chat")
                    })?
                };
                Ok(json!({"function": {"name": c.function.name, "arguments": arguments}}))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        out.insert("tool_calls".into(), Value::Array(calls));
    }
    if let Some(id) = &m.tool_call_id {
        out.insert("tool_call_id".into(), json!(id));
    }
    Ok(Value::Object(out))
}

/// The text parts joined, and the images as base64 (a data URL's payload, or the URL).
fn text_and_images(content: Option<&MessageContent>) -> Result<(String, Vec<String>), Error> {
    match content {
        None => Ok((String::new(), Vec::new())),
        Some(MessageContent::Text(s)) => Ok((s.clone(), Vec::new())),
        Some(MessageContent::Parts(parts)) => {
            let mut text = String::new();
            let mut images = Vec::new();
            for p in parts {
                match p {
                    ContentPart::Text { text: t, .. } => text.push_str(t),
                    ContentPart::ImageUrl { image_url, .. } => {
                        let url = image_url.url.as_str();
                        let data = url
                            .strip_prefix("data:")
                            .and_then(|r| r.split_once(";base64,"))
                            .map_or(url, |(_, d)| d);
                        images.push(data.to_owned());
                    }
                    _ => {
                        return Err(Error::bad_request("Ollama takes text and image parts only")
                            .with_provider("ollama"));
                    }
                }
            }
            Ok((text, images))
        }
    }
}

pub(super) fn generate_body(req: &ChatRequest) -> Result<Value, Error> {
    let (options, top) = options_and_top(req);
    let mut prompt = String::new();
    let mut images = Vec::new();
    let msgs = &req.messages;
    let mut i = 0;
    let is_user = |r: &Role| matches!(r, Role::User | Role::Tool | Role::Function);
    while i < msgs.len() {
        let start = i;
        let mut user = Vec::new();
        while let Some(m) = msgs.get(i).filter(|m| is_user(&m.role)) {
            let (text, imgs) = text_and_images(m.content.as_ref())?;
            if !text.is_empty() {
                user.push(text);
            }
            images.extend(imgs);
            i += 1;
        }
        if !user.is_empty() {
            prompt.push_str(&format!("### User:\n{}\n\n", user.join("\n")));
        }
        let mut system = String::new();
        while let Some(m) = msgs
            .get(i)
            .filter(|m| matches!(m.role, Role::System | Role::Developer))
        {
            system.push_str(&text_and_images(m.content.as_ref())?.0);
            i += 1;
        }
        if !system.is_empty() {
            prompt.push_str(&format!("### System:\n{system}\n\n"));
        }
        let mut assistant = String::new();
        while let Some(m) = msgs.get(i).filter(|m| m.role == Role::Assistant) {
            assistant.push_str(&text_and_images(m.content.as_ref())?.0);
            if let Some(calls) = m.tool_calls.as_ref().filter(|c| !c.is_empty()) {
                if !assistant.is_empty() {
                    assistant.push('\n');
                }
                let lines = calls
                    .iter()
                    .map(|c| {
                        let args: Value =
                            serde_json::from_str(&c.function.arguments).unwrap_or(json!({}));
                        python_json::dumps(&json!({"name": c.function.name, "arguments": args}))
                    })
                    .collect::<Vec<_>>();
                assistant.push_str(&lines.join("\n"));
            }
            i += 1;
        }
        if !assistant.is_empty() {
            prompt.push_str(&format!("### Assistant:\n{assistant}\n\n"));
        }
        if i == start {
            return Err(Error::bad_request(format!(
                "Ollama cannot take a message with role '{}' here",
                msgs.get(i).map(|m| m.role.as_str()).unwrap_or_default()
            ))
            .with_provider("ollama"));
        }
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    body.insert("prompt".into(), json!(prompt));
    body.insert("images".into(), json!(images));
    body.insert("options".into(), Value::Object(options));
    body.insert("stream".into(), json!(req.stream == Some(true)));
    body.extend(top);
    Ok(Value::Object(body))
}

pub(super) fn embed_body(req: &EmbeddingRequest) -> Result<Value, Error> {
    let input = match &req.input {
        EmbeddingInput::Text(s) => json!([s]),
        EmbeddingInput::Texts(v) => json!(v),
        EmbeddingInput::Tokens(_) | EmbeddingInput::TokenLists(_) => {
            return Err(
                Error::bad_request("Ollama embeddings take text input, not token ids")
                    .with_provider("ollama"),
            );
        }
    };
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    body.insert("input".into(), input);
    let mut options = Map::new();
    if let Some(d) = req.dimensions {
        body.insert("dimensions".into(), d.into());
    }
    for (k, v) in &req.extra {
        if TOP_LEVEL_KEYS.contains(&k.as_str()) || k == "truncate" {
            body.insert(k.clone(), v.clone());
        } else {
            options.insert(k.clone(), v.clone());
        }
    }
    if !options.is_empty() {
        body.insert("options".into(), Value::Object(options));
    }
    Ok(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(v: Value) -> ChatRequest {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn options_format_and_images() {
        let b = chat_body(&req(
            json!({"model": "llama3.1", "max_tokens": 50, "stop": ["END"],
            "num_ctx": 8192, "keep_alive": "5m",
            "response_format": {"type": "json_object"},
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}}]}]}),
        ))
        .unwrap();
        assert_eq!(
            b["options"],
            json!({"num_predict": 50, "stop": ["END"], "num_ctx": 8192})
        );
        assert_eq!(
            (&b["format"], &b["keep_alive"]),
            (&json!("json"), &json!("5m"))
        );
        assert_eq!(
            b["messages"],
            json!([{"role": "user", "content": "what is this?", "images": ["iVBO"]}])
        );
    }

    #[test]
    fn the_generate_prompt_has_litellm_sections() {
        let b = generate_body(&req(json!({"model": "llama3.1", "messages": [
            {"role": "system", "content": "terse"},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
            {"role": "user", "content": "bye"}]})))
        .unwrap();
        assert_eq!(
            b["prompt"],
            "### System:\nterse\n\n### User:\nhi\n\n### Assistant:\nhello\n\n### User:\nbye\n\n"
        );
    }

    #[test]
    fn assistant_tool_calls_need_object_arguments() {
        let r = req(
            json!({"model": "m", "messages": [{"role": "assistant", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "[1]"}}]}]}),
        );
        assert_eq!(chat_body(&r).unwrap_err().status.as_u16(), 400);
    }
}
