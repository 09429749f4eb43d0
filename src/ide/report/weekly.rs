//! The weekly flow report: what came in and went out, how long work took and where, the SLOs,
//! rework and P0s, and what blocked tasks, each figure against the week before. History is
//! read from the ledgers alone, so a past week's report says what was true then.

use crate::db::metrics::{Metrics, metrics_of};
use crate::db::timeline::Span;
use crate::db::vocab::Stage;
use crate::ide::query::QueryError;
use crate::ide::report::p0::{displaced_by, is_p0};
use crate::ide::report::{
    Better, COUNT, Context, DefaultPeriod, FEWER, HIGHER_SHARE, LOWER_SHARE, MORE, SHORTER,
    change, count, date, dates, duration, minute, table, trend_table,
};
use crate::syntax::time::format_rfc3339;
use crate::syntax::wip_policy::SloDuration;

pub(super) const ABOUT: &str = "the week's flow (throughput, lead time, SLOs, rework, P0s, \
                                blockers) against the week before; by default the last whole \
                                ISO week (Monday to Monday, UTC)";
pub(super) const PERIOD: DefaultPeriod = DefaultPeriod::LastWeek;

/// How many SLO misses and rework events the action items name.
const ACTIONS_EACH: usize = 3;
/// How many blockers the blocked-time table lists.
const TOP_BLOCKERS: usize = 5;

pub(super) fn render(context: &Context) -> Result<String, QueryError> {
    let workspace = context.workspace;
    let (period, previous) = (context.period, context.previous);
    let this = metrics_of(
        workspace,
        &context.tasks,
        &context.timelines,
        period,
        period.until,
    );
    let before = metrics_of(
        workspace,
        &context.tasks,
        &context.timelines,
        previous,
        previous.until,
    );
    let iso_week = crate::db::metrics::week_start(period.since) == period.since
        && period.until - period.since == 7 * 86_400;
    let mut out = if iso_week {
        format!(
            "# Weekly flow report: {}\n\n",
            crate::db::metrics::iso_week(period.since)
        )
    } else {
        format!("# Flow report: {}\n\n", dates(period))
    };
    out += &format!(
        "Period {} (UTC), compared with {}. As of {}.\n\n",
        dates(period),
        dates(previous),
        format_rfc3339(context.now)
    );
    out += &summary(context, &this, &before);
    out += &cycle_time(context, &this, &before);
    out += &slo(context, &this, &before);
    out += &quality(context, &this, &before);
    let (blockers, top_blocker) = blockers(context, &this, &before);
    out += &blockers;
    out += &actions(context, &this, top_blocker);
    context.close(&mut out);
    Ok(out)
}

fn counted(n: usize) -> Option<f64> {
    Some(n as f64)
}

fn summary(context: &Context, this: &Metrics, before: &Metrics) -> String {
    let net = |m: &Metrics| m.arrival.count as f64 - m.throughput.count as f64;
    let rows = [
        ("Tasks closed (throughput)", counted(this.throughput.count), counted(before.throughput.count), MORE),
        ("Tasks created (arrivals)", counted(this.arrival.count), counted(before.arrival.count), COUNT),
        ("Net change (created − closed)", Some(net(this)), Some(net(before)), FEWER),
        ("Work in progress at the end", counted(this.wip.total), counted(before.wip.total), COUNT),
    ];
    let mut out = format!("## Flow summary\n\n{}\n", trend_table(&rows));
    out += &match net(this) {
        n if n > 0.0 => format!(
            "More arrived than was finished: the system grew by {}.\n\n",
            count(n as usize, "task")
        ),
        n if n < 0.0 => format!(
            "More was finished than arrived: the system shrank by {}.\n\n",
            count((-n) as usize, "task")
        ),
        _ => "As many tasks were finished as arrived.\n\n".to_string(),
    };
    let policy = super::policy(context.workspace);
    let mut rows: Vec<Vec<String>> = this
        .wip
        .by_stage
        .iter()
        .map(|row| {
            let limit = policy
                .limit(row.stage)
                .and_then(|limit| limit.limit)
                .map_or("–".to_string(), |limit| limit.to_string());
            vec![row.stage.to_string(), row.count.to_string(), limit]
        })
        .collect();
    rows.push(vec![
        "archived (closed in the period)".to_string(),
        this.throughput.count.to_string(),
        "–".to_string(),
    ]);
    out += &format!(
        "### Work in progress by stage at {} UTC\n\nPaused tasks are not counted.\n\n{}\n",
        minute(context.period.until),
        table(&["Stage", "Tasks", "Limit"], &rows)
    );
    out
}

fn cycle_time(context: &Context, this: &Metrics, before: &Metrics) -> String {
    let rows = [
        ("Lead time, mean", this.lead_time_hours.mean, before.lead_time_hours.mean, SHORTER),
        ("Lead time, median", this.lead_time_hours.median, before.lead_time_hours.median, SHORTER),
        ("Lead time, p95", this.lead_time_hours.p95, before.lead_time_hours.p95, SHORTER),
        ("Blocked time per closed task, mean", this.blocked_time_hours.mean, before.blocked_time_hours.mean, SHORTER),
        ("Flow efficiency, mean", this.flow_efficiency_pct.mean, before.flow_efficiency_pct.mean, HIGHER_SHARE),
    ];
    let mut out = format!(
        "## Cycle time\n\nOver the {} closed in the period (creation to closing).\n\n{}\n",
        count(this.lead_time_hours.count, "task"),
        trend_table(&rows)
    );
    let policy = super::policy(context.workspace);
    let rows: Vec<Vec<String>> = this
        .flow_time_hours
        .iter()
        .map(|stage| {
            let slo = policy.slo(stage.stage);
            // A stage with only an effort-based violation is measured against the effort.
            let target = slo.and_then(|slo| {
                slo.target.or(match slo.violation {
                    Some(SloDuration::EffortMultiple(_)) => Some(SloDuration::EffortMultiple(1)),
                    _ => None,
                })
            });
            let (target_text, within) = match (target, stage.hours.mean) {
                (Some(SloDuration::Hours(hours)), Some(mean)) => (
                    duration(f64::from(hours)),
                    if mean <= f64::from(hours) { "✓" } else { "✗" },
                ),
                (Some(SloDuration::Hours(hours)), None) => (duration(f64::from(hours)), ""),
                (Some(SloDuration::EffortMultiple(times)), _) => (
                    if times == 1 {
                        "the effort".to_string()
                    } else {
                        format!("{times}× the effort")
                    },
                    if stage.hours.count > 0 { "~" } else { "" },
                ),
                (None, _) => ("–".to_string(), ""),
            };
            let show = |value: Option<f64>| value.map_or("–".to_string(), duration);
            vec![
                stage.stage.to_string(),
                stage.hours.count.to_string(),
                show(stage.hours.mean),
                show(stage.hours.median),
                target_text,
                within.to_string(),
            ]
        })
        .collect();
    out += &format!(
        "### Time per stage\n\nStays that ended in the period. ✓ mean within the stage's SLO \
         target, ✗ over it, ~ measured task by task against its effort (see SLO compliance).\n\n{}\n",
        table(
            &["Stage", "Stays", "Mean", "Median", "SLO target", "Within"],
            &rows
        )
    );
    out
}

fn slo(context: &Context, this: &Metrics, before: &Metrics) -> String {
    let rows = [
        ("SLO compliance", this.slo.compliance_pct, before.slo.compliance_pct, HIGHER_SHARE),
        ("Closed tasks measured", counted(this.slo.measured), counted(before.slo.measured), COUNT),
    ];
    let misses: Vec<Vec<String>> = this
        .slo
        .misses
        .iter()
        .map(|miss| {
            vec![
                miss.task.clone(),
                context.task_name(&miss.task).unwrap_or_default(),
                miss.stage.to_string(),
                duration(miss.hours),
                duration(miss.target_hours as f64),
            ]
        })
        .collect();
    format!(
        "## SLO compliance\n\nA closed task complies when every stay with a target ended within \
         it.\n\n{}\n### Misses\n\n{}\n",
        trend_table(&rows),
        table(&["Task", "Name", "Stage", "Time", "Target"], &misses)
    )
}

fn quality(context: &Context, this: &Metrics, before: &Metrics) -> String {
    let rows = [
        ("Rework rate (events per closed task)", this.rework.rate_pct, before.rework.rate_pct, LOWER_SHARE),
        ("Rework events", counted(this.rework.events), counted(before.rework.events), FEWER),
    ];
    let mut out = format!("## Quality\n\n{}\n", trend_table(&rows));
    let mut rework = Vec::new();
    for (task, timeline) in context.trusted() {
        for event in timeline
            .rework
            .iter()
            .filter(|event| context.period.contains(event.at))
        {
            let stage = |stage: Option<Stage>| stage.map_or("?", Stage::name);
            rework.push(vec![
                minute(event.at),
                task.id.to_string(),
                task.meta.task_name.clone().unwrap_or_default(),
                format!("{} → {}", stage(event.from), stage(event.to)),
                event.reason.clone().unwrap_or_default(),
            ]);
        }
    }
    rework.sort();
    out += &format!(
        "### Rework\n\n{}\n",
        table(&["When", "Task", "Name", "Sent back", "Reason"], &rework)
    );
    let mut p0s = Vec::new();
    for (task, timeline) in context.trusted().filter(|(task, _)| is_p0(task)) {
        let end = timeline.end_or(context.period.until);
        let touched = timeline
            .created
            .is_some_and(|created| created < context.period.until && end >= context.period.since);
        if !touched {
            continue;
        }
        let displaced: Vec<String> = displaced_by(context, task, timeline)
            .into_iter()
            .map(|(id, span): (String, Span)| match span.end {
                Some(end) => format!("{id} ({})", duration((end - span.start) as f64 / 3600.0)),
                None => format!("{id} (still paused)"),
            })
            .collect();
        p0s.push(vec![
            task.id.to_string(),
            task.meta.task_name.clone().unwrap_or_default(),
            timeline.created.map(minute).unwrap_or_default(),
            timeline.closed().map_or("open".to_string(), minute),
            timeline.lead().map_or("–".to_string(), |lead| {
                duration(lead as f64 / 3600.0)
            }),
            displaced.join(", "),
        ]);
    }
    out += &format!(
        "### P0 activity\n\nP0 tasks open at some time in the period.\n\n{}\n",
        table(
            &["Task", "Name", "Created", "Closed", "Resolution", "Displaced"],
            &p0s
        )
    );
    out
}

/// The blockers section, and the top blocker of the period for the action items.
fn blockers(context: &Context, this: &Metrics, before: &Metrics) -> (String, Option<String>) {
    let until = context.period.until;
    let open_at = |span: &Span, at: i64| span.start < at && span.end.is_none_or(|end| end > at);
    let mut blocked: Vec<(i64, Vec<String>)> = Vec::new();
    let mut blocked_before = 0;
    for (task, timeline) in context.trusted() {
        if let Some(span) = timeline.blocked.iter().find(|span| open_at(span, until)) {
            let cause = span.cause.clone().unwrap_or_else(|| "unknown".to_string());
            blocked.push((
                until - span.start,
                vec![
                    task.id.to_string(),
                    task.meta.task_name.clone().unwrap_or_default(),
                    cause,
                    date(span.start),
                    duration((until - span.start) as f64 / 3600.0),
                ],
            ));
        }
        if timeline
            .blocked
            .iter()
            .any(|span| open_at(span, context.previous.until))
        {
            blocked_before += 1;
        }
    }
    blocked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let total = |m: &Metrics| m.blocker_impact.iter().map(|b| b.blocked_hours).sum::<f64>();
    let rows = [
        ("Tasks blocked at the end", counted(blocked.len()), counted(blocked_before), FEWER),
        ("Time blocked in the period (all tasks)", Some(total(this)), Some(total(before)), SHORTER),
    ];
    let mut out = format!("## Blockers\n\n{}\n", trend_table(&rows));
    let longest = blocked
        .first()
        .map(|(_, row)| format!("Longest blocked: {} ({}).\n\n", row[0], row[4]));
    let rows: Vec<Vec<String>> = blocked.into_iter().map(|(_, row)| row).collect();
    out += &format!(
        "### Blocked at {} UTC\n\n{}\n{}",
        minute(until),
        table(&["Task", "Name", "Blocked by", "Since", "For"], &rows),
        longest.unwrap_or_default()
    );
    let impact: Vec<Vec<String>> = this
        .blocker_impact
        .iter()
        .take(TOP_BLOCKERS)
        .map(|blocker| {
            let previous = before
                .blocker_impact
                .iter()
                .find(|b| b.blocker == blocker.blocker)
                .map(|b| b.blocked_hours);
            vec![
                blocker.blocker.clone(),
                context.task_name(&blocker.blocker).unwrap_or_default(),
                blocker.blocked_tasks.join(", "),
                duration(blocker.blocked_hours),
                previous.map_or("–".to_string(), duration),
                change(
                    Some(blocker.blocked_hours),
                    Some(previous.unwrap_or(0.0)),
                    duration,
                    Better::Lower,
                ),
            ]
        })
        .collect();
    out += &format!(
        "### Time blocked by blocker\n\n{}\n",
        table(
            &[
                "Blocker",
                "Name",
                "Tasks",
                "This period",
                "Previous period",
                "Change"
            ],
            &impact
        )
    );
    let top = this.blocker_impact.first().map(|blocker| {
        format!(
            "Clear `{}`{}: it held {} for {} in the period, more than any other blocker.",
            blocker.blocker,
            context
                .task_name(&blocker.blocker)
                .map(|name| format!(" ({name})"))
                .unwrap_or_default(),
            count(blocker.blocking_count, "task"),
            duration(blocker.blocked_hours)
        )
    });
    (out, top)
}

fn actions(context: &Context, this: &Metrics, top_blocker: Option<String>) -> String {
    let mut items: Vec<String> = top_blocker.into_iter().collect();
    for miss in this.slo.misses.iter().take(ACTIONS_EACH) {
        items.push(format!(
            "Find out why {} spent {} in {} (target {}).",
            miss.task,
            duration(miss.hours),
            miss.stage,
            duration(miss.target_hours as f64)
        ));
    }
    for (task, timeline) in context.trusted() {
        if is_p0(task) && timeline.closed().is_some_and(|at| context.period.contains(at)) {
            items.push(format!(
                "Review the postmortem of P0 {}: `flowos-lsp report p0 --task {}`.",
                task.id, task.id
            ));
        }
    }
    let mut reworked: Vec<String> = context
        .trusted()
        .filter(|(_, timeline)| {
            timeline
                .rework
                .iter()
                .any(|event| context.period.contains(event.at))
        })
        .map(|(task, _)| task.id.to_string())
        .collect();
    reworked.truncate(ACTIONS_EACH);
    if !reworked.is_empty() {
        items.push(format!(
            "Go over what sent {} back, and what would have caught it earlier.",
            reworked.join(", ")
        ));
    }
    if items.is_empty() {
        return "## Action items\n\nNone: nothing in the figures asks for one.\n".to_string();
    }
    let list: String = items.iter().map(|item| format!("- {item}\n")).collect();
    format!("## Action items\n\n{list}")
}
