//! What the verifier measured in one source, for the rules in [`crate::rules`] to judge.
//!
//! The walk ([`crate::walk`]) follows index.json, manifests, manifest.json and the blobs they
//! name, and records each thing it measured as a [`Step`], in the order it measured it: a member
//! that cannot be used, a blob's declared and measured size and digest, a document that does not
//! parse, a layer's content, a config's diff_ids, declared and configured platforms. What the
//! whole source holds (the tree that was read, the images found, the leftovers, the required
//! platforms) sits beside the steps. Rules read these facts and decide what is a finding and how
//! it is worded; the walk decides nothing but where it cannot go on (a blob that is absent, a
//! document that does not parse), and records that as a fact too.

use std::cell::RefCell;

use shipcheck_report::{Finding, Subject};

use crate::digest::Digest;
use crate::platform::Platform;
use crate::scan::{BlobFacts, LayerFacts};
use crate::tree::{Entry, Tree, TreeProblem};
use crate::verify::ImageInfo;

/// Everything the walk of one source measured.
pub(crate) struct Facts<'a> {
    /// The source as the user named it: every subject's artifact.
    pub(crate) artifact: String,
    /// What was read: every member and what its scan learned.
    pub(crate) tree: &'a Tree,
    /// containers/image `dir:` layout: blobs are stored as `<hex>` at the top level.
    pub(crate) dir_layout: bool,
    /// What the walk measured, in the order it measured it.
    pub(crate) steps: Vec<Step<'a>>,
    /// The images (manifests) found, in walk order.
    pub(crate) images: Vec<ImageInfo>,
    /// Both index.json and manifest.json were read, so they must describe the same images.
    pub(crate) hybrid: bool,
    /// Members nothing referred to; `None` when part of the source was not walked (a selector,
    /// or a transport that reads only one of index.json and manifest.json).
    pub(crate) leftovers: Option<Leftovers>,
    /// Platforms the image must provide; empty means no coverage check.
    pub(crate) required_platforms: Vec<Platform>,
    /// Where in the walk each emitted finding's fact was measured (finding index, place).
    order: RefCell<Vec<(usize, At)>>,
}

/// One thing the walk measured.
pub(crate) enum Step<'a> {
    /// A problem the archive reader met: truncation, an unsafe name, an unreadable member, a
    /// tar header engines refuse.
    ArchiveProblem(&'a TreeProblem),
    /// A member name that occurs more than once in the archive.
    DuplicateMember(&'a str),
    /// A link member whose target leaves the archive or loops.
    BadLink { path: &'a str, target: &'a str, why: String },
    /// A member a document names (`what`: config, layer, manifest…) that cannot be used.
    Unusable { subject: Subject, what: &'static str, path: String, why: Unusable },
    /// A document, or part of one, that does not have the expected shape.
    Malformed { subject: Subject, problem: Malformed },
    /// A blob that a descriptor (or a member name) promises: declared size and digest against
    /// what was measured.
    Blob { subject: Subject, what: &'static str, digest: Digest, declared_size: Option<i64>, entry: &'a Entry },
    /// The `oci-layout` file of an OCI layout.
    OciLayout(LayoutFile),
    /// A list of images that is null, absent or empty.
    NoManifests { subject: Subject, list: ManifestList },
    /// A descriptor's media type and the one inside the blob it names.
    MediaTypes { subject: Subject, descriptor: String, blob: String },
    /// A nested index whose platform manifests are partly absent from the source.
    PartialIndex { subject: Subject, children: usize, absent: usize, present: usize, absent_platforms: Vec<String> },
    /// The layers of one image manifest or manifest.json entry.
    Layers {
        subject: Subject,
        /// The manifest.json position, for an image listed there.
        entry: Option<usize>,
        count: usize,
        names: Vec<String>,
        /// The config is an image config (not an artifact's).
        image: bool,
        attestation: bool,
    },
    /// A foreign (non-distributable) layer whose content is not in the source.
    ForeignAbsent { subject: Subject, media_type: Option<String> },
    /// What streaming a layer blob learned, with the media type its descriptor gives.
    LayerContent { subject: Subject, entry: &'a Entry, blob: &'a BlobFacts, media_type: Option<String> },
    /// A config's `rootfs.diff_ids` against the digests its layers decompress to (`None`: not
    /// measured).
    DiffIds { subject: Subject, declared: Vec<String>, computed: Vec<Option<Digest>> },
    /// The platform an index gives an image against the one its config states.
    Platforms { subject: Subject, index: Platform, config: Platform, attestation: bool },
    /// A layer ID the legacy `repositories` file names, and whether the archive has it.
    RepositoriesLayer { subject: Subject, repo: String, tag: String, id: String, present: bool },
    /// A save from Docker before 1.10: `repositories` and v1 layer directories, no
    /// manifest.json or index.json.
    LegacySave { subject: Subject },
}

/// Why a member a document names cannot be used.
pub(crate) enum Unusable {
    Missing,
    NotAFile,
    /// The name itself (not a link in the archive) leaves the archive.
    NameLeaves(String),
    /// Reached through a link that leaves the archive or loops (its own [`Step::BadLink`]).
    ThroughBadLink,
}

/// How a document, or part of one, is malformed.
pub(crate) enum Malformed {
    /// A descriptor whose digest does not parse.
    DescriptorDigest { what: &'static str, error: String },
    /// A document that could not be parsed as JSON of the expected shape.
    Json { what: &'static str, path: String, size: u64, problem: JsonProblem },
    /// An image manifest without a config descriptor.
    NoConfig,
    /// Nested indexes deeper than the walk follows.
    TooDeep,
    /// An index whose fields have the wrong types.
    IndexFields,
    /// An image manifest whose fields have the wrong types.
    Manifest(String),
    /// A `dir:` layout's manifest.json that is not an image manifest.
    DirManifest(String),
    /// manifest.json that is neither a list nor an image manifest.
    NotAList,
    /// An entry of manifest.json with fields of the wrong types.
    Entry { index: usize, error: String },
    /// An entry of manifest.json without `Config`.
    EntryNoConfig(usize),
}

/// Why a JSON document was not parsed.
pub(crate) enum JsonProblem {
    /// Not kept: the source's JSON documents together passed the budget.
    OverBudget,
    /// Larger than the JSON cap.
    TooLarge,
    /// Not JSON; `read_failed` when the member could not be read at all (reported as such).
    NotJson { read_failed: bool },
    /// JSON, but not of the expected shape.
    Invalid(String),
}

/// What the `oci-layout` file says.
pub(crate) enum LayoutFile {
    Absent,
    /// Its `imageLayoutVersion` (after it parsed).
    Version(Option<String>),
}

/// Which list of images is empty or null.
pub(crate) enum ManifestList {
    IndexJson,
    NestedIndex,
    ManifestJsonNull,
    ManifestJsonEmpty,
}

/// Members nothing refers to.
pub(crate) struct Leftovers {
    /// Blobs (valid digest names under `blobs/`, or `<hex>` in a `dir:` layout).
    pub(crate) blobs: Vec<String>,
    /// Members that belong to no known image structure.
    pub(crate) unknown: Vec<String>,
}

/// Where in the walk a finding's fact was measured: a step, or one of the checks over the whole
/// source that follow the walk, in the order they always ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum At {
    Step(usize),
    Hybrid,
    Leftovers,
    DuplicateBlobs,
    Attestations,
    Coverage,
    ArchTruth,
    /// A finding pushed without [`Facts::emit`]: after everything, in push order.
    Unplaced,
}

/// Rules that report on the same step, in the order their findings are listed: a blob's size
/// before its digest, a layer's media type before its content, a layer count before the
/// diff_ids, unreferenced blobs before unknown files, missing platforms before extra ones.
const SAME_STEP_ORDER: &[&str] = &[
    "image/blob-size-mismatch",
    "image/blob-digest-mismatch",
    "image/media-type-mismatch",
    "image/layer-unreadable",
    "image/layer-path-escape",
    "image/layer-duplicate-path",
    "image/layer-count-mismatch",
    "image/diff-id-mismatch",
    "image/unreferenced-blob",
    "image/unknown-entry",
    "image/missing-platform",
    "image/extra-platform",
];

impl<'a> Facts<'a> {
    pub(crate) fn new(artifact: String, tree: &'a Tree, required_platforms: Vec<Platform>) -> Facts<'a> {
        Facts {
            artifact,
            tree,
            dir_layout: false,
            steps: Vec::new(),
            images: Vec::new(),
            hybrid: false,
            leftovers: None,
            required_platforms,
            order: RefCell::new(Vec::new()),
        }
    }

    /// The `repo:tag` names the legacy `repositories` file gives, in its order.
    pub(crate) fn repository_names(&self) -> Vec<String> {
        self.steps
            .iter()
            .filter_map(|s| match s {
                Step::RepositoriesLayer { repo, tag, .. } => Some(format!("{repo}:{tag}")),
                _ => None,
            })
            .collect()
    }

    /// The steps, each with its place in the walk.
    pub(crate) fn steps(&self) -> impl Iterator<Item = (At, &Step<'a>)> {
        self.steps.iter().enumerate().map(|(i, s)| (At::Step(i), s))
    }

    /// Each layer whose content was read, once: a layer shared by many images is reported
    /// once, at its first place in the walk.
    pub(crate) fn layers(&self) -> impl Iterator<Item = (At, &Subject, &Entry, &BlobFacts, &LayerFacts)> {
        let mut seen = std::collections::HashSet::new();
        self.steps().filter_map(move |(at, step)| {
            let Step::LayerContent { subject, entry, blob, .. } = step else { return None };
            let layer = blob.layer.as_ref()?;
            seen.insert(entry.path.as_str()).then_some((at, subject, *entry, *blob, layer))
        })
    }

    pub(crate) fn entry_subject(&self, path: &str) -> Subject {
        Subject::entry(&self.artifact, path)
    }

    pub(crate) fn digest_subject(&self, d: &Digest) -> Subject {
        Subject::descriptor(&self.artifact, d.to_string())
    }

    /// Where a blob with this digest is stored in this source.
    pub(crate) fn blob_path(&self, d: &Digest) -> String {
        if self.dir_layout {
            d.hex.clone()
        } else {
            d.blob_path()
        }
    }

    /// The scan of the blob with this digest: at its `blobs/` path, or wherever content with
    /// that digest was measured.
    pub(crate) fn blob_by_digest(&self, d: &Digest) -> Option<&'a BlobFacts> {
        let tree = self.tree;
        tree.resolve(&d.blob_path())
            .ok()
            .or_else(|| tree.entries.values().find(|e| e.facts.as_ref().and_then(|f| f.digest.as_ref()) == Some(d)))
            .and_then(|e| e.facts.as_ref())
    }

    /// Reports a finding about what was measured at `at`. Rules run one after another, but
    /// findings are listed in the order the walk measured their facts.
    pub(crate) fn emit(&self, out: &mut Vec<Finding>, at: At, finding: Finding) {
        self.order.borrow_mut().push((out.len(), at));
        out.push(finding);
    }

    /// `findings` (as the rules emitted them into an empty list) in walk order; findings about
    /// one step keep [`SAME_STEP_ORDER`], and one rule's findings keep their order.
    pub(crate) fn in_walk_order(&self, findings: Vec<Finding>) -> Vec<Finding> {
        let mut places = vec![At::Unplaced; findings.len()];
        for (i, at) in self.order.take() {
            if let Some(slot) = places.get_mut(i) {
                *slot = at;
            }
        }
        let rank = |f: &Finding| SAME_STEP_ORDER.iter().position(|id| *id == f.rule.id).unwrap_or(0);
        let mut keyed: Vec<((At, usize), Finding)> =
            places.into_iter().zip(findings).map(|(at, f)| ((at, rank(&f)), f)).collect();
        keyed.sort_by_key(|(k, _)| *k);
        keyed.into_iter().map(|(_, f)| f).collect()
    }
}

/// Same OS and architecture; variants must agree only when both are given.
pub(crate) fn platform_agrees(a: &Platform, b: &Platform) -> bool {
    a.os == b.os && a.arch == b.arch && (a.variant.is_none() || b.variant.is_none() || a.variant == b.variant)
}

/// `a, b`, or `(none)`.
pub(crate) fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_string()
    } else {
        items.join(", ")
    }
}
