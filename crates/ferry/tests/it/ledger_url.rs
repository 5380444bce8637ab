//! `ferry ledger verify --ledger URL` (or `FERRY_LEDGER`): verifying a ledger that is not this
//! project's — a team's PostgreSQL ledger, or an embedded file handed over as a CI artifact —
//! with no project around it, exit 3 naming the tampered row, and never the password.

use assert_cmd::Command;
use ferry_store::conformance;
use ferry_store::Ledger;
use serde_json::{json, Value};

fn ferry(dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("ferry").unwrap();
    cmd.env("NO_COLOR", "1")
        .env_remove("FERRY_LEDGER")
        .env_remove("FERRY_DATA_DIR")
        .current_dir(dir);
    cmd
}

fn seed(l: &dyn Ledger) {
    let r = conformance::rid('a');
    l.record_release(
        &conformance::release(r.clone()),
        &conformance::event("release.created", None),
    )
    .unwrap();
    l.record_plan(
        &conformance::plan(conformance::pid('b'), "prod", r),
        &[],
        &[conformance::event("plan.created", Some("prod"))],
    )
    .unwrap();
}

#[test]
fn a_postgres_ledger_verifies_without_a_project_and_a_forged_row_is_named() {
    let server = match ferry_testkit::PgServer::shared() {
        Ok(s) => s,
        Err(e) if std::env::var("FERRY_REQUIRE_PG").as_deref() != Ok("1") => {
            println!("skipped: no PostgreSQL server to test against ({e}); FERRY_REQUIRE_PG=1 makes this a failure");
            return;
        }
        Err(e) => panic!("FERRY_REQUIRE_PG=1 but: {e}"),
    };
    let url = server.fresh_database("cliverify").unwrap();
    let ledger = ferry_store_pg::PgLedger::connect(&url).unwrap();
    seed(&ledger);
    let head = ledger.events(None).unwrap()[0].hash.clone();
    let empty = tempfile::tempdir().unwrap();

    let out = ferry(empty.path())
        .env("FERRY_LEDGER", &url)
        .args(["--format", "json", "ledger", "verify"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        json!({"ok": true, "events": 2, "rows": 2, "head": head, "first_problem": null, "problems": []})
    );

    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.batch_execute("UPDATE plans SET verdict = 'pass'")
        .unwrap();
    let out = ferry(empty.path())
        .args(["ledger", "verify", "--ledger", &url])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert!(
        stdout.starts_with("ledger does NOT verify: 1 problem(s)"),
        "{stdout}"
    );
    assert!(stdout.contains("plans row"), "{stdout}");
    assert!(
        stderr.contains("the ledger was changed outside ferry"),
        "{stderr}"
    );
    for secret in server.secrets() {
        assert!(!stdout.contains(secret) && !stderr.contains(secret));
    }

    // A wrong password: exit 1, the database named, the password not.
    let [_, app] = server.secrets();
    let wrong = url.replace(app, "wrong-pw-zz9");
    let out = ferry(empty.path())
        .env("FERRY_LEDGER", &wrong)
        .args(["ledger", "verify"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("127.0.0.1:{}", server.port())),
        "{stderr}"
    );
    assert!(
        !stderr.contains("wrong-pw-zz9") && !stderr.contains(app),
        "{stderr}"
    );
}

#[test]
fn an_embedded_ledger_file_verifies_by_url_and_bad_urls_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ferry_store::SqliteLedger::open(dir.path()).unwrap();
    seed(&ledger);
    drop(ledger);
    let file = dir.path().join(ferry_store::LEDGER_FILE);
    let out = ferry(dir.path())
        .args(["ledger", "verify", "--ledger"])
        .arg(format!("sqlite:{}", file.display()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.starts_with("ledger verified: 2 event(s), 2 row(s) covered, head "),
        "{stdout}"
    );

    let cases = [
        (
            "sqlite:/nonexistent/ledger.db",
            "no ledger at /nonexistent/ledger.db",
        ),
        ("sqlite:", "names no file"),
        (
            "mysql://root:hunter2@db/ferry",
            "unknown ledger URL scheme `mysql`",
        ),
        (
            "postgres://a:hunter2@host:notaport/db",
            "postgres://USER:PASSWORD@HOST:PORT/DATABASE",
        ),
    ];
    for (url, expected) in cases {
        let out = ferry(dir.path())
            .args(["ledger", "verify", "--ledger", url])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(1), "{url}: {stderr}");
        assert!(stderr.contains(expected), "{url}: {stderr}");
        assert!(!stderr.contains("hunter2"), "{url}: {stderr}");
    }
}
