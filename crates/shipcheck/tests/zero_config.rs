//! `shipcheck check` on a repository that has no shipcheck.toml, and shipcheck.toml found in a
//! parent directory: what a new user gets on a first run.

use std::path::{Path, PathBuf};
use std::process::Command;

fn shipcheck() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("shipcheck").unwrap()
}

fn corpus_repo(name: &str) -> Option<PathBuf> {
    let root = std::env::var_os("SHIPCHECK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    let dir = root.join("repos").join(name);
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(std::env::var_os("CI").is_none(), "the corpus is missing at {}", dir.display());
    eprintln!("skipped: no corpus repository at {}", dir.display());
    None
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path()).unwrap(), &target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// kubo at the riscv64 incident, as a fresh clone with no shipcheck.toml: `shipcheck check`
/// finds the drift on its own.
#[test]
fn a_fresh_repository_without_config_gets_the_repository_checks() {
    let Some(kubo) = corpus_repo("kubo@765cffe6c") else { return };
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&kubo, dir.path());
    let git = Command::new("git").args(["init", "-q"]).current_dir(dir.path()).status().expect("git is installed");
    assert!(git.success());
    let out = shipcheck().current_dir(dir.path()).args(["check", "--format", "json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let drift: Vec<&serde_json::Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "workflow/platform-drift" && f["severity"] == "warning")
        .collect();
    assert_eq!(drift.len(), 1, "{json:#}");
    assert!(drift[0]["message"].as_str().unwrap().contains("linux/riscv64"), "{json:#}");
    // Warnings do not fail the default run; --fail-on warning does.
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    shipcheck().current_dir(dir.path()).args(["check", "--fail-on", "warning"]).assert().code(1);
}

/// shipcheck.toml is found above the directory checked, up to the repository root, and not
/// beyond it.
#[test]
fn shipcheck_toml_is_found_in_a_parent_up_to_the_repository_root() {
    let outer = tempfile::tempdir().unwrap();
    // A config above the repository root must not be used.
    std::fs::write(outer.path().join("shipcheck.toml"), "fail-on = \"note\"\n[workflows]\n").unwrap();
    let repo = outer.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join("sub")).unwrap();
    std::fs::write(repo.join("Dockerfile"), "FROM alpine\nRUN wget https://example.com/tool-linux-amd64.tar.gz\n")
        .unwrap();
    // No config in the repository: the zero-config run sees the hard-coded architecture as a note
    // and exits 0 (the outer fail-on = note is not read); sub/ alone has nothing to check.
    shipcheck().arg("check").arg(&repo).assert().code(0);
    shipcheck().arg("check").arg(repo.join("sub")).assert().code(3);
    // The repository's own config, found from sub/: fail-on note makes the note fail the run.
    std::fs::write(repo.join("shipcheck.toml"), "fail-on = \"note\"\n[dockerfile]\n").unwrap();
    let out = shipcheck().arg("check").arg(repo.join("sub")).args(["--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["findings"][0]["rule"], "dockerfile/hardcoded-arch", "{json:#}");
    // The file itself may be named.
    shipcheck().arg("check").arg(repo.join("shipcheck.toml")).assert().code(1);
    shipcheck().arg("check").arg(repo.join("Dockerfile")).assert().code(2);
}

/// Every subcommand reads the shipcheck.toml governing the current directory (or `--config`):
/// its `[rules]` and `fail-on` judge `workflows` and `dockerfile` too, and `workflows` takes a
/// workflow file.
#[test]
fn every_command_honours_the_config_and_workflows_takes_a_file() {
    let Some(kubo) = corpus_repo("kubo@765cffe6c") else { return };
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&kubo, dir.path());
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let workflows = |args: &[&str]| {
        let out = shipcheck().current_dir(dir.path()).arg("workflows").args(args).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    assert_eq!(workflows(&[]).0, Some(0), "warnings do not fail by default");
    std::fs::write(dir.path().join("shipcheck.toml"), "fail-on = \"warning\"\n").unwrap();
    assert_eq!(workflows(&[]).0, Some(1), "fail-on from the config");
    std::fs::write(
        dir.path().join("shipcheck.toml"),
        "fail-on = \"warning\"\n[rules]\n\"workflow/platform-drift\" = \"off\"\n\"workflow/commented-trigger\" = \"note\"\n",
    )
    .unwrap();
    let (code, out) = workflows(&["--format", "json"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("workflow/platform-drift"), "{out}");
    // --config names another file; --fail-on beats the file's fail-on.
    std::fs::write(dir.path().join("strict.toml"), "fail-on = \"note\"\n").unwrap();
    assert_eq!(workflows(&["--config", "strict.toml"]).0, Some(1));
    assert_eq!(workflows(&["--config", "strict.toml", "--fail-on", "error"]).0, Some(0));
    std::fs::remove_file(dir.path().join("shipcheck.toml")).unwrap();
    // One workflow file: the repository is evaluated whole, that file's findings reported.
    let (code, out) = workflows(&[".github/workflows/docker-image.yml", "--format", "json"]);
    assert_eq!(code, Some(0), "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rules: Vec<&str> = json["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"workflow/platform-drift"), "{json:#}");
    let (code, _) = workflows(&["Dockerfile"]);
    assert_eq!(code, Some(2), "a file that is not a workflow is bad input");
    // A broken config is an error that names it, not a silent default.
    std::fs::write(dir.path().join("shipcheck.toml"), "fail-on = \"sometimes\"\n").unwrap();
    let out = shipcheck().current_dir(dir.path()).arg("dockerfile").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("shipcheck.toml"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `shipcheck init` writes a shipcheck.toml that switches on what the repository has; `check`
/// then runs it. It never overwrites without --force, and never writes through a link.
#[test]
fn init_writes_a_config_that_check_runs() {
    let Some(kubo) = corpus_repo("kubo@765cffe6c") else { return };
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&kubo, dir.path());
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    shipcheck().arg("init").arg(dir.path()).assert().code(0);
    let text = std::fs::read_to_string(dir.path().join("shipcheck.toml")).unwrap();
    assert!(text.contains("\n[workflows]\n") && text.contains("\n[dockerfile]\n"), "{text}");
    assert!(text.contains("# [package]"), "kubo has no packit: {text}");
    let out = shipcheck().current_dir(dir.path()).args(["check", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("linux/riscv64"));
    let again = shipcheck().arg("init").arg(dir.path()).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    // A link named shipcheck.toml is replaced by --force, its target left alone.
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "keep").unwrap();
    std::fs::remove_file(dir.path().join("shipcheck.toml")).unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join("shipcheck.toml")).unwrap();
    shipcheck().arg("init").arg(dir.path()).assert().code(2);
    shipcheck().arg("init").arg(dir.path()).arg("--force").assert().code(0);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    assert!(!std::fs::symlink_metadata(dir.path().join("shipcheck.toml")).unwrap().file_type().is_symlink());
}

/// `package` takes the packit configuration file as well as its directory.
#[test]
fn package_takes_the_packit_file() {
    let Some(crun) = corpus_repo("crun@2dc1598e7") else { return };
    let by_dir = shipcheck().arg("package").arg(&crun).args(["--format", "json"]).output().unwrap();
    let by_file =
        shipcheck().arg("package").arg(crun.join(".packit.yaml")).args(["--format", "json"]).output().unwrap();
    assert_eq!(by_dir.status.code(), Some(1));
    assert_eq!(by_file.status.code(), Some(1));
    assert_eq!(by_dir.stdout, by_file.stdout);
    let other = shipcheck().arg("package").arg(crun.join("GNUmakefile")).output().unwrap();
    assert_eq!(other.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&other.stderr).contains("is not a packit configuration"));
}

/// Silencing one finding: an inline comment at any of its places, `--ignore`, `--select`; a
/// stale comment is a note.
#[test]
fn findings_are_silenced_inline_and_by_rule() {
    let Some(kubo) = corpus_repo("kubo@765cffe6c") else { return };
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&kubo, dir.path());
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let rules = |args: &[&str]| -> Vec<String> {
        let out = shipcheck()
            .current_dir(dir.path())
            .arg("workflows")
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut r: Vec<String> =
            json["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect();
        r.sort();
        r
    };
    assert_eq!(rules(&[]), ["workflow/commented-trigger", "workflow/platform-drift"]);
    assert_eq!(rules(&["--ignore", "workflow/platform-drift"]), ["workflow/commented-trigger"]);
    assert_eq!(rules(&["--select", "workflow/platform-drift"]), ["workflow/platform-drift"]);
    assert_eq!(rules(&["--ignore", "workflow"]), Vec::<String>::new());
    let bad =
        shipcheck().current_dir(dir.path()).args(["workflows", "--ignore", "workflow/platform-drit"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("did you mean `workflow/platform-drift`?"));
    // The drift is reported at line 134 and lists the riscv64 step at 113 among its places: a
    // comment above that step silences it. A comment naming another rule is stale.
    let path = dir.path().join(".github/workflows/docker-image.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    assert!(lines[112].contains("platforms"), "{}", lines[112]);
    lines.insert(112, "          # shipcheck: ignore[workflow/platform-drift] riscv64 is tested on the release branch");
    lines.insert(0, "# shipcheck: ignore[workflow/missing-qemu] not here");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    assert_eq!(rules(&[]), ["suppress/unused-ignore", "workflow/commented-trigger"]);
    assert_eq!(rules(&["--ignore", "suppress/unused-ignore"]), ["workflow/commented-trigger"]);
}

/// Adopting on a repository with findings: a baseline of today's findings, then only new ones
/// report and fail. Fingerprints survive lines moving.
#[test]
fn a_baseline_keeps_old_findings_out_and_lets_new_ones_fail() {
    let Some(kubo) = corpus_repo("kubo@765cffe6c") else { return };
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&kubo, dir.path());
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let run = |args: &[&str]| {
        let out = shipcheck()
            .current_dir(dir.path())
            .args(["workflows", "--fail-on", "warning", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
        // An error (exit 2) prints no report.
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let rules: Vec<String> = json["findings"]
            .as_array()
            .map(|a| a.iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        (out.status.code(), rules, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    assert_eq!(run(&[]).0, Some(1));
    let (code, rules, err) = run(&["--write-baseline", "baseline.json"]);
    assert_eq!((code, rules.len()), (Some(0), 0), "{err}");
    assert!(err.contains("wrote 2 findings to the baseline"), "{err}");
    assert_eq!(run(&["--baseline", "baseline.json"]).0, Some(0));
    // Lines move: the same findings, still in the baseline.
    let path = dir.path().join(".github/workflows/docker-image.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("# moved\n# down\n{text}")).unwrap();
    let (code, rules, _) = run(&["--baseline", "baseline.json"]);
    assert_eq!((code, rules.len()), (Some(0), 0));
    // A new release workflow with a platform no pull request builds: new, reported, failing.
    std::fs::write(
        dir.path().join(".github/workflows/s390x.yml"),
        "on:\n  push:\n    tags: ['v*']\njobs:\n  image:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/setup-qemu-action@v3\n      - uses: docker/build-push-action@v6\n        with:\n          platforms: linux/s390x\n          push: true\n",
    )
    .unwrap();
    let (code, rules, _) = run(&["--baseline", "baseline.json"]);
    assert_eq!((code, rules), (Some(1), vec!["workflow/platform-drift".to_string()]));
    std::fs::write(dir.path().join("bad.json"), "{}").unwrap();
    let (code, _, err) = run(&["--baseline", "bad.json"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("is not a baseline"), "{err}");
}
