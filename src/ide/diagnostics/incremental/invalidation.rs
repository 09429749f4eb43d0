//! What an edit reaches: the fields of a file that other parts read, taken just before the
//! edit, and the parts the edit (or the clock) marks for recomputing.

use std::sync::Arc;

use crate::db::mentions::MentionKind;
use crate::db::meta::TaskMeta;
use crate::db::{FileId, FileRole, TaskIdx, Workspace};
use crate::ide::diagnostics::Global;
use crate::ide::diagnostics::incremental::{IncrementalDiagnostics, Part};
use crate::syntax::task_id::TaskId;

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

impl IncrementalDiagnostics {
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
                    // The proposals file of no task: the root's task drafts.
                    if source.role == FileRole::Proposals {
                        self.dirty.insert(Part::Global(Global::Drafts(source.root)));
                    }
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
