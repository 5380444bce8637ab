//! The baseline comparison: what this plan changes that the lower environment's plan of the same
//! release did not. Compared per configuration address (instance keys stripped), so quantity
//! differences between environments are not findings, kind differences are.
//!
//! A difference is *explained* when the expressions behind it reference root variables whose
//! values differ between the two plans: that is the environments' inputs doing their job.

use crate::address::ConfigAddress;
use crate::config::ReviewConfig;
use crate::diff::{shorten, SENSITIVE_MARKER};
use crate::digest::{Aggregate, Instances};
use crate::explain::{Trace, Tracer};
use crate::model::{ActionKind, Configuration};
use ferry_core::{Finding, FindingKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A compact, serializable account of plan vs baseline, for policies (`data` in Rego) and the
/// ledger. Names and paths only: no values, so nothing sensitive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineComparison {
    /// Root variables whose values differ between the two plans (`var.NAME`).
    pub differing_variables: Vec<String>,
    /// Every configuration address either plan changes, sorted.
    pub resources: Vec<ResourceComparison>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceComparison {
    /// Configuration address: instance keys stripped.
    pub address: String,
    pub resource_type: String,
    pub actions: Vec<ActionKind>,
    pub baseline_actions: Vec<ActionKind>,
    pub instances: u64,
    pub baseline_instances: u64,
    /// Changed attribute paths (updates and replaces).
    pub attributes: Vec<String>,
    pub baseline_attributes: Vec<String>,
    /// Actions here that the baseline lacks.
    pub new_actions: Vec<ActionKind>,
    /// Attributes changing here but not in the baseline, where both update/replace the address.
    pub new_attributes: Vec<String>,
}

/// One plan's side of the comparison.
pub(crate) struct Side<'a> {
    pub resources: &'a HashMap<String, Aggregate>,
    /// A baseline's instances per configuration address (empty for the plan side).
    pub instances: &'a HashMap<String, Instances>,
    pub variables: &'a BTreeMap<String, String>,
    pub configuration: Option<&'a Configuration>,
}

fn sensitive_vars(config: Option<&Configuration>) -> BTreeSet<String> {
    config
        .map(|c| {
            c.root_module
                .variables
                .iter()
                .filter(|(_, v)| v.sensitive)
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}

struct Explainer<'a> {
    plan: &'a Side<'a>,
    base: &'a Side<'a>,
    tracer: Option<Tracer<'a>>,
    sensitive: BTreeSet<String>,
    environments: Option<(&'a str, &'a str)>,
}

impl Explainer<'_> {
    fn differs(&self, var: &str) -> bool {
        self.plan.variables.get(var) != self.base.variables.get(var)
    }

    fn show(&self, var: &str, side: &Side<'_>) -> String {
        if self.sensitive.contains(var) {
            return SENSITIVE_MARKER.to_string();
        }
        match side.variables.get(var) {
            Some(v) => shorten(
                &serde_json::from_str::<serde_json::Value>(v)
                    .map_or_else(|_| v.clone(), |j| j.to_string()),
            ),
            None => "unset".to_string(),
        }
    }

    /// `var.v (2 in staging, 3 in prod)`, or `(baseline: 2, this plan: 3)` unnamed.
    fn values(&self, v: &str) -> String {
        let (base, plan) = (self.show(v, self.base), self.show(v, self.plan));
        match self.environments {
            Some((p, b)) if p != b => format!("var.{v} ({base} in {b}, {plan} in {p})"),
            _ => format!("var.{v} (baseline: {base}, this plan: {plan})"),
        }
    }

    /// explained_by, and the sentence saying why (or why not).
    fn explain(&self, trace: &Trace) -> (Vec<String>, String) {
        if self.tracer.is_none() {
            return (
                vec![],
                "the plan has no configuration section, so ferry cannot tell which inputs drive it"
                    .into(),
            );
        }
        if !trace.found {
            return (vec![], "its resource block is not in the configuration section, so ferry cannot trace it to its inputs".into());
        }
        let differing: Vec<&String> = trace.vars.iter().filter(|v| self.differs(v)).collect();
        let mut text = Vec::new();
        if !differing.is_empty() {
            let shown: Vec<String> = differing.iter().map(|v| self.values(v)).collect();
            text.push(format!(
                "explained by inputs that differ between the environments: {}",
                shown.join(", ")
            ));
        } else if !trace.vars.is_empty() {
            let names: Vec<String> = trace.vars.iter().map(|v| format!("var.{v}")).collect();
            text.push(format!(
                "it depends on {}, which {} the same value in both plans",
                names.join(", "),
                if names.len() == 1 { "has" } else { "have" }
            ));
        }
        if !trace.opaque.is_empty() {
            let names: Vec<&str> = trace.opaque.iter().map(String::as_str).collect();
            text.push(format!(
                "it goes through {}, which ferry cannot follow (the plan JSON records no value for locals, data sources or other resources): check {} by hand",
                names.join(", "),
                if names.len() == 1 { "it" } else { "them" }
            ));
        }
        if trace.vars.is_empty() && trace.opaque.is_empty() {
            text.push("it depends on no input variable".into());
        }
        (
            differing.iter().map(|v| format!("var.{v}")).collect(),
            text.join("; "),
        )
    }
}

fn merge(mut a: Trace, b: Trace) -> Trace {
    a.vars.extend(b.vars);
    a.opaque.extend(b.opaque);
    a.found |= b.found;
    a
}

fn top_attribute(path: &str) -> &str {
    path.split('.').next().unwrap_or(path)
}

fn verdict_text(explained_by: &[String], why: &str) -> String {
    if explained_by.is_empty() {
        return format!("Not explained: {why}");
    }
    let mut c = why.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Why the creations at a configuration address are not (all) what a different count or
/// for_each produces: one of them is an instance the baseline has too, or ferry cannot tell.
fn creation_not_produced(here: &Aggregate, base: Option<&Instances>) -> Option<String> {
    let base = base?;
    if let Some(a) = here.created.iter().find(|a| base.has(a)) {
        return Some(format!(
            "{a} is an instance the baseline has too (it has {}; an instance the baseline keeps unchanged is usually missing from this environment's state: removed by hand, or never applied)",
            plural(base.len() as u64, "instance")
        ));
    }
    if base.overflow || here.created_unlisted > 0 {
        return Some(
            "there are too many instances for ferry to check that every created one is beyond the baseline's"
                .to_string(),
        );
    }
    None
}

fn plural(n: u64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// Compares two digested plans; returns not-in-baseline findings and the comparison.
pub(crate) fn compare(
    plan: &Side<'_>,
    base: &Side<'_>,
    config: &ReviewConfig,
) -> (Vec<Finding>, BaselineComparison) {
    let mut sensitive = sensitive_vars(plan.configuration);
    sensitive.extend(sensitive_vars(base.configuration));
    let ex = Explainer {
        plan,
        base,
        tracer: plan.configuration.map(Tracer::new),
        sensitive,
        environments: config.environments(),
    };
    let mut differing: BTreeSet<&String> =
        plan.variables.keys().chain(base.variables.keys()).collect();
    differing.retain(|v| ex.differs(v));

    let empty = Aggregate::default();
    let mut addresses: Vec<&String> = plan.resources.keys().chain(base.resources.keys()).collect();
    addresses.sort_unstable();
    addresses.dedup();
    let mut findings = Vec::new();
    let mut resources = Vec::new();
    for address in addresses {
        let here = plan.resources.get(address).unwrap_or(&empty);
        let there = base.resources.get(address).unwrap_or(&empty);
        let parsed = ConfigAddress::parse(address);
        let new_actions: Vec<ActionKind> =
            here.actions.difference(&there.actions).copied().collect();
        let shared_change = here
            .actions
            .intersection(&there.actions)
            .any(|a| matches!(a, ActionKind::Update | ActionKind::Replace));
        let new_attributes: Vec<String> = if shared_change {
            here.attributes
                .keys()
                .filter(|a| !there.attributes.contains_key(*a))
                .cloned()
                .collect()
        } else {
            vec![]
        };

        for action in &new_actions {
            let mut trace = ex
                .tracer
                .as_ref()
                .map(|t| t.repetition(&parsed))
                .unwrap_or_default();
            if matches!(action, ActionKind::Update | ActionKind::Replace) {
                let tops: BTreeSet<&str> =
                    here.attributes.keys().map(|p| top_attribute(p)).collect();
                for top in tops {
                    if let Some(t) = &ex.tracer {
                        trace = merge(trace, t.attribute(&parsed, top));
                    }
                }
            }
            let (mut explained_by, mut why) = ex.explain(&trace);
            // A different count or for_each creates instances the baseline lacks; an instance
            // the baseline has too is not what it produces.
            if *action == ActionKind::Create && !explained_by.is_empty() {
                if let Some(not) = creation_not_produced(here, base.instances.get(address)) {
                    let vars: Vec<String> = trace
                        .vars
                        .iter()
                        .map(|v| {
                            if ex.differs(v) {
                                ex.values(v)
                            } else {
                                format!("var.{v} (the same in both plans)")
                            }
                        })
                        .collect();
                    why = format!(
                        "its count and for_each depend on {}, but {not}, so a different count or for_each does not explain this creation",
                        vars.join(", ")
                    );
                    explained_by.clear();
                } else if let Some(set) = base.instances.get(address) {
                    why = format!(
                        "{why}, which adds instances the baseline does not have (it has {})",
                        plural(set.len() as u64, "instance")
                    );
                }
            }
            // Creating, destroying or forgetting an object is what a different count or
            // for_each produces; a different value of an attribute's inputs changes an
            // existing object instead. Say which inputs were considered and why they do not
            // explain it.
            if matches!(
                action,
                ActionKind::Create | ActionKind::Delete | ActionKind::Forget
            ) {
                if let Some(t) = &ex.tracer {
                    let attrs = t.attributes(&parsed);
                    let vars: Vec<&String> = attrs
                        .vars
                        .iter()
                        .filter(|v| !trace.vars.contains(*v))
                        .collect();
                    if !vars.is_empty() {
                        let listed: Vec<String> = vars
                            .iter()
                            .map(|v| {
                                if ex.differs(v) {
                                    ex.values(v)
                                } else {
                                    format!("var.{v} (the same in both plans)")
                                }
                            })
                            .collect();
                        let prefix = if why == "it depends on no input variable" {
                            "its count and for_each depend on no input variable".to_string()
                        } else {
                            why
                        };
                        why = format!(
                            "{prefix}; its attributes depend on {}, but different input values change an existing object, they do not {} one{}",
                            listed.join(", "),
                            match action {
                                ActionKind::Create => "create",
                                ActionKind::Delete => "destroy",
                                _ => "forget",
                            },
                            if *action == ActionKind::Create && there.actions.is_empty() {
                                ": when the baseline keeps this object unchanged, it is usually missing from this environment's state (removed by hand, or never applied)"
                            } else {
                                ""
                            }
                        );
                    }
                }
            }
            let baseline_has = if there.actions.is_empty() {
                "has no change for it".to_string()
            } else {
                let a: Vec<&str> = there.actions.iter().map(|a| a.as_str()).collect();
                format!("only has {}", a.join(", "))
            };
            let attrs = if matches!(action, ActionKind::Update | ActionKind::Replace)
                && !here.attributes.is_empty()
            {
                let listed: Vec<String> = here
                    .attributes
                    .iter()
                    .take(5)
                    .map(|(p, v)| format!("{p} ({v})"))
                    .collect();
                let more = here.attributes.len().saturating_sub(5);
                format!(
                    " It changes {}{}.",
                    listed.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                )
            } else {
                String::new()
            };
            findings.push(Finding {
                kind: FindingKind::NotInBaseline,
                severity: config.not_in_baseline_severity(!explained_by.is_empty()),
                address: address.clone(),
                attribute: None,
                message: format!(
                    "{} of {address} ({}, e.g. {}) is not in the baseline plan, which {baseline_has}.{attrs} {}.",
                    action.as_str(),
                    plural(here.instances, "instance"),
                    here.example,
                    verdict_text(&explained_by, &why),
                ),
                explained_by,
            });
        }
        for attribute in &new_attributes {
            let trace = ex
                .tracer
                .as_ref()
                .map(|t| t.attribute(&parsed, top_attribute(attribute)))
                .unwrap_or_default();
            let (explained_by, why) = ex.explain(&trace);
            let shown = here.attributes.get(attribute).cloned().unwrap_or_default();
            findings.push(Finding {
                kind: FindingKind::NotInBaseline,
                severity: config.not_in_baseline_severity(!explained_by.is_empty()),
                address: address.clone(),
                attribute: Some(attribute.clone()),
                message: format!(
                    "{attribute} of {address} changes here ({shown}) but not in the baseline plan. {}.",
                    verdict_text(&explained_by, &why),
                ),
                explained_by,
            });
        }
        resources.push(ResourceComparison {
            address: address.clone(),
            resource_type: if here.instances > 0 {
                here.resource_type.clone()
            } else {
                there.resource_type.clone()
            },
            actions: here.actions.iter().copied().collect(),
            baseline_actions: there.actions.iter().copied().collect(),
            instances: here.instances,
            baseline_instances: there.instances,
            attributes: here.attributes.keys().cloned().collect(),
            baseline_attributes: there.attributes.keys().cloned().collect(),
            new_actions,
            new_attributes,
        });
    }
    let comparison = BaselineComparison {
        differing_variables: differing.iter().map(|v| format!("var.{v}")).collect(),
        resources,
    };
    (findings, comparison)
}
