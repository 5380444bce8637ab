//! The shell inside the generated files: every script parses as POSIX sh (dash) and bash, and
//! the parts that decide what a job means are run for real with `bash`/`sh`, `tar` and
//! `openssl`. `ferry` and `gh` are stand-ins here (the scripts' own logic is under test: how
//! exit 3 becomes "waiting", how comments are found again); ferry itself is tested elsewhere.

use crate::common::{self, fixtures, gen, parse, strs, CHAIN4, SERVER};
use ferry_ci::Provider;
use std::process::{Command, Output};

#[test]
fn every_script_parses_in_sh_and_bash() {
    for (name, text) in fixtures() {
        for provider in Provider::ALL {
            let doc = parse(&gen(&text, provider).contents);
            let scripts = common::scripts(provider, &doc);
            assert!(scripts.len() >= 5, "{name} {provider}");
            for (job, script) in scripts {
                for shell in ["sh", "bash"] {
                    let out = Command::new(shell)
                        .arg("-n")
                        .arg("-c")
                        .arg(&script)
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{name} {provider} {job} ({shell}): {}\n{script}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            }
        }
    }
}

/// Finds a backtick that the shell would run as a command substitution: unescaped and not
/// inside single quotes. Messages quote commands in prose, and prose must never run.
fn command_substitution(script: &str) -> Option<usize> {
    let (mut single, mut escaped) = (false, false);
    for (i, c) in script.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if !single => escaped = true,
            '\'' => single = !single,
            '`' if !single => return Some(i),
            _ => {}
        }
    }
    None
}

#[test]
fn no_script_runs_a_backtick() {
    assert_eq!(
        command_substitution("echo \"run `ferry approve`\""),
        Some(10)
    );
    assert_eq!(command_substitution("echo \"\\`ok\\`\" 'and `this`'"), None);
    for (name, text) in fixtures() {
        for provider in Provider::ALL {
            let doc = parse(&gen(&text, provider).contents);
            for (job, script) in common::scripts(provider, &doc) {
                // Double quotes inside single-quoted jq/format strings are not the shell's.
                if let Some(at) = command_substitution(&script) {
                    panic!(
                        "{name} {provider} {job}: backtick at {at}:\n{}",
                        &script[at.saturating_sub(80)..]
                    );
                }
            }
        }
    }
}

const FERRY_STUB: &str = r####"#!/bin/sh
echo "ferry $*" >> "$STUB_LOG"
case "$1" in
  --version) echo "ferry ${STUB_VERSION:-0.1.0}" ;;
  release) echo "sha256:0123abcd" ;;
  promote) echo "promote output for $3"; exit "${STUB_PROMOTE:-0}" ;;
  plan) echo "### ferry plan for $3"; eval "exit \${STUB_PLAN_$3:-0}" ;;
  drift) echo "drift report for $3"; exit "${STUB_DRIFT:-0}" ;;
esac
"####;

const GH_STUB: &str = r#"#!/bin/sh
echo "gh $*" >> "$STUB_LOG"
case "$*" in
  *--paginate*) if [ -n "${STUB_EXISTING:-}" ]; then echo "$STUB_EXISTING"; fi ;;
  *) for a; do case "$a" in body=@*) cat "${a#body=@}" >> "$STUB_LOG" ;; esac; done ;;
esac
"#;

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in [("ferry", FERRY_STUB), ("gh", GH_STUB)] {
            let path = dir.path().join("bin").join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, body).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
        Sandbox { dir }
    }

    fn path(&self, p: &str) -> std::path::PathBuf {
        self.dir.path().join(p)
    }

    fn read(&self, p: &str) -> String {
        std::fs::read_to_string(self.path(p)).unwrap_or_default()
    }

    /// Runs like a GitHub step (`bash --noprofile --norc -eo pipefail`) or a GitLab job (`sh`).
    fn run(&self, provider: Provider, script: &str, env: &[(&str, &str)]) -> Output {
        let file = self.path("tmp/step.sh");
        std::fs::write(&file, script).unwrap();
        let mut cmd = match provider {
            Provider::Github => {
                let mut c = Command::new("bash");
                c.args(["--noprofile", "--norc", "-eo", "pipefail"]);
                c
            }
            Provider::Gitlab => {
                let mut c = Command::new("sh");
                c.arg("-e");
                c
            }
        };
        let path = format!(
            "{}:{}",
            self.path("bin").display(),
            std::env::var("PATH").unwrap()
        );
        cmd.arg(&file)
            .current_dir(self.path("work"))
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.path("tmp"))
            .env("TMPDIR", self.path("tmp"))
            .env("RUNNER_TEMP", self.path("tmp"))
            .env("GITHUB_STEP_SUMMARY", self.path("summary.md"))
            .env("GITHUB_OUTPUT", self.path("output.txt"))
            .env("GITHUB_REPOSITORY", "acme/infra")
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("GITHUB_RUN_ID", "7")
            .env("STUB_LOG", self.path("log.txt"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }
}

/// Drops CHAIN4's `[ci] ferry_install` line (a download); the stand-in ferry is on PATH.
fn without_install(script: &str) -> String {
    script
        .lines()
        .filter(|l| !l.contains("artifacts.example.com"))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn github_step<'a>(doc: &'a yaml_rust2::Yaml, job: &str, needle: &str) -> &'a str {
    doc["jobs"][job]["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(|st| st["run"].as_str())
        .find(|r| r.contains(needle))
        .unwrap_or_else(|| panic!("no {needle} step in {job}"))
}

#[test]
fn github_promote_exit_3_is_waiting_not_failure() {
    let doc = parse(&gen(CHAIN4, Provider::Github).contents);
    let step = github_step(&doc, "deploy", "ferry promote");
    let env = [("FERRY_ENV", "prod"), ("FERRY_RELEASE", "sha256:0123abcd")];
    for (stub, want_code, want_summary) in [
        ("0", 0, "### ferry: prod deployed"),
        ("3", 0, "### ferry: prod is waiting at ferry's gate"),
        ("1", 1, "### ferry: prod failed (exit 1)"),
    ] {
        let sb = Sandbox::new();
        let mut e = env.to_vec();
        e.push(("STUB_PROMOTE", stub));
        let out = sb.run(Provider::Github, step, &e);
        assert_eq!(code(&out), want_code, "stub {stub}: {out:?}");
        let summary = sb.read("summary.md");
        assert!(summary.contains(want_summary), "{summary}");
        assert!(
            summary.contains("promote output for prod"),
            "ferry's output is in the summary: {summary}"
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("promote output for prod"),
            "and live in the log"
        );
        assert_eq!(
            stdout.contains("::notice title=ferry: prod is waiting"),
            stub == "3",
            "{stdout}"
        );
        assert!(sb
            .read("log.txt")
            .contains("ferry promote --to prod --release sha256:0123abcd --yes"));
    }
}

#[test]
fn gitlab_promote_exits_3_for_allow_failure_and_stops_without_a_release() {
    let doc = parse(&gen(&format!("{CHAIN4}{SERVER}"), Provider::Gitlab).contents);
    // The engine download needs the network; the rest of before_script runs.
    let mut script = strs(&doc[".ferry"]["before_script"])
        .into_iter()
        .filter(|b| !b.contains("releases.hashicorp.com"))
        .map(|b| without_install(&b))
        .collect::<Vec<_>>()
        .join("\n");
    script.push('\n');
    script.push_str(&strs(&doc[".ferry-deploy"]["script"]).join("\n"));
    for (stub, want) in [("0", 0), ("3", 3), ("1", 1)] {
        let sb = Sandbox::new();
        let out = sb.run(
            Provider::Gitlab,
            &script,
            &[
                ("FERRY_ENV", "staging"),
                ("FERRY_RELEASE", "sha256:0123abcd"),
                ("FERRY_ID_TOKEN", "tok"),
                ("STUB_PROMOTE", stub),
            ],
        );
        assert_eq!(code(&out), want, "{out:?}");
        assert_eq!(
            sb.read("work/ferry.env"),
            "FERRY_RELEASE=sha256:0123abcd\n",
            "the id goes on down the chain"
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            stdout.contains("staging is WAITING at ferry's gate"),
            stub == "3",
            "{stdout}"
        );
    }
    // Upstream stopped, so no release id came down: waiting too, and ferry is not called.
    let sb = Sandbox::new();
    let out = sb.run(
        Provider::Gitlab,
        &script,
        &[("FERRY_ENV", "prod"), ("FERRY_ID_TOKEN", "tok")],
    );
    assert_eq!(code(&out), 3, "{out:?}");
    assert!(!sb.read("log.txt").contains("ferry promote"));
}

#[test]
fn the_runner_must_have_the_generating_ferry_version() {
    let doc = parse(&gen(CHAIN4, Provider::Github).contents);
    let step = github_step(&doc, "deploy", "ferry --version");
    let sb = Sandbox::new();
    let step = without_install(step);
    let out = sb.run(Provider::Github, &step, &[("STUB_VERSION", "0.2.0")]);
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("generated by ferry 0.1.0, but the runner has 'ferry 0.2.0'"));
    let out = sb.run(Provider::Github, &step, &[]);
    assert_eq!(code(&out), 0, "{out:?}");
}

#[test]
fn drift_exit_3_fails_visibly() {
    let doc = parse(&gen(&format!("{CHAIN4}{SERVER}"), Provider::Github).contents);
    let step = github_step(&doc, "drift", "ferry drift")
        .replace("ferry_login\n", "")
        .to_string();
    for (stub, want) in [("0", 0), ("3", 3)] {
        let sb = Sandbox::new();
        let out = sb.run(
            Provider::Github,
            &step,
            &[("FERRY_ENV", "qa"), ("STUB_DRIFT", stub)],
        );
        assert_eq!(code(&out), want);
        assert!(sb.read("summary.md").contains("drift report for qa"));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).contains("::error title=ferry: drift in qa"),
            stub == "3"
        );
    }
}

#[test]
fn pull_request_plans_post_one_comment_per_environment_then_update_it() {
    let doc = parse(&gen(CHAIN4, Provider::Github).contents);
    let step = github_step(&doc, "plan", "ferry plan");
    let base = [
        ("PR_NUMBER", "12"),
        ("HEAD_SHA", "abc123"),
        ("GH_TOKEN", "t"),
    ];
    let sb = Sandbox::new();
    let mut env = base.to_vec();
    env.push(("STUB_PLAN_prod", "3"));
    let out = sb.run(Provider::Github, step, &env);
    assert_eq!(code(&out), 3, "a blocked plan fails the check: {out:?}");
    let log = sb.read("log.txt");
    assert!(log.contains("ferry release create --commit abc123"));
    for env in ["dev", "qa", "staging", "prod"] {
        assert!(
            log.contains(&format!(
                "ferry plan --env {env} --release sha256:0123abcd --speculative --format markdown"
            )),
            "{log}"
        );
        assert!(
            log.contains(&format!(
                "<!-- ferry-plan:{env} -->\n### ferry plan for {env}"
            )),
            "{log}"
        );
    }
    assert_eq!(
        log.matches("gh api --method POST repos/acme/infra/issues/12/comments")
            .count(),
        4,
        "{log}"
    );
    assert!(!log.contains("PATCH"));
    // The plans run in chain order.
    let order: Vec<usize> = ["dev", "qa", "staging", "prod"]
        .iter()
        .map(|e| log.find(&format!("plan --env {e} ")).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{log}");

    // A second push: the earlier comments are found again and edited, not duplicated; an
    // error in one environment is written into its comment and wins over "blocked".
    let sb = Sandbox::new();
    let mut env = base.to_vec();
    env.extend([
        ("STUB_EXISTING", "42"),
        ("STUB_PLAN_qa", "1"),
        ("STUB_PLAN_prod", "3"),
    ]);
    let out = sb.run(Provider::Github, step, &env);
    assert_eq!(code(&out), 1);
    let log = sb.read("log.txt");
    assert_eq!(
        log.matches("gh api --method PATCH repos/acme/infra/issues/comments/42")
            .count(),
        4,
        "{log}"
    );
    assert!(!log.contains("POST"));
    assert!(log.contains("**The plan failed** (exit 1); see the job log: https://github.com/acme/infra/actions/runs/7"), "{log}");
}

#[test]
fn local_mode_ledger_travels_encrypted_and_needs_the_key() {
    let doc = parse(&gen(CHAIN4, Provider::Github).contents);
    let pack = github_step(&doc, "release", "openssl enc -aes");
    let unpack = github_step(&doc, "deploy", "openssl enc -d");
    let sb = Sandbox::new();
    let ledger = sb.path("work/.ferry/ledger.db");
    std::fs::create_dir_all(ledger.parent().unwrap()).unwrap();
    std::fs::write(&ledger, "plan secret: hunter2\n").unwrap();
    let key = [("FERRY_ARTIFACT_KEY", "correct horse battery staple")];

    let out = sb.run(Provider::Github, pack, &[]);
    assert_ne!(code(&out), 0, "no key, no artifact");
    assert!(String::from_utf8_lossy(&out.stderr).contains("set the FERRY_ARTIFACT_KEY secret"));
    assert!(!sb.path("tmp/ferry-data.enc").exists());

    let out = sb.run(Provider::Github, pack, &key);
    assert_eq!(code(&out), 0, "{out:?}");
    let packed = std::fs::read(sb.path("tmp/ferry-data.enc")).unwrap();
    assert!(!packed.windows(7).any(|w| w == b"hunter2"), "encrypted");

    std::fs::remove_dir_all(sb.path("work/.ferry")).unwrap();
    std::fs::create_dir_all(sb.path("tmp/ferry-upstream")).unwrap();
    std::fs::rename(
        sb.path("tmp/ferry-data.enc"),
        sb.path("tmp/ferry-upstream/ferry-data.enc"),
    )
    .unwrap();
    let wrong = sb.run(Provider::Github, unpack, &[("FERRY_ARTIFACT_KEY", "wrong")]);
    assert_ne!(code(&wrong), 0);
    let out = sb.run(Provider::Github, unpack, &key);
    assert_eq!(code(&out), 0, "{out:?}");
    assert_eq!(
        std::fs::read_to_string(&ledger).unwrap(),
        "plan secret: hunter2\n"
    );
}

#[test]
fn gitlab_release_job_hands_on_the_id() {
    let doc = parse(&gen(&format!("{CHAIN4}{SERVER}"), Provider::Gitlab).contents);
    let script = strs(&doc["ferry-release"]["script"]).join("\n");
    let sb = Sandbox::new();
    let out = sb.run(Provider::Gitlab, &script, &[("CI_COMMIT_SHA", "abc")]);
    assert_eq!(code(&out), 0, "{out:?}");
    assert_eq!(sb.read("work/ferry.env"), "FERRY_RELEASE=sha256:0123abcd\n");
    // Resume: the given release is checked with the server, not rebuilt.
    let sb = Sandbox::new();
    let out = sb.run(
        Provider::Gitlab,
        &script,
        &[
            ("CI_COMMIT_SHA", "abc"),
            ("FERRY_RESUME_RELEASE", "sha256:feed"),
        ],
    );
    assert_eq!(code(&out), 0, "{out:?}");
    assert_eq!(sb.read("work/ferry.env"), "FERRY_RELEASE=sha256:feed\n");
    assert!(sb
        .read("log.txt")
        .contains("ferry release show sha256:feed"));
    assert!(!sb.read("log.txt").contains("release create"));
}
