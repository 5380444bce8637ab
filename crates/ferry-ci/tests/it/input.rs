//! Bad input: clear, typed errors that name the key or the fix; nothing generated.

use crate::common::{config, options, CHAIN4};
use ferry_ci::{generate, resolve_out, CiError, Provider};
use std::path::Path;

fn err(text: &str) -> CiError {
    match generate(&config(text), Provider::Github, &options()) {
        Ok(_) => panic!("generated from bad input:\n{text}"),
        Err(e) => e,
    }
}

fn with_ci(line: &str) -> String {
    CHAIN4.replace("[ci]\n", &format!("[ci]\n{line}\n"))
}

#[test]
fn unknown_ci_key_names_the_key_and_the_known_ones() {
    let e = err(&with_ci("drift_schedul = \"0 6 * * *\""));
    assert!(
        matches!(&e, CiError::UnknownKey { key, .. } if key == "drift_schedul"),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.starts_with(
            "ferry.toml: [ci] has no key `drift_schedul`; known keys: main_branch, drift_schedule"
        ),
        "{msg}"
    );
}

#[test]
fn wrong_types_and_values_name_the_key() {
    for (line, key, needle) in [
        (
            "drift_schedule = 6",
            "drift_schedule",
            "must be a string, found integer",
        ),
        (
            "drift_schedule = \"daily\"",
            "drift_schedule",
            "not a five-field cron",
        ),
        (
            "drift_schedule = \"0 6 * *\"",
            "drift_schedule",
            "not a five-field cron",
        ),
        (
            "main_branch = \"main; rm -rf /\"",
            "main_branch",
            "not a branch name",
        ),
        ("main_branch = \"\"", "main_branch", "not a branch name"),
        ("engine_install = \"  \"", "engine_install", "is empty"),
        (
            "runs_on = true",
            "runs_on",
            "must be a string, found boolean",
        ),
        (
            "include = \"ci/app.yml\"",
            "include",
            "must be an array of strings",
        ),
        (
            "include = [\"../outside.yml\"]",
            "include",
            "inside the repository",
        ),
        ("include = [\"ci/app.txt\"]", "include", ".yml/.yaml"),
    ] {
        let e = err(&with_ci(line));
        match &e {
            CiError::InvalidValue {
                table: "ci",
                key: k,
                message,
            } => {
                assert_eq!(k, key, "{line}");
                assert!(message.contains(needle), "{line}: {message}");
            }
            other => panic!("{line}: {other:?}"),
        }
        assert!(
            e.to_string()
                .starts_with(&format!("ferry.toml: [ci] {key}: ")),
            "{e}"
        );
    }
}

#[test]
fn bad_secret_names_are_refused() {
    let text = CHAIN4.replace(
        "secrets = [\"AWS_ACCESS_KEY_ID\", \"AWS_SECRET_ACCESS_KEY\"]",
        "secrets = [\"aws key\"]",
    );
    assert!(err(&text)
        .to_string()
        .contains("'aws key' is not a usable secret name"));
    for bad in ["GITHUB_TOKEN", "FERRY_TOKEN", "CI_JOB_TOKEN", "1PASSWORD"] {
        let text = CHAIN4.replace("\"AWS_ACCESS_KEY_ID\"", &format!("\"{bad}\""));
        assert!(
            matches!(err(&text), CiError::InvalidValue { ref key, .. } if key == "secrets"),
            "{bad}"
        );
    }
    let twice = CHAIN4.replace("\"AWS_SECRET_ACCESS_KEY\"", "\"AWS_ACCESS_KEY_ID\"");
    assert!(err(&twice)
        .to_string()
        .contains("lists \"AWS_ACCESS_KEY_ID\" twice"));
}

#[test]
fn server_settings_are_checked() {
    let e = err(&format!(
        "{CHAIN4}\n[server]\nurl = \"ferry.example.com\"\n"
    ));
    assert!(
        e.to_string()
            .starts_with("ferry.toml: [server] url: 'ferry.example.com' is not an http(s) URL"),
        "{e}"
    );
    let e = err(&format!("{CHAIN4}\n[server]\naudience = \"x\"\n"));
    assert!(
        e.to_string()
            .contains("[server] audience: is set but [server] url is not"),
        "{e}"
    );
    let e = err(&format!(
        "{CHAIN4}\n[server]\nurl = \"https://a.example\"\naudience = \"a\\\"b\"\n"
    ));
    assert!(
        matches!(
            e,
            CiError::InvalidValue {
                table: "server",
                ..
            }
        ),
        "{e:?}"
    );
    // Keys of [server] that belong to `ferry serve` are not ferry-ci's to refuse.
    let ok =
        format!("{CHAIN4}\n[server]\nurl = \"https://a.example\"\nlisten = \"0.0.0.0:7700\"\n");
    assert!(generate(&config(&ok), Provider::Github, &options()).is_ok());
}

#[test]
fn an_engine_requirement_cannot_be_pinned() {
    let text = CHAIN4.replace("version = \"1.11.4\"", "version = \">= 1.5, < 2\"");
    let e = err(&text);
    assert!(matches!(e, CiError::EngineNotPinned(_)));
    assert!(
        e.to_string().contains("set [engine] version = \"X.Y.Z\""),
        "{e}"
    );
    // An install command makes any requirement fine.
    let with_cmd = text.replace(
        "[ci]\n",
        "[ci]\nengine_install = \"apt-get install -y terraform\"\n",
    );
    assert!(generate(&config(&with_cmd), Provider::Github, &options()).is_ok());
}

#[test]
fn unpinned_engine_and_missing_ferry_install_are_warnings() {
    let text = CHAIN4
        .replace("version = \"1.11.4\"\n", "")
        .replace("ferry_install", "# ferry_install");
    let g = generate(&config(&text), Provider::Github, &options()).unwrap();
    assert!(
        g.warnings
            .iter()
            .any(|w| w.contains("the engine is not pinned")),
        "{:?}",
        g.warnings
    );
    assert!(
        g.warnings
            .iter()
            .any(|w| w.contains("no [ci] ferry_install")),
        "{:?}",
        g.warnings
    );
    // Real backends in CHAIN4: no state-loss warning.
    assert!(
        !g.warnings.iter().any(|w| w.contains("backend_config")),
        "{:?}",
        g.warnings
    );
}

#[test]
fn unknown_provider_is_a_typed_error() {
    let e = "jenkins".parse::<Provider>().unwrap_err();
    assert!(matches!(&e, CiError::UnknownProvider(p) if p == "jenkins"));
    assert_eq!(
        e.to_string(),
        "unknown CI provider 'jenkins'; ferry generates pipelines for: github, gitlab"
    );
    assert_eq!("gitlab".parse::<Provider>().unwrap(), Provider::Gitlab);
}

#[test]
fn output_paths_outside_the_repository_are_refused() {
    let root = Path::new("/work/repo");
    for bad in [
        "../ferry.yml",
        "/etc/ferry.yml",
        "/work/repo/../other/x.yml",
        "a/../../x.yml",
        ".git/hooks/x",
        "",
        ".",
    ] {
        let e = resolve_out(root, Some(Path::new(bad)), Provider::Github).unwrap_err();
        assert!(
            matches!(e, CiError::OutsideRepository { .. }),
            "{bad}: {e:?}"
        );
        assert!(
            e.to_string()
                .contains("(default .github/workflows/ferry.yml)"),
            "{e}"
        );
    }
    for (good, want) in [
        ("ci/ferry.yml", "ci/ferry.yml"),
        ("./ci/../ferry.yml", "ferry.yml"),
        ("/work/repo/ci/ferry.yml", "ci/ferry.yml"),
        ("/work/repo/./ci/x.yml", "ci/x.yml"),
    ] {
        assert_eq!(
            resolve_out(root, Some(Path::new(good)), Provider::Github).unwrap(),
            Path::new(want),
            "{good}"
        );
    }
    assert_eq!(
        resolve_out(root, None, Provider::Gitlab).unwrap(),
        Path::new(".gitlab-ci.yml")
    );
    let mut opts = options();
    opts.out = Some("../elsewhere.yml".into());
    assert!(matches!(
        generate(&config(CHAIN4), Provider::Gitlab, &opts),
        Err(CiError::OutsideRepository { .. })
    ));
}

#[test]
fn no_environments_or_a_cycle_never_reach_the_generator() {
    // ferry_core refuses them while parsing; the generator only ever sees a valid chain.
    assert!(ferry_core::Config::parse("[ci]\n", "ferry.toml").is_err());
    let cycle = CHAIN4.replace(
        "auto_apply = true\nbackend_config = { bucket = \"tf-state\", key = \"dev.tfstate\" }",
        "auto_apply = true\nfrom = \"prod\"",
    );
    assert!(ferry_core::Config::parse(&cycle, "ferry.toml")
        .unwrap_err()
        .to_string()
        .contains("cycle"));
}
