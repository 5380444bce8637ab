//! Thin adapter over the `git` CLI. Releases read git objects through the CLI rather than a library
//! so that ferry sees exactly what the user's git sees (config, object formats, alternates) and
//! needs no native git dependency. Every output is read NUL-separated (`-z`) so unusual file names
//! survive unchanged.

use crate::error::ReleaseError;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A repository as seen from the project root.
#[derive(Debug)]
pub(crate) struct Repo {
    /// Absolute, canonical top of the work tree.
    pub top: PathBuf,
    /// Repository-relative directory of the project, without trailing slash; empty at the top.
    pub prefix: String,
}

/// One line of `git ls-tree -r`.
#[derive(Debug)]
pub(crate) struct TreeItem {
    pub mode: String,
    pub oid: String,
    /// Repository-relative path.
    pub path: String,
}

/// Commit metadata recorded in the manifest.
#[derive(Debug)]
pub(crate) struct CommitInfo {
    pub subject: String,
    pub author: String,
}

fn render(args: &[&str]) -> String {
    format!("git {}", args.join(" "))
}

fn run_in(dir: &Path, args: &[&str]) -> Result<std::process::Output, ReleaseError> {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| ReleaseError::Git {
            command: render(args),
            stderr: format!("cannot run git: {e}"),
        })
}

fn failure(args: &[&str], out: &std::process::Output) -> ReleaseError {
    ReleaseError::Git {
        command: render(args),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    }
}

fn stdout_or_error(args: &[&str], out: std::process::Output) -> Result<Vec<u8>, ReleaseError> {
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(failure(args, &out))
    }
}

fn utf8(command: &str, bytes: Vec<u8>) -> Result<String, ReleaseError> {
    String::from_utf8(bytes).map_err(|_| ReleaseError::Git {
        command: command.to_string(),
        stderr: "output is not UTF-8".into(),
    })
}

/// Splits `-z` output into its records.
fn records(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes.split(|b| *b == 0).filter(|r| !r.is_empty())
}

fn path_string(raw: &[u8]) -> Result<String, ReleaseError> {
    String::from_utf8(raw.to_vec()).map_err(|_| {
        ReleaseError::unsafe_entry(String::from_utf8_lossy(raw), "file name is not valid UTF-8")
    })
}

/// `:(literal)` so that directory names containing `*` or `?` are not taken as globs.
fn literal(path: &str) -> String {
    format!(":(literal){path}")
}

impl Repo {
    /// Finds the repository containing `project_root` (an absolute, canonical directory).
    pub fn discover(project_root: &Path) -> Result<Repo, ReleaseError> {
        let args = ["rev-parse", "--show-toplevel", "--show-prefix"];
        let out = run_in(project_root, &args)?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            if stderr.contains("not a git repository")
                || stderr.contains("must be run in a work tree")
            {
                return Err(ReleaseError::NotAGitRepo {
                    path: project_root.to_path_buf(),
                });
            }
            return Err(failure(&args, &out));
        }
        let text = utf8(&render(&args), out.stdout)?;
        let mut lines = text.lines();
        let top = lines.next().unwrap_or_default();
        let prefix = lines
            .next()
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string();
        if top.is_empty() {
            return Err(ReleaseError::NotAGitRepo {
                path: project_root.to_path_buf(),
            });
        }
        let top = std::fs::canonicalize(top).map_err(|e| ReleaseError::io(top, e))?;
        Ok(Repo { top, prefix })
    }

    fn run(&self, args: &[&str]) -> Result<Vec<u8>, ReleaseError> {
        stdout_or_error(args, run_in(&self.top, args)?)
    }

    /// Full object name of the commit `rev` names.
    pub fn resolve_commit(&self, rev: &str) -> Result<String, ReleaseError> {
        // A leading '-' would be parsed as an option, not a revision.
        if rev.is_empty() || rev.starts_with('-') {
            return Err(ReleaseError::UnknownCommit {
                rev: rev.to_string(),
            });
        }
        let spec = format!("{rev}^{{commit}}");
        let args = ["rev-parse", "--verify", "--quiet", spec.as_str()];
        let out = run_in(&self.top, &args)?;
        if !out.status.success() {
            return Err(ReleaseError::UnknownCommit {
                rev: rev.to_string(),
            });
        }
        Ok(utf8(&render(&args), out.stdout)?.trim().to_string())
    }

    pub fn commit_info(&self, oid: &str) -> Result<CommitInfo, ReleaseError> {
        let args = [
            "-c",
            "log.showSignature=false",
            "show",
            "-s",
            "--format=%s%x00%ae",
            oid,
            "--",
        ];
        let text = String::from_utf8_lossy(&self.run(&args)?).into_owned();
        let (subject, author) = text
            .trim_end_matches('\n')
            .split_once('\0')
            .unwrap_or((&text, ""));
        Ok(CommitInfo {
            subject: subject.to_string(),
            author: author.to_string(),
        })
    }

    fn prefix_pathspec(&self) -> Vec<String> {
        if self.prefix.is_empty() {
            Vec::new()
        } else {
            vec![literal(&self.prefix)]
        }
    }

    fn exclude_pathspec(exclude: Option<&str>) -> Vec<String> {
        exclude
            .map(|d| format!(":(exclude,literal){d}"))
            .into_iter()
            .collect()
    }

    /// Every entry of the commit's tree below the project prefix.
    pub fn ls_tree(&self, oid: &str) -> Result<Vec<TreeItem>, ReleaseError> {
        let mut args: Vec<String> = ["ls-tree", "-r", "-z", "--full-tree", oid, "--"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(self.prefix_pathspec());
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.run(&argv)?;
        let mut items = Vec::new();
        for rec in records(&out) {
            // "<mode> SP <type> SP <object> TAB <path>"
            let tab = rec.iter().position(|b| *b == b'\t');
            let (meta, path) = match tab {
                Some(i) => (&rec[..i], &rec[i + 1..]),
                None => continue,
            };
            let meta = String::from_utf8_lossy(meta);
            let mut parts = meta.split(' ');
            let (Some(mode), Some(_kind), Some(oid)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            items.push(TreeItem {
                mode: mode.into(),
                oid: oid.into(),
                path: path_string(path)?,
            });
        }
        Ok(items)
    }

    /// Contents of the given blobs, in order, through one `git cat-file --batch` process.
    pub fn read_blobs(&self, oids: &[&str]) -> Result<Vec<Vec<u8>>, ReleaseError> {
        let command = "git cat-file --batch".to_string();
        let git_err = |stderr: String| ReleaseError::Git {
            command: command.clone(),
            stderr,
        };
        let mut child = Command::new("git")
            .args(["cat-file", "--batch"])
            .current_dir(&self.top)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| git_err(format!("cannot run git: {e}")))?;
        let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(git_err("no pipes to git".into()));
        };
        // Written from a thread: git answers while we are still asking, and a full stdout pipe
        // would otherwise deadlock both sides.
        let request: Vec<u8> = oids
            .iter()
            .flat_map(|o| format!("{o}\n").into_bytes())
            .collect();
        let writer = std::thread::spawn(move || stdin.write_all(&request));
        let mut reader = BufReader::new(stdout);
        let mut blobs = Vec::with_capacity(oids.len());
        for oid in oids {
            let mut header = String::new();
            reader
                .read_line(&mut header)
                .map_err(|e| git_err(e.to_string()))?;
            let fields: Vec<&str> = header.trim_end().split(' ').collect();
            let size = match fields.as_slice() {
                [_, "blob", size] => size.parse::<usize>().ok(),
                _ => None,
            };
            let Some(size) = size else {
                return Err(git_err(format!(
                    "object {oid}: unexpected answer '{}'",
                    header.trim()
                )));
            };
            let mut data = vec![0u8; size + 1];
            reader
                .read_exact(&mut data)
                .map_err(|e| git_err(e.to_string()))?;
            data.truncate(size);
            blobs.push(data);
        }
        drop(reader);
        let _ = writer.join();
        let out = child
            .wait_with_output()
            .map_err(|e| git_err(e.to_string()))?;
        if !out.status.success() {
            return Err(git_err(
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ));
        }
        Ok(blobs)
    }

    /// Repository-relative paths below the project prefix that `git status` reports as changed,
    /// leaving out everything under `exclude` (the data dir).
    pub fn changed_paths(&self, exclude: Option<&str>) -> Result<Vec<String>, ReleaseError> {
        // --no-optional-locks: a read-only check must not take the index lock that a concurrent
        // git command (or another engineer's editor) may need.
        let mut args: Vec<String> = [
            "--no-optional-locks",
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(self.prefix_pathspec());
        args.extend(Self::exclude_pathspec(exclude));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.run(&argv)?;
        let mut paths = Vec::new();
        let mut recs = records(&out);
        while let Some(rec) = recs.next() {
            if rec.len() < 4 {
                continue;
            }
            let (xy, path) = (&rec[..2], String::from_utf8_lossy(&rec[3..]).into_owned());
            // Renames and copies are followed by their source path as a separate record.
            if xy.contains(&b'R') || xy.contains(&b'C') {
                recs.next();
            }
            if exclude.is_some_and(|d| crate::paths::is_under(&path, d)) {
                continue;
            }
            paths.push(path);
        }
        Ok(paths)
    }

    /// Work-tree files below the project prefix that a commit of everything would contain:
    /// tracked files plus untracked files that are not ignored. Returns (mode, path) with the
    /// index mode for tracked files (so submodules can be recognised) and `None` for untracked.
    pub fn worktree_files(
        &self,
        exclude: Option<&str>,
    ) -> Result<Vec<(Option<String>, String)>, ReleaseError> {
        let mut files = Vec::new();
        for tracked in [true, false] {
            let mut args: Vec<String> = if tracked {
                vec!["ls-files".into(), "-z".into(), "--stage".into()]
            } else {
                vec![
                    "ls-files".into(),
                    "-z".into(),
                    "--others".into(),
                    "--exclude-standard".into(),
                ]
            };
            args.push("--".into());
            args.extend(self.prefix_pathspec());
            args.extend(Self::exclude_pathspec(exclude));
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = self.run(&argv)?;
            for rec in records(&out) {
                if tracked {
                    // "<mode> SP <object> SP <stage> TAB <path>"
                    let Some(tab) = rec.iter().position(|b| *b == b'\t') else {
                        continue;
                    };
                    let meta = String::from_utf8_lossy(&rec[..tab]);
                    let mode = meta.split(' ').next().unwrap_or_default().to_string();
                    files.push((Some(mode), path_string(&rec[tab + 1..])?));
                } else {
                    files.push((None, path_string(rec)?));
                }
            }
        }
        Ok(files)
    }
}
