//! Hostile inputs at the binary's edges: an untrusted shipcheck.toml, report files, errors.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use assert_cmd::Command;

fn shipcheck() -> Command {
    let mut c = Command::cargo_bin("shipcheck").unwrap();
    c.env_remove("NO_COLOR");
    c
}

/// A secret in the environment, as CI runners hold them.
const SECRET: &str = "ghp_0123456789abcdefghijABCDEFGHIJ012345";

fn check(dir: &Path, extra: &[&str]) -> std::process::Output {
    shipcheck().arg("check").arg(dir).args(extra).env("GITHUB_TOKEN", SECRET).output().unwrap()
}

#[test]
fn config_paths_outside_the_repository_are_refused_without_quoting_them() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    std::fs::write(dir.path().join("outside.log"), format!("token={SECRET}\n")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("outside.log"), repo.join("link.log")).unwrap();
    let cases = [
        "[diagnose]\nrules = [\"/proc/self/environ\"]\n",
        "[diagnose]\nlogs = [\"../outside.log\"]\n",
        "[diagnose]\nlogs = [\"link.log\"]\n",
        "[package]\nexisting = \"/proc/self/environ\"\n",
        "[[image]]\nsource = \"docker-archive:/etc/passwd\"\n",
        "[workflows]\ndir = \"..\"\n",
    ];
    for config in cases {
        std::fs::write(repo.join("shipcheck.toml"), config).unwrap();
        let out = check(&repo, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{config}: {stderr}");
        assert!(stderr.contains("outside the repository"), "{config}: {stderr}");
        assert!(!stderr.contains(SECRET) && !stdout.contains(SECRET), "{config}: secret printed");
    }
}

#[test]
fn runtime_paths_in_a_config_run_only_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let script = dir.path().join("evil.sh");
    std::fs::write(&script, format!("#!/bin/sh\ntouch {}\necho 'runc version 1.1.5'\n", marker.display())).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dir.path().join("shipcheck.toml"), "[runtime]\nnames = [\"./evil.sh\"]\n").unwrap();
    let out = check(dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--allow-config-exec"), "{stderr}");
    assert!(!marker.exists(), "the config's runtime ran without --allow-config-exec");
    // With the flag, the named file is probed (it runs from the current directory, as PATH
    // lookups and paths always have).
    let out = shipcheck().current_dir(dir.path()).args(["check", ".", "--allow-config-exec"]).output().unwrap();
    assert!(marker.exists(), "not probed with --allow-config-exec: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn report_files_follow_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("shipcheck");
    for (umask, mode) in [("022", 0o644), ("077", 0o600), ("002", 0o664)] {
        let out = dir.path().join(format!("report-{umask}.json"));
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("umask {umask}; exec \"$0\" diagnose \"$2\" -o \"$1\" --format json"))
            .arg(&bin)
            .arg(&out)
            .arg(write_log(dir.path()))
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(0));
        let got = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(got, mode, "umask {umask}");
    }
}

fn write_log(dir: &Path) -> std::path::PathBuf {
    let log = dir.join("ok.log");
    std::fs::write(&log, "all good\n").unwrap();
    log
}

#[test]
fn errors_escape_control_characters_and_redact_secrets() {
    let dir = tempfile::tempdir().unwrap();
    // A directory name that carries a terminal escape, a line-start workflow command and a secret.
    let name = format!("x\u{1b}[2J\n::error::ALL CLEAN password={SECRET}");
    let out = shipcheck().args(["check"]).arg(dir.path().join(name)).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(!stderr.lines().any(|l| l.trim_start().starts_with("::")), "{stderr:?}");
    assert!(!stderr.contains(SECRET), "{stderr:?}");
}

fn image_with_layer(dir: &Path, bytes: usize) -> std::path::PathBuf {
    use shipcheck_image::platform::Platform;
    use shipcheck_image::scan::Compression;
    use shipcheck_image::write::{ArchiveDraft, ImageDraft, LayerDraft, LayerFile, Shape};
    // Pseudo-random bytes, so that gzip cannot shrink the layer and copying it takes a while.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let data: Vec<u8> = (0..bytes)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let img = ImageDraft {
        platform: Platform::parse("linux/amd64").unwrap(),
        layers: vec![LayerDraft {
            files: vec![LayerFile::new("blob.bin", data, 0o644)],
            compression: Compression::Gzip,
        }],
        names: vec!["example.com/app:1".into()],
    };
    let path = dir.join("app.tar");
    std::fs::write(&path, ArchiveDraft::new(Shape::Hybrid, vec![img]).build().unwrap().to_tar()).unwrap();
    path
}

#[test]
fn convert_never_replaces_without_overwrite_nor_writes_onto_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let src = image_with_layer(dir.path(), 1024);
    let before = std::fs::read(&src).unwrap();
    // DEST == SOURCE, directly and through a link: refused, with or without --overwrite.
    std::os::unix::fs::symlink(&src, dir.path().join("link.tar")).unwrap();
    for dest in [src.clone(), dir.path().join("link.tar")] {
        for extra in [&[][..], &["--overwrite"][..]] {
            let out = shipcheck().arg("convert").arg(&src).arg(&dest).args(extra).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
        }
    }
    assert_eq!(std::fs::read(&src).unwrap(), before, "the source was changed");
    // An existing archive is replaced only with --overwrite.
    let dest = dir.path().join("out.tar");
    std::fs::write(&dest, "keep me").unwrap();
    let out = shipcheck().arg("convert").arg(&src).arg(&dest).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--overwrite"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(&dest).unwrap(), b"keep me");
    shipcheck().arg("convert").arg(&src).arg(&dest).arg("--overwrite").assert().code(0);
    assert_ne!(std::fs::read(&dest).unwrap(), b"keep me");
    // A temp-space cap far below what the source needs stops convert cleanly.
    let out = shipcheck()
        .arg("convert")
        .arg(&src)
        .arg(dir.path().join("capped.tar"))
        .args(["--temp-limit", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--temp-limit"), "{}", String::from_utf8_lossy(&out.stderr));
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert!(left.iter().all(|n| !n.to_string_lossy().starts_with(".shipcheck-")), "{left:?}");
}

#[test]
fn sigterm_during_convert_leaves_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let src = image_with_layer(dir.path(), 96 << 20);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("shipcheck");
    let mut child = std::process::Command::new(&bin)
        .arg("convert")
        .arg(&src)
        .arg(out.join("app.tar"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until convert has temp files beside DEST, then stop it as a CI runner would.
    let started = std::time::Instant::now();
    let scratch = |d: &Path| {
        std::fs::read_dir(d)
            .unwrap()
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().starts_with(".shipcheck-tmp-"))
    };
    while !scratch(&out) {
        assert!(started.elapsed().as_secs() < 60, "convert made no temp files");
        if child.try_wait().unwrap().is_some() {
            panic!("convert finished before it could be interrupted; make the layer larger");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    std::process::Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143), "{status:?}");
    let left: Vec<_> = std::fs::read_dir(&out).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn copy_to_a_local_form_refuses_what_convert_refuses_and_adds_to_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let src = image_with_layer(dir.path(), 1024);
    let at = |p: &str| dir.path().join(p).display().to_string();
    let copy = |from: String, to: String, extra: &[&str]| {
        shipcheck().arg("copy").arg(from).arg(to).args(extra).output().unwrap()
    };
    // The source as its own destination.
    let out =
        copy(format!("docker-archive:{}", src.display()), format!("oci-archive:{}", src.display()), &["--overwrite"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    // An existing archive: refused before anything moves, replaced with --overwrite.
    std::fs::write(at("out.tar"), "keep me").unwrap();
    let out = copy(src.display().to_string(), format!("oci-archive:{}", at("out.tar")), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(std::fs::read(at("out.tar")).unwrap(), b"keep me");
    let out = copy(src.display().to_string(), format!("oci-archive:{}", at("out.tar")), &["--overwrite"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // An OCI layout: a second copy under another tag adds it, as skopeo does.
    for tag in ["one", "two"] {
        let out = copy(src.display().to_string(), format!("oci:{}:{tag}", at("layout")), &[]);
        assert_eq!(out.status.code(), Some(0), "{tag}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let index = std::fs::read_to_string(dir.path().join("layout/index.json")).unwrap();
    assert_eq!(index.matches("org.opencontainers.image.ref.name").count(), 2, "{index}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert!(left.iter().all(|n| !n.to_string_lossy().starts_with(".shipcheck-")), "{left:?}");
}
