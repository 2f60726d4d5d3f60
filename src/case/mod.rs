//! Case files: model, loading, validation, templating checks, table expansion.

mod error;
pub(crate) mod expect;
mod issue;
pub(crate) mod load;
pub mod model;
mod plan;
mod schema;
mod semantic;
mod source;
mod spans;
mod template;

pub use error::CaseFileError;
pub use load::{LoadedFile, MAX_FILE_BYTES, load_file, load_paths};
pub use model::*;
pub use plan::{plan, table_rows};
pub use schema::CASE_SCHEMA;
pub use template::RESERVED_ROOTS;
pub(crate) use template::placeholders;
