//! The basics every shipcheck domain shares, once.
//!
//! - [`paths`]: the one resolver for paths that come from inputs (shipcheck.toml, `.packit.yaml`
//!   `specfile_path`, …): links resolved, nothing outside the repository root.
//! - [`platform`]: the one platform type, every spelling real tools write.
//! - [`reference`]: the one image reference type, normalised as Docker does.
//! - [`scratch`]: temporary files and directories beside an output, removed on SIGINT/SIGTERM and,
//!   when a killed run left them, by the next run.
//! - [`suggest`]: "did you mean …?" for misspelled keys and names.
//! - [`version`]: loose version numbers (`1.8.1`, `1.1.5+ds1`, `0.12`), compared by number.
//! - [`yaml`]: a YAML tree that remembers where every node starts, with budgets for aliases and depth.

pub mod paths;
pub mod platform;
pub mod reference;
pub mod scratch;
pub mod suggest;
pub mod version;
pub mod yaml;
