//! ferry-ci integration tests: one binary (link time dominates on two cores).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod check;
mod common;
mod emitter;
mod input;
mod lint;
mod scripts;
mod shape;
mod snapshots;
