//! Command-line arguments: every subcommand and flag, documented where it is defined.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use shipcheck_report::render::Format;
use shipcheck_report::Severity;

use crate::registry;

/// The exit status policy, printed by `--help` and documented in the README.
const EXIT_STATUS: &str = "Exit status, for every command:
  0  checked; nothing at or above --fail-on (default: error)
  1  a finding at or above --fail-on
  2  could not check: bad usage, an unreadable input, an I/O error, a push or copy not done
  3  nothing to check: the command found no input of its kind where it looked (said in the report)";

/// Catches container release failures before they ship.
///
/// Exit status, for every command: see EXIT_STATUS.
#[derive(Parser)]
#[command(name = "shipcheck", version, about, long_about = None, max_term_width = 100, after_help = EXIT_STATUS)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Verify image archives, layouts and registry images: every blob, digest, diff_id and
    /// platform, in one pass.
    ///
    /// SOURCE is named as skopeo names it: oci:DIR[:REF], oci-archive:FILE[:REF],
    /// docker-archive:FILE[:REF|@N], docker://REGISTRY/REPO[:TAG|@DIGEST] (streamed from the
    /// registry, nothing written to disk), or a bare path, which is detected by content.
    Image(ImageArgs),
    /// Push an image to a registry, with credentials renewed before they expire.
    ///
    /// The source is verified first (structure; every byte with --verify) and refused if it is
    /// damaged. Blobs the repository has are skipped; the rest are uploaded in parallel, in
    /// chunks that resume after a failure, and committed only when their bytes match their
    /// digests. Manifests follow their children; the tag is read back and compared. A re-run
    /// after a failure uploads only what is missing.
    Push(registry::PushArgs),
    /// Copy an image between registries (blobs mounted within one registry), from a registry
    /// to a local layout or archive, from a local source to a registry, or between local forms
    /// (OCI layouts and oci-archives byte for byte; docker-archive as convert writes it).
    Copy(registry::CopyArgs),
    /// Run every check that shipcheck.toml in each DIR configures (default: the current
    /// directory); without a shipcheck.toml, the workflow, Dockerfile and packit checks.
    Check(CheckArgs),
    /// Write an image in the form every chosen engine loads, then verify what was written.
    ///
    /// The default output is a hybrid archive: docker save v1.2 (manifest.json with
    /// fully-qualified RepoTags) over an OCI layout whose index.json carries the full name.
    /// Layers are copied byte for byte; zstd layers are recompressed to gzip only when a chosen
    /// engine cannot read zstd. One platform is written; attestations are dropped. The output
    /// is written atomically and is reproducible: the same input gives the same bytes.
    Convert(ConvertArgs),
    /// Probe OCI runtimes (identity, features, accepted flags) and check them against their callers.
    ///
    /// RUNTIME is a name looked up on PATH or a path. Without one, probes runc, crun, youki, runsc
    /// and krun on PATH and the runtimes that Docker, containerd, Podman and CRI-O configs name.
    /// Probes never create anything: they are --version, features, and commands ending in --help.
    Runtime(RuntimeArgs),
    /// Name the root cause of a failed CI job from its raw log.
    ///
    /// LOG is a file (plain or gzip), `-` for stdin, or a directory such as an unpacked GitHub
    /// Actions log archive. The cause that ended the job is ranked first, with its evidence
    /// lines, extracted facts and remedy. Secrets are redacted from everything printed.
    Diagnose(DiagnoseArgs),
    /// Check downstream packaging metadata (.packit.yaml) before the release is tagged.
    Package {
        /// The repository holding .packit.yaml, or the packit configuration file itself
        /// (default: the current directory).
        #[arg(value_name = "DIR|FILE", default_value = ".")]
        dir: PathBuf,
        /// The release tag to check the spec's Version against [default: `git describe --tags --abbrev=0` in DIR].
        #[arg(long, value_name = "TAG")]
        tag: Option<String>,
        /// NVRs already in each downstream branch, one `BRANCH NAME-VERSION-RELEASE` a line:
        /// the new build must sort above all of them.
        #[arg(long, value_name = "FILE")]
        existing: Option<PathBuf>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Find platform drift between pull-request and release builds in GitHub Actions workflows.
    ///
    /// Reads every workflow under DIR/.github/workflows, evaluates each for its triggers
    /// (matrices expanded, `if:` and expressions evaluated where the repository tells, local
    /// reusable workflows and composite actions followed), and reports platforms built only
    /// after merge, missing QEMU, multi-platform loads and gha caches in pushing jobs.
    ///
    /// Given a workflow FILE instead, the whole repository it belongs to is evaluated (drift
    /// needs every workflow) and the findings located in that file are reported.
    Workflows {
        /// The repository root, or one workflow file in it (default: the current directory).
        #[arg(value_name = "DIR|FILE", default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Check Dockerfiles for the mistakes that build green on amd64 and break other platforms.
    ///
    /// Without FILE, checks every Dockerfile and Containerfile in the repository, except those
    /// under test fixture and vendored directories (--include-tests). The platforms each file
    /// is built for come from --platform, or else from the workflows that build it.
    Dockerfile(DockerfileArgs),
    /// Write a commented shipcheck.toml for the repository at DIR: the checks it has inputs for
    /// (workflows, Dockerfiles, packit) switched on, everything else shown commented out.
    Init {
        /// The repository (default: the current directory).
        #[arg(value_name = "DIR", default_value = ".")]
        dir: PathBuf,
        /// Replace an existing shipcheck.toml.
        #[arg(long)]
        force: bool,
    },
    /// Print the documentation of a rule, or list every rule.
    Explain {
        /// A rule ID such as image/diff-id-mismatch. Without it, list all rules.
        rule: Option<String>,
    },
    /// Print shell completions: `shipcheck completions bash > /etc/bash_completion.d/shipcheck`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to stdout, or write one page per subcommand into DIR.
    Man {
        /// Write shipcheck.1 and shipcheck-COMMAND.1 for every subcommand here (created if missing).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Print the rules reference in Markdown (docs/rules.md is generated from it).
    #[command(hide = true)]
    RulesDoc,
    /// Print every built-in log signature's regex, one a line (for comparing with grep tools).
    #[command(hide = true)]
    DiagnosePatterns,
    /// Print the runtime capability matrix in Markdown (docs/runtimes.md is generated from it).
    #[command(hide = true)]
    RuntimesDoc,
    /// Print the engine profiles in Markdown (docs/engines.md is generated from it).
    #[command(hide = true)]
    EnginesDoc,
}

#[derive(Args)]
pub(crate) struct ImageArgs {
    /// Image sources to verify (at least one; see `--engine` for one given after it).
    #[arg(value_name = "SOURCE")]
    pub(crate) sources: Vec<String>,
    /// Check structure only: skip layer content (no digests, diff_ids, layer walks).
    #[arg(long)]
    pub(crate) fast: bool,
    /// Platforms the image must provide, comma-separated (e.g. linux/amd64,linux/arm64/v8).
    /// Defaults to `platforms` in ./shipcheck.toml, if there is one.
    #[arg(long, value_delimiter = ',', value_name = "PLATFORMS")]
    pub(crate) platform: Vec<String>,
    /// Predict how engines load it: verdict, names and image ID per engine, e.g.
    /// podman@3.4,docker@20.10,containerd. `--engine` alone checks the default set (the engines
    /// on GitHub-hosted Ubuntu runners, current Fedora and Debian); `shipcheck engines-doc`
    /// lists every profile. A word after a bare `--engine` that is no engine but names a file
    /// or a transport (`--engine app.tar`) is taken as a source.
    #[arg(long, value_delimiter = ',', num_args = 0.., value_name = "ENGINES")]
    pub(crate) engine: Option<Vec<String>>,
    #[command(flatten)]
    pub(crate) limits: ReadLimitArgs,
    #[command(flatten)]
    pub(crate) tls: crate::registry::TlsArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// Limits on reading an archive, for a genuine one that needs more (docs/ARCHITECTURE.md#limits).
/// Each may also be set under `[limits]` in shipcheck.toml; a flag wins.
#[derive(Args)]
pub(crate) struct ReadLimitArgs {
    /// Most members (files, directories, links) in one archive or layout [default: 100000].
    #[arg(long, value_name = "N")]
    pub(crate) max_members: Option<usize>,
    /// Most bytes, in MiB, that an archive wrapped whole in gzip, zstd or xz may unpack to
    /// [default: --max-expansion-ratio × its compressed size, at least 1024 at the default ratio].
    #[arg(long, value_name = "MIB")]
    pub(crate) max_unpacked_size: Option<u64>,
    /// How many times its compressed size a layer may expand to before it is reported as
    /// image/decompression-bomb and reading stops; a layer may always reach RATIO × 5.12 MiB
    /// (1 GiB at the default). Raise it for an honest layer of zeros or sparse files (a disk
    /// image); 0 means no limit [default: 200].
    #[arg(long, value_name = "RATIO")]
    pub(crate) max_expansion_ratio: Option<u64>,
}

impl ReadLimitArgs {
    /// The flags, else shipcheck.toml's `[limits]`, else the defaults.
    pub(crate) fn limits(&self, config: &crate::config::Config) -> shipcheck_image::ReadLimits {
        let flags = crate::config::LimitsEntry {
            max_members: self.max_members,
            max_unpacked_size: self.max_unpacked_size,
            max_expansion_ratio: self.max_expansion_ratio,
        };
        flags.or(config.limits.as_ref()).read_limits()
    }
}

#[derive(Args)]
pub(crate) struct ConvertArgs {
    /// The image to convert, named as for `shipcheck image`.
    #[arg(value_name = "SOURCE")]
    pub(crate) source: String,
    /// Where to write it: a file for docker-archive and oci-archive, a new directory for oci.
    /// A transport prefix as `copy` takes it (`docker-archive:PATH`, `oci-archive:PATH`,
    /// `oci:DIR`) chooses the format, as `--to` does.
    #[arg(value_name = "DEST")]
    pub(crate) dest: String,
    /// Engines the output must load on, as for `image --engine` [default: every profile].
    #[arg(long = "for", value_delimiter = ',', value_name = "ENGINES")]
    pub(crate) engines: Vec<String>,
    /// What to write. (Named `--to` because `--format` sets the report's format, as everywhere.)
    /// [default: docker-archive, or DEST's transport prefix]
    #[arg(long = "to", value_enum, value_name = "FORMAT")]
    pub(crate) to: Option<ConvertFormat>,
    /// The platform to write when the source has several [default: this machine's].
    #[arg(long, value_name = "PLATFORM")]
    pub(crate) platform: Option<String>,
    /// Keep the image's attestation manifests (provenance, SBOM), in a nested index beside it.
    #[arg(long)]
    pub(crate) keep_attestations: bool,
    /// Replace an existing archive at DEST. Without it an existing file is refused; an existing
    /// OCI layout (`--to oci`) gets the image added, never replaced, as skopeo does. DEST is
    /// never the source itself (compared by device and inode, through links).
    #[arg(long)]
    pub(crate) overwrite: bool,
    /// Most temporary space convert may use, in MiB [default: 50 × the source's size, at least
    /// 1024]; temp files live beside DEST and are removed on SIGINT/SIGTERM.
    #[arg(long, value_name = "MIB")]
    pub(crate) temp_limit: Option<u64>,
    #[command(flatten)]
    pub(crate) limits: ReadLimitArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ConvertFormat {
    /// docker save v1.2 over an OCI layout (hybrid): every engine reads it.
    DockerArchive,
    /// An OCI layout in a tar file (Docker before 25 cannot load it).
    OciArchive,
    /// An OCI layout directory.
    Oci,
}

impl ConvertFormat {
    /// The name `--to` takes.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ConvertFormat::DockerArchive => "docker-archive",
            ConvertFormat::OciArchive => "oci-archive",
            ConvertFormat::Oci => "oci",
        }
    }
}

#[derive(Args)]
pub(crate) struct RuntimeArgs {
    /// Runtimes to probe (names on PATH or paths).
    #[arg(value_name = "RUNTIME")]
    pub(crate) runtimes: Vec<String>,
    /// Callers to check against, comma-separated NAME[@VERSION]: buildkit, containerd, docker,
    /// podman, cri-o, conmon [default: all, at their latest version].
    #[arg(long = "for", value_delimiter = ',', value_name = "CALLERS")]
    pub(crate) callers: Vec<String>,
    /// Save everything observed into DIR (one subdirectory per runtime), to check elsewhere.
    #[arg(long, value_name = "DIR", conflicts_with = "from_recording")]
    pub(crate) record: Option<PathBuf>,
    /// Check a recording (or a directory of recordings) instead of probing this machine.
    #[arg(long, value_name = "DIR")]
    pub(crate) from_recording: Option<PathBuf>,
    /// Per-probe timeout in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    pub(crate) timeout: u64,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Args)]
pub(crate) struct DiagnoseArgs {
    /// Logs to read (default: stdin).
    #[arg(value_name = "LOG")]
    pub(crate) logs: Vec<String>,
    /// Add or override signatures from FILE (format: docs/diagnose.md). Repeatable.
    #[arg(long = "rules", value_name = "FILE")]
    pub(crate) rules: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Args)]
pub(crate) struct DockerfileArgs {
    /// Dockerfiles to check, or directories to search for them (relative, ./ or absolute)
    /// [default: --repo].
    #[arg(value_name = "FILE|DIR")]
    pub(crate) files: Vec<PathBuf>,
    /// The repository whose workflows tell what each Dockerfile is built for [default: the
    /// first FILE|DIR or one of its parents that holds .github/workflows or .git, else the
    /// current directory].
    #[arg(long, value_name = "DIR")]
    pub(crate) repo: Option<PathBuf>,
    /// The platforms the Dockerfiles are built for, comma-separated (overrides the workflows).
    #[arg(long, value_delimiter = ',', value_name = "PLATFORMS")]
    pub(crate) platform: Vec<String>,
    /// Check that every FROM base image provides the target platforms, in its registry
    /// (credentials as docker and podman keep them). Offline, base images are listed as unchecked.
    #[arg(long)]
    pub(crate) online: bool,
    /// Also search directories named test, tests, testdata, testfiles, fixtures, vendor,
    /// third_party and node_modules, skipped by default: their Dockerfiles are test inputs and
    /// other projects' files, not this repository's releases. Files named on the command line
    /// and files a build names are always checked.
    #[arg(long)]
    pub(crate) include_tests: bool,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Args)]
pub(crate) struct CheckArgs {
    /// Repositories, directories or shipcheck.toml files to check. Each is checked as the shipcheck.toml in it (or
    /// the nearest one above it, up to the repository root) configures; with none, every
    /// repository check it has inputs for runs with default settings.
    #[arg(value_name = "DIR", default_value = ".")]
    pub(crate) dirs: Vec<PathBuf>,
    /// Let `[runtime] names` in shipcheck.toml run runtimes named by a path (anything with a
    /// `/`). A repository's config is untrusted in pull requests, so without this flag such a
    /// name is refused; plain names are looked up on PATH either way.
    #[arg(long)]
    pub(crate) allow_config_exec: bool,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Args)]
pub(crate) struct OutputArgs {
    /// Read settings (fail-on, [rules] severities, platforms) from this shipcheck.toml
    /// [default: ./shipcheck.toml, else the nearest one in a parent directory up to the
    /// repository root].
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Run only these rules: rule IDs or areas (`workflow`), comma-separated or repeated.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub(crate) select: Vec<String>,
    /// Do not run these rules: rule IDs or areas, comma-separated or repeated. Findings on one
    /// line are ignored with a `# shipcheck: ignore[RULE] reason` comment on it or above it.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub(crate) ignore: Vec<String>,
    /// Leave out the findings this baseline holds (written by --write-baseline): only new
    /// findings are reported and fail the run.
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub(crate) baseline: Option<PathBuf>,
    /// Record every finding of this run in FILE as the baseline (by stable fingerprint), and
    /// leave them out of this run's result.
    #[arg(long, value_name = "FILE")]
    pub(crate) write_baseline: Option<PathBuf>,
    /// Output format.
    #[arg(long, default_value = "human", value_parser = format_parser(), value_name = "FORMAT")]
    pub(crate) format: Format,
    /// Lowest severity that makes the exit status 1 [default: error, or fail-on in shipcheck.toml].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub(crate) fail_on: Option<SeverityArg>,
    /// Colour in human output.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub(crate) color: ColorArg,
    /// Write the report to FILE (atomically: temp file, then rename) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// `--format`'s values, names and help from `Format::ALL`: a new format needs no change here.
fn format_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(Format::ALL.iter().map(|f| PossibleValue::new(f.name()).help(f.help())))
        .map(|name| name.parse::<Format>().expect("a name from Format::ALL"))
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum SeverityArg {
    Error,
    Warning,
    Note,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ColorArg {
    Auto,
    Always,
    Never,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Error => Severity::Error,
            SeverityArg::Warning => Severity::Warning,
            SeverityArg::Note => Severity::Note,
        }
    }
}

impl OutputArgs {
    /// Whether human output is coloured. `auto` decides as anstream does for the terminal:
    /// `NO_COLOR` (set and not empty) turns colour off, `CLICOLOR_FORCE` turns it on,
    /// `CLICOLOR=0` and `TERM=dumb` turn it off, else colour on a terminal. A report written to
    /// a file (`-o`) is coloured only with `--color always`.
    pub(crate) fn color_for(&self, to_stdout: bool) -> bool {
        match self.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => {
                to_stdout && anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
            }
        }
    }
}
