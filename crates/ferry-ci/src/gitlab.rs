//! GitLab CI: `.gitlab-ci.yml`.
//!
//! The deploy template is the hidden job `.ferry-deploy`; each environment is a three-line job
//! that `extends` it and names its environment, its upstream job (`needs`, the chain) and its
//! resource group. The release id travels as a dotenv report from job to job down the chain.
//! No `workflow:` or `stages:` of its own (the default stages are used), so hand-written jobs in
//! `[ci] include` files keep their own pipeline rules.

use crate::script;
use crate::settings::EngineKind;
use crate::yaml::{render as render_yaml, Map, Node};
use crate::{header, Model};

const DATA_FILE: &str = "ferry-data.enc";

pub fn render(m: &Model) -> String {
    let mut root = Map::new();
    if !m.settings.include.is_empty() {
        let items: Vec<Node> = m
            .settings
            .include
            .iter()
            .map(|p| Map::new().set("local", p).into())
            .collect();
        root.push_commented(
            "include",
            items,
            &["Hand-written jobs ([ci] include): ferry never writes these files.".to_string()],
        );
    }
    if let Some(server) = m.server() {
        root.push_commented(
            "variables",
            Map::new().set("FERRY_SERVER", &server.url),
            &[],
        );
    }
    root.push_commented(
        ".ferry",
        base_job(m),
        &[
            "What every ferry job starts with: the engine, ferry, and (team mode) the ID token."
                .to_string(),
        ],
    );
    root.push_commented(
        ".ferry-main",
        Map::new().set(
            "rules",
            vec![
                Node::from(
                    Map::new()
                        .set("if", "$FERRY_DRIFT == \"true\"")
                        .set("when", "never"),
                ),
                Map::new()
                    .set(
                        "if",
                        format!(
                            "$CI_COMMIT_BRANCH == \"{}\" && $CI_PIPELINE_SOURCE =~ /^(push|web|api|trigger)$/",
                            m.settings.main_branch
                        ),
                    )
                    .into(),
            ],
        ),
        &["Pipelines of the main branch (a push, or a manual run that is not a drift check).".to_string()],
    );
    root.push_commented(
        "ferry-plan",
        plan_job(m),
        &[
            "Merge requests: plan every environment for the head commit and keep one note per"
                .to_string(),
            "environment up to date (found again by its hidden marker).".to_string(),
        ],
    );
    root.push_commented(
        "ferry-release",
        release_job(m),
        &["Merge to the main branch: one release, its id handed down the chain.".to_string()],
    );
    root.push_commented(
        ".ferry-deploy",
        deploy_template(m),
        &[
            "The one deploy job of every environment; the jobs below only name the environment."
                .to_string(),
            "Exit 3 is ferry's gate (waiting): allowed, so the pipeline passes with a warning."
                .to_string(),
        ],
    );
    for env in &m.envs {
        let upstream = match &env.from {
            Some(f) => deploy_job_name(f),
            None => "ferry-release".to_string(),
        };
        root.push_commented(
            &deploy_job_name(&env.name),
            Map::new()
                .set("extends", ".ferry-deploy")
                .set("needs", vec![upstream])
                .set("resource_group", format!("ferry-{}", env.name))
                .set("variables", Map::new().set("FERRY_ENV", &env.name)),
            &[],
        );
    }
    root.push_commented(
        "ferry-drift",
        drift_job(m),
        &[
            "Scheduled: refresh-only plan of every environment; drift (exit 3) fails the job."
                .to_string(),
        ],
    );
    render_yaml(&header::lines(m), &root)
}

pub fn deploy_job_name(env: &str) -> String {
    format!("ferry-deploy-{env}")
}

fn base_job(m: &Model) -> Map {
    let mut job = Map::new();
    if let Some(image) = &m.settings.image {
        job.push("image", image);
    }
    if let Some(server) = m.server() {
        job.push(
            "id_tokens",
            Map::new().set("FERRY_ID_TOKEN", Map::new().set("aud", &server.audience)),
        );
    }
    let mut before = Vec::new();
    if let Some(engine) = engine_script(m) {
        before.push(engine);
    }
    before.push(script::install_ferry(m.settings, m.version, &m.command));
    if m.server().is_some() {
        // GitLab mints the token when the job starts and masks it in the log.
        before.push("export FERRY_TOKEN=\"$FERRY_ID_TOKEN\"".to_string());
    }
    job.push("before_script", before);
    job
}

fn engine_script(m: &Model) -> Option<String> {
    let s = m.settings;
    if let Some(cmd) = &s.engine_install {
        let version = s.engine.pinned.as_deref().unwrap_or("");
        return Some(format!("{}\n", script::with_version(cmd, version)));
    }
    let v = s.engine.pinned.as_ref()?;
    let (name, base) = match s.engine.kind {
        EngineKind::Terraform => (
            "terraform",
            format!("https://releases.hashicorp.com/terraform/{v}"),
        ),
        EngineKind::Tofu => (
            "tofu",
            format!("https://github.com/opentofu/opentofu/releases/download/v{v}"),
        ),
        EngineKind::Other => return None,
    };
    Some(format!(
        r#"set -eu
d="${{TMPDIR:-/tmp}}/ferry-engine"
mkdir -p "$d/bin"
curl -fsSLo "$d/engine.zip" "{base}/{name}_{v}_linux_amd64.zip"
curl -fsSLo "$d/SHA256SUMS" "{base}/{name}_{v}_SHA256SUMS"
want="$(grep " {name}_{v}_linux_amd64.zip\$" "$d/SHA256SUMS" | cut -d ' ' -f 1)"
if [ -z "$want" ]; then echo "{name} {v}: no linux_amd64 checksum in SHA256SUMS" >&2; exit 1; fi
echo "$want  $d/engine.zip" | sha256sum -c -
unzip -o -q "$d/engine.zip" -d "$d/bin"
export PATH="$d/bin:$PATH"
{name} version
"#
    ))
}

fn plan_job(m: &Model) -> Map {
    let run_url = "$CI_JOB_URL";
    let body = format!(
        r#"set -eu
{worst}post_comment() {{
  marker="<!-- ferry-plan:$1 -->"
  {{ echo "$marker"; cat "$2"; }} > "$2.body"
  if [ -n "${{FERRY_GITLAB_TOKEN:-}}" ]; then auth="PRIVATE-TOKEN: $FERRY_GITLAB_TOKEN"; else auth="JOB-TOKEN: $CI_JOB_TOKEN"; fi
  api="$CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes"
  fail="could not write the merge request note for $1: if the job token may not write notes on this GitLab, add a masked CI/CD variable FERRY_GITLAB_TOKEN (a project access token with the api scope)"
  notes="$(curl -fsS -H "$auth" "$api?per_page=100&sort=asc&order_by=created_at")" || {{ echo "$fail" >&2; return 1; }}
  id="$(printf '%s' "$notes" | jq -r --arg m "$marker" '[.[] | select(.body | startswith($m))][0].id // empty')"
  if [ -n "$id" ]; then
    curl -fsS -X PUT -H "$auth" --data-urlencode "body@$2.body" "$api/$id" > /dev/null || {{ echo "$fail" >&2; return 1; }}
  else
    curl -fsS -X POST -H "$auth" --data-urlencode "body@$2.body" "$api" > /dev/null || {{ echo "$fail" >&2; return 1; }}
  fi
}}
release="$(ferry release create --commit "$CI_COMMIT_SHA")"
{plan_loop}exit "$worst"
"#,
        worst = script::WORST,
        plan_loop = script::plan_loop(&m.env_names(), "ferry-plan", run_url, None),
    );
    Map::new()
        .set("extends", ".ferry")
        .set("stage", "test")
        .set(
            "rules",
            vec![Node::from(
                Map::new().set("if", "$CI_PIPELINE_SOURCE == \"merge_request_event\""),
            )],
        )
        // A newer push makes the old plans moot; nothing is applied here.
        .set("interruptible", true)
        .set("script", vec![body])
        .set(
            "artifacts",
            Map::new()
                .set("when", "always")
                .set("expire_in", "1 week")
                .set("paths", vec!["ferry-plan/"]),
        )
}

fn artifacts(m: &Model) -> Map {
    let mut a = Map::new().set("when", "always");
    if m.server().is_none() {
        a.push("expire_in", "1 day");
        a.push("paths", vec![DATA_FILE]);
    }
    a.push("reports", Map::new().set("dotenv", "ferry.env"));
    a
}

fn release_job(m: &Model) -> Map {
    let create = if m.server().is_some() {
        r#"if [ -n "${FERRY_RESUME_RELEASE:-}" ]; then
  ferry release show "$FERRY_RESUME_RELEASE" > /dev/null
  id="$FERRY_RESUME_RELEASE"
else
  id="$(ferry release create --commit "$CI_COMMIT_SHA")"
fi
"#
        .to_string()
    } else {
        "id=\"$(ferry release create --commit \"$CI_COMMIT_SHA\")\"\n".to_string()
    };
    let mut body = format!(
        "set -eu\n{create}echo \"FERRY_RELEASE=$id\" > ferry.env\necho \"ferry release $id\"\n"
    );
    if m.server().is_none() {
        body.push_str(&script::pack_data(&m.data_dir, DATA_FILE));
    }
    Map::new()
        .set("extends", vec![".ferry", ".ferry-main"])
        .set("stage", "build")
        .set("script", vec![body])
        .set("artifacts", artifacts(m))
}

fn deploy_template(m: &Model) -> Map {
    let local = m.server().is_none();
    let restore = if local {
        script::unpack_data(&m.data_dir, DATA_FILE)
    } else {
        String::new()
    };
    let pack = if local {
        script::pack_data(&m.data_dir, DATA_FILE)
    } else {
        String::new()
    };
    let waiting = if local {
        "local mode: nobody can approve in this pipeline's ledger; use team mode ([server] url) for approvals".to_string()
    } else {
        format!(
            "approve with the ferry approve command above, then resume: run a pipeline on {} with FERRY_RESUME_RELEASE=$FERRY_RELEASE",
            m.settings.main_branch
        )
    };
    let body = format!(
        r#"set -eu
if [ -z "${{FERRY_RELEASE:-}}" ]; then
  echo "ferry: no release id from the job before: the environment upstream of $FERRY_ENV stopped (see that job), so $FERRY_ENV waits too"
  exit 3
fi
echo "FERRY_RELEASE=$FERRY_RELEASE" > ferry.env
{restore}{run_logged}out="${{TMPDIR:-/tmp}}/ferry-promote.txt"
code=0
run_logged "$out" ferry promote --to "$FERRY_ENV" --release "$FERRY_RELEASE" --yes || code=$?
case "$code" in
  0) echo "ferry: $FERRY_ENV deployed release $FERRY_RELEASE" ;;
  3) echo "ferry: $FERRY_ENV is WAITING at ferry's gate (exit 3): an approval or another gate is missing (see above); {waiting}" ;;
  *) echo "ferry: promoting $FERRY_ENV failed (exit $code)" ;;
esac
{pack}exit "$code"
"#,
        run_logged = script::RUN_LOGGED,
    );
    Map::new()
        .set("extends", vec![".ferry", ".ferry-main"])
        .set("stage", "deploy")
        // An apply must never be cancelled by a newer pipeline.
        .set("interruptible", false)
        .set(
            "allow_failure",
            Map::new().set("exit_codes", vec![Node::Int(3)]),
        )
        .set("script", vec![body])
        .set("artifacts", artifacts(m))
}

fn drift_job(m: &Model) -> Map {
    let (release, flag) = if m.server().is_some() {
        (String::new(), "")
    } else {
        (
            "release=\"$(ferry release create --commit \"$CI_COMMIT_SHA\")\"\n".to_string(),
            " --release \"$release\"",
        )
    };
    let body = format!(
        r#"set -eu
{release}code=0
ferry drift --env "$FERRY_ENV"{flag} --format markdown > ferry-drift.md || code=$?
cat ferry-drift.md
if [ "$code" -eq 3 ]; then
  echo "ferry: DRIFT in $FERRY_ENV: resources changed outside IaC (report above and in the job's artifacts)"
fi
exit "$code"
"#
    );
    Map::new()
        .set("extends", ".ferry")
        .set("stage", "test")
        .set(
            "rules",
            vec![Node::from(Map::new().set(
                "if",
                "$CI_PIPELINE_SOURCE == \"schedule\" || $FERRY_DRIFT == \"true\"",
            ))],
        )
        .set(
            "parallel",
            Map::new().set(
                "matrix",
                vec![Node::from(Map::new().set("FERRY_ENV", m.env_names()))],
            ),
        )
        // The deploy jobs' groups: GitLab queues, never cancels, so drift waits for an apply.
        .set("resource_group", "ferry-$FERRY_ENV")
        .set("script", vec![body])
        .set(
            "artifacts",
            Map::new()
                .set("when", "always")
                .set("expire_in", "1 week")
                .set("paths", vec!["ferry-drift.md"]),
        )
}

#[cfg(test)]
mod tests {
    #[test]
    fn job_names_are_shell_safe() {
        assert_eq!(
            crate::script::sh_quote(&super::deploy_job_name("qa_1")),
            "ferry-deploy-qa_1"
        );
    }
}
