//! .packit.yaml: finding and reading it, loading it as packit does (merge keys), and the
//! settings the other checks need. Its rules are in src/rules/ and read [`ConfigFacts`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use shipcheck_core::paths::{PathError, Root};
use shipcheck_core::yaml::{self, Node, Value};
use shipcheck_report::Finding;

use crate::facts::{ConfigFacts, Facts};
use crate::schema::{boolean, string};
use crate::ReadError;

/// Config file names packit accepts, in its order of preference.
pub const NAMES: &[&str] = &[".packit.yaml", ".packit.yml", "packit.yaml", "packit.yml"];

/// The configuration in `dir`: the first name that is a file, as packit looks for it; else the
/// first name that exists as something else (a directory, a FIFO, a dangling link), so that
/// reading it says what it is instead of calling the configuration missing.
pub fn find(dir: &Path) -> Option<PathBuf> {
    let paths = || NAMES.iter().map(|n| dir.join(n));
    paths().find(|p| p.is_file()).or_else(|| paths().find(|p| p.symlink_metadata().is_ok()))
}

/// Reads a packit configuration (at most 1 MiB) found at the root of a repository. A directory,
/// FIFO or device under the name is refused by type, without blocking ("expected a file"); a
/// link that leads out of the repository is refused before anything is read, since the
/// configuration is as untrusted as the rest of the repository.
pub fn read(path: &Path) -> Result<String, ReadError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = Path::new(path.file_name().unwrap_or(path.as_os_str()));
    let real = Root::new(dir).and_then(|root| root.resolve(name)).map_err(|e| match e {
        PathError::Outside { .. } => ReadError::Outside { path: path.into() },
        PathError::Io { source, .. } => {
            ReadError::Text { path: path.into(), error: yaml::ReadError::from_io(path, source) }
        }
    })?;
    crate::read_shown(&real, path, MAX_CONFIG, "a packit configuration")
}

/// The largest configuration read (real ones are a few KiB).
pub const MAX_CONFIG: u64 = 1 << 20;

/// Checks one packit configuration. `Err` when the file cannot be read at all.
pub fn check(path: &Path, artifact: &str) -> Result<Vec<Finding>, ReadError> {
    Ok(check_text(&read(path)?, artifact))
}

/// The configuration as packit loads it: the first document of the positioned tree (aliases
/// within its node budget, nesting within its depth cap), with merge keys applied.
pub fn load(text: &str) -> Result<Option<Node>, yaml::Error> {
    Ok(yaml::parse(text)?.map(merge_keys))
}

/// Checks the text of a packit configuration (also the fuzzing entry point).
pub fn check_text(text: &str, artifact: &str) -> Vec<Finding> {
    let facts = Facts { config: Some(ConfigFacts::measure(text, artifact)), ..Facts::default() };
    crate::check::run(&facts, &|_| true)
}

/// Applies YAML merge keys (`<<: *anchor`), which packit's YAML loader (PyYAML) honours and
/// real configurations use to share job settings. The tree is consumed, not copied; the depth
/// of this recursion is bounded by the reader's depth cap.
fn merge_keys(node: Node) -> Node {
    let Node { value, line, column } = node;
    let value = match value {
        Value::Seq(items) => Value::Seq(items.into_iter().map(merge_keys).collect()),
        Value::Map(entries) => Value::Map(flatten(entries)),
        scalar => scalar,
    };
    Node { value, line, column }
}

/// One mapping as PyYAML's `flatten_mapping` and `construct_mapping` build it: the entries of
/// every `<<` source in the order the `<<` keys are written (a list of sources is taken last to
/// first, so its first source wins), then the mapping's own entries; a later key overrides an
/// earlier one in its place. PyYAML accepts several `<<` keys in one mapping (tmt's
/// configuration has them). Sources that are not mappings are ignored.
fn flatten(entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
    let mut merged = Vec::new();
    let mut own = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let v = merge_keys(v);
        if !matches!(&k.value, Value::Scalar { text, quoted: false, .. } if text == "<<") {
            own.push((k, v));
            continue;
        }
        match v.value {
            Value::Map(source) => merged.extend(source),
            Value::Seq(sources) => {
                for source in sources.into_iter().rev() {
                    if let Value::Map(source) = source.value {
                        merged.extend(source);
                    }
                }
            }
            Value::Scalar { .. } => {}
        }
    }
    merged.extend(own);
    let mut out: Vec<(Node, Node)> = Vec::with_capacity(merged.len());
    let mut index: HashMap<String, usize> = HashMap::new();
    for (k, v) in merged {
        let text = k.str().unwrap_or_default().to_string();
        match index.get(&text) {
            Some(&i) => out[i] = (k, v),
            None => {
                index.insert(text, out.len());
                out.push((k, v));
            }
        }
    }
    out
}

/// What the rest of the package checks need from a configuration: top level first, then its
/// first package (monorepos).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `specfile_path` as written (resolve it with [`spec_path`]).
    pub specfile: Option<String>,
    /// `upstream_tag_template`, `{version}` when not set.
    pub template: String,
    /// Where `upstream_tag_template` is written: line and column of its key.
    pub template_at: Option<(u32, u32)>,
    pub include: Option<String>,
    pub exclude: Option<String>,
    /// `sync_changelog: true`: the upstream spec goes to dist-git as it is. Otherwise (packit's
    /// default) packit keeps dist-git's `%changelog`, adds an entry, and sets `Version` from
    /// the release (packit `base_git.set_specfile_content`, 1.16.2).
    pub sync_changelog: bool,
    /// The actions that may create or rewrite the spec (`post-upstream-clone`,
    /// `fix-spec-file`), where they are set: `top level`, `package NAME`, `job KIND`.
    pub spec_actions: Vec<(String, String)>,
}

/// Actions that create the spec before packit reads it (`post-upstream-clone` runs right after
/// the clone) or replace packit's own changes to it (`fix-spec-file`). packit's documentation
/// of actions, https://packit.dev/docs/configuration/actions (read 2026-12-02).
pub const SPEC_ACTIONS: &[&str] = &["post-upstream-clone", "fix-spec-file"];

/// The [`Settings`] of a configuration; defaults when it cannot be read.
pub fn settings(text: &str) -> Settings {
    let doc = load(text).ok().flatten();
    let first_pkg = doc.as_ref().and_then(|d| d.get("packages")).and_then(|p| p.entries().first()).map(|(_, v)| v);
    let pick = |key: &str| text_entry(doc.as_ref(), key).or_else(|| text_entry(first_pkg, key));
    let text_of = |key: &str| pick(key).and_then(|(_, v)| string(v)).map(String::from);
    Settings {
        specfile: text_of("specfile_path"),
        template: text_of("upstream_tag_template").unwrap_or_else(|| "{version}".into()),
        template_at: pick("upstream_tag_template").map(|(k, _)| (k.line, k.column)),
        include: text_of("upstream_tag_include"),
        exclude: text_of("upstream_tag_exclude"),
        sync_changelog: pick_any(doc.as_ref(), first_pkg, "sync_changelog").and_then(boolean).unwrap_or(false),
        spec_actions: spec_actions(doc.as_ref()),
    }
}

/// The value of `key` at the top level, or in the first package.
fn pick_any<'a>(doc: Option<&'a Node>, first_pkg: Option<&'a Node>, key: &str) -> Option<&'a Node> {
    doc.and_then(|d| d.get(key)).or_else(|| first_pkg.and_then(|p| p.get(key)))
}

/// Every [`SPEC_ACTIONS`] action the configuration sets, with where: top level, each package,
/// each job (anchors and merge keys already applied).
fn spec_actions(doc: Option<&Node>) -> Vec<(String, String)> {
    let Some(doc) = doc else { return Vec::new() };
    let mut places: Vec<(String, &Node)> = vec![("top level".into(), doc)];
    if let Some(p) = doc.get("packages") {
        places.extend(p.entries().iter().map(|(k, v)| (format!("package {}", k.str().unwrap_or_default()), v)));
    }
    for j in doc.get("jobs").map(Node::items).unwrap_or_default() {
        places.push((format!("job {}", j.get("job").and_then(string).unwrap_or("?")), j));
    }
    let mut out = Vec::new();
    for (place, node) in places {
        let Some(actions) = node.get("actions") else { continue };
        for (k, _) in actions.entries() {
            let name = k.str().unwrap_or_default();
            if SPEC_ACTIONS.contains(&name) && !out.iter().any(|(n, p)| n == name && *p == place) {
                out.push((name.to_string(), place.clone()));
            }
        }
    }
    out
}

/// The key and value under `key` in `map`, when the value is a string.
fn text_entry<'a>(map: Option<&'a Node>, key: &str) -> Option<(&'a Node, &'a Node)> {
    map?.entry(key).filter(|(_, v)| string(v).is_some())
}

/// The spec file and tag template a configuration names (top level, or its first package).
pub fn spec_and_template(text: &str) -> (Option<String>, String) {
    let s = settings(text);
    (s.specfile, s.template)
}

/// `upstream_tag_include` and `upstream_tag_exclude` (top level or the first package), and the
/// line where `upstream_tag_template` is written.
pub fn tag_filters(text: &str) -> (Option<String>, Option<String>, Option<usize>) {
    let s = settings(text);
    (s.include, s.exclude, s.template_at.map(|(line, _)| line as usize))
}

/// The spec file `specfile_path` names, resolved inside the repository at `dir` through
/// [`Root`]: links followed, and a path that leads outside the repository (`../x.spec`,
/// `/etc/passwd`, a link out) refused before anything is read. The error names the path.
pub fn spec_path(dir: &Path, specfile: &str) -> Result<PathBuf, SpecPathError> {
    let root = Root::new(dir).map_err(|error| SpecPathError::Root { error })?;
    root.resolve(Path::new(specfile)).map_err(|e| match e {
        PathError::Outside { .. } => SpecPathError::Outside { specfile: specfile.into(), dir: dir.into() },
        PathError::Io { path, source } => SpecPathError::Unreadable { path, error: source },
    })
}

/// Why `specfile_path` does not name a spec file that can be read.
#[derive(Debug, thiserror::Error)]
pub enum SpecPathError {
    /// The repository itself cannot be resolved.
    #[error("cannot resolve the repository root {error}")]
    Root { error: PathError },
    #[error("specfile_path `{specfile}` leads outside the repository {dir}: expected a spec file inside it")]
    Outside { specfile: String, dir: PathBuf },
    /// Missing, unreadable, or a link loop.
    #[error("cannot read {path} (specfile_path): {error}")]
    Unreadable { path: PathBuf, error: std::io::Error },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(text: &str) -> Node {
        load(text).unwrap().unwrap()
    }

    #[test]
    fn merge_keys_as_pyyaml_reads_them() {
        let doc = merged("a: &a {x: 1, y: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: *a\n  <<: *b\n  y: 3\n");
        let c = doc.get("c").unwrap();
        // A later `<<` overrides an earlier one; the mapping's own keys override both.
        assert_eq!(c.get("x").unwrap().str(), Some("2"));
        assert_eq!(c.get("y").unwrap().str(), Some("3"));
        assert_eq!(c.get("z").unwrap().str(), Some("2"));
        assert!(c.get("<<").is_none());
        // In a list of sources the first wins; merged keys keep the anchor's positions.
        let d = merged("a: &a {x: 1}\nb: &b {x: 2}\nd: {<<: [*a, *b]}\n").get("d").unwrap().clone();
        let (k, v) = d.entry("x").unwrap();
        assert_eq!((v.str(), k.line, k.column), (Some("1"), 1, 8));
        // Repeated plain keys: the last wins, as in PyYAML.
        assert_eq!(merged("k: 1\nk: 2\n").get("k").unwrap().str(), Some("2"));
    }
}
