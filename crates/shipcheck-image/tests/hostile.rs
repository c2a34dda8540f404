//! Hostile image archives (issue 12): each test builds the attack the adversarial sweep used
//! and checks that reading it stays bounded and gives the right verdict.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Value};

#[allow(dead_code)]
mod common;
use common::hostile::*;
use shipcheck_image::digest::sha256;
use shipcheck_image::engine::{self, Verdict};
use shipcheck_image::scan::Compression;
use shipcheck_image::write::{compress, Shape};
use shipcheck_image::{verify, ReadLimits, SourceSpec, Verified, VerifyOptions};
use shipcheck_report::Severity;
use tar::EntryType;

const GIB: u64 = 1 << 30;

fn spec(path: &Path) -> SourceSpec {
    SourceSpec::parse(path.to_str().unwrap()).unwrap()
}

fn run(path: &Path) -> Result<Verified, String> {
    verify(&spec(path), &VerifyOptions::default()).map_err(|e| e.to_string())
}

fn rules(v: &Verified) -> Vec<&'static str> {
    v.findings.iter().map(|f| f.rule.id).collect()
}

/// `prefix`, then a GNU long-name header declaring 6 GiB, then 6 GiB of zeros, through zstd:
/// about 200 KiB that a reader holding the name in memory expands to 6 GiB.
fn zstd_long_name_bomb(prefix: &[u8]) -> Vec<u8> {
    let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
    enc.write_all(prefix).unwrap();
    enc.write_all(&header("././@LongLink", EntryType::GNULongName, 6 * GIB)).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..6 * 1024 {
        enc.write_all(&zeros).unwrap();
    }
    enc.finish().unwrap()
}

/// The path of the first layer blob of an OCI layout directory.
fn first_layer(dir: &Path) -> PathBuf {
    let read = |p: PathBuf| -> Value { serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap() };
    let blob = |d: &Value| dir.join("blobs/sha256").join(d.as_str().unwrap().trim_start_matches("sha256:"));
    let index = read(dir.join("index.json"));
    let manifest = read(blob(&index["manifests"][0]["digest"]));
    blob(&manifest["layers"][0]["digest"])
}

// Defect 11: a long name declaring 6 GiB is refused before it is read, in the archive itself
// (an input error) and in a layer (a finding); a sparse plain tar with a 6 GiB PAX header too.
#[test]
fn huge_long_name_and_pax_headers_are_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let outer = dir.path().join("bomb.tar.zst");
    std::fs::write(&outer, zstd_long_name_bomb(&open_tar(&built(Shape::Oci, "a")))).unwrap();
    let err = run(&outer).unwrap_err();
    assert!(err.contains("GNU long name header") && err.contains("over the 1048576 byte limit"), "{err}");

    // A 12 KiB file with a 6 GiB hole: the PAX header's data reads as zeros.
    let sparse = dir.path().join("sparse.tar");
    let mut f = std::fs::File::create(&sparse).unwrap();
    f.write_all(&open_tar(&built(Shape::Oci, "b"))).unwrap();
    f.write_all(&header("pax", EntryType::XHeader, 6 * GIB)).unwrap();
    f.set_len(f.metadata().unwrap().len() + 6 * GIB + 1024).unwrap();
    let err = run(&sparse).unwrap_err();
    assert!(err.contains("PAX header") && err.contains("over the 1048576 byte limit"), "{err}");

    let layout = dir.path().join("layout");
    built(Shape::Oci, "c").write_dir(&layout).unwrap();
    std::fs::write(first_layer(&layout), zstd_long_name_bomb(b"")).unwrap();
    let v = run(&layout).unwrap();
    let f = v.findings.iter().find(|f| f.rule.id == "image/layer-unreadable").expect("layer finding");
    assert!(f.message.contains("header field too long"), "{}", f.message);
    assert!(started.elapsed().as_secs() < 60, "took {:?}", started.elapsed());
}

// Defect 12: an index listing a nested index K times, which lists a manifest M times with a
// wrong size, is walked once: one finding, not K × M.
#[test]
fn repeated_nested_indexes_are_walked_once() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    built(Shape::Oci, "a").write_dir(&layout).unwrap();
    let index: Value = serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let mut manifest = index["manifests"][0].clone();
    manifest["size"] = json!(1);
    let nested = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": vec![manifest; 400],
    }))
    .unwrap();
    let digest = sha256(&nested);
    std::fs::write(layout.join("blobs/sha256").join(&digest.hex), &nested).unwrap();
    let descriptor = json!({
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": digest.to_string(),
        "size": nested.len(),
    });
    let top = json!({"schemaVersion": 2, "manifests": vec![descriptor; 400]});
    std::fs::write(layout.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    let started = Instant::now();
    let v = run(&layout).unwrap();
    let sizes = v.findings.iter().filter(|f| f.rule.id == "image/blob-size-mismatch").count();
    assert_eq!(sizes, 1, "{:?}", rules(&v));
    assert!(v.findings.len() < 10, "{} findings", v.findings.len());
    assert_eq!(v.images.len(), 1);
    assert!(started.elapsed().as_secs() < 10, "took {:?}", started.elapsed());
}

/// A .tar.gz of `n` one-byte members.
fn crowd(n: usize) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for i in 0..n {
        gz.write_all(&member(&format!("m/{i}"), EntryType::Regular, b"x")).unwrap();
    }
    gz.write_all(&[0u8; 1024]).unwrap();
    gz.finish().unwrap()
}

// Defect 13: members per archive are bounded by a settable limit, refused quickly.
#[test]
fn members_per_archive_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crowd.tar.gz");
    let n = shipcheck_image::limits::MAX_ARCHIVE_ENTRIES + 1;
    std::fs::write(&path, crowd(n)).unwrap();
    let started = Instant::now();
    let err = run(&path).unwrap_err();
    assert!(err.contains("more than 100000 members"), "{err}");
    assert!(started.elapsed().as_secs() < 60, "took {:?}", started.elapsed());
    eprintln!("{n} one-byte members refused in {:?}", started.elapsed());

    // A member name or link target may be 1 MiB in a tar; kept per member it is capped.
    let long = dir.path().join("long.tar");
    let mut t = open_tar(&built(Shape::Oci, "a"));
    t.extend(member("././@LongLink", EntryType::GNULongName, "n/".repeat(50_000).as_bytes()));
    t.extend(member("short", EntryType::Regular, b"x"));
    t.extend(member("././@LongLink", EntryType::GNULongLink, "t/".repeat(50_000).as_bytes()));
    t.extend(member("link", EntryType::Symlink, b""));
    t.extend([0u8; 1024]);
    std::fs::write(&long, t).unwrap();
    let v = run(&long).unwrap();
    let capped: Vec<&str> = v
        .findings
        .iter()
        .filter(|f| f.rule.id == "image/archive-unsafe-entry" && f.message.contains("over the 4096 byte limit"))
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(capped.len(), 2, "{:?}", rules(&v));
    assert!(v.tree.entries.keys().all(|k| k.len() <= 4096));

    let small = dir.path().join("small.tar");
    std::fs::write(&small, built(Shape::Oci, "a").to_tar()).unwrap();
    let few = ReadLimits { max_members: 3, ..ReadLimits::default() };
    let err = verify(&spec(&small), &VerifyOptions { limits: few, ..VerifyOptions::default() }).unwrap_err();
    assert!(err.to_string().contains("more than 3 members"), "{err}");
}

// Defect 15: an archive wrapped in a compressor stops at its unpacked-size allowance (by
// default max(200 × compressed, 1 GiB)), an input error; the limit can be raised or lowered.
#[test]
fn wrapped_archive_unpacked_size_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.tar.zst");
    let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
    enc.write_all(&header("blobs/sha256/zeros", EntryType::Regular, 3 * GIB / 2)).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1536 {
        enc.write_all(&zeros).unwrap();
    }
    enc.write_all(&[0u8; 1024]).unwrap();
    std::fs::write(&path, enc.finish().unwrap()).unwrap();
    let started = Instant::now();
    let err = run(&path).unwrap_err();
    assert!(err.contains("decompresses to more than 1073741824 bytes"), "{err}");
    assert!(started.elapsed().as_secs() < 60, "took {:?}", started.elapsed());

    let small = dir.path().join("small.tar.gz");
    std::fs::write(&small, compress(&built(Shape::Oci, "a").to_tar(), Compression::Gzip).unwrap()).unwrap();
    let tight = ReadLimits { max_unpacked_bytes: Some(1024), ..ReadLimits::default() };
    let err = verify(&spec(&small), &VerifyOptions { limits: tight, ..VerifyOptions::default() }).unwrap_err();
    assert!(err.to_string().contains("decompresses to more than 1024 bytes"), "{err}");
    assert!(run(&small).is_ok());
}

// Defect 18: a malformed PAX record is a finding, and every engine (all read archives with Go's
// archive/tar) is predicted to refuse it with Go's text; in a layer it is layer-unreadable.
#[test]
fn malformed_pax_records_are_findings_engines_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pax.tar");
    std::fs::write(&path, malformed_pax_archive()).unwrap();
    let v = run(&path).unwrap();
    let f = v.findings.iter().find(|f| f.rule.id == "image/truncated-archive").expect("header finding");
    assert!(f.message.contains("malformed PAX record"), "{}", f.message);
    assert_eq!(f.severity, Severity::Error);
    for p in engine::profiles() {
        let pr = engine::predict(&v, p);
        assert_eq!(pr.verdict, Verdict::Fails, "{}", p.id);
        // Each engine's own words around Go's text (measured live: tests/damage.rs).
        assert!(
            pr.error.as_deref().unwrap_or("").contains("archive/tar: invalid tar header"),
            "{}: {:?}",
            p.id,
            pr.error
        );
    }

    let layout = dir.path().join("layout");
    built(Shape::Oci, "b").write_dir(&layout).unwrap();
    let mut layer = member("PaxHeaders/a", EntryType::XHeader, b"12 path=a\n");
    layer.extend(member("a", EntryType::Regular, b"x"));
    layer.extend([0u8; 1024]);
    std::fs::write(first_layer(&layout), compress(&layer, Compression::Gzip).unwrap()).unwrap();
    let v = run(&layout).unwrap();
    let f = v.findings.iter().find(|f| f.rule.id == "image/layer-unreadable").expect("layer finding");
    assert!(f.message.contains("archive/tar: invalid tar header"), "{}", f.message);
}

// Defect 19: manifest.json paths outside the archive are errors, and no engine loads it.
#[test]
fn manifest_json_paths_outside_the_archive_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("escape.tar");
    std::fs::write(&path, escaping_manifest_json()).unwrap();
    let v = run(&path).unwrap();
    let unsafe_paths: Vec<&str> = v
        .findings
        .iter()
        .filter(|f| f.rule.id == "image/archive-unsafe-entry" && f.severity == Severity::Error)
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(unsafe_paths.len(), 2, "{unsafe_paths:?}");
    assert!(unsafe_paths[0].contains("/etc/passwd") && unsafe_paths[0].contains("is absolute"));
    assert!(unsafe_paths[1].contains("etc/shadow") && unsafe_paths[1].contains("`..`"));
    for p in engine::profiles() {
        assert_eq!(engine::predict(&v, p).verdict, Verdict::Fails, "{}", p.id);
    }
}

const CHILD_DIR: &str = "SHIPCHECK_HOSTILE_UNREADABLE_DIR";

// Defect 20: a blob that cannot be read is an input error, never a skipped blob. Tests run as
// root, and root reads a mode-000 file anyway; so the check runs in a child process of this
// test binary as `nobody` (uid 65534), where mode 000 denies the read for real. Not as root,
// the check runs in this process.
#[test]
fn unreadable_blob_is_an_input_error() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    if std::env::var_os(CHILD_DIR).is_some() {
        return; // the child runs `unreadable_blob_child` only
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let layout = dir.path().join("layout");
    built(Shape::Oci, "a").write_dir(&layout).unwrap();
    std::fs::set_permissions(first_layer(&layout), std::fs::Permissions::from_mode(0o000)).unwrap();
    let root = std::process::Command::new("id").arg("-u").output().unwrap().stdout.starts_with(b"0\n");
    if !root {
        check_unreadable(&layout);
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "unreadable_blob_child", "--nocapture"])
        .env(CHILD_DIR, &layout)
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && text.contains("1 passed"), "{text}");
}

#[test]
fn unreadable_blob_child() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        check_unreadable(Path::new(&dir));
    }
}

fn check_unreadable(layout: &Path) {
    let layer = first_layer(layout);
    assert!(std::fs::File::open(&layer).is_err(), "the blob must be unreadable for this check");
    let err = run(layout).unwrap_err();
    assert!(err.contains("cannot be read") && err.contains("ermission denied"), "{err}");
}

/// `data` split in two halves, each its own xz stream, concatenated (as `xz` allows).
fn two_xz_streams(data: &[u8]) -> Vec<u8> {
    let half = data.len() / 2 / 512 * 512;
    let mut out = Vec::new();
    for part in [&data[..half], &data[half..]] {
        let mut enc = liblzma::write::XzEncoder::new(Vec::new(), 1);
        enc.write_all(part).unwrap();
        out.extend(enc.finish().unwrap());
    }
    out
}

// Defect 21: every reader reads all the streams of a multi-stream .tar.xz, as xz(1) does.
#[test]
fn multi_stream_xz_is_read_whole_by_every_reader() {
    let tar = built(Shape::Oci, "a").to_tar();
    let xz = two_xz_streams(&tar);
    let mut all = Vec::new();
    shipcheck_image::scan::decoder(&xz[..], Compression::Xz).unwrap().read_to_end(&mut all).unwrap();
    assert_eq!(all, tar);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.tar.xz");
    std::fs::write(&path, &xz).unwrap();
    let v = run(&path).unwrap();
    assert_eq!(v.images.len(), 1);
    assert!(v.findings.iter().all(|f| f.severity != Severity::Error), "{:?}", rules(&v));
}

// Defect 21, the attack: the first xz stream holds image A without the end-of-archive blocks,
// the second holds image B, whose index.json replaces A's. A reader of the first stream only
// would write A while verification saw B. convert must write the image verification saw.
#[test]
fn multi_stream_xz_converts_the_image_it_verifies() {
    let mut a = open_tar(&built(Shape::Oci, "image A"));
    let b = built(Shape::Oci, "image B").to_tar();
    let split = a.len();
    a.extend_from_slice(&b);
    let mut xz = Vec::new();
    for part in [&a[..split], &a[split..]] {
        let mut enc = liblzma::write::XzEncoder::new(Vec::new(), 1);
        enc.write_all(part).unwrap();
        xz.extend(enc.finish().unwrap());
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ab.tar.xz");
    std::fs::write(&path, &xz).unwrap();
    let v = run(&path).unwrap();
    let seen = v.images.iter().find(|i| !i.attestation).unwrap().config_digest.clone();
    let dest = dir.path().join("out");
    let opts = shipcheck_image::convert::Options {
        format: shipcheck_image::convert::Format::Oci,
        platform: None,
        engines: &[],
        keep_attestations: false,
    };
    shipcheck_image::convert::convert(&spec(&path), &v, &dest, &opts).unwrap();
    let out = verify(&SourceSpec::parse(&format!("oci:{}", dest.display())).unwrap(), &VerifyOptions::default());
    let written = out.unwrap().images.iter().find(|i| !i.attestation).unwrap().config_digest.clone();
    assert_eq!(written, seen, "convert wrote another image than the one verified");
}

// Defect 13, memory per member: each JSON-looking member may be kept up to 8 MiB, so the
// documents of one source are kept up to a total. A sparse tar of 40 "documents" of 8 MiB
// (a `{` and a hole) would otherwise be held whole.
#[test]
fn json_documents_kept_are_bounded_in_total() {
    use std::io::{Seek, SeekFrom};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("docs.tar");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(&open_tar(&built(Shape::Oci, "a"))).unwrap();
    let doc = 8 << 20;
    for i in 0..40 {
        f.write_all(&header(&format!("doc{i}.json"), EntryType::Regular, doc)).unwrap();
        f.write_all(b"{").unwrap();
        f.seek(SeekFrom::Current(doc as i64 - 1)).unwrap();
    }
    f.write_all(&[0u8; 1024]).unwrap();
    drop(f);
    let v = run(&path).unwrap();
    let dropped = v.findings.iter().filter(|f| f.message.contains("was not kept")).count();
    assert!(dropped > 0, "{:?}", rules(&v));
}
