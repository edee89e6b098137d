//! Canonical request → Messages API request, as LiteLLM's `AnthropicConfig`
//! (`map_openai_params`, `transform_request`, `validate_environment`) builds it, and
//! `VertexAIAnthropicConfig` for Claude on Vertex AI.

use bytes::Bytes;
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use llmux_types::{ChatRequest, Error, ErrorKind, JsonMap, StopSequences};
use serde_json::{Value, json};

use super::Flavor;
use super::endpoint::{
    caller_headers, direct_headers, direct_url, feature_betas, has_tool_type, merge_betas,
    vertex_headers, vertex_url,
};
use super::messages::{self, ConvertOptions};
use super::tools::{map_tool, map_tool_choice, response_format_tool, web_search_tool};
use super::types::{
    AnthropicCustomTool, AnthropicMetadata, AnthropicRequest, AnthropicSystem, AnthropicTool,
    AnthropicToolChoice,
};

/// `anthropic-version` of every direct request.
pub(super) const ANTHROPIC_VERSION: &str = "2023-06-01";
/// `anthropic_version` of Bedrock InvokeModel bodies.
pub(super) const BEDROCK_ANTHROPIC_VERSION: &str = "bedrock-2023-05-31";
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
        Flavor::Bedrock => "bedrock",
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
            _ => t.max_output_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
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

    let betas = feature_betas(&body, traits.adaptive_thinking);
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
        Flavor::Bedrock => {
            body.model = None;
            // The route says whether to stream; InvokeModel rejects the key.
            body.stream = None;
            body.extra.insert(
                "anthropic_version".into(),
                Value::from(BEDROCK_ANTHROPIC_VERSION),
            );
            let betas = merge_betas(&caller_headers, betas);
            if !betas.is_empty() {
                body.extra.insert("anthropic_beta".into(), json!(betas));
            }
            let action = if req.stream == Some(true) {
                "invoke-with-response-stream"
            } else {
                "invoke"
            };
            let mut headers = http::HeaderMap::new();
            if let Some(token) = t.api_key.filter(|k| !k.is_empty()) {
                let value = HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| {
                    bad_request(provider, "the Bedrock bearer token is not a valid header")
                })?;
                headers.insert(http::header::AUTHORIZATION, value);
            }
            for (k, v) in &caller_headers {
                if let (Ok(k), Ok(v)) = (
                    http::HeaderName::try_from(k.as_str()),
                    HeaderValue::try_from(v.as_str()),
                ) {
                    headers.insert(k, v);
                }
            }
            (crate::bedrock::url(t, action), headers)
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

pub(super) fn bad_request(provider: &str, message: impl Into<String>) -> Error {
    Error::bad_request(message).with_provider(provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_max_tokens_is_the_models_output_limit_else_4096() {
        let req: ChatRequest = serde_json::from_value(
            json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .unwrap();
        let body = |t: &crate::Target<'_>| -> Value {
            serde_json::from_slice(build_chat_request(&req, t, Flavor::Direct).unwrap().body())
                .unwrap()
        };
        assert_eq!(body(&target(None))["max_tokens"], 4096);
        let mapped = crate::Target {
            max_output_tokens: Some(64_000),
            ..target(None)
        };
        assert_eq!(body(&mapped)["max_tokens"], 64_000);
    }

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
}
