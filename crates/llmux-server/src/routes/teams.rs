//! LiteLLM's team API (`/team/*`) and `/spend/logs`, master key only. A team's budget,
//! models and limits bind every key in it; a change to a team drops this instance's
//! cached keys so they are read again with it.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use llmux::router::Entrance;
use llmux::{Error, ErrorKind};
use serde_json::{Map, Value, json};

use super::admin::{Admin, opt_f64, opt_i64, opt_str, opt_strings};
use super::keys::key_json;
use crate::error::ApiError;
use crate::keys::{iso, token};
use crate::state::AppState;
use crate::store::{KeyFilter, SpendFilter, TeamRecord};

fn team_json(t: &TeamRecord) -> Value {
    json!({
        "team_id": t.team_id,
        "team_alias": t.team_alias,
        "models": t.models,
        "max_budget": t.max_budget,
        "budget_duration": t.budget_duration,
        "budget_reset_at": t.budget_reset_at.map(iso),
        "spend": t.spend,
        "rpm_limit": t.rpm_limit,
        "tpm_limit": t.tpm_limit,
        "max_parallel_requests": t.max_parallel_requests,
        "blocked": t.blocked,
        "members_with_roles": t.members,
        "metadata": t.metadata,
        "created_at": iso(t.created_at),
        "updated_at": iso(t.updated_at),
    })
}

fn apply(t: &mut TeamRecord, body: &Map<String, Value>, now: i64) -> Result<(), Error> {
    if body.contains_key("team_alias") {
        t.team_alias = opt_str(body, "team_alias")?;
    }
    if body.contains_key("models") {
        t.models = opt_strings(body, "models")?.unwrap_or_default();
    }
    if body.contains_key("max_budget") {
        t.max_budget = opt_f64(body, "max_budget")?;
    }
    if body.contains_key("budget_duration") {
        t.budget_duration = opt_str(body, "budget_duration")?;
        t.budget_reset_at = match &t.budget_duration {
            Some(d) => Some(now.saturating_add(token::duration_ms(d).ok_or_else(|| {
                Error::bad_request(format!("budget_duration must be like 30d, got {d:?}"))
                    .with_param("budget_duration")
            })?)),
            None => None,
        };
    }
    for (field, slot) in [
        ("rpm_limit", &mut t.rpm_limit),
        ("tpm_limit", &mut t.tpm_limit),
        ("max_parallel_requests", &mut t.max_parallel_requests),
    ] {
        if body.contains_key(field) {
            *slot = opt_i64(body, field)?;
        }
    }
    if let Some(m) = body.get("members_with_roles").filter(|m| !m.is_null()) {
        if !m.is_array() {
            return Err(Error::bad_request("members_with_roles must be a list")
                .with_param("members_with_roles"));
        }
        t.members = m.clone();
    }
    if let Some(m) = body.get("metadata").filter(|m| m.is_object()) {
        t.metadata = m.clone();
    }
    if let Some(b) = body.get("blocked").and_then(Value::as_bool) {
        t.blocked = b;
    }
    t.updated_at = now;
    Ok(())
}

/// `POST /team/new`.
pub(crate) async fn new(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let body = a.body_map(body)?;
    let now = a.now_ms();
    let team_id = opt_str(&body, "team_id")
        .map_err(|e| a.fail(e))?
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut t = TeamRecord {
        team_id,
        team_alias: None,
        models: Vec::new(),
        max_budget: None,
        budget_duration: None,
        budget_reset_at: None,
        spend: 0.0,
        rpm_limit: None,
        tpm_limit: None,
        max_parallel_requests: None,
        blocked: false,
        members: json!([]),
        metadata: json!({}),
        created_at: now,
        updated_at: now,
    };
    apply(&mut t, &body, now).map_err(|e| a.fail(e))?;
    a.keys()?
        .store()
        .insert_team(&t)
        .await
        .map_err(|e| a.store_err(e))?;
    a.json(&team_json(&t))
}

async fn load_team(a: &Admin, id: &str) -> Result<TeamRecord, ApiError> {
    a.keys()?
        .store()
        .team(id, false)
        .await
        .map_err(|e| a.store_err(e))?
        .ok_or_else(|| {
            a.fail(Error::new(
                ErrorKind::NotFound,
                format!("Team not found, passed team_id={id}"),
            ))
        })
}

fn team_id_of(a: &Admin, body: &Map<String, Value>) -> Result<String, ApiError> {
    opt_str(body, "team_id")
        .map_err(|e| a.fail(e))?
        .ok_or_else(|| a.fail(Error::bad_request("team_id is required").with_param("team_id")))
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct TeamQuery {
    team_id: Option<String>,
}

/// `GET /team/info?team_id=`: the team and its keys.
pub(crate) async fn info(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<TeamQuery>,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let Some(id) = q.team_id else {
        return Err(a.fail(Error::bad_request("team_id is required").with_param("team_id")));
    };
    let t = load_team(&a, &id).await?;
    let filter = KeyFilter {
        team_id: Some(id.clone()),
        ..KeyFilter::default()
    };
    let (keys, _) = a
        .keys()?
        .store()
        .list_keys(&filter, 1, 100)
        .await
        .map_err(|e| a.store_err(e))?;
    a.json(&json!({
        "team_id": id,
        "team_info": team_json(&t),
        "keys": keys.iter().map(key_json).collect::<Vec<_>>(),
    }))
}

async fn save(a: &Admin, t: &TeamRecord) -> Result<(), ApiError> {
    let keys = a.keys()?;
    keys.store()
        .update_team(t)
        .await
        .map_err(|e| a.store_err(e))?;
    keys.invalidate_all();
    Ok(())
}

/// `POST /team/update`.
pub(crate) async fn update(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let body = a.body_map(body)?;
    let id = team_id_of(&a, &body)?;
    let mut t = load_team(&a, &id).await?;
    apply(&mut t, &body, a.now_ms()).map_err(|e| a.fail(e))?;
    save(&a, &t).await?;
    a.json(&json!({"team_id": id, "data": team_json(&t)}))
}

/// `POST /team/delete`: `{"team_ids": [...]}`.
pub(crate) async fn delete(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let body = a.body_map(body)?;
    let ids = opt_strings(&body, "team_ids")
        .map_err(|e| a.fail(e))?
        .filter(|v| !v.is_empty())
        .ok_or_else(|| a.fail(Error::bad_request("team_ids is required").with_param("team_ids")))?;
    let keys = a.keys()?;
    let deleted = keys
        .store()
        .delete_teams(&ids)
        .await
        .map_err(|e| a.store_err(e))?;
    keys.invalidate_all();
    if deleted.is_empty() {
        return Err(a.fail(Error::new(ErrorKind::NotFound, "Team not found")));
    }
    a.json(&json!({"deleted_teams": deleted}))
}

/// `POST /team/member_add`: `{"team_id", "member": {user_id, role} | [...]}`.
pub(crate) async fn member_add(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let body = a.body_map(body)?;
    let id = team_id_of(&a, &body)?;
    let mut t = load_team(&a, &id).await?;
    let new: Vec<Value> = match body.get("member") {
        Some(Value::Array(m)) => m.clone(),
        Some(m @ Value::Object(_)) => vec![m.clone()],
        _ => {
            return Err(a.fail(Error::bad_request("member is required").with_param("member")));
        }
    };
    let mut members = t.members.as_array().cloned().unwrap_or_default();
    for m in new {
        let user = m.get("user_id").cloned();
        if user.is_none() || members.iter().any(|x| x.get("user_id") == user.as_ref()) {
            continue;
        }
        let role = m.get("role").cloned().unwrap_or(json!("user"));
        members.push(json!({"user_id": user, "role": role}));
    }
    t.members = Value::Array(members);
    t.updated_at = a.now_ms();
    save(&a, &t).await?;
    a.json(&team_json(&t))
}

/// `POST /team/member_delete`: `{"team_id", "user_id"}`.
pub(crate) async fn member_delete(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let body = a.body_map(body)?;
    let id = team_id_of(&a, &body)?;
    let user = opt_str(&body, "user_id")
        .map_err(|e| a.fail(e))?
        .ok_or_else(|| a.fail(Error::bad_request("user_id is required").with_param("user_id")))?;
    let mut t = load_team(&a, &id).await?;
    if let Value::Array(m) = &mut t.members {
        m.retain(|x| x.get("user_id").and_then(Value::as_str) != Some(user.as_str()));
    }
    t.updated_at = a.now_ms();
    save(&a, &t).await?;
    a.json(&team_json(&t))
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct SpendQuery {
    api_key: Option<String>,
    team_id: Option<String>,
    user_id: Option<String>,
    request_id: Option<String>,
    limit: Option<u64>,
}

/// `GET /spend/logs`: rows newest first (`api_key` an `sk-` key or its hash).
pub(crate) async fn spend_logs(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<SpendQuery>,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let filter = SpendFilter {
        api_key: q.api_key.as_deref().map(token::token_of),
        team_id: q.team_id,
        user_id: q.user_id,
        request_id: q.request_id,
        start_ms: None,
        end_ms: None,
    };
    let rows = a
        .keys()?
        .store()
        .spend_logs(&filter, q.limit.unwrap_or(1000).clamp(1, 100_000))
        .await
        .map_err(|e| a.store_err(e))?;
    let out: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "request_id": r.request_id,
                "api_key": r.api_key,
                "team_id": r.team_id,
                "user": r.user_id,
                "model": r.model,
                "model_group": r.model_group,
                "call_type": r.call_type,
                "spend": r.spend,
                "prompt_tokens": r.prompt_tokens,
                "completion_tokens": r.completion_tokens,
                "total_tokens": r.total_tokens,
                "startTime": iso(r.start_time),
                "endTime": iso(r.end_time),
            })
        })
        .collect();
    a.json(&Value::Array(out))
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct ReportQuery {
    start_date: Option<String>,
    end_date: Option<String>,
    group_by: Option<String>,
    api_key: Option<String>,
    team_id: Option<String>,
    internal_user_id: Option<String>,
}

/// Model group → (spend, tokens).
type ByModel = BTreeMap<String, (f64, i64)>;

/// Rows a report reads at most (newest first).
const REPORT_ROWS: u64 = 100_000;

/// `GET /global/spend/report`: spend per day, then per team (`group_by=team`, the
/// default), key (`api_key`) or user (`customer`), each with its per-model breakdown,
/// as LiteLLM's report. Dates are `YYYY-MM-DD`, UTC, both ends included.
pub(crate) async fn spend_report(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let a = Admin::start(&st, &headers, Entrance::Admin)?;
    let day = |field: &str, v: &Option<String>| -> Result<Option<i64>, ApiError> {
        v.as_deref()
            .map(|d| {
                day_start_ms(d).ok_or_else(|| {
                    a.fail(
                        Error::bad_request(format!("{field} must be YYYY-MM-DD, got {d:?}"))
                            .with_param(field),
                    )
                })
            })
            .transpose()
    };
    let start = day("start_date", &q.start_date)?;
    let end = day("end_date", &q.end_date)?.map(|e| e.saturating_add(86_400_000 - 1));
    let (group_field, list_name, name_field) = match q.group_by.as_deref().unwrap_or("team") {
        "team" => ("team", "teams", "team_name"),
        "api_key" => ("api_key", "api_keys", "api_key"),
        "customer" => ("customer", "customers", "customer"),
        other => {
            return Err(a.fail(
                Error::bad_request(format!(
                    "group_by must be team, api_key or customer, got {other:?}"
                ))
                .with_param("group_by"),
            ));
        }
    };
    let filter = SpendFilter {
        api_key: q.api_key.as_deref().map(token::token_of),
        team_id: q.team_id,
        user_id: q.internal_user_id,
        request_id: None,
        start_ms: start,
        end_ms: end,
    };
    let rows = a
        .keys()?
        .store()
        .spend_logs(&filter, REPORT_ROWS)
        .await
        .map_err(|e| a.store_err(e))?;
    // day → group → model → (spend, tokens), in order.
    let mut days: BTreeMap<String, BTreeMap<String, ByModel>> = BTreeMap::new();
    for r in &rows {
        let group = match group_field {
            "team" => r.team_id.clone().unwrap_or_default(),
            "api_key" => r.api_key.clone(),
            _ => r.user_id.clone().unwrap_or_default(),
        };
        let d = iso(r.start_time).chars().take(10).collect::<String>();
        let slot = days
            .entry(d)
            .or_default()
            .entry(group)
            .or_default()
            .entry(r.model_group.clone())
            .or_default();
        slot.0 += r.spend;
        slot.1 = slot.1.saturating_add(r.total_tokens);
    }
    let out: Vec<Value> = days
        .into_iter()
        .map(|(d, groups)| {
            let list: Vec<Value> = groups
                .into_iter()
                .map(|(g, models)| {
                    let total: f64 = models.values().map(|(s, _)| s).sum();
                    let metadata: Vec<Value> = models
                        .into_iter()
                        .map(|(m, (s, t))| json!({"model": m, "spend": s, "total_tokens": t}))
                        .collect();
                    json!({name_field: g, "total_spend": total, "metadata": metadata})
                })
                .collect();
            json!({"group_by_day": d, list_name: list})
        })
        .collect();
    a.json(&Value::Array(out))
}

/// `YYYY-MM-DD` → Unix ms at 00:00 UTC.
fn day_start_ms(d: &str) -> Option<i64> {
    let mut parts = d.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || !(1..=9999).contains(&y) {
        return None;
    }
    // Howard Hinnant's days-from-civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400_000)
}

#[cfg(test)]
mod tests {
    use super::day_start_ms;

    #[test]
    fn report_dates_are_utc_days() {
        assert_eq!(day_start_ms("1970-01-01"), Some(0));
        assert_eq!(day_start_ms("2026-01-02"), Some(1_767_312_000_000));
        assert_eq!(day_start_ms("2026-13-01"), None);
        assert_eq!(day_start_ms("yesterday"), None);
    }
}
