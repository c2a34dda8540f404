//! Baselines: the findings a repository already had when it adopted shipcheck, kept by stable
//! fingerprint (`shipcheck_report::fingerprint`, contract v1), so that only new findings are
//! reported and fail the run. `--write-baseline FILE` records what the run found;
//! `--baseline FILE` leaves out what the file holds.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use shipcheck_report::fingerprint::{fingerprints, SARIF_KEY};
use shipcheck_report::Report;

/// The version of this file's format.
const VERSION: &str = "shipcheck-baseline/v1";
/// A baseline larger than this is not a baseline.
const MAX_SIZE: u64 = 16 << 20;

#[derive(Serialize, Deserialize)]
struct File {
    version: String,
    /// The fingerprint contract the keys were made with.
    fingerprint: String,
    /// Fingerprint (repeats of one numbered `…:2`) → what it was, for a reader of the file.
    findings: BTreeMap<String, Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    rule: String,
    artifact: String,
}

/// Writes every finding of `report` to `path` as a baseline; returns how many.
pub(crate) fn write(report: &Report, path: &Path) -> Result<usize> {
    let mut findings = BTreeMap::new();
    for (fp, f) in fingerprints(report).into_iter().zip(&report.findings) {
        findings.insert(fp, Entry { rule: f.rule.id.to_string(), artifact: f.subject.artifact.clone() });
    }
    let n = findings.len();
    let file = File { version: VERSION.into(), fingerprint: SARIF_KEY.into(), findings };
    crate::output::write_file(path, |w| {
        serde_json::to_writer_pretty(&mut *w, &file).map_err(std::io::Error::other)?;
        w.write_all(b"\n")
    })?;
    Ok(n)
}

/// Leaves out of `report` the findings `path` holds; returns how many were left out.
pub(crate) fn apply(report: &mut Report, path: &Path) -> Result<usize> {
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read the baseline {}", path.display()))?;
    if !meta.is_file() || meta.len() > MAX_SIZE {
        bail!("{} is not a baseline: expected a file under 16 MiB written by --write-baseline", path.display());
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the baseline {}", path.display()))?;
    let file: File = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a baseline written by --write-baseline", path.display()))?;
    if file.version != VERSION || file.fingerprint != SARIF_KEY {
        bail!(
            "{} is a baseline of {} with {} fingerprints: expected {VERSION} with {SARIF_KEY}; write it again with --write-baseline",
            path.display(),
            file.version,
            file.fingerprint
        );
    }
    // Numbered in report order, so the order must be the one the baseline was written in.
    report.sort();
    let keep: Vec<bool> = fingerprints(report).iter().map(|fp| !file.findings.contains_key(fp)).collect();
    let before = report.findings.len();
    let mut keep = keep.into_iter();
    report.findings.retain(|_| keep.next().unwrap_or(true));
    Ok(before - report.findings.len())
}

/// The baseline step of every command, after rule settings and inline ignores: writes the
/// baseline `--write-baseline` names (and then leaves those findings out, so adopting exits 0),
/// or leaves out what `--baseline` holds. Says on stderr what it did.
pub(crate) fn settle(report: &mut Report, out: &crate::args::OutputArgs) -> Result<()> {
    report.sort();
    let path = match (&out.write_baseline, &out.baseline) {
        (Some(path), _) => {
            let n = write(report, path)?;
            eprintln!("shipcheck: wrote {n} findings to the baseline {}", path.display());
            path
        }
        (None, Some(path)) => path,
        (None, None) => return Ok(()),
    };
    let n = apply(report, path)?;
    if n > 0 {
        eprintln!("shipcheck: {n} findings in the baseline {} are not shown", path.display());
    }
    Ok(())
}
