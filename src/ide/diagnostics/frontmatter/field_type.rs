//! field-type: a frontmatter field of the wrong type (an unquoted number for `task_id`, a
//! scalar where a list belongs). Fields with their own rule report their type problems there
//! (`refs`, `values`); each says which field and item through the fix payload, and the fix
//! here quotes the number or makes the list.

use crate::db::Workspace;
use crate::db::vocab::REF_LIST_FIELDS;
use crate::ide::diagnostics::fix::{
    Fixes, card_task, entries, folder_id, rewrite, set, set_task_id,
};
use crate::ide::edit::frontmatter::{NewValue, add_list_item, replace_list_item, set_field};
use crate::ide::types::{Diagnostic, FixData, Rule, Severity};
use crate::syntax::yaml::{YamlNode, YamlValue};

use super::Emit;
use crate::ide::diagnostics::RuleDoc;

pub(super) fn check_scalar_string(node: &YamlNode, key: &str, emit: &mut Emit) {
    if let YamlValue::Seq(_) | YamlValue::Map(_) = node.value {
        emit.field_type(
            node.range,
            key,
            None,
            format!("`{key}` must be a single value, not {}", node.kind_name()),
        );
    }
}

pub(super) fn check_string_list(node: &YamlNode, key: &str, emit: &mut Emit) {
    match &node.value {
        YamlValue::Null => {}
        YamlValue::Seq(items) => {
            for (index, item) in items.iter().enumerate() {
                if let YamlValue::Seq(_) | YamlValue::Map(_) = item.value {
                    emit.field_type(
                        item.range,
                        key,
                        Some(index),
                        format!(
                            "items of `{key}` must be plain values, not {}",
                            item.kind_name()
                        ),
                    );
                }
            }
        }
        _ => emit.field_type(
            node.range,
            key,
            None,
            format!("`{key}` must be a list, e.g. `{key}: [a, b]`"),
        ),
    }
}

/// field-type: quote an unquoted `task_id` or `schema_version`, quote a number written as a
/// task reference, and turn a single reference written where a list belongs into a list.
pub(in crate::ide::diagnostics) fn fix(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(FixData::FieldType { key, item }) = &d.fix else {
        return;
    };
    let Some(task) = card_task(ws, d.file) else {
        return;
    };
    let Some(entry) =
        entries(ws, task).and_then(|entries| entries.iter().find(|entry| entry.key == *key))
    else {
        return;
    };
    let text = &ws.file(d.file).text;
    let node = &entry.value;
    let key = key.as_str();
    let Some(index) = *item else {
        let written = node.range.slice(text);
        match (&node.value, key) {
            (YamlValue::Int(_) | YamlValue::Float(_), "task_id") => {
                let id = folder_id(task).map_or_else(|| written.to_string(), |id| id.short());
                set_task_id(ws, task, d.file, &id, true, fixes);
            }
            (YamlValue::Int(_) | YamlValue::Float(_), "schema_version") => fixes.change(
                "Write schema_version as \"1.0\"",
                true,
                set(ws, d.file, key, &NewValue::Str("1.0")),
            ),
            (YamlValue::Int(_) | YamlValue::Float(_), "split_from") => fixes.change(
                format!("Quote `{written}`"),
                true,
                set(ws, d.file, key, &NewValue::Str(written)),
            ),
            (YamlValue::Str { text: value, .. }, _)
                if REF_LIST_FIELDS.contains(&key) || key == "tags" =>
            {
                // Clear the scalar, then add it back as the list's one item.
                let new = set_field(text, key, &NewValue::Null)
                    .and_then(|cleared| add_list_item(&cleared, key, value.trim()));
                fixes.change(
                    format!("Make `{key}` a list"),
                    true,
                    rewrite(ws, d.file, new),
                );
            }
            _ => {}
        }
        return;
    };
    if let YamlValue::Seq(items) = &node.value
        && let Some(item) = items.get(index)
        && matches!(item.value, YamlValue::Int(_) | YamlValue::Float(_))
    {
        let written = item.range.slice(text);
        fixes.change(
            format!("Quote `{written}`"),
            true,
            rewrite(ws, d.file, replace_list_item(text, key, index, written)),
        );
    }
}

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const FIELD_TYPE: RuleDoc = RuleDoc {
    rule: Rule::FieldType,
    name: "field-type",
    severity: Severity::Error,
    summary: "A frontmatter field has the wrong type (an unquoted number for task_id, a scalar where a list belongs).",
    docs: include_str!("../docs/field-type.md"),
};

/// The fix of each rule above, applied: its diagnostic goes, nothing else changes.
#[cfg(test)]
mod fix_tests {
    use expect_test::expect;

    use crate::ide::diagnostics::check_fix::{check_fix, one, pkg};
    use crate::ide::types::Rule;

    #[test]
    fn unquoted_task_id() {
        let fixture = one("inbox/TASK-0001-x", "task_id: 0001");
        check_fix(
            &fixture,
            Rule::FieldType,
            "Quote task_id",
            expect![[r#"
        Quote task_id (safe)
        inbox/TASK-0001-x/0001-x.task.md:2:10 `0001` -> `"0001"`
          = task_id: "0001"
    "#]],
        );
    }

    #[test]
    fn a_reference_where_a_list_belongs() {
        let fixture = format!(
            "{}{}",
            one("backlog/TASK-0001-a", "depends_on: TASK-0002"),
            pkg("backlog/TASK-0002-b", "blocks: [\"0001\"]")
        );
        check_fix(
            &fixture,
            Rule::FieldType,
            "Make `depends_on` a list",
            expect![[r#"
        Make `depends_on` a list (safe)
        backlog/TASK-0001-a/0001-a.task.md:15:13 `TASK-0002` -> `["TASK-0002"]`
          = depends_on: ["TASK-0002"]
    "#]],
        );
    }

    #[test]
    fn an_unquoted_number_in_a_reference_list() {
        let fixture = format!(
            "{}{}",
            one("backlog/TASK-0001-a", "depends_on: [0002]"),
            pkg("backlog/TASK-0002-b", "blocks: [\"0001\"]")
        );
        check_fix(
            &fixture,
            Rule::FieldType,
            "Quote",
            expect![[r#"
        Quote `0002` (safe)
        backlog/TASK-0001-a/0001-a.task.md:15:14 `0002` -> `"0002"`
          = depends_on: ["0002"]
    "#]],
        );
    }

    #[test]
    fn unquoted_schema_version() {
        let fixture = one("inbox/TASK-0001-x", "schema_version: 1.0");
        check_fix(
            &fixture,
            Rule::FieldType,
            "Write schema_version",
            expect![[r#"
            Write schema_version as "1.0" (safe)
            inbox/TASK-0001-x/0001-x.task.md:5:17 `1.0` -> `"1.0"`
              = schema_version: "1.0"
        "#]],
        );
    }

    #[test]
    fn unquoted_split_from() {
        let fixture = format!(
            "{}{}",
            one("backlog/TASK-0002-b", "split_from: 0001"),
            pkg(
                "archived/TASK-0001-a",
                "status: \"split\"\nsplit_into: [\"0002\"]"
            )
        );
        check_fix(
            &fixture,
            Rule::FieldType,
            "Quote",
            expect![[r#"
            Quote `0001` (safe)
            backlog/TASK-0002-b/0002-b.task.md:18:13 `0001` -> `"0001"`
              = split_from: "0001"
        "#]],
        );
    }

    #[test]
    fn a_tag_where_a_list_belongs() {
        let fixture = one("inbox/TASK-0001-x", "tags: backend");
        check_fix(
            &fixture,
            Rule::FieldType,
            "Make `tags` a list",
            expect![[r#"
            Make `tags` a list (safe)
            inbox/TASK-0001-x/0001-x.task.md:10:7 `backend` -> `["backend"]`
              = tags: ["backend"]
        "#]],
        );
    }
}
