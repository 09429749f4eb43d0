//! Rules on one card's frontmatter: frontmatter-missing, yaml-syntax, field-missing,
//! field-type, invalid-value, invalid-date, invalid-task-ref and unknown-field.

use crate::base::{TextRange, nearest};
use crate::db::vocab::{
    BLOCKED_BY_PREFIXES, DATE_FIELDS, EFFORTS, KNOWN_FIELDS, PRIORITIES, REF_LIST_FIELDS,
    REQUIRED_FIELDS, SCHEMA_VERSIONS, Stage, Status,
};
use crate::db::{FileId, SourceFile, Workspace};
use crate::ide::types::{Diagnostic, Rule, Severity};
use crate::syntax::card::{Card, Frontmatter, FrontmatterEntry};
use crate::syntax::ledger::parse_date;
use crate::syntax::task_id::parse_task_ref;
use crate::syntax::yaml::{YamlNode, YamlValue};

const REF_GRAMMAR: &str = "0042, TASK-0042, FW-0042 or TASK-FW-0042";

pub(super) fn check(workspace: &Workspace, file: FileId, card: &Card, out: &mut Vec<Diagnostic>) {
    let text = &workspace.file(file).text;
    let block = match &card.frontmatter {
        Frontmatter::Missing { range } => {
            out.push(Diagnostic::new(
                Rule::FrontmatterMissing,
                file,
                *range,
                "the card must start with a `---` line opening its YAML frontmatter",
            ));
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
        out.push(Diagnostic::new(
            Rule::YamlSyntax,
            file,
            error.range,
            format!("invalid YAML in the frontmatter: {}", error.message),
        ));
        return;
    }
    let opening_fence = TextRange::new(block.range.start as usize, block.range.start as usize + 3);
    for required in REQUIRED_FIELDS {
        match block.get(required) {
            None => out.push(Diagnostic::new(
                Rule::FieldMissing,
                file,
                opening_fence,
                format!("required field `{required}` is missing from the frontmatter"),
            )),
            Some(entry) if is_blank(&entry.value) => out.push(Diagnostic::new(
                Rule::FieldMissing,
                file,
                value_or_key_range(entry),
                format!("required field `{required}` is empty"),
            )),
            Some(_) => {}
        }
    }
    for entry in &block.entries {
        check_entry(file, text, entry, out);
    }
}

/// A card file that could not be parsed at all (too large).
pub(super) fn check_unparsed(file_id: FileId, file: &SourceFile, out: &mut Vec<Diagnostic>) {
    if let Some(reason) = &file.unreadable {
        out.push(Diagnostic::new(
            Rule::FrontmatterMissing,
            file_id,
            TextRange::empty(0),
            format!("the card could not be read: {reason}"),
        ));
    }
}

fn is_blank(node: &YamlNode) -> bool {
    match &node.value {
        YamlValue::Null => true,
        YamlValue::Str { text, .. } => text.trim().is_empty(),
        _ => false,
    }
}

fn value_or_key_range(entry: &FrontmatterEntry) -> TextRange {
    if entry.value.range.is_empty() {
        entry.key_range
    } else {
        entry.value.range
    }
}

fn check_entry(file: FileId, text: &str, entry: &FrontmatterEntry, out: &mut Vec<Diagnostic>) {
    let key = entry.key.as_str();
    let value = &entry.value;
    let mut emit = |rule: Rule, range: TextRange, message: String| {
        out.push(Diagnostic::new(rule, file, range, message));
    };
    match key {
        "task_id" => match &value.value {
            YamlValue::Str { text, .. } => {
                if parse_task_ref(text.trim()).is_none() {
                    emit(
                        Rule::InvalidTaskRef,
                        value.range,
                        format!("task_id `{text}` is not a task ID (expected {REF_GRAMMAR})"),
                    );
                }
            }
            YamlValue::Int(_) | YamlValue::Float(_) => {
                let written = value.range.slice(text);
                emit(
                    Rule::FieldType,
                    value.range,
                    format!(
                        "task_id must be a quoted string: write `\"{written}\"`, since YAML reads an unquoted {written} as a number"
                    ),
                );
            }
            YamlValue::Null => {}
            _ => emit(
                Rule::FieldType,
                value.range,
                format!("task_id must be a quoted string, not {}", value.kind_name()),
            ),
        },
        "stage" => check_enum(value, key, &stage_names(), &mut emit),
        "status" => check_enum(value, key, &status_names(), &mut emit),
        "priority" => check_enum(value, key, &PRIORITIES, &mut emit),
        "effort_estimate" => {
            if let YamlValue::Int(number) = value.value {
                if !EFFORTS.contains(&number.to_string().as_str()) {
                    emit(
                        Rule::InvalidValue,
                        value.range,
                        format!(
                            "`{number}` is not an effort estimate; use one of {}",
                            EFFORTS.join(", ")
                        ),
                    );
                }
            } else {
                check_enum(value, key, &EFFORTS, &mut emit);
            }
        }
        "schema_version" => {
            if let YamlValue::Float(_) | YamlValue::Int(_) = value.value {
                emit(
                    Rule::FieldType,
                    value.range,
                    "schema_version must be the quoted string \"1.0\"".to_string(),
                );
            } else {
                check_enum(value, key, &SCHEMA_VERSIONS, &mut emit);
            }
        }
        "blocked_by" => check_blocked_by(value, &mut emit),
        "split_from" => check_single_ref(value, key, &mut emit),
        "tags" | "previous_dris" => check_string_list(value, key, &mut emit),
        _ if REF_LIST_FIELDS.contains(&key) => check_ref_list(value, key, &mut emit),
        _ if DATE_FIELDS.contains(&key) => check_date(value, key, &mut emit),
        _ if KNOWN_FIELDS.contains(&key) => check_scalar_string(value, key, &mut emit),
        _ => {
            let suggestion = nearest(key, KNOWN_FIELDS, 2);
            let diagnostic = match suggestion {
                Some(known) => Diagnostic::new(
                    Rule::UnknownField,
                    file,
                    entry.key_range,
                    format!("unknown field `{key}`; did you mean `{known}`?"),
                )
                .with_severity(Severity::Warning),
                None => Diagnostic::new(
                    Rule::UnknownField,
                    file,
                    entry.key_range,
                    format!("`{key}` is not a FlowOS task field"),
                ),
            };
            out.push(diagnostic);
        }
    }
}

fn stage_names() -> Vec<&'static str> {
    Stage::ALL.iter().map(|stage| stage.name()).collect()
}

fn status_names() -> Vec<&'static str> {
    Status::ALL.iter().map(|status| status.name()).collect()
}

type Emit<'a> = dyn FnMut(Rule, TextRange, String) + 'a;

/// A null or one of `allowed`; anything else names the nearest allowed value.
fn check_enum(node: &YamlNode, key: &str, allowed: &[&str], emit: &mut Emit) {
    let text = match &node.value {
        YamlValue::Null => return,
        YamlValue::Str { text, .. } => text.clone(),
        YamlValue::Int(number) => number.to_string(),
        YamlValue::Float(number) => number.to_string(),
        YamlValue::Bool(flag) => flag.to_string(),
        YamlValue::Seq(_) | YamlValue::Map(_) => {
            emit(
                Rule::FieldType,
                node.range,
                format!("`{key}` must be a single value, not {}", node.kind_name()),
            );
            return;
        }
    };
    if allowed.contains(&text.as_str()) {
        return;
    }
    let choices = allowed.join(", ");
    let message = match nearest(&text, allowed.iter().copied(), 3) {
        Some(suggestion) => format!(
            "`{text}` is not a valid {key}; did you mean `{suggestion}`? (one of {choices})"
        ),
        None => format!("`{text}` is not a valid {key}; use one of {choices}"),
    };
    emit(Rule::InvalidValue, node.range, message);
}

fn check_scalar_string(node: &YamlNode, key: &str, emit: &mut Emit) {
    if let YamlValue::Seq(_) | YamlValue::Map(_) = node.value {
        emit(
            Rule::FieldType,
            node.range,
            format!("`{key}` must be a single value, not {}", node.kind_name()),
        );
    }
}

fn check_date(node: &YamlNode, key: &str, emit: &mut Emit) {
    let text = match &node.value {
        YamlValue::Null => return,
        YamlValue::Str { text, .. } => text.trim(),
        _ => {
            emit(
                Rule::InvalidDate,
                node.range,
                format!("`{key}` must be a date written YYYY-MM-DD"),
            );
            return;
        }
    };
    if parse_date(text).is_none() {
        emit(
            Rule::InvalidDate,
            node.range,
            format!("`{text}` is not a real date; `{key}` must be written YYYY-MM-DD"),
        );
    }
}

fn check_string_list(node: &YamlNode, key: &str, emit: &mut Emit) {
    match &node.value {
        YamlValue::Null => {}
        YamlValue::Seq(items) => {
            for item in items {
                if let YamlValue::Seq(_) | YamlValue::Map(_) = item.value {
                    emit(
                        Rule::FieldType,
                        item.range,
                        format!(
                            "items of `{key}` must be plain values, not {}",
                            item.kind_name()
                        ),
                    );
                }
            }
        }
        _ => emit(
            Rule::FieldType,
            node.range,
            format!("`{key}` must be a list, e.g. `{key}: [a, b]`"),
        ),
    }
}

fn check_ref_list(node: &YamlNode, key: &str, emit: &mut Emit) {
    match &node.value {
        YamlValue::Null => {}
        YamlValue::Seq(items) => {
            for item in items {
                check_ref_value(item, key, emit);
            }
        }
        YamlValue::Str { text, .. } => emit(
            Rule::FieldType,
            node.range,
            format!(
                "`{key}` must be a list of task IDs: write `{key}: [{}]`",
                text.trim()
            ),
        ),
        _ => emit(
            Rule::FieldType,
            node.range,
            format!(
                "`{key}` must be a list of task IDs, not {}",
                node.kind_name()
            ),
        ),
    }
}

fn check_single_ref(node: &YamlNode, key: &str, emit: &mut Emit) {
    match &node.value {
        YamlValue::Null => {}
        YamlValue::Seq(_) | YamlValue::Map(_) => emit(
            Rule::FieldType,
            node.range,
            format!("`{key}` must be one task ID, not {}", node.kind_name()),
        ),
        _ => check_ref_value(node, key, emit),
    }
}

fn check_ref_value(node: &YamlNode, key: &str, emit: &mut Emit) {
    match &node.value {
        YamlValue::Str { text, .. } => {
            if parse_task_ref(text.trim()).is_none() {
                emit(
                    Rule::InvalidTaskRef,
                    node.range,
                    format!("`{text}` in `{key}` is not a task ID (expected {REF_GRAMMAR})"),
                );
            }
        }
        YamlValue::Int(_) | YamlValue::Float(_) => emit(
            Rule::FieldType,
            node.range,
            format!(
                "task IDs in `{key}` must be quoted strings; unquoted, YAML reads this as a number"
            ),
        ),
        _ => emit(
            Rule::FieldType,
            node.range,
            format!(
                "items of `{key}` must be task IDs, not {}",
                node.kind_name()
            ),
        ),
    }
}

fn check_blocked_by(node: &YamlNode, emit: &mut Emit) {
    let text = match &node.value {
        YamlValue::Null => return,
        YamlValue::Str { text, .. } => text.trim(),
        _ => {
            emit(
                Rule::FieldType,
                node.range,
                format!(
                    "`blocked_by` must be null or a string such as \"task:TASK-0042\", not {}",
                    node.kind_name()
                ),
            );
            return;
        }
    };
    let Some((prefix, detail)) = text.split_once(':') else {
        emit(
            Rule::InvalidValue,
            node.range,
            format!(
                "`blocked_by` must start with one of {}; e.g. \"task:{text}\"",
                BLOCKED_BY_PREFIXES.join(" ")
            ),
        );
        return;
    };
    let prefix_with_colon = format!("{}:", prefix.trim());
    if !BLOCKED_BY_PREFIXES.contains(&prefix_with_colon.as_str()) {
        let message = match nearest(&prefix_with_colon, BLOCKED_BY_PREFIXES, 3) {
            Some(suggestion) => format!(
                "`{prefix_with_colon}` is not a blocked_by prefix; did you mean `{suggestion}`? (one of {})",
                BLOCKED_BY_PREFIXES.join(" ")
            ),
            None => format!(
                "`{prefix_with_colon}` is not a blocked_by prefix; use one of {}",
                BLOCKED_BY_PREFIXES.join(" ")
            ),
        };
        emit(Rule::InvalidValue, node.range, message);
        return;
    }
    if prefix_with_colon == "task:" {
        let reference = detail.split_whitespace().next().unwrap_or("");
        if parse_task_ref(reference).is_none() {
            emit(
                Rule::InvalidTaskRef,
                node.range,
                format!("`{reference}` after `task:` is not a task ID (expected {REF_GRAMMAR})"),
            );
        }
    }
}
