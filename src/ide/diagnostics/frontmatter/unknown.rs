//! unknown-field: a frontmatter key that is neither in the schema nor a known extension; a
//! warning naming the field it most likely means when it looks like a typo, else a hint.

use crate::base::nearest;
use crate::db::vocab::KNOWN_FIELDS;
use crate::ide::types::{Diagnostic, Rule, Severity};
use crate::syntax::card::FrontmatterEntry;

use super::{Emit, SUGGEST_MAX_LEN, shown};
use crate::ide::diagnostics::RuleDoc;

pub(super) fn check(entry: &FrontmatterEntry, emit: &mut Emit) {
    let key = &*entry.key;
    let suggestion = if key.len() <= SUGGEST_MAX_LEN {
        nearest(key, KNOWN_FIELDS, 2)
    } else {
        None
    };
    let diagnostic = match suggestion {
        Some(known) => Diagnostic::new(
            Rule::UnknownField,
            emit.file,
            entry.key_range,
            format!("unknown field `{key}`; did you mean `{known}`?"),
        )
        .with_severity(Severity::Warning),
        None => Diagnostic::new(
            Rule::UnknownField,
            emit.file,
            entry.key_range,
            format!("`{}` is not a FlowOS task field", shown(key)),
        ),
    };
    emit.out.push(diagnostic);
}

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const UNKNOWN_FIELD: RuleDoc = RuleDoc {
    rule: Rule::UnknownField,
    name: "unknown-field",
    severity: Severity::Hint,
    summary: "A frontmatter key is neither in the schema nor a known extension (a warning when it looks like a typo).",
    docs: include_str!("../docs/unknown-field.md"),
};
