//! The report model every shipcheck check shares, and its renderers.
//!
//! A check produces [`Finding`]s, each tied to a [`Rule`] declared with [`declare_rule!`].
//! The binary collects them in a [`Report`] and hands it to one renderer in [`render`].
//! Nothing in this crate knows about images, runtimes or logs.

mod domain;
pub mod escape;
mod finding;
pub mod fingerprint;
pub mod redact;
pub mod render;
mod report;
mod rule;
mod settings;

pub use domain::Domain;
pub use finding::{Finding, Locator, Subject};
pub use report::{Checked, InputError, Report, Table, SCHEMA_VERSION};
pub use rule::{doc_text, Rule, Severity, UnknownSeverity};
pub use settings::{Level, Settings, SettingsError};
