//! ferry-plan's integration tests, one binary (link time dominates on two cores): the review
//! over hand-written fixtures, the shared corpus of real plans, bad input, secrets, properties.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

mod bad_input;
mod baseline;
mod common;
mod corpus;
mod fixtures;
mod properties;
mod record;
mod render;
mod sensitive;
