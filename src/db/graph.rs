//! The depends_on graph as the model holds it: each task's edges, the tasks that depend on
//! one, the cycle a task is on. Queries shared by dependency-cycle and a transition's
//! pre-flight check; nothing here reports.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::db::mentions::MentionKind;
use crate::db::{TaskIdx, Workspace};

/// One depends_on edge: the item at `item` in the source's list points at `target`.
#[derive(Clone, Copy)]
pub struct Edge {
    pub target: usize,
    pub item: usize,
}

/// The tasks on a cycle with `task` now: those it reaches that also reach it. A task on such
/// a cycle is reached through tasks that are on it too, so once either side is known whole
/// (what the task reaches, or what reaches it) a walk the other way kept inside that side
/// finds the cycle. The two sides are walked in step and the smaller one finishes first: a
/// new task depending on a long chain has few dependents, a hub has few dependencies.
pub fn component_of(workspace: &Workspace, task: TaskIdx) -> HashSet<usize> {
    let start = task.0 as usize;
    let forward_step = |node: usize| -> Vec<usize> {
        edges_of(workspace, node)
            .into_iter()
            .map(|edge| edge.target)
            .collect()
    };
    let backward_step = |node: usize| dependents(workspace, node);
    let mut forward = Walk::new(start);
    let mut backward = Walk::new(start);
    let (complete, other_way): (HashSet<usize>, &dyn Fn(usize) -> Vec<usize>) = loop {
        if !forward.step(&forward_step, None) {
            break (forward.seen, &backward_step);
        }
        if !backward.step(&backward_step, None) {
            break (backward.seen, &forward_step);
        }
    };
    let mut within = Walk::new(start);
    while within.step(other_way, Some(&complete)) {}
    within.seen
}

/// A breadth-first walk, one node at a time.
struct Walk {
    seen: HashSet<usize>,
    queue: VecDeque<usize>,
}

impl Walk {
    fn new(start: usize) -> Walk {
        Walk {
            seen: HashSet::from([start]),
            queue: VecDeque::from([start]),
        }
    }

    /// Expands the next node (keeping to `inside` when given); false once there is none.
    fn step(
        &mut self,
        next: &dyn Fn(usize) -> Vec<usize>,
        inside: Option<&HashSet<usize>>,
    ) -> bool {
        let Some(node) = self.queue.pop_front() else {
            return false;
        };
        for target in next(node) {
            if inside.is_none_or(|set| set.contains(&target)) && self.seen.insert(target) {
                self.queue.push_back(target);
            }
        }
        true
    }
}

/// The tasks with a depends_on edge into `node` (as [`edges_of`] resolves them).
fn dependents(workspace: &Workspace, node: usize) -> Vec<usize> {
    let task = &workspace.tasks[node];
    if workspace.owners(task.root, &task.id).first() != Some(&TaskIdx(node as u32)) {
        return Vec::new();
    }
    workspace
        .mentions_of(task.root, &task.id)
        .filter(|(_, _, kind)| *kind == MentionKind::Field("depends_on"))
        .filter_map(|(file, _, _)| workspace.task_idx_of_file(file))
        .map(|idx| idx.0 as usize)
        .filter(|&source| source != node)
        .collect()
}

/// The depends_on edges out of one task (a self-dependency is its own rule, not a cycle).
pub fn edges_of(workspace: &Workspace, me: usize) -> Vec<Edge> {
    let task = &workspace.tasks[me];
    task.meta
        .depends_on
        .iter()
        .enumerate()
        .filter_map(|(item, reference)| {
            let &target = workspace.owners(task.root, &reference.id).first()?;
            let target = target.0 as usize;
            (target != me).then_some(Edge { target, item })
        })
        .collect()
}

pub fn build_graph(workspace: &Workspace) -> Vec<Vec<Edge>> {
    (0..workspace.tasks.len())
        .map(|me| edges_of(workspace, me))
        .collect()
}

/// The shortest depends_on cycle through `task`, as the tasks along it starting with `task`;
/// None when it is in no cycle. Reads only the tasks around it (see [`component_of`]), for a
/// transition's pre-flight check (offered on every cursor move).
pub fn cycle_through(workspace: &Workspace, task: TaskIdx) -> Option<Vec<TaskIdx>> {
    let start = task.0 as usize;
    let members = component_of(workspace, task);
    if members.len() < 2 {
        return None;
    }
    let mut came_from: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for edge in edges_of(workspace, node)
            .into_iter()
            .filter(|edge| members.contains(&edge.target))
        {
            if edge.target == start {
                let mut cycle = vec![TaskIdx(node as u32)];
                let mut at = node;
                while at != start {
                    at = came_from[&at];
                    cycle.push(TaskIdx(at as u32));
                }
                cycle.reverse();
                return Some(cycle);
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = came_from.entry(edge.target) {
                slot.insert(node);
                queue.push_back(edge.target);
            }
        }
    }
    None
}

/// Tarjan's algorithm with an explicit stack, so a 10,000-task chain cannot overflow.
/// The strongly connected components of two or more nodes reached from `starts`.
pub fn strongly_connected(graph: &[Vec<Edge>], starts: &[usize]) -> Vec<Vec<usize>> {
    const UNVISITED: usize = usize::MAX;
    let n = graph.len();
    let mut index = vec![UNVISITED; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut next_index = 0;
    for &start in starts {
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
                // A task alone is no cycle (a self-dependency is a rule of its own).
                if stack.last() == Some(&node) {
                    stack.pop();
                    on_stack[node] = false;
                    continue;
                }
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
        let all: Vec<usize> = (0..n).collect();
        let components = strongly_connected(&graph, &all);
        assert_eq!(components.len(), 1);
        assert_eq!(components[0].len(), n);
    }

    #[test]
    fn finds_two_components() {
        let e = |target| Edge { target, item: 0 };
        let graph = vec![vec![e(1)], vec![e(0)], vec![e(3)], vec![e(2)], vec![]];
        let all: Vec<usize> = (0..graph.len()).collect();
        let mut sizes: Vec<usize> = strongly_connected(&graph, &all)
            .iter()
            .map(Vec::len)
            .collect();
        sizes.sort();
        // Node 4 is alone: no cycle.
        assert_eq!(sizes, [2, 2]);
    }
}
