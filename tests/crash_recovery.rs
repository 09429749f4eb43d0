//! Crash recovery of transitions (SPEC §5, §8; issue 16 item 2): each kind of transition,
//! including a P0 fast-track that displaces a task and a cancel that blocks its dependents,
//! is killed (SIGKILL, through `FLOWOS_FAULT_KILL_AFTER`) right after each of its disk
//! operations in turn — the lock, every mkdir, file creation, write, fsync, rename and
//! removal — and recovered once with `check --fix`. Whatever the moment, the tree afterwards
//! is byte for byte either the tree before the transition or the tree a whole run leaves;
//! ledgers only ever grew by whole lines; every task sits in one folder; current stays within
//! its hard WIP limit; no diagnostic appears that neither end has; and a second recovery
//! changes nothing.
//!
//! A recovery killed part way is finished by the next one, and the server's quick fix is a
//! recovery as good as `check --fix`.
//!
//! Quick mode (the default) kills the two multi-task transitions at every operation and the
//! others at every third; `FLOWOS_CRASH_TEST_LONG=1` kills every kind at every operation.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary; the product may not.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::staged::{indexes, task};

/// After the fixtures' last ledger events, inside every SLO.
const NOW: &str = "2026-11-08T12:00:00Z";
const USER: &str = "@rui";
/// Set to anything to kill every transition at every operation.
const LONG_ENV: &str = "FLOWOS_CRASH_TEST_LONG";

/// A transition to crash: the fixture's tasks (stage, number, extra frontmatter), the task
/// and the action.
struct Kind {
    name: &'static str,
    tasks: &'static [(&'static str, u32, &'static str)],
    task: &'static str,
    action: &'static str,
    /// Killed at every operation even in quick mode.
    multi_task: bool,
}

const KINDS: &[Kind] = &[
    Kind {
        name: "fast-track displacing the lowest-priority task",
        tasks: &[
            ("backlog", 1, "priority: \"P0\"\neffort_estimate: \"S\"\n"),
            ("current", 2, "priority: \"P0\"\n"),
            ("current", 3, "priority: \"P1\"\n"),
            ("current", 4, "priority: \"P2\"\n"),
            ("current", 5, "priority: \"P3\"\n"),
            ("current", 6, "priority: \"P4\"\n"),
        ],
        task: "TASK-0001",
        action: "fast-track",
        multi_task: true,
    },
    Kind {
        name: "cancel blocking its dependents",
        tasks: &[
            (
                "current",
                1,
                "canceled_reason: \"the vendor ships it\"\nblocks: [\"TASK-0002\", \"TASK-0003\", \"TASK-0004\"]\n",
            ),
            ("inbox", 2, "depends_on: [\"TASK-0001\"]\n"),
            ("backlog", 3, "depends_on: [\"TASK-0001\"]\n"),
            ("next", 4, "depends_on: [\"TASK-0001\"]\n"),
        ],
        task: "TASK-0001",
        action: "cancel",
        multi_task: true,
    },
    Kind {
        name: "verify",
        tasks: &[("inbox", 1, "")],
        task: "TASK-0001",
        action: "verify",
        multi_task: false,
    },
    Kind {
        name: "prioritize",
        tasks: &[("backlog", 1, "")],
        task: "TASK-0001",
        action: "prioritize",
        multi_task: false,
    },
    Kind {
        name: "start",
        tasks: &[("next", 1, ""), ("current", 2, "")],
        task: "TASK-0001",
        action: "start",
        multi_task: false,
    },
    Kind {
        name: "fast-track into room",
        tasks: &[("backlog", 1, "priority: \"P0\"\n"), ("current", 2, "")],
        task: "TASK-0001",
        action: "fast-track",
        multi_task: false,
    },
    Kind {
        name: "complete",
        tasks: &[("current", 1, "")],
        task: "TASK-0001",
        action: "complete",
        multi_task: false,
    },
    Kind {
        name: "rework",
        tasks: &[("current", 1, "")],
        task: "TASK-0001",
        action: "rework",
        multi_task: false,
    },
    Kind {
        name: "integrate",
        tasks: &[("integration", 1, "")],
        task: "TASK-0001",
        action: "integrate",
        multi_task: false,
    },
    Kind {
        name: "close",
        tasks: &[("learning", 1, "")],
        task: "TASK-0001",
        action: "close",
        multi_task: false,
    },
    Kind {
        name: "close without learning",
        tasks: &[("integration", 1, "")],
        task: "TASK-0001",
        action: "close-without-learning",
        multi_task: false,
    },
    Kind {
        name: "block",
        tasks: &[
            ("next", 1, "depends_on: [\"TASK-0002\"]\n"),
            ("backlog", 2, "blocks: [\"TASK-0001\"]\n"),
        ],
        task: "TASK-0001",
        action: "block:TASK-0002",
        multi_task: false,
    },
    Kind {
        name: "unblock",
        tasks: &[
            (
                "next",
                1,
                "status: \"blocked\"\nblocked_by: \"task:TASK-0002\"\ndepends_on: [\"TASK-0002\"]\n",
            ),
            ("integration", 2, "blocks: [\"TASK-0001\"]\n"),
        ],
        task: "TASK-0001",
        action: "unblock",
        multi_task: false,
    },
    Kind {
        name: "pause out of current",
        tasks: &[("current", 1, "paused_reason: \"waiting on the vendor\"\n")],
        task: "TASK-0001",
        action: "pause",
        multi_task: false,
    },
    Kind {
        name: "pause where it waits",
        tasks: &[("next", 1, "paused_reason: \"waiting on the vendor\"\n")],
        task: "TASK-0001",
        action: "pause",
        multi_task: false,
    },
    Kind {
        name: "resume",
        tasks: &[(
            "next",
            1,
            "status: \"paused\"\npaused_reason: \"waiting on the vendor\"\n",
        )],
        task: "TASK-0001",
        action: "resume",
        multi_task: false,
    },
];

/// WF1 as a kind of its own: the package, the counter and two indexes, in several folders.
const NEW_TASK: Kind = Kind {
    name: "new task",
    tasks: &[("inbox", 1, ""), ("backlog", 2, "")],
    task: "",
    action: "new",
    multi_task: true,
};

/// Every entry below a tasks root, by relative path: a file's bytes, None for a folder.
type Tree = BTreeMap<String, Option<Vec<u8>>>;

fn snapshot(root: &Path) -> Tree {
    let mut tree = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                tree.insert(rel, None);
                pending.push(path);
            } else {
                assert!(kind.is_file(), "{rel} is neither a file nor a folder");
                tree.insert(rel, Some(fs::read(&path).unwrap()));
            }
        }
    }
    tree
}

struct Workspace {
    _dir: tempfile::TempDir,
    base: PathBuf,
    root: PathBuf,
}

fn workspace(kind: &Kind) -> Workspace {
    let dir = support::faults::tempdir_in_memory();
    let base = dir.path().canonicalize().unwrap();
    let root = base.join(".work/tasks");
    for (stage, number, extra) in kind.tasks {
        task(&root, stage, *number, extra);
    }
    indexes(&root, 10);
    Workspace {
        _dir: dir,
        base,
        root,
    }
}

fn flowos(ws: &Workspace, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
        .args(args)
        .current_dir(&ws.base)
        .env("FLOWOS_NOW", NOW)
        .env_remove("FLOWOS_FAULT_STOP_AFTER")
        .env_remove("FLOWOS_FAULT_KILL_AFTER")
        .env_remove("FLOWOS_USER")
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

/// Runs `kind`: `new` for [`NEW_TASK`], else its transition.
fn transition(ws: &Workspace, kind: &Kind, env: &[(&str, &str)]) -> Output {
    if kind.action == NEW_TASK.action {
        let args = ["new", "Rotate the keys", ".", "--user", USER, "--now", NOW];
        return flowos(ws, &args, env);
    }
    flowos(
        ws,
        &[
            "transition",
            kind.task,
            kind.action,
            ".",
            "--user",
            USER,
            "--now",
            NOW,
        ],
        env,
    )
}

/// `check` (with `more` arguments): its diagnostics as (rule, message), and its stderr.
fn check(ws: &Workspace, more: &[&str]) -> (BTreeSet<(String, String)>, String) {
    let mut args = vec!["check", ".", "--format", "json", "--now", NOW];
    args.extend(more);
    let output = flowos(ws, &args, &[("FLOWOS_USER", USER)]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "check {more:?} failed: {stderr}"
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("check prints JSON");
    let diagnostics = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (diagnostics, stderr)
}

/// The two ends a crashed transition may be recovered to.
struct Ends {
    before: Tree,
    after: Tree,
    diagnostics_before: BTreeSet<(String, String)>,
    diagnostics_after: BTreeSet<(String, String)>,
}

fn ends(kind: &Kind) -> Ends {
    let ws = workspace(kind);
    let before = snapshot(&ws.root);
    let (diagnostics_before, _) = check(&ws, &[]);
    let output = transition(&ws, kind, &[]);
    assert!(
        output.status.success(),
        "{}: {}",
        kind.name,
        String::from_utf8_lossy(&output.stderr)
    );
    let after = snapshot(&ws.root);
    assert_ne!(before, after, "{}", kind.name);
    let (diagnostics_after, _) = check(&ws, &[]);
    Ends {
        before,
        after,
        diagnostics_before,
        diagnostics_after,
    }
}

/// Which end the tree is at, by name, or a description of how it differs from both.
fn which_end(tree: &Tree, ends: &Ends) -> Result<&'static str, String> {
    if *tree == ends.before {
        return Ok("not begun");
    }
    if *tree == ends.after {
        return Ok("done");
    }
    let differs = |end: &Tree| -> Vec<String> {
        tree.keys()
            .chain(end.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|rel| tree.get(*rel) != end.get(*rel))
            .map(|rel| match (tree.get(rel), end.get(rel)) {
                (Some(Some(now)), Some(Some(there))) => format!(
                    "{rel}:\n--- now\n{}\n--- end\n{}",
                    String::from_utf8_lossy(now),
                    String::from_utf8_lossy(there)
                ),
                (now, there) => format!("{rel}: {:?} vs {:?}", now.is_some(), there.is_some()),
            })
            .collect()
    };
    Err(format!(
        "neither end; against the start: {:#?}\nagainst the finish: {:#?}",
        differs(&ends.before),
        differs(&ends.after)
    ))
}

/// What a crash may leave before any recovery: ledgers grown by whole lines only, every
/// other file of the model one version or the other.
fn assert_crash_left_whole_files(tree: &Tree, ends: &Ends, what: &str) {
    let ledgers_before: BTreeMap<&str, &[u8]> = ends
        .before
        .iter()
        .filter(|(rel, _)| rel.ends_with(".ledger.jsonl"))
        .map(|(rel, bytes)| (file_name(rel), bytes.as_deref().unwrap()))
        .collect();
    for (rel, bytes) in tree {
        let Some(bytes) = bytes else { continue };
        let known_before = ends
            .before
            .keys()
            .any(|old| file_name(old) == file_name(rel));
        if !known_before {
            // A file the change creates is linked into its name whole (or it is a temporary
            // file or the record, which recovery removes).
            if let Some(Some(whole)) = ends.after.get(rel) {
                assert_eq!(bytes, whole, "{what}: {rel} was created torn");
            }
            continue;
        }
        if rel.ends_with(".ledger.jsonl") {
            let old = ledgers_before[file_name(rel)];
            assert!(bytes.starts_with(old), "{what}: {rel} was rewritten");
            let added = std::str::from_utf8(&bytes[old.len()..]).unwrap();
            assert!(
                added.is_empty() || added.ends_with('\n'),
                "{what}: {rel} got a partial line {added:?}"
            );
            for line in added.lines() {
                serde_json::from_str::<Value>(line)
                    .unwrap_or_else(|e| panic!("{what}: {rel}: {line:?}: {e}"));
            }
        } else if rel.ends_with("INDEX.md") {
            // Each rewrite is a rename of a whole file: the old text or the new, never torn.
            assert!(
                String::from_utf8_lossy(bytes).starts_with("| ID |"),
                "{what}: {rel} is torn"
            );
        } else if rel.ends_with(".task.md") {
            assert!(
                String::from_utf8_lossy(bytes).ends_with("- [ ] done\n"),
                "{what}: {rel} is torn"
            );
        }
    }
}

fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// Every task ID in exactly one folder, no empty task folder, and current within its hard
/// WIP limit (5 tasks not paused or canceled).
fn assert_consistent(tree: &Tree, what: &str) {
    let mut folders: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (rel, entry) in tree {
        let parts: Vec<&str> = rel.split('/').collect();
        if let [_, folder] = parts.as_slice()
            && folder.starts_with("TASK-")
            && entry.is_none()
        {
            folders
                .entry(folder[5..9].to_string())
                .or_default()
                .push(rel);
            assert!(
                tree.keys()
                    .any(|other| other.starts_with(&format!("{rel}/"))),
                "{what}: {rel} is an empty task folder"
            );
        }
    }
    for (id, places) in &folders {
        assert_eq!(places.len(), 1, "{what}: TASK-{id} is in {places:?}");
    }
    let active_in_current = tree
        .iter()
        .filter(|(rel, _)| rel.starts_with("current/TASK-") && rel.ends_with(".task.md"))
        .filter(|(_, bytes)| {
            let card = String::from_utf8_lossy(bytes.as_deref().unwrap()).into_owned();
            !card.contains("status: \"paused\"") && !card.contains("status: \"canceled\"")
        })
        .count();
    assert!(
        active_in_current <= 5,
        "{what}: {active_in_current} active tasks in current"
    );
}

/// Kills `kind` after each operation in turn (every `stride`-th), recovering each time.
/// Returns how many operations a whole run takes.
fn crash_everywhere(kind: &Kind, stride: u32) -> u32 {
    let ends = ends(kind);
    let mut outcomes: BTreeMap<&str, u32> = BTreeMap::new();
    let mut at = 0;
    loop {
        let what = format!("{} killed after operation {at}", kind.name);
        let ws = workspace(kind);
        let point = at.to_string();
        let run = transition(&ws, kind, &[("FLOWOS_FAULT_KILL_AFTER", &point)]);
        if run.status.success() {
            // Past its last operation: the run was whole.
            assert_eq!(which_end(&snapshot(&ws.root), &ends), Ok("done"), "{what}");
            assert!(outcomes.contains_key("done"), "{}: {outcomes:?}", kind.name);
            eprintln!("{}: {at} operations, {outcomes:?}", kind.name);
            return at;
        }
        assert_eq!(
            run.status.signal(),
            Some(9),
            "{what}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let crashed = snapshot(&ws.root);
        assert_crash_left_whole_files(&crashed, &ends, &what);

        let (diagnostics, stderr) = check(&ws, &["--fix"]);
        let recovered = snapshot(&ws.root);
        let end = which_end(&recovered, &ends)
            .unwrap_or_else(|diff| panic!("{what}: recovery left {diff}\nits report: {stderr}"));
        assert_consistent(&recovered, &what);
        let expected = if end == "done" {
            &ends.diagnostics_after
        } else {
            &ends.diagnostics_before
        };
        assert_eq!(&diagnostics, expected, "{what} ({end}): {stderr}");

        let (_, again) = check(&ws, &["--fix"]);
        assert_eq!(
            snapshot(&ws.root),
            recovered,
            "{what}: a second recovery wrote"
        );
        assert!(
            again.contains("applied 0 fixes") && !again.contains("interrupted"),
            "{what}: {again}"
        );
        *outcomes.entry(end).or_default() += 1;
        at += stride;
    }
}

fn stride(kind: &Kind) -> u32 {
    if kind.multi_task || std::env::var_os(LONG_ENV).is_some() {
        1
    } else {
        3
    }
}

#[test]
fn a_fast_track_that_displaces_a_task_ends_whole_or_not_begun_wherever_it_is_killed() {
    let kind = &KINDS[0];
    let operations = crash_everywhere(kind, stride(kind));
    // Two ledgers, two cards, four indexes, two moves and the record: far more than the
    // handful of steps, so the kills did land inside each step.
    assert!(operations > 40, "{operations}");
}

#[test]
fn a_cancel_that_blocks_its_dependents_ends_whole_or_not_begun_wherever_it_is_killed() {
    let kind = &KINDS[1];
    let operations = crash_everywhere(kind, stride(kind));
    assert!(operations > 40, "{operations}");
}

#[test]
fn a_new_task_ends_whole_or_not_begun_wherever_it_is_killed() {
    let operations = crash_everywhere(&NEW_TASK, 1);
    // The record, the counter, two indexes, a folder and three files, each a temporary file
    // written, synced and linked or renamed into place.
    assert!(operations > 30, "{operations}");
}

#[test]
fn every_other_transition_ends_whole_or_not_begun_wherever_it_is_killed() {
    for kind in &KINDS[2..] {
        crash_everywhere(kind, stride(kind));
    }
}

/// A recovery killed part way leaves the record in place, and the next one finishes the
/// transition: the fast-track is killed at a few points after its commit, and each time its
/// recovery is killed after each of its own operations in turn.
#[test]
fn a_recovery_killed_part_way_is_finished_by_the_next() {
    let kind = &KINDS[0];
    let ends = ends(kind);
    let mut recoveries_killed = 0;
    for transition_at in [12u32, 25, 40] {
        let mut at = 0;
        loop {
            let what = format!("killed after {transition_at}, its recovery after {at}");
            let ws = workspace(kind);
            let point = transition_at.to_string();
            let run = transition(&ws, kind, &[("FLOWOS_FAULT_KILL_AFTER", &point)]);
            assert_eq!(run.status.signal(), Some(9), "{what}");
            assert!(
                which_end(&snapshot(&ws.root), &ends).is_err(),
                "{what}: the crash should leave the transition half done"
            );
            let recovery_point = at.to_string();
            let args = ["check", ".", "--fix", "--format", "json", "--now", NOW];
            let recovery = flowos(
                &ws,
                &args,
                &[
                    ("FLOWOS_USER", USER),
                    ("FLOWOS_FAULT_KILL_AFTER", &recovery_point),
                ],
            );
            let whole = recovery.status.success() || recovery.status.code() == Some(1);
            if !whole {
                assert_eq!(recovery.status.signal(), Some(9), "{what}");
                recoveries_killed += 1;
                check(&ws, &["--fix"]);
            }
            let recovered = snapshot(&ws.root);
            assert_eq!(which_end(&recovered, &ends), Ok("done"), "{what}");
            assert_consistent(&recovered, &what);
            check(&ws, &["--fix"]);
            assert_eq!(
                snapshot(&ws.root),
                recovered,
                "{what}: a further recovery wrote"
            );
            if whole {
                break;
            }
            at += 1;
        }
    }
    assert!(recoveries_killed > 30, "{recoveries_killed}");
}

/// The server's way back: started on a tree where a fast-track died between the P0's ledger
/// line and the displaced task's, it reports the P0's move as interrupted, and that quick fix
/// finishes the whole transition, the displaced task included.
#[test]
fn the_servers_quick_fix_finishes_a_fast_track_killed_between_its_two_ledgers() {
    let kind = &KINDS[0];
    let ends = ends(kind);
    let p0_ledger = "backlog/TASK-0001-job/0001.ledger.jsonl";
    let displaced_ledger = "current/TASK-0006-job/0006.ledger.jsonl";
    // The first operation after which the P0's ledger has its lines and the displaced
    // task's does not yet.
    let ws = killed_where(kind, |tree| {
        tree[p0_ledger] != ends.before[p0_ledger]
            && tree[displaced_ledger] == ends.before[displaced_ledger]
    });
    finish_with_the_servers_quick_fix(&ws, p0_ledger, "ledger-stage-drift");
    assert_eq!(which_end(&snapshot(&ws.root), &ends), Ok("done"));
}

/// Block, unblock, pause where the task waits and resume move no folder: killed after their
/// ledger line and before the card, they leave no stage drift, yet the server started on that
/// tree reports the ledger's last line as a status the card lacks, and its quick fix finishes
/// the transition (from its record) as `check --fix` would.
#[test]
fn the_servers_quick_fix_finishes_a_status_change_killed_after_its_ledger_line() {
    let ledger = "next/TASK-0001-job/0001.ledger.jsonl";
    let card = "next/TASK-0001-job/0001-job.task.md";
    for name in ["block", "unblock", "pause where it waits", "resume"] {
        let kind = KINDS.iter().find(|kind| kind.name == name).unwrap();
        let ends = ends(kind);
        let ws = killed_where(kind, |tree| {
            tree[ledger] != ends.before[ledger] && tree[card] == ends.before[card]
        });
        finish_with_the_servers_quick_fix(&ws, ledger, "ledger-status-drift");
        assert_eq!(which_end(&snapshot(&ws.root), &ends), Ok("done"), "{name}");
        // Nothing left for check --fix to do, the record included.
        let (_, again) = check(&ws, &["--fix"]);
        assert!(
            again.contains("applied 0 fixes") && !again.contains("interrupted"),
            "{name}: {again}"
        );
    }
}

/// A workspace where `kind` was killed after the first operation whose tree `wanted` accepts.
fn killed_where(kind: &Kind, wanted: impl Fn(&Tree) -> bool) -> Workspace {
    (0..)
        .map(|at: u32| {
            let ws = workspace(kind);
            let point = at.to_string();
            let run = transition(&ws, kind, &[("FLOWOS_FAULT_KILL_AFTER", &point)]);
            assert_eq!(
                run.status.signal(),
                Some(9),
                "{}: killed after {at}",
                kind.name
            );
            ws
        })
        .find(|ws| wanted(&snapshot(&ws.root)))
        .unwrap()
}

/// Starts the server on `ws`, waits for `rule` on the ledger `ledger_rel`, and runs the quick
/// fix it offers there, which must finish the transition.
fn finish_with_the_servers_quick_fix(ws: &Workspace, ledger_rel: &str, rule: &str) {
    use serde_json::json;
    use support::{Answers, Client, TIMEOUT, uri};

    let mut client = Client::spawn_with_env(Answers::Normally, &[("FLOWOS_NOW", NOW)]);
    client.settings = json!({"user": USER});
    client.initialize(&ws.base, json!({}), json!({"user": USER}));
    let ledger = ws.root.join(ledger_rel);
    assert!(
        client.wait_until(TIMEOUT, |client| client.has_rule(&ledger, rule)),
        "no {rule}: {:?}",
        client.diagnostics
    );
    let line = client.diagnostics[&uri(&ledger)]
        .iter()
        .find(|d| d["code"] == rule)
        .unwrap()["range"]["start"]["line"]
        .as_u64()
        .unwrap();
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri(&ledger)},
            "range": {"start": {"line": line, "character": 0}, "end": {"line": line + 1, "character": 0}},
            "context": {"diagnostics": [], "only": ["quickfix"]},
        }),
    );
    let fix = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|action| action["command"]["command"] == "flowos.completeTransition")
        .unwrap_or_else(|| panic!("no completion fix for {rule} in {actions:#?}"))
        .clone();
    let answer = client.request(
        "workspace/executeCommand",
        json!({"command": fix["command"]["command"], "arguments": fix["command"]["arguments"]}),
    );
    assert_eq!(answer["ok"], true, "{answer}");
    client.shutdown();
}

/// A new task killed after its index rows and before its package leaves rows naming no task
/// (index-phantom-row, whose own fix would remove them): the server started on that tree
/// offers, on any file of the root, to finish the interrupted change, and that finishes the
/// creation whole.
#[test]
fn the_server_offers_to_finish_a_new_task_killed_part_way() {
    use serde_json::json;
    use support::{Answers, Client, TIMEOUT, uri};

    let ends = ends(&NEW_TASK);
    let index = "inbox/INDEX.md";
    let card = "inbox/TASK-0010-rotate-the-keys/0010-rotate-the-keys.task.md";
    let ws = killed_where(&NEW_TASK, |tree| {
        tree[index] != ends.before[index] && !tree.contains_key(card)
    });
    let mut client = Client::spawn_with_env(Answers::Normally, &[("FLOWOS_NOW", NOW)]);
    client.settings = json!({"user": USER});
    client.initialize(&ws.base, json!({}), json!({"user": USER}));
    let index_path = ws.root.join(index);
    assert!(
        client.wait_until(TIMEOUT, |client| client
            .has_rule(&index_path, "index-phantom-row")),
        "{:?}",
        client.diagnostics
    );
    let recover_action = |client: &mut Client| {
        let actions = client.request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": uri(&index_path)},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                "context": {"diagnostics": [], "only": ["quickfix"]},
            }),
        );
        actions
            .as_array()
            .unwrap()
            .iter()
            .find(|action| action["command"]["command"] == "flowos.recover")
            .cloned()
    };
    let fix = recover_action(&mut client).expect("the recovery is offered");
    assert_eq!(fix["isPreferred"], true, "{fix}");
    let answer = client.request(
        "workspace/executeCommand",
        json!({"command": fix["command"]["command"], "arguments": fix["command"]["arguments"]}),
    );
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(which_end(&snapshot(&ws.root), &ends), Ok("done"));
    // Re-read: the rows now name a task, and with the record gone it is no longer offered.
    assert!(
        client.wait_until(TIMEOUT, |client| !client
            .has_rule(&index_path, "index-phantom-row")),
        "{:?}",
        client.diagnostics
    );
    assert_eq!(recover_action(&mut client), None, "still offered");
    client.shutdown();
}
