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

/// Columns of a stored turn, as [`Store::put_responses`] binds them.
const RESPONSE_COLUMNS: usize = 10;

/// Turns in one `INSERT` at most: 990 parameters, under the 999 that SQLite builds
/// older than 3.32 allow in one statement.
const RESPONSE_CHUNK: usize = 999 / RESPONSE_COLUMNS;

/// A multi-row `INSERT` of `rows` turns. The last write of an id wins, as in memory: an
/// upstream that issues an id again (a native deployment's, after a delete) is stored
/// again, not ignored. `numbered`: `$N` placeholders (PostgreSQL); else anonymous `?`
/// (SQLite, as [`super::records::insert_spend_sql`] explains).
fn insert_responses_sql(rows: usize, numbered: bool) -> String {
    use std::fmt::Write;
    let mut sql = String::with_capacity(480 + rows * RESPONSE_COLUMNS * 6);
    sql.push_str("INSERT INTO llmux_responses (response_id, owner, conversation_id, previous_response_id, native_deployment, response, input, deleted, created_at, expires_at) VALUES ");
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for col in 0..RESPONSE_COLUMNS {
            let sep = if col == 0 { "" } else { ", " };
            if numbered {
                let _ = write!(sql, "{sep}${}", row * RESPONSE_COLUMNS + col + 1);
            } else {
                let _ = write!(sql, "{sep}?");
            }
        }
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT (response_id) DO UPDATE SET owner = excluded.owner, conversation_id = excluded.conversation_id, previous_response_id = excluded.previous_response_id, native_deployment = excluded.native_deployment, response = excluded.response, input = excluded.input, deleted = excluded.deleted, created_at = excluded.created_at, expires_at = excluded.expires_at");
    sql
}

/// The turns a batch writes: the last of each id, in order of those last writes.
/// PostgreSQL refuses an `INSERT … ON CONFLICT DO UPDATE` that meets one id twice, and
/// an earlier write of an id in the batch would be overwritten anyway.
fn last_writes<'r>(rows: &[&'r ResponseRow]) -> Vec<&'r ResponseRow> {
    let mut seen = std::collections::HashSet::with_capacity(rows.len());
    let mut kept: Vec<&ResponseRow> = rows
        .iter()
        .rev()
        .filter(|r| seen.insert(r.response_id.as_str()))
        .copied()
        .collect();
    kept.reverse();
    kept
}

/// For each conversation a batch continues, the latest expiry its turns give it.
fn conversation_expiries<'r>(rows: &[&'r ResponseRow]) -> Vec<(&'r str, i64)> {
    let mut expiries: Vec<(&str, i64)> = Vec::new();
    for row in rows.iter().filter(|r| r.previous_response_id.is_some()) {
        match expiries.iter_mut().find(|(c, _)| *c == row.conversation_id) {
            Some(entry) => entry.1 = entry.1.max(row.expires_at),
            None => expiries.push((row.conversation_id.as_str(), row.expires_at)),
        }
    }
    expiries
}

/// Binds `rows` to an [`insert_responses_sql`] statement of as many rows. The
/// statement is not kept prepared: one per batch size would crowd the connection's
/// statement cache (100 on SQLite), which the spend writer's and the key lookups'
/// statements share.
fn bind_turns<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    rows: &[&'q ResponseRow],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for row in rows {
        q = q
            .bind(row.response_id.as_str())
            .bind(row.owner.as_str())
            .bind(row.conversation_id.as_str())
            .bind(row.previous_response_id.as_deref())
            .bind(row.native_deployment.as_deref())
            .bind(row.response.as_str())
            .bind(row.input.as_str())
            .bind(i64::from(row.deleted))
            .bind(row.created_at)
            .bind(row.expires_at);
    }
    q
}

impl Store {
    /// Writes turns atomically (one statement, or one transaction), in multi-row
    /// `INSERT`s (one statement, one round trip to the database, per [`RESPONSE_CHUNK`]
    /// turns rather than per turn), and moves the expiry of each one's conversation's
    /// earlier turns to its own, so a conversation lasts as long as its newest turn.
    pub async fn put_responses(&self, rows: &[&ResponseRow]) -> Result<()> {
        self.check_ready()?;
        self.count(false);
        let rows = last_writes(rows);
        let expiries = conversation_expiries(&rows);
        if rows.len() <= RESPONSE_CHUNK && expiries.is_empty() {
            // One statement is atomic on its own: no BEGIN and COMMIT, each a round trip
            // to the database (on SQLite, to its worker thread).
            let sql = insert_responses_sql(rows.len(), self.backend != "sqlite");
            return self
                .seen(bind_turns(query(&sql), &rows).execute(&self.pool).await)
                .map(drop);
        }
        let mut tx = self.seen(self.pool.begin().await)?;
        for chunk in rows.chunks(RESPONSE_CHUNK) {
            let sql = insert_responses_sql(chunk.len(), self.backend != "sqlite");
            self.seen(bind_turns(query(&sql), chunk).execute(&mut *tx).await)?;
        }
        for (conversation, expires_at) in expiries {
            self.seen(
                query(
                    "UPDATE llmux_responses SET expires_at = $1 WHERE conversation_id = $2 AND expires_at < $1",
                )
                .bind(expires_at)
                .bind(conversation)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    fn turn(id: &str, conversation: &str, previous: Option<&str>, expires_at: i64) -> ResponseRow {
        ResponseRow {
            response_id: id.into(),
            owner: "o".into(),
            conversation_id: conversation.into(),
            previous_response_id: previous.map(Into::into),
            native_deployment: None,
            response: format!(r#"{{"id":"{id}"}}"#),
            input: "[]".into(),
            deleted: false,
            created_at: 1,
            expires_at,
        }
    }

    async fn sqlite() -> Arc<Store> {
        let dir = std::env::temp_dir().join(format!("llmux-responses-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&format!("sqlite://{}/r.db", dir.display()), 1).unwrap();
        assert!(store.wait_ready(Duration::from_secs(10)).await);
        store
    }

    #[test]
    fn multi_row_insert_numbers_its_parameters_in_order() {
        let sql = insert_responses_sql(2, true);
        assert!(
            sql.contains("($1, $2, $3, $4, $5, $6, $7, $8, $9, $10), ($11,"),
            "{sql}"
        );
        assert!(
            sql.contains("$20) ON CONFLICT (response_id) DO UPDATE"),
            "{sql}"
        );
        assert!(!sql.contains("$21"), "{sql}");
        let sql = insert_responses_sql(3, false);
        assert_eq!(sql.matches('?').count(), 3 * RESPONSE_COLUMNS);
        assert!(!sql.contains('$'), "{sql}");
    }

    #[test]
    fn a_batch_keeps_the_last_write_of_each_id_and_the_latest_expiry_of_each_conversation() {
        let a1 = turn("a", "c", None, 5);
        let b = turn("b", "c", Some("a"), 7);
        let a2 = turn("a", "c", None, 6);
        let d = turn("d", "e", Some("x"), 3);
        let kept = last_writes(&[&a1, &b, &a2, &d]);
        assert_eq!(kept, vec![&b, &a2, &d]);
        let later = turn("f", "c", Some("b"), 9);
        let expiries = conversation_expiries(&[&b, &d, &later]);
        assert_eq!(expiries, vec![("c", 9), ("e", 3)]);
    }

    #[tokio::test]
    async fn a_batch_larger_than_a_chunk_is_stored_whole_and_the_last_write_of_an_id_wins() {
        let store = sqlite().await;
        let mut turns: Vec<ResponseRow> = (0..RESPONSE_CHUNK * 2 + 5)
            .map(|i| {
                turn(
                    &format!("r{i}"),
                    "c",
                    (i > 0).then_some("r0"),
                    100 + i as i64,
                )
            })
            .collect();
        // The id of the first turn again, later in the batch and in another chunk.
        let mut again = turn("r0", "c", None, 50);
        again.response = r#"{"id":"r0","second":true}"#.into();
        turns.push(again.clone());
        let rows: Vec<&ResponseRow> = turns.iter().collect();
        store.put_responses(&rows).await.unwrap();
        let newest = 100 + (RESPONSE_CHUNK * 2 + 4) as i64;
        for row in &turns[1..turns.len() - 1] {
            let mut expected = row.clone();
            expected.expires_at = newest;
            assert_eq!(
                store.response(&row.response_id, 0).await.unwrap(),
                Some(expected)
            );
        }
        // Overwritten by its second write, and then its expiry moved with its
        // conversation's newest turn.
        again.expires_at = newest;
        assert_eq!(store.response("r0", 0).await.unwrap(), Some(again));
        // Written again in a later batch: the last write still wins.
        let third = turn("r0", "c", None, newest + 1);
        store.put_responses(&[&third]).await.unwrap();
        assert_eq!(store.response("r0", 0).await.unwrap(), Some(third));
    }
}
