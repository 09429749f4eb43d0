//! `flowos-lsp query <name> [ARG] [PATH]`: the queries of SPEC §9 (`ide::query`) from the
//! command line, printed as a markdown table, JSON (the documented contract) or CSV.

use std::io::Write;
use std::path::PathBuf;

use serde_json::Value;

use crate::cli::workspace::load_flow_workspace;
use crate::cli::{Arg, ArgCursor};
use crate::cli::{EXIT_USAGE, parse_now};
use crate::db::CardReading;
use crate::ide::query::{QUERIES, QueryRequest, answer};

pub const USAGE: &str = "\
usage: flowos-lsp query <QUERY> [ARG] [PATH] [--format table|json|csv] [--now RFC3339]
                        [--dri @name] [--tag TAG] [--namespace NS] [--priority P0..P4]
                        [--status STATUS] [--since TIME] [--until TIME] [--tasks-root DIR]

queries:
  task <ID>                 one task: its card's fields and its figures
  stage <STAGE>             the tasks in a stage
  blocked                   blocked tasks, by what and since when
  dependents <ID> [--all]   tasks that depend on ID (--all: transitively)
  dependencies <ID> [--all] tasks ID depends on (--all: transitively)
  stale                     tasks over their stage's SLO target
  wip                       work in progress per stage, against the WIP limits
  p0                        open P0 tasks
  rework                    tasks sent back, with each rollback (in the window if given)
  events <ID> [--type T]    a task's ledger events
  blocker-impact            what blocked tasks longest within the window
  metrics [--task ID]       the flow metrics over the window, or one task's figures
  ready [--why]             what can be pulled next: backlog and next tasks whose every
                            dependency is finished, by priority then age (--why: and what
                            holds the others back)
  proposals                 agents' proposals waiting for a person, oldest first, with
                            whom they wait for (the task's DRI) and whether they went stale

Filters (repeatable; each narrows) apply to every listing and to metrics. The window is
--since/--until (RFC 3339 or YYYY-MM-DD), by default the 28 days before --now (or
$FLOWOS_NOW, else the current time). Exit status: 0 answered, 2 usage, unknown task or I/O.";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
}

#[derive(Clone, Debug, Default)]
pub struct QueryOptions {
    pub request: QueryRequest,
    pub path: Option<PathBuf>,
    pub tasks_root: Option<PathBuf>,
    pub format: Format,
    pub now: Option<i64>,
}

/// Queries whose first positional argument after the name is a task ID or a stage.
const TAKES_ARG: [&str; 5] = ["task", "stage", "dependents", "dependencies", "events"];

pub fn parse_args(args: &[String]) -> Result<QueryOptions, String> {
    let mut options = QueryOptions::default();
    let mut positionals = Vec::new();
    let mut cursor = ArgCursor::new(args);
    while let Some(arg) = cursor.next_arg() {
        let flag = match arg {
            Arg::Positional(value) => {
                positionals.push(value);
                continue;
            }
            Arg::Flag(flag) => flag,
        };
        let filters = &mut options.request.filters;
        match flag.as_str() {
            "--format" => {
                options.format = match cursor.value("--format")?.as_str() {
                    "table" => Format::Table,
                    "json" => Format::Json,
                    "csv" => Format::Csv,
                    other => {
                        return Err(format!("unknown format `{other}`; use table, json or csv"));
                    }
                }
            }
            "--now" => options.now = Some(parse_now(&cursor.value("--now")?)?),
            "--all" => options.request.all = true,
            "--why" => options.request.why = true,
            "--type" => options.request.event_type = Some(cursor.value("--type")?),
            "--task" => options.request.arg = Some(cursor.value("--task")?),
            "--since" => options.request.since = Some(cursor.value("--since")?),
            "--until" => options.request.until = Some(cursor.value("--until")?),
            "--dri" => filters.dri.push(cursor.value("--dri")?),
            "--tag" => filters.tag.push(cursor.value("--tag")?),
            "--namespace" => filters.namespace.push(cursor.value("--namespace")?),
            "--priority" => filters.priority.push(cursor.value("--priority")?),
            "--status" => filters.status.push(cursor.value("--status")?),
            "--tasks-root" => {
                options.tasks_root = Some(PathBuf::from(cursor.value("--tasks-root")?))
            }
            "-h" | "--help" => return Err(String::new()),
            _ => return Err(format!("unknown option `{flag}`")),
        }
    }
    let mut positionals = positionals.into_iter();
    let name = positionals
        .next()
        .ok_or_else(|| format!("which query? one of {}", QUERIES.join(", ")))?;
    if !QUERIES.contains(&name.as_str()) {
        return Err(format!(
            "unknown query `{name}`; queries: {}",
            QUERIES.join(", ")
        ));
    }
    if TAKES_ARG.contains(&name.as_str()) {
        options.request.arg = Some(
            positionals
                .next()
                .ok_or_else(|| format!("`query {name}` needs an argument"))?,
        );
    }
    options.request.query = name;
    options.path = positionals.next().map(PathBuf::from);
    if let Some(extra) = positionals.next() {
        return Err(format!("unexpected argument `{extra}`"));
    }
    if options.now.is_none()
        && let Ok(text) = std::env::var("FLOWOS_NOW")
    {
        options.now = Some(parse_now(&text).map_err(|e| format!("FLOWOS_NOW: {e}"))?);
    }
    Ok(options)
}

pub fn run(options: &QueryOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let base = options.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let workspace = match load_flow_workspace(
        &base,
        options.tasks_root.as_deref(),
        // Every query reads a card's fields, none its body.
        CardReading::FrontmatterOnly,
        err,
    ) {
        Ok(workspace) => workspace,
        Err(code) => return code,
    };
    // The clock is read here, once; everything below is a function of it.
    let now = options.now.unwrap_or_else(clock_now);
    let value = match answer(&workspace, &options.request, now) {
        Ok(value) => value,
        Err(error) => {
            let _ = writeln!(err, "flowos-lsp: {}", error.0);
            return EXIT_USAGE;
        }
    };
    let text = match options.format {
        Format::Json => serde_json::to_string_pretty(&value).unwrap_or_default() + "\n",
        Format::Table => render(&value["results"], &Markdown),
        Format::Csv => render(&value["results"], &Csv),
    };
    // A closed pipe (`| head`) is not the command's failure.
    let _ = out.write_all(text.as_bytes());
    leave_to_exit(workspace);
    0
}

/// Hands the model to the process's exit instead of freeing it piece by piece: the command
/// ends right after, and taking apart every parsed file of a large tree was a tenth of a
/// query's time. (Nothing in the model owns a resource the exit would not release.)
pub(crate) fn leave_to_exit(workspace: crate::db::Workspace) {
    std::mem::forget(workspace);
}

pub(crate) fn clock_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// How a table of text cells is written.
trait Style {
    fn table(&self, header: &[String], rows: &[Vec<String>]) -> String;
    fn heading(&self, title: &str) -> String;
}

struct Markdown;
struct Csv;

impl Style for Markdown {
    fn table(&self, header: &[String], rows: &[Vec<String>]) -> String {
        crate::ide::report::table(header, rows)
    }

    fn heading(&self, title: &str) -> String {
        format!("\n{title}\n\n")
    }
}

impl Style for Csv {
    fn table(&self, header: &[String], rows: &[Vec<String>]) -> String {
        let field = |text: &String| {
            if text.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", text.replace('"', "\"\""))
            } else {
                text.clone()
            }
        };
        let line = |cells: &[String]| cells.iter().map(field).collect::<Vec<_>>().join(",") + "\n";
        let mut out = line(header);
        for row in rows {
            out += &line(row);
        }
        out
    }

    fn heading(&self, title: &str) -> String {
        format!("\n# {title}\n")
    }
}

/// A query's results as tables: a list of objects is one table (a column per field); an
/// object whose fields are all lists of objects (`ready --why`) a table per field; any other
/// object one `field,value` table of its scalar leaves, named by their path.
fn render(results: &Value, style: &dyn Style) -> String {
    match results {
        Value::Array(items) => list_table(items, style),
        Value::Object(map) if !map.is_empty() && map.values().all(Value::is_array) => {
            // `ready --why`: the answer before the explanation.
            let mut sections: Vec<(&String, &Value)> = map.iter().collect();
            sections.sort_by_key(|(key, _)| *key != "ready");
            sections
                .into_iter()
                .enumerate()
                .map(|(i, (key, value))| {
                    let heading = style.heading(key);
                    let heading = if i == 0 {
                        heading.trim_start().to_string()
                    } else {
                        heading
                    };
                    heading + &list_table(value.as_array().map_or(&[][..], Vec::as_slice), style)
                })
                .collect()
        }
        other => {
            let mut leaves = Vec::new();
            flatten("", other, &mut leaves);
            let header = ["field".to_string(), "value".to_string()];
            let rows: Vec<Vec<String>> = leaves.into_iter().map(|(k, v)| vec![k, v]).collect();
            style.table(&header, &rows)
        }
    }
}

/// The columns a table starts with, when a row has them.
const LEADING_COLUMNS: [&str; 12] = [
    "line",
    "ts",
    "id",
    "blocker",
    "name",
    "blocker_name",
    "stage",
    "status",
    "priority",
    "dri",
    "user",
    "event",
];

fn list_table(items: &[Value], style: &dyn Style) -> String {
    let mut header: Vec<String> = Vec::new();
    for item in items {
        if let Value::Object(map) = item {
            for key in map.keys() {
                if !header.contains(key) {
                    header.push(key.clone());
                }
            }
        }
    }
    // JSON objects keep their keys sorted; people read a row from what it is about.
    header.sort_by_key(|key| {
        let rank = LEADING_COLUMNS.iter().position(|lead| lead == key);
        (rank.unwrap_or(LEADING_COLUMNS.len()), key.clone())
    });
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| header.iter().map(|key| cell(&item[key.as_str()])).collect())
        .collect();
    style.table(&header, &rows)
}

/// A value as one cell: `-` for null, lists of scalars joined, anything nested as JSON.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".to_string(),
        Value::String(text) => text.clone(),
        Value::Array(items)
            if items
                .iter()
                .all(|item| !item.is_object() && !item.is_array()) =>
        {
            items.iter().map(cell).collect::<Vec<_>>().join(", ")
        }
        Value::Object(map)
            if map
                .values()
                .all(|value| !value.is_object() && !value.is_array()) =>
        {
            map.iter()
                .map(|(key, value)| format!("{key}: {}", cell(value)))
                .collect::<Vec<_>>()
                .join(", ")
        }
        other => other.to_string(),
    }
}

/// The scalar leaves of `value` with their paths (`lead_time_hours.mean`); an element of a
/// list that names a stage, week, blocker or task is keyed by that name, else by position.
fn flatten(path: &str, value: &Value, out: &mut Vec<(String, String)>) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                flatten(&join(key), value, out);
            }
        }
        Value::Array(items) if items.iter().any(|item| item.is_object()) => {
            for (i, item) in items.iter().enumerate() {
                let named = ["stage", "week", "blocker", "task"]
                    .iter()
                    .find_map(|key| Some((*key, item[*key].as_str()?)));
                match (named, item) {
                    // The name is in the path: the rest of the element follows it.
                    (Some((key, name)), Value::Object(map)) => {
                        for (field, value) in map.iter().filter(|(field, _)| *field != key) {
                            flatten(&join(&format!("{name}.{field}")), value, out);
                        }
                    }
                    _ => flatten(&join(&i.to_string()), item, out),
                }
            }
        }
        other => out.push((path.to_string(), cell(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn the_argument_comes_before_the_path_and_filters_repeat() {
        let options = parse_args(&args(
            "dependents TASK-0001 ws --all --dri @ana --dri bo --format csv --now 2026-11-30T00:00:00Z",
        ))
        .unwrap();
        assert_eq!(options.request.arg.as_deref(), Some("TASK-0001"));
        assert_eq!(options.path, Some(PathBuf::from("ws")));
        assert_eq!(options.request.filters.dri, ["@ana", "bo"]);
        assert!(options.request.all);
        assert_eq!(options.format, Format::Csv);
        assert!(
            parse_args(&args("stage"))
                .unwrap_err()
                .contains("needs an argument")
        );
        assert!(
            parse_args(&args("nonsense"))
                .unwrap_err()
                .contains("unknown query")
        );
        assert!(
            parse_args(&args("wip a b"))
                .unwrap_err()
                .contains("unexpected")
        );
    }

    #[test]
    fn objects_flatten_to_named_paths_and_lists_to_columns() {
        let value = serde_json::json!({"a": {"b": 1}, "by": [{"stage": "next", "count": 2}]});
        let table = render(&value, &Csv);
        assert_eq!(table, "field,value\na.b,1\nby.next.count,2\n");
        let rows = serde_json::json!([{"id": "TASK-1", "tags": ["x", "y"], "n": null}]);
        // `id` leads; the other columns follow in key order.
        assert_eq!(render(&rows, &Csv), "id,n,tags\nTASK-1,-,\"x, y\"\n");
    }
}
