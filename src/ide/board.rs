//! The board (SPEC §10): one self-contained HTML page. The page itself lives in
//! `assets/board/` as real HTML, CSS and JS, embedded at build time; this module gathers the
//! data (the Now view, the tasks, the Flow, Rework and Learning views of the last 28 days,
//! the dependency graph) into one JSON blob and fills the template. Pure: the caller writes
//! the result where it wants.

use serde_json::{Value, json};

use crate::db::Workspace;
use crate::db::metrics::Window;
use crate::ide::flow_view::flow_view;
use crate::ide::graph::{GraphScope, dependency_graph};
use crate::ide::history::History;
use crate::ide::learning::learning_view;
use crate::ide::now::now_view;
use crate::ide::query::{QueryRequest, answer, tags};
use crate::ide::rework::rework_view;

const TEMPLATE: &str = include_str!("../../assets/board/board.html");
const STYLE: &str = include_str!("../../assets/board/board.css");
const SCRIPT: &str = include_str!("../../assets/board/board.js");

/// Everything the page draws, as of `now` (Unix seconds).
pub fn board_data(workspace: &Workspace, now: i64) -> Value {
    let stale = answer(
        workspace,
        &QueryRequest {
            query: "stale".to_string(),
            ..QueryRequest::default()
        },
        now,
    )
    .map(|value| value["results"].clone())
    .unwrap_or(Value::Null);
    let miss_ratio = |id: &str| {
        stale
            .as_array()
            .into_iter()
            .flatten()
            .find(|row| row["id"] == id)
            .map(|row| {
                (
                    row["slo_miss_ratio"].clone(),
                    row["time_in_stage_hours"].clone(),
                )
            })
    };
    let mut tasks: Vec<&crate::db::Task> = workspace.tasks.iter().collect();
    tasks.sort_by(|a, b| {
        (a.stage, a.root, &a.id.namespace, a.id.number).cmp(&(
            b.stage,
            b.root,
            &b.id.namespace,
            b.id.number,
        ))
    });
    let tasks: Vec<Value> = tasks
        .into_iter()
        .map(|task| {
            let id = task.id.to_string();
            let meta = &task.meta;
            let (ratio, hours) = miss_ratio(&id).unwrap_or((Value::Null, Value::Null));
            let age = hours
                .as_f64()
                .map(|h| format!("{:.0} d in stage, over SLO", h / 24.0));
            json!({
                "id": id,
                "name": meta.task_name,
                "stage": task.stage.name(),
                "status": meta.status().map(|s| s.name()),
                "priority": meta.priority,
                "dri": meta.current_dri,
                "tags": tags(workspace, task),
                "href": task.card.map(|card| file_url(&workspace.file(card).path)),
                "slo_miss_ratio": ratio,
                "age": age,
            })
        })
        .collect();
    let history = History::of(workspace);
    let window = Window::default_until(now);
    json!({
        "now": now_view(workspace, now),
        "tasks": tasks,
        "graph": dependency_graph(workspace, &GraphScope::default()),
        "flow": flow_view(&history, window),
        "rework": rework_view(&history, window),
        "learning": learning_view(&history, window),
    })
}

fn file_url(path: &std::path::Path) -> String {
    let text = path.to_string_lossy();
    let mut url = String::from("file://");
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                url.push(byte as char)
            }
            _ => url.push_str(&format!("%{byte:02X}")),
        }
    }
    url
}

/// The page with `data` inside. `</` is escaped so no value can close the script element.
pub fn board_html(data: &Value) -> String {
    let blob = data.to_string().replace("</", "<\\/");
    TEMPLATE
        .replacen("/*BOARD_CSS*/", STYLE, 1)
        .replacen("/*BOARD_JS*/", SCRIPT, 1)
        .replacen("/*BOARD_DATA*/", &blob, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::workspace;

    #[test]
    fn the_page_is_self_contained_and_carries_every_task() {
        let ws = workspace(
            "//- /current/TASK-0001-x/0001-x.task.md\n---\ntask_id: \"TASK-0001\"\ntask_name: \"A </script> name\"\nstage: \"current\"\nstatus: \"active\"\ndepends_on: [\"TASK-0002\"]\n---\n//- /next/TASK-0002-y/0002-y.task.md\n---\ntask_id: \"TASK-0002\"\nstage: \"next\"\nstatus: \"active\"\n---\n",
        );
        let data = board_data(&ws, 0);
        assert_eq!(data["tasks"].as_array().unwrap().len(), 2);
        assert_eq!(data["graph"]["edges"].as_array().unwrap().len(), 1);
        let html = board_html(&data);
        assert!(!html.contains("/*BOARD_"), "every placeholder filled");
        // Nothing is fetched: no external script, style sheet, font or image.
        for fetch in ["<script src", "<link", "@import", "url(http", "src=\"http"] {
            assert!(!html.contains(fetch), "{fetch}");
        }
        // The name's `</script>` cannot end the data element early.
        assert_eq!(html.matches("</script>").count(), 2);
        assert!(html.contains("A <\\/script> name"));
        assert!(
            data["tasks"][1]["href"]
                .as_str()
                .unwrap()
                .starts_with("file:///ws/.work/tasks/")
        );
    }
}
