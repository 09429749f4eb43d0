//! The index rules and their fixes on small workspaces.

use expect_test::expect;

use crate::ide::fixture::{COUNTER, check_rule, package};
use crate::ide::types::Rule;

const ROOT_HEADER: &str = "| ID | Name | DRI | Stage | Status | Flags | Dependencies |\n|----|------|-----|-------|--------|-------|--------------|\n";
const STAGE_HEADER: &str = "| ID | Name | DRI | Status | Flags | Dependencies |\n|----|------|-----|--------|-------|--------------|\n";

/// Two backlog tasks, 0002 depending on 0001, and the given index texts.
fn fixture(root_rows: &str, backlog_rows: &str) -> String {
    format!(
        "{COUNTER}{}{}//- /INDEX.md\n# Tasks\n\n{ROOT_HEADER}{root_rows}//- /backlog/INDEX.md\n---\nstage: backlog\n---\n\n{STAGE_HEADER}{backlog_rows}",
        package("backlog/TASK-0001-a", "blocks: [\"TASK-0002\"]"),
        package("backlog/TASK-0002-b", "depends_on: [\"TASK-0001\"]"),
    )
}

const ROOT_OK: &str = "| 0001 | Task 0001 | @ana | backlog | active | - | - |\n| 0002 | Task 0002 | @ana | backlog | active | - | TASK-0001 |\n";
const STAGE_OK: &str = "| 0001 | Task 0001 | @ana | active | - | - |\n| 0002 | Task 0002 | @ana | active | - | TASK-0001 |\n";

fn all_index_rules(fixture: &str) -> String {
    [
        Rule::IndexMissingRow,
        Rule::IndexPhantomRow,
        Rule::IndexDuplicateRow,
        Rule::IndexRowMismatch,
        Rule::IndexTable,
    ]
    .into_iter()
    .map(|rule| check_rule(fixture, rule))
    .collect()
}

#[test]
fn indexes_and_task_folders_not_read_are_named_in_the_row_messages() {
    // The stage index is a pipe and the root index lists a task whose folder is a link:
    // each message says what is there and why it did not count.
    let text = format!(
        "{COUNTER}{}//- /INDEX.md\n{ROOT_HEADER}{}| 0009 | Evil | @ana | backlog | active | - | - |\n",
        package("backlog/TASK-0001-a", ""),
        "| 0001 | Task 0001 | @ana | backlog | active | - | - |\n",
    );
    let workspace = crate::ide::fixture::workspace_with_unread(
        &text,
        &[
            ("backlog/INDEX.md", "a named pipe, not a regular file"),
            ("backlog/TASK-0009-evil", "symbolic link not followed"),
        ],
    );
    let diagnostics =
        crate::ide::diagnostics::workspace_diagnostics(&workspace, &Default::default());
    expect![[r#"
        backlog/TASK-0001-a/0001-a.task.md:2:11 error `0001` TASK-0001 is in backlog but backlog/INDEX.md was not read (a named pipe, not a regular file), so nothing lists it
        INDEX.md:4:3 error `0009` this row lists TASK-0009, but no task has that ID (`backlog/TASK-0009-evil` is there but was not read: symbolic link not followed); remove the row or move it to the right index
    "#]]
    .assert_eq(&crate::ide::fixture::render(
        &workspace,
        diagnostics.iter().filter(|d| {
            matches!(d.rule, Rule::IndexMissingRow | Rule::IndexPhantomRow)
        }),
    ));
}

#[test]
fn consistent_indexes_are_clean() {
    assert_eq!(all_index_rules(&fixture(ROOT_OK, STAGE_OK)), "");
}

#[test]
fn missing_rows_are_reported_on_the_card_and_the_root_header() {
    let stage_rows = "| 0001 | Task 0001 | @ana | active | - | - |\n";
    let root_rows = "| 0002 | Task 0002 | @ana | backlog | active | - | TASK-0001 |\n";
    expect![[r#"
        backlog/TASK-0001-a/0001-a.task.md:2:11 error `0001` TASK-0001 has no row in the root index INDEX.md
          -> INDEX.md `| ID | Name | DRI | Stage | Status | Flags | Dependencies |` the root index
        backlog/TASK-0002-b/0002-b.task.md:2:11 error `0002` TASK-0002 has no row in backlog/INDEX.md; add it to keep the index true
        INDEX.md:3:1 error `| ID | Name | DRI | Stage | Status | Flags | Dependencies |` TASK-0001 (backlog) has no row in this index
          -> backlog/TASK-0001-a/0001-a.task.md `0001` TASK-0001 is declared here
    "#]]
    .assert_eq(&check_rule(&fixture(root_rows, stage_rows), Rule::IndexMissingRow));
}

#[test]
fn phantom_rows_name_where_the_task_really_is() {
    let fixture = format!(
        "{}{}",
        fixture(
            ROOT_OK,
            &format!("{STAGE_OK}| 0009 | Ghost | @ana | active | - | - |\n")
        ),
        package("next/TASK-0003-c", "")
    )
    .replace(
        "| 0009 | Ghost",
        "| 0003 | Task 0003 | @ana | active | - | - |\n| 0009 | Ghost",
    );
    expect![[r#"
        backlog/INDEX.md:9:3 error `0003` this row lists TASK-0003, but no task in backlog has that ID (it is in next); remove the row or move it to the right index
        backlog/INDEX.md:10:3 error `0009` this row lists TASK-0009, but no task in backlog has that ID; remove the row or move it to the right index
    "#]]
    .assert_eq(&check_rule(&fixture, Rule::IndexPhantomRow));
}

#[test]
fn duplicate_rows_point_at_the_first() {
    let rows = format!("{STAGE_OK}| TASK-0001 | Task 0001 | @ana | active | - | - |\n");
    expect![[r#"
        backlog/INDEX.md:9:3 error `TASK-0001` TASK-0001 has more than one row in this index; keep one
          -> backlog/INDEX.md `0001` the first row
    "#]]
    .assert_eq(&check_rule(&fixture(ROOT_OK, &rows), Rule::IndexDuplicateRow));
}

#[test]
fn mismatches_list_every_column_and_status_makes_it_an_error() {
    let stage_rows = "| 0001 | Task 0001 | @ana | blocked | - | - |\n| 0002 | Old name | @bo | active | - | - |\n";
    expect![[r#"
        backlog/INDEX.md:7:1 error `| 0001 | Task 0001 | @ana | blocked | - | - |` the row for TASK-0001 disagrees with its card: Status is `blocked` here but `active` on the card
          -> backlog/TASK-0001-a/0001-a.task.md `0001` TASK-0001's card
        backlog/INDEX.md:8:1 warning `| 0002 | Old name | @bo | active | - | - |` the row for TASK-0002 disagrees with its card: Name is `Old name` here but `Task 0002` on the card; DRI is `@bo` here but `@ana` on the card; Dependencies are `-` here but `TASK-0001` on the card
          -> backlog/TASK-0002-b/0002-b.task.md `0002` TASK-0002's card
    "#]]
    .assert_eq(&check_rule(&fixture(ROOT_OK, stage_rows), Rule::IndexRowMismatch));
}

#[test]
fn index_without_a_table_or_a_required_column() {
    let fixture = format!(
        "{COUNTER}{}//- /INDEX.md\n| ID | Name | DRI | Status |\n|---|---|---|---|\n| 0001 | Task 0001 | @ana | active |\n//- /backlog/INDEX.md\n# Backlog\n\nNothing here yet.\n",
        package("backlog/TASK-0001-a", ""),
    );
    expect![[r#"
        INDEX.md:1:1 error `| ID | Name | DRI | Status |` the task table lacks the column Stage
        backlog/INDEX.md:1:1 error `# Backlog` backlog/INDEX.md has no task table; expected a markdown table with the columns | ID | Name | DRI | Status |
    "#]]
    .assert_eq(&check_rule(&fixture, Rule::IndexTable));
}

#[test]
fn the_inbox_template_row_shape_is_accepted() {
    let fixture = format!(
        "{COUNTER}{}//- /INDEX.md\n{ROOT_HEADER}| 0001 | Task 0001 | @ana | inbox | active | - | - |\n//- /inbox/INDEX.md\n{STAGE_HEADER}| 0001 | Task 0001 | @ana | inbox | - |\n",
        package("inbox/TASK-0001-a", ""),
    );
    assert_eq!(all_index_rules(&fixture), "");
    // The same short row with a wrong stage is caught.
    let wrong = fixture.replace("| @ana | inbox | - |", "| @ana | next | - |");
    assert!(
        check_rule(&wrong, Rule::IndexRowMismatch).contains("Stage is `next` here but `inbox`")
    );
}

/// The two backlog tasks listed by indexes that link their IDs, names and dependencies:
/// the root index to the cards, the stage index to the folders.
const LINKED_ROOT: &str = "\
| [0001](backlog/TASK-0001-a/0001-a.task.md) | [Task 0001](backlog/TASK-0001-a/0001-a.task.md) | @ana | backlog | active | - | - |
| [0002](backlog/TASK-0002-b/0002-b.task.md) | [Task 0002](backlog/TASK-0002-b/0002-b.task.md \"card\") | @ana | backlog | active | - | [TASK-0001](./backlog/TASK-0001-a/0001-a.task.md#goal) |
";
const LINKED_STAGE: &str = "\
| [0001](TASK-0001-a/) | [Task 0001](TASK-0001-a/) | @ana | active | - | - |
| [0002](./TASK-0002-b) | [Task 0002](<TASK-0002-b/>) | @ana | active | - | [TASK-0001](../backlog/TASK-0001-a/), \\|\\| |
";

fn all_rules_with_links(fixture: &str) -> String {
    format!(
        "{}{}",
        all_index_rules(fixture),
        check_rule(fixture, Rule::IndexBrokenLink)
    )
}

#[test]
fn indexes_whose_cells_are_links_are_clean() {
    let clean = fixture(LINKED_ROOT, LINKED_STAGE);
    assert_eq!(all_rules_with_links(&clean), "");
    // The link text is what the rules read: a wrong name in a link is still a mismatch.
    let renamed = fixture(
        &LINKED_ROOT.replace("[Task 0001]", "[Old name]"),
        LINKED_STAGE,
    );
    expect![[r#"
        INDEX.md:5:1 warning `| [0001](backlog/TASK-0001-a/0001-a.task.md) | [Old name](backlog/TASK-0001-a/0001-a.task.md) | @ana | backlog | active | - | - |` the row for TASK-0001 disagrees with its card: Name is `Old name` here but `Task 0001` on the card
          -> backlog/TASK-0001-a/0001-a.task.md `0001` TASK-0001's card
    "#]]
    .assert_eq(&all_rules_with_links(&renamed));
}

#[test]
fn links_that_lead_elsewhere_are_broken() {
    let root = LINKED_ROOT
        .replace(
            "[0001](backlog/TASK-0001-a/0001-a.task.md)",
            "[0001](next/TASK-0001-a/0001-a.task.md)",
        )
        .replace(
            "[TASK-0001](./backlog/TASK-0001-a/0001-a.task.md#goal)",
            "[TASK-0001](./backlog/TASK-0002-b/0002-b.task.md#goal)",
        );
    let stage = LINKED_STAGE
        .replace("[Task 0001](TASK-0001-a/)", "[Task 0001]()")
        .replace("(../backlog/TASK-0001-a/)", "(../../TASK-0001-a/)")
        // A URL cannot be followed from here, and a link naming no task is left to the
        // dependency rules.
        .replace(
            "[0002](./TASK-0002-b)",
            "[0002](https://forge.example/t/TASK-0002-b/)",
        )
        .replace("\\|\\|", "[TASK-0777](x.md)");
    expect![[r#"
        INDEX.md:5:10 warning `next/TASK-0001-a/0001-a.task.md` `next/TASK-0001-a/0001-a.task.md` is not where TASK-0001 is; link to `backlog/TASK-0001-a/0001-a.task.md`
        INDEX.md:6:147 warning `./backlog/TASK-0002-b/0002-b.task.md#goal` `./backlog/TASK-0002-b/0002-b.task.md#goal` is not where TASK-0001 is; link to `./backlog/TASK-0001-a/0001-a.task.md#goal`
        backlog/INDEX.md:7:26 warning `[Task 0001]()` this link to TASK-0001 leads nowhere; link to `TASK-0001-a/`
        backlog/INDEX.md:8:112 warning `../../TASK-0001-a/` `../../TASK-0001-a/` is not where TASK-0001 is; link to `TASK-0001-a/`
    "#]]
    .assert_eq(&check_rule(&fixture(&root, &stage), Rule::IndexBrokenLink));
    // Link texts are what the other rules read: only the one naming TASK-0777 is news.
    expect![[r#"
        backlog/INDEX.md:8:1 warning `| [0002](https://forge.example/t/TASK-0002-b/) | [Task 0002](<TASK-0002-b/>) | @ana | active | - | [TASK-0001](../../TASK-0001-a/), [TASK-0777](x.md) |` the row for TASK-0002 disagrees with its card: Dependencies are `TASK-0001, TASK-0777` here but `TASK-0001` on the card
          -> backlog/TASK-0002-b/0002-b.task.md `0002` TASK-0002's card
    "#]]
    .assert_eq(&all_index_rules(&fixture(&root, &stage)));
}

#[test]
fn per_namespace_indexes_resolve_unqualified_ids() {
    let fixture = format!(
        "//- /fw/ID_COUNTER.txt\n0002\n{}//- /INDEX.md\n| Namespace | ID | Name | DRI | Stage | Status |\n|---|---|---|---|---|---|\n| FW | 0001 | Task FW-0001 | @ana | next | active |\n//- /fw/next/INDEX.md\n{STAGE_HEADER}| 0001 | Task FW-0001 | @ana | active | - | - |\n",
        package("fw/next/TASK-FW-0001-a", ""),
    );
    assert_eq!(all_index_rules(&fixture), "");
}
