//! Rules on two-way links: unlinked-inverse (blocks <-> depends_on) and split-link-mismatch
//! (split_into <-> split_from).

use crate::base::TextRange;
use crate::db::meta::RefItem;
use crate::db::vocab::Stage;
use crate::db::{FileId, Task, TaskIdx, Workspace};
use crate::ide::diagnostics::fix::{Fixes, combine, rewrite};
use crate::ide::diagnostics::ref_edits::{dependency_rows, listed, ref_at, spell_in, target_of};
use crate::ide::diagnostics::{RuleDoc, RuleModule, task_anchor};
use crate::ide::edit::frontmatter::{NewValue, add_list_item, set_field};
use crate::ide::types::{Diagnostic, Rule, Severity};
use crate::syntax::task_id::TaskId;

/// The rules for one task; they read only it and the tasks it names.
pub(super) fn check_task(workspace: &Workspace, idx: TaskIdx, out: &mut Vec<Diagnostic>) {
    let task = workspace.task(idx);
    let Some(card) = task.card else {
        return;
    };
    // Each side of the blocks/depends_on pair must list the other.
    let pairs: [(&[RefItem], &str, &str); 2] = [
        (&task.meta.blocks, "blocks", "depends_on"),
        (&task.meta.depends_on, "depends_on", "blocks"),
    ];
    for (items, field, inverse) in pairs {
        for item in items {
            let Some(target) = linked_target(workspace, task, item) else {
                continue;
            };
            let inverse_items = match inverse {
                "depends_on" => &target.meta.depends_on,
                _ => &target.meta.blocks,
            };
            if !involves_archived(task, target)
                && !inverse_items.iter().any(|back| back.id == task.id)
            {
                out.push(inverse_missing(
                    workspace, card, item, task, target, field, inverse,
                ));
            }
        }
    }
    for item in &task.meta.split_into {
        if let Some(target) = linked_target(workspace, task, item)
            && target.meta.split_from.as_ref().map(|back| &back.id) != Some(&task.id)
        {
            let points_at = match &target.meta.split_from {
                Some(other) => format!("points at {}", other.id),
                None => "is empty".to_string(),
            };
            let mut diagnostic = Diagnostic::new(
                Rule::SplitLinkMismatch,
                card,
                item.range,
                format!(
                    "{} lists {} in `split_into`, but {}'s `split_from` {points_at}",
                    task.id, target.id, target.id
                ),
            );
            if let Some((file, range)) = field_or_anchor(workspace, target, "split_from") {
                diagnostic = diagnostic.with_related(
                    file,
                    range,
                    format!("set `split_from` to {} here", task.id),
                );
            }
            out.push(diagnostic);
        }
    }
    if let Some(item) = &task.meta.split_from
        && let Some(parent) = linked_target(workspace, task, item)
        && !parent
            .meta
            .split_into
            .iter()
            .any(|child| child.id == task.id)
    {
        let mut diagnostic = Diagnostic::new(
            Rule::SplitLinkMismatch,
            card,
            item.range,
            format!(
                "{} says it was split from {}, but {}'s `split_into` does not list it",
                task.id, parent.id, parent.id
            ),
        );
        if let Some((file, range)) = field_or_anchor(workspace, parent, "split_into") {
            diagnostic = diagnostic.with_related(
                file,
                range,
                format!("add {} to `split_into` here", task.id),
            );
        }
        out.push(diagnostic);
    }
}

/// Whether one end of a blocks/depends_on pair is archived. An archived card is a read-only
/// record (WF9) and an archived task neither waits on nor holds up any work, so a one-sided
/// link involving it is history, not drift: a task created later may depend on a finished
/// one whose `blocks` can no longer be edited, and a dependent that retargets away from a
/// canceled task leaves that task's `blocks` as it was.
fn involves_archived(task: &Task, target: &Task) -> bool {
    task.stage == Stage::Archived || target.stage == Stage::Archived
}

/// Where to fix `task`'s `key`: the key itself, else (when the card lacks it) the card's
/// anchor, so the other end of a link is always one click away.
fn field_or_anchor(workspace: &Workspace, task: &Task, key: &str) -> Option<(FileId, TextRange)> {
    let entry = task
        .card
        .zip(workspace.card(task))
        .and_then(|(file, card)| {
            let entry = card.frontmatter.block()?.get(key)?;
            Some((file, entry.key_range))
        });
    entry.or_else(|| task_anchor(workspace, task))
}

/// The existing other task an item points at (missing and self references have their own
/// rules).
fn linked_target<'w>(workspace: &'w Workspace, task: &Task, item: &RefItem) -> Option<&'w Task> {
    if item.id == task.id {
        return None;
    }
    workspace
        .lookup_in(task.root, &item.id)
        .filter(|target| workspace.fields_known(target))
}

fn inverse_missing(
    workspace: &Workspace,
    card: FileId,
    item: &RefItem,
    task: &Task,
    target: &Task,
    field: &str,
    inverse: &str,
) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(
        Rule::UnlinkedInverse,
        card,
        item.range,
        format!(
            "{} lists {} in `{field}`, but {}'s `{inverse}` does not list {}",
            task.id, target.id, target.id, task.id
        ),
    );
    if let Some((file, range)) = field_or_anchor(workspace, target, inverse) {
        diagnostic =
            diagnostic.with_related(file, range, format!("add {} to `{inverse}` here", task.id));
    }
    diagnostic
}

/// unlinked-inverse: add the missing entry to the other card (`depends_on` for a `blocks`
/// item, `blocks` for a `depends_on` item).
pub(super) fn fix_unlinked_inverse(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(at) = ref_at(ws, d) else {
        return;
    };
    let inverse = match at.field {
        "blocks" => "depends_on",
        "depends_on" => "blocks",
        _ => return,
    };
    let Some((target_idx, target)) = target_of(ws, at.task, at.item) else {
        return;
    };
    let Some(card) = target.card else {
        return;
    };
    let Some(spelling) = spell_in(&at.task.id, target, listed(target, inverse).next(), ws) else {
        return;
    };
    let new_card = rewrite(
        ws,
        card,
        add_list_item(&ws.file(card).text, inverse, &spelling),
    );
    let rows = if inverse == "depends_on" {
        let mut deps: Vec<TaskId> = target
            .meta
            .depends_on
            .iter()
            .map(|i| i.id.clone())
            .collect();
        deps.push(at.task.id.clone());
        dependency_rows(ws, target_idx, deps)
    } else {
        Vec::new()
    };
    fixes.change(
        format!("Add {} to {}'s `{inverse}`", at.task.id, target.id),
        true,
        combine(std::iter::once(new_card).chain(rows.into_iter().map(Some))),
    );
}

/// split-link-mismatch: fill in the other side of a split when it is empty. When it points
/// at a third task, which side is right is not knowable.
pub(super) fn fix_split_link_mismatch(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(at) = ref_at(ws, d) else {
        return;
    };
    let Some((_, target)) = target_of(ws, at.task, at.item) else {
        return;
    };
    let Some(card) = target.card else {
        return;
    };
    let text = &ws.file(card).text;
    match at.field {
        "split_into" => {
            let split_from = ws
                .card(target)
                .and_then(|parsed| parsed.frontmatter.block()?.get("split_from").cloned());
            if split_from.is_some_and(|entry| !entry.value.is_null()) {
                return;
            }
            let Some(spelling) = spell_in(&at.task.id, target, None, ws) else {
                return;
            };
            fixes.change(
                format!("Set {}'s `split_from` to {}", target.id, at.task.id),
                true,
                rewrite(
                    ws,
                    card,
                    set_field(text, "split_from", &NewValue::Str(&spelling)),
                ),
            );
        }
        "split_from" => {
            let sample = listed(target, "split_into").next();
            let Some(spelling) = spell_in(&at.task.id, target, sample, ws) else {
                return;
            };
            fixes.change(
                format!("Add {} to {}'s `split_into`", at.task.id, target.id),
                true,
                rewrite(ws, card, add_list_item(text, "split_into", &spelling)),
            );
        }
        _ => {}
    }
}

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const UNLINKED_INVERSE: RuleDoc = RuleDoc {
    rule: Rule::UnlinkedInverse,
    name: "unlinked-inverse",
    severity: Severity::Warning,
    summary: "A lists B in blocks but B's depends_on lacks A, or the converse.",
    docs: include_str!("docs/unlinked-inverse.md"),
};

pub(crate) const SPLIT_LINK_MISMATCH: RuleDoc = RuleDoc {
    rule: Rule::SplitLinkMismatch,
    name: "split-link-mismatch",
    severity: Severity::Warning,
    summary: "split_into and split_from do not point at each other.",
    docs: include_str!("docs/split-link-mismatch.md"),
};

/// The rules this module checks, in catalogue order.
pub(crate) const RULES: &[RuleDoc] = &[UNLINKED_INVERSE, SPLIT_LINK_MISMATCH];

pub(super) const MODULE: RuleModule = RuleModule {
    card: None,
    task: Some(check_task),
    fixes: &[
        (Rule::UnlinkedInverse, fix_unlinked_inverse),
        (Rule::SplitLinkMismatch, fix_split_link_mismatch),
    ],
    rules: RULES,
};

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use crate::ide::fixture::{COUNTER, check_rule, package};
    use crate::ide::types::Rule;

    #[test]
    fn blocks_without_the_inverse_depends_on_is_reported() {
        let fixture = format!(
            "{COUNTER}{}{}",
            package("backlog/TASK-0001-a", "blocks: [\"0002\"]"),
            package("backlog/TASK-0002-b", ""),
        );
        expect![[r#"
            backlog/TASK-0001-a/0001-a.task.md:16:10 warning `"0002"` TASK-0001 lists TASK-0002 in `blocks`, but TASK-0002's `depends_on` does not list TASK-0001
              -> backlog/TASK-0002-b/0002-b.task.md `depends_on` add TASK-0001 to `depends_on` here
        "#]].assert_eq(&check_rule(&fixture, Rule::UnlinkedInverse));
    }

    #[test]
    fn depends_on_without_the_inverse_blocks_is_reported() {
        let fixture = format!(
            "{COUNTER}{}{}",
            package("backlog/TASK-0001-a", "depends_on: [TASK-0002]"),
            package("backlog/TASK-0002-b", ""),
        );
        expect![[r#"
            backlog/TASK-0001-a/0001-a.task.md:15:14 warning `TASK-0002` TASK-0001 lists TASK-0002 in `depends_on`, but TASK-0002's `blocks` does not list TASK-0001
              -> backlog/TASK-0002-b/0002-b.task.md `blocks` add TASK-0001 to `blocks` here
        "#]].assert_eq(&check_rule(&fixture, Rule::UnlinkedInverse));
    }

    #[test]
    fn inverse_field_absent_points_at_the_other_task() {
        // TASK-0002 has no `depends_on` key at all: the related location is still its card.
        let fixture = format!(
            "{COUNTER}{}{}",
            package("backlog/TASK-0001-a", "blocks: [\"0002\"]"),
            package("backlog/TASK-0002-b", ""),
        )
        .replace("depends_on: []\nblocks: []", "blocks: []");
        expect![[r#"
            backlog/TASK-0001-a/0001-a.task.md:16:10 warning `"0002"` TASK-0001 lists TASK-0002 in `blocks`, but TASK-0002's `depends_on` does not list TASK-0001
              -> backlog/TASK-0002-b/0002-b.task.md `0002` add TASK-0001 to `depends_on` here
        "#]].assert_eq(&check_rule(&fixture, Rule::UnlinkedInverse));
    }

    #[test]
    fn a_one_sided_link_with_an_archived_end_is_not_reported() {
        // TASK-0002 was created after TASK-0001 was closed, so TASK-0001's read-only card
        // cannot list it in `blocks`; TASK-0003 was retargeted away from the canceled
        // TASK-0004, whose archived `blocks` still names it. An active pair is still checked.
        let fixture = format!(
            "{COUNTER}{}{}{}{}{}",
            package("archived/TASK-0001-a", ""),
            package("integration/TASK-0002-b", "depends_on: [\"0001\"]"),
            package("next/TASK-0003-c", ""),
            package(
                "archived/TASK-0004-d",
                "status: canceled\ncanceled_reason: \"superseded\"\nblocks: [\"0003\"]"
            ),
            package("next/TASK-0005-e", "depends_on: [\"0002\"]"),
        );
        expect![[r#"
            next/TASK-0005-e/0005-e.task.md:15:14 warning `"0002"` TASK-0005 lists TASK-0002 in `depends_on`, but TASK-0002's `blocks` does not list TASK-0005
              -> integration/TASK-0002-b/0002-b.task.md `blocks` add TASK-0005 to `blocks` here
        "#]].assert_eq(&check_rule(&fixture, Rule::UnlinkedInverse));
    }

    #[test]
    fn both_directions_linked_in_any_spelling_is_clean() {
        // `0001` and `TASK-0001` name the same task, so the link is complete.
        let fixture = format!(
            "{COUNTER}{}{}",
            package("backlog/TASK-0001-a", "blocks: [\"TASK-0002\"]"),
            package("backlog/TASK-0002-b", "depends_on: [\"0001\"]"),
        );
        assert_eq!(check_rule(&fixture, Rule::UnlinkedInverse), "");
    }

    #[test]
    fn split_into_without_the_childs_split_from_is_reported() {
        let fixture = format!(
            "{COUNTER}{}{}{}",
            package(
                "archived/TASK-0001-a",
                "status: \"split\"\nsplit_into: [\"0002\", \"0003\"]"
            ),
            package("backlog/TASK-0002-b", "split_from: \"0001\""),
            package("backlog/TASK-0003-c", "split_from: \"0002\""),
        );
        // TASK-0003 points at the wrong parent, which does not list it either.
        expect![[r#"
            archived/TASK-0001-a/0001-a.task.md:19:22 warning `"0003"` TASK-0001 lists TASK-0003 in `split_into`, but TASK-0003's `split_from` points at TASK-0002
              -> backlog/TASK-0003-c/0003-c.task.md `split_from` set `split_from` to TASK-0001 here
            backlog/TASK-0003-c/0003-c.task.md:18:13 warning `"0002"` TASK-0003 says it was split from TASK-0002, but TASK-0002's `split_into` does not list it
              -> backlog/TASK-0002-b/0002-b.task.md `split_into` add TASK-0003 to `split_into` here
        "#]].assert_eq(&check_rule(&fixture, Rule::SplitLinkMismatch));
    }

    #[test]
    fn split_from_without_the_parents_split_into_is_reported() {
        let fixture = format!(
            "{COUNTER}{}{}",
            package("archived/TASK-0001-a", "status: \"split\""),
            package("backlog/TASK-0002-b", "split_from: TASK-0001"),
        );
        expect![[r#"
            backlog/TASK-0002-b/0002-b.task.md:18:13 warning `TASK-0001` TASK-0002 says it was split from TASK-0001, but TASK-0001's `split_into` does not list it
              -> archived/TASK-0001-a/0001-a.task.md `split_into` add TASK-0002 to `split_into` here
        "#]].assert_eq(&check_rule(&fixture, Rule::SplitLinkMismatch));
    }

    #[test]
    fn consistent_split_links_are_clean() {
        let fixture = format!(
            "{COUNTER}{}{}{}",
            package(
                "archived/TASK-0001-a",
                "status: \"split\"\nsplit_into: [\"0002\", TASK-0003]"
            ),
            package("backlog/TASK-0002-b", "split_from: \"TASK-0001\""),
            package("backlog/TASK-0003-c", "split_from: \"0001\""),
        );
        assert_eq!(check_rule(&fixture, Rule::SplitLinkMismatch), "");
    }
}

/// The fix of each rule above, applied: its diagnostic goes, nothing else changes.
#[cfg(test)]
mod fix_tests {
    use expect_test::expect;

    use crate::ide::diagnostics::check_fix::{ROOT_ROWS, STAGE_ROWS, check_fix, indexed, one, pkg};
    use crate::ide::types::Rule;

    #[test]
    fn inverse_depends_on_with_the_other_tasks_index_rows() {
        let fixture = indexed("blocks: [\"0002\"]", "", ROOT_ROWS, STAGE_ROWS);
        check_fix(
            &fixture,
            Rule::UnlinkedInverse,
            "Add TASK-0001",
            expect![[r#"
        Add TASK-0001 to TASK-0002's `depends_on` (safe)
        backlog/TASK-0002-b/0002-b.task.md:15:14 `` -> `"TASK-0001"`
          = depends_on: ["TASK-0001"]
        INDEX.md:6:52 `-` -> `TASK-0001`
          = | 0002 | Task 0002 | @ana | backlog | active | - | TASK-0001 |
        backlog/INDEX.md:8:42 `-` -> `TASK-0001`
          = | 0002 | Task 0002 | @ana | active | - | TASK-0001 |
    "#]],
        );
    }

    #[test]
    fn inverse_blocks_in_a_block_list() {
        let fixture = format!(
            "{}{}",
            one("backlog/TASK-0001-a", "depends_on: [TASK-0002, TASK-0003]"),
            pkg(
                "backlog/TASK-0002-b",
                "blocks:\n  - TASK-0004 # later\ndepends_on: []"
            ),
        ) + &pkg("backlog/TASK-0003-c", "blocks: [\"0001\"]")
            + &pkg("backlog/TASK-0004-d", "depends_on: [\"0002\"]");
        check_fix(
            &fixture,
            Rule::UnlinkedInverse,
            "Add TASK-0001",
            expect![[r#"
        Add TASK-0001 to TASK-0002's `blocks` (safe)
        backlog/TASK-0002-b/0002-b.task.md:18:1 `` -> `  - TASK-0001⏎`
          =   - TASK-0001
    "#]],
        );
    }

    #[test]
    fn split_from_filled_in() {
        let fixture = format!(
            "{}{}",
            one("backlog/TASK-0001-a", "split_into: [\"0002\"]"),
            pkg("backlog/TASK-0002-b", "")
        );
        check_fix(
            &fixture,
            Rule::SplitLinkMismatch,
            "Set TASK-0002's `split_from`",
            expect![[r#"
        Set TASK-0002's `split_from` to TASK-0001 (safe)
        backlog/TASK-0002-b/0002-b.task.md:18:13 `null` -> `"TASK-0001"`
          = split_from: "TASK-0001"
    "#]],
        );
    }

    #[test]
    fn split_into_completed() {
        let fixture = format!(
            "{}{}",
            one("backlog/TASK-0001-a", "split_into: [TASK-0003]"),
            pkg("backlog/TASK-0002-b", "split_from: \"0001\"")
        ) + &pkg("backlog/TASK-0003-c", "split_from: \"0001\"");
        check_fix(
            &fixture,
            Rule::SplitLinkMismatch,
            "Add TASK-0002",
            expect![[r#"
        Add TASK-0002 to TASK-0001's `split_into` (safe)
        backlog/TASK-0001-a/0001-a.task.md:19:23 `` -> `, TASK-0002`
          = split_into: [TASK-0003, TASK-0002]
    "#]],
        );
    }
}
