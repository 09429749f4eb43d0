//! The session's tasks roots: those of the workspace folders and of open documents outside
//! them, what is said once when none is found, and the file watcher for the roots the client
//! does not watch.

use super::*;
use crate::db::layout::{FileRole, package_role};
use crate::roots;

impl Session {
    /// The tasks roots (SPEC §2): those of the workspace folders (the configured
    /// `flowos.tasksRoot` in each, else found below or above it), and those found upward from
    /// open documents that lie in none of them. Says once what went wrong.
    pub(super) fn tasks_roots(&mut self) -> Vec<PathBuf> {
        let found = vfs::tasks_roots(&self.folders, self.settings.tasks_root.as_deref());
        for problem in found.problems {
            self.log(MessageType::WARNING, problem);
        }
        if let Some(refused) = &found.setting_refused
            && self.shown_setting_refused.as_ref() != Some(refused)
        {
            self.show(MessageType::WARNING, refused.clone());
        }
        self.shown_setting_refused = found.setting_refused;
        let mut roots = found.roots;
        self.document_roots.retain(|root| root.is_dir());
        let open: Vec<PathBuf> = self.documents.keys().cloned().collect();
        for path in open {
            let rooted = |root: &PathBuf| path.starts_with(root);
            if roots.iter().chain(&self.document_roots).any(rooted) {
                continue;
            }
            let known: Vec<PathBuf> = roots.iter().chain(&self.document_roots).cloned().collect();
            if let Some(root) = self.root_above_document(&path, &known) {
                self.document_roots.push(root);
            }
        }
        roots.extend(self.document_roots.iter().cloned());
        roots.sort();
        roots.dedup();
        if !roots.is_empty() {
            self.said_no_root = false;
        } else if !self.said_no_root {
            self.said_no_root = true;
            self.log(MessageType::WARNING, self.no_root_message());
        }
        roots
    }

    /// Why there is nothing to index, in words.
    pub(super) fn no_root_message(&self) -> String {
        let later = "a task file opened later is looked up from its own folder upward";
        if self.folders.is_empty() {
            return format!(
                "no tasks root: the client sent no workspace folder and no open file lies in a \
                 .work/tasks tree; {later}"
            );
        }
        let folders: Vec<String> = self
            .folders
            .iter()
            .map(|folder| folder.display().to_string())
            .collect();
        format!(
            "no tasks root: no .work/tasks in, below or above {}; {} (flowos.tasksRoot); {later}",
            folders.join(", "),
            roots::WHAT_IS_A_ROOT
        )
    }

    /// The tasks root an open document lies in or under, found upward from its folder (one
    /// `stat` per parent), unless it is one of the `known` roots reached by another path (a
    /// link): read twice, every task would be its own duplicate. When there is none and the
    /// file looks like part of a task, the user is told, once: otherwise the editor would
    /// show nothing at all, with no reason.
    pub(super) fn root_above_document(
        &mut self,
        path: &Path,
        known: &[PathBuf],
    ) -> Option<PathBuf> {
        let found = path.parent().and_then(roots::find_above);
        match &found {
            Some(root) if known.iter().any(|known| roots::same_folder(known, root)) => {
                self.log(
                    MessageType::INFO,
                    format!(
                        "{} is in {}, which is read already under another path",
                        path.display(),
                        root.display()
                    ),
                );
                return None;
            }
            Some(root) => self.log(
                MessageType::INFO,
                format!(
                    "{} lies in no workspace folder's tasks root; reading {}, found above it",
                    path.display(),
                    root.display()
                ),
            ),
            None => {
                let name = path.file_name().map(|name| name.to_string_lossy());
                let task_file = name.is_some_and(|name| package_role(&name) != FileRole::Other);
                if task_file && !self.shown_file_without_root {
                    self.shown_file_without_root = true;
                    self.show(
                        MessageType::WARNING,
                        format!(
                            "FlowOS: {} is in no tasks root (no .work/tasks above it), so it is \
                             not checked; {}",
                            path.display(),
                            roots::WHAT_IS_A_ROOT
                        ),
                    );
                }
            }
        }
        found
    }

    /// [`Session::start_watcher`] for `roots` on a thread of its own, which hands back the
    /// watcher and what could not be watched; None when no thread could be started.
    pub(super) fn watch_in_background(&self, roots: &[PathBuf]) -> Option<JoinHandle<Watching>> {
        let sender = self.own_sender.clone();
        let roots = roots.to_vec();
        let watch = move || watch_roots(sender, &roots);
        std::thread::Builder::new()
            .name("flowos-watch".into())
            .spawn(watch)
            .ok()
    }

    /// Takes a watcher registered on its own thread, once it is ready, and logs what could
    /// not be watched.
    pub(super) fn take_watcher(&mut self) {
        if !self.watching.as_ref().is_some_and(JoinHandle::is_finished) {
            return;
        }
        match self.watching.take().map(JoinHandle::join) {
            Some(Ok(watching)) => self.watching_ready(watching),
            _ => self.start_watcher(),
        }
    }

    pub(super) fn watching_ready(&mut self, (watcher, problems): Watching) {
        self.watcher = watcher;
        for problem in problems {
            self.log(MessageType::WARNING, problem);
        }
    }

    /// Watches the tasks roots the client does not: all of them when it cannot watch files,
    /// else those outside every workspace folder (found above a folder that is a task
    /// folder, or from an opened document), whose changes on disk it would never report.
    pub(super) fn start_watcher(&mut self) {
        let roots = self.watched(&self.root_paths());
        if roots.is_empty() {
            self.watcher = None;
            return;
        }
        let watching = watch_roots(self.own_sender.clone(), &roots);
        self.watching_ready(watching);
    }

    /// Which of `roots` the server watches itself (see [`Session::start_watcher`]).
    pub(super) fn watched(&self, roots: &[PathBuf]) -> Vec<PathBuf> {
        roots
            .iter()
            .filter(|root| {
                self.watch_disk || !self.folders.iter().any(|folder| root.starts_with(folder))
            })
            .cloned()
            .collect()
    }

    pub(super) fn root_paths(&self) -> Vec<PathBuf> {
        self.workspace
            .roots
            .iter()
            .map(|root| root.path.clone())
            .collect()
    }
}
/// A watcher, and what could not be watched.
pub(super) type Watching = (Option<notify::RecommendedWatcher>, Vec<String>);

/// Watches `roots`, reporting their changes to the session through `sender`.
fn watch_roots(sender: Sender<Input>, roots: &[PathBuf]) -> Watching {
    let changed = move |paths| {
        let _ = sender.send(Input::Disk { paths });
    };
    let mut problems = Vec::new();
    let watcher = vfs::watch(roots, changed, &mut problems);
    (watcher, problems)
}
