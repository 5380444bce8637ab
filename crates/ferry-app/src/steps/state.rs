//! Where an environment's state is, as the person should know it before a plan: refused on a CI
//! runner when it is local and the environment gated, and said plainly when a plan starts from
//! nothing or ledger and state disagree (`ferry_core::state` decides both).

use crate::context::App;
use crate::error::{AppError, Result};
use ferry_core::settings::GateSettings;
use ferry_core::state;
use ferry_engine::StateBackend;

impl App {
    /// Refuses `s.env` when its state is local, it is gated and this is a CI runner (`CI=true`
    /// in the front end's variables).
    pub(crate) fn check_state_location(&self, s: &GateSettings) -> Result<()> {
        let ci = state::is_ci((self.vars)("CI").as_deref());
        let local = matches!(self.state_backend(s), StateBackend::Local { .. });
        match state::local_state_refusal(s, ci, local) {
            Some(message) => Err(AppError::Invalid(message)),
            None => Ok(()),
        }
    }

    /// Says where a plan of `s.env` starts from when its local state and the ledger call for it
    /// (nothing at all; a state the ledger does not know; deployments but no state).
    pub(crate) fn say_state_start(&self, s: &GateSettings) -> Result<()> {
        let StateBackend::Local { path } = self.state_backend(s) else {
            return Ok(());
        };
        let resources = ferry_engine::local_state_resources(&path)?;
        // Newest first.
        let last = self.ledger.deployments(Some(&s.env))?.into_iter().next();
        let last = last.as_ref().map(|d| (d.id, d.release.short()));
        if let Some(start) = state::state_start(resources, last) {
            let shown = path
                .strip_prefix(&self.project.root)
                .unwrap_or(&path)
                .display()
                .to_string();
            self.warn(&state::describe(&s.env, &start, &shown));
        }
        Ok(())
    }
}
