//! `registry/fetch-failed`.

use shipcheck_report::{declare_rule, Finding, Subject};

use crate::facts::Facts;

declare_rule! {
    /// ## What it catches
    /// `shipcheck image docker://…` could not read a manifest or blob that the image names:
    /// the registry answered with an error other than "not found" (403 DENIED, a 5xx after
    /// retries, a broken transfer), or served bytes that do not match the digest.
    ///
    /// ## Why it breaks releases
    /// Every pull of the image needs every blob of its platform. A blob the registry cannot
    /// serve — a broken storage backend, a repository whose permissions differ from the
    /// manifest's, a proxy that corrupts responses — fails the pull after the release is out.
    ///
    /// ## Fix
    /// Check access to the repository (the credentials a puller uses), then push the image
    /// again: `shipcheck push` skips what the registry has and uploads only the rest.
    ///
    /// ## Example
    /// `blobs/sha256:4f2a…: DENIED (HTTP 403): requested access to the resource is denied`.
    pub RULE = ("registry/fetch-failed", Error, "a manifest or blob of the image cannot be read from the registry");
}

/// One finding a document or blob the registry would not serve.
pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for (digest, e) in facts.unreadable {
        out.push(
            Finding::new(&RULE, Subject::descriptor(facts.display, digest), format!("cannot be read from the registry: {}", e.message))
                .evidence("url", &e.url)
                .evidence("code", e.code.as_deref().unwrap_or("-"))
                .remedy("Check access to the repository and re-push the image; a blob the registry cannot serve breaks every pull."),
        );
    }
}
