#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The `ferry` binary end to end: one test binary (link time dominates on small machines), one
//! module per area. End-to-end modules drive the real binary against the pinned Terraform.

mod audit_cli;
mod common;
mod e2e_foundation;
mod e2e_gates;
mod e2e_migrate;
mod e2e_review;
mod e2e_trust;
mod policy_cli;
mod review_cli;
