//! The accuracy harness over logs with expected root-cause classes. tests/logs must be
//! diagnosed exactly; SHIPCHECK_HELDOUT_LOGS=DIR (with its own expected.tsv) prints the
//! accuracy on held-out real logs without failing.

use std::path::Path;

use shipcheck_triage::input::grade;
use shipcheck_triage::kb::Kb;

#[test]
fn fixture_logs_are_diagnosed_exactly() {
    let kb = Kb::load(&[]).unwrap();
    let graded = grade(&kb, Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/logs"))).unwrap();
    assert!(graded.len() >= 12);
    let wrong: Vec<_> = graded.iter().filter(|g| g.expected != g.got).collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn heldout_accuracy_is_reported() {
    let Some(dir) = std::env::var_os("SHIPCHECK_HELDOUT_LOGS") else { return };
    let kb = Kb::load(&[]).unwrap();
    let graded = grade(&kb, Path::new(&dir)).unwrap();
    let right = graded.iter().filter(|g| g.expected == g.got).count();
    eprintln!(
        "held-out accuracy: {right}/{} ({:.0}%)",
        graded.len(),
        100.0 * right as f64 / graded.len().max(1) as f64
    );
    for g in graded.iter().filter(|g| g.expected != g.got) {
        eprintln!("  {}: expected {}, got {}", g.log, g.expected, g.got);
    }
}
