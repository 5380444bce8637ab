//! The compiled policy set for one environment: built-in rules plus the Rego files of one
//! directory, loaded once and evaluated on as many plans as needed.

use crate::config::{BuiltinConfig, PolicyConfig, PolicyOptions, DEFAULT_DIR};
use crate::report::{PolicyReport, PolicyResult};
use crate::{builtin, rego, FerryContext, PolicyError};
use std::path::{Path, PathBuf};

#[derive(Clone)]
pub struct PolicySet {
    builtin: BuiltinConfig,
    rego: rego::Loaded,
    timeout_ms: u128,
}

impl std::fmt::Debug for PolicySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicySet")
            .field("builtin", &self.builtin)
            .field("rego_files", &self.rego.files)
            .field("problems", &self.rego.problems)
            .finish()
    }
}

impl PolicySet {
    /// Loads and compiles the Rego policies in `dir` (none when `None`) next to the built-in rules.
    ///
    /// `Err` only for a directory that is required but missing or unreadable; turn it into a
    /// blocking report with [`PolicyReport::from_error`]. A file that fails to parse or compile,
    /// or a bad data file, does not fail the load: it is kept as a deny that every
    /// [`evaluate`](Self::evaluate) repeats, next to the results of the policies that did load.
    pub fn load(
        dir: Option<&Path>,
        builtin: &BuiltinConfig,
        opts: &PolicyOptions,
    ) -> Result<PolicySet, PolicyError> {
        let rego = match dir {
            Some(d) => rego::load(d, opts)?,
            None => rego::Loaded::default(),
        };
        Ok(PolicySet {
            builtin: builtin.clone(),
            rego,
            timeout_ms: opts.timeout.as_millis(),
        })
    }

    /// Everything a command needs for one environment of a project: reads `[policy]`, resolves
    /// the directory under `root` (see [`resolve_dir`]) and loads it.
    pub fn for_environment(
        root: &Path,
        policy_table: &toml::Table,
        env: Option<&str>,
        env_policy_dir: Option<&str>,
    ) -> Result<PolicySet, PolicyError> {
        let cfg = PolicyConfig::from_table(policy_table, env)?;
        let (dir, explicit) = resolve_dir(root, &cfg, env_policy_dir);
        let opts = PolicyOptions {
            require_dir: explicit,
            ..cfg.options
        };
        PolicySet::load(Some(&dir), &cfg.builtin, &opts)
    }

    /// Load-time failures (each a deny), also included in every report.
    pub fn problems(&self) -> &[PolicyResult] {
        &self.rego.problems
    }

    /// Number of Rego policy files loaded (test files excluded).
    pub fn rego_files(&self) -> usize {
        self.rego.files
    }

    /// Evaluates built-in rules, then Rego policies. Never fails: errors are deny results.
    pub fn evaluate(&self, plan_json: &serde_json::Value, ctx: &FerryContext) -> PolicyReport {
        let mut results = vec![];
        builtin::evaluate(&self.builtin, plan_json, ctx, &mut results);
        self.evaluate_rego(|| rego::to_rego(plan_json), ctx, results)
    }

    /// [`evaluate`](Self::evaluate) from the plan's JSON text, for callers holding text rather
    /// than a parsed value: the text goes straight into Rego's representation, and into
    /// serde_json only when a built-in rule walks the plan. Text that is not JSON is a deny.
    pub fn evaluate_text(&self, plan_text: &str, ctx: &FerryContext) -> PolicyReport {
        let mut results = vec![];
        let not_json = |e: String| {
            PolicyError::Eval {
                file: "input".into(),
                rule: "input".into(),
                line: None,
                message: e,
            }
            .to_result()
        };
        if self.builtin.reads_plan() {
            match serde_json::from_str::<serde_json::Value>(plan_text) {
                Ok(plan) => builtin::evaluate(&self.builtin, &plan, ctx, &mut results),
                Err(e) => results.push(not_json(format!("the plan is not valid JSON: {e}"))),
            }
        } else {
            builtin::evaluate(&self.builtin, &serde_json::Value::Null, ctx, &mut results);
            if self.rego.units.is_empty() {
                if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(plan_text) {
                    results.push(not_json(format!("the plan is not valid JSON: {e}")));
                }
            }
        }
        self.evaluate_rego(
            || {
                regorus::Value::from_json_str(plan_text)
                    .map_err(|e| format!("the plan is not valid JSON: {e}"))
            },
            ctx,
            results,
        )
    }

    /// Evaluates the policies on a plan given as documents (see
    /// `ferry_plan::RecordedPlan::documents`): built-in rules over every document's
    /// `resource_changes` (`max_deletes` counts across all of them), Rego rules on each
    /// document in turn. A result that several documents yield is reported once. `whole` says
    /// the plan is one document; policies can read it as `data.ferry.document`
    /// (`{"index", "whole"}`). An unreadable document is a deny: the policies did not see it.
    pub fn evaluate_documents<E: std::fmt::Display>(
        &self,
        documents: impl Iterator<Item = Result<Vec<u8>, E>>,
        whole: bool,
        ctx: &FerryContext,
    ) -> PolicyReport {
        self.evaluate_documents_with(documents, whole, ctx, ctx.review.as_ref())
    }

    /// [`Self::evaluate_documents`] with the review lent separately (`ctx.review` is ignored),
    /// so a large review is not copied into the context.
    pub fn evaluate_documents_with<E: std::fmt::Display>(
        &self,
        documents: impl Iterator<Item = Result<Vec<u8>, E>>,
        whole: bool,
        ctx: &FerryContext,
        review: Option<&ferry_core::Review>,
    ) -> PolicyReport {
        let mut results = vec![];
        if self.builtin.protect_stateful {
            builtin::protect_stateful_in(review, &mut results);
        }
        results.extend(self.rego.problems.iter().cloned());
        let ferry = match ctx.to_rego_data_with(review) {
            Ok(f) => Some(f),
            Err(message) => {
                results.push(input_error(message));
                None
            }
        };
        let mut deletes = builtin::Deletes::default();
        for (index, doc) in documents.enumerate() {
            let doc = match doc {
                Ok(d) => d,
                Err(e) => {
                    results.push(input_error(format!(
                        "cannot read the plan for the policies: {e}"
                    )));
                    break;
                }
            };
            if self.builtin.reads_plan() {
                #[derive(serde::Deserialize)]
                struct Changes {
                    #[serde(default)]
                    resource_changes: Vec<serde_json::Value>,
                }
                match serde_json::from_slice::<Changes>(&doc) {
                    Ok(c) => builtin::walk(
                        &self.builtin,
                        &c.resource_changes,
                        &mut deletes,
                        &mut results,
                    ),
                    Err(e) => results.push(input_error(format!("the plan is not valid JSON: {e}"))),
                }
            }
            let Some(ferry) = &ferry else { continue };
            if self.rego.units.is_empty() {
                continue;
            }
            let text = String::from_utf8_lossy(&doc);
            let input = match regorus::Value::from_json_str(&text) {
                Ok(v) => v,
                Err(e) => {
                    results.push(input_error(format!("the plan is not valid JSON: {e}")));
                    continue;
                }
            };
            let mut data = ferry.clone();
            if let Ok(map) = data.as_object_mut() {
                let entry = map.get_mut(&regorus::Value::from("ferry"));
                if let Some(Ok(f)) = entry.map(|f| f.as_object_mut()) {
                    let mut document = std::collections::BTreeMap::new();
                    document.insert(
                        regorus::Value::from("index"),
                        regorus::Value::from(index as u64),
                    );
                    document.insert(regorus::Value::from("whole"), regorus::Value::from(whole));
                    f.insert(
                        regorus::Value::from("document"),
                        regorus::Value::from(document),
                    );
                }
            }
            rego::evaluate(&self.rego, &input, &data, self.timeout_ms, &mut results);
        }
        builtin::finish(&self.builtin, &deletes, &mut results);
        let mut seen = std::collections::HashSet::new();
        results.retain(|r| {
            seen.insert((
                r.level,
                r.source.clone(),
                r.rule.clone(),
                r.line,
                r.message.clone(),
            ))
        });
        PolicyReport { results }
    }

    fn evaluate_rego(
        &self,
        input: impl FnOnce() -> Result<regorus::Value, String>,
        ctx: &FerryContext,
        mut results: Vec<PolicyResult>,
    ) -> PolicyReport {
        results.extend(self.rego.problems.iter().cloned());
        if self.rego.units.is_empty() {
            return PolicyReport { results };
        }
        let converted = input().and_then(|input| ctx.to_rego_data().map(|f| (input, f)));
        match converted {
            Ok((input, ferry)) => {
                rego::evaluate(&self.rego, &input, &ferry, self.timeout_ms, &mut results);
                // Freeing a 100 MB plan's values takes a noticeable fraction of a second; the
                // caller need not wait for it.
                // (If no thread can be had, the closure, and the plan with it, drops right here.)
                let _ = std::thread::Builder::new().spawn(move || drop(input));
            }
            Err(message) => results.push(
                PolicyError::Eval {
                    file: "input".into(),
                    rule: "input".into(),
                    line: None,
                    message,
                }
                .to_result(),
            ),
        }
        PolicyReport { results }
    }
}

fn input_error(message: String) -> PolicyResult {
    PolicyError::Eval {
        file: "input".into(),
        rule: "input".into(),
        line: None,
        message,
    }
    .to_result()
}

/// The policy directory for an environment and whether it was named explicitly (the
/// environment's `policy_dir`, else `[policy] dir`); an explicit directory must exist, the
/// default `policy/` may be absent.
pub fn resolve_dir(
    root: &Path,
    cfg: &PolicyConfig,
    env_policy_dir: Option<&str>,
) -> (PathBuf, bool) {
    match env_policy_dir.or(cfg.dir.as_deref()) {
        Some(d) => (root.join(d), true),
        None => (root.join(DEFAULT_DIR), false),
    }
}
