//! Entry point for the cargo-fuzz `packit` target in `fuzz/` (and for the test that replays
//! its kept seeds on stable). It takes arbitrary bytes and must never panic, hang or allocate
//! without bound.

use crate::{evr, history, packit, spec_check};

/// Text as a .packit.yaml and as a spec file: YAML loading and the packit checks; spec
/// parsing, `%if` evaluation, macro expansion and release checks; release-reset history and
/// tag-list checks; EVR, NVR and rpmvercmp on its first lines.
pub fn packit(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = packit::check_text(text, ".packit.yaml");
    let release = spec_check::Release { tag: Some("v1.0"), template: "v{version}" };
    let _ = spec_check::check_text(text, "x.spec", &release, (2026, 1, 1));
    let _ = history::check_release_reset(text, &[("c1".into(), text.replace("Version", "Version: 0\n#"))], "x.spec");
    let tags: Vec<String> = text.lines().take(16).map(String::from).collect();
    let rules = history::TagRules { template: "v{version}", include: tags.first().map(String::as_str), exclude: None };
    let _ = history::check_tags(&tags, &rules, shipcheck_report::Subject::whole(".packit.yaml"));
    for line in text.lines().take(4) {
        let _ = evr::Evr::parse(line);
        let _ = evr::split_nvr(line);
        if let Some((a, b)) = line.split_once(' ') {
            let _ = evr::rpmvercmp(a, b);
        }
    }
}
