//! `flowos-lsp mcp`: the Model Context Protocol over stdio, for agents (the worker contract's
//! side of the system). The official SDK (`rmcp`) speaks the protocol; the tools, their
//! schemas and what they do are `tools.rs`. Agents read (check, query, get_task, the task
//! files as resources) and propose (propose_move, propose_edit, new_task_draft); no tool
//! writes a ledger, a card or an index: a person approves in the editor or with
//! `flowos-lsp approve`.

mod tools;

use std::io::Write;
use std::path::PathBuf;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, InitializeResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, ServerCapabilities,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::json;

use crate::cli::{Arg, ArgCursor, EXIT_CLEAN, EXIT_USAGE, parse_now};
use crate::servers::block_on_runtime;

pub use tools::Engine;

pub const USAGE: &str = "\
usage: flowos-lsp mcp [PATH] [--tasks-root DIR] [--now RFC3339]

Serves the Model Context Protocol over stdio for agents: tools check, query, get_task,
propose_move, propose_edit and new_task_draft, and every task file as a resource. Proposals
go to the task's <id>.proposals.jsonl (drafts to the root's drafts.proposals.jsonl); no tool
writes a ledger, card or index. The tasks root is found from PATH as `check` finds it.";

/// Runs the server until the client closes stdin.
pub fn run(args: &[String]) -> i32 {
    let engine = match parse_args(args) {
        Ok(engine) => engine,
        Err(message) if message.is_empty() => {
            // A closed pipe (`| head`) is not a failure.
            let _ = writeln!(std::io::stdout(), "{USAGE}");
            return EXIT_CLEAN;
        }
        Err(message) => {
            eprintln!("flowos-lsp: {message}\n{USAGE}");
            return EXIT_USAGE;
        }
    };
    block_on_runtime("the MCP server", async move {
        let server = match (Server { engine }).serve(rmcp::transport::stdio()).await {
            Ok(server) => server,
            Err(error) => {
                eprintln!("flowos-lsp: the MCP handshake failed: {error}");
                return EXIT_USAGE;
            }
        };
        match server.waiting().await {
            Ok(_) => EXIT_CLEAN,
            Err(error) => {
                eprintln!("flowos-lsp: the MCP server stopped: {error}");
                EXIT_USAGE
            }
        }
    })
}

fn parse_args(args: &[String]) -> Result<Engine, String> {
    let mut engine = Engine::default();
    let mut cursor = ArgCursor::new(args);
    while let Some(arg) = cursor.next_arg() {
        match arg {
            Arg::Positional(path) if engine.base.is_none() => {
                engine.base = Some(PathBuf::from(path));
            }
            Arg::Positional(extra) => return Err(format!("unexpected argument `{extra}`")),
            Arg::Flag(flag) => match flag.as_str() {
                "--tasks-root" => {
                    engine.tasks_root = Some(PathBuf::from(cursor.value("--tasks-root")?));
                }
                "--now" => engine.now = Some(parse_now(&cursor.value("--now")?)?),
                "-h" | "--help" => return Err(String::new()),
                _ => return Err(format!("unknown option `{flag}`")),
            },
        }
    }
    if engine.now.is_none()
        && let Ok(text) = std::env::var("FLOWOS_NOW")
    {
        engine.now = Some(parse_now(&text).map_err(|e| format!("FLOWOS_NOW: {e}"))?);
    }
    Ok(engine)
}

#[derive(Clone)]
struct Server {
    engine: Engine,
}

impl ServerHandler for Server {
    fn get_info(&self) -> InitializeResult {
        let capabilities: ServerCapabilities =
            serde_json::from_value(json!({"tools": {}, "resources": {}})).unwrap_or_default();
        let mut info = InitializeResult::new(capabilities);
        info.server_info = Implementation::new("flowos-lsp", env!("CARGO_PKG_VERSION"));
        info.instructions = Some(tools::INSTRUCTIONS.to_string());
        info
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        serde_json::from_value(json!({ "tools": tools::definitions() }))
            .map_err(|error| ErrorData::internal_error(error.to_string(), None))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let arguments = request.arguments.unwrap_or_default();
        let engine = self.engine.clone();
        let name = request.name.to_string();
        // The engine reads the tasks root from disk: off the protocol's threads.
        let answer = tokio::task::spawn_blocking(move || engine.call(&name, &arguments))
            .await
            .unwrap_or_else(|_| {
                Err(json!({
                    "error": "validation_failed",
                    "check": "server",
                    "reason": "the tool failed unexpectedly; nothing was written",
                    "remediation": "report it with the arguments that caused it",
                }))
            });
        let result = match answer {
            Ok(value) => CallToolResult::structured(value),
            Err(error) => CallToolResult::structured_error(error),
        };
        Ok(result.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let engine = self.engine.clone();
        let resources = tokio::task::spawn_blocking(move || engine.resources())
            .await
            .map_err(|error| ErrorData::internal_error(error.to_string(), None))?
            .map_err(|error| ErrorData::internal_error(error.to_string(), Some(error)))?;
        serde_json::from_value(json!({ "resources": resources }))
            .map_err(|error| ErrorData::internal_error(error.to_string(), None))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let engine = self.engine.clone();
        let uri = request.uri.clone();
        let contents = tokio::task::spawn_blocking(move || engine.read(&uri))
            .await
            .map_err(|error| ErrorData::internal_error(error.to_string(), None))?;
        let Some(contents) = contents else {
            return Err(ErrorData::resource_not_found(
                format!("{} is not a task file of this tasks root", request.uri),
                None,
            ));
        };
        let result: ReadResourceResult = serde_json::from_value(json!({ "contents": [contents] }))
            .map_err(|error| ErrorData::internal_error(error.to_string(), None))?;
        Ok(result.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_name_the_path_root_and_moment() {
        let args: Vec<String> = ["examples/demo", "--now", "2026-11-20T12:00:00Z"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let engine = parse_args(&args).unwrap();
        assert_eq!(engine.base, Some(PathBuf::from("examples/demo")));
        // 2026-11-20 is day 20,777 since the epoch: 20,777 × 86,400 + 12 × 3,600.
        assert_eq!(engine.now, Some(20_777 * 86_400 + 12 * 3_600));
        assert!(parse_args(&["a".into(), "b".into()]).is_err());
        assert_eq!(parse_args(&["--help".into()]).err(), Some(String::new()));
    }
}
