//! Plan retention: beyond `[project] keep_plans` per environment the plan files and plan JSON
//! of old plans are removed after each plan and by `ferry gc`; the pending plan and the plan of
//! a known-good deployment (the next environment's baseline) always stay, so the pipeline goes
//! on working after a collection.

use crate::common::Project;

fn count(p: &Project, dir: &str) -> usize {
    std::fs::read_dir(p.data().join("artifacts").join(dir))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn old_plans_are_collected_and_what_the_pipeline_needs_stays() {
    let p = Project::example();
    p.edit(
        "ferry.toml",
        "root = \"infra\"",
        "root = \"infra\"\nkeep_plans = 2",
    );
    p.commit("keep two plans");
    p.release();
    p.ok(&["promote", "--to", "dev"]); // plan 1: applied, known-good (staging's baseline)
    for _ in 0..4 {
        p.ok(&["plan", "--env", "dev"]); // plans 2..5, each superseding the last
    }
    // newest two (5 pending, 4) + the known-good one
    assert_eq!(count(&p, "plan-files"), 3);
    // the no-change re-plans render the same JSON, stored once
    assert_eq!(count(&p, "plan-json"), 2);
    assert_eq!(
        p.json(&["gc"]),
        serde_json::json!({"plans_removed": 0, "plans_kept": 3, "bytes_freed": 0})
    );

    // the work tree may keep fewer: only what is needed stays
    p.edit("ferry.toml", "keep_plans = 2", "keep_plans = 0");
    let gc = p.json(&["gc"]);
    assert_eq!(gc["plans_removed"], 1, "{gc}");
    assert_eq!(gc["plans_kept"], 2, "{gc}");
    assert!(gc["bytes_freed"].as_u64().unwrap() > 0, "{gc}");
    assert_eq!(count(&p, "plan-files"), 2);
    assert_eq!(count(&p, "plan-json"), 2, "a JSON a kept plan shares stays");

    // the pending plan still applies, the baseline still serves staging, history verifies
    p.ok(&["apply", "--env", "dev"]);
    p.ok(&["promote", "--to", "staging", "--yes"]);
    p.ok(&["ledger", "verify"]);
}
