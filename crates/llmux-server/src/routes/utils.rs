//! `POST /utils/token_counter`: LiteLLM's local token count for a model group
//! (`proxy_server.token_counter`): `messages` (with `tools` and `system`) counted as
//! `token_counter` counts a chat request, or a bare `prompt` as plain text, in the
//! encoding of the deployment's model (`model_used`). The answer is LiteLLM's
//! `TokenCountResponse`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::Response;
use llmux::router::Entrance;
use llmux::{Error, JsonMap};
use serde_json::{Value, json};

use super::{Call, json_response};
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) async fn token_counter(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let call = Call::start(&st, &headers, Entrance::Admin)?;
    let bytes = call.body(body)?;
    let req: JsonMap = call.parse(&bytes)?;
    let Some(model) = req.get("model").and_then(Value::as_str).map(str::to_owned) else {
        return Err(call.fail(
            Error::bad_request("Invalid request body: missing field `model`").with_param("model"),
        ));
    };
    let messages = req.get("messages").filter(|m| !m.is_null());
    let prompt = req.get("prompt").and_then(Value::as_str);
    if messages.is_none() && prompt.is_none() {
        return Err(call.fail(Error::bad_request(
            "prompt or messages or contents must be provided",
        )));
    }
    let model_used = super::model_info::deployments(&st)
        .into_iter()
        .find(|d| d.model_name == model)
        .map_or_else(|| model.clone(), |d| d.deployment.model.clone());
    let total = match messages {
        Some(messages) => {
            let mut counted = JsonMap::new();
            counted.insert("messages".into(), messages.clone());
            for key in ["tools", "system"] {
                if let Some(v) = req.get(key).filter(|v| !v.is_null()) {
                    counted.insert(key.into(), v.clone());
                }
            }
            llmux::count_message_tokens_locally(&model_used, counted)
                .await
                .map_err(|e| call.fail(e))?
                .input_tokens
        }
        None => llmux::count_text_tokens(&model_used, prompt.unwrap_or_default().to_owned())
            .await
            .map_err(|e| call.fail(e))?,
    };
    json_response(&json!({
        "total_tokens": total,
        "request_model": model,
        "model_used": model_used,
        "tokenizer_type": "openai_tokenizer",
        "count_source": "local_estimate",
        "original_response": null,
        "error": false,
        "error_message": null,
        "status_code": null,
    }))
    .map_err(|e| call.fail(e))
}
