//! Test fixtures: a workspace written as one string of files, and renderings of results that
//! show the exact text each range covers.
//!
//! A fixture is a sequence of `//- /path/relative/to/tasks/root` headers, each followed by the
//! file's text; a header ending in `/` declares an empty folder. [`package`] writes the three
//! files of a clean task so a test only spells out what it is about.

use std::path::{Path, PathBuf};

use crate::base::PositionEncoding;
use crate::db::vocab::Stage;
use crate::db::{FileId, FileInput, RootInput, Workspace};
use crate::ide::diagnostics::workspace_diagnostics;
use crate::ide::source_change::{FileChange, SourceChange};
use crate::ide::types::{Config, Diagnostic, Rule};
use crate::syntax::task_id::parse_folder_name;

pub const ROOT: &str = "/ws/.work/tasks";

/// Builds the model from a fixture without touching the disk.
pub fn workspace(fixture: &str) -> Workspace {
    let mut input = RootInput {
        path: PathBuf::from(ROOT),
        ..RootInput::default()
    };
    let mut current: Option<(String, String)> = None;
    let mut files = Vec::new();
    for line in fixture.split_inclusive('\n') {
        if let Some(header) = line.trim_end().strip_prefix("//- /") {
            if let Some(file) = current.take() {
                files.push(file);
            }
            if let Some(dir) = header.strip_suffix('/') {
                add_dirs(&mut input.dirs, &format!("{dir}/x"));
            } else {
                current = Some((header.to_string(), String::new()));
            }
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
        }
    }
    files.extend(current);
    for (rel, text) in files {
        add_dirs(&mut input.dirs, &rel);
        input.files.push(FileInput::new(rel, text.into_bytes()));
    }
    input.dirs.sort();
    input.dirs.dedup();
    Workspace::build(vec![input])
}

/// The fixture's workspace as if the loader had found `unread` (relative path, reason)
/// there without reading it: a link, a pipe, a file it may not open.
pub fn workspace_with_unread(fixture: &str, unread: &[(&str, &str)]) -> Workspace {
    let mut inputs = workspace(fixture).inputs();
    inputs[0].problems = unread
        .iter()
        .map(|(rel, message)| crate::db::LoadProblem {
            rel: rel.to_string(),
            message: message.to_string(),
        })
        .collect();
    Workspace::build(inputs)
}

fn add_dirs(dirs: &mut Vec<String>, rel: &str) {
    let mut at = 0;
    while let Some(slash) = rel[at..].find('/') {
        dirs.push(rel[..at + slash].to_string());
        at += slash + 1;
    }
}

/// `fixture` without the file whose header path ends with `suffix`.
pub fn without_file(fixture: &str, suffix: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in fixture.split_inclusive('\n') {
        if let Some(header) = line.trim_end().strip_prefix("//- /") {
            skipping = header.ends_with(suffix);
        }
        if !skipping {
            out.push_str(line);
        }
    }
    out
}

/// A clean task package under `folder` (e.g. `current/TASK-0002-api`): card, context and
/// ledger. `fields` are frontmatter lines that replace the defaults with the same key or are
/// added after them.
pub fn package(folder: &str, fields: &str) -> String {
    let name = folder.rsplit('/').next().unwrap_or(folder);
    let (id, slug) = parse_folder_name(name).expect("fixture folder must be TASK-<id>-<slug>");
    let short = id.short();
    let stage = folder
        .split('/')
        .find_map(Stage::parse)
        .expect("fixture folder must sit in a stage");
    let later = stage >= Stage::Next;
    let defaults = [
        format!("task_id: \"{short}\""),
        "created_by: \"@ana\"".to_string(),
        "created_date: \"2026-03-02\"".to_string(),
        "schema_version: \"1.0\"".to_string(),
        format!("task_name: \"Task {short}\""),
        format!("stage: \"{stage}\""),
        format!("priority: {}", if later { "P2" } else { "null" }),
        format!("effort_estimate: {}", if later { "M" } else { "null" }),
        "tags: []".to_string(),
        "current_dri: \"@ana\"".to_string(),
        "status: \"active\"".to_string(),
        "blocked_by: null".to_string(),
        "paused_reason: null".to_string(),
        "depends_on: []".to_string(),
        "blocks: []".to_string(),
        "related_to: []".to_string(),
        "split_from: null".to_string(),
        "split_into: []".to_string(),
    ];
    // Each override is a `key: value` line plus any indented or `- ` lines under it, so
    // block-style lists override as a whole.
    let mut overrides: Vec<String> = Vec::new();
    for line in fields.lines().filter(|l| !l.trim().is_empty()) {
        let continues = line.starts_with(' ') || line.starts_with('-');
        match overrides.last_mut() {
            Some(previous) if continues => {
                previous.push('\n');
                previous.push_str(line);
            }
            _ => overrides.push(line.to_string()),
        }
    }
    let key_of = |line: &str| line.split(':').next().unwrap_or("").trim().to_string();
    let mut lines: Vec<String> = defaults
        .iter()
        .map(|default| {
            overrides
                .iter()
                .find(|line| key_of(line) == key_of(default))
                .map_or_else(|| default.clone(), Clone::clone)
        })
        .collect();
    for line in &overrides {
        if !defaults
            .iter()
            .any(|default| key_of(default) == key_of(line))
        {
            lines.push(line.clone());
        }
    }
    let frontmatter = lines.join("\n");
    format!(
        "//- /{folder}/{short}-{slug}.task.md\n---\n{frontmatter}\n---\n\n## Goal\n\nDo the thing.\n\n## Inputs Required\n\n- none\n\n## Implementation Details\n\nSteps.\n\n## Expected Outputs\n\nA result.\n\n## Acceptance Criteria\n\n- [ ] it works\n\
         //- /{folder}/{short}.context.md\n# Context\n\nBackground.\n\
         //- /{folder}/{short}.ledger.jsonl\n{{\"ts\":\"2026-03-02T09:00:00Z\",\"user\":\"@ana\",\"event\":\"created\",\"desc\":\"Created\"}}\n"
    )
}

/// An ID counter that is ahead of any fixture's IDs.
pub const COUNTER: &str = "//- /ID_COUNTER.txt\n9000\n";

/// Diagnostics of `rule` in `fixture`, one line each: where, severity, the exact text the
/// range covers, the message; related locations indented below.
pub fn check_rule(fixture: &str, rule: Rule) -> String {
    let workspace = workspace(fixture);
    let diagnostics = workspace_diagnostics(&workspace, &Config::default());
    render(&workspace, diagnostics.iter().filter(|d| d.rule == rule))
}

pub fn render<'a>(
    workspace: &Workspace,
    diagnostics: impl Iterator<Item = &'a Diagnostic>,
) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let file = workspace.file(diagnostic.file);
        let at = file.line_index().line_col(
            &file.text,
            diagnostic.range.start as usize,
            PositionEncoding::Utf16,
        );
        out.push_str(&format!(
            "{}:{}:{} {} `{}` {}\n",
            file.rel,
            at.line + 1,
            at.col + 1,
            diagnostic.severity,
            diagnostic.range.slice(&file.text),
            diagnostic.message
        ));
        for related in &diagnostic.related {
            let other = workspace.file(related.file);
            out.push_str(&format!(
                "  -> {} `{}` {}\n",
                other.rel,
                related.range.slice(&other.text),
                related.message
            ));
        }
    }
    out
}

/// A fixture holding one `$0` cursor: the workspace built without the marker, the file the
/// marker sits in, and the marker's byte offset in that file's text.
pub fn workspace_at(fixture: &str) -> (Workspace, FileId, usize) {
    let marker = fixture.find("$0").expect("fixture has a `$0` cursor");
    let header = fixture[..marker]
        .rfind("//- /")
        .expect("the cursor sits inside a file");
    let text_start = header + fixture[header..].find('\n').map_or(0, |at| at + 1);
    let rel = fixture[header + "//- /".len()..text_start].trim_end();
    let workspace = workspace(&fixture.replacen("$0", "", 1));
    let file = workspace
        .file_by_path(&PathBuf::from(ROOT).join(rel))
        .unwrap_or_else(|| panic!("{rel} is not a file the model holds"));
    (workspace, file, marker - text_start)
}

/// The workspace once `change` is written, as the transaction writes it: edits made, lines
/// appended, new files created, files and folders moved (in order), and the model built
/// afresh from the result. The one way every test of a fix, a transition or a rename sees
/// what it wrote.
pub fn written(before: &Workspace, change: &SourceChange) -> Workspace {
    let root = &before.roots[0];
    let relative = |path: &Path| {
        path.strip_prefix(&root.path)
            .expect("a change stays below the tasks root")
            .to_string_lossy()
            .replace('\\', "/")
    };
    let mut files: Vec<FileInput> = Vec::new();
    for (index, file) in before.files.iter().enumerate() {
        if file.exists {
            let text = change.new_text(FileId(index as u32), &file.text);
            let rel = relative(&change.moved_path(&file.path));
            files.push(FileInput::new(rel, text.into_bytes()));
        }
    }
    for part in &change.changes {
        if let FileChange::Create { path, text } = part {
            let rel = relative(path);
            assert!(
                files.iter().all(|file| file.rel != rel),
                "{rel} already exists"
            );
            files.push(FileInput::new(rel, text.clone().into_bytes()));
        }
    }
    // Every folder the loader would list: the ones there were (moved along), and the
    // parents of every file and folder.
    let mut dirs = Vec::new();
    for dir in &root.dirs {
        let moved = relative(&change.moved_path(&root.path.join(dir)));
        add_dirs(&mut dirs, &format!("{moved}/x"));
    }
    for file in &files {
        add_dirs(&mut dirs, &file.rel);
    }
    dirs.sort();
    dirs.dedup();
    Workspace::build(vec![RootInput {
        path: root.path.clone(),
        dirs,
        files,
        problems: Vec::new(),
    }])
}
