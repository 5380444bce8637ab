//! Turning two environments' inputs (and topologies) into classified differences, applying the
//! project's pins and acceptances. Sensitive values are replaced here, before anything is
//! rendered, so no output path can leak them.

use crate::classify::{compare, Class, Ctx, Verdict};
use crate::config::{AcceptSubject, AuditConfig};
use crate::module::RootModule;
use crate::report::{Difference, Outcome, Subject};
use crate::tfvars::EnvInputs;
use crate::topology::Topology;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub const REDACTED: &str = "(sensitive)";

/// Names that hold secrets even when nobody marked the variable `sensitive = true`.
pub fn looks_secret(name: &str) -> bool {
    let n = name.to_lowercase();
    [
        "password",
        "passwd",
        "secret",
        "token",
        "private_key",
        "api_key",
        "credentials",
    ]
    .iter()
    .any(|s| n.contains(s))
}

pub fn is_sensitive(module: &RootModule, name: &str) -> bool {
    module.variables.get(name).is_some_and(|d| d.sensitive) || looks_secret(name)
}

struct Finding {
    verdict: Verdict,
    left: Value,
    right: Value,
    left_source: String,
    right_source: String,
}

fn decide(
    config: &AuditConfig,
    pair: Option<&str>,
    subject: Subject,
    name: &str,
    finding: Finding,
    pinnable: bool,
) -> Difference {
    let mut class = finding.verdict.class;
    let mut why = finding.verdict.why;
    let mut pinned = false;
    if let Some(pin) = config.pinned.get(name).filter(|_| pinnable) {
        pinned = true;
        if *pin != class {
            why = format!(
                "pinned as {} in [audit.variables] (ferry says {}: {why})",
                pin.as_str(),
                class.as_str()
            );
            class = *pin;
        }
    }
    let accept_subject = match subject {
        Subject::Variable => AcceptSubject::Variable(name.to_string()),
        Subject::ResourceType => AcceptSubject::ResourceType(name.to_string()),
        Subject::Module => AcceptSubject::Module(name.to_string()),
    };
    let accepted = config.accepted(pair, &accept_subject);
    Difference {
        pair: pair.map(str::to_string),
        subject,
        name: name.to_string(),
        class: if accepted.is_some() {
            Outcome::Accepted
        } else {
            class.into()
        },
        classified_as: class,
        pinned,
        accepted_reason: accepted.map(|a| a.reason.clone()),
        left: finding.left,
        right: finding.right,
        left_source: finding.left_source,
        right_source: finding.right_source,
        why,
    }
}

/// Differences between two environments' input values.
pub fn compare_inputs(
    pair: &str,
    left: &EnvInputs,
    right: &EnvInputs,
    module: &RootModule,
    config: &AuditConfig,
) -> Vec<Difference> {
    let names: BTreeSet<&String> = module
        .variables
        .keys()
        .chain(left.values.keys())
        .chain(right.values.keys())
        .collect();
    let mut out = Vec::new();
    for name in names {
        let decl = module.variables.get(name);
        let (l, r) = (left.values.get(name), right.values.get(name));
        let (ln, rn) = (left.name.as_str(), right.name.as_str());
        let source = |a: Option<&crate::tfvars::Assigned>| match a {
            Some(a) => a.location(),
            None if decl.is_some_and(|d| d.default.is_some()) => "default".to_string(),
            None => "unset".to_string(),
        };
        let default = decl.and_then(|d| d.default.as_ref());
        let value_of = |a: Option<&crate::tfvars::Assigned>| {
            a.map(|a| a.value.clone())
                .or_else(|| default.cloned())
                .unwrap_or(Value::Null)
        };
        let verdict = match (l, r, decl) {
            (None, None, _) => continue,
            (_, _, None) => {
                let envs: Vec<&str> = [(ln, l.is_some()), (rn, r.is_some())]
                    .iter()
                    .filter(|(_, set)| *set)
                    .map(|(e, _)| *e)
                    .collect();
                Verdict {
                    class: Class::Structural,
                    why: format!(
                        "set in {} but no `variable \"{name}\"` block declares it in {}: Terraform ignores it, so the difference it seems to make does not exist",
                        envs.join(" and "),
                        module.dir.display()
                    ),
                }
            }
            (Some(a), Some(b), Some(_)) => match compare(
                Ctx {
                    variable: name,
                    left_env: ln,
                    right_env: rn,
                },
                &a.value,
                &b.value,
            ) {
                Some(v) => v,
                None => continue,
            },
            (Some(set), None, Some(_)) | (None, Some(set), Some(_)) => {
                let (set_env, other_env) = if l.is_some() { (ln, rn) } else { (rn, ln) };
                match default {
                    Some(d) if *d == set.value => continue,
                    Some(d) => Verdict {
                        class: Class::Structural,
                        why: format!(
                            "set in {set_env} ({}) but {other_env} silently falls back to the default{}: set it in both input files so the difference is deliberate and visible",
                            set.location(),
                            if is_sensitive(module, name) { String::new() } else { format!(" {d}") }
                        ),
                    },
                    None => Verdict {
                        class: Class::Structural,
                        why: format!("set in {set_env} ({}) but not in {other_env}, and it has no default: {other_env} cannot plan", set.location()),
                    },
                }
            }
        };
        let sensitive = is_sensitive(module, name);
        // Secrets are expected to differ per environment and their values must never reach a
        // `why`; only a difference in shape or presence says something about the code path.
        let verdict = match (sensitive, verdict.class, l.is_some() && r.is_some()) {
            (false, _, _) => verdict,
            (true, Class::Structural, true) => Verdict {
                class: Class::Structural,
                why: "sensitive value has a different shape in each environment (values not shown)"
                    .into(),
            },
            (true, Class::Structural, false) => verdict,
            (true, _, _) => Verdict {
                class: Class::Quantity,
                why: "sensitive value differs, as secrets should (values not shown)".into(),
            },
        };
        let hide = |v: Value| {
            if sensitive && !v.is_null() {
                Value::String(REDACTED.into())
            } else {
                v
            }
        };
        let finding = Finding {
            verdict,
            left: hide(value_of(l)),
            right: hide(value_of(r)),
            left_source: source(l),
            right_source: source(r),
        };
        out.push(decide(
            config,
            Some(pair),
            Subject::Variable,
            name,
            finding,
            true,
        ));
    }
    out
}

/// Root-module findings that do not depend on a pair: variables no code reads.
pub fn module_findings(module: &RootModule, config: &AuditConfig) -> Vec<Difference> {
    module
        .variables
        .values()
        .filter(|d| !d.used)
        .map(|d| {
            let finding = Finding {
                verdict: Verdict {
                    class: Class::Structural,
                    why: format!(
                        "declared at {} but no code in the root module reads var.{}: values set for it change nothing, so environments may differ less (or more) than their inputs suggest",
                        d.location(),
                        d.name
                    ),
                },
                left: Value::Null,
                right: Value::Null,
                left_source: "unset".into(),
                right_source: "unset".into(),
            };
            decide(config, None, Subject::Variable, &d.name, finding, true)
        })
        .collect()
}

/// Differences between two environments' resource types and module calls.
pub fn compare_topology(
    pair: &str,
    (ln, left): (&str, &Topology),
    (rn, right): (&str, &Topology),
    config: &AuditConfig,
) -> Vec<Difference> {
    let mut out = Vec::new();
    for (subject, l, r) in [
        (
            Subject::ResourceType,
            &left.resource_types,
            &right.resource_types,
        ),
        (Subject::Module, &left.modules, &right.modules),
    ] {
        let names: BTreeSet<&String> = l.keys().chain(r.keys()).collect();
        let what = if subject == Subject::Module {
            "module call"
        } else {
            "resource type"
        };
        for name in names {
            let count = |m: &BTreeMap<String, usize>| m.get(name).copied().unwrap_or(0);
            let (a, b) = (count(l), count(r));
            let verdict = match (a, b) {
                _ if a == b => continue,
                (0, _) | (_, 0) => {
                    let (has, lacks) = if a == 0 { (rn, ln) } else { (ln, rn) };
                    Verdict {
                        class: Class::Kind,
                        why: format!("{what} only in {has}: {lacks} does not run what {has} runs, so a deploy there predicts nothing about it"),
                    }
                }
                _ => Verdict {
                    class: Class::Quantity,
                    why: format!("{a} → {b} instances"),
                },
            };
            let finding = Finding {
                verdict,
                left: Value::from(a),
                right: Value::from(b),
                left_source: "plan".into(),
                right_source: "plan".into(),
            };
            out.push(decide(config, Some(pair), subject, name, finding, false));
        }
    }
    out
}
