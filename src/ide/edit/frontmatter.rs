//! Frontmatter edits: set a top-level scalar field, and add, remove or replace an item of a
//! list field, keeping quote style, list style, comments and line endings as written.
//!
//! The YAML adapter gives exact ranges for scalars but only the first token of a collection
//! (see `syntax::yaml`), so the ends of flow lists and block lists are found here, from the
//! text: a flow list ends at its matching bracket, a block list at the last line before the
//! next top-level key.

use crate::base::TextRange;
use crate::ide::edit::{
    line_content_end, line_end_inclusive, line_ending, line_start, remove_line, splice,
};
use crate::syntax::card::{Frontmatter, FrontmatterBlock, FrontmatterEntry, parse_frontmatter};
use crate::syntax::yaml::{YamlNode, YamlValue, parse_yaml};

/// The value [`set_field`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewValue<'a> {
    Str(&'a str),
    Null,
}

/// Sets the top-level field `key` to `value`. A string keeps the quote style of the value it
/// replaces; it is double-quoted when the old value was not a string, was empty, or was plain
/// but the new text would not read back as the same string unquoted. An absent key is added
/// as `key: "value"` after the last entry. A list or mapping value is replaced as a whole.
pub fn set_field(text: &str, key: &str, value: &NewValue) -> Option<String> {
    let block = block(text)?;
    let Some(entry) = block.get(key) else {
        return checked(insert_entry(
            text,
            &block,
            key,
            &render(value, Quote::Double, false),
        ));
    };
    let new = match span_of(text, &block, entry)? {
        Span::Scalar(range) => {
            let style = quote_of(&entry.value, text).unwrap_or(Quote::Double);
            replace(text, range, &render(value, style, false))
        }
        Span::Empty(at) => splice(
            text,
            at,
            at,
            &format!(" {}", render(value, Quote::Double, false)),
        ),
        Span::Flow(range) => replace(text, range, &render(value, Quote::Double, false)),
        Span::Block(range) => replace(
            text,
            range,
            &format!(" {}", render(value, Quote::Double, false)),
        ),
    };
    checked(new)
}

/// Appends `item` to the list field `key`, quoted like the list's last item (a new or empty
/// list gets a double-quoted one). A flow list gets `, item` with the separator its items
/// already use; a block list gets a new `- item` line indented like the last one. A null or
/// absent field becomes `["item"]`. None when the field holds something other than a list
/// of plain values.
pub fn add_list_item(text: &str, key: &str, item: &str) -> Option<String> {
    let block = block(text)?;
    let fresh = || format!("[{}]", scalar(item, Quote::Double, true));
    let Some(entry) = block.get(key) else {
        return checked(insert_entry(text, &block, key, &fresh()));
    };
    let span = span_of(text, &block, entry)?;
    let new = match (&entry.value.value, span) {
        (YamlValue::Null, Span::Empty(at)) => splice(text, at, at, &format!(" {}", fresh())),
        (YamlValue::Null, Span::Scalar(range)) => replace(text, range, &fresh()),
        (YamlValue::Seq(items), Span::Flow(range)) => {
            let Some(last) = items.last() else {
                let inside = TextRange::new(range.start as usize + 1, range.end as usize - 1);
                return checked(replace(text, inside, &scalar(item, Quote::Double, true)));
            };
            if !all_scalars(items) {
                return None;
            }
            let style = quote_of(last, text).unwrap_or(Quote::Double);
            let separator = match items.len() {
                n if n >= 2 => TextRange::new(
                    items[n - 2].range.end as usize,
                    items[n - 1].range.start as usize,
                )
                .slice(text),
                _ => ", ",
            };
            let separator = if separator.trim() == "," {
                separator
            } else {
                ", "
            };
            let at = last.range.end as usize;
            splice(
                text,
                at,
                at,
                &format!("{separator}{}", scalar(item, style, true)),
            )
        }
        (YamlValue::Seq(items), Span::Block(_)) => {
            let last = items.last()?;
            if !all_scalars(items) {
                return None;
            }
            let style = quote_of(last, text).unwrap_or(Quote::Double);
            let prefix =
                &text[line_start(text, last.range.start as usize)..last.range.start as usize];
            if prefix.trim() != "-" {
                return None;
            }
            let at = line_content_end(text, last.range.end as usize);
            let eol = line_ending(text);
            splice(
                text,
                at,
                at,
                &format!("{eol}{prefix}{}", scalar(item, style, false)),
            )
        }
        _ => return None,
    };
    checked(new)
}

/// Removes item `index` of the list field `key`: from a flow list with one adjacent `, `,
/// from a block list as its whole line. Removing the only item leaves `[]`.
pub fn remove_list_item(text: &str, key: &str, index: usize) -> Option<String> {
    let block = block(text)?;
    let entry = block.get(key)?;
    let YamlValue::Seq(items) = &entry.value.value else {
        return None;
    };
    let item = items.get(index)?;
    if !all_scalars(items) {
        return None;
    }
    let new = match span_of(text, &block, entry)? {
        Span::Flow(range) if items.len() == 1 => replace(
            text,
            TextRange::new(range.start as usize + 1, range.end as usize - 1),
            "",
        ),
        Span::Flow(_) if index + 1 < items.len() => splice(
            text,
            item.range.start as usize,
            items[index + 1].range.start as usize,
            "",
        ),
        Span::Flow(_) => splice(
            text,
            items[index - 1].range.end as usize,
            item.range.end as usize,
            "",
        ),
        Span::Block(range) if items.len() == 1 => replace(text, range, " []"),
        Span::Block(_) if !item.range.slice(text).contains('\n') => {
            remove_line(text, item.range.start as usize)
        }
        _ => return None,
    };
    checked(new)
}

/// Replaces item `index` of the list field `key` with `item`, quoted like the item it
/// replaces (double-quoted when that was not a string).
pub fn replace_list_item(text: &str, key: &str, index: usize, item: &str) -> Option<String> {
    let block = block(text)?;
    let entry = block.get(key)?;
    let YamlValue::Seq(items) = &entry.value.value else {
        return None;
    };
    let old = items.get(index)?;
    if !all_scalars(std::slice::from_ref(old)) {
        return None;
    }
    let style = quote_of(old, text).unwrap_or(Quote::Double);
    let in_flow = matches!(span_of(text, &block, entry)?, Span::Flow(_));
    checked(replace(text, old.range, &scalar(item, style, in_flow)))
}

/// The frontmatter block, when it is present and valid YAML: edits never guess around a
/// syntax error.
fn block(text: &str) -> Option<FrontmatterBlock> {
    match parse_frontmatter(text).0 {
        Frontmatter::Present(block) if block.error.is_none() => Some(block),
        _ => None,
    }
}

/// The edited text, if its frontmatter still parses: a safety net, so an edit that would
/// break the YAML is refused rather than offered.
fn checked(new: String) -> Option<String> {
    block(&new).map(|_| new)
}

fn replace(text: &str, range: TextRange, insert: &str) -> String {
    splice(text, range.start as usize, range.end as usize, insert)
}

/// How a string scalar is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quote {
    Plain,
    Single,
    Double,
}

/// The quote style of a string node; None for any other kind of value.
fn quote_of(node: &YamlNode, text: &str) -> Option<Quote> {
    match node.value {
        YamlValue::Str { quoted: false, .. } => Some(Quote::Plain),
        YamlValue::Str { quoted: true, .. } => {
            match text.as_bytes().get(node.range.start as usize) {
                Some(b'\'') => Some(Quote::Single),
                _ => Some(Quote::Double),
            }
        }
        _ => None,
    }
}

fn all_scalars(items: &[YamlNode]) -> bool {
    items
        .iter()
        .all(|item| !matches!(item.value, YamlValue::Seq(_) | YamlValue::Map(_)))
}

fn render(value: &NewValue, style: Quote, in_flow: bool) -> String {
    match value {
        NewValue::Str(text) => scalar(text, style, in_flow),
        NewValue::Null => "null".to_string(),
    }
}

/// `value` as a YAML scalar in `style`. Plain only when YAML reads it back as the same string
/// (`0042`, `null` or `@ana` would not be); single quotes only for text without control
/// characters; otherwise double quotes.
fn scalar(value: &str, style: Quote, in_flow: bool) -> String {
    match style {
        Quote::Plain if reads_back_plain(value, in_flow) => value.to_string(),
        Quote::Single if !value.chars().any(char::is_control) => {
            format!("'{}'", value.replace('\'', "''"))
        }
        _ => double_quoted(value),
    }
}

fn double_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for ch in value.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ch if ch.is_control() => out.push_str(&format!("\\u{:04X}", ch as u32)),
            ch => out.push(ch),
        }
    }
    out.push('"');
    out
}

/// Whether `value` written without quotes reads back as that very string. Asking the parser
/// is the only reliable test: YAML's rules for numbers, booleans, nulls and indicator
/// characters are many. `#` and flow punctuation are refused outright to stay clear of
/// comments and list syntax.
fn reads_back_plain(value: &str, in_flow: bool) -> bool {
    if value.is_empty()
        || value.trim() != value
        || value.contains('#')
        || value.chars().any(char::is_control)
        || (in_flow && value.contains([',', '[', ']', '{', '}']))
    {
        return false;
    }
    let doc = if in_flow {
        format!("k: [{value}]\n")
    } else {
        format!("k: {value}\n")
    };
    let Ok(Some(root)) = parse_yaml(&doc, 0) else {
        return false;
    };
    let YamlValue::Map(entries) = &root.value else {
        return false;
    };
    let Some((_, node)) = entries.first() else {
        return false;
    };
    let node = match (&node.value, in_flow) {
        (YamlValue::Seq(items), true) if items.len() == 1 => &items[0],
        (_, true) => return false,
        (_, false) => node,
    };
    matches!(&node.value, YamlValue::Str { text, quoted: false } if text == value)
}

/// Where an entry's value sits in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Span {
    /// A scalar after the key (several lines when quoted or folded).
    Scalar(TextRange),
    /// Nothing after the colon (`key:`), which YAML reads as null: the offset after the colon.
    Empty(usize),
    /// A flow collection, from its opening bracket to just past the closing one.
    Flow(TextRange),
    /// A block collection on the lines below the key: from just after the colon to the end
    /// of its last line (line ending excluded).
    Block(TextRange),
}

fn span_of(text: &str, block: &FrontmatterBlock, entry: &FrontmatterEntry) -> Option<Span> {
    let node = &entry.value;
    let start = node.range.start as usize;
    match &node.value {
        YamlValue::Seq(_) | YamlValue::Map(_) => {
            if matches!(text.as_bytes().get(start), Some(b'[' | b'{')) {
                let close = matching_close(text, start, block.content_range.end as usize)?;
                Some(Span::Flow(TextRange::new(start, close + 1)))
            } else {
                let colon = colon_after_key(text, entry)?;
                let end = entry_end(text, block, entry);
                Some(Span::Block(TextRange::new(colon + 1, end.max(colon + 1))))
            }
        }
        YamlValue::Null if node.range.is_empty() => {
            Some(Span::Empty(colon_after_key(text, entry)? + 1))
        }
        _ => Some(Span::Scalar(node.range)),
    }
}

/// The `:` that ends the key of `entry`, on the key's line.
fn colon_after_key(text: &str, entry: &FrontmatterEntry) -> Option<usize> {
    let from = entry.key_range.end as usize;
    let line_end = line_content_end(text, from);
    text[from..line_end].find(':').map(|at| from + at)
}

/// The end of the last line (line ending excluded) that belongs to `entry`: lines up to the
/// next top-level key, less trailing blank and comment-only lines.
fn entry_end(text: &str, block: &FrontmatterBlock, entry: &FrontmatterEntry) -> usize {
    let key_start = entry.key_range.start as usize;
    let limit = block
        .entries
        .iter()
        .map(|other| other.key_range.start as usize)
        .filter(|&start| start > key_start)
        .min()
        .map_or(block.content_range.end as usize, |start| {
            line_start(text, start)
        });
    let mut end = line_content_end(text, key_start);
    let mut at = line_end_inclusive(text, key_start);
    while at < limit {
        let content_end = line_content_end(text, at);
        let line = text[at..content_end].trim();
        if !line.is_empty() && !line.starts_with('#') {
            end = content_end;
        }
        at = line_end_inclusive(text, at);
    }
    end
}

/// The offset of the bracket closing the flow collection opened at `open`, skipping quoted
/// strings and comments; None when it is not closed before `limit`.
fn matching_close(text: &str, open: usize, limit: usize) -> Option<usize> {
    let bytes = &text.as_bytes()[..limit.min(text.len())];
    let mut depth = 0usize;
    let mut at = open;
    while at < bytes.len() {
        let previous = if at > 0 { bytes[at - 1] } else { b'\n' };
        match bytes[at] {
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(at);
                }
            }
            // A quote only opens a string at the start of a value; `don't` is plain text.
            quote @ (b'"' | b'\'')
                if matches!(previous, b'[' | b'{' | b',' | b':' | b' ' | b'\t' | b'\n') =>
            {
                at += 1;
                while at < bytes.len() {
                    match bytes[at] {
                        b'\\' if quote == b'"' => at += 1,
                        b'\'' if quote == b'\'' && bytes.get(at + 1) == Some(&b'\'') => at += 1,
                        byte if byte == quote => break,
                        _ => {}
                    }
                    at += 1;
                }
            }
            b'#' if matches!(previous, b' ' | b'\t' | b'\n') => {
                while at < bytes.len() && bytes[at] != b'\n' {
                    at += 1;
                }
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    None
}

/// Adds the line `key: value` after the last entry (before the closing `---` when there is
/// none).
fn insert_entry(text: &str, block: &FrontmatterBlock, key: &str, value: &str) -> String {
    let at = block
        .entries
        .iter()
        .max_by_key(|entry| entry.key_range.start)
        .map_or(block.content_range.end as usize, |last| {
            line_end_inclusive(text, entry_end(text, block, last))
        });
    let eol = line_ending(text);
    splice(text, at, at, &format!("{key}: {value}{eol}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str, key: &str, value: &str) -> String {
        set_field(text, key, &NewValue::Str(value)).expect("set_field refused")
    }

    #[test]
    fn set_field_keeps_the_quote_style_and_the_comment() {
        let text = "---\nstage: \"inbox\" # folder\nname: 'A'\nplain: next\n---\nbody\n";
        assert_eq!(
            set(text, "stage", "backlog"),
            "---\nstage: \"backlog\" # folder\nname: 'A'\nplain: next\n---\nbody\n"
        );
        assert_eq!(
            set(text, "name", "It's"),
            "---\nstage: \"inbox\" # folder\nname: 'It''s'\nplain: next\n---\nbody\n"
        );
        assert_eq!(
            set(text, "plain", "backlog"),
            "---\nstage: \"inbox\" # folder\nname: 'A'\nplain: backlog\n---\nbody\n"
        );
        // A plain value whose new text would read as something else gets double quotes.
        assert_eq!(
            set(text, "plain", "0042"),
            "---\nstage: \"inbox\" # folder\nname: 'A'\nplain: \"0042\"\n---\nbody\n"
        );
        assert_eq!(
            set(text, "plain", "@ana"),
            "---\nstage: \"inbox\" # folder\nname: 'A'\nplain: \"@ana\"\n---\nbody\n"
        );
    }

    #[test]
    fn set_field_quotes_numbers_nulls_and_empty_values() {
        let text = "---\ntask_id: 0042\nblocked_by: null\npaused_reason:\nnote: x\n---\n";
        assert_eq!(
            set(text, "task_id", "0042"),
            "---\ntask_id: \"0042\"\nblocked_by: null\npaused_reason:\nnote: x\n---\n"
        );
        assert_eq!(
            set(text, "blocked_by", "task:TASK-0002"),
            "---\ntask_id: 0042\nblocked_by: \"task:TASK-0002\"\npaused_reason:\nnote: x\n---\n"
        );
        assert_eq!(
            set(text, "paused_reason", "waiting \"on\" ops"),
            "---\ntask_id: 0042\nblocked_by: null\npaused_reason: \"waiting \\\"on\\\" ops\"\nnote: x\n---\n"
        );
        assert_eq!(
            set_field(text, "note", &NewValue::Null).unwrap(),
            "---\ntask_id: 0042\nblocked_by: null\npaused_reason:\nnote: null\n---\n"
        );
    }

    #[test]
    fn set_field_adds_an_absent_key_after_the_last_entry() {
        let text = "---\na: 1\nlist:\n  - x\n  - y\n\n# trailing comment\n---\n";
        assert_eq!(
            set(text, "stage", "next"),
            "---\na: 1\nlist:\n  - x\n  - y\nstage: \"next\"\n\n# trailing comment\n---\n"
        );
        assert_eq!(
            set("---\n---\n", "stage", "next"),
            "---\nstage: \"next\"\n---\n"
        );
    }

    #[test]
    fn set_field_replaces_a_whole_list() {
        let text = "---\ndeps:\n  - a\n  - b\nnext: 1\n---\n";
        assert_eq!(
            set_field(text, "deps", &NewValue::Null).unwrap(),
            "---\ndeps: null\nnext: 1\n---\n"
        );
        let flow = "---\ndeps: [a, \"b]\"] # c\n---\n";
        assert_eq!(
            set_field(flow, "deps", &NewValue::Null).unwrap(),
            "---\ndeps: null # c\n---\n"
        );
    }

    #[test]
    fn crlf_and_bom_are_kept() {
        let text = "\u{feff}---\r\nstage: inbox\r\ntags: [a]\r\n---\r\n## Goal\r\n";
        assert_eq!(
            set(text, "stage", "next"),
            "\u{feff}---\r\nstage: next\r\ntags: [a]\r\n---\r\n## Goal\r\n"
        );
        assert_eq!(
            set(text, "status", "active"),
            "\u{feff}---\r\nstage: inbox\r\ntags: [a]\r\nstatus: \"active\"\r\n---\r\n## Goal\r\n"
        );
        let block = "---\r\ndeps:\r\n  - \"a\"\r\n---\r\n";
        assert_eq!(
            add_list_item(block, "deps", "b").unwrap(),
            "---\r\ndeps:\r\n  - \"a\"\r\n  - \"b\"\r\n---\r\n"
        );
        assert_eq!(
            remove_list_item("---\r\ndeps:\r\n  - a\r\n  - b\r\n---\r\n", "deps", 0).unwrap(),
            "---\r\ndeps:\r\n  - b\r\n---\r\n"
        );
    }

    #[test]
    fn add_to_flow_lists_follows_the_items() {
        let add = |text: &str, item: &str| add_list_item(text, "deps", item).unwrap();
        assert_eq!(
            add("---\ndeps: [\"0001\", \"0002\"]\n---\n", "TASK-0003"),
            "---\ndeps: [\"0001\", \"0002\", \"TASK-0003\"]\n---\n"
        );
        assert_eq!(
            add("---\ndeps: [TASK-0001,TASK-0002]\n---\n", "TASK-0003"),
            "---\ndeps: [TASK-0001,TASK-0002,TASK-0003]\n---\n"
        );
        // Plain items, but the new one would read as a number: quoted.
        assert_eq!(
            add("---\ndeps: [TASK-0001]\n---\n", "0003"),
            "---\ndeps: [TASK-0001, \"0003\"]\n---\n"
        );
        assert_eq!(
            add("---\ndeps: ['a'] # keep\n---\n", "b"),
            "---\ndeps: ['a', 'b'] # keep\n---\n"
        );
        assert_eq!(
            add("---\ndeps: []\n---\n", "TASK-0003"),
            "---\ndeps: [\"TASK-0003\"]\n---\n"
        );
        assert_eq!(
            add("---\ndeps: [\n  a,\n  b\n]\n---\n", "c"),
            "---\ndeps: [\n  a,\n  b,\n  c\n]\n---\n"
        );
    }

    #[test]
    fn add_to_block_null_and_absent_lists() {
        let add = |text: &str| add_list_item(text, "deps", "TASK-0003").unwrap();
        assert_eq!(
            add("---\ndeps:\n- TASK-0001  # first\nnext: 1\n---\n"),
            "---\ndeps:\n- TASK-0001  # first\n- TASK-0003\nnext: 1\n---\n"
        );
        assert_eq!(
            add("---\ndeps:\n    -   'TASK-0001'\n---\n"),
            "---\ndeps:\n    -   'TASK-0001'\n    -   'TASK-0003'\n---\n"
        );
        assert_eq!(
            add("---\ndeps: null\n---\n"),
            "---\ndeps: [\"TASK-0003\"]\n---\n"
        );
        assert_eq!(
            add("---\ndeps:\n---\n"),
            "---\ndeps: [\"TASK-0003\"]\n---\n"
        );
        assert_eq!(
            add("---\nname: x\n---\n"),
            "---\nname: x\ndeps: [\"TASK-0003\"]\n---\n"
        );
        // Not a list: nothing to add to.
        assert_eq!(add_list_item("---\ndeps: TASK-1\n---\n", "deps", "x"), None);
        // Broken YAML is never edited.
        assert_eq!(add_list_item("---\ndeps: [a\n---\n", "deps", "x"), None);
    }

    #[test]
    fn remove_from_flow_and_block_lists() {
        let remove = |text: &str, index| remove_list_item(text, "deps", index).unwrap();
        let flow = "---\ndeps: [\"a\", b, 'c']\n---\n";
        assert_eq!(remove(flow, 0), "---\ndeps: [b, 'c']\n---\n");
        assert_eq!(remove(flow, 1), "---\ndeps: [\"a\", 'c']\n---\n");
        assert_eq!(remove(flow, 2), "---\ndeps: [\"a\", b]\n---\n");
        assert_eq!(remove("---\ndeps: [ a ]\n---\n", 0), "---\ndeps: []\n---\n");
        let block = "---\ndeps:\n  - a\n  - b # why\nnext: 1\n---\n";
        assert_eq!(remove(block, 1), "---\ndeps:\n  - a\nnext: 1\n---\n");
        assert_eq!(remove(block, 0), "---\ndeps:\n  - b # why\nnext: 1\n---\n");
        assert_eq!(
            remove("---\ndeps:\n  - a\nnext: 1\n---\n", 0),
            "---\ndeps: []\nnext: 1\n---\n"
        );
        assert_eq!(remove_list_item(flow, "deps", 3), None);
        assert_eq!(remove_list_item(flow, "other", 0), None);
    }

    #[test]
    fn replace_keeps_each_items_quoting() {
        let text = "---\ndeps: [\"0099\", TASK-0098]\nblock:\n  - 'x'\n---\n";
        assert_eq!(
            replace_list_item(text, "deps", 0, "0002").unwrap(),
            "---\ndeps: [\"0002\", TASK-0098]\nblock:\n  - 'x'\n---\n"
        );
        assert_eq!(
            replace_list_item(text, "deps", 1, "TASK-0003").unwrap(),
            "---\ndeps: [\"0099\", TASK-0003]\nblock:\n  - 'x'\n---\n"
        );
        assert_eq!(
            replace_list_item("---\ndeps: [0002, x]\n---\n", "deps", 0, "0002").unwrap(),
            "---\ndeps: [\"0002\", x]\n---\n"
        );
        assert_eq!(
            replace_list_item(text, "block", 0, "y").unwrap(),
            "---\ndeps: [\"0099\", TASK-0098]\nblock:\n  - 'y'\n---\n"
        );
    }

    #[test]
    fn plain_text_is_only_kept_plain_when_it_reads_back() {
        for (value, plain) in [
            ("TASK-0001", true),
            ("backlog", true),
            ("task:TASK-0002", true),
            ("0042", false),
            ("1.0", false),
            ("null", false),
            ("true", false),
            ("@ana", false),
            ("a: b", false),
            ("x # y", false),
            ("", false),
            (" lead", false),
        ] {
            assert_eq!(reads_back_plain(value, false), plain, "{value}");
        }
        assert!(!reads_back_plain("a, b", true));
    }
}
