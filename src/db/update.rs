//! Changing the model in place: a new text for a file it holds is re-parsed alone; anything
//! structural (a file appearing, disappearing or moving) rebuilds from the model's own
//! inputs, so the model never needs the disk to change.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::base::LineIndex;
use crate::db::layout::is_interesting_name;
use crate::db::meta::TaskMeta;
use crate::db::{FileInput, LoadProblem, Parsed, RootInput, Workspace, parse_file};
use crate::syntax::task_id::parse_folder_name;

/// A change to the files of the tasks roots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileChange {
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
}

impl FileChange {
    /// The file this change sets, as model input at `rel`; None for a removal.
    fn input(&self, rel: &str) -> Option<FileInput> {
        match self {
            FileChange::Set { text, .. } => Some(FileInput::new(rel, text.as_bytes().to_vec())),
            FileChange::SetOversized { size, head, .. } => {
                Some(FileInput::oversized(rel, *size, head.as_bytes()))
            }
            FileChange::Remove { .. } | FileChange::Unread { .. } => None,
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
        let (text, invalid_utf8, parsed) = parse_file(&file.role, bytes, oversized);
        let file = &mut self.files[file_id.0 as usize];
        file.line_index = LineIndex::new(&text);
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
        self.reindex_mentions(file_id);
        true
    }

    /// Applies changes the in-place path cannot take by rebuilding every root from the
    /// model's current texts with the changes laid over them.
    pub fn apply(&mut self, changes: &[FileChange]) {
        let mut inputs = self.inputs();
        for change in changes {
            // What the loader could not read at this path is known better now.
            let path = match change {
                FileChange::Set { path, .. }
                | FileChange::SetOversized { path, .. }
                | FileChange::Remove { path }
                | FileChange::Unread { path, .. } => path,
            };
            if let Some((root, rel)) = self.locate(path) {
                let below = format!("{rel}/");
                inputs[root]
                    .problems
                    .retain(|problem| problem.rel != rel && !problem.rel.starts_with(&below));
            }
            match change {
                FileChange::Set { path, .. } | FileChange::SetOversized { path, .. } => {
                    let Some((root, rel)) = self.locate(path) else {
                        continue;
                    };
                    let name = rel.rsplit('/').next().unwrap_or(&rel);
                    if !is_interesting_name(name) {
                        continue;
                    }
                    let input = &mut inputs[root];
                    input.files.retain(|file| file.rel != rel);
                    input.files.extend(change.input(&rel));
                    add_parent_dirs(&mut input.dirs, &rel);
                }
                FileChange::Remove { path } | FileChange::Unread { path, .. } => {
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
                    if let FileChange::Unread { message, .. } = change {
                        input.problems.push(LoadProblem {
                            rel,
                            message: message.clone(),
                        });
                    }
                }
            }
        }
        for input in &mut inputs {
            input.files.sort_by(|a, b| a.rel.cmp(&b.rel));
            input.dirs.sort();
            input.dirs.dedup();
        }
        *self = Workspace::build(inputs);
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

fn add_parent_dirs(dirs: &mut Vec<String>, rel: &str) {
    let mut at = 0;
    while let Some(slash) = rel[at..].find('/') {
        dirs.push(rel[..at + slash].to_string());
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
        model.apply(&[FileChange::Set {
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
    fn structural_changes_rebuild_from_the_model_itself() {
        let mut model = workspace(&fixture());
        let new_ledger = PathBuf::from(ROOT).join("backlog/TASK-0003-c/0003.ledger.jsonl");
        assert!(!model.update_text(&new_ledger, "{}"));
        model.apply(&[
            FileChange::Remove {
                path: PathBuf::from(ROOT).join("backlog/TASK-0002-b"),
            },
            FileChange::Set {
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
