//! `ferry release create | list | show | abandon`.

use crate::cli::ReleaseCommand;
use crate::front::Ctx;
use crate::output::{json, line, Format};
use anyhow::Result;

pub fn run(ctx: &Ctx, cmd: ReleaseCommand) -> Result<()> {
    let app = ctx.app()?;
    match cmd {
        ReleaseCommand::Create {
            commit,
            allow_dirty,
        } => {
            let who = ctx.claim(&app.project.root)?;
            let v = app.release_create(&who, commit.as_deref(), allow_dirty)?;
            match ctx.format {
                Format::Json => json(&v),
                _ => {
                    crate::say!(
                        "{} release of {}{} \"{}\" ({} files, {} bytes compressed)",
                        if v.already_existed {
                            "already have the"
                        } else {
                            "built"
                        },
                        v.commit.get(..12).unwrap_or(&v.commit),
                        if v.dirty {
                            " (dirty work tree: may not go past the first environment)"
                        } else {
                            ""
                        },
                        v.subject,
                        v.files,
                        v.size_compressed
                    );
                    line(v.id.to_string());
                }
            }
        }
        ReleaseCommand::List => {
            let list = app.release_list()?;
            match ctx.format {
                Format::Json => json(&list),
                _ => crate::render::releases(&list),
            }
        }
        ReleaseCommand::Show { id } => {
            let v = app.release_show(&id)?;
            match ctx.format {
                Format::Json => json(&v),
                _ => crate::render::release(&v),
            }
        }
        ReleaseCommand::Abandon { id, reason } => {
            let who = ctx.claim(&app.project.root)?;
            let v = app.release_abandon(&who, &id, &reason)?;
            match ctx.format {
                Format::Json => json(&v),
                _ => line(format!(
                    "release {} abandoned: it can no longer be promoted or rolled back to",
                    v.id.short()
                )),
            }
        }
    }
    Ok(())
}
