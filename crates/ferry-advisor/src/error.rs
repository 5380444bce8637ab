//! What can go wrong between a template and an answer. Every message says what to do; none
//! carries the API key, the prompt or the answer (an error body from the endpoint is shown
//! sanitized, redacted and shortened).

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AdvisorError {
    #[error("{origin}:{line}: {message}")]
    Template {
        origin: String,
        line: usize,
        message: String,
    },
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("no prompt template '{name}'; known: {}", known.join(", "))]
    UnknownTemplate { name: String, known: Vec<String> },
    #[error("template '{name}' is filled from {expected} input, not {given}")]
    WrongInput {
        name: String,
        expected: &'static str,
        given: &'static str,
    },
    #[error("the filled prompt '{name}' is {size} bytes even with every finding cut; the limit is {limit} ([advisor] max_prompt_bytes)")]
    PromptTooLarge {
        name: String,
        size: usize,
        limit: usize,
    },
    #[error("invalid [advisor] setting: {0}")]
    Config(String),
    #[error("the advisor at {url} is unreachable ({reason}); ferry carried on without advice")]
    Unreachable { url: String, reason: String },
    #[error("the advisor at {url} did not answer within {}s ([advisor] timeout); ferry carried on without advice", after.as_secs())]
    Timeout { url: String, after: Duration },
    #[error("the advisor at {url} refused the credentials (HTTP {status}); check the key in the variable named by [advisor] api_key_env")]
    Unauthorized { url: String, status: u16 },
    #[error("the advisor at {url} is rate limiting (HTTP 429) after {attempts} attempt(s){}; try again later", match retry_after { Some(d) => format!(", it asked to wait {}s", d.as_secs()), None => String::new() })]
    RateLimited {
        url: String,
        attempts: u32,
        retry_after: Option<Duration>,
    },
    #[error("the advisor at {url} answered HTTP {status}: {excerpt}")]
    Status {
        url: String,
        status: u16,
        excerpt: String,
    },
    #[error("the advisor at {url} sent a malformed answer: {message}")]
    Malformed { url: String, message: String },
    #[error("the advisor's answer is over {limit} bytes ([advisor] max_answer_bytes); nothing was stored")]
    AnswerTooLarge { limit: usize },
    #[error("the advisor's streamed answer from {url} was cut off after {received} bytes (no finish_reason and no [DONE]); nothing was stored")]
    CutOff { url: String, received: usize },
    #[error("the advisor stopped its answer early (finish_reason \"{reason}\"); an incomplete answer is not stored")]
    Incomplete { reason: String },
    #[error("the advisor at {url} answered with no text")]
    Empty { url: String },
}

impl AdvisorError {
    /// Whether this is the endpoint's fault (down, slow, refusing, garbled) rather than the
    /// project's input: a promotion proceeds past these with a message.
    pub fn is_endpoint_fault(&self) -> bool {
        !matches!(
            self,
            AdvisorError::Template { .. }
                | AdvisorError::Read { .. }
                | AdvisorError::UnknownTemplate { .. }
                | AdvisorError::WrongInput { .. }
                | AdvisorError::PromptTooLarge { .. }
                | AdvisorError::Config(_)
        )
    }
}
