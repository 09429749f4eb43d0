//! Ordering under concurrency (issue 9, item 3): thousands of incremental didChange
//! notifications on several documents, interleaved with requests that are not waited for
//! (completion, references, hover, symbols, pulls) on a workspace big enough for them to take
//! a while, end with the server's text equal to the client's, every request answered, versions
//! published in order per document, the last one published being the last one sent, and the
//! diagnostics those of a fresh `check` of the client's text.
//!
//! `FLOWOS_FUZZ_CASES=n` runs n rounds with different seeds (long mode); a failure names its
//! seed, and `FLOWOS_FUZZ_SEED=s` replays that round (the client's side is the same sequence
//! for a seed; the server's timing is not, which is the point).

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary; the product may not.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::rng::Rng;
use support::text::{self, Pos};
use support::{Answers, Client, Task, card, uri, write_workspace};

const NOW: &str = "2026-06-01T00:00:00Z";
/// didChange notifications per round.
const CHANGES: usize = 3000;
/// Tasks in the workspace: every one depends on TASK-0001, so its references and the
/// completion of task IDs have hundreds of candidates.
const TASKS: u32 = 200;

/// Text inserted by the edits: every line break the protocol knows, characters that are not
/// line breaks to the protocol but are to some libraries (U+2028, U+0085, form feed, vertical
/// tab), characters of two UTF-16 units, and text the rules react to.
const TOKENS: [&str; 20] = [
    "a",
    "TASK-0002",
    ", \"TASK-0003\"",
    "é",
    "🎉",
    "漢字",
    "e\u{301}",
    "\n",
    "\r\n",
    "\r",
    "\u{2028}",
    "\u{2029}",
    "\u{85}",
    "\u{b}",
    "\u{c}",
    " ",
    "\"",
    "[",
    "---\n",
    "| 0042 | Ghost | @kim | backlog | active |\n",
];

/// A position on a character boundary (never inside a surrogate pair), or past a line's end
/// now and then (the protocol says it means the line's end).
fn position(text: &str, rng: &mut Rng) -> Pos {
    let lines = text::lines(text);
    let line = rng.below(lines.len());
    let (start, end) = lines[line];
    let mut cols = vec![0u32];
    let mut units = 0;
    for ch in text[start..end].chars() {
        units += ch.len_utf16() as u32;
        cols.push(units);
    }
    if rng.below(50) == 0 {
        return (line as u32, units + 3);
    }
    (line as u32, *rng.pick(&cols))
}

/// One content change: an insertion, a deletion, or a replacement.
fn change(text: &str, rng: &mut Rng) -> (Pos, Pos, String) {
    let start = position(text, rng);
    let from = text::offset(text, start);
    let insert = rng.pick(&TOKENS).to_string();
    match rng.below(3) {
        0 => (start, start, insert),
        kind => {
            let count = 1 + rng.below(6);
            let to = text[from..]
                .char_indices()
                .nth(count)
                .map_or(text.len(), |(at, _)| from + at);
            let end = text::position(text, to);
            (start, end, if kind == 1 { String::new() } else { insert })
        }
    }
}

struct Document {
    path: PathBuf,
    version: i64,
    text: String,
}

/// The workspace: TASKS cards in backlog and archived, each depending on TASK-0001.
fn workspace(folder: &Path) -> PathBuf {
    let extras: Vec<String> = (1..=TASKS)
        .map(|n| match n {
            1 => String::new(),
            _ => format!(
                "depends_on: [\"TASK-0001\", \"TASK-{:04}\"]\n",
                (n % 50) + 1
            ),
        })
        .collect();
    let tasks: Vec<Task> = (1..=TASKS)
        .map(|n| Task(stage_of(n), n, &extras[n as usize - 1]))
        .collect();
    write_workspace(folder, &tasks)
}

/// A third of the tasks are archived, the rest in backlog.
fn stage_of(n: u32) -> &'static str {
    if n.is_multiple_of(3) {
        "archived"
    } else {
        "backlog"
    }
}

/// A request sent without waiting: what the client's document looked like when it was sent,
/// so the answer can be checked against that version.
struct Sent {
    id: i64,
    method: &'static str,
    uri: String,
    text: String,
    at: Pos,
}

/// Sends one request at a random place of a random document, without waiting.
fn request(client: &mut Client, documents: &[Document], rng: &mut Rng) -> Sent {
    let document = rng.pick(documents);
    let at = position(&document.text, rng);
    let where_ = json!({
        "textDocument": {"uri": uri(&document.path)},
        "position": {"line": at.0, "character": at.1},
    });
    let method = *rng.pick(&[
        "textDocument/completion",
        "textDocument/completion",
        "textDocument/references",
        "textDocument/references",
        "textDocument/hover",
        "textDocument/definition",
        "textDocument/documentSymbol",
        "textDocument/diagnostic",
        "textDocument/codeAction",
    ]);
    let params = match method {
        "textDocument/references" => {
            let mut params = where_;
            params["context"] = json!({"includeDeclaration": true});
            params
        }
        "textDocument/documentSymbol" | "textDocument/diagnostic" => {
            json!({"textDocument": {"uri": uri(&document.path)}})
        }
        "textDocument/codeAction" => json!({
            "textDocument": {"uri": uri(&document.path)},
            "range": {"start": where_["position"], "end": where_["position"]},
            "context": {"diagnostics": []},
        }),
        _ => where_,
    };
    Sent {
        id: client.request_async(method, params),
        method,
        uri: uri(&document.path),
        text: document.text.clone(),
        // The server reads a column past the line's end as the end.
        at: text::position(&document.text, text::offset(&document.text, at)),
    }
}

/// Every range in `value` (at any depth) that lies in the requested document: all of them
/// for answers about that document alone, those of locations naming it otherwise.
fn ranges_in<'v>(value: &'v Value, sent: &Sent, out: &mut Vec<&'v Value>) {
    match value {
        Value::Object(object) => {
            if let Some(uri) = object.get("uri").and_then(Value::as_str)
                && uri != sent.uri
            {
                return;
            }
            for (key, inner) in object {
                let is_range = inner.get("start").is_some() && inner.get("end").is_some();
                let about_this_document = !matches!(
                    sent.method,
                    "textDocument/references" | "textDocument/definition"
                ) || object.contains_key("uri");
                if is_range && key.to_lowercase().ends_with("range") && about_this_document {
                    out.push(inner);
                } else if key != "relatedInformation" {
                    ranges_in(inner, sent, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| ranges_in(item, sent, out)),
        _ => {}
    }
}

/// Checks an answer against the document as it was when the request was sent: its ranges lie
/// inside that text, and completion and hover ranges hold the requested position. An answer
/// computed on another version would, sooner or later, break one of these.
fn check_answer(sent: &Sent, result: &Value) -> Result<(), String> {
    // Code actions carry edits to other files, keyed by URI; pulls carry no positions of
    // the request's own.
    if matches!(
        sent.method,
        "textDocument/codeAction" | "textDocument/diagnostic"
    ) {
        return Ok(());
    }
    let widths = text::widths(&sent.text);
    let pos = |value: &Value| -> Option<Pos> {
        Some((
            value["line"].as_u64()? as u32,
            value["character"].as_u64()? as u32,
        ))
    };
    let mut ranges = Vec::new();
    ranges_in(result, sent, &mut ranges);
    for range in ranges {
        let (Some(start), Some(end)) = (pos(&range["start"]), pos(&range["end"])) else {
            return Err(format!("{}: malformed range {range}", sent.method));
        };
        let inside =
            |(line, col): Pos| widths.get(line as usize).is_some_and(|&width| col <= width);
        if !inside(start) || !inside(end) || start > end {
            return Err(format!(
                "{}: range {range} is not inside the text it was asked about:\n{:?}",
                sent.method, sent.text
            ));
        }
        let holds = start <= sent.at && sent.at <= end;
        if matches!(
            sent.method,
            "textDocument/completion" | "textDocument/hover"
        ) && !holds
        {
            return Err(format!(
                "{}: range {range} does not hold the requested position {:?} in\n{:?}",
                sent.method, sent.at, sent.text
            ));
        }
    }
    Ok(())
}

/// A fresh `check` of the disk: each file's diagnostics (rule, severity, range, message).
fn check(folder: &Path) -> BTreeMap<PathBuf, BTreeSet<String>> {
    let output = Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
        .args(["check", ".", "--format", "json"])
        .current_dir(folder)
        .env("FLOWOS_NOW", NOW)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut found: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    for item in report["diagnostics"].as_array().unwrap() {
        let severity = match item["severity"].as_str().unwrap() {
            "error" => 1,
            "warning" => 2,
            "info" => 3,
            _ => 4,
        };
        found
            .entry(folder.join(item["path"].as_str().unwrap()))
            .or_default()
            .insert(normal(
                &item["rule"],
                severity,
                &item["range"],
                &item["message"],
            ));
    }
    found
}

fn normal(rule: &Value, severity: i64, range: &Value, message: &Value) -> String {
    format!("{rule} {severity} {range} {message}")
}

/// One round: the storm, then every check. Returns what went wrong.
fn round(seed: u64) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace(dir.path());
    let mut client = Client::spawn_with_env(Answers::Normally, &[("FLOWOS_NOW", NOW)]);
    client.initialize(
        dir.path(),
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
        json!({}),
    );
    let paths = [
        card(&root, stage_of(2), 2),
        card(&root, stage_of(3), 3),
        root.join("INDEX.md"),
    ];
    let mut documents: Vec<Document> = paths
        .iter()
        .map(|path| Document {
            path: path.clone(),
            version: 1,
            text: client.open(path, 1),
        })
        .collect();
    // The storm starts on an indexed workspace: time what the requests cost there.
    client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri(&paths[0])}}),
    );
    let timed = Instant::now();
    let references = client.request(
        "textDocument/references",
        json!({
            "textDocument": {"uri": uri(&paths[0])},
            // `depends_on: ["TASK-0001", …]` is line 8 of a card.
            "position": {"line": 8, "character": 16},
            "context": {"includeDeclaration": true},
        }),
    );
    let references_took = timed.elapsed();
    assert!(
        references
            .as_array()
            .is_some_and(|found| found.len() as u32 >= TASKS),
        "TASK-0001 is referenced by every task: {references}"
    );

    let mut rng = Rng(seed);
    let mut pending: Vec<Sent> = Vec::new();
    let started = Instant::now();
    for _ in 0..CHANGES {
        let which = rng.below(documents.len());
        let document = &mut documents[which];
        document.version += 1;
        let mut changes = Vec::new();
        if rng.below(200) == 0 {
            // Now and then the whole text at once, as some clients send it.
            document.text = format!("{}\nreplaced\n", &document.text);
            changes.push(json!({"text": document.text}));
        } else {
            let count = if rng.below(6) == 0 {
                2 + rng.below(3)
            } else {
                1
            };
            for _ in 0..count {
                let (start, end, insert) = change(&document.text, &mut rng);
                text::apply(&mut document.text, start, end, &insert);
                changes.push(json!({
                    "range": {
                        "start": {"line": start.0, "character": start.1},
                        "end": {"line": end.0, "character": end.1},
                    },
                    "text": insert,
                }));
            }
        }
        client.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri(&document.path), "version": document.version},
                "contentChanges": changes,
            }),
        );
        if rng.below(10) == 0 {
            pending.push(request(&mut client, &documents, &mut rng));
        }
    }
    let sent_in = started.elapsed();

    // Every request is answered, none with an error, each about the version it was sent at.
    for sent in &pending {
        let response = client
            .wait_response(sent.id, Duration::from_secs(60))
            .ok_or_else(|| format!("{} (request {}) was never answered", sent.method, sent.id))?;
        if response.get("error").is_some() {
            return Err(format!("{} failed: {response}", sent.method));
        }
        check_answer(sent, &response["result"])?;
    }
    let answered_in = started.elapsed();

    // The server holds exactly the client's text, at the client's version.
    for document in &documents {
        let held = client.request(
            "flowos/debugDocumentText",
            json!({"uri": uri(&document.path)}),
        );
        if held["version"] != document.version || held["text"] != document.text.as_str() {
            return Err(format!(
                "{}: the server holds version {} with text\n{:?}\nbut the client has version {} with\n{:?}",
                document.path.display(),
                held["version"],
                held["text"],
                document.version,
                document.text
            ));
        }
    }

    // The last version sent is the last published, and versions never went backwards.
    let last_published = |client: &Client, path: &Path| {
        client
            .publish_log
            .iter()
            .rev()
            .find(|(published, _)| *published == uri(path))
            .and_then(|(_, version)| *version)
    };
    let settled = client.wait_until(Duration::from_secs(20), |client| {
        documents
            .iter()
            .all(|document| last_published(client, &document.path) == Some(document.version))
    });
    if !settled {
        let last: Vec<Option<i64>> = documents
            .iter()
            .map(|document| last_published(&client, &document.path))
            .collect();
        let sent: Vec<i64> = documents.iter().map(|document| document.version).collect();
        return Err(format!(
            "last published versions {last:?}, last sent {sent:?}"
        ));
    }
    for document in &documents {
        let versions: Vec<i64> = client
            .publish_log
            .iter()
            .filter(|(published, _)| *published == uri(&document.path))
            .filter_map(|(_, version)| *version)
            .collect();
        if versions.windows(2).any(|pair| pair[0] > pair[1]) {
            return Err(format!(
                "{}: versions published out of order: {versions:?}",
                document.path.display()
            ));
        }
    }

    // And the diagnostics are those of the client's text, checked from scratch.
    for document in &documents {
        std::fs::write(&document.path, &document.text).unwrap();
    }
    let expected = check(dir.path());
    let mut files: BTreeSet<PathBuf> = expected.keys().cloned().collect();
    files.extend(
        client
            .diagnostics
            .keys()
            .map(|uri| PathBuf::from(uri.strip_prefix("file://").unwrap_or(uri))),
    );
    for path in &files {
        let pulled = client.request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri(path)}}),
        );
        let got: BTreeSet<String> = pulled["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| {
                normal(
                    &item["code"],
                    item["severity"].as_i64().unwrap(),
                    &item["range"],
                    &item["message"],
                )
            })
            .collect();
        let want = expected.get(path).cloned().unwrap_or_default();
        if got != want {
            let missing: Vec<&String> = want.difference(&got).collect();
            let extra: Vec<&String> = got.difference(&want).collect();
            return Err(format!(
                "{}: check has, server lacks {missing:#?}\nserver has, check lacks {extra:#?}",
                path.display()
            ));
        }
    }
    let publishes = client
        .publish_log
        .iter()
        .filter(|(published, version)| {
            version.is_some() && documents.iter().any(|d| *published == uri(&d.path))
        })
        .count();
    if client.shutdown() != Some(0) {
        return Err("the server did not exit cleanly".into());
    }
    Ok(format!(
        "{CHANGES} changes and {} requests sent in {sent_in:?}, all answered after {answered_in:?}; \
         {publishes} versioned publications; references to TASK-0001 alone took {references_took:?}",
        pending.len()
    ))
}

fn seeds() -> Vec<u64> {
    if let Ok(seed) = std::env::var("FLOWOS_FUZZ_SEED") {
        return vec![seed.trim().parse().expect("FLOWOS_FUZZ_SEED is a number")];
    }
    let count = std::env::var("FLOWOS_FUZZ_CASES")
        .ok()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(1u64);
    (0..count).map(|n| 0x0DE5_0000 + n).collect()
}

#[test]
fn thousands_of_changes_among_slow_requests_end_in_step_with_the_client() {
    for seed in seeds() {
        match round(seed) {
            Ok(summary) => eprintln!("seed {seed}: {summary}"),
            Err(error) => panic!("seed {seed}: {error}"),
        }
    }
}

#[test]
fn the_client_text_model_follows_the_protocol() {
    // The test's own copy must split lines exactly as LSP says, or it proves nothing.
    let text = "a\nb\r\nc\rd\u{2028}e\u{c}f🎉g";
    assert_eq!(text::widths(text), vec![1, 1, 1, 8]);
    let mut edited = text.to_string();
    text::apply(&mut edited, (3, 1), (3, 2), "");
    assert_eq!(edited, "a\nb\r\nc\rde\u{c}f🎉g");
    text::apply(&mut edited, (3, 6), (3, 99), "!");
    assert_eq!(edited, "a\nb\r\nc\rde\u{c}f🎉!");
    assert_eq!(text::position(text, text.len()), (3, 8));
    assert_eq!(text::offset(text, (2, 0)), 5);
}
