//! Surface versus cause: the error a line shows is not always why the job failed. Each rule
//! here reads the log around a cause and, when the log shows a different cause, changes the
//! class reported and says why in the evidence (`why`). The signature keeps its name.

use crate::facts::{human, Cause};
use crate::failure::Failure;
use crate::scan::Scanned;

/// Reclassifies the causes whose surface error the log explains otherwise, and puts a network
/// failure first when the step it broke is the root cause.
pub fn explain(scanned: &Scanned, causes: &mut [Cause]) {
    for c in causes.iter_mut() {
        if c.class == "auth" {
            expired_mid_push(scanned, c);
        }
        if c.class == "auth" {
            stale_login(c);
        }
        if matches!(c.class, "auth" | "registry-protocol" | "network") {
            if let Some(why) = only_local(scanned, c.last.line, &c.last.text) {
                c.class = "image-store";
                c.why.push(why);
            }
        }
        if c.class == "build-step" {
            if let Some(why) = foreign_without_emulation(scanned, c.last.line, c.last.step, &c.last.text) {
                c.class = "platform-emulation";
                c.why.push(why);
            }
        }
    }
    network_inside_step(causes);
}

/// The same for the structural fallback's failure: a RUN step failing on a foreign platform
/// with no emulation set up, a refusal for an image that is only local.
pub fn explain_failure(scanned: &Scanned, f: &mut Failure) {
    let text = f.lines.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(" ");
    let (class, why) = match f.class {
        "build-step" => ("platform-emulation", foreign_without_emulation(scanned, f.line, f.buildkit_step, &text)),
        "auth" | "registry-protocol" | "network" => ("image-store", only_local(scanned, f.line + 1, &text)),
        _ => return,
    };
    if let Some(why) = why {
        f.class = class;
        f.why.push(why);
    }
}

/// Credentials that live about an hour (cloud access tokens, STS sessions, GitHub App tokens):
/// a refusal this long after the login that issued the credential is an expiry.
const TOKEN_LIFETIME: i64 = 3600;

/// A 401 at least an hour (by the log's timestamps) after the login that issued the credential.
fn stale_login(c: &mut Cause) {
    let Some(issued) = c.issued.as_ref().filter(|i| i.what == "login") else { return };
    if issued.build_between < TOKEN_LIFETIME
        || !unauthenticated().is_match(&c.last.text)
        || not_permitted().is_match(&c.last.text)
    {
        return;
    }
    c.class = "credential-expiry";
    c.why.push(format!(
        "the refusal came {} after the login on line {} that issued the credential; tokens of that kind live about an hour",
        human(issued.build_between),
        issued.line
    ));
}

crate::static_regex!(
    pull_refused,
    r"(?i)(?:pull access denied for |manifest for |unable to find image '?|repository |image )(?P<name>[\w][\w./-]*(?::[\w.-]+)?)[' ,:]?.*?(?:denied|does not exist|not found|unknown|locally)"
);

crate::static_regex!(
    local_name,
    r"(?i)(?:successfully tagged|naming to|loaded image(?:\(s\))?:)\s+(?P<name>[\w][\w./:@-]*)"
);

crate::static_regex!(search, r"(?i)trying to pull (?P<registry>[\w.-]+(?::\d+)?)/(?P<name>[\w./-]+)");

/// The repository's last path component, without tag or digest: `app` for
/// `docker.io/library/app:1.2`, `localhost/app`, `ghcr.io/acme/app@sha256:…`.
fn base_name(name: &str) -> &str {
    let name = name.split('@').next().unwrap_or(name);
    let last = name.rsplit('/').next().unwrap_or(name);
    last.split(':').next().unwrap_or(last)
}

/// A registry refusal or "not found" for an image that the same log put into the local store
/// under that name (built, tagged or loaded), or that podman searched for as a short name in
/// several registries: the image is local, the command looked for it in a registry.
fn only_local(scanned: &Scanned, line: u64, text: &str) -> Option<String> {
    let before = || scanned.milestones.iter().filter(|m| m.line < line);
    if let Some(refused) = pull_refused().captures(text) {
        let wanted = base_name(&refused["name"]);
        let local = before().filter(|m| m.kind == "local-image").find_map(|m| {
            let name = local_name().captures(&m.text)?.name("name")?.as_str();
            base_name(name).eq_ignore_ascii_case(wanted).then(|| (m.line, name.to_string()))
        });
        if let Some((at, name)) = local {
            return Some(format!(
                "line {at} put `{name}` into the local store; the failing command looked for `{wanted}` in a registry"
            ));
        }
    }
    let searched: Vec<(String, String)> = before()
        .filter(|m| m.kind == "registry-search")
        .filter_map(|m| search().captures(&m.text))
        .map(|s| (base_name(&s["name"]).to_ascii_lowercase(), s["registry"].to_string()))
        .collect();
    let lower = text.to_ascii_lowercase();
    let (name, _) = searched.iter().find(|(name, _)| lower.contains(name.as_str()))?;
    let mut registries: Vec<&str> = searched.iter().filter(|(n, _)| n == name).map(|(_, r)| r.as_str()).collect();
    registries.dedup();
    (registries.len() >= 2).then(|| {
        format!(
            "the short name `{name}` was searched for in {} registries ({}): it was expected in the local store",
            registries.len(),
            registries.join(", ")
        )
    })
}

crate::static_regex!(foreign, r"\blinux/(?:arm64|aarch64|arm/v[5-8]|arm|s390x|ppc64le|riscv64|386|mips64le)\b");

/// A build step that failed for a platform other than the runner's (CI runners are amd64
/// unless the log says otherwise) with nothing in the log setting up emulation (QEMU, binfmt)
/// before it: without emulation, every RUN of a foreign image fails.
fn foreign_without_emulation(scanned: &Scanned, line: u64, step: Option<u32>, text: &str) -> Option<String> {
    let before = || scanned.milestones.iter().filter(|m| m.line <= line);
    if before().any(|m| m.kind == "qemu") {
        return None;
    }
    let named = |l: u64, t: &str| Some((l, foreign().find(t)?.as_str().to_string()));
    // The failing line, the header of its BuildKit step (`#7 [linux/arm64 2/4] RUN …`), or a
    // `--platform` / host-platform warning before it.
    let platform = named(line, text)
        .or_else(|| {
            let step = step?;
            scanned.tail.iter().filter(|t| t.step == Some(step) && t.line <= line).find_map(|t| named(t.line, &t.text))
        })
        .or_else(|| before().filter(|m| m.kind == "platform").find_map(|m| named(m.line, &m.text)))?;
    Some(format!(
        "the step ran for {} (line {}) and nothing before it set up emulation (no QEMU or binfmt step)",
        platform.1, platform.0
    ))
}

/// Lines between a network failure and the step failure it caused, when the log gives no
/// BuildKit step numbers to tie them.
const SAME_STEP_LINES: u64 = 50;

/// A build step or package installation that failed after a network failure inside it (apt,
/// npm or pip could not reach their mirrors): the network failure is the root cause.
fn network_inside_step(causes: &mut [Cause]) {
    let Some(root) = causes.first() else { return };
    if !matches!(root.class, "build-step" | "packaging") {
        return;
    }
    let (at, step) = (root.last.line, root.last.step);
    let Some(i) = causes.iter().position(|c| {
        c.class == "network"
            && c.last.line <= at
            && match (step, c.last.step) {
                (Some(a), Some(b)) => a == b,
                _ => at - c.last.line <= SAME_STEP_LINES,
            }
    }) else {
        return;
    };
    let line = causes[i].last.line;
    causes[i].why.push(format!("the failing step (line {at}) failed after this network error (line {line}) inside it"));
    causes[..=i].rotate_right(1);
    for (rank, c) in causes.iter_mut().enumerate() {
        c.rank = rank;
    }
}

crate::static_regex!(unauthenticated, r"(?i)unauthori[sz]ed|authentication required|\b401\b");

crate::static_regex!(not_permitted, r"(?i)denied|forbidden|\b403\b|insufficient|permission|scope");

/// A 401 (not a 403) in the middle of a push that had been going on with the same credential:
/// a layer was uploaded (which needs push access) or gigabytes were being uploaded (longer
/// than many registry tokens live) before the refusal. A credential that was wrong from the
/// start is refused before any layer is uploaded; `Layer already exists` alone proves only
/// read access, so it does not count.
fn expired_mid_push(scanned: &Scanned, c: &mut Cause) {
    let text = &c.last.text;
    if !unauthenticated().is_match(text) || not_permitted().is_match(text) {
        return;
    }
    let at = c.last.line;
    let start = scanned.milestones.iter().rev().find(|m| m.kind == "push-start" && m.line < at).map(|m| m.line);
    let under_way = |m: &&crate::scan::Milestone| m.line < at && start.is_none_or(|s| m.line > s);
    let done = scanned.milestones.iter().filter(under_way).find(|m| m.kind == "push-done");
    let large = scanned.milestones.iter().filter(under_way).find(|m| m.kind == "push-large");
    let (shown, what) = match (done, large) {
        (Some(m), _) => (m, "a layer of this push was uploaded before the refusal"),
        (None, Some(m)) => (m, "gigabytes were being uploaded before the refusal"),
        (None, None) => return,
    };
    c.class = "credential-expiry";
    c.why.push(format!(
        "{what} (line {}: `{}`): the credential was accepted when the push began and expired during it",
        shown.line,
        shown.text.chars().take(80).collect::<String>()
    ));
}
