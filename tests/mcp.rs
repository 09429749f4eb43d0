//! The agent's side end to end: a real MCP client (the official Python SDK, PyPI `mcp`, run
//! by tests/mcp/agent_session.py) drives `flowos-lsp mcp` over stdio on a copy of the demo:
//! it lists the tools, queries, reads a task, proposes a move, and sees its refused moves as
//! the worker contract's errors. Nothing under the tasks root changes but the task's
//! proposals file. Then the person's side: the language server shows the proposal on the
//! card, and its Approve code action writes exactly the events `transition` writes for that
//! move, with both names on them.
//!
//! Skips (loudly) where Python's `mcp` package is missing, and fails in CI (`.ci/run`
//! installs it), as the editor tests do with their editors.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary and a client; the product may not.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use support::editor::python_module;
use support::{Answers, Client, changed_paths, copy_tree, file_bytes, repo, uri};

const NOW: &str = "2026-11-20T12:00:00Z";
const TASK: &str = "TASK-0006";
const CARD: &str = "current/TASK-0006-ride-history-screen/0006-ride-history-screen.task.md";
const PROPOSALS: &str = "current/TASK-0006-ride-history-screen/0006.proposals.jsonl";

/// A copy of examples/demo in a fresh folder; returns its tasks root.
fn demo_copy(folder: &Path) -> std::path::PathBuf {
    copy_tree(&repo().join("examples/demo"), folder);
    folder.join(".work/tasks")
}

fn flowos(args: &[&str], folder: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
        .args(args)
        .arg(folder)
        .env("FLOWOS_NOW", NOW)
        .env_remove("FLOWOS_USER")
        .output()
        .expect("the binary runs")
}

/// The session the Python client had, as the JSON object it printed.
fn agent_session(folder: &Path) -> Value {
    let output = Command::new("python3")
        .arg(repo().join("tests/mcp/agent_session.py"))
        .arg(env!("CARGO_BIN_EXE_flowos-lsp"))
        .arg(folder)
        .args([TASK, "complete"])
        .env("FLOWOS_NOW", NOW)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "the MCP client failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the client prints one JSON object")
}

#[test]
fn an_agent_proposes_over_mcp_and_a_person_approves_in_the_editor() {
    if !python_module("mcp", "MCP client") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = demo_copy(dir.path());
    let before = file_bytes(&root);
    let seen = agent_session(dir.path());

    // The tools, each with a schema that carries an example.
    assert_eq!(
        seen["tools"],
        json!([
            "check",
            "get_task",
            "new_task_draft",
            "propose_edit",
            "propose_move",
            "query"
        ])
    );
    for (name, schema) in seen["schemas"].as_object().unwrap() {
        assert_eq!(schema["type"], "object", "{name}");
        assert!(schema["examples"][0].is_object(), "{name} has no example");
    }
    // The query answered from the demo: TASK-0006 is one of current's tasks.
    assert_eq!(seen["query"]["is_error"], false);
    let current: Vec<&str> = seen["query"]["value"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["id"].as_str().unwrap())
        .collect();
    assert!(current.contains(&TASK), "{current:?}");
    assert_eq!(seen["get_task"]["value"]["card"]["path"], CARD);

    // The proposal: the contract's move_proposal, the card's four Acceptance Criteria items
    // (the demo card lists four `- [ ]` lines) and the one event WF5 logs.
    let proposal = &seen["propose_move"];
    assert_eq!(proposal["is_error"], false, "{proposal}");
    let record = &proposal["value"];
    assert_eq!(record["type"], "move_proposal");
    assert_eq!(record["from_stage"], "current");
    assert_eq!(record["to_stage"], "integration");
    assert_eq!(record["validation_result"], "pass");
    assert_eq!(record["requires_human_approval"], true);
    assert_eq!(record["proposed_by"], "agent-7");
    assert_eq!(record["checklist"].as_array().unwrap().len(), 4);
    assert_eq!(record["proposed_events"][0]["event"], "implemented");

    // Refusals are the contract's error records.
    assert_eq!(seen["refused"]["is_error"], true);
    assert_eq!(seen["refused"]["value"]["error"], "validation_failed");
    assert_eq!(seen["refused"]["value"]["check"], "transition_rules");
    assert_eq!(seen["unknown_task"]["value"]["check"], "task_exists");
    assert_eq!(seen["resource_text_starts"], "---");
    assert!(
        seen["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|name| name == CARD)
    );
    let pending = &seen["pending"]["value"]["results"];
    assert_eq!(pending.as_array().unwrap().len(), 1);
    assert_eq!(pending[0]["waits_for"], "@jonas");

    // Nothing under the tasks root changed but the proposals file, which holds one line.
    let after = file_bytes(&root);
    assert_eq!(changed_paths(&before, &after), [PROPOSALS]);
    assert_eq!(
        String::from_utf8_lossy(&after[PROPOSALS]).lines().count(),
        1
    );

    // What `transition` would write for the same move, as the same person, on a twin copy.
    let twin = tempfile::tempdir().unwrap();
    let twin_root = demo_copy(twin.path());
    let done = flowos(
        &["transition", TASK, "complete", "--user", "@lena"],
        twin.path(),
    );
    assert!(done.status.success(), "{:?}", done);

    // The person's side: the proposal on the card, approved through its code action.
    let mut client = Client::spawn_with_env(Answers::Normally, &[("FLOWOS_NOW", NOW)]);
    client.settings = json!({"user": "@lena"});
    client.initialize(
        dir.path(),
        json!({"workspace": {"configuration": true}, "general": {"positionEncodings": ["utf-16"]}}),
        json!({"user": "@lena"}),
    );
    let card = root.join(CARD);
    client.wait_for_rule(&card, "pending-proposal");
    let diagnostic = client.diagnostics[&uri(&card)]
        .iter()
        .find(|d| d["code"] == "pending-proposal")
        .cloned()
        .unwrap();
    assert!(
        diagnostic["message"]
            .as_str()
            .unwrap()
            .starts_with("agent-7 proposes `complete` (proposal 1): criteria met"),
        "{diagnostic}"
    );
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri(&card)},
            "range": diagnostic["range"],
            "context": {"diagnostics": [diagnostic]},
        }),
    );
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|action| action["title"].as_str())
        .collect();
    let approve = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|action| action["title"] == "Approve proposal 1")
        .unwrap_or_else(|| panic!("no Approve in {titles:?}"))
        .clone();
    assert!(titles.contains(&"Reject proposal 1…"), "{titles:?}");
    client.request(
        "workspace/executeCommand",
        json!({
            "command": approve["command"]["command"],
            "arguments": approve["command"]["arguments"],
        }),
    );
    client.shutdown();

    // Every file is what `transition` wrote on the twin, but for the ledger's new event
    // (the same event with both names) and the proposals file (which records the approval).
    let approved = file_bytes(&root);
    let transitioned = file_bytes(&twin_root);
    let ledger = "integration/TASK-0006-ride-history-screen/0006.ledger.jsonl";
    let moved_proposals = "integration/TASK-0006-ride-history-screen/0006.proposals.jsonl";
    assert_eq!(
        changed_paths(&transitioned, &approved),
        [ledger, moved_proposals]
    );
    let text = |files: &std::collections::BTreeMap<String, Vec<u8>>| {
        String::from_utf8(files[ledger].clone()).unwrap()
    };
    let (ours, theirs) = (text(&approved), text(&transitioned));
    let (ours_last, theirs_last) = (ours.lines().last().unwrap(), theirs.lines().last().unwrap());
    assert_eq!(ours.lines().count(), theirs.lines().count());
    assert_eq!(
        ours_last,
        format!(
            "{},\"proposed_by\":\"agent-7\",\"approved_by\":\"@lena\"}}",
            theirs_last.strip_suffix('}').unwrap()
        )
    );
    let decisions = String::from_utf8(approved[moved_proposals].clone()).unwrap();
    let decision: Value = serde_json::from_str(decisions.lines().last().unwrap()).unwrap();
    assert_eq!(decision["type"], "approval");
    assert_eq!(decision["approved_by"], "@lena");
    assert_eq!(decision["proposal"], 1);
}
