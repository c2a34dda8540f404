//! Surface versus cause: the error a line shows is not always why the job failed. Each rule
//! here reads the log around a cause and, when the log shows a different cause, changes the
//! class reported and says why in the evidence (`why`). The signature keeps its name.

use crate::facts::Cause;
use crate::scan::Scanned;

/// Reclassifies the causes whose surface error the log explains otherwise.
pub fn explain(scanned: &Scanned, causes: &mut [Cause]) {
    for c in causes.iter_mut() {
        if c.class == "auth" {
            expired_mid_push(scanned, c);
        }
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
