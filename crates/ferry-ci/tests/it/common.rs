//! Fixtures: the example project and a four-environment chain, each in local and team mode.

use ferry_ci::{generate, Generated, Options, Provider};
use ferry_core::Config;
use std::path::{Path, PathBuf};
use yaml_rust2::{Yaml, YamlLoader};

pub const VERSION: &str = "0.1.0";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn demo_toml() -> String {
    std::fs::read_to_string(repo_root().join("examples/demo/ferry.toml")).unwrap()
}

pub const SERVER: &str = r#"
[server]
url = "https://ferry.example.com"
audience = "ferry-ci"
"#;

/// dev -> qa -> staging -> prod; staging and prod need approvals; engine pinned; real backends.
pub const CHAIN4: &str = r#"
[engine]
binary = "terraform"
version = "1.11.4"

[project]
root = "infra"

[[environment]]
name = "dev"
var_files = ["infra/environments/dev.tfvars"]
auto_apply = true
backend_config = { bucket = "tf-state", key = "dev.tfstate" }

[[environment]]
name = "qa"
var_files = ["infra/environments/qa.tfvars"]
from = "dev"
auto_apply = true
backend_config = { bucket = "tf-state", key = "qa.tfstate" }

[[environment]]
name = "staging"
var_files = ["infra/environments/staging.tfvars"]
from = "qa"
approvals = 1
backend_config = { bucket = "tf-state", key = "staging.tfstate" }

[[environment]]
name = "prod"
var_files = ["infra/environments/prod.tfvars"]
from = "staging"
approvals = 2
backend_config = { bucket = "tf-state", key = "prod.tfstate" }

[ci]
secrets = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
ferry_install = "curl -fsSL https://artifacts.example.com/ferry/{version}/ferry-linux-amd64 -o /usr/local/bin/ferry && chmod +x /usr/local/bin/ferry"
"#;

pub fn config(text: &str) -> Config {
    Config::parse(text, "ferry.toml").unwrap()
}

pub fn options() -> Options {
    Options {
        ferry_version: VERSION.to_string(),
        root: PathBuf::from("/repo"),
        out: None,
    }
}

pub fn gen(text: &str, provider: Provider) -> Generated {
    generate(&config(text), provider, &options()).unwrap()
}

/// Every fixture: (name, ferry.toml text).
pub fn fixtures() -> Vec<(&'static str, String)> {
    vec![
        ("demo_local", demo_toml()),
        ("demo_server", format!("{}{SERVER}", demo_toml())),
        ("chain4_local", CHAIN4.to_string()),
        ("chain4_server", format!("{CHAIN4}{SERVER}")),
    ]
}

pub fn parse(text: &str) -> Yaml {
    let mut docs = YamlLoader::load_from_str(text).unwrap();
    assert_eq!(docs.len(), 1);
    docs.remove(0)
}

pub fn s(y: &Yaml) -> &str {
    y.as_str().unwrap_or_else(|| panic!("not a string: {y:?}"))
}

pub fn strs(y: &Yaml) -> Vec<String> {
    y.as_vec()
        .unwrap_or_else(|| panic!("not a sequence: {y:?}"))
        .iter()
        .map(|i| s(i).to_string())
        .collect()
}

/// Every shell script in a generated file: GitHub `run:` steps, GitLab script/before_script.
pub fn scripts(provider: Provider, doc: &Yaml) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(top) = doc.as_hash() else {
        return out;
    };
    match provider {
        Provider::Github => {
            for (name, job) in doc["jobs"].as_hash().unwrap() {
                for step in job["steps"].as_vec().unwrap() {
                    if let Some(run) = step["run"].as_str() {
                        out.push((s(name).to_string(), run.to_string()));
                    }
                }
            }
        }
        Provider::Gitlab => {
            for (name, job) in top {
                for k in ["before_script", "script"] {
                    if let Some(items) = job[k].as_vec() {
                        for item in items {
                            out.push((format!("{}.{k}", s(name)), s(item).to_string()));
                        }
                    }
                }
            }
        }
    }
    out
}
