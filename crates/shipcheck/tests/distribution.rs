//! The ways shipcheck ships (issue 17 item 5): shell completions, manual pages, the pre-commit
//! hooks, the Dockerfile for shipcheck itself, the GitHub Action and the publishable crates.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;

fn shipcheck() -> Command {
    Command::cargo_bin("shipcheck").unwrap()
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The visible subcommands, as `shipcheck --help` lists them (without `help`).
fn subcommands() -> Vec<String> {
    let out = shipcheck().arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let section = help.split("Commands:\n").nth(1).expect("a Commands: section");
    let names: Vec<String> = section
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect();
    assert!(names.len() >= 10, "too few subcommands read from --help: {names:?}");
    names
}

#[test]
fn completions_for_every_shell_and_bash_names_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = shipcheck().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!out.stdout.is_empty(), "{shell}: empty completions");
    }
    let bash = String::from_utf8(shipcheck().args(["completions", "bash"]).output().unwrap().stdout).unwrap();
    for name in subcommands() {
        // The top level offers it, and it has its own case in the completion function.
        let offered = bash.lines().any(|l| l.contains("opts=\"") && l.split_whitespace().any(|w| w == name));
        assert!(offered && bash.contains(&format!("shipcheck,{name})")), "bash completions miss `{name}`");
    }
    shipcheck().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn man_pages_parse_as_roff_and_name_every_subcommand() {
    let out = shipcheck().arg("man").output().unwrap();
    assert!(out.status.success());
    let top = String::from_utf8(out.stdout).unwrap();
    assert!(top.lines().any(|l| l.starts_with(".TH shipcheck 1")), "no .TH header:\n{top}");
    assert!(top.contains("Exit status, for every command"));
    let names = subcommands();
    for name in &names {
        assert!(top.contains(&format!("shipcheck\\-{name}(1)")), "the top page misses `{name}`");
    }

    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    shipcheck().args(["man", "--out"]).arg(&pages).assert().success();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&pages).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut expected: Vec<PathBuf> = names.iter().map(|n| pages.join(format!("shipcheck-{n}.1"))).collect();
    expected.push(pages.join("shipcheck.1"));
    expected.sort();
    assert_eq!(files, expected, "one page per visible subcommand, hidden ones left out, no scratch files left");
    let image = std::fs::read_to_string(pages.join("shipcheck-image.1")).unwrap();
    assert!(image.starts_with(".ie") && image.contains(".TH shipcheck-image 1"));

    // `man -l` (man-db) formats each page, plain text when piped; groff's warnings go to stderr.
    if Process::new("man").arg("--version").output().is_ok_and(|o| o.status.success()) {
        for file in &files {
            let out =
                Process::new("man").args(["--warnings=w", "-l"]).arg(file).env("MANWIDTH", "80").output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "man -l {}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
            assert!(out.stderr.is_empty(), "man -l {} warns: {}", file.display(), String::from_utf8_lossy(&out.stderr));
            assert!(text.contains("NAME") && text.contains("SYNOPSIS"), "{}: {text}", file.display());
        }
    } else {
        eprintln!("man is not installed: pages checked for .TH headers only");
    }
}

fn cargo() -> Process {
    let mut c = Process::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(repo_root());
    c
}

/// Every `include_str!`/`include_bytes!` path under `dir`, relative to `root`.
fn included_files(root: &Path, dir: &Path, found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            included_files(root, &path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("include_str!(\"").skip(1).chain(text.split("include_bytes!(\"").skip(1)) {
                let Some(rel) = part.split('"').next().filter(|r| !r.contains('{')) else { continue };
                let mut full = path.parent().unwrap().to_path_buf();
                for c in Path::new(rel).components() {
                    match c {
                        std::path::Component::ParentDir => {
                            full.pop();
                        }
                        c => full.push(c),
                    }
                }
                let inside = full.strip_prefix(root).map(|p| p.to_string_lossy().into_owned());
                found.push(inside.unwrap_or_else(|_| format!("OUTSIDE THE CRATE: {}", full.display())));
            }
        }
    }
}

/// What `cargo publish` needs of each crate, checked offline in well under a second: metadata,
/// a version on every internal dependency, and every embedded data file inside the package.
/// The full dry run (`scripts/check-package.sh`) reads the crates.io index, so it is not part of
/// the suite.
#[test]
fn every_crate_is_publishable() {
    let out = cargo().args(["metadata", "--no-deps", "--format-version", "1", "--offline"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 10, "a new workspace crate: check it here");
    for p in packages {
        let name = p["name"].as_str().unwrap();
        for key in ["description", "license", "repository"] {
            assert!(p[key].as_str().is_some_and(|v| !v.is_empty()), "{name}: no {key}");
        }
        assert_eq!(p["license"], "Apache-2.0");
        for dep in p["dependencies"].as_array().unwrap() {
            let dep_name = dep["name"].as_str().unwrap();
            // A dev-dependency without a version is dropped from the published manifest.
            if dep_name.starts_with("shipcheck") && dep["kind"] != "dev" {
                assert_ne!(dep["req"], "*", "{name} depends on {dep_name} without a version");
            }
        }
        let out = cargo().args(["package", "--list", "--allow-dirty", "--offline", "-p", name]).output().unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let listed = String::from_utf8(out.stdout).unwrap();
        let listed: Vec<&str> = listed.lines().collect();
        let dir = Path::new(p["manifest_path"].as_str().unwrap()).parent().unwrap();
        let mut embedded = Vec::new();
        included_files(dir, &dir.join("src"), &mut embedded);
        for file in embedded {
            assert!(listed.contains(&file.as_str()), "{name}: embeds {file}, which the package does not hold");
        }
        if name == "shipcheck" {
            assert!(listed.contains(&"README.md"), "the binary's package has no README");
        }
    }
    assert!(repo_root().join("LICENSE").is_file());
}

/// Every hook parses, runs a real subcommand with the repository (not file names), and its
/// `files:` pattern matches what that command reads and not what it does not.
#[test]
fn pre_commit_hooks_run_real_subcommands_on_what_they_read() {
    let text = std::fs::read_to_string(repo_root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks = shipcheck_core::yaml::parse(&text).unwrap().expect("a YAML document");
    let names = subcommands();
    let reads: &[(&str, &[&str])] = &[
        (
            "workflows",
            &[".github/workflows/release.yml", ".github/actions/build/action.yaml", "docker-bake.hcl", "Makefile"],
        ),
        (
            "dockerfile",
            &[
                "Dockerfile",
                "build/Containerfile",
                "images/app.Dockerfile",
                "Dockerfile.arm64",
                ".github/workflows/ci.yaml",
            ],
        ),
        ("package", &[".packit.yaml", "packit.yml", "rpm/app.spec"]),
    ];
    let mut seen = std::collections::BTreeSet::new();
    assert!(hooks.items().len() >= 3);
    for hook in hooks.items() {
        let field =
            |k: &str| hook.get(k).and_then(|v| v.str()).unwrap_or_else(|| panic!("a hook without {k}")).to_string();
        let (id, entry, files) = (field("id"), field("entry"), field("files"));
        assert!(["system", "docker"].contains(&field("language").as_str()), "{id}");
        assert_eq!(
            hook.get("pass_filenames").and_then(|v| v.as_bool()),
            Some(false),
            "{id}: commands read the repository"
        );
        let words: Vec<&str> = entry.split_whitespace().collect();
        assert_eq!(words.first(), Some(&"shipcheck"), "{id}");
        let command = words[1];
        assert!(names.iter().any(|n| n == command), "{id}: `{command}` is not a subcommand");
        // The hook's entry really runs: `--help` of that subcommand parses.
        shipcheck().args(&words[1..]).arg("--help").assert().success();
        let pattern = regex::Regex::new(&files).unwrap_or_else(|e| panic!("{id}: {e}"));
        let exclude = hook.get("exclude").and_then(|v| v.str()).map(|e| regex::Regex::new(e).unwrap());
        let runs_on = |path: &str| pattern.is_match(path) && !exclude.as_ref().is_some_and(|x| x.is_match(path));
        let (_, matching) =
            reads.iter().find(|(c, _)| *c == command).unwrap_or_else(|| panic!("{id}: no sample paths"));
        for path in *matching {
            assert!(runs_on(path), "{id}: `files` misses {path}");
        }
        for path in ["src/main.rs", "README.md", "docs/Dockerfile.md", "Cargo.toml"] {
            assert!(!runs_on(path), "{id}: `files` matches {path}");
        }
        seen.insert(command.to_string());
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["dockerfile", "package", "workflows"]);
}

/// shipcheck's own Dockerfile passes shipcheck. It is not built here: no base image can be
/// pulled on this machine, and it cannot be assembled from local parts (the builder is a Rust
/// toolchain image).
#[test]
fn own_dockerfile_has_no_findings() {
    let root = repo_root();
    let out = shipcheck()
        .args(["dockerfile", "--format", "json", "--fail-on", "note", "--repo"])
        .arg(&root)
        .arg(root.join("Dockerfile"))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    for from in text.lines().filter(|l| l.starts_with("FROM ")) {
        let image = from.split_whitespace().nth(1).unwrap();
        let pinned = image.contains("@sha256:")
            || image
                .rsplit(':')
                .next()
                .is_some_and(|t| t.starts_with(|c: char| c.is_ascii_digit()) && t.matches('.').count() >= 2);
        assert!(pinned, "{image}: pin a digest or an exact version");
    }
    let ignored = std::fs::read_to_string(root.join(".dockerignore")).unwrap();
    assert!(ignored.lines().any(|l| l == "target"), "the build context would carry target/");
}

/// Runs the `run:` steps of action.yml as a GitHub runner would (each in `bash --noprofile
/// --norc -eo pipefail`, expressions substituted, a fresh GITHUB_OUTPUT per step, GITHUB_PATH
/// added to PATH for the steps after), in a temp dir. `uses:` steps (the SARIF upload) are not
/// run; their `with:` values are returned so the test can check what they would receive.
struct Runner {
    dir: tempfile::TempDir,
    path: String,
    inputs: std::collections::BTreeMap<String, String>,
    env: Vec<(String, String)>,
}

struct Ran {
    statuses: Vec<(String, i32)>,
    outputs: std::collections::BTreeMap<String, String>,
    uses: Vec<(String, std::collections::BTreeMap<String, String>)>,
    summary: String,
    github_path: String,
}

impl Runner {
    fn new(path: String, inputs: &[(&str, &str)]) -> Runner {
        let text = std::fs::read_to_string(repo_root().join("action.yml")).unwrap();
        let action = shipcheck_core::yaml::parse(&text).unwrap().unwrap();
        let mut all = std::collections::BTreeMap::new();
        for (name, spec) in action.get("inputs").unwrap().entries() {
            let default = spec.get("default").and_then(|d| d.str()).unwrap_or("").to_string();
            all.insert(name.str().unwrap().to_string(), default);
        }
        for (k, v) in inputs {
            assert!(all.contains_key(*k), "action.yml has no input {k}");
            all.insert(k.to_string(), v.to_string());
        }
        Runner { dir: tempfile::tempdir().unwrap(), path, inputs: all, env: Vec::new() }
    }

    fn expand(&self, text: &str, steps: &std::collections::BTreeMap<String, String>) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("an expression closes") + start;
            let expr = rest[start + 3..end].trim();
            let value = if let Some(name) = expr.strip_prefix("inputs.") {
                self.inputs[name].clone()
            } else if expr == "github.action_path" {
                repo_root().to_string_lossy().into_owned()
            } else if let Some(key) = expr.strip_prefix("steps.") {
                steps.get(key).cloned().unwrap_or_default()
            } else if let Some(name) = expr.strip_prefix("matrix.").or(expr.strip_prefix("env.")) {
                panic!("action.yml uses {name}: not something a composite action has")
            } else {
                panic!("the test runner does not know the expression `{expr}`")
            };
            out.push_str(&value);
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    fn run(&self) -> Ran {
        let text = std::fs::read_to_string(repo_root().join("action.yml")).unwrap();
        let action = shipcheck_core::yaml::parse(&text).unwrap().unwrap();
        let runs = action.get("runs").unwrap();
        assert_eq!(runs.get("using").and_then(|u| u.str()), Some("composite"));
        let temp = self.dir.path().join("runner-temp");
        std::fs::create_dir_all(&temp).unwrap();
        let summary = self.dir.path().join("step-summary.md");
        let github_path = self.dir.path().join("github-path");
        std::fs::write(&summary, "").unwrap();
        std::fs::write(&github_path, "").unwrap();
        let mut steps = std::collections::BTreeMap::new();
        let mut ran = Ran {
            statuses: Vec::new(),
            outputs: Default::default(),
            uses: Vec::new(),
            summary: String::new(),
            github_path: String::new(),
        };
        for (i, step) in runs.get("steps").unwrap().items().iter().enumerate() {
            let name = step.get("name").and_then(|n| n.str()).unwrap_or("?").to_string();
            if let Some(uses) = step.get("uses").and_then(|u| u.str()) {
                let with = step
                    .get("with")
                    .map(|w| {
                        w.entries()
                            .iter()
                            .map(|(k, v)| (k.str().unwrap().to_string(), self.expand(v.str().unwrap(), &steps)))
                            .collect()
                    })
                    .unwrap_or_default();
                ran.uses.push((uses.to_string(), with));
                continue;
            }
            let script =
                step.get("run").and_then(|r| r.str()).unwrap_or_else(|| panic!("step {name}: neither run nor uses"));
            assert_eq!(
                step.get("shell").and_then(|s| s.str()),
                Some("bash"),
                "step {name}: composite run steps need a shell"
            );
            let file = self.dir.path().join(format!("step-{i}.sh"));
            std::fs::write(&file, self.expand(script, &steps)).unwrap();
            let output = self.dir.path().join(format!("output-{i}"));
            std::fs::write(&output, "").unwrap();
            // GITHUB_PATH lines come first on PATH for the following steps.
            let added: Vec<String> =
                std::fs::read_to_string(&github_path).unwrap().lines().rev().map(str::to_string).collect();
            let path = added.into_iter().chain([self.path.clone()]).collect::<Vec<_>>().join(":");
            let mut cmd = Process::new("bash");
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail"]).arg(&file).current_dir(self.dir.path()).env_clear();
            cmd.env("PATH", path)
                .env("HOME", self.dir.path())
                .env("RUNNER_OS", "Linux")
                .env("RUNNER_ARCH", "X64")
                .env("RUNNER_TEMP", &temp)
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_STEP_SUMMARY", &summary)
                .env("GITHUB_OUTPUT", &output)
                .env("GITHUB_PATH", &github_path)
                .env("GITHUB_WORKSPACE", self.dir.path());
            for (k, v) in &self.env {
                cmd.env(k, v);
            }
            if let Some(env) = step.get("env") {
                for (k, v) in env.entries() {
                    cmd.env(k.str().unwrap(), self.expand(v.str().unwrap_or(""), &steps));
                }
            }
            let out = cmd.output().unwrap();
            let status = out.status.code().unwrap_or(-1);
            eprintln!(
                "--- step {name}: {status}\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            ran.statuses.push((name.clone(), status));
            if let Some(id) = step.get("id").and_then(|s| s.str()) {
                for line in std::fs::read_to_string(&output).unwrap().lines() {
                    let (k, v) = line.split_once('=').expect("name=value outputs");
                    steps.insert(format!("{id}.outputs.{k}"), v.to_string());
                }
            }
            if status != 0 {
                break;
            }
        }
        for (name, spec) in action.get("outputs").unwrap().entries() {
            let value = self.expand(spec.get("value").unwrap().str().unwrap(), &steps);
            ran.outputs.insert(name.str().unwrap().to_string(), value);
        }
        ran.summary = std::fs::read_to_string(&summary).unwrap();
        ran.github_path = std::fs::read_to_string(&github_path).unwrap();
        ran
    }
}

fn built_binary_dir() -> tempfile::TempDir {
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("shipcheck"), bin.path().join("shipcheck")).unwrap();
    bin
}

fn lists_markdown() -> bool {
    String::from_utf8(shipcheck().args(["workflows", "--help"]).output().unwrap().stdout).unwrap().contains("markdown")
}

/// The action with shipcheck already on PATH (no download): a repository with platform drift
/// fails the step with status 1 after the summary, the outputs and the SARIF file are written.
#[test]
fn action_runs_checks_writes_summary_and_sarif() {
    let bin = built_binary_dir();
    let drift = repo_root().join("crates/shipcheck-workflow/tests/fixtures/rules/platform_drift");
    let path = format!("{}:/usr/bin:/bin", bin.path().display());
    let runner = Runner::new(
        path,
        &[
            ("command", "workflows"),
            ("args", drift.to_str().unwrap()),
            ("version", "0.1.0"),
            ("upload-sarif", "true"),
            ("fail-on", "warning"),
        ],
    );
    let ran = runner.run();
    let names: Vec<&str> = ran.statuses.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Install shipcheck", "Run shipcheck", "Exit status"]);
    assert_eq!(ran.statuses.iter().map(|(_, s)| *s).collect::<Vec<_>>(), [0, 0, 1], "findings fail the last step only");
    assert_eq!(ran.outputs["exit-code"], "1");
    assert_eq!(ran.github_path, "", "the shipcheck on PATH was used, nothing installed");
    assert!(ran.summary.starts_with("### shipcheck workflows\n"), "{}", ran.summary);
    assert!(ran.summary.contains("workflow/platform-drift"), "{}", ran.summary);
    assert!(ran.summary.contains("Exit status 1: findings at or above fail-on."), "{}", ran.summary);
    if lists_markdown() {
        assert!(!ran.summary.contains("\n```\n"), "markdown is listed, so the summary is markdown");
    } else {
        assert!(ran.summary.contains("\n```\n"), "human output in a code block: {}", ran.summary);
    }
    let report = std::fs::read_to_string(&ran.outputs["report"]).unwrap();
    assert!(report.contains("warning workflow/platform-drift"), "{report}");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ran.outputs["sarif-file"]).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif.to_string().contains("workflow/platform-drift"));
    let (uses, with) = &ran.uses[0];
    assert!(uses.starts_with("github/codeql-action/upload-sarif@"), "{uses}");
    assert_eq!(with["sarif_file"], ran.outputs["sarif-file"]);

    // Without upload-sarif and on a clean input: nothing uploaded, the step passes.
    let clean = Runner::new(
        format!("{}:/usr/bin:/bin", bin.path().display()),
        &[
            ("command", "dockerfile"),
            ("args", &format!("{} --repo {}", repo_root().join("Dockerfile").display(), repo_root().display())),
        ],
    );
    let ran = clean.run();
    assert_eq!(ran.statuses.iter().map(|(_, s)| *s).collect::<Vec<_>>(), [0, 0, 0]);
    assert_eq!((ran.outputs["exit-code"].as_str(), ran.outputs["sarif-file"].as_str()), ("0", ""));
    assert!(ran.summary.contains("Exit status 0: nothing at or above fail-on."), "{}", ran.summary);
}

/// No shipcheck on PATH: the release binary for the runner (Linux/X64) is downloaded from
/// `release-url` (a file:// URL here: no network), its published sha256 checked, installed
/// under RUNNER_TEMP and added to GITHUB_PATH for the steps after. A wrong checksum stops it.
#[test]
fn action_installs_the_release_binary_for_the_runner() {
    let releases = tempfile::tempdir().unwrap();
    let target = Process::new(repo_root().join("scripts/action.sh"))
        .arg("target")
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .output()
        .unwrap();
    let target = String::from_utf8(target.stdout).unwrap().trim().to_string();
    assert_eq!(target, "x86_64-unknown-linux-musl");
    let dir = releases.path().join("v0.1.0");
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::copy(assert_cmd::cargo::cargo_bin("shipcheck"), dir.join("pkg/shipcheck")).unwrap();
    let asset = format!("shipcheck-v0.1.0-{target}.tar.gz");
    let tar = Process::new("tar").args(["-czf", &asset, "pkg"]).current_dir(&dir).status().unwrap();
    assert!(tar.success());
    let sum = Process::new("sha256sum").arg(&asset).current_dir(&dir).output().unwrap();
    std::fs::write(dir.join(format!("{asset}.sha256")), &sum.stdout).unwrap();
    let url = format!("file://{}", releases.path().display());

    let runner = Runner::new(
        "/usr/bin:/bin".into(),
        &[
            ("command", "dockerfile"),
            ("args", repo_root().join("Dockerfile").to_str().unwrap()),
            ("version", "v0.1.0"),
            ("release-url", &url),
        ],
    );
    let ran = runner.run();
    assert_eq!(ran.statuses.iter().map(|(_, s)| *s).collect::<Vec<_>>(), [0, 0, 0]);
    let installed = ran.github_path.trim();
    assert!(installed.ends_with("shipcheck-action/root/bin"), "{installed}");
    assert!(Path::new(installed).join("shipcheck").is_file());
    assert_eq!(ran.outputs["exit-code"], "0");

    std::fs::write(dir.join(format!("{asset}.sha256")), format!("{}  {asset}\n", "0".repeat(64))).unwrap();
    let ran = Runner::new("/usr/bin:/bin".into(), &[("version", "0.1.0"), ("release-url", &url)]).run();
    assert_eq!(ran.statuses, [("Install shipcheck".to_string(), 2)], "a checksum mismatch stops the install");

    let targets = [
        ("Linux", "ARM64", "aarch64-unknown-linux-musl"),
        ("macOS", "ARM64", "aarch64-apple-darwin"),
        ("Windows", "X64", "x86_64-pc-windows-msvc"),
        ("Linux", "ARM", ""),
    ];
    for (os, arch, want) in targets {
        let out = Process::new(repo_root().join("scripts/action.sh"))
            .arg("target")
            .env("RUNNER_OS", os)
            .env("RUNNER_ARCH", arch)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), want, "{os}/{arch}");
    }
}

/// shipcheck's own workflow check reads the action through `uses: ./` and has nothing to say.
#[test]
fn action_passes_shipcheck_workflows() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::copy(repo_root().join("action.yml"), repo.path().join("action.yml")).unwrap();
    std::fs::create_dir_all(repo.path().join(".github/workflows")).unwrap();
    std::fs::write(
        repo.path().join(".github/workflows/ci.yml"),
        "on: [push, pull_request]\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: ./\n        with:\n          command: workflows\n          upload-sarif: \"true\"\n",
    )
    .unwrap();
    let out =
        shipcheck().args(["workflows", "--format", "json", "--fail-on", "note"]).arg(repo.path()).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    assert_eq!(out.status.code(), Some(0));
}

/// The README keeps its two set-up commands and shows the Action, pre-commit and a plain
/// `cargo install` line (issue 17).
#[test]
fn readme_shows_use_in_ci_and_keeps_the_set_up_commands() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    for setup in [
        "cargo build --release --locked && ./target/release/shipcheck check examples/incidents/*",
        "\nscripts/test.sh\n",
    ] {
        assert!(readme.contains(setup), "set-up command changed: {setup}");
    }
    let ci = readme.split("## Use in CI\n").nth(1).expect("a Use in CI section");
    let ci = ci.split("\n## ").next().unwrap();
    for shown in [
        "cargo install --locked shipcheck",
        "uses: shipcheck/shipcheck@",
        "upload-sarif",
        "rev: v0.1.0",
        "id: shipcheck-workflows",
        "shipcheck completions",
        "shipcheck man",
    ] {
        assert!(ci.contains(shown), "Use in CI does not show `{shown}`");
    }
}
