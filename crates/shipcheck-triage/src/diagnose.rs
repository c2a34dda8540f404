//! From hits to causes: group by signature, rank the cause that ended the job first, and turn
//! what the log says into facts (signed-URL windows, when credentials were issued, references).

use std::collections::BTreeMap;

use jiff::Timestamp;
use shipcheck_report::{Finding, Severity, Subject};

use crate::kb::Kb;
use crate::redact::redact;
use crate::rules;
use crate::scan::{Hit, Scanned};

/// One cause: every hit of one signature.
#[derive(Debug)]
pub struct Cause<'a> {
    pub signature: usize,
    pub hits: Vec<&'a Hit>,
    pub score: i64,
}

/// Ranks causes: the most specific signature closest to where the job failed comes first.
///
/// - base: the signature's priority (0–100);
/// - +30 when its last hit is within 60 lines before the job's last `##[error]` line (or the
///   end of the log), +15 within 600 lines: the cause that ended the job is near the end;
/// - −40 when a retry follows its last hit within 10 lines and a later hit of another signature
///   exists: an attempt that was retried did not end the job;
/// - the generic "exit code N" signatures (priority ≤ 5) only rank when nothing else matched.
pub fn rank<'a>(kb: &Kb, scanned: &'a Scanned) -> Vec<Cause<'a>> {
    let mut by_sig: BTreeMap<usize, Vec<&Hit>> = BTreeMap::new();
    for h in &scanned.hits {
        by_sig.entry(h.signature).or_default().push(h);
    }
    let end = scanned.last_error.unwrap_or(scanned.lines.max(1));
    let last_any = scanned.hits.iter().map(|h| h.line).max().unwrap_or(0);
    let mut causes: Vec<Cause> = by_sig
        .into_iter()
        .map(|(signature, hits)| {
            let def = &kb.signatures[signature].def;
            let last = hits.iter().map(|h| h.line).max().unwrap_or(0);
            let mut score = i64::from(def.priority);
            let distance = end.saturating_sub(last);
            if last <= end + 5 && distance <= 60 {
                score += 30;
            } else if last <= end + 5 && distance <= 600 {
                score += 15;
            }
            let retried = scanned.retries.iter().any(|&r| r >= last && r <= last + 10);
            if retried && last < last_any {
                score -= 40;
            }
            Cause { signature, hits, score }
        })
        .collect();
    let specific = causes.iter().any(|c| kb.signatures[c.signature].def.priority > 5);
    if specific {
        causes.retain(|c| kb.signatures[c.signature].def.priority > 5);
    }
    causes
        .sort_by(|a, b| b.score.cmp(&a.score).then(b.hits.last().map(|h| h.line).cmp(&a.hits.last().map(|h| h.line))));
    causes
}

/// Findings for one log, root cause first.
pub fn findings(kb: &Kb, artifact: &str, scanned: &Scanned) -> Vec<Finding> {
    let causes = rank(kb, scanned);
    let mut out = Vec::new();
    for (rank, cause) in causes.iter().enumerate().take(5) {
        let sig = &kb.signatures[cause.signature].def;
        let rule = rules::for_class(&sig.class);
        let last = cause.hits.last().expect("a cause has hits");
        let head = if rank == 0 { "root cause" } else { "also seen" };
        let mut f =
            Finding::new(rule, Subject::position(artifact, last.line as u32, None), format!("{head}: {}", sig.title))
                .evidence("signature", &sig.id)
                .evidence("class", &sig.class);
        if rank > 0 {
            f = f.severity(Severity::Note);
        }
        for h in cause.hits.iter().rev().take(3).rev() {
            let ts = h.timestamp.as_deref().map(|t| format!(" [{t}]")).unwrap_or_default();
            f = f.evidence(format!("line {}{ts}", h.line), clip(&redact(&h.text)));
        }
        if cause.hits.len() > 3 {
            f = f.evidence("occurrences", cause.hits.len());
        }
        let mut seen = Vec::new();
        for (k, v) in cause.hits.iter().flat_map(|h| h.facts.iter()) {
            if !seen.contains(k) {
                seen.push(k.clone());
                f = f.evidence(k, clip(&redact(v)));
            }
        }
        for (k, v) in derived_facts(sig.id.as_str(), &sig.class, last, scanned) {
            f = f.evidence(k, redact(&v));
        }
        let remedy = sig.remedy.clone().unwrap_or_else(|| default_remedy(&sig.class).to_string());
        f = f.evidence("source", &sig.source).remedy(remedy);
        out.push(f);
    }
    out
}

/// At most 300 characters. Callers redact first: a cut through a secret would leave a part
/// that redaction no longer recognises.
fn clip(s: &str) -> String {
    if s.chars().count() > 300 {
        s.chars().take(300).collect::<String>() + "…"
    } else {
        s.to_string()
    }
}

fn default_remedy(class: &str) -> &'static str {
    match class {
        "signed-url-expired" => "Re-acquire the credential right before it is used: split build and push, or add ignore-error=true to cache-to.",
        "credential-expiry" => "Log in right before the step that failed, or lengthen the credential's lifetime.",
        "auth" => "Log in before this step and give the token access to this repository.",
        "rate-limit" => "Authenticate, use a mirror or cache, and retry with back-off.",
        "network" => "Re-run; if it repeats, check the runner's network, DNS and proxy.",
        "platform" => "Build every release platform in pull requests, set up QEMU, and use base images that provide each platform.",
        "runtime-cli" => "Upgrade the OCI runtime or point the caller at runc (check with `shipcheck runtime --for buildkit`).",
        "image-format" => "Check the image with `shipcheck image` and load or export it in a form the engine reads.",
        "registry-protocol" => "Verify the image with `shipcheck image`, then push again.",
        "cache" => "Add ignore-error=true to cache-to so cache failures do not fail the build.",
        "resources" => "Free disk space, lower parallelism, raise timeout-minutes, or use a larger runner.",
        "packaging" => "Fix the packaging metadata named in the evidence; `shipcheck package` checks it before release.",
        _ => "Read the evidence lines; run the failing command locally in the same image.",
    }
}

crate::static_regex!(
    reference,
    r"(?i)\b(?:push(?:ing)?|pull(?:ing)?|failed to push|failed to pull)\s+(?P<ref>(?P<registry>[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?)/(?P<repo>[a-z0-9._/-]+?)(?::(?P<tag>[\w.-]+))?)(?:[:\s,]|$)"
);

crate::static_regex!(se_param, r"[?&]se=(\d{4}-\d{2}-\d{2}T\d{2}(?:%3A|:)\d{2}(?:%3A|:)\d{2}Z)");

crate::static_regex!(st_param, r"[?&]st=(\d{4}-\d{2}-\d{2}T\d{2}(?:%3A|:)\d{2}(?:%3A|:)\d{2}Z)");

/// Parses `Wed, 26 Mar 2025 22:26:21 GMT` and ISO 8601 (`%3A` for `:` too).
pub fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.trim().replace("%3A", ":").replace("%3a", ":");
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    jiff::fmt::rfc2822::parse(&s).ok().map(|z| z.timestamp())
}

/// `10 min`, `4 min 5 s`, `45 s`.
pub fn human(seconds: i64) -> String {
    let (sign, s) = if seconds < 0 { ("-", -seconds) } else { ("", seconds) };
    match (s / 60, s % 60) {
        (0, sec) => format!("{sign}{sec} s"),
        (m, 0) => format!("{sign}{m} min"),
        (m, sec) if m >= 10 => format!("{sign}{} min", m + if sec >= 30 { 1 } else { 0 }),
        (m, sec) => format!("{sign}{m} min {sec} s"),
    }
}

/// Facts computed from the whole log for a cause: validity windows, how long after expiry,
/// when the credential was probably issued and how long the build ran in between; the image
/// reference pushed or pulled.
fn derived_facts(id: &str, class: &str, last: &Hit, scanned: &Scanned) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let fact = |k: &str| last.facts.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let used_at = last.timestamp.as_deref().and_then(parse_time);
    let mut expiry = None;
    if let (Some(start), Some(exp), Some(cur)) = (
        fact("start").and_then(|s| parse_time(&s)),
        fact("expiry").and_then(|s| parse_time(&s)),
        fact("current").and_then(|s| parse_time(&s)),
    ) {
        out.push(("valid_for".into(), human((exp - start).get_seconds())));
        out.push(("used_after_expiry".into(), human((cur - exp).get_seconds())));
        expiry = Some(exp);
    } else if id.contains("signed") || id.starts_with("azure") {
        // Window from the URL's own se=/st= parameters, anywhere in the failing line.
        if let Some(se) = se_param().captures(&last.text).and_then(|c| parse_time(&c[1])) {
            if let Some(st) = st_param().captures(&last.text).and_then(|c| parse_time(&c[1])) {
                out.push(("valid_for".into(), human((se - st).get_seconds())));
            }
            if let Some(t) = used_at {
                out.push(("used_after_expiry".into(), human((t - se).get_seconds())));
            }
            expiry = Some(se);
        }
    }
    // Where the credential came from: the milestone that issued it, and the build in between.
    let failure_time = used_at.or(expiry);
    let credential = matches!(class, "signed-url-expired" | "credential-expiry" | "auth");
    let issuer = scanned
        .milestones
        .iter()
        .filter(|m| m.line < last.line && matches!(m.kind, "cache-import" | "login"))
        .filter_map(|m| Some((m, parse_time(m.timestamp.as_deref()?)?)))
        .next_back();
    if let (true, Some((m, at)), Some(fail)) = (credential, issuer, failure_time) {
        let what = if m.kind == "login" { "login" } else { "cache import" };
        out.push((
            "credential_issued".into(),
            format!("probably at the {what} on line {} ({})", m.line, m.timestamp.clone().unwrap_or_default()),
        ));
        out.push((
            "build_between".into(),
            format!("{} between the {what} and the failure", human((fail - at).get_seconds())),
        ));
    }
    // The image pushed or pulled: on the failing line, or the nearest line before it (within
    // 50 lines) that names one.
    let nearby = scanned
        .milestones
        .iter()
        .rev()
        .filter(|m| m.kind == "reference" && m.line <= last.line && m.line + 50 >= last.line);
    let lines = std::iter::once(last.text.as_str()).chain(nearby.map(|m| m.text.as_str()));
    if let Some(c) = lines.filter_map(|l| reference().captures(l)).next() {
        out.push(("reference".into(), c["ref"].to_string()));
        out.push(("registry".into(), c["registry"].to_string()));
        if let Some(t) = c.name("tag") {
            out.push(("tag".into(), t.as_str().to_string()));
        }
    }
    // The platform a missing-platform error was for: BuildKit names it on the step that loaded
    // the base image's metadata (`[linux/riscv64 internal] load metadata for …`).
    if class == "platform" && !last.facts.iter().any(|(k, _)| k == "platform") {
        let image = fact("image").map(|i| i.trim_start_matches("docker.io/library/").to_string());
        let platform = scanned
            .milestones
            .iter()
            .rev()
            .filter(|m| m.kind == "metadata" && m.line <= last.line)
            .filter(|m| image.as_ref().is_none_or(|i| m.text.contains(i.as_str())))
            .find_map(|m| step_platform().captures(&m.text).map(|c| c[1].to_string()));
        if let Some(p) = platform {
            out.push(("platform".into(), p));
        }
    }
    out
}

crate::static_regex!(step_platform, r"\[((?:linux|windows|darwin|freebsd)/[a-z0-9_]+(?:/v\d+)?)[\s\]]");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_durations() {
        let a = parse_time("Wed, 26 Mar 2025 22:26:21 GMT").unwrap();
        let b = parse_time("Wed, 26 Mar 2025 22:36:26 GMT").unwrap();
        assert_eq!(human((b - a).get_seconds()), "10 min");
        assert_eq!(human(239), "3 min 59 s");
        assert!(parse_time("2022-10-30T15%3A44%3A48Z").is_some());
        assert!(parse_time("2025-03-26T22:40:25.1234567Z").is_some());
        assert!(parse_time("yesterday").is_none());
    }
}
