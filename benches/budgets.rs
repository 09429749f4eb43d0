//! The SPEC §7 budgets, measured: `cargo bench --bench budgets` generates workspaces of
//! 1,000 and 10,000 tasks under `target/bench-workspaces/`, measures the floor (read and
//! parse every file, no rules), a cold check, the server's time to first diagnostics, a
//! keystroke's round trip to refreshed diagnostics, navigation and completion latency, and
//! the server's peak memory, and prints a table with each budget's verdict.
//!
//! Timings are medians (and ranges) of repeated runs; nothing here asserts a time, so a
//! slow shared machine makes a slow table, not a red build. `BENCH_SIZES=1000` limits the
//! sizes, `BENCH_RUNS=5` changes the repetitions.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // The bench drives the binary; the product may not.

#[path = "support/generator.rs"]
mod generator;
#[path = "../tests/support/mod.rs"]
mod lsp_client;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use flowos_lsp::base::{LineIndex, PositionEncoding};
use flowos_lsp::db::{FileRole, Workspace, parse_file};
use flowos_lsp::ide::diagnostics::workspace_diagnostics;
use flowos_lsp::ide::types::Config;
use flowos_lsp::loader;
use flowos_lsp::parallel::parallel_map;
use lsp_client::{Answers, Client, uri};
use serde_json::{Value, json};

/// A moment after every generated ledger event, so SLO output is stable.
const NOW: &str = "2026-12-31T00:00:00Z";

struct Stats {
    samples: Vec<Duration>,
}

impl Stats {
    fn new(mut samples: Vec<Duration>) -> Stats {
        samples.sort();
        Stats { samples }
    }

    fn quantile(&self, q: f64) -> Duration {
        let index = ((self.samples.len() as f64 - 1.0) * q).round() as usize;
        self.samples[index.min(self.samples.len() - 1)]
    }

    fn median(&self) -> Duration {
        self.quantile(0.5)
    }

    fn p95(&self) -> Duration {
        self.quantile(0.95)
    }

    fn range(&self) -> String {
        format!(
            "{}–{}",
            ms(self.samples[0]),
            ms(*self.samples.last().unwrap())
        )
    }
}

fn ms(duration: Duration) -> String {
    let millis = duration.as_secs_f64() * 1000.0;
    if millis < 10.0 {
        format!("{millis:.2} ms")
    } else {
        format!("{millis:.0} ms")
    }
}

fn repeat(runs: usize, mut work: impl FnMut() -> Duration) -> Stats {
    Stats::new((0..runs).map(|_| work()).collect())
}

/// The role a file name plays, for the floor (which skips the layout analysis).
fn role_by_name(name: &str) -> Option<FileRole> {
    Some(if name.ends_with(".task.md") {
        FileRole::Card
    } else if name.ends_with(".ledger.jsonl") {
        FileRole::Ledger
    } else if name.ends_with(".context.md") {
        FileRole::Context
    } else if name == "INDEX.md" {
        FileRole::RootIndex
    } else {
        return None;
    })
}

/// The floor: read every file and parse it (markdown, YAML, JSON) with no rules at all.
fn floor(root: &Path) -> Duration {
    let started = Instant::now();
    let input = loader::load_root(root);
    let parsed = parallel_map(input.files, |file| {
        let name = file.rel.rsplit('/').next().unwrap_or_default().to_string();
        role_by_name(&name).map(|role| parse_file(&role, &file.bytes, file.oversized))
    });
    std::hint::black_box(parsed.len());
    started.elapsed()
}

/// What `flowos-lsp check` does, minus printing: find, read, build, run every rule.
fn cold_check(folder: &Path, config: &Config) -> Duration {
    let started = Instant::now();
    let roots = loader::find_tasks_roots(folder).expect("a tasks root");
    let inputs = roots.iter().map(|root| loader::load_root(root)).collect();
    let workspace = Workspace::build(inputs);
    let diagnostics = workspace_diagnostics(&workspace, config);
    std::hint::black_box(diagnostics.len());
    started.elapsed()
}

/// A card in flight with a `depends_on` item, the item's position, and the task it names.
struct Probe {
    card: PathBuf,
    text: String,
    /// Line and UTF-16 column of the item's ID text (inside any quotes).
    line: u32,
    col: u32,
    id_len: u32,
}

fn find_probe(folder: &Path) -> Probe {
    let root = folder.join(".work/tasks");
    let workspace = Workspace::build(vec![loader::load_root(&root)]);
    let task = workspace
        .tasks
        .iter()
        .filter(|task| task.stage.name() != "archived" && !task.meta.depends_on.is_empty())
        .max_by_key(|task| task.id.number)
        .expect("a task with dependencies outside archived");
    let file = workspace.file(task.card.expect("a card"));
    let item = &task.meta.depends_on[0];
    let written = item.range.slice(&file.text);
    let quote = usize::from(written.starts_with('"') || written.starts_with('\''));
    let start = item.range.start as usize + quote;
    let id_len = (written.len() - 2 * quote) as u32;
    let index = LineIndex::new(&file.text);
    let at = index.line_col(&file.text, start, PositionEncoding::Utf16);
    Probe {
        card: file.path.clone(),
        text: file.text.to_string(),
        line: at.line,
        col: at.col,
        id_len,
    }
}

fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

struct ServerFigures {
    ready: Duration,
    keystroke: Stats,
    completion: Stats,
    definition: Stats,
    hover: Stats,
    references: Stats,
    code_actions: Stats,
    peak_rss_mb: Option<f64>,
}

fn position(probe: &Probe, offset: u32) -> Value {
    json!({"textDocument": {"uri": uri(&probe.card)}, "position": {"line": probe.line, "character": probe.col + offset}})
}

fn server(folder: &Path, expected_files: usize, edits: usize, requests: usize) -> ServerFigures {
    let started = Instant::now();
    let mut client = Client::spawn_with_env(Answers::Normally, &[("FLOWOS_NOW", NOW)]);
    client.initialize(
        folder,
        json!({"window": {"workDoneProgress": true}}),
        json!({}),
    );
    let ready = client.wait_until(Duration::from_secs(120), |client| {
        client
            .diagnostics
            .values()
            .filter(|items| !items.is_empty())
            .count()
            >= expected_files
    });
    assert!(ready, "the server never published the expected diagnostics");
    let ready = started.elapsed();

    let probe = find_probe(folder);
    client.open(&probe.card, 1);
    client.settle(Duration::from_millis(300));
    let card_uri = uri(&probe.card);
    let original = probe
        .text
        .lines()
        .nth(probe.line as usize)
        .unwrap()
        .to_string();
    let id = &original.encode_utf16().collect::<Vec<_>>()
        [probe.col as usize..(probe.col + probe.id_len) as usize];
    let id = String::from_utf16_lossy(id);
    let mut keystrokes = Vec::new();
    for edit in 0..edits {
        let version = edit as i64 + 2;
        // Alternately break the dependency (an ID no task has) and restore it.
        let replacement = if edit % 2 == 0 {
            "TASK-999999"
        } else {
            id.as_str()
        };
        let current_len = if edit % 2 == 0 { probe.id_len } else { 11 };
        let sent = Instant::now();
        client.edit(
            &probe.card,
            version,
            (probe.line, probe.col),
            (probe.line, probe.col + current_len),
            replacement,
        );
        let seen = client.wait_until(Duration::from_secs(30), |client| {
            client
                .publish_log
                .iter()
                .rev()
                .any(|(published, v)| *published == card_uri && *v == Some(version))
        });
        assert!(seen, "no diagnostics for version {version}");
        keystrokes.push(sent.elapsed());
    }
    // Leave the buffer as it started.
    let mut timed = |method: &str, params: Value| -> Stats {
        repeat(requests, || {
            let sent = Instant::now();
            let response = client.request_full(method, params.clone());
            assert!(response.get("error").is_none(), "{method}: {response}");
            sent.elapsed()
        })
    };
    let completion = timed("textDocument/completion", position(&probe, 5));
    let definition = timed("textDocument/definition", position(&probe, 3));
    let hover = timed("textDocument/hover", position(&probe, 3));
    let references = timed("textDocument/references", {
        let mut params = position(&probe, 3);
        params["context"] = json!({"includeDeclaration": true});
        params
    });
    // The lightbulb request an editor sends on every cursor move: quick fixes plus the
    // transitions the task can take, each planned to fingerprint the files it would touch.
    let code_actions = timed(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri(&probe.card)},
            "range": {
                "start": {"line": probe.line, "character": 0},
                "end": {"line": probe.line + 1, "character": 0},
            },
            "context": {"diagnostics": []},
        }),
    );
    let peak_rss_mb = peak_rss_mb(client.pid());
    client.shutdown();
    ServerFigures {
        ready,
        keystroke: Stats::new(keystrokes),
        completion,
        definition,
        hover,
        references,
        code_actions,
        peak_rss_mb,
    }
}

struct Row {
    tasks: usize,
    floor: Stats,
    check: Stats,
    server: ServerFigures,
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "OVER" }
}

fn main() {
    // `cargo bench` passes `--bench`; this target takes no arguments of its own.
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .ok()
        .map(|text| {
            text.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
        .unwrap_or_else(|| vec![1_000, 10_000]);
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(3);
    let config = Config {
        now: flowos_lsp::syntax::ledger::parse_rfc3339(NOW),
        ..Config::default()
    };
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-workspaces");
    let mut rows = Vec::new();
    for &tasks in &sizes {
        let folder = base.join(format!("tasks-{tasks}"));
        let summary = generator::generate(
            &folder,
            &generator::Options {
                tasks,
                seed: 42,
                faults: 12,
                namespaces: false,
                noisy: false,
            },
        )
        .expect("the workspace generates");
        eprintln!(
            "generated {} tasks, {} files, {:.1} MB in {}",
            summary.tasks,
            summary.files,
            summary.bytes as f64 / 1e6,
            folder.display()
        );
        let root = folder.join(".work/tasks");
        // One unmeasured pass warms the page cache, so every run reads from memory.
        floor(&root);
        let floor_stats = repeat(runs, || floor(&root));
        let check_stats = repeat(runs, || cold_check(&folder, &config));
        let expected_files = {
            let workspace = Workspace::build(vec![loader::load_root(&root)]);
            let mut files: Vec<_> = workspace_diagnostics(&workspace, &config)
                .into_iter()
                .map(|d| d.file)
                .collect();
            files.sort();
            files.dedup();
            files.len()
        };
        let server = server(&folder, expected_files, 60, 60);
        rows.push(Row {
            tasks,
            floor: floor_stats,
            check: check_stats,
            server,
        });
    }
    print_table(&rows);
}

fn print_table(rows: &[Row]) {
    println!(
        "| measure | {} | budget |",
        rows.iter()
            .map(|r| format!("{} tasks", r.tasks))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("|---|{}---|", "---|".repeat(rows.len()));
    let line = |name: &str, cell: &dyn Fn(&Row) -> String, budget: &str| {
        println!(
            "| {name} | {} | {budget} |",
            rows.iter().map(cell).collect::<Vec<_>>().join(" | ")
        );
    };
    line(
        "floor: read + parse every file (median, range)",
        &|r| format!("{} ({})", ms(r.floor.median()), r.floor.range()),
        "—",
    );
    line(
        "cold check (median, range)",
        &|r| format!("{} ({})", ms(r.check.median()), r.check.range()),
        "≤ 2× floor",
    );
    line(
        "cold check ÷ floor",
        &|r| {
            let ratio = r.check.median().as_secs_f64() / r.floor.median().as_secs_f64();
            format!("{ratio:.2}× {}", verdict(ratio <= 2.0))
        },
        "≤ 2.0",
    );
    line(
        "server: spawn → first full diagnostics",
        &|r| {
            let ratio = r.server.ready.as_secs_f64() / r.floor.median().as_secs_f64();
            format!(
                "{} ({ratio:.2}× floor) {}",
                ms(r.server.ready),
                verdict(ratio <= 2.0)
            )
        },
        "≤ 2× floor",
    );
    line(
        "keystroke → refreshed diagnostics p50 / p95",
        &|r| {
            format!(
                "{} / {} {}",
                ms(r.server.keystroke.median()),
                ms(r.server.keystroke.p95()),
                verdict(r.server.keystroke.p95() <= Duration::from_millis(15))
            )
        },
        "p95 ≤ 15 ms",
    );
    line(
        "completion p50 / p95",
        &|r| {
            format!(
                "{} / {} {}",
                ms(r.server.completion.median()),
                ms(r.server.completion.p95()),
                verdict(r.server.completion.p95() <= Duration::from_millis(10))
            )
        },
        "p95 ≤ 10 ms",
    );
    for (name, pick) in [
        (
            "definition p50 / p95",
            (|r: &Row| &r.server.definition) as fn(&Row) -> &Stats,
        ),
        ("hover p50 / p95", |r: &Row| &r.server.hover),
        ("references p50 / p95", |r: &Row| &r.server.references),
        ("code actions p50 / p95", |r: &Row| &r.server.code_actions),
    ] {
        line(
            name,
            &|r| {
                let stats = pick(r);
                format!(
                    "{} / {} {}",
                    ms(stats.median()),
                    ms(stats.p95()),
                    verdict(stats.p95() <= Duration::from_millis(5))
                )
            },
            "p95 ≤ 5 ms",
        );
    }
    line(
        "server peak RSS (VmHWM)",
        &|r| match r.server.peak_rss_mb {
            Some(mb) => format!("{mb:.0} MB {}", verdict(mb <= 250.0)),
            None => "n/a".into(),
        },
        "≤ 250 MB",
    );
    if let [small, large] = rows {
        let growth = large.check.median().as_secs_f64() / small.check.median().as_secs_f64();
        let tasks = large.tasks as f64 / small.tasks as f64;
        println!(
            "\ngrowth of cold check from {} to {} tasks: {growth:.1}× for {tasks:.0}× the tasks ({})",
            small.tasks,
            large.tasks,
            verdict(growth <= tasks * 1.1)
        );
    }
}
