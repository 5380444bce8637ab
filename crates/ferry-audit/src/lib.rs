//! Audits environment inputs and topology: quantity differences (sizes, counts) are fine, kind and
//! structural differences are what make staging stop predicting prod.
//!
//! The article's question, "what structural (not size) differences exist between staging and
//! prod, and which could cause a deploy to succeed in staging but fail in prod?", answered
//! deterministically from three views:
//!
//! 1. **inputs**: each environment's `.tfvars` / `.tfvars.json` against the root module's
//!    `variable` blocks ([`tfvars`], [`module`], classified by [`classify`]);
//! 2. **topology**: resource types and module calls in each environment's latest plan or state
//!    JSON ([`topology`]);
//! 3. **copy-paste**: per-environment directories of code and near-duplicate root modules
//!    ([`copypaste`]).
//!
//! # JSON report (`ferry audit --format json`), stable
//!
//! ```json
//! {
//!   "verdict": "clean | blocked",
//!   "pairs": ["dev:staging", "staging:prod"],
//!   "root_module": "infra",
//!   "environments": [{"name": "prod", "var_files": ["infra/environments/prod.tfvars"],
//!                     "variables": 7, "plan": null}],
//!   "summary": {"structural": 0, "kind": 1, "quantity": 3, "accepted": 1, "blocking": 1},
//!   "differences": [
//!     {"pair": "staging:prod", "subject": "variable | resource_type | module",
//!      "name": "db_instance_class", "class": "structural | kind | quantity | accepted",
//!      "classified_as": "kind", "pinned": false, "accepted_reason": null,
//!      "left": "db.t4g.medium", "right": "db.r6g.large",
//!      "left_source": "infra/environments/staging.tfvars:3", "right_source": "infra/environments/prod.tfvars:3",
//!      "why": "\"db.t4g.medium\" vs \"db.r6g.large\": different machine family (db.t4g vs db.r6g), not just a size"}
//!   ],
//!   "copy_paste": [{"kind": "env_directory | near_duplicate", "paths": ["envs/dev", "envs/prod"], "files": [],
//!                   "similarity": 0.93, "diverging": ["@@ main.tf", "- count = 2", "+ count = 5"],
//!                   "diverging_total": 3, "class": "structural | accepted", "accepted_reason": null}],
//!   "recommended_layout": null,
//!   "topology_skipped": [{"environment": "dev", "reason": "no stored plan"}]
//! }
//! ```
//!
//! `pair` is null for root-module findings (a variable declared but never read). For variables,
//! `left`/`right` are the effective values (the default when the file does not set one; null when
//! unset) and `"(sensitive)"` for sensitive variables; for resource types and modules they are
//! instance counts. Differences are ordered: root-module findings, then per pair (in `pairs`
//! order) variables, resource types, modules, each by name.

pub mod classify;
pub mod compare;
pub mod config;
pub mod copypaste;
pub mod error;
pub mod families;
pub mod module;
pub mod prompt;
pub mod render;
pub mod report;
pub mod tfvars;
pub mod topology;
pub mod types;

pub use classify::Class;
pub use config::AuditConfig;
pub use error::AuditError;
pub use report::{Outcome, Report};

use config::{split_pair, AcceptSubject};
use copypaste::relative;
use module::RootModule;
use report::{CopyPasteFinding, EnvSummary, TopologySkip};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tfvars::EnvInputs;
use topology::Topology;

/// Where an environment's topology comes from.
#[derive(Debug, Clone)]
pub enum PlanSource {
    /// A `show -json` rendering on disk.
    Path(PathBuf),
    /// Rendering bytes already in memory, with a name for messages.
    Bytes { name: String, bytes: Vec<u8> },
}

#[derive(Debug, Clone)]
pub struct EnvSpec {
    pub name: String,
    /// Input files in the order Terraform reads them (later ones override).
    pub var_files: Vec<PathBuf>,
    /// Latest plan or state rendering; `None` skips the topology audit for this environment.
    pub plan: Option<PlanSource>,
    /// Upstream environment in the promotion chain.
    pub from: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AuditInput {
    /// Paths in the report are shown relative to this directory.
    pub project_root: PathBuf,
    pub root_module: PathBuf,
    /// In promotion order.
    pub environments: Vec<EnvSpec>,
    /// `A:B` pairs to compare; empty: `config.pairs`, else each environment with its `from`.
    pub pairs: Vec<String>,
    pub config: AuditConfig,
}

/// The report plus what the review prompt needs (the input files' text).
#[derive(Debug, Clone)]
pub struct Audit {
    pub report: Report,
    pub module: RootModule,
    pub inputs: BTreeMap<String, EnvInputs>,
}

fn resolve_pairs(input: &AuditInput) -> Result<Vec<String>, AuditError> {
    let mut pairs = if !input.pairs.is_empty() {
        input.pairs.clone()
    } else if !input.config.pairs.is_empty() {
        input.config.pairs.clone()
    } else {
        input
            .environments
            .iter()
            .filter_map(|e| e.from.as_ref().map(|f| format!("{f}:{}", e.name)))
            .collect()
    };
    pairs.dedup();
    let known: Vec<&str> = input.environments.iter().map(|e| e.name.as_str()).collect();
    for pair in &pairs {
        let (a, b) = split_pair(pair)?;
        for name in [a, b] {
            if !known.contains(&name) {
                return Err(AuditError::Pair {
                    pair: pair.clone(),
                    message: format!("no environment '{name}'; known: {}", known.join(", ")),
                });
            }
        }
    }
    if pairs.is_empty() {
        return Err(AuditError::Pair {
            pair: String::new(),
            message: "nothing to compare: only one environment; name two with --pair A:B".into(),
        });
    }
    Ok(pairs)
}

fn read_topology(root: &Path, source: &PlanSource) -> Result<(String, Topology), AuditError> {
    match source {
        PlanSource::Path(path) => {
            let bytes = std::fs::read(path).map_err(|source| AuditError::Read {
                path: path.clone(),
                source,
            })?;
            let name = relative(root, path).display().to_string();
            let topo = topology::topology_from_json(&bytes, &name)?;
            Ok((name, topo))
        }
        PlanSource::Bytes { name, bytes } => {
            Ok((name.clone(), topology::topology_from_json(bytes, name)?))
        }
    }
}

/// Runs the whole audit. Paths in errors are relative to the project, like those in the report.
pub fn audit(input: &AuditInput) -> Result<Audit, AuditError> {
    run(input).map_err(|e| e.relative_to(&input.project_root))
}

fn run(input: &AuditInput) -> Result<Audit, AuditError> {
    let root = &input.project_root;
    let pairs = resolve_pairs(input)?;
    let mut module = module::load_root_module(&input.root_module)?;
    let shown = |p: &Path| relative(root, p);
    module.dir = shown(&module.dir);
    for decl in module.variables.values_mut() {
        decl.file = shown(&decl.file);
    }

    let involved: Vec<&EnvSpec> = input
        .environments
        .iter()
        .filter(|e| {
            pairs
                .iter()
                .any(|p| split_pair(p).is_ok_and(|(a, b)| a == e.name || b == e.name))
        })
        .collect();
    let mut inputs = BTreeMap::new();
    let mut topologies = BTreeMap::new();
    let mut environments = Vec::new();
    let mut topology_skipped = Vec::new();
    for env in &involved {
        let mut loaded = tfvars::load_env_inputs(&env.name, &env.var_files, &module)?;
        for a in loaded.values.values_mut() {
            a.file = shown(&a.file);
        }
        for f in &mut loaded.files {
            f.path = shown(&f.path);
        }
        let plan = match &env.plan {
            Some(source) => {
                let (name, topo) = read_topology(root, source)?;
                topologies.insert(env.name.clone(), topo);
                Some(name)
            }
            None => {
                topology_skipped.push(TopologySkip {
                    environment: env.name.clone(),
                    reason: "no stored plan".into(),
                });
                None
            }
        };
        environments.push(EnvSummary {
            name: env.name.clone(),
            var_files: env
                .var_files
                .iter()
                .map(|p| shown(p).display().to_string())
                .collect(),
            variables: loaded.values.len(),
            plan,
        });
        inputs.insert(env.name.clone(), loaded);
    }

    let mut differences = compare::module_findings(&module, &input.config);
    for pair in &pairs {
        let (a, b) = split_pair(pair)?;
        if let (Some(l), Some(r)) = (inputs.get(a), inputs.get(b)) {
            differences.extend(compare::compare_inputs(pair, l, r, &module, &input.config));
        }
        if let (Some(l), Some(r)) = (topologies.get(a), topologies.get(b)) {
            differences.extend(compare::compare_topology(
                pair,
                (a, l),
                (b, r),
                &input.config,
            ));
        }
    }

    let env_names: Vec<String> = input.environments.iter().map(|e| e.name.clone()).collect();
    let copy_paste: Vec<CopyPasteFinding> =
        copypaste::detect(root, &env_names, input.config.similarity)?
            .into_iter()
            .map(|finding| {
                let accepted = finding
                    .paths
                    .iter()
                    .find_map(|p| input.config.accepted(None, &AcceptSubject::Path(p.clone())));
                CopyPasteFinding {
                    class: if accepted.is_some() {
                        Outcome::Accepted
                    } else {
                        Outcome::Structural
                    },
                    accepted_reason: accepted.map(|a| a.reason.clone()),
                    finding,
                }
            })
            .collect();
    let recommended_layout =
        (!copy_paste.is_empty()).then(|| copypaste::recommended_layout(&env_names));

    let mut report = Report {
        verdict: "clean",
        pairs,
        root_module: module.dir.display().to_string(),
        environments,
        summary: report::Summary::default(),
        differences,
        copy_paste,
        recommended_layout,
        topology_skipped,
    };
    report.finish();
    Ok(Audit {
        report,
        module,
        inputs,
    })
}
