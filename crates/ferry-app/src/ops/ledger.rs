//! `ledger verify`: recompute the hash chain and check every row it covers.

use crate::context::App;
use crate::error::Result;
use crate::views::LedgerVerifyView;

impl App {
    pub fn ledger_verify(&self) -> Result<LedgerVerifyView> {
        if let Some(server) = &self.remote {
            let v = server.ledger_verify()?;
            return serde_json::from_value(v).map_err(|e| {
                crate::error::AppError::Invalid(format!(
                    "the server's ledger report is unreadable: {e}"
                ))
            });
        }
        verify_ledger(&*self.ledger)
    }
}

/// Verifies any ledger, a project's or one named by URL (no project needed).
pub fn verify_ledger(ledger: &dyn ferry_store::Ledger) -> Result<LedgerVerifyView> {
    let report = ledger.verify()?;
    Ok(LedgerVerifyView {
        ok: report.ok(),
        events: report.events,
        rows: report.rows,
        head: report.head.clone(),
        first_problem: report.first_problem(),
        problems: report.problems,
    })
}
