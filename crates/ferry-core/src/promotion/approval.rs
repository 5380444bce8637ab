//! Who may approve a plan, and which recorded approvals count. The same rules run when someone
//! approves, when approvals are carried over to a re-plan, and again at the moment of apply —
//! whatever the ledger rows say, an approval counts only if these rules accept it now.

use crate::identity::{Identity, Person};
use crate::settings::GateSettings;
use std::fmt;

/// A part someone played in making the plan; separation of duties keeps them from approving it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    AuthoredCommit,
    CutRelease,
    RanPlan,
}

impl Role {
    fn describe(self) -> &'static str {
        match self {
            Role::AuthoredCommit => "authored the release's commit",
            Role::CutRelease => "cut the release",
            Role::RanPlan => "ran the plan",
        }
    }
}

/// The people who made the plan.
#[derive(Debug, Clone)]
pub struct Makers<'a> {
    pub release_author: &'a str,
    pub release_creator: &'a str,
    pub planner: &'a str,
}

/// What the caller found when checking an approval's signature (the crypto is an adapter's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// No signature was given.
    Missing,
    /// It verifies against the allowed signers for these principals.
    Valid { principals: Vec<String> },
    /// It does not verify (wrong plan, unknown key, tampered statement…).
    Invalid { reason: String },
}

/// Why an approval is refused or does not count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotAnApprover {
        who: String,
        lists: Vec<String>,
    },
    SelfApproval {
        who: String,
        roles: Vec<Role>,
    },
    Unsigned {
        who: String,
    },
    BadSignature {
        who: String,
        reason: String,
    },
    SignerMismatch {
        who: String,
        principals: Vec<String>,
    },
    Duplicate {
        who: String,
        person: String,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotAnApprover { who, lists } => write!(f, "{who} may not approve here: approvers are {}", lists.join("; and ")),
            Refusal::SelfApproval { who, roles } => write!(
                f,
                "{who} {} and so may not approve it (forbid_self_approval)",
                roles.iter().map(|r| r.describe()).collect::<Vec<_>>().join(" and ")
            ),
            Refusal::Unsigned { who } => write!(f, "the approval by {who} is not signed, and this environment requires signed approvals (`ferry approve --sign-key PATH`)"),
            Refusal::BadSignature { who, reason } => write!(f, "the signature on the approval by {who} does not verify: {reason}"),
            Refusal::SignerMismatch { who, principals } => write!(f, "the approval by {who} is signed by a key allowed for {}, not for {who}", principals.join(", ")),
            Refusal::Duplicate { who, person } => write!(f, "{who} is {person}, who already approved; a second approval must come from someone else"),
        }
    }
}

/// Whether `who` may approve a plan made by `makers` under `settings` (signature aside).
pub fn eligibility(settings: &GateSettings, makers: &Makers<'_>, who: &str) -> Result<(), Refusal> {
    let people = &settings.people;
    let person = people.person_of(&Identity::new(who));
    let refused: Vec<String> = settings
        .approvers
        .iter()
        .filter(|list| !list.allows(&person, people))
        .map(|list| format!("{} (in {})", list.entries.join(", "), list.origin))
        .collect();
    if !refused.is_empty() {
        return Err(Refusal::NotAnApprover {
            who: who.to_string(),
            lists: refused,
        });
    }
    if settings.forbid_self_approval {
        let same = |maker: &str| people.person_of(&Identity::new(maker)) == person;
        let mut roles = Vec::new();
        if same(makers.release_author) {
            roles.push(Role::AuthoredCommit);
        }
        if same(makers.release_creator) {
            roles.push(Role::CutRelease);
        }
        if same(makers.planner) {
            roles.push(Role::RanPlan);
        }
        if !roles.is_empty() {
            return Err(Refusal::SelfApproval {
                who: who.to_string(),
                roles,
            });
        }
    }
    Ok(())
}

/// Whether a signature check satisfies `settings` for the approver `who`.
pub fn signature_accepted(
    settings: &GateSettings,
    who: &str,
    check: &SignatureCheck,
) -> Result<(), Refusal> {
    if !settings.require_signed_approvals {
        return match check {
            SignatureCheck::Invalid { reason } => Err(Refusal::BadSignature {
                who: who.to_string(),
                reason: reason.clone(),
            }),
            _ => Ok(()),
        };
    }
    match check {
        SignatureCheck::Missing => Err(Refusal::Unsigned {
            who: who.to_string(),
        }),
        SignatureCheck::Invalid { reason } => Err(Refusal::BadSignature {
            who: who.to_string(),
            reason: reason.clone(),
        }),
        SignatureCheck::Valid { principals } => {
            if principals
                .iter()
                .any(|p| settings.people.same_person(p, who))
            {
                Ok(())
            } else {
                Err(Refusal::SignerMismatch {
                    who: who.to_string(),
                    principals: principals.clone(),
                })
            }
        }
    }
}

/// One recorded approval as the caller read and checked it.
#[derive(Debug, Clone)]
pub struct RecordedApproval<'a> {
    pub by: &'a str,
    pub acknowledged_warnings: bool,
    pub signature: SignatureCheck,
}

/// The approvals that count, by person, and why the others do not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Judged {
    pub counted: Vec<Person>,
    pub refused: Vec<Refusal>,
    /// Whether a counted approver acknowledged the plan's warnings.
    pub warnings_acknowledged: bool,
}

/// Re-judges every recorded approval of a plan under today's rules.
pub fn judge(
    settings: &GateSettings,
    makers: &Makers<'_>,
    approvals: &[RecordedApproval<'_>],
) -> Judged {
    let mut judged = Judged::default();
    for a in approvals {
        let verdict = eligibility(settings, makers, a.by)
            .and_then(|()| signature_accepted(settings, a.by, &a.signature));
        match verdict {
            Err(r) => judged.refused.push(r),
            Ok(()) => {
                let person = settings.people.person_of(&Identity::new(a.by));
                if judged.counted.contains(&person) {
                    continue;
                }
                judged.counted.push(person);
                judged.warnings_acknowledged |= a.acknowledged_warnings;
            }
        }
    }
    judged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::settings::effective;

    fn settings(extra: &str) -> GateSettings {
        let text =
            format!("[[environment]]\nname = \"prod\"\nvar_files = []\napprovals = 2\n{extra}");
        let cfg = Config::parse(&text, "t").unwrap_or_else(|e| unreachable!("{e}"));
        effective(&cfg, "r", None, "prod")
            .unwrap_or_else(|e| unreachable!("{e}"))
            .0
    }

    const MAKERS: Makers<'static> = Makers {
        release_author: "dev@corp.example",
        release_creator: "dev@corp.example",
        planner: "github:ci-bot",
    };

    fn unsigned(by: &str) -> RecordedApproval<'_> {
        RecordedApproval {
            by,
            acknowledged_warnings: false,
            signature: SignatureCheck::Missing,
        }
    }

    #[test]
    fn an_alias_of_the_planner_is_self_approval() {
        let s = settings("");
        assert!(matches!(
            eligibility(&s, &MAKERS, "DEV"),
            Err(Refusal::SelfApproval { .. })
        ));
        assert!(matches!(
            eligibility(&s, &MAKERS, "github:dev"),
            Err(Refusal::SelfApproval { .. })
        ));
        assert!(eligibility(&s, &MAKERS, "lead@corp.example").is_ok());
    }

    #[test]
    fn one_person_under_two_names_counts_once() {
        let s = settings("");
        let j = judge(
            &s,
            &MAKERS,
            &[
                unsigned("alice"),
                unsigned("alice@corp.example"),
                unsigned("bob"),
            ],
        );
        assert_eq!(j.counted.len(), 2);
        let people = "\n[people]\nalice = [\"github:al\", \"alice@corp.example\"]\n";
        let text =
            format!("[[environment]]\nname = \"prod\"\nvar_files = []\napprovals = 2\n{people}");
        let cfg = Config::parse(&text, "t").unwrap_or_else(|e| unreachable!("{e}"));
        let s = effective(&cfg, "r", None, "prod")
            .unwrap_or_else(|e| unreachable!("{e}"))
            .0;
        let j = judge(
            &s,
            &MAKERS,
            &[unsigned("github:al"), unsigned("alice@corp.example")],
        );
        assert_eq!(j.counted.len(), 1);
    }

    #[test]
    fn approver_lists_and_groups_match_people() {
        let s =
            settings("approvers = [\"group:leads\"]\n[groups]\nleads = [\"lead@corp.example\"]\n");
        assert!(eligibility(&s, &MAKERS, "LEAD@corp.example").is_ok());
        assert!(matches!(
            eligibility(&s, &MAKERS, "intern@corp.example"),
            Err(Refusal::NotAnApprover { .. })
        ));
    }

    #[test]
    fn signatures_count_only_for_their_principal() {
        let s = settings("require_signed_approvals = true\nallowed_signers = \"signers\"\n");
        let ok = SignatureCheck::Valid {
            principals: vec!["lead@corp.example".into()],
        };
        assert!(signature_accepted(&s, "lead@corp.example", &ok).is_ok());
        assert!(matches!(
            signature_accepted(&s, "bob@corp.example", &ok),
            Err(Refusal::SignerMismatch { .. })
        ));
        assert!(matches!(
            signature_accepted(&s, "lead@corp.example", &SignatureCheck::Missing),
            Err(Refusal::Unsigned { .. })
        ));
        let j = judge(&s, &MAKERS, &[unsigned("lead@corp.example")]);
        assert!(j.counted.is_empty() && j.refused.len() == 1);
    }
}
