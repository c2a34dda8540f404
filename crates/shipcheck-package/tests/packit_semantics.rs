//! packit as packit reads it: one minimal repository per behaviour in
//! tests/fixtures/packit_semantics/ (docs/packaging.md says where each fact comes from).

use std::path::{Path, PathBuf};

use shipcheck_package::check::{check, Options, Outcome};

const TODAY: (i32, u32, u32) = (2026, 11, 23);

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/packit_semantics").join(name)
}

fn run(dir: &Path, tag: Option<&str>) -> Outcome {
    let options = Options { tag: tag.map(String::from), today: TODAY, ..Options::default() };
    check(dir, &options).unwrap()
}

fn rules(o: &Outcome) -> Vec<&'static str> {
    o.findings.iter().map(|f| f.rule.id).collect()
}

fn fact<'a>(o: &'a Outcome, key: &str) -> Option<&'a str> {
    o.checked.iter().flat_map(|c| c.facts.iter()).find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// A copy of a fixture in a temporary directory, with `file` replaced by `text`.
fn variant(name: &str, file: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy(&fixture(name), dir.path());
    std::fs::write(dir.path().join(file), text).unwrap();
    dir
}

fn copy(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy(&p, &dest);
        } else {
            std::fs::copy(&p, dest).unwrap();
        }
    }
}

#[test]
fn copr_chroots_eln_and_names_packit_maps_to_branches_are_targets() {
    let o = run(&fixture("copr_targets"), None);
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    // Only the architecture typo is unknown.
    assert_eq!(rules(&o), vec!["package/unknown-target"], "{:#?}", o.findings);
    assert!(o.findings[0].message.contains("centos-stream-9-pcc64le"));
}

#[test]
fn version_zero_is_a_placeholder_packit_fills_from_the_tag() {
    let o = run(&fixture("version_placeholder"), Some("v1.2.3"));
    assert!(o.findings.is_empty(), "{:#?}", o.findings);
    assert!(fact(&o, "version").is_some_and(|v| v.contains("placeholder")));
    // A real version that is not the tag's is still reported, and so is a template that
    // cannot produce the tag.
    let spec = std::fs::read_to_string(fixture("version_placeholder/app.spec")).unwrap();
    let real = variant("version_placeholder", "app.spec", &spec.replace("Version: 0", "Version: 1.2.2"));
    assert_eq!(rules(&run(real.path(), Some("v1.2.3"))), vec!["package/version-tag-mismatch"]);
    assert_eq!(rules(&run(&fixture("version_placeholder"), Some("1.2.3"))), vec!["package/version-tag-mismatch"]);
}

#[test]
fn autochangelog_inside_an_if_is_neither_a_stale_entry_nor_a_macro() {
    let o = run(&fixture("autochangelog_in_if"), Some("1.2"));
    assert!(o.findings.is_empty(), "{:#?}", o.findings);
    // A macro in the text of an entry is still one.
    let spec = std::fs::read_to_string(fixture("autochangelog_in_if/app.spec")).unwrap();
    let bad = variant("autochangelog_in_if", "app.spec", &spec.replace("- Placeholder", "- Update to %{version}"));
    assert_eq!(rules(&run(bad.path(), Some("1.2"))), vec!["package/changelog"]);
}

#[test]
fn a_spec_an_action_creates_is_a_note_not_an_error() {
    let o = run(&fixture("spec_from_action"), None);
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    assert!(o.findings.is_empty(), "{:#?}", o.findings);
    let note = fact(&o, "spec").expect("a note saying what was not checked");
    assert!(note.contains("not checked") && note.contains("post-upstream-clone (top level)"), "{note}");
    // Without an action that makes it, a missing spec is still an input error.
    let none = variant("spec_from_action", ".packit.yaml", "specfile_path: app.spec\n");
    assert_eq!(run(none.path(), None).errors.len(), 1);
}

#[test]
fn monorepo_packages_and_anchors_are_read_as_packit_loads_them() {
    let o = run(&fixture("monorepo_anchors"), Some("v9.9"));
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    assert!(o.findings.is_empty(), "{:#?}", o.findings);
    // The spec is the first package's, checked against its tag template.
    assert!(o.checked.iter().any(|c| c.input.ends_with("rpm/app.spec")));
    // An anchored list with an unknown name is reported where the anchor is written.
    let yaml = std::fs::read_to_string(fixture("monorepo_anchors/.packit.yaml")).unwrap();
    let typo = variant("monorepo_anchors", ".packit.yaml", &yaml.replace("fedora-eln-aarch64", "fedora-eln-arm64"));
    let o = run(typo.path(), Some("v9.9"));
    assert_eq!(rules(&o), vec!["package/unknown-target"], "{:#?}", o.findings);
}

#[test]
fn the_upstream_changelog_counts_only_when_packit_syncs_it() {
    // packit keeps dist-git's %changelog and adds its own entry unless sync_changelog is set.
    let o = run(&fixture("changelog_kept_downstream"), Some("2.0"));
    assert!(o.findings.is_empty(), "{:#?}", o.findings);
    let synced =
        variant("changelog_kept_downstream", ".packit.yaml", "specfile_path: app.spec\nsync_changelog: true\n");
    assert_eq!(rules(&run(synced.path(), Some("2.0"))), vec!["package/changelog"]);
}

#[test]
fn a_repository_without_packit_has_nothing_to_check() {
    let o = run(&fixture("no_packit"), None);
    assert!(o.errors.is_empty() && o.findings.is_empty() && o.checked.is_empty());
    assert_eq!(o.looked.len(), 1, "{:?}", o.looked);
}
