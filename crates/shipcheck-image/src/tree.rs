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
use crate::limits::{self, ReadLimits};
use crate::scan::{decoder, scan_blob, BlobFacts, Bounded, Compression, ScanOptions, GO_INVALID_HEADER};
use crate::source::Container;
use crate::tarwalk::{self, Member, TarError, TarWalker};

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
    /// A tar header that Go's `archive/tar` (every engine) refuses, e.g. a malformed PAX record.
    BadHeader { path: String, detail: String },
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
    /// Members admitted before the rest is refused ([`ReadLimits::max_members`]).
    pub max_members: usize,
    /// More than `max_members` were offered ([`TreeProblem::TooManyEntries`] is recorded).
    pub overflowed: bool,
    duplicate_set: std::collections::HashSet<String>,
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

/// How a member name or link target leaves the archive's root.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Escape {
    #[error("is absolute")]
    Absolute,
    #[error("contains `..`")]
    DotDot,
    #[error("points to absolute path `{0}`")]
    AbsoluteTarget(String),
    #[error("target `{0}` climbs out of the archive")]
    ClimbsOut(String),
}

impl From<Escape> for Unresolved {
    fn from(e: Escape) -> Unresolved {
        Unresolved::Escapes(e.to_string())
    }
}

/// Normalizes an entry name: `./a//b/` → `a/b`. Errors on names that leave the root.
pub fn clean(name: &str) -> Result<String, Escape> {
    if name.starts_with('/') {
        return Err(Escape::Absolute);
    }
    let mut parts: Vec<&str> = Vec::new();
    for comp in name.split('/') {
        match comp {
            "" | "." => {}
            ".." => return Err(Escape::DotDot),
            c => parts.push(c),
        }
    }
    Ok(parts.join("/"))
}

/// Joins a link target to the directory of `from`, resolving `..`; `Err` when it climbs out.
fn join_target(from_dir: &str, target: &str) -> Result<String, Escape> {
    if target.starts_with('/') {
        return Err(Escape::AbsoluteTarget(target.to_string()));
    }
    let mut parts: Vec<&str> = from_dir.split('/').filter(|c| !c.is_empty()).collect();
    for comp in target.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(Escape::ClimbsOut(target.to_string()));
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
            max_members: limits::MAX_ARCHIVE_ENTRIES,
            overflowed: false,
            duplicate_set: Default::default(),
        }
    }

    /// Adds a regular file whose content was scanned elsewhere.
    pub fn add_file(&mut self, path: &str, facts: BlobFacts) {
        let size = facts.size;
        self.insert(Entry { path: path.to_string(), kind: EntryKind::File, size, facts: Some(facts) });
    }

    /// Follows symlinks and hard links inside the tree to a regular file.
    pub fn resolve(&self, path: &str) -> Result<&Entry, Unresolved> {
        let mut current = clean(path)?;
        for _ in 0..limits::MAX_LINK_DEPTH {
            let entry = self.entries.get(&current).ok_or(Unresolved::Missing)?;
            current = match &entry.kind {
                EntryKind::File => return Ok(entry),
                EntryKind::Symlink(t) => {
                    let dir = current.rsplit_once('/').map_or("", |(d, _)| d);
                    join_target(dir, t)?
                }
                EntryKind::Hardlink(t) => join_target("", t)?,
                EntryKind::Dir | EntryKind::Other(_) => return Err(Unresolved::NotAFile),
            };
        }
        Err(Unresolved::Loop)
    }

    /// Reads `root` (a directory or a tar file, possibly compressed) and scans every regular file.
    /// `progress`, if given, counts the source bytes read so far (for a progress bar).
    ///
    /// `Err` is an input that cannot be checked: a member that cannot be read (permissions, I/O
    /// error), more members than `limits` allow, a tar header over [`limits::MAX_TAR_HEADER_BYTES`],
    /// or a wrapped archive that decompresses past its allowance.
    pub fn read(
        root: &Path,
        container: Container,
        fast: bool,
        progress: Option<Arc<AtomicU64>>,
        limits: &ReadLimits,
    ) -> io::Result<Tree> {
        let mut tree = Tree::new(root.to_path_buf(), container);
        tree.max_members = limits.max_members;
        // Each member's options start from these; its name and size fill in the rest.
        let scan = ScanOptions {
            fast,
            algorithm: Algorithm::Sha256,
            size_hint: 0,
            expansion_ratio: limits.max_expansion_ratio,
        };
        match container {
            Container::Directory => {
                let mut files = Vec::new();
                walk_dir(root, "", &mut tree, &mut files)?;
                let tasks: Vec<Task> = files
                    .into_iter()
                    .map(|(name, path, size)| Task { name, size, at: TaskSource::File(path) })
                    .collect();
                run_parallel(&tasks, root, scan, &progress, &mut tree);
            }
            Container::Tar(Compression::None) => {
                let tasks = index_tar(root, &mut tree)?;
                run_parallel(&tasks, root, scan, &progress, &mut tree);
            }
            Container::Tar(c) => stream_tar(root, c, scan, &progress, limits, &mut tree)?,
            Container::Registry => {
                return Err(io::Error::other("a registry is read by shipcheck-registry, not as a file tree"))
            }
        }
        tree.unreadable()?;
        Ok(tree)
    }

    /// A member of a directory or an uncompressed archive that could not be read is an input
    /// error, never a skipped blob: the verdict would otherwise pass unseen content.
    fn unreadable(&self) -> io::Result<()> {
        if !matches!(self.container, Container::Directory | Container::Tar(Compression::None)) {
            // In a stream, a read error is the decompressor's: a corrupt archive, reported as such.
            return Ok(());
        }
        let problem = self.problems.iter().find_map(|p| match p {
            TreeProblem::Unreadable { path, detail } => Some((path.as_str(), detail.as_str())),
            _ => None,
        });
        let failed =
            || self.entries.values().find_map(|e| Some((e.path.as_str(), e.facts.as_ref()?.read_error.as_deref()?)));
        match problem.or_else(failed) {
            Some((path, detail)) => Err(io::Error::other(format!("member {path} cannot be read: {detail}"))),
            None => Ok(()),
        }
    }

    fn insert(&mut self, entry: Entry) {
        if self.entries.len() >= self.max_members {
            if !self.overflowed {
                self.overflowed = true;
                self.problems.push(TreeProblem::TooManyEntries);
            }
            return;
        }
        if let Some(old) = self.entries.insert(entry.path.clone(), entry) {
            // Directories repeated by some writers are harmless; files are not.
            if old.kind != EntryKind::Dir && self.duplicate_set.insert(old.path.clone()) {
                self.duplicates.push(old.path);
            }
        }
    }

    /// Adds a member named `raw`, or records why its name is unsafe. Returns the clean name.
    fn admit(&mut self, raw: &[u8], kind: EntryKind, size: u64) -> Option<String> {
        let Ok(name) = std::str::from_utf8(raw) else {
            self.problems.push(TreeProblem::UnsafeName { path: tarwalk::shown(raw), why: "is not valid UTF-8".into() });
            return None;
        };
        if name.len() > limits::MAX_MEMBER_NAME {
            self.problems.push(TreeProblem::UnsafeName {
                path: tarwalk::shown(raw),
                why: format!("is {} bytes long, over the {} byte limit", name.len(), limits::MAX_MEMBER_NAME),
            });
            return None;
        }
        match clean(name) {
            Ok(path) if path.is_empty() => None,
            Ok(path) => {
                self.insert(Entry { path: path.clone(), kind, size, facts: None });
                Some(path)
            }
            Err(why) => {
                self.problems.push(TreeProblem::UnsafeName { path: name.to_string(), why: why.to_string() });
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
        if tree.entries.len() >= tree.max_members {
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

/// What a member is, from its tar type.
fn kind_of(m: &Member) -> EntryKind {
    let t = m.kind;
    let link = || String::from_utf8_lossy(&m.link).into_owned();
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

/// The next member of an image archive; `Ok(None)` at its end or where it breaks (recorded as
/// a problem). A header over the size limit is an input error: nothing after it can be trusted.
fn next_member<R: Read>(walker: &mut TarWalker<R>, tree: &mut Tree, seekable: bool) -> io::Result<Option<Member>> {
    match walker.next_member() {
        Ok(m) => Ok(m),
        Err(TarError::TooLarge(why)) => Err(io::Error::new(io::ErrorKind::InvalidData, why)),
        // On a file read in place, an error other than its end is the disk's, not the archive's.
        Err(TarError::Io(e))
            if seekable && !matches!(e.kind(), io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData) =>
        {
            Err(e)
        }
        Err(e) => {
            tree.problems.push(TreeProblem::Truncated { path: "(tar header)".into(), detail: e.to_string() });
            Ok(None)
        }
    }
}

/// Adds a member to the tree, recording a header Go would refuse. Returns its clean name.
fn admit_member(tree: &mut Tree, m: &Member) -> Option<String> {
    if m.link.len() > limits::MAX_MEMBER_NAME {
        tree.problems.push(TreeProblem::UnsafeName {
            path: tarwalk::shown(&m.name),
            why: format!(
                "has a link target of {} bytes, over the {} byte limit",
                m.link.len(),
                limits::MAX_MEMBER_NAME
            ),
        });
        return None;
    }
    let name = tree.admit(&m.name, kind_of(m), m.size);
    if let Some(why) = &m.pax_error {
        let path = name.clone().unwrap_or_else(|| tarwalk::shown(&m.name));
        tree.problems.push(TreeProblem::BadHeader { path, detail: format!("{why} ({GO_INVALID_HEADER})") });
    }
    name
}

/// Lists the members of an uncompressed tar without reading their data (it seeks past it).
fn index_tar(path: &Path, tree: &mut Tree) -> io::Result<Vec<Task>> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut walker = TarWalker::seekable(BufReader::new(file));
    let mut tasks = Vec::new();
    while let Some(m) = next_member(&mut walker, tree, true)? {
        let (size, offset, is_file) = (m.size, m.offset, kind_of(&m) == EntryKind::File);
        if let Some(name) = admit_member(tree, &m) {
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
        if tree.overflowed {
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
fn run_parallel(tasks: &[Task], root: &Path, scan: ScanOptions, progress: &Option<Arc<AtomicU64>>, tree: &mut Tree) {
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(tasks[i].size));
    let next = AtomicUsize::new(0);
    let json_kept = &AtomicU64::new(0);
    let results: Mutex<Vec<(usize, BlobFacts)>> = Mutex::new(Vec::with_capacity(tasks.len()));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(tasks.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = order.get(k) else { break };
                let task = &tasks[i];
                let opts = ScanOptions { algorithm: algorithm_for(&task.name), size_hint: task.size, ..scan };
                let mut facts = match open_task(root, task) {
                    Ok(reader) => scan_blob(Counting { inner: reader, counter: progress.clone() }, opts),
                    Err(e) => BlobFacts { read_error: Some(e.to_string()), ..BlobFacts::default() },
                };
                keep_json(&mut facts, json_kept);
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

/// Keeps a scanned JSON document only while the source's documents stay within
/// [`limits::MAX_JSON_TOTAL_BYTES`] together; `kept` counts what was kept so far.
fn keep_json(facts: &mut BlobFacts, kept: &AtomicU64) {
    let Some(doc) = &facts.json else { return };
    let len = doc.len() as u64;
    if kept.fetch_add(len, Ordering::Relaxed).saturating_add(len) > limits::MAX_JSON_TOTAL_BYTES {
        kept.fetch_sub(len, Ordering::Relaxed);
        facts.json = None;
        facts.json_over_budget = true;
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
    scan: ScanOptions,
    progress: &Option<Arc<AtomicU64>>,
    limits: &ReadLimits,
    tree: &mut Tree,
) -> io::Result<()> {
    let file = File::open(path)?;
    let allowance = limits.unpacked_allowance(file.metadata()?.len());
    let file = BufReader::with_capacity(limits::CHUNK, Counting { inner: file, counter: progress.clone() });
    let decoded = Bounded { inner: decoder(file, compression)?, left: allowance, tripped: false };
    let mut walker = TarWalker::new(decoded);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(workers);
    let job_rx = Mutex::new(job_rx);
    let (res_tx, res_rx) = mpsc::channel::<(usize, String, BlobFacts)>();
    let json_kept = &AtomicU64::new(0);
    let walked = std::thread::scope(|s| {
        for _ in 0..workers {
            let res_tx = res_tx.clone();
            let job_rx = &job_rx;
            s.spawn(move || loop {
                let job = job_rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                let Ok(job) = job else { break };
                let mut reader = ChunkReader { rx: job.rx, cur: Vec::new(), pos: 0 };
                let mut facts = scan_blob(&mut reader, job.opts);
                keep_json(&mut facts, json_kept);
                // Whatever the scan did not read (--fast) must still be taken off the pipe.
                while reader.rx.recv().is_ok() {}
                let _ = res_tx.send((job.seq, job.name, facts));
            });
        }
        let walked = feed(&mut walker, scan, &job_tx, tree);
        drop(job_tx);
        walked
    });
    drop(res_tx);
    if walker.into_inner().tripped {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "it decompresses to more than {allowance} bytes (the limit for a {} archive of this size); \
                 reading stopped. If the archive is genuine, raise the unpacked-size limit",
                compression.name()
            ),
        ));
    }
    walked?;
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

/// Walks a decompressed archive, handing each regular file's bytes to a scanner.
fn feed<R: Read>(
    walker: &mut TarWalker<R>,
    scan: ScanOptions,
    job_tx: &mpsc::SyncSender<Job>,
    tree: &mut Tree,
) -> io::Result<()> {
    let mut seq = 0;
    while let Some(m) = next_member(walker, tree, false)? {
        let (size, is_file) = (m.size, kind_of(&m) == EntryKind::File);
        let Some(name) = admit_member(tree, &m) else { continue };
        if is_file {
            let (tx, rx) = mpsc::sync_channel(PIPE_CHUNKS);
            let opts = ScanOptions { algorithm: algorithm_for(&name), size_hint: size, ..scan };
            if job_tx.send(Job { seq, name: name.clone(), opts, rx }).is_err() {
                break;
            }
            seq += 1;
            if let Err(e) = pump(walker, size, &tx) {
                tree.problems.push(TreeProblem::Truncated { path: name, detail: e.to_string() });
                let _ = tx.send(Err(e));
                break;
            }
        }
        if tree.overflowed {
            break;
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
/// Buffers are no larger than the member, so a crowd of tiny members costs little each.
fn pump<R: Read>(entry: &mut R, size: u64, tx: &mpsc::SyncSender<io::Result<Vec<u8>>>) -> io::Result<()> {
    let mut left = size;
    loop {
        let mut buf = vec![0u8; (limits::CHUNK as u64).min(left.max(1)) as usize];
        let n = match entry.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        buf.truncate(n);
        left = left.saturating_sub(n as u64);
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
