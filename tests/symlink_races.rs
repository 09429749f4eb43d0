//! Links swapped in while a write runs (SPEC §8; issue 16 item 1). A thread keeps replacing
//! one path component below the tasks root with a symbolic link to a sentinel tree outside it
//! (stage folders, the task folder, the ledger, the card, the indexes, the counter, the intent
//! folder), and putting it back, while `transition`, `new` and `check --fix` run. Whatever the
//! interleaving, the sentinel tree is byte for byte (and mtime for mtime) what it was, and a
//! command that exits 1 ("refused") wrote nothing at all.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary; the product may not.
#![cfg(unix)]

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::faults::{Run, cli, snapshot};
use support::rng::Rng;
use support::staged::{indexes, task};

const NOW: &str = "2026-11-08T12:00:00Z";
/// Runs per command and swapped component.
const ROUNDS: u64 = 5;

struct Fixture {
    _dir: tempfile::TempDir,
    base: PathBuf,
    root: PathBuf,
    outside: PathBuf,
}

/// A workspace (a task in next to start, one in current, one in backlog missing its context
/// for `check --fix` to create) and, beside it, the sentinel tree the links point into: a
/// folder shaped like a stage folder, one like a task folder, and a file.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("ws");
    let root = base.join(".work/tasks");
    task(&root, "next", 1, "");
    task(&root, "current", 2, "");
    task(&root, "backlog", 3, "");
    indexes(&root, 4);
    fs::remove_file(root.join("backlog/TASK-0003-job/0003.context.md")).unwrap();
    let outside = dir.path().join("outside");
    for (rel, text) in [
        ("stage/INDEX.md", "| ID | Name |\n|----|------|\n"),
        ("stage/TASK-0001-job/0001-job.task.md", "sentinel card\n"),
        ("stage/TASK-0001-job/0001.ledger.jsonl", "sentinel ledger\n"),
        ("stage/TASK-0003-job/0003-job.task.md", "sentinel card\n"),
        ("task/0001-job.task.md", "sentinel card\n"),
        ("task/0001.ledger.jsonl", "sentinel ledger\n"),
        ("task/0001.context.md", "sentinel context\n"),
        ("task/0003.context.md", "sentinel context\n"),
        ("file.txt", "sentinel file\n"),
        ("empty/keep", "sentinel\n"),
    ] {
        let path = outside.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    Fixture {
        _dir: dir,
        base,
        root,
        outside,
    }
}

/// Swaps `rel` (below `root`) for a link to `target` and back until told to stop: the real
/// entry goes aside under a hidden name, the link takes its place for a moment, then the real
/// entry comes back. Stops early once the entry is gone (the command moved it). Returns how
/// many swaps it made.
fn swap_until(root: &Path, rel: &str, target: &Path, stop: &AtomicBool, seed: u64) -> usize {
    let path = root.join(rel);
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let aside = path.with_file_name(format!(".aside-{name}"));
    let mut rng = Rng(seed);
    let mut swaps = 0;
    let pause = |rng: &mut Rng| {
        let until = Instant::now() + Duration::from_micros(rng.below(300) as u64);
        while Instant::now() < until {
            std::hint::spin_loop();
        }
    };
    while !stop.load(Ordering::Relaxed) {
        let existed = fs::symlink_metadata(&path).is_ok();
        if existed && fs::rename(&path, &aside).is_err() {
            break;
        }
        let linked = std::os::unix::fs::symlink(target, &path).is_ok();
        pause(&mut rng);
        if linked && fs::symlink_metadata(&path).is_ok_and(|found| found.file_type().is_symlink()) {
            let _ = fs::remove_file(&path);
        }
        if existed && fs::rename(&aside, &path).is_err() {
            break;
        }
        swaps += 1;
        pause(&mut rng);
    }
    swaps
}

/// The root's entries, links not followed, without their modification times.
fn tree(root: &Path) -> BTreeMap<String, String> {
    snapshot(root)
        .into_iter()
        .map(|(rel, entry)| (rel, entry.what))
        .collect()
}

/// Runs `args` while `rel` is being swapped for a link to `target`; checks the sentinel tree
/// and, on exit 1, that nothing was written. Returns the exit code.
fn race(args: &[&str], rel: &str, target: &str, seed: u64) -> i32 {
    let f = fixture();
    let sentinel = snapshot(&f.outside);
    let before = tree(&f.root);
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (root, target, stop) = (f.root.clone(), f.outside.join(target), Arc::clone(&stop));
        let rel = rel.to_string();
        std::thread::spawn(move || swap_until(&root, &rel, &target, &stop, seed))
    };
    let run: Run = cli(
        &f.base,
        args,
        &[("FLOWOS_NOW", NOW), ("FLOWOS_USER", "@rui")],
    );
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    let what = format!("{args:?} with {rel} swapped (seed {seed})");
    assert_eq!(
        snapshot(&f.outside),
        sentinel,
        "{what} wrote outside the tasks root: {}",
        run.all()
    );
    assert!(matches!(run.code, 0..=2), "{what} crashed: {}", run.all());
    if run.code == 1 && args[0] != "check" {
        assert_eq!(
            tree(&f.root),
            before,
            "{what} exited 1 but wrote: {}",
            run.all()
        );
    }
    run.code
}

/// Every component each command touches, with what to swap it for.
fn races(args: &[&str], components: &[(&str, &str)]) -> BTreeMap<i32, usize> {
    let mut codes = BTreeMap::new();
    for (index, (rel, target)) in components.iter().enumerate() {
        for round in 0..ROUNDS {
            let code = race(args, rel, target, index as u64 * 100 + round);
            *codes.entry(code).or_default() += 1;
        }
    }
    codes
}

#[test]
fn a_transition_never_writes_through_a_link_swapped_in_while_it_runs() {
    let codes = races(
        &[
            "transition",
            "TASK-0001",
            "start",
            ".",
            "--user",
            "@rui",
            "--now",
            NOW,
        ],
        &[
            ("next", "stage"),
            ("current", "stage"),
            ("next/TASK-0001-job", "task"),
            ("next/TASK-0001-job/0001.ledger.jsonl", "file.txt"),
            ("next/TASK-0001-job/0001-job.task.md", "file.txt"),
            ("next/INDEX.md", "file.txt"),
            ("current/INDEX.md", "file.txt"),
            ("INDEX.md", "file.txt"),
            (".flowos", "empty"),
        ],
    );
    // The swaps did get in the way at times (else the test shows little), and at times not.
    assert!(codes.keys().any(|&code| code != 0), "{codes:?}");
    assert!(codes.contains_key(&0), "{codes:?}");
}

#[test]
fn a_new_task_never_writes_through_a_link_swapped_in_while_it_runs() {
    let codes = races(
        &["new", "Fix login redirect", ".", "--now", NOW],
        &[
            ("inbox", "stage"),
            ("inbox/INDEX.md", "file.txt"),
            ("INDEX.md", "file.txt"),
            ("ID_COUNTER.txt", "file.txt"),
        ],
    );
    assert!(codes.keys().any(|&code| code != 0), "{codes:?}");
}

#[test]
fn check_fix_never_writes_through_a_link_swapped_in_while_it_runs() {
    races(
        &["check", ".", "--fix", "--now", NOW],
        &[
            ("backlog", "stage"),
            ("backlog/TASK-0003-job", "task"),
            ("backlog/INDEX.md", "file.txt"),
            ("INDEX.md", "file.txt"),
            (".flowos", "empty"),
        ],
    );
}
