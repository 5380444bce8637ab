//! Where an environment's state may live, and what ferry says about it before planning.
//!
//! Local state (ferry's default: a file under the data dir) is only as durable as the machine it
//! is on. On a CI runner that machine is thrown away after the job, so the state of a gated
//! environment — the one people approve changes to — would be lost or forked between runners.
//! These rules decide when that is refused and when a plan starts from nothing, so the person is
//! told instead of silently planning "create everything" against a deployed environment.

use crate::settings::GateSettings;

/// Whether `CI` holds the value CI services set it to (`true`: GitHub Actions, GitLab CI,
/// CircleCI, Travis, Bitbucket Pipelines, Buildkite). Any other value (unset, `false`, `1`) is
/// not taken as a CI runner: `1` is also what people set by hand to quiet tools.
pub fn is_ci(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// A gated environment is one a person must say yes to: approvals (of the plan or of its
/// migrations) or signed approvals are required.
pub fn is_gated(s: &GateSettings) -> bool {
    s.approvals > 0 || s.migration_approvals > 0 || s.require_signed_approvals
}

/// Refuses planning or applying a gated environment on a CI runner when its state is local:
/// the refusal's message, or `None` when allowed.
pub fn local_state_refusal(s: &GateSettings, ci: bool, local: bool) -> Option<String> {
    if !(ci && local && is_gated(s)) {
        return None;
    }
    Some(format!(
        "environment '{env}' is gated ({why}) but its state is local (in ferry's data dir) and this is a CI runner (CI=true): the state would live and die with this runner. Use a remote backend for '{env}': a backend block in the root module and `backend_config` for '{env}' in ferry.toml (or ferry's server mode, when it is available); run ferry for '{env}' from a machine that keeps its .ferry/ otherwise",
        env = s.env,
        why = gated_because(s),
    ))
}

fn gated_because(s: &GateSettings) -> String {
    let mut why = Vec::new();
    if s.approvals > 0 {
        why.push(format!("approvals = {}", s.approvals));
    }
    if s.migration_approvals > 0 {
        why.push(format!("migration_approvals = {}", s.migration_approvals));
    }
    if s.require_signed_approvals {
        why.push("require_signed_approvals".to_string());
    }
    why.join(", ")
}

/// What ferry can tell about where a plan of an environment with local state starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateStart {
    /// No state and no deployment recorded: every resource will be created.
    FromNothing,
    /// A state that holds resources, but a ledger that records no deployment (a new ledger over
    /// an environment deployed before).
    StateWithoutLedger { resources: usize },
    /// Deployments recorded, but no state: it was lost or moved away.
    LedgerWithoutState { deployment: i64, release: String },
}

/// `resources`: how many resources the local state holds, `None` when there is no state file.
/// `last_deployment`: the newest deployment the ledger records for the environment.
pub fn state_start(
    resources: Option<usize>,
    last_deployment: Option<(i64, &str)>,
) -> Option<StateStart> {
    match (resources, last_deployment) {
        (None, None) => Some(StateStart::FromNothing),
        (Some(n), None) if n > 0 => Some(StateStart::StateWithoutLedger { resources: n }),
        (None, Some((deployment, release))) => Some(StateStart::LedgerWithoutState {
            deployment,
            release: release.to_string(),
        }),
        _ => None,
    }
}

/// The sentence shown for `start` in `env`, whose state file is `state` (as the person sees it).
pub fn describe(env: &str, start: &StateStart, state: &str) -> String {
    match start {
        StateStart::FromNothing => format!(
            "{env}: no state yet and no deployment in the ledger: starting from nothing — every resource will be created (if '{env}' was deployed from another machine, its state is in that machine's .ferry/: copy it here, or use a remote backend, before applying)"
        ),
        StateStart::StateWithoutLedger { resources } => format!(
            "{env}: the ledger records no deployment but the state ({state}) already holds {resources} resource{s}: '{env}' was deployed outside this ledger; planning against that state",
            s = if *resources == 1 { "" } else { "s" }
        ),
        StateStart::LedgerWithoutState { deployment, release } => format!(
            "{env}: the ledger records deployment #{deployment} (release {release}) but there is no state at {state}: the state was lost or moved, and this plan creates every resource again. Restore the state file (or use a remote backend) before applying"
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn settings(approvals: u32) -> GateSettings {
        let cfg = crate::Config::parse(
            &format!("[[environment]]\nname = \"prod\"\nvar_files = []\napprovals = {approvals}\n"),
            "ferry.toml",
        )
        .unwrap();
        crate::settings::effective(&cfg, "r", None, "prod")
            .unwrap()
            .0
    }

    #[test]
    fn only_ci_true_is_a_ci_runner() {
        assert!(is_ci(Some("true")));
        assert!(is_ci(Some("TRUE")));
        assert!(!is_ci(Some("1")));
        assert!(!is_ci(Some("false")));
        assert!(!is_ci(None));
    }

    #[test]
    fn gated_local_state_is_refused_only_in_ci() {
        let gated = settings(1);
        let open = settings(0);
        let msg = local_state_refusal(&gated, true, true).unwrap();
        assert!(msg.contains("'prod' is gated (approvals = 1)"), "{msg}");
        assert!(msg.contains("remote backend"), "{msg}");
        assert_eq!(local_state_refusal(&gated, false, true), None);
        assert_eq!(local_state_refusal(&gated, true, false), None);
        assert_eq!(local_state_refusal(&open, true, true), None);
    }

    #[test]
    fn where_a_plan_starts_from() {
        assert_eq!(state_start(None, None), Some(StateStart::FromNothing));
        assert_eq!(state_start(Some(0), None), None);
        assert_eq!(
            state_start(Some(3), None),
            Some(StateStart::StateWithoutLedger { resources: 3 })
        );
        assert_eq!(
            state_start(None, Some((2, "abc"))),
            Some(StateStart::LedgerWithoutState {
                deployment: 2,
                release: "abc".into()
            })
        );
        assert_eq!(state_start(Some(3), Some((2, "abc"))), None);
        assert_eq!(
            describe("dev", &StateStart::FromNothing, "x").split(" (if").next(),
            Some("dev: no state yet and no deployment in the ledger: starting from nothing — every resource will be created")
        );
    }
}
