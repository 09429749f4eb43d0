//! The disk operations of a transaction, each idempotent and confined to the root: appending
//! ledger lines, replacing a file through a synced temporary file, creating a file, moving a
//! folder without ever replacing one, writing and removing the intent record.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use super::root::Held;
use super::{Faults, INTENT_DIR, Root, TEMP_MARKER};
use crate::beneath::{Access, Dir, file_identity};

/// What appending `lines` to a file holding `existing` adds: a newline first when the file's
/// last line lacks one (that line is left as it is, and the new ones start fresh).
pub fn appended_bytes(existing: &[u8], lines: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    if !existing.is_empty() && !existing.ends_with(b"\n") {
        out.push(b'\n');
    }
    for line in lines {
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

/// The commit: every line in one `O_APPEND` write, then fsync. Whether a newline must come
/// first is decided from the file's last byte as it is now, not as it was when validated.
/// Right before the write, the ledger held open must still be the one at its place (see
/// `root::Held`).
pub(super) fn append_lines(
    root: &Root,
    rel: &Path,
    lines: &[String],
    faults: &Faults,
) -> io::Result<()> {
    let (held, name) = root.held_parent(rel)?;
    let mut file = held.here()?.open_file(name, Access::Append)?;
    let identity = file_identity(&file)?;
    let len = file.metadata()?.len();
    let mut last = Vec::new();
    if len > 0 {
        file.seek(SeekFrom::Start(len - 1))?;
        file.read_to_end(&mut last)?;
    }
    held.holds(name, identity)?;
    file.write_all(&appended_bytes(&last, lines))?;
    faults.point();
    file.sync_all()?;
    faults.point();
    Ok(())
}

/// Tells temporary files of one process apart.
pub(super) static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The name of a temporary file beside the file `name`, for this process.
pub(super) fn temp_name(name: &OsStr) -> OsString {
    OsString::from(format!(
        ".{}{TEMP_MARKER}{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Writes `text` to a new temporary file beside `rel`, synced, and renames it to `rel` (over
/// it when `replace`; else `rel` must not exist). A crash leaves the old file or the new one
/// whole, and at most the temporary file beside it, which [`RootLock::sweep`] removes. Each
/// step that writes first checks the folder (and the temporary file) are still in their
/// place below the root (see `root::Held`); the temporary file of a step refused is removed.
pub(super) fn write_via_temp(
    root: &Root,
    rel: &Path,
    text: &str,
    replace: bool,
    faults: &Faults,
) -> io::Result<()> {
    let (held, name) = root.held_parent(rel)?;
    write_in(&held, name, text, replace, faults)
}

/// [`write_via_temp`] in a folder already held.
pub(super) fn write_in(
    held: &Held<'_>,
    name: &OsStr,
    text: &str,
    replace: bool,
    faults: &Faults,
) -> io::Result<()> {
    let temp = temp_name(name);
    let dir = held.dir();
    let written = (|| {
        let mut file = held.here()?.create_new(&temp)?;
        faults.point();
        let identity = file_identity(&file)?;
        held.holds(&temp, identity)?;
        file.write_all(text.as_bytes())?;
        faults.point();
        if replace && let Some(old) = dir.stat(name)? {
            // The new file keeps the old one's permissions, as an in-place edit would.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(fs::Permissions::from_mode(old.mode))?;
            }
            #[cfg(not(unix))]
            let _ = old;
        }
        file.sync_all()?;
        faults.point();
        let dir = held.holds(&temp, identity)?;
        if replace {
            dir.rename(&temp, dir, name, false)
        } else {
            // A hard link never replaces a file: the name is taken whole or not at all. A
            // file system without hard links gets an atomic rename that does not replace,
            // or else a plain one: validation found the name free under the lock.
            match dir.link(&temp, name) {
                Ok(()) => {
                    faults.point();
                    held.holds(&temp, identity)?.remove_file(&temp)
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Err(error),
                Err(_) => match dir.rename(&temp, dir, name, true) {
                    Err(error) if error.kind() == io::ErrorKind::Unsupported => {
                        dir.rename(&temp, dir, name, false)
                    }
                    done => done,
                },
            }
        }
    })();
    // Cleaned up where the folder still is in its place; one moved away is left as it went
    // (nothing outside the root is touched), and a sweep finds what stays below it.
    if written.is_err() && held.here().is_ok() {
        let _ = dir.remove_file(&temp);
    }
    written?;
    faults.point();
    dir.sync()?;
    faults.point();
    Ok(())
}

/// Replaces a file's content atomically: a temporary file beside it, fsynced, renamed over it.
pub(super) fn replace_file(root: &Root, rel: &Path, text: &str, faults: &Faults) -> io::Result<()> {
    write_via_temp(root, rel, text, true, faults)
}

/// Writes the intent record whole (never a torn one: the name appears only once its bytes are
/// synced), creating its folder if needed.
pub(super) fn write_intent(root: &Root, rel: &Path, text: &str, faults: &Faults) -> io::Result<()> {
    let held = root.make_dirs(Path::new(INTENT_DIR), faults)?;
    let name = rel.file_name().unwrap_or_default();
    write_in(&held, name, text, false, faults)
}

/// Removes a finished transaction's record, and its folder once empty (so a tasks root that
/// never had an interrupted transition shows no trace of the mechanism).
pub(super) fn remove_intent(root: &Root, rel: &Path, faults: &Faults) -> io::Result<()> {
    let (held, name) = root.held_parent(rel)?;
    let dir = held.here()?;
    dir.remove_file(name)?;
    faults.point();
    dir.sync()?;
    faults.point();
    if root.dir.remove_dir(OsStr::new(INTENT_DIR)).is_ok() {
        faults.point();
        root.dir.sync()?;
        faults.point();
    }
    Ok(())
}

/// Creates a new file (and its missing folders), never replacing one. Written beside its
/// name and linked into it once synced, so a crash leaves the file whole or absent, never
/// torn (a torn card or ledger would be read as the task's).
pub(super) fn create_file(root: &Root, rel: &Path, text: &str, faults: &Faults) -> io::Result<()> {
    let held = root.make_dirs(rel.parent().unwrap_or(Path::new("")), faults)?;
    write_in(
        &held,
        rel.file_name().unwrap_or_default(),
        text,
        false,
        faults,
    )
}

/// Renames a task folder into another folder (or a card within its folder) without ever
/// replacing an existing path: an
/// atomic rename that refuses to replace, where the file system has one (Linux's
/// `RENAME_NOREPLACE`). Elsewhere the destination is first claimed as an empty folder (which
/// fails if anything is there) and the folder renamed onto it, which replaces only an empty
/// folder; between the two, the loader does not take the empty claim for a task (see
/// `loader`), so nobody sees the task twice. An empty folder already at the destination is
/// such a claim, left by a run that died before its rename.
pub(super) fn move_folder(root: &Root, from: &Path, to: &Path, faults: &Faults) -> io::Result<()> {
    let (from_held, from_name) = root.held_parent(from)?;
    let to_held = root.make_dirs(to.parent().unwrap_or(Path::new("")), faults)?;
    let (from_dir, to_dir) = (from_held.dir(), to_held.dir());
    // Both ends still in their place before each rename (see `root::Held`).
    let in_place = || -> io::Result<()> {
        from_held.here()?;
        to_held.here()?;
        Ok(())
    };
    in_place()?;
    let to_name = to.file_name().unwrap_or_default();
    let empty_claim = |to_dir: &Dir| {
        to_dir
            .dir(Path::new(to_name))
            .and_then(|claim| claim.entries())
            .is_ok_and(|entries| entries.is_empty())
    };
    match from_dir.rename(from_name, to_dir, to_name, true) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            if !empty_claim(to_dir) {
                return Err(error);
            }
            // Renaming onto an empty folder replaces only it; one that gained entries since
            // the look makes the rename fail.
            in_place()?;
            from_dir.rename(from_name, to_dir, to_name, false)?;
        }
        // A file (a renamed card) is never claimed as a folder: a hard link takes the new
        // name whole or not at all, then the old name goes.
        Err(error)
            if error.kind() == io::ErrorKind::Unsupported
                && from.parent() == to.parent()
                && from_dir
                    .stat(from_name)?
                    .is_some_and(|stat| stat.kind == crate::beneath::Kind::File) =>
        {
            from_dir.link(from_name, to_name)?;
            faults.point();
            from_dir.remove_file(from_name)?;
        }
        Err(error) if error.kind() == io::ErrorKind::Unsupported => {
            let claimed_now = match to_dir.mkdir(to_name) {
                Ok(()) => true,
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                    if !empty_claim(to_dir) {
                        return Err(error);
                    }
                    false
                }
                Err(error) => return Err(error),
            };
            if claimed_now {
                faults.point();
            }
            if let Err(error) =
                in_place().and_then(|()| from_dir.rename(from_name, to_dir, to_name, false))
            {
                if claimed_now {
                    let _ = to_dir.remove_dir(to_name);
                }
                return Err(error);
            }
        }
        Err(error) => return Err(error),
    }
    faults.point();
    to_dir.sync()?;
    faults.point();
    from_dir.sync()?;
    faults.point();
    Ok(())
}
