//! The board (SPEC §10): one self-contained HTML page. The page itself lives in
//! `assets/board/` as real HTML, CSS and JS, embedded at build time; this module gathers the
//! data (the Now view, the tasks, the Flow, Rework and Learning views of the last 28 days,
//! the dependency graph) into one JSON blob and fills the template. Pure: the caller writes
//! the result where it wants.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use crate::db::Workspace;
use crate::db::metrics::Window;
use crate::ide::flow_view::flow_view;
use crate::ide::graph::{DependencyGraph, GraphNode, GraphScope, dependency_graph};
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
    // By ID: how far over its SLO each late task is, and for how long it has been in stage.
    let late: HashMap<String, (Value, Value)> = stale
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|row| {
            let id = row["id"].as_str()?.to_string();
            Some((
                id,
                (
                    row["slo_miss_ratio"].clone(),
                    row["time_in_stage_hours"].clone(),
                ),
            ))
        })
        .collect();
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
            let (ratio, hours) = late.get(&id).cloned().unwrap_or_default();
            let age = hours
                .as_f64()
                .map(|h| format!("{:.0} d in stage, over SLO", h / 24.0));
            // Ten thousand tasks make a few megabytes: fields without a value are left out
            // and the card's path is relative to its tasks root (`roots` holds their URLs).
            let fields = [
                ("id", json!(id)),
                ("name", json!(meta.task_name)),
                ("stage", json!(task.stage.name())),
                ("status", json!(meta.status().map(|s| s.name()))),
                ("priority", json!(meta.priority)),
                ("dri", json!(meta.current_dri)),
                ("tags", json!(tags(workspace, task))),
                ("root", json!(task.root)),
                (
                    "path",
                    json!(task.card.map(|card| url_path(&workspace.file(card).rel))),
                ),
                ("slo_miss_ratio", ratio),
                ("age", json!(age)),
            ];
            Value::Object(
                fields
                    .into_iter()
                    .filter(|(_, value)| !value.is_null() && value != &json!([]))
                    .map(|(key, value)| (key.to_string(), value))
                    .collect(),
            )
        })
        .collect();
    let history = History::of(workspace);
    let window = Window::default_until(now);
    json!({
        "now": now_view(workspace, now),
        "tasks": tasks,
        "roots": workspace
            .roots
            .iter()
            .map(|root| file_url(&root.path) + "/")
            .collect::<Vec<_>>(),
        "graph": drawable(dependency_graph(workspace, &GraphScope::default()), GRAPH_LIMIT),
        "flow": flow_view(&history, window),
        "rework": rework_view(&history, window),
        "learning": learning_view(&history, window),
    })
}

/// The most graph nodes the board draws. Beyond a few hundred boxes a drawing is no longer
/// read, and the browser spends seconds laying it out.
pub const GRAPH_LIMIT: usize = 300;

/// `graph` as the board draws it: whole up to `limit` nodes; beyond, the nodes that matter
/// for unblocking work, in this order until `limit`: the critical path, cycle members,
/// missing targets and the tasks that reference them, then unfinished tasks with a
/// dependency either way (latest stage first), with a note saying what was left out.
pub fn drawable(graph: DependencyGraph, limit: usize) -> Value {
    let total = graph.nodes.len();
    if total <= limit {
        return json!(graph);
    }
    let missing: HashSet<&str> = graph
        .nodes
        .iter()
        .filter(|n| n.missing)
        .map(|n| n.id.as_str())
        .collect();
    let mut connected: HashSet<&str> = HashSet::new();
    for edge in &graph.edges {
        connected.insert(&edge.from);
        connected.insert(&edge.to);
    }
    let mut order: Vec<&GraphNode> = Vec::new();
    order.extend(graph.nodes.iter().filter(|n| n.critical));
    order.extend(graph.nodes.iter().filter(|n| n.in_cycle));
    for edge in graph
        .edges
        .iter()
        .filter(|e| missing.contains(e.to.as_str()))
    {
        order.extend(
            graph
                .nodes
                .iter()
                .filter(|n| n.id == edge.from || n.id == edge.to),
        );
    }
    // Nodes come in stage order, so reversed the latest stage (closest to done) leads.
    order.extend(graph.nodes.iter().rev().filter(|n| {
        !n.missing && n.stage.as_deref() != Some("archived") && connected.contains(n.id.as_str())
    }));
    let mut kept: HashSet<&str> = HashSet::new();
    for node in order {
        if kept.len() == limit {
            break;
        }
        kept.insert(&node.id);
    }
    let nodes: Vec<&GraphNode> = graph
        .nodes
        .iter()
        .filter(|n| kept.contains(n.id.as_str()))
        .collect();
    let edges: Vec<_> = graph
        .edges
        .iter()
        .filter(|e| kept.contains(e.from.as_str()) && kept.contains(e.to.as_str()))
        .collect();
    let note = format!(
        "Showing {} of {} nodes and {} of {} dependencies: the critical path, cycles, missing \
         targets and unfinished tasks with dependencies first. `flowos-lsp graph` prints the \
         whole graph; `--from ID --depth N` a neighbourhood.",
        nodes.len(),
        total,
        edges.len(),
        graph.edges.len()
    );
    json!({
        "nodes": nodes,
        "edges": edges,
        "cycles": graph.cycles,
        "critical_path": graph.critical_path,
        "note": note,
    })
}

fn file_url(path: &std::path::Path) -> String {
    format!("file://{}", url_path(&path.to_string_lossy()))
}

/// `text` with every byte but unreserved ones and `/` percent-encoded.
fn url_path(text: &str) -> String {
    let mut url = String::new();
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
        assert_eq!(data["roots"][0], "file:///ws/.work/tasks/");
        assert_eq!(
            data["tasks"][1]["path"],
            "current/TASK-0001-x/0001-x.task.md"
        );
        // Fields without a value are left out: TASK-0002 has no name, priority or tags.
        assert!(data["tasks"][0].get("name").is_none());
        assert!(data["tasks"][0].get("tags").is_none());
    }

    #[test]
    fn a_large_graph_keeps_what_unblocks_work_and_says_what_it_left_out() {
        let card = |id: &str, stage: &str, depends: &str| {
            format!(
                "//- /{stage}/TASK-{id}-x/{id}-x.task.md\n---\ntask_id: \"TASK-{id}\"\nstage: \"{stage}\"\nstatus: \"active\"\ndepends_on: [{depends}]\n---\n"
            )
        };
        // The critical path 0003 -> 0002 (unfinished chain of two), a cycle 0005 <-> 0006,
        // 0007 waiting on a missing 0099, and 0001 archived and 0004 alone.
        let ws = workspace(
            &[
                card("0001", "archived", ""),
                card("0002", "current", "\"TASK-0001\""),
                card("0003", "next", "\"TASK-0002\""),
                card("0004", "next", ""),
                card("0005", "backlog", "\"TASK-0006\""),
                card("0006", "backlog", "\"TASK-0005\""),
                card("0007", "inbox", "\"TASK-0099\""),
            ]
            .concat(),
        );
        let graph = dependency_graph(&ws, &GraphScope::default());
        assert_eq!(
            drawable(graph.clone(), 8),
            json!(graph),
            "8 nodes fit: all drawn"
        );
        let drawn = drawable(graph, 6);
        let mut ids: Vec<&str> = drawn["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap())
            .collect();
        ids.sort();
        // Path (0002, 0003), cycle (0005, 0006), the missing target and its task (0007,
        // 0099): six; the archived 0001 and the lone 0004 are left out.
        assert_eq!(
            ids,
            [
                "TASK-0002",
                "TASK-0003",
                "TASK-0005",
                "TASK-0006",
                "TASK-0007",
                "TASK-0099"
            ]
        );
        // Edges between drawn nodes: 0003->0002, 0005<->0006, 0007->0099; 0002->0001 is not.
        assert_eq!(drawn["edges"].as_array().unwrap().len(), 4);
        assert_eq!(
            drawn["note"].as_str().unwrap().split(':').next().unwrap(),
            "Showing 6 of 8 nodes and 4 of 5 dependencies"
        );
    }
}
