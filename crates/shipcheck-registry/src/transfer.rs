//! Whole images between a source and a registry, or a registry and a local layout.
//!
//! An image is a graph: a top-level manifest or index, the manifests an index names (nested
//! indexes too), and the config and layer blobs of each manifest. A push uploads the blobs first
//! — in parallel, largest first, each skipped when the repository has it and mounted when
//! another repository of the same registry does — then the manifests, children before the
//! indexes that name them, then the top one under its tag; then it reads the tag back and
//! compares digests. A re-run after a failure finds the finished blobs present and uploads
//! only the rest.

use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::path::Path;

use shipcheck_image::digest::{Digest, Hasher};

use crate::client::{sha256_digest, Client, MAX_MANIFEST};
use crate::error::Error;
use crate::reference::{Reference, RegistryUrl};
use crate::upload::Outcome;

/// Nested indexes deeper than this are refused (a loop, or not an image).
const MAX_DEPTH: usize = 8;
/// Documents in one image graph, at most (nested indexes, attestations, artifacts).
const MAX_DOCUMENTS: usize = 10_000;

/// A manifest or index, byte for byte.
#[derive(Clone, Debug)]
pub struct Doc {
    pub digest: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

impl Doc {
    pub fn new(media_type: &str, bytes: Vec<u8>) -> Doc {
        Doc { digest: sha256_digest(&bytes), media_type: media_type.to_string(), bytes }
    }
}

/// A config or layer blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    pub digest: String,
    pub size: u64,
    pub media_type: String,
    /// A non-distributable layer with URLs: engines fetch it from there.
    pub foreign: bool,
    /// A manifest's config (read whole), not a layer (streamed).
    pub config: bool,
}

/// Everything one image reference consists of.
#[derive(Clone, Debug)]
pub struct Graph {
    /// Manifests and indexes, each after every document it names; the last is the top one.
    pub docs: Vec<Doc>,
    /// Unique blobs, in the order first named.
    pub blobs: Vec<Blob>,
}

impl Graph {
    /// The top document; `None` only for a graph built by hand with no documents (a walk
    /// always records its top one).
    pub fn top(&self) -> Option<&Doc> {
        self.docs.last()
    }
}

/// How a walk treats what is wrong with an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walk {
    /// For copying: a missing, mismatched or malformed document is an error.
    Strict,
    /// For verifying: take what is there and let the image verifier report the rest.
    Lenient,
}

/// What fetches a child document: its bytes, `None` when the source does not have it.
pub type Fetch<'a, E> = &'a dyn Fn(&str) -> Result<Option<Vec<u8>>, E>;

/// Builds the graph under `top`. `fetch(digest)` gives a child document; `invalid` turns the
/// walk's own complaints (strict mode only) into the caller's error type.
pub fn graph<E>(top: Doc, mode: Walk, fetch: Fetch<'_, E>, invalid: &dyn Fn(String) -> E) -> Result<Graph, E> {
    let mut w = Walker {
        mode,
        fetch,
        invalid,
        g: Graph { docs: Vec::new(), blobs: Vec::new() },
        docs: HashSet::new(),
        blobs: HashSet::new(),
    };
    w.walk(top, 0)?;
    Ok(w.g)
}

struct Walker<'a, E> {
    mode: Walk,
    fetch: Fetch<'a, E>,
    invalid: &'a dyn Fn(String) -> E,
    g: Graph,
    docs: HashSet<String>,
    blobs: HashSet<String>,
}

impl<E> Walker<'_, E> {
    /// In strict mode, `why` is an error; in lenient mode the walk skips what it concerns.
    fn complain(&self, why: String) -> Result<(), E> {
        match self.mode {
            Walk::Strict => Err((self.invalid)(why)),
            Walk::Lenient => Ok(()),
        }
    }

    /// A descriptor's digest, size and media type, or a complaint.
    fn descriptor(&self, d: &serde_json::Value, parent: &str) -> Result<Option<(String, u64, String)>, E> {
        let Some(digest) = d.get("digest").and_then(|x| x.as_str()) else {
            self.complain(format!("a descriptor in {parent} has no digest"))?;
            return Ok(None);
        };
        // The one gate: a digest that is not `algorithm:hex` never reaches a URL or a path.
        if Digest::parse(digest).is_err() {
            let shown = crate::error::shown(digest, 100);
            self.complain(format!(
                "\"{shown}\" in {parent} is not a digest (expected sha256:<64 lowercase hex>): nothing is fetched or written with it"
            ))?;
            return Ok(None);
        }
        let size = match d.get("size").and_then(|x| x.as_u64()) {
            Some(s) => s,
            None => {
                self.complain(format!("descriptor {digest} has no size"))?;
                0
            }
        };
        let mt = d.get("mediaType").and_then(|x| x.as_str()).unwrap_or("").to_string();
        Ok(Some((digest.to_string(), size, mt)))
    }

    fn walk(&mut self, doc: Doc, depth: usize) -> Result<(), E> {
        if !self.docs.insert(doc.digest.clone()) {
            return Ok(());
        }
        let v: serde_json::Value = match serde_json::from_slice(&doc.bytes) {
            Ok(v) => v,
            Err(e) => {
                self.complain(format!("{} is not JSON: {e}", doc.digest))?;
                self.g.docs.push(doc);
                return Ok(());
            }
        };
        for c in v.get("manifests").and_then(|m| m.as_array()).into_iter().flatten() {
            let Some((digest, size, mt)) = self.descriptor(c, &doc.digest)? else { continue };
            if self.docs.contains(&digest) {
                continue;
            }
            if depth + 1 > MAX_DEPTH || self.docs.len() >= MAX_DOCUMENTS {
                self.complain(format!(
                    "{digest}: indexes nest deeper than {MAX_DEPTH} levels or name over {MAX_DOCUMENTS} documents"
                ))?;
                continue;
            }
            if size > MAX_MANIFEST && self.mode == Walk::Strict {
                self.complain(format!(
                    "manifest {digest} declares {size} bytes, over the {} MiB cap",
                    MAX_MANIFEST >> 20
                ))?;
            }
            let Some(bytes) = (self.fetch)(&digest)? else {
                self.complain(format!("manifest {digest} is not in the source"))?;
                continue;
            };
            let got = digest_of(&digest, &bytes);
            if got != digest {
                self.complain(format!("manifest {digest} has digest {got}"))?;
            }
            if bytes.len() as u64 != size {
                self.complain(format!("manifest {digest} has {} bytes, its descriptor says {size}", bytes.len()))?;
            }
            let mt = if mt.is_empty() { media_type(&bytes) } else { mt };
            self.walk(Doc { digest, media_type: mt, bytes }, depth + 1)?;
        }
        let config = v.get("config").into_iter().map(|c| (c, true));
        let layers = v.get("layers").and_then(|l| l.as_array()).into_iter().flatten().map(|l| (l, false));
        for (b, config) in config.chain(layers) {
            let Some((digest, size, media_type)) = self.descriptor(b, &doc.digest)? else { continue };
            let foreign = b.get("urls").and_then(|u| u.as_array()).is_some_and(|u| !u.is_empty());
            if self.blobs.insert(digest.clone()) {
                self.g.blobs.push(Blob { digest, size, media_type, foreign, config });
            }
        }
        self.g.docs.push(doc);
        Ok(())
    }
}

/// The digest of `bytes` in the algorithm of `expected` (a digest the walk validated).
fn digest_of(expected: &str, bytes: &[u8]) -> String {
    let algorithm = Digest::parse(expected).map_or(shipcheck_image::digest::Algorithm::Sha256, |d| d.algorithm);
    let mut h = Hasher::new(algorithm);
    h.update(bytes);
    h.finish().to_string()
}

/// The media type a document declares, or the one its shape implies.
pub fn media_type(bytes: &[u8]) -> String {
    shipcheck_image::store::media_type_of(bytes).unwrap_or_else(|| shipcheck_image::model::OCI_MANIFEST.to_string())
}

/// Where a push reads blobs from.
pub trait Source: Sync {
    /// Opens a blob at a byte offset (an interrupted upload resumes there).
    fn open_at(&self, digest: &str, offset: u64) -> io::Result<Box<dyn Read + Send + '_>>;
    /// Whether the source holds the blob (foreign layers may be absent).
    fn has(&self, digest: &str) -> bool;
    /// A repository on `dest`'s registry that holds the source's blobs, for mounting them.
    fn mount_from(&self, _dest: &Reference) -> Option<String> {
        None
    }
    /// How errors name a blob of this source.
    fn name(&self, digest: &str) -> String {
        digest.to_string()
    }
}

/// Another registry's repository as a source.
pub struct RegistrySource<'c> {
    pub client: &'c Client,
    pub reference: Reference,
}

impl Source for RegistrySource<'_> {
    fn open_at(&self, digest: &str, offset: u64) -> io::Result<Box<dyn Read + Send + '_>> {
        let r = self.client.blob_reader(&self.reference, digest, offset).map_err(io::Error::other)?;
        Ok(Box::new(r))
    }

    fn has(&self, _digest: &str) -> bool {
        true
    }

    fn mount_from(&self, dest: &Reference) -> Option<String> {
        (dest.registry == self.reference.registry && dest.repository != self.reference.repository)
            .then(|| self.reference.repository.clone())
    }

    fn name(&self, digest: &str) -> String {
        format!("{}/v2/{}/blobs/{digest}", self.reference.base_url(), self.reference.repository)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Blobs transferred at the same time.
    pub jobs: usize,
    /// Upload chunk size in bytes; blobs up to this size go in one request (0: always one).
    pub chunk: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options { jobs: 4, chunk: 64 << 20 }
    }
}

/// What a push did.
#[derive(Debug, Default, Clone)]
pub struct Pushed {
    pub digest: String,
    pub media_type: String,
    pub blobs_present: usize,
    pub blobs_mounted: usize,
    pub blobs_uploaded: usize,
    pub bytes_uploaded: u64,
    pub foreign_skipped: usize,
    pub manifests: usize,
    pub resumed: u32,
    pub restarted: u32,
}

/// Pushes `g` from `source` to `dest` (a tag, or the top document's digest).
pub fn push(
    client: &Client,
    dest: &Reference,
    g: &Graph,
    source: &dyn Source,
    opts: &Options,
) -> Result<Pushed, Error> {
    let manifest_url = |reference: &str| format!("{}/v2/{}/manifests/{reference}", dest.base_url(), dest.repository);
    let Some(top) = g.top() else {
        return Err(Error::protocol(&manifest_url(dest.reference()), "the image has no manifest to push"));
    };
    if let Some(d) = &dest.digest {
        if d != &top.digest {
            return Err(Error::protocol(
                &manifest_url(d),
                &format!("the destination names digest {d}, but the image's is {}", top.digest),
            ));
        }
    }
    let mut pushed = Pushed { digest: top.digest.clone(), media_type: top.media_type.clone(), ..Pushed::default() };
    let wanted: Vec<&Blob> = g.blobs.iter().filter(|b| !b.foreign || source.has(&b.digest)).collect();
    pushed.foreign_skipped = g.blobs.len() - wanted.len();
    let mount = source.mount_from(dest);
    let outcomes = crate::pool::try_run(
        &wanted,
        opts.jobs,
        |b| b.size,
        |b| {
            let open = |offset: u64| source.open_at(&b.digest, offset);
            client.upload_blob(dest, &b.digest, b.size, &open, mount.as_deref(), opts.chunk).map_err(|mut e| {
                e.message = format!("blob {} ({} bytes): {}", b.digest, b.size, e.message);
                e
            })
        },
    )?;
    for (b, o) in wanted.iter().zip(outcomes) {
        match o {
            Outcome::Present => pushed.blobs_present += 1,
            Outcome::Mounted => pushed.blobs_mounted += 1,
            Outcome::Uploaded { resumed, restarted } => {
                pushed.blobs_uploaded += 1;
                pushed.bytes_uploaded += b.size;
                pushed.resumed += resumed;
                pushed.restarted += restarted;
            }
        }
    }
    // Children before the indexes that name them; the top one last, under its tag.
    for (i, d) in g.docs.iter().enumerate() {
        let is_top = i + 1 == g.docs.len();
        let reference = if is_top { dest.tag.as_deref().unwrap_or(&d.digest) } else { &d.digest };
        client.put_manifest(dest, reference, &d.media_type, &d.bytes)?;
        pushed.manifests += 1;
    }
    // Read it back: the registry must serve what was pushed.
    let reference = dest.tag.as_deref().unwrap_or(&top.digest);
    let served = client.manifest_at(dest, reference)?;
    if served.digest != top.digest {
        return Err(Error::digest_mismatch(&manifest_url(reference), &top.digest, &served.digest));
    }
    Ok(pushed)
}

/// Fetches the graph of `r` (its top document by tag or digest, and every document under it).
pub fn fetch_graph(client: &Client, r: &Reference) -> Result<Graph, Error> {
    let top = client.manifest(r)?;
    let url = format!("{}/v2/{}/manifests/{}", r.base_url(), r.repository, r.reference());
    let doc = Doc { digest: top.digest, media_type: top.media_type, bytes: top.bytes };
    graph(doc, Walk::Strict, &|digest| client.manifest_at(r, digest).map(|m| Some(m.bytes)), &|m| {
        Error::protocol(&url, &m)
    })
}

/// What a pull wrote.
#[derive(Debug, Default, Clone)]
pub struct Pulled {
    pub digest: String,
    pub blobs: usize,
    pub bytes: u64,
}

/// Downloads `g` from `r` into the new OCI layout directory `dir` (see [`write_layout`]).
pub fn pull_to_layout(
    client: &Client,
    r: &Reference,
    g: &Graph,
    dir: &Path,
    ref_name: Option<&str>,
    jobs: usize,
) -> Result<Pulled, Error> {
    write_layout(g, &RegistrySource { client, reference: r.clone() }, dir, ref_name, jobs)
}

/// Writes `g` from `source` as the new OCI layout directory `dir`: every blob streamed to
/// disk through its digest check (a blob whose bytes do not match is deleted, and the copy
/// fails), documents byte for byte, and index.json naming the top document with `ref_name`.
pub fn write_layout(
    g: &Graph,
    source: &dyn Source,
    dir: &Path,
    ref_name: Option<&str>,
    jobs: usize,
) -> Result<Pulled, Error> {
    let shown = dir.display().to_string();
    let io_err = |e: io::Error| Error::protocol(&shown, &format!("cannot write: {e}"));
    // Every path is built from a parsed digest: `blobs/<algorithm>/<hex>`, nothing else.
    let path_of = |digest: &str, name: &dyn Fn() -> String| -> Result<(Digest, std::path::PathBuf), Error> {
        let d = Digest::parse(digest).map_err(|_| Error::bad_digest(&name(), "the digest", digest))?;
        let path = dir.join(d.blob_path());
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io_err)?;
        }
        Ok((d, path))
    };
    std::fs::create_dir_all(dir.join("blobs/sha256")).map_err(io_err)?;
    for d in &g.docs {
        std::fs::write(path_of(&d.digest, &|| shown.clone())?.1, &d.bytes).map_err(io_err)?;
    }
    let wanted: Vec<&Blob> = g.blobs.iter().filter(|b| !b.foreign || source.has(&b.digest)).collect();
    let sizes = crate::pool::try_run(
        &wanted,
        jobs,
        |b| b.size,
        |b| {
            let name = source.name(&b.digest);
            let (digest, path) = path_of(&b.digest, &|| name.clone())?;
            write_blob(source, b, &digest, &path, &name, &io_err)
        },
    )?;
    let Some(top) = g.top() else { return Err(Error::protocol(&shown, "the image has no manifest to write")) };
    let mut desc = serde_json::json!({"mediaType": top.media_type, "digest": top.digest, "size": top.bytes.len()});
    if let Some(name) = ref_name {
        desc["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": name});
    }
    let index = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [desc]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap_or_default()).map_err(io_err)?;
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).map_err(io_err)?;
    Ok(Pulled { digest: top.digest.clone(), blobs: sizes.len(), bytes: sizes.iter().sum() })
}

/// Streams blob `b` from `source` to `path` through its digest check: written as `path.part`
/// and renamed when it matches; a blob whose bytes do not match is deleted. `io_err` names a
/// failure to write.
fn write_blob(
    source: &dyn Source,
    b: &Blob,
    digest: &Digest,
    path: &Path,
    name: &str,
    io_err: &dyn Fn(io::Error) -> Error,
) -> Result<u64, Error> {
    let part = path.with_extension("part");
    let reader = source.open_at(&b.digest, 0).map_err(|e| Error::io(name, &e))?;
    let mut hasher = Hasher::new(digest.algorithm);
    let mut out = io::BufWriter::with_capacity(256 << 10, std::fs::File::create(&part).map_err(io_err)?);
    let mut limited = reader.take(b.size + 1);
    let mut buf = vec![0u8; 256 << 10];
    let mut got = 0u64;
    loop {
        let n = limited.read(&mut buf).map_err(|e| Error::io(name, &e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(io_err)?;
        got += n as u64;
    }
    out.flush().map_err(io_err)?;
    drop(out);
    let got_digest = hasher.finish();
    if &got_digest != digest || got != b.size {
        let _ = std::fs::remove_file(&part);
        let mut e = Error::digest_mismatch(name, &b.digest, &got_digest.to_string());
        if got != b.size {
            e.message = format!("{got} bytes were read, the descriptor says {}: nothing from it is used", b.size);
        }
        return Err(e);
    }
    std::fs::rename(&part, path).map_err(io_err)?;
    Ok(got)
}

/// A verified local source (directory, archive) as a push source.
impl Source for shipcheck_image::store::Store {
    fn open_at(&self, digest: &str, offset: u64) -> io::Result<Box<dyn Read + Send + '_>> {
        shipcheck_image::store::Store::open_at(self, digest, offset)
    }

    fn has(&self, digest: &str) -> bool {
        self.size(digest).is_some()
    }
}

/// Why the graph of a local image could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// A document could not be read from the store.
    #[error(transparent)]
    Store(#[from] shipcheck_image::store::StoreError),
    /// The walk's own complaint: a missing, mismatched or malformed document.
    #[error("{0}")]
    Invalid(String),
}

/// The graph of one of a local store's top-level documents.
pub fn local_graph(
    store: &shipcheck_image::store::Store,
    top: &shipcheck_image::store::Document,
) -> Result<Graph, GraphError> {
    let doc = Doc { digest: top.digest.to_string(), media_type: top.media_type.clone(), bytes: top.bytes.clone() };
    graph(doc, Walk::Strict, &|d| Ok(Some(store.read(d, MAX_MANIFEST)?)), &GraphError::Invalid)
}
