//! Entry points for the cargo-fuzz targets in `fuzz/` (and for the smoke test that runs them
//! on stable). Each takes arbitrary bytes and must never panic, hang or allocate without bound.

use std::io::Write;

use crate::digest::Algorithm;
use crate::model::{Config, DockerEntry, Index, Manifest, OciLayout};
use crate::scan::{scan_blob, ScanOptions};
use crate::{verify, SourceSpec, VerifyOptions};

/// Bytes as a whole image archive (tar, or tar wrapped in gzip/zstd/xz): the archive reader,
/// the tar index, the JSON model and every check.
pub fn archive(data: &[u8]) {
    let Ok(mut file) = tempfile_in_tmp() else { return };
    if file.1.write_all(data).and_then(|()| file.1.flush()).is_err() {
        return;
    }
    let spec = SourceSpec::parse(&file.0.display().to_string()).expect("a bare path always parses");
    let _ = verify(&spec, &VerifyOptions::default());
    let _ = std::fs::remove_file(&file.0);
}

/// Bytes as one blob: compression sniffing, decompression and the layer tar walk.
pub fn layer(data: &[u8]) {
    let _ = scan_blob(
        data,
        ScanOptions {
            fast: false,
            algorithm: Algorithm::Sha256,
            size_hint: data.len() as u64,
            expansion_ratio: crate::limits::MAX_EXPANSION_RATIO,
        },
    );
}

/// Bytes as each JSON document an image holds: index, manifest, config, manifest.json, oci-layout.
pub fn documents(data: &[u8]) {
    let _ = serde_json::from_slice::<Index>(data);
    let _ = serde_json::from_slice::<Manifest>(data);
    let _ = serde_json::from_slice::<Config>(data);
    let _ = serde_json::from_slice::<Vec<DockerEntry>>(data);
    let _ = serde_json::from_slice::<OciLayout>(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::digest::Digest::parse(text);
        let _ = crate::platform::Platform::parse(text);
        let _ = SourceSpec::parse(text);
    }
}

fn tempfile_in_tmp() -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "shipcheck-fuzz-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let file = std::fs::File::create(&path)?;
    Ok((path, file))
}
