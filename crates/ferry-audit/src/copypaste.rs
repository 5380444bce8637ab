//! Finding copy-pasted environments: directories per environment holding their own Terraform code,
//! or several root modules that are near-duplicates of each other. Once copies diverge, staging
//! no longer predicts prod, whatever the input files say, so this is reported as structural.

use crate::error::AuditError;
use crate::module::tf_files;
use serde::Serialize;
use similar::TextDiff;
use std::path::{Path, PathBuf};

/// Directory names under which per-environment directories usually live.
const ENV_PARENTS: &[&str] = &[
    "environments",
    "environment",
    "envs",
    "env",
    "stages",
    "live",
];
const SKIP_DIRS: &[&str] = &["target", "node_modules", "vendor"];
/// Diverging lines shown per finding; the rest is summarised as a count.
const MAX_DIVERGING: usize = 40;
/// Pairwise comparison is quadratic; beyond this many root modules only env directories are reported.
const MAX_DIRS_COMPARED: usize = 200;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CopyPasteKind {
    /// A directory named after an environment (or under `environments/`) that holds `.tf` code.
    EnvDirectory,
    /// Two directories of `.tf` code that are mostly the same.
    NearDuplicate,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopyPaste {
    pub kind: CopyPasteKind,
    /// Project-relative directories concerned.
    pub paths: Vec<String>,
    /// The `.tf` files found (environment directories only).
    pub files: Vec<String>,
    /// Share of identical lines, 0..1 (near duplicates only).
    pub similarity: Option<f64>,
    /// `-`/`+` lines (with `@@ file` headers) where the copies differ.
    pub diverging: Vec<String>,
    pub diverging_total: usize,
}

struct TfDir {
    rel: String,
    files: Vec<(String, String)>,
}

impl TfDir {
    fn text(&self) -> String {
        self.files
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Drops blank lines, comments and indentation so formatting alone never looks like divergence.
fn normalize(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<TfDir>) -> Result<(), AuditError> {
    let read = |path: &Path| AuditError::Read {
        path: path.to_path_buf(),
        source: std::io::Error::other("unreadable"),
    };
    let entries = std::fs::read_dir(dir).map_err(|source| AuditError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut subdirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| AuditError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().to_string();
        let path = entry.path();
        if path.is_dir() && !name.starts_with('.') && !SKIP_DIRS.contains(&name.as_str()) {
            subdirs.push(path);
        }
    }
    let mut files = tf_files(dir)?;
    if !files.is_empty() {
        files.sort();
        let mut texts = Vec::new();
        for f in &files {
            let text = std::fs::read_to_string(f).map_err(|source| AuditError::Read {
                path: f.clone(),
                source,
            })?;
            let name = f
                .file_name()
                .ok_or_else(|| read(f))?
                .to_string_lossy()
                .to_string();
            texts.push((name, normalize(&text)));
        }
        let rel = dir
            .strip_prefix(root)
            .unwrap_or(dir)
            .to_string_lossy()
            .replace('\\', "/");
        out.push(TfDir {
            rel: if rel.is_empty() { ".".into() } else { rel },
            files: texts,
        });
    }
    subdirs.sort();
    for sub in subdirs {
        walk(root, &sub, out)?;
    }
    Ok(())
}

fn diverging_lines(a: &TfDir, b: &TfDir) -> Vec<String> {
    let mut lines = Vec::new();
    let mut names: Vec<&str> = a
        .files
        .iter()
        .chain(&b.files)
        .map(|(n, _)| n.as_str())
        .collect();
    names.sort();
    names.dedup();
    for name in names {
        let left = a
            .files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str());
        let right = b
            .files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str());
        match (left, right) {
            (Some(l), Some(r)) if l == r => {}
            (Some(l), Some(r)) => {
                lines.push(format!("@@ {name}"));
                let diff = TextDiff::from_lines(l, r);
                for change in diff.iter_all_changes() {
                    let sign = match change.tag() {
                        similar::ChangeTag::Delete => '-',
                        similar::ChangeTag::Insert => '+',
                        similar::ChangeTag::Equal => continue,
                    };
                    lines.push(format!("{sign} {}", change.value().trim_end()));
                }
            }
            (Some(_), None) => lines.push(format!("@@ {name}: only in {}", a.rel)),
            (None, Some(_)) => lines.push(format!("@@ {name}: only in {}", b.rel)),
            (None, None) => {}
        }
    }
    lines
}

fn capped(lines: Vec<String>) -> (Vec<String>, usize) {
    let total = lines.len();
    (lines.into_iter().take(MAX_DIVERGING).collect(), total)
}

/// Scans `project_root` for copy-pasted environment code.
pub fn detect(
    project_root: &Path,
    env_names: &[String],
    threshold: f64,
) -> Result<Vec<CopyPaste>, AuditError> {
    let mut dirs = Vec::new();
    walk(project_root, project_root, &mut dirs)?;
    let mut findings = Vec::new();
    for d in &dirs {
        let parts: Vec<&str> = d.rel.split('/').collect();
        let env_dir = parts.iter().enumerate().any(|(i, p)| {
            env_names.iter().any(|e| e == p)
                || (i > 0
                    && ENV_PARENTS.contains(&parts[i - 1])
                    && !parts[..i].contains(&"modules"))
        });
        if env_dir && !parts.contains(&"modules") {
            findings.push(CopyPaste {
                kind: CopyPasteKind::EnvDirectory,
                paths: vec![d.rel.clone()],
                files: d.files.iter().map(|(n, _)| n.clone()).collect(),
                similarity: None,
                diverging: Vec::new(),
                diverging_total: 0,
            });
        }
    }
    // Shared modules are reused code, not copies: only candidate root modules are compared.
    let roots: Vec<&TfDir> = dirs
        .iter()
        .filter(|d| !d.rel.split('/').any(|p| p == "modules"))
        .take(MAX_DIRS_COMPARED)
        .collect();
    let texts: Vec<String> = roots.iter().map(|d| d.text()).collect();
    for i in 0..roots.len() {
        for j in i + 1..roots.len() {
            let ratio = f64::from(TextDiff::from_lines(&texts[i], &texts[j]).ratio());
            if ratio >= threshold {
                let (diverging, diverging_total) = capped(diverging_lines(roots[i], roots[j]));
                findings.push(CopyPaste {
                    kind: CopyPasteKind::NearDuplicate,
                    paths: vec![roots[i].rel.clone(), roots[j].rel.clone()],
                    files: Vec::new(),
                    similarity: Some((ratio * 100.0).round() / 100.0),
                    diverging,
                    diverging_total,
                });
            }
        }
    }
    Ok(findings)
}

/// The layout the article recommends, spelled with this project's environment names.
pub fn recommended_layout(env_names: &[String]) -> String {
    let root_module = "infra";
    let mut s = format!("{root_module}/\n├── modules/              # the shared logic, identical for every environment\n├── main.tf               # one root module\n└── environments/\n");
    for (i, e) in env_names.iter().enumerate() {
        let branch = if i + 1 == env_names.len() {
            "└──"
        } else {
            "├──"
        };
        s.push_str(&format!("    {branch} {e}.tfvars\n"));
    }
    s.push_str("Move what differs between the copies into variables and their values into the input files.\n");
    s
}

/// Paths are displayed relative to the project root.
pub fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_env_dirs_and_near_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let main = "resource \"null_resource\" \"web\" {\n  count = 2\n}\n\nresource \"null_resource\" \"db\" {}\n";
        for env in ["dev", "prod"] {
            std::fs::create_dir_all(root.join("envs").join(env)).unwrap();
        }
        std::fs::write(root.join("envs/dev/main.tf"), main).unwrap();
        std::fs::write(
            root.join("envs/prod/main.tf"),
            main.replace("count = 2", "count = 5") + "resource \"null_resource\" \"waf\" {}\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.join("envs/prod/modules/x")).unwrap();
        std::fs::write(root.join("envs/prod/modules/x/main.tf"), main).unwrap();
        std::fs::create_dir_all(root.join(".terraform")).unwrap();
        std::fs::write(root.join(".terraform/main.tf"), main).unwrap();
        let found = detect(root, &["dev".into(), "prod".into()], 0.6).unwrap();
        assert_eq!(found.len(), 3, "{found:#?}");
        assert_eq!(found[0].kind, CopyPasteKind::EnvDirectory);
        assert_eq!(found[0].paths, vec!["envs/dev"]);
        assert_eq!(found[1].paths, vec!["envs/prod"]);
        assert_eq!(found[2].kind, CopyPasteKind::NearDuplicate);
        assert_eq!(found[2].paths, vec!["envs/dev", "envs/prod"]);
        assert_eq!(
            found[2].diverging,
            vec![
                "@@ main.tf",
                "- count = 2",
                "+ count = 5",
                "+ resource \"null_resource\" \"waf\" {}"
            ]
        );
        assert_eq!(found[2].similarity, Some(0.67));
    }

    #[test]
    fn one_root_module_is_clean() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("infra/modules/app")).unwrap();
        std::fs::create_dir_all(root.join("infra/environments")).unwrap();
        std::fs::write(
            root.join("infra/main.tf"),
            "module \"app\" {\n  source = \"./modules/app\"\n}\n",
        )
        .unwrap();
        std::fs::write(
            root.join("infra/modules/app/main.tf"),
            "module \"app\" {\n  source = \"./modules/app\"\n}\n",
        )
        .unwrap();
        std::fs::write(root.join("infra/environments/dev.tfvars"), "a = 1\n").unwrap();
        assert_eq!(detect(root, &["dev".into()], 0.6).unwrap(), vec![]);
    }
}
