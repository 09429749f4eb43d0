//! The tasks' timelines built once and shared by the views that read history over a window
//! (the board's Flow, Rework and Learning tabs and the reports made of the same tables), with
//! the helpers they share: the window before a window, percentages, trends, reason counts.

use serde::Serialize;

use crate::db::metrics::{Window, round2, timelines};
use crate::db::timeline::Timeline;
use crate::db::{Task, TaskIdx, Workspace};

/// Every task of the workspace with its timeline (None: it has no ledger).
pub struct History<'w> {
    pub workspace: &'w Workspace,
    pub tasks: Vec<TaskIdx>,
    pub timelines: Vec<Option<&'w Timeline>>,
}

impl<'w> History<'w> {
    /// Reads every task's ledger (on every core).
    pub fn of(workspace: &'w Workspace) -> History<'w> {
        let tasks: Vec<TaskIdx> = (0..workspace.tasks.len() as u32).map(TaskIdx).collect();
        let timelines = timelines(workspace, &tasks);
        History {
            workspace,
            tasks,
            timelines,
        }
    }

    /// The tasks whose ledgers can be trusted, with their timelines. A ledger with a defect
    /// is left out of every figure, as `db::metrics` leaves it out.
    pub fn trusted(&self) -> impl Iterator<Item = (&'w Task, &'w Timeline)> + '_ {
        self.tasks
            .iter()
            .zip(&self.timelines)
            .filter_map(|(&idx, &timeline)| {
                let timeline = timeline.filter(|t| t.defects.is_empty())?;
                Some((self.workspace.task(idx), timeline))
            })
    }

    /// The trusted tasks closed inside `window`, with when.
    pub fn closed_in(
        &self,
        window: Window,
    ) -> impl Iterator<Item = (&'w Task, &Timeline, i64)> + '_ {
        self.trusted().filter_map(move |(task, timeline)| {
            let closed = timeline.closed().filter(|&at| window.contains(at))?;
            Some((task, timeline, closed))
        })
    }
}

/// The window of the same length just before `window`: what a trend compares with.
pub fn previous(window: Window) -> Window {
    let length = window.until - window.since;
    Window {
        since: window.since - length,
        until: window.since,
    }
}

/// `part` of `whole` in percent, two decimals; None of nothing.
pub fn percent(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| round2(part as f64 * 100.0 / whole as f64))
}

/// A figure of the window and of the window before it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Trend {
    pub current: Option<f64>,
    pub previous: Option<f64>,
}

impl Trend {
    /// `↑ +3` / `↓ -1.5` / `→ 0` against the previous window; empty when either is unknown.
    pub fn change(&self) -> String {
        let (Some(current), Some(previous)) = (self.current, self.previous) else {
            return String::new();
        };
        let delta = round2(current - previous);
        if delta == 0.0 {
            return "→ 0".to_string();
        }
        let arrow = if delta > 0.0 { "↑" } else { "↓" };
        format!("{arrow} {delta:+}")
    }

    /// `previous` (the previous window's figure as the report writes it) followed by the
    /// change, or alone when there is no change to show.
    pub fn previous_with_change(&self, previous: &str) -> String {
        match self.change() {
            change if change.is_empty() => previous.to_string(),
            change => format!("{previous} {change}"),
        }
    }
}

/// How often a reason was given, and its share of all.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReasonCount {
    pub reason: String,
    pub count: usize,
    pub pct: f64,
}

/// Counts `reasons`, grouping spellings that differ only in case, spaces or a final full
/// stop (the first spelling met names the group); most frequent first, then by name.
/// A missing reason counts as "(no reason given)".
pub fn count_reasons<'a>(reasons: impl IntoIterator<Item = Option<&'a str>>) -> Vec<ReasonCount> {
    let mut groups: Vec<(String, String, usize)> = Vec::new();
    let mut total = 0;
    for reason in reasons {
        total += 1;
        let shown = reason
            .map(|text| text.trim().trim_end_matches('.').trim())
            .filter(|text| !text.is_empty())
            .unwrap_or("(no reason given)");
        let key = shown
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        match groups.iter_mut().find(|(k, _, _)| *k == key) {
            Some(group) => group.2 += 1,
            None => groups.push((key, shown.to_string(), 1)),
        }
    }
    groups.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
    groups
        .into_iter()
        .map(|(_, reason, count)| ReasonCount {
            reason,
            count,
            pct: percent(count, total).unwrap_or(0.0),
        })
        .collect()
}

/// A markdown table cell: pipes escaped, line breaks folded.
pub fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// A markdown section: `## title`, then `rows` as a table under `header` (cells escaped), or
/// the sentence `empty` when there are none.
pub fn markdown_section(
    out: &mut String,
    title: &str,
    empty: &str,
    header: &[&str],
    rows: Vec<Vec<String>>,
) {
    out.push_str(&format!("## {title}\n\n"));
    if rows.is_empty() {
        out.push_str(&format!("{empty}\n\n"));
        return;
    }
    let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
    out.push_str(&line(header.iter().map(|h| h.to_string()).collect()));
    out.push_str(&line(header.iter().map(|_| "---".to_string()).collect()));
    for row in rows {
        out.push_str(&line(row.iter().map(|c| cell(c)).collect()));
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_group_by_spelling_and_sort_by_count() {
        let counted = count_reasons([
            Some("Failed integration tests"),
            Some("failed  integration tests."),
            None,
            Some("Merge conflict"),
            Some(" "),
        ]);
        let rows: Vec<(&str, usize, f64)> = counted
            .iter()
            .map(|r| (r.reason.as_str(), r.count, r.pct))
            .collect();
        // 5 reasons: 2 of 5 = 40%, the blank and the missing one 2 of 5, 1 of 5 = 20%.
        assert_eq!(
            rows,
            vec![
                ("(no reason given)", 2, 40.0),
                ("Failed integration tests", 2, 40.0),
                ("Merge conflict", 1, 20.0),
            ]
        );
    }

    #[test]
    fn trends_compare_with_the_window_before() {
        let trend = |current, previous| Trend { current, previous }.change();
        assert_eq!(trend(Some(3.0), Some(1.5)), "↑ +1.5");
        assert_eq!(trend(Some(1.0), Some(4.0)), "↓ -3");
        assert_eq!(trend(Some(2.0), Some(2.0)), "→ 0");
        assert_eq!(trend(Some(2.0), None), "");
        let window = Window {
            since: 100,
            until: 150,
        };
        assert_eq!(
            previous(window),
            Window {
                since: 50,
                until: 100
            }
        );
        assert_eq!(percent(1, 3), Some(33.33));
        assert_eq!(percent(1, 0), None);
    }
}
