//! A sensitive value planted in a plan appears in no output: not in any rendering, not in the
//! baseline comparison, not in an error message.

use ferry_plan::{
    render_human, render_json, render_markdown, review_bytes, ReviewConfig, SENSITIVE_MARKER,
};

const SECRET: &str = "hunter2-PLANTED-s3cr3t";
const VAR_SECRET: &str = "var-PLANTED-pa55word";

/// A plan where the secret sits in every place a value could leak from: a sensitive attribute
/// that changes (downtime path, drift, not-in-baseline), a replaced stateful resource, a
/// sensitive root variable that differs from the baseline's, and a copy of the secret in an
/// attribute the provider forgot to mark.
fn plan(secret: &str, var_secret: &str) -> Vec<u8> {
    format!(
        r#"{{"format_version":"1.2","variables":{{"db_password":{{"value":"{var_secret}"}},"instance_type":{{"value":"{var_secret}"}}}},
        "planned_values":{{}},
        "resource_drift":[{{"address":"aws_db_instance.db","mode":"managed","type":"aws_db_instance","name":"db",
            "change":{{"actions":["update"],"before":{{"password":"old","instance_class":"a"}},"after":{{"password":"{secret}","instance_class":"a"}},
            "before_sensitive":{{"password":true}},"after_sensitive":{{"password":true}}}}}}],
        "resource_changes":[
          {{"address":"aws_db_instance.db","mode":"managed","type":"aws_db_instance","name":"db",
            "change":{{"actions":["update"],"before":{{"password":"old","instance_class":"{secret}"}},"after":{{"password":"{secret}","instance_class":"db.r6g.large"}},
            "after_unknown":{{}},"before_sensitive":{{"password":true,"instance_class":true}},"after_sensitive":{{"password":true}}}}}},
          {{"address":"aws_instance.leaky","mode":"managed","type":"aws_instance","name":"leaky",
            "change":{{"actions":["update"],"before":{{"instance_type":"t3.small","user_data":"x"}},"after":{{"instance_type":"t3.large","user_data":"echo {secret}"}},
            "after_unknown":{{}},"before_sensitive":{{}},"after_sensitive":{{}}}}}},
          {{"address":"aws_instance.typed","mode":"managed","type":"aws_instance","name":"typed",
            "change":{{"actions":["update"],"before":{{"instance_type":"t3.small"}},"after":{{"instance_type":"{var_secret}"}}}}}},
          {{"address":"aws_s3_bucket.b","mode":"managed","type":"aws_s3_bucket","name":"b",
            "change":{{"actions":["delete","create"],"before":{{"bucket":"{secret}"}},"after":{{"bucket":"{secret}"}},
            "replace_paths":[["bucket"]],"before_sensitive":{{"bucket":true}},"after_sensitive":{{"bucket":true}}}}}}
        ],
        "configuration":{{"root_module":{{"variables":{{"db_password":{{"sensitive":true}},"instance_type":{{"sensitive":true}}}},
          "resources":[{{"address":"aws_instance.typed","expressions":{{"instance_type":{{"references":["var.instance_type"]}}}}}},
                       {{"address":"aws_db_instance.db","expressions":{{"password":{{"references":["var.db_password"]}}}}}}]}}}}}}"#
    )
    .into_bytes()
}

#[test]
fn planted_secrets_appear_in_no_output_format() {
    let prod = plan(SECRET, VAR_SECRET);
    let baseline = plan("baseline-secret", "baseline-var");
    let outcome = review_bytes(&prod, Some(&baseline), &ReviewConfig::default()).unwrap();
    let outputs = [
        render_human(&outcome.review, false),
        render_human(&outcome.review, true),
        render_markdown(&outcome.review),
        render_json(&outcome.review),
        serde_json::to_string(&outcome.comparison).unwrap(),
        serde_json::to_string(&outcome.plan).unwrap(),
    ];
    // The review must really have findings that show values, or this test proves nothing.
    assert!(
        outcome.review.findings.len() >= 5,
        "{:#?}",
        outcome.review.findings
    );
    let json = &outputs[3];
    assert!(json.contains(SENSITIVE_MARKER), "{json}");
    assert!(
        json.contains("db.r6g.large") || json.contains("t3.large"),
        "values are shown when not sensitive: {json}"
    );
    for out in &outputs {
        for secret in [SECRET, VAR_SECRET, "baseline-secret", "baseline-var"] {
            assert!(!out.contains(secret), "{secret} leaked into:\n{out}");
        }
    }
}

#[test]
fn secrets_do_not_leak_through_error_messages() {
    let mut broken = plan(SECRET, VAR_SECRET);
    // Cut the document just after the secret: the error names a position, not the content.
    let at = String::from_utf8_lossy(&broken).find(SECRET).unwrap() + SECRET.len() + 1;
    broken.truncate(at);
    let err = review_bytes(&broken, None, &ReviewConfig::default())
        .unwrap_err()
        .to_string();
    assert!(!err.contains(SECRET), "{err}");
    assert!(err.contains("truncated"), "{err}");
}
