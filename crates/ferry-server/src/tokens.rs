//! `ferry serve token create|list|revoke`: the server's users and their API tokens, managed
//! on the server's own ledger (the same `--ledger`/`--data` as `ferry serve`). A token is shown
//! once, when made; only its sha256 is stored; creation and revocation are chained events.

use crate::auth::{new_token, token_hash};
use crate::roles;
use ferry_store::{Accounts, NewEvent, TokenRecord};
use std::time::Duration;

/// A new token, printed once, and its record.
#[derive(Debug)]
pub struct Created {
    pub token: String,
    pub record: TokenRecord,
}

fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

fn event(kind: &str, message: String) -> NewEvent {
    NewEvent {
        at: ferry_core::schedule::format_instant(now()),
        env: None,
        kind: kind.to_string(),
        actor: "ferry serve token".to_string(),
        release: None,
        plan: None,
        message,
    }
}

/// Makes a token for `user` with `roles` (each `ROLE[:ENV]`), valid for `valid_for`.
pub fn create(
    accounts: &dyn Accounts,
    user: &str,
    roles: &[String],
    valid_for: Duration,
) -> Result<Created, String> {
    let user = user.trim();
    if user.is_empty() || user.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("--user: a user name without spaces, e.g. alice or ci-deploy".into());
    }
    if roles.is_empty() {
        return Err(
            "--role: give at least one, e.g. --role approver:prod or --role planner:*".into(),
        );
    }
    let grants = roles::parse_grants(roles)?;
    let roles: Vec<String> = grants.iter().map(ToString::to_string).collect();
    let token = new_token().map_err(|e| format!("no randomness for a token: {e}"))?;
    let created = now();
    let secs = i64::try_from(valid_for.as_secs()).unwrap_or(i64::MAX);
    let expires = created
        .checked_add(jiff::SignedDuration::from_secs(secs))
        .map_err(|_| "--expires: too far in the future".to_string())?;
    let (c, e) = (
        ferry_core::schedule::format_instant(created),
        ferry_core::schedule::format_instant(expires),
    );
    let ev = event(
        "token.created",
        format!(
            "API token for {user} with {} (expires {e})",
            roles.join(", ")
        ),
    );
    let id = accounts
        .create_token(user, &roles, &c, &e, &token_hash(&token), &ev)
        .map_err(|e| e.to_string())?;
    Ok(Created {
        token,
        record: TokenRecord {
            id,
            user: user.to_string(),
            roles,
            created_at: c,
            expires_at: e,
            revoked_at: None,
        },
    })
}

pub fn list(accounts: &dyn Accounts) -> Result<Vec<TokenRecord>, String> {
    accounts.tokens().map_err(|e| e.to_string())
}

pub fn revoke(accounts: &dyn Accounts, id: i64) -> Result<TokenRecord, String> {
    let ev = event("token.revoked", format!("API token #{id} revoked"));
    accounts
        .revoke_token(id, &ferry_core::schedule::format_instant(now()), &ev)
        .map_err(|e| e.to_string())
}

/// `90d`, `12h`, `30m` or seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{text}': write a duration like 90d, 12h or 30m"))?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("'{text}': write a duration like 90d, 12h or 30m")),
    };
    n.checked_mul(mult)
        .filter(|s| *s > 0 && *s <= 10 * 365 * 86_400)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("'{text}': between 1 second and 10 years"))
}
