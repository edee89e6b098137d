//! Turning `general_settings` into the key hook and its store.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use llmux::cache::Clock;
use serde_json::Value;

use super::{DEFAULT_CACHE_TTL, KeyAuth, KeySettings};
use crate::config::Config;
use crate::state::StartupError;
use crate::store::Store;

/// Where the binary keeps keys when a master key is set and no database is named.
pub const DEFAULT_SQLITE_URL: &str = "sqlite://llmux.db";
/// Spend rows held while the database is away, by default.
const DEFAULT_MAX_BUFFERED_SPEND: usize = 100_000;

/// `general_settings.database_url`, else `DATABASE_URL`.
pub fn database_url(config: &Config, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    config
        .general_settings
        .extra
        .get("database_url")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| env("DATABASE_URL"))
        .filter(|u| !u.is_empty())
}

fn err(path: &str, message: impl Into<String>) -> StartupError {
    StartupError {
        path: path.into(),
        message: message.into(),
    }
}

/// The key hook, when a master key and a database are configured; `None` otherwise
/// (the gateway then knows the master key only).
pub fn key_auth(
    config: &Config,
    env: &dyn Fn(&str) -> Option<String>,
    clock: Arc<dyn Clock>,
) -> Result<Option<Arc<KeyAuth>>, StartupError> {
    let gs = &config.general_settings.extra;
    if config
        .general_settings
        .master_key
        .as_ref()
        .is_none_or(llmux::Secret::is_empty)
    {
        return Ok(None);
    }
    let Some(url) = database_url(config, env) else {
        return Ok(None);
    };
    let pool = match gs.get("database_connection_pool_limit") {
        None | Some(Value::Null) => 10,
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| {
                err(
                    "general_settings.database_connection_pool_limit",
                    "expected a positive integer",
                )
            })?,
    };
    let cache_ttl = match gs.get("user_api_key_cache_ttl") {
        None | Some(Value::Null) => DEFAULT_CACHE_TTL,
        Some(v) => v
            .as_f64()
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .ok_or_else(|| {
                err(
                    "general_settings.user_api_key_cache_ttl",
                    "expected seconds",
                )
            })?,
    };
    let allow = match gs.get("allow_requests_on_db_unavailable") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => true,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => false,
        Some(_) => {
            return Err(err(
                "general_settings.allow_requests_on_db_unavailable",
                "expected true or false",
            ));
        }
    };
    let store = Store::open(&url, pool).map_err(|m| err("general_settings.database_url", m))?;
    let settings = KeySettings {
        cache_ttl,
        access_groups: access_groups(config),
        allow_requests_on_db_unavailable: allow,
        max_buffered_spend: DEFAULT_MAX_BUFFERED_SPEND,
    };
    tracing::info!(backend = store.backend(), "virtual keys on");
    Ok(Some(Arc::new(KeyAuth::new(store, settings, clock))))
}

/// `model_info.access_groups` of every `model_list` entry: group → model names.
fn access_groups(config: &Config) -> HashMap<String, Vec<String>> {
    let mut groups: HashMap<String, Vec<String>> = HashMap::new();
    for entry in &config.model_list {
        let Some(Value::Array(names)) = entry.model_info.get("access_groups") else {
            continue;
        };
        for g in names.iter().filter_map(Value::as_str) {
            let models = groups.entry(g.to_owned()).or_default();
            if !models.contains(&entry.model_name) {
                models.push(entry.model_name.clone());
            }
        }
    }
    groups
}
