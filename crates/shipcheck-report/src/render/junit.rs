//! JUnit XML, as CI systems show test reports: one `<testsuite>` per rule area, one
//! `<testcase>` per finding (class name the rule ID, name its location). Errors and warnings
//! carry a `<failure>` (type `error` / `warning`), notes pass with their text in
//! `<system-out>`. A last suite, `inputs`, has a passing case per input checked and an
//! `<error>` per input that could not be checked.
//!
//! Text from inputs is escaped for XML (`& < > " '`, and in attributes newlines and tabs as
//! character references); control characters, which XML 1.0 does not allow, are shown escaped
//! as in every text format.

use std::io::{self, Write};

use crate::escape::multi_line;
use crate::{Finding, Report, Severity};

pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let failing = |f: &Finding| f.severity >= Severity::Warning;
    let failures = report.findings.iter().filter(|f| failing(f)).count();
    let tests = report.findings.len() + report.checked.len() + report.errors.len();
    let name = match &report.command {
        Some(c) => format!("shipcheck {c}"),
        None => "shipcheck".to_string(),
    };
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="{}" tests="{tests}" failures="{failures}" errors="{}">"#,
        attr(&name),
        report.errors.len()
    )?;
    let mut areas: Vec<&str> = report.findings.iter().map(|f| f.rule.area()).collect();
    areas.sort_unstable();
    areas.dedup();
    for area in areas {
        let findings: Vec<&Finding> = report.findings.iter().filter(|f| f.rule.area() == area).collect();
        let failures = findings.iter().filter(|f| failing(f)).count();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{failures}" errors="0" skipped="0">"#,
            attr(area),
            findings.len()
        )?;
        for f in findings {
            let mut body = String::new();
            for (k, v) in &f.evidence {
                body.push_str(&format!("{k}: {v}\n"));
            }
            if !f.remedy.is_empty() {
                body.push_str(&format!("fix: {}\n", f.remedy));
            }
            let mut case = format!(
                r#"    <testcase classname="{}" name="{}" file="{}""#,
                attr(f.rule.id),
                attr(&super::located(&f.subject)),
                attr(&f.subject.artifact)
            );
            if let crate::Locator::Position { line, .. } = f.subject.locator {
                case.push_str(&format!(r#" line="{line}""#));
            }
            writeln!(out, "{case}>")?;
            if failing(f) {
                writeln!(
                    out,
                    r#"      <failure type="{}" message="{}">{}</failure>"#,
                    f.severity,
                    attr(&f.message),
                    text(&body)
                )?;
            } else {
                writeln!(out, "      <system-out>{}</system-out>", text(&format!("{}\n{body}", f.message)))?;
            }
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    if !report.checked.is_empty() || !report.errors.is_empty() {
        writeln!(
            out,
            r#"  <testsuite name="inputs" tests="{}" failures="0" errors="{}" skipped="0">"#,
            report.checked.len() + report.errors.len(),
            report.errors.len()
        )?;
        for c in &report.checked {
            writeln!(out, r#"    <testcase classname="shipcheck" name="{} ({})"/>"#, attr(&c.input), attr(&c.kind))?;
        }
        for e in &report.errors {
            writeln!(out, r#"    <testcase classname="shipcheck" name="{}">"#, attr(&e.input))?;
            writeln!(out, r#"      <error type="cannot-check" message="{}"/>"#, attr(&e.message))?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// Element text: controls escaped, newlines kept, XML's specials as entities.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in multi_line(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // Not characters in XML 1.0.
            '\u{fffe}' | '\u{ffff}' => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}

/// An attribute value (always double-quoted): as [`text`], and quotes, newlines and tabs as
/// character references so that a parser keeps them.
fn attr(s: &str) -> String {
    text(s).replace('"', "&quot;").replace('\'', "&apos;").replace('\n', "&#10;").replace('\t', "&#9;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{fixture, tests::rendered, Format};

    #[test]
    fn a_suite_per_area_a_case_per_finding() {
        let text = rendered(&fixture::report(), Format::Junit);
        insta::assert_snapshot!(text);
        assert_eq!(text.matches("<failure ").count(), 2, "the error and the warning fail; the note passes");
        assert_eq!(text.matches("<error ").count(), 1);
    }

    #[test]
    fn input_text_is_escaped() {
        assert_eq!(attr("a\"<b>&'\n\tc\x1b"), "a&quot;&lt;b&gt;&amp;&apos;&#10;&#9;c\\u{1b}");
        assert_eq!(text("</failure><x>\n"), "&lt;/failure&gt;&lt;x&gt;\n");
    }
}
