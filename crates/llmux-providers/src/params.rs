//! Which OpenAI parameters a provider accepts, and what happens to the others.
//!
//! As LiteLLM's `get_optional_params`: every OpenAI parameter the client set is checked
//! against the provider's supported list. An unsupported one is a 400
//! `UnsupportedParamsError` with no upstream call, unless `drop_params` is on, in which
//! case it is removed. `allowed_openai_params` force-keeps parameters,
//! `additional_drop_params` force-drops them.

use llmux_types::{ChatRequest, Error, ErrorKind};

/// The OpenAI chat parameters LiteLLM checks (`DEFAULT_CHAT_COMPLETION_PARAM_VALUES`,
/// less its own keys such as `model` and `drop_params`). Other body keys are forwarded.
pub const CHECKED_PARAMS: &[&str] = &[
    "functions",
    "function_call",
    "temperature",
    "top_p",
    "n",
    "stream",
    "stream_options",
    "stop",
    "max_tokens",
    "max_completion_tokens",
    "modalities",
    "prediction",
    "audio",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "user",
    "response_format",
    "seed",
    "tools",
    "tool_choice",
    "logprobs",
    "top_logprobs",
    "parallel_tool_calls",
    "reasoning_effort",
    "verbosity",
    "thinking",
    "web_search_options",
    "service_tier",
    "safety_identifier",
    "prompt_cache_key",
    "prompt_cache_retention",
    "store",
    "context_management",
];

/// Model capabilities from the registry that decide a few parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub function_calling: bool,
    pub reasoning: bool,
    pub web_search: bool,
    /// The registry lists the model under its provider (LiteLLM's catalog models, which
    /// for OpenAI get the plain GPT parameter list).
    pub catalog: bool,
}

/// A provider's supported parameters, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSpec {
    /// Accepts every OpenAI parameter (OpenAI itself, Azure, generic OpenAI-compatible).
    pub all: bool,
    /// Always supported.
    pub base: &'static [&'static str],
    /// Supported only when the registry says the model calls functions.
    pub function_calling: &'static [&'static str],
    /// Supported only when the registry says the model reasons.
    pub reasoning: &'static [&'static str],
}

impl ParamSpec {
    /// Every OpenAI parameter.
    pub const ALL: ParamSpec = ParamSpec {
        all: true,
        base: &[],
        function_calling: &[],
        reasoning: &[],
    };

    /// Whether `param` is supported for a model with `caps`.
    pub fn supports(&self, param: &str, caps: Capabilities) -> bool {
        self.all
            || self.base.contains(&param)
            || (caps.function_calling && self.function_calling.contains(&param))
            || (caps.reasoning && self.reasoning.contains(&param))
    }
}

/// How unsupported parameters are treated for one call.
#[derive(Debug, Clone, Default)]
pub struct ParamPolicy {
    pub drop_params: bool,
    pub additional_drop_params: Vec<String>,
    pub allowed_openai_params: Vec<String>,
}

/// Applies `policy` to `req` for a provider accepting `spec`: drops what must go, or
/// returns LiteLLM's `UnsupportedParamsError` naming every unsupported parameter.
pub fn apply_param_policy(
    req: &mut ChatRequest,
    spec: &ParamSpec,
    caps: Capabilities,
    policy: &ParamPolicy,
    provider: &str,
    model: &str,
) -> Result<(), Error> {
    for name in &policy.additional_drop_params {
        remove_param(req, name);
    }
    let mut unsupported: Vec<&'static str> = Vec::new();
    for &name in CHECKED_PARAMS {
        if !is_set(req, name)
            || spec.supports(name, caps)
            || policy.allowed_openai_params.iter().any(|p| p == name)
        {
            continue;
        }
        // LiteLLM never fails a call over these (SDKs and LangChain send them by
        // default); a provider that does not take them just does not get them.
        if matches!(name, "user" | "stream" | "stream_options") || (name == "n" && req.n == Some(1))
        {
            remove_param(req, name);
            continue;
        }
        unsupported.push(name);
    }
    if unsupported.is_empty() {
        return Ok(());
    }
    if policy.drop_params {
        for name in unsupported {
            remove_param(req, name);
        }
        return Ok(());
    }
    let list = unsupported
        .iter()
        .map(|p| format!("'{p}'"))
        .collect::<Vec<_>>()
        .join(", ");
    Err(Error::new(
        ErrorKind::UnsupportedParams,
        format!(
            "{provider} does not support parameters: [{list}], for model={model}. To drop these, set \
             `litellm.drop_params=True` or for proxy:\n\n`litellm_settings:\n drop_params: true`\n. \n If you \
             want to use these params dynamically send allowed_openai_params=[{list}] in your request."
        ),
    )
    .with_provider(provider)
    .with_model(model))
}

/// Whether the client set `name` (to anything but null).
pub fn is_set(req: &ChatRequest, name: &str) -> bool {
    match name {
        "temperature" => req.temperature.is_some(),
        "top_p" => req.top_p.is_some(),
        "n" => req.n.is_some(),
        "stream" => req.stream.is_some(),
        "stream_options" => req.stream_options.is_some(),
        "stop" => req.stop.is_some(),
        "max_tokens" => req.max_tokens.is_some(),
        "max_completion_tokens" => req.max_completion_tokens.is_some(),
        "presence_penalty" => req.presence_penalty.is_some(),
        "frequency_penalty" => req.frequency_penalty.is_some(),
        "logit_bias" => req.logit_bias.is_some(),
        "logprobs" => req.logprobs.is_some(),
        "top_logprobs" => req.top_logprobs.is_some(),
        "seed" => req.seed.is_some(),
        "user" => req.user.is_some(),
        "tools" => req.tools.is_some(),
        "tool_choice" => req.tool_choice.is_some(),
        "parallel_tool_calls" => req.parallel_tool_calls.is_some(),
        "response_format" => req.response_format.is_some(),
        "reasoning_effort" => req.reasoning_effort.is_some(),
        "modalities" => req.modalities.is_some(),
        "audio" => req.audio.is_some(),
        "prediction" => req.prediction.is_some(),
        "metadata" => req.metadata.is_some(),
        "service_tier" => req.service_tier.is_some(),
        "store" => req.store.is_some(),
        "functions" => req.functions.is_some(),
        "function_call" => req.function_call.is_some(),
        other => req.extra.get(other).is_some_and(|v| !v.is_null()),
    }
}

/// Removes parameter `name` from `req`, typed or not.
pub fn remove_param(req: &mut ChatRequest, name: &str) {
    match name {
        "temperature" => req.temperature = None,
        "top_p" => req.top_p = None,
        "n" => req.n = None,
        "stream" => req.stream = None,
        "stream_options" => req.stream_options = None,
        "stop" => req.stop = None,
        "max_tokens" => req.max_tokens = None,
        "max_completion_tokens" => req.max_completion_tokens = None,
        "presence_penalty" => req.presence_penalty = None,
        "frequency_penalty" => req.frequency_penalty = None,
        "logit_bias" => req.logit_bias = None,
        "logprobs" => req.logprobs = None,
        "top_logprobs" => req.top_logprobs = None,
        "seed" => req.seed = None,
        "user" => req.user = None,
        "tools" => req.tools = None,
        "tool_choice" => req.tool_choice = None,
        "parallel_tool_calls" => req.parallel_tool_calls = None,
        "response_format" => req.response_format = None,
        "reasoning_effort" => req.reasoning_effort = None,
        "modalities" => req.modalities = None,
        "audio" => req.audio = None,
        "prediction" => req.prediction = None,
        "metadata" => req.metadata = None,
        "service_tier" => req.service_tier = None,
        "store" => req.store = None,
        "functions" => req.functions = None,
        "function_call" => req.function_call = None,
        other => {
            req.extra.remove(other);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use llmux_types::ChatMessage;
    use serde_json::json;

    const NO_TOOLS: ParamSpec = ParamSpec {
        all: false,
        base: &["temperature", "stream"],
        function_calling: &["tools", "tool_choice"],
        reasoning: &[],
    };

    fn request() -> ChatRequest {
        serde_json::from_value(json!({
            "model": "m", "messages": [{"role": "user", "content": "hi"}],
            "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "auto",
            "temperature": 0.1
        }))
        .unwrap()
    }

    #[test]
    fn unsupported_params_are_a_400_naming_each() {
        let mut req = request();
        let err = apply_param_policy(
            &mut req,
            &NO_TOOLS,
            Capabilities::default(),
            &ParamPolicy::default(),
            "fireworks_ai",
            "m",
        )
        .unwrap_err();
        assert_eq!(err.kind, ErrorKind::UnsupportedParams);
        assert_eq!(err.status.as_u16(), 400);
        assert!(
            err.message.contains("['tools', 'tool_choice']"),
            "{}",
            err.message
        );
    }

    #[test]
    fn sdk_defaults_are_never_unsupported_but_are_not_sent() {
        let mut req = request();
        req.tools = None;
        req.tool_choice = None;
        req.user = Some("u".into());
        req.n = Some(1);
        req.stream_options = Some(llmux_types::StreamOptions {
            include_usage: Some(true),
            ..Default::default()
        });
        apply_param_policy(
            &mut req,
            &NO_TOOLS,
            Capabilities::default(),
            &ParamPolicy::default(),
            "p",
            "m",
        )
        .unwrap();
        assert!(req.user.is_none() && req.n.is_none() && req.stream_options.is_none());
        req.n = Some(2);
        assert!(
            apply_param_policy(
                &mut req,
                &NO_TOOLS,
                Capabilities::default(),
                &ParamPolicy::default(),
                "p",
                "m"
            )
            .is_err()
        );
    }

    #[test]
    fn capability_enables_tools() {
        let mut req = request();
        let caps = Capabilities {
            function_calling: true,
            ..Capabilities::default()
        };
        apply_param_policy(&mut req, &NO_TOOLS, caps, &ParamPolicy::default(), "p", "m").unwrap();
        assert!(req.tools.is_some());
    }

    #[test]
    fn drop_params_removes_only_unsupported() {
        let mut req = request();
        let policy = ParamPolicy {
            drop_params: true,
            ..ParamPolicy::default()
        };
        apply_param_policy(
            &mut req,
            &NO_TOOLS,
            Capabilities::default(),
            &policy,
            "p",
            "m",
        )
        .unwrap();
        assert!(req.tools.is_none() && req.tool_choice.is_none());
        assert_eq!(req.temperature, Some(0.1));
    }

    #[test]
    fn allowed_and_additional_drop_params_override() {
        let mut req = request();
        req.extra.insert("top_k".into(), json!(3));
        let policy = ParamPolicy {
            drop_params: false,
            additional_drop_params: vec!["temperature".into(), "top_k".into()],
            allowed_openai_params: vec!["tools".into(), "tool_choice".into()],
        };
        apply_param_policy(
            &mut req,
            &NO_TOOLS,
            Capabilities::default(),
            &policy,
            "p",
            "m",
        )
        .unwrap();
        assert!(req.tools.is_some());
        assert_eq!(req.temperature, None);
        assert!(!req.extra.contains_key("top_k"));
        let _ = ChatMessage::user("x");
    }
}
