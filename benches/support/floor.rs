//! The floor of SPEC §7: what no implementation can avoid, written without any product code.
//!
//! Walk the tasks root with `std::fs`, read every file, and parse each one the way any checker
//! must: every `.md` file's events with pulldown-cmark (tables and task lists on, offsets
//! asked for, since a language server has to place ranges), the frontmatter of every `.md`
//! that has one (the text between a first `---` line and the next `---` line) with a YAML
//! parser into a generic value, every ledger line with serde_json into a `serde_json::Value`,
//! and `.yaml` files whole. The reading and parsing run on every core, each thread taking
//! chunks of the file list from a shared cursor.
//!
//! Nothing here imports `flowos_lsp`: a floor built from the product's parsers would move
//! whenever they do. The YAML parser is serde-saphyr used as a plain library (deserialised
//! into `serde_json::Value`); the product depends on the same crate, but not on this use of it.
//! Shared through `#[path]` by `benches/budgets.rs` and `examples/floor.rs`; std plus the
//! three parsing crates only.

// Each including target uses a different part of this module.
#![allow(dead_code)]

use std::borrow::Cow;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pulldown_cmark::{Options, Parser};

/// What one pass read and parsed; the counts keep the optimiser from dropping any work and
/// let a reader check the floor saw the same tree as the product.
#[derive(Default, Debug, Clone)]
pub struct Tally {
    pub files: usize,
    pub bytes: u64,
    pub markdown_files: usize,
    pub markdown_events: usize,
    pub frontmatters: usize,
    pub yaml_errors: usize,
    pub ledger_lines: usize,
    pub json_errors: usize,
    pub unreadable: usize,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.files += other.files;
        self.bytes += other.bytes;
        self.markdown_files += other.markdown_files;
        self.markdown_events += other.markdown_events;
        self.frontmatters += other.frontmatters;
        self.yaml_errors += other.yaml_errors;
        self.ledger_lines += other.ledger_lines;
        self.json_errors += other.json_errors;
        self.unreadable += other.unreadable;
    }
}

/// Runs the floor over `root` (a `.work/tasks` folder) and returns what it did and how long
/// it took, from the first directory read to the last parse.
pub fn run(root: &Path) -> io::Result<(Tally, Duration)> {
    let started = Instant::now();
    let mut files = Vec::new();
    walk(root, 0, &mut files)?;
    // The indexes and policies beside the stage folders first: the root INDEX.md holds a row
    // per task and is the longest single parse, so it must not be the last one handed out.
    files.sort_by_key(|(depth, _)| *depth);
    let files: Vec<PathBuf> = files.into_iter().map(|(_, path)| path).collect();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let cursor = AtomicUsize::new(0);
    // Small chunks: file sizes vary (the root INDEX.md is a thousand cards' worth), and a
    // thread that finishes early takes the next chunk instead of waiting.
    const CHUNK: usize = 32;
    let tally = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut tally = Tally::default();
                    loop {
                        let from = cursor.fetch_add(CHUNK, Ordering::Relaxed);
                        if from >= files.len() {
                            break;
                        }
                        for path in &files[from..(from + CHUNK).min(files.len())] {
                            read_and_parse(path, &mut tally);
                        }
                    }
                    tally
                })
            })
            .collect();
        let mut total = Tally::default();
        for worker in workers {
            total.add(&worker.join().expect("a floor thread"));
        }
        total
    });
    Ok((tally, started.elapsed()))
}

/// Every regular file below `dir` with its depth; links are not followed (the product does
/// not follow them either, and a loop must not hang the floor).
fn walk(dir: &Path, depth: usize, out: &mut Vec<(usize, PathBuf)>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&entry.path(), depth + 1, out)?;
        } else if kind.is_file() {
            out.push((depth, entry.path()));
        }
    }
    Ok(())
}

fn read_and_parse(path: &Path, tally: &mut Tally) {
    let Ok(bytes) = fs::read(path) else {
        tally.unreadable += 1;
        return;
    };
    tally.files += 1;
    tally.bytes += bytes.len() as u64;
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default();
    if name.ends_with(".md") {
        parse_markdown(&text(&bytes), tally);
    } else if name.ends_with(".jsonl") {
        for line in bytes.split(|&byte| byte == b'\n') {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            tally.ledger_lines += 1;
            match serde_json::from_slice::<serde_json::Value>(line) {
                Ok(value) => {
                    std::hint::black_box(&value);
                }
                Err(_) => tally.json_errors += 1,
            }
        }
    } else if name.ends_with(".yaml") || name.ends_with(".yml") {
        parse_yaml(&text(&bytes), tally);
    }
}

/// The bytes as text: validated in place (the common case), else with U+FFFD for what is not
/// UTF-8, as any reader of these files must.
fn text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The frontmatter (when the file opens with one) as YAML, the rest as CommonMark.
fn parse_markdown(text: &str, tally: &mut Tally) {
    tally.markdown_files += 1;
    let body = match split_frontmatter(text) {
        Some((yaml, body)) => {
            parse_yaml(yaml, tally);
            body
        }
        None => text,
    };
    let options = Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS;
    let mut events = 0;
    for event in Parser::new_ext(body, options).into_offset_iter() {
        std::hint::black_box(&event);
        events += 1;
    }
    tally.markdown_events += events;
}

fn parse_yaml(yaml: &str, tally: &mut Tally) {
    tally.frontmatters += 1;
    match serde_saphyr::from_str::<serde_json::Value>(yaml) {
        Ok(value) => {
            std::hint::black_box(&value);
        }
        Err(_) => tally.yaml_errors += 1,
    }
}

/// `(frontmatter, body)` when the first line is `---` and a later line is `---`.
fn split_frontmatter(text: &str) -> Option<(&str, &str)> {
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let mut at = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end_matches(['\n', '\r']) == "---" {
            return Some((&rest[..at], &rest[at + line.len()..]));
        }
        at += line.len();
    }
    None
}
