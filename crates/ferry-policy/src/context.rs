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

    /// `{"ferry": self}` as Rego data, through JSON text rather than a `serde_json::Value`
    /// tree: a large review is then held once as Rego values, not also as a JSON tree.
    pub(crate) fn to_rego_data(&self) -> Result<regorus::Value, String> {
        self.to_rego_data_with(self.review.as_ref())
    }

    /// [`Self::to_rego_data`] with `review` in place of the context's own.
    pub(crate) fn to_rego_data_with(
        &self,
        review: Option<&Review>,
    ) -> Result<regorus::Value, String> {
        #[derive(Serialize)]
        struct View<'a> {
            environment: &'a str,
            release: &'a Option<String>,
            review: Option<&'a Review>,
            baseline: &'a Option<serde_json::Value>,
            approvals: &'a [serde_json::Value],
        }
        #[derive(Serialize)]
        struct Data<'a> {
            ferry: View<'a>,
        }
        let view = View {
            environment: &self.environment,
            release: &self.release,
            review,
            baseline: &self.baseline,
            approvals: &self.approvals,
        };
        let text = serde_json::to_string(&Data { ferry: view })
            .map_err(|e| format!("cannot convert to a Rego value: {e}"))?;
        regorus::Value::from_json_str(&text)
            .map_err(|e| format!("cannot convert to a Rego value: {e}"))
    }
}
