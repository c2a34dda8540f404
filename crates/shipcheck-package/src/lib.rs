//! Downstream packaging preflight: what makes packit's propose-downstream and Fedora/CentOS
//! builds fail after the upstream release is out.

pub mod evr;
pub mod existing;
pub mod packit;
pub mod rules;
pub mod spec;
pub mod spec_check;
pub mod targets;
