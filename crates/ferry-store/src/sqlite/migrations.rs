//! The `ferry migrate` rows of the SQLite ledger: migration runs and migration approvals, each
//! stored whole as JSON and named with its digest by the chained event written in the same
//! transaction.

use super::rows::{self, Read};
use super::SqliteLedger;
use crate::chain::{self, RowRef};
use crate::error::{Result, StoreError};
use crate::records::{MigrationApprovalRecord, MigrationRunRecord, NewEvent};
use rusqlite::{params, Connection, ToSql};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;

fn read<T: DeserializeOwned>(
    conn: &Connection,
    table: &str,
    item: &'static str,
    where_: &str,
    params: &[&dyn ToSql],
) -> Read<Vec<(i64, T)>> {
    let sql = format!("SELECT seq, record FROM {table} {where_}");
    rows::query(conn, &sql, params, |r| {
        Ok((r.get(0)?, rows::json(item, &r.get::<_, String>(1)?)?))
    })
}

impl SqliteLedger {
    fn insert_json<T: Serialize + DeserializeOwned>(
        &self,
        table: &'static str,
        item: &'static str,
        insert: &str,
        params: &[&dyn ToSql],
        event: &NewEvent,
    ) -> Result<i64> {
        self.write(|tx| {
            tx.execute(insert, params).map_err(|e| self.sql(e))?;
            let seq = tx.last_insert_rowid();
            // Re-read, so the digest is of what is stored, as `verify` will read it.
            let (_, stored): (i64, T) = read(tx, table, item, "WHERE seq = ?1", &[&seq])
                .map_err(|e| self.read(e))?
                .into_iter()
                .next()
                .ok_or_else(|| StoreError::NotFound(format!("{item} vanished")))?;
            let r = RowRef {
                table: table.into(),
                key: seq.to_string(),
                digest: chain::row_digest(&stored),
            };
            self.append(tx, event, vec![r])?;
            Ok(seq)
        })
    }

    fn to_json<T: Serialize>(&self, item: &str, record: &T) -> Result<String> {
        serde_json::to_string(record).map_err(|e| StoreError::Corrupt {
            what: self.path().display().to_string(),
            item: item.to_string(),
            message: e.to_string(),
        })
    }

    pub(crate) fn insert_migration_run(
        &self,
        run: &MigrationRunRecord,
        event: &NewEvent,
    ) -> Result<i64> {
        let json = self.to_json("migration run", run)?;
        self.insert_json::<MigrationRunRecord>(
            "migration_runs",
            "migration run",
            "INSERT INTO migration_runs (env, set_name, record) VALUES (?1, ?2, ?3)",
            params![run.env, run.set, json],
            event,
        )
    }

    pub(crate) fn select_migration_runs(
        &self,
        env: Option<&str>,
    ) -> Result<Vec<MigrationRunRecord>> {
        let conn = self.conn();
        Ok(read(
            &conn,
            "migration_runs",
            "migration run",
            "WHERE ?1 IS NULL OR env = ?1 ORDER BY seq DESC",
            &[&env],
        )
        .map_err(|e| self.read(e))?
        .into_iter()
        .map(|(_, r)| r)
        .collect())
    }

    pub(crate) fn insert_migration_approval(
        &self,
        a: &MigrationApprovalRecord,
        event: &NewEvent,
    ) -> Result<()> {
        let json = self.to_json("migration approval", a)?;
        self.insert_json::<MigrationApprovalRecord>(
            "migration_approvals",
            "migration approval",
            "INSERT INTO migration_approvals (env, set_name, digest, record) VALUES (?1, ?2, ?3, ?4)",
            params![a.env, a.set, a.digest, json],
            event,
        )
        .map(|_| ())
    }

    pub(crate) fn select_migration_approvals(
        &self,
        env: &str,
        set: &str,
        digest: &str,
    ) -> Result<Vec<MigrationApprovalRecord>> {
        let conn = self.conn();
        Ok(read(
            &conn,
            "migration_approvals",
            "migration approval",
            "WHERE env = ?1 AND set_name = ?2 AND digest = ?3 ORDER BY seq",
            &[&env, &set, &digest],
        )
        .map_err(|e| self.read(e))?
        .into_iter()
        .map(|(_, r)| r)
        .collect())
    }

    /// The migration rows for [`SqliteLedger::covered_rows`].
    pub(crate) fn covered_migration_rows(
        &self,
        conn: &Connection,
        out: &mut BTreeMap<(String, String), String>,
    ) -> Result<()> {
        // Sealing an old ledger (schema 3) runs before these tables exist.
        let exists: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migration_runs')",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))?;
        if !exists {
            return Ok(());
        }
        for (seq, r) in read::<MigrationRunRecord>(conn, "migration_runs", "migration run", "", &[])
            .map_err(|e| self.read(e))?
        {
            out.insert(
                ("migration_runs".into(), seq.to_string()),
                chain::row_digest(&r),
            );
        }
        for (seq, a) in read::<MigrationApprovalRecord>(
            conn,
            "migration_approvals",
            "migration approval",
            "",
            &[],
        )
        .map_err(|e| self.read(e))?
        {
            out.insert(
                ("migration_approvals".into(), seq.to_string()),
                chain::row_digest(&a),
            );
        }
        Ok(())
    }
}
