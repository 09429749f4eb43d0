//! The P0 postmortem: for each P0 closed in the period (or the one `--task` names), its
//! timeline with the tasks it displaced, how long each step took, what the card records as
//! root cause and prevention, checks of the fast track, and what is left to do; above them,
//! the period's P0 figures against the previous period's.

use crate::db::Task;
use crate::db::metrics::Window;
use crate::db::timeline::{Span, Timeline, blocker_name};
use crate::db::vocab::Stage;
use crate::ide::query::{QueryError, QueryRequest, find};
use crate::ide::report::{
    COUNT, Context, DefaultPeriod, FEWER, SHORTER, count, dates, duration, minute, table,
    trend_table,
};
use crate::syntax::time::parse_rfc3339;

pub(super) const ABOUT: &str =
    "a postmortem of each P0 task closed in the last 28 days (--task ID: of one)";
pub(super) const PERIOD: DefaultPeriod = DefaultPeriod::Days(28);

/// Card headings whose sections the postmortem quotes.
const POSTMORTEM_HEADINGS: [&str; 4] = ["root cause", "prevention", "postmortem", "lesson"];

/// The pauses that start a displacement by a P0.
const DISPLACING_EVENTS: [&str; 2] = ["paused_by_p0", "displaced_by_p0"];

pub(crate) fn is_p0(task: &Task) -> bool {
    task.meta.priority.as_deref() == Some("P0")
}

pub(super) fn render(context: &Context) -> Result<String, QueryError> {
    if let Some(reference) = &context.task {
        let request = QueryRequest {
            query: "report p0".to_string(),
            arg: Some(reference.clone()),
            ..QueryRequest::default()
        };
        let idx = find(context.workspace, &request)?;
        let position = context.tasks.iter().position(|&task| task == idx);
        let timeline = position.and_then(|at| context.timelines[at]);
        let task = context.workspace.task(idx);
        let mut out = format!("# P0 postmortem: {}\n\n", task.id);
        out += &postmortem(context, task, timeline, "##");
        return Ok(out);
    }
    let closed_in = |window: Window| {
        context
            .trusted()
            .filter(|(task, timeline)| {
                is_p0(task) && timeline.closed().is_some_and(|at| window.contains(at))
            })
            .collect::<Vec<_>>()
    };
    let this = closed_in(context.period);
    let before = closed_in(context.previous);
    let mean_lead = |closed: &[(&Task, &Timeline)]| {
        let leads: Vec<f64> = closed
            .iter()
            .filter_map(|(_, timeline)| timeline.lead())
            .map(|lead| lead as f64 / 3600.0)
            .collect();
        (!leads.is_empty()).then(|| leads.iter().sum::<f64>() / leads.len() as f64)
    };
    let displaced = |closed: &[(&Task, &Timeline)]| {
        closed
            .iter()
            .map(|(task, timeline)| displaced_by(context, task, timeline).len())
            .sum::<usize>() as f64
    };
    let rows = [
        ("P0 tasks closed", Some(this.len() as f64), Some(before.len() as f64), COUNT),
        ("Resolution time, mean", mean_lead(&this), mean_lead(&before), SHORTER),
        ("Tasks displaced", Some(displaced(&this)), Some(displaced(&before)), FEWER),
    ];
    let mut out = format!(
        "# P0 postmortems: {}\n\nP0 tasks closed in the period (UTC), compared with {}.\n\n{}\n",
        dates(context.period),
        dates(context.previous),
        trend_table(&rows)
    );
    let open: Vec<Vec<String>> = context
        .trusted()
        .filter(|(task, timeline)| is_p0(task) && timeline.ended.is_none())
        .map(|(task, timeline)| {
            vec![
                task.id.to_string(),
                task.meta.task_name.clone().unwrap_or_default(),
                timeline.stage().map_or("?", Stage::name).to_string(),
                timeline
                    .created
                    .map_or("–".to_string(), |at| duration(hours(context.now - at))),
            ]
        })
        .collect();
    if !open.is_empty() {
        out += &format!(
            "## Still open\n\n{}\n",
            table(&["Task", "Name", "Stage", "Open for"], &open)
        );
    }
    if this.is_empty() {
        out += "No P0 task was closed in the period.\n";
    }
    for (task, timeline) in this {
        out += &format!(
            "## {}{}\n\n",
            task.id,
            task.meta
                .task_name
                .as_deref()
                .map(|name| format!(": {name}"))
                .unwrap_or_default()
        );
        out += &postmortem(context, task, Some(timeline), "###");
    }
    context.close(&mut out);
    Ok(out)
}

fn hours(seconds: i64) -> f64 {
    seconds as f64 / 3600.0
}

/// The tasks `p0` displaced, each with its pause: pauses whose reason names the P0, pauses
/// of the tasks its ledger says it displaced (`displaced_task`), and P0 pauses (`paused_by_p0`)
/// that name no task and started while the P0 was open.
pub(crate) fn displaced_by(
    context: &Context,
    p0: &Task,
    p0_timeline: &Timeline,
) -> Vec<(String, Span)> {
    let id = p0.id.to_string();
    let Some(created) = p0_timeline.created else {
        return Vec::new();
    };
    let end = p0_timeline.end_or(context.now);
    let named: Vec<String> = context
        .workspace
        .ledger(p0)
        .into_iter()
        .flat_map(|ledger| ledger.events())
        .filter_map(|(_, event)| event.str_field("displaced_task"))
        .map(|text| blocker_name(text, p0.namespace()))
        .collect();
    let mut out = Vec::new();
    for (task, timeline) in context.trusted() {
        let task_id = task.id.to_string();
        if task_id == id {
            continue;
        }
        let found = timeline.paused.iter().find(|span| {
            let cause = span.cause.as_deref().unwrap_or("");
            let during = created <= span.start && span.start <= end;
            cause.contains(&id)
                || (during && named.contains(&task_id))
                || (during
                    && DISPLACING_EVENTS.contains(&span.event.as_str())
                    && !cause.contains("TASK-"))
        });
        if let Some(span) = found {
            out.push((task_id, span.clone()));
        }
    }
    out
}

/// One task's postmortem, its sections under `level` headings.
fn postmortem(context: &Context, task: &Task, timeline: Option<&Timeline>, level: &str) -> String {
    let meta = &task.meta;
    let field = |value: Option<&str>| value.unwrap_or("–").to_string();
    let mut out = format!(
        "Priority {} · DRI {} · stage {}",
        field(meta.priority.as_deref()),
        field(meta.current_dri.as_deref()),
        task.stage
    );
    let Some(timeline) = timeline.filter(|timeline| timeline.defects.is_empty()) else {
        out += "\n\nIts ledger cannot support a postmortem: it is missing or has events out \
                of order (`flowos-lsp check` says where).\n";
        return out;
    };
    if let Some(created) = timeline.created {
        out += &format!(" · created {}", minute(created));
    }
    match timeline.closed() {
        Some(closed) => out += &format!(" · closed {} UTC\n\n", minute(closed)),
        None => out += " UTC · not closed yet\n\n",
    }
    let displaced = displaced_by(context, task, timeline);
    out += &events_table(context, task, &displaced, level);
    out += &figures(context, timeline, &displaced, level);
    let (recorded, section) = card_sections(context, task, level);
    out += &section;
    out += &checks(context, timeline, &displaced, level);
    let mut follow_ups = Vec::new();
    for (id, span) in &displaced {
        if span.end.is_none() {
            follow_ups.push(format!(
                "Resume {id}: paused since {} for this P0.",
                minute(span.start)
            ));
        }
    }
    if !recorded {
        follow_ups.push(
            "Record the root cause and the prevention measures on the card \
             (`## Root cause`, `## Prevention`)."
                .to_string(),
        );
    }
    if timeline.closed().is_none() {
        follow_ups.push("Close the task once the fix is confirmed.".to_string());
    }
    out += &format!("{level} Follow-ups\n\n");
    if follow_ups.is_empty() {
        out += "None.\n";
    }
    for item in follow_ups {
        out += &format!("- [ ] {item}\n");
    }
    out += "\n";
    out
}

/// The P0's ledger events and the pauses and resumptions of the tasks it displaced, by time.
fn events_table(
    context: &Context,
    task: &Task,
    displaced: &[(String, Span)],
    level: &str,
) -> String {
    let mut rows: Vec<(i64, usize, Vec<String>)> = Vec::new();
    if let Some(ledger) = context.workspace.ledger(task) {
        for (line, event) in ledger.events() {
            let Some(at) = event.ts().and_then(parse_rfc3339) else {
                continue;
            };
            rows.push((
                at,
                line.number,
                vec![
                    minute(at),
                    task.id.to_string(),
                    event.event().unwrap_or("?").to_string(),
                    event
                        .desc()
                        .or_else(|| event.str_field("reason"))
                        .unwrap_or("")
                        .to_string(),
                ],
            ));
        }
    }
    for (id, span) in displaced {
        rows.push((
            span.start,
            usize::MAX,
            vec![
                minute(span.start),
                id.clone(),
                span.event.clone(),
                span.cause.clone().unwrap_or_default(),
            ],
        ));
        if let Some(end) = span.end {
            rows.push((
                end,
                usize::MAX,
                vec![
                    minute(end),
                    id.clone(),
                    "resumed".to_string(),
                    String::new(),
                ],
            ));
        }
    }
    rows.sort_by_key(|row| (row.0, row.1));
    let rows: Vec<Vec<String>> = rows.into_iter().map(|(_, _, row)| row).collect();
    format!(
        "{level} Timeline\n\n{}\n",
        table(&["Time (UTC)", "Task", "Event", "Note"], &rows)
    )
}

fn figures(
    context: &Context,
    timeline: &Timeline,
    displaced: &[(String, Span)],
    level: &str,
) -> String {
    let mut rows = Vec::new();
    let end = timeline.end_or(context.now);
    if let Some(created) = timeline.created {
        let label = if timeline.closed().is_some() {
            "Resolution (created → closed)"
        } else {
            "Open so far (created → now)"
        };
        rows.push(vec![label.to_string(), duration(hours(end - created))]);
        if let Some(started) = started(timeline) {
            rows.push(vec![
                "To start (created → current)".to_string(),
                duration(hours(started - created)),
            ]);
        }
    }
    for stage in [Stage::Current, Stage::Integration, Stage::Learning] {
        let seconds: i64 = timeline
            .visits
            .iter()
            .filter(|visit| visit.stage == stage)
            .map(|visit| visit.left.unwrap_or(end).min(end) - visit.entered)
            .sum();
        if timeline.visits.iter().any(|visit| visit.stage == stage) {
            rows.push(vec![format!("In {stage}"), duration(hours(seconds))]);
        }
    }
    let created = timeline.created.unwrap_or(end);
    let blocked = timeline.blocked_within(created, end);
    if blocked > 0 {
        rows.push(vec!["Blocked".to_string(), duration(hours(blocked))]);
    }
    let paused: i64 = displaced
        .iter()
        .map(|(_, span)| span.overlap(span.start, context.now))
        .sum();
    rows.push(vec![
        "Displacement".to_string(),
        if displaced.is_empty() {
            "no task paused".to_string()
        } else {
            format!(
                "{} paused, {} in all",
                count(displaced.len(), "task"),
                duration(hours(paused))
            )
        },
    ]);
    format!("{level} Figures\n\n{}\n", table(&["Figure", "Time"], &rows))
}

/// When the task first entered current; None for one that never did.
fn started(timeline: &Timeline) -> Option<i64> {
    timeline
        .visits
        .iter()
        .find(|visit| visit.stage == Stage::Current)
        .map(|visit| visit.entered)
}

/// The card's root-cause and prevention sections quoted, and whether it had any.
fn card_sections(context: &Context, task: &Task, level: &str) -> (bool, String) {
    let mut out = format!("{level} Root cause and prevention\n\n");
    let quoted: Vec<String> = match (task.card, context.workspace.card(task)) {
        (Some(file), Some(card)) => {
            let text = &context.workspace.file(file).text;
            card.sections
                .iter()
                .filter(|section| {
                    let title = section.title.to_lowercase();
                    POSTMORTEM_HEADINGS.iter().any(|word| title.contains(word))
                })
                .map(|section| {
                    let body = section.content_range.slice(text).trim();
                    format!("**{}**\n\n{body}\n\n", section.title.trim())
                })
                .collect()
        }
        _ => Vec::new(),
    };
    if quoted.is_empty() {
        out += "Not recorded on the card.\n\n";
        return (false, out);
    }
    out += &quoted.concat();
    (true, out)
}

/// Checks of the fast track: how soon work started against the other tasks of the period,
/// whether it waited in next, whether it was blocked, whether the displaced tasks resumed.
fn checks(
    context: &Context,
    timeline: &Timeline,
    displaced: &[(String, Span)],
    level: &str,
) -> String {
    let mut items = Vec::new();
    if let (Some(created), Some(start)) = (timeline.created, started(timeline)) {
        let mut others: Vec<f64> = context
            .trusted()
            .filter(|(task, _)| !is_p0(task))
            .filter(|(_, other)| other.closed().is_some_and(|at| context.period.contains(at)))
            .filter_map(|(_, other)| Some(hours(started(other)? - other.created?)))
            .collect();
        others.sort_by(f64::total_cmp);
        let took = hours(start - created);
        items.push(match median(&others) {
            Some(median) => format!(
                "{} Started {} after creation; the other tasks closed in the period took a \
                 median of {}.",
                if took < median { "✓" } else { "✗" },
                duration(took),
                duration(median)
            ),
            None => format!("Started {} after creation.", duration(took)),
        });
    }
    let waited: i64 = timeline
        .visits
        .iter()
        .filter(|visit| visit.stage == Stage::Next)
        .map(|visit| visit.left.unwrap_or(context.now) - visit.entered)
        .sum();
    items.push(if timeline.visits.iter().any(|v| v.stage == Stage::Next) {
        format!("✗ Waited in next for {}.", duration(hours(waited)))
    } else {
        "✓ Skipped next: fast-tracked into current.".to_string()
    });
    let end = timeline.end_or(context.now);
    let blocked = timeline.blocked_within(timeline.created.unwrap_or(end), end);
    if blocked > 0 {
        let causes: Vec<String> = timeline
            .blocked
            .iter()
            .filter_map(|span| span.cause.clone())
            .collect();
        items.push(format!(
            "✗ Blocked for {}{}.",
            duration(hours(blocked)),
            if causes.is_empty() {
                String::new()
            } else {
                format!(" by {}", causes.join(", "))
            }
        ));
    }
    let still: Vec<&str> = displaced
        .iter()
        .filter(|(_, span)| span.end.is_none())
        .map(|(id, _)| id.as_str())
        .collect();
    if !displaced.is_empty() {
        items.push(if still.is_empty() {
            let resumed: Vec<&str> = displaced.iter().map(|(id, _)| id.as_str()).collect();
            format!("✓ Every displaced task resumed ({}).", resumed.join(", "))
        } else {
            format!("✗ Still paused: {}.", still.join(", "))
        });
    }
    let list: String = items.iter().map(|item| format!("- {item}\n")).collect();
    format!("{level} Process checks\n\n{list}\n")
}

fn median(sorted: &[f64]) -> Option<f64> {
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}
