//! `image/platform-mismatch`.

use shipcheck_report::{declare_rule, Finding};

use crate::facts::{platform_agrees, Facts, Step};

declare_rule! {
    /// ## What it catches
    /// An index entry whose `platform` differs from the `os`/`architecture`/`variant` in the
    /// config of the image it points to.
    ///
    /// ## Why it breaks releases
    /// Engines choose the image by the index platform and then run what the config says: users
    /// on that platform pull an image for another CPU (`exec format error`).
    ///
    /// ## Fix
    /// Rebuild the multi-platform image; make sure each platform's build really ran for it.
    ///
    /// ## Example
    /// Index says `linux/arm64`, the config says `linux/amd64`.
    pub RULE = ("image/platform-mismatch", Error, "index platform differs from the image config");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    for (at, step) in facts.steps() {
        let Step::Platforms { subject, index, config, attestation: false } = step else { continue };
        if platform_agrees(index, config) {
            continue;
        }
        let f = Finding::new(&RULE, subject.clone(), format!("index says {index}, the image config says {config}"))
            .evidence("index_platform", index)
            .evidence("config_platform", config)
            .remedy("Rebuild the multi-platform image so each platform's build runs for that platform.");
        facts.emit(out, at, f);
    }
}
