//! Canonical request → Converse body, as LiteLLM's `AmazonConverseConfig`
//! (`map_openai_params`, `_transform_request_helper`) builds it.
//!
//! - `inferenceConfig` is always sent (empty when no parameter maps to it):
//!   `maxTokens`, `temperature`, `topP`, `stopSequences`;
//! - tools become `toolConfig.tools[].toolSpec` (description defaults to the name);
//!   `tool_choice` `auto` → `{"auto": {}}`, `required` → `{"any": {}}`, a named function →
//!   `{"tool": {"name"}}`; `none` is refused as LiteLLM refuses it;
//! - `response_format` with a schema becomes the forced `json_tool_call` tool, whose
//!   answer the response parser turns back into text;
//! - `thinking` (and `reasoning_effort`, as a thinking budget) and every field the
//!   OpenAI schema does not know go to `additionalModelRequestFields`;
//! - `requestMetadata` and `service_tier` have their own top-level keys.

use llmux_types::{ChatRequest, Error, ErrorKind, StopSequences, ToolChoice};
use serde_json::{Map, Value, json};

use super::messages;

/// LiteLLM's forced tool for `response_format` (`RESPONSE_FORMAT_TOOL_NAME`).
pub(super) const RESPONSE_FORMAT_TOOL_NAME: &str = "json_tool_call";

pub(super) fn converse_body(req: &ChatRequest) -> Result<Value, Error> {
    let converted = messages::convert(&req.messages)?;
    let mut body = Map::new();
    body.insert("messages".into(), Value::Array(converted.messages));
    if !converted.system.is_empty() {
        body.insert("system".into(), Value::Array(converted.system));
    }
    body.insert(
        "inferenceConfig".into(),
        Value::Object(inference_config(req)),
    );

    let mut tools: Vec<Value> = req
        .tools
        .iter()
        .flatten()
        .filter_map(|t| t.function.as_ref())
        .map(|f| tool_spec(&f.name, f.description.as_deref(), f.parameters.clone()))
        .collect();
    let mut tool_choice = match &req.tool_choice {
        None => None,
        Some(ToolChoice::Mode(mode)) => match mode.as_str() {
            "auto" => Some(json!({"auto": {}})),
            "required" => Some(json!({"any": {}})),
            "none" => {
                return Err(Error::new(
                    ErrorKind::UnsupportedParams,
                    "Bedrock doesn't support tool_choice=none. To drop it from the call, set `litellm.drop_params = True.",
                )
                .with_provider("bedrock")
                .with_param("tool_choice"));
            }
            other => {
                return Err(Error::new(
                    ErrorKind::UnsupportedParams,
                    format!("Bedrock doesn't support tool_choice={other}. Supported tool_choice values=['auto', 'required', json object]."),
                )
                .with_provider("bedrock")
                .with_param("tool_choice"));
            }
        },
        Some(named @ ToolChoice::Named(_)) => {
            let name = named.function_name().unwrap_or_default();
            Some(json!({"tool": {"name": name}}))
        }
    };
    if let Some(rf) = &req.response_format
        && rf.kind != "text"
    {
        let schema = rf
            .json_schema
            .as_ref()
            .and_then(|s| s.schema.clone())
            .or_else(|| rf.extra.get("response_schema").cloned());
        if let Some(schema) = schema {
            let description = rf
                .json_schema
                .as_ref()
                .and_then(|s| s.description.as_deref());
            tools.push(tool_spec(
                RESPONSE_FORMAT_TOOL_NAME,
                description,
                Some(schema),
            ));
            tool_choice = Some(json!({"tool": {"name": RESPONSE_FORMAT_TOOL_NAME}}));
        }
    }
    if !tools.is_empty() {
        let mut config = Map::new();
        config.insert("tools".into(), Value::Array(tools));
        if let Some(choice) = tool_choice {
            config.insert("toolChoice".into(), choice);
        }
        body.insert("toolConfig".into(), Value::Object(config));
    }

    let mut additional = Map::new();
    for (k, v) in &req.extra {
        match k.as_str() {
            "requestMetadata" => {
                body.insert("requestMetadata".into(), v.clone());
            }
            _ => {
                additional.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(effort) = req.reasoning_effort.as_deref()
        && !additional.contains_key("thinking")
    {
        let budget = match effort {
            "minimal" | "low" => 1024,
            "medium" => 2048,
            "high" => 4096,
            other => {
                return Err(Error::bad_request(format!(
                    "reasoning_effort must be low, medium or high, not {other:?}"
                ))
                .with_provider("bedrock")
                .with_param("reasoning_effort"));
            }
        };
        additional.insert(
            "thinking".into(),
            json!({"type": "enabled", "budget_tokens": budget}),
        );
    }
    if let Some(parallel) = req.parallel_tool_calls
        && req.tools.as_ref().is_some_and(|t| !t.is_empty())
    {
        // Anthropic's switch, where Bedrock forwards it (LiteLLM's parallel tool use config).
        additional.insert(
            "tool_choice".into(),
            json!({"type": "auto", "disable_parallel_tool_use": !parallel}),
        );
    }
    if !additional.is_empty() {
        body.insert(
            "additionalModelRequestFields".into(),
            Value::Object(additional),
        );
    }
    if let Some(tier) = &req.service_tier {
        body.insert("serviceTier".into(), json!({"type": tier}));
    }
    Ok(Value::Object(body))
}

fn inference_config(req: &ChatRequest) -> Map<String, Value> {
    let mut c = Map::new();
    if let Some(max) = req.max_completion_tokens.or(req.max_tokens) {
        c.insert("maxTokens".into(), max.into());
    }
    if let Some(t) = req.temperature {
        c.insert("temperature".into(), t.into());
    }
    if let Some(p) = req.top_p {
        c.insert("topP".into(), p.into());
    }
    match &req.stop {
        Some(StopSequences::One(s)) => {
            c.insert("stopSequences".into(), json!([s]));
        }
        Some(StopSequences::Many(v)) => {
            c.insert("stopSequences".into(), json!(v));
        }
        None => {}
    }
    c
}

fn tool_spec(name: &str, description: Option<&str>, parameters: Option<Value>) -> Value {
    let schema = parameters.unwrap_or_else(|| json!({"type": "object", "properties": {}}));
    json!({"toolSpec": {
        "name": name,
        "description": description.unwrap_or(name),
        "inputSchema": {"json": schema},
    }})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> Value {
        converse_body(&serde_json::from_value(v).unwrap()).unwrap()
    }

    #[test]
    fn params_go_to_inference_config_and_turns_merge() {
        let b = body(
            json!({"model": "m", "max_tokens": 50, "stop": "END", "temperature": 0.2,
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "", "tool_calls": [
                    {"id": "t1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}]},
                {"role": "tool", "tool_call_id": "t1", "content": "42"},
                {"role": "user", "content": "and?"}
            ]}),
        );
        assert_eq!(
            b["inferenceConfig"],
            json!({"maxTokens": 50, "stopSequences": ["END"], "temperature": 0.2})
        );
        assert_eq!(b["system"], json!([{"text": "be brief"}]));
        assert_eq!(
            b["messages"],
            json!([
                {"role": "user", "content": [{"text": "hi"}]},
                {"role": "assistant", "content": [{"toolUse": {"input": {"a": 1}, "name": "f", "toolUseId": "t1"}}]},
                {"role": "user", "content": [
                    {"toolResult": {"content": [{"text": "42"}], "toolUseId": "t1"}},
                    {"text": "and?"}
                ]}
            ])
        );
    }

    #[test]
    fn tool_choice_none_is_refused_and_https_images_are_not_fetched() {
        let r: ChatRequest = serde_json::from_value(json!({"model": "m", "tool_choice": "none",
            "tools": [{"type": "function", "function": {"name": "f"}}],
            "messages": [{"role": "user", "content": "x"}]}))
        .unwrap();
        assert_eq!(
            converse_body(&r).unwrap_err().kind,
            ErrorKind::UnsupportedParams
        );
        let r: ChatRequest =
            serde_json::from_value(json!({"model": "m", "messages": [{"role": "user",
            "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}]}))
            .unwrap();
        assert_eq!(converse_body(&r).unwrap_err().status.as_u16(), 400);
    }

    #[test]
    fn images_cache_points_and_thinking() {
        let b = body(
            json!({"model": "m", "reasoning_effort": "low", "messages": [{"role": "user", "content": [
                {"type": "text", "text": "look", "cache_control": {"type": "ephemeral"}},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBE"}}
            ]}]}),
        );
        assert_eq!(
            b["messages"][0]["content"],
            json!([
                {"text": "look"},
                {"cachePoint": {"type": "default"}},
                {"image": {"format": "png", "source": {"bytes": "AAAA"}}},
                {"document": {"format": "pdf", "name": "DocumentPDFmessages_1", "source": {"bytes": "JVBE"}}}
            ])
        );
        assert_eq!(
            b["additionalModelRequestFields"],
            json!({"thinking": {"type": "enabled", "budget_tokens": 1024}})
        );
    }
}
