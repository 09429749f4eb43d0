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
use crate::db::FileId;
use crate::db::Workspace;
use crate::db::layout::{FileRole, package_role};
use crate::ide::diagnostics::incremental::{Before, IncrementalDiagnostics};
use crate::ide::types::{Config, Diagnostic};
use crate::loader;
use crate::lsp::commands;
use crate::lsp::config::{Settings, fixed_now};
use crate::lsp::documents::Document;
use crate::lsp::publish::{Publisher, Scope, Sources};
use crate::lsp::to_proto;
use crate::roots;
use crate::vfs::{self, Vfs};

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

/// A read-only request's work: it runs on the session thread with a view of the model and
/// sends its answer back through its own channel.
pub type Query = Box<dyn FnOnce(&View) + Send>;

/// What a query sees.
pub struct View<'s> {
    pub workspace: &'s Workspace,
    pub encoding: PositionEncoding,
    pub settings: &'s Settings,
    pub config: &'s Config,
    /// The open buffers (versions for edits; unsaved changes refuse transactions).
    pub documents: &'s HashMap<PathBuf, Document>,
    /// The diagnostics as last analysed (current for `AnalysedQuery`).
    pub diagnostics: &'s IncrementalDiagnostics,
}

impl View<'_> {
    /// The diagnostics of one file as last analysed, configured and in order.
    pub fn diagnostics_of(&self, file: FileId) -> Vec<Diagnostic> {
        self.diagnostics.file(file, self.config)
    }
}

/// What the session asks the publisher to send, in order.
#[derive(Debug)]
pub enum Output {
    Publish {
        uri: lsp::Uri,
        path: PathBuf,
        diagnostics: Vec<lsp::Diagnostic>,
        version: Option<i32>,
    },
    Log(MessageType, String),
    /// A `window/showMessage`: for what the user must see (a setting refused, a task file
    /// in no tasks root), once.
    Show(MessageType, String),
    Progress(ProgressToken, lsp::WorkDoneProgress),
}

pub fn spawn(output: UnboundedSender<Output>) -> Sender<Input> {
    let (sender, receiver) = channel();
    let own_sender = sender.clone();
    std::thread::Builder::new()
        .name("flowos-session".into())
        .spawn(move || Session::new(output, own_sender).run(receiver))
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

    /// Starts rebuilding the model with the changes waiting in the file-system layer, on a
    /// thread of its own: until it lands (see `land`) this model keeps answering requests
    /// that need none of those changes. False when none wait.
    fn start_rebuild(&mut self) -> bool {
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
    fn land(&mut self, wait: bool) -> bool {
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
            settings: &self.settings,
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
        let invocation = commands::Invocation { now, edits_buffers };
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

    /// The tasks roots (SPEC §2): those of the workspace folders (the configured
    /// `flowos.tasksRoot` in each, else found below or above it), and those found upward from
    /// open documents that lie in none of them. Says once what went wrong.
    fn tasks_roots(&mut self) -> Vec<PathBuf> {
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
    fn no_root_message(&self) -> String {
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
    fn root_above_document(&mut self, path: &Path, known: &[PathBuf]) -> Option<PathBuf> {
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

    /// Reads every tasks root from disk, lays the open buffers over it, and rebuilds.
    fn reindex(&mut self, progress: Option<ProgressToken>) {
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

    /// [`Session::start_watcher`] for `roots` on a thread of its own, which hands back the
    /// watcher and what could not be watched; None when no thread could be started.
    fn watch_in_background(&self, roots: &[PathBuf]) -> Option<JoinHandle<Watching>> {
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
    fn take_watcher(&mut self) {
        if !self.watching.as_ref().is_some_and(JoinHandle::is_finished) {
            return;
        }
        match self.watching.take().map(JoinHandle::join) {
            Some(Ok(watching)) => self.watching_ready(watching),
            _ => self.start_watcher(),
        }
    }

    fn watching_ready(&mut self, (watcher, problems): Watching) {
        self.watcher = watcher;
        for problem in problems {
            self.log(MessageType::WARNING, problem);
        }
    }

    /// Watches the tasks roots the client does not: all of them when it cannot watch files,
    /// else those outside every workspace folder (found above a folder that is a task
    /// folder, or from an opened document), whose changes on disk it would never report.
    fn start_watcher(&mut self) {
        let roots = self.watched(&self.root_paths());
        if roots.is_empty() {
            self.watcher = None;
            return;
        }
        let watching = watch_roots(self.own_sender.clone(), &roots);
        self.watching_ready(watching);
    }

    /// Which of `roots` the server watches itself (see [`Session::start_watcher`]).
    fn watched(&self, roots: &[PathBuf]) -> Vec<PathBuf> {
        roots
            .iter()
            .filter(|root| {
                self.watch_disk || !self.folders.iter().any(|folder| root.starts_with(folder))
            })
            .cloned()
            .collect()
    }

    fn root_paths(&self) -> Vec<PathBuf> {
        self.workspace
            .roots
            .iter()
            .map(|root| root.path.clone())
            .collect()
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

/// A watcher, and what could not be watched.
type Watching = (Option<notify::RecommendedWatcher>, Vec<String>);

/// Watches `roots`, reporting their changes to the session through `sender`.
fn watch_roots(sender: Sender<Input>, roots: &[PathBuf]) -> Watching {
    let changed = move |paths| {
        let _ = sender.send(Input::Disk { paths });
    };
    let mut problems = Vec::new();
    let watcher = vfs::watch(roots, changed, &mut problems);
    (watcher, problems)
}

/// A rebuild of the model under way on its own thread.
struct Rebuild {
    /// What it built; None if it failed.
    result: Receiver<Option<Rebuilt>>,
    /// Paths whose text changed while it ran, for the new model.
    changed: Vec<PathBuf>,
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
    use tower_lsp_server::ls_types::{Position, Range};

    use super::*;
    use crate::ide::diagnostics::incremental::Work;
    use crate::ide::diagnostics::workspace_diagnostics;
    use crate::ide::fixture::{COUNTER, package};

    /// A session over a fixture written to disk, driven input by input on this thread, so
    /// the order of changes and analyses is exactly the test's.
    struct Harness {
        session: Session,
        outputs: UnboundedReceiver<Output>,
        root: PathBuf,
        _dir: tempfile::TempDir,
    }

    /// Writes a fixture (the `//- /path` format of `ide::fixture`) below `root`.
    fn write_fixture(root: &Path, fixture: &str) {
        for part in fixture.split("//- /").filter(|part| !part.is_empty()) {
            let (rel, text) = part.split_once('\n').unwrap();
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    fn start(fixture: &str) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(".work/tasks");
        write_fixture(&root, fixture);
        let (output, outputs) = unbounded_channel();
        let (own_sender, _) = channel();
        let mut session = Session::new(output, own_sender);
        // The fixtures' tasks were created at 2026-03-02 09:00: three hours on, no SLO has run out.
        session.fixed_clock = true;
        session.config.now = crate::syntax::time::parse_rfc3339("2026-03-02T12:00:00Z").unwrap();
        session.handle(Input::Configure {
            encoding: PositionEncoding::Utf16,
            settings: Settings::default(),
            folders: vec![dir.path().to_path_buf()],
        });
        session.handle(Input::Index { progress: None });
        session.analyse_now();
        let mut harness = Harness {
            session,
            outputs,
            root,
            _dir: dir,
        };
        harness.published();
        harness
    }

    impl Harness {
        /// Opens `path` with `text` at version 1.
        fn open(&mut self, path: &Path, text: &str) {
            self.session.handle(Input::Open {
                path: path.to_path_buf(),
                text: text.to_string(),
                version: 1,
            });
        }

        /// Replaces `from..to` of an open buffer with `text`, as version `version`.
        fn change(&mut self, path: &Path, version: i32, from: Position, to: Position, text: &str) {
            self.session.handle(Input::Change {
                path: path.to_path_buf(),
                version,
                changes: vec![TextDocumentContentChangeEvent {
                    range: Some(Range::new(from, to)),
                    range_length: None,
                    text: text.to_string(),
                }],
            });
        }

        /// The publications sent since the last call, those waiting for a pause in the
        /// input included: path and version.
        fn published(&mut self) -> Vec<(PathBuf, Option<i32>)> {
            self.session.publish(Scope::All);
            let mut found = Vec::new();
            while let Ok(output) = self.outputs.try_recv() {
                if let Output::Publish { path, version, .. } = output {
                    found.push((path, version));
                }
            }
            found
        }

        /// The session's diagnostics equal those of the disk read afresh.
        fn assert_equals_from_scratch(&self) {
            let key = |workspace: &Workspace, diagnostic: &Diagnostic| {
                let range = diagnostic.range;
                let path = workspace.file(diagnostic.file).path.clone();
                (path, diagnostic.rule.name(), range.start, range.end)
            };
            let fresh = Workspace::build(vec![loader::load_root(&self.root)]);
            let expected: BTreeSet<_> = workspace_diagnostics(&fresh, &self.session.config)
                .iter()
                .map(|diagnostic| key(&fresh, diagnostic))
                .collect();
            let workspace = &self.session.workspace;
            let got: BTreeSet<_> = self
                .session
                .diagnostics
                .all(&self.session.config)
                .iter()
                .map(|diagnostic| key(workspace, diagnostic))
                .collect();
            assert_eq!(got, expected);
            assert!(
                !expected.is_empty(),
                "the case should leave problems behind"
            );
        }
    }

    /// `tasks` inbox tasks listed in both indexes, each card with an unknown field and
    /// each ledger with `events` unknown events: `tasks × (events + 1)` hints in all.
    fn hints(tasks: usize, events: usize) -> String {
        let mut fixture = format!(
            "{COUNTER}//- /INDEX.md\n| ID | Name | DRI | Stage | Status |\n|---|---|---|---|---|\n"
        );
        for number in 1..=tasks {
            let row = format!("| {number:04} | Task {number:04} | @ana | inbox | active |\n");
            fixture.push_str(&row);
        }
        fixture.push_str("//- /inbox/INDEX.md\n| ID | Name | DRI | Status |\n|---|---|---|---|\n");
        for number in 1..=tasks {
            fixture.push_str(&format!(
                "| {number:04} | Task {number:04} | @ana | active |\n"
            ));
        }
        let event = |n: usize| {
            format!(
                "{{\"ts\":\"2026-03-02T10:00:00Z\",\"user\":\"@ana\",\"event\":\"team_sync_{n}\",\"desc\":\"d\"}}\n"
            )
        };
        let unknown: String = (0..events).map(event).collect();
        for number in 1..=tasks {
            let package = package(&format!("inbox/TASK-{number:04}-t"), "team_colour: teal");
            fixture.push_str(&format!("{package}{unknown}"));
        }
        fixture
    }

    /// What a keystroke in task 1's body costs at the edge, once the card is open: the
    /// files published, the kept diagnostics read and those converted to the protocol's
    /// types, and the parts of the analysis recomputed.
    fn keystroke_cost(
        fixture: &str,
        diagnostics: usize,
    ) -> (Vec<(PathBuf, Option<i32>)>, usize, usize, Work) {
        let mut harness = start(fixture);
        let config = harness.session.config.clone();
        let all = harness.session.diagnostics.all(&config);
        assert_eq!(all.len(), diagnostics, "{all:#?}");
        let card = harness.root.join("inbox/TASK-0001-t/0001-t.task.md");
        let text = std::fs::read_to_string(&card).unwrap();
        harness.open(&card, &text);
        harness.session.analyse_now();
        harness.published();
        let line = text
            .lines()
            .position(|line| line == "Do the thing.")
            .unwrap();
        let at = Position::new(line as u32, 0);
        let converted = harness.session.publisher.converted;
        let read = harness.session.diagnostics.read.get();
        harness.change(&card, 2, at, at, "Now ");
        harness.session.analyse_now();
        let converted = harness.session.publisher.converted - converted;
        let read = harness.session.diagnostics.read.get() - read;
        let published = harness
            .published()
            .into_iter()
            .map(|(path, version)| {
                (
                    path.strip_prefix(&harness.root).unwrap().to_path_buf(),
                    version,
                )
            })
            .collect();
        (
            published,
            read,
            converted,
            harness.session.diagnostics.last_work,
        )
    }

    #[test]
    fn a_keystroke_publishes_the_same_whether_the_workspace_has_10_or_10_000_diagnostics() {
        let small = keystroke_cost(&hints(5, 1), 10);
        let large = keystroke_cost(&hints(1000, 9), 10_000);
        // The card alone, with its one hint, at the new version.
        assert_eq!(small.0.len(), 1, "{:?}", small.0);
        assert_eq!(small.0[0].1, Some(2));
        assert_eq!((small.1, small.2), (1, 1));
        assert_eq!(large, small);
    }

    /// Three tasks, the first one's card open and published: where typing tests start.
    fn typing_into_the_first_card() -> (Harness, PathBuf, String) {
        let mut harness = start(&hints(3, 0));
        let card = harness.root.join("inbox/TASK-0001-t/0001-t.task.md");
        let text = std::fs::read_to_string(&card).unwrap();
        harness.open(&card, &text);
        harness.session.analyse_now();
        harness.published();
        (harness, card, text)
    }

    #[test]
    fn keystrokes_that_arrive_together_are_one_parse_and_queries_see_all_of_them() {
        let (mut harness, card, text) = typing_into_the_first_card();
        let line = text.lines().count() as u32 - 1;
        let parses = || crate::db::PARSES.with(|count| count.get());
        let before = parses();
        // Ten keystrokes queued while the session was busy, handled one after another.
        for version in 2..12 {
            let at = Position::new(line, 0);
            harness.change(&card, version, at, at, "x");
        }
        assert_eq!(parses(), before, "the rope takes them; the model waits");
        // A query reads the model: all ten keystrokes are in it, parsed once.
        let (reply, answer) = std::sync::mpsc::channel();
        harness
            .session
            .handle(Input::Query(Box::new(move |view: &View| {
                let file = view.workspace.file_by_path(&card).unwrap();
                let _ = reply.send(view.workspace.file(file).text.to_string());
            })));
        let seen = answer.recv().unwrap();
        assert_eq!(parses(), before + 1);
        assert!(seen.contains(&"x".repeat(10)), "{seen}");
        harness.session.analyse_now();
        assert_eq!(parses(), before + 1, "the analysis reuses that parse");
        let versions: Vec<Option<i32>> = harness
            .published()
            .into_iter()
            .map(|(_, version)| version)
            .collect();
        assert_eq!(versions, [Some(11)], "published once, at the last version");
        // Saved, the buffer's diagnostics are the disk's.
        std::fs::write(harness.root.join("inbox/TASK-0001-t/0001-t.task.md"), seen).unwrap();
        harness.assert_equals_from_scratch();
    }

    #[test]
    fn the_clock_recomputes_only_the_slos_it_changes() {
        let fixture = format!(
            "{COUNTER}{}{}",
            package("inbox/TASK-0001-a", ""),
            package("inbox/TASK-0002-b", "")
        );
        let mut harness = start(&fixture);
        // Both entered inbox when created, at the same moment: their SLO target passes at
        // the same moment too, which is the next change the clock can make.
        let passes = harness.session.diagnostics.next_clock_change().unwrap();
        harness.session.set_now(passes - 60);
        harness.session.analyse_now();
        harness.published();
        harness.session.set_now(passes - 1);
        harness.session.analyse_now();
        assert_eq!(
            harness.published(),
            vec![],
            "nothing changes before the target passes"
        );
        assert_eq!(harness.session.diagnostics.last_work, Work::default());
        harness.session.set_now(passes);
        harness.session.analyse_now();
        let published: Vec<PathBuf> = harness
            .published()
            .into_iter()
            .map(|(path, _)| path)
            .collect();
        assert_eq!(
            published,
            vec![
                harness.root.join("inbox/TASK-0001-a/0001-a.task.md"),
                harness.root.join("inbox/TASK-0002-b/0002-b.task.md"),
            ]
        );
        let work = harness.session.diagnostics.last_work;
        assert_eq!(
            (work.slos, work.files, work.tasks, work.globals),
            (2, 0, 0, 0)
        );
        harness.assert_equals_from_scratch();
    }

    #[test]
    fn other_files_are_published_when_typing_pauses() {
        let (mut harness, card, text) = typing_into_the_first_card();
        // Renaming the task makes both indexes' rows for it stale.
        let line = text
            .lines()
            .position(|l| l.starts_with("task_name:"))
            .unwrap() as u32;
        let end = text.lines().nth(line as usize).unwrap().len() as u32;
        let (from, to) = (Position::new(line, 0), Position::new(line, end));
        harness.change(&card, 2, from, to, "task_name: \"Renamed\"");
        harness.session.analyse_now();
        let mut at_once = Vec::new();
        while let Ok(output) = harness.outputs.try_recv() {
            if let Output::Publish { path, .. } = output {
                at_once.push(path);
            }
        }
        assert_eq!(at_once, vec![card]);
        assert!(harness.session.publish_due.is_some());
        let later: Vec<PathBuf> = harness
            .published()
            .into_iter()
            .map(|(path, _)| path)
            .collect();
        assert_eq!(
            later,
            vec![
                harness.root.join("INDEX.md"),
                harness.root.join("inbox/INDEX.md")
            ]
        );
        assert!(harness.session.publish_due.is_none());
    }

    #[test]
    fn indexing_again_sends_only_what_changed_and_waits_for_no_pause() {
        let mut harness = start(&hints(2, 0));
        harness.session.handle(Input::Index { progress: None });
        harness.session.analyse_now();
        // Drained without `published()`, which would flush what waits for a pause.
        let mut sent = Vec::new();
        while let Ok(output) = harness.outputs.try_recv() {
            if let Output::Publish { path, .. } = output {
                sent.push(path);
            }
        }
        // Nothing changed, so nothing is sent again; the rebuild alone waits for no pause.
        assert!(sent.is_empty(), "{sent:?}");
        assert!(harness.session.publish_due.is_none());
    }

    /// Asks the session how many tasks its model holds, as a request would.
    fn tasks_seen(session: &mut Session) -> usize {
        let (reply, answer) = std::sync::mpsc::channel();
        session.handle(Input::Query(Box::new(move |view| {
            let _ = reply.send(view.workspace.tasks.len());
        })));
        answer.recv().unwrap()
    }

    #[test]
    fn requests_are_answered_while_the_model_is_rebuilt() {
        let mut harness = start(&format!("{COUNTER}{}", package("backlog/TASK-0001-a", "")));
        // A checkout brings a new task: its folder event queues a rebuild.
        write_fixture(&harness.root, &package("backlog/TASK-0002-b", ""));
        let folder = harness.root.join("backlog/TASK-0002-b");
        harness.session.handle(Input::Disk {
            paths: vec![folder],
        });
        assert!(harness.session.start_rebuild());
        // A request meanwhile is answered from the model as it was, without waiting.
        assert_eq!(tasks_seen(&mut harness.session), 1);
        assert!(
            harness.session.rebuilding.is_some(),
            "it did not wait for the rebuild"
        );
        harness.session.analyse_now();
        assert_eq!(tasks_seen(&mut harness.session), 2);
        harness.assert_equals_from_scratch();
    }

    #[test]
    fn a_request_after_a_buffer_the_model_lacks_waits_for_it() {
        let mut harness = start(&format!("{COUNTER}{}", package("backlog/TASK-0001-a", "")));
        // The client opens a card in a task folder the model has never seen: a request sent
        // after it must see that task.
        let card = harness.root.join("backlog/TASK-0002-b/0002-b.task.md");
        harness.open(&card, "---\ntask_id: \"0002\"\n---\n");
        assert!(harness.session.client_waits);
        assert_eq!(tasks_seen(&mut harness.session), 2);
        assert!(!harness.session.client_waits);
    }

    #[test]
    fn a_folder_moved_away_before_it_was_read_does_not_come_back() {
        let mut harness = start(&format!("{COUNTER}{}", package("backlog/TASK-0001-a", "")));
        // A task folder is created, reported, and moved on before the session reads it.
        write_fixture(&harness.root, &package("current/TASK-0002-b", ""));
        let created = harness.root.join("current/TASK-0002-b");
        harness.session.handle(Input::Disk {
            paths: vec![created.clone()],
        });
        let moved = harness.root.join("next/TASK-0002-b");
        std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
        std::fs::rename(&created, &moved).unwrap();
        harness.session.handle(Input::Disk {
            paths: vec![created, moved],
        });
        // Reading the first folder found nothing: it must not stay as an empty task.
        harness.session.analyse_now();
        harness.assert_equals_from_scratch();
    }

    #[test]
    fn a_file_written_again_after_its_folder_was_removed_is_kept() {
        let mut harness = start(&format!("{COUNTER}{}", package("backlog/TASK-0001-a", "")));
        let folder = harness.root.join("backlog/TASK-0001-a");
        let card = folder.join("0001-a.task.md");
        let text = std::fs::read_to_string(&card).unwrap();
        std::fs::remove_dir_all(&folder).unwrap();
        harness.session.handle(Input::Disk {
            paths: vec![folder.clone()],
        });
        // The card comes back before the removal was analysed: its new text must not be put
        // in place in the model, where the waiting removal would then drop it.
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(&card, text).unwrap();
        harness.session.handle(Input::Disk { paths: vec![card] });
        harness.session.analyse_now();
        harness.assert_equals_from_scratch();
    }

    #[test]
    fn typing_in_a_file_the_model_does_not_read_rebuilds_nothing() {
        let mut harness = start(&format!("{COUNTER}{}", package("backlog/TASK-0001-a", "")));
        let readme = harness.root.join("README.md");
        harness.open(&readme, "# Notes\n");
        let at = Position::new(1, 0);
        harness.change(&readme, 2, at, at, "More.\n");
        // Each keystroke used to queue a rebuild of the whole model that left the file out.
        assert!(harness.session.vfs.is_idle());
    }

    #[test]
    fn a_new_version_is_published_even_when_its_diagnostics_are_the_same() {
        let fixture = format!(
            "{COUNTER}{}",
            package("backlog/TASK-0001-a", "depends_on: [\"TASK-0009\"]")
        );
        let mut harness = start(&fixture);
        let card = harness.root.join("backlog/TASK-0001-a/0001-a.task.md");
        let text = std::fs::read_to_string(&card).unwrap();
        let end = text.lines().count() as u32;
        harness.open(&card, &text);
        harness.session.analyse_now();
        assert_eq!(harness.published(), vec![(card.clone(), Some(1))]);
        // A line added at the end moves no diagnostic. The publisher may have dropped the
        // version 1 result (the client had sent version 2 by then), so version 2 is sent
        // all the same.
        let at = Position::new(end, 0);
        harness.change(&card, 2, at, at, "More.\n");
        harness.session.analyse_now();
        assert_eq!(harness.published(), vec![(card, Some(2))]);
        harness.assert_equals_from_scratch();
    }
}
