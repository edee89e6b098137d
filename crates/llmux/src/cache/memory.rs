//! The local backend: a moka cache bounded by entries and by bytes, each entry with its
//! own TTL.
//!
//! moka bounds one weight; both limits hold by weighing each entry at least
//! `max_bytes / max_entries`: then no more than `max_entries` fit, and their real sizes
//! add up to at most `max_bytes`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use moka::Expiry;
use moka::policy::EvictionPolicy;
use moka::sync::Cache;

use super::entry::CachedEntry;
use super::settings::CacheType;
use super::store::{CacheStore, StoreError};

#[derive(Clone)]
struct Stored {
    entry: Arc<CachedEntry>,
    ttl: Option<Duration>,
    weight: u32,
}

struct PerEntryTtl;

impl Expiry<String, Stored> for PerEntryTtl {
    fn expire_after_create(&self, _: &String, v: &Stored, _: Instant) -> Option<Duration> {
        v.ttl
    }
}

pub struct MemoryStore {
    cache: Cache<String, Stored>,
    min_weight: u64,
    max_item_bytes: u64,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("entries", &self.cache.entry_count())
            .finish_non_exhaustive()
    }
}

impl MemoryStore {
    pub fn new(max_entries: u64, max_bytes: u64, max_item_bytes: u64) -> Self {
        let cache = Cache::builder()
            .max_capacity(max_bytes)
            // LRU, as LiteLLM's in-memory cache: a new answer is always admitted.
            .eviction_policy(EvictionPolicy::lru())
            .weigher(|_: &String, v: &Stored| v.weight)
            .expire_after(PerEntryTtl)
            .build();
        Self {
            cache,
            min_weight: (max_bytes / max_entries.max(1)).max(1),
            max_item_bytes,
        }
    }

    /// Entries held now (after pending evictions are applied).
    pub fn entry_count(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.entry_count()
    }
}

impl CacheStore for MemoryStore {
    fn kind(&self) -> CacheType {
        CacheType::Local
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<Arc<CachedEntry>>> {
        let found = self.cache.get(key).map(|s| s.entry);
        Box::pin(std::future::ready(found))
    }

    fn set(&self, key: String, entry: Arc<CachedEntry>, ttl: Option<Duration>) {
        // The encoded size stands for the memory it takes; bigger answers are not kept.
        let size = entry.encode().map_or(u64::MAX, |b| b.len() as u64);
        if size > self.max_item_bytes {
            return;
        }
        let weight = u32::try_from(size.max(self.min_weight)).unwrap_or(u32::MAX);
        self.cache.insert(key, Stored { entry, ttl, weight });
    }

    fn delete<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, Result<u64, StoreError>> {
        let n = keys
            .iter()
            .filter(|k| self.cache.remove(k.as_str()).is_some())
            .count();
        Box::pin(std::future::ready(Ok(n as u64)))
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        self.cache.invalidate_all();
        Box::pin(std::future::ready(Ok(())))
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(text: &str) -> Arc<CachedEntry> {
        Arc::new(CachedEntry {
            timestamp: 0.0,
            expires_at_ms: None,
            stream: false,
            response: json!({"text": text}),
        })
    }

    #[tokio::test]
    async fn bounded_by_entries_and_by_bytes() {
        let by_entries = MemoryStore::new(3, 1 << 20, 1 << 20);
        for i in 0..20 {
            by_entries.set(format!("k{i}"), entry("x"), None);
        }
        assert!(
            by_entries.entry_count() <= 3,
            "{}",
            by_entries.entry_count()
        );
        let by_bytes = MemoryStore::new(1000, 2000, 1 << 20);
        let big = "y".repeat(900);
        for i in 0..20 {
            by_bytes.set(format!("k{i}"), entry(&big), None);
        }
        assert!(by_bytes.entry_count() <= 2, "{}", by_bytes.entry_count());
        let small_items = MemoryStore::new(10, 1 << 20, 100);
        small_items.set("big".into(), entry(&big), None);
        assert!(small_items.get("big").await.is_none());
    }

    #[tokio::test]
    async fn delete_and_flush() {
        let s = MemoryStore::new(10, 1 << 20, 1 << 20);
        s.set("a".into(), entry("1"), None);
        s.set("b".into(), entry("2"), None);
        assert_eq!(s.get("a").await.unwrap().response, json!({"text": "1"}));
        assert_eq!(s.delete(&["a".into(), "zz".into()]).await.unwrap(), 1);
        assert!(s.get("a").await.is_none());
        s.flush().await.unwrap();
        assert!(s.get("b").await.is_none());
    }
}
