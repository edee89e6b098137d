//! A chat request → the Responses request a `mode: responses` model takes, as
//! LiteLLM's `LiteLLMResponsesTransformationHandler.transform_request`.

use llmux_types::{
    ChatMessage, ChatRequest, ContentPart, Error, JsonMap, MessageContent, ResponseFormat, Role,
    Tool, ToolChoice,
};
use serde_json::{Value, json};

/// Responses parameters a chat request may carry in its unknown keys, forwarded as sent
/// (LiteLLM's `ResponsesAPIOptionalRequestParams`).
const RESPONSES_KEYS: &[&str] = &[
    "include",
    "previous_response_id",
    "reasoning",
    "background",
    "truncation",
    "safety_identifier",
    "prompt",
    "max_tool_calls",
    "prompt_cache_key",
    "prompt_cache_retention",
    "top_logprobs",
    "context_management",
    "text",
];

/// The Responses body for `req` (`req.model` already the provider's model). A chat
/// parameter the Responses API has no place for is a 400, or dropped with
/// `drop_params` (LiteLLM drops them silently).
pub fn to_responses_body(req: &ChatRequest, drop_params: bool) -> Result<JsonMap, Error> {
    refuse_unmapped(req, drop_params)?;
    let (mut input, instructions) = input_items(&req.messages)?;
    let json_object = req
        .response_format
        .as_ref()
        .is_some_and(|f| f.kind == "json_object");
    let mut body = JsonMap::new();
    body.insert("model".into(), Value::String(req.model.clone()));
    // The Responses API rejects an empty input, and json_object wants the word "json"
    // in the input, not in the instructions: the system text then stays in the input.
    match instructions {
        Some(text) if input.is_empty() || json_object => input.insert(
            0,
            json!({"type": "message", "role": "system",
                   "content": [{"type": "input_text", "text": text}]}),
        ),
        Some(text) => {
            body.insert("instructions".into(), Value::String(text));
        }
        None => {}
    }
    body.insert("input".into(), Value::Array(input));
    if let Some(max) = req.max_completion_tokens.or(req.max_tokens) {
        body.insert("max_output_tokens".into(), max.into());
    }
    let mut tools: Vec<Value> = req.tools.iter().flatten().map(tool).collect();
    if let Some(options) = req.extra.get("web_search_options") {
        let mut search = JsonMap::new();
        search.insert("type".into(), "web_search".into());
        if let Value::Object(o) = options {
            search.extend(o.clone());
        }
        tools.push(Value::Object(search));
    }
    if !tools.is_empty() {
        body.insert("tools".into(), Value::Array(tools));
    }
    if let Some(choice) = &req.tool_choice {
        body.insert("tool_choice".into(), tool_choice(choice));
    }
    for key in RESPONSES_KEYS {
        if let Some(v) = req.extra.get(*key).filter(|v| !v.is_null()) {
            body.insert((*key).into(), v.clone());
        }
    }
    if let Some(format) = req.response_format.as_ref().and_then(text_format) {
        merge_text(&mut body, "format", format);
    }
    if let Some(verbosity) = req.extra.get("verbosity").filter(|v| !v.is_null()) {
        merge_text(&mut body, "verbosity", verbosity.clone());
    }
    if let Some(effort) = &req.reasoning_effort {
        body.insert("reasoning".into(), json!({"effort": effort}));
    }
    let mut put = |key: &str, v: Option<Value>| {
        if let Some(v) = v {
            body.insert(key.into(), v);
        }
    };
    put("temperature", req.temperature.map(Value::from));
    put("top_logprobs", req.top_logprobs.map(Value::from));
    put("top_p", req.top_p.map(Value::from));
    put(
        "parallel_tool_calls",
        req.parallel_tool_calls.map(Value::from),
    );
    put("store", req.store.map(Value::from));
    put("service_tier", req.service_tier.clone().map(Value::from));
    // OpenAI takes a `user` of at most 64 characters; LiteLLM cuts it there.
    put(
        "user",
        req.user
            .as_ref()
            .map(|u| Value::String(u.chars().take(64).collect())),
    );
    if req.is_stream() {
        body.insert("stream".into(), Value::Bool(true));
    }
    Ok(body)
}

/// Chat parameters with no Responses equivalent.
fn refuse_unmapped(req: &ChatRequest, drop_params: bool) -> Result<(), Error> {
    if drop_params {
        return Ok(());
    }
    let sent = [
        ("stop", req.stop.is_some()),
        ("n", req.n.is_some_and(|n| n != 1)),
        ("presence_penalty", req.presence_penalty.is_some()),
        ("frequency_penalty", req.frequency_penalty.is_some()),
        ("logit_bias", req.logit_bias.is_some()),
        ("logprobs", req.logprobs == Some(true)),
        ("seed", req.seed.is_some()),
        ("audio", req.audio.is_some()),
        ("prediction", req.prediction.is_some()),
        ("functions", req.functions.is_some()),
        ("function_call", req.function_call.is_some()),
    ];
    let unknown = req
        .extra
        .iter()
        .filter(|(k, v)| !v.is_null() && !is_mapped_extra(k))
        .map(|(k, _)| k.as_str());
    let refused = sent
        .iter()
        .filter(|(_, present)| *present)
        .map(|(param, _)| *param)
        .chain(unknown)
        .next();
    match refused {
        Some(param) => Err(Error::bad_request(format!(
            "{} is served by the Responses API, which has no '{param}'; \
             remove it or set drop_params: true to drop it",
            req.model
        ))
        .with_param(param)),
        None => Ok(()),
    }
}

/// Keys of a chat request's unknown fields the Responses body has a place for.
fn is_mapped_extra(key: &str) -> bool {
    RESPONSES_KEYS.contains(&key) || matches!(key, "web_search_options" | "verbosity")
}

fn merge_text(body: &mut JsonMap, key: &str, value: Value) {
    let text = body
        .entry("text")
        .or_insert_with(|| Value::Object(JsonMap::new()));
    if let Value::Object(text) = text {
        text.insert(key.into(), value);
    }
}

/// The messages as Responses input items, and the leading system text as instructions.
fn input_items(messages: &[ChatMessage]) -> Result<(Vec<Value>, Option<String>), Error> {
    let leading_system = messages
        .iter()
        .take_while(|m| m.role == Role::System)
        .count();
    let mut items = Vec::with_capacity(messages.len());
    let mut instructions: Option<String> = None;
    for (index, m) in messages.iter().enumerate() {
        match (&m.role, &m.content) {
            (Role::System, Some(MessageContent::Text(text))) if index < leading_system => {
                instructions = Some(match instructions.take() {
                    // LiteLLM joins several system prompts with a space.
                    Some(before) => format!("{before} {text}"),
                    None => text.clone(),
                });
            }
            (Role::Tool, content) => {
                let call_id = m.tool_call_id.as_deref().ok_or_else(|| {
                    Error::bad_request("a tool message needs its tool_call_id")
                        .with_param("messages")
                })?;
                let output = match content {
                    None => Vec::new(),
                    Some(c) => parts(c, &Role::User),
                };
                items.push(json!({"type": "function_call_output", "call_id": call_id,
                                  "output": output}));
            }
            (Role::Assistant, content) if m.tool_calls.as_ref().is_some_and(|c| !c.is_empty()) => {
                if let Some(c) = content.as_ref().filter(|c| !is_empty(c)) {
                    items.push(message(&m.role, c));
                }
                for call in m.tool_calls.iter().flatten() {
                    items.push(json!({"type": "function_call", "call_id": call.id,
                                      "name": call.function.name,
                                      "arguments": call.function.arguments}));
                }
            }
            (role, Some(content)) => items.push(message(role, content)),
            (_, None) => {}
        }
    }
    Ok((items, instructions))
}

fn is_empty(content: &MessageContent) -> bool {
    match content {
        MessageContent::Text(t) => t.is_empty(),
        MessageContent::Parts(p) => p.is_empty(),
    }
}

fn message(role: &Role, content: &MessageContent) -> Value {
    json!({"type": "message", "role": role.as_str(), "content": parts(content, role)})
}

/// `input_text` for what the model reads, `output_text` for what it wrote.
fn text_part(text: &str, role: &Role) -> Value {
    let kind = if *role == Role::Assistant {
        "output_text"
    } else {
        "input_text"
    };
    json!({"type": kind, "text": text})
}

fn parts(content: &MessageContent, role: &Role) -> Vec<Value> {
    match content {
        MessageContent::Text(text) => vec![text_part(text, role)],
        MessageContent::Parts(parts) => parts.iter().filter_map(|p| part(p, role)).collect(),
    }
}

fn part(p: &ContentPart, role: &Role) -> Option<Value> {
    Some(match p {
        ContentPart::Text { text, .. } => text_part(text, role),
        ContentPart::ImageUrl { image_url, .. } => json!({
            "type": "input_image",
            "image_url": image_url.url,
            "detail": image_url.detail.as_deref().unwrap_or("auto"),
        }),
        ContentPart::InputAudio { input_audio, .. } => {
            json!({"type": "input_audio", "input_audio": input_audio})
        }
        ContentPart::File { file, .. } => {
            let mut out = JsonMap::new();
            out.insert("type".into(), "input_file".into());
            for key in ["file_id", "file_data", "filename"] {
                if let Some(v) = file.get(key) {
                    out.insert(key.into(), v.clone());
                }
            }
            Value::Object(out)
        }
        ContentPart::Other(v) => match v.get("type").and_then(Value::as_str) {
            Some(
                "input_text"
                | "input_image"
                | "output_text"
                | "refusal"
                | "input_file"
                | "computer_screenshot"
                | "summary_text",
            ) => v.clone(),
            Some("image") => {
                let mut out = JsonMap::new();
                out.insert("type".into(), "input_image".into());
                if let Value::Object(o) = v {
                    out.extend(
                        o.iter()
                            .filter(|(k, _)| *k != "type")
                            .map(|(k, v)| (k.clone(), v.clone())),
                    );
                }
                Value::Object(out)
            }
            // No Responses equivalent: LiteLLM skips it.
            Some("tool_reference") => return None,
            _ => {
                let text = match v.get("text") {
                    Some(Value::String(s)) => s.clone(),
                    _ => v.to_string(),
                };
                text_part(&text, role)
            }
        },
    })
}

/// Function tools lose their `function` wrapper; other tool types go as sent.
fn tool(t: &Tool) -> Value {
    match (&*t.kind, &t.function) {
        ("function", Some(f)) => {
            let mut out = JsonMap::new();
            out.insert("type".into(), "function".into());
            out.insert("name".into(), f.name.clone().into());
            if let Some(d) = &f.description {
                out.insert("description".into(), d.clone().into());
            }
            out.insert(
                "parameters".into(),
                f.parameters.clone().unwrap_or(Value::Null),
            );
            out.insert(
                "strict".into(),
                f.strict.map(Value::Bool).unwrap_or(Value::Null),
            );
            Value::Object(out)
        }
        _ => serde_json::to_value(t).unwrap_or(Value::Null),
    }
}

/// Chat nests a forced tool's name under `function`; Responses wants it at the top.
fn tool_choice(choice: &ToolChoice) -> Value {
    match choice {
        ToolChoice::Mode(mode) => Value::String(mode.clone()),
        ToolChoice::Named(v) => {
            let kind = v.get("type").and_then(Value::as_str);
            match kind {
                Some(mode @ ("auto" | "none" | "required")) => Value::String(mode.into()),
                Some(kind @ ("function" | "custom")) => {
                    let name = v
                        .get("name")
                        .or_else(|| v.get(kind).and_then(|f| f.get("name")))
                        .and_then(Value::as_str)
                        .filter(|n| !n.is_empty());
                    match name {
                        Some(name) => json!({"type": kind, "name": name}),
                        None => v.clone(),
                    }
                }
                _ => v.clone(),
            }
        }
    }
}

fn text_format(f: &ResponseFormat) -> Option<Value> {
    match f.kind.as_str() {
        "json_schema" => {
            let s = f.json_schema.as_ref();
            Some(json!({
                "type": "json_schema",
                "name": s.and_then(|s| s.name.as_deref()).unwrap_or("response_schema"),
                "schema": s.and_then(|s| s.schema.clone()).unwrap_or_else(|| json!({})),
                "strict": s.and_then(|s| s.strict).unwrap_or(false),
            }))
        }
        "json_object" => Some(json!({"type": "json_object"})),
        "text" => Some(json!({"type": "text"})),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> Value {
        let req: ChatRequest = serde_json::from_value(v).unwrap();
        Value::Object(to_responses_body(&req, false).unwrap())
    }

    #[test]
    fn leading_system_prompts_become_instructions() {
        let b = body(json!({"model": "o1-pro", "messages": [
            {"role": "system", "content": "a"}, {"role": "system", "content": "b"},
            {"role": "user", "content": "hi"}, {"role": "system", "content": "late"}
        ], "max_completion_tokens": 9}));
        assert_eq!(b["instructions"], "a b");
        assert_eq!(b["max_output_tokens"], 9);
        assert_eq!(b["input"][1]["role"], "system");
        assert_eq!(b["input"][1]["content"][0]["type"], "input_text");
    }

    #[test]
    fn system_only_or_json_object_keeps_the_system_text_in_the_input() {
        let b = body(json!({"model": "m", "messages": [{"role": "system", "content": "s"}]}));
        assert!(b.get("instructions").is_none());
        assert_eq!(b["input"][0]["content"][0]["text"], "s");
        let b = body(
            json!({"model": "m", "messages": [{"role": "system", "content": "json please"},
            {"role": "user", "content": "x"}], "response_format": {"type": "json_object"}}),
        );
        assert!(b.get("instructions").is_none());
        assert_eq!(b["text"], json!({"format": {"type": "json_object"}}));
    }

    #[test]
    fn unmapped_params_are_refused_unless_dropped() {
        let req: ChatRequest = serde_json::from_value(
            json!({"model": "o1-pro", "messages": [{"role": "user", "content": "x"}], "stop": ["\n"]}),
        )
        .unwrap();
        let err = to_responses_body(&req, false).unwrap_err();
        assert_eq!(err.status.as_u16(), 400);
        assert!(err.to_string().contains("'stop'"), "{err}");
        assert!(to_responses_body(&req, true).is_ok());
        let req: ChatRequest = serde_json::from_value(
            json!({"model": "o1-pro", "messages": [{"role": "user", "content": "x"}],
                   "thinking": {"type": "enabled"}, "verbosity": "low", "truncation": "auto"}),
        )
        .unwrap();
        let err = to_responses_body(&req, false).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("thinking"), "{err}");
        let body = to_responses_body(&req, true).unwrap();
        assert_eq!(body["text"], json!({"verbosity": "low"}));
        assert_eq!(body["truncation"], "auto");
        assert!(body.get("thinking").is_none());
    }

    #[test]
    fn tool_choice_is_flattened() {
        let named = ToolChoice::Named(json!({"type": "function", "function": {"name": "f"}}));
        assert_eq!(
            tool_choice(&named),
            json!({"type": "function", "name": "f"})
        );
        assert_eq!(tool_choice(&ToolChoice::Mode("auto".into())), json!("auto"));
    }

    #[test]
    fn long_users_are_cut_at_64_characters() {
        let b = body(
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
            "user": "é".repeat(70)}),
        );
        assert_eq!(b["user"].as_str().unwrap().chars().count(), 64);
    }
}
