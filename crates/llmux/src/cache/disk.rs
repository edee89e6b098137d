//! The disk backend: one redb file (`{disk_cache_dir}/llmux-cache.redb`), kept across
//! restarts, bounded in size: past `disk_cache_size_limit` bytes the oldest entries go
//! first. Expired entries are not served (the cache checks each entry's expiry) and are
//! overwritten or evicted in time.
//!
//! redb reads and writes files, so every operation runs on Tokio's blocking pool, never
//! on a request's thread; each write is one transaction, durable when it commits.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use tokio::runtime::Handle;

use super::entry::CachedEntry;
use super::settings::CacheType;
use super::store::{CacheStore, Pending, StoreError};

/// Key → encoded entry.
const VALUES: TableDefinition<&str, &[u8]> = TableDefinition::new("values");
/// Write sequence → key: the eviction order (oldest first).
const ORDER: TableDefinition<u64, &str> = TableDefinition::new("order");
/// Key → its write sequence (to drop its old place in `ORDER` on overwrite).
const SEQS: TableDefinition<&str, u64> = TableDefinition::new("seqs");
/// `bytes` (sum of stored values), `next_seq`.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

pub struct DiskStore {
    db: Arc<Database>,
    max_bytes: u64,
    pending: Pending,
}

impl std::fmt::Debug for DiskStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiskStore")
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

fn store_err(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("disk cache: {e}"))
}

impl DiskStore {
    /// Opens (or creates) the cache file in `dir`.
    pub fn open(dir: &Path, max_bytes: u64) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join("llmux-cache.redb");
        let db = Database::create(&path)
            .map_err(|e| StoreError(format!("cannot open {}: {e}", path.display())))?;
        // Create the tables once, so that reads never meet a missing table.
        let txn = db.begin_write().map_err(store_err)?;
        {
            txn.open_table(VALUES).map_err(store_err)?;
            txn.open_table(ORDER).map_err(store_err)?;
            txn.open_table(SEQS).map_err(store_err)?;
            txn.open_table(META).map_err(store_err)?;
        }
        txn.commit().map_err(store_err)?;
        Ok(Self {
            db: Arc::new(db),
            max_bytes,
            pending: Pending::default(),
        })
    }

    /// Bytes stored now.
    pub fn stored_bytes(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(store_err)?;
        let meta = txn.open_table(META).map_err(store_err)?;
        Ok(meta
            .get("bytes")
            .map_err(store_err)?
            .map_or(0, |g| g.value()))
    }

    fn read(db: &Database, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = db.begin_read().map_err(store_err)?;
        let values = txn.open_table(VALUES).map_err(store_err)?;
        Ok(values
            .get(key)
            .map_err(store_err)?
            .map(|g| g.value().to_vec()))
    }

    fn write(db: &Database, max_bytes: u64, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let len = bytes.len() as u64;
        if len > max_bytes {
            return Ok(());
        }
        let txn = db.begin_write().map_err(store_err)?;
        {
            let mut values = txn.open_table(VALUES).map_err(store_err)?;
            let mut order = txn.open_table(ORDER).map_err(store_err)?;
            let mut seqs = txn.open_table(SEQS).map_err(store_err)?;
            let mut meta = txn.open_table(META).map_err(store_err)?;
            let mut total = meta
                .get("bytes")
                .map_err(store_err)?
                .map_or(0, |g| g.value());
            let seq = meta
                .get("next_seq")
                .map_err(store_err)?
                .map_or(0, |g| g.value());
            let old_len = values
                .remove(key)
                .map_err(store_err)?
                .map(|g| g.value().len() as u64);
            total = total.saturating_sub(old_len.unwrap_or(0));
            let old_seq = seqs.remove(key).map_err(store_err)?.map(|g| g.value());
            if let Some(s) = old_seq {
                order.remove(s).map_err(store_err)?;
            }
            values.insert(key, bytes).map_err(store_err)?;
            seqs.insert(key, seq).map_err(store_err)?;
            order.insert(seq, key).map_err(store_err)?;
            total = total.saturating_add(len);
            while total > max_bytes {
                let oldest = order
                    .pop_first()
                    .map_err(store_err)?
                    .map(|(_, k)| k.value().to_owned());
                let Some(k) = oldest else { break };
                seqs.remove(k.as_str()).map_err(store_err)?;
                let freed = values
                    .remove(k.as_str())
                    .map_err(store_err)?
                    .map(|g| g.value().len() as u64);
                total = total.saturating_sub(freed.unwrap_or(0));
            }
            meta.insert("bytes", total).map_err(store_err)?;
            meta.insert("next_seq", seq.saturating_add(1))
                .map_err(store_err)?;
        }
        txn.commit().map_err(store_err)
    }

    fn remove(db: &Database, keys: &[String]) -> Result<u64, StoreError> {
        let txn = db.begin_write().map_err(store_err)?;
        let mut n = 0;
        {
            let mut values = txn.open_table(VALUES).map_err(store_err)?;
            let mut order = txn.open_table(ORDER).map_err(store_err)?;
            let mut seqs = txn.open_table(SEQS).map_err(store_err)?;
            let mut meta = txn.open_table(META).map_err(store_err)?;
            let mut total = meta
                .get("bytes")
                .map_err(store_err)?
                .map_or(0, |g| g.value());
            for key in keys {
                let freed = values
                    .remove(key.as_str())
                    .map_err(store_err)?
                    .map(|g| g.value().len() as u64);
                if let Some(f) = freed {
                    n += 1;
                    total = total.saturating_sub(f);
                }
                let seq = seqs
                    .remove(key.as_str())
                    .map_err(store_err)?
                    .map(|g| g.value());
                if let Some(s) = seq {
                    order.remove(s).map_err(store_err)?;
                }
            }
            meta.insert("bytes", total).map_err(store_err)?;
        }
        txn.commit().map_err(store_err)?;
        Ok(n)
    }

    fn clear(db: &Database) -> Result<(), StoreError> {
        let txn = db.begin_write().map_err(store_err)?;
        {
            txn.open_table(VALUES)
                .map_err(store_err)?
                .retain(|_, _| false)
                .map_err(store_err)?;
            txn.open_table(ORDER)
                .map_err(store_err)?
                .retain(|_, _| false)
                .map_err(store_err)?;
            txn.open_table(SEQS)
                .map_err(store_err)?
                .retain(|_, _| false)
                .map_err(store_err)?;
            txn.open_table(META)
                .map_err(store_err)?
                .insert("bytes", 0)
                .map_err(store_err)?;
        }
        txn.commit().map_err(store_err)
    }

    /// Runs `op` on the blocking pool.
    async fn blocking<T: Send + 'static>(
        &self,
        op: impl FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || op(&db))
            .await
            .map_err(|e| StoreError(format!("disk cache task failed: {e}")))?
    }
}

impl CacheStore for DiskStore {
    fn kind(&self) -> CacheType {
        CacheType::Disk
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<Arc<CachedEntry>>> {
        let key = key.to_owned();
        Box::pin(async move {
            match self.blocking(move |db| Self::read(db, &key)).await {
                Ok(found) => found.and_then(|b| CachedEntry::decode(&b)).map(Arc::new),
                Err(e) => {
                    tracing::warn!(error = %e, "disk cache read failed");
                    None
                }
            }
        })
    }

    fn set(&self, key: String, entry: Arc<CachedEntry>, _ttl: Option<Duration>) {
        // The entry carries its own expiry; the file is bounded by size.
        let Ok(rt) = Handle::try_current() else {
            return;
        };
        let Some(bytes) = entry.encode() else { return };
        let db = Arc::clone(&self.db);
        let max = self.max_bytes;
        let pending = self.pending.start();
        rt.spawn_blocking(move || {
            let _pending = pending;
            if let Err(e) = Self::write(&db, max, &key, &bytes) {
                tracing::warn!(error = %e, "disk cache write failed");
            }
        });
    }

    fn delete<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, Result<u64, StoreError>> {
        let keys = keys.to_vec();
        Box::pin(self.blocking(move |db| Self::remove(db, &keys)))
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.blocking(Self::clear))
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.blocking(|db| db.begin_read().map(drop).map_err(store_err)))
    }

    fn pending_writes(&self) -> usize {
        self.pending.count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("llmux-disk-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn entry(text: &str) -> Vec<u8> {
        CachedEntry {
            timestamp: 0.0,
            expires_at_ms: None,
            stream: false,
            response: json!({"text": text}),
        }
        .encode()
        .unwrap()
    }

    #[test]
    fn oldest_entries_go_first_past_the_size_limit_and_reopening_keeps_the_rest() {
        let d = dir("bound");
        let one = entry(&"x".repeat(100));
        let limit = one.len() as u64 * 3;
        {
            let s = DiskStore::open(&d, limit).unwrap();
            for i in 0..5 {
                DiskStore::write(&s.db, limit, &format!("k{i}"), &one).unwrap();
            }
            // Overwriting keeps one copy and refreshes its place.
            DiskStore::write(&s.db, limit, "k2", &one).unwrap();
            assert!(s.stored_bytes().unwrap() <= limit);
        }
        let s = DiskStore::open(&d, limit).unwrap();
        let present: Vec<bool> = (0..5)
            .map(|i| DiskStore::read(&s.db, &format!("k{i}")).unwrap().is_some())
            .collect();
        assert_eq!(present, [false, false, true, true, true]);
        assert_eq!(
            DiskStore::remove(&s.db, &["k3".into(), "nope".into()]).unwrap(),
            1
        );
        DiskStore::clear(&s.db).unwrap();
        assert!(DiskStore::read(&s.db, "k4").unwrap().is_none());
        assert_eq!(s.stored_bytes().unwrap(), 0);
        let _ = std::fs::remove_dir_all(&d);
    }
}
