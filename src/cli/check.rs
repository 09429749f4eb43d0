//! `flowos-lsp check [PATH]`: load every tasks root under PATH, run every rule, print the
//! diagnostics for people (`path:line:col: severity[rule] message`) or as JSON.
//!
//! It goes loader -> db -> ide with no LSP in between, which keeps the core honest.

use crate::base::{PositionEncoding, TextRange};
use crate::cli::workspace::{display_path, load_workspace};
use crate::cli::{
    Arg, ArgCursor, EXIT_CLEAN, EXIT_ERRORS, EXIT_USAGE, fix, now_at_the_edge, parse_now,
};
use crate::db::{FileId, Workspace};
use crate::ide::diagnostics::workspace_diagnostics;
use crate::ide::types::{Config, Diagnostic, Rule, Severity};
use crate::parallel::parallel_map;
use serde::Serialize;
use serde_json::Value;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
}

#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    pub path: Option<PathBuf>,
    pub format: Format,
    pub config: Config,
    /// Apply every safe fix on disk first, then report what remains.
    pub fix: bool,
    /// The tasks root, instead of searching PATH for one (`--tasks-root`).
    pub tasks_root: Option<PathBuf>,
}

pub const USAGE: &str = "\
usage: flowos-lsp check [PATH] [--tasks-root DIR] [--format human|json]
                        [--rule NAME=error|warning|info|hint|off]... [--extra-event NAME]...
                        [--now RFC3339] [--fix [--user @name]]

Checks every FlowOS tasks root (.work/tasks) in or below PATH (default: the current folder),
else the one PATH lies in or under, found upward through its parents. --tasks-root DIR
checks DIR (relative to PATH) as the tasks root instead, whatever it is called.
SLOs are measured up to --now (or $FLOWOS_NOW), else the current time.
--fix first applies every safe quick fix on disk (and completes interrupted transitions),
then reports what remains.
Exit status: 0 no errors, 1 error diagnostics found, 2 usage or I/O failure.";

/// Parses `check`'s arguments (after the subcommand name).
pub fn parse_args(args: &[String]) -> Result<CheckOptions, String> {
    let mut options = CheckOptions::default();
    let mut now: Option<i64> = None;
    let mut cursor = ArgCursor::new(args);
    while let Some(arg) = cursor.next_arg() {
        let flag = match arg {
            Arg::Positional(path) => {
                if options.path.is_some() {
                    return Err(format!("unexpected argument `{path}`; give one PATH"));
                }
                options.path = Some(PathBuf::from(path));
                continue;
            }
            Arg::Flag(flag) => flag,
        };
        let mut value = |name: &str| cursor.value(name);
        match flag.as_str() {
            "--format" => {
                options.format = match value("--format")?.as_str() {
                    "human" => Format::Human,
                    "json" => Format::Json,
                    other => return Err(format!("unknown format `{other}`; use human or json")),
                }
            }
            "--rule" => {
                let setting = value("--rule")?;
                let (rule, severity) = parse_rule_setting(&setting)?;
                options.config.rule_overrides.insert(rule, severity);
            }
            "--now" => {
                let text = value("--now")?;
                now = Some(parse_now(&text)?);
            }
            "--fix" => options.fix = true,
            "--user" => options.config.user = Some(value("--user")?),
            "--tasks-root" => options.tasks_root = Some(PathBuf::from(value("--tasks-root")?)),
            "--extra-event" => {
                let name = value("--extra-event")?;
                options.config.extra_events.push(name);
            }
            "-h" | "--help" => return Err(String::new()),
            _ => return Err(format!("unknown option `{flag}`")),
        }
    }
    // The edge: the clock and the acting user are read here, once, for the whole run.
    options.config.now = now_at_the_edge(now)?;
    options.config.user = crate::cli::acting_user(options.config.user.as_deref());
    Ok(options)
}

/// `NAME=SEVERITY` with SEVERITY one of error, warning, info, hint, off.
pub fn parse_rule_setting(setting: &str) -> Result<(Rule, Option<Severity>), String> {
    let (name, level) = setting
        .split_once('=')
        .ok_or_else(|| format!("--rule takes NAME=SEVERITY, got `{setting}`"))?;
    let rule = Rule::parse(name.trim()).ok_or_else(|| {
        let names: Vec<&str> = Rule::ALL.iter().map(|rule| rule.name()).collect();
        format!("unknown rule `{name}`; valid rules: {}", names.join(", "))
    })?;
    let severity = match level.trim() {
        "off" => None,
        other => Some(Severity::parse(other).ok_or_else(|| {
            format!("unknown severity `{other}`; use error, warning, info, hint or off")
        })?),
    };
    Ok((rule, severity))
}

/// Runs the check, writing the report to `out` and problems to `err`; returns the exit code.
pub fn run(options: &CheckOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let base = options.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let mut workspace = match load_workspace(&base, options.tasks_root.as_deref(), err) {
        Ok(workspace) => workspace,
        Err(code) => return code,
    };
    if options.fix {
        workspace = match fix::fix_on_disk(workspace, &base, &options.config, err) {
            Ok(workspace) => workspace,
            Err(code) => return code,
        };
    }
    let diagnostics = workspace_diagnostics(&workspace, &options.config);
    let summary = Summary::of(&workspace, &diagnostics);
    index_reported_lines(&workspace, &diagnostics);
    // The caller's stdout is line-buffered: a pretty-printed report of tens of thousands of
    // diagnostics would be a million small writes.
    let mut buffered = BufWriter::with_capacity(1 << 16, out);
    let written = match options.format {
        Format::Human => write_human(&workspace, &base, &diagnostics, &summary, &mut buffered),
        Format::Json => write_json(&workspace, &base, &diagnostics, &summary, &mut buffered),
    }
    .and_then(|()| buffered.flush());
    // Freeing the model and the report item by item is a tenth of the run at ten thousand
    // tasks, for memory the process hands back as it exits a moment later.
    std::mem::forget(diagnostics);
    std::mem::forget(workspace);
    if let Err(error) = written {
        let _ = writeln!(err, "flowos-lsp: cannot write the report: {error}");
        return EXIT_USAGE;
    }
    if summary.errors > 0 {
        EXIT_ERRORS
    } else {
        EXIT_CLEAN
    }
}

/// Builds, on every core, the line index of each file the report points into. Writing the
/// report is single-threaded, and building them there, one file at a time, was a fifth of
/// writing a noisy workspace's report.
fn index_reported_lines(workspace: &Workspace, diagnostics: &[Diagnostic]) {
    let mut files: Vec<FileId> = diagnostics
        .iter()
        .flat_map(|d| std::iter::once(d.file).chain(d.related.iter().map(|r| r.file)))
        .collect();
    files.sort_unstable();
    files.dedup();
    parallel_map(files, |file| {
        workspace.file(file).line_index();
    });
}

struct Summary {
    errors: usize,
    warnings: usize,
    infos: usize,
    hints: usize,
    tasks: usize,
    tasks_with_problems: usize,
}

impl Summary {
    fn of(workspace: &Workspace, diagnostics: &[Diagnostic]) -> Summary {
        let count = |severity| {
            diagnostics
                .iter()
                .filter(|d| d.severity == severity)
                .count()
        };
        let mut files_with_problems: Vec<FileId> = diagnostics.iter().map(|d| d.file).collect();
        files_with_problems.sort();
        files_with_problems.dedup();
        let tasks_with_problems = workspace
            .tasks
            .iter()
            .filter(|task| {
                task.files()
                    .any(|file| files_with_problems.binary_search(&file).is_ok())
            })
            .count();
        Summary {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            hints: count(Severity::Hint),
            tasks: workspace.tasks.len(),
            tasks_with_problems,
        }
    }

    fn line(&self) -> String {
        let mut parts = vec![
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
        ];
        if self.infos > 0 {
            parts.push(plural(self.infos, "info"));
        }
        if self.hints > 0 {
            parts.push(plural(self.hints, "hint"));
        }
        format!(
            "{} in {} ({} checked)",
            parts.join(", "),
            plural(self.tasks_with_problems, "task"),
            self.tasks
        )
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn position(workspace: &Workspace, file: FileId, offset: u32) -> (u32, u32) {
    let source = workspace.file(file);
    let at = source
        .line_index()
        .line_col(&source.text, offset as usize, PositionEncoding::Utf16);
    (at.line, at.col)
}

fn write_human(
    workspace: &Workspace,
    base: &Path,
    diagnostics: &[Diagnostic],
    summary: &Summary,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    for diagnostic in diagnostics {
        let path = display_path(base, &workspace.file(diagnostic.file).path);
        let (line, col) = position(workspace, diagnostic.file, diagnostic.range.start);
        writeln!(
            out,
            "{path}:{}:{}: {}[{}] {}",
            line + 1,
            col + 1,
            diagnostic.severity,
            diagnostic.rule,
            diagnostic.message
        )?;
        for related in &diagnostic.related {
            let path = display_path(base, &workspace.file(related.file).path);
            let (line, col) = position(workspace, related.file, related.range.start);
            writeln!(
                out,
                "    {path}:{}:{}: {}",
                line + 1,
                col + 1,
                related.message
            )?;
        }
    }
    writeln!(out, "{}", summary.line())
}

// The JSON report is written straight from these records rather than built as a
// `serde_json::Value` first: at tens of thousands of diagnostics the tree cost more than the
// analysis. Fields are declared in alphabetical order, the order a `Value` map printed them
// in, so the report is the same byte for byte.

#[derive(Serialize)]
struct JsonReport<'a> {
    diagnostics: JsonDiagnostics<'a>,
    summary: JsonSummary,
}

/// The diagnostics, each turned into its record only as it is written, so that the records
/// of a large report never all exist at once.
struct JsonDiagnostics<'a> {
    workspace: &'a Workspace,
    base: &'a Path,
    diagnostics: &'a [Diagnostic],
}

impl Serialize for JsonDiagnostics<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (workspace, base) = (self.workspace, self.base);
        serializer.collect_seq(self.diagnostics.iter().map(|diagnostic| {
            JsonDiagnostic {
                message: &diagnostic.message,
                path: display_path(base, &workspace.file(diagnostic.file).path),
                range: json_range(workspace, diagnostic.file, diagnostic.range),
                related: diagnostic
                    .related
                    .iter()
                    .map(|related| JsonRelated {
                        message: &related.message,
                        path: display_path(base, &workspace.file(related.file).path),
                        range: json_range(workspace, related.file, related.range),
                    })
                    .collect(),
                rule: diagnostic.rule.name(),
                severity: diagnostic.severity.name(),
            }
        }))
    }
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    message: &'a str,
    path: String,
    range: JsonRange,
    related: Vec<JsonRelated<'a>>,
    rule: &'static str,
    severity: &'static str,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    message: &'a str,
    path: String,
    range: JsonRange,
}

#[derive(Serialize)]
struct JsonRange {
    end: JsonPosition,
    start: JsonPosition,
}

#[derive(Serialize)]
struct JsonPosition {
    character: u32,
    line: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonSummary {
    errors: usize,
    hints: usize,
    infos: usize,
    tasks: usize,
    tasks_with_problems: usize,
    warnings: usize,
}

fn json_range(workspace: &Workspace, file: FileId, range: TextRange) -> JsonRange {
    let at = |offset| {
        let (line, character) = position(workspace, file, offset);
        JsonPosition { character, line }
    };
    JsonRange {
        end: at(range.end),
        start: at(range.start),
    }
}

/// The `--format json` report as a value, for the MCP server's `check` tool: the same
/// records, paths shown relative to `base`.
pub fn json_report(workspace: &Workspace, base: &Path, diagnostics: &[Diagnostic]) -> Value {
    let summary = Summary::of(workspace, diagnostics);
    serde_json::to_value(report(workspace, base, diagnostics, &summary)).unwrap_or(Value::Null)
}

fn report<'a>(
    workspace: &'a Workspace,
    base: &'a Path,
    diagnostics: &'a [Diagnostic],
    summary: &Summary,
) -> JsonReport<'a> {
    JsonReport {
        diagnostics: JsonDiagnostics {
            workspace,
            base,
            diagnostics,
        },
        summary: JsonSummary {
            errors: summary.errors,
            hints: summary.hints,
            infos: summary.infos,
            tasks: summary.tasks,
            tasks_with_problems: summary.tasks_with_problems,
            warnings: summary.warnings,
        },
    }
}

fn write_json(
    workspace: &Workspace,
    base: &Path,
    diagnostics: &[Diagnostic],
    summary: &Summary,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let report = report(workspace, base, diagnostics, summary);
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}
