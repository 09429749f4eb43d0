//! Folders below a tasks root reached through directory handles, with no symbolic link
//! followed at any component (SPEC §8): the file-system layer of `transaction`, the crate's
//! writer.
//!
//! A path below the root is resolved from the root's handle by the kernel, in one step that
//! refuses every link on the way (Linux `openat2` with `RESOLVE_BENEATH |
//! RESOLVE_NO_SYMLINKS`; elsewhere, or where a sandbox forbids `openat2`, one `openat` with
//! `O_NOFOLLOW | O_DIRECTORY` per component). Every operation then names a single entry of a
//! folder held by handle (`openat`, `mkdirat`, `renameat`, `linkat`, `unlinkat`), and files are
//! opened with `O_NOFOLLOW`. A link swapped in at any component while a transaction runs makes
//! that operation fail (`ELOOP`); it can never lead a write elsewhere. Checking a path and then
//! using it by name would leave that window open however small it is made.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::path::Path;

/// What an entry is, links not followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Link,
    /// A pipe, socket or device.
    Other,
}

/// An entry's kind, permission bits and size.
#[derive(Clone, Copy, Debug)]
pub struct Stat {
    pub kind: Kind,
    pub mode: u32,
    pub len: u64,
    pub identity: Identity,
}

/// Which file or folder an entry is (device and inode on Unix), to tell whether the one held
/// open is still the one at its path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    pub device: u64,
    pub inode: u64,
}

/// The identity of an open file (see [`Identity`]).
pub fn file_identity(file: &File) -> io::Result<Identity> {
    let metadata = file.metadata()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Ok(Identity {
            device: metadata.dev(),
            inode: metadata.ino(),
        })
    }
    #[cfg(not(unix))]
    {
        let _ = metadata;
        Ok(Identity::default())
    }
}

/// How [`Dir::open_file`] opens a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    /// Reading (its last byte) and appending.
    Append,
}

/// Whether `error` is the refusal of a symbolic link met on the way.
pub fn is_link_refusal(error: &io::Error) -> bool {
    #[cfg(unix)]
    {
        error.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        error.kind() == io::ErrorKind::PermissionDenied && error.to_string().contains("link")
    }
}

/// `file`, when what was opened is a regular file (a pipe or device swapped in is refused).
fn regular(file: File) -> io::Result<File> {
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(file)
}

#[cfg(unix)]
pub use unix::Dir;

#[cfg(unix)]
mod unix {
    use std::ffi::CString;
    use std::io::Read;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::path::Component;

    use super::*;

    /// A folder, held open.
    #[derive(Debug)]
    pub struct Dir {
        fd: OwnedFd,
    }

    fn c_name(name: &OsStr) -> io::Result<CString> {
        CString::new(name.as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a name holds a NUL byte"))
    }

    /// The result of a libc call returning -1 on error.
    fn check(result: libc::c_int) -> io::Result<libc::c_int> {
        if result == -1 {
            Err(io::Error::last_os_error())
        } else {
            Ok(result)
        }
    }

    /// A single plain name: what every `*at` call below is given.
    fn single(name: &OsStr) -> io::Result<CString> {
        let mut components = Path::new(name).components();
        match (components.next(), components.next()) {
            (Some(Component::Normal(_)), None) => c_name(name),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{}` is not a plain name", name.to_string_lossy()),
            )),
        }
    }

    const DIR_FLAGS: libc::c_int =
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;

    impl Dir {
        /// Opens the folder at `path` (the tasks root itself: links in the path leading to it
        /// are the user's business, and are followed).
        pub fn open(path: &Path) -> io::Result<Dir> {
            let name = c_name(path.as_os_str())?;
            // SAFETY: a valid NUL-terminated path; the descriptor returned is owned below.
            let fd = check(unsafe {
                libc::open(
                    name.as_ptr(),
                    libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
                )
            })?;
            // SAFETY: `fd` was just opened and is owned by nothing else.
            Ok(Dir {
                fd: unsafe { OwnedFd::from_raw_fd(fd) },
            })
        }

        /// The folder `rel` below this one (plain names only; empty for this folder again),
        /// with no link followed at any component: `ELOOP` if one is met.
        pub fn dir(&self, rel: &Path) -> io::Result<Dir> {
            if rel
                .components()
                .any(|component| !matches!(component, Component::Normal(_)))
            {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("`{}` is not a plain path", rel.display()),
                ));
            }
            if rel.as_os_str().is_empty() {
                return self.at(OsStr::new("."));
            }
            #[cfg(target_os = "linux")]
            match self.openat2(rel) {
                Err(error) if matches!(error.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) => {}
                done => return done,
            }
            // One component at a time, each opened without following a link.
            let mut dir = self.at(OsStr::new("."))?;
            for component in rel.components() {
                dir = dir.at(component.as_os_str())?;
            }
            Ok(dir)
        }

        /// One step: the folder `name` directly in this one, not followed if a link.
        fn at(&self, name: &OsStr) -> io::Result<Dir> {
            let name = c_name(name)?;
            // SAFETY: a valid descriptor and NUL-terminated name; the result is owned below.
            let fd = check(unsafe { libc::openat(self.fd.as_raw_fd(), name.as_ptr(), DIR_FLAGS) })?;
            // SAFETY: `fd` was just opened and is owned by nothing else.
            Ok(Dir {
                fd: unsafe { OwnedFd::from_raw_fd(fd) },
            })
        }

        /// `rel` resolved by the kernel beneath this folder, refusing every link.
        #[cfg(target_os = "linux")]
        fn openat2(&self, rel: &Path) -> io::Result<Dir> {
            Ok(Dir {
                fd: self.openat2_fd(rel, DIR_FLAGS)?,
            })
        }

        /// Opens the regular file at `rel` below this folder for reading, with no link
        /// followed at any component (a folder on the way swapped for a link after it was
        /// listed is refused, `ELOOP`, like a link in the last component) and without
        /// blocking on a pipe. The loader's reads go through here.
        pub fn open_below(&self, rel: &Path) -> io::Result<File> {
            let plain = rel
                .components()
                .all(|component| matches!(component, Component::Normal(_)));
            let (Some(parent), Some(name)) = (rel.parent(), rel.file_name()) else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("`{}` names no file", rel.display()),
                ));
            };
            if !plain {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("`{}` is not a plain path", rel.display()),
                ));
            }
            #[cfg(target_os = "linux")]
            {
                let flags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;
                match self.openat2_fd(rel, flags) {
                    Err(error)
                        if matches!(error.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) => {}
                    Err(error) => return Err(error),
                    Ok(fd) => return regular(File::from(fd)),
                }
            }
            self.dir(parent)?.open_file(name, Access::Read)
        }

        /// The descriptor of `rel` opened with `flags`, resolved by the kernel beneath this
        /// folder with every link refused.
        #[cfg(target_os = "linux")]
        fn openat2_fd(&self, rel: &Path, flags: libc::c_int) -> io::Result<OwnedFd> {
            let name = c_name(rel.as_os_str())?;
            // SAFETY: open_how is plain data; all-zero is its documented default.
            let mut how: libc::open_how = unsafe { std::mem::zeroed() };
            how.flags = flags as u64;
            how.resolve =
                libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
            // SAFETY: valid descriptor, NUL-terminated path, and a pointer to `how` with its
            // size, as openat2(2) takes them.
            let fd = unsafe {
                libc::syscall(
                    libc::SYS_openat2,
                    self.fd.as_raw_fd(),
                    name.as_ptr(),
                    &how as *const libc::open_how,
                    std::mem::size_of::<libc::open_how>(),
                )
            };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: `fd` was just opened and is owned by nothing else.
            Ok(unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) })
        }

        /// The entry `name` of this folder, links not followed; None when there is none.
        pub fn stat(&self, name: &OsStr) -> io::Result<Option<Stat>> {
            let name = single(name)?;
            // SAFETY: plain data, filled in by fstatat.
            let mut stat: libc::stat = unsafe { std::mem::zeroed() };
            // SAFETY: valid descriptor, NUL-terminated name, and a pointer to `stat`.
            let result = unsafe {
                libc::fstatat(
                    self.fd.as_raw_fd(),
                    name.as_ptr(),
                    &mut stat,
                    libc::AT_SYMLINK_NOFOLLOW,
                )
            };
            if result == -1 {
                let error = io::Error::last_os_error();
                return match error.kind() {
                    io::ErrorKind::NotFound => Ok(None),
                    _ => Err(error),
                };
            }
            let kind = match stat.st_mode & libc::S_IFMT {
                libc::S_IFREG => Kind::File,
                libc::S_IFDIR => Kind::Dir,
                libc::S_IFLNK => Kind::Link,
                _ => Kind::Other,
            };
            Ok(Some(Stat {
                kind,
                mode: (stat.st_mode & 0o7777) as u32,
                len: stat.st_size as u64,
                identity: Identity {
                    device: stat.st_dev as u64,
                    inode: stat.st_ino as u64,
                },
            }))
        }

        /// Opens the existing regular file `name`: never through a link, never blocking on a
        /// pipe, and refused when it is not a regular file.
        pub fn open_file(&self, name: &OsStr, access: Access) -> io::Result<File> {
            let flags = match access {
                Access::Read => libc::O_RDONLY,
                Access::Append => libc::O_RDWR | libc::O_APPEND,
            } | libc::O_NOFOLLOW
                | libc::O_NONBLOCK
                | libc::O_CLOEXEC;
            regular(self.openat_file(name, flags, 0)?)
        }

        /// Creates the new file `name` for writing; fails if anything is there, a link too.
        pub fn create_new(&self, name: &OsStr) -> io::Result<File> {
            let flags =
                libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
            self.openat_file(name, flags, 0o666)
        }

        fn openat_file(&self, name: &OsStr, flags: libc::c_int, mode: u32) -> io::Result<File> {
            let name = single(name)?;
            // SAFETY: valid descriptor and NUL-terminated name; the result is owned below.
            let fd = check(unsafe {
                libc::openat(
                    self.fd.as_raw_fd(),
                    name.as_ptr(),
                    flags,
                    mode as libc::c_uint,
                )
            })?;
            // SAFETY: `fd` was just opened and is owned by nothing else.
            Ok(unsafe { File::from_raw_fd(fd) })
        }

        /// Reads the whole regular file `name`.
        pub fn read(&self, name: &OsStr) -> io::Result<Vec<u8>> {
            let mut file = self.open_file(name, Access::Read)?;
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)?;
            Ok(bytes)
        }

        pub fn mkdir(&self, name: &OsStr) -> io::Result<()> {
            let name = single(name)?;
            // SAFETY: valid descriptor and NUL-terminated name.
            check(unsafe { libc::mkdirat(self.fd.as_raw_fd(), name.as_ptr(), 0o777) })?;
            Ok(())
        }

        /// Renames `from` in this folder to `to` in `to_dir`. With `no_replace`, fails with
        /// `AlreadyExists` if `to` exists, or `Unsupported` where the file system cannot
        /// promise that atomically; without, replaces a file, or an empty folder.
        pub fn rename(
            &self,
            from: &OsStr,
            to_dir: &Dir,
            to: &OsStr,
            no_replace: bool,
        ) -> io::Result<()> {
            let (from, to) = (single(from)?, single(to)?);
            if !no_replace {
                // SAFETY: valid descriptors and NUL-terminated names.
                check(unsafe {
                    libc::renameat(
                        self.fd.as_raw_fd(),
                        from.as_ptr(),
                        to_dir.fd.as_raw_fd(),
                        to.as_ptr(),
                    )
                })?;
                return Ok(());
            }
            #[cfg(target_os = "linux")]
            {
                // SAFETY: valid descriptors and NUL-terminated names.
                let result = unsafe {
                    libc::syscall(
                        libc::SYS_renameat2,
                        self.fd.as_raw_fd(),
                        from.as_ptr(),
                        to_dir.fd.as_raw_fd(),
                        to.as_ptr(),
                        libc::RENAME_NOREPLACE,
                    )
                };
                if result == 0 {
                    return Ok(());
                }
                let error = io::Error::last_os_error();
                if !matches!(
                    error.raw_os_error(),
                    Some(libc::EINVAL | libc::ENOSYS | libc::EPERM)
                ) {
                    return Err(error);
                }
            }
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "no atomic rename without replacing here",
            ))
        }

        /// A second name `to` for the file `from`, both in this folder; never replaces.
        pub fn link(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
            let (from, to) = (single(from)?, single(to)?);
            let fd = self.fd.as_raw_fd();
            // SAFETY: a valid descriptor and NUL-terminated names; links are not followed.
            check(unsafe { libc::linkat(fd, from.as_ptr(), fd, to.as_ptr(), 0) })?;
            Ok(())
        }

        pub fn remove_file(&self, name: &OsStr) -> io::Result<()> {
            self.unlink(name, 0)
        }

        /// Removes the empty folder `name`.
        pub fn remove_dir(&self, name: &OsStr) -> io::Result<()> {
            self.unlink(name, libc::AT_REMOVEDIR)
        }

        fn unlink(&self, name: &OsStr, flags: libc::c_int) -> io::Result<()> {
            let name = single(name)?;
            // SAFETY: valid descriptor and NUL-terminated name.
            check(unsafe { libc::unlinkat(self.fd.as_raw_fd(), name.as_ptr(), flags) })?;
            Ok(())
        }

        /// Makes this folder's entries (a rename, a new file) durable.
        pub fn sync(&self) -> io::Result<()> {
            // SAFETY: a valid descriptor.
            check(unsafe { libc::fsync(self.fd.as_raw_fd()) })?;
            Ok(())
        }

        /// Which folder this is (device and inode), wherever it has been moved since it was
        /// opened: a handle follows its folder, so comparing this with the folder found at
        /// its path now tells whether it is still there.
        pub fn identity(&self) -> io::Result<Identity> {
            // SAFETY: plain data, filled in by fstat.
            let mut stat: libc::stat = unsafe { std::mem::zeroed() };
            // SAFETY: a valid descriptor and a pointer to `stat`.
            check(unsafe { libc::fstat(self.fd.as_raw_fd(), &mut stat) })?;
            Ok(Identity {
                device: stat.st_dev as u64,
                inode: stat.st_ino as u64,
            })
        }

        /// The names in this folder (without `.` and `..`).
        pub fn entries(&self) -> io::Result<Vec<OsString>> {
            // fdopendir takes the descriptor over: give it a copy of ours.
            // SAFETY: a valid descriptor; the copy is closed by closedir below.
            let copy =
                check(unsafe { libc::fcntl(self.fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) })?;
            // SAFETY: `copy` is a valid directory descriptor nothing else owns.
            let stream = unsafe { libc::fdopendir(copy) };
            if stream.is_null() {
                let error = io::Error::last_os_error();
                // SAFETY: fdopendir failed, so `copy` is still ours to close.
                unsafe { libc::close(copy) };
                return Err(error);
            }
            // The copy shares the offset: start from the first entry whatever came before.
            // SAFETY: a valid stream.
            unsafe { libc::rewinddir(stream) };
            let mut names = Vec::new();
            loop {
                // SAFETY: a valid stream; the entry is read before the next call.
                let entry = unsafe { libc::readdir(stream) };
                if entry.is_null() {
                    break;
                }
                // SAFETY: readdir returned a valid entry whose name is NUL-terminated.
                let name = unsafe { std::ffi::CStr::from_ptr((*entry).d_name.as_ptr()) };
                let bytes = name.to_bytes();
                if bytes != b"." && bytes != b".." {
                    names.push(OsString::from_vec(bytes.to_vec()));
                }
            }
            // SAFETY: a valid stream, closed once (which closes `copy`).
            unsafe { libc::closedir(stream) };
            Ok(names)
        }
    }
}

#[cfg(not(unix))]
pub use portable::Dir;

/// Without `*at` calls, the same operations by path, each checking for a link first: racy,
/// but the best the platform's standard library offers.
#[cfg(not(unix))]
mod portable {
    use std::fs::{self, OpenOptions};
    use std::path::PathBuf;

    use super::*;

    #[derive(Debug)]
    pub struct Dir {
        path: PathBuf,
    }

    fn refuse_link(path: &Path) -> io::Result<()> {
        match fs::symlink_metadata(path) {
            Ok(found) if found.file_type().is_symlink() => Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "a symbolic link is not followed",
            )),
            _ => Ok(()),
        }
    }

    impl Dir {
        pub fn open(path: &Path) -> io::Result<Dir> {
            Ok(Dir {
                path: path.to_path_buf(),
            })
        }

        pub fn dir(&self, rel: &Path) -> io::Result<Dir> {
            let mut path = self.path.clone();
            for component in rel.components() {
                path.push(component);
                refuse_link(&path)?;
            }
            if !fs::metadata(&path)?.is_dir() {
                return Err(io::Error::new(io::ErrorKind::NotADirectory, "not a folder"));
            }
            Ok(Dir { path })
        }

        pub fn stat(&self, name: &OsStr) -> io::Result<Option<Stat>> {
            match fs::symlink_metadata(self.path.join(name)) {
                Ok(found) => {
                    let kind = found.file_type();
                    Ok(Some(Stat {
                        kind: if kind.is_symlink() {
                            Kind::Link
                        } else if kind.is_dir() {
                            Kind::Dir
                        } else if kind.is_file() {
                            Kind::File
                        } else {
                            Kind::Other
                        },
                        mode: 0o644,
                        len: found.len(),
                        identity: Identity::default(),
                    }))
                }
                Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(error),
            }
        }

        pub fn open_file(&self, name: &OsStr, access: Access) -> io::Result<File> {
            let path = self.path.join(name);
            refuse_link(&path)?;
            regular(match access {
                Access::Read => File::open(&path)?,
                Access::Append => OpenOptions::new().read(true).append(true).open(&path)?,
            })
        }

        pub fn open_below(&self, rel: &Path) -> io::Result<File> {
            let (Some(parent), Some(name)) = (rel.parent(), rel.file_name()) else {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "names no file"));
            };
            self.dir(parent)?.open_file(name, Access::Read)
        }

        pub fn create_new(&self, name: &OsStr) -> io::Result<File> {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(self.path.join(name))
        }

        pub fn read(&self, name: &OsStr) -> io::Result<Vec<u8>> {
            use std::io::Read;
            let mut bytes = Vec::new();
            self.open_file(name, Access::Read)?
                .read_to_end(&mut bytes)?;
            Ok(bytes)
        }

        pub fn mkdir(&self, name: &OsStr) -> io::Result<()> {
            fs::create_dir(self.path.join(name))
        }

        pub fn rename(
            &self,
            from: &OsStr,
            to_dir: &Dir,
            to: &OsStr,
            no_replace: bool,
        ) -> io::Result<()> {
            if no_replace {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "no atomic rename without replacing here",
                ));
            }
            fs::rename(self.path.join(from), to_dir.path.join(to))
        }

        pub fn link(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
            fs::hard_link(self.path.join(from), self.path.join(to))
        }

        pub fn remove_file(&self, name: &OsStr) -> io::Result<()> {
            fs::remove_file(self.path.join(name))
        }

        pub fn remove_dir(&self, name: &OsStr) -> io::Result<()> {
            fs::remove_dir(self.path.join(name))
        }

        pub fn sync(&self) -> io::Result<()> {
            File::open(&self.path)?.sync_all()
        }

        /// A folder held by its path is wherever that path leads: always in its place.
        pub fn identity(&self) -> io::Result<Identity> {
            Ok(Identity::default())
        }

        pub fn entries(&self) -> io::Result<Vec<OsString>> {
            fs::read_dir(&self.path)?
                .map(|entry| entry.map(|entry| entry.file_name()))
                .collect()
        }
    }
}
