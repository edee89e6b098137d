//! The gateway's store of Responses: what `previous_response_id`, `GET
//! /v1/responses/{id}` and `…/input_items` read.
//!
//! Written before the client gets the answer (for streams: before the terminal event is
//! sent), so a follow-up turn sent the moment the first one completes finds it (LiteLLM
//! rebuilds it from spend logs written asynchronously, so for about 10 s it does not,
//! its #28587). In memory, bounded by the bytes it holds, with a time to live; a response
//! belongs to the key that created it (its sha256), and any other key gets a 404.
//!
//! With the tenancy database (`crate::store`: SQLite, or PostgreSQL shared by several
//! instances) every turn is also written there before its answer goes out, by one
//! writer task that commits the turns of concurrent requests together (a group commit:
//! one transaction per batch, not per request), and the database is what says whether a
//! turn exists: a turn made on one instance is found on another, a turn deleted on one is
//! gone on all, and turns outlive a restart. Memory then only spares a follow-up turn the
//! reading of the earlier turns' content. A database that cannot be reached never fails
//! an answer: the turn is kept in memory and written when it is back (one try in the
//! background); reads that need it answer 503.
//!
//! Each response keeps only its own input and output, and a link to the response it
//! followed: a conversation of N turns costs N turns of memory, not N², and the link
//! keeps the earlier turns readable for as long as a later one is.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use llmux::ResponseItem;
use moka::sync::Cache;
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};

use crate::store::{Presence, ResponseRow, Store, StoreError};

/// Bytes of responses kept at most (the least recently used go first).
pub const DEFAULT_CAPACITY_BYTES: u64 = 256 * 1024 * 1024;
/// How long a response is kept after it was written.
pub const DEFAULT_TTL: Duration = Duration::from_secs(6 * 60 * 60);
/// Longest wait for the database to take a turn before the answer goes out without it.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// Most earlier turns read back from the database for one conversation.
const MAX_TURNS: usize = 1_000;
/// How often expired turns are removed from the database.
const PURGE_EVERY: Duration = Duration::from_secs(10 * 60);
/// Turns waiting for the writer at most; beyond it a turn stays in memory only.
const WRITE_QUEUE: usize = 10_000;
/// Turns committed in one transaction at most.
const MAX_BATCH: usize = 256;
/// Times the writer yields to gather more turns before it commits a batch.
const GATHER_YIELDS: usize = 2;

/// A turn for the writer, and who waits for its commit.
struct Write {
    row: ResponseRow,
    done: Option<oneshot::Sender<Result<(), String>>>,
}

/// One stored response.
#[derive(Debug)]
pub struct StoredResponse {
    /// Its id (`resp_…`).
    pub id: String,
    /// Who created it: the sha256 hex of the caller's key (empty: no key), never the key.
    pub owner: String,
    /// The first turn's id: what every turn of this conversation shares.
    pub conversation: String,
    /// The response object as the client got it, as JSON bytes: a tenth of the memory
    /// of a `Value` tree, and `GET` sends it as it is.
    pub response: bytes::Bytes,
    /// Its output items (as the next turn's history replays them).
    pub output: Vec<ResponseItem>,
    /// Its own input items, with ids.
    pub input: Vec<ResponseItem>,
    /// The response it continued (`previous_response_id`).
    pub previous: Option<Arc<StoredResponse>>,
    /// The deployment that answered natively (it holds the conversation itself), if
    /// one did.
    pub native_deployment: Option<String>,
}

impl StoredResponse {
    /// The whole conversation through this response, oldest first: every earlier
    /// turn's input and output, then this one's.
    pub fn conversation(&self) -> Vec<ResponseItem> {
        let mut turns = vec![self];
        let mut at = self;
        while let Some(previous) = &at.previous {
            turns.push(previous);
            at = previous;
        }
        let len = turns
            .iter()
            .map(|t| t.input.len().saturating_add(t.output.len()))
            .sum();
        let mut all = Vec::with_capacity(len);
        for turn in turns.iter().rev() {
            all.extend(turn.input.iter().cloned());
            all.extend(turn.output.iter().cloned());
        }
        all
    }

    /// About how many bytes it holds (its own turn; earlier turns are weighed in
    /// their own entries).
    fn weight(&self) -> u32 {
        let mut counter = ByteCounter(self.response.len());
        let _ = serde_json::to_writer(&mut counter, &self.input);
        // The output is the response's `output` again.
        let doubled = counter.0.saturating_add(counter.0 / 2);
        u32::try_from(doubled).unwrap_or(u32::MAX)
    }

    /// A turn read back from the database, on top of the turn it continued.
    fn from_row(
        row: ResponseRow,
        previous: Option<Arc<StoredResponse>>,
    ) -> Result<Self, StoreError> {
        #[derive(Deserialize)]
        struct Output {
            #[serde(default)]
            output: Vec<ResponseItem>,
        }
        let id = row.response_id.clone();
        let corrupt = |what: &str, e: serde_json::Error| {
            StoreError::Corrupt(format!("response {id}: {what}: {e}"))
        };
        let output = serde_json::from_str::<Output>(&row.response)
            .map_err(|e| corrupt("response", e))?
            .output;
        let input = serde_json::from_str(&row.input).map_err(|e| corrupt("input", e))?;
        Ok(Self {
            id: row.response_id,
            owner: row.owner,
            conversation: row.conversation_id,
            response: row.response.into(),
            output,
            input,
            previous,
            native_deployment: row.native_deployment,
        })
    }
}

/// Counts the bytes written to it.
struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 = self.0.saturating_add(buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The store: memory, and the database when there is one.
pub struct ResponseStore {
    entries: Cache<String, Arc<StoredResponse>>,
    ttl: Duration,
    db: Option<Arc<Store>>,
    /// The writer task's queue (there when `db` is).
    writer: Option<mpsc::Sender<Write>>,
    /// Turns the database did not take when they were written.
    db_write_failures: AtomicU64,
    /// The last write failed (the next failure is not logged again).
    failing: AtomicBool,
}

impl std::fmt::Debug for ResponseStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseStore")
            .field("entries", &self.entries.entry_count())
            .field("database", &self.db.as_ref().map(|d| d.backend()))
            .finish()
    }
}

impl Default for ResponseStore {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY_BYTES, DEFAULT_TTL)
    }
}

/// Unix milliseconds now.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)
}

impl ResponseStore {
    /// A store in memory holding about `capacity_bytes` of responses, each for `ttl`.
    pub fn new(capacity_bytes: u64, ttl: Duration) -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(capacity_bytes)
                .weigher(|_, v: &Arc<StoredResponse>| v.weight())
                .time_to_live(ttl)
                .build(),
            ttl,
            db: None,
            writer: None,
            db_write_failures: AtomicU64::new(0),
            failing: AtomicBool::new(false),
        }
    }

    /// The same store, written through to `db`, which then says what exists: its
    /// writer task starts, and a task removes expired turns every ten minutes. Outside
    /// a Tokio runtime (where no store can be opened) the store stays in memory.
    pub fn with_database(mut self, db: Arc<Store>) -> Self {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("stored responses stay in memory: no runtime for their writer");
            return self;
        };
        let (tx, rx) = mpsc::channel(WRITE_QUEUE);
        rt.spawn(write_batches(Arc::clone(&db), rx));
        rt.spawn(purge_expired(Arc::downgrade(&db)));
        self.writer = Some(tx);
        self.db = Some(db);
        self
    }

    /// Turns the database did not take when they were written.
    pub fn db_write_failures(&self) -> u64 {
        self.db_write_failures.load(Ordering::Relaxed)
    }

    /// The owner id of a caller presenting `key` (`None`: no key): the key's sha256,
    /// the same on every instance.
    pub fn owner(key: Option<&str>) -> String {
        key.map(crate::keys::token::hash).unwrap_or_default()
    }

    /// Keeps `stored` under `id`: on this instance as soon as this is called, and on
    /// every instance once it returns, unless the database is unreachable.
    pub async fn put(&self, stored: StoredResponse) {
        let stored = Arc::new(stored);
        self.entries.insert(stored.id.clone(), Arc::clone(&stored));
        let (Some(db), Some(writer)) = (&self.db, &self.writer) else {
            return;
        };
        let now = now_ms();
        let Ok(input) = serde_json::to_string(&stored.input) else {
            return;
        };
        let row = ResponseRow {
            previous_response_id: stored.previous.as_ref().map(|p| p.id.clone()),
            response_id: stored.id.clone(),
            owner: stored.owner.clone(),
            conversation_id: stored.conversation.clone(),
            native_deployment: stored.native_deployment.clone(),
            response: String::from_utf8_lossy(&stored.response).into_owned(),
            input,
            deleted: false,
            created_at: now,
            expires_at: now.saturating_add(ttl_ms(self.ttl)),
        };
        // Down: the answer does not wait; the writer still tries (which is also what
        // tells the store the database is back).
        let wait = db.connected();
        let (done, committed) = oneshot::channel();
        let write = Write {
            row,
            done: wait.then_some(done),
        };
        if writer.try_send(write).is_err() {
            self.write_failed("the writer's queue is full");
            return;
        }
        if !wait {
            self.write_failed("database unreachable");
            return;
        }
        match tokio::time::timeout(WRITE_TIMEOUT, committed).await {
            Ok(Ok(Ok(()))) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("stored responses reach the database again");
                }
            }
            Ok(Ok(Err(e))) => self.write_failed(&e),
            Ok(Err(_)) => self.write_failed("the writer stopped"),
            Err(_) => self.write_failed("timed out"),
        }
    }

    fn write_failed(&self, error: &str) {
        self.db_write_failures.fetch_add(1, Ordering::Relaxed);
        if !self.failing.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                error,
                "a stored response was not written to the database: it is kept in this instance's memory only"
            );
        }
    }

    /// The response `id` if `owner` created it (and did not delete it).
    pub async fn get(
        &self,
        id: &str,
        owner: &str,
    ) -> Result<Option<Arc<StoredResponse>>, StoreError> {
        let Some(db) = &self.db else {
            return Ok(self.entries.get(id).filter(|s| s.owner == owner));
        };
        let now = now_ms();
        match db.response_presence(id, owner, now).await? {
            Presence::Present => {}
            Presence::OtherOwner => return Ok(None),
            Presence::Absent => {
                self.entries.invalidate(id);
                return Ok(None);
            }
        }
        if let Some(s) = self.entries.get(id).filter(|s| s.owner == owner) {
            return Ok(Some(s));
        }
        self.load(db, id, now).await
    }

    /// Reads the turn `id` and the turns before it that memory does not hold.
    async fn load(
        &self,
        db: &Store,
        id: &str,
        now: i64,
    ) -> Result<Option<Arc<StoredResponse>>, StoreError> {
        let mut rows = Vec::new();
        let mut base = None;
        let mut next = Some(id.to_owned());
        while let Some(at) = next.take() {
            if rows.len() >= MAX_TURNS {
                break;
            }
            if !rows.is_empty()
                && let Some(s) = self.entries.get(&at)
            {
                base = Some(s);
                break;
            }
            // An earlier turn that expired ends the history there.
            let Some(row) = db.response(&at, now).await? else {
                break;
            };
            next.clone_from(&row.previous_response_id);
            rows.push(row);
        }
        let mut turn = base;
        for row in rows.into_iter().rev() {
            let id = row.response_id.clone();
            let stored = Arc::new(StoredResponse::from_row(row, turn.take())?);
            self.entries.insert(id, Arc::clone(&stored));
            turn = Some(stored);
        }
        Ok(turn)
    }

    /// Removes the response `id` if `owner` created it; whether it was there.
    pub async fn delete(&self, id: &str, owner: &str) -> Result<bool, StoreError> {
        let Some(db) = &self.db else {
            if self.entries.get(id).is_none_or(|s| s.owner != owner) {
                return Ok(false);
            }
            self.entries.invalidate(id);
            return Ok(true);
        };
        let deleted = db.delete_response(id, owner, now_ms()).await?;
        if deleted {
            self.entries.invalidate(id);
        }
        Ok(deleted)
    }
}

/// Commits queued turns, as many together as are waiting, until the store is dropped.
async fn write_batches(db: Arc<Store>, mut queue: mpsc::Receiver<Write>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // Let the other workers' request tasks that are about to queue a turn do so: a
        // batch costs a round trip to the database whatever its size.
        for _ in 0..GATHER_YIELDS {
            if batch.len() >= MAX_BATCH {
                break;
            }
            tokio::task::yield_now().await;
            while batch.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(w) => batch.push(w),
                    Err(_) => break,
                }
            }
        }
        let rows: Vec<&ResponseRow> = batch.iter().map(|w| &w.row).collect();
        let outcome = db.put_responses(&rows).await.map_err(|e| e.to_string());
        for write in batch.drain(..) {
            if let Some(done) = write.done {
                let _ = done.send(outcome.clone());
            }
        }
    }
}

/// Removes expired turns every [`PURGE_EVERY`] until the store is dropped.
async fn purge_expired(db: Weak<Store>) {
    let mut every = tokio::time::interval(PURGE_EVERY);
    every.tick().await;
    loop {
        every.tick().await;
        let Some(db) = db.upgrade() else { return };
        match db.purge_responses(now_ms()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(removed = n, "expired stored responses removed"),
            Err(e) => tracing::debug!(error = %e, "expired stored responses not removed yet"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn items(v: Value) -> Vec<ResponseItem> {
        serde_json::from_value(v).unwrap()
    }

    fn turn(
        id: &str,
        owner: &str,
        text: &str,
        previous: Option<Arc<StoredResponse>>,
    ) -> StoredResponse {
        let output = items(json!([{"type": "message", "role": "assistant",
            "content": [{"type": "output_text", "text": format!("re: {text}")}]}]));
        StoredResponse {
            id: id.to_owned(),
            owner: owner.to_owned(),
            conversation: previous
                .as_ref()
                .map_or_else(|| id.to_owned(), |p| p.conversation.clone()),
            response: json!({"id": id, "output": output}).to_string().into(),
            output,
            input: items(json!([{"role": "user", "content": text}])),
            previous,
            native_deployment: None,
        }
    }

    fn texts(s: &StoredResponse) -> Vec<String> {
        s.conversation()
            .iter()
            .map(|i| serde_json::to_value(&i.content).unwrap().to_string())
            .collect()
    }

    #[tokio::test]
    async fn a_response_is_readable_at_once_and_only_by_its_owner() {
        let store = ResponseStore::default();
        let me = ResponseStore::owner(Some("sk-a"));
        let other = ResponseStore::owner(Some("sk-b"));
        assert_ne!(me, other);
        assert!(!me.contains("sk-a"));
        store.put(turn("resp_1", &me, "one", None)).await;
        assert!(store.get("resp_1", &me).await.unwrap().is_some());
        assert!(store.get("resp_1", &other).await.unwrap().is_none());
        assert!(!store.delete("resp_1", &other).await.unwrap());
        assert!(store.delete("resp_1", &me).await.unwrap());
        assert!(store.get("resp_1", &me).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_conversation_is_every_turn_in_order() {
        let store = ResponseStore::default();
        let me = ResponseStore::owner(None);
        store.put(turn("resp_1", &me, "one", None)).await;
        let first = store.get("resp_1", &me).await.unwrap();
        store.put(turn("resp_2", &me, "two", first)).await;
        let second = store.get("resp_2", &me).await.unwrap().unwrap();
        let texts = texts(&second);
        assert_eq!(texts.len(), 4);
        assert!(texts[0].contains("one") && texts[1].contains("re: one"));
        assert!(texts[2].contains("two") && texts[3].contains("re: two"));
    }

    #[tokio::test]
    async fn entries_expire_and_the_bound_is_in_bytes() {
        let store = ResponseStore::new(1 << 20, Duration::from_millis(50));
        let me = ResponseStore::owner(None);
        store.put(turn("resp_1", &me, "one", None)).await;
        assert!(store.get("resp_1", &me).await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert!(store.get("resp_1", &me).await.unwrap().is_none());

        let small = ResponseStore::new(2_000, DEFAULT_TTL);
        for n in 0..200 {
            small
                .put(turn(&format!("resp_{n}"), &me, &"x".repeat(100), None))
                .await;
        }
        small.entries.run_pending_tasks();
        assert!(small.entries.weighted_size() <= 2_000);
        assert!(small.entries.entry_count() < 200);
    }

    /// A SQLite store in a fresh temporary file, migrated.
    async fn database() -> Arc<Store> {
        static N: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "llmux-responses-{}-{}.db",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_file(&path);
        let db = Store::open(&format!("sqlite://{}", path.display()), 1).unwrap();
        assert!(db.wait_ready(Duration::from_secs(10)).await);
        db
    }

    #[tokio::test]
    async fn instances_on_one_database_share_turns_deletions_and_history() {
        let db = database().await;
        let a = ResponseStore::default().with_database(Arc::clone(&db));
        let b = ResponseStore::default().with_database(Arc::clone(&db));
        let me = ResponseStore::owner(Some("sk-me"));
        let other = ResponseStore::owner(Some("sk-other"));

        a.put(turn("resp_1", &me, "one", None)).await;
        let first = a.get("resp_1", &me).await.unwrap();
        a.put(turn("resp_2", &me, "two", first)).await;
        // Instance b never saw either turn: it reads them, history and all.
        let second = b.get("resp_2", &me).await.unwrap().unwrap();
        let texts = texts(&second);
        assert_eq!(texts.len(), 4, "{texts:?}");
        assert!(texts[0].contains("one") && texts[3].contains("re: two"));
        assert_eq!(second.conversation, "resp_1");
        assert!(b.get("resp_2", &other).await.unwrap().is_none());
        assert!(!b.delete("resp_2", &other).await.unwrap());

        // A third turn on b continues the conversation a started.
        b.put(turn("resp_3", &me, "three", Some(second))).await;
        assert_eq!(texts_of(&a, "resp_3", &me).await.len(), 6);

        // Deleted on b: gone on a too, though a holds it in memory; the later turn
        // still replays it as history.
        assert!(b.delete("resp_1", &me).await.unwrap());
        assert!(a.get("resp_1", &me).await.unwrap().is_none());
        assert!(!a.delete("resp_1", &me).await.unwrap());
        assert_eq!(texts_of(&a, "resp_3", &me).await.len(), 6);
        assert_eq!(a.db_write_failures(), 0);
        assert_eq!(b.db_write_failures(), 0);

        // An id issued again after its delete (a native upstream's) is stored again.
        a.put(turn("resp_1", &me, "again", None)).await;
        let again = b.get("resp_1", &me).await.unwrap().unwrap();
        assert!(self::texts(&again)[0].contains("again"));
    }

    async fn texts_of(store: &ResponseStore, id: &str, owner: &str) -> Vec<String> {
        texts(&store.get(id, owner).await.unwrap().unwrap())
    }

    #[tokio::test]
    async fn a_new_turn_keeps_its_whole_conversation_alive_in_the_database() {
        let db = database().await;
        let ttl = Duration::from_millis(600);
        let a = ResponseStore::new(1 << 20, ttl).with_database(Arc::clone(&db));
        let me = ResponseStore::owner(None);
        a.put(turn("resp_1", &me, "one", None)).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        let first = a.get("resp_1", &me).await.unwrap();
        a.put(turn("resp_2", &me, "two", first)).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        // resp_1's own time is up, but resp_2 extended it: a fresh instance reads both.
        let fresh = ResponseStore::default().with_database(Arc::clone(&db));
        assert_eq!(texts_of(&fresh, "resp_2", &me).await.len(), 4);
        assert!(fresh.get("resp_1", &me).await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(fresh.get("resp_2", &me).await.unwrap().is_none());
        assert_eq!(db.purge_responses(now_ms()).await.unwrap(), 2);
    }
}
