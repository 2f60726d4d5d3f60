//! opconform as a library: the `Suite` API over real HTTP, `run_harness`
//! with libtest arguments, the documentation's case examples, shell
//! completions, and the example crate's own `cargo test`.

mod completions;
mod docs;
mod example_crate;
mod suite;
