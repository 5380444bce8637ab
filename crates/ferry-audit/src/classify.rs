//! Deciding whether two environments' values for one variable differ in *quantity* (staging is a
//! smaller copy of prod: fine), in *kind* (staging builds something else: its success predicts
//! nothing about prod) or in *structure* (the inputs do not even have the same shape).
//!
//! The rules lean towards `kind`: a string difference ferry cannot explain as a size is treated as
//! a different thing being built, because a false alarm costs one line of `[audit.variables]`
//! while a missed one costs a prod incident.

use crate::families::{
    byte_size, cidr_prefix, is_region, looks_like_version, machine_type, small_unit_amount,
};
use crate::types::describe;
use serde::Serialize;
use serde_json::Value;

/// Ordered by how much a difference undermines staging as a predictor of prod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    Quantity,
    Kind,
    Structural,
}

impl Class {
    pub fn parse(text: &str) -> Option<Class> {
        match text {
            "quantity" => Some(Class::Quantity),
            "kind" => Some(Class::Kind),
            "structural" => Some(Class::Structural),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Quantity => "quantity",
            Class::Kind => "kind",
            Class::Structural => "structural",
        }
    }
    /// Kind and structural differences stop the audit; quantity never does.
    pub fn blocks(self) -> bool {
        self != Class::Quantity
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub class: Class,
    pub why: String,
}

fn verdict(class: Class, why: impl Into<String>) -> Verdict {
    Verdict {
        class,
        why: why.into(),
    }
}

/// What the classifier knows besides the two values.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub variable: &'a str,
    pub left_env: &'a str,
    pub right_env: &'a str,
}

/// Classifies the difference between `left` and `right`; `None` when they are equal.
pub fn compare(ctx: Ctx<'_>, left: &Value, right: &Value) -> Option<Verdict> {
    let mut found = Vec::new();
    walk(ctx, "", left, right, &mut found);
    let worst = found.iter().map(|v| v.class).max()?;
    let mut whys: Vec<String> = found
        .iter()
        .filter(|v| v.class == worst)
        .map(|v| v.why.clone())
        .collect();
    let more = whys.len().saturating_sub(3);
    whys.truncate(3);
    let mut why = whys.join("; ");
    if more > 0 {
        why.push_str(&format!("; and {more} more"));
    }
    Some(verdict(worst, why))
}

fn at(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    }
}

fn walk(ctx: Ctx<'_>, path: &str, left: &Value, right: &Value, out: &mut Vec<Verdict>) {
    if left == right {
        return;
    }
    let p = at(path);
    match (left, right) {
        (Value::Null, _) | (_, Value::Null) => out.push(verdict(
            Class::Kind,
            format!(
                "{p}null in one environment ({} vs {}): something is left out",
                describe(left),
                describe(right)
            ),
        )),
        (Value::Bool(_), Value::Bool(_)) => out.push(verdict(
            Class::Kind,
            format!("{p}switch {left} vs {right}: toggles what gets built"),
        )),
        (Value::Number(_), Value::Number(_)) => out.push(verdict(
            Class::Quantity,
            format!("{p}number {left} → {right}"),
        )),
        (Value::String(l), Value::String(r)) => out.push(strings(ctx, path, l, r)),
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n))
            if s.trim().parse::<f64>().is_ok() =>
        {
            out.push(verdict(
                Class::Quantity,
                format!("{p}number {n} vs \"{s}\""),
            ))
        }
        (Value::Array(l), Value::Array(r)) => {
            for (i, (a, b)) in l.iter().zip(r).enumerate() {
                walk(ctx, &format!("{path}[{i}]"), a, b, out);
            }
            if l.len() != r.len() {
                out.push(verdict(
                    Class::Quantity,
                    format!("{p}list of {} → {} items", l.len(), r.len()),
                ));
            }
        }
        (Value::Object(l), Value::Object(r)) => {
            let only_l: Vec<&str> = l
                .keys()
                .filter(|k| !r.contains_key(*k))
                .map(String::as_str)
                .collect();
            let only_r: Vec<&str> = r
                .keys()
                .filter(|k| !l.contains_key(*k))
                .map(String::as_str)
                .collect();
            if !only_l.is_empty() || !only_r.is_empty() {
                let mut parts = Vec::new();
                if !only_l.is_empty() {
                    parts.push(format!("only in {}: {}", ctx.left_env, only_l.join(", ")));
                }
                if !only_r.is_empty() {
                    parts.push(format!("only in {}: {}", ctx.right_env, only_r.join(", ")));
                }
                out.push(verdict(
                    Class::Kind,
                    format!(
                        "{p}different keys ({}): keys usually decide which things get built",
                        parts.join("; ")
                    ),
                ));
            }
            for (k, a) in l {
                if let Some(b) = r.get(k) {
                    let sub = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(ctx, &sub, a, b, out);
                }
            }
        }
        _ => out.push(verdict(
            Class::Structural,
            format!(
                "{p}different shape: {} vs {}",
                describe(left),
                describe(right)
            ),
        )),
    }
}

/// Spellings of an environment's name that commonly appear inside names and hostnames.
fn env_aliases(env: &str) -> Vec<String> {
    let mut names = vec![env.to_string()];
    let extra: &[&str] = match env {
        "prod" | "production" | "prd" => &["production", "prod", "prd"],
        "staging" | "stage" | "stg" => &["staging", "stage", "stg"],
        "dev" | "development" => &["development", "dev"],
        "test" | "testing" => &["testing", "test"],
        "qa" => &["qa"],
        _ => &[],
    };
    names.extend(extra.iter().map(|s| s.to_string()));
    // Longest first, so `production` is replaced before `prod` inside it.
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names.dedup();
    names
}

fn without_env(value: &str, env: &str) -> String {
    let mut out = value.to_string();
    for alias in env_aliases(env) {
        out = out.replace(&alias, "{env}");
        out = out.replace(&alias.to_uppercase(), "{ENV}");
    }
    out
}

fn strings(ctx: Ctx<'_>, path: &str, l: &str, r: &str) -> Verdict {
    let p = at(path);
    let name = format!("{} {}", ctx.variable, path).to_lowercase();
    let q = |s: &str| Value::String(s.to_string());
    let (ql, qr) = (q(l), q(r));

    if without_env(l, ctx.left_env) == without_env(r, ctx.right_env) {
        return verdict(
            Class::Quantity,
            format!("{p}{ql} vs {qr} differ only by the environment's name"),
        );
    }
    if name.contains("region")
        || name.contains("location")
        || name.contains("zone")
        || (is_region(l) && is_region(r))
    {
        return verdict(
            Class::Kind,
            format!("{p}region {ql} vs {qr}: services, quotas and features differ by region"),
        );
    }
    let versionish =
        |s: &str| looks_like_version(s) && (s.starts_with('v') || s.matches('.').count() >= 2);
    if (name.contains("version") && looks_like_version(l) && looks_like_version(r))
        || (versionish(l) && versionish(r))
    {
        return verdict(
            Class::Kind,
            format!("{p}version {ql} vs {qr}: a different version is different software"),
        );
    }
    if name.contains("version") {
        return verdict(Class::Kind, format!("{p}version {ql} vs {qr}"));
    }
    if let (Ok(a), Ok(b)) = (l.trim().parse::<f64>(), r.trim().parse::<f64>()) {
        return verdict(Class::Quantity, format!("{p}number {a} → {b}"));
    }
    if byte_size(l).is_some() && byte_size(r).is_some() {
        return verdict(Class::Quantity, format!("{p}size {ql} → {qr}"));
    }
    if small_unit_amount(l).is_some() && small_unit_amount(r).is_some() {
        return verdict(Class::Quantity, format!("{p}amount {ql} → {qr}"));
    }
    if let (Some(a), Some(b)) = (cidr_prefix(l), cidr_prefix(r)) {
        return verdict(
            Class::Quantity,
            format!("{p}address range {ql} (/{a}) vs {qr} (/{b})"),
        );
    }
    match (machine_type(l), machine_type(r)) {
        (Some(a), Some(b)) if a.family == b.family => {
            return verdict(
                Class::Quantity,
                format!(
                    "{p}{ql} → {qr}: same {} family {}, size {} → {}",
                    a.cloud, a.family, a.size, b.size
                ),
            );
        }
        (Some(a), Some(b)) => {
            return verdict(
                Class::Kind,
                format!(
                    "{p}{ql} vs {qr}: different machine family ({} vs {}), not just a size",
                    a.family, b.family
                ),
            );
        }
        _ => {}
    }
    verdict(
        Class::Kind,
        format!("{p}{ql} vs {qr}: a different value, not a recognisable size; pin it in [audit.variables] if it is only a quantity"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn class(var: &str, l: Value, r: Value) -> Option<Class> {
        compare(
            Ctx {
                variable: var,
                left_env: "staging",
                right_env: "prod",
            },
            &l,
            &r,
        )
        .map(|v| v.class)
    }

    #[test]
    fn quantity_differences() {
        use Class::Quantity as Q;
        for (var, l, r) in [
            ("instance_type", json!("t3.small"), json!("t3.xlarge")),
            ("db_class", json!("db.r6g.large"), json!("db.r6g.2xlarge")),
            (
                "machine_type",
                json!("e2-standard-2"),
                json!("e2-standard-8"),
            ),
            (
                "vm_size",
                json!("Standard_D2s_v5"),
                json!("Standard_D8s_v5"),
            ),
            ("disk", json!("20GB"), json!("100Gi")),
            ("replicas", json!(1), json!(3)),
            ("replicas", json!("1"), json!(3)),
            ("azs", json!(["a", "b"]), json!(["a", "b", "c"])),
            ("timeout", json!("30s"), json!("5m")),
            ("cidr", json!("10.1.0.0/16"), json!("10.2.0.0/16")),
            (
                "domain",
                json!("staging.example.com"),
                json!("prod.example.com"),
            ),
            ("name", json!("app-stg"), json!("app-production")),
            (
                "sizes",
                json!({"web": 1, "api": 2}),
                json!({"web": 3, "api": 4}),
            ),
        ] {
            assert_eq!(
                class(var, l.clone(), r.clone()),
                Some(Q),
                "{var}: {l} vs {r}"
            );
        }
    }

    #[test]
    fn kind_differences() {
        use Class::Kind as K;
        for (var, l, r) in [
            ("db_class", json!("db.t4g.medium"), json!("db.r6g.large")),
            ("instance_type", json!("t3.large"), json!("m5.large")),
            ("engine", json!("mysql"), json!("postgres")),
            ("engine_version", json!("14"), json!("15")),
            ("image", json!("nginx:v1.2.3"), json!("nginx:v1.2.4")),
            ("k8s", json!("v1.29.2"), json!("v1.30.0")),
            ("region", json!("eu-west-1"), json!("us-east-1")),
            ("location", json!("westeurope"), json!("northeurope")),
            ("enable_waf", json!(false), json!(true)),
            ("lb_type", json!("network"), json!("application")),
            (
                "buckets",
                json!({"logs": {}}),
                json!({"logs": {}, "audit": {}}),
            ),
            ("backup", json!(null), json!("daily")),
            (
                "db",
                json!({"engine": "mysql", "size": 1}),
                json!({"engine": "postgres", "size": 2}),
            ),
        ] {
            assert_eq!(
                class(var, l.clone(), r.clone()),
                Some(K),
                "{var}: {l} vs {r}"
            );
        }
    }

    #[test]
    fn structural_and_equal() {
        assert_eq!(
            class("subnets", json!("a"), json!(["a"])),
            Some(Class::Structural)
        );
        assert_eq!(
            class("cfg", json!({"a": 1}), json!({"a": [1]})),
            Some(Class::Structural)
        );
        assert_eq!(
            class("x", json!({"a": [1, "b"]}), json!({"a": [1, "b"]})),
            None
        );
    }

    #[test]
    fn why_names_the_path_and_family() {
        let v = compare(
            Ctx {
                variable: "db",
                left_env: "staging",
                right_env: "prod",
            },
            &json!({"class": "db.t4g.medium", "storage": "20GB"}),
            &json!({"class": "db.r6g.large", "storage": "100GB"}),
        )
        .unwrap();
        assert_eq!(v.class, Class::Kind);
        assert_eq!(
            v.why,
            "class: \"db.t4g.medium\" vs \"db.r6g.large\": different machine family (db.t4g vs db.r6g), not just a size"
        );
    }
}
