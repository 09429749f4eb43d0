//! id-counter-stale: each ID counter must exist, hold a number, and exceed every ID in use in
//! its scope (the repository-wide counter, or a namespace's own counter).

use std::collections::BTreeMap;

use crate::base::TextRange;
use crate::db::{CounterFile, FileId, FileRole, LoadProblem, Task, Workspace};
use crate::ide::diagnostics::fix::{Fixes, rewrite};
use crate::ide::diagnostics::{RuleDoc, RuleModule, task_anchor};
use crate::ide::edit::{line_ending, splice};
use crate::ide::source_change::SourceChange;
use crate::ide::types::{Diagnostic, Rule, Severity};

/// id-counter-stale for the counters of one root.
pub(super) fn check_root(workspace: &Workspace, root_index: usize, out: &mut Vec<Diagnostic>) {
    let root = &workspace.roots[root_index];
    let highest = highest_ids(workspace, root_index);
    for counter in &root.counters {
        // A counter over the file cap was not read: resource-limit says so, and what it
        // holds is unknown.
        if workspace.file(counter.file).is_oversized() {
            continue;
        }
        let top = highest.get(&Some(counter.file)).copied();
        check_counter(workspace, counter, top, out);
    }
    // Tasks no counter covers: every task when there is no counter at all, else those
    // outside the namespaced counters' scopes when the repository-wide one is absent.
    let uncovered = highest.get(&None).copied();
    if root.counters.is_empty() || uncovered.is_some() {
        let next = uncovered.map_or(1, |task| task.id.number + 1);
        // The model registers a placeholder file where the counter should be when the
        // root has no counter at all; otherwise the highest uncovered task carries it.
        if let Some(file) = workspace.file_by_path(&root.path.join("ID_COUNTER.txt")) {
            let unread = workspace.load_problem(root_index, "ID_COUNTER.txt");
            out.push(missing(file, next, unread));
        } else if let Some(task) = uncovered
            && let Some((card, range)) = task_anchor(workspace, task)
        {
            out.push(Diagnostic::new(
                Rule::IdCounterStale,
                card,
                range,
                format!(
                    "no ID counter covers {}: create ID_COUNTER.txt in the tasks root holding the next free ID, {next:04}",
                    task.id
                ),
            ));
        }
    }
}

/// The task with the highest ID each counter of root `root` must exceed, keyed by counter
/// file; `None` keys the tasks no counter covers.
fn highest_ids(workspace: &Workspace, root: usize) -> BTreeMap<Option<FileId>, &Task> {
    let root = &workspace.roots[root];
    let mut highest: BTreeMap<Option<FileId>, &Task> = BTreeMap::new();
    for &idx in &root.tasks {
        let task = workspace.task(idx);
        let key = root
            .counter_for(task.namespace())
            .map(|counter| counter.file);
        let entry = highest.entry(key).or_insert(task);
        if task.id.number > entry.id.number {
            *entry = task;
        }
    }
    highest
}

/// The next free ID the counter `file` should hold: one past the highest ID it covers (1
/// when it covers none). For the tasks root's `ID_COUNTER.txt` that does not exist yet (a
/// placeholder, or a path no file has), the tasks no counter covers count.
pub(crate) fn next_free_id(workspace: &Workspace, root: usize, file: Option<FileId>) -> u32 {
    let highest = highest_ids(workspace, root);
    let is_counter = file.is_some_and(|file| {
        workspace.roots[root]
            .counters
            .iter()
            .any(|counter| counter.file == file)
    });
    let key = if is_counter { file } else { None };
    highest.get(&key).map_or(1, |task| task.id.number + 1)
}

/// The counter is absent, or there but not read (a link, a pipe, a file that may not be
/// opened), which is as good as absent for reserving IDs.
fn missing(file: FileId, next: u32, unread: Option<&LoadProblem>) -> Diagnostic {
    let message = match unread {
        None => {
            format!("ID_COUNTER.txt is missing; create it holding the next free ID, {next:04}")
        }
        Some(problem) => format!(
            "ID_COUNTER.txt is there but was not read ({}); make it a plain file holding the next free ID, {next:04}",
            problem.message
        ),
    };
    Diagnostic::new(Rule::IdCounterStale, file, TextRange::empty(0), message)
}

fn check_counter(
    workspace: &Workspace,
    counter: &CounterFile,
    top: Option<&Task>,
    out: &mut Vec<Diagnostic>,
) {
    let file = workspace.file(counter.file);
    let text = file.text.trim();
    let start = file.text.len() - file.text.trim_start().len();
    let range = TextRange::new(start, start + text.len());
    let name = &file.rel;
    let Ok(next) = text.parse::<u32>() else {
        let next = top.map_or(1, |task| task.id.number + 1);
        out.push(Diagnostic::new(
            Rule::IdCounterStale,
            counter.file,
            range,
            format!(
                "{name} should hold the next free ID as a number such as {next:04}, found `{}`",
                text.chars().take(40).collect::<String>()
            ),
        ));
        return;
    };
    let Some(task) = top else {
        return;
    };
    if next <= task.id.number {
        let mut diagnostic = Diagnostic::new(
            Rule::IdCounterStale,
            counter.file,
            range,
            format!(
                "{name} says the next ID is {next:04}, but {} is already in use; set it to {:04}",
                task.id,
                task.id.number + 1
            ),
        );
        if let Some((card, anchor)) = task_anchor(workspace, task) {
            diagnostic =
                diagnostic.with_related(card, anchor, format!("{} is in use here", task.id));
        }
        out.push(diagnostic);
    }
}

/// id-counter-stale: set the counter to one past the highest ID it covers, keeping its
/// width and whatever surrounds the number; create it when it does not exist.
pub(super) fn fix(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let file = ws.file(d.file);
    let root = file.root;
    if file.role != FileRole::IdCounter {
        // No counter covers a task: the tasks root's counter is the one to create.
        let path = ws.roots[root].path.join("ID_COUNTER.txt");
        if ws.file_by_path(&path).is_some() || ws.load_problem(root, "ID_COUNTER.txt").is_some() {
            return;
        }
        let next = next_free_id(ws, root, None);
        fixes.change(
            format!("Create ID_COUNTER.txt holding {next:04}"),
            true,
            Some(SourceChange::create(path, format!("{next:04}\n"))),
        );
        return;
    }
    let next = next_free_id(ws, root, Some(d.file));
    if !file.exists && ws.load_problem(root, &file.rel).is_some() {
        // There is something at the counter's path that was not read (a link, a pipe):
        // creating a file there would write through it.
        return;
    }
    if !file.exists {
        fixes.change(
            format!("Create {} holding {next:04}", file.rel),
            true,
            Some(SourceChange::create(
                file.path.clone(),
                format!("{next:04}\n"),
            )),
        );
        return;
    }
    fixes.change(
        format!("Set {} to {next:04}", file.rel),
        true,
        rewrite(ws, d.file, Some(counter_text(&file.text, next))),
    );
}

/// The counter text holding `next`, as wide as the number it replaces (at least 4 digits).
fn counter_text(text: &str, next: u32) -> String {
    let number = text.trim();
    if number.is_empty() {
        return format!("{next:04}{}", line_ending(text));
    }
    let start = text.len() - text.trim_start().len();
    let width = if number.bytes().all(|b| b.is_ascii_digit()) {
        number.len()
    } else {
        4
    };
    splice(
        text,
        start,
        start + number.len(),
        &format!("{next:0width$}"),
    )
}

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const ID_COUNTER_STALE: RuleDoc = RuleDoc {
    rule: Rule::IdCounterStale,
    name: "id-counter-stale",
    severity: Severity::Error,
    summary: "ID_COUNTER.txt is missing, unreadable, or not greater than the highest ID in use.",
    docs: include_str!("docs/id-counter-stale.md"),
};

/// The rules this module checks, in catalogue order.
pub(crate) const RULES: &[RuleDoc] = &[ID_COUNTER_STALE];

pub(super) const MODULE: RuleModule = RuleModule {
    card: None,
    task: None,
    fixes: &[(Rule::IdCounterStale, fix)],
    rules: RULES,
};

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use crate::ide::fixture::{check_rule, package};
    use crate::ide::types::Rule;

    #[test]
    fn counter_behind_an_id_in_use_is_reported_with_that_task_related() {
        let fixture = format!(
            "//- /ID_COUNTER.txt\n0003\n{}{}",
            package("inbox/TASK-0001-a", ""),
            package("backlog/TASK-0005-b", ""),
        );
        expect![[r#"
            ID_COUNTER.txt:1:1 error `0003` ID_COUNTER.txt says the next ID is 0003, but TASK-0005 is already in use; set it to 0006
              -> backlog/TASK-0005-b/0005-b.task.md `0005` TASK-0005 is in use here
        "#]].assert_eq(&check_rule(&fixture, Rule::IdCounterStale));
    }

    #[test]
    fn counter_equal_to_the_highest_id_is_stale() {
        // The counter holds the next ID to reserve, so it must be greater, not equal.
        let fixture = format!(
            "//- /ID_COUNTER.txt\n0005\n{}",
            package("inbox/TASK-0005-b", "")
        );
        expect![[r#"
            ID_COUNTER.txt:1:1 error `0005` ID_COUNTER.txt says the next ID is 0005, but TASK-0005 is already in use; set it to 0006
              -> inbox/TASK-0005-b/0005-b.task.md `0005` TASK-0005 is in use here
        "#]].assert_eq(&check_rule(&fixture, Rule::IdCounterStale));
    }

    #[test]
    fn counter_ahead_of_every_id_is_clean_padded_or_not() {
        for counter in ["0006", "6", "  0042  "] {
            let fixture = format!(
                "//- /ID_COUNTER.txt\n{counter}\n{}",
                package("inbox/TASK-0005-b", "")
            );
            assert_eq!(check_rule(&fixture, Rule::IdCounterStale), "", "{counter}");
        }
    }

    #[test]
    fn missing_counter_is_reported_at_its_placeholder() {
        let fixture = format!(
            "{}{}",
            package("inbox/TASK-0001-a", ""),
            package("inbox/TASK-0005-b", "")
        );
        expect![[r#"
            ID_COUNTER.txt:1:1 error `` ID_COUNTER.txt is missing; create it holding the next free ID, 0006
        "#]].assert_eq(&check_rule(&fixture, Rule::IdCounterStale));
    }

    #[test]
    fn missing_counter_in_an_empty_root_asks_for_the_first_id() {
        expect![[r#"
            ID_COUNTER.txt:1:1 error `` ID_COUNTER.txt is missing; create it holding the next free ID, 0001
        "#]].assert_eq(&check_rule("//- /inbox/\n", Rule::IdCounterStale));
    }

    #[test]
    fn unparsable_counter_is_reported_on_its_text() {
        let fixture = format!(
            "//- /ID_COUNTER.txt\nabc\n{}",
            package("inbox/TASK-0005-b", "")
        );
        expect![[r#"
            ID_COUNTER.txt:1:1 error `abc` ID_COUNTER.txt should hold the next free ID as a number such as 0006, found `abc`
        "#]].assert_eq(&check_rule(&fixture, Rule::IdCounterStale));
    }

    #[test]
    fn unified_namespace_counter_covers_only_its_namespace() {
        // The repository counter (0002) is ahead of TASK-0001 and must ignore TASK-FW-0007,
        // which ID_COUNTER.fw.txt covers and which that counter is behind.
        let fixture = format!(
            "//- /ID_COUNTER.txt\n0002\n//- /ID_COUNTER.fw.txt\n0005\n{}{}",
            package("inbox/TASK-0001-a", ""),
            package("inbox/TASK-FW-0007-b", ""),
        );
        expect![[r#"
            ID_COUNTER.fw.txt:1:1 error `0005` ID_COUNTER.fw.txt says the next ID is 0005, but TASK-FW-0007 is already in use; set it to 0008
              -> inbox/TASK-FW-0007-b/FW-0007-b.task.md `FW-0007` TASK-FW-0007 is in use here
        "#]].assert_eq(&check_rule(&fixture, Rule::IdCounterStale));
    }

    #[test]
    fn per_namespace_folder_counter_covers_its_namespace() {
        let stale = format!(
            "//- /fw/ID_COUNTER.txt\n0003\n{}",
            package("fw/inbox/TASK-FW-0003-x", "")
        );
        expect![[r#"
            fw/ID_COUNTER.txt:1:1 error `0003` fw/ID_COUNTER.txt says the next ID is 0003, but TASK-FW-0003 is already in use; set it to 0004
              -> fw/inbox/TASK-FW-0003-x/FW-0003-x.task.md `FW-0003` TASK-FW-0003 is in use here
        "#]].assert_eq(&check_rule(&stale, Rule::IdCounterStale));
        // With only namespaced tasks, no repository-wide counter is needed.
        let ahead = stale.replace("\n0003\n", "\n0004\n");
        assert_eq!(check_rule(&ahead, Rule::IdCounterStale), "");
    }

    #[test]
    fn tasks_no_counter_covers_are_reported_when_other_counters_exist() {
        // fw/ID_COUNTER.txt covers FW only; TASK-0002 has no counter to reserve from.
        let fixture = format!(
            "//- /fw/ID_COUNTER.txt\n0004\n{}{}{}",
            package("fw/inbox/TASK-FW-0003-x", ""),
            package("inbox/TASK-0001-a", ""),
            package("inbox/TASK-0002-b", ""),
        );
        expect![[r#"
            inbox/TASK-0002-b/0002-b.task.md:2:11 error `0002` no ID counter covers TASK-0002: create ID_COUNTER.txt in the tasks root holding the next free ID, 0003
        "#]].assert_eq(&check_rule(&fixture, Rule::IdCounterStale));
    }
}

/// The fix of each rule above, applied: its diagnostic goes, nothing else changes.
#[cfg(test)]
mod fix_tests {
    use expect_test::expect;

    use super::counter_text;

    use crate::ide::diagnostics::check_fix::{check_fix, pkg};
    use crate::ide::types::Rule;

    #[test]
    fn stale_counter() {
        let fixture = format!(
            "//- /ID_COUNTER.txt\n0001\n{}",
            pkg("inbox/TASK-0001-x", "")
        );
        check_fix(
            &fixture,
            Rule::IdCounterStale,
            "Set ID_COUNTER.txt",
            expect![[r#"
        Set ID_COUNTER.txt to 0002 (safe)
        ID_COUNTER.txt:1:4 `1` -> `2`
          = 0002
    "#]],
        );
    }

    #[test]
    fn missing_counter() {
        let fixture = pkg("inbox/TASK-0007-x", "");
        check_fix(
            &fixture,
            Rule::IdCounterStale,
            "Create",
            expect![[r#"
        Create ID_COUNTER.txt holding 0008 (safe)
        create ID_COUNTER.txt `0008⏎`
    "#]],
        );
    }

    #[test]
    fn counters_keep_their_width_and_surroundings() {
        assert_eq!(counter_text("0042\n", 43), "0043\n");
        assert_eq!(counter_text("  00042  \r\n", 100), "  00100  \r\n");
        assert_eq!(counter_text("42", 9999), "9999");
        assert_eq!(counter_text("abc\n", 7), "0007\n");
        assert_eq!(counter_text("", 7), "0007\n");
        assert_eq!(counter_text("\r\n", 7), "0007\r\n");
    }
}
