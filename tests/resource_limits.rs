//! SPEC §8 bounded resources, end to end: files over the safety caps are reported by
//! `resource-limit` (from `check` and from the server), and a client that opens a 100 MB
//! buffer costs the server about one copy of it beyond what the JSON-RPC transport needs to
//! read the message, while the server keeps answering.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary; the product may not.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Client, TIMEOUT, Task, card, uri, write_workspace};

const MB: u64 = 1024 * 1024;

/// The size of the buffer the client opens.
const HUGE: usize = 100 * MB as usize;

/// The server's peak and current resident memory, in MB (Linux `/proc`).
fn memory_mb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
            / 1024
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// A JSON-RPC notification whose params end with a string of about `size` bytes of card
/// text (lines of prose with task references), written straight into the body: building
/// it as a `serde_json::Value` would cost the test several copies.
fn huge_notification(method: &str, params_head: &str, params_tail: &str, size: usize) -> String {
    let line = "Some words about TASK-0002 and the rest of the plan.\\n";
    let lines = size / (line.len() - 1);
    let mut body = String::with_capacity(lines * line.len() + params_head.len() + 200);
    body.push_str(&format!(
        "{{\"jsonrpc\":\"2.0\",\"method\":\"{method}\",\"params\":{params_head}\"---\\ntask_id: \\\"0001\\\"\\n---\\n"
    ));
    for _ in 0..lines {
        body.push_str(line);
    }
    body.push('"');
    body.push_str(params_tail);
    body.push('}');
    body
}

fn hover(client: &mut Client, path: &Path, line: u32, character: u32) -> Value {
    client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(path)}, "position": {"line": line, "character": character}}),
    )
}

/// Whether a hover on the depends_on item of task 2's card names task 1.
fn hover_works(client: &mut Client, root: &Path) -> bool {
    // `depends_on: ["TASK-0001"]` is line 8 of the card; hover inside the ID.
    hover(client, &card(root, "backlog", 2), 8, 18)["contents"]["value"]
        .as_str()
        .is_some_and(|text| text.contains("TASK-0001"))
}

fn workspace(dir: &Path) -> std::path::PathBuf {
    write_workspace(
        dir,
        &[
            Task("backlog", 1, ""),
            Task("backlog", 2, "depends_on: [\"TASK-0001\"]\n"),
        ],
    )
}

/// What the transport alone costs: the server reads two 100 MB notifications it ignores
/// (the second one costs a little more: the read buffer is reused, not returned).
fn transport_peak_mb() -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace(dir.path());
    let mut client = Client::start(dir.path(), json!({}), json!({}));
    let body = huge_notification("$/flowos/ignored", "{\"text\":", "}", HUGE);
    for _ in 0..2 {
        client.send_raw(&body);
        assert!(hover_works(&mut client, &root));
    }
    memory_mb(client.pid()).0
}

#[test]
fn a_100_mb_buffer_costs_one_copy_and_the_server_keeps_serving() {
    let started = Instant::now();
    let transport = transport_peak_mb();
    eprintln!(
        "transport alone: peak {transport} MB ({:?})",
        started.elapsed()
    );

    let dir = tempfile::tempdir().unwrap();
    let root = workspace(dir.path());
    let mut client = Client::start(dir.path(), json!({}), json!({}));
    assert!(hover_works(&mut client, &root));
    let (baseline, _) = memory_mb(client.pid());
    let path = card(&root, "backlog", 1);

    let body = huge_notification(
        "textDocument/didOpen",
        &format!(
            "{{\"textDocument\":{{\"uri\":\"{}\",\"languageId\":\"markdown\",\"version\":1,\"text\":",
            uri(&path)
        ),
        "}}",
        HUGE,
    );
    let sent = Instant::now();
    client.send_raw(&body);
    drop(body);
    let published = client.wait_until(TIMEOUT, |client| client.has_rule(&path, "resource-limit"));
    assert!(published, "{:?}", client.diagnostics.get(&uri(&path)));
    let diagnostics = &client.diagnostics[&uri(&path)];
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let message = diagnostics[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("file is 100.1 MB, over the 2 MB cap for a task file"),
        "{message}"
    );
    assert_eq!(
        diagnostics[0]["range"],
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 3}})
    );
    let (after_open, _) = memory_mb(client.pid());
    eprintln!("open: {:?}, peak {after_open} MB", sent.elapsed());

    // Requests on the huge buffer answer (with nothing), requests elsewhere as usual.
    assert_eq!(hover(&mut client, &path, 3, 20), Value::Null);
    for method in ["textDocument/documentSymbol", "textDocument/codeLens"] {
        let response = client.request_full(method, json!({"textDocument": {"uri": uri(&path)}}));
        assert!(response.get("error").is_none(), "{method}: {response}");
    }
    let completion = client.request_full(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri(&path)}, "position": {"line": 1, "character": 10}}),
    );
    assert!(completion.get("error").is_none(), "{completion}");
    assert!(hover_works(&mut client, &root));

    // A keystroke in the middle of it is applied to the rope, and the server answers at once.
    let typed = Instant::now();
    client.edit(&path, 2, (1_000_000, 5), (1_000_000, 5), "x");
    assert!(hover_works(&mut client, &root));
    assert!(
        typed.elapsed() < Duration::from_secs(5),
        "{:?}",
        typed.elapsed()
    );

    // The client replaces the whole text, again 100 MB.
    let body = huge_notification(
        "textDocument/didChange",
        &format!(
            "{{\"textDocument\":{{\"uri\":\"{}\",\"version\":3}},\"contentChanges\":[{{\"text\":",
            uri(&path)
        ),
        "}]}",
        HUGE,
    );
    let sent = Instant::now();
    client.send_raw(&body);
    drop(body);
    assert!(hover_works(&mut client, &root));
    let (after_full, resident) = memory_mb(client.pid());
    eprintln!(
        "full change: {:?}, peak {after_full} MB, resident {resident} MB; baseline {baseline} MB",
        sent.elapsed()
    );

    // Selecting all but the frontmatter and deleting it brings the card back under the cap:
    // it is analysed again (a card with only a task_id misses its other fields).
    client.edit(&path, 4, (3, 0), (u32::MAX, 0), "");
    let analysed = client.wait_until(TIMEOUT, |client| {
        client.has_rule(&path, "field-missing") && !client.has_rule(&path, "resource-limit")
    });
    assert!(analysed, "{:?}", client.rules(&path));

    // To read a message the transport needs about four copies of it (its read buffer,
    // serde_json's scratch space for the escaped string, serde's buffer for the untagged
    // message enum, the JSON value). The server adds the rope, its one copy of the buffer:
    // built once the transport's copies are gone, so the open costs nothing over the
    // transport's peak, while the full replacement is read with the old rope still held,
    // one copy over it (plus half a copy of slack for the allocator).
    let text_mb = HUGE as u64 / MB;
    assert!(
        after_open <= transport + text_mb / 4,
        "open: peak {after_open} MB, transport alone {transport} MB"
    );
    assert!(
        after_full <= transport + text_mb + text_mb / 2,
        "full change: peak {after_full} MB, transport alone {transport} MB"
    );
    // Afterwards: the rope and the transport's read buffer, which it keeps for reuse.
    assert!(
        resident <= baseline + 3 * text_mb,
        "resident {resident} MB after the change, baseline {baseline} MB"
    );
    client.shutdown();
    eprintln!("total {:?}", started.elapsed());
}

#[test]
fn check_reports_files_over_the_caps_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace(dir.path());
    // A card over the file cap (written sparse: no need to fill 3 MB of disk), a ledger
    // line over the line cap, a frontmatter nested too deep.
    let big_card = card(&root, "backlog", 1);
    let file = std::fs::File::create(&big_card).unwrap();
    file.set_len(3 * MB).unwrap();
    let ledger = root.join("backlog/TASK-0002-job/0002.ledger.jsonl");
    let mut text = std::fs::read_to_string(&ledger).unwrap();
    text.push_str(&format!(
        "{{\"desc\":\"{}\"}}\n",
        "x".repeat(MB as usize + 1)
    ));
    std::fs::write(&ledger, text).unwrap();
    let deep_card = card(&root, "backlog", 2);
    let text = std::fs::read_to_string(&deep_card).unwrap().replacen(
        "depends_on:",
        &format!("x_deep: {}{}\ndepends_on:", "[".repeat(20), "]".repeat(20)),
        1,
    );
    std::fs::write(&deep_card, text).unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
        .args(["check", "--rule", "slo-exceeded=off"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let limits: Vec<&str> = stdout
        .lines()
        .filter(|line| line.contains("[resource-limit]"))
        .collect();
    assert_eq!(limits.len(), 3, "{stdout}");
    for (line, expected) in limits.iter().zip([
        "0001-job.task.md:1:1: error[resource-limit] file is 3 MB, over the 2 MB cap for a task file; it was not analysed",
        "0002-job.task.md:9:25: error[resource-limit] lists or mappings nest deeper than the 16-level YAML depth cap; the frontmatter was not analysed",
        "0002.ledger.jsonl:2:1: error[resource-limit] line 2 is 1.1 MB long, over the 1 MB line cap; it was not analysed",
    ]) {
        assert!(line.ends_with(expected), "{line}\nexpected it to end with\n{expected}");
    }
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A context just under its 2 MB cap, nearly all of it references to TASK-0001: the worst a
/// file within the caps can do to references, links and typing.
#[test]
fn a_file_within_the_caps_costs_at_most_ten_times_its_size_and_lists_are_cut() {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace(dir.path());
    let context = root.join("backlog/TASK-0002-job/0002.context.md");
    let mut client = Client::start(dir.path(), json!({}), json!({}));
    assert!(hover_works(&mut client, &root));
    let (baseline, _) = memory_mb(client.pid());

    // The client opens the context with nearly 2 MB of text, all references to TASK-0001.
    let size = 2 * MB as usize - 4096;
    let text = format!("# Context\n{}\n", "TASK-0001 ".repeat(size / 10));
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(&context), "languageId": "markdown", "version": 1, "text": text}}),
    );
    drop(text);
    assert!(client.wait_until(TIMEOUT, |client| {
        client.has_rule(&context, "resource-limit")
    }));

    // References to TASK-0001 from its own card: cut at 2,000, and the log says so.
    let references = client.request(
        "textDocument/references",
        json!({"textDocument": {"uri": uri(&card(&root, "backlog", 1))},
               "position": {"line": 1, "character": 11}, "context": {"includeDeclaration": false}}),
    );
    assert_eq!(references.as_array().map_or(0, Vec::len), 2_000);
    let links = client.request(
        "textDocument/documentLink",
        json!({"textDocument": {"uri": uri(&context)}}),
    );
    // Links: one per KB of the file at most (2,044 here).
    assert_eq!(links.as_array().map_or(0, Vec::len), (size + 20) / 1024);
    client.settle(Duration::from_millis(200));
    let log = client.log_messages();
    assert!(
        log.contains("listed the first 2000 of 10003 references"),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "listed the first {} of 10000 links",
            (size + 20) / 1024
        )),
        "{log}"
    );

    // Typing in it: every keystroke is taken, and a hover elsewhere is answered meanwhile.
    let typed = Instant::now();
    for version in 2..22 {
        client.edit(&context, version, (1, 0), (1, 0), "x");
    }
    assert!(hover_works(&mut client, &root));
    let waited = typed.elapsed();
    let (peak, _) = memory_mb(client.pid());
    let file_mb = (size as u64).div_ceil(MB);
    eprintln!("baseline {baseline} MB, peak {peak} MB, typing + hover {waited:?}");
    // SPEC §8: at most 10× the input. Measured here (debug build): about 7.5×, the
    // transport's copies of the message, the rope, the model's text and, while typing, the
    // text being replaced; 11× before the allocator was told to give big blocks back at once
    // (`lsp::return_big_blocks_at_once`). Uncapped lists cost hundreds of times the input.
    assert!(
        peak <= baseline + 10 * file_mb,
        "peak {peak} MB over baseline {baseline} MB + 10 × {file_mb} MB"
    );
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    client.shutdown();
}
