//! What one log says, measured before any rule runs: the signature hits grouped into causes and
//! ranked (the cause that ended the job first), and what the log says around each cause
//! (signed-URL windows, when a credential was issued, the image pushed or pulled). Rules only
//! read these facts and turn the causes of their classes into findings.

use std::collections::BTreeMap;

use jiff::Timestamp;
use shipcheck_report::{Finding, Rule, Severity, Subject};

use crate::failure::Failure;
use crate::kb::{Kb, SignatureDef};
use crate::redact::redact;
use crate::scan::{Hit, Scanned};

/// Most causes reported per log: the root cause and four others seen.
pub const MAX_CAUSES: usize = 5;

/// One log, measured.
pub struct Facts<'a> {
    pub kb: &'a Kb,
    /// The log as the report names it.
    pub artifact: &'a str,
    pub scanned: &'a Scanned,
    /// At most [`MAX_CAUSES`], root cause first.
    pub causes: Vec<Cause<'a>>,
    /// When no signature matched: the failure the log's shape shows (failure.rs).
    pub failure: Option<Failure>,
}

/// One cause: every hit of one signature, and what the log says around its last hit.
#[derive(Debug)]
pub struct Cause<'a> {
    pub signature: usize,
    pub def: &'a SignatureDef,
    /// The class reported: the signature's, unless the log around it shows the surface error
    /// has another cause (see context.rs); then `why` says what showed it.
    pub class: &'a str,
    pub why: Vec<String>,
    pub hits: Vec<&'a Hit>,
    /// The hit the finding points at.
    pub last: &'a Hit,
    pub score: i64,
    /// 0 for the root cause.
    pub rank: usize,
    /// The signed URL's or credential's validity window, when the log states it.
    pub window: Option<Window>,
    /// The last login or cache import before the failure, and the build time since.
    pub issued: Option<Issued>,
    /// The image reference pushed or pulled.
    pub reference: Option<Reference>,
}

impl Cause<'_> {
    /// A value the signature's pattern captured on the last hit.
    pub fn captured(&self, name: &str) -> Option<&str> {
        self.last.facts.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Seconds, from the timestamps the log gives.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub valid_for: Option<i64>,
    pub used_after_expiry: Option<i64>,
    pub expiry: Timestamp,
}

#[derive(Debug, Clone)]
pub struct Issued {
    /// `login` or `cache import`.
    pub what: &'static str,
    pub line: u64,
    pub timestamp: String,
    /// Seconds between the issue and the failure.
    pub build_between: i64,
}

#[derive(Debug, Clone)]
pub struct Reference {
    pub reference: String,
    pub registry: String,
    pub tag: Option<String>,
}

impl<'a> Facts<'a> {
    /// Ranks the causes of `scanned` among the signatures that `sig_on` accepts (the others are
    /// treated as absent from the knowledge base) and measures each.
    pub fn measure(
        kb: &'a Kb,
        artifact: &'a str,
        scanned: &'a Scanned,
        sig_on: &dyn Fn(&SignatureDef) -> bool,
    ) -> Self {
        let mut causes = rank(kb, scanned, sig_on);
        causes.truncate(MAX_CAUSES);
        for c in &mut causes {
            let last = c.last;
            c.window = window(c.def, last);
            let failed_at = last.timestamp.as_deref().and_then(parse_time).or(c.window.map(|w| w.expiry));
            c.issued = issued(scanned, last.line, failed_at);
            c.reference = reference_near(scanned, last);
        }
        crate::context::explain(scanned, &mut causes);
        let mut failure = if causes.is_empty() { crate::failure::find(scanned) } else { None };
        if let Some(f) = &mut failure {
            crate::context::explain_failure(scanned, f);
        }
        Facts { kb, artifact, scanned, causes, failure }
    }

    /// The causes `rule` reports, in rank order: those of its `classes`, except signatures that
    /// name another rule, and those that name it. A cause whose class the context changed
    /// goes to the rule of its new class.
    pub fn causes_of<'s>(
        &'s self,
        rule: &'static Rule,
        classes: &'s [&str],
    ) -> impl Iterator<Item = &'s Cause<'a>> + 's {
        self.causes.iter().filter(move |c| {
            let own = c.class == c.def.class;
            match c.def.rule.as_deref() {
                Some(r) if own => r == rule.id,
                _ => classes.contains(&c.class),
            }
        })
    }

    /// The finding for one cause: the root cause at the rule's severity, the others as notes;
    /// the last hits as evidence with what the signature captured, the measured facts, the
    /// rule's own `extra` facts, and the signature's remedy (else `remedy`).
    pub fn finding(&self, rule: &'static Rule, cause: &Cause, remedy: &str, extra: Extra) -> Finding {
        let sig = cause.def;
        let last = cause.last;
        let head = if cause.rank == 0 { "root cause" } else { "also seen" };
        let subject = Subject::position(self.artifact, last.line as u32, None);
        let mut f = Finding::new(rule, subject, format!("{head}: {}", sig.title))
            .evidence("signature", &sig.id)
            .evidence("class", cause.class);
        if cause.rank > 0 {
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
        for why in &cause.why {
            f = f.evidence("why", redact(why));
        }
        for (k, v) in derived(cause, &extra) {
            f = f.evidence(k, redact(&v));
        }
        // A signature's own remedy fixes its surface error; when the context changed the class,
        // the rule's remedy fixes the cause.
        let own = cause.class == sig.class;
        let remedy = sig.remedy.clone().filter(|_| own).unwrap_or_else(|| remedy.to_string());
        f.evidence("source", &sig.source).remedy(remedy)
    }

    /// Where a finding ranks: its cause's rank (findings of no cause last).
    pub fn rank_of(&self, f: &Finding) -> usize {
        let sig = f.evidence.iter().find(|(k, _)| k == "signature").map(|(_, v)| v.as_str());
        self.causes.iter().find(|c| Some(c.def.id.as_str()) == sig).map_or(usize::MAX, |c| c.rank)
    }
}

/// What a rule adds to the evidence every cause gets.
#[derive(Default)]
pub struct Extra {
    /// Show when the credential was probably issued and how long the build ran since.
    pub credential_age: bool,
    /// Facts only this rule derives, after the measured ones.
    pub facts: Vec<(String, String)>,
}

/// The measured facts a finding shows, in the order the report has always shown them.
fn derived(cause: &Cause, extra: &Extra) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(w) = cause.window {
        if let Some(s) = w.valid_for {
            out.push(("valid_for".into(), human(s)));
        }
        if let Some(s) = w.used_after_expiry {
            out.push(("used_after_expiry".into(), human(s)));
        }
    }
    if let (true, Some(i)) = (extra.credential_age, &cause.issued) {
        out.push((
            "credential_issued".into(),
            format!("probably at the {} on line {} ({})", i.what, i.line, i.timestamp),
        ));
        out.push((
            "build_between".into(),
            format!("{} between the {} and the failure", human(i.build_between), i.what),
        ));
    }
    if let Some(r) = &cause.reference {
        out.push(("reference".into(), r.reference.clone()));
        out.push(("registry".into(), r.registry.clone()));
        if let Some(t) = &r.tag {
            out.push(("tag".into(), t.clone()));
        }
    }
    out.extend(extra.facts.iter().cloned());
    out
}

/// Ranks causes: the most specific signature closest to where the job failed comes first.
///
/// - base: the signature's priority (0–100);
/// - +30 when its last hit is within 60 lines before the job's last `##[error]` line (or the
///   end of the log), +15 within 600 lines: the cause that ended the job is near the end;
/// - −40 when a retry follows its last hit within 10 lines and a later hit of another signature
///   exists: an attempt that was retried did not end the job;
/// - the generic "exit code N" signatures (priority ≤ 5) only rank when nothing else matched.
///
/// Hits of signatures that `sig_on` refuses are left out, as if not in the kb.
pub fn rank<'a>(kb: &'a Kb, scanned: &'a Scanned, sig_on: &dyn Fn(&SignatureDef) -> bool) -> Vec<Cause<'a>> {
    let mut by_sig: BTreeMap<usize, Vec<&Hit>> = BTreeMap::new();
    for h in scanned.hits.iter().filter(|h| sig_on(&kb.signatures[h.signature].def)) {
        by_sig.entry(h.signature).or_default().push(h);
    }
    let end = scanned.last_error.unwrap_or(scanned.lines.max(1));
    let last_any = by_sig.values().flatten().map(|h| h.line).max().unwrap_or(0);
    let mut causes: Vec<Cause> = by_sig
        .into_iter()
        .filter_map(|(signature, hits)| {
            let &last_hit = hits.last()?;
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
            Some(Cause {
                signature,
                def,
                class: def.class.as_str(),
                why: Vec::new(),
                hits,
                last: last_hit,
                score,
                rank: 0,
                window: None,
                issued: None,
                reference: None,
            })
        })
        .collect();
    let specific = causes.iter().any(|c| c.def.priority > 5);
    if specific {
        causes.retain(|c| c.def.priority > 5);
    }
    causes
        .sort_by(|a, b| b.score.cmp(&a.score).then(b.hits.last().map(|h| h.line).cmp(&a.hits.last().map(|h| h.line))));
    for (i, c) in causes.iter_mut().enumerate() {
        c.rank = i;
    }
    causes
}

/// At most 300 characters. Callers redact first: a cut through a secret would leave a part
/// that redaction no longer recognises.
pub fn clip(s: &str) -> String {
    if s.chars().count() > 300 {
        s.chars().take(300).collect::<String>() + "…"
    } else {
        s.to_string()
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

/// The validity window the failing line states: Azure's `Start […] - Expiry […] - Current […]`,
/// or for signed-URL signatures the URL's own `st=`/`se=` parameters.
fn window(def: &SignatureDef, last: &Hit) -> Option<Window> {
    let fact = |k: &str| last.facts.iter().find(|(n, _)| n == k).and_then(|(_, v)| parse_time(v));
    if let (Some(start), Some(exp), Some(cur)) = (fact("start"), fact("expiry"), fact("current")) {
        return Some(Window {
            valid_for: Some((exp - start).get_seconds()),
            used_after_expiry: Some((cur - exp).get_seconds()),
            expiry: exp,
        });
    }
    if !(def.id.contains("signed") || def.id.starts_with("azure")) {
        return None;
    }
    let se = se_param().captures(&last.text).and_then(|c| parse_time(&c[1]))?;
    let st = st_param().captures(&last.text).and_then(|c| parse_time(&c[1]));
    let used_at = last.timestamp.as_deref().and_then(parse_time);
    Some(Window {
        valid_for: st.map(|st| (se - st).get_seconds()),
        used_after_expiry: used_at.map(|t| (t - se).get_seconds()),
        expiry: se,
    })
}

/// Where a credential came from: the last login or cache import before line `before` that has
/// a timestamp, and the build time between it and `failed_at`.
fn issued(scanned: &Scanned, before: u64, failed_at: Option<Timestamp>) -> Option<Issued> {
    let (m, at) = scanned
        .milestones
        .iter()
        .filter(|m| m.line < before && matches!(m.kind, "cache-import" | "login"))
        .filter_map(|m| Some((m, parse_time(m.timestamp.as_deref()?)?)))
        .next_back()?;
    let fail = failed_at?;
    Some(Issued {
        what: if m.kind == "login" { "login" } else { "cache import" },
        line: m.line,
        timestamp: m.timestamp.clone().unwrap_or_default(),
        build_between: (fail - at).get_seconds(),
    })
}

/// The image pushed or pulled: on the failing line, or the nearest line before it (within 50
/// lines) that names one.
fn reference_near(scanned: &Scanned, last: &Hit) -> Option<Reference> {
    let nearby = scanned
        .milestones
        .iter()
        .rev()
        .filter(|m| m.kind == "reference" && m.line <= last.line && m.line + 50 >= last.line);
    let lines = std::iter::once(last.text.as_str()).chain(nearby.map(|m| m.text.as_str()));
    let c = lines.filter_map(|l| reference().captures(l)).next()?;
    Some(Reference {
        reference: c["ref"].to_string(),
        registry: c["registry"].to_string(),
        tag: c.name("tag").map(|t| t.as_str().to_string()),
    })
}

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
