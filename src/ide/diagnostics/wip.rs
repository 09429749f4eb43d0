//! wip-limit: counted tasks per stage (system-wide or per DRI) against wip.policy.md's table,
//! else SPEC §2's defaults. `current` is the hard limit (error); the others are soft (warning).

use std::collections::BTreeMap;

use crate::base::TextRange;
use crate::db::flow::{counts, dri_key, is_hard, policy_file};
use crate::db::vocab::Stage;
use crate::db::{FileId, Parsed, Task, TaskIdx, TasksRoot, Workspace};
use crate::ide::diagnostics::{RuleDoc, stage_anchor};
use crate::ide::types::{Diagnostic, Rule, Severity};
use crate::syntax::wip_policy::{LimitScope, WipPolicy};

/// wip-limit for one stage of one root, given the tasks in that stage: what an edit to a
/// task's status or DRI can change, without looking at the other stages' tasks.
pub(super) fn check_stage(
    workspace: &Workspace,
    root_index: usize,
    stage: Stage,
    in_stage: impl Iterator<Item = TaskIdx>,
    out: &mut Vec<Diagnostic>,
) {
    let root = &workspace.roots[root_index];
    let defaults = WipPolicy::defaults();
    let from_file = policy_file(workspace, root);
    let policy = from_file.map_or(&defaults, |(_, policy)| policy);
    let Some(limit) = policy.limit(stage.name()) else {
        return;
    };
    let Some(max) = limit.limit else {
        return;
    };
    let counted: Vec<&Task> = in_stage
        .map(|idx| workspace.task(idx))
        .filter(|task| counts(task))
        .collect();
    let groups: BTreeMap<Option<&str>, Vec<&Task>> = match limit.scope {
        LimitScope::SystemWide => BTreeMap::from([(None, counted)]),
        LimitScope::PerDri => {
            let mut groups: BTreeMap<Option<&str>, Vec<&Task>> = BTreeMap::new();
            for task in counted {
                groups.entry(Some(dri_key(task))).or_default().push(task);
            }
            groups
        }
    };
    // Where the limit is written, when wip.policy.md sets it.
    let source = from_file.map(|(file, _)| (file, limit.range));
    for (dri, tasks) in groups {
        if tasks.len() > max as usize {
            let over = Over {
                stage,
                dri,
                max,
                source,
            };
            report(workspace, root, &over, &tasks, out);
        }
    }
}

/// One group of tasks over its limit.
struct Over<'a> {
    stage: Stage,
    /// The DRI whose tasks are counted, for a per-DRI limit.
    dri: Option<&'a str>,
    max: u32,
    /// The wip.policy.md row that sets the limit; None for a default.
    source: Option<(FileId, TextRange)>,
}

fn report(
    workspace: &Workspace,
    root: &TasksRoot,
    over: &Over,
    tasks: &[&Task],
    out: &mut Vec<Diagnostic>,
) {
    let Over {
        stage,
        dri,
        max,
        source,
    } = *over;
    let hard = is_hard(stage);
    let severity = if hard {
        Severity::Error
    } else {
        Severity::Warning
    };
    let kind = if hard { "hard" } else { "soft" };
    let whose = match dri {
        Some(dri) => format!(" for {dri}"),
        None => String::new(),
    };
    let advice = if hard {
        "finish, pause or move a task before starting another"
    } else {
        "reprioritize or hand work over"
    };
    let message = format!(
        "{stage} holds {} counted tasks{whose}, over its {kind} WIP limit of {max}; {advice}",
        tasks.len()
    );
    let anchors: Vec<_> = tasks
        .iter()
        .filter_map(|task| stage_anchor(workspace, task).map(|anchor| (anchor, *task)))
        .collect();
    let with_source = |diagnostic: Diagnostic| match source {
        Some((file, range)) => {
            diagnostic.with_related(file, range, format!("the {stage} limit is set here"))
        }
        None => diagnostic,
    };
    for (index, &((file, range), _)) in anchors.iter().enumerate() {
        let mut diagnostic =
            Diagnostic::new(Rule::WipLimit, file, range, message.clone()).with_severity(severity);
        for (other_index, &((other_file, other_range), other)) in anchors.iter().enumerate() {
            if other_index != index {
                diagnostic = diagnostic.with_related(
                    other_file,
                    other_range,
                    format!("{} also counts toward the limit", other.id),
                );
            }
        }
        out.push(with_source(diagnostic));
    }
    for index in root
        .indexes
        .iter()
        .filter(|index| index.stage == Some(stage))
    {
        let range = match &workspace.file(index.file).parsed {
            Parsed::Index(parsed) => parsed.table.as_ref().map(|table| table.header_range),
            _ => None,
        }
        .unwrap_or_else(|| TextRange::empty(0));
        let mut diagnostic = Diagnostic::new(Rule::WipLimit, index.file, range, message.clone())
            .with_severity(severity);
        for &((file, range), task) in &anchors {
            diagnostic = diagnostic.with_related(
                file,
                range,
                format!("{} counts toward the limit", task.id),
            );
        }
        out.push(with_source(diagnostic));
    }
}

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const WIP_LIMIT: RuleDoc = RuleDoc {
    rule: Rule::WipLimit,
    name: "wip-limit",
    severity: Severity::Error,
    summary: "A stage holds more counted tasks than its WIP limit (hard limits are errors, soft ones warnings).",
    docs: include_str!("docs/wip-limit.md"),
};

/// The rules this module checks, in catalogue order.
pub(crate) const RULES: &[RuleDoc] = &[WIP_LIMIT];

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use crate::ide::fixture::{COUNTER, check_rule, package};
    use crate::ide::types::Rule;

    /// Packages `TASK-<first>`… in `stage`, one per entry of `fields`.
    fn tasks(stage: &str, first: u32, fields: &[&str]) -> String {
        fields
            .iter()
            .zip(first..)
            .map(|(fields, id)| package(&format!("{stage}/TASK-{id:04}-t"), fields))
            .collect()
    }

    /// A stage INDEX.md listing `TASK-<first>`… (`count` rows).
    fn index(stage: &str, first: u32, count: u32) -> String {
        let mut text = format!(
            "//- /{stage}/INDEX.md\n# {stage}\n\n\
             | ID | Name | DRI | Status | Flags | Dependencies |\n\
             |----|------|-----|--------|-------|--------------|\n"
        );
        for id in first..first + count {
            text.push_str(&format!(
                "| TASK-{id:04} | Task {id:04} | @ana | active | - | - |\n"
            ));
        }
        text
    }

    #[test]
    fn six_active_tasks_in_current_break_the_hard_limit() {
        let fixture = format!(
            "{COUNTER}{}{}",
            index("current", 1, 6),
            tasks("current", 1, &[""; 6])
        );
        expect![[r#"
            current/INDEX.md:3:1 error `| ID | Name | DRI | Status | Flags | Dependencies |` current holds 6 counted tasks, over its hard WIP limit of 5; finish, pause or move a task before starting another
              -> current/TASK-0001-t/0001-t.task.md `"current"` TASK-0001 counts toward the limit
              -> current/TASK-0002-t/0002-t.task.md `"current"` TASK-0002 counts toward the limit
              -> current/TASK-0003-t/0003-t.task.md `"current"` TASK-0003 counts toward the limit
              -> current/TASK-0004-t/0004-t.task.md `"current"` TASK-0004 counts toward the limit
              -> current/TASK-0005-t/0005-t.task.md `"current"` TASK-0005 counts toward the limit
              -> current/TASK-0006-t/0006-t.task.md `"current"` TASK-0006 counts toward the limit
            current/TASK-0001-t/0001-t.task.md:7:8 error `"current"` current holds 6 counted tasks, over its hard WIP limit of 5; finish, pause or move a task before starting another
              -> current/TASK-0002-t/0002-t.task.md `"current"` TASK-0002 also counts toward the limit
              -> current/TASK-0003-t/0003-t.task.md `"current"` TASK-0003 also counts toward the limit
              -> current/TASK-0004-t/0004-t.task.md `"current"` TASK-0004 also counts toward the limit
              -> current/TASK-0005-t/0005-t.task.md `"current"` TASK-0005 also counts toward the limit
              -> current/TASK-0006-t/0006-t.task.md `"current"` TASK-0006 also counts toward the limit
            current/TASK-0002-t/0002-t.task.md:7:8 error `"current"` current holds 6 counted tasks, over its hard WIP limit of 5; finish, pause or move a task before starting another
              -> current/TASK-0001-t/0001-t.task.md `"current"` TASK-0001 also counts toward the limit
              -> current/TASK-0003-t/0003-t.task.md `"current"` TASK-0003 also counts toward the limit
              -> current/TASK-0004-t/0004-t.task.md `"current"` TASK-0004 also counts toward the limit
              -> current/TASK-0005-t/0005-t.task.md `"current"` TASK-0005 also counts toward the limit
              -> current/TASK-0006-t/0006-t.task.md `"current"` TASK-0006 also counts toward the limit
            current/TASK-0003-t/0003-t.task.md:7:8 error `"current"` current holds 6 counted tasks, over its hard WIP limit of 5; finish, pause or move a task before starting another
              -> current/TASK-0001-t/0001-t.task.md `"current"` TASK-0001 also counts toward the limit
              -> current/TASK-0002-t/0002-t.task.md `"current"` TASK-0002 also counts toward the limit
              -> current/TASK-0004-t/0004-t.task.md `"current"` TASK-0004 also counts toward the limit
              -> current/TASK-0005-t/0005-t.task.md `"current"` TASK-0005 also counts toward the limit
              -> current/TASK-0006-t/0006-t.task.md `"current"` TASK-0006 also counts toward the limit
            current/TASK-0004-t/0004-t.task.md:7:8 error `"current"` current holds 6 counted tasks, over its hard WIP limit of 5; finish, pause or move a task before starting another
              -> current/TASK-0001-t/0001-t.task.md `"current"` TASK-0001 also counts toward the limit
              -> current/TASK-0002-t/0002-t.task.md `"current"` TASK-0002 also counts toward the limit
              -> current/TASK-0003-t/0003-t.task.md `"current"` TASK-0003 also counts toward the limit
              -> current/TASK-0005-t/0005-t.task.md `"current"` TASK-0005 also counts toward the limit
              -> current/TASK-0006-t/0006-t.task.md `"current"` TASK-0006 also counts toward the limit
            current/TASK-0005-t/0005-t.task.md:7:8 error `"current"` current holds 6 counted tasks, over its hard WIP limit of 5; finish, pause or move a task before starting another
              -> current/TASK-0001-t/0001-t.task.md `"current"` TASK-0001 also counts toward the limit
              -> current/TASK-0002-t/0002-t.task.md `"current"` TASK-0002 also counts toward the limit
              -> current/TASK-0003-t/0003-t.task.md `"current"` TASK-0003 also counts toward the limit
              -> current/TASK-0004-t/0004-t.task.md `"current"` TASK-0004 also counts toward the limit
              -> current/TASK-0006-t/0006-t.task.md `"current"` TASK-0006 also counts toward the limit
            current/TASK-0006-t/0006-t.task.md:7:8 error `"current"` current holds 6 counted tasks, over its hard WIP limit of 5; finish, pause or move a task before starting another
              -> current/TASK-0001-t/0001-t.task.md `"current"` TASK-0001 also counts toward the limit
              -> current/TASK-0002-t/0002-t.task.md `"current"` TASK-0002 also counts toward the limit
              -> current/TASK-0003-t/0003-t.task.md `"current"` TASK-0003 also counts toward the limit
              -> current/TASK-0004-t/0004-t.task.md `"current"` TASK-0004 also counts toward the limit
              -> current/TASK-0005-t/0005-t.task.md `"current"` TASK-0005 also counts toward the limit
        "#]].assert_eq(&check_rule(&fixture, Rule::WipLimit));
    }

    #[test]
    fn paused_and_canceled_tasks_do_not_count() {
        // Six tasks, but one paused and one canceled: four count, under the limit of five.
        let mut fields = [""; 6];
        fields[0] = "status: \"paused\"\npaused_reason: \"waiting\"";
        fields[1] = "status: \"canceled\"";
        let fixture = format!(
            "{COUNTER}{}{}",
            index("current", 1, 6),
            tasks("current", 1, &fields)
        );
        assert_eq!(check_rule(&fixture, Rule::WipLimit), "");
    }

    #[test]
    fn one_paused_task_among_six_keeps_current_at_the_limit() {
        let mut fields = [""; 6];
        fields[5] = "status: \"paused\"\npaused_reason: \"waiting\"";
        let fixture = format!("{COUNTER}{}", tasks("current", 1, &fields));
        assert_eq!(check_rule(&fixture, Rule::WipLimit), "");
    }

    #[test]
    fn four_next_tasks_for_one_dri_break_the_soft_per_dri_limit() {
        let fixture = format!(
            "{COUNTER}{}",
            tasks("next", 1, &["current_dri: \"@ana\""; 4])
        );
        expect![[r#"
            next/TASK-0001-t/0001-t.task.md:7:8 warning `"next"` next holds 4 counted tasks for @ana, over its soft WIP limit of 3; reprioritize or hand work over
              -> next/TASK-0002-t/0002-t.task.md `"next"` TASK-0002 also counts toward the limit
              -> next/TASK-0003-t/0003-t.task.md `"next"` TASK-0003 also counts toward the limit
              -> next/TASK-0004-t/0004-t.task.md `"next"` TASK-0004 also counts toward the limit
            next/TASK-0002-t/0002-t.task.md:7:8 warning `"next"` next holds 4 counted tasks for @ana, over its soft WIP limit of 3; reprioritize or hand work over
              -> next/TASK-0001-t/0001-t.task.md `"next"` TASK-0001 also counts toward the limit
              -> next/TASK-0003-t/0003-t.task.md `"next"` TASK-0003 also counts toward the limit
              -> next/TASK-0004-t/0004-t.task.md `"next"` TASK-0004 also counts toward the limit
            next/TASK-0003-t/0003-t.task.md:7:8 warning `"next"` next holds 4 counted tasks for @ana, over its soft WIP limit of 3; reprioritize or hand work over
              -> next/TASK-0001-t/0001-t.task.md `"next"` TASK-0001 also counts toward the limit
              -> next/TASK-0002-t/0002-t.task.md `"next"` TASK-0002 also counts toward the limit
              -> next/TASK-0004-t/0004-t.task.md `"next"` TASK-0004 also counts toward the limit
            next/TASK-0004-t/0004-t.task.md:7:8 warning `"next"` next holds 4 counted tasks for @ana, over its soft WIP limit of 3; reprioritize or hand work over
              -> next/TASK-0001-t/0001-t.task.md `"next"` TASK-0001 also counts toward the limit
              -> next/TASK-0002-t/0002-t.task.md `"next"` TASK-0002 also counts toward the limit
              -> next/TASK-0003-t/0003-t.task.md `"next"` TASK-0003 also counts toward the limit
        "#]].assert_eq(&check_rule(&fixture, Rule::WipLimit));
    }

    #[test]
    fn next_limit_counts_each_dri_separately() {
        let fields = [
            "current_dri: \"@ana\"",
            "current_dri: \"@ana\"",
            "current_dri: \"@ana\"",
            "current_dri: \"@bo\"",
        ];
        let fixture = format!("{COUNTER}{}", tasks("next", 1, &fields));
        assert_eq!(check_rule(&fixture, Rule::WipLimit), "");
    }

    #[test]
    fn policy_table_raising_the_current_limit_removes_the_error() {
        let policy = "//- /wip.policy.md\n# WIP policy\n\n\
                      | Stage | WIP Limit | Scope | Rationale |\n\
                      |-------|-----------|-------|-----------|\n\
                      | current | ≤7 | System-wide | bigger team |\n";
        let fixture = format!("{COUNTER}{policy}{}", tasks("current", 1, &[""; 6]));
        assert_eq!(check_rule(&fixture, Rule::WipLimit), "");
        // The policy's limit is the one enforced: an eighth task breaks it.
        let over = format!("{COUNTER}{policy}{}", tasks("current", 1, &[""; 8]));
        let report = check_rule(&over, Rule::WipLimit);
        // The first card's diagnostic, with the other seven cards and the policy row related.
        let first: String = report.lines().take(9).map(|l| format!("{l}\n")).collect();
        expect![[r#"
            current/TASK-0001-t/0001-t.task.md:7:8 error `"current"` current holds 8 counted tasks, over its hard WIP limit of 7; finish, pause or move a task before starting another
              -> current/TASK-0002-t/0002-t.task.md `"current"` TASK-0002 also counts toward the limit
              -> current/TASK-0003-t/0003-t.task.md `"current"` TASK-0003 also counts toward the limit
              -> current/TASK-0004-t/0004-t.task.md `"current"` TASK-0004 also counts toward the limit
              -> current/TASK-0005-t/0005-t.task.md `"current"` TASK-0005 also counts toward the limit
              -> current/TASK-0006-t/0006-t.task.md `"current"` TASK-0006 also counts toward the limit
              -> current/TASK-0007-t/0007-t.task.md `"current"` TASK-0007 also counts toward the limit
              -> current/TASK-0008-t/0008-t.task.md `"current"` TASK-0008 also counts toward the limit
              -> wip.policy.md `| current | ≤7 | System-wide | bigger team |` the current limit is set here
        "#]].assert_eq(&first);
        assert_eq!(report.lines().filter(|l| !l.starts_with(' ')).count(), 8);
    }

    #[test]
    fn integration_has_a_system_wide_soft_limit() {
        // Four DRIs, one task each: the integration limit counts them together.
        let fields = [
            "current_dri: \"@ana\"",
            "current_dri: \"@bo\"",
            "current_dri: \"@cy\"",
            "current_dri: \"@di\"",
        ];
        let fixture = format!("{COUNTER}{}", tasks("integration", 1, &fields));
        let report = check_rule(&fixture, Rule::WipLimit);
        expect![[r#"integration/TASK-0001-t/0001-t.task.md:7:8 warning `"integration"` integration holds 4 counted tasks, over its soft WIP limit of 3; reprioritize or hand work over"#]].assert_eq(report.lines().next().unwrap_or_default());
        assert_eq!(report.lines().filter(|l| !l.starts_with(' ')).count(), 4);
        let three = format!("{COUNTER}{}", tasks("integration", 1, &fields[..3]));
        assert_eq!(check_rule(&three, Rule::WipLimit), "");
    }
}
