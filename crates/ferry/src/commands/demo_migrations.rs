//! The demo's migration chapter: schema migrations as their own gated step. An expand set goes
//! dev → staging → prod (prod wants a migration approval); a dropped column is blocked by the
//! review, then caught by rehearsal against the rollback target's queries, then — once the
//! application stopped reading it and the rollback target no longer does either — acknowledged,
//! approved and applied; after that a rollback past it is refused.
//!
//! It needs a PostgreSQL server: one is started for the demo (initdb/pg_ctl in a temporary
//! directory, stopped when the demo ends). Without PostgreSQL the chapter says so and is skipped.

use super::{release_id, Demo};
use anyhow::{Context as _, Result};

macro_rules! story {
    ($release:literal, $file:literal) => {
        (
            $file,
            include_str!(concat!(
                "../../../ferry-migrate/tests/demo/",
                $release,
                "/db/",
                $file
            )),
        )
    };
}

fn write(d: &Demo, files: &[(&str, &str)]) -> Result<()> {
    let db = d.dir.join("db");
    let _ = std::fs::remove_dir_all(&db);
    for (rel, text) in files {
        let path = db.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn digest(d: &Demo, env: &str) -> Result<String> {
    let v = d.quiet_json("demo", &["migrate", "plan", "--env", env])?;
    v["sets"][0]["plan"]["digest"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("`ferry migrate plan --env {env}` printed no digest"))
}

pub(super) fn chapter(d: &Demo) -> Result<Option<ferry_testkit::PgServer>> {
    d.say("Schema migrations: their own gated step in the same chain, proven backward-compatible before they run");
    let server = match ferry_testkit::PgServer::start() {
        Ok(s) => s,
        Err(ferry_testkit::PgServerError::NotInstalled { .. }) => {
            println!("  (skipped: PostgreSQL's initdb was not found; install PostgreSQL 15 or newer to see this part)");
            return Ok(None);
        }
        Err(e) => return Err(anyhow::anyhow!("cannot start PostgreSQL for the demo: {e}")),
    };
    let mut vars = Vec::new();
    for env in ["dev", "staging", "prod"] {
        let url = server
            .create_database(&format!("demo_{env}"))
            .map_err(|e| anyhow::anyhow!("cannot create the demo's {env} database: {e}"))?;
        vars.push((format!("{}_APP_DB_URL", env.to_uppercase()), url));
    }
    *d.env.borrow_mut() = vars;
    println!("  (a throwaway PostgreSQL server with one database per environment; its URLs are in DEV_APP_DB_URL, STAGING_APP_DB_URL, PROD_APP_DB_URL — never in ferry.toml, the ledger or any output)");

    let dev = "dev@example.com";
    let lead = "lead@example.com";
    // Back to web 1.1.0 without the failing smoke check, so dev can take new releases.
    d.git(&["revert", "--no-edit", "HEAD"])?;
    d.edit(
        "ferry.toml",
        "auto_apply = true",
        "auto_apply = true\ndatabases = { app = { url_env = \"DEV_APP_DB_URL\" } }",
    )?;
    d.edit(
        "ferry.toml",
        "from = \"dev\"",
        "from = \"dev\"\ndatabases = { app = { url_env = \"STAGING_APP_DB_URL\" } }",
    )?;
    d.edit(
        "ferry.toml",
        "from = \"staging\"",
        "from = \"staging\"\nmigration_approvals = 1\ndatabases = { app = { url_env = \"PROD_APP_DB_URL\" } }",
    )?;
    d.edit(
        "ferry.toml",
        "[review]",
        "[[migration]]\nname = \"app\"\ndir = \"db/migrations\"   # applied in file-name order\ncompat = \"db/compat\"       # the queries the application runs\n\n[review]",
    )?;
    write(
        d,
        &[
            story!("r2", "migrations/V0001__accounts.sql"),
            story!("r2", "migrations/V0002__display_name.sql"),
            story!("r2", "compat/app.sql"),
        ],
    )?;
    d.git(&["add", "-A"])?;
    d.git(&[
        "commit",
        "-q",
        "-m",
        "v5: accounts table (expand migrations)",
    ])?;
    d.ferry(dev, &["release", "create"], 0)?;
    let migrations = d.dir.join("db/migrations").display().to_string();
    d.ferry(dev, &["migrate", "check", &migrations], 0)?;
    d.say("A migration reaches staging only after dev applied the very same file");
    d.ferry(dev, &["migrate", "apply", "--env", "staging"], 3)?;
    d.ferry(dev, &["promote", "--to", "dev"], 0)?;
    d.ferry(dev, &["migrate", "apply", "--env", "dev"], 0)?;
    d.ferry(dev, &["migrate", "apply", "--env", "staging"], 0)?;
    d.say("prod wants its own migration approval, bound to the exact pending list (its digest)");
    d.ferry(dev, &["migrate", "plan", "--env", "prod"], 0)?;
    d.ferry(dev, &["migrate", "apply", "--env", "prod"], 3)?;
    let plan = digest(d, "prod")?;
    d.ferry(
        lead,
        &["migrate", "approve", "--env", "prod", "--plan", &plan],
        0,
    )?;
    d.ferry(dev, &["migrate", "apply", "--env", "prod"], 0)?;
    d.ferry(dev, &["migrate", "status", "--env", "prod"], 0)?;

    d.say("v6 drops a column the running application still reads: the review blocks it");
    write(
        d,
        &[
            story!("r3-drop", "migrations/V0001__accounts.sql"),
            story!("r3-drop", "migrations/V0002__display_name.sql"),
            story!("r3-drop", "migrations/V0003__drop_legacy_flags.sql"),
            story!("r3-drop", "compat/app.sql"),
        ],
    )?;
    d.git(&["add", "-A"])?;
    d.git(&["commit", "-q", "-m", "v6: drop legacy_flags"])?;
    let v6 = release_id(&d.ferry(dev, &["release", "create"], 0)?)?;
    d.ferry(dev, &["migrate", "apply", "--env", "dev"], 3)?;
    d.ferry(
        dev,
        &[
            "release",
            "abandon",
            &v6,
            "--reason",
            "drops a column the app still reads",
        ],
        0,
    )?;

    d.say(
        "Expand/contract: v7 ships the application without legacy_flags; v8 drops it, acknowledged",
    );
    write(
        d,
        &[
            story!("r3", "migrations/V0001__accounts.sql"),
            story!("r3", "migrations/V0002__display_name.sql"),
            story!("r3", "compat/app.sql"),
        ],
    )?;
    d.git(&["add", "-A"])?;
    d.git(&[
        "commit",
        "-q",
        "-m",
        "v7: the app stops reading legacy_flags",
    ])?;
    d.ferry(dev, &["release", "create"], 0)?;
    d.ferry(dev, &["promote", "--to", "dev"], 0)?;
    write(
        d,
        &[
            story!("r4", "migrations/V0001__accounts.sql"),
            story!("r4", "migrations/V0002__display_name.sql"),
            story!("r4", "migrations/V0003__drop_legacy_flags.sql"),
            story!("r4", "compat/app.sql"),
        ],
    )?;
    d.git(&["add", "-A"])?;
    d.git(&[
        "commit",
        "-q",
        "-m",
        "v8: drop legacy_flags (acknowledged contract)",
    ])?;
    d.ferry(dev, &["release", "create"], 0)?;
    let migrations = d.dir.join("db/migrations").display().to_string();
    d.ferry(dev, &["migrate", "check", &migrations], 0)?;
    d.say("Rehearsal on a scratch copy of dev's schema: the rollback target (v5) still reads the column");
    d.ferry(dev, &["migrate", "rehearse", "--env", "dev"], 3)?;
    d.say(
        "Deploy v8's application first; then the rollback target is v7, which no longer reads it",
    );
    d.ferry(dev, &["promote", "--to", "dev"], 0)?;
    d.ferry(dev, &["migrate", "rehearse", "--env", "dev"], 0)?;
    d.say("An acknowledged contract needs its own approval, even in dev");
    d.ferry(dev, &["migrate", "apply", "--env", "dev"], 3)?;
    let plan = digest(d, "dev")?;
    d.ferry(
        lead,
        &["migrate", "approve", "--env", "dev", "--plan", &plan],
        3,
    )?;
    d.ferry(
        lead,
        &[
            "migrate",
            "approve",
            "--env",
            "dev",
            "--plan",
            &plan,
            "--acknowledge-contract",
        ],
        0,
    )?;
    d.ferry(dev, &["migrate", "apply", "--env", "dev"], 0)?;
    d.say("Rolling dev back to v7 would strand the data: v7 predates the applied drop");
    d.ferry(dev, &["rollback", "--env", "dev", "--yes"], 3)?;
    // The server runs to the end of the demo: later steps check migration readiness too.
    Ok(Some(server))
}
