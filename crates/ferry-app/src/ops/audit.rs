//! `audit`: environment inputs, topology (from the stored plans) and code layout.

use crate::context::App;
use crate::error::{AppError, Result};
use ferry_audit::{AuditConfig, AuditInput, EnvSpec, PlanSource};
use ferry_store::ArtifactKind;

impl App {
    /// The newest stored plan JSON of `env`, verified, when there is one.
    fn stored_plan_json(&self, env: &str) -> Result<Option<std::path::PathBuf>> {
        let Some(p) = self.ledger.latest_plan(env)? else {
            return Ok(None);
        };
        match &p.plan_json_sha256 {
            Some(sha) => Ok(self.artifacts.verified_path(ArtifactKind::PlanJson, sha)?),
            None => Ok(None),
        }
    }

    /// Audits the work tree's inputs and the stored plans' topology.
    pub fn audit(&self, pairs: &[String]) -> Result<ferry_audit::Audit> {
        let project = &self.project;
        let config = AuditConfig::from_table(&project.config.audit).map_err(|e| {
            AppError::Invalid(format!(
                "invalid [audit] table in {}: {e}",
                project.config_path.display()
            ))
        })?;
        let mut environments = Vec::new();
        for env in self.chain() {
            environments.push(EnvSpec {
                name: env.name().to_string(),
                var_files: env.var_files.iter().map(|f| project.root.join(f)).collect(),
                plan: self.stored_plan_json(env.name())?.map(PlanSource::Path),
                from: env.from_env().map(str::to_string),
            });
        }
        Ok(ferry_audit::audit(&AuditInput {
            project_root: project.root.clone(),
            root_module: project.root.join(&project.config.project.root),
            environments,
            pairs: pairs.to_vec(),
            config,
        })?)
    }
}

/// The audit of a project without opening (or creating) its ledger: a fresh checkout.
pub fn audit_without_ledger(
    project: &crate::Project,
    pairs: &[String],
) -> Result<ferry_audit::Audit> {
    let config = AuditConfig::from_table(&project.config.audit).map_err(|e| {
        AppError::Invalid(format!(
            "invalid [audit] table in {}: {e}",
            project.config_path.display()
        ))
    })?;
    let environments = project
        .config
        .chain_order()
        .iter()
        .map(|env| EnvSpec {
            name: env.name().to_string(),
            var_files: env.var_files.iter().map(|f| project.root.join(f)).collect(),
            plan: None,
            from: env.from_env().map(str::to_string),
        })
        .collect();
    Ok(ferry_audit::audit(&AuditInput {
        project_root: project.root.clone(),
        root_module: project.root.join(&project.config.project.root),
        environments,
        pairs: pairs.to_vec(),
        config,
    })?)
}
