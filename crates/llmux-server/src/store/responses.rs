//! Stored `/v1/responses` turns (`crate::responses_store` keeps them in memory and, with
//! a database, here too, so every instance on it reads every turn).

use super::{Result, Store, get, query};

/// One stored turn, as its row holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseRow {
    pub response_id: String,
    /// The sha256 hex of the key that created it.
    pub owner: String,
    /// The first turn's id: every turn of one conversation shares it.
    pub conversation_id: String,
    pub previous_response_id: Option<String>,
    pub native_deployment: Option<String>,
    /// The response object as the client got it (JSON).
    pub response: String,
    /// Its own input items (a JSON array).
    pub input: String,
    pub deleted: bool,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Whether a turn is there for a caller: what `GET` and `previous_response_id` check
/// before they read its content (from memory when it is there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Not stored, expired, or deleted.
    Absent,
    /// Stored by another key.
    OtherOwner,
    Present,
}

/// The last write of an id wins, as in memory: an upstream that issues an id again (a
/// native deployment's, after a delete) is stored again, not ignored.
const INSERT: &str = "INSERT INTO llmux_responses (response_id, owner, conversation_id, previous_response_id, native_deployment, response, input, deleted, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (response_id) DO UPDATE SET owner = excluded.owner, conversation_id = excluded.conversation_id, previous_response_id = excluded.previous_response_id, native_deployment = excluded.native_deployment, response = excluded.response, input = excluded.input, deleted = excluded.deleted, created_at = excluded.created_at, expires_at = excluded.expires_at";

impl Store {
    /// Writes turns in one transaction, and moves the expiry of each one's
    /// conversation's earlier turns to its own, so a conversation lasts as long as its
    /// newest turn.
    pub async fn put_responses(&self, rows: &[&ResponseRow]) -> Result<()> {
        self.check_ready()?;
        self.count(false);
        let mut tx = self.seen(self.pool.begin().await)?;
        for row in rows {
            self.seen(
                self.hot_query(INSERT)
                    .bind(row.response_id.clone())
                    .bind(row.owner.clone())
                    .bind(row.conversation_id.clone())
                    .bind(row.previous_response_id.clone())
                    .bind(row.native_deployment.clone())
                    .bind(row.response.clone())
                    .bind(row.input.clone())
                    .bind(i64::from(row.deleted))
                    .bind(row.created_at)
                    .bind(row.expires_at)
                    .execute(&mut *tx)
                    .await,
            )?;
        }
        for row in rows.iter().filter(|r| r.previous_response_id.is_some()) {
            self.seen(
                query(
                    "UPDATE llmux_responses SET expires_at = $1 WHERE conversation_id = $2 AND expires_at < $1",
                )
                .bind(row.expires_at)
                .bind(row.conversation_id.clone())
                .execute(&mut *tx)
                .await,
            )?;
        }
        self.seen(tx.commit().await)
    }

    /// Whether the turn `id` is there for `owner` at `now_ms`.
    pub async fn response_presence(&self, id: &str, owner: &str, now_ms: i64) -> Result<Presence> {
        self.check_ready()?;
        self.count(false);
        let row = self.seen(
            query(
                "SELECT owner FROM llmux_responses WHERE response_id = $1 AND deleted = 0 AND expires_at > $2",
            )
            .bind(id)
            .bind(now_ms)
            .fetch_optional(&self.pool)
            .await,
        )?;
        Ok(match row {
            None => Presence::Absent,
            Some(r) if get::<String>(&r, "owner")? == owner => Presence::Present,
            Some(_) => Presence::OtherOwner,
        })
    }

    /// The turn `id` with its content, deleted or not (an earlier turn a later one
    /// replays), unless it expired.
    pub async fn response(&self, id: &str, now_ms: i64) -> Result<Option<ResponseRow>> {
        self.check_ready()?;
        self.count(false);
        let row = self.seen(
            query("SELECT * FROM llmux_responses WHERE response_id = $1 AND expires_at > $2")
                .bind(id)
                .bind(now_ms)
                .fetch_optional(&self.pool)
                .await,
        )?;
        let Some(r) = row else {
            return Ok(None);
        };
        Ok(Some(ResponseRow {
            response_id: get(&r, "response_id")?,
            owner: get(&r, "owner")?,
            conversation_id: get(&r, "conversation_id")?,
            previous_response_id: get(&r, "previous_response_id")?,
            native_deployment: get(&r, "native_deployment")?,
            response: get(&r, "response")?,
            input: get(&r, "input")?,
            deleted: get::<i64>(&r, "deleted")? != 0,
            created_at: get(&r, "created_at")?,
            expires_at: get(&r, "expires_at")?,
        }))
    }

    /// Hides the turn `id` of `owner` from `GET` and `DELETE`; whether it was there.
    pub async fn delete_response(&self, id: &str, owner: &str, now_ms: i64) -> Result<bool> {
        self.check_ready()?;
        self.count(false);
        let done = self.seen(
            query(
                "UPDATE llmux_responses SET deleted = 1 WHERE response_id = $1 AND owner = $2 AND deleted = 0 AND expires_at > $3",
            )
            .bind(id)
            .bind(owner)
            .bind(now_ms)
            .execute(&self.pool)
            .await,
        )?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes the turns that expired before `now_ms`; how many.
    pub async fn purge_responses(&self, now_ms: i64) -> Result<u64> {
        self.check_ready()?;
        self.count(false);
        let done = self.seen(
            query("DELETE FROM llmux_responses WHERE expires_at <= $1")
                .bind(now_ms)
                .execute(&self.pool)
                .await,
        )?;
        Ok(done.rows_affected())
    }
}
