//! The `[audit]` table of ferry.toml. ferry-core keeps it raw so that this crate, which knows what
//! the keys mean, is the one place that validates them; unknown keys are errors because a typo in
//! an acceptance would otherwise silently turn a gate off.
//!
//! ```toml
//! [audit]
//! pairs = ["staging:prod"]          # default pairs when --pair is not given (default: adjacent)
//! similarity = 0.6                  # copy-paste threshold for near-duplicate root modules
//!
//! [audit.variables]                 # pin the class of a variable's differences
//! node_type = "quantity"            # "quantity" | "kind" | "structural"
//!
//! [[audit.accept]]                  # a known difference, still shown, no longer blocking
//! pair = "staging:prod"             # optional: any pair when absent
//! variable = "enable_waf"           # exactly one of variable | resource_type | module | path
//! reason = "WAF costs too much in staging; covered by the prod smoke test"
//! ```

use crate::classify::Class;
use crate::error::AuditError;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct AuditConfig {
    pub pairs: Vec<String>,
    pub similarity: f64,
    pub pinned: BTreeMap<String, Class>,
    pub accept: Vec<Accept>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            pairs: Vec::new(),
            similarity: DEFAULT_SIMILARITY,
            pinned: BTreeMap::new(),
            accept: Vec::new(),
        }
    }
}

pub const DEFAULT_SIMILARITY: f64 = 0.6;

/// What an acceptance is about: the same subjects a difference can have, plus a copy-paste path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptSubject {
    Variable(String),
    ResourceType(String),
    Module(String),
    Path(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accept {
    pub pair: Option<String>,
    pub subject: AcceptSubject,
    pub reason: String,
}

const TOP_KEYS: &[&str] = &["pairs", "similarity", "variables", "accept"];
const ACCEPT_KEYS: &[&str] = &[
    "pair",
    "variable",
    "resource_type",
    "module",
    "path",
    "reason",
];

fn err(message: String) -> AuditError {
    AuditError::Config(message)
}

impl AuditConfig {
    pub fn from_table(table: &toml::Table) -> Result<AuditConfig, AuditError> {
        let mut config = AuditConfig::default();
        for (key, value) in table {
            match key.as_str() {
                "pairs" => {
                    let list = value
                        .as_array()
                        .ok_or_else(|| err("`pairs` must be a list of \"A:B\" strings".into()))?;
                    for item in list {
                        let pair = item.as_str().ok_or_else(|| {
                            err(format!(
                                "`pairs`: {item} is not a string like \"staging:prod\""
                            ))
                        })?;
                        split_pair(pair)?;
                        config.pairs.push(pair.to_string());
                    }
                }
                "similarity" => {
                    let v = value
                        .as_float()
                        .or_else(|| value.as_integer().map(|i| i as f64));
                    match v {
                        Some(v) if (0.0..=1.0).contains(&v) => config.similarity = v,
                        _ => {
                            return Err(err(format!(
                                "`similarity` must be a number between 0 and 1, not {value}"
                            )))
                        }
                    }
                }
                "variables" => {
                    let vars = value.as_table().ok_or_else(|| err("`[audit.variables]` must be a table of name = \"quantity\"|\"kind\"|\"structural\"".into()))?;
                    for (name, class) in vars {
                        let class = class
                            .as_str()
                            .and_then(Class::parse)
                            .ok_or_else(|| err(format!("[audit.variables] {name} = {class}: use \"quantity\", \"kind\" or \"structural\"")))?;
                        config.pinned.insert(name.clone(), class);
                    }
                }
                "accept" => {
                    let list = value.as_array().ok_or_else(|| {
                        err("`accept` must be written as [[audit.accept]] entries".into())
                    })?;
                    for (i, item) in list.iter().enumerate() {
                        let entry = item.as_table().ok_or_else(|| {
                            err(format!("[[audit.accept]] #{}: must be a table", i + 1))
                        })?;
                        config.accept.push(parse_accept(entry, i + 1)?);
                    }
                }
                other => {
                    return Err(err(format!(
                        "unknown key `{other}`; known keys: {}",
                        TOP_KEYS.join(", ")
                    )));
                }
            }
        }
        Ok(config)
    }

    /// The acceptance covering `subject` in `pair` (None for module-wide findings), if any.
    pub fn accepted(&self, pair: Option<&str>, subject: &AcceptSubject) -> Option<&Accept> {
        self.accept
            .iter()
            .find(|a| &a.subject == subject && (a.pair.is_none() || a.pair.as_deref() == pair))
    }
}

fn parse_accept(entry: &toml::Table, n: usize) -> Result<Accept, AuditError> {
    let at = |m: String| err(format!("[[audit.accept]] #{n}: {m}"));
    for key in entry.keys() {
        if !ACCEPT_KEYS.contains(&key.as_str()) {
            return Err(at(format!(
                "unknown key `{key}`; known keys: {}",
                ACCEPT_KEYS.join(", ")
            )));
        }
    }
    let text = |key: &str| -> Result<Option<String>, AuditError> {
        match entry.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(|s| Some(s.to_string()))
                .ok_or_else(|| at(format!("`{key}` must be a string"))),
        }
    };
    let reason = text("reason")?
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    let Some(reason) = reason else {
        return Err(at(
            "`reason` is required: say why this difference is acceptable".into(),
        ));
    };
    let pair = text("pair")?;
    if let Some(p) = &pair {
        split_pair(p).map_err(|e| at(e.to_string()))?;
    }
    let mut subjects = Vec::new();
    if let Some(v) = text("variable")? {
        subjects.push(AcceptSubject::Variable(v));
    }
    if let Some(v) = text("resource_type")? {
        subjects.push(AcceptSubject::ResourceType(v));
    }
    if let Some(v) = text("module")? {
        subjects.push(AcceptSubject::Module(v));
    }
    if let Some(v) = text("path")? {
        subjects.push(AcceptSubject::Path(v));
    }
    if subjects.len() != 1 {
        return Err(at(
            "name exactly one of `variable`, `resource_type`, `module` or `path`".into(),
        ));
    }
    let subject = subjects.remove(0);
    Ok(Accept {
        pair,
        subject,
        reason,
    })
}

/// Splits "A:B" into its two environment names.
pub fn split_pair(pair: &str) -> Result<(&str, &str), AuditError> {
    match pair.split_once(':') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() && !b.contains(':') && a != b => Ok((a, b)),
        _ => Err(AuditError::Pair {
            pair: pair.to_string(),
            message: "expected two different environment names as A:B, e.g. staging:prod".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<AuditConfig, AuditError> {
        let table: toml::Table = toml::from_str(text).unwrap();
        AuditConfig::from_table(&table)
    }

    #[test]
    fn full_config_parses() {
        let c = parse(
            r#"
            pairs = ["staging:prod"]
            similarity = 0.8
            [variables]
            node_type = "quantity"
            [[accept]]
            pair = "staging:prod"
            variable = "enable_waf"
            reason = " costly "
            [[accept]]
            resource_type = "aws_wafv2_web_acl"
            reason = "r"
            "#,
        )
        .unwrap();
        assert_eq!(c.pairs, vec!["staging:prod"]);
        assert_eq!(c.similarity, 0.8);
        assert_eq!(c.pinned.get("node_type"), Some(&Class::Quantity));
        assert_eq!(
            c.accept[0],
            Accept {
                pair: Some("staging:prod".into()),
                subject: AcceptSubject::Variable("enable_waf".into()),
                reason: "costly".into()
            }
        );
        assert!(c
            .accepted(
                Some("dev:prod"),
                &AcceptSubject::ResourceType("aws_wafv2_web_acl".into())
            )
            .is_some());
        assert!(c
            .accepted(
                Some("dev:staging"),
                &AcceptSubject::Variable("enable_waf".into())
            )
            .is_none());
    }

    #[test]
    fn rejects_unknown_and_incomplete_entries() {
        let e = parse("colour = 1").unwrap_err().to_string();
        assert_eq!(e, "[audit] in ferry.toml: unknown key `colour`; known keys: pairs, similarity, variables, accept");
        let e = parse("[variables]\nx = \"size\"").unwrap_err().to_string();
        assert!(
            e.contains("x = \"size\": use \"quantity\", \"kind\" or \"structural\""),
            "{e}"
        );
        let e = parse("[[accept]]\nvariable = \"x\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("#1: `reason` is required"), "{e}");
        let e = parse("[[accept]]\nvariable = \"x\"\nmodule = \"m\"\nreason = \"r\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("exactly one of"), "{e}");
        let e = parse("[[accept]]\nvariable = \"x\"\nreasons = \"r\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown key `reasons`"), "{e}");
        let e = parse("pairs = [\"staging\"]").unwrap_err().to_string();
        assert!(
            e.contains("expected two different environment names"),
            "{e}"
        );
    }
}
