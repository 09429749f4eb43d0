//! Finding tasks roots (SPEC §2), for the CLI and the server alike, the way git finds its own:
//! the `.work/tasks` folders below a PATH or workspace folder, else the tree it lies in or
//! under, found upward through its parents; or the configured root (`--tasks-root`,
//! `flowos.tasksRoot`).
//!
//! A folder is a tasks root by its name (`tasks` inside `.work`) or by being configured, never
//! by what its children are called: a repository with a `backlog/` or `next/` folder of its own
//! is not a FlowOS workspace, and nothing may be written there.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Folders never searched for tasks roots: build output, dependencies, VCS metadata. (Every
/// hidden folder is skipped too, which is why `.work` is only ever looked at by name.)
const SKIPPED_DIRS: [&str; 5] = [".git", "target", "node_modules", ".hg", ".svn"];

/// What makes a folder a tasks root, in words, for the messages that say none was found.
pub const WHAT_IS_A_ROOT: &str = "a tasks root is a folder named `.work/tasks`, or the one \
     configured; folders such as `backlog/` or `next/` elsewhere do not make one";

/// Every tasks root for `path`: `path` itself when it is one; else each `.work/tasks` folder
/// found below it (not entering hidden, build or dependency folders); else, when none is, the
/// tree `path` lies in or under, found upward through its parents. Empty when there is none.
///
/// The root itself may be reached through a link (a shared `.work` checked out elsewhere);
/// the loader follows nothing below it.
pub fn find(path: &Path) -> io::Result<Vec<PathBuf>> {
    let metadata = fs::metadata(path)?;
    if !metadata.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a folder", path.display()),
        ));
    }
    if is_named_root(path) {
        return Ok(vec![path.to_path_buf()]);
    }
    let below = find_below(path);
    if !below.is_empty() {
        return Ok(below);
    }
    Ok(find_above(path).into_iter().collect())
}

/// Every `.work/tasks` folder at or below `path` (a folder that is itself named so counts,
/// which is how `check .work` finds its `tasks`), sorted.
fn find_below(path: &Path) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let candidate = dir.join(".work").join("tasks");
        if candidate.is_dir() {
            roots.push(candidate);
        }
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let is_real_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
            if !is_real_dir || name.starts_with('.') || SKIPPED_DIRS.contains(&name.as_ref()) {
                continue;
            }
            let child = entry.path();
            if is_named_root(&child) {
                // A tasks root holds no other: its folders are stages and tasks.
                roots.push(child);
            } else {
                pending.push(child);
            }
        }
    }
    roots.sort();
    roots.dedup();
    roots
}

/// The tasks root that `path` (a folder) lies in, or that one of its parents holds, the
/// nearest first; absolute. One `stat` per parent, nothing listed: as cheap as git's search
/// for `.git`.
pub fn find_above(path: &Path) -> Option<PathBuf> {
    let start = absolute(path)?;
    start.ancestors().find_map(|dir| {
        if is_named_root(dir) {
            return Some(dir.to_path_buf());
        }
        let candidate = dir.join(".work").join("tasks");
        candidate.is_dir().then_some(candidate)
    })
}

/// Whether `path` is named as a tasks root is: `tasks` inside `.work`. Relative paths (`.`,
/// `..`) are judged by the folder they name.
pub fn is_named_root(path: &Path) -> bool {
    let named = |path: &Path| {
        path.file_name().is_some_and(|name| name == "tasks")
            && path
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|name| name == ".work")
    };
    named(path) || absolute(path).is_some_and(|path| named(&path))
}

/// The configured tasks root of a workspace folder: `setting` resolved against `folder`, which
/// it must stay inside. A setting comes from the project (a `.vscode/settings.json`, a
/// `.helix/languages.toml`) as much as from the user: `/` or `../../..` must not turn the
/// server loose on the whole disk. Judged on the names alone, so a `.work` reached through a
/// link inside the folder is still fine; the error is the message to show.
pub fn configured_in(folder: &Path, setting: &str) -> Result<PathBuf, String> {
    let folder = normalize(folder);
    let root = normalize(&folder.join(setting));
    if !root.starts_with(&folder) {
        return Err(format!(
            "flowos.tasksRoot `{setting}` is outside the workspace folder {}: it must name a \
             folder inside it (such as `.work/tasks`)",
            folder.display()
        ));
    }
    if !root.is_dir() {
        return Err(format!(
            "flowos.tasksRoot `{setting}`: there is no folder {}",
            root.display()
        ));
    }
    Ok(root)
}

/// Whether `a` and `b` are the same folder, whatever links lead to them.
pub fn same_folder(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// `path` made absolute against the current folder, with `.` and `..` resolved by name.
fn absolute(path: &Path) -> Option<PathBuf> {
    std::path::absolute(path).ok().map(|path| normalize(&path))
}

/// `path` with `.` dropped and each `..` taking away the name before it, by name only (no
/// link is resolved). `..` at the top stays at the top, as the file system has it.
fn normalize(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !normal.pop() {
                    normal.push(component);
                }
            }
            other => normal.push(other),
        }
    }
    normal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(root: &Path, rel: &str) -> PathBuf {
        let path = root.join(rel);
        fs::create_dir_all(&path).unwrap();
        path
    }

    #[test]
    fn stage_named_folders_and_counters_do_not_make_a_root() {
        let dir = tempfile::tempdir().unwrap();
        let repo = folder(dir.path(), "repo");
        folder(&repo, "backlog/tasks");
        folder(&repo, "next");
        fs::write(repo.join("ID_COUNTER.txt"), "0001\n").unwrap();
        assert_eq!(find(&repo).unwrap(), Vec::<PathBuf>::new());
        assert!(!is_named_root(&repo.join("backlog/tasks")));
    }

    #[test]
    fn a_real_tree_is_found_beside_a_backlog_folder() {
        let dir = tempfile::tempdir().unwrap();
        let repo = folder(dir.path(), "repo");
        folder(&repo, "backlog/tasks");
        let tasks = folder(&repo, ".work/tasks/inbox");
        assert_eq!(find(&repo).unwrap(), [tasks.parent().unwrap()]);
    }

    #[test]
    fn below_skips_hidden_build_and_dependency_folders_and_finds_nested_trees() {
        let dir = tempfile::tempdir().unwrap();
        let repo = folder(dir.path(), "repo");
        let own = folder(&repo, ".work/tasks");
        let nested = folder(&repo, "services/api/.work/tasks");
        folder(&repo, "node_modules/dep/.work/tasks");
        folder(&repo, "target/debug/.work/tasks");
        folder(&repo, ".git/x/.work/tasks");
        assert_eq!(find(&repo).unwrap(), [own, nested]);
    }

    #[test]
    fn inside_a_tree_the_root_is_found_upward() {
        let dir = tempfile::tempdir().unwrap();
        let repo = folder(dir.path(), "repo");
        let task = folder(&repo, ".work/tasks/current/TASK-0001-x");
        let tasks = repo.join(".work/tasks");
        let only = |found: Vec<PathBuf>| found == [tasks.clone()];
        assert!(only(find(&task).unwrap()));
        assert!(only(find(&tasks.join("current")).unwrap()));
        // `.work` itself: its `tasks` is below it.
        assert!(only(find(&repo.join(".work")).unwrap()));
        // A folder of the repository beside the tree, as git finds `.git` from `src/`.
        let src = folder(&repo, "src/deep");
        assert!(only(find(&src).unwrap()));
        // By name, also through `..`.
        let up = task.join("..").join("..");
        assert_eq!(find_above(&up), Some(tasks));
    }

    #[test]
    fn the_nearest_tree_above_wins() {
        let dir = tempfile::tempdir().unwrap();
        let outer = folder(dir.path(), "outer/.work/tasks");
        let inner = folder(dir.path(), "outer/inner/.work/tasks");
        let card_folder = folder(&inner, "inbox/TASK-0001-x");
        assert_eq!(find_above(&card_folder), Some(inner));
        assert_eq!(find_above(&dir.path().join("outer/docs")), Some(outer));
    }

    #[test]
    fn the_configured_root_stays_inside_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let ws = folder(dir.path(), "ws");
        let planning = folder(&ws, "planning/tasks");
        assert_eq!(configured_in(&ws, "planning/tasks"), Ok(planning.clone()));
        assert_eq!(
            configured_in(&ws, "./planning/x/../tasks/"),
            Ok(planning.clone())
        );
        assert_eq!(
            configured_in(&ws, planning.to_str().unwrap()),
            Ok(planning.clone())
        );
        for outside in ["/", "../../..", "..", "planning/../../ws2"] {
            let refused = configured_in(&ws, outside).unwrap_err();
            assert!(
                refused.contains("is outside the workspace folder"),
                "{refused}"
            );
        }
        let outside = dir.path().to_str().unwrap();
        assert!(configured_in(&ws, outside).is_err());
        let missing = configured_in(&ws, "nope").unwrap_err();
        assert!(missing.contains("there is no folder"), "{missing}");
    }
}
