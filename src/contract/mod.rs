//! What the API promises: schemas and the invariant catalogue.

mod catalogue;
mod invariant;

pub use catalogue::{CATALOGUE_VERSION, catalogue, find, ids};
pub use invariant::{
    Basis, Check, Endpoint, Invariant, Level, Mode, Observation, Outcome, StatusSets,
};
