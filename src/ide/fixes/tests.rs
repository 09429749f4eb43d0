//! The acceptance test of quick fixes: apply a fix to the texts, rebuild the workspace, and
//! its diagnostic is gone, no other diagnostic appeared, and no other text changed (each
//! file gets one smallest edit, shown exactly in the snapshot).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use expect_test::{Expect, expect};

use super::{Fix, FixAction, fix_all, fixes_for};
use crate::base::PositionEncoding;
use crate::db::vocab::Stage;
use crate::db::{FileInput, RootInput, Workspace};
use crate::ide::diagnostics::workspace_diagnostics;
use crate::ide::edit::{line_content_end, line_start};
use crate::ide::fixture::{COUNTER, ROOT, package, render, workspace};
use crate::ide::source_change::{FileChange, SourceChange, apply_edits};
use crate::ide::types::{Config, Diagnostic, Rule};

/// 2026-03-02T12:00:00Z, three hours after the fixtures' `created` events.
const NOW: i64 = 1_772_452_800;

fn config() -> Config {
    Config {
        now: NOW,
        ..Config::default()
    }
}

/// A diagnostic as the writer sees it, without its range (edits move ranges).
type Key = (Rule, String, String);

fn key(ws: &Workspace, d: &Diagnostic) -> Key {
    (d.rule, ws.file(d.file).rel.clone(), d.message.clone())
}

/// The workspace after `change`: every existing file with its edits applied, plus the new
/// files.
fn applied(ws: &Workspace, change: &SourceChange) -> Workspace {
    let root = &ws.roots[0];
    let mut files: Vec<FileInput> = Vec::new();
    for (index, file) in ws.files.iter().enumerate() {
        if !file.exists {
            continue;
        }
        let id = crate::db::FileId(index as u32);
        let edits: Vec<_> = change.edits_of(id).cloned().collect();
        files.push(FileInput::new(
            file.rel.clone(),
            apply_edits(&file.text, &edits).into_bytes(),
        ));
    }
    for file_change in &change.changes {
        if let FileChange::Create { path, text } = file_change {
            let rel = relative(path);
            assert!(
                files.iter().all(|file| file.rel != rel),
                "{rel} already exists"
            );
            files.push(FileInput::new(rel, text.clone().into_bytes()));
        }
    }
    Workspace::build(vec![RootInput {
        path: PathBuf::from(ROOT),
        dirs: root.dirs.clone(),
        files,
        problems: Vec::new(),
    }])
}

fn relative(path: &Path) -> String {
    path.strip_prefix(ROOT)
        .expect("a change outside the tasks root")
        .to_string_lossy()
        .replace('\\', "/")
}

/// Line breaks made visible, so a snapshot shows every byte an edit writes.
fn visible(text: &str) -> String {
    text.replace('\r', "␍").replace('\n', "⏎")
}

/// Each edit as `file:line:col `old` -> `new``, each new file with its text.
fn show_change(ws: &Workspace, change: &SourceChange) -> String {
    let mut out = String::new();
    for file_change in &change.changes {
        match file_change {
            FileChange::Edit { file, edits } => {
                let source = ws.file(*file);
                assert_eq!(edits.len(), 1, "{}: one smallest edit per file", source.rel);
                for edit in edits {
                    let at = source.line_index().line_col(
                        &source.text,
                        edit.range.start as usize,
                        PositionEncoding::Utf8,
                    );
                    out.push_str(&format!(
                        "{}:{}:{} `{}` -> `{}`\n",
                        source.rel,
                        at.line + 1,
                        at.col + 1,
                        visible(edit.range.slice(&source.text)),
                        visible(&edit.insert)
                    ));
                    // The lines the new text lands on, as they read afterwards.
                    if !edit.insert.is_empty() {
                        let new = apply_edits(&source.text, std::slice::from_ref(edit));
                        let start = edit.range.start as usize;
                        let end = start + edit.insert.trim_end_matches(['\r', '\n']).len();
                        let lines = &new[line_start(&new, start)..line_content_end(&new, end)];
                        for line in lines.lines() {
                            out.push_str(&format!("  = {line}\n"));
                        }
                    }
                }
            }
            FileChange::Create { path, text } => {
                out.push_str(&format!("create {} `{}`\n", relative(path), visible(text)));
            }
        }
    }
    out
}

/// Applies the fix labelled `label…` for the first `rule` diagnostic of `fixture` and checks
/// the acceptance criterion; the snapshot shows the fix and its exact edits.
fn check_fix(fixture: &str, rule: Rule, label: &str, expect: Expect) {
    let ws = workspace(fixture);
    let before = workspace_diagnostics(&ws, &config());
    let target = before.iter().find(|d| d.rule == rule).unwrap_or_else(|| {
        panic!(
            "no {rule} diagnostic; the fixture has:\n{}",
            render(&ws, before.iter())
        )
    });
    let fixes = fixes_for(&ws, &config(), target);
    let fix = fixes
        .iter()
        .find(|fix| fix.label.starts_with(label))
        .unwrap_or_else(|| {
            let labels: Vec<&str> = fixes.iter().map(|fix| fix.label.as_str()).collect();
            panic!("no fix `{label}…` for {rule}; offered: {labels:?}")
        });
    let FixAction::Change(change) = &fix.action else {
        panic!("{} is not a text change", fix.label)
    };
    let shown = show_change(&ws, change);
    let fixed = applied(&ws, change);
    let after = workspace_diagnostics(&fixed, &config());
    let before_keys: BTreeSet<Key> = before.iter().map(|d| key(&ws, d)).collect();
    let after_keys: BTreeSet<Key> = after.iter().map(|d| key(&fixed, d)).collect();
    assert!(
        !after_keys.contains(&key(&ws, target)),
        "`{}` left its diagnostic:\n{}{shown}",
        fix.label,
        render(&fixed, after.iter().filter(|d| d.rule == rule))
    );
    let caused: Vec<&Key> = after_keys.difference(&before_keys).collect();
    assert!(
        caused.is_empty(),
        "`{}` caused new diagnostics: {caused:#?}\n{shown}",
        fix.label
    );
    expect.assert_eq(&format!("{}{}\n{shown}", fix.label, safety(fix)));
}

fn safety(fix: &Fix) -> &'static str {
    if fix.safe { " (safe)" } else { "" }
}

/// A clean package whose ledger also records the moves into its stage, so that it agrees
/// with the folder (ledger-stage-drift would otherwise be in every fixture).
fn pkg(folder: &str, fields: &str) -> String {
    let moves: &[&str] = match folder.split('/').find_map(Stage::parse) {
        Some(Stage::Backlog) => &["verified"],
        Some(Stage::Next) => &["verified", "prioritized"],
        Some(Stage::Current) => &["verified", "prioritized", "started"],
        Some(Stage::Archived) => &["verified", "canceled"],
        _ => &[],
    };
    let mut out = package(folder, fields);
    for (minute, event) in moves.iter().enumerate() {
        out.push_str(&format!(
            "{{\"ts\":\"2026-03-02T09:{:02}:00Z\",\"user\":\"@ana\",\"event\":\"{event}\",\"desc\":\"d\"}}\n",
            minute + 1
        ));
    }
    out
}

fn one(folder: &str, fields: &str) -> String {
    format!("{COUNTER}{}", pkg(folder, fields))
}

/// `fixture` without the file whose header path ends with `suffix`.
fn without_file(fixture: &str, suffix: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in fixture.split_inclusive('\n') {
        if let Some(header) = line.trim_end().strip_prefix("//- /") {
            skipping = header.ends_with(suffix);
        }
        if !skipping {
            out.push_str(line);
        }
    }
    out
}

const ROOT_HEADER: &str = "| ID | Name | DRI | Stage | Status | Flags | Dependencies |\n|----|------|-----|-------|--------|-------|--------------|\n";
const STAGE_HEADER: &str = "| ID | Name | DRI | Status | Flags | Dependencies |\n|----|------|-----|--------|-------|--------------|\n";

/// Backlog tasks 0001 and 0002 with the given fields, listed by a root and a backlog index
/// with the given rows.
fn indexed(a: &str, b: &str, root_rows: &str, stage_rows: &str) -> String {
    format!(
        "{COUNTER}{}{}//- /INDEX.md\n# Tasks\n\n{ROOT_HEADER}{root_rows}\nNotes below the table.\n//- /backlog/INDEX.md\n---\nstage: backlog\n---\n\n{STAGE_HEADER}{stage_rows}",
        pkg("backlog/TASK-0001-a", a),
        pkg("backlog/TASK-0002-b", b),
    )
}

const ROOT_ROWS: &str = "| 0001 | Task 0001 | @ana | backlog | active | - | - |\n| 0002 | Task 0002 | @ana | backlog | active | - | - |\n";
const STAGE_ROWS: &str =
    "| 0001 | Task 0001 | @ana | active | - | - |\n| 0002 | Task 0002 | @ana | active | - | - |\n";

#[test]
fn every_fix_removes_its_diagnostic_and_changes_nothing_else() {
    let cases: Vec<(&str, String, Rule, &str, Expect)> = vec![
        (
            "stage from the folder",
            one("backlog/TASK-0001-x", "stage: \"next\""),
            Rule::StageMismatch,
            "Set stage",
            expect![[r#"
                Set stage to `backlog` (safe)
                backlog/TASK-0001-x/0001-x.task.md:7:9 `next` -> `backlog`
                  = stage: "backlog"
            "#]],
        ),
        (
            "task_id from the folder",
            one("inbox/TASK-0001-x", "task_id: \"0002\""),
            Rule::TaskIdMismatch,
            "Set task_id",
            expect![[r#"
                Set task_id to "0001" (safe)
                inbox/TASK-0001-x/0001-x.task.md:2:14 `2` -> `1`
                  = task_id: "0001"
            "#]],
        ),
        (
            "unquoted task_id",
            one("inbox/TASK-0001-x", "task_id: 0001"),
            Rule::FieldType,
            "Quote task_id",
            expect![[r#"
                Quote task_id (safe)
                inbox/TASK-0001-x/0001-x.task.md:2:10 `0001` -> `"0001"`
                  = task_id: "0001"
            "#]],
        ),
        (
            "absent task_id",
            one("inbox/TASK-0001-x", "").replace("task_id: \"0001\"\n", ""),
            Rule::FieldMissing,
            "Set task_id",
            expect![[r#"
                Set task_id to "0001" (safe)
                inbox/TASK-0001-x/0001-x.task.md:19:1 `` -> `task_id: "0001"⏎`
                  = task_id: "0001"
            "#]],
        ),
        (
            "absent stage",
            one("inbox/TASK-0001-x", "").replace("stage: \"inbox\"\n", ""),
            Rule::FieldMissing,
            "Set stage",
            expect![[r#"
                Set stage to `inbox` (safe)
                inbox/TASK-0001-x/0001-x.task.md:19:1 `` -> `stage: "inbox"⏎`
                  = stage: "inbox"
            "#]],
        ),
        (
            "misspelt status",
            one("inbox/TASK-0001-x", "status: \"actve\""),
            Rule::InvalidValue,
            "Change to",
            expect![[r#"
                Change to `active`
                inbox/TASK-0001-x/0001-x.task.md:12:13 `` -> `i`
                  = status: "active"
            "#]],
        ),
        (
            "misspelt blocked_by prefix",
            one(
                "inbox/TASK-0001-x",
                "status: \"blocked\"\nblocked_by: \"extrnal:vendor API\"",
            ),
            Rule::InvalidValue,
            "Change to",
            expect![[r#"
                Change to `external:vendor API`
                inbox/TASK-0001-x/0001-x.task.md:13:17 `` -> `e`
                  = blocked_by: "external:vendor API"
            "#]],
        ),
        (
            "date without padding",
            one("inbox/TASK-0001-x", "created_date: \"2026-3-2\""),
            Rule::InvalidDate,
            "Write",
            expect![[r#"
                Write `2026-03-02` (safe)
                inbox/TASK-0001-x/0001-x.task.md:4:21 `3-` -> `03-0`
                  = created_date: "2026-03-02"
            "#]],
        ),
        (
            "a reference where a list belongs",
            format!(
                "{}{}",
                one("backlog/TASK-0001-a", "depends_on: TASK-0002"),
                pkg("backlog/TASK-0002-b", "blocks: [\"0001\"]")
            ),
            Rule::FieldType,
            "Make `depends_on` a list",
            expect![[r#"
                Make `depends_on` a list (safe)
                backlog/TASK-0001-a/0001-a.task.md:15:13 `TASK-0002` -> `["TASK-0002"]`
                  = depends_on: ["TASK-0002"]
            "#]],
        ),
        (
            "an unquoted number in a reference list",
            format!(
                "{}{}",
                one("backlog/TASK-0001-a", "depends_on: [0002]"),
                pkg("backlog/TASK-0002-b", "blocks: [\"0001\"]")
            ),
            Rule::FieldType,
            "Quote",
            expect![[r#"
                Quote `0002` (safe)
                backlog/TASK-0001-a/0001-a.task.md:15:14 `0002` -> `"0002"`
                  = depends_on: ["0002"]
            "#]],
        ),
        (
            "remove a missing dependency, and its index cells with it",
            indexed(
                "depends_on: [\"0099\"]",
                "",
                &ROOT_ROWS.replacen("| - | - |", "| - | TASK-0099 |", 1),
                &STAGE_ROWS.replacen("| - | - |", "| - | 0099 |", 1),
            ),
            Rule::MissingDependency,
            "Remove TASK-0099",
            expect![[r#"
                Remove TASK-0099 from `depends_on`
                backlog/TASK-0001-a/0001-a.task.md:15:14 `"0099"` -> ``
                INDEX.md:5:52 `TASK-0099` -> `-`
                  = | 0001 | Task 0001 | @ana | backlog | active | - | - |
                backlog/INDEX.md:7:42 `0099` -> `-`
                  = | 0001 | Task 0001 | @ana | active | - | - |
            "#]],
        ),
        (
            "replace a missing reference with the closest ID",
            format!(
                "{}{}",
                one("backlog/TASK-0001-a", "related_to: [TASK-0003]"),
                pkg("backlog/TASK-0002-b", "")
            ),
            Rule::MissingDependency,
            "Change to",
            expect![[r#"
                Change to TASK-0002
                backlog/TASK-0001-a/0001-a.task.md:17:22 `3` -> `2`
                  = related_to: [TASK-0002]
            "#]],
        ),
        (
            "the task in blocked_by replaced inside its string",
            format!(
                "{}{}",
                one(
                    "backlog/TASK-0001-a",
                    "status: \"blocked\"\nblocked_by: \"task:TASK-0003 (paused)\""
                ),
                pkg("backlog/TASK-0002-b", "")
            ),
            Rule::MissingDependency,
            "Change to",
            expect![[r#"
                Change to TASK-0002
                backlog/TASK-0001-a/0001-a.task.md:13:27 `3` -> `2`
                  = blocked_by: "task:TASK-0002 (paused)"
            "#]],
        ),
        (
            "self-dependency",
            one("backlog/TASK-0001-a", "depends_on: [\"TASK-0001\"]"),
            Rule::SelfDependency,
            "Remove TASK-0001",
            expect![[r#"
                Remove TASK-0001 from `depends_on` (safe)
                backlog/TASK-0001-a/0001-a.task.md:15:14 `"TASK-0001"` -> ``
            "#]],
        ),
        (
            "canceled dependency",
            format!(
                "{}{}",
                one("backlog/TASK-0001-a", "depends_on: [TASK-0002]"),
                pkg("archived/TASK-0002-b", "status: \"canceled\"")
            ),
            Rule::CanceledDependency,
            "Remove TASK-0002",
            expect![[r#"
                Remove TASK-0002 from `depends_on`
                backlog/TASK-0001-a/0001-a.task.md:15:14 `TASK-0002` -> ``
            "#]],
        ),
        (
            "inverse depends_on, with the other task's index rows",
            indexed("blocks: [\"0002\"]", "", ROOT_ROWS, STAGE_ROWS),
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
        ),
        (
            "inverse blocks in a block list",
            format!(
                "{}{}",
                one("backlog/TASK-0001-a", "depends_on: [TASK-0002, TASK-0003]"),
                pkg(
                    "backlog/TASK-0002-b",
                    "blocks:\n  - TASK-0004 # later\ndepends_on: []"
                ),
            ) + &pkg("backlog/TASK-0003-c", "blocks: [\"0001\"]")
                + &pkg("backlog/TASK-0004-d", "depends_on: [\"0002\"]"),
            Rule::UnlinkedInverse,
            "Add TASK-0001",
            expect![[r#"
                Add TASK-0001 to TASK-0002's `blocks` (safe)
                backlog/TASK-0002-b/0002-b.task.md:18:1 `` -> `  - TASK-0001⏎`
                  =   - TASK-0001
            "#]],
        ),
        (
            "split_from filled in",
            format!(
                "{}{}",
                one("backlog/TASK-0001-a", "split_into: [\"0002\"]"),
                pkg("backlog/TASK-0002-b", "")
            ),
            Rule::SplitLinkMismatch,
            "Set TASK-0002's `split_from`",
            expect![[r#"
                Set TASK-0002's `split_from` to TASK-0001 (safe)
                backlog/TASK-0002-b/0002-b.task.md:18:13 `null` -> `"TASK-0001"`
                  = split_from: "TASK-0001"
            "#]],
        ),
        (
            "split_into completed",
            format!(
                "{}{}",
                one("backlog/TASK-0001-a", "split_into: [TASK-0003]"),
                pkg("backlog/TASK-0002-b", "split_from: \"0001\"")
            ) + &pkg("backlog/TASK-0003-c", "split_from: \"0001\""),
            Rule::SplitLinkMismatch,
            "Add TASK-0002",
            expect![[r#"
                Add TASK-0002 to TASK-0001's `split_into` (safe)
                backlog/TASK-0001-a/0001-a.task.md:19:23 `` -> `, TASK-0002`
                  = split_into: [TASK-0003, TASK-0002]
            "#]],
        ),
        (
            "concurrent_ok waiver",
            format!(
                "{}{}",
                one("current/TASK-0001-a", "depends_on: [TASK-0002]"),
                pkg("next/TASK-0002-b", "blocks: [\"0001\"]")
            ),
            Rule::UnfinishedDependency,
            "Log a `concurrent_ok`",
            expect![[r#"
                Log a `concurrent_ok` waiver for TASK-0002
                current/TASK-0001-a/0001.ledger.jsonl:5:1 `` -> `{"ts":"2026-03-02T12:00:00Z","user":"@ana","event":"concurrent_ok","desc":"Working in parallel with unfinished dependency TASK-0002"}⏎`
                  = {"ts":"2026-03-02T12:00:00Z","user":"@ana","event":"concurrent_ok","desc":"Working in parallel with unfinished dependency TASK-0002"}
            "#]],
        ),
        (
            "stale blocked_by cleared",
            one("inbox/TASK-0001-x", "blocked_by: \"external:vendor\""),
            Rule::BlockedWithoutReason,
            "Clear blocked_by",
            expect![[r#"
                Clear blocked_by
                inbox/TASK-0001-x/0001-x.task.md:13:13 `"external:vendor"` -> `null`
                  = blocked_by: null
            "#]],
        ),
        (
            "status set to blocked, with the index rows",
            indexed("blocked_by: \"external:vendor\"", "", ROOT_ROWS, STAGE_ROWS),
            Rule::BlockedWithoutReason,
            "Set status",
            expect![[r#"
                Set status to `blocked`
                backlog/TASK-0001-a/0001-a.task.md:12:10 `active` -> `blocked`
                  = status: "blocked"
                INDEX.md:5:39 `active` -> `blocked`
                  = | 0001 | Task 0001 | @ana | backlog | blocked | - | - |
                backlog/INDEX.md:7:29 `active` -> `blocked`
                  = | 0001 | Task 0001 | @ana | blocked | - | - |
            "#]],
        ),
        (
            "row added to the stage index",
            indexed(
                "blocks: [\"0002\"]",
                "depends_on: [TASK-0001]",
                &ROOT_ROWS.replace(
                    "| 0002 | Task 0002 | @ana | backlog | active | - | - |",
                    "| 0002 | Task 0002 | @ana | backlog | active | - | TASK-0001 |",
                ),
                "| 0001 | Task 0001 | @ana | active | - | - |\n",
            ),
            Rule::IndexMissingRow,
            "Add a row",
            expect![[r#"
                Add a row for TASK-0002 to backlog/INDEX.md (safe)
                backlog/INDEX.md:8:1 `` -> `| 0002 | Task 0002 | @ana | active | - | TASK-0001 |⏎`
                  = | 0002 | Task 0002 | @ana | active | - | TASK-0001 |
            "#]],
        ),
        (
            "row added to the root index, before the notes below it",
            indexed(
                "",
                "",
                "| 0001 | Task 0001 | @ana | backlog | active | - | - |\n",
                STAGE_ROWS,
            ),
            Rule::IndexMissingRow,
            "Add a row",
            expect![[r#"
                Add a row for TASK-0002 to INDEX.md (safe)
                INDEX.md:6:1 `` -> `| 0002 | Task 0002 | @ana | backlog | active | - | - |⏎`
                  = | 0002 | Task 0002 | @ana | backlog | active | - | - |
            "#]],
        ),
        (
            "phantom row removed",
            indexed(
                "",
                "",
                ROOT_ROWS,
                &format!("{STAGE_ROWS}| 0009 | Ghost | @ana | active | - | - |\n"),
            ),
            Rule::IndexPhantomRow,
            "Remove the row",
            expect![[r#"
                Remove the row for `0009` (safe)
                backlog/INDEX.md:9:1 `| 0009 | Ghost | @ana | active | - | - |⏎` -> ``
            "#]],
        ),
        (
            "later duplicate removed",
            indexed(
                "",
                "",
                ROOT_ROWS,
                &format!("{STAGE_ROWS}| TASK-0001 | Task 0001 | @ana | active | - | - |\n"),
            ),
            Rule::IndexDuplicateRow,
            "Remove the row",
            expect![[r#"
                Remove the row for `TASK-0001` (safe)
                backlog/INDEX.md:9:1 `| TASK-0001 | Task 0001 | @ana | active | - | - |⏎` -> ``
            "#]],
        ),
        (
            "mismatched row rewritten from the card",
            indexed(
                "",
                "",
                ROOT_ROWS,
                "| 0001 | Task 0001 | @ana | active | - | - |\n| 0002 | Old name | @bo | blocked | blocked(TASK-0001) | - |\n",
            ),
            Rule::IndexRowMismatch,
            "Rewrite the row",
            expect![[r#"
                Rewrite the row for TASK-0002 from its card (safe)
                backlog/INDEX.md:8:10 `Old name | @bo | blocked | blocked(TASK-0001)` -> `Task 0002 | @ana | active | -`
                  = | 0002 | Task 0002 | @ana | active | - | - |
            "#]],
        ),
        (
            "a link leading elsewhere pointed at the task, in the form it had",
            indexed(
                "",
                "depends_on: [TASK-0001]",
                &ROOT_ROWS.replace(
                    "| 0002 | Task 0002 | @ana | backlog | active | - | - |",
                    "| 0002 | Task 0002 | @ana | backlog | active | - | [TASK-0001](./next/TASK-0001-a/#goal) |",
                ),
                &STAGE_ROWS.replace(
                    "| 0002 | Task 0002 | @ana | active | - | - |",
                    "| 0002 | Task 0002 | @ana | active | - | TASK-0001 |",
                ),
            ),
            Rule::IndexBrokenLink,
            "Link to",
            expect![[r#"
                Link to `./backlog/TASK-0001-a/#goal` (safe)
                INDEX.md:6:66 `next` -> `backlog`
                  = | 0002 | Task 0002 | @ana | backlog | active | - | [TASK-0001](./backlog/TASK-0001-a/#goal) |
            "#]],
        ),
        (
            "section added before the next one",
            one("inbox/TASK-0001-a", "").replace("## Expected Outputs\n\nA result.\n\n", ""),
            Rule::MissingSection,
            "Add the `## Expected Outputs`",
            expect![[r#"
                Add the `## Expected Outputs` section (safe)
                inbox/TASK-0001-a/0001-a.task.md:34:4 `` -> `Expected Outputs⏎⏎## `
                  = ## Expected Outputs
                  = 
                  = ## Acceptance Criteria
            "#]],
        ),
        (
            "Acceptance Criteria added at the end, with an item",
            one("inbox/TASK-0001-a", "").replace("## Acceptance Criteria\n\n- [ ] it works\n", ""),
            Rule::MissingSection,
            "Add the `## Acceptance Criteria`",
            expect![[r#"
                Add the `## Acceptance Criteria` section (safe)
                inbox/TASK-0001-a/0001-a.task.md:38:1 `` -> `## Acceptance Criteria⏎⏎- [ ] TODO⏎`
                  = ## Acceptance Criteria
                  = 
                  = - [ ] TODO
            "#]],
        ),
        (
            "context created",
            without_file(&one("inbox/TASK-0001-x", ""), ".context.md"),
            Rule::PackageFileMissing,
            "Create",
            expect![[r#"
                Create `0001.context.md` (safe)
                create inbox/TASK-0001-x/0001.context.md `# Context for TASK-0001: Task 0001⏎⏎What someone needs to know to do this task: background, constraints, links.⏎`
            "#]],
        ),
        (
            "context and ledger created",
            without_file(
                &without_file(&one("backlog/TASK-0001-x", ""), ".context.md"),
                ".ledger.jsonl",
            ),
            Rule::PackageFileMissing,
            "Create",
            expect![[r#"
                Create `0001.context.md` and `0001.ledger.jsonl` (safe)
                create backlog/TASK-0001-x/0001.context.md `# Context for TASK-0001: Task 0001⏎⏎What someone needs to know to do this task: background, constraints, links.⏎`
                create backlog/TASK-0001-x/0001.ledger.jsonl ``
            "#]],
        ),
        (
            "stale counter",
            format!(
                "//- /ID_COUNTER.txt\n0001\n{}",
                pkg("inbox/TASK-0001-x", "")
            ),
            Rule::IdCounterStale,
            "Set ID_COUNTER.txt",
            expect![[r#"
                Set ID_COUNTER.txt to 0002 (safe)
                ID_COUNTER.txt:1:4 `1` -> `2`
                  = 0002
            "#]],
        ),
        (
            "missing counter",
            pkg("inbox/TASK-0007-x", ""),
            Rule::IdCounterStale,
            "Create",
            expect![[r#"
                Create ID_COUNTER.txt holding 0008 (safe)
                create ID_COUNTER.txt `0008⏎`
            "#]],
        ),
    ];
    for (name, fixture, rule, label, expect) in cases {
        let result = std::panic::catch_unwind(|| check_fix(&fixture, rule, label, expect));
        if let Err(panic) = result {
            eprintln!("case failed: {name}");
            std::panic::resume_unwind(panic);
        }
    }
}

#[test]
fn ledger_drift_is_fixed_by_finishing_the_transition() {
    let fixture = one("backlog/TASK-0001-a", "").replace(
        "\"desc\":\"Created\"}\n",
        "\"desc\":\"Created\"}\n{\"ts\":\"2026-03-02T10:00:00Z\",\"user\":\"@ana\",\"event\":\"verified\",\"desc\":\"v\"}\n{\"ts\":\"2026-03-02T11:00:00Z\",\"user\":\"@ana\",\"event\":\"prioritized\",\"desc\":\"p\"}\n",
    );
    let ws = workspace(&fixture);
    let diagnostics = workspace_diagnostics(&ws, &config());
    let drift = diagnostics
        .iter()
        .find(|d| d.rule == Rule::LedgerStageDrift)
        .expect("drift");
    let fixes = fixes_for(&ws, &config(), drift);
    assert_eq!(fixes.len(), 1);
    assert_eq!(fixes[0].label, "Finish moving TASK-0001 to next");
    assert!(fixes[0].safe, "the ledger is ahead: an interrupted move");
    assert_eq!(
        fixes[0].action,
        FixAction::CompleteTransition {
            task: ws.task_idx_of_file(drift.file).unwrap(),
            stage: Stage::Next,
        }
    );
    // A folder ahead of its ledger was moved by hand: moving it back is only offered.
    let ahead = fixture
        .replace("backlog/", "current/")
        .replace("stage: \"backlog\"", "stage: \"current\"");
    let ws = workspace(&ahead);
    let diagnostics = workspace_diagnostics(&ws, &config());
    let drift = diagnostics
        .iter()
        .find(|d| d.rule == Rule::LedgerStageDrift)
        .expect("drift");
    let fixes = fixes_for(&ws, &config(), drift);
    assert_eq!(fixes.len(), 1);
    assert!(!fixes[0].safe);
    // Fix all leaves transitions to the caller.
    assert_eq!(fix_all(&ws, &config(), &diagnostics).1, 0);
}

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
    let after = applied(&ws, &change);
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
    let fixed = applied(&ws, &change);
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
    let fixed = applied(&ws, &change);
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
    let fixed = applied(&ws, &change);
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
