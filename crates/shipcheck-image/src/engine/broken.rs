//! What each engine says of an archive too damaged to read as an image (not a tar, cut off
//! before index.json or manifest.json, empty): every engine refuses it, and the report shows
//! each one's own words. Observed live with the engines of tests/engines.rs
//! (`broken_archives_are_refused_in_each_engines_words`).

use super::{Family, Prediction, Profile, DOCKER_IMPORT_DIR};
use crate::verify::{Broken, BrokenArchive};

/// `p`'s engine refusing the broken archive `b`.
pub fn predict_broken(b: &BrokenArchive, p: &'static Profile) -> Prediction {
    let how = b.how;
    // Every engine reads archives with Go's archive/tar, which says one of these two; the
    // docker-archive transport first copies a compressed archive to a temporary file, and
    // there a bad header shows as `unexpected EOF` (observed live with skopeo 1.9.3).
    let go = match how {
        Broken::InvalidHeader => "archive/tar: invalid tar header",
        Broken::EndsEarly | Broken::Empty => "unexpected EOF",
    };
    let transport_go = if b.compressed { "unexpected EOF" } else { go };
    let error = match (p.family, how) {
        // An empty archive has no manifest.json, so Docker 20.10's legacy loader looks for
        // `repositories`; later versions say their own no-manifest text.
        (Family::DockerGraphdriver, Broken::Empty)
            if p.no_manifest_error.as_deref().is_some_and(|e| e.contains("{dir}")) =>
        {
            format!("open {DOCKER_IMPORT_DIR}/repositories: no such file or directory")
        }
        (Family::DockerGraphdriver | Family::ContainerdStore, Broken::Empty) => {
            p.no_manifest_error.clone().unwrap_or_else(|| "invalid archive: does not contain a manifest.json".into())
        }
        (Family::DockerGraphdriver | Family::ContainerdStore, _) => {
            format!("Error processing tar file(exit status 1): {go}")
        }
        // ctr does not decompress an archive: whatever the damage, a compressed one is no tar.
        (Family::CtrImport, _) if b.compressed && !p.compressed_archives => {
            "ctr: archive/tar: invalid tar header".into()
        }
        (Family::CtrImport, Broken::Empty) => "ctr: unrecognized image format".into(),
        (Family::CtrImport, _) => format!("ctr: {go}"),
        (Family::Podman, Broken::Empty) => {
            "docker-archive: loading tar component manifest.json: file does not exist".into()
        }
        (Family::Podman, _) => format!("docker-archive: loading tar component manifest.json: {transport_go}"),
        (Family::DockerArchiveTransport, Broken::Empty) => {
            "loading tar component manifest.json: file does not exist".into()
        }
        (Family::DockerArchiveTransport, _) => format!("loading tar component manifest.json: {transport_go}"),
        (Family::OciArchiveTransport, Broken::Empty) => {
            "open /var/tmp/oci…/index.json: no such file or directory".into()
        }
        (Family::OciArchiveTransport, _) => format!("creating temp directory: untarring file \"/var/tmp/oci…\": {go}"),
    };
    Prediction::fails(p, error, Vec::new())
}
