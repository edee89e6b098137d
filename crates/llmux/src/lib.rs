//! llmux
