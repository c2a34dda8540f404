//! `image/missing-oci-layout`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{Facts, LayoutFile, Step};

declare_rule! {
    /// ## What it catches
    /// An OCI layout (directory or archive) with index.json but no valid `oci-layout` file
    /// (`{"imageLayoutVersion": "1.0.0"}`).
    ///
    /// ## Why it breaks releases
    /// containers/image (skopeo, Podman, Buildah) refuses the layout: `open …/oci-layout: no
    /// such file or directory`.
    ///
    /// ## Fix
    /// Add the file, or re-export with a tool that writes it.
    ///
    /// ## Example
    /// A BuildKit export repacked without `oci-layout`.
    pub RULE = ("image/missing-oci-layout", Error, "an OCI layout lacks a valid oci-layout file");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    const REMEDY: &str =
        "Add an oci-layout file containing {\"imageLayoutVersion\": \"1.0.0\"}, or re-export with skopeo.";
    for (at, step) in facts.steps() {
        let message = match step {
            Step::OciLayout(LayoutFile::Absent) => "index.json is present but oci-layout is not".to_string(),
            Step::OciLayout(LayoutFile::Version(Some(v))) if v.starts_with("1.") => continue,
            Step::OciLayout(LayoutFile::Version(v)) => {
                format!("oci-layout has imageLayoutVersion {v:?}, expected \"1.0.0\"")
            }
            _ => continue,
        };
        facts.emit(out, at, Finding::new(&RULE, facts.entry_subject("oci-layout"), message).remedy(REMEDY));
    }
}
