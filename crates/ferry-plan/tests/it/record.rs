//! The change digest and the documents policies read, both made in the review's single pass.

use ferry_plan::{review_and_record, ReviewConfig};
use serde_json::{json, Value};

fn plan() -> Value {
    json!({
        "format_version": "1.2", "terraform_version": "1.11.4",
        "variables": {"environment": {"value": "prod"}, "db_password": {"value": "s3cr3t-pw"}},
        "planned_values": {"outputs": {"url": {"sensitive": false, "value": "https://x"}},
            "root_module": {"resources": [{"address": "terraform_data.a", "values": {"input": "a"}}],
                "child_modules": [{"address": "module.db", "resources": [
                    {"address": "module.db.terraform_data.subnet_group", "values": {"input": "g"}}]}]}},
        "resource_changes": [
            {"address": "terraform_data.a", "mode": "managed", "type": "terraform_data", "name": "a",
             "change": {"actions": ["update"], "before": {"input": "x", "id": "1"}, "after": {"input": "a", "id": "1"},
                        "after_unknown": {"output": true}, "before_sensitive": {}, "after_sensitive": {}}},
            {"address": "module.db.terraform_data.subnet_group", "mode": "managed", "type": "terraform_data",
             "name": "subnet_group", "deposed": "abc123",
             "change": {"actions": ["delete", "create"], "before": {"input": "old"}, "after": {"input": "g"},
                        "after_unknown": {}, "replace_paths": [["input"], ["triggers_replace"]]}}
        ],
        "output_changes": {"url": {"actions": ["update"], "before": "https://old", "after": "https://x",
                                   "after_unknown": false, "before_sensitive": false, "after_sensitive": false}},
        "prior_state": {"format_version": "1.0", "terraform_version": "1.11.4",
            "values": {"root_module": {"resources": [{"address": "terraform_data.a", "values": {"input": "x"}}]}}},
        "configuration": {"root_module": {"resources": [{"address": "terraform_data.a",
            "provisioners": [{"type": "local-exec", "expressions": {"command": {"constant_value": "echo hi"}}}]}]}},
        "timestamp": "2026-01-01T00:00:00Z", "applyable": true, "complete": true, "errored": false
    })
}

fn digest_of(v: &Value) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    std::fs::write(&path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    let (_, rec) = review_and_record(&path, None, &ReviewConfig::default()).unwrap();
    rec.change_digest().to_string()
}

#[test]
fn plans_of_the_same_change_made_at_different_times_have_one_digest() {
    let a = plan();
    let mut b = plan();
    b["timestamp"] = json!("2026-03-04T05:06:07Z");
    b["terraform_version"] = json!("1.11.5");
    b["prior_state"]["serial"] = json!(42);
    b["prior_state"]["values"]["root_module"]["resources"][0]["values"]["input"] = json!("other");
    b["planned_values"]["outputs"]["url"]["value"] =
        json!("ignored: planned values repeat the changes");
    // Entries in another order, members of values in another order.
    let changes = b["resource_changes"].as_array_mut().unwrap();
    changes.reverse();
    changes[1]["change"]["before"] = json!({"id": "1", "input": "x"});
    // replace_paths are a set.
    changes[0]["change"]["replace_paths"] = json!([["triggers_replace"], ["input"]]);
    let d = digest_of(&a);
    assert_eq!(d.len(), 64);
    assert_eq!(d, digest_of(&b));
}

#[test]
fn any_change_to_what_the_digest_covers_changes_it() {
    let base = digest_of(&plan());
    type Edit = Box<dyn Fn(&mut Value)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "address",
            Box::new(|p| p["resource_changes"][0]["address"] = json!("terraform_data.b")),
        ),
        (
            "deposed",
            Box::new(|p| p["resource_changes"][1]["deposed"] = json!("def456")),
        ),
        (
            "no deposed",
            Box::new(|p| {
                p["resource_changes"][1]
                    .as_object_mut()
                    .unwrap()
                    .remove("deposed");
            }),
        ),
        (
            "actions",
            Box::new(|p| {
                p["resource_changes"][1]["change"]["actions"] = json!(["create", "delete"])
            }),
        ),
        (
            "before",
            Box::new(|p| p["resource_changes"][0]["change"]["before"]["input"] = json!("y")),
        ),
        (
            "after",
            Box::new(|p| p["resource_changes"][0]["change"]["after"]["input"] = json!("b")),
        ),
        (
            "after_unknown",
            Box::new(|p| p["resource_changes"][0]["change"]["after_unknown"] = json!({})),
        ),
        (
            "replace_paths",
            Box::new(|p| p["resource_changes"][1]["change"]["replace_paths"] = json!([["input"]])),
        ),
        (
            "an entry more",
            Box::new(|p| {
                let extra = p["resource_changes"][0].clone();
                let list = p["resource_changes"].as_array_mut().unwrap();
                let mut e = extra;
                e["address"] = json!("terraform_data.c");
                list.push(e);
            }),
        ),
        (
            "output name",
            Box::new(|p| {
                let o = p["output_changes"]["url"].take();
                p["output_changes"] = json!({"endpoint": o});
            }),
        ),
        (
            "output actions",
            Box::new(|p| p["output_changes"]["url"]["actions"] = json!(["no-op"])),
        ),
        (
            "output before",
            Box::new(|p| p["output_changes"]["url"]["before"] = json!("https://older")),
        ),
        (
            "output after",
            Box::new(|p| p["output_changes"]["url"]["after"] = json!("https://y")),
        ),
        (
            "output after_unknown",
            Box::new(|p| p["output_changes"]["url"]["after_unknown"] = json!(true)),
        ),
        (
            "variable value",
            Box::new(|p| p["variables"]["db_password"]["value"] = json!("other-pw")),
        ),
        (
            "variable name",
            Box::new(|p| {
                let v = p["variables"]["environment"].take();
                p["variables"]
                    .as_object_mut()
                    .unwrap()
                    .remove("environment");
                p["variables"]["env"] = v;
            }),
        ),
        (
            "provisioner command",
            Box::new(|p| {
                p["configuration"]["root_module"]["resources"][0]["provisioners"][0]
                    ["expressions"]["command"]["constant_value"] = json!("rm -rf /")
            }),
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    seen.insert(base.clone());
    for (what, edit) in edits {
        let mut p = plan();
        edit(&mut p);
        let d = digest_of(&p);
        assert_ne!(d, base, "{what} did not change the digest");
        assert!(seen.insert(d), "{what} gave a digest seen before");
    }
}

#[test]
fn variable_values_never_appear_in_the_digest_inputs_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    std::fs::write(&path, serde_json::to_vec(&plan()).unwrap()).unwrap();
    let (_, rec) = review_and_record(&path, None, &ReviewConfig::default()).unwrap();
    assert!(!rec.change_digest().contains("s3cr3t"));
    assert!(!format!("{rec:?}").is_empty());
}

#[test]
fn a_small_plan_is_one_document_the_plan_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    let p = plan();
    std::fs::write(&path, serde_json::to_vec_pretty(&p).unwrap()).unwrap();
    let (_, rec) = review_and_record(&path, None, &ReviewConfig::default()).unwrap();
    let docs = rec.documents(1 << 20).unwrap();
    assert!(docs.whole());
    let all: Vec<Value> = docs
        .map(|d| serde_json::from_slice(&d.unwrap()).unwrap())
        .collect();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0], p);
}

#[test]
fn a_large_plan_is_windows_holding_every_element_once_and_the_small_sections_whole() {
    let mut p = plan();
    let template = p["resource_changes"][0].clone();
    let planned = p["planned_values"]["root_module"]["child_modules"][0]["resources"][0].clone();
    let mut changes = vec![];
    let mut child = vec![];
    for i in 0..200 {
        let mut e = template.clone();
        e["address"] = json!(format!("terraform_data.n{i}"));
        changes.push(e);
        let mut r = planned.clone();
        r["address"] = json!(format!("module.db.terraform_data.n{i}"));
        child.push(r);
    }
    p["resource_changes"] = json!(changes);
    p["planned_values"]["root_module"]["child_modules"][0]["resources"] = json!(child);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    std::fs::write(&path, serde_json::to_vec(&p).unwrap()).unwrap();
    let (outcome, rec) = review_and_record(&path, None, &ReviewConfig::default()).unwrap();
    assert_eq!(outcome.review.summary.update, 200);
    let docs = rec.documents(4096).unwrap();
    assert!(!docs.whole());
    let docs: Vec<Value> = docs
        .map(|d| serde_json::from_slice(&d.unwrap()).unwrap())
        .collect();
    assert!(docs.len() > 10, "{}", docs.len());
    let mut seen_changes = vec![];
    let mut seen_planned = vec![];
    for d in &docs {
        assert_eq!(d["configuration"], p["configuration"]);
        assert_eq!(d["variables"], p["variables"]);
        assert_eq!(d["output_changes"], p["output_changes"]);
        assert_eq!(
            d["planned_values"]["outputs"],
            p["planned_values"]["outputs"]
        );
        assert_eq!(d["prior_state"]["format_version"], "1.0");
        for rc in d["resource_changes"].as_array().unwrap() {
            seen_changes.push(rc.clone());
        }
        let root = &d["planned_values"]["root_module"];
        for r in root["resources"].as_array().into_iter().flatten() {
            seen_planned.push(r.clone());
        }
        for m in root["child_modules"].as_array().into_iter().flatten() {
            assert_eq!(m["address"], "module.db");
            seen_planned.extend(m["resources"].as_array().unwrap().iter().cloned());
        }
    }
    assert_eq!(Value::Array(seen_changes), p["resource_changes"]);
    let mut want = p["planned_values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .clone();
    want.extend(child);
    assert_eq!(seen_planned, want);
}
