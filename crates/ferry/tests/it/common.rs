//! Shared set-up for end-to-end tests: a copy of examples/demo in a fresh git repository, driven
//! through the real `ferry` binary and the pinned Terraform from `.tools` (scripts/install-terraform).

use assert_cmd::Command;
use std::path::{Path, PathBuf};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The pinned engine; a missing one fails the test with the fix, it never skips.
pub fn tools() -> (PathBuf, PathBuf) {
    let tools = std::env::var_os("FERRY_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".tools"));
    let bin = tools.join("terraform/bin");
    let rc = tools.join("terraform/terraformrc");
    assert!(
        bin.join("terraform").is_file() && rc.is_file(),
        "the pinned Terraform is not installed in {}: run scripts/install-terraform",
        tools.display()
    );
    (bin, rc)
}

pub struct Project {
    pub dir: tempfile::TempDir,
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

impl Project {
    /// examples/demo committed as "v1" with fixed dates, so release ids are reproducible.
    pub fn example() -> Project {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo_root().join("examples/demo"), &dir.path().join("repo"));
        let p = Project { dir };
        p.git(&["init", "-q", "-b", "main"]);
        p.commit("v1");
        p
    }

    /// A project of the given files (path, text) committed as "v1" with fixed dates.
    pub fn from_files(files: &[(&str, &str)]) -> Project {
        let dir = tempfile::tempdir().unwrap();
        let p = Project { dir };
        for (path, text) in files {
            p.write(path, text);
        }
        p.git(&["init", "-q", "-b", "main"]);
        p.commit("v1");
        p
    }

    /// Writes `text` to `path` in the work tree, creating its folders.
    pub fn write(&self, path: &str, text: &str) {
        let p = self.root().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    pub fn sim(&self) -> PathBuf {
        self.dir.path().join("sim")
    }

    pub fn git(&self, args: &[&str]) {
        let out = std::process::Command::new("git")
            .args([
                "-c",
                "user.name=T",
                "-c",
                "user.email=t@example.com",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(self.root())
            .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn commit(&self, msg: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", msg]);
    }

    pub fn edit(&self, path: &str, from: &str, to: &str) {
        let p = self.root().join(path);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{path} lacks {from:?}");
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    }

    /// `ferry -C repo ...` as `user`, with the pinned engine first on PATH.
    pub fn ferry_as(&self, user: &str, args: &[&str]) -> Command {
        let (bin, rc) = tools();
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::cargo_bin("ferry").unwrap();
        cmd.arg("-C")
            .arg(self.root())
            .args(args)
            .env("PATH", path)
            .env("TF_CLI_CONFIG_FILE", rc)
            .env("TF_VAR_sim_root", self.sim())
            .env("FERRY_USER", user)
            .env("FERRY_PROGRESS", "quiet")
            .env("NO_COLOR", "1")
            .env("CI", "1")
            .env_remove("FERRY_DATA_DIR")
            .env_remove("FERRY_ENGINE")
            .env_remove("GITHUB_ACTOR")
            .env_remove("GITLAB_USER_LOGIN")
            .env_remove("GITHUB_RUN_ID")
            .env_remove("CI_PIPELINE_URL");
        cmd
    }

    /// Starts `ferry <args>` in the background (output discarded), for concurrency and kill tests.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        std_command(&self.ferry(args))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    }

    pub fn ferry(&self, args: &[&str]) -> Command {
        self.ferry_as("dev@example.com", args)
    }

    /// Runs and returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        run(self.ferry(args))
    }

    pub fn run_as(&self, user: &str, args: &[&str]) -> (i32, String, String) {
        run(self.ferry_as(user, args))
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "ferry {args:?} failed:\n{out}\n{err}");
        out
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut full = vec!["--format", "json"];
        full.extend_from_slice(args);
        serde_json::from_str(&self.ok(&full)).unwrap()
    }

    pub fn release(&self) -> String {
        self.json(&["release", "create"])["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The id of `env`'s pending plan, as an approver names it.
    pub fn pending_plan(&self, env: &str) -> String {
        self.json(&["status", "--env", env])["environments"][0]["pending_plan"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("'{env}' has no pending plan"))
            .to_string()
    }

    /// `ferry approve --env ENV --plan <pending> EXTRA...` as `user`.
    pub fn approve(&self, user: &str, env: &str, extra: &[&str]) -> (i32, String, String) {
        let plan = self.pending_plan(env);
        let mut args = vec!["approve", "--env", env, "--plan", plan.as_str()];
        args.extend_from_slice(extra);
        self.run_as(user, &args)
    }

    /// Releases HEAD and promotes it to dev and staging; its id.
    pub fn to_staging(&self) -> String {
        let id = self.release();
        self.ok(&["promote", "--to", "dev"]);
        self.ok(&["promote", "--to", "staging", "--yes"]);
        id
    }

    /// Runs SQL on the ledger behind ferry's back, as someone with the file would.
    pub fn sql(&self, statements: &str) {
        let conn = rusqlite::Connection::open(self.data().join("ledger.db")).unwrap();
        conn.execute_batch(statements).unwrap();
    }

    /// Appends `text` to ferry.toml.
    pub fn append_config(&self, text: &str) {
        let path = self.root().join("ferry.toml");
        let mut s = std::fs::read_to_string(&path).unwrap();
        s.push_str(text);
        std::fs::write(path, s).unwrap();
    }

    pub fn data(&self) -> PathBuf {
        self.root().join(".ferry")
    }
}

/// The same `ferry` invocation as `probe` (arguments and environment) as a std command, for
/// tests that start processes in the background.
pub fn std_command(probe: &Command) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ferry"));
    for (k, v) in probe.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.args(probe.get_args());
    cmd
}

pub fn run(mut cmd: Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}
