//! API tokens of `ferry serve`: who may call the server, with which roles, until when. Only the
//! sha256 of a token is ever stored (the token itself is shown once, when it is made), so a copy
//! of the ledger lets nobody in. Creating and revoking a token is one transaction with a chained
//! event naming the user and roles (never the token or its hash), so who was given access is on
//! the same record as what they did with it.

use crate::error::{Result, StoreError};
use crate::records::NewEvent;
use crate::sqlite::SqliteLedger;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

/// A stored token, without the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    pub id: i64,
    pub user: String,
    /// Role grants as written (`approver:prod`, `planner:*`).
    pub roles: Vec<String>,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
}

/// What a server needs to know about its users' tokens.
pub trait Accounts: Send + Sync {
    /// Stores a token by its sha256 (hex) and appends `event`, in one transaction; its id.
    fn create_token(
        &self,
        user: &str,
        roles: &[String],
        created_at: &str,
        expires_at: &str,
        sha256: &str,
        event: &NewEvent,
    ) -> Result<i64>;
    /// The token whose sha256 (hex) is `sha256`, revoked or not (the caller judges).
    fn token_by_hash(&self, sha256: &str) -> Result<Option<TokenRecord>>;
    /// Every token, oldest first.
    fn tokens(&self) -> Result<Vec<TokenRecord>>;
    /// Marks the token revoked at `at` and appends `event`; NotFound when there is no such
    /// token, Conflict when it was already revoked.
    fn revoke_token(&self, id: i64, at: &str, event: &NewEvent) -> Result<TokenRecord>;
}

/// Roles are stored as one JSON array: the grants are read back exactly as written.
pub fn roles_json(roles: &[String]) -> String {
    serde_json::to_string(roles).unwrap_or_else(|_| "[]".into())
}

pub fn parse_roles_json(text: &str, what: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what: what.to_string(),
        item: "token roles".into(),
        message: e.to_string(),
    })
}

type Raw = (i64, String, String, String, String, Option<String>);

fn raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<Raw> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

const COLUMNS: &str = "id, user_name, roles, created_at, expires_at, revoked_at";

impl SqliteLedger {
    fn token(&self, r: Raw) -> Result<TokenRecord> {
        Ok(TokenRecord {
            id: r.0,
            user: r.1,
            roles: parse_roles_json(&r.2, &self.path().display().to_string())?,
            created_at: r.3,
            expires_at: r.4,
            revoked_at: r.5,
        })
    }
}

impl Accounts for SqliteLedger {
    fn create_token(
        &self,
        user: &str,
        roles: &[String],
        created_at: &str,
        expires_at: &str,
        sha256: &str,
        event: &NewEvent,
    ) -> Result<i64> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO api_tokens (user_name, roles, created_at, expires_at, token_sha256) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![user, roles_json(roles), created_at, expires_at, sha256],
            )
            .map_err(|e| self.sql(e))?;
            let id = tx.last_insert_rowid();
            self.append(tx, event, vec![])?;
            Ok(id)
        })
    }

    fn token_by_hash(&self, sha256: &str) -> Result<Option<TokenRecord>> {
        let row = self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM api_tokens WHERE token_sha256 = ?1"),
                [sha256],
                raw,
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        row.map(|r| self.token(r)).transpose()
    }

    fn tokens(&self) -> Result<Vec<TokenRecord>> {
        let rows: Vec<Raw> = {
            let conn = self.conn();
            let mut st = conn
                .prepare(&format!("SELECT {COLUMNS} FROM api_tokens ORDER BY id"))
                .map_err(|e| self.sql(e))?;
            let it = st.query_map([], raw).map_err(|e| self.sql(e))?;
            it.collect::<rusqlite::Result<_>>()
                .map_err(|e| self.sql(e))?
        };
        rows.into_iter().map(|r| self.token(r)).collect()
    }

    fn revoke_token(&self, id: i64, at: &str, event: &NewEvent) -> Result<TokenRecord> {
        self.write(|tx| {
            let found: Option<Raw> = tx
                .query_row(
                    &format!("SELECT {COLUMNS} FROM api_tokens WHERE id = ?1"),
                    [id],
                    raw,
                )
                .optional()
                .map_err(|e| self.sql(e))?;
            let mut token = match found {
                None => return Err(StoreError::NotFound(format!("no API token #{id}"))),
                Some(r) => self.token(r)?,
            };
            if let Some(when) = &token.revoked_at {
                return Err(StoreError::Conflict(format!(
                    "API token #{id} was already revoked at {when}"
                )));
            }
            tx.execute(
                "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, at],
            )
            .map_err(|e| self.sql(e))?;
            self.append(tx, event, vec![])?;
            token.revoked_at = Some(at.to_string());
            Ok(token)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn event(kind: &str) -> NewEvent {
        NewEvent {
            at: "2026-12-02T10:00:00Z".into(),
            env: None,
            kind: kind.into(),
            actor: "admin".into(),
            release: None,
            plan: None,
            message: "token for alice (approver:prod)".into(),
        }
    }

    #[test]
    fn a_token_is_found_by_its_hash_listed_and_revoked_once_with_chained_events() {
        use crate::Ledger;
        let dir = tempfile::tempdir().unwrap();
        let l = SqliteLedger::open(dir.path()).unwrap();
        let roles = vec!["approver:prod".to_string(), "planner:*".to_string()];
        let id = l
            .create_token(
                "alice",
                &roles,
                "2026-12-02T10:00:00Z",
                "2027-03-02T10:00:00Z",
                &"ab".repeat(32),
                &event("token.created"),
            )
            .unwrap();
        let t = l.token_by_hash(&"ab".repeat(32)).unwrap().unwrap();
        assert_eq!(
            t,
            TokenRecord {
                id,
                user: "alice".into(),
                roles: roles.clone(),
                created_at: "2026-12-02T10:00:00Z".into(),
                expires_at: "2027-03-02T10:00:00Z".into(),
                revoked_at: None,
            }
        );
        assert!(l.token_by_hash(&"cd".repeat(32)).unwrap().is_none());
        assert_eq!(l.tokens().unwrap(), vec![t]);
        let revoked = l
            .revoke_token(id, "2026-12-03T00:00:00Z", &event("token.revoked"))
            .unwrap();
        assert_eq!(revoked.revoked_at.as_deref(), Some("2026-12-03T00:00:00Z"));
        assert!(matches!(
            l.revoke_token(id, "2026-12-04T00:00:00Z", &event("token.revoked")),
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            l.revoke_token(id + 7, "2026-12-04T00:00:00Z", &event("token.revoked")),
            Err(StoreError::NotFound(_))
        ));
        let kinds: Vec<String> = l
            .events(None)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, vec!["token.revoked", "token.created"]);
        assert!(l.verify().unwrap().ok());
    }
}
