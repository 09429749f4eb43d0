//! The cross-file reference index: every place a task is mentioned (its `task_id`, frontmatter
//! references, body text, ledgers, index rows), per file and per task, kept up to date as
//! files change so navigation never scans the workspace.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::base::TextRange;
use crate::db::layout::namespace_of_dir;
use crate::db::meta::{parse_blocked_by, ref_item, ref_list};
use crate::db::vocab::REF_LIST_FIELDS;
use crate::db::{FileId, Parsed, SourceFile, Workspace};
use crate::syntax::index_table::{Column, dependency_refs, row_task_id};
use crate::syntax::task_id::{RefSpelling, TaskId, TextRef, parse_task_ref, scan_refs};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MentionKind {
    /// The card's own `task_id`.
    Declaration,
    /// A frontmatter reference field (`depends_on`, `blocks`, `blocked_by`, ...).
    Field(&'static str),
    /// Prose in a card, context or learning file.
    Text,
    Ledger,
    /// The ID cell of an INDEX.md row.
    IndexRow,
    /// A Dependencies cell of an INDEX.md row.
    IndexDependency,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mention {
    /// The task meant, with the file's namespace filled in for unqualified spellings.
    pub id: TaskId,
    pub range: TextRange,
    pub kind: MentionKind,
}

/// Where each task is mentioned, by (root, task), grouped by file so that re-indexing one
/// file touches only its own entries even for a task mentioned a million times.
pub type MentionIndex = HashMap<(usize, TaskId), BTreeMap<FileId, Vec<(TextRange, MentionKind)>>>;

impl Workspace {
    /// The mentions in one file, ordered by position.
    pub fn mentions_in(&self, file: FileId) -> &[Mention] {
        self.mentions.get(&file).map_or(&[], Vec::as_slice)
    }

    /// The mention covering byte `offset` (the end of a mention counts, so a cursor just
    /// after an ID still finds it).
    pub fn mention_at(&self, file: FileId, offset: usize) -> Option<&Mention> {
        let mentions = self.mentions_in(file);
        let after = mentions.partition_point(|m| (m.range.start as usize) <= offset);
        mentions[..after]
            .iter()
            .rev()
            .find(|m| offset <= m.range.end as usize)
    }

    /// Every mention of a task across its root.
    pub fn mentions_of(
        &self,
        root: usize,
        id: &TaskId,
    ) -> impl Iterator<Item = (FileId, TextRange, MentionKind)> + '_ {
        self.mentioned
            .get(&(root, id.clone()))
            .into_iter()
            .flat_map(|by_file| {
                by_file.iter().flat_map(|(&file, places)| {
                    places.iter().map(move |&(range, kind)| (file, range, kind))
                })
            })
    }

    /// Builds the index from scratch (after a build).
    pub(crate) fn index_mentions(&mut self) {
        self.mentions.clear();
        self.mentioned.clear();
        let context = MentionContext::of(self);
        // Collecting reads files only (ledgers are scanned for references here), so it runs
        // on every core; the index is then filled in file order.
        let files: Vec<FileId> = (0..self.files.len() as u32).map(FileId).collect();
        let found = {
            let this = &*self;
            let context = &context;
            crate::parallel::parallel_map(files, |file| {
                (file, this.collect_mentions(file, context))
            })
        };
        for (file, mentions) in found {
            self.insert_mentions(file, mentions);
        }
        // Each list grew by pushes; at ten thousand tasks the spare capacity is megabytes.
        for by_file in self.mentioned.values_mut() {
            for ranges in by_file.values_mut() {
                ranges.shrink_to_fit();
            }
        }
        self.mention_context = context;
    }

    /// Replaces one file's entries (after its text changed).
    /// Editing a file's text changes neither which files belong to which task nor which
    /// namespaces exist, so the context computed at the last build still holds.
    pub(crate) fn reindex_mentions(&mut self, file: FileId) {
        let context = std::mem::take(&mut self.mention_context);
        self.index_file_mentions(file, &context);
        self.mention_context = context;
    }

    fn index_file_mentions(&mut self, file: FileId, context: &MentionContext) {
        let root = self.files[file.0 as usize].root;
        if let Some(old) = self.mentions.remove(&file) {
            for mention in old {
                let key = (root, mention.id);
                if let Some(by_file) = self.mentioned.get_mut(&key) {
                    by_file.remove(&file);
                    if by_file.is_empty() {
                        self.mentioned.remove(&key);
                    }
                }
            }
        }
        let found = self.collect_mentions(file, context);
        self.insert_mentions(file, found);
    }

    /// Adds one file's mentions (its old ones already removed) to both indexes.
    fn insert_mentions(&mut self, file: FileId, found: Vec<Mention>) {
        let root = self.files[file.0 as usize].root;
        for mention in &found {
            self.mentioned
                .entry((root, mention.id.clone()))
                .or_default()
                .entry(file)
                .or_default()
                .push((mention.range, mention.kind));
        }
        if !found.is_empty() {
            self.mentions.insert(file, found);
        }
    }

    fn collect_mentions(&self, file_id: FileId, context: &MentionContext) -> Vec<Mention> {
        let file: &SourceFile = &self.files[file_id.0 as usize];
        if !file.exists {
            return Vec::new();
        }
        // An unqualified ID means the namespace of the file's task, or of its index.
        let ns = match self.task_of_file(file_id) {
            Some(task) => task.namespace(),
            None => context
                .index_namespace
                .get(&file_id)
                .and_then(|namespace| namespace.as_deref()),
        };
        let prose = |refs: &[TextRef], kind: MentionKind| -> Vec<Mention> {
            refs.iter()
                .filter(|found| context.known(file.root, found))
                .map(|found| Mention {
                    id: found.id.resolved_in(ns),
                    range: found.range,
                    kind,
                })
                .collect()
        };
        let mut mentions = match &file.parsed {
            Parsed::Card(card) => {
                let mut mentions = Vec::new();
                if let Some(block) = card.frontmatter.block() {
                    for entry in &block.entries {
                        let key = &*entry.key;
                        let items = match key {
                            "task_id" => entry
                                .value
                                .as_str()
                                .and_then(|text| parse_task_ref(text.trim()))
                                .map(|(id, _)| Mention {
                                    id: id.resolved_in(ns),
                                    range: entry.value.inner_range(),
                                    kind: MentionKind::Declaration,
                                })
                                .into_iter()
                                .collect(),
                            "split_from" => {
                                field_mentions(ref_item(&entry.value, ns), "split_from")
                            }
                            "blocked_by" => entry
                                .value
                                .as_str()
                                .and_then(|text| parse_blocked_by(text.trim(), &entry.value, ns))
                                .and_then(|(blocked, _)| match blocked {
                                    crate::db::meta::BlockedBy::Task { target, .. } => Some(target),
                                    _ => None,
                                })
                                .map(|target| Mention {
                                    id: target.id,
                                    range: target.range,
                                    kind: MentionKind::Field("blocked_by"),
                                })
                                .into_iter()
                                .collect(),
                            _ => match REF_LIST_FIELDS.iter().find(|field| **field == key) {
                                Some(field) => ref_list(&entry.value, ns)
                                    .into_iter()
                                    .map(|item| Mention {
                                        id: item.id,
                                        range: item.range,
                                        kind: MentionKind::Field(field),
                                    })
                                    .collect(),
                                None => Vec::new(),
                            },
                        };
                        mentions.extend(items);
                    }
                }
                mentions.extend(prose(&card.body_refs, MentionKind::Text));
                mentions
            }
            Parsed::Refs(refs) => prose(
                &refs[..refs.len().min(crate::syntax::limits::MAX_PROSE_REFS)],
                MentionKind::Text,
            ),
            Parsed::Ledger(_) => prose(&scan_refs(&file.text, 0), MentionKind::Ledger),
            Parsed::Index(parsed) => {
                let mut mentions = Vec::new();
                if let Some(table) = &parsed.table {
                    for row in &table.rows {
                        if let Some((id, range)) = row_task_id(row, table) {
                            mentions.push(Mention {
                                id: id.resolved_in(ns),
                                range,
                                kind: MentionKind::IndexRow,
                            });
                        }
                        if let Some(cell) = row.cell(table, Column::Dependencies) {
                            mentions.extend(dependency_refs(cell).into_iter().map(
                                |(id, range)| Mention {
                                    id: id.resolved_in(ns),
                                    range,
                                    kind: MentionKind::IndexDependency,
                                },
                            ));
                        }
                    }
                }
                mentions
            }
            _ => Vec::new(),
        };
        mentions.sort_by_key(|mention| (mention.range.start, mention.range.end));
        mentions.dedup_by(|a, b| a.range == b.range);
        mentions.shrink_to_fit();
        mentions
    }
}

/// What resolving a mention needs beyond the file itself, computed once per build.
#[derive(Debug, Default)]
pub(crate) struct MentionContext {
    /// The namespace an unqualified ID means in each index file.
    index_namespace: HashMap<FileId, Option<String>>,
    /// The namespaces each root declares or uses.
    namespaces: Vec<HashSet<String>>,
}

impl MentionContext {
    fn of(workspace: &Workspace) -> MentionContext {
        let mut index_namespace = HashMap::new();
        let mut namespaces = Vec::with_capacity(workspace.roots.len());
        for root in &workspace.roots {
            for index in &root.indexes {
                let namespace = index.namespace_dir.as_deref().and_then(namespace_of_dir);
                index_namespace.insert(index.file, namespace);
            }
            let mut known: HashSet<String> =
                root.declared_namespaces.iter().flatten().cloned().collect();
            known.extend(
                root.tasks
                    .iter()
                    .filter_map(|&idx| workspace.task(idx).namespace().map(str::to_string)),
            );
            namespaces.push(known);
        }
        MentionContext {
            index_namespace,
            namespaces,
        }
    }

    /// Whether a prose `NS-NNNN` names a namespace this root knows (otherwise `ISO-8601`
    /// would be a task).
    fn known(&self, root: usize, found: &TextRef) -> bool {
        if found.spelling != RefSpelling::Namespaced {
            return true;
        }
        found
            .id
            .namespace
            .as_deref()
            .is_some_and(|namespace| self.namespaces[root].contains(namespace))
    }
}

fn field_mentions(item: Option<crate::db::meta::RefItem>, field: &'static str) -> Vec<Mention> {
    item.map(|item| Mention {
        id: item.id,
        range: item.range,
        kind: MentionKind::Field(field),
    })
    .into_iter()
    .collect()
}

#[cfg(test)]
mod tests {
    use crate::db::mentions::MentionKind;
    use crate::ide::fixture::{COUNTER, package, workspace};
    use crate::syntax::task_id::TaskId;

    #[test]
    fn every_kind_of_mention_is_indexed_with_its_range() {
        let fixture = format!(
            "{COUNTER}{}{}//- /INDEX.md\n| ID | Name | DRI | Stage | Status | Dependencies |\n|---|---|---|---|---|---|\n| 0001 | Task 0001 | @ana | backlog | active | 0002 |\n",
            package("backlog/TASK-0001-a", "depends_on: [\"TASK-0002\"]"),
            package("backlog/TASK-0002-b", "blocks: [\"0001\"]"),
        )
        .replace("Do the thing.", "Do the thing after TASK-0002 and ISO-8601.");
        let workspace = workspace(&fixture);
        let target = TaskId::new(None, 2);
        let mut found: Vec<(String, String, MentionKind)> = workspace
            .mentions_of(0, &target)
            .map(|(file, range, kind)| {
                let source = workspace.file(file);
                (
                    source.rel.clone(),
                    range.slice(&source.text).to_string(),
                    kind,
                )
            })
            .collect();
        found.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let expected = [
            ("INDEX.md", "0002", MentionKind::IndexDependency),
            (
                "backlog/TASK-0001-a/0001-a.task.md",
                "\"TASK-0002\"",
                MentionKind::Field("depends_on"),
            ),
            (
                "backlog/TASK-0001-a/0001-a.task.md",
                "TASK-0002",
                MentionKind::Text,
            ),
            (
                "backlog/TASK-0002-b/0002-b.task.md",
                "0002",
                MentionKind::Declaration,
            ),
            (
                "backlog/TASK-0002-b/0002-b.task.md",
                "TASK-0002",
                MentionKind::Text,
            ),
        ];
        let expected: Vec<(String, String, MentionKind)> = expected
            .iter()
            .map(|(file, text, kind)| (file.to_string(), text.to_string(), *kind))
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn an_edit_replaces_the_file_s_mentions() {
        let fixture = format!(
            "{COUNTER}{}{}",
            package("backlog/TASK-0001-a", "depends_on: [\"TASK-0002\"]"),
            package("backlog/TASK-0002-b", ""),
        );
        let mut workspace = workspace(&fixture);
        let card = workspace.tasks[0].card.unwrap();
        let path = workspace.file(card).path.clone();
        let text = workspace.file(card).text.replace("[\"TASK-0002\"]", "[]");
        assert_eq!(workspace.mentions_of(0, &TaskId::new(None, 2)).count(), 2);
        assert!(workspace.update_text(&path, &text));
        let left: Vec<_> = workspace
            .mentions_of(0, &TaskId::new(None, 2))
            .map(|(file, _, _)| file)
            .collect();
        assert!(
            !left.contains(&card),
            "the removed reference is gone from the index"
        );
        let at = text.find("0001").unwrap();
        let mention = workspace.mention_at(card, at + 2).unwrap();
        assert_eq!(mention.kind, MentionKind::Declaration);
    }
}
