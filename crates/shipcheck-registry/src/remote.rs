//! `shipcheck image docker://…`: an image in a registry verified with the same checks as a
//! local one. Every document and blob is streamed once through the image scanner — digests,
//! sizes, diff_ids through decompression, layer walks, ELF architectures — in parallel and
//! without touching the disk, into a tree laid out as an OCI layout (`blobs/sha256/…`, and an
//! index.json naming the reference's top document). The image verifier then judges that tree
//! exactly as it judges a layout on disk. `fast` reads documents and configs only, and for each
//! layer its size and first bytes (to tell its compression).

use std::collections::{HashSet, VecDeque};
use std::io::Read;

use shipcheck_image::digest::Algorithm;
use shipcheck_image::scan::{scan_blob, ScanOptions};
use shipcheck_image::source::{Container, Selector, SourceSpec, Transport};
use shipcheck_image::tree::Tree;
use shipcheck_image::{verify_tree, Verified, VerifyOptions};
use shipcheck_report::{Finding, Subject};

use crate::client::{Client, MAX_CONFIG, MAX_MANIFEST};
use crate::error::Error;
use crate::reference::Reference;
use crate::rules::FETCH_FAILED;

/// Documents in one image graph, at most (nested indexes, attestations, referrers).
const MAX_DOCUMENTS: usize = 10_000;

struct Wanted {
    digest: String,
    size: u64,
    /// A config (read whole) or a layer (streamed).
    layer: bool,
}

/// Verifies `r` as `shipcheck image` verifies a local source. `Err` when nothing could be
/// checked (the registry cannot be reached, the reference does not exist).
pub fn verify(
    client: &Client,
    r: &Reference,
    display: &str,
    opts: &VerifyOptions,
    jobs: usize,
) -> Result<Verified, Error> {
    let top = client.manifest(r)?;
    let mut tree = Tree::new(Default::default(), Container::Registry);
    let mut findings: Vec<Finding> = Vec::new();
    let fail = |findings: &mut Vec<Finding>, digest: &str, e: &Error| {
        findings.push(
            Finding::new(&FETCH_FAILED, Subject::descriptor(display, digest), format!("cannot be read from the registry: {}", e.message))
                .evidence("url", &e.url)
                .evidence("code", e.code.as_deref().unwrap_or("-"))
                .remedy("Check access to the repository and re-push the image; a blob the registry cannot serve breaks every pull."),
        );
    };
    // Documents, breadth first; each is scanned as the verifier expects a blob to be.
    let mut queue: VecDeque<(String, Vec<u8>)> = VecDeque::from([(top.digest.clone(), top.bytes.clone())]);
    let mut seen: HashSet<String> = HashSet::from([top.digest.clone()]);
    let mut blobs: Vec<Wanted> = Vec::new();
    let mut blob_seen: HashSet<String> = HashSet::new();
    while let Some((digest, bytes)) = queue.pop_front() {
        tree.add_file(&blob_path(&digest), scan_bytes(&bytes, &digest));
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else { continue };
        for c in v.get("manifests").and_then(|m| m.as_array()).into_iter().flatten() {
            let Some(d) = c.get("digest").and_then(|d| d.as_str()) else { continue };
            if seen.len() >= MAX_DOCUMENTS || !seen.insert(d.to_string()) || !valid_digest(d) {
                continue;
            }
            match client.get(
                r,
                &format!("{}/v2/{}/manifests/{d}", r.base_url(), r.repository),
                crate::client::MANIFEST_TYPES,
                MAX_MANIFEST,
            ) {
                Ok((_, b)) => queue.push_back((d.to_string(), b)),
                Err(e) if e.status == Some(404) => {} // The verifier reports it missing.
                Err(e) => fail(&mut findings, d, &e),
            }
        }
        let config = v.get("config").into_iter().map(|c| (c, false));
        let layers = v.get("layers").and_then(|l| l.as_array()).into_iter().flatten().map(|l| (l, true));
        for (desc, layer) in config.chain(layers) {
            let Some(d) = desc.get("digest").and_then(|d| d.as_str()) else { continue };
            if !valid_digest(d) || !blob_seen.insert(d.to_string()) {
                continue;
            }
            let foreign = desc.get("urls").and_then(|u| u.as_array()).is_some_and(|u| !u.is_empty());
            if foreign {
                continue; // Not in the registry by design; the verifier notes it.
            }
            blobs.push(Wanted {
                digest: d.to_string(),
                size: desc.get("size").and_then(|s| s.as_u64()).unwrap_or(0),
                layer,
            });
        }
    }

    // Blobs in parallel, largest first, each streamed through the scanner.
    let results = crate::pool::run(&blobs, jobs, |w| w.size, false, |w| scan_remote(client, r, w, opts.fast));
    let mut unreadable: Vec<String> = Vec::new();
    for (w, result) in blobs.iter().zip(results) {
        let digest = w.digest.clone();
        match result {
            Ok(facts) => tree.add_file(&blob_path(&digest), facts),
            Err(e) if e.status == Some(404) => {}
            Err(e) => {
                fail(&mut findings, &digest, &e);
                unreadable.push(digest);
            }
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
    let mut v = verify_tree(tree, &spec, opts).map_err(|m: String| Error::protocol(&r.to_string(), &m))?;
    // A blob that could not be read is reported once, as unreadable, not also as missing.
    v.findings.retain(|f| {
        !(f.rule.id == "image/blob-missing"
            && matches!(&f.subject.locator, shipcheck_report::Locator::Descriptor { digest } if unreadable.iter().any(|u| u == digest)))
    });
    v.findings.extend(findings);
    v.facts.insert(0, ("digest".into(), top.digest.clone()));
    v.facts.insert(1, ("media_type".into(), top.media_type.clone()));
    Ok(v)
}

fn scan_remote(
    client: &Client,
    r: &Reference,
    w: &Wanted,
    fast: bool,
) -> Result<shipcheck_image::scan::BlobFacts, Error> {
    let algorithm = if w.digest.starts_with("sha512:") { Algorithm::Sha512 } else { Algorithm::Sha256 };
    let opts = ScanOptions { fast: fast && w.layer, algorithm, size_hint: w.size };
    if !w.layer {
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
    scan_blob(bytes, ScanOptions { fast: false, algorithm, size_hint: bytes.len() as u64 })
}

fn valid_digest(d: &str) -> bool {
    shipcheck_image::digest::Digest::parse(d).is_ok()
}

fn blob_path(digest: &str) -> String {
    match shipcheck_image::digest::Digest::parse(digest) {
        Ok(d) => d.blob_path(),
        Err(_) => format!("blobs/invalid/{}", digest.replace(['/', ':'], "_")),
    }
}
