//! `shipcheck image docker://…`: an image in a registry verified with the same checks as a
//! local one. Every document and blob is streamed once through the image scanner — digests,
//! sizes, diff_ids through decompression, layer walks, ELF architectures — in parallel and
//! without touching the disk, into a tree laid out as an OCI layout (`blobs/sha256/…`, and an
//! index.json naming the reference's top document). The image verifier then judges that tree
//! exactly as it judges a layout on disk. `fast` reads documents and configs only, and for each
//! layer its size and first bytes (to tell its compression).

use std::io::Read;
use std::sync::Mutex;

use shipcheck_image::digest::Algorithm;
use shipcheck_image::scan::{scan_blob, ScanOptions};
use shipcheck_image::source::{Container, Selector, SourceSpec, Transport};
use shipcheck_image::tree::Tree;
use shipcheck_image::{verify_tree_with, Verified, VerifyOptions};

use crate::client::{Client, MANIFEST_TYPES, MAX_CONFIG, MAX_MANIFEST};
use crate::error::Error;
use crate::facts::{check_enabled, Facts};
use crate::reference::{Reference, RegistryUrl};
use crate::transfer::{graph, Blob, Doc, Walk};

/// Verifies `r` as `shipcheck image` verifies a local source. `Err` when nothing could be
/// checked (the registry cannot be reached, the reference does not exist). Errors have every
/// credential and token the client holds masked.
pub fn verify(
    client: &Client,
    r: &Reference,
    display: &str,
    opts: &VerifyOptions,
    jobs: usize,
) -> Result<Verified, Error> {
    verify_with(client, r, display, opts, jobs, &|_| true)
}

/// [`verify`], running only the rules whose ID `enabled` accepts (a rule that is off is not run).
pub fn verify_with(
    client: &Client,
    r: &Reference,
    display: &str,
    opts: &VerifyOptions,
    jobs: usize,
    enabled: &dyn Fn(&str) -> bool,
) -> Result<Verified, Error> {
    verify_unscrubbed(client, r, display, opts, jobs, enabled).map_err(|e| client.scrub(e))
}

fn verify_unscrubbed(
    client: &Client,
    r: &Reference,
    display: &str,
    opts: &VerifyOptions,
    jobs: usize,
    enabled: &dyn Fn(&str) -> bool,
) -> Result<Verified, Error> {
    let top = client.manifest(r)?;
    let mut tree = Tree::new(Default::default(), Container::Registry);
    let unreadable: Mutex<Vec<(String, Error)>> = Mutex::new(Vec::new());
    // Documents as the registry serves them, leniently: what is missing or wrong is the
    // verifier's to report. A document it will not serve (but 404) is noted as unreadable.
    let fetch = |digest: &str| -> Result<Option<Vec<u8>>, Error> {
        let url = format!("{}/v2/{}/manifests/{digest}", r.base_url(), r.repository);
        match client.get(r, &url, MANIFEST_TYPES, MAX_MANIFEST) {
            Ok((_, bytes)) => Ok(Some(bytes)),
            Err(e) => {
                if e.status != Some(404) {
                    unreadable.lock().unwrap_or_else(|p| p.into_inner()).push((digest.to_string(), e));
                }
                Ok(None)
            }
        }
    };
    let top_doc = Doc { digest: top.digest.clone(), media_type: top.media_type.clone(), bytes: top.bytes.clone() };
    let g = graph(top_doc, Walk::Lenient, &fetch, &|m| Error::protocol(display, &m))?;
    for d in &g.docs {
        if let Some(path) = blob_path(&d.digest) {
            tree.add_file(&path, scan_bytes(&d.bytes, &d.digest));
        }
    }
    // Foreign layers are not in the registry by design; the verifier notes them.
    let blobs: Vec<&Blob> = g.blobs.iter().filter(|b| !b.foreign).collect();

    // Blobs in parallel, largest first, each streamed through the scanner.
    let results = crate::pool::run(&blobs, jobs, |b| b.size, false, |b| scan_remote(client, r, b, opts));
    let mut unreadable = unreadable.into_inner().unwrap_or_else(|p| p.into_inner());
    for (b, result) in blobs.iter().zip(results) {
        match result {
            Ok(facts) => {
                if let Some(path) = blob_path(&b.digest) {
                    tree.add_file(&path, facts)
                }
            }
            Err(e) if e.status == Some(404) => {} // The verifier reports it missing.
            Err(e) => unreadable.push((b.digest.clone(), e)),
        }
    }

    // The layout around them: an index.json naming the reference's top document.
    let mut descriptor =
        serde_json::json!({"mediaType": top.media_type, "digest": top.digest, "size": top.bytes.len()});
    if let Some(tag) = &r.tag {
        let name = format!("{}/{}:{tag}", r.registry, r.repository);
        descriptor["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": name});
    }
    let index = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [descriptor]});
    let index_bytes = serde_json::to_vec(&index).unwrap_or_default();
    tree.add_file("index.json", scan_bytes(&index_bytes, ""));
    tree.add_file("oci-layout", scan_bytes(br#"{"imageLayoutVersion":"1.0.0"}"#, ""));

    let spec = SourceSpec {
        transport: Transport::Oci,
        path: Default::default(),
        selector: Selector::All,
        display: display.to_string(),
    };
    let mut v =
        verify_tree_with(tree, &spec, opts, enabled).map_err(|e| Error::protocol(&r.to_string(), &e.to_string()))?;
    // A blob that could not be read is reported once, as unreadable, not also as missing.
    v.findings.retain(|f| {
        !(f.rule.id == "image/blob-missing"
            && matches!(&f.subject.locator, shipcheck_report::Locator::Descriptor { digest } if unreadable.iter().any(|(u, _)| u == digest)))
    });
    let unreadable: Vec<(String, Error)> = unreadable.into_iter().map(|(d, e)| (d, client.scrub(e))).collect();
    v.findings.extend(check_enabled(&Facts { display, unreadable: &unreadable }, enabled));
    v.facts.insert(0, ("digest".into(), top.digest.clone()));
    v.facts.insert(1, ("media_type".into(), top.media_type.clone()));
    Ok(v)
}

fn scan_remote(
    client: &Client,
    r: &Reference,
    w: &Blob,
    verify: &VerifyOptions,
) -> Result<shipcheck_image::scan::BlobFacts, Error> {
    let fast = verify.fast;
    let algorithm = if w.digest.starts_with("sha512:") { Algorithm::Sha512 } else { Algorithm::Sha256 };
    let opts = ScanOptions {
        fast: fast && !w.config,
        algorithm,
        size_hint: w.size,
        expansion_ratio: verify.limits.max_expansion_ratio,
    };
    if w.config {
        if w.size > MAX_CONFIG {
            return Err(Error::too_large(
                &format!("{}/v2/{}/blobs/{}", r.base_url(), r.repository, w.digest),
                MAX_CONFIG,
            ));
        }
        let reader = client.blob_reader(r, &w.digest, 0)?;
        return Ok(scan_blob(reader.take(w.size + 1), opts));
    }
    if fast {
        // Its size from the registry, and its first bytes for its compression.
        let size = client.blob_size(r, &w.digest)?.unwrap_or(w.size);
        let reader = client.blob_reader(r, &w.digest, 0)?;
        let mut facts = scan_blob(reader.take(512), ScanOptions { size_hint: size, ..opts });
        if facts.layer.is_some() {
            facts.size = size;
            return Ok(facts);
        }
        // Not a tar stream (an artifact's blob): read it whole if it is small, as locally.
        if size > MAX_CONFIG {
            return Ok(shipcheck_image::scan::BlobFacts { size, ..Default::default() });
        }
    }
    let reader = client.blob_reader(r, &w.digest, 0)?;
    // A registry that sends more than the descriptor says is caught by the size check.
    Ok(scan_blob(reader.take(w.size.saturating_add(1)), opts))
}

fn scan_bytes(bytes: &[u8], digest: &str) -> shipcheck_image::scan::BlobFacts {
    let algorithm = if digest.starts_with("sha512:") { Algorithm::Sha512 } else { Algorithm::Sha256 };
    // Documents only (manifests, the index): no layer to bound.
    let expansion_ratio = shipcheck_image::limits::MAX_EXPANSION_RATIO;
    scan_blob(bytes, ScanOptions { fast: false, algorithm, size_hint: bytes.len() as u64, expansion_ratio })
}

/// Where a blob sits in the tree: only a parsed digest makes a path. The walk passes only valid
/// digests on; anything else is left out of the tree, for the verifier to report as missing.
fn blob_path(digest: &str) -> Option<String> {
    shipcheck_image::digest::Digest::parse(digest).ok().map(|d| d.blob_path())
}
