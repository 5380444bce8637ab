//! Input ferry must refuse with a clear error instead of overflowing, panicking, following a
//! link or skipping what it cannot read: absurd durations and counts in ferry.toml.

use crate::common::Project;

/// Inserts `text` into the example's ferry.toml after the line `after` (the end when empty) and
/// asserts that `ferry status` refuses it naming the file and every one of `needles`, without a
/// panic.
fn refused(p: &Project, after: &str, text: &str, needles: &[&str]) {
    let path = p.root().join("ferry.toml");
    let before = std::fs::read_to_string(&path).unwrap();
    let config = if after.is_empty() {
        format!("{before}\n{text}\n")
    } else {
        assert!(before.contains(after), "{after:?}");
        before.replacen(after, &format!("{after}{text}\n"), 1)
    };
    std::fs::write(&path, config).unwrap();
    let (code, out, err) = p.run(&["status"]);
    std::fs::write(&path, before).unwrap();
    assert_eq!(code, 1, "{text}\n{out}\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("ferry.toml"), "{text}: {err}");
    for n in needles {
        assert!(err.contains(n), "{text}: expected {n:?} in\n{err}");
    }
}

/// The prod environment's table, where environment keys go.
const PROD: &str = "approvals = 1\n";

#[test]
fn absurd_durations_and_counts_are_refused_at_load_naming_file_key_and_limit() {
    let p = Project::example();
    for (after, text, needles) in [
        (PROD, "soak = \"99999999999999999999d\"", &["soak", "3650-day limit"][..]),
        (PROD, "soak = \"3651d\"", &["soak", "3650-day limit"]),
        (PROD, "max_plan_age = \"213503982334601d\"", &["max_plan_age", "3650-day limit"]),
        ("[engine]\n", "apply_timeout = \"99999999999h99999999999m\"", &["apply_timeout", "3650-day limit"]),
        ("[engine]\n", "plan_timeout = \"18446744073709551615s\"", &["plan_timeout", "3650-day limit"]),
        (
            PROD,
            "[[environment.verify]]\nname = \"up\"\ncommand = \"true\"\nretries = 9223372036854775807",
            &["verify", "'up'", "limit of 1000"],
        ),
        (
            PROD,
            "[[environment.verify]]\nname = \"up\"\ncommand = \"true\"\nattempts = 4000000000",
            &["verify", "limit of 1000"],
        ),
        (
            PROD,
            "[[environment.verify]]\nname = \"up\"\ncommand = \"true\"\ninterval = \"99999999999999999999s\"",
            &["verify", "3650-day limit"],
        ),
        ("", "[policy]\ntimeout = \"18446744073709551615s\"", &["[policy]", "timeout", "at most 10m"]),
        ("", "[advisor]\ntimeout = \"999999999999999999m\"", &["[advisor]", "timeout", "10m"]),
        ("[project]\n", "keep_plans = 99999999999", &["keep_plans"]),
    ] {
        refused(&p, after, text, needles);
    }
}
