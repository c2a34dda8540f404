//! Log inputs: files (plain or gzip, by content), `-` for stdin, and directories such as an
//! unpacked GitHub Actions log archive (one file per step), read in name order.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use shipcheck_report::{Checked, Finding};

use crate::kb::Kb;
use crate::redact::redact;
use crate::scan;

/// Most files read from one directory.
pub const MAX_FILES: usize = 10_000;

/// Why a log, a log directory or an accuracy list could not be read; each names the path.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("cannot open {path}: {error}")]
    Open { path: String, error: io::Error },
    #[error("{path} is neither a file nor a directory: expected a CI log")]
    NotFileOrDirectory { path: String },
    #[error("cannot read {path}: {error}")]
    ReadDirectory { path: String, error: io::Error },
    #[error("{path} holds more than {MAX_FILES} files: expected a CI log directory")]
    TooManyFiles { path: String },
    #[error("{path} holds no files: expected CI log files")]
    NoFiles { path: String },
    /// Reading or decompressing the log failed part way; the message is redacted, as an I/O
    /// error may quote what it read.
    #[error("{message}")]
    Read { message: String },
    #[error("cannot read {dir}/expected.tsv: {error}")]
    Expected { dir: String, error: io::Error },
    #[error("expected.tsv: `{line}` is not `log<TAB>class`")]
    ExpectedLine { line: String },
}

/// Every log file a path names: itself, or the regular files below it, sorted.
pub fn expand(path: &Path) -> Result<Vec<PathBuf>, LogError> {
    let shown = || path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|error| LogError::Open { path: shown(), error })?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if !meta.is_dir() {
        return Err(LogError::NotFileOrDirectory { path: shown() });
    }
    let mut files = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|error| LogError::ReadDirectory { path: dir.display().to_string(), error })?;
        for e in entries.flatten() {
            let ft = match e.file_type() {
                Ok(t) => t,
                Err(_) => continue,
            };
            if ft.is_dir() {
                stack.push(e.path());
            } else if ft.is_file() {
                files.push(e.path());
                if files.len() > MAX_FILES {
                    return Err(LogError::TooManyFiles { path: shown() });
                }
            }
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(LogError::NoFiles { path: shown() });
    }
    Ok(files)
}

/// Wraps `reader` in a gzip decoder when it starts with the gzip magic.
pub fn decoded<'a, R: Read + 'a>(reader: R) -> io::Result<Box<dyn Read + 'a>> {
    let mut r = BufReader::with_capacity(1 << 20, reader);
    let gz = r.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gz { Box::new(flate2::bufread::MultiGzDecoder::new(r)) } else { Box::new(r) })
}

/// Diagnoses one log stream with every rule.
pub fn diagnose_reader<R: Read>(kb: &Kb, artifact: &str, reader: R) -> io::Result<(Checked, Vec<Finding>)> {
    diagnose_reader_enabled(kb, artifact, reader, &|_| true)
}

/// Diagnoses one log stream with the rules whose ID `enabled` accepts. The signatures of a
/// rule that is off are left out of the ranking, so the root cause is the first cause of a
/// rule that is on.
pub fn diagnose_reader_enabled<R: Read>(
    kb: &Kb,
    artifact: &str,
    reader: R,
    enabled: &dyn Fn(&str) -> bool,
) -> io::Result<(Checked, Vec<Finding>)> {
    let scanned = scan::scan(kb, decoded(reader)?)?;
    let findings = crate::check::findings(kb, artifact, &scanned, enabled);
    let mut facts = vec![
        ("lines".to_string(), scanned.lines.to_string()),
        ("signature_hits".to_string(), scanned.hits.len().to_string()),
    ];
    if scanned.long_lines > 0 {
        facts.push(("long_lines_truncated".into(), scanned.long_lines.to_string()));
    }
    if scanned.dropped_hits > 0 {
        facts.push(("hits_not_kept".into(), scanned.dropped_hits.to_string()));
    }
    Ok((Checked::new(artifact.to_string(), "ci log", facts), findings))
}

/// Diagnoses a file path or `-` (stdin) with every rule.
pub fn diagnose_path(kb: &Kb, path: &str) -> Result<(Checked, Vec<Finding>), LogError> {
    diagnose_path_enabled(kb, path, &|_| true)
}

/// Diagnoses a file path or `-` (stdin) with the rules whose ID `enabled` accepts.
pub fn diagnose_path_enabled(
    kb: &Kb,
    path: &str,
    enabled: &dyn Fn(&str) -> bool,
) -> Result<(Checked, Vec<Finding>), LogError> {
    let res = if path == "-" {
        diagnose_reader_enabled(kb, "-", io::stdin().lock(), enabled)
    } else {
        let f = File::open(path).map_err(|error| LogError::Open { path: path.to_string(), error })?;
        diagnose_reader_enabled(kb, path, f, enabled)
    };
    res.map_err(|e| LogError::Read { message: redact(&format!("cannot read {path}: {e}")) })
}

/// One log's expected and diagnosed classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graded {
    pub log: String,
    pub expected: String,
    pub got: String,
}

/// The accuracy harness: `dir/expected.tsv` lists `log<TAB>class` (class `none` when nothing
/// should be found; more columns may follow); each log is diagnosed and its root cause's class
/// compared (an unclassified failure by its voted class). Used by the
/// tests on tests/logs and, through SHIPCHECK_HELDOUT_LOGS, on any directory of real logs.
pub fn grade(kb: &Kb, dir: &Path) -> Result<Vec<Graded>, LogError> {
    let list = std::fs::read_to_string(dir.join("expected.tsv"))
        .map_err(|error| LogError::Expected { dir: dir.display().to_string(), error })?;
    let mut out = Vec::new();
    // Comment lines, a `log<TAB>class…` header and columns after the class (a source, a why)
    // are allowed, as in the real-log corpus.
    let rows = list.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty() && !l.starts_with("log\t"));
    for line in rows {
        let (log, rest) = line.split_once('\t').ok_or_else(|| LogError::ExpectedLine { line: line.to_string() })?;
        let expected = rest.split('\t').next().unwrap_or_default();
        let path = dir.join(log);
        let (_, findings) = diagnose_path(kb, &path.display().to_string())?;
        let got = findings
            .iter()
            .find(|f| f.severity == shipcheck_report::Severity::Error)
            .and_then(|f| f.evidence.iter().find(|(k, _)| k == "class").map(|(_, v)| v.clone()))
            .unwrap_or_else(|| "none".into());
        out.push(Graded { log: log.to_string(), expected: expected.trim().to_string(), got });
    }
    Ok(out)
}
