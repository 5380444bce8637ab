//! What an environment actually runs, read from its latest plan (or state) JSON: how many
//! instances of each managed resource type and of each module call. Inputs can look alike while
//! the topology differs (a `count = var.enabled ? 1 : 0` hides a whole service), so this is the
//! audit's second, independent view.
//!
//! Only `planned_values` (plans) or `values` (state) are read, falling back to `resource_changes`
//! for renderings without them; everything else in the file is ignored, so any format version works.

use crate::error::AuditError;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Topology {
    /// Managed resource type → number of instances.
    pub resource_types: BTreeMap<String, usize>,
    /// Module call path without instance keys (`module.db.module.replica`) → number of instances.
    pub modules: BTreeMap<String, usize>,
}

#[derive(Deserialize)]
struct Rendering {
    #[serde(default)]
    planned_values: Option<Values>,
    #[serde(default)]
    values: Option<Values>,
    #[serde(default)]
    resource_changes: Option<Vec<Change>>,
    #[serde(default)]
    errored: bool,
}

#[derive(Deserialize)]
struct Values {
    #[serde(default)]
    root_module: Option<ModuleValues>,
}

#[derive(Deserialize)]
struct ModuleValues {
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    resources: Vec<Resource>,
    #[serde(default)]
    child_modules: Vec<ModuleValues>,
}

#[derive(Deserialize)]
struct Resource {
    #[serde(default)]
    mode: Option<String>,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    mode: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    module_address: Option<String>,
    change: ChangeBody,
}

#[derive(Deserialize)]
struct ChangeBody {
    #[serde(default)]
    actions: Vec<String>,
}

/// `module.a["x"].module.b[0]` → `module.a.module.b`.
pub fn module_path(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0usize;
    let mut in_string = false;
    let mut prev = '\0';
    for c in address.chars() {
        match c {
            '"' if depth > 0 && prev != '\\' => in_string = !in_string,
            '[' if !in_string => depth += 1,
            ']' if !in_string => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
        prev = c;
    }
    out
}

/// Reads the topology from a `show -json` rendering; `source` names it in errors.
pub fn topology_from_json(bytes: &[u8], source: &str) -> Result<Topology, AuditError> {
    let plan_err = |message: String| AuditError::Plan {
        path: source.to_string(),
        message,
    };
    let rendering: Rendering =
        serde_json::from_slice(bytes).map_err(|e| plan_err(e.to_string()))?;
    if rendering.errored {
        return Err(plan_err(
            "the plan errored (`\"errored\": true`), so it does not describe what would be built"
                .into(),
        ));
    }
    let mut topo = Topology::default();
    if let Some(root) = rendering
        .planned_values
        .or(rendering.values)
        .and_then(|v| v.root_module)
    {
        add_module(&root, true, &mut topo);
        return Ok(topo);
    }
    let Some(changes) = rendering.resource_changes else {
        return Err(plan_err(
            "no `planned_values`, `values` or `resource_changes`".into(),
        ));
    };
    let mut instances: BTreeMap<String, usize> = BTreeMap::new();
    for change in changes {
        if change.mode.as_deref() == Some("data") || change.change.actions == ["delete"] {
            continue;
        }
        *topo.resource_types.entry(change.kind).or_default() += 1;
        if let Some(module) = change.module_address {
            // A module instance counts once however many resources it holds.
            instances.entry(module).or_default();
        }
    }
    for address in instances.keys() {
        *topo.modules.entry(module_path(address)).or_default() += 1;
    }
    Ok(topo)
}

fn add_module(module: &ModuleValues, root: bool, topo: &mut Topology) {
    if !root {
        if let Some(address) = &module.address {
            *topo.modules.entry(module_path(address)).or_default() += 1;
        }
    }
    for r in &module.resources {
        if r.mode.as_deref() != Some("data") {
            *topo.resource_types.entry(r.kind.clone()).or_default() += 1;
        }
    }
    for child in &module.child_modules {
        add_module(child, false, topo);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_planned_values_with_nested_modules() {
        let json = br#"{"format_version":"1.2","planned_values":{"root_module":{
            "resources":[{"address":"null_resource.a","mode":"managed","type":"null_resource"},
                         {"address":"data.x.y","mode":"data","type":"x"}],
            "child_modules":[
              {"address":"module.db[\"a\"]","resources":[{"mode":"managed","type":"aws_db_instance"}],
               "child_modules":[{"address":"module.db[\"a\"].module.replica[0]","resources":[]}]},
              {"address":"module.db[\"b\"]","resources":[{"mode":"managed","type":"aws_db_instance"}]}]}}}"#;
        let t = topology_from_json(json, "p.json").unwrap();
        assert_eq!(
            t.resource_types,
            BTreeMap::from([("aws_db_instance".into(), 2), ("null_resource".into(), 1)])
        );
        assert_eq!(
            t.modules,
            BTreeMap::from([
                ("module.db".into(), 2),
                ("module.db.module.replica".into(), 1)
            ])
        );
    }

    #[test]
    fn falls_back_to_resource_changes_and_refuses_non_plans() {
        let json = br#"{"resource_changes":[
            {"type":"a","mode":"managed","module_address":"module.m[0]","change":{"actions":["create"]}},
            {"type":"a","mode":"managed","module_address":"module.m[1]","change":{"actions":["create"]}},
            {"type":"b","mode":"managed","change":{"actions":["delete"]}}]}"#;
        let t = topology_from_json(json, "p.json").unwrap();
        assert_eq!(t.resource_types, BTreeMap::from([("a".into(), 2)]));
        assert_eq!(t.modules, BTreeMap::from([("module.m".into(), 2)]));
        let e = topology_from_json(b"{}", "p.json").unwrap_err().to_string();
        assert_eq!(e, "p.json: not a plan or state JSON rendering: no `planned_values`, `values` or `resource_changes`");
        let e = topology_from_json(b"{\"errored\":true,\"planned_values\":{}}", "p.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("the plan errored"), "{e}");
        assert!(topology_from_json(b"nope", "p.json").is_err());
    }

    #[test]
    fn module_paths_drop_instance_keys() {
        assert_eq!(
            module_path(r#"module.a["x]y"].module.b[0]"#),
            "module.a.module.b"
        );
    }
}
