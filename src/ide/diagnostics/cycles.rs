//! dependency-cycle: strongly connected components of the depends_on graph (iterative Tarjan,
//! linear in tasks + edges), each reported on the cycle edge in every card of the cycle.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet, VecDeque};

use crate::base::TextRange;
use crate::db::graph::{Edge, build_graph, edges_of, strongly_connected};
use crate::db::{FileId, Task, TaskIdx, Workspace};
use crate::ide::diagnostics::RuleDoc;
use crate::ide::types::{Diagnostic, Rule, Severity};
use crate::syntax::task_id::TaskId;

/// Above this size a component gets one representative cycle instead of the shortest cycle
/// through each member, which keeps the work linear on pathological graphs.
const PER_MEMBER_LIMIT: usize = 200;

pub(super) fn check(workspace: &Workspace, out: &mut Vec<Diagnostic>) {
    for component in components(workspace) {
        out.extend(component.diagnostics);
    }
}

/// One cycle (a strongly connected component of two or more tasks) and what it reports.
#[derive(Clone, Debug)]
pub(crate) struct CycleComponent {
    pub members: Vec<TaskIdx>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Every cycle of the workspace.
pub(crate) fn components(workspace: &Workspace) -> Vec<CycleComponent> {
    let starts: Vec<usize> = (0..workspace.tasks.len()).collect();
    report_all(workspace, &build_graph(workspace), &starts)
}

/// The cycles among `nodes` alone (edges leaving the set are ignored). Exact when `nodes` is
/// closed under the cycles that touch it, which is what an incremental update passes.
pub(crate) fn components_among(
    workspace: &Workspace,
    nodes: &HashSet<usize>,
) -> Vec<CycleComponent> {
    let mut graph: Vec<Vec<Edge>> = vec![Vec::new(); workspace.tasks.len()];
    for &node in nodes {
        graph[node] = edges_of(workspace, node)
            .into_iter()
            .filter(|edge| nodes.contains(&edge.target))
            .collect();
    }
    // Only the set is walked: an edit's cycles cost the tasks around it, not the workspace.
    let mut starts: Vec<usize> = nodes.iter().copied().collect();
    starts.sort_unstable();
    report_all(workspace, &graph, &starts)
}

fn report_all(workspace: &Workspace, graph: &[Vec<Edge>], starts: &[usize]) -> Vec<CycleComponent> {
    strongly_connected(graph, starts)
        .into_iter()
        .map(|component| {
            let mut diagnostics = Vec::new();
            report_component(workspace, graph, &component, &mut diagnostics);
            CycleComponent {
                members: component.iter().map(|&node| TaskIdx(node as u32)).collect(),
                diagnostics,
            }
        })
        .collect()
}

fn report_component(
    workspace: &Workspace,
    graph: &[Vec<Edge>],
    component: &[usize],
    out: &mut Vec<Diagnostic>,
) {
    let members: HashSet<usize> = component.iter().copied().collect();
    if component.len() <= PER_MEMBER_LIMIT {
        for &start in component {
            if let Some(cycle) = shortest_cycle(graph, &members, start) {
                out.extend(cycle_diagnostic(workspace, graph, &cycle, component.len()));
            }
        }
        return;
    }
    // A large component gets its whole cycle once, on its lowest task, and a short pointer
    // to it in every other member's card: each card in the cycle still shows the error,
    // and the output stays linear in the component's size.
    let start = component.iter().copied().min().unwrap_or(component[0]);
    let Some(cycle) = shortest_cycle(graph, &members, start) else {
        return;
    };
    let Some(representative) = cycle_diagnostic(workspace, graph, &cycle, component.len()) else {
        return;
    };
    let start_id = &workspace.task(TaskIdx(start as u32)).id;
    let on_cycle: HashMap<usize, usize> = cycle.iter().copied().collect();
    for &member in component.iter().filter(|&&member| member != start) {
        // The edge on the reported cycle, else any edge that stays in the component.
        let edge_index = on_cycle.get(&member).copied().or_else(|| {
            graph[member]
                .iter()
                .position(|edge| members.contains(&edge.target))
        });
        let Some((file, range, task, target)) =
            edge_index.and_then(|edge_index| edge_location(workspace, graph, (member, edge_index)))
        else {
            continue;
        };
        out.push(
            Diagnostic::new(
                Rule::DependencyCycle,
                file,
                range,
                format!(
                    "dependency cycle: {} depends on {target}, which leads back to {}; {} tasks are tangled in this cycle, whose path is reported on {start_id}",
                    task.id,
                    task.id,
                    component.len()
                ),
            )
            .with_related(
                representative.file,
                representative.range,
                format!("the cycle through {start_id}"),
            ),
        );
    }
    out.push(representative);
}

/// Where the `edge_index`th edge of `node` is written: its card, the depends_on item, the
/// task and the target it names.
fn edge_location<'w>(
    workspace: &'w Workspace,
    graph: &[Vec<Edge>],
    (node, edge_index): (usize, usize),
) -> Option<(FileId, TextRange, &'w Task, &'w TaskId)> {
    let task = workspace.task(TaskIdx(node as u32));
    let item = &task.meta.depends_on[graph[node][edge_index].item];
    Some((task.card?, item.range, task, &item.id))
}

/// The shortest cycle through `start` inside the component, as (node, edge index) steps
/// beginning at `start`.
fn shortest_cycle(
    graph: &[Vec<Edge>],
    members: &HashSet<usize>,
    start: usize,
) -> Option<Vec<(usize, usize)>> {
    let mut came_from: HashMap<usize, (usize, usize)> = HashMap::new();
    let mut queue = VecDeque::new();
    queue.push_back(start);
    while let Some(node) = queue.pop_front() {
        for (edge_index, edge) in graph[node].iter().enumerate() {
            if !members.contains(&edge.target) {
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
            if let Entry::Vacant(slot) = came_from.entry(edge.target) {
                slot.insert((node, edge_index));
                queue.push_back(edge.target);
            }
        }
    }
    None
}

/// A cycle longer than this shows its first and last steps in the message and as related
/// locations: a path of thousands of IDs helps no one and would make every publish huge.
const SHOWN_STEPS: usize = 40;

/// The diagnostic on the cycle's first edge, in the card of its first task, with the path
/// in the message and every edge as related information.
fn cycle_diagnostic(
    workspace: &Workspace,
    graph: &[Vec<Edge>],
    cycle: &[(usize, usize)],
    component_size: usize,
) -> Option<Diagnostic> {
    let (file, range, _, _) = edge_location(workspace, graph, cycle[0])?;
    let shown: Vec<(usize, usize)> = if cycle.len() <= SHOWN_STEPS {
        cycle.to_vec()
    } else {
        let half = SHOWN_STEPS / 2;
        cycle[..half]
            .iter()
            .chain(&cycle[cycle.len() - half..])
            .copied()
            .collect()
    };
    let id = |node: usize| workspace.task(TaskIdx(node as u32)).id.to_string();
    let mut path: Vec<String> = shown.iter().map(|&(node, _)| id(node)).collect();
    if cycle.len() > shown.len() {
        let omitted = cycle.len() - shown.len();
        path.insert(SHOWN_STEPS / 2, format!("… {omitted} more …"));
    }
    path.push(id(cycle[0].0));
    let path = path.join(" → ");
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
    for &step in &shown {
        if let Some((edge_file, edge_range, task, target)) = edge_location(workspace, graph, step) {
            diagnostic = diagnostic.with_related(
                edge_file,
                edge_range,
                format!("{} depends on {target}", task.id),
            );
        }
    }
    Some(diagnostic)
}

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const DEPENDENCY_CYCLE: RuleDoc = RuleDoc {
    rule: Rule::DependencyCycle,
    name: "dependency-cycle",
    severity: Severity::Error,
    summary: "depends_on edges form a cycle.",
    docs: include_str!("docs/dependency-cycle.md"),
};

/// The rules this module checks, in catalogue order.
pub(crate) const RULES: &[RuleDoc] = &[DEPENDENCY_CYCLE];

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use expect_test::expect;

    use super::*;
    use crate::ide::fixture::{COUNTER, check_rule, package};

    /// Tasks `TASK-0001..=TASK-n` in backlog, each depending on the next; the last depends
    /// on `last_depends_on` (`[]` for an open chain).
    /// A bound that only a hang (or a walk far worse than linear) passes: these tests run in
    /// debug builds on shared, loaded machines, so they guard against hanging, not speed
    /// (the benches measure that).
    const HANG: Duration = Duration::from_secs(120);

    fn chain(n: u32, last_depends_on: &str) -> String {
        let mut fixture = String::from(COUNTER);
        for i in 1..=n {
            let depends_on = if i < n {
                format!("depends_on: [\"{:04}\"]", i + 1)
            } else {
                format!("depends_on: {last_depends_on}")
            };
            fixture.push_str(&package(&format!("backlog/TASK-{i:04}-t"), &depends_on));
        }
        fixture
    }

    #[test]
    fn three_cycle_is_reported_in_each_card_with_every_edge_related() {
        // Each card shows the path starting from itself, on its own edge of the cycle.
        let fixture = format!(
            "{COUNTER}{}{}{}",
            package("backlog/TASK-0001-a", "depends_on: [\"0002\"]"),
            package("next/TASK-0002-b", "depends_on: [TASK-0003]"),
            package(
                "backlog/TASK-0003-c",
                "depends_on: [\"TASK-0004\", \"0001\"]"
            ),
        ) + &package("backlog/TASK-0004-d", "");
        expect![[r#"
            backlog/TASK-0001-a/0001-a.task.md:15:14 error `"0002"` dependency cycle: TASK-0001 → TASK-0002 → TASK-0003 → TASK-0001; remove one of these depends_on entries
              -> backlog/TASK-0001-a/0001-a.task.md `"0002"` TASK-0001 depends on TASK-0002
              -> next/TASK-0002-b/0002-b.task.md `TASK-0003` TASK-0002 depends on TASK-0003
              -> backlog/TASK-0003-c/0003-c.task.md `"0001"` TASK-0003 depends on TASK-0001
            next/TASK-0002-b/0002-b.task.md:15:14 error `TASK-0003` dependency cycle: TASK-0002 → TASK-0003 → TASK-0001 → TASK-0002; remove one of these depends_on entries
              -> next/TASK-0002-b/0002-b.task.md `TASK-0003` TASK-0002 depends on TASK-0003
              -> backlog/TASK-0003-c/0003-c.task.md `"0001"` TASK-0003 depends on TASK-0001
              -> backlog/TASK-0001-a/0001-a.task.md `"0002"` TASK-0001 depends on TASK-0002
            backlog/TASK-0003-c/0003-c.task.md:15:27 error `"0001"` dependency cycle: TASK-0003 → TASK-0001 → TASK-0002 → TASK-0003; remove one of these depends_on entries
              -> backlog/TASK-0003-c/0003-c.task.md `"0001"` TASK-0003 depends on TASK-0001
              -> backlog/TASK-0001-a/0001-a.task.md `"0002"` TASK-0001 depends on TASK-0002
              -> next/TASK-0002-b/0002-b.task.md `TASK-0003` TASK-0002 depends on TASK-0003
        "#]].assert_eq(&check_rule(&fixture, Rule::DependencyCycle));
    }

    #[test]
    fn breaking_one_edge_clears_the_cycle_in_every_card() {
        let fixture = format!(
            "{COUNTER}{}{}{}",
            package("backlog/TASK-0001-a", "depends_on: [\"0002\"]"),
            package("next/TASK-0002-b", "depends_on: [TASK-0003]"),
            package("backlog/TASK-0003-c", "depends_on: [\"TASK-0004\"]"),
        ) + &package("backlog/TASK-0004-d", "");
        assert_eq!(check_rule(&fixture, Rule::DependencyCycle), "");
    }

    #[test]
    fn two_cycle_is_reported_in_both_cards() {
        let fixture = format!(
            "{COUNTER}{}{}",
            package("backlog/TASK-0001-a", "depends_on: [\"0002\"]"),
            package("backlog/TASK-0002-b", "depends_on: [\"0001\"]"),
        );
        expect![[r#"
            backlog/TASK-0001-a/0001-a.task.md:15:14 error `"0002"` dependency cycle: TASK-0001 → TASK-0002 → TASK-0001; remove one of these depends_on entries
              -> backlog/TASK-0001-a/0001-a.task.md `"0002"` TASK-0001 depends on TASK-0002
              -> backlog/TASK-0002-b/0002-b.task.md `"0001"` TASK-0002 depends on TASK-0001
            backlog/TASK-0002-b/0002-b.task.md:15:14 error `"0001"` dependency cycle: TASK-0002 → TASK-0001 → TASK-0002; remove one of these depends_on entries
              -> backlog/TASK-0002-b/0002-b.task.md `"0001"` TASK-0002 depends on TASK-0001
              -> backlog/TASK-0001-a/0001-a.task.md `"0002"` TASK-0001 depends on TASK-0002
        "#]].assert_eq(&check_rule(&fixture, Rule::DependencyCycle));
    }

    #[test]
    fn cycles_sharing_a_task_report_the_shortest_loop_and_the_group_size() {
        // TASK-0002 sits on two 2-cycles; each card shows its own shortest loop and that
        // three tasks are tangled together.
        let fixture = format!(
            "{COUNTER}{}{}{}",
            package("backlog/TASK-0001-a", "depends_on: [\"0002\"]"),
            package("backlog/TASK-0002-b", "depends_on: [\"0001\", \"0003\"]"),
            package("backlog/TASK-0003-c", "depends_on: [\"0002\"]"),
        );
        expect![[r#"
            backlog/TASK-0001-a/0001-a.task.md:15:14 error `"0002"` dependency cycle: TASK-0001 → TASK-0002 → TASK-0001 (3 tasks are tangled in this cycle group); remove one of these depends_on entries
              -> backlog/TASK-0001-a/0001-a.task.md `"0002"` TASK-0001 depends on TASK-0002
              -> backlog/TASK-0002-b/0002-b.task.md `"0001"` TASK-0002 depends on TASK-0001
            backlog/TASK-0002-b/0002-b.task.md:15:14 error `"0001"` dependency cycle: TASK-0002 → TASK-0001 → TASK-0002 (3 tasks are tangled in this cycle group); remove one of these depends_on entries
              -> backlog/TASK-0002-b/0002-b.task.md `"0001"` TASK-0002 depends on TASK-0001
              -> backlog/TASK-0001-a/0001-a.task.md `"0002"` TASK-0001 depends on TASK-0002
            backlog/TASK-0003-c/0003-c.task.md:15:14 error `"0002"` dependency cycle: TASK-0003 → TASK-0002 → TASK-0003 (3 tasks are tangled in this cycle group); remove one of these depends_on entries
              -> backlog/TASK-0003-c/0003-c.task.md `"0002"` TASK-0003 depends on TASK-0002
              -> backlog/TASK-0002-b/0002-b.task.md `"0003"` TASK-0002 depends on TASK-0003
        "#]].assert_eq(&check_rule(&fixture, Rule::DependencyCycle));
    }

    #[test]
    fn namespaced_cycle_through_bare_ids_is_found() {
        // `"0002"` inside TASK-FW-0001 is TASK-FW-0002, so this is a cycle of FW tasks.
        let fixture = format!(
            "{COUNTER}{}{}",
            package("inbox/TASK-FW-0001-a", "depends_on: [\"0002\"]"),
            package("inbox/TASK-FW-0002-b", "depends_on: [\"FW-0001\"]"),
        );
        expect![[r#"
            inbox/TASK-FW-0001-a/FW-0001-a.task.md:15:14 error `"0002"` dependency cycle: TASK-FW-0001 → TASK-FW-0002 → TASK-FW-0001; remove one of these depends_on entries
              -> inbox/TASK-FW-0001-a/FW-0001-a.task.md `"0002"` TASK-FW-0001 depends on TASK-FW-0002
              -> inbox/TASK-FW-0002-b/FW-0002-b.task.md `"FW-0001"` TASK-FW-0002 depends on TASK-FW-0001
            inbox/TASK-FW-0002-b/FW-0002-b.task.md:15:14 error `"FW-0001"` dependency cycle: TASK-FW-0002 → TASK-FW-0001 → TASK-FW-0002; remove one of these depends_on entries
              -> inbox/TASK-FW-0002-b/FW-0002-b.task.md `"FW-0001"` TASK-FW-0002 depends on TASK-FW-0001
              -> inbox/TASK-FW-0001-a/FW-0001-a.task.md `"0002"` TASK-FW-0001 depends on TASK-FW-0002
        "#]].assert_eq(&check_rule(&fixture, Rule::DependencyCycle));
    }

    #[test]
    fn ten_thousand_task_chain_is_checked_without_a_cycle() {
        // A recursive walk would overflow the stack here; the check must also stay quick.
        let fixture = chain(10_000, "[]");
        let started = Instant::now();
        assert_eq!(check_rule(&fixture, Rule::DependencyCycle), "");
        assert!(started.elapsed() < HANG, "took {:?}", started.elapsed());
    }

    #[test]
    fn ten_thousand_task_cycle_is_reported_without_hanging() {
        let fixture = chain(10_000, "[\"0001\"]");
        let started = Instant::now();
        let report = check_rule(&fixture, Rule::DependencyCycle);
        assert!(started.elapsed() < HANG, "took {:?}", started.elapsed());
        // Every card of the cycle shows it, each once.
        let diagnostics: Vec<&str> = report.lines().filter(|l| !l.starts_with(' ')).collect();
        assert_eq!(diagnostics.len(), 10_000);
        // The lowest task carries the path, abbreviated, with the shown edges related.
        let mut lines = report.lines();
        expect![[r#"backlog/TASK-0001-t/0001-t.task.md:15:14 error `"0002"` dependency cycle: TASK-0001 → TASK-0002 → TASK-0003 → TASK-0004 → TASK-0005 → TASK-0006 → TASK-0007 → TASK-0008 → TASK-0009 → TASK-0010 → TASK-0011 → TASK-0012 → TASK-0013 → TASK-0014 → TASK-0015 → TASK-0016 → TASK-0017 → TASK-0018 → TASK-0019 → TASK-0020 → … 9960 more … → TASK-9981 → TASK-9982 → TASK-9983 → TASK-9984 → TASK-9985 → TASK-9986 → TASK-9987 → TASK-9988 → TASK-9989 → TASK-9990 → TASK-9991 → TASK-9992 → TASK-9993 → TASK-9994 → TASK-9995 → TASK-9996 → TASK-9997 → TASK-9998 → TASK-9999 → TASK-10000 → TASK-0001; remove one of these depends_on entries"#]].assert_eq(lines.next().unwrap_or_default());
        let related = lines
            .by_ref()
            .take_while(|l| l.starts_with("  -> "))
            .count();
        assert_eq!(related, SHOWN_STEPS);
        // Every other card points at it.
        let second: String = report
            .lines()
            .skip_while(|l| !l.starts_with("backlog/TASK-0002-t/"))
            .take(2)
            .map(|l| format!("{l}\n"))
            .collect();
        expect![[r#"
            backlog/TASK-0002-t/0002-t.task.md:15:14 error `"0003"` dependency cycle: TASK-0002 depends on TASK-0003, which leads back to TASK-0002; 10000 tasks are tangled in this cycle, whose path is reported on TASK-0001
              -> backlog/TASK-0001-t/0001-t.task.md `"0002"` the cycle through TASK-0001
        "#]].assert_eq(&second);
    }
}
