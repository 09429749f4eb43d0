//! invalid-task-ref: a task reference (`task_id`, the reference lists, `split_from`) that
//! does not follow the task ID grammar, with the ID it most likely means. Numbers written
//! where a reference belongs are field-type problems, reported here with the field and item.

use crate::ide::types::{Rule, Severity};
use crate::syntax::task_id::{TaskId, parse_task_ref};
use crate::syntax::yaml::{YamlNode, YamlValue};

use super::{Emit, SUGGEST_MAX_LEN, shown};
use crate::ide::diagnostics::RuleDoc;

pub(super) const REF_GRAMMAR: &str = "0042, TASK-0042, FW-0042 or TASK-FW-0042";

/// A `task_id` written as a string that is no task ID.
pub(super) fn check_task_id(value: &YamlNode, text: &str, emit: &mut Emit) {
    if parse_task_ref(text.trim()).is_none() {
        let hint = match ref_suggestion(text) {
            Some(id) => format!("; did you mean `{}`?", id.short()),
            None => String::new(),
        };
        emit.add(
            Rule::InvalidTaskRef,
            value.range,
            format!(
                "task_id `{}` is not a task ID{hint} (expected {REF_GRAMMAR})",
                shown(text)
            ),
        );
    }
}

pub(super) fn check_ref_list(node: &YamlNode, key: &str, source: &str, emit: &mut Emit) {
    match &node.value {
        YamlValue::Null => {}
        YamlValue::Seq(items) => {
            for (index, item) in items.iter().enumerate() {
                check_ref_value(item, key, Some(index), source, emit);
            }
        }
        YamlValue::Str { text, .. } => emit.field_type(
            node.range,
            key,
            None,
            format!(
                "`{key}` must be a list of task IDs: write `{key}: [{}]`",
                shown(text.trim())
            ),
        ),
        _ => emit.field_type(
            node.range,
            key,
            None,
            format!(
                "`{key}` must be a list of task IDs, not {}",
                node.kind_name()
            ),
        ),
    }
}

pub(super) fn check_single_ref(node: &YamlNode, key: &str, source: &str, emit: &mut Emit) {
    match &node.value {
        YamlValue::Null => {}
        YamlValue::Seq(_) | YamlValue::Map(_) => emit.field_type(
            node.range,
            key,
            None,
            format!("`{key}` must be one task ID, not {}", node.kind_name()),
        ),
        _ => check_ref_value(node, key, None, source, emit),
    }
}

/// One reference: `item` is its position when it is an item of a list.
fn check_ref_value(node: &YamlNode, key: &str, item: Option<usize>, source: &str, emit: &mut Emit) {
    match &node.value {
        YamlValue::Str { text, .. } => {
            if parse_task_ref(text.trim()).is_none() {
                emit.add(
                    Rule::InvalidTaskRef,
                    node.range,
                    format!(
                        "`{}` in `{key}` is not a task ID{} (expected {REF_GRAMMAR})",
                        shown(text),
                        did_you_mean(text)
                    ),
                );
            }
        }
        YamlValue::Int(_) | YamlValue::Float(_) => {
            let written = shown(node.range.slice(source));
            emit.field_type(
                node.range,
                key,
                item,
                format!(
                    "task IDs in `{key}` must be quoted strings: write `\"{written}\"`, since YAML reads an unquoted {written} as a number"
                ),
            )
        }
        _ => emit.field_type(
            node.range,
            key,
            item,
            format!(
                "items of `{key}` must be task IDs, not {}",
                node.kind_name()
            ),
        ),
    }
}

/// The task a malformed reference most likely means: a lowercase `task-0042`, or a number
/// written without its leading zeros (`TASK-42`).
fn ref_suggestion(text: &str) -> Option<TaskId> {
    let text = text.trim();
    if text.len() > SUGGEST_MAX_LEN {
        return None;
    }
    let upper = text.to_ascii_uppercase();
    if let Some((id, _)) = parse_task_ref(&upper) {
        return Some(id);
    }
    let (head, digits) = match upper.rsplit_once('-') {
        Some((head, digits)) => (Some(head), digits),
        None => (None, upper.as_str()),
    };
    if digits.is_empty() || digits.len() >= 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let padded = match head {
        Some(head) => format!("{head}-{digits:0>4}"),
        None => format!("{digits:0>4}"),
    };
    parse_task_ref(&padded).map(|(id, _)| id)
}

pub(super) fn did_you_mean(reference: &str) -> String {
    match ref_suggestion(reference) {
        Some(id) => format!("; did you mean `{id}`?"),
        None => String::new(),
    }
}

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const INVALID_TASK_REF: RuleDoc = RuleDoc {
    rule: Rule::InvalidTaskRef,
    name: "invalid-task-ref",
    severity: Severity::Error,
    summary: "A task reference does not follow the task ID grammar.",
    docs: include_str!("../docs/invalid-task-ref.md"),
};
