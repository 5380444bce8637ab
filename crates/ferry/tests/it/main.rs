#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The `ferry` binary end to end: one test binary (link time dominates on small machines), one
//! module per area. End-to-end modules drive the real binary against the pinned Terraform.

mod advise_cli;
mod audit_cli;
mod ci_cli;
mod common;
mod e2e_advise;
mod e2e_drift;
mod e2e_foundation;
mod e2e_gates;
mod e2e_migrate;
mod e2e_review;
mod e2e_team;
mod e2e_tf111;
mod e2e_trust;
mod faults_engine;
mod faults_kill;
mod faults_lean;
mod faults_locks;
mod faults_output;
mod faults_retention;
mod faults_secrets;
mod faults_signals;
mod faults_state;
mod ledger_url;
mod policy_cli;
mod refused_input;
mod review_cli;
mod review_tofu;
