//! Leftovers and half-done writes (SPEC §5, §8; issue 16 item 5), through the real binary:
//! temporary files of killed writers are reported and, once their process has ended, removed;
//! a destination folder claimed but not yet filled by a move is not a task, so a transition
//! racing that move is refused (exit 1) rather than confused (exit 2); `check --fix` keeps
//! the index rows of a task whose folder it did not read; `new` refuses before writing
//! anything when an index it must update is not a file.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary; the product may not.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flowos_lsp::transaction::RootLock;
use serde_json::Value;
use support::faults::{Run, cli, mkfifo, snapshot};
use support::staged::{indexes, task};

const NOW: &str = "2026-11-08T12:00:00Z";

/// `base/.work/tasks` with a task in next, one in current and one in backlog.
fn workspace(base: &Path) -> PathBuf {
    let root = base.join(".work/tasks");
    task(&root, "next", 1, "");
    task(&root, "current", 2, "");
    task(&root, "backlog", 3, "");
    indexes(&root, 4);
    root
}

fn run(base: &Path, args: &[&str]) -> Run {
    cli(base, args, &[("FLOWOS_NOW", NOW), ("FLOWOS_USER", "@rui")])
}

/// `check --format json` (plus `more`): the diagnostics as (rule, message), and the run.
fn check(base: &Path, more: &[&str]) -> (BTreeSet<(String, String)>, Run) {
    let mut args = vec!["check", ".", "--format", "json", "--now", NOW];
    args.extend(more);
    let run = run(base, &args);
    let diagnostics = run.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d: &Value| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (diagnostics, run)
}

#[test]
fn temporary_files_of_ended_writers_are_reported_then_removed_and_live_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();
    let root = workspace(base);
    let (clean, _) = check(base, &[]);
    // No process has this ID (it is above every kernel's pid_max); this test process runs.
    let ended = i32::MAX as u32;
    let running = std::process::id();
    let dead = [
        format!("next/TASK-0001-job/.0001-job.task.md.flowos-tmp-{ended}-0"),
        format!(".INDEX.md.flowos-tmp-{ended}-3"),
    ];
    let live = format!("current/.INDEX.md.flowos-tmp-{running}-1");
    for rel in dead.iter().chain([&live]) {
        fs::write(root.join(rel), "half a file\n").unwrap();
    }

    let (diagnostics, report) = check(base, &[]);
    assert_eq!(diagnostics, clean, "a leftover is not a diagnostic");
    for rel in dead.iter().chain([&live]) {
        assert!(
            report
                .stderr
                .contains(&format!("{rel}: a temporary file of a write by process")),
            "{rel} not reported: {}",
            report.stderr
        );
    }

    let before = snapshot(base);
    let (diagnostics, fixed) = check(base, &["--fix"]);
    assert_eq!(diagnostics, clean);
    assert!(
        fixed
            .stderr
            .contains("removed 2 temporary files left by interrupted writes"),
        "{}",
        fixed.stderr
    );
    assert!(
        fixed
            .stderr
            .contains(&format!("process {running}, which is still running")),
        "{}",
        fixed.stderr
    );
    let after = snapshot(base);
    let gone: Vec<&String> = before
        .keys()
        .filter(|rel| !after.contains_key(*rel))
        .collect();
    let expected: Vec<String> = dead
        .iter()
        .map(|rel| format!(".work/tasks/{rel}"))
        .collect();
    assert_eq!(
        gone.into_iter().cloned().collect::<BTreeSet<_>>(),
        expected.into_iter().collect::<BTreeSet<_>>()
    );
    assert!(root.join(&live).exists());
}

/// A move claims its destination as an empty folder and renames onto it. In between, the
/// empty folder is not a second TASK-0001 with every file missing: `check` reports exactly
/// what it reports without it.
#[test]
fn an_empty_task_folder_is_a_folder_being_created_not_a_task() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();
    let root = workspace(base);
    let (without, _) = check(base, &[]);
    fs::create_dir(root.join("current/TASK-0001-job")).unwrap();
    let (with, run) = check(base, &[]);
    assert_eq!(with, without, "{}", run.stdout);
    assert_eq!(run.code, 0);
    // A folder with anything in it is a task again (lacking its files).
    fs::write(root.join("current/TASK-0001-job/notes.md"), "x\n").unwrap();
    let (with_notes, _) = check(base, &[]);
    assert!(
        with_notes
            .iter()
            .any(|(rule, _)| rule == "duplicate-task-id"),
        "{with_notes:?}"
    );
}

/// Whether `pid` is asleep (waiting for the lock) rather than running, from `/proc`.
fn asleep(pid: u32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return true;
    };
    let state = stat.rsplit(')').next().unwrap_or("").trim_start();
    !state.starts_with('R')
}

/// A transition that reads the tree while another has claimed its destination folder but not
/// yet renamed onto it sees one TASK-0001, plans, waits for the lock, and finds the files it
/// planned from gone: refused, exit 1, nothing written.
#[test]
fn a_transition_racing_a_move_into_its_claimed_folder_is_refused_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();
    let root = workspace(base);
    // The other transaction: holding the root's lock, it has claimed the destination.
    let lock = RootLock::acquire(&root, Duration::from_secs(5)).unwrap();
    fs::create_dir(root.join("current/TASK-0001-job")).unwrap();
    let racer = Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
        .args([
            "transition",
            "TASK-0001",
            "start",
            ".",
            "--user",
            "@rui",
            "--now",
            NOW,
        ])
        .current_dir(base)
        .env_remove("FLOWOS_FAULT_STOP_AFTER")
        .env_remove("FLOWOS_FAULT_KILL_AFTER")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Let it read the tree and block on the lock: asleep for a while, and at least a second.
    let started = Instant::now();
    let mut asleep_since: Option<Instant> = None;
    while started.elapsed() < Duration::from_secs(1)
        || asleep_since.is_none_or(|since| since.elapsed() < Duration::from_millis(300))
    {
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "the racer never settled"
        );
        asleep_since = match (asleep(racer.id()), asleep_since) {
            (true, None) => Some(Instant::now()),
            (true, since) => since,
            (false, _) => None,
        };
        std::thread::sleep(Duration::from_millis(20));
    }
    // The other transaction finishes its move and lets go.
    fs::remove_dir(root.join("current/TASK-0001-job")).unwrap();
    fs::rename(
        root.join("next/TASK-0001-job"),
        root.join("current/TASK-0001-job"),
    )
    .unwrap();
    let before = snapshot(base);
    drop(lock);
    let output = racer.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(!stderr.contains("names 2 task folders"), "{stderr}");
    assert_eq!(snapshot(base), before, "the refused transition wrote");
}

/// A task folder replaced by a link is not read (nothing is followed out of a root), so its
/// index rows name a task the model cannot see; they are still the task's rows, and
/// `check --fix` leaves them (and everything else it cannot fix) as they are.
#[test]
fn check_fix_keeps_the_index_rows_of_a_task_folder_it_did_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("ws");
    let root = workspace(&base);
    let outside = dir.path().join("elsewhere/TASK-0001-job");
    fs::create_dir_all(outside.parent().unwrap()).unwrap();
    fs::rename(root.join("next/TASK-0001-job"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("next/TASK-0001-job")).unwrap();
    let indexes_before: Vec<String> = ["INDEX.md", "next/INDEX.md"]
        .iter()
        .map(|rel| fs::read_to_string(root.join(rel)).unwrap())
        .collect();
    assert!(indexes_before.iter().all(|text| text.contains("| 0001 |")));

    let (diagnostics, report) = check(&base, &[]);
    assert!(
        diagnostics
            .iter()
            .any(|(rule, message)| rule == "index-phantom-row" && message.contains("was not read")),
        "{diagnostics:?}"
    );
    assert!(
        report.stderr.contains("symbolic link not followed"),
        "{}",
        report.stderr
    );
    let (_, fixed) = check(&base, &["--fix"]);
    let indexes_after: Vec<String> = ["INDEX.md", "next/INDEX.md"]
        .iter()
        .map(|rel| fs::read_to_string(root.join(rel)).unwrap())
        .collect();
    assert_eq!(indexes_after, indexes_before, "{}", fixed.stderr);
}

/// `new` adds the task's row to `inbox/INDEX.md`; when that is a folder or a pipe, it must
/// refuse before reserving an ID or writing the package.
#[test]
fn new_refuses_before_writing_anything_when_the_inbox_index_is_not_a_file() {
    for make in ["folder", "pipe"] {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        let root = workspace(base);
        let index = root.join("inbox/INDEX.md");
        fs::remove_file(&index).unwrap();
        match make {
            "folder" => fs::create_dir(&index).unwrap(),
            _ => mkfifo(&index),
        }
        let before = snapshot(base);
        let run = run(base, &["new", "Fix login redirect", "."]);
        assert_eq!(run.code, 1, "{make}: {}", run.all());
        assert!(
            run.stderr.contains("inbox/INDEX.md") && run.stderr.contains("nothing was written"),
            "{make}: {}",
            run.stderr
        );
        assert_eq!(snapshot(base), before, "{make}: something was written");
    }
}
