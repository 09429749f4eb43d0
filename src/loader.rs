//! Reading tasks roots from disk (`roots.rs` finds them): the filesystem access of the analysis.
//!
//! Folders are listed without following symbolic links (a link may lead outside the tasks
//! root, or into a loop); files are read in parallel across the machine's cores.
//!
//! Whatever the disk does meanwhile, a walk finishes and reports what it could not read (a
//! [`LoadProblem`] naming the path) instead of failing: a file or folder that disappears
//! between listing and reading was simply not there; a file is opened without following a
//! link and without blocking, and only read when the open handle is a regular file, so a link
//! or a named pipe swapped in after the listing is refused rather than followed or waited on.

use std::fs::{self, File, FileType};
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use crate::beneath::{Dir, is_link_refusal};
use crate::db::layout::{is_interesting_name, is_listed_folder};
use crate::db::vocab::Stage;
use crate::db::{FileInput, LoadProblem, RootInput};
use crate::parallel::parallel_map;
use crate::syntax::limits::SHOWN_BYTES;
use crate::syntax::task_id::parse_folder_name;
use crate::transaction::{INTENT_DIR, is_intent_name, temp_file_pid};

/// The message of a link below a tasks root, which is never followed.
pub const LINK_NOT_FOLLOWED: &str =
    "symbolic link not followed: everything in a tasks root must live inside it";

/// Lists and reads one tasks root.
pub fn load_root(root: &Path) -> RootInput {
    load_root_only(root, |_| true)
}

/// Lists one tasks root and reads only the files whose name `keep` accepts (of those the
/// model reads at all): a command that needs part of the model (the flow engine's, see
/// `db::layout::read_by_flow`) skips the reading of the rest.
pub fn load_root_only(root: &Path, keep: fn(&str) -> bool) -> RootInput {
    let (mut input, mut wanted) = list_below(root, "");
    wanted.retain(|rel| keep(rel.rsplit('/').next().unwrap_or(rel)));
    let (files, problems) = read_parallel(root, wanted);
    input.files = files;
    input.problems.extend(problems);
    input
}

/// Lists and reads the folder `rel_dir` below `root` (a folder that appeared while the
/// server runs), exactly as [`load_root`] would have: folders, the files the model reads,
/// and what could not be read, all with paths relative to `root`.
pub fn load_folder(root: &Path, rel_dir: &str) -> RootInput {
    if let Err(problem) = check_confined(root, rel_dir) {
        return RootInput {
            path: root.to_path_buf(),
            problems: vec![problem],
            ..RootInput::default()
        };
    }
    let (mut input, wanted) = list_below(root, rel_dir);
    let (files, problems) = read_parallel(root, wanted);
    input.files = files;
    input.problems.extend(problems);
    input
}

/// Reads one file below `root` the way the walk does, after checking that `rel` is plain
/// names (no `..`) with no link among its existing components: the path may come from a
/// file-watcher event or a client, not from a listing. `Ok(None)` when nothing is there.
pub fn read_confined(root: &Path, rel: &str) -> Result<Option<FileInput>, LoadProblem> {
    check_confined(root, rel)?;
    let handle = Dir::open(root).map_err(|error| LoadProblem {
        rel: rel.to_string(),
        message: format!("cannot read the tasks root: {error}"),
    })?;
    read_one(root, &handle, rel)
}

/// Refuses a path below `root` that is not plain folder names, or that passes through (or
/// is) a symbolic link. Components that do not exist are fine: nothing there can be a link.
pub fn check_confined(root: &Path, rel: &str) -> Result<(), LoadProblem> {
    let problem = |rel: String, message: String| LoadProblem { rel, message };
    let path = Path::new(rel);
    if path
        .components()
        .any(|component| !matches!(component, Component::Normal(_)))
    {
        return Err(problem(
            rel.to_string(),
            "not a plain path below the tasks root (it has `..` or an absolute part)".into(),
        ));
    }
    let mut at = root.to_path_buf();
    let mut walked: Vec<String> = Vec::new();
    for component in path.components() {
        at.push(component);
        walked.push(component.as_os_str().to_string_lossy().into_owned());
        match fs::symlink_metadata(&at) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                return Err(problem(walked.join("/"), LINK_NOT_FOLLOWED.into()));
            }
            Ok(_) => {}
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

/// Lists `rel_dir` below `root` (the whole root for ""): the folders and problems, and the
/// files worth reading, each sorted.
fn list_below(root: &Path, rel_dir: &str) -> (RootInput, Vec<String>) {
    let mut input = RootInput {
        path: root.to_path_buf(),
        ..RootInput::default()
    };
    let mut wanted: Vec<String> = Vec::new();
    let start_depth = rel_dir.split('/').filter(|part| !part.is_empty()).count();
    let mut pending: Vec<(PathBuf, String, usize)> =
        vec![(root.join(rel_dir), rel_dir.to_string(), start_depth)];
    while let Some((dir, rel_dir, depth)) = pending.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            // Moved or deleted after it was listed: it is simply not there any more.
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                input.dirs.retain(|listed| *listed != rel_dir);
                continue;
            }
            Err(error) => {
                input.problems.push(LoadProblem {
                    rel: rel_dir.clone(),
                    message: format!("cannot list folder: {error}"),
                });
                continue;
            }
        };
        // An entry that fails mid-listing (its folder was removed under us) ends the listing
        // of that folder only.
        let mut empty = true;
        for entry in entries.map_while(Result::ok) {
            empty = false;
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
            let stage_named = depth == 0 && Stage::parse(&name).is_some();
            if kind.is_symlink() {
                input.problems.push(LoadProblem {
                    rel,
                    message: LINK_NOT_FOLLOWED.into(),
                });
            } else if kind.is_dir() && depth == 0 && name == INTENT_DIR {
                list_intents(&entry.path(), &rel, &mut input.problems);
            } else if kind.is_file()
                && let Some(pid) = temp_file_pid(&name)
            {
                input.problems.push(leftover_temp(rel, pid));
            } else if kind.is_dir() {
                if is_interesting_name(&name) {
                    // `0001.ledger.jsonl/`: the package has something under the ledger's
                    // name, but not a file the model can read.
                    input.problems.push(LoadProblem {
                        rel,
                        message: format!("{}, where a file is expected", kind_name(kind)),
                    });
                } else if is_listed_folder(&name, depth) {
                    input.dirs.push(rel.clone());
                    pending.push((entry.path(), rel, depth + 1));
                }
            } else if kind.is_file() && is_interesting_name(&name) {
                // No stage name is an interesting file name, so stage-named files fall through.
                wanted.push(rel);
            } else if kind.is_file() && stage_named {
                input.problems.push(LoadProblem {
                    rel,
                    message: format!("`{name}` should be the {name} stage folder but is a file"),
                });
            } else if !kind.is_file() && (is_interesting_name(&name) || stage_named) {
                // Pipes, sockets and devices are never opened: a pipe's open would block.
                input.problems.push(LoadProblem {
                    rel,
                    message: format!("{}, not a regular file", kind_name(kind)),
                });
            }
        }
        if is_claimed_task_folder(&rel_dir, empty) {
            input.dirs.retain(|listed| *listed != rel_dir);
        }
    }
    input.dirs.sort();
    wanted.sort();
    (input, wanted)
}

/// Whether the folder at `path` is a task folder being created (see below): empty, and
/// named like a task folder.
pub fn is_task_folder_being_created(path: &Path) -> bool {
    let empty = fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_none());
    path.file_name()
        .is_some_and(|name| is_claimed_task_folder(&name.to_string_lossy(), empty))
}

/// Whether `rel_dir`, listed and found `empty`, is a task folder being created: a move
/// claims its destination as an empty folder and renames the task folder onto it a moment
/// later (`transaction`), so an empty folder named like a task folder is not a task (yet).
/// Taking it for one would show the task twice, its files missing, while a transition runs.
fn is_claimed_task_folder(rel_dir: &str, empty: bool) -> bool {
    empty && parse_folder_name(rel_dir.rsplit('/').next().unwrap_or(rel_dir)).is_some()
}

/// The records of interrupted transitions (and the temporary files of records being
/// written) in the tasks root's [`INTENT_DIR`], as problems for the report: `check --fix`
/// deals with them.
fn list_intents(dir: &Path, rel_dir: &str, problems: &mut Vec<LoadProblem>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut found: Vec<LoadProblem> = entries
        .map_while(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = format!("{rel_dir}/{name}");
            if let Some(pid) = temp_file_pid(&name) {
                Some(leftover_temp(rel, pid))
            } else {
                is_intent_name(&name).then(|| LoadProblem {
                    rel,
                    message: "the record of a transition that was interrupted; `flowos-lsp \
                              check --fix` finishes it (or discards it, if it never committed)"
                        .into(),
                })
            }
        })
        .collect();
    found.sort_by(|a, b| a.rel.cmp(&b.rel));
    problems.extend(found);
}

/// A writer's temporary file (`.NAME.flowos-tmp-PID-N`), found by the walk.
fn leftover_temp(rel: String, pid: u32) -> LoadProblem {
    LoadProblem {
        rel,
        message: format!(
            "a temporary file of a write by process {pid} that did not finish; `flowos-lsp \
             check --fix` removes it once that process has ended"
        ),
    }
}

/// What a directory entry is, in words.
fn kind_name(kind: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a named pipe";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_file() {
        "a file"
    } else {
        "something other than a file"
    }
}

/// Reads `rels` below `root` on all cores, keeping their order. Files gone since the listing
/// are left out.
fn read_parallel(root: &Path, rels: Vec<String>) -> (Vec<FileInput>, Vec<LoadProblem>) {
    let handle = match Dir::open(root) {
        Ok(handle) => handle,
        Err(error) => {
            // The root itself went away: nothing listed can be read.
            let problems = rels
                .into_iter()
                .take(1)
                .map(|rel| LoadProblem {
                    rel,
                    message: format!("cannot read the tasks root: {error}"),
                })
                .collect();
            return (Vec::new(), problems);
        }
    };
    let results = parallel_map(rels, |rel| read_one(root, &handle, &rel));
    let mut files = Vec::with_capacity(results.len());
    let mut problems = Vec::new();
    for result in results {
        match result {
            Ok(Some(file)) => files.push(file),
            Ok(None) => {}
            Err(problem) => problems.push(problem),
        }
    }
    (files, problems)
}

/// Reads `rel` through the root's handle: no link is followed at any component, so a folder
/// on the way swapped for a link after the listing is refused like a swapped file.
fn read_one(root: &Path, handle: &Dir, rel: &str) -> Result<Option<FileInput>, LoadProblem> {
    let problem = |message: String| LoadProblem {
        rel: rel.to_string(),
        message,
    };
    let file = match handle.open_below(Path::new(rel)) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) if is_link_refusal(&error) => return Err(problem(LINK_NOT_FOLLOWED.into())),
        Err(error) => return Err(problem(describe_open_error(&root.join(rel), &error))),
    };
    let len = file
        .metadata()
        .map_err(|error| problem(format!("cannot read: {error}")))?
        .len();
    // Oversized files are not slurped: the model reports them by their size and keeps only
    // the start of their first line.
    let cap = crate::syntax::limits::file_cap(rel);
    if len > cap as u64 {
        let mut head = Vec::with_capacity(SHOWN_BYTES);
        file.take(SHOWN_BYTES as u64)
            .read_to_end(&mut head)
            .map_err(|error| problem(format!("cannot read: {error}")))?;
        return Ok(Some(FileInput::oversized(rel, len, &head)));
    }
    // The size is a hint only (the file may grow while read): the read itself is bounded.
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(cap as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| problem(format!("cannot read: {error}")))?;
    if bytes.len() > cap {
        // It grew past the cap while being read.
        let size = bytes.len() as u64;
        return Ok(Some(FileInput::oversized(rel, size, &bytes[..SHOWN_BYTES])));
    }
    Ok(Some(FileInput::new(rel, bytes)))
}

/// Why a file could not be opened, in words: a link or a pipe swapped in after the listing
/// gets the same message as one found by it.
fn describe_open_error(path: &Path, error: &io::Error) -> String {
    match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => LINK_NOT_FOLLOWED.into(),
        Ok(metadata) if !metadata.is_file() => {
            format!("{}, not a regular file", kind_name(metadata.file_type()))
        }
        _ => format!("cannot read: {error}"),
    }
}

/// Opens `path` for reading only if it is a regular file, without following a link in its
/// last component and without blocking (opening a named pipe for reading waits for a
/// writer); returns the handle and its size.
pub fn open_regular(path: &Path) -> io::Result<(File, u64)> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    #[cfg(not(unix))]
    {
        // Without O_NOFOLLOW, the best is to look first (racy, but links and pipes found by
        // the listing are already refused there).
        let metadata = fs::symlink_metadata(path)?;
        if !metadata.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
    }
    let file = options.open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}, not a regular file", kind_name(metadata.file_type())),
        ));
    }
    Ok((file, metadata.len()))
}

/// The whole content of a regular file, refusing links and pipes as [`open_regular`] does.
pub fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    let (mut file, len) = open_regular(path)?;
    let mut bytes = Vec::with_capacity(len as usize);
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn package(root: &Path, folder: &str, short: &str) {
        write(root, &format!("{folder}/{short}-a.task.md"), "---\n---\n");
        write(root, &format!("{folder}/{short}.context.md"), "ctx\n");
        write(root, &format!("{folder}/{short}.ledger.jsonl"), "{}\n");
    }

    fn rels(files: &[FileInput]) -> Vec<&str> {
        files.iter().map(|file| file.rel.as_str()).collect()
    }

    /// The walk lists first and reads afterwards; everything that can happen to a listed
    /// file in between (deleted, renamed, replaced by a link leading outside, by a named pipe
    /// or by a folder) is simulated here, deterministically, between the two halves.
    #[cfg(unix)]
    #[test]
    fn files_changed_between_listing_and_reading_are_skipped_or_refused_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("tasks");
        let outside = dir.path().join("outside.md");
        fs::write(&outside, "SECRET-OUTSIDE").unwrap();
        for (folder, short) in [
            ("inbox/TASK-0001-a", "0001"),
            ("inbox/TASK-0002-a", "0002"),
            ("inbox/TASK-0003-a", "0003"),
        ] {
            package(&root, folder, short);
        }
        let (input, wanted) = list_below(&root, "");
        assert!(input.problems.is_empty(), "{:?}", input.problems);
        assert_eq!(wanted.len(), 9);

        let at = |rel: &str| root.join(rel);
        // Deleted and renamed: not there, and not a problem either.
        fs::remove_file(at("inbox/TASK-0001-a/0001-a.task.md")).unwrap();
        fs::rename(at("inbox/TASK-0003-a"), at("inbox/TASK-0003-b")).unwrap();
        // Swapped for a link leading outside, a pipe and a folder: refused, named.
        fs::remove_file(at("inbox/TASK-0002-a/0002-a.task.md")).unwrap();
        std::os::unix::fs::symlink(&outside, at("inbox/TASK-0002-a/0002-a.task.md")).unwrap();
        let ledger = at("inbox/TASK-0002-a/0002.ledger.jsonl");
        fs::remove_file(&ledger).unwrap();
        let fifo = std::ffi::CString::new(ledger.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
        fs::remove_file(at("inbox/TASK-0002-a/0002.context.md")).unwrap();
        fs::create_dir(at("inbox/TASK-0002-a/0002.context.md")).unwrap();

        let started = std::time::Instant::now();
        let (files, problems) = read_parallel(&root, wanted);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert_eq!(
            rels(&files),
            [
                "inbox/TASK-0001-a/0001.context.md",
                "inbox/TASK-0001-a/0001.ledger.jsonl",
            ]
        );
        assert!(
            files
                .iter()
                .all(|file| !String::from_utf8_lossy(&file.bytes).contains("SECRET"))
        );
        let mut problems: Vec<(String, String)> = problems
            .into_iter()
            .map(|problem| (problem.rel, problem.message))
            .collect();
        problems.sort();
        assert_eq!(
            problems,
            [
                (
                    "inbox/TASK-0002-a/0002-a.task.md".to_string(),
                    LINK_NOT_FOLLOWED.to_string()
                ),
                (
                    "inbox/TASK-0002-a/0002.context.md".to_string(),
                    "a folder, not a regular file".to_string()
                ),
                (
                    "inbox/TASK-0002-a/0002.ledger.jsonl".to_string(),
                    "a named pipe, not a regular file".to_string()
                ),
            ]
        );
    }

    /// A folder on the way (the task folder, its stage folder) swapped after the listing for a
    /// link to an outside copy holding the same names: the files below it are refused, never
    /// read through the link.
    #[cfg(unix)]
    #[test]
    fn folders_swapped_for_links_after_the_listing_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("tasks");
        package(&root, "inbox/TASK-0001-a", "0001");
        package(&root, "active/TASK-0002-a", "0002");
        let (input, wanted) = list_below(&root, "");
        assert!(input.problems.is_empty(), "{:?}", input.problems);

        let outside = dir.path().join("outside");
        for (stage, folder, short) in [
            ("inbox", "TASK-0001-a", "0001"),
            ("active", "TASK-0002-a", "0002"),
        ] {
            package(&outside, &format!("{stage}/{folder}"), short);
            let card = outside.join(format!("{stage}/{folder}/{short}-a.task.md"));
            fs::write(card, "SECRET-OUTSIDE").unwrap();
        }
        // The task folder itself, and a whole stage folder.
        fs::rename(
            root.join("inbox/TASK-0001-a"),
            dir.path().join("moved-away"),
        )
        .unwrap();
        std::os::unix::fs::symlink(
            outside.join("inbox/TASK-0001-a"),
            root.join("inbox/TASK-0001-a"),
        )
        .unwrap();
        fs::rename(root.join("active"), dir.path().join("stage-away")).unwrap();
        std::os::unix::fs::symlink(outside.join("active"), root.join("active")).unwrap();

        let (files, problems) = read_parallel(&root, wanted.clone());
        assert!(files.is_empty(), "read through a link: {:?}", rels(&files));
        assert_eq!(problems.len(), wanted.len());
        assert!(
            problems
                .iter()
                .all(|problem| problem.message == LINK_NOT_FOLLOWED)
        );
        // The server's single-file reads go the same way.
        let problem = read_confined(&root, "active/TASK-0002-a/0002-a.task.md").unwrap_err();
        assert_eq!(problem.message, LINK_NOT_FOLLOWED);
    }

    #[cfg(unix)]
    #[test]
    fn links_pipes_and_misplaced_folders_are_reported_by_the_listing() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("tasks");
        package(&root, "inbox/TASK-0001-a", "0001");
        fs::create_dir_all(root.join("inbox/TASK-0002-a/0002.ledger.jsonl")).unwrap();
        let fifo = std::ffi::CString::new(root.join("INDEX.md").to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
        std::os::unix::fs::symlink(".", root.join("inbox/loop")).unwrap();
        std::os::unix::fs::symlink("b", root.join("a")).unwrap();
        std::os::unix::fs::symlink("a", root.join("b")).unwrap();
        fs::write(root.join("backlog"), "").unwrap();
        let input = load_root(&root);
        let mut problems: Vec<(&str, &str)> = input
            .problems
            .iter()
            .map(|problem| (problem.rel.as_str(), problem.message.as_str()))
            .collect();
        problems.sort();
        assert_eq!(
            problems,
            [
                ("INDEX.md", "a named pipe, not a regular file"),
                ("a", LINK_NOT_FOLLOWED),
                ("b", LINK_NOT_FOLLOWED),
                (
                    "backlog",
                    "`backlog` should be the backlog stage folder but is a file"
                ),
                (
                    "inbox/TASK-0002-a/0002.ledger.jsonl",
                    "a folder, where a file is expected"
                ),
                ("inbox/loop", LINK_NOT_FOLLOWED),
            ]
        );
        assert_eq!(input.files.len(), 3);
        assert_eq!(
            input.dirs,
            ["inbox", "inbox/TASK-0001-a", "inbox/TASK-0002-a"]
        );
    }

    #[cfg(unix)]
    #[test]
    fn confined_reads_refuse_parent_folders_and_links_on_the_way() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("tasks");
        fs::create_dir_all(root.join("inbox")).unwrap();
        write(dir.path(), "outside/TASK-0009-x/0009-x.task.md", "SECRET");
        std::os::unix::fs::symlink(dir.path().join("outside"), root.join("inbox/link")).unwrap();
        let refused = |rel: &str| read_confined(&root, rel).unwrap_err();
        assert_eq!(
            refused("inbox/link/TASK-0009-x/0009-x.task.md"),
            LoadProblem {
                rel: "inbox/link".into(),
                message: LINK_NOT_FOLLOWED.into()
            }
        );
        assert!(
            refused("inbox/../../outside/TASK-0009-x/0009-x.task.md")
                .message
                .contains("not a plain path")
        );
        assert!(refused("/etc/passwd").message.contains("not a plain path"));
        let folder = load_folder(&root, "inbox/link/TASK-0009-x");
        assert!(folder.files.is_empty() && folder.dirs.is_empty());
        assert_eq!(folder.problems[0].rel, "inbox/link");
        assert!(
            read_confined(&root, "inbox/none.task.md")
                .unwrap()
                .is_none()
        );
    }
}
