//! Every plan in the shared corpus (real Terraform 0.12–1.15 and OpenTofu output) is handled as
//! its README says: parsed with summary counts equal to the counted actions, or refused.

use ferry_core::{Summary, Verdict};
use ferry_plan::{review_files, PlanError, ReviewConfig};
use serde_json::Value;

/// The summary counted independently from a plain JSON tree, by the DESIGN.md rule.
fn expected_summary(plan: &Value) -> Summary {
    let mut s = Summary::default();
    for rc in plan["resource_changes"].as_array().into_iter().flatten() {
        let actions: Vec<&str> = rc["change"]["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        if actions.contains(&"forget") {
            s.forget += 1;
        } else if actions.contains(&"delete") && actions.contains(&"create") {
            s.replace += 1;
        } else {
            match actions.as_slice() {
                ["create"] => s.create += 1,
                ["update"] => s.update += 1,
                ["delete"] => s.delete += 1,
                ["read"] => s.read += 1,
                ["no-op"] => s.no_op += 1,
                other => panic!("unexpected actions {other:?}"),
            }
        }
    }
    s
}

#[test]
fn every_corpus_plan_is_parsed_or_refused_as_documented() {
    let Some(root) = crate::common::corpus() else {
        return;
    };
    let mut files: Vec<_> = ["terraform-json", "opentofu-show-json"]
        .iter()
        .flat_map(|d| {
            std::fs::read_dir(root.join(d))
                .unwrap_or_else(|e| panic!("corpus folder {}: {e}", root.join(d).display()))
                .map(|e| e.unwrap().path())
        })
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "corpus not found at {}", root.display());
    let mut parsed = 0;
    for path in &files {
        let name = format!(
            "{}/{}",
            path.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy(),
            path.file_name().unwrap().to_string_lossy()
        );
        let result = review_files(path, None, &ReviewConfig::default());
        match name.as_str() {
            "terraform-json/invalid__plan.json" => match result {
                Err(PlanError::Invalid {
                    line: 676,
                    column: 29,
                    message,
                    ..
                }) => {
                    assert!(message.contains("more than one JSON document"), "{message}")
                }
                other => panic!("{name}: {other:?}"),
            },
            "terraform-json/moved_block__show.json" => match result {
                Err(e @ PlanError::NotAPlan { .. }) => {
                    assert!(e.to_string().contains("state rendering"), "{e}")
                }
                other => panic!("{name}: {other:?}"),
            },
            "opentofu-show-json/plan-error__output.json" => {
                let outcome = result.unwrap();
                assert_eq!(outcome.review.verdict, Verdict::Block, "{name}");
                assert!(outcome.plan.errored);
            }
            _ => {
                let outcome = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                let tree: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
                assert_eq!(outcome.review.summary, expected_summary(&tree), "{name}");
                assert_eq!(
                    outcome.plan.format_version,
                    tree["format_version"].as_str().unwrap(),
                    "{name}"
                );
                parsed += 1;
            }
        }
    }
    assert_eq!(parsed, files.len() - 3);
}

#[test]
fn corpus_findings_on_known_files() {
    let Some(root) = crate::common::corpus() else {
        return;
    };
    let review = |f: &str| {
        review_files(&root.join(f), None, &ReviewConfig::default())
            .unwrap()
            .review
    };
    let r = review("opentofu-show-json/requires-replace__output.json");
    assert_eq!(
        crate::common::rows(&r),
        vec![crate::common::row(
            "replace",
            "warn",
            "test_instance.test",
            Some("ami")
        )]
    );
    let r = review("opentofu-show-json/drift__output.json");
    assert_eq!(
        crate::common::rows(&r),
        vec![crate::common::row(
            "drift",
            "warn",
            "test_instance.should_refresh",
            Some("ami")
        )]
    );
    // a moved resource is not a delete: one info finding saying where it moved from
    let r = review("terraform-json/moved_block__plan.json");
    let moved: Vec<_> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.kind.as_str(),
                f.severity,
                f.address.as_str(),
                f.message.as_str(),
            )
        })
        .collect();
    assert_eq!(
        moved,
        vec![(
            "moved",
            ferry_core::Severity::Info,
            "random_id.test2",
            "random_id.test2 was random_id.test: a moved block renames it in the state; the object is kept, not destroyed and created again."
        )]
    );
    assert_eq!(r.verdict, Verdict::Pass);
}
