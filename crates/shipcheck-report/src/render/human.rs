use std::io::{self, Write};

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
        let widths: Vec<usize> = (0..t.columns.len())
            .map(|i| {
                t.rows
                    .iter()
                    .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                    .chain([t.columns[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in std::iter::once(&t.columns).chain(t.rows.iter()) {
            let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
            writeln!(out, "  {}", cells.join("  ").trim_end())?;
        }
    }
    Ok(())
}

/// Compact output grouped by artifact: one header per artifact, one block per finding.
pub(super) fn render(report: &Report, opts: &HumanOptions, out: &mut dyn Write) -> io::Result<()> {
    let p = Paint { on: opts.color };
    let mut artifacts: Vec<&str> = report.findings.iter().map(|f| f.subject.artifact.as_str()).collect();
    artifacts.dedup();
    for checked in &report.checked {
        if !artifacts.contains(&checked.input.as_str()) {
            let facts = join_facts(&checked.facts);
            writeln!(out, "{} {}", p.bold(&checked.input), p.dim(&format!("({}{facts}): no findings", checked.kind)))?;
            tables(&checked.tables, out)?;
        }
    }
    for artifact in artifacts {
        let header = match report.checked.iter().find(|c| c.input == artifact) {
            Some(c) => format!("{} {}", p.bold(artifact), p.dim(&format!("({}{})", c.kind, join_facts(&c.facts)))),
            None => p.bold(artifact),
        };
        writeln!(out, "{header}")?;
        if let Some(c) = report.checked.iter().find(|c| c.input == artifact) {
            tables(&c.tables, out)?;
        }
        for f in report.findings.iter().filter(|f| f.subject.artifact == artifact) {
            let place = f.subject.place().map(|pl| format!(" {}", p.dim(&format!("[{pl}]")))).unwrap_or_default();
            writeln!(out, "  {} {}{}: {}", p.severity(f.severity), p.bold(f.rule.id), place, f.message)?;
            if let Locator::Position { line, .. } = f.subject.locator {
                if let Some(snippet) = snippet(artifact, line) {
                    writeln!(out, "          {} {}", p.dim(&format!("{line:>4} |")), snippet)?;
                }
            }
            let width = f.evidence.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
            for (k, v) in &f.evidence {
                writeln!(out, "          {} {v}", p.dim(&format!("{k:<width$}")))?;
            }
            if !f.remedy.is_empty() {
                // A multi-line remedy (a YAML snippet) keeps its own indentation under the label.
                let remedy: Vec<String> = f
                    .remedy
                    .lines()
                    .enumerate()
                    .map(|(i, l)| if i == 0 || l.is_empty() { l.to_string() } else { format!("               {l}") })
                    .collect();
                writeln!(out, "          {} {}", p.wrap("32", "fix:"), remedy.join("\n"))?;
            }
        }
    }
    for e in &report.errors {
        writeln!(out, "{} {}: {}", p.wrap("1;31", "cannot check"), p.bold(&e.input), e.message)?;
    }
    let (e, w, n) = (report.count(Severity::Error), report.count(Severity::Warning), report.count(Severity::Note));
    let inputs = report.checked.len() + report.errors.len();
    writeln!(
        out,
        "{} {}, {}, {} in {} input{}{}",
        p.bold("shipcheck:"),
        plural(e, "error"),
        plural(w, "warning"),
        plural(n, "note"),
        inputs,
        if inputs == 1 { "" } else { "s" },
        if report.errors.is_empty() {
            String::new()
        } else {
            format!("; {} could not be checked", report.errors.len())
        }
    )
}

fn join_facts(facts: &[(String, String)]) -> String {
    facts.iter().map(|(k, v)| format!(", {k} {v}")).collect()
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The text of `line` in `path`, if it is a readable text file. Reads at most 1 MiB: a snippet
/// is a convenience, never a reason to load a large file.
fn snippet(path: &str, line: u32) -> Option<String> {
    use std::io::{BufRead, BufReader, Read};
    let file = std::fs::File::open(path).ok()?;
    let reader = BufReader::new(file.take(1 << 20));
    let text = reader.lines().nth(line.checked_sub(1)? as usize)?.ok()?;
    Some(text.chars().take(200).collect())
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
