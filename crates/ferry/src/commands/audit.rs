//! `ferry audit`: compares environments' inputs, topology and code layout, prints the report in
//! the chosen format and exits 3 when an unaccepted kind or structural difference remains, so CI
//! can gate on "staging resembles prod".

use crate::cli::AuditArgs;
use crate::exit::Blocked;
use crate::front::Ctx;
use crate::output::{json, out, Format};
use anyhow::Result;
use ferry_audit::render;

pub fn run(ctx: &Ctx, args: AuditArgs) -> Result<()> {
    let project = ctx.project()?;
    // A fresh checkout has no ledger: audit its inputs without creating one.
    let audit = if project.data_dir.join(ferry_store::LEDGER_FILE).is_file() {
        ctx.app()?.audit(&args.pair)?
    } else {
        ferry_app::ops::audit::audit_without_ledger(&project, &args.pair)?
    };
    if args.prompt {
        // The prompt is advice for a person and their assistant, not a gate: it always exits 0.
        let (_, secrets) = ctx.advisor_secrets(Some(&project));
        let filled = ferry_app::ops::advise::audit_prompt(
            &project,
            &audit,
            args.pair.last().map(String::as_str),
            &secrets,
        )?;
        out(&filled.text);
        return Ok(());
    }
    let report = &audit.report;
    match ctx.format {
        Format::Json => json(report),
        Format::Markdown => out(&render::markdown(report)),
        Format::Human => out(&render::human(report)),
    }
    if report.is_blocked() {
        let s = &report.summary;
        return Err(Blocked(format!(
            "audit found {} unaccepted kind or structural difference(s) ({} structural, {} kind); fix the inputs, pin the variable in [audit.variables], or accept it in [[audit.accept]] with a reason",
            s.blocking, s.structural, s.kind
        ))
        .into());
    }
    Ok(())
}
