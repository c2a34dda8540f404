//! The accuracy harness over logs with expected root-cause classes:
//! - tests/logs (synthetic, one per incident) must be diagnosed exactly;
//! - ../shared/corpus/real-logs (real excerpts people pasted into public threads, never used
//!   to write a signature) must get the right class on at least 90%, judged on the top
//!   finding's `class`; every miss and the per-class figures are printed;
//! - SHIPCHECK_HELDOUT_LOGS=DIR (with its own expected.tsv) prints the accuracy on any other
//!   directory of real logs without failing.

use std::collections::BTreeMap;
use std::path::Path;

mod common;
use common::corpus;

use shipcheck_triage::input::{grade, Graded};
use shipcheck_triage::kb::Kb;

#[test]
fn fixture_logs_are_diagnosed_exactly() {
    let kb = Kb::load(&[]).unwrap();
    let graded = grade(&kb, Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/logs"))).unwrap();
    assert!(graded.len() >= 12);
    let wrong: Vec<_> = graded.iter().filter(|g| g.expected != g.got).collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Right / total, per class and overall, with every miss listed.
fn summary(graded: &[Graded]) -> (usize, String) {
    let mut per: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for g in graded {
        let e = per.entry(g.expected.as_str()).or_default();
        e.1 += 1;
        e.0 += usize::from(g.expected == g.got);
    }
    let right = per.values().map(|v| v.0).sum();
    let mut s =
        format!("accuracy: {right}/{} ({:.1}%)\n", graded.len(), 100.0 * right as f64 / graded.len().max(1) as f64);
    for (class, (r, n)) in &per {
        s += &format!("  {class:20} {r}/{n}\n");
    }
    for g in graded.iter().filter(|g| g.expected != g.got) {
        s += &format!("  miss {}: expected {}, got {}\n", g.log, g.expected, g.got);
    }
    (right, s)
}

#[test]
fn real_logs_get_the_right_class_on_at_least_90_percent() {
    let dir = corpus().join("real-logs");
    if !dir.join("expected.tsv").is_file() {
        assert!(std::env::var_os("CI").is_none(), "CI=true but no real logs at {}", dir.display());
        eprintln!("skipped: no real logs at {}", dir.display());
        return;
    }
    let kb = Kb::load(&[]).unwrap();
    let graded = grade(&kb, &dir).unwrap();
    let (right, s) = summary(&graded);
    eprint!("{s}");
    assert!(graded.len() >= 100, "{} real logs", graded.len());
    assert!(right * 10 >= graded.len() * 9, "below 90%:\n{s}");
}

#[test]
fn heldout_accuracy_is_reported() {
    let Some(dir) = std::env::var_os("SHIPCHECK_HELDOUT_LOGS") else { return };
    let kb = Kb::load(&[]).unwrap();
    let graded = grade(&kb, Path::new(&dir)).unwrap();
    eprint!("held-out {}", summary(&graded).1);
}
