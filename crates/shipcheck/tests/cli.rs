//! The binary end to end: exit statuses, formats, explain, config, atomic output.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use shipcheck_image::platform::Platform;
use shipcheck_image::scan::Compression;
use shipcheck_image::write::{ArchiveDraft, ImageDraft, LayerDraft, LayerFile, Shape};

fn shipcheck() -> Command {
    let mut c = Command::cargo_bin("shipcheck").unwrap();
    c.env_remove("NO_COLOR");
    c
}

fn clean_image(dir: &Path) -> PathBuf {
    let img = ImageDraft {
        platform: Platform::parse("linux/amd64").unwrap(),
        layers: vec![LayerDraft {
            files: vec![LayerFile::new("hello.txt", "hi\n", 0o644)],
            compression: Compression::Gzip,
        }],
        names: vec!["example.com/hello:1".into()],
    };
    let path = dir.join("clean.tar");
    std::fs::write(&path, ArchiveDraft::new(Shape::Hybrid, vec![img]).build().unwrap().to_tar()).unwrap();
    path
}

#[test]
fn exit_status_follows_findings_and_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    let img = clean_image(dir.path());
    shipcheck().arg("image").arg(&img).assert().code(0);
    // A required platform that is missing is an error.
    shipcheck().arg("image").arg(&img).args(["--platform", "linux/amd64,linux/arm64"]).assert().code(1);
    // An extra platform is only a note: failing on notes turns it into exit 1.
    shipcheck().arg("image").arg(&img).args(["--platform", "linux/arm64", "--fail-on", "note"]).assert().code(1);
    shipcheck().arg("image").arg(&img).args(["--platform", "linux/amd64"]).assert().code(0);
    let out = shipcheck().args(["image", "/does/not/exist.tar"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("/does/not/exist.tar"));
    let out = shipcheck().args(["image", "--platform", "linux", "x.tar"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected os/arch[/variant]"));
}

#[test]
fn every_format_renders() {
    let dir = tempfile::tempdir().unwrap();
    let img = clean_image(dir.path());
    let args = |f: &str| {
        vec![
            "image".to_string(),
            img.display().to_string(),
            "--platform".into(),
            "linux/arm64".into(),
            "--format".into(),
            f.into(),
        ]
    };
    let json: serde_json::Value =
        serde_json::from_slice(&shipcheck().args(args("json")).output().unwrap().stdout).unwrap();
    assert_eq!(json["schema"], "shipcheck.report/v1");
    assert_eq!(json["summary"]["error"], 1);
    let sarif: serde_json::Value =
        serde_json::from_slice(&shipcheck().args(args("sarif")).output().unwrap().stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "image/missing-platform" && r["level"] == "error"), "{sarif:#}");
    let gh = String::from_utf8(shipcheck().args(args("github")).output().unwrap().stdout).unwrap();
    assert!(gh.lines().any(|l| l.starts_with("::error file=") && l.contains("title=image/missing-platform")), "{gh}");
    let human = String::from_utf8(shipcheck().args(args("human")).output().unwrap().stdout).unwrap();
    assert!(human.contains("image/missing-platform") && !human.contains('\x1b'), "no colour when not a terminal");
    let forced =
        String::from_utf8(shipcheck().args(args("human")).arg("--color=always").output().unwrap().stdout).unwrap();
    assert!(forced.contains('\x1b'));
}

#[test]
fn output_file_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let img = clean_image(dir.path());
    let out = dir.path().join("report.sarif");
    shipcheck().arg("image").arg(&img).args(["--format", "sarif", "-o"]).arg(&out).assert().code(0);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 2, "only the image and the report: {leftovers:?}");
}

#[test]
fn explain_prints_docs_and_suggests() {
    let out = shipcheck().args(["explain", "image/diff-id-mismatch"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("## What it catches") && text.contains("## Fix"), "{text}");
    let out = shipcheck().args(["explain", "diff-id-mismatch"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean image/diff-id-mismatch"));
    let out = shipcheck().args(["explain", "image/diff-id-mismacth"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean image/diff-id-mismatch?"));
    let list = String::from_utf8(shipcheck().arg("explain").output().unwrap().stdout).unwrap();
    assert!(list.lines().count() >= 20);
}

#[test]
fn every_rule_is_documented_and_rules_md_is_current() {
    let generated = String::from_utf8(shipcheck().arg("rules-doc").output().unwrap().stdout).unwrap();
    for section in ["### What it catches", "### Fix", "### Example"] {
        let n = generated.matches(section).count();
        let rules = generated.matches("\n## ").count();
        assert_eq!(n, rules, "every rule needs a `{section}` section");
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "docs/rules.md is stale: run `cargo run -q -- rules-doc > docs/rules.md`");
}

#[test]
fn engines_md_is_current_and_engine_flags_work() {
    let generated = String::from_utf8(shipcheck().arg("engines-doc").output().unwrap().stdout).unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/engines.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "docs/engines.md is stale: run `cargo run -q -- engines-doc > docs/engines.md`");
    assert!(generated.contains("`podman@3.4`") && generated.contains("dangerzone/issues/988"));
    let dir = tempfile::tempdir().unwrap();
    let img = clean_image(dir.path());
    // `--engine` alone: the default set, as a table in JSON.
    let out = shipcheck().arg("image").arg(&img).args(["--engine", "--format", "json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = json["checked"][0]["engines"].as_array().unwrap();
    assert!(rows.len() >= 3 && rows.iter().all(|r| r["verdict"].is_string() && r["image_id"].is_string()), "{json:#}");
    let out = shipcheck().arg("image").arg(&img).args(["--engine", "nerdctl@1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no engine profile for \"nerdctl@1\""));
}

#[test]
fn runtimes_md_is_current() {
    let generated = String::from_utf8(shipcheck().arg("runtimes-doc").output().unwrap().stdout).unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/runtimes.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "docs/runtimes.md is stale: run `cargo run -q -- runtimes-doc > docs/runtimes.md`");
    assert!(generated.contains("`run --keep`") && generated.contains("1.15"));
}

#[test]
fn runtime_command_errors_are_clear() {
    let out = shipcheck().args(["runtime", "--for", "kubelet"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown caller `kubelet`"));
    let out = shipcheck().args(["runtime", "/nonexistent/runc"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not an executable"));
    let empty = tempfile::tempdir().unwrap();
    let out = shipcheck().args(["runtime", "--from-recording"]).arg(empty.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no runtime recording"));
}

/// `check A B`: B's `[rules]` and `fail-on` must not touch A's findings (they once did, because
/// overrides were applied to the whole report after each directory).
#[test]
fn each_directory_keeps_its_own_settings() {
    let strict = tempfile::tempdir().unwrap();
    let lenient = tempfile::tempdir().unwrap();
    for dir in [strict.path(), lenient.path()] {
        clean_image(dir);
    }
    let image = "[[image]]\nsource = \"clean.tar\"\n";
    std::fs::write(strict.path().join("shipcheck.toml"), format!("platforms = [\"linux/arm64\"]\n{image}")).unwrap();
    std::fs::write(
        lenient.path().join("shipcheck.toml"),
        format!("platforms = [\"linux/arm64\"]\nfail-on = \"error\"\n[rules]\n\"image/missing-platform\" = \"off\"\n{image}"),
    )
    .unwrap();
    // Alone, each is judged by its own config.
    shipcheck().arg("check").arg(strict.path()).assert().code(1);
    shipcheck().arg("check").arg(lenient.path()).assert().code(0);
    // Together, in either order: the strict directory's finding stays, and fails the run.
    for (a, b) in [(strict.path(), lenient.path()), (lenient.path(), strict.path())] {
        let out = shipcheck().arg("check").arg(a).arg(b).args(["--format", "json"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let missing = json["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "image/missing-platform");
        assert_eq!(missing.count(), 1, "{json}");
    }
}

#[test]
fn config_drives_platforms_and_rule_severities() {
    let dir = tempfile::tempdir().unwrap();
    clean_image(dir.path());
    std::fs::write(
        dir.path().join("shipcheck.toml"),
        "platforms = [\"linux/arm64\"]\n[[image]]\nsource = \"clean.tar\"\n",
    )
    .unwrap();
    shipcheck().arg("check").arg(dir.path()).assert().code(1);
    // `image` in a directory with shipcheck.toml uses its platforms too.
    shipcheck().current_dir(dir.path()).args(["image", "clean.tar"]).assert().code(1);
    std::fs::write(
        dir.path().join("shipcheck.toml"),
        "platforms = [\"linux/arm64\"]\n[rules]\n\"image/missing-platform\" = \"warning\"\n[[image]]\nsource = \"clean.tar\"\n",
    )
    .unwrap();
    shipcheck().arg("check").arg(dir.path()).assert().code(0);
    std::fs::write(dir.path().join("shipcheck.toml"), "[[image]]\nsourec = \"clean.tar\"\n").unwrap();
    let out = shipcheck().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `sourec`"));
    std::fs::write(dir.path().join("shipcheck.toml"), "[rules]\n\"image/nope\" = \"off\"\n").unwrap();
    let out = shipcheck().arg("check").arg(dir.path()).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown rule `image/nope`"));
    // Without a shipcheck.toml a directory gets the repository checks; with none of their
    // inputs there is nothing to check (exit 3), and the report says where it looked.
    let empty = tempfile::tempdir().unwrap();
    std::fs::create_dir(empty.path().join(".git")).unwrap();
    let out = shipcheck().arg("check").arg(empty.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("workflows"), "{}", String::from_utf8_lossy(&out.stdout));
    let out = shipcheck().arg("check").arg(empty.path().join("nope")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a directory"));
}

#[test]
fn package_checks_the_spec_against_the_tag() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".packit.yaml"), "specfile_path: app.spec\nupstream_tag_template: v{version}\n")
        .unwrap();
    std::fs::write(
        dir.path().join("app.spec"),
        "Name: app\nVersion: 1.2\nRelease: 1%{?dist}\n%description\nx\n%changelog\n* Mon Jan 06 2025 A <a@example.com> - 1.2-1\n- Release\n",
    )
    .unwrap();
    shipcheck().arg("package").arg(dir.path()).args(["--tag", "v1.2"]).assert().code(0);
    let out = shipcheck().arg("package").arg(dir.path()).args(["--tag", "v1.3", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["findings"][0]["rule"], "package/version-tag-mismatch");
    // --existing: the same NVR in a branch is refused.
    std::fs::write(dir.path().join("nvrs"), "f43 app-1.2-1.fc43\nrawhide app-1.2-1.fc44\n").unwrap();
    let out = shipcheck()
        .arg("package")
        .arg(dir.path())
        .args(["--tag", "v1.2", "--format", "json", "--existing"])
        .arg(dir.path().join("nvrs"))
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["findings"][0]["rule"], "package/evr-order", "{json:#}");
    std::fs::write(dir.path().join("bad"), "f43\n").unwrap();
    let out =
        shipcheck().arg("package").arg(dir.path()).arg("--existing").arg(dir.path().join("bad")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected `BRANCH NAME-VERSION-RELEASE`"));
    // A repository without packit has nothing of its kind to check: exit 3, saying where it looked.
    let empty = tempfile::tempdir().unwrap();
    let out = shipcheck().arg("package").arg(empty.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no .packit.yaml"));
}

#[test]
fn workflows_and_dockerfile_commands() {
    let kubo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incidents/kubo-riscv64");
    let out = shipcheck().args(["workflows", "--format", "github"]).arg(&kubo).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "warnings only");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("::warning file=") && text.contains("workflow/platform-drift"), "{text}");
    // --platform overrides the workflows: built for amd64 only, the case has a branch.
    let df = kubo.join("Dockerfile");
    shipcheck().arg("dockerfile").arg(&df).args(["--platform", "linux/amd64"]).assert().code(0);
    shipcheck().arg("dockerfile").arg(&df).args(["--platform", "linux/amd64,linux/riscv64"]).assert().code(1);
    // Bad input: a clear error naming the path, exit 2.
    let out = shipcheck().args(["dockerfile", "/does/not/Dockerfile"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("/does/not/Dockerfile"));
    let out = shipcheck().arg("dockerfile").arg(&df).args(["--platform", "linux/$ARCH"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a platform"));
    let out = shipcheck().args(["workflows", "/does/not/exist"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected a repository root"));
    // Nothing of its kind where it looked: exit 3, saying where it looked.
    let empty = tempfile::tempdir().unwrap();
    let out = shipcheck().args(["dockerfile", "--repo"]).arg(empty.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to check: looked in"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no Dockerfile or Containerfile"));
    let out = shipcheck().arg("workflows").arg(empty.path()).args(["--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["looked"][0].as_str().unwrap().contains(".github/workflows"), "{json}");
    std::fs::write(empty.path().join("shipcheck.toml"), "fail-on = \"warning\"\n").unwrap();
    let out = shipcheck().arg("check").arg(empty.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("configures no check"));
}

#[test]
fn dockerfile_takes_directories_any_path_form_and_skips_tests() {
    // A copy of the kubo incident: its release workflow builds ./Dockerfile for several
    // platforms, so the file's findings are errors whichever way the file is named.
    let kubo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incidents/kubo-riscv64");
    let repo = tempfile::tempdir().unwrap();
    let copy = |rel: &str| {
        let to = repo.path().join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(kubo.join(rel), to).unwrap();
    };
    for rel in ["Dockerfile", ".github/workflows/docker-build.yml", ".github/workflows/docker-image.yml"] {
        copy(rel);
    }
    let absolute = repo.path().join("Dockerfile").display().to_string();
    let mut seen = Vec::new();
    for form in ["Dockerfile", "./Dockerfile", absolute.as_str(), ".", "./"] {
        let out = shipcheck().current_dir(repo.path()).args(["dockerfile", form, "--format", "json"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{form}: {}", String::from_utf8_lossy(&out.stdout));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let f = &json["findings"][0];
        assert_eq!(f["severity"], "error", "{form}: built for the release's platforms: {json:#}");
        seen.push(f["subject"]["artifact"].as_str().unwrap().to_string());
    }
    assert!(seen.iter().all(|a| a == "Dockerfile"), "one name for one file: {seen:?}");
    // From elsewhere, the directory is the repository: its workflows still say the platforms.
    let out = shipcheck().arg("dockerfile").arg(repo.path()).args(["--format", "json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["findings"][0]["severity"], "error", "{json:#}");
    assert_eq!(json["findings"][0]["subject"]["artifact"], absolute.as_str());
    // A test fixture is skipped with a note, and checked with --include-tests.
    let fixture = repo.path().join("tests/fixtures/broken/Dockerfile");
    std::fs::create_dir_all(fixture.parent().unwrap()).unwrap();
    std::fs::write(&fixture, "FROM alpine\nBOGUS\n").unwrap();
    let out = shipcheck().current_dir(repo.path()).args(["dockerfile", "--format", "json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!json["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "dockerfile/invalid"), "{json:#}");
    assert!(json.to_string().contains("--include-tests checks them"), "{json:#}");
    let out = shipcheck()
        .current_dir(repo.path())
        .args(["dockerfile", "--include-tests", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "dockerfile/invalid"), "{json:#}");
    // A file named on the command line is checked wherever it is.
    let out = shipcheck().current_dir(repo.path()).args(["dockerfile", "tests/fixtures/broken/Dockerfile"]).output();
    assert_eq!(out.unwrap().status.code(), Some(1));
    // Nothing of its kind: exit 3, whether there is no Dockerfile or only skipped ones.
    std::fs::remove_file(repo.path().join("Dockerfile")).unwrap();
    std::fs::write(repo.path().join("dockerfile.go"), "package dockerfile\n").unwrap();
    let out = shipcheck().current_dir(repo.path()).arg("dockerfile").output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("outside test fixture and vendored directories: 1 skipped"));
    let empty = tempfile::tempdir().unwrap();
    shipcheck().arg("dockerfile").arg(empty.path()).assert().code(3);
}

#[test]
fn dockerfile_online_checks_base_platforms_in_a_real_registry() {
    use shipcheck_registry::testing::{available, Registry};
    if !available() {
        return;
    }
    let reg = Registry::start(None);
    reg.push("base/multi:1", &["linux/amd64", "linux/arm64"], None);
    let dir = tempfile::tempdir().unwrap();
    let df = dir.path().join("Dockerfile");
    std::fs::write(&df, format!("ARG TAG=1\nFROM {}/base/multi:${{TAG}}\nRUN true\n", reg.host)).unwrap();
    let out = shipcheck()
        .arg("dockerfile")
        .arg(&df)
        .args(["--platform", "linux/amd64,linux/riscv64", "--online", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &json["findings"][0];
    assert_eq!(f["rule"], "dockerfile/base-platform-missing", "{json:#}");
    assert_eq!(f["subject"]["line"], 2);
    assert!(f["message"].as_str().unwrap().ends_with("base/multi:1 has no linux/riscv64"), "{json:#}");
    assert_eq!(f["evidence"]["available"], "linux/amd64, linux/arm64");
    shipcheck()
        .arg("dockerfile")
        .arg(&df)
        .args(["--platform", "linux/amd64,linux/arm64/v8", "--online"])
        .assert()
        .code(0);
    // Offline, the base image is listed as unchecked, and nothing is reported about it.
    let out = shipcheck()
        .arg("dockerfile")
        .arg(&df)
        .args(["--platform", "linux/riscv64", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["checked"][0]["facts"]["base_images_unchecked"].as_str().unwrap().contains("(offline)"), "{json:#}");
    // A tag the registry does not have: unchecked, with the registry's error code.
    std::fs::write(&df, format!("FROM {}/base/multi:2\n", reg.host)).unwrap();
    let out = shipcheck()
        .arg("dockerfile")
        .arg(&df)
        .args(["--platform", "linux/riscv64", "--online", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["checked"][0]["facts"]["base_images_unchecked"].as_str().unwrap().contains("MANIFEST_UNKNOWN"),
        "{json:#}"
    );
}

#[test]
fn package_reads_the_git_history_for_tags_and_release_resets() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .arg("-C")
            .arg(dir.path())
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "-c",
                "tag.gpgSign=false",
                "-c",
                "commit.gpgSign=false",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(ok.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&ok.stderr));
    };
    let spec = |v: &str, r: &str| {
        format!("Name: app\nVersion: {v}\nRelease: {r}%{{?dist}}\n%description\nx\n%changelog\n* Mon Jan 06 2025 A <a@example.com> - {v}-{r}\n- Release\n")
    };
    git(&["init", "-q"]);
    std::fs::write(dir.path().join(".packit.yaml"), "specfile_path: app.spec\nupstream_tag_template: v{version}\n")
        .unwrap();
    std::fs::write(dir.path().join("app.spec"), spec("1.2", "3")).unwrap();
    git(&["add", "."]);
    git(&["commit", "-qm", "1.2"]);
    git(&["tag", "1.2"]);
    std::fs::write(dir.path().join("app.spec"), spec("1.3", "4")).unwrap();
    git(&["commit", "-qam", "1.3"]);
    git(&["tag", "1.3"]);
    let out = shipcheck().arg("package").arg(dir.path()).args(["--tag", "v1.3", "--format", "json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let find = |rule: &str| json["findings"].as_array().unwrap().iter().find(|f| f["rule"] == rule).cloned();
    let tags = find("package/tag-template-mismatch").expect("tag template finding");
    assert!(tags["message"].as_str().unwrap().contains("matches none of the 2 tags"), "{json:#}");
    assert_eq!(tags["subject"]["line"], 2);
    let reset = find("package/release-not-reset").expect("release reset finding");
    assert!(reset["message"].as_str().unwrap().contains("from 1.2 to 1.3 with Release 4"), "{json:#}");
    // Fixed: tags written as the template says, Release reset in the bump.
    std::fs::write(dir.path().join(".packit.yaml"), "specfile_path: app.spec\nupstream_tag_template: '{version}'\n")
        .unwrap();
    std::fs::write(dir.path().join("app.spec"), spec("1.4", "1")).unwrap();
    git(&["commit", "-qam", "1.4"]);
    git(&["tag", "1.4"]);
    shipcheck().arg("package").arg(dir.path()).args(["--tag", "1.4"]).assert().code(0);
}

#[test]
fn convert_is_atomic_reproducible_and_refuses_damage() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incidents");
    let dir = tempfile::tempdir().unwrap();
    let src = root.join("dangerzone-podman3/container.tar");
    let (a, b) = (dir.path().join("a.tar"), dir.path().join("b.tar"));
    shipcheck().arg("convert").arg(&src).arg(&a).assert().code(0);
    shipcheck().arg("convert").arg(&src).arg(&b).assert().code(0);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "same input, same bytes");
    // DEST with a transport prefix, as `copy` takes it: same format, same bytes.
    let c = dir.path().join("c.tar");
    shipcheck().arg("convert").arg(&src).arg(format!("docker-archive:{}", c.display())).assert().code(0);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&c).unwrap());
    let clash = shipcheck()
        .arg("convert")
        .arg(&src)
        .arg(format!("oci:{}", dir.path().join("d").display()))
        .args(["--to", "oci-archive"])
        .output()
        .unwrap();
    assert_eq!(clash.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&clash.stderr).contains("names oci but --to says oci-archive"));
    std::fs::remove_file(&c).unwrap();
    // Nothing but the outputs is left in the directory (temp files renamed or removed).
    let mut left: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["a.tar", "b.tar"]);
    // A damaged source is refused, and nothing is written.
    let bad = dir.path().join("bad.tar");
    let out = shipcheck().arg("convert").arg(root.join("corrupt-layer/app.tar")).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is damaged"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!bad.exists());
    // Several platforms: one must be chosen; an OCI layout directory is written on request.
    let multi = root.join("missing-platform/app-multiarch.tar");
    let out = shipcheck()
        .arg("convert")
        .arg(&multi)
        .arg(dir.path().join("x.tar"))
        .args(["--platform", "linux/s390x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no linux/s390x"));
    let layout = dir.path().join("layout");
    let out = shipcheck()
        .arg("convert")
        .arg(&multi)
        .arg(&layout)
        .args(["--platform", "linux/arm/v7", "--to", "oci", "--for", "podman@4.3,containerd@1.6", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(layout.join("index.json").is_file() && !layout.join("manifest.json").exists());
    assert_eq!(json["checked"][0]["facts"]["platform"], "linux/arm/v7", "{json:#}");
    // An OCI archive is not for Docker before 25: convert says so in its engine table.
    let oci = dir.path().join("o.tar");
    let out = shipcheck()
        .arg("convert")
        .arg(&src)
        .arg(&oci)
        .args(["--to", "oci-archive", "--for", "docker@20.10"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("engine/load-fails"));
}

#[test]
fn convert_keeps_attestations_on_request() {
    let multi =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/incidents/missing-platform/app-multiarch.tar");
    let dir = tempfile::tempdir().unwrap();
    let run = |keep: bool, out: &Path| {
        let mut c = shipcheck();
        c.arg("convert").arg(&multi).arg(out).args(["--platform", "linux/amd64", "--format", "json"]);
        if keep {
            c.arg("--keep-attestations");
        }
        let o = c.output().unwrap();
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let kept = run(true, &dir.path().join("kept.tar"));
    assert_eq!(kept["checked"][0]["facts"]["attestations_kept"], "1", "{kept:#}");
    assert!(kept["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "image/attestation-manifest"));
    let dropped = run(false, &dir.path().join("dropped.tar"));
    assert_eq!(dropped["checked"][0]["facts"]["attestations_kept"], "0");
    assert!(!dropped["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "image/attestation-manifest"));
}

/// The real-world corpus: `SHIPCHECK_CORPUS`, else `../shared/corpus` beside the repository.
fn corpus() -> PathBuf {
    std::env::var_os("SHIPCHECK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
}

#[test]
fn dockerfile_is_quiet_on_real_repositories_it_misread() {
    let repos = corpus().join("repos");
    if !repos.is_dir() {
        eprintln!("skipped: no corpus at {}", repos.display());
        return;
    }
    // netdata and fluent-bit: a top-level Dockerfile that is a link checked out as text;
    // buildx: an ARG inherited from the parent stage; buildah: heredoc delimiters with dots
    // and hundreds of test fixtures; fluent-bit: per-architecture pinned stages.
    for dir in ["netdata@04b1cf542", "fluent-bit@d55459d49", "buildx@461836ba0", "buildah@5b1b18eeb"] {
        let out = shipcheck().current_dir(repos.join(dir)).args(["dockerfile", "--format", "json"]).output().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["findings"].as_array().unwrap().len(), 0, "{dir}: {json:#}");
        assert_eq!(out.status.code(), Some(0), "{dir}");
    }
    let out = shipcheck()
        .current_dir(repos.join("buildah@5b1b18eeb"))
        .args(["dockerfile", "--include-tests", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let invalid = json["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "dockerfile/invalid").count();
    assert_eq!(invalid, 1, "only tests/bud/unrecognized's BOGUS: {json:#}");
}

#[test]
fn the_expansion_limit_comes_from_the_flag_then_shipcheck_toml() {
    // 40 MiB of zeros, gzip-compressed to ~40 KiB: under the default 1 GiB floor, a bomb at
    // ratio 5 (floor 25.6 MiB).
    let dir = tempfile::tempdir().unwrap();
    let img = ImageDraft {
        platform: Platform::parse("linux/amd64").unwrap(),
        layers: vec![LayerDraft {
            files: vec![LayerFile::new("disk.img", vec![0u8; 40 << 20], 0o644)],
            compression: Compression::Gzip,
        }],
        names: vec!["example.com/disk:1".into()],
    };
    let archive = dir.path().join("disk.tar");
    std::fs::write(&archive, ArchiveDraft::new(Shape::Hybrid, vec![img]).build().unwrap().to_tar()).unwrap();
    let run = |args: &[&str]| {
        let out = shipcheck().current_dir(dir.path()).arg("image").arg(&archive).args(args).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, text) = run(&[]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(&["--max-expansion-ratio", "5"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("image/decompression-bomb"), "{text}");
    std::fs::write(dir.path().join("shipcheck.toml"), "[limits]\nmax-expansion-ratio = 5\n").unwrap();
    let (code, text) = run(&[]);
    assert!(code == Some(1) && text.contains("image/decompression-bomb"), "{text}");
    // The flag wins over the file.
    let (code, text) = run(&["--max-expansion-ratio", "200"]);
    assert_eq!(code, Some(0), "{text}");
    // check reads [limits] for the images it names.
    std::fs::write(
        dir.path().join("shipcheck.toml"),
        "[limits]\nmax-expansion-ratio = 5\n\n[[image]]\nsource = \"disk.tar\"\n",
    )
    .unwrap();
    let out = shipcheck().arg("check").arg(dir.path()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.code() == Some(1) && text.contains("image/decompression-bomb"), "{text}");
    // An unknown key under [limits] is an error naming it.
    std::fs::write(dir.path().join("shipcheck.toml"), "[limits]\nmax-ratio = 5\n").unwrap();
    let (code, _) = run(&[]);
    assert_eq!(code, Some(2));
}

#[test]
fn a_damaged_archive_is_a_finding_with_a_row_per_engine() {
    // Damaged bytes (not a tar, empty) are findings with each engine's refusal; a path that
    // cannot be read at all stays an input error (exit 2).
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.tar");
    std::fs::write(&junk, vec![0x5a; 2048]).unwrap();
    let empty = dir.path().join("empty.tar");
    std::fs::write(&empty, b"").unwrap();
    for path in [&junk, &empty] {
        let out = shipcheck()
            .arg("image")
            .arg(path)
            .args(["--engine", "docker@20.10,containerd@1.6", "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let rules: Vec<&str> = json["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
        assert!(rules.contains(&"image/truncated-archive"), "{rules:?}");
        assert_eq!(rules.iter().filter(|r| **r == "engine/load-fails").count(), 2, "{rules:?}");
        let text = json.to_string();
        assert!(text.contains("ctr: ") && text.contains("\"engine\":\"docker@20.10\""), "{text}");
    }
    let out = shipcheck().arg("image").arg(dir.path().join("missing.tar")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_source_after_a_bare_engine_flag_is_a_source() {
    // `--engine` takes any number of values: a file after it is the source, not an engine.
    let dir = tempfile::tempdir().unwrap();
    let img = clean_image(dir.path());
    let out = shipcheck().args(["image", "--engine"]).arg(&img).args(["--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!json["checked"][0]["engines"].as_array().unwrap().is_empty(), "{json}");
    let out = shipcheck().args(["image", "--engine", "podman@4.3"]).arg(&img).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    // No source at all, and an engine that is neither: clear errors.
    let out = shipcheck().args(["image", "--engine", "podman@4.3"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no SOURCE given"));
    let out = shipcheck().args(["image", "--engine", "nerdctl"]).arg(&img).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("known are"));
}
