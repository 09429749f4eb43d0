//! Finding the tasks root (SPEC §2, §8), end to end through the real binary: only `.work/tasks`
//! or the configured root is one, whatever other folders are called; it is searched below a
//! PATH or workspace folder and then upward; where none is found nothing is written and the
//! user is told, once.

#![cfg(unix)]
#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary; the product may not.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::json;
use support::faults::snapshot;
use support::{Answers, Client, TIMEOUT, Task, card, uri, watching_capabilities, write_workspace};

/// Half a day after the fixtures' tasks were created: no SLO has run out.
const NOW: &str = "2026-01-01T12:00:00Z";

fn flowos(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
        .args(args)
        .env("FLOWOS_NOW", NOW)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `args` in `cwd` and insists on `code`, showing both streams when it differs.
fn run_expecting(cwd: &Path, args: &[&str], code: i32) -> Output {
    let output = flowos(cwd, args);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{args:?} in {}:\n{}{}",
        cwd.display(),
        stdout(&output),
        stderr(&output)
    );
    output
}

/// A repository laid out as Backlog.md lays out its own: a top-level `backlog/` with
/// `tasks/*.md`, drafts and a config, and no `.work` anywhere.
fn write_backlog_md_repo(repo: &Path) {
    let files = [
        ("README.md", "# A project that plans with Backlog.md\n"),
        (
            "backlog/config.yml",
            "project_name: \"demo\"\ndefault_status: \"To Do\"\n",
        ),
        (
            "backlog/tasks/task-1 - Set-up-CI.md",
            "---\nid: task-1\ntitle: Set up CI\nstatus: To Do\n---\n\n## Description\n",
        ),
        (
            "backlog/tasks/task-2 - Ship-it.md",
            "---\nid: task-2\ntitle: Ship it\nstatus: In Progress\ndependencies: [task-1]\n---\n",
        ),
        ("backlog/drafts/task-3 - Maybe.md", "---\nid: task-3\n---\n"),
        ("next/notes.md", "what comes next\n"),
    ];
    for (rel, text) in files {
        let path = repo.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
}

/// A tree with a deliberate `missing-dependency` in TASK-0002 (in next), and a clean TASK-0001
/// in inbox that can be verified.
fn write_tree_with_one_error(folder: &Path) -> PathBuf {
    write_workspace(
        folder,
        &[
            Task("inbox", 1, ""),
            Task("next", 2, "depends_on: [\"TASK-0077\"]\n"),
        ],
    )
}

// ---------------------------------------------------------------------------------------------
// The command line

#[test]
fn a_backlog_md_repository_is_not_a_tasks_root_and_nothing_is_written_there() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    write_backlog_md_repo(&repo);
    let before = snapshot(&repo);
    let commands: [&[&str]; 5] = [
        &["check"],
        &["check", "--fix", "--user", "@kim"],
        &["check", ".", "--format", "json"],
        &["transition", "TASK-0001", "verify", "--user", "@kim"],
        &["new", "Ship it", "--user", "@kim"],
    ];
    for args in commands {
        for cwd in [repo.clone(), repo.join("backlog/tasks")] {
            let output = run_expecting(&cwd, args, 2);
            let reason = stderr(&output);
            assert!(
                reason.contains("no .work/tasks found") && reason.contains("backlog/"),
                "{args:?}: {reason}"
            );
            assert_eq!(stdout(&output), "", "{args:?}");
        }
    }
    assert_eq!(snapshot(&repo), before, "something was written");
}

#[test]
fn a_real_tree_beside_a_backlog_folder_is_the_one_checked() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    write_backlog_md_repo(&repo);
    let root = write_tree_with_one_error(&repo);
    let output = run_expecting(&repo, &["check"], 1);
    let report = stdout(&output);
    assert!(report.contains("error[missing-dependency]"), "{report}");
    assert!(report.ends_with("in 1 task (2 checked)\n"), "{report}");
    run_expecting(
        &repo,
        &["transition", "TASK-0001", "verify", "--user", "@kim"],
        0,
    );
    assert!(card(&root, "backlog", 1).is_file());
    assert!(!repo.join("ID_COUNTER.txt").exists());
}

#[test]
fn commands_run_inside_the_tree_find_it_upward() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let root = write_tree_with_one_error(&repo);
    fs::create_dir_all(repo.join("src/deep")).unwrap();
    let task_folder = card(&root, "next", 2).parent().unwrap().to_path_buf();
    for (cwd, path) in [
        (task_folder.clone(), None),
        (root.join("next"), None),
        (root.clone(), Some("inbox")),
        (repo.join("src/deep"), None),
        (repo.clone(), Some(".work")),
    ] {
        let mut args = vec!["check"];
        args.extend(path);
        let output = run_expecting(&cwd, &args, 1);
        let report = stdout(&output);
        assert!(
            report.contains("error[missing-dependency]") && report.contains("(2 checked)"),
            "{args:?} in {}: {report}",
            cwd.display()
        );
    }
    // A transition and a new task from inside the tree write into it, nowhere else.
    run_expecting(
        &task_folder,
        &["transition", "TASK-0001", "verify", "--user", "@kim"],
        0,
    );
    assert!(card(&root, "backlog", 1).is_file());
    let created = run_expecting(
        &root.join("inbox"),
        &["new", "Fix login", "--user", "@kim"],
        0,
    );
    assert!(
        stdout(&created).contains("TASK-9000 created"),
        "{}",
        stdout(&created)
    );
    let inbox: Vec<String> = fs::read_dir(root.join("inbox"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        inbox.iter().any(|name| name.starts_with("TASK-9000-")),
        "{inbox:?}"
    );
    assert!(!task_folder.join(".work").exists());
}

#[test]
fn tasks_root_flag_takes_a_root_of_any_name_relative_to_path() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let written = write_tree_with_one_error(&repo);
    let planning = repo.join("planning");
    fs::rename(&written, &planning).unwrap();
    fs::remove_dir(repo.join(".work")).unwrap();
    // Not named `.work/tasks`, so not found by searching.
    run_expecting(&repo, &["check"], 2);

    for (cwd, args) in [
        (repo.as_path(), vec!["check", "--tasks-root", "planning"]),
        (
            repo.as_path(),
            vec!["check", "--tasks-root=planning", "--format", "json"],
        ),
        (
            repo.as_path(),
            vec!["check", "--tasks-root", planning.to_str().unwrap()],
        ),
        (
            dir.path(),
            vec!["check", "repo", "--tasks-root", "planning"],
        ),
    ] {
        let output = run_expecting(cwd, &args, 1);
        assert!(
            stdout(&output).contains("missing-dependency"),
            "{args:?}: {}",
            stdout(&output)
        );
    }
    let missing = run_expecting(&repo, &["check", "--tasks-root", "nope"], 2);
    assert!(
        stderr(&missing).contains("--tasks-root nope"),
        "{}",
        stderr(&missing)
    );

    run_expecting(
        &repo,
        &[
            "transition",
            "TASK-0001",
            "verify",
            "--tasks-root",
            "planning",
            "--user",
            "@kim",
        ],
        0,
    );
    assert!(card(&planning, "backlog", 1).is_file());
    run_expecting(
        &repo,
        &[
            "new",
            "Fix login",
            "--tasks-root",
            "planning",
            "--user",
            "@kim",
        ],
        0,
    );
    assert!(planning.join("ID_COUNTER.txt").is_file());
    assert_eq!(
        fs::read_to_string(planning.join("ID_COUNTER.txt")).unwrap(),
        "9001\n"
    );
}

// ---------------------------------------------------------------------------------------------
// The server

fn server() -> Client {
    Client::spawn_with_env(Answers::Normally, &[("FLOWOS_NOW", NOW)])
}

/// Initializes as Helix does in some versions: `rootUri: null` and no workspace folders.
fn initialize_without_root(client: &mut Client) {
    client.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": watching_capabilities()}),
    );
    client.notify("initialized", json!({}));
}

/// The tasks the server finds by `query` (workspace symbols), as their names.
fn symbols(client: &mut Client, query: &str) -> Vec<String> {
    let found = client.request("workspace/symbol", json!({"query": query}));
    found
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| item["name"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The `window/showMessage` texts received so far.
fn shown(client: &Client) -> Vec<String> {
    client
        .notifications
        .iter()
        .filter(|n| n["method"] == "window/showMessage")
        .map(|n| n["params"]["message"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn a_workspace_folder_that_is_a_task_folder_finds_its_tree_above_and_watches_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_tree_with_one_error(dir.path());
    let broken = card(&root, "next", 2);
    let task_folder = broken.parent().unwrap();
    let mut client = server();
    // One server per task folder: what eglot does outside version control.
    client.initialize(task_folder, watching_capabilities(), json!({}));
    client.open(&broken, 1);
    client.wait_for_rule(&broken, "missing-dependency");
    // The whole tree is read, not only the folder's task.
    let found = symbols(&mut client, "0001");
    assert!(
        found.iter().any(|name| name.contains("TASK-0001")),
        "{found:?}"
    );
    // The rest of the tree lies outside the folder the client watches: the server watches it.
    let other = card(&root, "inbox", 1);
    let text = fs::read_to_string(&other).unwrap();
    fs::write(
        &other,
        text.replacen("status:", "depends_on: [\"TASK-0078\"]\nstatus:", 1),
    )
    .unwrap();
    client.wait_for_rule(&other, "missing-dependency");
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn a_client_that_sends_no_root_gets_the_opened_cards_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_tree_with_one_error(dir.path());
    let broken = card(&root, "next", 2);
    let mut client = server();
    initialize_without_root(&mut client);
    let said = client.wait_until(TIMEOUT, |client| {
        client.log_messages().contains("no tasks root")
    });
    assert!(said, "{}", client.log_messages());
    client.open(&broken, 1);
    client.wait_for_rule(&broken, "missing-dependency");
    // The whole tree is read, not only the file.
    let found = symbols(&mut client, "0001");
    assert!(
        found.iter().any(|name| name.contains("TASK-0001")),
        "{found:?}"
    );
    assert_eq!(client.log_messages().matches("no tasks root").count(), 1);
    assert!(shown(&client).is_empty(), "{:?}", shown(&client));
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn a_task_file_in_no_tree_is_said_once_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    write_backlog_md_repo(&repo);
    let loose = dir.path().join("loose/TASK-0001-x");
    fs::create_dir_all(&loose).unwrap();
    for name in ["0001-x.task.md", "0001.ledger.jsonl"] {
        fs::write(loose.join(name), "---\ntask_id: \"0001\"\n---\n").unwrap();
    }
    let before = snapshot(dir.path());
    let mut client = server();
    client.initialize(&repo, watching_capabilities(), json!({}));
    // A Backlog.md task: markdown, but nothing FlowOS would read, so nothing to say.
    client.open(&repo.join("backlog/tasks/task-1 - Set-up-CI.md"), 1);
    client.open(&loose.join("0001-x.task.md"), 1);
    client.open(&loose.join("0001.ledger.jsonl"), 1);
    client.settle(Duration::from_millis(1500));
    let messages = shown(&client);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("loose/TASK-0001-x/"), "{messages:?}");
    let log = client.log_messages();
    assert_eq!(log.matches("no tasks root").count(), 1, "{log}");
    assert!(client.publish_log.is_empty(), "{:?}", client.publish_log);
    assert_eq!(client.shutdown(), Some(0));
    assert_eq!(snapshot(dir.path()), before, "something was written");
}

#[test]
fn a_tasks_root_setting_outside_the_folder_is_refused_with_one_message() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let root = write_tree_with_one_error(&ws);
    let broken = card(&root, "next", 2);
    for setting in ["/", "../../..", dir.path().to_str().unwrap()] {
        let mut client = server();
        let options = json!({"flowos": {"tasksRoot": setting}});
        client.settings = options.clone();
        client.initialize(&ws, watching_capabilities(), options);
        // The folder is searched instead, as if nothing were set.
        client.wait_for_rule(&broken, "missing-dependency");
        client.settle(Duration::from_millis(500));
        let messages = shown(&client);
        assert_eq!(messages.len(), 1, "{setting}: {messages:?}");
        assert!(
            messages[0].contains(&format!("flowos.tasksRoot `{setting}` is outside")),
            "{messages:?}"
        );
        let log = client.log_messages();
        assert!(log.lines().count() < 5, "{setting}: {log}");
        assert_eq!(client.shutdown(), Some(0));
    }
}

#[test]
fn an_empty_configuration_answer_keeps_the_initialization_options() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_tree_with_one_error(dir.path());
    let broken = card(&root, "next", 2);
    let options = json!({"flowos": {"rules": {"missing-dependency": "off"}}});
    let configuration_answered = |client: &Client| {
        client
            .server_requests
            .iter()
            .any(|request| request["method"] == "workspace/configuration")
    };

    // An answer with settings is applied (so the wait below is long enough to see one)...
    let mut client = server();
    client.settings = json!({"flowos": {"rules": {"missing-dependency": "warning"}}});
    client.initialize(dir.path(), watching_capabilities(), options.clone());
    client.wait_for_rule(&broken, "missing-dependency");
    assert_eq!(client.diagnostics[&uri(&broken)][0]["severity"], 2);
    assert_eq!(client.shutdown(), Some(0));

    // ...and an empty one erases nothing.
    let mut client = server();
    client.settings = json!({});
    client.initialize(dir.path(), watching_capabilities(), options);
    assert!(client.wait_until(TIMEOUT, configuration_answered));
    client.settle(Duration::from_millis(1500));
    assert!(
        !client.has_rule(&broken, "missing-dependency"),
        "{:?}",
        client.diagnostics
    );
    assert_eq!(client.shutdown(), Some(0));
}
