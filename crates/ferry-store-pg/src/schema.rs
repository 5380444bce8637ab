//! The PostgreSQL schema, one migration per entry; `ferry_ledger_schema.version` says how many
//! ran. Never edit a shipped entry: add one. The tables and columns are the SQLite ledger's (so
//! the conformance suite's tamper SQL and `ferry ledger verify` read the same shape), with
//! PostgreSQL types: BIGINT for every integer, BOOLEAN for flags, TEXT for JSON so the stored
//! bytes are exactly what was written.

pub(crate) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE releases (
    id TEXT PRIMARY KEY,
    git_commit TEXT NOT NULL,
    dirty BOOLEAN NOT NULL,
    subject TEXT NOT NULL,
    author TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    abandoned_by TEXT,
    abandoned_at TEXT,
    abandoned_reason TEXT,
    seq BIGSERIAL NOT NULL
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
    policy_denied BOOLEAN NOT NULL,
    state_lineage TEXT,
    state_serial BIGINT,
    baseline_id TEXT,
    change_digest TEXT,
    purpose TEXT NOT NULL,
    plan_json_sha256 TEXT,
    engine TEXT,
    seq BIGINT NOT NULL
);
CREATE INDEX plans_env ON plans(env, seq);
CREATE TABLE approvals (
    seq BIGSERIAL PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans(id),
    env TEXT NOT NULL,
    by_whom TEXT NOT NULL,
    at TEXT NOT NULL,
    decision TEXT NOT NULL,
    reason TEXT,
    acknowledged_warnings BOOLEAN NOT NULL,
    source TEXT NOT NULL,
    via TEXT NOT NULL DEFAULT '',
    signature TEXT
);
CREATE INDEX approvals_plan ON approvals(plan_id, seq);
CREATE TABLE deployments (
    id BIGSERIAL PRIMARY KEY,
    env TEXT NOT NULL,
    release_id TEXT NOT NULL REFERENCES releases(id),
    plan_id TEXT NOT NULL REFERENCES plans(id),
    kind TEXT NOT NULL,
    by_whom TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    verified BOOLEAN NOT NULL DEFAULT FALSE,
    error TEXT,
    log TEXT,
    verification TEXT,
    verified_at TEXT,
    replaces TEXT
);
CREATE INDEX deployments_env ON deployments(env, id);
CREATE TABLE events (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    env TEXT,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    release_id TEXT,
    plan_id TEXT,
    message TEXT NOT NULL,
    refs TEXT NOT NULL DEFAULT '[]',
    prev_hash TEXT,
    hash TEXT
);
CREATE INDEX events_env ON events(env, seq);
CREATE TABLE locks (
    env TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    token TEXT NOT NULL,
    purpose TEXT NOT NULL,
    since TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE rehearsals (
    seq BIGSERIAL PRIMARY KEY,
    env TEXT NOT NULL,
    release_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    at TEXT NOT NULL,
    ready BOOLEAN NOT NULL,
    verdict TEXT NOT NULL,
    summary TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX rehearsals_release ON rehearsals(release_id, seq);
CREATE TABLE advice (
    seq BIGSERIAL PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans(id),
    env TEXT NOT NULL,
    model TEXT NOT NULL,
    template TEXT NOT NULL,
    template_version BIGINT NOT NULL,
    prompt_sha256 TEXT NOT NULL,
    answer TEXT NOT NULL,
    at TEXT NOT NULL,
    by_whom TEXT NOT NULL
);
CREATE INDEX advice_plan ON advice(plan_id, seq);
CREATE TABLE migration_runs (
    seq BIGSERIAL PRIMARY KEY,
    env TEXT NOT NULL,
    set_name TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX migration_runs_env ON migration_runs(env, set_name, seq);
CREATE TABLE migration_approvals (
    seq BIGSERIAL PRIMARY KEY,
    env TEXT NOT NULL,
    set_name TEXT NOT NULL,
    digest TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX migration_approvals_plan ON migration_approvals(env, set_name, digest);
"#,
    // Artifacts (release bundles, plan files, plan JSON) on the ledger's database, for a
    // server with no shared disk: one header row per artifact and its bytes in chunk rows, so no
    // row or allocation holds a whole 1 GB plan JSON. `sha256` hashes the stored bytes (the id
    // itself for plan kinds; a bundle's id hashes its decompressed bytes).
    r#"
CREATE TABLE artifacts (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    chunks BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE artifact_chunks (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    n BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (kind, id, n),
    FOREIGN KEY (kind, id) REFERENCES artifacts (kind, id) ON DELETE CASCADE
);
-- Bundles are zstd and plan artifacts are sealed (ciphertext): compressing them again is
-- wasted time, so the chunks are stored out of line uncompressed.
ALTER TABLE artifact_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
"#,
    // ferry serve's API tokens (issue 10): only the sha256 of a token is stored. Its own entry,
    // touching no other table, so it merges with other branches' entries in either order.
    r#"
CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    user_name TEXT NOT NULL,
    roles TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    token_sha256 TEXT NOT NULL UNIQUE
);
"#,
];
