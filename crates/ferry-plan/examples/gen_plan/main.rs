//! Writes a synthetic `terraform show -json` plan of any size, for the review benchmark
//! (`scripts/bench-review`). Real plans of gigabytes are rare and private; these have their
//! shape, in two variants:
//!
//! - `--shape large` (default, [`large`]): few, large resource changes (~4 KiB of plan each).
//! - `--shape small` ([`small`]): a big monorepo's plan, ~580 000 resource changes per GiB
//!   (~1 KiB each in `resource_changes`, repeated in `planned_values` and `prior_state`), in
//!   nested for_each'd modules with count indexes, nested blocks and sensitive attributes.
//!
//! Same `--seed`, shape and size give the same resources; `--env staging|prod` varies the
//! inputs the way two environments of one release differ.
//!
//! ```text
//! cargo run --release -p ferry-plan --example gen_plan -- --size-mb 1024 --env prod --out /tmp/prod.json
//! cargo run --release -p ferry-plan --example gen_plan -- --shape small --size-mb 1024 --env staging --out /tmp/staging.json
//! cargo run --release -p ferry-plan --example gen_plan -- --resources 5000 --env staging --out /tmp/staging.json
//! ```

mod large;
mod small;

use std::io::{BufWriter, Write};

pub(crate) struct Args {
    pub resources: Option<u64>,
    pub size_mb: Option<u64>,
    pub env: String,
    pub seed: u64,
    pub out: Option<String>,
    /// Small shape: module calls inside the team module (each of 32 resource blocks).
    pub module_calls: Option<u64>,
    small: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        resources: None,
        size_mb: None,
        env: "prod".into(),
        seed: 7,
        out: None,
        module_calls: None,
        small: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--resources" => a.resources = Some(value()?.parse().map_err(|e| format!("--resources: {e}"))?),
            "--size-mb" => a.size_mb = Some(value()?.parse().map_err(|e| format!("--size-mb: {e}"))?),
            "--env" => a.env = value()?,
            "--seed" => a.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--out" => a.out = Some(value()?),
            "--module-calls" => a.module_calls = Some(value()?.parse().map_err(|e| format!("--module-calls: {e}"))?),
            "--shape" => {
                a.small = match value()?.as_str() {
                    "large" => false,
                    "small" => true,
                    other => return Err(format!("--shape {other}: expected large or small")),
                }
            }
            other => return Err(format!("unknown argument {other}; use --resources N | --size-mb M, --shape large|small, --module-calls N, --env E, --seed S, --out FILE")),
        }
    }
    if a.resources.is_none() && a.size_mb.is_none() {
        return Err("pass --resources N or --size-mb M".into());
    }
    Ok(a)
}

/// SplitMix64: deterministic per resource index, so every section agrees on each resource.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The output file (or stdout), buffered.
pub(crate) fn open_out(a: &Args) -> Result<BufWriter<Box<dyn Write>>, String> {
    let out: Box<dyn Write> = match &a.out {
        Some(p) => Box::new(std::fs::File::create(p).map_err(|e| format!("{p}: {e}"))?),
        None => Box::new(std::io::stdout().lock()),
    };
    Ok(BufWriter::with_capacity(8 << 20, out))
}

fn main() {
    let run = || -> Result<(), String> {
        let a = parse_args()?;
        if a.small {
            small::run(&a)
        } else {
            large::run(&a)
        }
    };
    if let Err(e) = run() {
        eprintln!("gen_plan: {e}");
        std::process::exit(1);
    }
}
