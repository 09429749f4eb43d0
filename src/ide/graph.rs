//! The whole depends_on graph (SPEC §10) as data: one node per task, one edge per `depends_on`
//! item, targets that do not exist as nodes of their own marked missing, the cycles and the
//! critical path. The `graph` command renders it as Graphviz DOT or mermaid; the board draws
//! it as SVG. Pure functions of the workspace; no I/O.
//!
//! The critical path is the longest chain of unfinished work: tasks neither archived nor
//! canceled nor split, each depending on the next, counted in tasks (cards carry no reliable
//! durations; an effort estimate is a guess made before the work was understood). Edges
//! inside a cycle are left out, so the chain is defined whatever the cycles; a tie goes to
//! the chain whose IDs, first to finish first, sort first. A single task is no chain: with no
//! dependency between unfinished tasks there is no critical path.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Write as _;

use serde::Serialize;

use crate::db::graph::{build_graph, strongly_connected};
use crate::db::vocab::{Stage, Status};
use crate::db::{TaskIdx, Workspace};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GraphNode {
    /// The task ID as written in references (`TASK-0001`), or the missing target's ID.
    pub id: String,
    pub name: Option<String>,
    pub stage: Option<String>,
    pub status: Option<String>,
    /// True for a `depends_on` target no task of the workspace has.
    pub missing: bool,
    pub in_cycle: bool,
    /// On the critical path.
    pub critical: bool,
}

/// `from` depends on `to`: `to` must finish first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GraphEdge {
    pub from: String,
    pub to: String,
    pub in_cycle: bool,
    pub critical: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DependencyGraph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
    /// Each cycle's members, by ID.
    pub cycles: Vec<Vec<String>>,
    /// The critical path by ID, the task to finish first first; empty when there is none.
    pub critical_path: Vec<String>,
}

/// Which part of the graph to draw: everything, or the tasks within `depth` steps of `from`
/// (either direction: what it waits for and what waits for it).
#[derive(Clone, Debug, Default)]
pub struct GraphScope {
    pub from: Option<TaskIdx>,
    pub depth: Option<usize>,
}

/// The dependency graph of `workspace`, narrowed to `scope`. Nodes are in stage order then by
/// ID, missing targets after them in the order first referenced.
pub fn dependency_graph(workspace: &Workspace, scope: &GraphScope) -> DependencyGraph {
    let task_count = workspace.tasks.len();
    // Resolved edges between task indexes, and dangling ones by target ID.
    let mut resolved: Vec<Vec<usize>> = vec![Vec::new(); task_count];
    let mut dangling: Vec<Vec<String>> = vec![Vec::new(); task_count];
    for (me, task) in workspace.tasks.iter().enumerate() {
        for reference in &task.meta.depends_on {
            match workspace.owners(task.root, &reference.id).first() {
                Some(&target) => resolved[me].push(target.0 as usize),
                None => dangling[me].push(reference.id.to_string()),
            }
        }
    }
    let included = match scope.from {
        Some(start) => neighbourhood(&resolved, start.0 as usize, scope.depth),
        None => (0..task_count).collect(),
    };
    let mut cycle_of_task: HashSet<usize> = HashSet::new();
    let mut component_of: HashMap<usize, usize> = HashMap::new();
    let mut cycles = Vec::new();
    // The cycles are the model's strongly connected components (`db::graph`), not the
    // cycle rule's: the graph needs their members, never their diagnostics.
    let starts: Vec<usize> = (0..task_count).collect();
    let components = strongly_connected(&build_graph(workspace), &starts);
    for (index, members) in components.into_iter().enumerate() {
        component_of.extend(members.iter().map(|&m| (m, index)));
        if members.iter().any(|m| included.contains(m)) {
            cycle_of_task.extend(&members);
            cycles.push(members.iter().map(|&m| id_of(workspace, m)).collect());
        }
    }
    let critical = critical_path(workspace, &resolved, &included, &component_of);
    let on_path: HashSet<usize> = critical.iter().copied().collect();
    let critical_edge = |from: usize, to: usize| {
        critical
            .windows(2)
            .any(|pair| pair[1] == from && pair[0] == to)
    };
    let mut order: Vec<usize> = included.iter().copied().collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (
            workspace.task(TaskIdx(a as u32)),
            workspace.task(TaskIdx(b as u32)),
        );
        (a.stage, a.id.to_string()).cmp(&(b.stage, b.id.to_string()))
    });
    let mut graph = DependencyGraph {
        cycles,
        critical_path: critical.iter().map(|&idx| id_of(workspace, idx)).collect(),
        ..DependencyGraph::default()
    };
    let mut missing_seen = HashSet::new();
    let mut missing_nodes = Vec::new();
    for &idx in &order {
        let task = workspace.task(TaskIdx(idx as u32));
        graph.nodes.push(GraphNode {
            id: id_of(workspace, idx),
            name: task.meta.task_name.clone(),
            stage: Some(task.stage.name().to_string()),
            status: task.meta.status().map(|s| s.name().to_string()),
            missing: false,
            in_cycle: cycle_of_task.contains(&idx),
            critical: on_path.contains(&idx),
        });
        for &target in resolved[idx].iter().filter(|t| included.contains(t)) {
            graph.edges.push(GraphEdge {
                from: id_of(workspace, idx),
                to: id_of(workspace, target),
                in_cycle: cycle_of_task.contains(&idx) && cycle_of_task.contains(&target),
                critical: critical_edge(idx, target),
            });
        }
        for target in &dangling[idx] {
            graph.edges.push(GraphEdge {
                from: id_of(workspace, idx),
                to: target.clone(),
                in_cycle: false,
                critical: false,
            });
            if missing_seen.insert(target.clone()) {
                missing_nodes.push(GraphNode {
                    id: target.clone(),
                    name: None,
                    stage: None,
                    status: None,
                    missing: true,
                    in_cycle: false,
                    critical: false,
                });
            }
        }
    }
    graph.nodes.extend(missing_nodes);
    graph
}

/// The longest chain of unfinished tasks among `included` (see the module's notes), the task
/// to finish first first. `component_of` maps each cycle member to its cycle.
fn critical_path(
    workspace: &Workspace,
    resolved: &[Vec<usize>],
    included: &HashSet<usize>,
    component_of: &HashMap<usize, usize>,
) -> Vec<usize> {
    let unfinished = |idx: usize| {
        let task = workspace.task(TaskIdx(idx as u32));
        included.contains(&idx)
            && task.stage != Stage::Archived
            && !matches!(task.meta.status(), Some(Status::Canceled | Status::Split))
    };
    let same_cycle = |a: usize, b: usize| {
        component_of
            .get(&a)
            .is_some_and(|component| component_of.get(&b) == Some(component))
    };
    let next_of = |idx: usize| {
        resolved[idx]
            .iter()
            .copied()
            .filter(move |&target| unfinished(target) && !same_cycle(idx, target))
    };
    // The longest chain starting at each task: (tasks in it, the task it continues with).
    // Without cycle edges the graph is acyclic, so a depth-first walk with an explicit stack
    // settles every task once, however long the chains.
    let mut best: HashMap<usize, (usize, Option<usize>)> = HashMap::new();
    let mut starts: Vec<usize> = included
        .iter()
        .copied()
        .filter(|&t| unfinished(t))
        .collect();
    starts.sort_by_key(|&idx| id_of(workspace, idx));
    for &start in &starts {
        let mut stack = vec![start];
        while let Some(&node) = stack.last() {
            if best.contains_key(&node) {
                stack.pop();
                continue;
            }
            let pending: Vec<usize> = next_of(node).filter(|t| !best.contains_key(t)).collect();
            if !pending.is_empty() {
                stack.extend(pending);
                continue;
            }
            let mut choice: (usize, Option<usize>) = (1, None);
            for target in next_of(node) {
                let length = best[&target].0 + 1;
                let better = length > choice.0
                    || (length == choice.0
                        && choice.1.is_some_and(|current| {
                            chain(&best, target, workspace) < chain(&best, current, workspace)
                        }));
                if better {
                    choice = (length, Some(target));
                }
            }
            best.insert(node, choice);
            stack.pop();
        }
    }
    let Some(&start) = starts.iter().max_by(|&&a, &&b| {
        best[&a]
            .0
            .cmp(&best[&b].0)
            .then_with(|| chain(&best, b, workspace).cmp(&chain(&best, a, workspace)))
    }) else {
        return Vec::new();
    };
    if best[&start].0 < 2 {
        return Vec::new();
    }
    let mut path = vec![start];
    while let Some(next) = best[path.last().expect("not empty")].1 {
        path.push(next);
    }
    path.reverse();
    path
}

/// The IDs of the chain starting at `start`, the task to finish first first: what ties are
/// broken on.
fn chain(
    best: &HashMap<usize, (usize, Option<usize>)>,
    start: usize,
    workspace: &Workspace,
) -> Vec<String> {
    let mut ids = vec![id_of(workspace, start)];
    let mut at = start;
    while let Some(next) = best.get(&at).and_then(|entry| entry.1) {
        ids.push(id_of(workspace, next));
        at = next;
    }
    ids.reverse();
    ids
}

fn id_of(workspace: &Workspace, idx: usize) -> String {
    workspace.task(TaskIdx(idx as u32)).id.to_string()
}

/// The tasks within `depth` edges of `start`, following edges both ways (breadth first).
fn neighbourhood(resolved: &[Vec<usize>], start: usize, depth: Option<usize>) -> HashSet<usize> {
    let mut dependents: HashMap<usize, Vec<usize>> = HashMap::new();
    for (from, targets) in resolved.iter().enumerate() {
        for &to in targets {
            dependents.entry(to).or_default().push(from);
        }
    }
    let mut seen = HashSet::from([start]);
    let mut queue = VecDeque::from([(start, 0usize)]);
    while let Some((node, distance)) = queue.pop_front() {
        if depth.is_some_and(|limit| distance >= limit) {
            continue;
        }
        let upstream = resolved[node].iter();
        let downstream = dependents.get(&node).into_iter().flatten();
        for &next in upstream.chain(downstream) {
            if seen.insert(next) {
                queue.push_back((next, distance + 1));
            }
        }
    }
    seen
}

/// Graphviz DOT: edges point from a task to what it depends on; cycles red, the critical path
/// blue, missing targets dashed, nodes grouped by stage into clusters.
pub fn to_dot(graph: &DependencyGraph) -> String {
    let mut out = String::from("digraph dependencies {\n  rankdir=LR;\n  node [shape=box];\n");
    let mut stages: Vec<&str> = Vec::new();
    for node in &graph.nodes {
        if let Some(stage) = node.stage.as_deref()
            && !stages.contains(&stage)
        {
            stages.push(stage);
        }
    }
    for stage in stages {
        let _ = writeln!(
            out,
            "  subgraph \"cluster_{stage}\" {{\n    label=\"{stage}\";"
        );
        for node in graph
            .nodes
            .iter()
            .filter(|n| n.stage.as_deref() == Some(stage))
        {
            let label = match &node.name {
                Some(name) => format!("{}\\n{}", node.id, dot_escape(name)),
                None => node.id.clone(),
            };
            let colour = if node.in_cycle {
                ", color=red"
            } else if node.critical {
                ", color=blue, penwidth=2"
            } else {
                ""
            };
            let _ = writeln!(out, "    \"{}\" [label=\"{label}\"{colour}];", node.id);
        }
        out.push_str("  }\n");
    }
    for node in graph.nodes.iter().filter(|n| n.missing) {
        let _ = writeln!(
            out,
            "  \"{0}\" [label=\"{0}\\n(missing)\", style=dashed, color=orange];",
            node.id
        );
    }
    for edge in &graph.edges {
        let style = if edge.in_cycle {
            " [color=red]"
        } else if edge.critical {
            " [color=blue, penwidth=2]"
        } else if graph.nodes.iter().any(|n| n.missing && n.id == edge.to) {
            " [style=dashed, color=orange]"
        } else {
            ""
        };
        let _ = writeln!(out, "  \"{}\" -> \"{}\"{style};", edge.from, edge.to);
    }
    out.push_str("}\n");
    out
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Mermaid flowchart (GitHub renders it): the same graph, cycle members and missing targets
/// styled by class.
pub fn to_mermaid(graph: &DependencyGraph) -> String {
    let mut out = String::from("flowchart LR\n");
    let key: HashMap<&str, String> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(at, node)| (node.id.as_str(), format!("n{at}")))
        .collect();
    for node in &graph.nodes {
        let label = match (&node.name, node.missing) {
            (_, true) => format!("{} (missing)", node.id),
            (Some(name), false) => format!("{}: {}", node.id, name),
            (None, false) => node.id.clone(),
        };
        let _ = writeln!(
            out,
            "  {}[\"{}\"]",
            key[node.id.as_str()],
            label.replace('"', "#quot;")
        );
    }
    for edge in &graph.edges {
        let arrow = if edge.in_cycle { "==>" } else { "-->" };
        let _ = writeln!(
            out,
            "  {} {arrow} {}",
            key[edge.from.as_str()],
            key[edge.to.as_str()]
        );
    }
    let members = |pick: fn(&GraphNode) -> bool| {
        graph
            .nodes
            .iter()
            .filter(|n| pick(n))
            .map(|n| key[n.id.as_str()].clone())
            .collect::<Vec<_>>()
            .join(",")
    };
    let in_cycle = members(|n| n.in_cycle);
    if !in_cycle.is_empty() {
        let _ = writeln!(
            out,
            "  classDef cycle stroke:#d00,stroke-width:3px\n  class {in_cycle} cycle"
        );
    }
    let critical = members(|n| n.critical && !n.in_cycle);
    if !critical.is_empty() {
        let _ = writeln!(
            out,
            "  classDef critical stroke:#1a56c4,stroke-width:3px\n  class {critical} critical"
        );
    }
    let missing = members(|n| n.missing);
    if !missing.is_empty() {
        let _ = writeln!(
            out,
            "  classDef missing stroke:#e80,stroke-dasharray:4\n  class {missing} missing"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::workspace;

    fn card(id: &str, stage: &str, depends: &str) -> String {
        format!(
            "//- /{stage}/TASK-{id}-x/{id}-x.task.md\n---\ntask_id: \"TASK-{id}\"\ntask_name: \"Task {id}\"\nstage: \"{stage}\"\nstatus: \"active\"\ndepends_on: [{depends}]\n---\n"
        )
    }

    fn graph_of(cards: &[String], scope: GraphScope) -> DependencyGraph {
        dependency_graph(&workspace(&cards.concat()), &scope)
    }

    fn edges(graph: &DependencyGraph) -> Vec<(String, String, bool)> {
        graph
            .edges
            .iter()
            .map(|e| (e.from.clone(), e.to.clone(), e.in_cycle))
            .collect()
    }

    #[test]
    fn one_node_per_task_one_edge_per_dependency_cycles_and_missing_marked() {
        let graph = graph_of(
            &[
                card("0001", "archived", ""),
                card("0002", "current", "\"TASK-0001\""),
                card("0003", "next", "\"TASK-0004\""),
                card("0004", "backlog", "\"TASK-0003\", \"TASK-0001\""),
                card("0005", "inbox", "\"TASK-0077\""),
            ],
            GraphScope::default(),
        );
        let ids: Vec<(&str, bool, bool)> = graph
            .nodes
            .iter()
            .map(|n| (n.id.as_str(), n.missing, n.in_cycle))
            .collect();
        for task in ["TASK-0001", "TASK-0002", "TASK-0005"] {
            assert!(ids.contains(&(task, false, false)), "{ids:?}");
        }
        assert!(ids.contains(&("TASK-0003", false, true)));
        assert!(ids.contains(&("TASK-0004", false, true)));
        assert!(ids.contains(&("TASK-0077", true, false)));
        assert_eq!(graph.nodes.len(), 6);
        let mut got = edges(&graph);
        got.sort();
        let s = |t: &str| t.to_string();
        assert_eq!(
            got,
            vec![
                (s("TASK-0002"), s("TASK-0001"), false),
                (s("TASK-0003"), s("TASK-0004"), true),
                (s("TASK-0004"), s("TASK-0001"), false),
                (s("TASK-0004"), s("TASK-0003"), true),
                (s("TASK-0005"), s("TASK-0077"), false),
            ]
        );
        let mut cycle = graph.cycles[0].clone();
        cycle.sort();
        assert_eq!(cycle, vec![s("TASK-0003"), s("TASK-0004")]);
    }

    #[test]
    fn from_and_depth_keep_the_neighbourhood_both_ways() {
        // A chain 0004 -> 0003 -> 0002 -> 0001, and 0005 on its own.
        let cards = [
            card("0001", "archived", ""),
            card("0002", "current", "\"TASK-0001\""),
            card("0003", "current", "\"TASK-0002\""),
            card("0004", "next", "\"TASK-0003\""),
            card("0005", "next", ""),
        ];
        let ws = workspace(&cards.concat());
        let start = (0..ws.tasks.len())
            .map(|i| TaskIdx(i as u32))
            .find(|&i| ws.task(i).id.to_string() == "TASK-0002")
            .unwrap();
        let ids = |depth| {
            let graph = dependency_graph(
                &ws,
                &GraphScope {
                    from: Some(start),
                    depth,
                },
            );
            let mut ids: Vec<String> = graph.nodes.into_iter().map(|n| n.id).collect();
            ids.sort();
            ids
        };
        assert_eq!(ids(Some(0)), vec!["TASK-0002"]);
        assert_eq!(ids(Some(1)), vec!["TASK-0001", "TASK-0002", "TASK-0003"]);
        assert_eq!(
            ids(None),
            vec!["TASK-0001", "TASK-0002", "TASK-0003", "TASK-0004"]
        );
    }

    #[test]
    fn the_critical_path_is_the_longest_chain_of_unfinished_work() {
        // 0005 -> 0004 -> 0003 -> 0001 (archived: finished, not on the path); 0006 -> 0003;
        // 0007 -> 0008 -> 0007 is a cycle and 0009 -> 0007 leads into it; 0010 is canceled.
        // Unfinished chains: 0005, 0004, 0003 (three tasks; 0010 canceled is not work);
        // 0006, 0003 (two); with the cycle's edges left out, 0009, 0007 (two).
        let mut cards = vec![
            card("0001", "archived", ""),
            card("0003", "current", "\"TASK-0001\""),
            card("0004", "next", "\"TASK-0003\""),
            card("0005", "backlog", "\"TASK-0004\", \"TASK-0010\""),
            card("0006", "next", "\"TASK-0003\""),
            card("0007", "next", "\"TASK-0008\""),
            card("0008", "next", "\"TASK-0007\""),
            card("0009", "inbox", "\"TASK-0007\""),
        ];
        cards.push(
            card("0010", "backlog", "").replace("status: \"active\"", "status: \"canceled\""),
        );
        let graph = graph_of(&cards, GraphScope::default());
        assert_eq!(graph.critical_path, ["TASK-0003", "TASK-0004", "TASK-0005"]);
        let mut critical: Vec<(&str, &str)> = graph
            .edges
            .iter()
            .filter(|e| e.critical)
            .map(|e| (e.from.as_str(), e.to.as_str()))
            .collect();
        critical.sort();
        assert_eq!(
            critical,
            [("TASK-0004", "TASK-0003"), ("TASK-0005", "TASK-0004")]
        );
        let nodes: Vec<&str> = graph
            .nodes
            .iter()
            .filter(|n| n.critical)
            .map(|n| n.id.as_str())
            .collect();
        assert_eq!(nodes.len(), 3);
        // A cycle with its members marked, never on the path.
        assert!(
            graph
                .nodes
                .iter()
                .filter(|n| n.in_cycle)
                .all(|n| !n.critical)
        );
        assert!(
            to_dot(&graph).contains("\"TASK-0005\" -> \"TASK-0004\" [color=blue, penwidth=2];")
        );

        // Ties go to the chain whose IDs sort first; nothing unfinished depends on anything:
        // no path.
        let tie = graph_of(
            &[
                card("0002", "next", "\"TASK-0004\""),
                card("0004", "next", ""),
                card("0001", "next", "\"TASK-0003\""),
                card("0003", "next", ""),
            ],
            GraphScope::default(),
        );
        assert_eq!(tie.critical_path, ["TASK-0003", "TASK-0001"]);
        let none = graph_of(
            &[
                card("0001", "archived", ""),
                card("0002", "next", "\"TASK-0001\""),
            ],
            GraphScope::default(),
        );
        assert!(none.critical_path.is_empty());
        assert!(none.edges.iter().all(|e| !e.critical));
    }

    #[test]
    fn dot_and_mermaid_name_every_node_and_edge_and_style_problems() {
        let graph = graph_of(
            &[
                card("0001", "next", "\"TASK-0002\""),
                card("0002", "backlog", "\"TASK-0001\", \"TASK-0009\""),
            ],
            GraphScope::default(),
        );
        let dot = to_dot(&graph);
        assert!(
            dot.contains("\"TASK-0001\" -> \"TASK-0002\" [color=red];"),
            "{dot}"
        );
        assert!(dot.contains("\"TASK-0002\" -> \"TASK-0009\" [style=dashed, color=orange];"));
        assert!(dot.contains("subgraph \"cluster_backlog\""));
        assert_eq!(dot.matches(" -> ").count(), 3);
        let mermaid = to_mermaid(&graph);
        assert!(mermaid.starts_with("flowchart LR\n"));
        assert_eq!(mermaid.matches("==>").count(), 2, "{mermaid}");
        assert_eq!(mermaid.matches("-->").count(), 1);
        assert!(mermaid.contains("TASK-0009 (missing)"));
        assert!(mermaid.contains("class n0,n1 cycle"));
    }
}
