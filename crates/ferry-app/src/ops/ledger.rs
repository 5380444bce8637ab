//! `ledger verify`: recompute the hash chain and check every row it covers.

use crate::context::App;
use crate::error::Result;
use crate::views::LedgerVerifyView;

impl App {
    pub fn ledger_verify(&self) -> Result<LedgerVerifyView> {
        let report = self.ledger.verify()?;
        Ok(LedgerVerifyView {
            ok: report.ok(),
            events: report.events,
            rows: report.rows,
            head: report.head.clone(),
            first_problem: report.first_problem(),
            problems: report.problems,
        })
    }
}
