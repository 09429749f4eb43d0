//! The tasks root held open: plan paths checked for confinement and resolved from the root's
//! handle with no link followed (`beneath`), and the reads and folder creation done there.
//!
//! A folder held open follows its folder wherever it is moved, out of the root too. So a
//! folder a write is about to use ([`Held`]) is first looked up again from the root's handle
//! and compared (device and inode) with the one held: a folder moved away meanwhile fails the
//! write ([`is_moved`]) instead of receiving it wherever it now is.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::{Faults, TxError, io_error};
use crate::beneath::{Dir, Identity, Kind, Stat, is_link_refusal};

/// The tasks root as the caller named it and as it really is, and held open: every path
/// below it is resolved from this handle (see `beneath`).
#[derive(Debug)]
pub(super) struct Root {
    pub(super) given: PathBuf,
    pub(super) canonical: PathBuf,
    pub(super) dir: Dir,
}

impl Root {
    pub(super) fn new(given: &Path) -> Result<Root, TxError> {
        let canonical = fs::canonicalize(given).map_err(|error| TxError::Io {
            path: given.to_path_buf(),
            error,
        })?;
        if !canonical.is_dir() {
            return Err(TxError::Confinement {
                path: given.to_path_buf(),
                why: "the tasks root is not a folder".into(),
            });
        }
        let dir = Dir::open(&canonical).map_err(|error| TxError::Io {
            path: given.to_path_buf(),
            error,
        })?;
        Ok(Root {
            given: given.to_path_buf(),
            canonical,
            dir,
        })
    }

    /// `path` relative to the root, once it is known to stay inside it: relative to the root
    /// or absolute below it, plain names only, and no existing component a link. (The
    /// operations that follow resolve it again through handles that refuse links, so a link
    /// swapped in after this check is refused too, never followed.)
    pub(super) fn resolve(&self, path: &Path) -> Result<PathBuf, TxError> {
        let refuse = |why: String| TxError::Confinement {
            path: path.to_path_buf(),
            why,
        };
        // A path spelled from the root as given (`./.work/tasks/…`) or from its real path is
        // taken relative to it; any other relative path is relative to the root already.
        let rel = match path
            .strip_prefix(&self.given)
            .or_else(|_| path.strip_prefix(&self.canonical))
        {
            Ok(rel) => rel,
            Err(_) if path.is_absolute() => {
                return Err(refuse("the path is outside the tasks root".into()));
            }
            Err(_) => path,
        };
        if rel.as_os_str().is_empty() {
            return Err(refuse("the path is the tasks root itself".into()));
        }
        if let Some(odd) = rel
            .components()
            .find(|component| !matches!(component, Component::Normal(_)))
        {
            return Err(refuse(format!(
                "`{}` is not a plain folder or file name",
                odd.as_os_str().to_string_lossy()
            )));
        }
        // Component by component through handles, to name the link if there is one.
        let mut walked = PathBuf::new();
        let mut dir = self.dir.dir(Path::new("")).map_err(|e| io_error(path, e))?;
        let mut components = rel.components().peekable();
        while let Some(component) = components.next() {
            let name = component.as_os_str();
            walked.push(name);
            match dir.stat(name).map_err(|e| io_error(path, e))? {
                Some(found) if found.kind == Kind::Link => {
                    return Err(refuse(format!(
                        "`{}` is a symbolic link, and nothing is written through a link below a tasks root",
                        walked.display()
                    )));
                }
                Some(found) if found.kind == Kind::Dir && components.peek().is_some() => {
                    dir = match dir.dir(Path::new(name)) {
                        Ok(next) => next,
                        // Swapped for a link since the look: the same refusal.
                        Err(error) if is_link_refusal(&error) => {
                            return Err(refuse(format!(
                                "`{}` is a symbolic link, and nothing is written through a link below a tasks root",
                                walked.display()
                            )));
                        }
                        Err(error) => return Err(io_error(path, error)),
                    };
                }
                // The rest of the path does not exist yet (or lies below a file, which the
                // operation itself will report): nothing there can be a link.
                _ => break,
            }
        }
        Ok(rel.to_path_buf())
    }

    /// The folder holding `rel` (below the root), resolved with no link followed, and the
    /// entry's name in it.
    pub(super) fn parent<'r>(&self, rel: &'r Path) -> io::Result<(Dir, &'r OsStr)> {
        let name = rel
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "a path with no name"))?;
        Ok((self.dir.dir(rel.parent().unwrap_or(Path::new("")))?, name))
    }

    /// [`Root::parent`], held for writing: see [`Held`].
    pub(super) fn held_parent<'r>(&self, rel: &'r Path) -> io::Result<(Held<'_>, &'r OsStr)> {
        let name = rel
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "a path with no name"))?;
        Ok((self.held(rel.parent().unwrap_or(Path::new("")))?, name))
    }

    /// The folder `rel` (below the root, "" for the root), held for writing. One gone since
    /// validation found it is an error [`is_moved`] tells apart.
    pub(super) fn held(&self, rel: &Path) -> io::Result<Held<'_>> {
        let dir = match self.dir.dir(rel) {
            Ok(dir) => dir,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Err(moved(rel)),
            Err(error) => return Err(error),
        };
        Ok(Held {
            root: self,
            rel: rel.to_path_buf(),
            dir,
        })
    }

    /// The entry at `rel`, links not followed; None when nothing is there (or its folder is
    /// not). A link on the way is refused.
    pub(super) fn stat(&self, shown: &Path, rel: &Path) -> Result<Option<Stat>, TxError> {
        let confined = |error: io::Error| {
            if is_link_refusal(&error) {
                TxError::Confinement {
                    path: shown.to_path_buf(),
                    why: "a folder on the way is a symbolic link, and nothing is written through a link below a tasks root".into(),
                }
            } else {
                io_error(shown, error)
            }
        };
        let (dir, name) = match self.parent(rel) {
            Ok(found) => found,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(confined(error)),
        };
        dir.stat(name).map_err(confined)
    }

    /// The bytes of the existing regular file at `rel` (never a FIFO or device, whose reads
    /// could block).
    pub(super) fn read_regular(&self, shown: &Path, rel: &Path) -> Result<Vec<u8>, TxError> {
        match self.stat(shown, rel)? {
            None => Err(TxError::Stale {
                path: shown.to_path_buf(),
                why: "it no longer exists on disk".into(),
            }),
            Some(found) if found.kind != Kind::File => Err(TxError::Invalid {
                path: shown.to_path_buf(),
                why: "not a regular file".into(),
            }),
            Some(_) => self.read(rel).map_err(|error| io_error(shown, error)),
        }
    }

    pub(super) fn read(&self, rel: &Path) -> io::Result<Vec<u8>> {
        let (dir, name) = self.parent(rel)?;
        dir.read(name)
    }

    /// Whether `rel` is a folder with nothing in it.
    pub(super) fn is_empty_dir(&self, rel: &Path) -> bool {
        self.dir
            .dir(rel)
            .and_then(|dir| dir.entries())
            .is_ok_and(|entries| entries.is_empty())
    }

    /// The folder `rel`, made (with any missing folder above it) if need be, each new one
    /// recorded durably in its parent; held for writing.
    pub(super) fn make_dirs(&self, rel: &Path, faults: &Faults) -> io::Result<Held<'_>> {
        let mut dir = self.held(Path::new(""))?;
        for component in rel.components() {
            let name = component.as_os_str();
            let below = dir.rel.join(name);
            let next = match dir.dir.dir(Path::new(name)) {
                Ok(next) => next,
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    match dir.here()?.mkdir(name) {
                        Ok(()) => {
                            faults.point();
                            dir.dir.sync()?;
                            faults.point();
                        }
                        // Made meanwhile by someone else: as good.
                        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                        Err(error) => return Err(error),
                    }
                    dir.dir.dir(Path::new(name))?
                }
                Err(error) => return Err(error),
            };
            dir = Held {
                root: self,
                rel: below,
                dir: next,
            };
        }
        Ok(dir)
    }
}

/// A folder below the root held open for writing, with the path it was found at.
#[derive(Debug)]
pub(super) struct Held<'r> {
    root: &'r Root,
    rel: PathBuf,
    dir: Dir,
}

impl Held<'_> {
    /// The folder, for an operation that writes in it, once it is found still at its path
    /// below the root: the same folder (device and inode) the root's handle leads to there
    /// now. Else an error [`is_moved`] tells apart (or a link refusal, when a link now stands
    /// on the way). The root itself is always in its place.
    pub(super) fn here(&self) -> io::Result<&Dir> {
        if self.rel.as_os_str().is_empty() {
            return Ok(&self.dir);
        }
        let now = match self.root.dir.dir(&self.rel) {
            Ok(now) => now.identity()?,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Err(moved(&self.rel)),
            Err(error) => return Err(error),
        };
        if now != self.dir.identity()? {
            return Err(moved(&self.rel));
        }
        Ok(&self.dir)
    }

    /// Whether the file `file` (held open) is still the entry `name` of this folder, which is
    /// still in its place: else an error [`is_moved`] tells apart.
    pub(super) fn holds(&self, name: &OsStr, file: Identity) -> io::Result<&Dir> {
        let dir = self.here()?;
        match dir.stat(name)? {
            Some(found) if found.identity == file => Ok(dir),
            _ => Err(moved(&self.rel.join(name))),
        }
    }

    /// The folder, for what does not write in it (reads, an fsync of what is already there).
    pub(super) fn dir(&self) -> &Dir {
        &self.dir
    }
}

/// Why a write was not made: what it was to be written in has moved.
#[derive(Debug)]
struct Moved(PathBuf);

impl std::fmt::Display for Moved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` is no longer where it was below the tasks root (moved while the transaction \
             ran), and nothing is written to it wherever it went",
            self.0.display()
        )
    }
}

impl std::error::Error for Moved {}

fn moved(rel: &Path) -> io::Error {
    io::Error::other(Moved(rel.to_path_buf()))
}

/// Whether `error` is the refusal to write in a folder or file moved away (see [`Held`]).
pub(super) fn is_moved(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|inner| inner.is::<Moved>())
}
