//! Proposals from the command line, end to end on staged workspaces: `propose` writes the
//! task's proposals file and nothing else (append-only), refuses what `transition` refuses,
//! `approve` makes the change as the person with both names on its events, `reject` records
//! why, a proposal whose task changed is stale, `query proposals` says who decides, the
//! approval gates let `approve --auto` through only what they name, and malformed proposals
//! lines and gates are diagnostics, never a crash.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary; the product may not.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::file_bytes;
use support::staged::{indexes, ledger_path, task};

const NOW: &str = "2026-11-20T12:00:00Z";

fn run(args: &[&str], folder: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
        .args(args)
        .arg(folder)
        .env("FLOWOS_NOW", NOW)
        .env_remove("FLOWOS_USER")
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// 0001 in current (can complete), 0002 in backlog, 0003 in current blocked on 0002.
fn workspace(folder: &Path) -> PathBuf {
    let root = folder.join(".work/tasks");
    task(&root, "current", 1, "");
    task(&root, "backlog", 2, "");
    task(
        &root,
        "current",
        3,
        "status: \"blocked\"\nblocked_by: \"task:TASK-0002\"\ndepends_on: [\"TASK-0002\"]\n",
    );
    indexes(&root, 4);
    root
}

fn proposals_path(root: &Path, stage: &str, number: u32) -> PathBuf {
    root.join(stage)
        .join(format!("TASK-{number:04}-job"))
        .join(format!("{number:04}.proposals.jsonl"))
}

/// The paths whose bytes differ from `before` now (added, removed or changed).
fn changed(before: &std::collections::BTreeMap<String, Vec<u8>>, root: &Path) -> Vec<String> {
    support::changed_paths(before, &file_bytes(root))
}

#[test]
fn propose_writes_only_the_proposals_file_and_appends() {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace(dir.path());
    let before = file_bytes(&root);
    let first = run(
        &[
            "propose",
            "TASK-0001",
            "complete",
            "--by",
            "agent-7",
            "--note",
            "done",
        ],
        dir.path(),
    );
    assert!(first.status.success(), "{first:?}");
    assert!(text(&first.stdout).starts_with("proposal 1 for TASK-0001 recorded"));
    assert_eq!(
        changed(&before, &root),
        ["current/TASK-0001-job/0001.proposals.jsonl"]
    );
    let path = proposals_path(&root, "current", 1);
    let one = std::fs::read_to_string(&path).unwrap();
    let record: Value = serde_json::from_str(one.trim_end()).unwrap();
    assert_eq!(record["type"], "move_proposal");
    assert_eq!(record["proposal"], 1);
    assert_eq!(record["ts"], NOW);
    assert_eq!(record["to_stage"], "integration");
    assert_eq!(record["note"], "done");
    // The staged card has one Acceptance Criteria item, `- [ ] done`.
    assert_eq!(
        record["checklist"],
        serde_json::json!([{"item": "done", "checked": false}])
    );

    let second = run(
        &[
            "propose",
            "TASK-0001",
            "priority=P1",
            "--by",
            "agent-7",
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert!(second.status.success(), "{second:?}");
    let two = std::fs::read_to_string(&path).unwrap();
    // Append-only: the first line is untouched, one line follows.
    assert!(two.starts_with(&one));
    assert_eq!(two.lines().count(), 2);
    let edit: Value = serde_json::from_str(two.lines().nth(1).unwrap()).unwrap();
    assert_eq!(edit["proposal"], 2);
    assert_eq!(edit["previous"], "P2");
    // The exact edit: the card's `"P2"` value becomes `"P1"`, one character.
    assert_eq!(edit["edit"]["old_text"], "2");
    assert_eq!(edit["edit"]["new_text"], "1");
    let printed: Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(printed, edit);
    assert_eq!(
        changed(&before, &root),
        ["current/TASK-0001-job/0001.proposals.jsonl"]
    );
}

#[test]
fn propose_refuses_what_transition_refuses_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace(dir.path());
    let before = file_bytes(&root);
    // 0003 is blocked: `complete` is not a move it can take, for `transition` either.
    let transition = run(
        &[
            "transition",
            "TASK-0003",
            "complete",
            "--user",
            "@kim",
            "--dry-run",
        ],
        dir.path(),
    );
    assert_eq!(transition.status.code(), Some(1));
    let refused = run(
        &["propose", "TASK-0003", "complete", "--by", "agent-7"],
        dir.path(),
    );
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    let reason = text(&transition.stderr)
        .trim()
        .strip_prefix("flowos-lsp: refused: ")
        .unwrap()
        .to_string();
    assert!(stderr.contains(&reason), "{stderr}\nvs {reason}");
    let error: Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();
    assert_eq!(error["error"], "validation_failed");
    assert_eq!(error["check"], "transition_rules");
    // A dependency that does not exist is the contract's dependency_unmet.
    let missing = run(
        &[
            "propose",
            "TASK-0001",
            "depends_on=TASK-0077",
            "--by",
            "agent-7",
        ],
        dir.path(),
    );
    assert_eq!(missing.status.code(), Some(1));
    let error: Value = serde_json::from_str(text(&missing.stderr).lines().last().unwrap()).unwrap();
    assert_eq!(error["error"], "dependency_unmet");
    assert_eq!(error["missing_dependency"], "TASK-0077");
    for bad in [
        vec!["propose", "TASK-0001", "dance", "--by", "agent-7"],
        vec!["propose", "TASK-0001", "priority=P9", "--by", "agent-7"],
        vec!["propose", "TASK-0001", "stage=archived", "--by", "agent-7"],
    ] {
        assert_eq!(run(&bad, dir.path()).status.code(), Some(1), "{bad:?}");
    }
    assert_eq!(
        run(&["propose", "TASK-0001", "start"], dir.path())
            .status
            .code(),
        Some(2)
    );
    assert!(changed(&before, &root).is_empty());
}

#[test]
fn approve_applies_as_the_person_and_reject_records_why() {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace(dir.path());
    assert!(
        run(
            &[
                "propose",
                "TASK-0001",
                "effort_estimate=L",
                "--by",
                "agent-7"
            ],
            dir.path()
        )
        .status
        .success()
    );
    assert!(
        run(
            &["propose", "TASK-0001", "complete", "--by", "agent-7"],
            dir.path()
        )
        .status
        .success()
    );

    let listed = run(&["query", "proposals", "--format", "json"], dir.path());
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    let rows = listed["results"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["waits_for"], "@kim");
    assert_eq!(rows[1]["proposes"], "complete (current → integration)");

    // Two are pending: which one must be said; no person, no decision; the proposer cannot
    // approve its own.
    assert_eq!(
        run(&["approve", "TASK-0001", "--user", "@kim"], dir.path())
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        run(&["approve", "TASK-0001", "--proposal", "1"], dir.path())
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(
            &[
                "approve",
                "TASK-0001",
                "--proposal",
                "1",
                "--user",
                "agent-7"
            ],
            dir.path()
        )
        .status
        .code(),
        Some(1)
    );

    let ledger = ledger_path(&root, "current", 1);
    let before = std::fs::read_to_string(&ledger).unwrap();
    let approved = run(
        &["approve", "TASK-0001", "--proposal", "1", "--user", "@kim"],
        dir.path(),
    );
    assert!(approved.status.success(), "{approved:?}");
    let after = std::fs::read_to_string(&ledger).unwrap();
    assert!(after.starts_with(&before));
    let event: Value = serde_json::from_str(after.lines().last().unwrap()).unwrap();
    assert_eq!(event["event"], "effort_estimated");
    assert_eq!(event["user"], "@kim");
    assert_eq!(event["proposed_by"], "agent-7");
    assert_eq!(event["approved_by"], "@kim");
    let card =
        std::fs::read_to_string(root.join("current/TASK-0001-job/0001-job.task.md")).unwrap();
    assert!(card.contains("effort_estimate: \"L\""), "{card}");
    assert!(card.contains("last_updated: \"2026-11-20\""), "{card}");

    // The approval changed the ledger, so proposal 2 is stale: it cannot be approved, and
    // `check` says so on the card.
    let stale = run(
        &["approve", "TASK-0001", "--proposal", "2", "--user", "@kim"],
        dir.path(),
    );
    assert_eq!(stale.status.code(), Some(1));
    assert!(
        text(&stale.stderr).contains("changed since proposal 2"),
        "{stale:?}"
    );
    let check = text(&run(&["check"], dir.path()).stdout);
    assert!(
        check.contains("info[pending-proposal] agent-7 proposes `complete` (proposal 2); stale"),
        "{check}"
    );

    assert_eq!(
        run(&["reject", "TASK-0001", "--user", "@kim"], dir.path())
            .status
            .code(),
        Some(2)
    );
    let rejected = run(
        &[
            "reject",
            "TASK-0001",
            "--proposal",
            "2",
            "--reason",
            "re-propose after the estimate",
            "--user",
            "@kim",
        ],
        dir.path(),
    );
    assert!(rejected.status.success(), "{rejected:?}");
    let file = std::fs::read_to_string(proposals_path(&root, "current", 1)).unwrap();
    let last: Value = serde_json::from_str(file.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "rejection");
    assert_eq!(last["rejected_by"], "@kim");
    assert_eq!(last["reason"], "re-propose after the estimate");
    // Four lines: two proposals, the approval, the rejection.
    assert_eq!(file.lines().count(), 4);
    let check = text(&run(&["check"], dir.path()).stdout);
    assert!(!check.contains("pending-proposal"), "{check}");
    let listed: Value = serde_json::from_slice(
        &run(&["query", "proposals", "--format", "json"], dir.path()).stdout,
    )
    .unwrap();
    assert_eq!(listed["results"], serde_json::json!([]));
}

#[test]
fn the_gates_let_auto_approve_through_only_what_they_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace(dir.path());
    // 0005 is blocked on 0004, which is finished (in integration): it may be unblocked.
    task(&root, "integration", 4, "");
    task(
        &root,
        "current",
        5,
        "status: \"blocked\"\nblocked_by: \"task:TASK-0004\"\ndepends_on: [\"TASK-0004\"]\n",
    );
    indexes(&root, 6);
    std::fs::write(
        root.join("wip.policy.md"),
        "# Policy\n\n## Approval gates\n\n| Action | Approval |\n|---|---|\n| unblock | auto |\n| start | auto |\n",
    )
    .unwrap();
    // `start` can never be auto: check reports the row's `auto` cell, on line 8 after
    // `| start | ` (2 + 5 + 3 = 10 characters), so at column 11.
    let check = text(&run(&["check"], dir.path()).stdout);
    assert!(
        check.contains("wip.policy.md:8:11: error[approval-policy]"),
        "{check}"
    );

    // Unblocking 0005 is gated `auto`; completing 0001 is not.
    let unblock = run(
        &["propose", "TASK-0005", "unblock", "--by", "agent-7"],
        dir.path(),
    );
    assert!(unblock.status.success(), "{unblock:?}");
    assert!(
        run(
            &["propose", "TASK-0001", "complete", "--by", "agent-7"],
            dir.path()
        )
        .status
        .success()
    );
    let record: Value = serde_json::from_str(
        std::fs::read_to_string(proposals_path(&root, "current", 5))
            .unwrap()
            .trim_end(),
    )
    .unwrap();
    assert_eq!(record["requires_human_approval"], false);

    let auto = run(&["approve", "--auto", "--user", "@kim"], dir.path());
    assert!(auto.status.success(), "{auto:?}");
    assert_eq!(
        text(&auto.stdout)
            .lines()
            .filter(|l| l.starts_with("approved:"))
            .count(),
        1
    );
    let event: Value = serde_json::from_str(
        std::fs::read_to_string(ledger_path(&root, "current", 5))
            .unwrap()
            .lines()
            .last()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(event["event"], "unblocked");
    assert_eq!(event["proposed_by"], "agent-7");
    // 0001's move still waits for a person.
    let listed: Value = serde_json::from_slice(
        &run(&["query", "proposals", "--format", "json"], dir.path()).stdout,
    )
    .unwrap();
    assert_eq!(listed["results"].as_array().unwrap().len(), 1);
    assert_eq!(listed["results"][0]["id"], "TASK-0001");
}

#[test]
fn malformed_proposals_lines_are_diagnostics_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace(dir.path());
    std::fs::write(
        proposals_path(&root, "current", 1),
        "{\"type\":\"move_proposal\"\nnot json at all\n[1,2]\n{\"type\":\"vote\",\"proposal\":1,\"ts\":\"2026-11-20T12:00:00Z\"}\n\
         {\"type\":\"approval\",\"proposal\":3,\"ts\":\"2026-11-20T12:00:00Z\",\"approved_by\":\"@kim\"}\n",
    )
    .unwrap();
    let output = run(&["check", "--format", "json"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let lines: Vec<u64> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "proposal-invalid")
        .map(|d| d["range"]["start"]["line"].as_u64().unwrap())
        .collect();
    // Zero-based: every one of the five lines.
    assert_eq!(lines, [0, 1, 2, 3, 4]);
    // The file stays appendable: the next number counts the valid proposals (none here).
    let next = run(
        &[
            "propose",
            "TASK-0001",
            "complete",
            "--by",
            "agent-7",
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert!(next.status.success(), "{next:?}");
    let record: Value = serde_json::from_slice(&next.stdout).unwrap();
    assert_eq!(record["proposal"], 1);
}

/// The server on `folder` as @kim, once `path` shows pending-proposal: the client, that
/// diagnostic, and the code actions offered on it.
fn pending_in_editor(folder: &Path, path: &Path) -> (support::Client, Value, Vec<Value>) {
    let mut client =
        support::Client::spawn_with_env(support::Answers::Normally, &[("FLOWOS_NOW", NOW)]);
    client.settings = serde_json::json!({"user": "@kim"});
    client.initialize(
        folder,
        serde_json::json!({"workspace": {"configuration": true}}),
        serde_json::json!({"user": "@kim"}),
    );
    client.wait_for_rule(path, "pending-proposal");
    let diagnostic = client.diagnostics[&support::uri(path)]
        .iter()
        .find(|d| d["code"] == "pending-proposal")
        .cloned()
        .unwrap();
    let actions = client.request(
        "textDocument/codeAction",
        serde_json::json!({
            "textDocument": {"uri": support::uri(path)},
            "range": diagnostic["range"],
            "context": {"diagnostics": [diagnostic]},
        }),
    );
    let actions = actions.as_array().cloned().unwrap_or_default();
    (client, diagnostic, actions)
}

#[test]
fn reject_in_the_editor_asks_why_and_records_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace(dir.path());
    assert!(
        run(
            &["propose", "TASK-0001", "complete", "--by", "agent-7"],
            dir.path()
        )
        .status
        .success()
    );
    let card = support::staged::card(&root, "current", 1);
    let (mut client, _, actions) = pending_in_editor(dir.path(), &card);
    let reject = actions
        .iter()
        .find(|action| action["title"] == "Reject proposal 1…")
        .unwrap_or_else(|| panic!("no Reject in {actions:?}"))
        .clone();
    client.request(
        "workspace/executeCommand",
        serde_json::json!({
            "command": reject["command"]["command"],
            "arguments": reject["command"]["arguments"],
        }),
    );
    // The server asked why, offering reasons; the client picked the first.
    let asked = client
        .server_requests
        .iter()
        .find(|request| request["method"] == "window/showMessageRequest")
        .cloned()
        .expect("the server asks for a reason");
    let first = asked["params"]["actions"][0]["title"]
        .as_str()
        .unwrap()
        .to_string();
    client.shutdown();
    let file = std::fs::read_to_string(proposals_path(&root, "current", 1)).unwrap();
    let last: Value = serde_json::from_str(file.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "rejection");
    assert_eq!(last["rejected_by"], "@kim");
    assert_eq!(last["reason"], first);
    // Nothing else moved: the ledger holds the staged history only (4 events up to current).
    let ledger = std::fs::read_to_string(ledger_path(&root, "current", 1)).unwrap();
    assert_eq!(ledger.lines().count(), 4);
}

#[test]
fn a_task_draft_becomes_a_task_when_a_person_approves_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace(dir.path());
    // What the MCP tool new_task_draft records (README, "Working with agents").
    std::fs::write(
        root.join("drafts.proposals.jsonl"),
        "{\"type\":\"task_draft\",\"proposal\":1,\"ts\":\"2026-11-20T11:00:00Z\",\"proposed_by\":\"agent-7\",\"name\":\"Export rides as CSV\",\"requires_human_approval\":true}\n\
         {\"type\":\"task_draft\",\"proposal\":2,\"ts\":\"2026-11-20T11:05:00Z\",\"proposed_by\":\"agent-7\",\"name\":\"Rewrite everything\",\"requires_human_approval\":true}\n",
    )
    .unwrap();
    let listed: Value = serde_json::from_slice(
        &run(&["query", "proposals", "--format", "json"], dir.path()).stdout,
    )
    .unwrap();
    let rows = listed["results"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], Value::Null);
    assert_eq!(rows[0]["proposes"], "new task \"Export rides as CSV\"");

    let approved = run(&["approve", "--draft", "1", "--user", "@kim"], dir.path());
    assert!(approved.status.success(), "{approved:?}");
    // The staged counter stood at 4, so the new task is TASK-0004, in the inbox.
    assert!(
        text(&approved.stdout).starts_with("approved: created TASK-0004 \"Export rides as CSV\"")
    );
    let ledger =
        std::fs::read_to_string(root.join("inbox/TASK-0004-export-rides-as-csv/0004.ledger.jsonl"))
            .unwrap();
    // id_reserved and created, each naming the agent and the approving person.
    for line in ledger.lines() {
        let event: Value = serde_json::from_str(line).unwrap();
        assert_eq!(
            (&event["user"], &event["proposed_by"], &event["approved_by"]),
            (&"@kim".into(), &"agent-7".into(), &"@kim".into()),
            "{line}"
        );
    }
    let rejected = run(
        &[
            "reject",
            "--draft",
            "2",
            "--reason",
            "too big; split it",
            "--user",
            "@kim",
        ],
        dir.path(),
    );
    assert!(rejected.status.success(), "{rejected:?}");
    let drafts = std::fs::read_to_string(root.join("drafts.proposals.jsonl")).unwrap();
    let decisions: Vec<Value> = drafts
        .lines()
        .skip(2)
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(decisions.len(), 2);
    assert_eq!(decisions[0]["type"], "approval");
    assert_eq!(decisions[0]["task_id"], "TASK-0004");
    assert_eq!(decisions[1]["type"], "rejection");
    assert_eq!(decisions[1]["reason"], "too big; split it");
    let check = text(&run(&["check"], dir.path()).stdout);
    assert!(!check.contains("proposal-invalid"), "{check}");
}

/// An approval to crash: what is proposed (a move, an edit, or a task draft written as the
/// MCP tool writes it) and the `approve` arguments that answer it.
struct Approval {
    name: &'static str,
    propose: fn(&Path),
    approve: &'static [&'static str],
}

fn propose_ok(folder: &Path, args: &[&str]) {
    let output = run(args, folder);
    assert!(output.status.success(), "{args:?}: {output:?}");
}

const APPROVALS: &[Approval] = &[
    Approval {
        name: "a move that takes the proposals file along with its folder",
        propose: |folder| {
            propose_ok(
                folder,
                &["propose", "TASK-0001", "complete", "--by", "agent-7"],
            );
        },
        approve: &["approve", "TASK-0001", "--user", "@kim"],
    },
    Approval {
        name: "a depends_on edit, with the index rows it rewrites",
        propose: |folder| {
            propose_ok(
                folder,
                &[
                    "propose",
                    "TASK-0001",
                    "depends_on=TASK-0002",
                    "--by",
                    "agent-7",
                ],
            );
        },
        approve: &["approve", "TASK-0001", "--user", "@kim"],
    },
    Approval {
        name: "a task draft, created with its approval",
        propose: |folder| {
            std::fs::write(
                folder.join(".work/tasks/drafts.proposals.jsonl"),
                "{\"type\":\"task_draft\",\"proposal\":1,\"ts\":\"2026-11-20T11:00:00Z\",\"proposed_by\":\"agent-7\",\"name\":\"Export rides as CSV\",\"requires_human_approval\":true}\n",
            )
            .unwrap();
        },
        approve: &["approve", "--draft", "1", "--user", "@kim"],
    },
];

/// `approval.approve` on a freshly proposed workspace, killed after operation `kill_after`
/// (None: not killed).
fn approve_in(folder: &Path, approval: &Approval, kill_after: Option<u32>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flowos-lsp"));
    command
        .args(approval.approve)
        .arg(folder)
        .env("FLOWOS_NOW", NOW)
        .env_remove("FLOWOS_USER")
        .env_remove("FLOWOS_FAULT_STOP_AFTER")
        .env_remove("FLOWOS_FAULT_KILL_AFTER");
    if let Some(at) = kill_after {
        command.env("FLOWOS_FAULT_KILL_AFTER", at.to_string());
    }
    command.output().expect("the binary runs")
}

/// Each approval killed (SIGKILL) after each of its disk operations in turn, then recovered
/// once with `check --fix`: the tree is then byte for byte the proposed tree (not begun) or
/// the approved one (the change made and its approval line in the proposals file, once),
/// never the change without its approval; a second recovery writes nothing.
#[test]
fn an_approval_killed_anywhere_is_recovered_whole_with_its_approval_line() {
    use std::os::unix::process::ExitStatusExt;
    for approval in APPROVALS {
        let fresh = || {
            let dir = tempfile::tempdir().unwrap();
            let root = workspace(dir.path());
            (approval.propose)(dir.path());
            (dir, root)
        };
        // `check --fix` recovers, then applies the staged tree's own safe fixes (an inverse
        // link): each end is taken after the same.
        let fix = |folder: &Path| self::run(&["check", "--fix", "--user", "@kim"], folder);
        let (dir, root) = fresh();
        fix(dir.path());
        let before = file_bytes(&root);
        let (dir, root) = fresh();
        let whole = approve_in(dir.path(), approval, None);
        assert!(whole.status.success(), "{}: {whole:?}", approval.name);
        fix(dir.path());
        let after = file_bytes(&root);
        // The approved end records the approval: its last proposals line says so.
        let decisions = after
            .iter()
            .filter(|(rel, _)| rel.ends_with(".proposals.jsonl"))
            .flat_map(|(_, bytes)| text(bytes).lines().map(str::to_string).collect::<Vec<_>>())
            .filter(|line| line.contains("\"type\":\"approval\""))
            .count();
        assert_eq!(decisions, 1, "{}", approval.name);

        let mut ends_seen = [0, 0];
        let mut at = 0;
        loop {
            let what = format!("{} killed after operation {at}", approval.name);
            let (dir, root) = fresh();
            let run = approve_in(dir.path(), approval, Some(at));
            if run.status.success() {
                fix(dir.path());
                assert_eq!(file_bytes(&root), after, "{what}: a whole run");
                break;
            }
            assert_eq!(run.status.signal(), Some(9), "{what}: {run:?}");
            let recovery = fix(dir.path());
            let recovered = file_bytes(&root);
            if recovered == before {
                ends_seen[0] += 1;
            } else if recovered == after {
                ends_seen[1] += 1;
            } else {
                panic!(
                    "{what}: recovery left neither end; changed against the approved end: {:?}\n{}",
                    support::changed_paths(&after, &recovered),
                    text(&recovery.stderr)
                );
            }
            let again = fix(dir.path());
            assert_eq!(
                file_bytes(&root),
                recovered,
                "{what}: a second recovery wrote"
            );
            assert!(
                !text(&again.stderr).contains("interrupted"),
                "{what}: {again:?}"
            );
            at += 1;
        }
        // Killed both before its commit and after it, many times over.
        assert!(
            ends_seen[0] > 0 && ends_seen[1] > 5,
            "{}: {ends_seen:?}",
            approval.name
        );
    }
}

/// A task draft in the editor: the server shows it on the root INDEX.md (pending-proposal,
/// pointing at the draft's line), and its Approve code action creates the task as `new` does,
/// as the person in the settings, the ledger naming the agent too, with the approval recorded
/// in the drafts file; the diagnostic then goes.
#[test]
fn a_task_draft_shows_on_the_root_index_and_its_approve_action_creates_the_task() {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace(dir.path());
    std::fs::write(
        root.join("drafts.proposals.jsonl"),
        "{\"type\":\"task_draft\",\"proposal\":1,\"ts\":\"2026-11-20T11:00:00Z\",\"proposed_by\":\"agent-7\",\"name\":\"Export rides as CSV\",\"note\":\"riders ask for it\",\"requires_human_approval\":true}\n",
    )
    .unwrap();
    let index = root.join("INDEX.md");
    let (mut client, diagnostic, actions) = pending_in_editor(dir.path(), &index);
    assert_eq!(
        diagnostic["message"],
        "agent-7 proposes a new task \"Export rides as CSV\" (draft 1): riders ask for it"
    );
    // On the table's header row (the staged root index starts with it).
    assert_eq!(diagnostic["range"]["start"]["line"], 0);
    assert_eq!(
        diagnostic["relatedInformation"][0]["location"]["uri"],
        support::uri(&root.join("drafts.proposals.jsonl"))
    );
    let titles: Vec<&str> = actions
        .iter()
        .filter_map(|action| action["title"].as_str())
        .filter(|title| title.contains("draft"))
        .collect();
    assert_eq!(
        titles,
        ["Approve draft 1: create the task", "Reject draft 1…"]
    );
    let approve = actions
        .iter()
        .find(|action| action["title"] == "Approve draft 1: create the task")
        .unwrap()
        .clone();
    let answer = client.request(
        "workspace/executeCommand",
        serde_json::json!({
            "command": approve["command"]["command"],
            "arguments": approve["command"]["arguments"],
        }),
    );
    assert_eq!(answer["ok"], true, "{answer}");
    client.wait_for_no_rule(&index, "pending-proposal");
    client.shutdown();
    // The staged counter stood at 4: TASK-0004 in the inbox, both names on its events.
    let ledger =
        std::fs::read_to_string(root.join("inbox/TASK-0004-export-rides-as-csv/0004.ledger.jsonl"))
            .unwrap();
    let events: Vec<Value> = ledger
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(events.len(), 2);
    for event in &events {
        assert_eq!(event["user"], "@kim");
        assert_eq!(event["proposed_by"], "agent-7");
        assert_eq!(event["approved_by"], "@kim");
    }
    let drafts = std::fs::read_to_string(root.join("drafts.proposals.jsonl")).unwrap();
    let decision: Value = serde_json::from_str(drafts.lines().nth(1).unwrap()).unwrap();
    assert_eq!(decision["type"], "approval");
    assert_eq!(decision["approved_by"], "@kim");
    assert_eq!(decision["task_id"], "TASK-0004");
}
