//! What a reference site asks for: how the task being completed would relate to the one at
//! the cursor, what was typed matched against IDs and names (`Query`), and the candidates
//! that would close a dependency cycle, found and explained (`CyclePaths`). Shared by the
//! candidates' items (`tasks`) and their order (`ranking`).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet, VecDeque};

use super::Cx;
use super::context::Token;
use crate::base::TextRange;
use crate::db::mentions::MentionKind;
use crate::db::{Task, TaskIdx, Workspace};
use crate::syntax::task_id::TaskId;

/// How the task being completed would relate to the task at the cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Relation {
    /// The own task would depend on the candidate.
    DependsOn,
    /// The candidate would depend on the own task.
    Blocks,
    Other,
}

/// A place where a task reference is being typed.
pub(super) struct RefSite {
    pub(super) token: Token,
    /// Text around the label in the edit (quotes, brackets, a space).
    pub(super) before: String,
    pub(super) after: String,
    /// IDs already in the same list, left out.
    pub(super) listed: HashSet<TaskId>,
    /// The task the reference is written for (left out, and the cycle check's anchor).
    pub(super) own: Option<TaskIdx>,
    /// The namespace an unqualified ID means here.
    pub(super) namespace: Option<String>,
    pub(super) relation: Relation,
}

impl RefSite {
    /// A bare word being typed as a reference (prose, a ledger string, an index cell): no
    /// quoting to add, no list to leave IDs out of, no relation to check for cycles.
    pub(super) fn word(cx: &Cx, range: TextRange) -> RefSite {
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
pub(super) struct CyclePaths {
    pub(super) relation: Relation,
    pub(super) own: u32,
    /// Keyed by the tasks the walk reached, so the cost is theirs, not the root's size.
    pub(super) next: HashMap<u32, u32>,
}

impl CyclePaths {
    /// One BFS per request over the depends_on edges of the root, resolved through the
    /// cross-file index: backwards from the own task for `depends_on` (who already depends
    /// on it), forwards for `blocks` (what it already depends on).
    pub(super) fn compute(
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
    pub(super) fn reaches(&self, candidate: TaskIdx) -> bool {
        candidate.0 != self.own && self.next.contains_key(&candidate.0)
    }

    /// Every task that would close a cycle.
    pub(super) fn reached(&self) -> impl Iterator<Item = TaskIdx> + '_ {
        self.next
            .keys()
            .filter(|&&idx| idx != self.own)
            .map(|&idx| TaskIdx(idx))
    }

    /// The cycle adding `candidate` would close, as task indexes from the new edge's source
    /// back to it; None when it closes none.
    pub(super) fn path(&self, candidate: usize) -> Option<Vec<usize>> {
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

pub(super) fn format_cycle(workspace: &Workspace, path: &[usize]) -> String {
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
pub(super) struct Query {
    /// Upper-cased, without a `TASK-` prefix.
    pub(super) id_part: String,
    /// Lower-cased, without a `TASK-` prefix.
    pub(super) name_part: String,
}

impl Query {
    pub(super) fn new(typed: &str) -> Option<Query> {
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
    pub(super) fn matches(&self, task: &Task) -> bool {
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
pub(super) fn padded_number(number: u32, buffer: &mut [u8; 10]) -> &[u8] {
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
pub(super) fn contains_lowercased(text: &str, needle: &str, dash_as_space: bool) -> bool {
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
