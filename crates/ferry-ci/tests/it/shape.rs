//! The properties the issue asks for, read back from the generated YAML with a real parser.

use crate::common::{self, fixtures, gen, parse, s, strs, CHAIN4, SERVER};
use ferry_ci::Provider;
use ferry_core::Config;
use yaml_rust2::Yaml;

fn chain(text: &str) -> Vec<(String, Option<String>)> {
    let config = Config::parse(text, "ferry.toml").unwrap();
    config
        .chain_order()
        .iter()
        .map(|e| (e.name().to_string(), e.from_env().map(str::to_string)))
        .collect()
}

/// The deploy body (the only `ferry promote`) exists once; each environment refers to it.
#[test]
fn github_deploy_job_exists_once_and_every_environment_refers_to_it() {
    for (name, text) in fixtures() {
        let g = gen(&text, Provider::Github);
        assert_eq!(
            g.contents.matches("ferry promote --to").count(),
            1,
            "{name}"
        );
        let doc = parse(&g.contents);
        let promoting: Vec<String> = common::scripts(Provider::Github, &doc)
            .into_iter()
            .filter(|(_, run)| run.contains("ferry promote"))
            .map(|(job, _)| job)
            .collect();
        assert_eq!(promoting, vec!["deploy".to_string()], "{name}");
        let deploy = &doc["jobs"]["deploy"];
        let include = deploy["strategy"]["matrix"]["include"].as_vec().unwrap();
        let envs: Vec<&str> = include.iter().map(|i| s(&i["environment"])).collect();
        let want = chain(&text);
        assert_eq!(
            envs,
            want.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
            "{name}: chain order"
        );
        // One at a time, stopping at the first failure: the chain, in order.
        assert_eq!(deploy["strategy"]["max-parallel"].as_i64(), Some(1));
        assert_eq!(deploy["strategy"]["fail-fast"].as_bool(), Some(true));
        assert_eq!(s(&deploy["env"]["FERRY_ENV"]), "${{ matrix.environment }}");
        // The release id, not a branch, is what every environment deploys.
        assert_eq!(s(&deploy["needs"]), "release");
        assert_eq!(
            s(&deploy["env"]["FERRY_RELEASE"]),
            "${{ needs.release.outputs.id }}"
        );
        assert_eq!(
            s(&doc["jobs"]["release"]["outputs"]["id"]),
            "${{ steps.release.outputs.id }}"
        );
        let promote = common::scripts(Provider::Github, &doc)
            .into_iter()
            .find(|(_, r)| r.contains("ferry promote"))
            .unwrap()
            .1;
        assert!(
            promote.contains(r#"ferry promote --to "$FERRY_ENV" --release "$FERRY_RELEASE" --yes"#)
        );
        // A concurrency group per environment, never cancelling an apply.
        assert_eq!(
            s(&deploy["concurrency"]["group"]),
            "ferry-deploy-${{ matrix.environment }}"
        );
        assert_eq!(
            deploy["concurrency"]["cancel-in-progress"].as_bool(),
            Some(false)
        );
    }
}

#[test]
fn gitlab_deploy_job_exists_once_and_every_environment_refers_to_it() {
    for (name, text) in fixtures() {
        let g = gen(&text, Provider::Gitlab);
        assert_eq!(
            g.contents.matches("ferry promote --to").count(),
            1,
            "{name}"
        );
        let doc = parse(&g.contents);
        let promoting: Vec<String> = common::scripts(Provider::Gitlab, &doc)
            .into_iter()
            .filter(|(_, run)| run.contains("ferry promote"))
            .map(|(job, _)| job)
            .collect();
        assert_eq!(
            promoting,
            vec![".ferry-deploy.script".to_string()],
            "{name}"
        );
        let template = &doc[".ferry-deploy"];
        assert_eq!(template["allow_failure"]["exit_codes"][0].as_i64(), Some(3));
        assert_eq!(template["interruptible"].as_bool(), Some(false));
        let mut deploy_jobs = 0;
        for (job, body) in doc.as_hash().unwrap() {
            if s(job).starts_with("ferry-deploy-") {
                deploy_jobs += 1;
                assert_eq!(s(&body["extends"]), ".ferry-deploy", "{name}: {job:?}");
                assert!(
                    body["script"].is_badvalue(),
                    "{name}: {job:?} has its own script"
                );
            }
        }
        let want = chain(&text);
        assert_eq!(deploy_jobs, want.len(), "{name}");
        for (env, from) in &want {
            let job = &doc[format!("ferry-deploy-{env}").as_str()];
            assert_eq!(s(&job["variables"]["FERRY_ENV"]), env);
            let upstream = match from {
                Some(f) => format!("ferry-deploy-{f}"),
                None => "ferry-release".to_string(),
            };
            assert_eq!(strs(&job["needs"]), vec![upstream], "{name}: {env}");
            assert_eq!(s(&job["resource_group"]), format!("ferry-{env}"));
        }
        // The release id travels as a dotenv report, job to job.
        assert_eq!(
            s(&doc["ferry-release"]["artifacts"]["reports"]["dotenv"]),
            "ferry.env"
        );
        assert_eq!(s(&template["artifacts"]["reports"]["dotenv"]), "ferry.env");
    }
}

#[test]
fn a_tree_of_environments_follows_each_from() {
    let text = CHAIN4.replace("from = \"qa\"", "from = \"dev\"");
    let g = gen(&text, Provider::Gitlab);
    let doc = parse(&g.contents);
    assert_eq!(
        strs(&doc["ferry-deploy-staging"]["needs"]),
        vec!["ferry-deploy-dev"]
    );
    assert_eq!(
        strs(&doc["ferry-deploy-qa"]["needs"]),
        vec!["ferry-deploy-dev"]
    );
    assert!(g.contents.contains("staging (after dev)"), "{}", g.contents);
}

fn jobs(provider: Provider, doc: &Yaml) -> Vec<(String, Yaml)> {
    match provider {
        Provider::Github => doc["jobs"]
            .as_hash()
            .unwrap()
            .iter()
            .map(|(k, v)| (s(k).to_string(), v.clone()))
            .collect(),
        Provider::Gitlab => doc
            .as_hash()
            .unwrap()
            .iter()
            .filter(|(k, _)| s(k).starts_with(".ferry") || s(k).starts_with("ferry-"))
            .map(|(k, v)| (s(k).to_string(), v.clone()))
            .collect(),
    }
}

#[test]
fn team_mode_authenticates_with_the_ci_oidc_token() {
    let text = format!("{CHAIN4}{SERVER}");
    let gh = parse(&gen(&text, Provider::Github).contents);
    assert_eq!(s(&gh["env"]["FERRY_SERVER"]), "https://ferry.example.com");
    assert_eq!(s(&gh["env"]["FERRY_AUDIENCE"]), "ferry-ci");
    for (name, job) in jobs(Provider::Github, &gh) {
        assert_eq!(s(&job["permissions"]["id-token"]), "write", "{name}");
    }
    for (job, run) in common::scripts(Provider::Github, &gh) {
        if run.contains("ferry release")
            || run.contains("ferry promote")
            || run.contains("ferry plan")
            || run.contains("ferry drift")
        {
            assert!(run.contains("ferry_login\n"), "{job}: {run}");
            assert!(run.contains("ACTIONS_ID_TOKEN_REQUEST_URL"), "{job}");
            assert!(run.contains("::add-mask::$FERRY_TOKEN"), "{job}");
        }
    }
    let gl = parse(&gen(&text, Provider::Gitlab).contents);
    assert_eq!(
        s(&gl["variables"]["FERRY_SERVER"]),
        "https://ferry.example.com"
    );
    assert_eq!(
        s(&gl[".ferry"]["id_tokens"]["FERRY_ID_TOKEN"]["aud"]),
        "ferry-ci"
    );
    let before = strs(&gl[".ferry"]["before_script"]);
    assert!(before
        .iter()
        .any(|b| b == "export FERRY_TOKEN=\"$FERRY_ID_TOKEN\""));
    // Every job that runs ferry extends .ferry.
    for (name, job) in jobs(Provider::Gitlab, &gl) {
        if name == ".ferry" || name == ".ferry-main" || name.starts_with("ferry-deploy-") {
            continue;
        }
        let extends = match &job["extends"] {
            Yaml::String(one) => vec![one.clone()],
            other => strs(other),
        };
        assert!(extends.contains(&".ferry".to_string()), "{name}");
    }
}

#[test]
fn audience_defaults_to_the_server_url() {
    let text = format!("{CHAIN4}\n[server]\nurl = \"https://ferry.example.com\"\n");
    let gl = parse(&gen(&text, Provider::Gitlab).contents);
    assert_eq!(
        s(&gl[".ferry"]["id_tokens"]["FERRY_ID_TOKEN"]["aud"]),
        "https://ferry.example.com"
    );
}

#[test]
fn local_mode_states_its_limits_and_carries_the_ledger_encrypted() {
    for provider in Provider::ALL {
        let g = gen(CHAIN4, provider);
        let header: String = g
            .contents
            .lines()
            .take_while(|l| l.starts_with('#'))
            .map(|l| format!("{}\n", l.trim_start_matches('#').trim()))
            .collect::<String>()
            .replace('\n', " ");
        for needle in [
            "Local mode",
            "when the run ends they are gone",
            "encrypted with the FERRY_ARTIFACT_KEY secret",
            "for trying ferry",
            "team mode",
        ] {
            assert!(header.contains(needle), "{provider}: {needle}: {header}");
        }
        assert!(!g.contents.contains("id-token"), "{provider}");
        assert!(!g.contents.contains("id_tokens"), "{provider}");
        assert!(
            g.contents.contains("openssl enc -aes-256-cbc -pbkdf2"),
            "{provider}"
        );
    }
    let gh = parse(&gen(CHAIN4, Provider::Github).contents);
    let include = gh["jobs"]["deploy"]["strategy"]["matrix"]["include"]
        .as_vec()
        .unwrap();
    let upstreams: Vec<&str> = include.iter().map(|i| s(&i["upstream"])).collect();
    assert_eq!(
        upstreams,
        vec!["release", "env-dev", "env-qa", "env-staging"]
    );
    assert_eq!(
        s(&gh["env"]["FERRY_ARTIFACT_KEY"]),
        "${{ secrets.FERRY_ARTIFACT_KEY }}"
    );
}

#[test]
fn secrets_are_references_only() {
    for provider in Provider::ALL {
        let g = gen(CHAIN4, provider);
        for line in g.contents.lines() {
            if line.contains("AWS_SECRET_ACCESS_KEY") && !line.trim_start().starts_with('#') {
                assert_eq!(
                    line.trim(),
                    "AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }}",
                    "{provider}"
                );
            }
        }
    }
    let gh = parse(&gen(CHAIN4, Provider::Github).contents);
    for (k, v) in gh["env"].as_hash().unwrap() {
        let k = s(k);
        if k.starts_with("AWS_") || k == "FERRY_ARTIFACT_KEY" {
            assert_eq!(s(v), format!("${{{{ secrets.{k} }}}}"));
        }
    }
}

#[test]
fn approvals_stop_at_ferrys_gate_not_a_provider_gate() {
    let gh = gen(CHAIN4, Provider::Github);
    // GitHub environments with protection rules would be a gate ferry cannot see.
    assert!(
        !gh.contents.contains("environment: ${{"),
        "no GitHub environment gate"
    );
    let doc = parse(&gh.contents);
    assert!(doc["jobs"]["deploy"]["environment"].is_badvalue());
    assert!(gh
        .contents
        .contains("Approvals: staging (1 approval), prod (2 approvals) stop at ferry's own gate"));
    let promote = common::scripts(Provider::Github, &doc)
        .into_iter()
        .find(|(_, r)| r.contains("ferry promote"))
        .unwrap()
        .1;
    assert!(promote.contains("  3)\n"), "exit 3 is handled: {promote}");
    assert!(promote.contains("is waiting at ferry's gate"));
    let gl = gen(CHAIN4, Provider::Gitlab);
    let doc = parse(&gl.contents);
    for (name, job) in jobs(Provider::Gitlab, &doc) {
        assert!(
            job["when"].as_str() != Some("manual"),
            "{name}: a manual job is a provider gate"
        );
        assert!(job["environment"].is_badvalue(), "{name}");
    }
}

#[test]
fn pull_requests_plan_every_environment_and_keep_one_comment_each() {
    let gh = parse(&gen(CHAIN4, Provider::Github).contents);
    let plan = &gh["jobs"]["plan"];
    assert_eq!(s(&plan["if"]), "github.event_name == 'pull_request'");
    assert_eq!(s(&plan["permissions"]["pull-requests"]), "write");
    let run = common::scripts(Provider::Github, &gh)
        .into_iter()
        .find(|(j, r)| j == "plan" && r.contains("ferry plan"))
        .unwrap()
        .1;
    assert!(run.contains("for env in dev qa staging prod; do"), "{run}");
    assert!(run.contains("--format markdown"));
    assert!(run.contains("<!-- ferry-plan:$1 -->"));
    assert!(run.contains("gh api --method PATCH"));
    assert!(run.contains(r#"ferry release create --commit "$HEAD_SHA""#));
    assert_eq!(
        s(&plan["steps"][0]["with"]["ref"]),
        "${{ github.event.pull_request.head.sha }}"
    );

    let gl = parse(&gen(CHAIN4, Provider::Gitlab).contents);
    let job = &gl["ferry-plan"];
    assert_eq!(
        s(&job["rules"][0]["if"]),
        "$CI_PIPELINE_SOURCE == \"merge_request_event\""
    );
    let script = strs(&job["script"]).join("\n");
    assert!(script.contains("for env in dev qa staging prod; do"));
    assert!(script.contains("/merge_requests/$CI_MERGE_REQUEST_IID/notes"));
    assert!(script.contains("JOB-TOKEN: $CI_JOB_TOKEN"));
}

#[test]
fn drift_runs_on_a_schedule_for_every_environment() {
    let text = CHAIN4.replace("[ci]\n", "[ci]\ndrift_schedule = \"0 */6 * * 1-5\"\n");
    let gh = parse(&gen(&text, Provider::Github).contents);
    assert_eq!(s(&gh["on"]["schedule"][0]["cron"]), "0 */6 * * 1-5");
    let drift = &gh["jobs"]["drift"];
    assert_eq!(
        strs(&drift["strategy"]["matrix"]["environment"]),
        vec!["dev", "qa", "staging", "prod"]
    );
    assert_eq!(drift["strategy"]["fail-fast"].as_bool(), Some(false));
    let gl = parse(&gen(&text, Provider::Gitlab).contents);
    let drift = &gl["ferry-drift"];
    assert_eq!(
        strs(&drift["parallel"]["matrix"][0]["FERRY_ENV"]),
        vec!["dev", "qa", "staging", "prod"]
    );
    assert!(
        drift["allow_failure"].is_badvalue(),
        "drift must fail visibly"
    );
    // The default is daily.
    let default = parse(&gen(CHAIN4, Provider::Github).contents);
    assert_eq!(s(&default["on"]["schedule"][0]["cron"]), "17 6 * * *");
}

#[test]
fn header_names_version_and_command() {
    for provider in Provider::ALL {
        let g = gen(CHAIN4, provider);
        let first = g.contents.lines().next().unwrap();
        assert_eq!(first, "# Generated by ferry 0.1.0 from ferry.toml with:");
        assert_eq!(
            g.contents.lines().nth(1).unwrap(),
            format!("#   ferry ci generate --provider {provider}")
        );
        assert!(ferry_ci::is_generated(&g.contents));
    }
    let mut opts = common::options();
    opts.out = Some("ci/ferry.gitlab-ci.yml".into());
    let g = ferry_ci::generate(&common::config(CHAIN4), Provider::Gitlab, &opts).unwrap();
    assert!(g.contents.starts_with(
        "# Generated by ferry 0.1.0 from ferry.toml with:\n#   ferry ci generate --provider gitlab --out ci/ferry.gitlab-ci.yml\n"
    ));
    assert_eq!(g.path, std::path::PathBuf::from("ci/ferry.gitlab-ci.yml"));
}

#[test]
fn engine_is_pinned_the_way_the_project_says() {
    let gh = parse(&gen(CHAIN4, Provider::Github).contents);
    let steps = gh["jobs"]["deploy"]["steps"].as_vec().unwrap();
    let setup = steps
        .iter()
        .find(|st| {
            st["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("hashicorp/setup-terraform@"))
        })
        .unwrap();
    assert_eq!(s(&setup["with"]["terraform_version"]), "1.11.4");
    assert_eq!(setup["with"]["terraform_wrapper"].as_bool(), Some(false));

    let tofu = CHAIN4.replace("binary = \"terraform\"", "binary = \"tofu\"");
    let gh = gen(&tofu, Provider::Github).contents;
    assert!(gh.contains("uses: opentofu/setup-opentofu@v1"), "{gh}");
    assert!(gh.contains("tofu_version: \"1.11.4\""));
    assert!(gh.contains("tofu_wrapper: false"));
    let gl = gen(CHAIN4, Provider::Gitlab).contents;
    assert!(gl.contains(
        "https://releases.hashicorp.com/terraform/1.11.4/terraform_1.11.4_linux_amd64.zip"
    ));
    assert!(gl.contains("sha256sum -c -"));

    let custom = CHAIN4.replace(
        "[ci]\n",
        "[ci]\nengine_install = \"install-terraform {version}\"\n",
    );
    for provider in Provider::ALL {
        let g = gen(&custom, provider).contents;
        assert!(g.contains("install-terraform 1.11.4\n"), "{provider}");
        assert!(!g.contains("setup-terraform"), "{provider}");
        assert!(!g.contains("releases.hashicorp.com"), "{provider}");
    }
}

#[test]
fn ferry_install_pins_the_generating_version() {
    for provider in Provider::ALL {
        let g = gen(CHAIN4, provider).contents;
        assert!(
            g.contains("https://artifacts.example.com/ferry/0.1.0/ferry-linux-amd64"),
            "{provider}"
        );
        assert!(
            g.contains(r#"if [ "$have" != "ferry 0.1.0" ]; then"#),
            "{provider}"
        );
    }
}

#[test]
fn environment_names_yaml_would_misread_stay_strings() {
    let text = CHAIN4
        .replace("\"dev\"", "\"yes\"")
        .replace("\"qa\"", "\"1\"")
        .replace("\"staging\"", "\"on\"");
    let names = vec!["yes", "1", "on", "prod"];
    let gh = parse(&gen(&text, Provider::Github).contents);
    assert_eq!(
        strs(&gh["jobs"]["drift"]["strategy"]["matrix"]["environment"]),
        names
    );
    let gl = parse(&gen(&text, Provider::Gitlab).contents);
    for name in &names {
        assert_eq!(
            s(&gl[format!("ferry-deploy-{name}").as_str()]["variables"]["FERRY_ENV"]),
            *name
        );
    }
}
