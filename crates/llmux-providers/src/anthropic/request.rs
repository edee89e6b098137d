//! Canonical request → Messages API request, as LiteLLM's `AnthropicConfig`
//! (`map_openai_params`, `transform_request`, `validate_environment`) builds it, and
//! `VertexAIAnthropicConfig` for Claude on Vertex AI.

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue};
use llmux_types::{ChatRequest, Error, ErrorKind, JsonMap, StopSequences, Tool, ToolChoice};
use serde_json::{Value, json};

use super::Flavor;
use super::messages::{self, ConvertOptions};
use super::types::{
    AnthropicCustomTool, AnthropicMetadata, AnthropicRequest, AnthropicSystem, AnthropicTool,
    AnthropicToolChoice,
};

/// `anthropic-version` of every direct request.
pub(super) const ANTHROPIC_VERSION: &str = "2023-06-01";
/// `anthropic_version` of Vertex AI bodies.
pub(super) const VERTEX_ANTHROPIC_VERSION: &str = "vertex-2023-10-16";
/// LiteLLM's forced tool for `response_format` (`constants.py: RESPONSE_FORMAT_TOOL_NAME`).
pub(super) const RESPONSE_FORMAT_TOOL_NAME: &str = "json_tool_call";
/// `max_tokens` when the client sets none (`DEFAULT_ANTHROPIC_CHAT_MAX_TOKENS`; LiteLLM
/// uses the model map's `max_output_tokens` for mapped models).
const DEFAULT_MAX_TOKENS: u64 = 4096;
/// Added to a thinking budget when the client sets no `max_tokens` (`DEFAULT_MAX_TOKENS`).
const THINKING_HEADROOM_TOKENS: u64 = 4096;
/// Anthropic's smallest thinking budget (`ANTHROPIC_MIN_THINKING_BUDGET_TOKENS`).
const MIN_THINKING_BUDGET: u64 = 1024;
const DEFAULT_API_BASE: &str = "https://api.anthropic.com";
const DEFAULT_VERTEX_LOCATION: &str = "us-central1";
const OAUTH_TOKEN_PREFIX: &str = "sk-ant-oat";

/// Body keys llmux sets itself; a client's value under the same key in `extra` would
/// otherwise be serialised twice.
const OWN_BODY_KEYS: &[&str] = &[
    "model",
    "messages",
    "system",
    "max_tokens",
    "stop_sequences",
    "temperature",
    "top_p",
    "top_k",
    "tools",
    "tool_choice",
    "thinking",
    "metadata",
    "stream",
    "service_tier",
    "extra_headers",
    "web_search_options",
    "anthropic_version",
];

/// What llmux knows about a model without the model map (see the module docs of
/// [`super`] for what the registry would add).
#[derive(Debug, Clone, Copy)]
struct ModelTraits {
    /// Claude 4.6+ thinks adaptively (`thinking: {type: adaptive}` + `output_config.effort`).
    adaptive_thinking: bool,
}

impl ModelTraits {
    fn of(model: &str) -> Self {
        let m = model.to_ascii_lowercase().replace(['.', '_'], "-");
        // The model map's `supports_adaptive_thinking` models, by family name.
        const ADAPTIVE: &[&str] = &[
            "opus-4-6",
            "opus-4-7",
            "opus-4-8",
            "sonnet-4-6",
            "sonnet-5",
            "opus-5",
            "haiku-5",
            "fable-5",
            "mythos",
        ];
        Self {
            adaptive_thinking: ADAPTIVE.iter().any(|f| m.contains(f)),
        }
    }
}

/// Builds the upstream request.
pub(super) fn build_chat_request(
    req: &ChatRequest,
    t: &crate::Target<'_>,
    flavor: Flavor,
) -> Result<http::Request<Bytes>, Error> {
    let provider = match flavor {
        Flavor::Direct => "anthropic",
        Flavor::Vertex => "vertex_ai",
    };
    let model = if req.model.is_empty() {
        t.model
    } else {
        req.model.as_str()
    };
    let traits = ModelTraits::of(model);
    let conversation = messages::convert(&req.messages, ConvertOptions { provider })?;

    let mut body = AnthropicRequest {
        model: Some(model.to_owned()),
        messages: conversation.messages,
        ..AnthropicRequest::default()
    };
    if !conversation.system.is_empty() {
        body.system = Some(AnthropicSystem::Blocks(conversation.system));
    } else if let Some(system) = req.extra.get("system").filter(|v| !v.is_null()) {
        body.system =
            Some(serde_json::from_value(system.clone()).map_err(|e| {
                bad_request(provider, format!("invalid `system` for Anthropic: {e}"))
            })?);
    }

    let thinking = map_thinking(req, traits, provider)?;
    let thinking_enabled = req.extra.get("thinking").is_some_and(|v| {
        *v == Value::Bool(true) || v.get("type").and_then(Value::as_str) == Some("enabled")
    }) || req.reasoning_effort.is_some();
    body.max_tokens = Some(match req.max_completion_tokens.or(req.max_tokens) {
        Some(n) => n,
        None => match budget_of(thinking.thinking.as_ref()) {
            Some(budget) if is_enabled(thinking.thinking.as_ref()) => {
                budget + THINKING_HEADROOM_TOKENS
            }
            _ => DEFAULT_MAX_TOKENS,
        },
    });
    body.thinking = thinking.thinking;
    if let Some(effort) = thinking.effort {
        body.extra
            .insert("output_config".into(), json!({"effort": effort}));
    }

    body.stop_sequences = match &req.stop {
        Some(StopSequences::One(s)) => Some(vec![s.clone()]),
        Some(StopSequences::Many(v)) if !v.is_empty() => Some(v.clone()),
        _ => None,
    };
    body.temperature = req.temperature;
    body.top_p = req.top_p;
    body.top_k = req.extra.get("top_k").and_then(Value::as_u64);
    if req.stream == Some(true) {
        body.stream = Some(true);
    }
    body.metadata = metadata(req);
    if let Some(tier) = &req.service_tier
        && flavor == Flavor::Direct
    {
        // Vertex rejects `service_tier`; LiteLLM drops it there.
        body.service_tier = Some(map_service_tier(tier, model, provider)?);
    }

    // Tools: the client's, then the response_format tool, then web search.
    let mut tools: Vec<AnthropicTool> = Vec::new();
    let mut mcp_servers: Vec<Value> = Vec::new();
    for tool in req.tools.iter().flatten() {
        map_tool(tool, &mut tools, &mut mcp_servers, provider)?;
    }
    let mut tool_choice = map_tool_choice(req.tool_choice.as_ref(), req.parallel_tool_calls);
    if let Some(tool) = response_format_tool(req) {
        tools.push(AnthropicTool::Custom(tool));
        if !thinking_enabled {
            tool_choice = Some(AnthropicToolChoice::Tool {
                name: RESPONSE_FORMAT_TOOL_NAME.to_owned(),
                disable_parallel_tool_use: None,
            });
        }
    }
    if let Some(options) = req
        .extra
        .get("web_search_options")
        .filter(|v| v.is_object())
    {
        tools.push(AnthropicTool::Other(web_search_tool(options)));
    }
    if tools.is_empty() && req.messages.iter().any(|m| m.tool_calls.is_some()) {
        // Anthropic rejects tool_use blocks in a request without tools.
        tools.push(AnthropicTool::Custom(AnthropicCustomTool {
            kind: Some("custom".into()),
            name: "dummy_tool".into(),
            description: Some("This is a dummy tool call".into()),
            input_schema: json!({"type": "object", "properties": {}}),
            ..AnthropicCustomTool::default()
        }));
    }
    if !tools.is_empty() {
        body.tools = Some(tools);
    }
    body.tool_choice = tool_choice;
    if !mcp_servers.is_empty() {
        body.extra
            .insert("mcp_servers".into(), Value::Array(mcp_servers));
    }

    // Anthropic-specific parameters the client sent pass through.
    for (key, value) in &req.extra {
        if !OWN_BODY_KEYS.contains(&key.as_str()) && !value.is_null() {
            body.extra
                .entry(key.clone())
                .or_insert_with(|| value.clone());
        }
    }

    let betas = feature_betas(&body, &traits);
    let caller_headers = caller_headers(req, t);
    let (url, mut headers) = match flavor {
        Flavor::Direct => (direct_url(t), direct_headers(t, &caller_headers, betas)),
        Flavor::Vertex => {
            body.model = None;
            body.extra.insert(
                "anthropic_version".into(),
                Value::from(VERTEX_ANTHROPIC_VERSION),
            );
            let mut betas = merge_betas(&caller_headers, betas);
            if betas.is_empty() && has_tool_type(&body, "web_search") {
                // Vertex needs this beta for web search, and only takes betas it knows.
                betas.push("web-search-2025-03-05".into());
            } else if !betas.is_empty() {
                body.extra.insert("anthropic_beta".into(), json!(betas));
            }
            let url = vertex_url(t, model, req.stream == Some(true), provider)?;
            (url, vertex_headers(t, &caller_headers, &betas, provider)?)
        }
    };
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));

    let bytes = serde_json::to_vec(&body)
        .map_err(|e| bad_request(provider, format!("cannot encode request: {e}")))?;
    let mut builder = http::Request::post(url);
    if let Some(h) = builder.headers_mut() {
        *h = headers;
    }
    builder.body(Bytes::from(bytes)).map_err(|e| {
        bad_request(
            provider,
            format!("invalid upstream request (check api_base and headers): {e}"),
        )
    })
}

/// `thinking` and `output_config.effort` from `thinking` and `reasoning_effort`.
struct MappedThinking {
    thinking: Option<Value>,
    effort: Option<&'static str>,
}

fn map_thinking(
    req: &ChatRequest,
    traits: ModelTraits,
    provider: &str,
) -> Result<MappedThinking, Error> {
    let mut out = MappedThinking {
        thinking: None,
        effort: None,
    };
    if let Some(value) = req.extra.get("thinking").filter(|v| !v.is_null()) {
        let adaptive = value.get("type").and_then(Value::as_str) == Some("adaptive");
        out.thinking = if adaptive && !traits.adaptive_thinking {
            // A pre-4.6 model only knows budgets: LiteLLM asks for "medium", capped
            // below max_tokens, or no thinking when max_tokens cannot fit any.
            let budget = effort_budget("medium").unwrap_or(MIN_THINKING_BUDGET);
            match req.max_completion_tokens.or(req.max_tokens) {
                Some(max) if max <= MIN_THINKING_BUDGET => None,
                Some(max) if budget >= max => {
                    Some(json!({"type": "enabled", "budget_tokens": max - 1}))
                }
                _ => Some(json!({"type": "enabled", "budget_tokens": budget})),
            }
        } else {
            Some(value.clone())
        };
    }
    if let Some(effort) = req.reasoning_effort.as_deref() {
        if effort == "none" {
            out.thinking = None;
        } else if traits.adaptive_thinking {
            let mapped = match effort {
                "low" | "minimal" => "low",
                "medium" => "medium",
                "high" => "high",
                "xhigh" => "xhigh",
                "max" => "max",
                other => return Err(invalid_effort(other, provider)),
            };
            out.thinking = Some(json!({"type": "adaptive", "display": "summarized"}));
            out.effort = Some(mapped);
        } else {
            let budget = effort_budget(effort).ok_or_else(|| invalid_effort(effort, provider))?;
            out.thinking = Some(json!({"type": "enabled", "budget_tokens": budget}));
        }
    }
    Ok(out)
}

/// LiteLLM's thinking budget per `reasoning_effort` (`DEFAULT_REASONING_EFFORT_*`).
fn effort_budget(effort: &str) -> Option<u64> {
    Some(match effort {
        // max(DEFAULT_REASONING_EFFORT_MINIMAL_THINKING_BUDGET=128, 1024)
        "minimal" | "low" => 1024,
        "medium" => 2048,
        "high" => 4096,
        "xhigh" => 8192,
        "max" => 16384,
        _ => return None,
    })
}

fn invalid_effort(effort: &str, provider: &str) -> Error {
    bad_request(
        provider,
        format!(
            "Unmapped reasoning effort: '{effort}'. Must be one of: 'minimal', 'low', 'medium', \
             'high', 'xhigh', 'max', 'none'."
        ),
    )
    .with_param("reasoning_effort")
}

fn is_enabled(thinking: Option<&Value>) -> bool {
    thinking.is_some_and(|t| t.get("type").and_then(Value::as_str) == Some("enabled"))
}

fn budget_of(thinking: Option<&Value>) -> Option<u64> {
    thinking?.get("budget_tokens")?.as_u64()
}

/// `metadata.user_id` from `user`, or from LiteLLM's `metadata.user_id` (which wins);
/// Anthropic rejects emails and phone numbers there.
fn metadata(req: &ChatRequest) -> Option<AnthropicMetadata> {
    let from_metadata = req
        .metadata
        .as_ref()
        .and_then(|m| m.get("user_id"))
        .and_then(Value::as_str);
    let user_id = from_metadata
        .filter(|u| valid_user_id(u))
        .or(req.user.as_deref().filter(|u| valid_user_id(u)))?;
    Some(AnthropicMetadata {
        user_id: Some(user_id.to_owned()),
        extra: JsonMap::new(),
    })
}

/// Not an email (`^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$`) and not a phone
/// number (`^\+?[\d\s\(\)-]{7,}$`), as LiteLLM's `_valid_user_id`.
fn valid_user_id(user: &str) -> bool {
    let is_email = user.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c))
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            && domain.rsplit_once('.').is_some_and(|(head, tld)| {
                !head.is_empty() && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
            })
    });
    let digits = user.strip_prefix('+').unwrap_or(user);
    let is_phone = digits.chars().count() >= 7
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_whitespace() || "()-".contains(c));
    !is_email && !is_phone
}

fn map_service_tier(tier: &str, model: &str, provider: &str) -> Result<String, Error> {
    match tier {
        "auto" => Ok("auto".into()),
        "default" | "standard_only" => Ok("standard_only".into()),
        other => Err(Error::new(
            ErrorKind::UnsupportedParams,
            format!(
                "{model} does not support service_tier='{other}'. Anthropic accepts 'auto', \
                 'standard_only', or OpenAI's 'default' (sent as 'standard_only'). To drop \
                 unsupported params, set `litellm.drop_params = True`."
            ),
        )
        .with_provider(provider)
        .with_param("service_tier")),
    }
}

/// `tool_choice` and `parallel_tool_calls` → Anthropic's `tool_choice`.
fn map_tool_choice(
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
fn map_tool(
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
fn response_format_tool(req: &ChatRequest) -> Option<AnthropicCustomTool> {
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
fn web_search_tool(options: &Value) -> Value {
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

fn tool_types(body: &AnthropicRequest) -> impl Iterator<Item = &str> {
    body.tools.iter().flatten().filter_map(|t| match t {
        AnthropicTool::Other(v) => v.get("type").and_then(Value::as_str),
        AnthropicTool::Custom(_) => None,
    })
}

fn has_tool_type(body: &AnthropicRequest, prefix: &str) -> bool {
    tool_types(body).any(|t| t.starts_with(prefix))
}

/// The betas the request's features need (`get_anthropic_headers`,
/// `update_headers_with_optional_anthropic_beta`).
fn feature_betas(body: &AnthropicRequest, traits: &ModelTraits) -> Vec<String> {
    let mut betas: Vec<&str> = Vec::new();
    for kind in tool_types(body) {
        match kind {
            "computer_20250124" => betas.push("computer-use-2025-01-24"),
            k if k.starts_with("computer_") => betas.push("computer-use-2024-10-22"),
            k if k.starts_with("web_fetch") => betas.push("web-fetch-2025-09-10"),
            k if k.starts_with("memory") => betas.push("context-management-2025-06-27"),
            k if k.starts_with("code_execution") => betas.push("code-execution-2025-08-25"),
            k if k.starts_with("tool_search_tool") => betas.push("advanced-tool-use-2025-11-20"),
            _ => {}
        }
    }
    let uses_file_id = body.messages.iter().any(|m| {
        serde_json::to_value(&m.content)
            .map(|v| v.to_string().contains("\"file_id\""))
            .unwrap_or(false)
    });
    if uses_file_id {
        betas.extend(["files-api-2025-04-14", "code-execution-2025-05-22"]);
    }
    if body.extra.contains_key("mcp_servers") {
        betas.push("mcp-client-2025-04-04");
    }
    let effort = body
        .extra
        .get("output_config")
        .and_then(|c| c.get("effort"))
        .is_some_and(Value::is_string);
    if effort && !traits.adaptive_thinking {
        betas.push("effort-2025-11-24");
    }
    betas.into_iter().map(str::to_owned).collect()
}

/// Headers the caller configured (`extra_headers` in the config or the body).
fn caller_headers(req: &ChatRequest, t: &crate::Target<'_>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = t.extra_headers.to_vec();
    if let Some(Value::Object(map)) = req.extra.get("extra_headers") {
        for (k, v) in map {
            if let Some(v) = v.as_str() {
                out.push((k.clone(), v.to_owned()));
            }
        }
    }
    out
}

/// The caller's `anthropic-beta` values, then the features', without repeats.
fn merge_betas(caller: &[(String, String)], features: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let from_caller = caller
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("anthropic-beta"))
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(str::to_owned);
    for beta in from_caller.chain(features) {
        if !out.contains(&beta) {
            out.push(beta);
        }
    }
    out
}

fn direct_url(t: &crate::Target<'_>) -> String {
    let base = t.api_base.unwrap_or(DEFAULT_API_BASE).trim_end_matches('/');
    if base.ends_with("/v1/messages") {
        base.to_owned()
    } else {
        format!("{base}/v1/messages")
    }
}

/// A header map with the caller's headers, then ours (ours win, as LiteLLM's
/// `{**caller_headers, **anthropic_headers}`).
fn base_headers(caller: &[(String, String)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (k, v) in caller {
        if k.eq_ignore_ascii_case("anthropic-beta") {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            headers.append(name, value);
        }
    }
    headers
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

fn direct_headers(
    t: &crate::Target<'_>,
    caller: &[(String, String)],
    features: Vec<String>,
) -> HeaderMap {
    let mut headers = base_headers(caller);
    let mut betas = merge_betas(caller, features);
    set(&mut headers, "anthropic-version", ANTHROPIC_VERSION);
    match t.api_key.filter(|k| !k.is_empty()) {
        Some(key) if key.starts_with(OAUTH_TOKEN_PREFIX) => {
            // Claude OAuth tokens go as bearer tokens with their beta.
            headers.remove("x-api-key");
            if let Ok(v) = HeaderValue::from_str(&format!("Bearer {key}")) {
                headers.insert(AUTHORIZATION, v);
            }
            set(
                &mut headers,
                "anthropic-dangerous-direct-browser-access",
                "true",
            );
            if !betas.iter().any(|b| b == "oauth-2025-04-20") {
                betas.push("oauth-2025-04-20".into());
            }
        }
        Some(key) => set(&mut headers, "x-api-key", key),
        None => {}
    }
    if !betas.is_empty() {
        set(&mut headers, "anthropic-beta", &betas.join(","));
    }
    headers
}

fn vertex_headers(
    t: &crate::Target<'_>,
    caller: &[(String, String)],
    betas: &[String],
    provider: &str,
) -> Result<HeaderMap, Error> {
    let mut headers = base_headers(caller);
    let token = t.bearer_token.filter(|k| !k.is_empty()).ok_or_else(|| {
        Error::new(
            ErrorKind::Authentication,
            "Claude on Vertex AI needs a Google OAuth access token (configure vertex_credentials \
             or application default credentials)",
        )
        .with_provider(provider)
    })?;
    let auth = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| bad_request(provider, "the Vertex AI access token is not a valid header"))?;
    headers.insert(AUTHORIZATION, auth);
    set(&mut headers, "anthropic-version", ANTHROPIC_VERSION);
    if !betas.is_empty() {
        set(&mut headers, "anthropic-beta", &betas.join(","));
    }
    Ok(headers)
}

/// `https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/publishers/anthropic/models/{model}:rawPredict`,
/// with `api_base` replacing the host as LiteLLM's `_check_custom_proxy` does.
fn vertex_url(
    t: &crate::Target<'_>,
    model: &str,
    stream: bool,
    provider: &str,
) -> Result<String, Error> {
    let project = t.param("vertex_project").filter(|p| !p.is_empty()).ok_or_else(|| {
        bad_request(
            provider,
            "vertex_project is required for Claude on Vertex AI: set `vertex_project` in litellm_params",
        )
        .with_param("vertex_project")
    })?;
    let location = t
        .param("vertex_location")
        .filter(|l| !l.is_empty())
        .unwrap_or(DEFAULT_VERTEX_LOCATION);
    let valid_location = location == "global"
        || (location.starts_with(|c: char| c.is_ascii_lowercase())
            && location
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
    if !valid_location {
        return Err(
            bad_request(provider, "Invalid vertex_location format").with_param("vertex_location")
        );
    }
    let endpoint = if stream {
        "streamRawPredict"
    } else {
        "rawPredict"
    };
    let path = format!(
        "/v1/projects/{project}/locations/{location}/publishers/anthropic/models/{model}:{endpoint}"
    );
    let Some(api_base) = t.api_base else {
        let host = if location == "global" {
            "https://aiplatform.googleapis.com".to_owned()
        } else if !location.contains('-') {
            format!("https://aiplatform.{location}.rep.googleapis.com")
        } else {
            format!("https://{location}-aiplatform.googleapis.com")
        };
        return Ok(format!("{host}{path}"));
    };
    let parsed = url::Url::parse(api_base)
        .map_err(|e| bad_request(provider, format!("invalid api_base '{api_base}': {e}")))?;
    let base_path = parsed.path().trim_end_matches('/');
    let mut url = if base_path.is_empty() {
        // A bare host: the standard path goes after it.
        format!("{}{path}", api_base.trim_end_matches('/'))
    } else if base_path == "/v1" || base_path == "/v1beta1" {
        // A version-only path: the standard path replaces the version's tail.
        let mut u = parsed.clone();
        u.set_path(&format!("{base_path}{}", &path["/v1".len()..]));
        u.to_string()
    } else {
        // Any other path is the full endpoint.
        format!("{api_base}:{endpoint}")
    };
    if stream {
        url.push_str(if url.contains('?') {
            "&alt=sse"
        } else {
            "?alt=sse"
        });
    }
    Ok(url)
}

fn bad_request(provider: &str, message: impl Into<String>) -> Error {
    Error::bad_request(message).with_provider(provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(params: Option<&JsonMap>) -> crate::Target<'_> {
        crate::Target {
            model: "claude-sonnet-4-5",
            api_key: Some("sk-ant-key"),
            bearer_token: Some("ya29.token"),
            params,
            ..crate::Target::default()
        }
    }

    fn request(v: Value) -> ChatRequest {
        serde_json::from_value(v).unwrap()
    }

    fn body_of(r: &http::Request<Bytes>) -> Value {
        serde_json::from_slice(r.body()).unwrap()
    }

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

    #[test]
    fn user_ids_that_are_emails_or_phones_are_not_sent() {
        assert!(valid_user_id("user-123"));
        assert!(!valid_user_id("a.b@example.com"));
        assert!(!valid_user_id("+1 (555) 123-4567"));
        assert!(valid_user_id("12345"));
    }

    #[test]
    fn reasoning_effort_maps_to_budgets_and_raises_max_tokens() {
        let req = request(
            json!({"model": "claude-3-7-sonnet", "messages": [{"role": "user", "content": "x"}], "reasoning_effort": "high"}),
        );
        let r = build_chat_request(&req, &target(None), Flavor::Direct).unwrap();
        let b = body_of(&r);
        assert_eq!(
            b["thinking"],
            json!({"type": "enabled", "budget_tokens": 4096})
        );
        assert_eq!(b["max_tokens"], 8192);
        let req = request(
            json!({"model": "claude-opus-4-6", "messages": [{"role": "user", "content": "x"}], "reasoning_effort": "minimal"}),
        );
        let b = body_of(&build_chat_request(&req, &target(None), Flavor::Direct).unwrap());
        assert_eq!(
            b["thinking"],
            json!({"type": "adaptive", "display": "summarized"})
        );
        assert_eq!(b["output_config"], json!({"effort": "low"}));
        let req = request(
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "reasoning_effort": "extreme"}),
        );
        assert!(build_chat_request(&req, &target(None), Flavor::Direct).is_err());
    }

    #[test]
    fn vertex_url_body_and_auth() {
        let mut params = JsonMap::new();
        params.insert("vertex_project".into(), json!("proj"));
        params.insert("vertex_location".into(), json!("europe-west1"));
        let req = request(
            json!({"model": "claude-sonnet-4-5@20250929", "messages": [{"role": "user", "content": "x"}], "stream": true}),
        );
        let r = build_chat_request(&req, &target(Some(&params)), Flavor::Vertex).unwrap();
        assert_eq!(
            r.uri().to_string(),
            "https://europe-west1-aiplatform.googleapis.com/v1/projects/proj/locations/europe-west1/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict"
        );
        assert_eq!(r.headers()["authorization"], "Bearer ya29.token");
        assert!(r.headers().get("x-api-key").is_none());
        let b = body_of(&r);
        assert!(b.get("model").is_none());
        assert_eq!(b["anthropic_version"], VERTEX_ANTHROPIC_VERSION);
        assert_eq!(b["stream"], true);
    }

    #[test]
    fn vertex_needs_a_project_and_honours_api_base() {
        let req =
            request(json!({"model": "claude-x", "messages": [{"role": "user", "content": "x"}]}));
        let err = build_chat_request(&req, &target(None), Flavor::Vertex).unwrap_err();
        assert_eq!(err.status.as_u16(), 400);
        assert!(err.message.contains("vertex_project"), "{}", err.message);

        let mut params = JsonMap::new();
        params.insert("vertex_project".into(), json!("p"));
        for (base, want) in [
            (
                "http://proxy:8080",
                "http://proxy:8080/v1/projects/p/locations/us-central1/publishers/anthropic/models/claude-x:rawPredict",
            ),
            (
                "http://proxy/v1",
                "http://proxy/v1/projects/p/locations/us-central1/publishers/anthropic/models/claude-x:rawPredict",
            ),
            (
                "http://proxy/custom/endpoint",
                "http://proxy/custom/endpoint:rawPredict",
            ),
        ] {
            let t = crate::Target {
                api_base: Some(base),
                ..target(Some(&params))
            };
            let r = build_chat_request(&req, &t, Flavor::Vertex).unwrap();
            assert_eq!(r.uri().to_string(), want);
        }
    }

    #[test]
    fn betas_merge_caller_and_feature_values() {
        let req = request(json!({
            "model": "claude-x", "messages": [{"role": "user", "content": "x"}],
            "tools": [{"type": "computer_20250124", "function": {"name": "computer", "parameters": {"display_width_px": 1024, "display_height_px": 768}}}],
            "extra_headers": {"anthropic-beta": "a-beta, b-beta", "x-custom": "1"}
        }));
        let extra = [("anthropic-beta".to_owned(), "a-beta".to_owned())];
        let t = crate::Target {
            extra_headers: &extra,
            ..target(None)
        };
        let r = build_chat_request(&req, &t, Flavor::Direct).unwrap();
        assert_eq!(
            r.headers()["anthropic-beta"],
            "a-beta,b-beta,computer-use-2025-01-24"
        );
        assert_eq!(r.headers()["x-custom"], "1");
        assert_eq!(r.headers()["x-api-key"], "sk-ant-key");
        assert!(body_of(&r).get("extra_headers").is_none());
    }

    #[test]
    fn api_base_gets_the_messages_path_once() {
        for (base, want) in [
            (None, "https://api.anthropic.com/v1/messages"),
            (Some("http://h:1"), "http://h:1/v1/messages"),
            (Some("http://h:1/"), "http://h:1/v1/messages"),
            (Some("http://h:1/v1/messages"), "http://h:1/v1/messages"),
        ] {
            let t = crate::Target {
                api_base: base,
                ..crate::Target::default()
            };
            assert_eq!(direct_url(&t), want);
        }
    }
}
