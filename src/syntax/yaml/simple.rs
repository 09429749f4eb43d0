//! A fast path for the YAML nearly every card's frontmatter is: one `key: value` per line,
//! values that are quoted strings, `null`, booleans, small integers, short plain words, or
//! one-line flow lists of those. Such a block is read here in one pass; anything else (a
//! comment, an indented line, an escape, a CRLF, a word YAML might read as something other
//! than a string…) is left to the full parser, which also reports every error.
//!
//! Reading frontmatter through the full parser was most of the time spent parsing a
//! workspace. What this returns must be exactly what `full::parse_yaml_fully` returns for the
//! same text (values, types and ranges); a differential test below holds it to that.

use std::collections::HashSet;

use crate::base::TextRange;
use crate::syntax::limits::{MAX_YAML_NODES, MAX_YAML_TEXT_BYTES};
use crate::syntax::yaml::tree::{YamlNode, YamlValue};

/// Far below the full parser's node and text caps, so that a block read here could never
/// have tripped them.
const MAX_NODES: usize = MAX_YAML_NODES / 10;

/// The root mapping of `text` (ranges shifted by `base`), when the whole text is in the
/// simple form; None when the full parser must read it.
pub fn parse(text: &str, base: usize) -> Option<YamlNode> {
    if text.len() > MAX_YAML_TEXT_BYTES / 2 {
        return None;
    }
    let bytes = text.as_bytes();
    let mut entries: Vec<(YamlNode, YamlNode)> = Vec::new();
    let mut keys: HashSet<&str> = HashSet::new();
    let mut nodes = 0;
    let mut at = 0;
    while at < bytes.len() {
        let end = memchr_newline(bytes, at);
        let line = &text[at..end];
        if !line.is_empty() {
            let (key, value) = entry(line, at)?;
            if !keys.insert(key.range.slice(text)) {
                // A duplicate key is an error the full parser words.
                return None;
            }
            nodes += 1 + count_nodes(&value);
            if nodes > MAX_NODES {
                return None;
            }
            entries.push((key, value));
        }
        at = end + 1;
    }
    let first = entries.first()?.0.range.start as usize;
    let shift = |node: &mut YamlNode| node.range = node.range.shifted(base);
    for (key, value) in &mut entries {
        shift(key);
        shift(value);
        if let YamlValue::Seq(items) = &mut value.value {
            items.iter_mut().for_each(shift);
        }
    }
    entries.shrink_to_fit();
    Some(YamlNode {
        value: YamlValue::Map(entries),
        range: TextRange::empty(first).shifted(base),
    })
}

fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |at| from + at)
}

fn count_nodes(value: &YamlNode) -> usize {
    match &value.value {
        YamlValue::Seq(items) => 1 + items.len(),
        _ => 1,
    }
}

/// One `key: value` line starting at byte `start` of the text.
fn entry(line: &str, start: usize) -> Option<(YamlNode, YamlNode)> {
    let bytes = line.as_bytes();
    if !bytes[0].is_ascii_alphabetic() && bytes[0] != b'_' {
        return None;
    }
    let key_len = bytes
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))?;
    let key = &line[..key_len];
    if is_keyword(key) || bytes[key_len] != b':' {
        return None;
    }
    let spaces = bytes[key_len + 1..]
        .iter()
        .take_while(|&&b| b == b' ')
        .count();
    if spaces == 0 {
        return None;
    }
    let value_start = key_len + 1 + spaces;
    let value = value(&line[value_start..], start + value_start)?;
    let key = YamlNode {
        value: YamlValue::Str {
            text: key.to_string(),
            quoted: false,
        },
        range: TextRange::new(start, start + key_len),
    };
    Some((key, value))
}

/// A value taking the rest of its line, from byte `start` of the text.
fn value(rest: &str, start: usize) -> Option<YamlNode> {
    let trimmed = rest.trim_end_matches(' ');
    if trimmed.is_empty() {
        return None;
    }
    if let Some(inner) = trimmed.strip_prefix('[') {
        let inner = inner.strip_suffix(']')?;
        return flow_list(inner, start + 1).map(|items| YamlNode {
            value: YamlValue::Seq(items),
            range: TextRange::new(start, start + 1),
        });
    }
    let (node, len) = scalar(trimmed, start, false)?;
    (len == trimmed.len()).then_some(node)
}

/// The items of a one-line flow list, `inner` being what lies between its brackets.
fn flow_list(inner: &str, start: usize) -> Option<Vec<YamlNode>> {
    let mut items = Vec::new();
    let bytes = inner.as_bytes();
    let skip_spaces = |mut at: usize| {
        while bytes.get(at) == Some(&b' ') {
            at += 1;
        }
        at
    };
    let mut at = skip_spaces(0);
    if at == bytes.len() {
        return Some(items);
    }
    loop {
        let (item, len) = scalar(&inner[at..], start + at, true)?;
        items.push(item);
        at = skip_spaces(at + len);
        match bytes.get(at) {
            None => return Some(items),
            Some(b',') => {
                at = skip_spaces(at + 1);
                // A trailing comma, or an empty item, is for the full parser.
                if at == bytes.len() {
                    return None;
                }
            }
            Some(_) => return None,
        }
    }
}

/// A scalar at the start of `text`, and how many bytes it takes. In a flow list a plain
/// scalar ends at a `,`; outside one it must take the whole text.
fn scalar(text: &str, start: usize, in_flow: bool) -> Option<(YamlNode, usize)> {
    let bytes = text.as_bytes();
    let node = |value: YamlValue, len: usize| {
        let range = TextRange::new(start, start + len);
        Some((YamlNode { value, range }, len))
    };
    match bytes.first()? {
        &quote @ (b'"' | b'\'') => {
            let close = 1 + text[1..].find(quote as char)?;
            let inner = &text[1..close];
            if !inner.chars().all(plain_char) || (quote == b'"' && inner.contains('\\')) {
                return None;
            }
            let value = YamlValue::Str {
                text: inner.to_string(),
                quoted: true,
            };
            node(value, close + 1)
        }
        _ => {
            let len = if in_flow {
                bytes
                    .iter()
                    .position(|&b| b == b',' || b == b' ')
                    .unwrap_or(bytes.len())
            } else {
                bytes.len()
            };
            let word = &text[..len];
            let value = match word {
                "null" | "~" => YamlValue::Null,
                "true" => YamlValue::Bool(true),
                "false" => YamlValue::Bool(false),
                _ if is_small_integer(word) => YamlValue::Int(word.parse().ok()?),
                _ if is_plain_word(word, in_flow) => YamlValue::Str {
                    text: word.to_string(),
                    quoted: false,
                },
                _ => return None,
            };
            node(value, len)
        }
    }
}

/// A character a quoted string may hold here without the full parser's attention: no
/// control characters, no line or paragraph separators, no byte order mark.
fn plain_char(ch: char) -> bool {
    !ch.is_control()
        && !matches!(
            ch,
            '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
        )
}

/// A decimal integer without sign or leading zero (`0042` is read otherwise by YAML), small
/// enough for an i64.
fn is_small_integer(word: &str) -> bool {
    let bytes = word.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 18
        && bytes.iter().all(u8::is_ascii_digit)
        && (bytes[0] != b'0' || bytes.len() == 1)
}

/// A plain word YAML can only read as a string: it starts with a letter, holds letters,
/// digits and a few punctuation marks (spaces too outside a flow list), and is none of the
/// words some YAML reads as null, a boolean or a number.
fn is_plain_word(word: &str, in_flow: bool) -> bool {
    let bytes = word.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes.iter().all(|&b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'_' | b'-' | b'.' | b'/' | b'(' | b')')
                || (b == b' ' && !in_flow)
        })
        && !word.contains("  ")
        && !is_keyword(word)
}

/// Words that YAML 1.1 or 1.2 read as null, booleans or special numbers, in any case.
fn is_keyword(word: &str) -> bool {
    const KEYWORDS: [&str; 12] = [
        "null", "true", "false", "yes", "no", "on", "off", "y", "n", "nan", "inf", "infinity",
    ];
    KEYWORDS
        .iter()
        .any(|keyword| keyword.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::Dice;
    use crate::syntax::yaml::full::parse_yaml_fully;

    const KEYS: &[&str] = &[
        "task_id",
        "stage",
        "tags",
        "depends_on",
        "x-y",
        "_k",
        "null",
        "True",
        "a",
        "k1",
        "n",
        "on",
        "key word",
        "2x",
        "é",
        "task_id",
    ];
    const SEPARATORS: &[&str] = &[": ", ":  ", ":", ": \t", " : ", ":\t"];
    const SCALARS: &[&str] = &[
        "\"0042\"",
        "\"TASK-0001\"",
        "\"@ana\"",
        "\"\"",
        "''",
        "'it''s'",
        "'x'",
        "\"a\\\"b\"",
        "\"héllo 🎉\"",
        "\"tab\there\"",
        "\"a # b\"",
        "\"a: b\"",
        "null",
        "Null",
        "~",
        "true",
        "false",
        "True",
        "yes",
        "No",
        "3",
        "0",
        "0042",
        "-1",
        "1.0",
        "1e3",
        "12345678901234567890",
        "P2",
        "M",
        "2026-03-02",
        "@ana",
        "Fix the thing",
        "Fix  two",
        "a: b",
        "a #b",
        "x#y",
        ".inf",
        "nan",
        "NaN",
        "inf",
        "TASK-0001",
        "external:vendor",
        "a,b",
        "[x]",
        "{}",
        "&a x",
        "*a",
        "!tag x",
        "|",
        ">",
        "-",
        "- x",
        "?",
        "%",
        "`x`",
        "v1.0/beta",
        "(x)",
        "\u{85}",
    ];
    const ITEMS: &[&str] = &[
        "\"TASK-0001\"",
        "'TASK-0002'",
        "TASK-0003",
        "null",
        "3",
        "x y",
        "\"a,b\"",
        "",
        "[]",
        "a:b",
        "true",
        "@x",
        "\"é\"",
    ];

    /// What usual frontmatter is made of, so that most blocks take the fast path.
    const CLEAN_KEYS: &[&str] = &["task_id", "stage", "tags", "depends_on", "x-y", "_k", "k1"];
    const CLEAN_VALUES: &[&str] = &[
        "\"0042\"",
        "\"@ana\"",
        "null",
        "~",
        "true",
        "false",
        "3",
        "P2",
        "Fix the thing",
        "[]",
        "[ ]",
        "[\"a\", \"b\"]",
        "[TASK-0001, 'x']",
        "'x'",
        "\"héllo 🎉\"",
    ];

    fn random_value(dice: &mut Dice) -> String {
        if dice.roll(3) != 0 {
            return format!("{}{}", dice.pick(CLEAN_VALUES), dice.pick(&["", "", " "]));
        }
        match dice.roll(4) {
            0 => {
                let count = dice.roll(4);
                let items: Vec<&str> = (0..count).map(|_| dice.pick(ITEMS)).collect();
                let comma = dice.pick(&[", ", ",", " , ", ",  "]);
                let pad = dice.pick(&["", " ", "  "]);
                format!(
                    "[{pad}{}{pad}]{}",
                    items.join(comma),
                    dice.pick(&["", "", " ", ","])
                )
            }
            _ => format!(
                "{}{}",
                dice.pick(SCALARS),
                dice.pick(&["", "", "", " ", "  # c"])
            ),
        }
    }

    fn random_block(dice: &mut Dice) -> String {
        let mut text = String::new();
        for _ in 0..dice.roll(8) {
            match dice.roll(12) {
                0 => text.push_str(dice.pick(&["", "  ", "# note", "  - x", "---", "\t"])),
                1..=6 => {
                    text.push_str(dice.pick(CLEAN_KEYS));
                    text.push_str(": ");
                    text.push_str(&random_value(dice));
                }
                _ => {
                    text.push_str(dice.pick(&["", "", "", "", " "]));
                    text.push_str(dice.pick(KEYS));
                    text.push_str(dice.pick(SEPARATORS));
                    text.push_str(&random_value(dice));
                }
            }
            text.push_str(dice.pick(&["\n", "\n", "\n", "\n", "\n", "\r\n"]));
        }
        if dice.roll(4) == 0 {
            text.pop();
        }
        text
    }

    #[test]
    fn whatever_the_fast_path_reads_the_full_parser_reads_alike() {
        let mut taken = 0;
        for seed in 1..=30_000u64 {
            let mut dice = Dice::new(seed);
            let text = random_block(&mut dice);
            let base = dice.roll(100);
            if let Some(fast) = parse(&text, base) {
                taken += 1;
                assert_eq!(
                    parse_yaml_fully(&text, base),
                    Ok(Some(fast)),
                    "seed {seed}: {text:?}"
                );
            }
        }
        // The fast path must actually be taken, or the test proves nothing.
        assert!(taken > 1_000, "{taken}");
    }

    #[test]
    fn a_usual_frontmatter_takes_the_fast_path() {
        let text = "task_id: \"0042\"\ncreated_by: \"@ana\"\nschema_version: \"1.0\"\n\
                    task_name: \"Fix the login page\"\nstage: \"current\"\npriority: P2\n\
                    effort_estimate: 3\ntags: [\"backend\", \"ux\"]\npaused_reason: null\n\
                    depends_on: [TASK-0001, \"TASK-0002\"]\nblocks: []\n";
        let fast = parse(text, 4).expect("the fast path reads it");
        assert_eq!(parse_yaml_fully(text, 4), Ok(Some(fast)));
    }

    #[test]
    fn anything_unusual_goes_to_the_full_parser() {
        for text in [
            "a: 1\r\n",
            "# comment\na: 1\n",
            "a:\n  - x\n",
            "a: \"x\\ty\"\n",
            "a: 1\na: 2\n",
            "a: [x, ]\n",
            "a: 0042\n",
            "a: yes\n",
            "a: @ana\n",
            "a: x # c\n",
            " a: 1\n",
        ] {
            assert_eq!(parse(text, 0), None, "{text:?}");
        }
    }
}
