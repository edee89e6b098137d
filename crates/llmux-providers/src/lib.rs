//! llmux-providers
