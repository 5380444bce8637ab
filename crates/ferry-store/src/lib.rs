//! The ledger: the append-only record of releases, plans, approvals and deployments, behind a trait so SQLite (embedded) and PostgreSQL (teams) can both serve it.
