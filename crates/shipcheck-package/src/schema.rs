//! Value types, deprecated keys, job types and triggers of .packit.yaml, from the dated schema
//! table in data/packit-schema.toml (taken from packit/schema.py).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use yaml_rust2::Yaml;

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

/// What a YAML value is, in words for messages.
pub fn describe(y: &Yaml) -> &'static str {
    match y {
        Yaml::String(_) => "a string",
        Yaml::Integer(_) => "a number",
        Yaml::Real(_) => "a number",
        Yaml::Boolean(_) => "a boolean",
        Yaml::Array(_) => "a list",
        Yaml::Hash(_) => "a mapping",
        Yaml::Null => "empty",
        Yaml::Alias(_) | Yaml::BadValue => "unreadable",
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

/// Whether `y` has type `ty` as packit loads it. An empty value is always accepted
/// (packit's fields default to nothing).
pub fn fits(ty: &str, y: &Yaml) -> bool {
    let strings = |a: &[Yaml]| a.iter().all(|i| matches!(i, Yaml::String(_)));
    match (ty, y) {
        (_, Yaml::Null) => true,
        ("string", Yaml::String(_)) => true,
        ("bool", Yaml::Boolean(_)) => true,
        ("bool", Yaml::String(s)) => yaml11_bool(s),
        ("int", Yaml::Integer(_)) => true,
        ("list", Yaml::Array(a)) => strings(a),
        // One branch, a list, or (packit ≥ 0.100) a mapping with fast_forward_merge_into.
        ("branches", Yaml::String(_) | Yaml::Hash(_)) => true,
        ("branches", Yaml::Array(a)) => strings(a),
        ("map", Yaml::Hash(_)) => true,
        ("targets", Yaml::String(_) | Yaml::Hash(_)) => true,
        ("targets", Yaml::Array(a)) => strings(a),
        ("files", Yaml::Array(a)) => a.iter().all(|i| matches!(i, Yaml::String(_) | Yaml::Hash(_))),
        ("sources", Yaml::Array(a)) => a.iter().all(|i| matches!(i, Yaml::Hash(_))),
        ("jobs", Yaml::Array(a)) => a.iter().all(|i| matches!(i, Yaml::Hash(_))),
        ("packages", Yaml::Hash(h)) => h.values().all(|v| matches!(v, Yaml::Hash(_) | Yaml::Null)),
        ("job-packages", Yaml::Array(a)) => strings(a),
        ("job-packages", Yaml::Hash(h)) => h.values().all(|v| matches!(v, Yaml::Hash(_) | Yaml::Null)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(s: &str) -> Yaml {
        yaml_rust2::YamlLoader::load_from_str(s).unwrap().remove(0)
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
