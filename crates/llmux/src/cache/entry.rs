//! What the cache stores for one key: LiteLLM's `{"timestamp", "response"}`, plus when it
//! expires by the cache's clock and whether it is a stream's events.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedEntry {
    /// When it was stored, Unix seconds (LiteLLM's field).
    pub timestamp: f64,
    /// When it stops being served, Unix ms by the cache's clock; `None`: never.
    #[serde(default)]
    pub expires_at_ms: Option<u64>,
    /// `response` is the array of a stream's events, to replay as a stream.
    #[serde(default)]
    pub stream: bool,
    /// The answer's JSON, or the stream's events.
    pub response: Value,
}

impl CachedEntry {
    /// Age at `now_ms`, in milliseconds (0 for an entry from the future).
    pub fn age_ms(&self, now_ms: u64) -> u64 {
        let stored_ms = (self.timestamp * 1000.0).max(0.0) as u64;
        now_ms.saturating_sub(stored_ms)
    }

    pub fn expired(&self, now_ms: u64) -> bool {
        self.expires_at_ms.is_some_and(|at| now_ms >= at)
    }

    pub fn encode(&self) -> Option<Vec<u8>> {
        serde_json::to_vec(self).ok()
    }

    pub fn decode(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok()
    }
}
