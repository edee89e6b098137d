//! llmux-mock
