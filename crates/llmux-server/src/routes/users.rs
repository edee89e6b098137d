//! LiteLLM's internal-user API (`/user/*`), master key only. `/user/new` makes a key for
//! the user too, as LiteLLM does; a user's `models` and `max_budget` are stored and
//! shown (the budgets enforced on the request path are the key's and the team's).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use llmux::router::Entrance;
use llmux::{Error, ErrorKind};
use serde_json::{Map, Value, json};

use super::admin::{Admin, opt_f64, opt_str, opt_strings};
use super::keys::{generate_for, key_json};
use crate::error::ApiError;
use crate::keys::iso;
use crate::state::AppState;
use crate::store::{KeyFilter, UserRecord};

fn user_json(u: &UserRecord) -> Value {
    json!({
        "user_id": u.user_id,
        "user_email": u.user_email,
        "user_role": u.user_role,
        "models": u.models,
        "max_budget": u.max_budget,
        "spend": u.spend,
        "metadata": u.metadata,
        "created_at": iso(u.created_at),
        "updated_at": iso(u.updated_at),
    })
}

fn apply(u: &mut UserRecord, body: &Map<String, Value>, now: i64) -> Result<(), Error> {
    if body.contains_key("user_email") {
        u.user_email = opt_str(body, "user_email")?;
    }
    if body.contains_key("user_role") {
        u.user_role = opt_str(body, "user_role")?;
    }
    if body.contains_key("models") {
        u.models = opt_strings(body, "models")?.unwrap_or_default();
    }
    if body.contains_key("max_budget") {
        u.max_budget = opt_f64(body, "max_budget")?;
    }
    if let Some(m) = body.get("metadata").filter(|m| m.is_object()) {
        u.metadata = m.clone();
    }
    u.updated_at = now;
    Ok(())
}

/// `POST /user/new`: the user, and a key for them.
pub(crate) async fn new(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let body = a.body_map(body)?;
    let now = a.now_ms();
    let user_id = opt_str(&body, "user_id")
        .map_err(|e| a.fail(e))?
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut u = UserRecord {
        user_id: user_id.clone(),
        user_email: None,
        user_role: Some("internal_user".into()),
        models: Vec::new(),
        max_budget: None,
        spend: 0.0,
        metadata: json!({}),
        created_at: now,
        updated_at: now,
    };
    apply(&mut u, &body, now).map_err(|e| a.fail(e))?;
    a.keys()?
        .store()
        .insert_user(&u)
        .await
        .map_err(|e| a.store_err(e))?;
    // The user's key carries the key fields of the body (models, limits, duration, …).
    let mut key_body: Map<String, Value> = body
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "user_email" | "user_role" | "max_budget"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    key_body.insert("user_id".into(), json!(user_id));
    let mut out = generate_for(&a, &key_body).await?;
    if let Some(o) = out.as_object_mut() {
        for (k, v) in user_json(&u).as_object().into_iter().flatten() {
            if k != "spend" && k != "models" && k != "created_at" && k != "updated_at" {
                o.insert(k.clone(), v.clone());
            }
        }
    }
    a.json(&out)
}

async fn load_user(a: &Admin, id: &str) -> Result<UserRecord, ApiError> {
    a.keys()?
        .store()
        .user(id)
        .await
        .map_err(|e| a.store_err(e))?
        .ok_or_else(|| {
            a.fail(Error::new(
                ErrorKind::NotFound,
                format!("User not found, passed user_id={id}"),
            ))
        })
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct UserQuery {
    user_id: Option<String>,
}

/// `GET /user/info?user_id=`: the user and their keys.
pub(crate) async fn info(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<UserQuery>,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let Some(id) = q.user_id else {
        return Err(a.fail(Error::bad_request("user_id is required").with_param("user_id")));
    };
    let u = load_user(&a, &id).await?;
    let filter = KeyFilter {
        user_id: Some(id.clone()),
        ..KeyFilter::default()
    };
    let (keys, _) = a
        .keys()?
        .store()
        .list_keys(&filter, 1, 100)
        .await
        .map_err(|e| a.store_err(e))?;
    a.json(&json!({
        "user_id": id,
        "user_info": user_json(&u),
        "keys": keys.iter().map(key_json).collect::<Vec<_>>(),
        "teams": [],
    }))
}

/// `POST /user/update`.
pub(crate) async fn update(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let body = a.body_map(body)?;
    let id = opt_str(&body, "user_id")
        .map_err(|e| a.fail(e))?
        .ok_or_else(|| a.fail(Error::bad_request("user_id is required").with_param("user_id")))?;
    let mut u = load_user(&a, &id).await?;
    apply(&mut u, &body, a.now_ms()).map_err(|e| a.fail(e))?;
    a.keys()?
        .store()
        .update_user(&u)
        .await
        .map_err(|e| a.store_err(e))?;
    a.json(&json!({"user_id": id, "data": user_json(&u)}))
}

/// `POST /user/delete`: `{"user_ids": [...]}`.
pub(crate) async fn delete(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let body = a.body_map(body)?;
    let ids = opt_strings(&body, "user_ids")
        .map_err(|e| a.fail(e))?
        .filter(|v| !v.is_empty())
        .ok_or_else(|| a.fail(Error::bad_request("user_ids is required").with_param("user_ids")))?;
    let deleted = a
        .keys()?
        .store()
        .delete_users(&ids)
        .await
        .map_err(|e| a.store_err(e))?;
    if deleted.is_empty() {
        return Err(a.fail(Error::new(ErrorKind::NotFound, "User not found")));
    }
    a.json(&json!({"deleted_users": deleted}))
}
