//! A YAML tree that remembers where every node starts, built on yaml-rust2's event parser.
//!
//! Workflows and `.packit.yaml` files are untrusted input, so the reader is bounded:
//! - aliases are expanded with a node budget ([`MAX_NODES`]): a "billion laughs" document is an
//!   error, not an allocation;
//! - nesting is capped ([`MAX_DEPTH`], aliases included): a document nested 50,000 levels is an
//!   error, not a stack overflow. The events are pulled in a loop (yaml-rust2's own `load`
//!   recurses once per level), and every walk over a tree (drop, clone, a caller's recursion)
//!   stays within the cap;
//! - tags are ignored, only the first document is read, and nothing here panics.
//!
//! Both limits are settable through [`parse_with`] for callers that need more.

use std::collections::HashMap;
use std::fs::FileType;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Nodes a document may expand to, aliases included. The largest real workflows have a few
/// tens of thousands.
pub const MAX_NODES: usize = 1_000_000;
/// Collections a node may sit inside, aliases included. Real workflows and packit
/// configurations nest fewer than 20 levels; 128 is also serde_json's and serde_yaml's limit.
/// Recursive walks over a tree this deep need well under 256 KiB of stack.
pub const MAX_DEPTH: usize = 128;

/// The budgets a document is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// See [`MAX_NODES`].
    pub nodes: usize,
    /// See [`MAX_DEPTH`].
    pub depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { nodes: MAX_NODES, depth: MAX_DEPTH }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Every scalar as written (`true`, `1`, `~` stay text); `quoted` tells `"true"` from `true`,
    /// `block` marks `|` and `>` scalars (their position is where their text starts, on the
    /// line after the indicator).
    Scalar {
        text: String,
        quoted: bool,
        block: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    /// 1-based line and column where the node starts (for an alias: where the alias is written;
    /// the nodes inside keep the positions of the anchored text).
    pub line: u32,
    pub column: u32,
}

impl Node {
    /// The value under `key` in a mapping (the first, when a key is repeated).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node itself (for positions of keys).
    pub fn key(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(k, _)| k)
    }

    /// The key and value under `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.entries().iter().find(|(k, _)| k.str() == Some(key)).map(|(k, v)| (k, v))
    }

    pub fn str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.value {
            Value::Map(e) => e,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(s) => s,
            _ => &[],
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, quoted: false, .. } if text.is_empty() || text == "~" || text == "null")
    }

    /// A scalar read as a YAML boolean (`true`/`false` in any case, unquoted).
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar { text, quoted: false, .. } => match text.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Why a document could not be read, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} at line {line} column {column}")]
pub struct Error {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl Error {
    fn at(mark: Marker, message: String) -> Error {
        Error { line: mark.line() as u32, column: mark.col() as u32 + 1, message }
    }
}

/// Why a YAML input (or a file it names) was not read. `Missing` is for callers that probe for
/// optional files; everything else names what was found instead of a file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("no such file")]
    Missing,
    #[error("{0}, expected a file")]
    NotAFile(&'static str),
    #[error("{size} bytes, expected {what} under {}", bytes_in_words(.limit))]
    TooBig { size: u64, limit: u64, what: String },
    #[error("not UTF-8 text, expected {0}")]
    NotText(String),
    #[error("{0}")]
    Io(std::io::Error),
}

/// `1048576` as `1 MiB`, for messages.
fn bytes_in_words(n: &u64) -> String {
    if *n >= 1 << 20 && n % (1 << 20) == 0 {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

/// What a file type is, in words, when it is not a regular file.
fn file_kind(t: FileType) -> &'static str {
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

impl ReadError {
    /// The error for `e`, met while opening or resolving `path`: link loops and dangling links
    /// are named as such, a path with nothing there is `Missing`.
    pub fn from_io(path: &Path, e: std::io::Error) -> ReadError {
        match e.raw_os_error() {
            Some(code) if code == rustix::io::Errno::LOOP.raw_os_error() => ReadError::NotAFile("a symbolic link loop"),
            _ if e.kind() == std::io::ErrorKind::NotFound && path.symlink_metadata().is_ok() => {
                ReadError::NotAFile("a symbolic link to nothing")
            }
            _ if e.kind() == std::io::ErrorKind::NotFound => ReadError::Missing,
            _ => ReadError::Io(e),
        }
    }
}

/// Reads a text file of at most `limit` bytes (`what` names it in messages), following links.
/// Directories, FIFOs, devices, sockets and link loops are refused by type before anything is
/// read, and the file is opened non-blocking and checked again through its handle, so that a
/// FIFO swapped in meanwhile cannot block the run.
pub fn read_text(path: &Path, limit: u64, what: &str) -> Result<String, ReadError> {
    let meta = std::fs::metadata(path).map_err(|e| ReadError::from_io(path, e))?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile(file_kind(meta.file_type())));
    }
    let nonblock = rustix::fs::OFlags::NONBLOCK.bits() as i32;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nonblock)
        .open(path)
        .map_err(|e| ReadError::from_io(path, e))?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile(file_kind(meta.file_type())));
    }
    if meta.len() > limit {
        return Err(ReadError::TooBig { size: meta.len(), limit, what: what.to_string() });
    }
    // The cap holds even if the file grows after the check.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooBig { size: bytes.len() as u64, limit, what: what.to_string() });
    }
    String::from_utf8(bytes).map_err(|_| ReadError::NotText(what.to_string()))
}

/// Parses the first document of `text` within the default [`Limits`]. An empty document is
/// `Ok(None)`.
pub fn parse(text: &str) -> Result<Option<Node>, Error> {
    parse_with(text, Limits::default())
}

/// Parses the first document of `text` within `limits`.
///
/// A flow collection's closing `]` or `}` on its own line at the indentation of its key
/// (`tag: [` … `]` with `]` under `tag`) is outside the block in strict YAML 1.2, and
/// yaml-rust2 refuses it; libyaml, PyYAML and GitHub Actions accept it (fluent-bit's release
/// workflow has one). Such a line is read as indented like the line before it, a few times at
/// most, so a document is never parsed more than [`FLOW_END_RETRIES`] + 1 times.
pub fn parse_with(text: &str, limits: Limits) -> Result<Option<Node>, Error> {
    let mut text = std::borrow::Cow::Borrowed(text);
    let mut retries = 0;
    loop {
        match parse_once(&text, limits) {
            Err(e) if retries < FLOW_END_RETRIES && e.message == "invalid indentation" => {
                let Some(fixed) = indent_flow_end(&text, e.line) else { return Err(e) };
                text = std::borrow::Cow::Owned(fixed);
                retries += 1;
            }
            result => return result,
        }
    }
}

/// How many outdented flow-collection ends [`parse_with`] re-reads in one document.
const FLOW_END_RETRIES: usize = 8;

/// `text` with line `line` (1-based) indented like the nearest non-blank line above it, when
/// that line starts with a flow collection's end and is indented less; `None` otherwise.
fn indent_flow_end(text: &str, line: u32) -> Option<String> {
    let index = (line as usize).checked_sub(1)?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let target = lines.get(index)?;
    let body = target.trim_start_matches(' ');
    if !body.starts_with([']', '}']) {
        return None;
    }
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let above = lines[..index].iter().rev().find(|l| !l.trim().is_empty())?;
    if indent(above) <= indent(target) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + indent(above));
    for (i, l) in lines.iter().enumerate() {
        if i == index {
            out.extend(std::iter::repeat_n(' ', indent(above)));
            out.push_str(body);
        } else {
            out.push_str(l);
        }
    }
    Some(out)
}

fn parse_once(text: &str, limits: Limits) -> Result<Option<Node>, Error> {
    let mut parser = Parser::new_from_str(text);
    let mut b = Builder { limits, stack: Vec::new(), anchors: HashMap::new(), root: None, nodes: 0 };
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| Error::at(*e.marker(), e.info().to_string()))?;
        // The document ends at its end marker; reading on to it (not stopping at the root)
        // reports text after the root that is not YAML, as yaml-rust2's loader does.
        if matches!(ev, Event::DocumentEnd | Event::StreamEnd) {
            return Ok(b.root);
        }
        b.on_event(ev, mark)?;
    }
}

/// A finished node with what its anchor must remember for aliases to it.
struct Built {
    node: Node,
    /// Nodes in it (for the node budget) and collections it nests (for the depth cap).
    count: usize,
    height: usize,
}

/// A collection still open: its node so far, its anchor, a mapping's pending key, and the
/// count and height of what it holds so far.
struct Open {
    node: Node,
    anchor: usize,
    key: Option<Node>,
    count: usize,
    height: usize,
}

struct Builder {
    limits: Limits,
    stack: Vec<Open>,
    anchors: HashMap<usize, Built>,
    root: Option<Node>,
    nodes: usize,
}

fn at(mark: Marker, value: Value) -> Node {
    Node { value, line: mark.line() as u32, column: mark.col() as u32 + 1 }
}

/// `1000000` as `1,000,000`, for messages.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Builder {
    /// Takes `n` nodes from the budget.
    fn spend(&mut self, n: usize, mark: Marker) -> Result<(), Error> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.nodes {
            let limit = grouped(self.limits.nodes);
            return Err(Error::at(mark, format!("the document has more than {limit} nodes (aliases included)")));
        }
        Ok(())
    }

    /// Refuses a node of `height` collections placed at the current depth beyond the cap.
    fn check_depth(&self, height: usize, mark: Marker) -> Result<(), Error> {
        if self.stack.len() + height > self.limits.depth {
            let limit = self.limits.depth;
            return Err(Error::at(mark, format!("the document nests deeper than {limit} levels (aliases included)")));
        }
        Ok(())
    }

    fn on_event(&mut self, ev: Event, mark: Marker) -> Result<(), Error> {
        match ev {
            Event::Scalar(text, style, anchor, _) => {
                self.spend(1, mark)?;
                let quoted = matches!(style, TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted);
                let block = matches!(style, TScalarStyle::Literal | TScalarStyle::Folded);
                let node = at(mark, Value::Scalar { text, quoted, block });
                self.push(Built { node, count: 1, height: 0 }, anchor, mark)
            }
            Event::Alias(id) => self.alias(id, mark),
            Event::SequenceStart(anchor, _) => self.open(at(mark, Value::Seq(Vec::new())), anchor, mark),
            Event::MappingStart(anchor, _) => self.open(at(mark, Value::Map(Vec::new())), anchor, mark),
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Open { node, anchor, key: None, count, height }) => {
                    self.push(Built { node, count: count + 1, height: height + 1 }, anchor, mark)
                }
                Some(_) => Err(Error::at(mark, "a mapping key without a value".into())),
                None => Err(Error::at(mark, "unbalanced collection end".into())),
            },
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::DocumentEnd => {
                Ok(())
            }
        }
    }

    fn open(&mut self, node: Node, anchor: usize, mark: Marker) -> Result<(), Error> {
        self.spend(1, mark)?;
        self.check_depth(1, mark)?;
        self.stack.push(Open { node, anchor, key: None, count: 0, height: 0 });
        Ok(())
    }

    /// Expands an alias: a copy of the anchored node, counted whole against both budgets.
    fn alias(&mut self, id: usize, mark: Marker) -> Result<(), Error> {
        let Some(target) = self.anchors.get(&id) else {
            return Err(Error::at(mark, "an alias to an anchor that is not defined before it".into()));
        };
        let (count, height) = (target.count, target.height);
        // Both budgets are checked before the copy is made.
        self.spend(count, mark)?;
        self.check_depth(height, mark)?;
        let Some(target) = self.anchors.get(&id) else { return Ok(()) };
        let node = Node { line: mark.line() as u32, column: mark.col() as u32 + 1, ..target.node.clone() };
        self.push(Built { node, count, height }, 0, mark)
    }

    /// Places a finished node into its parent (or as the root), remembering its anchor.
    fn push(&mut self, built: Built, anchor: usize, mark: Marker) -> Result<(), Error> {
        if anchor != 0 {
            let copy = Built { node: built.node.clone(), ..built };
            self.anchors.insert(anchor, copy);
        }
        let Built { node, count, height } = built;
        let Some(parent) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        parent.count += count;
        parent.height = parent.height.max(height);
        match (&mut parent.node.value, parent.key.take()) {
            (Value::Seq(items), _) => items.push(node),
            (Value::Map(_), None) if !matches!(node.value, Value::Scalar { .. }) => {
                return Err(Error::at(mark, "a mapping key must be a scalar".into()));
            }
            (Value::Map(entries), None) => {
                // yaml-rust2 marks a block mapping where its first `:` is: the mapping starts
                // at its first key.
                if entries.is_empty() && (node.line, node.column) < (parent.node.line, parent.node.column) {
                    (parent.node.line, parent.node.column) = (node.line, node.column);
                }
                parent.key = Some(node)
            }
            (Value::Map(entries), Some(k)) => entries.push((k, node)),
            (Value::Scalar { .. }, _) => {}
        }
        Ok(())
    }
}
