//! Running loaded policies on one plan and turning conftest-style rule values (sets of strings or
//! of `{msg: ...}` objects, v0 or v1) into results. Errors and time-outs become denies.

use super::diag;
use super::load::Loaded;
use crate::report::PolicyResult;
use crate::PolicyError;
use regorus::Value;
use serde::Deserialize;

/// serde_json → regorus without cloning the (possibly 100 MB) plan first.
pub(crate) fn to_rego(json: &serde_json::Value) -> Result<Value, String> {
    Value::deserialize(json).map_err(|e| format!("cannot convert to a Rego value: {e}"))
}

pub(crate) fn evaluate(
    loaded: &Loaded,
    input: &Value,
    ferry: &Value,
    timeout_ms: u128,
    out: &mut Vec<PolicyResult>,
) {
    for unit in &loaded.units {
        let mut engine = unit.engine.clone();
        if let Err(e) = engine.add_data(ferry.clone()) {
            let (line, message) = diag::locate(&e.to_string());
            out.push(
                PolicyError::Eval {
                    file: unit.file.clone(),
                    rule: "data.ferry".into(),
                    line,
                    message,
                }
                .to_result(),
            );
            continue;
        }
        engine.set_input(input.clone());
        for rule in &unit.rules {
            let path = format!("data.{}.{}", unit.package, rule.name);
            match engine.eval_rule(path) {
                Ok(value) => {
                    for message in messages(&value, &rule.name) {
                        out.push(PolicyResult {
                            level: rule.level,
                            source: unit.file.clone(),
                            rule: rule.name.clone(),
                            line: rule.line,
                            message,
                        });
                    }
                }
                Err(e) => {
                    let text = e.to_string();
                    let err = if diag::is_time_limit(&text) {
                        PolicyError::Timeout {
                            file: unit.file.clone(),
                            rule: rule.name.clone(),
                            line: rule.line,
                            limit_ms: timeout_ms,
                        }
                    } else {
                        let (line, message) = diag::locate(&text);
                        PolicyError::Eval {
                            file: unit.file.clone(),
                            rule: rule.name.clone(),
                            line: line.or(rule.line),
                            message,
                        }
                    };
                    out.push(err.to_result());
                }
            }
        }
    }
}

/// The messages a rule's value carries. conftest accepts strings and objects with `msg`; a bare
/// `true` (a boolean deny rule) is a message too, named after the rule, so it cannot pass silently.
fn messages(value: &Value, rule: &str) -> Vec<String> {
    if *value == Value::Undefined {
        return vec![];
    }
    let json = match serde_json::to_value(value) {
        Ok(j) => j,
        Err(e) => return vec![format!("{rule} produced a value ferry cannot read: {e}")],
    };
    let one = |v: &serde_json::Value| -> Option<String> {
        match v {
            serde_json::Value::Null | serde_json::Value::Bool(false) => None,
            serde_json::Value::Bool(true) => Some(rule.to_string()),
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Object(o) => Some(match o.get("msg") {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => v.to_string(),
            }),
            other => Some(other.to_string()),
        }
    };
    match &json {
        serde_json::Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}
