//! Advice rows: inserted with their chained event in one transaction, like every covered row.

use super::rows;
use super::SqliteLedger;
use crate::chain::{self, RowRef};
use crate::error::{Result, StoreError};
use crate::records::{AdviceRecord, NewEvent};
use ferry_core::PlanId;
use rusqlite::{params, OptionalExtension};

impl SqliteLedger {
    pub(super) fn insert_advice(&self, a: &AdviceRecord, event: &NewEvent) -> Result<()> {
        self.write(|tx| {
            let known: Option<String> = tx
                .query_row(
                    "SELECT env FROM plans WHERE id = ?1",
                    [a.plan.to_string()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| self.sql(e))?;
            match known {
                None => {
                    return Err(StoreError::NotFound(format!(
                        "plan {} is not in the ledger",
                        a.plan
                    )))
                }
                Some(env) if env != a.env => {
                    return Err(StoreError::Conflict(format!(
                        "plan {} belongs to '{env}', not '{}'",
                        a.plan.short(),
                        a.env
                    )))
                }
                Some(_) => {}
            }
            tx.execute(
                "INSERT INTO advice (plan_id, env, model, template, template_version, prompt_sha256, answer, at, by_whom) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    a.plan.to_string(),
                    a.env,
                    a.model,
                    a.template,
                    a.template_version,
                    a.prompt_sha256,
                    a.answer,
                    a.at,
                    a.by
                ],
            )
            .map_err(|e| self.sql(e))?;
            let seq = tx.last_insert_rowid();
            let (_, stored) = rows::advice(tx, "WHERE seq = ?1", &[&seq])
                .map_err(|e| self.read(e))?
                .into_iter()
                .next()
                .ok_or_else(|| StoreError::NotFound("advice vanished".into()))?;
            let r = RowRef {
                table: "advice".into(),
                key: seq.to_string(),
                digest: chain::row_digest(&stored),
            };
            self.append(tx, event, vec![r])
        })
    }

    pub(super) fn advice_of(&self, plan: &PlanId) -> Result<Vec<AdviceRecord>> {
        let conn = self.conn();
        Ok(rows::advice(
            &conn,
            "WHERE plan_id = ?1 ORDER BY seq DESC",
            &[&plan.to_string()],
        )
        .map_err(|e| self.read(e))?
        .into_iter()
        .map(|(_, a)| a)
        .collect())
    }
}
