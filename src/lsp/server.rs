//! The language server: lifecycle, capabilities, settings and requests. Each handler is a
//! few lines: convert in, ask the session or the analysis, convert out.

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::oneshot;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::base::TextRange;
use crate::ide::completion::{self, CompletionConfig};
use crate::ide::navigation;
use crate::ide::symbols;
use crate::ide::{code_lens, document_links, hover, inlay_hints, rename};
use crate::lsp::capabilities::{
    ClientAbilities, capabilities, negotiate_encoding, workspace_folders,
};
use crate::lsp::code_actions;
use crate::lsp::config::{Settings, fixed_now};
use crate::lsp::from_proto::path_of;
use crate::lsp::session::Input;
use crate::lsp::view::{Query, View};
use crate::lsp::{command_args, commands, from_proto, to_proto};

/// How long any request to the client may take before the server stops waiting.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long indexing waits for the client to accept the progress token: a client that never
/// answers must not keep the workspace from being indexed (and requests from answers).
const PROGRESS_TIMEOUT: Duration = Duration::from_millis(500);
/// How long a pull-diagnostics request may wait for the session.
const PULL_TIMEOUT: Duration = Duration::from_secs(10);
const WATCH_REGISTRATION: &str = "flowos-watched-files";
/// LSP's `RequestFailed`: a request the server understood and refused (a rename of an ID).
const REQUEST_FAILED: i64 = -32803;
/// Workspace symbol searches answer at most this many tasks.
const SYMBOL_LIMIT: usize = 200;

/// "Now" for time in stage and SLOs in hovers, lenses and snippets.
fn now() -> i64 {
    fixed_now().unwrap_or_else(crate::clock::clock_now)
}

/// How long a read-only request may wait for the session (which may be mid-analysis).
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Backend {
    client: Client,
    session: Mutex<Sender<Input>>,
    abilities: OnceLock<ClientAbilities>,
}

/// How long Reject waits for the person to pick a reason.
const REASON_TIMEOUT: Duration = Duration::from_secs(600);

impl Backend {
    /// Reject asks for a reason: a client may put one in the command's argument itself (an
    /// input box); otherwise the server asks with the usual reasons to pick from. False when
    /// the person dismissed the question.
    async fn reason_given(&self, arguments: &mut [serde_json::Value]) -> bool {
        let Some(argument) = arguments.first_mut().and_then(|a| a.as_object_mut()) else {
            return true;
        };
        let given = argument
            .get("reason")
            .and_then(|reason| reason.as_str())
            .is_some_and(|reason| !reason.trim().is_empty());
        if given {
            return true;
        }
        let choices = [
            "Not now: the task is not ready for it",
            "Wrong change for this task",
            "Needs a person's judgement first",
        ];
        let asked = self.client.show_message_request(
            MessageType::INFO,
            "Why reject this proposal? (the reason is recorded in the proposals file)",
            Some(
                choices
                    .iter()
                    .map(|title| MessageActionItem {
                        title: title.to_string(),
                        properties: Default::default(),
                    })
                    .collect(),
            ),
        );
        match tokio::time::timeout(REASON_TIMEOUT, asked).await {
            Ok(Ok(Some(item))) => {
                argument.insert("reason".into(), item.title.into());
                true
            }
            _ => false,
        }
    }

    pub fn new(client: Client, session: Sender<Input>) -> Backend {
        Backend {
            client,
            session: Mutex::new(session),
            abilities: OnceLock::new(),
        }
    }

    fn send(&self, input: Input) {
        // The lock guards only the (synchronous) send; nothing is awaited while holding it.
        if let Ok(session) = self.session.lock() {
            let _ = session.send(input);
        }
    }

    fn abilities(&self) -> ClientAbilities {
        self.abilities.get().copied().unwrap_or_default()
    }

    /// Unwraps a listed answer; when the analysis cut it at `MAX_LISTED`, says so in the
    /// log, since the protocol's lists cannot.
    fn say_if_cut<T>(&self, answer: Option<(Vec<T>, usize)>, what: &str) -> Option<Vec<T>> {
        let (items, total) = answer?;
        if total > items.len() {
            let client = self.client.clone();
            let message = format!(
                "flowos-lsp: listed the first {} of {total} {what}",
                items.len()
            );
            tokio::spawn(async move { client.log_message(MessageType::INFO, message).await });
        }
        Some(items)
    }

    /// Runs a request handler, answering an internal error (and logging it) if it panics, so
    /// one bad request never takes the server down.
    async fn guarded<T>(
        &self,
        method: &str,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        match AssertUnwindSafe(work).catch_unwind().await {
            Ok(result) => result,
            Err(panic) => {
                let reason = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                let message = format!("internal error in {method}: {reason}");
                eprintln!("flowos-lsp: {message}");
                self.client.log_message(MessageType::ERROR, &message).await;
                Err(Error::internal_error())
            }
        }
    }

    /// Runs a read-only request on the session thread, after every change received before
    /// it, and returns its answer; a panic or a lost answer becomes an internal error.
    async fn query<T: Send + 'static>(
        &self,
        method: &str,
        work: impl FnOnce(&View) -> T + Send + 'static,
    ) -> Result<T> {
        self.ask(method, Input::Query, work).await
    }

    /// Like [`Backend::query`], after any pending analysis, for requests that read the
    /// diagnostics (code actions).
    async fn query_analysed<T: Send + 'static>(
        &self,
        method: &str,
        work: impl FnOnce(&View) -> T + Send + 'static,
    ) -> Result<T> {
        self.ask(method, Input::AnalysedQuery, work).await
    }

    /// `flowos.query`: what `flowos-lsp query --format json` prints, answered from the live
    /// model. The one argument is an `ide::query::QueryRequest` (`{"query": "ready", "why":
    /// true, "filters": {"dri": ["@ana"]}}`, see docs/queries.md); read-only, so it runs as a
    /// query on the session, never as a transaction.
    async fn flowos_query(
        &self,
        arguments: Vec<serde_json::Value>,
    ) -> Result<Option<serde_json::Value>> {
        let request: crate::ide::query::QueryRequest = arguments
            .into_iter()
            .next()
            .map(serde_json::from_value)
            .transpose()
            .map_err(|error| Error::invalid_params(format!("flowos.query: {error}")))?
            .unwrap_or_default();
        let now = now();
        self.query("workspace/executeCommand", move |view| {
            crate::ide::query::answer(view.workspace, &request, now)
        })
        .await?
        .map(Some)
        .map_err(|error| Error::invalid_params(error.0))
    }

    async fn ask<T: Send + 'static>(
        &self,
        method: &str,
        input: fn(Query) -> Input,
        work: impl FnOnce(&View) -> T + Send + 'static,
    ) -> Result<T> {
        self.guarded(method, async {
            let (reply, answer) = oneshot::channel();
            self.send(input(Box::new(move |view| {
                let _ = reply.send(work(view));
            })));
            match tokio::time::timeout(QUERY_TIMEOUT, answer).await {
                Ok(Ok(result)) => Ok(result),
                Ok(Err(_)) => {
                    self.client
                        .log_message(MessageType::ERROR, format!("internal error in {method}"))
                        .await;
                    Err(Error::internal_error())
                }
                Err(_) => Err(Error::internal_error()),
            }
        })
        .await
    }

    async fn pull_settings(&self) {
        if !self.abilities().configuration {
            return;
        }
        let items = vec![ConfigurationItem {
            scope_uri: None,
            section: Some("flowos".into()),
        }];
        match tokio::time::timeout(CLIENT_TIMEOUT, self.client.configuration(items)).await {
            Ok(Ok(values)) => {
                if let Some(value) = values.into_iter().next() {
                    self.send(Input::Settings(value));
                }
            }
            Ok(Err(error)) => eprintln!("flowos-lsp: workspace/configuration failed: {error}"),
            Err(_) => eprintln!("flowos-lsp: workspace/configuration timed out"),
        }
    }

    async fn register_watcher(&self) {
        if !self.abilities().dynamic_watch {
            self.send(Input::WatchDisk);
            return;
        }
        let options = serde_json::json!({
            "watchers": [{"globPattern": "**/.work/tasks/**"}]
        });
        let registration = Registration {
            id: WATCH_REGISTRATION.into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: Some(options),
        };
        let result = tokio::time::timeout(
            CLIENT_TIMEOUT,
            self.client.register_capability(vec![registration]),
        )
        .await;
        if !matches!(result, Ok(Ok(()))) {
            eprintln!("flowos-lsp: file-watch registration failed; watching the disk instead");
            self.send(Input::WatchDisk);
        }
    }

    async fn create_progress(&self) -> Option<ProgressToken> {
        if !self.abilities().progress {
            return None;
        }
        let token = ProgressToken::String("flowos-indexing".into());
        let created = tokio::time::timeout(
            PROGRESS_TIMEOUT,
            self.client.create_work_done_progress(token.clone()),
        )
        .await;
        matches!(created, Ok(Ok(()))).then_some(token)
    }

    /// Runs a command on the session (a transaction on disk, the written files re-read and
    /// published before the answer).
    async fn run_command(
        &self,
        command: String,
        arguments: Vec<serde_json::Value>,
    ) -> Result<commands::Outcome> {
        let (reply, answer) = oneshot::channel();
        self.send(Input::Command {
            command,
            arguments,
            now: now(),
            edits_buffers: self.abilities().apply_edit,
            reply,
        });
        self.guarded("workspace/executeCommand", async {
            answer.await.map_err(|_| Error::internal_error())
        })
        .await
    }

    /// Gives the client what a command did: the open indexes' rows, a message (errors only
    /// when `show_errors`: a request that fails says it in its answer), the card to show.
    /// Returns whether it succeeded, its message, and the card shown.
    async fn deliver(
        &self,
        mut outcome: commands::Outcome,
        show_errors: bool,
    ) -> (bool, Option<String>, Option<Uri>) {
        if let Some(edit) = outcome.buffer_edit.take() {
            let applied = tokio::time::timeout(CLIENT_TIMEOUT, self.client.apply_edit(edit)).await;
            if !matches!(applied, Ok(Ok(response)) if response.applied) {
                // The move is done on disk; only the open index lags, and its index rules
                // (with their fixes) now say so.
                outcome.message = Some((
                    MessageType::WARNING,
                    "the change was made, but an open INDEX.md with unsaved changes did not \
                     take its new rows; its index fixes will add them"
                        .to_string(),
                ));
            }
        }
        // A client that cannot open the moved or created card (Helix up to 25.07, eglot 1.9)
        // is told where it is.
        if let Some(path) = &outcome.show
            && !self.abilities().show_document
        {
            let at = format!("the card is at {}", path.display());
            outcome.message = Some(match outcome.message.take() {
                Some((level, message)) => (level, format!("{message}; {at}")),
                None => (MessageType::INFO, at),
            });
        }
        let ok = outcome
            .message
            .as_ref()
            .is_none_or(|(level, _)| *level != MessageType::ERROR);
        if let Some((level, message)) = &outcome.message
            && (ok || show_errors)
        {
            self.client.show_message(*level, message).await;
        }
        let shown = outcome.show.as_ref().and_then(|path| to_proto::uri(path));
        if let Some(uri) = &shown
            && self.abilities().show_document
        {
            let params = ShowDocumentParams {
                uri: uri.clone(),
                external: Some(false),
                take_focus: Some(true),
                selection: None,
            };
            let _ = tokio::time::timeout(CLIENT_TIMEOUT, self.client.show_document(params)).await;
        }
        (ok, outcome.message.map(|(_, message)| message), shown)
    }

    #[cfg(debug_assertions)]
    /// A request that panics, so tests can prove a panicking handler leaves the server
    /// serving. Only in debug builds.
    pub async fn debug_panic(&self, params: serde_json::Value) -> Result<serde_json::Value> {
        self.guarded("flowos/debugPanic", async {
            if let Some(reason) = params.get("reason").and_then(serde_json::Value::as_str) {
                panic!("{reason}");
            }
            Ok(serde_json::Value::Null)
        })
        .await
    }

    #[cfg(debug_assertions)]
    /// Moves the clock SLOs are measured at to `{"now": RFC 3339}` and stops it there, as
    /// time passing would move it; answered once the session has taken it. Lets tests cross
    /// SLO thresholds without waiting. Only in debug builds.
    pub async fn debug_set_now(&self, params: serde_json::Value) -> Result<serde_json::Value> {
        let now = params
            .get("now")
            .and_then(serde_json::Value::as_str)
            .and_then(crate::syntax::time::parse_rfc3339)
            .ok_or_else(|| {
                tower_lsp_server::jsonrpc::Error::invalid_params("expected {\"now\": RFC 3339}")
            })?;
        self.send(Input::SetNow(now));
        self.query("flowos/debugSetNow", |_| ()).await?;
        Ok(serde_json::Value::Null)
    }

    #[cfg(debug_assertions)]
    /// The text and version of an open buffer as the server holds it (null when it is not
    /// open), answered after every change received before it, so tests can prove the buffer
    /// equals the client's after any stream of edits. Only in debug builds.
    pub async fn debug_document_text(
        &self,
        params: TextDocumentIdentifier,
    ) -> Result<serde_json::Value> {
        let found = self
            .query("flowos/debugDocumentText", move |view| {
                let document = view.documents.get(&path_of(&params.uri)?)?;
                Some(serde_json::json!({"version": document.version, "text": document.text()}))
            })
            .await?;
        Ok(found.unwrap_or(serde_json::Value::Null))
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let abilities = ClientAbilities::of(&params.capabilities);
        let _ = self.abilities.set(abilities);
        let encoding = negotiate_encoding(&params);
        let settings = params
            .initialization_options
            .as_ref()
            .map(Settings::from_json)
            .unwrap_or_default();
        // Recorded before `initialize` answers, so every later change is read in this encoding.
        self.send(Input::Configure {
            encoding,
            settings,
            folders: workspace_folders(&params),
        });
        Ok(InitializeResult {
            capabilities: capabilities(encoding),
            server_info: Some(ServerInfo {
                name: "flowos-lsp".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        // Indexing starts as soon as the progress token exists (or could not be had); the
        // settings and the watcher follow without holding it up.
        let progress = self.create_progress().await;
        self.send(Input::Index { progress });
        self.pull_settings().await;
        self.register_watcher().await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        if !params.settings.is_null() && params.settings.as_object().is_some_and(|o| !o.is_empty())
        {
            self.send(Input::Settings(params.settings));
        }
        self.pull_settings().await;
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        let paths = |folders: &[WorkspaceFolder]| -> Vec<PathBuf> {
            folders
                .iter()
                .filter_map(|folder| path_of(&folder.uri))
                .collect()
        };
        self.send(Input::Folders {
            added: paths(&params.event.added),
            removed: paths(&params.event.removed),
        });
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let links = self.abilities().definition_links;
        let at = params.text_document_position_params;
        self.query("textDocument/definition", move |view| {
            let (file, offset) =
                from_proto::file_position(view, &at.text_document.uri, at.position)?;
            let (origin, target) = navigation::goto_definition(view.workspace, file, offset)?;
            to_proto::goto_definition(view, file, origin, &target, links)
        })
        .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let at = params.text_document_position;
        let include_declaration = params.context.include_declaration;
        let answer = self
            .query("textDocument/references", move |view| {
                let (file, offset) =
                    from_proto::file_position(view, &at.text_document.uri, at.position)?;
                let found =
                    navigation::references(view.workspace, file, offset, include_declaration);
                let locations: Vec<Location> = found
                    .items
                    .into_iter()
                    .filter_map(|(file, range)| {
                        to_proto::location(view.workspace, file, range, view.encoding)
                    })
                    .collect();
                Some((locations, found.total))
            })
            .await?;
        Ok(self.say_if_cut(answer, "references"))
    }

    async fn prepare_call_hierarchy(
        &self,
        params: CallHierarchyPrepareParams,
    ) -> Result<Option<Vec<CallHierarchyItem>>> {
        let at = params.text_document_position_params;
        self.query("textDocument/prepareCallHierarchy", move |view| {
            let (file, offset) =
                from_proto::file_position(view, &at.text_document.uri, at.position)?;
            let item = navigation::prepare_hierarchy(view.workspace, file, offset)?;
            Some(vec![to_proto::call_hierarchy_item(view, &item)?])
        })
        .await
    }

    async fn incoming_calls(
        &self,
        params: CallHierarchyIncomingCallsParams,
    ) -> Result<Option<Vec<CallHierarchyIncomingCall>>> {
        self.query("callHierarchy/incomingCalls", move |view| {
            let task = from_proto::hierarchy_task(view, &params.item)?;
            let calls = navigation::incoming(view.workspace, task)
                .into_iter()
                .filter_map(|(caller, ranges)| to_proto::incoming_call(view, &caller, &ranges))
                .collect();
            Some(calls)
        })
        .await
    }

    async fn outgoing_calls(
        &self,
        params: CallHierarchyOutgoingCallsParams,
    ) -> Result<Option<Vec<CallHierarchyOutgoingCall>>> {
        self.query("callHierarchy/outgoingCalls", move |view| {
            let task = from_proto::hierarchy_task(view, &params.item)?;
            let card = task.card?;
            let calls = navigation::outgoing(view.workspace, task)
                .into_iter()
                .filter_map(|(callee, ranges)| {
                    to_proto::outgoing_call(view, card, &callee, &ranges)
                })
                .collect();
            Some(calls)
        })
        .await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let abilities = self.abilities().edits;
        let now = now();
        self.query_analysed("textDocument/codeAction", move |view| {
            let (file, range) =
                from_proto::file_range(view, &params.text_document.uri, params.range)?;
            let request = code_actions::Request {
                file,
                range,
                only: params.context.only.clone(),
                abilities,
                now,
            };
            Some(code_actions::code_actions(view, &request))
        })
        .await
    }

    async fn execute_command(
        &self,
        params: ExecuteCommandParams,
    ) -> Result<Option<serde_json::Value>> {
        if params.command == command_args::QUERY_COMMAND {
            return self.flowos_query(params.arguments).await;
        }
        let mut params = params;
        if params.command == command_args::REJECT_COMMAND
            && !self.reason_given(&mut params.arguments).await
        {
            // The person dismissed the question: nothing is rejected.
            return Ok(None);
        }
        let outcome = self.run_command(params.command, params.arguments).await?;
        let (ok, message, shown) = self.deliver(outcome, true).await;
        Ok(Some(serde_json::json!({
            "ok": ok,
            "message": message,
            "show": shown.map(|uri| uri.as_str().to_string()),
        })))
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        self.query("textDocument/prepareRename", move |view| {
            let (file, offset) =
                from_proto::file_position(view, &params.text_document.uri, params.position)
                    .ok_or(None)?;
            let target = rename::prepare(view.workspace, file, offset).map_err(Some)?;
            Ok(target.map(|target| to_proto::prepare_rename(view, file, target)))
        })
        .await?
        .or_else(|refusal: Option<String>| refusal.map_or(Ok(None), |why| Err(request_failed(why))))
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let at = params.text_document_position;
        let name = params.new_name;
        // The task under the cursor, named as a transition's command names it.
        let argument = self
            .query("textDocument/rename", move |view| {
                let (file, offset) =
                    from_proto::file_position(view, &at.text_document.uri, at.position)
                        .ok_or("this file is not in a tasks root")?;
                let target = rename::prepare(view.workspace, file, offset)?
                    .ok_or("there is no task name here to rename")?;
                let task = command_args::TaskArgument::new(view.workspace, target.task, None, &[]);
                Ok::<_, String>(command_args::write(&command_args::RenameArgument {
                    task,
                    name,
                }))
            })
            .await?
            .map_err(|why: String| request_failed(why.to_string()))?;
        let outcome = self
            .run_command(command_args::RENAME_COMMAND.to_string(), vec![argument])
            .await?;
        let (ok, message, _) = self.deliver(outcome, false).await;
        if !ok {
            return Err(request_failed(message.unwrap_or_default()));
        }
        // Done on disk, as a transition is: the editor has nothing left to apply.
        Ok(Some(WorkspaceEdit::default()))
    }

    async fn will_rename_files(&self, params: RenameFilesParams) -> Result<Option<WorkspaceEdit>> {
        let abilities = self.abilities().edits;
        let now = now();
        let (edit, messages) = self
            .query("workspace/willRenameFiles", move |view| {
                let renames: Vec<(PathBuf, PathBuf)> = params
                    .files
                    .iter()
                    .filter_map(|file| {
                        let old = path_of(&file.old_uri.parse().ok()?)?;
                        let new = path_of(&file.new_uri.parse().ok()?)?;
                        Some((old, new))
                    })
                    .collect();
                let config = view.config_at(now);
                let answer = rename::file_renames(view.workspace, &renames, &config);
                let edit = (!answer.change.changes.is_empty())
                    .then(|| to_proto::workspace_edit(view, &answer.change, abilities))
                    .flatten();
                (edit, answer.messages)
            })
            .await?;
        for message in messages {
            self.client
                .show_message(MessageType::WARNING, message)
                .await;
        }
        Ok(edit)
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let at = params.text_document_position;
        let now = now();
        self.query("textDocument/completion", move |view| {
            let (file, offset) =
                from_proto::file_position(view, &at.text_document.uri, at.position)?;
            let config = CompletionConfig {
                analysis: view.config_at(now),
                limit: completion::DEFAULT_LIMIT,
            };
            let list = completion::completion(view.workspace, file, offset, &config)?;
            Some(to_proto::completion_list(view, file, list))
        })
        .await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let at = params.text_document_position_params;
        let now = now();
        self.query("textDocument/hover", move |view| {
            let (file, offset) =
                from_proto::file_position(view, &at.text_document.uri, at.position)?;
            let found = hover::hover(view.workspace, file, offset, &view.config_at(now))?;
            Some(to_proto::hover(view, file, found))
        })
        .await
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let answer = self
            .query("textDocument/documentSymbol", move |view| {
                let file = from_proto::file(view, &params.text_document.uri)?;
                let listed = symbols::document_symbols(view.workspace, file);
                let found = listed
                    .items
                    .into_iter()
                    .map(|symbol| to_proto::document_symbol(view, file, symbol))
                    .collect();
                Some((found, listed.total))
            })
            .await?;
        Ok(self
            .say_if_cut(answer, "symbols")
            .map(DocumentSymbolResponse::Nested))
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        self.query("workspace/symbol", move |view| {
            let found = symbols::workspace_symbols(view.workspace, &params.query, SYMBOL_LIMIT)
                .into_iter()
                .filter_map(|symbol| to_proto::workspace_symbol(view, symbol))
                .collect();
            Some(WorkspaceSymbolResponse::Nested(found))
        })
        .await
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        let answer = self
            .query("textDocument/documentLink", move |view| {
                let file = from_proto::file(view, &params.text_document.uri)?;
                let listed = document_links::document_links(view.workspace, file);
                let links = listed
                    .items
                    .into_iter()
                    .map(|link| to_proto::document_link(view, file, link))
                    .collect();
                Some((links, listed.total))
            })
            .await?;
        Ok(self.say_if_cut(answer, "links"))
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        self.query("textDocument/inlayHint", move |view| {
            let file = from_proto::file(view, &params.text_document.uri)?;
            let start =
                from_proto::file_position(view, &params.text_document.uri, params.range.start)?.1;
            let end =
                from_proto::file_position(view, &params.text_document.uri, params.range.end)?.1;
            let hints = inlay_hints::inlay_hints(
                view.workspace,
                file,
                TextRange::new(start, end.max(start)),
            )
            .into_iter()
            .map(|hint| to_proto::inlay_hint(view, file, hint))
            .collect();
            Some(hints)
        })
        .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let now = now();
        self.query("textDocument/codeLens", move |view| {
            let file = from_proto::file(view, &params.text_document.uri)?;
            let lenses = code_lens::code_lens(view.workspace, file, &view.config_at(now))
                .into_iter()
                .map(|lens| to_proto::code_lens(view, file, lens))
                .collect();
            Some(lenses)
        })
        .await
    }

    async fn diagnostic(
        &self,
        params: DocumentDiagnosticParams,
    ) -> Result<DocumentDiagnosticReportResult> {
        self.guarded("textDocument/diagnostic", async {
            let items = match path_of(&params.text_document.uri) {
                Some(path) => {
                    let (reply, answer) = oneshot::channel();
                    self.send(Input::Pull { path, reply });
                    match tokio::time::timeout(PULL_TIMEOUT, answer).await {
                        Ok(Ok(items)) => items,
                        _ => return Err(Error::internal_error()),
                    }
                }
                None => Vec::new(),
            };
            Ok(DocumentDiagnosticReportResult::Report(
                DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport {
                    related_documents: None,
                    full_document_diagnostic_report: FullDocumentDiagnosticReport {
                        result_id: None,
                        items,
                    },
                }),
            ))
        })
        .await
    }
}

/// A refusal the client shows as it is (`RequestFailed`, with the reason).
fn request_failed(message: String) -> Error {
    Error {
        code: tower_lsp_server::jsonrpc::ErrorCode::ServerError(REQUEST_FAILED),
        message: message.into(),
        data: None,
    }
}
