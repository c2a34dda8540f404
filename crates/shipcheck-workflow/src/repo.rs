//! Files of the repository under check: read capped, parsed once, never outside the root.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use shipcheck_core::paths::{PathError, Root};

use crate::yaml::{self, Node};

/// A workflow, action or bake file larger than this is refused (the largest real workflows are
/// a few hundred KiB).
pub const MAX_FILE: u64 = 1 << 20;
/// Workflows read from `.github/workflows` at most.
pub const MAX_WORKFLOWS: usize = 1000;

#[derive(Debug)]
pub struct File {
    /// The path relative to the repository root, with `/` separators.
    pub rel: String,
    /// The path as findings name it (the root as the user gave it, joined with `rel`).
    pub artifact: String,
    pub text: String,
    pub doc: Result<Option<Node>, yaml::Error>,
}

pub struct Repo {
    pub root: PathBuf,
    /// The root that paths are resolved against (links followed, nothing outside it).
    resolver: Result<Root, PathError>,
    cache: RefCell<BTreeMap<String, Option<Rc<File>>>>,
    /// Files that exist but could not be read (too big, not UTF-8, unreadable), with why.
    pub unreadable: RefCell<Vec<(String, String)>>,
    /// Job evaluations left: workflows that call each other in loops, or matrices of matrices,
    /// stop here instead of growing without bound.
    budget: Cell<usize>,
    /// Files given in memory instead of a directory (fuzzing and tests).
    memory: Option<BTreeMap<String, String>>,
}

/// Job evaluations (a job, for one event and one matrix combination) per repository at most.
pub const MAX_JOB_EVALUATIONS: usize = 100_000;

impl Repo {
    pub fn new(root: &Path) -> Repo {
        Repo {
            root: root.to_path_buf(),
            resolver: Root::new(root),
            cache: RefCell::default(),
            unreadable: RefCell::default(),
            budget: Cell::new(MAX_JOB_EVALUATIONS),
            memory: None,
        }
    }

    /// A repository of files held in memory, by repository-relative path.
    pub fn in_memory(files: &[(&str, &str)]) -> Repo {
        let mut repo = Repo::new(Path::new("."));
        repo.memory = Some(files.iter().filter_map(|(p, t)| Some((Self::clean(p)?, t.to_string()))).collect());
        repo
    }

    /// Takes one job evaluation from the budget; `false` when it is spent.
    pub fn spend(&self) -> bool {
        let left = self.budget.get();
        self.budget.set(left.saturating_sub(1));
        left > 0
    }

    pub fn artifact(&self, rel: &str) -> String {
        if self.root == Path::new(".") || self.root.as_os_str().is_empty() {
            rel.to_string()
        } else {
            self.root.join(rel).display().to_string()
        }
    }

    /// Normalizes a repository-relative path (`./a/../b` → `b`); `None` when it leaves the root.
    pub fn clean(rel: &str) -> Option<String> {
        let mut parts: Vec<String> = Vec::new();
        for c in Path::new(rel.trim()).components() {
            match c {
                Component::Normal(p) => parts.push(p.to_str()?.to_string()),
                Component::CurDir => {}
                Component::ParentDir => {
                    parts.pop()?;
                }
                Component::RootDir | Component::Prefix(_) => return None,
            }
        }
        Some(parts.join("/"))
    }

    /// Reads a text file inside the repository (capped), following no link out of the root.
    /// A missing file is `None` without a word (callers probe for optional files); anything
    /// else that is not a readable text file (a directory, FIFO, device, link loop, a link out
    /// of the repository) is `None` and noted in `unreadable` with why.
    pub fn text(&self, rel: &str) -> Option<String> {
        let rel = Self::clean(rel)?;
        if let Some(files) = &self.memory {
            return files.get(&rel).filter(|t| t.len() as u64 <= MAX_FILE).cloned();
        }
        // Resolved before anything is opened: a link out of the repository is never read.
        let path = self.root.join(&rel);
        let read = match self.resolver.as_ref().map(|root| root.resolve(Path::new(&rel))) {
            Ok(Ok(real)) => yaml::read_text(&real, MAX_FILE, "a text file"),
            Ok(Err(PathError::Outside { .. })) => {
                self.note(&rel, "a link that leads out of the repository".into());
                return None;
            }
            // Missing, a dangling link, a link loop: said in the words of the file reader.
            Ok(Err(PathError::Io { source, .. })) => Err(yaml::ReadError::from_io(&path, source)),
            Err(_) => return None,
        };
        match read {
            Ok(text) => Some(text),
            Err(yaml::ReadError::Missing) => None,
            Err(e) => {
                self.note(&rel, e.to_string());
                None
            }
        }
    }

    /// Notes a file that exists but could not be read, with why.
    fn note(&self, rel: &str, why: String) {
        self.unreadable.borrow_mut().push((self.artifact(rel), why));
    }

    /// A YAML file of the repository, parsed once.
    pub fn yaml(&self, rel: &str) -> Option<Rc<File>> {
        let rel = Self::clean(rel)?;
        if let Some(hit) = self.cache.borrow().get(&rel) {
            return hit.clone();
        }
        let file = self.text(&rel).map(|text| {
            let doc = yaml::parse(&text);
            Rc::new(File { artifact: self.artifact(&rel), rel: rel.clone(), text, doc })
        });
        self.cache.borrow_mut().insert(rel, file.clone());
        file
    }

    /// The workflow files, in name order.
    pub fn workflows(&self) -> Vec<String> {
        if let Some(files) = &self.memory {
            return files.keys().filter(|k| k.starts_with(".github/workflows/")).cloned().collect();
        }
        let dir = self.root.join(".github/workflows");
        let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(String::from))
            .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
            .map(|n| format!(".github/workflows/{n}"))
            .collect();
        names.sort();
        names.truncate(MAX_WORKFLOWS);
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside() {
        assert_eq!(Repo::clean("./.github/actions/../actions/x").as_deref(), Some(".github/actions/x"));
        assert_eq!(Repo::clean("../outside"), None);
        assert_eq!(Repo::clean("/etc/passwd"), None);
    }
}
