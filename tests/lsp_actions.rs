//! End-to-end tests of code actions over stdio: transitions offered (and disabled with their
//! reason) and run by `workspace/executeCommand` as disk transactions, refusals that change
//! nothing, an interrupted transition completed by its quick fix, versioned quick-fix edits,
//! Fix all, and the new-task command.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary and editors; the product may not.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use flowos_lsp::syntax::STAGE_NAMES;
use serde_json::{Value, json};
use support::staged::{indexes, new_lines, task};
use support::{Answers, Client, TIMEOUT, card, file_bytes, uri};

const NOW: &str = "2026-11-20T12:00:00Z";

fn capabilities() -> Value {
    json!({
        "window": {"workDoneProgress": true, "showDocument": {"support": true}},
        "workspace": {
            "configuration": true,
            "workspaceEdit": {"documentChanges": true, "resourceOperations": ["create", "rename", "delete"]},
        },
        "textDocument": {"codeAction": {"disabledSupport": true}},
        "general": {"positionEncodings": ["utf-16"]},
    })
}

/// current full (0002–0006), 0001 ready in next, 0007 in next depending on 0008 in backlog.
fn full_current(folder: &Path) -> PathBuf {
    let root = folder.join(".work/tasks");
    task(&root, "next", 1, "");
    for number in 2..=6 {
        task(&root, "current", number, "");
    }
    task(&root, "next", 7, "depends_on: [\"TASK-0008\"]\n");
    task(&root, "backlog", 8, "blocks: [\"TASK-0007\"]\n");
    indexes(&root, 9);
    root
}

fn ledger_path(root: &Path, stage: &str, number: u32) -> PathBuf {
    root.join(stage)
        .join(format!("TASK-{number:04}-job"))
        .join(format!("{number:04}.ledger.jsonl"))
}

fn start(folder: &Path, env: &[(&str, &str)]) -> Client {
    let mut env = env.to_vec();
    env.push(("FLOWOS_NOW", NOW));
    let mut client = Client::spawn_with_env(Answers::Normally, &env);
    client.settings = json!({"user": "@ana"});
    client.initialize(folder, capabilities(), json!({"user": "@ana"}));
    client.wait_indexed();
    client
}

fn code_actions(client: &mut Client, path: &Path, line: u32, only: Option<&[&str]>) -> Vec<Value> {
    let mut context = json!({"diagnostics": []});
    if let Some(only) = only {
        context["only"] = json!(only);
    }
    client
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": uri(path)},
                "range": {"start": {"line": line, "character": 0}, "end": {"line": line + 1, "character": 0}},
                "context": context,
            }),
        )
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn titled<'a>(actions: &'a [Value], prefix: &str) -> &'a Value {
    actions
        .iter()
        .find(|action| {
            action["title"]
                .as_str()
                .is_some_and(|t| t.starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("no action `{prefix}` in {actions:#?}"))
}

fn execute(client: &mut Client, action: &Value) -> Value {
    let command = &action["command"];
    client.request(
        "workspace/executeCommand",
        json!({"command": command["command"], "arguments": command["arguments"]}),
    )
}

/// `check`'s JSON diagnostics as (rule, message) pairs, SLOs left out.
fn check(folder: &Path) -> Vec<(String, String)> {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
        .args(["check", "--format", "json", "--now", NOW])
        .arg(folder)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut found: Vec<(String, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] != "slo-exceeded")
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn transitions_are_offered_with_their_blocking_reasons_and_run_as_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let root = full_current(dir.path());
    let before_check = check(dir.path());
    assert!(
        before_check
            .iter()
            .all(|(rule, _)| rule != "ledger-stage-drift"),
        "{before_check:?}"
    );
    let mut client = start(dir.path(), &[]);

    // Disabled, with the reason a person can act on.
    let actions = code_actions(&mut client, &card(&root, "next", 1), 3, None);
    let start_1 = titled(&actions, "Start TASK-0001");
    assert_eq!(start_1["kind"], "refactor.rewrite.flowos");
    let reason = start_1["disabled"]["reason"].as_str().unwrap();
    assert!(reason.contains("WIP limit (5/5)"), "{reason}");

    // Offered on the task's index row too, and run from there.
    let next_index = root.join("current/INDEX.md");
    let actions = code_actions(&mut client, &next_index, 2, None);
    let complete = titled(&actions, "Complete TASK-0002").clone();
    assert!(complete.get("disabled").is_none());
    let ledger_before = std::fs::read_to_string(ledger_path(&root, "current", 2)).unwrap();
    let answer = execute(&mut client, &complete);
    assert_eq!(answer["ok"], true, "{answer}");
    assert!(!root.join("current/TASK-0002-job").exists());
    let moved_card = card(&root, "integration", 2);
    let card_text = std::fs::read_to_string(&moved_card).unwrap();
    assert!(card_text.contains("stage: \"integration\""), "{card_text}");
    let lines = new_lines(
        &ledger_before,
        &std::fs::read_to_string(ledger_path(&root, "integration", 2)).unwrap(),
    );
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["event"], "implemented");
    assert_eq!(lines[0]["user"], "@ana");
    assert_eq!(lines[0]["ts"], NOW);
    assert!(
        std::fs::read_to_string(root.join("integration/INDEX.md"))
            .unwrap()
            .contains("| 0002 |")
    );
    assert!(
        !std::fs::read_to_string(root.join("current/INDEX.md"))
            .unwrap()
            .contains("| 0002 |")
    );
    // The client was asked to show the moved card.
    assert!(client.server_requests.iter().any(|request| {
        request["method"] == "window/showDocument"
            && request["params"]["uri"] == uri(&moved_card).as_str()
    }));

    // Current has room now; 0007 is still held up by its dependency.
    let actions = code_actions(&mut client, &card(&root, "next", 7), 3, None);
    let reason = titled(&actions, "Start TASK-0007")["disabled"]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("TASK-0008") && reason.contains("concurrent_ok"),
        "{reason}"
    );

    // Start is enabled for 0001 and runs.
    let actions = code_actions(&mut client, &card(&root, "next", 1), 3, None);
    let start_1 = titled(&actions, "Start TASK-0001").clone();
    assert!(start_1.get("disabled").is_none(), "{start_1}");
    assert_eq!(execute(&mut client, &start_1)["ok"], true);
    assert!(card(&root, "current", 1).exists());
    client.settle(Duration::from_millis(200));
    client.shutdown();

    // Nothing new is wrong after the moves.
    let after_check = check(dir.path());
    let new: Vec<_> = after_check
        .iter()
        .filter(|found| !before_check.contains(found))
        .collect();
    assert!(new.is_empty(), "{new:#?}");
}

#[test]
fn a_client_without_show_document_is_told_the_moved_cards_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = full_current(dir.path());
    let mut client = Client::spawn_with_env(Answers::Normally, &[("FLOWOS_NOW", NOW)]);
    client.settings = json!({"user": "@ana"});
    let mut without = capabilities();
    without["window"] = json!({"workDoneProgress": true});
    client.initialize(dir.path(), without, json!({"user": "@ana"}));
    let actions = code_actions(&mut client, &card(&root, "current", 2), 3, None);
    let answer = execute(&mut client, titled(&actions, "Complete TASK-0002"));
    assert_eq!(answer["ok"], true, "{answer}");
    let moved = card(&root, "integration", 2).display().to_string();
    client.wait_until(TIMEOUT, |client| {
        client.notifications.iter().any(|n| {
            n["method"] == "window/showMessage"
                && n["params"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(&moved))
        })
    });
}

#[test]
fn a_file_changed_after_the_offer_or_unsaved_makes_the_transition_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let root = full_current(dir.path());
    let mut client = start(dir.path(), &[]);
    let card_2 = card(&root, "current", 2);
    let actions = code_actions(&mut client, &card_2, 3, None);
    let complete = titled(&actions, "Complete TASK-0002").clone();

    // The card changes on disk between the offer and the execution.
    let mut text = std::fs::read_to_string(&card_2).unwrap();
    text.push_str("\nMore notes.\n");
    std::fs::write(&card_2, &text).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&card_2), "type": 2}]}),
    );
    let before = file_bytes(&root);
    let answer = execute(&mut client, &complete);
    assert_eq!(answer["ok"], false, "{answer}");
    let message = answer["message"].as_str().unwrap();
    assert!(
        message.contains("0002-job.task.md") && message.contains("changed"),
        "{message}"
    );
    assert_eq!(
        file_bytes(&root),
        before,
        "a refused transition wrote something"
    );
    assert!(client.wait_until(TIMEOUT, |client| {
        client
            .notifications
            .iter()
            .any(|n| n["method"] == "window/showMessage")
    }));

    // Offered again, but the card is open with unsaved changes.
    client.open(&card_2, 1);
    client.edit(&card_2, 2, (0, 0), (0, 0), "");
    client.edit(&card_2, 3, (10, 0), (10, 0), "unsaved ");
    let actions = code_actions(&mut client, &card_2, 3, None);
    let complete = titled(&actions, "Complete TASK-0002").clone();
    let answer = execute(&mut client, &complete);
    assert_eq!(answer["ok"], false, "{answer}");
    // The refusal names the file by its path in the tasks root.
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("current/TASK-0002-job/0002-job.task.md has unsaved changes"),
        "{answer}"
    );
    assert_eq!(file_bytes(&root), before);
    client.shutdown();
}

#[test]
fn a_transition_updates_an_open_modified_index_in_its_buffer_instead_of_refusing() {
    let dir = tempfile::tempdir().unwrap();
    let root = full_current(dir.path());
    let mut client = Client::spawn_with_env(Answers::Normally, &[("FLOWOS_NOW", NOW)]);
    let mut capabilities = capabilities();
    capabilities["workspace"]["applyEdit"] = json!(true);
    client.settings = json!({"user": "@ana"});
    client.initialize(dir.path(), capabilities, json!({"user": "@ana"}));
    let index = root.join("INDEX.md");
    let index_on_disk = std::fs::read_to_string(&index).unwrap();
    // The root index is open with a note typed and not saved.
    let mut buffer = client.open(&index, 1);
    client.edit(&index, 2, (0, 0), (0, 0), "Our board.\n");
    buffer.insert_str(0, "Our board.\n");

    let card_8 = card(&root, "backlog", 8);
    let actions = code_actions(&mut client, &card_8, 3, None);
    let prioritize = titled(&actions, "Prioritize TASK-0008").clone();
    let answer = execute(&mut client, &prioritize);
    assert_eq!(answer["ok"], true, "{answer}");
    assert!(card(&root, "next", 8).exists(), "the task moved");
    // On disk, the index is as it was: its buffer holds the user's unsaved note.
    assert_eq!(std::fs::read_to_string(&index).unwrap(), index_on_disk);
    // The buffer got the row through a versioned edit of version 2.
    let edit = client
        .server_requests
        .iter()
        .find(|request| request["method"] == "workspace/applyEdit")
        .expect("a workspace/applyEdit for the open index")["params"]["edit"]
        .clone();
    let changes = edit["documentChanges"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{edit:#}");
    assert_eq!(changes[0]["textDocument"]["uri"], uri(&index));
    assert_eq!(changes[0]["textDocument"]["version"], 2);
    // Apply it as the editor does, and tell the server.
    let edits = changes[0]["edits"].as_array().unwrap();
    let updated = apply_text_edits(&buffer, edits);
    assert!(updated.starts_with("Our board.\n"), "the user's note stays");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&index), "version": 3}, "contentChanges": [{"text": updated}]}),
    );
    // The buffer now agrees with the moved task: no index finding on it. Saved, the tree checks
    // as clean as before (no index rule).
    client.settle(Duration::from_millis(300));
    assert!(
        client
            .rules(&index)
            .iter()
            .all(|rule| !rule.starts_with("index-")),
        "{:?}",
        client.rules(&index)
    );
    std::fs::write(&index, &updated).unwrap();
    client.shutdown();
    assert!(
        check(dir.path())
            .iter()
            .all(|(rule, _)| !rule.starts_with("index-")),
        "{:?}",
        check(dir.path())
    );
}

#[test]
fn an_interrupted_transition_is_reported_and_its_quick_fix_completes_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = full_current(dir.path());
    let ledger_2 = ledger_path(&root, "current", 2);
    let ledger_before = std::fs::read_to_string(&ledger_2).unwrap();
    {
        // A server that "dies" right after the ledger commit.
        let mut client = start(dir.path(), &[("FLOWOS_FAULT_STOP_AFTER", "ledger")]);
        let actions = code_actions(&mut client, &card(&root, "current", 2), 3, None);
        let complete = titled(&actions, "Complete TASK-0002").clone();
        let answer = execute(&mut client, &complete);
        assert_eq!(answer["ok"], false, "{answer}");
        client.shutdown();
    }
    let lines = new_lines(&ledger_before, &std::fs::read_to_string(&ledger_2).unwrap());
    assert_eq!(lines[0]["event"], "implemented");
    assert!(root.join("current/TASK-0002-job").exists(), "moved anyway");

    let mut client = start(dir.path(), &[]);
    assert!(
        client.wait_until(TIMEOUT, |client| client
            .has_rule(&ledger_2, "ledger-stage-drift")),
        "{:?}",
        client.diagnostics
    );
    let drift_line = client.diagnostics[&uri(&ledger_2)]
        .iter()
        .find(|d| d["code"] == "ledger-stage-drift")
        .unwrap()["range"]["start"]["line"]
        .as_u64()
        .unwrap() as u32;
    let actions = code_actions(&mut client, &ledger_2, drift_line, Some(&["quickfix"]));
    let fix = actions
        .iter()
        .find(|action| action["command"]["command"] == "flowos.completeTransition")
        .unwrap_or_else(|| panic!("no completion fix in {actions:#?}"))
        .clone();
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(execute(&mut client, &fix)["ok"], true);
    let ledger_after = ledger_path(&root, "integration", 2);
    assert!(ledger_after.exists());
    // Completing writes no event: the ledger already has it.
    assert_eq!(
        new_lines(
            &ledger_before,
            &std::fs::read_to_string(&ledger_after).unwrap()
        )
        .len(),
        1
    );
    assert!(
        client.wait_until(TIMEOUT, |client| !client
            .has_rule(&ledger_after, "ledger-stage-drift")
            && client.diagnostics.contains_key(&uri(&ledger_after))
                == client.has_rule(&ledger_after, "slo-exceeded")),
        "{:?}",
        client.diagnostics.get(&uri(&ledger_after))
    );
    client.shutdown();
    assert!(
        check(dir.path())
            .iter()
            .all(|(rule, _)| rule != "ledger-stage-drift"),
        "{:?}",
        check(dir.path())
    );
}

/// Applies a TextDocumentEdit's edits (single-line ranges) to `text`.
fn apply_text_edits(text: &str, edits: &[Value]) -> String {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let mut edits = edits.to_vec();
    edits.sort_by_key(|edit| {
        std::cmp::Reverse((
            edit["range"]["start"]["line"].as_u64().unwrap(),
            edit["range"]["start"]["character"].as_u64().unwrap(),
        ))
    });
    for edit in edits {
        let (sl, sc) = (
            edit["range"]["start"]["line"].as_u64().unwrap() as usize,
            edit["range"]["start"]["character"].as_u64().unwrap() as usize,
        );
        let (el, ec) = (
            edit["range"]["end"]["line"].as_u64().unwrap() as usize,
            edit["range"]["end"]["character"].as_u64().unwrap() as usize,
        );
        let joined: String = lines.concat();
        let offset =
            |line: usize, col: usize| lines[..line].iter().map(String::len).sum::<usize>() + col;
        let (start, end) = (offset(sl, sc), offset(el, ec));
        let new = format!(
            "{}{}{}",
            &joined[..start],
            edit["newText"].as_str().unwrap(),
            &joined[end..]
        );
        lines = new.split_inclusive('\n').map(str::to_string).collect();
    }
    lines.concat()
}

#[test]
fn quick_fixes_are_versioned_edits_that_clear_their_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let root = full_current(dir.path());
    let card_1 = card(&root, "next", 1);
    let text = std::fs::read_to_string(&card_1)
        .unwrap()
        .replace("stage: \"next\"", "stage: \"backlog\"");
    std::fs::write(&card_1, &text).unwrap();
    std::fs::remove_file(root.join("next/TASK-0001-job/0001.context.md")).unwrap();
    let mut client = start(dir.path(), &[]);
    client.open(&card_1, 7);
    assert!(client.wait_until(TIMEOUT, |c| c.has_rule(&card_1, "stage-mismatch")));

    let actions = code_actions(&mut client, &card_1, 3, Some(&["quickfix"]));
    let fix = titled(&actions, "Set stage").clone();
    assert_eq!(fix["diagnostics"][0]["code"], "stage-mismatch");
    let change = &fix["edit"]["documentChanges"][0];
    assert_eq!(change["textDocument"]["version"], 7, "{fix}");
    let edits = change["edits"].as_array().unwrap();
    let fixed = apply_text_edits(&text, edits);
    // Only the value changed.
    assert_eq!(fixed, text.replace("stage: \"backlog\"", "stage: \"next\""));
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&card_1), "version": 8}, "contentChanges": [{"text": fixed}]}),
    );
    assert!(client.wait_until(TIMEOUT, |c| !c.has_rule(&card_1, "stage-mismatch")));

    // The missing context is created through a CreateFile operation, never overwriting.
    let actions = code_actions(&mut client, &card_1, 1, Some(&["quickfix"]));
    let create = actions
        .iter()
        .find(|action| {
            action["edit"]["documentChanges"]
                .as_array()
                .is_some_and(|ops| ops.iter().any(|op| op["kind"] == "create"))
        })
        .unwrap_or_else(|| panic!("no create fix in {actions:#?}"));
    let op = &create["edit"]["documentChanges"][0];
    assert!(op["uri"].as_str().unwrap().ends_with("0001.context.md"));
    assert_eq!(op["options"]["overwrite"], false);
    client.shutdown();
}

#[test]
fn fix_all_collects_every_safe_fix_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = full_current(dir.path());
    let card_1 = card(&root, "next", 1);
    let text = std::fs::read_to_string(&card_1)
        .unwrap()
        .replace("stage: \"next\"", "stage: \"backlog\"")
        .replace("## Expected Outputs\n\nO.\n\n", "");
    std::fs::write(&card_1, &text).unwrap();
    let mut client = start(dir.path(), &[]);
    let actions = code_actions(&mut client, &card_1, 0, Some(&["source.fixAll"]));
    assert_eq!(actions.len(), 1, "{actions:#?} {:?}", client.rules(&card_1));
    assert_eq!(actions[0]["kind"], "source.fixAll.flowos");
    let edits = actions[0]["edit"]["documentChanges"][0]["edits"]
        .as_array()
        .unwrap();
    let fixed = apply_text_edits(&text, edits);
    assert!(fixed.contains("stage: \"next\"") && fixed.contains("## Expected Outputs"));
    client.shutdown();
}

#[test]
fn the_new_task_command_creates_the_package_and_shows_its_card() {
    let dir = tempfile::tempdir().unwrap();
    let root = full_current(dir.path());
    let before = check(dir.path());
    let mut client = start(dir.path(), &[]);
    let answer = client.request(
        "workspace/executeCommand",
        json!({"command": "flowos.newTask", "arguments": [{"name": "Fix login redirect"}]}),
    );
    assert_eq!(answer["ok"], true, "{answer}");
    let folder = root.join("inbox/TASK-0009-fix-login-redirect");
    let card = folder.join("0009-fix-login-redirect.task.md");
    assert!(card.exists(), "{answer}");
    assert_eq!(answer["show"], uri(&card).as_str());
    let ledger = std::fs::read_to_string(folder.join("0009.ledger.jsonl")).unwrap();
    let events: Vec<Value> = ledger
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events[0]["event"], "id_reserved");
    assert_eq!(events[1]["event"], "created");
    assert_eq!(
        std::fs::read_to_string(root.join("ID_COUNTER.txt"))
            .unwrap()
            .trim(),
        "0010"
    );
    client.settle(Duration::from_millis(200));
    // The server re-read the new package: it is in the model and clean.
    assert!(client.rules(&card).is_empty(), "{:?}", client.rules(&card));
    client.shutdown();
    let after = check(dir.path());
    assert_eq!(after, before);
}

#[test]
fn the_new_task_command_without_a_user_creates_nothing_and_names_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let root = full_current(dir.path());
    let counter = std::fs::read_to_string(root.join("ID_COUNTER.txt")).unwrap();
    let mut client = Client::spawn_with_env(Answers::Normally, &[("FLOWOS_NOW", NOW)]);
    client.initialize(dir.path(), capabilities(), json!({}));
    let answer = client.request(
        "workspace/executeCommand",
        json!({"command": "flowos.newTask", "arguments": [{"name": "Fix login redirect"}]}),
    );
    assert_eq!(answer["ok"], false, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|message| message.contains("`flowos.user`")),
        "{answer}"
    );
    // The same is shown to the user (a notification, which may come after the answer).
    let shown = |client: &Client| {
        client.notifications.iter().any(|n| {
            n["method"] == "window/showMessage"
                && n["params"]["message"]
                    .as_str()
                    .is_some_and(|message| message.contains("`flowos.user`"))
        })
    };
    assert!(client.wait_until(TIMEOUT, shown));
    assert!(!root.join("inbox/TASK-0009-fix-login-redirect").exists());
    assert_eq!(
        std::fs::read_to_string(root.join("ID_COUNTER.txt")).unwrap(),
        counter
    );
    client.shutdown();
}

/// Where each task of [`many_tasks`] is, by number.
fn find_card(root: &Path, number: u32) -> PathBuf {
    STAGE_NAMES
        .iter()
        .map(|stage| card(root, stage, number))
        .find(|path| path.exists())
        .unwrap_or_else(|| panic!("TASK-{number:04} is nowhere"))
}

fn find_ledger(root: &Path, number: u32) -> PathBuf {
    find_card(root, number).with_file_name(format!("{number:04}.ledger.jsonl"))
}

/// One task per transition of SPEC §5 (current has room), plus one per refusal reason.
fn many_tasks(folder: &Path) -> PathBuf {
    let root = folder.join(".work/tasks");
    task(&root, "inbox", 10, "");
    task(&root, "current", 11, "");
    task(&root, "current", 12, "paused_reason: \"vendor is late\"\n");
    task(&root, "next", 13, "depends_on: [\"TASK-0014\"]\n");
    task(&root, "backlog", 14, "blocks: [\"TASK-0013\"]\n");
    task(&root, "integration", 15, "");
    task(
        &root,
        "backlog",
        16,
        "canceled_reason: \"superseded by the new API\"\nblocks: [\"TASK-0017\"]\n",
    );
    task(&root, "backlog", 17, "depends_on: [\"TASK-0016\"]\n");
    task(&root, "backlog", 18, "priority: \"P0\"\n");
    task(
        &root,
        "backlog",
        19,
        "priority: null\neffort_estimate: null\n",
    );
    task(
        &root,
        "current",
        20,
        "status: \"paused\"\npaused_reason: \"on leave\"\n",
    );
    task(&root, "backlog", 21, "");
    indexes(&root, 22);
    root
}

#[test]
fn every_transition_runs_over_stdio_and_every_refusal_is_a_disabled_action() {
    let dir = tempfile::tempdir().unwrap();
    let root = many_tasks(dir.path());
    let before_check = check(dir.path());
    let mut client = start(dir.path(), &[]);

    // (task, title prefix, stage it ends in, events appended)
    let steps: &[(u32, &str, &str, &[&str])] = &[
        (10, "Verify", "backlog", &["verified"]),
        (10, "Prioritize", "next", &["validated", "prioritized"]),
        (10, "Start", "current", &["validated", "started"]),
        (10, "Complete", "integration", &["implemented"]),
        (
            10,
            "Integrate",
            "learning",
            &["integrated", "moved_to_learning"],
        ),
        (
            10,
            "Close TASK-0010 (",
            "archived",
            &["learning_skipped", "closed"],
        ),
        (11, "Rework", "next", &["rework_required"]),
        (12, "Pause", "next", &["paused"]),
        (12, "Resume", "next", &["resumed"]),
        (13, "Block TASK-0013 on TASK-0014", "next", &["blocked"]),
        (
            15,
            "Close TASK-0015 without learning",
            "archived",
            &["integrated", "learning_skipped", "closed"],
        ),
        (16, "Cancel", "archived", &["canceled", "cascade_cancel"]),
        (
            18,
            "Fast-track",
            "current",
            &["validated", "fast_tracked", "started"],
        ),
    ];
    for (number, title, stage, events) in steps {
        let path = find_card(&root, *number);
        let ledger = find_ledger(&root, *number);
        let ledger_before = std::fs::read_to_string(&ledger).unwrap();
        let actions = code_actions(&mut client, &path, 3, Some(&["refactor"]));
        let action = titled(&actions, title).clone();
        assert!(action.get("disabled").is_none(), "{action}");
        let answer = execute(&mut client, &action);
        assert_eq!(answer["ok"], true, "{title}: {answer}");
        let moved = card(&root, stage, *number);
        assert!(
            moved.exists(),
            "{title}: TASK-{number:04} is not in {stage}"
        );
        assert_eq!(answer["show"], uri(&moved).as_str());
        let card_text = std::fs::read_to_string(&moved).unwrap();
        assert!(
            card_text.contains(&format!("stage: \"{stage}\"")),
            "{card_text}"
        );
        let appended = new_lines(
            &ledger_before,
            &std::fs::read_to_string(find_ledger(&root, *number)).unwrap(),
        );
        let names: Vec<&str> = appended
            .iter()
            .map(|e| e["event"].as_str().unwrap())
            .collect();
        assert_eq!(&names, events, "{title}");
        assert!(
            appended
                .iter()
                .all(|e| e["ts"] == NOW && e["user"] == "@ana" && e["desc"].is_string())
        );
        let index = std::fs::read_to_string(root.join(stage).join("INDEX.md")).unwrap();
        assert!(
            index.contains(&format!("| {number:04} |")),
            "{title}: {index}"
        );
    }
    // The cancel cascade blocked the dependent and said why in its ledger.
    let dependent = std::fs::read_to_string(card(&root, "backlog", 17)).unwrap();
    assert!(dependent.contains("status: \"blocked\""), "{dependent}");
    assert!(dependent.contains("task:TASK-0016"), "{dependent}");
    assert!(
        std::fs::read_to_string(find_ledger(&root, 17))
            .unwrap()
            .contains("cascade_blocked_by_cancel")
    );
    // Blocked on an unfinished task: Unblock waits for it.
    let blocked = std::fs::read_to_string(card(&root, "next", 13)).unwrap();
    assert!(blocked.contains("status: \"blocked\"") && blocked.contains("task:TASK-0014"));

    // (task, title prefix, words of the reason)
    let refusals: &[(u32, &str, &str)] = &[
        (13, "Unblock", "TASK-0014"),
        (19, "Prioritize", "priority"),
        (20, "Complete", "paused"),
        (21, "Cancel", "canceled_reason"),
        (21, "Pause", "paused_reason"),
    ];
    for (number, title, words) in refusals {
        let actions = code_actions(&mut client, &find_card(&root, *number), 3, None);
        let action = titled(&actions, title);
        let reason = action["disabled"]["reason"]
            .as_str()
            .unwrap_or_else(|| panic!("{action}"));
        assert!(reason.contains(words), "{title}: {reason}");
        assert!(action.get("command").is_none());
    }
    client.settle(Duration::from_millis(200));
    client.shutdown();

    let after_check = check(dir.path());
    let new: Vec<_> = after_check
        .iter()
        .filter(|found| !before_check.contains(found))
        .collect();
    assert!(new.is_empty(), "{new:#?}");
}

/// Runs the binary in `folder` at [`NOW`] as @ana, with extra environment.
fn cli(folder: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
        .args(args)
        .env("FLOWOS_NOW", NOW)
        .env("FLOWOS_USER", "@ana")
        .envs(env.iter().copied())
        .current_dir(folder)
        .output()
        .unwrap()
}

#[test]
fn fix_all_and_check_fix_both_follow_the_ledger_when_card_and_ledger_disagree_with_the_folder() {
    // A prioritize of TASK-0008 killed after the card's stage was written: the ledger and the
    // card say next, the folder is still in backlog.
    let editor_dir = tempfile::tempdir().unwrap();
    let root = full_current(editor_dir.path());
    let interrupted = cli(
        editor_dir.path(),
        &["transition", "TASK-0008", "prioritize", "."],
        &[("FLOWOS_FAULT_STOP_AFTER", "frontmatter")],
    );
    assert_ne!(interrupted.status.code(), Some(0));
    let card_8 = card(&root, "backlog", 8);
    assert!(
        std::fs::read_to_string(&card_8)
            .unwrap()
            .contains("stage: \"next\"")
    );
    let cli_dir = tempfile::tempdir().unwrap();
    support::copy_tree(editor_dir.path(), cli_dir.path());

    // The command line: `check --fix` finishes the move the ledger records.
    let fixed = cli(cli_dir.path(), &["check", "--fix", "."], &[]);
    assert!(fixed.status.code().is_some(), "{fixed:?}");
    let cli_root = cli_dir.path().join(".work/tasks");
    assert!(
        card(&cli_root, "next", 8).exists(),
        "check --fix moved it to next"
    );

    // The editor: Fix all sets nothing back to the folder's stage, and the stage-mismatch
    // quick fix is the same move.
    let mut client = start(editor_dir.path(), &[]);
    assert!(client.wait_until(TIMEOUT, |client| client.has_rule(&card_8, "stage-mismatch")));
    let actions = code_actions(&mut client, &card_8, 3, None);
    let titles: Vec<&str> = actions.iter().filter_map(|a| a["title"].as_str()).collect();
    assert!(
        titles.iter().all(|title| !title.contains("`backlog`")),
        "{titles:?}"
    );
    let fix_all = code_actions(&mut client, &card_8, 3, Some(&["source.fixAll.flowos"]));
    for action in &fix_all {
        let edit = action["edit"].to_string();
        assert!(!edit.contains("backlog"), "{action:#}");
    }
    let finish = titled(&actions, "Finish moving TASK-0008 to next").clone();
    assert_eq!(execute(&mut client, &finish)["ok"], true);
    client.shutdown();

    // Both paths end in the same tree, byte for byte.
    assert_eq!(file_bytes(&root), file_bytes(&cli_root));
    assert!(
        check(editor_dir.path())
            .iter()
            .all(|(rule, _)| rule != "stage-mismatch" && rule != "ledger-stage-drift"),
        "{:?}",
        check(editor_dir.path())
    );
}
