//! Helpers shared by the integration tests: fixture paths and compact views of a review.

#![allow(dead_code)]

use ferry_core::Review;
use std::path::PathBuf;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The shared corpus of real plans, beside the repository.
pub fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/real-plans")
}

/// (kind, severity, address, attribute) of every finding, in order.
pub fn rows(review: &Review) -> Vec<(String, String, String, Option<String>)> {
    review
        .findings
        .iter()
        .map(|f| {
            (
                f.kind.as_str().to_string(),
                format!("{:?}", f.severity).to_lowercase(),
                f.address.clone(),
                f.attribute.clone(),
            )
        })
        .collect()
}

pub fn row(
    kind: &str,
    severity: &str,
    address: &str,
    attribute: Option<&str>,
) -> (String, String, String, Option<String>) {
    (
        kind.to_string(),
        severity.to_string(),
        address.to_string(),
        attribute.map(str::to_string),
    )
}
