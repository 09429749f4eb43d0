//! The reports of SPEC §9 (`flowos-lsp report <name>`): markdown documents built from the
//! flow engine's figures (`db::timeline`, `db::metrics`, `ide::query`), each set beside the
//! same figures for the previous period so it shows which way things move. A pure function
//! of the model and the moment given, so a report run with `--now` is the same text every
//! time and can be committed or posted by CI.
//!
//! The catalogue is [`catalogue!`]'s list: a report is one file in this folder (with
//! `ABOUT`, `PERIOD` and `render`) plus one line there. This file also holds what the
//! reports share: the period arithmetic, markdown tables, and trend cells.

use crate::db::metrics::{Window, iso_week, timelines, week_start};
use crate::db::timeline::{Instant, Timeline};
use crate::db::{Parsed, Task, TaskIdx, Workspace};
use crate::ide::query::{QueryError, moment};
use crate::syntax::task_id::parse_task_ref;
use crate::syntax::time::{days_from_civil, format_rfc3339};
use crate::syntax::wip_policy::WipPolicy;

const DAY: i64 = 86_400;
const WEEK: i64 = 7 * DAY;

/// Declares the reports: the enum, their names, their one-line descriptions and the
/// dispatch to each one's module.
macro_rules! catalogue {
    ($($variant:ident => $module:ident, $name:literal;)*) => {
        $(mod $module;)*

        /// Every report of the catalogue.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Report {
            $($variant,)*
        }

        impl Report {
            pub const ALL: &'static [Report] = &[$(Report::$variant,)*];

            /// The name the command line uses (`report weekly`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Report::$variant => $name,)*
                }
            }

            /// What the report answers, for `report --help`.
            pub fn about(self) -> &'static str {
                match self {
                    $(Report::$variant => $module::ABOUT,)*
                }
            }

            /// The period the report covers when none is asked for.
            fn default_period(self) -> DefaultPeriod {
                match self {
                    $(Report::$variant => $module::PERIOD,)*
                }
            }

            fn render(self, context: &Context) -> Result<String, QueryError> {
                match self {
                    $(Report::$variant => $module::render(context),)*
                }
            }
        }
    };
}

catalogue! {
    Weekly => weekly, "weekly";
    Blockers => blockers, "blockers";
    P0 => p0, "p0";
    Rework => rework, "rework";
    Learning => learning, "learning";
}

impl Report {
    pub fn parse(name: &str) -> Option<Report> {
        Report::ALL
            .iter()
            .copied()
            .find(|report| report.name() == name)
    }

    /// `weekly, blockers, p0, rework, learning`.
    pub fn names() -> String {
        Report::ALL
            .iter()
            .map(|report| report.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What a report covers by default, up to `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DefaultPeriod {
    /// The last whole ISO week (Monday 00:00 UTC to Monday) ended by `now`: on a Monday
    /// morning, the week just gone.
    LastWeek,
    /// The given number of days up to `now`.
    Days(i64),
}

/// One report asked for. Times are RFC 3339 or `YYYY-MM-DD` (midnight UTC), as for `query`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRequest {
    pub report: Report,
    /// An ISO week (`2026-W47`): the period is that week.
    pub week: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    /// The task a report is about (`p0 --task`), when it is about one.
    pub task: Option<String>,
}

/// What every report reads: the model, the moment, the period and the one before it (as
/// long, ending where it starts), and every task's timeline, in ID order.
pub(crate) struct Context<'w> {
    pub workspace: &'w Workspace,
    pub now: Instant,
    pub period: Window,
    pub previous: Window,
    pub tasks: Vec<TaskIdx>,
    /// `timelines[i]` is `tasks[i]`'s; None without a ledger.
    pub timelines: Vec<Option<&'w Timeline>>,
    pub task: Option<String>,
}

impl<'w> Context<'w> {
    /// The tasks with their timelines, in ID order.
    pub fn each(&self) -> impl Iterator<Item = (&'w Task, Option<&'w Timeline>)> + '_ {
        self.tasks
            .iter()
            .zip(&self.timelines)
            .map(|(&idx, &timeline)| (self.workspace.task(idx), timeline))
    }

    /// A timeline the figures may trust: one without defects.
    pub fn trusted(&self) -> impl Iterator<Item = (&Task, &Timeline)> {
        self.each().filter_map(|(task, timeline)| {
            timeline
                .filter(|timeline| timeline.defects.is_empty())
                .map(|timeline| (task, timeline))
        })
    }

    /// The name of a task named by `reference` (`TASK-0010`), when it is one.
    pub fn task_name(&self, reference: &str) -> Option<String> {
        let (id, _) = parse_task_ref(reference.trim())?;
        (0..self.workspace.roots.len())
            .find_map(|root| self.workspace.lookup_in(root, &id))
            .and_then(|task| task.meta.task_name.clone())
    }

    /// Ends `out` with the closing section on the ledgers left out, when any were.
    pub fn close(&self, out: &mut String) {
        let left_out = self.left_out();
        if left_out.is_empty() {
            return;
        }
        while !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str(&left_out);
    }

    /// The ledgers left out of the figures, as a closing section (empty when none were).
    fn left_out(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .each()
            .filter_map(|(task, timeline)| {
                let reason = match timeline {
                    None => "no ledger".to_string(),
                    Some(timeline) => {
                        let defect = timeline.defects.first()?;
                        format!("ledger line {}: {}", defect.line, defect.reason)
                    }
                };
                Some(vec![task.id.to_string(), reason])
            })
            .collect();
        if rows.is_empty() {
            return String::new();
        }
        format!(
            "## Left out\n\nThese ledgers cannot support the figures above and are not counted \
             in them:\n\n{}",
            table(&["Task", "Why"], &rows)
        )
    }
}

/// The policy in force for the first tasks root: its wip.policy.md's tables, SPEC §2's
/// defaults for what the file does not set or where there is no file.
pub(crate) fn policy(workspace: &Workspace) -> WipPolicy {
    workspace
        .roots
        .first()
        .and_then(|root| root.wip_policy)
        .and_then(|file| match &workspace.file(file).parsed {
            Parsed::WipPolicy(policy) => Some(policy.clone()),
            _ => None,
        })
        .unwrap_or_else(WipPolicy::defaults)
}

/// Writes the report `request` asks for, of `workspace` as of `now`.
pub fn render(
    workspace: &Workspace,
    request: &ReportRequest,
    now: Instant,
) -> Result<String, QueryError> {
    let period = period(request, now)?;
    let length = period.until - period.since;
    let previous = Window {
        since: period.since - length,
        until: period.since,
    };
    let mut tasks: Vec<TaskIdx> = (0..workspace.tasks.len() as u32).map(TaskIdx).collect();
    tasks.sort_by(|&a, &b| {
        let (a, b) = (workspace.task(a), workspace.task(b));
        (a.root, &a.id.namespace, a.id.number).cmp(&(b.root, &b.id.namespace, b.id.number))
    });
    let timelines = timelines(workspace, &tasks);
    let context = Context {
        workspace,
        now,
        period,
        previous,
        tasks,
        timelines,
        task: request.task.clone(),
    };
    request.report.render(&context)
}

/// The period `request` asks for, else its report's default.
fn period(request: &ReportRequest, now: Instant) -> Result<Window, QueryError> {
    if let Some(week) = &request.week {
        if request.since.is_some() || request.until.is_some() {
            return Err(QueryError(
                "give either --week or --since/--until, not both".to_string(),
            ));
        }
        let monday = parse_week(week)?;
        return Ok(Window {
            since: monday,
            until: monday + WEEK,
        });
    }
    let until = match &request.until {
        Some(text) => moment(text)?,
        None if request.since.is_some() => now,
        None => match request.report.default_period() {
            DefaultPeriod::LastWeek => week_start(now),
            DefaultPeriod::Days(_) => now,
        },
    };
    let since = match &request.since {
        Some(text) => moment(text)?,
        None => match request.report.default_period() {
            DefaultPeriod::LastWeek => until - WEEK,
            DefaultPeriod::Days(days) => until - days * DAY,
        },
    };
    if since >= until {
        return Err(QueryError(format!(
            "the period is empty: --since {} is not before --until {}",
            format_rfc3339(since),
            format_rfc3339(until)
        )));
    }
    Ok(Window { since, until })
}

/// The Monday 00:00 UTC starting ISO week `2026-W47`.
pub fn parse_week(text: &str) -> Result<Instant, QueryError> {
    let bad = || QueryError(format!("`{text}` is not an ISO week such as 2026-W47"));
    let (year, week) = text.trim().split_once("-W").ok_or_else(bad)?;
    let year: i64 = year.parse().map_err(|_| bad())?;
    let week: i64 = week.parse().map_err(|_| bad())?;
    // Week 1 is the week holding 4 January.
    let first = week_start(days_from_civil(year, 1, 4) * DAY);
    let monday = first + (week - 1) * WEEK;
    if !(1..=53).contains(&week) || !iso_week(monday).starts_with(&format!("{year:04}-")) {
        return Err(bad());
    }
    Ok(monday)
}

/// `2026-11-16` for an instant.
pub fn date(at: Instant) -> String {
    format_rfc3339(at)[..10].to_string()
}

/// `2026-11-16 08:00` for an instant (UTC).
pub fn minute(at: Instant) -> String {
    let text = format_rfc3339(at);
    format!("{} {}", &text[..10], &text[11..16])
}

/// The period in words: `2026-11-16 to 2026-11-22` (the last day included).
pub fn dates(window: Window) -> String {
    let last = window.until - 1;
    if date(window.since) == date(last) {
        date(window.since)
    } else {
        format!("{} to {}", date(window.since), date(last))
    }
}

/// A number as people write it: at most two decimals, none when whole.
pub fn number(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    let text = format!("{rounded:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// A duration given in hours: `6 h` below two days, `3.5 d` from there.
pub fn duration(hours: f64) -> String {
    if hours.abs() < 48.0 {
        format!("{} h", number((hours * 10.0).round() / 10.0))
    } else {
        format!("{} d", number((hours / 24.0 * 10.0).round() / 10.0))
    }
}

/// `42%`.
pub fn percent(value: f64) -> String {
    format!("{}%", number((value * 10.0).round() / 10.0))
}

/// Which way a figure should move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
    /// Neither way is good or bad in itself (arrivals, WIP).
    Neither,
}

/// The change from `previous` to `current` as a cell: an arrow, the difference written by
/// `show`, and whether it is better or worse. `–` when either side has no figure.
pub fn change(
    current: Option<f64>,
    previous: Option<f64>,
    show: fn(f64) -> String,
    better: Better,
) -> String {
    let (Some(current), Some(previous)) = (current, previous) else {
        return "–".to_string();
    };
    let delta = current - previous;
    if delta.abs() < 0.005 {
        return "→ same".to_string();
    }
    let arrow = if delta > 0.0 { "↑" } else { "↓" };
    let verdict = match (better, delta > 0.0) {
        (Better::Neither, _) => "",
        (Better::Higher, true) | (Better::Lower, false) => ", better",
        _ => ", worse",
    };
    format!("{arrow} {}{verdict}", show(delta.abs()))
}

/// How a figure of a trend table is written, and which way it should move.
#[derive(Clone, Copy)]
pub struct Measure {
    show: fn(f64) -> String,
    better: Better,
}

const fn measure(show: fn(f64) -> String, better: Better) -> Measure {
    Measure { show, better }
}

/// A count neither better nor worse higher (arrivals, WIP).
pub const COUNT: Measure = measure(number, Better::Neither);
/// A count better higher (tasks closed).
pub const MORE: Measure = measure(number, Better::Higher);
/// A count better lower (rework events, blocks).
pub const FEWER: Measure = measure(number, Better::Lower);
/// A duration in hours, better shorter.
pub const SHORTER: Measure = measure(duration, Better::Lower);
/// A percentage better higher (SLO compliance, flow efficiency).
pub const HIGHER_SHARE: Measure = measure(percent, Better::Higher);
/// A percentage better lower (rework rate).
pub const LOWER_SHARE: Measure = measure(percent, Better::Lower);

/// One figure of a trend table: its name, this period's value, the previous period's.
pub type Trend<'a> = (&'a str, Option<f64>, Option<f64>, Measure);

/// The "figure, this period, previous period, change" table of `rows`.
pub fn trend_table(rows: &[Trend]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|&(figure, current, previous, measure)| {
            let cell = |value: Option<f64>| value.map_or("–".to_string(), measure.show);
            vec![
                figure.to_string(),
                cell(current),
                cell(previous),
                change(current, previous, measure.show, measure.better),
            ]
        })
        .collect();
    table(
        &["Figure", "This period", "Previous period", "Change"],
        &rows,
    )
}

/// A markdown table with padded columns (pipes in cells escaped, line breaks flattened);
/// `(none)` for no rows.
pub fn table<S: AsRef<str>>(header: &[S], rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        return "(none)\n".to_string();
    }
    let cell = |text: &str| text.replace('|', "\\|").replace(['\n', '\r'], " ");
    let widths: Vec<usize> = (0..header.len())
        .map(|column| {
            rows.iter()
                .map(|row| row.get(column).map_or(0, |text| cell(text).chars().count()))
                .chain([header[column].as_ref().chars().count(), 3])
                .max()
                .unwrap_or(3)
        })
        .collect();
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(text, &width)| format!("{text:width$}"))
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = line(header.iter().map(|h| h.as_ref().to_string()).collect());
    out += &line(widths.iter().map(|&width| "-".repeat(width)).collect());
    for row in rows {
        out += &line(
            (0..header.len())
                .map(|column| cell(row.get(column).map_or("", String::as_str)))
                .collect(),
        );
    }
    out
}

/// `1 task`, `3 tasks`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::time::parse_rfc3339;

    fn at(ts: &str) -> Instant {
        parse_rfc3339(ts).unwrap()
    }

    #[test]
    fn iso_weeks_parse_to_their_monday() {
        assert_eq!(parse_week("2026-W47"), Ok(at("2026-11-16T00:00:00Z")));
        // 2025-W01 starts on Monday 30 December 2024; 2020 had 53 weeks, 2021 did not.
        assert_eq!(parse_week("2025-W01"), Ok(at("2024-12-30T00:00:00Z")));
        assert_eq!(parse_week("2020-W53"), Ok(at("2020-12-28T00:00:00Z")));
        assert!(parse_week("2021-W53").is_err());
        assert!(parse_week("2026-47").is_err());
    }

    #[test]
    fn the_default_weekly_period_is_the_last_whole_week() {
        let request = ReportRequest {
            report: Report::Weekly,
            week: None,
            since: None,
            until: None,
            task: None,
        };
        // Wednesday 25 November: the week of 16 to 22 November.
        let window = period(&request, at("2026-11-25T10:00:00Z")).unwrap();
        assert_eq!(window.since, at("2026-11-16T00:00:00Z"));
        assert_eq!(window.until, at("2026-11-23T00:00:00Z"));
        assert_eq!(dates(window), "2026-11-16 to 2026-11-22");
        let blockers = ReportRequest {
            report: Report::Blockers,
            ..request
        };
        let window = period(&blockers, at("2026-11-25T10:00:00Z")).unwrap();
        assert_eq!(window.until - window.since, 7 * DAY);
    }

    #[test]
    fn changes_say_which_way_and_whether_it_is_better() {
        let h = |value: f64| duration(value);
        assert_eq!(
            change(Some(10.0), Some(12.5), h, Better::Lower),
            "↓ 2.5 h, better"
        );
        assert_eq!(
            change(Some(3.0), Some(1.0), number, Better::Lower),
            "↑ 2, worse"
        );
        assert_eq!(change(Some(3.0), Some(1.0), number, Better::Neither), "↑ 2");
        assert_eq!(
            change(Some(1.0), Some(1.0), number, Better::Higher),
            "→ same"
        );
        assert_eq!(change(None, Some(1.0), number, Better::Higher), "–");
        assert_eq!(duration(72.0), "3 d");
        assert_eq!(duration(13.25), "13.3 h");
        assert_eq!(number(88.375), "88.38");
    }

    #[test]
    fn tables_pad_columns_and_escape_pipes() {
        let rows = vec![vec!["a|b".to_string(), "1".to_string()]];
        assert_eq!(
            table(&["Name", "N"], &rows),
            "| Name | N   |\n| ---- | --- |\n| a\\|b | 1   |\n"
        );
        assert_eq!(table(&["x"], &[]), "(none)\n");
    }
}
