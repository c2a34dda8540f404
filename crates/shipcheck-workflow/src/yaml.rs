//! A YAML tree that remembers where every node starts, built on yaml-rust2's event parser.
//!
//! Workflows are untrusted input: aliases are expanded with a node budget (a "billion laughs"
//! document is an error, not an allocation), tags are ignored, only the first document is read,
//! and nothing here panics.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Nodes a document may expand to, aliases included.
const MAX_NODES: usize = 1_000_000;

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
    /// 1-based line and column where the node starts.
    pub line: u32,
    pub column: u32,
}

impl Node {
    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.str() == Some(key)).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The key node itself (for positions of keys).
    pub fn key(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.str() == Some(key)).map(|(k, _)| k),
            _ => None,
        }
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

#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at line {} column {}", self.message, self.line, self.column)
    }
}

/// Parses the first document of `text`. An empty document is `Ok(None)`.
pub fn parse(text: &str) -> Result<Option<Node>, Error> {
    let mut b = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut b, false).map_err(|e| Error {
        line: e.marker().line() as u32,
        column: e.marker().col() as u32 + 1,
        message: e.info().to_string(),
    })?;
    if let Some(e) = b.error {
        return Err(e);
    }
    Ok(b.root)
}

enum Open {
    Seq(Node, usize),
    Map(Node, usize, Option<Node>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    done: bool,
    nodes: usize,
    error: Option<Error>,
}

fn at(mark: Marker, value: Value) -> Node {
    Node { value, line: mark.line() as u32, column: mark.col() as u32 + 1 }
}

fn count(node: &Node) -> usize {
    match &node.value {
        Value::Scalar { .. } => 1,
        Value::Seq(s) => 1 + s.iter().map(count).sum::<usize>(),
        Value::Map(m) => 1 + m.iter().map(|(k, v)| count(k) + count(v)).sum::<usize>(),
    }
}

impl Builder {
    fn fail(&mut self, mark: Marker, message: &str) {
        if self.error.is_none() {
            self.error =
                Some(Error { line: mark.line() as u32, column: mark.col() as u32 + 1, message: message.to_string() });
        }
    }

    /// Places a finished node into its parent (or as the root), remembering its anchor.
    fn push(&mut self, node: Node, anchor: usize, mark: Marker) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            Some(Open::Seq(parent, _)) => {
                if let Value::Seq(items) = &mut parent.value {
                    items.push(node);
                }
            }
            Some(Open::Map(parent, _, key)) => match key.take() {
                None => {
                    if !matches!(node.value, Value::Scalar { .. }) {
                        self.fail(mark, "a mapping key must be a scalar");
                        return;
                    }
                    *key = Some(node);
                }
                Some(k) => {
                    if let Value::Map(entries) = &mut parent.value {
                        entries.push((k, node));
                    }
                }
            },
            None => {
                self.root = Some(node);
                self.done = true;
            }
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.done || self.error.is_some() {
            return;
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            self.fail(mark, "the document has more than 1,000,000 nodes (aliases included)");
            return;
        }
        match ev {
            Event::Scalar(text, style, anchor, _) => {
                let quoted = matches!(style, TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted);
                let block = matches!(style, TScalarStyle::Literal | TScalarStyle::Folded);
                self.push(at(mark, Value::Scalar { text, quoted, block }), anchor, mark);
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(node) => {
                    self.nodes += count(&node);
                    if self.nodes > MAX_NODES {
                        self.fail(mark, "the document has more than 1,000,000 nodes (aliases included)");
                        return;
                    }
                    self.push(Node { line: mark.line() as u32, column: mark.col() as u32 + 1, ..node }, 0, mark);
                }
                None => self.fail(mark, "an alias to an anchor that is not defined before it"),
            },
            Event::SequenceStart(anchor, _) => self.stack.push(Open::Seq(at(mark, Value::Seq(Vec::new())), anchor)),
            Event::MappingStart(anchor, _) => {
                self.stack.push(Open::Map(at(mark, Value::Map(Vec::new())), anchor, None))
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Open::Seq(node, anchor)) | Some(Open::Map(node, anchor, None)) => self.push(node, anchor, mark),
                Some(Open::Map(..)) => self.fail(mark, "a mapping key without a value"),
                None => self.fail(mark, "unbalanced collection end"),
            },
            Event::DocumentEnd => {
                self.done = true;
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let doc = parse("on:\n  push:\njobs:\n  build:\n    runs-on: ubuntu-latest\n").unwrap().unwrap();
        let runs_on = doc.get("jobs").unwrap().get("build").unwrap().get("runs-on").unwrap();
        assert_eq!((runs_on.line, runs_on.column), (5, 14));
        assert_eq!(runs_on.str(), Some("ubuntu-latest"));
        assert!(doc.get("on").unwrap().get("push").unwrap().is_null());
        let block = parse("run: |\n  docker build .\n").unwrap().unwrap();
        assert_eq!(block.get("run").unwrap().line, 2);
    }

    #[test]
    fn aliases_expand_and_bombs_stop() {
        let doc = parse("a: &x [1, 2]\nb: *x\n").unwrap().unwrap();
        assert_eq!(doc.get("b").unwrap().items().len(), 2);
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let err = parse(&bomb).unwrap_err();
        assert!(err.message.contains("1,000,000 nodes"), "{err}");
    }

    #[test]
    fn errors_carry_positions() {
        let err = parse("on:\n  push: [\n").unwrap_err();
        assert!(err.line >= 2, "{err}");
        assert_eq!(parse("").unwrap(), None);
        assert!(parse("{? [a]: b}").is_err());
    }
}
