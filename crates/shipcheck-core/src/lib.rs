//! The basics every shipcheck domain shares, once.
//!
//! - [`paths`]: the one resolver for paths that come from inputs (shipcheck.toml, `.packit.yaml`
//!   `specfile_path`, …): links resolved, nothing outside the repository root.
//! - [`scratch`]: temporary files and directories beside an output, removed on SIGINT/SIGTERM and,
//!   when a killed run left them, by the next run.
//! - [`yaml`]: a YAML tree that remembers where every node starts, with budgets for aliases and depth.

pub mod paths;
pub mod scratch;
pub mod yaml;
