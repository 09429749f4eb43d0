//! dependency-cycle: strongly connected components of the depends_on graph (iterative Tarjan,
//! linear in tasks + edges), each reported on the cycle edge in every card of the cycle.

use std::collections::{HashMap, VecDeque};

use crate::db::{TaskIdx, Workspace};
use crate::ide::types::{Diagnostic, Rule};

/// One depends_on edge: the item at `item` in the source's list points at `target`.
#[derive(Clone, Copy)]
struct Edge {
    target: usize,
    item: usize,
}

/// Above this size a component gets one representative cycle instead of the shortest cycle
/// through each member, which keeps the work linear on pathological graphs.
const PER_MEMBER_LIMIT: usize = 200;

pub(super) fn check(workspace: &Workspace, out: &mut Vec<Diagnostic>) {
    let graph = build_graph(workspace);
    for component in strongly_connected(&graph) {
        if component.len() < 2 {
            continue;
        }
        report_component(workspace, &graph, &component, out);
    }
}

fn build_graph(workspace: &Workspace) -> Vec<Vec<Edge>> {
    workspace
        .tasks
        .iter()
        .enumerate()
        .map(|(me, task)| {
            task.meta
                .depends_on
                .iter()
                .enumerate()
                .filter_map(|(item, reference)| {
                    let &target = workspace.by_id.get(&reference.id)?.first()?;
                    let target = target.0 as usize;
                    (target != me).then_some(Edge { target, item })
                })
                .collect()
        })
        .collect()
}

/// Tarjan's algorithm with an explicit stack, so a 10,000-task chain cannot overflow.
fn strongly_connected(graph: &[Vec<Edge>]) -> Vec<Vec<usize>> {
    const UNVISITED: usize = usize::MAX;
    let n = graph.len();
    let mut index = vec![UNVISITED; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut next_index = 0;
    for start in 0..n {
        if index[start] != UNVISITED {
            continue;
        }
        // Each frame: node and the position of the next edge to explore.
        let mut frames = vec![(start, 0usize)];
        index[start] = next_index;
        low[start] = next_index;
        next_index += 1;
        stack.push(start);
        on_stack[start] = true;
        while let Some(frame) = frames.last_mut() {
            let (node, edge_at) = *frame;
            if let Some(edge) = graph[node].get(edge_at) {
                frame.1 += 1;
                let target = edge.target;
                if index[target] == UNVISITED {
                    index[target] = next_index;
                    low[target] = next_index;
                    next_index += 1;
                    stack.push(target);
                    on_stack[target] = true;
                    frames.push((target, 0));
                } else if on_stack[target] {
                    low[node] = low[node].min(index[target]);
                }
                continue;
            }
            frames.pop();
            if let Some(&(parent, _)) = frames.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

fn report_component(
    workspace: &Workspace,
    graph: &[Vec<Edge>],
    component: &[usize],
    out: &mut Vec<Diagnostic>,
) {
    let members: HashMap<usize, ()> = component.iter().map(|&m| (m, ())).collect();
    let starts: Vec<usize> = if component.len() <= PER_MEMBER_LIMIT {
        component.to_vec()
    } else {
        vec![*component.iter().min().unwrap_or(&component[0])]
    };
    for start in starts {
        if let Some(cycle) = shortest_cycle(graph, &members, start) {
            let cycle = if component.len() <= PER_MEMBER_LIMIT {
                cycle
            } else {
                cycle_edges_all(&cycle)
            };
            report_cycle(workspace, graph, &cycle, component.len(), out);
        }
    }
}

fn cycle_edges_all(cycle: &[(usize, usize)]) -> Vec<(usize, usize)> {
    cycle.to_vec()
}

/// The shortest cycle through `start` inside the component, as (node, edge index) steps
/// beginning at `start`.
fn shortest_cycle(
    graph: &[Vec<Edge>],
    members: &HashMap<usize, ()>,
    start: usize,
) -> Option<Vec<(usize, usize)>> {
    let mut came_from: HashMap<usize, (usize, usize)> = HashMap::new();
    let mut queue = VecDeque::new();
    queue.push_back(start);
    while let Some(node) = queue.pop_front() {
        for (edge_index, edge) in graph[node].iter().enumerate() {
            if !members.contains_key(&edge.target) {
                continue;
            }
            if edge.target == start {
                let mut steps = vec![(node, edge_index)];
                let mut at = node;
                while at != start {
                    let step = came_from[&at];
                    steps.push(step);
                    at = step.0;
                }
                steps.reverse();
                return Some(steps);
            }
            if edge.target != start && !came_from.contains_key(&edge.target) {
                came_from.insert(edge.target, (node, edge_index));
                queue.push_back(edge.target);
            }
        }
    }
    None
}

/// Reports the first step's edge, in the card of the cycle's first task, with every edge
/// as related information.
fn report_cycle(
    workspace: &Workspace,
    graph: &[Vec<Edge>],
    cycle: &[(usize, usize)],
    component_size: usize,
    out: &mut Vec<Diagnostic>,
) {
    let task_of = |node: usize| workspace.task(TaskIdx(node as u32));
    let mut path: Vec<String> = cycle
        .iter()
        .map(|&(node, _)| task_of(node).id.to_string())
        .collect();
    path.push(task_of(cycle[0].0).id.to_string());
    let path = path.join(" → ");
    let edge_location = |&(node, edge_index): &(usize, usize)| {
        let task = task_of(node);
        let item = &task.meta.depends_on[graph[node][edge_index].item];
        task.card.map(|card| (card, item.range, task, &item.id))
    };
    let Some((file, range, _, _)) = edge_location(&cycle[0]) else {
        return;
    };
    let extra = if component_size > cycle.len() {
        format!(" ({component_size} tasks are tangled in this cycle group)")
    } else {
        String::new()
    };
    let mut diagnostic = Diagnostic::new(
        Rule::DependencyCycle,
        file,
        range,
        format!("dependency cycle: {path}{extra}; remove one of these depends_on entries"),
    );
    for step in cycle {
        if let Some((edge_file, edge_range, task, target)) = edge_location(step) {
            diagnostic = diagnostic.with_related(
                edge_file,
                edge_range,
                format!("{} depends on {target}", task.id),
            );
        }
    }
    out.push(diagnostic);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tarjan_on_a_long_chain_is_iterative() {
        let n = 200_000;
        let graph: Vec<Vec<Edge>> = (0..n)
            .map(|i| {
                if i + 1 < n {
                    vec![Edge {
                        target: i + 1,
                        item: 0,
                    }]
                } else {
                    vec![Edge { target: 0, item: 0 }]
                }
            })
            .collect();
        let components = strongly_connected(&graph);
        assert_eq!(components.len(), 1);
        assert_eq!(components[0].len(), n);
    }

    #[test]
    fn finds_two_components() {
        let e = |target| Edge { target, item: 0 };
        let graph = vec![vec![e(1)], vec![e(0)], vec![e(3)], vec![e(2)], vec![]];
        let mut sizes: Vec<usize> = strongly_connected(&graph).iter().map(Vec::len).collect();
        sizes.sort();
        assert_eq!(sizes, [1, 2, 2]);
    }
}
