//! The Now view (SPEC §10): what a stand-up looks at, gathered from the queries of SPEC §9 so
//! the terminal (`flowos-lsp now`), the board and the editors show the same figures `query`
//! prints. A pure function of the model and the moment given.

use serde::Serialize;
use serde_json::Value;

use crate::db::Workspace;
use crate::db::vocab::{Stage, Status};
use crate::ide::query::{QueryRequest, answer};

/// How loud an alert is: red for what breaks a rule now, yellow for what is about to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Red,
    Yellow,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    pub severity: Severity,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WipRow {
    pub stage: String,
    pub count: u64,
    pub limit: Option<u64>,
    /// `system` or `per_dri`, as `query wip` says.
    pub scope: String,
    /// What the limit is held against: the stage's count, or with a per-DRI limit the count
    /// of the busiest DRI.
    pub measured: u64,
}

/// A task in one of the view's lists, with why it is there.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NowTask {
    pub id: String,
    pub name: Option<String>,
    pub dri: Option<String>,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Blocker {
    pub blocker: String,
    pub tasks: Vec<String>,
    pub hours: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NowView {
    pub now: String,
    pub alerts: Vec<Alert>,
    pub wip: Vec<WipRow>,
    /// Tasks in integration or learning: each leaves its stage only when a person signs it
    /// off (the release, the learning review).
    pub sign_offs: Vec<NowTask>,
    /// Paused tasks whose `paused_reason` names a P0: displaced by the fast track.
    pub displaced: Vec<NowTask>,
    /// What blocked tasks longest in the last 28 days, worst first (at most five).
    pub blockers: Vec<Blocker>,
}

const TOP_BLOCKERS: usize = 5;

/// The Now view of `workspace` at `now` (Unix seconds).
pub fn now_view(workspace: &Workspace, now: i64) -> NowView {
    let ask = |query: &str| {
        let request = QueryRequest {
            query: query.to_string(),
            ..QueryRequest::default()
        };
        answer(workspace, &request, now)
            .map(|value| value["results"].clone())
            .unwrap_or(Value::Null)
    };
    let mut alerts = Vec::new();
    for task in rows(&ask("p0")) {
        if text(task, "status").as_deref() != Some("paused") {
            alerts.push(Alert {
                severity: Severity::Red,
                text: format!("P0 active: {} in {}", label(task), str_of(task, "stage")),
            });
        }
    }
    let wip: Vec<WipRow> = rows(&ask("wip"))
        .map(|row| {
            let count = row["count"].as_u64().unwrap_or(0);
            let scope = str_of(row, "scope");
            let busiest = row["by_dri"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(_, n)| n.as_u64())
                .max()
                .unwrap_or(0);
            WipRow {
                stage: str_of(row, "stage"),
                count,
                limit: row["limit"].as_u64(),
                measured: if scope == "per_dri" { busiest } else { count },
                scope,
            }
        })
        .collect();
    for row in &wip {
        if let Some(limit) = row.limit.filter(|&limit| row.measured >= limit) {
            let (severity, word) = if row.measured > limit {
                (Severity::Red, "over")
            } else {
                (Severity::Yellow, "at")
            };
            alerts.push(Alert {
                severity,
                text: if row.scope == "per_dri" {
                    format!(
                        "WIP {word} limit: a DRI holds {} of {limit} in {}",
                        row.measured, row.stage
                    )
                } else {
                    format!(
                        "WIP {word} limit: {} holds {} of {limit}",
                        row.stage, row.count
                    )
                },
            });
        }
    }
    for task in rows(&ask("stale")) {
        alerts.push(Alert {
            severity: Severity::Red,
            text: format!(
                "Beyond SLO: {} in {} for {:.0} h (target {:.0} h)",
                label(task),
                str_of(task, "stage"),
                task["time_in_stage_hours"].as_f64().unwrap_or(0.0),
                task["slo_target_hours"].as_f64().unwrap_or(0.0),
            ),
        });
    }
    let mut sign_offs = Vec::new();
    let mut displaced = Vec::new();
    let mut tasks: Vec<&crate::db::Task> = workspace.tasks.iter().collect();
    tasks.sort_by(|a, b| {
        (a.root, &a.id.namespace, a.id.number).cmp(&(b.root, &b.id.namespace, b.id.number))
    });
    for task in tasks {
        let meta = &task.meta;
        let entry = |note: String| NowTask {
            id: task.id.to_string(),
            name: meta.task_name.clone(),
            dri: meta.current_dri.clone(),
            note,
        };
        match (task.stage, meta.status()) {
            (Stage::Integration, Some(Status::Active)) => {
                sign_offs.push(entry("waiting for the release sign-off".to_string()))
            }
            (Stage::Learning, Some(Status::Active)) => {
                sign_offs.push(entry("waiting for the learning review".to_string()))
            }
            (_, Some(Status::Paused)) => {
                if let Some(reason) = meta
                    .paused_reason
                    .as_deref()
                    .filter(|reason| reason.contains("P0"))
                {
                    displaced.push(entry(reason.to_string()));
                }
            }
            _ => {}
        }
    }
    let blockers = rows(&ask("blocker-impact"))
        .take(TOP_BLOCKERS)
        .map(|row| Blocker {
            blocker: str_of(row, "blocker"),
            tasks: rows(&row["blocked_tasks"])
                .filter_map(|id| id.as_str().map(str::to_string))
                .collect(),
            hours: row["blocked_hours"].as_f64().unwrap_or(0.0),
        })
        .collect();
    NowView {
        now: crate::syntax::time::format_rfc3339(now),
        alerts,
        wip,
        sign_offs,
        displaced,
        blockers,
    }
}

fn rows(value: &Value) -> impl Iterator<Item = &Value> {
    value.as_array().into_iter().flatten()
}

fn text(row: &Value, field: &str) -> Option<String> {
    row[field].as_str().map(str::to_string)
}

fn str_of(row: &Value, field: &str) -> String {
    text(row, field).unwrap_or_default()
}

fn label(task: &Value) -> String {
    match text(task, "name") {
        Some(name) => format!("{} {name}", str_of(task, "id")),
        None => str_of(task, "id"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::workspace;
    use crate::syntax::time::parse_rfc3339;

    fn card(id: &str, stage: &str, status: &str, extra: &str) -> String {
        format!(
            "//- /{stage}/TASK-{id}-x/{id}-x.task.md\n---\ntask_id: \"TASK-{id}\"\ntask_name: \"Task {id}\"\nstage: \"{stage}\"\nstatus: \"{status}\"\ncurrent_dri: \"@ana\"\n{extra}---\n"
        )
    }

    #[test]
    fn alerts_sign_offs_and_displaced_tasks() {
        let fixture = [
            card("0001", "current", "active", "priority: \"P0\"\n"),
            card(
                "0002",
                "current",
                "paused",
                "paused_reason: \"Displaced by P0 TASK-0001\"\n",
            ),
            card("0003", "current", "paused", "paused_reason: \"On holiday\"\n"),
            card("0004", "integration", "active", ""),
            card("0005", "learning", "active", ""),
            card("0006", "integration", "blocked", "blocked_by: \"external:crew\"\n"),
            "//- /wip.policy.md\n## WIP limits\n\n| Stage | WIP Limit | Scope |\n|---|---|---|\n| current | ≤1 | System-wide |\n| integration | ≤3 | System-wide |\n"
                .to_string(),
        ]
        .concat();
        let ws = workspace(&fixture);
        let view = now_view(&ws, parse_rfc3339("2026-11-20T12:00:00Z").unwrap());
        let alerts: Vec<(Severity, &str)> = view
            .alerts
            .iter()
            .map(|a| (a.severity, a.text.as_str()))
            .collect();
        assert!(
            alerts.contains(&(Severity::Red, "P0 active: TASK-0001 Task 0001 in current")),
            "{alerts:?}"
        );
        // Paused tasks do not count against the limit.
        let current = view.wip.iter().find(|row| row.stage == "current").unwrap();
        assert_eq!((current.count, current.limit), (1, Some(1)));
        assert!(alerts.contains(&(Severity::Yellow, "WIP at limit: current holds 1 of 1")));
        assert!(!alerts.iter().any(|(_, text)| text.contains("integration")));
        let ids = |tasks: &[NowTask]| tasks.iter().map(|t| t.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&view.sign_offs), vec!["TASK-0004", "TASK-0005"]);
        assert_eq!(ids(&view.displaced), vec!["TASK-0002"]);
        assert_eq!(view.displaced[0].note, "Displaced by P0 TASK-0001");
    }

    #[test]
    fn a_per_dri_limit_is_held_against_the_busiest_dri() {
        // Two DRIs with one learning task each stay under a per-DRI limit of 1.
        let per_dri = "//- /learning/TASK-0007-x/0007-x.task.md\n---\ntask_id: \"TASK-0007\"\nstage: \"learning\"\nstatus: \"active\"\ncurrent_dri: \"@ana\"\n---\n//- /learning/TASK-0008-x/0008-x.task.md\n---\ntask_id: \"TASK-0008\"\nstage: \"learning\"\nstatus: \"active\"\ncurrent_dri: \"@bo\"\n---\n//- /wip.policy.md\n## WIP limits\n\n| Stage | WIP Limit | Scope |\n|---|---|---|\n| learning | ≤1 | Per DRI |\n";
        let view = now_view(&workspace(per_dri), 0);
        let learning = view.wip.iter().find(|row| row.stage == "learning").unwrap();
        assert_eq!(
            (learning.count, learning.measured, learning.limit),
            (2, 1, Some(1))
        );
        assert_eq!(
            view.alerts
                .iter()
                .map(|a| a.text.as_str())
                .collect::<Vec<_>>(),
            vec!["WIP at limit: a DRI holds 1 of 1 in learning"]
        );
    }
}
