//! The engine driven lean: providers go once into a cache shared by every work dir (under the
//! data dir, unless the user has their own `TF_PLUGIN_CACHE_DIR`), and work dirs link to it.

use crate::common::{run, Project};
use std::path::{Path, PathBuf};

const NULL: &str = "registry.terraform.io/hashicorp/null/2.1.2/linux_amd64";

fn provider_in(cache: &Path) -> bool {
    std::fs::read_dir(cache.join(NULL)).is_ok_and(|d| {
        d.flatten().any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("terraform-provider-null")
        })
    })
}

fn linked_from(p: &Project, env: &str) -> PathBuf {
    let entry = p
        .data()
        .join("work")
        .join(env)
        .join("infra/.terraform/providers")
        .join(NULL);
    std::fs::read_link(&entry).unwrap_or_else(|e| panic!("{} is not a link: {e}", entry.display()))
}

/// The pinned CLI configuration without its own `plugin_cache_dir`.
fn rc_without_cache(p: &Project) -> PathBuf {
    let (_, rc) = crate::common::tools();
    let text: String = std::fs::read_to_string(rc)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("plugin_cache_dir"))
        .map(|l| format!("{l}\n"))
        .collect();
    let path = p.dir.path().join("terraformrc");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn providers_are_installed_once_into_a_shared_cache() {
    let p = Project::example();
    p.release();
    let rc = rc_without_cache(&p);
    let promote = |to: &str| {
        let mut cmd = p.ferry(&["promote", "--to", to, "--yes"]);
        cmd.env("TF_CLI_CONFIG_FILE", &rc);
        let (code, out, err) = run(cmd);
        assert_eq!(code, 0, "{out}\n{err}");
    };
    promote("dev");
    let cache = p.data().join("plugin-cache");
    assert!(provider_in(&cache));
    assert!(linked_from(&p, "dev").starts_with(&cache));
    promote("staging");
    assert!(linked_from(&p, "staging").starts_with(&cache));
}

#[test]
fn a_plugin_cache_in_the_users_cli_config_is_left_alone() {
    let p = Project::example();
    p.release();
    // the pinned configuration sets plugin_cache_dir
    p.ok(&["promote", "--to", "dev"]);
    assert!(!p.data().join("plugin-cache").exists());
}

#[test]
fn a_users_own_plugin_cache_is_left_alone_and_used() {
    let p = Project::example();
    p.release();
    let own = p.dir.path().join("own-cache");
    std::fs::create_dir_all(&own).unwrap();
    let mut cmd = p.ferry(&["promote", "--to", "dev"]);
    cmd.env("TF_PLUGIN_CACHE_DIR", &own)
        .env("TF_CLI_CONFIG_FILE", rc_without_cache(&p));
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(provider_in(&own));
    assert!(linked_from(&p, "dev").starts_with(&own));
    assert!(!p.data().join("plugin-cache").exists());
}
