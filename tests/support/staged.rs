//! Clean task packages on disk for the end-to-end tests: every stage's ledger history up to
//! the task's stage (so a fixture starts without drift), cards with the required sections,
//! and INDEX.md files and the ID counter listing what was written.

use std::path::{Path, PathBuf};

/// The ledger lines a task in `stage` has, so the fixture starts without drift.
pub fn ledger(stage: &str) -> String {
    let order = flowos_lsp::syntax::STAGE_NAMES;
    // The event that brings a task into each stage, in the stages' order.
    let events = [
        "created",
        "verified",
        "prioritized",
        "started",
        "implemented",
        "moved_to_learning",
        "closed",
    ];
    let reached = order.iter().position(|s| *s == stage).unwrap();
    events[..=reached]
        .iter()
        .enumerate()
        .map(|(day, event)| {
            format!(
                "{{\"ts\":\"2026-11-{:02}T09:00:00Z\",\"user\":\"@kim\",\"event\":\"{event}\",\"desc\":\"{event}\"}}\n",
                day + 1
            )
        })
        .collect()
}

/// A clean task package; `extra` frontmatter lines are added.
pub fn task(root: &Path, stage: &str, number: u32, extra: &str) {
    let id = format!("{number:04}");
    let folder = root.join(stage).join(format!("TASK-{id}-job"));
    std::fs::create_dir_all(&folder).unwrap();
    // `extra` lines replace the default with the same key.
    let defaults = format!(
        "task_id: \"{id}\"\ntask_name: \"Job {id}\"\nstage: \"{stage}\"\nstatus: \"active\"\ncurrent_dri: \"@kim\"\npriority: \"P2\"\neffort_estimate: \"M\"\n"
    );
    let key = |line: &str| line.split(':').next().unwrap_or("").to_string();
    let overridden: Vec<String> = extra.lines().map(key).collect();
    let fields: String = defaults
        .lines()
        .filter(|line| !overridden.contains(&key(line)))
        .map(|line| format!("{line}\n"))
        .collect();
    let card = format!(
        "---\n{fields}{extra}---\n\n## Goal\n\nG.\n\n## Inputs Required\n\nI.\n\n## Implementation Details\n\nD.\n\n## Expected Outputs\n\nO.\n\n## Acceptance Criteria\n\n- [ ] done\n"
    );
    std::fs::write(folder.join(format!("{id}-job.task.md")), card).unwrap();
    std::fs::write(folder.join(format!("{id}.context.md")), "# Context\n").unwrap();
    std::fs::write(folder.join(format!("{id}.ledger.jsonl")), ledger(stage)).unwrap();
}

/// Writes the indexes listing every task below `root`, and the ID counter.
pub fn indexes(root: &Path, counter: u32) {
    let mut root_rows = String::from(
        "| ID | Name | DRI | Stage | Status | Dependencies |\n|----|------|-----|-------|--------|--------------|\n",
    );
    for stage in flowos_lsp::syntax::STAGE_NAMES {
        let dir = root.join(stage);
        std::fs::create_dir_all(&dir).unwrap();
        let mut rows = String::from(
            "| ID | Name | DRI | Status | Dependencies |\n|----|------|-----|--------|--------------|\n",
        );
        let mut folders: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("TASK-"))
            .collect();
        folders.sort();
        for folder in folders {
            let id = &folder[5..9];
            let card = std::fs::read_to_string(dir.join(&folder).join(format!("{id}-job.task.md")))
                .unwrap();
            let deps = card
                .lines()
                .find_map(|line| line.strip_prefix("depends_on: "))
                .map(|list| list.trim_matches(['[', ']']).replace('"', ""))
                .filter(|list| !list.is_empty())
                .unwrap_or_else(|| "-".into());
            let status = card
                .lines()
                .find_map(|line| line.strip_prefix("status: "))
                .unwrap_or("active")
                .trim_matches('"')
                .to_string();
            rows.push_str(&format!("| {id} | Job {id} | @kim | {status} | {deps} |\n"));
            root_rows.push_str(&format!(
                "| {id} | Job {id} | @kim | {stage} | {status} | {deps} |\n"
            ));
        }
        std::fs::write(dir.join("INDEX.md"), rows).unwrap();
    }
    std::fs::write(root.join("INDEX.md"), root_rows).unwrap();
    std::fs::write(root.join("ID_COUNTER.txt"), format!("{counter:04}\n")).unwrap();
}

/// The editors' end-to-end workspace (tests/nvim.rs, tests/emacs.rs): 0001 (next) depends on 0002 (integration); 0003 can complete; 0004 (backlog) depends on a
/// task that does not exist; 0005 (inbox) has an empty `depends_on` to complete in.
pub fn editor_fixture(project: &Path) -> PathBuf {
    let root = project.join(".work/tasks");
    task(&root, "next", 1, "depends_on: [\"TASK-0002\"]\n");
    task(&root, "integration", 2, "blocks: [\"TASK-0001\"]\n");
    task(&root, "current", 3, "");
    task(&root, "backlog", 4, "depends_on: [\"TASK-0999\"]\n");
    task(&root, "inbox", 5, "depends_on: []\n");
    indexes(&root, 6);
    root
}

pub fn card(root: &Path, stage: &str, number: u32) -> PathBuf {
    root.join(stage)
        .join(format!("TASK-{number:04}-job"))
        .join(format!("{number:04}-job.task.md"))
}

pub fn ledger_path(root: &Path, stage: &str, number: u32) -> PathBuf {
    root.join(stage)
        .join(format!("TASK-{number:04}-job"))
        .join(format!("{number:04}.ledger.jsonl"))
}

/// The JSON lines a ledger gained from `before` to `after`; a ledger is only appended to, so
/// `before` must still be its start.
pub fn new_lines(before: &str, after: &str) -> Vec<serde_json::Value> {
    assert!(
        after.starts_with(before),
        "the ledger's previous bytes changed:\n{before}\n---\n{after}"
    );
    after[before.len()..]
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}
