//! `docker load`, `podman load`, `ctr images import`, skopeo and buildah reading an archive or
//! layout, one function per [`Family`].

use shipcheck_core::reference::{self, has_tag};
use shipcheck_report::{Finding, Severity};

use super::damage::{self, Cell, Form, Outcome};
use super::{
    host_platform, is_reference, podman_normalize, pull, Family, Prediction, Profile, DAMAGE, DOCKER_IMPORT_DIR,
    ENGINE_ERROR,
};
use crate::digest::Digest;
use crate::scan::Compression;
use crate::source::Container;
use crate::verify::{ImageInfo, Origin, Verified};

/// Predicts what `p`'s engine does with the verified archive (or, for an image in a
/// registry, what `docker pull`, `podman pull` and `ctr images pull` do with it).
pub fn predict(v: &Verified, p: &'static Profile) -> Prediction {
    if v.shape.container == Container::Registry {
        return pull::predict_pull(v, p);
    }
    let want = expected(v);
    // Damage this engine was measured on is judged by the measurement, after the family's own
    // logic; other damage stops the load as it always did.
    let form = Form::of(v);
    let (unseen, seen): (Vec<_>, Vec<_>) =
        damage::present(v).into_iter().partition(|(class, f)| unseen(v, p, *class, f));
    let measured: Vec<(&Finding, &'static Cell)> =
        seen.into_iter().filter_map(|(class, f)| Some((f, damage::cell(p, class, form?)?))).collect();
    // Damage judged by a measured cell, or that this engine never reads: not the family's.
    let judged: Vec<damage::DamageClass> =
        measured.iter().map(|(_, cell)| cell.class).chain(unseen.iter().map(|(class, _)| *class)).collect();
    if !measured.iter().any(|(_, c)| c.class == damage::DamageClass::MalformedPax) {
        if let Some(text) = go_refusal(v) {
            return Prediction::fails(p, text, want);
        }
    }
    let a = Archive::new(v, p, want, judged);
    let base = match p.family {
        Family::DockerGraphdriver => a.docker_graphdriver(),
        Family::Podman => a.podman(),
        Family::CtrImport => a.ctr_import(),
        Family::ContainerdStore => a.containerd_store(),
        Family::DockerArchiveTransport => a.docker_archive_transport(),
        Family::OciArchiveTransport => a.oci_archive_transport(),
    };
    apply_damage(v, base, &measured)
}

/// Damage this engine never reads: a blob only another platform's image uses, missing from a
/// hybrid whose manifest.json (all Docker and the docker-archive transport read) does not list
/// that image. (Measured with a manifest.json that lists it: Docker loads the host's image and
/// fails on the other, leaving a record.)
fn unseen(v: &Verified, p: &Profile, class: damage::DamageClass, f: &Finding) -> bool {
    let manifest_json_only = matches!(p.family, Family::DockerGraphdriver | Family::DockerArchiveTransport);
    class == damage::DamageClass::BlobMissingOtherPlatform
        && manifest_json_only
        && !damage::users(v, f).iter().any(|i| i.origin == Origin::ManifestJson)
}

/// The family's prediction for the archive as if undamaged, turned into what the engine does
/// with the measured damage: any refusal wins (the first in class order: a truncation before
/// the wrong digests it causes), then a record left behind; damage it loads despite is named
/// (errors only: a note is no damage to load despite).
fn apply_damage(v: &Verified, mut pr: Prediction, measured: &[(&Finding, &'static Cell)]) -> Prediction {
    if !pr.verdict.loaded() {
        return pr;
    }
    // An engine that imports nothing (ctr, and a docker save without names) reads no blob, so
    // only damage to the archive itself stops it.
    let imports_nothing = pr.names.is_empty() && pr.ids.is_empty();
    let applies = |cell: &Cell| {
        !imports_nothing || matches!(cell.class, damage::DamageClass::Truncated | damage::DamageClass::MalformedPax)
    };
    let error =
        |cell: &Cell| cell.error.clone().unwrap_or_else(|| format!("the archive is damaged ({})", cell.class.name()));
    if let Some((_, cell)) = measured.iter().find(|(_, c)| c.outcome == Outcome::Refuses && applies(c)) {
        let mut refused = Prediction::fails(pr.profile, error(cell), pr.expected);
        refused.despite = vec![cell.class.name()];
        return refused;
    }
    if let Some((_, cell)) = measured.iter().find(|(_, c)| c.outcome == Outcome::LeavesRecord && applies(c)) {
        return pr.leaving_record(error(cell), Some(cell.class.name()));
    }
    for (f, cell) in measured {
        if f.severity < Severity::Error || !applies(cell) {
            continue;
        }
        pr.despite.push(cell.class.name());
        if cell.outcome == Outcome::SomePlatforms {
            // The platforms whose images use the damaged blob.
            let mut out: Vec<String> =
                damage::users(v, f).iter().filter_map(|i| i.platform.as_ref().map(|p| p.to_string())).collect();
            out.sort();
            out.dedup();
            pr.platforms_left_out.extend(out);
        }
    }
    pr
}

/// What every family's logic reads of one verified archive.
struct Archive<'v> {
    v: &'v Verified,
    p: &'static Profile,
    /// The names the archive asks for, fully qualified.
    want: Vec<String>,
    /// manifest.json's images.
    manifest_images: Vec<&'v ImageInfo>,
    /// index.json's images, attestations left out.
    index_images: Vec<&'v ImageInfo>,
    /// The damage classes decided outside the family logic (see [`Archive::new`]).
    judged: Vec<damage::DamageClass>,
    /// The damage finding that stops every load (none measured for this engine).
    fatal: Option<&'v Finding>,
    /// The error every load stops with: the archive's bytes are damaged.
    broken: Option<String>,
    /// Some layer is zstd-compressed.
    zstd: bool,
}

impl<'v> Archive<'v> {
    /// `judged`: the damage classes whose effect on this engine is decided outside the family
    /// logic (a measured cell, or damage the engine never reads).
    fn new(v: &'v Verified, p: &'static Profile, want: Vec<String>, judged: Vec<damage::DamageClass>) -> Archive<'v> {
        let is_judged = |f: &Finding| damage::class_of(v, f).is_some_and(|c| judged.contains(&c));
        // manifest.json naming files outside the archive stops only the engines that read
        // manifest.json: from a hybrid, podman, ctr and the oci-archive readers take index.json
        // (observed live, tests/damage.rs).
        let reads_index =
            v.shape.index_json && matches!(p.family, Family::Podman | Family::CtrImport | Family::OciArchiveTransport);
        let judged_elsewhere = |f: &Finding| is_judged(f) || (reads_index && names_outside(f));
        let fatal = fatal(v, &|f| !judged_elsewhere(f));
        let broken = fatal.map(|f| {
            outside_error(p, f).unwrap_or_else(|| format!("the archive is damaged ({}): {}", f.rule.id, f.message))
        });
        Archive {
            v,
            p,
            want,
            judged,
            fatal,
            manifest_images: v.images.iter().filter(|i| i.origin == Origin::ManifestJson).collect(),
            index_images: v.images.iter().filter(|i| i.origin == Origin::IndexJson && !i.attestation).collect(),
            broken,
            zstd: v.images.iter().any(|i| i.layers.iter().any(|l| l.compression == Some(Compression::Zstd))),
        }
    }

    /// What this engine does with `f`'s damage is decided outside the family logic.
    fn judged(&self, f: &Finding) -> bool {
        damage::class_of(self.v, f).is_some_and(|c| self.judged.contains(&c))
    }

    fn fails(&self, error: impl Into<String>) -> Prediction {
        Prediction::fails(self.p, error.into(), self.want.clone())
    }

    fn loads(&self, names: Vec<String>, ids: Vec<Option<String>>) -> Prediction {
        Prediction::loads(self.p, names, ids, self.want.clone())
    }

    /// manifest.json's RepoTags, image by image.
    fn repo_tags(&self) -> impl Iterator<Item = &'v String> + '_ {
        self.manifest_images.iter().flat_map(|i| i.repo_tags.iter())
    }

    /// The distinct index.json descriptors the images were reached from.
    fn tops(&self) -> Vec<String> {
        let mut tops: Vec<String> = self.index_images.iter().filter_map(|i| digest_text(&top_of(i))).collect();
        tops.sort();
        tops.dedup();
        tops
    }

    /// index.json points at a nested index (a multi-platform image), not straight at manifests.
    fn nested(&self) -> bool {
        self.index_images.iter().any(|i| i.top_digest.is_some() && i.top_digest != i.manifest_digest)
    }

    /// The index.json image for this host's platform.
    fn host_image(&self, host: &str) -> Option<&'v ImageInfo> {
        self.index_images.iter().copied().find(|i| i.platform.as_ref().is_some_and(|pl| pl.to_string() == host))
    }

    fn docker_graphdriver(&self) -> Prediction {
        let (v, p) = (self.v, self.p);
        if !v.shape.manifest_json && !v.shape.legacy_names.is_empty() && p.legacy_loader && self.broken.is_none() {
            // The legacy loader opens every layer `repositories` names: one absent stops it.
            if v.findings.iter().any(|f| f.rule.id == "image/blob-missing") {
                return self.fails(format!("open {DOCKER_IMPORT_DIR}/<id>/json: no such file or directory"));
            }
            // A save from before Docker 1.10: the legacy loader converts each v1 image and
            // computes its ID at load.
            let names: Vec<String> = v.shape.legacy_names.iter().map(|n| reference::familiar(n)).collect();
            let ids = names.iter().map(|_| None).collect();
            return self.loads(names, ids);
        }
        if !v.shape.manifest_json {
            let dir = v.shape.first_dir.clone().unwrap_or_else(|| "blobs".into());
            return self.fails(p.no_manifest_error.clone().unwrap_or_default().replace("{dir}", &dir));
        }
        if let Some(b) = &self.broken {
            return self.fails(b.clone());
        }
        if self.zstd && !p.zstd {
            return self.fails("zstd-compressed layers are not supported before Docker 23");
        }
        if let Some(t) = self.repo_tags().find(|t| !has_tag(t)) {
            return self.fails(format!("invalid tag \"{t}\""));
        }
        // A manifest.json that lists nothing (`null`, `[]`) loads nothing, successfully.
        self.loads(
            self.repo_tags().map(|t| reference::familiar(t)).collect(),
            self.manifest_images.iter().map(|i| config_id(v, i)).collect(),
        )
    }

    fn podman(&self) -> Prediction {
        if let Some(b) = &self.broken {
            return self.fails(b.clone());
        }
        // The oci-archive transport reads an index.json with one top-level descriptor; from
        // a nested index it takes the host's platform.
        let tops = self.tops();
        let host = host_platform();
        let chosen = match (tops.len(), self.nested()) {
            (1, false) if self.index_images.len() == 1 => Some(self.index_images[0]),
            (1, true) => self.host_image(&host),
            _ => None,
        };
        if let (true, Some(i)) = (self.v.shape.index_json, chosen) {
            return self.podman_oci(i);
        }
        if self.v.shape.manifest_json {
            if let Some(t) = self.repo_tags().find(|t| !has_tag(t)) {
                let full = reference::normalize(t);
                return self
                    .fails(format!("Invalid tag {t} ({}): does not contain a tag", full.trim_end_matches(":latest")));
            }
            return self.loads(
                self.repo_tags().map(|t| podman_normalize(t)).collect(),
                self.manifest_images.iter().map(|i| config_id(self.v, i)).collect(),
            );
        }
        if self.v.shape.index_json && tops.len() == 1 {
            return self.fails(format!("choosing an image from manifest list: no image found for {host}"));
        }
        self.fails("docker-archive: loading tar component manifest.json: file does not exist")
    }

    /// Podman's oci-archive transport loading the one image `i`.
    fn podman_oci(&self, i: &ImageInfo) -> Prediction {
        // `podman load -i DIR` reads a layout directory through the oci: transport, which
        // names the image by the directory's absolute path, whatever index.json says
        // (observed with podman 4.3.1, tests/damage.rs).
        let by_path = (self.v.shape.container == Container::Directory).then(|| {
            let path = std::path::absolute(&self.v.tree.root).unwrap_or_else(|_| self.v.tree.root.clone());
            format!("localhost{}:latest", path.display())
        });
        let name = match (&i.containerd_name, &i.ref_name) {
            _ if by_path.is_some() => by_path,
            (Some(c), _) if self.p.containerd_names => Some(podman_normalize(c)),
            (_, Some(r)) if is_reference(r) => Some(podman_normalize(r)),
            // A bare tag in ref.name becomes a repository: `localhost/<tag>:latest`.
            (_, Some(r)) if !r.is_empty() => Some(format!("localhost/{r}:latest")),
            _ => None,
        };
        if let Some(n) = name.as_ref().filter(|n| !podman_parses(n)) {
            return self.fails(format!("invalid reference format: {n}: repository name must be lowercase"));
        }
        self.loads(name.into_iter().collect(), vec![digest_text(&i.config_digest)])
    }

    fn ctr_import(&self) -> Prediction {
        match self.v.shape.container {
            Container::Directory => return self.fails("ctr images import reads a tar archive, not a directory"),
            Container::Tar(c) if c != Compression::None && !self.p.compressed_archives => {
                return self.fails("ctr: archive/tar: invalid tar header")
            }
            _ => {}
        }
        if self.v.shape.index_json {
            self.ctr_index()
        } else if self.v.shape.manifest_json && !self.manifest_images.is_empty() {
            self.ctr_manifest_json()
        } else {
            self.fails("ctr: unrecognized image format")
        }
    }

    /// ctr importing an OCI layout: every image of the host's platform, under its name.
    fn ctr_index(&self) -> Prediction {
        if self.index_images.is_empty() {
            return self.fails("ctr: image might be filtered out");
        }
        if self.v.findings.iter().any(|f| f.rule.id == "image/blob-missing" && !self.judged(f)) {
            return self.fails("ctr: content digest …: not found");
        }
        if let Some(b) = &self.broken {
            return self.fails(b.clone());
        }
        let mut names = Vec::new();
        let mut ids = Vec::new();
        for i in &self.index_images {
            // ctr names an image without a full reference `import-<date>:<ref.name>`
            // (its default --base-name).
            let name = match (&i.containerd_name, &i.ref_name) {
                (Some(c), _) => Some(reference::normalize(c)),
                (None, Some(r)) if is_reference(r) => Some(reference::normalize(r)),
                (None, Some(r)) if !r.is_empty() => Some(format!("import-{}:{r}", today())),
                _ => None,
            };
            if let Some(n) = name {
                if !names.contains(&n) {
                    names.push(n);
                    ids.push(digest_text(&top_of(i)));
                }
            }
        }
        let host = host_platform();
        if self.host_image(&host).is_none() {
            // ctr imports the host's platform only: a single foreign image is filtered
            // out; a nested index without the host's platform fails to unpack. With
            // --all-platforms a single foreign image imports, and a nested index is imported
            // (its record stays) before the unpack fails.
            if self.nested() {
                let error = format!("no match for platform in manifest: the image has no {host}");
                if !self.p.all_platforms {
                    return self.fails(error);
                }
                return self.loads(names, ids).leaving_record(error, None);
            }
            if !self.p.all_platforms {
                return self.fails(format!(
                    "ctr: image might be filtered out (the image is not for {host}, this host's platform)"
                ));
            }
        }
        self.loads(names, ids)
    }

    /// ctr importing a `docker save` archive without an OCI layout.
    fn ctr_manifest_json(&self) -> Prediction {
        let names: Vec<String> = self.repo_tags().map(|t| reference::normalize(t)).collect();
        // Without names ctr imports nothing it lists, and reads nothing it could refuse.
        if names.is_empty() {
            return self.loads(names, Vec::new());
        }
        if let Some(f) = self.fatal {
            return self.fails(match f.rule.id {
                "image/layer-count-mismatch" => "ctr: mismatched image rootfs and manifest layers".to_string(),
                "image/diff-id-mismatch" => "ctr: wrong diff id calculated on extraction".to_string(),
                _ => self.broken.clone().unwrap_or_default(),
            });
        }
        // containerd converts the docker save entry into a manifest of its own (ctr_import.rs).
        let ids = super::ctr_import::image_ids(self.v, &self.manifest_images);
        self.loads(names, ids)
    }

    fn containerd_store(&self) -> Prediction {
        if let Some(b) = &self.broken {
            return self.fails(b.clone());
        }
        if self.v.shape.index_json && !self.index_images.is_empty() {
            let names = self
                .index_images
                .iter()
                .filter_map(|i| i.containerd_name.clone().or_else(|| i.ref_name.clone().filter(|r| is_reference(r))))
                .map(|n| reference::familiar(&n))
                .collect();
            let ids = self.index_images.iter().map(|i| digest_text(&top_of(i))).collect();
            self.loads(names, ids)
        } else if self.v.shape.manifest_json && !self.manifest_images.is_empty() {
            self.loads(
                self.repo_tags().map(|t| reference::familiar(t)).collect(),
                self.manifest_images.iter().map(|_| None).collect(),
            )
        } else {
            self.fails("invalid archive: does not contain a manifest.json")
        }
    }

    fn docker_archive_transport(&self) -> Prediction {
        if !self.v.shape.manifest_json {
            return self.fails("loading tar component manifest.json: file does not exist");
        }
        match self.manifest_images.len() {
            0 => return self.fails("determining manifest MIME type: manifest.json lists no image"),
            1 => {}
            n => {
                return self.fails(format!("the archive holds {n} images: name one with docker-archive:FILE:REF or @N"))
            }
        }
        if let Some(b) = &self.broken {
            return self.fails(b.clone());
        }
        self.loads(
            self.repo_tags().cloned().collect(),
            self.manifest_images.iter().map(|i| digest_text(&i.config_digest)).collect(),
        )
    }

    fn oci_archive_transport(&self) -> Prediction {
        if !self.v.shape.index_json {
            return self.fails("open index.json: no such file or directory");
        }
        if let Some(b) = &self.broken {
            return self.fails(b.clone());
        }
        let tops = self.tops();
        if tops.len() != 1 {
            return self
                .fails(format!("index.json holds {} images: choose one with oci-archive:FILE:NAME", tops.len()));
        }
        let host = host_platform();
        let chosen = if self.nested() { self.host_image(&host) } else { self.index_images.first().copied() };
        let Some(i) = chosen else {
            return self.fails(format!("choosing an image from manifest list: no image found for {host}"));
        };
        // `buildah pull` stores the image under its ref.name, which must be a valid name;
        // skopeo copies and keeps no names.
        if let Some(r) = i.ref_name.as_ref().filter(|_| self.p.names_images) {
            if !podman_parses(&podman_normalize(r)) {
                return self.fails(format!("normalizing name \"{r}\": repository name must be lowercase"));
            }
        }
        self.loads(i.containerd_name.iter().cloned().collect(), vec![digest_text(&i.config_digest)])
    }
}

/// A name containers/image parses: a lower-case repository path (the registry may have
/// capitals).
fn podman_parses(name: &str) -> bool {
    let (repo, _) = reference::split_tag(name);
    let path = match reference::registry_of(repo) {
        Some(registry) => &repo[registry.len() + 1..],
        None => repo,
    };
    !path.is_empty() && path.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(c))
}

/// A config file of a docker save whose name is not its digest: engines load it anyway and
/// take the digest of its content as the image ID.
pub(super) fn misnamed_config(f: &Finding) -> bool {
    f.rule.id == "image/blob-digest-mismatch"
        && f.message.starts_with("config ")
        && f.evidence.iter().any(|(k, v)| k == "path" && !v.starts_with("blobs/"))
}

/// The first finding that stops every engine's load, among those `consider` accepts.
pub(super) fn fatal<'v>(v: &'v Verified, consider: &dyn Fn(&Finding) -> bool) -> Option<&'v Finding> {
    v.findings.iter().find(|f| {
        consider(f)
            && f.severity == Severity::Error
            && (DAMAGE.contains(&f.rule.id) || f.rule.id == "image/invalid-json" || names_outside(f))
            && !misnamed_config(f)
    })
}

/// manifest.json names a config or layer outside the archive: no engine finds it there
/// (Docker joins it to its unpack directory, containers/image and containerd look it up among
/// the members), so every load fails.
fn names_outside(f: &Finding) -> bool {
    f.rule.id == "image/archive-unsafe-entry" && f.evidence.iter().any(|(k, _)| k == crate::verify::MANIFEST_JSON_PATH)
}

/// What Go's `archive/tar` says when the archive itself has a header it refuses: every engine
/// reads archives with it, so every engine stops with that text.
fn go_refusal(v: &Verified) -> Option<String> {
    v.findings.iter().find_map(|f| {
        (f.rule.id == "image/truncated-archive")
            .then(|| f.evidence.iter().find(|(k, _)| k == ENGINE_ERROR).map(|(_, t)| t.clone()))?
    })
}

/// What each engine says of a manifest.json path outside the archive, as observed live
/// (tests/engines.rs, `hostile_archives_load_as_predicted`): Docker joins the path to its
/// unpack directory, containerd and containers/image look it up among the members.
fn outside_error(p: &Profile, f: &Finding) -> Option<String> {
    let path = f.evidence.iter().find(|(k, _)| k == crate::verify::MANIFEST_JSON_PATH).map(|(_, v)| v.as_str())?;
    let config = f.message.starts_with("manifest.json names config");
    Some(match (p.family, config) {
        (Family::DockerGraphdriver, _) if path.split('/').any(|c| c == "..") => {
            format!("evalSymlinksInScope: {path} is not in {DOCKER_IMPORT_DIR}")
        }
        (Family::DockerGraphdriver, _) => {
            format!("open {DOCKER_IMPORT_DIR}/{}: no such file or directory", path.trim_start_matches('/'))
        }
        (Family::CtrImport, true) => format!("ctr: image config \"{path}\" not found"),
        (Family::CtrImport, false) => format!("ctr: failed to resolve layers: layer \"{path}\" not found"),
        (Family::Podman | Family::DockerArchiveTransport, true) => {
            format!("loading tar component {path}: file does not exist")
        }
        (Family::Podman | Family::DockerArchiveTransport, false) => {
            "Some layer tarfiles are missing in the tarball".into()
        }
        (Family::ContainerdStore | Family::OciArchiveTransport, _) => return None,
    })
}

/// The image ID engines give a docker save entry: the digest of its config's content.
fn config_id(v: &Verified, i: &ImageInfo) -> Option<String> {
    let declared = digest_text(&i.config_digest)?;
    let actual = v.findings.iter().filter(|f| misnamed_config(f)).find_map(|f| {
        let expected = f.evidence.iter().find(|(k, _)| k == "expected").map(|(_, v)| v.as_str());
        (expected == Some(declared.as_str()))
            .then(|| f.evidence.iter().find(|(k, _)| k == "actual").map(|(_, v)| v.clone()))?
    });
    Some(actual.unwrap_or(declared))
}

pub(super) fn digest_text(d: &Option<Digest>) -> Option<String> {
    d.as_ref().map(|d| d.to_string())
}

/// The index.json descriptor an image was reached from: its nested index, or itself.
pub(super) fn top_of(i: &ImageInfo) -> Option<Digest> {
    i.top_digest.clone().or(i.manifest_digest.clone())
}

/// The names the archive asks for: RepoTags, containerd names, ref.names that are references.
fn expected(v: &Verified) -> Vec<String> {
    let mut out: Vec<String> = v.shape.legacy_names.iter().map(|n| reference::normalize(n)).collect();
    for i in v.images.iter().filter(|i| !i.attestation) {
        let refs = i.ref_name.iter().filter(|r| is_reference(r));
        for n in i.repo_tags.iter().chain(i.containerd_name.iter()).chain(refs) {
            let n = reference::normalize(n);
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out.sort();
    out
}

/// Today's date (UTC) as `YYYY-MM-DD`, as ctr's default base name has it.
fn today() -> String {
    let days =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() / 86_400).unwrap_or(0)
            as i64;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
