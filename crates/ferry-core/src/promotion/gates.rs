//! The gates: may this release enter this environment, and may this plan be applied? Pure
//! functions over facts the caller read from the ledger, so every gate is testable here and
//! explained the same way by `status`, `plan`, `apply` and `promote`.

use super::approval::Judged;
use crate::review::Verdict;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One gate that is not met, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "gate", rename_all = "kebab-case")]
pub enum UnmetGate {
    Abandoned {
        reason: String,
    },
    /// A release built from a dirty work tree stays in the first environment.
    DirtyRelease {
        env: String,
        first: String,
    },
    /// The release was never deployed and verified in the upstream environment.
    NotInUpstream {
        env: String,
        upstream: String,
    },
    ReviewBlocked,
    PolicyDenied {
        count: usize,
    },
    ApprovalsMissing {
        env: String,
        have: usize,
        need: usize,
        /// The exact command to approve this plan.
        command: String,
        /// Recorded approvals that do not count, and why.
        not_counted: Vec<String>,
    },
    /// Re-deriving the review and policy from the stored plan gives another verdict than the
    /// ledger holds: the row or the artifacts were changed.
    ReviewChanged {
        stored: String,
        derived: String,
    },
    /// The ledger's hash chain or a row it covers does not verify.
    LedgerUnverified {
        detail: String,
    },
    WarningsNotAcknowledged,
    /// The release was verified upstream less than `soak` ago.
    Soaking {
        upstream: String,
        soak: String,
        ready_at: String,
    },
    /// A freeze window is in force.
    Frozen {
        env: String,
        reason: String,
    },
    /// The plan is older than `max_plan_age`.
    PlanTooOld {
        env: String,
        created_at: String,
        max: String,
    },
    /// Another promotion holds the environment.
    Locked {
        env: String,
        holder: String,
        since: String,
    },
    /// Pending migrations the upstream environment has not applied (same file, same checksum).
    MigrationsNotUpstream {
        env: String,
        upstream: String,
        migrations: Vec<String>,
    },
    /// The review of the pending migrations blocks (unacknowledged contract, destructive).
    MigrationReviewBlocked {
        findings: Vec<String>,
    },
    MigrationApprovalsMissing {
        env: String,
        have: usize,
        need: usize,
        command: String,
        not_counted: Vec<String>,
    },
    /// Rolling back would strand the data: the target predates an applied contract migration
    /// or its compat queries fail against the current schema.
    RollbackStrandsData {
        reasons: Vec<String>,
    },
    /// On a scratch copy of the schema, a pending migration or a compat query failed.
    MigrationRehearsalFailed {
        reasons: Vec<String>,
    },
}

impl fmt::Display for UnmetGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnmetGate::Abandoned { reason } => write!(f, "the release was abandoned ({reason}); build or pick another release"),
            UnmetGate::DirtyRelease { env, first } => write!(
                f,
                "the release was built from a dirty work tree, so it may only be deployed to '{first}', not '{env}'; commit and run `ferry release create`"
            ),
            UnmetGate::NotInUpstream { env, upstream } => write!(
                f,
                "the release has not been deployed and verified in '{upstream}', which '{env}' is promoted from; run `ferry promote --to {upstream}` first"
            ),
            UnmetGate::ReviewBlocked => write!(f, "the review verdict is block; see `ferry review` for the findings"),
            UnmetGate::PolicyDenied { count } => write!(f, "{count} policy denial(s); the way to relax a rule is a new release that changes the policy"),
            UnmetGate::ApprovalsMissing { env, have, need, command, not_counted } => {
                write!(
                    f,
                    "'{env}' needs {need} approval(s) of this exact plan from distinct people, it has {have}; another person runs `{command}`"
                )?;
                for n in not_counted {
                    write!(f, " (not counted: {n})")?;
                }
                Ok(())
            }
            UnmetGate::ReviewChanged { stored, derived } => write!(
                f,
                "the ledger says the plan's review and policy were {stored}, but re-deriving them from the stored plan gives {derived}: the ledger or the stored plan was changed outside ferry; run `ferry ledger verify`"
            ),
            UnmetGate::LedgerUnverified { detail } => write!(
                f,
                "the ledger does not verify ({detail}); nothing is applied from a ledger changed outside ferry — see `ferry ledger verify`"
            ),
            UnmetGate::WarningsNotAcknowledged => write!(
                f,
                "the plan has warnings that no approver acknowledged; approve with `--acknowledge-warnings`"
            ),
            UnmetGate::Soaking { upstream, soak, ready_at } => write!(
                f,
                "the release must soak for {soak} after its verification in '{upstream}'; it may go on at {ready_at}"
            ),
            UnmetGate::Frozen { env, reason } => write!(f, "'{env}' is frozen: {reason}"),
            UnmetGate::PlanTooOld { env, created_at, max } => write!(
                f,
                "the plan was made at {created_at}, longer ago than max_plan_age = {max}; run `ferry plan --env {env}` again"
            ),
            UnmetGate::Locked { env, holder, since } => write!(
                f,
                "'{env}' is locked by {holder} since {since}; if that promotion died, `ferry unlock --env {env} --reason ...`"
            ),
            UnmetGate::MigrationsNotUpstream { env, upstream, migrations } => write!(
                f,
                "migration(s) {} have not been applied in '{upstream}', which '{env}' is promoted from; run `ferry migrate apply --env {upstream}` first",
                migrations.join(", ")
            ),
            UnmetGate::MigrationReviewBlocked { findings } => write!(
                f,
                "the migration review blocks ({}); see `ferry migrate check`: fix the migration, or acknowledge an intended contract with `-- ferry:contract <reason>` above it",
                findings.join("; ")
            ),
            UnmetGate::MigrationApprovalsMissing { env, have, need, command, not_counted } => {
                write!(
                    f,
                    "'{env}' needs {need} approval(s) of this exact migration plan from distinct people, it has {have}; another person runs `{command}`"
                )?;
                for n in not_counted {
                    write!(f, " (not counted: {n})")?;
                }
                Ok(())
            }
            UnmetGate::MigrationRehearsalFailed { reasons } => write!(
                f,
                "the migration rehearsal failed: {}",
                reasons.join("; ")
            ),
            UnmetGate::RollbackStrandsData { reasons } => write!(
                f,
                "rolling back would strand the data: {}; fix forward instead (or restore the schema first)",
                reasons.join("; ")
            ),
        }
    }
}

/// What the ledger says about a release relative to one environment.
#[derive(Debug, Clone)]
pub struct EntryFacts<'a> {
    pub env: &'a str,
    /// The environment named by `from`, if any.
    pub upstream: Option<&'a str>,
    /// The first environment of the chain (where dirty releases may go).
    pub first: &'a str,
    pub dirty: bool,
    pub abandoned: Option<&'a str>,
    /// Deployed successfully and verified in `upstream`.
    pub upstream_known_good: bool,
    /// Set while the upstream soak has not elapsed: (soak, ready at).
    pub soaking: Option<(String, String)>,
}

/// Gates for a release entering an environment (checked at plan and again at apply).
pub fn entry_gates(f: &EntryFacts<'_>) -> Vec<UnmetGate> {
    let mut unmet = Vec::new();
    if let Some(reason) = f.abandoned {
        unmet.push(UnmetGate::Abandoned {
            reason: reason.to_string(),
        });
    }
    if f.dirty && f.env != f.first {
        unmet.push(UnmetGate::DirtyRelease {
            env: f.env.to_string(),
            first: f.first.to_string(),
        });
    }
    if let Some(upstream) = f.upstream {
        if !f.upstream_known_good {
            unmet.push(UnmetGate::NotInUpstream {
                env: f.env.to_string(),
                upstream: upstream.to_string(),
            });
        } else if let Some((soak, ready_at)) = &f.soaking {
            unmet.push(UnmetGate::Soaking {
                upstream: upstream.to_string(),
                soak: soak.clone(),
                ready_at: ready_at.clone(),
            });
        }
    }
    unmet
}

/// What the ledger says about one plan about to be applied.
#[derive(Debug, Clone)]
pub struct ApplyFacts<'a> {
    pub env: &'a str,
    /// The plan's id, for the approve command a person is told to run.
    pub plan: &'a str,
    pub verdict: Verdict,
    pub policy_denials: usize,
    pub policy_warnings: usize,
    pub approvals_needed: u32,
    /// The recorded approvals, judged under today's rules.
    pub approvals: &'a Judged,
    /// The reason of the freeze window in force, if any.
    pub frozen: Option<String>,
    /// Set when the plan is older than `max_plan_age`: (created at, max).
    pub too_old: Option<(String, String)>,
}

/// Gates on the plan itself: review, policy, approvals.
pub fn apply_gates(f: &ApplyFacts<'_>) -> Vec<UnmetGate> {
    let mut unmet = Vec::new();
    if f.verdict == Verdict::Block {
        unmet.push(UnmetGate::ReviewBlocked);
    }
    if f.policy_denials > 0 {
        unmet.push(UnmetGate::PolicyDenied {
            count: f.policy_denials,
        });
    }
    let have = f.approvals.counted.len();
    let need = f.approvals_needed as usize;
    if have < need {
        let has_warnings = f.verdict == Verdict::Warn || f.policy_warnings > 0;
        unmet.push(UnmetGate::ApprovalsMissing {
            env: f.env.to_string(),
            have,
            need,
            command: approve_command(f.env, f.plan, has_warnings),
            not_counted: f.approvals.refused.iter().map(|r| r.to_string()).collect(),
        });
    }
    let has_warnings = f.verdict == Verdict::Warn || f.policy_warnings > 0;
    if need > 0 && has_warnings && !f.approvals.warnings_acknowledged {
        unmet.push(UnmetGate::WarningsNotAcknowledged);
    }
    if let Some((created_at, max)) = &f.too_old {
        unmet.push(UnmetGate::PlanTooOld {
            env: f.env.to_string(),
            created_at: created_at.clone(),
            max: max.clone(),
        });
    }
    if let Some(reason) = &f.frozen {
        unmet.push(UnmetGate::Frozen {
            env: f.env.to_string(),
            reason: reason.clone(),
        });
    }
    unmet
}

/// The command that approves exactly `plan`.
pub fn approve_command(env: &str, plan: &str, warnings: bool) -> String {
    format!(
        "ferry approve --env {env} --plan {plan}{}",
        if warnings {
            " --acknowledge-warnings"
        } else {
            ""
        }
    )
}

/// Whether someone must confirm an apply that no approval gate covers: not for automatic
/// environments, not where approvals are the gate, never for ferry's own automatic rollback.
pub fn needs_confirmation(auto_apply: bool, approvals: u32, automatic: bool) -> bool {
    !auto_apply && approvals == 0 && !automatic
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>() -> EntryFacts<'a> {
        EntryFacts {
            env: "prod",
            upstream: Some("staging"),
            first: "dev",
            dirty: false,
            abandoned: None,
            upstream_known_good: true,
            soaking: None,
        }
    }

    #[test]
    fn release_must_be_known_good_upstream() {
        assert!(entry_gates(&entry()).is_empty());
        let f = EntryFacts {
            upstream_known_good: false,
            ..entry()
        };
        let unmet = entry_gates(&f);
        assert_eq!(
            unmet,
            vec![UnmetGate::NotInUpstream {
                env: "prod".into(),
                upstream: "staging".into()
            }]
        );
        assert!(unmet[0].to_string().contains("'staging'"));
    }

    #[test]
    fn first_environment_has_no_upstream_and_takes_dirty_releases() {
        let f = EntryFacts {
            env: "dev",
            upstream: None,
            dirty: true,
            upstream_known_good: false,
            ..entry()
        };
        assert!(entry_gates(&f).is_empty());
        let f = EntryFacts {
            dirty: true,
            ..entry()
        };
        assert!(matches!(
            entry_gates(&f)[..],
            [UnmetGate::DirtyRelease { .. }]
        ));
    }

    #[test]
    fn abandoned_release_never_enters() {
        let f = EntryFacts {
            abandoned: Some("bad"),
            ..entry()
        };
        assert!(matches!(entry_gates(&f)[..], [UnmetGate::Abandoned { .. }]));
    }

    use super::super::approval::Judged;
    use crate::identity::{Identity, People};

    fn judged(names: &[&str], ack: bool) -> Judged {
        Judged {
            counted: names
                .iter()
                .map(|n| People::default().person_of(&Identity::new(n)))
                .collect(),
            refused: vec![],
            warnings_acknowledged: ack,
        }
    }

    static TWO: std::sync::LazyLock<Judged> =
        std::sync::LazyLock::new(|| judged(&["a", "b"], false));
    static TWO_ACK: std::sync::LazyLock<Judged> =
        std::sync::LazyLock::new(|| judged(&["a", "b"], true));
    static ONE: std::sync::LazyLock<Judged> = std::sync::LazyLock::new(|| judged(&["a"], false));
    static NONE: std::sync::LazyLock<Judged> = std::sync::LazyLock::new(|| judged(&[], false));

    fn apply<'a>() -> ApplyFacts<'a> {
        ApplyFacts {
            env: "prod",
            plan: "sha256:abc",
            verdict: Verdict::Pass,
            policy_denials: 0,
            policy_warnings: 0,
            approvals_needed: 2,
            approvals: &TWO,
            frozen: None,
            too_old: None,
        }
    }

    #[test]
    fn soak_freeze_and_age() {
        let f = EntryFacts {
            soaking: Some(("30m".into(), "12:30".into())),
            ..entry()
        };
        assert!(matches!(&entry_gates(&f)[..], [UnmetGate::Soaking { .. }]));
        let f = ApplyFacts {
            frozen: Some("weekend".into()),
            too_old: Some(("t".into(), "1h".into())),
            ..apply()
        };
        let unmet = apply_gates(&f);
        assert_eq!(unmet.len(), 2);
        assert!(unmet[1].to_string().contains("frozen: weekend"));
    }

    #[test]
    fn approvals_count_distinct_people() {
        assert!(apply_gates(&apply()).is_empty());
        let f = ApplyFacts {
            approvals: &ONE,
            ..apply()
        };
        let unmet = apply_gates(&f);
        assert!(
            matches!(&unmet[..], [UnmetGate::ApprovalsMissing { have: 1, need: 2, command, .. }] if command == "ferry approve --env prod --plan sha256:abc"),
            "{unmet:?}"
        );
    }

    #[test]
    fn block_and_deny_stop_the_apply() {
        let f = ApplyFacts {
            verdict: Verdict::Block,
            policy_denials: 2,
            ..apply()
        };
        assert_eq!(
            apply_gates(&f),
            vec![
                UnmetGate::ReviewBlocked,
                UnmetGate::PolicyDenied { count: 2 }
            ]
        );
    }

    #[test]
    fn warnings_need_acknowledging_where_approval_is_required() {
        let f = ApplyFacts {
            verdict: Verdict::Warn,
            ..apply()
        };
        assert_eq!(apply_gates(&f), vec![UnmetGate::WarningsNotAcknowledged]);
        let f = ApplyFacts {
            verdict: Verdict::Warn,
            approvals: &TWO_ACK,
            ..apply()
        };
        assert!(apply_gates(&f).is_empty());
        let f = ApplyFacts {
            verdict: Verdict::Warn,
            approvals_needed: 0,
            approvals: &NONE,
            ..apply()
        };
        assert!(apply_gates(&f).is_empty());
    }
}
