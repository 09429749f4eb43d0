//! invalid-value: a value outside its allowed set (stage, status, priority, effort,
//! schema_version, the blocked_by prefix). The rule names the value it suggests, and its fix
//! writes that value: a guess at what the writer meant, so never applied in bulk.

use crate::db::Workspace;
use crate::db::vocab::{BLOCKED_BY_PREFIXES, EFFORTS, PRIORITIES, Stage, Status};
use crate::ide::diagnostics::fix::{Fixes, card_task, set};
use crate::ide::edit::frontmatter::NewValue;
use crate::ide::types::{Diagnostic, FixData, Rule, Severity};
use crate::syntax::task_id::parse_task_ref;
use crate::syntax::yaml::{YamlNode, YamlValue};

use super::refs::{REF_GRAMMAR, did_you_mean};
use super::{Emit, shown, unique_nearest};
use crate::ide::diagnostics::RuleDoc;

pub(super) fn stage_names() -> Vec<&'static str> {
    Stage::ALL.iter().map(|stage| stage.name()).collect()
}

pub(super) fn status_names() -> Vec<&'static str> {
    Status::ALL.iter().map(|status| status.name()).collect()
}

/// A null or one of `allowed`; anything else names the nearest allowed value.
pub(super) fn check_enum(node: &YamlNode, key: &str, allowed: &[&'static str], emit: &mut Emit) {
    let text = match &node.value {
        YamlValue::Null => return,
        YamlValue::Str { text, .. } => text.clone(),
        YamlValue::Int(number) => number.to_string(),
        YamlValue::Float(number) => number.to_string(),
        YamlValue::Bool(flag) => flag.to_string(),
        YamlValue::Seq(_) | YamlValue::Map(_) => {
            emit.field_type(
                node.range,
                key,
                None,
                format!("`{key}` must be a single value, not {}", node.kind_name()),
            );
            return;
        }
    };
    if allowed.contains(&text.as_str()) {
        return;
    }
    let choices = allowed.join(", ");
    let suggestion = enum_suggestion(key, &text, allowed);
    let text = shown(&text);
    let message = match suggestion {
        Some(suggestion) => format!(
            "`{text}` is not a valid {key}; did you mean `{suggestion}`? (one of {choices})"
        ),
        None => format!("`{text}` is not a valid {key}; use one of {choices}"),
    };
    emit.add(Rule::InvalidValue, node.range, message).fix =
        suggestion.map(|suggestion| FixData::InvalidValue {
            key: key.to_string(),
            suggestion: suggestion.to_string(),
        });
}

/// The allowed value an invalid `text` of field `key` most likely means, if one stands out.
fn enum_suggestion(key: &str, text: &str, allowed: &[&'static str]) -> Option<&'static str> {
    match key {
        "priority" => priority_suggestion(text),
        "effort_estimate" => effort_suggestion(text),
        _ => unique_nearest(text, allowed),
    }
}

/// Priorities are ordered: `P7` or `9` means "as low as it gets", so P4, not P0.
fn priority_suggestion(text: &str) -> Option<&'static str> {
    let digits = text.trim().trim_start_matches(['P', 'p']);
    match digits.parse::<u64>() {
        Ok(level) => Some(PRIORITIES[level.min(PRIORITIES.len() as u64 - 1) as usize]),
        Err(_) => unique_nearest(text, &PRIORITIES),
    }
}

/// Numeric estimates follow the 1 2 3 5 8 scale: suggest the closest step, rounding a tie up
/// the way estimators do (4 becomes 5).
fn effort_suggestion(text: &str) -> Option<&'static str> {
    let Ok(number) = text.trim().parse::<f64>() else {
        return unique_nearest(text, &EFFORTS);
    };
    if !number.is_finite() {
        return None;
    }
    EFFORTS
        .iter()
        .filter_map(|effort| Some((effort.parse::<f64>().ok()?, *effort)))
        .min_by(|(a, _), (b, _)| {
            let (da, db) = ((a - number).abs(), (b - number).abs());
            da.total_cmp(&db).then(b.total_cmp(a))
        })
        .map(|(_, effort)| effort)
}

pub(super) fn check_blocked_by(node: &YamlNode, emit: &mut Emit) {
    let text = match &node.value {
        YamlValue::Null => return,
        YamlValue::Str { text, .. } => text.trim(),
        _ => {
            emit.field_type(
                node.range,
                "blocked_by",
                None,
                format!(
                    "`blocked_by` must be null or a string such as \"task:TASK-0042\", not {}",
                    node.kind_name()
                ),
            );
            return;
        }
    };
    let prefixes = BLOCKED_BY_PREFIXES.join(", ");
    let suggest = |suggestion: String| FixData::InvalidValue {
        key: "blocked_by".to_string(),
        suggestion,
    };
    let Some((prefix, detail)) = text.split_once(':') else {
        let (message, fix) = match parse_task_ref(text) {
            Some(_) => (
                format!(
                    "`blocked_by` must say what kind of blocker this is: write \"task:{text}\""
                ),
                Some(suggest(format!("task:{text}"))),
            ),
            None => (
                format!(
                    "`blocked_by` must start with what kind of blocker this is ({prefixes}), e.g. \"external:{}\"",
                    shown(text)
                ),
                None,
            ),
        };
        emit.add(Rule::InvalidValue, node.range, message).fix = fix;
        return;
    };
    let prefix_with_colon = format!("{}:", prefix.trim());
    if !BLOCKED_BY_PREFIXES.contains(&prefix_with_colon.as_str()) {
        let shown_prefix = shown(&prefix_with_colon);
        let suggestion = unique_nearest(&prefix_with_colon, &BLOCKED_BY_PREFIXES);
        let message = match suggestion {
            Some(suggestion) => format!(
                "`{shown_prefix}` is not a blocked_by prefix; did you mean `{suggestion}`? (one of {prefixes})"
            ),
            None => {
                format!("`{shown_prefix}` is not a blocked_by prefix; use one of {prefixes}")
            }
        };
        emit.add(Rule::InvalidValue, node.range, message).fix =
            suggestion.map(|suggestion| suggest(format!("{suggestion}{detail}")));
        return;
    }
    if prefix_with_colon == "task:" {
        // The cascade workflows append ` (canceled)` or ` (paused)` after the ID.
        let reference = detail.split_whitespace().next().unwrap_or("");
        let message = if reference.is_empty() {
            "`task:` must be followed by the blocking task's ID, e.g. \"task:TASK-0042\""
                .to_string()
        } else if parse_task_ref(reference).is_none() {
            format!(
                "`{}` after `task:` is not a task ID{} (expected {REF_GRAMMAR})",
                shown(reference),
                did_you_mean(reference)
            )
        } else {
            return;
        };
        emit.add(Rule::InvalidTaskRef, node.range, message);
    }
}

/// invalid-value: the value the diagnostic suggests. A guess at what the writer meant, so
/// not applied in bulk.
pub(in crate::ide::diagnostics) fn fix(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(FixData::InvalidValue { key, suggestion }) = &d.fix else {
        return;
    };
    if card_task(ws, d.file).is_none() {
        return;
    }
    fixes.change(
        format!("Change to `{suggestion}`"),
        false,
        set(ws, d.file, key, &NewValue::Str(suggestion)),
    );
}

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const INVALID_VALUE: RuleDoc = RuleDoc {
    rule: Rule::InvalidValue,
    name: "invalid-value",
    severity: Severity::Error,
    summary: "A value lies outside its allowed set (stage, status, priority, effort, blocked_by prefix).",
    docs: include_str!("../docs/invalid-value.md"),
};

/// The fix of each rule above, applied: its diagnostic goes, nothing else changes.
#[cfg(test)]
mod fix_tests {
    use expect_test::expect;

    use crate::ide::diagnostics::check_fix::{check_fix, one, pkg};
    use crate::ide::types::Rule;

    #[test]
    fn misspelt_status() {
        let fixture = one("inbox/TASK-0001-x", "status: \"actve\"");
        check_fix(
            &fixture,
            Rule::InvalidValue,
            "Change to",
            expect![[r#"
        Change to `active`
        inbox/TASK-0001-x/0001-x.task.md:12:13 `` -> `i`
          = status: "active"
    "#]],
        );
    }

    #[test]
    fn misspelt_blocked_by_prefix() {
        let fixture = one(
            "inbox/TASK-0001-x",
            "status: \"blocked\"\nblocked_by: \"extrnal:vendor API\"",
        );
        check_fix(
            &fixture,
            Rule::InvalidValue,
            "Change to",
            expect![[r#"
        Change to `external:vendor API`
        inbox/TASK-0001-x/0001-x.task.md:13:17 `` -> `e`
          = blocked_by: "external:vendor API"
    "#]],
        );
    }

    #[test]
    fn priority_beyond_the_lowest() {
        let fixture = one("inbox/TASK-0001-x", "priority: \"P7\"");
        check_fix(
            &fixture,
            Rule::InvalidValue,
            "Change to",
            expect![[r#"
            Change to `P4`
            inbox/TASK-0001-x/0001-x.task.md:8:13 `7` -> `4`
              = priority: "P4"
        "#]],
        );
    }

    #[test]
    fn blocked_by_a_bare_task_id() {
        let fixture = format!(
            "{}{}",
            one(
                "inbox/TASK-0001-x",
                "status: \"blocked\"\nblocked_by: \"TASK-0002\""
            ),
            pkg("inbox/TASK-0002-b", "")
        );
        check_fix(
            &fixture,
            Rule::InvalidValue,
            "Change to",
            expect![[r#"
            Change to `task:TASK-0002`
            inbox/TASK-0001-x/0001-x.task.md:13:14 `` -> `task:`
              = blocked_by: "task:TASK-0002"
        "#]],
        );
    }
}
