//! Benchmark of the audit at scale: generates a project with ENVS environments × VARS variables
//! (a promotion chain env00 → env01 → …, every value a quantity difference so the audit reads,
//! classifies and reports everything), then times `ferry_audit::audit` over all adjacent pairs.
//!
//! ```sh
//! cargo run --release -p ferry-audit --example bench_audit -- [ENVS] [VARS] [--keep DIR]
//! ```
//!
//! With `--keep DIR` the generated project (with its ferry.toml) stays in DIR, so the whole
//! command can be timed too: `time ferry -C DIR --format json audit > /dev/null`.

use ferry_audit::{audit, AuditConfig, AuditInput, EnvSpec};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

const SIZES: &[&str] = &["micro", "small", "medium", "large", "xlarge", "2xlarge"];

fn value(var: usize, env: usize) -> String {
    match var % 6 {
        0 => format!("{}", env + 1),
        1 => format!("\"t3.{}\"", SIZES[env % SIZES.len()]),
        2 => format!("\"{}Gi\"", 10 * (env + 1)),
        3 => format!("\"e2-standard-{}\"", 2 << (env % 4)),
        4 => format!("\"app-env{env:02}.example.com\""),
        _ => format!(
            "[{}]",
            (0..=env % 3)
                .map(|i| format!("\"10.{env}.{i}.0/24\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn generate(dir: &Path, envs: usize, vars: usize) -> std::io::Result<Vec<EnvSpec>> {
    let infra = dir.join("infra");
    std::fs::create_dir_all(infra.join("environments"))?;
    let mut decls = String::new();
    let mut uses = String::from("locals {\n  all = [\n");
    for v in 0..vars {
        let ty = match v % 6 {
            0 => "number",
            5 => "list(string)",
            _ => "string",
        };
        let _ = writeln!(decls, "variable \"v{v:03}\" {{\n  type = {ty}\n}}\n");
        let _ = writeln!(uses, "    var.v{v:03},");
    }
    uses.push_str("  ]\n}\n");
    std::fs::write(infra.join("variables.tf"), decls)?;
    std::fs::write(infra.join("main.tf"), uses)?;
    let mut toml = String::from("[project]\nroot = \"infra\"\n");
    let mut specs = Vec::new();
    for e in 0..envs {
        let name = format!("env{e:02}");
        let mut text = String::new();
        for v in 0..vars {
            let _ = writeln!(text, "v{v:03} = {}", value(v, e));
        }
        let file = format!("infra/environments/{name}.tfvars");
        std::fs::write(dir.join(&file), text)?;
        let from = (e > 0).then(|| format!("env{:02}", e - 1));
        let _ = write!(
            toml,
            "\n[[environment]]\nname = \"{name}\"\nvar_files = [\"{file}\"]\n"
        );
        if let Some(f) = &from {
            let _ = writeln!(toml, "from = \"{f}\"");
        }
        specs.push(EnvSpec {
            name,
            var_files: vec![dir.join(file)],
            plan: None,
            from,
        });
    }
    std::fs::write(dir.join("ferry.toml"), toml)?;
    Ok(specs)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let keep = args
        .iter()
        .position(|a| a == "--keep")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let numbers: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let envs = numbers.first().copied().unwrap_or(50);
    let vars = numbers.get(1).copied().unwrap_or(500);
    let temp;
    let dir = match &keep {
        Some(d) => d.clone(),
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let environments = generate(&dir, envs, vars)?;
    let input = AuditInput {
        project_root: dir.clone(),
        root_module: dir.join("infra"),
        environments,
        pairs: Vec::new(),
        config: AuditConfig::default(),
    };
    let mut best = f64::MAX;
    let mut differences = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let result = audit(&input)?;
        best = best.min(start.elapsed().as_secs_f64());
        differences = result.report.differences.len();
    }
    println!(
        "audit of {envs} environments x {vars} variables ({} pairs, {differences} differences): best of 5 {:.1} ms",
        envs.saturating_sub(1),
        best * 1000.0
    );
    if keep.is_some() {
        println!("project kept in {}", dir.display());
    }
    Ok(())
}
