//! field-missing: a required frontmatter field is absent or blank. Its fix fills in what the
//! folder knows (`task_id`, `stage`); the other fields are the writer's to say.

use crate::base::TextRange;
use crate::db::FileId;
use crate::db::Workspace;
use crate::db::vocab::REQUIRED_FIELDS;
use crate::ide::diagnostics::RuleDoc;
use crate::ide::diagnostics::fix::{Fixes, card_task, fix_stage, folder_id, set_task_id};
use crate::ide::types::{Diagnostic, FixData, Rule, Severity};
use crate::syntax::card::{FrontmatterBlock, FrontmatterEntry};
use crate::syntax::yaml::{YamlNode, YamlValue};

/// Every required field of `block`, reported at the opening fence when absent and on its
/// value when blank.
pub(super) fn check(file: FileId, block: &FrontmatterBlock, out: &mut Vec<Diagnostic>) {
    let opening_fence = TextRange::new(block.range.start as usize, block.range.start as usize + 3);
    for required in REQUIRED_FIELDS {
        let fix = FixData::MissingField { key: required };
        match block.get(required) {
            None => out.push(
                Diagnostic::new(
                    Rule::FieldMissing,
                    file,
                    opening_fence,
                    format!("required field `{required}` is missing from the frontmatter"),
                )
                .with_fix(fix),
            ),
            Some(entry) if is_blank(&entry.value) => out.push(
                Diagnostic::new(
                    Rule::FieldMissing,
                    file,
                    value_or_key_range(entry),
                    format!("required field `{required}` is empty"),
                )
                .with_fix(fix),
            ),
            Some(_) => {}
        }
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

/// field-missing: `task_id` and `stage` are known from the folder; the other required
/// fields (name, status, DRI) are the writer's to say.
pub(in crate::ide::diagnostics) fn fix(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(task) = card_task(ws, d.file) else {
        return;
    };
    match d.fix {
        Some(FixData::MissingField { key: "task_id" }) => {
            if let Some(id) = folder_id(task) {
                set_task_id(ws, task, d.file, &id.short(), true, fixes);
            }
        }
        Some(FixData::MissingField { key: "stage" }) => fix_stage(ws, d, fixes),
        _ => {}
    }
}

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const FIELD_MISSING: RuleDoc = RuleDoc {
    rule: Rule::FieldMissing,
    name: "field-missing",
    severity: Severity::Error,
    summary: "A required frontmatter field is absent.",
    docs: include_str!("../docs/field-missing.md"),
};

/// The fix of each rule above, applied: its diagnostic goes, nothing else changes.
#[cfg(test)]
mod fix_tests {
    use expect_test::expect;

    use crate::ide::diagnostics::check_fix::{check_fix, one};
    use crate::ide::types::Rule;

    #[test]
    fn absent_task_id() {
        let fixture = one("inbox/TASK-0001-x", "").replace("task_id: \"0001\"\n", "");
        check_fix(
            &fixture,
            Rule::FieldMissing,
            "Set task_id",
            expect![[r#"
        Set task_id to "0001" (safe)
        inbox/TASK-0001-x/0001-x.task.md:19:1 `` -> `task_id: "0001"⏎`
          = task_id: "0001"
    "#]],
        );
    }

    #[test]
    fn absent_stage() {
        let fixture = one("inbox/TASK-0001-x", "").replace("stage: \"inbox\"\n", "");
        check_fix(
            &fixture,
            Rule::FieldMissing,
            "Set stage",
            expect![[r#"
        Set stage to `inbox` (safe)
        inbox/TASK-0001-x/0001-x.task.md:19:1 `` -> `stage: "inbox"⏎`
          = stage: "inbox"
    "#]],
        );
    }
}
