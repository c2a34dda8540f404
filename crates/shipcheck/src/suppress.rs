//! Inline suppressions: `# shipcheck: ignore[rule-id, …] reason` in the file a finding points
//! at, on the finding's line or the line before it. For a finding that lists several places (a
//! drift seen in four steps), a comment at any of them counts. A comment that ignores nothing is
//! reported (`suppress/unused-ignore`), so stale ignores do not pile up.
//!
//! Every format with comments uses `#` (YAML, Dockerfiles, spec files, Makefiles, shell), so the
//! marker is looked for after a `#` on the line.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use shipcheck_report::{Finding, Locator, Report, Settings, Subject};

use crate::rules::unused_ignore;

/// What a line must hold, after a `#`, to ignore findings.
const MARKER: &str = "shipcheck: ignore[";
/// The kinds of checked inputs that are read for stale comments.
const COMMENTED_KINDS: [&str; 4] = ["workflow", "dockerfile", "packit config", "rpm spec"];
/// Files larger than this are not read for comments (image archives are inputs too).
const MAX_FILE: u64 = 4 << 20;

/// One ignore comment: its line, the rules it names, and whether it ignored anything.
struct Comment {
    line: u32,
    rules: Vec<String>,
    used: bool,
}

/// The ignore comments of every file read so far, by the path as the report names it.
#[derive(Default)]
struct Comments {
    files: BTreeMap<String, Vec<Comment>>,
}

/// The comments of one file's text.
fn parse(text: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(hash) = line.find('#') else { continue };
        let Some(at) = line[hash..].find(MARKER) else { continue };
        let rest = &line[hash + at + MARKER.len()..];
        let Some(end) = rest.find(']') else { continue };
        let rules: Vec<String> =
            rest[..end].split(',').map(str::trim).filter(|r| !r.is_empty()).map(String::from).collect();
        if !rules.is_empty() {
            out.push(Comment { line: i as u32 + 1, rules, used: false });
        }
    }
    out
}

/// The text of `path` when it is a regular, small, text file.
fn read_text(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE {
        return None;
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path).ok()?.take(MAX_FILE).read_to_end(&mut bytes).ok()?;
    if bytes.contains(&0) {
        return None;
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

impl Comments {
    fn of(&mut self, artifact: &str) -> &mut Vec<Comment> {
        self.files
            .entry(artifact.to_string())
            .or_insert_with(|| read_text(Path::new(artifact)).map(|t| parse(&t)).unwrap_or_default())
    }

    /// Whether a comment in `artifact` at `line` or the line before ignores `rule`; marks it used.
    fn ignores(&mut self, artifact: &str, line: u32, rule: &str) -> bool {
        let mut hit = false;
        for c in self.of(artifact).iter_mut() {
            if (c.line == line || c.line + 1 == line) && c.rules.iter().any(|r| r == rule) {
                c.used = true;
                hit = true;
            }
        }
        hit
    }
}

/// The other places a finding lists (`places` evidence: one `path:line …` a line, the paths
/// relative to the repository), as report paths: the repository is where the finding's own
/// artifact path ends with the relative path of the place at the finding's line.
fn places(f: &Finding, line: u32) -> Vec<(String, u32)> {
    let Some((_, text)) = f.evidence.iter().find(|(k, _)| k == "places") else { return Vec::new() };
    let parsed: Vec<(&str, u32)> = text
        .split('\n')
        .filter_map(|l| {
            let (path, rest) = l.split_once(':')?;
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            Some((path, digits.parse().ok()?))
        })
        .collect();
    let Some(root) = parsed
        .iter()
        .find(|(p, l)| *l == line && f.subject.artifact.ends_with(p))
        .map(|(p, _)| &f.subject.artifact[..f.subject.artifact.len() - p.len()])
    else {
        return Vec::new();
    };
    parsed.into_iter().map(|(p, l)| (format!("{root}{p}"), l)).collect()
}

/// Drops the findings an inline comment ignores, and adds a `suppress/unused-ignore` note for
/// every comment, in the files the report checked or points at, that ignored nothing (judged
/// by `settings` like every finding: off, or at another severity).
pub(crate) fn apply(report: &mut Report, settings: &Settings) {
    let mut comments = Comments::default();
    report.findings.retain(|f| {
        let Locator::Position { line, .. } = f.subject.locator else { return true };
        let rule = f.rule.id;
        let mut ignored = comments.ignores(&f.subject.artifact, line, rule);
        for (path, at) in places(f, line) {
            ignored |= comments.ignores(&path, at, rule);
        }
        !ignored
    });
    // Files that can hold the comments; logs and images only quote text others wrote.
    for c in report.checked.iter().filter(|c| COMMENTED_KINDS.contains(&c.kind.as_str())) {
        comments.of(&c.input);
    }
    for (artifact, list) in &comments.files {
        for c in list.iter().filter(|c| !c.used) {
            report.findings.push(
                Finding::new(
                    &unused_ignore::RULE,
                    Subject::position(artifact.clone(), c.line, None),
                    format!("this comment ignores {}, which reported nothing here", c.rules.join(", ")),
                )
                .remedy("Remove the comment, or fix its rule ID (`shipcheck explain` lists them)."),
            );
        }
    }
    settings.apply(&mut report.findings);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_read_after_a_hash() {
        let c = parse("a: 1 # shipcheck: ignore[workflow/platform-drift, dockerfile/hardcoded-arch] reason\nb: \"shipcheck: ignore[x]\"\n# shipcheck: ignore[]\n");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].line, 1);
        assert_eq!(c[0].rules, ["workflow/platform-drift", "dockerfile/hardcoded-arch"]);
    }

    #[test]
    fn a_comment_on_the_line_or_the_line_before_ignores_and_stale_ones_are_notes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("Dockerfile");
        std::fs::write(
            &file,
            "FROM alpine\n# shipcheck: ignore[dockerfile/hardcoded-arch] amd64-only tool\nRUN wget x-amd64\nRUN true # shipcheck: ignore[dockerfile/invalid]\n",
        )
        .unwrap();
        let name = file.display().to_string();
        let rule = crate::explain::all_rules().into_iter().find(|r| r.id == "dockerfile/hardcoded-arch").unwrap();
        let mut report = Report::new();
        report.findings.push(Finding::new(rule, Subject::position(name.clone(), 3, Some(1)), "x"));
        report.findings.push(Finding::new(rule, Subject::position(name.clone(), 1, Some(1)), "y"));
        apply(&mut report, &Settings::default());
        let got: Vec<(&str, String)> =
            report.findings.iter().map(|f| (f.rule.id, f.subject.place().unwrap())).collect();
        assert_eq!(
            got,
            [("dockerfile/hardcoded-arch", "1:1".to_string()), ("suppress/unused-ignore", "4".to_string())]
        );
    }
}
