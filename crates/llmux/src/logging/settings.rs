//! `litellm_settings` keys for logging: `callbacks`, `success_callback`,
//! `failure_callback` (names, as LiteLLM's), `turn_off_message_logging`,
//! `redact_user_api_key_info`, and per-callback `callback_settings.<name>`.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::Logger;
use super::generic_api::{GenericApiSettings, GenericApiSink};
use super::jsonl::JsonLinesSink;
use super::prometheus::PrometheusSink;
use super::queue::{Sink, SinkQueue, Wants};

/// Events a sink's queue holds before new ones are dropped (per sink), unless
/// `callback_settings.<name>.queue_size` says otherwise.
pub const DEFAULT_QUEUE_SIZE: usize = 10_000;

/// The sinks llmux has, by LiteLLM's callback name (`json_lines` is llmux's own).
pub const KNOWN_CALLBACKS: &[&str] = &["prometheus", "otel", "generic_api", "json_lines"];

/// A logging setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct LoggingConfigError {
    pub path: String,
    pub message: String,
}

fn bad(path: impl Into<String>, message: impl Into<String>) -> LoggingConfigError {
    LoggingConfigError {
        path: path.into(),
        message: message.into(),
    }
}

/// One configured sink and the events it gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackSpec {
    pub name: String,
    pub wants: Wants,
}

/// What `litellm_settings` asks of logging.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggingSettings {
    pub callbacks: Vec<CallbackSpec>,
    pub message_logging: bool,
    pub redact_user_api_key_info: bool,
    /// `callback_settings`: per-sink options, by callback name.
    pub callback_settings: Map<String, Value>,
}

impl LoggingSettings {
    /// Reads the keys from `litellm_settings`. Returns the settings and the callback
    /// names llmux has no sink for (to be warned about; LiteLLM's other integrations).
    pub fn from_litellm_settings(
        ls: &Map<String, Value>,
    ) -> Result<(Self, Vec<String>), LoggingConfigError> {
        let mut callbacks: Vec<CallbackSpec> = Vec::new();
        let mut ignored = Vec::new();
        let lists = [
            ("callbacks", Wants::ALL),
            (
                "success_callback",
                Wants {
                    success: true,
                    failure: false,
                },
            ),
            (
                "failure_callback",
                Wants {
                    success: false,
                    failure: true,
                },
            ),
        ];
        for (key, wants) in lists {
            for name in names(ls.get(key), key)? {
                if !KNOWN_CALLBACKS.contains(&name.as_str()) {
                    if !ignored.contains(&name) {
                        ignored.push(name);
                    }
                    continue;
                }
                match callbacks.iter_mut().find(|c| c.name == name) {
                    Some(c) => {
                        c.wants.success |= wants.success;
                        c.wants.failure |= wants.failure;
                    }
                    None => callbacks.push(CallbackSpec { name, wants }),
                }
            }
        }
        let flag = |key: &str| -> Result<bool, LoggingConfigError> {
            match ls.get(key) {
                None | Some(Value::Null) => Ok(false),
                Some(Value::Bool(b)) => Ok(*b),
                Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
                Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
                Some(v) => Err(bad(
                    format!("litellm_settings.{key}"),
                    format!("expected true or false, got {v}"),
                )),
            }
        };
        let callback_settings = match ls.get("callback_settings") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(v) => {
                return Err(bad(
                    "litellm_settings.callback_settings",
                    format!("expected a mapping, got {v}"),
                ));
            }
        };
        Ok((
            Self {
                callbacks,
                message_logging: !flag("turn_off_message_logging")?,
                redact_user_api_key_info: flag("redact_user_api_key_info")?,
                callback_settings,
            },
            ignored,
        ))
    }

    /// `callback_settings.<name>`, or an empty mapping.
    fn settings_of(&self, name: &str) -> Result<Map<String, Value>, LoggingConfigError> {
        match self.callback_settings.get(name) {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(v) => Err(bad(
                format!("litellm_settings.callback_settings.{name}"),
                format!("expected a mapping, got {v}"),
            )),
        }
    }

    /// Starts every sink's worker on `rt` and returns the hook, or `None` when no
    /// callback is configured. `env` resolves `GENERIC_LOGGER_ENDPOINT` and friends.
    pub fn start(
        &self,
        rt: &tokio::runtime::Handle,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Started>, LoggingConfigError> {
        if self.callbacks.is_empty() {
            return Ok(None);
        }
        let mut queues = Vec::new();
        let mut prometheus = None;
        for spec in &self.callbacks {
            let opts = self.settings_of(&spec.name)?;
            let path = format!("litellm_settings.callback_settings.{}", spec.name);
            let queue_size = match opts.get("queue_size") {
                None | Some(Value::Null) => DEFAULT_QUEUE_SIZE,
                Some(v) => v
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        bad(
                            format!("{path}.queue_size"),
                            format!("expected a positive integer, got {v}"),
                        )
                    })?,
            };
            let sink: Arc<dyn Sink> = match spec.name.as_str() {
                "prometheus" => {
                    let p = Arc::new(PrometheusSink::new(&opts).map_err(|m| bad(&path, m))?);
                    prometheus = Some(p.clone());
                    p
                }
                "generic_api" => {
                    let s = GenericApiSettings::from_options(&opts, env)
                        .map_err(|(k, m)| bad(format!("{path}.{k}"), m))?;
                    Arc::new(GenericApiSink::new(s).map_err(|m| bad(&path, m))?)
                }
                "otel" => {
                    let s = super::otel::OtelSettings::from_options(&opts, env)
                        .map_err(|(k, m)| bad(format!("{path}.{k}"), m))?;
                    Arc::new(super::otel::OtelSink::new(s).map_err(|m| bad(&path, m))?)
                }
                "json_lines" => Arc::new(
                    JsonLinesSink::from_options(&opts)
                        .map_err(|(k, m)| bad(format!("{path}.{k}"), m))?,
                ),
                other => return Err(bad(&path, format!("no sink named {other}"))),
            };
            queues.push(SinkQueue::start(sink, spec.wants, queue_size, rt));
        }
        Ok(Some(Started {
            logger: Arc::new(Logger::new(
                self.message_logging,
                self.redact_user_api_key_info,
                queues,
            )),
            prometheus,
        }))
    }
}

/// The running logging: the hook to register, and the Prometheus sink `/metrics` reads.
#[derive(Debug, Clone)]
pub struct Started {
    pub logger: Arc<Logger>,
    pub prometheus: Option<Arc<PrometheusSink>>,
}

/// A callback list: a list of names, or one name (LiteLLM accepts both in YAML).
fn names(v: Option<&Value>, key: &str) -> Result<Vec<String>, LoggingConfigError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                other => Err(bad(
                    format!("litellm_settings.{key}"),
                    format!("expected callback names, got {other}"),
                )),
            })
            .collect(),
        Some(other) => Err(bad(
            format!("litellm_settings.{key}"),
            format!("expected a list of callback names, got {other}"),
        )),
    }
}
