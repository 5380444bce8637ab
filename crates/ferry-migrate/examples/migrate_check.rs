//! The review as a process, for benchmarks: `migrate_check [--format json|human|markdown]
//! PATH...` prints the report like `ferry migrate check` will and exits 3 on block, 1 on error.

use ferry_migrate::check::{check_paths, render, CheckReport, Verdict};
use std::path::PathBuf;

fn main() {
    let mut format = "json".to_string();
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--format" => format = args.next().unwrap_or_default(),
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    let files = match check_paths(&paths) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let report = CheckReport::from_files(&files);
    let text = match format.as_str() {
        "human" => render::human(&report),
        "markdown" => render::markdown(&report),
        _ => render::json(&report),
    };
    print!("{text}");
    std::process::exit(if report.verdict == Verdict::Block {
        3
    } else {
        0
    });
}
