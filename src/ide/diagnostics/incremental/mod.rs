//! Diagnostics kept up to date edit by edit, and reported as a delta: which files' lists
//! changed. Each part of the analysis is cached with what it depends on, an edit invalidates
//! only the parts it can change, and only the files those parts report into are handed on.
//!
//! - A file's own rules depend on its text alone.
//! - A task's cross-file rules depend on its files and the tasks it names, so an edit to
//!   task A invalidates A and the tasks whose frontmatter names A (from the mention index).
//! - A task's clock-dependent rules (SLOs) are a part of their own, recomputed when its files
//!   change or when the clock passes the moment their result next changes; never a sweep.
//! - The global families are split into small parts, each reading a few fields: a root's
//!   counters, one stage's WIP, one INDEX.md's table. An edit that leaves those fields alone
//!   leaves them cached. (A task's own index rows are checked with the task.)
//! - Cycles are kept per cycle: a `depends_on` edit recomputes only the cycles the edited task
//!   was or now is on, and those they merge with (see [`IncrementalDiagnostics::update`]).
//!
//! Which parts an edit reaches, and which parts make up a file's list, come from one index
//! ([`IncrementalDiagnostics::touching`]), so neither walks the workspace's diagnostics.
//!
//! This module keeps the parts and brings them up to date; `invalidation` says what an edit
//! reaches, `cycles` keeps the cycle parts.

mod cycles;
mod invalidation;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::db::{FileId, TaskIdx, Workspace};
use crate::ide::diagnostics::{
    Global, StageTasks, configure, file_diagnostics, global_family, slo_diagnostics, task_rules,
};
use crate::ide::types::{Config, Diagnostic};

pub use invalidation::Before;

/// A unit of the workspace's diagnostics, cached and recomputed whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// A file's own rules.
    File(FileId),
    /// A task's cross-file rules.
    Task(TaskIdx),
    /// A task's clock-dependent rules.
    Slo(TaskIdx),
    Global(Global),
    /// One dependency cycle, numbered as it was found.
    Cycle(u32),
}

/// How much the last update did, so tests can show that an edit's work follows the edit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Work {
    pub files: usize,
    pub tasks: usize,
    pub slos: usize,
    pub globals: usize,
    /// Cycle searches (0 or 1: all cycles, or those around the edited tasks).
    pub cycles: usize,
    /// Files in the delta.
    pub delta: usize,
}

/// What changed since the last update.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Delta {
    /// Everything was computed afresh (a rebuild, new settings): file ids may have moved, so
    /// a publisher must also revisit every file it published before.
    pub everything: bool,
    /// The files whose diagnostics may differ from what was last reported, or whose text
    /// changed (their positions must be converted again), in order.
    pub files: Vec<FileId>,
}

/// A count kept by reads that may run on several threads at once (a publisher converting
/// many files on every core).
#[derive(Debug, Default)]
pub struct ReadCount(AtomicUsize);

impl ReadCount {
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    fn add_one(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Debug)]
pub struct IncrementalDiagnostics {
    /// Each part's diagnostics, before configuration; parts without any are left out.
    parts: HashMap<Part, Vec<Diagnostic>>,
    /// For each file, the parts with a diagnostic on it or a related location in it: what
    /// an edit to the file invalidates, and what the file's list is gathered from.
    touching: HashMap<FileId, HashSet<Part>>,
    dirty: HashSet<Part>,
    /// Members of each cycle; None when every cycle must be found again.
    cycles: Option<HashMap<u32, Vec<TaskIdx>>>,
    next_cycle: u32,
    /// Tasks whose cycles must be found again (their depends_on changed, or a cycle they are
    /// on reports into an edited file).
    cycle_tasks: HashSet<TaskIdx>,
    /// When each task's SLO result next changes by the clock alone, both ways round.
    slo_next: HashMap<TaskIdx, i64>,
    slo_due: BTreeSet<(i64, TaskIdx)>,
    stage_tasks: StageTasks,
    /// Files whose text changed since the last update, with the first byte that changed.
    edited: HashMap<FileId, u32>,
    /// Set when everything must be computed again (a rebuild, new settings).
    everything: bool,
    /// What the last update did.
    pub last_work: Work,
    /// How many kept diagnostics [`IncrementalDiagnostics::file`] has read, all told: a
    /// file's list must cost that file's diagnostics, never the workspace's.
    pub read: ReadCount,
}

impl Default for IncrementalDiagnostics {
    fn default() -> Self {
        IncrementalDiagnostics {
            parts: HashMap::new(),
            touching: HashMap::new(),
            dirty: HashSet::new(),
            cycles: None,
            next_cycle: 0,
            cycle_tasks: HashSet::new(),
            slo_next: HashMap::new(),
            slo_due: BTreeSet::new(),
            stage_tasks: StageTasks::default(),
            edited: HashMap::new(),
            everything: true,
            last_work: Work::default(),
            read: ReadCount::default(),
        }
    }
}

impl IncrementalDiagnostics {
    /// Forgets everything (after a rebuild of the model, or new settings).
    pub fn invalidate_all(&mut self) {
        self.everything = true;
    }

    /// The earliest moment at which some diagnostic changes by the clock alone.
    pub fn next_clock_change(&self) -> Option<i64> {
        self.slo_due.first().map(|&(when, _)| when)
    }

    /// Brings every stale part up to date and says which files' diagnostics changed.
    pub fn update(&mut self, workspace: &Workspace, config: &Config) -> Delta {
        let everything = std::mem::take(&mut self.everything);
        if everything {
            self.start_over(workspace);
        }
        let mut work = Work::default();
        let mut changed: BTreeSet<FileId> = BTreeSet::new();
        let edited = std::mem::take(&mut self.edited);
        let dirty: Vec<Part> = std::mem::take(&mut self.dirty)
            .into_iter()
            .filter(|part| exists(workspace, *part))
            .collect();
        for part in &dirty {
            match part {
                Part::File(_) => work.files += 1,
                Part::Task(_) => work.tasks += 1,
                Part::Slo(_) => work.slos += 1,
                Part::Global(_) => work.globals += 1,
                Part::Cycle(_) => {}
            }
        }
        // In batches, so that a full analysis never holds every part's result at once.
        const BATCH: usize = 4096;
        for batch in dirty.chunks(BATCH) {
            let computed = compute(batch.to_vec(), |part| {
                compute_part(workspace, &self.stage_tasks, config, part)
            });
            for (part, found, next_change) in computed {
                if let Part::Slo(idx) = part {
                    self.schedule(idx, next_change);
                }
                self.store(part, found, &edited, &mut changed);
            }
        }
        if self.update_cycles(workspace, &edited, &mut changed) {
            work.cycles = 1;
        }
        changed.extend(edited.keys());
        let files: Vec<FileId> = changed
            .into_iter()
            .filter(|file| (file.0 as usize) < workspace.files.len())
            .collect();
        work.delta = files.len();
        self.last_work = work;
        Delta { everything, files }
    }

    /// The current diagnostics of one file, configured and in order: gathered from the
    /// parts that touch it, so the cost is that file's diagnostics, not the workspace's.
    pub fn file(&self, file: FileId, config: &Config) -> Vec<Diagnostic> {
        let found: Vec<Diagnostic> = self
            .touching
            .get(&file)
            .into_iter()
            .flatten()
            .filter_map(|part| self.parts.get(part))
            .flatten()
            .inspect(|_| self.read.add_one())
            .filter(|diagnostic| diagnostic.file == file)
            .cloned()
            .collect();
        configure(found, config)
    }

    /// Every diagnostic of the workspace, configured and in order (for tests and checks).
    pub fn all(&self, config: &Config) -> Vec<Diagnostic> {
        configure(self.parts.values().flatten().cloned().collect(), config)
    }

    /// Drops every cached part and marks every part of `workspace` for computing.
    fn start_over(&mut self, workspace: &Workspace) {
        self.parts.clear();
        self.touching.clear();
        self.cycles = None;
        self.cycle_tasks.clear();
        self.slo_next.clear();
        self.slo_due.clear();
        self.edited.clear();
        self.stage_tasks = StageTasks::of(workspace);
        self.dirty.clear();
        self.dirty
            .extend((0..workspace.files.len() as u32).map(|i| Part::File(FileId(i))));
        for i in 0..workspace.tasks.len() as u32 {
            self.dirty.insert(Part::Task(TaskIdx(i)));
            self.dirty.insert(Part::Slo(TaskIdx(i)));
        }
        self.dirty
            .extend(Global::all(workspace).into_iter().map(Part::Global));
    }

    fn schedule(&mut self, idx: TaskIdx, next_change: Option<i64>) {
        if let Some(old) = self.slo_next.remove(&idx) {
            self.slo_due.remove(&(old, idx));
        }
        if let Some(when) = next_change {
            self.slo_next.insert(idx, when);
            self.slo_due.insert((when, idx));
        }
    }

    /// Replaces a part's diagnostics, keeps the `touching` index true, and adds to `changed`
    /// the files whose lists differ, or whose diagnostics point into an edited file (their
    /// related positions must be converted again).
    fn store(
        &mut self,
        part: Part,
        found: Vec<Diagnostic>,
        edited: &HashMap<FileId, u32>,
        changed: &mut BTreeSet<FileId>,
    ) {
        let old = self.parts.remove(&part).unwrap_or_default();
        // Most parts of a workspace have nothing to say, before and after.
        if old.is_empty() && found.is_empty() {
            return;
        }
        if old.is_empty() {
            changed.extend(found.iter().map(|diagnostic| diagnostic.file));
        } else if old != found {
            changed.extend(files_differing(&old, &found));
        }
        // Positions from the first changed byte on may have moved to other lines even
        // where the byte offsets are the same.
        for diagnostic in found.iter().filter(|_| !edited.is_empty()) {
            let moved = diagnostic.related.iter().any(|related| {
                edited
                    .get(&related.file)
                    .is_some_and(|&first_change| related.range.end >= first_change)
            });
            if moved {
                changed.insert(diagnostic.file);
            }
        }
        let old_files = touched_files(&old);
        let new_files = touched_files(&found);
        for file in old_files.difference(&new_files) {
            if let Some(parts) = self.touching.get_mut(file) {
                parts.remove(&part);
                if parts.is_empty() {
                    self.touching.remove(file);
                }
            }
        }
        for &file in new_files.difference(&old_files) {
            self.touching.entry(file).or_default().insert(part);
        }
        if !found.is_empty() {
            self.parts.insert(part, found);
        }
    }
}

/// Whether a part still names something of the workspace (ids beyond it are from before a
/// rebuild that has not been analysed yet).
fn exists(workspace: &Workspace, part: Part) -> bool {
    match part {
        Part::File(file) => (file.0 as usize) < workspace.files.len(),
        Part::Task(idx) | Part::Slo(idx) => (idx.0 as usize) < workspace.tasks.len(),
        Part::Global(Global::Counters(root))
        | Part::Global(Global::Wip(root, _))
        | Part::Global(Global::Drafts(root)) => root < workspace.roots.len(),
        Part::Global(Global::Index(file)) => (file.0 as usize) < workspace.files.len(),
        Part::Cycle(_) => false,
    }
}

fn compute_part(
    workspace: &Workspace,
    stage_tasks: &StageTasks,
    config: &Config,
    part: Part,
) -> (Vec<Diagnostic>, Option<i64>) {
    match part {
        Part::File(file) => (file_diagnostics(workspace, file, config), None),
        Part::Task(idx) => (task_rules(workspace, idx), None),
        Part::Slo(idx) => slo_diagnostics(workspace, idx, config),
        Part::Global(global) => (global_family(workspace, stage_tasks, global), None),
        Part::Cycle(_) => (Vec::new(), None),
    }
}

/// Runs `check` over `parts`: on every core when there are many (the first analysis, a
/// rebuild), on this thread for an edit's handful.
fn compute(
    parts: Vec<Part>,
    check: impl Fn(Part) -> (Vec<Diagnostic>, Option<i64>) + Sync,
) -> Vec<(Part, Vec<Diagnostic>, Option<i64>)> {
    const PARALLEL_FROM: usize = 256;
    let run = |part: Part| {
        let (found, next_change) = check(part);
        (part, found, next_change)
    };
    if parts.len() < PARALLEL_FROM {
        return parts.into_iter().map(run).collect();
    }
    crate::parallel::parallel_map(parts, run)
}

/// The files a list of diagnostics lies in or points into.
fn touched_files(diagnostics: &[Diagnostic]) -> HashSet<FileId> {
    diagnostics
        .iter()
        .flat_map(|diagnostic| {
            std::iter::once(diagnostic.file)
                .chain(diagnostic.related.iter().map(|related| related.file))
        })
        .collect()
}

/// The files whose own diagnostics differ between two lists of one part.
fn files_differing(old: &[Diagnostic], new: &[Diagnostic]) -> Vec<FileId> {
    fn by_file(list: &[Diagnostic]) -> Vec<&Diagnostic> {
        let mut sorted: Vec<&Diagnostic> = list.iter().collect();
        sorted.sort_by_key(|diagnostic| diagnostic.file);
        sorted
    }
    fn in_file<'l, 'd>(list: &'l [&'d Diagnostic], file: FileId) -> &'l [&'d Diagnostic] {
        let start = list.partition_point(|d| d.file < file);
        let end = list.partition_point(|d| d.file <= file);
        &list[start..end]
    }
    let (old, new) = (by_file(old), by_file(new));
    let mut files: BTreeSet<FileId> = old.iter().chain(&new).map(|d| d.file).collect();
    files.retain(|&file| in_file(&old, file) != in_file(&new, file));
    files.into_iter().collect()
}
