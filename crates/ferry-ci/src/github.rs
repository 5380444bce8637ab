//! GitHub Actions: `.github/workflows/ferry.yml`.
//!
//! One file, so the deploy template is a matrix job: its steps exist once, each environment is
//! one matrix entry in chain order, and `max-parallel: 1` with `fail-fast` walks them one after
//! the other (GitHub creates matrix jobs in the order they are listed), stopping at the first
//! failure. A reusable workflow would need a second file (a workflow may not call itself), and a
//! job per environment would copy the body. Order is a convenience, not the safety: ferry itself
//! refuses a release that is not known-good upstream.

use crate::script;
use crate::settings::EngineKind;
use crate::yaml::{render as render_yaml, Map, Node};
use crate::{header, Model};

const CHECKOUT: &str = "actions/checkout@v4";
const UPLOAD: &str = "actions/upload-artifact@v4";
const DOWNLOAD: &str = "actions/download-artifact@v4";
const SETUP_TERRAFORM: &str = "hashicorp/setup-terraform@v3";
const SETUP_TOFU: &str = "opentofu/setup-opentofu@v1";
/// The encrypted data dir of local mode, inside each artifact.
const DATA_FILE: &str = "ferry-data.enc";

pub fn render(m: &Model) -> String {
    let mut root = Map::new();
    root.push("name", "ferry");
    root.push_commented("on", triggers(m), &[]);
    root.push_commented(
        "permissions",
        Map::new().set("contents", "read"),
        &["Jobs ask for more (comments, OIDC) only where they need it.".to_string()],
    );
    let env = workflow_env(m);
    if !env.is_empty() {
        root.push_commented("env", env, &[]);
    }
    let mut jobs = Map::new();
    jobs.push_commented(
        "plan",
        plan_job(m),
        &[
            "Pull requests: plan every environment for the head commit and keep one comment per"
                .to_string(),
            "environment up to date (found again by its hidden marker).".to_string(),
        ],
    );
    jobs.push_commented(
        "release",
        release_job(m),
        &["Merge to the main branch: one release, its id handed to every deploy.".to_string()],
    );
    jobs.push_commented(
        "deploy",
        deploy_job(m),
        &[
            "The one deploy job of every environment: a matrix entry per environment in chain"
                .to_string(),
            "order, one at a time; exit 3 is ferry's gate (waiting), anything else non-zero fails."
                .to_string(),
        ],
    );
    jobs.push_commented(
        "drift",
        drift_job(m),
        &[
            "Scheduled: refresh-only plan of every environment; drift (exit 3) fails the job."
                .to_string(),
        ],
    );
    root.push_commented("jobs", jobs, &[]);
    render_yaml(&header::lines(m), &root)
}

fn triggers(m: &Model) -> Map {
    let main = m.settings.main_branch.as_str();
    let mut inputs = Map::new();
    if m.server().is_some() {
        inputs.push(
            "release",
            Map::new()
                .set("description", "Resume the promotion of this release id (e.g. after an approval); empty: release the head commit")
                .set("type", "string")
                .set("required", false)
                .set("default", ""),
        );
    }
    inputs.push(
        "drift",
        Map::new()
            .set("description", "Run the drift check instead of a release")
            .set("type", "boolean")
            .set("required", false)
            .set("default", false),
    );
    Map::new()
        .set("pull_request", Map::new().set("branches", vec![main]))
        .set("push", Map::new().set("branches", vec![main]))
        .set(
            "schedule",
            vec![Node::from(
                Map::new().set("cron", &m.settings.drift_schedule),
            )],
        )
        .set("workflow_dispatch", Map::new().set("inputs", inputs))
}

fn workflow_env(m: &Model) -> Map {
    let mut env = Map::new();
    if let Some(server) = m.server() {
        env.push("FERRY_SERVER", &server.url);
        env.push("FERRY_AUDIENCE", &server.audience);
    } else {
        env.push("FERRY_ARTIFACT_KEY", "${{ secrets.FERRY_ARTIFACT_KEY }}");
    }
    for name in &m.settings.secrets {
        env.push(name, format!("${{{{ secrets.{name} }}}}"));
    }
    env
}

fn permissions(m: &Model, extra: &[(&str, &str)]) -> Map {
    let mut p = Map::new().set("contents", "read");
    for (k, v) in extra {
        p.push(k, *v);
    }
    if m.server().is_some() {
        p.push("id-token", "write");
    }
    p
}

/// Checkout, engine and ferry: the first steps of every job.
fn setup_steps(m: &Model, checkout: Option<Map>) -> Vec<Node> {
    let mut co = Map::new().set("uses", CHECKOUT);
    if let Some(with) = checkout {
        co.push("with", with);
    }
    let mut steps = vec![Node::from(co)];
    let s = m.settings;
    if let Some(cmd) = &s.engine_install {
        let version = s.engine.pinned.as_deref().unwrap_or("");
        steps.push(
            Map::new()
                .set("name", "Install the engine ([ci] engine_install)")
                .set("run", format!("{}\n", script::with_version(cmd, version)))
                .into(),
        );
    } else if let Some(v) = &s.engine.pinned {
        let (uses, key, wrapper) = match s.engine.kind {
            EngineKind::Tofu => (SETUP_TOFU, "tofu_version", "tofu_wrapper"),
            _ => (SETUP_TERRAFORM, "terraform_version", "terraform_wrapper"),
        };
        if s.engine.kind != EngineKind::Other {
            steps.push(
                Map::new()
                    .set("uses", uses)
                    .set(
                        "with",
                        // The wrapper rewrites the engine's output and exit code; ferry reads both.
                        Map::new().set(key, v).set(wrapper, false),
                    )
                    .into(),
            );
        }
    }
    steps.push(
        Map::new()
            .set("name", format!("Install ferry {}", m.version))
            .set("run", script::install_ferry(s, m.version, &m.command))
            .into(),
    );
    steps
}

/// Team mode: `ferry_login` fetches a fresh OIDC ID token right before each ferry call (the
/// tokens are short-lived) and exports it, masked, as FERRY_TOKEN.
fn login_fn(m: &Model) -> String {
    if m.server().is_none() {
        return String::new();
    }
    r#"ferry_login() {
  FERRY_TOKEN="$(curl -fsS -G -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" --data-urlencode "audience=$FERRY_AUDIENCE" "$ACTIONS_ID_TOKEN_REQUEST_URL" | jq -r .value)"
  if [ -z "$FERRY_TOKEN" ] || [ "$FERRY_TOKEN" = null ]; then
    echo "could not get an OIDC ID token for the ferry server (does the job have permissions: id-token: write?)" >&2
    exit 1
  fi
  echo "::add-mask::$FERRY_TOKEN"
  export FERRY_TOKEN
}
"#
    .to_string()
}

fn login_call(m: &Model) -> Option<&'static str> {
    m.server().map(|_| "ferry_login")
}

fn login_line(m: &Model) -> &'static str {
    if m.server().is_some() {
        "ferry_login\n"
    } else {
        ""
    }
}

fn pack_steps(m: &Model, artifact: &str) -> Vec<Node> {
    if m.server().is_some() {
        return Vec::new();
    }
    let dest = format!("\"$RUNNER_TEMP/{DATA_FILE}\"");
    vec![
        Map::new()
            .set(
                "name",
                "Pack ferry's data for the next job (local mode, encrypted)",
            )
            .set(
                "run",
                format!("set -eu\n{}", script::pack_data(&m.data_dir, &dest)),
            )
            .into(),
        Map::new()
            .set("uses", UPLOAD)
            .set(
                "with",
                Map::new()
                    .set("name", artifact)
                    .set("path", format!("${{{{ runner.temp }}}}/{DATA_FILE}"))
                    .set("retention-days", 1i64)
                    .set("if-no-files-found", "error"),
            )
            .into(),
    ]
}

fn plan_job(m: &Model) -> Map {
    let mut steps = setup_steps(
        m,
        Some(Map::new().set("ref", "${{ github.event.pull_request.head.sha }}")),
    );
    let run_url = "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID";
    let body = format!(
        r#"set -eu
{login_fn}{worst}post_comment() {{
  marker="<!-- ferry-plan:$1 -->"
  {{ echo "$marker"; cat "$2"; }} > "$2.body"
  id="$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" --jq ".[] | select(.user.login == \"github-actions[bot]\" and (.body | startswith(\"$marker\"))) | .id" | head -n 1)"
  if [ -n "$id" ]; then
    gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -F "body=@$2.body" > /dev/null
  else
    gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" -F "body=@$2.body" > /dev/null
  fi
  cat "$2" >> "$GITHUB_STEP_SUMMARY"
}}
{login_line}release="$(ferry release create --commit "$HEAD_SHA")"
{plan_loop}exit "$worst"
"#,
        login_fn = login_fn(m),
        worst = script::WORST,
        login_line = login_line(m),
        plan_loop = script::plan_loop(
            &m.env_names(),
            "$RUNNER_TEMP/ferry-plan",
            run_url,
            login_call(m)
        ),
    );
    steps.push(
        Map::new()
            .set("name", "Plan every environment and comment")
            .set(
                "env",
                Map::new()
                    .set("GH_TOKEN", "${{ github.token }}")
                    .set("PR_NUMBER", "${{ github.event.pull_request.number }}")
                    .set("HEAD_SHA", "${{ github.event.pull_request.head.sha }}"),
            )
            .set("run", body)
            .into(),
    );
    Map::new()
        .set("name", "ferry plan (pull request)")
        .set("if", "github.event_name == 'pull_request'")
        .set("runs-on", &m.settings.runs_on)
        .set("permissions", permissions(m, &[("pull-requests", "write")]))
        .set(
            "concurrency",
            // A newer push makes the old plans moot; nothing is applied here.
            Map::new()
                .set(
                    "group",
                    "ferry-plan-${{ github.event.pull_request.number }}",
                )
                .set("cancel-in-progress", true),
        )
        .set("steps", steps)
}

fn release_job(m: &Model) -> Map {
    let main = &m.settings.main_branch;
    let mut steps = setup_steps(m, None);
    let create = if m.server().is_some() {
        r#"if [ -n "$RESUME" ]; then
  ferry release show "$RESUME" > /dev/null
  id="$RESUME"
else
  id="$(ferry release create --commit "$GITHUB_SHA")"
fi
"#
    } else {
        "id=\"$(ferry release create --commit \"$GITHUB_SHA\")\"\n"
    };
    let mut step = Map::new()
        .set("id", "release")
        .set("name", "Release the commit");
    if m.server().is_some() {
        step.push("env", Map::new().set("RESUME", "${{ inputs.release }}"));
    }
    step.push(
        "run",
        format!(
            "set -eu\n{}{}{create}echo \"id=$id\" >> \"$GITHUB_OUTPUT\"\necho \"### ferry release \\`$id\\`\" >> \"$GITHUB_STEP_SUMMARY\"\n",
            login_fn(m),
            login_line(m)
        ),
    );
    steps.push(step.into());
    steps.extend(pack_steps(m, "ferry-data-release"));
    Map::new()
        .set("name", "ferry release")
        .set(
            "if",
            format!("github.event_name == 'push' || (github.event_name == 'workflow_dispatch' && github.ref == 'refs/heads/{main}' && !inputs.drift)"),
        )
        .set("runs-on", &m.settings.runs_on)
        .set("permissions", permissions(m, &[]))
        .set(
            "outputs",
            Map::new().set("id", "${{ steps.release.outputs.id }}"),
        )
        .set("steps", steps)
}

fn deploy_job(m: &Model) -> Map {
    let local = m.server().is_none();
    let include: Vec<Node> = m
        .envs
        .iter()
        .map(|e| {
            let mut entry = Map::new().set("environment", &e.name);
            if local {
                let upstream = match &e.from {
                    Some(f) => format!("env-{f}"),
                    None => "release".to_string(),
                };
                entry.push("upstream", upstream);
            }
            entry.into()
        })
        .collect();
    let mut steps = setup_steps(m, None);
    if local {
        steps.push(
            Map::new()
                .set("uses", DOWNLOAD)
                .set(
                    "with",
                    Map::new()
                        .set("name", "ferry-data-${{ matrix.upstream }}")
                        .set("path", "${{ runner.temp }}/ferry-upstream"),
                )
                .into(),
        );
        steps.push(
            Map::new()
                .set(
                    "name",
                    "Restore ferry's data from the job before (local mode)",
                )
                .set(
                    "run",
                    format!(
                        "set -eu\n{}",
                        script::unpack_data(
                            &m.data_dir,
                            &format!("\"$RUNNER_TEMP/ferry-upstream/{DATA_FILE}\""),
                        )
                    ),
                )
                .into(),
        );
    }
    let waiting = if m.server().is_some() {
        format!(
            "Approve with the \\`ferry approve\\` command above, then resume: run this workflow by hand on {} with input release=$FERRY_RELEASE.",
            m.settings.main_branch
        )
    } else {
        "Local mode: nobody can approve in this run's ledger; use team mode ([server] url) for approvals.".to_string()
    };
    let body = format!(
        r####"set -eu
{login_fn}{run_logged}{login_line}out="$RUNNER_TEMP/ferry-promote.txt"
code=0
run_logged "$out" ferry promote --to "$FERRY_ENV" --release "$FERRY_RELEASE" --yes || code=$?
summary() {{
  echo "### ferry: $FERRY_ENV $1"
  echo
  echo "Release \`$FERRY_RELEASE\`"
  echo
  echo '```text'
  cat "$out"
  echo '```'
}}
case "$code" in
  0)
    summary "deployed" >> "$GITHUB_STEP_SUMMARY"
    ;;
  3)
    {{ summary "is waiting at ferry's gate"; echo; echo "{waiting}"; }} >> "$GITHUB_STEP_SUMMARY"
    echo "::notice title=ferry: $FERRY_ENV is waiting at ferry's gate::ferry promote stopped (exit 3): an approval or another gate is missing; see the job summary"
    ;;
  *)
    summary "failed (exit $code)" >> "$GITHUB_STEP_SUMMARY"
    exit "$code"
    ;;
esac
"####,
        login_fn = login_fn(m),
        run_logged = script::RUN_LOGGED,
        login_line = login_line(m),
    );
    steps.push(
        Map::new()
            .set("name", "ferry promote")
            .set("run", body)
            .into(),
    );
    steps.extend(pack_steps(m, "ferry-data-env-${{ matrix.environment }}"));
    Map::new()
        .set("name", "ferry promote ${{ matrix.environment }}")
        .set("needs", "release")
        .set("runs-on", &m.settings.runs_on)
        .set("permissions", permissions(m, &[]))
        .set(
            "strategy",
            Map::new()
                .set("fail-fast", true)
                .set("max-parallel", 1i64)
                .set("matrix", Map::new().set("include", include)),
        )
        .set(
            "concurrency",
            // Queued, never cancelled: an apply must not be interrupted.
            Map::new()
                .set("group", "ferry-deploy-${{ matrix.environment }}")
                .set("cancel-in-progress", false),
        )
        .set(
            "env",
            Map::new()
                .set("FERRY_ENV", "${{ matrix.environment }}")
                .set("FERRY_RELEASE", "${{ needs.release.outputs.id }}"),
        )
        .set("steps", steps)
}

fn drift_job(m: &Model) -> Map {
    let mut steps = setup_steps(m, None);
    let (release, flag) = if m.server().is_some() {
        ("", "")
    } else {
        (
            "release=\"$(ferry release create --commit \"$GITHUB_SHA\")\"\n",
            " --release \"$release\"",
        )
    };
    let body = format!(
        r#"set -eu
{login_fn}{login_line}{release}out="$RUNNER_TEMP/ferry-drift.md"
code=0
ferry drift --env "$FERRY_ENV"{flag} --format markdown > "$out" || code=$?
cat "$out" >> "$GITHUB_STEP_SUMMARY"
if [ "$code" -eq 3 ]; then
  echo "::error title=ferry: drift in $FERRY_ENV::resources changed outside IaC; see the job summary"
fi
exit "$code"
"#,
        login_fn = login_fn(m),
        login_line = login_line(m),
    );
    steps.push(
        Map::new()
            .set("name", "ferry drift")
            .set("run", body)
            .into(),
    );
    Map::new()
        .set("name", "ferry drift ${{ matrix.environment }}")
        .set(
            "if",
            "github.event_name == 'schedule' || (github.event_name == 'workflow_dispatch' && inputs.drift)",
        )
        .set("runs-on", &m.settings.runs_on)
        .set("permissions", permissions(m, &[]))
        .set(
            "strategy",
            Map::new()
                .set("fail-fast", false)
                .set("matrix", Map::new().set("environment", m.env_names())),
        )
        .set(
            "concurrency",
            // Not the deploy group: GitHub replaces a pending job of a group, and a drift check
            // must never push a waiting deploy out. ferry's own lock keeps them apart.
            Map::new()
                .set("group", "ferry-drift-${{ matrix.environment }}")
                .set("cancel-in-progress", false),
        )
        .set("env", Map::new().set("FERRY_ENV", "${{ matrix.environment }}"))
        .set("steps", steps)
}
