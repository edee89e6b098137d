//! The LiteLLM proxy `config.yaml`, read unchanged.
//!
//! Loading runs in three steps, mirroring LiteLLM's `ProxyConfig.get_config` / `load_config`:
//!
//! 1. The YAML is parsed (with `<<` merge keys applied) and turned into a
//!    [`serde_json::Value`]; for [`Config::from_path`] every file named by `include:` is
//!    merged in (lists are appended, any other value replaces the one before it).
//! 2. Every string of the form `os.environ/NAME`, at any depth and inside lists, is replaced
//!    by the value of `NAME`. LiteLLM exports the `environment_variables:` block into the
//!    process environment; llmux does not mutate its environment (`set_var` is `unsafe` in
//!    Rust 2024 and the workspace forbids `unsafe`), so the resolver looks `NAME` up in the
//!    `environment_variables:` block first and in the real environment second, which gives
//!    the block the same precedence as in LiteLLM. References inside the block itself are
//!    resolved against the real environment only. An unset variable becomes `null`, as in
//!    LiteLLM: an optional field is then unset and a warning is recorded
//!    ([`Config::warnings`]); a required field fails with [`ConfigError::MissingEnv`].
//! 3. The result is deserialized into [`Config`]; errors name the YAML path of the bad value
//!    (`model_list[1].litellm_params.timeout: invalid type: expected a number, got "abc"`).
//!
//! Known differences from LiteLLM: the YAML is read as YAML 1.2 (unquoted `2024-10-21` stays
//! a string, unquoted `yes` is a string, though boolean fields accept it), duplicate keys are
//! an error, and `os.environ/` values are always strings (LiteLLM turns `"true"`/`"false"`
//! into booleans; the typed boolean fields here accept those strings).

pub mod known_keys;
mod load;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use llmux::config::lenient;
pub use llmux::config::{LitellmParams, ModelEntry, RouterSettings};

/// A parsed LiteLLM proxy config file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Config {
    /// The deployments; several entries may share a `model_name` (a model group).
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub model_list: Vec<ModelEntry>,
    /// `litellm.*` module-level settings.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub litellm_settings: LitellmSettings,
    /// Router settings (`Router.__init__` arguments).
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub router_settings: RouterSettings,
    /// Proxy settings (`ConfigGeneralSettings`).
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub general_settings: GeneralSettings,
    /// The `environment_variables:` block, with `os.environ/` references in it resolved
    /// against the real environment (`null` where the variable is unset). Used to resolve
    /// `os.environ/NAME` elsewhere in the file; never exported to the process environment.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub environment_variables: Map<String, Value>,
    /// Other top-level keys (`credential_list`, `guardrails`, `mcp_servers`,
    /// `pass_through_endpoints`, …), kept as written after `os.environ/` resolution.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// Problems that did not stop loading, see [`Config::warnings`].
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// `litellm_settings`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct LitellmSettings {
    /// `litellm.drop_params`.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub drop_params: Option<bool>,
    /// `litellm.num_retries`.
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub num_retries: Option<u32>,
    /// `litellm.request_timeout`, seconds.
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    pub request_timeout: Option<f64>,
    /// `litellm.additional_drop_params`.
    pub additional_drop_params: Option<Vec<String>>,
    /// `litellm.set_verbose`.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub set_verbose: Option<bool>,
    /// Keys llmux does not support yet (listed by [`Config::unsupported_keys`]).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `general_settings`.
#[derive(Clone, Default, PartialEq, Deserialize)]
pub struct GeneralSettings {
    /// The admin key clients send as `Authorization: Bearer <master_key>`.
    pub master_key: Option<llmux::Secret>,
    /// Keys llmux does not support yet (listed by [`Config::unsupported_keys`]).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl std::fmt::Debug for GeneralSettings {
    // The master key is a `Secret`; `extra` may hold more (database_url): keys only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneralSettings")
            .field("master_key", &self.master_key)
            .field("extra", &llmux::redact::KeysOnly(&self.extra))
            .finish()
    }
}

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file, or a file it includes, could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The text is not valid YAML.
    #[error("{origin}: invalid YAML: {source}")]
    Yaml {
        /// The file, or `<string>` for [`Config::from_yaml_str`].
        origin: String,
        /// The parser error (with line and column).
        source: serde_yaml_ng::Error,
    },
    /// A value has the wrong type or a required key is missing.
    #[error("{path}: {message}")]
    Invalid {
        /// YAML path of the value, e.g. `model_list[3].litellm_params.timeout`.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A required value is `os.environ/NAME` and `NAME` is not set.
    #[error("{path}: environment variable {name} is not set (the value is os.environ/{name})")]
    MissingEnv {
        /// YAML path of the value, e.g. `model_list[0].litellm_params.model`.
        path: String,
        /// The variable name.
        name: String,
    },
}

impl Config {
    /// Loads a config file, following `include:`, resolving `os.environ/NAME` with the
    /// process environment.
    pub fn from_path(path: &Path) -> Result<Config, ConfigError> {
        Self::from_path_with_env(path, &|name| std::env::var(name).ok())
    }

    /// [`Config::from_path`] with `env` resolving `os.environ/NAME` (after the
    /// `environment_variables:` block).
    pub fn from_path_with_env(
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut warnings = Vec::new();
        let root = load::read_mapping(path)?;
        let merged = load::resolve_includes(root, path, &mut warnings)?;
        load::build(merged, env, warnings)
    }

    /// Parses config text. `env` is how `os.environ/NAME` is resolved when `NAME` is not in
    /// the `environment_variables:` block (inject `std::env::var` in production, a map in
    /// tests). `include:` is refused here since there is no directory to resolve it against.
    pub fn from_yaml_str(
        yaml: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let root = load::parse_mapping(yaml, "<string>")?;
        if root.contains_key(load::INCLUDE) {
            return Err(ConfigError::Invalid {
                path: load::INCLUDE.to_owned(),
                message: "`include` is only supported when loading a config file".to_owned(),
            });
        }
        load::build(root, env, Vec::new())
    }

    /// Keys present in the file that llmux does not act on yet, as YAML paths
    /// (`router_settings.redis_host`, `litellm_settings.callbacks`, `credential_list`), to be
    /// logged once at start-up by the caller. Driven by [`known_keys::KNOWN_KEYS`]. Extra
    /// `litellm_params` keys are forwarded to the provider, so only the non-request ones
    /// llmux does not act on (`model_list[0].litellm_params.tags`) are listed.
    pub fn unsupported_keys(&self) -> Vec<String> {
        let sections = [
            ("litellm_settings", &self.litellm_settings.extra),
            ("router_settings", &self.router_settings.extra),
            ("general_settings", &self.general_settings.extra),
        ];
        let nested = sections.into_iter().flat_map(|(section, extra)| {
            extra
                .keys()
                .filter(move |key| !known_keys::is_acted(section, key))
                .map(move |key| format!("{section}.{key}"))
        });
        // A typed field, so not in `extra`.
        let typed_but_ignored = self
            .litellm_settings
            .set_verbose
            .is_some()
            .then(|| "litellm_settings.set_verbose".to_owned());
        // A deployment's keys that are neither forwarded nor acted on.
        let params = self.model_list.iter().enumerate().flat_map(|(i, entry)| {
            entry
                .litellm_params
                .extra
                .keys()
                .filter(|key| {
                    llmux::router::NON_REQUEST_KEYS.contains(&key.as_str())
                        && !known_keys::is_acted("litellm_params", key)
                })
                .map(move |key| format!("model_list[{i}].litellm_params.{key}"))
        });
        self.extra
            .keys()
            .cloned()
            .chain(nested)
            .chain(typed_but_ignored)
            .chain(params)
            .collect()
    }

    /// Problems that did not stop loading, to be logged by the caller: unset environment
    /// variables behind optional values (`model_list[0].litellm_params.api_key: environment
    /// variable OPENAI_API_KEY is not set …`) and `include:` entries found next to the root
    /// config rather than the file declaring them.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}
