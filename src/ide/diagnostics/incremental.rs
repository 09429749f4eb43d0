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

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::db::graph::component_of;
use crate::db::mentions::MentionKind;
use crate::db::meta::TaskMeta;
use crate::db::{FileId, FileRole, TaskIdx, Workspace};
use crate::ide::diagnostics::cycles::{components, components_among};
use crate::ide::diagnostics::{
    Global, StageTasks, configure, file_diagnostics, global_family, slo_diagnostics, task_rules,
};
use crate::ide::types::{Config, Diagnostic};
use crate::syntax::task_id::TaskId;

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

/// What an edit must know about a file before it changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Before {
    /// The text, to find where the edit begins: positions before it keep their line and
    /// column.
    text: Arc<str>,
    fields: BeforeFields,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum BeforeFields {
    /// A card: the fields of its task the global rules read.
    Card(TaskFields),
    /// An INDEX.md: the tasks its rows named.
    Index(Vec<TaskIdx>),
    Other,
}

impl Before {
    pub fn of(workspace: &Workspace, file: FileId) -> Before {
        let fields = match workspace.file(file).role {
            FileRole::StageIndex(_) | FileRole::RootIndex | FileRole::NamespaceIndex => {
                BeforeFields::Index(listed_tasks(workspace, file))
            }
            _ => match workspace.task_of_file(file) {
                Some(task) if task.card == Some(file) => {
                    BeforeFields::Card(TaskFields::of(&task.meta))
                }
                _ => BeforeFields::Other,
            },
        };
        Before {
            text: workspace.file(file).text.clone(),
            fields,
        }
    }
}

/// The fields of a task that the global rules read.
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

/// The tasks an index's rows name (what its edits can change the rows of).
fn listed_tasks(workspace: &Workspace, file: FileId) -> Vec<TaskIdx> {
    let root = workspace.file(file).root;
    let mut tasks: Vec<TaskIdx> = workspace
        .mentions_in(file)
        .iter()
        .filter(|mention| mention.kind == MentionKind::IndexRow)
        .flat_map(|mention| workspace.owners(root, &mention.id).iter().copied())
        .collect();
    tasks.sort();
    tasks.dedup();
    tasks
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

    /// Records that `file`'s text changed in place; `before` is what [`Before::of`] said of
    /// it just before.
    pub fn file_changed(&mut self, workspace: &Workspace, file: FileId, before: Before) {
        if self.everything {
            return;
        }
        let text = &workspace.file(file).text;
        let first_change = common_prefix(&before.text, text);
        let first_change = self
            .edited
            .get(&file)
            .map_or(first_change, |&earlier| earlier.min(first_change));
        self.edited.insert(file, first_change);
        self.dirty.insert(Part::File(file));
        // Cached diagnostics elsewhere that point into this file (a cycle's edge, a WIP
        // limit's fellow tasks) hold byte ranges its edit may have moved.
        for &part in self.touching.get(&file).into_iter().flatten() {
            match part {
                Part::Cycle(id) => {
                    let members = self.cycles.as_ref().and_then(|cycles| cycles.get(&id));
                    self.cycle_tasks.extend(members.into_iter().flatten());
                }
                part => {
                    self.dirty.insert(part);
                }
            }
        }
        let source = workspace.file(file);
        match &source.role {
            FileRole::Card | FileRole::Ledger | FileRole::Proposals => {
                let Some(idx) = workspace.task_idx_of_file(file) else {
                    return;
                };
                self.dirty.insert(Part::Task(idx));
                self.dirty.insert(Part::Slo(idx));
                let task = workspace.task(idx);
                if source.role != FileRole::Card {
                    return;
                }
                // Tasks whose frontmatter names this one read its fields.
                for (other, _, kind) in workspace.mentions_of(task.root, &task.id) {
                    if let MentionKind::Field(_) = kind
                        && let Some(named_by) = workspace.task_idx_of_file(other)
                    {
                        self.dirty.insert(Part::Task(named_by));
                    }
                }
                let after = TaskFields::of(&task.meta);
                let BeforeFields::Card(before) = before.fields else {
                    // Not known to be this task's card before: assume every field moved.
                    self.cycles = None;
                    self.dirty
                        .extend(Global::all(workspace).into_iter().map(Part::Global));
                    return;
                };
                if before.depends_on != after.depends_on {
                    self.cycle_tasks.insert(idx);
                }
                if before.status != after.status || before.dri != after.dri {
                    self.dirty
                        .insert(Part::Global(Global::Wip(task.root, task.stage)));
                }
            }
            // The index's own table, and every task whose rows it held or holds now.
            FileRole::StageIndex(_) | FileRole::RootIndex | FileRole::NamespaceIndex => {
                self.dirty.insert(Part::Global(Global::Index(file)));
                let before = match before.fields {
                    BeforeFields::Index(tasks) => tasks,
                    _ => Vec::new(),
                };
                let after = listed_tasks(workspace, file);
                self.dirty
                    .extend(before.into_iter().chain(after).map(Part::Task));
            }
            FileRole::IdCounter => {
                self.dirty
                    .insert(Part::Global(Global::Counters(source.root)));
            }
            // The policy sets WIP limits and every task's SLO; the registry every
            // reference's namespace.
            FileRole::WipPolicy | FileRole::Namespaces => self.everything = true,
            _ => {}
        }
    }

    /// The clock moved to `now` (which the next update's `Config::now` must hold): the SLO
    /// parts whose result changes by then are recomputed at the next update, no others.
    pub fn clock_moved(&mut self, now: i64) {
        while let Some(&(when, idx)) = self.slo_due.first()
            && when <= now
        {
            self.slo_due.pop_first();
            self.slo_next.remove(&idx);
            self.dirty.insert(Part::Slo(idx));
        }
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

    /// Brings the cycles up to date; true when any were searched for.
    ///
    /// A new cycle through an edited task A is what A reaches that also reaches A. Any cycle
    /// not through A existed before (its edges are unchanged), either as it is or as part of
    /// a cycle through A. So recomputing over A's new cycle, A's old cycle, and every old
    /// cycle that shares a task with the new one finds exactly the cycles that changed.
    fn update_cycles(
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

/// How many leading bytes two texts share, at a character boundary. Compared a block at a
/// time, so even a large file costs a memory comparison, not a loop per byte.
fn common_prefix(old: &str, new: &str) -> u32 {
    const BLOCK: usize = 4096;
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let len = a.len().min(b.len());
    let mut shared = 0;
    while shared + BLOCK <= len && a[shared..shared + BLOCK] == b[shared..shared + BLOCK] {
        shared += BLOCK;
    }
    while shared < len && a[shared] == b[shared] {
        shared += 1;
    }
    while !new.is_char_boundary(shared) {
        shared -= 1;
    }
    shared as u32
}

/// Whether a part still names something of the workspace (ids beyond it are from before a
/// rebuild that has not been analysed yet).
fn exists(workspace: &Workspace, part: Part) -> bool {
    match part {
        Part::File(file) => (file.0 as usize) < workspace.files.len(),
        Part::Task(idx) | Part::Slo(idx) => (idx.0 as usize) < workspace.tasks.len(),
        Part::Global(Global::Counters(root)) | Part::Global(Global::Wip(root, _)) => {
            root < workspace.roots.len()
        }
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::ide::diagnostics::workspace_diagnostics;
    use crate::ide::fixture::{COUNTER, ROOT, package, workspace};
    use crate::syntax::time::{format_rfc3339, parse_rfc3339};

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

    /// Replays `edits` (file, from, to) on the model, checking after each that the kept
    /// diagnostics equal a from-scratch analysis, and that every file whose list changed is
    /// in the delta; returns the work of each update.
    fn check_file_edits(
        fixture: &str,
        config: &Config,
        edits: &[(String, &str, &str)],
    ) -> Vec<Work> {
        let mut model = workspace(fixture);
        let mut incremental = IncrementalDiagnostics::default();
        incremental.update(&model, config);
        let mut work = Vec::new();
        for (rel, from, to) in edits {
            let path = PathBuf::from(ROOT).join(rel);
            let file = model.file_by_path(&path).unwrap();
            let lists_before: Vec<Vec<Diagnostic>> = (0..model.files.len() as u32)
                .map(|i| incremental.file(FileId(i), config))
                .collect();
            let before = Before::of(&model, file);
            let text = model.file(file).text.replacen(from, to, 1);
            assert_ne!(&*text, &*model.file(file).text, "{from} is in {rel}");
            assert!(model.update_text(&path, &text));
            incremental.file_changed(&model, file, before);
            let delta = incremental.update(&model, config);
            assert!(!delta.everything);
            let fresh = workspace_diagnostics(&model, config);
            assert_eq!(incremental.all(config), fresh, "after {from} -> {to}");
            for (i, listed) in lists_before.iter().enumerate() {
                let id = FileId(i as u32);
                let now: Vec<Diagnostic> = fresh.iter().filter(|d| d.file == id).cloned().collect();
                assert_eq!(incremental.file(id, config), now);
                if *listed != now {
                    assert!(
                        delta.files.contains(&id),
                        "{id:?} changed, not in the delta"
                    );
                }
            }
            assert!(
                delta.files.contains(&file),
                "the edited file is in the delta"
            );
            work.push(incremental.last_work);
        }
        work
    }

    /// [`check_file_edits`] on the cards of `stage`: (card number, from, to).
    fn check_edits(fixture: &str, stage: &str, edits: &[(u32, &str, &str)]) -> Vec<Work> {
        let edits: Vec<(String, &str, &str)> = edits
            .iter()
            .map(|&(number, from, to)| {
                let card = format!("{stage}/TASK-{number:04}-t/{number:04}-t.task.md");
                (card, from, to)
            })
            .collect();
        check_file_edits(fixture, &Config::default(), &edits)
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
        // Each depends_on edit searched the cycles again, and recomputed no global part.
        assert!(
            work.iter()
                .all(|work| work.cycles == 1 && work.globals == 0),
            "{work:?}"
        );
    }

    #[test]
    fn index_edits_recompute_that_index_and_the_tasks_it_lists() {
        let fixture = fixture(6, "backlog", true);
        let work = check_file_edits(
            &fixture,
            &Config::default(),
            &[
                // A stale cell, a phantom row, a row removed, then all put back.
                ("backlog/INDEX.md".into(), "| Task 0003 |", "| Old name |"),
                ("backlog/INDEX.md".into(), "| 0006 |", "| 0009 |"),
                (
                    "INDEX.md".into(),
                    "| 0002 | Task 0002 | @ana | backlog | active |\n",
                    "",
                ),
                ("backlog/INDEX.md".into(), "| Old name |", "| Task 0003 |"),
            ],
        );
        // The stage index lists six tasks (seven while the phantom row is there).
        assert_eq!(work[0].tasks, 6, "{work:?}");
        assert_eq!(work[0].globals, 1, "{work:?}");
    }

    /// A backlog task whose ledger entered backlog at `entered` (epoch seconds).
    fn entered_backlog(number: u32, entered: i64) -> String {
        let package = package(&format!("backlog/TASK-{number:04}-t"), "");
        let created = "{\"ts\":\"2026-03-02T09:00:00Z\",\"user\":\"@ana\",\"event\":\"created\",\"desc\":\"Created\"}\n";
        let ts = format_rfc3339(entered);
        let verified = format!(
            "{{\"ts\":\"{ts}\",\"user\":\"@ana\",\"event\":\"verified\",\"desc\":\"d\"}}\n"
        );
        assert!(package.contains(created));
        package.replace(created, &format!("{created}{verified}"))
    }

    #[test]
    fn a_minute_of_time_recomputes_only_the_slos_it_changes() {
        const HOUR: i64 = 3600;
        // Backlog's default SLO: a target of 7 days, a violation threshold of 14.
        let target = 7 * 24 * HOUR;
        let t0 = parse_rfc3339("2026-05-01T10:00:00Z").unwrap();
        let fixture = [
            // Passes its target 30 s into the minute.
            entered_backlog(1, t0 + 30 - target - HOUR),
            // Over its target; its hours tick over 40 s into the minute.
            entered_backlog(2, t0 + 40 - target - 5 * HOUR),
            // Over its target, with no hour ending in the minute.
            entered_backlog(3, t0 - 1800 - target - 3 * HOUR),
            // Far from its target.
            entered_backlog(4, t0 - HOUR),
        ]
        .concat();
        let model = workspace(&format!("{COUNTER}{fixture}"));
        let at = |now: i64| Config {
            now,
            ..Config::default()
        };
        let mut incremental = IncrementalDiagnostics::default();
        incremental.update(&model, &at(t0));
        assert_eq!(incremental.next_clock_change(), Some(t0 + 30));
        let mut recomputed = Vec::new();
        let mut published = Vec::new();
        for second in 1..=60 {
            incremental.clock_moved(t0 + second);
            let delta = incremental.update(&model, &at(t0 + second));
            assert_eq!(
                incremental.all(&at(t0 + second)),
                workspace_diagnostics(&model, &at(t0 + second)),
                "at {second} s"
            );
            let work = incremental.last_work;
            assert_eq!(
                (work.files, work.tasks, work.globals, work.cycles),
                (0, 0, 0, 0),
                "only clock-dependent parts are recomputed"
            );
            if work.slos > 0 {
                recomputed.push((second, work.slos));
                published.push((second, delta.files.len()));
            }
        }
        // Task 1 at 30 s, task 2 at 40 s; nothing else in the minute.
        assert_eq!(recomputed, vec![(30, 1), (40, 1)]);
        assert_eq!(published, vec![(30, 1), (40, 1)]);
        // The next change is task 3's next hour, 30 minutes on.
        assert_eq!(incremental.next_clock_change(), Some(t0 + 1800));
    }

    #[test]
    fn a_body_edit_recomputes_one_file_and_one_task_whatever_the_size() {
        let edit = [(10, "Do the thing.", "Do the other thing.")];
        let small = check_edits(&fixture(20, "archived", true), "archived", &edit);
        let large = check_edits(&fixture(300, "archived", true), "archived", &edit);
        let expected = Work {
            files: 1,
            tasks: 1,
            slos: 1,
            delta: 1,
            ..Work::default()
        };
        assert_eq!(small, vec![expected]);
        assert_eq!(
            large, small,
            "an edit's work does not grow with the workspace"
        );
    }
}
