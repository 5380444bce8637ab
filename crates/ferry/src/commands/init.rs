//! `ferry init [--check]`: scaffold or validate ferry.toml and the project layout.

use crate::cli::InitArgs;
use crate::front::Ctx;
use crate::output::{json, line, Format};
use anyhow::Result;

pub fn run(ctx: &Ctx, args: InitArgs) -> Result<()> {
    let v = ferry_app::ops::init::init(&ctx.start()?, args.check, ctx.data_dir().as_deref())?;
    if v.scaffolded {
        crate::say!(
            "wrote {} with environments {}",
            v.config.display(),
            v.environments.join(" → ")
        );
    }
    match ctx.format {
        Format::Json => json(
            &serde_json::json!({"config": v.config, "valid": v.valid, "environments": v.environments}),
        ),
        _ => line(format!(
            "{} is valid: environments {}",
            v.config.display(),
            v.environments.join(" → ")
        )),
    }
    Ok(())
}
