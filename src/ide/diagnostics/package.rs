//! Rules on task packages as folders: task-id-mismatch, stage-mismatch, package-file-missing,
//! package-name and duplicate-task-id.

use crate::base::TextRange;
use crate::db::layout::{file_name, package_role};
use crate::db::{FileId, FileRole, LoadProblem, Parsed, Task, TaskIdx, Workspace};
use crate::ide::diagnostics::fix::{Fixes, card_task, fix_stage, folder_id, set_task_id};
use crate::ide::diagnostics::{RuleDoc, RuleModule, task_anchor};
use crate::ide::source_change::{FileChange, SourceChange};
use crate::ide::types::{Diagnostic, Rule, Severity};
use crate::syntax::index_table::row_task_id;
use crate::syntax::task_id::{parse_file_prefix, parse_folder_name, parse_task_ref};

/// The rules for one task package.
pub(super) fn check_task(workspace: &Workspace, me: TaskIdx, out: &mut Vec<Diagnostic>) {
    let task = workspace.task(me);
    check_ids(workspace, task, out);
    check_stage(task, out);
    check_files(workspace, task, out);
    check_names(workspace, task, out);
    check_duplicates(workspace, me, task, out);
}

fn check_ids(workspace: &Workspace, task: &Task, out: &mut Vec<Diagnostic>) {
    let (Some(card), Some((written, range))) = (task.card, &task.meta.task_id) else {
        return;
    };
    let Some((declared, _)) = parse_task_ref(written.trim()) else {
        return; // invalid-task-ref already says so
    };
    let declared = declared.resolved_in(task.namespace());
    if let Some((folder_id, _)) = parse_folder_name(&task.folder_name)
        && folder_id != declared
    {
        out.push(Diagnostic::new(
            Rule::TaskIdMismatch,
            card,
            *range,
            format!(
                "task_id says {declared} but the folder `{}` is {folder_id}; set `task_id: \"{}\"` or rename the folder",
                task.folder_name,
                folder_id.short()
            ),
        ));
        return;
    }
    let card_name = file_name(&workspace.file(card).rel);
    if let Some((file_id, rest)) = parse_file_prefix(card_name)
        && let file_id = file_id.resolved_in(task.namespace())
        && file_id != declared
    {
        out.push(Diagnostic::new(
            Rule::TaskIdMismatch,
            card,
            *range,
            format!(
                "task_id says {declared} but the card file `{card_name}` is named for {file_id}; rename it to `{}{rest}`",
                declared.short()
            ),
        ));
    }
}

fn check_stage(task: &Task, out: &mut Vec<Diagnostic>) {
    let (Some(card), Some((stage, range))) = (task.card, task.meta.stage) else {
        return;
    };
    if stage != task.stage {
        out.push(Diagnostic::new(
            Rule::StageMismatch,
            card,
            range,
            format!(
                "stage is `{stage}` but the task sits in the `{}` folder; move the folder or set `stage: {}`",
                task.stage, task.stage
            ),
        ));
    }
}

fn check_files(workspace: &Workspace, task: &Task, out: &mut Vec<Diagnostic>) {
    let short = task.id.short();
    let expected_card = match &task.slug {
        Some(slug) if !slug.is_empty() => format!("{short}-{slug}.task.md"),
        _ => format!("{short}-<slug>.task.md"),
    };
    // A package file that is there but was not read (a link, a pipe, a file that may not be
    // opened) is named as such: "lacks" would send the writer looking for a file they can see.
    // Only for a role the task has no readable file for: a stray link beside a good card is
    // the loader's log line, not a missing card.
    let unread: Vec<(&str, &LoadProblem)> = workspace
        .load_problems_in(task.root, &task.folder)
        .filter(|(name, _)| match package_role(name) {
            FileRole::Card => task.card.is_none(),
            FileRole::Context => task.context.is_none(),
            FileRole::Ledger => task.ledger.is_none(),
            _ => false,
        })
        .collect();
    let is_unread = |role: FileRole| unread.iter().any(|(name, _)| package_role(name) == role);
    let missing: Vec<String> = [
        (
            task.card.is_none() && !is_unread(FileRole::Card),
            expected_card,
        ),
        (
            task.context.is_none() && !is_unread(FileRole::Context),
            format!("{short}.context.md"),
        ),
        (
            task.ledger.is_none() && !is_unread(FileRole::Ledger),
            format!("{short}.ledger.jsonl"),
        ),
    ]
    .into_iter()
    .filter(|(absent, _)| *absent)
    .map(|(_, name)| name)
    .collect();
    let mut parts = Vec::new();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|name| format!("`{name}`")).collect();
        parts.push(format!("lacks {}", and_list(names)));
    }
    for (name, problem) in &unread {
        parts.push(format!(
            "has `{name}` but it was not read ({})",
            problem.message
        ));
    }
    // A folder that could not be listed lacks nothing anyone knows of; that is the report.
    let message = match workspace.load_problem(task.root, &task.folder) {
        Some(problem) => format!(
            "task folder `{}` was not read ({}), so its card, context and ledger are unknown",
            task.folder_name, problem.message
        ),
        None if parts.is_empty() => return,
        None => format!("task folder `{}` {}", task.folder_name, parts.join("; ")),
    };
    // Report on the card when there is one, else on the first line of whichever package
    // file exists, else (an empty folder has no file of its own) on the index row naming the
    // task. With none of these there is no range to report at; see the tests.
    let anchor = task_anchor(workspace, task)
        .or_else(|| {
            [task.ledger, task.context, task.learning]
                .into_iter()
                .flatten()
                .next()
                .map(|file| (file, first_line(&workspace.file(file).text)))
        })
        .or_else(|| index_row(workspace, task));
    if let Some((file, range)) = anchor {
        out.push(Diagnostic::new(
            Rule::PackageFileMissing,
            file,
            range,
            message,
        ));
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(mut names: Vec<String>) -> String {
    let last = names.pop().unwrap_or_default();
    if names.is_empty() {
        last
    } else {
        format!("{} and {last}", names.join(", "))
    }
}

fn first_line(text: &str) -> TextRange {
    let end = text.find('\n').unwrap_or(text.len());
    TextRange::new(0, text[..end].trim_end_matches('\r').len())
}

/// The ID cell of a row naming `task` in its stage's INDEX.md, else in a root index.
fn index_row(workspace: &Workspace, task: &Task) -> Option<(FileId, TextRange)> {
    let root = &workspace.roots[task.root];
    let stage_indexes = root
        .indexes
        .iter()
        .filter(|index| index.stage == Some(task.stage));
    let root_indexes = root.indexes.iter().filter(|index| index.stage.is_none());
    stage_indexes.chain(root_indexes).find_map(|index| {
        let Parsed::Index(parsed) = &workspace.file(index.file).parsed else {
            return None;
        };
        let table = parsed.table.as_ref()?;
        table.rows.iter().find_map(|row| {
            let (id, range) = row_task_id(row, table)?;
            (id == task.id).then_some((index.file, range))
        })
    })
}

fn check_names(workspace: &Workspace, task: &Task, out: &mut Vec<Diagnostic>) {
    let Some((card, range)) = task_anchor(workspace, task) else {
        return;
    };
    let folder_ok = task.slug.as_deref().is_some_and(|slug| !slug.is_empty());
    if !folder_ok {
        out.push(Diagnostic::new(
            Rule::PackageName,
            card,
            range,
            format!(
                "task folder `{}` should be named `TASK-{}-<slug>`",
                task.folder_name,
                task.id.short()
            ),
        ));
        return;
    }
    let card_name = file_name(&workspace.file(card).rel);
    let slug = task.slug.as_deref().unwrap_or_default();
    let expected = format!("{}-{slug}.task.md", task.id.short());
    let other_id = parse_file_prefix(card_name)
        .is_some_and(|(id, _)| id.resolved_in(task.namespace()) != task.id);
    // A card whose name carries another ID is task-id-mismatch's business; one that carries
    // no ID at all is only misnamed.
    if card_name != expected && !other_id {
        out.push(Diagnostic::new(
            Rule::PackageName,
            card,
            range,
            format!("card file `{card_name}` should be named `{expected}` to match its folder"),
        ));
    }
}

fn check_duplicates(workspace: &Workspace, me: TaskIdx, task: &Task, out: &mut Vec<Diagnostic>) {
    let owners = workspace.owners(task.root, &task.id);
    if owners.len() < 2 {
        return;
    }
    let Some((file, range)) = task_anchor(workspace, task) else {
        return;
    };
    let others: Vec<&Task> = owners
        .iter()
        .filter(|&&other| other != me)
        .map(|&other| workspace.task(other))
        .collect();
    let mut diagnostic = Diagnostic::new(
        Rule::DuplicateTaskId,
        file,
        range,
        format!(
            "{} is also used by {}; every task needs its own ID",
            task.id,
            others
                .iter()
                .map(|other| format!("`{}`", other.folder))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    for other in others {
        if let Some((other_file, other_range)) = task_anchor(workspace, other) {
            diagnostic = diagnostic.with_related(
                other_file,
                other_range,
                format!("{} is also declared here", task.id),
            );
        }
    }
    out.push(diagnostic);
}

/// task-id-mismatch against the folder: the folder's ID is the task's identity (indexes
/// and references name it). A card file named for another ID needs a rename, not an edit.
pub(super) fn fix_task_id_mismatch(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(task) = card_task(ws, d.file) else {
        return;
    };
    let (Some(folder_id), Some((written, _))) = (folder_id(task), &task.meta.task_id) else {
        return;
    };
    let declared = parse_task_ref(written.trim()).map(|(id, _)| id.resolved_in(task.namespace()));
    if declared.as_ref() == Some(&folder_id) {
        return;
    }
    // When the card file is named for the declared ID too, folder and file disagree about
    // which task this is; then the folder's answer is only offered.
    let card_name = file_name(&ws.file(d.file).rel);
    let file_agrees = parse_file_prefix(card_name)
        .map(|(id, _)| id.resolved_in(task.namespace()))
        .is_some_and(|id| Some(&id) == declared.as_ref());
    set_task_id(ws, task, d.file, &folder_id.short(), !file_agrees, fixes);
}

/// package-file-missing: create the missing context and ledger files (a card needs its
/// writer). The context gets a short heading to fill in. The ledger is created empty, not
/// with a `created` event: an event dated now would claim the task was created now and, for
/// a task past inbox, put the ledger at odds with the folder (ledger-stage-drift); an empty
/// ledger trips no rule and the next transition appends to it.
pub(super) fn fix_package_file_missing(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    // Without a card the folder stays incomplete whatever else is created, and a card's
    // name, DRI and goal are the writer's to give.
    let Some(task) = ws.task_of_file(d.file).filter(|task| task.card.is_some()) else {
        return;
    };
    let folder = ws.roots[task.root].path.join(&task.folder);
    let short = task.id.short();
    let mut created: Vec<(String, String)> = Vec::new();
    if task.context.is_none() {
        let name = task.meta.task_name.as_deref().unwrap_or("");
        let text = format!(
            "# Context for {}{}{}\n\nWhat someone needs to know to do this task: background, constraints, links.\n",
            task.id,
            if name.is_empty() { "" } else { ": " },
            name
        );
        created.push((format!("{short}.context.md"), text));
    }
    if task.ledger.is_none() {
        created.push((format!("{short}.ledger.jsonl"), String::new()));
    }
    // Something the loader did not read (a link, a pipe) is in the way of a create: an
    // editor told to create the file "if it does not exist" would write through the link.
    let unread = |name: &str| {
        ws.load_problem(task.root, &format!("{}/{name}", task.folder))
            .is_some()
    };
    let changes: Vec<FileChange> = created
        .iter()
        .filter(|(name, _)| !unread(name))
        .map(|(name, text)| (folder.join(name), text))
        .filter(|(path, _)| {
            ws.file_by_path(path)
                .is_none_or(|file| !ws.file(file).exists)
        })
        .map(|(path, text)| FileChange::Create {
            path,
            text: text.clone(),
        })
        .collect();
    if changes.len() != created.len() || changes.is_empty() {
        return;
    }
    let names: Vec<String> = created
        .iter()
        .map(|(name, _)| format!("`{name}`"))
        .collect();
    fixes.change(
        format!("Create {}", names.join(" and ")),
        true,
        Some(SourceChange { changes }),
    );
}

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const TASK_ID_MISMATCH: RuleDoc = RuleDoc {
    rule: Rule::TaskIdMismatch,
    name: "task-id-mismatch",
    severity: Severity::Error,
    summary: "task_id differs from the folder's ID or the card file's ID.",
    docs: include_str!("docs/task-id-mismatch.md"),
};

pub(crate) const STAGE_MISMATCH: RuleDoc = RuleDoc {
    rule: Rule::StageMismatch,
    name: "stage-mismatch",
    severity: Severity::Error,
    summary: "The stage field differs from the stage folder the task sits in.",
    docs: include_str!("docs/stage-mismatch.md"),
};

pub(crate) const PACKAGE_FILE_MISSING: RuleDoc = RuleDoc {
    rule: Rule::PackageFileMissing,
    name: "package-file-missing",
    severity: Severity::Error,
    summary: "The task folder lacks its card, context or ledger.",
    docs: include_str!("docs/package-file-missing.md"),
};

pub(crate) const PACKAGE_NAME: RuleDoc = RuleDoc {
    rule: Rule::PackageName,
    name: "package-name",
    severity: Severity::Warning,
    summary: "The folder or card file name does not follow TASK-<id>-<slug> / <id>-<slug>.task.md.",
    docs: include_str!("docs/package-name.md"),
};

pub(crate) const DUPLICATE_TASK_ID: RuleDoc = RuleDoc {
    rule: Rule::DuplicateTaskId,
    name: "duplicate-task-id",
    severity: Severity::Error,
    summary: "Two task folders carry the same ID.",
    docs: include_str!("docs/duplicate-task-id.md"),
};

/// The rules this module checks, in catalogue order.
pub(crate) const RULES: &[RuleDoc] = &[
    TASK_ID_MISMATCH,
    STAGE_MISMATCH,
    PACKAGE_FILE_MISSING,
    PACKAGE_NAME,
    DUPLICATE_TASK_ID,
];

pub(super) const MODULE: RuleModule = RuleModule {
    card: None,
    task: Some(check_task),
    fixes: &[
        (Rule::StageMismatch, fix_stage),
        (Rule::TaskIdMismatch, fix_task_id_mismatch),
        (Rule::PackageFileMissing, fix_package_file_missing),
    ],
    rules: RULES,
};

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use crate::ide::fixture::{COUNTER, check_rule, package, without_file};
    use crate::ide::types::Rule;

    #[test]
    fn task_id_differing_from_the_folder_is_reported_on_its_value() {
        let fixture = format!(
            "{COUNTER}{}",
            package("inbox/TASK-0001-x", "task_id: \"0002\"")
        );
        expect![[r#"
            inbox/TASK-0001-x/0001-x.task.md:2:11 error `0002` task_id says TASK-0002 but the folder `TASK-0001-x` is TASK-0001; set `task_id: "0001"` or rename the folder
        "#]].assert_eq(&check_rule(&fixture, Rule::TaskIdMismatch));
    }

    #[test]
    fn task_id_differing_from_the_card_file_name_is_reported() {
        // Folder and task_id agree; only the card's file name carries another ID.
        let fixture = format!("{COUNTER}{}", package("inbox/TASK-0001-x", ""))
            .replace("/0001-x.task.md", "/0003-x.task.md");
        expect![[r#"
            inbox/TASK-0001-x/0003-x.task.md:2:11 error `0001` task_id says TASK-0001 but the card file `0003-x.task.md` is named for TASK-0003; rename it to `0001-x.task.md`
        "#]].assert_eq(&check_rule(&fixture, Rule::TaskIdMismatch));
    }

    #[test]
    fn every_accepted_spelling_of_the_own_id_matches() {
        // `TASK-0001` is another spelling of `0001`, and a bare `0002` inside a FW task means
        // FW-0002 (SPEC §2), so neither is a mismatch.
        let fixture = format!(
            "{COUNTER}{}{}",
            package("inbox/TASK-0001-x", "task_id: \"TASK-0001\""),
            package("inbox/TASK-FW-0002-y", "task_id: \"0002\""),
        );
        assert_eq!(check_rule(&fixture, Rule::TaskIdMismatch), "");
    }

    #[test]
    fn stage_differing_from_the_folder_is_reported_on_its_value() {
        let fixture = format!(
            "{COUNTER}{}",
            package("backlog/TASK-0001-x", "stage: \"next\"")
        );
        expect![[r#"
            backlog/TASK-0001-x/0001-x.task.md:7:8 error `"next"` stage is `next` but the task sits in the `backlog` folder; move the folder or set `stage: backlog`
        "#]].assert_eq(&check_rule(&fixture, Rule::StageMismatch));
    }

    #[test]
    fn stage_matching_its_folder_in_a_per_namespace_layout_is_clean() {
        // The stage is the folder under the namespace folder `fw/`, not `fw` itself.
        let fixture = format!("{COUNTER}{}", package("fw/current/TASK-FW-0001-x", ""));
        assert_eq!(check_rule(&fixture, Rule::StageMismatch), "");
    }

    #[test]
    fn missing_context_is_reported_on_the_card() {
        let fixture = without_file(
            &format!("{COUNTER}{}", package("inbox/TASK-0001-x", "")),
            ".context.md",
        );
        expect![[r#"
            inbox/TASK-0001-x/0001-x.task.md:2:11 error `0001` task folder `TASK-0001-x` lacks `0001.context.md`
        "#]].assert_eq(&check_rule(&fixture, Rule::PackageFileMissing));
    }

    #[test]
    fn missing_ledger_is_reported_on_the_card() {
        let fixture = without_file(
            &format!("{COUNTER}{}", package("inbox/TASK-0001-x", "")),
            ".ledger.jsonl",
        );
        expect![[r#"
            inbox/TASK-0001-x/0001-x.task.md:2:11 error `0001` task folder `TASK-0001-x` lacks `0001.ledger.jsonl`
        "#]].assert_eq(&check_rule(&fixture, Rule::PackageFileMissing));
    }

    #[test]
    fn missing_card_is_reported_on_the_first_line_of_another_package_file() {
        let fixture = without_file(
            &format!("{COUNTER}{}", package("inbox/TASK-0001-x", "")),
            ".task.md",
        );
        expect![[r#"
            inbox/TASK-0001-x/0001.ledger.jsonl:1:1 error `{"ts":"2026-03-02T09:00:00Z","user":"@ana","event":"created","desc":"Created"}` task folder `TASK-0001-x` lacks `0001-x.task.md`
        "#]].assert_eq(&check_rule(&fixture, Rule::PackageFileMissing));
    }

    #[test]
    fn empty_task_folder_is_reported_on_its_index_row() {
        // An empty folder has no file of its own; the index row naming it is where a writer
        // looks for the task, so the diagnostic goes there.
        let fixture = format!(
            "{COUNTER}//- /inbox/TASK-0003-x/\n//- /inbox/INDEX.md\n# Inbox\n\n\
             | ID | Name | DRI | Status | Flags | Dependencies |\n\
             |----|------|-----|--------|-------|--------------|\n\
             | TASK-0003 | Task 0003 | @ana | active | - | - |\n"
        );
        expect![[r#"
            inbox/INDEX.md:5:3 error `TASK-0003` task folder `TASK-0003-x` lacks `0003-x.task.md`, `0003.context.md` and `0003.ledger.jsonl`
        "#]].assert_eq(&check_rule(&fixture, Rule::PackageFileMissing));
    }

    #[test]
    fn empty_task_folder_without_any_file_or_row_has_no_location() {
        // Nothing in the workspace stands for this folder, so there is no range to report at;
        // the model would need a placeholder card (as it has for ID_COUNTER.txt).
        let fixture = format!("{COUNTER}//- /inbox/TASK-0003-x/\n");
        assert_eq!(check_rule(&fixture, Rule::PackageFileMissing), "");
    }

    #[test]
    fn package_files_there_but_not_read_are_named_not_called_missing() {
        // The loader found the card a pipe and the ledger a link (SPEC §8): the writer sees
        // both files in the tree, so the message must say why they do not count.
        let fixture = without_file(
            &without_file(
                &format!("{COUNTER}{}", package("inbox/TASK-0001-x", "")),
                ".task.md",
            ),
            ".ledger.jsonl",
        );
        let workspace = crate::ide::fixture::workspace_with_unread(
            &fixture,
            &[
                (
                    "inbox/TASK-0001-x/0001-x.task.md",
                    "a named pipe, not a regular file",
                ),
                (
                    "inbox/TASK-0001-x/0001.ledger.jsonl",
                    "symbolic link not followed",
                ),
                ("inbox/README.md", "symbolic link not followed"),
            ],
        );
        let diagnostics =
            crate::ide::diagnostics::workspace_diagnostics(&workspace, &Default::default());
        expect![[r#"
            inbox/TASK-0001-x/0001.context.md:1:1 error `# Context` task folder `TASK-0001-x` has `0001-x.task.md` but it was not read (a named pipe, not a regular file); has `0001.ledger.jsonl` but it was not read (symbolic link not followed)
        "#]]
        .assert_eq(&crate::ide::fixture::render(
            &workspace,
            diagnostics
                .iter()
                .filter(|d| d.rule == Rule::PackageFileMissing),
        ));
    }

    #[test]
    fn complete_package_has_no_missing_file() {
        let fixture = format!("{COUNTER}{}", package("inbox/TASK-0001-x", ""));
        assert_eq!(check_rule(&fixture, Rule::PackageFileMissing), "");
    }

    #[test]
    fn folder_without_slug_is_reported() {
        let fixture = format!("{COUNTER}{}", package("inbox/TASK-0004", ""))
            .replace("/0004-.task.md", "/0004.task.md");
        expect![[r#"
            inbox/TASK-0004/0004.task.md:2:11 warning `0004` task folder `TASK-0004` should be named `TASK-0004-<slug>`
        "#]].assert_eq(&check_rule(&fixture, Rule::PackageName));
    }

    #[test]
    fn card_named_after_another_slug_is_reported() {
        let fixture = format!("{COUNTER}{}", package("inbox/TASK-0005-login", ""))
            .replace("/0005-login.task.md", "/0005-signin.task.md");
        expect![[r#"
            inbox/TASK-0005-login/0005-signin.task.md:2:11 warning `0005` card file `0005-signin.task.md` should be named `0005-login.task.md` to match its folder
        "#]].assert_eq(&check_rule(&fixture, Rule::PackageName));
    }

    #[test]
    fn card_named_without_any_id_is_reported() {
        // No ID in the name means task-id-mismatch has nothing to compare, so this rule
        // must speak up.
        let fixture = format!("{COUNTER}{}", package("inbox/TASK-0005-login", ""))
            .replace("/0005-login.task.md", "/card.task.md");
        expect![[r#"
            inbox/TASK-0005-login/card.task.md:2:11 warning `0005` card file `card.task.md` should be named `0005-login.task.md` to match its folder
        "#]].assert_eq(&check_rule(&fixture, Rule::PackageName));
    }

    #[test]
    fn well_named_packages_pass_in_every_layout() {
        let fixture = format!(
            "{COUNTER}{}{}{}",
            package("inbox/TASK-0005-login", ""),
            package("fw/inbox/TASK-FW-0001-api", ""),
            package("backlog/plat/TASK-PLAT-0002-db", ""),
        );
        assert_eq!(check_rule(&fixture, Rule::PackageName), "");
    }

    #[test]
    fn same_id_in_two_stages_is_reported_on_both_with_the_other_related() {
        let fixture = format!(
            "{COUNTER}{}{}",
            package("backlog/TASK-0001-a", ""),
            package("next/TASK-0001-b", ""),
        );
        expect![[r#"
            backlog/TASK-0001-a/0001-a.task.md:2:11 error `0001` TASK-0001 is also used by `next/TASK-0001-b`; every task needs its own ID
              -> next/TASK-0001-b/0001-b.task.md `0001` TASK-0001 is also declared here
            next/TASK-0001-b/0001-b.task.md:2:11 error `0001` TASK-0001 is also used by `backlog/TASK-0001-a`; every task needs its own ID
              -> backlog/TASK-0001-a/0001-a.task.md `0001` TASK-0001 is also declared here
        "#]].assert_eq(&check_rule(&fixture, Rule::DuplicateTaskId));
    }

    #[test]
    fn same_number_in_another_namespace_is_not_a_duplicate() {
        let fixture = format!(
            "{COUNTER}{}{}",
            package("backlog/TASK-0001-a", ""),
            package("backlog/TASK-FW-0001-b", ""),
        );
        assert_eq!(check_rule(&fixture, Rule::DuplicateTaskId), "");
    }
}

/// The fix of each rule above, applied: its diagnostic goes, nothing else changes.
#[cfg(test)]
mod fix_tests {
    use expect_test::expect;

    use crate::ide::diagnostics::check_fix::{check_fix, one};
    use crate::ide::fixture::without_file;
    use crate::ide::types::Rule;

    #[test]
    fn stage_from_the_folder() {
        let fixture = one("backlog/TASK-0001-x", "stage: \"next\"");
        check_fix(
            &fixture,
            Rule::StageMismatch,
            "Set stage",
            expect![[r#"
        Set stage to `backlog` (safe)
        backlog/TASK-0001-x/0001-x.task.md:7:9 `next` -> `backlog`
          = stage: "backlog"
    "#]],
        );
    }

    #[test]
    fn task_id_from_the_folder() {
        let fixture = one("inbox/TASK-0001-x", "task_id: \"0002\"");
        check_fix(
            &fixture,
            Rule::TaskIdMismatch,
            "Set task_id",
            expect![[r#"
        Set task_id to "0001" (safe)
        inbox/TASK-0001-x/0001-x.task.md:2:14 `2` -> `1`
          = task_id: "0001"
    "#]],
        );
    }

    #[test]
    fn context_created() {
        let fixture = without_file(&one("inbox/TASK-0001-x", ""), ".context.md");
        check_fix(
            &fixture,
            Rule::PackageFileMissing,
            "Create",
            expect![[r#"
        Create `0001.context.md` (safe)
        create inbox/TASK-0001-x/0001.context.md `# Context for TASK-0001: Task 0001⏎⏎What someone needs to know to do this task: background, constraints, links.⏎`
    "#]],
        );
    }

    #[test]
    fn context_and_ledger_created() {
        let fixture = without_file(
            &without_file(&one("backlog/TASK-0001-x", ""), ".context.md"),
            ".ledger.jsonl",
        );
        check_fix(
            &fixture,
            Rule::PackageFileMissing,
            "Create",
            expect![[r#"
        Create `0001.context.md` and `0001.ledger.jsonl` (safe)
        create backlog/TASK-0001-x/0001.context.md `# Context for TASK-0001: Task 0001⏎⏎What someone needs to know to do this task: background, constraints, links.⏎`
        create backlog/TASK-0001-x/0001.ledger.jsonl ``
    "#]],
        );
    }
}
