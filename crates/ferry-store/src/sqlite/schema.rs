//! The SQLite schema, one migration per entry; `PRAGMA user_version` says how many ran. Never
//! edit a shipped entry: add one.

/// Each entry moves the schema one version forward.
pub(crate) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE releases (
    id TEXT PRIMARY KEY,
    git_commit TEXT NOT NULL,
    dirty INTEGER NOT NULL,
    subject TEXT NOT NULL,
    author TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    abandoned_by TEXT,
    abandoned_at TEXT,
    abandoned_reason TEXT
);
CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    env TEXT NOT NULL,
    release_id TEXT NOT NULL REFERENCES releases(id),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL,
    summary TEXT NOT NULL,
    verdict TEXT NOT NULL,
    review TEXT NOT NULL,
    policy TEXT NOT NULL,
    policy_denied INTEGER NOT NULL,
    state_lineage TEXT,
    state_serial INTEGER,
    baseline_id TEXT,
    seq INTEGER NOT NULL
);
CREATE INDEX plans_env ON plans(env, seq);
CREATE TABLE approvals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id TEXT NOT NULL REFERENCES plans(id),
    env TEXT NOT NULL,
    by_whom TEXT NOT NULL,
    at TEXT NOT NULL,
    decision TEXT NOT NULL,
    reason TEXT,
    acknowledged_warnings INTEGER NOT NULL,
    source TEXT NOT NULL
);
CREATE TABLE deployments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    env TEXT NOT NULL,
    release_id TEXT NOT NULL REFERENCES releases(id),
    plan_id TEXT NOT NULL REFERENCES plans(id),
    kind TEXT NOT NULL,
    by_whom TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    verified INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    log TEXT
);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    env TEXT,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    release_id TEXT,
    plan_id TEXT,
    message TEXT NOT NULL
);
"#,
    r#"
ALTER TABLE plans ADD COLUMN change_digest TEXT;
ALTER TABLE deployments ADD COLUMN verification TEXT;
ALTER TABLE deployments ADD COLUMN verified_at TEXT;
CREATE TABLE locks (
    env TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    token TEXT NOT NULL,
    purpose TEXT NOT NULL,
    since TEXT NOT NULL
);
CREATE TABLE rehearsals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    env TEXT NOT NULL,
    release_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    at TEXT NOT NULL,
    ready INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    summary TEXT NOT NULL,
    detail TEXT NOT NULL
);
"#,
    r#"
ALTER TABLE events ADD COLUMN refs TEXT NOT NULL DEFAULT '[]';
ALTER TABLE events ADD COLUMN prev_hash TEXT;
ALTER TABLE events ADD COLUMN hash TEXT;
ALTER TABLE plans ADD COLUMN purpose TEXT NOT NULL DEFAULT '{"kind":"deploy"}';
ALTER TABLE plans ADD COLUMN plan_json_sha256 TEXT;
ALTER TABLE plans ADD COLUMN engine TEXT;
ALTER TABLE approvals ADD COLUMN via TEXT NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN signature TEXT;
ALTER TABLE deployments ADD COLUMN replaces TEXT;
ALTER TABLE locks ADD COLUMN expires_at TEXT NOT NULL DEFAULT '';
CREATE INDEX events_env ON events(env, seq);
CREATE INDEX deployments_env ON deployments(env, id);
"#,
    // Advice (issue 14): an AI advisor's answers attached to plans. Its own step, so it merges
    // with other branches' steps in either order; it touches no other table.
    r#"
CREATE TABLE advice (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id TEXT NOT NULL REFERENCES plans(id),
    env TEXT NOT NULL,
    model TEXT NOT NULL,
    template TEXT NOT NULL,
    template_version INTEGER NOT NULL,
    prompt_sha256 TEXT NOT NULL,
    answer TEXT NOT NULL,
    at TEXT NOT NULL,
    by_whom TEXT NOT NULL
);
CREATE INDEX advice_plan ON advice(plan_id, seq);
"#,
    // ferry migrate: applies and approvals of migration sets, chained like every gate-read row.
    // The record is kept whole as JSON (its digest is what the chain covers).
    r#"
CREATE TABLE migration_runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    env TEXT NOT NULL,
    set_name TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX migration_runs_env ON migration_runs(env, set_name, seq);
CREATE TABLE migration_approvals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    env TEXT NOT NULL,
    set_name TEXT NOT NULL,
    digest TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX migration_approvals_plan ON migration_approvals(env, set_name, digest);
"#,
    // ferry serve's API tokens (issue 10): only the sha256 of a token is stored. Its own step,
    // touching no other table, so it merges with other branches' steps in either order.
    r#"
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_name TEXT NOT NULL,
    roles TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    token_sha256 TEXT NOT NULL UNIQUE
);
"#,
];

/// The version from which rows are covered by the hash chain; older ledgers are sealed when
/// they are migrated past it.
pub(crate) const CHAINED_SINCE: usize = 3;
