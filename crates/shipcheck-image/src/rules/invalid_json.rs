//! `image/invalid-json`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Facts, JsonProblem, Malformed, Step};
use crate::limits;

declare_rule! {
    /// ## What it catches
    /// An index, manifest, config, manifest.json, repositories or oci-layout document that is
    /// not valid JSON, has a field of the wrong type, or is larger than the JSON size cap
    /// (8 MiB, see docs/ARCHITECTURE.md).
    ///
    /// ## Why it breaks releases
    /// Every engine stops at the first unreadable document.
    ///
    /// ## Fix
    /// Re-export the image. If a tool you own wrote it, validate its output against the OCI
    /// image-spec schemas.
    ///
    /// ## Example
    /// `manifest.json: expected value at line 1 column 1`.
    pub RULE = ("image/invalid-json", Error, "an image document is not valid JSON of the expected shape");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for (at, step) in facts.steps() {
        let Step::Malformed { subject, problem } = step else { continue };
        let mut f = Finding::new(&RULE, subject.clone(), "");
        f.message = match problem {
            Malformed::DescriptorDigest { what, error } => format!("{what} descriptor has an invalid digest: {error}"),
            Malformed::Json { what, path, size, problem } => match problem {
                JsonProblem::OverBudget => format!(
                    "{what} `{path}` was not kept: the source's JSON documents pass {} bytes together",
                    limits::MAX_JSON_TOTAL_BYTES
                ),
                JsonProblem::TooLarge => {
                    format!("{what} is {size} bytes, over the {} byte JSON cap", limits::MAX_JSON_BYTES)
                }
                // Reported as an unreadable member or a truncated archive.
                JsonProblem::NotJson { read_failed: true } => continue,
                JsonProblem::NotJson { read_failed: false } => format!("{what} `{path}` is not JSON"),
                JsonProblem::Invalid(e) => {
                    f.remedy = "Re-export the image; validate writers against the OCI image-spec schemas.".into();
                    format!("{what} `{path}` is not valid: {e}")
                }
            },
            Malformed::NoConfig => "manifest has no config descriptor".into(),
            Malformed::TooDeep => format!("index nesting deeper than {}; not followed", limits::MAX_INDEX_DEPTH),
            Malformed::IndexFields => "index has fields of the wrong type".into(),
            Malformed::Manifest(e) => format!("manifest is not valid: {e}"),
            Malformed::DirManifest(e) => format!("manifest.json is not a valid image manifest: {e}"),
            Malformed::NotAList => "manifest.json is not a list of images".into(),
            Malformed::Entry { index, error } => format!("manifest.json[{index}] is not valid: {error}"),
            Malformed::EntryNoConfig(i) => format!("manifest.json[{i}] has no Config"),
        };
        facts.emit(out, at, f);
    }
}
