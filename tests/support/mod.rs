//! A small LSP client for end-to-end tests: spawns the real binary, frames JSON-RPC over its
//! stdio, matches responses to requests, answers the server's own requests, and collects
//! notifications so tests can wait for the diagnostics they expect.

#![allow(dead_code)]

pub mod append;
pub mod editor;
#[cfg(unix)]
pub mod faults;
pub mod rng;
pub mod staged;
pub mod text;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const TIMEOUT: Duration = Duration::from_secs(20);

/// What an editor that watches files for the server offers: progress, configuration, file
/// watching by dynamic registration, workspace folders, and UTF-16 positions.
pub fn watching_capabilities() -> Value {
    json!({
        "window": {"workDoneProgress": true},
        "workspace": {
            "configuration": true,
            "didChangeWatchedFiles": {"dynamicRegistration": true},
            "workspaceFolders": true,
        },
        "general": {"positionEncodings": ["utf-16"]},
    })
}

/// How the test client answers requests from the server.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Answers {
    /// Answer every request (configuration with `settings`, registrations, progress).
    Normally,
    /// Never answer: a client that hangs must not hang the server.
    Never,
}

pub struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// Notifications received and not yet consumed, in order.
    pub notifications: Vec<Value>,
    /// Responses that arrived while waiting for something else.
    responses: HashMap<i64, Value>,
    answers: Answers,
    /// What `workspace/configuration` answers with.
    pub settings: Value,
    /// The latest published diagnostics per URI.
    pub diagnostics: HashMap<String, Vec<Value>>,
    /// Every publishDiagnostics in arrival order: (uri, version).
    pub publish_log: Vec<(String, Option<i64>)>,
    /// Every request the server sent (showDocument, configuration, …), in order.
    pub server_requests: Vec<Value>,
    /// Every error response received, whatever its id (a malformed message's has none).
    pub error_responses: Vec<Value>,
}

pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

impl Client {
    pub fn spawn(answers: Answers) -> Client {
        Client::spawn_with_env(answers, &[])
    }

    /// Spawns the server with extra environment variables (e.g. `FLOWOS_NOW`).
    pub fn spawn_with_env(answers: Answers, env: &[(&str, &str)]) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
            .arg("--stdio")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            messages,
            next_id: 1,
            notifications: Vec::new(),
            responses: HashMap::new(),
            answers,
            settings: json!({}),
            diagnostics: HashMap::new(),
            publish_log: Vec::new(),
            server_requests: Vec::new(),
            error_responses: Vec::new(),
        }
    }

    /// Spawns and initializes with `folder` as the only workspace folder.
    pub fn start(folder: &Path, capabilities: Value, options: Value) -> Client {
        let mut client = Client::spawn(Answers::Normally);
        client.initialize(folder, capabilities, options);
        client
    }

    pub fn initialize(&mut self, folder: &Path, capabilities: Value, options: Value) -> Value {
        let result = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": null,
                "capabilities": capabilities,
                "initializationOptions": options,
                "workspaceFolders": [{"uri": uri(folder), "name": "ws"}],
            }),
        );
        self.notify("initialized", json!({}));
        result
    }

    pub fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends an already serialised JSON-RPC message (for bodies too large to build as a
    /// `Value` cheaply).
    pub fn send_raw(&mut self, body: &str) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(body.as_bytes()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Writes bytes to the server's stdin as they are: no framing (for malformed frames).
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request without waiting; returns its id.
    pub fn request_async(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Sends a request and waits for its response (the whole response object).
    pub fn request_full(&mut self, method: &str, params: Value) -> Value {
        let id = self.request_async(method, params);
        self.wait_response(id, TIMEOUT)
            .unwrap_or_else(|| panic!("no response to {method}"))
    }

    /// Sends a request and returns its `result`, failing on an error response.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_full(method, params);
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    pub fn wait_response(&mut self, id: i64, timeout: Duration) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(response) = self.responses.remove(&id) {
                return Some(response);
            }
            if !self.pump(deadline) {
                return None;
            }
        }
    }

    /// Handles one incoming message; false when the deadline passed or the server is gone.
    fn pump(&mut self, deadline: Instant) -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = match self.messages.recv_timeout(left) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return false,
        };
        match (message.get("id"), message.get("method")) {
            (Some(id), None) => {
                if message.get("error").is_some() {
                    self.error_responses.push(message.clone());
                }
                if let Some(id) = id.as_i64() {
                    self.responses.insert(id, message);
                }
            }
            (Some(_), Some(_)) => self.answer(&message),
            _ => {
                if message["method"] == "textDocument/publishDiagnostics" {
                    let params = &message["params"];
                    let uri = params["uri"].as_str().unwrap_or("").to_string();
                    let items = params["diagnostics"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    self.publish_log
                        .push((uri.clone(), params["version"].as_i64()));
                    self.diagnostics.insert(uri, items);
                }
                self.notifications.push(message);
            }
        }
        true
    }

    fn answer(&mut self, request: &Value) {
        self.server_requests.push(request.clone());
        if self.answers == Answers::Never {
            return;
        }
        let result = match request["method"].as_str() {
            Some("workspace/configuration") => {
                let count = request["params"]["items"].as_array().map_or(1, Vec::len);
                Value::Array(vec![self.settings.clone(); count])
            }
            Some("window/showDocument") => json!({"success": true}),
            // A person picks the first choice offered (Reject's reasons).
            Some("window/showMessageRequest") => request["params"]["actions"][0].clone(),
            // The test applies the edit itself (and says so with didChange) when it matters.
            Some("workspace/applyEdit") => json!({"applied": true}),
            _ => Value::Null,
        };
        let id = request["id"].clone();
        self.send(json!({"jsonrpc": "2.0", "id": id, "result": result}));
    }

    /// Waits until the server's indexing progress has ended (the workspace is read).
    pub fn wait_indexed(&mut self) -> bool {
        self.wait_until(TIMEOUT, |client| {
            client
                .notifications
                .iter()
                .any(|n| n["method"] == "$/progress" && n["params"]["value"]["kind"] == "end")
        })
    }

    /// Processes messages until `done` holds or the timeout passes.
    pub fn wait_until(&mut self, timeout: Duration, mut done: impl FnMut(&Client) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if done(self) {
                return true;
            }
            if !self.pump(deadline) {
                return done(self);
            }
        }
    }

    /// Processes messages for a while (to let the server settle).
    pub fn settle(&mut self, quiet: Duration) {
        let deadline = Instant::now() + quiet;
        while self.pump(deadline) {}
    }

    /// The rules of the latest diagnostics published for `path`.
    pub fn rules(&self, path: &Path) -> Vec<String> {
        self.diagnostics
            .get(&uri(path))
            .map(|items| {
                items
                    .iter()
                    .map(|item| item["code"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn has_rule(&self, path: &Path, rule: &str) -> bool {
        self.rules(path).iter().any(|found| found == rule)
    }

    /// Waits until `rule` is published for `path`; fails the test, with what was published
    /// and the server's log, when it is not within [`TIMEOUT`].
    pub fn wait_for_rule(&mut self, path: &Path, rule: &str) {
        let found = self.wait_until(TIMEOUT, |client| client.has_rule(path, rule));
        assert!(
            found,
            "{rule} never published for {}: {:?}\n{}",
            path.display(),
            self.diagnostics,
            self.log_messages()
        );
    }

    /// Waits until `rule` is no longer published for `path`.
    pub fn wait_for_no_rule(&mut self, path: &Path, rule: &str) {
        let cleared = self.wait_until(TIMEOUT, |client| !client.has_rule(path, rule));
        assert!(
            cleared,
            "{rule} never cleared for {}: {:?}",
            path.display(),
            self.rules(path)
        );
    }

    pub fn open(&mut self, path: &Path, version: i64) -> String {
        let text = std::fs::read_to_string(path).unwrap();
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(path), "languageId": "markdown", "version": version, "text": text}}),
        );
        text
    }

    /// Replaces the range `start..end` (line, UTF-16 character) with `text`.
    pub fn edit(
        &mut self,
        path: &Path,
        version: i64,
        start: (u32, u32),
        end: (u32, u32),
        text: &str,
    ) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri(path), "version": version},
                "contentChanges": [{
                    "range": {"start": {"line": start.0, "character": start.1}, "end": {"line": end.0, "character": end.1}},
                    "text": text,
                }],
            }),
        );
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every `window/logMessage` text received so far, one per line.
    pub fn log_messages(&self) -> String {
        self.notifications
            .iter()
            .filter(|n| n["method"] == "window/logMessage")
            .map(|n| format!("{}\n", n["params"]["message"].as_str().unwrap_or("")))
            .collect()
    }

    /// Shuts down politely; returns the exit code.
    pub fn shutdown(mut self) -> Option<i32> {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        self.wait_exit(Duration::from_secs(5))
    }

    /// Waits for the process to end; its exit code, or None (and the process killed) when it
    /// is still running after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// Every file below `root` (folders are walked, not listed), by path relative to it, with its
/// bytes: what a test compares to prove a run wrote nothing, or to read what it wrote.
pub fn file_bytes(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// The paths (relative) whose bytes differ between two [`file_bytes`] snapshots: added,
/// removed or changed, sorted.
pub fn changed_paths(
    before: &BTreeMap<String, Vec<u8>>,
    after: &BTreeMap<String, Vec<u8>>,
) -> Vec<String> {
    let mut paths: Vec<String> = after
        .keys()
        .chain(before.keys())
        .filter(|path| before.get(*path) != after.get(*path))
        .cloned()
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// The peak resident memory of process `pid` so far (VmHWM), in KB.
pub fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Copies a folder tree (for fixtures that tests modify).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Writes `files` (relative path, text) below `root`, plus the root and stage INDEX.md files
/// that list every task card among them (as `package` writes it), so that only what a test
/// is about is wrong.
pub fn write_tree(root: &Path, files: &[(String, String)]) {
    let mut indexes: BTreeMap<String, String> = BTreeMap::new();
    for (rel, _) in files {
        let Some((prefix, rest)) = rel.split_once(".work/tasks/") else {
            continue;
        };
        let parts: Vec<&str> = rest.split('/').collect();
        let [stage, folder, card] = parts.as_slice() else {
            continue;
        };
        let Some(id) = card
            .strip_suffix(".task.md")
            .and_then(|c| c.split('-').next())
        else {
            continue;
        };
        if !folder.starts_with("TASK-") {
            continue;
        }
        let tasks = format!("{prefix}.work/tasks");
        indexes
            .entry(format!("{tasks}/INDEX.md"))
            .or_insert_with(|| {
                "| ID | Name | DRI | Stage | Status |\n|----|------|-----|-------|--------|\n"
                    .into()
            })
            .push_str(&format!("| {id} | Job {id} | @kim | {stage} | active |\n"));
        indexes
            .entry(format!("{tasks}/{stage}/INDEX.md"))
            .or_insert_with(|| {
                "| ID | Name | DRI | Status |\n|----|------|-----|--------|\n".into()
            })
            .push_str(&format!("| {id} | Job {id} | @kim | active |\n"));
    }
    for (rel, text) in files.iter().map(|(k, v)| (k, v)).chain(&indexes) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// A complete, clean task package in `stage` with extra frontmatter lines.
pub fn package(stage: &str, number: u32, extra: &str) -> Vec<(String, String)> {
    let id = format!("{number:04}");
    let folder = format!(".work/tasks/{stage}/TASK-{id}-job");
    let later = !matches!(stage, "inbox" | "backlog");
    let (priority, effort) = if later { ("P2", "M") } else { ("null", "null") };
    let card = format!(
        "---\ntask_id: \"{id}\"\ntask_name: \"Job {id}\"\nstage: \"{stage}\"\nstatus: \"active\"\ncurrent_dri: \"@kim\"\npriority: {priority}\neffort_estimate: {effort}\n{extra}---\n\n## Goal\n\nG.\n\n## Inputs Required\n\nI.\n\n## Implementation Details\n\nD.\n\n## Expected Outputs\n\nO.\n\n## Acceptance Criteria\n\n- [ ] done\n"
    );
    vec![
        (format!("{folder}/{id}-job.task.md"), card),
        (format!("{folder}/{id}.context.md"), "# Context\n".into()),
        (
            format!("{folder}/{id}.ledger.jsonl"),
            "{\"ts\":\"2026-01-01T00:00:00Z\",\"user\":\"@kim\",\"event\":\"created\",\"desc\":\"c\"}\n"
                .into(),
        ),
    ]
}

/// A task for [`write_workspace`]: stage, number, extra frontmatter lines.
pub struct Task<'a>(pub &'a str, pub u32, pub &'a str);

/// Writes a clean tasks tree below `folder/.work/tasks` (packages, indexes, ID_COUNTER.txt)
/// and returns the tasks root.
pub fn write_workspace(folder: &Path, tasks: &[Task]) -> PathBuf {
    let mut files: Vec<(String, String)> = tasks
        .iter()
        .flat_map(|Task(stage, number, extra)| package(stage, *number, extra))
        .collect();
    files.push((".work/tasks/ID_COUNTER.txt".into(), "9000\n".into()));
    write_tree(folder, &files);
    folder.join(".work/tasks")
}

/// The card path of task `number` in `stage`.
pub fn card(root: &Path, stage: &str, number: u32) -> PathBuf {
    root.join(stage)
        .join(format!("TASK-{number:04}-job"))
        .join(format!("{number:04}-job.task.md"))
}
