//! The rules: one syntax-tree match per statement kind. Anything without a rule is
//! `unreviewed-statement` (contract): a statement ferry cannot judge needs a person to, which
//! fails closed and can still be acknowledged with `-- ferry:contract <reason>`.
//!
//! Tables created earlier in the same file have no clients yet, so changes to them are expand.
//! (Only the same file: an earlier file may have been applied long ago.)

mod alter_table;
mod objects;

use objects::{alter_domain, alter_type, create_index, data_change, replace, unreviewed};

use super::source::Statement;
use super::Class::{self, *};
use super::Severity;
use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{SyntaxKind, SyntaxNode};
use std::collections::HashSet;

pub(crate) struct Hit {
    pub rule: &'static str,
    pub class: Class,
    pub message: String,
    pub fix: Option<&'static str>,
    /// Overrides the class's default severity (only `transaction-control` does).
    pub severity: Option<Severity>,
}

pub(crate) fn hit(rule: &'static str, class: Class, message: impl Into<String>) -> Hit {
    Hit {
        rule,
        class,
        message: message.into(),
        fix: None,
        severity: None,
    }
}

impl Hit {
    pub fn fix(mut self, fix: &'static str) -> Hit {
        self.fix = Some(fix);
        self
    }
}

pub(crate) struct Outcome {
    pub findings: Vec<Hit>,
    pub transactional: bool,
    pub transaction_control: bool,
}

#[derive(Default)]
pub(crate) struct FileContext {
    created_tables: HashSet<String>,
    /// `table.constraint` added NOT VALID earlier in this file: validating it in the same
    /// transaction keeps the ADD's ACCESS EXCLUSIVE lock for the whole scan.
    pub not_valid: HashSet<String>,
}

impl FileContext {
    pub fn is_new(&self, table: &str) -> bool {
        self.created_tables.contains(table)
    }
}

/// Identifier text as PostgreSQL folds it (well enough to match names within one file).
pub(crate) fn name(node: Option<&SyntaxNode>) -> String {
    node.map(|n| {
        n.text()
            .to_string()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '"')
            .collect::<String>()
            .to_lowercase()
    })
    .unwrap_or_default()
}

/// The table an ALTER TABLE or CREATE INDEX names.
pub(crate) fn table_of(relation: Option<ast::TableRelationName>) -> String {
    name(
        relation
            .and_then(|r| r.table_name_ref())
            .as_ref()
            .map(|n| n.syntax()),
    )
}

pub(crate) fn has_token(node: &SyntaxNode, kind: SyntaxKind) -> bool {
    node.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .any(|t| t.kind() == kind)
}

const CONCURRENTLY_FIX: &str =
    "use CONCURRENTLY, in a migration file of its own (ferry runs it outside a transaction)";
const CREATE_OR_REPLACE_FIX: &str =
    "create the new version under a new name; drop the old one once no release uses it";
const ACK_FIX: &str =
    "if it is safe for the previous release, say why above it: -- ferry:contract <reason>";

pub(crate) fn classify(st: &Statement, ctx: &mut FileContext) -> Outcome {
    use ast::Stmt as S;
    let node = st.node();
    let mut transactional = true;
    let mut transaction_control = false;
    let findings: Vec<Hit> = match &st.stmt {
        S::CreateTable(t) => {
            ctx.created_tables
                .insert(name(t.table_name().as_ref().map(|n| n.syntax())));
            vec![hit(
                "create-table",
                Expand,
                "New table: no existing client uses it.",
            )]
        }
        S::CreateTableAs(_) | S::SelectInto(_) => {
            vec![hit("create-table", Expand, "New table from a query.")]
        }
        S::AlterTable(t) => alter_table::classify(t, ctx, &mut transactional),
        S::CreateIndex(i) => create_index(i, ctx, &mut transactional),
        S::DropIndex(i) => {
            if i.concurrently_token().is_some() {
                transactional = false;
                vec![hit(
                    "drop-index-concurrently",
                    Expand,
                    "Drops the index without blocking reads or writes; queries may get slower.",
                )]
            } else {
                vec![hit(
                    "drop-index-locks",
                    Lock,
                    "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table.",
                )
                .fix(CONCURRENTLY_FIX)]
            }
        }
        S::Reindex(_) => {
            let concurrently = has_token(node, SyntaxKind::CONCURRENTLY_KW);
            let whole =
                has_token(node, SyntaxKind::DATABASE_KW) || has_token(node, SyntaxKind::SYSTEM_KW);
            transactional = !concurrently && !whole;
            if concurrently {
                vec![hit(
                    "reindex-concurrently",
                    Expand,
                    "Rebuilds without blocking writes.",
                )]
            } else {
                vec![hit(
                    "reindex-locks",
                    Lock,
                    "REINDEX without CONCURRENTLY blocks writes to the table while it rebuilds.",
                )
                .fix(CONCURRENTLY_FIX)]
            }
        }
        S::DropTable(d) => {
            let names: Vec<String> = d
                .table_name_refs()
                .map(|r| name(Some(r.syntax())))
                .collect();
            if !names.is_empty() && names.iter().all(|n| ctx.is_new(n)) {
                vec![hit(
                    "new-table",
                    Expand,
                    "Drops a table created in this file.",
                )]
            } else {
                vec![hit(
                    "drop-table",
                    Destructive,
                    "DROP TABLE deletes the table and its data.",
                )
                .fix("rename it away in one release, drop it after a backup in a later one")]
            }
        }
        S::Truncate(_) => vec![hit("truncate", Destructive, "TRUNCATE deletes every row.")],
        S::Delete(d) => {
            if d.where_clause_or_current_of().is_some() {
                vec![data_change()]
            } else {
                vec![hit(
                    "delete-all-rows",
                    Destructive,
                    "DELETE without WHERE deletes every row.",
                )
                .fix("add a WHERE clause naming the rows to delete")]
            }
        }
        S::Update(u) => {
            if u.where_clause_or_current_of().is_some() {
                vec![data_change()]
            } else {
                vec![hit(
                    "update-all-rows",
                    Destructive,
                    "UPDATE without WHERE overwrites the column in every row.",
                )
                .fix("add a WHERE clause; backfill large tables in batches")]
            }
        }
        S::Insert(_) | S::Merge(_) | S::Copy(_) => vec![data_change()],
        S::DropSchema(_) | S::DropDatabase(_) | S::DropOwned(_) => {
            transactional = !matches!(st.stmt, S::DropDatabase(_));
            vec![hit(
                "drop-schema",
                Destructive,
                "Drops a schema, database or every object a role owns, with their data.",
            )]
        }
        S::DropView(_)
        | S::DropMaterializedView(_)
        | S::DropFunction(_)
        | S::DropProcedure(_)
        | S::DropRoutine(_)
        | S::DropAggregate(_)
        | S::DropType(_)
        | S::DropDomain(_)
        | S::DropSequence(_)
        | S::DropTrigger(_)
        | S::DropRule(_)
        | S::DropPolicy(_)
        | S::DropExtension(_)
        | S::DropForeignTable(_)
        | S::DropOperator(_)
        | S::DropCast(_)
        | S::DropRole(_)
        | S::DropUser(_)
        | S::DropGroup(_)
        | S::DropPublication(_)
        | S::DropSubscription(_) => {
            if has_token(node, SyntaxKind::CASCADE_KW) {
                vec![hit(
                    "drop-cascade",
                    Destructive,
                    "DROP … CASCADE also drops whatever depends on it, columns and tables included.",
                )
                .fix("drop the dependent objects explicitly, one reviewed statement each")]
            } else {
                vec![hit(
                    "drop-object",
                    Contract,
                    "The previous release may still use the object this drops.",
                )
                .fix("drop it in a release after the one that stopped using it")]
            }
        }
        S::DropStatistics(_) => vec![hit("drop-statistics", Expand, "Planner statistics only.")],
        S::CreateView(v) if v.or_replace().is_some() => vec![replace()],
        S::CreateFunction(f) if f.or_replace().is_some() => vec![replace()],
        S::CreateProcedure(_) | S::CreateTrigger(_) | S::CreateRule(_)
            if has_token(node, SyntaxKind::REPLACE_KW) =>
        {
            vec![replace()]
        }
        S::CreateView(_)
        | S::CreateMaterializedView(_)
        | S::CreateFunction(_)
        | S::CreateProcedure(_)
        | S::CreateAggregate(_)
        | S::CreateType(_)
        | S::CreateDomain(_)
        | S::CreateSequence(_)
        | S::CreateSchema(_)
        | S::CreateExtension(_)
        | S::CreateStatistics(_)
        | S::CreateCollation(_)
        | S::CreateCast(_)
        | S::CreateOperator(_)
        | S::CreateOperatorClass(_)
        | S::CreateOperatorFamily(_)
        | S::CreateTextSearchConfiguration(_)
        | S::CreateTextSearchDictionary(_)
        | S::CreatePolicy(_)
        | S::CreateRole(_)
        | S::CreateUser(_)
        | S::CreateGroup(_)
        | S::CreatePublication(_)
        | S::CreateForeignTable(_)
        | S::CreateServer(_)
        | S::CreateForeignDataWrapper(_)
        | S::CreateUserMapping(_)
        | S::ImportForeignSchema(_) => {
            vec![hit(
                "create-object",
                Expand,
                "New object: no existing client uses it.",
            )]
        }
        S::CreateTrigger(_) => vec![hit(
            "create-trigger",
            Expand,
            "New trigger: it runs on the previous release's writes too; make sure it accepts them.",
        )],
        S::AlterType(_) => alter_type(node),
        S::AlterDomain(_) => alter_domain(node),
        S::AlterIndex(_) => {
            if has_token(node, SyntaxKind::TABLESPACE_KW) {
                vec![hit(
                    "table-rewrite",
                    Lock,
                    "Moving an index rewrites it under a lock.",
                )]
            } else {
                vec![hit("alter-index", Expand, "Index metadata only.")]
            }
        }
        S::AlterSequence(_) if has_token(node, SyntaxKind::RESTART_KW) => vec![hit(
            "restart-sequence",
            Contract,
            "Restarting a sequence can hand out values already in use.",
        )],
        S::AlterSequence(_) => vec![hit("alter-sequence", Expand, "Sequence settings only.")],
        S::AlterView(_)
        | S::AlterFunction(_)
        | S::AlterProcedure(_)
        | S::AlterSchema(_)
        | S::AlterMaterializedView(_)
        | S::AlterRoutine(_)
        | S::AlterAggregate(_)
            if has_token(node, SyntaxKind::RENAME_KW) || has_token(node, SyntaxKind::SCHEMA_KW) =>
        {
            vec![hit(
                "rename-object",
                Contract,
                "The previous release still uses the old name (or schema).",
            )
            .fix("create the object under the new name beside the old one; drop the old one later")]
        }
        S::Revoke(_) => vec![hit(
            "revoke",
            Contract,
            "The previous release may need the privilege this revokes.",
        )],
        S::Grant(_) => vec![hit("grant", Expand, "Adds privileges.")],
        S::CommentOn(_) | S::SecurityLabel(_) => {
            vec![hit("no-schema-change", Expand, "Metadata only.")]
        }
        S::Set(_)
        | S::Reset(_)
        | S::SetRole(_)
        | S::ResetRole(_)
        | S::SetSessionAuth(_)
        | S::ResetSessionAuth(_)
        | S::SetConstraints(_)
        | S::SetTransaction(_)
        | S::Show(_)
        | S::Select(_)
        | S::CompoundSelect(_)
        | S::ParenSelect(_)
        | S::Values(_)
        | S::Table(_)
        | S::Analyze(_)
        | S::Explain(_)
        | S::Notify(_)
        | S::Listen(_)
        | S::Unlisten(_)
        | S::Checkpoint(_)
        | S::Discard(_)
        | S::Prepare(_)
        | S::Execute(_)
        | S::Deallocate(_)
        | S::Declare(_)
        | S::Fetch(_)
        | S::Move(_)
        | S::Close(_) => {
            vec![hit("no-schema-change", Expand, "Changes no schema.")]
        }
        S::Begin(_)
        | S::Commit(_)
        | S::Rollback(_)
        | S::SavepointCreate(_)
        | S::ReleaseSavepoint(_)
        | S::PrepareTransaction(_) => {
            transaction_control = true;
            vec![Hit {
                severity: Some(Severity::Warn),
                ..hit(
                    "transaction-control",
                    Expand,
                    "ferry runs each migration file in a transaction of its own and records it \
                     in the same transaction; `ferry migrate apply` refuses files that manage \
                     transactions themselves.",
                )
                .fix("remove it; split statements that must commit separately into their own files")
            }]
        }
        S::Vacuum(_) => {
            transactional = false;
            if has_token(node, SyntaxKind::FULL_KW) {
                vec![hit(
                    "table-rewrite",
                    Lock,
                    "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock.",
                )
                .fix("use pg_repack, or plain VACUUM")]
            } else {
                vec![hit(
                    "no-schema-change",
                    Expand,
                    "VACUUM runs beside reads and writes.",
                )]
            }
        }
        S::Cluster(_) | S::Repack(_) => vec![hit(
            "table-rewrite",
            Lock,
            "Rewrites the table under an ACCESS EXCLUSIVE lock.",
        )
        .fix("use pg_repack outside the migration")],
        S::Lock(_) => vec![hit(
            "lock-table",
            Lock,
            "LOCK TABLE blocks other sessions until commit.",
        )],
        S::Refresh(r) => {
            if r.concurrently_token().is_some() {
                transactional = false;
                vec![hit(
                    "refresh-concurrently",
                    Expand,
                    "Refreshes without blocking reads.",
                )]
            } else {
                vec![hit(
                    "refresh-locks",
                    Lock,
                    "REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view.",
                )
                .fix("REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index on the view)")]
            }
        }
        S::Do(_) | S::Call(_) => vec![hit(
            "opaque-code",
            Contract,
            "ferry cannot see what this code does to the schema or the data.",
        )
        .fix(ACK_FIX)],
        S::CreateDatabase(_)
        | S::AlterSystem(_)
        | S::CreateTablespace(_)
        | S::DropTablespace(_) => {
            transactional = false;
            vec![unreviewed(node)]
        }
        _ => vec![unreviewed(node)],
    };
    Outcome {
        findings,
        transactional,
        transaction_control,
    }
}
