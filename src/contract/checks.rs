//! Applying the catalogue's body checks to one body.
//! SKELETON: signatures are fixed; the contract work fills in the bodies.

use super::invariant::{Invariant, Observation, Outcome};

/// Every `Check::Operation` invariant applied to one Operation body.
pub fn check_operation(_obs: &Observation<'_>) -> Vec<(&'static Invariant, Outcome)> {
    Vec::new()
}

/// Every `Check::List` invariant applied to one OperationList body (the
/// runner also calls [`check_operation`] on each item).
pub fn check_list(_obs: &Observation<'_>) -> Vec<(&'static Invariant, Outcome)> {
    Vec::new()
}

/// Every `Check::Error` invariant applied to one 4xx body.
pub fn check_error(_obs: &Observation<'_>) -> Vec<(&'static Invariant, Outcome)> {
    Vec::new()
}
