//! `shipcheck runtime`: probe (or replay) OCI runtimes and check them against their callers.

use std::path::PathBuf;

use anyhow::{Context, Result};
use shipcheck_report::{Domain, Report, Settings};
use shipcheck_runtime::check::Input;
use shipcheck_runtime::data::CallerSpec;
use shipcheck_runtime::{observe, probe, Runtimes};

use crate::args::*;
use crate::output::finish;

/// What `shipcheck runtime` (or `[runtime]` in shipcheck.toml) asks for.
pub(crate) struct RuntimeProbe {
    pub(crate) names: Vec<String>,
    pub(crate) callers: Vec<String>,
    pub(crate) record: Option<PathBuf>,
    pub(crate) from_recording: Option<PathBuf>,
    pub(crate) timeout: std::time::Duration,
}

pub(crate) fn runtime(args: RuntimeArgs) -> Result<u8> {
    let probe = RuntimeProbe {
        names: args.runtimes,
        callers: args.callers,
        record: args.record,
        from_recording: args.from_recording,
        timeout: std::time::Duration::from_millis(args.timeout),
    };
    let (config, settings) = crate::output::configured(&args.output)?;
    let mut report = Report::new();
    runtime_into(&mut report, &probe, &settings)?;
    finish(report, &config, &args.output)
}

/// Probes (or replays), optionally records, and checks; adds the results to `report`.
pub(crate) fn runtime_into(report: &mut Report, p: &RuntimeProbe, settings: &Settings) -> Result<()> {
    let callers = CallerSpec::parse_all(&p.callers)?;
    let observations = match &p.from_recording {
        Some(dir) => observe::load_all(dir)?,
        None => {
            let live = probe::live(&p.names, &std::env::var_os("PATH").unwrap_or_default(), p.timeout);
            report.errors.extend(live.errors);
            report.looked.extend(live.looked);
            live.observations
        }
    };
    if let Some(dir) = &p.record {
        for o in &observations {
            let sub = dir.join(o.name.replace('/', "_"));
            observe::save(o, &sub).with_context(|| format!("cannot write recording {}", sub.display()))?;
        }
    }
    Runtimes::check(&Input { observations, callers }, settings, report)?;
    Ok(())
}
