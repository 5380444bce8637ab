//! The rules every team wants without writing Rego, configured in `[policy]` of ferry.toml. They
//! walk `resource_changes` once, so they cost little next to parsing the plan.

use crate::config::BuiltinConfig;
use crate::glob;
use crate::report::{Level, PolicyResult};
use crate::FerryContext;
use ferry_core::FindingKind;
use serde_json::Value;

const SOURCE: &str = "builtin";

pub fn evaluate(
    cfg: &BuiltinConfig,
    plan: &Value,
    ctx: &FerryContext,
    out: &mut Vec<PolicyResult>,
) {
    if cfg.protect_stateful {
        protect_stateful(ctx, out);
    }
    if !cfg.reads_plan() {
        return;
    }
    let changes = plan
        .get("resource_changes")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let mut deletes = Deletes::default();
    walk(cfg, changes, &mut deletes, out);
    finish(cfg, &deletes, out);
}

/// Deleted addresses seen so far, for `max_deletes` over a plan read in parts: the count, and
/// the first few for the message.
#[derive(Debug, Default)]
pub(crate) struct Deletes {
    count: u64,
    shown: Vec<String>,
}

/// The per-change rules over some of the plan's `resource_changes`.
pub(crate) fn walk(
    cfg: &BuiltinConfig,
    changes: &[Value],
    deletes: &mut Deletes,
    out: &mut Vec<PolicyResult>,
) {
    for rc in changes {
        let address = rc.get("address").and_then(Value::as_str).unwrap_or("?");
        let rtype = rc.get("type").and_then(Value::as_str).unwrap_or("");
        let change = rc.get("change");
        let actions = change
            .and_then(|c| c.get("actions"))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let has = |a: &str| actions.iter().any(|x| x.as_str() == Some(a));
        let changes_something = actions
            .iter()
            .any(|a| !matches!(a.as_str(), Some("no-op" | "read")));
        if has("delete") {
            deletes.count += 1;
            if deletes.shown.len() < 5 {
                deletes.shown.push(address.to_string());
            }
        }
        if !cfg.forbidden_types.is_empty()
            && (has("create") || has("update"))
            && glob::any_matches(&cfg.forbidden_types, rtype)
        {
            out.push(deny(
                "forbidden_types",
                format!("{address}: resource type {rtype} is forbidden in this environment"),
            ));
        }
        if !cfg.allowed_addresses.is_empty()
            && changes_something
            && !glob::any_matches(&cfg.allowed_addresses, address)
        {
            out.push(deny(
                "allowed_addresses",
                format!(
                    "{address}: the plan changes it ({}), but it is outside allowed_addresses",
                    actions
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if !cfg.required_tags.is_empty() && has("create") {
            if let Some(c) = change {
                required_tags(cfg, address, c, out);
            }
        }
    }
}

/// The rules over the whole plan, once every part was walked.
pub(crate) fn finish(cfg: &BuiltinConfig, deletes: &Deletes, out: &mut Vec<PolicyResult>) {
    if let Some(max) = cfg.max_deletes {
        if deletes.count > max {
            let more = if deletes.count > deletes.shown.len() as u64 {
                format!(" and {} more", deletes.count - deletes.shown.len() as u64)
            } else {
                String::new()
            };
            out.push(deny(
                "max_deletes",
                format!(
                    "the plan deletes {} resources (replacements included), more than max_deletes = {max}: {}{more}",
                    deletes.count,
                    deletes.shown.join(", ")
                ),
            ));
        }
    }
}

pub(crate) fn protect_stateful(ctx: &FerryContext, out: &mut Vec<PolicyResult>) {
    protect_stateful_in(ctx.review.as_ref(), out)
}

/// [`protect_stateful`] given the review itself (the promotion path lends it rather than
/// copying it into the context).
pub(crate) fn protect_stateful_in(
    review: Option<&ferry_core::Review>,
    out: &mut Vec<PolicyResult>,
) {
    let Some(review) = review else {
        // Without a review the stateful catalog cannot be consulted; saying so beats a silent pass.
        out.push(PolicyResult {
            level: Level::Warn,
            source: SOURCE.to_string(),
            rule: "protect_stateful".to_string(),
            line: None,
            message: "no review was provided, so stateful resources could not be checked"
                .to_string(),
        });
        return;
    };
    for f in &review.findings {
        let verb = match f.kind {
            FindingKind::StatefulDelete => "deleted",
            FindingKind::StatefulReplace => "replaced (deleted and re-created)",
            _ => continue,
        };
        let detail = if f.message.is_empty() {
            String::new()
        } else {
            format!(": {}", f.message)
        };
        out.push(deny(
            "protect_stateful",
            format!("stateful resource {} would be {verb}{detail}", f.address),
        ));
    }
}

fn required_tags<'a>(
    cfg: &BuiltinConfig,
    address: &str,
    change: &'a Value,
    out: &mut Vec<PolicyResult>,
) {
    let after = change.get("after");
    let unknown = change.get("after_unknown");
    let field = |v: Option<&'a Value>, k: &str| v.and_then(|v| v.get(k)).filter(|v| !v.is_null());
    let tags = field(after, "tags");
    let tags_all = field(after, "tags_all");
    let tags_unknown = [field(unknown, "tags"), field(unknown, "tags_all")];
    let taggable = tags.is_some()
        || tags_all.is_some()
        || tags_unknown.iter().any(Option::is_some)
        || after.is_some_and(|a| a.get("tags").is_some() || a.get("tags_all").is_some());
    if !taggable {
        return;
    }
    let has_key = |m: &Option<&Value>, k: &str| m.and_then(|m| m.get(k)).is_some();
    let whole_unknown = tags_unknown
        .iter()
        .any(|u| u.and_then(Value::as_bool) == Some(true));
    let missing: Vec<&str> = cfg
        .required_tags
        .iter()
        .map(String::as_str)
        .filter(|k| {
            !has_key(&tags, k)
                && !has_key(&tags_all, k)
                && !tags_unknown
                    .iter()
                    .any(|u| u.and_then(|u| u.get(*k)).is_some())
        })
        .collect();
    if missing.is_empty() {
        return;
    }
    if whole_unknown {
        out.push(PolicyResult {
            level: Level::Warn,
            source: SOURCE.to_string(),
            rule: "required_tags".to_string(),
            line: None,
            message: format!(
                "{address}: tags are only known after apply; cannot verify {}",
                missing.join(", ")
            ),
        });
    } else {
        out.push(deny(
            "required_tags",
            format!(
                "{address}: created without required tag(s) {}",
                missing.join(", ")
            ),
        ));
    }
}

fn deny(rule: &str, message: String) -> PolicyResult {
    PolicyResult {
        level: Level::Deny,
        source: SOURCE.to_string(),
        rule: rule.to_string(),
        line: None,
        message,
    }
}
