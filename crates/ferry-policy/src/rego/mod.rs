//! Rego policies, conftest-compatible: which files and rules count, and how their output becomes
//! results. Split into loading (parse once, decide per file whether it is Rego v1 or v0) and
//! evaluation (one engine per rule-defining file, so every message names the file it came from).

pub(crate) mod diag;
mod eval;
pub(crate) mod load;

pub(crate) use eval::{evaluate, to_rego};
pub(crate) use load::{load, load_tests, Loaded};

use crate::report::Level;

/// conftest's rule families: `deny`, `violation`, `warn` and their `_suffix` variants.
pub(crate) fn rule_level(name: &str) -> Option<Level> {
    for (prefix, level) in [
        ("deny", Level::Deny),
        ("violation", Level::Deny),
        ("warn", Level::Warn),
    ] {
        if let Some(rest) = name.strip_prefix(prefix) {
            if rest.is_empty() || (rest.starts_with('_') && rest.len() > 1) {
                return Some(level);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conftest_rule_names() {
        assert_eq!(rule_level("deny"), Some(Level::Deny));
        assert_eq!(rule_level("deny_db"), Some(Level::Deny));
        assert_eq!(rule_level("violation_x"), Some(Level::Deny));
        assert_eq!(rule_level("warn"), Some(Level::Warn));
        assert_eq!(rule_level("denylist"), None);
        assert_eq!(rule_level("deny_"), None);
        assert_eq!(rule_level("test_deny"), None);
    }
}
