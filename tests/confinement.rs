//! SPEC §8 confinement, end to end: links from a tasks root to the outside (a stage folder, a
//! task folder, a card, a ledger, an index, the ID counter, namespace folders; absolute and
//! relative targets), names and IDs that look like paths (`..`, `/`, NUL), absolute paths
//! handed to commands, and watched-file events for links made after the server started.
//!
//! Each fixture sits beside a canary folder holding a secret string. Whatever runs (`check`,
//! `check --fix`, `transition`, `new`, the server's diagnostics, hover, completion, symbols,
//! code actions and commands), the secret never appears in what it prints or sends, every link
//! is reported, every write that would go through one is refused with a message saying so,
//! and the canary's bytes, links and modification times are the same afterwards.

#![cfg(unix)]
#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary; the product may not.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use support::faults::{Entry, Run, cli, snapshot};
use support::staged::{indexes, task};
use support::{Answers, Client, TIMEOUT, card, uri};

/// What the canary folder holds; it must never show up.
const SECRET: &str = "OUTSIDE-SECRET-5c1a9e";
/// Before any staged task's SLO runs out.
const NOW: &str = "2026-11-03T12:00:00Z";

struct Fixture {
    _dir: tempfile::TempDir,
    /// The workspace folder (`ws`), holding `.work/tasks`.
    folder: PathBuf,
    root: PathBuf,
    /// The canary folder beside the workspace.
    outside: PathBuf,
}

/// A card whose every value is the secret: reading it would put the secret in diagnostics
/// (an invalid stage is quoted back), in hover (its name) and in symbols.
fn evil_card(id: &str) -> String {
    format!(
        "---\ntask_id: \"{id}\"\ntask_name: \"{SECRET} name\"\nstage: \"{SECRET}-stage\"\nstatus: \"active\"\ncurrent_dri: \"@{SECRET}\"\n---\n\n## Goal\n\n{SECRET}\n"
    )
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// The canary: task packages, a ledger, a card, an index and counters, all secret.
fn canary(outside: &Path) {
    write(&outside.join("secret.txt"), SECRET);
    for (folder, id) in [
        ("stage/TASK-0009-evil", "0009"),
        ("fw/inbox/TASK-FW-0001-evil", "FW-0001"),
    ] {
        let short = id.rsplit('-').next().unwrap();
        write(
            &outside.join(folder).join(format!("{short}-evil.task.md")),
            &evil_card(id),
        );
        write(
            &outside.join(folder).join(format!("{short}.context.md")),
            &format!("{SECRET} TASK-0001\n"),
        );
        write(
            &outside.join(folder).join(format!("{short}.ledger.jsonl")),
            &format!("{{\"ts\":\"{SECRET}\",\"user\":\"@kim\",\"event\":\"{SECRET}\"}}\n"),
        );
    }
    let table = format!(
        "| ID | Name | DRI | Status |\n|----|------|-----|--------|\n| {SECRET} | x | @kim | active |\n"
    );
    write(&outside.join("stage/INDEX.md"), &table);
    write(&outside.join("INDEX.md"), &table);
    write(&outside.join("fw/ID_COUNTER.txt"), &format!("{SECRET}\n"));
    write(
        &outside.join("ledger.jsonl"),
        &format!("{{\"ts\":\"{SECRET}\",\"user\":\"@kim\",\"event\":\"created\"}}\n"),
    );
    write(&outside.join("card.task.md"), &evil_card("0006"));
    write(&outside.join("counter.txt"), &format!("0042 {SECRET}\n"));
}

/// Healthy tasks: backlog 0001 (depending on 0002, related to 0009, which exists only
/// outside), 0002, 0005, 0006 and 0007, and 0004 in current; every index lists them.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("ws");
    let root = folder.join(".work/tasks");
    task(
        &root,
        "backlog",
        1,
        "depends_on: [\"TASK-0002\"]\nrelated_to: [\"TASK-0009\"]\n",
    );
    task(&root, "backlog", 2, "blocks: [\"TASK-0001\"]\n");
    task(&root, "current", 4, "");
    for number in [5, 6, 7] {
        task(&root, "backlog", number, "");
    }
    indexes(&root, 100);
    let outside = dir.path().join("outside");
    canary(&outside);
    Fixture {
        _dir: dir,
        folder,
        root,
        outside,
    }
}

fn replace_with_link(target: &Path, link: &Path) {
    if link.is_dir() {
        fs::remove_dir_all(link).unwrap();
    } else {
        fs::remove_file(link).unwrap();
    }
    symlink(target, link).unwrap();
}

/// Every kind of link out of the root at once, as (path below the root, what it replaces).
fn link_everything(f: &Fixture) -> Vec<&'static str> {
    let (root, outside) = (&f.root, &f.outside);
    // A stage folder and a task folder, with absolute targets.
    replace_with_link(&outside.join("stage"), &root.join("integration"));
    symlink(
        outside.join("stage/TASK-0009-evil"),
        root.join("backlog/TASK-0009-evil"),
    )
    .unwrap();
    let index = root.join("backlog/INDEX.md");
    let rows = fs::read_to_string(&index).unwrap();
    fs::write(
        &index,
        format!("{rows}| 0009 | Job 0009 | @kim | active | - |\n"),
    )
    .unwrap();
    // A ledger (absolute) and a card (relative, climbing out through `..`).
    replace_with_link(
        &outside.join("ledger.jsonl"),
        &root.join("backlog/TASK-0005-job/0005.ledger.jsonl"),
    );
    replace_with_link(
        Path::new("../../../../../outside/card.task.md"),
        &root.join("backlog/TASK-0006-job/0006-job.task.md"),
    );
    // An index and the counter.
    replace_with_link(&outside.join("INDEX.md"), &root.join("next/INDEX.md"));
    replace_with_link(&outside.join("counter.txt"), &root.join("ID_COUNTER.txt"));
    // Namespace folders of the per-namespace and the hybrid layouts.
    symlink(outside.join("fw"), root.join("fw")).unwrap();
    symlink(outside.join("fw/inbox"), root.join("inbox/fw")).unwrap();
    // A secret file under a package file's name.
    symlink(
        outside.join("secret.txt"),
        root.join("backlog/TASK-0002-job/0002.learning.md"),
    )
    .unwrap();
    vec![
        "integration",
        "backlog/TASK-0009-evil",
        "backlog/TASK-0005-job/0005.ledger.jsonl",
        "backlog/TASK-0006-job/0006-job.task.md",
        "next/INDEX.md",
        "ID_COUNTER.txt",
        "fw",
        "inbox/fw",
        "backlog/TASK-0002-job/0002.learning.md",
    ]
}

fn run(f: &Fixture, args: &[&str]) -> Run {
    let run = cli(&f.folder, args, &[("FLOWOS_NOW", NOW)]);
    assert!(
        !run.all().contains(SECRET),
        "flowos-lsp {args:?} printed the secret:\n{}",
        run.all()
    );
    run
}

/// The links below the root, to prove none was replaced or removed.
fn links(root: &Path) -> BTreeMap<String, Entry> {
    snapshot(root)
        .into_iter()
        .filter(|(_, entry)| entry.what.starts_with("link -> "))
        .collect()
}

fn capabilities(watch: bool) -> Value {
    let mut workspace = json!({
        "configuration": true,
        "workspaceEdit": {"documentChanges": true, "resourceOperations": ["create", "rename"]},
    });
    if watch {
        workspace["didChangeWatchedFiles"] = json!({"dynamicRegistration": true});
    }
    json!({
        "window": {"workDoneProgress": true, "showDocument": {"support": true}},
        "workspace": workspace,
        "textDocument": {"codeAction": {"disabledSupport": true}},
        "general": {"positionEncodings": ["utf-16"]},
    })
}

fn start(f: &Fixture, watch: bool) -> Client {
    let mut client = Client::spawn_with_env(Answers::Normally, &[("FLOWOS_NOW", NOW)]);
    client.settings = json!({"user": "@ana"});
    client.initialize(&f.folder, capabilities(watch), json!({"user": "@ana"}));
    assert!(client.wait_indexed());
    client
}

/// Fails if anything the server sent so far holds the secret, or if a diagnostic or one of
/// the answers `also` names a file through a link (a refusal may quote the path it refused).
fn assert_nothing_leaked(client: &Client, also: &[&Value]) {
    for message in client.notifications.iter().chain(also.iter().copied()) {
        let text = message.to_string();
        assert!(!text.contains(SECRET), "the server sent the secret: {text}");
    }
    let diagnostics = client
        .notifications
        .iter()
        .filter(|n| n["method"] == "textDocument/publishDiagnostics");
    for message in diagnostics.chain(also.iter().copied()) {
        let text = message.to_string();
        assert!(
            !text.contains("TASK-0009-evil/") && !text.contains("TASK-FW-0001-evil/"),
            "the server sent a path through a link: {text}"
        );
    }
}

/// `line`:`character` in task 0001's card: line 9 is `related_to: ["TASK-0009"]`.
fn at_related(f: &Fixture) -> Value {
    json!({"textDocument": {"uri": uri(&card(&f.root, "backlog", 1))}, "position": {"line": 9, "character": 18}})
}

fn diagnostic_messages(client: &Client, path: &Path) -> Vec<String> {
    client
        .diagnostics
        .get(&uri(path))
        .map(|items| {
            items
                .iter()
                .map(|d| d["message"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn execute(client: &mut Client, command: &str, argument: Value) -> Value {
    client.request(
        "workspace/executeCommand",
        json!({"command": command, "arguments": [argument]}),
    )
}

#[test]
fn links_out_of_the_root_are_reported_and_never_read() {
    let f = fixture();
    let linked = link_everything(&f);
    let before = snapshot(&f.outside);

    let check = run(&f, &["check", "."]);
    assert_eq!(check.code, 1, "{}", check.all());
    for link in &linked {
        assert!(
            check
                .stderr
                .contains(&format!(".work/tasks/{link}: symbolic link not followed")),
            "{link} is not reported:\n{}",
            check.stderr
        );
    }
    for says in [
        "task folder `TASK-0005-job` has `0005.ledger.jsonl` but it was not read (symbolic link not followed",
        "task folder `TASK-0006-job` has `0006-job.task.md` but it was not read (symbolic link not followed",
        "ID_COUNTER.txt is there but was not read (symbolic link not followed",
        "this row lists TASK-0009, but no task in backlog has that ID (`backlog/TASK-0009-evil` is there but was not read: symbolic link not followed",
        "names TASK-0009, but no task has that ID",
    ] {
        assert!(check.stdout.contains(says), "{says}\n{}", check.stdout);
    }

    let mut client = start(&f, true);
    let card5 = card(&f.root, "backlog", 5);
    assert!(client.wait_until(TIMEOUT, |client| {
        diagnostic_messages(client, &card5)
            .iter()
            .any(|m| m.contains("has `0005.ledger.jsonl` but it was not read"))
    }));
    let log = client.log_messages();
    for link in &linked {
        assert!(
            log.contains(&format!(
                "{}: symbolic link not followed",
                f.root.join(link).display()
            )),
            "{link} is not logged:\n{log}"
        );
    }
    // Asking about the task that lives only outside finds nothing there.
    let hover = client.request("textDocument/hover", at_related(&f));
    let definition = client.request("textDocument/definition", at_related(&f));
    assert!(
        definition.is_null() || definition == json!([]),
        "{definition}"
    );
    let completion = client.request("textDocument/completion", at_related(&f));
    let symbols = client.request("workspace/symbol", json!({"query": ""}));
    let found = client.request("workspace/symbol", json!({"query": "evil"}));
    assert!(found.is_null() || found == json!([]), "{found}");
    // No quick fix offers to create a file where a link sits: an editor would write
    // through it.
    let mut actions = Vec::new();
    for path in [card5.clone(), f.root.join("ID_COUNTER.txt")] {
        let listed = client.request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": uri(&path)},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 40, "character": 0}},
                "context": {"diagnostics": client.diagnostics.get(&uri(&path)).cloned().unwrap_or_default()},
            }),
        );
        for action in listed.as_array().cloned().unwrap_or_default() {
            let title = action["title"].as_str().unwrap_or("").to_string();
            assert!(!title.starts_with("Create"), "{action}");
            assert!(
                !action.to_string().contains("\"kind\":\"create\""),
                "{action}"
            );
            actions.push(action);
        }
    }
    let answers = [&hover, &definition, &completion, &symbols, &found];
    let mut all: Vec<&Value> = answers.to_vec();
    all.extend(actions.iter());
    assert_nothing_leaked(&client, &all);
    assert_eq!(client.shutdown(), Some(0));
    assert_eq!(snapshot(&f.outside), before);
}

#[test]
fn writes_through_links_are_refused_and_change_nothing_outside() {
    let f = fixture();
    link_everything(&f);
    let outside = snapshot(&f.outside);
    let links_before = links(&f.root);
    let ledger4 = f.root.join("current/TASK-0004-job/0004.ledger.jsonl");
    let ledger4_text = fs::read_to_string(&ledger4).unwrap();

    // A move into the linked stage folder: refused before anything is written.
    let complete = run(&f, &["transition", "TASK-0004", "complete", "."]);
    assert_eq!(complete.code, 1, "{}", complete.all());
    assert!(
        complete
            .stderr
            .contains("`integration` is a symbolic link, and nothing is written through a link"),
        "{}",
        complete.stderr
    );
    assert_eq!(fs::read_to_string(&ledger4).unwrap(), ledger4_text);
    // The ledger and the card are links: there is nothing to write to.
    let prioritize = run(&f, &["transition", "TASK-0005", "prioritize", "."]);
    assert_eq!(prioritize.code, 1, "{}", prioritize.all());
    assert!(
        prioritize.stderr.contains(
            "task folder `TASK-0005-job` has `0005.ledger.jsonl` but it was not read (symbolic link not followed"
        ),
        "{}",
        prioritize.stderr
    );
    let card_link = run(&f, &["transition", "TASK-0006", "cancel", "."]);
    assert_eq!(card_link.code, 1, "{}", card_link.all());
    // The task that lives behind a link is not a task of this root.
    let behind = run(&f, &["transition", "TASK-0009", "prioritize", "."]);
    assert_eq!(behind.code, 2, "{}", behind.all());
    assert!(
        behind.stderr.contains("no task TASK-0009"),
        "{}",
        behind.stderr
    );
    // A move into `next`, whose INDEX.md is a link: the move happens, the linked index is
    // neither read nor written.
    let into_next = run(&f, &["transition", "TASK-0007", "prioritize", "."]);
    assert_eq!(into_next.code, 0, "{}", into_next.all());
    assert!(f.root.join("next/TASK-0007-job").is_dir());
    // The counter is a link: no ID is reserved from it.
    for args in [
        &["new", "Escape", "--user", "@ana", "."][..],
        &["new", "Escape", "--namespace", "FW", "--user", "@ana", "."][..],
    ] {
        let new = run(&f, args);
        assert_eq!(new.code, 1, "{}", new.all());
        assert!(
            new.stderr
                .contains("ID_COUNTER.txt was not read (symbolic link not followed"),
            "{}",
            new.stderr
        );
    }
    let fix = run(&f, &["check", "--fix", "--user", "@ana", "."]);
    assert!(fix.code == 0 || fix.code == 1, "{}", fix.all());
    assert_eq!(snapshot(&f.outside), outside, "check --fix wrote outside");

    // The same through the server's commands.
    let mut client = start(&f, true);
    let root = f.root.to_string_lossy().into_owned();
    let refusals = [
        (
            "flowos.transition",
            json!({"root": root, "task": "TASK-0004", "action": "complete"}),
            "`integration` is a symbolic link",
        ),
        (
            "flowos.transition",
            json!({"root": root, "task": "TASK-0005", "action": "prioritize"}),
            "has `0005.ledger.jsonl` but it was not read",
        ),
        (
            "flowos.completeTransition",
            json!({"root": root, "task": "TASK-0006"}),
            "TASK-0006",
        ),
        (
            "flowos.transition",
            json!({"root": f.outside.join("stage").to_string_lossy(), "task": "TASK-0009", "action": "prioritize"}),
            "no longer in the workspace",
        ),
        (
            "flowos.createFile",
            json!({"path": f.outside.join("new.md").to_string_lossy(), "text": "x"}),
            "not below a tasks root",
        ),
        (
            "flowos.createFile",
            json!({"path": f.root.join("inbox/../../../outside/new.md").to_string_lossy(), "text": "x"}),
            "`..` is not a plain folder or file name",
        ),
        (
            "flowos.createFile",
            json!({"path": f.root.join("backlog/TASK-0005-job/0005.ledger.jsonl").to_string_lossy(), "text": "x"}),
            "is a symbolic link",
        ),
        (
            "flowos.createFile",
            json!({"path": f.root.join("integration/TASK-0009-evil/0009.learning.md").to_string_lossy(), "text": "x"}),
            "`integration` is a symbolic link",
        ),
        (
            "flowos.newTask",
            json!({"name": "Escape"}),
            "ID_COUNTER.txt was not read",
        ),
    ];
    let mut answers = Vec::new();
    for (command, argument, says) in refusals {
        let answer = execute(&mut client, command, argument.clone());
        assert_eq!(answer["ok"], json!(false), "{command} {argument}: {answer}");
        assert!(
            answer["message"].as_str().is_some_and(|m| m.contains(says)),
            "{command} {argument}: {answer}"
        );
        assert!(!answer.to_string().contains(SECRET), "{answer}");
        answers.push(answer);
    }
    assert_nothing_leaked(&client, &[]);
    assert_eq!(client.shutdown(), Some(0));
    assert_eq!(snapshot(&f.outside), outside, "a command wrote outside");
    assert_eq!(
        links(&f.root),
        links_before,
        "a link was replaced or removed"
    );
}

#[test]
fn names_and_ids_that_look_like_paths_never_become_paths() {
    let f = fixture();
    let root = &f.root;
    // `task_id` values that are paths, or hold a NUL; a folder name holding `..`.
    task(root, "backlog", 10, "task_id: \"../../../../outside/x\"\n");
    task(root, "backlog", 11, "task_id: \"0011/../../x\"\n");
    task(root, "backlog", 12, "task_id: \"\\0/..\"\n");
    task(root, "backlog", 13, "");
    fs::rename(
        root.join("backlog/TASK-0013-job"),
        root.join("backlog/TASK-0013-..job"),
    )
    .unwrap();
    indexes(root, 100);
    // Everything outside the tasks root, the workspace folder's own files included.
    let outside_root = |f: &Fixture| -> BTreeMap<String, Entry> {
        let mut all = snapshot(&f.outside);
        all.extend(
            snapshot(&f.folder)
                .into_iter()
                .filter(|(rel, _)| !rel.starts_with(".work/tasks"))
                .map(|(rel, entry)| (format!("ws/{rel}"), entry)),
        );
        all
    };
    let before = outside_root(&f);

    let check = run(&f, &["check", "."]);
    assert_eq!(check.code, 1, "{}", check.all());
    assert!(check.stdout.contains("task_id"), "{}", check.stdout);
    for number in [10, 11, 12, 13] {
        let id = format!("TASK-{number:04}");
        let moved = run(&f, &["transition", &id, "prioritize", "."]);
        assert!(moved.code == 0 || moved.code == 1, "{}", moved.all());
    }
    assert!(root.join("next/TASK-0013-..job").is_dir());
    for name in ["../../../../outside/escape", "a/b\\c", "..", "/"] {
        let new = run(&f, &["new", name, "--user", "@ana", "."]);
        assert_eq!(new.code, 0, "{name}: {}", new.all());
        assert!(
            new.stdout.contains(".work/tasks/inbox/TASK-"),
            "{}",
            new.stdout
        );
    }
    for namespace in ["../x", "/abs", "fw/../..", "FW\u{1}"] {
        let new = run(
            &f,
            &["new", "x", "--namespace", namespace, "--user", "@ana", "."],
        );
        assert_eq!(new.code, 1, "{namespace}: {}", new.all());
        assert!(new.stderr.contains("is not a namespace"), "{}", new.stderr);
    }
    let _ = run(&f, &["check", "--fix", "--user", "@ana", "."]);

    let mut client = start(&f, true);
    let named = [
        json!({"name": "a\u{0}b/../../../../outside/c"}),
        json!({"name": "x", "namespace": "../x"}),
        json!({"name": "y", "root": f.outside.to_string_lossy()}),
        json!({"name": "z", "root": "/"}),
    ];
    for argument in named {
        let answer = execute(&mut client, "flowos.newTask", argument.clone());
        if let Some(shown) = answer["show"].as_str() {
            assert!(
                shown.starts_with(&uri(&root.join("inbox/TASK-"))),
                "{argument}: {answer}"
            );
        }
    }
    assert_nothing_leaked(&client, &[]);
    assert_eq!(client.shutdown(), Some(0));

    assert_eq!(
        outside_root(&f),
        before,
        "something was written outside the tasks root"
    );
    for rel in snapshot(root).keys() {
        assert!(!rel.contains('\0'), "{rel:?}");
    }
}

#[test]
fn watched_file_events_never_lead_the_server_outside() {
    let f = fixture();
    let before = snapshot(&f.outside);
    let mut client = start(&f, true);
    // After the start: a task folder and a stage-like folder that are links, a ledger that
    // becomes one, and an event path climbing out with `..`.
    let task_link = f.root.join("backlog/TASK-0009-evil");
    symlink(f.outside.join("stage/TASK-0009-evil"), &task_link).unwrap();
    let folder_link = f.root.join("inbox/late");
    symlink(f.outside.join("stage"), &folder_link).unwrap();
    let ledger2 = f.root.join("backlog/TASK-0002-job/0002.ledger.jsonl");
    replace_with_link(&f.outside.join("ledger.jsonl"), &ledger2);
    let climbing = f
        .root
        .join("inbox/../../../../outside/stage/TASK-0009-evil/0009-evil.task.md");
    let events: Vec<Value> = [
        task_link.clone(),
        task_link.join("0009-evil.task.md"),
        folder_link.clone(),
        folder_link.join("TASK-0009-evil"),
        folder_link.join("TASK-0009-evil/0009-evil.task.md"),
        ledger2.clone(),
        climbing,
    ]
    .iter()
    .map(|path| json!({"uri": format!("file://{}", path.display()), "type": 1}))
    .collect();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": events}),
    );
    // The editor opens the outside card through the link (and through `..`): its text is the
    // client's, but the file is not one of the root's and must not join the model.
    let opened = [
        folder_link.join("TASK-0009-evil/0009-evil.task.md"),
        f.root
            .join("backlog/../../../../outside/stage/TASK-0009-evil/0009-evil.task.md"),
    ];
    for path in &opened {
        client.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": format!("file://{}", path.display()), "languageId": "markdown", "version": 1, "text": evil_card("0009")}}),
        );
    }
    let card2 = card(&f.root, "backlog", 2);
    assert!(
        client.wait_until(TIMEOUT, |client| {
            diagnostic_messages(client, &card2)
                .iter()
                .any(|m| m.contains("has `0002.ledger.jsonl` but it was not read (symbolic link"))
        }),
        "{:?}",
        diagnostic_messages(&client, &card2)
    );
    let log = client.log_messages();
    for link in [&task_link, &folder_link, &ledger2] {
        assert!(
            log.contains(&format!("{}: symbolic link not followed", link.display())),
            "{}\n{log}",
            link.display()
        );
    }
    let hover = client.request("textDocument/hover", at_related(&f));
    let symbols = client.request("workspace/symbol", json!({"query": "0009"}));
    assert!(symbols.is_null() || symbols == json!([]), "{symbols}");
    // Pulling the opened files' diagnostics waits for the analysis that saw them.
    let mut pulled: Vec<Value> = opened
        .iter()
        .map(|path| {
            client.request(
                "textDocument/diagnostic",
                json!({"textDocument": {"uri": format!("file://{}", path.display())}}),
            )
        })
        .collect();
    pulled.extend([hover, symbols]);
    assert_nothing_leaked(&client, &pulled.iter().collect::<Vec<_>>());
    assert_eq!(client.shutdown(), Some(0));
    assert_eq!(snapshot(&f.outside), before);
}

/// A client that cannot watch files gets the server's own watcher, which must not follow a
/// link to a folder outside: it would watch the outside and re-read what changes there.
#[test]
fn the_fallback_watcher_does_not_follow_links() {
    let f = fixture();
    symlink(f.outside.join("stage"), f.root.join("inbox/late")).unwrap();
    let mut client = start(&f, false);
    assert!(client.wait_until(TIMEOUT, |client| {
        client.log_messages().contains("inbox/late")
    }));
    // Give the watcher time to settle, then change the outside under the link. A watcher
    // following the link reports these paths as `…/inbox/late/…`.
    std::thread::sleep(Duration::from_millis(300));
    let outside_task = f.outside.join("stage/TASK-0009-evil");
    write(
        &outside_task.join("0009-evil.task.md"),
        &evil_card("0009").replace("Goal", "Goals"),
    );
    write(&outside_task.join("0009.learning.md"), SECRET);
    fs::create_dir_all(f.outside.join("stage/TASK-0010-evil")).unwrap();
    write(
        &f.outside.join("stage/TASK-0010-evil/0010-evil.task.md"),
        &evil_card("0010"),
    );
    // Meanwhile a change inside the root is seen, so the watcher is alive.
    let card1 = card(&f.root, "backlog", 1);
    let text = fs::read_to_string(&card1).unwrap();
    fs::write(&card1, text.replace("stage: \"backlog\"", "stage: \"nxt\"")).unwrap();
    assert!(
        client.wait_until(TIMEOUT, |client| {
            diagnostic_messages(client, &card1)
                .iter()
                .any(|m| m.contains("nxt"))
        }),
        "the watcher saw no change inside the root"
    );
    client.settle(Duration::from_millis(500));
    let symbols = client.request("workspace/symbol", json!({"query": "evil"}));
    assert!(symbols.is_null() || symbols == json!([]), "{symbols}");
    assert_nothing_leaked(&client, &[&symbols]);
    assert_eq!(client.shutdown(), Some(0));
}
