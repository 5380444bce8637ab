//! `ferry release create | list | show | abandon`.

use crate::cli::ReleaseCommand;
use crate::output::{print_json, Format};
use crate::session::{now, Session};
use anyhow::Result;
use ferry_store::{Ledger, ReleaseRecord};
use std::path::Path;

pub fn run(dir: Option<&Path>, format: Format, cmd: ReleaseCommand) -> Result<()> {
    let session = Session::open(dir)?;
    match cmd {
        ReleaseCommand::Create {
            commit,
            allow_dirty,
        } => create(&session, format, commit.as_deref(), allow_dirty),
        ReleaseCommand::List => list(&session, format),
        ReleaseCommand::Show { id } => show(&session, format, &id),
        ReleaseCommand::Abandon { id, reason } => abandon(&session, format, &id, &reason),
    }
}

fn create(
    session: &Session,
    format: Format,
    commit: Option<&str>,
    allow_dirty: bool,
) -> Result<()> {
    let built = session
        .releases
        .create(&session.project.root, commit, allow_dirty)?;
    let record = ReleaseRecord {
        id: built.id.clone(),
        commit: built.manifest.commit.clone(),
        dirty: built.manifest.dirty,
        subject: built.manifest.subject.clone(),
        author: built.manifest.author.clone(),
        created_by: session.actor()?,
        created_at: now(),
        abandoned: None,
    };
    let inserted = session.ledger.record_release(&record)?;
    if inserted {
        session.event(
            None,
            "release.created",
            Some(&record.id),
            None,
            format!(
                "release of {} \"{}\"",
                short_commit(&record.commit),
                record.subject
            ),
        )?;
    }
    let stored = session.ledger.release(&record.id)?.unwrap_or(record);
    match format {
        Format::Json => print_json(&serde_json::json!({
            "id": stored.id,
            "commit": stored.commit,
            "dirty": stored.dirty,
            "subject": stored.subject,
            "files": built.manifest.files.len(),
            "size_compressed": built.size_compressed,
            "size_uncompressed": built.size_uncompressed,
            "already_existed": !inserted,
        }))?,
        _ => {
            eprintln!(
                "{} release of {}{} \"{}\" ({} files, {} bytes compressed)",
                if inserted {
                    "built"
                } else {
                    "already have the"
                },
                short_commit(&stored.commit),
                if stored.dirty {
                    " (dirty work tree: may not go past the first environment)"
                } else {
                    ""
                },
                stored.subject,
                built.manifest.files.len(),
                built.size_compressed
            );
            println!("{}", stored.id);
        }
    }
    Ok(())
}

fn short_commit(c: &str) -> &str {
    c.get(..12).unwrap_or(c)
}

fn list(session: &Session, format: Format) -> Result<()> {
    let releases = session.ledger.releases()?;
    if format == Format::Json {
        return print_json(&releases);
    }
    if releases.is_empty() {
        eprintln!("no releases yet; run `ferry release create`");
    }
    for r in releases {
        let deployed: Vec<String> = session
            .project
            .config
            .chain_order()
            .iter()
            .filter(|e| session.known_good_in(e.name(), &r.id).unwrap_or(false))
            .map(|e| e.name().to_string())
            .collect();
        println!(
            "{}  {}  {}{}{}  {}",
            r.id.short(),
            short_commit(&r.commit),
            r.created_at,
            if r.dirty { "  dirty" } else { "" },
            if r.abandoned.is_some() {
                "  ABANDONED"
            } else {
                ""
            },
            if deployed.is_empty() {
                format!("\"{}\"", r.subject)
            } else {
                format!("\"{}\" (known-good in {})", r.subject, deployed.join(", "))
            }
        );
    }
    Ok(())
}

fn show(session: &Session, format: Format, id: &str) -> Result<()> {
    let r = session.resolve_release(id)?;
    let manifest = session.releases.verify(&r.id)?;
    let deployments: Vec<_> = session
        .ledger
        .deployments(None)?
        .into_iter()
        .filter(|d| d.release == r.id)
        .collect();
    if format == Format::Json {
        return print_json(&serde_json::json!({
            "release": r,
            "files": manifest.files,
            "verified": true,
            "deployments": deployments,
        }));
    }
    println!("release   {}", r.id);
    println!(
        "commit    {}{}",
        r.commit,
        if r.dirty { " (dirty work tree)" } else { "" }
    );
    println!("subject   {}", r.subject);
    println!("author    {}", r.author);
    println!("created   {} by {}", r.created_at, r.created_by);
    println!("artifact  verified ({} files)", manifest.files.len());
    if let Some(a) = &r.abandoned {
        println!("ABANDONED {} by {}: {}", a.at, a.by, a.reason);
    }
    for d in deployments {
        println!(
            "deployed  {} #{} {} {}{}",
            d.env,
            d.id,
            d.status.as_str(),
            d.started_at,
            if d.verified { " verified" } else { "" }
        );
    }
    Ok(())
}

fn abandon(session: &Session, format: Format, id: &str, reason: &str) -> Result<()> {
    let r = session.resolve_release(id)?;
    let by = session.actor()?;
    session.ledger.abandon_release(&r.id, &by, &now(), reason)?;
    session.event(
        None,
        "release.abandoned",
        Some(&r.id),
        None,
        format!("abandoned: {reason}"),
    )?;
    if format == Format::Json {
        return print_json(&serde_json::json!({"id": r.id, "abandoned": true, "reason": reason}));
    }
    println!(
        "release {} abandoned: it can no longer be promoted or rolled back to",
        r.id.short()
    );
    Ok(())
}
