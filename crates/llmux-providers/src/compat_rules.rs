//! LiteLLM's rules for OpenAI-compatible providers that key on the model name, and the
//! request rewrites some catalog rows need beyond the OpenAI wire format.
//!
//! The catalog (`compat.rs`) is data; what cannot be data lives here, one function per
//! question, each naming the LiteLLM code it follows.

use llmux_types::{ChatMessage, ChatRequest, ContentPart, MessageContent, Role, Tool, ToolChoice};

use crate::compat::CompatProvider;
use crate::compat_params as p;
use crate::params::{Capabilities, ParamSpec};

/// The chat parameters `row` accepts for `model` (the provider-side model name).
pub(crate) fn chat_params(row: &CompatProvider, model: &str, caps: Capabilities) -> ParamSpec {
    match row.id {
        // XAIChatConfig._supports_stop_reason / _supports_frequency_penalty
        "xai" if model.contains("grok-4") || model.contains("grok-code-fast") => {
            p::XAI_NO_STOP_NO_FREQUENCY_PENALTY
        }
        "xai" if model.contains("grok-3-mini") => p::XAI_NO_STOP,
        // MistralConfig.get_supported_openai_params: `"magistral" in model.lower()`
        "mistral" | "codestral" if model.to_ascii_lowercase().contains("magistral") => {
            p::MISTRAL_MAGISTRAL
        }
        "moonshot" if model.contains("kimi-thinking-preview") => p::MOONSHOT_KIMI_THINKING,
        "nvidia_nim" => match model {
            "google/recurrentgemma-2b"
            | "google/gemma-2-27b-it"
            | "google/gemma-2-9b-it"
            | "gemma-2-9b-it" => p::NVIDIA_NIM_GEMMA_2,
            "nvidia/nemotron-4-340b-instruct" => p::NVIDIA_NIM_NEMOTRON_4_340B_INSTRUCT,
            "nvidia/nemotron-4-340b-reward" => p::NVIDIA_NIM_NEMOTRON_4_340B_REWARD,
            "google/codegemma-1.1-7b" => p::NVIDIA_NIM_CODEGEMMA,
            _ => row.params,
        },
        // GroqChatConfig: web_search_options for compound or web-search models only.
        "groq" if caps.web_search || is_groq_compound(model) => p::GROQ_WEB_SEARCH,
        "perplexity" if caps.web_search => p::PERPLEXITY_WEB_SEARCH,
        _ => row.params,
    }
}

/// Groq's compound models (`GROQ_COMPOUND_MODELS`), which search by themselves.
fn is_groq_compound(model: &str) -> bool {
    matches!(model, "compound" | "compound-mini")
}

/// The rewrites LiteLLM's provider config makes to a request for `row`, after the param
/// policy; `req.model` is the provider-side model.
pub(crate) fn prepare(row: &CompatProvider, req: &mut ChatRequest) {
    if row.quirks.content_list_to_str {
        collapse_text_only_lists(&mut req.messages);
    }
    match row.id {
        "fireworks_ai" => prepare_fireworks(req),
        "groq" => web_search_as_browser_search(req),
        "deepseek" => deepseek_thinking(req),
        "mistral" | "codestral" => {
            mistral_tool_choice(req);
            if req.model.to_ascii_lowercase().contains("magistral") {
                magistral_reasoning_prompt(req);
            }
        }
        _ => {}
    }
}

/// `MistralConfig._map_tool_choice`: `required` is Mistral's `any`; a named tool, which
/// Mistral's API does not take, is not sent.
fn mistral_tool_choice(req: &mut ChatRequest) {
    match &req.tool_choice {
        Some(ToolChoice::Mode(m)) if m == "required" => {
            req.tool_choice = Some(ToolChoice::Mode("any".into()));
        }
        Some(ToolChoice::Mode(_)) | None => {}
        Some(_) => req.tool_choice = None,
    }
}

/// `DeepSeekChatConfig.map_openai_params`: `thinking` keeps only its `type` (`enabled` or
/// `disabled`); otherwise `reasoning_effort` becomes `thinking` (`none` disables it).
/// Neither is sent as given.
fn deepseek_thinking(req: &mut ChatRequest) {
    let effort = req.reasoning_effort.take();
    let thinking = req.extra.remove("thinking");
    let kind = thinking
        .as_ref()
        .and_then(|t| t.get("type"))
        .and_then(serde_json::Value::as_str)
        .filter(|k| matches!(*k, "enabled" | "disabled"))
        .map(str::to_owned);
    let kind = match (kind, effort) {
        (Some(k), _) => k,
        (None, Some(e)) if e == "none" => "disabled".to_owned(),
        (None, Some(_)) => "enabled".to_owned(),
        (None, None) => return,
    };
    req.extra
        .insert("thinking".into(), serde_json::json!({ "type": kind }));
}

/// `convert_content_list_to_str` per message: a content list whose parts are all text
/// becomes their concatenation (a list without text stays as it is). A list carrying an
/// image, audio or a file stays a list: LiteLLM keeps only its text and drops the media,
/// llmux sends what the client sent and lets the upstream answer (README, "where llmux
/// differs").
fn collapse_text_only_lists(messages: &mut [ChatMessage]) {
    for m in messages {
        let Some(content @ MessageContent::Parts(_)) = &m.content else {
            continue;
        };
        let MessageContent::Parts(parts) = content else {
            continue;
        };
        if !parts.iter().all(|p| matches!(p, ContentPart::Text { .. })) {
            continue;
        }
        let text = content.text();
        if !text.is_empty() {
            m.content = Some(MessageContent::Text(text));
        }
    }
}

/// `FireworksAIConfig.transform_request`: the model as a Fireworks resource name
/// (`resolve_fireworks_resource_name`), no `cache_control` anywhere in a message, and
/// no `strict` on function tools.
fn prepare_fireworks(req: &mut ChatRequest) {
    req.model = fireworks_resource_name(&req.model);
    for m in &mut req.messages {
        m.extra.remove("cache_control");
        if let Some(MessageContent::Parts(parts)) = &mut m.content {
            for part in parts {
                match part {
                    ContentPart::Text { extra, .. }
                    | ContentPart::ImageUrl { extra, .. }
                    | ContentPart::InputAudio { extra, .. }
                    | ContentPart::File { extra, .. } => {
                        extra.remove("cache_control");
                    }
                    ContentPart::Other(v) => {
                        if let Some(o) = v.as_object_mut() {
                            o.remove("cache_control");
                        }
                    }
                }
            }
        }
    }
    for tool in req.tools.iter_mut().flatten() {
        if tool.kind == "function"
            && let Some(f) = &mut tool.function
        {
            f.strict = None;
        }
    }
}

/// `resolve_fireworks_resource_name`: a short name becomes
/// `accounts/fireworks/models/{name}` (or `…/routers/{name}` for routers).
pub(crate) fn fireworks_resource_name(model: &str) -> String {
    let name = model.strip_prefix("fireworks_ai/").unwrap_or(model);
    if name.starts_with("accounts/") || name.starts_with("FW-") || name.contains('#') {
        name.to_owned()
    } else if name.starts_with("routers/") || name.starts_with("models/") {
        format!("accounts/fireworks/{name}")
    } else if name.ends_with("-fast")
        || matches!(name, "firerouter" | "auto" | "auto-instant")
        || name.starts_with("firerouter/")
    {
        format!("accounts/fireworks/routers/{name}")
    } else {
        format!("accounts/fireworks/models/{name}")
    }
}

/// `GroqChatConfig.map_openai_params`: `web_search_options` is not sent; a model that is
/// not a compound model gets Groq's `browser_search` tool instead (once).
fn web_search_as_browser_search(req: &mut ChatRequest) {
    if req.extra.remove("web_search_options").is_none() || is_groq_compound(&req.model) {
        return;
    }
    let tools = req.tools.get_or_insert_with(Vec::new);
    if !tools.iter().any(|t| t.kind == "browser_search") {
        tools.push(Tool {
            kind: "browser_search".into(),
            function: None,
            extra: Default::default(),
        });
    }
}

/// LiteLLM's magistral reasoning prompt (`MistralConfig._get_mistral_reasoning_system_prompt`).
const MAGISTRAL_PROMPT: &str = include_str!("mistral_reasoning_prompt.txt");

/// `MistralConfig` for magistral models: `reasoning_effort` or `thinking` is not sent; it
/// asks for Mistral's reasoning system prompt, put before the first system message's
/// content or sent as a new first system message.
fn magistral_reasoning_prompt(req: &mut ChatRequest) {
    let asked = req.reasoning_effort.take().is_some() | req.extra.remove("thinking").is_some();
    if !asked {
        return;
    }
    match req.messages.iter_mut().find(|m| m.role == Role::System) {
        Some(m) => {
            m.content = Some(match m.content.take() {
                Some(MessageContent::Parts(mut parts)) => {
                    parts.insert(0, ContentPart::text(format!("{MAGISTRAL_PROMPT}\n\n")));
                    MessageContent::Parts(parts)
                }
                Some(MessageContent::Text(t)) => {
                    MessageContent::Text(format!("{MAGISTRAL_PROMPT}\n\n{t}"))
                }
                None => MessageContent::Text(MAGISTRAL_PROMPT.to_owned()),
            });
        }
        None => req
            .messages
            .insert(0, ChatMessage::new(Role::System, MAGISTRAL_PROMPT)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compat;
    use serde_json::{Value, json};

    fn row(id: &str) -> &'static CompatProvider {
        compat::find(id).unwrap()
    }

    fn req(v: Value) -> ChatRequest {
        serde_json::from_value(v).unwrap()
    }

    fn supports(id: &str, model: &str, param: &str, caps: Capabilities) -> bool {
        chat_params(row(id), model, caps).supports(param, caps)
    }

    #[test]
    fn xai_grok_3_mini_and_grok_4_lose_stop_and_frequency_penalty_by_name() {
        let c = Capabilities::default();
        assert!(supports("xai", "grok-3", "stop", c));
        assert!(supports("xai", "grok-3", "frequency_penalty", c));
        assert!(!supports("xai", "grok-3-mini-beta", "stop", c));
        assert!(supports("xai", "grok-3-mini-beta", "frequency_penalty", c));
        for m in ["grok-4-0709", "grok-code-fast-1"] {
            assert!(!supports("xai", m, "stop", c), "{m}");
            assert!(!supports("xai", m, "frequency_penalty", c), "{m}");
            assert!(supports("xai", m, "temperature", c), "{m}");
        }
    }

    #[test]
    fn magistral_kimi_and_nvidia_nim_lists_follow_the_model_name() {
        let c = Capabilities::default();
        assert!(!supports(
            "mistral",
            "mistral-large-latest",
            "reasoning_effort",
            c
        ));
        assert!(supports(
            "mistral",
            "Magistral-medium-2506",
            "reasoning_effort",
            c
        ));
        assert!(supports("mistral", "magistral-small", "thinking", c));
        assert!(supports("moonshot", "kimi-k2", "tools", c));
        assert!(!supports("moonshot", "kimi-thinking-preview", "tools", c));
        assert!(!supports(
            "moonshot",
            "kimi-thinking-preview",
            "tool_choice",
            c
        ));
        assert!(!supports(
            "moonshot",
            "kimi-thinking-preview",
            "functions",
            c
        ));
        assert!(supports(
            "nvidia_nim",
            "meta/llama3-70b-instruct",
            "tools",
            c
        ));
        assert!(!supports("nvidia_nim", "google/gemma-2-9b-it", "tools", c));
        assert!(supports("nvidia_nim", "google/gemma-2-9b-it", "seed", c));
        assert!(!supports(
            "nvidia_nim",
            "google/codegemma-1.1-7b",
            "seed",
            c
        ));
        assert!(!supports(
            "nvidia_nim",
            "nvidia/nemotron-4-340b-reward",
            "temperature",
            c
        ));
        assert!(supports(
            "nvidia_nim",
            "nvidia/nemotron-4-340b-instruct",
            "max_completion_tokens",
            c
        ));
        assert!(!supports(
            "nvidia_nim",
            "nvidia/nemotron-4-340b-instruct",
            "stop",
            c
        ));
    }

    #[test]
    fn web_search_options_only_for_models_that_search() {
        let plain = Capabilities::default();
        let search = Capabilities {
            web_search: true,
            ..plain
        };
        assert!(!supports(
            "groq",
            "llama-3.3-70b-versatile",
            "web_search_options",
            plain
        ));
        assert!(supports(
            "groq",
            "openai/gpt-oss-120b",
            "web_search_options",
            search
        ));
        assert!(supports(
            "groq",
            "compound-mini",
            "web_search_options",
            plain
        ));
        assert!(!supports(
            "perplexity",
            "r1-1776",
            "web_search_options",
            plain
        ));
        assert!(supports(
            "perplexity",
            "sonar",
            "web_search_options",
            search
        ));
    }

    #[test]
    fn groq_does_not_take_user() {
        assert!(!supports(
            "groq",
            "llama-3.3-70b-versatile",
            "user",
            Capabilities::default()
        ));
    }

    #[test]
    fn groq_web_search_becomes_the_browser_search_tool_except_on_compound_models() {
        let mut r = req(json!({"model": "openai/gpt-oss-120b", "messages": [],
            "web_search_options": {"search_context_size": "low"}}));
        prepare(row("groq"), &mut r);
        assert!(!r.extra.contains_key("web_search_options"));
        let tools = serde_json::to_value(&r.tools).unwrap();
        assert_eq!(tools, json!([{"type": "browser_search"}]));
        let mut r = req(json!({"model": "compound", "messages": [], "web_search_options": {}}));
        prepare(row("groq"), &mut r);
        assert!(!r.extra.contains_key("web_search_options") && r.tools.is_none());
    }

    #[test]
    fn text_only_lists_become_strings_for_the_rows_that_ask() {
        let body = json!({"model": "m", "messages": [
            {"role": "system", "content": [{"type": "text", "text": "be "}, {"type": "text", "text": "brief"}]},
            {"role": "user", "content": [{"type": "text", "text": "look"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}]},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}
        ]});
        for id in [
            "deepseek",
            "sambanova",
            "docker_model_runner",
            "publicai",
            "moonshot",
        ] {
            let mut r = req(body.clone());
            prepare(row(id), &mut r);
            let out = serde_json::to_value(&r.messages).unwrap();
            assert_eq!(out[0]["content"], "be brief", "{id}");
            assert_eq!(out[1]["content"], body["messages"][1]["content"], "{id}");
            assert_eq!(out[2]["content"], body["messages"][2]["content"], "{id}");
        }
        let mut r = req(body.clone());
        prepare(row("groq"), &mut r);
        assert_eq!(serde_json::to_value(&r.messages).unwrap(), body["messages"]);
    }

    #[test]
    fn fireworks_models_are_resource_names_and_lose_cache_control_and_strict() {
        assert_eq!(
            fireworks_resource_name("llama-v3p1-8b-instruct"),
            "accounts/fireworks/models/llama-v3p1-8b-instruct"
        );
        assert_eq!(
            fireworks_resource_name("accounts/me/models/x"),
            "accounts/me/models/x"
        );
        assert_eq!(
            fireworks_resource_name("models/x"),
            "accounts/fireworks/models/x"
        );
        assert_eq!(
            fireworks_resource_name("glm-4p5-fast"),
            "accounts/fireworks/routers/glm-4p5-fast"
        );
        assert_eq!(
            fireworks_resource_name("auto"),
            "accounts/fireworks/routers/auto"
        );
        assert_eq!(fireworks_resource_name("FW-abc"), "FW-abc");
        let mut r = req(json!({"model": "deepseek-v3", "messages": [
            {"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}],
             "cache_control": {"type": "ephemeral"}}],
            "tools": [{"type": "function", "function": {"name": "f", "strict": true, "parameters": {}}}]}));
        prepare(row("fireworks_ai"), &mut r);
        assert_eq!(r.model, "accounts/fireworks/models/deepseek-v3");
        let out = serde_json::to_value(&r).unwrap();
        assert_eq!(
            out["messages"],
            json!([{"role": "user", "content": [{"type": "text", "text": "hi"}]}])
        );
        assert!(out["tools"][0]["function"].get("strict").is_none());
    }

    #[test]
    fn mistral_tool_choice_required_is_any_and_a_named_tool_is_not_sent() {
        let mut r =
            req(json!({"model": "mistral-small", "messages": [], "tool_choice": "required"}));
        prepare(row("mistral"), &mut r);
        assert_eq!(serde_json::to_value(&r.tool_choice).unwrap(), json!("any"));
        let mut r = req(json!({"model": "mistral-small", "messages": [],
            "tool_choice": {"type": "function", "function": {"name": "f"}}}));
        prepare(row("mistral"), &mut r);
        assert!(r.tool_choice.is_none());
        let mut r = req(json!({"model": "mistral-small", "messages": [], "tool_choice": "auto"}));
        prepare(row("mistral"), &mut r);
        assert_eq!(serde_json::to_value(&r.tool_choice).unwrap(), json!("auto"));
    }

    #[test]
    fn deepseek_reasoning_effort_becomes_thinking() {
        let mut r =
            req(json!({"model": "deepseek-chat", "messages": [], "reasoning_effort": "low"}));
        prepare(row("deepseek"), &mut r);
        assert!(r.reasoning_effort.is_none());
        assert_eq!(r.extra["thinking"], json!({"type": "enabled"}));
        let mut r =
            req(json!({"model": "deepseek-chat", "messages": [], "reasoning_effort": "none"}));
        prepare(row("deepseek"), &mut r);
        assert_eq!(r.extra["thinking"], json!({"type": "disabled"}));
        let mut r = req(json!({"model": "deepseek-chat", "messages": [],
            "thinking": {"type": "enabled", "budget_tokens": 100}}));
        prepare(row("deepseek"), &mut r);
        assert_eq!(r.extra["thinking"], json!({"type": "enabled"}));
    }

    #[test]
    fn magistral_reasoning_is_a_system_prompt_not_a_parameter() {
        let mut r = req(
            json!({"model": "magistral-medium-latest", "reasoning_effort": "high",
            "messages": [{"role": "user", "content": "hi"}]}),
        );
        prepare(row("mistral"), &mut r);
        assert!(r.reasoning_effort.is_none());
        assert_eq!(r.messages.len(), 2);
        assert_eq!(r.messages[0].role, Role::System);
        let sys = r.messages[0].content.as_ref().unwrap().text();
        assert!(
            sys.contains("[SYSTEM_PROMPT]") && sys.contains("<think>"),
            "{sys}"
        );
        let mut r = req(
            json!({"model": "magistral-small", "thinking": {"type": "enabled"},
            "messages": [{"role": "system", "content": "be kind"}, {"role": "user", "content": "hi"}]}),
        );
        prepare(row("mistral"), &mut r);
        assert!(!r.extra.contains_key("thinking"));
        assert_eq!(r.messages.len(), 2);
        let sys = r.messages[0].content.as_ref().unwrap().text();
        assert!(sys.starts_with(MAGISTRAL_PROMPT) && sys.ends_with("\n\nbe kind"));
        let mut r = req(json!({"model": "mistral-large", "reasoning_effort": "high",
            "messages": [{"role": "user", "content": "hi"}]}));
        prepare(row("mistral"), &mut r);
        assert_eq!(r.reasoning_effort.as_deref(), Some("high"));
    }
}
