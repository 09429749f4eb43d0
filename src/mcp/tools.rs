//! The MCP tools and resources: each tool's JSON schema (with an example a client can send
//! as is) and what it does, mapped onto the engine. Every call reads the tasks root afresh,
//! so an agent never acts on a state a person has since changed. Failures are the worker
//! contract's error records (`validation_failed`, `dependency_unmet`), returned as the tool's
//! structured error content.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::cli::transition::find_task;
use crate::cli::workspace::{find_roots, load_roots};
use crate::db::proposals::approval_gates;
use crate::db::{FileRole, Workspace};
use crate::ide::diagnostics::workspace_diagnostics;
use crate::ide::proposals::{DRAFTS_FILE, Proposed, draft, drafts_file, propose};
use crate::ide::query::{QUERIES, QueryRequest, answer};
use crate::ide::types::Config;
use crate::transaction::{Create, DiskPlan, Options};

/// What the server tells a client about itself at the handshake.
pub const INSTRUCTIONS: &str = "FlowOS tasks: markdown cards, JSONL ledgers and INDEX.md \
tables under .work/tasks. Read with check, query, get_task and the file resources; propose \
changes with propose_move, propose_edit and new_task_draft. Proposals wait for a person's \
approval; no tool writes a ledger, a card or an index.";

/// Where the engine works: the tasks root found from `base` (or named), at `now` (the clock
/// when None).
#[derive(Clone, Debug, Default)]
pub struct Engine {
    pub base: Option<PathBuf>,
    pub tasks_root: Option<PathBuf>,
    pub now: Option<i64>,
}

type ToolResult = Result<Value, Value>;

/// A `validation_failed` record of the contract.
fn failed(task_id: &str, check: &str, reason: impl Into<String>, remediation: &str) -> Value {
    json!({
        "error": "validation_failed",
        "task_id": task_id,
        "check": check,
        "reason": reason.into(),
        "remediation": remediation,
    })
}

impl Engine {
    fn base(&self) -> PathBuf {
        self.base.clone().unwrap_or_else(|| PathBuf::from("."))
    }

    fn now(&self) -> i64 {
        self.now.unwrap_or_else(crate::clock::clock_now)
    }

    fn config(&self) -> Config {
        Config {
            now: self.now(),
            ..Config::default()
        }
    }

    /// The tasks roots, read now.
    fn load(&self) -> Result<Workspace, Value> {
        let base = self.base();
        let mut errors = Vec::new();
        let roots = find_roots(&base, self.tasks_root.as_deref(), &mut errors).map_err(|_| {
            failed(
                "",
                "tasks_root",
                String::from_utf8_lossy(&errors).trim().to_string(),
                "start the server in (or give it) a folder with .work/tasks",
            )
        })?;
        Ok(load_roots(&base, &roots, &mut std::io::sink()))
    }

    /// Runs tool `name` with `arguments`.
    pub fn call(&self, name: &str, arguments: &Map<String, Value>) -> ToolResult {
        let workspace = self.load()?;
        match name {
            "check" => Ok(self.check(&workspace)),
            "query" => self.query(&workspace, arguments),
            "get_task" => get_task(&workspace, arguments),
            "propose_move" => {
                let action = string(arguments, "action")?;
                self.propose(&workspace, arguments, Proposed::Move(action), "action")
            }
            "propose_edit" => {
                let field = string(arguments, "field")?;
                let value = arguments
                    .get("value")
                    .cloned()
                    .ok_or_else(|| missing("value"))?;
                let gate = field.clone();
                self.propose(
                    &workspace,
                    arguments,
                    Proposed::Edit { field, value },
                    &gate,
                )
            }
            "new_task_draft" => self.new_task_draft(&workspace, arguments),
            other => Err(failed(
                "",
                "tool",
                format!("no tool `{other}`"),
                "list the tools with tools/list",
            )),
        }
    }

    /// `check --format json`'s report, paths relative to the folder the server serves.
    fn check(&self, workspace: &Workspace) -> Value {
        let diagnostics = workspace_diagnostics(workspace, &self.config());
        crate::cli::check::json_report(workspace, &self.base(), &diagnostics)
    }

    fn query(&self, workspace: &Workspace, arguments: &Map<String, Value>) -> ToolResult {
        let request: QueryRequest = serde_json::from_value(Value::Object(arguments.clone()))
            .map_err(|error| {
                failed(
                    "",
                    "arguments",
                    error.to_string(),
                    "see the tool's input schema",
                )
            })?;
        answer(workspace, &request, self.now()).map_err(|error| {
            failed(
                request.arg.as_deref().unwrap_or_default(),
                "query",
                error.0,
                "see the tool's input schema",
            )
        })
    }

    fn propose(
        &self,
        workspace: &Workspace,
        arguments: &Map<String, Value>,
        proposed: Proposed,
        gate: &str,
    ) -> ToolResult {
        let id = string(arguments, "id")?;
        let by = string(arguments, "by")?;
        let note = arguments.get("note").and_then(Value::as_str);
        let task = find_task(workspace, &id)
            .map_err(|reason| failed(&id, "task_exists", reason, "name a task that exists"))?;
        let auto = approval_gates(workspace, workspace.task(task).root)
            .is_some_and(|gates| gates.is_auto(gate));
        let new = propose(workspace, task, &proposed, &by, note, !auto, &self.config())
            .map_err(|refusal| refusal.to_json())?;
        let plan = crate::propose::record_plan(workspace, task, &new.line);
        write(&plan)?;
        Ok(new.record)
    }

    fn new_task_draft(&self, workspace: &Workspace, arguments: &Map<String, Value>) -> ToolResult {
        let name = string(arguments, "name")?;
        let by = string(arguments, "by")?;
        let namespace = arguments.get("namespace").and_then(Value::as_str);
        let note = arguments.get("note").and_then(Value::as_str);
        let root = 0;
        if workspace.roots.is_empty() {
            return Err(failed(
                "",
                "tasks_root",
                "no tasks root",
                "start the server in one",
            ));
        }
        let (_, record) = draft(workspace, root, &name, namespace, &by, note, &self.config())
            .map_err(|refusal| refusal.to_json())?;
        let line = record.to_string();
        let root_path = workspace.roots[root].path.clone();
        let plan = match drafts_file(workspace, root) {
            Some(file) => crate::propose::decision_plan(workspace, file, &line),
            None => DiskPlan {
                root: root_path.clone(),
                creates: vec![Create {
                    path: root_path.join(DRAFTS_FILE),
                    text: format!("{line}\n"),
                }],
                ..DiskPlan::default()
            },
        };
        write(&plan)?;
        Ok(record)
    }

    /// Every task file as a resource: cards, contexts, ledgers, proposals.
    pub fn resources(&self) -> Result<Vec<Value>, Value> {
        let workspace = self.load()?;
        Ok(workspace
            .tasks
            .iter()
            .flat_map(|task| task.files())
            .map(|file| {
                let source = workspace.file(file);
                json!({
                    "uri": uri(&source.path),
                    "name": source.rel,
                    "mimeType": mime(&source.role),
                })
            })
            .collect())
    }

    /// The text of the task file at `uri`; None when it is not one.
    pub fn read(&self, uri_text: &str) -> Option<Value> {
        let workspace = self.load().ok()?;
        let path = uri_text.strip_prefix("file://").map(percent_decoded)?;
        let file = workspace.file_by_path(Path::new(&path))?;
        // Only the files of task packages, the ones listed: never an arbitrary path.
        workspace.task_idx_of_file(file)?;
        let source = workspace.file(file);
        Some(json!({
            "uri": uri_text,
            "mimeType": mime(&source.role),
            "text": &*source.text,
        }))
    }
}

/// The one transaction a proposing tool runs: it appends to (or creates) a proposals file.
fn write(plan: &DiskPlan) -> Result<(), Value> {
    debug_assert!(plan.rewrites.is_empty() && plan.moves.is_empty());
    crate::apply::run(plan, &Options::from_env())
        .map(|_| ())
        .map_err(|error| {
            failed(
                "",
                "write",
                format!("nothing was recorded: {error}"),
                "try again; another process may have written the file",
            )
        })
}

fn get_task(workspace: &Workspace, arguments: &Map<String, Value>) -> ToolResult {
    let id = string(arguments, "id")?;
    let task = find_task(workspace, &id)
        .map_err(|reason| failed(&id, "task_exists", reason, "name a task that exists"))?;
    let task = workspace.task(task);
    let file = |file: Option<crate::db::FileId>| {
        file.filter(|&file| workspace.file(file).exists)
            .map_or(Value::Null, |file| {
                let source = workspace.file(file);
                json!({ "path": source.rel, "text": &*source.text })
            })
    };
    Ok(json!({
        "id": task.id.to_string(),
        "stage": task.stage.name(),
        "folder": task.folder,
        "card": file(task.card),
        "context": file(task.context),
        "ledger": file(task.ledger),
        "proposals": file(task.proposals),
    }))
}

fn string(arguments: &Map<String, Value>, key: &str) -> Result<String, Value> {
    arguments
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_string)
        .ok_or_else(|| missing(key))
}

fn missing(key: &str) -> Value {
    failed(
        "",
        "arguments",
        format!("`{key}` is required"),
        "see the tool's input schema",
    )
}

fn mime(role: &FileRole) -> &'static str {
    match role {
        FileRole::Ledger | FileRole::Proposals => "application/jsonl",
        _ => "text/markdown",
    }
}

/// A `file://` URI of an absolute path, with the characters a URI path cannot hold escaped.
fn uri(path: &Path) -> String {
    let mut out = String::from("file://");
    for byte in path.to_string_lossy().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = (bytes[at] == b'%')
            .then(|| text.get(at + 1..at + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match hex {
            Some(byte) => {
                out.push(byte);
                at += 3;
            }
            None => {
                out.push(bytes[at]);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every tool: name, description, input schema with an example.
pub fn definitions() -> Vec<Value> {
    let id = json!({"type": "string", "description": "the task's ID, e.g. TASK-0042 or 0042"});
    let by =
        json!({"type": "string", "description": "the agent proposing (recorded as proposed_by)"});
    let note = json!({"type": "string", "description": "why, for the person who decides"});
    vec![
        tool(
            "check",
            "Every diagnostic of the tasks root (SPEC §3), as `flowos-lsp check --format json` \
             reports them: path, range (zero-based lines and UTF-16 characters), rule, \
             severity, message, related locations; and the summary counts.",
            json!({}),
            &[],
            json!({}),
            true,
        ),
        tool(
            "query",
            "One of the flow engine's queries (SPEC §9; docs/queries.md documents each answer): \
             tasks by stage, blocked work, dependencies, WIP, metrics, what is ready, the \
             proposals waiting for a person.",
            json!({
                "query": {"type": "string", "enum": QUERIES},
                "arg": {"type": "string", "description": "the task ID (task, dependents, dependencies, events, metrics) or stage (stage)"},
                "all": {"type": "boolean", "description": "dependents/dependencies: transitively"},
                "why": {"type": "boolean", "description": "ready: also what holds the others back"},
                "eventType": {"type": "string", "description": "events: only events of this name"},
                "since": {"type": "string", "description": "window start, RFC 3339 or YYYY-MM-DD"},
                "until": {"type": "string", "description": "window end, RFC 3339 or YYYY-MM-DD"},
                "filters": {
                    "type": "object",
                    "properties": {
                        "dri": {"type": "array", "items": {"type": "string"}},
                        "tag": {"type": "array", "items": {"type": "string"}},
                        "namespace": {"type": "array", "items": {"type": "string"}},
                        "priority": {"type": "array", "items": {"type": "string"}},
                        "status": {"type": "array", "items": {"type": "string"}}
                    }
                }
            }),
            &["query"],
            json!({"query": "ready", "why": true}),
            true,
        ),
        tool(
            "get_task",
            "A task package: its card, context and ledger (and its proposals file, if any), \
             each with its path and text.",
            json!({"id": id}),
            &["id"],
            json!({"id": "TASK-0006"}),
            true,
        ),
        tool(
            "propose_move",
            "Propose a stage transition (the actions of `flowos-lsp transition`: verify, \
             prioritize, start, fast-track, complete, rework, integrate, close, \
             close-without-learning, cancel, block:TASK-ID, unblock, pause, resume). It is \
             validated exactly as the transition would be and recorded as a move_proposal \
             (from/to stage, validation result, proposed events, the Acceptance Criteria \
             checklist) in the task's proposals file; a person approves or rejects it. \
             Writes no ledger, card or index.",
            json!({"id": id, "action": {"type": "string"}, "by": by, "note": note}),
            &["id", "action", "by"],
            json!({"id": "TASK-0006", "action": "start", "by": "agent-7", "note": "dependencies are done"}),
            false,
        ),
        tool(
            "propose_edit",
            "Propose a frontmatter change: priority (P0..P4), effort_estimate (XS, S, M, L, XL, \
             1, 2, 3, 5, 8) or depends_on (a list of task IDs, replacing the list). Recorded \
             with the exact edit of the card; a person approves or rejects it. Writes no \
             ledger, card or index.",
            json!({
                "id": id,
                "field": {"type": "string", "enum": crate::syntax::proposals::EDITABLE_FIELDS},
                "value": {"description": "a string; for depends_on a list of task IDs",
                          "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                "by": by,
                "note": note
            }),
            &["id", "field", "value", "by"],
            json!({"id": "TASK-0009", "field": "priority", "value": "P1", "by": "agent-7"}),
            false,
        ),
        tool(
            "new_task_draft",
            "Propose a new task (WF1): recorded in the tasks root's drafts.proposals.jsonl; no \
             ID is reserved and no package is created until a person approves it.",
            json!({
                "name": {"type": "string", "description": "the task's name"},
                "namespace": {"type": "string", "description": "a namespace NAMESPACES.yaml declares"},
                "by": by,
                "note": note
            }),
            &["name", "by"],
            json!({"name": "Export the donation report as CSV", "by": "agent-7"}),
            false,
        ),
    ]
}

fn tool(
    name: &str,
    description: &str,
    properties: Value,
    required: &[&str],
    example: Value,
    read_only: bool,
) -> Value {
    json!({
        "name": name,
        "description": description,
        "inputSchema": {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
            "examples": [example],
        },
        "annotations": {
            "readOnlyHint": read_only,
            "destructiveHint": false,
            "idempotentHint": read_only,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_names_only_its_schema_properties_and_all_required_ones() {
        for tool in definitions() {
            let schema = &tool["inputSchema"];
            let properties = schema["properties"].as_object().unwrap();
            let example = schema["examples"][0].as_object().unwrap();
            for key in example.keys() {
                assert!(properties.contains_key(key), "{}: {key}", tool["name"]);
            }
            for required in schema["required"].as_array().unwrap() {
                assert!(
                    example.contains_key(required.as_str().unwrap()),
                    "{}: {required}",
                    tool["name"]
                );
            }
        }
    }

    #[test]
    fn uris_escape_and_decode_back() {
        let path = Path::new("/ws/my tasks/é.md");
        let text = uri(path);
        assert_eq!(text, "file:///ws/my%20tasks/%C3%A9.md");
        assert_eq!(
            percent_decoded(text.strip_prefix("file://").unwrap()),
            "/ws/my tasks/é.md"
        );
    }
}
