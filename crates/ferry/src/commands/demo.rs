//! `ferry demo [DIR]`: the whole pipeline on the bundled example, narrated. It runs this very
//! binary as a user would, step by step, and checks each step's exit code, so the demo doubles as
//! a smoke test of the real command line against the real engine.

use crate::cli::DemoArgs;
use anyhow::{bail, Context as _, Result};
use std::path::PathBuf;
use std::process::Command;

include!(concat!(env!("OUT_DIR"), "/demo_files.rs"));

#[path = "demo_migrations.rs"]
mod migrations;

struct Demo {
    dir: PathBuf,
    exe: PathBuf,
    /// Variables every step gets (the migration chapter's database URLs).
    env: std::cell::RefCell<Vec<(String, String)>>,
}

impl Demo {
    fn say(&self, text: &str) {
        crate::out!("\n== {text}");
    }

    /// Runs `ferry <args>` as `user`, shows its output, and checks the exit code.
    fn ferry(&self, user: &str, args: &[&str], expect: i32) -> Result<String> {
        crate::out!("$ FERRY_USER={user} ferry {}", args.join(" "));
        let out = Command::new(&self.exe)
            .arg("-C")
            .arg(&self.dir)
            .args(args)
            .env("FERRY_USER", user)
            .env("FERRY_PROGRESS", "quiet")
            .env("TF_VAR_sim_root", self.dir.join("sim"))
            .env("NO_COLOR", "1")
            .envs(self.env.borrow().iter().cloned())
            .output()
            .with_context(|| format!("cannot run {}", self.exe.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr);
        for line in stderr.lines().chain(stdout.lines()) {
            crate::out!("  {line}");
        }
        let code = out.status.code().unwrap_or(-1);
        if code != expect {
            bail!(
                "demo step `ferry {}` exited {code}, expected {expect}",
                args.join(" ")
            );
        }
        Ok(stdout)
    }

    /// Runs `ferry --format json <args>` without showing it, for a value the story needs next.
    fn quiet_json(&self, user: &str, args: &[&str]) -> Result<serde_json::Value> {
        let out = Command::new(&self.exe)
            .arg("-C")
            .arg(&self.dir)
            .args(["--format", "json"])
            .args(args)
            .env("FERRY_USER", user)
            .env("FERRY_PROGRESS", "quiet")
            .env("TF_VAR_sim_root", self.dir.join("sim"))
            .envs(self.env.borrow().iter().cloned())
            .output()
            .with_context(|| format!("cannot run {}", self.exe.display()))?;
        serde_json::from_slice(&out.stdout)
            .with_context(|| format!("`ferry {}` printed no JSON", args.join(" ")))
    }

    /// The id of `env`'s pending plan: what an approver names after reading it.
    fn pending_plan(&self, env: &str) -> Result<String> {
        let status = self.quiet_json("demo", &["status", "--env", env])?;
        status["environments"][0]["pending_plan"]["id"]
            .as_str()
            .map(str::to_string)
            .with_context(|| format!("'{env}' has no pending plan"))
    }

    fn git(&self, args: &[&str]) -> Result<()> {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=Demo Dev",
                "-c",
                "user.email=dev@example.com",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(&self.dir)
            .output()
            .context("cannot run git; ferry needs git on PATH")?;
        if !out.status.success() {
            bail!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    fn edit(&self, path: &str, from: &str, to: &str) -> Result<()> {
        let p = self.dir.join(path);
        let text =
            std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))?;
        if !text.contains(from) {
            bail!(
                "demo: {} no longer contains {from:?}; the example changed",
                p.display()
            );
        }
        std::fs::write(&p, text.replacen(from, to, 1))
            .with_context(|| format!("cannot write {}", p.display()))
    }
}

fn prepare_dir(dir: Option<PathBuf>) -> Result<PathBuf> {
    let dir = match dir {
        Some(d) => d,
        None => {
            let base = std::env::temp_dir().join(format!("ferry-demo-{}", std::process::id()));
            base
        }
    };
    if dir.exists()
        && std::fs::read_dir(&dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "{} exists and is not empty; give `ferry demo` a new or empty directory",
            dir.display()
        );
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))?;
    for (rel, bytes) in DEMO_FILES {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(dir)
}

fn release_id(stdout: &str) -> Result<String> {
    stdout
        .lines()
        .find(|l| l.starts_with("sha256:"))
        .map(str::to_string)
        .context("`ferry release create` printed no release id")
}

pub fn run(args: DemoArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let dir = prepare_dir(args.dir)?;
    let demo = Demo {
        dir,
        exe: std::env::current_exe().context("cannot find the ferry binary")?,
        env: Default::default(),
    };
    ferry_engine::Engine::locate(None).map_err(|e| {
        anyhow::anyhow!("{e}\n(the README's demo command installs the pinned Terraform for you)")
    })?;
    run_story(&demo)?;
    crate::out!(
        "\nThe demo project is at {} (its ledger: .ferry/ledger.db). Done in {:.1}s.",
        demo.dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run_story(d: &Demo) -> Result<()> {
    let dev = "dev@example.com";
    d.say(&format!(
        "A fresh IaC repo at {}: one root module (infra/), one input file per environment",
        d.dir.display()
    ));
    d.git(&["init", "-q", "-b", "main"])?;
    d.git(&["add", "-A"])?;
    d.git(&["commit", "-q", "-m", "v1: web tier and database"])?;
    d.ferry(dev, &["init"], 0)?;

    d.say("Cut release v1: a content-addressed bundle of the committed tree");
    let v1 = release_id(&d.ferry(dev, &["release", "create"], 0)?)?;
    d.ferry(dev, &["release", "create"], 0)?;
    crate::out!("  (the same commit gives the same id, {v1})");

    d.say("dev applies automatically");
    d.ferry(dev, &["promote", "--to", "dev"], 0)?;
    d.say("prod is refused: v1 was never deployed to staging");
    d.ferry(dev, &["promote", "--to", "prod"], 3)?;
    d.say("staging: the same bytes, staging inputs");
    d.ferry(dev, &["promote", "--to", "staging", "--yes"], 0)?;
    d.say("prod: planned and reviewed against the staging plan, then it waits for a person");
    d.ferry(dev, &["promote", "--to", "prod"], 3)?;
    let plan = d.pending_plan("prod")?;
    d.say("An approval names the exact plan its approver read; the person who cut the release and ran the plan may not give it");
    d.ferry(dev, &["review", "--env", "prod"], 0)?;
    d.ferry(dev, &["approve", "--env", "prod", "--plan", &plan], 3)?;
    d.ferry(
        "lead@example.com",
        &["approve", "--env", "prod", "--plan", &plan],
        0,
    )?;
    d.ferry(dev, &["apply", "--env", "prod"], 0)?;
    d.ferry(dev, &["apply", "--env", "prod"], 1)?;
    crate::out!("  (a plan is applied once)");

    d.say("v2: a code change (web app 1.1.0) promoted the same way");
    d.edit("infra/variables.tf", "\"1.0.0\"", "\"1.1.0\"")?;
    d.git(&["commit", "-q", "-am", "v2: web app 1.1.0"])?;
    d.ferry(dev, &["release", "create"], 0)?;
    d.ferry(dev, &["promote", "--to", "dev"], 0)?;
    d.ferry(dev, &["promote", "--to", "staging", "--yes"], 0)?;
    d.ferry(dev, &["promote", "--to", "prod"], 3)?;
    let plan = d.pending_plan("prod")?;
    d.ferry(
        "lead@example.com",
        &[
            "approve",
            "--env",
            "prod",
            "--plan",
            &plan,
            "--acknowledge-warnings",
        ],
        0,
    )?;
    d.ferry(dev, &["apply", "--env", "prod"], 0)?;

    d.say("v3 would replace the database: the review blocks it and the policies deny it");
    d.edit("infra/variables.tf", "\"14.9\"", "\"15.4\"")?;
    d.git(&["commit", "-q", "-am", "v3: postgres 15"])?;
    let v3 = release_id(&d.ferry(dev, &["release", "create"], 0)?)?;
    d.ferry(dev, &["promote", "--to", "dev"], 3)?;
    d.ferry(
        dev,
        &[
            "release",
            "abandon",
            &v3,
            "--reason",
            "replaces the database; needs a migration plan",
        ],
        0,
    )?;
    d.git(&["revert", "--no-edit", "HEAD"])?;

    d.say("dev gets a smoke check and auto_rollback; v4 (web 1.2.0) fails it and dev rolls back by itself");
    d.edit(
        "ferry.toml",
        "auto_apply = true",
        "auto_apply = true\nauto_rollback = true\n\n[[environment.verify]]\nname = \"smoke\"\ncommand = \"test \\\"$TF_OUTPUT_WEB_APP_VERSION\\\" != 1.2.0 || { echo 'web 1.2.0: /health answers 500' >&2; exit 1; }\"\nretries = 2\ninterval = \"1s\"",
    )?;
    d.edit("infra/variables.tf", "\"1.1.0\"", "\"1.2.0\"")?;
    d.git(&[
        "commit",
        "-q",
        "-am",
        "v4: web app 1.2.0, smoke check on dev",
    ])?;
    d.ferry(dev, &["release", "create"], 0)?;
    d.ferry(dev, &["promote", "--to", "dev"], 1)?;
    d.ferry(dev, &["status", "--env", "dev"], 0)?;

    d.say("The ledger is hash-chained: `ledger verify` recomputes it");
    d.ferry(dev, &["ledger", "verify"], 0)?;

    let _postgres = migrations::chapter(d)?;

    d.say("A change freeze on prod, added in the work tree: a gate may be tightened there (never loosened), and nothing is applied while it holds");
    d.edit("ferry.toml", "\napprovals = 1", "\napprovals = 1\n\n[[environment.freeze]]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\nreason = \"demo change freeze\"")?;
    d.ferry(dev, &["rollback", "--env", "prod"], 3)?;

    d.say("Where everything is now");
    d.ferry(dev, &["status"], 0)?;
    d.ferry(dev, &["release", "list"], 0)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_example_is_embedded() {
        let names: Vec<&str> = super::DEMO_FILES.iter().map(|(n, _)| *n).collect();
        assert!(names.contains(&"ferry.toml"), "{names:?}");
        assert!(
            names.contains(&"infra/environments/prod.tfvars"),
            "{names:?}"
        );
    }
}
