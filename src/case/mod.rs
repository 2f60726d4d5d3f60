//! Case files: model, loading, validation, templating, table expansion.

mod loader_stub;
pub mod model;

pub use loader_stub::{CaseFileError, LoadedFile, load_paths, plan};
pub use model::*;
