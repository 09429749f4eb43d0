//! The blockers report: the tasks blocked now (those `flowos-lsp query blocked` lists, with
//! the same figures), the upstream blockers holding them ranked by the time they have cost,
//! the last days against the days before, and what to do first.

use serde_json::Value;

use crate::db::timeline::Span;
use crate::ide::query::{QueryError, QueryRequest, answer};
use crate::ide::report::{
    Context, DefaultPeriod, FEWER, MORE, SHORTER, count, dates, duration, table,
    trend_table,
};
use crate::syntax::task_id::parse_task_ref;
use crate::syntax::time::format_rfc3339;

pub(super) const ABOUT: &str = "what is blocked now, by what and for how long, the blockers \
                                by impact, and the last 7 days against the 7 before";
pub(super) const PERIOD: DefaultPeriod = DefaultPeriod::Days(7);

/// One upstream blocker of the tasks blocked now.
struct Upstream {
    blocker: String,
    tasks: Vec<String>,
    /// Blocked time so far of the tasks it holds, where their ledgers say.
    hours: f64,
    /// The longest-blocked task it holds, and for how long.
    longest: Option<(String, f64)>,
}

pub(super) fn render(context: &Context) -> Result<String, QueryError> {
    let request = QueryRequest {
        query: "blocked".to_string(),
        ..QueryRequest::default()
    };
    let answered = answer(context.workspace, &request, context.now)?;
    let mut blocked: Vec<&Value> = answered["results"]
        .as_array()
        .map(|rows| rows.iter().collect())
        .unwrap_or_default();
    // Longest blocked first; tasks whose ledger does not say since when last.
    blocked.sort_by(|a, b| {
        let hours = |row: &Value| row["blocked_hours"].as_f64().unwrap_or(-1.0);
        hours(b).total_cmp(&hours(a))
    });
    let text = |row: &Value, key: &str| row[key].as_str().unwrap_or("").to_string();
    let rows: Vec<Vec<String>> = blocked
        .iter()
        .map(|row| {
            vec![
                text(row, "id"),
                text(row, "name"),
                non_empty(text(row, "blocked_by"), "(not named)"),
                row["blocked_since"]
                    .as_str()
                    .map_or("–".to_string(), |since| since[..10].to_string()),
                row["blocked_hours"]
                    .as_f64()
                    .map_or("–".to_string(), duration),
                non_empty(text(row, "dri"), "–"),
            ]
        })
        .collect();
    let mut out = format!(
        "# Blockers report\n\nAs of {} UTC.\n\n## Blocked now ({})\n\nTasks whose card says \
         `status: blocked`; since when comes from the ledger's open block.\n\n{}\n",
        format_rfc3339(context.now)
            .trim_end_matches('Z')
            .replace('T', " "),
        blocked.len(),
        table(
            &["Task", "Name", "Blocked by", "Since", "For", "DRI"],
            &rows
        )
    );
    let upstream = upstream(&blocked);
    let rows: Vec<Vec<String>> = upstream
        .iter()
        .map(|up| {
            vec![
                up.blocker.clone(),
                context.task_name(&up.blocker).unwrap_or_default(),
                count(up.tasks.len(), "task"),
                up.tasks.join(", "),
                duration(up.hours),
            ]
        })
        .collect();
    out += &format!(
        "## Upstream blockers by impact\n\nWhat holds the tasks above, by the blocked time \
         they have cost so far.\n\n{}\n",
        table(
            &["Blocker", "Name", "Holding", "Tasks", "Blocked time"],
            &rows
        )
    );
    out += &trend(context);
    out += &actions(context, &upstream);
    context.close(&mut out);
    Ok(out)
}

fn non_empty(text: String, instead: &str) -> String {
    if text.is_empty() {
        instead.to_string()
    } else {
        text
    }
}

/// The blocked rows grouped by what blocks them, most blocked time first.
fn upstream(blocked: &[&Value]) -> Vec<Upstream> {
    let mut out: Vec<Upstream> = Vec::new();
    for row in blocked {
        let blocker = non_empty(
            row["blocked_by"].as_str().unwrap_or("").to_string(),
            "(not named)",
        );
        // `TASK-0010 waiting on review`: the task is the blocker, the rest its note.
        let blocker = match parse_task_ref(blocker.split_whitespace().next().unwrap_or("")) {
            Some((id, _)) => id.to_string(),
            None => blocker,
        };
        let id = row["id"].as_str().unwrap_or("").to_string();
        let hours = row["blocked_hours"].as_f64();
        let entry = match out.iter().position(|up| up.blocker == blocker) {
            Some(at) => &mut out[at],
            None => {
                out.push(Upstream {
                    blocker,
                    tasks: Vec::new(),
                    hours: 0.0,
                    longest: None,
                });
                out.last_mut().expect("just pushed")
            }
        };
        entry.hours += hours.unwrap_or(0.0);
        if let Some(hours) = hours
            && entry.longest.as_ref().is_none_or(|(_, most)| hours > *most)
        {
            entry.longest = Some((id.clone(), hours));
        }
        entry.tasks.push(id);
    }
    out.sort_by(|a, b| {
        b.hours
            .total_cmp(&a.hours)
            .then_with(|| a.blocker.cmp(&b.blocker))
    });
    out
}

/// The period against the one before, from the ledgers' blocks.
fn trend(context: &Context) -> String {
    let open_at =
        |span: &Span, at: i64| span.start <= at && span.end.is_none_or(|end| end > at);
    let figures = |window: crate::db::metrics::Window| {
        let (mut at_end, mut started, mut lifted, mut seconds) = (0usize, 0usize, 0usize, 0i64);
        for (_, timeline) in context.trusted() {
            at_end += usize::from(timeline.blocked.iter().any(|s| open_at(s, window.until)));
            for span in &timeline.blocked {
                started += usize::from(window.contains(span.start));
                lifted += usize::from(span.end.is_some_and(|end| window.contains(end)));
                seconds += span.overlap(window.since, window.until);
            }
        }
        (at_end, started, lifted, seconds as f64 / 3600.0)
    };
    let this = figures(context.period);
    let before = figures(context.previous);
    let rows = [
        ("Tasks blocked at the end", Some(this.0 as f64), Some(before.0 as f64), FEWER),
        ("Blocks started", Some(this.1 as f64), Some(before.1 as f64), FEWER),
        ("Blocks lifted", Some(this.2 as f64), Some(before.2 as f64), MORE),
        ("Time blocked (all tasks)", Some(this.3), Some(before.3), SHORTER),
    ];
    format!(
        "## Trend\n\n{} (UTC) against {}, from the ledgers.\n\n{}\n",
        dates(context.period),
        dates(context.previous),
        trend_table(&rows)
    )
}

fn actions(context: &Context, upstream: &[Upstream]) -> String {
    let mut items = Vec::new();
    for up in upstream {
        let blocker_task = parse_task_ref(&up.blocker).and_then(|(id, _)| {
            (0..context.workspace.roots.len())
                .find_map(|root| context.workspace.lookup_in(root, &id))
        });
        let holding = format!("{} ({})", count(up.tasks.len(), "task"), up.tasks.join(", "));
        items.push(match blocker_task {
            Some(task) if task.stage.is_finished() => format!(
                "{} is already in {}: check whether {} can be unblocked.",
                up.blocker,
                task.stage,
                up.tasks.join(", ")
            ),
            Some(task) => format!(
                "Expedite {}{}: it holds {holding}, {} of blocked time so far.",
                up.blocker,
                task.meta
                    .task_name
                    .as_deref()
                    .map(|name| format!(" ({name})"))
                    .unwrap_or_default(),
                duration(up.hours)
            ),
            None if up.blocker == "(not named)" => format!(
                "Name what blocks {} on the card (`blocked_by`).",
                up.tasks.join(", ")
            ),
            None => match &up.longest {
                Some((task, hours)) => format!(
                    "Follow up on {}: {task} has waited {}.",
                    up.blocker,
                    duration(*hours)
                ),
                None => format!("Follow up on {}: it holds {holding}.", up.blocker),
            },
        });
    }
    if items.is_empty() {
        return "## Recommended actions\n\nNone: nothing is blocked.\n".to_string();
    }
    let list: String = items
        .iter()
        .enumerate()
        .map(|(i, item)| format!("{}. {item}\n", i + 1))
        .collect();
    format!("## Recommended actions\n\n{list}")
}
