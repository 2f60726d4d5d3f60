//! akua's published OpenAPI document (S-OAS), as the tests read it.
//!
//! The document itself is not in the repository: it sits beside a
//! developer's or CI's clone, in `shared/contract/`, and a user's clone has
//! nothing beside it. The repository holds a structure-only extract of
//! it, `tests/data/akua-operations.schema.json` (every type, enum, bound,
//! required list and nullability of the Operation, OperationStep,
//! OperationList and error schemas, without prose), made by `cargo xtask
//! extract-schema`; xtask's tests fail when it no longer matches the
//! document. So every test can run on the extract, and the document is an
//! extra check where it is present.

use std::path::PathBuf;

/// The extract in the repository.
pub fn extract() -> PathBuf {
    super::crate_dir().join("tests/data/akua-operations.schema.json")
}

/// The published document, when this clone has the project's `shared`
/// folder beside it or further up: a checkout at `/work/main` finds
/// `/work/shared`, and so does a worktree one level deeper
/// (`/work/wt/NAME`), where a fixed path one folder up would miss it.
pub fn published() -> Option<PathBuf> {
    const REL: &str = "shared/contract/akua-openapi-public.json";
    super::crate_dir()
        .ancestors()
        .skip(1)
        .map(|a| a.join(REL))
        .find(|p| p.is_file())
}

/// What to check against: the extract, then the published document when it
/// is there.
pub fn documents() -> Vec<PathBuf> {
    std::iter::once(extract()).chain(published()).collect()
}

/// One document to validate many bodies against: the published one when it
/// is there (the source itself), else the extract.
pub fn preferred() -> PathBuf {
    published().unwrap_or_else(extract)
}
