//! A deterministic writer of image archives and layouts from in-memory parts.
//!
//! It writes the shapes real tools write (OCI layout, legacy `docker save`, Docker 25+/BuildKit
//! hybrid, nested multi-platform indexes with attestation manifests) byte-for-byte reproducibly:
//! fixed mtimes, sorted keys, no host metadata. Tests use it for the shapes skopeo, umoci and
//! buildah cannot make, and it is the base `shipcheck convert` builds on.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use serde_json::{json, Value};
use shipcheck_core::scratch::Dir;

use crate::digest::{sha256, Digest, Hasher};
use crate::model;
use crate::platform::Platform;
use crate::scan::Compression;

/// A file inside a layer.
#[derive(Clone, Debug)]
pub struct LayerFile {
    pub path: String,
    pub data: Vec<u8>,
    pub mode: u32,
}

impl LayerFile {
    pub fn new(path: &str, data: impl Into<Vec<u8>>, mode: u32) -> LayerFile {
        LayerFile { path: path.to_string(), data: data.into(), mode }
    }
}

#[derive(Clone, Debug)]
pub struct LayerDraft {
    pub files: Vec<LayerFile>,
    pub compression: Compression,
}

#[derive(Clone, Debug)]
pub struct ImageDraft {
    pub platform: Platform,
    pub layers: Vec<LayerDraft>,
    /// Full references (`example.com/app:1.0`).
    pub names: Vec<String>,
}

/// The archive layout to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// oci-layout, index.json, blobs/.
    Oci,
    /// `docker save` v1.2 before Docker 25: manifest.json, repositories, `<id>/layer.tar`, `<hex>.json`.
    DockerLegacy,
    /// Docker 25+ and BuildKit `type=docker`: both of the above over one blobs/ store.
    Hybrid,
}

#[derive(Clone, Debug)]
pub struct ArchiveDraft {
    pub images: Vec<ImageDraft>,
    pub shape: Shape,
    /// Put all images under one nested image index (a multi-platform image) in index.json.
    pub multi_platform: bool,
    /// Add a BuildKit-style attestation manifest per platform (needs `multi_platform`).
    pub attestations: bool,
    /// Write only the tag in `org.opencontainers.image.ref.name` (BuildKit), not the full name.
    pub ref_name_tag_only: bool,
}

/// The files of an archive, in write order. Tests may edit them before writing.
#[derive(Clone, Debug, Default)]
pub struct Built {
    pub files: Vec<(String, Vec<u8>)>,
}

fn canonical(v: &Value) -> Vec<u8> {
    // serde_json's map is a BTreeMap here (no preserve_order): keys come out sorted.
    serde_json::to_vec(v).expect("JSON values always serialize")
}

/// Builds a tar of `files` with fixed metadata.
pub fn tar_bytes(files: &[LayerFile]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for f in files {
        let mut h = tar::Header::new_ustar();
        h.set_size(f.data.len() as u64);
        h.set_mode(f.mode);
        h.set_mtime(0);
        h.set_uid(0);
        h.set_gid(0);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, &f.path, &f.data[..]).expect("in-memory tar cannot fail");
    }
    b.into_inner().expect("in-memory tar cannot fail")
}

pub fn compress(data: &[u8], c: Compression) -> io::Result<Vec<u8>> {
    match c {
        Compression::None => Ok(data.to_vec()),
        Compression::Gzip => {
            let mut e = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::fast());
            e.write_all(data)?;
            e.finish()
        }
        Compression::Zstd => zstd::stream::encode_all(data, 3),
        Compression::Xz => {
            let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
            e.write_all(data)?;
            e.finish()
        }
        Compression::Bzip2 => Err(io::Error::other("bzip2 is not written")),
    }
}

struct BuiltImage {
    manifest: Vec<u8>,
    manifest_digest: Digest,
    config: Vec<u8>,
    config_digest: Digest,
    layers: Vec<(Digest, Vec<u8>, Digest)>, // (digest, bytes, diff_id)
}

fn build_image(img: &ImageDraft) -> io::Result<BuiltImage> {
    let mut layers = Vec::new();
    let mut descs = Vec::new();
    for l in &img.layers {
        let tar = tar_bytes(&l.files);
        let diff_id = sha256(&tar);
        let bytes = compress(&tar, l.compression)?;
        let digest = sha256(&bytes);
        descs.push(json!({"mediaType": crate::model::layer_media_type(l.compression, false), "digest": digest.to_string(), "size": bytes.len()}));
        layers.push((digest, bytes, diff_id));
    }
    let mut config = json!({
        "architecture": img.platform.arch,
        "os": img.platform.os,
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.2.to_string()).collect::<Vec<_>>()},
        "history": layers.iter().map(|_| json!({"created_by": "shipcheck write"})).collect::<Vec<_>>(),
    });
    if let Some(v) = &img.platform.variant {
        config["variant"] = json!(v);
    }
    let config = canonical(&config);
    let config_digest = sha256(&config);
    let manifest = canonical(&json!({
        "schemaVersion": 2,
        "mediaType": model::OCI_MANIFEST,
        "config": {"mediaType": model::OCI_CONFIG, "digest": config_digest.to_string(), "size": config.len()},
        "layers": descs,
    }));
    let manifest_digest = sha256(&manifest);
    Ok(BuiltImage { manifest, manifest_digest, config, config_digest, layers })
}

fn platform_json(p: &Platform) -> Value {
    let mut v = json!({"architecture": p.arch, "os": p.os});
    if let Some(var) = &p.variant {
        v["variant"] = json!(var);
    }
    v
}

impl Built {
    fn add(&mut self, path: String, data: Vec<u8>) {
        if !self.files.iter().any(|(p, _)| *p == path) {
            self.files.push((path, data));
        }
    }

    /// A reproducible tar of the files (mode 0644, mtime 0, parent directories implied).
    pub fn to_tar(&self) -> Vec<u8> {
        let files: Vec<LayerFile> = self.files.iter().map(|(p, d)| LayerFile::new(p, d.clone(), 0o644)).collect();
        tar_bytes(&files)
    }

    /// Writes the files under `dir` (an OCI layout directory), each through the directory
    /// handle: a path with `..` or an absolute one is refused, no link under `dir` is followed,
    /// and an existing file is replaced atomically.
    pub fn write_dir(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let root = Dir::open(dir)?;
        for (p, d) in &self.files {
            let sub;
            let (at, name) = match p.rsplit_once('/') {
                Some((parent, name)) => {
                    sub = root.create_dirs(parent)?;
                    (&sub, name)
                }
                None => (&root, p.as_str()),
            };
            at.write_atomic(name, d, true)?;
        }
        Ok(())
    }

    pub fn get_mut(&mut self, path: &str) -> Option<&mut Vec<u8>> {
        self.files.iter_mut().find(|(p, _)| p == path).map(|(_, d)| d)
    }

    pub fn remove(&mut self, path: &str) {
        self.files.retain(|(p, _)| p != path);
    }
}

impl ArchiveDraft {
    pub fn new(shape: Shape, images: Vec<ImageDraft>) -> ArchiveDraft {
        ArchiveDraft { images, shape, multi_platform: false, attestations: false, ref_name_tag_only: false }
    }

    pub fn build(&self) -> io::Result<Built> {
        let built: Vec<BuiltImage> = self.images.iter().map(build_image).collect::<io::Result<_>>()?;
        let mut out = Built::default();
        if self.shape != Shape::DockerLegacy {
            out.add("oci-layout".into(), br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec());
            let blob = |d: &Digest| d.blob_path();
            let mut top = Vec::new();
            let mut nested = Vec::new();
            for (img, b) in self.images.iter().zip(&built) {
                for (d, bytes, _) in &b.layers {
                    out.add(blob(d), bytes.clone());
                }
                out.add(blob(&b.config_digest), b.config.clone());
                out.add(blob(&b.manifest_digest), b.manifest.clone());
                let mut desc = json!({
                    "mediaType": model::OCI_MANIFEST,
                    "digest": b.manifest_digest.to_string(),
                    "size": b.manifest.len(),
                    "platform": platform_json(&img.platform),
                });
                if self.multi_platform {
                    nested.push(desc);
                    if self.attestations {
                        nested.push(self.attestation(&mut out, b)?);
                    }
                } else {
                    if let Some(name) = img.names.first() {
                        desc["annotations"] = self.name_annotations(name);
                    }
                    top.push(desc);
                }
            }
            if self.multi_platform {
                let index = canonical(&json!({"schemaVersion": 2, "mediaType": model::OCI_INDEX, "manifests": nested}));
                let d = sha256(&index);
                out.add(blob(&d), index.clone());
                let mut desc = json!({"mediaType": model::OCI_INDEX, "digest": d.to_string(), "size": index.len()});
                if let Some(name) = self.images.first().and_then(|i| i.names.first()) {
                    desc["annotations"] = self.name_annotations(name);
                }
                top.push(desc);
            }
            let index = canonical(&json!({"schemaVersion": 2, "mediaType": model::OCI_INDEX, "manifests": top}));
            out.add("index.json".into(), index);
        }
        if self.shape != Shape::Oci {
            let mut entries = Vec::new();
            let mut repositories = serde_json::Map::new();
            for (img, b) in self.images.iter().zip(&built) {
                let (config_path, layer_paths) = if self.shape == Shape::Hybrid {
                    (b.config_digest.blob_path(), b.layers.iter().map(|l| l.0.blob_path()).collect::<Vec<_>>())
                } else {
                    let cfg = format!("{}.json", b.config_digest.hex);
                    out.add(cfg.clone(), b.config.clone());
                    let mut paths = Vec::new();
                    for (_, _, diff_id) in &b.layers {
                        // Legacy saves store uncompressed layers in v1 directories.
                        let id = diff_id.hex.clone();
                        out.add(format!("{id}/VERSION"), b"1.0".to_vec());
                        out.add(format!("{id}/json"), canonical(&json!({"id": id})));
                        paths.push(format!("{id}/layer.tar"));
                    }
                    for ((_, _, diff_id), draft) in b.layers.iter().zip(&img.layers) {
                        out.add(format!("{}/layer.tar", diff_id.hex), tar_bytes(&draft.files));
                    }
                    (cfg, paths)
                };
                for name in &img.names {
                    if let Some((repo, tag)) = name.rsplit_once(':').filter(|(_, t)| !t.contains('/')) {
                        let top_layer = b.layers.last().map(|l| l.2.hex.clone()).unwrap_or_default();
                        repositories
                            .entry(repo.to_string())
                            .or_insert_with(|| json!({}))
                            .as_object_mut()
                            .expect("inserted as object")
                            .insert(tag.to_string(), json!(top_layer));
                    }
                }
                entries.push(json!({"Config": config_path, "RepoTags": img.names, "Layers": layer_paths}));
            }
            out.add("manifest.json".into(), canonical(&Value::Array(entries)));
            if self.shape == Shape::DockerLegacy && !repositories.is_empty() {
                out.add("repositories".into(), canonical(&Value::Object(repositories)));
            }
        }
        Ok(out)
    }

    fn name_annotations(&self, name: &str) -> Value {
        let tag = name.rsplit_once(':').filter(|(_, t)| !t.contains('/')).map_or("latest", |(_, t)| t);
        let ref_name = if self.ref_name_tag_only { tag.to_string() } else { name.to_string() };
        json!({model::ANN_CONTAINERD_NAME: name, model::ANN_REF_NAME: ref_name})
    }

    /// A BuildKit-shaped attestation manifest for `b`: platform unknown/unknown, an in-toto layer.
    fn attestation(&self, out: &mut Built, b: &BuiltImage) -> io::Result<Value> {
        let statement = canonical(&json!({
            "_type": "https://in-toto.io/Statement/v0.1",
            "predicateType": "https://slsa.dev/provenance/v0.2",
            "subject": [{"name": "_", "digest": {"sha256": b.manifest_digest.hex}}],
            "predicate": {"builder": {"id": "shipcheck-test"}},
        }));
        let sd = sha256(&statement);
        let config = canonical(
            &json!({"architecture": "unknown", "os": "unknown", "config": {}, "rootfs": {"type": "layers", "diff_ids": [sd.to_string()]}}),
        );
        let cd = sha256(&config);
        let manifest = canonical(&json!({
            "schemaVersion": 2,
            "mediaType": model::OCI_MANIFEST,
            "config": {"mediaType": model::OCI_CONFIG, "digest": cd.to_string(), "size": config.len()},
            "layers": [{"mediaType": "application/vnd.in-toto+json", "digest": sd.to_string(), "size": statement.len(),
                        "annotations": {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}}],
        }));
        let md = sha256(&manifest);
        out.add(sd.blob_path(), statement);
        out.add(cd.blob_path(), config);
        out.add(md.blob_path(), manifest.clone());
        Ok(json!({
            "mediaType": model::OCI_MANIFEST,
            "digest": md.to_string(),
            "size": manifest.len(),
            "platform": {"architecture": "unknown", "os": "unknown"},
            "annotations": {model::ANN_REFERENCE_DIGEST: b.manifest_digest.to_string(), model::ANN_REFERENCE_TYPE: "attestation-manifest"},
        }))
    }
}

/// Why a blob was not written to a layout.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The digest is not `algorithm:<hex>` of the right length: it never becomes a path.
    #[error("{0}")]
    Invalid(#[from] crate::digest::DigestError),
    /// Reading the bytes failed.
    #[error("cannot read: {0}")]
    Read(io::Error),
    /// Writing the layout failed.
    #[error("cannot write: {0}")]
    Write(io::Error),
    /// The bytes read do not hash to the digest, or number other than expected: nothing of them
    /// was kept.
    #[error("the {bytes} bytes read have digest {got}")]
    Mismatch { got: Digest, bytes: u64 },
}

/// An OCI layout being written, through a handle on its directory. Blob paths are built only
/// from typed digests that pass [`Digest::check`]; every file is created by name relative to
/// an open directory, exclusively and without following links, then renamed into place; so no
/// digest or name from an image can make a write land outside the layout, and an interrupted
/// write leaves only a registered scratch file (see `shipcheck_core::scratch`).
pub struct LayoutWriter {
    root: Dir,
    blobs: Dir,
}

impl LayoutWriter {
    /// A writer over the layout directory `root`: new and empty, or an existing layout that an
    /// image is added to (blobs already there are kept).
    pub fn new(root: Dir) -> io::Result<LayoutWriter> {
        let blobs = root.create_dir("blobs")?;
        Ok(LayoutWriter { root, blobs })
    }

    /// The layout's directory.
    pub fn root(&self) -> &Dir {
        &self.root
    }

    fn blob_dir(&self, d: &Digest) -> Result<Dir, BlobError> {
        d.check().map_err(BlobError::Invalid)?;
        self.blobs.create_dir(d.algorithm.name()).map_err(BlobError::Write)
    }

    /// Whether the layout has the blob `d` (a file or anything else of that name).
    pub fn has_blob(&self, d: &Digest) -> bool {
        d.check().is_ok() && self.blobs.open_dir(d.algorithm.name()).is_ok_and(|dir| dir.contains(&d.hex))
    }

    /// Streams `src` into the blob `d`, hashing it on the way: bytes that do not hash to `d`,
    /// or number other than `size`, are removed and nothing is kept. At most `size + 1` bytes
    /// are read. Returns the number of bytes written.
    pub fn put_blob(&self, d: &Digest, size: u64, src: &mut dyn Read) -> Result<u64, BlobError> {
        let dir = self.blob_dir(d)?;
        let (tmp, file) = dir.scratch_file().map_err(BlobError::Write)?;
        let mut out = io::BufWriter::with_capacity(crate::limits::CHUNK, file);
        let mut hasher = Hasher::new(d.algorithm);
        let mut buf = vec![0u8; crate::limits::CHUNK];
        let mut limited = src.take(size.saturating_add(1));
        let mut got = 0u64;
        loop {
            let n = limited.read(&mut buf).map_err(BlobError::Read)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(BlobError::Write)?;
            got += n as u64;
        }
        out.flush().map_err(BlobError::Write)?;
        drop(out);
        let digest = hasher.finish();
        if digest != *d || got != size {
            // `tmp` is removed when dropped.
            return Err(BlobError::Mismatch { got: digest, bytes: got });
        }
        dir.rename(tmp.name(), &dir, &d.hex, true).map_err(BlobError::Write)?;
        tmp.keep();
        Ok(got)
    }

    /// [`LayoutWriter::put_blob`] for bytes in memory (manifests, configs).
    pub fn put_bytes(&self, d: &Digest, bytes: &[u8]) -> Result<(), BlobError> {
        self.put_blob(d, bytes.len() as u64, &mut &bytes[..]).map(|_| ())
    }

    /// Copies the file `src`, which the caller hashed to `d` itself, as the blob `d` without
    /// hashing it again (convert, whose own work files these are).
    pub fn put_file_hashed(&self, d: &Digest, src: &Path) -> Result<(), BlobError> {
        let dir = self.blob_dir(d)?;
        let (tmp, mut out) = dir.scratch_file().map_err(BlobError::Write)?;
        let mut input = File::open(src).map_err(|e| BlobError::Read(at(src, e)))?;
        // io::copy between files uses copy_file_range: the bytes stay in the kernel.
        io::copy(&mut input, &mut out).map_err(BlobError::Write)?;
        drop(out);
        dir.rename(tmp.name(), &dir, &d.hex, true).map_err(BlobError::Write)?;
        tmp.keep();
        Ok(())
    }

    /// Writes the top-level file `name` (`oci-layout`, `index.json`, `manifest.json`)
    /// atomically, replacing it.
    pub fn put_top(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.root.write_atomic(name, bytes, true)
    }
}

fn at(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}
