//! `shipcheck runtime`: probe (or replay) OCI runtimes and check them against their callers.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use shipcheck_report::{InputError, Report, Settings};

use crate::args::*;
use crate::config::Config;
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
    let mut report = Report::new();
    runtime_into(&mut report, &probe, &Settings::default())?;
    finish(report, &Config::default(), &args.output)
}

/// Probes (or replays), optionally records, and checks; adds the results to `report`.
pub(crate) fn runtime_into(report: &mut Report, p: &RuntimeProbe, settings: &Settings) -> Result<()> {
    let enabled = |id: &str| settings.enabled(id);
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
                    report.looked.push(
                        "PATH (runc, crun, youki, runsc, krun) and the Docker, containerd, Podman and CRI-O configs"
                            .into(),
                    );
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
        let (checked, findings) = check::check_enabled(o, &callers, &enabled);
        report.checked.push(checked);
        report.findings.extend(findings);
    }
    Ok(())
}
