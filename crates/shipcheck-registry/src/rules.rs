//! The rules the registry code reports. Each doc comment is the rule's user documentation
//! (`shipcheck explain ID`, docs/rules.md).

use shipcheck_report::{declare_rule, Rule};

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
    pub FETCH_FAILED = ("registry/fetch-failed", Error, "a manifest or blob of the image cannot be read from the registry");
}

pub static ALL: &[&Rule] = &[&FETCH_FAILED];
