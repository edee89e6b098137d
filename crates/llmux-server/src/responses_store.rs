//! The gateway's store of Responses: what `previous_response_id`, `GET
//! /v1/responses/{id}` and `…/input_items` read.
//!
//! Written synchronously, before the client gets the answer (for streams: before the
//! terminal event is sent), so a follow-up turn sent the moment the first one completes
//! finds it (LiteLLM rebuilds it from spend logs written asynchronously, so for about
//! 10 s it does not, its #28587). In memory, bounded by the bytes it holds, with a time
//! to live; a response belongs to the key that created it, and any other key gets a 404.
//!
//! Each response keeps only its own input and output, and a link to the response it
//! followed: a conversation of N turns costs N turns of memory, not N², and the link
//! keeps the earlier turns readable for as long as a later one is.

use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Duration;

use llmux::ResponseItem;
use moka::sync::Cache;

/// Bytes of responses kept at most (the least recently used go first).
pub const DEFAULT_CAPACITY_BYTES: u64 = 256 * 1024 * 1024;
/// How long a response is kept after it was written.
pub const DEFAULT_TTL: Duration = Duration::from_secs(6 * 60 * 60);

/// One stored response.
#[derive(Debug)]
pub struct StoredResponse {
    /// Who created it (a keyed hash of the caller's key, never the key itself).
    pub owner: u64,
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
        Self::new(DEFAULT_CAPACITY_BYTES, DEFAULT_TTL)
    }
}

impl ResponseStore {
    /// A store holding about `capacity_bytes` of responses, each for `ttl`.
    pub fn new(capacity_bytes: u64, ttl: Duration) -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(capacity_bytes)
                .weigher(|_, v: &Arc<StoredResponse>| v.weight())
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
    use serde_json::{Value, json};

    fn items(v: Value) -> Vec<ResponseItem> {
        serde_json::from_value(v).unwrap()
    }

    fn turn(owner: u64, text: &str, previous: Option<Arc<StoredResponse>>) -> StoredResponse {
        let output = items(json!([{"type": "message", "role": "assistant",
            "content": [{"type": "output_text", "text": format!("re: {text}")}]}]));
        StoredResponse {
            owner,
            response: json!({"id": "r", "output": output}).to_string().into(),
            output,
            input: items(json!([{"role": "user", "content": text}])),
            previous,
            native_deployment: None,
        }
    }

    #[test]
    fn a_response_is_readable_at_once_and_only_by_its_owner() {
        let store = ResponseStore::default();
        let me = store.owner(Some("sk-a"));
        let other = store.owner(Some("sk-b"));
        assert_ne!(me, other);
        store.put("resp_1".into(), turn(me, "one", None));
        assert!(store.get("resp_1", me).is_some());
        assert!(store.get("resp_1", other).is_none());
        assert!(!store.delete("resp_1", other));
        assert!(store.delete("resp_1", me));
        assert!(store.get("resp_1", me).is_none());
    }

    #[test]
    fn a_conversation_is_every_turn_in_order() {
        let store = ResponseStore::default();
        let me = store.owner(None);
        store.put("resp_1".into(), turn(me, "one", None));
        let first = store.get("resp_1", me);
        store.put("resp_2".into(), turn(me, "two", first));
        let second = store.get("resp_2", me).unwrap();
        let texts: Vec<String> = second
            .conversation()
            .iter()
            .map(|i| serde_json::to_value(&i.content).unwrap().to_string())
            .collect();
        assert_eq!(texts.len(), 4);
        assert!(texts[0].contains("one") && texts[1].contains("re: one"));
        assert!(texts[2].contains("two") && texts[3].contains("re: two"));
    }

    #[test]
    fn entries_expire_and_the_bound_is_in_bytes() {
        let store = ResponseStore::new(1 << 20, Duration::from_millis(50));
        let me = store.owner(None);
        store.put("resp_1".into(), turn(me, "one", None));
        assert!(store.get("resp_1", me).is_some());
        std::thread::sleep(Duration::from_millis(120));
        assert!(store.get("resp_1", me).is_none());

        let small = ResponseStore::new(2_000, DEFAULT_TTL);
        for n in 0..200 {
            small.put(format!("resp_{n}"), turn(me, &"x".repeat(100), None));
        }
        small.entries.run_pending_tasks();
        assert!(small.entries.weighted_size() <= 2_000);
        assert!(small.entries.entry_count() < 200);
    }
}
