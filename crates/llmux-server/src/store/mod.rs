//! The tenancy store: virtual keys, teams, users and spend logs, through sqlx's `Any`
//! driver, so one set of queries and one migration serve SQLite (the embedded default)
//! and PostgreSQL (several instances). Queries use `$N` placeholders in order, which
//! both drivers read; times are Unix milliseconds, booleans 0/1, JSON is TEXT.
//!
//! The store is never on a request's path: the auth cache (`crate::keys`) loads a key
//! once, and spend is written by the batched writer. A database that is down at start-up
//! does not stop the gateway: the pool is lazy, the migration task retries with backoff,
//! and every call answers [`StoreError::Unavailable`] until it has run.

mod records;
mod responses;

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{AnyPool, Row};

pub use records::{KeyRecord, SpendRow, TeamRecord, UserRecord};
pub use responses::{Presence, ResponseRow};

/// The schema, embedded: a binary needs no migrations folder beside it.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "keys teams users spend",
        include_str!("../../migrations/0001_keys_teams_users_spend.sql"),
    ),
    (
        2,
        "responses",
        include_str!("../../migrations/0002_responses.sql"),
    ),
];

/// Longest wait between two tries to reach the database.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Not reachable (yet): start-up still trying, or the database went away.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database answered with an error.
    #[error("database error: {0}")]
    Query(String),
    /// A stored value could not be read back.
    #[error("stored value unreadable: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => Self::Unavailable(e.to_string()),
            // Connection lost, server shutting down, out of resources, a rolled-back
            // transaction (SQLSTATE classes 08, 57, 53, 40), SQLite busy or locked: worth
            // another try later, like an unreachable server.
            sqlx::Error::Database(ref d)
                if d.code().is_some_and(|c| {
                    ["08", "57", "53", "40"].iter().any(|p| c.starts_with(p))
                        || c == "5"
                        || c == "6"
                }) =>
            {
                Self::Unavailable(e.to_string())
            }
            other => Self::Query(other.to_string()),
        }
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// The database behind the tenancy API.
pub struct Store {
    pool: AnyPool,
    backend: &'static str,
    /// Migrations have run: the schema is there.
    ready: AtomicBool,
    /// The last operation reached the database.
    connected: AtomicBool,
    /// Statements sent, by what asked: auth loads (the request path's misses), and
    /// everything else. Tests read them to prove cache hits cost no round trip.
    auth_reads: AtomicU64,
    other_queries: AtomicU64,
}

impl std::fmt::Debug for Store {
    /// Without the URL: it carries the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("ready", &self.ready.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// `sqlite:` or `postgres:`; anything else is refused at start-up.
fn backend_of(url: &str) -> Option<&'static str> {
    if url.starts_with("sqlite:") {
        Some("sqlite")
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Some("postgres")
    } else {
        None
    }
}

impl Store {
    /// Opens the store at `url` without waiting for it: the first connection and the
    /// migrations happen on a task that retries with backoff until they succeed. Must run
    /// inside a Tokio runtime.
    pub fn open(url: &str, max_connections: u32) -> std::result::Result<Arc<Self>, String> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(url).ok_or_else(|| {
            "database_url must start with sqlite:, postgres: or postgresql:".to_owned()
        })?;
        let url = if backend == "sqlite" && !url.contains("mode=") {
            // Created when missing: the embedded default needs no setup.
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
        } else {
            url.to_owned()
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == "sqlite" {
                1
            } else {
                max_connections.max(1)
            })
            .acquire_timeout(Duration::from_secs(2))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == "sqlite" {
                        // A write-ahead log, synced at checkpoints rather than at every
                        // commit: SQLite's recommended setting, safe from corruption and
                        // from a crash of the process (a power loss may lose the last
                        // commits); readers never wait for the writer.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_lazy(&url)
            .map_err(|e| format!("database_url unusable: {e}"))?;
        let store = Arc::new(Self {
            pool,
            backend,
            ready: AtomicBool::new(false),
            connected: AtomicBool::new(false),
            auth_reads: AtomicU64::new(0),
            other_queries: AtomicU64::new(0),
        });
        tokio::runtime::Handle::try_current()
            .map_err(|_| "the store must be opened inside a Tokio runtime".to_owned())?
            .spawn(migrate_until_ready(Arc::downgrade(&store)));
        Ok(store)
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Reachable and migrated, as of the last operation.
    pub fn connected(&self) -> bool {
        self.ready.load(Ordering::Acquire) && self.connected.load(Ordering::Acquire)
    }

    /// Statements sent to load keys and teams for the auth cache.
    pub fn auth_reads(&self) -> u64 {
        self.auth_reads.load(Ordering::Relaxed)
    }

    /// Every other statement (management, spend).
    pub fn other_queries(&self) -> u64 {
        self.other_queries.load(Ordering::Relaxed)
    }

    /// Waits until the migrations have run (tests; start-up logs).
    pub async fn wait_ready(&self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while !self.ready.load(Ordering::Acquire) {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    fn check_ready(&self) -> Result<()> {
        if self.ready.load(Ordering::Acquire) {
            Ok(())
        } else {
            Err(StoreError::Unavailable(
                "the database has not been reached yet".into(),
            ))
        }
    }

    /// Records whether an operation reached the database.
    fn seen<T>(&self, r: std::result::Result<T, sqlx::Error>) -> Result<T> {
        let r = r.map_err(StoreError::from);
        let reached = !matches!(r, Err(StoreError::Unavailable(_)));
        if self.connected.swap(reached, Ordering::AcqRel) != reached {
            if reached {
                tracing::info!(backend = self.backend, "database reachable again");
            } else {
                tracing::warn!(backend = self.backend, "database unreachable");
            }
        }
        r
    }

    fn count(&self, auth: bool) {
        if auth {
            self.auth_reads.fetch_add(1, Ordering::Relaxed);
        } else {
            self.other_queries.fetch_add(1, Ordering::Relaxed);
        }
    }

    // ---- keys ----

    pub async fn insert_key(&self, k: &KeyRecord) -> Result<()> {
        self.check_ready()?;
        self.count(false);
        let q = records::bind_key(query(records::INSERT_KEY), k);
        self.seen(q.execute(&self.pool).await).map(drop)
    }

    /// The key whose sha256 is `token`; `auth` counts it as a request-path load.
    pub async fn key(&self, token: &str, auth: bool) -> Result<Option<KeyRecord>> {
        self.check_ready()?;
        self.count(auth);
        let row = self.seen(
            query("SELECT * FROM llmux_keys WHERE token = $1")
                .bind(token)
                .fetch_optional(&self.pool)
                .await,
        )?;
        row.as_ref().map(records::key_from_row).transpose()
    }

    /// Writes every column of `k` but `spend`, which only the spend writer (and
    /// [`Store::set_key_spend`]) moves.
    pub async fn update_key(&self, k: &KeyRecord) -> Result<bool> {
        self.check_ready()?;
        self.count(false);
        let q = records::bind_key_update(query(records::UPDATE_KEY), k);
        Ok(self.seen(q.execute(&self.pool).await)?.rows_affected() > 0)
    }

    pub async fn set_key_spend(&self, token: &str, spend: f64) -> Result<()> {
        self.check_ready()?;
        self.count(false);
        self.seen(
            query("UPDATE llmux_keys SET spend = $1 WHERE token = $2")
                .bind(spend)
                .bind(token)
                .execute(&self.pool)
                .await,
        )
        .map(drop)
    }

    /// Replaces the key `old` by `new` (a regenerated key) in one transaction.
    pub async fn replace_key(&self, old: &str, new: &KeyRecord) -> Result<bool> {
        self.check_ready()?;
        self.count(false);
        let mut tx = self.seen(self.pool.begin().await)?;
        let gone = self.seen(
            query("DELETE FROM llmux_keys WHERE token = $1")
                .bind(old)
                .execute(&mut *tx)
                .await,
        )?;
        if gone.rows_affected() == 0 {
            return Ok(false);
        }
        let q = records::bind_key(query(records::INSERT_KEY), new);
        self.seen(q.execute(&mut *tx).await)?;
        self.seen(tx.commit().await)?;
        Ok(true)
    }

    /// Deletes the keys; returns those that existed.
    pub async fn delete_keys(&self, tokens: &[String]) -> Result<Vec<String>> {
        self.check_ready()?;
        let mut deleted = Vec::new();
        for t in tokens {
            self.count(false);
            let r = self.seen(
                query("DELETE FROM llmux_keys WHERE token = $1")
                    .bind(t)
                    .execute(&self.pool)
                    .await,
            )?;
            if r.rows_affected() > 0 {
                deleted.push(t.clone());
            }
        }
        Ok(deleted)
    }

    /// Tokens of the keys with this alias.
    pub async fn tokens_with_alias(&self, alias: &str) -> Result<Vec<String>> {
        self.check_ready()?;
        self.count(false);
        let rows = self.seen(
            query("SELECT token FROM llmux_keys WHERE key_alias = $1")
                .bind(alias)
                .fetch_all(&self.pool)
                .await,
        )?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("token").map_err(corrupt))
            .collect()
    }

    /// One page of keys (1-based `page`), newest first, and the total count.
    pub async fn list_keys(
        &self,
        filter: &KeyFilter,
        page: u64,
        size: u64,
    ) -> Result<(Vec<KeyRecord>, u64)> {
        self.check_ready()?;
        self.count(false);
        let (where_sql, args) = filter.sql();
        let total: i64 = {
            let sql = format!("SELECT COUNT(*) AS n FROM llmux_keys{where_sql}");
            let mut q = query(&sql);
            for a in &args {
                q = q.bind(a.clone());
            }
            let row = self.seen(q.fetch_one(&self.pool).await)?;
            row.try_get("n").map_err(corrupt)?
        };
        let offset = page.saturating_sub(1).saturating_mul(size);
        let n = args.len();
        let sql = format!(
            "SELECT * FROM llmux_keys{where_sql} ORDER BY created_at DESC, token LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let mut q = query(&sql);
        for a in &args {
            q = q.bind(a.clone());
        }
        let q = q
            .bind(i64::try_from(size).unwrap_or(i64::MAX))
            .bind(i64::try_from(offset).unwrap_or(i64::MAX));
        let rows = self.seen(q.fetch_all(&self.pool).await)?;
        let keys = rows
            .iter()
            .map(records::key_from_row)
            .collect::<Result<_>>()?;
        Ok((keys, u64::try_from(total).unwrap_or(0)))
    }

    // ---- teams ----

    pub async fn insert_team(&self, t: &TeamRecord) -> Result<()> {
        self.check_ready()?;
        self.count(false);
        let q = records::bind_team(query(records::INSERT_TEAM), t);
        self.seen(q.execute(&self.pool).await).map(drop)
    }

    pub async fn team(&self, team_id: &str, auth: bool) -> Result<Option<TeamRecord>> {
        self.check_ready()?;
        self.count(auth);
        let row = self.seen(
            query("SELECT * FROM llmux_teams WHERE team_id = $1")
                .bind(team_id)
                .fetch_optional(&self.pool)
                .await,
        )?;
        row.as_ref().map(records::team_from_row).transpose()
    }

    pub async fn update_team(&self, t: &TeamRecord) -> Result<bool> {
        self.check_ready()?;
        self.count(false);
        let q = records::bind_team_update(query(records::UPDATE_TEAM), t);
        Ok(self.seen(q.execute(&self.pool).await)?.rows_affected() > 0)
    }

    pub async fn delete_teams(&self, ids: &[String]) -> Result<Vec<String>> {
        self.check_ready()?;
        let mut deleted = Vec::new();
        for id in ids {
            self.count(false);
            let r = self.seen(
                query("DELETE FROM llmux_teams WHERE team_id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await,
            )?;
            if r.rows_affected() > 0 {
                deleted.push(id.clone());
            }
        }
        Ok(deleted)
    }

    // ---- users ----

    pub async fn insert_user(&self, u: &UserRecord) -> Result<()> {
        self.check_ready()?;
        self.count(false);
        let q = records::bind_user(query(records::INSERT_USER), u);
        self.seen(q.execute(&self.pool).await).map(drop)
    }

    pub async fn user(&self, user_id: &str) -> Result<Option<UserRecord>> {
        self.check_ready()?;
        self.count(false);
        let row = self.seen(
            query("SELECT * FROM llmux_users WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await,
        )?;
        row.as_ref().map(records::user_from_row).transpose()
    }

    pub async fn update_user(&self, u: &UserRecord) -> Result<bool> {
        self.check_ready()?;
        self.count(false);
        let q = records::bind_user_update(query(records::UPDATE_USER), u);
        Ok(self.seen(q.execute(&self.pool).await)?.rows_affected() > 0)
    }

    pub async fn delete_users(&self, ids: &[String]) -> Result<Vec<String>> {
        self.check_ready()?;
        let mut deleted = Vec::new();
        for id in ids {
            self.count(false);
            let r = self.seen(
                query("DELETE FROM llmux_users WHERE user_id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await,
            )?;
            if r.rows_affected() > 0 {
                deleted.push(id.clone());
            }
        }
        Ok(deleted)
    }

    // ---- spend ----

    /// Writes a batch in one transaction: every spend-log row (a row already there, from
    /// a batch retried after a lost commit answer, is kept once) and the spend it adds
    /// to its key, team and user; then the budget resets.
    ///
    /// The rows go in multi-row `INSERT`s of [`SPEND_CHUNK`] rows at most (one statement,
    /// one round trip to the database, per chunk rather than per row). When a chunk
    /// inserts fewer rows than it has, some were there already and which ones is not
    /// known: the transaction is rolled back and the batch written row by row, which
    /// tells.
    pub async fn write_spend(&self, rows: &[SpendRow], resets: &[BudgetReset]) -> Result<()> {
        self.check_ready()?;
        self.count(false);
        if self.write_spend_tx(rows, resets, false).await? {
            return Ok(());
        }
        self.count(false);
        self.write_spend_tx(rows, resets, true).await.map(drop)
    }

    /// One try of [`Store::write_spend`]; `Ok(false)`: a chunk met a row already
    /// written, nothing was committed.
    async fn write_spend_tx<'a>(
        &self,
        rows: &'a [SpendRow],
        resets: &[BudgetReset],
        row_by_row: bool,
    ) -> Result<bool> {
        let mut tx = self.seen(self.pool.begin().await)?;
        // A batch is mostly a few keys' rows: their spend is added once per key, team
        // and user, not once per row (in order of first appearance, so the statements a
        // batch sends do not depend on hashing).
        let mut added: Vec<(&'static str, &str, f64)> = Vec::new();
        let mut add = |r: &'a SpendRow| {
            let mut one = |table: &'static str, id: &'a str| match added
                .iter_mut()
                .find(|(t, i, _)| *t == table && *i == id)
            {
                Some(entry) => entry.2 += r.spend,
                None => added.push((table, id, r.spend)),
            };
            one(KEY_SPEND, &r.api_key);
            if let Some(team) = &r.team_id {
                one(TEAM_SPEND, team);
            }
            if let Some(user) = &r.user_id {
                one(USER_SPEND, user);
            }
        };
        if row_by_row {
            for r in rows {
                let inserted = self.seen(
                    records::bind_spend(self.hot_query(records::INSERT_SPEND), r)
                        .execute(&mut *tx)
                        .await,
                )?;
                if inserted.rows_affected() > 0 {
                    add(r);
                }
            }
        } else {
            for chunk in rows.chunks(SPEND_CHUNK) {
                let sql = records::insert_spend_sql(chunk.len(), self.backend != "sqlite");
                let mut q = self.hot_query(&sql);
                for r in chunk {
                    q = records::bind_spend(q, r);
                }
                let inserted = self.seen(q.execute(&mut *tx).await)?;
                if inserted.rows_affected() != chunk.len() as u64 {
                    self.seen(tx.rollback().await)?;
                    return Ok(false);
                }
                chunk.iter().for_each(&mut add);
            }
        }
        for (sql, id, spend) in added {
            self.seen(
                self.hot_query(sql)
                    .bind(spend)
                    .bind(id)
                    .execute(&mut *tx)
                    .await,
            )?;
        }
        for reset in resets {
            let sql = match reset.entity {
                Entity::Key => {
                    "UPDATE llmux_keys SET spend = 0, budget_reset_at = $1 WHERE token = $2 AND (budget_reset_at IS NULL OR budget_reset_at < $3)"
                }
                Entity::Team => {
                    "UPDATE llmux_teams SET spend = 0, budget_reset_at = $1 WHERE team_id = $2 AND (budget_reset_at IS NULL OR budget_reset_at < $3)"
                }
            };
            self.seen(
                query(sql)
                    .bind(reset.next_reset_at)
                    .bind(&reset.id)
                    .bind(reset.next_reset_at)
                    .execute(&mut *tx)
                    .await,
            )?;
        }
        self.seen(tx.commit().await)?;
        Ok(true)
    }

    /// Spend-log rows, newest first, at most `limit`.
    pub async fn spend_logs(&self, filter: &SpendFilter, limit: u64) -> Result<Vec<SpendRow>> {
        self.check_ready()?;
        self.count(false);
        let mut clauses = Vec::new();
        let mut args: Vec<Arg> = Vec::new();
        if let Some(k) = &filter.api_key {
            args.push(Arg::Text(k.clone()));
            clauses.push(format!("api_key = ${}", args.len()));
        }
        if let Some(t) = &filter.team_id {
            args.push(Arg::Text(t.clone()));
            clauses.push(format!("team_id = ${}", args.len()));
        }
        if let Some(u) = &filter.user_id {
            args.push(Arg::Text(u.clone()));
            clauses.push(format!("user_id = ${}", args.len()));
        }
        if let Some(r) = &filter.request_id {
            args.push(Arg::Text(r.clone()));
            clauses.push(format!("request_id = ${}", args.len()));
        }
        if let Some(s) = filter.start_ms {
            args.push(Arg::Int(s));
            clauses.push(format!("start_time >= ${}", args.len()));
        }
        if let Some(e) = filter.end_ms {
            args.push(Arg::Int(e));
            clauses.push(format!("start_time <= ${}", args.len()));
        }
        let where_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        let sql = format!(
            "SELECT * FROM llmux_spend_logs{where_sql} ORDER BY start_time DESC LIMIT ${}",
            args.len() + 1
        );
        let mut q = query(&sql);
        for a in args {
            q = a.bind(q);
        }
        let q = q.bind(i64::try_from(limit).unwrap_or(i64::MAX));
        let rows = self.seen(q.fetch_all(&self.pool).await)?;
        rows.iter().map(records::spend_from_row).collect()
    }
}

/// A budget period that ended: the entity's spend goes back to 0 and its next reset is
/// stored.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetReset {
    pub entity: Entity,
    pub id: String,
    pub next_reset_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Key,
    Team,
}

/// `/key/list` filters.
#[derive(Debug, Default, Clone)]
pub struct KeyFilter {
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    pub key_alias: Option<String>,
}

impl KeyFilter {
    fn sql(&self) -> (String, Vec<String>) {
        let mut clauses = Vec::new();
        let mut args = Vec::new();
        for (col, v) in [
            ("team_id", &self.team_id),
            ("user_id", &self.user_id),
            ("key_alias", &self.key_alias),
        ] {
            if let Some(v) = v {
                args.push(v.clone());
                clauses.push(format!("{col} = ${}", args.len()));
            }
        }
        if clauses.is_empty() {
            (String::new(), args)
        } else {
            (format!(" WHERE {}", clauses.join(" AND ")), args)
        }
    }
}

/// `/spend/logs` filters.
#[derive(Debug, Default, Clone)]
pub struct SpendFilter {
    pub api_key: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    pub request_id: Option<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
}

enum Arg {
    Text(String),
    Int(i64),
}

impl Arg {
    fn bind<'q>(
        self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        match self {
            Self::Text(s) => q.bind(s),
            Self::Int(i) => q.bind(i),
        }
    }
}

/// Spend-log rows in one `INSERT` at most: 13 parameters a row, 832 in all, under the
/// 999 that SQLite builds older than 3.32 allow in one statement.
const SPEND_CHUNK: usize = 64;

const KEY_SPEND: &str = "UPDATE llmux_keys SET spend = spend + $1 WHERE token = $2";
const TEAM_SPEND: &str = "UPDATE llmux_teams SET spend = spend + $1 WHERE team_id = $2";
const USER_SPEND: &str = "UPDATE llmux_users SET spend = spend + $1 WHERE user_id = $2";

impl Store {
    /// A statement of the spend writer, sent for every row: kept prepared on SQLite
    /// (dynamically typed, so the `NULL` problem of [`query`] cannot arise), which
    /// spares parsing the SQL again per row.
    fn hot_query<'q>(
        &self,
        sql: &'q str,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        sqlx::query(sql).persistent(self.backend == "sqlite")
    }
}

/// A statement that is not kept prepared: through `Any`, PostgreSQL would keep the
/// parameter types of the first execution, and a `NULL` bound there fixes a type that a
/// later value does not fit ("incorrect binary data format").
fn query(sql: &str) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
    sqlx::query(sql).persistent(false)
}

fn corrupt(e: sqlx::Error) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// The embedded migrations, as sqlx's migrator reads them.
#[derive(Debug)]
struct Embedded;

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> BoxFuture<'s, std::result::Result<Vec<Migration>, sqlx::error::BoxDynError>> {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// Connects and migrates, retrying with backoff (100 ms doubling to 5 s) until it
/// succeeds or the store is dropped.
async fn migrate_until_ready(store: std::sync::Weak<Store>) {
    let mut backoff = Duration::from_millis(100);
    let mut logged = false;
    loop {
        let Some(s) = store.upgrade() else { return };
        let outcome = match Migrator::new(Embedded).await {
            Ok(m) => m.run(&s.pool).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match outcome {
            Ok(()) => {
                s.ready.store(true, Ordering::Release);
                s.connected.store(true, Ordering::Release);
                tracing::info!(backend = s.backend, "database ready (migrations applied)");
                return;
            }
            Err(e) => {
                if !logged {
                    tracing::warn!(backend = s.backend, error = %e, "database not reachable at start-up; retrying with backoff (the master key works meanwhile)");
                    logged = true;
                }
            }
        }
        drop(s);
        tokio::time::sleep(backoff).await;
        backoff = backoff.saturating_mul(2).min(MAX_BACKOFF);
    }
}

/// Reads a row's column, naming the column when it is unreadable.
pub(crate) fn get<'r, T>(row: &'r AnyRow, col: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(col)
        .map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(token: &str) -> KeyRecord {
        KeyRecord {
            token: token.into(),
            key_name: "sk-...test".into(),
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
            metadata: serde_json::json!({}),
            created_at: 1,
            updated_at: 1,
        }
    }

    fn row(i: usize, api_key: &str) -> SpendRow {
        SpendRow {
            request_id: format!("req-{i}"),
            api_key: api_key.into(),
            team_id: None,
            user_id: i.is_multiple_of(2).then(|| "u".to_owned()),
            model: "openai/gpt-4o-mini".into(),
            model_group: "gpt".into(),
            call_type: "acompletion".into(),
            spend: 0.25,
            prompt_tokens: 1,
            completion_tokens: 2,
            total_tokens: 3,
            start_time: 10,
            end_time: 20,
        }
    }

    async fn sqlite() -> Arc<Store> {
        let dir = std::env::temp_dir().join(format!("llmux-store-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/keys.db", dir.display());
        let store = Store::open(&url, 1).unwrap();
        assert!(store.wait_ready(Duration::from_secs(10)).await);
        store
    }

    #[tokio::test]
    async fn spend_batches_go_in_chunks_and_a_retried_row_counts_once() {
        let store = sqlite().await;
        store.insert_key(&key("k")).await.unwrap();
        // More rows than one chunk holds: three multi-row statements.
        let first: Vec<SpendRow> = (0..SPEND_CHUNK * 2 + 3).map(|i| row(i, "k")).collect();
        store.write_spend(&first, &[]).await.unwrap();
        let logged = store
            .spend_logs(&SpendFilter::default(), 10_000)
            .await
            .unwrap();
        assert_eq!(logged.len(), first.len());
        let spend = store.key("k", false).await.unwrap().unwrap().spend;
        assert!((spend - 0.25 * first.len() as f64).abs() < 1e-9, "{spend}");
        let mut sorted = logged.clone();
        sorted.sort_by_key(|r| r.request_id.clone());
        let mut expected = first.clone();
        expected.sort_by_key(|r| r.request_id.clone());
        assert_eq!(sorted, expected, "every column of every row as bound");
        // A batch retried after a lost commit answer: two of its rows are there already.
        // Only the three new ones are logged and add to the key's spend.
        let n = first.len();
        let retried: Vec<SpendRow> = (n - 2..n + 3).map(|i| row(i, "k")).collect();
        store.write_spend(&retried, &[]).await.unwrap();
        let logged = store
            .spend_logs(&SpendFilter::default(), 10_000)
            .await
            .unwrap();
        assert_eq!(logged.len(), n + 3);
        let spend = store.key("k", false).await.unwrap().unwrap().spend;
        assert!((spend - 0.25 * (n + 3) as f64).abs() < 1e-9, "{spend}");
        // The user's spend: every other row names it.
        store
            .insert_user(&UserRecord {
                user_id: "v".into(),
                user_email: None,
                user_role: None,
                models: Vec::new(),
                max_budget: None,
                spend: 0.0,
                metadata: serde_json::json!({}),
                created_at: 1,
                updated_at: 1,
            })
            .await
            .unwrap();
        let mut dup = row(n + 10, "k");
        dup.user_id = Some("v".into());
        // The same request id twice in one batch (a client's reused call id): one row.
        store.write_spend(&[dup.clone(), dup], &[]).await.unwrap();
        let user = store.user("v").await.unwrap().unwrap();
        assert!((user.spend - 0.25).abs() < 1e-9, "{}", user.spend);
    }
}
