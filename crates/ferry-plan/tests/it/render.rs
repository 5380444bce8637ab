//! Renderings of very large reviews: the JSON lists every finding and stays one valid document
//! written as it is produced; human and markdown listings are capped and say what they left out.

use ferry_core::Review;
use ferry_plan::{
    render_human_to, render_json, render_json_to, render_markdown_capped, review_bytes,
    ReviewConfig,
};

/// 300,000 findings: 100,000 each of delete, replace and forget.
fn huge_review() -> Review {
    let mut entries = String::with_capacity(64 << 20);
    entries.push_str(r#"{"format_version":"1.2","planned_values":{},"resource_changes":["#);
    for i in 0..300_000u32 {
        if i > 0 {
            entries.push(',');
        }
        let actions = match i % 3 {
            0 => r#"["delete"]"#,
            1 => r#"["delete","create"]"#,
            _ => r#"["forget"]"#,
        };
        entries.push_str(&format!(
            r#"{{"address":"module.m[\"{}\"].aws_instance.x[{i}]","mode":"managed","type":"aws_instance","name":"x","change":{{"actions":{actions},"before":{{"id":"i-{i}"}},"after":null}}}}"#,
            i % 7
        ));
    }
    entries.push_str("]}");
    review_bytes(entries.as_bytes(), None, &ReviewConfig::default())
        .unwrap()
        .review
}

/// A writer that checks the JSON as it arrives would be overkill; counting writes shows the
/// text was produced in pieces rather than as one string.
struct Counting {
    bytes: Vec<u8>,
    writes: usize,
}

impl std::io::Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writes += 1;
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn hundreds_of_thousands_of_findings_stream_as_one_complete_json_document() {
    let review = huge_review();
    assert_eq!(review.findings.len(), 300_000);
    let mut out = Counting {
        bytes: Vec::new(),
        writes: 0,
    };
    render_json_to(&mut out, &review).unwrap();
    assert!(out.writes > 100, "written in {} pieces", out.writes);
    let doc: serde_json::Value = serde_json::from_slice(&out.bytes).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 300_000);
    assert_eq!(doc["verdict"], "warn");
    assert_eq!(doc["summary"]["delete"], 100_000);
    assert_eq!(doc["summary"]["replace"], 100_000);
    assert_eq!(doc["summary"]["forget"], 100_000);
    // The same bytes as the string rendering, plus the closing newline.
    assert_eq!(
        String::from_utf8(out.bytes).unwrap(),
        format!("{}\n", render_json(&review))
    );
}

#[test]
fn human_and_markdown_listings_state_the_cap_and_what_they_left_out() {
    let review = huge_review();
    let mut human = Vec::new();
    render_human_to(&mut human, &review, false, Some(50)).unwrap();
    let human = String::from_utf8(human).unwrap();
    assert_eq!(human.matches("\n    - ").count(), 50, "{human}");
    assert!(
        human.contains("299950 more findings are not listed here (50 of 300000 shown, at most 50 are listed); `--format json` lists them all."),
        "{human}"
    );
    // Every kind keeps its heading and full count.
    for heading in ["delete (100000)", "replace (100000)", "forget (100000)"] {
        assert!(human.contains(heading), "{heading} in {human}");
    }
    assert!(
        human.ends_with("Verdict: WARN (200000 warn, 100000 info)\n"),
        "{human}"
    );

    let md = render_markdown_capped(&review, Some(20));
    assert_eq!(md.matches("\n- `").count(), 20, "{md}");
    assert!(
        md.contains(
            "_299980 more findings are not shown here (20 of 300000 shown, at most 20 are listed)"
        ),
        "{md}"
    );
    let uncapped = render_markdown_capped(&review, None);
    assert!(
        uncapped.contains("shown, comment size limit)"),
        "{uncapped}"
    );
}
