//! Rebuilding the model: reading every tasks root again (`reindex`), and building the model
//! afresh on a thread of its own with the structural changes waiting (`start_rebuild`) while
//! the session keeps answering from the model it has, then putting it in place (`land`).

use super::*;
use crate::loader;

impl Session {
    /// Starts rebuilding the model with the changes waiting in the file-system layer, on a
    /// thread of its own: until it lands (see `land`) this model keeps answering requests
    /// that need none of those changes. False when none wait.
    pub(super) fn start_rebuild(&mut self) -> bool {
        let changes = self.vfs.take_changes(&self.workspace, &self.documents);
        self.log_problems();
        let Some(changes) = changes else {
            return false;
        };
        let inputs = self.workspace.inputs_with(&changes);
        drop(changes);
        let config = self.config.clone();
        let generation = self.settings_generation;
        let (sender, result) = channel();
        let wake = self.own_sender.clone();
        let build = move || {
            let rebuilt = catch_unwind(AssertUnwindSafe(|| {
                let workspace = Workspace::build(inputs);
                let mut diagnostics = IncrementalDiagnostics::default();
                let delta = diagnostics.update(&workspace, &config);
                Rebuilt {
                    workspace,
                    diagnostics,
                    delta,
                    generation,
                    now: config.now,
                }
            }));
            let _ = sender.send(rebuilt.ok());
            let _ = wake.send(Input::Rebuilt);
        };
        let spawned = std::thread::Builder::new()
            .name("flowos-rebuild".into())
            .spawn(build);
        if let Err(error) = spawned {
            self.log(
                MessageType::ERROR,
                format!("cannot start a rebuild ({error}); re-indexing"),
            );
            self.reindex(None);
            return true;
        }
        self.rebuilding = Some(Rebuild {
            result,
            changed: Vec::new(),
        });
        true
    }

    /// Puts a finished rebuild in place of the model, then gives it every text that changed
    /// while it ran. With `wait`, waits for it; without, returns false if it is not done.
    pub(super) fn land(&mut self, wait: bool) -> bool {
        let Some(rebuild) = &self.rebuilding else {
            return true;
        };
        let outcome = if wait {
            rebuild.result.recv().ok().flatten()
        } else {
            match rebuild.result.try_recv() {
                Ok(outcome) => outcome,
                Err(std::sync::mpsc::TryRecvError::Empty) => return false,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => None,
            }
        };
        let Some(rebuild) = self.rebuilding.take() else {
            return true;
        };
        let Some(rebuilt) = outcome else {
            self.log(
                MessageType::ERROR,
                "internal error while rebuilding the model; re-indexing".into(),
            );
            self.guarded_reindex();
            return true;
        };
        let published = self.publisher.detach(&self.workspace);
        self.workspace = rebuilt.workspace;
        self.publisher.attach(&self.workspace, published);
        self.diagnostics = rebuilt.diagnostics;
        self.publisher.add(rebuilt.delta);
        if rebuilt.generation != self.settings_generation {
            self.diagnostics.invalidate_all();
        } else if rebuilt.now < self.config.now {
            self.diagnostics.clock_moved(self.config.now);
        } else if rebuilt.now != self.config.now {
            self.diagnostics.invalidate_all();
        }
        self.client_waits = false;
        for path in rebuild.changed {
            if self.documents.contains_key(&path) {
                self.document_to_model(&path);
            } else {
                self.reload_from_disk(&path);
            }
        }
        self.mark_dirty();
        true
    }

    /// Reads every tasks root from disk, lays the open buffers over it, and rebuilds.
    pub(super) fn reindex(&mut self, progress: Option<ProgressToken>) {
        let roots = self.tasks_roots();
        // Registering a watch on every folder of a large tree costs about as much as reading
        // it, so it runs beside the reading instead of after it (a change made meanwhile is
        // reported, not missed); it is in place before anything is published.
        let watched = self.watched(&roots);
        let watching = match watched.is_empty() {
            true => None,
            false => self.watch_in_background(&watched),
        };
        let output = self.output.clone();
        let report = |value: lsp::WorkDoneProgress| {
            if let Some(token) = &progress {
                let _ = output.send(Output::Progress(token.clone(), value));
            }
        };
        report(lsp::WorkDoneProgress::Begin(lsp::WorkDoneProgressBegin {
            title: "Indexing FlowOS tasks".into(),
            cancellable: Some(false),
            message: Some(format!("{} tasks root(s)", roots.len())),
            percentage: Some(0),
        }));
        let mut inputs = Vec::with_capacity(roots.len());
        for (done, root) in roots.iter().enumerate() {
            let input = loader::load_root(root);
            for problem in &input.problems {
                self.log(
                    MessageType::WARNING,
                    format!("{}: {}", root.join(&problem.rel).display(), problem.message),
                );
            }
            inputs.push(input);
            report(lsp::WorkDoneProgress::Report(lsp::WorkDoneProgressReport {
                cancellable: Some(false),
                message: Some(format!("{}/{} roots read", done + 1, roots.len())),
                percentage: Some(((done + 1) * 100 / roots.len().max(1)) as u32),
            }));
        }
        vfs::overlay(&mut inputs, &self.documents);
        // A rebuild under way is superseded: everything was read again.
        self.rebuilding = None;
        self.client_waits = false;
        let published = self.publisher.detach(&self.workspace);
        self.workspace = Workspace::build(inputs);
        self.publisher.attach(&self.workspace, published);
        self.vfs.clear();
        if !self.fixed_clock {
            self.config.now = clock_now();
        }
        self.diagnostics.invalidate_all();
        self.indexed = true;
        report(lsp::WorkDoneProgress::End(lsp::WorkDoneProgressEnd {
            message: Some(format!(
                "{} tasks in {} files",
                self.workspace.tasks.len(),
                self.workspace
                    .files
                    .iter()
                    .filter(|file| file.exists)
                    .count()
            )),
        }));
        // This one watches every root just read; one still being registered is older.
        self.watching = None;
        match watching.map(JoinHandle::join) {
            Some(Ok(watching)) => self.watching_ready(watching),
            _ => self.start_watcher(),
        }
        self.mark_dirty();
        for waiting in std::mem::take(&mut self.waiting) {
            self.handle(waiting);
        }
    }
}

/// A rebuild of the model under way on its own thread.
pub(super) struct Rebuild {
    /// What it built; None if it failed.
    result: Receiver<Option<Rebuilt>>,
    /// Paths whose text changed while it ran, for the new model.
    pub(super) changed: Vec<PathBuf>,
}

/// A model built afresh, with its diagnostics and their delta.
struct Rebuilt {
    workspace: Workspace,
    diagnostics: IncrementalDiagnostics,
    delta: crate::ide::diagnostics::incremental::Delta,
    /// The settings generation and the clock it was analysed under.
    generation: u64,
    now: i64,
}
