//! The YAML adapter: serde-saphyr behind a small positioned tree of our own.
//!
//! serde-saphyr deserializes straight into Rust types; we ask it for a generic node wrapped in
//! its `Spanned<T>` at every level, so every key, value and list item carries its byte range.
//! Resource budgets are set tight: a frontmatter block is a few dozen keys, so anything deep,
//! huge or alias-heavy is an error long before it costs real time or memory.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::base::{TextRange, floor_char_boundary};
use crate::syntax::limits::{
    Cap, MAX_YAML_ALIAS_NESTING, MAX_YAML_ALIAS_VALUES, MAX_YAML_ALIASES, MAX_YAML_DEPTH,
    MAX_YAML_NODES, MAX_YAML_TEXT_BYTES, format_bytes, format_count,
};

/// One YAML value with the byte range of its source text (quotes included for quoted
/// scalars; a collection's range is its first token, since the parser reports no end).
#[derive(Clone, Debug, PartialEq)]
pub struct YamlNode {
    pub value: YamlValue,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq)]
pub enum YamlValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string scalar; `quoted` tells `"0042"` from a plain scalar that YAML chose to read as
    /// a string.
    Str {
        text: String,
        quoted: bool,
    },
    Seq(Vec<YamlNode>),
    Map(Vec<(YamlNode, YamlNode)>),
}

impl YamlNode {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            YamlValue::Str { text, .. } => Some(text),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, YamlValue::Null)
    }

    /// The range of a string's content, without surrounding quotes.
    pub fn inner_range(&self) -> TextRange {
        match self.value {
            YamlValue::Str { quoted: true, .. } if self.range.len() >= 2 => {
                TextRange::new(self.range.start as usize + 1, self.range.end as usize - 1)
            }
            _ => self.range,
        }
    }

    /// A short name of the value's type, for messages ("a number", "a list").
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            YamlValue::Null => "null",
            YamlValue::Bool(_) => "a boolean",
            YamlValue::Int(_) | YamlValue::Float(_) => "a number",
            YamlValue::Str { .. } => "a string",
            YamlValue::Seq(_) => "a list",
            YamlValue::Map(_) => "a mapping",
        }
    }
}

/// A YAML error with the parser's position, in the parsed text's coordinates, phrased for
/// a writer rather than a programmer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub range: TextRange,
    pub kind: YamlErrorKind,
    /// A `[`, `{` or quote on an earlier line that was never closed and made the parser trip
    /// later, with what went wrong with it ("is never closed").
    pub opener: Option<(TextRange, &'static str)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YamlErrorKind {
    /// The text is not YAML.
    Syntax,
    /// Valid YAML, but not the mapping of fields a frontmatter must be.
    NotAMapping,
    /// The YAML goes over one of the caps of `syntax::limits` (depth, values, aliases, text);
    /// the message names it. Not a mistake in the YAML as such, so the rules report it apart.
    OverCap(Cap),
}

/// Parses `text` as one YAML document. Ranges are shifted by `base` so callers can hand in a
/// slice of a larger file. Never fails: on error the node is `None` and the error says where.
///
/// The usual frontmatter (one `key: value` a line, simple values) is read by a fast path
/// (see `simple_yaml`) that gives the very same result; anything else by serde-saphyr.
pub fn parse_yaml(text: &str, base: usize) -> Result<Option<YamlNode>, YamlError> {
    match crate::syntax::simple_yaml::parse(text, base) {
        Some(root) => Ok(Some(root)),
        None => parse_yaml_fully(text, base),
    }
}

/// [`parse_yaml`] through serde-saphyr alone.
pub(crate) fn parse_yaml_fully(text: &str, base: usize) -> Result<Option<YamlNode>, YamlError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    // A frontmatter block is a few dozen keys, so these caps cost a real card nothing and stop
    // anything deep, huge or alias-heavy long before it costs real time or memory.
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_YAML_DEPTH,
            // The scanner's own bound on `[[[[`, which it checks before the depth budget
            // sees the nesting: the same cap, so both report one number.
            flow_nesting_limit: MAX_YAML_DEPTH,
            max_nodes: MAX_YAML_NODES,
            max_aliases: MAX_YAML_ALIASES,
            // Every event is a value, the end of a list or mapping, or an alias: with the
            // caps above this is never the first to trip.
            max_events: 2 * MAX_YAML_NODES + MAX_YAML_ALIAS_VALUES + MAX_YAML_ALIASES + 16,
            max_total_scalar_bytes: MAX_YAML_TEXT_BYTES,
            max_documents: 1,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_YAML_ALIAS_VALUES,
            max_replay_stack_depth: MAX_YAML_ALIAS_NESTING,
            // One anchor used many times is bounded by the alias count itself.
            max_alias_expansions_per_anchor: MAX_YAML_ALIASES,
        },
        // `n`, `yes` and `off` are strings in YAML 1.2; reading them as booleans would turn
        // a key like `n:` into `false`.
        strict_booleans: true,
        with_snippet: false,
    };
    let parsed: Result<Spanned<RawNode>, serde_saphyr::Error> =
        serde_saphyr::from_str_with_options(text, options);
    match parsed {
        Ok(root) => Ok(Some(convert(root, text, base))),
        Err(error) => Err(error_with_range(&error, text, base)),
    }
}

fn error_with_range(error: &serde_saphyr::Error, text: &str, base: usize) -> YamlError {
    let offset = error.location().and_then(|location| {
        location
            .span()
            .byte_offset()
            .map(|offset| offset as usize)
            .or_else(|| offset_of_line_col(text, location.line(), location.column()))
    });
    let offset = floor_char_boundary(text, offset.unwrap_or(0));
    // Underline one character (or the line end) at the parser's position.
    let end = text[offset..]
        .chars()
        .next()
        .filter(|&ch| ch != '\n')
        .map_or(offset, |ch| offset + ch.len_utf8());
    if let Some((cap, message)) = over_cap(error) {
        return YamlError {
            message,
            range: TextRange::new(offset, end).shifted(base),
            kind: YamlErrorKind::OverCap(cap),
            opener: None,
        };
    }
    let raw = clean_message(&error.to_string());
    // The parser marks a duplicate key by its first character; the whole key reads better.
    let range = match duplicate_key(&raw) {
        Some(key) if text[offset..].starts_with(key) => TextRange::new(offset, offset + key.len()),
        _ => TextRange::new(offset, end),
    };
    let mut message = writer_message(&raw);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    if text[offset..].starts_with(':') && text[line_start..offset].contains(": ") {
        message.push_str("; a value containing `: ` must be put in quotes");
    }
    // A flow list or a string left open swallows the following lines, so the parser trips
    // over a later line; the writer needs to see where the real slip is.
    let opener = match left_open(text, offset) {
        Some(LeftOpen::Bracket(at)) => Some((at, "is never closed")),
        Some(LeftOpen::Quote(at)) => Some((at, "starts a string that is never closed")),
        None => None,
    }
    .filter(|&(at, _)| text[at..offset].contains('\n'))
    .map(|(at, what)| (TextRange::new(at, at + 1).shifted(base), what));
    YamlError {
        message,
        range: range.shifted(base),
        kind: YamlErrorKind::Syntax,
        opener,
    }
}

/// The cap a parser error reports, with a message naming it and its value; None for an error
/// in the YAML itself.
fn over_cap(error: &serde_saphyr::Error) -> Option<(Cap, String)> {
    use serde_saphyr::Error;
    use serde_saphyr::budget::BudgetBreach;
    let mut error = error;
    while let Error::AliasError { error: inner, .. } | Error::WithSnippet { error: inner, .. } =
        error
    {
        error = inner;
    }
    let depth = || {
        let message =
            format!("lists or mappings nest deeper than the {MAX_YAML_DEPTH}-level YAML depth cap");
        Some((Cap::YamlDepth, message))
    };
    let nodes = || {
        let message = format!(
            "more than {} YAML values (keys, items, lists and mappings), over the YAML node cap",
            format_count(MAX_YAML_NODES)
        );
        Some((Cap::YamlNodes, message))
    };
    let aliases =
        |what: String| Some((Cap::YamlAliases, format!("{what}, over the YAML alias cap")));
    match error {
        Error::Budget { breach, .. } => match breach {
            BudgetBreach::Depth { .. } => depth(),
            BudgetBreach::Nodes { .. }
            | BudgetBreach::Events { .. }
            | BudgetBreach::Anchors { .. }
            | BudgetBreach::MergeKeys { .. } => nodes(),
            BudgetBreach::Aliases { .. } | BudgetBreach::AliasAnchorRatio { .. } => {
                aliases(format!("more than {MAX_YAML_ALIASES} aliases (`*name`)"))
            }
            BudgetBreach::RecordedAnchorEvents { .. }
            | BudgetBreach::RecordedAnchorBytes { .. } => {
                aliases("anchors (`&name`) hold too much to repeat".to_string())
            }
            BudgetBreach::ScalarBytes { .. } => Some((
                Cap::YamlText,
                format!(
                    "the YAML's values total more than {} (aliases expanded), over the YAML text cap",
                    format_bytes(MAX_YAML_TEXT_BYTES as u64)
                ),
            )),
            _ => None,
        },
        Error::AliasExpansionLimitExceeded { .. } => aliases(format!(
            "an anchor is used more than {MAX_YAML_ALIASES} times"
        )),
        Error::AliasReplayLimitExceeded { .. } | Error::AliasReplayCounterOverflow { .. } => {
            aliases(format!(
                "aliases (`*name`) expand into more than {} values",
                format_count(MAX_YAML_ALIAS_VALUES)
            ))
        }
        Error::AliasReplayStackDepthExceeded { .. } => aliases(format!(
            "aliases (`*name`) expand inside each other more than {MAX_YAML_ALIAS_NESTING} deep"
        )),
        // The scanner's flow nesting bound, which has no variant of its own.
        _ if error.to_string().starts_with("recursion limit exceeded") => depth(),
        _ => None,
    }
}

/// Rewrites the parser's messages that speak of its own internals.
fn writer_message(message: &str) -> String {
    if let Some(key) = duplicate_key(message) {
        return format!("field `{key}` appears more than once; keep only one");
    }
    if message.contains("Documents") {
        return "only one YAML document is allowed; remove the `---` or `...` line that starts another"
            .to_string();
    }
    message.to_string()
}

/// The key named by the parser's duplicate-key message, without its advice to the programmer.
fn duplicate_key(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("duplicate mapping key: ")?;
    rest.split(", set DuplicateKeyPolicy").next()
}

/// Something left open before the parser's error position, which the parser itself blames
/// on a later line.
enum LeftOpen {
    /// A `[` or `{` starting a flow collection that is never closed.
    Bracket(usize),
    /// A quoted string that runs over a line break up to the error's line: most likely its
    /// closing quote is missing and it swallowed the next field.
    Quote(usize),
}

/// Scans `yaml` up to `end` for a flow collection or quoted string left open. Comments are
/// skipped; outside any collection a bracket or quote only counts when it starts a value,
/// since `task_name: Fix [x` and `Don't` are plain strings in YAML.
fn left_open(yaml: &str, end: usize) -> Option<LeftOpen> {
    let bytes = &yaml.as_bytes()[..end.min(yaml.len())];
    let error_line_start = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut open: Vec<usize> = Vec::new();
    let mut spanning_quote = None;
    // The previous byte, and the previous one that is not a space or tab.
    let mut previous = b'\n';
    let mut previous_solid = b'\n';
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        let token_start = matches!(previous, b' ' | b'\t' | b'\n' | b'[' | b'{' | b',');
        let value_start = !open.is_empty() || matches!(previous_solid, b':' | b'-' | b'\n');
        match byte {
            b'"' | b'\'' if token_start && value_start => {
                let Some(close) = closing_quote(bytes, at) else {
                    return Some(LeftOpen::Quote(at));
                };
                if close >= error_line_start && bytes[at..close].contains(&b'\n') {
                    spanning_quote = Some(at);
                }
                at = close + 1;
                previous = byte;
                previous_solid = byte;
                continue;
            }
            b'#' if matches!(previous, b' ' | b'\t' | b'\n') => {
                at = bytes[at..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |i| at + i);
                continue;
            }
            b'[' | b'{' if token_start && value_start => open.push(at),
            b']' | b'}' if !open.is_empty() => {
                open.pop();
            }
            _ => {}
        }
        previous = byte;
        if !matches!(byte, b' ' | b'\t') {
            previous_solid = byte;
        }
        at += 1;
    }
    match (spanning_quote, open.last()) {
        (Some(quote), _) => Some(LeftOpen::Quote(quote)),
        (None, Some(&bracket)) => Some(LeftOpen::Bracket(bracket)),
        (None, None) => None,
    }
}

/// The offset of the quote closing the string opened at `start`: `\"` escapes a double
/// quote, `''` stands for one single quote.
fn closing_quote(bytes: &[u8], start: usize) -> Option<usize> {
    let quote = bytes[start];
    let mut at = start + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' if quote == b'"' => at += 2,
            b'\'' if quote == b'\'' && bytes.get(at + 1) == Some(&b'\'') => at += 2,
            byte if byte == quote => return Some(at),
            _ => at += 1,
        }
    }
    None
}

/// serde-saphyr appends " at line L, column C" to its messages; the range already says that.
fn clean_message(message: &str) -> String {
    let message = message.lines().next().unwrap_or(message);
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

/// Byte offset of a 1-based line and 1-based character column.
fn offset_of_line_col(text: &str, line: u64, column: u64) -> Option<usize> {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(usize::try_from(line - 2).ok()?)
            .map(|(at, _)| at + 1)?
    };
    let rest = &text[line_start..];
    let column = usize::try_from(column.saturating_sub(1)).ok()?;
    Some(
        rest.char_indices()
            .take_while(|&(_, ch)| ch != '\n')
            .nth(column)
            .map_or(
                line_start + rest.find('\n').unwrap_or(rest.len()),
                |(at, _)| line_start + at,
            ),
    )
}

fn convert(node: Spanned<RawNode>, text: &str, base: usize) -> YamlNode {
    let span = node.referenced.span();
    let start = span.byte_offset().unwrap_or(0) as usize;
    let len = span.byte_len().unwrap_or(0) as usize;
    let start = floor_char_boundary(text, start);
    let end = floor_char_boundary(text, start + len);
    let range = TextRange::new(start, end).shifted(base);
    let value = match node.value {
        RawNode::Null => YamlValue::Null,
        RawNode::Bool(value) => YamlValue::Bool(value),
        RawNode::Int(value) => YamlValue::Int(value),
        RawNode::Float(value) => YamlValue::Float(value),
        RawNode::Str(value) => {
            // A quoted scalar's range starts and ends with its quote. Checking both ends
            // matters: a block scalar (`>` or `|`) whose first line happens to start with a
            // quote is not quoted, and its range may end inside a multi-byte character.
            let bytes = text.as_bytes();
            let quoted = end >= start + 2
                && matches!(bytes.get(start), Some(b'"' | b'\''))
                && bytes.get(end - 1) == bytes.get(start);
            YamlValue::Str {
                text: value,
                quoted,
            }
        }
        // Collecting reuses the deserializer's grown buffers; a card's tree lives as long as
        // the session, so give the slack back.
        RawNode::Seq(items) => {
            let mut items: Vec<YamlNode> = items
                .into_iter()
                .map(|item| convert(item, text, base))
                .collect();
            items.shrink_to_fit();
            YamlValue::Seq(items)
        }
        RawNode::Map(entries) => {
            let mut entries: Vec<(YamlNode, YamlNode)> = entries
                .into_iter()
                .map(|(key, value)| (convert(key, text, base), convert(value, text, base)))
                .collect();
            entries.shrink_to_fit();
            YamlValue::Map(entries)
        }
    };
    YamlNode { value, range }
}

/// The untyped node serde-saphyr fills in; each child is wrapped in `Spanned` so the
/// deserializer records its location.
enum RawNode {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<RawNode>>),
    Map(Vec<(Spanned<RawNode>, Spanned<RawNode>)>),
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RawNode, D::Error> {
        deserializer.deserialize_any(RawNodeVisitor)
    }
}

struct RawNodeVisitor;

impl<'de> Visitor<'de> for RawNodeVisitor {
    type Value = RawNode;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }

    fn visit_none<E>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<RawNode, D::Error> {
        RawNode::deserialize(deserializer)
    }

    fn visit_bool<E>(self, value: bool) -> Result<RawNode, E> {
        Ok(RawNode::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<RawNode, E> {
        Ok(RawNode::Int(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<RawNode, E> {
        Ok(i64::try_from(value).map_or(RawNode::Float(value as f64), RawNode::Int))
    }

    fn visit_i128<E>(self, value: i128) -> Result<RawNode, E> {
        Ok(i64::try_from(value).map_or(RawNode::Float(value as f64), RawNode::Int))
    }

    fn visit_u128<E>(self, value: u128) -> Result<RawNode, E> {
        Ok(i64::try_from(value).map_or(RawNode::Float(value as f64), RawNode::Int))
    }

    fn visit_f64<E>(self, value: f64) -> Result<RawNode, E> {
        Ok(RawNode::Float(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<RawNode, E> {
        Ok(RawNode::Str(value.to_string()))
    }

    fn visit_string<E>(self, value: String) -> Result<RawNode, E> {
        Ok(RawNode::Str(value))
    }

    fn visit_bytes<E>(self, value: &[u8]) -> Result<RawNode, E> {
        Ok(RawNode::Str(String::from_utf8_lossy(value).into_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(RawNode::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawNode, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key()? {
            let value = map.next_value()?;
            entries.push((key, value));
        }
        Ok(RawNode::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> YamlNode {
        parse_yaml(text, 0).unwrap().unwrap()
    }

    fn entries(node: &YamlNode) -> &[(YamlNode, YamlNode)] {
        match &node.value {
            YamlValue::Map(entries) => entries,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn keys_values_and_items_carry_exact_ranges() {
        let text =
            "task_id: \"0042\"\nname: héllo 🎉\ndeps: [TASK-1, 'TASK-2']\nblocks:\n  - TASK-3\n";
        let root = parse(text);
        let map = entries(&root);
        assert_eq!(map[0].0.range.slice(text), "task_id");
        assert_eq!(map[0].1.range.slice(text), "\"0042\"");
        assert_eq!(map[0].1.inner_range().slice(text), "0042");
        assert_eq!(map[1].1.range.slice(text), "héllo 🎉");
        let YamlValue::Seq(items) = &map[2].1.value else {
            panic!()
        };
        assert_eq!(items[1].range.slice(text), "'TASK-2'");
        let YamlValue::Seq(items) = &map[3].1.value else {
            panic!()
        };
        assert_eq!(items[0].range.slice(text), "TASK-3");
    }

    #[test]
    fn unquoted_leading_zero_number_is_a_number_and_n_is_a_string() {
        let root = parse("task_id: 0042\nn: x\n");
        let map = entries(&root);
        assert!(matches!(
            map[0].1.value,
            YamlValue::Int(_) | YamlValue::Float(_)
        ));
        assert_eq!(map[1].0.as_str(), Some("n"));
    }

    #[test]
    fn syntax_error_points_at_the_parser_position() {
        let text = "a: 1\nb: [1,\n";
        let error = parse_yaml(text, 10).unwrap_err();
        assert!(!error.message.contains("at line"), "{}", error.message);
        assert!(error.range.start as usize >= 10);
    }

    #[test]
    fn alias_bomb_is_over_the_alias_cap_not_a_hang() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for level in 0..12 {
            let prev = if level == 0 {
                "a".to_string()
            } else {
                format!("l{}", level - 1)
            };
            text.push_str(&format!(
                "l{level}: &l{level} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        assert_eq!(over_cap_error(&text).0, Cap::YamlAliases);
    }

    /// The cap `text` goes over and the error's message, checking the error sits inside the
    /// text on a character boundary.
    fn over_cap_error(text: &str) -> (Cap, String) {
        let started = std::time::Instant::now();
        let error = parse_yaml(text, 0).unwrap_err();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert!(error.range.end as usize <= text.len());
        assert!(text.is_char_boundary(error.range.start as usize));
        assert!(text.is_char_boundary(error.range.end as usize));
        match error.kind {
            YamlErrorKind::OverCap(cap) => (cap, error.message),
            other => panic!("{other:?}: {}", error.message),
        }
    }

    #[test]
    fn each_yaml_cap_is_its_own_error_kind_naming_the_cap() {
        let flow = format!("a: {}{}", "[".repeat(17), "]".repeat(17));
        let flow_bomb = format!("a: {}{}", "[".repeat(5000), "]".repeat(5000));
        let block: String = (0..20)
            .map(|level| format!("{}k{level}:\n", "  ".repeat(level)))
            .collect();
        for deep in [flow, flow_bomb, format!("{block}{}v\n", "  ".repeat(20))] {
            assert_eq!(
                over_cap_error(&deep),
                (
                    Cap::YamlDepth,
                    "lists or mappings nest deeper than the 16-level YAML depth cap".into()
                )
            );
        }
        let many = format!("a: [{}]\n", vec!["1"; 20_000].join(", "));
        assert_eq!(
            over_cap_error(&many),
            (
                Cap::YamlNodes,
                "more than 10,000 YAML values (keys, items, lists and mappings), over the YAML node cap".into()
            )
        );
        let aliases = format!("a: &a x\nb: [{}]\n", vec!["*a"; 40].join(", "));
        let (cap, message) = over_cap_error(&aliases);
        assert_eq!(cap, Cap::YamlAliases);
        assert!(message.contains("32"), "{message}");
        let replay = format!(
            "a: &a [{}]\nb: [*a, *a, *a, *a, *a]\n",
            vec!["x"; 300].join(", ")
        );
        assert_eq!(
            over_cap_error(&replay),
            (
                Cap::YamlAliases,
                "aliases (`*name`) expand into more than 1,000 values, over the YAML alias cap"
                    .into()
            )
        );
        let text = format!("a: \"{}\"\n", "é".repeat(600 * 1024));
        assert_eq!(
            over_cap_error(&text),
            (
                Cap::YamlText,
                "the YAML's values total more than 1 MB (aliases expanded), over the YAML text cap"
                    .into()
            )
        );
    }

    #[test]
    fn a_second_document_is_a_syntax_error_not_a_cap() {
        let error = parse_yaml("a: 1\n---\nb: 2\n", 0).unwrap_err();
        assert_eq!(error.kind, YamlErrorKind::Syntax);
        assert!(
            error.message.contains("only one YAML document"),
            "{}",
            error.message
        );
    }

    #[test]
    fn duplicate_keys_are_an_error() {
        assert!(parse_yaml("a: 1\na: 2\n", 0).is_err());
    }

    #[test]
    fn a_block_scalar_starting_with_a_quote_is_not_quoted() {
        // Found by fuzzing: the content `"ts"` + U+FEFF was taken for a quoted string, and
        // its inner range cut the last character in half.
        let text = ">\n\"ts\"\u{feff}";
        let root = parse(text);
        assert!(
            matches!(root.value, YamlValue::Str { quoted: false, .. }),
            "{root:?}"
        );
        let inner = root.inner_range();
        assert!(text.is_char_boundary(inner.end as usize), "{inner:?}");
        let text = "a: |\n  'x' and 'y'\n";
        let root = parse(text);
        let map = entries(&root);
        assert!(matches!(
            map[0].1.value,
            YamlValue::Str { quoted: false, .. }
        ));
    }

    #[test]
    fn empty_document_is_none() {
        assert_eq!(parse_yaml("  \n", 0), Ok(None));
    }
}
