//! ferry-advisor against a real loopback HTTP server speaking chat completions (plain and
//! streamed, and every fault the issue names), and the built-in prompts filled from the plan
//! fixture pair (snapshots), overrides, redaction and the size bound.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod client;
mod prompts;
