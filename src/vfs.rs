//! The file system as the server sees it: changes on disk reconciled into changes of the
//! model, with open buffers laid over the disk. Beside `loader.rs`, the only place that
//! touches `std::fs`; it knows nothing of LSP (buffers reach it as plain texts).
//!
//! A change the model can take in place (a file's new text) is handed back to the caller;
//! everything else (folders appearing or going, files the model does not hold yet, files
//! that can no longer be read) waits here as a [`ModelChange`] for the next rebuild.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::db::layout::is_interesting_name;
use crate::db::update::ModelChange;
use crate::db::{FileInput, LoadProblem, RootInput, Workspace};
use crate::{loader, roots};

/// An open buffer's text as the model takes it: whole, or only its start when the buffer is
/// over the file cap (with its size).
pub type BufferText = (String, Option<u64>);

/// The open buffers, which stand for their files whatever the disk says.
pub trait Buffers {
    fn paths(&self) -> Vec<&Path>;
    /// A buffer's text as the model takes it.
    fn model_text(&self, path: &Path) -> Option<BufferText>;
    /// A buffer's whole text.
    fn whole_text(&self, path: &Path) -> Option<String>;
}

/// The structural changes waiting for the next rebuild, and what was found on the way.
#[derive(Debug, Default)]
pub struct Vfs {
    structural: Vec<ModelChange>,
    /// Folders that appeared, read when the rebuild starts (see [`Vfs::take_changes`]).
    new_folders: Vec<PathBuf>,
    /// Things that could not be read, for the log.
    problems: Vec<String>,
}

impl Vfs {
    /// Whether nothing waits for a rebuild.
    pub fn is_idle(&self) -> bool {
        self.structural.is_empty() && self.new_folders.is_empty()
    }

    /// How many changes wait (to tell whether a call queued one).
    pub fn queued(&self) -> usize {
        self.structural.len() + self.new_folders.len()
    }

    /// Forgets every waiting change (everything is being read again).
    pub fn clear(&mut self) {
        self.structural.clear();
        self.new_folders.clear();
    }

    /// What could not be read since the last call, one line each.
    pub fn take_problems(&mut self) -> Vec<String> {
        std::mem::take(&mut self.problems)
    }

    /// A file's text the model cannot take in place: it joins the next rebuild.
    pub fn queue_text(&mut self, path: &Path, text: &str, oversized: Option<u64>) {
        self.structural
            .push(ModelChange::set(path.to_path_buf(), text, oversized));
    }

    /// Re-reads what is at `path` now; returns a file's text for the model to take in place
    /// (when it can), and queues anything else. The path comes from a file-watcher event or
    /// a client, not from a listing of the root, so it is checked the way the loader's walk
    /// is guaranteed: plain names below the root, no link on the way (a link to a folder
    /// outside would otherwise be read through as if it were inside), and files opened
    /// without following a link or blocking on a pipe.
    pub fn reload(&mut self, workspace: &Workspace, path: &Path) -> Option<BufferText> {
        let (root, rel) = workspace.locate(path)?;
        let root_path = workspace.roots[root].path.clone();
        if let Err(problem) = loader::check_confined(&root_path, &rel) {
            self.unread(&root_path, problem);
            return None;
        }
        match std::fs::symlink_metadata(path) {
            Ok(metadata) if metadata.is_dir() => {
                // A folder appeared (a checkout, a move): read it all again.
                self.structural.push(ModelChange::Remove {
                    path: path.to_path_buf(),
                });
                self.new_folders.push(path.to_path_buf());
                None
            }
            Ok(_) => {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                if !name.is_some_and(|name| is_interesting_name(&name)) {
                    // Not read, but it tells of its folder.
                    self.note_folders_above(workspace, path);
                    return None;
                }
                match loader::read_confined(&root_path, &rel) {
                    Ok(Some(file)) => Some((
                        String::from_utf8_lossy(&file.bytes).into_owned(),
                        file.oversized,
                    )),
                    Ok(None) => {
                        self.structural.push(ModelChange::Remove {
                            path: path.to_path_buf(),
                        });
                        None
                    }
                    Err(problem) => {
                        self.unread(&root_path, problem);
                        None
                    }
                }
            }
            // Gone (or a link, which is never followed).
            Err(_) => {
                let gone = highest_gone(workspace, path);
                self.structural
                    .push(ModelChange::Remove { path: gone.clone() });
                self.note_folders_above(workspace, &gone);
                None
            }
        }
    }

    /// Records the folder around `path` when the model does not know it. Some clients report
    /// a new folder's files and not the folder; when those files are ones the model does not
    /// read, or are already gone again, the event is all that tells of the folder. A task
    /// folder left empty is not a task, as for the loader (a move's claim looks the same).
    pub fn note_folders_above(&mut self, workspace: &Workspace, path: &Path) {
        let Some(parent) = path.parent() else {
            return;
        };
        if workspace
            .locate(parent)
            .is_some_and(|(_, rel)| !rel.is_empty())
            && loader::is_task_folder_being_created(parent)
        {
            self.structural.push(ModelChange::Remove {
                path: parent.to_path_buf(),
            });
            return;
        }
        // With structural changes waiting, the model may still hold a folder they remove.
        let known = self.structural.is_empty() && workspace.folder_is_current(parent);
        if !known && std::fs::symlink_metadata(parent).is_ok_and(|meta| meta.is_dir()) {
            self.structural.push(ModelChange::Folder {
                path: parent.to_path_buf(),
            });
        }
    }

    /// Every waiting change, the new folders read now, with the open buffers laid over them:
    /// a folder removed or moved away under an open card does not take the buffer's text
    /// with it. None when nothing waits.
    ///
    /// Folders are read here, after the quiet spell, rather than when their event arrives:
    /// the file watcher starts watching a new folder only after it has reported it, so files
    /// moved in during that gap send no event and only a later read finds them.
    pub fn take_changes(
        &mut self,
        workspace: &Workspace,
        buffers: &dyn Buffers,
    ) -> Option<Vec<ModelChange>> {
        for folder in std::mem::take(&mut self.new_folders) {
            self.add_folder(workspace, &folder, buffers);
        }
        if self.structural.is_empty() {
            return None;
        }
        let mut changes = std::mem::take(&mut self.structural);
        let removed: Vec<PathBuf> = changes
            .iter()
            .filter_map(|change| match change {
                ModelChange::Remove { path } => Some(path.clone()),
                _ => None,
            })
            .collect();
        for path in buffers.paths() {
            if removed.iter().any(|gone| path.starts_with(gone))
                && let Some(text) = buffers.whole_text(path)
            {
                changes.push(ModelChange::Set {
                    path: path.to_path_buf(),
                    text: Arc::from(text),
                });
            }
        }
        Some(changes)
    }

    /// Logs what could not be read and drops whatever the model held there.
    fn unread(&mut self, root: &Path, problem: LoadProblem) {
        let path = root.join(&problem.rel);
        self.problems
            .push(format!("{}: {}", path.display(), problem.message));
        self.structural.push(ModelChange::Unread {
            path,
            message: problem.message,
        });
    }

    /// Queues every folder and interesting file below a folder that appeared, read as the
    /// loader reads a root (links inside are reported, not followed).
    fn add_folder(&mut self, workspace: &Workspace, folder: &Path, buffers: &dyn Buffers) {
        let Some((root, rel)) = workspace.locate(folder) else {
            return;
        };
        // Gone again since its event (created, then moved at once): the removal queued with
        // the event stands, and nothing may bring the folder back as an empty task.
        if !std::fs::symlink_metadata(folder).is_ok_and(|metadata| metadata.is_dir()) {
            return;
        }
        // A move's claim on its destination, renamed onto a moment later: not a task yet,
        // as the loader does not take it for one. The rename brings the folder's events.
        if loader::is_task_folder_being_created(folder) {
            return;
        }
        let root_path = workspace.roots[root].path.clone();
        let loaded = loader::load_folder(&root_path, &rel);
        for problem in loaded.problems {
            self.unread(&root_path, problem);
        }
        // Every other folder, even an empty one.
        self.structural.push(ModelChange::Folder {
            path: folder.to_path_buf(),
        });
        for dir in &loaded.dirs {
            self.structural.push(ModelChange::Folder {
                path: root_path.join(dir),
            });
        }
        for file in loaded.files {
            let path = root_path.join(&file.rel);
            let (text, oversized) = buffers.model_text(&path).unwrap_or_else(|| {
                (
                    String::from_utf8_lossy(&file.bytes).into_owned(),
                    file.oversized,
                )
            });
            self.structural
                .push(ModelChange::set(path, &text, oversized));
        }
    }
}

/// The highest folder below the tasks root that is gone along with `path` (or `path`
/// itself). Some clients report each file of a deleted folder but not the folder, and the
/// folder must go too: an empty task folder left in the model is a task.
fn highest_gone(workspace: &Workspace, path: &Path) -> PathBuf {
    let mut gone = path.to_path_buf();
    while let Some(parent) = gone.parent()
        && workspace
            .locate(parent)
            .is_some_and(|(_, rel)| !rel.is_empty())
        && std::fs::symlink_metadata(parent).is_err()
    {
        gone = parent.to_path_buf();
    }
    gone
}

/// Whether `path` lies in a tasks root of `workspace` without passing through a link: a
/// buffer opened through a link to a folder outside is that outside file, not a file of the
/// root, and must not join the model (a transition would then plan writes through the link).
pub fn confined(workspace: &Workspace, path: &Path) -> bool {
    workspace.locate(path).is_some_and(|(root, rel)| {
        loader::check_confined(&workspace.roots[root].path, &rel).is_ok()
    })
}

/// Whether nothing is at `path` any more (a link counts as something: it is never followed).
pub fn is_gone(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_err()
}

/// The size of what is at `path`, without following a link.
pub fn disk_size(path: &Path) -> Option<u64> {
    std::fs::symlink_metadata(path)
        .ok()
        .map(|metadata| metadata.len())
}

/// The tasks roots of the workspace folders, and what to tell the user about them.
#[derive(Debug, Default)]
pub struct FolderRoots {
    pub roots: Vec<PathBuf>,
    /// Folders that could not be searched, for the log.
    pub problems: Vec<String>,
    /// Why the configured `flowos.tasksRoot` was not used, in one message whatever the
    /// number of folders.
    pub setting_refused: Option<String>,
}

/// The tasks roots of the workspace folders (SPEC §2): each folder's `configured` root when
/// set and inside it, else the roots found for it (below it, else above it).
pub fn tasks_roots(folders: &[PathBuf], configured: Option<&str>) -> FolderRoots {
    let mut found = FolderRoots::default();
    let mut refusals: Vec<String> = Vec::new();
    for folder in folders {
        if let Some(configured) = configured {
            match roots::configured_in(folder, configured) {
                Ok(root) => {
                    found.roots.push(root);
                    continue;
                }
                // Refused: the folder is searched as if nothing were configured.
                Err(refused) => refusals.push(refused),
            }
        }
        match roots::find(folder) {
            Ok(roots) => found.roots.extend(roots),
            Err(error) => found
                .problems
                .push(format!("cannot search {}: {error}", folder.display())),
        }
    }
    found.setting_refused = match refusals.len() {
        0 => None,
        1 => Some(format!("{}; looking for .work/tasks instead", refusals[0])),
        more => Some(format!(
            "{} (and in {} other workspace folders); looking for .work/tasks instead",
            refusals[0],
            more - 1
        )),
    };
    found.roots.sort();
    found.roots.dedup();
    found
}

/// Lays open buffers over what was read from disk: they win, even where the disk no longer
/// has their file.
pub fn overlay(inputs: &mut [RootInput], buffers: &dyn Buffers) {
    for path in buffers.paths() {
        let Some(input) = inputs
            .iter_mut()
            .find(|input| path.starts_with(&input.path))
        else {
            continue;
        };
        let Ok(rel) = path.strip_prefix(&input.path) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        // As in `confined`: a buffer reached through a link (or `..`) is not in the root.
        if !is_interesting_name(name) || loader::check_confined(&input.path, &rel).is_err() {
            continue;
        }
        let Some((text, oversized)) = buffers.model_text(path) else {
            continue;
        };
        input.put_file(match oversized {
            None => FileInput::new(rel, text.into_bytes()),
            Some(size) => FileInput::oversized(rel, size, text.as_bytes()),
        });
    }
    for input in inputs {
        input.tidy();
    }
}

/// Watches the tasks roots for changes made outside the editor, reporting the paths that
/// changed to `changed`. Links below a root are not followed.
pub fn watch(
    roots: &[PathBuf],
    changed: impl Fn(Vec<PathBuf>) + Send + 'static,
    problems: &mut Vec<String>,
) -> Option<notify::RecommendedWatcher> {
    use notify::{RecursiveMode, Watcher};
    let handler = move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && !event.kind.is_access()
        {
            changed(event.paths);
        }
    };
    // notify follows links by default: it would watch (and report paths through) a link to
    // a folder outside the root, or walk a link loop.
    let config = notify::Config::default().with_follow_symlinks(false);
    let mut watcher = match notify::RecommendedWatcher::new(handler, config) {
        Ok(watcher) => watcher,
        Err(error) => {
            problems.push(format!("cannot watch files: {error}"));
            return None;
        }
    };
    for root in roots {
        if let Err(error) = watcher.watch(root, RecursiveMode::Recursive) {
            problems.push(format!("cannot watch {}: {error}", root.display()));
        }
    }
    Some(watcher)
}
