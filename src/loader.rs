//! Finding tasks roots on disk and reading them: the only filesystem access of the analysis.
//!
//! Folders are listed without following symbolic links (a link may lead outside the tasks
//! root, or into a loop); files are read in parallel across the machine's cores.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::db::layout::is_interesting_name;
use crate::db::vocab::Stage;
use crate::db::{FileInput, LoadProblem, MAX_FILE_BYTES, RootInput};
use crate::parallel::parallel_map;
use crate::syntax::limits::SHOWN_BYTES;

/// Folders never searched for tasks roots: build output, dependencies, VCS metadata.
const SKIPPED_DIRS: [&str; 5] = [".git", "target", "node_modules", ".hg", ".svn"];

/// How deep below a tasks root the layouts go (`ns/stage/TASK-x/file`).
const MAX_ROOT_DEPTH: usize = 4;

/// Every tasks root at or below `path`: `path` itself when it is one, else each
/// `.work/tasks` folder found below it.
pub fn find_tasks_roots(path: &Path) -> io::Result<Vec<PathBuf>> {
    let metadata = fs::metadata(path)?;
    if !metadata.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a folder", path.display()),
        ));
    }
    if looks_like_tasks_root(path) {
        return Ok(vec![path.to_path_buf()]);
    }
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
            if is_real_dir && !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_ref()) {
                pending.push(entry.path());
            }
        }
    }
    roots.sort();
    Ok(roots)
}

/// A folder is a tasks root when it is named `.work/tasks` or holds the root's landmarks.
fn looks_like_tasks_root(path: &Path) -> bool {
    let named = path.file_name().is_some_and(|name| name == "tasks")
        && path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|name| name == ".work");
    named
        || path.join("ID_COUNTER.txt").is_file()
        || Stage::ALL
            .iter()
            .any(|stage| path.join(stage.name()).is_dir())
}

/// Lists and reads one tasks root.
pub fn load_root(root: &Path) -> RootInput {
    let mut input = RootInput {
        path: root.to_path_buf(),
        ..RootInput::default()
    };
    let mut wanted: Vec<String> = Vec::new();
    let mut pending: Vec<(PathBuf, String, usize)> = vec![(root.to_path_buf(), String::new(), 0)];
    while let Some((dir, rel_dir, depth)) = pending.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) => {
                input.problems.push(LoadProblem {
                    rel: rel_dir.clone(),
                    message: format!("cannot list folder: {error}"),
                });
                continue;
            }
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if rel_dir.is_empty() {
                name.clone()
            } else {
                format!("{rel_dir}/{name}")
            };
            // A file deleted between listing and stat is simply not there.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_symlink() {
                input.problems.push(LoadProblem {
                    rel,
                    message:
                        "symbolic link not followed: everything in a tasks root must live inside it"
                            .into(),
                });
            } else if kind.is_dir() {
                if depth < MAX_ROOT_DEPTH - 1 && !name.starts_with('.') {
                    input.dirs.push(rel.clone());
                    pending.push((entry.path(), rel, depth + 1));
                }
            } else if kind.is_file() && is_interesting_name(&name) {
                // No stage name is an interesting file name, so stage-named files fall through.
                wanted.push(rel);
            } else if kind.is_file() && depth == 0 && Stage::parse(&name).is_some() {
                input.problems.push(LoadProblem {
                    rel,
                    message: format!("`{name}` should be the {name} stage folder but is a file"),
                });
            }
        }
    }
    input.dirs.sort();
    wanted.sort();
    let (files, problems) = read_parallel(root, wanted);
    input.files = files;
    input.problems.extend(problems);
    input
}

/// Reads `rels` below `root` on all cores, keeping their order.
fn read_parallel(root: &Path, rels: Vec<String>) -> (Vec<FileInput>, Vec<LoadProblem>) {
    let results = parallel_map(rels, |rel| read_one(root, &rel));
    let mut files = Vec::with_capacity(results.len());
    let mut problems = Vec::new();
    for result in results {
        match result {
            Ok(file) => files.push(file),
            Err(problem) => problems.push(problem),
        }
    }
    (files, problems)
}

fn read_one(root: &Path, rel: &str) -> Result<FileInput, LoadProblem> {
    let path = root.join(rel);
    let problem = |message: String| LoadProblem {
        rel: rel.to_string(),
        message,
    };
    match read_capped(&path) {
        Ok((head, Some(size))) => Ok(FileInput::oversized(rel, size, &head)),
        Ok((bytes, None)) => Ok(FileInput::new(rel, bytes)),
        Err(error) => Err(problem(format!("cannot read: {error}"))),
    }
}

/// Reads a file, unless it is over the file cap: then only its first bytes, with its size.
/// The model reports such a file by its size and keeps only the start of its first line.
pub fn read_capped(path: &Path) -> io::Result<(Vec<u8>, Option<u64>)> {
    let size = fs::metadata(path)?.len();
    if size <= MAX_FILE_BYTES as u64 {
        return fs::read(path).map(|bytes| (bytes, None));
    }
    let mut head = Vec::with_capacity(SHOWN_BYTES);
    fs::File::open(path)?
        .take(SHOWN_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok((head, Some(size)))
}
