//! SPEC §8 reliability over stdio: a client that never answers the server's own requests
//! (progress token, configuration, watcher registration, showDocument) still gets answers.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary; the product may not.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::{Answers, Client, Task, card, uri, write_workspace};

#[test]
fn a_client_that_never_answers_still_gets_hover_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_workspace(
        dir.path(),
        &[
            Task("backlog", 1, ""),
            Task("next", 2, "depends_on: [\"TASK-0001\"]\n"),
        ],
    );
    let mut client = Client::spawn(Answers::Never);
    let started = Instant::now();
    client.initialize(
        dir.path(),
        json!({
            "window": {"workDoneProgress": true, "showDocument": {"support": true}},
            "workspace": {
                "configuration": true,
                "didChangeWatchedFiles": {"dynamicRegistration": true},
            },
        }),
        json!({"user": "@ana"}),
    );
    // `depends_on: ["TASK-0001"]` is line 8 of the card; hover inside the ID.
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&card(&root, "next", 2))}, "position": {"line": 8, "character": 18}}),
    );
    let waited = started.elapsed();
    assert!(
        hover["contents"]["value"]
            .as_str()
            .is_some_and(|text| text.contains("TASK-0001")),
        "{hover}"
    );
    assert!(waited < Duration::from_secs(1), "hover took {waited:?}");
    // The server asked for a progress token, settings and a watcher, and got no answer.
    let asked: Vec<&str> = client
        .server_requests
        .iter()
        .filter_map(|request| request["method"].as_str())
        .collect();
    assert!(
        asked.contains(&"window/workDoneProgress/create"),
        "{asked:?}"
    );

    // While a command waits for its unanswered showDocument, hover is still answered at once.
    let command = client.request_async(
        "workspace/executeCommand",
        json!({"command": "flowos.newTask", "arguments": [{"name": "Unanswered"}]}),
    );
    let sent = Instant::now();
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&card(&root, "next", 2))}, "position": {"line": 8, "character": 18}}),
    );
    assert!(hover["contents"]["value"].is_string(), "{hover}");
    assert!(
        sent.elapsed() < Duration::from_secs(1),
        "{:?}",
        sent.elapsed()
    );
    let answer = client
        .wait_response(command, Duration::from_secs(10))
        .expect("the command is answered once showDocument times out");
    assert_eq!(answer["result"]["ok"], true, "{answer}");
    assert!(root.join("inbox/TASK-9000-unanswered").is_dir());
}

/// The capabilities that make the server ask the client for a progress token, its settings
/// and a file watcher as soon as it is initialized.
fn asking_capabilities() -> serde_json::Value {
    json!({
        "window": {"workDoneProgress": true},
        "workspace": {
            "configuration": true,
            "didChangeWatchedFiles": {"dynamicRegistration": true},
        },
    })
}

/// Sends `exit` and returns how long the process took to end, and its exit code.
fn exit_and_wait(client: &mut Client) -> (Duration, Option<i32>) {
    client.notify("exit", serde_json::Value::Null);
    let sent = Instant::now();
    let code = client.wait_exit(Duration::from_secs(10));
    (sent.elapsed(), code)
}

#[test]
fn exit_ends_the_process_at_once_while_requests_to_the_client_are_unanswered() {
    let dir = tempfile::tempdir().unwrap();
    write_workspace(dir.path(), &[Task("backlog", 1, "")]);
    let mut client = Client::spawn(Answers::Never);
    client.initialize(dir.path(), asking_capabilities(), json!({}));
    // The server is waiting on its own requests to the client, which never answers.
    assert!(client.wait_until(Duration::from_secs(10), |client| {
        client.server_requests.len() >= 2
    }));
    client.request("shutdown", serde_json::Value::Null);
    let (took, code) = exit_and_wait(&mut client);
    assert_eq!(code, Some(0), "exit after shutdown is a clean exit");
    // Clients give a server 2 s before killing it (VS Code, pytest-lsp); SPEC §6 says at once.
    assert!(took < Duration::from_millis(500), "exit took {took:?}");
}

#[test]
fn exit_without_shutdown_ends_with_code_1() {
    let dir = tempfile::tempdir().unwrap();
    write_workspace(dir.path(), &[Task("backlog", 1, "")]);
    let mut client = Client::spawn(Answers::Never);
    client.initialize(dir.path(), asking_capabilities(), json!({}));
    let (took, code) = exit_and_wait(&mut client);
    assert_eq!(code, Some(1), "exit without shutdown is an error exit");
    assert!(took < Duration::from_millis(500), "exit took {took:?}");
}
