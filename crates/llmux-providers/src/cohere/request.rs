//! Canonical request → Cohere v2 bodies.
//!
//! Chat: `model`, the OpenAI-shaped `messages` and `tools` as given, `stream` always,
//! and LiteLLM's renames: `top_p` → `p`, `stop` → `stop_sequences`,
//! `max_completion_tokens` → `max_tokens`, `n` → `num_generations`. `tool_choice`
//! `required` / `none` become Cohere's `REQUIRED` / `NONE` (`auto` is Cohere's default;
//! Cohere cannot force one named tool, so that is a 400). Other fields (`documents`,
//! `citation_options`, `safety_mode`, …) are forwarded.
//!
//! Embed: `texts`, `input_type` (`search_document` unless given), `embedding_types`
//! when given.

use llmux_types::{
    ChatRequest, EmbeddingInput, EmbeddingRequest, Error, ErrorKind, StopSequences, ToolChoice,
};
use serde_json::{Map, Value, json};

pub(super) fn chat_body(req: &ChatRequest) -> Result<Value, Error> {
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    body.insert(
        "messages".into(),
        serde_json::to_value(&req.messages)
            .map_err(|e| Error::bad_request(format!("cannot serialise the messages: {e}")))?,
    );
    body.insert("stream".into(), json!(req.stream == Some(true)));
    if let Some(max) = req.max_completion_tokens.or(req.max_tokens) {
        body.insert("max_tokens".into(), max.into());
    }
    if let Some(t) = req.temperature {
        body.insert("temperature".into(), t.into());
    }
    if let Some(p) = req.top_p {
        body.insert("p".into(), p.into());
    }
    if let Some(f) = req.frequency_penalty {
        body.insert("frequency_penalty".into(), f.into());
    }
    if let Some(p) = req.presence_penalty {
        body.insert("presence_penalty".into(), p.into());
    }
    if let Some(n) = req.n {
        body.insert("num_generations".into(), n.into());
    }
    if let Some(s) = req.seed {
        body.insert("seed".into(), s.into());
    }
    match &req.stop {
        Some(StopSequences::One(s)) => {
            body.insert("stop_sequences".into(), json!([s]));
        }
        Some(StopSequences::Many(v)) => {
            body.insert("stop_sequences".into(), json!(v));
        }
        None => {}
    }
    if let Some(tools) = req.tools.as_ref().filter(|t| !t.is_empty()) {
        body.insert(
            "tools".into(),
            serde_json::to_value(tools)
                .map_err(|e| Error::bad_request(format!("cannot serialise the tools: {e}")))?,
        );
    }
    match &req.tool_choice {
        None => {}
        Some(ToolChoice::Mode(m)) => match m.as_str() {
            "auto" => {}
            "required" => {
                body.insert("tool_choice".into(), json!("REQUIRED"));
            }
            "none" => {
                body.insert("tool_choice".into(), json!("NONE"));
            }
            other => {
                return Err(unsupported_choice(other));
            }
        },
        Some(ToolChoice::Named(_)) => return Err(unsupported_choice("a named function")),
    }
    for (k, v) in &req.extra {
        body.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Ok(Value::Object(body))
}

fn unsupported_choice(what: &str) -> Error {
    Error::new(
        ErrorKind::UnsupportedParams,
        format!("cohere does not support tool_choice={what}: Cohere takes auto, required or none"),
    )
    .with_provider("cohere_chat")
    .with_param("tool_choice")
}

pub(super) fn embed_body(req: &EmbeddingRequest) -> Result<Value, Error> {
    let texts = match &req.input {
        EmbeddingInput::Text(s) => json!([s]),
        EmbeddingInput::Texts(v) => json!(v),
        EmbeddingInput::Tokens(_) | EmbeddingInput::TokenLists(_) => {
            return Err(
                Error::bad_request("Cohere embeddings take text input, not token ids")
                    .with_provider("cohere"),
            );
        }
    };
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    body.insert("texts".into(), texts);
    body.insert("input_type".into(), json!("search_document"));
    if let Some(d) = req.dimensions {
        body.insert("output_dimension".into(), d.into());
    }
    for (k, v) in &req.extra {
        body.insert(k.clone(), v.clone());
    }
    Ok(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_and_tool_choice() {
        let r: ChatRequest =
            serde_json::from_value(json!({"model": "command-r-plus", "top_p": 0.9,
            "stop": "END", "max_completion_tokens": 5, "tool_choice": "required",
            "documents": [{"id": "d1", "data": {"text": "x"}}],
            "messages": [{"role": "user", "content": "hi"}]}))
            .unwrap();
        let b = chat_body(&r).unwrap();
        assert_eq!(
            b,
            json!({"model": "command-r-plus", "messages": [{"role": "user", "content": "hi"}],
                "stream": false, "max_tokens": 5, "p": 0.9, "stop_sequences": ["END"],
                "tool_choice": "REQUIRED", "documents": [{"id": "d1", "data": {"text": "x"}}]})
        );
        let r: ChatRequest = serde_json::from_value(json!({"model": "m", "messages": [],
            "tool_choice": {"type": "function", "function": {"name": "f"}}}))
        .unwrap();
        assert_eq!(
            chat_body(&r).unwrap_err().kind,
            ErrorKind::UnsupportedParams
        );
    }

    #[test]
    fn embed_input_type_defaults_to_search_document() {
        let r: EmbeddingRequest = serde_json::from_value(json!({"model": "embed-english-v3.0",
            "input": "a", "input_type": "search_query"}))
        .unwrap();
        assert_eq!(
            embed_body(&r).unwrap(),
            json!({"model": "embed-english-v3.0", "texts": ["a"], "input_type": "search_query"})
        );
    }
}
