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
