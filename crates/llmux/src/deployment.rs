//! A resolved model string: everything needed to call one deployment, computed once.

use std::time::Duration;

use llmux_providers::{Capabilities, ParamPolicy, Provider, Target, resolve_provider};
use llmux_registry::ModelInfo;
use llmux_types::Error;

use crate::{CallOptions, MockResponse, Secret};

/// `litellm_params` that are credentials, read once by the credential sources
/// ([`crate::credentials`]) and never by a provider adapter.
pub const SECRET_PARAMS: &[&str] = &[
    "aws_secret_access_key",
    "aws_session_token",
    "aws_web_identity_token",
    "client_secret",
    "azure_client_secret",
    "azure_password",
    "vertex_credentials",
];

/// One callable deployment: provider, upstream model, credentials and limits.
///
/// Built once per `model_list` entry by the gateway (or per call by the free functions),
/// so no request pays for provider resolution, environment look-ups or registry reads.
#[derive(Clone)]
pub struct Deployment {
    pub provider: Provider,
    /// The model as the provider names it.
    pub model: String,
    pub api_base: Option<String>,
    pub api_key: Option<Secret>,
    pub api_version: Option<String>,
    pub organization: Option<String>,
    pub azure_ad_token: Option<Secret>,
    pub extra_headers: Vec<(String, String)>,
    pub timeout: Option<Duration>,
    pub stream_timeout: Option<Duration>,
    pub params: ParamPolicy,
    pub capabilities: Capabilities,
    /// Registry entry (with config overrides), for prices and limits.
    /// Shared: streams keep a copy of the deployment, and the entry is large.
    pub model_info: Option<std::sync::Arc<ModelInfo>>,
    pub mock_response: Option<MockResponse>,
    /// Provider-specific connection settings (`vertex_project`, `vertex_location`, …).
    pub provider_params: llmux_types::JsonMap,
    /// How calls are authorized beyond a static key (Google OAuth, SigV4, Azure AD): see
    /// [`crate::credentials`].
    pub credentials: Option<std::sync::Arc<dyn crate::credentials::Authorize>>,
}

impl std::fmt::Debug for Deployment {
    // Keys are `Secret`s; headers and provider credentials stay out too (crate::redact).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::redact::{HeaderNames, KeysOnly};
        f.debug_struct("Deployment")
            .field("provider", &self.provider)
            .field("model", &self.model)
            .field("api_base", &self.api_base)
            .field("api_key", &self.api_key)
            .field("api_version", &self.api_version)
            .field("organization", &self.organization)
            .field("azure_ad_token", &self.azure_ad_token)
            .field("extra_headers", &HeaderNames(&self.extra_headers))
            .field("timeout", &self.timeout)
            .field("stream_timeout", &self.stream_timeout)
            .field("params", &self.params)
            .field("capabilities", &self.capabilities)
            .field("mock_response", &self.mock_response.is_some())
            .field("provider_params", &KeysOnly(&self.provider_params))
            .field("credentials", &self.credentials.is_some())
            .finish_non_exhaustive()
    }
}

impl Deployment {
    /// Resolves `model` with `opts`, filling unset credentials from the provider's
    /// environment variables.
    pub fn from_options(model: &str, opts: &CallOptions) -> Result<Self, Error> {
        Self::from_options_with_env(model, opts, &|name| std::env::var(name).ok())
    }

    /// As [`Deployment::from_options`], with the environment given.
    pub fn from_options_with_env(
        model: &str,
        opts: &CallOptions,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        let registry = llmux_registry::builtin();
        let resolved = match resolve_provider(
            model,
            opts.custom_llm_provider.as_deref(),
            opts.api_base.as_deref(),
            |m| registry.get(m).and_then(|i| i.litellm_provider.clone()),
        ) {
            Ok(r) => r,
            // A mocked call needs no provider (LiteLLM mocks any model string).
            Err(_) if opts.mock_response.is_some() => llmux_providers::Resolved {
                provider: Provider::OpenAi,
                model: model.to_owned(),
            },
            Err(e) => return Err(e),
        };
        let provider = resolved.provider;
        let from_env = |names: &[&str]| names.iter().find_map(|n| env(n).filter(|v| !v.is_empty()));
        let listed = registry.lookup(&resolved.model, Some(provider.id()));
        let model_info = listed
            .map(|info| {
                if opts.model_info.is_empty() {
                    info.clone()
                } else {
                    info.with_overrides(&opts.model_info)
                }
            })
            .or_else(|| {
                (!opts.model_info.is_empty())
                    .then(|| ModelInfo::default().with_overrides(&opts.model_info))
            })
            .map(std::sync::Arc::new);
        let capabilities =
            model_info
                .as_ref()
                .map_or_else(Capabilities::default, |i| Capabilities {
                    function_calling: i.supports_function_calling.unwrap_or(false),
                    reasoning: i.supports_reasoning.unwrap_or(false),
                    web_search: i.supports_web_search.unwrap_or(false),
                    catalog: listed.is_some(),
                });
        // LiteLLM treats every claude-3-7-sonnet as reasoning, mapped or not.
        let capabilities = Capabilities {
            reasoning: capabilities.reasoning || resolved.model.contains("claude-3-7-sonnet"),
            ..capabilities
        };
        let mut provider_params = opts.provider_params.clone();
        let api_key = opts
            .api_key
            .clone()
            .or_else(|| from_env(provider.key_env()).map(Secret::from));
        let azure_ad_token = opts.azure_ad_token.clone().or_else(|| match provider {
            Provider::Azure => from_env(&["AZURE_AD_TOKEN"]).map(Secret::from),
            _ => None,
        });
        let mocked = opts.mock_response.is_some();
        let mut credentials: Option<std::sync::Arc<dyn crate::credentials::Authorize>> = None;
        if provider.signs_with_sigv4() && !mocked {
            // LiteLLM's region order: the setting, AWS_REGION, AWS_REGION_NAME, AWS_DEFAULT_REGION.
            let region = opts
                .provider_params
                .get("aws_region_name")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .or_else(|| from_env(&["AWS_REGION", "AWS_REGION_NAME", "AWS_DEFAULT_REGION"]))
                .unwrap_or_else(|| llmux_providers::bedrock::DEFAULT_REGION.to_owned());
            provider_params.insert("aws_region_name".into(), region.clone().into());
            if !provider_params.contains_key("aws_bedrock_runtime_endpoint")
                && let Some(endpoint) = from_env(&["AWS_BEDROCK_RUNTIME_ENDPOINT"])
            {
                provider_params.insert("aws_bedrock_runtime_endpoint".into(), endpoint.into());
            }
            // A bearer token (api_key, AWS_BEARER_TOKEN_BEDROCK) replaces SigV4.
            if api_key.as_ref().is_none_or(Secret::is_empty) {
                credentials = Some(std::sync::Arc::new(
                    crate::credentials::aws::SigV4Signer::from_params(
                        &opts.provider_params,
                        env,
                        &region,
                        llmux_providers::bedrock::SIGNING_SERVICE,
                    )?,
                ));
            }
        }
        if provider == Provider::Azure
            && !mocked
            && api_key.as_ref().is_none_or(Secret::is_empty)
            && azure_ad_token.is_none()
            && let Some(source) = crate::credentials::azure_ad::AzureAdTokenSource::from_params(
                &opts.provider_params,
                env,
            )?
        {
            credentials = Some(std::sync::Arc::new(source));
        }
        if provider.needs_google_token() && !mocked {
            let source = crate::credentials::google::GoogleTokenSource::from_params(
                &opts.provider_params,
                env,
            )?;
            // LiteLLM's fallbacks for the project: the setting, VERTEXAI_PROJECT, the credentials'.
            if !provider_params.contains_key("vertex_project")
                && let Some(project) =
                    env("VERTEXAI_PROJECT").or_else(|| source.project_id().map(str::to_owned))
            {
                provider_params.insert("vertex_project".into(), project.into());
            }
            if !provider_params.contains_key("vertex_location")
                && let Some(location) = env("VERTEXAI_LOCATION")
            {
                provider_params.insert("vertex_location".into(), location.into());
            }
            credentials = Some(std::sync::Arc::new(source));
        }
        // The credential sources above hold these now, as `Secret`s; no adapter reads
        // them, so the deployment does not keep a plain copy.
        for key in SECRET_PARAMS {
            provider_params.remove(*key);
        }
        Ok(Self {
            provider,
            model: resolved.model,
            api_base: opts
                .api_base
                .clone()
                .or_else(|| from_env(provider.base_env())),
            api_key,
            api_version: opts
                .api_version
                .clone()
                .or_else(|| from_env(provider.version_env())),
            organization: opts.organization.clone(),
            azure_ad_token,
            extra_headers: opts.extra_headers.clone(),
            timeout: opts.timeout,
            stream_timeout: opts.stream_timeout,
            params: ParamPolicy {
                drop_params: opts.drop_params.unwrap_or(false),
                additional_drop_params: opts.additional_drop_params.clone(),
                allowed_openai_params: opts.allowed_openai_params.clone(),
            },
            capabilities,
            model_info,
            mock_response: opts.mock_response.clone(),
            credentials,
            provider_params,
        })
    }

    /// The sans-IO adapters' view of this deployment, with the call's bearer token.
    pub fn target<'a>(&'a self, bearer_token: Option<&'a str>) -> Target<'a> {
        Target {
            bearer_token,
            params: Some(&self.provider_params),
            model: &self.model,
            api_base: self.api_base.as_deref(),
            api_key: crate::secret::expose_opt(&self.api_key),
            api_version: self.api_version.as_deref(),
            organization: self.organization.as_deref(),
            azure_ad_token: crate::secret::expose_opt(&self.azure_ad_token),
            extra_headers: &self.extra_headers,
            max_output_tokens: self
                .model_info
                .as_ref()
                .and_then(|i| i.max_output_tokens.or(i.max_tokens)),
        }
    }

    /// The OpenAI parameters this deployment takes. An Azure deployment is judged by its
    /// `model_info.base_model` when it declares one, as LiteLLM's `_get_azure_config` does.
    pub(crate) fn chat_params(&self) -> llmux_providers::ParamSpec {
        let base_model = match self.provider {
            Provider::Azure => self
                .model_info
                .as_ref()
                .and_then(|i| i.extra.get("base_model"))
                .and_then(serde_json::Value::as_str),
            _ => None,
        };
        self.provider
            .chat_params_for(base_model.unwrap_or(&self.model), self.capabilities)
    }

    /// Fails before any call when the provider needs a key and none was found.
    pub(crate) fn check_credentials(&self) -> Result<(), Error> {
        if self.provider.key_required() && self.api_key.as_ref().is_none_or(Secret::is_empty) {
            return Err(Error::new(
                llmux_types::ErrorKind::Authentication,
                format!(
                    "{} - no API key: set api_key or one of {}",
                    self.provider.exception_name(),
                    self.provider.key_env().join(", ")
                ),
            )
            .with_provider(self.provider.id()));
        }
        Ok(())
    }

    /// Cost in USD of a call with `usage`, from the registry price.
    pub fn cost(&self, usage: &llmux_types::Usage) -> Option<f64> {
        let info = self.model_info.as_ref()?;
        info.cost(&llmux_registry::TokenUsage {
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            cached_prompt_tokens: usage.cached_tokens(),
            cache_creation_tokens: usage
                .extra
                .get("cache_creation_input_tokens")
                .and_then(|v| v.as_u64())
                .unwrap_or(0),
            reasoning_tokens: usage.reasoning_tokens(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "GROQ_API_KEY").then(|| "gsk-env".to_owned())
    }

    #[test]
    fn resolves_provider_key_and_capabilities() {
        let d = Deployment::from_options_with_env(
            "groq/llama-3.3-70b-versatile",
            &CallOptions::default(),
            &env,
        )
        .unwrap();
        assert_eq!(d.provider.id(), "groq");
        assert_eq!(d.model, "llama-3.3-70b-versatile");
        assert_eq!(crate::secret::expose_opt(&d.api_key), Some("gsk-env"));
    }

    #[test]
    fn capabilities_come_from_the_registry() {
        let opts = CallOptions::default();
        let fc = Deployment::from_options_with_env(
            "fireworks_ai/accounts/fireworks/models/firefunction-v2",
            &opts,
            &env,
        );
        assert!(fc.unwrap().capabilities.function_calling);
        let plain = Deployment::from_options_with_env(
            "fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct",
            &opts,
            &env,
        );
        assert!(!plain.unwrap().capabilities.function_calling);
    }

    #[test]
    fn config_model_info_overrides_the_registry() {
        let mut opts = CallOptions::default();
        opts.model_info.insert(
            "supports_function_calling".into(),
            serde_json::Value::Bool(true),
        );
        opts.model_info
            .insert("input_cost_per_token".into(), serde_json::json!(1e-6));
        let d = Deployment::from_options_with_env(
            "fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct",
            &opts,
            &env,
        )
        .unwrap();
        assert!(d.capabilities.function_calling);
        let usage = llmux_types::Usage {
            prompt_tokens: 10,
            ..Default::default()
        };
        assert!((d.cost(&usage).unwrap() - 1e-5).abs() < 1e-15);
    }

    #[test]
    fn missing_key_is_an_authentication_error() {
        let d = Deployment::from_options_with_env(
            "openai/gpt-4o-mini",
            &CallOptions::default(),
            &|_| None,
        )
        .unwrap();
        let e = d.check_credentials().unwrap_err();
        assert_eq!(e.status.as_u16(), 401);
    }

    #[test]
    fn vertex_project_falls_back_to_the_credentials() {
        let key = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/test_sa_key.pem"
        ))
        .unwrap();
        let creds = serde_json::json!({
            "type": "service_account", "project_id": "proj-from-creds", "private_key_id": "k1",
            "private_key": key, "client_email": "sa@proj.iam.gserviceaccount.com",
            "token_uri": "http://127.0.0.1:1/token"
        });
        let mut opts = CallOptions::default();
        opts.provider_params
            .insert("vertex_credentials".into(), creds);
        let d = Deployment::from_options_with_env("vertex_ai/gemini-2.5-flash", &opts, &|_| None)
            .unwrap();
        assert_eq!(
            d.target(None).param("vertex_project"),
            Some("proj-from-creds")
        );
        opts.provider_params
            .insert("vertex_project".into(), "explicit".into());
        let d = Deployment::from_options_with_env("vertex_ai/gemini-2.5-flash", &opts, &|_| None)
            .unwrap();
        assert_eq!(d.target(None).param("vertex_project"), Some("explicit"));
    }

    #[test]
    fn bedrock_region_and_signer_come_from_params_then_env() {
        let env = |k: &str| match k {
            "AWS_REGION" => Some("ap-south-1".to_owned()),
            "AWS_ACCESS_KEY_ID" => Some("AKIDENV".to_owned()),
            "AWS_SECRET_ACCESS_KEY" => Some("secret".to_owned()),
            "AWS_BEDROCK_RUNTIME_ENDPOINT" => Some("http://127.0.0.1:9".to_owned()),
            _ => None,
        };
        let opts = CallOptions::default();
        let d = Deployment::from_options_with_env(
            "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",
            &opts,
            &env,
        )
        .unwrap();
        assert_eq!(d.target(None).param("aws_region_name"), Some("ap-south-1"));
        assert_eq!(
            d.target(None).param("aws_bedrock_runtime_endpoint"),
            Some("http://127.0.0.1:9")
        );
        assert!(format!("{:?}", d.credentials).contains("SigV4Signer"));
        assert!(
            d.capabilities.function_calling,
            "the registry knows the model"
        );
        let mut opts = CallOptions {
            api_key: Some("bedrock-bearer".into()),
            ..CallOptions::default()
        };
        opts.provider_params
            .insert("aws_region_name".into(), "eu-west-3".into());
        let d = Deployment::from_options_with_env(
            "bedrock/converse/eu.amazon.nova-lite-v1:0",
            &opts,
            &env,
        )
        .unwrap();
        assert_eq!(d.model, "eu.amazon.nova-lite-v1:0");
        assert_eq!(d.target(None).param("aws_region_name"), Some("eu-west-3"));
        assert!(d.credentials.is_none(), "a bearer token replaces SigV4");
    }

    #[test]
    fn azure_client_credentials_make_an_azure_ad_source() {
        let mut opts = CallOptions::default();
        for (k, v) in [
            ("tenant_id", "t"),
            ("client_id", "c"),
            ("client_secret", "s"),
        ] {
            opts.provider_params.insert(k.into(), v.into());
        }
        opts.api_base = Some("https://x.openai.azure.com".into());
        let d = Deployment::from_options_with_env("azure/dep", &opts, &|_| None).unwrap();
        let debug = format!("{:?}", d.credentials);
        assert!(
            debug.contains("https://login.microsoftonline.com/t/oauth2/v2.0/token"),
            "{debug}"
        );
        opts.api_key = Some("azure-key".into());
        let d = Deployment::from_options_with_env("azure/dep", &opts, &|_| None).unwrap();
        assert!(d.credentials.is_none(), "a key is used as is");
    }

    #[test]
    fn cost_follows_the_registry() {
        let d = Deployment::from_options_with_env(
            "openai/gpt-4o-mini",
            &CallOptions::default(),
            &|_| None,
        )
        .unwrap();
        let usage = llmux_types::Usage {
            prompt_tokens: 12,
            completion_tokens: 9,
            total_tokens: 21,
            ..Default::default()
        };
        let cost = d.cost(&usage).unwrap();
        assert!((cost - 7.2e-6).abs() < 1e-12, "{cost}");
    }
}
