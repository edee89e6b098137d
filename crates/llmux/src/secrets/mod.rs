//! LiteLLM's secret managers (`litellm.secret_managers`): where `os.environ/NAME` in a
//! config is looked up, chosen by `general_settings.key_management_system`.
//!
//! | `key_management_system` | source | its settings (environment variables, as LiteLLM's) |
//! |---|---|---|
//! | unset, `local`, `environment` | the process environment | — |
//! | `files` (llmux's) | one file per secret, Docker / Kubernetes style | `key_management_settings.secrets_dir` (default `/run/secrets`) |
//! | `hashicorp_vault` | Vault KV v2 | `HCP_VAULT_ADDR`, `HCP_VAULT_TOKEN` or `HCP_VAULT_APPROLE_ROLE_ID` + `HCP_VAULT_APPROLE_SECRET_ID` (+ `HCP_VAULT_APPROLE_MOUNT_PATH`), `HCP_VAULT_NAMESPACE`, `HCP_VAULT_MOUNT_NAME`, `HCP_VAULT_PATH_PREFIX` |
//! | `aws_secret_manager` | AWS Secrets Manager (SigV4) | `AWS_REGION_NAME` / `AWS_REGION` / `AWS_DEFAULT_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_ENDPOINT_URL_SECRETS_MANAGER` / `AWS_ENDPOINT_URL` |
//! | `azure_key_vault` | Azure Key Vault | `AZURE_KEY_VAULT_URI`, `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`, `AZURE_AUTHORITY_HOST` |
//! | `google_secret_manager` | Google Secret Manager | `GOOGLE_SECRET_MANAGER_PROJECT_ID`, `GOOGLE_APPLICATION_CREDENTIALS`, `GOOGLE_SECRET_MANAGER_ENDPOINT` (llmux's, for a private endpoint) |
//!
//! A name the manager does not hold falls back to the environment, as LiteLLM's
//! `get_secret` does; with `key_management_settings.hosted_keys`, only those names are
//! asked of the manager. Values are cached for [`SECRET_TTL`]. Credentials are checked when
//! the manager is built: a refused one is an error naming the setting, never the value.
//! No value appears in a `Debug` output, a log line or an error.

mod aws;
mod azure;
mod files;
mod google;
mod vault;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{Map, Value};

use crate::Secret;

/// How long a fetched value is reused (LiteLLM's `SECRET_MANAGER_REFRESH_INTERVAL`, a day).
pub const SECRET_TTL: Duration = Duration::from_secs(86_400);

/// A request to a secret store may take this long.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a secret could not be read: the setting to fix, and what happened (never the
/// value of a secret or a credential).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct SecretError {
    pub setting: String,
    pub message: String,
}

impl SecretError {
    pub(crate) fn new(setting: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            setting: setting.into(),
            message: message.into(),
        }
    }
}

/// One place secrets are kept.
pub trait SecretSource: Send + Sync + std::fmt::Debug {
    /// `key_management_system`'s name for it.
    fn kind(&self) -> &'static str;

    /// Checks the credentials (a login, a token); a refused one names its setting.
    fn authenticate(&self) -> BoxFuture<'_, Result<(), SecretError>> {
        Box::pin(std::future::ready(Ok(())))
    }

    /// The secret `name`; `None` when the store does not hold it.
    fn fetch<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<Secret>, SecretError>>;
}

/// The environment: `NAME` is the variable.
pub struct EnvSource {
    env: Env,
}

impl std::fmt::Debug for EnvSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnvSource")
    }
}

impl SecretSource for EnvSource {
    fn kind(&self) -> &'static str {
        "environment"
    }
    fn fetch<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<Secret>, SecretError>> {
        Box::pin(std::future::ready(Ok((self.env)(name).map(Secret::from))))
    }
}

/// The configured source, a TTL cache in front of it, and the environment behind it.
pub struct SecretManager {
    source: Arc<dyn SecretSource>,
    /// `key_management_settings.hosted_keys`: only these names go to the manager.
    hosted_keys: Option<Vec<String>>,
    env: Env,
    cache: moka::sync::Cache<String, Secret>,
}

impl std::fmt::Debug for SecretManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretManager")
            .field("source", &self.source.kind())
            .finish_non_exhaustive()
    }
}

/// `env` as the managers read their settings: a variable set to "" is unset.
pub type Env = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

pub(crate) fn setting(env: &Env, name: &str) -> Option<String> {
    env(name).filter(|v| !v.is_empty())
}

pub(crate) fn http_client() -> Result<reqwest::Client, SecretError> {
    reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .build()
        .map_err(|e| SecretError::new("key_management_system", format!("no HTTP client: {e}")))
}

impl SecretManager {
    /// The manager `key_management_system` names (`None`: the environment), its settings
    /// read from `key_management_settings` and `env`. Nothing is contacted yet: call
    /// [`SecretManager::authenticate`].
    pub fn from_settings(
        system: Option<&str>,
        key_management_settings: &Map<String, Value>,
        env: Env,
    ) -> Result<Self, SecretError> {
        let source: Arc<dyn SecretSource> = match system.unwrap_or("local") {
            "local" | "environment" | "env" => Arc::new(EnvSource { env: env.clone() }),
            "files" => Arc::new(files::FileSource::new(key_management_settings)?),
            "hashicorp_vault" => Arc::new(vault::VaultSource::new(&env)?),
            "aws_secret_manager" => Arc::new(aws::AwsSource::new(&env)?),
            "azure_key_vault" => Arc::new(azure::AzureSource::new(&env)?),
            "google_secret_manager" => Arc::new(google::GoogleSource::new(&env)?),
            other => {
                return Err(SecretError::new(
                    "general_settings.key_management_system",
                    format!(
                        "'{other}' is not supported by llmux (local, files, hashicorp_vault, aws_secret_manager, azure_key_vault, google_secret_manager)"
                    ),
                ));
            }
        };
        let hosted_keys = match key_management_settings.get("hosted_keys") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        SecretError::new(
                            "general_settings.key_management_settings.hosted_keys",
                            "expected a list of names",
                        )
                    })?,
            ),
            Some(_) => {
                return Err(SecretError::new(
                    "general_settings.key_management_settings.hosted_keys",
                    "expected a list of names",
                ));
            }
        };
        let mut manager = Self::with_source(source, env);
        manager.hosted_keys = hosted_keys;
        Ok(manager)
    }

    pub fn with_source(source: Arc<dyn SecretSource>, env: Env) -> Self {
        Self {
            source,
            hosted_keys: None,
            env,
            cache: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(SECRET_TTL)
                .build(),
        }
    }

    pub fn kind(&self) -> &'static str {
        self.source.kind()
    }

    /// Checks the manager's credentials.
    pub async fn authenticate(&self) -> Result<(), SecretError> {
        self.source.authenticate().await
    }

    /// The value of `name` (an `os.environ/NAME` reference): from the cache, the
    /// manager, else the environment.
    pub async fn get(&self, name: &str) -> Result<Option<Secret>, SecretError> {
        if let Some(v) = self.cache.get(name) {
            return Ok(Some(v));
        }
        let hosted = self
            .hosted_keys
            .as_ref()
            .is_none_or(|keys| keys.iter().any(|k| k == name));
        let fetched = if hosted {
            self.source.fetch(name).await?
        } else {
            None
        };
        let value = fetched.or_else(|| (self.env)(name).map(Secret::from));
        if let Some(v) = &value {
            self.cache.insert(name.to_owned(), v.clone());
        }
        Ok(value)
    }
}

/// An HTTP answer's status as a [`SecretError`] for `setting` when it means the
/// credentials were refused.
pub(crate) fn refused(status: reqwest::StatusCode) -> bool {
    status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN
}

/// The message for a transport failure, without the URL's query or credentials.
pub(crate) fn transport_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the request timed out".into()
    } else if e.is_connect() {
        "cannot connect".into()
    } else if e.is_decode() || e.is_body() {
        "the answer could not be read".into()
    } else {
        "the request failed".into()
    }
}

/// The answer's body as JSON (`Null` when it is not JSON).
pub(crate) async fn json_of(resp: reqwest::Response) -> Result<Value, reqwest::Error> {
    let bytes = resp.bytes().await?;
    Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}
