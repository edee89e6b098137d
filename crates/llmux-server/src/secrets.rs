//! `os.environ/NAME` through the secret manager `general_settings.key_management_system`
//! names ([`llmux::secrets`]).
//!
//! The config is read twice: once with the environment, which gives the manager's own
//! settings and every name the file refers to; then, with each of those names fetched
//! from the manager (which falls back to the environment), for real. The manager's
//! credentials are checked before anything is fetched: a refused one stops start-up with
//! an error naming the setting.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use llmux::secrets::{Env, SecretManager};
use serde_json::Value;

use crate::config::{Config, ConfigError};

/// Why the config could not be loaded with its secrets.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("general_settings.key_management_system ({system}): {source}")]
    Manager {
        system: String,
        source: llmux::secrets::SecretError,
    },
}

/// The secret manager the config asks for, if any besides the environment.
fn system_of(config: &Config) -> Option<String> {
    config
        .general_settings
        .extra
        .get("key_management_system")
        .and_then(Value::as_str)
        .filter(|s| !matches!(*s, "" | "local" | "environment" | "env"))
        .map(str::to_owned)
}

/// Loads `path`, resolving `os.environ/NAME` through the configured secret manager;
/// `env` is the process environment (the managers' own settings come from it).
pub fn load_config(
    path: &Path,
    env: Env,
    runtime: &tokio::runtime::Runtime,
) -> Result<Config, SecretsError> {
    let names = RefCell::new(Vec::<String>::new());
    let first = Config::from_path_with_env(path, &|n| {
        names.borrow_mut().push(n.to_owned());
        env(n)
    })?;
    let Some(system) = system_of(&first) else {
        return Ok(first);
    };
    let settings = match first.general_settings.extra.get("key_management_settings") {
        Some(Value::Object(m)) => m.clone(),
        _ => serde_json::Map::new(),
    };
    let failed = |source| SecretsError::Manager {
        system: system.clone(),
        source,
    };
    let manager = SecretManager::from_settings(Some(&system), &settings, env).map_err(failed)?;
    let mut names = names.into_inner();
    names.sort_unstable();
    names.dedup();
    let values = runtime.block_on(async {
        manager.authenticate().await?;
        let mut values = HashMap::new();
        for name in names {
            if let Some(v) = manager.get(&name).await? {
                values.insert(name, v);
            }
        }
        Ok::<_, llmux::secrets::SecretError>(values)
    });
    let values = values.map_err(failed)?;
    tracing::info!(
        key_management_system = manager.kind(),
        secrets = values.len(),
        "config references resolved through the secret manager"
    );
    let values = Arc::new(values);
    Ok(Config::from_path_with_env(path, &|n| {
        values.get(n).map(|v| v.expose().to_owned())
    })?)
}
