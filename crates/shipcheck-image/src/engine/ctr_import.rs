//! The manifest `ctr images import` writes for a `docker save` entry (manifest.json, no OCI
//! index.json), and so the digest `ctr images ls` shows for it.
//!
//! Source: containerd v1.6.20 `images/archive/importer.go`, `ImportIndex` (unchanged in what it
//! writes through v1.7.x and v2.x `core/images/archive/importer.go`). For each manifest.json
//! entry it `json.Marshal`s an anonymous struct `{SchemaVersion, MediaType, Config, Layers}`
//! into the content store (`writeManifest`) and puts that manifest's descriptor, one per
//! RepoTag, in an index it writes too. `ctr images import` (v1.6.20 `import.go`, `Client.Import`)
//! creates one image per index entry with the entry itself as target, so the DIGEST column is
//! the manifest's digest, not the index's.
//!
//! What goes into it:
//! - config: the digest of the config member's bytes and its tar header size, with Docker's
//!   config media type;
//! - each layer: the digest of its member's bytes as stored and its tar header size; its media
//!   type from the first 10 bytes (`archive/compression.DecompressStream`): gzip (`1f 8b 08`)
//!   or zstd (frame or skippable-frame magic) give `...diff.tar.gzip` (zstd too: the importer
//!   knows no other compressed type), anything else (also xz, bzip2, an empty file) gives
//!   `...diff.tar`.
//!
//! Not modelled: `--compress-blobs` (ctr's default is off; with it, uncompressed layers are
//! gzipped by Go's compress/gzip at import), and the store lookup `resolveLayers` does first: a
//! blob already in the namespace labelled `containerd.io/uncompressed` = a layer's digest (left
//! by an earlier unpack of the same layer content compressed) replaces that layer. The
//! prediction holds for a namespace that has no such blob, as after a first import.

use serde::Serialize;

use shipcheck_core::reference::normalize;

use crate::digest::{sha256, Algorithm, Digest};
use crate::model::{DOCKER_CONFIG, DOCKER_MANIFEST};
use crate::scan::Compression;
use crate::verify::{ImageInfo, Verified};

/// `images.MediaTypeDockerSchema2Layer`.
const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar";
/// `images.MediaTypeDockerSchema2LayerGzip`.
const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// The importer's anonymous manifest struct (importer.go, v1.6.20, `ImportIndex`): Go writes
/// fields in declaration order, and none of these has `omitempty`.
#[derive(Serialize)]
struct Manifest<'a> {
    /// `SchemaVersion int `json:"schemaVersion"``: always 2.
    #[serde(rename = "schemaVersion")]
    schema_version: u32,
    /// `MediaType string `json:"mediaType"``: `images.MediaTypeDockerSchema2Manifest`.
    #[serde(rename = "mediaType")]
    media_type: &'a str,
    /// `Config ocispec.Descriptor `json:"config"``.
    config: Descriptor<'a>,
    /// `Layers []ocispec.Descriptor `json:"layers"``: made with `make(..., len(layers))`, so an
    /// entry without layers writes `[]`, never `null`.
    layers: Vec<Descriptor<'a>>,
}

/// `ocispec.Descriptor` (image-spec v1.1.0-rc2 vendored in v1.6.20, v1.1.0 in v1.7): fields in
/// the order `mediaType`, `digest`, `size`, then `urls`, `annotations`, `data`, `platform`,
/// `artifactType`, all `omitempty` and never set by the importer for a config or layer, so left
/// out. `mediaType` is `omitempty` in rc2 only; it is always set here, so both write it.
#[derive(Serialize)]
struct Descriptor<'a> {
    #[serde(rename = "mediaType")]
    media_type: &'a str,
    /// `digest.Digest`: `sha256:<hex>` of the member's bytes (`onUntarBlob`).
    digest: String,
    /// `int64`: the member's tar header size (`hdr.Size`).
    size: u64,
}

/// The media type the importer gives a layer whose bytes sniff as `c` (`resolveLayers`):
/// every compression `DecompressStream` knows (gzip, zstd) is called gzip.
fn layer_media_type(c: Compression) -> &'static str {
    match c {
        Compression::Gzip | Compression::Zstd => DOCKER_LAYER_GZIP,
        Compression::None | Compression::Xz | Compression::Bzip2 => DOCKER_LAYER,
    }
}

/// The importer computes sha256 only (`digest.Canonical`).
fn sha256_text(d: &Option<Digest>) -> Option<String> {
    d.as_ref().filter(|d| d.algorithm == Algorithm::Sha256).map(|d| d.to_string())
}

/// The exact bytes of the manifest ctr writes for the manifest.json entry `i`; `None` where a
/// fact it needs was not read (a layer's content under `--fast`, a missing member).
pub(super) fn manifest_json(v: &Verified, i: &ImageInfo) -> Option<Vec<u8>> {
    let config_size = v.tree.entries.get(i.config_path.as_deref()?)?.size;
    let config = Descriptor { media_type: DOCKER_CONFIG, digest: sha256_text(&i.config_digest)?, size: config_size };
    let layers = i
        .layers
        .iter()
        .map(|l| {
            Some(Descriptor {
                media_type: layer_media_type(l.compression?),
                digest: sha256_text(&l.digest)?,
                size: l.size,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let m = Manifest { schema_version: 2, media_type: DOCKER_MANIFEST, config, layers };
    // Go's json.Marshal and serde_json agree here: no spaces, no HTML escaping needed (the
    // strings are media types and hex digests).
    Some(serde_json::to_vec(&m).expect("the manifest always serializes"))
}

/// The digest `ctr images ls` shows for the manifest.json entry `i`.
pub(super) fn manifest_digest(v: &Verified, i: &ImageInfo) -> Option<String> {
    manifest_json(v, i).map(|b| sha256(&b).to_string())
}

/// The digests `ctr images ls` shows, one per RepoTag of `images` in order. A name a later
/// entry gives again ends up on that entry's manifest: `Client.Import` updates the image's
/// target in index order.
pub(super) fn image_ids(v: &Verified, images: &[&ImageInfo]) -> Vec<Option<String>> {
    let tagged: Vec<(String, Option<String>)> = images
        .iter()
        .flat_map(|i| {
            let d = manifest_digest(v, i);
            i.repo_tags.iter().map(move |t| (normalize(t), d.clone()))
        })
        .collect();
    tagged.iter().map(|(t, _)| tagged.iter().rev().find(|(u, _)| u == t).and_then(|(_, d)| d.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Platform;
    use crate::write::{ArchiveDraft, Built, ImageDraft, LayerDraft, LayerFile, Shape};
    use crate::{SourceSpec, VerifyOptions};

    fn image(layers: &[Compression]) -> ImageDraft {
        ImageDraft {
            platform: Platform::parse("linux/amd64").unwrap(),
            layers: layers
                .iter()
                .enumerate()
                .map(|(n, &c)| LayerDraft {
                    files: vec![LayerFile::new("etc/n", format!("{n}"), 0o644)],
                    compression: c,
                })
                .collect(),
            names: vec!["example.com/app:1.0".into()],
        }
    }

    fn verified(built: &Built) -> (tempfile::TempDir, Verified) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.tar");
        std::fs::write(&path, built.to_tar()).unwrap();
        let v = crate::verify(&SourceSpec::parse(path.to_str().unwrap()).unwrap(), &VerifyOptions::default()).unwrap();
        (dir, v)
    }

    /// The member `path` of `built`: its digest and size, as the importer reads them.
    fn member(built: &Built, path: &str) -> (String, usize) {
        let bytes = &built.files.iter().find(|(p, _)| p == path).unwrap().1;
        (sha256(bytes).to_string(), bytes.len())
    }

    #[test]
    fn legacy_save_uncompressed_layers() {
        let built = ArchiveDraft::new(Shape::DockerLegacy, vec![image(&[Compression::None])]).build().unwrap();
        let (_dir, v) = verified(&built);
        let i = &v.images[0];
        let config = i.config_path.clone().unwrap();
        let layer = i.layers[0].path.clone().unwrap();
        let (cd, cs) = member(&built, &config);
        let (ld, ls) = member(&built, &layer);
        let want = format!(
            concat!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","#,
                r#""config":{{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"{}","size":{}}},"#,
                r#""layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar","digest":"{}","size":{}}}]}}"#
            ),
            cd, cs, ld, ls
        );
        let got = manifest_json(&v, i).unwrap();
        assert_eq!(String::from_utf8(got).unwrap(), want);
        assert_eq!(manifest_digest(&v, i).unwrap(), sha256(want.as_bytes()).to_string());
    }

    #[test]
    fn compressed_layers_are_gzip_zstd_too_and_no_layers_is_an_empty_list() {
        // A Docker 25 save without its OCI layout: blobs/sha256/<hex> members, compressed.
        let mut built =
            ArchiveDraft::new(Shape::Hybrid, vec![image(&[Compression::Gzip, Compression::Zstd])]).build().unwrap();
        built.remove("index.json");
        built.remove("oci-layout");
        let (_dir, v) = verified(&built);
        let text = String::from_utf8(manifest_json(&v, &v.images[0]).unwrap()).unwrap();
        let gzip = r#"{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"sha256:"#;
        assert_eq!(text.matches(gzip).count(), 2, "{text}");
        for l in &v.images[0].layers {
            let (d, s) = member(&built, l.path.as_deref().unwrap());
            assert!(text.contains(&format!(r#""digest":"{d}","size":{s}}}"#)), "{text}");
        }

        let built = ArchiveDraft::new(Shape::DockerLegacy, vec![image(&[])]).build().unwrap();
        let (_dir, v) = verified(&built);
        let text = String::from_utf8(manifest_json(&v, &v.images[0]).unwrap()).unwrap();
        assert!(text.ends_with(r#"},"layers":[]}"#), "{text}");
    }

    #[test]
    fn a_tag_given_again_takes_the_later_manifest() {
        let (mut a, b) = (image(&[Compression::None]), image(&[Compression::None, Compression::None]));
        a.names.push("example.com/app:2.0".into());
        let built = ArchiveDraft::new(Shape::DockerLegacy, vec![a, b]).build().unwrap();
        let (_dir, v) = verified(&built);
        let images: Vec<&ImageInfo> = v.images.iter().collect();
        let (first, second) = (manifest_digest(&v, images[0]), manifest_digest(&v, images[1]));
        assert_ne!(first, second);
        // app:1.0, app:2.0 (first entry), app:1.0 (second entry): ctr lists app:1.0 at the second.
        assert_eq!(image_ids(&v, &images), [second.clone(), first, second]);
    }

    #[test]
    fn unknown_without_layer_digests() {
        let built = ArchiveDraft::new(Shape::DockerLegacy, vec![image(&[Compression::None])]).build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.tar");
        std::fs::write(&path, built.to_tar()).unwrap();
        let opts = VerifyOptions { fast: true, ..VerifyOptions::default() };
        let v = crate::verify(&SourceSpec::parse(path.to_str().unwrap()).unwrap(), &opts).unwrap();
        assert_eq!(manifest_digest(&v, &v.images[0]), None);
    }
}
