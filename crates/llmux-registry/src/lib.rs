//! llmux-registry
