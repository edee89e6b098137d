#![allow(clippy::unwrap_used, reason = "tests fail loudly")]
#![allow(clippy::expect_used, reason = "tests fail loudly")]
#![allow(clippy::panic, reason = "tests fail loudly")]

//! Integration tests: start the mock on port 0 and talk HTTP to it.

mod common;
mod controls;
mod gemini;
mod routes;
