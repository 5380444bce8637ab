//! ALTER TABLE: one finding (or two, when an action both breaks the previous release and locks)
//! per action.

use super::{has_token, hit, name, table_of, FileContext, Hit, ACK_FIX};
use crate::check::Class::*;
use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{SyntaxKind, SyntaxNode};

const EXPAND_CONTRACT_FIX: &str = "expand first (add the new shape beside the old one), ship a \
     release that uses only the new shape, then contract in a later migration acknowledged with \
     -- ferry:contract <reason>";

pub(super) fn classify(
    t: &ast::AlterTable,
    ctx: &mut FileContext,
    transactional: &mut bool,
) -> Vec<Hit> {
    let table = table_of(t.table_relation_name());
    if ctx.is_new(&table) {
        return vec![hit(
            "new-table",
            Expand,
            "Changes a table created in this file.",
        )];
    }
    let mut hits = Vec::new();
    for action in t.actions() {
        action_hits(&action, &table, ctx, &mut hits, transactional);
    }
    if hits.is_empty() {
        hits.push(hit(
            "alter-table",
            Expand,
            "No action that affects clients.",
        ));
    }
    hits
}

fn action_hits(
    action: &ast::AlterTableAction,
    table: &str,
    ctx: &mut FileContext,
    hits: &mut Vec<Hit>,
    transactional: &mut bool,
) {
    use ast::AlterTableAction as A;
    let node = action.syntax();
    match action {
        A::AddColumn(c) => add_column(c, hits),
        A::DropColumn(_) => hits.push(
            hit(
                "drop-column",
                Contract,
                "The previous release still reads or writes this column.",
            )
            .fix(EXPAND_CONTRACT_FIX),
        ),
        A::RenameColumn(_) => hits.push(
            hit(
                "rename-column",
                Contract,
                "The previous release still uses the old column name.",
            )
            .fix("add the new column, write both, backfill, switch reads, then drop the old one"),
        ),
        A::TableRenameTo(_) => hits.push(
            hit(
                "rename-table",
                Contract,
                "The previous release still uses the old table name.",
            )
            .fix("rename, and leave a view under the old name until no release uses it"),
        ),
        A::RenameConstraint(_) => hits.push(hit(
            "rename-constraint",
            Contract,
            "The previous release may match errors by the old constraint name.",
        )),
        A::SetSchema(_) => hits.push(hit(
            "set-schema",
            Contract,
            "The previous release still finds the table in its old schema.",
        )),
        A::AlterColumn(c) => alter_column(c, hits),
        A::AddConstraint(c) => {
            if has_token(node, SyntaxKind::VALID_KW) {
                let constraint = node
                    .descendants()
                    .find_map(ast::ConstraintNameClause::cast)
                    .and_then(|n| n.constraint_name());
                ctx.not_valid.insert(format!(
                    "{table}.{}",
                    name(constraint.as_ref().map(|n| n.syntax()))
                ));
            }
            add_constraint(c, hits)
        }
        A::ValidateConstraint(v) => {
            let constraint = name(v.constraint_name_ref().as_ref().map(|n| n.syntax()));
            if ctx.not_valid.contains(&format!("{table}.{constraint}")) {
                hits.push(
                    hit(
                        "validate-in-same-transaction",
                        Lock,
                        "Validated in the transaction that added it NOT VALID: the ADD's lock \
                         stays held while every row is checked, so NOT VALID gains nothing.",
                    )
                    .fix("VALIDATE CONSTRAINT in a later migration file"),
                );
            } else {
                hits.push(hit(
                    "validate-constraint",
                    Expand,
                    "VALIDATE CONSTRAINT checks existing rows while reads and writes go on.",
                ));
            }
        }
        A::DropConstraint(_) => hits.push(hit(
            "drop-constraint",
            Contract,
            "Rows written without the constraint may break the previous release after a rollback.",
        )),
        A::SetLogged(_) | A::SetUnlogged(_) | A::SetTablespace(_) | A::SetAccessMethod(_) => {
            hits.push(rewrite())
        }
        A::AttachPartition(_) => hits.push(hit(
            "attach-partition",
            Lock,
            "Checks the partition's rows under a lock unless a matching CHECK constraint exists.",
        )),
        A::DetachPartition(_) => {
            let concurrently = has_token(node, SyntaxKind::CONCURRENTLY_KW);
            hits.push(hit(
                "detach-partition",
                Contract,
                "The partition's rows disappear from the table the previous release queries.",
            ));
            if concurrently {
                *transactional = false;
            } else {
                hits.push(
                    hit(
                        "detach-partition-locks",
                        Lock,
                        "DETACH PARTITION without CONCURRENTLY locks the parent table.",
                    )
                    .fix("DETACH PARTITION … CONCURRENTLY, in a migration file of its own"),
                );
            }
        }
        A::EnableRls(_) | A::ForceRls(_) => hits.push(hit(
            "row-level-security",
            Contract,
            "With row-level security on, the previous release may see no rows.",
        )),
        A::InheritTable(_) | A::NoInheritTable(_) | A::OfType(_) | A::NotOf(_) => hits.push(hit(
            "change-inheritance",
            Contract,
            "Changes which rows queries on the parent return.",
        )),
        A::MergePartitions(_) | A::SplitPartition(_) => hits.push(rewrite()),
        A::AlterConstraint(_)
        | A::AlterOptionList(_)
        | A::OptionItemList(_)
        | A::ClusterOn(_)
        | A::SetWithoutCluster(_)
        | A::SetWithoutOids(_)
        | A::SetOptions(_)
        | A::ResetOptions(_)
        | A::OwnerTo(_)
        | A::ReplicaIdentity(_)
        | A::DisableRls(_)
        | A::NoForceRls(_)
        | A::DisableRule(_)
        | A::EnableRule(_)
        | A::EnableAlwaysRule(_)
        | A::EnableReplicaRule(_)
        | A::DisableTrigger(_)
        | A::EnableTrigger(_)
        | A::EnableAlwaysTrigger(_)
        | A::EnableReplicaTrigger(_) => hits.push(hit(
            "table-setting",
            Expand,
            "A table setting the previous release does not depend on.",
        )),
    }
}

fn rewrite() -> Hit {
    hit(
        "table-rewrite",
        Lock,
        "Rewrites the whole table under an ACCESS EXCLUSIVE lock.",
    )
    .fix("do it in a maintenance window, or build a new table and switch over")
}

fn add_column(c: &ast::AddColumn, hits: &mut Vec<Hit>) {
    let mut not_null = false;
    let mut default: Option<ast::Expr> = None;
    let mut generated = false;
    let mut locks: Vec<Hit> = Vec::new();
    for constraint in c.constraints() {
        use ast::Constraint as K;
        match constraint {
            K::NotNullConstraint(_) => not_null = true,
            K::DefaultConstraint(d) => default = d.expr(),
            K::GeneratedConstraint(_) => generated = true,
            K::PrimaryKeyConstraint(_) => {
                not_null = true;
                locks.push(builds_index());
            }
            K::UniqueConstraint(_) => locks.push(builds_index()),
            K::ReferencesConstraint(_) | K::ForeignKeyConstraint(_) => locks.push(hit(
                "add-foreign-key",
                Lock,
                "Adding a foreign key locks both tables (SHARE ROW EXCLUSIVE) while it checks rows.",
            )
            .fix("add the column, then ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then VALIDATE CONSTRAINT in a later migration")),
            K::CheckConstraint(_) | K::ExcludeConstraint(_) => locks.push(hit(
                "constraint-validated-in-one-step",
                Lock,
                "The new column's constraint is checked against every row under a lock.",
            )),
            K::NullConstraint(_) => {}
        }
    }
    let type_text = c
        .ty()
        .map(|t| t.syntax().text().to_string().to_lowercase())
        .unwrap_or_default();
    let serial = matches!(
        type_text.trim(),
        "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
    );
    if not_null && default.is_none() && !generated && !serial {
        hits.push(
            hit(
                "add-column-required",
                Contract,
                "A NOT NULL column without a default: the previous release's INSERTs leave it out and fail.",
            )
            .fix("add it nullable or with a constant default; set NOT NULL in a later release"),
        );
    }
    if generated || serial {
        locks.push(rewrite_for(
            "A generated, identity or serial column fills every row",
        ));
    } else if default.as_ref().is_some_and(|e| volatile(e.syntax())) {
        locks.push(
            hit(
                "add-column-volatile-default",
                Lock,
                "A default that is not a constant (volatile function) rewrites the table under an ACCESS EXCLUSIVE lock.",
            )
            .fix("add the column without a default, set the default, then backfill in batches"),
        );
    }
    if locks.is_empty() && hits.is_empty() {
        hits.push(hit(
            "add-column",
            Expand,
            "A nullable column, or one with a constant default: the previous release ignores it.",
        ));
    }
    hits.extend(locks);
}

fn rewrite_for(why: &str) -> Hit {
    hit(
        "table-rewrite",
        Lock,
        format!("{why}: the table is rewritten under an ACCESS EXCLUSIVE lock."),
    )
    .fix("add a plain nullable column, backfill it in batches, then add the default or identity")
}

fn builds_index() -> Hit {
    hit(
        "constraint-builds-index",
        Lock,
        "Building the unique index blocks writes to the table.",
    )
    .fix("CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … USING INDEX")
}

/// Functions whose value is fixed for the statement, so PostgreSQL (11+) stores the default
/// once instead of rewriting the table. Anything else is treated as volatile.
const STABLE_FUNCTIONS: &[&str] = &[
    "now",
    "statement_timestamp",
    "transaction_timestamp",
    "current_setting",
    "lower",
    "upper",
    "to_timestamp",
    "to_date",
    "make_interval",
    "make_date",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_build_array",
    "json_build_array",
    "array",
    "coalesce",
];

fn volatile(expr: &SyntaxNode) -> bool {
    expr.descendants()
        .filter_map(ast::CallExpr::cast)
        .any(|call| {
            let callee = name(call.expr().as_ref().map(|e| e.syntax()));
            let short = callee.rsplit('.').next().unwrap_or("");
            !STABLE_FUNCTIONS.contains(&short)
        })
}

fn alter_column(c: &ast::AlterColumn, hits: &mut Vec<Hit>) {
    use ast::AlterColumnOption as O;
    let Some(option) = c.option() else {
        hits.push(hit("alter-column", Expand, "No change."));
        return;
    };
    match option {
        O::SetType(_) => {
            hits.push(
                hit(
                    "change-column-type",
                    Contract,
                    "The previous release reads and writes the old type.",
                )
                .fix(
                    "add a column of the new type, write both, backfill, switch, drop the old one",
                ),
            );
            hits.push(rewrite());
        }
        O::SetNotNull(_) => {
            hits.push(
                hit(
                    "set-not-null",
                    Contract,
                    "The previous release may still write NULL here.",
                )
                .fix(ACK_FIX),
            );
            hits.push(
                hit(
                    "set-not-null-scans",
                    Lock,
                    "SET NOT NULL scans the table under an ACCESS EXCLUSIVE lock.",
                )
                .fix("ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL (no scan since PostgreSQL 12)"),
            );
        }
        O::DropNotNull(_) => hits.push(hit(
            "drop-not-null",
            Contract,
            "Rows with NULL written after this break the previous release after a rollback.",
        )),
        O::DropDefault(_) => hits.push(hit(
            "drop-default",
            Contract,
            "The previous release's INSERTs rely on the default.",
        )),
        O::SetDefault(_) => hits.push(hit(
            "set-default",
            Expand,
            "A new default applies to new rows only.",
        )),
        O::DropExpression(_)
        | O::DropIdentity(_)
        | O::AddGenerated(_)
        | O::SetGenerated(_)
        | O::SetGeneratedOptions(_)
        | O::SetSequenceOption(_)
        | O::Restart(_) => hits.push(hit(
            "alter-identity",
            Contract,
            "Changes how the column gets its values; the previous release's writes may fail.",
        )),
        O::SetExpression(_) => {
            hits.push(hit(
                "alter-identity",
                Contract,
                "Changes a generated column's values.",
            ));
            hits.push(rewrite());
        }
        O::SetStatistics(_)
        | O::SetStorage(_)
        | O::SetCompression(_)
        | O::SetOptions(_)
        | O::SetOptionsList(_)
        | O::ResetOptions(_)
        | O::Inherit(_)
        | O::NoInherit(_) => hits.push(hit(
            "column-setting",
            Expand,
            "Storage or planner setting only.",
        )),
    }
}

fn add_constraint(c: &ast::AddConstraint, hits: &mut Vec<Hit>) {
    use ast::Constraint as K;
    let node = c.syntax();
    let not_valid = has_token(node, SyntaxKind::VALID_KW);
    let using_index =
        has_token(node, SyntaxKind::USING_KW) && has_token(node, SyntaxKind::INDEX_KW);
    let narrow = |what: &str| {
        hit(
            "add-constraint",
            Contract,
            format!("A new {what} constraint rejects rows the previous release may still write."),
        )
        .fix(ACK_FIX)
    };
    match c.constraint() {
        Some(K::CheckConstraint(_)) | Some(K::NotNullConstraint(_)) => {
            hits.push(narrow("CHECK"));
            if !not_valid {
                hits.push(validated_in_one_step());
            }
        }
        Some(K::ForeignKeyConstraint(_)) | Some(K::ReferencesConstraint(_)) => {
            hits.push(narrow("FOREIGN KEY"));
            if !not_valid {
                hits.push(validated_in_one_step());
            }
        }
        Some(K::UniqueConstraint(_)) | Some(K::PrimaryKeyConstraint(_)) => {
            hits.push(narrow("UNIQUE or PRIMARY KEY"));
            if !using_index {
                hits.push(builds_index());
            }
        }
        Some(K::ExcludeConstraint(_)) => {
            hits.push(narrow("EXCLUDE"));
            hits.push(builds_index());
        }
        Some(K::DefaultConstraint(_))
        | Some(K::GeneratedConstraint(_))
        | Some(K::NullConstraint(_))
        | None => hits.push(super::unreviewed(node)),
    }
}

fn validated_in_one_step() -> Hit {
    hit(
        "constraint-validated-in-one-step",
        Lock,
        "Adding a validated constraint checks every row under a lock that blocks writes.",
    )
    .fix("ADD CONSTRAINT … NOT VALID, then VALIDATE CONSTRAINT in a later migration")
}
