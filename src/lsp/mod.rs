//! The language server edge: the only module that speaks LSP. It converts protocol messages
//! to session input and analysis results to protocol messages; the analysis itself lives in
//! `ide`, `db` and `syntax` and knows nothing of LSP.

mod backlog;
mod capabilities;
mod code_actions;
mod command_args;
mod commands;
mod config;
mod documents;
mod from_proto;
mod ordering;
mod publish;
mod server;
mod session;
mod to_proto;
mod transport;
mod view;

use std::sync::Arc;

use dashmap::DashMap;
use tower_lsp_server::LspService;

use crate::lsp::backlog::Backlog;
use crate::lsp::ordering::Ordered;
use crate::lsp::server::Backend;
use crate::servers::block_on_runtime;

/// Serves LSP over stdin/stdout until the client says `exit`; returns the exit code.
pub fn run() -> i32 {
    return_big_blocks_at_once();
    block_on_runtime("the async runtime", async {
        let (outputs, outputs_rx) = tokio::sync::mpsc::unbounded_channel();
        let backlog = Arc::new(Backlog::new(backlog::PUBLICATIONS_IN_FLIGHT));
        let session = session::spawn(outputs, backlog);
        let (frames, frames_rx) = tokio::sync::mpsc::unbounded_channel();
        let versions = Arc::new(DashMap::new());
        let builder = LspService::build(|client| {
            tokio::spawn(publish::send_to_client(
                client.clone(),
                outputs_rx,
                versions.clone(),
                frames.clone(),
            ));
            Backend::new(client, session.clone())
        });
        #[cfg(debug_assertions)]
        let builder = builder
            .custom_method("flowos/debugPanic", Backend::debug_panic)
            .custom_method("flowos/debugDocumentText", Backend::debug_document_text)
            .custom_method("flowos/debugSetNow", Backend::debug_set_now);
        let (service, socket) = builder.finish();
        let service = Ordered {
            inner: service,
            session,
            versions,
            shutdown_requested: false,
        };
        transport::serve(service, socket, (frames, frames_rx)).await;
        // The session thread and any file watcher end with the process.
        0
    })
}

/// Makes the allocator give every block of 256 KB or more back to the system when it is
/// freed. glibc raises that threshold as big blocks come and go, after which a message, a
/// buffer's text or a parse freed a moment ago keeps its pages and the next one adds its own:
/// a 2 MB buffer opened and edited cost 11× its size at the peak instead of the copies
/// actually alive at once (SPEC §8 asks for 10×).
fn return_big_blocks_at_once() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tunable of the allocator; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}
