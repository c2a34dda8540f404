use std::io::{self, Write};

use crate::escape::{multi_line, one_line, workflow_commands};
use crate::redact::redact_cow;
use crate::{Locator, Report, Severity};

/// Options for the human renderer.
#[derive(Clone, Debug, Default)]
pub struct HumanOptions {
    /// Emit ANSI colour. The binary sets this only when stdout is a terminal and NO_COLOR is unset.
    pub color: bool,
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Note => "1;36",
        };
        self.wrap(code, &format!("{s:<7}"))
    }
    fn bold(&self, t: &str) -> String {
        self.wrap("1", t)
    }
    fn dim(&self, t: &str) -> String {
        self.wrap("2", t)
    }
}

/// Tables as aligned columns, indented under their input.
fn tables(tables: &[crate::Table], out: &mut dyn Write) -> io::Result<()> {
    for t in tables {
        let cells = |row: &[String]| row.iter().map(|c| one_line(c).into_owned()).collect::<Vec<String>>();
        let columns = cells(&t.columns);
        let rows: Vec<Vec<String>> = t.rows.iter().map(|r| cells(r)).collect();
        let widths: Vec<usize> = (0..columns.len())
            .map(|i| {
                rows.iter()
                    .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                    .chain([columns[i].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in std::iter::once(&columns).chain(rows.iter()) {
            let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
            writeln!(out, "  {}", cells.join("  ").trim_end())?;
        }
    }
    Ok(())
}

/// Compact output grouped by artifact: one header per artifact, one block per finding.
///
/// Every field is text from an input: each goes through [`one_line`] or [`multi_line`] (no
/// control characters), and the whole output through [`workflow_commands`] (no line GitHub
/// would parse as a command). The report is already redacted (see `render`).
pub(super) fn render(report: &Report, opts: &HumanOptions, out: &mut dyn Write) -> io::Result<()> {
    let mut buf = Vec::new();
    write_report(report, &Paint { on: opts.color }, &mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    out.write_all(workflow_commands(&text).as_bytes())
}

fn write_report(report: &Report, p: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let mut artifacts: Vec<&str> = report.findings.iter().map(|f| f.subject.artifact.as_str()).collect();
    artifacts.dedup();
    for checked in &report.checked {
        if !artifacts.contains(&checked.input.as_str()) {
            let facts = join_facts(&checked.facts);
            let what = format!("({}{facts}): no findings", one_line(&checked.kind));
            writeln!(out, "{} {}", p.bold(&one_line(&checked.input)), p.dim(&what))?;
            tables(&checked.tables, out)?;
        }
    }
    for artifact in artifacts {
        let checked = report.checked.iter().find(|c| c.input == artifact);
        let name = p.bold(&one_line(artifact));
        match checked {
            Some(c) => writeln!(out, "{name} {}", p.dim(&format!("({}{})", one_line(&c.kind), join_facts(&c.facts))))?,
            None => writeln!(out, "{name}")?,
        }
        if let Some(c) = checked {
            tables(&c.tables, out)?;
        }
        for f in report.findings.iter().filter(|f| f.subject.artifact == artifact) {
            finding(f, p, out)?;
        }
    }
    for e in &report.errors {
        let message = indent(&e.message, "  ");
        writeln!(out, "{} {}: {message}", p.wrap("1;31", "cannot check"), p.bold(&one_line(&e.input)))?;
    }
    summary(report, p, out)
}

fn finding(f: &crate::Finding, p: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let place = f.subject.place().map(|pl| format!(" {}", p.dim(&format!("[{}]", one_line(&pl))))).unwrap_or_default();
    let message = indent(&f.message, "          ");
    writeln!(out, "  {} {}{}: {message}", p.severity(f.severity), p.bold(f.rule.id), place)?;
    if let Locator::Position { line, .. } = f.subject.locator {
        if let Some(snippet) = snippet(&f.subject.artifact, line) {
            writeln!(out, "          {} {}", p.dim(&format!("{line:>4} |")), snippet)?;
        }
    }
    let keys: Vec<String> = f.evidence.iter().map(|(k, _)| one_line(k).into_owned()).collect();
    let width = keys.iter().map(|k| k.chars().count()).max().unwrap_or(0);
    for (k, (_, v)) in keys.iter().zip(&f.evidence) {
        writeln!(out, "          {} {}", p.dim(&format!("{k:<width$}")), one_line(v))?;
    }
    if !f.remedy.is_empty() {
        // A multi-line remedy (a YAML snippet) keeps its own indentation under the label.
        writeln!(out, "          {} {}", p.wrap("32", "fix:"), indent(&f.remedy, "               "))?;
    }
    Ok(())
}

fn summary(report: &Report, p: &Paint, out: &mut dyn Write) -> io::Result<()> {
    if report.nothing_to_check() {
        writeln!(out, "{} nothing to check: looked in {}", p.bold("shipcheck:"), one_line(&report.looked.join("; ")))?;
        return Ok(());
    }
    let (e, w, n) = (report.count(Severity::Error), report.count(Severity::Warning), report.count(Severity::Note));
    let inputs = report.checked.len() + report.errors.len();
    writeln!(
        out,
        "{} {}, {}, {} in {} input{}{}",
        p.bold("shipcheck:"),
        super::plural(e, "error"),
        super::plural(w, "warning"),
        super::plural(n, "note"),
        inputs,
        if inputs == 1 { "" } else { "s" },
        if report.errors.is_empty() {
            String::new()
        } else {
            format!("; {} could not be checked", report.errors.len())
        }
    )
}

/// A multi-line field with its control characters escaped and every line after the first
/// indented by `by` (empty lines stay empty).
fn indent(text: &str, by: &str) -> String {
    let text = multi_line(text);
    let lines: Vec<String> = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| if i == 0 || l.is_empty() { l.to_string() } else { format!("{by}{l}") })
        .collect();
    lines.join("\n")
}

fn join_facts(facts: &[(String, String)]) -> String {
    facts.iter().map(|(k, v)| format!(", {} {}", one_line(k), one_line(v))).collect()
}

/// The text of `line` in `path`, if it is a readable regular text file, redacted and escaped
/// like every other field. Reads at most 1 MiB: a snippet is a convenience, never a reason to
/// load a large file. `-` is standard input, already consumed: never a file to re-read (a
/// file named `-` in the working directory is unrelated). A FIFO or device is never opened.
fn snippet(path: &str, line: u32) -> Option<String> {
    use std::io::{BufRead, BufReader, Read};
    if path == "-" || !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    let reader = BufReader::new(file.take(1 << 20));
    let text = reader.lines().nth(line.checked_sub(1)? as usize)?.ok()?;
    // Redacted whole before it is cut, so a cut cannot leave half a secret unrecognised.
    let text: String = redact_cow(&text).chars().take(200).collect();
    Some(one_line(&text).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixture;

    #[test]
    fn groups_by_artifact_without_colour() {
        let mut buf = Vec::new();
        render(&fixture::report(), &HumanOptions { color: false }, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        insta::assert_snapshot!(text);
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn colours_only_when_asked() {
        let mut buf = Vec::new();
        render(&fixture::report(), &HumanOptions { color: true }, &mut buf).unwrap();
        assert!(String::from_utf8(buf).unwrap().contains("\x1b[1;31m"));
    }
}
