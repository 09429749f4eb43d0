//! A workspace built by following the FlowOS workflows by hand is clean: `check` on
//! tests/fixtures/workflows reports nothing at all, at any severity.
//!
//! The fixture is a small glasshouse-operations team's tasks tree, written step by step as
//! the methodology prescribes: WF1 creation (id_reserved, created), WF2 verify, WF3
//! prioritize (validated, prioritized), WF4 start, WF5 implemented + verified, WF6 integrate,
//! WF7 learning and WF9 close, plus a split (WF-SPLIT), a cancel with its cascade
//! (WF-CANCEL / WF-CASCADE-CANCEL), a P0 fast-track that displaces and pauses another task, a
//! `concurrent_ok` waiver, and a hand-off (WF-HANDOFF). Any diagnostic here is a false
//! positive of the checker (or a slip in the fixture); see each rule's tests for the cases.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary and editors; the product may not.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use flowos_lsp::syntax::STAGE_NAMES;

/// The moment the fixture describes: every ledger ends on or before 2026-10-01.
const NOW: &str = "2026-10-01T12:00:00Z";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tasks_root() -> PathBuf {
    repo().join("tests/fixtures/workflows/.work/tasks")
}

fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
        .arg("check")
        .arg("tests/fixtures/workflows")
        .args(["--now", NOW])
        .args(args)
        .env_remove("FLOWOS_NOW")
        .current_dir(repo())
        .output()
        .expect("the flowos-lsp binary runs")
}

#[test]
fn the_hand_built_workflow_workspace_is_clean() {
    let output = check(&[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "check failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    // Nothing but the summary line: no error, warning, info or hint lines.
    assert_eq!(
        stdout, "0 errors, 0 warnings in 0 tasks (16 checked)\n",
        "stderr:\n{stderr}"
    );
    // The loader found nothing it could not read.
    assert!(
        !stderr.contains("flowos-lsp:"),
        "the loader reported problems:\n{stderr}"
    );
}

#[test]
fn the_json_report_agrees() {
    let output = check(&["--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("check --format json prints JSON");
    assert_eq!(report["diagnostics"], serde_json::json!([]), "{report:#}");
    let summary = &report["summary"];
    for count in ["errors", "warnings", "infos", "hints", "tasksWithProblems"] {
        assert_eq!(summary[count], 0, "{count} in {summary}");
    }
    assert_eq!(summary["tasks"], 16);
}

/// Every task folder of the fixture: (stage, folder name).
fn task_folders() -> Vec<(String, PathBuf)> {
    let mut folders = Vec::new();
    for stage in STAGE_NAMES {
        let dir = tasks_root().join(stage);
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("a readable entry").path();
            if path.is_dir() {
                folders.push((stage.to_string(), path));
            }
        }
    }
    folders.sort();
    folders
}

/// Guards the fixture itself, so that "clean" keeps meaning "clean while exercising every
/// workflow": each stage holds a task, and the ledgers record each workflow's events.
#[test]
fn the_fixture_exercises_every_stage_and_workflow() {
    let folders = task_folders();
    let stages: BTreeSet<&str> = folders.iter().map(|(stage, _)| stage.as_str()).collect();
    assert_eq!(stages.len(), 7, "every stage is populated: {stages:?}");

    let mut events = BTreeSet::new();
    for (_, folder) in &folders {
        for entry in fs::read_dir(folder).expect("a task folder") {
            let path = entry.expect("a readable entry").path();
            if !path.to_string_lossy().ends_with(".ledger.jsonl") {
                continue;
            }
            for line in fs::read_to_string(&path).expect("a ledger").lines() {
                let event: serde_json::Value = serde_json::from_str(line).expect("JSON line");
                let name = event["event"].as_str().expect("an event name").to_string();
                let ts = event["ts"].as_str().expect("a timestamp");
                assert!(
                    ts.starts_with("2026-") && ts <= "2026-10-01T23:59:59Z",
                    "{}: {ts} is outside 2026-01-01..2026-10-01",
                    path.display()
                );
                events.insert(name);
            }
        }
    }
    for wanted in [
        // WF1..WF9
        "id_reserved",
        "created",
        "verified",
        "validated",
        "prioritized",
        "started",
        "implemented",
        "integrated",
        "moved_to_learning",
        "learning_documented",
        "closed",
        // WF-SPLIT, WF-CANCEL and its cascade
        "split",
        "created_from_split",
        "canceled",
        "cascade_cancel",
        "cascade_blocked_by_cancel",
        // P0 fast-track, displacement, pause
        "fast_tracked",
        "displaced",
        "paused",
        "paused_by_p0",
        // waiver and hand-off
        "concurrent_ok",
        "handoff_initiated",
        "handoff_accepted",
    ] {
        assert!(
            events.contains(wanted),
            "no `{wanted}` event in the fixture"
        );
    }
    let counter = fs::read_to_string(tasks_root().join("ID_COUNTER.txt")).expect("ID_COUNTER");
    assert_eq!(counter.trim(), format!("{:04}", folders.len() + 1));
}
