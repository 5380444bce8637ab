//! `status` and `history`: what is where, what waits and why, and how it got there.

use crate::context::App;
use crate::error::Result;
use crate::steps::gates::Verdicts;
use crate::views::{DeploymentSummary, EnvStatus, HistoryView, PendingView, StatusView};
use ferry_core::promotion::{approve_command, Decision};

impl App {
    pub fn status(&self, only: Option<&str>) -> Result<StatusView> {
        if let Some(server) = &self.remote {
            return server.status(only);
        }
        if let Some(env) = only {
            self.env(env)?;
        }
        let mut environments = Vec::new();
        for env in self.chain() {
            let name = env.name();
            if only.is_some_and(|o| o != name) {
                continue;
            }
            let deployments = self.ledger.deployments(Some(name))?;
            let current = deployments
                .iter()
                .find(|d| d.known_good())
                .map(|d| d.release.clone());
            let last = deployments.first().map(DeploymentSummary::from);
            let pending = match self.ledger.pending_plan(name)? {
                Some(p) => {
                    let release = self.release(&p.release)?;
                    let s = self.settings(name, &p.release)?;
                    let approvals: Vec<String> = self
                        .ledger
                        .approvals(&p.id)?
                        .into_iter()
                        .filter(|a| a.decision == Decision::Approve)
                        .map(|a| a.by)
                        .collect();
                    let judged = self.judge_approvals(&s, &p, &release)?;
                    let unmet = self.plan_gates(&s, &p, &release, Verdicts::Stored, false)?;
                    let warnings = p.verdict == ferry_core::Verdict::Warn
                        || crate::steps::gates::policy_counts(&p.policy).1 > 0;
                    Some(PendingView {
                        id: p.id.clone(),
                        release: p.release.clone(),
                        created_at: p.created_at.clone(),
                        created_by: p.created_by.clone(),
                        verdict: p.verdict,
                        summary: p.summary,
                        approvals,
                        approvals_counted: judged.counted.iter().map(|p| p.to_string()).collect(),
                        approvals_needed: s.approvals,
                        unmet_gates: unmet.iter().map(|g| g.to_string()).collect(),
                        approve_command: (s.approvals > 0)
                            .then(|| approve_command(name, &p.id.to_string(), warnings)),
                        advice: self
                            .ledger
                            .advice(&p.id)?
                            .into_iter()
                            .next()
                            .map(crate::views::AdviceView::new),
                    })
                }
                None => None,
            };
            environments.push(EnvStatus {
                name: name.to_string(),
                from: env.from_env().map(str::to_string),
                current_release: current,
                last_deployment: last,
                pending_plan: pending,
                // The owner token proves the holder: it is never shown to anyone else.
                lock: self.ledger.lock(name)?.map(|mut l| {
                    l.token = "(hidden)".to_string();
                    l
                }),
            });
        }
        Ok(StatusView { environments })
    }

    pub fn history(&self, env: Option<&str>) -> Result<HistoryView> {
        if let Some(server) = &self.remote {
            return server.history(env);
        }
        if let Some(env) = env {
            self.env(env)?;
        }
        Ok(HistoryView(self.ledger.events(env)?))
    }

    /// One page of history, newest first (the server's `GET /api/v1/history`): at most
    /// `limit` events, older than `before`. Reads only that page, however long the ledger.
    pub fn history_page(
        &self,
        env: Option<&str>,
        limit: usize,
        before: Option<i64>,
    ) -> Result<HistoryView> {
        Ok(HistoryView(self.ledger.events_page(env, limit, before)?))
    }
}
