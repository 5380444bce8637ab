//! `ferry status` and `ferry history`: what is where, and how it got there.

use crate::cli::EnvFilter;
use crate::output::{print_json, Format};
use crate::session::Session;
use crate::workflow::check_apply_gates;
use anyhow::Result;
use ferry_store::Ledger;
use std::path::Path;

pub fn status(dir: Option<&Path>, format: Format, args: EnvFilter) -> Result<()> {
    let session = Session::open(dir)?;
    if let Some(env) = &args.env {
        session.env(env)?;
    }
    let mut envs = Vec::new();
    for env in session.project.config.chain_order() {
        if args.env.as_deref().is_some_and(|e| e != env.name()) {
            continue;
        }
        let current = session.current(env.name())?;
        let last = session
            .ledger
            .deployments(Some(env.name()))?
            .into_iter()
            .next();
        let pending = session.ledger.pending_plan(env.name())?;
        let pending_json = match &pending {
            Some(p) => {
                let approvals: Vec<String> = session
                    .ledger
                    .approvals(&p.id)?
                    .into_iter()
                    .filter(|a| a.decision == "approve")
                    .map(|a| a.by)
                    .collect();
                let unmet = match check_apply_gates(&session, p, false) {
                    Ok(()) => vec![],
                    Err(e) => e
                        .to_string()
                        .lines()
                        .skip(1)
                        .map(|l| l.trim_start_matches(['-', ' ']).to_string())
                        .collect(),
                };
                serde_json::json!({
                    "id": p.id, "release": p.release, "created_at": p.created_at, "created_by": p.created_by,
                    "verdict": p.verdict, "summary": p.summary, "approvals": approvals, "approvals_needed": env.approvals,
                    "unmet_gates": unmet,
                })
            }
            None => serde_json::Value::Null,
        };
        envs.push(serde_json::json!({
            "name": env.name(),
            "from": env.from_env(),
            "current_release": current.as_ref().map(|d| &d.release),
            "last_deployment": last.as_ref().map(|d| serde_json::json!({
                "id": d.id, "release": d.release, "plan": d.plan, "status": d.status, "verified": d.verified,
                "started_at": d.started_at, "finished_at": d.finished_at, "by": d.by, "kind": d.kind, "error": d.error,
            })),
            "pending_plan": pending_json,
        }));
    }
    if format == Format::Json {
        return print_json(&serde_json::json!({"environments": envs}));
    }
    for e in &envs {
        let name = e["name"].as_str().unwrap_or("?");
        let from = e["from"]
            .as_str()
            .map(|f| format!(" (from {f})"))
            .unwrap_or_default();
        println!("{name}{from}");
        match e["current_release"].as_str() {
            Some(r) => println!("  current release  {}", short(r)),
            None => println!("  current release  none"),
        }
        if let Some(d) = e["last_deployment"].as_object() {
            println!(
                "  last deployment  #{} {} {} of {} by {} at {}",
                d["id"],
                d["kind"].as_str().unwrap_or(""),
                d["status"].as_str().unwrap_or(""),
                short(d["release"].as_str().unwrap_or("")),
                d["by"].as_str().unwrap_or(""),
                d["started_at"].as_str().unwrap_or("")
            );
        }
        if let Some(p) = e["pending_plan"].as_object() {
            println!(
                "  pending plan     {} of {} (review {}, approvals {}/{})",
                short(p["id"].as_str().unwrap_or("")),
                short(p["release"].as_str().unwrap_or("")),
                p["verdict"].as_str().unwrap_or(""),
                p["approvals"].as_array().map_or(0, Vec::len),
                p["approvals_needed"]
            );
            for g in p["unmet_gates"].as_array().into_iter().flatten() {
                println!("    unmet: {}", g.as_str().unwrap_or(""));
            }
        }
    }
    Ok(())
}

fn short(id: &str) -> &str {
    id.strip_prefix("sha256:")
        .and_then(|h| h.get(..12))
        .unwrap_or(id)
}

pub fn history(dir: Option<&Path>, format: Format, args: EnvFilter) -> Result<()> {
    let session = Session::open(dir)?;
    if let Some(env) = &args.env {
        session.env(env)?;
    }
    let events = session.ledger.events(args.env.as_deref())?;
    if format == Format::Json {
        return print_json(&events);
    }
    for e in events {
        println!(
            "{}  {:<8} {:<22} {:<24} {}",
            e.at,
            e.env.as_deref().unwrap_or("-"),
            e.kind,
            e.actor,
            e.message
        );
    }
    Ok(())
}
