//! Archives and layouts written by the real tools from Debian (umoci 0.4, skopeo 1.9,
//! buildah 1.28): each verifies clean, and a corrupted copy of each is caught.
//!
//! The tools are installed by scripts/install-test-deps.sh. Without them the tests skip,
//! except under CI=true, where a missing tool fails the run.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use shipcheck_image::{verify, SourceSpec, Verified, VerifyOptions};
use shipcheck_report::Severity;

fn have(tools: &[&str]) -> bool {
    let missing: Vec<&&str> = tools.iter().filter(|t| Command::new(t).arg("--version").output().is_err()).collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "missing tools under CI: {missing:?} (run scripts/install-test-deps.sh)"
    );
    eprintln!("skipping: missing {missing:?}");
    false
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

fn check(source: &str) -> Verified {
    verify(&SourceSpec::parse(source).unwrap(), &VerifyOptions::default()).unwrap_or_else(|e| panic!("{source}: {e}"))
}

fn serious(v: &Verified) -> Vec<String> {
    v.findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .map(|f| format!("{}: {}", f.rule.id, f.message))
        .collect()
}

/// An OCI layout made by `umoci unpack`/`repack` with two real files, garbage-collected.
fn umoci_layout(dir: &Path) -> PathBuf {
    let layout = dir.join("umoci");
    let bundle = dir.join("bundle");
    let image = format!("{}:latest", layout.display());
    run(Command::new("umoci").args(["init", "--layout"]).arg(&layout));
    run(Command::new("umoci").args(["new", "--image", &image]));
    run(Command::new("umoci").args(["unpack", "--image", &image]).arg(&bundle));
    let rootfs = bundle.join("rootfs");
    std::fs::create_dir_all(rootfs.join("usr/bin")).unwrap();
    std::fs::create_dir_all(rootfs.join("etc")).unwrap();
    std::fs::copy("/usr/bin/true", rootfs.join("usr/bin/true")).unwrap();
    std::fs::write(rootfs.join("etc/motd"), "built by umoci for shipcheck's tests\n".repeat(200)).unwrap();
    run(Command::new("umoci").args(["repack", "--image", &image]).arg(&bundle));
    run(Command::new("umoci").args(["gc", "--layout"]).arg(&layout));
    layout
}

fn policy(dir: &Path) -> PathBuf {
    let p = dir.join("policy.json");
    std::fs::write(&p, r#"{"default":[{"type":"insecureAcceptAnything"}]}"#).unwrap();
    p
}

/// Flips one byte in the middle of the largest regular file of a directory, or of the largest
/// member's data in a tar file.
fn corrupt(path: &Path) {
    if path.is_dir() {
        let mut largest: Option<(u64, PathBuf)> = None;
        let mut stack = vec![path.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let e = e.unwrap();
                let m = e.metadata().unwrap();
                if m.is_dir() {
                    stack.push(e.path());
                } else if largest.as_ref().is_none_or(|(s, _)| m.len() > *s) {
                    largest = Some((m.len(), e.path()));
                }
            }
        }
        let (size, file) = largest.unwrap();
        let mut data = std::fs::read(&file).unwrap();
        data[(size / 2) as usize] ^= 0x40;
        std::fs::write(&file, data).unwrap();
    } else {
        let mut data = std::fs::read(path).unwrap();
        let mut archive = tar::Archive::new(&data[..]);
        let (offset, size) = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap())
            .map(|e| (e.raw_file_position(), e.header().size().unwrap()))
            .max_by_key(|(_, s)| *s)
            .unwrap();
        data[(offset + size / 2) as usize] ^= 0x40;
        std::fs::write(path, data).unwrap();
    }
}

fn assert_caught(source: &str) {
    let v = check(source);
    let errors: Vec<&str> = v.findings.iter().filter(|f| f.severity == Severity::Error).map(|f| f.rule.id).collect();
    assert!(
        errors
            .iter()
            .any(|r| ["image/blob-digest-mismatch", "image/diff-id-mismatch", "image/layer-unreadable"].contains(r)),
        "{source}: corruption not caught: {:#?}",
        v.findings
    );
}

#[test]
fn skopeo_and_umoci_outputs_verify_and_corruption_is_caught() {
    if !have(&["umoci", "skopeo"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let layout = umoci_layout(dir.path());
    let policy = policy(dir.path());
    let src = format!("oci:{}:latest", layout.display());
    let d = dir.path().display().to_string();
    let outputs = [
        (format!("docker-archive:{d}/docker.tar:example.com/app:1"), format!("docker-archive:{d}/docker.tar"), vec![]),
        (format!("oci-archive:{d}/oci.tar:v1"), format!("oci-archive:{d}/oci.tar"), vec![]),
        (format!("oci:{d}/zstd:v1"), format!("oci:{d}/zstd"), vec!["--dest-compress-format", "zstd"]),
        (format!("dir:{d}/dir"), format!("{d}/dir"), vec![]),
    ];
    let mut sources = vec![(format!("oci:{}", layout.display()), layout.clone())];
    for (dest, source, extra) in outputs {
        run(Command::new("skopeo").arg("--policy").arg(&policy).args(["copy", "-q"]).args(extra).arg(&src).arg(&dest));
        let path = PathBuf::from(source.rsplit(':').next().unwrap());
        sources.push((source, path));
    }
    for (source, _) in &sources {
        let v = check(source);
        assert!(serious(&v).is_empty(), "{source}: {:#?}", serious(&v));
        assert_eq!(v.images.len(), 1, "{source}");
        assert_eq!(v.images[0].platform.as_ref().map(|p| p.to_string()).as_deref(), Some("linux/amd64"));
    }
    let zstd = check(&format!("oci:{d}/zstd"));
    assert!(zstd.images[0].layers.iter().all(|l| l.compression == Some(shipcheck_image::scan::Compression::Zstd)));
    for (source, path) in &sources {
        corrupt(path);
        assert_caught(source);
    }
}

#[test]
fn buildah_outputs_verify_and_corruption_is_caught() {
    if !have(&["buildah"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let policy = policy(dir.path());
    let storage = |c: &mut Command| {
        c.arg("--storage-driver")
            .arg("vfs")
            .arg("--root")
            .arg(dir.path().join("root"))
            .arg("--runroot")
            .arg(dir.path().join("run"));
    };
    let buildah = |args: &[&str]| {
        let mut c = Command::new("buildah");
        storage(&mut c);
        c.args(args);
        c
    };
    let p = policy.display().to_string();
    run(&mut buildah(&["from", "--signature-policy", &p, "--name", "w", "scratch"]));
    run(&mut buildah(&["copy", "w", "/usr/bin/true", "/usr/bin/true"]));
    run(&mut buildah(&["config", "--cmd", "/usr/bin/true", "w"]));
    let d = dir.path().display().to_string();
    for dest in [format!("docker-archive:{d}/b-docker.tar:example.com/b:1"), format!("oci-archive:{d}/b-oci.tar:v1")] {
        run(&mut buildah(&["commit", "--signature-policy", &p, "-q", "w", &dest]));
    }
    for file in ["b-docker.tar", "b-oci.tar"] {
        let source = format!("{d}/{file}");
        let v = check(&source);
        assert!(serious(&v).is_empty(), "{source}: {:#?}", serious(&v));
        corrupt(Path::new(&source));
        assert_caught(&source);
    }
}

/// `umoci insert` (0.4.7, Debian bookworm) has been seen to write a layer whose tar stream
/// stops after the file data: no padding to 512 bytes and no end-of-archive blocks. Python's
/// tarfile rejects it too ("unexpected end of data"). The oracle here is independent of
/// shipcheck's tar reader: a tar stream whose length is not a multiple of 512 is truncated.
#[test]
fn umoci_insert_layers_are_judged_by_their_tar_structure() {
    if !have(&["umoci"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("ins");
    let image = format!("{}:latest", layout.display());
    run(Command::new("umoci").args(["init", "--layout"]).arg(&layout));
    run(Command::new("umoci").args(["new", "--image", &image]));
    run(Command::new("umoci").args(["insert", "--image", &image, "/usr/bin/true", "/usr/bin/true"]));
    let v = check(&format!("oci:{}", layout.display()));
    for layer in &v.images[0].layers {
        let path = layout.join(layer.digest.as_ref().unwrap().blob_path());
        let mut raw = Vec::new();
        flate2::read::MultiGzDecoder::new(std::fs::File::open(&path).unwrap()).read_to_end(&mut raw).unwrap();
        let truncated = raw.len() % 512 != 0;
        let reported = v.findings.iter().any(|f| {
            f.rule.id == "image/layer-unreadable"
                && f.subject.place().as_deref() == Some(&layer.digest.as_ref().unwrap().to_string())
        });
        assert_eq!(truncated, reported, "layer {} ({} bytes decompressed)", path.display(), raw.len());
    }
}
