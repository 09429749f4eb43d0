//! Task IDs: the grammar of SPEC §2, parsing of one reference, and scanning free text for them.
//!
//! Accepted spellings: `0042`, `TASK-0042`, `FW-0042`, `TASK-FW-0042`. A namespace is 2–6 of
//! `A-Z0-9` starting with a letter; the number has at least four digits (IDs past 9999 keep
//! growing rather than wrapping). Displayed canonically as `TASK-0042` / `TASK-FW-0042`.

use std::fmt;

use crate::base::TextRange;

/// A task's identity: optional namespace plus number.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId {
    pub namespace: Option<Box<str>>,
    pub number: u32,
}

impl TaskId {
    pub fn new(namespace: Option<&str>, number: u32) -> TaskId {
        TaskId {
            namespace: namespace.map(Box::from),
            number,
        }
    }

    /// The bare ID as written in `task_id` and file names: `0042` or `FW-0042`.
    pub fn short(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}-{:04}", self.number),
            None => format!("{:04}", self.number),
        }
    }

    /// This ID, with the namespace of `context` filled in when it has none of its own.
    pub fn resolved_in(&self, context: Option<&str>) -> TaskId {
        match (&self.namespace, context) {
            (None, Some(ns)) => TaskId::new(Some(ns), self.number),
            _ => self.clone(),
        }
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TASK-{}", self.short())
    }
}

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// How a reference was spelled; free text only trusts the unambiguous spellings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefSpelling {
    /// `0042`
    Bare,
    /// `FW-0042`
    Namespaced,
    /// `TASK-0042` or `TASK-FW-0042`
    Prefixed,
}

/// Parses a whole value as a task reference. Surrounding whitespace is not allowed; the
/// caller trims (so a range stays exact).
pub fn parse_task_ref(text: &str) -> Option<(TaskId, RefSpelling)> {
    let (rest, prefixed) = match text.strip_prefix("TASK-") {
        Some(rest) => (rest, true),
        None => (text, false),
    };
    let (namespace, digits) = match rest.rsplit_once('-') {
        Some((ns, digits)) => {
            if !is_namespace(ns) {
                return None;
            }
            (Some(ns), digits)
        }
        None => (None, rest),
    };
    let number = parse_number(digits)?;
    let spelling = match (prefixed, namespace) {
        (true, _) => RefSpelling::Prefixed,
        (false, Some(_)) => RefSpelling::Namespaced,
        (false, None) => RefSpelling::Bare,
    };
    Some((TaskId::new(namespace, number), spelling))
}

/// Parses a task folder name `TASK-<id>-<slug>` into the ID and the slug (which may be empty
/// when the folder is just `TASK-<id>`).
pub fn parse_folder_name(name: &str) -> Option<(TaskId, &str)> {
    let rest = name.strip_prefix("TASK-")?;
    let (namespace, after_ns) = match rest.split_once('-') {
        Some((ns, after)) if is_namespace(ns) => (Some(ns), after),
        _ => (None, rest),
    };
    let digit_len = after_ns.bytes().take_while(u8::is_ascii_digit).count();
    let number = parse_number(&after_ns[..digit_len])?;
    let slug = &after_ns[digit_len..];
    let slug = match slug.strip_prefix('-') {
        Some(slug) => slug,
        None if slug.is_empty() => slug,
        None => return None,
    };
    Some((TaskId::new(namespace, number), slug))
}

/// Parses the leading `<id>` of a package file name such as `0042-slug.task.md`,
/// `FW-0042.ledger.jsonl`; returns the ID and the remainder after it.
pub fn parse_file_prefix(name: &str) -> Option<(TaskId, &str)> {
    let (namespace, after_ns) = match name.split_once('-') {
        Some((ns, after)) if is_namespace(ns) => (Some(ns), after),
        _ => (None, name),
    };
    let digit_len = after_ns.bytes().take_while(u8::is_ascii_digit).count();
    let number = parse_number(&after_ns[..digit_len])?;
    Some((TaskId::new(namespace, number), &after_ns[digit_len..]))
}

/// A namespace: 2–6 of `A-Z0-9`, starting with a letter.
pub fn is_namespace(text: &str) -> bool {
    (2..=6).contains(&text.len())
        && text.as_bytes()[0].is_ascii_uppercase()
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn parse_number(digits: &str) -> Option<u32> {
    if digits.len() < 4 || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A task reference found in free text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextRef {
    pub id: TaskId,
    pub spelling: RefSpelling,
    pub range: TextRange,
}

/// Finds task references in prose, JSON or table text, with their byte ranges (shifted by
/// `base`). Only `TASK-…` and `NS-NNNN` spellings are reported: a bare number in prose is far
/// more often a year or a count than a task, and callers that know a field holds an ID parse
/// it with [`parse_task_ref`] instead. `NS-NNNN` candidates are returned for the caller to
/// confirm against the declared namespaces (otherwise `ISO-8601` would be a task).
pub fn scan_refs(text: &str, base: usize) -> Vec<TextRef> {
    scan_refs_at_most(text, base, usize::MAX)
}

/// [`scan_refs`], stopping after `limit` references.
pub fn scan_refs_at_most(text: &str, base: usize, limit: usize) -> Vec<TextRef> {
    let bytes = text.as_bytes();
    let mut refs = Vec::new();
    let mut at = 0;
    while at < bytes.len() && refs.len() < limit {
        // Candidates start at a word boundary with an uppercase letter. Most bytes are not
        // uppercase, so that is asked first: this loop runs over every byte of every card,
        // context and ledger at load.
        if !(bytes[at].is_ascii_uppercase() && (at == 0 || !is_word_byte(bytes[at - 1]))) {
            at += 1;
            continue;
        }
        let end = token_end(bytes, at);
        // Only `TASK-…` and `NS-NNNN` are reported, and both have a `-`; a capitalised word
        // (most candidates) has none and is not worth parsing.
        if bytes[at..end].contains(&b'-')
            && let Some((id, spelling)) = parse_task_ref(&text[at..end])
            && spelling != RefSpelling::Bare
        {
            refs.push(TextRef {
                id,
                spelling,
                range: TextRange::new(base + at, base + end),
            });
        }
        at = end.max(at + 1);
    }
    refs
}

/// End of the `[A-Z0-9-]` run starting at `start`, without a trailing `-`, stopping before a
/// word character that would make the run part of a longer word.
fn token_end(bytes: &[u8], start: usize) -> usize {
    let mut end = start;
    while end < bytes.len()
        && (bytes[end].is_ascii_uppercase() || bytes[end].is_ascii_digit() || bytes[end] == b'-')
    {
        end += 1;
    }
    // `TASK-0042-slug` in folder names: stop the ID at the digits.
    while end > start && bytes[end - 1] == b'-' {
        end -= 1;
    }
    if end < bytes.len() && is_word_byte(bytes[end]) && bytes[end] != b'-' {
        // Glued to a lowercase word (`TASK-0042abc`): not a reference.
        return start;
    }
    // Trimming only ever cuts at a `-`; a run without one (`API`, `README`) stays whole.
    if !bytes[start..end].contains(&b'-') {
        return end;
    }
    trim_to_digits(bytes, start, end).unwrap_or(end)
}

/// Within `start..end`, the end of the shortest prefix that parses as an ID followed by `-`
/// and more text (as in `TASK-0042-slug-PART`), or `end` itself.
fn trim_to_digits(bytes: &[u8], start: usize, end: usize) -> Option<usize> {
    let text = std::str::from_utf8(&bytes[start..end]).ok()?;
    if parse_task_ref(text).is_some() {
        return Some(end);
    }
    for (at, _) in text.match_indices('-') {
        if parse_task_ref(&text[..at]).is_some() {
            return Some(start + at);
        }
    }
    None
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> Option<String> {
        parse_task_ref(text).map(|(id, _)| id.to_string())
    }

    #[test]
    fn parses_every_accepted_spelling() {
        assert_eq!(id("0042").as_deref(), Some("TASK-0042"));
        assert_eq!(id("TASK-0042").as_deref(), Some("TASK-0042"));
        assert_eq!(id("FW-0042").as_deref(), Some("TASK-FW-0042"));
        assert_eq!(id("TASK-FW-0042").as_deref(), Some("TASK-FW-0042"));
        assert_eq!(id("TASK-12345").as_deref(), Some("TASK-12345"));
    }

    #[test]
    fn rejects_what_is_not_an_id() {
        for bad in [
            "42",
            "TASK-42",
            "task-0042",
            "F-0042",
            "TOOLONG-0042",
            "1W-0042",
            "TASK-0042 ",
            "TASK-",
            "",
        ] {
            assert_eq!(id(bad), None, "{bad:?} parsed");
        }
    }

    #[test]
    fn folder_names_split_id_and_slug() {
        let (id, slug) = parse_folder_name("TASK-0042-fix-login").unwrap();
        assert_eq!((id.to_string(), slug), ("TASK-0042".into(), "fix-login"));
        let (id, slug) = parse_folder_name("TASK-FW-0007-api").unwrap();
        assert_eq!((id.to_string(), slug), ("TASK-FW-0007".into(), "api"));
        let (id, slug) = parse_folder_name("TASK-0009").unwrap();
        assert_eq!((id.to_string(), slug), ("TASK-0009".into(), ""));
        assert!(parse_folder_name("TASK-0042fix").is_none());
        assert!(parse_folder_name("notes").is_none());
    }

    #[test]
    fn scans_prose_with_exact_ranges() {
        let text =
            "See TASK-0042, FW-0007 and TASK-FW-0001-slug; not 2025 or task-0001 or TASK-0042abc.";
        let found: Vec<(String, &str)> = scan_refs(text, 0)
            .into_iter()
            .map(|r| (r.id.to_string(), r.range.slice(text)))
            .collect();
        assert_eq!(
            found,
            vec![
                ("TASK-0042".to_string(), "TASK-0042"),
                ("TASK-FW-0007".to_string(), "FW-0007"),
                ("TASK-FW-0001".to_string(), "TASK-FW-0001"),
            ]
        );
    }

    #[test]
    fn scan_offsets_are_shifted_by_base() {
        let refs = scan_refs("x TASK-0001", 100);
        assert_eq!(refs[0].range, TextRange::new(102, 111));
    }
}
