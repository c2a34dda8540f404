//! A verified local source as a content store, for pushing it: its top-level manifests and
//! indexes byte for byte, and every blob by digest, readable from any offset (an upload resumes
//! mid-blob). Directories and uncompressed tars are read in place — a tar member is a byte
//! range of the archive — and a tar wrapped in a compressor is unpacked once into a work
//! directory beside the caller's choosing, so memory stays flat.
//!
//! A `docker save` archive without an OCI layout (manifest.json only) has no manifest to push:
//! one is written for each image, an OCI image manifest naming its config and layers as they
//! are (config digest, and so the image ID, unchanged; layers not recompressed).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::digest::{sha256, Digest};
use crate::model;
use crate::scan::Compression;
use crate::source::{Container, SourceSpec};
use crate::verify::{Origin, Verified};

/// A manifest or index to push, byte for byte, with the names the source gives it.
#[derive(Clone, Debug)]
pub struct Document {
    pub digest: Digest,
    pub media_type: String,
    pub bytes: Vec<u8>,
    pub names: Vec<String>,
}

pub struct Store {
    /// The directory holding the members (the layout itself, or the unpacked archive), or the
    /// uncompressed tar whose members are byte ranges.
    root: PathBuf,
    in_tar: bool,
    /// Resolved member path and size of each blob, by digest.
    blobs: HashMap<String, (String, u64)>,
    /// Member data offsets in an uncompressed tar.
    offsets: HashMap<String, u64>,
    /// Documents that exist only in memory (manifests written for docker-archive images).
    written: HashMap<String, Vec<u8>>,
    tops: Vec<Document>,
    /// The unpacked archive, removed when the store is dropped or on SIGINT/SIGTERM.
    _work: Option<shipcheck_core::scratch::Scratch>,
}

/// Why a verified source cannot be read as a content store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create a work directory in {}: {source}", dir.display())]
    WorkDir { dir: PathBuf, source: io::Error },
    #[error("cannot unpack {}: {source}", path.display())]
    Unpack { path: PathBuf, source: io::Error },
    /// The source is in a registry: its blobs are not files here.
    #[error("{0} is not a local source")]
    NotLocal(String),
    #[error("the source has no blob {0}")]
    NoBlob(String),
    #[error("blob {digest} is {size} bytes: expected a document under {} MiB", limit >> 20)]
    TooLarge { digest: String, size: u64, limit: u64 },
    #[error("{digest}: {source}")]
    Read { digest: String, source: io::Error },
    #[error("an image in manifest.json has no readable config")]
    NoConfig,
    #[error("{0} is not in the archive")]
    NotInArchive(String),
    #[error("layer {number} of {names} is not in the archive or was not read")]
    LayerMissing { number: usize, names: String },
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error("{0} holds no image")]
    NoImage(String),
    /// More than one image, and a push or copy takes one: `names` says which there are.
    #[error("{shown} holds {count} images ({names}): name one, as oci:DIR:REF, oci-archive:FILE:REF or docker-archive:FILE:@N")]
    ManyImages { shown: String, count: usize, names: String },
}

/// For callers that carry errors as text.
impl From<StoreError> for String {
    fn from(e: StoreError) -> String {
        e.to_string()
    }
}

impl Store {
    /// Opens the source `spec`, verified as `v`. An archive wrapped in a compressor is
    /// unpacked into a temporary directory inside `work_in`.
    pub fn open(spec: &SourceSpec, v: &Verified, work_in: &Path) -> Result<Store, StoreError> {
        let (root, in_tar, work) = match v.shape.container {
            Container::Directory => (spec.path.clone(), false, None),
            Container::Tar(Compression::None) => (spec.path.clone(), true, None),
            Container::Tar(c) => {
                // Work left by a killed run is removed first; this one is removed on signals.
                let _ = shipcheck_core::scratch::remove_stale(work_in);
                let work = shipcheck_core::scratch::Scratch::create_dir_in(work_in)
                    .map_err(|source| StoreError::WorkDir { dir: work_in.to_path_buf(), source })?;
                let dir = work.path().join("src");
                crate::convert::unpack(&spec.path, c, &dir)
                    .map_err(|source| StoreError::Unpack { path: spec.path.clone(), source })?;
                (dir, false, Some(work))
            }
            Container::Registry => return Err(StoreError::NotLocal(spec.display.clone())),
        };
        let mut store = Store {
            root,
            in_tar,
            blobs: HashMap::new(),
            offsets: v.tree.offsets.clone(),
            written: HashMap::new(),
            tops: Vec::new(),
            _work: work,
        };
        // Every regular file that is a blob by its name (blobs/ALG/HEX), links resolved.
        for path in v.tree.entries.keys() {
            let Some(rest) = path.strip_prefix("blobs/") else { continue };
            let Some((alg, hexd)) = rest.split_once('/') else { continue };
            if let (Ok(d), Ok(e)) = (Digest::parse(&format!("{alg}:{hexd}")), v.tree.resolve(path)) {
                store.blobs.insert(d.to_string(), (e.path.clone(), e.size));
            }
        }
        let from_index = v.images.iter().any(|i| i.origin == Origin::IndexJson);
        if from_index {
            store.tops = store.index_tops(v)?;
        } else {
            store.tops = store.docker_archive_tops(v)?;
        }
        Ok(store)
    }

    /// The top-level descriptors of index.json, in order, each read from its blob.
    fn index_tops(&self, v: &Verified) -> Result<Vec<Document>, StoreError> {
        let mut tops: Vec<Document> = Vec::new();
        for i in v.images.iter().filter(|i| i.origin == Origin::IndexJson) {
            let Some(top) = &i.top_digest else { continue };
            if tops.iter().any(|t| &t.digest == top) {
                continue;
            }
            let bytes = self.read(&top.to_string(), 4 << 20)?;
            let media_type = media_type_of(&bytes).unwrap_or_else(|| {
                if i.top_digest == i.manifest_digest {
                    i.manifest_media_type.clone().unwrap_or_else(|| model::OCI_MANIFEST.to_string())
                } else {
                    model::OCI_INDEX.to_string()
                }
            });
            let names: Vec<String> = v
                .images
                .iter()
                .filter(|o| o.top_digest.as_ref() == Some(top))
                .flat_map(|o| o.containerd_name.iter().chain(o.ref_name.iter()).chain(o.repo_tags.iter()))
                .cloned()
                .fold(Vec::new(), |mut acc, n| {
                    if !acc.contains(&n) {
                        acc.push(n);
                    }
                    acc
                });
            tops.push(Document { digest: top.clone(), media_type, bytes, names });
        }
        Ok(tops)
    }

    /// One OCI image manifest per manifest.json image, naming its config and layers as stored.
    fn docker_archive_tops(&mut self, v: &Verified) -> Result<Vec<Document>, StoreError> {
        let mut tops = Vec::new();
        for i in v.images.iter().filter(|i| i.origin == Origin::ManifestJson) {
            let (Some(config), Some(config_path)) = (&i.config_digest, &i.config_path) else {
                return Err(StoreError::NoConfig);
            };
            let config_size = v
                .tree
                .resolve(config_path)
                .map(|e| e.size)
                .map_err(|_| StoreError::NotInArchive(config_path.clone()))?;
            self.blobs.insert(config.to_string(), (config_path.clone(), config_size));
            let mut layers = Vec::new();
            for (n, l) in i.layers.iter().enumerate() {
                let (Some(d), Some(p)) = (&l.digest, &l.path) else {
                    return Err(StoreError::LayerMissing { number: n + 1, names: i.names.join(", ") });
                };
                self.blobs.insert(d.to_string(), (p.clone(), l.size));
                layers.push(
                    json!({"mediaType": model::layer_media_type(l.compression.unwrap_or(Compression::None), false), "digest": d.to_string(), "size": l.size}),
                );
            }
            let manifest = json!({
                "schemaVersion": 2,
                "mediaType": model::OCI_MANIFEST,
                "config": {"mediaType": model::OCI_CONFIG, "digest": config.to_string(), "size": config_size},
                "layers": layers,
            });
            let bytes = serde_json::to_vec(&manifest)?;
            let digest = sha256(&bytes);
            self.written.insert(digest.to_string(), bytes.clone());
            tops.push(Document { digest, media_type: model::OCI_MANIFEST.into(), bytes, names: i.repo_tags.clone() });
        }
        Ok(tops)
    }

    /// The images to push: index.json's top-level descriptors, or manifests written for a
    /// docker-archive's images.
    pub fn tops(&self) -> &[Document] {
        &self.tops
    }

    /// The size of a blob, if the store has it.
    pub fn size(&self, digest: &str) -> Option<u64> {
        if let Some(b) = self.written.get(digest) {
            return Some(b.len() as u64);
        }
        self.blobs.get(digest).map(|(_, s)| *s)
    }

    /// Opens a blob at `offset`.
    pub fn open_at(&self, digest: &str, offset: u64) -> io::Result<Box<dyn Read + Send>> {
        if let Some(b) = self.written.get(digest) {
            let start = (offset as usize).min(b.len());
            return Ok(Box::new(io::Cursor::new(b[start..].to_vec())));
        }
        let (path, size) = self
            .blobs
            .get(digest)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("the source has no blob {digest}")))?;
        let left = size.saturating_sub(offset);
        if self.in_tar {
            let start = self
                .offsets
                .get(path)
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{path} is not in the archive")))?;
            let mut f = File::open(&self.root)?;
            f.seek(SeekFrom::Start(start + offset))?;
            Ok(Box::new(io::BufReader::with_capacity(256 << 10, f.take(left))))
        } else {
            let mut f = File::open(self.root.join(path))?;
            f.seek(SeekFrom::Start(offset))?;
            Ok(Box::new(io::BufReader::with_capacity(256 << 10, f.take(left))))
        }
    }

    /// Reads a small blob (a manifest, index or config) whole.
    pub fn read(&self, digest: &str, limit: u64) -> Result<Vec<u8>, StoreError> {
        let size = self.size(digest).ok_or_else(|| StoreError::NoBlob(digest.to_string()))?;
        if size > limit {
            return Err(StoreError::TooLarge { digest: digest.to_string(), size, limit });
        }
        let mut out = Vec::with_capacity(size as usize);
        self.open_at(digest, 0)
            .and_then(|mut r| r.read_to_end(&mut out))
            .map_err(|source| StoreError::Read { digest: digest.to_string(), source })?;
        Ok(out)
    }
}

/// The media type a document declares, or the one its shape implies (an index has
/// `manifests`, an image manifest a `config`).
pub fn media_type_of(bytes: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if let Some(m) = v.get("mediaType").and_then(|m| m.as_str()) {
        return Some(m.to_string());
    }
    if v.get("manifests").is_some() {
        Some(model::OCI_INDEX.into())
    } else if v.get("config").is_some() {
        Some(model::OCI_MANIFEST.into())
    } else {
        None
    }
}

/// The images of `v` that a push or a copy takes: one, or an error that says how to choose.
pub fn single<'d>(tops: &'d [Document], shown: &str) -> Result<&'d Document, StoreError> {
    match tops {
        [one] => Ok(one),
        [] => Err(StoreError::NoImage(shown.to_string())),
        many => Err(StoreError::ManyImages {
            shown: shown.to_string(),
            count: many.len(),
            names: many
                .iter()
                .map(|d| d.names.first().cloned().unwrap_or_else(|| d.digest.short()))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}
