//! The gates of a migration set entering an environment: the same chain as the infra (a
//! migration reaches an environment only after the environment it is promoted from applied the
//! very same file), a review that blocks unacknowledged contract and destructive statements, and
//! `migration_approvals` bound to the digest of the exact pending list — at least one where an
//! acknowledged contract statement is pending. Pure: ferry-app gathers the facts.

use super::approval::Judged;
use super::gates::UnmetGate;

#[derive(Debug, Clone)]
pub struct MigrationFacts<'a> {
    pub env: &'a str,
    pub set: &'a str,
    /// Digest of the pending list (what approvals bind to).
    pub digest: &'a str,
    pub upstream: Option<&'a str>,
    /// Pending migrations the upstream environment has not applied with the same checksum.
    pub missing_upstream: Vec<String>,
    /// Blocking findings of the review of the pending files, as `file:line rule`.
    pub blocking: Vec<String>,
    /// A pending statement is an acknowledged contract (`-- ferry:contract <reason>`).
    pub acknowledged_contract: bool,
    pub approvals_needed: u32,
    pub approvals: &'a Judged,
}

/// How many approvals the plan needs: the environment's `migration_approvals`, and never fewer
/// than one for an acknowledged contract statement.
pub fn migration_approvals_needed(facts: &MigrationFacts<'_>) -> usize {
    let base = facts.approvals_needed as usize;
    if facts.acknowledged_contract {
        base.max(1)
    } else {
        base
    }
}

pub fn migration_gates(f: &MigrationFacts<'_>) -> Vec<UnmetGate> {
    let mut unmet = Vec::new();
    if let (Some(upstream), false) = (f.upstream, f.missing_upstream.is_empty()) {
        unmet.push(UnmetGate::MigrationsNotUpstream {
            env: f.env.to_string(),
            upstream: upstream.to_string(),
            migrations: f.missing_upstream.clone(),
        });
    }
    if !f.blocking.is_empty() {
        unmet.push(UnmetGate::MigrationReviewBlocked {
            findings: f.blocking.clone(),
        });
    }
    let need = migration_approvals_needed(f);
    let have = f.approvals.counted.len();
    if have < need {
        unmet.push(UnmetGate::MigrationApprovalsMissing {
            env: f.env.to_string(),
            have,
            need,
            command: format!(
                "ferry migrate approve --env {} --set {} --plan {}",
                f.env, f.set, f.digest
            ),
            not_counted: f.approvals.refused.iter().map(|r| r.to_string()).collect(),
        });
    }
    unmet
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Identity;

    fn facts(judged: &Judged) -> MigrationFacts<'_> {
        MigrationFacts {
            env: "prod",
            set: "app",
            digest: "sha256:ab",
            upstream: Some("staging"),
            missing_upstream: vec![],
            blocking: vec![],
            acknowledged_contract: false,
            approvals_needed: 0,
            approvals: judged,
        }
    }

    #[test]
    fn a_migration_not_applied_upstream_is_held_back() {
        let j = Judged::default();
        assert!(migration_gates(&facts(&j)).is_empty());
        let f = MigrationFacts {
            missing_upstream: vec!["V2__x.sql".into()],
            ..facts(&j)
        };
        let unmet = migration_gates(&f);
        assert_eq!(unmet.len(), 1);
        assert!(unmet[0].to_string().contains("V2__x.sql"), "{}", unmet[0]);
        assert!(unmet[0].to_string().contains("'staging'"), "{}", unmet[0]);
    }

    #[test]
    fn an_acknowledged_contract_needs_one_approval_even_without_migration_approvals() {
        let j = Judged::default();
        let f = MigrationFacts {
            acknowledged_contract: true,
            ..facts(&j)
        };
        let unmet = migration_gates(&f);
        assert!(matches!(
            unmet.as_slice(),
            [UnmetGate::MigrationApprovalsMissing {
                need: 1,
                have: 0,
                ..
            }]
        ));
        let counted = Judged {
            counted: vec![crate::identity::People::default().person_of(&Identity::new("lead"))],
            ..Judged::default()
        };
        let f = MigrationFacts {
            acknowledged_contract: true,
            approvals: &counted,
            ..facts(&j)
        };
        assert!(migration_gates(&f).is_empty());
    }

    #[test]
    fn blocking_findings_block() {
        let j = Judged::default();
        let f = MigrationFacts {
            blocking: vec!["V3.sql:1 drop-column".into()],
            ..facts(&j)
        };
        assert!(matches!(
            migration_gates(&f).as_slice(),
            [UnmetGate::MigrationReviewBlocked { .. }]
        ));
    }
}
