//! Health probes (no auth, as LiteLLM's).

use axum::Json;
use serde_json::{Value, json};

/// `GET /health/liveliness`: the process is up.
pub(crate) async fn liveliness() -> Json<Value> {
    Json(json!("I'm alive!"))
}

/// `GET /health/readiness`: ready to serve (no database or cache to wait for yet).
pub(crate) async fn readiness() -> Json<Value> {
    Json(json!({
        "status": "healthy",
        "db": "Not connected",
        "cache": null,
        "litellm_version": env!("CARGO_PKG_VERSION"),
        "success_callbacks": [],
    }))
}
