//! LiteLLM's key management API (`/key/*`), master key only. Keys are stored as sha256;
//! the key itself is shown once, in the answer that makes it (`/key/generate`,
//! `/key/regenerate`). Every change invalidates the key in this instance's auth cache.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use llmux::router::Entrance;
use llmux::{Error, ErrorKind};
use serde_json::{Map, Value, json};

use super::admin::{Admin, opt_f64, opt_i64, opt_str, opt_strings};
use crate::error::ApiError;
use crate::keys::{iso, token};
use crate::state::AppState;
use crate::store::{KeyFilter, KeyRecord};

/// A key as `/key/info`, `/key/list` and the update routes show it (never the key).
pub(crate) fn key_json(k: &KeyRecord) -> Value {
    json!({
        "token": k.token,
        "key_name": k.key_name,
        "key_alias": k.key_alias,
        "spend": k.spend,
        "max_budget": k.max_budget,
        "budget_duration": k.budget_duration,
        "budget_reset_at": k.budget_reset_at.map(iso),
        "expires": k.expires.map(iso),
        "models": k.models,
        "user_id": k.user_id,
        "team_id": k.team_id,
        "rpm_limit": k.rpm_limit,
        "tpm_limit": k.tpm_limit,
        "max_parallel_requests": k.max_parallel_requests,
        "metadata": k.metadata,
        "blocked": k.blocked,
        "created_at": iso(k.created_at),
        "updated_at": iso(k.updated_at),
    })
}

/// Applies the fields of a generate/update body to `k`; a 400 names a bad one.
fn apply(k: &mut KeyRecord, body: &Map<String, Value>, now: i64) -> Result<(), Error> {
    if body.contains_key("key_alias") {
        k.key_alias = opt_str(body, "key_alias")?;
    }
    if body.contains_key("models") {
        k.models = opt_strings(body, "models")?.unwrap_or_default();
    }
    if body.contains_key("max_budget") {
        k.max_budget = opt_f64(body, "max_budget")?;
    }
    if body.contains_key("budget_duration") {
        k.budget_duration = opt_str(body, "budget_duration")?;
        k.budget_reset_at = match &k.budget_duration {
            Some(d) => Some(now.saturating_add(duration(d, "budget_duration")?)),
            None => None,
        };
    }
    if body.contains_key("duration") {
        k.expires = match opt_str(body, "duration")? {
            Some(d) => Some(now.saturating_add(duration(&d, "duration")?)),
            None => None,
        };
    }
    for (field, slot) in [
        ("rpm_limit", &mut k.rpm_limit),
        ("tpm_limit", &mut k.tpm_limit),
        ("max_parallel_requests", &mut k.max_parallel_requests),
    ] {
        if body.contains_key(field) {
            *slot = opt_i64(body, field)?;
        }
    }
    if body.contains_key("team_id") {
        k.team_id = opt_str(body, "team_id")?;
    }
    if body.contains_key("user_id") {
        k.user_id = opt_str(body, "user_id")?;
    }
    if let Some(m) = body.get("metadata").filter(|m| !m.is_null()) {
        if !m.is_object() {
            return Err(Error::bad_request("metadata must be an object").with_param("metadata"));
        }
        k.metadata = m.clone();
    }
    if let Some(b) = body.get("blocked").and_then(Value::as_bool) {
        k.blocked = b;
    }
    k.updated_at = now;
    Ok(())
}

fn duration(text: &str, field: &str) -> Result<i64, Error> {
    token::duration_ms(text).ok_or_else(|| {
        Error::bad_request(format!(
            "{field} must be like 30s, 30m, 30h, 30d or 1mo, got {text:?}"
        ))
        .with_param(field)
    })
}

fn new_key(key: &str, now: i64) -> KeyRecord {
    KeyRecord {
        token: token::hash(key),
        key_name: token::key_name(key),
        key_alias: None,
        team_id: None,
        user_id: None,
        models: Vec::new(),
        max_budget: None,
        budget_duration: None,
        budget_reset_at: None,
        spend: 0.0,
        rpm_limit: None,
        tpm_limit: None,
        max_parallel_requests: None,
        expires: None,
        blocked: false,
        metadata: json!({}),
        created_at: now,
        updated_at: now,
    }
}

/// The answer of `/key/generate` and `/key/regenerate`: the key, shown this once.
fn generated(key: &str, k: &KeyRecord) -> Value {
    let mut v = key_json(k);
    if let Some(o) = v.as_object_mut() {
        o.insert("key".into(), json!(key));
        o.insert("token_id".into(), json!(k.token));
    }
    v
}

/// `POST /key/generate`.
pub(crate) async fn generate(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let body = a.body_map(body)?;
    let out = generate_for(&a, &body).await?;
    a.json(&out)
}

/// Makes a key from a `/key/generate` body; the answer with the key in it.
pub(crate) async fn generate_for(a: &Admin, body: &Map<String, Value>) -> Result<Value, ApiError> {
    let now = a.now_ms();
    let key = match opt_str(body, "key").map_err(|e| a.fail(e))? {
        Some(k) if !k.starts_with("sk-") => {
            return Err(a.fail(
                Error::bad_request(
                    "Invalid key format. LiteLLM Virtual Key must start with 'sk-'.",
                )
                .with_param("key"),
            ));
        }
        Some(k) => k,
        None => token::generate(),
    };
    let mut k = new_key(&key, now);
    apply(&mut k, body, now).map_err(|e| a.fail(e))?;
    if let Some(team) = &k.team_id
        && a.keys()?
            .store()
            .team(team, false)
            .await
            .map_err(|e| a.store_err(e))?
            .is_none()
    {
        return Err(a.fail(
            Error::bad_request(format!("Team not found, passed team_id={team}"))
                .with_param("team_id"),
        ));
    }
    a.keys()?
        .store()
        .insert_key(&k)
        .await
        .map_err(|e| a.store_err(e))?;
    Ok(generated(&key, &k))
}

/// The key a body names (`key`: an `sk-` key or its hash).
fn named_key(a: &Admin, body: &Map<String, Value>) -> Result<String, ApiError> {
    match opt_str(body, "key").map_err(|e| a.fail(e))? {
        Some(k) => Ok(token::token_of(&k)),
        None => Err(a.fail(Error::bad_request("key is required").with_param("key"))),
    }
}

async fn load_key(a: &Admin, token: &str) -> Result<KeyRecord, ApiError> {
    a.keys()?
        .store()
        .key(token, false)
        .await
        .map_err(|e| a.store_err(e))?
        .ok_or_else(|| a.fail(Error::new(ErrorKind::NotFound, "Key not found")))
}

/// `POST /key/update`.
pub(crate) async fn update(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let body = a.body_map(body)?;
    let token = named_key(&a, &body)?;
    let mut k = load_key(&a, &token).await?;
    let now = a.now_ms();
    let mut fields = body.clone();
    fields.remove("key");
    apply(&mut k, &fields, now).map_err(|e| a.fail(e))?;
    let keys = a.keys()?;
    keys.store()
        .update_key(&k)
        .await
        .map_err(|e| a.store_err(e))?;
    if let Some(spend) = opt_f64(&fields, "spend").map_err(|e| a.fail(e))? {
        keys.store()
            .set_key_spend(&token, spend)
            .await
            .map_err(|e| a.store_err(e))?;
        k.spend = spend;
    }
    keys.invalidate(&token).await;
    a.json(&key_json(&k))
}

/// `POST /key/delete`: `{"keys": [...]}` or `{"key_aliases": [...]}`.
pub(crate) async fn delete(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let body = a.body_map(body)?;
    let keys = a.keys()?;
    let mut tokens: Vec<String> = opt_strings(&body, "keys")
        .map_err(|e| a.fail(e))?
        .unwrap_or_default()
        .iter()
        .map(|k| token::token_of(k))
        .collect();
    for alias in opt_strings(&body, "key_aliases")
        .map_err(|e| a.fail(e))?
        .unwrap_or_default()
    {
        tokens.extend(
            keys.store()
                .tokens_with_alias(&alias)
                .await
                .map_err(|e| a.store_err(e))?,
        );
    }
    if tokens.is_empty() {
        return Err(
            a.fail(Error::bad_request("keys or key_aliases is required").with_param("keys"))
        );
    }
    let deleted = keys
        .store()
        .delete_keys(&tokens)
        .await
        .map_err(|e| a.store_err(e))?;
    for t in &tokens {
        keys.invalidate(t).await;
    }
    if deleted.is_empty() {
        return Err(a.fail(Error::new(ErrorKind::NotFound, "Key not found")));
    }
    a.json(&json!({"deleted_keys": deleted}))
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct InfoQuery {
    key: Option<String>,
}

/// `GET /key/info?key=`: without `key`, the key the request came with is the master
/// key, which has no row.
pub(crate) async fn info(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<InfoQuery>,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let Some(key) = q.key else {
        return Err(a.fail(Error::bad_request("key is required").with_param("key")));
    };
    let k = load_key(&a, &token::token_of(&key)).await?;
    a.json(&json!({"key": key, "info": key_json(&k)}))
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct ListQuery {
    page: Option<u64>,
    size: Option<u64>,
    team_id: Option<String>,
    user_id: Option<String>,
    key_alias: Option<String>,
    return_full_object: Option<bool>,
}

/// `GET /key/list`: one page (`page` from 1, `size` up to 100), as LiteLLM.
pub(crate) async fn list(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let page = q.page.unwrap_or(1).max(1);
    let size = q.size.unwrap_or(10).clamp(1, 100);
    let filter = KeyFilter {
        team_id: q.team_id,
        user_id: q.user_id,
        key_alias: q.key_alias,
    };
    let (keys, total) = a
        .keys()?
        .store()
        .list_keys(&filter, page, size)
        .await
        .map_err(|e| a.store_err(e))?;
    let listed: Vec<Value> = if q.return_full_object == Some(true) {
        keys.iter().map(key_json).collect()
    } else {
        keys.iter().map(|k| json!(k.token)).collect()
    };
    a.json(&json!({
        "keys": listed,
        "total_count": total,
        "current_page": page,
        "total_pages": total.div_ceil(size),
    }))
}

/// `POST /key/regenerate` (`{"key"}`) and `POST /key/{key}/regenerate`: a new key with
/// the old one's settings; the old key stops working at once on this instance.
pub(crate) async fn regenerate(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    regenerate_key(st, headers, None, body).await
}

/// `POST /key/{key}/regenerate`.
pub(crate) async fn regenerate_path(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(key): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    regenerate_key(st, headers, Some(key), body).await
}

async fn regenerate_key(
    st: Arc<AppState>,
    headers: HeaderMap,
    path: Option<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let body = a.body_map_or_empty(body)?;
    let old = match path {
        Some(k) => token::token_of(&k),
        None => named_key(&a, &body)?,
    };
    let mut k = load_key(&a, &old).await?;
    let now = a.now_ms();
    let key = match opt_str(&body, "new_key").map_err(|e| a.fail(e))? {
        Some(k) if k.starts_with("sk-") => k,
        Some(_) => {
            return Err(
                a.fail(Error::bad_request("New key must start with 'sk-'.").with_param("new_key"))
            );
        }
        None => token::generate(),
    };
    let mut fields = body.clone();
    fields.remove("key");
    fields.remove("new_key");
    apply(&mut k, &fields, now).map_err(|e| a.fail(e))?;
    k.token = token::hash(&key);
    k.key_name = token::key_name(&key);
    let keys = a.keys()?;
    let replaced = keys
        .store()
        .replace_key(&old, &k)
        .await
        .map_err(|e| a.store_err(e))?;
    keys.invalidate(&old).await;
    if !replaced {
        return Err(a.fail(Error::new(ErrorKind::NotFound, "Key not found")));
    }
    a.json(&generated(&key, &k))
}

async fn set_blocked(
    st: Arc<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    blocked: bool,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let body = a.body_map(body)?;
    let token = named_key(&a, &body)?;
    let mut k = load_key(&a, &token).await?;
    k.blocked = blocked;
    k.updated_at = a.now_ms();
    let keys = a.keys()?;
    keys.store()
        .update_key(&k)
        .await
        .map_err(|e| a.store_err(e))?;
    keys.invalidate(&token).await;
    a.json(&key_json(&k))
}

/// `POST /key/block`.
pub(crate) async fn block(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    set_blocked(st, headers, body, true).await
}

/// `POST /key/unblock`.
pub(crate) async fn unblock(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    set_blocked(st, headers, body, false).await
}
