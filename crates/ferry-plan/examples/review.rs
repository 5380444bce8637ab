//! `ferry review` without the rest of the binary, for profiling and for the benchmarks of the
//! library alone: reviews PLAN (against BASE) and prints the JSON rendering.
//!
//! ```text
//! cargo run --release -p ferry-plan --example review -- prod.json --baseline staging.json > review.json
//! ```

use ferry_plan::{render_json, review_files, ReviewConfig};
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut plan = None;
    let mut baseline = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--baseline" => baseline = args.next().map(PathBuf::from),
            _ => plan = Some(PathBuf::from(a)),
        }
    }
    let Some(plan) = plan else {
        eprintln!("usage: review PLAN.json [--baseline BASE.json]");
        std::process::exit(2);
    };
    match review_files(&plan, baseline.as_deref(), &ReviewConfig::default()) {
        Ok(outcome) => println!("{}", render_json(&outcome.review)),
        Err(e) => {
            eprintln!("review: {e}");
            std::process::exit(1);
        }
    }
}
