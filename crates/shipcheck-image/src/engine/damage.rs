//! What each engine does with an archive damaged in one way: refuse it, load it anyway, leave an
//! image record behind when it fails, or load only some platforms. The damage is what the
//! verifier reports (its findings, unchanged); the engines' behaviour per damage class and
//! archive form is data, measured live (`[[damage]]` in data/engines.toml, loaded by
//! tests/damage.rs). A profile without a measured cell (the documentation-only profiles) keeps
//! the conservative rule that damaged bytes stop its load (`DAMAGE` in mod.rs): that is a
//! guess, and its rows say "documentation".

use serde::Deserialize;
use shipcheck_report::{Finding, Locator};

use super::{host_platform, Profile};
use crate::source::Container;
use crate::verify::Verified;

/// One kind of damage, as the verifier's findings tell it apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DamageClass {
    /// The archive ends inside a member (`image/truncated-archive`). First: the digests and
    /// diff_ids a cut makes wrong are its consequences, and engines stop at the cut.
    Truncated,
    /// A tar header Go's archive/tar refuses, in the archive itself: a malformed PAX record
    /// (`image/truncated-archive` with the engines' error).
    MalformedPax,
    /// A layer whose tar has a header Go's archive/tar refuses (`image/layer-unreadable`).
    MalformedPaxInLayer,
    /// A layer that does not decompress or whose tar breaks (`image/layer-unreadable`): a
    /// flipped byte, a cut upload. Before a wrong digest: the corruption is what engines meet.
    LayerCorrupt,
    /// A layer's bytes do not hash to its digest (`image/blob-digest-mismatch`).
    LayerDigestWrong,
    /// A layer's content does not hash to the config's diff_id (`image/diff-id-mismatch`).
    DiffIdWrong,
    /// A blob of the host platform's image is absent (`image/blob-missing`).
    BlobMissingHost,
    /// A blob only another platform's image uses is absent (`image/blob-missing`).
    BlobMissingOtherPlatform,
    /// A descriptor's size is not the blob's (`image/blob-size-mismatch`).
    SizeWrong,
    /// A layer entry leaves the root (`image/layer-path-escape`).
    UnsafeLayerPaths,
    /// A layer expands past the limit (`image/decompression-bomb`).
    DecompressionBomb,
    /// One path twice in the archive (`image/duplicate-entry`).
    DuplicateTarEntries,
    /// Executables for another CPU than the platform (`image/arch-mismatch`).
    ArchMismatch,
    /// A descriptor's media type is not its content's (`image/media-type-mismatch`).
    MediaTypeWrong,
    /// index.json's platform is not the config's (`image/platform-mismatch`).
    IndexPlatformLying,
    /// `"manifests": null` (`image/null-manifest`).
    ManifestsNull,
    /// An image without layers (`image/no-layers`).
    NoLayers,
    /// Members no image format defines (`image/unknown-entry`).
    UnknownTarMembers,
}

impl DamageClass {
    pub fn name(self) -> &'static str {
        match self {
            DamageClass::MalformedPax => "malformed-pax",
            DamageClass::MalformedPaxInLayer => "malformed-pax-in-layer",
            DamageClass::LayerCorrupt => "layer-corrupt",
            DamageClass::LayerDigestWrong => "layer-digest-wrong",
            DamageClass::DiffIdWrong => "diff-id-wrong",
            DamageClass::BlobMissingHost => "blob-missing-host",
            DamageClass::BlobMissingOtherPlatform => "blob-missing-other-platform",
            DamageClass::SizeWrong => "size-wrong",
            DamageClass::Truncated => "truncated",
            DamageClass::UnsafeLayerPaths => "unsafe-layer-paths",
            DamageClass::DecompressionBomb => "decompression-bomb",
            DamageClass::DuplicateTarEntries => "duplicate-tar-entries",
            DamageClass::ArchMismatch => "arch-mismatch",
            DamageClass::MediaTypeWrong => "media-type-wrong",
            DamageClass::IndexPlatformLying => "index-platform-lying",
            DamageClass::ManifestsNull => "manifests-null",
            DamageClass::NoLayers => "no-layers",
            DamageClass::UnknownTarMembers => "unknown-tar-members",
        }
    }
}

/// How the archive is laid out, as the engines tell forms apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    /// `docker save` before Docker 25: manifest.json, no index.json.
    DockerArchive,
    /// Docker 25+ `docker save`: manifest.json beside an OCI layout.
    Hybrid,
    /// An OCI layout in a tar.
    OciArchive,
    /// An OCI layout directory.
    OciLayout,
}

impl Form {
    pub fn of(v: &Verified) -> Option<Form> {
        Some(match (v.shape.container, v.shape.manifest_json, v.shape.index_json) {
            (Container::Directory, _, true) => Form::OciLayout,
            (Container::Tar(_), true, true) => Form::Hybrid,
            (Container::Tar(_), true, false) => Form::DockerArchive,
            (Container::Tar(_), false, true) => Form::OciArchive,
            _ => return None,
        })
    }
}

/// What an engine does with one damage class in one form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Fails, and leaves nothing behind.
    Refuses,
    /// Loads without a word.
    Loads,
    /// Fails, but an image record (names, ID) stays in the store.
    LeavesRecord,
    /// Loads the platforms it can read, and only those.
    SomePlatforms,
}

/// A measured cell: `profile`'s engine, given `class` damage in one of `forms`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    pub profile: String,
    pub class: DamageClass,
    pub forms: Vec<Form>,
    pub outcome: Outcome,
    /// The engine's own error text (`…` for temporary paths and digests).
    pub error: Option<String>,
    /// `tested live: <engine version>`, or the documentation it rests on.
    pub source: String,
}

/// The damage classes present in `v`, each with the first finding that shows it.
pub fn present(v: &Verified) -> Vec<(DamageClass, &Finding)> {
    // Errors first, so a class is shown by its most serious finding.
    let mut out: Vec<(DamageClass, &Finding)> = Vec::new();
    let mut findings: Vec<&Finding> = v.findings.iter().collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for f in findings {
        let Some(class) = class_of(v, f) else { continue };
        if !out.iter().any(|(c, _)| *c == class) {
            out.push((class, f));
        }
    }
    out.sort_by_key(|(c, _)| *c);
    out
}

/// The damage class finding `f` shows, if it shows one.
pub(super) fn class_of(v: &Verified, f: &Finding) -> Option<DamageClass> {
    Some(match f.rule.id {
        "image/blob-digest-mismatch" if !super::archive::misnamed_config(f) => DamageClass::LayerDigestWrong,
        "image/diff-id-mismatch" => DamageClass::DiffIdWrong,
        "image/blob-missing" if f.severity == shipcheck_report::Severity::Error => {
            if only_foreign(v, f) {
                DamageClass::BlobMissingOtherPlatform
            } else {
                DamageClass::BlobMissingHost
            }
        }
        "image/blob-size-mismatch" => DamageClass::SizeWrong,
        "image/truncated-archive" if f.evidence.iter().any(|(k, _)| k == super::ENGINE_ERROR) => {
            DamageClass::MalformedPax
        }
        "image/truncated-archive" => DamageClass::Truncated,
        "image/layer-unreadable" if f.message.contains(crate::scan::GO_INVALID_HEADER) => {
            DamageClass::MalformedPaxInLayer
        }
        "image/layer-unreadable" => DamageClass::LayerCorrupt,
        "image/layer-path-escape" => DamageClass::UnsafeLayerPaths,
        "image/decompression-bomb" => DamageClass::DecompressionBomb,
        // Measured with a layer twice, the first copy other bytes: readers that take the first
        // copy (the docker-archive transport) fail on its digest. A repeated document
        // (manifest.json, index.json) is no blob to fail on: not this class.
        "image/duplicate-entry" if names_a_layer(v, f) => DamageClass::DuplicateTarEntries,
        "image/arch-mismatch" => DamageClass::ArchMismatch,
        "image/media-type-mismatch" => DamageClass::MediaTypeWrong,
        "image/platform-mismatch" => DamageClass::IndexPlatformLying,
        "image/null-manifest" => DamageClass::ManifestsNull,
        "image/no-layers" => DamageClass::NoLayers,
        "image/unknown-entry" => DamageClass::UnknownTarMembers,
        _ => return None,
    })
}

/// The images that use the blob finding `f` is about: by digest (config, manifest, layer), or
/// by the member a manifest.json names (`blobs/sha256/<hex>` in a Docker 25 save).
pub(super) fn users<'v>(v: &'v Verified, f: &Finding) -> Vec<&'v crate::verify::ImageInfo> {
    let digest = match &f.subject.locator {
        Locator::Descriptor { digest } => digest.clone(),
        Locator::Entry { path } => crate::walk::digest_in_name(path).map_or_else(|| path.clone(), |d| d.to_string()),
        _ => return Vec::new(),
    };
    let is = |d: &Option<crate::digest::Digest>| d.as_ref().is_some_and(|d| d.to_string() == digest);
    // A layer whose member is absent keeps no digest of its own: its image may be the user.
    let missing = f.rule.id == "image/blob-missing";
    v.images
        .iter()
        .filter(|i| {
            is(&i.config_digest)
                || is(&i.manifest_digest)
                || i.layers.iter().any(|l| is(&l.digest) || (missing && l.path.is_none()))
        })
        .collect()
}

/// The missing blob belongs only to images of other platforms than this host's, and the host's
/// own image is whole: an engine that takes the host's platform loads it. (An archive with no
/// image for this host is not "another platform's" damage: the engine copies what is there.)
fn only_foreign(v: &Verified, f: &Finding) -> bool {
    let host = host_platform();
    let users = users(v, f);
    let foreign = |i: &&crate::verify::ImageInfo| i.platform.as_ref().is_some_and(|p| p.to_string() != host);
    let host_whole = v.images.iter().any(|i| {
        !i.attestation
            && i.platform.as_ref().is_some_and(|p| p.to_string() == host)
            && i.layers.iter().all(|l| l.path.is_some())
            && !users.iter().any(|u| std::ptr::eq(*u, i))
    });
    !users.is_empty() && users.iter().all(foreign) && host_whole
}

/// The finding is about a member that holds a layer (a blob, or a docker save's
/// `<id>/layer.tar`).
fn names_a_layer(v: &Verified, f: &Finding) -> bool {
    let Locator::Entry { path } = &f.subject.locator else { return false };
    path.starts_with("blobs/")
        || v.images.iter().any(|i| i.layers.iter().any(|l| l.path.as_deref() == Some(path.as_str())))
}

/// The measured cell for `p`, `class` and `form`, if there is one.
pub fn cell(p: &Profile, class: DamageClass, form: Form) -> Option<&'static Cell> {
    super::table().damage.iter().find(|c| c.profile == p.id && c.class == class && c.forms.contains(&form))
}

impl Form {
    pub fn name(self) -> &'static str {
        match self {
            Form::DockerArchive => "docker-archive",
            Form::Hybrid => "hybrid",
            Form::OciArchive => "oci-archive",
            Form::OciLayout => "oci-layout",
        }
    }
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Refuses => "refuses",
            Outcome::Loads => "loads",
            Outcome::LeavesRecord => "leaves a record",
            Outcome::SomePlatforms => "some platforms",
        }
    }
}

/// The measured cells as a Markdown table: a row per damage class, a column per profile, each
/// cell the outcome per archive form (forms the engine does not read at all are left out).
pub fn matrix_markdown() -> String {
    let cells = &super::table().damage;
    let mut profiles: Vec<&str> = Vec::new();
    for c in cells {
        if !profiles.contains(&c.profile.as_str()) {
            profiles.push(&c.profile);
        }
    }
    let mut classes: Vec<DamageClass> = cells.iter().map(|c| c.class).collect();
    classes.sort();
    classes.dedup();
    let mut out = String::from(
        "\n## Damaged archives\n\nWhat each live engine did with an archive damaged in one way, per archive form \
         (`[[damage]]` in data/engines.toml, measured by `cargo test -p shipcheck-image --test damage`; \
         error texts are in the data). `shipcheck image --engine` shows the damage findings and, per engine, \
         this outcome: an engine that loads despite the damage says so. Forms an engine does not read at all are \
         left out.\n\n",
    );
    out.push_str(&format!("| damage | {} |\n|---|{}\n", profiles.join(" | "), "---|".repeat(profiles.len())));
    for class in classes {
        let mut row = format!("| `{}` |", class.name());
        for p in &profiles {
            // One entry per outcome (cells differ by error text too), its forms together.
            let mut parts: Vec<(Outcome, Vec<&str>)> = Vec::new();
            for c in cells.iter().filter(|c| c.class == class && c.profile == *p) {
                let forms = c.forms.iter().map(|f| f.name());
                match parts.iter_mut().find(|(o, _)| *o == c.outcome) {
                    Some((_, fs)) => fs.extend(forms),
                    None => parts.push((c.outcome, forms.collect())),
                }
            }
            let parts: Vec<String> =
                parts.iter().map(|(o, forms)| format!("{} ({})", o.name(), forms.join(", "))).collect();
            row.push_str(&format!(" {} |", if parts.is_empty() { "-".to_string() } else { parts.join("; ") }));
        }
        out.push_str(&row);
        out.push('\n');
    }
    out
}
