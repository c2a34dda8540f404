//! Value types, deprecated keys, job types and triggers of .packit.yaml, from the dated schema
//! table in data/packit-schema.toml (taken from packit/schema.py).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use shipcheck_core::yaml::{Node, Value};

#[derive(Deserialize)]
pub struct Schema {
    pub keys: BTreeMap<String, String>,
    pub deprecated: BTreeMap<String, Deprecated>,
    pub jobs: Jobs,
}

#[derive(Deserialize)]
pub struct Deprecated {
    #[serde(rename = "use")]
    pub replacement: String,
    /// `job` for keys deprecated only inside jobs; absent for keys deprecated everywhere.
    pub scope: Option<String>,
    pub source: String,
}

#[derive(Deserialize)]
pub struct Jobs {
    pub types: Vec<String>,
    pub triggers: Vec<String>,
    pub removed: BTreeMap<String, String>,
}

pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        toml::from_str(include_str!("../data/packit-schema.toml")).expect("data/packit-schema.toml is valid")
    })
}

/// What a value is as packit's loader reads it. Plain scalars are resolved as yaml-rust2 (YAML
/// 1.2 core schema) resolves them; quoted and block scalars are strings. PyYAML's YAML 1.1
/// booleans (`yes`, `on`, …) stay strings here and are accepted where a boolean is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool(bool),
    Int,
    Real,
    Str,
    List,
    Map,
}

pub fn kind(node: &Node) -> Kind {
    let text = match &node.value {
        Value::Seq(_) => return Kind::List,
        Value::Map(_) => return Kind::Map,
        Value::Scalar { quoted: true, .. } | Value::Scalar { block: true, .. } => return Kind::Str,
        Value::Scalar { text, .. } => text.as_str(),
    };
    let radix = |digits: Option<&str>, radix| digits.is_some_and(|d| i64::from_str_radix(d, radix).is_ok());
    match text {
        "" | "~" | "null" => Kind::Null,
        "true" | "True" | "TRUE" => Kind::Bool(true),
        "false" | "False" | "FALSE" => Kind::Bool(false),
        _ if radix(text.strip_prefix("0x"), 16) || radix(text.strip_prefix("0o"), 8) => Kind::Int,
        _ if text.strip_prefix('+').unwrap_or(text).parse::<i64>().is_ok() => Kind::Int,
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN"
        | ".NAN" => Kind::Real,
        _ if text.bytes().any(|b| b.is_ascii_digit()) && text.parse::<f64>().is_ok() => Kind::Real,
        _ => Kind::Str,
    }
}

/// A scalar that packit reads as a string.
pub fn string(node: &Node) -> Option<&str> {
    (kind(node) == Kind::Str).then(|| node.str()).flatten()
}

/// A scalar that packit reads as a boolean (`true`, `False`, …).
pub fn boolean(node: &Node) -> Option<bool> {
    match kind(node) {
        Kind::Bool(b) => Some(b),
        _ => None,
    }
}

/// What a YAML value is, in words for messages.
pub fn describe(node: &Node) -> &'static str {
    match kind(node) {
        Kind::Str => "a string",
        Kind::Int | Kind::Real => "a number",
        Kind::Bool(_) => "a boolean",
        Kind::List => "a list",
        Kind::Map => "a mapping",
        Kind::Null => "empty",
    }
}

/// The type's name for messages.
pub fn expected(ty: &str) -> &'static str {
    match ty {
        "string" => "a string",
        "bool" => "a boolean (true or false)",
        "int" => "a whole number",
        "list" => "a list of strings",
        "map" => "a mapping",
        "targets" => "a list of targets or a mapping of targets",
        "branches" => "a branch, a list of branches, or a mapping of branches to their settings",
        "files" => "a list of paths or {src, dest} mappings",
        "sources" => "a list of {path, url} mappings",
        "jobs" => "a list of job mappings",
        "packages" => "a mapping of package names to their configuration",
        "job-packages" => "a list of package names or a mapping of package names to settings",
        _ => "a value of another type",
    }
}

/// PyYAML (YAML 1.1), which packit uses, reads these words as booleans.
fn yaml11_bool(s: &str) -> bool {
    matches!(
        s,
        "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
            | "True"
            | "TRUE"
            | "False"
            | "FALSE"
    )
}

/// Whether `node` has type `ty` as packit loads it. An empty value is always accepted
/// (packit's fields default to nothing).
pub fn fits(ty: &str, node: &Node) -> bool {
    let all = |items: &[Node], want: fn(Kind) -> bool| items.iter().all(|i| want(kind(i)));
    let strings = |items: &[Node]| all(items, |k| k == Kind::Str);
    let mappings = |items: &[Node]| all(items, |k| k == Kind::Map);
    // Package names map to their settings (or to nothing).
    let settings = |n: &Node| n.entries().iter().all(|(_, v)| matches!(kind(v), Kind::Map | Kind::Null));
    let items = node.items();
    match (ty, kind(node)) {
        (_, Kind::Null) => true,
        ("string", Kind::Str) => true,
        ("bool", Kind::Bool(_)) => true,
        ("bool", Kind::Str) => node.str().is_some_and(yaml11_bool),
        ("int", Kind::Int) => true,
        ("list", Kind::List) => strings(items),
        // One branch, a list, or (packit ≥ 0.100) a mapping with fast_forward_merge_into.
        ("branches", Kind::Str | Kind::Map) => true,
        ("branches", Kind::List) => strings(items),
        ("map", Kind::Map) => true,
        ("targets", Kind::Str | Kind::Map) => true,
        ("targets", Kind::List) => strings(items),
        ("files", Kind::List) => all(items, |k| matches!(k, Kind::Str | Kind::Map)),
        ("sources", Kind::List) => mappings(items),
        ("jobs", Kind::List) => mappings(items),
        ("packages", Kind::Map) => settings(node),
        ("job-packages", Kind::List) => strings(items),
        ("job-packages", Kind::Map) => settings(node),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(s: &str) -> Node {
        shipcheck_core::yaml::parse(s).unwrap().unwrap()
    }

    #[test]
    fn types_as_packit_reads_them() {
        assert!(fits("bool", &y("yes")));
        assert!(!fits("bool", &y("maybe")));
        assert!(fits("branches", &y("rawhide")));
        assert!(fits("branches", &y("{rawhide: {fast_forward_merge_into: [f43]}}")));
        assert!(!fits("list", &y("./")));
        assert!(fits("targets", &y("{fedora-all: {}}")));
        assert!(!fits("string", &y("[a.spec]")));
        assert!(fits("files", &y("[a, {src: b, dest: c}]")));
        assert!(!fits("int", &y("'7200'")));
        assert!(fits("string", &y("~")));
        assert_eq!(kind(&y("0x1f")), Kind::Int);
        assert_eq!(kind(&y("-1.5e3")), Kind::Real);
        assert_eq!(kind(&y("'1'")), Kind::Str);
        assert_eq!(kind(&y("inf")), Kind::Str);
        assert_eq!(boolean(&y("True")), Some(true));
        assert_eq!(string(&y("true")), None);
    }

    #[test]
    fn the_table_is_consistent() {
        let s = schema();
        for (k, ty) in &s.keys {
            assert_ne!(expected(ty), "a value of another type", "{k} has unknown type {ty}");
        }
        for (old, d) in &s.deprecated {
            assert!(!d.source.is_empty(), "{old} has no source");
        }
        for (old, new) in &s.jobs.removed {
            assert!(s.jobs.types.contains(new) && !s.jobs.types.contains(old));
        }
    }
}
