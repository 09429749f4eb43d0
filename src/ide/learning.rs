//! The Learning view (SPEC §10, the methodology's console view and learning report): of the
//! tasks closed in a window, how many had their learning documented or skipped (and why
//! skipped), the patterns their learning documents name most, and the learning documents
//! other tasks cite most. One table set for the board's Learning tab and `report learning`
//! (rendered by [`learning_markdown`]). Pure: a function of the model and the window.
//!
//! What counts (the methodology leaves pattern-finding to people; these are the rules a tool
//! can apply, written down in README's design notes):
//! - documented: the ledger's last learning event is `learning_documented`, or there is none
//!   and the task has a `<id>.learning.md`; skipped: the last is `learning_skipped` (its
//!   `reason`, else `desc`, is the skip reason); otherwise unrecorded;
//! - patterns: the list items under a level-2 heading that names patterns (`## Meta-Patterns`
//!   in the methodology's template) in the learning documents of the tasks closed in the
//!   window; `Estimation: underestimated complexity` gives the category `Estimation`; each
//!   pattern counts the tasks that name it;
//! - citations: the other tasks whose card, context or learning document mentions the task
//!   (in prose or in a reference field), for every task with a learning document.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

use crate::db::mentions::MentionKind;
use crate::db::metrics::Window;
use crate::db::{Task, Workspace};
use crate::ide::history::{
    History, ReasonCount, Trend, count_reasons, markdown_section, percent, previous,
};
use crate::syntax::time::format_rfc3339;

/// How many patterns and cited learnings the view keeps (the methodology's top five).
const TOP: usize = 5;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LearningView {
    pub since: String,
    pub until: String,
    /// Tasks closed in the window.
    pub archived: usize,
    pub documented: usize,
    pub skipped: usize,
    pub unrecorded: usize,
    /// Documented over archived, this window and the one before.
    pub documented_pct: Trend,
    pub skip_reasons: Vec<ReasonCount>,
    pub patterns: Vec<Pattern>,
    pub top_learnings: Vec<Citation>,
    /// Each task closed in the window and what became of its learning.
    pub tasks: Vec<LearningTask>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LearningTask {
    pub task: String,
    pub name: Option<String>,
    pub closed: String,
    /// `documented`, `skipped` or `unrecorded`.
    pub learning: &'static str,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pattern {
    pub pattern: String,
    pub category: Option<String>,
    pub count: usize,
    pub tasks: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Citation {
    pub task: String,
    pub name: Option<String>,
    pub cited_by: Vec<String>,
}

/// The Learning view of `history` over `window`.
pub fn learning_view(history: &History, window: Window) -> LearningView {
    let workspace = history.workspace;
    let mut tasks = Vec::new();
    let mut patterns: Vec<Pattern> = Vec::new();
    for (task, _, closed) in history.closed_in(window) {
        let (learning, reason) = decision(history, task);
        tasks.push((
            closed,
            LearningTask {
                task: task.id.to_string(),
                name: task.meta.task_name.clone(),
                closed: format_rfc3339(closed),
                learning,
                reason,
            },
        ));
        let Some(file) = task.learning else { continue };
        for (category, pattern) in patterns_in(&workspace.file(file).text) {
            let key = pattern.to_lowercase();
            let id = task.id.to_string();
            match patterns
                .iter_mut()
                .find(|p| p.pattern.to_lowercase() == key)
            {
                Some(known) => {
                    if !known.tasks.contains(&id) {
                        known.tasks.push(id);
                        known.count += 1;
                    }
                    known.category = known.category.take().or(category);
                }
                None => patterns.push(Pattern {
                    pattern,
                    category,
                    count: 1,
                    tasks: vec![id],
                }),
            }
        }
    }
    tasks.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.task.cmp(&b.1.task)));
    let tasks: Vec<LearningTask> = tasks.into_iter().map(|(_, task)| task).collect();
    patterns.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.pattern.cmp(&b.pattern))
    });
    patterns.truncate(TOP);
    let count = |what: &str| tasks.iter().filter(|t| t.learning == what).count();
    let documented = count("documented");
    let before: Vec<&Task> = history
        .closed_in(previous(window))
        .map(|(task, _, _)| task)
        .collect();
    let documented_before = before
        .iter()
        .filter(|task| decision(history, task).0 == "documented")
        .count();
    LearningView {
        since: format_rfc3339(window.since),
        until: format_rfc3339(window.until),
        archived: tasks.len(),
        documented,
        skipped: count("skipped"),
        unrecorded: count("unrecorded"),
        documented_pct: Trend {
            current: percent(documented, tasks.len()),
            previous: percent(documented_before, before.len()),
        },
        skip_reasons: count_reasons(
            tasks
                .iter()
                .filter(|t| t.learning == "skipped")
                .map(|t| t.reason.as_deref()),
        ),
        patterns,
        top_learnings: citations(history),
        tasks,
    }
}

/// The Learning view of the whole workspace over `window`: what `report learning` renders
/// with [`learning_markdown`] (the board shares the timelines of its other tabs through
/// [`learning_view`] instead).
pub fn learning_table(workspace: &Workspace, window: Window) -> LearningView {
    learning_view(&History::of(workspace), window)
}

/// What became of a task's learning, and the skip reason.
fn decision(history: &History, task: &Task) -> (&'static str, Option<String>) {
    let last = history.workspace.ledger(task).and_then(|ledger| {
        ledger
            .events()
            .filter(|(_, event)| {
                matches!(
                    event.event(),
                    Some("learning_documented" | "learning_skipped")
                )
            })
            .last()
    });
    match last {
        Some((_, event)) if event.event() == Some("learning_skipped") => (
            "skipped",
            event
                .str_field("reason")
                .or_else(|| event.desc())
                .map(str::to_string),
        ),
        Some(_) => ("documented", None),
        None if task.learning.is_some() => ("documented", None),
        None => ("unrecorded", None),
    }
}

/// The `(category, pattern)` list items under pattern headings of a learning document.
fn patterns_in(text: &str) -> Vec<(Option<String>, String)> {
    let mut found = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            inside = heading.to_lowercase().contains("pattern");
            continue;
        }
        if line.starts_with("# ") {
            inside = false;
        }
        let item = line.trim_start();
        let Some(item) = item.strip_prefix("- ").or_else(|| item.strip_prefix("* ")) else {
            continue;
        };
        if !inside {
            continue;
        }
        // A checklist box and emphasis are decoration, not part of the pattern.
        let item = item
            .trim_start_matches("[ ] ")
            .trim_start_matches("[x] ")
            .replace("**", "");
        let item = item.trim().trim_end_matches('.').trim();
        if item.is_empty() || item.starts_with('[') {
            continue;
        }
        match item.split_once(": ") {
            Some((category, pattern))
                if category.split_whitespace().count() <= 3 && !pattern.trim().is_empty() =>
            {
                found.push((
                    Some(category.trim().to_string()),
                    pattern.trim().to_string(),
                ))
            }
            _ => found.push((None, item.to_string())),
        }
    }
    found
}

/// The tasks with a learning document that other tasks cite most, most cited first.
fn citations(history: &History) -> Vec<Citation> {
    let workspace = history.workspace;
    let mut cited: Vec<Citation> = history
        .tasks
        .iter()
        .map(|&idx| workspace.task(idx))
        .filter(|task| task.learning.is_some())
        .filter_map(|task| {
            let citing: BTreeSet<String> = workspace
                .mentions_of(task.root, &task.id)
                .filter(|(_, _, kind)| matches!(kind, MentionKind::Text | MentionKind::Field(_)))
                .filter_map(|(file, _, _)| workspace.task_of_file(file))
                .filter(|other| !std::ptr::eq(*other, task))
                .map(|other| other.id.to_string())
                .collect();
            (!citing.is_empty()).then(|| Citation {
                task: task.id.to_string(),
                name: task.meta.task_name.clone(),
                cited_by: citing.into_iter().collect(),
            })
        })
        .collect();
    cited.sort_by(|a, b| {
        b.cited_by
            .len()
            .cmp(&a.cited_by.len())
            .then_with(|| a.task.cmp(&b.task))
    });
    cited.truncate(TOP);
    cited
}

/// The Learning view as markdown: completion with its trend, skip reasons, patterns and the
/// most cited learnings (the sections of the methodology's learning report).
pub fn learning_markdown(view: &LearningView) -> String {
    let mut out = format!("# Learning\n\n{} to {}\n\n", view.since, view.until);
    let share =
        |part: usize| percent(part, view.archived).map_or(String::new(), |p| format!(" ({p}%)"));
    let _ = writeln!(out, "- Archived: {} tasks", view.archived);
    let _ = writeln!(
        out,
        "- Learning documented: {}{}",
        view.documented,
        share(view.documented)
    );
    let _ = writeln!(
        out,
        "- Learning skipped: {}{}",
        view.skipped,
        share(view.skipped)
    );
    let _ = writeln!(
        out,
        "- Not recorded: {}{}",
        view.unrecorded,
        share(view.unrecorded)
    );
    let _ = writeln!(
        out,
        "- Previous period: {}\n",
        view.documented_pct.previous_with_change(
            &view
                .documented_pct
                .previous
                .map_or("n/a".to_string(), |p| format!("{p}% documented"))
        )
    );
    let rows = view
        .skip_reasons
        .iter()
        .map(|reason| vec![reason.reason.clone(), reason.count.to_string()]);
    markdown_section(
        &mut out,
        "Skip reasons",
        "None in the period.",
        &["Reason", "Count"],
        rows.collect(),
    );
    let rows = view.patterns.iter().map(|pattern| {
        vec![
            pattern.pattern.clone(),
            pattern.count.to_string(),
            pattern.category.clone().unwrap_or_default(),
            pattern.tasks.join(", "),
        ]
    });
    markdown_section(
        &mut out,
        "Patterns",
        "No learning document of the period lists patterns.",
        &["Pattern", "Count", "Category", "Tasks"],
        rows.collect(),
    );
    out.push_str("## Most cited learnings\n\n");
    if view.top_learnings.is_empty() {
        out.push_str("No learning document is cited by another task.\n");
    } else {
        for citation in &view.top_learnings {
            let _ = writeln!(
                out,
                "- {}: {} (cited by {})",
                citation.task,
                citation.name.as_deref().unwrap_or("(no name)"),
                citation.cited_by.join(", ")
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::workspace;
    use crate::syntax::time::parse_rfc3339;

    fn package(id: &str, stage: &str, extra: &str, body: &str, ledger: &[String]) -> String {
        let lines: Vec<String> = ledger
            .iter()
            .map(|line| {
                let (ts, event) = line.split_once(' ').unwrap();
                let (event, desc) = event.split_once(' ').unwrap_or((event, "d"));
                format!("{{\"ts\":\"2026-11-{ts}:00Z\",\"user\":\"@ana\",\"event\":\"{event}\",\"desc\":\"{desc}\"}}")
            })
            .collect();
        format!(
            "//- /{stage}/TASK-{id}-x/{id}-x.task.md\n---\ntask_id: \"TASK-{id}\"\ntask_name: \"Task {id}\"\nstage: \"{stage}\"\nstatus: \"active\"\n{extra}---\n{body}//- /{stage}/TASK-{id}-x/{id}.ledger.jsonl\n{}\n",
            lines.join("\n")
        )
    }

    const LEARNING: &str = "# Learning\n\n## What went well\n\n- Not a pattern.\n\n## Meta-Patterns\n\n- Estimation: underestimated complexity.\n- **External dependencies** cause delays\n- [Patterns about how we work]\n";

    /// Window 16 to 30 Nov 2026, the one before 2 to 16 Nov.
    /// - 0001: closed 20th, `learning_documented`, a learning document with two patterns.
    /// - 0002: closed 21st, `learning_skipped` ("Standard implementation"), after an earlier
    ///   `learning_documented`: the last word counts.
    /// - 0003: closed 22nd, no learning event but a learning document naming one of 0001's
    ///   patterns in another spelling: documented.
    /// - 0004: closed 23rd, nothing: unrecorded.
    /// - 0005: closed 10th (the window before), `learning_skipped`: 0 of 1 documented then.
    /// - 0006: in current, cites 0001 in its card's body and depends on 0003.
    fn fixture() -> crate::db::Workspace {
        let closed = |day: &str, extra: &[&str]| {
            let mut lines = vec!["02T00:00 created".to_string()];
            lines.extend(extra.iter().map(|e| e.to_string()));
            lines.push(format!("{day}T00:00 closed"));
            lines
        };
        workspace(
            &[
                package("0001", "archived", "", "", &closed("20", &["19T00:00 learning_documented"])),
                "//- /archived/TASK-0001-x/0001.learning.md\n".to_string() + LEARNING,
                package("0002", "archived", "", "", &closed("21", &["19T00:00 learning_documented", "20T00:00 learning_skipped Standard implementation"])),
                package("0003", "archived", "", "", &closed("22", &[])),
                "//- /archived/TASK-0003-x/0003.learning.md\n## Patterns\n\n- UNDERESTIMATED complexity\n".to_string(),
                package("0004", "archived", "", "", &closed("23", &[])),
                package("0005", "archived", "", "", &closed("10", &["09T00:00 learning_skipped Trivial"])),
                package(
                    "0006",
                    "current",
                    "depends_on: [\"TASK-0003\"]\n",
                    "\n## Goal\n\nSee TASK-0001 for the estimate.\n",
                    &["25T00:00 created".to_string()],
                ),
            ]
            .concat(),
        )
    }

    fn window() -> Window {
        Window {
            since: parse_rfc3339("2026-11-16T00:00:00Z").unwrap(),
            until: parse_rfc3339("2026-11-30T00:00:00Z").unwrap(),
        }
    }

    #[test]
    fn completion_skips_patterns_and_citations_by_hand() {
        let ws = fixture();
        let view = learning_view(&History::of(&ws), window());
        // Closed in the window: 0001..0004. Documented 0001 and 0003 (2 of 4 = 50%), skipped
        // 0002, unrecorded 0004. Before: 0005 skipped, 0 of 1 = 0%.
        assert_eq!(
            (
                view.archived,
                view.documented,
                view.skipped,
                view.unrecorded
            ),
            (4, 2, 1, 1)
        );
        assert_eq!(
            view.documented_pct,
            Trend {
                current: Some(50.0),
                previous: Some(0.0)
            }
        );
        let learning: Vec<(&str, &str)> = view
            .tasks
            .iter()
            .map(|t| (t.task.as_str(), t.learning))
            .collect();
        assert_eq!(
            learning,
            vec![
                ("TASK-0001", "documented"),
                ("TASK-0002", "skipped"),
                ("TASK-0003", "documented"),
                ("TASK-0004", "unrecorded"),
            ]
        );
        assert_eq!(view.skip_reasons.len(), 1);
        assert_eq!(view.skip_reasons[0].reason, "Standard implementation");
        // "underestimated complexity" in 0001 and 0003: 2 tasks; external dependencies: 1.
        // The template's bracketed placeholder and "What went well" are not patterns.
        let patterns: Vec<(&str, Option<&str>, usize)> = view
            .patterns
            .iter()
            .map(|p| (p.pattern.as_str(), p.category.as_deref(), p.count))
            .collect();
        assert_eq!(
            patterns,
            vec![
                ("underestimated complexity", Some("Estimation"), 2),
                ("External dependencies cause delays", None, 1),
            ]
        );
        // 0001 is cited by 0006's card body; 0003 by 0006's depends_on.
        let cited: Vec<(&str, Vec<String>)> = view
            .top_learnings
            .iter()
            .map(|c| (c.task.as_str(), c.cited_by.clone()))
            .collect();
        assert_eq!(
            cited,
            vec![
                ("TASK-0001", vec!["TASK-0006".to_string()]),
                ("TASK-0003", vec!["TASK-0006".to_string()]),
            ]
        );
    }

    #[test]
    fn the_markdown_has_every_section() {
        let ws = fixture();
        let markdown = learning_markdown(&learning_table(&ws, window()));
        assert!(
            markdown.contains("- Learning documented: 2 (50%)"),
            "{markdown}"
        );
        assert!(markdown.contains("- Previous period: 0% documented ↑ +50"));
        assert!(markdown.contains("| Standard implementation | 1 |"));
        assert!(
            markdown
                .contains("| underestimated complexity | 2 | Estimation | TASK-0001, TASK-0003 |")
        );
        assert!(markdown.contains("- TASK-0001: Task 0001 (cited by TASK-0006)"));
        let empty = learning_markdown(&learning_view(
            &History::of(&ws),
            Window { since: 0, until: 1 },
        ));
        assert!(
            empty.contains("- Archived: 0 tasks\n- Learning documented: 0\n"),
            "{empty}"
        );
        assert!(empty.contains("No learning document of the period lists patterns."));
    }
}
