//! The tasks of each root grouped by namespace and stage and sorted by number: the index that
//! lets completion walk outward from the task at the cursor and stop after what it returns,
//! instead of ranking every task of the root on every request.
//!
//! Everything it is keyed by is structural: a task's ID, namespace and stage come from its
//! folder, and which task first owns an ID from the set of folders. An edit in place
//! (`Workspace::update_content`) changes none of them (it refuses a card whose task takes its
//! ID from the card), and anything structural builds a new model, so the index is built once
//! per model, on first use, and never goes stale.

use crate::db::vocab::Stage;
use crate::db::{TaskIdx, Workspace};

/// One sorted run of tasks: same root, namespace and stage, ascending by number, then by
/// task index.
pub type TaskRun = [(u32, TaskIdx)];

/// The tasks of one namespace of a root (or of no namespace), one run per stage.
#[derive(Debug)]
pub struct NamespaceTasks {
    pub namespace: Option<Box<str>>,
    by_stage: [Vec<(u32, TaskIdx)>; Stage::ALL.len()],
}

impl NamespaceTasks {
    pub fn in_stage(&self, stage: Stage) -> &TaskRun {
        &self.by_stage[stage as usize]
    }
}

/// Per root, per namespace, per stage: the first owner of every ID (a duplicated ID's other
/// tasks are not reference targets, so they are left out).
#[derive(Debug, Default)]
pub struct TaskOrder {
    roots: Vec<Vec<NamespaceTasks>>,
}

impl TaskOrder {
    pub(crate) fn build(workspace: &Workspace) -> TaskOrder {
        let mut roots: Vec<Vec<NamespaceTasks>> =
            workspace.roots.iter().map(|_| Vec::new()).collect();
        // `by_id` holds each ID once, so walking it finds the first owners without looking
        // any ID up.
        for ((root, id), owners) in &workspace.by_id {
            let Some(&first) = owners.first() else {
                continue;
            };
            let groups = &mut roots[*root];
            let group = match groups
                .iter()
                .position(|group| group.namespace == id.namespace)
            {
                Some(at) => at,
                None => {
                    groups.push(NamespaceTasks {
                        namespace: id.namespace.clone(),
                        by_stage: Default::default(),
                    });
                    groups.len() - 1
                }
            };
            let stage = workspace.task(first).stage;
            groups[group].by_stage[stage as usize].push((id.number, first));
        }
        for groups in &mut roots {
            groups.sort_by(|a, b| a.namespace.cmp(&b.namespace));
            for run in groups
                .iter_mut()
                .flat_map(|group| group.by_stage.iter_mut())
            {
                run.sort_unstable();
            }
        }
        TaskOrder { roots }
    }

    /// The namespaces of tasks root `root`, each with its tasks by stage.
    pub fn namespaces(&self, root: usize) -> &[NamespaceTasks] {
        self.roots.get(root).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::{COUNTER, package, workspace};

    fn runs(workspace: &Workspace) -> Vec<String> {
        let order = workspace.task_order();
        let mut out = Vec::new();
        for group in order.namespaces(0) {
            for stage in Stage::ALL {
                let run = group.in_stage(stage);
                if run.is_empty() {
                    continue;
                }
                let ids: Vec<String> = run
                    .iter()
                    .map(|&(_, idx)| workspace.task(idx).folder.clone())
                    .collect();
                out.push(format!("{:?} {stage}: {}", group.namespace, ids.join(", ")));
            }
        }
        out
    }

    #[test]
    fn first_owners_by_namespace_and_stage_in_number_order() {
        let mut ws = workspace(&format!(
            "{COUNTER}//- /NAMESPACES.yaml\nnamespaces:\n  FW: {{}}\n{}{}{}{}{}{}",
            package("backlog/TASK-0009-a", ""),
            package("backlog/TASK-0002-b", ""),
            package("archived/TASK-0003-c", ""),
            package("backlog/TASK-FW-0001-d", ""),
            // A duplicate: only the first owner is a reference target.
            package("current/TASK-0002-e", ""),
            package("current/TASK-0010-f", ""),
        ));
        let expected = [
            "None backlog: backlog/TASK-0002-b, backlog/TASK-0009-a",
            "None current: current/TASK-0010-f",
            "None archived: archived/TASK-0003-c",
            "Some(\"FW\") backlog: backlog/TASK-FW-0001-d",
        ];
        assert_eq!(runs(&ws), expected);
        // An edit in place renames a task but moves no key of the order.
        let card = ws
            .task(ws.task_order().namespaces(0)[0].in_stage(Stage::Backlog)[0].1)
            .card;
        let path = ws.file(card.unwrap()).path.clone();
        let text = ws.file(card.unwrap()).text.replace("Task 0002", "Renamed");
        assert!(ws.update_text(&path, &text));
        assert_eq!(runs(&ws), expected);
    }
}
