//! The `rollback-readiness` values: the rollback target, the rehearsal's readiness facts
//! (verdict, changes, what blocks it, policy denials) and the migration readiness, with the
//! rehearsed plan's findings as the list that a size cut trims from the bottom.

use crate::fill::{review_items, summary_text, Item, RollbackInput};
use std::collections::BTreeMap;

pub(crate) fn parts(
    r: &RollbackInput<'_>,
    scalars: &mut BTreeMap<&'static str, String>,
    empty: &mut BTreeMap<&'static str, String>,
) -> Vec<Item> {
    scalars.insert("env", r.env.clone());
    scalars.insert("current_release", r.current_release.clone());
    scalars.insert("target_release", r.target_release.clone());
    scalars.insert("rehearsal", rehearsal(r));
    scalars.insert("migrations", migrations(r));
    empty.insert(
        "findings",
        match r.ready {
            None => "- (no rehearsed rollback plan)".into(),
            Some(_) => "- none".into(),
        },
    );
    r.review.map_or_else(Vec::new, |v| review_items(v, false))
}

fn rehearsal(r: &RollbackInput<'_>) -> String {
    let Some(ready) = r.ready else {
        return format!(
            "The rollback of {} to {} has not been rehearsed: ferry has no plan of it, so nothing below was checked against {}'s state.",
            r.env, r.target_release, r.env
        );
    };
    let mut text = format!(
        "Rehearsed{}: the rollback plan's review verdict is {}; it would: {}. ferry judged it {}.",
        r.rehearsed
            .as_ref()
            .map(|w| format!(" in {w}"))
            .unwrap_or_default(),
        r.review.map_or("unknown", |v| v.verdict.as_str()),
        r.review.map_or_else(|| "(no summary)".into(), summary_text),
        if ready {
            "READY"
        } else {
            "NOT READY (it would destroy stateful resources, a policy denies it, or the database's migrations would strand it)"
        }
    );
    if !r.policy_denies.is_empty() {
        text.push_str("\nPolicy denies the rollback plan:");
        for d in &r.policy_denies {
            text.push_str(&format!("\n- {}", d.replace('\n', " ")));
        }
    }
    text
}

fn migrations(r: &RollbackInput<'_>) -> String {
    match &r.migrations {
        None => format!(
            "No SQL migrations were applied in {} through ferry, so none can strand the rollback.",
            r.env
        ),
        Some(reasons) if reasons.is_empty() => format!(
            "READY: release {} works against the database's schema as it is now (its compat queries pass and no applied contract migration postdates it).",
            r.target_release
        ),
        Some(reasons) => {
            let mut text = format!(
                "NOT READY: release {} would break against the database as it is now:",
                r.target_release
            );
            for m in reasons {
                text.push_str(&format!("\n- {}", m.replace('\n', " ")));
            }
            text
        }
    }
}
