//! LiteLLM's response cache (`litellm.caching`): identical requests are answered from a
//! cache instead of a deployment.
//!
//! It is one [`CallHook`] on the router's one call path, nothing more:
//!
//! ```text
//! pre_call: cacheable? (call type, `caching`, mode, max_messages)
//!   ▶ key: sha256 over the params, model → group / caching group, namespace prefix
//!   ▶ ctx.cache = {key, hit}; unless `no-cache`: look up ─hit (fresh, not past
//!     s-maxage)─▶ PreCall::Answer (a JSON answer, or a stream's events to replay)
//! on_success (whole answers)  ─┐  unless `no-store`: stored with the request's `ttl`,
//! on_stream_end (completed     ├▶ else `cache_params.ttl`; a stream is stored whole,
//!   streams, events collected) ┘  only when it completed
//! ```
//!
//! Cached: chat completions, text completions and embeddings (whole answers and
//! streams); not yet the `/v1/messages` entrance.
//!
//! Backends ([`CacheStore`]): `local` (moka, [`MemoryStore`]), `redis` ([`RedisStore`],
//! behind a circuit breaker) and `disk` (redb, [`DiskStore`]). Expiry is decided by the
//! cache's [`Clock`] from the time each entry carries, so it can be tested without
//! waiting; the backends' own TTLs only reclaim space.

mod clock;
mod controls;
mod disk;
mod entry;
pub mod key;
mod memory;
mod redis;
mod settings;
mod store;

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Map, Value};

pub use clock::{Clock, ManualClock, SystemClock};
pub use controls::CacheControls;
pub use disk::DiskStore;
pub use entry::CachedEntry;
pub use memory::MemoryStore;
pub use redis::RedisStore;
pub use settings::{CacheConfigError, CacheRedis, CacheSettings, CacheType, DEFAULT_CALL_TYPES};
pub use store::{CacheStore, StoreError};

use crate::router::{
    CacheLookup, CallContext, CallHook, CallSuccess, PreCall, RequestView, StreamEnd,
};

/// The response cache: a [`CallHook`] over a [`CacheStore`].
#[derive(Debug)]
pub struct ResponseCache {
    settings: CacheSettings,
    store: Arc<dyn CacheStore>,
    clock: Arc<dyn Clock>,
}

impl ResponseCache {
    /// The backend `settings` name, opened now (a disk cache opens its file; Redis
    /// connects in the background, so this must run inside a Tokio runtime for it).
    pub fn open(settings: CacheSettings, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let store: Arc<dyn CacheStore> = match settings.kind {
            CacheType::Local => Arc::new(MemoryStore::new(
                settings.max_entries,
                settings.max_bytes,
                settings.max_item_bytes,
            )),
            CacheType::Disk => Arc::new(DiskStore::open(
                &settings.disk_dir,
                settings.disk_max_bytes,
            )?),
            CacheType::Redis => match &settings.redis {
                Some(r) => Arc::new(RedisStore::connect(r.clone())),
                None => return Err(StoreError("a redis cache needs host or url".into())),
            },
        };
        Ok(Self::with_store(settings, store, clock))
    }

    pub fn with_store(
        settings: CacheSettings,
        store: Arc<dyn CacheStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            settings,
            store,
            clock,
        }
    }

    pub fn settings(&self) -> &CacheSettings {
        &self.settings
    }

    pub fn store(&self) -> &Arc<dyn CacheStore> {
        &self.store
    }

    /// The key for this call, when it is one the cache serves.
    fn key_for(&self, ctx: &CallContext, request: RequestView<'_>) -> Option<String> {
        let s = &self.settings;
        let c = &ctx.keys.cache;
        // A request's own mock answers are not the model's: never stored, never served
        // from another request's real answer.
        let mocked = ctx.keys.overrides.mock_response.is_some()
            || ctx.keys.mock_failure.is_some()
            || ctx.keys.mock_timeout;
        if mocked
            || ctx.keys.caching == Some(false)
            || (s.opt_in && !c.use_cache)
            || !s.caches(ctx.entrance.call_type())
        {
            return None;
        }
        let (params, messages) = match request {
            RequestView::Chat(r) => (to_map(r)?, r.messages.len()),
            RequestView::Completion(r) => (to_map(r)?, 0),
            RequestView::Embedding(r) => (to_map(r)?, 0),
            // The `/v1/messages` entrance answers in Anthropic's format, natively or
            // translated per deployment: not cached yet. `/v1/responses` answers carry
            // stored ids (`previous_response_id`): a replayed one would be a stale turn.
            RequestView::Messages(_) | RequestView::Responses(_) => return None,
        };
        if s.max_messages.is_some_and(|max| messages > max) {
            return None;
        }
        let group = params
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let model = key::model_value(group, &s.caching_groups);
        let namespace = c
            .namespace
            .as_deref()
            .or_else(|| {
                ctx.metadata()
                    .and_then(|m| m.get("redis_namespace"))
                    .and_then(Value::as_str)
            })
            .or(s.namespace.as_deref());
        Some(key::cache_key(
            ctx.entrance.call_type(),
            &params,
            &model,
            namespace,
        ))
    }

    /// A fresh entry for `key`, as this request accepts it.
    async fn lookup(&self, ctx: &CallContext, key: &str, stream: bool) -> Option<Value> {
        let entry = self.store.get(key).await?;
        let now = self.clock.now_ms();
        let too_old = ctx
            .keys
            .cache
            .s_maxage
            .is_some_and(|max| entry.age_ms(now) > clock::millis(max));
        if entry.expired(now) || too_old || entry.stream != stream {
            return None;
        }
        Some(entry.response.clone())
    }

    /// Stores `response` under the call's key, unless the call said `no-store`.
    fn store_answer(&self, ctx: &CallContext, response: Value, stream: bool) {
        let Some(lookup) = ctx.cache.get().filter(|l| !l.hit) else {
            return;
        };
        if ctx.keys.cache.no_store {
            return;
        }
        let ttl = ctx.keys.cache.ttl.or(self.settings.ttl);
        let now = self.clock.now_ms();
        let entry = CachedEntry {
            timestamp: now as f64 / 1000.0,
            expires_at_ms: ttl.map(|t| now.saturating_add(clock::millis(t))),
            stream,
            response,
        };
        self.store.set(lookup.key.clone(), Arc::new(entry), ttl);
    }

    /// `/cache/delete`.
    pub async fn delete(&self, keys: &[String]) -> Result<u64, StoreError> {
        self.store.delete(keys).await
    }

    /// `/cache/flushall`.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.store.flush().await
    }

    /// `/cache/ping`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }
}

fn to_map<T: serde::Serialize>(r: &T) -> Option<Map<String, Value>> {
    match serde_json::to_value(r) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

fn is_stream(request: RequestView<'_>) -> bool {
    match request {
        RequestView::Chat(r) => r.is_stream(),
        RequestView::Completion(r) => r.stream == Some(true),
        RequestView::Embedding(_) | RequestView::Messages(_) | RequestView::Responses(_) => false,
    }
}

impl CallHook for ResponseCache {
    fn pre_call<'a>(
        &'a self,
        ctx: &'a CallContext,
        request: RequestView<'a>,
    ) -> BoxFuture<'a, PreCall> {
        Box::pin(async move {
            let Some(key) = self.key_for(ctx, request) else {
                return PreCall::Continue;
            };
            let hit = if ctx.keys.cache.no_cache {
                None
            } else {
                self.lookup(ctx, &key, is_stream(request)).await
            };
            let _ = ctx.cache.set(CacheLookup {
                key,
                hit: hit.is_some(),
            });
            match hit {
                Some(answer) => PreCall::Answer(answer),
                None => PreCall::Continue,
            }
        })
    }

    fn on_success(&self, ctx: &CallContext, success: &CallSuccess<'_>) {
        if ctx.cache.get().is_none_or(|l| l.hit) || ctx.keys.cache.no_store {
            return;
        }
        if let Some(answer) = success.answer.to_json() {
            self.store_answer(ctx, answer, false);
        }
    }

    fn collects_stream(&self, ctx: &CallContext) -> bool {
        ctx.cache.get().is_some_and(|l| !l.hit) && !ctx.keys.cache.no_store
    }

    fn on_stream_end(&self, ctx: &CallContext, end: &StreamEnd) {
        if let Some(events) = &end.streamed {
            self.store_answer(ctx, Value::Array(events.clone()), true);
        }
    }
}
