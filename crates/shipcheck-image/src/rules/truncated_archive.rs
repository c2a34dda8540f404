//! `image/truncated-archive`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Facts, Step};
use crate::scan::GO_INVALID_HEADER;
use crate::tree::TreeProblem;

declare_rule! {
    /// ## What it catches
    /// An archive that ends inside a member, or whose tar structure breaks part-way.
    ///
    /// ## Why it breaks releases
    /// `docker load` fails with `unexpected EOF`; partial uploads and interrupted downloads
    /// are the usual cause.
    ///
    /// ## Fix
    /// Copy or download the archive again and compare its checksum with the source.
    ///
    /// ## Example
    /// `entry declares 2048 bytes at offset 3584, but the file ends at 4000`.
    pub RULE = ("image/truncated-archive", Error, "the archive is truncated or its tar structure is broken");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for (at, step) in facts.steps() {
        let Step::ArchiveProblem(problem) = step else { continue };
        let (path, message) = match problem {
            TreeProblem::Truncated { path, detail } => (path, format!("archive is truncated or corrupt: {detail}")),
            TreeProblem::Unreadable { path, detail } => (path, format!("member cannot be read: {detail}")),
            TreeProblem::BadHeader { path, detail } => (path, format!("tar header that engines refuse: {detail}")),
            TreeProblem::UnsafeName { .. } | TreeProblem::TooManyEntries => continue,
        };
        let mut f = Finding::new(&RULE, facts.entry_subject(path), message)
            .remedy("Copy or download the archive again and compare its checksum with the source.");
        if let TreeProblem::BadHeader { .. } = problem {
            f.evidence.push((crate::engine::ENGINE_ERROR.into(), GO_INVALID_HEADER.into()));
            f.remedy = "Re-create the archive with a tar writer that writes valid PAX records (docker save, skopeo copy, GNU tar).".into();
        }
        facts.emit(out, at, f);
    }
}

/// The finding for an archive too damaged to read as an image at all
/// ([`crate::verify::VerifyError::broken`]): `detail` says what was found.
pub fn broken_archive(artifact: &str, b: &crate::verify::BrokenArchive) -> Finding {
    use crate::verify::Broken;
    let what = match b.how {
        Broken::InvalidHeader => "is not a valid tar archive",
        Broken::EndsEarly => "ends before index.json or manifest.json",
        Broken::Empty => "holds nothing",
    };
    Finding::new(&RULE, shipcheck_report::Subject::whole(artifact), format!("the archive {what}: {}", b.detail))
        .remedy("Copy or download the archive again and compare its checksum with the source.")
}
