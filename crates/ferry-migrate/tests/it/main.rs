#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod apply;
mod check;
mod config;
mod corpus;
mod demo;
mod pg;
mod rehearse;
mod render;
mod rollback;
mod secrets;
mod sets;
mod squawk;

use std::path::PathBuf;

pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}
