//! The structural fallback: when no signature matched, the job's failure is still found from
//! the log's shape (BuildKit `ERROR [stage n/m]`, `failed to solve`, the legacy builder's
//! `returned a non-zero code`, GitHub's `Process completed with exit code`, GitLab's `Job
//! failed`, `Error:`/`fatal:` lines, tracebacks, panics, rpmbuild's `Bad exit status`) and its
//! class is voted by the words around it. A failed job is never reported as clean.

use crate::scan::{FailureLine, Scanned, TailLine};

/// Lines before the last failure line whose words vote.
const CONTEXT_BEFORE: u64 = 40;

/// Most error lines shown as evidence.
pub const MAX_EVIDENCE: usize = 5;

/// The failure the log shows, and the class its words vote for.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The last failure line.
    pub line: u64,
    /// The failing step as the log names it (a Dockerfile instruction, a command, a CI step).
    pub step: Option<String>,
    /// The exit status the log gives.
    pub exit: Option<String>,
    /// The BuildKit step (`#7`) of the last failure line that has one.
    pub buildkit_step: Option<u32>,
    /// The last error lines, in line order (line, text).
    pub lines: Vec<(u64, String)>,
    /// The voted class and its share of the votes (0–1).
    pub class: &'static str,
    pub confidence: f64,
    /// Every class that got votes, most first.
    pub votes: Vec<(&'static str, u32)>,
    /// Why the class is not the vote's, when the log around the failure shows its cause
    /// (context.rs).
    pub why: Vec<String>,
}

/// Words that point to a class, as they appear (lowercased) in logs of every tool. A word
/// counts once per line; a failure line counts twice.
const WORDS: &[(&str, &[&str])] = &[
    ("credential-expiry", &["expired", "has expired", "token expired", "expiry", "signature not valid"]),
    (
        "auth",
        &[
            "unauthorized",
            "authentication required",
            "denied",
            "forbidden",
            "permission_denied",
            " 401",
            " 403",
            "credentials",
            "insufficient_scope",
            "not authorized",
        ],
    ),
    ("rate-limit", &["rate limit", "too many requests", "toomanyrequests", " 429", "throttl", "quota exceeded"]),
    (
        "network",
        &[
            "timeout",
            "timed out",
            "connection refused",
            "connection reset",
            "no such host",
            "could not resolve",
            "temporary failure in name resolution",
            "temporary failure resolving",
            "network is unreachable",
            "eai_again",
            "enotfound",
            "etimedout",
            "econnreset",
            "econnrefused",
            "tls handshake",
            "i/o timeout",
            "proxy",
            "unexpected eof",
            "broken pipe",
            "dial tcp",
            "failed to fetch",
            "could not connect",
        ],
    ),
    (
        "platform-emulation",
        &[
            "exec format error",
            "qemu",
            "binfmt",
            "no matching manifest",
            "does not match the detected host platform",
            "illegal instruction",
            "linux/arm64",
            "linux/arm/v7",
            "aarch64",
            "riscv64",
            "s390x",
            "ppc64le",
        ],
    ),
    (
        "runtime-cli",
        &[
            "unknown flag",
            "flag provided but not defined",
            "unrecognized option",
            "invalid option",
            "incorrect usage",
            "unknown command",
            "unknown shorthand flag",
            "is not a docker command",
            "usage:",
        ],
    ),
    (
        "resources",
        &[
            "no space left",
            "out of memory",
            "oomkill",
            "oom-kill",
            "oom kill",
            "killed",
            "cannot allocate memory",
            "too many open files",
            "emfile",
            "disk quota",
            "exit code: 137",
            "exit code 137",
            "status 137",
            "heap out of memory",
            "resource temporarily unavailable",
        ],
    ),
    (
        "packaging",
        &[
            "rpmbuild",
            ".spec",
            "mock",
            "copr",
            "koji",
            "packit",
            "dist-git",
            "fedpkg",
            "srpm",
            "rpm",
            "dnf",
            "yum",
            "debuild",
            "dpkg-buildpackage",
            "specfile",
        ],
    ),
    (
        "build-step",
        &[
            "run ",
            "copy ",
            "returned a non-zero code",
            "did not complete successfully",
            "npm err",
            "compil",
            "make: ***",
            "cannot find",
            "not found",
            "no such file",
            "syntax error",
            "test failed",
            "go: ",
            "cargo",
            "pip install",
        ],
    ),
    (
        "image-format",
        &[
            "media type",
            "mediatype",
            "manifest.json",
            "invalid tar header",
            "archive/tar",
            "index.json",
            "unsupported manifest",
            "docker load",
            "invalid image",
            "oci layout",
        ],
    ),
    (
        "image-store",
        &[
            "does not exist locally",
            "no such image",
            "image not known",
            "unable to find image",
            "short-name",
            "localhost/",
            "--load",
            "image not found",
        ],
    ),
    (
        "registry-protocol",
        &[
            "manifest unknown",
            "blob unknown",
            "manifest invalid",
            "name unknown",
            "digest invalid",
            "500 internal server error",
            "schema1",
            "schema 1",
            "unknown blob",
        ],
    ),
];

/// The failure the log shows, if any: its last failure line, the step, the exit status, the
/// error lines before it, and the voted class.
pub fn find(scanned: &Scanned) -> Option<Failure> {
    let last = scanned.failures.back()?;
    let from = last.line.saturating_sub(CONTEXT_BEFORE);
    let near: Vec<&TailLine> = scanned.tail.iter().filter(|l| l.line >= from && l.line <= last.line + 3).collect();
    let failing: Vec<&FailureLine> = scanned.failures.iter().filter(|f| f.line >= from).collect();
    let mut votes: Vec<(&'static str, u32)> = WORDS.iter().map(|(c, _)| (*c, 0)).collect();
    let texts = near
        .iter()
        .map(|l| (l.text.as_str(), failing.iter().any(|f| f.line == l.line)))
        .chain(failing.iter().filter(|f| !near.iter().any(|l| l.line == f.line)).map(|f| (f.text.as_str(), true)));
    for (text, is_failure) in texts {
        let lower = text.to_ascii_lowercase();
        for (i, (_, words)) in WORDS.iter().enumerate() {
            if words.iter().any(|w| lower.contains(w)) {
                votes[i].1 += if is_failure { 2 } else { 1 };
            }
        }
    }
    let total: u32 = votes.iter().map(|(_, n)| n).sum();
    votes.retain(|(_, n)| *n > 0);
    // Most votes first; on a tie the earlier class in WORDS (the more specific) wins.
    votes.sort_by_key(|v| std::cmp::Reverse(v.1));
    let (class, confidence) = match votes.first() {
        Some(&(c, n)) => (c, f64::from(n) / f64::from(total)),
        // A failed step with no word of any class: a step of the build itself.
        None => ("build-step", 0.0),
    };
    let lines = failing.iter().rev().take(MAX_EVIDENCE).rev().map(|f| (f.line, f.text.clone())).collect();
    Some(Failure {
        line: last.line,
        step: failing.iter().rev().find_map(|f| step_of(&f.text)).or_else(|| last_group(scanned, last.line)),
        exit: failing.iter().rev().find_map(|f| exit_of(&f.text)),
        buildkit_step: failing.iter().rev().find_map(|f| f.step),
        lines,
        class,
        confidence,
        votes,
        why: Vec::new(),
    })
}

crate::static_regex!(
    step,
    r#"(?:ERROR \[(?P<stage>[^\]]+)\] (?P<instr>.+)|process "(?P<process>.+)" did not complete successfully|The command '(?P<cmd>.+)' returned a non-zero code|^Step \d+/\d+ : (?P<legacy>.+))"#
);

crate::static_regex!(
    exit,
    r"(?i)(?:exit(?:ed with)? (?:code|status):? ?|non-zero code: |bad exit status from .* \()(\d+)"
);

/// The step a failure line names: `[stage 3/7] RUN make`, a BuildKit process, a legacy command.
fn step_of(text: &str) -> Option<String> {
    let c = step().captures(text)?;
    let s = match (c.name("stage"), c.name("instr")) {
        (Some(stage), Some(instr)) => format!("[{}] {}", stage.as_str(), instr.as_str()),
        _ => ["process", "cmd", "legacy"].iter().find_map(|n| c.name(n))?.as_str().to_string(),
    };
    Some(s)
}

fn exit_of(text: &str) -> Option<String> {
    exit().captures(text).map(|c| c[1].to_string())
}

/// The CI step (`##[group]` / GitLab section) the failure is in.
fn last_group(scanned: &Scanned, line: u64) -> Option<String> {
    scanned.groups.iter().rev().find(|(l, _)| *l <= line).map(|(_, name)| name.clone())
}
