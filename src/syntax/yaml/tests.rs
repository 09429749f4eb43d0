//! The YAML parser as callers see it: ranges, types, errors and caps, whichever path read
//! the text.

use super::*;
use crate::syntax::limits::Cap;

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
    let text = "task_id: \"0042\"\nname: héllo 🎉\ndeps: [TASK-1, 'TASK-2']\nblocks:\n  - TASK-3\n";
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
            "aliases (`*name`) expand into more than 1,000 values, over the YAML alias cap".into()
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
