//! LiteLLM's shaping of streamed chunks, applied to every provider's decoded stream.

use llmux_types::{ChatChunk, ChunkChoice};
use serde_json::Value;

/// Per-stream shaping rules.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamShape {
    /// The client asked for `stream_options.include_usage`.
    pub include_usage: bool,
    /// Cost of the call to put into the usage chunk, if this provider gets one.
    pub cost_per_usage: Option<fn(&crate::Deployment, &llmux_types::Usage) -> Option<f64>>,
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
                if let Some(cost) = self.cost_per_usage.and_then(|f| f(dep, usage)) {
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
