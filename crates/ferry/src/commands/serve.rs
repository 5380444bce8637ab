//! `ferry serve` (team mode's server), `ferry serve token create|list|revoke` and
//! `ferry serve migrate`: parse the flags, open what they name, hand over to ferry-server.

use crate::cli::{ServeArgs, ServeCommand, TokenCommand};
use crate::front::Ctx;
use crate::output::{json, line, Format};
use anyhow::{anyhow, Context as _, Result};
use ferry_app::LedgerUrl;
use std::time::Duration;

fn ledger_url(args: &ServeArgs) -> Result<LedgerUrl> {
    Ok(match &args.ledger {
        Some(url) => LedgerUrl::parse(url)?,
        None => ferry_server::state::default_ledger_url(&args.data),
    })
}

pub fn run(ctx: &Ctx, args: ServeArgs) -> Result<()> {
    match &args.command {
        None => serve(args),
        Some(ServeCommand::Migrate) => migrate(ctx, &args),
        Some(ServeCommand::Token(cmd)) => token(ctx, &args, cmd),
    }
}

fn serve(args: ServeArgs) -> Result<()> {
    let proxy = match &args.trusted_proxy_header {
        Some(h) => Some(
            ferry_server::proxy::TrustedProxy::new(h, &args.trusted_proxy_from, &args.proxy_role)
                .map_err(|e| anyhow!(e))?,
        ),
        None if !args.trusted_proxy_from.is_empty() || !args.proxy_role.is_empty() => {
            return Err(anyhow!(
                "--trusted-proxy-from and --proxy-role need --trusted-proxy-header"
            ))
        }
        None => None,
    };
    let jwt = None;
    let opts = ferry_server::ServeOptions {
        listen: args.listen.clone(),
        ledger: ledger_url(&args)?,
        data: args.data.clone(),
        key_file: args.key_file.clone(),
        key_env: std::env::var("FERRY_SERVER_KEY")
            .ok()
            .filter(|v| !v.is_empty()),
        tls_cert: args.tls_cert.clone(),
        tls_key: args.tls_key.clone(),
        max_upload: args.max_upload,
        lease: Duration::from_secs(args.lease_seconds),
        proxy,
        jwt,
    };
    ferry_server::run(opts).map_err(|e| anyhow!(e))
}

fn accounts(args: &ServeArgs) -> Result<std::sync::Arc<dyn ferry_store::Accounts>> {
    let url = ledger_url(args)?;
    ferry_store::artifacts::create_private_dir(&args.data)
        .with_context(|| format!("data dir {}", args.data.display()))?;
    let (_, accounts) = ferry_server::state::open_ledger(&url).map_err(|e| anyhow!(e.message))?;
    Ok(accounts)
}

fn migrate(ctx: &Ctx, args: &ServeArgs) -> Result<()> {
    let url = ledger_url(args)?;
    // Opening a ledger brings its schema up to date (a newer one is refused).
    let ledger = url.open(false)?;
    let v = ferry_app::ops::ledger::verify_ledger(&*ledger)?;
    match ctx.format {
        Format::Json => {
            json(&serde_json::json!({"migrated": true, "events": v.events, "chain_ok": v.ok}))
        }
        _ => line(format!(
            "ledger schema up to date; {} event(s), chain {}",
            v.events,
            if v.ok {
                "verifies"
            } else {
                "does NOT verify: run `ferry ledger verify`"
            }
        )),
    }
    Ok(())
}

fn token(ctx: &Ctx, args: &ServeArgs, cmd: &TokenCommand) -> Result<()> {
    let accounts = accounts(args)?;
    match cmd {
        TokenCommand::Create {
            user,
            roles,
            expires,
        } => {
            let valid = ferry_server::tokens::parse_duration(expires)
                .map_err(|e| anyhow!("--expires {e}"))?;
            let c = ferry_server::tokens::create(&*accounts, user, roles, valid)
                .map_err(|e| anyhow!(e))?;
            match ctx.format {
                Format::Json => json(&serde_json::json!({"token": c.token, "record": c.record})),
                _ => {
                    // The token alone on stdout (for `$(ferry serve token create ...)`); the
                    // rest is said once on stderr.
                    line(c.token);
                    crate::say!(
                        "token #{} for {} with {} (expires {}); it is not shown again",
                        c.record.id,
                        c.record.user,
                        c.record.roles.join(", "),
                        c.record.expires_at
                    );
                }
            }
        }
        TokenCommand::List => {
            let all = ferry_server::tokens::list(&*accounts).map_err(|e| anyhow!(e))?;
            match ctx.format {
                Format::Json => json(&all),
                _ => {
                    for t in &all {
                        line(format!(
                            "#{} {} [{}] expires {}{}",
                            t.id,
                            t.user,
                            t.roles.join(", "),
                            t.expires_at,
                            t.revoked_at
                                .as_deref()
                                .map(|r| format!(" REVOKED {r}"))
                                .unwrap_or_default()
                        ));
                    }
                }
            }
        }
        TokenCommand::Revoke { id } => {
            let t = ferry_server::tokens::revoke(&*accounts, *id).map_err(|e| anyhow!(e))?;
            match ctx.format {
                Format::Json => json(&t),
                _ => line(format!("token #{} of {} revoked", t.id, t.user)),
            }
        }
    }
    Ok(())
}
