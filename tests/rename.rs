//! Renaming a task end to end (SPEC §4 "Rename", issue 20): `flowos-lsp rename` on disk, a
//! rename killed after each of its disk operations and recovered like a transition, and
//! `textDocument/prepareRename` + `rename` + `workspace/willRenameFiles` over stdio.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary; the product may not.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use support::faults::cli;
use support::staged::{card, indexes, task};
use support::text::position;
use support::{Answers, Client, TIMEOUT, uri};

const NOW: &str = "2026-11-20T12:00:00Z";
const USER: &str = "@rui";
const NEW_NAME: &str = "Überfällige Erinnerungen";
const NEW_SLUG: &str = "uberfallige-erinnerungen";

/// 0001 in next (the one renamed), 0002 in current depending on it, whose card links to
/// 0001's card in its prose.
fn staged(base: &Path) -> PathBuf {
    let root = base.join(".work/tasks");
    task(&root, "next", 1, "blocks: [\"TASK-0002\"]\n");
    task(&root, "current", 2, "depends_on: [\"TASK-0001\"]\n");
    indexes(&root, 3);
    let linking = card(&root, "current", 2);
    let text = fs::read_to_string(&linking).unwrap().replacen(
        "G.\n",
        "G. Builds on [job 1](../../next/TASK-0001-job/0001-job.task.md#goal).\n",
        1,
    );
    fs::write(&linking, text).unwrap();
    root
}

fn renamed_folder(root: &Path) -> PathBuf {
    root.join(format!("next/TASK-0001-{NEW_SLUG}"))
}

fn renamed_card(root: &Path) -> PathBuf {
    renamed_folder(root).join(format!("0001-{NEW_SLUG}.task.md"))
}

fn rename(base: &Path, env: &[(&str, &str)]) -> support::faults::Run {
    let mut env = env.to_vec();
    env.push(("FLOWOS_NOW", NOW));
    cli(
        base,
        &["rename", "TASK-0001", NEW_NAME, ".", "--user", USER],
        &env,
    )
}

/// The rules `check` reports (paths change with a rename; what is wrong must not).
fn findings(base: &Path) -> Vec<String> {
    let run = cli(base, &["check", ".", "--format", "json", "--now", NOW], &[]);
    assert!(matches!(run.code, 0 | 1), "check failed: {}", run.stderr);
    let mut found: Vec<String> = run.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_string())
        .collect();
    found.sort();
    found
}

#[test]
fn rename_from_the_cli_renames_the_package_and_keeps_rows_and_links_true() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let root = staged(&base);
    let before_findings = findings(&base);
    let ledger_before =
        fs::read_to_string(root.join("next/TASK-0001-job/0001.ledger.jsonl")).unwrap();

    // A dry run says what it would write and writes nothing.
    let tree = support::file_bytes(&root);
    let args = ["rename", "0001", NEW_NAME, ".", "--user", USER, "--dry-run"];
    let dry = cli(&base, &args, &[("FLOWOS_NOW", NOW)]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout.contains(&format!(
            "move .work/tasks/next/TASK-0001-job -> .work/tasks/next/TASK-0001-{NEW_SLUG}"
        )),
        "{}",
        dry.stdout
    );
    assert_eq!(support::file_bytes(&root), tree);

    let run = rename(&base, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        format!(
            "Rename TASK-0001 to \"{NEW_NAME}\"\n  card: .work/tasks/next/TASK-0001-{NEW_SLUG}/0001-{NEW_SLUG}.task.md\n"
        )
    );
    assert!(!root.join("next/TASK-0001-job").exists());
    let card_text = fs::read_to_string(renamed_card(&root)).unwrap();
    assert!(
        card_text.contains(&format!("task_name: \"{NEW_NAME}\"")),
        "{card_text}"
    );
    assert!(card_text.contains("last_updated: \"2026-11-20\""));
    // One line appended: the content_updated event with both names.
    let ledger = fs::read_to_string(renamed_folder(&root).join("0001.ledger.jsonl")).unwrap();
    let added = ledger.strip_prefix(&ledger_before).expect("only appended");
    let event: Value = serde_json::from_str(added.trim_end()).unwrap();
    assert_eq!(added.lines().count(), 1);
    assert_eq!(event["event"], "content_updated");
    assert_eq!(event["old_name"], "Job 0001");
    assert_eq!(event["new_name"], NEW_NAME);
    assert_eq!(event["user"], USER);
    assert_eq!(event["ts"], NOW);
    // The rows name it anew; the other card's link leads to the renamed card.
    for index in ["INDEX.md", "next/INDEX.md"] {
        let text = fs::read_to_string(root.join(index)).unwrap();
        assert!(text.contains(&format!("| 0001 | {NEW_NAME} |")), "{text}");
    }
    let linking = fs::read_to_string(card(&root, "current", 2)).unwrap();
    assert!(
        linking.contains(&format!(
            "[job 1](../../next/TASK-0001-{NEW_SLUG}/0001-{NEW_SLUG}.task.md#goal)"
        )),
        "{linking}"
    );
    assert_eq!(findings(&base), before_findings);
    // No record is left behind.
    assert!(!root.join(".flowos").exists());
}

#[test]
fn a_rename_onto_an_existing_folder_or_of_an_unknown_task_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let root = staged(&base);
    // Someone's folder, not an empty claim a crashed move left (which a move may take).
    fs::create_dir(renamed_folder(&root)).unwrap();
    fs::write(renamed_folder(&root).join("notes.md"), "mine\n").unwrap();
    let tree = support::file_bytes(&root);
    let run = rename(&base, &[]);
    // A folder named like it is a second folder of TASK-0001: the rename refuses to choose.
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("TASK-0001 names 2 task folders; fix the duplicate first"),
        "{}",
        run.stderr
    );
    assert_eq!(support::file_bytes(&root), tree);
    let unknown = cli(
        &base,
        &["rename", "TASK-0042", "X", ".", "--user", USER],
        &[],
    );
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("no task TASK-0042"),
        "{}",
        unknown.stderr
    );
}

/// Every entry below the root by relative path: a file's text, or "folder".
fn tree(root: &Path) -> BTreeMap<String, String> {
    support::faults::snapshot(root)
        .into_iter()
        .map(|(rel, entry)| (rel, entry.what))
        .collect()
}

#[test]
fn a_rename_killed_after_any_operation_is_recovered_to_one_end_or_the_other() {
    let whole = tempfile::tempdir().unwrap();
    let whole_base = whole.path().canonicalize().unwrap();
    let whole_root = staged(&whole_base);
    let before = tree(&whole_root);
    assert_eq!(rename(&whole_base, &[]).code, 0);
    let after = tree(&whole_root);
    let mut ends: BTreeMap<&str, u32> = BTreeMap::new();
    let mut at = 0;
    loop {
        let what = format!("killed after operation {at}");
        let dir = support::faults::tempdir_in_memory();
        let base = dir.path().canonicalize().unwrap();
        let root = staged(&base);
        let point = at.to_string();
        let run = rename(&base, &[("FLOWOS_FAULT_KILL_AFTER", &point)]);
        if run.code == 0 {
            // Past its last operation: the run was whole.
            assert_eq!(tree(&root), after, "{what}");
            break;
        }
        assert_eq!(run.code, -1, "{what}: not killed: {}", run.stderr);
        let fixed = cli(&base, &["check", ".", "--fix", "--now", NOW], &[]);
        assert!(matches!(fixed.code, 0 | 1), "{what}: {}", fixed.stderr);
        let recovered = tree(&root);
        let end = if recovered == before {
            "not begun"
        } else if recovered == after {
            "done"
        } else {
            let differs: Vec<&String> = recovered
                .keys()
                .chain(after.keys())
                .filter(|rel| recovered.get(*rel) != after.get(*rel))
                .collect();
            panic!(
                "{what}: recovery left neither end; differs from done at {differs:?}\n{}",
                fixed.stderr
            )
        };
        *ends.entry(end).or_default() += 1;
        let again = cli(&base, &["check", ".", "--fix", "--now", NOW], &[]);
        assert!(matches!(again.code, 0 | 1), "{}", again.stderr);
        assert_eq!(tree(&root), recovered, "{what}: a second recovery wrote");
        at += 1;
    }
    // Killed before its commit it is discarded, after it finished: both ends are reached.
    assert!(
        ends.contains_key("not begun") && ends.contains_key("done"),
        "{ends:?}"
    );
    eprintln!("rename: {at} operations, recovered to {ends:?}");
}

fn capabilities() -> Value {
    json!({
        "window": {"workDoneProgress": true, "showDocument": {"support": true}},
        "workspace": {"configuration": true, "workspaceEdit": {"documentChanges": true}},
        "general": {"positionEncodings": ["utf-16"]},
    })
}

fn start(base: &Path) -> Client {
    let mut client = Client::spawn_with_env(Answers::Normally, &[("FLOWOS_NOW", NOW)]);
    client.settings = json!({"user": USER});
    client.initialize(base, capabilities(), json!({"user": USER}));
    client.wait_indexed();
    client
}

/// The position of the first `needle` in `path`'s text, `into` characters into it.
fn at(path: &Path, needle: &str, into: usize) -> Value {
    let text = fs::read_to_string(path).unwrap();
    let (line, character) = position(&text, text.find(needle).unwrap() + into);
    json!({"textDocument": {"uri": uri(path)}, "position": {"line": line, "character": character}})
}

#[test]
fn prepare_rename_and_rename_over_stdio_rename_on_disk_and_an_id_refuses_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let root = staged(&base);
    let mut client = start(&base);
    let old_card = card(&root, "next", 1);

    let prepared = client.request("textDocument/prepareRename", at(&old_card, "Job 0001", 2));
    assert_eq!(prepared["placeholder"], "Job 0001");
    assert_eq!(
        prepared["range"]["start"]["line"],
        prepared["range"]["end"]["line"]
    );
    let on_id = client.request_full("textDocument/prepareRename", at(&old_card, "\"0001\"", 2));
    let message = on_id["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("IDs are permanent"), "{on_id}");
    assert_eq!(on_id["error"]["code"], -32803);

    // From the root index's Name cell.
    let mut params = at(&root.join("INDEX.md"), "Job 0001", 1);
    params["newName"] = json!(NEW_NAME);
    let edit = client.request("textDocument/rename", params);
    assert_eq!(edit, json!({}));
    assert!(renamed_card(&root).exists());
    assert!(!root.join("next/TASK-0001-job").exists());
    assert!(client.server_requests.iter().any(|request| {
        request["method"] == "window/showDocument"
            && request["params"]["uri"] == uri(&renamed_card(&root)).as_str()
    }));

    // Unsaved changes in a file the rename writes refuse it, naming the file.
    let linking = card(&root, "current", 2);
    client.open(&linking, 1);
    client.edit(&linking, 2, (5, 0), (5, 0), "unsaved ");
    // 3 bytes in: past `Üb`.
    let mut params = at(&renamed_card(&root), NEW_NAME, 3);
    params["newName"] = json!("Later");
    let refused = client.request_full("textDocument/rename", params);
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("current/TASK-0002-job/0002-job.task.md has unsaved changes"),
        "{refused}"
    );
    assert!(renamed_card(&root).exists());
    client.settle(Duration::from_millis(100));
    client.shutdown();
}

#[test]
fn will_rename_files_keeps_links_for_a_rename_in_place_and_names_the_transition_for_a_move() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let root = staged(&base);
    let mut client = start(&base);
    let old = root.join("next/TASK-0001-job");
    let renamed = root.join("next/TASK-0001-by-hand");
    let edit = client.request(
        "workspace/willRenameFiles",
        json!({"files": [{"oldUri": uri(&old), "newUri": uri(&renamed)}]}),
    );
    let changes = edit["documentChanges"]
        .as_array()
        .expect("document changes");
    let linking = card(&root, "current", 2);
    let for_linking: Vec<&Value> = changes
        .iter()
        .filter(|change| change["textDocument"]["uri"] == uri(&linking).as_str())
        .flat_map(|change| change["edits"].as_array().unwrap())
        .collect();
    assert_eq!(for_linking.len(), 1, "{edit}");
    assert_eq!(
        for_linking[0]["newText"],
        "../../next/TASK-0001-by-hand/0001-job.task.md#goal"
    );

    let dragged = root.join("current/TASK-0001-job");
    let edit = client.request(
        "workspace/willRenameFiles",
        json!({"files": [{"oldUri": uri(&old), "newUri": uri(&dragged)}]}),
    );
    assert_eq!(edit, Value::Null);
    client.wait_until(TIMEOUT, |client| {
        client.notifications.iter().any(|n| {
            n["method"] == "window/showMessage"
                && n["params"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("\"Start TASK-0001 (next → current)\""))
        })
    });
    client.shutdown();
}
