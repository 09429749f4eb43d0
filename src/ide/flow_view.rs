//! The Flow view (SPEC §10): the flow metrics of a window with their trend against the window
//! before (throughput, arrivals, lead time, flow efficiency, SLO compliance), throughput,
//! arrivals and mean lead time per week, the time spent per stage, a cumulative flow diagram
//! and a lead-time histogram, as data the board draws. Figures come from `db::metrics` over
//! the shared timelines (`ide::history`); the diagram and the histogram from the timelines
//! themselves. Pure.

use serde::Serialize;

use crate::db::metrics::{
    Distribution, Metrics, Window, hours, iso_week, metrics_of, round2, week_start,
};
use crate::db::vocab::Stage;
use crate::ide::history::{History, Trend, previous};
use crate::syntax::time::format_rfc3339;

const DAY: i64 = 86_400;
/// The most points the cumulative flow diagram samples: a day apart up to about two months,
/// further apart beyond.
const MAX_SAMPLES: i64 = 60;
/// About this many bars in the lead-time histogram.
const BARS: f64 = 8.0;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlowView {
    pub since: String,
    pub until: String,
    pub throughput_per_week: Trend,
    pub arrival_per_week: Trend,
    /// Mean lead time of the tasks closed, hours.
    pub lead_mean_hours: Trend,
    pub lead_time_hours: Distribution,
    /// Mean flow efficiency of the tasks closed, percent.
    pub flow_efficiency_pct: Trend,
    pub slo_compliance_pct: Trend,
    pub predictability: Option<f64>,
    pub weekly: Vec<FlowWeek>,
    /// Mean hours per visit of each stage, for visits that ended in the window.
    pub stage_hours: Vec<StageMean>,
    pub cfd: CumulativeFlow,
    pub histogram: Histogram,
    /// Tasks whose ledgers could not support the figures (see `query metrics`).
    pub skipped: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlowWeek {
    pub week: String,
    pub closed: usize,
    pub created: usize,
    pub lead_mean_hours: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageMean {
    pub stage: &'static str,
    pub visits: usize,
    pub mean_hours: Option<f64>,
}

/// How many tasks were in each stage at each sampled instant: one series per stage in
/// workflow order, `archived` counting every task ended by then (closed, canceled or split).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CumulativeFlow {
    pub at: Vec<String>,
    pub series: Vec<FlowSeries>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlowSeries {
    pub stage: &'static str,
    pub counts: Vec<usize>,
}

/// Lead times of the tasks closed in the window, in bars `bar_days` wide: bar `i` counts
/// the lead times in `[i × bar_days, (i + 1) × bar_days)` days.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Histogram {
    pub bar_days: i64,
    pub counts: Vec<usize>,
}

/// The Flow view of `history` over `window`.
pub fn flow_view(history: &History, window: Window) -> FlowView {
    let figures = |window: Window| {
        metrics_of(
            history.workspace,
            &history.tasks,
            &history.timelines,
            window,
            window.until,
        )
    };
    let now = figures(window);
    let before = figures(previous(window));
    let trend = |pick: fn(&Metrics) -> Option<f64>| Trend {
        current: pick(&now),
        previous: pick(&before),
    };
    let leads: Vec<(i64, i64)> = history
        .closed_in(window)
        .filter_map(|(_, timeline, closed)| Some((closed, timeline.lead()?)))
        .collect();
    FlowView {
        since: format_rfc3339(window.since),
        until: format_rfc3339(window.until),
        throughput_per_week: trend(|m| Some(m.throughput.per_week)),
        arrival_per_week: trend(|m| Some(m.arrival.per_week)),
        lead_mean_hours: trend(|m| m.lead_time_hours.mean),
        flow_efficiency_pct: trend(|m| m.flow_efficiency_pct.mean),
        slo_compliance_pct: trend(|m| m.slo.compliance_pct),
        predictability: now.predictability,
        weekly: now
            .weekly
            .iter()
            .map(|week| FlowWeek {
                week: week.week.clone(),
                closed: week.closed,
                created: week.created,
                lead_mean_hours: mean_lead_in_week(&leads, &week.week, window),
            })
            .collect(),
        stage_hours: now
            .flow_time_hours
            .iter()
            .map(|stage| StageMean {
                stage: stage.stage,
                visits: stage.hours.count,
                mean_hours: stage.hours.mean,
            })
            .collect(),
        lead_time_hours: now.lead_time_hours.clone(),
        cfd: cumulative_flow(history, window),
        histogram: histogram(leads.iter().map(|&(_, lead)| lead)),
        skipped: now.skipped.len(),
    }
}

/// The mean lead of the tasks closed in ISO week `week` (inside the window).
fn mean_lead_in_week(leads: &[(i64, i64)], week: &str, window: Window) -> Option<f64> {
    let in_week: Vec<i64> = leads
        .iter()
        .filter(|(closed, _)| window.contains(*closed) && iso_week(week_start(*closed)) == week)
        .map(|&(_, lead)| lead)
        .collect();
    (!in_week.is_empty()).then(|| {
        round2(in_week.iter().map(|&lead| hours(lead)).sum::<f64>() / in_week.len() as f64)
    })
}

fn cumulative_flow(history: &History, window: Window) -> CumulativeFlow {
    let span = (window.until - window.since).max(0);
    let days = (span + DAY - 1) / DAY;
    let step = DAY * ((days + MAX_SAMPLES - 1) / MAX_SAMPLES).max(1);
    let instants: Vec<i64> = (0..)
        .map(|n| window.since + n * step)
        .take_while(|&at| at < window.until)
        .chain(std::iter::once(window.until))
        .collect();
    let mut counts = vec![vec![0usize; instants.len()]; Stage::ALL.len()];
    for (_, timeline) in history.trusted() {
        for (column, &at) in instants.iter().enumerate() {
            let stage = match timeline.ended {
                Some((end, _)) if end <= at => Some(Stage::Archived),
                _ => timeline.stage_at(at),
            };
            if let Some(row) = stage.and_then(|s| Stage::ALL.iter().position(|&x| x == s)) {
                counts[row][column] += 1;
            }
        }
    }
    CumulativeFlow {
        at: instants.into_iter().map(format_rfc3339).collect(),
        series: Stage::ALL
            .iter()
            .zip(counts)
            .map(|(stage, counts)| FlowSeries {
                stage: stage.name(),
                counts,
            })
            .collect(),
    }
}

fn histogram(leads: impl Iterator<Item = i64>) -> Histogram {
    let leads: Vec<i64> = leads.map(|lead| lead.max(0)).collect();
    let longest_days = leads.iter().max().map_or(0.0, |&l| l as f64 / DAY as f64);
    let bar_days = ((longest_days / BARS).ceil() as i64).max(1);
    let mut counts = vec![0; (longest_days / bar_days as f64).floor() as usize + 1];
    if leads.is_empty() {
        counts.clear();
    }
    for lead in leads {
        counts[(lead / (bar_days * DAY)) as usize] += 1;
    }
    Histogram { bar_days, counts }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::workspace;
    use crate::syntax::time::parse_rfc3339;

    fn package(id: &str, ledger: &[(&str, &str)]) -> String {
        let lines: Vec<String> = ledger
            .iter()
            .map(|(ts, event)| {
                format!("{{\"ts\":\"2026-11-{ts}:00Z\",\"user\":\"@ana\",\"event\":\"{event}\",\"desc\":\"d\"}}")
            })
            .collect();
        format!(
            "//- /next/TASK-{id}-x/{id}-x.task.md\n---\ntask_id: \"TASK-{id}\"\ntask_name: \"T\"\nstage: \"next\"\nstatus: \"active\"\n---\n//- /next/TASK-{id}-x/{id}.ledger.jsonl\n{}\n",
            lines.join("\n")
        )
    }

    #[test]
    fn the_diagram_counts_each_stage_at_each_day_and_the_histogram_bins_leads() {
        // Window 16 to 19 Nov 2026 (three days, four samples at 00:00 of 16, 17, 18, 19).
        // 0001: created 15th 12:00, verified 16th 12:00, closed 17th 12:00 (lead 48 h = 2 d).
        // 0002: created 16th 06:00, prioritized 18th 00:00 (next from then), still open.
        // 0003: created 10th 00:00, closed 11th 00:00 (before the window: archived all along).
        let ws = workspace(
            &[
                package(
                    "0001",
                    &[
                        ("15T12:00", "created"),
                        ("16T12:00", "verified"),
                        ("17T12:00", "closed"),
                    ],
                ),
                package(
                    "0002",
                    &[("16T06:00", "created"), ("18T00:00", "prioritized")],
                ),
                package("0003", &[("10T00:00", "created"), ("11T00:00", "closed")]),
            ]
            .concat(),
        );
        let window = Window {
            since: parse_rfc3339("2026-11-16T00:00:00Z").unwrap(),
            until: parse_rfc3339("2026-11-19T00:00:00Z").unwrap(),
        };
        let view = flow_view(&History::of(&ws), window);
        assert_eq!(view.cfd.at.len(), 4);
        assert_eq!(view.cfd.series.len(), 7, "one series per stage");
        let series = |stage: &str| {
            view.cfd
                .series
                .iter()
                .find(|s| s.stage == stage)
                .unwrap()
                .counts
                .clone()
        };
        // 16th: 0001 in inbox, 0003 archived. 17th: 0001 backlog, 0002 inbox.
        // 18th: 0001 and 0003 archived, 0002 next. 19th: the same.
        assert_eq!(series("inbox"), vec![1, 1, 0, 0]);
        assert_eq!(series("backlog"), vec![0, 1, 0, 0]);
        assert_eq!(series("next"), vec![0, 0, 1, 1]);
        assert_eq!(series("archived"), vec![1, 1, 2, 2]);
        // One lead of 2 days in the window: bars 1 day wide, the lead in bar 2.
        assert_eq!(
            view.histogram,
            Histogram {
                bar_days: 1,
                counts: vec![0, 0, 1]
            }
        );
        // Closed: 1 in 3/7 weeks = 2.33 a week; created 0002 only: the same.
        assert_eq!(view.throughput_per_week.current, Some(2.33));
        assert_eq!(view.arrival_per_week.current, Some(2.33));
        assert_eq!(view.lead_mean_hours.current, Some(48.0));
        // The three days before: 0001 created (15th), nothing closed.
        assert_eq!(view.arrival_per_week.previous, Some(2.33));
        assert_eq!(view.lead_mean_hours.previous, None);
        assert_eq!(view.weekly.len(), 1);
        assert_eq!(view.weekly[0].lead_mean_hours, Some(48.0));
    }

    #[test]
    fn histogram_bars_cover_the_longest_lead() {
        // Leads of 56, 132, 178, 246 hours: 2.33, 5.5, 7.42 and 10.25 days; 10.25 / 8 rounds
        // up to bars of 2 days; bars 0-2 .. 10-12: six, the leads in bars 1, 2, 3 and 5.
        let got = histogram([56, 132, 178, 246].into_iter().map(|h| h * 3600));
        assert_eq!(
            got,
            Histogram {
                bar_days: 2,
                counts: vec![0, 1, 1, 1, 0, 1]
            }
        );
        assert_eq!(histogram(std::iter::empty()).counts, Vec::<usize>::new());
    }
}
