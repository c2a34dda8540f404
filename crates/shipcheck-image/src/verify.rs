//! Verification: reads a source once (see [`crate::tree`]), walks index.json and/or
//! manifest.json over what was read ([`crate::walk`]), recording what it measured
//! ([`crate::facts`]), and runs the rules ([`crate::rules`]) over those facts.

use std::collections::{BTreeSet, HashSet};

use shipcheck_report::Finding;

use crate::digest::Digest;
use crate::limits::ReadLimits;
use crate::platform::Platform;
use crate::scan::{BlobFacts, Compression};
use crate::source::{detect, Container, Selector, SourceError, SourceSpec, Transport};
use crate::tree::{Tree, TreeProblem};
use crate::walk::Walk;

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
    /// A save from Docker before 1.10 (no manifest.json, no index.json): the `repo:tag` names
    /// its `repositories` gives; empty otherwise.
    pub legacy_names: Vec<String>,
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

/// Why a source cannot be checked at all (exit status 2): each names the path and says what was
/// expected.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{shown} is a file, but oci: names a layout directory: use oci-archive:{shown}")]
    OciIsAFile { shown: String },
    #[error("{shown} is a directory, but {transport}: names an archive file: use oci:{shown}")]
    ArchiveIsADirectory { shown: String, transport: &'static str },
    #[error("cannot read {shown}: {source}")]
    Read { shown: String, source: std::io::Error },
    #[error(
        "{shown} has more than {max} members: expected an image archive (refusing to index it; \
         raise the member limit if it is genuine)"
    )]
    TooManyMembers { shown: String, max: usize },
    #[error(
        "{shown} is not an image: expected an OCI layout (oci-layout, index.json, blobs/) or a docker save archive (manifest.json); {what}"
    )]
    NotAnImage {
        shown: String,
        what: NotAnImage,
        /// The archive is wrapped whole in gzip, zstd or xz (engines word some errors apart).
        compressed: bool,
    },
    #[error("{shown} has no index.json, so it is not an OCI layout: try docker-archive:{shown}")]
    NoIndexJson { shown: String },
    #[error("{shown} has no manifest.json, so docker-archive cannot read it: try oci-archive:{shown}")]
    NoManifestJson { shown: String },
    #[error("no image named `{want}` in index.json; it has: {have}")]
    NoSuchName { want: String, have: String },
    #[error("@N selects an image of manifest.json; use a reference with OCI sources")]
    IndexInOci,
    #[error("@{index} is out of range: manifest.json has {total} image(s), @0 to @{last}", last = total - 1)]
    IndexOutOfRange { index: usize, total: usize },
    #[error("no image tagged `{want}` in manifest.json; it has: {have}")]
    NoSuchTag { want: String, have: String },
}

/// How an archive's bytes fail before any image can be read from them: each engine refuses it in
/// its own words, so it is a finding with a verdict per engine, not an input error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    /// No valid tar header where one must be (not a tar at all, or a header with a bad
    /// checksum): Go's `archive/tar: invalid tar header`.
    InvalidHeader,
    /// The archive ends inside a header or member before index.json or manifest.json: Go's
    /// `unexpected EOF`.
    EndsEarly,
    /// No members at all (an empty file, or only end blocks).
    Empty,
}

/// An archive too damaged to read as an image ([`VerifyError::broken`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenArchive {
    pub how: Broken,
    /// Wrapped whole in gzip, zstd or xz.
    pub compressed: bool,
    /// What was found, for the finding's message.
    pub detail: String,
}

impl VerifyError {
    /// The archive is damaged (truncated, corrupt, empty), as opposed to named wrongly or
    /// unreadable (permissions, I/O): `Some` with how, and what was found.
    pub fn broken(&self) -> Option<BrokenArchive> {
        let (how, compressed, detail) = match self {
            // A file that is no tar at all and not named as an archive (a Dockerfile given by
            // mistake) is a usage error, not a damaged archive.
            VerifyError::Source(SourceError::NotTar(path)) if !named_as_archive(path) => return None,
            VerifyError::Source(SourceError::NotTar(path)) => {
                // Shorter than one header block: Go's reader runs out of bytes first.
                let short = std::fs::metadata(path).is_ok_and(|m| m.len() < 512);
                let how = if short { Broken::EndsEarly } else { Broken::InvalidHeader };
                (how, false, "no tar header in its first 512 bytes".to_string())
            }
            VerifyError::Source(SourceError::EmptyFile(_)) => (Broken::Empty, false, "the file is empty".into()),
            VerifyError::NotAnImage { what: NotAnImage::Empty, shown, .. } if std::path::Path::new(shown).is_dir() => {
                return None
            }
            VerifyError::NotAnImage { what: NotAnImage::Empty, compressed, .. } => {
                (Broken::Empty, *compressed, "the archive has no members".into())
            }
            VerifyError::NotAnImage { what: NotAnImage::Truncated(detail), compressed, .. } => {
                // tarwalk says "bad checksum" where Go's reader says "invalid tar header".
                let how = if detail.contains("checksum") { Broken::InvalidHeader } else { Broken::EndsEarly };
                (how, *compressed, detail.clone())
            }
            _ => return None,
        };
        Some(BrokenArchive { how, compressed, detail })
    }
}

/// What a source that is not an image holds instead.
#[derive(Debug, thiserror::Error)]
pub enum NotAnImage {
    #[error("it is truncated before index.json or manifest.json ({0})")]
    Truncated(String),
    #[error("it is empty")]
    Empty,
    #[error("it has {0} members, none of them index.json or manifest.json")]
    Other(usize),
}

/// For callers that carry errors as text.
/// Verifies one source. `Err` is an input that cannot be checked at all (exit status 2), with a
/// message that names the path and says what was expected.
pub fn verify(spec: &SourceSpec, opts: &VerifyOptions) -> Result<Verified, VerifyError> {
    verify_with(spec, opts, &|_| true)
}

/// [`verify`], running only the rules whose ID `enabled` accepts (a rule that is off is not run).
pub fn verify_with(
    spec: &SourceSpec,
    opts: &VerifyOptions,
    enabled: &dyn Fn(&str) -> bool,
) -> Result<Verified, VerifyError> {
    let limits = &opts.limits;
    let container = detect(&spec.path)?;
    let shown = spec.path.display().to_string();
    match (spec.transport, container) {
        (Transport::Oci, Container::Tar(_)) => return Err(VerifyError::OciIsAFile { shown }),
        (Transport::OciArchive | Transport::DockerArchive, Container::Directory) => {
            return Err(VerifyError::ArchiveIsADirectory { shown, transport: spec.transport.name() })
        }
        _ => {}
    }
    let tree = Tree::read(&spec.path, container, opts.fast, opts.progress.clone(), limits)
        .map_err(|source| VerifyError::Read { shown, source })?;
    verify_tree_with(tree, spec, opts, enabled)
}

/// Verifies a tree that was read already: from a local source by [`verify`], or assembled from
/// a registry's responses. `spec` gives the name shown in findings, the transport and the
/// selector.
pub fn verify_tree(tree: Tree, spec: &SourceSpec, opts: &VerifyOptions) -> Result<Verified, VerifyError> {
    verify_tree_with(tree, spec, opts, &|_| true)
}

/// [`verify_tree`], running only the rules whose ID `enabled` accepts.
pub fn verify_tree_with(
    tree: Tree,
    spec: &SourceSpec,
    opts: &VerifyOptions,
    enabled: &dyn Fn(&str) -> bool,
) -> Result<Verified, VerifyError> {
    let container = tree.container;
    let (has_index, has_manifest) = readable(&tree, spec)?;
    let use_index = has_index && spec.transport != Transport::DockerArchive;
    let use_manifest = has_manifest && !matches!(spec.transport, Transport::Oci | Transport::OciArchive);

    let mut walk = Walk::new(&tree, spec.display.clone(), opts.platforms.clone());
    walk.archive_problems();
    if use_index {
        walk.oci_layout(tree.entries.contains_key("oci-layout"));
        walk.index_json(&spec.selector)?;
    }
    if use_manifest {
        walk.manifest_json(&spec.selector)?;
        walk.repositories();
    }
    let legacy = !has_index && !has_manifest;
    if legacy {
        walk.legacy_save();
    }
    if spec.selector == Selector::All && use_index == has_index && use_manifest == has_manifest && !legacy {
        walk.leftovers();
    }
    let mut facts = walk.finish();
    facts.hybrid = use_index && use_manifest;
    let mut out = Vec::new();
    crate::rules::run(&facts, enabled, &mut out);
    let findings = dedupe(facts.in_walk_order(out));

    let kind = if facts.dir_layout {
        "containers-image dir layout".to_string()
    } else {
        kind_name(container, use_index, use_manifest, has_index && has_manifest)
    };
    let images = std::mem::take(&mut facts.images);
    let legacy_names = if legacy { facts.repository_names() } else { Vec::new() };
    drop(facts);
    let summary = summary(&tree, &images, opts.fast);
    let first_dir = tree.entries.keys().filter_map(|k| k.split_once('/').map(|(d, _)| d.to_string())).min();
    let shape = Shape { container, index_json: has_index, manifest_json: has_manifest, first_dir, legacy_names };
    Ok(Verified { kind, shape, images, facts: summary, findings, tree })
}

/// Whether the tree has index.json and manifest.json; `Err` when it is no image the transport
/// can read.
fn readable(tree: &Tree, spec: &SourceSpec) -> Result<(bool, bool), VerifyError> {
    let shown = if spec.path.as_os_str().is_empty() { spec.display.clone() } else { spec.path.display().to_string() };
    if tree.problems.contains(&TreeProblem::TooManyEntries) {
        return Err(VerifyError::TooManyMembers { shown, max: tree.max_members });
    }
    let has = |p: &str| tree.entries.contains_key(p);
    let (has_index, has_manifest) = (has("index.json"), has("manifest.json"));
    if !has_index && !has_manifest {
        let truncated = tree.problems.iter().find_map(|p| match p {
            TreeProblem::Truncated { detail, .. } => Some(detail.clone()),
            _ => None,
        });
        let what = if let Some(detail) = truncated {
            NotAnImage::Truncated(detail)
        } else if tree.entries.is_empty() {
            NotAnImage::Empty
        } else if has("repositories") && matches!(spec.transport, Transport::Auto | Transport::DockerArchive) {
            // A save from Docker before 1.10: Docker's legacy loader reads it, nothing else
            // does; it is verified as what it is, with a finding saying so.
            return Ok((false, false));
        } else if has("repositories") {
            return Err(VerifyError::NoIndexJson { shown });
        } else {
            NotAnImage::Other(tree.entries.len())
        };
        let compressed = matches!(tree.container, Container::Tar(c) if c != Compression::None);
        return Err(VerifyError::NotAnImage { shown, what, compressed });
    }
    match spec.transport {
        Transport::Oci | Transport::OciArchive if !has_index => Err(VerifyError::NoIndexJson { shown }),
        Transport::DockerArchive if !has_manifest => Err(VerifyError::NoManifestJson { shown }),
        _ => Ok((has_index, has_manifest)),
    }
}

/// The facts shown for a verified source: images, platforms, blobs verified, bytes read.
fn summary(tree: &Tree, images: &[ImageInfo], fast: bool) -> Vec<(String, String)> {
    let files: Vec<&BlobFacts> = tree.entries.values().filter_map(|e| e.facts.as_ref()).collect();
    let verified = files.iter().filter(|f| f.digest.is_some()).count();
    let bytes: u64 = files.iter().map(|f| f.size).sum();
    let platforms: BTreeSet<String> =
        images.iter().filter(|i| !i.attestation).filter_map(|i| i.platform.as_ref()).map(|p| p.to_string()).collect();
    let mut facts = vec![
        ("images".to_string(), images.iter().filter(|i| !i.attestation).count().to_string()),
        (
            "platforms".to_string(),
            if platforms.is_empty() { "-".into() } else { platforms.into_iter().collect::<Vec<_>>().join(",") },
        ),
        ("blobs_verified".to_string(), verified.to_string()),
        ("bytes_read".to_string(), bytes.to_string()),
    ];
    if fast {
        facts.push(("mode".into(), "fast (layer content not read)".into()));
    }
    facts
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
        (_, false, false) => "docker-archive (pre-1.10 save)",
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

/// A file name archives have (`app.tar`, `app.tar.gz`, `app.tgz`, `image.oci`, …).
pub fn named_as_archive(path: &std::path::Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    [".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.xz", ".txz", ".tar.zstd", ".oci", ".docker"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}
