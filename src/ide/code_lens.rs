//! The code lens at the top of each card: how many dependencies it has and how many are
//! still open, how many tasks depend on it, and how long it has been in its stage against
//! the stage's SLO, and how long it has been blocked when it has been:
//! `depends on 3 (1 open) · 2 dependents · 4 days in backlog (SLO 7d) · 1d 12h blocked`.

use crate::base::TextRange;
use crate::db::flow::stage_entry;
use crate::db::metrics::{task_figures, timeline_of};
use crate::db::{FileId, Task, Workspace};
use crate::ide::task_text::{count, dependents, hours_text, slo_part, task_of_card};
use crate::ide::types::Config;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeLens {
    /// The card's first line (the frontmatter's opening `---`).
    pub range: TextRange,
    pub title: String,
}

/// The lens of a card file; none for any other file. Time in stage is measured to
/// `config.now`.
pub fn code_lens(workspace: &Workspace, file: FileId, config: &Config) -> Vec<CodeLens> {
    let now = config.now;
    let Some(task) = task_of_card(workspace, file) else {
        return Vec::new();
    };
    let text = &workspace.file(file).text;
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let line_end = text[start..].find('\n').map_or(text.len(), |at| start + at);
    let range = TextRange::new(start, start + text[start..line_end].trim_end().len());
    vec![CodeLens {
        range,
        title: title(workspace, task, now),
    }]
}

fn title(workspace: &Workspace, task: &Task, now: i64) -> String {
    let mut parts = vec![dependencies(workspace, task)];
    parts.push(count(dependents(workspace, task).len(), "dependent"));
    parts.push(match stage_entry(workspace, task) {
        Some((entered, _)) => {
            let hours = (now - entered).max(0) / 3600;
            let spent = match hours / 24 {
                0 => format!("{hours}h"),
                1 => "1 day".to_string(),
                days => format!("{days} days"),
            };
            let mut text = format!("{spent} in {}", task.stage);
            if let Some(slo) = slo_part(workspace, task, hours) {
                text.push_str(&format!(" ({slo})"));
            }
            text
        }
        // Without the entering event in the ledger there is nothing to measure from.
        None => format!("in {}", task.stage),
    });
    if let Some(blocked) = blocked_hours(workspace, task, now).filter(|&hours| hours > 0.0) {
        parts.push(format!("{} blocked", hours_text(blocked)));
    }
    parts.join(" · ")
}

/// The task's time blocked over its life (SPEC §9), from a ledger that supports it.
fn blocked_hours(workspace: &Workspace, task: &Task, now: i64) -> Option<f64> {
    let timeline = timeline_of(workspace, task)?;
    task_figures(Some(timeline), now).blocked_hours
}

/// `depends on 3 (1 open, 1 missing)`: open means not yet in integration, learning or
/// archived (a dependency no task carries is counted apart, not as open).
fn dependencies(workspace: &Workspace, task: &Task) -> String {
    let total = task.meta.depends_on.len();
    if total == 0 {
        return "no dependencies".to_string();
    }
    let mut open = 0;
    let mut missing = 0;
    for item in &task.meta.depends_on {
        match workspace.lookup_in(task.root, &item.id) {
            Some(target) if !target.stage.is_finished() => open += 1,
            Some(_) => {}
            None => missing += 1,
        }
    }
    let missing = match missing {
        0 => String::new(),
        n => format!(", {n} missing"),
    };
    format!("depends on {total} ({open} open{missing})")
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::ide::fixture::{COUNTER, ROOT, package, workspace};
    use crate::syntax::time::parse_rfc3339;

    fn check(fixture: &str, rel: &str, now: &str, expect: Expect) {
        let workspace = workspace(fixture);
        let file = workspace
            .file_by_path(&std::path::Path::new(ROOT).join(rel))
            .unwrap();
        let text = &workspace.file(file).text;
        let config = Config {
            now: parse_rfc3339(now).unwrap(),
            ..Config::default()
        };
        let actual: String = code_lens(&workspace, file, &config)
            .into_iter()
            .map(|lens| format!("`{}` {}\n", lens.range.slice(text), lens.title))
            .collect();
        expect.assert_eq(&actual);
    }

    /// A package whose ledger entered its stage with `event` at `ts`.
    fn entered(folder: &str, fields: &str, event: &str, ts: &str) -> String {
        package(folder, fields).replace(
            "\"desc\":\"Created\"}\n",
            &format!("\"desc\":\"Created\"}}\n{{\"ts\":\"{ts}\",\"user\":\"@ana\",\"event\":\"{event}\",\"desc\":\"d\"}}\n"),
        )
    }

    fn fixture() -> String {
        format!(
            "{COUNTER}{}{}{}{}{}",
            entered(
                "backlog/TASK-0001-a",
                "depends_on: [\"0002\", \"0003\", \"0009\"]",
                "verified",
                "2026-04-01T00:00:00Z"
            ),
            package("integration/TASK-0002-b", ""),
            entered(
                "current/TASK-0003-c",
                "effort_estimate: S",
                "started",
                "2026-04-08T20:00:00Z"
            ),
            package("backlog/TASK-0004-d", "depends_on: [\"0001\"]"),
            package("backlog/TASK-0005-e", "")
                .replace("depends_on: []", "depends_on:\n  - TASK-0001\n  - \"0001\""),
        )
    }

    #[test]
    fn dependencies_dependents_and_time_against_the_slo() {
        let card = "backlog/TASK-0001-a/0001-a.task.md";
        check(
            &fixture(),
            card,
            "2026-04-05T12:00:00Z",
            expect![[r#"
                `---` depends on 3 (1 open, 1 missing) · 2 dependents · 4 days in backlog (SLO 7d)
            "#]],
        );
        check(
            &fixture(),
            card,
            "2026-04-09T02:00:00Z",
            expect![[r#"
                `---` depends on 3 (1 open, 1 missing) · 2 dependents · 8 days in backlog (over SLO 7d)
            "#]],
        );
    }

    #[test]
    fn current_is_measured_against_the_effort_and_next_has_no_slo() {
        check(
            &fixture(),
            "current/TASK-0003-c/0003-c.task.md",
            "2026-04-09T02:00:00Z",
            expect![[r#"
                `---` no dependencies · 1 dependent · 6h in current (SLO 2d)
            "#]],
        );
        let next = format!(
            "{COUNTER}{}",
            entered(
                "next/TASK-0001-a",
                "",
                "prioritized",
                "2026-04-08T00:00:00Z"
            )
        );
        check(
            &next,
            "next/TASK-0001-a/0001-a.task.md",
            "2026-04-09T02:00:00Z",
            expect![[r#"
                `---` no dependencies · no dependents · 1 day in next
            "#]],
        );
    }

    #[test]
    fn time_blocked_is_added_when_there_was_any() {
        // Started 8 April 20:00, blocked from 22:00 and still blocked at 9 April 02:00: 4 h.
        let blocked = package("current/TASK-0003-c", "effort_estimate: S").replace(
            "\"desc\":\"Created\"}\n",
            "\"desc\":\"Created\"}\n\
             {\"ts\":\"2026-04-08T20:00:00Z\",\"user\":\"@ana\",\"event\":\"started\",\"desc\":\"d\"}\n\
             {\"ts\":\"2026-04-08T22:00:00Z\",\"user\":\"@ana\",\"event\":\"blocked\",\"desc\":\"d\",\"blocked_by\":\"external:keys\"}\n",
        );
        check(
            &format!("{COUNTER}{blocked}"),
            "current/TASK-0003-c/0003-c.task.md",
            "2026-04-09T02:00:00Z",
            expect![[r#"
                `---` no dependencies · no dependents · 6h in current (SLO 2d) · 4h blocked
            "#]],
        );
        // Unblocked at 23:30: 1.5 h, shown to the nearest hour.
        let lifted = blocked.replace(
            "\"blocked_by\":\"external:keys\"}\n",
            "\"blocked_by\":\"external:keys\"}\n{\"ts\":\"2026-04-08T23:30:00Z\",\"user\":\"@ana\",\"event\":\"unblocked\",\"desc\":\"d\"}\n",
        );
        check(
            &format!("{COUNTER}{lifted}"),
            "current/TASK-0003-c/0003-c.task.md",
            "2026-04-09T02:00:00Z",
            expect![[r#"
                `---` no dependencies · no dependents · 6h in current (SLO 2d) · 2h blocked
            "#]],
        );
    }

    #[test]
    fn without_an_entering_event_the_stage_is_named_only() {
        check(
            &fixture(),
            "integration/TASK-0002-b/0002-b.task.md",
            "2026-04-09T02:00:00Z",
            expect![[r#"
                `---` no dependencies · 1 dependent · in integration
            "#]],
        );
    }

    #[test]
    fn only_cards_have_a_lens() {
        check(
            &fixture(),
            "backlog/TASK-0001-a/0001.context.md",
            "2026-04-09T02:00:00Z",
            expect![""],
        );
    }
}
