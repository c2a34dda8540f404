//! Log inputs: files (plain or gzip, by content), `-` for stdin, and directories such as an
//! unpacked GitHub Actions log archive (one file per step), read in name order.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use shipcheck_report::{Checked, Finding};

use crate::kb::Kb;
use crate::{diagnose, scan};

/// Most files read from one directory.
pub const MAX_FILES: usize = 10_000;

/// Every log file a path names: itself, or the regular files below it, sorted.
pub fn expand(path: &Path) -> Result<Vec<PathBuf>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if !meta.is_dir() {
        return Err(format!("{} is neither a file nor a directory: expected a CI log", path.display()));
    }
    let mut files = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
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
                    return Err(format!(
                        "{} holds more than {MAX_FILES} files: expected a CI log directory",
                        path.display()
                    ));
                }
            }
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(format!("{} holds no files: expected CI log files", path.display()));
    }
    Ok(files)
}

/// Wraps `reader` in a gzip decoder when it starts with the gzip magic.
pub fn decoded<'a, R: Read + 'a>(reader: R) -> io::Result<Box<dyn Read + 'a>> {
    let mut r = BufReader::with_capacity(1 << 20, reader);
    let gz = r.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gz { Box::new(flate2::bufread::MultiGzDecoder::new(r)) } else { Box::new(r) })
}

/// Diagnoses one log stream.
pub fn diagnose_reader<R: Read>(kb: &Kb, artifact: &str, reader: R) -> io::Result<(Checked, Vec<Finding>)> {
    let scanned = scan::scan(kb, decoded(reader)?)?;
    let findings = diagnose::findings(kb, artifact, &scanned);
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

/// Diagnoses a file path or `-` (stdin).
pub fn diagnose_path(kb: &Kb, path: &str) -> Result<(Checked, Vec<Finding>), String> {
    let res = if path == "-" {
        diagnose_reader(kb, "-", io::stdin().lock())
    } else {
        let f = File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?;
        diagnose_reader(kb, path, f)
    };
    res.map_err(|e| crate::redact::redact(&format!("cannot read {path}: {e}")))
}

/// One log's expected and diagnosed classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graded {
    pub log: String,
    pub expected: String,
    pub got: String,
}

/// The accuracy harness: `dir/expected.tsv` lists `log<TAB>class` (class `none` when nothing
/// should be found); each log is diagnosed and its root cause's class compared. Used by the
/// tests on tests/logs and, through SHIPCHECK_HELDOUT_LOGS, on any directory of real logs.
pub fn grade(kb: &Kb, dir: &Path) -> Result<Vec<Graded>, String> {
    let list = std::fs::read_to_string(dir.join("expected.tsv"))
        .map_err(|e| format!("cannot read {}/expected.tsv: {e}", dir.display()))?;
    let mut out = Vec::new();
    for line in list.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (log, expected) =
            line.split_once('\t').ok_or_else(|| format!("expected.tsv: `{line}` is not `log<TAB>class`"))?;
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
