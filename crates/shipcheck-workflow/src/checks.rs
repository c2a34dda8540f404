//! Findings about workflows, from what `workflow::analyze` saw them build. The rules live in
//! `src/rules/`; this is the entry point the binary and the corpus tests call.

use shipcheck_report::Finding;

use crate::facts::{check_enabled, Facts};
use crate::workflow::Analysis;

/// Every workflow finding, one per place and rule.
pub fn check(a: &Analysis) -> Vec<Finding> {
    check_enabled(&Facts { workflows: Some(a), ..Facts::default() }, &|_| true)
}
