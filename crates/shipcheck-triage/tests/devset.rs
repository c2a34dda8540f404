//! The development set: short real excerpts gathered from public threads, one file per class
//! (tests/devset/<class>.toml), each diagnosed end to end. Every case must get a finding of its
//! file's class as its root cause. None comes from a thread of ../shared/corpus/real-logs:
//! that set measures (tests/accuracy.rs) and does not teach, which this test checks when the
//! corpus is present.

use std::path::Path;

mod common;

use serde::Deserialize;
use shipcheck_report::Severity;
use shipcheck_triage::input::diagnose_reader;
use shipcheck_triage::kb::{Kb, CLASSES};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DevSet {
    #[serde(default)]
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// The public thread, source file or documentation page the excerpt is quoted from.
    source: String,
    /// The excerpt as the thread shows it.
    log: String,
}

fn dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/devset"))
}

fn load(class: &str) -> DevSet {
    let path = dir().join(format!("{class}.toml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_dev_case_gets_its_class() {
    let kb = Kb::load(&[]).unwrap();
    let mut misses = Vec::new();
    let mut total = 0;
    for class in CLASSES {
        for (i, case) in load(class).case.iter().enumerate() {
            total += 1;
            assert!(case.source.starts_with("https://"), "{class} case {i}: source {:?}", case.source);
            let (_, findings) = diagnose_reader(&kb, "devset", case.log.as_bytes()).unwrap();
            let got = findings
                .iter()
                .find(|f| f.severity == Severity::Error)
                .and_then(|f| f.evidence.iter().find(|(k, _)| k == "class").map(|(_, v)| v.clone()))
                .unwrap_or_else(|| "none".into());
            if got != *class {
                misses.push(format!("{class} case {i} ({}): got {got}", case.source));
            }
        }
    }
    assert!(misses.is_empty(), "{} of {total} dev cases missed:\n{}", misses.len(), misses.join("\n"));
    assert!(total >= 5 * CLASSES.len(), "only {total} dev cases");
}

#[test]
fn no_dev_case_comes_from_the_measuring_corpus() {
    let corpus = common::corpus();
    let Ok(expected) = std::fs::read_to_string(corpus.join("real-logs/expected.tsv")) else {
        assert!(std::env::var_os("CI").is_none(), "CI=true but no corpus at {}", corpus.display());
        eprintln!("skipped: no corpus at {}", corpus.display());
        return;
    };
    let measuring: Vec<&str> = expected.lines().skip(1).filter_map(|l| l.split('\t').nth(2)).collect();
    for class in CLASSES {
        for case in load(class).case {
            let thread = case.source.split('#').next().unwrap_or_default().trim_end_matches('/');
            assert!(
                !measuring.iter().any(|m| m.split('#').next().unwrap_or_default().trim_end_matches('/') == thread),
                "{class}: dev case from a measuring thread: {}",
                case.source
            );
        }
    }
}
