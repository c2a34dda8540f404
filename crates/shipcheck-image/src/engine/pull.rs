//! Pulling from a registry: `docker pull`, `podman pull`, `ctr images pull`, skopeo.

use shipcheck_core::reference;

use super::archive::{digest_text, fatal, top_of};
use super::{host_platform, podman_normalize, Family, Prediction, Profile};
use crate::scan::Compression;
use crate::verify::{ImageInfo, Verified};

/// Every engine picks the host's platform from an index (a single manifest is pulled whatever
/// its platform); Docker's graphdriver store before 23 cannot unpack zstd layers. The image ID
/// is the config digest in Docker's graphdriver store and Podman, and the pulled manifest or
/// index digest in containerd and Docker's containerd store. The error texts are the engines'
/// own (dockerd 20.10, podman 4.3, ctr 1.6, observed in
/// `crates/shipcheck-registry/tests/pull_engines.rs`).
pub(super) fn predict_pull(v: &Verified, p: &'static Profile) -> Prediction {
    let images: Vec<&ImageInfo> = v.images.iter().filter(|i| !i.attestation).collect();
    let reference = images.iter().find_map(|i| i.ref_name.clone()).unwrap_or_default();
    let want = if reference.is_empty() { Vec::new() } else { vec![reference::normalize(&reference)] };
    let top = images.first().and_then(|i| top_of(i));
    if let Some(f) = fatal(v, &|_| true) {
        let text = format!("the registry serves a damaged image ({}): {}", f.rule.id, f.message);
        return Prediction::fails(p, text, want);
    }
    let host = host_platform();
    let is_index = images.iter().any(|i| i.top_digest.is_some() && i.top_digest != i.manifest_digest);
    let chosen = if is_index {
        images.iter().copied().find(|i| i.platform.as_ref().is_some_and(|pl| pl.to_string() == host))
    } else {
        images.first().copied()
    };
    let Some(image) = chosen else {
        let text = no_platform_error(p.family, &host, &reference, digest_text(&top));
        return Prediction::fails(p, text, want);
    };
    let zstd = image.layers.iter().any(|l| l.compression == Some(Compression::Zstd));
    if zstd && !p.zstd {
        let text = "failed to register layer: ApplyLayer exit status 1 stdout:  stderr: unexpected EOF";
        return Prediction::fails(p, text.into(), want);
    }
    let config = digest_text(&image.config_digest);
    let (names, ids) = match p.family {
        Family::DockerGraphdriver => (vec![reference::familiar(&reference)], vec![config]),
        Family::ContainerdStore => (vec![reference::familiar(&reference)], vec![digest_text(&top)]),
        Family::CtrImport => (vec![reference.clone()], vec![digest_text(&top)]),
        Family::Podman => (vec![podman_normalize(&reference)], vec![config]),
        // skopeo and buildah copy the image under whatever name their destination gives.
        Family::DockerArchiveTransport | Family::OciArchiveTransport => (want.clone(), vec![config]),
    };
    let names = if reference.is_empty() { Vec::new() } else { names };
    Prediction::loads(p, names, ids, want)
}

/// What each engine says when an index has no manifest for this host's platform.
fn no_platform_error(family: Family, host: &str, reference: &str, top: Option<String>) -> String {
    let (os, arch) = host.split_once('/').unwrap_or(("linux", "amd64"));
    match family {
        Family::DockerGraphdriver | Family::ContainerdStore => {
            format!("no matching manifest for {host} in the manifest list entries")
        }
        Family::CtrImport => format!("ctr: no match for platform in manifest {}: not found", top.unwrap_or_default()),
        Family::Podman | Family::DockerArchiveTransport | Family::OciArchiveTransport => format!(
            "choosing an image from manifest list docker://{reference}: no image found in image index for architecture {arch}, variant \"\", OS {os}"
        ),
    }
}
