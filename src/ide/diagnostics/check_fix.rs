//! The acceptance test of quick fixes, for each rule's own fix tests: apply a fix to the
//! texts, rebuild the workspace, and its diagnostic is gone, no other diagnostic appeared,
//! and no other text changed (each file gets one smallest edit, shown exactly in the
//! snapshot). Also the fixtures those tests share.

use std::collections::BTreeSet;
use std::path::Path;

use expect_test::Expect;

use crate::base::PositionEncoding;
use crate::db::Workspace;
use crate::db::vocab::Stage;
use crate::ide::diagnostics::fix::{Fix, FixAction};
use crate::ide::diagnostics::{fixes_for, workspace_diagnostics};
use crate::ide::edit::{line_content_end, line_start};
use crate::ide::fixture::{COUNTER, ROOT, package, render, workspace, written};
use crate::ide::source_change::{FileChange, SourceChange, apply_edits};
use crate::ide::types::{Config, Diagnostic, Rule};

/// 2026-03-02T12:00:00Z, three hours after the fixtures' `created` events.
pub(crate) const NOW: i64 = 1_772_452_800;

pub(crate) fn config() -> Config {
    Config {
        now: NOW,
        ..Config::default()
    }
}

pub(crate) fn ctx() -> Config {
    config()
}

/// A diagnostic as the writer sees it, without its range (edits move ranges).
type Key = (Rule, String, String);

fn key(ws: &Workspace, d: &Diagnostic) -> Key {
    (d.rule, ws.file(d.file).rel.clone(), d.message.clone())
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
            FileChange::Append { file, lines } => {
                let lines = visible(&lines.join("\n"));
                out.push_str(&format!("append {} `{lines}`\n", ws.file(*file).rel));
            }
            FileChange::Move { from, to } => {
                out.push_str(&format!("move {} -> {}\n", relative(from), relative(to)));
            }
        }
    }
    out
}

/// Applies the fix labelled `label…` for the first `rule` diagnostic of `fixture` and checks
/// the acceptance criterion; the snapshot shows the fix and its exact edits.
pub(crate) fn check_fix(fixture: &str, rule: Rule, label: &str, expect: Expect) {
    let ws = workspace(fixture);
    let before = workspace_diagnostics(&ws, &config());
    let target = before.iter().find(|d| d.rule == rule).unwrap_or_else(|| {
        panic!(
            "no {rule} diagnostic; the fixture has:\n{}",
            render(&ws, before.iter())
        )
    });
    let fixes = fixes_for(&ws, &ctx(), target);
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
    let fixed = written(&ws, change);
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
pub(crate) fn pkg(folder: &str, fields: &str) -> String {
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

pub(crate) fn one(folder: &str, fields: &str) -> String {
    format!("{COUNTER}{}", pkg(folder, fields))
}

/// Backlog task 0001 whose ledger also records it was prioritized: the ledger is ahead of the
/// folder, as an interrupted move leaves it.
pub(crate) fn ledger_ahead_of_the_folder() -> String {
    one("backlog/TASK-0001-a", "").replace(
        "\"desc\":\"Created\"}\n",
        "\"desc\":\"Created\"}\n{\"ts\":\"2026-03-02T10:00:00Z\",\"user\":\"@ana\",\"event\":\"verified\",\"desc\":\"v\"}\n{\"ts\":\"2026-03-02T11:00:00Z\",\"user\":\"@ana\",\"event\":\"prioritized\",\"desc\":\"p\"}\n",
    )
}

/// The same task in current: a folder moved ahead of its ledger by hand.
pub(crate) fn folder_ahead_of_the_ledger() -> String {
    ledger_ahead_of_the_folder()
        .replace("backlog/", "current/")
        .replace("stage: \"backlog\"", "stage: \"current\"")
}

pub(crate) const ROOT_HEADER: &str = "| ID | Name | DRI | Stage | Status | Flags | Dependencies |\n|----|------|-----|-------|--------|-------|--------------|\n";
pub(crate) const STAGE_HEADER: &str = "| ID | Name | DRI | Status | Flags | Dependencies |\n|----|------|-----|--------|-------|--------------|\n";

/// Backlog tasks 0001 and 0002 with the given fields, listed by a root and a backlog index
/// with the given rows.
pub(crate) fn indexed(a: &str, b: &str, root_rows: &str, stage_rows: &str) -> String {
    format!(
        "{COUNTER}{}{}//- /INDEX.md\n# Tasks\n\n{ROOT_HEADER}{root_rows}\nNotes below the table.\n//- /backlog/INDEX.md\n---\nstage: backlog\n---\n\n{STAGE_HEADER}{stage_rows}",
        pkg("backlog/TASK-0001-a", a),
        pkg("backlog/TASK-0002-b", b),
    )
}

pub(crate) const ROOT_ROWS: &str = "| 0001 | Task 0001 | @ana | backlog | active | - | - |\n| 0002 | Task 0002 | @ana | backlog | active | - | - |\n";
pub(crate) const STAGE_ROWS: &str =
    "| 0001 | Task 0001 | @ana | active | - | - |\n| 0002 | Task 0002 | @ana | active | - | - |\n";
