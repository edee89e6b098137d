//! What the tenancy routes share: the master-key check, the store, body fields.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::Response;
use llmux::router::Entrance;
use llmux::{Error, ErrorKind};
use serde_json::{Map, Value};

use super::{Call, json_response};
use crate::error::ApiError;
use crate::keys::KeyAuth;
use crate::state::AppState;
use crate::store::StoreError;

/// One management request, let in by the master key.
pub(crate) struct Admin {
    call: Call,
    keys: Option<Arc<KeyAuth>>,
}

impl Admin {
    pub fn start(st: &AppState, headers: &HeaderMap, entrance: Entrance) -> Result<Self, ApiError> {
        let call = Call::start(st, headers, entrance)?;
        Ok(Self {
            call,
            keys: st.keys.clone(),
        })
    }

    pub fn fail(&self, e: Error) -> ApiError {
        self.call.fail(e)
    }

    /// The key hook; without a database the tenancy API is not there (LiteLLM answers
    /// the same when it has no `database_url`).
    pub fn keys(&self) -> Result<&Arc<KeyAuth>, ApiError> {
        self.keys.as_ref().ok_or_else(|| {
            self.fail(Error::new(
                ErrorKind::BadRequest,
                "No connected db. Set general_settings.master_key and general_settings.database_url (or DATABASE_URL).",
            ))
        })
    }

    pub fn store_err(&self, e: StoreError) -> ApiError {
        let kind = match e {
            StoreError::Unavailable(_) => ErrorKind::ServiceUnavailable,
            StoreError::Query(ref m) if m.contains("UNIQUE") || m.contains("duplicate key") => {
                return self.fail(Error::bad_request(format!("Already exists: {e}")));
            }
            _ => ErrorKind::InternalServer,
        };
        self.fail(Error::new(kind, e.to_string()))
    }

    pub fn now_ms(&self) -> i64 {
        self.keys.as_ref().map_or_else(
            || i64::try_from(llmux::router::state::now_ms()).unwrap_or(0),
            |k| k.now(),
        )
    }

    /// A JSON object body.
    pub fn body_map(
        &self,
        body: Result<Bytes, BytesRejection>,
    ) -> Result<Map<String, Value>, ApiError> {
        let bytes = self.call.body(body)?;
        self.call.parse(&bytes)
    }

    /// A JSON object body, or `{}` when there is none.
    pub fn body_map_or_empty(
        &self,
        body: Result<Bytes, BytesRejection>,
    ) -> Result<Map<String, Value>, ApiError> {
        let bytes = self.call.body(body)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Map::new());
        }
        self.call.parse(&bytes)
    }

    pub fn json(&self, v: &Value) -> Result<Response, ApiError> {
        json_response(v).map_err(|e| self.fail(e))
    }
}

fn bad_type(field: &str, what: &str) -> Error {
    Error::bad_request(format!("{field} must be {what}")).with_param(field)
}

pub(crate) fn opt_str(body: &Map<String, Value>, field: &str) -> Result<Option<String>, Error> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad_type(field, "a string")),
    }
}

pub(crate) fn opt_f64(body: &Map<String, Value>, field: &str) -> Result<Option<f64>, Error> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0)
            .map(Some)
            .ok_or_else(|| bad_type(field, "a non-negative number")),
    }
}

pub(crate) fn opt_i64(body: &Map<String, Value>, field: &str) -> Result<Option<i64>, Error> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| bad_type(field, "a non-negative integer")),
    }
}

pub(crate) fn opt_strings(
    body: &Map<String, Value>,
    field: &str,
) -> Result<Option<Vec<String>>, Error> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| bad_type(field, "a list of strings")),
        Some(_) => Err(bad_type(field, "a list of strings")),
    }
}
