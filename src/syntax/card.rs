//! Task cards: the frontmatter block, level-2 sections, the Acceptance Criteria checklist and
//! task references in the body.

use std::borrow::Cow;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::base::TextRange;
use crate::syntax::limits::{
    self, Cap, MAX_FRONTMATTER_BYTES, OverCap, format_bytes, in_long_line, long_lines,
};
use crate::syntax::task_id::{TextRef, scan_refs_at_most};
use crate::syntax::yaml::{YamlError, YamlErrorKind, YamlNode, YamlValue, parse_yaml};

/// Everything read from one card.
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    pub frontmatter: Frontmatter,
    /// Where the markdown body starts (after the frontmatter's closing line).
    pub body_start: usize,
    pub sections: Vec<Section>,
    /// Checklist items under the Acceptance Criteria heading.
    pub acceptance_items: Vec<ChecklistItem>,
    /// Task references in the body text.
    pub body_refs: Vec<TextRef>,
    /// Body lines over the line cap: nothing was read from them (no heading, checklist item or
    /// reference). A frontmatter over its cap is its block's error instead.
    /// What of the body is over a cap: its long lines, and the references past the
    /// prose cap.
    pub long_lines: Vec<OverCap>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Frontmatter {
    /// The card does not start with `---`; the range is the first line.
    Missing {
        range: TextRange,
    },
    /// `---` opens a block that never closes; the range is the opening line.
    Unterminated {
        range: TextRange,
    },
    Present(FrontmatterBlock),
}

#[derive(Clone, Debug, PartialEq)]
pub struct FrontmatterBlock {
    /// From the opening `---` through the closing line.
    pub range: TextRange,
    /// The YAML between the fences.
    pub content_range: TextRange,
    /// Top-level `key: value` entries, in source order (empty when the YAML is invalid).
    pub entries: Vec<FrontmatterEntry>,
    pub error: Option<YamlError>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FrontmatterEntry {
    /// One of [`KNOWN_FIELDS`] borrowed, else the key as written: ten thousand cards name the
    /// same two dozen fields, and a string each was two hundred thousand small allocations.
    pub key: Cow<'static, str>,
    pub key_range: TextRange,
    pub value: YamlNode,
}

impl FrontmatterBlock {
    pub fn get(&self, key: &str) -> Option<&FrontmatterEntry> {
        self.entries.iter().find(|entry| entry.key == key)
    }
}

impl Frontmatter {
    pub fn block(&self) -> Option<&FrontmatterBlock> {
        match self {
            Frontmatter::Present(block) => Some(block),
            _ => None,
        }
    }
}

/// A level-2 section: its heading and the text up to the next level-1/2 heading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub title: String,
    pub heading_range: TextRange,
    pub content_range: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChecklistItem {
    pub checked: bool,
    pub range: TextRange,
}

pub fn parse_card(text: &str) -> Card {
    let (frontmatter, body_start) = parse_frontmatter(text);
    let body = &text[body_start..];
    let long = long_lines(text, body_start);
    let (sections, acceptance_items) = parse_body(body, body_start, &long);
    let mut body_refs = scan_refs_at_most(body, body_start, limits::MAX_PROSE_REFS + 1);
    if !long.is_empty() {
        body_refs.retain(|found| !in_long_line(&long, found.range.start as usize));
    }
    let mut long_lines: Vec<OverCap> = long.into_iter().map(|(_, report)| report).collect();
    if body_refs.len() > limits::MAX_PROSE_REFS {
        let first_left_out = body_refs[limits::MAX_PROSE_REFS].range;
        body_refs.truncate(limits::MAX_PROSE_REFS);
        long_lines.push(limits::refs_over_cap(first_left_out));
    }
    Card {
        frontmatter,
        body_start,
        sections,
        acceptance_items,
        body_refs,
        long_lines,
    }
}

/// The card's frontmatter alone, its body left unread (no sections, checklist, references
/// or long-line reports): for the flow engine's queries, which read a card's fields only and
/// would spend a tenth of their time on markdown they never look at.
pub fn parse_card_frontmatter(text: &str) -> Card {
    let (frontmatter, body_start) = parse_frontmatter(text);
    Card {
        frontmatter,
        body_start,
        sections: Vec::new(),
        acceptance_items: Vec::new(),
        body_refs: Vec::new(),
        long_lines: Vec::new(),
    }
}

/// Finds the `---` fenced block at the very start (after an optional BOM) and parses it.
/// Returns the block and where the body begins.
pub fn parse_frontmatter(text: &str) -> (Frontmatter, usize) {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut lines = line_ranges(text, start);
    let Some(first) = lines.next() else {
        return (
            Frontmatter::Missing {
                range: TextRange::empty(start),
            },
            start,
        );
    };
    if first.trimmed.slice(text).trim_end() != "---" {
        return (
            Frontmatter::Missing {
                range: first.trimmed,
            },
            start,
        );
    }
    let content_start = first.full.end as usize;
    for line in lines {
        let content = line.trimmed.slice(text).trim_end();
        if content == "---" || content == "..." {
            let content_range = TextRange::new(content_start, line.full.start as usize);
            let block_range = TextRange::new(start, line.trimmed.end as usize);
            let yaml_text = content_range.slice(text);
            let (entries, error) = if yaml_text.len() > MAX_FRONTMATTER_BYTES {
                (
                    Vec::new(),
                    Some(frontmatter_over_cap(yaml_text.len(), first.trimmed)),
                )
            } else {
                match parse_yaml(yaml_text, content_start) {
                    Ok(root) => entries_of(root),
                    Err(error) => (Vec::new(), Some(error)),
                }
            };
            let block = FrontmatterBlock {
                range: block_range,
                content_range,
                entries,
                error,
            };
            return (Frontmatter::Present(block), line.full.end as usize);
        }
    }
    (
        Frontmatter::Unterminated {
            range: first.trimmed,
        },
        text.len(),
    )
}

/// A frontmatter too large to parse, reported on its opening fence.
fn frontmatter_over_cap(size: usize, fence: TextRange) -> YamlError {
    YamlError {
        message: format!(
            "frontmatter is {}, over the {} frontmatter cap; it was not analysed",
            format_bytes(size as u64),
            format_bytes(MAX_FRONTMATTER_BYTES as u64)
        ),
        range: fence,
        kind: YamlErrorKind::OverCap(Cap::Frontmatter),
        opener: None,
    }
}

/// Every field the schema or the workflows define; anything else is `unknown-field`.
pub const KNOWN_FIELDS: [&str; 26] = [
    "task_id",
    "created_by",
    "created_date",
    "schema_version",
    "task_name",
    "stage",
    "priority",
    "effort_estimate",
    "tags",
    "current_dri",
    "status",
    "blocked_by",
    "paused_reason",
    "depends_on",
    "blocks",
    "related_to",
    "split_into",
    "split_from",
    // Extension fields written by the workflows.
    "split_date",
    "split_reason",
    "split_part",
    "canceled_reason",
    "expected_resume_date",
    "paused_date",
    "previous_dris",
    "last_updated",
];

/// `key` as one of [`KNOWN_FIELDS`] when it is one, else as its own string.
fn field_name(key: &str) -> Cow<'static, str> {
    match KNOWN_FIELDS.iter().find(|known| **known == key) {
        Some(known) => Cow::Borrowed(known),
        None => Cow::Owned(key.to_string()),
    }
}

fn entries_of(root: Option<YamlNode>) -> (Vec<FrontmatterEntry>, Option<YamlError>) {
    let Some(root) = root else {
        return (Vec::new(), None);
    };
    match root.value {
        YamlValue::Map(pairs) => {
            let mut entries: Vec<FrontmatterEntry> = pairs
                .into_iter()
                .filter_map(|(key, value)| {
                    let name = match &key.value {
                        YamlValue::Str { text, .. } => field_name(text),
                        YamlValue::Null => return None,
                        YamlValue::Int(number) => Cow::Owned(number.to_string()),
                        YamlValue::Float(number) => Cow::Owned(number.to_string()),
                        YamlValue::Bool(flag) => Cow::Owned(flag.to_string()),
                        YamlValue::Seq(_) | YamlValue::Map(_) => Cow::Borrowed("<complex key>"),
                    };
                    Some(FrontmatterEntry {
                        key: name,
                        key_range: key.range,
                        value,
                    })
                })
                .collect();
            entries.shrink_to_fit();
            (entries, None)
        }
        _ => {
            let error = YamlError {
                message: format!(
                    "frontmatter must be a mapping of `field: value` lines, found {}",
                    root.kind_name()
                ),
                range: root.range,
                kind: YamlErrorKind::NotAMapping,
                opener: None,
            };
            (Vec::new(), Some(error))
        }
    }
}

struct LineRange {
    /// The line including its terminator.
    full: TextRange,
    /// The line without `\n` / `\r\n`.
    trimmed: TextRange,
}

fn line_ranges(text: &str, start: usize) -> impl Iterator<Item = LineRange> + '_ {
    let mut at = start;
    std::iter::from_fn(move || {
        if at >= text.len() {
            return None;
        }
        let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
        let mut content_end = line_end;
        if text[..content_end].ends_with('\n') {
            content_end -= 1;
        }
        if text[..content_end].ends_with('\r') {
            content_end -= 1;
        }
        let line = LineRange {
            full: TextRange::new(at, line_end),
            trimmed: TextRange::new(at, content_end),
        };
        at = line_end;
        Some(line)
    })
}

pub const ACCEPTANCE_CRITERIA: &str = "Acceptance Criteria";

/// Sections and the checklist of the body starting at `base`. Headings and checklist items on
/// a line of `long` are left out: such a line is not analysed.
fn parse_body(
    body: &str,
    base: usize,
    long: &[(TextRange, OverCap)],
) -> (Vec<Section>, Vec<ChecklistItem>) {
    let mut sections: Vec<Section> = Vec::new();
    let mut checklist = Vec::new();
    let mut heading: Option<(HeadingLevel, usize, String)> = None;
    let mut in_acceptance = false;
    let parser = Parser::new_ext(body, Options::ENABLE_TASKLISTS | Options::ENABLE_TABLES);
    for (event, range) in parser.into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) if !in_long_line(long, base + range.start) => {
                heading = Some((level, range.start, String::new()));
            }
            Event::Text(text) | Event::Code(text) if heading.is_some() => {
                if let Some((_, _, title)) = heading.as_mut() {
                    title.push_str(&text);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                let Some((level, start, title)) = heading.take() else {
                    continue;
                };
                if level > HeadingLevel::H2 {
                    continue;
                }
                let heading_end = trim_heading_end(body, start, range.end);
                if let Some(previous) = sections.last_mut()
                    && previous.content_range.is_empty()
                {
                    previous.content_range =
                        TextRange::new(previous.heading_range.end as usize, base + start);
                }
                in_acceptance = false;
                if level == HeadingLevel::H2 {
                    let title = title.trim().to_string();
                    in_acceptance = title.eq_ignore_ascii_case(ACCEPTANCE_CRITERIA);
                    sections.push(Section {
                        title,
                        heading_range: TextRange::new(base + start, base + heading_end),
                        content_range: TextRange::empty(base + heading_end),
                    });
                }
            }
            Event::TaskListMarker(checked)
                if in_acceptance && !in_long_line(long, base + range.start) =>
            {
                // Markdown ends a line at `\r` as well as `\n`; so must the item.
                let line_end = body[range.start..]
                    .find(['\n', '\r'])
                    .map_or(body.len(), |i| range.start + i);
                let line_start = body[..range.start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
                let item_start =
                    line_start + (body[line_start..].len() - body[line_start..].trim_start().len());
                let item_end =
                    line_end - (body[..line_end].len() - body[..line_end].trim_end().len());
                checklist.push(ChecklistItem {
                    checked,
                    range: TextRange::new(base + item_start, base + item_end.max(item_start)),
                });
            }
            _ => {}
        }
    }
    if let Some(last) = sections.last_mut()
        && last.content_range.is_empty()
    {
        last.content_range = TextRange::new(last.heading_range.end as usize, base + body.len());
    }
    (sections, checklist)
}

/// A heading's range without its trailing newline.
fn trim_heading_end(body: &str, start: usize, end: usize) -> usize {
    let heading = &body[start..end.min(body.len())];
    start + heading.trim_end().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_field_names_are_borrowed_and_others_kept_as_written() {
        let card =
            parse_card("---\ntask_id: TASK-0001\n\"stage\": inbox\nmy_field: 1\n7: x\n---\n");
        let block = card.frontmatter.block().expect("a frontmatter block");
        let keys: Vec<(&str, bool)> = block
            .entries
            .iter()
            .map(|entry| (&*entry.key, matches!(entry.key, Cow::Borrowed(_))))
            .collect();
        assert_eq!(
            keys,
            [
                ("task_id", true),
                ("stage", true),
                ("my_field", false),
                ("7", false)
            ]
        );
        assert!(block.get("stage").is_some());
    }

    const CARD: &str = "---\ntask_id: \"0001\"\nstage: inbox\n---\n\n# Title\n\n## Goal\n\nShip TASK-0002 soon.\n\n## Acceptance Criteria\n\n- [ ] first\n- [x] second\n";

    #[test]
    fn a_body_with_more_references_than_the_prose_cap_keeps_the_first_and_says_so() {
        let body = "TASK-0002 ".repeat(limits::MAX_PROSE_REFS + 3);
        let card = parse_card(&format!("---\ntask_id: \"0001\"\n---\n{body}\n"));
        assert_eq!(card.body_refs.len(), limits::MAX_PROSE_REFS);
        let over: Vec<Cap> = card.long_lines.iter().map(|over| over.cap).collect();
        assert_eq!(over, [Cap::References]);
    }

    #[test]
    fn frontmatter_entries_have_key_and_value_ranges() {
        let card = parse_card(CARD);
        let block = card.frontmatter.block().unwrap();
        assert_eq!(block.entries.len(), 2);
        let stage = block.get("stage").unwrap();
        assert_eq!(stage.key_range.slice(CARD), "stage");
        assert_eq!(stage.value.range.slice(CARD), "inbox");
        assert_eq!(
            block.range.slice(CARD),
            "---\ntask_id: \"0001\"\nstage: inbox\n---"
        );
    }

    #[test]
    fn sections_and_checklist() {
        let card = parse_card(CARD);
        let titles: Vec<&str> = card.sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["Goal", "Acceptance Criteria"]);
        assert_eq!(card.sections[0].heading_range.slice(CARD), "## Goal");
        assert!(
            card.sections[0]
                .content_range
                .slice(CARD)
                .contains("Ship TASK-0002")
        );
        let items: Vec<(&str, bool)> = card
            .acceptance_items
            .iter()
            .map(|item| (item.range.slice(CARD), item.checked))
            .collect();
        assert_eq!(items, [("- [ ] first", false), ("- [x] second", true)]);
        assert_eq!(card.body_refs[0].range.slice(CARD), "TASK-0002");
    }

    #[test]
    fn missing_and_unterminated_frontmatter() {
        let card = parse_card("# Just a title\n");
        assert!(matches!(card.frontmatter, Frontmatter::Missing { .. }));
        let text = "---\ntask_id: \"0001\"\n## Goal\n";
        let card = parse_card(text);
        let Frontmatter::Unterminated { range } = card.frontmatter else {
            panic!("{:?}", card.frontmatter)
        };
        assert_eq!(range.slice(text), "---");
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let text = "\u{feff}---\r\nstage: next\r\n---\r\n## Goal\r\n";
        let card = parse_card(text);
        let block = card.frontmatter.block().unwrap();
        assert_eq!(block.get("stage").unwrap().value.range.slice(text), "next");
        assert_eq!(card.sections[0].heading_range.slice(text), "## Goal");
    }

    #[test]
    fn checklist_items_end_at_a_lone_carriage_return() {
        let text = "---\nstage: next\n---\n## Acceptance Criteria\r\r- [ ] one\r- [x] two\r";
        let card = parse_card(text);
        let items: Vec<&str> = card
            .acceptance_items
            .iter()
            .map(|item| item.range.slice(text))
            .collect();
        assert_eq!(items, ["- [ ] one", "- [x] two"]);
    }

    #[test]
    fn yaml_error_is_kept_with_a_range_inside_the_block() {
        let text = "---\nstage: [next\n---\n";
        let card = parse_card(text);
        let block = card.frontmatter.block().unwrap();
        let error = block.error.as_ref().unwrap();
        assert!(block.content_range.start <= error.range.start);
    }

    #[test]
    fn garbage_reads_as_a_card_with_ranges_inside_the_text() {
        // What each input's frontmatter is: missing, unterminated, or a block with no entry,
        // with an error when its YAML is not a mapping.
        for (text, expected) in [
            ("", "missing"),
            ("---", "unterminated"),
            ("---\n", "unterminated"),
            ("\u{0}\u{1}---\n", "missing"),
            ("---\n: : :\n---\n", "empty"),
            ("---\n- a\n---\n", "invalid"),
        ] {
            let card = parse_card(text);
            let inside = |range: TextRange| text.get(range.as_usize()).is_some();
            let found = match &card.frontmatter {
                Frontmatter::Missing { range } | Frontmatter::Unterminated { range } => {
                    assert!(inside(*range), "{text:?}: {range:?}");
                    if matches!(card.frontmatter, Frontmatter::Missing { .. }) {
                        "missing"
                    } else {
                        "unterminated"
                    }
                }
                Frontmatter::Present(block) => {
                    assert!(
                        inside(block.range) && inside(block.content_range),
                        "{text:?}"
                    );
                    // Neither input has a `key: value` line to read.
                    assert!(block.entries.is_empty(), "{text:?}");
                    match &block.error {
                        Some(error) => {
                            assert!(inside(error.range), "{text:?}: {:?}", error.range);
                            "invalid"
                        }
                        None => "empty",
                    }
                }
            };
            assert_eq!(found, expected, "{text:?}");
            assert!(card.body_start <= text.len(), "{text:?}");
            for section in &card.sections {
                assert!(inside(section.heading_range) && inside(section.content_range));
            }
            assert!(card.acceptance_items.iter().all(|item| inside(item.range)));
        }
    }
}
