//! Turns `terraform output -json` into environment variables for the checks, and marks which
//! ones are sensitive so that nothing a check prints can leak them. Checks legitimately need
//! secrets (a token to call the health endpoint), so sensitive outputs are passed, only hidden.
//!
//! The mark travels inside the variable list itself ([`SENSITIVE_VARS`]) rather than beside it,
//! so a caller that forwards `output_env` into [`crate::VerifyContext::env`] cannot forget it.

use serde_json::Value;
use std::collections::BTreeMap;

/// Names (comma-separated) of the variables in [`crate::VerifyContext::env`] whose values must
/// never be shown. [`output_env`] sets it for sensitive outputs; callers may add their own names.
/// Several such entries are combined.
pub const SENSITIVE_VARS: &str = "FERRY_SENSITIVE_VARS";

/// `TF_OUTPUT_<NAME>` for every output (name upper-cased, anything outside `[A-Z0-9_]` turned
/// into `_`). Strings are passed as-is; any other value as compact JSON, which shell checks can
/// feed to `jq`. Accepts both the `{"value": …, "type": …, "sensitive": …}` objects of
/// `terraform output -json` and bare values. Sensitive outputs are included and listed in a
/// trailing [`SENSITIVE_VARS`] entry.
pub fn output_env(outputs: &BTreeMap<String, Value>) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = outputs
        .iter()
        .map(|(name, output)| (env_name(name), value_text(output_value(output))))
        .collect();
    let sensitive: Vec<String> = outputs
        .iter()
        .filter(|(_, output)| output.get("sensitive").and_then(Value::as_bool) == Some(true))
        .map(|(name, _)| env_name(name))
        .collect();
    if !sensitive.is_empty() {
        env.push((SENSITIVE_VARS.to_string(), sensitive.join(",")));
    }
    env
}

/// The text forms of every sensitive output, as they could appear in a check's output: the whole
/// value as passed in `TF_OUTPUT_*`, plus each string inside a list or object. For
/// [`crate::VerifyContext::sensitive`]; redundant with the [`SENSITIVE_VARS`] mark that
/// [`output_env`] sets, and harmless to give as well.
pub fn sensitive_values(outputs: &BTreeMap<String, Value>) -> Vec<String> {
    let mut found = Vec::new();
    for output in outputs
        .values()
        .filter(|o| o.get("sensitive").and_then(Value::as_bool) == Some(true))
    {
        let value = output_value(output);
        found.push(value_text(value));
        collect_strings(value, &mut found);
    }
    found.retain(|s| !s.is_empty());
    found.sort();
    found.dedup();
    found
}

/// The text forms of every value marked sensitive in `env`, as they could appear in a check's
/// output: the whole value, plus each string inside it when it is JSON (a check may print one
/// field of an object).
pub(crate) fn secrets_in(env: &[(String, String)]) -> Vec<String> {
    let names: Vec<&str> = env
        .iter()
        .filter(|(k, _)| k == SENSITIVE_VARS)
        .flat_map(|(_, v)| v.split(',').map(str::trim))
        .filter(|n| !n.is_empty())
        .collect();
    let mut found = Vec::new();
    for (_, value) in env.iter().filter(|(k, _)| names.contains(&k.as_str())) {
        found.push(value.clone());
        if let Ok(json) = serde_json::from_str::<Value>(value) {
            collect_strings(&json, &mut found);
        }
    }
    found.retain(|s| !s.is_empty());
    found.sort();
    found.dedup();
    found
}

fn env_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("TF_OUTPUT_{cleaned}")
}

/// `terraform output -json` wraps each value; a caller may also hand us plain values.
fn output_value(output: &Value) -> &Value {
    match output {
        Value::Object(map)
            if map.contains_key("value")
                && (map.contains_key("type") || map.contains_key("sensitive")) =>
        {
            &map["value"]
        }
        other => other,
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn collect_strings(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::String(s) => into.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, into)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, into)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn outputs(v: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(v).unwrap_or_default()
    }

    #[test]
    fn strings_as_is_others_as_json() {
        let o = outputs(json!({
            "url": {"value": "http://x", "type": "string", "sensitive": false},
            "ports": {"value": [80, 443], "type": ["list", "number"], "sensitive": false},
            "db-name": {"value": "main", "type": "string", "sensitive": false},
        }));
        let env = output_env(&o);
        assert!(env.contains(&("TF_OUTPUT_URL".into(), "http://x".into())));
        assert!(env.contains(&("TF_OUTPUT_PORTS".into(), "[80,443]".into())));
        assert!(env.contains(&("TF_OUTPUT_DB_NAME".into(), "main".into())));
        assert!(
            !env.iter().any(|(k, _)| k == SENSITIVE_VARS),
            "nothing sensitive, no mark"
        );
    }

    #[test]
    fn sensitive_values_include_nested_strings() {
        let o = outputs(json!({
            "token": {"value": "s3cret", "type": "string", "sensitive": true},
            "creds": {"value": {"user": "admin", "pw": "hunter2"}, "type": "object", "sensitive": true},
            "public": {"value": "visible", "type": "string", "sensitive": false},
        }));
        let mut env = output_env(&o);
        assert!(env.contains(&(
            SENSITIVE_VARS.into(),
            "TF_OUTPUT_CREDS,TF_OUTPUT_TOKEN".into()
        )));
        env.push(("EXTRA".into(), "from-caller".into()));
        env.push((SENSITIVE_VARS.into(), "EXTRA".into()));
        let s = secrets_in(&env);
        assert!(s.contains(&"from-caller".to_string()));
        let direct = sensitive_values(&o);
        assert!(direct.iter().all(|v| s.contains(v)), "{direct:?} ⊆ {s:?}");
        assert!(s.contains(&"s3cret".to_string()));
        assert!(s.contains(&"hunter2".to_string()));
        assert!(s.iter().any(|v| v.contains("\"pw\":\"hunter2\"")));
        assert!(!s.contains(&"visible".to_string()));
    }
}
