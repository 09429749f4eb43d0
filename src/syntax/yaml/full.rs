//! The full YAML parser: serde-saphyr behind the small positioned tree of `tree`.
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
use crate::syntax::yaml::tree::{YamlError, YamlErrorKind, YamlNode, YamlValue};

/// [`super::parse_yaml`] through serde-saphyr alone.
pub(super) fn parse_yaml_fully(text: &str, base: usize) -> Result<Option<YamlNode>, YamlError> {
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
