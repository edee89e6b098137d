//! Where entries live: one trait, three backends (`memory.rs`, `redis.rs`, `disk.rs`).
//!
//! Reads are awaited by the request (a miss costs at most the backend's short timeout);
//! writes are handed off and never awaited: the client has its answer already.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;

use super::entry::CachedEntry;
use super::settings::CacheType;

/// Why an admin operation on the store failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

pub trait CacheStore: Send + Sync + std::fmt::Debug {
    fn kind(&self) -> CacheType;

    /// The entry under `key`; `None` on a miss, and when the store cannot answer now.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<Arc<CachedEntry>>>;

    /// Stores `entry` (kept at most `ttl`), without blocking the caller.
    fn set(&self, key: String, entry: Arc<CachedEntry>, ttl: Option<Duration>);

    /// Deletes `keys`; how many there were, when the store knows.
    fn delete<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, Result<u64, StoreError>>;

    /// Deletes every entry of this cache (and nothing else in a shared Redis).
    fn flush(&self) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Whether the store answers.
    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Writes handed off and not finished yet.
    fn pending_writes(&self) -> usize {
        0
    }
}

/// Counts the writes in flight: one [`PendingWrite`] lives as long as its write.
#[derive(Debug, Default, Clone)]
pub(crate) struct Pending(Arc<AtomicUsize>);

impl Pending {
    pub(crate) fn start(&self) -> PendingWrite {
        self.0.fetch_add(1, Ordering::AcqRel);
        PendingWrite(Arc::clone(&self.0))
    }

    pub(crate) fn count(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }
}

pub(crate) struct PendingWrite(Arc<AtomicUsize>);

impl Drop for PendingWrite {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
