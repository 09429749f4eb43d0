//! Where the link targets of a markdown text are: inline links and images
//! (`[text](target "title")`) and reference definitions (`[label]: target`), each as the byte
//! range of its target as written. Read with pulldown-cmark, so a `](…)` inside a code span or
//! a fenced block is not taken for a link. What a rename rewrites when a task's paths change.

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag};

use crate::base::TextRange;

/// The range of every link target in `text`, in source order, without the `<…>` that may
/// enclose one. Autolinks (`<https://…>`) are left out: they are URLs, never task paths.
pub fn link_targets(text: &str) -> Vec<TextRange> {
    let parser = Parser::new_ext(text, Options::ENABLE_TABLES);
    let mut targets: Vec<TextRange> = parser
        .reference_definitions()
        .iter()
        .filter_map(|(_, definition)| {
            let span = definition.span.clone();
            let colon = text.get(span.clone())?.find("]:")? + 2;
            target_at(text, span.start + colon, span.end)
        })
        .collect();
    for (event, span) in parser.into_offset_iter() {
        let (Event::Start(Tag::Link {
            link_type: LinkType::Inline,
            dest_url,
            ..
        })
        | Event::Start(Tag::Image {
            link_type: LinkType::Inline,
            dest_url,
            ..
        })) = event
        else {
            continue;
        };
        let Some(source) = text.get(span.clone()) else {
            continue;
        };
        // The target follows a `](`; the link text may itself hold one (in a code span), so
        // the first whose target reads as the parser's is it.
        let found = source.match_indices("](").find_map(|(at, _)| {
            target_at(text, span.start + at + 2, span.end)
                .filter(|range| unescaped(range.slice(text)) == *dest_url)
        });
        if let Some(range) = found {
            targets.push(range);
        }
    }
    targets.sort_by_key(|range| range.start);
    targets.dedup();
    targets
}

/// The target written from `start` (blanks skipped) up to `end`: `<…>`'s inside, else up to
/// the first blank or the closing parenthesis that balances. None when it is empty.
fn target_at(text: &str, start: usize, end: usize) -> Option<TextRange> {
    let region = text.get(start..end)?;
    let skipped = region.len() - region.trim_start().len();
    let begin = start + skipped;
    let rest = &text[begin..end];
    if let Some(inner) = rest.strip_prefix('<') {
        let close = inner.find('>')?;
        return Some(TextRange::new(begin + 1, begin + 1 + close));
    }
    let mut depth = 0usize;
    let mut length = rest.len();
    let mut escaped = false;
    for (at, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '(' => depth += 1,
            ')' if depth == 0 => {
                length = at;
                break;
            }
            ')' => depth -= 1,
            c if c.is_whitespace() => {
                length = at;
                break;
            }
            _ => {}
        }
    }
    (length > 0).then(|| TextRange::new(begin, begin + length))
}

/// A target as the parser reads it: backslash escapes of punctuation removed (entities are
/// rare enough in paths to be left as written).
fn unescaped(written: &str) -> String {
    let mut out = String::with_capacity(written.len());
    let mut chars = written.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(next) if c == '\\' && next.is_ascii_punctuation() => {
                out.push(*next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(text: &str) -> Vec<&str> {
        link_targets(text)
            .into_iter()
            .map(|range| range.slice(text))
            .collect()
    }

    #[test]
    fn inline_links_images_and_definitions_give_their_targets_as_written() {
        let text = "See [the card](../TASK-0001-a/0001-a.task.md#goal \"title\") and \
                    ![shot](<./pics/a b.png>).\n\n[ref]: ../TASK-0002-b/ 'x'\n\nUse [ref][ref].\n";
        assert_eq!(
            targets(text),
            [
                "../TASK-0001-a/0001-a.task.md#goal",
                "./pics/a b.png",
                "../TASK-0002-b/"
            ]
        );
    }

    #[test]
    fn code_autolinks_and_parenthesised_paths_are_read_as_markdown_does() {
        let text = "`[not](a link)` and\n\n```\n[nor](this)\n```\n\n<https://example.com> \
                    [w](wiki/Foo_(bar)) [`x](y`](real.md)\n";
        assert_eq!(targets(text), ["wiki/Foo_(bar)", "real.md"]);
    }

    #[test]
    fn links_in_table_cells_are_found() {
        let text = "| ID | Name |\n|----|------|\n| [0001](next/TASK-0001-a/) | [A](next/TASK-0001-a/0001-a.task.md) |\n";
        assert_eq!(
            targets(text),
            ["next/TASK-0001-a/", "next/TASK-0001-a/0001-a.task.md"]
        );
    }
}
