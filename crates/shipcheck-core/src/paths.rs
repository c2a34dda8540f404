//! The one resolver for paths that come from inputs.
//!
//! shipcheck.toml, `.packit.yaml` (`specfile_path`, `files_to_sync`) and, later, scripts,
//! Makefiles and compose files name other files. A repository under review is untrusted (a pull
//! request can change its config), so such a path may point anywhere: `/proc/self/environ`,
//! `../../home/ci/.docker/config.json`, or a link inside the repository that leads out of it.
//! Every such path goes through [`Root::resolve`], which resolves links and refuses anything that
//! does not stay inside the repository root. How the root is found can change here alone.

use std::io;
use std::path::{Component, Path, PathBuf};

/// Why a path from an input was not resolved.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    /// The path, once links are resolved, leads outside the root.
    #[error("{path}: outside the repository {root}; paths from configuration must stay inside it")]
    Outside { path: PathBuf, root: PathBuf },
    /// The path (or the root) could not be resolved: missing, unreadable, a link loop.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl PathError {
    /// True when the path does not exist (as opposed to escaping the root or failing to read).
    pub fn is_not_found(&self) -> bool {
        matches!(self, PathError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}

/// A repository root that input paths are resolved against.
#[derive(Debug, Clone)]
pub struct Root {
    /// The canonical root: absolute, links resolved.
    canonical: PathBuf,
    /// The root as given, for messages.
    given: PathBuf,
}

impl Root {
    /// The root at `dir`, which must exist.
    pub fn new(dir: &Path) -> Result<Root, PathError> {
        let canonical = dir.canonicalize().map_err(|source| PathError::Io { path: dir.to_path_buf(), source })?;
        Ok(Root { canonical, given: dir.to_path_buf() })
    }

    /// The root as it was given.
    pub fn path(&self) -> &Path {
        &self.given
    }

    /// The canonical root (absolute, links resolved).
    pub fn canonical(&self) -> &Path {
        &self.canonical
    }

    /// `path` (relative to the root, or absolute) resolved through every link, if it stays inside
    /// the root. The path must exist: an existing file is what every caller goes on to read.
    pub fn resolve(&self, path: &Path) -> Result<PathBuf, PathError> {
        let joined = self.canonical.join(path);
        // Refuse a lexical escape even when its target does not exist, so the error says
        // "outside" rather than "not found" for `../../etc/x`.
        if !lexically_inside(&joined, &self.canonical) {
            return Err(self.outside(path));
        }
        let resolved = joined.canonicalize().map_err(|source| PathError::Io { path: self.shown(path), source })?;
        if resolved.starts_with(&self.canonical) {
            Ok(resolved)
        } else {
            Err(self.outside(path))
        }
    }

    /// The path as a user should read it in a message: under the root as given.
    fn shown(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.given.join(path)
        }
    }

    fn outside(&self, path: &Path) -> PathError {
        PathError::Outside { path: self.shown(path), root: self.given.clone() }
    }
}

/// Whether `path`, with `.` and `..` folded as text, stays under `root` (both absolute).
fn lexically_inside(path: &Path, root: &Path) -> bool {
    let mut folded = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                if !folded.pop() {
                    return false;
                }
            }
            Component::CurDir => {}
            other => folded.push(other),
        }
    }
    folded.starts_with(root)
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::symlink;

    use super::*;

    fn tree() -> (tempfile::TempDir, Root) {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        fs::create_dir_all(repo.join("sub")).unwrap();
        fs::write(repo.join("sub/a.spec"), "Name: a\n").unwrap();
        fs::write(dir.path().join("secret"), "x").unwrap();
        let root = Root::new(&repo).unwrap();
        (dir, root)
    }

    #[test]
    fn inside_paths_resolve() {
        let (_dir, root) = tree();
        let p = root.resolve(Path::new("sub/a.spec")).unwrap();
        assert!(p.ends_with("repo/sub/a.spec"), "{}", p.display());
        assert!(root.resolve(Path::new("./sub/../sub/a.spec")).is_ok());
        let abs = root.canonical().join("sub/a.spec");
        assert!(root.resolve(&abs).is_ok());
    }

    #[test]
    fn escapes_are_refused() {
        let (dir, root) = tree();
        for p in ["../secret", "sub/../../secret", "/proc/self/environ", "/etc/passwd"] {
            let err = root.resolve(Path::new(p)).unwrap_err();
            assert!(matches!(err, PathError::Outside { .. }), "{p}: {err}");
            assert!(err.to_string().contains("outside the repository"), "{err}");
        }
        // A link inside the repository that leads out of it.
        symlink(dir.path().join("secret"), root.canonical().join("link")).unwrap();
        assert!(matches!(root.resolve(Path::new("link")), Err(PathError::Outside { .. })));
        // A directory link out, then a file below it.
        symlink(dir.path(), root.canonical().join("up")).unwrap();
        assert!(matches!(root.resolve(Path::new("up/secret")), Err(PathError::Outside { .. })));
    }

    #[test]
    fn missing_and_loops_are_io_errors() {
        let (_dir, root) = tree();
        let err = root.resolve(Path::new("nope.spec")).unwrap_err();
        assert!(err.is_not_found(), "{err}");
        symlink("loop", root.canonical().join("loop")).unwrap();
        let err = root.resolve(Path::new("loop")).unwrap_err();
        assert!(matches!(err, PathError::Io { .. }) && !err.is_not_found(), "{err}");
    }
}
