//! `ferry prompt list` and `ferry prompt show NAME`: the prompt library in effect here — the
//! built-in templates with the work tree's `prompts/` on top.

use crate::cli::PromptCommand;
use crate::front::Ctx;
use crate::output::{json, line, out, Format};
use anyhow::Result;
use ferry_advisor::Source;

pub fn run(ctx: &Ctx, cmd: PromptCommand) -> Result<()> {
    let start = ctx.start().ok();
    let library = ferry_app::ops::advise::work_tree_library(start.as_deref())?;
    match cmd {
        PromptCommand::List => {
            let all: Vec<_> = library.list().collect();
            if ctx.format == Format::Json {
                json(&all);
                return Ok(());
            }
            for t in all {
                let from = match &t.source {
                    Source::BuiltIn => "built-in".to_string(),
                    Source::Project {
                        path,
                        overrides: Some(v),
                    } => format!("{path} (overrides built-in v{v})"),
                    Source::Project { path, .. } => path.clone(),
                };
                line(format!(
                    "{:<20} v{:<3} {:<9} {}  [{from}]",
                    t.name,
                    t.version,
                    t.input.as_str(),
                    t.description
                ));
            }
        }
        PromptCommand::Show { name } => {
            let t = library.get(&name)?;
            if ctx.format == Format::Json {
                json(&serde_json::json!({
                    "template": t,
                    "text": t.text,
                    "placeholders": t.input.placeholders(),
                }));
            } else {
                out(&t.text);
            }
        }
    }
    Ok(())
}
