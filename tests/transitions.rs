//! End-to-end tests of the write paths of the CLI (`transition`, `new`, `check --fix`) on real
//! workspaces in temporary folders: each SPEC §5 transition moves the folder, appends exactly
//! its events to the ledger, updates frontmatter and INDEX.md rows and leaves no new
//! diagnostics; refusals and dry runs change nothing on disk; a transaction stopped part way
//! (`FLOWOS_FAULT_STOP_AFTER`) is finished by `check --fix`; `new` reserves distinct IDs even
//! when run in parallel.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary and editors; the product may not.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use flowos_lsp::syntax::STAGE_NAMES;
use serde_json::{Value, json};
use tempfile::TempDir;

/// The moment every command runs at: fixture ledgers end earlier the same day, so no SLO is
/// exceeded and the new events sort last.
const NOW: &str = "2026-11-20T12:00:00Z";
/// The user every transition signs its events with.
const USER: &str = "@rui";

/// The events that bring a fresh package to each stage, in order, so its ledger agrees with
/// its folder: (stage reached, time of day, events).
const HISTORY: [(&str, &str, &[&str]); 6] = [
    ("backlog", "02", &["verified"]),
    ("next", "03", &["validated", "prioritized"]),
    ("current", "04", &["validated", "started"]),
    ("integration", "05", &["implemented"]),
    ("learning", "06", &["integrated", "moved_to_learning"]),
    ("archived", "07", &["closed"]),
];

// ---------------------------------------------------------------------------------------------
// Fixtures

/// A task package of a fixture: its stage folder, number, frontmatter overrides (one
/// `key: value` line each, replacing the default with that key or added after the defaults)
/// and ledger lines appended after the history of its stage.
struct Spec {
    stage: &'static str,
    number: u32,
    fields: String,
    extra: Vec<String>,
}

fn t(stage: &'static str, number: u32, fields: &str) -> Spec {
    t_with(stage, number, fields, &[])
}

fn t_with(stage: &'static str, number: u32, fields: &str, extra: &[&str]) -> Spec {
    Spec {
        stage,
        number,
        fields: fields.to_string(),
        extra: extra.iter().map(|line| line.to_string()).collect(),
    }
}

/// A ledger line of a fixture at `time` (HH:MM) on the fixture's day.
fn event_line(time: &str, event: &str, more: Value) -> String {
    let mut line = json!({
        "ts": format!("2026-11-20T{time}:00Z"),
        "user": "@ana",
        "event": event,
        "desc": event,
    });
    if let (Some(line), Value::Object(more)) = (line.as_object_mut(), more) {
        line.extend(more);
    }
    line.to_string()
}

fn id(number: u32) -> String {
    format!("{number:04}")
}

impl Spec {
    fn folder(&self) -> String {
        format!("{}/TASK-{}-job", self.stage, id(self.number))
    }

    fn overrides(&self) -> Vec<(String, String)> {
        self.fields
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let (key, value) = line.split_once(':').expect("a `key: value` line");
                (key.trim().to_string(), value.trim().to_string())
            })
            .collect()
    }

    /// An override's value without its quotes.
    fn value(&self, key: &str) -> Option<String> {
        self.overrides()
            .into_iter()
            .find(|(found, _)| found == key)
            .map(|(_, value)| value.trim_matches('"').to_string())
    }

    fn card(&self) -> String {
        let short = id(self.number);
        let later = STAGE_NAMES.iter().position(|s| *s == self.stage) >= Some(2);
        let defaults = [
            ("task_id", format!("\"{short}\"")),
            ("created_by", "\"@ana\"".into()),
            ("created_date", "\"2026-11-20\"".into()),
            ("schema_version", "\"1.0\"".into()),
            ("task_name", format!("\"Task {short}\"")),
            ("stage", format!("\"{}\"", self.stage)),
            ("priority", if later { "\"P2\"" } else { "null" }.into()),
            (
                "effort_estimate",
                if later { "\"M\"" } else { "null" }.into(),
            ),
            ("tags", "[]".into()),
            ("current_dri", "\"@ana\"".into()),
            ("status", "\"active\"".into()),
            ("blocked_by", "null".into()),
            ("paused_reason", "null".into()),
            ("depends_on", "[]".into()),
            ("blocks", "[]".into()),
            ("related_to", "[]".into()),
            ("split_from", "null".into()),
            ("split_into", "[]".into()),
        ];
        let overrides = self.overrides();
        let mut lines: Vec<String> = defaults
            .iter()
            .map(|(key, default)| {
                let value = overrides
                    .iter()
                    .find(|(found, _)| found == key)
                    .map_or(default, |(_, value)| value);
                format!("{key}: {value}")
            })
            .collect();
        for (key, value) in &overrides {
            if !defaults.iter().any(|(known, _)| known == key) {
                lines.push(format!("{key}: {value}"));
            }
        }
        format!(
            "---\n{}\n---\n\n## Goal\n\nDo the thing.\n\n## Inputs Required\n\n- none\n\n## Implementation Details\n\nSteps.\n\n## Expected Outputs\n\nA result.\n\n## Acceptance Criteria\n\n- [ ] it works\n",
            lines.join("\n")
        )
    }

    fn ledger(&self) -> String {
        let short = id(self.number);
        let mut lines = vec![
            event_line("01:00", "id_reserved", json!({"task_id": short})),
            event_line("01:05", "created", json!({})),
        ];
        let reached = STAGE_NAMES.iter().position(|s| *s == self.stage).unwrap();
        for (stage, hour, events) in HISTORY {
            if STAGE_NAMES.iter().position(|s| *s == stage).unwrap() > reached {
                break;
            }
            for (minute, event) in events.iter().enumerate() {
                lines.push(event_line(&format!("{hour}:0{minute}"), event, json!({})));
            }
        }
        lines.extend(self.extra.iter().cloned());
        lines.iter().map(|line| format!("{line}\n")).collect()
    }

    /// The Dependencies cell: `TASK-0002, TASK-0003` or `-`.
    fn dependencies(&self) -> String {
        let Some(list) = self.value("depends_on") else {
            return "-".into();
        };
        let ids: Vec<String> = list
            .trim_matches(['[', ']'])
            .split(',')
            .map(|item| item.trim().trim_matches('"').trim_start_matches("TASK-"))
            .filter(|item| !item.is_empty())
            .map(|item| format!("TASK-{item}"))
            .collect();
        if ids.is_empty() {
            "-".into()
        } else {
            ids.join(", ")
        }
    }

    fn status(&self) -> String {
        self.value("status").unwrap_or_else(|| "active".into())
    }

    fn flags(&self) -> String {
        match self.status().as_str() {
            "blocked" => {
                let by = self.value("blocked_by").unwrap_or_default();
                match by.strip_prefix("task:") {
                    Some(task) => format!("blocked({task})"),
                    None => format!("blocked({by})"),
                }
            }
            "paused" => "paused".into(),
            _ => "-".into(),
        }
    }

    fn name(&self) -> String {
        self.value("task_name")
            .unwrap_or_else(|| format!("Task {}", id(self.number)))
    }

    fn dri(&self) -> String {
        self.value("current_dri").unwrap_or_else(|| "@ana".into())
    }
}

const ROOT_HEADER: &str = "| ID | Name | DRI | Stage | Status | Flags | Dependencies |\n|----|------|-----|-------|--------|-------|--------------|\n";
const STAGE_HEADER: &str = "| ID | Name | DRI | Status | Flags | Dependencies |\n|----|------|-----|--------|-------|--------------|\n";

/// A workspace in a temporary folder: `base/.work/tasks`.
struct Ws {
    _dir: TempDir,
    base: PathBuf,
    root: PathBuf,
}

impl Ws {
    /// Writes the packages, every stage's INDEX.md (rows as the cards say), the root INDEX.md
    /// and ID_COUNTER.txt, plus `files` (relative to the tasks root); then checks the tree is
    /// clean, so whatever a test finds afterwards is the command's doing.
    fn new(specs: &[Spec], files: &[(&str, &str)]) -> Ws {
        let ws = Ws::unchecked(specs, files);
        let diagnostics = ws.check_json(&[]);
        assert_eq!(
            diagnostics["diagnostics"],
            json!([]),
            "the fixture is not clean: {diagnostics:#}"
        );
        ws
    }

    fn unchecked(specs: &[Spec], files: &[(&str, &str)]) -> Ws {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join(".work/tasks");
        let mut written: Vec<(String, String)> = Vec::new();
        let mut root_index = format!("# Tasks\n\n{ROOT_HEADER}");
        for stage in STAGE_NAMES {
            let mut index = format!("# {stage}\n\n{STAGE_HEADER}");
            for spec in specs.iter().filter(|spec| spec.stage == stage) {
                let short = id(spec.number);
                let (name, dri, status) = (spec.name(), spec.dri(), spec.status());
                let (flags, deps) = (spec.flags(), spec.dependencies());
                index.push_str(&format!(
                    "| {short} | {name} | {dri} | {status} | {flags} | {deps} |\n"
                ));
                root_index.push_str(&format!(
                    "| {short} | {name} | {dri} | {stage} | {status} | {flags} | {deps} |\n"
                ));
                let folder = spec.folder();
                written.push((format!("{folder}/{short}-job.task.md"), spec.card()));
                written.push((
                    format!("{folder}/{short}.context.md"),
                    "# Context\n\nBackground.\n".into(),
                ));
                written.push((format!("{folder}/{short}.ledger.jsonl"), spec.ledger()));
            }
            written.push((format!("{stage}/INDEX.md"), index));
        }
        written.push(("INDEX.md".into(), root_index));
        written.push(("ID_COUNTER.txt".into(), "0100\n".into()));
        written.extend(
            files
                .iter()
                .map(|(rel, text)| (rel.to_string(), text.to_string())),
        );
        for (rel, text) in written {
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

    /// Runs the binary in the workspace's folder at [`NOW`], with extra environment.
    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
            .args(args)
            .env("FLOWOS_NOW", NOW)
            .env_remove("FLOWOS_FAULT_STOP_AFTER")
            .env_remove("FLOWOS_USER")
            .envs(env.iter().copied())
            .current_dir(&self.base)
            .output()
            .expect("the binary runs")
    }

    /// Runs the binary in `cwd` (for relative PATHs) at [`NOW`].
    fn run_in(&self, cwd: &Path, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
            .args(args)
            .env("FLOWOS_NOW", NOW)
            .env_remove("FLOWOS_FAULT_STOP_AFTER")
            .current_dir(cwd)
            .output()
            .expect("the binary runs")
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }

    /// `transition <id> <action> . --user USER --now NOW`, plus `more` arguments.
    fn transition(&self, task: &str, action: &str, more: &[&str]) -> Output {
        self.transition_env(task, action, more, &[])
    }

    fn transition_env(
        &self,
        task: &str,
        action: &str,
        more: &[&str],
        env: &[(&str, &str)],
    ) -> Output {
        let mut args = vec![
            "transition",
            task,
            action,
            ".",
            "--user",
            USER,
            "--now",
            NOW,
        ];
        args.extend(more);
        self.run_env(&args, env)
    }

    /// `check --format json` (plus `more`), parsed.
    fn check_json(&self, more: &[&str]) -> Value {
        let mut args = vec!["check", ".", "--format", "json", "--now", NOW];
        args.extend(more);
        let output = self.run(&args);
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "check failed: {}",
            text(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("check prints JSON")
    }

    /// The diagnostics `check` reports now, as (rule, message), SLOs left out (time in stage
    /// restarts with every move).
    fn diagnostics(&self) -> BTreeSet<(String, String)> {
        rule_messages(&self.check_json(&[]))
    }

    /// Every file (bytes) and folder (None) below the tasks root, by relative path.
    fn snapshot(&self) -> BTreeMap<String, Option<Vec<u8>>> {
        fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Option<Vec<u8>>>) {
            for entry in fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if path.is_dir() {
                    out.insert(rel, None);
                    walk(&path, root, out);
                } else {
                    out.insert(rel, Some(fs::read(&path).unwrap()));
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(&self.root, &self.root, &mut out);
        out
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn exists(&self, rel: &str) -> bool {
        self.root.join(rel).exists()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn rule_messages(report: &Value) -> BTreeSet<(String, String)> {
    report["diagnostics"]
        .as_array()
        .expect("a diagnostics array")
        .iter()
        .filter(|d| d["rule"] != "slo-exceeded")
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn folder_rel(stage: &str, number: u32) -> String {
    format!("{stage}/TASK-{}-job", id(number))
}

fn ledger_rel(stage: &str, number: u32) -> String {
    format!("{}/{}.ledger.jsonl", folder_rel(stage, number), id(number))
}

fn card_rel(stage: &str, number: u32) -> String {
    format!("{}/{}-job.task.md", folder_rel(stage, number), id(number))
}

/// The value of `key` in a card's frontmatter, quotes removed.
fn frontmatter_value(card: &str, key: &str) -> Option<String> {
    let body = card.strip_prefix("---\n")?;
    let end = body.find("\n---\n")?;
    body[..end].lines().find_map(|line| {
        let (found, value) = line.split_once(':')?;
        (found.trim() == key).then(|| value.trim().trim_matches('"').to_string())
    })
}

/// The cells of the rows listing `short` (e.g. `0001`) in an INDEX.md.
fn rows(index: &str, short: &str) -> Vec<Vec<String>> {
    index
        .lines()
        .filter(|line| line.starts_with('|'))
        .map(|line| {
            line.trim()
                .trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|cells| cells.first().map(String::as_str) == Some(short))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Transitions that go through

/// What a transition must do to one task.
struct Change {
    number: u32,
    from: &'static str,
    to: &'static str,
    /// The card's status afterwards (also the index rows' Status cell).
    status: &'static str,
    /// Other frontmatter values afterwards, quotes removed (`null` for a cleared value).
    fields: Vec<(&'static str, &'static str)>,
    /// The events appended to its ledger, in order, each with fields it must carry.
    events: Vec<(&'static str, Value)>,
}

fn change(number: u32, from: &'static str, to: &'static str, status: &'static str) -> Change {
    Change {
        number,
        from,
        to,
        status,
        fields: Vec::new(),
        events: Vec::new(),
    }
}

impl Change {
    fn field(mut self, key: &'static str, value: &'static str) -> Change {
        self.fields.push((key, value));
        self
    }

    fn event(mut self, name: &'static str, fields: Value) -> Change {
        self.events.push((name, fields));
        self
    }

    /// An event carrying `from`/`to`: this change's stages.
    fn moved(self, name: &'static str) -> Change {
        let (from, to) = (self.from, self.to);
        self.event(name, json!({"from": from, "to": to}))
    }
}

/// Runs `transition <task> <action>` and checks everything it wrote: for each changed task,
/// the folder in its new stage (the old path gone), the old ledger a byte-for-byte prefix of
/// the new one followed by exactly the expected events, the frontmatter values, the stage and
/// root index rows; no other file touched; and no diagnostic that was not there before.
fn assert_transition(ws: &Ws, task: &str, action: &str, changes: &[Change]) -> String {
    let before = ws.snapshot();
    let diagnostics_before = ws.diagnostics();
    let output = ws.transition(task, action, &[]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{task} {action}: {}{stdout}",
        text(&output.stderr)
    );
    let after = ws.snapshot();
    let mut may_change: BTreeSet<String> = BTreeSet::from(["INDEX.md".to_string()]);

    for change in changes {
        let short = id(change.number);
        let context = format!("{task} {action}, TASK-{short}");
        let (old_folder, new_folder) = (
            folder_rel(change.from, change.number),
            folder_rel(change.to, change.number),
        );
        if change.from != change.to {
            assert!(!ws.exists(&old_folder), "{context}: {old_folder} is left");
        }
        assert!(
            ws.root.join(&new_folder).is_dir(),
            "{context}: no {new_folder}"
        );
        for folder in [&old_folder, &new_folder] {
            may_change.insert(folder.clone());
        }
        for stage in [change.from, change.to] {
            may_change.insert(format!("{stage}/INDEX.md"));
        }

        // Ledger: appended to, never rewritten; exactly the expected events.
        let old_ledger = before[&ledger_rel(change.from, change.number)]
            .clone()
            .unwrap();
        let new_ledger = fs::read(ws.root.join(ledger_rel(change.to, change.number))).unwrap();
        assert!(
            new_ledger.starts_with(&old_ledger),
            "{context}: the ledger's old bytes are not a prefix of the new ledger"
        );
        let added = text(&new_ledger[old_ledger.len()..]);
        assert!(added.ends_with('\n'), "{context}: {added:?}");
        let lines: Vec<Value> = added
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
            .collect();
        let names: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
        let wanted: Vec<&str> = change.events.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, wanted, "{context}: events appended\n{added}");
        for (line, (name, fields)) in lines.iter().zip(&change.events) {
            assert_eq!(line["ts"], NOW, "{context}: {name}'s ts");
            assert_eq!(line["user"], USER, "{context}: {name}'s user");
            assert!(
                line["desc"].as_str().is_some_and(|d| !d.is_empty()),
                "{context}: {name} has no desc"
            );
            for (key, value) in fields.as_object().unwrap() {
                assert_eq!(&line[key], value, "{context}: {name}'s {key} in {line}");
            }
        }

        // Card: stage, status and the other values; the body is untouched.
        let card = ws.read(&card_rel(change.to, change.number));
        let value = |key: &str| frontmatter_value(&card, key);
        assert_eq!(
            value("stage").as_deref(),
            Some(change.to),
            "{context}\n{card}"
        );
        assert_eq!(
            value("status").as_deref(),
            Some(change.status),
            "{context}\n{card}"
        );
        for (key, wanted) in &change.fields {
            assert_eq!(
                value(key).as_deref(),
                Some(*wanted),
                "{context}: {key}\n{card}"
            );
        }
        let old_card = text(
            before[&card_rel(change.from, change.number)]
                .as_deref()
                .unwrap(),
        );
        let body = |card: &str| card.split_once("\n---\n").unwrap().1.to_string();
        assert_eq!(
            body(&card),
            body(&old_card),
            "{context}: the card's body changed"
        );

        // Indexes: the row moved between stage indexes; the root row updated, its Flags
        // derived from the new status.
        let flags = match change.status {
            "blocked" => {
                let by = change.fields.iter().find(|(key, _)| *key == "blocked_by");
                let by = by.expect("a blocked change names its blocker").1;
                let by = by.strip_prefix("task:").unwrap_or(by);
                format!("blocked({})", by.split(' ').next().unwrap())
            }
            "paused" => "paused".to_string(),
            _ => "-".to_string(),
        };
        let stage_index = ws.read(&format!("{}/INDEX.md", change.to));
        let found = rows(&stage_index, &short);
        assert_eq!(
            found.len(),
            1,
            "{context}: rows in {}/INDEX.md\n{stage_index}",
            change.to
        );
        assert_eq!(
            (found[0][3].as_str(), found[0][4].as_str()),
            (change.status, flags.as_str()),
            "{context}: Status and Flags\n{stage_index}"
        );
        if change.from != change.to {
            let old_index = ws.read(&format!("{}/INDEX.md", change.from));
            assert!(
                rows(&old_index, &short).is_empty(),
                "{context}: a row is left in {}/INDEX.md\n{old_index}",
                change.from
            );
        }
        let root_index = ws.read("INDEX.md");
        let found = rows(&root_index, &short);
        assert_eq!(found.len(), 1, "{context}: root rows\n{root_index}");
        assert_eq!(
            (
                found[0][3].as_str(),
                found[0][4].as_str(),
                found[0][5].as_str()
            ),
            (change.to, change.status, flags.as_str()),
            "{context}: root row\n{root_index}"
        );
    }

    // Nothing else was written, created or removed.
    let free = |rel: &String| {
        !may_change
            .iter()
            .any(|allowed| rel == allowed || rel.starts_with(&format!("{allowed}/")))
    };
    let untouched =
        |snapshot: &BTreeMap<String, Option<Vec<u8>>>| -> BTreeMap<String, Option<Vec<u8>>> {
            snapshot
                .iter()
                .filter(|(rel, _)| free(rel))
                .map(|(rel, bytes)| (rel.clone(), bytes.clone()))
                .collect()
        };
    assert!(
        untouched(&before) == untouched(&after),
        "{task} {action} changed files it should not have"
    );

    let new: Vec<_> = ws
        .diagnostics()
        .difference(&diagnostics_before)
        .cloned()
        .collect();
    assert!(
        new.is_empty(),
        "{task} {action} caused diagnostics: {new:#?}"
    );
    stdout
}

#[test]
fn verify_moves_inbox_to_backlog() {
    let ws = Ws::new(&[t("inbox", 1, "")], &[]);
    let stdout = assert_transition(
        &ws,
        "TASK-0001",
        "verify",
        &[change(1, "inbox", "backlog", "active").moved("verified")],
    );
    assert!(
        stdout.starts_with("Verify TASK-0001 (inbox → backlog)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("card: .work/tasks/backlog/TASK-0001-job/0001-job.task.md"),
        "{stdout}"
    );
}

#[test]
fn prioritize_moves_backlog_to_next() {
    let ws = Ws::new(
        &[t("backlog", 1, "priority: \"P2\"\neffort_estimate: \"M\"")],
        &[],
    );
    assert_transition(
        &ws,
        "0001",
        "prioritize",
        &[change(1, "backlog", "next", "active")
            .field("priority", "P2")
            .moved("validated")
            .moved("prioritized")],
    );
}

#[test]
fn prioritize_with_an_unfinished_dependency_waits_on_it_blocked() {
    let ws = Ws::new(
        &[
            t(
                "backlog",
                1,
                "priority: \"P2\"\neffort_estimate: \"M\"\ndepends_on: [\"TASK-0002\", \"TASK-0003\"]",
            ),
            t("backlog", 2, "blocks: [\"TASK-0001\"]"),
            t("integration", 3, "blocks: [\"TASK-0001\"]"),
        ],
        &[],
    );
    assert_transition(
        &ws,
        "TASK-0001",
        "prioritize",
        &[change(1, "backlog", "next", "blocked")
            .field("blocked_by", "task:TASK-0002")
            .moved("validated")
            .event("waiting_on", json!({"dependency": "TASK-0002"}))
            .moved("prioritized")],
    );
    let root_row = &rows(&ws.read("INDEX.md"), "0001")[0];
    assert_eq!(
        root_row[6], "TASK-0002, TASK-0003",
        "Dependencies: {root_row:?}"
    );
}

#[test]
fn start_moves_next_to_current() {
    let ws = Ws::new(
        &[
            t("next", 1, "depends_on: [\"TASK-0002\"]"),
            t("learning", 2, "blocks: [\"TASK-0001\"]"),
        ],
        &[],
    );
    assert_transition(
        &ws,
        "TASK-0001",
        "start",
        &[change(1, "next", "current", "active")
            .moved("validated")
            .moved("started")],
    );
}

#[test]
fn fast_track_with_room_in_current_displaces_nothing() {
    let ws = Ws::new(
        &[
            t("backlog", 1, "priority: \"P0\"\neffort_estimate: \"S\""),
            t("current", 2, ""),
        ],
        &[],
    );
    assert_transition(
        &ws,
        "TASK-0001",
        "fast-track",
        &[change(1, "backlog", "current", "active")
            .moved("validated")
            .moved("fast_tracked")
            .moved("started")],
    );
}

#[test]
fn fast_track_into_a_full_current_pauses_its_lowest_priority_task() {
    let ws = Ws::new(
        &[
            t("backlog", 1, "priority: \"P0\"\neffort_estimate: \"S\""),
            t("current", 2, "priority: \"P0\""),
            t("current", 3, "priority: \"P3\""),
            t("current", 4, "priority: \"P1\""),
            // Lowest priority, but blocked: pausing it would free nothing.
            t(
                "current",
                5,
                "priority: \"P4\"\nstatus: \"blocked\"\nblocked_by: \"external:vendor\"",
            ),
            t("current", 6, "priority: \"P3\""),
        ],
        &[],
    );
    assert_transition(
        &ws,
        "TASK-0001",
        "fast-track",
        &[
            change(1, "backlog", "current", "active")
                .moved("validated")
                .event("displaced", json!({"displaced_task": "TASK-0006"}))
                .moved("fast_tracked")
                .moved("started"),
            change(6, "current", "next", "paused")
                .field("paused_reason", "Preempted by P0 TASK-0001")
                .field("paused_date", "2026-11-20")
                .event(
                    "paused_by_p0",
                    json!({"preempted_by": "TASK-0001", "from": "current", "to": "next"}),
                ),
        ],
    );
    // The other tasks in current stay where they were.
    for number in [2, 3, 4, 5] {
        assert!(
            ws.exists(&folder_rel("current", number)),
            "TASK-000{number}"
        );
    }
}

#[test]
fn complete_moves_current_to_integration() {
    let ws = Ws::new(&[t("current", 1, "")], &[]);
    assert_transition(
        &ws,
        "TASK-0001",
        "complete",
        &[change(1, "current", "integration", "active").moved("implemented")],
    );
}

#[test]
fn rework_sends_current_back_to_next() {
    let ws = Ws::new(&[t("current", 1, "")], &[]);
    assert_transition(
        &ws,
        "TASK-0001",
        "rework",
        &[change(1, "current", "next", "active").moved("rework_required")],
    );
}

#[test]
fn integrate_moves_integration_to_learning() {
    let ws = Ws::new(&[t("integration", 1, "")], &[]);
    assert_transition(
        &ws,
        "TASK-0001",
        "integrate",
        &[change(1, "integration", "learning", "active")
            .event("integrated", json!({}))
            .moved("moved_to_learning")],
    );
}

#[test]
fn close_with_a_learning_file_documents_it() {
    let learning = "# System of Work Learning\n\nSmaller batches.\n";
    let ws = Ws::new(
        &[t("learning", 1, "")],
        &[("learning/TASK-0001-job/0001.learning.md", learning)],
    );
    assert_transition(
        &ws,
        "TASK-0001",
        "close",
        &[change(1, "learning", "archived", "active")
            .event("learning_documented", json!({}))
            .moved("closed")],
    );
    assert_eq!(
        ws.read("archived/TASK-0001-job/0001.learning.md"),
        learning,
        "the learning file moves with the folder"
    );
}

#[test]
fn close_without_a_learning_file_skips_learning() {
    let ws = Ws::new(&[t("learning", 1, "")], &[]);
    assert_transition(
        &ws,
        "TASK-0001",
        "close",
        &[change(1, "learning", "archived", "active")
            .event("learning_skipped", json!({}))
            .moved("closed")],
    );
}

#[test]
fn close_without_learning_goes_from_integration_to_archived() {
    let ws = Ws::new(&[t("integration", 1, "")], &[]);
    assert_transition(
        &ws,
        "TASK-0001",
        "close-without-learning",
        &[change(1, "integration", "archived", "active")
            .event("integrated", json!({}))
            .event("learning_skipped", json!({}))
            .moved("closed")],
    );
}

#[test]
fn cancel_archives_the_task_and_blocks_its_waiting_dependent() {
    let ws = Ws::new(
        &[
            t(
                "current",
                1,
                "canceled_reason: \"superseded: the vendor ships it\"\nblocks: [\"TASK-0002\"]",
            ),
            t("backlog", 2, "depends_on: [\"TASK-0001\"]"),
        ],
        &[],
    );
    assert_transition(
        &ws,
        "TASK-0001",
        "cancel",
        &[
            change(1, "current", "archived", "canceled")
                .field("canceled_reason", "superseded: the vendor ships it")
                .event(
                    "canceled",
                    json!({"reason": "superseded: the vendor ships it", "from": "current", "to": "archived"}),
                )
                .event("cascade_cancel", json!({"dependents": ["TASK-0002"]})),
            change(2, "backlog", "backlog", "blocked")
                .field("blocked_by", "task:TASK-0001 (canceled)")
                .event("cascade_blocked_by_cancel", json!({"blocker": "TASK-0001"})),
        ],
    );
}

#[test]
fn block_on_an_unfinished_dependency() {
    let ws = Ws::new(
        &[
            t("next", 1, "depends_on: [\"TASK-0002\"]"),
            t("backlog", 2, "blocks: [\"TASK-0001\"]"),
        ],
        &[],
    );
    assert_transition(
        &ws,
        "TASK-0001",
        "block:TASK-0002",
        &[change(1, "next", "next", "blocked")
            .field("blocked_by", "task:TASK-0002")
            .event("blocked", json!({"blocked_by": "task:TASK-0002"}))],
    );
}

#[test]
fn unblock_once_the_blocker_is_finished() {
    let ws = Ws::new(
        &[
            t(
                "next",
                1,
                "depends_on: [\"TASK-0002\"]\nstatus: \"blocked\"\nblocked_by: \"task:TASK-0002\"",
            ),
            t("integration", 2, "blocks: [\"TASK-0001\"]"),
        ],
        &[],
    );
    assert_transition(
        &ws,
        "TASK-0001",
        "unblock",
        &[change(1, "next", "next", "active")
            .field("blocked_by", "null")
            .event(
                "unblocked",
                json!({"previously_blocked_by": "task:TASK-0002"}),
            )],
    );
}

#[test]
fn pause_in_current_moves_to_next() {
    let ws = Ws::new(
        &[t(
            "current",
            1,
            "paused_reason: \"vacation: back on 2026-12-01\"",
        )],
        &[],
    );
    assert_transition(
        &ws,
        "TASK-0001",
        "pause",
        &[change(1, "current", "next", "paused")
            .field("paused_reason", "vacation: back on 2026-12-01")
            .field("paused_date", "2026-11-20")
            .event(
                "paused",
                json!({
                    "reason": "vacation: back on 2026-12-01",
                    "paused_from_stage": "current",
                    "from": "current",
                    "to": "next",
                }),
            )],
    );
}

#[test]
fn pause_in_backlog_stays() {
    let ws = Ws::new(
        &[t(
            "backlog",
            1,
            "paused_reason: \"budget approval pending\"",
        )],
        &[],
    );
    assert_transition(
        &ws,
        "TASK-0001",
        "pause",
        &[change(1, "backlog", "backlog", "paused")
            .field("paused_date", "2026-11-20")
            .event(
                "paused",
                json!({"reason": "budget approval pending", "paused_from_stage": "backlog", "to": null}),
            )],
    );
}

#[test]
fn resume_after_a_pause_out_of_current_stays_in_next() {
    let started = event_line("08:00", "started", json!({"from": "next", "to": "current"}));
    let paused = event_line(
        "09:00",
        "paused",
        json!({"reason": "vacation", "paused_from_stage": "current", "from": "current", "to": "next"}),
    );
    let ws = Ws::new(
        &[t_with(
            "next",
            1,
            "status: \"paused\"\npaused_reason: \"vacation\"\npaused_date: \"2026-11-20\"",
            &[&started, &paused],
        )],
        &[],
    );
    assert_transition(
        &ws,
        "TASK-0001",
        "resume",
        &[change(1, "next", "next", "active")
            .field("paused_reason", "null")
            .field("paused_date", "null")
            .event("resumed", json!({"resumed_to_stage": "next"}))],
    );
}

#[test]
fn relative_and_default_paths_reach_the_same_tasks_root() {
    // The transaction once refused every path the CLI built from a relative PATH
    // (`./.work/tasks/…`), so only absolute PATHs worked.
    let ws = Ws::new(
        &[t("inbox", 1, ""), t("inbox", 2, ""), t("inbox", 3, "")],
        &[],
    );
    let folder_name = ws.base.file_name().unwrap().to_str().unwrap().to_string();
    let runs: [(PathBuf, &str, Vec<&str>); 3] = [
        (ws.base.clone(), "TASK-0001", vec![]),
        (
            ws.base.parent().unwrap().to_path_buf(),
            "TASK-0002",
            vec![folder_name.as_str()],
        ),
        (ws.root.clone(), "TASK-0003", vec![]),
    ];
    for (cwd, task, path) in runs {
        let mut args = vec!["transition", task, "verify"];
        args.extend(path.iter().copied());
        args.extend(["--user", USER, "--now", NOW]);
        let output = ws.run_in(&cwd, &args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{task} from {}: {}",
            cwd.display(),
            text(&output.stderr)
        );
    }
    for number in 1..=3 {
        assert!(
            ws.exists(&folder_rel("backlog", number)),
            "TASK-000{number}"
        );
    }
    let new = ws.run_in(
        &ws.base,
        &["new", "Fix login", "--user", USER, "--now", NOW],
    );
    assert_eq!(new.status.code(), Some(0), "{}", text(&new.stderr));
    assert_eq!(ws.diagnostics(), BTreeSet::new());
}

// ---------------------------------------------------------------------------------------------
// Refusals and dry runs: nothing on disk changes

/// Runs a transition that must be refused: exit 1, the reason (containing `wanted`) on
/// stderr, nothing on stdout, every file and folder as it was; `list` shows the action
/// blocked with the same reason. Returns the reason.
fn assert_refused(ws: &Ws, task: &str, action: &str, wanted: &str) -> String {
    let before = ws.snapshot();
    let output = ws.transition(task, action, &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{task} {action}: {stderr}");
    assert_eq!(text(&output.stdout), "", "{task} {action}");
    let reason = stderr
        .strip_prefix("flowos-lsp: refused: ")
        .and_then(|rest| rest.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("{task} {action}: not a refusal: {stderr:?}"))
        .to_string();
    assert!(reason.contains(wanted), "{task} {action}: {reason}");
    assert!(
        before == ws.snapshot(),
        "{task} {action} was refused but changed the disk"
    );

    let list = ws.transition(task, "list", &[]);
    assert_eq!(list.status.code(), Some(0), "{}", text(&list.stderr));
    let listed = text(&list.stdout);
    let line = listed
        .lines()
        .find(|line| line.split_whitespace().next() == Some(action))
        .unwrap_or_else(|| panic!("{task}: `{action}` is not listed:\n{listed}"));
    assert!(
        line.ends_with(&format!("(blocked: {reason})")),
        "{task}: {line}"
    );
    assert!(before == ws.snapshot(), "`list` changed the disk");
    reason
}

#[test]
fn start_is_refused_when_current_is_at_its_wip_limit() {
    let mut specs = vec![t("next", 1, "")];
    specs.extend((2..=6).map(|number| t("current", number, "")));
    let ws = Ws::new(&specs, &[]);
    let reason = assert_refused(&ws, "TASK-0001", "start", "WIP limit");
    assert!(reason.contains("(5/5)"), "{reason}");
}

#[test]
fn start_is_refused_while_a_dependency_is_unfinished() {
    let ws = Ws::new(
        &[
            t("next", 1, "depends_on: [\"TASK-0002\"]"),
            t("backlog", 2, "blocks: [\"TASK-0001\"]"),
        ],
        &[],
    );
    assert_refused(
        &ws,
        "TASK-0001",
        "start",
        "TASK-0002 is still in backlog; log a concurrent_ok waiver",
    );
}

#[test]
fn complete_is_refused_while_paused() {
    let ws = Ws::new(
        &[t(
            "current",
            1,
            "status: \"paused\"\npaused_reason: \"waiting on review\"",
        )],
        &[],
    );
    assert_refused(
        &ws,
        "TASK-0001",
        "complete",
        "status is paused; resume it first",
    );
}

#[test]
fn prioritize_is_refused_without_priority_or_effort() {
    let ws = Ws::new(
        &[t("backlog", 1, ""), t("backlog", 2, "priority: \"P1\"")],
        &[],
    );
    assert_refused(
        &ws,
        "TASK-0001",
        "prioritize",
        "no priority or effort_estimate set",
    );
    assert_refused(&ws, "TASK-0002", "prioritize", "no effort_estimate set");
}

#[test]
fn cancel_is_refused_without_a_canceled_reason() {
    let ws = Ws::new(&[t("next", 1, "canceled_reason: \"\"")], &[]);
    assert_refused(&ws, "TASK-0001", "cancel", "canceled_reason is empty");
}

#[test]
fn pause_is_refused_without_a_paused_reason() {
    let ws = Ws::new(&[t("current", 1, "")], &[]);
    assert_refused(&ws, "TASK-0001", "pause", "paused_reason is empty");
}

#[test]
fn usage_errors_exit_2_and_change_nothing() {
    let ws = Ws::new(&[t("next", 1, "")], &[]);
    let before = ws.snapshot();
    for (task, action) in [
        ("TASK-0001", "launch"),
        ("TASK-0042", "start"),
        ("x", "start"),
    ] {
        let output = ws.transition(task, action, &[]);
        assert_eq!(output.status.code(), Some(2), "{task} {action}");
        assert!(!output.stderr.is_empty());
    }
    assert!(before == ws.snapshot());
}

#[test]
fn a_dry_run_writes_nothing_and_prints_the_lines_a_real_run_appends() {
    let ws = Ws::new(&[t("next", 1, "")], &[]);
    let before = ws.snapshot();
    let output = ws.transition("TASK-0001", "start", &["--dry-run"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(before == ws.snapshot(), "the dry run wrote to disk");
    let stdout = text(&output.stdout);
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some("Start TASK-0001 (next → current) (dry run; nothing written)")
    );
    assert_eq!(
        lines.next(),
        Some("append to .work/tasks/next/TASK-0001-job/0001.ledger.jsonl:")
    );
    let planned: Vec<String> = stdout
        .lines()
        .skip(2)
        .map_while(|line| line.strip_prefix("  + {"))
        .map(|rest| format!("{{{rest}"))
        .collect();
    let events: Vec<Value> = planned
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["validated", "started"], "{stdout}");
    assert!(events.iter().all(|e| e["ts"] == NOW && e["user"] == USER));
    assert!(stdout.contains("rewrite .work/tasks/next/TASK-0001-job/0001-job.task.md:\n  - stage: \"next\"\n  + stage: \"current\"\n"), "{stdout}");
    assert!(stdout.contains("rewrite .work/tasks/INDEX.md:"), "{stdout}");
    assert!(
        stdout.ends_with(
            "move .work/tasks/next/TASK-0001-job -> .work/tasks/current/TASK-0001-job\n"
        ),
        "{stdout}"
    );

    // The real run appends exactly the planned lines.
    let old = before[&ledger_rel("next", 1)].clone().unwrap();
    let real = ws.transition("TASK-0001", "start", &[]);
    assert_eq!(real.status.code(), Some(0), "{}", text(&real.stderr));
    let new = fs::read(ws.root.join(ledger_rel("current", 1))).unwrap();
    assert!(new.starts_with(&old));
    let appended: Vec<String> = text(&new[old.len()..])
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(appended, planned);
}

// ---------------------------------------------------------------------------------------------
// A transaction stopped part way, finished by `check --fix`

#[test]
fn an_interrupted_start_is_reported_and_finished_by_check_fix() {
    for step in ["ledger", "frontmatter", "index"] {
        let ws = Ws::new(&[t("next", 1, ""), t("current", 2, "")], &[]);
        let old_ledger = ws.read(&ledger_rel("next", 1));
        let output = ws.transition_env(
            "TASK-0001",
            "start",
            &[],
            &[("FLOWOS_FAULT_STOP_AFTER", step)],
        );
        let stderr = text(&output.stderr);
        assert_ne!(output.status.code(), Some(0), "{step}: {stderr}");
        assert!(
            stderr.contains(&format!("stopped after the {step} step")),
            "{step}: {stderr}"
        );

        // The commit happened: the ledger has the new lines; the folder did not move.
        let crashed_ledger = ws.read(&ledger_rel("next", 1));
        let added = crashed_ledger
            .strip_prefix(old_ledger.as_str())
            .unwrap_or_else(|| panic!("{step}: the ledger was rewritten"));
        let names: Vec<String> = added
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap()["event"].to_string())
            .collect();
        assert_eq!(names, ["\"validated\"", "\"started\""], "{step}");
        assert!(ws.exists(&folder_rel("next", 1)), "{step}");
        assert!(!ws.exists(&folder_rel("current", 1)), "{step}");
        // Steps up to `step` are done, the later ones are not.
        let card_stage = frontmatter_value(&ws.read(&card_rel("next", 1)), "stage");
        let wanted_stage = if step == "ledger" { "next" } else { "current" };
        assert_eq!(card_stage.as_deref(), Some(wanted_stage), "{step}");
        let root_row = &rows(&ws.read("INDEX.md"), "0001")[0];
        let wanted_row = if step == "index" { "current" } else { "next" };
        assert_eq!(root_row[3], wanted_row, "{step}");

        let rules: BTreeSet<String> = ws.diagnostics().into_iter().map(|(rule, _)| rule).collect();
        assert!(rules.contains("ledger-stage-drift"), "{step}: {rules:?}");

        let fixed = ws.run(&["check", ".", "--fix", "--format", "json", "--now", NOW]);
        assert_eq!(
            fixed.status.code(),
            Some(0),
            "{step}: {}",
            text(&fixed.stderr)
        );
        let report: Value = serde_json::from_slice(&fixed.stdout).unwrap();
        assert_eq!(
            rule_messages(&report),
            BTreeSet::new(),
            "{step}: {report:#}"
        );

        // The move is complete: folder, card, rows; the ledger got nothing more.
        assert!(!ws.exists(&folder_rel("next", 1)), "{step}");
        assert_eq!(ws.read(&ledger_rel("current", 1)), crashed_ledger, "{step}");
        let card = ws.read(&card_rel("current", 1));
        assert_eq!(
            frontmatter_value(&card, "stage").as_deref(),
            Some("current")
        );
        assert!(rows(&ws.read("next/INDEX.md"), "0001").is_empty(), "{step}");
        assert_eq!(
            rows(&ws.read("current/INDEX.md"), "0001").len(),
            1,
            "{step}"
        );
        assert_eq!(
            rows(&ws.read("INDEX.md"), "0001")[0][3],
            "current",
            "{step}"
        );
        assert_eq!(ws.diagnostics(), BTreeSet::new(), "{step}");
    }
}

// ---------------------------------------------------------------------------------------------
// New tasks

#[test]
fn new_creates_the_package_in_inbox_and_moves_the_counter_on() {
    let ws = Ws::new(&[t("inbox", 1, ""), t("next", 2, "")], &[]);
    let before = ws.snapshot();
    let output = ws.run(&["new", "Fix login", ".", "--user", USER, "--now", NOW]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "TASK-0100 created: .work/tasks/inbox/TASK-0100-fix-login/0100-fix-login.task.md\n"
    );
    assert_eq!(ws.read("ID_COUNTER.txt").trim(), "0101");

    let folder = "inbox/TASK-0100-fix-login";
    let card = ws.read(&format!("{folder}/0100-fix-login.task.md"));
    for (key, value) in [
        ("task_id", "0100"),
        ("task_name", "Fix login"),
        ("stage", "inbox"),
        ("status", "active"),
        ("current_dri", USER),
    ] {
        assert_eq!(
            frontmatter_value(&card, key).as_deref(),
            Some(value),
            "{card}"
        );
    }
    assert!(ws.exists(&format!("{folder}/0100.context.md")));
    let ledger = ws.read(&format!("{folder}/0100.ledger.jsonl"));
    let events: Vec<Value> = ledger
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["id_reserved", "created"], "{ledger}");
    assert!(events.iter().all(|e| e["ts"] == NOW && e["user"] == USER));

    let inbox_row = rows(&ws.read("inbox/INDEX.md"), "0100");
    assert_eq!(inbox_row.len(), 1);
    assert_eq!(&inbox_row[0][1..4], ["Fix login", USER, "active"]);
    let root_row = rows(&ws.read("INDEX.md"), "0100");
    assert_eq!(root_row.len(), 1);
    assert_eq!(&root_row[0][1..5], ["Fix login", USER, "inbox", "active"]);
    // Existing rows and every other file are as they were.
    for (rel, bytes) in &before {
        if !matches!(
            rel.as_str(),
            "INDEX.md" | "inbox/INDEX.md" | "ID_COUNTER.txt"
        ) {
            assert!(ws.snapshot().get(rel) == Some(bytes), "{rel} changed");
        }
    }
    assert_eq!(rows(&ws.read("INDEX.md"), "0001").len(), 1);
    assert_eq!(ws.diagnostics(), BTreeSet::new());
}

#[test]
fn new_without_a_user_creates_nothing_and_says_how_to_give_one() {
    let ws = Ws::new(&[t("inbox", 1, "")], &[]);
    let before = ws.snapshot();
    // `run_env` removes FLOWOS_USER from the environment; $USER is set but is not a handle.
    let output = ws.run_env(&["new", "Fix login", "."], &[("USER", "root")]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stdout));
    let message = text(&output.stderr);
    assert!(
        message.contains("--user @name") && message.contains("FLOWOS_USER"),
        "{message}"
    );
    assert_eq!(ws.snapshot(), before, "nothing is written without a user");

    // FLOWOS_USER names the creator when --user is not given; the ledger records it.
    let output = ws.run_env(&["new", "Fix login", "."], &[("FLOWOS_USER", "@kim")]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let ledger = ws.read("inbox/TASK-0100-fix-login/0100.ledger.jsonl");
    assert!(!ledger.contains("@unknown"), "{ledger}");
    for line in ledger.lines() {
        let event: Value = serde_json::from_str(line).unwrap();
        assert_eq!(event["user"], "@kim", "{line}");
    }
    let card = ws.read("inbox/TASK-0100-fix-login/0100-fix-login.task.md");
    assert_eq!(
        frontmatter_value(&card, "current_dri").as_deref(),
        Some("@kim")
    );
}

#[test]
fn eight_parallel_new_tasks_get_eight_distinct_ids() {
    let ws = Ws::new(&[t("inbox", 1, "")], &[]);
    let children: Vec<_> = (0..8)
        .map(|n| {
            Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
                .args([
                    "new",
                    &format!("Race {n}"),
                    ".",
                    "--user",
                    USER,
                    "--now",
                    NOW,
                ])
                .env_remove("FLOWOS_FAULT_STOP_AFTER")
                .current_dir(&ws.base)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("the binary starts")
        })
        .collect();
    let mut ids = BTreeSet::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let stdout = text(&output.stdout);
        let id = stdout.split_whitespace().next().unwrap().to_string();
        assert!(ids.insert(id), "an ID was handed out twice: {stdout}");
    }
    let wanted: BTreeSet<String> = (100..108).map(|n| format!("TASK-{n:04}")).collect();
    assert_eq!(ids, wanted);
    assert_eq!(ws.read("ID_COUNTER.txt").trim(), "0108");

    let folders: Vec<String> = fs::read_dir(ws.root.join("inbox"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("TASK-01"))
        .collect();
    assert_eq!(folders.len(), 8, "{folders:?}");
    for index in ["inbox/INDEX.md", "INDEX.md"] {
        let text = ws.read(index);
        for n in 100..108 {
            assert_eq!(rows(&text, &id(n)).len(), 1, "{index}: {n}\n{text}");
        }
        assert_eq!(rows(&text, "0001").len(), 1, "{index}\n{text}");
    }
    assert_eq!(ws.diagnostics(), BTreeSet::new());
}

// ---------------------------------------------------------------------------------------------
// check --fix

#[test]
fn check_fix_repairs_the_safe_problems_and_never_rewrites_a_ledger() {
    let ws = Ws::unchecked(
        &[
            // The card says next, its folder is backlog.
            t("backlog", 1, "stage: \"next\""),
            // Blocks TASK-0003, whose depends_on does not say so; and its backlog row is
            // removed below.
            t("backlog", 2, "blocks: [\"TASK-0003\"]"),
            // Its Expected Outputs section is removed below.
            t("inbox", 3, ""),
        ],
        &[("ID_COUNTER.txt", "0002\n")],
    );
    let index = ws.read("backlog/INDEX.md");
    let without_row: String = index
        .lines()
        .filter(|line| !line.starts_with("| 0002 |"))
        .map(|line| format!("{line}\n"))
        .collect();
    fs::write(ws.root.join("backlog/INDEX.md"), without_row).unwrap();
    let card = ws.root.join(card_rel("inbox", 3));
    let text_of_card = fs::read_to_string(&card).unwrap();
    fs::write(
        &card,
        text_of_card.replace("## Expected Outputs\n\nA result.\n\n", ""),
    )
    .unwrap();

    let problems = [
        "stage-mismatch",
        "index-missing-row",
        "id-counter-stale",
        "missing-section",
        "unlinked-inverse",
    ];
    let rules_before: BTreeSet<String> =
        ws.diagnostics().into_iter().map(|(rule, _)| rule).collect();
    assert_eq!(
        rules_before,
        problems.iter().map(|rule| rule.to_string()).collect(),
        "the fixture has exactly the problems meant"
    );
    let before = ws.snapshot();

    let output = ws.run(&[
        "check", ".", "--fix", "--format", "json", "--user", USER, "--now", NOW,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(rule_messages(&report), BTreeSet::new(), "{report:#}");
    assert!(
        text(&output.stderr).contains("flowos-lsp: applied "),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(ws.diagnostics(), BTreeSet::new());

    // What the fixes did.
    let value = |rel: &str, key: &str| frontmatter_value(&ws.read(rel), key);
    assert_eq!(
        value(&card_rel("backlog", 1), "stage").as_deref(),
        Some("backlog")
    );
    assert!(
        ws.read(&card_rel("inbox", 3))
            .contains("## Expected Outputs")
    );
    assert!(
        value(&card_rel("inbox", 3), "depends_on").is_some_and(|v| v.contains("0002")),
        "{}",
        ws.read(&card_rel("inbox", 3))
    );
    assert_eq!(rows(&ws.read("backlog/INDEX.md"), "0002").len(), 1);
    let counter: u32 = ws.read("ID_COUNTER.txt").trim().parse().unwrap();
    assert!(counter > 3, "{counter}");

    // Ledgers are only ever appended to.
    let after = ws.snapshot();
    for (rel, bytes) in &before {
        if rel.ends_with(".ledger.jsonl") {
            let old = bytes.as_ref().unwrap();
            let new = after[rel].as_ref().expect("the ledger is still there");
            assert!(new.starts_with(old), "{rel} was rewritten");
        }
    }
    // A second run has nothing left to do.
    let again = ws.run(&["check", ".", "--fix", "--now", NOW]);
    assert_eq!(again.status.code(), Some(0));
    assert!(after == ws.snapshot(), "a second --fix changed files");
}
