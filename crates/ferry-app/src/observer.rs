//! What an operation says while it works, for the front end to show or not: the steps it takes,
//! warnings, and the engine's and verification's output lines. Operations never print.

/// One thing worth telling the person (or the page) while an operation runs.
#[derive(Debug, Clone, Copy)]
pub enum Note<'a> {
    /// A step of the operation ("planning release … for 'dev'").
    Step(&'a str),
    /// Something the person should know that does not stop the operation.
    Warning(&'a str),
    /// A line the engine printed while working on `env`.
    Engine { env: &'a str, line: &'a str },
    /// A line of a verification check in `env`.
    Verify { env: &'a str, line: &'a str },
}

pub trait Observer: Send + Sync {
    fn note(&self, note: Note<'_>);
}

/// Says nothing (tests, background work).
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Observer for Silent {
    fn note(&self, _: Note<'_>) {}
}
