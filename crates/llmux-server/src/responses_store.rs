//! The gateway's store of Responses: what `previous_response_id`, `GET
//! /v1/responses/{id}` and `…/input_items` read.
//!
//! Written synchronously, before the client gets the answer (for streams: before the
//! terminal event is sent), so a follow-up turn sent the moment the first one completes
//! finds it (LiteLLM rebuilds it from spend logs written asynchronously, so for about
//! 10 s it does not, its #28587). In memory, bounded in entries with a time to live;
//! a response belongs to the key that created it, and any other key gets a 404.

use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Duration;

use llmux::ResponseItem;
use moka::sync::Cache;
use serde_json::Value;

/// Responses kept at most (the least recently used go first).
pub const DEFAULT_CAPACITY: u64 = 10_000;
/// How long a response is kept after it was written.
pub const DEFAULT_TTL: Duration = Duration::from_secs(6 * 60 * 60);

/// One stored response.
#[derive(Debug)]
pub struct StoredResponse {
    /// Who created it (a keyed hash of the caller's key, never the key itself).
    pub owner: u64,
    /// The response object as the client got it.
    pub response: Value,
    /// The conversation before this response's output: the history of its
    /// `previous_response_id`, then its own input items (with ids).
    pub context: Vec<ResponseItem>,
    /// Where this response's own input starts in `context`.
    pub input_start: usize,
    /// The deployment that answered natively (it holds the conversation itself), if
    /// one did.
    pub native_deployment: Option<String>,
}

impl StoredResponse {
    /// This response's own input items.
    pub fn input(&self) -> &[ResponseItem] {
        self.context.get(self.input_start..).unwrap_or_default()
    }

    /// The whole conversation through this response: context, then output.
    pub fn conversation(&self) -> Vec<ResponseItem> {
        let output: Vec<ResponseItem> = self
            .response
            .get("output")
            .and_then(|o| serde_json::from_value(o.clone()).ok())
            .unwrap_or_default();
        let mut all = self.context.clone();
        all.extend(output);
        all
    }
}

/// The in-memory store.
pub struct ResponseStore {
    entries: Cache<String, Arc<StoredResponse>>,
    owners: std::collections::hash_map::RandomState,
}

impl std::fmt::Debug for ResponseStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseStore")
            .field("entries", &self.entries.entry_count())
            .finish()
    }
}

impl Default for ResponseStore {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY, DEFAULT_TTL)
    }
}

impl ResponseStore {
    pub fn new(capacity: u64, ttl: Duration) -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build(),
            owners: std::collections::hash_map::RandomState::new(),
        }
    }

    /// The owner id of a caller presenting `key` (`None`: no key).
    pub fn owner(&self, key: Option<&str>) -> u64 {
        self.owners.hash_one(key.unwrap_or(""))
    }

    /// Keeps `stored` under `id`; readable as soon as this returns.
    pub fn put(&self, id: String, stored: StoredResponse) {
        self.entries.insert(id, Arc::new(stored));
    }

    /// The response `id` if `owner` created it.
    pub fn get(&self, id: &str, owner: u64) -> Option<Arc<StoredResponse>> {
        self.entries.get(id).filter(|s| s.owner == owner)
    }

    /// Removes the response `id` if `owner` created it; whether it was there.
    pub fn delete(&self, id: &str, owner: u64) -> bool {
        if self.get(id, owner).is_none() {
            return false;
        }
        self.entries.invalidate(id);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stored(owner: u64) -> StoredResponse {
        StoredResponse {
            owner,
            response: json!({"id": "resp_1", "output": [
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "hi"}]}
            ]}),
            context: serde_json::from_value(json!([
                {"role": "user", "content": "old"}, {"role": "user", "content": "new"}
            ]))
            .unwrap(),
            input_start: 1,
            native_deployment: None,
        }
    }

    #[test]
    fn a_response_is_readable_at_once_and_only_by_its_owner() {
        let store = ResponseStore::default();
        let me = store.owner(Some("sk-a"));
        let other = store.owner(Some("sk-b"));
        assert_ne!(me, other);
        store.put("resp_1".into(), stored(me));
        let got = store.get("resp_1", me).unwrap();
        assert_eq!(got.input().len(), 1);
        assert_eq!(got.conversation().len(), 3);
        assert!(store.get("resp_1", other).is_none());
        assert!(!store.delete("resp_1", other));
        assert!(store.delete("resp_1", me));
        assert!(store.get("resp_1", me).is_none());
    }

    #[test]
    fn entries_expire() {
        let store = ResponseStore::new(10, Duration::from_millis(50));
        let me = store.owner(None);
        store.put("resp_1".into(), stored(me));
        assert!(store.get("resp_1", me).is_some());
        std::thread::sleep(Duration::from_millis(120));
        assert!(store.get("resp_1", me).is_none());
    }
}
