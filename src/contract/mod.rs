//! What the API promises: schemas and the invariant catalogue.

mod catalogue;
mod checks;
mod error;
mod http;
mod invariant;
mod json;
mod list;
mod operation;
mod render;
mod schemas;
mod status;

pub use catalogue::{CATALOGUE_VERSION, catalogue, find, id, ids};
pub use checks::{check_error, check_list, check_operation};
pub use invariant::{
    Basis, Check, Endpoint, Invariant, Level, Mode, Observation, Outcome, StatusSets,
};
pub use operation::ID_MAX_CHARS;
pub(crate) use operation::OWNERS;
pub use render::{
    basis_label, catalogue_json, cell as markdown_cell, level_label, markdown_table,
    statuses_label, text_table,
};
pub use schemas::{BUNDLED_FILES, SchemaError, SchemaViolation, Schemas};

/// Sample Operations for other modules' tests.
#[cfg(test)]
pub(crate) use operation::tests as samples;
