//! What the package checks read from git: the release tag, the tags, and the spec's history.
//! git runs as a child process in the repository; a directory that is not a checkout (or a
//! missing git) yields nothing, never an error.

use std::path::{Path, PathBuf};

/// The largest output read from one git command.
const MAX_OUTPUT: usize = 16 << 20;

/// How far back the spec's history is walked, in commits that touched it.
const MAX_COMMITS: &str = "50";

/// The output lines of a git command run in `dir`; `None` when git fails (not a checkout).
pub fn lines(dir: &Path, args: &[&str]) -> Option<Vec<String>> {
    let out = std::process::Command::new("git").arg("-C").arg(dir).args(args).output().ok()?;
    if !out.status.success() || out.stdout.len() > MAX_OUTPUT {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect())
}

/// The latest tag reachable from HEAD (`git describe --tags --abbrev=0`).
pub fn latest_tag(dir: &Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["describe", "--tags", "--abbrev=0"])
        .output()
        .ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()).filter(|t| !t.is_empty())
}

/// Whether `dir` is the root of a git checkout. A directory inside another project's checkout
/// (like the bundled examples) has no history of its own.
pub fn is_root(dir: &Path) -> bool {
    let top = lines(dir, &["rev-parse", "--show-toplevel"]).and_then(|l| l.first().map(PathBuf::from));
    top.zip(dir.canonicalize().ok()).is_some_and(|(t, d)| t.canonicalize().ok() == Some(d))
}

/// The repository's tags, newest first; `None` when git cannot list them.
pub fn tags(dir: &Path) -> Option<Vec<String>> {
    lines(dir, &["for-each-ref", "--sort=-creatordate", "--count=10000", "--format=%(refname:short)", "refs/tags"])
}

/// The spec's text in the commits that touched it, newest first (commit abbreviated to 12
/// characters), back to the first commit whose Version (as written) differs from `current`'s.
pub fn spec_history(spec: &Path, current: &str) -> Option<Vec<(String, String)>> {
    let (parent, file) = (spec.parent()?, spec.file_name().and_then(|f| f.to_str())?);
    let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
    let commits = lines(parent, &["log", "-n", MAX_COMMITS, "--format=%H", "--", file]).unwrap_or_default();
    let version_of = |t: &str| crate::spec::parse(t).tag("version").map(String::from);
    let current = version_of(current);
    let mut history = Vec::new();
    for c in commits {
        let Some(lines) = lines(parent, &["show", &format!("{c}:./{file}")]) else { break };
        let old = lines.join("\n");
        // The walk ends at the first commit with another version: nothing older matters.
        let other = version_of(&old) != current;
        history.push((c.chars().take(12).collect::<String>(), old));
        if other {
            break;
        }
    }
    Some(history)
}
