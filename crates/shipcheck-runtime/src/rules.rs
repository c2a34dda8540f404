//! Every rule the runtime probe reports. The doc comment of each is its user documentation.

use shipcheck_report::{declare_rule, Rule};

declare_rule! {
    /// ## What it catches
    /// A flag that a caller passes to the runtime, and that this runtime rejects. The probe is
    /// `<runtime> <subcommand> <flags…> --help`, which exits 0 only when every flag is accepted
    /// and creates nothing.
    ///
    /// ## Why it breaks releases
    /// BuildKit ≥ 0.12 runs `runc run --keep` on every RUN step. crun before 1.15 rejects it
    /// (`run: unrecognized option '--keep'`, exit 64), and hosts that installed crun *as*
    /// `runc` failed every build (moby/buildkit#4721, docker/compose#11551).
    ///
    /// ## Fix
    /// Upgrade the runtime to the version the finding names, or point the caller at a runtime
    /// that accepts the flag.
    ///
    /// ## Example
    /// `crun 1.8.1 (installed as runc) rejects run --keep, which BuildKit ≥0.12 passes on every
    /// RUN step; crun added it in 1.15`.
    pub MISSING_FLAG = ("runtime/missing-flag", Error, "the runtime rejects a flag its caller passes");
}

declare_rule! {
    /// ## What it catches
    /// A flag the runtime accepts and then ignores, for a caller that depends on it. No probe
    /// can see this; it comes from the runtime data (data/runtimes.toml).
    ///
    /// ## Why it breaks releases
    /// The caller believes the behaviour happened: with youki, `run --keep` parses, but the
    /// container is still removed, and BuildKit's next step cannot find its state.
    ///
    /// ## Fix
    /// Use a runtime that implements the flag for this caller.
    ///
    /// ## Example
    /// `youki 0.3.3 accepts run --keep but ignores it`.
    pub IGNORED_FLAG = ("runtime/ignored-flag", Warning, "the runtime accepts a flag but ignores it");
}

declare_rule! {
    /// ## What it catches
    /// A runtime without the OCI `features` command (runtime-spec features.md), such as crun
    /// before 1.12 (`unknown command features`, exit 1) or runc before 1.1.
    ///
    /// ## Why it matters
    /// containerd 2.0, CRI-O and Docker ask `features` before they use idmapped mounts,
    /// recursive read-only mounts and similar; without an answer they turn the feature off or
    /// refuse the pod.
    ///
    /// ## Fix
    /// Upgrade the runtime.
    ///
    /// ## Example
    /// `crun 1.8.1 has no features command: unknown command features`.
    pub NO_FEATURES = ("runtime/no-features", Warning, "the runtime cannot describe its features");
}

declare_rule! {
    /// ## What it catches
    /// A `features` field that a caller relies on, which the runtime reports as absent or
    /// disabled.
    ///
    /// ## Why it breaks releases
    /// containerd 2.0 and CRI-O need `linux.mountExtensions.idmap.enabled` for user-namespaced
    /// pods, and `rro` in `mountOptions` for recursive read-only mounts; pods that ask for
    /// them fail to start.
    ///
    /// ## Fix
    /// Upgrade the runtime to the version the finding names.
    ///
    /// ## Example
    /// `runc 1.1.5 does not report linux.mountExtensions.idmap.enabled, which containerd
    /// ≥2.0 needs for user-namespaced pods`.
    pub MISSING_FEATURE = ("runtime/missing-feature", Error, "the runtime lacks a feature its caller relies on");
}

declare_rule! {
    /// ## What it catches
    /// A binary named as a runtime whose `--version` is not that of any OCI runtime shipcheck
    /// knows (runc, crun, youki, runsc, krun, kata-runtime, runj).
    ///
    /// ## Why it breaks releases
    /// A wrapper script, a broken install or a wrong path in daemon.json makes every container
    /// start fail.
    ///
    /// ## Fix
    /// Point the engine's configuration at the real runtime binary.
    ///
    /// ## Example
    /// `/usr/local/bin/runc --version` printed `hello`.
    pub NOT_A_RUNTIME = ("runtime/not-a-runtime", Error, "the binary is not an OCI runtime");
}

declare_rule! {
    /// ## What it catches
    /// A probe that did not finish within the timeout (the binary was killed), or a binary that
    /// could not be run at all.
    ///
    /// ## Why it breaks releases
    /// A runtime that hangs on `--help` hangs on real work too; one that cannot be executed
    /// fails every container start.
    ///
    /// ## Fix
    /// Check the binary (architecture, permissions, dynamic libraries) and the path the engine
    /// is configured with.
    ///
    /// ## Example
    /// `runc --version: no answer within 2000 ms; killed`.
    pub PROBE_FAILED = ("runtime/probe-failed", Error, "the runtime did not answer a probe");
}

declare_rule! {
    /// ## What it catches
    /// A runtime installed under another runtime's name, e.g. crun installed as `runc`.
    ///
    /// ## Why it matters
    /// Callers and people assume the name: BuildKit passes runc's flags to whatever `runc` is,
    /// and bug reports name the wrong runtime.
    ///
    /// ## Fix
    /// Nothing, if every caller's flags are accepted (see runtime/missing-flag); otherwise
    /// install the real runc, or configure callers with the true name.
    ///
    /// ## Example
    /// `runc is crun 1.8.1`.
    pub RENAMED = ("runtime/renamed", Note, "a runtime installed under another runtime's name");
}

declare_rule! {
    /// ## What it catches
    /// A caller requirement that could not be checked: a recording made without that probe,
    /// or a runtime whose `--help` accepts any flag (the control probe with a bogus flag
    /// exited 0), so probes prove nothing.
    ///
    /// ## Why it matters
    /// Unchecked is not passed.
    ///
    /// ## Fix
    /// Record again with a current shipcheck (`shipcheck runtime --record DIR`), or check the
    /// flag by hand.
    ///
    /// ## Example
    /// `restore -no-subreaper --help was not recorded`.
    pub UNCHECKED = ("runtime/unchecked", Note, "a requirement could not be checked");
}

declare_rule! {
    /// ## What it catches
    /// A `features` command that exits 0 but prints something that is not a JSON object.
    ///
    /// ## Why it matters
    /// Callers that parse it fail or fall back to the least capable behaviour.
    ///
    /// ## Fix
    /// Upgrade the runtime, or report the bug to its maintainers.
    ///
    /// ## Example
    /// `features output is not JSON: expected value at line 1 column 1`.
    pub FEATURES_INVALID = ("runtime/features-invalid", Warning, "the features document cannot be read");
}

pub static ALL: &[&Rule] = &[
    &FEATURES_INVALID,
    &IGNORED_FLAG,
    &MISSING_FEATURE,
    &MISSING_FLAG,
    &NO_FEATURES,
    &NOT_A_RUNTIME,
    &PROBE_FAILED,
    &RENAMED,
    &UNCHECKED,
];
