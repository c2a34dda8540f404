//! Writes that cannot escape the target (issue 12, defects 1, 2, 3, 15, 25): path-like digests,
//! links planted in an output, an existing destination, the source as its own destination, the
//! temp-space limit of convert, and scratch files of killed runs.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use shipcheck_core::scratch::Dir;
use shipcheck_image::convert::{self, convert_with, default_temp_limit, Format, Options, WriteOptions};
use shipcheck_image::digest::{sha256, Algorithm, Digest};
use shipcheck_image::engine;
use shipcheck_image::platform::Platform;
use shipcheck_image::scan::Compression;
use shipcheck_image::write::{
    compress, ArchiveDraft, BlobError, ImageDraft, LayerDraft, LayerFile, LayoutWriter, Shape,
};
use shipcheck_image::{SourceSpec, VerifyOptions};

fn image(name: &str, files: Vec<LayerFile>, compression: Compression) -> ImageDraft {
    ImageDraft {
        platform: Platform::parse("linux/amd64").unwrap(),
        layers: vec![LayerDraft { files, compression }],
        names: vec![name.to_string()],
    }
}

/// A small hybrid docker-archive at `path`.
fn archive(path: &Path, content: &str) {
    let files = vec![LayerFile::new("etc/shape", content.to_string(), 0o644)];
    let built = ArchiveDraft::new(Shape::Hybrid, vec![image("example.com/app:1.0", files, Compression::Gzip)]).build();
    std::fs::write(path, built.unwrap().to_tar()).unwrap();
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    v.sort();
    v
}

fn convert_to(source: &str, dest: &Path, format: Format, out: &WriteOptions) -> Result<convert::Written, String> {
    let spec = SourceSpec::parse(source).unwrap();
    let v = shipcheck_image::verify(&spec, &VerifyOptions::default()).unwrap();
    let engines: Vec<&'static engine::Profile> = engine::profiles().iter().collect();
    let opts = Options { format, platform: None, engines: &engines, keep_attestations: false };
    convert_with(&spec, &v, dest, &opts, out).map_err(|e| e.to_string())
}

fn forged(hex: &str) -> Digest {
    Digest { algorithm: Algorithm::Sha256, hex: hex.to_string() }
}

/// Defects 1 and 2: a digest that is not `sha256:<64 hex>` never becomes a path, whatever the
/// caller built; the victim outside the layout is neither truncated nor deleted.
#[test]
fn path_like_digests_never_reach_the_file_system() {
    let t = tempfile::tempdir().unwrap();
    let victim = t.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    std::fs::create_dir(t.path().join("layout")).unwrap();
    let w = LayoutWriter::new(Dir::open(&t.path().join("layout")).unwrap()).unwrap();
    for hex in ["../../victim", "../../../victim", "/etc/passwd", "..", "", &"0".repeat(63), &"A".repeat(64)] {
        let e = w.put_bytes(&forged(hex), b"registry bytes").unwrap_err();
        assert!(matches!(e, BlobError::Invalid(_)), "{hex}: {e}");
        assert!(e.to_string().contains("64 lowercase hex digits"), "{e}");
        assert!(!w.has_blob(&forged(hex)));
    }
    // The parser refuses them in the first place.
    assert!(Digest::parse("sha256:../../victim").is_err());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(names(t.path()), ["layout", "victim"]);
    assert!(names(&t.path().join("layout/blobs")).is_empty());
}

/// Defect 2: bytes that do not match their digest are removed — only the scratch file they
/// were written to, never a file of the digest's name or anything outside.
#[test]
fn a_mismatched_blob_leaves_nothing() {
    let t = tempfile::tempdir().unwrap();
    let w = LayoutWriter::new(Dir::open(t.path()).unwrap()).unwrap();
    let d = sha256(b"the real bytes");
    let e = w.put_bytes(&d, b"other bytes!!!").unwrap_err();
    assert!(matches!(e, BlobError::Mismatch { bytes: 14, .. }), "{e}");
    // Too long: reading stops at size + 1, and nothing is kept.
    let e = w.put_blob(&d, 3, &mut &b"the real bytes"[..]).unwrap_err();
    assert!(matches!(e, BlobError::Mismatch { bytes: 4, .. }), "{e}");
    assert!(names(&t.path().join("blobs/sha256")).is_empty());
    w.put_bytes(&d, b"the real bytes").unwrap();
    assert_eq!(names(&t.path().join("blobs/sha256")), vec![d.hex]);
}

/// Links planted inside an output are not followed: `blobs` or `blobs/sha256` as a link out,
/// a dangling link in the place of a blob.
#[test]
fn links_in_the_layout_are_not_followed() {
    let t = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let layout = t.path().join("layout");
    std::fs::create_dir_all(&layout).unwrap();
    symlink(outside.path(), layout.join("blobs")).unwrap();
    assert!(LayoutWriter::new(Dir::open(&layout).unwrap()).is_err());
    std::fs::remove_file(layout.join("blobs")).unwrap();
    std::fs::create_dir(layout.join("blobs")).unwrap();
    symlink(outside.path(), layout.join("blobs/sha256")).unwrap();
    let w = LayoutWriter::new(Dir::open(&layout).unwrap()).unwrap();
    let d = sha256(b"x");
    assert!(matches!(w.put_bytes(&d, b"x"), Err(BlobError::Write(_))));
    assert!(names(outside.path()).is_empty());
    // The test-archive writer refuses `..` and absolute member paths too.
    let mut built = ArchiveDraft::new(Shape::Oci, vec![image("a:1", vec![], Compression::None)]).build().unwrap();
    built.files.push(("blobs/../../escaped".into(), b"x".to_vec()));
    assert!(built.write_dir(&t.path().join("fixture")).is_err());
    assert!(!t.path().join("escaped").exists());
}

/// Defect 2 through convert: a layout whose descriptors carry path-like digests, with the
/// files they would name planted beside it, is converted without reading or writing them.
#[test]
fn convert_of_a_layout_with_path_like_digests_stays_inside() {
    let t = tempfile::tempdir().unwrap();
    let layout = t.path().join("src");
    let built = ArchiveDraft::new(Shape::Oci, vec![image("example.com/app:1.0", vec![], Compression::Gzip)]);
    let mut built = built.build().unwrap();
    let index = built.get_mut("index.json").unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(index).unwrap();
    let good = v["manifests"][0].clone();
    let mut evil = good.clone();
    evil["digest"] = "sha256:../../victim".into();
    v["manifests"] = serde_json::json!([good, evil]);
    *index = serde_json::to_vec(&v).unwrap();
    built.write_dir(&layout).unwrap();
    std::fs::write(t.path().join("victim"), "precious").unwrap();
    let dest = t.path().join("out").join("image.tar");
    let _ = convert_to(&format!("oci:{}", layout.display()), &dest, Format::DockerArchive, &WriteOptions::default());
    assert_eq!(std::fs::read_to_string(t.path().join("victim")).unwrap(), "precious");
    let mut all = names(t.path());
    all.retain(|n| n != "out");
    assert_eq!(all, ["src", "victim"]);
}

/// Defect 3: an existing archive is replaced only with `overwrite`.
#[test]
fn an_existing_archive_is_replaced_only_with_overwrite() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("a.tar");
    archive(&src, "one");
    let dest = t.path().join("b.tar");
    std::fs::write(&dest, "the user's file").unwrap();
    let src_arg = src.display().to_string();
    let e = convert_to(&src_arg, &dest, Format::DockerArchive, &WriteOptions::default()).unwrap_err();
    assert!(e.contains("exists") && e.contains("--overwrite") && e.contains("b.tar"), "{e}");
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "the user's file");
    let overwrite = WriteOptions { overwrite: true, ..Default::default() };
    convert_to(&src_arg, &dest, Format::DockerArchive, &overwrite).unwrap();
    assert_ne!(std::fs::read(&dest).unwrap(), b"the user's file");
    // A directory where an archive goes is refused even with overwrite.
    let e = convert_to(&src_arg, t.path(), Format::OciArchive, &overwrite).unwrap_err();
    assert!(e.contains("expected"), "{e}");
    // No scratch file is left behind by the refusals.
    assert_eq!(names(t.path()), ["a.tar", "b.tar"]);
}

/// Defect 3: `convert a.tar a.tar` — and the same file through a link or a hard link — is
/// refused, with or without overwrite, and the source is unchanged.
#[test]
fn the_source_is_never_its_own_destination() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("a.tar");
    archive(&src, "one");
    let before = std::fs::read(&src).unwrap();
    symlink(&src, t.path().join("link.tar")).unwrap();
    std::fs::hard_link(&src, t.path().join("hard.tar")).unwrap();
    std::fs::create_dir(t.path().join("sub")).unwrap();
    symlink(t.path(), t.path().join("sub/up")).unwrap();
    let overwrite = WriteOptions { overwrite: true, ..Default::default() };
    let spellings = [src.clone(), t.path().join("link.tar"), t.path().join("hard.tar"), t.path().join("sub/up/a.tar")];
    for dest in &spellings {
        for out in [&WriteOptions::default(), &overwrite] {
            let e = convert_to(&src.display().to_string(), dest, Format::DockerArchive, out).unwrap_err();
            assert!(e.contains("is the source"), "{}: {e}", dest.display());
        }
    }
    assert_eq!(std::fs::read(&src).unwrap(), before);
    // An OCI layout as its own destination too.
    let layout = t.path().join("layout");
    let d = ArchiveDraft::new(Shape::Oci, vec![image("example.com/app:1.0", vec![], Compression::Gzip)]);
    d.build().unwrap().write_dir(&layout).unwrap();
    let e = convert_to(&format!("oci:{}", layout.display()), &layout, Format::Oci, &overwrite).unwrap_err();
    assert!(e.contains("is the source"), "{e}");
}

/// Adding an image to an existing OCI layout stays allowed, as skopeo does: the blobs it
/// lacks and a descriptor in index.json (one with the same name is replaced); a directory that
/// is not a layout is refused.
#[test]
fn an_existing_oci_layout_gets_the_image_added() {
    let t = tempfile::tempdir().unwrap();
    let layout = t.path().join("layout");
    let first = ArchiveDraft::new(Shape::Oci, vec![image("example.com/other:2.0", vec![], Compression::Gzip)]);
    first.build().unwrap().write_dir(&layout).unwrap();
    let src = t.path().join("a.tar");
    archive(&src, "one");
    let src_arg = src.display().to_string();
    convert_to(&src_arg, &layout, Format::Oci, &WriteOptions::default()).unwrap();
    // Again: the same name moves, it is not listed twice.
    convert_to(&src_arg, &layout, Format::Oci, &WriteOptions::default()).unwrap();
    let index: serde_json::Value = serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let refs: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["annotations"]["org.opencontainers.image.ref.name"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["example.com/other:2.0", "example.com/app:1.0"]);
    let v = shipcheck_image::verify(
        &SourceSpec::parse(&format!("oci:{}", layout.display())).unwrap(),
        &VerifyOptions::default(),
    );
    let v = v.unwrap();
    assert!(v.findings.iter().all(|f| f.severity != shipcheck_report::Severity::Error), "{:?}", v.findings);
    // A plain directory is not a layout.
    let plain = t.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    let e = convert_to(&src_arg, &plain, Format::Oci, &WriteOptions::default()).unwrap_err();
    assert!(e.contains("not an OCI layout"), "{e}");
    assert!(names(&plain).is_empty());
}

/// What copy builds beside the destination is placed the same way: renamed when new, added to
/// an existing layout, refused over anything else.
#[test]
fn a_built_layout_is_placed_or_added() {
    let t = tempfile::tempdir().unwrap();
    let layout = |dir: &Path, name: &str| {
        let d = ArchiveDraft::new(Shape::Oci, vec![image(name, vec![], Compression::Gzip)]);
        d.build().unwrap().write_dir(dir).unwrap();
    };
    let dest = t.path().join("dest");
    layout(&t.path().join("one"), "example.com/one:1");
    convert::place_layout(&t.path().join("one"), &dest).unwrap();
    assert_eq!(names(t.path()), ["dest"]);
    layout(&t.path().join("two"), "example.com/two:2");
    convert::place_layout(&t.path().join("two"), &dest).unwrap();
    let index: serde_json::Value = serde_json::from_slice(&std::fs::read(dest.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["manifests"].as_array().unwrap().len(), 2, "{index}");
    std::fs::write(t.path().join("file"), "x").unwrap();
    let e = convert::place_layout(&t.path().join("two"), &t.path().join("file")).unwrap_err().to_string();
    assert!(e.contains("not an OCI layout"), "{e}");
}

/// A zstd-wrapped oci-archive of a few KiB whose layer holds `zeros` bytes of zeros.
fn bomb(dir: &Path, zeros: usize) -> PathBuf {
    let files = vec![LayerFile::new("zeros", vec![0u8; zeros], 0o644)];
    let built = ArchiveDraft::new(Shape::Oci, vec![image("example.com/bomb:1", files, Compression::None)]).build();
    let path = dir.join("bomb.tar.zst");
    std::fs::write(&path, compress(&built.unwrap().to_tar(), Compression::Zstd).unwrap()).unwrap();
    path
}

/// Defect 15 (temp space): convert stops at its temp-space limit with an error that names the
/// limit, writes no output, and leaves no temporary file.
#[test]
fn convert_stops_at_the_temp_space_limit() {
    let t = tempfile::tempdir().unwrap();
    let src = bomb(t.path(), 24 << 20);
    assert!(std::fs::metadata(&src).unwrap().len() < 64 << 10);
    let out_dir = t.path().join("out");
    let dest = out_dir.join("image.tar");
    let capped = WriteOptions { temp_limit: Some(8 << 20), ..Default::default() };
    let e = convert_to(&src.display().to_string(), &dest, Format::DockerArchive, &capped).unwrap_err();
    assert!(e.contains("temp-space limit of 8 MiB") && e.contains("bomb.tar.zst"), "{e}");
    assert!(names(&out_dir).is_empty(), "{:?}", names(&out_dir));
    // Under the limit it converts.
    let roomy = WriteOptions { temp_limit: Some(64 << 20), ..Default::default() };
    convert_to(&src.display().to_string(), &dest, Format::DockerArchive, &roomy).unwrap();
    assert_eq!(names(&out_dir), ["image.tar"]);
    // The default: at least 1 GiB, else 50 times the input. A 143 KiB input may not fill 3.7 GiB.
    assert_eq!(default_temp_limit(143 << 10), 1 << 30);
    assert_eq!(default_temp_limit(1 << 30), 50 << 30);
}

/// Defect 25: scratch files of a killed run beside the output are removed by the next
/// convert; a failed convert leaves none of its own.
#[test]
fn convert_removes_scratch_of_dead_runs() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("a.tar");
    archive(&src, "one");
    let out = t.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut c = std::process::Command::new("true").spawn().unwrap();
    let dead = c.id();
    c.wait().unwrap();
    let stale = out.join(format!(".shipcheck-tmp-{dead}-0123456789ab"));
    std::fs::create_dir_all(stale.join("src/blobs")).unwrap();
    std::fs::write(stale.join("src/blobs/big"), vec![1u8; 1 << 20]).unwrap();
    std::fs::write(out.join(format!(".shipcheck-tmp-{dead}-abcdefghijkl")), "half an archive").unwrap();
    convert_to(&src.display().to_string(), &out.join("image.tar"), Format::OciArchive, &WriteOptions::default())
        .unwrap();
    assert_eq!(names(&out), ["image.tar"]);
    // A failing convert (the destination exists) leaves nothing either.
    let e =
        convert_to(&src.display().to_string(), &out.join("image.tar"), Format::OciArchive, &WriteOptions::default());
    assert!(e.is_err());
    assert_eq!(names(&out), ["image.tar"]);
}
