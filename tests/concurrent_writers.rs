//! Writers in separate processes (SPEC §5, §8): two `transition` processes racing on one task
//! (one wins, the other refuses, nothing interleaves), and eight processes appending 1,000
//! ledger events each through the transaction layer (8,000 whole, valid lines).
//!
//! The appending processes are the test-only `append-worker` binary (tests/bin/
//! append_worker.rs), so each is a real process taking the real lock.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn processes; the product may not.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use flowos_lsp::transaction::RootLock;
use serde_json::Value;
use support::append::worker_line;
use support::file_bytes;
use support::staged;

/// A day after the fixture's task entered current, inside its SLO.
const NOW: &str = "2026-11-05T12:00:00Z";
const WORKERS: usize = 8;
const EVENTS_PER_WORKER: usize = 1_000;

/// A tasks root with one task in current (the one raced over) and one in next.
fn workspace(dir: &Path) -> PathBuf {
    let root = dir.join(".work/tasks");
    staged::task(&root, "current", 1, "");
    staged::task(&root, "next", 2, "");
    staged::indexes(&root, 3);
    root
}

fn flowos(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flowos-lsp"));
    command
        .args(args)
        .env("FLOWOS_NOW", NOW)
        .env_remove("FLOWOS_FAULT_STOP_AFTER")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn complete(root: &Path, user: &str) -> Child {
    flowos(&[
        "transition",
        "TASK-0001",
        "complete",
        root.to_str().unwrap(),
        "--user",
        user,
    ])
    .spawn()
    .expect("the binary runs")
}

/// The diagnostics `check --format json` reports for `root`.
fn check(root: &Path) -> Value {
    let output = flowos(&["check", root.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).expect("check prints JSON");
    report["diagnostics"].clone()
}

/// Whether `pid` is asleep (waiting for the lock between attempts, or blocked), read from
/// `/proc`; a process that already exited counts as settled too.
fn settled(pid: u32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return true;
    };
    // The state follows the parenthesised command name.
    let state = stat.rsplit(')').next().unwrap_or("").trim_start();
    !state.starts_with('R')
}

/// Checks the outcome of a race: exactly one process completed the task, the other refused
/// without writing; the ledger grew by exactly the winner's line and the tree checks clean.
fn assert_one_winner(
    root: &Path,
    before: &BTreeMap<String, Vec<u8>>,
    outputs: &[Output],
) -> String {
    let (winners, losers): (Vec<&Output>, Vec<&Output>) =
        outputs.iter().partition(|output| output.status.success());
    let describe = || {
        outputs
            .iter()
            .map(|output| {
                format!(
                    "{:?}: {}{}",
                    output.status.code(),
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        winners.len(),
        1,
        "exactly one process wins:\n{}",
        describe()
    );
    assert_eq!(losers[0].status.code(), Some(1), "{}", describe());
    let refusal = String::from_utf8_lossy(&losers[0].stderr).into_owned();
    assert!(refusal.contains("refused"), "{refusal}");

    let after = file_bytes(root);
    let old_ledger = &before["current/TASK-0001-job/0001.ledger.jsonl"];
    let new_ledger = &after["integration/TASK-0001-job/0001.ledger.jsonl"];
    assert!(
        new_ledger.starts_with(old_ledger),
        "the ledger was rewritten"
    );
    let added = String::from_utf8_lossy(&new_ledger[old_ledger.len()..]).into_owned();
    assert_eq!(added.lines().count(), 1, "one event, not two: {added}");
    assert!(added.contains("\"implemented\""), "{added}");
    assert!(!root.join("current/TASK-0001-job").exists());
    assert_eq!(
        check(root),
        Value::Array(Vec::new()),
        "the tree checks clean"
    );
    refusal
}

#[test]
fn two_processes_completing_one_task_at_once_one_wins_the_other_refuses() {
    // Both processes plan from the same state: the test holds the root's lock until both
    // have read the tree and are waiting for it, so the loser meets the winner's writes when
    // it re-validates under the lock.
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let root = workspace(dir.path());
        let before = file_bytes(&root);
        let lock = RootLock::acquire(&root, Duration::from_secs(1)).unwrap();
        let children = [complete(&root, "@ana"), complete(&root, "@ben")];
        let started = Instant::now();
        // Give both time to load and plan (a few ms each), then wait until neither is
        // running: each sleeps between attempts at the lock.
        std::thread::sleep(Duration::from_millis(300));
        while !children.iter().all(|child| settled(child.id()))
            && started.elapsed() < Duration::from_secs(3)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        drop(lock);
        let outputs: Vec<Output> = children
            .into_iter()
            .map(|child| child.wait_with_output().unwrap())
            .collect();
        let refusal = assert_one_winner(&root, &before, &outputs);
        assert!(
            refusal.contains("changed on disk since it was read")
                || refusal.contains("no longer exists"),
            "round {round}: the loser refuses because the winner changed what it planned from: {refusal}"
        );
    }
}

#[test]
fn two_processes_racing_freely_on_one_task_never_both_win() {
    // No lock held by the test: whichever way the processes interleave (the second may
    // plan before or after the first commits), one transition happens.
    for _ in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        let root = workspace(dir.path());
        let before = file_bytes(&root);
        let children = [complete(&root, "@ana"), complete(&root, "@ben")];
        let outputs: Vec<Output> = children
            .into_iter()
            .map(|child| child.wait_with_output().unwrap())
            .collect();
        assert_one_winner(&root, &before, &outputs);
    }
}

#[test]
fn appends_from_eight_processes_leave_eight_thousand_valid_lines() {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace(dir.path());
    let ledger = root.join("current/TASK-0001-job/0001.ledger.jsonl");
    let before = fs::read(&ledger).unwrap();
    let workers: Vec<Child> = (0..WORKERS)
        .map(|worker| {
            Command::new(env!("CARGO_BIN_EXE_append-worker"))
                .arg(&ledger)
                .arg(worker.to_string())
                .arg(EVENTS_PER_WORKER.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for worker in workers {
        let output = worker.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        // The worker really appended everything it was given.
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            format!("appended {EVENTS_PER_WORKER}\n")
        );
    }

    let after = fs::read(&ledger).unwrap();
    assert!(after.starts_with(&before), "the old lines are untouched");
    let added = std::str::from_utf8(&after[before.len()..]).expect("UTF-8");
    assert!(added.ends_with('\n'));
    let mut next_seq = [0usize; WORKERS];
    let mut count = 0;
    for line in added.lines() {
        let event: Value = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("line {count} is not JSON ({error}): {line:?}"));
        let worker = event["worker"].as_u64().unwrap() as usize;
        let seq = event["seq"].as_u64().unwrap() as usize;
        // Each worker's lines arrive whole, in its own order, none lost or doubled.
        assert_eq!(seq, next_seq[worker], "worker {worker} out of order");
        assert_eq!(line, worker_line(worker, seq));
        next_seq[worker] += 1;
        count += 1;
    }
    assert_eq!(count, WORKERS * EVENTS_PER_WORKER);
    assert_eq!(next_seq, [EVENTS_PER_WORKER; WORKERS]);
    // The ledger still reads as a ledger: every line is a well-formed event, so the check
    // has nothing to say about the file.
    let on_ledger: Vec<Value> = check(&root)
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["path"] == "current/TASK-0001-job/0001.ledger.jsonl")
        .cloned()
        .collect();
    assert_eq!(on_ledger, Vec::<Value>::new());
}

/// The task's folder wherever the transition left it, relative to the root.
fn task_folder(root: &Path) -> &'static str {
    if root
        .join("integration/TASK-0001-job/0001.ledger.jsonl")
        .exists()
    {
        "integration/TASK-0001-job"
    } else {
        "current/TASK-0001-job"
    }
}

#[test]
fn a_transition_killed_at_any_moment_leaves_whole_files_that_check_fix_completes() {
    // SIGKILL at spread-out moments: before the commit, between steps, inside a step.
    // Whatever the moment, the ledger is its old self plus whole events, every file is one
    // version or the other, and `check --fix` brings the task to one consistent place.
    // How long a whole run takes on this machine right now, to spread the kills over it.
    let full = {
        let dir = tempfile::tempdir().unwrap();
        let root = workspace(dir.path());
        let started = Instant::now();
        assert!(complete(&root, "@ana").wait().unwrap().success());
        started.elapsed()
    };
    let mut outcomes = BTreeMap::new();
    for round in 0..24u32 {
        let dir = tempfile::tempdir().unwrap();
        let root = workspace(dir.path());
        let before = file_bytes(&root);
        let mut child = complete(&root, "@ana");
        std::thread::sleep(full * round / 20);
        let _ = child.kill();
        let status = child.wait().unwrap();

        let folder = task_folder(&root);
        let old_ledger = &before["current/TASK-0001-job/0001.ledger.jsonl"];
        let ledger = fs::read(root.join(folder).join("0001.ledger.jsonl")).unwrap();
        assert!(
            ledger.starts_with(old_ledger),
            "round {round}: ledger rewritten"
        );
        let added = std::str::from_utf8(&ledger[old_ledger.len()..]).unwrap();
        assert!(
            added.is_empty() || added.ends_with('\n'),
            "round {round}: {added:?}"
        );
        for line in added.lines() {
            let event: Value = serde_json::from_str(line).expect("a whole event");
            assert_eq!(event["event"], "implemented", "round {round}");
        }
        // Each card and index is the old text or the new one, never a mix or a stub.
        for rel in ["INDEX.md", "current/INDEX.md", "integration/INDEX.md"] {
            let text = fs::read_to_string(root.join(rel)).unwrap();
            assert!(
                text.starts_with("| ID |"),
                "round {round}: {rel} is {text:?}"
            );
        }
        let card = fs::read_to_string(root.join(folder).join("0001-job.task.md")).unwrap();
        assert!(
            card.starts_with("---\n") && card.ends_with("- [ ] done\n"),
            "{card}"
        );
        let moment = (
            folder,
            added.lines().count(),
            card.contains("stage: \"integration\""),
        );

        let fixed = flowos(&["check", root.to_str().unwrap(), "--fix", "--format", "json"])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&fixed.stdout).unwrap_or_else(|_| {
            panic!("round {round}: {}", String::from_utf8_lossy(&fixed.stderr))
        });
        assert_eq!(
            report["diagnostics"],
            Value::Array(Vec::new()),
            "round {round} ({status:?}, {} new ledger lines)",
            added.lines().count()
        );
        // Done or not done, never half: the task sits in one folder with at most one event.
        let folder = task_folder(&root);
        assert!(
            !root
                .join(if folder.starts_with("current") {
                    "integration/TASK-0001-job"
                } else {
                    "current/TASK-0001-job"
                })
                .exists()
        );
        *outcomes.entry(moment).or_insert(0) += 1;
    }
    // The kills landed both before and after the commit (else the test proves little):
    // (folder, events logged, card rewritten) took more than one shape.
    assert!(outcomes.len() >= 2, "{outcomes:?}");
}
