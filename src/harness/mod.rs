//! opconform as a library: build a [`Suite`], point it at a [`crate::TargetSpec`]
//! (a URL, an `axum::Router` or any `tower::Service` served on an ephemeral
//! loopback port), and run it from your own tests — either as one
//! `#[tokio::test]` ([`Suite::run`]) or as one trial per case in
//! `cargo test` ([`harness_main`]).

mod error;
mod main_fn;
mod suite;

pub use error::SuiteError;
pub use main_fn::{REPORT_ENV, REPORT_OUT_ENV, harness_main, run_harness};
pub use suite::Suite;
