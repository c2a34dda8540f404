//! Scratch files and directories beside an output, and the directory handle outputs are
//! written through.
//!
//! Every temporary path shipcheck makes is named `.shipcheck-tmp-<pid>-<random>` and is
//! registered here *before* it is created, so that:
//! - dropping its [`Scratch`] guard removes it (an error return, a panic that unwinds);
//! - SIGINT or SIGTERM removes every registered path, then exits with 128 + the signal number
//!   ([`install_signal_cleanup`], called once by the binary);
//! - what a killed run (SIGKILL, power loss) left behind is removed by the next run that writes
//!   in the same directory ([`remove_stale`]): the pid in the name is no longer alive.
//!
//! [`Dir`] creates files by name relative to an open directory, never by path: a name with a
//! `/`, `.` or `..` is refused, no link below the directory is followed, new files are created
//! exclusively, and a rename replaces its target only when asked. Output paths derived from
//! untrusted input (a digest, a name in an archive) therefore cannot land outside the output.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use rustix::fs::{self as rfs, AtFlags, Mode, OFlags, RenameFlags};

/// The name prefix of every scratch path; the pid of the run that made it follows.
pub const PREFIX: &str = ".shipcheck-tmp-";

/// Length of the random part of a scratch name (lowercase letters and digits).
const RANDOM_LEN: usize = 12;

fn registry() -> MutexGuard<'static, HashMap<u64, PathBuf>> {
    static REGISTRY: OnceLock<Mutex<HashMap<u64, PathBuf>>> = OnceLock::new();
    // A panic while the lock was held leaves the map intact: keep using it.
    REGISTRY.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner())
}

/// Paths registered now (for tests and diagnostics).
pub fn registered() -> Vec<PathBuf> {
    registry().values().cloned().collect()
}

/// Removes `path` without following a link: a directory with everything in it, or a file or
/// link itself. A path that is already gone is not an error.
fn remove_path(path: &Path) -> io::Result<()> {
    let result = match std::fs::symlink_metadata(path) {
        // remove_dir_all does not follow links inside the tree (std, since Rust 1.58.1).
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) => Err(e),
    };
    match result {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// A fresh `.shipcheck-tmp-<pid>-<random>` name.
fn scratch_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // RandomState is seeded per process from the OS; the counter and clock make every name of
    // one process differ. Names only need to be unpredictable enough not to collide: files are
    // created exclusively, and a collision is retried.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    h.write_u128(nanos);
    let mut x = h.finish();
    let mut random = String::with_capacity(RANDOM_LEN);
    for _ in 0..RANDOM_LEN {
        random.push(char::from(b"0123456789abcdefghijklmnopqrstuvwxyz"[(x % 36) as usize]));
        x /= 36;
    }
    format!("{PREFIX}{}-{random}", std::process::id())
}

/// The pid in a scratch name, when `name` is exactly `.shipcheck-tmp-<pid>-<random>`.
pub fn scratch_pid(name: &str) -> Option<u32> {
    let (pid, random) = name.strip_prefix(PREFIX)?.split_once('-')?;
    let digits_only = !pid.is_empty() && pid.len() <= 10 && pid.bytes().all(|b| b.is_ascii_digit());
    let random_ok = random.len() == RANDOM_LEN && random.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
    if digits_only && random_ok {
        pid.parse().ok()
    } else {
        None
    }
}

/// A registered scratch path. Dropping it removes the path; [`Scratch::keep`] keeps it (once it
/// has been renamed into place, or when the caller takes it over).
#[derive(Debug)]
pub struct Scratch {
    id: u64,
    path: PathBuf,
}

impl Scratch {
    /// Registers a new scratch name in `dir` (made absolute, so a later change of the working
    /// directory does not matter). Nothing is created: register first, create second, so that a
    /// signal between the two cannot leave an unregistered file.
    pub fn reserve(dir: &Path) -> io::Result<Scratch> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::path::absolute(dir)?.join(scratch_name());
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        registry().insert(id, path.clone());
        Ok(Scratch { id, path })
    }

    /// A new, empty scratch directory (mode 0700) in `dir`.
    pub fn create_dir_in(dir: &Path) -> io::Result<Scratch> {
        Dir::open(dir)?.scratch_dir(0o700).map(|(s, _)| s)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The scratch's file name (`.shipcheck-tmp-…`).
    pub fn name(&self) -> &OsStr {
        self.path.file_name().expect("a scratch path ends in its name")
    }

    /// Stops tracking the path without removing it.
    pub fn keep(self) -> PathBuf {
        registry().remove(&self.id);
        let path = self.path.clone();
        std::mem::forget(self);
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Remove before unregistering: a signal in between removes it again, harmlessly.
        let _ = remove_path(&self.path);
        registry().remove(&self.id);
    }
}

/// Removes `path` while another thread may still be writing into it: a file created after
/// `remove_dir_all` listed a directory makes its `rmdir` fail (not empty), so the sweep is
/// repeated. Once a directory is gone nothing can be created in it, even through an open
/// handle, so a few passes suffice; the bound keeps a signal from hanging the exit.
fn remove_while_written(path: &Path) {
    for _ in 0..50 {
        if remove_path(path).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// Catches SIGINT and SIGTERM: every registered scratch path is removed, then the process exits
/// with 128 + the signal number (130, 143), as a shell reports a death by that signal. Call
/// once, at the start of `main`; a second call does nothing.
pub fn install_signal_cleanup() -> io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    static INSTALLED: OnceLock<()> = OnceLock::new();
    if INSTALLED.set(()).is_err() {
        return Ok(());
    }
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new().name("shipcheck-signals".into()).spawn(move || {
        if let Some(signo) = signals.forever().next() {
            // The lock is held until exit: a thread that tries to register a new scratch path
            // blocks, so it never creates one after this sweep.
            let paths = registry();
            for path in paths.values() {
                remove_while_written(path);
            }
            std::process::exit(128 + signo);
        }
    })?;
    Ok(())
}

/// Removes the scratch paths in `dir` that runs no longer alive left behind: entries named
/// exactly `.shipcheck-tmp-<pid>-<random>` whose pid has no `/proc/<pid>`. Links are removed
/// themselves, never followed. Does nothing where /proc is not mounted (liveness unknown).
/// Returns how many entries were removed.
///
/// A pid is only meaningful in this pid namespace: a run in another container that shares the
/// directory may look dead. Such runs should not share an output directory.
pub fn remove_stale(dir: &Path) -> io::Result<usize> {
    if !Path::new("/proc/self").exists() {
        return Ok(0);
    }
    let own = std::process::id();
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(scratch_pid) else { continue };
        if pid == own || Path::new("/proc").join(pid.to_string()).exists() {
            continue;
        }
        remove_path(&entry.path())?;
        removed += 1;
    }
    Ok(removed)
}

fn invalid(path: &Path, why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("{}: {why}", path.display()))
}

/// Adds the path to an error, which `rustix` and the kernel leave out.
fn at(path: &Path, e: impl Into<io::Error>) -> io::Error {
    let e: io::Error = e.into();
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// A single path component: not empty, no `/`, not `.` or `..`, no NUL.
fn check_name<'n, N: AsRef<OsStr> + ?Sized>(dir: &Path, name: &'n N) -> io::Result<&'n OsStr> {
    use std::os::unix::ffi::OsStrExt;
    let name = name.as_ref();
    let b = name.as_bytes();
    if b.is_empty() || b == b"." || b == b".." || b.contains(&b'/') || b.contains(&0) {
        return Err(invalid(&dir.join(name), "expected a single file name (no `/`, `.` or `..`)"));
    }
    Ok(name)
}

/// An open directory that files are made in by name. See the module documentation.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

impl Dir {
    /// Opens `path`, which the user named: links in it are followed, as the user meant them.
    pub fn open(path: &Path) -> io::Result<Dir> {
        let fd = rfs::open(path, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
            .map_err(|e| at(path, e))?;
        Ok(Dir { fd, path: path.to_path_buf() })
    }

    /// The path this directory was reached by, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the directory `name` in this one, refusing a link.
    pub fn open_dir<N: AsRef<OsStr> + ?Sized>(&self, name: &N) -> io::Result<Dir> {
        let name = check_name(&self.path, name)?;
        let path = self.path.join(name);
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rfs::openat(&self.fd, name, flags, Mode::empty()).map_err(|e| at(&path, e))?;
        Ok(Dir { fd, path })
    }

    /// Creates the directory `name` (mode 0755 less the umask) unless it exists, and opens it.
    /// An existing link of that name is refused, not followed.
    pub fn create_dir<N: AsRef<OsStr> + ?Sized>(&self, name: &N) -> io::Result<Dir> {
        let name = check_name(&self.path, name)?;
        match rfs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o755)) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => self.open_dir(name),
            Err(e) => Err(at(&self.path.join(name), e)),
        }
    }

    /// [`Dir::create_dir`] for each `/`-separated component of `rel` in turn.
    pub fn create_dirs(&self, rel: &str) -> io::Result<Dir> {
        let mut names = rel.split('/');
        let first = names.next().unwrap_or_default();
        let mut dir = self.create_dir(first)?;
        for name in names {
            dir = dir.create_dir(name)?;
        }
        Ok(dir)
    }

    /// Creates the new file `name` for writing (mode 0644 less the umask): an existing file or
    /// link of that name is an error, never opened.
    pub fn create_new<N: AsRef<OsStr> + ?Sized>(&self, name: &N) -> io::Result<File> {
        self.create_new_mode(name, 0o644)
    }

    fn create_new_mode<N: AsRef<OsStr> + ?Sized>(&self, name: &N, mode: u32) -> io::Result<File> {
        let name = check_name(&self.path, name)?;
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd =
            rfs::openat(&self.fd, name, flags, Mode::from_raw_mode(mode)).map_err(|e| at(&self.path.join(name), e))?;
        Ok(File::from(fd))
    }

    /// Opens the file `name` for reading, refusing a link.
    pub fn open_file<N: AsRef<OsStr> + ?Sized>(&self, name: &N) -> io::Result<File> {
        let name = check_name(&self.path, name)?;
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rfs::openat(&self.fd, name, flags, Mode::empty()).map_err(|e| at(&self.path.join(name), e))?;
        Ok(File::from(fd))
    }

    /// Whether `name` exists here (a link counts as itself, whatever it points to).
    pub fn contains<N: AsRef<OsStr> + ?Sized>(&self, name: &N) -> bool {
        check_name(&self.path, name).is_ok_and(|n| rfs::statat(&self.fd, n, AtFlags::SYMLINK_NOFOLLOW).is_ok())
    }

    /// Removes the file or link `name`.
    pub fn remove_file<N: AsRef<OsStr> + ?Sized>(&self, name: &N) -> io::Result<()> {
        let name = check_name(&self.path, name)?;
        rfs::unlinkat(&self.fd, name, AtFlags::empty()).map_err(|e| at(&self.path.join(name), e))
    }

    /// Renames `from` in this directory to `to` in `to_dir`. Without `replace`, an existing
    /// `to` is an error (`AlreadyExists`), checked by the kernel at the rename itself.
    pub fn rename<F, T>(&self, from: &F, to_dir: &Dir, to: &T, replace: bool) -> io::Result<()>
    where
        F: AsRef<OsStr> + ?Sized,
        T: AsRef<OsStr> + ?Sized,
    {
        let from = check_name(&self.path, from)?;
        let to = check_name(&to_dir.path, to)?;
        let target = to_dir.path.join(to);
        if replace {
            return rfs::renameat(&self.fd, from, &to_dir.fd, to).map_err(|e| at(&target, e));
        }
        match rfs::renameat_with(&self.fd, from, &to_dir.fd, to, RenameFlags::NOREPLACE) {
            Ok(()) => Ok(()),
            Err(rustix::io::Errno::EXIST) => {
                Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{} exists", target.display())))
            }
            // A file system without RENAME_NOREPLACE: check, then rename (a narrow race).
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) if !to_dir.contains(to) => {
                rfs::renameat(&self.fd, from, &to_dir.fd, to).map_err(|e| at(&target, e))
            }
            Err(e) => Err(at(&target, e)),
        }
    }

    /// A new registered scratch file in this directory, mode 0644 less the umask: it becomes
    /// an output by a rename, and outputs follow the umask.
    pub fn scratch_file(&self) -> io::Result<(Scratch, File)> {
        loop {
            let s = Scratch::reserve(&self.path)?;
            match self.create_new_mode(s.name(), 0o644) {
                Ok(f) => return Ok((s, f)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// A new registered scratch directory in this directory, and its handle. `mode` (less the
    /// umask): 0o700 for work space, 0o755 for a directory that becomes an output.
    pub fn scratch_dir(&self, mode: u32) -> io::Result<(Scratch, Dir)> {
        loop {
            let s = Scratch::reserve(&self.path)?;
            match rfs::mkdirat(&self.fd, s.name(), Mode::from_raw_mode(mode)) {
                Ok(()) => {
                    let dir = self.open_dir(s.name())?;
                    return Ok((s, dir));
                }
                Err(rustix::io::Errno::EXIST) => continue,
                Err(e) => return Err(at(s.path(), e)),
            }
        }
    }

    /// Writes `bytes` as the file `name` atomically (a scratch file renamed into place);
    /// `replace` says whether an existing `name` may be replaced.
    pub fn write_atomic<N: AsRef<OsStr> + ?Sized>(&self, name: &N, bytes: &[u8], replace: bool) -> io::Result<()> {
        use std::io::Write;
        let (tmp, mut file) = self.scratch_file()?;
        file.write_all(bytes).map_err(|e| at(tmp.path(), e))?;
        drop(file);
        self.rename(tmp.name(), self, name, replace)?;
        tmp.keep();
        Ok(())
    }

    /// Device and inode of this directory.
    pub fn id(&self) -> io::Result<(u64, u64)> {
        let st = rfs::fstat(&self.fd).map_err(|e| at(&self.path, e))?;
        Ok((st.st_dev, st.st_ino))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_their_own_pattern_only() {
        let name = scratch_name();
        assert_eq!(scratch_pid(&name), Some(std::process::id()));
        for bad in [
            ".shipcheck-tmp-12-abc",
            ".shipcheck-tmp--0123456789ab",
            ".shipcheck-tmp-1x-0123456789ab",
            ".shipcheck-tmp-12-0123456789AB",
            ".shipcheck-tmp-12-0123456789ab-x",
            ".shipcheck-copy-0123456789ab",
            "shipcheck-tmp-12-0123456789ab",
        ] {
            assert_eq!(scratch_pid(bad), None, "{bad}");
        }
        assert_eq!(scratch_pid(".shipcheck-tmp-12-0123456789ab"), Some(12));
    }

    #[test]
    fn names_are_refused_unless_single_components() {
        let t = tempfile::tempdir().unwrap();
        let d = Dir::open(t.path()).unwrap();
        for bad in ["", ".", "..", "a/b", "../x", "/etc/passwd"] {
            let e = d.create_new(bad).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{bad}");
        }
    }
}
