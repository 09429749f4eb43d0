//! The publisher: the one owner of what the client has been told about diagnostics. It takes
//! the analysis' deltas, converts to protocol types only the files in them, sends a file only
//! when what it would send differs from what it sent last (or the document's version moved),
//! and holds the one rule that drops a stale result (see [`superseded`]).

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dashmap::DashMap;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::notification::{Notification, Progress, PublishDiagnostics};
use tower_lsp_server::ls_types::{
    self as lsp, MessageType, ProgressParams, ProgressParamsValue, ProgressToken,
    PublishDiagnosticsParams,
};

use crate::base::PositionEncoding;
use crate::db::{FileId, Workspace};
use crate::ide::diagnostics::incremental::{Delta, IncrementalDiagnostics};
use crate::ide::types::Config;
use crate::lsp::backlog::{Backlog, Frame, Ticket};
use crate::lsp::documents::Document;
use crate::lsp::to_proto;

/// The latest version of each open document, as the client numbered it. Written by the
/// ordering layer as changes arrive, read here to drop anything computed for an older
/// version.
pub type Versions = Arc<DashMap<PathBuf, i32>>;

/// What the session asks the publisher to send, in order.
#[derive(Debug)]
pub enum Output {
    Publish {
        uri: lsp::Uri,
        path: PathBuf,
        diagnostics: Vec<lsp::Diagnostic>,
        version: Option<i32>,
        /// In flight until written (see [`Backlog`]).
        ticket: Ticket,
    },
    Log(MessageType, String),
    /// A `window/showMessage`: for what the user must see (a setting refused, a task file
    /// in no tasks root), once.
    Show(MessageType, String),
    Progress(ProgressToken, lsp::WorkDoneProgress),
}

/// What was last sent for one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sent {
    /// A digest of the protocol diagnostics sent, when it was taken (an empty list has its
    /// own). Only a rebuild's republication compares digests: a file in a delta is sent.
    digest: Option<u64>,
    /// The document version they were sent with (None: the file was not open).
    version: Option<i32>,
}

/// What the publisher knew of the model's files, by path, while the model is rebuilt and
/// file ids move.
pub struct Detached {
    sent: HashMap<PathBuf, Sent>,
    pending: Vec<PathBuf>,
}

/// What a flush reads: the model, the kept diagnostics and the open documents.
pub struct Sources<'s> {
    pub workspace: &'s Workspace,
    pub diagnostics: &'s IncrementalDiagnostics,
    pub config: &'s Config,
    pub documents: &'s HashMap<PathBuf, Document>,
    pub encoding: PositionEncoding,
    /// Whether a path lies in a tasks root without passing through a link: documents
    /// elsewhere get no publications at all.
    pub confined: &'s (dyn Fn(&Path) -> bool + Sync),
}

#[derive(Default)]
pub struct Publisher {
    /// The model's files that were published, keyed by id (see [`Publisher::detach`]).
    sent: HashMap<FileId, Sent>,
    /// Open documents the model does not hold (a README in the root): their new versions
    /// are published, with no diagnostics.
    sent_outside: HashMap<PathBuf, i32>,
    /// Files of the deltas not yet published (an analysis whose result was not sent because
    /// a newer change arrived leaves its delta here for the next one).
    pending: BTreeSet<FileId>,
    pending_paths: BTreeSet<PathBuf>,
    /// Files that left the model with diagnostics still shown: they are sent an empty list.
    cleared: BTreeSet<PathBuf>,
    /// Every published file must be looked at again (a rebuild, new settings).
    everything: bool,
    /// Files looked at again after a rebuild: sent only if what they would send differs.
    recheck: BTreeSet<FileId>,
    /// How many diagnostics were converted to protocol types, and files sent: the measure of
    /// a keystroke's work at the edge.
    pub converted: usize,
    pub published: usize,
    /// The publications between here and stdout, which bound how far ahead a flush converts.
    pub backlog: Arc<Backlog>,
}

impl Publisher {
    /// Takes an analysis' delta; its files are published at the next flush.
    pub fn add(&mut self, delta: Delta) {
        self.everything |= delta.everything;
        self.pending.extend(delta.files);
    }

    /// A document was opened, changed or closed: its version moved, so it is published again
    /// even if its diagnostics are the same.
    pub fn touch(&mut self, workspace: &Workspace, path: &Path) {
        match workspace.file_by_path(path) {
            Some(file) => {
                self.pending.insert(file);
            }
            None => {
                self.pending_paths.insert(path.to_path_buf());
            }
        }
    }

    /// Keys what was sent by path, before a rebuild moves the file ids.
    pub fn detach(&mut self, workspace: &Workspace) -> Detached {
        let path = |file: FileId| workspace.files.get(file.0 as usize).map(|f| f.path.clone());
        Detached {
            sent: std::mem::take(&mut self.sent)
                .into_iter()
                .filter_map(|(file, sent)| Some((path(file)?, sent)))
                .collect(),
            pending: std::mem::take(&mut self.pending)
                .into_iter()
                .filter_map(path)
                .collect(),
        }
    }

    /// Keys what was sent by the rebuilt model's ids. A file the model no longer holds is
    /// published once more (with no diagnostics) if it had any.
    pub fn attach(&mut self, workspace: &Workspace, detached: Detached) {
        for (path, sent) in detached.sent {
            match workspace.file_by_path(&path) {
                Some(file) => {
                    self.sent.insert(file, sent);
                }
                None if sent.digest == Some(digest(&[])) => {
                    if let Some(version) = sent.version {
                        self.sent_outside.insert(path, version);
                    }
                }
                None => {
                    self.cleared.insert(path);
                }
            }
        }
        for path in detached.pending {
            self.touch(workspace, &path);
        }
        self.everything = true;
    }

    /// Whether every published file is to be looked at again (a rebuild, the first index).
    pub fn starting_over(&self) -> bool {
        self.everything
    }

    /// Whether publications wait (see [`Scope::Open`]).
    pub fn is_waiting(&self) -> bool {
        !self.pending.is_empty() || !self.recheck.is_empty() || self.everything
    }

    /// Sends what the pending files' diagnostics are now, where the client's may differ:
    /// all of them, or with [`Scope::Open`] the open documents' only.
    pub fn flush(&mut self, sources: &Sources, scope: Scope, output: &UnboundedSender<Output>) {
        let mut paths = std::mem::take(&mut self.pending_paths);
        // Everything was computed afresh: what the client already has is not sent again.
        let starting_over = std::mem::take(&mut self.everything);
        if starting_over {
            let sent: Vec<FileId> = self.sent.keys().copied().collect();
            self.recheck.extend(sent);
            for path in sources.documents.keys() {
                match sources.workspace.file_by_path(path) {
                    Some(file) => self.recheck.insert(file),
                    None => paths.insert(path.clone()),
                };
            }
        }
        let is_open = |file: &FileId| {
            let path = sources
                .workspace
                .files
                .get(file.0 as usize)
                .map(|f| &f.path);
            path.is_some_and(|path| sources.documents.contains_key(path))
        };
        let (files, recheck) = match scope {
            Scope::All => (
                std::mem::take(&mut self.pending),
                std::mem::take(&mut self.recheck),
            ),
            Scope::Open => {
                let (files, later) = std::mem::take(&mut self.pending)
                    .into_iter()
                    .partition(is_open);
                self.pending = later;
                let (recheck, later) = std::mem::take(&mut self.recheck)
                    .into_iter()
                    .partition(is_open);
                self.recheck = later;
                (files, recheck)
            }
        };
        let files: BTreeSet<FileId> = files;
        let recheck: BTreeSet<FileId> = recheck.difference(&files).copied().collect();
        let jobs: Vec<(FileId, bool)> = files
            .into_iter()
            .map(|file| (file, starting_over))
            .chain(recheck.into_iter().map(|file| (file, true)))
            .filter(|&(file, _)| (file.0 as usize) < sources.workspace.files.len())
            .collect();
        // The first publication and a rebuild's convert every file with diagnostics: that
        // runs on every core, a slice at a time so that what waits to be sent stays small.
        for slice in jobs.chunks(PARALLEL_SLICE) {
            // Converting further ahead of what the client has been written only fills queues.
            self.backlog.wait_below_limit();
            let sent = &self.sent;
            let prepared = if slice.len() >= PARALLEL_FROM {
                crate::parallel::parallel_map(slice.to_vec(), |(file, compare)| {
                    prepare(sources, sent, file, compare)
                })
            } else {
                slice
                    .iter()
                    .map(|&(file, compare)| prepare(sources, sent, file, compare))
                    .collect()
            };
            for publication in prepared.into_iter().flatten() {
                self.finish(sources, publication, output);
            }
        }
        for path in paths {
            self.flush_path(sources, &path, output);
        }
        for path in std::mem::take(&mut self.cleared) {
            if sources.workspace.file_by_path(&path).is_some() {
                continue;
            }
            let version = sources
                .documents
                .get(&path)
                .map(|document| document.version);
            let version = version.filter(|_| (sources.confined)(&path));
            if let Some(version) = version {
                self.sent_outside.insert(path.clone(), version);
            }
            self.send(&path, Vec::new(), version, output);
        }
    }

    /// Records and sends one file's publication, unless the client has exactly that already.
    fn finish(
        &mut self,
        sources: &Sources,
        publication: Prepared,
        output: &UnboundedSender<Output>,
    ) {
        let Prepared {
            file,
            found,
            converted,
            now,
        } = publication;
        self.converted += found;
        if now.digest.is_some() && self.sent.get(&file) == Some(&now) {
            return;
        }
        if found == 0 && now.version.is_none() {
            self.sent.remove(&file);
        } else {
            self.sent.insert(file, now);
        }
        self.send(
            &sources.workspace.file(file).path,
            converted,
            now.version,
            output,
        );
    }

    /// An open document the model does not hold gets each new version published, with no
    /// diagnostics, when it lies in a tasks root.
    fn flush_path(&mut self, sources: &Sources, path: &Path, output: &UnboundedSender<Output>) {
        if sources.workspace.file_by_path(path).is_some() {
            return;
        }
        let Some(document) = sources.documents.get(path) else {
            self.sent_outside.remove(path);
            return;
        };
        if !(sources.confined)(path) || self.sent_outside.get(path) == Some(&document.version) {
            return;
        }
        self.sent_outside
            .insert(path.to_path_buf(), document.version);
        self.send(path, Vec::new(), Some(document.version), output);
    }

    fn send(
        &mut self,
        path: &Path,
        diagnostics: Vec<lsp::Diagnostic>,
        version: Option<i32>,
        output: &UnboundedSender<Output>,
    ) {
        let Some(uri) = to_proto::uri(path) else {
            return;
        };
        self.published += 1;
        let _ = output.send(Output::Publish {
            ticket: self.backlog.ticket(),
            uri,
            path: path.to_path_buf(),
            diagnostics,
            version,
        });
    }
}

/// From how many files a flush converts on every core, and how many it converts at a time.
const PARALLEL_FROM: usize = 256;
pub const PARALLEL_SLICE: usize = 256;

/// One file's publication, converted and ready to send.
struct Prepared {
    file: FileId,
    /// How many diagnostics it holds.
    found: usize,
    converted: Vec<lsp::Diagnostic>,
    /// What is recorded as sent, the digest taken when `compare` asked for it.
    now: Sent,
}

/// Converts one file's diagnostics; with `compare`, takes the digest that tells whether the
/// client has them already. None when there is nothing to send: no diagnostics now, none
/// sent before, and no open document whose version moved.
fn prepare(
    sources: &Sources,
    sent: &HashMap<FileId, Sent>,
    file: FileId,
    compare: bool,
) -> Option<Prepared> {
    let path = &sources.workspace.file(file).path;
    let version = sources.documents.get(path).map(|document| document.version);
    let found = sources.diagnostics.file(file, sources.config);
    if found.is_empty() && !sent.contains_key(&file) && version.is_none() {
        return None;
    }
    let converted: Vec<lsp::Diagnostic> = found
        .iter()
        .map(|diagnostic| to_proto::diagnostic(sources.workspace, diagnostic, sources.encoding))
        .collect();
    Some(Prepared {
        file,
        found: found.len(),
        now: Sent {
            digest: compare.then(|| digest(&converted)),
            version,
        },
        converted,
    })
}

/// Which pending publications a flush sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Everything pending.
    All,
    /// The open documents' only: what the user is looking at goes out with each keystroke;
    /// other files (an INDEX.md with thousands of stale cells, say) wait for a pause in
    /// the typing, so their size never lands on a keystroke.
    Open,
}

/// A digest of a list of protocol diagnostics, to tell whether sending it again would change
/// anything for the client: every field that is serialised, hashed as it is rather than
/// serialised first (which cost as much as sending the list).
fn digest(diagnostics: &[lsp::Diagnostic]) -> u64 {
    let mut hasher = DefaultHasher::new();
    diagnostics.len().hash(&mut hasher);
    for diagnostic in diagnostics {
        let lsp::Diagnostic {
            range,
            severity,
            code,
            code_description,
            source,
            message,
            related_information,
            tags,
            data,
        } = diagnostic;
        range.hash(&mut hasher);
        severity
            .map(|severity| SEVERITIES.iter().position(|&known| known == severity))
            .hash(&mut hasher);
        code.hash(&mut hasher);
        code_description
            .as_ref()
            .map(|description| &description.href)
            .hash(&mut hasher);
        source.hash(&mut hasher);
        message.hash(&mut hasher);
        related_information
            .iter()
            .flatten()
            .map(|related| (&related.location, &related.message))
            .collect::<Vec<_>>()
            .hash(&mut hasher);
        // Never set by this server; should that change, they count too.
        tags.as_ref()
            .map(|tags| format!("{tags:?}"))
            .hash(&mut hasher);
        data.as_ref().map(ToString::to_string).hash(&mut hasher);
    }
    hasher.finish()
}

const SEVERITIES: [lsp::DiagnosticSeverity; 4] = [
    lsp::DiagnosticSeverity::ERROR,
    lsp::DiagnosticSeverity::WARNING,
    lsp::DiagnosticSeverity::INFORMATION,
    lsp::DiagnosticSeverity::HINT,
];

/// The stale-result rule: diagnostics computed for an older version of a document than the
/// client has since sent are not sent (the newer version's own analysis follows).
pub fn superseded(version: Option<i32>, latest: Option<i32>) -> bool {
    matches!((version, latest), (Some(version), Some(latest)) if latest > version)
}

/// Sends the session's output to the client, in order, dropping superseded diagnostics.
pub async fn send_to_client(
    client: Client,
    mut outputs: UnboundedReceiver<Output>,
    versions: Versions,
    frames: UnboundedSender<Frame>,
) {
    while let Some(output) = outputs.recv().await {
        match output {
            Output::Publish {
                uri,
                path,
                diagnostics,
                version,
                ticket,
            } => {
                let latest = versions.get(&path).map(|latest| *latest);
                if superseded(version, latest) {
                    continue;
                }
                let params = PublishDiagnosticsParams {
                    uri,
                    diagnostics,
                    version,
                };
                match Frame::notification(PublishDiagnostics::METHOD, &params, ticket) {
                    Ok(frame) => {
                        let _ = frames.send(frame);
                    }
                    Err(error) => eprintln!("flowos-lsp: cannot write diagnostics: {error}"),
                }
            }
            Output::Log(level, message) => {
                eprintln!("flowos-lsp: {message}");
                client.log_message(level, message).await;
            }
            Output::Show(level, message) => {
                eprintln!("flowos-lsp: {message}");
                client.show_message(level, message).await;
            }
            Output::Progress(token, value) => {
                client
                    .send_notification::<Progress>(ProgressParams {
                        token,
                        value: ProgressParamsValue::WorkDone(value),
                    })
                    .await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::superseded;

    #[test]
    fn only_a_result_for_an_older_version_than_the_clients_is_stale() {
        assert!(superseded(Some(3), Some(4)));
        assert!(!superseded(Some(4), Some(4)));
        assert!(!superseded(None, Some(4)), "a closed file's result stands");
        assert!(!superseded(Some(4), None));
    }
}
