//! Every archive shape real tools write, made with the project's own writer, verified clean;
//! then a corrupted variant of each, which must produce exactly the expected rule.

use std::io::Write;
use std::path::Path;

use shipcheck_image::platform::Platform;
use shipcheck_image::scan::Compression;
use shipcheck_image::write::{compress, ArchiveDraft, Built, ImageDraft, LayerDraft, LayerFile, Shape};
use shipcheck_image::{verify, ReadLimits, SourceSpec, Verified, VerifyOptions};
use shipcheck_report::Severity;

fn elf(machine: u16) -> Vec<u8> {
    let mut h = vec![0u8; 64];
    h[..4].copy_from_slice(b"\x7fELF");
    h[4] = 2;
    h[5] = 1;
    h[18..20].copy_from_slice(&machine.to_le_bytes());
    h
}

fn image(platform: &str, compression: Compression, machine: u16) -> ImageDraft {
    ImageDraft {
        platform: Platform::parse(platform).unwrap(),
        layers: vec![
            LayerDraft {
                files: vec![
                    LayerFile::new("bin/app", elf(machine), 0o755),
                    LayerFile::new("etc/os-release", "ID=test\n", 0o644),
                ],
                compression,
            },
            LayerDraft { files: vec![LayerFile::new("srv/data.txt", "hello world\n".repeat(100), 0o644)], compression },
        ],
        names: vec!["example.com/app:1.0".into()],
    }
}

const AMD64: u16 = 62;
const AARCH64: u16 = 183;

fn draft(shape: Shape) -> ArchiveDraft {
    ArchiveDraft::new(shape, vec![image("linux/amd64", Compression::Gzip, AMD64)])
}

fn multi() -> ArchiveDraft {
    let mut d = ArchiveDraft::new(
        Shape::Hybrid,
        vec![image("linux/amd64", Compression::Gzip, AMD64), image("linux/arm64", Compression::Gzip, AARCH64)],
    );
    d.multi_platform = true;
    d.attestations = true;
    d
}

fn write_tar(dir: &Path, name: &str, built: &Built) -> String {
    let path = dir.join(name);
    std::fs::write(&path, built.to_tar()).unwrap();
    path.display().to_string()
}

fn run(source: &str, opts: &VerifyOptions) -> Verified {
    verify(&SourceSpec::parse(source).unwrap(), opts).unwrap_or_else(|e| panic!("{source}: {e}"))
}

fn rules_at_least(v: &Verified, s: Severity) -> Vec<&'static str> {
    let mut r: Vec<&'static str> = v.findings.iter().filter(|f| f.severity >= s).map(|f| f.rule.id).collect();
    r.sort();
    r.dedup();
    r
}

fn assert_clean(v: &Verified, what: &str) {
    let bad: Vec<String> = v
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .map(|f| format!("{} {}", f.rule.id, f.message))
        .collect();
    assert!(bad.is_empty(), "{what}: expected no findings, got {bad:#?}");
}

#[test]
fn every_shape_verifies_clean() {
    let dir = tempfile::tempdir().unwrap();
    let opts = VerifyOptions::default();
    let cases: Vec<(&str, ArchiveDraft)> = vec![
        ("oci.tar", draft(Shape::Oci)),
        ("legacy.tar", draft(Shape::DockerLegacy)),
        ("hybrid.tar", draft(Shape::Hybrid)),
        ("multi.tar", multi()),
        ("zstd.tar", ArchiveDraft::new(Shape::Oci, vec![image("linux/amd64", Compression::Zstd, AMD64)])),
        ("plain.tar", ArchiveDraft::new(Shape::Oci, vec![image("linux/amd64", Compression::None, AMD64)])),
        (
            "two-images.tar",
            ArchiveDraft::new(
                Shape::DockerLegacy,
                vec![image("linux/amd64", Compression::None, AMD64), {
                    let mut i = image("linux/amd64", Compression::None, AMD64);
                    i.names = vec!["example.com/other:2".into()];
                    i.layers.pop();
                    i
                }],
            ),
        ),
    ];
    for (name, d) in cases {
        let built = d.build().unwrap();
        let path = write_tar(dir.path(), name, &built);
        let v = run(&path, &opts);
        assert_clean(&v, name);
        assert!(!v.images.is_empty(), "{name}: no images found");
        // The same content as a directory layout, where the shape allows one.
        if d.shape == Shape::Oci {
            let layout = dir.path().join(format!("{name}.d"));
            built.write_dir(&layout).unwrap();
            assert_clean(&run(&format!("oci:{}", layout.display()), &opts), &format!("{name} as a directory"));
        }
    }
}

#[test]
fn whole_archive_compression_is_read_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let tar = draft(Shape::Hybrid).build().unwrap().to_tar();
    for (ext, c) in [("gz", Compression::Gzip), ("zst", Compression::Zstd), ("xz", Compression::Xz)] {
        // Misleading names on purpose: detection must not use the extension.
        let path = dir.path().join(format!("image.bin.{ext}"));
        std::fs::write(&path, compress(&tar, c).unwrap()).unwrap();
        let v = run(&path.display().to_string(), &VerifyOptions::default());
        assert_clean(&v, ext);
        assert!(v.kind.contains(&format!("{}-compressed", c.name())), "{}", v.kind);
    }
}

#[test]
fn multi_platform_lists_attestations_apart_and_covers_platforms() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_tar(dir.path(), "multi.tar", &multi().build().unwrap());
    let opts = VerifyOptions {
        platforms: vec![
            Platform::parse("linux/amd64").unwrap(),
            Platform::parse("linux/arm64/v8").unwrap(),
            Platform::parse("linux/riscv64").unwrap(),
        ],
        ..Default::default()
    };
    let v = run(&path, &opts);
    let att = v.findings.iter().filter(|f| f.rule.id == "image/attestation-manifest").count();
    assert_eq!(att, 2, "one attestation per platform");
    let missing: Vec<String> =
        v.findings.iter().filter(|f| f.rule.id == "image/missing-platform").map(|f| f.message.clone()).collect();
    assert_eq!(missing.len(), 1);
    assert!(missing[0].contains("linux/riscv64"));
    assert!(v.facts.iter().any(|(k, val)| k == "platforms" && val == "linux/amd64,linux/arm64"), "{:?}", v.facts);
}

/// Applies `edit` to a freshly built archive and returns the rules at warning or above.
fn corrupted(shape_draft: ArchiveDraft, edit: impl FnOnce(&mut Built)) -> Vec<&'static str> {
    let dir = tempfile::tempdir().unwrap();
    let mut built = shape_draft.build().unwrap();
    edit(&mut built);
    let path = write_tar(dir.path(), "x.tar", &built);
    rules_at_least(&run(&path, &VerifyOptions::default()), Severity::Warning)
}

fn first_layer_path(b: &Built) -> String {
    b.files
        .iter()
        .find(|(p, d)| p.starts_with("blobs/") && d.starts_with(&[0x1f, 0x8b]))
        .map(|(p, _)| p.clone())
        .unwrap()
}

#[test]
fn corrupt_layer_bytes_break_digest_and_diff_id() {
    for shape in [Shape::Oci, Shape::Hybrid] {
        let rules = corrupted(draft(shape), |b| {
            let p = first_layer_path(b);
            let data = b.get_mut(&p).unwrap();
            // Recompress different content under the same name: digest and diff_id both break.
            *data =
                compress(&shipcheck_image::write::tar_bytes(&[LayerFile::new("evil", "x", 0o644)]), Compression::Gzip)
                    .unwrap();
        });
        assert!(rules.contains(&"image/blob-digest-mismatch"), "{shape:?}: {rules:?}");
        assert!(rules.contains(&"image/diff-id-mismatch"), "{shape:?}: {rules:?}");
    }
    // Legacy: layer.tar content changed -> diff_id mismatch.
    let rules = corrupted(draft(Shape::DockerLegacy), |b| {
        let p = b.files.iter().find(|(p, _)| p.ends_with("/layer.tar")).unwrap().0.clone();
        *b.get_mut(&p).unwrap() = shipcheck_image::write::tar_bytes(&[LayerFile::new("evil", "x", 0o644)]);
    });
    assert_eq!(rules, vec!["image/diff-id-mismatch"]);
}

#[test]
fn truncated_layer_is_unreadable() {
    let rules = corrupted(draft(Shape::Oci), |b| {
        let p = first_layer_path(b);
        let data = b.get_mut(&p).unwrap();
        data.truncate(data.len() / 2);
    });
    assert!(rules.contains(&"image/layer-unreadable"), "{rules:?}");
    assert!(rules.contains(&"image/blob-size-mismatch"), "{rules:?}");
}

#[test]
fn missing_blob_null_manifests_and_missing_layout() {
    let rules = corrupted(draft(Shape::Oci), |b| {
        let p = first_layer_path(b);
        b.remove(&p);
    });
    assert_eq!(rules, vec!["image/blob-missing"]);
    let rules = corrupted(draft(Shape::Hybrid), |b| {
        *b.get_mut("index.json").unwrap() =
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":null}"#.to_vec();
    });
    assert_eq!(rules, vec!["image/hybrid-mismatch", "image/null-manifest"]);
    let rules = corrupted(draft(Shape::Oci), |b| b.remove("oci-layout"));
    assert_eq!(rules, vec!["image/missing-oci-layout"]);
    let rules = corrupted(draft(Shape::DockerLegacy), |b| *b.get_mut("manifest.json").unwrap() = b"null".to_vec());
    assert_eq!(rules, vec!["image/null-manifest"]);
    let rules =
        corrupted(draft(Shape::DockerLegacy), |b| *b.get_mut("manifest.json").unwrap() = b"[{\"Config\": 7}]".to_vec());
    assert_eq!(rules, vec!["image/invalid-json"]);
}

/// Replaces a blob's content and renames it, updating every reference to its digest (same
/// length edits only, so sizes stay right).
fn replace_blob(b: &mut Built, path: &str, edit: impl FnOnce(&str) -> String) {
    let old = b.get_mut(path).unwrap().clone();
    let new = edit(std::str::from_utf8(&old).unwrap()).into_bytes();
    assert_eq!(old.len(), new.len());
    let old_hex = path.rsplit('/').next().unwrap().to_string();
    let new_hex = shipcheck_image::digest::sha256(&new).hex;
    b.remove(path);
    b.files.push((format!("blobs/sha256/{new_hex}"), new));
    for (_, d) in b.files.iter_mut() {
        if let Ok(t) = std::str::from_utf8(d) {
            if t.contains(&old_hex) {
                *d = t.replace(&old_hex, &new_hex).into_bytes();
            }
        }
    }
}

#[test]
fn platform_lies_and_foreign_executables() {
    // The index says arm64 for an image whose config and binaries are amd64.
    let mut d = ArchiveDraft::new(Shape::Oci, vec![image("linux/amd64", Compression::Gzip, AMD64)]);
    d.multi_platform = true;
    let rules = corrupted(d, |b| {
        let nested = b
            .files
            .iter()
            .find(|(p, d)| p.starts_with("blobs/") && String::from_utf8_lossy(d).contains("\"manifests\""))
            .map(|(p, _)| p.clone())
            .unwrap();
        replace_blob(b, &nested, |t| t.replace("\"architecture\":\"amd64\"", "\"architecture\":\"arm64\""));
    });
    // The platform the index claims is what users pull, so its binaries are checked against it too.
    assert_eq!(rules, vec!["image/arch-mismatch", "image/platform-mismatch"]);
    // arm64 image whose executables are x86-64: an amd64 userland built under emulation.
    let d = ArchiveDraft::new(Shape::Oci, vec![image("linux/arm64", Compression::Gzip, AMD64)]);
    let rules = corrupted(d, |_| {});
    assert_eq!(rules, vec!["image/arch-mismatch"]);
}

/// The archive's files in a tar builder that a test can append hand-made members to.
fn repack(built: &Built) -> tar::Builder<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    for (p, d) in &built.files {
        let mut h = tar::Header::new_gnu();
        h.set_size(d.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, p, &d[..]).unwrap();
    }
    b
}

#[test]
fn archive_members_that_escape_loop_or_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let built = draft(Shape::DockerLegacy).build().unwrap();
    // Re-pack by hand with a duplicate member, an escaping symlink and a link loop.
    let mut b = repack(&built);
    let mut h = tar::Header::new_gnu();
    h.set_size(2);
    b.append_data(&mut h, "manifest.json.bak", &b"[]"[..]).unwrap();
    let (p, d) = built.files.iter().find(|(p, _)| p == "repositories").unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_size(d.len() as u64);
    b.append_data(&mut h, p, &d[..]).unwrap();
    for (name, target) in [("evil", "../../../etc/shadow"), ("l1", "l2"), ("l2", "l1")] {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, name, target).unwrap();
    }
    let path = dir.path().join("x.tar");
    std::fs::write(&path, b.into_inner().unwrap()).unwrap();
    let v = run(&path.display().to_string(), &VerifyOptions::default());
    let rules = rules_at_least(&v, Severity::Note);
    assert!(rules.contains(&"image/duplicate-entry"), "{rules:?}");
    assert_eq!(v.findings.iter().filter(|f| f.rule.id == "image/archive-unsafe-entry").count(), 3, "{:#?}", v.findings);
    assert!(rules.contains(&"image/unknown-entry"), "{rules:?}");
}

#[test]
fn layer_escapes_and_duplicates_inside_a_layer() {
    let mut raw = tar::Builder::new(Vec::new());
    for (name, data) in [("etc/passwd", "a"), ("../../etc/cron.d/x", "b"), ("etc/passwd", "c")] {
        let mut h = tar::Header::new_gnu();
        h.set_size(1);
        h.set_mode(0o644);
        let n = &mut h.as_old_mut().name;
        n[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        raw.append(&h, data.as_bytes()).unwrap();
    }
    let layer_tar = raw.into_inner().unwrap();
    let rules = corrupted(draft(Shape::DockerLegacy), |b| {
        let p = b.files.iter().find(|(p, _)| p.ends_with("/layer.tar")).unwrap().0.clone();
        *b.get_mut(&p).unwrap() = layer_tar;
    });
    assert!(rules.contains(&"image/layer-path-escape"), "{rules:?}");
    assert!(rules.contains(&"image/layer-duplicate-path"), "{rules:?}");
}

#[test]
fn selectors_pick_images_or_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let mut second = image("linux/amd64", Compression::None, AMD64);
    second.names = vec!["example.com/other:2".into()];
    let path = write_tar(
        dir.path(),
        "two.tar",
        &ArchiveDraft::new(Shape::DockerLegacy, vec![image("linux/amd64", Compression::None, AMD64), second])
            .build()
            .unwrap(),
    );
    let one = run(&format!("docker-archive:{path}:@1"), &VerifyOptions::default());
    assert_eq!(one.images.len(), 1);
    assert_eq!(one.images[0].names, vec!["example.com/other:2".to_string()]);
    let by_name = run(&format!("docker-archive:{path}:example.com/app:1.0"), &VerifyOptions::default());
    assert_eq!(by_name.images[0].names, vec!["example.com/app:1.0".to_string()]);
    let err = verify(&SourceSpec::parse(&format!("docker-archive:{path}:@5")).unwrap(), &VerifyOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("@5 is out of range") && err.contains("@0 to @1"), "{err}");
    let err = verify(&SourceSpec::parse(&format!("docker-archive:{path}:nope:1")).unwrap(), &VerifyOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("example.com/other:2"), "{err}");
    let err =
        verify(&SourceSpec::parse(&format!("oci:{path}")).unwrap(), &VerifyOptions::default()).unwrap_err().to_string();
    assert!(err.contains("oci-archive:"), "{err}");
}

#[test]
fn bad_input_gives_clear_errors_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "is empty"),
        ("garbage", b"\x00\x01garbage that is not a tar at all".repeat(40), "not a tar archive"),
        ("bzip", b"BZh91AY&SY".to_vec(), "bzip2"),
        ("rootfs.tar", shipcheck_image::write::tar_bytes(&[LayerFile::new("bin/sh", "x", 0o755)]), "is not an image"),
    ];
    for (name, data, expect) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, data).unwrap();
        let err = verify(&SourceSpec::parse(&p.display().to_string()).unwrap(), &VerifyOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains(expect) && err.contains(name), "{name}: {err}");
    }
    let err =
        verify(&SourceSpec::parse("/nonexistent/x.tar").unwrap(), &VerifyOptions::default()).unwrap_err().to_string();
    assert!(err.contains("/nonexistent/x.tar"), "{err}");
    // Cut before the metadata (written last): nothing to check, and the error says why.
    let tar = draft(Shape::Hybrid).build().unwrap().to_tar();
    let p = dir.path().join("cut.tar");
    std::fs::write(&p, &tar[..tar.len() * 2 / 3]).unwrap();
    let err = verify(&SourceSpec::parse(&p.display().to_string()).unwrap(), &VerifyOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("truncated"), "{err}");
    // Metadata first, then cut inside a layer: a finding, and everything else still checked.
    let mut built = draft(Shape::Hybrid).build().unwrap();
    built.files.sort_by_key(|(p, _)| !p.ends_with(".json") && p != "oci-layout");
    let tar = built.to_tar();
    std::fs::write(&p, &tar[..tar.len() - 3000]).unwrap();
    let v = run(&p.display().to_string(), &VerifyOptions::default());
    assert!(rules_at_least(&v, Severity::Error).contains(&"image/truncated-archive"), "{:#?}", v.findings);
    // Random bit flips anywhere must never panic.
    for i in (0..tar.len()).step_by(97) {
        let mut t = tar.clone();
        t[i] ^= 0x5a;
        let p = dir.path().join("flip.tar");
        std::fs::write(&p, &t).unwrap();
        let _ = verify(&SourceSpec::parse(&p.display().to_string()).unwrap(), &VerifyOptions::default());
    }
}

/// `n` zero bytes, gzip -9.
fn gzip_zeros(n: usize) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&vec![0u8; n]).unwrap();
    enc.finish().unwrap()
}

/// An OCI archive of one image with one layer whose bytes are `layer` (not renamed: a bomb's
/// digest is not what this checks).
fn one_layer_archive(dir: &Path, name: &str, layer: Vec<u8>) -> String {
    let mut d = draft(Shape::Oci);
    d.images[0].layers.truncate(1);
    let mut built = d.build().unwrap();
    let p = first_layer_path(&built);
    *built.get_mut(&p).unwrap() = layer;
    write_tar(dir, name, &built)
}

#[test]
fn gzip_bomb_layer_is_reported_not_expanded() {
    // 1.25 GiB of zeros in a gzip layer of ~1.3 MiB: over the 200x ratio and the 1 GiB floor.
    // Built as 80 concatenated gzip members of 16 MiB each, which gzip readers must accept.
    let dir = tempfile::tempdir().unwrap();
    let member = gzip_zeros(16 << 20);
    let bomb: Vec<u8> = (0..80).flat_map(|_| member.iter().copied()).collect();
    let path = one_layer_archive(dir.path(), "bomb.tar", bomb);
    let v = run(&path, &VerifyOptions::default());
    let bombs: Vec<_> = v.findings.iter().filter(|f| f.rule.id == "image/decompression-bomb").collect();
    assert_eq!(bombs.len(), 1, "{:#?}", v.findings);
    assert!(bombs[0].message.contains("times its"), "{}", bombs[0].message);
    assert!(v.findings.iter().all(|f| f.rule.id != "image/layer-unreadable"), "{:#?}", v.findings);
    // The user who knows this layer is honest (a sparse disk image) raises the ratio: the floor
    // scales with it (10 GiB at 2000), the layer is read whole, and nothing is reported.
    let raised = ReadLimits { max_expansion_ratio: 2000, ..ReadLimits::default() };
    let v = run(&path, &VerifyOptions { limits: raised, ..VerifyOptions::default() });
    assert!(v.findings.iter().all(|f| f.rule.id != "image/decompression-bomb"), "{:#?}", v.findings);
    assert!(v.findings.iter().all(|f| f.rule.id != "image/layer-unreadable"), "{:#?}", v.findings);
}

#[test]
fn the_expansion_ratio_is_one_setting_for_ratio_and_floor() {
    // 100 MiB of zeros in ~100 KiB of gzip: a ratio near 1000, but under the default 1 GiB
    // floor, so not a bomb by default; at ratio 10 the floor is 51 MiB and it is one.
    let dir = tempfile::tempdir().unwrap();
    let path = one_layer_archive(dir.path(), "zeros.tar", gzip_zeros(100 << 20));
    let bombs = |ratio: u64| {
        let limits = ReadLimits { max_expansion_ratio: ratio, ..ReadLimits::default() };
        let v = run(&path, &VerifyOptions { limits, ..VerifyOptions::default() });
        v.findings.into_iter().filter(|f| f.rule.id == "image/decompression-bomb").collect::<Vec<_>>()
    };
    assert!(bombs(200).is_empty());
    assert!(bombs(0).is_empty(), "0 is no limit");
    let lowered = bombs(10);
    assert_eq!(lowered.len(), 1);
    let evidence = |k: &str| lowered[0].evidence.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    assert_eq!(evidence("limit_bytes").as_deref(), Some(((1u64 << 30) / 20).to_string().as_str()));
    assert!(lowered[0].remedy.contains("--max-expansion-ratio"));
}

#[test]
fn fast_mode_skips_content_but_checks_structure() {
    let dir = tempfile::tempdir().unwrap();
    let mut built = draft(Shape::Oci).build().unwrap();
    let p = first_layer_path(&built);
    built.get_mut(&p).unwrap()[20] ^= 1; // content damage: invisible to --fast
    let path = write_tar(dir.path(), "x.tar", &built);
    let fast = run(&path, &VerifyOptions { fast: true, ..Default::default() });
    assert!(rules_at_least(&fast, Severity::Warning).is_empty(), "{:#?}", fast.findings);
    let full = run(&path, &VerifyOptions::default());
    assert!(rules_at_least(&full, Severity::Error).contains(&"image/blob-digest-mismatch"));
}

#[test]
fn non_utf8_names_and_links_out_of_a_layout() {
    // A member whose name is not UTF-8: reported, not decoded lossily into a wrong path.
    let dir = tempfile::tempdir().unwrap();
    let built = draft(Shape::DockerLegacy).build().unwrap();
    let mut b = repack(&built);
    let mut h = tar::Header::new_gnu();
    h.set_size(1);
    let name = b"caf\xe9.txt";
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_cksum();
    b.append(&h, &b"x"[..]).unwrap();
    let path = dir.path().join("names.tar");
    std::fs::write(&path, b.into_inner().unwrap()).unwrap();
    let v = run(&path.display().to_string(), &VerifyOptions::default());
    let unsafe_names: Vec<_> = v.findings.iter().filter(|f| f.rule.id == "image/archive-unsafe-entry").collect();
    assert_eq!(unsafe_names.len(), 1, "{:#?}", v.findings);
    assert!(unsafe_names[0].message.contains("not valid UTF-8"));

    // A layout whose blob is a symlink to a file outside it: never followed.
    let layout = dir.path().join("layout");
    let built = draft(Shape::Oci).build().unwrap();
    built.write_dir(&layout).unwrap();
    let victim = dir.path().join("outside");
    std::fs::write(&victim, "secret").unwrap();
    let blob =
        built.files.iter().find(|(p, d)| p.starts_with("blobs/") && d.starts_with(&[0x1f, 0x8b])).unwrap().0.clone();
    std::fs::remove_file(layout.join(&blob)).unwrap();
    std::os::unix::fs::symlink(&victim, layout.join(&blob)).unwrap();
    let v = run(&format!("oci:{}", layout.display()), &VerifyOptions::default());
    let rules = rules_at_least(&v, Severity::Error);
    assert!(rules.contains(&"image/archive-unsafe-entry"), "{rules:?}");
    assert!(v.findings.iter().all(|f| !f.evidence.iter().any(|(_, val)| val.contains("secret"))));
}

#[test]
fn absent_foreign_layers_are_a_note_not_an_error() {
    // A Windows-style image: its base layer is foreign (fetched from URLs), so not in the layout.
    use shipcheck_image::digest::sha256;
    let dir = tempfile::tempdir().unwrap();
    let blobs = dir.path().join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |data: &[u8]| {
        let d = sha256(data);
        std::fs::write(blobs.join(&d.hex), data).unwrap();
        d
    };
    let foreign = format!("sha256:{}", "f".repeat(64));
    let diff = format!("sha256:{}", "e".repeat(64));
    let config =
        format!(r#"{{"architecture":"amd64","os":"windows","rootfs":{{"type":"layers","diff_ids":["{diff}"]}}}}"#);
    let cd = put(config.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{cd}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip","digest":"{foreign}","size":1000,"urls":["https://example.com/base"]}}]}}"#,
        config.len()
    );
    let md = put(manifest.as_bytes());
    std::fs::write(dir.path().join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(
        dir.path().join("index.json"),
        format!(r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{md}","size":{}}}]}}"#, manifest.len()),
    )
    .unwrap();
    let v = run(&format!("oci:{}", dir.path().display()), &VerifyOptions::default());
    assert!(rules_at_least(&v, Severity::Warning).is_empty(), "{:#?}", v.findings);
    assert!(v
        .findings
        .iter()
        .any(|f| f.rule.id == "image/blob-missing" && f.severity == Severity::Note && f.message.contains("foreign")));
}
