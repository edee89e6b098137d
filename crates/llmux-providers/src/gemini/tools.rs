//! OpenAI `tools` / `functions` / `tool_choice` → Gemini `tools` and `toolConfig`, as
//! LiteLLM's `VertexGeminiConfig._map_function` and `map_tool_choice_values`.

use llmux_types::{ChatRequest, Error, ErrorKind, JsonMap, ToolChoice};
use serde_json::{Value, json};

use super::schema::{build_vertex_schema, remove_additional_properties_false, remove_strict};

/// Gemini's built-in tools, in the order LiteLLM lists them after the functions.
#[derive(Debug, Default)]
struct BuiltIns {
    google_search: Option<Value>,
    google_search_retrieval: Option<Value>,
    enterprise_web_search: Option<Value>,
    code_execution: Option<Value>,
    url_context: Option<Value>,
    google_maps: Option<Value>,
    computer_use: Option<Value>,
}

/// The Gemini `tools` list for the request's `tools`, `functions` and
/// `web_search_options`; `None` if there are none.
pub(crate) fn map_tools(
    req: &ChatRequest,
    server_side_tools: bool,
) -> Result<Option<Vec<Value>>, Error> {
    let mut out: Vec<Value> = Vec::new();
    // LiteLLM maps `tools` and `functions` separately; each adds its own Tool objects.
    if let Some(tools) = req.tools.as_ref().filter(|t| !t.is_empty()) {
        let raw = serde_json::to_value(tools)
            .map_err(|e| Error::bad_request(format!("invalid tools: {e}")))?;
        out.extend(map_function_list(raw, server_side_tools)?);
    }
    if let Some(functions) = req.functions.as_ref().filter(|f| !f.is_empty()) {
        out.extend(map_function_list(
            Value::Array(functions.clone()),
            server_side_tools,
        )?);
    }
    if req
        .extra
        .get("web_search_options")
        .is_some_and(Value::is_object)
    {
        out.push(json!({"googleSearch": {}}));
    }
    if !server_side_tools {
        drop_search_tools_mixed_with_functions(&mut out);
    }
    Ok((!out.is_empty()).then_some(out))
}

const SEARCH_TOOL_KEYS: &[&str] = &[
    "googleSearch",
    "googleSearchRetrieval",
    "enterpriseWebSearch",
    "url_context",
    "google_search",
    "google_search_retrieval",
    "enterprise_web_search",
    "urlContext",
];

/// Vertex AI rejects search tools next to function declarations; LiteLLM drops them.
fn drop_search_tools_mixed_with_functions(tools: &mut Vec<Value>) {
    let has_functions = tools
        .iter()
        .any(|t| t.get("function_declarations").is_some_and(is_truthy_list));
    let is_search = |t: &Value| SEARCH_TOOL_KEYS.iter().any(|k| t.get(*k).is_some());
    if has_functions && tools.iter().any(is_search) {
        tools.retain(|t| !is_search(t));
    }
}

fn is_truthy_list(v: &Value) -> bool {
    v.as_array().is_some_and(|a| !a.is_empty())
}

fn map_function_list(mut list: Value, server_side_tools: bool) -> Result<Vec<Value>, Error> {
    remove_additional_properties_false(&mut list);
    remove_strict(&mut list);
    let Value::Array(list) = list else {
        return Ok(Vec::new());
    };
    let mut declarations: Vec<Value> = Vec::new();
    let mut built_ins = BuiltIns::default();
    for tool in list {
        let Value::Object(mut tool) = tool else {
            continue;
        };
        let function = match tool.get("function") {
            Some(Value::Object(f)) => Some(function_with_schema(f.clone())?),
            Some(_) => None,
            None if tool.contains_key("name") => Some(tool.clone()),
            None => None,
        };
        match tool.get("type").and_then(Value::as_str) {
            Some("computer_use") => {
                tool.remove("type");
                let config = Value::Object(tool);
                tool = JsonMap::new();
                tool.insert("computerUse".into(), config);
            }
            Some("web_search" | "web_search_preview") => {
                tool = JsonMap::new();
                tool.insert("googleSearch".into(), json!({}));
            }
            Some(_) => {
                tool.remove("type");
            }
            None => {}
        }
        let single = (tool.len() == 1)
            .then(|| tool.keys().next().cloned())
            .flatten();
        let value_of = |camel: &str, snake: &str| {
            tool.get(camel)
                .filter(|v| !v.is_null())
                .or_else(|| tool.get(snake).filter(|v| !v.is_null()))
                .cloned()
        };
        match single.as_deref() {
            Some("codeExecution" | "code_execution") => {
                built_ins.code_execution = value_of("codeExecution", "code_execution");
            }
            Some(name @ ("googleSearch" | "google_search")) => {
                built_ins.google_search = tool.get(name).filter(|v| !v.is_null()).cloned();
            }
            Some(name @ ("googleSearchRetrieval" | "google_search_retrieval")) => {
                built_ins.google_search_retrieval =
                    tool.get(name).filter(|v| !v.is_null()).cloned();
            }
            Some(name @ ("enterpriseWebSearch" | "enterprise_web_search")) => {
                built_ins.enterprise_web_search = tool.get(name).filter(|v| !v.is_null()).cloned();
            }
            Some(name @ ("url_context" | "urlContext")) => {
                built_ins.url_context = tool.get(name).filter(|v| !v.is_null()).cloned();
            }
            Some("googleMaps" | "google_maps") => {
                if let Some(Value::Object(mut maps)) = value_of("googleMaps", "google_maps") {
                    // LiteLLM moves the location into toolConfig.retrievalConfig, which it
                    // then does not send; the tool goes without it.
                    for key in ["latitude", "longitude", "languageCode"] {
                        maps.remove(key);
                    }
                    built_ins.google_maps = Some(Value::Object(maps));
                }
            }
            Some("computerUse" | "computer_use") => {
                built_ins.computer_use = Some(match value_of("computerUse", "computer_use") {
                    Some(Value::Object(config)) => computer_use_config(&config),
                    _ => json!({}),
                });
            }
            _ => {
                if let Some(function) = function {
                    declarations.push(declaration(function));
                }
            }
        }
    }
    if !declarations.is_empty() && !server_side_tools {
        built_ins.google_search = None;
        built_ins.google_search_retrieval = None;
        built_ins.enterprise_web_search = None;
        built_ins.url_context = None;
    }
    let mut out = Vec::new();
    if !declarations.is_empty() {
        out.push(json!({ "function_declarations": declarations }));
    }
    for (key, value) in [
        ("googleSearch", built_ins.google_search),
        ("googleSearchRetrieval", built_ins.google_search_retrieval),
        ("enterpriseWebSearch", built_ins.enterprise_web_search),
        ("code_execution", built_ins.code_execution),
        ("url_context", built_ins.url_context),
        ("googleMaps", built_ins.google_maps),
        ("computerUse", built_ins.computer_use),
    ] {
        if let Some(value) = value {
            out.push(json!({ key: value }));
        }
    }
    Ok(out)
}

/// A function object with its `parameters` made Gemini-compatible.
fn function_with_schema(mut function: JsonMap) -> Result<JsonMap, Error> {
    if let Some(params) = function.get_mut("parameters")
        && params.is_object()
    {
        *params = build_vertex_schema(params.take(), false)?;
    }
    Ok(function)
}

fn declaration(function: JsonMap) -> Value {
    let mut decl = JsonMap::new();
    decl.insert(
        "name".into(),
        function.get("name").cloned().unwrap_or(Value::Null),
    );
    if let Some(description) = function.get("description").filter(|v| !v.is_null()) {
        decl.insert("description".into(), description.clone());
    }
    match function.get("parameters") {
        Some(Value::String(s)) if s.is_empty() => {
            decl.insert("parameters".into(), json!({"type": "object"}));
        }
        Some(Value::Null) | None => {}
        Some(params) => {
            decl.insert("parameters".into(), params.clone());
        }
    }
    Value::Object(decl)
}

fn computer_use_config(config: &JsonMap) -> Value {
    let mut out = JsonMap::new();
    match config.get("environment").and_then(Value::as_str) {
        Some("browser") => {
            out.insert("environment".into(), Value::from("ENVIRONMENT_BROWSER"));
        }
        Some("unspecified") => {
            out.insert("environment".into(), Value::from("ENVIRONMENT_UNSPECIFIED"));
        }
        Some(env @ ("ENVIRONMENT_BROWSER" | "ENVIRONMENT_UNSPECIFIED")) => {
            out.insert("environment".into(), Value::from(env));
        }
        _ => {}
    }
    if let Some(v) = config
        .get("excluded_predefined_functions")
        .or_else(|| config.get("excludedPredefinedFunctions"))
    {
        out.insert("excludedPredefinedFunctions".into(), v.clone());
    }
    Value::Object(out)
}

/// `tool_choice` → `toolConfig.functionCallingConfig`.
pub(crate) fn map_tool_choice(choice: &ToolChoice) -> Result<JsonMap, Error> {
    let config = match choice {
        ToolChoice::Mode(mode) => match mode.as_str() {
            "none" => json!({"mode": "NONE"}),
            "required" => json!({"mode": "ANY"}),
            "auto" => json!({"mode": "AUTO"}),
            other => {
                return Err(Error::new(
                    ErrorKind::UnsupportedParams,
                    format!(
                        "VertexAI doesn't support tool_choice={other}. Supported tool_choice \
                         values=['auto', 'required', json object]. To drop it from the call, set \
                         `litellm.drop_params = True."
                    ),
                ));
            }
        },
        ToolChoice::Named(value) => {
            let name = value
                .get("function")
                .and_then(|f| f.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("");
            json!({"mode": "ANY", "allowed_function_names": [name]})
        }
    };
    let mut tool_config = JsonMap::new();
    tool_config.insert("functionCallingConfig".into(), config);
    Ok(tool_config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(v: Value) -> ChatRequest {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn functions_are_grouped_and_built_ins_get_their_own_tool() {
        let r = req(json!({"model": "m", "messages": [], "tools": [
            {"type": "function", "function": {"name": "a", "strict": true, "parameters": {"type": "object",
                "properties": {"x": {"type": "string"}}, "additionalProperties": false}}},
            {"type": "function", "function": {"name": "b", "description": "B"}},
            {"code_execution": {}}
        ]}));
        let tools = map_tools(&r, false).unwrap().unwrap();
        assert_eq!(
            Value::Array(tools),
            json!([
                {"function_declarations": [
                    {"name": "a", "parameters": {"type": "object", "properties": {"x": {"type": "string"}}}},
                    {"name": "b", "description": "B"}
                ]},
                {"code_execution": {}}
            ])
        );
    }

    #[test]
    fn search_tools_are_dropped_next_to_functions() {
        let r = req(json!({"model": "m", "messages": [], "tools": [
            {"type": "function", "function": {"name": "a"}},
            {"type": "web_search"}
        ]}));
        assert_eq!(
            Value::Array(map_tools(&r, false).unwrap().unwrap()),
            json!([{"function_declarations": [{"name": "a"}]}])
        );
        let r = req(json!({"model": "m", "messages": [], "tools": [{"googleSearch": {}}]}));
        assert_eq!(
            Value::Array(map_tools(&r, false).unwrap().unwrap()),
            json!([{"googleSearch": {}}])
        );
    }

    #[test]
    fn tool_choice_modes() {
        let named = ToolChoice::Named(json!({"type": "function", "function": {"name": "f"}}));
        assert_eq!(
            Value::Object(map_tool_choice(&named).unwrap()),
            json!({"functionCallingConfig": {"mode": "ANY", "allowed_function_names": ["f"]}})
        );
        assert_eq!(
            Value::Object(map_tool_choice(&ToolChoice::Mode("required".into())).unwrap()),
            json!({"functionCallingConfig": {"mode": "ANY"}})
        );
        let err = map_tool_choice(&ToolChoice::Mode("sometimes".into())).unwrap_err();
        assert_eq!(err.kind, ErrorKind::UnsupportedParams);
    }
}
