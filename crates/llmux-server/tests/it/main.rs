#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! End-to-end tests of the gateway: the real router in-process, the `llmux-mock` fake
//! upstream behind it, and a real HTTP client in front of it. Everything is on
//! 127.0.0.1 and every request is bounded by [`common::CLIENT_TIMEOUT`].

mod auth;
mod azure_ad;
mod bedrock;
mod cache;
mod chat;
mod cohere;
mod common;
mod endpoints;
mod faults;
mod fidelity;
mod health;
mod keys;
mod logging;
mod messages;
mod mock_response;
mod ollama;
mod otel;
mod params;
mod requests;
mod responses;
mod router;
mod secrets_debug;
mod streaming;
mod upstream_errors;
mod vertex;
