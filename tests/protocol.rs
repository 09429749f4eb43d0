//! SPEC §8 over stdio: malformed JSON-RPC frames are answered (or logged) and skipped, and the
//! server keeps serving the requests that follow them.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary; the product may not.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Answers, Client, Task, card, uri, write_workspace};

fn framed(body: &[u8]) -> Vec<u8> {
    let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    frame.extend_from_slice(body);
    frame
}

/// Each malformed frame of the attack, and the error code its answer carries (None: only
/// logged, since there is no message to answer until the input resynchronises).
fn malformed_frames() -> Vec<(&'static str, Vec<u8>, Option<i64>)> {
    let nested = format!(
        r#"{{"jsonrpc":"2.0","id":5,"method":"x","params":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    vec![
        (
            "a body that is not JSON",
            framed(b"hello there"),
            Some(-32700),
        ),
        ("an empty batch", framed(b"[]"), Some(-32600)),
        (
            "no jsonrpc member",
            framed(br#"{"id":90,"method":"textDocument/hover"}"#),
            Some(-32600),
        ),
        (
            "an object as id",
            framed(br#"{"jsonrpc":"2.0","id":{"x":1},"method":"shutdown"}"#),
            Some(-32600),
        ),
        (
            "invalid UTF-8",
            framed(b"{\"jsonrpc\":\"2.0\",\"method\":\"\xc3\x28\"}"),
            Some(-32700),
        ),
        (
            "a bad Content-Length",
            b"Content-Length: lots\r\n\r\n{}".to_vec(),
            Some(-32700),
        ),
        (
            "no Content-Length",
            b"Content-Type: application/json\r\n\r\n{}".to_vec(),
            Some(-32700),
        ),
        (
            "100,000 nested brackets",
            framed(nested.as_bytes()),
            Some(-32700),
        ),
    ]
}

/// A server on a two-task workspace, and the card whose hover names TASK-0001.
fn started() -> (tempfile::TempDir, std::path::PathBuf, Client) {
    let dir = tempfile::tempdir().unwrap();
    let root = write_workspace(
        dir.path(),
        &[
            Task("backlog", 1, ""),
            Task("next", 2, "depends_on: [\"TASK-0001\"]\n"),
        ],
    );
    let card = card(&root, "next", 2);
    let mut client = Client::spawn(Answers::Normally);
    client.initialize(dir.path(), json!({}), json!({}));
    (dir, card, client)
}

fn hover_works(client: &mut Client, path: &std::path::Path) -> bool {
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(path)}, "position": {"line": 8, "character": 18}}),
    );
    hover["contents"]["value"]
        .as_str()
        .is_some_and(|text| text.contains("TASK-0001"))
}

/// The codes of the error responses received so far.
fn error_codes(client: &Client) -> Vec<i64> {
    client
        .error_responses
        .iter()
        .filter_map(|response| response["error"]["code"].as_i64())
        .collect()
}

#[test]
fn every_malformed_frame_is_answered_and_the_next_request_still_is() {
    let (_dir, card, mut client) = started();
    assert!(hover_works(&mut client, &card));

    for (name, bytes, code) in malformed_frames() {
        let before = error_codes(&client).len();
        client.send_bytes(&bytes);
        assert!(hover_works(&mut client, &card), "after {name}");
        if let Some(code) = code {
            // The answer travels beside the server's own output: it may come after the
            // hover's.
            client.wait_until(Duration::from_secs(10), |client| {
                error_codes(client).len() > before
            });
            let codes = error_codes(&client);
            assert_eq!(codes[before..], [code], "{name}: {codes:?}");
        }
    }
    // Each one was logged to the client (the last log may still be on its way).
    let frames = malformed_frames().len();
    client.wait_until(Duration::from_secs(10), |client| {
        client
            .log_messages()
            .matches("ignored a malformed message")
            .count()
            >= frames
    });
    let logged = client.log_messages();
    assert!(
        logged.matches("ignored a malformed message").count() >= malformed_frames().len(),
        "{logged}"
    );

    // An LF-only header is read as a header.
    let id = 4242;
    let body = json!({"jsonrpc": "2.0", "id": id, "method": "shutdown"}).to_string();
    client.send_bytes(format!("Content-Length: {}\n\n{body}", body.len()).as_bytes());
    let answer = client
        .wait_response(id, Duration::from_secs(10))
        .expect("an answer to a request framed with LF-only lines");
    assert_eq!(answer["result"], Value::Null, "{answer}");
    client.notify("exit", Value::Null);
    assert_eq!(client.wait_exit(Duration::from_secs(5)), Some(0));
}

#[test]
fn a_header_without_end_and_a_truncated_body_do_not_stop_the_server() {
    let (_dir, card, mut client) = started();
    // 64 MB of header with no blank line: capped, not buffered, then resynchronised.
    let endless = vec![b'x'; 1024 * 1024];
    for _ in 0..64 {
        client.send_bytes(&endless);
    }
    assert!(hover_works(&mut client, &card), "after an endless header");
    let peak_kb = support::peak_rss_kb(client.pid());
    assert!(
        peak_kb < 200 * 1024,
        "peak {peak_kb} KB after a 64 MB header"
    );
    // A body shorter than its Content-Length swallows what follows until its length is
    // reached; the request after it is answered.
    client.send_bytes(b"Content-Length: 20\r\n\r\n{\"jsonrpc\":");
    client.send_bytes(b"                    ");
    assert!(hover_works(&mut client, &card), "after a truncated body");
    assert_eq!(client.shutdown(), Some(0));
}
