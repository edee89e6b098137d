//! Which provider a model string names: LiteLLM's `get_llm_provider`.

use llmux_types::Error;

use crate::{CATALOG, Provider};

/// A resolved model string.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub provider: Provider,
    /// The model as the provider names it (the `provider/` prefix stripped).
    pub model: String,
}

/// Provider ids LiteLLM knows but llmux does not call yet: a model string that names one
/// gets a clear error instead of being mistaken for an OpenAI model.
const KNOWN_NOT_YET: &[&str] = &[
    "ai21",
    "anthropic",
    "anthropic_text",
    "azure_ai",
    "bedrock",
    "cloudflare",
    "cohere",
    "cohere_chat",
    "databricks",
    "gemini",
    "huggingface",
    "ollama",
    "ollama_chat",
    "palm",
    "predibase",
    "replicate",
    "sagemaker",
    "sagemaker_chat",
    "snowflake",
    "triton",
    "vertex_ai",
    "vertex_ai_beta",
    "vllm",
    "voyage",
    "watsonx",
    "watsonx_text",
];

/// Resolves `model` in LiteLLM's order:
/// 1. an explicit `custom_llm_provider`;
/// 2. a `provider/` prefix;
/// 3. a known `api_base` host;
/// 4. a bare model name the registry attributes to a provider (`registry_provider`).
///
/// Anything else is a 400 naming the model, as LiteLLM's "LLM Provider NOT provided".
pub fn resolve_provider(
    model: &str,
    custom_llm_provider: Option<&str>,
    api_base: Option<&str>,
    registry_provider: impl Fn(&str) -> Option<String>,
) -> Result<Resolved, Error> {
    if let Some(id) = custom_llm_provider.filter(|s| !s.is_empty()) {
        let model = model
            .strip_prefix(id)
            .and_then(|m| m.strip_prefix('/'))
            .unwrap_or(model);
        let provider = implemented(id, model)?;
        return Ok(Resolved {
            provider,
            model: model.to_owned(),
        });
    }
    if let Some((prefix, rest)) = model.split_once('/') {
        if let Some(provider) = Provider::from_id(prefix, rest) {
            // `bedrock/converse/<id>` names the route, not the model.
            let rest = match provider {
                Provider::Bedrock => rest.strip_prefix("converse/").unwrap_or(rest),
                Provider::BedrockInvoke => rest.strip_prefix("invoke/").unwrap_or(rest),
                _ => rest,
            };
            return Ok(Resolved {
                provider,
                model: rest.to_owned(),
            });
        }
        if KNOWN_NOT_YET.contains(&prefix) {
            return Err(not_yet(prefix, model));
        }
    }
    if let Some(base) = api_base.and_then(|b| url::Url::parse(b).ok()) {
        if let Some(row) = CATALOG
            .iter()
            .find(|row| row.hosts.iter().any(|h| endpoint_matches(&base, h)))
        {
            return Ok(Resolved {
                provider: Provider::Compat(row),
                model: model.to_owned(),
            });
        }
        let host = base.host_str().unwrap_or("");
        if host.ends_with(".openai.azure.com") {
            return Ok(Resolved {
                provider: Provider::Azure,
                model: model.to_owned(),
            });
        }
        if host == "api.openai.com" {
            return Ok(Resolved {
                provider: Provider::OpenAi,
                model: model.to_owned(),
            });
        }
    }
    if let Some(id) = registry_provider(model) {
        let id = match id.as_str() {
            "text-completion-openai" => "openai",
            other => other,
        };
        if let Some(provider) = Provider::from_id(id, model) {
            return Ok(Resolved {
                provider,
                model: model.to_owned(),
            });
        }
        if KNOWN_NOT_YET.contains(&id) {
            return Err(not_yet(id, model));
        }
    }
    Err(Error::bad_request(format!(
        "LLM Provider NOT provided. Pass in the LLM provider you are trying to call. You passed model={model}\n \
         Pass model as E.g. For 'Huggingface' inference endpoints pass in `completion(model='huggingface/starcoder',..)` \
         Learn more: https://docs.litellm.ai/docs/providers"
    ))
    .with_model(model))
}

/// Whether `base` is the endpoint `host[/path]`: the host must be equal and the path a
/// prefix at a segment boundary. A substring test would let
/// `https://attacker.example/api.groq.com/` pick up the gateway's `GROQ_API_KEY`.
fn endpoint_matches(base: &url::Url, endpoint: &str) -> bool {
    let (host, path) = endpoint
        .split_once('/')
        .map_or((endpoint, ""), |(h, p)| (h, p.trim_end_matches('/')));
    if base.host_str() != Some(host) {
        return false;
    }
    let base_path = base.path().trim_matches('/');
    path.is_empty() || base_path == path || base_path.starts_with(&format!("{path}/"))
}

fn implemented(id: &str, model: &str) -> Result<Provider, Error> {
    Provider::from_id(id, model).ok_or_else(|| {
        if KNOWN_NOT_YET.contains(&id) {
            not_yet(id, model)
        } else {
            Error::bad_request(format!(
                "Unknown custom_llm_provider '{id}' for model={model}"
            ))
            .with_model(model)
        }
    })
}

fn not_yet(id: &str, model: &str) -> Error {
    Error::bad_request(format!(
        "llmux does not support provider '{id}' yet (model={model})"
    ))
    .with_provider(id)
    .with_model(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn prefix_wins_and_is_stripped() {
        let r = resolve_provider("groq/llama-3.3-70b-versatile", None, None, none).unwrap();
        assert_eq!(r.provider.id(), "groq");
        assert_eq!(r.model, "llama-3.3-70b-versatile");
        let r = resolve_provider("openrouter/openai/gpt-4o-mini", None, None, none).unwrap();
        assert_eq!(
            (r.provider.id(), r.model.as_str()),
            ("openrouter", "openai/gpt-4o-mini")
        );
    }

    #[test]
    fn explicit_provider_comes_first() {
        let r = resolve_provider("meta-llama/Llama-3", Some("together_ai"), None, none).unwrap();
        assert_eq!(
            (r.provider.id(), r.model.as_str()),
            ("together_ai", "meta-llama/Llama-3")
        );
        let r = resolve_provider("azure/dep", Some("azure"), None, none).unwrap();
        assert_eq!(r.model, "dep");
    }

    #[test]
    fn vertex_splits_claude_from_gemini() {
        let r = resolve_provider("vertex_ai/claude-3-5-sonnet@20240620", None, None, none).unwrap();
        assert_eq!(r.provider, Provider::VertexAnthropic);
        let r = resolve_provider("vertex_ai/gemini-2.5-flash", None, None, none).unwrap();
        assert_eq!(r.provider, Provider::VertexGemini);
        let r =
            resolve_provider("vertex_ai/claude-3-haiku", Some("vertex_ai"), None, none).unwrap();
        assert_eq!(
            (r.provider, r.model.as_str()),
            (Provider::VertexAnthropic, "claude-3-haiku")
        );
    }

    #[test]
    fn api_base_host_names_the_provider() {
        let r = resolve_provider(
            "llama3-8b",
            None,
            Some("https://api.groq.com/openai/v1"),
            none,
        )
        .unwrap();
        assert_eq!(r.provider.id(), "groq");
    }

    #[test]
    fn a_known_host_only_counts_as_the_host() {
        let evil = resolve_provider(
            "llama3-8b",
            None,
            Some("https://attacker.example/api.groq.com/openai/v1"),
            none,
        );
        assert!(
            evil.is_err(),
            "a path that spells a provider's host must not select it"
        );
        let r = resolve_provider(
            "llama3-8b",
            None,
            Some("https://api.groq.com/openai/v1/"),
            none,
        )
        .unwrap();
        assert_eq!(r.provider.id(), "groq");
        assert!(
            resolve_provider(
                "m",
                None,
                Some("https://api.groq.com.evil.example/openai/v1"),
                none
            )
            .is_err()
        );
    }

    #[test]
    fn bare_names_come_from_the_registry() {
        let r = resolve_provider("gpt-4o-mini", None, None, |m| {
            (m == "gpt-4o-mini").then(|| "openai".into())
        })
        .unwrap();
        assert_eq!(r.provider, Provider::OpenAi);
    }

    #[test]
    fn unknown_is_a_400_and_unimplemented_says_so() {
        let e = resolve_provider("mystery-model", None, None, none).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        assert!(e.message.contains("LLM Provider NOT provided"));
        let e = resolve_provider("sagemaker/my-endpoint", None, None, none).unwrap_err();
        assert!(
            e.message
                .contains("does not support provider 'sagemaker' yet")
        );
        let r = resolve_provider("bedrock/invoke/anthropic.claude-v2", None, None, none).unwrap();
        assert_eq!(
            (r.provider, r.model.as_str()),
            (Provider::BedrockInvoke, "anthropic.claude-v2")
        );
    }

    #[test]
    fn bedrock_cohere_and_ollama_resolve_with_their_routes() {
        let r = resolve_provider(
            "bedrock/converse/us.anthropic.claude-3-7-sonnet-20250219-v1:0",
            None,
            None,
            none,
        )
        .unwrap();
        assert_eq!(
            (r.provider, r.model.as_str()),
            (
                Provider::Bedrock,
                "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
            )
        );
        let r = resolve_provider(
            "bedrock/arn:aws:bedrock:us-east-1:1:inference-profile/x",
            None,
            None,
            none,
        )
        .unwrap();
        assert_eq!(r.model, "arn:aws:bedrock:us-east-1:1:inference-profile/x");
        let cases = [
            ("cohere_chat/command-r-plus", Provider::CohereChat),
            ("cohere/embed-english-v3.0", Provider::Cohere),
            ("ollama_chat/llama3.1", Provider::OllamaChat),
            ("ollama/llama3.1", Provider::Ollama),
        ];
        for (model, provider) in cases {
            assert_eq!(
                resolve_provider(model, None, None, none).unwrap().provider,
                provider,
                "{model}"
            );
        }
        let r = resolve_provider("amazon.nova-lite-v1:0", None, None, |_| {
            Some("bedrock".into())
        })
        .unwrap();
        assert_eq!(r.provider, Provider::Bedrock);
    }
}
