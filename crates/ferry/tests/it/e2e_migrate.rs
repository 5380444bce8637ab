//! `ferry migrate` end to end: the real binary, the pinned Terraform, a real PostgreSQL server
//! (ferry-testkit starts one with initdb/pg_ctl) with one database per environment. Without
//! PostgreSQL's server binaries the tests say so and skip, unless `FERRY_REQUIRE_PG=1`.

use crate::common::{run, Project};
use ferry_testkit::PgServer;

const MIGRATIONS: &str = "crates/ferry-migrate/tests/demo";

fn pg() -> Option<&'static PgServer> {
    match PgServer::shared() {
        Ok(s) => Some(s),
        Err(e) if std::env::var("FERRY_REQUIRE_PG").as_deref() != Ok("1") => {
            println!("skipped: no PostgreSQL server to test against ({e}); FERRY_REQUIRE_PG=1 makes this a failure");
            None
        }
        Err(e) => panic!("FERRY_REQUIRE_PG=1 but: {e}"),
    }
}

/// The example project with the `app` migration set (release r2 of the demo story), one
/// database per environment, and `migration_approvals = 1` on prod.
struct Db {
    p: Project,
    urls: Vec<(&'static str, String)>,
}

impl Db {
    fn new(pg: &PgServer) -> Db {
        let p = Project::example();
        p.edit(
            "ferry.toml",
            "auto_apply = true",
            "auto_apply = true\ndatabases = { app = { url_env = \"DEV_APP_DB_URL\" } }",
        );
        p.edit(
            "ferry.toml",
            "from = \"dev\"",
            "from = \"dev\"\ndatabases = { app = { url_env = \"STAGING_APP_DB_URL\" } }",
        );
        p.edit(
            "ferry.toml",
            "approvals = 1",
            "approvals = 1\nmigration_approvals = 1\ndatabases = { app = { url_env = \"PROD_APP_DB_URL\" } }",
        );
        p.append_config(
            "\n[[migration]]\nname = \"app\"\ndir = \"db/migrations\"\ncompat = \"db/compat\"\n",
        );
        let db = Db {
            p,
            urls: vec![
                ("DEV_APP_DB_URL", pg.fresh_database("dev").unwrap()),
                ("STAGING_APP_DB_URL", pg.fresh_database("staging").unwrap()),
                ("PROD_APP_DB_URL", pg.fresh_database("prod").unwrap()),
            ],
        };
        db.story("r2");
        db.p.commit("r2: accounts with migrations");
        db
    }

    /// Replaces db/ with the demo story's release `name`.
    fn story(&self, name: &str) {
        let dir = self.p.root().join("db");
        let _ = std::fs::remove_dir_all(&dir);
        crate::common::copy_dir(
            &crate::common::repo_root()
                .join(MIGRATIONS)
                .join(name)
                .join("db"),
            &dir,
        );
    }

    fn url(&self, env: &str) -> &str {
        let var = format!("{}_APP_DB_URL", env.to_uppercase());
        &self.urls.iter().find(|(v, _)| *v == var).unwrap().1
    }

    fn run_as(&self, user: &str, args: &[&str]) -> (i32, String, String) {
        let mut cmd = self.p.ferry_as(user, args);
        for (var, url) in &self.urls {
            cmd.env(var, url);
        }
        let (code, out, err) = run(cmd);
        for (_, url) in &self.urls {
            let password = url.split(':').nth(2).unwrap().split('@').next().unwrap();
            assert!(
                !out.contains(password) && !err.contains(password),
                "a database password leaked:\n{out}\n{err}"
            );
        }
        (code, out, err)
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        self.run_as("dev@example.com", args)
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "ferry {args:?}:\n{out}\n{err}");
        out
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut full = vec!["--format", "json"];
        full.extend_from_slice(args);
        serde_json::from_str(&self.ok(&full)).unwrap()
    }

    /// `name result` rows of `env`'s history table.
    fn history(&self, env: &str) -> Vec<String> {
        let mut c = postgres::Client::connect(self.url(env), postgres::NoTls).unwrap();
        c.query(
            "SELECT name || ' ' || result FROM ferry_schema_history ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
    }

    fn digest(&self, env: &str) -> String {
        self.json(&["migrate", "plan", "--env", env])["sets"][0]["plan"]["digest"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

#[test]
fn expand_migrations_go_dev_then_staging_then_prod_with_their_own_approval() {
    let Some(pg) = pg() else { return };
    let d = Db::new(pg);
    d.p.release();
    let (code, _, err) = d.run(&["migrate", "apply", "--env", "staging"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("V0001__accounts.sql, V0002__display_name.sql have not been applied in 'dev'"),
        "{err}"
    );
    d.ok(&["migrate", "apply", "--env", "dev"]);
    assert_eq!(
        d.history("dev"),
        [
            "V0001__accounts.sql success",
            "V0002__display_name.sql success"
        ]
    );
    d.ok(&["migrate", "apply", "--env", "staging"]);
    let (code, _, err) = d.run(&["migrate", "apply", "--env", "prod"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("needs 1 approval(s) of this exact migration plan"),
        "{err}"
    );
    let digest = d.digest("prod");
    let (code, _, err) = d.run_as(
        "lead@example.com",
        &[
            "migrate",
            "approve",
            "--env",
            "prod",
            "--plan",
            "sha256:0000",
        ],
    );
    assert_eq!(code, 1, "an approval names the exact plan: {err}");
    let (code, out, err) = d.run_as(
        "lead@example.com",
        &["migrate", "approve", "--env", "prod", "--plan", &digest],
    );
    assert_eq!(code, 0, "{out}{err}");
    let applied = d.json(&["migrate", "apply", "--env", "prod"]);
    assert_eq!(
        applied["reports"][0]["applied"].as_array().unwrap().len(),
        2
    );
    assert_eq!(d.history("prod").len(), 2);
    let status = d.json(&["migrate", "status", "--env", "prod"]);
    let states: Vec<&str> = status["sets"][0]["status"]["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["applied", "applied"]);
    let (code, _, err) = d.run(&["ledger", "verify"]);
    assert_eq!(code, 0, "the chain covers the migration rows: {err}");
    let events: Vec<String> = d
        .json(&["history", "--env", "prod"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(events[..2], ["migration.applied", "migration.approval"]);
}

#[test]
fn a_contract_migration_is_blocked_until_acknowledged_and_approved_and_then_guards_rollback() {
    let Some(pg) = pg() else { return };
    let d = Db::new(pg);
    d.p.release();
    d.ok(&["promote", "--to", "dev"]);
    d.ok(&["migrate", "apply", "--env", "dev"]);

    d.story("r3-drop");
    d.p.commit("r3: drop legacy_flags, unacknowledged");
    d.p.release();
    let (code, _, err) = d.run(&["migrate", "apply", "--env", "dev"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("the migration review blocks (db/migrations/V0003__drop_legacy_flags.sql:2 drop-column)"),
        "{err}"
    );

    d.story("r3");
    d.p.commit("r3: the application stops reading legacy_flags");
    d.p.release();
    d.ok(&["promote", "--to", "dev"]);
    d.story("r4");
    d.p.commit("r4: drop legacy_flags, acknowledged");
    d.p.release();
    let (code, _, err) = d.run(&["migrate", "apply", "--env", "dev"]);
    assert_eq!(
        code, 3,
        "an acknowledged contract needs an approval even in dev: {err}"
    );
    assert!(err.contains("needs 1 approval(s)"), "{err}");
    let digest = d.digest("dev");
    let (code, _, err) = d.run_as(
        "lead@example.com",
        &["migrate", "approve", "--env", "dev", "--plan", &digest],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("--acknowledge-contract"), "{err}");
    d.run_as(
        "lead@example.com",
        &[
            "migrate",
            "approve",
            "--env",
            "dev",
            "--plan",
            &digest,
            "--acknowledge-contract",
        ],
    );
    // dev runs r3 (which no longer reads legacy_flags); its rollback target r2 still does.
    let (code, _, err) = d.run(&["migrate", "rehearse", "--env", "dev"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("after V0003__drop_legacy_flags.sql, the rollback target")
            && err.contains("column \"legacy_flags\" does not exist"),
        "{err}"
    );
    assert!(
        !err.contains("the deployed release"),
        "r3's queries pass: {err}"
    );
    d.ok(&["migrate", "apply", "--env", "dev"]);
    assert_eq!(
        d.history("dev").last().unwrap(),
        "V0003__drop_legacy_flags.sql success"
    );
    d.ok(&["promote", "--to", "dev"]);

    // dev now runs r4; its rollback target r3 predates the applied drop.
    let (code, out, err) = d.run(&["rollback", "--env", "dev", "--yes"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains("rolling back would strand the data"), "{err}");
    assert!(
        err.contains("applied contract migration V0003__drop_legacy_flags.sql (set 'app'), which the release predates"),
        "{err}"
    );
}

#[test]
fn rehearsal_catches_a_rename_that_breaks_the_deployed_release() {
    let Some(pg) = pg() else { return };
    let d = Db::new(pg);
    std::fs::write(
        d.p.root().join("db/compat/app.sql"),
        "SELECT id, email, display_name FROM accounts WHERE id = $1;\n",
    )
    .unwrap();
    d.p.commit("r2: reads display_name");
    d.p.release();
    d.ok(&["promote", "--to", "dev"]);
    d.ok(&["migrate", "apply", "--env", "dev"]);
    std::fs::write(
        d.p.root().join("db/migrations/V0003__rename.sql"),
        "-- ferry:contract the next release reads nickname\nALTER TABLE accounts RENAME COLUMN display_name TO nickname;\n",
    )
    .unwrap();
    d.p.commit("r3: rename display_name");
    d.p.release();
    let (code, out, err) = d.run(&["migrate", "rehearse", "--env", "dev"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        err.contains("after V0003__rename.sql, the deployed release")
            && err.contains("query app.sql:1 fails: column \"display_name\" does not exist"),
        "{err}"
    );
    assert_eq!(
        d.history("dev").len(),
        2,
        "rehearsal never touches the database"
    );
}

#[test]
fn an_edited_applied_migration_is_refused() {
    let Some(pg) = pg() else { return };
    let d = Db::new(pg);
    d.p.release();
    d.ok(&["migrate", "apply", "--env", "dev"]);
    std::fs::write(
        d.p.root().join("db/migrations/V0002__display_name.sql"),
        "ALTER TABLE accounts ADD COLUMN display_name varchar(80);\n",
    )
    .unwrap();
    d.p.commit("edit an applied migration");
    d.p.release();
    let (code, _, err) = d.run(&["migrate", "apply", "--env", "dev"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("migration 'V0002__display_name.sql' of set 'app' was applied with checksum"),
        "{err}"
    );
    assert_eq!(d.history("dev").len(), 2);
}

#[test]
fn an_unset_database_url_variable_is_named() {
    // Needs no server: the variable is checked before any connection.
    let p = Project::example();
    p.edit(
        "ferry.toml",
        "auto_apply = true",
        "auto_apply = true\ndatabases = { app = { url_env = \"DEV_APP_DB_URL\" } }",
    );
    p.append_config("\n[[migration]]\nname = \"app\"\ndir = \"db/migrations\"\n");
    std::fs::create_dir_all(p.root().join("db/migrations")).unwrap();
    std::fs::write(
        p.root().join("db/migrations/V0001__t.sql"),
        "CREATE TABLE t (id int);\n",
    )
    .unwrap();
    p.commit("migrations");
    p.release();
    let mut cmd = p.ferry(&["migrate", "status", "--env", "dev"]);
    cmd.env_remove("DEV_APP_DB_URL");
    let (code, _, err) = run(cmd);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("database 'app': environment variable DEV_APP_DB_URL is not set"),
        "{err}"
    );
}

#[test]
fn migrate_check_works_without_a_project_and_keeps_the_json_contract() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("V1__drop.sql");
    std::fs::write(&file, "ALTER TABLE accounts DROP COLUMN legacy_flags;\n").unwrap();
    let mut cmd = assert_cmd::Command::cargo_bin("ferry").unwrap();
    cmd.current_dir(dir.path())
        .args(["migrate", "check", "--format", "json"])
        .arg(&file);
    let (code, out, _) = run(cmd);
    assert_eq!(code, 3);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "block");
    let f = &v["findings"][0];
    for key in [
        "file",
        "line",
        "statement",
        "rule",
        "class",
        "severity",
        "message",
        "fix",
    ] {
        assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
    }
    assert_eq!(f["line"], 1);
    assert_eq!(f["class"], "contract");
    assert_eq!(f["severity"], "block");
    std::fs::write(&file, "ALTER TABLE accounts DROP COLUMN;\n").unwrap();
    let mut cmd = assert_cmd::Command::cargo_bin("ferry").unwrap();
    cmd.current_dir(dir.path())
        .args(["migrate", "check"])
        .arg(&file);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 1);
    assert!(err.contains("V1__drop.sql:1: SQL does not parse"), "{err}");
}

#[test]
fn the_prod_review_shows_migration_readiness_next_to_rollback_readiness() {
    let Some(pg) = pg() else { return };
    let d = Db::new(pg);
    d.p.release();
    d.ok(&["promote", "--to", "dev"]);
    d.ok(&["promote", "--to", "staging", "--yes"]);
    d.ok(&["migrate", "apply", "--env", "dev"]);
    d.ok(&["migrate", "apply", "--env", "staging"]);
    d.story("r4");
    d.p.commit("r4: drop legacy_flags, acknowledged");
    d.p.release();
    d.ok(&["promote", "--to", "dev"]);
    for env in ["dev", "staging"] {
        let digest = d.digest(env);
        let (code, out, err) = d.run_as(
            "lead@example.com",
            &[
                "migrate",
                "approve",
                "--env",
                env,
                "--plan",
                &digest,
                "--acknowledge-contract",
            ],
        );
        assert_eq!(code, 0, "{out}{err}");
        d.ok(&["migrate", "apply", "--env", env]);
    }
    // staging rehearses its rollback after the deploy: the previous release predates the drop.
    d.ok(&["promote", "--to", "staging", "--yes"]);
    let (code, out, err) = d.run(&["promote", "--to", "prod"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        out.contains("rollback readiness (rehearsed in 'staging'")
            && out.contains("NOT READY")
            && out.contains("migration readiness: the database has applied contract migration V0003__drop_legacy_flags.sql"),
        "{out}"
    );
}
