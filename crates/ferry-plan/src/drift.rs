//! What a plan of the release an environment already runs says about that environment: the
//! resources the engine's refresh found changed outside IaC (`resource_drift`), and the changes
//! it would make to bring the environment back to the release (`resource_changes`). Re-planning
//! the deployed release with the inputs it was applied with isolates drift: the code did not
//! change, so anything the engine wants to change, the world did.
//!
//! Only addresses, actions and the names of changed attributes are kept, never a value: a drift
//! report goes to CI logs and the ledger.

use crate::error::PlanError;
use crate::model::{Action, ActionKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::io::BufReader;
use std::path::Path;

/// One resource the drift check names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftedResource {
    pub address: String,
    /// What the engine reports: for drift, how it changed outside IaC (`update`, `delete`); for
    /// a correction, what applying the release again would do.
    pub action: String,
    /// Top-level attributes whose values differ (names only).
    pub attributes: Vec<String>,
}

/// The drift a plan of the deployed release shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftReport {
    /// Changed outside IaC, as the engine's refresh saw it.
    pub changed_outside: Vec<DriftedResource>,
    /// What re-applying the deployed release would change back.
    pub corrections: Vec<DriftedResource>,
}

impl DriftReport {
    pub fn has_drift(&self) -> bool {
        !self.changed_outside.is_empty() || !self.corrections.is_empty()
    }
}

#[derive(Deserialize)]
struct Doc {
    #[serde(default)]
    format_version: Option<String>,
    #[serde(default)]
    resource_drift: Vec<Entry>,
    #[serde(default)]
    resource_changes: Vec<Entry>,
    #[serde(default)]
    errored: bool,
}

#[derive(Deserialize)]
struct Entry {
    address: String,
    #[serde(default)]
    mode: Option<String>,
    change: Change,
}

#[derive(Deserialize)]
struct Change {
    actions: Vec<String>,
    #[serde(default)]
    before: Option<serde_json::Value>,
    #[serde(default)]
    after: Option<serde_json::Value>,
    #[serde(default)]
    after_unknown: Option<serde_json::Value>,
}

/// Attributes whose values differ; those only known after apply (an `id` a replace regenerates)
/// follow from the others and are left out.
fn changed_keys(c: &Change) -> Vec<String> {
    let empty = serde_json::Map::new();
    let b = c
        .before
        .as_ref()
        .and_then(|v| v.as_object())
        .unwrap_or(&empty);
    let a = c
        .after
        .as_ref()
        .and_then(|v| v.as_object())
        .unwrap_or(&empty);
    let unknown = c.after_unknown.as_ref().and_then(|v| v.as_object());
    let consequential =
        |k: &str| unknown.is_some_and(|u| u.get(k) == Some(&serde_json::Value::Bool(true)));
    let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k) && !consequential(k))
        .cloned()
        .collect()
}

fn resource(e: &Entry, kind: ActionKind) -> DriftedResource {
    DriftedResource {
        address: e.address.clone(),
        action: kind.as_str().to_string(),
        attributes: changed_keys(&e.change),
    }
}

/// Reads the drift in the plan JSON at `path`. A plan the engine reported as errored is an
/// error: a partial plan cannot say "no drift".
pub fn drift_report(path: &Path) -> Result<DriftReport, PlanError> {
    let file = std::fs::File::open(path).map_err(|source| PlanError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let doc: Doc =
        serde_json::from_reader(BufReader::new(file)).map_err(|e| PlanError::Invalid {
            path: path.to_path_buf(),
            offset: 0,
            line: e.line() as u64,
            column: e.column() as u64,
            message: e.to_string(),
        })?;
    if doc.format_version.is_none() {
        return Err(PlanError::NotAPlan {
            path: path.to_path_buf(),
            message: "no format_version: not a plan rendered by `show -json`".into(),
        });
    }
    if doc.errored {
        return Err(PlanError::NotAPlan {
            path: path.to_path_buf(),
            message:
                "the engine reported the plan as errored; a partial plan cannot rule drift out"
                    .into(),
        });
    }
    let managed = |e: &&Entry| e.mode.as_deref() != Some("data");
    let kind = |e: &Entry| Action::parse(&e.change.actions).map(Action::kind);
    let mut report = DriftReport::default();
    for e in doc.resource_drift.iter().filter(managed) {
        match kind(e) {
            Some(k) if k.is_change() => report.changed_outside.push(resource(e, k)),
            _ => {}
        }
    }
    for e in doc.resource_changes.iter().filter(managed) {
        match kind(e) {
            Some(k) if k.is_change() => report.corrections.push(resource(e, k)),
            _ => {}
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(json: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), json).unwrap();
        f
    }

    #[test]
    fn names_drifted_and_corrected_resources_and_attributes_but_no_values() {
        let f = write(
            r#"{"format_version":"1.2","resource_drift":[
              {"address":"aws_s3_bucket.logs","mode":"managed","change":{"actions":["update"],
               "before":{"tags":{"a":"1"},"acl":"private"},"after":{"tags":{"a":"2"},"acl":"private"}}}],
             "resource_changes":[
              {"address":"aws_s3_bucket.logs","mode":"managed","change":{"actions":["update"],
               "before":{"tags":{"a":"2"}},"after":{"tags":{"a":"1"}}}},
              {"address":"data.x.y","mode":"data","change":{"actions":["read"]}},
              {"address":"null_resource.same","mode":"managed","change":{"actions":["no-op"]}}]}"#,
        );
        let r = drift_report(f.path()).unwrap();
        assert!(r.has_drift());
        assert_eq!(
            r.changed_outside,
            vec![DriftedResource {
                address: "aws_s3_bucket.logs".into(),
                action: "update".into(),
                attributes: vec!["tags".into()],
            }]
        );
        assert_eq!(r.corrections.len(), 1);
        assert_eq!(r.corrections[0].address, "aws_s3_bucket.logs");
    }

    #[test]
    fn a_converged_plan_has_no_drift_and_an_errored_one_is_refused() {
        let f = write(
            r#"{"format_version":"1.2","resource_changes":[{"address":"a.b","change":{"actions":["no-op"]}}]}"#,
        );
        assert!(!drift_report(f.path()).unwrap().has_drift());
        let f = write(r#"{"format_version":"1.2","errored":true}"#);
        assert!(drift_report(f.path()).is_err());
        let f = write(r#"{"serial": 3}"#);
        assert!(matches!(
            drift_report(f.path()),
            Err(PlanError::NotAPlan { .. })
        ));
        let f = write("{\"format_version\":\"1.2\",\n\"resource_changes\": [");
        let e = drift_report(f.path()).unwrap_err().to_string();
        assert!(e.contains(":2:"), "{e}");
    }
}
