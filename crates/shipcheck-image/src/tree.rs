//! An image source as a tree of named entries (a directory, a tar, or a compressed tar), read
//! once. Regular files are scanned with [`scan_blob`]: in parallel, straight from disk, when the
//! source is a directory or an uncompressed tar; sequentially while streaming otherwise.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use crate::digest::Algorithm;
use crate::limits;
use crate::scan::{scan_blob, BlobFacts, Compression, ScanOptions};
use crate::source::Container;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    /// Target as written, relative to the link's directory (or absolute).
    Symlink(String),
    /// Target as written, relative to the archive root.
    Hardlink(String),
    Other(String),
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub path: String,
    pub kind: EntryKind,
    pub size: u64,
    pub facts: Option<BlobFacts>,
}

/// A defect of the container itself, found while reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeProblem {
    /// The archive ends inside an entry, or its tar structure breaks.
    Truncated { path: String, detail: String },
    /// An entry name that leaves the root (absolute, `..`) or is not UTF-8.
    UnsafeName { path: String, why: String },
    /// More than [`limits::MAX_ARCHIVE_ENTRIES`]; the rest was not read.
    TooManyEntries,
    /// A member could not be read (I/O error in a directory layout).
    Unreadable { path: String, detail: String },
}

pub struct Tree {
    pub root: PathBuf,
    pub container: Container,
    pub entries: BTreeMap<String, Entry>,
    /// Paths that occur more than once in the archive (the last one is kept, as tar extraction would).
    pub duplicates: Vec<String>,
    pub problems: Vec<TreeProblem>,
    /// Where each member's data starts in an uncompressed tar (members are read in place).
    pub offsets: std::collections::HashMap<String, u64>,
}

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tree {{ root: {:?}, container: {:?}, entries: {} }}", self.root, self.container, self.entries.len())
    }
}

/// Why a path could not be resolved to a regular file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unresolved {
    Missing,
    Escapes(String),
    Loop,
    NotAFile,
}

/// Normalizes an entry name: `./a//b/` → `a/b`. Errors on names that leave the root.
pub fn clean(name: &str) -> Result<String, String> {
    if name.starts_with('/') {
        return Err("is absolute".into());
    }
    let mut parts: Vec<&str> = Vec::new();
    for comp in name.split('/') {
        match comp {
            "" | "." => {}
            ".." => return Err("contains `..`".into()),
            c => parts.push(c),
        }
    }
    Ok(parts.join("/"))
}

/// Joins a link target to the directory of `from`, resolving `..`; `Err` when it climbs out.
fn join_target(from_dir: &str, target: &str) -> Result<String, String> {
    if target.starts_with('/') {
        return Err(format!("points to absolute path `{target}`"));
    }
    let mut parts: Vec<&str> = from_dir.split('/').filter(|c| !c.is_empty()).collect();
    for comp in target.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!("target `{target}` climbs out of the archive"));
                }
            }
            c => parts.push(c),
        }
    }
    Ok(parts.join("/"))
}

impl Tree {
    /// An empty tree, to be filled with [`Tree::add_file`] (a registry's documents and blobs).
    pub fn new(root: PathBuf, container: Container) -> Tree {
        Tree {
            root,
            container,
            entries: BTreeMap::new(),
            duplicates: Vec::new(),
            problems: Vec::new(),
            offsets: Default::default(),
        }
    }

    /// Adds a regular file whose content was scanned elsewhere.
    pub fn add_file(&mut self, path: &str, facts: BlobFacts) {
        let size = facts.size;
        self.insert(Entry { path: path.to_string(), kind: EntryKind::File, size, facts: Some(facts) });
    }

    /// Follows symlinks and hard links inside the tree to a regular file.
    pub fn resolve(&self, path: &str) -> Result<&Entry, Unresolved> {
        let mut current = clean(path).map_err(Unresolved::Escapes)?;
        for _ in 0..limits::MAX_LINK_DEPTH {
            let entry = self.entries.get(&current).ok_or(Unresolved::Missing)?;
            current = match &entry.kind {
                EntryKind::File => return Ok(entry),
                EntryKind::Symlink(t) => {
                    let dir = current.rsplit_once('/').map_or("", |(d, _)| d);
                    join_target(dir, t).map_err(Unresolved::Escapes)?
                }
                EntryKind::Hardlink(t) => join_target("", t).map_err(Unresolved::Escapes)?,
                EntryKind::Dir | EntryKind::Other(_) => return Err(Unresolved::NotAFile),
            };
        }
        Err(Unresolved::Loop)
    }

    /// Reads `root` (a directory or a tar file, possibly compressed) and scans every regular file.
    /// `progress`, if given, counts the source bytes read so far (for a progress bar).
    pub fn read(root: &Path, container: Container, fast: bool, progress: Option<Arc<AtomicU64>>) -> io::Result<Tree> {
        let mut tree = Tree::new(root.to_path_buf(), container);
        match container {
            Container::Directory => {
                let mut files = Vec::new();
                walk_dir(root, "", &mut tree, &mut files)?;
                let tasks: Vec<Task> = files
                    .into_iter()
                    .map(|(name, path, size)| Task { name, size, at: TaskSource::File(path) })
                    .collect();
                run_parallel(&tasks, root, fast, &progress, &mut tree);
            }
            Container::Tar(Compression::None) => {
                let tasks = index_tar(root, &mut tree)?;
                run_parallel(&tasks, root, fast, &progress, &mut tree);
            }
            Container::Tar(c) => stream_tar(root, c, fast, &progress, &mut tree)?,
            Container::Registry => {
                return Err(io::Error::other("a registry is read by shipcheck-registry, not as a file tree"))
            }
        }
        Ok(tree)
    }

    fn insert(&mut self, entry: Entry) {
        if self.entries.len() >= limits::MAX_ARCHIVE_ENTRIES {
            if !self.problems.contains(&TreeProblem::TooManyEntries) {
                self.problems.push(TreeProblem::TooManyEntries);
            }
            return;
        }
        if let Some(old) = self.entries.insert(entry.path.clone(), entry) {
            // Directories repeated by some writers are harmless; files are not.
            if old.kind != EntryKind::Dir && !self.duplicates.contains(&old.path) {
                self.duplicates.push(old.path);
            }
        }
    }

    /// Adds a member named `raw`, or records why its name is unsafe. Returns the clean name.
    fn admit(&mut self, raw: &[u8], kind: EntryKind, size: u64) -> Option<String> {
        let Ok(name) = std::str::from_utf8(raw) else {
            self.problems.push(TreeProblem::UnsafeName {
                path: String::from_utf8_lossy(raw).into_owned(),
                why: "is not valid UTF-8".into(),
            });
            return None;
        };
        match clean(name) {
            Ok(path) if path.is_empty() => None,
            Ok(path) => {
                self.insert(Entry { path: path.clone(), kind, size, facts: None });
                Some(path)
            }
            Err(why) => {
                self.problems.push(TreeProblem::UnsafeName { path: name.to_string(), why });
                None
            }
        }
    }
}

fn algorithm_for(name: &str) -> Algorithm {
    if name.starts_with("blobs/sha512/") {
        Algorithm::Sha512
    } else {
        Algorithm::Sha256
    }
}

enum TaskSource {
    File(PathBuf),
    Range(u64),
}

struct Task {
    name: String,
    size: u64,
    at: TaskSource,
}

fn walk_dir(dir: &Path, prefix: &str, tree: &mut Tree, files: &mut Vec<(String, PathBuf, u64)>) -> io::Result<()> {
    let mut children: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    children.sort_by_key(|e| e.file_name());
    for child in children {
        if tree.entries.len() >= limits::MAX_ARCHIVE_ENTRIES {
            tree.insert(Entry { path: String::new(), kind: EntryKind::Dir, size: 0, facts: None });
            return Ok(());
        }
        let os_name = child.file_name();
        let Some(name) = os_name.to_str() else {
            tree.problems.push(TreeProblem::UnsafeName {
                path: format!("{prefix}{}", os_name.to_string_lossy()),
                why: "is not valid UTF-8".into(),
            });
            continue;
        };
        let rel = format!("{prefix}{name}");
        // Never follow links: a layout is judged by what it contains, not by where it points.
        let meta = match std::fs::symlink_metadata(child.path()) {
            Ok(m) => m,
            Err(e) => {
                tree.problems.push(TreeProblem::Unreadable { path: rel, detail: e.to_string() });
                continue;
            }
        };
        let ft = meta.file_type();
        if ft.is_symlink() {
            let target = std::fs::read_link(child.path()).map(|t| t.to_string_lossy().into_owned()).unwrap_or_default();
            tree.insert(Entry { path: rel, kind: EntryKind::Symlink(target), size: 0, facts: None });
        } else if ft.is_dir() {
            tree.insert(Entry { path: rel.clone(), kind: EntryKind::Dir, size: 0, facts: None });
            if let Err(e) = walk_dir(&child.path(), &format!("{rel}/"), tree, files) {
                tree.problems.push(TreeProblem::Unreadable { path: rel, detail: e.to_string() });
            }
        } else if ft.is_file() {
            tree.insert(Entry { path: rel.clone(), kind: EntryKind::File, size: meta.len(), facts: None });
            files.push((rel, child.path(), meta.len()));
        } else {
            tree.insert(Entry { path: rel, kind: EntryKind::Other("special file".into()), size: 0, facts: None });
        }
    }
    Ok(())
}

/// A tar member's data size, kind and raw name.
fn member(entry: &tar::Entry<'_, impl Read>) -> (u64, EntryKind, Vec<u8>) {
    (entry.header().entry_size().unwrap_or(0), kind_of(entry), entry.path_bytes().into_owned())
}

fn kind_of(entry: &tar::Entry<'_, impl Read>) -> EntryKind {
    let t = entry.header().entry_type();
    let link = || entry.link_name_bytes().map(|l| String::from_utf8_lossy(&l).into_owned()).unwrap_or_default();
    if t.is_file() || t == tar::EntryType::Continuous {
        EntryKind::File
    } else if t.is_dir() {
        EntryKind::Dir
    } else if t.is_symlink() {
        EntryKind::Symlink(link())
    } else if t.is_hard_link() {
        EntryKind::Hardlink(link())
    } else {
        EntryKind::Other(format!("tar entry type {:?}", t))
    }
}

/// Lists the members of an uncompressed tar without reading their data (it seeks past it).
fn index_tar(path: &Path, tree: &mut Tree) -> io::Result<Vec<Task>> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut archive = tar::Archive::new(BufReader::new(file));
    let mut tasks = Vec::new();
    let entries = archive.entries_with_seek()?;
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                tree.problems.push(TreeProblem::Truncated { path: "(tar header)".into(), detail: e.to_string() });
                break;
            }
        };
        let (size, kind, raw) = member(&entry);
        let offset = entry.raw_file_position();
        let is_file = kind == EntryKind::File;
        if let Some(name) = tree.admit(&raw, kind, size) {
            if offset.saturating_add(size) > len {
                tree.problems.push(TreeProblem::Truncated {
                    path: name.clone(),
                    detail: format!("entry declares {size} bytes at offset {offset}, but the file ends at {len}"),
                });
            }
            if is_file {
                tree.offsets.insert(name.clone(), offset);
                tasks.push(Task { name, size, at: TaskSource::Range(offset) });
            }
        }
        if tree.problems.contains(&TreeProblem::TooManyEntries) {
            break;
        }
    }
    // A later member of the same name shadows an earlier one, as on extraction: scan only it.
    let mut last = std::collections::HashMap::new();
    for (i, t) in tasks.iter().enumerate() {
        last.insert(t.name.clone(), i);
    }
    let mut i = 0;
    tasks.retain(|t| {
        i += 1;
        last[&t.name] == i - 1
    });
    Ok(tasks)
}

/// Scans regular files on all cores, largest first so the long ones start early.
fn run_parallel(tasks: &[Task], root: &Path, fast: bool, progress: &Option<Arc<AtomicU64>>, tree: &mut Tree) {
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(tasks[i].size));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, BlobFacts)>> = Mutex::new(Vec::with_capacity(tasks.len()));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(tasks.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = order.get(k) else { break };
                let task = &tasks[i];
                let opts = ScanOptions { fast, algorithm: algorithm_for(&task.name), size_hint: task.size };
                let facts = match open_task(root, task) {
                    Ok(reader) => scan_blob(Counting { inner: reader, counter: progress.clone() }, opts),
                    Err(e) => BlobFacts { read_error: Some(e.to_string()), ..BlobFacts::default() },
                };
                results.lock().unwrap_or_else(|p| p.into_inner()).push((i, facts));
            });
        }
    });
    for (i, facts) in results.into_inner().unwrap_or_else(|p| p.into_inner()) {
        if let Some(e) = tree.entries.get_mut(&tasks[i].name) {
            e.facts = Some(facts);
        }
    }
}

/// Adds the bytes read through it to a shared counter.
struct Counting<R> {
    inner: R,
    counter: Option<Arc<AtomicU64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(c) = &self.counter {
            c.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

fn open_task(root: &Path, task: &Task) -> io::Result<Box<dyn Read>> {
    match &task.at {
        TaskSource::File(p) => Ok(Box::new(File::open(p)?.take(u64::MAX))),
        TaskSource::Range(offset) => {
            let mut f = File::open(root)?;
            f.seek(SeekFrom::Start(*offset))?;
            Ok(Box::new(f.take(task.size)))
        }
    }
}

/// Reads a compressed tar front to back. This thread decompresses the outer stream and walks the
/// tar; each member's bytes go, in bounded chunks, to a worker that scans them, so outer and
/// inner decompression run on different cores. Memory per member in flight is bounded by
/// [`PIPE_CHUNKS`] × [`limits::CHUNK`].
fn stream_tar(
    path: &Path,
    compression: Compression,
    fast: bool,
    progress: &Option<Arc<AtomicU64>>,
    tree: &mut Tree,
) -> io::Result<()> {
    let file =
        BufReader::with_capacity(limits::CHUNK, Counting { inner: File::open(path)?, counter: progress.clone() });
    let decoded: Box<dyn Read> = match compression {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(file)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(file)?),
        Compression::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(file)),
        Compression::None | Compression::Bzip2 => return Err(io::Error::other("not a supported outer compression")),
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(workers);
    let job_rx = Mutex::new(job_rx);
    let (res_tx, res_rx) = mpsc::channel::<(usize, String, BlobFacts)>();
    let mut archive = tar::Archive::new(decoded);
    let entries = archive.entries()?;
    std::thread::scope(|s| {
        for _ in 0..workers {
            let res_tx = res_tx.clone();
            let job_rx = &job_rx;
            s.spawn(move || loop {
                let job = job_rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                let Ok(job) = job else { break };
                let mut reader = ChunkReader { rx: job.rx, cur: Vec::new(), pos: 0 };
                let facts = scan_blob(&mut reader, job.opts);
                // Whatever the scan did not read (--fast) must still be taken off the pipe.
                while reader.rx.recv().is_ok() {}
                let _ = res_tx.send((job.seq, job.name, facts));
            });
        }
        let mut seq = 0;
        for entry in entries {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    tree.problems.push(TreeProblem::Truncated { path: "(tar header)".into(), detail: e.to_string() });
                    break;
                }
            };
            let (size, kind, raw) = member(&entry);
            let is_file = kind == EntryKind::File;
            let Some(name) = tree.admit(&raw, kind, size) else { continue };
            if is_file {
                let (tx, rx) = mpsc::sync_channel(PIPE_CHUNKS);
                let opts = ScanOptions { fast, algorithm: algorithm_for(&name), size_hint: size };
                if job_tx.send(Job { seq, name: name.clone(), opts, rx }).is_err() {
                    break;
                }
                seq += 1;
                if let Err(e) = pump(&mut entry, &tx) {
                    tree.problems.push(TreeProblem::Truncated { path: name, detail: e.to_string() });
                    let _ = tx.send(Err(e));
                    break;
                }
            }
            if tree.problems.contains(&TreeProblem::TooManyEntries) {
                break;
            }
        }
        drop(job_tx);
    });
    drop(res_tx);
    // Apply in archive order, so a later member of the same name wins, as on extraction.
    let mut results: Vec<(usize, String, BlobFacts)> = res_rx.into_iter().collect();
    results.sort_by_key(|r| r.0);
    for (_, name, facts) in results {
        if let Some(e) = tree.entries.get_mut(&name) {
            e.facts = Some(facts);
        }
    }
    Ok(())
}

/// Chunks in flight per member between the streaming reader and its scanner.
const PIPE_CHUNKS: usize = 8;

struct Job {
    seq: usize,
    name: String,
    opts: ScanOptions,
    rx: mpsc::Receiver<io::Result<Vec<u8>>>,
}

/// Sends a member's bytes down the pipe; an error is the archive's (truncation), returned.
fn pump<R: Read>(entry: &mut R, tx: &mpsc::SyncSender<io::Result<Vec<u8>>>) -> io::Result<()> {
    loop {
        let mut buf = vec![0u8; limits::CHUNK];
        let n = match entry.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        buf.truncate(n);
        if tx.send(Ok(buf)).is_err() {
            return Ok(());
        }
    }
}

/// The scanner's end of the pipe.
struct ChunkReader {
    rx: mpsc::Receiver<io::Result<Vec<u8>>>,
    cur: Vec<u8>,
    pos: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.cur.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.cur = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_and_join() {
        assert_eq!(clean("./a//b/").unwrap(), "a/b");
        assert!(clean("/etc").is_err());
        assert!(clean("a/../b").is_err());
        assert_eq!(join_target("x/y", "../z").unwrap(), "x/z");
        assert!(join_target("x", "../../z").is_err());
        assert!(join_target("x", "/etc/passwd").is_err());
    }

    fn tree_with(entries: Vec<(&str, EntryKind)>) -> Tree {
        let mut t = Tree::new(PathBuf::new(), Container::Directory);
        for (p, k) in entries {
            t.insert(Entry { path: p.into(), kind: k, size: 0, facts: None });
        }
        t
    }

    #[test]
    fn resolves_links_and_detects_loops_and_escapes() {
        let t = tree_with(vec![
            ("a/layer.tar", EntryKind::File),
            ("b/layer.tar", EntryKind::Symlink("../a/layer.tar".into())),
            ("c/layer.tar", EntryKind::Hardlink("b/layer.tar".into())),
            ("loop1", EntryKind::Symlink("loop2".into())),
            ("loop2", EntryKind::Symlink("loop1".into())),
            ("out", EntryKind::Symlink("../../etc/passwd".into())),
        ]);
        assert_eq!(t.resolve("c/layer.tar").unwrap().path, "a/layer.tar");
        assert_eq!(t.resolve("loop1").unwrap_err(), Unresolved::Loop);
        assert!(matches!(t.resolve("out").unwrap_err(), Unresolved::Escapes(_)));
        assert_eq!(t.resolve("nope").unwrap_err(), Unresolved::Missing);
    }
}
