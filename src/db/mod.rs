//! The workspace model: every file of every tasks root, parsed once, and the cross-file index
//! (task ID -> task) the rules and features query.
//!
//! Input is plain data (relative paths, directories and bytes) so the model is built the same
//! way from disk (see `loader`), from an editor's buffers, or from a test fixture.

pub mod events;
pub mod flow;
pub mod graph;
pub mod index_row;
pub mod layout;
pub mod mentions;
pub mod meta;
pub mod metrics;
mod path_index;
pub mod proposals;
pub mod slo;
pub mod task_order;
pub mod timeline;
pub mod update;
pub mod vocab;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::base::{LineIndex, TextRange};
use crate::syntax::card::{Card, parse_card, parse_card_frontmatter};
use crate::syntax::index_table::{ParsedIndex, parse_index};
use crate::syntax::ledger::{Ledger, parse_shared_ledger};
use crate::syntax::limits::MAX_PROSE_REFS;
use crate::syntax::proposals::{Proposals, parse_proposals};
use crate::syntax::task_id::{TaskId, TextRef, scan_refs_at_most};
use crate::syntax::wip_policy::{WipPolicy, parse_wip_policy};
use crate::syntax::yaml::{YamlNode, YamlValue, parse_yaml};

pub use layout::FileRole;
use meta::TaskMeta;
use vocab::Stage;

/// Files larger than this are not read or parsed; they get a diagnostic instead (SPEC §8).
pub use crate::syntax::limits::MAX_FILE_BYTES;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskIdx(pub u32);

/// One tasks root as handed to the model.
#[derive(Clone, Debug, Default)]
pub struct RootInput {
    /// The tasks root folder (`…/.work/tasks`).
    pub path: PathBuf,
    /// Folders below the root, relative with `/` separators.
    pub dirs: Vec<String>,
    /// Files below the root that the layout says are worth reading.
    pub files: Vec<FileInput>,
    /// Things the loader could not read (permissions, symlinks), for diagnostics.
    pub problems: Vec<LoadProblem>,
}

#[derive(Clone, Debug)]
pub struct FileInput {
    pub rel: String,
    pub bytes: Vec<u8>,
    /// Set for a file over the file cap, to its size in bytes: `bytes` then holds only the
    /// start of its first line, which is all the model keeps of a file it does not analyse.
    pub oversized: Option<u64>,
}

impl FileInput {
    pub fn new(rel: impl Into<String>, bytes: Vec<u8>) -> FileInput {
        FileInput {
            rel: rel.into(),
            bytes,
            oversized: None,
        }
    }

    /// A file over the file cap, known by its size and its first bytes (at least the
    /// first line's start, as far as `limits::head` keeps it).
    pub fn oversized(rel: impl Into<String>, size: u64, first_bytes: &[u8]) -> FileInput {
        FileInput {
            rel: rel.into(),
            bytes: crate::syntax::limits::head(first_bytes).as_bytes().to_vec(),
            oversized: Some(size),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadProblem {
    pub rel: String,
    pub message: String,
}

/// A file's text and what it was parsed into.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    /// Path relative to its tasks root, with `/` separators.
    pub rel: String,
    pub root: usize,
    pub role: FileRole,
    pub text: Arc<str>,
    /// Built on first use (see [`SourceFile::line_index`]).
    pub(crate) line_index: OnceLock<LineIndex>,
    /// False for placeholders standing for a file that should exist but does not, so that a
    /// diagnostic about its absence has somewhere to live.
    pub exists: bool,
    /// Where the first byte that is not UTF-8 was (as an offset into `text`, which holds a
    /// U+FFFD there); None for a file that decoded cleanly. A file over the file cap is
    /// `Parsed::Oversized` instead.
    pub invalid_utf8: Option<usize>,
    pub parsed: Parsed,
}

#[derive(Debug, Default)]
pub enum Parsed {
    Card(Box<Card>),
    Ledger(Ledger),
    Proposals(Proposals),
    Index(ParsedIndex),
    WipPolicy(WipPolicy),
    Namespaces(Result<Option<YamlNode>, crate::syntax::yaml::YamlError>),
    /// Contexts and learning files: just their references.
    Refs(Vec<TextRef>),
    /// Over the file cap: not analysed. The file's `text` is only the start of its first line,
    /// where the `resource-limit` diagnostic goes.
    Oversized {
        size: u64,
    },
    #[default]
    Nothing,
}

impl SourceFile {
    /// The file's lines, for converting offsets to positions. Built on first use: only files
    /// with something to report or ask about ever need one, and building it for every file of
    /// a large workspace at load was a fifth of the parsing time.
    pub fn line_index(&self) -> &LineIndex {
        self.line_index.get_or_init(|| LineIndex::new(&self.text))
    }

    /// Whether the file is over the file cap, so that nothing of it was read.
    pub fn is_oversized(&self) -> bool {
        matches!(self.parsed, Parsed::Oversized { .. })
    }
}

/// One task package (a `TASK-…` folder).
#[derive(Debug)]
pub struct Task {
    pub root: usize,
    /// The ID the folder name gives, else the card file name, else the card's `task_id`.
    pub id: TaskId,
    pub folder: String,
    pub folder_name: String,
    pub slug: Option<String>,
    pub stage: Stage,
    pub card: Option<FileId>,
    pub context: Option<FileId>,
    pub ledger: Option<FileId>,
    pub learning: Option<FileId>,
    /// `<id>.proposals.jsonl`, once an agent has proposed something.
    pub proposals: Option<FileId>,
    pub meta: TaskMeta,
}

impl Task {
    /// The package files the task has: card, context, ledger, learning, proposals.
    pub fn files(&self) -> impl Iterator<Item = FileId> {
        [
            self.card,
            self.context,
            self.ledger,
            self.learning,
            self.proposals,
        ]
        .into_iter()
        .flatten()
    }

    pub fn namespace(&self) -> Option<&str> {
        self.id.namespace.as_deref()
    }
}

/// An index file and whose tasks it lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFile {
    pub file: FileId,
    /// None for a root or namespace-root index (all stages).
    pub stage: Option<Stage>,
    /// The namespace folder it belongs to (per-namespace or hybrid layouts).
    pub namespace_dir: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterFile {
    pub file: FileId,
    /// None for the repository-wide counter.
    pub namespace: Option<String>,
}

#[derive(Debug, Default)]
pub struct TasksRoot {
    pub path: PathBuf,
    pub tasks: Vec<TaskIdx>,
    pub indexes: Vec<IndexFile>,
    pub counters: Vec<CounterFile>,
    pub namespaces_file: Option<FileId>,
    /// Namespaces declared in NAMESPACES.yaml (None when there is no registry).
    pub declared_namespaces: Option<Vec<String>>,
    pub wip_policy: Option<FileId>,
    /// Namespace folders of the per-namespace layout (`fw/inbox/...`).
    pub namespace_dirs: Vec<String>,
    /// Every folder below the root, as loaded (kept so the model can rebuild itself).
    pub dirs: Vec<String>,
    /// Stage names that exist as files instead of folders, and other layout problems.
    pub layout_problems: Vec<LoadProblem>,
}

impl TasksRoot {
    /// The counter that reserves IDs of `namespace`: its own, else the repository-wide one.
    pub fn counter_for(&self, namespace: Option<&str>) -> Option<&CounterFile> {
        namespace
            .and_then(|ns| {
                self.counters
                    .iter()
                    .find(|counter| counter.namespace.as_deref() == Some(ns))
            })
            .or_else(|| {
                self.counters
                    .iter()
                    .find(|counter| counter.namespace.is_none())
            })
    }
}

/// The whole analysed workspace.
#[derive(Debug, Default)]
pub struct Workspace {
    pub files: Vec<SourceFile>,
    pub roots: Vec<TasksRoot>,
    pub tasks: Vec<Task>,
    /// Every (tasks root, task ID) to the tasks that carry it; more than one is a duplicate.
    /// IDs are scoped by root: two repositories opened together may both have a TASK-0001.
    pub by_id: HashMap<(usize, TaskId), Vec<TaskIdx>>,
    /// Each file's task mentions, ordered by position (see `mentions`).
    pub(crate) mentions: HashMap<FileId, Vec<mentions::Mention>>,
    /// Every mention of each task.
    pub(crate) mentioned: mentions::MentionIndex,
    mention_context: mentions::MentionContext,
    /// The task each package file belongs to.
    file_task: HashMap<FileId, TaskIdx>,
    by_path: path_index::PathIndex,
    /// Built on first use (see [`Workspace::task_order`]).
    task_order: OnceLock<task_order::TaskOrder>,
    /// Each task's timeline, built on first use (see [`Workspace::timeline`]).
    pub(crate) timelines: timeline::TimelineCache,
}

impl Workspace {
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn task(&self, idx: TaskIdx) -> &Task {
        &self.tasks[idx.0 as usize]
    }

    /// The tasks root `path` lies below (or is).
    pub fn root_containing(&self, path: &Path) -> Option<&TasksRoot> {
        self.roots.iter().find(|root| path.starts_with(&root.path))
    }

    pub fn file_by_path(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(&self.files, path)
    }

    pub fn card(&self, task: &Task) -> Option<&Card> {
        match &self.file(task.card?).parsed {
            Parsed::Card(card) => Some(card),
            _ => None,
        }
    }

    /// Whether the task's frontmatter fields were read: not when its card is missing, over a
    /// cap, or not valid YAML. Rules about what another task's card says skip one whose
    /// fields are unknown rather than report it as empty.
    pub fn fields_known(&self, task: &Task) -> bool {
        self.card(task)
            .and_then(|card| card.frontmatter.block())
            .is_some_and(|block| block.error.is_none())
    }

    /// The task's proposals, when it has a proposals file that was read.
    pub fn proposals(&self, task: &Task) -> Option<&Proposals> {
        match &self.file(task.proposals?).parsed {
            Parsed::Proposals(proposals) => Some(proposals),
            _ => None,
        }
    }

    pub fn ledger(&self, task: &Task) -> Option<&Ledger> {
        match &self.file(task.ledger?).parsed {
            Parsed::Ledger(ledger) => Some(ledger),
            _ => None,
        }
    }

    /// Every task of `root` carrying `id`.
    pub fn owners(&self, root: usize, id: &TaskId) -> &[TaskIdx] {
        self.by_id
            .get(&(root, id.clone()))
            .map_or(&[], Vec::as_slice)
    }

    /// The task a card, context, ledger or learning file belongs to.
    pub fn task_of_file(&self, file: FileId) -> Option<&Task> {
        self.task_idx_of_file(file).map(|idx| self.task(idx))
    }

    /// The index of the task a package file belongs to.
    pub fn task_idx_of_file(&self, file: FileId) -> Option<TaskIdx> {
        self.file_task.get(&file).copied()
    }

    /// What the loader found at `rel` below tasks root `root` but did not read (a link, a
    /// pipe, a file it may not open): something is there, so it is neither absent nor to be
    /// created.
    pub fn load_problem(&self, root: usize, rel: &str) -> Option<&LoadProblem> {
        self.roots[root]
            .layout_problems
            .iter()
            .find(|problem| problem.rel == rel)
    }

    /// The load problems of the entries directly inside folder `rel_dir` of tasks root
    /// `root`, with their names.
    pub fn load_problems_in<'w>(
        &'w self,
        root: usize,
        rel_dir: &'w str,
    ) -> impl Iterator<Item = (&'w str, &'w LoadProblem)> + 'w {
        self.roots[root]
            .layout_problems
            .iter()
            .filter_map(move |problem| {
                let (parent, name) = problem.rel.rsplit_once('/').unwrap_or(("", &problem.rel));
                (parent == rel_dir).then_some((name, problem))
            })
    }

    /// A file of `role` (card, context, ledger) in `task`'s folder that the loader found but
    /// did not read, with its name.
    pub fn unread_package_file<'w>(
        &'w self,
        task: &'w Task,
        role: FileRole,
    ) -> Option<(&'w str, &'w LoadProblem)> {
        self.load_problems_in(task.root, &task.folder)
            .find(|(name, _)| layout::package_role(name) == role)
    }

    /// The tasks of every root by namespace, stage and number (see `task_order`): built on
    /// the first request that needs it, and valid for this model's life, since nothing it is
    /// keyed by changes in place.
    pub fn task_order(&self) -> &task_order::TaskOrder {
        self.task_order
            .get_or_init(|| task_order::TaskOrder::build(self))
    }

    /// The first task of `root` carrying `id` (resolution target of a reference).
    pub fn lookup_in(&self, root: usize, id: &TaskId) -> Option<&Task> {
        self.owners(root, id).first().map(|&idx| self.task(idx))
    }

    /// Builds the model from loaded roots, decoding and parsing files in parallel.
    pub fn build(inputs: Vec<RootInput>) -> Workspace {
        let mut workspace = Workspace::default();
        for (root_index, input) in inputs.into_iter().enumerate() {
            layout::add_root(&mut workspace, root_index, input);
        }
        workspace.index_files();
        workspace.index_mentions();
        workspace
    }

    /// The model of the flow engine's commands (`query`, `report`): as [`Workspace::build`]
    /// but without the mention index, which only the editor's features and the rules follow
    /// (building it costs a scan of every file for task references).
    /// `cards` says whether the cards' bodies are read (the reports quote sections; the
    /// queries read fields only).
    pub fn build_for_flow(inputs: Vec<RootInput>, cards: CardReading) -> Workspace {
        let mut workspace = Workspace::default();
        for (root_index, input) in inputs.into_iter().enumerate() {
            layout::add_root_reading(&mut workspace, root_index, input, cards);
        }
        workspace.index_files();
        workspace
    }

    /// Fills the file-to-task index.
    fn index_files(&mut self) {
        // `by_path` is already complete: every file went in through `push_file`.
        self.file_task.reserve(self.files.len());
        for (index, task) in self.tasks.iter().enumerate() {
            for file in task.files() {
                self.file_task.insert(file, TaskIdx(index as u32));
            }
        }
    }

    /// Adds a file that does not exist on disk, for a diagnostic about its absence.
    pub(crate) fn placeholder(&mut self, root: usize, rel: &str, role: FileRole) -> FileId {
        let path = self.roots[root].path.join(rel);
        if let Some(existing) = self.file_by_path(&path) {
            return existing;
        }
        self.push_file(SourceFile {
            path,
            rel: rel.to_string(),
            root,
            role,
            text: Arc::from(""),
            line_index: OnceLock::new(),
            exists: false,
            invalid_utf8: None,
            parsed: Parsed::Nothing,
        })
    }

    fn push_file(&mut self, file: SourceFile) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(file);
        self.by_path.insert(&self.files, id);
        id
    }
}

/// How much of each card a model parses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CardReading {
    /// Frontmatter and body: what the rules and the editor's features read.
    #[default]
    Whole,
    /// The frontmatter only (see `syntax::card::parse_card_frontmatter`).
    FrontmatterOnly,
}

/// Decodes and parses one file according to its role. Pure, so it runs on any thread.
/// `oversized` is the file's size when `bytes` holds only its start (see [`FileInput`]); a
/// file handed in whole is checked against its kind's file cap (by its path `rel`) here.
pub fn parse_file(
    role: &FileRole,
    rel: &str,
    bytes: &[u8],
    oversized: Option<u64>,
) -> (Arc<str>, Option<usize>, Parsed) {
    parse_file_reading(role, rel, bytes, oversized, CardReading::Whole)
}

/// [`parse_file`], reading as much of a card as `cards` says.
pub fn parse_file_reading(
    role: &FileRole,
    rel: &str,
    bytes: &[u8],
    oversized: Option<u64>,
    cards: CardReading,
) -> (Arc<str>, Option<usize>, Parsed) {
    #[cfg(test)]
    PARSES.with(|count| count.set(count.get() + 1));
    let cap = crate::syntax::limits::file_cap(rel);
    let oversized = oversized.or((bytes.len() > cap).then_some(bytes.len() as u64));
    if let Some(size) = oversized {
        let head = crate::syntax::limits::head(bytes);
        return (Arc::from(head), None, Parsed::Oversized { size });
    }
    let (text, invalid_utf8) = match std::str::from_utf8(bytes) {
        Ok(text) => (Arc::<str>::from(text), None),
        // Lossy decoding keeps the valid prefix as it is, so the offset holds in the text.
        Err(error) => (
            Arc::<str>::from(String::from_utf8_lossy(bytes).as_ref()),
            Some(error.valid_up_to()),
        ),
    };
    let parsed = match role {
        FileRole::Card => Parsed::Card(Box::new(match cards {
            CardReading::Whole => parse_card(&text),
            CardReading::FrontmatterOnly => parse_card_frontmatter(&text),
        })),
        FileRole::Ledger => Parsed::Ledger(parse_shared_ledger(&text)),
        FileRole::Proposals => Parsed::Proposals(parse_proposals(&text)),
        // One reference past the cap is kept, so the cap's report can point at it; the
        // mention index reads only the first MAX_PROSE_REFS.
        FileRole::Context | FileRole::Learning => {
            Parsed::Refs(scan_refs_at_most(&text, 0, MAX_PROSE_REFS + 1))
        }
        FileRole::StageIndex(_) | FileRole::RootIndex | FileRole::NamespaceIndex => {
            Parsed::Index(parse_index(&text))
        }
        FileRole::WipPolicy => Parsed::WipPolicy(parse_wip_policy(&text)),
        FileRole::Namespaces => Parsed::Namespaces(parse_yaml(&text, 0)),
        FileRole::IdCounter | FileRole::CardVersion | FileRole::Other => Parsed::Nothing,
    };
    (text, invalid_utf8, parsed)
}

#[cfg(test)]
thread_local! {
    /// How many files this thread has parsed: lets tests prove a keystroke re-parses one
    /// file, deterministically, where a timing would be noise.
    pub(crate) static PARSES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Namespaces declared in a parsed NAMESPACES.yaml: the keys of its `namespaces:` mapping.
pub fn declared_namespaces(root: &YamlNode) -> Vec<(String, TextRange)> {
    let YamlValue::Map(entries) = &root.value else {
        return Vec::new();
    };
    entries
        .iter()
        .filter(|(key, _)| key.as_str() == Some("namespaces"))
        .flat_map(|(_, value)| match &value.value {
            YamlValue::Map(namespaces) => namespaces
                .iter()
                .filter_map(|(name, _)| name.as_str().map(|n| (n.to_string(), name.range)))
                .collect(),
            YamlValue::Seq(items) => items
                .iter()
                .filter_map(|item| item.as_str().map(|n| (n.to_string(), item.range)))
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}
