//! The `shipcheck` binary: arguments, shipcheck.toml, wiring and rendering. No domain logic.

mod config;
mod output;
mod progress;
mod registry;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use shipcheck_image::platform::Platform;
use shipcheck_image::{SourceSpec, VerifyOptions};
use shipcheck_report::render::Format;
use shipcheck_report::{doc_text, Checked, InputError, Report, Rule, Severity};

use config::Config;

/// Catches container release failures before they ship.
///
/// Exit status: 0 when nothing is at or above --fail-on, 1 when a finding is, 2 when an input
/// could not be checked.
#[derive(Parser)]
#[command(name = "shipcheck", version, about, long_about = None, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
    /// Run every check that shipcheck.toml in each DIR configures (default: the current directory).
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
        /// The repository holding .packit.yaml (default: the current directory).
        #[arg(value_name = "DIR", default_value = ".")]
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
    Workflows {
        /// The repository root (default: the current directory).
        #[arg(value_name = "DIR", default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Check Dockerfiles for the mistakes that build green on amd64 and break other platforms.
    ///
    /// Without FILE, checks every Dockerfile and Containerfile in the repository. The
    /// platforms each file is built for come from --platform, or else from the workflows
    /// that build it.
    Dockerfile(DockerfileArgs),
    /// Print the documentation of a rule, or list every rule.
    Explain {
        /// A rule ID such as image/diff-id-mismatch. Without it, list all rules.
        rule: Option<String>,
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
struct ImageArgs {
    /// Image sources to verify.
    #[arg(required = true, value_name = "SOURCE")]
    sources: Vec<String>,
    /// Check structure only: skip layer content (no digests, diff_ids, layer walks).
    #[arg(long)]
    fast: bool,
    /// Platforms the image must provide, comma-separated (e.g. linux/amd64,linux/arm64/v8).
    /// Defaults to `platforms` in ./shipcheck.toml, if there is one.
    #[arg(long, value_delimiter = ',', value_name = "PLATFORMS")]
    platform: Vec<String>,
    /// Predict how engines load it: verdict, names and image ID per engine, e.g.
    /// podman@3.4,docker@20.10,containerd. `--engine` alone checks the default set (the engines
    /// on GitHub-hosted Ubuntu runners, current Fedora and Debian); `shipcheck engines-doc`
    /// lists every profile.
    #[arg(long, value_delimiter = ',', num_args = 0.., value_name = "ENGINES")]
    engine: Option<Vec<String>>,
    /// Read defaults (platforms, rule severities) from this shipcheck.toml.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
struct ConvertArgs {
    /// The image to convert, named as for `shipcheck image`.
    #[arg(value_name = "SOURCE")]
    source: String,
    /// Where to write it: a file for docker-archive and oci-archive, a new directory for oci.
    #[arg(value_name = "DEST")]
    dest: PathBuf,
    /// Engines the output must load on, as for `image --engine` [default: every profile].
    #[arg(long = "for", value_delimiter = ',', value_name = "ENGINES")]
    engines: Vec<String>,
    /// What to write. (Named `--to` because `--format` sets the report's format, as everywhere.)
    #[arg(long = "to", value_enum, default_value_t = ConvertFormat::DockerArchive, value_name = "FORMAT")]
    to: ConvertFormat,
    /// The platform to write when the source has several [default: this machine's].
    #[arg(long, value_name = "PLATFORM")]
    platform: Option<String>,
    /// Keep the image's attestation manifests (provenance, SBOM), in a nested index beside it.
    #[arg(long)]
    keep_attestations: bool,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum ConvertFormat {
    /// docker save v1.2 over an OCI layout (hybrid): every engine reads it.
    DockerArchive,
    /// An OCI layout in a tar file (Docker before 25 cannot load it).
    OciArchive,
    /// An OCI layout directory.
    Oci,
}

#[derive(Args)]
struct RuntimeArgs {
    /// Runtimes to probe (names on PATH or paths).
    #[arg(value_name = "RUNTIME")]
    runtimes: Vec<String>,
    /// Callers to check against, comma-separated NAME[@VERSION]: buildkit, containerd, docker,
    /// podman, cri-o, conmon [default: all, at their latest version].
    #[arg(long = "for", value_delimiter = ',', value_name = "CALLERS")]
    callers: Vec<String>,
    /// Save everything observed into DIR (one subdirectory per runtime), to check elsewhere.
    #[arg(long, value_name = "DIR", conflicts_with = "from_recording")]
    record: Option<PathBuf>,
    /// Check a recording (or a directory of recordings) instead of probing this machine.
    #[arg(long, value_name = "DIR")]
    from_recording: Option<PathBuf>,
    /// Per-probe timeout in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    timeout: u64,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
struct DiagnoseArgs {
    /// Logs to read (default: stdin).
    #[arg(value_name = "LOG")]
    logs: Vec<String>,
    /// Add or override signatures from FILE (format: docs/diagnose.md). Repeatable.
    #[arg(long = "rules", value_name = "FILE")]
    rules: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
struct DockerfileArgs {
    /// Dockerfiles to check [default: every Dockerfile and Containerfile under --repo].
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The repository whose workflows tell what each Dockerfile is built for.
    #[arg(long, value_name = "DIR", default_value = ".")]
    repo: PathBuf,
    /// The platforms the Dockerfiles are built for, comma-separated (overrides the workflows).
    #[arg(long, value_delimiter = ',', value_name = "PLATFORMS")]
    platform: Vec<String>,
    /// Check that every FROM base image provides the target platforms, in its registry
    /// (credentials as docker and podman keep them). Offline, base images are listed as unchecked.
    #[arg(long)]
    online: bool,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
struct CheckArgs {
    /// Directories holding a shipcheck.toml.
    #[arg(value_name = "DIR", default_value = ".")]
    dirs: Vec<PathBuf>,
    /// Let `[runtime] names` in shipcheck.toml run runtimes named by a path (anything with a
    /// `/`). A repository's config is untrusted in pull requests, so without this flag such a
    /// name is refused; plain names are looked up on PATH either way.
    #[arg(long)]
    allow_config_exec: bool,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    format: FormatArg,
    /// Lowest severity that makes the exit status 1 [default: error, or fail-on in shipcheck.toml].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    fail_on: Option<SeverityArg>,
    /// Colour in human output.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,
    /// Write the report to FILE (atomically: temp file, then rename) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    /// Compact text grouped by input, coloured on a terminal.
    Human,
    /// Versioned JSON (docs/json-schema.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions annotations (::error file=…::).
    Github,
}

#[derive(Clone, Copy, ValueEnum)]
enum SeverityArg {
    Error,
    Warning,
    Note,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorArg {
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

/// Every rule shipcheck knows, in ID order.
fn all_rules() -> Vec<&'static Rule> {
    let mut rules: Vec<&'static Rule> = shipcheck_image::rules::ALL.to_vec();
    rules.extend_from_slice(shipcheck_runtime::rules::ALL);
    rules.extend_from_slice(shipcheck_triage::rules::ALL);
    rules.extend_from_slice(shipcheck_package::rules::ALL);
    rules.extend_from_slice(shipcheck_workflow::rules::ALL);
    rules.extend_from_slice(shipcheck_registry::rules::ALL);
    rules.sort_by_key(|r| r.id);
    rules
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("shipcheck: error: {}", safe_error(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

/// An error as it may be shown: errors can quote what an input or a server said, so each line
/// is cut to a short excerpt, control characters are escaped (no terminal tricks, no line-start
/// `::error` for GitHub to parse) and secrets are redacted, like every report.
fn safe_error(text: &str) -> String {
    const LINE: usize = 300;
    let lines = text.lines().take(20).map(|line| {
        let mut cut: String = line.chars().take(LINE).collect();
        if line.chars().nth(LINE).is_some() {
            cut.push('…');
        }
        shipcheck_report::redact::redact(&cut)
    });
    let joined = lines.collect::<Vec<_>>().join("\n  ");
    joined
        .chars()
        .flat_map(|c| if c.is_control() && c != '\n' { c.escape_default().collect::<Vec<_>>() } else { vec![c] })
        .collect()
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Image(args) => image(args),
        Command::Check(args) => check(args),
        Command::Push(args) => {
            let mut report = Report::new();
            registry::push_into(&mut report, &args)?;
            finish(report, &Config::default(), &args.output)
        }
        Command::Copy(args) => {
            let mut report = Report::new();
            registry::copy_into(&mut report, &args)?;
            finish(report, &Config::default(), &args.output)
        }
        Command::Convert(args) => convert(args),
        Command::Runtime(args) => runtime(args),
        Command::Package { dir, tag, existing, output } => {
            let mut report = Report::new();
            package_into(&mut report, &dir, tag.as_deref(), existing.as_deref())?;
            finish(report, &Config::default(), &output)
        }
        Command::Workflows { dir, output } => {
            let mut report = Report::new();
            workflows_into(&mut report, &dir)?;
            finish(report, &Config::default(), &output)
        }
        Command::Dockerfile(args) => {
            let mut report = Report::new();
            dockerfiles_into(&mut report, &args.repo, &args.files, &args.platform, args.online)?;
            finish(report, &Config::default(), &args.output)
        }
        Command::Diagnose(args) => {
            let mut report = Report::new();
            let logs = if args.logs.is_empty() { vec!["-".to_string()] } else { args.logs };
            diagnose_into(&mut report, &logs, &args.rules)?;
            finish(report, &Config::default(), &args.output)
        }
        Command::Explain { rule } => explain(rule.as_deref()),
        Command::DiagnosePatterns => {
            let kb = shipcheck_triage::kb::Kb::load(&[]).map_err(anyhow::Error::msg)?;
            // Plain groups: grep tools join patterns into one regex, where names would clash.
            let named = regex::Regex::new(r"\(\?P<\w+>").expect("static regex");
            for s in &kb.signatures {
                println!("{}", named.replace_all(&s.def.pattern, "("));
            }
            Ok(0)
        }
        Command::EnginesDoc => {
            print!("{}", shipcheck_image::engine::matrix_markdown());
            Ok(0)
        }
        Command::RuntimesDoc => {
            print!("{}", shipcheck_runtime::data::matrix_markdown());
            Ok(0)
        }
        Command::RulesDoc => {
            print!("{}", rules_markdown());
            Ok(0)
        }
    }
}

fn parse_platforms(list: &[String]) -> Result<Vec<Platform>> {
    list.iter().filter(|p| !p.trim().is_empty()).map(|p| Platform::parse(p).map_err(anyhow::Error::msg)).collect()
}

/// Verifies one source and adds what it found to the report; with `engines`, also what each
/// engine makes of it.
fn verify_into(
    report: &mut Report,
    source: &str,
    opts: &VerifyOptions,
    engines: &[&'static shipcheck_image::engine::Profile],
) {
    if source.starts_with("docker://") {
        registry::verify_remote_into(report, source, opts, engines);
        return;
    }
    let spec = match SourceSpec::parse(source) {
        Ok(s) => s,
        Err(message) => {
            report.errors.push(InputError { input: source.to_string(), message });
            return;
        }
    };
    // Only files big enough to take a while get a bar; its total is the file's size.
    let size = std::fs::metadata(&spec.path).ok().filter(|m| m.is_file()).map(|m| m.len());
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let _bar = (progress::wanted() && size.is_none_or(|s| s > 64 << 20))
        .then(|| progress::Progress::start(&spec.display, size, counter.clone()));
    let opts = VerifyOptions { progress: Some(counter), ..opts.clone() };
    match shipcheck_image::verify(&spec, &opts) {
        Ok(v) => {
            let mut checked = Checked::new(spec.display.clone(), v.kind.clone(), v.facts.clone());
            if !engines.is_empty() {
                let (table, findings) = shipcheck_image::engine::report(&v, &spec.display, engines);
                checked.tables.push(table);
                report.findings.extend(findings);
            }
            report.checked.push(checked);
            report.findings.extend(v.findings);
        }
        Err(message) => report.errors.push(InputError { input: spec.display.clone(), message }),
    }
}

fn image(args: ImageArgs) -> Result<u8> {
    let config = match &args.config {
        Some(path) => Some(Config::load(path)?),
        None if Path::new(config::FILE_NAME).is_file() => Some(Config::load(Path::new(config::FILE_NAME))?),
        None => None,
    };
    let config = config.unwrap_or_default();
    let platforms =
        if args.platform.is_empty() { parse_platforms(&config.platforms)? } else { parse_platforms(&args.platform)? };
    let opts = VerifyOptions { fast: args.fast, platforms, progress: None };
    let engines = match &args.engine {
        Some(list) => shipcheck_image::engine::select(list).map_err(anyhow::Error::msg)?,
        None => Vec::new(),
    };
    let mut report = Report::new();
    for source in &args.sources {
        verify_into(&mut report, source, &opts, &engines);
    }
    finish(report, &config, &args.output)
}

fn convert(args: ConvertArgs) -> Result<u8> {
    use shipcheck_image::convert::{convert as write_converted, Format, Options};
    let engines: Vec<&'static shipcheck_image::engine::Profile> = if args.engines.is_empty() {
        shipcheck_image::engine::profiles().iter().collect()
    } else {
        shipcheck_image::engine::select(&args.engines).map_err(anyhow::Error::msg)?
    };
    let platform = args.platform.as_deref().map(Platform::parse).transpose().map_err(anyhow::Error::msg)?;
    let spec = SourceSpec::parse(&args.source).map_err(anyhow::Error::msg)?;
    let verified = shipcheck_image::verify(&spec, &VerifyOptions::default()).map_err(anyhow::Error::msg)?;
    let format = match args.to {
        ConvertFormat::DockerArchive => Format::DockerArchive,
        ConvertFormat::OciArchive => Format::OciArchive,
        ConvertFormat::Oci => Format::Oci,
    };
    let opts = Options { format, platform, engines: &engines, keep_attestations: args.keep_attestations };
    let written = write_converted(&spec, &verified, &args.dest, &opts).map_err(anyhow::Error::msg)?;
    // Verify what was written, and what each engine will make of it.
    // A bare path: read by content, index.json and manifest.json both, as engines read it.
    let out = written.path.display().to_string();
    let mut report = Report::new();
    verify_into(&mut report, &out, &VerifyOptions::default(), &engines);
    if let Some(c) = report.checked.last_mut() {
        c.facts.push(("converted_from".into(), spec.display.clone()));
        c.facts.push(("names".into(), if written.names.is_empty() { "-".into() } else { written.names.join(", ") }));
        c.facts.push(("platform".into(), written.platform.clone()));
        c.facts.push(("layers_recompressed".into(), written.recompressed.to_string()));
        c.facts.push(("attestations_dropped".into(), written.dropped_attestations.to_string()));
        c.facts.push(("attestations_kept".into(), written.kept_attestations.to_string()));
    }
    finish(report, &Config::default(), &args.output)
}

fn check(args: CheckArgs) -> Result<u8> {
    let mut report = Report::new();
    let mut failed = false;
    for dir in &args.dirs {
        // Each directory's findings are judged by its own shipcheck.toml only: its [rules] and
        // fail-on never touch another directory's findings.
        let mut part = Report::new();
        let path = dir.join(config::FILE_NAME);
        if !path.is_file() {
            bail!(
                "{} has no {}: expected a directory with a shipcheck.toml (see docs/config.md)",
                dir.display(),
                config::FILE_NAME
            );
        }
        let config = Config::load(&path)?;
        // Every path the config names must stay inside the repository it belongs to.
        let root = shipcheck_core::paths::Root::new(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        let inside = |key: &str, p: &str| config::inside(&root, key, p);
        let defaults = parse_platforms(&config.platforms).with_context(|| format!("in {}", path.display()))?;
        for entry in &config.image {
            let platforms = match &entry.platforms {
                Some(p) => parse_platforms(p).with_context(|| format!("in {}", path.display()))?,
                None => defaults.clone(),
            };
            let opts = VerifyOptions { fast: entry.fast, platforms, progress: None };
            let engines = match &entry.engines {
                Some(list) => shipcheck_image::engine::select(list)
                    .map_err(anyhow::Error::msg)
                    .with_context(|| format!("in {}", path.display()))?,
                None => Vec::new(),
            };
            verify_into(&mut part, &config::rebase_source(&entry.source, &root)?, &opts, &engines);
        }
        if let Some(rt) = &config.runtime {
            refuse_config_exec(&rt.names, &path, args.allow_config_exec)?;
            let recording = rt.from_recording.as_deref().map(|r| inside("[runtime] from-recording", r)).transpose()?;
            let probe = RuntimeProbe {
                names: rt.names.clone(),
                callers: rt.callers.clone(),
                record: None,
                from_recording: recording,
                timeout: std::time::Duration::from_millis(rt.timeout_ms.unwrap_or(2000)),
            };
            runtime_into(&mut part, &probe).with_context(|| format!("in {}", path.display()))?;
        }
        if let Some(d) = &config.diagnose {
            let logs: Vec<String> = d
                .logs
                .iter()
                .map(|l| inside("[diagnose] logs", l).map(|p| p.display().to_string()))
                .collect::<Result<_>>()?;
            let rules: Vec<PathBuf> = d.rules.iter().map(|r| inside("[diagnose] rules", r)).collect::<Result<_>>()?;
            diagnose_into(&mut part, &logs, &rules).with_context(|| format!("in {}", path.display()))?;
        }
        if let Some(p) = &config.package {
            let existing = p.existing.as_deref().map(|e| inside("[package] existing", e)).transpose()?;
            let pdir = p.dir.as_deref().map(|d| inside("[package] dir", d)).transpose()?;
            package_into(&mut part, pdir.as_ref().unwrap_or(dir), p.tag.as_deref(), existing.as_deref())?;
        }
        if let Some(w) = &config.workflows {
            let wdir = w.dir.as_deref().map(|d| inside("[workflows] dir", d)).transpose()?;
            workflows_into(&mut part, wdir.as_ref().unwrap_or(dir))?;
        }
        if let Some(d) = &config.dockerfile {
            let repo = d.repo.as_deref().map(|r| inside("[dockerfile] repo", r)).transpose()?;
            let files: Vec<PathBuf> = d.files.iter().map(|f| inside("[dockerfile] files", f)).collect::<Result<_>>()?;
            dockerfiles_into(&mut part, repo.as_ref().unwrap_or(dir), &files, &d.platforms, d.online)
                .with_context(|| format!("in {}", path.display()))?;
        }
        apply_rule_overrides(&mut part, &config)?;
        let fail_on = fail_on(&args.output, &config)?;
        failed |= part.findings.iter().any(|f| f.severity >= fail_on);
        report.checked.append(&mut part.checked);
        report.findings.append(&mut part.findings);
        report.errors.append(&mut part.errors);
    }
    let unreadable = !report.errors.is_empty();
    render(report, &args.output)?;
    Ok(if unreadable { 2 } else { u8::from(failed) })
}

/// A runtime named by a path in a repository's shipcheck.toml would run whatever the repository
/// (or a pull request to it) put there, so it runs only when the user asked for that. Plain names
/// are still looked up on PATH, which the user controls.
fn refuse_config_exec(names: &[String], config: &Path, allowed: bool) -> Result<()> {
    match names.iter().find(|n| n.contains('/')) {
        Some(name) if !allowed => bail!(
            "{}: [runtime] names `{name}`, a path: shipcheck executes a runtime named by a path in a \
             config only with --allow-config-exec (plain names are looked up on PATH)",
            config.display()
        ),
        _ => Ok(()),
    }
}

/// Checks the packit configuration in `dir`, and the spec file it names.
fn package_into(report: &mut Report, dir: &Path, tag: Option<&str>, existing: Option<&Path>) -> Result<()> {
    use shipcheck_package::{existing as nvrs, packit, spec_check};
    let existing = match existing {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
            Some(nvrs::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?)
        }
        None => None,
    };
    let Some(path) = packit::find(dir) else {
        report.errors.push(InputError {
            input: dir.display().to_string(),
            message: format!("{} has no .packit.yaml, .packit.yml, packit.yaml or packit.yml", dir.display()),
        });
        return Ok(());
    };
    let artifact = path.display().to_string();
    // An unreadable config is an input error; the spec file is still checked.
    let config = match packit::read(&path) {
        Ok(text) => {
            report.findings.extend(packit::check_text(&text, &artifact));
            report.checked.push(Checked::new(artifact, "packit config", Vec::new()));
            text
        }
        Err(message) => {
            report.errors.push(InputError { input: artifact, message });
            String::new()
        }
    };
    let (specfile, template) = packit::spec_and_template(&config);
    let spec = match specfile {
        // specfile_path comes from the repository: it is read only if it stays inside it.
        Some(s) => match shipcheck_core::paths::Root::new(dir).and_then(|root| root.resolve(Path::new(&s))) {
            Err(e) if !e.is_not_found() => {
                report
                    .errors
                    .push(InputError { input: artifact_of_config(dir), message: format!("specfile_path: {e}") });
                return Ok(());
            }
            _ => Some(dir.join(s)),
        },
        None => {
            let specs: Vec<PathBuf> = std::fs::read_dir(dir)
                .map(|d| {
                    d.filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|x| x == "spec"))
                        .collect()
                })
                .unwrap_or_default();
            (specs.len() == 1).then(|| specs[0].clone())
        }
    };
    let Some(spec) = spec else { return Ok(()) };
    let latest = tag.map(String::from).or_else(|| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["describe", "--tags", "--abbrev=0"])
            .output()
            .ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()).filter(|t| !t.is_empty())
    });
    let now = jiff::Zoned::now();
    let today = (i32::from(now.year()), now.month() as u32, now.day() as u32);
    let artifact = spec.display().to_string();
    let release = spec_check::Release { tag: latest.as_deref(), template: &template };
    let text = match spec_check::read(&spec) {
        Ok(text) => text,
        Err(message) => {
            report.errors.push(InputError { input: artifact, message });
            return Ok(());
        }
    };
    report.findings.extend(spec_check::check_text(&text, &artifact, &release, today));
    if let (Some(existing), Some((name, evr))) = (&existing, spec_check::built(&text)) {
        report.findings.extend(nvrs::check(&artifact, &name, &evr, existing));
    }
    // Against the repository's history, when DIR is the root of a git checkout (a directory
    // inside another project's checkout, like the bundled examples, has no history of its own).
    let top = git_lines(dir, &["rev-parse", "--show-toplevel"]).and_then(|l| l.first().map(PathBuf::from));
    let is_root = top.zip(dir.canonicalize().ok()).is_some_and(|(t, d)| t.canonicalize().ok() == Some(d));
    if !is_root {
        let facts = latest.map(|t| vec![("tag".to_string(), t)]).unwrap_or_default();
        report.checked.push(Checked::new(artifact, "rpm spec", facts));
        return Ok(());
    }
    let tags = git_lines(
        dir,
        &["for-each-ref", "--sort=-creatordate", "--count=10000", "--format=%(refname:short)", "refs/tags"],
    );
    if let Some(tags) = &tags {
        let (include, exclude, line) = shipcheck_package::packit::tag_filters(&config);
        let config_artifact = packit::find(dir).map(|p| p.display().to_string()).unwrap_or_default();
        let at = match line {
            Some(l) => shipcheck_report::Subject::position(&config_artifact, l as u32, None),
            None => shipcheck_report::Subject::whole(&config_artifact),
        };
        let rules = shipcheck_package::history::TagRules {
            template: &template,
            include: include.as_deref(),
            exclude: exclude.as_deref(),
        };
        report.findings.extend(shipcheck_package::history::check_tags(tags, &rules, at));
    }
    if let (Some(parent), Some(file)) = (spec.parent(), spec.file_name().and_then(|f| f.to_str())) {
        let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
        let commits = git_lines(parent, &["log", "-n", "50", "--format=%H", "--", file]).unwrap_or_default();
        let version_of = |t: &str| shipcheck_package::spec::parse(t).tag("version").map(String::from);
        let current = version_of(&text);
        let mut history = Vec::new();
        for c in commits {
            let Some(lines) = git_lines(parent, &["show", &format!("{c}:./{file}")]) else { break };
            let old = lines.join("\n");
            // The walk ends at the first commit with another version: nothing older matters.
            let other = version_of(&old) != current;
            history.push((c.chars().take(12).collect::<String>(), old));
            if other {
                break;
            }
        }
        report.findings.extend(shipcheck_package::history::check_release_reset(&text, &history, &artifact));
    }
    let facts = latest.map(|t| vec![("tag".to_string(), t)]).unwrap_or_default();
    report.checked.push(Checked::new(artifact, "rpm spec", facts));
    Ok(())
}

/// The packit config's path as findings name it, for errors about what it says.
fn artifact_of_config(dir: &Path) -> String {
    shipcheck_package::packit::find(dir).map_or_else(|| dir.display().to_string(), |p| p.display().to_string())
}

/// The output lines of a git command run in `dir`; `None` when git fails (not a checkout).
fn git_lines(dir: &Path, args: &[&str]) -> Option<Vec<String>> {
    let out = std::process::Command::new("git").arg("-C").arg(dir).args(args).output().ok()?;
    if !out.status.success() || out.stdout.len() > 16 << 20 {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect())
}

/// Checks the workflows of the repository at `dir`.
fn workflows_into(report: &mut Report, dir: &Path) -> Result<shipcheck_workflow::workflow::Analysis> {
    if !dir.is_dir() {
        bail!("{} is not a directory: expected a repository root", dir.display());
    }
    let (analysis, findings, unreadable) = shipcheck_workflow::check_workflows(dir);
    for (input, message) in unreadable {
        report.errors.push(InputError { input, message });
    }
    for w in &analysis.workflows {
        let builds = analysis.builds.iter().filter(|b| b.workflow == w.artifact).count();
        let facts =
            vec![("triggers".to_string(), w.events.join(", ")), ("image_builds".to_string(), builds.to_string())];
        report.checked.push(Checked::new(w.artifact.clone(), "workflow", facts));
    }
    report.findings.extend(findings);
    Ok(analysis)
}

/// Checks Dockerfiles (default: all in `repo`) against what the repository builds them for.
fn dockerfiles_into(
    report: &mut Report,
    repo: &Path,
    files: &[PathBuf],
    platforms: &[String],
    online: bool,
) -> Result<()> {
    use shipcheck_workflow::{build_contexts, check_dockerfile, dockerfile_check::Context, platform};
    let explicit: Vec<String> = platforms
        .iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| platform::normalize(p).with_context(|| format!("{p:?} is not a platform: expected os/arch[/variant]")))
        .collect::<Result<_>>()?;
    let contexts = if explicit.is_empty() && repo.join(".github/workflows").is_dir() {
        build_contexts(&shipcheck_workflow::workflow::analyze(&shipcheck_workflow::repo::Repo::new(repo)))
    } else {
        Default::default()
    };
    let paths: Vec<PathBuf> = if files.is_empty() {
        shipcheck_workflow::find_dockerfiles(repo).into_iter().map(|r| repo.join(r)).collect()
    } else {
        files.to_vec()
    };
    if paths.is_empty() && files.is_empty() {
        report.errors.push(InputError {
            input: repo.display().to_string(),
            message: format!("{} has no Dockerfile or Containerfile", repo.display()),
        });
    }
    for path in paths {
        let artifact = path.display().to_string();
        let ctx = if !explicit.is_empty() {
            Context { platforms: Some(explicit.clone()), source: Some("--platform".into()) }
        } else {
            let rel =
                path.strip_prefix(repo).ok().and_then(|r| r.to_str()).and_then(shipcheck_workflow::repo::Repo::clean);
            rel.and_then(|r| contexts.get(&r.to_ascii_lowercase()).cloned()).unwrap_or_default()
        };
        match check_dockerfile(&path, &artifact, &ctx) {
            Ok((findings, bases)) => {
                let mut facts =
                    ctx.platforms.map(|p| vec![("built_for".to_string(), p.join(", "))]).unwrap_or_default();
                let (missing, unchecked) = check_bases(&artifact, &bases, online);
                report.findings.extend(missing);
                if !unchecked.is_empty() {
                    facts.push(("base_images_unchecked".to_string(), unchecked.join("; ")));
                }
                report.checked.push(Checked::new(artifact, "dockerfile", facts));
                report.findings.extend(findings);
            }
            Err(message) => report.errors.push(InputError { input: artifact, message }),
        }
    }
    Ok(())
}

/// Checks base images in their registries (`online`), or lists the ones that matter as unchecked:
/// those that must provide more than linux/amd64, which nearly every base image has.
fn check_bases(
    artifact: &str,
    bases: &[shipcheck_workflow::dockerfile_check::BaseImage],
    online: bool,
) -> (Vec<shipcheck_report::Finding>, Vec<String>) {
    use shipcheck_workflow::dockerfile_check::missing_base_platforms;
    let mut findings = Vec::new();
    let mut unchecked = Vec::new();
    if !online {
        let relevant = bases.iter().filter(|b| b.needed.iter().any(|p| p != "linux/amd64"));
        unchecked.extend(relevant.map(|b| format!("{} (offline)", b.image)));
        return (findings, unchecked);
    }
    let client = shipcheck_registry::Client::default();
    for base in bases {
        let available = shipcheck_registry::Reference::parse(&base.image)
            .map_err(|e| e.to_string())
            .and_then(|r| client.platforms(&r).map_err(|e| e.to_string()));
        match available {
            Ok(list) => findings.extend(missing_base_platforms(artifact, base, &list)),
            Err(why) => unchecked.push(format!("{}: {why}", base.image)),
        }
    }
    (findings, unchecked)
}

/// Diagnoses each log (a directory's files in name order) and adds the findings.
fn diagnose_into(report: &mut Report, logs: &[String], rules: &[PathBuf]) -> Result<()> {
    use shipcheck_triage::{input, kb::Kb};
    let mut extra = Vec::new();
    for r in rules {
        let text = std::fs::read_to_string(r).with_context(|| format!("cannot read rules file {}", r.display()))?;
        extra.push((r.display().to_string(), text));
    }
    let kb = Kb::load(&extra).map_err(anyhow::Error::msg)?;
    for log in logs {
        let files = if log == "-" {
            vec!["-".to_string()]
        } else {
            match input::expand(Path::new(log)) {
                Ok(f) => f.into_iter().map(|p| p.display().to_string()).collect(),
                Err(message) => {
                    report.errors.push(InputError { input: log.clone(), message });
                    continue;
                }
            }
        };
        for file in files {
            match input::diagnose_path(&kb, &file) {
                Ok((checked, findings)) => {
                    report.checked.push(checked);
                    report.findings.extend(findings);
                }
                Err(message) => report.errors.push(InputError { input: file, message }),
            }
        }
    }
    Ok(())
}

/// What `shipcheck runtime` (or `[runtime]` in shipcheck.toml) asks for.
struct RuntimeProbe {
    names: Vec<String>,
    callers: Vec<String>,
    record: Option<PathBuf>,
    from_recording: Option<PathBuf>,
    timeout: std::time::Duration,
}

fn runtime(args: RuntimeArgs) -> Result<u8> {
    let probe = RuntimeProbe {
        names: args.runtimes,
        callers: args.callers,
        record: args.record,
        from_recording: args.from_recording,
        timeout: std::time::Duration::from_millis(args.timeout),
    };
    let mut report = Report::new();
    runtime_into(&mut report, &probe)?;
    finish(report, &Config::default(), &args.output)
}

/// Probes (or replays), optionally records, and checks; adds the results to `report`.
fn runtime_into(report: &mut Report, p: &RuntimeProbe) -> Result<()> {
    use shipcheck_runtime::{check, data, discover, observe, probe};
    let callers = if p.callers.is_empty() {
        data::callers().iter().map(|c| data::CallerSpec::parse(c)).collect::<Result<Vec<_>, _>>()
    } else {
        p.callers.iter().map(|c| data::CallerSpec::parse(c)).collect()
    }
    .map_err(anyhow::Error::msg)?;
    let observations = match &p.from_recording {
        Some(dir) => observe::load_all(dir).map_err(anyhow::Error::msg)?,
        None => {
            let path_env = std::env::var_os("PATH").unwrap_or_default();
            let mut bins = Vec::new();
            if p.names.is_empty() {
                for c in discover::candidates(Path::new("/"), &path_env) {
                    bins.push((c.name, c.path));
                }
                if bins.is_empty() {
                    report.errors.push(InputError {
                        input: "runtime".into(),
                        message: "no OCI runtime found: none of runc, crun, youki, runsc, krun is on PATH, and no engine config names one".into(),
                    });
                    return Ok(());
                }
            }
            for name in &p.names {
                match discover::which(name, &path_env) {
                    Some(path) => bins.push((name.rsplit('/').next().unwrap_or(name).to_string(), path)),
                    None => report.errors.push(InputError {
                        input: name.clone(),
                        message: format!(
                            "`{name}` is not an executable on PATH or at that path: expected an OCI runtime binary"
                        ),
                    }),
                }
            }
            probe::observe(&bins, &data::probe_lines(), p.timeout)
        }
    };
    if let Some(dir) = &p.record {
        for o in &observations {
            let sub = dir.join(o.name.replace('/', "_"));
            observe::save(o, &sub).with_context(|| format!("cannot write recording {}", sub.display()))?;
        }
    }
    for o in &observations {
        let (checked, findings) = check::check(o, &callers);
        report.checked.push(checked);
        report.findings.extend(findings);
    }
    Ok(())
}

/// Applies `[rules]` from shipcheck.toml: a severity, or `off` to drop the rule's findings.
fn apply_rule_overrides(report: &mut Report, config: &Config) -> Result<()> {
    let known = all_rules();
    for (id, level) in &config.rules {
        if !known.iter().any(|r| r.id == id) {
            bail!("[rules] names unknown rule `{id}`: run `shipcheck explain` for the list");
        }
        if level == "off" {
            report.findings.retain(|f| f.rule.id != id);
            continue;
        }
        let severity: Severity = level.parse().map_err(|e: String| anyhow::anyhow!("[rules] `{id}`: {e}, or off"))?;
        for f in report.findings.iter_mut().filter(|f| f.rule.id == id) {
            f.severity = severity;
        }
    }
    Ok(())
}

/// Applies the config's rule overrides, renders, and returns the exit status for its fail-on.
fn finish(mut report: Report, config: &Config, out: &OutputArgs) -> Result<u8> {
    apply_rule_overrides(&mut report, config)?;
    let fail_on = fail_on(out, config)?;
    let code = report.exit_code(fail_on) as u8;
    render(report, out)?;
    Ok(code)
}

/// The lowest failing severity: the flag, else the config's `fail-on`, else error.
fn fail_on(out: &OutputArgs, config: &Config) -> Result<Severity> {
    Ok(match (out.fail_on, &config.fail_on) {
        (Some(s), _) => s.into(),
        (None, Some(s)) => s.parse().map_err(|e: String| anyhow::anyhow!("fail-on in shipcheck.toml: {e}"))?,
        (None, None) => Severity::Error,
    })
}

/// Sorts and writes the report in the chosen format.
fn render(mut report: Report, out: &OutputArgs) -> Result<()> {
    report.sort();
    let format = match out.format {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Github => Format::Github,
    };
    output::write(&report, format, out.color_for(out.output.is_none()), out.output.as_deref())
}

impl OutputArgs {
    fn color_for(&self, to_stdout: bool) -> bool {
        use std::io::IsTerminal;
        match self.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => to_stdout && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }
}

fn explain(rule: Option<&str>) -> Result<u8> {
    let rules = all_rules();
    match rule {
        None => {
            let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
            for r in &rules {
                println!("{:<width$}  {:<7}  {}", r.id, r.severity.as_str(), r.summary);
            }
            Ok(0)
        }
        Some(id) => match rules.iter().find(|r| r.id == id) {
            Some(r) => {
                println!("# {}\n\nDefault severity: {}. {}.\n\n{}", r.id, r.severity, r.summary, doc_text(r.doc));
                Ok(0)
            }
            None => {
                // A typo in the whole ID, or the right name in the wrong (or no) area.
                let ids = rules.iter().map(|r| r.id);
                let near: Vec<&str> = match shipcheck_core::suggest::did_you_mean(id, ids) {
                    Some(hit) => vec![hit],
                    None => {
                        rules.iter().map(|r| r.id).filter(|r| r.rsplit('/').next() == id.rsplit('/').next()).collect()
                    }
                };
                let hint = if near.is_empty() {
                    "run `shipcheck explain` for the list".to_string()
                } else {
                    format!("did you mean {}?", near.join(", "))
                };
                bail!("unknown rule `{id}`: {hint}")
            }
        },
    }
}

/// docs/rules.md: every rule's doc, grouped by area. A test fails when the committed file differs.
fn rules_markdown() -> String {
    let mut out = String::from("# Rules reference\n\n<!-- Generated by `shipcheck rules-doc` from the rules' doc comments. Do not edit. -->\n\n");
    out.push_str("| Rule | Default severity | Summary |\n|---|---|---|\n");
    for r in all_rules() {
        out.push_str(&format!("| [`{}`](#{}) | {} | {} |\n", r.id, r.id.replace('/', ""), r.severity, r.summary));
    }
    for r in all_rules() {
        let body = doc_text(r.doc).replace("\n## ", "\n### ");
        let body = body.strip_prefix("## ").map(|b| format!("### {b}")).unwrap_or(body);
        out.push_str(&format!("\n## {}\n\nDefault severity: **{}**. {}.\n\n{}", r.id, r.severity, r.summary, body));
    }
    out
}
