//! llmux-types
