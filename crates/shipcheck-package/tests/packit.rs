//! .packit.yaml checks on fixtures: the crun shape, its fix, realistic clean configurations,
//! and each other rule.

use shipcheck_package::packit;
use shipcheck_report::Finding;

fn check(yaml: &str) -> Vec<Finding> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(".packit.yaml");
    std::fs::write(&p, yaml).unwrap();
    packit::check(&p, ".packit.yaml").unwrap()
}

fn rules(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.rule.id).collect()
}

const CRUN_SHAPE: &str = "
specfile_path: rpm/crun.spec
files_to_sync:
  - src: rpm/gating.yaml
    dest: gating.yaml
  - src: tests/tmt/
    dest: tests/tmt/
jobs:
  - job: propose_downstream
    trigger: release
    dist_git_branches: fedora-all
  - job: propose_downstream
    trigger: release
    dist_git_branches: [c10s]
";

#[test]
fn nested_destination_without_mkpath_names_the_branches() {
    let f = check(CRUN_SHAPE);
    assert_eq!(rules(&f), vec!["package/files-to-sync-mkpath"]);
    let branches = &f[0].evidence.iter().find(|(k, _)| k == "affected_branches").unwrap().1;
    assert!(branches.contains("rawhide") && branches.contains("c10s"), "{branches}");
    assert_eq!(f[0].subject.place().as_deref(), Some("6:5"), "the line and column of the entry");
    // The fix clears it.
    let fixed = CRUN_SHAPE.replace("    dest: tests/tmt/\n", "    dest: tests/tmt/\n    mkpath: true\n");
    assert!(check(&fixed).is_empty());
    // A plain string entry is its own destination.
    let f = check("files_to_sync:\n  - tests/tmt/main.fmf\n  - crun.spec\njobs:\n  - job: propose_downstream\n    trigger: release\n");
    assert_eq!(rules(&f), vec!["package/files-to-sync-mkpath"]);
    assert!(
        f[0].evidence.iter().any(|(k, v)| k == "affected_branches" && v == "rawhide"),
        "default branch: {:?}",
        f[0].evidence
    );
}

#[test]
fn realistic_clean_configurations_have_no_findings() {
    // Shapes of real upstream configurations (written for this test): a Python project with
    // copr builds and tests, a monorepo with packages, one with dict-style dist_git_branches.
    let configs = [
        "specfile_path: pkg.spec\nupstream_package_name: pkg\ndownstream_package_name: python-pkg\nupstream_tag_template: v{version}\nfiles_to_sync:\n  - pkg.spec\n  - .packit.yaml\n  - src: plans/\n    dest: plans/\nactions:\n  create-archive:\n    - python3 -m build --sdist --outdir .\njobs:\n  - job: copr_build\n    trigger: pull_request\n    targets: [fedora-all, epel-9]\n  - job: tests\n    trigger: pull_request\n    targets: [fedora-stable]\n  - job: propose_downstream\n    trigger: release\n    dist_git_branches: [fedora-all, epel9]\n  - job: koji_build\n    trigger: commit\n    dist_git_branches: fedora-all\n  - job: bodhi_update\n    trigger: commit\n    dist_git_branches: fedora-branched\n",
        "packages:\n  copr-cli:\n    downstream_package_name: copr-cli\n    paths: [./cli]\n    specfile_path: copr-cli.spec\n    files_to_sync: [copr-cli.spec]\n  python-copr:\n    paths: [./python]\n    specfile_path: python-copr.spec\njobs:\n  - job: copr_build\n    trigger: pull_request\n    targets: [fedora-all-x86_64, fedora-all-aarch64]\n",
        // Shared job settings through anchors and merge keys (several `<<` in one mapping, as
        // PyYAML allows), targets with per-target settings, string-valued actions, job package
        // selection by list.
        "specfile_path: app.spec\nupstream_tag_template: v{version}\nactions:\n  fix-spec-file: \"bash fix.sh\"\n_:\n  - &base\n    job: tests\n    trigger: pull_request\n  - &internal\n    use_internal_tf: true\npackages:\n  app-fedora:\n    specfile_path: app.spec\njobs:\n  - &build\n    job: copr_build\n    trigger: pull_request\n    packages: [app-fedora]\n    targets:\n      fedora-all:\n        without_opts: [docs]\n  - <<: *build\n    trigger: commit\n    branch: main\n  - <<: *base\n    <<: *internal\n    identifier: internal\n  - job: propose_downstream\n    trigger: release\n    update_release: false\n    dist_git_branches: &fedora\n      - fedora-all\n  - job: koji_build\n    trigger: commit\n    dist_git_branches: *fedora\n",
        "upstream_project_url: https://github.com/o/r\nissue_repository: https://github.com/o/r\njobs:\n  - job: pull_from_upstream\n    trigger: release\n    dist_git_branches:\n      rawhide:\n        fast_forward_merge_into: [fedora-branched]\n  - job: koji_build\n    trigger: commit\n    sidetag_group: g\n    dist_git_branches: [rawhide, f43]\n",
    ];
    for c in configs {
        let f = check(c);
        assert!(f.is_empty(), "{c}\n{f:#?}");
    }
}

#[test]
fn typos_unknown_targets_and_bad_yaml() {
    let f = check("upstream_tag_templte: v{version}\nfiles_to_snyc: []\n");
    assert_eq!(rules(&f), vec!["package/unknown-key", "package/unknown-key"]);
    assert!(f[0].message.contains("did you mean `upstream_tag_template`"));
    let f = check("jobs:\n  - job: propose_downstream\n    trigger: release\n    dist_git_branches: [fedora-al]\n");
    assert_eq!(rules(&f), vec!["package/unknown-target"]);
    assert_eq!(f[0].subject.place().as_deref(), Some("4:25"), "the target itself");
    let f = check("jobs: [\n  - job: x\n");
    assert_eq!(rules(&f), vec!["package/invalid-config"]);
    let f = check("- just\n- a list\n");
    assert_eq!(rules(&f), vec!["package/invalid-config"]);
}

#[test]
fn wrong_types_deprecated_keys_and_jobs() {
    let yaml = "specfile_path: [a.spec]
upstream_project_name: app
synced_files:
  - a.txt
paths: ./
create_pr: yes
jobs:
  - job: build
    trigger: pull_request
    metadata:
      targets: fedora-all
      timeout: '7200'
  - job: copr_build
    trigger: merge
    packages: [app]
  - trigger: release
    packages: app
";
    let f = check(yaml);
    let got: Vec<(&str, String)> = f.iter().map(|f| (f.rule.id, f.message.clone())).collect();
    let has = |rule: &str, text: &str| got.iter().any(|(r, m)| *r == rule && m.contains(text));
    assert!(has("package/invalid-value", "`specfile_path` must be a string, not a list"), "{got:#?}");
    assert!(has("package/invalid-value", "`paths` must be a list of strings, not a string"), "{got:#?}");
    assert!(has("package/invalid-value", "`timeout` must be a whole number, not a string"), "{got:#?}");
    assert!(has("package/invalid-value", "job type `build` was removed from packit: use `copr_build`"), "{got:#?}");
    assert!(has("package/invalid-value", "`trigger: merge` is not a packit trigger"), "{got:#?}");
    assert!(has("package/invalid-value", "job 3 has no `job`"), "{got:#?}");
    // A job selects packages with a list (fine) or a mapping; a single string is wrong, once.
    assert_eq!(got.iter().filter(|(_, m)| m.contains("`packages` must be")).count(), 1, "{got:#?}");
    assert!(
        has("package/deprecated-key", "`upstream_project_name` is deprecated: use upstream_package_name"),
        "{got:#?}"
    );
    assert!(has("package/deprecated-key", "`synced_files` is deprecated: use files_to_sync"), "{got:#?}");
    assert!(has("package/deprecated-key", "`metadata` is deprecated"), "{got:#?}");
    // `create_pr: yes` is a boolean to packit (PyYAML reads YAML 1.1).
    assert!(!got.iter().any(|(_, m)| m.contains("create_pr")), "{got:#?}");
    let line = f.iter().find(|f| f.message.contains("specfile_path")).unwrap();
    assert_eq!(line.subject.place().as_deref(), Some("1:16"), "the value of the wrong type");
}
