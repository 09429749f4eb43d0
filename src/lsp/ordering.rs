//! Document changes recorded in arrival order, before anything is awaited.
//!
//! tower-lsp-server runs handlers concurrently, so two `didChange` handlers may start in a
//! different order than their messages arrived (tower-lsp issue #284). This layer sits
//! between the transport and the language server: the transport calls it once per message,
//! in order, and it hands document notifications to the session right there, synchronously,
//! instead of letting them become futures at all.
//!
//! Every other message becomes a handler future, which the transport polls only later, after
//! it may have read (and this layer recorded) more changes. A request must see the document as
//! it was when the request was sent, so its handler is polled once right here: handlers queue
//! their work for the session before their first `.await`, and that first poll queues it in
//! arrival order.

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc::Sender;
use std::task::{Context, Poll, Waker};

use serde::de::DeserializeOwned;
use tower_lsp_server::jsonrpc::{Request, Response};
use tower_lsp_server::ls_types::{
    DidChangeTextDocumentParams, DidChangeWatchedFilesParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams,
};
use tower_service::Service;

use crate::lsp::from_proto::path_of;
use crate::lsp::publish::Versions;
use crate::lsp::session::Input;

/// How long `exit` waits for a transaction that is writing to finish.
const EXIT_WRITE_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

pub struct Ordered<S> {
    pub inner: S,
    pub session: Sender<Input>,
    pub versions: Versions,
    /// Whether `shutdown` has arrived: `exit` then ends the process with code 0, else 1.
    pub shutdown_requested: bool,
}

/// The request's params as `P`, read from the JSON value in place: cloning it first would
/// copy a whole document's text once more.
fn params<P: DeserializeOwned>(request: &Request) -> Option<P> {
    P::deserialize(request.params()?).ok()
}

impl<S> Ordered<S> {
    /// Turns a document notification into session input; None for every other message.
    fn record(&self, request: &Request) -> Option<Vec<Input>> {
        let inputs = match request.method() {
            "textDocument/didOpen" => {
                let params: DidOpenTextDocumentParams = params(request)?;
                let path = path_of(&params.text_document.uri)?;
                self.versions
                    .insert(path.clone(), params.text_document.version);
                vec![Input::Open {
                    path,
                    text: params.text_document.text,
                    version: params.text_document.version,
                }]
            }
            "textDocument/didChange" => {
                let params: DidChangeTextDocumentParams = params(request)?;
                let path = path_of(&params.text_document.uri)?;
                self.versions
                    .insert(path.clone(), params.text_document.version);
                vec![Input::Change {
                    path,
                    version: params.text_document.version,
                    changes: params.content_changes,
                }]
            }
            "textDocument/didClose" => {
                let params: DidCloseTextDocumentParams = params(request)?;
                let path = path_of(&params.text_document.uri)?;
                self.versions.remove(&path);
                vec![Input::Close { path }]
            }
            // Saving changes nothing the open buffer did not already say.
            "textDocument/didSave" => Vec::new(),
            "workspace/didChangeWatchedFiles" => {
                let params: DidChangeWatchedFilesParams = params(request)?;
                let paths = params
                    .changes
                    .iter()
                    .filter_map(|event| path_of(&event.uri))
                    .collect();
                vec![Input::Disk { paths }]
            }
            _ => return None,
        };
        Some(inputs)
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S> Service<Request> for Ordered<S>
where
    S: Service<Request, Response = Option<Response>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Option<Response>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Option<Response>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match request.method() {
            "shutdown" => self.shutdown_requested = true,
            // The transport would wait for every handler still in flight (some await answers
            // to our own requests that the client, now leaving, will never send) before it
            // returns; SPEC §6 wants the process gone at once. Only a transaction writing
            // right now is let finish (they take milliseconds); open buffers are the
            // client's to keep.
            "exit" => {
                let _no_more_writes = crate::transaction::finish_writes(EXIT_WRITE_GRACE);
                std::process::exit(if self.shutdown_requested { 0 } else { 1 })
            }
            _ => {}
        }
        match self.record(&request) {
            Some(inputs) => {
                for input in inputs {
                    let _ = self.session.send(input);
                }
                // Notifications have no response.
                Box::pin(async { Ok(None) })
            }
            None => {
                let mut handler = Box::pin(self.inner.call(request));
                // Nothing waits on this poll's waker: the transport polls the future again as
                // soon as it takes it, with its own.
                let mut context = Context::from_waker(Waker::noop());
                match handler.as_mut().poll(&mut context) {
                    Poll::Ready(result) => Box::pin(async { result }),
                    Poll::Pending => handler,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::channel;

    use serde_json::json;
    use tower_lsp_server::jsonrpc::Id;

    use super::*;

    /// A language server whose every handler queues `WatchDisk` for the session and then
    /// waits, like the real handlers queue their query before awaiting its answer.
    struct Handlers(Sender<Input>);

    impl Service<Request> for Handlers {
        type Response = Option<Response>;
        type Error = ();
        type Future = BoxFuture<Result<Option<Response>, ()>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ()>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: Request) -> Self::Future {
            let session = self.0.clone();
            Box::pin(async move {
                let _ = session.send(Input::WatchDisk);
                futures::future::pending::<()>().await;
                Ok(None)
            })
        }
    }

    #[test]
    fn a_request_is_queued_before_the_changes_that_follow_it() {
        let (session, inputs) = channel();
        let mut ordered = Ordered {
            inner: Handlers(session.clone()),
            session,
            versions: Versions::default(),
            shutdown_requested: false,
        };
        let uri = "file:///ws/.work/tasks/backlog/TASK-0001-a/0001-a.task.md";
        let hover = Request::build("textDocument/hover")
            .id(Id::Number(1))
            .params(json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}))
            .finish();
        let change = Request::build("textDocument/didChange")
            .params(json!({
                "textDocument": {"uri": uri, "version": 2},
                "contentChanges": [{"text": "new"}],
            }))
            .finish();
        // The transport takes the hover's future but polls it only after reading the change.
        let _hover = ordered.call(hover);
        let _change = ordered.call(change);
        let order: Vec<&str> = inputs
            .try_iter()
            .map(|input| match input {
                Input::WatchDisk => "hover",
                Input::Change { .. } => "change",
                _ => "other",
            })
            .collect();
        assert_eq!(order, ["hover", "change"]);
    }
}
