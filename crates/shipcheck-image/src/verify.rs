//! Verification: reads a source once (see [`crate::tree`]), then walks index.json and/or
//! manifest.json over what was read, and reports every defect as a finding.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::de::DeserializeOwned;
use shipcheck_report::{Finding, Rule, Severity, Subject};

use crate::digest::Digest;
use crate::elf::ElfMachine;
use crate::limits::{self, ReadLimits};
use crate::model::{self, Config, Descriptor, DockerEntry, Index, Manifest, OciLayout, Probe};
use crate::platform::Platform;
use crate::rules::*;
use crate::scan::{BlobFacts, Compression, GO_INVALID_HEADER};
use crate::source::{detect, Container, Selector, SourceSpec, Transport};
use crate::tree::{Entry, EntryKind, Tree, TreeProblem, Unresolved};

/// Evidence key of a manifest.json path that leaves the archive (read by engine predictions).
pub const MANIFEST_JSON_PATH: &str = "manifest_json_path";

/// What the caller wants checked.
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// Structure only: do not read layer content (no digests, diff_ids or layer walks).
    pub fast: bool,
    /// Platforms the image must provide; empty means no coverage check.
    pub platforms: Vec<Platform>,
    /// Counts source bytes read, for a progress display. Verification never prints.
    pub progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    /// Reading limits a user may raise for a genuine archive (members, unpacked size).
    pub limits: ReadLimits,
}

/// Where an image was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    IndexJson,
    ManifestJson,
}

/// One image (one manifest) found in the source: the model later checks build on.
#[derive(Clone, Debug)]
pub struct ImageInfo {
    pub origin: Origin,
    /// RepoTags, `io.containerd.image.name`, `org.opencontainers.image.ref.name`, as written.
    pub names: Vec<String>,
    pub manifest_digest: Option<Digest>,
    pub manifest_media_type: Option<String>,
    /// The top-level descriptor in index.json (index or manifest) this image was reached from.
    pub top_digest: Option<Digest>,
    pub config_digest: Option<Digest>,
    pub platform: Option<Platform>,
    pub layers: Vec<LayerInfo>,
    pub attestation: bool,
    /// RepoTags of its manifest.json entry.
    pub repo_tags: Vec<String>,
    /// The member holding its config (links resolved).
    pub config_path: Option<String>,
    /// For an attestation manifest: the manifest it attests (`vnd.docker.reference.digest`).
    pub attests: Option<String>,
    /// `io.containerd.image.name` and `org.opencontainers.image.ref.name` of the index.json
    /// descriptor it was reached from.
    pub containerd_name: Option<String>,
    pub ref_name: Option<String>,
}

#[derive(Clone, Debug)]
pub struct LayerInfo {
    pub digest: Option<Digest>,
    pub media_type: Option<String>,
    pub compression: Option<Compression>,
    pub size: u64,
    /// The member holding it (links resolved), when present.
    pub path: Option<String>,
    /// The digest of its uncompressed content, when it was read.
    pub diff_id: Option<Digest>,
}

/// How the source is laid out, for predicting what engines make of it.
#[derive(Debug, Clone)]
pub struct Shape {
    pub container: Container,
    pub index_json: bool,
    pub manifest_json: bool,
    /// The first top-level directory of the archive in name order (`blobs` in an OCI layout).
    pub first_dir: Option<String>,
}

/// The result of verifying one source.
#[derive(Debug)]
pub struct Verified {
    /// What the source is, e.g. `docker-archive`, `oci-archive+docker (hybrid)`.
    pub kind: String,
    pub shape: Shape,
    pub images: Vec<ImageInfo>,
    pub facts: Vec<(String, String)>,
    pub findings: Vec<Finding>,
    /// What was read: every member, with what its scan learned (for pushing it on).
    pub tree: Tree,
}

/// Verifies one source. `Err` is an input that cannot be checked at all (exit status 2), with a
/// message that names the path and says what was expected.
pub fn verify(spec: &SourceSpec, opts: &VerifyOptions) -> Result<Verified, String> {
    let limits = &opts.limits;
    let container = detect(&spec.path)?;
    let shown = spec.path.display();
    match (spec.transport, container) {
        (Transport::Oci, Container::Tar(_)) => {
            return Err(format!("{shown} is a file, but oci: names a layout directory: use oci-archive:{shown}"))
        }
        (Transport::OciArchive | Transport::DockerArchive, Container::Directory) => {
            return Err(format!(
                "{shown} is a directory, but {}: names an archive file: use oci:{shown}",
                spec.transport.name()
            ))
        }
        _ => {}
    }
    let tree = Tree::read(&spec.path, container, opts.fast, opts.progress.clone(), limits)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    verify_tree(tree, spec, opts)
}

/// Verifies a tree that was read already: from a local source by [`verify`], or assembled from
/// a registry's responses. `spec` gives the name shown in findings, the transport and the
/// selector.
pub fn verify_tree(tree: Tree, spec: &SourceSpec, opts: &VerifyOptions) -> Result<Verified, String> {
    let container = tree.container;
    let shown = if spec.path.as_os_str().is_empty() { spec.display.clone() } else { spec.path.display().to_string() };
    if tree.problems.contains(&TreeProblem::TooManyEntries) {
        return Err(format!(
            "{shown} has more than {} members: expected an image archive (refusing to index it; \
             raise the member limit if it is genuine)",
            tree.max_members
        ));
    }
    let has = |p: &str| tree.entries.contains_key(p);
    let (has_index, has_manifest, has_layout) = (has("index.json"), has("manifest.json"), has("oci-layout"));
    if !has_index && !has_manifest {
        let truncated = tree.problems.iter().find_map(|p| match p {
            TreeProblem::Truncated { detail, .. } => Some(detail.clone()),
            _ => None,
        });
        let what = if let Some(detail) = truncated {
            format!("it is truncated before index.json or manifest.json ({detail})")
        } else if tree.entries.is_empty() {
            "it is empty".to_string()
        } else if has("repositories") {
            "it is a pre-Docker-1.10 save (repositories and v1 layer directories, no manifest.json), which only Docker's legacy loader reads".to_string()
        } else {
            format!("it has {} members, none of them index.json or manifest.json", tree.entries.len())
        };
        return Err(format!(
            "{shown} is not an image: expected an OCI layout (oci-layout, index.json, blobs/) or a docker save archive (manifest.json); {what}"
        ));
    }
    match spec.transport {
        Transport::Oci | Transport::OciArchive if !has_index => {
            return Err(format!("{shown} has no index.json, so it is not an OCI layout: try docker-archive:{shown}"))
        }
        Transport::DockerArchive if !has_manifest => {
            return Err(format!(
                "{shown} has no manifest.json, so docker-archive cannot read it: try oci-archive:{shown}"
            ))
        }
        _ => {}
    }
    let use_index = has_index && spec.transport != Transport::DockerArchive;
    let use_manifest = has_manifest && !matches!(spec.transport, Transport::Oci | Transport::OciArchive);

    let mut c = Checker {
        tree: &tree,
        artifact: spec.display.clone(),
        opts,
        findings: Vec::new(),
        referenced: HashSet::new(),
        reported_blobs: HashSet::new(),
        visited: HashSet::new(),
        checked: HashSet::new(),
        renamed: HashMap::new(),
        top_names: (None, None),
        images: Vec::new(),
        dir_layout: false,
    };
    c.archive_problems();
    if use_index {
        c.oci_layout(has_layout);
        c.index_json(&spec.selector)?;
    }
    if use_manifest {
        c.manifest_json(&spec.selector)?;
        c.repositories();
    }
    if use_index && use_manifest {
        c.hybrid();
    }
    if spec.selector == Selector::All && use_index == has_index && use_manifest == has_manifest {
        c.leftovers();
    }
    c.duplicate_blobs();
    c.attestations();
    c.coverage();
    c.arch_truth();

    let kind = if c.dir_layout {
        "containers-image dir layout".to_string()
    } else {
        kind_name(container, use_index, use_manifest, has_index && has_manifest)
    };
    let files: Vec<&BlobFacts> = tree.entries.values().filter_map(|e| e.facts.as_ref()).collect();
    let verified = files.iter().filter(|f| f.digest.is_some()).count();
    let bytes: u64 = files.iter().map(|f| f.size).sum();
    let platforms: BTreeSet<String> =
        c.images.iter().filter(|i| !i.attestation).filter_map(|i| i.platform.as_ref()).map(|p| p.to_string()).collect();
    let mut facts = vec![
        ("images".to_string(), c.images.iter().filter(|i| !i.attestation).count().to_string()),
        (
            "platforms".to_string(),
            if platforms.is_empty() { "-".into() } else { platforms.into_iter().collect::<Vec<_>>().join(",") },
        ),
        ("blobs_verified".to_string(), verified.to_string()),
        ("bytes_read".to_string(), bytes.to_string()),
    ];
    if opts.fast {
        facts.push(("mode".into(), "fast (layer content not read)".into()));
    }
    let first_dir = tree.entries.keys().filter_map(|k| k.split_once('/').map(|(d, _)| d.to_string())).min();
    let shape = Shape { container, index_json: has_index, manifest_json: has_manifest, first_dir };
    let (images, findings) = (c.images, dedupe(c.findings));
    Ok(Verified { kind, shape, images, facts, findings, tree })
}

/// Drops findings identical to an earlier one (same rule, subject, message and evidence): a
/// document listing one defective descriptor many times gets one finding for it.
fn dedupe(mut findings: Vec<Finding>) -> Vec<Finding> {
    use std::hash::{Hash, Hasher};
    let mut seen = HashSet::new();
    findings.retain(|f| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (f.rule.id, &f.subject, &f.message, &f.evidence).hash(&mut h);
        seen.insert(h.finish())
    });
    findings
}

fn kind_name(container: Container, index: bool, manifest: bool, both_present: bool) -> String {
    let base = match (container, index, manifest) {
        (Container::Registry, _, _) => "registry",
        (Container::Directory, true, false) => "oci-layout",
        (Container::Directory, _, _) => "docker-save-directory",
        (_, true, false) => "oci-archive",
        (_, false, true) => "docker-archive",
        _ => "docker-archive+oci-layout",
    };
    let mut s = base.to_string();
    if both_present {
        s.push_str(" (hybrid)");
    }
    if let Container::Tar(c) = container {
        if c != Compression::None {
            s.push_str(&format!(", {}-compressed", c.name()));
        }
    }
    s
}

struct Checker<'a> {
    tree: &'a Tree,
    artifact: String,
    opts: &'a VerifyOptions,
    findings: Vec<Finding>,
    /// Archive paths that something refers to (link paths and their targets).
    referenced: HashSet<String>,
    /// Blobs whose content findings were already reported (shared layers are checked once).
    reported_blobs: HashSet<String>,
    /// Index and manifest digests already walked (guards against loops in nested indexes, and
    /// against an index listing the same nested index or manifest many times).
    visited: HashSet<Digest>,
    /// Descriptors (digest, declared size, media type) already checked against their blob.
    checked: HashSet<(String, Option<i64>, Option<String>)>,
    /// How often each manifest listed again at the top of index.json was described again.
    renamed: HashMap<Digest, usize>,
    /// The containerd and ref names of the index.json descriptor being walked.
    top_names: (Option<String>, Option<String>),
    images: Vec<ImageInfo>,
    /// containers/image `dir:` layout: blobs are stored as `<hex>` at the top level.
    dir_layout: bool,
}

impl<'a> Checker<'a> {
    fn blob_path(&self, d: &Digest) -> String {
        if self.dir_layout {
            d.hex.clone()
        } else {
            d.blob_path()
        }
    }

    fn add(&mut self, finding: Finding) -> &mut Finding {
        self.findings.push(finding);
        self.findings.last_mut().expect("just pushed")
    }

    fn entry_subject(&self, path: &str) -> Subject {
        Subject::entry(&self.artifact, path)
    }

    fn digest_subject(&self, d: &Digest) -> Subject {
        Subject::descriptor(&self.artifact, d.to_string())
    }

    fn archive_problems(&mut self) {
        for p in &self.tree.problems {
            let (rule, path, msg): (&'static Rule, &str, String) = match p {
                TreeProblem::Truncated { path, detail } => {
                    (&TRUNCATED_ARCHIVE, path, format!("archive is truncated or corrupt: {detail}"))
                }
                TreeProblem::UnsafeName { path, why } => (&ARCHIVE_UNSAFE_ENTRY, path, format!("member name {why}")),
                TreeProblem::Unreadable { path, detail } => {
                    (&TRUNCATED_ARCHIVE, path, format!("member cannot be read: {detail}"))
                }
                TreeProblem::BadHeader { path, detail } => {
                    (&TRUNCATED_ARCHIVE, path, format!("tar header that engines refuse: {detail}"))
                }
                TreeProblem::TooManyEntries => continue,
            };
            let s = self.entry_subject(path);
            let remedy = if rule.id == TRUNCATED_ARCHIVE.id {
                "Copy or download the archive again and compare its checksum with the source."
            } else {
                "Re-create the archive with docker save or skopeo copy."
            };
            let f = self.add(Finding::new(rule, s, msg).remedy(remedy));
            if let TreeProblem::BadHeader { .. } = p {
                f.evidence.push((crate::engine::ENGINE_ERROR.into(), GO_INVALID_HEADER.into()));
                f.remedy = "Re-create the archive with a tar writer that writes valid PAX records (docker save, skopeo copy, GNU tar).".into();
            }
        }
        for dup in &self.tree.duplicates {
            let s = self.entry_subject(dup);
            self.add(
                Finding::new(
                    &DUPLICATE_ENTRY,
                    s,
                    "member occurs more than once; the last one is used, as extraction would",
                )
                .remedy("Re-create the archive instead of appending to it."),
            );
        }
        for e in self.tree.entries.values() {
            if matches!(e.kind, EntryKind::Symlink(_) | EntryKind::Hardlink(_)) {
                let why = match self.tree.resolve(&e.path) {
                    Err(Unresolved::Escapes(why)) => why,
                    Err(Unresolved::Loop) => "is part of a link loop".to_string(),
                    _ => continue,
                };
                let s = self.entry_subject(&e.path);
                let target = match &e.kind {
                    EntryKind::Symlink(t) | EntryKind::Hardlink(t) => t.clone(),
                    _ => String::new(),
                };
                self.add(
                    Finding::new(&ARCHIVE_UNSAFE_ENTRY, s, format!("link {why}"))
                        .evidence("target", target)
                        .remedy("Re-create the archive with docker save or skopeo copy."),
                );
            }
        }
    }

    /// Resolves a member, marking it referenced; reports why it cannot be used.
    fn member(&mut self, path: &str, what: &str, subject: Subject) -> Option<&'a Entry> {
        self.referenced.insert(path.to_string());
        match self.tree.resolve(path) {
            Ok(e) => {
                self.referenced.insert(e.path.clone());
                Some(e)
            }
            Err(Unresolved::Missing) => {
                self.add(
                    Finding::new(&BLOB_MISSING, subject, format!("{what} `{path}` is not in the archive"))
                        .remedy("Re-export the image from a store that has every blob."),
                );
                None
            }
            Err(Unresolved::NotAFile) => {
                self.add(Finding::new(&BLOB_MISSING, subject, format!("{what} `{path}` is not a regular file")));
                None
            }
            Err(Unresolved::Escapes(why)) if crate::tree::clean(path).is_err() => {
                // The name itself (not a link in the archive) points outside it: an engine that
                // joins it to its unpack directory reads the host's file, or finds nothing.
                self.add(
                    Finding::new(
                        &ARCHIVE_UNSAFE_ENTRY,
                        subject,
                        format!("manifest.json names {what} `{path}`, which {why}: it is not a member of the archive"),
                    )
                    .evidence(MANIFEST_JSON_PATH, path)
                    .remedy("Re-create the archive with docker save or skopeo copy; never load an archive whose manifest.json names paths outside it."),
                );
                None
            }
            // Reported once for the link itself by archive_problems.
            Err(Unresolved::Escapes(_) | Unresolved::Loop) => None,
        }
    }

    /// Finds the blob a descriptor names and checks its size and digest.
    fn blob(&mut self, d: &Descriptor, what: &str) -> Option<(Digest, &'a Entry)> {
        let raw = d.digest.clone().unwrap_or_default();
        let digest = match Digest::parse(&raw) {
            Ok(dg) => dg,
            Err(e) => {
                let s = Subject::whole(&self.artifact);
                self.add(Finding::new(&INVALID_JSON, s, format!("{what} descriptor has an invalid digest: {e}")));
                return None;
            }
        };
        let subject = self.digest_subject(&digest);
        let path = self.blob_path(&digest);
        let entry = self.member(&path, what, subject)?;
        self.check_size_and_digest(&digest, d.size, entry, what);
        Some((digest, entry))
    }

    fn check_size_and_digest(&mut self, digest: &Digest, declared: Option<i64>, entry: &Entry, what: &str) {
        let subject = self.digest_subject(digest);
        if let Some(size) = declared {
            if size < 0 || size as u64 != entry.size {
                self.add(
                    Finding::new(
                        &BLOB_SIZE_MISMATCH,
                        subject.clone(),
                        format!("{what} has {} bytes, its descriptor declares {size}", entry.size),
                    )
                    .evidence("path", &entry.path)
                    .remedy("Re-export or re-download the image; never edit descriptor sizes by hand."),
                );
            }
        }
        if let Some(actual) = entry.facts.as_ref().and_then(|f| f.digest.as_ref()) {
            if actual != digest && self.reported_blobs.insert(format!("digest:{}", entry.path)) {
                self.add(
                    Finding::new(&BLOB_DIGEST_MISMATCH, subject, format!("{what} content does not match its digest"))
                        .evidence("path", &entry.path)
                        .evidence("expected", digest)
                        .evidence("actual", actual)
                        .remedy("Rebuild or re-export the image; the bytes changed after the digest was computed."),
                );
            }
        }
    }

    /// Parses a kept JSON document, reporting why it cannot be.
    fn json<T: DeserializeOwned>(&mut self, entry: &Entry, what: &str, subject: Subject) -> Option<T> {
        let facts = entry.facts.as_ref()?;
        if facts.json_over_budget {
            self.add(Finding::new(
                &INVALID_JSON,
                subject,
                format!(
                    "{what} `{}` was not kept: the source's JSON documents pass {} bytes together",
                    entry.path,
                    limits::MAX_JSON_TOTAL_BYTES
                ),
            ));
            return None;
        }
        if facts.json_too_large {
            self.add(Finding::new(
                &INVALID_JSON,
                subject,
                format!("{what} is {} bytes, over the {} byte JSON cap", entry.size, limits::MAX_JSON_BYTES),
            ));
            return None;
        }
        let Some(bytes) = &facts.json else {
            if facts.read_error.is_none() {
                self.add(Finding::new(&INVALID_JSON, subject, format!("{what} `{}` is not JSON", entry.path)));
            }
            return None;
        };
        match serde_json::from_slice::<T>(bytes) {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(
                    Finding::new(&INVALID_JSON, subject, format!("{what} `{}` is not valid: {e}", entry.path))
                        .remedy("Re-export the image; validate writers against the OCI image-spec schemas."),
                );
                None
            }
        }
    }

    fn oci_layout(&mut self, present: bool) {
        self.referenced.insert("oci-layout".into());
        let s = self.entry_subject("oci-layout");
        let remedy = "Add an oci-layout file containing {\"imageLayoutVersion\": \"1.0.0\"}, or re-export with skopeo.";
        if !present {
            self.add(
                Finding::new(&MISSING_OCI_LAYOUT, s, "index.json is present but oci-layout is not").remedy(remedy),
            );
            return;
        }
        let Ok(entry) = self.tree.resolve("oci-layout") else { return };
        match self.json::<OciLayout>(entry, "oci-layout", s.clone()) {
            Some(OciLayout { image_layout_version: Some(v) }) if v.starts_with("1.") => {}
            Some(l) => {
                self.add(
                    Finding::new(
                        &MISSING_OCI_LAYOUT,
                        s,
                        format!("oci-layout has imageLayoutVersion {:?}, expected \"1.0.0\"", l.image_layout_version),
                    )
                    .remedy(remedy),
                );
            }
            None => {}
        }
    }

    fn index_json(&mut self, selector: &Selector) -> Result<(), String> {
        self.referenced.insert("index.json".into());
        let s = self.entry_subject("index.json");
        let Ok(entry) = self.tree.resolve("index.json") else { return Ok(()) };
        let Some(index) = self.json::<Index>(entry, "index.json", s.clone()) else { return Ok(()) };
        let Some(mut manifests) = index.manifests else {
            self.add(
                Finding::new(&NULL_MANIFEST, s, "index.json has no manifests (`manifests` is null or absent)")
                    .remedy("Re-save with Docker ≥ 25.0.4, or re-export with skopeo copy."),
            );
            return Ok(());
        };
        if let Selector::Reference(want) = selector {
            let names: Vec<Vec<String>> = manifests.iter().map(descriptor_names).collect();
            let keep: Vec<bool> = names.iter().map(|n| n.iter().any(|x| name_matches(x, want))).collect();
            if !keep.contains(&true) {
                let all: Vec<String> = names.into_iter().flatten().collect();
                return Err(format!("no image named `{want}` in index.json; it has: {}", list_or_none(&all)));
            }
            let mut it = keep.into_iter();
            manifests.retain(|_| it.next().unwrap_or(false));
        } else if let Selector::Index(_) = selector {
            return Err("@N selects an image of manifest.json; use a reference with OCI sources".into());
        }
        for d in &manifests {
            let names = descriptor_names(d);
            self.top_names = (
                d.annotation(model::ANN_CONTAINERD_NAME).map(String::from),
                d.annotation(model::ANN_REF_NAME).map(String::from),
            );
            self.descriptor(d, names, None, 0);
        }
        Ok(())
    }

    /// Walks one descriptor of an index: a nested index or an image manifest.
    fn descriptor(&mut self, d: &Descriptor, names: Vec<String>, top: Option<Digest>, depth: usize) {
        let what = match d.media_type.as_deref() {
            Some(mt) if model::is_index_type(mt) => "index",
            _ => "manifest",
        };
        let key = (d.digest.clone().unwrap_or_default(), d.size, d.media_type.clone());
        let fresh = self.checked.insert(key);
        if let Some(seen) =
            Digest::parse(d.digest.as_deref().unwrap_or_default()).ok().filter(|g| self.visited.contains(g))
        {
            // Walked already: each distinct descriptor is checked once, nothing is walked twice.
            if fresh {
                self.blob(d, what);
            }
            if depth == 0 {
                self.describe_again(&seen, names);
            }
            return;
        }
        if !fresh {
            return;
        }
        let Some((digest, entry)) = self.blob(d, what) else { return };
        self.visited.insert(digest.clone());
        let top = top.or_else(|| Some(digest.clone()));
        let subject = self.digest_subject(&digest);
        let Some(value) = self.json::<serde_json::Value>(entry, what, subject.clone()) else { return };
        let probe: Probe = serde_json::from_value(value.clone()).unwrap_or_default();
        let is_index = match (d.media_type.as_deref(), probe.media_type.as_deref()) {
            (Some(mt), _) if model::is_index_type(mt) => true,
            (Some(mt), _) if model::is_manifest_type(mt) => false,
            (_, Some(mt)) if model::is_index_type(mt) => true,
            (_, Some(mt)) if model::is_manifest_type(mt) => false,
            _ => probe.manifests.is_some() && probe.layers.is_none(),
        };
        if let (Some(outer), Some(inner)) = (d.media_type.as_deref(), probe.media_type.as_deref()) {
            if outer != inner {
                self.add(
                    Finding::new(
                        &MEDIA_TYPE_MISMATCH,
                        subject.clone(),
                        format!("descriptor says {outer}, the blob says {inner}"),
                    )
                    .remedy("Write the descriptor media type that the blob declares."),
                );
            }
        }
        if is_index {
            if depth >= limits::MAX_INDEX_DEPTH {
                self.add(Finding::new(
                    &INVALID_JSON,
                    subject,
                    format!("index nesting deeper than {}; not followed", limits::MAX_INDEX_DEPTH),
                ));
                return;
            }
            let Ok(index) = serde_json::from_value::<Index>(value) else {
                self.add(Finding::new(&INVALID_JSON, subject, "index has fields of the wrong type"));
                return;
            };
            match index.manifests {
                None => {
                    self.add(Finding::new(
                        &NULL_MANIFEST,
                        subject,
                        "nested index has no manifests (`manifests` is null or absent)",
                    ));
                }
                Some(children) => {
                    // A platform manifest absent from a partial export (containerd `ctr export
                    // --platform`, Docker's containerd store) is normal there: one note for the
                    // index, not an error per platform. If none is present, it is an error.
                    let absent = |c: &Descriptor| {
                        c.platform.is_some()
                            && Digest::parse(c.digest.as_deref().unwrap_or_default()).is_ok_and(|dg| {
                                matches!(self.tree.resolve(&self.blob_path(&dg)), Err(Unresolved::Missing))
                            })
                    };
                    let (missing, present): (Vec<&Descriptor>, Vec<&Descriptor>) =
                        children.iter().partition(|c| absent(c));
                    if !missing.is_empty() && !present.is_empty() {
                        let platforms: BTreeSet<String> = missing
                            .iter()
                            .filter_map(|c| platform_of(c))
                            .filter(|p| !p.is_unknown())
                            .map(|p| p.to_string())
                            .collect();
                        let platforms: Vec<String> = platforms.into_iter().collect();
                        let message = format!(
                            "{} of {} manifests in this index are not in the archive (a partial, single-platform export)",
                            missing.len(),
                            children.len()
                        );
                        self.add(
                            Finding::new(&BLOB_MISSING, subject, message)
                                .severity(Severity::Note)
                                .evidence("absent_platforms", platforms.join(", "))
                                .remedy("Nothing, if only the included platforms are meant to ship; otherwise export all platforms (--all-platforms)."),
                        );
                    }
                    let walk: Vec<&Descriptor> = if present.is_empty() { missing } else { present };
                    for child in walk {
                        self.descriptor(child, names.clone(), top.clone(), depth + 1);
                    }
                }
            }
            return;
        }
        match serde_json::from_value::<Manifest>(value) {
            Ok(m) => self.image_manifest(d, &digest, m, names, top),
            Err(e) => {
                self.add(Finding::new(&INVALID_JSON, subject, format!("manifest is not valid: {e}")));
            }
        }
    }

    /// A manifest listed again at the top of index.json under other names: the same image, under
    /// those names (engines tag it with each), without walking it again. A nested index listed
    /// again adds nothing: its manifests were walked under the names it was first reached by.
    fn describe_again(&mut self, digest: &Digest, names: Vec<String>) {
        let count = self.renamed.entry(digest.clone()).or_insert(0);
        if *count >= limits::MAX_NAMES_PER_DIGEST {
            return;
        }
        *count += 1;
        let Some(first) = self.images.iter().find(|i| i.manifest_digest.as_ref() == Some(digest)) else { return };
        let mut again = first.clone();
        again.names = names;
        again.top_digest = Some(digest.clone());
        again.containerd_name = self.top_names.0.clone();
        again.ref_name = self.top_names.1.clone();
        self.images.push(again);
    }

    fn image_manifest(
        &mut self,
        d: &Descriptor,
        digest: &Digest,
        m: Manifest,
        names: Vec<String>,
        top: Option<Digest>,
    ) {
        let subject = self.digest_subject(digest);
        let desc_platform = platform_of(d);
        let attestation = d.annotation(model::ANN_REFERENCE_TYPE) == Some("attestation-manifest")
            || desc_platform.as_ref().is_some_and(Platform::is_unknown);
        let config_desc = m.config.clone().unwrap_or_default();
        let config_mt = config_desc.media_type.clone().unwrap_or_default();
        let mut config: Option<Config> = None;
        let mut config_digest = None;
        let mut config_path = None;
        if m.config.is_none() {
            self.add(Finding::new(&INVALID_JSON, subject.clone(), "manifest has no config descriptor"));
        } else if let Some((cd, entry)) = self.blob(&config_desc, "config") {
            config_digest = Some(cd.clone());
            config_path = Some(entry.path.clone());
            if config_mt.is_empty() || model::is_image_config_type(&config_mt) {
                config = self.json::<Config>(entry, "config", self.digest_subject(&cd));
            }
        }
        let is_image = config_mt.is_empty() || model::is_image_config_type(&config_mt);
        let layers = m.layers.clone().unwrap_or_default();
        if layers.is_empty() && is_image && !attestation {
            self.add(
                Finding::new(&NO_LAYERS, subject.clone(), "image manifest has no layers")
                    .evidence("names", list_or_none(&names))
                    .remedy("Re-save with Docker ≥ 25.0.4, or check that the build added files."),
            );
        }
        let mut infos = Vec::new();
        let mut computed: Vec<Option<Digest>> = Vec::new();
        for l in &layers {
            if self.foreign_absent(l) {
                infos.push(LayerInfo {
                    digest: None,
                    media_type: l.media_type.clone(),
                    compression: None,
                    size: 0,
                    path: None,
                    diff_id: None,
                });
                computed.push(None);
                continue;
            }
            let found = self.blob(l, "layer");
            let facts = found.as_ref().and_then(|(_, e)| e.facts.as_ref());
            if let (Some((ld, e)), Some(f)) = (&found, facts) {
                self.layer_content(ld, e, f, l.media_type.as_deref());
            }
            computed.push(facts.and_then(diff_id_of));
            infos.push(LayerInfo {
                digest: found.as_ref().map(|(d, _)| d.clone()),
                media_type: l.media_type.clone(),
                compression: facts.map(|f| f.compression.unwrap_or(Compression::None)),
                size: found.as_ref().map_or(0, |(_, e)| e.size),
                path: found.as_ref().map(|(_, e)| e.path.clone()),
                diff_id: facts.and_then(diff_id_of),
            });
        }
        // diff_ids describe file-system layers. Artifacts that borrow the image config type
        // (some attestations) carry neither a rootfs nor layer media types: nothing to pair.
        let fs_layers =
            layers.iter().any(|l| l.media_type.as_deref().is_none_or(|mt| model::layer_type_compression(mt).is_some()));
        let pairs = config.as_ref().is_some_and(|c| c.rootfs.is_some()) || fs_layers;
        if let (true, true, Some(cfg)) = (is_image, pairs, &config) {
            let cfg_subject = config_digest.as_ref().map_or_else(|| subject.clone(), |c| self.digest_subject(c));
            self.diff_ids(cfg, &computed, cfg_subject);
        }
        let config_platform = config
            .as_ref()
            .and_then(|c| Some(Platform::new(c.os.as_deref()?, c.architecture.as_deref()?, c.variant.as_deref())));
        if let (Some(dp), Some(cp), false) = (&desc_platform, &config_platform, attestation) {
            if !platform_agrees(dp, cp) {
                self.add(
                    Finding::new(
                        &PLATFORM_MISMATCH,
                        subject.clone(),
                        format!("index says {dp}, the image config says {cp}"),
                    )
                    .evidence("index_platform", dp)
                    .evidence("config_platform", cp)
                    .remedy("Rebuild the multi-platform image so each platform's build runs for that platform."),
                );
            }
        }
        self.images.push(ImageInfo {
            origin: Origin::IndexJson,
            names,
            manifest_digest: Some(digest.clone()),
            manifest_media_type: d.media_type.clone().or(m.media_type.clone()),
            top_digest: top,
            config_digest,
            platform: desc_platform.or(config_platform),
            layers: infos,
            attestation,
            repo_tags: Vec::new(),
            config_path,
            attests: d.annotation(model::ANN_REFERENCE_DIGEST).map(String::from),
            containerd_name: self.top_names.0.clone(),
            ref_name: self.top_names.1.clone(),
        });
    }

    /// Compares computed diff_ids with the config's `rootfs.diff_ids`.
    fn diff_ids(&mut self, cfg: &Config, computed: &[Option<Digest>], subject: Subject) {
        let key = format!("diff_ids:{:?}:{:?}", subject.locator, computed);
        if !self.reported_blobs.insert(key) {
            return;
        }
        let declared = cfg.rootfs.as_ref().and_then(|r| r.diff_ids.clone()).unwrap_or_default();
        if declared.len() != computed.len() {
            let message = format!("{} layer(s), but the config has {} diff_id(s)", computed.len(), declared.len());
            self.add(
                Finding::new(&LAYER_COUNT_MISMATCH, subject.clone(), message)
                    .remedy("Re-export the image; a hand-edited manifest or config is the usual cause."),
            );
        }
        for (i, (want, got)) in declared.iter().zip(computed).enumerate() {
            let Some(got) = got else { continue };
            if &got.to_string() != want {
                self.add(
                    Finding::new(
                        &DIFF_ID_MISMATCH,
                        subject.clone(),
                        format!("layer {} decompresses to a different digest than diff_ids[{i}]", i + 1),
                    )
                    .evidence("diff_id", want)
                    .evidence("actual", got)
                    .remedy("Re-export the image with a tool that rewrites config and layers together, or rebuild it."),
                );
            }
        }
    }

    /// Findings about a layer's content, once per blob however many images share it.
    fn layer_content(&mut self, digest: &Digest, entry: &Entry, facts: &BlobFacts, media_type: Option<&str>) {
        if !self.reported_blobs.insert(format!("layer:{}", entry.path)) {
            return;
        }
        let s = self.digest_subject(digest);
        if let (Some(mt), Some(expected)) = (media_type, media_type.and_then(model::layer_type_compression)) {
            let actual = facts.compression.unwrap_or(Compression::None);
            if facts.digest.is_some() && actual != expected && (facts.layer.is_some() || actual != Compression::None) {
                self.add(
                    Finding::new(
                        &MEDIA_TYPE_MISMATCH,
                        s.clone(),
                        format!("media type promises {} compression, content is {}", expected.name(), actual.name()),
                    )
                    .evidence("media_type", mt)
                    .remedy("Use the media type that matches the layer's compression, or recompress the layer."),
                );
            }
        }
        let Some(layer) = &facts.layer else { return };
        if let Some(err) = &layer.error {
            let msg = if layer.bomb {
                format!("layer expands past the limit ({} bytes read); reading stopped", layer.uncompressed_size)
            } else {
                format!("layer cannot be read: {err}")
            };
            self.add(
                Finding::new(&LAYER_UNREADABLE, s.clone(), msg)
                    .evidence("path", &entry.path)
                    .evidence("compression", layer.compression.map_or("none", |c| c.name()))
                    .remedy("Rebuild or re-export the layer; check for truncated uploads or downloads."),
            );
        }
        if layer.escape_count > 0 {
            let f = self.add(Finding::new(
                &LAYER_PATH_ESCAPE,
                s.clone(),
                format!(
                    "{} entr{} leave the root",
                    layer.escape_count,
                    if layer.escape_count == 1 { "y would" } else { "ies would" }
                ),
            ));
            for (p, why) in &layer.escapes {
                f.evidence.push(("entry".into(), format!("{p} ({why})")));
            }
            f.remedy = "Rebuild the layer with a normal build tool.".into();
        }
        if layer.duplicate_count > 0 {
            let f = self.add(Finding::new(
                &LAYER_DUPLICATE_PATH,
                s,
                format!("{} path(s) occur more than once in this layer", layer.duplicate_count),
            ));
            for p in &layer.duplicates {
                f.evidence.push(("path".into(), p.clone()));
            }
            f.remedy = "Rebuild the layer.".into();
        }
    }

    fn manifest_json(&mut self, selector: &Selector) -> Result<(), String> {
        self.referenced.insert("manifest.json".into());
        let s = self.entry_subject("manifest.json");
        let Ok(entry) = self.tree.resolve("manifest.json") else { return Ok(()) };
        let Some(value) = self.json::<serde_json::Value>(entry, "manifest.json", s.clone()) else { return Ok(()) };
        let list = match value {
            serde_json::Value::Null => {
                self.add(
                    Finding::new(&NULL_MANIFEST, s, "manifest.json is null")
                        .remedy("Re-save the image with docker save or skopeo copy."),
                );
                return Ok(());
            }
            serde_json::Value::Array(list) => list,
            serde_json::Value::Object(ref o) if o.contains_key("schemaVersion") => {
                // containers/image `dir:` layout (skopeo copy … dir:): manifest.json is an image
                // manifest and blobs sit beside it, named by hex digest.
                self.dir_layout = true;
                self.referenced.insert("version".into());
                let digest = entry.facts.as_ref().and_then(|f| f.digest.clone());
                match (serde_json::from_value::<Manifest>(value), digest) {
                    (Ok(m), Some(digest)) => {
                        let d = Descriptor { media_type: m.media_type.clone(), ..Descriptor::default() };
                        self.image_manifest(&d, &digest, m, Vec::new(), None);
                    }
                    (Err(e), _) => {
                        self.add(Finding::new(
                            &INVALID_JSON,
                            s,
                            format!("manifest.json is not a valid image manifest: {e}"),
                        ));
                    }
                    (Ok(_), None) => {}
                }
                return Ok(());
            }
            _ => {
                self.add(Finding::new(&INVALID_JSON, s, "manifest.json is not a list of images"));
                return Ok(());
            }
        };
        let listed = list.len();
        let mut entries = Vec::new();
        for (i, v) in list.into_iter().enumerate() {
            match serde_json::from_value::<DockerEntry>(v) {
                Ok(e) => entries.push((i, e)),
                Err(e) => {
                    self.add(Finding::new(&INVALID_JSON, s.clone(), format!("manifest.json[{i}] is not valid: {e}")));
                }
            }
        }
        if listed == 0 {
            self.add(Finding::new(&NULL_MANIFEST, s, "manifest.json lists no images"));
        }
        if entries.is_empty() {
            return Ok(());
        }
        let total = entries.len();
        match selector {
            Selector::All => {}
            Selector::Index(n) => {
                entries.retain(|(i, _)| i == n);
                if entries.is_empty() {
                    return Err(format!(
                        "@{n} is out of range: manifest.json has {total} image(s), @0 to @{}",
                        total - 1
                    ));
                }
            }
            Selector::Reference(want) => {
                let all: Vec<String> =
                    entries.iter().flat_map(|(_, e)| e.repo_tags.clone().unwrap_or_default()).collect();
                entries.retain(|(_, e)| e.repo_tags.iter().flatten().any(|t| name_matches(t, want)));
                if entries.is_empty() {
                    return Err(format!("no image tagged `{want}` in manifest.json; it has: {}", list_or_none(&all)));
                }
            }
        }
        for (i, e) in entries {
            self.docker_image(i, e);
        }
        Ok(())
    }

    fn docker_image(&mut self, i: usize, e: DockerEntry) {
        let here = self.entry_subject("manifest.json");
        let names = e.repo_tags.clone().unwrap_or_default();
        let mut config = None;
        let mut config_digest = None;
        let mut config_path = None;
        match &e.config {
            None => {
                self.add(Finding::new(&INVALID_JSON, here.clone(), format!("manifest.json[{i}] has no Config")));
            }
            Some(path) => {
                let subject = self.entry_subject(path);
                if let Some(entry) = self.member(path, "config", subject.clone()) {
                    config_digest = entry.facts.as_ref().and_then(|f| f.digest.clone());
                    config_path = Some(entry.path.clone());
                    if let Some(named) = digest_in_name(path) {
                        self.check_size_and_digest(&named, None, entry, "config");
                    }
                    config = self.json::<Config>(entry, "config", subject);
                }
            }
        }
        let layers = e.layers.clone().unwrap_or_default();
        if layers.is_empty() {
            self.add(
                Finding::new(&NO_LAYERS, here.clone(), format!("manifest.json[{i}] has no layers"))
                    .evidence("names", list_or_none(&names))
                    .remedy("Re-save with Docker ≥ 25.0.4, or check that the build added files."),
            );
        }
        let mut computed = Vec::new();
        let mut infos = Vec::new();
        let declared =
            config.as_ref().and_then(|c| c.rootfs.as_ref()).and_then(|r| r.diff_ids.clone()).unwrap_or_default();
        for (i, path) in layers.iter().enumerate() {
            let foreign = declared
                .get(i)
                .and_then(|d| e.layer_sources.as_ref()?.get(d))
                .filter(|d| d.media_type.as_deref().is_some_and(model::is_foreign_layer_type));
            if let (Some(d), Err(Unresolved::Missing)) = (foreign, self.tree.resolve(path)) {
                let d = d.clone();
                self.foreign_absent(&d);
                computed.push(None);
                infos.push(LayerInfo {
                    digest: None,
                    media_type: d.media_type.clone(),
                    compression: None,
                    size: 0,
                    path: None,
                    diff_id: None,
                });
                continue;
            }
            let subject = self.entry_subject(path);
            let entry = self.member(path, "layer", subject);
            let facts = entry.and_then(|e| e.facts.as_ref());
            if let (Some(entry), Some(f)) = (entry, facts) {
                let named = digest_in_name(path);
                if let Some(named) = &named {
                    self.check_size_and_digest(named, None, entry, "layer");
                }
                let label = named.or_else(|| f.digest.clone());
                match label {
                    Some(d) => self.layer_content(&d, entry, f, None),
                    None => self.layer_content_by_path(entry, f),
                }
            }
            computed.push(facts.and_then(diff_id_of));
            infos.push(LayerInfo {
                digest: facts.and_then(|f| f.digest.clone()),
                media_type: None,
                compression: facts.map(|f| f.compression.unwrap_or(Compression::None)),
                size: entry.map_or(0, |e| e.size),
                path: entry.map(|e| e.path.clone()),
                diff_id: facts.and_then(diff_id_of),
            });
        }
        if let Some(cfg) = &config {
            let subject = e.config.as_deref().map_or(here, |p| self.entry_subject(p));
            self.diff_ids(cfg, &computed, subject);
        }
        let platform = config
            .as_ref()
            .and_then(|c| Some(Platform::new(c.os.as_deref()?, c.architecture.as_deref()?, c.variant.as_deref())));
        self.images.push(ImageInfo {
            origin: Origin::ManifestJson,
            repo_tags: names.clone(),
            config_path,
            attests: None,
            names,
            manifest_digest: None,
            manifest_media_type: None,
            top_digest: None,
            config_digest,
            platform,
            layers: infos,
            attestation: false,
            containerd_name: None,
            ref_name: None,
        });
    }

    /// A foreign layer whose content is absent: normal (engines download it from its `urls`),
    /// so a note. Returns whether the layer was such a one.
    fn foreign_absent(&mut self, d: &Descriptor) -> bool {
        let foreign = d.media_type.as_deref().is_some_and(model::is_foreign_layer_type);
        let Ok(digest) = Digest::parse(d.digest.as_deref().unwrap_or_default()) else { return false };
        if !foreign || !matches!(self.tree.resolve(&self.blob_path(&digest)), Err(Unresolved::Missing)) {
            return false;
        }
        let s = self.digest_subject(&digest);
        self.add(
            Finding::new(&BLOB_MISSING, s, "foreign layer is not in the archive (engines fetch it from its URLs)")
                .severity(Severity::Note)
                .evidence("media_type", d.media_type.clone().unwrap_or_default())
                .remedy("Nothing, if the hosts that load it can reach the layer's URLs; otherwise push with --allow-nondistributable-artifacts."),
        );
        true
    }

    /// Layer findings for `--fast` mode, where no digest labels the layer.
    fn layer_content_by_path(&mut self, entry: &Entry, facts: &BlobFacts) {
        if facts.layer.as_ref().is_some_and(|l| l.error.is_some() || l.escape_count > 0 || l.duplicate_count > 0) {
            let d = Digest { algorithm: crate::digest::Algorithm::Sha256, hex: "0".repeat(64) };
            self.layer_content(&d, entry, facts, None);
        }
    }

    /// The legacy `repositories` file: parsed for validity; its layer IDs must exist.
    fn repositories(&mut self) {
        if !self.tree.entries.contains_key("repositories") {
            return;
        }
        self.referenced.insert("repositories".into());
        let s = self.entry_subject("repositories");
        let Ok(entry) = self.tree.resolve("repositories") else { return };
        let Some(repos) = self.json::<BTreeMap<String, BTreeMap<String, String>>>(entry, "repositories", s.clone())
        else {
            return;
        };
        for (repo, tags) in repos {
            for (tag, id) in tags {
                let candidates = [id.clone(), format!("{id}/layer.tar"), format!("blobs/sha256/{id}")];
                if !candidates.iter().any(|c| self.tree.entries.contains_key(c)) {
                    self.add(
                        Finding::new(
                            &BLOB_MISSING,
                            s.clone(),
                            format!("repositories names layer `{id}` for {repo}:{tag}, which is not in the archive"),
                        )
                        .severity(Severity::Warning),
                    );
                }
            }
        }
    }

    /// In hybrid archives, every image of manifest.json must be in index.json and vice versa.
    fn hybrid(&mut self) {
        let from = |o: Origin, imgs: &[ImageInfo]| -> Vec<(Option<Digest>, Vec<String>)> {
            imgs.iter()
                .filter(|i| i.origin == o && !i.attestation)
                .map(|i| {
                    (
                        i.config_digest.clone(),
                        i.layers.iter().filter_map(|l| l.digest.as_ref().map(|d| d.to_string())).collect(),
                    )
                })
                .collect()
        };
        let docker = from(Origin::ManifestJson, &self.images);
        let oci = from(Origin::IndexJson, &self.images);
        let s = Subject::whole(&self.artifact);
        for (cfg, _) in &docker {
            if let Some(cfg) = cfg {
                if !oci.iter().any(|(c, _)| c.as_ref() == Some(cfg)) {
                    self.add(Finding::new(&HYBRID_MISMATCH, s.clone(), format!("manifest.json has image config {}, which index.json does not reach", cfg.short()))
                        .evidence("config", cfg)
                        .evidence("index_json_images", oci.len())
                        .remedy("Engines that read index.json (containerd, Podman, skopeo oci-archive) will not see this image. Re-export in one step."));
                }
            }
        }
        for (cfg, _) in &oci {
            if let Some(cfg) = cfg {
                if !docker.iter().any(|(c, _)| c.as_ref() == Some(cfg)) && !docker.is_empty() {
                    self.add(
                        Finding::new(
                            &HYBRID_MISMATCH,
                            s.clone(),
                            format!("index.json has image config {}, which manifest.json does not list", cfg.short()),
                        )
                        .evidence("config", cfg)
                        .severity(Severity::Warning)
                        .remedy("Docker (which reads manifest.json) will not load this image. Re-export in one step."),
                    );
                }
            }
        }
    }

    /// Blobs nothing references, and members that belong to no known structure.
    fn leftovers(&mut self) {
        let legacy = |p: &str| {
            let mut parts = p.split('/');
            let (Some(id), rest) = (parts.next(), parts.collect::<Vec<_>>()) else { return false };
            let hexid = id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit());
            hexid && matches!(rest.as_slice(), ["VERSION"] | ["json"] | ["layer.tar"])
        };
        let mut unreferenced = Vec::new();
        let mut unknown = Vec::new();
        for e in self.tree.entries.values() {
            if e.kind == EntryKind::Dir || self.referenced.contains(&e.path) {
                continue;
            }
            let dir_blob = self.dir_layout && Digest::parse(&format!("sha256:{}", e.path)).is_ok();
            if dir_blob {
                unreferenced.push(e.path.clone());
            } else if let Some(rest) = e.path.strip_prefix("blobs/") {
                let valid =
                    rest.split_once('/').is_some_and(|(alg, hex)| Digest::parse(&format!("{alg}:{hex}")).is_ok());
                if valid {
                    unreferenced.push(e.path.clone());
                } else {
                    unknown.push(e.path.clone());
                }
            } else if !legacy(&e.path)
                && !matches!(e.path.as_str(), "repositories" | "index.json" | "manifest.json" | "oci-layout")
            {
                unknown.push(e.path.clone());
            }
        }
        for p in unreferenced {
            let s = self.entry_subject(&p);
            self.add(
                Finding::new(&UNREFERENCED_BLOB, s, "no index, manifest or manifest.json refers to this blob")
                    .remedy("Garbage-collect the layout, or restore the descriptor that should name it."),
            );
        }
        // Stray files come in crowds (an unpacked layer, macOS metadata): one finding per
        // directory once there are more than a few.
        let mut by_dir: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for p in unknown {
            let dir = p.rsplit_once('/').map_or(String::new(), |(d, _)| d.to_string());
            by_dir.entry(dir).or_default().push(p);
        }
        for (dir, paths) in by_dir {
            if paths.len() <= 3 {
                for p in paths {
                    let s = self.entry_subject(&p);
                    self.add(
                        Finding::new(&UNKNOWN_ENTRY, s, "file belongs to no image structure and nothing refers to it")
                            .remedy("Re-export the image instead of repacking it by hand."),
                    );
                }
                continue;
            }
            let s = self.entry_subject(if dir.is_empty() { "." } else { &dir });
            let f = self.add(
                Finding::new(
                    &UNKNOWN_ENTRY,
                    s,
                    format!("{} files in this directory belong to no image structure", paths.len()),
                )
                .remedy("Re-export the image instead of repacking it by hand."),
            );
            for p in paths.iter().take(5) {
                f.evidence.push(("example".into(), p.clone()));
            }
        }
    }

    fn duplicate_blobs(&mut self) {
        let mut by_digest: BTreeMap<&Digest, Vec<&str>> = BTreeMap::new();
        for e in self.tree.entries.values() {
            if let Some(f) = &e.facts {
                if let (Some(d), true) = (&f.digest, f.layer.is_some() && e.size > 1024) {
                    by_digest.entry(d).or_default().push(&e.path);
                }
            }
        }
        let dups: Vec<(Digest, Vec<String>)> = by_digest
            .into_iter()
            .filter(|(_, p)| p.len() > 1)
            .map(|(d, p)| (d.clone(), p.into_iter().map(String::from).collect()))
            .collect();
        for (d, paths) in dups {
            let s = self.digest_subject(&d);
            let f =
                self.add(Finding::new(&DUPLICATE_BLOB, s, format!("the same layer is stored {} times", paths.len())));
            for p in paths {
                f.evidence.push(("path".into(), p));
            }
            f.remedy = "Re-export with a tool that de-duplicates blobs (docker save links shared layers).".into();
        }
    }

    fn attestations(&mut self) {
        let att: Vec<(Digest, Option<Digest>)> = self
            .images
            .iter()
            .filter(|i| i.attestation)
            .filter_map(|i| Some((i.manifest_digest.clone()?, i.top_digest.clone())))
            .collect();
        for (d, _) in att {
            let s = self.digest_subject(&d);
            self.add(Finding::new(&ATTESTATION_MANIFEST, s, "attestation manifest (provenance/SBOM); listed apart, not a platform")
                .remedy("Nothing if your consumers handle attestations; otherwise build with --provenance=false --sbom=false."));
        }
    }

    fn coverage(&mut self) {
        if self.opts.platforms.is_empty() {
            return;
        }
        let have: BTreeSet<Platform> =
            self.images.iter().filter(|i| !i.attestation).filter_map(|i| i.platform.clone()).collect();
        let have_list: Vec<String> = have.iter().map(|p| p.to_string()).collect();
        for want in &self.opts.platforms {
            if !have.iter().any(|p| platform_agrees(p, want)) {
                let s = Subject::platform(&self.artifact, want.to_string());
                self.add(
                    Finding::new(&MISSING_PLATFORM, s, format!("required platform {want} is not in the image"))
                        .evidence("provided", list_or_none(&have_list))
                        .remedy(format!("Add {want} to the build's platforms, or drop it from the requirement.")),
                );
            }
        }
        for p in &have {
            if !self.opts.platforms.iter().any(|w| platform_agrees(p, w)) {
                let s = Subject::platform(&self.artifact, p.to_string());
                self.add(
                    Finding::new(&EXTRA_PLATFORM, s, format!("{p} is provided but not required"))
                        .remedy("Add it to the required platforms, or stop building it."),
                );
            }
        }
    }

    /// Compares each image's platform with the CPU its executables are built for.
    fn arch_truth(&mut self) {
        let mut findings = Vec::new();
        for img in self.images.iter().filter(|i| !i.attestation) {
            let Some(platform) = &img.platform else { continue };
            let mut hist: BTreeMap<ElfMachine, (u64, String)> = BTreeMap::new();
            for l in &img.layers {
                let Some(d) = &l.digest else { continue };
                let facts = self
                    .tree
                    .resolve(&d.blob_path())
                    .ok()
                    .or_else(|| self.find_by_digest(d))
                    .and_then(|e| e.facts.as_ref());
                for (m, (n, ex)) in facts.and_then(|f| f.layer.as_ref()).map(|l| &l.elf).into_iter().flatten() {
                    let slot = hist.entry(*m).or_insert((0, ex.clone()));
                    slot.0 += n;
                }
            }
            let total: u64 = hist.values().map(|(n, _)| n).sum();
            let matching: u64 =
                hist.iter().filter(|(m, _)| m.oci_arch() == Some(platform.arch.as_str())).map(|(_, (n, _))| n).sum();
            if total == 0 || matching * 2 >= total {
                continue;
            }
            let (top, (n, example)) = hist.iter().max_by_key(|(_, (n, _))| *n).expect("total > 0");
            let subject = Subject::platform(&self.artifact, platform.to_string());
            let mut f = Finding::new(
                &ARCH_MISMATCH,
                subject,
                format!("platform is {platform}, but {n} of {total} executables are {}", top.describe()),
            )
            .evidence("platform", platform)
            .evidence("matching_executables", matching)
            .evidence("example", example)
            .remedy("Download binaries by TARGETARCH, use FROM --platform=$TARGETPLATFORM for the runtime stage, and check the base image provides this platform.");
            if let Some(name) = img.names.first() {
                f = f.evidence("image", name);
            }
            findings.push(f);
        }
        self.findings.extend(findings);
    }

    fn find_by_digest(&self, d: &Digest) -> Option<&'a Entry> {
        self.tree.entries.values().find(|e| e.facts.as_ref().and_then(|f| f.digest.as_ref()) == Some(d))
    }
}

/// The diff_id a blob contributes: its decompressed digest for a tar layer, its own digest for
/// uncompressed non-tar content (BuildKit's in-toto attestation layers).
fn diff_id_of(f: &BlobFacts) -> Option<Digest> {
    match &f.layer {
        Some(l) => l.diff_id.clone(),
        None if f.compression.is_none() => f.digest.clone(),
        None => None,
    }
}

/// The digest a docker-archive member's name promises: `blobs/sha256/<hex>`, `<hex>.json`,
/// `<hex>.tar`, `<hex>.tar.gz`.
fn digest_in_name(path: &str) -> Option<Digest> {
    if let Some(rest) = path.strip_prefix("blobs/") {
        let (alg, hex) = rest.split_once('/')?;
        return Digest::parse(&format!("{alg}:{hex}")).ok();
    }
    let file = path.rsplit('/').next()?;
    let stem =
        file.strip_suffix(".json").or_else(|| file.strip_suffix(".tar.gz")).or_else(|| file.strip_suffix(".tar"))?;
    Digest::parse(&format!("sha256:{stem}")).ok()
}

fn descriptor_names(d: &Descriptor) -> Vec<String> {
    [model::ANN_CONTAINERD_NAME, model::ANN_REF_NAME].iter().filter_map(|k| d.annotation(k).map(String::from)).collect()
}

fn platform_of(d: &Descriptor) -> Option<Platform> {
    let p = d.platform.as_ref()?;
    Some(Platform::new(p.os.as_deref()?, p.architecture.as_deref()?, p.variant.as_deref()))
}

/// Same OS and architecture; variants must agree only when both are given.
fn platform_agrees(a: &Platform, b: &Platform) -> bool {
    a.os == b.os && a.arch == b.arch && (a.variant.is_none() || b.variant.is_none() || a.variant == b.variant)
}

/// `busybox` matches `busybox:latest` and `docker.io/library/busybox:latest`.
fn name_matches(have: &str, want: &str) -> bool {
    let norm = |s: &str| {
        let s = s.strip_prefix("docker.io/").unwrap_or(s);
        let s = s.strip_prefix("library/").unwrap_or(s);
        let last = s.rsplit('/').next().unwrap_or(s);
        if last.contains(':') || last.contains('@') {
            s.to_string()
        } else {
            format!("{s}:latest")
        }
    };
    have == want || norm(have) == norm(want)
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_string()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_platforms() {
        assert!(name_matches("docker.io/library/busybox:latest", "busybox"));
        assert!(name_matches("example.com/a/b:1", "example.com/a/b:1"));
        assert!(!name_matches("busybox:1", "busybox"));
        let arm = Platform::parse("linux/arm64").unwrap();
        assert!(platform_agrees(&arm, &Platform::parse("linux/arm64/v8").unwrap()));
        assert!(!platform_agrees(&arm, &Platform::parse("linux/amd64").unwrap()));
        assert_eq!(digest_in_name("abc/layer.tar"), None);
        assert!(digest_in_name(&format!("{}.json", "a".repeat(64))).is_some());
    }
}
