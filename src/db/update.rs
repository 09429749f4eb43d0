//! Changing the model in place: a new text for a file it holds is re-parsed alone; anything
//! structural (a file appearing, disappearing or moving) rebuilds from the model's own
//! inputs, so the model never needs the disk to change.

use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::db::layout::{self, is_interesting_name};
use crate::db::meta::TaskMeta;
use crate::db::{FileInput, LoadProblem, Parsed, RootInput, TaskIdx, Workspace, parse_file};
use crate::syntax::task_id::parse_folder_name;

/// The model's input: a change to the files of the tasks roots as the disk or an editor's
/// buffer now has them (what happened, not what should happen; compare the plans
/// `ide::source_change::SourceChange` and `transaction::DiskPlan`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelChange {
    /// The file now has this text (created or changed).
    Set { path: PathBuf, text: Arc<str> },
    /// The file now is `size` bytes, over the file cap, and starts with `head` (an editor
    /// buffer too large to analyse: see `FileInput::oversized`).
    SetOversized {
        path: PathBuf,
        size: u64,
        head: Arc<str>,
    },
    /// The file (or folder, with everything below it) is gone.
    Remove { path: PathBuf },
    /// Something is at `path` that was not read (a link, a pipe, a file that may not be
    /// opened): whatever the model held there and below is dropped, and the reason is kept
    /// for the diagnostics, as the loader's problems are.
    Unread { path: PathBuf, message: String },
    /// The folder exists, even with nothing inside: an empty task folder is still a task
    /// (one lacking its files), as the loader would find it.
    Folder { path: PathBuf },
}

impl ModelChange {
    /// The change giving the file at `path` the text `text`; `oversized` is the file's size
    /// when `text` is only its start (over the file cap).
    pub fn set(path: PathBuf, text: &str, oversized: Option<u64>) -> ModelChange {
        match oversized {
            Some(size) => ModelChange::SetOversized {
                path,
                size,
                head: Arc::from(text),
            },
            None => ModelChange::Set {
                path,
                text: Arc::from(text),
            },
        }
    }

    /// The file this change sets, as model input at `rel`; None for a removal.
    fn input(&self, rel: &str) -> Option<FileInput> {
        match self {
            ModelChange::Set { text, .. } => Some(FileInput::new(rel, text.as_bytes().to_vec())),
            ModelChange::SetOversized { size, head, .. } => {
                Some(FileInput::oversized(rel, *size, head.as_bytes()))
            }
            ModelChange::Remove { .. }
            | ModelChange::Unread { .. }
            | ModelChange::Folder { .. } => None,
        }
    }
}

impl Workspace {
    /// The tasks root containing `path`, and the path relative to it with `/` separators.
    ///
    /// A path that is not plain names below the root (`root/inbox/../../x`) lies in no root:
    /// it could name a place outside while looking as if it were inside.
    pub fn locate(&self, path: &Path) -> Option<(usize, String)> {
        self.roots.iter().enumerate().find_map(|(index, root)| {
            let rel = path.strip_prefix(&root.path).ok()?;
            let rel = rel
                .components()
                .map(|part| match part {
                    Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect::<Option<Vec<String>>>()?;
            Some((index, rel.join("/")))
        })
    }

    /// Whether the model is current about the folder at `path`: the deepest part of it that
    /// the loader lists (all of it, unless it is hidden or too deep) is a tasks root or a
    /// folder the model holds.
    pub fn folder_is_current(&self, path: &Path) -> bool {
        self.locate(path).is_some_and(|(root, rel)| {
            let mut listed = rel.as_str();
            while !listed.is_empty() && !loader_lists_folder(listed) {
                listed = listed.rsplit_once('/').map_or("", |(parent, _)| parent);
            }
            listed.is_empty()
                || self.roots[root]
                    .dirs
                    .binary_search(&listed.to_string())
                    .is_ok()
        })
    }

    /// Whether a file at `path` is one the loader would read: an interesting name in a folder
    /// it lists, below a tasks root.
    pub fn reads(&self, path: &Path) -> bool {
        self.locate(path).is_some_and(|(_, rel)| {
            rel.rsplit_once('/')
                .is_none_or(|(folder, _)| loader_lists_folder(folder))
                && is_interesting_name(layout::file_name(&rel))
        })
    }

    /// Replaces the text of a file the model holds, re-parsing only that file (and, for a
    /// card, refreshing its task's fields). Returns false when the model cannot take the
    /// change in place (a file it does not hold, a placeholder, a card whose task takes its
    /// ID from the card itself): the caller then applies it with [`Workspace::apply`].
    pub fn update_text(&mut self, path: &Path, text: &str) -> bool {
        self.update_content(path, text.as_bytes(), None)
    }

    /// [`Workspace::update_text`] for a file that may be over the file cap: `oversized` is
    /// its size when `bytes` holds only its start (see [`FileInput`]).
    pub fn update_content(&mut self, path: &Path, bytes: &[u8], oversized: Option<u64>) -> bool {
        let Some(file_id) = self.file_by_path(path) else {
            return false;
        };
        let file = &self.files[file_id.0 as usize];
        if !file.exists {
            return false;
        }
        let owner = self.task_idx_of_file(file_id).map(|idx| idx.0 as usize);
        let is_card = owner.is_some_and(|index| self.tasks[index].card == Some(file_id));
        if is_card
            && let Some(index) = owner
            && parse_folder_name(&self.tasks[index].folder_name).is_none()
        {
            return false;
        }
        let (text, invalid_utf8, parsed) = parse_file(&file.role, &file.rel, bytes, oversized);
        let file = &mut self.files[file_id.0 as usize];
        file.line_index = OnceLock::new();
        file.text = text;
        file.invalid_utf8 = invalid_utf8;
        file.parsed = parsed;
        if is_card && let Some(index) = owner {
            let namespace = self.tasks[index].id.namespace.clone();
            let meta = match &self.files[file_id.0 as usize].parsed {
                Parsed::Card(card) => card
                    .frontmatter
                    .block()
                    .map(|block| TaskMeta::from_frontmatter(block, namespace.as_deref()))
                    .unwrap_or_default(),
                _ => TaskMeta::default(),
            };
            self.tasks[index].meta = meta;
        }
        if let Some(index) = owner
            && self.tasks[index].ledger == Some(file_id)
        {
            // The one timeline read from this ledger; every other task's stays as built.
            self.timelines.forget(TaskIdx(index as u32));
        }
        self.reindex_mentions(file_id);
        true
    }

    /// Applies changes the in-place path cannot take by rebuilding every root from the
    /// model's current texts with the changes laid over them.
    pub fn apply(&mut self, changes: &[ModelChange]) {
        *self = Workspace::build(self.inputs_with(changes));
    }

    /// What rebuilds this model with `changes` laid over it: [`Workspace::apply`] without
    /// the build, so that the build can run elsewhere while this model keeps answering.
    pub fn inputs_with(&self, changes: &[ModelChange]) -> Vec<RootInput> {
        let mut inputs = self.inputs();
        for change in changes {
            // What the loader could not read at this path is known better now. (A folder
            // appearing says nothing about the files below it.)
            let known = match change {
                ModelChange::Set { path, .. }
                | ModelChange::SetOversized { path, .. }
                | ModelChange::Remove { path }
                | ModelChange::Unread { path, .. } => Some(path),
                ModelChange::Folder { .. } => None,
            };
            if let Some((root, rel)) = known.and_then(|path| self.locate(path)) {
                let below = format!("{rel}/");
                inputs[root]
                    .problems
                    .retain(|problem| problem.rel != rel && !problem.rel.starts_with(&below));
            }
            match change {
                ModelChange::Set { path, .. } | ModelChange::SetOversized { path, .. } => {
                    let Some((root, rel)) = self.locate(path) else {
                        continue;
                    };
                    if let Some(file) = change.input(&rel) {
                        inputs[root].put_file(file);
                    }
                }
                ModelChange::Remove { path } | ModelChange::Unread { path, .. } => {
                    let Some((root, rel)) = self.locate(path) else {
                        continue;
                    };
                    let input = &mut inputs[root];
                    let below = format!("{rel}/");
                    input
                        .files
                        .retain(|file| file.rel != rel && !file.rel.starts_with(&below));
                    input
                        .dirs
                        .retain(|dir| *dir != rel && !dir.starts_with(&below));
                    if let ModelChange::Unread { message, .. } = change {
                        input.problems.push(LoadProblem {
                            rel,
                            message: message.clone(),
                        });
                    }
                }
                ModelChange::Folder { path } => {
                    let Some((root, rel)) = self.locate(path) else {
                        continue;
                    };
                    if rel.is_empty() {
                        continue;
                    }
                    // As if a file lay in it: the folders the loader lists are added.
                    add_parent_dirs(&mut inputs[root].dirs, &format!("{rel}/"));
                }
            }
        }
        for input in &mut inputs {
            input.tidy();
        }
        inputs
    }

    /// The inputs that rebuild this model: each root's folders and the current text of every
    /// file that exists.
    pub fn inputs(&self) -> Vec<RootInput> {
        let mut inputs: Vec<RootInput> = self
            .roots
            .iter()
            .map(|root| RootInput {
                path: root.path.clone(),
                dirs: root.dirs.clone(),
                files: Vec::new(),
                problems: root.layout_problems.clone(),
            })
            .collect();
        for file in self.files.iter().filter(|file| file.exists) {
            // A file over the cap keeps being one: its text here is only its start.
            let input = match file.parsed {
                Parsed::Oversized { size } => {
                    FileInput::oversized(file.rel.clone(), size, file.text.as_bytes())
                }
                _ => FileInput::new(file.rel.clone(), file.text.as_bytes().to_vec()),
            };
            inputs[file.root].files.push(input);
        }
        inputs
    }
}

impl RootInput {
    /// Adds a file (replacing one at the same path) with the folders it lies in: a file
    /// known only from an editor's buffer still makes its folder a task folder, and so does
    /// a file the model does not read (which is left out, as the loader leaves it, like
    /// anything in a folder the loader does not list).
    pub fn put_file(&mut self, file: FileInput) {
        add_parent_dirs(&mut self.dirs, &file.rel);
        let listed = file
            .rel
            .rsplit_once('/')
            .is_none_or(|(folder, _)| loader_lists_folder(folder));
        if !listed || !is_interesting_name(layout::file_name(&file.rel)) {
            return;
        }
        self.files.retain(|other| other.rel != file.rel);
        self.files.push(file);
    }

    /// Sorts files and folders as the loader lists them, after changes.
    pub fn tidy(&mut self) {
        self.files.sort_by(|a, b| a.rel.cmp(&b.rel));
        self.dirs.sort();
        self.dirs.dedup();
    }
}

/// Whether the loader lists the folder at `rel` (every folder on the way is one it lists).
fn loader_lists_folder(rel: &str) -> bool {
    rel.split('/')
        .enumerate()
        .all(|(depth, name)| layout::is_listed_folder(name, depth))
}

/// Adds the folders `rel` lies in, as far down as the loader lists them.
fn add_parent_dirs(dirs: &mut Vec<String>, rel: &str) {
    let mut at = 0;
    while let Some(slash) = rel[at..].find('/') {
        let folder = &rel[..at + slash];
        if !loader_lists_folder(folder) {
            return;
        }
        dirs.push(folder.to_string());
        at += slash + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::diagnostics::workspace_diagnostics;
    use crate::ide::fixture::{COUNTER, ROOT, package, workspace};
    use crate::ide::types::{Config, Rule};

    fn rules(workspace: &Workspace) -> Vec<(String, Rule)> {
        workspace_diagnostics(workspace, &Config::default())
            .into_iter()
            .map(|d| (workspace.file(d.file).rel.clone(), d.rule))
            .filter(|(_, rule)| !rule.name().starts_with("index"))
            .collect()
    }

    fn fixture() -> String {
        format!(
            "{COUNTER}{}{}",
            package("backlog/TASK-0001-a", "depends_on: [\"TASK-0002\"]"),
            package("backlog/TASK-0002-b", "blocks: [\"TASK-0001\"]"),
        )
    }

    #[test]
    fn editing_a_card_in_place_equals_a_rebuild() {
        let mut incremental = workspace(&fixture());
        let card = PathBuf::from(ROOT).join("backlog/TASK-0001-a/0001-a.task.md");
        let text = incremental
            .file(incremental.file_by_path(&card).unwrap())
            .text
            .to_string();
        let broken = text.replace("[\"TASK-0002\"]", "[\"TASK-0009\"]");
        assert!(incremental.update_text(&card, &broken));
        let from_scratch = workspace(&fixture().replace("[\"TASK-0002\"]\n", "[\"TASK-0009\"]\n"));
        assert_eq!(rules(&incremental), rules(&from_scratch));
        assert!(rules(&incremental).contains(&(
            "backlog/TASK-0001-a/0001-a.task.md".to_string(),
            Rule::MissingDependency
        )));
    }

    #[test]
    fn a_keystroke_re_parses_one_file_whatever_the_workspace_size() {
        let mut fixture = String::from(COUNTER);
        for number in 1..=200 {
            fixture.push_str(&package(&format!("archived/TASK-{number:04}-t"), ""));
        }
        let mut model = workspace(&fixture);
        let card = PathBuf::from(ROOT).join("archived/TASK-0100-t/0100-t.task.md");
        let text = model
            .file(model.file_by_path(&card).unwrap())
            .text
            .replace("Task 0100", "Renamed");
        let before = crate::db::PARSES.with(|count| count.get());
        assert!(model.update_text(&card, &text));
        let after = crate::db::PARSES.with(|count| count.get());
        assert_eq!(after - before, 1, "an edit re-parses the edited file only");
    }

    #[test]
    fn a_file_over_the_cap_stays_over_it_through_edits_and_rebuilds() {
        let mut model = workspace(&fixture());
        let card = PathBuf::from(ROOT).join("backlog/TASK-0001-a/0001-a.task.md");
        let text = model
            .file(model.file_by_path(&card).unwrap())
            .text
            .to_string();
        let size = crate::db::MAX_FILE_BYTES as u64 * 4;
        assert!(model.update_content(&card, text.as_bytes(), Some(size)));
        let oversized = |model: &Workspace| {
            let file = model.file(model.file_by_path(&card).unwrap());
            (file.is_oversized(), file.text.to_string())
        };
        assert_eq!(oversized(&model), (true, "---".to_string()));
        // A rebuild (here: another file appears) keeps what it knows of the file.
        model.apply(&[ModelChange::Set {
            path: PathBuf::from(ROOT).join("backlog/TASK-0003-c/0003.ledger.jsonl"),
            text: Arc::from(""),
        }]);
        assert_eq!(oversized(&model), (true, "---".to_string()));
        assert!(rules(&model).contains(&(
            "backlog/TASK-0001-a/0001-a.task.md".to_string(),
            Rule::ResourceLimit
        )));
        assert_eq!(rules(&Workspace::build(model.inputs())), rules(&model));
        // Back under the cap, it is analysed again.
        assert!(model.update_text(&card, &text));
        assert_eq!(oversized(&model), (false, text));
        assert!(
            !rules(&model)
                .iter()
                .any(|(_, rule)| *rule == Rule::ResourceLimit)
        );
    }

    #[test]
    fn changes_reach_only_the_folders_the_loader_reads() {
        // The same files, read by the loader and added as changes, make the same folders and
        // files: hidden folders and folders deeper than the layouts go are skipped by both.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("tasks");
        let rels = [
            "backlog/TASK-0001-a/0001-a.task.md",
            "backlog/.hidden/TASK-0002-b/0002-b.task.md",
            ".trash/TASK-0003-c/0003-c.task.md",
            "fw/backlog/TASK-FW-0004-d/FW-0004-d.task.md",
            "fw/backlog/TASK-FW-0005-e/deeper/0005-e.task.md",
            "backlog/TASK-0006-f/sub/notes.md",
            "ID_COUNTER.txt",
        ];
        for rel in rels {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        let hidden = root.join("inbox/.hidden/TASK-0007-g");
        std::fs::create_dir_all(&hidden).unwrap();
        let loaded = Workspace::build(vec![crate::loader::load_root(&root)]);
        let mut changed = Workspace::build(vec![RootInput {
            path: root.clone(),
            ..RootInput::default()
        }]);
        let changes: Vec<ModelChange> = rels
            .iter()
            .map(|rel| ModelChange::Set {
                path: root.join(rel),
                text: Arc::from("x"),
            })
            .chain([ModelChange::Folder { path: hidden }])
            .collect();
        changed.apply(&changes);
        assert_eq!(changed.roots[0].dirs, loaded.roots[0].dirs);
        let rels = |workspace: &Workspace| -> Vec<String> {
            let mut rels: Vec<String> = workspace
                .files
                .iter()
                .filter(|file| file.exists)
                .map(|file| file.rel.clone())
                .collect();
            rels.sort();
            rels
        };
        assert_eq!(rels(&changed), rels(&loaded));
    }

    #[test]
    fn structural_changes_rebuild_from_the_model_itself() {
        let mut model = workspace(&fixture());
        let new_ledger = PathBuf::from(ROOT).join("backlog/TASK-0003-c/0003.ledger.jsonl");
        assert!(!model.update_text(&new_ledger, "{}"));
        model.apply(&[
            ModelChange::Remove {
                path: PathBuf::from(ROOT).join("backlog/TASK-0002-b"),
            },
            ModelChange::Set {
                path: new_ledger,
                text: Arc::from(""),
            },
        ]);
        let found = rules(&model);
        assert!(found.contains(&(
            "backlog/TASK-0001-a/0001-a.task.md".to_string(),
            Rule::MissingDependency
        )));
        assert!(found.contains(&(
            "backlog/TASK-0003-c/0003.ledger.jsonl".to_string(),
            Rule::PackageFileMissing
        )));
    }
}
