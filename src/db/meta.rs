//! A card's frontmatter read leniently into typed fields: what is well-formed is taken, what is
//! not is left out (the frontmatter rules report it). The graph and workspace rules work on
//! this view, never on raw YAML.

use crate::base::TextRange;
use crate::db::vocab::{Stage, Status};
use crate::syntax::card::{FrontmatterBlock, FrontmatterEntry};
use crate::syntax::task_id::{TaskId, parse_task_ref};
use crate::syntax::yaml::{YamlNode, YamlValue};

/// A reference to another task in a frontmatter field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefItem {
    /// The target, with the referring task's namespace filled in when the spelling has none.
    pub id: TaskId,
    /// The item as written (quotes included), for diagnostics and edits.
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockedBy {
    Task {
        target: RefItem,
        note: Option<String>,
    },
    Other {
        kind: String,
        detail: String,
    },
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TaskMeta {
    /// The `task_id` text as written, and its value range.
    pub task_id: Option<(String, TextRange)>,
    pub task_name: Option<String>,
    pub stage: Option<(Stage, TextRange)>,
    pub status: Option<(Status, TextRange)>,
    pub priority: Option<String>,
    pub effort: Option<String>,
    pub current_dri: Option<String>,
    pub blocked_by: Option<(BlockedBy, TextRange)>,
    pub paused_reason: Option<String>,
    pub canceled_reason: Option<String>,
    pub depends_on: Vec<RefItem>,
    pub blocks: Vec<RefItem>,
    pub related_to: Vec<RefItem>,
    pub split_into: Vec<RefItem>,
    pub split_from: Option<RefItem>,
}

impl TaskMeta {
    pub fn from_frontmatter(block: &FrontmatterBlock, namespace: Option<&str>) -> TaskMeta {
        let mut meta = TaskMeta::default();
        for entry in &block.entries {
            read_entry(&mut meta, entry, namespace);
        }
        meta
    }

    pub fn status(&self) -> Option<Status> {
        self.status.map(|(status, _)| status)
    }

    pub fn stage(&self) -> Option<Stage> {
        self.stage.map(|(stage, _)| stage)
    }
}

fn read_entry(meta: &mut TaskMeta, entry: &FrontmatterEntry, namespace: Option<&str>) {
    let value = &entry.value;
    let text = non_empty_str(value);
    match &*entry.key {
        "task_id" => {
            meta.task_id = text.map(|t| (t.to_string(), value.inner_range()));
        }
        "task_name" => meta.task_name = text.map(str::to_string),
        "stage" => meta.stage = text.and_then(Stage::parse).map(|s| (s, value.range)),
        "status" => meta.status = text.and_then(Status::parse).map(|s| (s, value.range)),
        "priority" => meta.priority = text.map(str::to_string),
        "effort_estimate" => {
            meta.effort = match &value.value {
                YamlValue::Int(number) => Some(number.to_string()),
                _ => text.map(str::to_string),
            }
        }
        "current_dri" => meta.current_dri = text.map(str::to_string),
        "paused_reason" => meta.paused_reason = text.map(str::to_string),
        "canceled_reason" => meta.canceled_reason = text.map(str::to_string),
        "blocked_by" => meta.blocked_by = text.and_then(|t| parse_blocked_by(t, value, namespace)),
        "depends_on" => meta.depends_on = ref_list(value, namespace),
        "blocks" => meta.blocks = ref_list(value, namespace),
        "related_to" => meta.related_to = ref_list(value, namespace),
        "split_into" => meta.split_into = ref_list(value, namespace),
        "split_from" => meta.split_from = ref_item(value, namespace),
        _ => {}
    }
}

fn non_empty_str(node: &YamlNode) -> Option<&str> {
    node.as_str().map(str::trim).filter(|text| !text.is_empty())
}

/// The well-formed references of a list field (a single scalar is not a list).
pub fn ref_list(node: &YamlNode, namespace: Option<&str>) -> Vec<RefItem> {
    match &node.value {
        YamlValue::Seq(items) => items
            .iter()
            .filter_map(|item| ref_item(item, namespace))
            .collect(),
        _ => Vec::new(),
    }
}

pub fn ref_item(node: &YamlNode, namespace: Option<&str>) -> Option<RefItem> {
    let text = node.as_str()?.trim();
    let (id, _) = parse_task_ref(text)?;
    Some(RefItem {
        id: id.resolved_in(namespace),
        range: node.range,
    })
}

/// `task:TASK-0042`, `task:TASK-0042 (canceled)`, `external:…`, `decision:…`, `info:…`.
pub fn parse_blocked_by(
    text: &str,
    node: &YamlNode,
    namespace: Option<&str>,
) -> Option<(BlockedBy, TextRange)> {
    let (kind, detail) = text.split_once(':')?;
    let kind = kind.trim();
    if kind != "task" {
        let blocked = BlockedBy::Other {
            kind: kind.to_string(),
            detail: detail.trim().to_string(),
        };
        return Some((blocked, node.range));
    }
    let (reference, note) = match detail.trim().split_once(' ') {
        Some((reference, note)) => (reference, Some(note.trim().to_string())),
        None => (detail.trim(), None),
    };
    let (id, _) = parse_task_ref(reference)?;
    let target_range = sub_range(node, reference).unwrap_or(node.range);
    let target = RefItem {
        id: id.resolved_in(namespace),
        range: target_range,
    };
    Some((BlockedBy::Task { target, note }, node.range))
}

/// The range of `needle` within a plain or simply quoted scalar's source text; None when
/// escapes make the source differ from the value.
pub fn sub_range(node: &YamlNode, needle: &str) -> Option<TextRange> {
    let value = node.as_str()?;
    let inner = node.inner_range();
    if inner.len() != value.len() {
        return None;
    }
    let at = value.find(needle)?;
    Some(TextRange::new(
        inner.start as usize + at,
        inner.start as usize + at + needle.len(),
    ))
}

/// Every reference a card's frontmatter makes, with the field it sits in.
pub fn references(task: &crate::db::Task) -> impl Iterator<Item = (&'static str, &RefItem)> {
    let meta = &task.meta;
    let lists = [
        ("depends_on", &meta.depends_on),
        ("blocks", &meta.blocks),
        ("related_to", &meta.related_to),
        ("split_into", &meta.split_into),
    ];
    let blocked_by = match &meta.blocked_by {
        Some((BlockedBy::Task { target, .. }, _)) => Some(("blocked_by", target)),
        _ => None,
    };
    lists
        .into_iter()
        .flat_map(|(field, items)| items.iter().map(move |item| (field, item)))
        .chain(meta.split_from.as_ref().map(|item| ("split_from", item)))
        .chain(blocked_by)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::card::parse_card;

    #[test]
    fn reads_fields_and_resolves_namespace() {
        let text = "---\ntask_id: \"FW-0002\"\nstage: next\nstatus: blocked\nblocked_by: \"task:TASK-0001 (canceled)\"\ndepends_on: [\"0001\", TASK-PLAT-0003, bogus]\n---\n";
        let card = parse_card(text);
        let meta = TaskMeta::from_frontmatter(card.frontmatter.block().unwrap(), Some("FW"));
        assert_eq!(meta.stage(), Some(Stage::Next));
        assert_eq!(meta.status(), Some(Status::Blocked));
        let deps: Vec<(String, &str)> = meta
            .depends_on
            .iter()
            .map(|r| (r.id.to_string(), r.range.slice(text)))
            .collect();
        assert_eq!(
            deps,
            [
                ("TASK-FW-0001".to_string(), "\"0001\""),
                ("TASK-PLAT-0003".to_string(), "TASK-PLAT-0003")
            ]
        );
        let Some((BlockedBy::Task { target, note }, _)) = &meta.blocked_by else {
            panic!("{:?}", meta.blocked_by)
        };
        assert_eq!(target.range.slice(text), "TASK-0001");
        assert_eq!(note.as_deref(), Some("(canceled)"));
    }
}
