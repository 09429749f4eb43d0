//! End-to-end tests of the language server: the real binary over stdio with real LSP
//! messages, through the small client in `support`.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary and editors; the product may not.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use support::{Answers, Client, TIMEOUT, Task, card, uri, watching_capabilities, write_workspace};

/// Capabilities of a client that cannot watch files: the server must watch the disk.
fn capabilities_without_watching() -> Value {
    json!({"window": {"workDoneProgress": true}, "workspace": {"configuration": true}})
}

#[test]
fn initialize_reports_progress_then_publishes_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_workspace(
        dir.path(),
        &[
            Task("backlog", 1, "depends_on: [\"TASK-0009\"]\n"),
            Task("next", 2, ""),
        ],
    );
    let mut client = Client::spawn(Answers::Normally);
    let result = client.initialize(dir.path(), watching_capabilities(), json!({}));
    let capabilities = &result["capabilities"];
    assert_eq!(
        capabilities["textDocumentSync"]["change"], 2,
        "incremental sync"
    );
    assert_eq!(capabilities["positionEncoding"], "utf-16");
    assert_eq!(
        capabilities["diagnosticProvider"]["interFileDependencies"],
        true
    );

    let broken = card(&root, "backlog", 1);
    client.wait_for_rule(&broken, "missing-dependency");
    let progress: Vec<&str> = client
        .notifications
        .iter()
        .filter(|message| message["method"] == "$/progress")
        .filter_map(|message| message["params"]["value"]["kind"].as_str())
        .collect();
    assert_eq!(progress.first(), Some(&"begin"), "{progress:?}");
    assert_eq!(progress.last(), Some(&"end"), "{progress:?}");
    let item = &client.diagnostics[&uri(&broken)][0];
    assert_eq!(item["source"], "flowos");
    assert_eq!(item["severity"], 1);
    assert_eq!(item["range"]["start"], json!({"line": 8, "character": 13}));
    // A rule's link is a public page or nothing, never a path of the machine that built the
    // binary (SPEC §6); this package names no public repository, so there is no link.
    let link = &item["codeDescription"]["href"];
    assert!(
        link.is_null()
            || link
                .as_str()
                .is_some_and(|href| href.starts_with("https://")),
        "{item}"
    );
    assert_eq!(
        link.is_null(),
        env!("CARGO_PKG_REPOSITORY").is_empty(),
        "{item}"
    );
    // The clean card has nothing published.
    assert!(client.rules(&card(&root, "next", 2)).is_empty());
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn fixing_a_dependency_in_the_buffer_clears_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_workspace(
        dir.path(),
        &[
            Task("backlog", 1, "depends_on: [\"TASK-0009\"]\n"),
            Task("backlog", 2, "blocks: [\"TASK-0001\"]\n"),
        ],
    );
    let mut client = Client::start(dir.path(), watching_capabilities(), json!({}));
    let path = card(&root, "backlog", 1);
    client.wait_for_rule(&path, "missing-dependency");
    client.open(&path, 1);
    // `depends_on: ["TASK-0009"]` is line 8; the ID spans characters 14..23.
    client.edit(&path, 2, (8, 14), (8, 23), "TASK-0002");
    client.wait_for_no_rule(&path, "missing-dependency");
    let last = client
        .publish_log
        .iter()
        .rev()
        .find(|(u, _)| *u == uri(&path))
        .unwrap();
    assert_eq!(last.1, Some(2), "published with the document version");
    // The disk still says TASK-0009, but the open buffer overrides it.
    assert!(client.rules(&path).is_empty(), "{:?}", client.rules(&path));
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn breaking_a_cycle_in_one_card_clears_it_in_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_workspace(
        dir.path(),
        &[
            Task(
                "backlog",
                1,
                "depends_on: [\"TASK-0002\"]\nblocks: [\"TASK-0002\"]\n",
            ),
            Task(
                "backlog",
                2,
                "depends_on: [\"TASK-0001\"]\nblocks: [\"TASK-0001\"]\n",
            ),
        ],
    );
    let mut client = Client::start(dir.path(), watching_capabilities(), json!({}));
    let (first, second) = (card(&root, "backlog", 1), card(&root, "backlog", 2));
    client.wait_for_rule(&second, "dependency-cycle");
    assert!(client.has_rule(&first, "dependency-cycle"));
    client.open(&first, 1);
    // Empty the first card's depends_on list: `depends_on: ["TASK-0002"]` -> `depends_on: []`.
    client.edit(&first, 2, (8, 13), (8, 24), "");
    client.wait_for_no_rule(&second, "dependency-cycle");
    client.wait_for_no_rule(&first, "dependency-cycle");
    assert_eq!(client.shutdown(), Some(0));
}

/// A small deterministic generator, so the burst is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound.max(1)
    }
}

/// Applies an edit to a local copy the way the server should: `(line, utf16 col)` positions.
fn apply_local(text: &mut String, start: (u32, u32), end: (u32, u32), insert: &str) {
    let offset = |text: &str, (line, col): (u32, u32)| -> usize {
        let line_start: usize = text
            .split_inclusive('\n')
            .take(line as usize)
            .map(str::len)
            .sum();
        let mut units = 0;
        for (at, ch) in text[line_start..].char_indices() {
            if units >= col as usize || ch == '\n' {
                return line_start + at;
            }
            units += ch.len_utf16();
        }
        text.len()
    };
    let (from, to) = (offset(text, start), offset(text, end));
    text.replace_range(from..to, insert);
}

fn diagnostics_by_file(items: &BTreeMap<String, Vec<Value>>) -> BTreeMap<String, BTreeSet<String>> {
    items
        .iter()
        .map(|(file, list)| {
            let set = list
                .iter()
                .map(|d| {
                    let code = d
                        .get("code")
                        .or_else(|| d.get("rule"))
                        .cloned()
                        .unwrap_or_default();
                    format!("{} {} {}", code, d["range"], d["message"])
                })
                .collect();
            (file.clone(), set)
        })
        .filter(|(_, set): &(String, BTreeSet<String>)| !set.is_empty())
        .collect()
}

#[test]
fn a_burst_of_edits_ends_with_the_diagnostics_of_a_fresh_check() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_workspace(
        dir.path(),
        &[
            Task("backlog", 1, "depends_on: [\"TASK-0002\"]\n"),
            Task("backlog", 2, "blocks: [\"TASK-0001\"]\n"),
            Task("current", 3, ""),
        ],
    );
    let mut client = Client::start(dir.path(), watching_capabilities(), json!({}));
    let path = card(&root, "backlog", 1);
    let mut text = client.open(&path, 1);
    let mut random = Lcg(7);
    let mut version = 1;
    for _ in 0..400 {
        version += 1;
        let lines: Vec<&str> = text.split('\n').collect();
        let line = random.next(lines.len()) as u32;
        let width = lines[line as usize].encode_utf16().count() as u32;
        let col = random.next(width as usize + 1) as u32;
        let (start, end, insert) = match random.next(4) {
            0 => ((line, col), (line, col), "é"),
            1 if col < width => ((line, col), (line, col + 1), ""),
            2 => ((line, col), (line, col), "\n"),
            _ => ((line, col), (line, col), "TASK-0009 "),
        };
        apply_local(&mut text, start, end, insert);
        client.edit(&path, version, start, end, insert);
    }
    // A pull waits for every change sent so far; then the pushes settle.
    client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri(&path)}}),
    );
    client.settle(Duration::from_millis(500));

    // The same final text, checked from scratch by the CLI.
    std::fs::write(&path, &text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
        .args(["check", ".", "--format", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut expected: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for item in report["diagnostics"].as_array().unwrap() {
        let file = uri(&dir.path().join(item["path"].as_str().unwrap()));
        expected.entry(file).or_default().push(item.clone());
    }
    let served: BTreeMap<String, Vec<Value>> = client.diagnostics.clone().into_iter().collect();
    assert!(
        diagnostics_by_file(&expected).contains_key(&uri(&path)),
        "the burst should leave problems behind, or the comparison proves little"
    );
    assert_eq!(diagnostics_by_file(&served), diagnostics_by_file(&expected));
    // Versions published for the edited document never go backwards.
    let versions: Vec<i64> = client
        .publish_log
        .iter()
        .filter(|(u, _)| *u == uri(&path))
        .filter_map(|(_, version)| *version)
        .collect();
    assert!(
        versions.windows(2).all(|pair| pair[0] <= pair[1]),
        "{versions:?}"
    );
    assert_eq!(client.shutdown(), Some(0));
}

fn write_task(root: &Path, stage: &str, number: u32, extra: &str) {
    // Reuse the workspace writer in a scratch folder and move the package into place.
    let scratch = tempfile::tempdir().unwrap();
    let scratch_root = write_workspace(scratch.path(), &[Task(stage, number, extra)]);
    let from = scratch_root
        .join(stage)
        .join(format!("TASK-{number:04}-job"));
    let to = root.join(stage).join(format!("TASK-{number:04}-job"));
    // Written elsewhere first and moved in, so a watcher sees the package appear whole.
    let staging = root.join(format!(".staging-{number}"));
    std::fs::create_dir_all(&staging).unwrap();
    support::copy_tree(&from, &staging);
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::rename(&staging, &to).unwrap();
}

#[test]
fn files_changed_on_disk_are_picked_up_with_watched_file_notifications() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_workspace(dir.path(), &[Task("backlog", 1, ""), Task("next", 2, "")]);
    let mut client = Client::start(dir.path(), watching_capabilities(), json!({}));
    client.settle(Duration::from_millis(300));

    // Created: a new task whose dependency is missing.
    write_task(&root, "backlog", 3, "depends_on: [\"TASK-0042\"]\n");
    let created = card(&root, "backlog", 3);
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(created.parent().unwrap()), "type": 1}]}),
    );
    client.wait_for_rule(&created, "missing-dependency");

    // Deleted: task 1 loses its context file.
    let context = root.join("backlog/TASK-0001-job/0001.context.md");
    std::fs::remove_file(&context).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&context), "type": 3}]}),
    );
    client.wait_for_rule(&card(&root, "backlog", 1), "package-file-missing");

    // Renamed: task 2's folder moves from next to backlog, so its card's stage is wrong.
    let old = root.join("next/TASK-0002-job");
    let new = root.join("backlog/TASK-0002-job");
    std::fs::rename(&old, &new).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&old), "type": 3}, {"uri": uri(&new), "type": 1}]}),
    );
    client.wait_for_rule(&card(&root, "backlog", 2), "stage-mismatch");
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn files_changed_on_disk_are_picked_up_without_notifications() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_workspace(dir.path(), &[Task("backlog", 1, ""), Task("next", 2, "")]);
    let mut client = Client::start(dir.path(), capabilities_without_watching(), json!({}));
    client.settle(Duration::from_millis(500));
    write_task(&root, "backlog", 3, "depends_on: [\"TASK-0042\"]\n");
    client.wait_for_rule(&card(&root, "backlog", 3), "missing-dependency");
    std::fs::remove_file(root.join("backlog/TASK-0001-job/0001.context.md")).unwrap();
    client.wait_for_rule(&card(&root, "backlog", 1), "package-file-missing");
    std::fs::rename(
        root.join("next/TASK-0002-job"),
        root.join("backlog/TASK-0002-job"),
    )
    .unwrap();
    client.wait_for_rule(&card(&root, "backlog", 2), "stage-mismatch");
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn ranges_after_an_emoji_count_utf16_units() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_workspace(
        dir.path(),
        &[Task("backlog", 1, "depends_on: [\"🎉é\", \"TASK-0009\"]\n")],
    );
    let mut client = Client::start(dir.path(), watching_capabilities(), json!({}));
    let path = card(&root, "backlog", 1);
    client.wait_for_rule(&path, "missing-dependency");
    let missing = client.diagnostics[&uri(&path)]
        .iter()
        .find(|d| d["code"] == "missing-dependency")
        .unwrap()
        .clone();
    // `depends_on: ["🎉é", ` is 20 UTF-16 units (🎉 counts two) but 23 bytes.
    assert_eq!(
        missing["range"]["start"],
        json!({"line": 8, "character": 20})
    );
    assert_eq!(missing["range"]["end"], json!({"line": 8, "character": 31}));
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn a_rule_switched_off_by_configuration_disappears() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_workspace(
        dir.path(),
        &[Task("backlog", 1, "depends_on: [\"TASK-0009\"]\n")],
    );
    let path = card(&root, "backlog", 1);
    let mut client = Client::start(dir.path(), watching_capabilities(), json!({}));
    client.wait_for_rule(&path, "missing-dependency");
    client.settings = json!({"rules": {"missing-dependency": "off"}});
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": null}),
    );
    client.wait_for_no_rule(&path, "missing-dependency");
    assert_eq!(client.shutdown(), Some(0));

    // The same through initializationOptions, and as a severity change.
    let mut client = Client::start(
        dir.path(),
        json!({}),
        json!({"flowos": {"rules": {"missing-dependency": "hint"}}}),
    );
    client.wait_for_rule(&path, "missing-dependency");
    let item = &client.diagnostics[&uri(&path)][0];
    assert_eq!(item["severity"], 4, "hint");
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn a_panicking_handler_is_answered_with_an_error_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_workspace(
        dir.path(),
        &[Task("backlog", 1, "depends_on: [\"TASK-0009\"]\n")],
    );
    let path = card(&root, "backlog", 1);
    let mut client = Client::start(dir.path(), watching_capabilities(), json!({}));
    let response = client.request_full(
        "flowos/debugPanic",
        json!({"reason": "test-requested panic"}),
    );
    assert_eq!(response["error"]["code"], -32603, "{response}");
    let report = client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri(&path)}}),
    );
    let codes: Vec<&str> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["code"].as_str())
        .collect();
    assert_eq!(codes, ["missing-dependency"]);
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn closing_a_buffer_falls_back_to_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_workspace(
        dir.path(),
        &[
            Task("backlog", 1, "depends_on: [\"TASK-0009\"]\n"),
            Task("backlog", 2, "blocks: [\"TASK-0001\"]\n"),
        ],
    );
    let path = card(&root, "backlog", 1);
    let mut client = Client::start(dir.path(), watching_capabilities(), json!({}));
    client.wait_for_rule(&path, "missing-dependency");
    client.open(&path, 1);
    client.edit(&path, 2, (8, 14), (8, 23), "TASK-0002");
    client.wait_for_no_rule(&path, "missing-dependency");
    // Closed without saving: the disk still names TASK-0009.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri(&path)}}),
    );
    client.wait_for_rule(&path, "missing-dependency");
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn workspace_folders_can_be_added_and_removed() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let first_root = write_workspace(
        first.path(),
        &[Task("backlog", 1, "depends_on: [\"TASK-0009\"]\n")],
    );
    let second_root = write_workspace(
        second.path(),
        &[Task("next", 1, "depends_on: [\"TASK-0008\"]\n")],
    );
    let mut client = Client::start(first.path(), watching_capabilities(), json!({}));
    let (first_card, second_card) = (
        card(&first_root, "backlog", 1),
        card(&second_root, "next", 1),
    );
    client.wait_for_rule(&first_card, "missing-dependency");
    client.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {
            "added": [{"uri": uri(second.path()), "name": "second"}],
            "removed": [{"uri": uri(first.path()), "name": "first"}],
        }}),
    );
    client.wait_for_rule(&second_card, "missing-dependency");
    // The removed folder's diagnostics are withdrawn.
    client.wait_for_no_rule(&first_card, "missing-dependency");
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn a_checkout_moving_a_hundred_task_folders_is_picked_up_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let tasks: Vec<Task> = (1..=100)
        .map(|number| Task("backlog", number, ""))
        .collect();
    let root = write_workspace(dir.path(), &tasks);
    let mut client = Client::start(dir.path(), capabilities_without_watching(), json!({}));
    client.settle(Duration::from_millis(500));
    std::fs::create_dir_all(root.join("next")).unwrap();
    for number in 1..=100 {
        let name = format!("TASK-{number:04}-job");
        std::fs::rename(
            root.join("backlog").join(&name),
            root.join("next").join(&name),
        )
        .unwrap();
    }
    let all_moved = client.wait_until(TIMEOUT, |client| {
        (1..=100).all(|number| client.has_rule(&card(&root, "next", number), "stage-mismatch"))
    });
    assert!(all_moved, "not every moved card was re-analysed");
    assert_eq!(client.shutdown(), Some(0));
}

/// A workspace where 0002 and 0003 depend on 0001, written in both YAML list styles.
fn graph_workspace(folder: &Path) -> std::path::PathBuf {
    write_workspace(
        folder,
        &[
            Task("backlog", 1, "blocks: [\"TASK-0002\", \"TASK-0003\"]\n"),
            Task("backlog", 2, "depends_on:\n  - TASK-0001\n"),
            Task("next", 3, "depends_on: [\"0001\"]\n"),
        ],
    )
}

#[test]
fn definition_references_and_call_hierarchy_over_stdio() {
    let dir = tempfile::tempdir().unwrap();
    let root = graph_workspace(dir.path());
    let mut capabilities = watching_capabilities();
    capabilities["textDocument"] = json!({"definition": {"linkSupport": true}});
    let mut client = Client::start(dir.path(), capabilities, json!({}));
    let dependent = card(&root, "backlog", 2);
    let target = card(&root, "backlog", 1);

    // `  - TASK-0001` is line 9 of task 2's card; the cursor sits inside the ID.
    let links = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri(&dependent)}, "position": {"line": 9, "character": 8}}),
    );
    assert_eq!(links[0]["targetUri"], uri(&target));
    assert_eq!(
        links[0]["originSelectionRange"]["start"],
        json!({"line": 9, "character": 4})
    );
    // The selection is the target's task_name value on line 2.
    assert_eq!(links[0]["targetSelectionRange"]["start"]["line"], 2);

    // References of TASK-0001 from its own task_id (line 1, `task_id: "0001"`).
    let found = client.request(
        "textDocument/references",
        json!({
            "textDocument": {"uri": uri(&target)},
            "position": {"line": 1, "character": 11},
            "context": {"includeDeclaration": false},
        }),
    );
    let mut places: Vec<String> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|location| {
            let file = location["uri"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string();
            format!("{file}:{}", location["range"]["start"]["line"])
        })
        .collect();
    places.sort();
    // Both dependents, and the rows of the root and backlog indexes.
    assert_eq!(
        places,
        [
            "0002-job.task.md:9",
            "0003-job.task.md:8",
            "INDEX.md:2",
            "INDEX.md:2"
        ]
    );

    // Call hierarchy: incoming calls of TASK-0001 are its two dependents.
    let items = client.request(
        "textDocument/prepareCallHierarchy",
        json!({"textDocument": {"uri": uri(&target)}, "position": {"line": 1, "character": 11}}),
    );
    assert_eq!(items[0]["name"], "TASK-0001 Job 0001");
    let incoming = client.request("callHierarchy/incomingCalls", json!({"item": items[0]}));
    let mut callers: Vec<&str> = incoming
        .as_array()
        .unwrap()
        .iter()
        .map(|call| call["from"]["name"].as_str().unwrap())
        .collect();
    callers.sort();
    assert_eq!(callers, ["TASK-0002 Job 0002", "TASK-0003 Job 0003"]);
    let outgoing = client.request(
        "callHierarchy/outgoingCalls",
        json!({"item": incoming[0]["from"]}),
    );
    assert_eq!(outgoing[0]["to"]["name"], "TASK-0001 Job 0001");
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn hover_symbols_links_hints_and_lenses_over_stdio() {
    let dir = tempfile::tempdir().unwrap();
    let root = graph_workspace(dir.path());
    let mut client = Client::start(dir.path(), watching_capabilities(), json!({}));
    let dependent = card(&root, "next", 3);

    // `depends_on: ["0001"]` is line 8; hover inside the quoted ID.
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&dependent)}, "position": {"line": 8, "character": 15}}),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("TASK-0001") && text.contains("Job 0001"),
        "{text}"
    );
    assert!(text.contains("backlog"), "{text}");
    assert_eq!(hover["range"]["start"], json!({"line": 8, "character": 14}));

    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri(&dependent)}}),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|symbol| symbol["name"].as_str())
        .collect();
    assert!(
        names.contains(&"Goal") && names.contains(&"Acceptance Criteria"),
        "{names:?}"
    );

    let found = client.request("workspace/symbol", json!({"query": "job 0002"}));
    assert_eq!(
        found[0]["name"]
            .as_str()
            .map(|n| n.starts_with("TASK-0002")),
        Some(true),
        "{found}"
    );

    let links = client.request(
        "textDocument/documentLink",
        json!({"textDocument": {"uri": uri(&root.join("INDEX.md"))}}),
    );
    let targets: Vec<&str> = links
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|link| link["target"].as_str())
        .collect();
    assert!(
        targets.contains(&uri(&card(&root, "backlog", 2)).as_str()),
        "{targets:?}"
    );

    let hints = client.request(
        "textDocument/inlayHint",
        json!({
            "textDocument": {"uri": uri(&dependent)},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 30, "character": 0}},
        }),
    );
    assert_eq!(hints[0]["label"], "backlog·active", "{hints}");

    let lenses = client.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": uri(&dependent)}}),
    );
    let title = lenses[0]["command"]["title"].as_str().unwrap();
    assert!(title.starts_with("depends on 1 (1 open)"), "{title}");
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn completion_inside_a_dependency_list_over_stdio() {
    let dir = tempfile::tempdir().unwrap();
    let root = graph_workspace(dir.path());
    let mut client = Client::start(
        dir.path(),
        watching_capabilities(),
        json!({"flowos": {"user": "@kim"}}),
    );
    let dependent = card(&root, "next", 3);
    client.open(&dependent, 1);
    // Type a second item into `depends_on: ["0001"]` (line 8): `depends_on: ["0001", "TASK-00`.
    client.edit(&dependent, 2, (8, 19), (8, 19), ", \"TASK-00");
    let list = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri(&dependent)}, "position": {"line": 8, "character": 29}}),
    );
    let items = list["items"].as_array().unwrap();
    let labels: Vec<&str> = items
        .iter()
        .filter_map(|item| item["label"].as_str())
        .collect();
    // The card's own task and the already listed TASK-0001 are left out.
    assert_eq!(labels, ["TASK-0002"], "{list}");
    let item = &items[0];
    assert_eq!(item["detail"], "Job 0002 · backlog · active");
    assert!(item["filterText"].as_str().unwrap().contains("Job 0002"));
    // The edit replaces the whole partial reference typed so far.
    assert_eq!(
        item["textEdit"]["range"]["start"],
        json!({"line": 8, "character": 22})
    );
    assert_eq!(
        item["textEdit"]["range"]["end"],
        json!({"line": 8, "character": 29})
    );
    assert_eq!(client.shutdown(), Some(0));
}
