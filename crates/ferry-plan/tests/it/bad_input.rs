//! Bad input is refused with the file, the position and what was expected — never a panic,
//! never unbounded memory.

use ferry_plan::{review_bytes, review_files, PlanError, ReviewConfig};

fn refuse(bytes: &[u8]) -> String {
    match review_bytes(bytes, None, &ReviewConfig::default()) {
        Ok(o) => panic!("accepted: {:?}", o.review),
        Err(e) => e.to_string(),
    }
}

const PLAN: &str = r#"{"format_version":"1.2","planned_values":{"root_module":{}},"resource_changes":[
{"address":"a.b","mode":"managed","type":"a","name":"b","change":{"actions":["create"],"before":null,"after":{"x":1}}}]}"#;

#[test]
fn truncated_json_names_where_it_stopped() {
    let cut = &PLAN.as_bytes()[..PLAN.len() - 10];
    assert_eq!(
        refuse(cut),
        format!("<plan>:2:{} (byte {}): unexpected end of file, expected the end of one resource change: the JSON is truncated", cut.len() - PLAN.find('\n').unwrap(), cut.len())
    );
}

#[test]
fn human_plan_text_is_recognised() {
    let text = b"Terraform used the selected providers to generate the following execution plan.\n  # aws_instance.web will be created\n";
    assert_eq!(
        refuse(text),
        "<plan>: not JSON (starts with 'T'); this looks like the human-readable `terraform plan` output: save the plan with `terraform plan -out=PLANFILE` and pass `terraform show -json PLANFILE`"
    );
}

#[test]
fn a_state_file_is_not_a_plan() {
    let state = br#"{"format_version":"1.0","terraform_version":"1.5.3","values":{"root_module":{"resources":[]}}}"#;
    assert_eq!(
        refuse(state),
        "<plan>: this is a state rendering (`values` without `planned_values` or `resource_changes`), not a plan: pass the JSON of a saved plan, `terraform show -json PLANFILE`"
    );
    // A raw state file (terraform.tfstate) is not a plan either.
    let tfstate = br#"{"version":4,"terraform_version":"1.5.3","serial":1,"lineage":"x","outputs":{},"resources":[]}"#;
    assert!(refuse(tfstate).contains("not a Terraform/OpenTofu plan JSON"));
}

#[test]
fn wrong_types_inside_an_entry_name_the_entry_and_position() {
    let bad = PLAN.replace(r#""actions":["create"]"#, r#""actions":"create""#);
    let msg = refuse(bad.as_bytes());
    let at = bad.find(r#""create""#).unwrap();
    assert_eq!(
        msg,
        format!(
            "<plan>:2:{} (byte {}): resource_changes[0]: invalid type: string \"create\", expected a sequence",
            at - bad.find('\n').unwrap() + "create\"".len(),
            at + "\"create\"".len() - 1
        )
    );
    let unknown = PLAN.replace(r#"["create"]"#, r#"["explode"]"#);
    assert!(refuse(unknown.as_bytes())
        .contains("resource_changes[0] (a.b): unknown actions [\"explode\"]"));
    let missing = PLAN.replace(r#""address":"a.b","#, "");
    assert!(refuse(missing.as_bytes()).contains("resource_changes[0]: missing field `address`"));
    let not_array = r#"{"format_version":"1.2","planned_values":{},"resource_changes":{"a":1}}"#;
    assert_eq!(
        refuse(not_array.as_bytes()),
        "<plan>:1:64 (byte 63): resource_changes must be an array, found '{'"
    );
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
        let deep = format!(
            r#"{{"format_version":"1.2","planned_values":{}1{}}}"#,
            open.repeat(100_000),
            close.repeat(100_000)
        );
        assert!(refuse(deep.as_bytes()).contains("nesting deeper than 512 levels"));
        let entries = format!(
            r#"{{"format_version":"1.2","planned_values":{{}},"resource_changes":[{}1{}]}}"#,
            open.repeat(100_000),
            close.repeat(100_000)
        );
        assert!(refuse(entries.as_bytes()).starts_with("<plan>:1:"));
        // Deep *inside an attribute value* too: the review walks values only so deep, so a
        // difference below the limit would go unseen; the plan is refused (fail closed).
        let value = PLAN.replace(
            r#"{"x":1}"#,
            &format!("{}1{}", open.repeat(100_000), close.repeat(100_000)),
        );
        assert!(refuse(value.as_bytes()).contains("nesting deeper than 512 levels"));
    }
}

#[test]
fn non_utf8_is_refused_with_its_offset() {
    let mut bad = PLAN.as_bytes().to_vec();
    let at = PLAN.find("a.b").unwrap();
    bad[at] = 0xff;
    assert_eq!(
        refuse(&bad),
        format!(
            "<plan>:2:{} (byte {at}): invalid UTF-8: plan JSON must be UTF-8 text",
            at - PLAN.find('\n').unwrap()
        )
    );
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(PLAN.bytes().flat_map(|b| [b, 0]))
        .collect();
    assert!(refuse(&utf16).contains("UTF-16"));
}

#[test]
fn other_refusals() {
    assert_eq!(refuse(b""), "<plan>: the file is empty");
    assert_eq!(refuse(b"  {}  "), "<plan>: no `planned_values` or `resource_changes`: not a Terraform/OpenTofu plan JSON (`terraform show -json PLANFILE`)");
    assert!(refuse(b"[1,2]").contains("a JSON array, not a plan object"));
    assert_eq!(
        refuse(br#"{"format_version":"2.0","planned_values":{}}"#),
        "<plan>: plan format_version 2.0 is not supported (ferry reads 0.x and 1.x); upgrade ferry or render the plan with an older terraform/tofu"
    );
    assert!(refuse(br#"{"planned_values":{}}"#).contains("no `format_version`"));
    assert!(
        refuse(br#"{"format_version":"1.0","planned_values":{},"planned_values":{}}"#)
            .contains("duplicate key \"planned_values\"")
    );
    assert!(
        refuse(br#"{"format_version":"1.0","planned_values":{},"errored":"yes"}"#)
            .contains("errored: invalid type: string \"yes\", expected a boolean")
    );
    assert!(
        refuse(br#"{"format_version":"1.0","planned_values":{"a":[1,2,]}}"#)
            .contains("expected a JSON value, found ']'")
    );
}

#[test]
fn a_missing_file_names_it() {
    let e = review_files(
        "/nonexistent/plan.json".as_ref(),
        None,
        &ReviewConfig::default(),
    )
    .unwrap_err();
    assert!(matches!(e, PlanError::Io { .. }));
    assert!(e
        .to_string()
        .starts_with("/nonexistent/plan.json: cannot read:"));
}
