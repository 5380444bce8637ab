//! Throw-away git repositories for the release tests. Commits use fixed identities and dates so
//! that two repositories built the same way have the same commit ids, and the developer's global
//! git config (signing, hooks, templates) cannot leak in.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct TestRepo {
    pub dir: tempfile::TempDir,
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(["-c", "core.hooksPath=/dev/null"])
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl TestRepo {
    /// An empty repository with no commits.
    pub fn empty() -> TestRepo {
        let dir = tempfile::tempdir().expect("tempdir");
        git(dir.path(), &["init", "-q"]);
        TestRepo { dir }
    }

    /// A repository with one commit holding a small IaC project.
    pub fn with_project() -> TestRepo {
        let repo = TestRepo::empty();
        repo.write("ferry.toml", "[project]\nroot = \"infra\"\n");
        repo.write(
            "infra/main.tf",
            "module \"web\" { source = \"./modules/web\" }\n",
        );
        repo.write(
            "infra/modules/web/main.tf",
            "resource \"null_resource\" \"web\" {}\n",
        );
        repo.write("infra/environments/dev.tfvars", "replicas = 1\n");
        repo.write("infra/environments/prod.tfvars", "replicas = 3\n");
        repo.write_exec("scripts/check.sh", "#!/bin/sh\necho ok\n");
        repo.commit_all("Initial infrastructure");
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path().join(".ferry")
    }

    pub fn write(&self, rel: &str, content: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }

    pub fn write_exec(&self, rel: &str, content: &str) {
        use std::os::unix::fs::PermissionsExt;
        self.write(rel, content);
        let path = self.path().join(rel);
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    pub fn commit_all(&self, message: &str) -> String {
        git(self.path(), &["add", "-A"]);
        git(self.path(), &["commit", "-q", "-m", message]);
        self.head()
    }

    pub fn head(&self) -> String {
        git(self.path(), &["rev-parse", "HEAD"])
    }
}
