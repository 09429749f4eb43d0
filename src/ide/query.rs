//! The queries of SPEC §9 (`flowos-lsp query`, the server's `flowos.query`): one request in,
//! one JSON answer out, the same for the command line and for the editor. The answer's shape
//! is a contract documented field by field in `docs/queries.md`.
//!
//! Frontmatter says where a task is now; ledgers (through `db::timeline` and `db::metrics`)
//! say since when and for how long. Filters (`--dri`, `--tag`, `--namespace`, `--priority`,
//! `--status`) narrow the tasks every listing query and the metrics look at.

use std::collections::{HashMap, HashSet, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::db::flow::limits_policy;
use crate::db::meta::BlockedBy;
use crate::db::metrics::{Window, hours, metrics_of, round2, task_figures, timeline_of, timelines};
use crate::db::slo::{slo_policy, task_slo};
use crate::db::timeline::Timeline;
use crate::db::vocab::{Stage, Status};
use crate::db::{Task, TaskIdx, Workspace};
use crate::syntax::task_id::parse_task_ref;
use crate::syntax::time::{days_from_civil, format_rfc3339, parse_rfc3339};
use crate::syntax::wip_policy::{LimitScope, WipPolicy};

/// Every query, as the command line and `flowos.query` name them.
pub const QUERIES: [&str; 14] = [
    "task",
    "stage",
    "blocked",
    "dependents",
    "dependencies",
    "stale",
    "wip",
    "p0",
    "rework",
    "events",
    "blocker-impact",
    "metrics",
    "ready",
    "proposals",
];

/// One query. `arg` is the task ID (`task`, `dependents`, `dependencies`, `events`, and
/// `metrics` for one task's figures) or the stage (`stage`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct QueryRequest {
    pub query: String,
    pub arg: Option<String>,
    /// Transitive `dependents` / `dependencies`.
    pub all: bool,
    /// `events --type`: only events of this name.
    pub event_type: Option<String>,
    /// `ready --why`: also list what holds the other candidates back.
    pub why: bool,
    pub filters: Filters,
    /// The window of `metrics`, `blocker-impact` and `rework` (RFC 3339); `until` defaults
    /// to now, `since` to 28 days before `until`.
    pub since: Option<String>,
    pub until: Option<String>,
}

/// Each list narrows; a task must match one value of every list given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filters {
    pub dri: Vec<String>,
    pub tag: Vec<String>,
    pub namespace: Vec<String>,
    pub priority: Vec<String>,
    pub status: Vec<String>,
}

/// Why a query has no answer: a bad argument or a task that is not there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError(pub String);

/// Answers `request` as of `now`: `{"query", "now", "results"}`.
pub fn answer(
    workspace: &Workspace,
    request: &QueryRequest,
    now: i64,
) -> Result<Value, QueryError> {
    let tasks = filtered(workspace, &request.filters)?;
    let window = window(request, now)?;
    let results = match request.query.as_str() {
        "task" => task_detail(workspace, find(workspace, request)?, now),
        "stage" => {
            let stage = stage_arg(request)?;
            rows(
                tasks
                    .iter()
                    .filter(|&&idx| workspace.task(idx).stage == stage)
                    .map(|&idx| summary(workspace, idx)),
            )
        }
        "blocked" => blocked(workspace, &tasks, now),
        "dependents" | "dependencies" => {
            let start = find(workspace, request)?;
            let upstream = request.query == "dependencies";
            related(workspace, start, upstream, request.all, &tasks)
        }
        "stale" => stale(workspace, &tasks, now),
        "wip" => wip(workspace, &tasks),
        "p0" => p0(workspace, &tasks, now),
        "rework" => rework(workspace, &tasks, request.since.is_some().then_some(window)),
        "events" => events(
            workspace,
            find(workspace, request)?,
            request.event_type.as_deref(),
        ),
        "blocker-impact" => {
            let figures = metrics_of(
                workspace,
                &tasks,
                &timelines(workspace, &tasks),
                window,
                window.until,
            );
            blocker_impact(workspace, &figures.blocker_impact)
        }
        "metrics" => match &request.arg {
            Some(_) => {
                let idx = find(workspace, request)?;
                let timeline = timeline_of(workspace, workspace.task(idx));
                to_value(&task_figures(timeline, now))
            }
            None => to_value(&metrics_of(
                workspace,
                &tasks,
                &timelines(workspace, &tasks),
                window,
                window.until,
            )),
        },
        "ready" => ready(workspace, &tasks, request.why, now),
        "proposals" => proposals(workspace, &tasks),
        other => {
            return Err(QueryError(format!(
                "unknown query `{other}`; queries: {}",
                QUERIES.join(", ")
            )));
        }
    };
    Ok(json!({
        "query": request.query,
        "now": format_rfc3339(now),
        "results": results,
    }))
}

/// `proposals`: what agents proposed that waits for a person, oldest first, and for whom
/// (the task's DRI).
fn proposals(workspace: &Workspace, tasks: &[TaskIdx]) -> Value {
    rows(
        crate::ide::proposals::waiting(workspace)
            .into_iter()
            .filter(|waiting| waiting.task.is_none_or(|task| tasks.contains(&task)))
            .map(|waiting| {
                json!({
                    "id": waiting.task.map(|task| workspace.task(task).id.to_string()),
                    "proposal": waiting.number,
                    "proposed_by": waiting.proposed_by,
                    "proposes": waiting.summary,
                    "note": waiting.note,
                    "proposed_at": format_rfc3339(waiting.proposed_at),
                    "stale": waiting.stale,
                    "waits_for": waiting.waits_for,
                })
            }),
    )
}

fn to_value(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn rows(items: impl Iterator<Item = Value>) -> Value {
    Value::Array(items.collect())
}

/// `--since`/`--until`: RFC 3339 times, or dates (midnight UTC).
fn window(request: &QueryRequest, now: i64) -> Result<Window, QueryError> {
    let until = match &request.until {
        Some(text) => moment(text)?,
        None => now,
    };
    let since = match &request.since {
        Some(text) => moment(text)?,
        None => Window::default_until(until).since,
    };
    if since >= until {
        return Err(QueryError(format!(
            "the window is empty: --since {} is not before --until {}",
            format_rfc3339(since),
            format_rfc3339(until)
        )));
    }
    Ok(Window { since, until })
}

/// An RFC 3339 time with an offset, or a `YYYY-MM-DD` date meaning its midnight UTC.
pub fn moment(text: &str) -> Result<i64, QueryError> {
    let text = text.trim();
    if let Some(at) = parse_rfc3339(text) {
        return Ok(at);
    }
    let date = text
        .split('-')
        .map(str::parse::<u32>)
        .collect::<Result<Vec<u32>, _>>();
    match date.as_deref() {
        Ok([y, m, d]) if text.len() == 10 && (1..=12).contains(m) && (1..=31).contains(d) => {
            Ok(days_from_civil(i64::from(*y), *m, *d) * 86_400)
        }
        _ => Err(QueryError(format!(
            "`{text}` is neither an RFC 3339 time (2026-11-20T12:00:00Z) nor a date (2026-11-20)"
        ))),
    }
}

fn stage_arg(request: &QueryRequest) -> Result<Stage, QueryError> {
    let text = request
        .arg
        .as_deref()
        .ok_or_else(|| QueryError("`stage` needs a stage name".to_string()))?;
    Stage::parse(text.trim()).ok_or_else(|| {
        let names: Vec<&str> = Stage::ALL.iter().map(|stage| stage.name()).collect();
        QueryError(format!(
            "`{text}` is not a stage; stages: {}",
            names.join(", ")
        ))
    })
}

/// The task `request.arg` names, in any loaded root.
pub fn find(workspace: &Workspace, request: &QueryRequest) -> Result<TaskIdx, QueryError> {
    let spelling = request
        .arg
        .as_deref()
        .ok_or_else(|| QueryError(format!("`{}` needs a task ID", request.query)))?;
    let (id, _) = parse_task_ref(spelling.trim())
        .ok_or_else(|| QueryError(format!("`{spelling}` is not a task ID (e.g. TASK-0042)")))?;
    (0..workspace.roots.len())
        .find_map(|root| workspace.owners(root, &id).first().copied())
        .ok_or_else(|| QueryError(format!("no task {id} in this workspace")))
}

/// The tasks every filter lets through, by root and ID.
fn filtered(workspace: &Workspace, filters: &Filters) -> Result<Vec<TaskIdx>, QueryError> {
    for status in &filters.status {
        if Status::parse(status).is_none() {
            return Err(QueryError(format!("`{status}` is not a status")));
        }
    }
    let mut tasks: Vec<TaskIdx> = (0..workspace.tasks.len() as u32)
        .map(TaskIdx)
        .filter(|&idx| matches(workspace, workspace.task(idx), filters))
        .collect();
    tasks.sort_by(|&a, &b| {
        let (a, b) = (workspace.task(a), workspace.task(b));
        (a.root, &a.id.namespace, a.id.number).cmp(&(b.root, &b.id.namespace, b.id.number))
    });
    Ok(tasks)
}

fn matches(workspace: &Workspace, task: &Task, filters: &Filters) -> bool {
    let any = |wanted: &[String], test: &dyn Fn(&str) -> bool| {
        wanted.is_empty() || wanted.iter().any(|want| test(want.trim()))
    };
    let meta = &task.meta;
    let bare = |dri: &str| dri.trim_start_matches('@').to_string();
    any(&filters.dri, &|want| {
        meta.current_dri
            .as_deref()
            .is_some_and(|dri| bare(dri) == bare(want))
    }) && any(&filters.tag, &|want| {
        tags(workspace, task).iter().any(|tag| tag == want)
    }) && any(&filters.namespace, &|want| {
        task.namespace()
            .is_some_and(|ns| ns.eq_ignore_ascii_case(want))
    }) && any(&filters.priority, &|want| {
        meta.priority
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case(want))
    }) && any(&filters.status, &|want| {
        meta.status().is_some_and(|s| s.name() == want)
    })
}

/// The card's `tags` list.
pub fn tags(workspace: &Workspace, task: &Task) -> Vec<String> {
    let Some(entry) = workspace
        .card(task)
        .and_then(|card| card.frontmatter.block())
        .and_then(|block| block.get("tags"))
    else {
        return Vec::new();
    };
    match &entry.value.value {
        crate::syntax::yaml::YamlValue::Seq(items) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// A card field read as written (`created_date`), for what `TaskMeta` does not keep.
fn raw_field(workspace: &Workspace, task: &Task, key: &str) -> Option<String> {
    let entry = workspace.card(task)?.frontmatter.block()?.get(key)?;
    entry.value.as_str().map(str::to_string)
}

fn status_name(task: &Task) -> Option<&'static str> {
    task.meta.status().map(Status::name)
}

fn summary(workspace: &Workspace, idx: TaskIdx) -> Value {
    let task = workspace.task(idx);
    let meta = &task.meta;
    json!({
        "id": task.id.to_string(),
        "name": meta.task_name,
        "stage": task.stage.name(),
        "status": status_name(task),
        "priority": meta.priority,
        "effort": meta.effort,
        "dri": meta.current_dri,
        "tags": tags(workspace, task),
        "depends_on": meta.depends_on.iter().map(|r| r.id.to_string()).collect::<Vec<_>>(),
    })
}

fn blocked_by_text(task: &Task) -> Option<String> {
    task.meta
        .blocked_by
        .as_ref()
        .map(|(blocked, _)| match blocked {
            BlockedBy::Task { target, note } => match note {
                Some(note) => format!("{} {note}", target.id),
                None => target.id.to_string(),
            },
            BlockedBy::Other { kind, detail } => format!("{kind}:{detail}"),
        })
}

fn task_detail(workspace: &Workspace, idx: TaskIdx, now: i64) -> Value {
    let task = workspace.task(idx);
    let meta = &task.meta;
    let ids = |refs: &[crate::db::meta::RefItem]| {
        refs.iter().map(|r| r.id.to_string()).collect::<Vec<_>>()
    };
    let mut value = summary(workspace, idx);
    let timeline = timeline_of(workspace, task);
    let extra = json!({
        "created_date": raw_field(workspace, task, "created_date"),
        "blocked_by": blocked_by_text(task),
        "paused_reason": meta.paused_reason,
        "blocks": ids(&meta.blocks),
        "related_to": ids(&meta.related_to),
        "split_from": meta.split_from.as_ref().map(|r| r.id.to_string()),
        "split_into": ids(&meta.split_into),
        "folder": task.folder,
        "figures": task_figures(timeline, now),
    });
    if let (Value::Object(map), Value::Object(more)) = (&mut value, extra) {
        map.extend(more);
    }
    value
}

fn blocked(workspace: &Workspace, tasks: &[TaskIdx], now: i64) -> Value {
    rows(
        tasks
            .iter()
            .map(|&idx| workspace.task(idx))
            .filter(|task| task.meta.status() == Some(Status::Blocked))
            .map(|task| {
                let timeline = timeline_of(workspace, task).filter(|t| t.defects.is_empty());
                let open = timeline.and_then(Timeline::open_block);
                let since = open.map(|span| span.start);
                json!({
                    "id": task.id.to_string(),
                    "name": task.meta.task_name,
                    "stage": task.stage.name(),
                    "dri": task.meta.current_dri,
                    // The card's word, else what the ledger's open block names.
                    "blocked_by": blocked_by_text(task).or_else(|| open.and_then(|span| span.cause.clone())),
                    "blocked_since": since.map(format_rfc3339),
                    "blocked_hours": since.map(|since| hours(now - since)),
                })
            }),
    )
}

/// Direct (or, with `all`, transitive) dependencies or dependents of `start`, each with its
/// distance from it; a dependency that does not exist is listed with `missing: true`.
fn related(
    workspace: &Workspace,
    start: TaskIdx,
    upstream: bool,
    all: bool,
    allowed: &[TaskIdx],
) -> Value {
    let root = workspace.task(start).root;
    let mut dependents: HashMap<TaskIdx, Vec<TaskIdx>> = HashMap::new();
    if !upstream {
        for (index, task) in workspace.tasks.iter().enumerate() {
            for dependency in &task.meta.depends_on {
                if let Some(&target) = workspace.owners(task.root, &dependency.id).first() {
                    dependents
                        .entry(target)
                        .or_default()
                        .push(TaskIdx(index as u32));
                }
            }
        }
    }
    let allowed: HashSet<TaskIdx> = allowed.iter().copied().collect();
    let mut seen = HashSet::from([start]);
    let mut queue = VecDeque::from([(start, 0usize)]);
    let mut out = Vec::new();
    while let Some((idx, depth)) = queue.pop_front() {
        if depth == 1 && !all {
            continue;
        }
        let next: Vec<Result<TaskIdx, String>> = if upstream {
            workspace
                .task(idx)
                .meta
                .depends_on
                .iter()
                .map(|dep| {
                    workspace
                        .owners(root, &dep.id)
                        .first()
                        .copied()
                        .ok_or_else(|| dep.id.to_string())
                })
                .collect()
        } else {
            dependents
                .get(&idx)
                .into_iter()
                .flatten()
                .map(|&idx| Ok(idx))
                .collect()
        };
        for found in next {
            match found {
                Ok(next) if seen.insert(next) => {
                    queue.push_back((next, depth + 1));
                    if allowed.contains(&next) {
                        let task = workspace.task(next);
                        out.push(json!({
                            "id": task.id.to_string(),
                            "name": task.meta.task_name,
                            "stage": task.stage.name(),
                            "status": status_name(task),
                            "finished": is_finished(task),
                            "depth": depth + 1,
                            "missing": false,
                        }));
                    }
                }
                Ok(_) => {}
                Err(id) => out.push(json!({
                    "id": id, "name": null, "stage": null, "status": null,
                    "finished": false, "depth": depth + 1, "missing": true,
                })),
            }
        }
    }
    // Nearest first, then by ID (`TASK-0002` sorts before `TASK-0010`: the number is padded).
    out.sort_by(|a, b| {
        let key = |row: &Value| {
            (
                row["depth"].as_u64(),
                row["id"].as_str().map(str::to_string),
            )
        };
        key(a).cmp(&key(b))
    });
    Value::Array(out)
}

/// A dependency its dependents may build on: past current and not canceled.
fn is_finished(task: &Task) -> bool {
    task.stage.is_finished() && task.meta.status() != Some(Status::Canceled)
}

fn stale(workspace: &Workspace, tasks: &[TaskIdx], now: i64) -> Value {
    let defaults = WipPolicy::defaults();
    let mut out: Vec<(f64, Value)> = Vec::new();
    for &idx in tasks {
        let task = workspace.task(idx);
        let policy = slo_policy(workspace, task.root, &defaults);
        let Some(target) = task_slo(task, policy) else {
            continue;
        };
        let Some(timeline) = timeline_of(workspace, task).filter(|t| t.defects.is_empty()) else {
            continue;
        };
        let Some(entered) = timeline
            .visits
            .iter()
            .rev()
            .find(|visit| visit.stage == task.stage)
            .map(|visit| visit.entered)
        else {
            continue;
        };
        let spent = now - entered;
        if spent <= target.target * 3600 || target.target <= 0 {
            continue;
        }
        let ratio = round2(spent as f64 / (target.target * 3600) as f64);
        out.push((
            ratio,
            json!({
                "id": task.id.to_string(),
                "name": task.meta.task_name,
                "stage": task.stage.name(),
                "dri": task.meta.current_dri,
                "entered": format_rfc3339(entered),
                "time_in_stage_hours": hours(spent),
                "slo_target_hours": target.target,
                "slo_violation_hours": target.violation,
                "slo_miss_ratio": ratio,
            }),
        ));
    }
    out.sort_by(|a, b| b.0.total_cmp(&a.0));
    rows(out.into_iter().map(|(_, row)| row))
}

fn wip(workspace: &Workspace, tasks: &[TaskIdx]) -> Value {
    let defaults = WipPolicy::defaults();
    let policy = workspace
        .roots
        .first()
        .map_or(&defaults, |_| limits_policy(workspace, 0, &defaults));
    rows(Stage::ALL.iter().map(|&stage| {
        let counted: Vec<&Task> = tasks
            .iter()
            .map(|&idx| workspace.task(idx))
            .filter(|task| task.stage == stage)
            .filter(|task| {
                task.meta.status().is_none_or(Status::counts_for_wip)
                    && task.meta.status() != Some(Status::Split)
            })
            .collect();
        let limit = policy.limit(stage.name());
        let mut by_dri = serde_json::Map::new();
        for task in &counted {
            let dri = task
                .meta
                .current_dri
                .clone()
                .unwrap_or_else(|| "-".to_string());
            let count = by_dri.entry(dri).or_insert(json!(0));
            *count = json!(count.as_u64().unwrap_or(0) + 1);
        }
        json!({
            "stage": stage.name(),
            "count": counted.len(),
            "limit": limit.and_then(|limit| limit.limit),
            "scope": limit.map(|limit| match limit.scope {
                LimitScope::SystemWide => "system",
                LimitScope::PerDri => "per_dri",
            }),
            "by_dri": by_dri,
        })
    }))
}

fn p0(workspace: &Workspace, tasks: &[TaskIdx], now: i64) -> Value {
    rows(
        tasks
            .iter()
            .filter(|&&idx| {
                let task = workspace.task(idx);
                task.meta.priority.as_deref() == Some("P0")
                    && task.stage != Stage::Archived
                    && !matches!(task.meta.status(), Some(Status::Canceled | Status::Split))
            })
            .map(|&idx| {
                let mut row = summary(workspace, idx);
                let created = timeline_of(workspace, workspace.task(idx)).and_then(|t| t.created);
                if let Value::Object(map) = &mut row {
                    map.insert("created".into(), json!(created.map(format_rfc3339)));
                    map.insert(
                        "hours_since_creation".into(),
                        json!(created.map(|at| hours(now - at))),
                    );
                }
                row
            }),
    )
}

fn rework(workspace: &Workspace, tasks: &[TaskIdx], window: Option<Window>) -> Value {
    rows(tasks.iter().filter_map(|&idx| {
        let task = workspace.task(idx);
        let timeline = timeline_of(workspace, task)?;
        let events: Vec<Value> = timeline
            .rework
            .iter()
            .filter(|rework| window.is_none_or(|window| window.contains(rework.at)))
            .map(|rework| {
                json!({
                    "at": format_rfc3339(rework.at),
                    "event": rework.event,
                    "from": rework.from.map(Stage::name),
                    "to": rework.to.map(Stage::name),
                    "reason": rework.reason,
                    "user": rework.user,
                })
            })
            .collect();
        (!events.is_empty()).then(|| {
            json!({
                "id": task.id.to_string(),
                "name": task.meta.task_name,
                "stage": task.stage.name(),
                "rework_count": events.len(),
                "events": events,
            })
        })
    }))
}

fn events(workspace: &Workspace, idx: TaskIdx, only: Option<&str>) -> Value {
    let task = workspace.task(idx);
    let Some(ledger) = workspace.ledger(task) else {
        return Value::Array(Vec::new());
    };
    rows(
        ledger
            .events()
            .filter(|(_, event)| only.is_none_or(|only| event.event() == Some(only)))
            .map(|(line, event)| {
                json!({
                    "line": line.number + 1,
                    "ts": event.ts(),
                    "user": event.user(),
                    "event": event.event(),
                    "desc": event.desc().or_else(|| event.str_field("reason")),
                })
            }),
    )
}

fn blocker_impact(workspace: &Workspace, impact: &[crate::db::metrics::BlockerImpact]) -> Value {
    rows(impact.iter().map(|blocker| {
        let name = parse_task_ref(&blocker.blocker)
            .and_then(|(id, _)| {
                (0..workspace.roots.len()).find_map(|root| workspace.lookup_in(root, &id))
            })
            .and_then(|task| task.meta.task_name.clone());
        json!({
            "blocker": blocker.blocker,
            "blocker_name": name,
            "blocking_count": blocker.blocking_count,
            "blocked_hours": blocker.blocked_hours,
            "blocked_tasks": blocker.blocked_tasks,
        })
    }))
}

/// Rank of a priority: P0 first, no priority last.
fn priority_rank(task: &Task) -> usize {
    task.meta
        .priority
        .as_deref()
        .and_then(|p| {
            crate::db::vocab::PRIORITIES
                .iter()
                .position(|known| *known == p)
        })
        .unwrap_or(crate::db::vocab::PRIORITIES.len())
}

/// When the task was created: its `created` event, else its card's `created_date`.
fn created_at(workspace: &Workspace, task: &Task, timeline: Option<&Timeline>) -> Option<i64> {
    timeline
        .and_then(|timeline| timeline.created)
        .or_else(|| moment(&raw_field(workspace, task, "created_date")?).ok())
}

/// Candidates are active tasks in backlog and next; one is ready when every dependency is
/// finished. Ready ones are ordered by priority, then age (oldest first), then ID.
fn ready(workspace: &Workspace, tasks: &[TaskIdx], why: bool, now: i64) -> Value {
    let mut ready = Vec::new();
    let mut held = Vec::new();
    for (order, &idx) in tasks.iter().enumerate() {
        let task = workspace.task(idx);
        if !matches!(task.stage, Stage::Backlog | Stage::Next)
            || matches!(task.meta.status(), Some(Status::Canceled | Status::Split))
        {
            continue;
        }
        let mut reasons = Vec::new();
        match task.meta.status() {
            Some(Status::Blocked) => reasons.push(format!(
                "blocked by {}",
                blocked_by_text(task).unwrap_or_else(|| "something unnamed".to_string())
            )),
            Some(Status::Paused) => reasons.push(match &task.meta.paused_reason {
                Some(reason) => format!("paused: {reason}"),
                None => "paused".to_string(),
            }),
            _ => {}
        }
        for dependency in &task.meta.depends_on {
            match workspace.lookup_in(task.root, &dependency.id) {
                None => reasons.push(format!(
                    "depends on {}, which does not exist",
                    dependency.id
                )),
                Some(dep) if dep.meta.status() == Some(Status::Canceled) => {
                    reasons.push(format!("depends on {}, which was canceled", dependency.id))
                }
                Some(dep) if !dep.stage.is_finished() => {
                    reasons.push(format!("waits on {} ({})", dependency.id, dep.stage))
                }
                Some(_) => {}
            }
        }
        let created = created_at(workspace, task, timeline_of(workspace, task));
        if reasons.is_empty() {
            ready.push((
                priority_rank(task),
                created.unwrap_or(i64::MAX),
                order,
                idx,
                created,
            ));
        } else {
            held.push(json!({
                "id": task.id.to_string(),
                "name": task.meta.task_name,
                "stage": task.stage.name(),
                "status": status_name(task),
                "priority": task.meta.priority,
                "reasons": reasons,
            }));
        }
    }
    ready.sort();
    let ready: Vec<Value> = ready
        .into_iter()
        .map(|(_, _, _, idx, created)| {
            let task = workspace.task(idx);
            json!({
                "id": task.id.to_string(),
                "name": task.meta.task_name,
                "stage": task.stage.name(),
                "priority": task.meta.priority,
                "effort": task.meta.effort,
                "dri": task.meta.current_dri,
                "created": created.map(format_rfc3339),
                "age_hours": created.map(|at| hours(now - at)),
                "depends_on": task.meta.depends_on.iter().map(|r| r.id.to_string()).collect::<Vec<_>>(),
            })
        })
        .collect();
    if why {
        json!({ "ready": ready, "held": held })
    } else {
        json!({ "ready": ready })
    }
}
