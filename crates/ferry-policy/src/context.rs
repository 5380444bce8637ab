//! What ferry knows about a plan beyond the plan itself, exposed to Rego as `data.ferry` so
//! policies can depend on the environment, the review and the approvals without re-deriving them.

use ferry_core::Review;
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
pub struct FerryContext {
    pub environment: String,
    pub release: Option<String>,
    /// The review of this plan; the built-in stateful rule reads its findings.
    pub review: Option<Review>,
    /// The comparison against the lower environment's plan, as ferry-plan renders it.
    pub baseline: Option<serde_json::Value>,
    pub approvals: Vec<serde_json::Value>,
}

impl FerryContext {
    pub fn new(environment: impl Into<String>) -> FerryContext {
        FerryContext {
            environment: environment.into(),
            ..FerryContext::default()
        }
    }

    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}
