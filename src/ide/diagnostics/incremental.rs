//! Diagnostics kept up to date edit by edit: each part is cached with what it depends on,
//! and an edit invalidates only the parts it can change.
//!
//! - A file's own rules depend on its text alone.
//! - A task's cross-file rules depend on its files and the tasks it names, so an edit to
//!   task A invalidates A and the tasks whose frontmatter names A (from the mention index).
//! - The global families depend on the whole root, but each on a few fields only: cycles on
//!   `depends_on`, WIP on status and DRI, index tables on the index files, counters on the
//!   counter files. An edit that leaves those fields alone leaves them cached. (A task's own
//!   index rows are checked with the task.)
//! - Cycles are kept per cycle: a `depends_on` edit recomputes only the cycles the edited task
//!   was or now is on, and those they merge with (see [`IncrementalDiagnostics::update`]).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use crate::db::mentions::MentionKind;
use crate::db::meta::TaskMeta;
use crate::db::{FileId, FileRole, TaskIdx, Workspace};
use crate::ide::diagnostics::cycles::{CycleComponent, component_of, components, components_among};
use crate::ide::diagnostics::{
    Global, configure, file_diagnostics, global_family, task_diagnostics,
};
use crate::ide::types::{Config, Diagnostic};
use crate::syntax::task_id::TaskId;

/// SLOs move with the clock: every task is re-measured at least this often.
const CLOCK_REFRESH: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct IncrementalDiagnostics {
    files: HashMap<FileId, Vec<Diagnostic>>,
    dirty_files: HashSet<FileId>,
    tasks: HashMap<TaskIdx, Vec<Diagnostic>>,
    dirty_tasks: HashSet<TaskIdx>,
    globals: HashMap<Global, Vec<Diagnostic>>,
    /// Every cycle with its diagnostics; None when they must all be found again.
    cycles: Option<Vec<CycleComponent>>,
    /// Tasks whose cycles must be found again (their depends_on changed, or a cycle they are
    /// on reports into an edited file).
    cycle_tasks: HashSet<TaskIdx>,
    /// Set when everything must be computed again (a rebuild, new settings, the clock).
    everything: bool,
    computed_at: Option<Instant>,
    /// How many parts the last update recomputed: files, tasks, global families. Lets tests
    /// prove that an edit's work does not grow with the workspace.
    pub last_work: (usize, usize, usize),
}

impl Default for IncrementalDiagnostics {
    fn default() -> Self {
        IncrementalDiagnostics {
            files: HashMap::new(),
            dirty_files: HashSet::new(),
            tasks: HashMap::new(),
            dirty_tasks: HashSet::new(),
            globals: HashMap::new(),
            cycles: None,
            cycle_tasks: HashSet::new(),
            everything: true,
            computed_at: None,
            last_work: (0, 0, 0),
        }
    }
}

/// What an edit must know about the task before it: the fields the global rules read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskFields {
    depends_on: Vec<TaskId>,
    status: Option<&'static str>,
    dri: Option<String>,
}

impl TaskFields {
    pub fn of(meta: &TaskMeta) -> TaskFields {
        let mut depends_on: Vec<TaskId> =
            meta.depends_on.iter().map(|item| item.id.clone()).collect();
        depends_on.sort();
        TaskFields {
            depends_on,
            status: meta.status().map(|status| status.name()),
            dri: meta.current_dri.clone(),
        }
    }
}

impl IncrementalDiagnostics {
    /// Forgets everything (after a rebuild of the model, or new settings).
    pub fn invalidate_all(&mut self) {
        self.everything = true;
    }

    /// Records that `file`'s text changed in place; `before` holds the fields of its task
    /// as they were, when the file is a card.
    pub fn file_changed(
        &mut self,
        workspace: &Workspace,
        file: FileId,
        before: Option<TaskFields>,
    ) {
        if self.everything {
            return;
        }
        self.dirty_files.insert(file);
        // Cached diagnostics elsewhere that point into this file (a cycle's edge, a WIP
        // limit's fellow tasks) hold byte ranges its edit may have moved.
        let points_here = |diagnostic: &Diagnostic| {
            diagnostic.file == file
                || diagnostic
                    .related
                    .iter()
                    .any(|related| related.file == file)
        };
        for (&idx, found) in &self.tasks {
            if found.iter().any(points_here) {
                self.dirty_tasks.insert(idx);
            }
        }
        self.globals
            .retain(|_, found| !found.iter().any(points_here));
        for component in self.cycles.iter().flatten() {
            if component.diagnostics.iter().any(points_here) {
                self.cycle_tasks.extend(component.members.iter().copied());
            }
        }
        let source = workspace.file(file);
        match &source.role {
            FileRole::Card | FileRole::Ledger => {
                let Some(idx) = workspace.task_idx_of_file(file) else {
                    return;
                };
                self.dirty_tasks.insert(idx);
                let task = workspace.task(idx);
                if source.role != FileRole::Card {
                    return;
                }
                // Tasks whose frontmatter names this one read its fields.
                for (other, _, kind) in workspace.mentions_of(task.root, &task.id) {
                    if let MentionKind::Field(_) = kind
                        && let Some(named_by) = workspace.task_idx_of_file(other)
                    {
                        self.dirty_tasks.insert(named_by);
                    }
                }
                let after = TaskFields::of(&task.meta);
                let Some(before) = before else {
                    self.globals.clear();
                    self.cycles = None;
                    return;
                };
                if before.depends_on != after.depends_on {
                    self.cycle_tasks.insert(idx);
                }
                if before.status != after.status || before.dri != after.dri {
                    self.globals.remove(&Global::Wip);
                }
            }
            // Every task's rows may have moved or changed: rare next to card edits.
            FileRole::StageIndex(_) | FileRole::RootIndex | FileRole::NamespaceIndex => {
                self.everything = true;
            }
            FileRole::IdCounter => {
                self.globals.remove(&Global::Counters);
            }
            // The policy sets WIP limits and every task's SLO; the registry every
            // reference's namespace.
            FileRole::WipPolicy | FileRole::Namespaces => self.everything = true,
            _ => {}
        }
    }

    /// Brings every stale part up to date and returns all diagnostics, configured.
    pub fn update(&mut self, workspace: &Workspace, config: &Config) -> Vec<Diagnostic> {
        if self
            .computed_at
            .is_some_and(|at| at.elapsed() >= CLOCK_REFRESH)
        {
            self.everything = true;
        }
        let mut work = (0, 0, 0);
        if self.everything {
            self.files.clear();
            self.tasks.clear();
            self.globals.clear();
            self.cycles = None;
            self.dirty_files = (0..workspace.files.len())
                .map(|i| FileId(i as u32))
                .collect();
            self.dirty_tasks = (0..workspace.tasks.len())
                .map(|i| TaskIdx(i as u32))
                .collect();
            self.everything = false;
            self.computed_at = Some(Instant::now());
        }
        let files: Vec<FileId> = std::mem::take(&mut self.dirty_files)
            .into_iter()
            .filter(|file| (file.0 as usize) < workspace.files.len())
            .collect();
        work.0 = files.len();
        for (file, found) in compute(files, |file| file_diagnostics(workspace, file, config)) {
            store(&mut self.files, file, found);
        }
        let tasks: Vec<TaskIdx> = std::mem::take(&mut self.dirty_tasks)
            .into_iter()
            .filter(|idx| (idx.0 as usize) < workspace.tasks.len())
            .collect();
        work.1 = tasks.len();
        for (idx, found) in compute(tasks, |idx| task_diagnostics(workspace, idx, config)) {
            store(&mut self.tasks, idx, found);
        }
        if self.update_cycles(workspace) {
            work.2 += 1;
        }
        for global in Global::ALL {
            if global == Global::Cycles {
                continue;
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = self.globals.entry(global) {
                slot.insert(global_family(workspace, global));
                work.2 += 1;
            }
        }
        self.last_work = work;
        let all: Vec<Diagnostic> = self
            .files
            .values()
            .chain(self.tasks.values())
            .chain(self.globals.values())
            .flatten()
            .chain(
                self.cycles
                    .iter()
                    .flatten()
                    .flat_map(|component| &component.diagnostics),
            )
            .cloned()
            .collect();
        configure(all, config)
    }

    /// Brings the cycles up to date; true when any were computed.
    ///
    /// A new cycle through an edited task A is what A reaches that also reaches A. Any cycle
    /// not through A existed before (its edges are unchanged), either as it is or as part of
    /// a cycle through A. So recomputing over A's new cycle, A's old cycle, and every old
    /// cycle that shares a task with the new one finds exactly the cycles that changed.
    fn update_cycles(&mut self, workspace: &Workspace) -> bool {
        let Some(cached) = self.cycles.as_mut() else {
            self.cycles = Some(components(workspace));
            self.cycle_tasks.clear();
            return true;
        };
        if self.cycle_tasks.is_empty() {
            return false;
        }
        let edited: Vec<TaskIdx> = std::mem::take(&mut self.cycle_tasks)
            .into_iter()
            .filter(|idx| (idx.0 as usize) < workspace.tasks.len())
            .collect();
        let mut affected: HashSet<usize> = edited.iter().map(|idx| idx.0 as usize).collect();
        for &idx in &edited {
            affected.extend(component_of(workspace, idx));
        }
        cached.retain(|component| {
            let touched = component
                .members
                .iter()
                .any(|member| affected.contains(&(member.0 as usize)));
            if touched {
                affected.extend(component.members.iter().map(|member| member.0 as usize));
            }
            !touched
        });
        cached.extend(components_among(workspace, &affected));
        true
    }
}

/// Runs `check` over `parts`: on every core when there are many (the first analysis, a
/// rebuild), on this thread for an edit's handful.
fn compute<K: Copy + Send + Sync>(
    parts: Vec<K>,
    check: impl Fn(K) -> Vec<Diagnostic> + Sync,
) -> Vec<(K, Vec<Diagnostic>)> {
    const PARALLEL_FROM: usize = 256;
    if parts.len() < PARALLEL_FROM {
        return parts.into_iter().map(|part| (part, check(part))).collect();
    }
    crate::parallel::parallel_map(parts, |part| (part, check(part)))
}

/// Keeps only parts that have diagnostics, so an edit's scan for diagnostics pointing into
/// the edited file costs the problems there are, not the size of the workspace.
fn store<K: std::hash::Hash + Eq>(
    cache: &mut HashMap<K, Vec<Diagnostic>>,
    key: K,
    found: Vec<Diagnostic>,
) {
    if found.is_empty() {
        cache.remove(&key);
    } else {
        cache.insert(key, found);
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::ide::diagnostics::workspace_diagnostics;
    use crate::ide::fixture::{COUNTER, ROOT, package, workspace};

    /// `tasks` tasks in `stage`, listed in the root index (and in the stage index when
    /// `stage_index`), 0002 depending on 0001.
    fn fixture(tasks: usize, stage: &str, stage_index: bool) -> String {
        let header = "| ID | Name | DRI | Stage | Status |\n|---|---|---|---|---|\n";
        let mut fixture = format!("{COUNTER}//- /INDEX.md\n{header}");
        for number in 1..=tasks {
            let row = format!("| {number:04} | Task {number:04} | @ana | {stage} | active |\n");
            fixture.push_str(&row);
        }
        if stage_index {
            let header = "| ID | Name | DRI | Status |\n|---|---|---|---|\n";
            fixture.push_str(&format!("//- /{stage}/INDEX.md\n{header}"));
            for number in 1..=tasks {
                fixture.push_str(&format!(
                    "| {number:04} | Task {number:04} | @ana | active |\n"
                ));
            }
        }
        for number in 1..=tasks {
            let links = match number {
                1 => "blocks: [\"TASK-0002\"]".to_string(),
                2 => "depends_on: [\"TASK-0001\"]".to_string(),
                _ => String::new(),
            };
            fixture.push_str(&package(&format!("{stage}/TASK-{number:04}-t"), &links));
        }
        fixture
    }

    /// Applies `edits` (card number, from, to) one by one, checking after each that the
    /// incremental result equals a from-scratch analysis of the same model; returns the
    /// work each update did.
    fn check_edits(
        fixture: &str,
        stage: &str,
        edits: &[(u32, &str, &str)],
    ) -> Vec<(usize, usize, usize)> {
        let mut model = workspace(fixture);
        let config = Config::default();
        let mut incremental = IncrementalDiagnostics::default();
        incremental.update(&model, &config);
        let mut work = Vec::new();
        for &(number, from, to) in edits {
            let card = format!("{stage}/TASK-{number:04}-t/{number:04}-t.task.md");
            let path = PathBuf::from(ROOT).join(card);
            let file = model.file_by_path(&path).unwrap();
            let before = model
                .task_of_file(file)
                .map(|task| TaskFields::of(&task.meta));
            let text = model.file(file).text.replacen(from, to, 1);
            assert!(model.update_text(&path, &text));
            incremental.file_changed(&model, file, before);
            let got = incremental.update(&model, &config);
            assert_eq!(
                got,
                workspace_diagnostics(&model, &config),
                "after {from} -> {to}"
            );
            work.push(incremental.last_work);
        }
        work
    }

    #[test]
    fn every_edit_equals_a_from_scratch_analysis() {
        // A busy `next` without a stage index: WIP, index and cycle diagnostics all point
        // into the cards being edited.
        check_edits(
            &fixture(8, "next", false),
            "next",
            &[
                (2, "[\"TASK-0001\"]", "[\"TASK-0009\"]"),
                (2, "[\"TASK-0009\"]", "[\"TASK-0001\"]"),
                (1, "status: \"active\"", "status: \"canceled\""),
                (1, "status: \"canceled\"", "status: \"paused\""),
                (3, "depends_on: []", "depends_on: [\"TASK-0004\"]"),
                (4, "depends_on: []", "depends_on: [\"TASK-0003\"]"),
                (4, "task_name: \"Task 0004\"", "task_name: \"Renamed\""),
                (5, "Do the thing.", "Do the thing after TASK-0001."),
                (6, "current_dri: \"@ana\"", "current_dri: \"@bo\""),
                (7, "stage: \"next\"", "stage: \"current\""),
            ],
        );
    }

    #[test]
    fn cycles_formed_merged_split_and_broken_equal_a_from_scratch_analysis() {
        let dep = |ids: &[u32]| {
            let items: Vec<String> = ids.iter().map(|n| format!("\"TASK-{n:04}\"")).collect();
            format!("depends_on: [{}]", items.join(", "))
        };
        let edits: Vec<(u32, String, String)> = vec![
            // Two cycles: 3 → 4 → 5 → 3 and 6 ⇄ 7.
            (3, dep(&[]), dep(&[4])),
            (4, dep(&[]), dep(&[5])),
            (5, dep(&[]), dep(&[3])),
            (6, dep(&[]), dep(&[7])),
            (7, dep(&[]), dep(&[6])),
            // Merged into one component through 5 → 6 and 6 → 3.
            (5, dep(&[3]), dep(&[3, 6])),
            (6, dep(&[7]), dep(&[7, 3])),
            // An edge dropped inside the component: still one.
            (5, dep(&[3, 6]), dep(&[6])),
            // Split: only 6 ⇄ 7 remains.
            (6, dep(&[7, 3]), dep(&[7])),
            // A self-dependency is its own rule; 6 → 7 no longer cycles.
            (7, dep(&[6]), dep(&[7])),
            // A task joining from outside, then everything broken.
            (8, dep(&[]), dep(&[3])),
            (5, dep(&[6]), dep(&[8])),
            (4, dep(&[5]), dep(&[])),
        ];
        let edits: Vec<(u32, &str, &str)> = edits
            .iter()
            .map(|(n, from, to)| (*n, from.as_str(), to.as_str()))
            .collect();
        let work = check_edits(&fixture(8, "backlog", true), "backlog", &edits);
        // Each depends_on edit recomputed the cycles, and nothing else global.
        assert!(work.iter().all(|&(_, _, globals)| globals == 1), "{work:?}");
    }

    #[test]
    fn a_body_edit_recomputes_one_file_and_one_task_whatever_the_size() {
        let edit = [(10, "Do the thing.", "Do the other thing.")];
        let small = check_edits(&fixture(20, "archived", true), "archived", &edit);
        let large = check_edits(&fixture(300, "archived", true), "archived", &edit);
        assert_eq!(small, vec![(1, 1, 0)]);
        assert_eq!(
            large, small,
            "an edit's work does not grow with the workspace"
        );
    }
}
