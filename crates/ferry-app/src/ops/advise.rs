//! `advise` and the prompt library: fill a prompt from what ferry already found, and either hand
//! it to a person (no `[advisor] url`) or send it to the configured endpoint and store the
//! answer as advice attached to the plan.
//!
//! Advice is never an input to a gate: nothing in `steps/` reads it, storing it changes no plan
//! or approval, and no operation here calls the advisor on the way to an apply. An advisor that
//! is down or slow fails `advise` with a message and nothing else.

use crate::context::{App, Claim};
use crate::error::{AppError, Result};
use crate::project::{find_root, Project};
use crate::views::AdviceView;
use ferry_advisor::template::{MIGRATION_SAFETY, PLAN_REVIEW, ROLLBACK_READINESS};
use ferry_advisor::{
    fill, AdvisorConfig, AuditInput, Client, Filled, Input, InputKind, Library, MigrationFinding,
    MigrationInput, PlanInput, Redactor, RollbackInput, Template,
};
use ferry_core::{Finding, PlanId, ReleaseId, Review, Severity};
use ferry_store::{AdviceRecord, PlanRecord, RehearsalRecord};
use serde::Serialize;
use std::path::Path;

/// The release directory project prompt templates live in.
pub const PROMPTS_DIR: &str = "prompts";

#[derive(Debug, Clone, Default)]
pub struct AdviseInput {
    pub env: String,
    /// A plan id or prefix; default: the environment's pending plan.
    pub plan: Option<String>,
    /// A template filled from a plan; default `plan-review`.
    pub template: Option<String>,
    /// The value of the variable `[advisor] api_key_env` names, read by the front end.
    pub api_key: Option<String>,
    /// Other values the front end knows are secret (a server token, a ledger URL): scrubbed.
    pub secrets: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum AdviseView {
    /// No `[advisor] url`: the filled prompt, for a person to paste into any assistant.
    Prompt {
        env: String,
        plan: PlanId,
        prompt: Filled,
    },
    /// The endpoint answered; the advice is stored.
    Advised {
        env: String,
        plan: PlanId,
        prompt: Filled,
        advice: Box<AdviceView>,
        attempts: u32,
    },
}

/// The built-ins with the work tree's `prompts/` on top (for a plan file reviewed outside any
/// release, and `ferry prompt list|show`); only the built-ins outside a project.
pub fn work_tree_library(start: Option<&Path>) -> Result<Library> {
    match start.and_then(find_root) {
        Some(root) => Ok(Library::with_dir(&root.join(PROMPTS_DIR), PROMPTS_DIR)?),
        None => Ok(Library::built_in()),
    }
}

/// `[advisor]` of the work tree (the endpoint is not a gate, so the work tree decides it); a
/// relative `ca_file` is relative to the project root.
pub fn advisor_config(project: &Project) -> Result<AdvisorConfig> {
    let mut config = AdvisorConfig::from_table(&project.config.advisor)
        .map_err(|e| AppError::Invalid(format!("{}: {e}", project.config_path.display())))?;
    if let Some(ca) = config.endpoint.as_mut().and_then(|e| e.ca_file.as_mut()) {
        if ca.is_relative() {
            *ca = project.root.join(&*ca);
        }
    }
    Ok(config)
}

/// A template filled from another kind of input is named with the command that fills it.
fn expect_kind(t: &Template, kind: InputKind, env: Option<&str>) -> Result<()> {
    if t.input == kind {
        return Ok(());
    }
    let env = env.unwrap_or("ENV");
    let how = match t.input {
        InputKind::Plan => format!("ferry review --env {env} --prompt --template {}", t.name),
        InputKind::Audit => "ferry audit --prompt".to_string(),
        InputKind::Migration => {
            format!("ferry migrate check PATH... --prompt --template {}", t.name)
        }
        InputKind::Rollback => format!("ferry rollback --env {env} --prompt --template {}", t.name),
    };
    Err(AppError::Invalid(format!(
        "template '{}' is filled from {} input, not {}; print it with `{how}`",
        t.name,
        t.input.as_str(),
        kind.as_str()
    )))
}

/// ferry-migrate's check findings as the advisor's migration input.
pub fn migration_input(
    report: &ferry_migrate::check::CheckReport,
    env: Option<&str>,
) -> MigrationInput {
    use ferry_migrate::check::Severity as S;
    MigrationInput {
        env: env.map(str::to_string),
        verdict: report.verdict.as_str().to_string(),
        findings: report
            .findings
            .iter()
            .map(|f| MigrationFinding {
                file: f.file.clone(),
                line: f.line,
                class: f.class.as_str().to_string(),
                severity: match f.severity {
                    S::Info => Severity::Info,
                    S::Warn => Severity::Warn,
                    S::Block => Severity::Block,
                },
                rule: f.rule.clone(),
                statement: f.statement.clone(),
                message: f.message.clone(),
                fix: f.fix.clone(),
                acknowledged: f.acknowledged.clone(),
            })
            .collect(),
    }
}

/// The migration-safety prompt of a migration check (`ferry migrate check PATH... --prompt`),
/// from the work tree's library near `start` (the built-ins outside a project).
pub fn migration_check_prompt(
    report: &ferry_migrate::check::CheckReport,
    start: Option<&Path>,
    template: Option<&str>,
    secrets: &[String],
) -> Result<Filled> {
    let library = work_tree_library(start)?;
    let t = library.get(template.unwrap_or(MIGRATION_SAFETY))?;
    expect_kind(t, InputKind::Migration, None)?;
    let input = Input::Migration(migration_input(report, None));
    let redactor = Redactor::new().secrets(secrets.iter().cloned());
    Ok(fill(
        t,
        &input,
        &redactor,
        limits_near(start).max_prompt_bytes,
    )?)
}

/// The filled rollback-readiness prompt of one environment (`ferry rollback --env ENV
/// --prompt`): nothing is planned, locked or rolled back.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackPromptView {
    pub env: String,
    pub current: ReleaseId,
    pub target: ReleaseId,
    /// The rehearsal of exactly this rollback (from `current` to `target` in `env`), if any.
    pub rehearsal: Option<RehearsalRecord>,
    pub prompt: Filled,
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// The `[advisor]` limits near `start`, else the defaults (a plan file outside any project).
fn limits_near(start: Option<&Path>) -> AdvisorConfig {
    start
        .and_then(|s| Project::discover(s, None).ok())
        .and_then(|p| advisor_config(&p).ok())
        .unwrap_or_default()
}

/// The plan-review prompt of a plan file's review (`ferry review PLAN.json --prompt`).
pub fn file_review_prompt(
    review: &Review,
    has_baseline: bool,
    start: Option<&Path>,
    template: Option<&str>,
    secrets: &[String],
) -> Result<Filled> {
    let library = work_tree_library(start)?;
    let t = library.get(template.unwrap_or(PLAN_REVIEW))?;
    let input = Input::Plan(PlanInput {
        review,
        env: None,
        baseline_env: None,
        has_baseline,
        release: None,
        plan: None,
    });
    let redactor = Redactor::new().secrets(secrets.iter().cloned());
    Ok(fill(
        t,
        &input,
        &redactor,
        limits_near(start).max_prompt_bytes,
    )?)
}

/// The environment-audit prompt (`ferry audit --prompt`).
pub fn audit_prompt(
    project: &Project,
    audit: &ferry_audit::Audit,
    pair: Option<&str>,
    secrets: &[String],
) -> Result<Filled> {
    let library = work_tree_library(Some(&project.root))?;
    let t = library.get(ferry_advisor::template::ENVIRONMENT_AUDIT)?;
    let input = Input::Audit(AuditInput::from_audit(audit, pair)?);
    let redactor = Redactor::new().secrets(secrets.iter().cloned());
    Ok(fill(
        t,
        &input,
        &redactor,
        advisor_config(project)?.max_prompt_bytes,
    )?)
}

impl App {
    /// The built-ins with `release`'s `prompts/*.md` on top: the prompts a plan is advised with
    /// come from the same bytes as the plan.
    pub fn release_library(&self, release: &ReleaseId) -> Result<Library> {
        let manifest = self.releases.verify(release)?;
        let prefix = format!("{PROMPTS_DIR}/");
        let mut files = Vec::new();
        for path in manifest.files.iter().filter(|f| {
            f.strip_prefix(&prefix)
                .is_some_and(|rest| !rest.contains('/') && rest.ends_with(".md"))
        }) {
            let Some(bytes) = self.releases.read_file(release, path)? else {
                continue;
            };
            let text = String::from_utf8(bytes).map_err(|_| {
                AppError::Invalid(format!(
                    "{path} in release {} is not UTF-8",
                    release.short()
                ))
            })?;
            files.push((path.clone(), text));
        }
        Ok(Library::with_project(&files)?)
    }

    /// The rollback-readiness prompt of `env` rolling back to `to` (default: its rollback
    /// target), filled from the rehearsal of that rollback when there is one. Read-only.
    pub fn rollback_prompt(
        &self,
        env: &str,
        to: Option<&str>,
        template: Option<&str>,
        secrets: &[String],
    ) -> Result<RollbackPromptView> {
        self.env(env)?;
        let (target, current) = self.rollback_pair(env, to)?;
        let rehearsal = self
            .ledger
            .latest_rehearsal(&current)?
            .filter(|r| r.env == env && r.target == target.id);
        let review = match &rehearsal {
            Some(r) => {
                let findings: Vec<Finding> = serde_json::from_value(r.detail["findings"].clone())
                    .map_err(|e| {
                    AppError::Invalid(format!(
                        "the stored rehearsal of '{env}' has unreadable findings: {e}"
                    ))
                })?;
                Some(Review {
                    verdict: r.verdict,
                    summary: r.summary,
                    findings,
                })
            }
            None => None,
        };
        // The running release's prompts: the question is asked while it runs.
        let library = self.release_library(&current)?;
        let t = library.get(template.unwrap_or(ROLLBACK_READINESS))?;
        expect_kind(t, InputKind::Rollback, Some(env))?;
        let input = Input::Rollback(RollbackInput {
            env: env.to_string(),
            current_release: current.to_string(),
            target_release: target.id.to_string(),
            ready: rehearsal.as_ref().map(|r| r.ready),
            rehearsed: rehearsal.as_ref().map(|r| format!("{} at {}", r.env, r.at)),
            review: review.as_ref(),
            policy_denies: rehearsal
                .as_ref()
                .map(|r| strings(&r.detail["policy_denies"]))
                .unwrap_or_default(),
            migrations: rehearsal
                .as_ref()
                .filter(|r| r.detail["migrations"].is_array())
                .map(|r| strings(&r.detail["migrations"])),
        });
        let redactor = Redactor::new().secrets(secrets.iter().cloned());
        let limit = advisor_config(&self.project)?.max_prompt_bytes;
        let prompt = fill(t, &input, &redactor, limit)?;
        Ok(RollbackPromptView {
            env: env.to_string(),
            current,
            target: target.id,
            rehearsal,
            prompt,
        })
    }

    /// The filled prompt for a plan of `env` (default: its pending plan).
    pub fn plan_prompt(
        &self,
        env: &str,
        plan: Option<&str>,
        template: Option<&str>,
        secrets: &[String],
    ) -> Result<(PlanRecord, Filled)> {
        let env_config = self.env(env)?;
        let baseline_env = env_config.from_env().map(str::to_string);
        let plan = match plan {
            Some(_) => self.resolve_plan(env, plan)?,
            None => match self.ledger.pending_plan(env)? {
                Some(p) => p,
                None => self.resolve_plan(env, None)?,
            },
        };
        let review: Review = serde_json::from_value(plan.review.clone()).map_err(|e| {
            AppError::Invalid(format!(
                "the stored review of plan {} is unreadable: {e}",
                plan.id.short()
            ))
        })?;
        let library = self.release_library(&plan.release)?;
        let t = library.get(template.unwrap_or(PLAN_REVIEW))?;
        expect_kind(t, InputKind::Plan, Some(env))?;
        let input = Input::Plan(PlanInput {
            review: &review,
            env: Some(env.to_string()),
            baseline_env,
            has_baseline: plan.baseline.is_some(),
            release: Some(plan.release.to_string()),
            plan: Some(plan.id.to_string()),
        });
        let redactor = Redactor::new().secrets(secrets.iter().cloned());
        let limit = advisor_config(&self.project)?.max_prompt_bytes;
        let filled = fill(t, &input, &redactor, limit)?;
        Ok((plan, filled))
    }

    /// Fills the prompt for `input.env`'s plan; without an endpoint returns it, with one sends
    /// it and stores the answer as advice. A failed call stores nothing.
    pub fn advise(&self, who: &Claim, input: &AdviseInput) -> Result<AdviseView> {
        let config = advisor_config(&self.project)?;
        let mut secrets = input.secrets.clone();
        secrets.extend(input.api_key.clone());
        let (plan, prompt) = self.plan_prompt(
            &input.env,
            input.plan.as_deref(),
            input.template.as_deref(),
            &secrets,
        )?;
        let Some(endpoint) = config.endpoint else {
            return Ok(AdviseView::Prompt {
                env: input.env.clone(),
                plan: plan.id,
                prompt,
            });
        };
        if let Some(var) = &endpoint.api_key_env {
            if input.api_key.as_deref().is_none_or(|k| k.trim().is_empty()) {
                return Err(AppError::Invalid(format!(
                    "[advisor] api_key_env names {var}, which is not set; export it (the key never goes in ferry.toml)"
                )));
            }
        }
        if endpoint.is_plain_remote() {
            self.step(&format!(
                "warning: {} is plain http:// to another machine: the (redacted) prompt and the answer cross the network unencrypted; use https://",
                endpoint.url
            ));
        }
        self.step(&format!(
            "asking {} ({}) about plan {} with {} v{}",
            endpoint.url,
            endpoint.model,
            plan.id.short(),
            prompt.template,
            prompt.version
        ));
        let client = Client::new(endpoint, input.api_key.clone(), config.max_answer_bytes);
        let answer = client.complete(&prompt.text)?;
        let record = AdviceRecord {
            plan: plan.id.clone(),
            env: input.env.clone(),
            model: answer.model.clone(),
            template: prompt.template.clone(),
            template_version: prompt.version,
            prompt_sha256: prompt.sha256.clone(),
            answer: answer.text.clone(),
            at: self.now(),
            by: who.as_str().to_string(),
        };
        let ev = self.event(
            who.as_str(),
            Some(&input.env),
            "advice.recorded",
            Some(&plan.release),
            Some(&plan.id),
            format!(
                "advice from {} ({} v{}) on plan {}: untrusted, it approves nothing",
                record.model,
                record.template,
                record.template_version,
                plan.id.short()
            ),
        );
        self.ledger.record_advice(&record, &ev)?;
        Ok(AdviseView::Advised {
            env: input.env.clone(),
            plan: plan.id,
            prompt,
            advice: Box::new(AdviceView::new(record)),
            attempts: answer.attempts,
        })
    }

    /// The advice about `plan`, newest first, labelled for display.
    pub fn advice_views(&self, plan: &PlanId) -> Result<Vec<AdviceView>> {
        Ok(self
            .ledger
            .advice(plan)?
            .into_iter()
            .map(AdviceView::new)
            .collect())
    }
}
