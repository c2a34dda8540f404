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
