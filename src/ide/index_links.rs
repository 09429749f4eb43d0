//! Where INDEX.md links lead (SPEC §2): a link target read against the index's folder and
//! compared with where a task is, and the target the product writes for a task. Path
//! arithmetic on paths relative to the tasks root only: the model knows where every task is,
//! so nothing here touches the disk, and a check costs the length of the target.

use std::path::Path;

use crate::db::{Task, Workspace};
use crate::syntax::index_table::{Cell, CellLink, LinkStyle};

/// Where a task is, relative to its tasks root: what a link to it may lead to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskPlace {
    /// `next/TASK-0042-x`.
    pub folder: String,
    /// `next/TASK-0042-x/0042-x.task.md`; None when the task has no card.
    pub card: Option<String>,
}

impl From<PlaceRef<'_>> for TaskPlace {
    fn from(place: PlaceRef) -> TaskPlace {
        TaskPlace {
            folder: place.folder.to_string(),
            card: place.card.map(str::to_string),
        }
    }
}

impl TaskPlace {
    pub fn of(workspace: &Workspace, task: &Task) -> TaskPlace {
        PlaceRef::of(workspace, task).into()
    }

    /// The same package once its folder is `folder` (a transition moves it).
    pub fn moved_to(&self, folder: &str) -> TaskPlace {
        let card = self
            .card
            .as_ref()
            .map(|card| match card.strip_prefix(self.folder.as_str()) {
                Some(rest) => format!("{folder}{rest}"),
                None => card.clone(),
            });
        TaskPlace {
            folder: folder.to_string(),
            card,
        }
    }

    /// The same place, borrowed.
    pub fn as_ref(&self) -> PlaceRef<'_> {
        PlaceRef {
            folder: &self.folder,
            card: self.card.as_deref(),
        }
    }
}

/// Where a task is, borrowed from the model: what checking a link needs, without copying
/// two paths for every link of a 10,000-row index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlaceRef<'a> {
    pub folder: &'a str,
    pub card: Option<&'a str>,
}

impl<'a> PlaceRef<'a> {
    pub fn of(workspace: &'a Workspace, task: &'a Task) -> PlaceRef<'a> {
        PlaceRef {
            folder: &task.folder,
            card: task.card.map(|card| workspace.file(card).rel.as_str()),
        }
    }

    /// The card and the folder, the two things a link to the task may lead to.
    fn ends(self) -> impl Iterator<Item = &'a str> {
        [Some(self.folder), self.card].into_iter().flatten()
    }
}

/// Whether the link `target`, written in the index `index_rel`, leads to the task at `place`:
/// None when it cannot be told without leaving the tree (a URL such as `https://…`). A
/// target starting with `/` is read from the repository's top, which is taken to be any
/// folder above the tasks root at `root`.
pub fn leads_to(index_rel: &str, target: &str, root: &Path, place: PlaceRef) -> Option<bool> {
    let dir = index_dir(index_rel);
    // Most targets are a plain path down from the index's folder (`TASK-0042-x/`,
    // `next/TASK-0042-x/0042-x.task.md`): compared in place, without building a path.
    if let Some(down) = plain_path_down(target) {
        return Some(place.ends().any(|end| is_below(dir, down, end)));
    }
    let target = target.trim();
    if has_scheme(target) {
        return None;
    }
    let path = target.split(['#', '?']).next().unwrap_or("");
    let path = decode(&unescape(path));
    let reaches = match path.strip_prefix('/') {
        Some(from_top) => {
            let Some(from_top) = normalise("", from_top) else {
                return Some(false);
            };
            place.ends().any(|expected| {
                let prefix = match from_top.strip_suffix(expected) {
                    Some("") => "",
                    Some(prefix) => match prefix.strip_suffix('/') {
                        Some(prefix) => prefix,
                        None => return false,
                    },
                    None => return false,
                };
                root.ends_with(prefix)
            })
        }
        None => normalise(dir, &path).is_some_and(|path| place.ends().any(|end| end == path)),
    };
    Some(reaches)
}

/// The path of `target` without its leading `./`, trailing `/` and `#section`, when it only
/// goes down from the index's folder: no `.` or `..`, nothing to decode, no scheme or
/// blank. None otherwise (such a target is read the long way). One pass over the bytes.
fn plain_path_down(target: &str) -> Option<&str> {
    let bytes = target.as_bytes();
    let end = bytes
        .iter()
        .position(|&b| b == b'#' || b == b'?')
        .unwrap_or(bytes.len());
    let mut start = 0;
    while bytes[start..end].starts_with(b"./") {
        start += 2;
    }
    let mut stop = end;
    if stop > start && bytes[stop - 1] == b'/' {
        stop -= 1;
    }
    if start >= stop {
        return None;
    }
    let mut part_start = start;
    for at in start..=stop {
        if at == stop || bytes[at] == b'/' {
            if matches!(&bytes[part_start..at], b"" | b"." | b"..") {
                return None;
            }
            part_start = at + 1;
        } else if matches!(bytes[at], b'%' | b'\\' | b':' | b' ' | b'\t') {
            return None;
        }
    }
    target.get(start..stop)
}

/// Whether `dir/down` is `end` (all relative to the tasks root).
fn is_below(dir: &str, down: &str, end: &str) -> bool {
    if dir.is_empty() {
        return end == down;
    }
    end.strip_prefix(dir)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|rest| rest == down)
}

/// The target a link to the task at `place` gets in the index `index_rel`, in `style`'s
/// form: to the card (or the folder, when the style links folders or there is no card),
/// relative to the index's folder.
pub fn target_for(index_rel: &str, place: &TaskPlace, style: &LinkStyle) -> String {
    let to = match (&place.card, style.to_folders) {
        (Some(card), false) => card.clone(),
        _ => format!("{}/", place.folder),
    };
    let relative = relative_path(index_dir(index_rel), &to);
    let relative = if style.dot_slash && !relative.starts_with("../") {
        format!("./{relative}")
    } else {
        relative
    };
    encode(&relative)
}

/// A wrong link target set right: it leads to the task at `place` and keeps the form the old
/// one had (card or folder, `./`, its `#section`); a blank one takes the index's `style`.
pub fn corrected_target(
    index_rel: &str,
    old: &str,
    place: &TaskPlace,
    style: &LinkStyle,
) -> String {
    let old = old.trim();
    if old.is_empty() {
        return target_for(index_rel, place, style);
    }
    let split = old.find(['#', '?']).unwrap_or(old.len());
    let (path, suffix) = old.split_at(split);
    let style = LinkStyle {
        to_folders: !path.ends_with(".md"),
        dot_slash: path.starts_with("./"),
        ..LinkStyle::default()
    };
    format!("{}{suffix}", target_for(index_rel, place, &style))
}

/// A link `target` written in the file `file_before` (relative to the tasks root), rewritten
/// for a task package that moves from `from` to `to` (a rename: the folder and the card take
/// the new slug): a target leading to the folder, its card or any other file below it leads
/// to the same thing at its new place, read from `file_after`, where the file holding the link
/// ends up (it moves along when it is in the package). Keeps the target's form: `./`, a
/// trailing `/`, a `#section`, a path from the repository's top. None when the target leads
/// elsewhere, cannot be told (a URL), or needs no change.
pub fn moved_target(
    file_before: &str,
    file_after: &str,
    target: &str,
    root: &Path,
    from: &TaskPlace,
    to: &TaskPlace,
) -> Option<String> {
    let written = target.trim();
    if has_scheme(written) {
        return None;
    }
    let split = written.find(['#', '?']).unwrap_or(written.len());
    let (path, suffix) = written.split_at(split);
    let trailing_slash = path.ends_with('/');
    let path = decode(&unescape(path));
    // The package-relative rest of the path: "" for the folder, `/name` below it.
    let inside = |resolved: &str| -> Option<String> {
        let rest = resolved.strip_prefix(from.folder.as_str())?;
        (rest.is_empty() || rest.starts_with('/')).then(|| rest.to_string())
    };
    let moved = |rest: &str| -> String {
        let card_name = |place: &TaskPlace| {
            place
                .card
                .as_deref()
                .and_then(|card| card.rsplit_once('/'))
                .map(|(_, name)| name.to_string())
        };
        match (rest.strip_prefix('/'), card_name(from), card_name(to)) {
            (Some(name), Some(old), Some(new)) if name == old => format!("{}/{new}", to.folder),
            _ => format!("{}{rest}", to.folder),
        }
    };
    let slash = if trailing_slash { "/" } else { "" };
    let new_path = match path.strip_prefix('/') {
        Some(from_top) => {
            let from_top = normalise("", from_top)?;
            let (prefix, rest) = if let Some(rest) = inside(&from_top) {
                ("", rest)
            } else {
                let at = from_top.find(&format!("/{}", from.folder))?;
                (&from_top[..at], inside(&from_top[at + 1..])?)
            };
            if !root.ends_with(prefix) {
                return None;
            }
            let joined = if prefix.is_empty() {
                moved(&rest)
            } else {
                format!("{prefix}/{}", moved(&rest))
            };
            format!("/{joined}{slash}")
        }
        None => {
            let rest = inside(&normalise(index_dir(file_before), &path)?)?;
            let relative =
                relative_path(index_dir(file_after), &format!("{}{slash}", moved(&rest)));
            match relative.as_str() {
                "" => "./".to_string(),
                _ if path.starts_with("./") && !relative.starts_with("../") => {
                    format!("./{relative}")
                }
                _ => relative,
            }
        }
    };
    let new_target = format!("{}{suffix}", encode(&new_path));
    (new_target != written).then_some(new_target)
}

/// The folder an index sits in, relative to the tasks root ("" for the root index).
fn index_dir(index_rel: &str) -> &str {
    index_rel.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// `https:`, `mailto:`…: a letter, then letters, digits, `+`, `-` or `.`, then `:`. (A
/// Windows drive letter would pass too; such a target is not a forge link either.)
fn has_scheme(target: &str) -> bool {
    let Some((scheme, _)) = target.split_once(':') else {
        return false;
    };
    scheme.starts_with(|ch: char| ch.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '+' | '-' | '.'))
}

/// `path` read from the folder `dir` (both relative to the tasks root), with `.` and `..`
/// resolved and no trailing slash; None when it climbs out of the tasks root.
fn normalise(dir: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in dir.split('/').chain(path.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// The path from the folder `dir` to `to` (both relative to the tasks root).
fn relative_path(dir: &str, to: &str) -> String {
    let from: Vec<&str> = dir.split('/').filter(|part| !part.is_empty()).collect();
    let parts: Vec<&str> = to.split('/').collect();
    let common = from
        .iter()
        .zip(&parts)
        .take_while(|(a, b)| a == b)
        .count()
        // The last part of `to` is a name (or "" after a trailing slash), never shared.
        .min(parts.len().saturating_sub(1));
    let mut out = "../".repeat(from.len() - common);
    out.push_str(&parts[common..].join("/"));
    out
}

/// Backslash escapes of punctuation read as the character (`\(` is `(`).
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch == '\\'
            && let Some(&next) = chars.peek()
            && next.is_ascii_punctuation()
        {
            out.push(next);
            chars.next();
            continue;
        }
        out.push(ch);
    }
    out
}

/// `%XX` sequences decoded; the text as it is when they do not make UTF-8.
fn decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = |offset: usize| {
            bytes
                .get(at + offset)
                .and_then(|&b| (b as char).to_digit(16))
        };
        if bytes[at] == b'%'
            && let (Some(high), Some(low)) = (hex(1), hex(2))
        {
            out.push((high * 16 + low) as u8);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// What a destination written bare cannot hold, percent-encoded: spaces and controls end it,
/// parentheses and `<>` would unbalance it, `|` would end the table cell, and `%` would be
/// read as an escape.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for ch in path.chars() {
        if ch.is_ascii_control() || matches!(ch, ' ' | '(' | ')' | '<' | '>' | '|' | '%') {
            out.push_str(&format!("%{:02X}", ch as u32));
        } else {
            out.push(ch);
        }
    }
    out
}

/// The text of `link`, one of `cell`'s links, as the cell's value reads it.
pub fn link_text<'c>(cell: &'c Cell, link: &CellLink) -> &'c str {
    cell.text
        .get(link.value_start as usize..link.value_end as usize)
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(folder: &str, card: Option<&str>) -> TaskPlace {
        TaskPlace {
            folder: folder.to_string(),
            card: card.map(str::to_string),
        }
    }

    const ROOT: &str = "/repo/.work/tasks";

    #[test]
    fn a_moved_target_leads_to_the_same_file_at_the_packages_new_place() {
        let from = place(
            "next/TASK-0001-old",
            Some("next/TASK-0001-old/0001-old.task.md"),
        );
        let to = place(
            "next/TASK-0001-new",
            Some("next/TASK-0001-new/0001-new.task.md"),
        );
        let root = Path::new(ROOT);
        let moved = |file: &str, after: &str, target: &str| {
            moved_target(file, after, target, root, &from, &to)
        };
        let cases = [
            // From another stage's card, to the card, keeping the section.
            (
                "current/TASK-0002-b/0002-b.task.md",
                "../../next/TASK-0001-old/0001-old.task.md#goal",
                Some("../../next/TASK-0001-new/0001-new.task.md#goal"),
            ),
            // From a stage index, to the folder, keeping `./` and the trailing slash.
            (
                "next/INDEX.md",
                "./TASK-0001-old/",
                Some("./TASK-0001-new/"),
            ),
            // The context, another file of the package, keeps its name.
            (
                "INDEX.md",
                "next/TASK-0001-old/0001.context.md",
                Some("next/TASK-0001-new/0001.context.md"),
            ),
            // From the repository's top.
            (
                "INDEX.md",
                "/.work/tasks/next/TASK-0001-old/0001-old.task.md",
                Some("/.work/tasks/next/TASK-0001-new/0001-new.task.md"),
            ),
            // Elsewhere, a URL, a folder that only starts alike: no change.
            ("INDEX.md", "next/TASK-0001-older/", None),
            ("INDEX.md", "https://example.com/next/TASK-0001-old/", None),
            ("INDEX.md", "next/TASK-0002-b/", None),
        ];
        for (file, target, expected) in cases {
            assert_eq!(moved(file, file, target).as_deref(), expected, "{target}");
        }
        // A file of the package moves along: its link to the card is read from the new folder.
        assert_eq!(
            moved(
                "next/TASK-0001-old/0001.context.md",
                "next/TASK-0001-new/0001.context.md",
                "./0001-old.task.md"
            )
            .as_deref(),
            Some("./0001-new.task.md")
        );
    }

    fn check(index: &str, target: &str) -> Option<bool> {
        let task = place("next/TASK-0042-x", Some("next/TASK-0042-x/0042-x.task.md"));
        leads_to(index, target, Path::new(ROOT), task.as_ref())
    }

    #[test]
    fn targets_are_read_from_the_index_folder() {
        let reaches = [
            ("INDEX.md", "next/TASK-0042-x/0042-x.task.md"),
            ("INDEX.md", "./next/TASK-0042-x/0042-x.task.md#goal"),
            ("INDEX.md", "next/TASK-0042-x/"),
            ("INDEX.md", "next/TASK-0042-x"),
            ("INDEX.md", "<next/TASK-0042-x/0042-x.task.md>"),
            ("INDEX.md", "next/TASK%2D0042-x/0042-x.task.md"),
            ("next/INDEX.md", "TASK-0042-x/0042-x.task.md"),
            ("backlog/INDEX.md", "../next/TASK-0042-x/0042-x.task.md"),
            ("backlog/INDEX.md", "../backlog/../next/./TASK-0042-x/"),
            ("INDEX.md", "/.work/tasks/next/TASK-0042-x/0042-x.task.md"),
            ("INDEX.md", "/repo/.work/tasks/next/TASK-0042-x/"),
        ];
        for (index, target) in reaches {
            let target = target.trim_matches(['<', '>']);
            assert_eq!(check(index, target), Some(true), "{index}: {target}");
        }
        let misses = [
            ("INDEX.md", "current/TASK-0042-x/0042-x.task.md"),
            ("INDEX.md", "next/TASK-0042-x/0042-x.context.md"),
            ("INDEX.md", ""),
            ("next/INDEX.md", "next/TASK-0042-x/0042-x.task.md"),
            ("backlog/INDEX.md", "../../next/TASK-0042-x/"),
            ("INDEX.md", "/other/tasks/next/TASK-0042-x/"),
            ("INDEX.md", "/x.work/tasks/next/TASK-0042-x/"),
        ];
        for (index, target) in misses {
            assert_eq!(check(index, target), Some(false), "{index}: {target}");
        }
        for url in [
            "https://forge.example/x/blob/main/.work/tasks/next/TASK-0042-x/",
            "mailto:a@b",
        ] {
            assert_eq!(check("INDEX.md", url), None, "{url}");
        }
    }

    #[test]
    fn written_targets_are_relative_to_the_index_and_in_its_style() {
        let task = place("next/TASK-0042-x", Some("next/TASK-0042-x/0042-x.task.md"));
        let cards = LinkStyle::default();
        let folders = LinkStyle {
            to_folders: true,
            dot_slash: true,
            ..LinkStyle::default()
        };
        let cases = [
            ("INDEX.md", &cards, "next/TASK-0042-x/0042-x.task.md"),
            ("next/INDEX.md", &cards, "TASK-0042-x/0042-x.task.md"),
            ("backlog/INDEX.md", &folders, "../next/TASK-0042-x/"),
            ("next/INDEX.md", &folders, "./TASK-0042-x/"),
        ];
        for (index, style, target) in cases {
            assert_eq!(target_for(index, &task, style), target, "{index}");
        }
        assert_eq!(
            target_for(
                "fw/next/INDEX.md",
                &place("fw/next/TASK-FW-0001-a b", None),
                &cards
            ),
            "TASK-FW-0001-a%20b/"
        );
        // Every written target leads where it should.
        for index in [
            "INDEX.md",
            "next/INDEX.md",
            "backlog/INDEX.md",
            "fw/inbox/INDEX.md",
        ] {
            for style in [cards, folders] {
                let target = target_for(index, &task, &style);
                assert_eq!(
                    leads_to(index, &target, Path::new(ROOT), task.as_ref()),
                    Some(true)
                );
            }
        }
    }

    #[test]
    fn a_corrected_target_keeps_the_old_ones_form() {
        let task = place(
            "current/TASK-0042-x",
            Some("current/TASK-0042-x/0042-x.task.md"),
        );
        let cards = LinkStyle::default();
        assert_eq!(
            corrected_target(
                "INDEX.md",
                "next/TASK-0042-x/0042-x.task.md#goal",
                &task,
                &cards
            ),
            "current/TASK-0042-x/0042-x.task.md#goal"
        );
        assert_eq!(
            corrected_target("backlog/INDEX.md", "./TASK-0042-x/", &task, &cards),
            "../current/TASK-0042-x/"
        );
        assert_eq!(
            corrected_target("current/INDEX.md", "", &task, &cards),
            "TASK-0042-x/0042-x.task.md"
        );
        // A blank target takes the index's style.
        let folders = LinkStyle {
            to_folders: true,
            ..LinkStyle::default()
        };
        assert_eq!(
            corrected_target("current/INDEX.md", " ", &task, &folders),
            "TASK-0042-x/"
        );
        let moved = task.moved_to("integration/TASK-0042-x");
        assert_eq!(
            moved.card.as_deref(),
            Some("integration/TASK-0042-x/0042-x.task.md")
        );
    }
}
