//! Every statement of the corpus against its hand-reviewed class in `tests/corpus/expected.tsv`.

use crate::corpus_dir;
use ferry_migrate::check::{check_paths, FileCheck, Severity};
use std::collections::BTreeMap;

pub fn checked_corpus() -> Vec<FileCheck> {
    check_paths(&[corpus_dir()]).unwrap()
}

pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap()
}

#[test]
fn every_corpus_statement_gets_its_expected_class() {
    let text = std::fs::read_to_string(corpus_dir().join("expected.tsv")).unwrap();
    let mut expected: BTreeMap<String, (String, String, String)> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 4, "bad expectations line: {line}");
        let old = expected.insert(
            cols[0].to_string(),
            (
                cols[1].to_string(),
                cols[2].to_string(),
                cols[3].to_string(),
            ),
        );
        assert!(old.is_none(), "{} is listed twice", cols[0]);
    }
    let mut seen = 0;
    let mut wrong = Vec::new();
    for file in checked_corpus() {
        for st in &file.statements {
            let at = format!("{}:{}", file_name(&file.file), st.line);
            let severity = file
                .findings
                .iter()
                .filter(|f| f.line == st.line)
                .map(|f| f.severity)
                .max()
                .unwrap_or(Severity::Info);
            let got = (
                st.class.as_str().to_string(),
                severity.as_str().to_string(),
                st.summary.clone(),
            );
            match expected.get(&at) {
                None => wrong.push(format!("{at}: no expectation for `{}`", st.summary)),
                Some(want) if *want != got => {
                    wrong.push(format!("{at}: expected {want:?}, got {got:?}"))
                }
                Some(_) => {}
            }
            seen += 1;
        }
    }
    assert_eq!(
        seen,
        expected.len(),
        "statement count differs from expected.tsv"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
