//! What the package checks measured, once: the packit configuration as packit loads it (with
//! positions), the spec as parsed and expanded, the release tag, the repository's tags, the
//! spec's history and the NVRs downstream already has. Rules (src/rules/) only read these.

use shipcheck_core::yaml::{self, Node, Value};
use shipcheck_report::{Finding, Subject};

use crate::evr::Evr;
use crate::schema::string;
use crate::spec::{parse, ExpandError, Spec};
use crate::targets;

/// Everything one `shipcheck package` run knows; a part that was not measured is `None`, and
/// the rules that need it stay silent.
#[derive(Default)]
pub struct Facts {
    pub config: Option<ConfigFacts>,
    pub spec: Option<SpecFacts>,
    pub tags: Option<TagFacts>,
    pub history: Option<HistoryFacts>,
    pub nvrs: Option<NvrFacts>,
}

/// The packit configuration as packit loads it.
pub struct ConfigFacts {
    /// The configuration's path, as findings name it.
    pub artifact: String,
    pub parsed: Parsed,
    /// The dist-git branches propose_downstream / pull_from_upstream jobs update, expanded.
    pub affected: Vec<String>,
}

/// What the configuration's text is.
pub enum Parsed {
    /// A mapping of packit keys, merge keys applied.
    Doc(Node),
    /// Valid YAML whose top level is not a mapping (or empty).
    NotAMapping,
    /// Not valid YAML.
    Invalid(yaml::Error),
}

impl ConfigFacts {
    /// Loads the text of a configuration named `artifact`.
    pub fn measure(text: &str, artifact: &str) -> ConfigFacts {
        let parsed = match crate::packit::load(text) {
            Ok(Some(doc)) if matches!(doc.value, Value::Map(_)) => Parsed::Doc(doc),
            Ok(_) => Parsed::NotAMapping,
            Err(e) => Parsed::Invalid(e),
        };
        let mut c = ConfigFacts { artifact: artifact.to_string(), parsed, affected: Vec::new() };
        c.affected = affected_branches(c.jobs());
        c
    }

    /// The configuration's top-level mapping, when it is one.
    pub fn doc(&self) -> Option<&Node> {
        match &self.parsed {
            Parsed::Doc(d) => Some(d),
            _ => None,
        }
    }

    /// Where `node` is written.
    pub fn at(&self, node: &Node) -> Subject {
        Subject::position(&self.artifact, node.line, Some(node.column))
    }

    /// The jobs, in order.
    pub fn jobs(&self) -> &[Node] {
        self.doc().and_then(|d| d.get("jobs")).map(Node::items).unwrap_or_default()
    }

    /// The top level and each per-package configuration (monorepos), with the package's name
    /// (empty for the top level): each carries its own keys and files_to_sync.
    pub fn scopes(&self) -> Vec<(&Node, &str)> {
        let Some(doc) = self.doc() else { return Vec::new() };
        let mut scopes = vec![(doc, "")];
        for (name, cfg) in doc.get("packages").map(Node::entries).unwrap_or_default() {
            scopes.push((cfg, name.str().unwrap_or_default()));
        }
        scopes
    }

    /// Every mapping whose keys packit reads: the scopes, then the jobs; `true` for a job.
    pub fn key_maps(&self) -> Vec<(&Node, bool)> {
        let mut maps: Vec<(&Node, bool)> = self.scopes().into_iter().map(|(n, _)| (n, false)).collect();
        maps.extend(self.jobs().iter().map(|j| (j, true)));
        maps
    }

    /// [`Self::key_maps`] and, inside them, the mappings under a deprecated key that packit
    /// still reads (a job's `metadata`), whose keys are checked as a scope's.
    pub fn value_maps(&self) -> Vec<(&Node, bool)> {
        let mut out = Vec::new();
        for (map, in_job) in self.key_maps() {
            nested_values(map, in_job, &mut out);
        }
        out
    }
}

/// `map` and the `metadata` mappings inside it, as packit reads them.
fn nested_values<'a>(map: &'a Node, in_job: bool, out: &mut Vec<(&'a Node, bool)>) {
    out.push((map, in_job));
    for (k, v) in map.entries() {
        if k.str() == Some("metadata") && deprecated(k.str().unwrap_or_default(), in_job).is_some() {
            nested_values(v, false, out);
        }
    }
}

/// The deprecation of `key`, when it applies where it is written (some only in a job).
pub fn deprecated(key: &str, in_job: bool) -> Option<&'static crate::schema::Deprecated> {
    crate::schema::schema().deprecated.get(key).filter(|d| d.scope.as_deref() != Some("job") || in_job)
}

/// Strings as packit reads a branch or target setting: one, a list, or the keys of a mapping
/// (newer configs map branches to options: {rawhide: {fast_forward_merge_into: [...]}}).
pub fn strings(node: Option<&Node>) -> Vec<&Node> {
    let Some(node) = node else { return Vec::new() };
    match &node.value {
        Value::Scalar { .. } => string(node).map(|_| vec![node]).unwrap_or_default(),
        Value::Seq(items) => items.iter().filter(|i| string(i).is_some()).collect(),
        Value::Map(entries) => entries.iter().map(|(k, _)| k).filter(|k| string(k).is_some()).collect(),
    }
}

/// The dist-git branches propose_downstream / pull_from_upstream jobs update, expanded.
fn affected_branches(jobs: &[Node]) -> Vec<String> {
    let mut affected = std::collections::BTreeSet::new();
    for j in jobs {
        let kind = j.get("job").and_then(string).unwrap_or_default();
        if !matches!(kind, "propose_downstream" | "pull_from_upstream") {
            continue;
        }
        let branches = strings(j.get("dist_git_branches"));
        if branches.is_empty() {
            affected.extend(targets::expand("rawhide").unwrap_or_default());
        }
        for node in branches {
            affected.extend(targets::expand(node.str().unwrap_or_default()).unwrap_or_default());
        }
    }
    affected.into_iter().collect()
}

/// Adds `found` to `out`, once each: settings merged from one anchor into several jobs are
/// written once, so they are reported once.
pub fn push_unique(found: Vec<Finding>, out: &mut Vec<Finding>) {
    let mut seen = std::collections::BTreeSet::new();
    out.extend(found.into_iter().filter(|f| seen.insert((f.rule.id, f.subject.clone(), f.message.clone()))));
}

/// The spec file as parsed, and the release it is checked against.
pub struct SpecFacts {
    /// The spec's path, as findings name it.
    pub artifact: String,
    pub text: String,
    pub spec: Spec,
    /// `Version` and `Release`, expanded; `None` when missing or not expandable.
    pub version: Option<String>,
    pub release: Option<String>,
    /// `Version` or `Release` (in that order) whose macros cannot be expanded.
    pub unexpanded: Vec<Unexpanded>,
    /// The release tag (the latest git tag, or `--tag`).
    pub tag: Option<String>,
    /// `upstream_tag_template`, `{version}` when not set.
    pub template: String,
    /// (year, month, day) the check runs on.
    pub today: (i32, u32, u32),
    /// packit keeps dist-git's `%changelog` and adds its own entry (`sync_changelog` not set):
    /// the upstream spec's entries never reach a build, so their version-release is not checked.
    pub changelog_kept_downstream: bool,
}

/// A preamble value that cannot be expanded.
pub struct Unexpanded {
    /// The tag, lowercase (`version`).
    pub tag: &'static str,
    /// As written.
    pub raw: String,
    /// Why it cannot be expanded.
    pub error: ExpandError,
    pub line: Option<usize>,
}

impl SpecFacts {
    /// Parses and expands the spec `text` named `artifact`.
    pub fn measure(text: &str, artifact: &str, tag: Option<&str>, template: &str, today: (i32, u32, u32)) -> Self {
        let spec = parse(text);
        let mut unexpanded = Vec::new();
        let mut value = |tag: &'static str| -> Option<String> {
            let raw = spec.tag(tag)?;
            spec.expand(raw)
                .map_err(|error| unexpanded.push(Unexpanded { tag, raw: raw.into(), error, line: spec.tag_line(tag) }))
                .ok()
        };
        let (version, release) = (value("version"), value("release"));
        SpecFacts {
            artifact: artifact.to_string(),
            text: text.to_string(),
            spec,
            version,
            release,
            unexpanded,
            tag: tag.map(String::from),
            template: template.to_string(),
            today,
            changelog_kept_downstream: false,
        }
    }

    /// `Version` is a placeholder that packit replaces with the release's version (`0`,
    /// `0.0`, `0.0.0`): upstream specs that packit alone builds write it so (crun, podman).
    pub fn version_placeholder(&self) -> bool {
        self.version.as_deref().is_some_and(is_placeholder)
    }

    /// `line` of the spec, or the whole spec when it is not known.
    pub fn at(&self, line: Option<usize>) -> Subject {
        match line {
            Some(l) => Subject::position(&self.artifact, l as u32, None),
            None => Subject::whole(&self.artifact),
        }
    }
}

/// The repository's tags against the configuration's tag settings.
pub struct TagFacts {
    /// Newest first.
    pub tags: Vec<String>,
    pub template: String,
    pub include: Option<String>,
    pub exclude: Option<String>,
    /// Where `upstream_tag_template` is written (the whole configuration when it is not).
    pub at: Subject,
}

/// The spec's text in the working tree and in the commits that touched it.
pub struct HistoryFacts {
    pub artifact: String,
    pub current: String,
    /// (commit, text), newest first, back to the first commit with another Version.
    pub commits: Vec<(String, String)>,
}

/// The build the spec makes against what each downstream branch has (`--existing`).
pub struct NvrFacts {
    pub artifact: String,
    pub name: String,
    pub new: Evr,
    /// (branch, name, EVR).
    pub existing: Vec<(String, String, Evr)>,
}

/// A `Version` of zeros only (`0`, `0.0`, `0.0.0`).
pub fn is_placeholder(version: &str) -> bool {
    !version.is_empty() && version.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c == '0'))
}
