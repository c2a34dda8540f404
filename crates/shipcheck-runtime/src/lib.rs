//! Which OCI runtime is really installed, what it accepts, and whether its callers (BuildKit,
//! containerd, Docker, Podman, CRI-O, conmon) will work with it.
//!
//! Everything a probe sees is an [`observe::Observation`]: live ([`probe::live`]) or replayed
//! from a recording directory ([`observe::load`]). [`facts::Facts`] measures an observation
//! against the embedded caller/runtime data ([`data`]); each rule in [`rules`] reads those facts
//! and reports findings; [`Runtimes`], the domain's [`shipcheck_report::Domain`], runs them on
//! observations and never runs a command. No probe creates anything: every command is
//! `--version`, `features` or ends in `--help`.

pub mod check;
pub mod data;
pub mod discover;
pub mod facts;
pub mod features;
#[doc(hidden)]
pub mod fuzzing;
pub mod help;
pub mod identity;
pub mod observe;
pub mod probe;
pub mod rules;
pub use check::Runtimes;
pub use shipcheck_core::version;
