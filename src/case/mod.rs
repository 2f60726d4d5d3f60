//! Case files: model, loading, validation, templating, table expansion.

pub mod model;

pub use model::*;
