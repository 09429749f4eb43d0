//! Dependency cycles kept one part per cycle, so that an edit to `depends_on` searches only
//! around the tasks it touched.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::db::graph::component_of;
use crate::db::{FileId, TaskIdx, Workspace};
use crate::ide::diagnostics::cycles::{components, components_among};
use crate::ide::diagnostics::incremental::{IncrementalDiagnostics, Part};

impl IncrementalDiagnostics {
    /// Brings the cycles up to date; true when any were searched for.
    ///
    /// A new cycle through an edited task A is what A reaches that also reaches A. Any cycle
    /// not through A existed before (its edges are unchanged), either as it is or as part of
    /// a cycle through A. So recomputing over A's new cycle, A's old cycle, and every old
    /// cycle that shares a task with the new one finds exactly the cycles that changed.
    pub(super) fn update_cycles(
        &mut self,
        workspace: &Workspace,
        edited: &HashMap<FileId, u32>,
        changed: &mut BTreeSet<FileId>,
    ) -> bool {
        let found = match self.cycles.as_mut() {
            None => {
                self.cycle_tasks.clear();
                self.cycles = Some(HashMap::new());
                components(workspace)
            }
            Some(_) if self.cycle_tasks.is_empty() => return false,
            Some(cached) => {
                let edited_tasks: Vec<TaskIdx> = std::mem::take(&mut self.cycle_tasks)
                    .into_iter()
                    .filter(|idx| (idx.0 as usize) < workspace.tasks.len())
                    .collect();
                let mut affected: HashSet<usize> =
                    edited_tasks.iter().map(|idx| idx.0 as usize).collect();
                for &idx in &edited_tasks {
                    affected.extend(component_of(workspace, idx));
                }
                let mut dropped = Vec::new();
                cached.retain(|&id, members| {
                    let touched = members
                        .iter()
                        .any(|member| affected.contains(&(member.0 as usize)));
                    if touched {
                        affected.extend(members.iter().map(|member| member.0 as usize));
                        dropped.push(id);
                    }
                    !touched
                });
                for id in dropped {
                    self.store(Part::Cycle(id), Vec::new(), edited, changed);
                }
                components_among(workspace, &affected)
            }
        };
        for component in found {
            let id = self.next_cycle;
            self.next_cycle += 1;
            if let Some(cycles) = self.cycles.as_mut() {
                cycles.insert(id, component.members);
            }
            self.store(Part::Cycle(id), component.diagnostics, edited, changed);
        }
        true
    }
}
