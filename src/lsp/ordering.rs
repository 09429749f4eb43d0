//! Document changes recorded in arrival order, before anything is awaited.
//!
//! tower-lsp-server runs handlers concurrently, so two `didChange` handlers may start in a
//! different order than their messages arrived (tower-lsp issue #284). This layer sits
//! between the transport and the language server: the transport calls it once per message,
//! in order, and it hands document notifications to the session right there, synchronously,
//! instead of letting them become futures at all.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::task::{Context, Poll};

use dashmap::DashMap;
use serde::de::DeserializeOwned;
use tower_lsp_server::jsonrpc::{Request, Response};
use tower_lsp_server::ls_types::{
    DidChangeTextDocumentParams, DidChangeWatchedFilesParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, Uri,
};
use tower_service::Service;

use crate::lsp::session::Input;

/// The latest version of each open document, as the client numbered it. Written here as
/// changes arrive, read by the publisher to drop anything computed for an older version.
pub type Versions = Arc<DashMap<PathBuf, i32>>;

pub struct Ordered<S> {
    pub inner: S,
    pub session: Sender<Input>,
    pub versions: Versions,
}

pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|path| path.into_owned())
}

fn params<P: DeserializeOwned>(request: &Request) -> Option<P> {
    serde_json::from_value(request.params()?.clone()).ok()
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
        match self.record(&request) {
            Some(inputs) => {
                for input in inputs {
                    let _ = self.session.send(input);
                }
                // Notifications have no response.
                Box::pin(async { Ok(None) })
            }
            None => Box::pin(self.inner.call(request)),
        }
    }
}
