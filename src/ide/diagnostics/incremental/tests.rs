//! The kept diagnostics against a from-scratch analysis, edit by edit, and the work each
//! update does.

use std::path::PathBuf;

use super::*;
use crate::ide::diagnostics::workspace_diagnostics;
use crate::ide::fixture::{COUNTER, ROOT, package, workspace};
use crate::syntax::time::{format_rfc3339, parse_rfc3339};

/// `tasks` tasks in `stage`, listed in the root index (and in the stage index when
/// `stage_index`), 0002 depending on 0001.
fn fixture(tasks: usize, stage: &str, stage_index: bool) -> String {
    let header = "| ID | Name | DRI | Stage | Status |\n|---|---|---|---|---|\n";
    let mut fixture = format!("{COUNTER}//- /INDEX.md\n{header}");
    for number in 1..=tasks {
        let row = format!("| {number:04} | Task {number:04} | @ana | {stage} | active |\n");
        fixture.push_str(&row);
    }
    if stage_index {
        let header = "| ID | Name | DRI | Status |\n|---|---|---|---|\n";
        fixture.push_str(&format!("//- /{stage}/INDEX.md\n{header}"));
        for number in 1..=tasks {
            fixture.push_str(&format!(
                "| {number:04} | Task {number:04} | @ana | active |\n"
            ));
        }
    }
    for number in 1..=tasks {
        let links = match number {
            1 => "blocks: [\"TASK-0002\"]".to_string(),
            2 => "depends_on: [\"TASK-0001\"]".to_string(),
            _ => String::new(),
        };
        fixture.push_str(&package(&format!("{stage}/TASK-{number:04}-t"), &links));
    }
    fixture
}

/// Replays `edits` (file, from, to) on the model, checking after each that the kept
/// diagnostics equal a from-scratch analysis, and that every file whose list changed is
/// in the delta; returns the work of each update.
fn check_file_edits(fixture: &str, config: &Config, edits: &[(String, &str, &str)]) -> Vec<Work> {
    let mut model = workspace(fixture);
    let mut incremental = IncrementalDiagnostics::default();
    incremental.update(&model, config);
    let mut work = Vec::new();
    for (rel, from, to) in edits {
        let path = PathBuf::from(ROOT).join(rel);
        let file = model.file_by_path(&path).unwrap();
        let lists_before: Vec<Vec<Diagnostic>> = (0..model.files.len() as u32)
            .map(|i| incremental.file(FileId(i), config))
            .collect();
        let before = Before::of(&model, file);
        let text = model.file(file).text.replacen(from, to, 1);
        assert_ne!(&*text, &*model.file(file).text, "{from} is in {rel}");
        assert!(model.update_text(&path, &text));
        incremental.file_changed(&model, file, before);
        let delta = incremental.update(&model, config);
        assert!(!delta.everything);
        let fresh = workspace_diagnostics(&model, config);
        assert_eq!(incremental.all(config), fresh, "after {from} -> {to}");
        for (i, listed) in lists_before.iter().enumerate() {
            let id = FileId(i as u32);
            let now: Vec<Diagnostic> = fresh.iter().filter(|d| d.file == id).cloned().collect();
            assert_eq!(incremental.file(id, config), now);
            if *listed != now {
                assert!(
                    delta.files.contains(&id),
                    "{id:?} changed, not in the delta"
                );
            }
        }
        assert!(
            delta.files.contains(&file),
            "the edited file is in the delta"
        );
        work.push(incremental.last_work);
    }
    work
}

/// [`check_file_edits`] on the cards of `stage`: (card number, from, to).
fn check_edits(fixture: &str, stage: &str, edits: &[(u32, &str, &str)]) -> Vec<Work> {
    let edits: Vec<(String, &str, &str)> = edits
        .iter()
        .map(|&(number, from, to)| {
            let card = format!("{stage}/TASK-{number:04}-t/{number:04}-t.task.md");
            (card, from, to)
        })
        .collect();
    check_file_edits(fixture, &Config::default(), &edits)
}

#[test]
fn every_edit_equals_a_from_scratch_analysis() {
    // A busy `next` without a stage index: WIP, index and cycle diagnostics all point
    // into the cards being edited.
    check_edits(
        &fixture(8, "next", false),
        "next",
        &[
            (2, "[\"TASK-0001\"]", "[\"TASK-0009\"]"),
            (2, "[\"TASK-0009\"]", "[\"TASK-0001\"]"),
            (1, "status: \"active\"", "status: \"canceled\""),
            (1, "status: \"canceled\"", "status: \"paused\""),
            (3, "depends_on: []", "depends_on: [\"TASK-0004\"]"),
            (4, "depends_on: []", "depends_on: [\"TASK-0003\"]"),
            (4, "task_name: \"Task 0004\"", "task_name: \"Renamed\""),
            (5, "Do the thing.", "Do the thing after TASK-0001."),
            (6, "current_dri: \"@ana\"", "current_dri: \"@bo\""),
            (7, "stage: \"next\"", "stage: \"current\""),
        ],
    );
}

#[test]
fn cycles_formed_merged_split_and_broken_equal_a_from_scratch_analysis() {
    let dep = |ids: &[u32]| {
        let items: Vec<String> = ids.iter().map(|n| format!("\"TASK-{n:04}\"")).collect();
        format!("depends_on: [{}]", items.join(", "))
    };
    let edits: Vec<(u32, String, String)> = vec![
        // Two cycles: 3 → 4 → 5 → 3 and 6 ⇄ 7.
        (3, dep(&[]), dep(&[4])),
        (4, dep(&[]), dep(&[5])),
        (5, dep(&[]), dep(&[3])),
        (6, dep(&[]), dep(&[7])),
        (7, dep(&[]), dep(&[6])),
        // Merged into one component through 5 → 6 and 6 → 3.
        (5, dep(&[3]), dep(&[3, 6])),
        (6, dep(&[7]), dep(&[7, 3])),
        // An edge dropped inside the component: still one.
        (5, dep(&[3, 6]), dep(&[6])),
        // Split: only 6 ⇄ 7 remains.
        (6, dep(&[7, 3]), dep(&[7])),
        // A self-dependency is its own rule; 6 → 7 no longer cycles.
        (7, dep(&[6]), dep(&[7])),
        // A task joining from outside, then everything broken.
        (8, dep(&[]), dep(&[3])),
        (5, dep(&[6]), dep(&[8])),
        (4, dep(&[5]), dep(&[])),
    ];
    let edits: Vec<(u32, &str, &str)> = edits
        .iter()
        .map(|(n, from, to)| (*n, from.as_str(), to.as_str()))
        .collect();
    let work = check_edits(&fixture(8, "backlog", true), "backlog", &edits);
    // Each depends_on edit searched the cycles again, and recomputed no global part.
    assert!(
        work.iter()
            .all(|work| work.cycles == 1 && work.globals == 0),
        "{work:?}"
    );
}

#[test]
fn index_edits_recompute_that_index_and_the_tasks_it_lists() {
    let fixture = fixture(6, "backlog", true);
    let work = check_file_edits(
        &fixture,
        &Config::default(),
        &[
            // A stale cell, a phantom row, a row removed, then all put back.
            ("backlog/INDEX.md".into(), "| Task 0003 |", "| Old name |"),
            ("backlog/INDEX.md".into(), "| 0006 |", "| 0009 |"),
            (
                "INDEX.md".into(),
                "| 0002 | Task 0002 | @ana | backlog | active |\n",
                "",
            ),
            ("backlog/INDEX.md".into(), "| Old name |", "| Task 0003 |"),
        ],
    );
    // The stage index lists six tasks (seven while the phantom row is there).
    assert_eq!(work[0].tasks, 6, "{work:?}");
    assert_eq!(work[0].globals, 1, "{work:?}");
}

/// A backlog task whose ledger entered backlog at `entered` (epoch seconds).
fn entered_backlog(number: u32, entered: i64) -> String {
    let package = package(&format!("backlog/TASK-{number:04}-t"), "");
    let created = "{\"ts\":\"2026-03-02T09:00:00Z\",\"user\":\"@ana\",\"event\":\"created\",\"desc\":\"Created\"}\n";
    let ts = format_rfc3339(entered);
    let verified =
        format!("{{\"ts\":\"{ts}\",\"user\":\"@ana\",\"event\":\"verified\",\"desc\":\"d\"}}\n");
    assert!(package.contains(created));
    package.replace(created, &format!("{created}{verified}"))
}

#[test]
fn a_minute_of_time_recomputes_only_the_slos_it_changes() {
    const HOUR: i64 = 3600;
    // Backlog's default SLO: a target of 7 days, a violation threshold of 14.
    let target = 7 * 24 * HOUR;
    let t0 = parse_rfc3339("2026-05-01T10:00:00Z").unwrap();
    let fixture = [
        // Passes its target 30 s into the minute.
        entered_backlog(1, t0 + 30 - target - HOUR),
        // Over its target; its hours tick over 40 s into the minute.
        entered_backlog(2, t0 + 40 - target - 5 * HOUR),
        // Over its target, with no hour ending in the minute.
        entered_backlog(3, t0 - 1800 - target - 3 * HOUR),
        // Far from its target.
        entered_backlog(4, t0 - HOUR),
    ]
    .concat();
    let model = workspace(&format!("{COUNTER}{fixture}"));
    let at = |now: i64| Config {
        now,
        ..Config::default()
    };
    let mut incremental = IncrementalDiagnostics::default();
    incremental.update(&model, &at(t0));
    assert_eq!(incremental.next_clock_change(), Some(t0 + 30));
    let mut recomputed = Vec::new();
    let mut published = Vec::new();
    for second in 1..=60 {
        incremental.clock_moved(t0 + second);
        let delta = incremental.update(&model, &at(t0 + second));
        assert_eq!(
            incremental.all(&at(t0 + second)),
            workspace_diagnostics(&model, &at(t0 + second)),
            "at {second} s"
        );
        let work = incremental.last_work;
        assert_eq!(
            (work.files, work.tasks, work.globals, work.cycles),
            (0, 0, 0, 0),
            "only clock-dependent parts are recomputed"
        );
        if work.slos > 0 {
            recomputed.push((second, work.slos));
            published.push((second, delta.files.len()));
        }
    }
    // Task 1 at 30 s, task 2 at 40 s; nothing else in the minute.
    assert_eq!(recomputed, vec![(30, 1), (40, 1)]);
    assert_eq!(published, vec![(30, 1), (40, 1)]);
    // The next change is task 3's next hour, 30 minutes on.
    assert_eq!(incremental.next_clock_change(), Some(t0 + 1800));
}

#[test]
fn a_body_edit_recomputes_one_file_and_one_task_whatever_the_size() {
    let edit = [(10, "Do the thing.", "Do the other thing.")];
    let small = check_edits(&fixture(20, "archived", true), "archived", &edit);
    let large = check_edits(&fixture(300, "archived", true), "archived", &edit);
    let expected = Work {
        files: 1,
        tasks: 1,
        slos: 1,
        delta: 1,
        ..Work::default()
    };
    assert_eq!(small, vec![expected]);
    assert_eq!(
        large, small,
        "an edit's work does not grow with the workspace"
    );
}

#[test]
fn a_drafts_edit_recomputes_the_drafts_part_only_and_the_index_carries_it() {
    let draft = r#"{"type":"task_draft","proposal":1,"ts":"2026-03-02T10:00:00Z","proposed_by":"agent-7","name":"Export","requires_human_approval":true}"#;
    let fixture = format!(
        "{}//- /drafts.proposals.jsonl\n{draft}\n",
        fixture(3, "next", true)
    );
    let rejected = format!(
        "{draft}\n{}",
        r#"{"type":"rejection","proposal":1,"ts":"2026-03-02T11:00:00Z","rejected_by":"@ana","reason":"no"}"#
    );
    let work = check_file_edits(
        &fixture,
        &Config::default(),
        &[
            // The root index gains a line above its table: the draft's range there moves.
            ("INDEX.md".to_string(), "| ID |", "# Tasks\n\n| ID |"),
            // A person rejects it: nothing waits any more.
            ("drafts.proposals.jsonl".to_string(), draft, &rejected),
            // And the rejection taken back: it waits again.
            ("drafts.proposals.jsonl".to_string(), &rejected, draft),
        ],
    );
    // The drafts file's own rules and its one global part; no task.
    for step in &work[1..] {
        assert_eq!(
            (step.files, step.tasks, step.globals),
            (1, 0, 1),
            "{work:?}"
        );
    }
}
