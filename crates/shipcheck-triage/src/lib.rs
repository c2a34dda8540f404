//! CI log diagnosis: reads a raw log once, in bounded memory, finds the known failure
//! signatures in it, and ranks the cause that ended the job first, with its evidence, the facts
//! extracted from it, and the remedy.
//!
//! Matching is two-stage: an Aho-Corasick automaton over every signature's literal needles
//! scans the raw bytes, and only lines that contain a needle are normalized (timestamps,
//! ANSI codes, carriage-return progress, BuildKit step prefixes) and tried against the
//! signatures' regexes. See docs/diagnose.md.

pub mod diagnose;
pub mod input;
pub mod kb;
pub mod line;
pub mod redact;
pub mod rules;
pub mod scan;
