//! `POST /v1/responses/input_tokens`: the request in the shape the token counters read.
//!
//! As LiteLLM, the input is counted as chat messages (instructions first) with the
//! tools. llmux's counters (`llmux::Client::count_message_tokens`: Anthropic's own
//! count API for Anthropic deployments, the local tiktoken estimate for the others)
//! read an Anthropic-format body, so the bridged chat request is written as Anthropic
//! would get it and its `system`, `messages` and `tools` are kept.

use llmux_types::{ChatRequest, Error, JsonMap};
use serde_json::Value;

use crate::Target;
use crate::anthropic::{self, Flavor};

/// `{model, system?, messages, tools?}` for counting `chat`'s input on `model`.
pub fn count_body(chat: &ChatRequest, model: &str) -> Result<JsonMap, Error> {
    let mut chat = chat.clone();
    chat.model = model.to_owned();
    chat.stream = None;
    chat.stream_options = None;
    let t = Target {
        model,
        max_output_tokens: Some(1),
        ..Target::default()
    };
    let wire = anthropic::build_chat_request(&chat, &t, Flavor::Direct)?;
    let full: JsonMap = serde_json::from_slice(wire.body())
        .map_err(|e| Error::bad_request(format!("cannot count this request: {e}")))?;
    let mut out = JsonMap::new();
    out.insert("model".into(), Value::String(model.to_owned()));
    for key in ["system", "messages", "tools"] {
        if let Some(v) = full.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::responses_api::to_chat_request;
    use serde_json::json;

    #[test]
    fn instructions_input_and_tools_are_kept() {
        let req =
            serde_json::from_value(json!({"model": "m", "input": "hi", "instructions": "sys",
            "tools": [{"type": "function", "name": "f", "parameters": {}}]}))
            .unwrap();
        let chat = to_chat_request(&req, &[]).unwrap();
        let body = count_body(&chat, "claude-x").unwrap();
        assert_eq!(body["model"], "claude-x");
        assert_eq!(body["system"][0]["text"], "sys");
        assert_eq!(body["messages"][0]["content"][0]["text"], "hi");
        assert_eq!(body["tools"][0]["name"], "f");
        assert!(body.get("max_tokens").is_none());
    }
}
