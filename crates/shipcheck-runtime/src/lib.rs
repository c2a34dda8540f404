//! Which OCI runtime is really installed, what it accepts, and whether its callers (BuildKit,
//! containerd, Docker, Podman, CRI-O, conmon) will work with it.
//!
//! Everything a probe sees is an [`observe::Observation`]: live ([`probe`]) or replayed from a
//! recording directory ([`observe::load`]). [`check::check`] turns observations and the
//! embedded caller/runtime data ([`data`]) into findings. No probe creates anything: every
//! command is `--version`, `features` or ends in `--help`.

pub mod check;
pub mod data;
pub mod discover;
pub mod features;
pub mod help;
pub mod identity;
pub mod observe;
pub mod probe;
pub mod rules;
pub use shipcheck_core::version;
