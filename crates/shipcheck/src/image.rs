//! `shipcheck image` and `shipcheck convert`: verify sources, predict engines, write the portable form.

use std::convert::Infallible;

use anyhow::Result;
use shipcheck_image::platform::Platform;
use shipcheck_image::{SourceSpec, VerifyOptions};
use shipcheck_report::{Checked, Domain, InputError, Report, Rule, Settings};

use crate::args::*;
use crate::output::finish;

use crate::{progress, registry};

pub(crate) fn parse_platforms(list: &[String]) -> Result<Vec<Platform>> {
    list.iter().filter(|p| !p.trim().is_empty()).map(|p| Platform::parse(p).map_err(anyhow::Error::msg)).collect()
}

/// One image source to check, as `shipcheck image` and `[[image]]` in shipcheck.toml name it:
/// a path, `oci:DIR`, `oci-archive:FILE`, `docker-archive:FILE` or `docker://REF`.
pub(crate) struct ImageSource {
    pub(crate) source: String,
    pub(crate) opts: VerifyOptions,
    /// With engines, also what each of them makes of it (the `engines` table).
    pub(crate) engines: Vec<&'static shipcheck_image::engine::Profile>,
}

/// The image domain: a source verified with the rules the settings enable.
pub(crate) struct Images;

use shipcheck_image::rules::truncated_archive;

impl Domain for Images {
    type Input = ImageSource;
    /// A source that cannot be read at all is an error of the report (the other sources are
    /// still checked), not of the check.
    type Error = Infallible;

    fn rules() -> &'static [&'static Rule] {
        shipcheck_image::rules::ALL
    }

    fn check(input: &ImageSource, settings: &Settings, report: &mut Report) -> Result<(), Infallible> {
        let (source, engines) = (input.source.as_str(), input.engines.as_slice());
        if source.starts_with("docker://") {
            registry::verify_remote_into(report, source, &input.opts, engines, settings);
            return Ok(());
        }
        let spec = match SourceSpec::parse(source) {
            Ok(s) => s,
            Err(e) => {
                report.errors.push(InputError { input: source.to_string(), message: e.to_string() });
                return Ok(());
            }
        };
        // Only files big enough to take a while get a bar; its total is the file's size.
        let size = std::fs::metadata(&spec.path).ok().filter(|m| m.is_file()).map(|m| m.len());
        let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let _bar = (progress::wanted() && size.is_none_or(|s| s > 64 << 20))
            .then(|| progress::Progress::start(&spec.display, size, counter.clone()));
        let opts = VerifyOptions { progress: Some(counter), ..input.opts.clone() };
        match shipcheck_image::verify::verify_with(&spec, &opts, &|id| settings.enabled(id)) {
            Ok(v) => {
                let mut checked = Checked::new(spec.display.clone(), v.kind.clone(), v.facts.clone());
                if !engines.is_empty() {
                    let engine_report = shipcheck_image::engine::report(&v, &spec.display, engines);
                    add_engines(&mut checked, report, settings, engine_report);
                }
                report.checked.push(checked);
                report.findings.extend(v.findings);
            }
            Err(e) => match e.broken() {
                // Damaged bytes are a finding, with each engine's refusal; an archive that
                // cannot be read at all (permissions, I/O) or is named wrongly is an input error.
                Some(broken) if settings.enabled(truncated_archive::RULE.id) => {
                    let mut checked = Checked::new(spec.display.clone(), "damaged archive".to_string(), Vec::new());
                    if !engines.is_empty() {
                        let engine_report = shipcheck_image::engine::report_broken(&broken, &spec.display, engines);
                        add_engines(&mut checked, report, settings, engine_report);
                    }
                    report.checked.push(checked);
                    report.findings.push(truncated_archive::broken_archive(&spec.display, &broken));
                }
                _ => report.errors.push(InputError { input: spec.display.clone(), message: e.to_string() }),
            },
        }
        Ok(())
    }
}

/// The engines table goes with the input; its findings the settings enable, with the report's.
pub(crate) fn add_engines(
    checked: &mut Checked,
    report: &mut Report,
    settings: &Settings,
    (table, mut findings): (shipcheck_report::Table, Vec<shipcheck_report::Finding>),
) {
    findings.retain(|f| settings.enabled(f.rule.id));
    checked.tables.push(table);
    report.findings.extend(findings);
}

/// Verifies one source and adds what it found to the report; with `engines`, also what each
/// engine makes of it.
pub(crate) fn verify_into(
    report: &mut Report,
    source: &str,
    opts: &VerifyOptions,
    engines: &[&'static shipcheck_image::engine::Profile],
    settings: &Settings,
) {
    let input = ImageSource { source: source.to_string(), opts: opts.clone(), engines: engines.to_vec() };
    let Ok(()) = Images::check(&input, settings, report);
}

/// `--engine` takes any number of values, so `image --engine app.tar` hands it the source:
/// a value that is no engine profile but names a path or a transport is a source.
fn sources_after_engine(args: &mut ImageArgs) -> Result<()> {
    if let Some(list) = args.engine.as_mut() {
        // Engine specs never hold a `/`; a path with a typo still reads as one, so that it
        // fails as a path that cannot be opened, not as an unknown engine.
        let is_source = |v: &String| {
            let path = std::path::Path::new(v);
            shipcheck_image::engine::select(std::slice::from_ref(v)).is_err()
                && (path.exists()
                    || v.contains('/')
                    || shipcheck_image::verify::named_as_archive(path)
                    || ["oci:", "oci-archive:", "docker-archive:", "docker://"].iter().any(|t| v.starts_with(t)))
        };
        let (sources, engines): (Vec<String>, Vec<String>) = list.drain(..).partition(is_source);
        *list = engines;
        args.sources.extend(sources);
    }
    if args.sources.is_empty() {
        anyhow::bail!(
            "no SOURCE given: expected an image archive, an OCI layout or a docker:// reference \
             (shipcheck image SOURCE… [--engine E,…])"
        );
    }
    Ok(())
}

pub(crate) fn image(mut args: ImageArgs) -> Result<u8> {
    sources_after_engine(&mut args)?;
    let (config, settings) = crate::output::configured(&args.output)?;
    let platforms =
        if args.platform.is_empty() { parse_platforms(&config.platforms)? } else { parse_platforms(&args.platform)? };
    let opts = VerifyOptions { fast: args.fast, platforms, progress: None, limits: args.limits.limits(&config) };
    let engines = match &args.engine {
        Some(list) => shipcheck_image::engine::select(list)?,
        None => Vec::new(),
    };
    if args.sources.iter().any(|s| s.starts_with("docker://")) {
        let tls = args.tls.options();
        registry::warn_if_unverified(&tls);
        registry::set_remote_tls(tls);
    }
    let mut report = Report::new();
    for source in &args.sources {
        verify_into(&mut report, source, &opts, &engines, &settings);
    }
    finish(report, &config, &args.output)
}

pub(crate) fn convert(args: ConvertArgs) -> Result<u8> {
    use shipcheck_image::convert::{convert_with, Options, WriteOptions};
    // Read before anything is written: a broken shipcheck.toml stops the command here.
    let (config, settings) = crate::output::configured(&args.output)?;
    let engines: Vec<&'static shipcheck_image::engine::Profile> = if args.engines.is_empty() {
        shipcheck_image::engine::profiles().iter().collect()
    } else {
        shipcheck_image::engine::select(&args.engines)?
    };
    let platform = args.platform.as_deref().map(Platform::parse).transpose().map_err(anyhow::Error::msg)?;
    let spec = SourceSpec::parse(&args.source)?;
    let read = VerifyOptions { limits: args.limits.limits(&config), ..VerifyOptions::default() };
    let verified = shipcheck_image::verify(&spec, &read).map_err(anyhow::Error::msg)?;
    let (format, dest) = convert_dest(&args.dest, args.to)?;
    let opts = Options { format, platform, engines: &engines, keep_attestations: args.keep_attestations };
    let write =
        WriteOptions { overwrite: args.overwrite, temp_limit: args.temp_limit.map(|m| m.saturating_mul(1 << 20)) };
    let written = convert_with(&spec, &verified, &dest, &opts, &write)?;
    // Verify what was written, and what each engine will make of it.
    // A bare path: read by content, index.json and manifest.json both, as engines read it.
    let out = written.path.display().to_string();
    let mut report = Report::new();
    verify_into(&mut report, &out, &read, &engines, &settings);
    if let Some(c) = report.checked.last_mut() {
        c.facts.push(("converted_from".into(), spec.display.clone()));
        c.facts.push(("names".into(), if written.names.is_empty() { "-".into() } else { written.names.join(", ") }));
        c.facts.push(("platform".into(), written.platform.clone()));
        c.facts.push(("layers_recompressed".into(), written.recompressed.to_string()));
        c.facts.push(("attestations_dropped".into(), written.dropped_attestations.to_string()));
        c.facts.push(("attestations_kept".into(), written.kept_attestations.to_string()));
    }
    finish(report, &config, &args.output)
}

/// What `convert` writes and where: DEST's transport prefix (`docker-archive:`, `oci-archive:`,
/// `oci:`) or `--to`, which must agree when both are given; docker-archive by default.
fn convert_dest(
    dest: &str,
    to: Option<ConvertFormat>,
) -> Result<(shipcheck_image::convert::Format, std::path::PathBuf)> {
    use shipcheck_image::convert::Format;
    let prefixes = [
        ("docker-archive:", ConvertFormat::DockerArchive),
        ("oci-archive:", ConvertFormat::OciArchive),
        ("oci:", ConvertFormat::Oci),
    ];
    let (named, path) = match prefixes.iter().find_map(|(p, f)| dest.strip_prefix(p).map(|rest| (*f, rest))) {
        Some((f, rest)) => (Some(f), rest),
        None => (None, dest),
    };
    let chosen = match (named, to) {
        (Some(a), Some(b)) if a != b => {
            anyhow::bail!("DEST {dest} names {} but --to says {}: give one", a.name(), b.name())
        }
        (a, b) => a.or(b).unwrap_or(ConvertFormat::DockerArchive),
    };
    if path.is_empty() {
        anyhow::bail!("DEST {dest} names no path: expected {}PATH", dest);
    }
    let format = match chosen {
        ConvertFormat::DockerArchive => Format::DockerArchive,
        ConvertFormat::OciArchive => Format::OciArchive,
        ConvertFormat::Oci => Format::Oci,
    };
    Ok((format, std::path::PathBuf::from(path)))
}
