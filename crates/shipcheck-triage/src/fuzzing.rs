//! Entry point for the cargo-fuzz `log` target in `fuzz/` (and for the test that replays its
//! kept seeds on stable). It takes arbitrary bytes and must never panic, hang or allocate
//! without bound.

use std::sync::OnceLock;

use crate::kb::Kb;

/// Bytes as a CI log: needle search, line normalization, signature regexes, ranking, facts
/// and redaction, with the built-in signatures.
pub fn log(data: &[u8]) {
    static KB: OnceLock<Option<Kb>> = OnceLock::new();
    if let Some(kb) = KB.get_or_init(|| Kb::load(&[]).ok()) {
        let _ = crate::input::diagnose_reader(kb, "fuzz.log", data);
    }
}
