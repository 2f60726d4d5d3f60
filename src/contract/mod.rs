//! What the API promises: schemas and the invariant catalogue.

mod catalogue;
mod checks;
mod invariant;
mod schemas;

pub use catalogue::{CATALOGUE_VERSION, catalogue, find, ids};
pub use checks::{check_error, check_list, check_operation};
pub use invariant::{
    Basis, Check, Endpoint, Invariant, Level, Mode, Observation, Outcome, StatusSets,
};
pub use schemas::{SchemaError, SchemaViolation, Schemas};
