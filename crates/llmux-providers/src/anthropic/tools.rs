//! OpenAI tools, `tool_choice` and `response_format` → Anthropic tools, as LiteLLM's
//! `AnthropicConfig._map_tool_helper`, `_map_tool_choice` and
//! `map_response_format_to_anthropic_tool`.

use llmux_types::{ChatRequest, Error, JsonMap, Tool, ToolChoice};
use serde_json::{Value, json};

use super::request::{RESPONSE_FORMAT_TOOL_NAME, bad_request};
use super::types::{AnthropicCustomTool, AnthropicTool, AnthropicToolChoice};

/// `tool_choice` and `parallel_tool_calls` → Anthropic's `tool_choice`.
pub(super) fn map_tool_choice(
    choice: Option<&ToolChoice>,
    parallel: Option<bool>,
) -> Option<AnthropicToolChoice> {
    let mapped = match choice {
        Some(ToolChoice::Mode(mode)) => mode_choice(mode),
        Some(ToolChoice::Named(v)) => {
            match (v.get("type").and_then(Value::as_str), v.get("function")) {
                (Some(kind), None) => mode_choice(kind),
                _ => choice.and_then(ToolChoice::function_name).map(|name| {
                    AnthropicToolChoice::Tool {
                        name: name.to_owned(),
                        disable_parallel_tool_use: None,
                    }
                }),
            }
        }
        None => None,
    };
    let Some(parallel) = parallel else {
        return mapped;
    };
    if matches!(choice, Some(ToolChoice::Mode(m)) if m == "none") {
        return mapped;
    }
    // Anthropic's flag is the inverse of OpenAI's.
    let disable = Some(!parallel);
    Some(match mapped {
        Some(AnthropicToolChoice::Auto { .. }) | None => AnthropicToolChoice::Auto {
            disable_parallel_tool_use: disable,
        },
        Some(AnthropicToolChoice::Any { .. }) => AnthropicToolChoice::Any {
            disable_parallel_tool_use: disable,
        },
        Some(AnthropicToolChoice::Tool { name, .. }) => AnthropicToolChoice::Tool {
            name,
            disable_parallel_tool_use: disable,
        },
        Some(AnthropicToolChoice::None) => AnthropicToolChoice::None,
    })
}

fn mode_choice(mode: &str) -> Option<AnthropicToolChoice> {
    match mode {
        "auto" => Some(AnthropicToolChoice::Auto {
            disable_parallel_tool_use: None,
        }),
        "required" | "any" => Some(AnthropicToolChoice::Any {
            disable_parallel_tool_use: None,
        }),
        "none" => Some(AnthropicToolChoice::None),
        _ => None,
    }
}

/// Anthropic's server tools LiteLLM passes through by type prefix (`ANTHROPIC_HOSTED_TOOLS`).
const HOSTED_TOOL_PREFIXES: &[&str] = &[
    "web_search",
    "bash",
    "text_editor",
    "code_execution",
    "web_fetch",
    "memory",
    "tool_search_tool",
];

/// One OpenAI tool → an Anthropic tool (or an MCP server), as `_map_tool_helper`.
pub(super) fn map_tool(
    tool: &Tool,
    tools: &mut Vec<AnthropicTool>,
    mcp_servers: &mut Vec<Value>,
    provider: &str,
) -> Result<(), Error> {
    if tool.extra.contains_key("input_schema") {
        // Already in Anthropic's shape.
        let value = serde_json::to_value(tool)
            .map_err(|e| bad_request(provider, format!("invalid tool: {e}")))?;
        let mut value = value;
        if let Value::Object(map) = &mut value
            && tool.function.is_none()
            && map.get("type").and_then(Value::as_str) == Some("function")
        {
            map.remove("type");
        }
        tools.push(
            serde_json::from_value(value)
                .map_err(|e| bad_request(provider, format!("invalid tool: {e}")))?,
        );
        return Ok(());
    }
    let kind = tool.kind.as_str();
    let function = tool.function.as_ref();
    let cache_control = tool
        .extra
        .get("cache_control")
        .or_else(|| function.and_then(|f| f.extra.get("cache_control")))
        .filter(|v| v.is_object())
        .cloned();
    let mapped = if kind == "function" || kind == "custom" {
        let Some(f) = function else {
            return Err(bad_request(provider, "a function tool needs `function`"));
        };
        let mut extra = JsonMap::new();
        for key in [
            "defer_loading",
            "allowed_callers",
            "input_examples",
            "eager_input_streaming",
        ] {
            if let Some(v) = tool
                .extra
                .get(key)
                .or_else(|| f.extra.get(key))
                .filter(|v| !v.is_null())
            {
                extra.insert(key.to_owned(), v.clone());
            }
        }
        AnthropicTool::Custom(AnthropicCustomTool {
            kind: Some("custom".into()),
            name: f.name.clone(),
            description: f.description.clone(),
            input_schema: input_schema(f.parameters.as_ref()),
            cache_control,
            extra,
        })
    } else if kind.starts_with("computer_") {
        let params = function.and_then(|f| f.parameters.as_ref());
        let px = |k: &str| {
            params
                .and_then(|p| p.get(k))
                .filter(|v| !v.is_null())
                .cloned()
        };
        let (Some(width), Some(height)) = (px("display_width_px"), px("display_height_px")) else {
            return Err(bad_request(
                provider,
                "Missing required parameter: display_width_px or display_height_px",
            ));
        };
        let mut v = json!({
            "type": kind,
            "name": function.map_or("computer", |f| f.name.as_str()),
            "display_width_px": width,
            "display_height_px": height,
        });
        if let Some(n) = px("display_number") {
            v["display_number"] = n;
        }
        if let Some(cc) = cache_control {
            v["cache_control"] = cc;
        }
        AnthropicTool::Other(v)
    } else if HOSTED_TOOL_PREFIXES.iter().any(|p| kind.starts_with(p)) {
        let name = tool
            .extra
            .get("name")
            .and_then(Value::as_str)
            .or(function.map(|f| f.name.as_str()))
            .ok_or_else(|| bad_request(provider, "Missing required parameter: name"))?;
        let mut map = JsonMap::new();
        map.insert("type".into(), Value::from(kind));
        map.insert("name".into(), Value::from(name));
        for (k, v) in &tool.extra {
            if k != "name" {
                map.insert(k.clone(), v.clone());
            }
        }
        AnthropicTool::Other(Value::Object(map))
    } else if kind == "url" {
        let mut server = serde_json::to_value(tool)
            .map_err(|e| bad_request(provider, format!("invalid MCP server: {e}")))?;
        if let Value::Object(map) = &mut server {
            map.remove("function");
        }
        mcp_servers.push(server);
        return Ok(());
    } else {
        return Err(bad_request(
            provider,
            format!("Unsupported tool type: {kind}"),
        ));
    };
    tools.push(mapped);
    Ok(())
}

/// A function's JSON schema in the shape Anthropic accepts
/// (`sanitize_input_schema_for_anthropic`): an object schema, with `properties`, and
/// only the keys Anthropic knows. Legacy `definitions` become `$defs`.
fn input_schema(parameters: Option<&Value>) -> Value {
    let mut schema = match parameters {
        Some(Value::Object(map)) => map.clone(),
        _ => JsonMap::new(),
    };
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        schema.insert("type".into(), Value::from("object"));
    }
    schema
        .entry("properties")
        .or_insert_with(|| Value::Object(JsonMap::new()));
    if !schema.contains_key("$defs")
        && let Some(defs) = schema.remove("definitions")
    {
        schema.insert("$defs".into(), defs);
        let mut v = Value::Object(std::mem::take(&mut schema));
        rewrite_refs(&mut v);
        if let Value::Object(map) = v {
            schema = map;
        }
    }
    const ALLOWED: &[&str] = &[
        "type",
        "properties",
        "additionalProperties",
        "required",
        "$defs",
        "strict",
    ];
    schema.retain(|k, _| ALLOWED.contains(&k.as_str()));
    Value::Object(schema)
}

fn rewrite_refs(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                if k == "$ref"
                    && let Value::String(r) = item
                    && let Some(rest) = r.strip_prefix("#/definitions/")
                {
                    *r = format!("#/$defs/{rest}");
                } else {
                    rewrite_refs(item);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

/// `response_format` with a JSON schema → LiteLLM's forced `json_tool_call` tool (no
/// `type`, no description; the schema as given, over `{"type": "object"}`).
pub(super) fn response_format_tool(req: &ChatRequest) -> Option<AnthropicCustomTool> {
    let rf = req.response_format.as_ref()?;
    if rf.kind == "text" {
        return None;
    }
    let schema = match rf.extra.get("response_schema") {
        Some(s) => s,
        None => rf.json_schema.as_ref()?.schema.as_ref()?,
    };
    let mut input = JsonMap::new();
    input.insert("type".into(), Value::from("object"));
    if let Value::Object(map) = schema {
        input.extend(map.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Some(AnthropicCustomTool {
        kind: None,
        name: RESPONSE_FORMAT_TOOL_NAME.into(),
        description: None,
        input_schema: Value::Object(input),
        cache_control: None,
        extra: JsonMap::new(),
    })
}

/// `web_search_options` → Anthropic's web search server tool (`map_web_search_tool`).
pub(super) fn web_search_tool(options: &Value) -> Value {
    let mut tool = json!({"type": "web_search_20250305", "name": "web_search"});
    if let Some(approx) = options
        .get("user_location")
        .and_then(|l| l.get("approximate"))
        .and_then(Value::as_object)
    {
        let mut location = json!({"type": "approximate"});
        for key in ["city", "country", "region", "timezone"] {
            if let Some(v) = approx.get(key) {
                location[key] = v.clone();
            }
        }
        tool["user_location"] = location;
    }
    let max_uses = match options.get("search_context_size").and_then(Value::as_str) {
        Some("low") => Some(1),
        Some("medium") => Some(5),
        Some("high") => Some(10),
        _ => None,
    };
    if let Some(n) = max_uses {
        tool["max_uses"] = Value::from(n);
    }
    tool
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_choice_mapping() {
        let named = ToolChoice::Named(json!({"type": "function", "function": {"name": "f"}}));
        let cases = [
            (
                Some(ToolChoice::Mode("auto".into())),
                None,
                json!({"type": "auto"}),
            ),
            (
                Some(ToolChoice::Mode("required".into())),
                None,
                json!({"type": "any"}),
            ),
            (
                Some(ToolChoice::Mode("none".into())),
                Some(false),
                json!({"type": "none"}),
            ),
            (
                Some(named),
                Some(false),
                json!({"type": "tool", "name": "f", "disable_parallel_tool_use": true}),
            ),
            (
                None,
                Some(true),
                json!({"type": "auto", "disable_parallel_tool_use": false}),
            ),
        ];
        for (choice, parallel, want) in cases {
            let got = map_tool_choice(choice.as_ref(), parallel).unwrap();
            assert_eq!(serde_json::to_value(got).unwrap(), want);
        }
        assert!(map_tool_choice(None, None).is_none());
    }
}
