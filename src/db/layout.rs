//! Where things live in a tasks root: the three namespace layouts of SPEC §2, which files play
//! which role, and assembling task packages from folders.

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use crate::db::CardReading;
use crate::db::meta::TaskMeta;
use crate::db::vocab::Stage;
use crate::db::{
    CounterFile, FileId, FileInput, IndexFile, Parsed, RootInput, SourceFile, Task, TaskIdx,
    TasksRoot, Workspace, declared_namespaces, parse_file_reading,
};
use crate::parallel::parallel_map;
use crate::syntax::task_id::{parse_file_prefix, parse_folder_name, parse_task_ref};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileRole {
    Card,
    /// `*.task.v1.md`: an earlier version kept as history, not a live card.
    CardVersion,
    Context,
    Learning,
    Ledger,
    /// `<id>.proposals.jsonl`: agents' proposals and people's decisions (append-only).
    Proposals,
    StageIndex(Stage),
    RootIndex,
    NamespaceIndex,
    IdCounter,
    Namespaces,
    WipPolicy,
    Other,
}

/// The tasks root's file of agents' task drafts (proposals to create a task).
pub const DRAFTS_FILE: &str = "drafts.proposals.jsonl";

/// How many folders deep below a tasks root the layouts go (`ns/stage/TASK-x/`).
const MAX_FOLDER_DEPTH: usize = 3;

/// Whether the folder `name`, `depth` folders below a tasks root (0: directly in it), is one
/// the model reads: hidden folders (tools' scratch and trash, `.git`) are skipped, and
/// nothing deeper than the layouts go is listed. The loader's walk and the model's updates
/// both ask this, so an edit never describes a workspace `check` would not see.
pub fn is_listed_folder(name: &str, depth: usize) -> bool {
    depth < MAX_FOLDER_DEPTH && !name.starts_with('.')
}

/// Whether a file name is one the model reads; the loader skips everything else (READMEs,
/// workflow documents, attachments) without opening it.
pub fn is_interesting_name(name: &str) -> bool {
    package_role(name) != FileRole::Other
        || name == "INDEX.md"
        || name == "NAMESPACES.yaml"
        || name == "wip.policy.md"
        || is_counter_name(name)
}

/// Whether the flow engine (queries, metrics, reports) reads a file of this name: cards for
/// where tasks are now, ledgers for their history, the policy for limits and SLOs, and what
/// places tasks in namespaces. Contexts, learning files, card versions and indexes add
/// nothing to its answers. Proposals files are read too: `query proposals` lists them.
pub fn read_by_flow(name: &str) -> bool {
    matches!(
        package_role(name),
        FileRole::Card | FileRole::Ledger | FileRole::Proposals
    ) || name == "NAMESPACES.yaml"
        || name == "wip.policy.md"
        || is_counter_name(name)
}

fn is_counter_name(name: &str) -> bool {
    name == "ID_COUNTER.txt" || (name.starts_with("ID_COUNTER.") && name.ends_with(".txt"))
}

/// The role of a file inside a task folder, by its name.
pub fn package_role(name: &str) -> FileRole {
    if name.ends_with(".task.md") {
        FileRole::Card
    } else if is_versioned(name, ".task.v") {
        FileRole::CardVersion
    } else if name.ends_with(".context.md") {
        FileRole::Context
    } else if name.ends_with(".ledger.jsonl") {
        FileRole::Ledger
    } else if name.ends_with(".proposals.jsonl") {
        FileRole::Proposals
    } else if name.ends_with(".learning.md") {
        FileRole::Learning
    } else {
        FileRole::Other
    }
}

/// `x.task.v2.md`-style history files (also `x.context.v1.md`).
fn is_versioned(name: &str, marker: &str) -> bool {
    name.strip_suffix(".md")
        .and_then(|stem| stem.rfind(marker).map(|at| &stem[at + marker.len()..]))
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Where a task folder sits: its stage and the namespace folder around it, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
struct TaskFolder {
    stage: Stage,
    namespace_dir: Option<String>,
}

struct Layout {
    task_folders: BTreeMap<String, TaskFolder>,
    hybrid_dirs: HashSet<String>,
    namespace_dirs: Vec<String>,
}

fn segments(rel: &str) -> Vec<&str> {
    rel.split('/').filter(|s| !s.is_empty()).collect()
}

fn analyse_dirs(dirs: &[String]) -> Layout {
    let dir_set: HashSet<&str> = dirs.iter().map(String::as_str).collect();
    // Folders that hold folders, found in one pass: asking each folder whether any other lies
    // below it would cost the square of a stage folder's size (50,000 entries in one
    // folder must not stall indexing).
    let has_subfolders: HashSet<&str> = dirs
        .iter()
        .flat_map(|dir| dir.match_indices('/').map(|(at, _)| &dir[..at]))
        .collect();
    // A folder directly under a stage that is not itself a task and holds folders is a
    // namespace folder of the hybrid layout (`inbox/fw/TASK-FW-0001-x/`).
    let hybrid_dirs: HashSet<String> = dirs
        .iter()
        .filter(|dir| {
            let parts = segments(dir);
            parts.len() == 2
                && Stage::parse(parts[0]).is_some()
                && !parts[1].starts_with("TASK-")
                && has_subfolders.contains(dir.as_str())
        })
        .cloned()
        .collect();
    let namespace_dirs: Vec<String> = dirs
        .iter()
        .filter(|dir| {
            let parts = segments(dir);
            parts.len() == 1
                && Stage::parse(parts[0]).is_none()
                && Stage::ALL
                    .iter()
                    .any(|stage| dir_set.contains(format!("{dir}/{stage}").as_str()))
        })
        .cloned()
        .collect();
    let mut task_folders = BTreeMap::new();
    for dir in dirs {
        let parts = segments(dir);
        let folder = match parts.as_slice() {
            [stage, _] => Stage::parse(stage)
                .filter(|_| !hybrid_dirs.contains(dir.as_str()))
                .map(|stage| TaskFolder {
                    stage,
                    namespace_dir: None,
                }),
            [first, second, _] => {
                if let Some(stage) = Stage::parse(first) {
                    let parent = format!("{first}/{second}");
                    hybrid_dirs.contains(&parent).then(|| TaskFolder {
                        stage,
                        namespace_dir: Some(second.to_string()),
                    })
                } else if namespace_dirs.iter().any(|ns| ns == first) {
                    Stage::parse(second).map(|stage| TaskFolder {
                        stage,
                        namespace_dir: Some(first.to_string()),
                    })
                } else {
                    None
                }
            }
            _ => None,
        };
        if let Some(folder) = folder {
            task_folders.insert(dir.clone(), folder);
        }
    }
    Layout {
        task_folders,
        hybrid_dirs,
        namespace_dirs,
    }
}

/// The role of a file given the layout, or Other to drop it.
fn classify(rel: &str, layout: &Layout) -> FileRole {
    let (parent, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    if layout.task_folders.contains_key(parent) {
        return package_role(name);
    }
    let parts = segments(parent);
    match (parts.as_slice(), name) {
        ([], "INDEX.md") => FileRole::RootIndex,
        ([], "NAMESPACES.yaml") => FileRole::Namespaces,
        ([], "wip.policy.md") => FileRole::WipPolicy,
        // Agents' task drafts (proposals to create a task) for the whole root.
        ([], DRAFTS_FILE) => FileRole::Proposals,
        ([], name) if is_counter_name(name) => FileRole::IdCounter,
        ([stage], "INDEX.md") if Stage::parse(stage).is_some() => {
            FileRole::StageIndex(Stage::parse(stage).unwrap_or(Stage::Inbox))
        }
        ([dir], "INDEX.md") if layout.namespace_dirs.iter().any(|ns| ns == dir) => {
            FileRole::NamespaceIndex
        }
        ([dir], "ID_COUNTER.txt") if layout.namespace_dirs.iter().any(|ns| ns == dir) => {
            FileRole::IdCounter
        }
        ([first, second], "INDEX.md") => {
            if let Some(stage) = Stage::parse(first)
                && layout.hybrid_dirs.contains(parent)
            {
                FileRole::StageIndex(stage)
            } else if let Some(stage) = Stage::parse(second)
                && layout.namespace_dirs.iter().any(|ns| ns == first)
            {
                FileRole::StageIndex(stage)
            } else {
                FileRole::Other
            }
        }
        _ => FileRole::Other,
    }
}

pub(crate) fn add_root(workspace: &mut Workspace, root_index: usize, input: RootInput) {
    add_root_reading(workspace, root_index, input, CardReading::Whole);
}

/// [`add_root`], reading as much of each card as `cards` says.
pub(crate) fn add_root_reading(
    workspace: &mut Workspace,
    root_index: usize,
    input: RootInput,
    cards: CardReading,
) {
    let layout = analyse_dirs(&input.dirs);
    workspace.roots.push(TasksRoot {
        path: input.path.clone(),
        namespace_dirs: layout.namespace_dirs.clone(),
        dirs: input.dirs.clone(),
        layout_problems: input.problems,
        ..TasksRoot::default()
    });

    let classified: Vec<(FileRole, FileInput)> = input
        .files
        .into_iter()
        .map(|file| (classify(&file.rel, &layout), file))
        .filter(|(role, _)| *role != FileRole::Other)
        .collect();

    // Files grouped by task folder, in a stable order.
    let mut packages: BTreeMap<String, Vec<FileId>> = layout
        .task_folders
        .keys()
        .map(|folder| (folder.clone(), Vec::new()))
        .collect();
    let parsed_files = parallel_map(classified, |(role, input)| {
        let parsed = parse_file_reading(&role, &input.rel, &input.bytes, input.oversized, cards);
        (role, input.rel, parsed)
    });
    workspace.files.reserve(parsed_files.len());
    // Growing the path map one file at a time rehashed every path (slow to hash) again and
    // again: a tenth of the single-threaded part of a load.
    workspace
        .by_path
        .reserve(&workspace.files, parsed_files.len());
    for (role, rel, (text, invalid_utf8, parsed)) in parsed_files {
        let file = workspace.push_file(SourceFile {
            path: input.path.join(&rel),
            line_index: OnceLock::new(),
            rel: rel.clone(),
            root: root_index,
            role: role.clone(),
            text,
            exists: true,
            invalid_utf8,
            parsed,
        });
        let root = &mut workspace.roots[root_index];
        let parent = rel.rsplit_once('/').map_or("", |(parent, _)| parent);
        match role {
            FileRole::StageIndex(stage) => root.indexes.push(IndexFile {
                file,
                stage: Some(stage),
                namespace_dir: namespace_dir_of_index(parent, &layout),
            }),
            FileRole::RootIndex | FileRole::NamespaceIndex => root.indexes.push(IndexFile {
                file,
                stage: None,
                namespace_dir: (!parent.is_empty()).then(|| parent.to_string()),
            }),
            FileRole::IdCounter => root.counters.push(CounterFile {
                file,
                namespace: counter_namespace(&rel),
            }),
            FileRole::WipPolicy => root.wip_policy = Some(file),
            FileRole::Namespaces => {
                root.namespaces_file = Some(file);
            }
            _ => {
                if let Some(files) = packages.get_mut(parent) {
                    files.push(file);
                }
            }
        }
    }
    if let Some(file) = workspace.roots[root_index].namespaces_file
        && let Parsed::Namespaces(Ok(Some(node))) = &workspace.file(file).parsed
    {
        let names = declared_namespaces(node)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        workspace.roots[root_index].declared_namespaces = Some(names);
    }

    if workspace.roots[root_index].counters.is_empty() {
        workspace.placeholder(root_index, "ID_COUNTER.txt", FileRole::IdCounter);
    }

    // Exactly one slot per task folder: grown by doubling, the table of ten thousand tasks
    // kept a third of its capacity (several megabytes) unused for the life of the server.
    workspace.tasks.reserve_exact(packages.len());
    for (folder, files) in packages {
        let Some(place) = layout.task_folders.get(&folder) else {
            continue;
        };
        if let Some(task) = assemble_task(workspace, root_index, &folder, place, &files) {
            let idx = TaskIdx(workspace.tasks.len() as u32);
            workspace
                .by_id
                .entry((root_index, task.id.clone()))
                .or_default()
                .push(idx);
            workspace.tasks.push(task);
            workspace.roots[root_index].tasks.push(idx);
        }
    }
}

fn namespace_dir_of_index(parent: &str, layout: &Layout) -> Option<String> {
    let parts = segments(parent);
    match parts.as_slice() {
        [_, ns] if layout.hybrid_dirs.contains(parent) => Some(ns.to_string()),
        [ns, _] => Some(ns.to_string()),
        _ => None,
    }
}

/// `ID_COUNTER.txt` -> None, `ID_COUNTER.fw.txt` -> FW, `fw/ID_COUNTER.txt` -> FW.
fn counter_namespace(rel: &str) -> Option<String> {
    if let Some((dir, _)) = rel.rsplit_once('/') {
        return Some(dir.to_ascii_uppercase());
    }
    let middle = rel.strip_prefix("ID_COUNTER.")?.strip_suffix(".txt")?;
    (!middle.is_empty()).then(|| middle.to_ascii_uppercase())
}

fn assemble_task(
    workspace: &Workspace,
    root: usize,
    folder: &str,
    place: &TaskFolder,
    files: &[FileId],
) -> Option<Task> {
    let folder_name = folder.rsplit('/').next().unwrap_or(folder).to_string();
    let from_folder = parse_folder_name(&folder_name);
    let pick = |role: FileRole| {
        files
            .iter()
            .copied()
            .find(|&file| workspace.file(file).role == role)
    };
    // Prefer the card whose name matches the folder's ID when several exist.
    let cards: Vec<FileId> = files
        .iter()
        .copied()
        .filter(|&file| workspace.file(file).role == FileRole::Card)
        .collect();
    let card = cards
        .iter()
        .copied()
        .find(|&file| {
            let name = file_name(&workspace.file(file).rel);
            match (&from_folder, parse_file_prefix(name)) {
                (Some((folder_id, _)), Some((file_id, _))) => *folder_id == file_id,
                _ => false,
            }
        })
        .or_else(|| cards.first().copied());
    let card_data = card.and_then(|file| match &workspace.file(file).parsed {
        Parsed::Card(card) => Some(card.as_ref()),
        _ => None,
    });

    let (id, slug) = match &from_folder {
        Some((id, slug)) => (id.clone(), Some(slug.to_string())),
        None => {
            let from_card_name = card
                .and_then(|file| parse_file_prefix(file_name(&workspace.file(file).rel)))
                .map(|(id, _)| id);
            let from_task_id = card_data
                .and_then(|card| card.frontmatter.block())
                .and_then(|block| block.get("task_id"))
                .and_then(|entry| entry.value.as_str())
                .and_then(|text| parse_task_ref(text.trim()))
                .map(|(id, _)| id);
            // A folder that names no task and holds no card is not a package at all.
            (from_card_name.or(from_task_id)?, None)
        }
    };
    let meta = card_data
        .and_then(|card| card.frontmatter.block())
        .map(|block| TaskMeta::from_frontmatter(block, id.namespace.as_deref()))
        .unwrap_or_default();
    Some(Task {
        root,
        id,
        folder: folder.to_string(),
        folder_name,
        slug,
        stage: place.stage,
        card,
        context: pick(FileRole::Context),
        ledger: pick(FileRole::Ledger),
        learning: pick(FileRole::Learning),
        proposals: pick(FileRole::Proposals),
        meta,
    })
}

pub fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// The namespace folder of a task folder path (`fw/inbox/TASK-…` or `inbox/fw/TASK-…`), if
/// the layout has one.
pub fn namespace_dir_of_folder(folder: &str) -> Option<&str> {
    let parts: Vec<&str> = folder.split('/').collect();
    match parts.as_slice() {
        [first, second, _] => Some(if Stage::parse(first).is_some() {
            second
        } else {
            first
        }),
        _ => None,
    }
}

/// Whether `index` should list `task` when the task is in `stage` (a transition asks this
/// about the stage it moves to).
pub fn index_covers(workspace: &Workspace, index: &IndexFile, task: &Task, stage: Stage) -> bool {
    let file = workspace.file(index.file);
    if file.root != task.root {
        return false;
    }
    if index.stage.is_some_and(|listed| listed != stage) {
        return false;
    }
    match &index.namespace_dir {
        None => true,
        Some(dir) => namespace_dir_of_folder(&task.folder) == Some(dir.as_str()),
    }
}

/// A task ID from an optional namespace folder name (`fw` -> `FW`).
pub fn namespace_of_dir(dir: &str) -> Option<String> {
    let upper = dir.to_ascii_uppercase();
    crate::syntax::task_id::is_namespace(&upper).then_some(upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn all_three_namespace_layouts_find_task_folders() {
        let layout = analyse_dirs(&dirs(&[
            "inbox",
            "inbox/TASK-0001-a",
            "backlog",
            "backlog/fw",
            "backlog/fw/TASK-FW-0002-b",
            "plat",
            "plat/next",
            "plat/next/TASK-PLAT-0003-c",
        ]));
        let found: Vec<(&str, Stage, Option<&str>)> = layout
            .task_folders
            .iter()
            .map(|(dir, place)| (dir.as_str(), place.stage, place.namespace_dir.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                ("backlog/fw/TASK-FW-0002-b", Stage::Backlog, Some("fw")),
                ("inbox/TASK-0001-a", Stage::Inbox, None),
                ("plat/next/TASK-PLAT-0003-c", Stage::Next, Some("plat")),
            ]
        );
        assert_eq!(
            classify("plat/next/INDEX.md", &layout),
            FileRole::StageIndex(Stage::Next)
        );
        assert_eq!(
            classify("backlog/fw/INDEX.md", &layout),
            FileRole::StageIndex(Stage::Backlog)
        );
        assert_eq!(
            classify("plat/ID_COUNTER.txt", &layout),
            FileRole::IdCounter
        );
        assert_eq!(classify("inbox/README.md", &layout), FileRole::Other);
    }

    #[test]
    fn card_versions_are_history() {
        assert_eq!(package_role("0001-x.task.v1.md"), FileRole::CardVersion);
        assert_eq!(package_role("0001-x.task.md"), FileRole::Card);
        assert_eq!(package_role("0001.context.v2.md"), FileRole::Other);
        assert!(!is_interesting_name("README.md"));
        assert!(is_interesting_name("ID_COUNTER.fw.txt"));
    }

    #[test]
    fn counter_namespaces() {
        assert_eq!(counter_namespace("ID_COUNTER.txt"), None);
        assert_eq!(
            counter_namespace("ID_COUNTER.fw.txt").as_deref(),
            Some("FW")
        );
        assert_eq!(
            counter_namespace("fw/ID_COUNTER.txt").as_deref(),
            Some("FW")
        );
    }
}
