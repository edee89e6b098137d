//! LiteLLM's shaping of streamed chunks, applied to every provider's decoded stream.

use llmux_types::{ChatChunk, ChunkChoice};
use serde_json::Value;

/// Per-stream shaping rules.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamShape {
    /// The client asked for `stream_options.include_usage`.
    pub include_usage: bool,
}

impl StreamShape {
    /// Shapes one chunk; `None` drops it.
    pub fn apply(&self, dep: &crate::Deployment, mut chunk: ChatChunk) -> Option<ChatChunk> {
        if let Some(usage) = &mut chunk.usage {
            if !self.include_usage {
                chunk.usage = None;
                if chunk.choices.is_empty() {
                    return None;
                }
            } else {
                // LiteLLM prices the usage chunk whenever the model has a price in its map,
                // and leaves a free model's (Ollama's 0.0) unpriced.
                if let Some(cost) = dep.cost(usage).filter(|c| *c > 0.0) {
                    usage.extra.insert("cost".into(), Value::from(cost));
                }
                // LiteLLM's usage chunk carries one empty choice rather than none.
                if chunk.choices.is_empty() {
                    chunk.choices.push(ChunkChoice::default());
                }
            }
        }
        Some(chunk)
    }
}
