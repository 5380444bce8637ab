//! Helpers shared by the integration tests: fixture paths and compact views of a review.

use ferry_core::Review;
use std::path::PathBuf;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures")
        .join(name)
}

/// The shared corpus of real plans (its `real-plans` folder): `$FERRY_CORPUS`, else
/// `../shared/corpus` beside the repository (a relative `FERRY_CORPUS` is taken from the
/// repository root too). `None`, said plainly on stderr, when it is not there, so the suite runs
/// on a plain clone; with `FERRY_REQUIRE_CORPUS=1` (CI) a missing corpus fails the test instead.
pub fn corpus() -> Option<PathBuf> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let base = match std::env::var_os("FERRY_CORPUS").filter(|v| !v.is_empty()) {
        Some(v) => repo.join(v),
        None => repo.join("../shared/corpus"),
    };
    let dir = base.join("real-plans");
    if dir.is_dir() {
        return Some(dir);
    }
    let why = format!(
        "the plan corpus is not at {} (set FERRY_CORPUS to the folder holding real-plans/)",
        base.display()
    );
    if std::env::var("FERRY_REQUIRE_CORPUS").is_ok_and(|v| v == "1") {
        panic!("{why}; FERRY_REQUIRE_CORPUS=1 requires it");
    }
    eprintln!("SKIPPED: {why}; the tests over it are passed over");
    None
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
