//! .packit.yaml checks: nested `files_to_sync` destinations without `mkpath` (the crun
//! 1.16/1.17 failure), target and branch aliases, and misspelled keys.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use shipcheck_core::paths::{PathError, Root};
use shipcheck_core::yaml::{self, Node, Value};
use shipcheck_report::{Finding, Subject};

use crate::rules::*;
use crate::schema::{boolean, string};
use crate::targets;

/// Config file names packit accepts, in its order of preference.
pub const NAMES: &[&str] = &[".packit.yaml", ".packit.yml", "packit.yaml", "packit.yml"];

/// The configuration in `dir`: the first name that is a file, as packit looks for it; else the
/// first name that exists as something else (a directory, a FIFO, a dangling link), so that
/// reading it says what it is instead of calling the configuration missing.
pub fn find(dir: &Path) -> Option<PathBuf> {
    let paths = || NAMES.iter().map(|n| dir.join(n));
    paths().find(|p| p.is_file()).or_else(|| paths().find(|p| p.symlink_metadata().is_ok()))
}

/// Keys packit documents at the top level and in `packages.*` (https://packit.dev/docs/configuration).
/// Only used to suggest a fix for a key one or two edits away from one of these: a key not in
/// the list is never reported on its own, since packit adds keys over time.
const KNOWN_KEYS: &[&str] = &[
    "specfile_path",
    "files_to_sync",
    "upstream_package_name",
    "downstream_package_name",
    "upstream_project_url",
    "upstream_ref",
    "upstream_tag_template",
    "upstream_tag_include",
    "upstream_tag_exclude",
    "archive_root_dir_template",
    "actions",
    "jobs",
    "packages",
    "paths",
    "srpm_build_deps",
    "issue_repository",
    "notifications",
    "copy_upstream_release_description",
    "sync_changelog",
    "create_pr",
    "patch_generation_ignore_paths",
    "patch_generation_patch_id_digits",
    "allowed_gpg_keys",
    "packit_instances",
    "version_update_mask",
    "parse_time_macros",
    "prerelease_suffix_pattern",
    "prerelease_suffix_macro",
    "upload_sources",
    "pkg_tool",
    "dist_git_base_url",
    "dist_git_namespace",
    "allowed_pr_authors",
    "allowed_committers",
    "follow_fedora_branching",
    "job",
    "trigger",
    "targets",
    "dist_git_branches",
    "branch",
    "identifier",
    "metadata",
    "skip_build",
    "manual_trigger",
    "tmt_plan",
    "tf_extra_params",
    "owner",
    "project",
    "preserve_project",
    "list_on_homepage",
    "enable_net",
    "additional_repos",
    "additional_packages",
    "module_hotfixes",
    "release_suffix",
    "require",
    "env",
    "fmf_url",
    "fmf_ref",
    "fmf_path",
    "use_internal_tf",
    "sidetag_group",
    "dependents",
    "dependencies",
    "scratch",
];

fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The known key a misspelled key most likely meant.
fn suggestion(key: &str) -> Option<&'static str> {
    if KNOWN_KEYS.contains(&key) {
        return None;
    }
    KNOWN_KEYS
        .iter()
        .map(|k| (distance(key, k), *k))
        .filter(|(d, _)| *d <= 2 && *d < key.len() / 3 + 1)
        .min()
        .map(|(_, k)| k)
}

/// Reads a packit configuration (at most 1 MiB) found at the root of a repository. A directory,
/// FIFO or device under the name is refused by type, without blocking ("expected a file"); a
/// link that leads out of the repository is refused before anything is read, since the
/// configuration is as untrusted as the rest of the repository.
pub fn read(path: &Path) -> Result<String, String> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = Path::new(path.file_name().unwrap_or(path.as_os_str()));
    let real = Root::new(dir).and_then(|root| root.resolve(name)).map_err(|e| match e {
        PathError::Outside { .. } => {
            format!("{}: a link that leads out of the repository, expected a file inside it", path.display())
        }
        PathError::Io { source, .. } => format!("{}: {}", path.display(), yaml::ReadError::from_io(path, source)),
    })?;
    crate::read_shown(&real, path, MAX_CONFIG, "a packit configuration")
}

/// The largest configuration read (real ones are a few KiB).
pub const MAX_CONFIG: u64 = 1 << 20;

/// Checks one packit configuration. `Err` when the file cannot be read at all.
pub fn check(path: &Path, artifact: &str) -> Result<Vec<Finding>, String> {
    Ok(check_text(&read(path)?, artifact))
}

/// The configuration as packit loads it: the first document of the positioned tree (aliases
/// within its node budget, nesting within its depth cap), with merge keys applied.
pub fn load(text: &str) -> Result<Option<Node>, yaml::Error> {
    Ok(yaml::parse(text)?.map(merge_keys))
}

struct Ctx {
    artifact: String,
    findings: Vec<Finding>,
}

impl Ctx {
    fn at(&self, node: &Node) -> Subject {
        Subject::position(&self.artifact, node.line, Some(node.column))
    }
}

/// Checks the text of a packit configuration (also the fuzzing entry point).
pub fn check_text(text: &str, artifact: &str) -> Vec<Finding> {
    let mut c = Ctx { artifact: artifact.to_string(), findings: Vec::new() };
    let doc = match load(text) {
        Ok(Some(doc)) if matches!(doc.value, Value::Map(_)) => doc,
        Ok(_) => {
            let s = Subject::whole(&c.artifact);
            c.findings.push(Finding::new(&INVALID_CONFIG, s, "the top level is not a mapping of packit keys"));
            return c.findings;
        }
        Err(e) => {
            let s = Subject::position(&c.artifact, e.line, Some(e.column));
            c.findings.push(
                Finding::new(&INVALID_CONFIG, s, format!("not valid YAML: {e}"))
                    .remedy("Fix the syntax; `packit config validate` checks it too."),
            );
            return c.findings;
        }
    };
    keys(&mut c, &doc);
    values(&mut c, &doc, false);
    // Per-package configs (monorepos) carry their own keys and files_to_sync.
    let mut scopes: Vec<(&Node, &str)> = vec![(&doc, "")];
    for (name, cfg) in doc.get("packages").map(Node::entries).unwrap_or_default() {
        keys(&mut c, cfg);
        values(&mut c, cfg, false);
        scopes.push((cfg, name.str().unwrap_or_default()));
    }
    let jobs = doc.get("jobs").map(Node::items).unwrap_or_default();
    for (i, j) in jobs.iter().enumerate() {
        keys(&mut c, j);
        values(&mut c, j, true);
        job_kind(&mut c, j, i);
    }
    let affected = downstream_branches(&mut c, jobs);
    for (scope, pkg) in scopes {
        files_to_sync(&mut c, scope.get("files_to_sync"), pkg, &affected);
    }
    for j in jobs {
        files_to_sync(&mut c, j.get("files_to_sync"), "", &affected);
    }
    // Settings merged from one anchor into several jobs are written once: one finding.
    let mut seen = BTreeSet::new();
    c.findings.retain(|f| seen.insert((f.rule.id, f.subject.clone(), f.message.clone())));
    c.findings
}

/// Strings as packit reads a branch or target setting: one, a list, or the keys of a mapping
/// (newer configs map branches to options: {rawhide: {fast_forward_merge_into: [...]}}).
fn strings(node: Option<&Node>) -> Vec<&Node> {
    let Some(node) = node else { return Vec::new() };
    match &node.value {
        Value::Scalar { .. } => string(node).map(|_| vec![node]).unwrap_or_default(),
        Value::Seq(items) => items.iter().filter(|i| string(i).is_some()).collect(),
        Value::Map(entries) => entries.iter().map(|(k, _)| k).filter(|k| string(k).is_some()).collect(),
    }
}

fn keys(c: &mut Ctx, map: &Node) {
    for (k, _) in map.entries() {
        let Some(key) = k.str() else { continue };
        if let Some(s) = suggestion(key) {
            let subject = c.at(k);
            c.findings.push(
                Finding::new(&UNKNOWN_KEY, subject, format!("unknown key `{key}`: did you mean `{s}`?"))
                    .evidence("key", key)
                    .evidence("suggestion", s)
                    .remedy(format!("Rename `{key}` to `{s}`.")),
            );
        }
    }
}

/// Type-checks the known keys of one mapping and reports deprecated ones. `in_job` also checks
/// the keys of a job's deprecated `metadata` mapping. A deprecated key is located at the key, a
/// value of the wrong type at the value.
fn values(c: &mut Ctx, map: &Node, in_job: bool) {
    let schema = crate::schema::schema();
    for (k, v) in map.entries() {
        let Some(key) = k.str() else { continue };
        if let Some(d) = schema.deprecated.get(key).filter(|d| d.scope.as_deref() != Some("job") || in_job) {
            let subject = c.at(k);
            c.findings.push(
                Finding::new(&DEPRECATED_KEY, subject, format!("`{key}` is deprecated: use {}", d.replacement))
                    .evidence("key", key)
                    .evidence("source", &d.source)
                    .remedy(format!("Replace `{key}` with {}.", d.replacement)),
            );
            if key == "metadata" {
                values(c, v, false);
            }
            continue;
        }
        let Some(ty) = schema.keys.get(key) else { continue };
        // A job selects packages by name (a list) or with per-package settings (a mapping).
        let ty = if in_job && key == "packages" { "job-packages" } else { ty.as_str() };
        if !crate::schema::fits(ty, v) {
            let subject = c.at(v);
            let expected = crate::schema::expected(ty);
            c.findings.push(
                Finding::new(
                    &INVALID_VALUE,
                    subject,
                    format!("`{key}` must be {expected}, not {}", crate::schema::describe(v)),
                )
                .evidence("key", key)
                .remedy(format!("Write `{key}` as {expected}; packit rejects the whole configuration otherwise.")),
            );
        }
    }
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

/// A job's `job` and `trigger`: present, and values packit knows. Located at the value, or at
/// the job when the key is missing.
fn job_kind(c: &mut Ctx, job: &Node, index: usize) {
    let jobs = &crate::schema::schema().jobs;
    for (field, valid) in [("job", &jobs.types), ("trigger", &jobs.triggers)] {
        let node = job.get(field);
        let value = node.and_then(string);
        let problem = match value {
            None => Some((
                format!("job {} has no `{field}`", index + 1),
                format!("Add `{field}:` with one of: {}.", valid.join(", ")),
            )),
            Some(v) if valid.iter().any(|x| x == v) => None,
            Some(v) => match (field, jobs.removed.get(v)) {
                ("job", Some(new)) => Some((
                    format!("job type `{v}` was removed from packit: use `{new}`"),
                    format!("Write `job: {new}`."),
                )),
                _ => Some((
                    format!("`{field}: {v}` is not a packit {field}"),
                    format!("Use one of: {}.", valid.join(", ")),
                )),
            },
        };
        if let Some((message, remedy)) = problem {
            let subject = c.at(node.filter(|_| value.is_some()).unwrap_or(job));
            c.findings.push(Finding::new(&INVALID_VALUE, subject, message).evidence("job", index + 1).remedy(remedy));
        }
    }
}

/// The dist-git branches propose_downstream / pull_from_upstream jobs update, expanded; and
/// findings for targets and branches nobody knows.
fn downstream_branches(c: &mut Ctx, jobs: &[Node]) -> Vec<String> {
    let mut affected = BTreeSet::new();
    for j in jobs {
        let kind = j.get("job").and_then(string).unwrap_or_default();
        let syncs = matches!(kind, "propose_downstream" | "pull_from_upstream");
        let branches = strings(j.get("dist_git_branches"));
        if syncs && branches.is_empty() {
            affected.extend(targets::expand("rawhide").unwrap_or_default());
        }
        let targets = strings(j.get("targets"));
        for (node, is_branch) in branches.iter().map(|n| (*n, true)).chain(targets.iter().map(|n| (*n, false))) {
            let name = node.str().unwrap_or_default();
            match targets::expand(name) {
                Some(b) if syncs && is_branch => affected.extend(b),
                Some(_) => {}
                None => {
                    let s = c.at(node);
                    c.findings.push(
                        Finding::new(&UNKNOWN_TARGET, s, format!("`{name}` is not a packit alias or a known branch (table of {})", targets::table().as_of))
                            .evidence("job", kind)
                            .remedy("Use a packit alias (fedora-all, fedora-stable, epel-all, …) or a branch that exists in dist-git."),
                    );
                }
            }
        }
    }
    affected.into_iter().collect()
}

/// Nested `files_to_sync` destinations without `mkpath`, each located at its entry.
fn files_to_sync(c: &mut Ctx, list: Option<&Node>, package: &str, affected: &[String]) {
    for item in list.map(Node::items).unwrap_or_default() {
        let (src, dest, mkpath) = match &item.value {
            Value::Scalar { .. } => match string(item) {
                Some(s) => (s.to_string(), s.to_string(), false),
                None => continue,
            },
            Value::Map(_) => {
                let src = strings(item.get("src")).iter().filter_map(|n| n.str()).collect::<Vec<_>>().join(", ");
                let dest = item.get("dest").and_then(string).map(String::from).unwrap_or_else(|| src.clone());
                (src, dest, item.get("mkpath").and_then(boolean).unwrap_or(false))
            }
            Value::Seq(_) => continue,
        };
        let clean = dest.trim_start_matches("./").trim_end_matches('/');
        let Some((parent, _)) = clean.rsplit_once('/') else { continue };
        if mkpath || parent.is_empty() || parent == "." {
            continue;
        }
        let subject = c.at(item);
        let branches =
            if affected.is_empty() { "(no propose_downstream job)".to_string() } else { affected.join(", ") };
        let mut f = Finding::new(
            &FILES_TO_SYNC_MKPATH,
            subject,
            format!("files_to_sync destination `{dest}` is nested (in `{parent}/`) and has no `mkpath: true`; propose-downstream fails on every branch where `{parent}/` does not exist"),
        )
        .evidence("src", &src)
        .evidence("dest", &dest)
        .evidence("affected_branches", branches)
        .evidence("branch_table", targets::table().as_of.clone())
        .remedy(format!("Write it as `- {{src: {src}, dest: {dest}, mkpath: true}}`."));
        if !package.is_empty() {
            f = f.evidence("package", package);
        }
        c.findings.push(f);
    }
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
}

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
    }
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
pub fn spec_path(dir: &Path, specfile: &str) -> Result<PathBuf, String> {
    let root = Root::new(dir).map_err(|e| format!("cannot resolve the repository root {e}"))?;
    root.resolve(Path::new(specfile)).map_err(|e| match e {
        PathError::Outside { .. } => format!(
            "specfile_path `{specfile}` leads outside the repository {}: expected a spec file inside it",
            dir.display()
        ),
        PathError::Io { path, source } => format!("cannot read {} (specfile_path): {source}", path.display()),
    })
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

    #[test]
    fn suggests_only_near_misses() {
        assert_eq!(suggestion("upstream_tag_templte"), Some("upstream_tag_template"));
        assert_eq!(suggestion("files_to_snyc"), Some("files_to_sync"));
        assert_eq!(suggestion("specfile_path"), None);
        assert_eq!(suggestion("some_brand_new_packit_key"), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
