//! What the two long-running edges share: the language server (`lsp`) and the MCP server
//! (`mcp`) each serve one client over stdio on the same small async runtime.

use std::future::Future;

/// Runs `serve` to its end on a two-worker tokio runtime and returns its exit code; 2 when
/// the runtime cannot start, after saying so as `cannot start {what}`. Two workers: the
/// machine's cores belong to the analysis threads, and a server has one client.
pub fn block_on_runtime(what: &str, serve: impl Future<Output = i32>) -> i32 {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(serve),
        Err(error) => {
            eprintln!("flowos-lsp: cannot start {what}: {error}");
            2
        }
    }
}
