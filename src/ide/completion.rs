//! Completion: task references wherever one may stand (frontmatter lists and scalars, body
//! text, ledger strings, INDEX.md Dependencies cells), frontmatter enum values, DRIs, tags,
//! missing keys, ledger event names and a whole-line ledger event snippet.
//!
//! The buffer being typed in is usually not valid YAML or JSON (`depends_on: [TASK-00` has no
//! closing bracket yet), so the context is read from the text around the cursor with small
//! lenient scanners, never from the parsed frontmatter of the file being edited. The rest of
//! the workspace (candidates, names, the dependency graph) comes from the model.
//!
//! Everything here is byte offsets and plain types; the LSP layer turns a [`CompletionList`]
//! into protocol items.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet, VecDeque};

use crate::base::{TextRange, floor_char_boundary};
use crate::db::events::EVENTS;
use crate::db::layout::namespace_of_dir;
use crate::db::mentions::MentionKind;
use crate::db::task_order::TaskRun;
use crate::db::vocab::{
    BLOCKED_BY_PREFIXES, EFFORTS, KNOWN_FIELDS, PRIORITIES, REF_LIST_FIELDS, REQUIRED_FIELDS,
    SCHEMA_VERSIONS, Stage, Status,
};
use crate::db::{FileId, FileRole, Parsed, SourceFile, Task, TaskIdx, Workspace};
use crate::syntax::index_table::{Cell, Column};
use crate::syntax::ledger::format_rfc3339;
use crate::syntax::task_id::{TaskId, is_namespace, parse_task_ref};
use crate::syntax::yaml::YamlValue;

/// Characters after which an editor should ask for completions, so that every context below
/// is offered while typing: `TASK-`, an opening quote, `key:`, `[`, `,` and a space.
pub const TRIGGER_CHARACTERS: [&str; 6] = ["-", "\"", ":", "[", ",", " "];

/// How many task candidates a request returns at most, unless configured otherwise.
pub const DEFAULT_LIMIT: usize = 100;

#[derive(Clone, Debug)]
pub struct CompletionConfig {
    /// The configured user (`flowos.user`), for the ledger line snippet.
    pub user: Option<String>,
    /// Now, in seconds since the Unix epoch, for the ledger line snippet's `ts`.
    pub now: i64,
    /// The most task candidates to return; more makes the list incomplete.
    pub limit: usize,
}

impl Default for CompletionConfig {
    fn default() -> Self {
        CompletionConfig {
            user: None,
            now: 0,
            limit: DEFAULT_LIMIT,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionList {
    pub items: Vec<CompletionItem>,
    /// True when candidates were left out because of the limit: the client must ask again as
    /// the user types, rather than filter this list.
    pub is_incomplete: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    Task,
    Value,
    /// A frontmatter key.
    Keyword,
    Event,
    Snippet,
    User,
    Tag,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: Option<String>,
    /// Markdown.
    pub documentation: Option<String>,
    pub filter_text: Option<String>,
    /// Ranking; clients sort items by this, lexicographically.
    pub sort_text: String,
    /// Replace this byte range with this text.
    pub edit: (TextRange, String),
    /// The edit text uses `$1` / `${1:…}` placeholders.
    pub is_snippet: bool,
    pub deprecated: bool,
}

/// Completions at byte `offset` of `file`, or None when nothing applies there (outside a
/// tasks root, in plain prose, on a fence line…).
pub fn completion(
    workspace: &Workspace,
    file: FileId,
    offset: usize,
    config: &CompletionConfig,
) -> Option<CompletionList> {
    let source = workspace.files.get(file.0 as usize)?;
    let text: &str = &source.text;
    if offset > text.len() || source.root >= workspace.roots.len() {
        return None;
    }
    let cx = Cx {
        workspace,
        source,
        text,
        offset: floor_char_boundary(text, offset),
        root: source.root,
        own: workspace.task_idx_of_file(file),
        config,
    };
    match source.role {
        FileRole::Card => card_completion(&cx),
        FileRole::Context | FileRole::Learning => body_completion(&cx),
        FileRole::Ledger => ledger_completion(&cx),
        FileRole::StageIndex(_) | FileRole::RootIndex | FileRole::NamespaceIndex => {
            index_completion(&cx, file)
        }
        _ => None,
    }
}

/// What every context needs: where the cursor is and whose file it is.
struct Cx<'a> {
    workspace: &'a Workspace,
    source: &'a SourceFile,
    text: &'a str,
    offset: usize,
    root: usize,
    /// The task whose package holds the file.
    own: Option<TaskIdx>,
    config: &'a CompletionConfig,
}

impl Cx<'_> {
    fn own_task(&self) -> Option<&Task> {
        self.own.map(|idx| self.workspace.task(idx))
    }

    fn own_namespace(&self) -> Option<String> {
        self.own_task()
            .and_then(Task::namespace)
            .map(str::to_string)
    }
}

// ---------------------------------------------------------------------------------------------
// Lines and tokens

/// The line holding `offset`: its start and its end before `\r\n` / `\n`.
fn line_bounds(text: &str, offset: usize) -> (usize, usize) {
    let start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
    let mut end = text[offset..]
        .find('\n')
        .map_or(text.len(), |at| offset + at);
    if end > start && text.as_bytes()[end - 1] == b'\r' && end > offset {
        end -= 1;
    }
    (start, end)
}

fn is_ref_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The run of `[A-Za-z0-9_-]` around `offset`, bounded by `lo..hi`.
fn word_around(text: &str, offset: usize, lo: usize, hi: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let mut start = offset;
    while start > lo && is_ref_byte(bytes[start - 1]) {
        start -= 1;
    }
    let mut end = offset;
    while end < hi && is_ref_byte(bytes[end]) {
        end += 1;
    }
    (start, end)
}

/// One value being typed: the range a completion replaces and the quote around it.
#[derive(Clone, Copy, Debug)]
struct Token {
    /// The value's text, inside its quotes when it has them.
    range: TextRange,
    /// The quote the user opened the value with.
    opened: Option<char>,
    /// Whether that quote is already closed after the value.
    closed: bool,
}

impl Token {
    fn start(self) -> usize {
        self.range.start as usize
    }

    /// The closing quote a completion must add (the user opened one and it is still open).
    fn closing(self) -> String {
        match (self.opened, self.closed) {
            (Some(quote), false) => quote.to_string(),
            _ => String::new(),
        }
    }
}

/// The value written in `seg` (a YAML scalar or list item, comment already cut off), when the
/// cursor is on it or in the blank where one goes.
fn token_in(text: &str, seg: (usize, usize), offset: usize) -> Option<Token> {
    let raw = &text[seg.0..seg.1];
    let start = seg.0 + (raw.len() - raw.trim_start().len());
    let end = seg.0 + raw.trim_end().len();
    if start >= end {
        return Some(Token {
            range: TextRange::empty(offset),
            opened: None,
            closed: false,
        });
    }
    if offset < start {
        return None;
    }
    let first = text.as_bytes()[start];
    if first == b'"' || first == b'\'' {
        let inner = start + 1;
        let closing = find_closing_quote(text, inner, end, first);
        let inner_end = closing.unwrap_or(end);
        if offset < inner || offset > inner_end {
            return None;
        }
        return Some(Token {
            range: TextRange::new(inner, inner_end),
            opened: Some(first as char),
            closed: closing.is_some(),
        });
    }
    (offset <= end).then_some(Token {
        range: TextRange::new(start, end),
        opened: None,
        closed: false,
    })
}

/// Where the quote opened just before `from` closes, within `from..to`.
fn find_closing_quote(text: &str, from: usize, to: usize, quote: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = from;
    while at < to {
        match bytes[at] {
            b'\\' if quote == b'"' => at += 2,
            b'\'' if quote == b'\'' && bytes.get(at + 1) == Some(&b'\'') && at + 1 < to => at += 2,
            b if b == quote => return Some(at),
            _ => at += 1,
        }
    }
    None
}

/// The end of a YAML value on one line, before a ` #` comment outside quotes.
fn before_comment(text: &str, from: usize, to: usize) -> usize {
    let bytes = text.as_bytes();
    let mut quote = None;
    let mut at = from;
    while at < to {
        let b = bytes[at];
        match quote {
            Some(q) => {
                if b == b'\\' && q == b'"' {
                    at += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'#'
                && (at == from || bytes[at - 1] == b' ' || bytes[at - 1] == b'\t') =>
            {
                return at;
            }
            None => {}
        }
        at += 1;
    }
    to
}

/// The text of a written item without its quotes.
fn unquoted(item: &str) -> &str {
    let item = item.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = item.strip_prefix(quote) {
            return inner.strip_suffix(quote).unwrap_or(inner);
        }
    }
    item
}

fn quote_of(item: &str) -> Option<char> {
    item.trim_start()
        .chars()
        .next()
        .filter(|c| *c == '"' || *c == '\'')
}

/// A space to insert before a value typed right after its `:` or `-`.
fn spacing_before(text: &str, at: usize) -> &'static str {
    match text[..at].bytes().last() {
        Some(b':' | b'-' | b',') => " ",
        _ => "",
    }
}

// ---------------------------------------------------------------------------------------------
// Cards: frontmatter and body

/// The frontmatter's content range and whether its closing fence exists.
fn frontmatter_bounds(text: &str) -> Option<(usize, usize, bool)> {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let first_end = text[start..]
        .find('\n')
        .map_or(text.len(), |at| start + at + 1);
    if text[start..first_end].trim_end() != "---" {
        return None;
    }
    let mut at = first_end;
    while at < text.len() {
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
        if matches!(text[at..end].trim_end(), "---" | "...") {
            return Some((first_end, at, true));
        }
        at = end;
    }
    Some((first_end, text.len(), false))
}

fn card_completion(cx: &Cx) -> Option<CompletionList> {
    match frontmatter_bounds(cx.text) {
        Some((start, end, closed)) if cx.offset >= start && (cx.offset < end || !closed) => {
            frontmatter_completion(cx, start, end)
        }
        Some((_, end, true)) if cx.offset >= end => {
            // Not on the closing fence itself.
            let (line_start, _) = line_bounds(cx.text, cx.offset);
            (line_start > end).then(|| body_completion(cx)).flatten()
        }
        Some(_) => None,
        None => body_completion(cx),
    }
}

/// A top-level `key:` line: the key and the offset just after its colon.
fn key_line(text: &str, line: (usize, usize)) -> Option<(&str, usize)> {
    let content = &text[line.0..line.1];
    let key_len = content
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    if key_len == 0 {
        return None;
    }
    let rest = &content[key_len..];
    let colon = key_len + (rest.len() - rest.trim_start_matches([' ', '\t']).len());
    if content.as_bytes().get(colon) != Some(&b':') {
        return None;
    }
    match content.as_bytes().get(colon + 1) {
        None | Some(b' ' | b'\t') => Some((&content[..key_len], line.0 + colon + 1)),
        _ => None,
    }
}

/// Every line of `start..end` as (start, end-before-newline).
fn lines_of(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut lines = Vec::new();
    let mut at = start;
    while at < end {
        let next = text[at..end].find('\n').map_or(end, |i| at + i + 1);
        let content_end = text[at..next].trim_end_matches(['\n', '\r']).len() + at;
        lines.push((at, content_end));
        at = next;
    }
    lines
}

fn frontmatter_completion(cx: &Cx, fm_start: usize, fm_end: usize) -> Option<CompletionList> {
    let text = cx.text;
    let lines = lines_of(text, fm_start, fm_end);
    let cursor_line = line_bounds(text, cx.offset);
    let here = lines
        .iter()
        .position(|line| line.0 == cursor_line.0)
        .unwrap_or(lines.len());
    // The key that owns the cursor's line: on it, or the nearest one above.
    let owner = lines[..(here + 1).min(lines.len())]
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, &line)| key_line(text, line).map(|(key, after)| (i, key, after)));
    if let Some((i, key, after_colon)) = owner {
        let on_key_line = i == here;
        if on_key_line && cx.offset < after_colon {
            // Editing the key's own name.
            return None;
        }
        let value_start = after_colon + {
            let rest = &text[after_colon..lines[i].1];
            rest.len() - rest.trim_start().len()
        };
        if text[value_start..].starts_with('[') {
            let flow = scan_flow(text, value_start, fm_end);
            if cx.offset > value_start && cx.offset <= flow.end {
                return flow_list_completion(cx, key, &flow);
            }
        } else if on_key_line {
            let end = before_comment(text, after_colon, lines[i].1);
            return scalar_completion(cx, key, (after_colon, end));
        } else if text[value_start..lines[i].1].trim().is_empty()
            || text[value_start..].starts_with('#')
        {
            let line_text = &text[cursor_line.0..cursor_line.1];
            if line_text.trim_start().starts_with('-') {
                return block_list_completion(cx, key, &lines[i + 1..]);
            }
        }
    }
    let line_text = &text[cursor_line.0..cursor_line.1];
    let typing_key = line_text.trim().is_empty()
        || line_text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    typing_key.then(|| missing_keys(cx, &lines, cursor_line))
}

/// A flow list `[a, "b", …]` read leniently: its item segments and where it ends.
struct Flow {
    /// Each item's raw text between `[`, `,` and `]`, blanks included.
    segments: Vec<(usize, usize)>,
    /// The closing `]`, or where an unclosed list stops (before the next top-level line).
    end: usize,
}

fn scan_flow(text: &str, open: usize, limit: usize) -> Flow {
    let bytes = text.as_bytes();
    let mut segments = Vec::new();
    let mut seg_start = open + 1;
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut at = open + 1;
    while at < limit {
        let b = bytes[at];
        if let Some(q) = quote {
            if b == b'\\' && q == b'"' {
                at += 1;
            } else if b == q {
                quote = None;
            }
            at += 1;
            continue;
        }
        match b {
            // A quote that does not close on its line is one being typed: the `]` after it
            // (often auto-inserted) still ends the list.
            b'"' | b'\'' => {
                let line_end = text[at..limit].find('\n').map_or(limit, |i| at + i);
                if find_closing_quote(text, at + 1, line_end, b).is_some() {
                    quote = Some(b);
                }
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' if depth > 0 => depth -= 1,
            b']' => {
                segments.push((seg_start, at));
                return Flow { segments, end: at };
            }
            b',' if depth == 0 => {
                segments.push((seg_start, at));
                seg_start = at + 1;
            }
            b'#' if bytes[at - 1] == b' ' || bytes[at - 1] == b'\t' => {
                // A comment runs to the line's end: a `,` or `]` in it is no delimiter, and
                // one before an item is no part of it.
                at = text[at..limit].find('\n').map_or(limit, |i| at + i);
                if text[seg_start..at].trim_start().starts_with('#') {
                    seg_start = at;
                }
                continue;
            }
            b'\n' => {
                let next = bytes.get(at + 1).copied();
                if !matches!(next, Some(b' ' | b'\t' | b']' | b'\r' | b'\n') | None) {
                    let end = if at > 0 && bytes[at - 1] == b'\r' {
                        at - 1
                    } else {
                        at
                    };
                    segments.push((seg_start, end));
                    return Flow { segments, end };
                }
            }
            _ => {}
        }
        at += 1;
    }
    segments.push((seg_start, limit));
    Flow {
        segments,
        end: limit,
    }
}

/// A list being completed: what is already in it, how it quotes, and the item being typed.
struct ListSite {
    token: Token,
    /// The other items, as written.
    others: Vec<String>,
    /// The quote the other items use, when they use one.
    style: Option<char>,
}

impl ListSite {
    fn new(token: Token, others: Vec<String>) -> ListSite {
        let style = others.iter().find_map(|item| quote_of(item));
        ListSite {
            token,
            others,
            style,
        }
    }

    /// The text before and after a value so it fits the list: the user's open quote closed,
    /// else the other items' quotes (or double quotes when `force_quote`), and a space after
    /// a `-`, `,` or `:` typed right before.
    fn affixes(&self, text: &str, force_quote: bool) -> (String, String) {
        if self.token.opened.is_some() {
            return (String::new(), self.token.closing());
        }
        let space = if self.token.range.is_empty() {
            spacing_before(text, self.token.start())
        } else {
            ""
        };
        match self.style.or(force_quote.then_some('"')) {
            Some(quote) => (format!("{space}{quote}"), quote.to_string()),
            None => (space.to_string(), String::new()),
        }
    }

    fn wrap(&self, text: &str, value: &str, force_quote: bool) -> String {
        let (before, after) = self.affixes(text, force_quote);
        format!("{before}{value}{after}")
    }
}

fn flow_list_completion(cx: &Cx, key: &str, flow: &Flow) -> Option<CompletionList> {
    let current = flow
        .segments
        .iter()
        .position(|&(start, end)| start <= cx.offset && cx.offset <= end)?;
    let token = token_in(cx.text, flow.segments[current], cx.offset)?;
    let others = flow
        .segments
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != current)
        .map(|(_, &(start, end))| cx.text[start..end].trim().to_string())
        .filter(|item| !item.is_empty())
        .collect();
    list_completion(cx, key, ListSite::new(token, others))
}

/// `- item` lines under a key; `below` are the frontmatter lines after the key's line.
fn block_list_completion(cx: &Cx, key: &str, below: &[(usize, usize)]) -> Option<CompletionList> {
    let text = cx.text;
    let mut others = Vec::new();
    let mut token = None;
    for &(start, end) in below {
        if key_line(text, (start, end)).is_some() {
            break;
        }
        let content = &text[start..end];
        let Some(item) = content.trim_start().strip_prefix('-') else {
            continue;
        };
        let item_start = end - item.len();
        let item_end = before_comment(text, item_start, end);
        if start <= cx.offset && cx.offset <= end {
            token = Some(token_in(text, (item_start, item_end), cx.offset)?);
        } else if !text[item_start..item_end].trim().is_empty() {
            others.push(text[item_start..item_end].trim().to_string());
        }
    }
    list_completion(cx, key, ListSite::new(token?, others))
}

fn list_completion(cx: &Cx, key: &str, site: ListSite) -> Option<CompletionList> {
    let namespace = cx.own_namespace();
    if REF_LIST_FIELDS.contains(&key) {
        let listed = site
            .others
            .iter()
            .filter_map(|item| parse_task_ref(unquoted(item)))
            .map(|(id, _)| id.resolved_in(namespace.as_deref()))
            .collect();
        let relation = match key {
            "depends_on" => Relation::DependsOn,
            "blocks" => Relation::Blocks,
            _ => Relation::Other,
        };
        let (before, after) = site.affixes(cx.text, false);
        return task_completion(
            cx,
            RefSite {
                token: site.token,
                before,
                after,
                listed,
                own: cx.own,
                namespace,
                relation,
            },
        );
    }
    match key {
        "tags" => {
            let listed: HashSet<&str> = site.others.iter().map(|item| unquoted(item)).collect();
            let items = seen_tags(cx.workspace, cx.root)
                .into_iter()
                .filter(|(tag, _)| !listed.contains(tag.as_str()))
                .enumerate()
                .map(|(rank, (tag, count))| {
                    let new_text = site.wrap(cx.text, &tag, needs_quotes(&tag));
                    let mut item = simple_item(tag, CompletionKind::Tag, site.token, new_text);
                    item.detail = Some(tasks_count(count));
                    item.sort_text = format!("{rank:04}");
                    item
                })
                .collect();
            Some(complete(items))
        }
        "previous_dris" => {
            let listed: HashSet<&str> = site.others.iter().map(|item| unquoted(item)).collect();
            // `@` cannot start a plain YAML scalar, so DRIs are always quoted.
            dri_items(cx, site.token, &listed, |dri| site.wrap(cx.text, dri, true))
        }
        _ => None,
    }
}

/// Fields whose value is a list.
fn is_list_field(key: &str) -> bool {
    REF_LIST_FIELDS.contains(&key) || matches!(key, "tags" | "previous_dris")
}

/// Whether a tag must be quoted to stay a plain YAML string.
fn needs_quotes(value: &str) -> bool {
    value.is_empty()
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/'))
        || value.starts_with('-')
}

/// Completion of a value written on the key's own line (`stage: |`).
fn scalar_completion(cx: &Cx, key: &str, seg: (usize, usize)) -> Option<CompletionList> {
    let token = token_in(cx.text, seg, cx.offset)?;
    let quoted_default = |value: &str| match token.opened {
        Some(_) => format!("{value}{}", token.closing()),
        None => format!("{}\"{value}\"", spacing(cx, token)),
    };
    let bare = |value: &str| match token.opened {
        Some(_) => format!("{value}{}", token.closing()),
        None => format!("{}{value}", spacing(cx, token)),
    };
    let folder_stage = cx.own_task().map(|task| task.stage);
    match key {
        "stage" => {
            // The folder's stage first: `stage` must agree with it.
            let mut stages: Vec<Stage> = Stage::ALL.to_vec();
            stages.sort_by_key(|stage| Some(*stage) != folder_stage);
            let values = stages
                .into_iter()
                .map(|stage| {
                    let detail = if Some(stage) == folder_stage {
                        "the stage folder this task sits in".to_string()
                    } else {
                        format!("stage {} of 7", stage as usize + 1)
                    };
                    (stage.name(), detail)
                })
                .collect();
            enum_items(token, values, quoted_default)
        }
        "status" => {
            let values = Status::ALL
                .into_iter()
                .map(|status| (status.name(), status_meaning(status).to_string()))
                .collect();
            enum_items(token, values, quoted_default)
        }
        "priority" => {
            let mut values: Vec<(&str, String)> = PRIORITIES
                .into_iter()
                .map(|p| (p, priority_meaning(p).to_string()))
                .collect();
            values.push(("null", "not prioritized yet".to_string()));
            enum_items(token, values, bare)
        }
        "effort_estimate" => {
            let mut values: Vec<(&str, String)> = EFFORTS
                .into_iter()
                .map(|effort| {
                    let kind = if effort.as_bytes()[0].is_ascii_digit() {
                        "story points"
                    } else {
                        "T-shirt size"
                    };
                    (effort, kind.to_string())
                })
                .collect();
            values.push(("null", "not estimated yet".to_string()));
            enum_items(token, values, bare)
        }
        "schema_version" => {
            let values = SCHEMA_VERSIONS
                .into_iter()
                .map(|version| (version, "the card schema version".to_string()))
                .collect();
            enum_items(token, values, quoted_default)
        }
        "blocked_by" => blocked_by_completion(cx, token),
        "split_from" => task_completion(
            cx,
            RefSite {
                token,
                before: if token.opened.is_some() {
                    String::new()
                } else {
                    spacing(cx, token).to_string()
                },
                after: token.closing(),
                listed: HashSet::new(),
                own: cx.own,
                namespace: cx.own_namespace(),
                relation: Relation::Other,
            },
        ),
        "current_dri" | "created_by" => {
            dri_items(cx, token, &HashSet::new(), |dri| quoted_default(dri))
        }
        key if is_list_field(key) && token.opened.is_none() => {
            // `depends_on: TASK-00|` is not a list yet: complete the item and make it one.
            let mut list = list_completion(cx, key, ListSite::new(token, Vec::new()))?;
            for item in &mut list.items {
                let new_text = &item.edit.1;
                let value = new_text.trim_start();
                let space = &new_text[..new_text.len() - value.len()];
                item.edit.1 = format!("{space}[{value}]");
            }
            Some(list)
        }
        _ => None,
    }
}

/// A space when the value goes right after the colon.
fn spacing(cx: &Cx, token: Token) -> &'static str {
    if token.range.is_empty() {
        spacing_before(cx.text, token.start())
    } else {
        ""
    }
}

fn status_meaning(status: Status) -> &'static str {
    match status {
        Status::Active => "being worked on, or waiting its turn in its stage",
        Status::Blocked => "waiting on something; say what in `blocked_by`",
        Status::Paused => "set aside for now; say why in `paused_reason`",
        Status::Canceled => "will not be done; belongs in archived",
        Status::Split => "split into smaller tasks (split parents only)",
    }
}

fn priority_meaning(priority: &str) -> &'static str {
    match priority {
        "P0" => "critical: may fast-track into current",
        "P1" => "high",
        "P2" => "medium",
        "P3" => "low",
        _ => "lowest",
    }
}

/// Items for a fixed set of values, in the given order. `null` is offered only outside
/// quotes (a quoted `"null"` is a string).
fn enum_items(
    token: Token,
    values: Vec<(&str, String)>,
    new_text: impl Fn(&str) -> String,
) -> Option<CompletionList> {
    let items = values
        .into_iter()
        .filter(|(value, _)| !(*value == "null" && token.opened.is_some()))
        .enumerate()
        .map(|(rank, (value, detail))| {
            let mut item = simple_item(value.to_string(), CompletionKind::Value, token, {
                if value == "null" {
                    value.to_string()
                } else {
                    new_text(value)
                }
            });
            item.detail = Some(detail);
            item.sort_text = format!("{rank:04}");
            item
        })
        .collect();
    Some(complete(items))
}

/// `blocked_by: "task:TASK-00|"` completes the task; before any `:`, the kinds of blocker.
fn blocked_by_completion(cx: &Cx, token: Token) -> Option<CompletionList> {
    let text = cx.text;
    let typed = &text[token.start()..cx.offset];
    if let Some(colon) = typed.find(':') {
        if typed[..colon].trim() != "task" {
            return None;
        }
        let after = token.start() + colon + 1;
        let ref_start =
            after + (text[after..cx.offset].len() - text[after..cx.offset].trim_start().len());
        let mut ref_end = cx.offset;
        while ref_end < token.range.end as usize && is_ref_byte(text.as_bytes()[ref_end]) {
            ref_end += 1;
        }
        let ref_token = Token {
            range: TextRange::new(ref_start, ref_end),
            ..token
        };
        let after_ref = &text[ref_end..token.range.end as usize];
        return task_completion(
            cx,
            RefSite {
                token: ref_token,
                before: String::new(),
                // Close the user's quote only when nothing (such as ` (canceled)`) follows.
                after: if after_ref.trim().is_empty() {
                    token.closing()
                } else {
                    String::new()
                },
                listed: HashSet::new(),
                own: cx.own,
                namespace: cx.own_namespace(),
                relation: Relation::Other,
            },
        );
    }
    let items = BLOCKED_BY_PREFIXES
        .into_iter()
        .chain(["null"])
        .filter(|prefix| !(*prefix == "null" && token.opened.is_some()))
        .enumerate()
        .map(|(rank, prefix)| {
            let (new_text, is_snippet) = match (prefix, token.opened) {
                ("null", _) => (format!("{}null", spacing(cx, token)), false),
                (_, Some(quote)) if !token.closed => (format!("{prefix}$1{quote}"), true),
                (_, Some(_)) => (prefix.to_string(), false),
                (_, None) => (format!("{}\"{prefix}$1\"", spacing(cx, token)), true),
            };
            let detail = match prefix {
                "task:" => "blocked by another task: task:TASK-0042",
                "external:" => "blocked by something outside the team",
                "decision:" => "waiting for a decision",
                "info:" => "waiting for information",
                _ => "not blocked",
            };
            let mut item = simple_item(prefix.to_string(), CompletionKind::Value, token, new_text);
            item.is_snippet = is_snippet;
            item.detail = Some(detail.to_string());
            item.sort_text = format!("{rank:04}");
            item
        })
        .collect();
    Some(complete(items))
}

/// [`KNOWN_FIELDS`] lists the methodology template's fields first, then the workflows'
/// extension fields.
const TEMPLATE_FIELDS: usize = 18;

/// Keys of the schema not yet in the frontmatter, required ones first.
fn missing_keys(cx: &Cx, lines: &[(usize, usize)], cursor_line: (usize, usize)) -> CompletionList {
    let present: HashSet<&str> = lines
        .iter()
        .filter(|line| line.0 != cursor_line.0)
        .filter_map(|&line| key_line(cx.text, line).map(|(key, _)| key))
        .collect();
    let range = TextRange::new(cursor_line.0, cursor_line.1);
    let token = Token {
        range,
        opened: None,
        closed: false,
    };
    let mut keys: Vec<&str> = KNOWN_FIELDS
        .into_iter()
        .filter(|key| !present.contains(key))
        .collect();
    keys.sort_by_key(|key| !REQUIRED_FIELDS.contains(key));
    let items = keys
        .into_iter()
        .enumerate()
        .map(|(rank, key)| {
            let is_list = is_list_field(key);
            let new_text = if is_list {
                format!("{key}: [$1]")
            } else {
                format!("{key}: ")
            };
            let detail = if REQUIRED_FIELDS.contains(&key) {
                "required field"
            } else if KNOWN_FIELDS[..TEMPLATE_FIELDS].contains(&key) {
                "schema field"
            } else {
                "workflow extension field"
            };
            let mut item = simple_item(key.to_string(), CompletionKind::Keyword, token, new_text);
            item.is_snippet = is_list;
            item.detail = Some(detail.to_string());
            item.sort_text = format!("{rank:04}");
            item
        })
        .collect();
    complete(items)
}

/// Task references typed in markdown: the word at the cursor must start with `TASK-`.
fn body_completion(cx: &Cx) -> Option<CompletionList> {
    let (line_start, line_end) = line_bounds(cx.text, cx.offset);
    let (start, end) = word_around(cx.text, cx.offset, line_start, line_end);
    if !cx.text[start..cx.offset].starts_with("TASK-") {
        return None;
    }
    task_completion(cx, RefSite::word(cx, TextRange::new(start, end)))
}

// ---------------------------------------------------------------------------------------------
// Ledgers

/// A JSON string under the cursor on one ledger line.
struct JsonString {
    /// The string's content range (after its opening quote, up to its closing quote or the
    /// line's end).
    content: TextRange,
    closed: bool,
    is_key: bool,
    /// The key this string is the value of, at the top level of the event.
    key: Option<String>,
}

/// Reads a ledger line up to the cursor leniently (the line is usually incomplete JSON).
fn json_string_at(text: &str, line: (usize, usize), offset: usize) -> Option<JsonString> {
    let bytes = &text.as_bytes()[line.0..line.1];
    // Per open container: whether it is an object, and its last key.
    let mut stack: Vec<(bool, Option<String>)> = Vec::new();
    let mut expect_key = false;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'{' => {
                stack.push((true, None));
                expect_key = true;
            }
            b'[' => {
                stack.push((false, None));
                expect_key = false;
            }
            b'}' | b']' => {
                stack.pop();
                expect_key = false;
            }
            b',' => expect_key = stack.last().is_some_and(|(object, _)| *object),
            b':' => expect_key = false,
            b'"' => {
                let start = at + 1;
                let mut end = start;
                let mut closed = false;
                while end < bytes.len() {
                    match bytes[end] {
                        b'\\' => end += 2,
                        b'"' => {
                            closed = true;
                            break;
                        }
                        _ => end += 1,
                    }
                }
                let end = end.min(bytes.len());
                let is_key = expect_key && stack.last().is_some_and(|(object, _)| *object);
                if line.0 + start <= offset && offset <= line.0 + end {
                    let key = match stack.as_slice() {
                        [(true, key)] if !is_key => key.clone(),
                        _ => None,
                    };
                    return Some(JsonString {
                        content: TextRange::new(line.0 + start, line.0 + end),
                        closed,
                        is_key,
                        key,
                    });
                }
                if is_key && let Some(top) = stack.last_mut() {
                    top.1 = Some(String::from_utf8_lossy(&bytes[start..end]).into_owned());
                }
                expect_key = false;
                at = end + 1;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    None
}

fn ledger_completion(cx: &Cx) -> Option<CompletionList> {
    let text = cx.text;
    let line = line_bounds(text, cx.offset);
    let line_text = &text[line.0..line.1];
    if line_text.trim().is_empty() {
        return text[line.1..]
            .trim()
            .is_empty()
            .then(|| event_line_snippet(cx, line));
    }
    let string = json_string_at(text, line, cx.offset)?;
    if string.is_key {
        return None;
    }
    // The value's whole text, for an edit that replaces it and keeps (or adds) the quote.
    let value_token = || {
        let end = if string.closed {
            string.content.end as usize
        } else {
            word_around(text, cx.offset, line.0, line.1).1
        };
        Token {
            range: TextRange::new(string.content.start as usize, end),
            opened: Some('"'),
            closed: string.closed,
        }
    };
    match string.key.as_deref() {
        Some("event") => {
            let token = value_token();
            let items = EVENTS
                .iter()
                .enumerate()
                .map(|(rank, (event, meaning))| {
                    let new_text = format!("{event}{}", token.closing());
                    let mut item =
                        simple_item(event.to_string(), CompletionKind::Event, token, new_text);
                    item.detail = Some(meaning.to_string());
                    item.sort_text = format!("{rank:04}");
                    item
                })
                .collect();
            Some(complete(items))
        }
        Some("user") => {
            let token = value_token();
            dri_items(cx, token, &HashSet::new(), |dri| {
                format!("{}{}", json_escape(dri), token.closing())
            })
        }
        Some("ts") => {
            let token = value_token();
            let now = format_rfc3339(cx.config.now);
            let new_text = format!("{now}{}", token.closing());
            let mut item = simple_item(now, CompletionKind::Value, token, new_text);
            item.detail = Some("now, in UTC".to_string());
            Some(complete(vec![item]))
        }
        _ => {
            // A reference typed inside a string: the word at the cursor starts with `TASK-`,
            // or the string so far is the beginning of `TASK-`.
            let content_start = string.content.start as usize;
            let (start, end) =
                word_around(text, cx.offset, content_start, string.content.end as usize);
            let word = &text[start..cx.offset];
            let starts_ref = word.starts_with("TASK-")
                || (start == content_start && !word.is_empty() && "TASK-".starts_with(word));
            if !starts_ref {
                return None;
            }
            task_completion(cx, RefSite::word(cx, TextRange::new(start, end)))
        }
    }
}

/// A whole event line for an empty last line: now, the user, and tab stops for the event
/// and its description.
fn event_line_snippet(cx: &Cx, line: (usize, usize)) -> CompletionList {
    let ts = format_rfc3339(cx.config.now);
    let user = cx
        .config
        .user
        .clone()
        .or_else(|| cx.own_task().and_then(|task| task.meta.current_dri.clone()));
    let user_text = match &user {
        Some(user) => snippet_escape(&json_escape(user)),
        None => "${3:@user}".to_string(),
    };
    let new_text =
        format!("{{\"ts\":\"{ts}\",\"user\":\"{user_text}\",\"event\":\"$1\",\"desc\":\"$2\"}}");
    let token = Token {
        range: TextRange::new(line.0, line.1),
        opened: None,
        closed: false,
    };
    let mut item = simple_item(
        "event line".to_string(),
        CompletionKind::Snippet,
        token,
        new_text,
    );
    item.is_snippet = true;
    item.detail = Some(format!(
        "{ts} by {}",
        user.as_deref().unwrap_or("(set flowos.user)")
    ));
    item.documentation = Some(
        "Appends an event: `ts` is now in UTC, `user` the configured user or the card's DRI."
            .to_string(),
    );
    complete(vec![item])
}

/// The inside of a JSON string holding `value`.
fn json_escape(value: &str) -> String {
    let quoted = serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_string());
    quoted[1..quoted.len() - 1].to_string()
}

/// Literal text inside a snippet: `$`, `}` and `\` are syntax there.
fn snippet_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        if matches!(ch, '$' | '}' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// INDEX.md

/// The cells of a table line, as raw (untrimmed) ranges, with the same rules as the index
/// parser: optional outer pipes, `\|` is content.
fn table_cells(text: &str, line: (usize, usize)) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let (mut from, mut to) = line;
    while from < to && matches!(bytes[from], b' ' | b'\t') {
        from += 1;
    }
    if from < to && bytes[from] == b'|' {
        from += 1;
    }
    let mut trimmed_to = to;
    while trimmed_to > from && matches!(bytes[trimmed_to - 1], b' ' | b'\t') {
        trimmed_to -= 1;
    }
    if trimmed_to > from && bytes[trimmed_to - 1] == b'|' && bytes[trimmed_to - 2] != b'\\' {
        to = trimmed_to - 1;
    }
    let mut cells = Vec::new();
    let mut start = from;
    for at in from..=to {
        if at == to || (bytes[at] == b'|' && !(at > 0 && bytes[at - 1] == b'\\')) {
            cells.push((start, at));
            start = at + 1;
        }
    }
    cells
}

fn index_completion(cx: &Cx, file: FileId) -> Option<CompletionList> {
    let Parsed::Index(parsed) = &cx.source.parsed else {
        return None;
    };
    let table = parsed.table.as_ref()?;
    let text = cx.text;
    let deps = table.position(Column::Dependencies)?;
    let line = line_bounds(text, cx.offset);
    let header_end = table.header_range.end as usize;
    // The cursor must be on a body row: below the delimiter row, with no gap to the header.
    let between = text.get(header_end..line.0)?;
    let between_lines: Vec<&str> = between.lines().skip(1).collect();
    if between_lines.is_empty() || between_lines.iter().any(|l| !l.contains('|')) {
        return None;
    }
    if !text[line.0..line.1].contains('|') {
        return None;
    }
    let cells = table_cells(text, line);
    let (cell_start, cell_end) = *cells.get(deps)?;
    if !(cell_start <= cx.offset && cx.offset <= cell_end) {
        return None;
    }
    // Brackets and parentheses end a token too: a reference typed as a link's text
    // (`[TASK-00|](…)`) is completed inside the brackets.
    let is_separator =
        |b: u8| matches!(b, b',' | b';' | b'[' | b']' | b'(' | b')') || b.is_ascii_whitespace();
    let bytes = text.as_bytes();
    let mut start = cx.offset;
    while start > cell_start && !is_separator(bytes[start - 1]) {
        start -= 1;
    }
    let mut end = cx.offset;
    while end < cell_end && !is_separator(bytes[end]) {
        end += 1;
    }
    // The row's own task and namespace: the ID cell, qualified by a Namespace cell or the
    // index's namespace folder.
    // A cell's value, as the index rules read it (a link's text for a linked cell).
    let cell_text = |column: Column| {
        let position = table.position(column)?;
        let (s, e) = *cells.get(position)?;
        Some(Cell::read(text[s..e].trim(), s).text)
    };
    let folder_namespace = cx.workspace.roots[cx.root]
        .indexes
        .iter()
        .find(|index| index.file == file)
        .and_then(|index| index.namespace_dir.as_deref())
        .and_then(namespace_of_dir);
    let namespace = cell_text(Column::Namespace)
        .filter(|ns| is_namespace(ns))
        .or(folder_namespace);
    let own_id = cell_text(Column::Id)
        .as_deref()
        .and_then(parse_task_ref)
        .map(|(id, _)| id.resolved_in(namespace.as_deref()));
    let own = own_id
        .as_ref()
        .and_then(|id| cx.workspace.owners(cx.root, id).first().copied());
    let namespace = own_id
        .as_ref()
        .and_then(|id| id.namespace.as_deref().map(str::to_string))
        .or(namespace);
    // The other tokens of the cell (not the one being typed) are already listed.
    let mut listed = HashSet::new();
    let mut at = cell_start;
    while at < cell_end {
        let token_start = at;
        while at < cell_end && !is_separator(bytes[at]) {
            at += 1;
        }
        if token_start < at
            && (token_start, at) != (start, end)
            && let Some((id, _)) = parse_task_ref(&text[token_start..at])
        {
            listed.insert(id.resolved_in(namespace.as_deref()));
        }
        at += 1;
    }
    task_completion(
        cx,
        RefSite {
            token: Token {
                range: TextRange::new(start, end),
                opened: None,
                closed: false,
            },
            before: String::new(),
            after: String::new(),
            listed,
            own,
            namespace,
            relation: Relation::DependsOn,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Task candidates

/// How the task being completed would relate to the task at the cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Relation {
    /// The own task would depend on the candidate.
    DependsOn,
    /// The candidate would depend on the own task.
    Blocks,
    Other,
}

/// A place where a task reference is being typed.
struct RefSite {
    token: Token,
    /// Text around the label in the edit (quotes, brackets, a space).
    before: String,
    after: String,
    /// IDs already in the same list, left out.
    listed: HashSet<TaskId>,
    /// The task the reference is written for (left out, and the cycle check's anchor).
    own: Option<TaskIdx>,
    /// The namespace an unqualified ID means here.
    namespace: Option<String>,
    relation: Relation,
}

impl RefSite {
    /// A bare word being typed as a reference (prose, a ledger string, an index cell): no
    /// quoting to add, no list to leave IDs out of, no relation to check for cycles.
    fn word(cx: &Cx, range: TextRange) -> RefSite {
        RefSite {
            token: Token {
                range,
                opened: None,
                closed: false,
            },
            before: String::new(),
            after: String::new(),
            listed: HashSet::new(),
            own: cx.own,
            namespace: cx.own_namespace(),
            relation: Relation::Other,
        }
    }
}

/// For each task that would close a cycle with the own task, the next task on its path
/// towards the cycle's other end (see [`CyclePaths::path`]).
struct CyclePaths {
    relation: Relation,
    own: u32,
    /// Keyed by the tasks the walk reached, so the cost is theirs, not the root's size.
    next: HashMap<u32, u32>,
}

impl CyclePaths {
    /// One BFS per request over the depends_on edges of the root, resolved through the
    /// cross-file index: backwards from the own task for `depends_on` (who already depends
    /// on it), forwards for `blocks` (what it already depends on).
    fn compute(
        workspace: &Workspace,
        root: usize,
        own: Option<TaskIdx>,
        relation: Relation,
    ) -> Option<CyclePaths> {
        let own = own?.0;
        if relation == Relation::Other {
            return None;
        }
        let resolve = |task: &Task| -> Vec<u32> {
            task.meta
                .depends_on
                .iter()
                .filter_map(|dep| workspace.owners(root, &dep.id).first())
                .map(|idx| idx.0)
                .collect()
        };
        let mut next = HashMap::from([(own, own)]);
        let mut queue = VecDeque::from([own]);
        match relation {
            // Who depends on a task is read from the mention index, so the walk costs the
            // tasks it reaches, not the root's size.
            Relation::DependsOn => {
                while let Some(at) = queue.pop_front() {
                    let task = workspace.task(TaskIdx(at));
                    // Edges lead to the first task of an ID only, as `resolve` takes them.
                    if workspace.owners(root, &task.id).first() != Some(&TaskIdx(at)) {
                        continue;
                    }
                    for (file, _, kind) in workspace.mentions_of(root, &task.id) {
                        let Some(dependent) = workspace.task_idx_of_file(file) else {
                            continue;
                        };
                        let card = workspace.task(dependent).card;
                        if kind != MentionKind::Field("depends_on") || card != Some(file) {
                            continue;
                        }
                        if let Entry::Vacant(entry) = next.entry(dependent.0) {
                            entry.insert(at);
                            queue.push_back(dependent.0);
                        }
                    }
                }
            }
            Relation::Blocks => {
                while let Some(at) = queue.pop_front() {
                    for target in resolve(workspace.task(TaskIdx(at))) {
                        if let Entry::Vacant(entry) = next.entry(target) {
                            entry.insert(at);
                            queue.push_back(target);
                        }
                    }
                }
            }
            Relation::Other => {}
        }
        Some(CyclePaths {
            relation,
            own,
            next,
        })
    }

    /// Whether letting the own task relate to `candidate` closes a cycle.
    fn reaches(&self, candidate: TaskIdx) -> bool {
        candidate.0 != self.own && self.next.contains_key(&candidate.0)
    }

    /// Every task that would close a cycle.
    fn reached(&self) -> impl Iterator<Item = TaskIdx> + '_ {
        self.next
            .keys()
            .filter(|&&idx| idx != self.own)
            .map(|&idx| TaskIdx(idx))
    }

    /// The cycle adding `candidate` would close, as task indexes from the new edge's source
    /// back to it; None when it closes none.
    fn path(&self, candidate: usize) -> Option<Vec<usize>> {
        if !self.reaches(TaskIdx(candidate as u32)) {
            return None;
        }
        let own = self.own as usize;
        // The walk from the candidate to the own task along `next`.
        let mut walk = vec![candidate];
        let mut at = candidate;
        while at != own {
            at = self.next[&(at as u32)] as usize;
            walk.push(at);
        }
        Some(match self.relation {
            // own → candidate → … → own
            Relation::DependsOn => std::iter::once(own).chain(walk).collect(),
            // candidate → own → … → candidate (the walk ran from the candidate back to own)
            _ => {
                let mut path: Vec<usize> = walk.into_iter().rev().collect();
                path.insert(0, candidate);
                path
            }
        })
    }
}

/// A cycle path longer than this shows its ends only.
const SHOWN_CYCLE_STEPS: usize = 8;

fn format_cycle(workspace: &Workspace, path: &[usize]) -> String {
    let id = |idx: usize| workspace.task(TaskIdx(idx as u32)).id.to_string();
    if path.len() <= SHOWN_CYCLE_STEPS {
        return path
            .iter()
            .map(|&idx| id(idx))
            .collect::<Vec<_>>()
            .join(" → ");
    }
    let half = SHOWN_CYCLE_STEPS / 2;
    let head: Vec<String> = path[..half].iter().map(|&idx| id(idx)).collect();
    let tail: Vec<String> = path[path.len() - half..]
        .iter()
        .map(|&idx| id(idx))
        .collect();
    format!("{} → … → {}", head.join(" → "), tail.join(" → "))
}

/// Whether what was typed could be the start of a reference to `task` or a word of its name.
struct Query {
    /// Upper-cased, without a `TASK-` prefix.
    id_part: String,
    /// Lower-cased, without a `TASK-` prefix.
    name_part: String,
}

impl Query {
    fn new(typed: &str) -> Option<Query> {
        let typed = typed.trim();
        // `null`, `~` and an index cell's `-` are placeholders for "nothing", not a prefix.
        if matches!(typed, "" | "null" | "~" | "-") {
            return None;
        }
        let upper = typed.to_ascii_uppercase();
        let rest = upper.strip_prefix("TASK-").unwrap_or(&upper);
        if rest.is_empty() || "TASK-".starts_with(upper.as_str()) {
            return None;
        }
        Some(Query {
            id_part: rest.to_string(),
            name_part: typed[typed.len() - rest.len()..].to_lowercase(),
        })
    }

    /// Allocates nothing for an ASCII name, since a request may ask it of every task of the
    /// root (a name word typed that few tasks carry).
    fn matches(&self, task: &Task) -> bool {
        let mut padded = [0u8; 10];
        let digits = padded_number(task.id.number, &mut padded);
        let id_part = self.id_part.as_bytes();
        // The ID as written in file names: `0042` or `FW-0042`.
        let short_matches = match task.id.namespace.as_deref().map(str::as_bytes) {
            None => digits.starts_with(id_part),
            Some(ns) if id_part.len() <= ns.len() => ns.starts_with(id_part),
            Some(ns) => {
                id_part.starts_with(ns)
                    && id_part[ns.len()] == b'-'
                    && digits.starts_with(&id_part[ns.len() + 1..])
            }
        };
        if short_matches || digits.starts_with(id_part) {
            return true;
        }
        // A number typed without its zero padding (`42`) may sit anywhere in the ID's digits.
        if !self.id_part.starts_with('0')
            && self.id_part.bytes().all(|b| b.is_ascii_digit())
            && digits
                .windows(id_part.len())
                .any(|window| window == id_part)
        {
            return true;
        }
        // Digits alone are an ID being typed, not a word of a name ("Task 0014").
        if !self.name_part.bytes().any(|b| b.is_ascii_alphabetic()) {
            return false;
        }
        let name_matches = match (&task.meta.task_name, &task.slug) {
            (Some(name), _) => contains_lowercased(name, &self.name_part, false),
            (None, Some(slug)) if !slug.is_empty() => {
                contains_lowercased(slug, &self.name_part, true)
            }
            _ => contains_lowercased("(no name)", &self.name_part, false),
        };
        name_matches
            || task
                .slug
                .as_deref()
                .is_some_and(|slug| contains_lowercased(slug, &self.name_part, false))
    }
}

/// `number` zero-padded to four digits, as IDs are written, in `buffer`.
fn padded_number(number: u32, buffer: &mut [u8; 10]) -> &[u8] {
    let mut at = buffer.len();
    let mut rest = number;
    while rest > 0 || buffer.len() - at < 4 {
        at -= 1;
        buffer[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    &buffer[at..]
}

/// Whether `text` lower-cased (with `-` read as a space when `dash_as_space`) contains
/// `needle`, which is lower-cased already: without allocating when `text` is ASCII, where
/// lower-casing is byte by byte.
fn contains_lowercased(text: &str, needle: &str, dash_as_space: bool) -> bool {
    if !text.is_ascii() {
        let text = if dash_as_space {
            text.replace('-', " ")
        } else {
            text.to_string()
        };
        return text.to_lowercase().contains(needle);
    }
    let fold = |byte: u8| match byte {
        b'-' if dash_as_space => b' ',
        _ => byte.to_ascii_lowercase(),
    };
    let (text, needle) = (text.as_bytes(), needle.as_bytes());
    needle.is_empty()
        || text.windows(needle.len()).any(|window| {
            window
                .iter()
                .zip(needle)
                .all(|(&byte, &wanted)| fold(byte) == wanted)
        })
}

fn task_name(task: &Task) -> String {
    match (&task.meta.task_name, &task.slug) {
        (Some(name), _) => name.clone(),
        (None, Some(slug)) if !slug.is_empty() => slug.replace('-', " "),
        _ => "(no name)".to_string(),
    }
}

/// Active stages first, archived last.
fn stage_rank(stage: Stage) -> u8 {
    match stage {
        Stage::Current | Stage::Next | Stage::Backlog => 0,
        Stage::Archived => 2,
        _ => 1,
    }
}

/// How far a candidate's ID is from the task at the cursor; without a task to be near,
/// newer tasks are nearer.
fn distance(own_number: Option<u32>, number: u32) -> u32 {
    match own_number {
        Some(own) => own.abs_diff(number),
        None => u32::MAX - number,
    }
}

/// The tasks of some runs of the task order (see `db::task_order`) in rank order within one
/// namespace and stage class: the nearest number to the own task's first, the lower number
/// first at an equal distance, then the task index. Each run is walked from the own number
/// outwards in both directions, so the walk costs what is taken from it.
struct NearestFirst<'a> {
    own_number: Option<u32>,
    sides: Vec<Side<'a>>,
}

/// One direction of a run from the own number.
struct Side<'a> {
    run: &'a TaskRun,
    /// Upwards: the next index to take. Downwards: the end of the part not reached yet.
    at: usize,
    upwards: bool,
    /// Downwards, the tasks sharing the number being taken, in index order.
    same_number: std::ops::Range<usize>,
}

impl Side<'_> {
    fn peek(&mut self) -> Option<(u32, TaskIdx)> {
        if self.upwards {
            return self.run.get(self.at).copied();
        }
        if self.same_number.is_empty() {
            let &(number, _) = self.run[..self.at].last()?;
            let first = self.run[..self.at].partition_point(|&(n, _)| n < number);
            self.same_number = first..self.at;
            self.at = first;
        }
        Some(self.run[self.same_number.start])
    }

    fn advance(&mut self) {
        if self.upwards {
            self.at += 1;
        } else {
            self.same_number.start += 1;
        }
    }
}

impl<'a> NearestFirst<'a> {
    fn new(runs: impl Iterator<Item = &'a TaskRun>, own_number: Option<u32>) -> Self {
        let mut sides = Vec::new();
        for run in runs.filter(|run| !run.is_empty()) {
            let split = own_number.map_or(run.len(), |own| run.partition_point(|&(n, _)| n < own));
            for upwards in [false, true] {
                sides.push(Side {
                    run,
                    at: split,
                    upwards,
                    same_number: 0..0,
                });
            }
        }
        NearestFirst { own_number, sides }
    }
}

impl Iterator for NearestFirst<'_> {
    type Item = TaskIdx;

    fn next(&mut self) -> Option<TaskIdx> {
        let own_number = self.own_number;
        let (side, _) = self
            .sides
            .iter_mut()
            .enumerate()
            .filter_map(|(at, side)| {
                let (number, idx) = side.peek()?;
                Some((at, (distance(own_number, number), number, idx)))
            })
            .min_by_key(|&(_, key)| key)?;
        let (_, idx) = self.sides[side].peek()?;
        self.sides[side].advance();
        Some(idx)
    }
}

/// How a candidate ranks: the fields compare in order, smaller first.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    closes_cycle: bool,
    other_namespace: bool,
    stage: u8,
    /// ID proximity to the task at the cursor.
    distance: u32,
    number: u32,
}

/// What orders the task candidates of one request (see [`Rank`]).
struct Ranking<'a> {
    workspace: &'a Workspace,
    root: usize,
    site: &'a RefSite,
    query: Option<&'a Query>,
    cycles: Option<&'a CyclePaths>,
}

impl Ranking<'_> {
    /// Whether `task` is offered at all: not the own task, not listed already, matching what
    /// was typed.
    fn wanted(&self, task: &Task) -> bool {
        let own_id = self.site.own.map(|idx| &self.workspace.task(idx).id);
        Some(&task.id) != own_id
            && !self.site.listed.contains(&task.id)
            && self.query.is_none_or(|query| query.matches(task))
    }

    fn rank(&self, idx: TaskIdx) -> Rank {
        let task = self.workspace.task(idx);
        Rank {
            closes_cycle: self.cycles.is_some_and(|cycles| cycles.reaches(idx)),
            other_namespace: task.namespace() != self.site.namespace.as_deref(),
            stage: stage_rank(task.stage),
            distance: distance(self.own_number(), task.id.number),
            number: task.id.number,
        }
    }

    fn own_number(&self) -> Option<u32> {
        self.site.own.map(|idx| self.workspace.task(idx).id.number)
    }

    /// The `limit` best candidates in rank order, each with whether it closes a cycle, and
    /// whether more were left out.
    fn best(&self, limit: usize) -> (Vec<(bool, TaskIdx)>, bool) {
        let workspace = self.workspace;
        let namespace = self.site.namespace.as_deref();
        let own_number = self.own_number();
        let closes_cycle = |idx: TaskIdx| self.cycles.is_some_and(|c| c.reaches(idx));
        // One more than is shown tells whether the list is complete.
        let enough = limit.saturating_add(1);

        // Candidates come in rank order (see `Rank`) straight from the model's task order, so a
        // request visits the tasks it returns and those it skips on the way, not the whole root.
        // Those closing a cycle rank last of all and are set apart on the way.
        let mut candidates: Vec<(bool, TaskIdx)> = Vec::new();
        let groups = workspace.task_order().namespaces(self.root);
        'ranked: for other_namespace in [false, true] {
            for class in 0..=2 {
                let runs = groups
                    .iter()
                    .filter(|group| (group.namespace.as_deref() != namespace) == other_namespace)
                    .flat_map(|group| {
                        Stage::ALL
                            .into_iter()
                            .filter(|&stage| stage_rank(stage) == class)
                            .map(|stage| group.in_stage(stage))
                    });
                for idx in NearestFirst::new(runs, own_number) {
                    #[cfg(test)]
                    VISITED.with(|count| count.set(count.get() + 1));
                    if closes_cycle(idx) || !self.wanted(workspace.task(idx)) {
                        continue;
                    }
                    candidates.push((false, idx));
                    if candidates.len() == enough {
                        break 'ranked;
                    }
                }
            }
        }
        if candidates.len() < enough
            && let Some(cycles) = self.cycles
        {
            let mut closing: Vec<(Rank, TaskIdx)> = cycles
                .reached()
                .filter(|&idx| {
                    let task = workspace.task(idx);
                    workspace.owners(self.root, &task.id).first() == Some(&idx) && self.wanted(task)
                })
                .map(|idx| (self.rank(idx), idx))
                .collect();
            closing.sort();
            let room = enough - candidates.len();
            candidates.extend(closing.into_iter().take(room).map(|(_, idx)| (true, idx)));
        }
        let is_incomplete = candidates.len() > limit;
        candidates.truncate(limit);
        (candidates, is_incomplete)
    }
}

fn task_completion(cx: &Cx, site: RefSite) -> Option<CompletionList> {
    let workspace = cx.workspace;
    let typed = &cx.text[site.token.start()..cx.offset.max(site.token.start())];
    let query = Query::new(typed);
    let namespace = site.namespace.as_deref();
    let cycles = CyclePaths::compute(workspace, cx.root, site.own, site.relation);
    let ranking = Ranking {
        workspace,
        root: cx.root,
        site: &site,
        query: query.as_ref(),
        cycles: cycles.as_ref(),
    };
    let (candidates, is_incomplete) = ranking.best(cx.config.limit);

    let items = candidates
        .into_iter()
        .enumerate()
        .map(|(position, (closes_cycle, idx))| {
            let task = workspace.task(idx);
            let label = task.id.to_string();
            let name = task_name(task);
            let status = task.meta.status().map_or("?", Status::name);
            let mut detail = format!("{name} · {} · {status}", task.stage);
            if closes_cycle && let Some(path) = cycles.as_ref().and_then(|c| c.path(idx.0 as usize))
            {
                detail.push_str(&format!(
                    " · closes a cycle: {}",
                    format_cycle(workspace, &path)
                ));
            }
            // Same-namespace IDs may be typed unqualified, so the filter text has that
            // spelling too.
            let unqualified = match (&task.id.namespace, namespace) {
                (Some(ns), Some(here)) if ns.as_ref() == here => {
                    format!(" TASK-{:04}", task.id.number)
                }
                _ => String::new(),
            };
            CompletionItem {
                filter_text: Some(format!("{label}{unqualified} {name}")),
                label: label.clone(),
                kind: CompletionKind::Task,
                detail: Some(detail),
                documentation: goal_excerpt(workspace, task),
                sort_text: format!("{position:04}"),
                edit: (
                    site.token.range,
                    format!("{}{label}{}", site.before, site.after),
                ),
                is_snippet: false,
                deprecated: closes_cycle,
            }
        })
        .collect();
    Some(CompletionList {
        items,
        is_incomplete,
    })
}

/// How many lines of the Goal a task item shows.
const GOAL_LINES: usize = 4;

/// The first lines of a task's Goal section.
fn goal_excerpt(workspace: &Workspace, task: &Task) -> Option<String> {
    let card = workspace.card(task)?;
    let text = &workspace.file(task.card?).text;
    let goal = card
        .sections
        .iter()
        .find(|section| section.title.eq_ignore_ascii_case("Goal"))?;
    let lines: Vec<&str> = goal
        .content_range
        .slice(text)
        .lines()
        .map(str::trim_end)
        .skip_while(|line| line.trim().is_empty())
        .take(GOAL_LINES)
        .collect();
    let excerpt = lines.join("\n").trim_end().to_string();
    (!excerpt.is_empty()).then_some(excerpt)
}

// ---------------------------------------------------------------------------------------------
// DRIs and tags seen in the workspace

/// Every `@name` in the cards' `current_dri`, `created_by` and `previous_dris`, with how many
/// cards name it, most used first.
fn seen_dris(workspace: &Workspace, root: usize) -> Vec<(String, usize)> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut names: Vec<&str> = Vec::new();
    for block in frontmatter_blocks(workspace, root) {
        names.clear();
        for entry in &block.entries {
            match (entry.key.as_str(), &entry.value.value) {
                ("current_dri" | "created_by", YamlValue::Str { text, .. }) => {
                    names.push(text.trim());
                }
                ("previous_dris", YamlValue::Seq(items)) => {
                    names.extend(items.iter().filter_map(|item| item.as_str()).map(str::trim));
                }
                _ => {}
            }
        }
        count_once(&mut counts, &mut names, |name| {
            name.len() > 1 && name.starts_with('@')
        });
    }
    by_count(counts)
}

/// Every tag in the cards' `tags` lists, with how many cards carry it, most used first.
fn seen_tags(workspace: &Workspace, root: usize) -> Vec<(String, usize)> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut tags: Vec<&str> = Vec::new();
    for block in frontmatter_blocks(workspace, root) {
        tags.clear();
        if let Some(YamlValue::Seq(items)) = block.get("tags").map(|entry| &entry.value.value) {
            tags.extend(items.iter().filter_map(|item| item.as_str()).map(str::trim));
        }
        count_once(&mut counts, &mut tags, |tag| !tag.is_empty());
    }
    by_count(counts)
}

/// The parsed frontmatter of every card of `root`.
fn frontmatter_blocks(
    workspace: &Workspace,
    root: usize,
) -> impl Iterator<Item = &crate::syntax::card::FrontmatterBlock> {
    workspace.roots[root].tasks.iter().filter_map(|&idx| {
        workspace
            .card(workspace.task(idx))
            .and_then(|card| card.frontmatter.block())
    })
}

/// Counts each of one card's `values` once (a card naming `@ana` twice is one card).
fn count_once<'a>(
    counts: &mut HashMap<&'a str, usize>,
    values: &mut Vec<&'a str>,
    keep: impl Fn(&str) -> bool,
) {
    values.sort_unstable();
    values.dedup();
    for &value in values.iter().filter(|value| keep(value)) {
        *counts.entry(value).or_default() += 1;
    }
}

fn by_count(counts: HashMap<&str, usize>) -> Vec<(String, usize)> {
    let mut seen: Vec<(String, usize)> = counts
        .into_iter()
        .map(|(value, count)| (value.to_string(), count))
        .collect();
    seen.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    seen
}

fn tasks_count(count: usize) -> String {
    if count == 1 {
        "on 1 task".to_string()
    } else {
        format!("on {count} tasks")
    }
}

fn dri_items(
    cx: &Cx,
    token: Token,
    listed: &HashSet<&str>,
    new_text: impl Fn(&str) -> String,
) -> Option<CompletionList> {
    let items = seen_dris(cx.workspace, cx.root)
        .into_iter()
        .filter(|(dri, _)| !listed.contains(dri.as_str()))
        .enumerate()
        .map(|(rank, (dri, count))| {
            let text = new_text(&dri);
            let mut item = simple_item(dri, CompletionKind::User, token, text);
            item.detail = Some(tasks_count(count));
            item.sort_text = format!("{rank:04}");
            item
        })
        .collect();
    Some(complete(items))
}

/// An item replacing `token` with `new_text`, filtered by its label.
fn simple_item(
    label: String,
    kind: CompletionKind,
    token: Token,
    new_text: String,
) -> CompletionItem {
    CompletionItem {
        label,
        kind,
        detail: None,
        documentation: None,
        filter_text: None,
        sort_text: String::new(),
        edit: (token.range, new_text),
        is_snippet: false,
        deprecated: false,
    }
}

fn complete(items: Vec<CompletionItem>) -> CompletionList {
    CompletionList {
        items,
        is_incomplete: false,
    }
}

#[cfg(test)]
thread_local! {
    /// How many task candidates this thread's requests have looked at: lets a test prove that
    /// a request's work follows what it returns, not the root's size.
    static VISITED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;
    use std::path::Path;

    use expect_test::{Expect, expect};

    use super::*;
    use crate::base::Dice;
    use crate::ide::fixture::{COUNTER, ROOT, package, workspace, workspace_at};

    /// 2026-03-04T10:30:00Z
    const NOW: i64 = 1_772_620_200;

    fn complete_at(fixture: &str, config: &CompletionConfig) -> Option<CompletionList> {
        let (workspace, file, offset) = workspace_at(fixture);
        completion(&workspace, file, offset, config)
    }

    fn config() -> CompletionConfig {
        CompletionConfig {
            user: Some("@me".to_string()),
            now: NOW,
            limit: DEFAULT_LIMIT,
        }
    }

    /// One line per item: label, detail, the text the edit replaces and the new text, and
    /// flags; "(none)" when nothing is offered.
    fn render(fixture: &str, config: &CompletionConfig) -> String {
        let (workspace, file, offset) = workspace_at(fixture);
        let text = &workspace.file(file).text;
        let Some(list) = completion(&workspace, file, offset, config) else {
            return "(none)\n".to_string();
        };
        let mut out = String::new();
        if list.is_incomplete {
            out.push_str("(incomplete)\n");
        }
        let mut items = list.items.clone();
        items.sort_by(|a, b| a.sort_text.cmp(&b.sort_text));
        for item in items {
            let (range, new_text) = &item.edit;
            write!(out, "{}", item.label).unwrap();
            if let Some(detail) = &item.detail {
                write!(out, " · {detail}").unwrap();
            }
            write!(out, " | `{}` -> `{new_text}`", range.slice(text)).unwrap();
            if item.is_snippet {
                out.push_str(" [snippet]");
            }
            if item.deprecated {
                out.push_str(" [deprecated]");
            }
            out.push('\n');
        }
        out
    }

    fn check(fixture: &str, expect: Expect) {
        expect.assert_eq(&render(fixture, &config()));
    }

    /// `fixture` with each `(old, new)` replaced once inside the file at `rel`.
    fn replace_in(fixture: &str, rel: &str, edits: &[(&str, &str)]) -> String {
        let header = format!("//- /{rel}\n");
        let start = fixture.find(&header).expect("no such file") + header.len();
        let end = fixture[start..]
            .find("//- /")
            .map_or(fixture.len(), |at| start + at);
        let mut file = fixture[start..end].to_string();
        for (old, new) in edits {
            assert!(file.contains(old), "{old:?} is not in {rel}");
            file = file.replacen(old, new, 1);
        }
        format!("{}{file}{}", &fixture[..start], &fixture[end..])
    }

    /// Task 0001 in backlog with `fields`, and four other tasks across the stages.
    fn tasks(fields: &str) -> String {
        format!(
            "{COUNTER}{}{}{}{}{}",
            package("backlog/TASK-0001-a", fields),
            package("backlog/TASK-0002-b", ""),
            package("current/TASK-0003-c", ""),
            package("archived/TASK-0004-d", ""),
            package("inbox/TASK-0005-e", ""),
        )
    }

    #[test]
    fn flow_list_unquoted_leaves_out_own_task_and_listed_ids() {
        check(
            &tasks("depends_on: [TASK-0002, TASK-00$0]"),
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `TASK-00` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `TASK-00` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `TASK-00` -> `TASK-0004`
            "#]],
        );
    }

    #[test]
    fn flow_list_of_quoted_items_gets_quotes() {
        check(
            &tasks("depends_on: [\"0002\", 00$0]"),
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `00` -> `"TASK-0003"`
                TASK-0005 · Task 0005 · inbox · active | `00` -> `"TASK-0005"`
                TASK-0004 · Task 0004 · archived · active | `00` -> `"TASK-0004"`
            "#]],
        );
        check(
            &tasks("related_to: [\"0002\",$0]"),
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `` -> ` "TASK-0003"`
                TASK-0005 · Task 0005 · inbox · active | `` -> ` "TASK-0005"`
                TASK-0004 · Task 0004 · archived · active | `` -> ` "TASK-0004"`
            "#]],
        );
    }

    #[test]
    fn unclosed_and_multi_line_flow_lists() {
        // No `]` yet, and the next key right below.
        check(
            &tasks("related_to: [TASK-0002, TASK-000$0"),
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `TASK-000` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `TASK-000` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `TASK-000` -> `TASK-0004`
            "#]],
        );
        let multi_line = tasks("").replacen(
            "depends_on: []",
            "depends_on: [\n  \"0002\",  # first\n  \"0003\",\n  $0\n]",
            1,
        );
        check(
            &multi_line,
            expect![[r#"
                TASK-0005 · Task 0005 · inbox · active | `` -> `"TASK-0005"`
                TASK-0004 · Task 0004 · archived · active | `` -> `"TASK-0004"`
            "#]],
        );
    }

    #[test]
    fn crlf_cards_complete_like_lf_ones() {
        let fixture = tasks("depends_on: [TASK-0002, TASK-000$0]");
        let start = fixture
            .find("//- /backlog/TASK-0001-a/0001-a.task.md\n")
            .unwrap();
        let end = fixture
            .find("//- /backlog/TASK-0001-a/0001.context.md")
            .unwrap();
        let crlf = format!(
            "{}{}{}",
            &fixture[..start],
            fixture[start..end]
                .replace('\n', "\r\n")
                .replacen("\r\n", "\n", 1),
            &fixture[end..]
        );
        assert!(crlf.contains("TASK-000$0]\r\n"));
        check(
            &crlf,
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `TASK-000` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `TASK-000` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `TASK-000` -> `TASK-0004`
            "#]],
        );
    }

    #[test]
    fn an_opening_quote_typed_by_the_user_is_not_doubled() {
        // Closed by the editor's auto-pairing: nothing to add.
        check(
            &tasks("depends_on: [\"0002\", \"TASK-000$0\"]"),
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `TASK-000` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `TASK-000` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `TASK-000` -> `TASK-0004`
            "#]],
        );
        // Still open: the completion closes it.
        check(
            &tasks("blocks: ['TASK-0003$0]"),
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `TASK-0003` -> `TASK-0003'`
            "#]],
        );
    }

    #[test]
    fn block_list_items_follow_the_other_items_quotes() {
        let quoted = tasks("").replacen(
            "depends_on: []",
            "depends_on:\n  - \"0002\"\n  - \"0003\"\n  - $0",
            1,
        );
        check(
            &quoted,
            expect![[r#"
                TASK-0005 · Task 0005 · inbox · active | `` -> `"TASK-0005"`
                TASK-0004 · Task 0004 · archived · active | `` -> `"TASK-0004"`
            "#]],
        );
        let plain = tasks("").replacen("split_into: []", "split_into:\n- TASK-0002\n-$0", 1);
        check(
            &plain,
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `` -> ` TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `` -> ` TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `` -> ` TASK-0004`
            "#]],
        );
    }

    #[test]
    fn a_list_field_without_brackets_becomes_a_list() {
        check(
            &tasks("depends_on: TASK-0003$0"),
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `TASK-0003` -> `[TASK-0003]`
            "#]],
        );
        check(
            &replace_in(
                &tasks("tags:$0"),
                "backlog/TASK-0002-b/0002-b.task.md",
                &[("tags: []", "tags: [api]")],
            ),
            expect![[r#"
                api · on 1 task | `` -> ` [api]`
            "#]],
        );
    }

    #[test]
    fn template_fields_come_first_in_the_vocabulary() {
        assert_eq!(KNOWN_FIELDS[TEMPLATE_FIELDS - 1], "split_from");
        assert_eq!(KNOWN_FIELDS[TEMPLATE_FIELDS], "split_date");
    }

    #[test]
    fn blocked_by_task_prefix_and_kinds() {
        check(
            &tasks("blocked_by: \"task:TASK-000$0\""),
            expect![[r#"
                TASK-0002 · Task 0002 · backlog · active | `TASK-000` -> `TASK-0002`
                TASK-0003 · Task 0003 · current · active | `TASK-000` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `TASK-000` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `TASK-000` -> `TASK-0004`
            "#]],
        );
        check(
            &tasks("blocked_by: \"task:$0 (canceled)"),
            expect![[r#"
                TASK-0002 · Task 0002 · backlog · active | `` -> `TASK-0002`
                TASK-0003 · Task 0003 · current · active | `` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `` -> `TASK-0004`
            "#]],
        );
        check(
            &tasks("blocked_by: $0null"),
            expect![[r#"
                task: · blocked by another task: task:TASK-0042 | `null` -> `"task:$1"` [snippet]
                external: · blocked by something outside the team | `null` -> `"external:$1"` [snippet]
                decision: · waiting for a decision | `null` -> `"decision:$1"` [snippet]
                info: · waiting for information | `null` -> `"info:$1"` [snippet]
                null · not blocked | `null` -> `null`
            "#]],
        );
        check(
            &tasks("blocked_by: \"ext$0"),
            expect![[r#"
                task: · blocked by another task: task:TASK-0042 | `ext` -> `task:$1"` [snippet]
                external: · blocked by something outside the team | `ext` -> `external:$1"` [snippet]
                decision: · waiting for a decision | `ext` -> `decision:$1"` [snippet]
                info: · waiting for information | `ext` -> `info:$1"` [snippet]
            "#]],
        );
    }

    #[test]
    fn split_from_takes_one_task() {
        check(
            &tasks("split_from: \"TASK-0003$0\""),
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `TASK-0003` -> `TASK-0003`
            "#]],
        );
    }

    #[test]
    fn body_text_after_task_prefix_even_after_an_emoji() {
        let fixture = tasks("").replacen("Do the thing.", "Follow up on 🎉 TASK-00$0 soon.", 1);
        check(
            &fixture,
            expect![[r#"
                TASK-0002 · Task 0002 · backlog · active | `TASK-00` -> `TASK-0002`
                TASK-0003 · Task 0003 · current · active | `TASK-00` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `TASK-00` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `TASK-00` -> `TASK-0004`
            "#]],
        );
        // The edit's range is exact bytes: it starts after the emoji's four bytes.
        let (workspace, file, offset) = workspace_at(&fixture);
        let list = completion(&workspace, file, offset, &config()).unwrap();
        let text = &workspace.file(file).text;
        let range = list.items[0].edit.0;
        assert_eq!(range.end as usize, offset);
        assert_eq!(&text[range.start as usize - 5..range.start as usize], "🎉 ");
    }

    #[test]
    fn context_body_and_plain_prose() {
        let fixture = tasks("").replacen("Background.", "Needs TASK-0003$0.", 1);
        check(
            &fixture,
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `TASK-0003` -> `TASK-0003`
            "#]],
        );
        let prose = tasks("").replacen("Background.", "Plain words$0 here.", 1);
        check(&prose, expect!["(none)\n"]);
        let glued = tasks("").replacen("Background.", "xTASK-00$0", 1);
        check(&glued, expect!["(none)\n"]);
    }

    #[test]
    fn goal_lines_are_the_documentation_and_name_words_filter() {
        let fixture = replace_in(
            &tasks("depends_on: [pay$0]"),
            "backlog/TASK-0002-b/0002-b.task.md",
            &[
                ("task_name: \"Task 0002\"", "task_name: \"Payment retries\""),
                (
                    "Do the thing.",
                    "Retry failed payments\nwith backoff.\n\nMore later.",
                ),
            ],
        );
        let list = complete_at(&fixture, &config()).unwrap();
        let shown: Vec<(String, Option<String>, Option<String>)> = list
            .items
            .iter()
            .map(|item| {
                (
                    item.label.clone(),
                    item.filter_text.clone(),
                    item.documentation.clone(),
                )
            })
            .collect();
        expect![[r#"
            [
                (
                    "TASK-0002",
                    Some(
                        "TASK-0002 Payment retries",
                    ),
                    Some(
                        "Retry failed payments\nwith backoff.\n\nMore later.",
                    ),
                ),
            ]
        "#]]
        .assert_debug_eq(&shown);
    }

    const LEDGER: &str = "backlog/TASK-0001-a/0001.ledger.jsonl";
    const CREATED: &str = "{\"ts\":\"2026-03-02T09:00:00Z\",\"user\":\"@ana\",\"event\":\"created\",\"desc\":\"Created\"}\n";

    /// The tasks of [`tasks`] with `line` appended to TASK-0001's ledger.
    fn ledger_line(line: &str) -> String {
        replace_in(
            &tasks(""),
            LEDGER,
            &[(CREATED, &format!("{CREATED}{line}\n"))],
        )
    }

    #[test]
    fn ledger_string_values_complete_task_references() {
        check(
            &ledger_line(
                "{\"ts\":\"2026-03-03T09:00:00Z\",\"user\":\"@ana\",\"event\":\"waiting_on\",\"desc\":\"Waits on TASK-0003$0\"}",
            ),
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `TASK-0003` -> `TASK-0003`
            "#]],
        );
        // A value that is being typed as `TASK-`.
        check(
            &ledger_line("{\"ts\":\"2026-03-03T09:00:00Z\",\"dependency\":\"TA$0"),
            expect![[r#"
                TASK-0002 · Task 0002 · backlog · active | `TA` -> `TASK-0002`
                TASK-0003 · Task 0003 · current · active | `TA` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `TA` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `TA` -> `TASK-0004`
            "#]],
        );
        // Prose in a value, and keys, offer nothing.
        check(
            &ledger_line("{\"ts\":\"2026-03-03T09:00:00Z\",\"desc\":\"Talked to$0"),
            expect!["(none)\n"],
        );
        check(
            &ledger_line("{\"ts\":\"2026-03-03T09:00:00Z\",\"TASK-$0"),
            expect!["(none)\n"],
        );
    }

    #[test]
    fn ledger_event_names_with_their_meaning() {
        let fixture =
            ledger_line("{\"ts\":\"2026-03-03T09:00:00Z\",\"user\":\"@ana\",\"event\":\"sta$0");
        let list = complete_at(&fixture, &config()).unwrap();
        assert_eq!(list.items.len(), EVENTS.len());
        let rendered = render(&fixture, &config());
        let shown: String = rendered
            .lines()
            .filter(|line| line.starts_with("sta"))
            .map(|line| format!("{line}\n"))
            .collect();
        // The string is still open, so the completion closes it.
        expect![[r#"
            started · Implementation started; the task moved to current | `sta` -> `started"`
        "#]]
        .assert_eq(&shown);
        // Inside a closed string the quote is not added again.
        let rendered = render(
            &ledger_line("{\"ts\":\"2026-03-03T09:00:00Z\",\"user\":\"@ana\",\"event\":\"$0\"}"),
            &config(),
        );
        assert!(
            rendered.contains(
                "verified · The package was verified and moved to backlog | `` -> `verified`\n"
            ),
            "{rendered}"
        );
    }

    #[test]
    fn ledger_user_and_timestamp_values() {
        check(
            &ledger_line("{\"ts\":\"$0\"}"),
            expect![[r#"
                2026-03-04T10:30:00Z · now, in UTC | `` -> `2026-03-04T10:30:00Z`
            "#]],
        );
        check(
            &ledger_line("{\"ts\":\"2026-03-03T09:00:00Z\",\"user\":\"@a$0"),
            expect![[r#"
                @ana · on 5 tasks | `@a` -> `@ana"`
            "#]],
        );
    }

    #[test]
    fn ledger_last_empty_line_gets_a_whole_event_snippet() {
        let fixture = format!("{}$0", tasks(""));
        check(
            &fixture,
            expect![[r#"
                event line · 2026-03-04T10:30:00Z by @me | `` -> `{"ts":"2026-03-04T10:30:00Z","user":"@me","event":"$1","desc":"$2"}` [snippet]
            "#]],
        );
        // Without a configured user, the card's DRI.
        let no_user = CompletionConfig {
            user: None,
            ..config()
        };
        expect![[r#"
            event line · 2026-03-04T10:30:00Z by @ana | `` -> `{"ts":"2026-03-04T10:30:00Z","user":"@ana","event":"$1","desc":"$2"}` [snippet]
        "#]]
        .assert_eq(&render(&fixture, &no_user));
        // Not on an empty line that has events after it.
        let middle = replace_in(&tasks(""), LEDGER, &[(CREATED, &format!("$0\n{CREATED}"))]);
        check(&middle, expect!["(none)\n"]);
    }

    #[test]
    fn index_dependencies_cell() {
        let header = "| ID | Name | DRI | Status | Flags | Dependencies |\n|----|------|-----|--------|-------|--------------|\n";
        let fixture = format!(
            "{}//- /backlog/INDEX.md\n# Backlog\n\n{header}| 0001 | Task 0001 | @ana | active | - | TASK-0002, 00$0 |\n| 0002 | Task 0002 | @ana | active | - | - |\n",
            tasks("depends_on: [\"0002\"]")
        );
        check(
            &fixture,
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `00` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `00` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `00` -> `TASK-0004`
            "#]],
        );
        // In an index whose cells are links, a reference typed as a link's text is completed
        // inside the brackets, and the row's own task and linked dependencies are left out.
        let linked = fixture.replacen(
            "| 0001 | Task 0001 | @ana | active | - | TASK-0002, 00$0 |",
            "| [0001](TASK-0001-a/) | Task 0001 | @ana | active | - | [TASK-0002](../current/TASK-0002-b/), [00$0]() |",
            1,
        );
        check(
            &linked,
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `00` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `00` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `00` -> `TASK-0004`
            "#]],
        );
        // Other cells of the row offer nothing.
        let name_cell = fixture
            .replacen("TASK-0002, 00$0", "TASK-0002, 00", 1)
            .replacen("| Task 0002 | @ana", "| Task TASK-$0 | @ana", 1);
        check(&name_cell, expect!["(none)\n"]);
    }

    #[test]
    fn enum_values() {
        check(
            &tasks("stage: \"back$0\""),
            expect![[r#"
                backlog · the stage folder this task sits in | `back` -> `backlog`
                inbox · stage 1 of 7 | `back` -> `inbox`
                next · stage 3 of 7 | `back` -> `next`
                current · stage 4 of 7 | `back` -> `current`
                integration · stage 5 of 7 | `back` -> `integration`
                learning · stage 6 of 7 | `back` -> `learning`
                archived · stage 7 of 7 | `back` -> `archived`
            "#]],
        );
        check(
            &tasks("status:$0"),
            expect![[r#"
                active · being worked on, or waiting its turn in its stage | `` -> ` "active"`
                blocked · waiting on something; say what in `blocked_by` | `` -> ` "blocked"`
                paused · set aside for now; say why in `paused_reason` | `` -> ` "paused"`
                canceled · will not be done; belongs in archived | `` -> ` "canceled"`
                split · split into smaller tasks (split parents only) | `` -> ` "split"`
            "#]],
        );
        check(
            &tasks("priority: P$0  # P0|P1|P2|P3|P4"),
            expect![[r#"
                P0 · critical: may fast-track into current | `P` -> `P0`
                P1 · high | `P` -> `P1`
                P2 · medium | `P` -> `P2`
                P3 · low | `P` -> `P3`
                P4 · lowest | `P` -> `P4`
                null · not prioritized yet | `P` -> `null`
            "#]],
        );
        check(
            &tasks("effort_estimate: $0null"),
            expect![[r#"
                XS · T-shirt size | `null` -> `XS`
                S · T-shirt size | `null` -> `S`
                M · T-shirt size | `null` -> `M`
                L · T-shirt size | `null` -> `L`
                XL · T-shirt size | `null` -> `XL`
                1 · story points | `null` -> `1`
                2 · story points | `null` -> `2`
                3 · story points | `null` -> `3`
                5 · story points | `null` -> `5`
                8 · story points | `null` -> `8`
                null · not estimated yet | `null` -> `null`
            "#]],
        );
        check(
            &tasks("schema_version: $0"),
            expect![[r#"
                1.0 · the card schema version | `` -> `"1.0"`
            "#]],
        );
        // Fields without a vocabulary, and the key itself, offer nothing.
        check(&tasks("task_name: \"Ta$0sk\""), expect!["(none)\n"]);
        check(&tasks("sta$0ge: \"backlog\""), expect!["(none)\n"]);
    }

    #[test]
    fn dris_seen_in_the_workspace() {
        let fixture = replace_in(
            &tasks("current_dri: \"@$0\""),
            "current/TASK-0003-c/0003-c.task.md",
            &[
                ("current_dri: \"@ana\"", "current_dri: \"@bob\""),
                (
                    "status: \"active\"",
                    "status: \"active\"\nprevious_dris: [\"@cy\"]",
                ),
            ],
        );
        check(
            &fixture,
            expect![[r#"
                @ana · on 5 tasks | `@` -> `@ana`
                @bob · on 1 task | `@` -> `@bob`
                @cy · on 1 task | `@` -> `@cy`
            "#]],
        );
        // Unquoted, the value gets quotes: `@` cannot start a plain YAML string.
        check(
            &tasks("created_by: $0"),
            expect![[r#"
                @ana · on 5 tasks | `` -> `"@ana"`
            "#]],
        );
    }

    #[test]
    fn tags_seen_in_the_workspace_except_those_listed() {
        let fixture = replace_in(
            &replace_in(
                &tasks("tags: [backend, $0]"),
                "current/TASK-0003-c/0003-c.task.md",
                &[("tags: []", "tags: [backend, api, \"needs review\"]")],
            ),
            "inbox/TASK-0005-e/0005-e.task.md",
            &[("tags: []", "tags:\n  - api\n")],
        );
        check(
            &fixture,
            expect![[r#"
                api · on 2 tasks | `` -> `api`
                needs review · on 1 task | `` -> `"needs review"`
            "#]],
        );
    }

    #[test]
    fn missing_keys_on_an_empty_frontmatter_line() {
        let fixture = format!(
            "{COUNTER}//- /inbox/TASK-0001-a/0001-a.task.md\n---\ntask_id: \"0001\"\ntask_name: \"A\"\nstage: \"inbox\"\n$0\ndepends_on: []\n---\n\n## Goal\n\nX.\n"
        );
        check(
            &fixture,
            expect![[r#"
                current_dri · required field | `` -> `current_dri: `
                status · required field | `` -> `status: `
                created_by · schema field | `` -> `created_by: `
                created_date · schema field | `` -> `created_date: `
                schema_version · schema field | `` -> `schema_version: `
                priority · schema field | `` -> `priority: `
                effort_estimate · schema field | `` -> `effort_estimate: `
                tags · schema field | `` -> `tags: [$1]` [snippet]
                blocked_by · schema field | `` -> `blocked_by: `
                paused_reason · schema field | `` -> `paused_reason: `
                blocks · schema field | `` -> `blocks: [$1]` [snippet]
                related_to · schema field | `` -> `related_to: [$1]` [snippet]
                split_into · schema field | `` -> `split_into: [$1]` [snippet]
                split_from · schema field | `` -> `split_from: `
                split_date · workflow extension field | `` -> `split_date: `
                split_reason · workflow extension field | `` -> `split_reason: `
                split_part · workflow extension field | `` -> `split_part: `
                canceled_reason · workflow extension field | `` -> `canceled_reason: `
                expected_resume_date · workflow extension field | `` -> `expected_resume_date: `
                paused_date · workflow extension field | `` -> `paused_date: `
                previous_dris · workflow extension field | `` -> `previous_dris: [$1]` [snippet]
                last_updated · workflow extension field | `` -> `last_updated: `
            "#]],
        );
        // A key being typed is replaced whole.
        let typed = fixture.replacen("$0\n", "prio$0\n", 1);
        let rendered = render(&typed, &config());
        assert!(
            rendered.contains("priority · schema field | `prio` -> `priority: `\n"),
            "{rendered}"
        );
    }

    /// Namespace FW: TASK-FW-0001..0003 and a root task TASK-0002, in the unified layout.
    fn namespaced(fields: &str) -> String {
        format!(
            "{COUNTER}//- /NAMESPACES.yaml\nnamespaces:\n  FW: {{}}\n{}{}{}{}",
            package("backlog/TASK-FW-0001-a", ""),
            package("backlog/TASK-FW-0002-b", ""),
            package("next/TASK-FW-0003-c", fields),
            package("backlog/TASK-0002-x", ""),
        )
    }

    #[test]
    fn unqualified_ids_in_a_namespaced_card_mean_its_namespace() {
        // `"0001"` means TASK-FW-0001, so it is left out; FW tasks rank before the root's.
        check(
            &namespaced("depends_on: [\"0001\", 00$0]"),
            expect![[r#"
                TASK-FW-0002 · Task FW-0002 · backlog · active | `00` -> `"TASK-FW-0002"`
                TASK-0002 · Task 0002 · backlog · active | `00` -> `"TASK-0002"`
            "#]],
        );
        let list = complete_at(&namespaced("depends_on: [TASK-00$0]"), &config()).unwrap();
        let filters: Vec<&str> = list
            .items
            .iter()
            .filter_map(|item| item.filter_text.as_deref())
            .collect();
        assert_eq!(
            filters,
            [
                "TASK-FW-0002 TASK-0002 Task FW-0002",
                "TASK-FW-0001 TASK-0001 Task FW-0001",
                "TASK-0002 Task 0002"
            ]
        );
        // Qualified spellings are filtered by namespace.
        check(
            &namespaced("related_to: [TASK-FW-0001, FW-$0]"),
            expect![[r#"
                TASK-FW-0002 · Task FW-0002 · backlog · active | `FW-` -> `TASK-FW-0002`
            "#]],
        );
    }

    #[test]
    fn candidates_closing_a_cycle_are_last_and_deprecated() {
        // 0003 → 0002 → 0001: letting 0001 depend on either closes a cycle.
        let fixture = format!(
            "{COUNTER}{}{}{}{}",
            package("backlog/TASK-0001-a", "depends_on: [$0]"),
            package("backlog/TASK-0002-b", "depends_on: [TASK-0001]"),
            package("backlog/TASK-0003-c", "depends_on: [TASK-0002]"),
            package("archived/TASK-0009-z", ""),
        );
        check(
            &fixture,
            expect![[r#"
                TASK-0009 · Task 0009 · archived · active | `` -> `TASK-0009`
                TASK-0002 · Task 0002 · backlog · active · closes a cycle: TASK-0001 → TASK-0002 → TASK-0001 | `` -> `TASK-0002` [deprecated]
                TASK-0003 · Task 0003 · backlog · active · closes a cycle: TASK-0001 → TASK-0003 → TASK-0002 → TASK-0001 | `` -> `TASK-0003` [deprecated]
            "#]],
        );
        // The converse for `blocks`: 0001 already depends on 0002 through 0003.
        let fixture = format!(
            "{COUNTER}{}{}{}",
            package(
                "backlog/TASK-0001-a",
                "depends_on: [TASK-0003]\nblocks: [$0]"
            ),
            package("backlog/TASK-0002-b", ""),
            package("backlog/TASK-0003-c", "depends_on: [TASK-0002]"),
        );
        check(
            &fixture,
            expect![[r#"
                TASK-0002 · Task 0002 · backlog · active · closes a cycle: TASK-0002 → TASK-0001 → TASK-0003 → TASK-0002 | `` -> `TASK-0002` [deprecated]
                TASK-0003 · Task 0003 · backlog · active · closes a cycle: TASK-0003 → TASK-0001 → TASK-0003 | `` -> `TASK-0003` [deprecated]
            "#]],
        );
    }

    #[test]
    fn more_candidates_than_the_limit_are_capped_and_incomplete() {
        let mut fixture = format!(
            "{COUNTER}{}",
            package("backlog/TASK-0001-a", "related_to: [TASK-$0]")
        );
        for number in 2..=150 {
            fixture.push_str(&package(&format!("backlog/TASK-{number:04}-t"), ""));
        }
        let list = complete_at(&fixture, &config()).unwrap();
        assert!(list.is_incomplete);
        assert_eq!(list.items.len(), 100);
        // Nearest IDs first.
        assert_eq!(list.items[0].label, "TASK-0002");
        assert_eq!(list.items[99].label, "TASK-0101");
        // Typing narrows the list below the cap.
        let narrowed =
            complete_at(&fixture.replacen("TASK-$0", "TASK-014$0", 1), &config()).unwrap();
        assert!(!narrowed.is_incomplete);
        let labels: Vec<&str> = narrowed
            .items
            .iter()
            .map(|item| item.label.as_str())
            .collect();
        assert_eq!(
            labels,
            [
                "TASK-0140",
                "TASK-0141",
                "TASK-0142",
                "TASK-0143",
                "TASK-0144",
                "TASK-0145",
                "TASK-0146",
                "TASK-0147",
                "TASK-0148",
                "TASK-0149"
            ]
        );
    }

    /// The ranking as it was before the task order: every task of the root scored and
    /// sorted. The walk must give the same list.
    fn rank_every_task(ranking: &Ranking, limit: usize) -> (Vec<(bool, TaskIdx)>, bool) {
        let workspace = ranking.workspace;
        let mut all: Vec<(Rank, TaskIdx)> = workspace.roots[ranking.root]
            .tasks
            .iter()
            .filter(|&&idx| {
                let task = workspace.task(idx);
                workspace.owners(ranking.root, &task.id).first() == Some(&idx)
                    && ranking.wanted(task)
            })
            .map(|&idx| (ranking.rank(idx), idx))
            .collect();
        all.sort();
        let is_incomplete = all.len() > limit;
        all.truncate(limit);
        let ranked = all
            .into_iter()
            .map(|(rank, idx)| (rank.closes_cycle, idx))
            .collect();
        (ranked, is_incomplete)
    }

    #[test]
    fn the_walk_ranks_as_scoring_every_task_would() {
        const TYPED: [&str; 9] = ["", "TASK-", "00", "1", "2", "FW-", "FW-00", "task", "b"];
        for seed in 1..=120u64 {
            let mut dice = Dice::new(seed);
            let count = 1 + dice.roll(30);
            let mut fixture = format!("{COUNTER}//- /NAMESPACES.yaml\nnamespaces:\n  FW: {{}}\n");
            let mut ids = Vec::new();
            for _ in 0..count {
                // Numbers from a small range, so that IDs repeat (duplicates) and sit at
                // equal distances on both sides of the own task.
                let number = 1 + dice.roll(30);
                let short = if dice.roll(3) == 0 {
                    format!("FW-{number:04}")
                } else {
                    format!("{number:04}")
                };
                ids.push(short);
            }
            for (at, short) in ids.iter().enumerate() {
                let depends_on: Vec<String> = (0..dice.roll(3))
                    .map(|_| format!("TASK-{}", ids[dice.roll(ids.len())]))
                    .collect();
                let stage = Stage::ALL[dice.roll(Stage::ALL.len())];
                fixture.push_str(&package(
                    &format!("{stage}/TASK-{short}-t{at}"),
                    &format!("depends_on: [{}]", depends_on.join(", ")),
                ));
            }
            let workspace = workspace(&fixture);
            let own = TaskIdx(dice.roll(workspace.tasks.len()) as u32);
            let own_task = workspace.task(own);
            let relation = [Relation::DependsOn, Relation::Blocks, Relation::Other][dice.roll(3)];
            let listed: HashSet<TaskId> = (0..dice.roll(4))
                .map(|_| workspace.tasks[dice.roll(workspace.tasks.len())].id.clone())
                .collect();
            let site = RefSite {
                token: Token {
                    range: TextRange::new(0, 0),
                    opened: None,
                    closed: false,
                },
                before: String::new(),
                after: String::new(),
                listed,
                own: (dice.roll(5) != 0).then_some(own),
                namespace: own_task.namespace().map(str::to_string),
                relation,
            };
            let query = Query::new(TYPED[dice.roll(TYPED.len())]);
            let cycles = CyclePaths::compute(&workspace, 0, site.own, relation);
            let ranking = Ranking {
                workspace: &workspace,
                root: 0,
                site: &site,
                query: query.as_ref(),
                cycles: cycles.as_ref(),
            };
            let limit = dice.roll(12);
            assert_eq!(
                ranking.best(limit),
                rank_every_task(&ranking, limit),
                "seed {seed}"
            );
        }
    }

    #[test]
    fn a_request_looks_at_what_it_returns_not_at_the_whole_root() {
        // Tasks near the own one come first, so a request with a limit of 10 looks at about
        // 10 tasks whether the root has 50 or 600.
        let visited = |tasks: u32| {
            let mut fixture = format!(
                "{COUNTER}{}",
                package("backlog/TASK-0025-a", "related_to: [TASK-$0]")
            );
            for number in (1..=tasks).filter(|&number| number != 25) {
                let stage = if number % 3 == 0 {
                    "archived"
                } else {
                    "backlog"
                };
                fixture.push_str(&package(&format!("{stage}/TASK-{number:04}-t"), ""));
            }
            let config = CompletionConfig {
                limit: 10,
                ..config()
            };
            VISITED.with(|count| count.set(0));
            let list = complete_at(&fixture, &config).unwrap();
            assert_eq!(list.items.len(), 10);
            assert!(list.is_incomplete);
            VISITED.with(std::cell::Cell::get)
        };
        assert_eq!(visited(50), visited(600));
        // The ten shown, the one telling the list is incomplete, and the own task.
        assert_eq!(visited(50), 12);
    }

    #[test]
    fn nothing_outside_the_model_or_in_history_files() {
        // A README is not part of the model, so no request can even name it.
        let workspace = workspace(&format!("{}//- /notes/README.md\nSee TASK-00\n", tasks("")));
        assert_eq!(
            workspace.file_by_path(&Path::new(ROOT).join("notes/README.md")),
            None
        );
        // Unknown files and offsets past the text.
        assert_eq!(completion(&workspace, FileId(u32::MAX), 0, &config()), None);
        assert_eq!(
            completion(&workspace, FileId(0), usize::MAX, &config()),
            None
        );
        // An earlier card version is history, not a live card.
        check(
            &format!(
                "{}//- /backlog/TASK-0001-a/0001-a.task.v1.md\nSee TASK-00$0\n",
                tasks("")
            ),
            expect!["(none)\n"],
        );
        // The fences.
        check(
            &tasks("").replacen("---\n", "--$0-\n", 1),
            expect!["(none)\n"],
        );
    }
}
