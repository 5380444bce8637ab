//! The gate settings of one environment for one release. They are read from the ferry.toml
//! *inside the release*: a gate is part of what was reviewed and promoted, so nobody relaxes it
//! by editing a file on their laptop. The work tree's ferry.toml may only tighten a gate (more
//! approvals, a narrower approver list, another freeze window, a longer soak); anything else it
//! says about a gate is ignored, and ferry says so. Loosening takes a new release that goes
//! through the chain.

use crate::config::{Config, EnvironmentConfig};
use crate::identity::{Identity, People, Person};
use crate::schedule::{DurationText, FreezeWindow};
use std::collections::BTreeMap;
use std::fmt;

/// Who may approve, as one ferry.toml says: identities or `group:NAME` entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApproverList {
    /// Which ferry.toml it came from ("the release", "the work tree"), for messages.
    pub origin: &'static str,
    pub entries: Vec<String>,
    pub groups: BTreeMap<String, Vec<String>>,
}

impl ApproverList {
    /// Whether `person` is named by an entry, directly or through a group.
    pub fn allows(&self, person: &Person, people: &People) -> bool {
        let is = |id: &str| &people.person_of(&Identity::new(id)) == person;
        self.entries.iter().any(|e| match e.strip_prefix("group:") {
            Some(g) => self
                .groups
                .get(g)
                .is_some_and(|members| members.iter().any(|m| is(m))),
            None => is(e),
        })
    }
}

/// The effective gates of one environment for one release.
#[derive(Debug, Clone, PartialEq)]
pub struct GateSettings {
    pub env: String,
    pub from: Option<String>,
    pub auto_apply: bool,
    pub approvals: u32,
    /// Approvals of a migration plan (its digest), separate from the infra plan's.
    pub migration_approvals: u32,
    /// Every list must allow an approver; empty: anyone not excluded by separation of duties.
    pub approvers: Vec<ApproverList>,
    pub forbid_self_approval: bool,
    pub require_signed_approvals: bool,
    /// Path of the allowed_signers file inside the release.
    pub allowed_signers: Option<String>,
    pub freeze: Vec<FreezeWindow>,
    pub soak: Option<DurationText>,
    pub max_plan_age: Option<DurationText>,
    /// `[[environment.verify]]` tables (validated by ferry-verify when the config loads).
    pub verify: Vec<toml::Table>,
    pub auto_rollback: bool,
    pub rehearse_rollback: bool,
    pub var_files: Vec<String>,
    pub backend_config: BTreeMap<String, String>,
    pub policy_dir: Option<String>,
    /// `[people]` of the release: aliases decide who counts as whom, so they are a gate too.
    pub people: People,
}

/// What the work tree's ferry.toml did to a gate of the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingNote {
    /// The work tree made the gate stricter; the stricter value applies.
    Tightened {
        env: String,
        key: &'static str,
        release: String,
        work: String,
    },
    /// The work tree would loosen or change a gate; the release's value applies.
    Ignored {
        env: String,
        key: &'static str,
        release: String,
        work: String,
    },
}

impl fmt::Display for SettingNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingNote::Tightened { env, key, release, work } => write!(
                f,
                "the work tree's ferry.toml tightens '{env}': {key} = {work} (the release says {release})"
            ),
            SettingNote::Ignored { env, key, release, work } => write!(
                f,
                "ignored: the work tree's ferry.toml sets {key} = {work} for '{env}', the release says {release}; gates come from the release — loosening one takes a new release through the chain"
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("environment '{env}' is not defined in the ferry.toml of release {release}; the release can only go where its own configuration says")]
    NotInRelease { env: String, release: String },
}

fn default_forbid(e: &EnvironmentConfig) -> bool {
    e.forbid_self_approval.unwrap_or(e.approvals > 0)
}

fn show<T: fmt::Debug>(v: &T) -> String {
    format!("{v:?}")
}

fn dur(d: &Option<DurationText>) -> String {
    d.as_ref()
        .map_or("none".to_string(), |d| d.as_str().to_string())
}

/// The gates of `env` for the release whose configuration is `release`, tightened by `work`.
pub fn effective(
    release: &Config,
    release_label: &str,
    work: Option<&Config>,
    env: &str,
) -> Result<(GateSettings, Vec<SettingNote>), SettingsError> {
    let r = release
        .environment(env)
        .ok_or_else(|| SettingsError::NotInRelease {
            env: env.to_string(),
            release: release_label.to_string(),
        })?;
    let people = People::from_table(&release.people).unwrap_or_default();
    let mut s = GateSettings {
        env: env.to_string(),
        from: r.from_env().map(str::to_string),
        auto_apply: r.auto_apply,
        approvals: r.approvals,
        migration_approvals: r.migration_approvals,
        approvers: if r.approvers.is_empty() {
            vec![]
        } else {
            vec![ApproverList {
                origin: "the release",
                entries: r.approvers.clone(),
                groups: release.groups.clone(),
            }]
        },
        forbid_self_approval: default_forbid(r),
        require_signed_approvals: r.require_signed_approvals,
        allowed_signers: r.allowed_signers.clone(),
        freeze: r.freeze.clone(),
        soak: r.soak.clone(),
        max_plan_age: r.max_plan_age.clone(),
        verify: r.verify.clone(),
        auto_rollback: r.auto_rollback,
        rehearse_rollback: r.rehearse_rollback,
        var_files: r.var_files.clone(),
        backend_config: r.backend_config.clone(),
        policy_dir: r.policy_dir.clone(),
        people,
    };
    let mut notes = Vec::new();
    let Some(w) = work.and_then(|w| w.environment(env).map(|e| (w, e))) else {
        return Ok((s, notes));
    };
    let (wcfg, w) = w;
    let mut note = |tight: bool, key: &'static str, release: String, work: String| {
        notes.push(if tight {
            SettingNote::Tightened {
                env: env.to_string(),
                key,
                release,
                work,
            }
        } else {
            SettingNote::Ignored {
                env: env.to_string(),
                key,
                release,
                work,
            }
        })
    };
    if w.approvals != r.approvals {
        note(
            w.approvals > r.approvals,
            "approvals",
            r.approvals.to_string(),
            w.approvals.to_string(),
        );
        s.approvals = s.approvals.max(w.approvals);
    }
    if w.migration_approvals != r.migration_approvals {
        note(
            w.migration_approvals > r.migration_approvals,
            "migration_approvals",
            r.migration_approvals.to_string(),
            w.migration_approvals.to_string(),
        );
        s.migration_approvals = s.migration_approvals.max(w.migration_approvals);
    }
    if w.approvers != r.approvers || (!w.approvers.is_empty() && wcfg.groups != release.groups) {
        let tight = !w.approvers.is_empty();
        note(tight, "approvers", show(&r.approvers), show(&w.approvers));
        if tight {
            s.approvers.push(ApproverList {
                origin: "the work tree",
                entries: w.approvers.clone(),
                groups: wcfg.groups.clone(),
            });
        }
    }
    let wf = default_forbid(w);
    if wf != s.forbid_self_approval {
        note(
            wf,
            "forbid_self_approval",
            s.forbid_self_approval.to_string(),
            wf.to_string(),
        );
        s.forbid_self_approval |= wf;
    }
    if w.require_signed_approvals != r.require_signed_approvals {
        note(
            w.require_signed_approvals,
            "require_signed_approvals",
            r.require_signed_approvals.to_string(),
            w.require_signed_approvals.to_string(),
        );
        if w.require_signed_approvals {
            s.require_signed_approvals = true;
            if s.allowed_signers.is_none() {
                s.allowed_signers = w.allowed_signers.clone();
            }
        }
    }
    if w.allowed_signers != r.allowed_signers && r.allowed_signers.is_some() {
        note(
            false,
            "allowed_signers",
            show(&r.allowed_signers),
            show(&w.allowed_signers),
        );
    }
    for extra in w.freeze.iter().filter(|f| !r.freeze.contains(f)) {
        note(
            true,
            "freeze",
            format!("{} window(s)", r.freeze.len()),
            format!("another window, {}", extra.describe()),
        );
        s.freeze.push(extra.clone());
    }
    if r.freeze.iter().any(|f| !w.freeze.contains(f)) {
        note(
            false,
            "freeze",
            format!("{} window(s)", r.freeze.len()),
            "fewer windows".into(),
        );
    }
    let longer = |a: &Option<DurationText>, b: &Option<DurationText>| match (a, b) {
        (None, Some(_)) => true,
        (Some(a), Some(b)) => b.duration() > a.duration(),
        _ => false,
    };
    if w.soak != r.soak {
        let tight = longer(&r.soak, &w.soak);
        note(tight, "soak", dur(&r.soak), dur(&w.soak));
        if tight {
            s.soak = w.soak.clone();
        }
    }
    if w.max_plan_age != r.max_plan_age {
        let tight = match (&r.max_plan_age, &w.max_plan_age) {
            (None, Some(_)) => true,
            (Some(a), Some(b)) => b.duration() < a.duration(),
            _ => false,
        };
        note(
            tight,
            "max_plan_age",
            dur(&r.max_plan_age),
            dur(&w.max_plan_age),
        );
        if tight {
            s.max_plan_age = w.max_plan_age.clone();
        }
    }
    for check in &w.verify {
        if r.verify.contains(check) {
            continue;
        }
        let name = check.get("name").and_then(|n| n.as_str()).unwrap_or("?");
        let same_name = r
            .verify
            .iter()
            .any(|c| c.get("name").and_then(|n| n.as_str()) == Some(name));
        if same_name {
            note(
                false,
                "verify",
                format!("check '{name}' as released"),
                format!("a changed check '{name}'"),
            );
        } else {
            note(
                true,
                "verify",
                format!("{} check(s)", r.verify.len()),
                format!("another check '{name}'"),
            );
            s.verify.push(check.clone());
        }
    }
    if r.verify.iter().any(|c| {
        !w.verify.contains(c) && {
            let name = c.get("name").and_then(|n| n.as_str());
            !w.verify
                .iter()
                .any(|x| x.get("name").and_then(|n| n.as_str()) == name)
        }
    }) {
        note(
            false,
            "verify",
            format!("{} check(s)", r.verify.len()),
            "fewer checks".into(),
        );
    }
    if w.auto_apply != r.auto_apply {
        note(
            !w.auto_apply,
            "auto_apply",
            r.auto_apply.to_string(),
            w.auto_apply.to_string(),
        );
        s.auto_apply &= w.auto_apply;
    }
    if w.rehearse_rollback != r.rehearse_rollback {
        note(
            w.rehearse_rollback,
            "rehearse_rollback",
            r.rehearse_rollback.to_string(),
            w.rehearse_rollback.to_string(),
        );
        s.rehearse_rollback |= w.rehearse_rollback;
    }
    if w.auto_rollback != r.auto_rollback {
        note(
            false,
            "auto_rollback",
            r.auto_rollback.to_string(),
            w.auto_rollback.to_string(),
        );
    }
    if w.var_files != r.var_files {
        note(false, "var_files", show(&r.var_files), show(&w.var_files));
    }
    if w.backend_config != r.backend_config {
        note(
            false,
            "backend_config",
            "the release's settings".into(),
            "different settings".into(),
        );
    }
    if w.from_env() != r.from_env() {
        note(false, "from", show(&r.from_env()), show(&w.from_env()));
    }
    if w.policy_dir != r.policy_dir {
        note(
            false,
            "policy_dir",
            show(&r.policy_dir),
            show(&w.policy_dir),
        );
    }
    if wcfg.people != release.people {
        note(
            false,
            "people",
            "the release's [people]".into(),
            "a different [people]".into(),
        );
    }
    Ok((s, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
[[environment]]
name = "dev"
var_files = ["dev.tfvars"]
auto_apply = true

[[environment]]
name = "prod"
var_files = ["prod.tfvars"]
from = "dev"
approvals = 1
soak = "10m"
"#;

    fn cfg(text: &str) -> Config {
        Config::parse(text, "ferry.toml").unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn a_work_tree_cannot_loosen_a_gate() {
        let release = cfg(BASE);
        let work = cfg(&BASE
            .replace("approvals = 1", "approvals = 0")
            .replace("\"10m\"", "\"1m\""));
        let (s, notes) =
            effective(&release, "r", Some(&work), "prod").unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(s.approvals, 1);
        assert!(s.forbid_self_approval);
        assert_eq!(s.soak.as_ref().map(|d| d.as_str()), Some("10m"));
        assert!(
            notes
                .iter()
                .all(|n| matches!(n, SettingNote::Ignored { .. })),
            "{notes:?}"
        );
        assert!(notes
            .iter()
            .any(|n| n.to_string().contains("approvals = 0")));
    }

    #[test]
    fn a_work_tree_may_tighten_and_it_is_said() {
        let release = cfg(BASE);
        let work = cfg(&BASE.replace("approvals = 1", "approvals = 2\napprovers = [\"lead@x\"]"));
        let (s, notes) =
            effective(&release, "r", Some(&work), "prod").unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(s.approvals, 2);
        assert_eq!(s.approvers.len(), 1);
        assert!(
            notes
                .iter()
                .all(|n| matches!(n, SettingNote::Tightened { .. })),
            "{notes:?}"
        );
    }

    #[test]
    fn an_environment_missing_from_the_release_is_an_error() {
        let release = cfg(BASE);
        assert!(effective(&release, "r", None, "staging").is_err());
    }
}
