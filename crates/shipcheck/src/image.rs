//! `shipcheck image` and `shipcheck convert`: verify sources, predict engines, write the portable form.

use std::path::Path;

use anyhow::Result;
use shipcheck_image::platform::Platform;
use shipcheck_image::{SourceSpec, VerifyOptions};
use shipcheck_report::{Checked, InputError, Report, Settings};

use crate::args::*;
use crate::config::{self, Config};
use crate::output::finish;

use crate::{progress, registry};

pub(crate) fn parse_platforms(list: &[String]) -> Result<Vec<Platform>> {
    list.iter().filter(|p| !p.trim().is_empty()).map(|p| Platform::parse(p).map_err(anyhow::Error::msg)).collect()
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
    if source.starts_with("docker://") {
        registry::verify_remote_into(report, source, opts, engines, settings);
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

pub(crate) fn image(args: ImageArgs) -> Result<u8> {
    let config = match &args.config {
        Some(path) => Some(Config::load(path)?),
        None if Path::new(config::FILE_NAME).is_file() => Some(Config::load(Path::new(config::FILE_NAME))?),
        None => None,
    };
    let config = config.unwrap_or_default();
    let platforms =
        if args.platform.is_empty() { parse_platforms(&config.platforms)? } else { parse_platforms(&args.platform)? };
    let opts = VerifyOptions { fast: args.fast, platforms, progress: None, limits: args.limits.limits() };
    let engines = match &args.engine {
        Some(list) => shipcheck_image::engine::select(list).map_err(anyhow::Error::msg)?,
        None => Vec::new(),
    };
    let mut report = Report::new();
    for source in &args.sources {
        verify_into(&mut report, source, &opts, &engines, &Settings::default());
    }
    finish(report, &config, &args.output)
}

pub(crate) fn convert(args: ConvertArgs) -> Result<u8> {
    use shipcheck_image::convert::{convert_with, Format, Options, WriteOptions};
    let engines: Vec<&'static shipcheck_image::engine::Profile> = if args.engines.is_empty() {
        shipcheck_image::engine::profiles().iter().collect()
    } else {
        shipcheck_image::engine::select(&args.engines).map_err(anyhow::Error::msg)?
    };
    let platform = args.platform.as_deref().map(Platform::parse).transpose().map_err(anyhow::Error::msg)?;
    let spec = SourceSpec::parse(&args.source).map_err(anyhow::Error::msg)?;
    let read = VerifyOptions { limits: args.limits.limits(), ..VerifyOptions::default() };
    let verified = shipcheck_image::verify(&spec, &read).map_err(anyhow::Error::msg)?;
    let format = match args.to {
        ConvertFormat::DockerArchive => Format::DockerArchive,
        ConvertFormat::OciArchive => Format::OciArchive,
        ConvertFormat::Oci => Format::Oci,
    };
    let opts = Options { format, platform, engines: &engines, keep_attestations: args.keep_attestations };
    let write =
        WriteOptions { overwrite: args.overwrite, temp_limit: args.temp_limit.map(|m| m.saturating_mul(1 << 20)) };
    let written = convert_with(&spec, &verified, &args.dest, &opts, &write).map_err(anyhow::Error::msg)?;
    // Verify what was written, and what each engine will make of it.
    // A bare path: read by content, index.json and manifest.json both, as engines read it.
    let out = written.path.display().to_string();
    let mut report = Report::new();
    verify_into(&mut report, &out, &read, &engines, &Settings::default());
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
