//! llmux-server
