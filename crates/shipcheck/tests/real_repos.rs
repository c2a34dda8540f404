//! The repository commands on the build files of 30 real commits (`corpus/repos`): every finding
//! is pinned in a snapshot, and every finding must carry a reviewed verdict in
//! docs/real-world.md. A false positive is fixed in the rule, never in the snapshot or the table.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The real-world corpus: `SHIPCHECK_CORPUS`, else `../shared/corpus` beside the repository.
fn corpus() -> PathBuf {
    std::env::var_os("SHIPCHECK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
}

/// The repository directories, or `None` when the corpus is absent (a failure under `CI=true`).
fn repo_dirs() -> Option<Vec<PathBuf>> {
    let root = corpus().join("repos");
    let Ok(entries) = std::fs::read_dir(&root) else {
        assert!(std::env::var_os("CI").is_none(), "the corpus is missing at {}", root.display());
        eprintln!("skipped: no corpus at {}", root.display());
        return None;
    };
    let mut dirs: Vec<PathBuf> =
        entries.flatten().map(|e| e.path()).filter(|p| p.is_dir() && p.to_string_lossy().contains('@')).collect();
    dirs.sort();
    assert!(dirs.len() >= 30, "expected the 30 repository commits in {}", root.display());
    Some(dirs)
}

/// One finding as the snapshot and the verdict table name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Seen {
    repo: String,
    command: &'static str,
    severity: String,
    rule: String,
    at: String,
}

/// Runs one command on one repository directory: its exit status and findings.
fn run(dir: &Path, command: &'static str) -> (i32, Vec<Seen>) {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("shipcheck"));
    cmd.arg(command);
    match command {
        "dockerfile" => cmd.arg("--repo").arg(dir),
        _ => cmd.arg(dir),
    };
    let out = cmd.args(["--format", "json"]).current_dir(dir).output().unwrap();
    let code = out.status.code().expect("exited, not killed by a signal");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{} {command} panicked:\n{stderr}", dir.display());
    // 0 clean, 1 findings at the failing severity, 3 nothing of the command's kind: never 2
    // (bad input) on a real repository.
    assert!(matches!(code, 0 | 1 | 3), "{} {command}: exit {code}\n{stderr}", dir.display());
    let repo = dir.file_name().unwrap().to_string_lossy().into_owned();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{repo} {command}: not JSON ({e}):\n{}", String::from_utf8_lossy(&out.stdout)));
    let prefix = format!("{}/", dir.display());
    let findings = json["findings"].as_array().cloned().unwrap_or_default();
    let seen = findings
        .iter()
        .map(|f| {
            let subject = &f["subject"];
            let artifact = subject["artifact"].as_str().unwrap_or("-");
            let artifact = artifact.strip_prefix(&prefix).unwrap_or(artifact);
            let at = match subject["line"].as_u64() {
                Some(line) => format!("{artifact}:{line}"),
                None => artifact.to_string(),
            };
            Seen {
                repo: repo.clone(),
                command,
                severity: f["severity"].as_str().unwrap_or("?").to_string(),
                rule: f["rule"].as_str().unwrap_or("?").to_string(),
                at,
            }
        })
        .collect();
    (code, seen)
}

/// `(repo, rule, location)` of every verdict row in docs/real-world.md whose verdict is `true`;
/// a row with any other verdict is a false positive that must not be in the output.
fn verdicts() -> (BTreeSet<(String, String, String)>, Vec<String>) {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/real-world.md")).unwrap();
    let mut true_rows = BTreeSet::new();
    let mut other = Vec::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
        // | repository | rule | location | verdict | why |
        if cells.len() < 5 || !cells[1].contains('/') || cells[1].contains(' ') {
            continue;
        }
        let key = (
            cells[0].trim_matches('`').to_string(),
            cells[1].trim_matches('`').to_string(),
            cells[2].trim_matches('`').to_string(),
        );
        match cells[3] {
            "true" => {
                true_rows.insert(key);
            }
            v => other.push(format!("{} {} {}: {v}", key.0, key.1, key.2)),
        }
    }
    (true_rows, other)
}

#[test]
fn every_finding_on_the_real_repositories_is_pinned_and_reviewed_true() {
    let Some(dirs) = repo_dirs() else { return };
    let mut snapshot = String::new();
    let mut all = Vec::new();
    for dir in &dirs {
        for command in ["workflows", "dockerfile", "package"] {
            let (code, seen) = run(dir, command);
            snapshot.push_str(&format!("{} {command} exit={code}\n", dir.file_name().unwrap().to_string_lossy()));
            let mut lines: Vec<String> =
                seen.iter().map(|s| format!("  {} {} {}\n", s.severity, s.rule, s.at)).collect();
            lines.sort();
            snapshot.extend(lines);
            all.extend(seen);
        }
    }
    insta::assert_snapshot!("real_repos", snapshot);

    let (true_rows, not_true) = verdicts();
    let unreviewed: Vec<String> = all
        .iter()
        .filter(|s| !true_rows.contains(&(s.repo.clone(), s.rule.clone(), s.at.clone())))
        .map(|s| format!("{} {} {} {}", s.repo, s.command, s.rule, s.at))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(
        unreviewed.is_empty(),
        "findings with no `true` verdict row in docs/real-world.md (fix the rule if false):\n{}",
        unreviewed.join("\n")
    );
    assert!(not_true.is_empty(), "docs/real-world.md records findings that are not true:\n{}", not_true.join("\n"));
}

#[test]
fn the_incidents_in_the_real_repositories_stay_caught() {
    let Some(dirs) = repo_dirs() else { return };
    let dir = |name: &str| dirs.iter().find(|d| d.ends_with(name)).unwrap_or_else(|| panic!("{name} in the corpus"));

    // kubo's release workflow added linux/riscv64, which no pull-request build tried.
    let out = Command::new(assert_cmd::cargo::cargo_bin("shipcheck"))
        .arg("workflows")
        .arg(dir("kubo@765cffe6c"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let drift = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "workflow/platform-drift")
        .map(|f| f.to_string())
        .collect::<Vec<_>>();
    assert!(drift.iter().any(|f| f.contains("linux/riscv64")), "{drift:?}");

    // crun 1.16's files_to_sync names a nested path that dist-git lacks; fixed in 1.18.
    for (commit, caught) in [("crun@2dc1598e7", true), ("crun@8656b2548", false)] {
        let out = Command::new(assert_cmd::cargo::cargo_bin("shipcheck"))
            .arg("package")
            .arg(dir(commit))
            .args(["--format", "json"])
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let rules: Vec<&str> = json["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
        assert_eq!(rules.contains(&"package/files-to-sync-mkpath"), caught, "{commit}: {rules:?}");
    }
}
