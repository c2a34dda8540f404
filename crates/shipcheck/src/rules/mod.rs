//! Rules about shipcheck's own inputs rather than what it checks.

pub(crate) mod unused_ignore;

/// Every rule of this crate.
pub(crate) static ALL: &[&shipcheck_report::Rule] = &[&unused_ignore::RULE];
