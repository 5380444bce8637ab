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

/// A file outside the project that a planted link points at; it must stay as it is.
fn outside(p: &Project) -> std::path::PathBuf {
    let f = p.dir.path().join("outside.txt");
    std::fs::write(&f, "keep me\n").unwrap();
    f
}

fn assert_untouched(f: &std::path::Path) {
    assert_eq!(std::fs::read_to_string(f).unwrap(), "keep me\n");
}

#[test]
fn ferry_never_writes_through_a_link_planted_in_its_data_dir() {
    // The ledger itself.
    let p = Project::example();
    let target = outside(&p);
    std::fs::create_dir_all(p.data()).unwrap();
    std::os::unix::fs::symlink(&target, p.data().join("ledger.db")).unwrap();
    let (code, _, err) = p.run(&["release", "create"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("ledger.db") && err.contains("symbolic link"),
        "{err}"
    );
    assert_untouched(&target);

    // An environment's lock file, on the promotion path.
    let p = Project::example();
    let target = outside(&p);
    p.release();
    std::fs::create_dir_all(p.data().join("locks")).unwrap();
    std::os::unix::fs::symlink(&target, p.data().join("locks/dev.lock")).unwrap();
    let (code, _, err) = p.run(&["promote", "--to", "dev"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("dev.lock") && err.contains("symbolic link"),
        "{err}"
    );
    assert_untouched(&target);
    assert_eq!(
        p.json(&["status", "--env", "dev"])["environments"][0]["last_deployment"],
        serde_json::Value::Null
    );
}

#[test]
fn the_ledger_its_wal_and_lock_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let p = Project::example();
    p.release();
    // SQLite removes the WAL when the last connection closes; one held open keeps it to look at
    // (SQLite gives `-wal` and `-shm` the database file's mode, whoever creates them).
    let keep = rusqlite::Connection::open(p.data().join("ledger.db")).unwrap();
    keep.query_row("SELECT COUNT(*) FROM releases", [], |r| r.get::<_, i64>(0))
        .unwrap();
    p.ok(&["promote", "--to", "dev"]);
    let mode = |rel: &str| {
        std::fs::symlink_metadata(p.data().join(rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}"))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(""), 0o700);
    for f in [
        "ledger.db",
        "ledger.db-wal",
        "ledger.db-shm",
        "locks/dev.lock",
    ] {
        assert_eq!(mode(f), 0o600, "{f} is {:o}", mode(f));
    }
    drop(keep);
}

/// `{"a":{"a":…1…}}`, `n` objects deep.
fn nested(n: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n))
}

/// A one-change plan with `value` as `section` (a change member or a top-level key).
fn plan_with(section: &str, value: &str) -> String {
    let mut change = serde_json::json!({
        "actions": ["update"], "before": {"t": "1"}, "after": {"t": "2"},
        "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}
    })
    .to_string();
    let mut top = String::new();
    if [
        "before",
        "after",
        "after_unknown",
        "before_sensitive",
        "after_sensitive",
    ]
    .contains(&section)
    {
        let v: serde_json::Value = serde_json::from_str(&change).unwrap();
        let old = serde_json::to_string(&v[section]).unwrap();
        change = change.replacen(
            &format!("\"{section}\":{old}"),
            &format!("\"{section}\":{value}"),
            1,
        );
        assert!(change.contains(value));
    } else {
        top = format!(",\"{section}\":{value}");
    }
    format!(
        "{{\"format_version\":\"1.2\",\"terraform_version\":\"1.11.4\",\"resource_changes\":[{{\"address\":\"null_resource.x\",\"mode\":\"managed\",\"type\":\"null_resource\",\"name\":\"x\",\"provider_name\":\"registry.terraform.io/hashicorp/null\",\"change\":{change}}}]{top}}}"
    )
}

#[test]
fn nesting_past_the_depth_limit_anywhere_in_a_plan_is_refused() {
    let p = Project::example();
    for section in [
        "before",
        "after",
        "after_unknown",
        "before_sensitive",
        "after_sensitive",
        "planned_values",
        "prior_state",
        "configuration",
        "variables",
    ] {
        let file = p.dir.path().join(format!("deep-{section}.json"));
        std::fs::write(&file, plan_with(section, &nested(600))).unwrap();
        let (code, out, err) = p.run(&["review", file.to_str().unwrap()]);
        assert_eq!(code, 1, "{section}: a deep value passed:\n{out}\n{err}");
        assert!(
            err.contains("nesting deeper than 512 levels")
                && err.contains(&format!("deep-{section}.json")),
            "{section}: {err}"
        );
    }
    // Deep but within the limit (the change value starts four levels down) is read.
    let file = p.dir.path().join("deep-ok.json");
    std::fs::write(&file, plan_with("before", &nested(500))).unwrap();
    let (code, out, err) = p.run(&["--format", "json", "review", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}\n{err}");
}

#[test]
fn engine_error_locations_name_the_repository_file() {
    let p = Project::example();
    let path = p.root().join("infra/environments/dev.tfvars");
    let mut text = std::fs::read_to_string(&path).unwrap();
    let line = text.lines().count() + 1;
    text.push_str("oops = = \"x\"\n");
    std::fs::write(&path, text).unwrap();
    p.commit("a broken var file");
    p.release();
    let located = format!("on infra/environments/dev.tfvars line {line}:");
    let (code, _, err) = p.run(&["promote", "--to", "dev"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&located), "{err}");
    assert!(
        !err.contains(".ferry/work/dev/infra/environments/dev.tfvars line"),
        "{err}"
    );
    let (code, out, _) = p.run(&["--format", "json", "promote", "--to", "dev"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(message.contains(&located), "{message}");
}

#[test]
fn an_error_in_the_root_module_names_its_repository_path() {
    let p = Project::example();
    let path = p.root().join("infra/broken.tf");
    std::fs::write(
        &path,
        "resource \"null_resource\" \"ok\" {}\n\nresource \"null_resource\" \"bad\" {\n  triggers = var.no_such_variable\n}\n",
    )
    .unwrap();
    p.commit("a reference to an undeclared variable");
    p.release();
    let (code, _, err) = p.run(&["promote", "--to", "dev"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("on infra/broken.tf line 4"), "{err}");
    assert!(!err.contains("on broken.tf line"), "{err}");
}
