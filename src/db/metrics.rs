//! The flow metrics of SPEC §9, from the tasks' timelines (`db::timeline`): per task (lead or
//! in-flight time, blocked, paused and active time, flow efficiency, time per stage) and over
//! a window of time (distributions, throughput and arrivals per week, WIP at an instant,
//! departures, rework, predictability, SLO compliance, dependency ratio, blocker impact).
//!
//! Pure functions of the model, the tasks asked about and the moments given: no clock, no IO.
//! A ledger that cannot support a figure is left out of it and listed in `skipped` with the
//! reason; nothing is guessed. Durations are hours, ratios percentages, both rounded to two
//! decimals when they are written.
//!
//! Which tasks count where (documented for users in `docs/queries.md`):
//! - lead, blocked, paused and active time and flow efficiency: tasks closed in the window,
//!   over their whole life;
//! - flow time per stage and departures: stage visits that ended in the window;
//! - throughput: `closed` events in the window; arrivals: `created` events in it;
//! - WIP: tasks in each stage at the instant, not paused (archived is not work in progress);
//! - rework: `rollback` and `rework_required` events in the window, over the tasks closed;
//! - blocker impact: blocked time inside the window, by what blocked it.

use serde::Serialize;

use crate::db::slo::{slo_policy, stage_slo};
use crate::db::timeline::{EndKind, Instant, Span, Timeline};
use crate::db::vocab::Stage;
use crate::db::{Task, TaskIdx, Workspace};
use crate::parallel::parallel_map;
use crate::syntax::time::{days_from_civil, format_rfc3339};
use crate::syntax::wip_policy::WipPolicy;

const HOUR: f64 = 3600.0;
const DAY: i64 = 86_400;
const WEEK: i64 = 7 * DAY;

/// The stages a task flows through before it is done; archived has no exit to measure.
const FLOWING: [Stage; 6] = [
    Stage::Inbox,
    Stage::Backlog,
    Stage::Next,
    Stage::Current,
    Stage::Integration,
    Stage::Learning,
];

/// `[since, until)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub since: Instant,
    pub until: Instant,
}

impl Window {
    /// SPEC §9's default: the 28 days up to `until`.
    pub fn default_until(until: Instant) -> Window {
        Window {
            since: until - 28 * DAY,
            until,
        }
    }

    pub fn contains(&self, at: Instant) -> bool {
        self.since <= at && at < self.until
    }

    fn weeks(&self) -> f64 {
        (self.until - self.since) as f64 / WEEK as f64
    }
}

/// Every task's timeline, in the order of `tasks`: those the model has not built yet are
/// built on every core (one ledger each), the rest are read from its cache.
pub fn timelines<'w>(workspace: &'w Workspace, tasks: &[TaskIdx]) -> Vec<Option<&'w Timeline>> {
    parallel_map(tasks.to_vec(), |idx| workspace.timeline(idx))
}

/// A task's timeline (see [`Workspace::timeline`]); None when it has no ledger to read.
pub fn timeline_of<'w>(workspace: &'w Workspace, task: &Task) -> Option<&'w Timeline> {
    workspace.timeline(workspace.task_idx_of_file(task.ledger?)?)
}

/// Count, mean, median, 85th and 95th percentile of a figure. Percentiles are nearest-rank
/// (the smallest value with at least p% of the values at or below it); the median of an even
/// count is the mean of the middle two. None where there are no values.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Distribution {
    pub count: usize,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub p85: Option<f64>,
    pub p95: Option<f64>,
}

impl Distribution {
    pub fn of(mut values: Vec<f64>) -> Distribution {
        values.sort_by(f64::total_cmp);
        let count = values.len();
        if count == 0 {
            return Distribution::default();
        }
        let rank =
            |p: f64| values[((p * count as f64 / 100.0).ceil() as usize).clamp(1, count) - 1];
        let median = if count % 2 == 1 {
            values[count / 2]
        } else {
            (values[count / 2 - 1] + values[count / 2]) / 2.0
        };
        Distribution {
            count,
            mean: Some(round2(values.iter().sum::<f64>() / count as f64)),
            median: Some(round2(median)),
            p85: Some(round2(rank(85.0))),
            p95: Some(round2(rank(95.0))),
        }
    }
}

/// One task's figures as of `now`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TaskFigures {
    /// `in_flight`, `closed`, `canceled` or `split`.
    pub state: &'static str,
    pub created: Option<String>,
    pub ended: Option<String>,
    /// Creation to closing, for a closed task.
    pub lead_hours: Option<f64>,
    /// Creation to `now`, for a task still in flight.
    pub in_flight_hours: Option<f64>,
    pub blocked_hours: Option<f64>,
    pub paused_hours: Option<f64>,
    pub active_hours: Option<f64>,
    pub flow_efficiency_pct: Option<f64>,
    /// Time in each stage visited (every visit summed; an open one up to `now`).
    pub stage_hours: Vec<StageHours>,
    pub rework_events: usize,
    /// Why the figures above are missing, when they are.
    pub skipped: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageHours {
    pub stage: &'static str,
    pub hours: f64,
}

/// The figures of one task whose timeline is `timeline` (None: it has no ledger).
pub fn task_figures(timeline: Option<&Timeline>, now: Instant) -> TaskFigures {
    let Some(timeline) = timeline else {
        return TaskFigures {
            state: "in_flight",
            skipped: Some(NO_LEDGER.to_string()),
            ..TaskFigures::default()
        };
    };
    let state = match timeline.ended {
        None => "in_flight",
        Some((_, kind)) => kind.name(),
    };
    let mut figures = TaskFigures {
        state,
        created: timeline.created.map(format_rfc3339),
        ended: timeline.ended.map(|(at, _)| format_rfc3339(at)),
        rework_events: timeline.rework.len(),
        ..TaskFigures::default()
    };
    if let Some(defect) = timeline.defects.first() {
        figures.skipped = Some(defect_reason(defect));
        return figures;
    }
    let end = timeline.end_or(now);
    for stage in Stage::ALL {
        let seconds: i64 = timeline
            .visits
            .iter()
            .filter(|visit| visit.stage == stage && stage != Stage::Archived)
            .map(|visit| (visit.left.unwrap_or(end).min(end) - visit.entered).max(0))
            .sum();
        if timeline.visits.iter().any(|visit| visit.stage == stage) && stage != Stage::Archived {
            figures.stage_hours.push(StageHours {
                stage: stage.name(),
                hours: hours(seconds),
            });
        }
    }
    let Some(created) = timeline.created else {
        figures.skipped = Some(NO_CREATED.to_string());
        return figures;
    };
    let life = end - created;
    match timeline.ended {
        Some((_, EndKind::Closed)) => figures.lead_hours = Some(hours(life)),
        None => figures.in_flight_hours = Some(hours(life)),
        Some(_) => {}
    }
    let active = timeline.active_within(created, end);
    figures.blocked_hours = Some(hours(timeline.blocked_within(created, end)));
    figures.paused_hours = Some(hours(timeline.paused_within(created, end)));
    figures.active_hours = Some(hours(active));
    figures.flow_efficiency_pct = (life > 0).then(|| pct(active as f64, life as f64));
    figures
}

const NO_LEDGER: &str = "no ledger";
const NO_CREATED: &str = "no `created` event";

fn defect_reason(defect: &crate::db::timeline::Defect) -> String {
    format!("ledger line {}: {}", defect.line, defect.reason)
}

/// The workspace figures over a window.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Metrics {
    pub since: String,
    pub until: String,
    /// The window's length in weeks, the divisor of every rate per week.
    pub weeks: f64,
    pub tasks: usize,
    pub lead_time_hours: Distribution,
    pub flow_time_hours: Vec<StageDistribution>,
    pub blocked_time_hours: Distribution,
    pub paused_time_hours: Distribution,
    pub active_time_hours: Distribution,
    pub flow_efficiency_pct: Distribution,
    pub throughput: Rate,
    pub arrival: Rate,
    pub weekly: Vec<Week>,
    pub wip: Wip,
    pub departures: Vec<StageRate>,
    pub rework: ReworkRate,
    /// Standard deviation over mean of the lead times (population, n ≥ 2).
    pub predictability: Option<f64>,
    pub slo: SloCompliance,
    /// Mean number of `depends_on` entries per task (from the cards, not the window).
    pub dependency_ratio: Option<f64>,
    pub blocker_impact: Vec<BlockerImpact>,
    pub skipped: Vec<Skipped>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageDistribution {
    pub stage: &'static str,
    #[serde(flatten)]
    pub hours: Distribution,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Rate {
    pub count: usize,
    pub per_week: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageRate {
    pub stage: &'static str,
    pub count: usize,
    pub per_week: f64,
}

/// One ISO week touching the window, with what happened in it inside the window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Week {
    /// `2026-W47`.
    pub week: String,
    pub closed: usize,
    pub created: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Wip {
    pub at: String,
    pub by_stage: Vec<StageCount>,
    pub total: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageCount {
    pub stage: &'static str,
    pub count: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReworkRate {
    pub events: usize,
    pub completed: usize,
    /// Rework events per completed task, as a percentage; None when none completed.
    pub rate_pct: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SloCompliance {
    /// Tasks closed in the window with at least one stage that has a target.
    pub measured: usize,
    /// Of those, the ones that stayed within every target.
    pub met: usize,
    pub compliance_pct: Option<f64>,
    pub misses: Vec<SloMiss>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SloMiss {
    pub task: String,
    pub stage: &'static str,
    pub hours: f64,
    pub target_hours: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BlockerImpact {
    /// `TASK-0010`, `external:…`; `unknown` when the event does not say.
    pub blocker: String,
    pub blocking_count: usize,
    pub blocked_hours: f64,
    pub blocked_tasks: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Skipped {
    pub task: String,
    pub reason: String,
    /// The figures the task was left out of.
    pub figures: Vec<&'static str>,
}

/// Every figure that reads a ledger's history.
const HISTORY_FIGURES: [&str; 12] = [
    "lead_time",
    "flow_time",
    "blocked_time",
    "paused_time",
    "active_time",
    "flow_efficiency",
    "throughput",
    "arrival",
    "wip",
    "departures",
    "rework",
    "blocker_impact",
];

/// The figures that start at creation.
const CREATION_FIGURES: [&str; 5] = [
    "lead_time",
    "active_time",
    "flow_efficiency",
    "predictability",
    "arrival",
];

/// The figures of `tasks` over `window`, with WIP counted at `at`.
pub fn metrics(workspace: &Workspace, tasks: &[TaskIdx], window: Window, at: Instant) -> Metrics {
    let timelines = timelines(workspace, tasks);
    metrics_of(workspace, tasks, &timelines, window, at)
}

/// [`metrics`] over timelines already built (`timelines[i]` is `tasks[i]`'s).
pub fn metrics_of(
    workspace: &Workspace,
    tasks: &[TaskIdx],
    timelines: &[Option<&Timeline>],
    window: Window,
    at: Instant,
) -> Metrics {
    let mut metrics = Metrics {
        since: format_rfc3339(window.since),
        until: format_rfc3339(window.until),
        weeks: round2(window.weeks()),
        tasks: tasks.len(),
        ..Metrics::default()
    };
    let defaults = WipPolicy::defaults();
    let mut leads = Vec::new();
    let (mut blocked, mut paused, mut active, mut efficiency) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut stage_visits: Vec<Vec<f64>> = vec![Vec::new(); FLOWING.len()];
    let mut wip = [0usize; FLOWING.len()];
    let mut closed_at = Vec::new();
    let mut created_at = Vec::new();
    let mut rework_events = 0;
    let mut impact: Vec<(String, i64, Vec<String>)> = Vec::new();

    for (&idx, timeline) in tasks.iter().zip(timelines) {
        let task = workspace.task(idx);
        let id = task.id.to_string();
        let Some(timeline) = timeline else {
            metrics
                .skipped
                .push(skipped(&id, NO_LEDGER, &HISTORY_FIGURES));
            continue;
        };
        if let Some(defect) = timeline.defects.first() {
            metrics
                .skipped
                .push(skipped(&id, &defect_reason(defect), &HISTORY_FIGURES));
            continue;
        }
        match timeline.created {
            Some(created) if window.contains(created) => created_at.push(created),
            Some(_) => {}
            None => metrics
                .skipped
                .push(skipped(&id, NO_CREATED, &CREATION_FIGURES)),
        }
        for visit in &timeline.visits {
            let (Some(left), Some(slot)) = (visit.left, flowing_slot(visit.stage)) else {
                continue;
            };
            if window.contains(left) {
                stage_visits[slot].push(hours(left - visit.entered));
            }
        }
        if let Some(slot) = timeline.stage_at(at).and_then(flowing_slot)
            && !timeline.paused_at(at)
        {
            wip[slot] += 1;
        }
        rework_events += timeline
            .rework
            .iter()
            .filter(|rework| window.contains(rework.at))
            .count();
        for span in &timeline.blocked {
            add_impact(&mut impact, span, &id, window);
        }
        let Some(closed) = timeline.closed().filter(|&at| window.contains(at)) else {
            continue;
        };
        closed_at.push(closed);
        let policy = slo_policy(workspace, task.root, &defaults);
        check_slo(&mut metrics.slo, task, timeline, policy);
        let Some(created) = timeline.created else {
            continue;
        };
        let life = closed - created;
        let active_seconds = timeline.active_within(created, closed);
        leads.push(hours(life));
        blocked.push(hours(timeline.blocked_within(created, closed)));
        paused.push(hours(timeline.paused_within(created, closed)));
        active.push(hours(active_seconds));
        if life > 0 {
            efficiency.push(active_seconds as f64 * 100.0 / life as f64);
        }
    }

    metrics.predictability = variation(&leads);
    metrics.lead_time_hours = Distribution::of(leads);
    metrics.blocked_time_hours = Distribution::of(blocked);
    metrics.paused_time_hours = Distribution::of(paused);
    metrics.active_time_hours = Distribution::of(active);
    metrics.flow_efficiency_pct = Distribution::of(efficiency);
    let weeks = window.weeks();
    let per_week = |count: usize| {
        if weeks > 0.0 {
            round2(count as f64 / weeks)
        } else {
            0.0
        }
    };
    metrics.departures = FLOWING
        .iter()
        .zip(&stage_visits)
        .map(|(stage, visits)| StageRate {
            stage: stage.name(),
            count: visits.len(),
            per_week: per_week(visits.len()),
        })
        .collect();
    metrics.flow_time_hours = FLOWING
        .iter()
        .zip(stage_visits)
        .map(|(stage, visits)| StageDistribution {
            stage: stage.name(),
            hours: Distribution::of(visits),
        })
        .collect();
    metrics.throughput = Rate {
        count: closed_at.len(),
        per_week: per_week(closed_at.len()),
    };
    metrics.arrival = Rate {
        count: created_at.len(),
        per_week: per_week(created_at.len()),
    };
    metrics.weekly = weekly(window, &closed_at, &created_at);
    metrics.wip = Wip {
        at: format_rfc3339(at),
        by_stage: FLOWING
            .iter()
            .zip(wip)
            .map(|(stage, count)| StageCount {
                stage: stage.name(),
                count,
            })
            .collect(),
        total: wip.iter().sum(),
    };
    metrics.rework = ReworkRate {
        events: rework_events,
        completed: closed_at.len(),
        rate_pct: (!closed_at.is_empty())
            .then(|| pct(rework_events as f64, closed_at.len() as f64)),
    };
    let slo = &mut metrics.slo;
    slo.compliance_pct = (slo.measured > 0).then(|| pct(slo.met as f64, slo.measured as f64));
    let dependencies: usize = tasks
        .iter()
        .map(|&idx| workspace.task(idx).meta.depends_on.len())
        .sum();
    metrics.dependency_ratio =
        (!tasks.is_empty()).then(|| round2(dependencies as f64 / tasks.len() as f64));
    impact.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    metrics.blocker_impact = impact
        .into_iter()
        .map(|(blocker, seconds, blocked_tasks)| BlockerImpact {
            blocker,
            blocking_count: blocked_tasks.len(),
            blocked_hours: hours(seconds),
            blocked_tasks,
        })
        .collect();
    metrics
}

fn skipped(task: &str, reason: &str, figures: &[&'static str]) -> Skipped {
    Skipped {
        task: task.to_string(),
        reason: reason.to_string(),
        figures: figures.to_vec(),
    }
}

fn flowing_slot(stage: Stage) -> Option<usize> {
    FLOWING.iter().position(|&flowing| flowing == stage)
}

fn add_impact(
    impact: &mut Vec<(String, i64, Vec<String>)>,
    span: &Span,
    task: &str,
    window: Window,
) {
    let seconds = span.overlap(window.since, window.until);
    if seconds <= 0 {
        return;
    }
    let blocker = span.cause.clone().unwrap_or_else(|| "unknown".to_string());
    let entry = match impact.iter().position(|(name, _, _)| *name == blocker) {
        Some(at) => &mut impact[at],
        None => {
            impact.push((blocker, 0, Vec::new()));
            impact.last_mut().expect("just pushed")
        }
    };
    entry.1 += seconds;
    if !entry.2.iter().any(|blocked| blocked == task) {
        entry.2.push(task.to_string());
    }
}

/// The coefficient of variation of `values` (population standard deviation over the mean).
fn variation(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let count = values.len() as f64;
    let mean = values.iter().sum::<f64>() / count;
    if mean <= 0.0 {
        return None;
    }
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / count;
    Some(round2(variance.sqrt() / mean))
}

/// Counts, per ISO week touching the window, the closings and creations inside it.
fn weekly(window: Window, closed: &[Instant], created: &[Instant]) -> Vec<Week> {
    let mut weeks = Vec::new();
    if window.until <= window.since {
        return weeks;
    }
    let mut monday = week_start(window.since);
    while monday < window.until {
        let within = |at: &&Instant| monday <= **at && **at < monday + WEEK;
        weeks.push(Week {
            week: iso_week(monday),
            closed: closed.iter().filter(within).count(),
            created: created.iter().filter(within).count(),
        });
        monday += WEEK;
    }
    weeks
}

/// The Monday 00:00 UTC starting the week of `at`.
pub fn week_start(at: Instant) -> Instant {
    let days = at.div_euclid(DAY);
    // 1970-01-01 was a Thursday: three days after a Monday.
    let weekday = (days + 3).rem_euclid(7);
    (days - weekday) * DAY
}

/// `2026-W47` for the ISO week starting at `monday`: the week belongs to the year its
/// Thursday falls in.
pub fn iso_week(monday: Instant) -> String {
    let thursday = monday + 3 * DAY;
    let year: i64 = format_rfc3339(thursday)[..4].parse().unwrap_or(1970);
    let week = (thursday.div_euclid(DAY) - days_from_civil(year, 1, 1)) / 7 + 1;
    format!("{year:04}-W{week:02}")
}

/// A closed task met its SLOs when every finished stage visit with a target lasted no
/// longer than it (`current`'s target is the task's effort in days).
fn check_slo(slo: &mut SloCompliance, task: &Task, timeline: &Timeline, policy: &WipPolicy) {
    let mut measured = false;
    let mut missed = false;
    for visit in &timeline.visits {
        let (Some(left), Some(target)) = (
            visit.left,
            stage_slo(task, visit.stage, policy).map(|slo| slo.target),
        ) else {
            continue;
        };
        measured = true;
        let seconds = left - visit.entered;
        if seconds > target * 3600 {
            missed = true;
            slo.misses.push(SloMiss {
                task: task.id.to_string(),
                stage: visit.stage.name(),
                hours: hours(seconds),
                target_hours: target,
            });
        }
    }
    if measured {
        slo.measured += 1;
        slo.met += usize::from(!missed);
    }
}

pub fn hours(seconds: i64) -> f64 {
    round2(seconds as f64 / HOUR)
}

fn pct(part: f64, whole: f64) -> f64 {
    round2(part * 100.0 / whole)
}

pub fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::time::parse_rfc3339;

    #[test]
    fn distribution_uses_nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=20).map(f64::from).collect();
        let d = Distribution::of(values);
        // mean 10.5; median (10 + 11) / 2; p85 rank ceil(17) = 17; p95 rank 19.
        assert_eq!(
            (d.count, d.mean, d.median, d.p85, d.p95),
            (20, Some(10.5), Some(10.5), Some(17.0), Some(19.0))
        );
        assert_eq!(Distribution::of(Vec::new()).mean, None);
        assert_eq!(Distribution::of(vec![4.0]).p95, Some(4.0));
    }

    #[test]
    fn iso_weeks_belong_to_the_year_of_their_thursday() {
        let at = |ts: &str| parse_rfc3339(ts).unwrap();
        // Thursday 2026-11-19 lies in 2026-W47, which starts on Monday the 16th.
        assert_eq!(
            week_start(at("2026-11-19T15:00:00Z")),
            at("2026-11-16T00:00:00Z")
        );
        assert_eq!(iso_week(at("2026-11-16T00:00:00Z")), "2026-W47");
        // Monday 2024-12-30 starts 2025-W01; Monday 2021-01-04 starts 2021-W01.
        assert_eq!(iso_week(at("2024-12-30T00:00:00Z")), "2025-W01");
        assert_eq!(iso_week(at("2020-12-28T00:00:00Z")), "2020-W53");
    }

    #[test]
    fn variation_is_population_deviation_over_mean() {
        // mean 4, deviations -2, 0, 2: variance 8/3, sd 1.633, cv 0.41.
        assert_eq!(variation(&[2.0, 4.0, 6.0]), Some(0.41));
        assert_eq!(variation(&[3.0]), None);
    }
}
