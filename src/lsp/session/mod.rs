//! The session: one thread that owns the open documents and the workspace model, applies
//! every change in arrival order, analyses after a short quiet spell, and hands the results
//! to the publisher in order.
//!
//! Nothing here awaits: changes are queued by the transport layer synchronously as they
//! arrive (see `ordering`), and results leave through an unbounded channel. An analysis is
//! only published when no newer change arrived while it ran, so a result computed for an
//! older version of a document is dropped rather than sent.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;
use tower_lsp_server::ls_types::{
    self as lsp, MessageType, ProgressToken, TextDocumentContentChangeEvent,
};

use crate::base::PositionEncoding;
use crate::clock::clock_now;
use crate::db::Workspace;
use crate::ide::diagnostics::incremental::{Before, IncrementalDiagnostics};
use crate::ide::types::Config;
use crate::lsp::backlog::Backlog;
use crate::lsp::commands;
use crate::lsp::config::{Settings, fixed_now};
use crate::lsp::documents::Document;
use crate::lsp::publish::{Output, Publisher, Scope, Sources};
use crate::lsp::to_proto;
use crate::lsp::view::{Query, View};
use crate::vfs::{self, Vfs};

mod rebuild;
mod tasks_roots;

use rebuild::Rebuild;
use tasks_roots::Watching;

/// How long the session waits for more changes before analysing: long enough to gather a
/// burst (a paste, a multi-cursor edit, a checkout's file events), short enough not to
/// show as latency, since an edit's analysis is incremental and cheap.
const DEBOUNCE: Duration = Duration::from_millis(2);
/// Under a continuous stream of changes, analyse at least this often.
const MAX_DELAY: Duration = Duration::from_millis(250);
/// Files other than the open documents are published once input has paused this long (see
/// `Scope::Open`).
const PUBLISH_PAUSE: Duration = Duration::from_millis(200);

/// What the session is told, in arrival order.
pub enum Input {
    /// From `initialize`: how positions are counted, the first settings, the folders.
    Configure {
        encoding: PositionEncoding,
        settings: Settings,
        folders: Vec<PathBuf>,
    },
    /// From `initialized`: index the folders now, reporting progress under this token.
    Index {
        progress: Option<ProgressToken>,
    },
    Open {
        path: PathBuf,
        text: String,
        version: i32,
    },
    Change {
        path: PathBuf,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    },
    Close {
        path: PathBuf,
    },
    /// Files or folders changed on disk (watched-file events, or the fallback watcher).
    Disk {
        paths: Vec<PathBuf>,
    },
    /// Settings from `workspace/configuration` or `didChangeConfiguration`, laid over the
    /// current ones (see [`Settings::updated`]).
    Settings(serde_json::Value),
    Folders {
        added: Vec<PathBuf>,
        removed: Vec<PathBuf>,
    },
    /// The client cannot watch files for us: watch the tasks roots ourselves.
    WatchDisk,
    /// The clock stops at this moment (seconds since the epoch): SLOs are measured there
    /// from now on. Sent by tests, through a debug-only request.
    #[cfg_attr(not(debug_assertions), allow(dead_code))]
    SetNow(i64),
    /// A rebuild of the model finished on its own thread (see `start_rebuild`).
    Rebuilt,
    /// A read-only request, answered against the model with every change received so far.
    Query(Query),
    /// A read-only request that needs the diagnostics of the latest state (code actions):
    /// any pending analysis runs first.
    AnalysedQuery(Query),
    /// `workspace/executeCommand`: a transaction on disk, then the written files are re-read
    /// and the result published before the reply.
    Command {
        command: String,
        arguments: Vec<serde_json::Value>,
        now: i64,
        /// The client takes `workspace/applyEdit`: a transition may update an open, modified
        /// INDEX.md in its buffer instead of refusing.
        edits_buffers: bool,
        reply: oneshot::Sender<commands::Outcome>,
    },
    /// Pull diagnostics for one document, after every change received so far.
    Pull {
        path: PathBuf,
        reply: oneshot::Sender<Vec<lsp::Diagnostic>>,
    },
}

pub fn spawn(output: UnboundedSender<Output>, backlog: Arc<Backlog>) -> Sender<Input> {
    let (sender, receiver) = channel();
    let own_sender = sender.clone();
    std::thread::Builder::new()
        .name("flowos-session".into())
        .spawn(move || {
            let mut session = Session::new(output, own_sender);
            session.publisher.backlog = backlog;
            session.run(receiver)
        })
        .expect("the session thread starts");
    sender
}

struct Session {
    output: UnboundedSender<Output>,
    /// For the fallback file watcher, which reports into the same queue.
    own_sender: Sender<Input>,
    encoding: PositionEncoding,
    settings: Settings,
    config: Config,
    folders: Vec<PathBuf>,
    /// Tasks roots found upward from open documents that lay in no root of the folders (a
    /// client that sends no workspace folder, or a file opened from elsewhere).
    document_roots: Vec<PathBuf>,
    /// What was last said about finding roots, so each thing is said once, not at every
    /// re-index: that none was found (logged), that an opened task file lies in none (shown),
    /// why the configured root was refused (shown).
    said_no_root: bool,
    shown_file_without_root: bool,
    shown_setting_refused: Option<String>,
    indexed: bool,
    workspace: Workspace,
    documents: HashMap<PathBuf, Document>,
    /// Disk changes and buffers the model cannot take in place, waiting for a rebuild.
    vfs: Vfs,
    /// Diagnostics kept part by part, so a keystroke re-checks what it can affect only.
    diagnostics: IncrementalDiagnostics,
    /// What the client has been sent, and what is waiting to be.
    publisher: Publisher,
    /// Set when `FLOWOS_NOW` fixes the clock (tests, reproducible runs).
    fixed_clock: bool,
    /// A rebuild of the model running on its own thread, while this one keeps answering.
    rebuilding: Option<Rebuild>,
    /// A change the client sent is waiting for a rebuild: requests wait for it too, since
    /// they must see every change sent before them.
    client_waits: bool,
    /// Counts settings changes, so a rebuild started under older settings is analysed again.
    settings_generation: u64,
    dirty_since: Option<Instant>,
    /// When publications of files that are not open are due, if input stays paused.
    publish_due: Option<Instant>,
    watch_disk: bool,
    watcher: Option<notify::RecommendedWatcher>,
    /// A watcher being registered on its own thread (see `Input::WatchDisk`); it reports
    /// changes as soon as each folder is watched, and is taken into `watcher` once ready.
    watching: Option<JoinHandle<Watching>>,
    /// Requests that arrived before the first index; answered as soon as it is built.
    waiting: Vec<Input>,
    /// Open buffers typed into since the model last took their text. A run of keystrokes
    /// that arrives while the session is busy is one parse of each buffer, not one per
    /// keystroke; anything that reads the model takes them first.
    typed: Vec<PathBuf>,
}

impl Session {
    fn new(output: UnboundedSender<Output>, own_sender: Sender<Input>) -> Session {
        Session {
            output,
            own_sender,
            encoding: PositionEncoding::Utf16,
            settings: Settings::default(),
            // The moment SLOs are measured at (`config.now`). It moves only when some
            // diagnostic changes with it (see `tick`), so every part of the analysis is
            // measured at the same moment.
            config: Config {
                now: fixed_now().unwrap_or_else(clock_now),
                ..Config::default()
            },
            folders: Vec::new(),
            document_roots: Vec::new(),
            said_no_root: false,
            shown_file_without_root: false,
            shown_setting_refused: None,
            indexed: false,
            workspace: Workspace::default(),
            documents: HashMap::new(),
            vfs: Vfs::default(),
            diagnostics: IncrementalDiagnostics::default(),
            publisher: Publisher::default(),
            fixed_clock: fixed_now().is_some(),
            rebuilding: None,
            client_waits: false,
            settings_generation: 0,
            dirty_since: None,
            publish_due: None,
            watch_disk: false,
            watcher: None,
            watching: None,
            waiting: Vec::new(),
            typed: Vec::new(),
        }
    }

    /// Gives the model the text of every buffer typed into since it last took them.
    fn take_typed(&mut self) {
        for path in std::mem::take(&mut self.typed) {
            self.document_to_model(&path);
            self.publisher.touch(&self.workspace, &path);
        }
    }

    fn run(mut self, receiver: Receiver<Input>) {
        loop {
            let until_tick = self.until_clock_change();
            if until_tick == Some(Duration::ZERO) {
                self.guarded("following the clock", |session| {
                    session.set_now(clock_now());
                });
                continue;
            }
            let until_analysis = match self.dirty_since {
                Some(since) if since.elapsed() >= MAX_DELAY => Some(Duration::ZERO),
                Some(_) => Some(DEBOUNCE),
                None => None,
            };
            let until_publish = self
                .publish_due
                .filter(|_| self.dirty_since.is_none())
                .map(|due| due.saturating_duration_since(Instant::now()));
            if until_publish == Some(Duration::ZERO) {
                self.guarded("publishing", |session| session.publish(Scope::All));
                continue;
            }
            let wait = [until_analysis, until_tick, until_publish]
                .into_iter()
                .flatten()
                .min();
            let input = match wait {
                Some(wait) if wait.is_zero() => None,
                Some(wait) => match receiver.recv_timeout(wait) {
                    Ok(input) => Some(input),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
                },
                None => match receiver.recv() {
                    Ok(input) => Some(input),
                    Err(_) => return,
                },
            };
            match input {
                Some(input) => {
                    // Input keeps coming: the other files wait for the pause.
                    if let Some(due) = self.publish_due.as_mut() {
                        *due = Instant::now() + PUBLISH_PAUSE;
                    }
                    self.guarded("handling a change", |session| session.handle(input))
                }
                // Woken for the clock or the pause: the loop's top follows it.
                None if until_analysis.is_none() => {}
                None => self.guarded("analysing", |session| session.analyse(&receiver)),
            }
        }
    }

    /// How long until some diagnostic changes by the clock alone (None: never, or the clock
    /// is fixed); zero once that moment has come.
    fn until_clock_change(&self) -> Option<Duration> {
        if self.fixed_clock || !self.indexed {
            return None;
        }
        let next = self.diagnostics.next_clock_change()?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let at = Duration::from_secs(u64::try_from(next).unwrap_or(0));
        Some(at.saturating_sub(now))
    }

    /// Moves the clock SLOs are measured at: only the SLO parts whose result changes by
    /// `now` are recomputed, at the next analysis. Never a full recomputation, and never on
    /// the way of a keystroke.
    fn set_now(&mut self, now: i64) {
        self.config.now = now;
        self.diagnostics.clock_moved(now);
        self.mark_dirty();
    }

    /// Runs `work`, turning a panic into a log line: one bad input must not take the server
    /// down. The model is rebuilt from disk afterwards, since the panic may have left it
    /// half-updated.
    fn guarded(&mut self, what: &str, work: impl FnOnce(&mut Session)) {
        if catch_unwind(AssertUnwindSafe(|| work(self))).is_err() {
            self.log(
                MessageType::ERROR,
                format!("internal error while {what}; re-indexing"),
            );
            self.guarded_reindex();
        }
    }

    fn guarded_reindex(&mut self) {
        if catch_unwind(AssertUnwindSafe(|| self.reindex(None))).is_err() {
            self.log(
                MessageType::ERROR,
                "re-indexing failed; diagnostics may be stale".into(),
            );
        }
    }

    fn mark_dirty(&mut self) {
        self.dirty_since.get_or_insert_with(Instant::now);
    }

    fn log(&self, level: MessageType, message: String) {
        let _ = self.output.send(Output::Log(level, message));
    }

    fn show(&self, level: MessageType, message: String) {
        let _ = self.output.send(Output::Show(level, message));
    }

    fn handle(&mut self, input: Input) {
        self.take_watcher();
        // Whatever reads the model or changes it otherwise comes after the typing before it.
        if !matches!(input, Input::Change { .. }) {
            self.take_typed();
        }
        match input {
            Input::Configure {
                encoding,
                settings,
                folders,
            } => {
                self.encoding = encoding;
                self.folders = folders;
                self.apply_settings(settings);
            }
            Input::Index { progress } => {
                self.reindex(progress);
            }
            Input::Open {
                path,
                text,
                version,
            } => {
                let document = Document::new(&text, version);
                // The rope is the one copy kept; with a large buffer two would double the peak.
                drop(text);
                self.documents.insert(path.clone(), document);
                if self.indexed && self.workspace.root_containing(&path).is_none() {
                    let known: Vec<PathBuf> = (self.workspace.roots.iter())
                        .map(|root| root.path.clone())
                        .collect();
                    if let Some(root) = self.root_above_document(&path, &known) {
                        // The file belongs to a tree nobody named: read it, buffer included.
                        self.document_roots.push(root);
                        self.reindex(None);
                    }
                }
                self.document_to_model(&path);
                self.publisher.touch(&self.workspace, &path);
            }
            Input::Change {
                path,
                version,
                changes,
            } => {
                let Some(document) = self.documents.get_mut(&path) else {
                    self.log(
                        MessageType::WARNING,
                        format!("change for a document that is not open: {}", path.display()),
                    );
                    return;
                };
                document.apply(changes, version, self.encoding);
                if !self.typed.contains(&path) {
                    self.typed.push(path);
                }
                self.mark_dirty();
            }
            Input::Close { path } => {
                self.documents.remove(&path);
                // The buffer no longer overrides the disk.
                self.reload_from_disk(&path);
                self.publisher.touch(&self.workspace, &path);
            }
            Input::Disk { paths } => {
                for path in paths {
                    // An open buffer overrides the disk until it is closed.
                    if !self.documents.contains_key(&path) {
                        self.reload_from_disk(&path);
                    }
                }
            }
            Input::Settings(value) => {
                let old_root = self.settings.tasks_root.clone();
                self.apply_settings(self.settings.updated(&value));
                if self.indexed && self.settings.tasks_root != old_root {
                    self.reindex(None);
                }
            }
            Input::Folders { added, removed } => {
                self.folders.retain(|folder| !removed.contains(folder));
                self.folders.extend(added);
                if self.indexed {
                    self.reindex(None);
                }
            }
            Input::WatchDisk => {
                self.watch_disk = true;
                // It usually comes while the first index is read or analysed: registering a
                // watch on every folder of a large tree takes about as long as reading it, so
                // it runs on its own thread rather than hold up the first publication.
                match self.watch_in_background(&self.watched(&self.root_paths())) {
                    Some(watching) => self.watching = Some(watching),
                    None => self.start_watcher(),
                }
            }
            Input::SetNow(now) => {
                self.fixed_clock = true;
                self.set_now(now);
            }
            Input::Rebuilt => {
                if self.rebuilding.is_none() || !self.land(false) {
                    return;
                }
            }
            Input::Query(_)
            | Input::AnalysedQuery(_)
            | Input::Command { .. }
            | Input::Pull { .. }
                if !self.indexed =>
            {
                self.waiting.push(input);
                return;
            }
            Input::Query(query) => {
                self.answer(query);
                return;
            }
            Input::AnalysedQuery(query) => {
                self.analyse_now();
                self.answer(query);
                return;
            }
            Input::Command {
                command,
                arguments,
                now,
                edits_buffers,
                reply,
            } => {
                let outcome = self.execute_command(&command, &arguments, now, edits_buffers);
                let _ = reply.send(outcome);
                return;
            }
            Input::Pull { path, reply } => {
                self.analyse_now();
                let diagnostics = match self.workspace.file_by_path(&path) {
                    Some(file) => self
                        .diagnostics
                        .file(file, &self.config)
                        .iter()
                        .map(|diagnostic| {
                            to_proto::diagnostic(&self.workspace, diagnostic, self.encoding)
                        })
                        .collect(),
                    None => Vec::new(),
                };
                let _ = reply.send(diagnostics);
                return;
            }
        }
        self.mark_dirty();
    }

    /// Whether the model and its diagnostics reflect every change received.
    fn settled(&self) -> bool {
        self.dirty_since.is_none() && self.rebuilding.is_none() && self.vfs.is_idle()
    }

    /// Runs a read-only query against the model as it is now. A change the client sent
    /// that waits for a rebuild is put in place first, so the query sees it; changes from
    /// the disk alone do not hold it up. A panic in the query is logged and leaves the model
    /// alone (its caller gets an error).
    fn answer(&mut self, query: Query) {
        // Each landing may leave a buffer that names a new file for one more rebuild.
        for _ in 0..4 {
            if !self.client_waits {
                break;
            }
            if self.rebuilding.is_none() && !self.start_rebuild() {
                self.client_waits = false;
                break;
            }
            self.land(true);
        }
        if catch_unwind(AssertUnwindSafe(|| query(&self.view()))).is_err() {
            self.log(
                MessageType::ERROR,
                "internal error in a request; it was answered with an error".into(),
            );
        }
    }

    fn view(&self) -> View<'_> {
        View {
            workspace: &self.workspace,
            encoding: self.encoding,
            config: &self.config,
            documents: &self.documents,
            diagnostics: &self.diagnostics,
        }
    }

    /// Performs a command against the latest state, then re-reads what it wrote and
    /// publishes, so the reply comes after the diagnostics that reflect it.
    fn execute_command(
        &mut self,
        command: &str,
        arguments: &[serde_json::Value],
        now: i64,
        edits_buffers: bool,
    ) -> commands::Outcome {
        self.analyse_now();
        let invocation = commands::Invocation {
            config: Config {
                now,
                ..self.config.clone()
            },
            edits_buffers,
        };
        let outcome = commands::execute(&self.view(), command, arguments, &invocation);
        // Open files inside a folder the command moved are gone from disk: their buffers no
        // longer stand for anything there (they were saved; unsaved ones make it refuse).
        let gone: Vec<PathBuf> = outcome
            .touched
            .iter()
            .filter(|path| vfs::is_gone(path))
            .flat_map(|gone| {
                self.documents
                    .keys()
                    .filter(|open| open.starts_with(gone))
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect();
        for path in gone {
            self.documents.remove(&path);
            self.reload_from_disk(&path);
        }
        for path in &outcome.touched {
            if !self.documents.contains_key(path) {
                self.reload_from_disk(path);
            }
        }
        self.mark_dirty();
        self.analyse_now();
        self.publish(Scope::All);
        outcome
    }

    fn apply_settings(&mut self, settings: Settings) {
        for problem in &settings.problems {
            self.log(MessageType::WARNING, format!("settings: {problem}"));
        }
        self.config = settings.config(self.config.now);
        self.settings = settings;
        self.settings_generation += 1;
        // Extra events change what the ledger rules say; severities change every message.
        self.diagnostics.invalidate_all();
    }

    /// Gives the model an open buffer's text.
    fn document_to_model(&mut self, path: &Path) {
        if let Some(document) = self.documents.get(path) {
            let (text, oversized) = document.model_text(path).into_parts();
            if self.set_text(path, &text, oversized) {
                self.client_waits = true;
            }
        }
    }

    /// Gives the model a file's new text: in place when it can, else as a structural change
    /// (true: it waits for a rebuild). `oversized` is the file's size when `text` is only
    /// its start (over the file cap).
    fn set_text(&mut self, path: &Path, text: &str, oversized: Option<u64>) -> bool {
        if !self.indexed {
            return false;
        }
        // The model is being rebuilt: the text is given to the new one when it lands.
        if let Some(rebuild) = &mut self.rebuilding {
            rebuild.changed.push(path.to_path_buf());
            return true;
        }
        // While structural changes wait, the model may still hold a file they remove (its
        // folder deleted, then the file written again): an edit in place would be undone by
        // them, so the new text waits in line after them instead.
        let waiting = !self.vfs.is_idle();
        let file = self.workspace.file_by_path(path);
        let before = file.map(|file| Before::of(&self.workspace, file));
        if !waiting
            && self
                .workspace
                .update_content(path, text.as_bytes(), oversized)
        {
            if let (Some(file), Some(before)) = (file, before) {
                self.diagnostics.file_changed(&self.workspace, file, before);
            }
            return false;
        }
        // A buffer reached through a link (or `..`) is not a file of the root. A file the
        // loader would not read (in a hidden folder, say) would only cost a rebuild that
        // leaves it out; it may still tell of folders the loader lists.
        if !self.confined(path) {
            return false;
        }
        let queued = self.vfs.queued();
        if self.workspace.reads(path) {
            self.vfs.queue_text(path, text, oversized);
        } else if self.workspace.locate(path).is_some() {
            self.vfs.note_folders_above(&self.workspace, path);
        }
        self.vfs.queued() > queued
    }

    /// Whether `path` lies in a tasks root without passing through a link: a buffer opened
    /// through a link to a folder outside is that outside file, not a file of the root, and
    /// must not join the model (a transition would then plan writes through the link).
    fn confined(&self, path: &Path) -> bool {
        vfs::confined(&self.workspace, path)
    }

    /// Gives the model what is at `path` on disk now (see [`Vfs::reload`]).
    fn reload_from_disk(&mut self, path: &Path) {
        if !self.indexed {
            return;
        }
        let text = self.vfs.reload(&self.workspace, path);
        self.log_problems();
        if let Some((text, oversized)) = text {
            self.set_text(path, &text, oversized);
        }
    }

    /// Logs what the file-system layer could not read.
    fn log_problems(&mut self) {
        for problem in self.vfs.take_problems() {
            self.log(MessageType::WARNING, problem);
        }
    }

    /// Analyses until a result can be published for the latest state.
    fn analyse_now(&mut self) {
        while !self.settled() {
            self.analyse_once(None);
        }
    }

    fn analyse(&mut self, receiver: &Receiver<Input>) {
        self.analyse_once(Some(receiver));
    }

    /// One analysis. When `receiver` is given and a change arrived meanwhile, nothing is
    /// published (the result describes an older version) and the change is applied instead;
    /// the analysis' delta waits in the publisher for the next one.
    fn analyse_once(&mut self, receiver: Option<&Receiver<Input>>) {
        self.take_typed();
        self.dirty_since = None;
        if !self.indexed {
            self.vfs.clear();
            return;
        }
        let blocking = receiver.is_none();
        // A rebuild brings its own analysis; the model waiting for it is not analysed.
        if self.rebuilding.is_some() && !self.land(blocking) {
            return;
        }
        if self.start_rebuild() && !self.land(blocking) {
            return;
        }
        let delta = self.diagnostics.update(&self.workspace, &self.config);
        self.publisher.add(delta);
        if let Some(receiver) = receiver
            && let Ok(newer) = receiver.try_recv()
        {
            // The state is dirty again before the newer input is handled: a pull or a code
            // action among them must analyse first, not read the older diagnostics.
            self.mark_dirty();
            self.handle(newer);
            return;
        }
        // After a rebuild or at the first index, everything is new: nobody is typing into it.
        let scope = match self.publisher.starting_over() {
            true => Scope::All,
            false => Scope::Open,
        };
        self.publish(scope);
    }

    /// Sends pending publications: the open documents' at once, the rest (with
    /// `Scope::All`) once input pauses.
    fn publish(&mut self, scope: Scope) {
        let workspace = &self.workspace;
        let confined = |path: &Path| vfs::confined(workspace, path);
        let sources = Sources {
            workspace: &self.workspace,
            diagnostics: &self.diagnostics,
            config: &self.config,
            documents: &self.documents,
            encoding: self.encoding,
            confined: &confined,
        };
        self.publisher.flush(&sources, scope, &self.output);
        self.publish_due = match self.publisher.is_waiting() {
            true => Some(
                self.publish_due
                    .unwrap_or_else(|| Instant::now() + PUBLISH_PAUSE),
            ),
            false => None,
        };
    }
}

#[cfg(test)]
mod tests;
