//! The one entry shape every domain crate offers, so the binary calls images, runtimes, logs,
//! workflows, Dockerfiles and packaging the same way: parse arguments, load settings, call
//! [`Domain::check`], render.

use crate::{Report, Rule, Settings};

/// One domain's checks. Implemented by a unit type in each domain crate (e.g.
/// `shipcheck_runtime::Runtimes`); `Input` is what that domain checks (a path, a set of
/// observations, a log).
pub trait Domain {
    /// What one call checks.
    type Input: ?Sized;
    /// Why nothing could be checked at all (exit status 2): the input cannot be read, or is not
    /// of this domain's kind. A problem with one part of the input that leaves the rest
    /// checkable goes into [`Report::errors`] instead.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Every rule this domain can report, in the order `explain` lists them.
    fn rules() -> &'static [&'static Rule];

    /// Checks `input` with the rules `settings` enables (a rule that is off is not run) and adds
    /// what was checked, the findings, per-part errors and where it looked to `report`.
    /// Severity overrides and `fail-on` are applied by the caller through
    /// [`Settings::apply`] and [`Settings::fails`], once per input.
    fn check(input: &Self::Input, settings: &Settings, report: &mut Report) -> Result<(), Self::Error>;
}
