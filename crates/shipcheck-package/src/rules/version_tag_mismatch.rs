//! `package/version-tag-mismatch`.

use shipcheck_report::{declare_rule, Finding, Subject};

use crate::evr::rpmvercmp;
use crate::facts::Facts;
use crate::spec_check::version_from_tag;

declare_rule! {
    /// ## What it catches
    /// A spec's `Version` that differs from the version of the release tag (the latest git
    /// tag, or `--tag`), read through `upstream_tag_template`; or a tag that the template
    /// cannot produce at all. A placeholder `Version: 0` (`0.0`, `0.0.0`), which packit
    /// replaces with the tag's version, is not compared.
    ///
    /// ## Why it breaks releases
    /// propose-downstream builds the version the tag names; a spec that says otherwise is
    /// rejected, or ships the wrong tarball. A template that adds a `v` the version already has
    /// yields URLs like `…/vv0.1.82/…` that do not exist (404).
    ///
    /// ## Fix
    /// Bump `Version` with the release, and make `upstream_tag_template` produce the real
    /// tags (`v{version}` for tags `v1.2.3`, `{version}` for tags `1.2.3`).
    ///
    /// ## Example
    /// Tag `1.17`, `Version: 1.16`.
    pub RULE = ("package/version-tag-mismatch", Error, "the spec version is not the release tag's version");
}

pub(crate) fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(s) = &facts.spec else { return };
    let Some(v) = &s.version else { return };
    let (spec, template) = (&s.spec, s.template.as_str());
    if let Some(tag) = s.tag.as_deref() {
        // `Version: 0`: packit fills in the tag's version (propose-downstream and Copr builds).
        let placeholder = s.version_placeholder();
        match version_from_tag(tag, template) {
            Some(tv) if placeholder || rpmvercmp(&tv, v).is_eq() => {}
            Some(tv) => out.push(
                Finding::new(&RULE, s.at(spec.tag_line("version")), format!("the spec says Version {v}, the tag `{tag}` is version {tv}"))
                    .evidence("tag", tag)
                    .evidence("upstream_tag_template", template)
                    .remedy(format!("Set Version to {tv} for this release.")),
            ),
            None => out.push(
                Finding::new(&RULE, Subject::whole(&s.artifact), format!("upstream_tag_template `{template}` cannot produce the tag `{tag}`"))
                    .evidence("tag", tag)
                    .evidence("template_gives", template.replace("{version}", v))
                    .remedy("Make upstream_tag_template match the real tags (`v{version}` for `v1.2.3`, `{version}` for `1.2.3`)."),
            ),
        }
    }
    // A `v` applied twice: the template adds one and the Source URL adds another.
    let Some(src) = spec.tag("source0").or(spec.tag("source")) else { return };
    let Ok(url) = spec.expand(src) else { return };
    if url.contains(&format!("vv{v}")) {
        out.push(
            Finding::new(
                &RULE,
                s.at(spec.tag_line("source0").or(spec.tag_line("source"))),
                format!("Source URL has a doubled `v` prefix: `vv{v}`"),
            )
            .evidence("url", url)
            .remedy("Remove one `v`: either the template or the Source URL adds it, not both."),
        );
    }
}
