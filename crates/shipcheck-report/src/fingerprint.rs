//! Stable fingerprints of findings: SARIF `partialFingerprints`, GitLab Code Quality
//! `fingerprint`, and the key a baseline will store.
//!
//! # Contract (`v1`)
//!
//! [`fingerprint`] is the lowercase hex SHA-256 of these fields, each followed by a NUL byte:
//!
//! 1. `shipcheck/v1` (the version of this contract);
//! 2. the rule ID (`workflow/platform-drift`);
//! 3. the artifact as [`artifact_key`] gives it: a local path relative to the repository root
//!    with `/` separators (`.github/workflows/release.yml`), a transport-prefixed local path
//!    the same way (`oci-archive:dist/image.tar`), anything else as written (`docker://…`,
//!    `runc (recording …)`);
//! 4. the place inside the artifact when it names *what* the finding is about: an archive
//!    member's path, a descriptor's digest, a platform. A line and column are never part of it;
//! 5. the values of the evidence keys in [`SUBJECT_KEYS`] the finding carries, as
//!    `key=value`, in the order the rule added them: the YAML key path, the workflow job, the
//!    Dockerfile stage and instruction, the image, the platform, the runtime caller… Values of
//!    [`PATH_KEYS`] (a workflow file) are taken relative to the root like the artifact.
//!
//! The message, the fix, the severity and every other evidence value are left out, so a
//! fingerprint survives the finding's line moving, its message being reworded, its severity
//! being configured, and measurements (sizes, counts, versions seen) changing. It changes when
//! the rule, the artifact or the subject key changes. Changing what goes in is a new version:
//! the SARIF key is [`SARIF_KEY`], and a baseline must store the version with its fingerprints.
//!
//! Two findings can share a fingerprint (one rule firing twice in one file without a subject
//! key). [`fingerprints`] numbers such repeats in report order (`…:2`, `…:3`), as CodeQL does,
//! for consumers that need one value per result; a baseline should rather keep a count per
//! fingerprint, so that a new repeat is new and a moved one is not.

use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{Finding, Locator, Report};

/// The `partialFingerprints` key of SARIF results.
pub const SARIF_KEY: &str = "shipcheckFingerprint/v1";

/// Evidence keys whose values say what a finding is about rather than what was measured.
pub const SUBJECT_KEYS: &[&str] = &[
    "key",
    "workflow",
    "job",
    "event",
    "stage",
    "instruction",
    "image",
    "platform",
    "path",
    "entry",
    "engine",
    "caller",
    "probe",
    "class",
    "signature",
];

/// Subject keys whose values are files of the repository as the user named them: taken
/// relative to the root like the artifact.
pub const PATH_KEYS: &[&str] = &["workflow"];

/// Transports whose rest is a local path (`oci-archive:dist/image.tar`).
const LOCAL_TRANSPORTS: &[&str] = &["oci", "oci-archive", "docker-archive", "dir"];

/// The fingerprint of `finding`, its file artifacts taken relative to `root`. See the module
/// documentation for what goes in.
pub fn fingerprint(finding: &Finding, root: &Path) -> String {
    let mut hasher = Sha256::new();
    let mut field = |s: &str| {
        hasher.update(s.as_bytes());
        hasher.update([0]);
    };
    field("shipcheck/v1");
    field(finding.rule.id);
    field(&artifact_key(&finding.subject.artifact, root));
    match &finding.subject.locator {
        Locator::Entry { path } => field(&format!("entry={path}")),
        Locator::Descriptor { digest } => field(&format!("digest={digest}")),
        Locator::Platform { platform } => field(&format!("platform={platform}")),
        Locator::Whole | Locator::Position { .. } => {}
    }
    for (k, v) in finding.evidence.iter().filter(|(k, _)| SUBJECT_KEYS.contains(&k.as_str())) {
        if PATH_KEYS.contains(&k.as_str()) {
            field(&format!("{k}={}", artifact_key(v, root)));
        } else {
            field(&format!("{k}={v}"));
        }
    }
    hex(&hasher.finalize())
}

/// One fingerprint per finding of `report`, in order, repeats numbered (`…:2`) so that every
/// value is unique; the first of each keeps the bare [`fingerprint`].
pub fn fingerprints(report: &Report) -> Vec<String> {
    let root = repository_root(report);
    let mut seen = std::collections::HashMap::<String, usize>::new();
    report
        .findings
        .iter()
        .map(|f| {
            let fp = fingerprint(f, &root);
            let n = seen.entry(fp.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                fp
            } else {
                format!("{fp}:{n}")
            }
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The lowercase hex SHA-256 of `text`: a numbered repeat (`…:2`) as plain hex, for formats
/// that want hex only (GitLab Code Quality).
pub fn hex_digest(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// The repository-relative path of `artifact` when it is a regular file inside the repository:
/// a path as given, or the local path of a transport-prefixed archive
/// (`oci-archive:dist/image.tar`). A directory (an OCI layout) is not a file to point at.
pub fn repository_file(artifact: &str, root: &Path) -> Option<String> {
    let path = match artifact.split_once(':') {
        Some(("oci-archive" | "docker-archive", rest)) => rest,
        _ => artifact,
    };
    if !is_local_path(path) || !Path::new(path).is_file() {
        return None;
    }
    relative_path(path, root)
}

/// The artifact as a fingerprint names it: see the module documentation.
pub fn artifact_key(artifact: &str, root: &Path) -> String {
    if let Some(rel) = relative_path(artifact, root) {
        return rel;
    }
    if let Some((transport, rest)) = artifact.split_once(':') {
        if LOCAL_TRANSPORTS.contains(&transport) {
            // `oci:layout:tag`: the layout is before the last colon when one follows.
            let (path, tag) = match rest.rsplit_once(':') {
                Some((p, t)) if transport == "oci" && !t.contains('/') => (p, Some(t)),
                _ => (rest, None),
            };
            if let Some(rel) = relative_path(path, root) {
                return match tag {
                    Some(t) => format!("{transport}:{rel}:{t}"),
                    None => format!("{transport}:{rel}"),
                };
            }
        }
    }
    artifact.strip_prefix("./").unwrap_or(artifact).to_string()
}

/// Whether `artifact` is written as a local path: not a remote reference (`docker://…`), not a
/// transport-prefixed source (`oci-archive:…`), not a runtime label (`runc (recording …)`),
/// not standard input.
pub fn is_local_path(artifact: &str) -> bool {
    if artifact.is_empty() || artifact == "-" || artifact.contains("://") || artifact.contains(" (") {
        return false;
    }
    match artifact.split_once(':') {
        // A colon before any slash is a transport (`oci-archive:x`, `docker:x`).
        Some((head, _)) => head.contains('/'),
        None => true,
    }
}

/// `artifact` relative to `root` with `/` separators, when it is written as a local path
/// inside the root (whether or not it exists); else `None`. Relative artifacts are relative to
/// the current directory. Lexical first, then through links when the lexical forms differ (a
/// root given through a symbolic link).
pub fn relative_path(artifact: &str, root: &Path) -> Option<String> {
    if !is_local_path(artifact) {
        return None;
    }
    let cwd = std::env::current_dir().ok()?;
    let path = normalize(&cwd.join(artifact));
    let root_abs = normalize(&cwd.join(root));
    let rel = match path.strip_prefix(&root_abs) {
        Ok(rel) => rel.to_path_buf(),
        Err(_) => {
            let (p, r) = (path.canonicalize().ok()?, root_abs.canonicalize().ok()?);
            p.strip_prefix(&r).ok()?.to_path_buf()
        }
    };
    let parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if parts.is_empty() {
        return None;
    }
    Some(parts.join("/"))
}

/// `.` and `..` removed without touching the file system.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The repository root of `report`: [`Report::root`] when the caller set it; else the nearest
/// ancestor of the first local input (checked inputs, then finding artifacts) that holds
/// `.git` or `.github`; else the nearest such ancestor of the current directory; else the
/// current directory.
pub fn repository_root(report: &Report) -> PathBuf {
    if let Some(root) = &report.root {
        return root.clone();
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let inputs = report
        .checked
        .iter()
        .map(|c| c.input.as_str())
        .chain(report.findings.iter().map(|f| f.subject.artifact.as_str()));
    for input in inputs {
        let path = match input.split_once(':') {
            Some((t, rest)) if LOCAL_TRANSPORTS.contains(&t) => rest,
            _ => input,
        };
        if !is_local_path(path) {
            continue;
        }
        let abs = normalize(&cwd.join(path));
        if !abs.exists() {
            continue;
        }
        if let Some(dir) = abs.ancestors().find(|a| a.join(".git").exists() || a.join(".github").is_dir()) {
            return dir.to_path_buf();
        }
        break;
    }
    match cwd.ancestors().find(|a| a.join(".git").exists() || a.join(".github").is_dir()) {
        Some(dir) => dir.to_path_buf(),
        None => cwd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Finding, Subject};

    crate::declare_rule! {
        /// Test rule.
        RULE = ("test/one", Warning, "one");
    }
    crate::declare_rule! {
        /// Test rule.
        OTHER = ("test/other", Warning, "other");
    }

    fn at(artifact: &str, line: u32, message: &str) -> Finding {
        Finding::new(&RULE, Subject::position(artifact, line, Some(3)), message).evidence("job", "build")
    }

    #[test]
    fn survives_line_moves_and_rewording() {
        let root = Path::new("/repo");
        let a = fingerprint(&at("/repo/.github/workflows/ci.yml", 12, "riscv64 built on push only"), root);
        assert_eq!(a.len(), 64);
        // Another line, another column, another message, another severity, other measurements.
        let mut moved = at("/repo/.github/workflows/ci.yml", 40, "riscv64 is built after merge only")
            .severity(crate::Severity::Error)
            .evidence("places", "3");
        moved.subject = Subject::position("/repo/.github/workflows/ci.yml", 41, None);
        assert_eq!(fingerprint(&moved, root), a);
        // The same file written another way, or with the root given another way.
        assert_eq!(fingerprint(&at("/repo/./.github/x/../workflows/ci.yml", 1, "m"), root), a);
        assert_eq!(fingerprint(&at("/repo/.github/workflows/ci.yml", 1, "m"), Path::new("/repo/")), a);
        // A workflow named in the evidence counts by its place in the repository.
        let w = |path: &str| fingerprint(&at("/repo/Dockerfile", 1, "m").evidence("workflow", path), root);
        assert_eq!(w("/repo/.github/workflows/ci.yml"), w("/repo/./.github/workflows/ci.yml"));
        assert_ne!(w("/repo/.github/workflows/ci.yml"), w("/repo/.github/workflows/release.yml"));
    }

    #[test]
    fn changes_with_rule_artifact_or_subject() {
        let root = Path::new("/repo");
        let base = at("/repo/.github/workflows/ci.yml", 12, "m");
        let a = fingerprint(&base, root);
        let mut other_rule = base.clone();
        other_rule.rule = &OTHER;
        assert_ne!(fingerprint(&other_rule, root), a);
        assert_ne!(fingerprint(&at("/repo/.github/workflows/release.yml", 12, "m"), root), a);
        let other_job = Finding::new(&RULE, base.subject.clone(), "m").evidence("job", "release");
        assert_ne!(fingerprint(&other_job, root), a);
        // Digests and platforms are subjects.
        let d = |digest: &str| fingerprint(&Finding::new(&RULE, Subject::descriptor("img.tar", digest), "m"), root);
        assert_ne!(d("sha256:aaaa"), d("sha256:bbbb"));
        let p = |pl: &str| fingerprint(&Finding::new(&RULE, Subject::platform("docker://x/y:1", pl), "m"), root);
        assert_ne!(p("linux/amd64"), p("linux/arm64"));
    }

    #[test]
    fn artifacts_are_keyed_relative_to_the_root() {
        let root = Path::new("/repo");
        assert_eq!(artifact_key("/repo/dist/image.tar", root), "dist/image.tar");
        assert_eq!(artifact_key("oci-archive:/repo/dist/image.tar", root), "oci-archive:dist/image.tar");
        assert_eq!(artifact_key("oci:/repo/layout:v1", root), "oci:layout:v1");
        assert_eq!(artifact_key("docker://ghcr.io/o/i:1", root), "docker://ghcr.io/o/i:1");
        assert_eq!(artifact_key("runc (recording corpus/runc-1.1)", root), "runc (recording corpus/runc-1.1)");
        assert_eq!(artifact_key("/elsewhere/x.tar", root), "/elsewhere/x.tar");
        assert!(!is_local_path("oci-archive:x.tar") && !is_local_path("-") && is_local_path("a/b:c"));
    }

    #[test]
    fn repeats_are_numbered() {
        let mut r = Report::new();
        r.root = Some(PathBuf::from("/repo"));
        r.findings.push(at("/repo/Dockerfile", 3, "a"));
        r.findings.push(at("/repo/Dockerfile", 9, "b"));
        let fps = fingerprints(&r);
        assert_eq!(fps[1], format!("{}:2", fps[0]));
    }
}
