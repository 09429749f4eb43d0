//! Rules on one card's frontmatter, one module per rule: frontmatter-missing and yaml-syntax
//! (`block`), field-missing (`required`), field-type (`field_type`), invalid-value
//! (`values`), invalid-date (`dates`), invalid-task-ref (`refs`) and unknown-field
//! (`unknown`). This module walks the block and hands each field to the rule for its kind.

mod block;
pub(super) mod dates;
pub(super) mod field_type;
mod refs;
pub(super) mod required;
mod unknown;
pub(super) mod values;

use crate::base::{TextRange, edit_distance};
use crate::db::vocab::{
    DATE_FIELDS, EFFORTS, KNOWN_FIELDS, PRIORITIES, REF_LIST_FIELDS, SCHEMA_VERSIONS,
};
use crate::db::{FileId, Workspace};
use crate::ide::diagnostics::{RuleDoc, RuleModule};
use crate::ide::types::{Diagnostic, FixData, Rule};
use crate::syntax::card::{Card, Frontmatter, FrontmatterEntry};
use crate::syntax::yaml::{YamlErrorKind, YamlValue};

/// Values quoted back in a message are cut to this many characters, so a pasted paragraph
/// (or a 1 MB scalar) does not become the message.
const SHOWN_CHARS: usize = 60;

/// Suggestions are only looked for among words this short: a longer value is no typo of a
/// field name or an enum value, and edit distance on it would cost time for nothing.
const SUGGEST_MAX_LEN: usize = 40;

pub(super) fn check(workspace: &Workspace, file: FileId, card: &Card, out: &mut Vec<Diagnostic>) {
    let text = &workspace.file(file).text;
    let block = match &card.frontmatter {
        Frontmatter::Missing { range } => {
            out.push(block::missing_frontmatter(file, text, *range));
            return;
        }
        Frontmatter::Unterminated { range } => {
            out.push(Diagnostic::new(
                Rule::FrontmatterMissing,
                file,
                *range,
                "the frontmatter opened here is never closed: add a `---` line after the last field",
            ));
            return;
        }
        Frontmatter::Present(block) => block,
    };
    if let Some(error) = &block.error {
        // A block over a cap was not parsed: resource-limit says so, and nothing here can.
        if !matches!(error.kind, YamlErrorKind::OverCap(_)) {
            out.push(block::yaml_syntax(file, text, error));
        }
        return;
    }
    required::check(file, block, out);
    for entry in &block.entries {
        check_entry(file, text, entry, out);
    }
}

/// `text` for a message: cut short when long, so the message stays a sentence.
fn shown(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Where the checks of one card's fields report.
struct Emit<'a> {
    file: FileId,
    out: &'a mut Vec<Diagnostic>,
}

impl Emit<'_> {
    /// Reports `message` at `range`; the caller may hand the diagnostic a fix payload.
    fn add(&mut self, rule: Rule, range: TextRange, message: String) -> &mut Diagnostic {
        self.out
            .push(Diagnostic::new(rule, self.file, range, message));
        let last = self.out.len() - 1;
        &mut self.out[last]
    }

    /// A field-type diagnostic on field `key` (on its item at `item`).
    fn field_type(&mut self, range: TextRange, key: &str, item: Option<usize>, message: String) {
        self.add(Rule::FieldType, range, message).fix = Some(FixData::FieldType {
            key: key.to_string(),
            item,
        });
    }
}

fn check_entry(file: FileId, text: &str, entry: &FrontmatterEntry, out: &mut Vec<Diagnostic>) {
    let key = &*entry.key;
    let value = &entry.value;
    let mut emit = Emit { file, out };
    let emit = &mut emit;
    match key {
        "task_id" => match &value.value {
            YamlValue::Str { text, .. } => refs::check_task_id(value, text, emit),
            YamlValue::Int(_) | YamlValue::Float(_) => {
                let written = shown(value.range.slice(text));
                emit.field_type(
                    value.range,
                    key,
                    None,
                    format!(
                        "task_id must be a quoted string: write `\"{written}\"`, since YAML reads an unquoted {written} as a number"
                    ),
                );
            }
            YamlValue::Null => {}
            _ => emit.field_type(
                value.range,
                key,
                None,
                format!("task_id must be a quoted string, not {}", value.kind_name()),
            ),
        },
        "stage" => values::check_enum(value, key, &values::stage_names(), emit),
        "status" => values::check_enum(value, key, &values::status_names(), emit),
        "priority" => values::check_enum(value, key, &PRIORITIES, emit),
        "effort_estimate" => values::check_enum(value, key, &EFFORTS, emit),
        "schema_version" => {
            if let YamlValue::Float(_) | YamlValue::Int(_) = value.value {
                let written = shown(value.range.slice(text));
                emit.field_type(
                    value.range,
                    key,
                    None,
                    format!(
                        "schema_version must be the quoted string \"1.0\", since YAML reads an unquoted {written} as a number"
                    ),
                );
            } else {
                values::check_enum(value, key, &SCHEMA_VERSIONS, emit);
            }
        }
        "blocked_by" => values::check_blocked_by(value, emit),
        "split_from" => refs::check_single_ref(value, key, text, emit),
        "tags" | "previous_dris" => field_type::check_string_list(value, key, emit),
        _ if REF_LIST_FIELDS.contains(&key) => refs::check_ref_list(value, key, text, emit),
        _ if DATE_FIELDS.contains(&key) => dates::check_date(value, key, text, emit),
        _ if KNOWN_FIELDS.contains(&key) => field_type::check_scalar_string(value, key, emit),
        _ => unknown::check(entry, emit),
    }
}

/// The allowed value nearest to `text` (ignoring case), when exactly one is nearest: `P` is as
/// close to P0 as to P4, and naming either would be a guess.
fn unique_nearest(text: &str, allowed: &[&'static str]) -> Option<&'static str> {
    if text.len() > SUGGEST_MAX_LEN {
        return None;
    }
    let text = text.trim().to_ascii_lowercase();
    let distance = |candidate: &str| edit_distance(&text, &candidate.to_ascii_lowercase());
    let best = allowed.iter().map(|candidate| distance(candidate)).min()?;
    let mut nearest = allowed
        .iter()
        .filter(|candidate| distance(candidate) == best);
    match (nearest.next(), nearest.next()) {
        (Some(only), None) if best <= 3 && best < text.len().max(1) => Some(*only),
        _ => None,
    }
}

/// The rules this module's files check, in catalogue order.
pub(crate) const RULES: &[RuleDoc] = &[
    block::FRONTMATTER_MISSING,
    block::YAML_SYNTAX,
    required::FIELD_MISSING,
    field_type::FIELD_TYPE,
    values::INVALID_VALUE,
    dates::INVALID_DATE,
    refs::INVALID_TASK_REF,
    unknown::UNKNOWN_FIELD,
];

pub(super) const MODULE: RuleModule = RuleModule {
    card: Some(check),
    task: None,
    fixes: &[
        (Rule::FieldMissing, required::fix),
        (Rule::FieldType, field_type::fix),
        (Rule::InvalidValue, values::fix),
        (Rule::InvalidDate, dates::fix),
    ],
    rules: RULES,
};

#[cfg(test)]
mod tests;
