//! Prints a generated pipeline: `cargo run -p ferry-ci --example print -- FERRY_TOML github|gitlab`.
#![allow(clippy::unwrap_used, clippy::expect_used)]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read_to_string(&args[1]).unwrap();
    let config = ferry_core::Config::parse(&text, &args[1]).unwrap();
    let provider: ferry_ci::Provider = args[2].parse().unwrap();
    let g = ferry_ci::generate(
        &config,
        provider,
        &ferry_ci::Options {
            ferry_version: "0.1.0".into(),
            root: ".".into(),
            out: None,
        },
    )
    .unwrap();
    for w in &g.warnings {
        eprintln!("warning: {w}");
    }
    print!("{}", g.contents);
}
