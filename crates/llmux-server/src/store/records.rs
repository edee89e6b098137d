//! The stored rows and how they go to and come from SQL.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;

use super::{Result, StoreError, get};

type Q<'q> = Query<'q, sqlx::Any, AnyArguments<'q>>;

/// A virtual key. `token` is the sha256 hex of the key; the key itself is never stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub token: String,
    /// `sk-...abcd`: enough to recognise a key, not to use it.
    pub key_name: String,
    pub key_alias: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    /// Model groups or access groups; empty: every model.
    pub models: Vec<String>,
    pub max_budget: Option<f64>,
    pub budget_duration: Option<String>,
    /// When the current budget period ends (Unix ms).
    pub budget_reset_at: Option<i64>,
    pub spend: f64,
    pub rpm_limit: Option<i64>,
    pub tpm_limit: Option<i64>,
    pub max_parallel_requests: Option<i64>,
    /// Unix ms.
    pub expires: Option<i64>,
    pub blocked: bool,
    pub metadata: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamRecord {
    pub team_id: String,
    pub team_alias: Option<String>,
    pub models: Vec<String>,
    pub max_budget: Option<f64>,
    pub budget_duration: Option<String>,
    pub budget_reset_at: Option<i64>,
    pub spend: f64,
    pub rpm_limit: Option<i64>,
    pub tpm_limit: Option<i64>,
    pub max_parallel_requests: Option<i64>,
    pub blocked: bool,
    /// `members_with_roles`: `[{"user_id", "role"}]`.
    pub members: Value,
    pub metadata: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    pub user_id: String,
    pub user_email: Option<String>,
    pub user_role: Option<String>,
    pub models: Vec<String>,
    pub max_budget: Option<f64>,
    pub spend: f64,
    pub metadata: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One answered request's spend (LiteLLM's `LiteLLM_SpendLogs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendRow {
    pub request_id: String,
    /// The key's sha256.
    pub api_key: String,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    /// The deployment's model (`openai/gpt-4o-mini`).
    pub model: String,
    pub model_group: String,
    pub call_type: String,
    pub spend: f64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub total_tokens: i64,
    pub start_time: i64,
    pub end_time: i64,
}

fn json_text(v: &impl Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn parse_json<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> Result<T> {
    let text: String = get(row, col)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

pub(super) const INSERT_KEY: &str = "INSERT INTO llmux_keys (token, key_name, key_alias, team_id, user_id, models, max_budget, budget_duration, budget_reset_at, spend, rpm_limit, tpm_limit, max_parallel_requests, expires, blocked, metadata, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";

pub(super) fn bind_key<'q>(q: Q<'q>, k: &KeyRecord) -> Q<'q> {
    q.bind(k.token.clone())
        .bind(k.key_name.clone())
        .bind(k.key_alias.clone())
        .bind(k.team_id.clone())
        .bind(k.user_id.clone())
        .bind(json_text(&k.models))
        .bind(k.max_budget)
        .bind(k.budget_duration.clone())
        .bind(k.budget_reset_at)
        .bind(k.spend)
        .bind(k.rpm_limit)
        .bind(k.tpm_limit)
        .bind(k.max_parallel_requests)
        .bind(k.expires)
        .bind(i64::from(k.blocked))
        .bind(json_text(&k.metadata))
        .bind(k.created_at)
        .bind(k.updated_at)
}

pub(super) const UPDATE_KEY: &str = "UPDATE llmux_keys SET key_name = $1, key_alias = $2, team_id = $3, user_id = $4, models = $5, max_budget = $6, budget_duration = $7, budget_reset_at = $8, rpm_limit = $9, tpm_limit = $10, max_parallel_requests = $11, expires = $12, blocked = $13, metadata = $14, updated_at = $15 WHERE token = $16";

pub(super) fn bind_key_update<'q>(q: Q<'q>, k: &KeyRecord) -> Q<'q> {
    q.bind(k.key_name.clone())
        .bind(k.key_alias.clone())
        .bind(k.team_id.clone())
        .bind(k.user_id.clone())
        .bind(json_text(&k.models))
        .bind(k.max_budget)
        .bind(k.budget_duration.clone())
        .bind(k.budget_reset_at)
        .bind(k.rpm_limit)
        .bind(k.tpm_limit)
        .bind(k.max_parallel_requests)
        .bind(k.expires)
        .bind(i64::from(k.blocked))
        .bind(json_text(&k.metadata))
        .bind(k.updated_at)
        .bind(k.token.clone())
}

pub(super) fn key_from_row(row: &AnyRow) -> Result<KeyRecord> {
    Ok(KeyRecord {
        token: get(row, "token")?,
        key_name: get(row, "key_name")?,
        key_alias: get(row, "key_alias")?,
        team_id: get(row, "team_id")?,
        user_id: get(row, "user_id")?,
        models: parse_json(row, "models")?,
        max_budget: get(row, "max_budget")?,
        budget_duration: get(row, "budget_duration")?,
        budget_reset_at: get(row, "budget_reset_at")?,
        spend: get(row, "spend")?,
        rpm_limit: get(row, "rpm_limit")?,
        tpm_limit: get(row, "tpm_limit")?,
        max_parallel_requests: get(row, "max_parallel_requests")?,
        expires: get(row, "expires")?,
        blocked: get::<i64>(row, "blocked")? != 0,
        metadata: parse_json(row, "metadata")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

pub(super) const INSERT_TEAM: &str = "INSERT INTO llmux_teams (team_id, team_alias, models, max_budget, budget_duration, budget_reset_at, spend, rpm_limit, tpm_limit, max_parallel_requests, blocked, members, metadata, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";

pub(super) fn bind_team<'q>(q: Q<'q>, t: &TeamRecord) -> Q<'q> {
    q.bind(t.team_id.clone())
        .bind(t.team_alias.clone())
        .bind(json_text(&t.models))
        .bind(t.max_budget)
        .bind(t.budget_duration.clone())
        .bind(t.budget_reset_at)
        .bind(t.spend)
        .bind(t.rpm_limit)
        .bind(t.tpm_limit)
        .bind(t.max_parallel_requests)
        .bind(i64::from(t.blocked))
        .bind(json_text(&t.members))
        .bind(json_text(&t.metadata))
        .bind(t.created_at)
        .bind(t.updated_at)
}

pub(super) const UPDATE_TEAM: &str = "UPDATE llmux_teams SET team_alias = $1, models = $2, max_budget = $3, budget_duration = $4, budget_reset_at = $5, rpm_limit = $6, tpm_limit = $7, max_parallel_requests = $8, blocked = $9, members = $10, metadata = $11, updated_at = $12 WHERE team_id = $13";

pub(super) fn bind_team_update<'q>(q: Q<'q>, t: &TeamRecord) -> Q<'q> {
    q.bind(t.team_alias.clone())
        .bind(json_text(&t.models))
        .bind(t.max_budget)
        .bind(t.budget_duration.clone())
        .bind(t.budget_reset_at)
        .bind(t.rpm_limit)
        .bind(t.tpm_limit)
        .bind(t.max_parallel_requests)
        .bind(i64::from(t.blocked))
        .bind(json_text(&t.members))
        .bind(json_text(&t.metadata))
        .bind(t.updated_at)
        .bind(t.team_id.clone())
}

pub(super) fn team_from_row(row: &AnyRow) -> Result<TeamRecord> {
    Ok(TeamRecord {
        team_id: get(row, "team_id")?,
        team_alias: get(row, "team_alias")?,
        models: parse_json(row, "models")?,
        max_budget: get(row, "max_budget")?,
        budget_duration: get(row, "budget_duration")?,
        budget_reset_at: get(row, "budget_reset_at")?,
        spend: get(row, "spend")?,
        rpm_limit: get(row, "rpm_limit")?,
        tpm_limit: get(row, "tpm_limit")?,
        max_parallel_requests: get(row, "max_parallel_requests")?,
        blocked: get::<i64>(row, "blocked")? != 0,
        members: parse_json(row, "members")?,
        metadata: parse_json(row, "metadata")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

pub(super) const INSERT_USER: &str = "INSERT INTO llmux_users (user_id, user_email, user_role, models, max_budget, spend, metadata, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

pub(super) fn bind_user<'q>(q: Q<'q>, u: &UserRecord) -> Q<'q> {
    q.bind(u.user_id.clone())
        .bind(u.user_email.clone())
        .bind(u.user_role.clone())
        .bind(json_text(&u.models))
        .bind(u.max_budget)
        .bind(u.spend)
        .bind(json_text(&u.metadata))
        .bind(u.created_at)
        .bind(u.updated_at)
}

pub(super) const UPDATE_USER: &str = "UPDATE llmux_users SET user_email = $1, user_role = $2, models = $3, max_budget = $4, metadata = $5, updated_at = $6 WHERE user_id = $7";

pub(super) fn bind_user_update<'q>(q: Q<'q>, u: &UserRecord) -> Q<'q> {
    q.bind(u.user_email.clone())
        .bind(u.user_role.clone())
        .bind(json_text(&u.models))
        .bind(u.max_budget)
        .bind(json_text(&u.metadata))
        .bind(u.updated_at)
        .bind(u.user_id.clone())
}

pub(super) fn user_from_row(row: &AnyRow) -> Result<UserRecord> {
    Ok(UserRecord {
        user_id: get(row, "user_id")?,
        user_email: get(row, "user_email")?,
        user_role: get(row, "user_role")?,
        models: parse_json(row, "models")?,
        max_budget: get(row, "max_budget")?,
        spend: get(row, "spend")?,
        metadata: parse_json(row, "metadata")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

pub(super) const INSERT_SPEND: &str = "INSERT INTO llmux_spend_logs (request_id, api_key, team_id, user_id, model, model_group, call_type, spend, prompt_tokens, completion_tokens, total_tokens, start_time, end_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (request_id) DO NOTHING";

/// Columns of a spend-log row, as [`bind_spend`] binds them.
const SPEND_COLUMNS: usize = 13;

/// [`INSERT_SPEND`] for `rows` rows in one statement (their values bound in order by
/// [`bind_spend`]). `numbered`: `$N` placeholders (PostgreSQL); else anonymous `?`, for
/// SQLite, where a numbered parameter costs a linear scan of the statement's names as it
/// is bound (sqlx asks each one's name), quadratic over a statement of hundreds.
pub(super) fn insert_spend_sql(rows: usize, numbered: bool) -> String {
    use std::fmt::Write;
    let mut sql = String::with_capacity(240 + rows * SPEND_COLUMNS * 6);
    sql.push_str("INSERT INTO llmux_spend_logs (request_id, api_key, team_id, user_id, model, model_group, call_type, spend, prompt_tokens, completion_tokens, total_tokens, start_time, end_time) VALUES ");
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for col in 0..SPEND_COLUMNS {
            let sep = if col == 0 { "" } else { ", " };
            if numbered {
                let _ = write!(sql, "{sep}${}", row * SPEND_COLUMNS + col + 1);
            } else {
                let _ = write!(sql, "{sep}?");
            }
        }
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT (request_id) DO NOTHING");
    sql
}

pub(super) fn bind_spend<'q>(q: Q<'q>, r: &SpendRow) -> Q<'q> {
    q.bind(r.request_id.clone())
        .bind(r.api_key.clone())
        .bind(r.team_id.clone())
        .bind(r.user_id.clone())
        .bind(r.model.clone())
        .bind(r.model_group.clone())
        .bind(r.call_type.clone())
        .bind(r.spend)
        .bind(r.prompt_tokens)
        .bind(r.completion_tokens)
        .bind(r.total_tokens)
        .bind(r.start_time)
        .bind(r.end_time)
}

pub(super) fn spend_from_row(row: &AnyRow) -> Result<SpendRow> {
    Ok(SpendRow {
        request_id: get(row, "request_id")?,
        api_key: get(row, "api_key")?,
        team_id: get(row, "team_id")?,
        user_id: get(row, "user_id")?,
        model: get(row, "model")?,
        model_group: get(row, "model_group")?,
        call_type: get(row, "call_type")?,
        spend: get(row, "spend")?,
        prompt_tokens: get(row, "prompt_tokens")?,
        completion_tokens: get(row, "completion_tokens")?,
        total_tokens: get(row, "total_tokens")?,
        start_time: get(row, "start_time")?,
        end_time: get(row, "end_time")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_insert_is_the_single_row_statement() {
        assert_eq!(insert_spend_sql(1, true), INSERT_SPEND);
        assert_eq!(
            insert_spend_sql(2, false).matches('?').count(),
            2 * SPEND_COLUMNS
        );
        assert!(!insert_spend_sql(2, false).contains('$'));
    }

    #[test]
    fn multi_row_insert_numbers_its_parameters_in_order() {
        let sql = insert_spend_sql(3, true);
        assert!(
            sql.contains(
                "($14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26), ($27,"
            ),
            "{sql}"
        );
        assert!(
            sql.ends_with("$39) ON CONFLICT (request_id) DO NOTHING"),
            "{sql}"
        );
        assert!(!sql.contains("$40"));
    }
}
