//! `ferry serve`'s API tokens in PostgreSQL: the same [`Accounts`] contract as the SQLite
//! ledger (only a token's sha256 is stored; creating and revoking are one transaction with a
//! chained event), so a team's servers share their users.

use crate::PgLedger;
use ferry_store::accounts::parse_roles_json;
use ferry_store::{Accounts, NewEvent, Result, StoreError, TokenRecord};

const COLUMNS: &str = "id, user_name, roles, created_at, expires_at, revoked_at";

impl PgLedger {
    fn token_row(&self, r: &postgres::Row) -> Result<TokenRecord> {
        let get = |e: postgres::Error| self.sql(e);
        let roles: String = r.try_get(2).map_err(get)?;
        Ok(TokenRecord {
            id: r.try_get(0).map_err(get)?,
            user: r.try_get(1).map_err(get)?,
            roles: parse_roles_json(&roles, self.what())?,
            created_at: r.try_get(3).map_err(get)?,
            expires_at: r.try_get(4).map_err(get)?,
            revoked_at: r.try_get(5).map_err(get)?,
        })
    }

    fn token_rows(&self, sql: &str, params: crate::rows::Params<'_>) -> Result<Vec<TokenRecord>> {
        let rows = {
            let mut guard = self.client()?;
            let client = guard.as_mut().ok_or_else(|| StoreError::Unavailable {
                what: self.what().to_string(),
                message: "no connection".into(),
            })?;
            let out = client.query(sql, params).map_err(|e| self.sql(e));
            crate::forget_if_broken(&mut guard, &out);
            out?
        };
        rows.iter().map(|r| self.token_row(r)).collect()
    }
}

impl Accounts for PgLedger {
    fn create_token(
        &self,
        user: &str,
        roles: &[String],
        created_at: &str,
        expires_at: &str,
        sha256: &str,
        event: &NewEvent,
    ) -> Result<i64> {
        let roles = ferry_store::accounts::roles_json(roles);
        self.write(|tx| {
            let id: i64 = tx
                .query_one(
                    "INSERT INTO api_tokens (user_name, roles, created_at, expires_at, token_sha256) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    &[&user, &roles, &created_at, &expires_at, &sha256],
                )
                .and_then(|r| r.try_get(0))
                .map_err(|e| self.sql(e))?;
            self.append(tx, event, vec![])?;
            Ok(id)
        })
    }

    fn token_by_hash(&self, sha256: &str) -> Result<Option<TokenRecord>> {
        Ok(self
            .token_rows(
                &format!("SELECT {COLUMNS} FROM api_tokens WHERE token_sha256 = $1"),
                &[&sha256],
            )?
            .into_iter()
            .next())
    }

    fn tokens(&self) -> Result<Vec<TokenRecord>> {
        self.token_rows(
            &format!("SELECT {COLUMNS} FROM api_tokens ORDER BY id"),
            &[],
        )
    }

    fn revoke_token(&self, id: i64, at: &str, event: &NewEvent) -> Result<TokenRecord> {
        self.write(|tx| {
            let row = tx
                .query_opt(
                    &format!("SELECT {COLUMNS} FROM api_tokens WHERE id = $1 FOR UPDATE"),
                    &[&id],
                )
                .map_err(|e| self.sql(e))?;
            let mut token = match row {
                None => return Err(StoreError::NotFound(format!("no API token #{id}"))),
                Some(r) => self.token_row(&r)?,
            };
            if let Some(when) = &token.revoked_at {
                return Err(StoreError::Conflict(format!(
                    "API token #{id} was already revoked at {when}"
                )));
            }
            tx.execute(
                "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&id, &at],
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
    use ferry_store::Ledger;

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
    fn tokens_on_a_real_server_are_found_by_hash_and_revoked_once_with_chained_events() {
        let server = match ferry_testkit::PgServer::shared() {
            Ok(s) => s,
            Err(e) if std::env::var("FERRY_REQUIRE_PG").as_deref() != Ok("1") => {
                println!(
                    "skipped: no PostgreSQL server ({e}); FERRY_REQUIRE_PG=1 makes this a failure"
                );
                return;
            }
            Err(e) => panic!("FERRY_REQUIRE_PG=1 but: {e}"),
        };
        let url = server.fresh_database("accounts").unwrap();
        let l = PgLedger::connect(&url).unwrap();
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
                roles,
                created_at: "2026-12-02T10:00:00Z".into(),
                expires_at: "2027-03-02T10:00:00Z".into(),
                revoked_at: None,
            }
        );
        assert!(l.token_by_hash(&"cd".repeat(32)).unwrap().is_none());
        assert_eq!(l.tokens().unwrap(), vec![t]);
        let r = l
            .revoke_token(id, "2026-12-03T00:00:00Z", &event("token.revoked"))
            .unwrap();
        assert_eq!(r.revoked_at.as_deref(), Some("2026-12-03T00:00:00Z"));
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
        // A second handle (another server process) sees the same tokens.
        let other = PgLedger::connect(&url).unwrap();
        assert_eq!(other.tokens().unwrap().len(), 1);
    }
}
