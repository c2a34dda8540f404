//! Rules of the packaging preflight.

use shipcheck_report::{declare_rule, Rule};

declare_rule! {
    /// ## What it catches
    /// A `files_to_sync` entry in .packit.yaml whose destination is a nested path (it has a
    /// parent directory) and which does not set `mkpath: true`.
    ///
    /// ## Why it breaks releases
    /// propose-downstream syncs with rsync into dist-git; when the parent directory does not
    /// exist there, rsync fails with `change_dir … No such file or directory` and the update
    /// is never proposed to any branch. crun 1.16/1.17 failed this way for Fedora and CentOS
    /// Stream 10 when it began syncing `tests/tmt` (containers/crun#1558, #1559).
    ///
    /// ## Fix
    /// Write the entry as a mapping with `mkpath: true`:
    /// `- {src: tests/tmt/, dest: tests/tmt/, mkpath: true}`.
    ///
    /// ## Example
    /// `files_to_sync: [tests/tmt/]` with propose_downstream to fedora-all and c10s.
    pub FILES_TO_SYNC_MKPATH = ("package/files-to-sync-mkpath", Error, "a nested files_to_sync destination without mkpath");
}

declare_rule! {
    /// ## What it catches
    /// A job target or dist-git branch that is neither a packit alias (fedora-all,
    /// fedora-stable, epel-all, …) nor a branch name shipcheck knows, in its dated table
    /// (crates/shipcheck-package/data/targets.toml).
    ///
    /// ## Why it breaks releases
    /// An unknown alias or a branch that no longer exists makes the job fail or silently skip
    /// the distribution.
    ///
    /// ## Fix
    /// Use a packit alias, or a branch that exists in dist-git.
    ///
    /// ## Example
    /// `dist_git_branches: [fedora-al]`.
    pub UNKNOWN_TARGET = ("package/unknown-target", Warning, "an unknown target or dist-git branch");
}

declare_rule! {
    /// ## What it catches
    /// A key in .packit.yaml that packit does not know but that is one or two letters away
    /// from one it does (a typo), with the suggestion.
    ///
    /// ## Why it breaks releases
    /// packit ignores or rejects unknown keys: the setting you wrote does not apply.
    ///
    /// ## Fix
    /// Use the suggested key.
    ///
    /// ## Example
    /// `upstream_tag_templte` → did you mean `upstream_tag_template`?
    pub UNKNOWN_KEY = ("package/unknown-key", Error, "a misspelled packit configuration key");
}

declare_rule! {
    /// ## What it catches
    /// A .packit.yaml that is not valid YAML, or whose top level is not a mapping.
    ///
    /// ## Why it breaks releases
    /// packit cannot run any job.
    ///
    /// ## Fix
    /// Fix the syntax; `packit config validate` checks it too.
    ///
    /// ## Example
    /// `mapping values are not allowed in this context at line 3 column 9`.
    pub INVALID_CONFIG = ("package/invalid-config", Error, "the packit configuration cannot be read");
}

declare_rule! {
    /// ## What it catches
    /// A spec's `Version` that differs from the version of the release tag (the latest git
    /// tag, or `--tag`), read through `upstream_tag_template`; or a tag that the template
    /// cannot produce at all.
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
    pub VERSION_TAG_MISMATCH = ("package/version-tag-mismatch", Error, "the spec version is not the release tag's version");
}

declare_rule! {
    /// ## What it catches
    /// The top `%changelog` entry: a version-release that differs from the spec's, a date in
    /// the future, macros inside entries, or more than one `%changelog` section. Specs using
    /// `%autochangelog` are exempt from the entry checks.
    ///
    /// ## Why it breaks releases
    /// rpmbuild and Fedora's tooling reject or mangle such changelogs; a future date fails
    /// `rpmbuild` outright (`bogus date in %changelog`).
    ///
    /// ## Fix
    /// Add an entry for the new version-release with today's date, escape `%` as `%%`, keep
    /// one `%changelog`.
    ///
    /// ## Example
    /// `Version: 1.17`, `Release: 1`, top entry `- 1.16-1`.
    pub CHANGELOG = ("package/changelog", Error, "the top %changelog entry does not match the spec");
}

declare_rule! {
    /// ## What it catches
    /// `Name`, `Version` or `Release` that uses a macro the spec does not define, so its
    /// value cannot be known without the build system.
    ///
    /// ## Why it matters
    /// The checks that need the value are skipped; shipcheck never guesses it.
    ///
    /// ## Fix
    /// Nothing, if the macro comes from the build system; otherwise define it with `%global`.
    ///
    /// ## Example
    /// `Version: %{upstream_version}` with no `%global upstream_version`.
    pub SPEC_UNEXPANDED = ("package/spec-unexpanded", Note, "a spec value cannot be expanded");
}

declare_rule! {
    /// ## What it catches
    /// A .packit.yaml value of the wrong type (a string where packit wants a list, a list where
    /// it wants a string, `"7200"` for a number, `maybe` for a boolean), a job without `job` or
    /// `trigger`, an unknown job type or trigger, or a job type packit removed (`build`,
    /// `production_build`). Types come from packit's schema (crates/shipcheck-package/data/packit-schema.toml).
    ///
    /// ## Why it breaks releases
    /// packit refuses the whole configuration (`Invalid package config`), so no job runs: no
    /// propose-downstream, no builds, no tests.
    ///
    /// ## Fix
    /// Write the value with the type given; for removed job types use the replacement named.
    ///
    /// ## Example
    /// `paths: ./` (a string) instead of `paths: [./]`; `job: build` instead of `job: copr_build`.
    pub INVALID_VALUE = ("package/invalid-value", Error, "a packit value of the wrong type or an unknown job");
}

declare_rule! {
    /// ## What it catches
    /// A .packit.yaml key packit renamed or stopped reading: `upstream_project_name`,
    /// `synced_files`, `dist_git_url`, a job's `metadata` mapping, `dist_git_branch`.
    ///
    /// ## Why it breaks releases
    /// Renamed keys still work with a warning today and stop working when packit drops them;
    /// a key packit no longer reads (`dist_git_url`) silently does nothing.
    ///
    /// ## Fix
    /// Use the key named in the finding.
    ///
    /// ## Example
    /// `synced_files:` → `files_to_sync:`; `metadata: {targets: …}` → `targets:` under the job.
    pub DEPRECATED_KEY = ("package/deprecated-key", Warning, "a packit key that was renamed or is no longer read");
}

declare_rule! {
    /// ## What it catches
    /// `upstream_tag_template` against the repository's tags (after `upstream_tag_include` and
    /// `upstream_tag_exclude`): a template that matches none of them, or a newest tag that it
    /// does not match.
    ///
    /// ## Why it breaks releases
    /// packit maps the release tag to a version through the template; a tag it cannot map
    /// fails propose-downstream and pull-from-upstream for that release.
    ///
    /// ## Fix
    /// Make the template produce the tags as they are written, or exclude tags that are not
    /// releases with `upstream_tag_exclude`.
    ///
    /// ## Example
    /// Tags `1.2.0`, `1.1.0` and `upstream_tag_template: v{version}`.
    pub TAG_TEMPLATE_MISMATCH = ("package/tag-template-mismatch", Warning, "upstream_tag_template does not fit the repository's tags");
}

pub static ALL: &[&Rule] = &[
    &TAG_TEMPLATE_MISMATCH,
    &DEPRECATED_KEY,
    &INVALID_VALUE,
    &CHANGELOG,
    &RELEASE_NOT_RESET,
    &EVR_ORDER,
    &FILES_TO_SYNC_MKPATH,
    &INVALID_CONFIG,
    &SPEC_UNEXPANDED,
    &UNKNOWN_KEY,
    &UNKNOWN_TARGET,
    &VERSION_TAG_MISMATCH,
];

declare_rule! {
    /// ## What it catches
    /// Against the NVRs already built in each downstream branch (`--existing FILE`): a new
    /// EVR that is not greater than every branch's, an NVR that already exists, and rawhide
    /// behind a branched Fedora.
    ///
    /// ## Why it breaks releases
    /// Koji refuses an NVR it has built (`Build already exists`), and an update whose EVR is
    /// not higher than the installed one is never offered; rawhide lower than a stable branch
    /// breaks upgrades to the next Fedora.
    ///
    /// ## Fix
    /// Bump Version or Release so the new EVR is above every branch's; rebuild rawhide first.
    ///
    /// ## Example
    /// New `crun-1.17-1`, while `f43` already has `crun-1.17-2.fc43`.
    pub EVR_ORDER = ("package/evr-order", Error, "the new EVR does not sort above what downstream has");
}

declare_rule! {
    /// ## What it catches
    /// A spec whose Version is newer than every downstream branch's (from `--existing`) but
    /// whose Release was not reset to 1. Specs using `%autorelease` are exempt.
    ///
    /// ## Why it matters
    /// Fedora's guidelines reset Release on a new version; a stale Release hides which build
    /// of the version this is and often comes from a forgotten edit.
    ///
    /// ## Fix
    /// Set `Release: 1%{?dist}` with the new Version, or use `%autorelease`.
    ///
    /// ## Example
    /// `Version: 1.17`, `Release: 3%{?dist}`, while every branch has 1.16.
    pub RELEASE_NOT_RESET = ("package/release-not-reset", Warning, "Release was not reset with a new Version");
}
