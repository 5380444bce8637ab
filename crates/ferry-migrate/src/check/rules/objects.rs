//! Statements on objects other than a table's columns: indexes, types, domains, and the
//! shared findings for replaced definitions, data changes and statements without a rule.

use super::{
    has_token, hit, table_of, FileContext, Hit, ACK_FIX, CONCURRENTLY_FIX, CREATE_OR_REPLACE_FIX,
};
use crate::check::Class::*;
use squawk_syntax::ast;
use squawk_syntax::{SyntaxKind, SyntaxNode};

pub(super) fn data_change() -> Hit {
    hit(
        "data-change",
        Expand,
        "Changes rows, not the schema; a large change holds row locks until the migration commits.",
    )
}

pub(super) fn replace() -> Hit {
    hit(
        "replace-definition",
        Contract,
        "CREATE OR REPLACE changes a definition the previous release may rely on.",
    )
    .fix(CREATE_OR_REPLACE_FIX)
}

pub(super) fn unreviewed(node: &SyntaxNode) -> Hit {
    hit(
        "unreviewed-statement",
        Contract,
        format!(
            "ferry has no rule for {}; a person has to judge it.",
            kind_name(node.kind())
        ),
    )
    .fix(ACK_FIX)
}

/// `ALTER_EXTENSION` → `ALTER EXTENSION`.
fn kind_name(kind: SyntaxKind) -> String {
    format!("{kind:?}").replace('_', " ")
}

pub(super) fn create_index(
    i: &ast::CreateIndex,
    ctx: &FileContext,
    transactional: &mut bool,
) -> Vec<Hit> {
    let table = table_of(i.table_relation_name());
    if ctx.is_new(&table) {
        return vec![hit(
            "new-table",
            Expand,
            "Index on a table created in this file.",
        )];
    }
    let mut hits = Vec::new();
    if i.concurrently_token().is_some() {
        *transactional = false;
        hits.push(hit(
            "create-index-concurrently",
            Expand,
            "Builds the index without blocking reads or writes.",
        ));
    } else {
        hits.push(
            hit(
                "create-index-locks",
                Lock,
                "CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds.",
            )
            .fix(CONCURRENTLY_FIX),
        );
    }
    if i.unique_token().is_some() {
        hits.push(
            hit(
                "add-unique",
                Contract,
                "A unique index rejects duplicates the previous release may still write.",
            )
            .fix(ACK_FIX),
        );
    }
    hits
}

pub(super) fn alter_type(node: &SyntaxNode) -> Vec<Hit> {
    let renames = has_token(node, SyntaxKind::RENAME_KW);
    let drops = has_token(node, SyntaxKind::DROP_KW);
    let retypes = has_token(node, SyntaxKind::TYPE_KW) && has_token(node, SyntaxKind::ATTRIBUTE_KW);
    if renames || drops || retypes || has_token(node, SyntaxKind::SCHEMA_KW) {
        vec![hit(
            "alter-type",
            Contract,
            "Renames or removes part of a type the previous release uses.",
        )]
    } else if has_token(node, SyntaxKind::VALUE_KW) {
        vec![hit(
            "add-enum-value",
            Expand,
            "New enum value; the previous release never writes it, but may fail to read it.",
        )]
    } else {
        vec![hit("alter-type", Expand, "Adds to a type.")]
    }
}

pub(super) fn alter_domain(node: &SyntaxNode) -> Vec<Hit> {
    if has_token(node, SyntaxKind::ADD_KW) || has_token(node, SyntaxKind::SET_KW) {
        let mut hits = vec![hit(
            "narrow-domain",
            Contract,
            "A new domain constraint rejects values the previous release may write.",
        )
        .fix(ACK_FIX)];
        if !has_token(node, SyntaxKind::VALID_KW) {
            hits.push(hit(
                "constraint-validated-in-one-step",
                Lock,
                "Checks every column of the domain under a lock.",
            ));
        }
        hits
    } else {
        vec![hit(
            "alter-domain",
            Contract,
            "Drops or renames part of a domain the previous release relies on.",
        )]
    }
}
