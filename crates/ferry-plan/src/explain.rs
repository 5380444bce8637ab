//! Follows an attribute's expression back to the root input variables it depends on, through
//! module calls (and module outputs), using the plan's `configuration` section.
//!
//! Locals, data sources and other resources' attributes have no recorded value or expression in
//! the plan JSON, so they cannot be followed; they are collected as *opaque* so the message can
//! say so instead of guessing.

use crate::address::{config_address, segments, ConfigAddress};
use crate::model::{ConfigModule, ConfigResource, Configuration, Refs};
use std::collections::{BTreeSet, HashSet};

/// Upper bound on references followed for one question; configuration graphs are small, and
/// this keeps a pathological one bounded.
const BUDGET: usize = 10_000;

#[derive(Debug, Default)]
pub(crate) struct Trace {
    /// Root variables (names without `var.`) the expression depends on.
    pub vars: BTreeSet<String>,
    /// References that could not be followed: `local.x`, `data.t.n`, `aws_vpc.main`.
    pub opaque: BTreeSet<String>,
    /// Whether the resource was found in the configuration at all.
    pub found: bool,
}

pub(crate) struct Tracer<'a> {
    root: &'a ConfigModule,
}

impl<'a> Tracer<'a> {
    pub(crate) fn new(config: &'a Configuration) -> Self {
        Tracer {
            root: &config.root_module,
        }
    }

    fn module(&self, path: &[String]) -> Option<&'a ConfigModule> {
        let mut m = self.root;
        for name in path {
            m = &m.module_calls.get(name)?.module;
        }
        Some(m)
    }

    fn resource(&self, addr: &ConfigAddress) -> Option<&'a ConfigResource> {
        self.module(&addr.modules)?
            .resources
            .iter()
            .find(|r| config_address(&r.address) == addr.resource)
    }

    /// What any attribute of the resource (nested blocks included) depends on.
    pub(crate) fn attributes(&self, addr: &ConfigAddress) -> Trace {
        let mut t = Trace::default();
        if let Some(r) = self.resource(addr) {
            t.found = true;
            for refs in r.expressions.values() {
                self.follow(&refs.0, &addr.modules, &mut t);
            }
        }
        t
    }

    /// What the top-level attribute `attribute` of the resource depends on.
    pub(crate) fn attribute(&self, addr: &ConfigAddress, attribute: &str) -> Trace {
        let mut t = Trace::default();
        if let Some(r) = self.resource(addr) {
            t.found = true;
            if let Some(refs) = r.expressions.get(attribute) {
                self.follow(&refs.0, &addr.modules, &mut t);
            }
        }
        t
    }

    /// What decides how many instances the resource has: its own count/for_each and those of
    /// every module call above it.
    pub(crate) fn repetition(&self, addr: &ConfigAddress) -> Trace {
        let mut t = Trace::default();
        if let Some(r) = self.resource(addr) {
            t.found = true;
            for refs in [&r.count_expression, &r.for_each_expression]
                .into_iter()
                .flatten()
            {
                self.follow(&refs.0, &addr.modules, &mut t);
            }
        }
        for depth in (0..addr.modules.len()).rev() {
            let parent = addr.modules.get(..depth).unwrap_or_default();
            let call = addr
                .modules
                .get(depth)
                .and_then(|name| self.module(parent)?.module_calls.get(name));
            if let Some(call) = call {
                for refs in [&call.count_expression, &call.for_each_expression]
                    .into_iter()
                    .flatten()
                {
                    self.follow(&refs.0, parent, &mut t);
                }
            }
        }
        t
    }

    fn follow(&self, refs: &[String], scope: &[String], t: &mut Trace) {
        let mut budget = BUDGET;
        let mut seen = HashSet::new();
        let mut work: Vec<(String, Vec<String>)> =
            refs.iter().map(|r| (r.clone(), scope.to_vec())).collect();
        while let Some((reference, scope)) = work.pop() {
            if budget == 0 {
                t.opaque
                    .insert("(reference chain too long to follow)".into());
                return;
            }
            budget -= 1;
            if !seen.insert((reference.clone(), scope.clone())) {
                continue;
            }
            let segs: Vec<String> = segments(&reference)
                .iter()
                .map(|s| config_address(s))
                .collect();
            let seg = |i: usize| segs.get(i).map(String::as_str).unwrap_or("");
            let prefix: String = scope.iter().map(|m| format!("module.{m}.")).collect();
            match seg(0) {
                "var" => {
                    let name = seg(1).to_string();
                    let Some((call_name, parent)) = scope.split_last() else {
                        t.vars.insert(name);
                        continue;
                    };
                    let call = self
                        .module(parent)
                        .and_then(|m| m.module_calls.get(call_name));
                    // No argument in the module call: the variable's default, the same everywhere.
                    if let Some(arg) = call.and_then(|c| c.expressions.get(&name)) {
                        work.extend(arg.0.iter().map(|r| (r.clone(), parent.to_vec())));
                    }
                }
                "module" if !seg(2).is_empty() => {
                    let mut child = scope.clone();
                    child.push(seg(1).to_string());
                    let output = self
                        .module(&child)
                        .and_then(|m| m.outputs.get(seg(2)))
                        .and_then(|o| o.expression.as_ref());
                    match output {
                        Some(Refs(r)) => work.extend(r.iter().map(|x| (x.clone(), child.clone()))),
                        None => {
                            t.opaque
                                .insert(format!("{prefix}module.{}.{}", seg(1), seg(2)));
                        }
                    }
                }
                // `module.m` alone accompanies the `module.m.out` references Terraform lists.
                "module" => {
                    if !refs
                        .iter()
                        .any(|r| r.starts_with(&format!("module.{}.", seg(1))))
                    {
                        t.opaque.insert(format!("{prefix}module.{}", seg(1)));
                    }
                }
                "local" => {
                    t.opaque.insert(format!("{prefix}local.{}", seg(1)));
                }
                "data" => {
                    t.opaque
                        .insert(format!("{prefix}data.{}.{}", seg(1), seg(2)));
                }
                "count" | "each" | "path" | "terraform" | "self" | "" => {}
                other => {
                    t.opaque.insert(format!("{prefix}{other}.{}", seg(1)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Configuration {
        serde_json::from_str(
            r#"{"root_module": {
                "variables": {"size": {}, "env": {}},
                "module_calls": {"app": {
                    "expressions": {"instance_size": {"references": ["var.size"]}, "tags": {"references": ["local.tags"]}},
                    "count_expression": {"references": ["var.env"]},
                    "module": {
                        "resources": [{"address": "aws_instance.web", "expressions": {
                            "instance_type": {"references": ["var.instance_size"]},
                            "tags": {"references": ["var.tags"]},
                            "ami": {"references": ["data.aws_ami.u.id", "data.aws_ami.u"]},
                            "name": {"constant_value": "x"},
                            "subnet_id": {"references": ["module.net.id", "module.net"]}}}],
                        "module_calls": {"net": {"module": {"outputs": {"id": {"expression": {"references": ["var.cidr"]}}}},
                                                  "expressions": {"cidr": {"references": ["var.instance_size"]}}}}
                    }}}}}"#,
        )
        .unwrap()
    }

    #[test]
    fn follows_variables_through_module_calls_and_outputs() {
        let c = config();
        let tr = Tracer::new(&c);
        let addr = ConfigAddress::parse("module.app.aws_instance.web");
        let t = tr.attribute(&addr, "instance_type");
        assert!(t.found);
        assert_eq!(t.vars.iter().collect::<Vec<_>>(), vec!["size"]);
        assert!(t.opaque.is_empty());
        let t = tr.attribute(&addr, "subnet_id");
        assert_eq!(t.vars.iter().collect::<Vec<_>>(), vec!["size"]);
        let t = tr.attribute(&addr, "tags");
        assert_eq!(t.opaque.iter().collect::<Vec<_>>(), vec!["local.tags"]);
        let t = tr.attribute(&addr, "ami");
        assert_eq!(
            t.opaque.iter().collect::<Vec<_>>(),
            vec!["module.app.data.aws_ami.u"]
        );
        assert!(tr.attribute(&addr, "name").vars.is_empty());
        assert_eq!(
            tr.repetition(&addr).vars.iter().collect::<Vec<_>>(),
            vec!["env"]
        );
        assert!(
            !tr.attribute(&ConfigAddress::parse("aws_instance.nope"), "x")
                .found
        );
    }
}
