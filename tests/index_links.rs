//! End to end, index cells that hold markdown links (SPEC §2, issue 15 item 7): the real
//! binary on a small workspace whose INDEX.md files link their IDs, names and dependencies
//! (the root index to cards, the stage indexes to folders). It checks clean; a link leading
//! to the wrong place is reported and `check --fix` sets it right; and `transition` and `new`
//! write rows linked the way each index links its rows, with targets that lead to the task
//! where it now is. The server reads them the same way, and offers the fix as a quick fix.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary; the product may not.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use support::{Answers, Client, uri};
use tempfile::TempDir;

mod support;

const NOW: &str = "2026-11-20T12:00:00Z";
const USER: &str = "@rui";

/// A task package: stage, number, slug, name, extra frontmatter lines, ledger events after
/// `created` (one per stage it went through).
struct Package {
    stage: &'static str,
    number: u32,
    slug: &'static str,
    name: &'static str,
    fields: &'static str,
    events: &'static [&'static str],
}

const PACKAGES: [Package; 2] = [
    Package {
        stage: "next",
        number: 1,
        slug: "ingest",
        name: "Ingest the feed",
        fields: "priority: \"P2\"\neffort_estimate: \"M\"\ndepends_on: []\nblocks: [\"TASK-0002\"]\n",
        events: &["verified", "validated", "prioritized"],
    },
    Package {
        stage: "backlog",
        number: 2,
        slug: "report",
        name: "Weekly report",
        fields: "priority: null\neffort_estimate: null\ndepends_on: [\"TASK-0001\"]\nblocks: []\n",
        events: &["verified"],
    },
];

const ROOT_INDEX: &str = "# Tasks

| ID | Name | DRI | Stage | Status | Flags | Dependencies |
|----|------|-----|-------|--------|-------|--------------|
| [0001](next/TASK-0001-ingest/0001-ingest.task.md) | [Ingest the feed](next/TASK-0001-ingest/0001-ingest.task.md) | @ana | next | active | - | - |
| [0002](backlog/TASK-0002-report/0002-report.task.md) | [Weekly report](backlog/TASK-0002-report/0002-report.task.md) | @ana | backlog | active | - | [TASK-0001](next/TASK-0001-ingest/0001-ingest.task.md) |
";

const STAGE_HEADER: &str = "| ID | Name | DRI | Status | Flags | Dependencies |
|----|------|-----|--------|-------|--------------|
";

fn stage_index(rows: &str) -> String {
    format!("{STAGE_HEADER}{rows}")
}

fn card(package: &Package) -> String {
    format!(
        "---\ntask_id: \"{:04}\"\ncreated_by: \"@ana\"\ncreated_date: \"2026-11-20\"\nschema_version: \"1.0\"\n\
         task_name: \"{}\"\nstage: \"{}\"\ntags: []\ncurrent_dri: \"@ana\"\nstatus: \"active\"\n\
         blocked_by: null\npaused_reason: null\nrelated_to: []\nsplit_from: null\nsplit_into: []\n{}---\n\n\
         ## Goal\n\nDo it.\n\n## Inputs Required\n\n- none\n\n## Implementation Details\n\nSteps.\n\n\
         ## Expected Outputs\n\nA result.\n\n## Acceptance Criteria\n\n- [ ] it works\n",
        package.number, package.name, package.stage, package.fields
    )
}

fn ledger(package: &Package) -> String {
    let line = |minute: usize, event: &str| {
        format!(
            "{{\"ts\":\"2026-11-20T09:{minute:02}:00Z\",\"user\":\"@ana\",\"event\":\"{event}\",\"desc\":\"{event}\"}}\n"
        )
    };
    std::iter::once("created")
        .chain(package.events.iter().copied())
        .enumerate()
        .map(|(minute, event)| line(minute, event))
        .collect()
}

struct Ws {
    _dir: TempDir,
    base: PathBuf,
    root: PathBuf,
}

impl Ws {
    fn new() -> Ws {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join(".work/tasks");
        let mut files: Vec<(String, String)> = vec![
            ("ID_COUNTER.txt".into(), "0003\n".into()),
            ("INDEX.md".into(), ROOT_INDEX.into()),
            ("inbox/INDEX.md".into(), stage_index("")),
            (
                "backlog/INDEX.md".into(),
                stage_index(
                    "| [0002](./TASK-0002-report/) | Weekly report | @ana | active | - | [TASK-0001](../next/TASK-0001-ingest/) |\n",
                ),
            ),
            (
                "next/INDEX.md".into(),
                stage_index(
                    "| [0001](./TASK-0001-ingest/) | Ingest the feed | @ana | active | - | - |\n",
                ),
            ),
            ("current/INDEX.md".into(), stage_index("")),
        ];
        for package in &PACKAGES {
            let folder = format!(
                "{}/TASK-{:04}-{}",
                package.stage, package.number, package.slug
            );
            let short = format!("{:04}", package.number);
            files.push((
                format!("{folder}/{short}-{}.task.md", package.slug),
                card(package),
            ));
            files.push((format!("{folder}/{short}.context.md"), "# Context\n".into()));
            files.push((format!("{folder}/{short}.ledger.jsonl"), ledger(package)));
        }
        for (rel, text) in files {
            let path = root.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        Ws {
            _dir: dir,
            base,
            root,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
            .args(args)
            .env("FLOWOS_NOW", NOW)
            .env_remove("FLOWOS_FAULT_STOP_AFTER")
            .current_dir(&self.base)
            .output()
            .expect("the binary runs")
    }

    /// `check --format json`: each diagnostic as `path rule severity message`, and the exit
    /// status.
    fn check(&self) -> (Vec<String>, Option<i32>) {
        let output = self.run(&["check", ".", "--format", "json", "--now", NOW]);
        let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
            panic!(
                "check printed no JSON: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        let found = report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                format!(
                    "{} {} {} {}",
                    d["path"].as_str().unwrap(),
                    d["rule"].as_str().unwrap(),
                    d["severity"].as_str().unwrap(),
                    d["message"].as_str().unwrap()
                )
            })
            .collect();
        (found, output.status.code())
    }

    fn assert_clean(&self, after: &str) {
        let (found, status) = self.check();
        assert_eq!(found, Vec::<String>::new(), "after {after}");
        assert_eq!(status, Some(0), "after {after}");
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.root.join(rel)).unwrap()
    }

    fn write(&self, rel: &str, text: &str) {
        fs::write(self.root.join(rel), text).unwrap();
    }

    fn assert_row(&self, index: &str, short: &str, holds: impl Fn(&str) -> bool) {
        let row = self.row(index, short);
        assert!(holds(&row), "{index}: {row}\n{}", self.read(index));
    }

    /// The row of `index` whose ID cell links `short`.
    fn row(&self, index: &str, short: &str) -> String {
        let text = self.read(index);
        text.lines()
            .find(|line| line.starts_with(&format!("| [{short}](")))
            .unwrap_or_else(|| panic!("no linked row for {short} in {index}:\n{text}"))
            .to_string()
    }
}

fn succeeded(output: &Output) {
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn an_index_whose_cells_are_links_checks_clean() {
    let ws = Ws::new();
    ws.assert_clean("writing the fixture");
    // Those links are read by their text: the plain-text index says the same.
    let plain = ROOT_INDEX
        .replace("(next/TASK-0001-ingest/0001-ingest.task.md)", "")
        .replace("(backlog/TASK-0002-report/0002-report.task.md)", "")
        .replace(['[', ']'], "");
    ws.write("INDEX.md", &plain);
    ws.assert_clean("unlinking the root index");
}

#[test]
fn a_wrong_link_target_is_reported_and_fixed() {
    let ws = Ws::new();
    let (root, backlog) = (ws.read("INDEX.md"), ws.read("backlog/INDEX.md"));
    ws.write(
        "INDEX.md",
        &root.replacen(
            "[0002](backlog/TASK-0002-report/",
            "[0002](inbox/TASK-0002-report/",
            1,
        ),
    );
    ws.write(
        "backlog/INDEX.md",
        &backlog.replace(
            "(../next/TASK-0001-ingest/)",
            "(../current/TASK-0001-ingest/)",
        ),
    );
    let (found, status) = ws.check();
    assert_eq!(
        found,
        [
            ".work/tasks/INDEX.md index-broken-link warning `inbox/TASK-0002-report/0002-report.task.md` is not where TASK-0002 is; link to `backlog/TASK-0002-report/0002-report.task.md`",
            ".work/tasks/backlog/INDEX.md index-broken-link warning `../current/TASK-0001-ingest/` is not where TASK-0001 is; link to `../next/TASK-0001-ingest/`",
        ]
    );
    assert_eq!(status, Some(0), "a broken link is a warning");
    // The human report points at the target itself.
    let human = String::from_utf8_lossy(&ws.run(&["check", ".", "--now", NOW]).stdout).into_owned();
    assert!(
        human.contains(".work/tasks/INDEX.md:6:10: warning[index-broken-link]"),
        "{human}"
    );

    succeeded(&ws.run(&["check", ".", "--fix", "--user", USER, "--now", NOW]));
    assert_eq!(ws.read("INDEX.md"), root);
    assert_eq!(ws.read("backlog/INDEX.md"), backlog);
    ws.assert_clean("check --fix");
}

#[test]
fn a_transition_and_a_new_task_keep_the_link_style_and_targets_right() {
    let ws = Ws::new();
    succeeded(&ws.run(&[
        "transition",
        "TASK-0001",
        "start",
        ".",
        "--user",
        USER,
        "--now",
        NOW,
    ]));
    ws.assert_clean("start");
    assert!(ws.root.join("current/TASK-0001-ingest").is_dir());
    assert_eq!(
        ws.row("INDEX.md", "0001"),
        "| [0001](current/TASK-0001-ingest/0001-ingest.task.md) | [Ingest the feed](current/TASK-0001-ingest/0001-ingest.task.md) | @ana | current | active | - | - |"
    );
    // The rows that depend on it follow it, in the root and in their own stage's index.
    ws.assert_row("INDEX.md", "0002", |row| {
        row.ends_with("| [TASK-0001](current/TASK-0001-ingest/0001-ingest.task.md) |")
    });
    ws.assert_row("backlog/INDEX.md", "0002", |row| {
        row.ends_with("| [TASK-0001](../current/TASK-0001-ingest/) |")
    });
    // It left next, and is the first row of current, linked as the other stage indexes are.
    assert_eq!(ws.read("next/INDEX.md"), stage_index(""));
    assert_eq!(
        ws.read("current/INDEX.md"),
        stage_index("| [0001](./TASK-0001-ingest/) | Ingest the feed | @ana | active | - | - |\n")
    );

    succeeded(&ws.run(&["new", "Export to CSV", ".", "--user", USER, "--now", NOW]));
    ws.assert_clean("new");
    assert_eq!(
        ws.row("INDEX.md", "0003"),
        "| [0003](inbox/TASK-0003-export-to-csv/0003-export-to-csv.task.md) | [Export to CSV](inbox/TASK-0003-export-to-csv/0003-export-to-csv.task.md) | @rui | inbox | active | - | - |"
    );
    ws.assert_row("inbox/INDEX.md", "0003", |row| {
        row.starts_with("| [0003](./TASK-0003-export-to-csv/) | Export to CSV |")
    });
    assert!(Path::new(&ws.root.join("inbox/TASK-0003-export-to-csv")).is_dir());
}

/// The diagnostics the server has for `path` now (a pull waits for the first index and for
/// every edit sent before it), as `rule message` lines.
fn pulled(client: &mut Client, path: &Path) -> Vec<String> {
    let result = client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri(path)}}),
    );
    result["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {result}"))
        .iter()
        .map(|item| {
            format!(
                "{} {}",
                item["code"].as_str().unwrap(),
                item["message"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn the_server_reads_linked_cells_and_offers_to_set_a_target_right() {
    let ws = Ws::new();
    let mut client = Client::spawn(Answers::Normally);
    client.initialize(
        &ws.base,
        json!({"general": {"positionEncodings": ["utf-16"]}}),
        json!({}),
    );
    for rel in [
        "INDEX.md",
        "backlog/INDEX.md",
        "next/INDEX.md",
        "next/TASK-0001-ingest/0001-ingest.task.md",
    ] {
        assert_eq!(
            pulled(&mut client, &ws.root.join(rel)),
            Vec::<String>::new(),
            "{rel}"
        );
    }
    // In the buffer, 0002's ID link is sent to inbox: line 5, after `| [0002](`.
    let index = ws.root.join("INDEX.md");
    client.open(&index, 1);
    client.edit(&index, 2, (5, 9), (5, 16), "inbox");
    assert_eq!(
        pulled(&mut client, &index),
        [
            "index-broken-link `inbox/TASK-0002-report/0002-report.task.md` is not where TASK-0002 is; link to `backlog/TASK-0002-report/0002-report.task.md`"
        ]
    );
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri(&index)},
            "range": {"start": {"line": 5, "character": 9}, "end": {"line": 5, "character": 9}},
            "context": {"diagnostics": [], "only": ["quickfix"]},
        }),
    );
    let fix = actions
        .as_array()
        .and_then(|actions| {
            actions.iter().find(|action| {
                action["title"] == "Link to `backlog/TASK-0002-report/0002-report.task.md`"
            })
        })
        .unwrap_or_else(|| panic!("no link fix in {actions:#}"));
    let edits = fix["edit"]["documentChanges"][0]["edits"]
        .as_array()
        .or_else(|| fix["edit"]["changes"][uri(&index)].as_array())
        .unwrap_or_else(|| panic!("no edit of INDEX.md in {fix:#}"));
    assert_eq!(edits.len(), 1, "{edits:#?}");
    assert_eq!(edits[0]["newText"], "backlog");
    assert_eq!(
        edits[0]["range"],
        json!({"start": {"line": 5, "character": 9}, "end": {"line": 5, "character": 14}})
    );
    assert_eq!(client.shutdown(), Some(0));
}
