//! Which release a rollback brings back, and whether a re-plan keeps the approvals of the plan it
//! replaces. Both are decisions over facts the ledger holds, so they live here, not in a command.

use super::lifecycle::{DeploymentKind, DeploymentStatus, PlanPurpose};
use crate::ids::ReleaseId;

/// One deployment of an environment, as the rollback rule needs it.
#[derive(Debug, Clone)]
pub struct DeploymentFact<'a> {
    pub release: &'a ReleaseId,
    pub kind: DeploymentKind,
    pub status: DeploymentStatus,
    pub verified: bool,
    /// For a rollback: the release it replaced.
    pub replaced: Option<&'a ReleaseId>,
}

impl DeploymentFact<'_> {
    fn known_good(&self) -> bool {
        self.status == DeploymentStatus::Succeeded && self.verified
    }
}

/// The release `env` runs now: the release of its newest successful deployment.
pub fn current_release<'a>(newest_first: &[DeploymentFact<'a>]) -> Option<&'a ReleaseId> {
    newest_first
        .iter()
        .find(|d| d.status == DeploymentStatus::Succeeded)
        .map(|d| d.release)
}

/// The release a rollback of the environment brings back: the newest release that was
/// known-good there *before* the current one, that is not abandoned and that nobody rolled back
/// from (unless it was deployed and verified again since). `None` when there is none.
pub fn rollback_target<'a>(
    newest_first: &[DeploymentFact<'a>],
    abandoned: impl Fn(&ReleaseId) -> bool,
) -> Option<&'a ReleaseId> {
    let current = current_release(newest_first)?;
    let mut rolled_back_from: Vec<&ReleaseId> = Vec::new();
    for d in newest_first.iter().rev() {
        if d.status != DeploymentStatus::Succeeded {
            continue;
        }
        match (d.kind, d.replaced) {
            (k, Some(from)) if k.is_rollback() && !rolled_back_from.contains(&from) => {
                rolled_back_from.push(from);
            }
            (DeploymentKind::Deploy, _) if d.verified => {
                rolled_back_from.retain(|r| *r != d.release)
            }
            _ => {}
        }
    }
    newest_first
        .iter()
        .filter(|d| d.known_good() && d.kind != DeploymentKind::Rehearsal)
        .map(|d| d.release)
        .find(|r| *r != current && !rolled_back_from.contains(r) && !abandoned(r))
}

/// Whether the approvals of `previous` carry over to `new`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carry {
    /// Same release, same purpose, identical change digest: nothing a reviewer saw changed.
    Keep,
    Void {
        reason: &'static str,
    },
}

/// The part of a plan the carry-over rule looks at.
#[derive(Debug, Clone)]
pub struct PlanShape<'a> {
    pub release: &'a ReleaseId,
    pub purpose: &'a PlanPurpose,
    /// Digest of resource changes, outputs, variables (hashed) and configuration.
    pub digest: Option<&'a str>,
}

pub fn carry(previous: &PlanShape<'_>, new: &PlanShape<'_>) -> Carry {
    if previous.release != new.release {
        return Carry::Void {
            reason: "the new plan is of another release",
        };
    }
    if previous.purpose != new.purpose {
        return Carry::Void {
            reason: "the new plan is for another purpose",
        };
    }
    match (previous.digest, new.digest) {
        (Some(a), Some(b)) if a == b => Carry::Keep,
        (Some(_), Some(_)) => Carry::Void {
            reason: "the new plan changes something else (resources, outputs, variables or configuration)",
        },
        _ => Carry::Void { reason: "the change set of one of the plans is unknown" },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ReleaseId {
        ReleaseId::from_hex(&format!("{n:02x}").repeat(32)).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn dep<'a>(
        r: &'a ReleaseId,
        kind: DeploymentKind,
        replaced: Option<&'a ReleaseId>,
    ) -> DeploymentFact<'a> {
        DeploymentFact {
            release: r,
            kind,
            status: DeploymentStatus::Succeeded,
            verified: true,
            replaced,
        }
    }

    #[test]
    fn a_second_rollback_never_returns_to_the_release_rolled_back_from() {
        let (v1, v2, v3) = (id(1), id(2), id(3));
        let d = |r, k, rep| dep(r, k, rep);
        // oldest → newest: v1, v2, v3, rollback to v2 (replacing v3)
        let mut history = vec![
            d(&v1, DeploymentKind::Deploy, None),
            d(&v2, DeploymentKind::Deploy, None),
            d(&v3, DeploymentKind::Deploy, None),
            d(&v2, DeploymentKind::Rollback, Some(&v3)),
        ];
        history.reverse();
        assert_eq!(rollback_target(&history, |_| false), Some(&v1));
        // after the first rollback alone, the target was v2
        assert_eq!(rollback_target(&history[1..], |_| false), Some(&v2));
    }

    #[test]
    fn abandoned_and_unverified_releases_are_skipped() {
        let (v1, v2, v3) = (id(1), id(2), id(3));
        let mut unverified = dep(&v2, DeploymentKind::Deploy, None);
        unverified.verified = false;
        let history = vec![
            dep(&v3, DeploymentKind::Deploy, None),
            unverified,
            dep(&v1, DeploymentKind::Deploy, None),
        ];
        assert_eq!(rollback_target(&history, |_| false), Some(&v1));
        assert_eq!(rollback_target(&history, |r| r == &v1), None);
    }

    #[test]
    fn approvals_carry_only_over_identical_change_sets() {
        let (v1, v2) = (id(1), id(2));
        let p = PlanPurpose::Deploy;
        let shape = |r, d| PlanShape {
            release: r,
            purpose: &p,
            digest: d,
        };
        assert_eq!(
            carry(&shape(&v1, Some("a")), &shape(&v1, Some("a"))),
            Carry::Keep
        );
        assert!(matches!(
            carry(&shape(&v1, Some("a")), &shape(&v1, Some("b"))),
            Carry::Void { .. }
        ));
        assert!(matches!(
            carry(&shape(&v1, Some("a")), &shape(&v2, Some("a"))),
            Carry::Void { .. }
        ));
        let rb = PlanPurpose::Rollback { from: v2.clone() };
        let a = PlanShape {
            release: &v1,
            purpose: &p,
            digest: Some("a"),
        };
        let b = PlanShape {
            release: &v1,
            purpose: &rb,
            digest: Some("a"),
        };
        assert!(matches!(carry(&a, &b), Carry::Void { .. }));
    }
}
