//! Fix all: one safe fix per diagnostic merged into one change, fixes that collide left for
//! the next run, transitions left to the caller; and the fixes that must follow the ledger
//! rather than the folder. Each rule's own fix is tested beside the rule.

use std::path::{Path, PathBuf};

use expect_test::expect;

use super::{FixAction, fix_all, fixes_for};
use crate::ide::diagnostics::check_fix::{
    ROOT_ROWS, STAGE_ROWS, config, ctx, folder_ahead_of_the_ledger, indexed, one,
};
use crate::ide::diagnostics::workspace_diagnostics;
use crate::ide::fixture::{COUNTER, render, without_file, workspace, written};
use crate::ide::source_change::FileChange;
use crate::ide::types::{Diagnostic, Rule};

/// Backlog task 0001 whose card says `next` and whose ledger says it was prioritized: the
/// folder is the one behind (an interrupted move), listed by indexes that already say next.
fn card_and_ledger_ahead_of_the_folder() -> String {
    let ledger_lines = "\"desc\":\"Created\"}\n{\"ts\":\"2026-03-02T10:00:00Z\",\"user\":\"@ana\",\"event\":\"verified\",\"desc\":\"v\"}\n{\"ts\":\"2026-03-02T11:00:00Z\",\"user\":\"@ana\",\"event\":\"prioritized\",\"desc\":\"p\"}\n";
    indexed(
        "stage: \"next\"",
        "",
        "| 0001 | Task 0001 | @ana | next | active | - | - |\n| 0002 | Task 0002 | @ana | backlog | active | - | - |\n",
        "| 0002 | Task 0002 | @ana | active | - | - |\n",
    )
    .replacen("\"desc\":\"Created\"}\n", ledger_lines, 1)
}

#[test]
fn when_card_and_ledger_disagree_with_the_folder_every_fix_follows_the_ledger() {
    let ws = workspace(&card_and_ledger_ahead_of_the_folder());
    let diagnostics = workspace_diagnostics(&ws, &config());
    let rules: Vec<Rule> = diagnostics.iter().map(|d| d.rule).collect();
    assert!(rules.contains(&Rule::LedgerStageDrift), "{rules:?}");
    let mismatch = diagnostics
        .iter()
        .find(|d| d.rule == Rule::StageMismatch)
        .expect("the card's stage is not its folder's");
    // Not "Set stage to `backlog`": the ledger says next, so the folder is what is wrong.
    let fixes = fixes_for(&ws, &config(), mismatch);
    let labels: Vec<&str> = fixes.iter().map(|fix| fix.label.as_str()).collect();
    assert_eq!(labels, ["Finish moving TASK-0001 to next"]);
    assert!(fixes[0].safe);
    // Fix all (text edits only) changes nothing that the ledger contradicts: no stage set
    // back to backlog, no index row moved back to the folder's stage.
    let (change, _) = fix_all(&ws, &config(), &diagnostics);
    let after = written(&ws, &change);
    let card = after
        .files
        .iter()
        .find(|file| file.rel.ends_with("0001-a.task.md"))
        .unwrap();
    assert!(card.text.contains("stage: \"next\""), "{}", card.text);
    let root_index = after
        .files
        .iter()
        .find(|file| file.rel == "INDEX.md")
        .unwrap();
    assert!(
        root_index
            .text
            .contains("| 0001 | Task 0001 | @ana | next |"),
        "{}",
        root_index.text
    );
    let backlog_index = after
        .files
        .iter()
        .find(|file| file.rel == "backlog/INDEX.md")
        .unwrap();
    assert!(
        !backlog_index.text.contains("| 0001 |"),
        "{}",
        backlog_index.text
    );
}

#[test]
fn fix_all_leaves_transitions_to_the_caller() {
    let ws = workspace(&folder_ahead_of_the_ledger());
    let diagnostics = workspace_diagnostics(&ws, &config());
    assert!(
        diagnostics.iter().any(|d| d.rule == Rule::LedgerStageDrift),
        "{}",
        render(&ws, diagnostics.iter())
    );
    assert_eq!(fix_all(&ws, &ctx(), &diagnostics).1, 0);
}

#[test]
fn a_missing_root_row_is_one_fix_for_both_of_its_diagnostics() {
    let fixture = indexed(
        "",
        "",
        "| 0001 | Task 0001 | @ana | backlog | active | - | - |\n",
        STAGE_ROWS,
    );
    let ws = workspace(&fixture);
    let diagnostics = workspace_diagnostics(&ws, &config());
    let missing: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.rule == Rule::IndexMissingRow)
        .collect();
    assert_eq!(missing.len(), 2, "on the card and on the root index");
    let changes: Vec<FixAction> = missing
        .iter()
        .map(|d| fixes_for(&ws, &config(), d).remove(0).action)
        .collect();
    assert_eq!(changes[0], changes[1]);
    let (change, count) = fix_all(&ws, &config(), &diagnostics);
    assert_eq!(count, 1);
    let fixed = written(&ws, &change);
    assert!(
        workspace_diagnostics(&fixed, &config()).is_empty(),
        "{}",
        render(&fixed, workspace_diagnostics(&fixed, &config()).iter())
    );
}

#[test]
fn fix_all_applies_one_safe_fix_per_diagnostic() {
    // A stage mismatch and an unquoted task_id on one card, a missing context, a phantom
    // row, a missing row and a stale counter; plus a misspelt status, whose fix is a guess
    // and stays out.
    let fixture = indexed(
        "stage: \"next\"\ntask_id: 0001",
        "status: \"actve\"",
        ROOT_ROWS,
        "| 0009 | Ghost | @ana | active | - | - |\n| 0001 | Task 0001 | @ana | active | - | - |\n",
    )
    .replace(COUNTER, "//- /ID_COUNTER.txt\n0002\n");
    let fixture = without_file(&fixture, "0001.context.md");
    let ws = workspace(&fixture);
    let diagnostics = workspace_diagnostics(&ws, &config());
    expect![[r#"
        ID_COUNTER.txt:1:1 error `0002` ID_COUNTER.txt says the next ID is 0002, but TASK-0002 is already in use; set it to 0003
          -> backlog/TASK-0002-b/0002-b.task.md `0002` TASK-0002 is in use here
        backlog/TASK-0001-a/0001-a.task.md:1:1 error `---` task folder `TASK-0001-a` lacks `0001.context.md`
        backlog/TASK-0001-a/0001-a.task.md:2:10 error `0001` task_id must be a quoted string: write `"0001"`, since YAML reads an unquoted 0001 as a number
        backlog/TASK-0001-a/0001-a.task.md:7:8 error `"next"` stage is `next` but the task sits in the `backlog` folder; move the folder or set `stage: backlog`
        backlog/TASK-0002-b/0002-b.task.md:2:11 error `0002` TASK-0002 has no row in backlog/INDEX.md; add it to keep the index true
        backlog/TASK-0002-b/0002-b.task.md:12:9 error `"actve"` `actve` is not a valid status; did you mean `active`? (one of active, blocked, paused, canceled, split)
        backlog/INDEX.md:7:3 error `0009` this row lists TASK-0009, but no task in backlog has that ID; remove the row or move it to the right index
    "#]]
    .assert_eq(&render(&ws, diagnostics.iter()));
    let (change, count) = fix_all(&ws, &config(), &diagnostics);
    assert_eq!(count, 6);
    let fixed = written(&ws, &change);
    expect![[r#"
        backlog/TASK-0002-b/0002-b.task.md:12:9 error `"actve"` `actve` is not a valid status; did you mean `active`? (one of active, blocked, paused, canceled, split)
    "#]]
    .assert_eq(&render(&fixed, workspace_diagnostics(&fixed, &config()).iter()));
}

#[test]
fn overlapping_fixes_are_left_for_the_next_run() {
    // Two tasks missing from the same index: both rows go after the same last row, so
    // only the first is taken this time.
    let fixture = indexed("", "", ROOT_ROWS, "");
    let ws = workspace(&fixture);
    let diagnostics = workspace_diagnostics(&ws, &config());
    let (change, count) = fix_all(&ws, &config(), &diagnostics);
    assert_eq!(count, 1);
    let fixed = written(&ws, &change);
    let (_, count) = fix_all(&fixed, &config(), &workspace_diagnostics(&fixed, &config()));
    assert_eq!(count, 1);
}

/// A quick fix that creates a file is an editor edit "create if it does not exist, then
/// insert": where a link is in the way, the editor would write through it, outside the tasks
/// root. Paths the loader found but did not read get no create fix (SPEC §8).
#[test]
fn no_create_fix_where_a_link_or_pipe_is_in_the_way() {
    let fixture = without_file(
        &without_file(&one("inbox/TASK-0001-x", ""), ".ledger.jsonl"),
        "ID_COUNTER.txt",
    );
    let link = "symbolic link not followed";
    let ws = crate::ide::fixture::workspace_with_unread(
        &fixture,
        &[
            ("inbox/TASK-0001-x/0001.ledger.jsonl", link),
            ("ID_COUNTER.txt", link),
        ],
    );
    let diagnostics = workspace_diagnostics(&ws, &config());
    let offered: Vec<(Rule, String)> = diagnostics
        .iter()
        .filter(|d| matches!(d.rule, Rule::PackageFileMissing | Rule::IdCounterStale))
        .map(|d| {
            let titles: Vec<String> = fixes_for(&ws, &config(), d)
                .into_iter()
                .map(|fix| fix.label)
                .collect();
            (d.rule, titles.join(", "))
        })
        .collect();
    assert_eq!(
        offered,
        [
            (Rule::PackageFileMissing, String::new()),
            (Rule::IdCounterStale, String::new()),
        ]
    );
    let (change, _) = fix_all(&ws, &config(), &diagnostics);
    assert!(
        change
            .changes
            .iter()
            .all(|part| !matches!(part, FileChange::Create { .. })),
        "{change:?}"
    );
}

/// No fix reads its diagnostic's message: a rule hands its fix what it found as typed data
/// (`Diagnostic::fix`), so rewording a message cannot silently kill a fix. Checked on the
/// sources of the rules and their fixes, outside their tests.
#[test]
fn no_fix_reads_a_diagnostic_message() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ide");
    let mut files = Vec::new();
    collect_rs(&src.join("diagnostics"), &mut files);
    collect_rs(&src.join("fixes"), &mut files);
    assert!(
        files.len() > 10,
        "the rules were not found under {}",
        src.display()
    );
    let mut offenders = Vec::new();
    for file in files {
        let name = file.file_name().unwrap_or_default();
        if name == "tests.rs" || name == "check_fix.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let production = text.split("#[cfg(test)]\nmod ").next().unwrap_or("");
        for (number, line) in production.lines().enumerate() {
            let reads_message = ["d.message", "diagnostic.message", "backticked("]
                .iter()
                .any(|pattern| line.contains(pattern));
            if reads_message {
                offenders.push(format!(
                    "{}:{}: {}",
                    file.display(),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "fixes reading messages:\n{}",
        offenders.join("\n")
    );
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}
