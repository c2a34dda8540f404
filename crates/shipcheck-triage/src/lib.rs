//! CI log diagnosis: reads a raw log once, in bounded memory, finds the known failure
//! signatures in it, and ranks the cause that ended the job first, with its evidence, the facts
//! extracted from it, and the remedy.
//!
//! Matching is two-stage: an Aho-Corasick automaton over every signature's literal needles
//! scans the raw bytes, and only lines that contain a needle are normalized (timestamps,
//! ANSI codes, carriage-return progress, BuildKit step prefixes) and tried against the
//! signatures' regexes. See docs/diagnose.md.
//!
//! Data flows one way: [`scan`] reads the log into hits and milestones, [`facts::Facts`] ranks
//! them into causes and measures what the log says around each, and each rule in
//! `src/rules/<rule>.rs` turns the causes of its signature classes into findings;
//! [`rules::ALL`] is generated from the files. [`Logs`] is the domain the binary calls.

/// `static_regex!(name, r"…")` defines `fn name() -> &'static Regex`, compiled on first use.
#[macro_export]
#[doc(hidden)]
macro_rules! static_regex {
    ($name:ident, $re:expr) => {
        fn $name() -> &'static regex::Regex {
            static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
            R.get_or_init(|| regex::Regex::new($re).expect("static regex"))
        }
    };
}

pub mod check;
pub mod context;
pub mod facts;
pub mod failure;
pub mod finder;
#[doc(hidden)]
pub mod fuzzing;
pub mod input;
pub mod kb;
pub mod line;
pub use shipcheck_report::redact;
pub mod rules;
pub mod scan;
pub mod tail;

pub use check::Logs;
