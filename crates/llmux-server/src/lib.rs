//! The llmux gateway: a drop-in replacement for the LiteLLM proxy.
//!
//! It reads LiteLLM's `config.yaml` ([`config`]), builds one [`llmux::Deployment`] per
//! `model_list` entry at start-up ([`state`]), and serves LiteLLM's HTTP API
//! ([`app::router`]) with LiteLLM's error bodies ([`error`]). All provider work is the
//! `llmux` library's; this crate is HTTP, auth and config.

pub mod app;
mod auth;
pub mod config;
pub mod error;
pub mod keys;
pub mod panic;
pub mod responses_store;
mod routes;
pub mod secrets;
pub mod state;
pub mod store;

pub use app::router;
pub use state::{AppState, StartupError};
