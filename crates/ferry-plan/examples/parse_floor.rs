//! The floor `scripts/bench-review` measures ferry against: a bare `serde_json` parse of each
//! file into `IgnoredAny` (no model, no checks beyond the grammar), one file after the other, as
//! a program that only validates the JSON would. `--reader` parses through a buffered reader
//! instead of reading each file whole first.
//!
//! ```text
//! cargo run --release -p ferry-plan --example parse_floor -- prod.json staging.json
//! ```

use serde::de::IgnoredAny;
use std::io::BufReader;
use std::time::Instant;

fn main() {
    let mut reader = false;
    let mut files = Vec::new();
    for a in std::env::args().skip(1) {
        if a == "--reader" {
            reader = true;
        } else {
            files.push(a);
        }
    }
    let start = Instant::now();
    for f in &files {
        let parsed = if reader {
            std::fs::File::open(f)
                .map_err(|e| e.to_string())
                .and_then(|file| {
                    serde_json::from_reader::<_, IgnoredAny>(BufReader::with_capacity(
                        1 << 20,
                        file,
                    ))
                    .map_err(|e| e.to_string())
                })
        } else {
            std::fs::read(f)
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    serde_json::from_slice::<IgnoredAny>(&bytes).map_err(|e| e.to_string())
                })
        };
        if let Err(e) = parsed {
            eprintln!("parse_floor: {f}: {e}");
            std::process::exit(1);
        }
    }
    eprintln!(
        "parse_floor: {} files in {:.2} s",
        files.len(),
        start.elapsed().as_secs_f64()
    );
}
