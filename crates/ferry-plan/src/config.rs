//! The `[review]` table of ferry.toml. The core keeps it raw so this crate, which knows what the
//! keys mean, validates it: unknown keys and wrong types are errors that name the key, because a
//! typo in `not_stateful` silently protecting nothing is worse than a failed command.
//!
//! ```toml
//! [review]
//! stateful = ["null_resource.db", "**.aws_instance.bastion"]   # added to the built-in catalog
//! not_stateful = ["module.scratch.**", "aws_sqs_queue"]          # wins over catalog and `stateful`
//! [review.downtime]                                            # extends the built-in knowledge base
//! custom_vm = ["flavor", "disk.size"]
//! [review.severity]                                            # per finding kind
//! drift = "block"
//! ```

use crate::address::AddressGlob;
use crate::catalog;
use crate::error::ReviewConfigError;
use ferry_core::{FindingKind, Severity};
use std::collections::BTreeMap;
use std::path::Path;

const KEYS: &[&str] = &["stateful", "not_stateful", "downtime", "severity"];

const KINDS: &[FindingKind] = &[
    FindingKind::StatefulDelete,
    FindingKind::StatefulReplace,
    FindingKind::Delete,
    FindingKind::Replace,
    FindingKind::DowntimeUpdate,
    FindingKind::NotInBaseline,
    FindingKind::Drift,
    FindingKind::Forget,
    FindingKind::PlanErrored,
    FindingKind::CheckFailed,
    FindingKind::Moved,
    FindingKind::Import,
];

/// Validated review settings; `ReviewConfig::default()` is the built-in behaviour.
#[derive(Debug, Clone, Default)]
pub struct ReviewConfig {
    stateful: Vec<AddressGlob>,
    not_stateful: Vec<AddressGlob>,
    downtime: BTreeMap<String, Vec<String>>,
    severity: BTreeMap<FindingKind, Severity>,
    /// The environments of the plan and of its baseline, to name them in explanations.
    environments: Option<(String, String)>,
}

fn err(key: impl Into<String>, message: impl Into<String>) -> ReviewConfigError {
    ReviewConfigError::Key {
        key: key.into(),
        message: message.into(),
    }
}

fn strings(key: &str, value: &toml::Value) -> Result<Vec<String>, ReviewConfigError> {
    let list = value.as_array().ok_or_else(|| {
        err(
            key,
            format!("expected a list of strings, found {}", value.type_str()),
        )
    })?;
    list.iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| err(key, format!("expected strings, found {}", v.type_str())))
        })
        .collect()
}

fn globs(key: &str, value: &toml::Value) -> Result<Vec<AddressGlob>, ReviewConfigError> {
    strings(key, value)?
        .iter()
        .map(|p| AddressGlob::new(p).map_err(|m| err(key, m)))
        .collect()
}

impl ReviewConfig {
    /// Parses the raw `[review]` table (`ferry_core::Config::review`).
    pub fn from_table(table: &toml::Table) -> Result<ReviewConfig, ReviewConfigError> {
        let mut config = ReviewConfig::default();
        for (key, value) in table {
            match key.as_str() {
                "stateful" => config.stateful = globs(key, value)?,
                "not_stateful" => config.not_stateful = globs(key, value)?,
                "downtime" => {
                    let t = value.as_table().ok_or_else(|| {
                        err(key, "expected a table of resource type = [attribute paths]")
                    })?;
                    for (ty, attrs) in t {
                        config
                            .downtime
                            .insert(ty.clone(), strings(&format!("downtime.{ty}"), attrs)?);
                    }
                }
                "severity" => {
                    let t = value.as_table().ok_or_else(|| {
                        err(
                            key,
                            "expected a table of finding kind = \"info\" | \"warn\" | \"block\"",
                        )
                    })?;
                    for (kind, sev) in t {
                        let k = KINDS.iter().find(|k| k.as_str() == kind).ok_or_else(|| {
                            let known: Vec<&str> = KINDS.iter().map(|k| k.as_str()).collect();
                            err(
                                format!("severity.{kind}"),
                                format!(
                                    "unknown finding kind; expected one of: {}",
                                    known.join(", ")
                                ),
                            )
                        })?;
                        let s = match sev.as_str() {
                            Some("info") => Severity::Info,
                            Some("warn") => Severity::Warn,
                            Some("block") => Severity::Block,
                            _ => {
                                return Err(err(
                                    format!("severity.{kind}"),
                                    "expected \"info\", \"warn\" or \"block\"",
                                ))
                            }
                        };
                        if *k == FindingKind::PlanErrored && s != Severity::Block {
                            return Err(err(
                                "severity.plan-errored",
                                "an errored plan is always blocked",
                            ));
                        }
                        config.severity.insert(*k, s);
                    }
                }
                other => {
                    return Err(err(
                        other,
                        format!("unknown key; expected one of: {}", KEYS.join(", ")),
                    ))
                }
            }
        }
        Ok(config)
    }

    /// Reads the `[review]` table of a ferry.toml file; the rest of the file is not validated
    /// here (the project's loader does that), so a plan can be reviewed with any ferry.toml.
    pub fn from_file(path: &Path) -> Result<ReviewConfig, ReviewConfigError> {
        let file_err = |message: String| ReviewConfigError::File {
            path: path.to_path_buf(),
            message,
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| file_err(format!("cannot read: {e}")))?;
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| file_err(e.message().to_string()))?;
        match table.get("review") {
            None => Ok(ReviewConfig::default()),
            Some(toml::Value::Table(t)) => {
                ReviewConfig::from_table(t).map_err(|e| file_err(e.to_string()))
            }
            Some(other) => Err(file_err(format!(
                "[review] must be a table, found {}",
                other.type_str()
            ))),
        }
    }

    /// Whether a delete/replace of this resource instance destroys data: the built-in catalog or
    /// a `stateful` pattern, unless a `not_stateful` pattern says otherwise. Returns why.
    pub fn stateful_reason(
        &self,
        resource_type: &str,
        address: &str,
        config_address: &str,
    ) -> Option<String> {
        if self
            .not_stateful
            .iter()
            .any(|g| g.matches(resource_type, address, config_address))
        {
            return None;
        }
        if let Some(g) = self
            .stateful
            .iter()
            .find(|g| g.matches(resource_type, address, config_address))
        {
            return Some(format!("[review] stateful pattern '{}'", g.as_str()));
        }
        catalog::is_stateful_type(resource_type)
            .then(|| format!("{resource_type} is in the built-in stateful catalog"))
    }

    /// What an in-place change of `path` does to a resource of this type, if it is known to
    /// cause downtime.
    pub fn downtime_effect(&self, resource_type: &str, path: &str) -> Option<String> {
        if let Some(attrs) = self.downtime.get(resource_type) {
            if attrs.iter().any(|a| catalog::path_matches(a, path)) {
                return Some("causes downtime ([review.downtime])".to_string());
            }
        }
        catalog::DOWNTIME_UPDATES
            .iter()
            .find(|(t, a, _)| *t == resource_type && catalog::path_matches(a, path))
            .map(|(_, _, effect)| (*effect).to_string())
    }

    /// Whether any downtime knowledge exists for the type (saves diffing updates of other types).
    pub fn has_downtime_knowledge(&self, resource_type: &str) -> bool {
        self.downtime.contains_key(resource_type)
            || catalog::DOWNTIME_UPDATES
                .iter()
                .any(|(t, _, _)| *t == resource_type)
    }

    /// Names the environment of the plan and of its baseline, so an explanation says
    /// "var.replicas (2 in staging, 3 in prod)" rather than "(baseline: 2, this plan: 3)".
    pub fn with_environments(mut self, plan: &str, baseline: &str) -> Self {
        self.environments = Some((plan.to_string(), baseline.to_string()));
        self
    }

    pub(crate) fn environments(&self) -> Option<(&str, &str)> {
        self.environments
            .as_ref()
            .map(|(p, b)| (p.as_str(), b.as_str()))
    }

    pub fn severity(&self, kind: FindingKind) -> Severity {
        self.severity
            .get(&kind)
            .copied()
            .unwrap_or_else(|| kind.default_severity())
    }

    /// Severity of a not-in-baseline finding: info when explained by differing inputs, unless
    /// the user configured a severity for the kind.
    pub fn not_in_baseline_severity(&self, explained: bool) -> Severity {
        match self.severity.get(&FindingKind::NotInBaseline) {
            Some(s) => *s,
            None if explained => Severity::Info,
            None => Severity::Warn,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        text.parse::<toml::Table>().unwrap()
    }

    #[test]
    fn parses_every_key() {
        let c = ReviewConfig::from_table(&table(
            r#"stateful = ["null_resource.db"]
               not_stateful = ["aws_sqs_queue"]
               downtime = { custom_vm = ["flavor"] }
               severity = { drift = "block" }"#,
        ))
        .unwrap();
        assert!(c
            .stateful_reason("null_resource", "null_resource.db", "null_resource.db")
            .is_some());
        assert!(c
            .stateful_reason("aws_sqs_queue", "aws_sqs_queue.q", "aws_sqs_queue.q")
            .is_none());
        assert!(c
            .stateful_reason("aws_s3_bucket", "aws_s3_bucket.b", "aws_s3_bucket.b")
            .is_some());
        assert!(c.downtime_effect("custom_vm", "flavor").is_some());
        assert!(c.downtime_effect("aws_instance", "instance_type").is_some());
        assert_eq!(c.severity(FindingKind::Drift), Severity::Block);
        assert_eq!(c.severity(FindingKind::Delete), Severity::Warn);
    }

    #[test]
    fn errors_name_the_key() {
        let e = ReviewConfig::from_table(&table("statefull = []")).unwrap_err();
        assert_eq!(e.to_string(), "[review] statefull: unknown key; expected one of: stateful, not_stateful, downtime, severity");
        let e = ReviewConfig::from_table(&table("stateful = \"x.y\"")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "[review] stateful: expected a list of strings, found string"
        );
        let e = ReviewConfig::from_table(&table("severity = { drfit = \"info\" }")).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("[review] severity.drfit: unknown finding kind"));
        let e = ReviewConfig::from_table(&table("severity = { drift = \"loud\" }")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "[review] severity.drift: expected \"info\", \"warn\" or \"block\""
        );
    }
}
