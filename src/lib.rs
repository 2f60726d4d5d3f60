//! # opconform
//!
//! A conformance harness for akua's Operations API, centred on
//! `POST /v1/operations/{id}:cancel`. It loads JSON Schemas and declarative
//! case files, runs them against a target URL (or the embedded reference
//! server), and reports pass/fail per invariant.
//!
//! ## In your own `cargo test`
//!
//! Point a [`Suite`] at your server — a URL, or your `axum::Router` which
//! the suite serves on an ephemeral loopback port — and check the typed
//! [`model::RunResult`]:
//!
//! ```no_run
//! # async fn demo() -> Result<(), opconform::SuiteError> {
//! let my_router = axum::Router::new(); // your_server::app()
//! let result = opconform::Suite::bundled()?
//!     .strict(false)
//!     .target(
//!         opconform::TargetSpec::router(my_router)
//!             .token("sk_test_alpha")
//!             .fixtures("/__fixtures/operations"),
//!     )
//!     .run()
//!     .await?;
//! assert!(result.passed(), "{}", opconform::Suite::explain(&result));
//! # Ok(())
//! # }
//! ```
//!
//! Or make every case a trial of its own with [`harness_main`] in an
//! integration test declared `harness = false`. The README section "opconform
//! in your own `cargo test`" walks
//! through both, and `examples/server-crate/` is a complete crate doing it.
//!
//! This runs the bundled cancel cases against the embedded reference server:
//!
//! ```
//! # #[tokio::main(flavor = "multi_thread")]
//! # async fn main() -> Result<(), opconform::SuiteError> {
//! use opconform::reference::{EMBEDDED_STEP_LENGTH, ReferenceConfig};
//!
//! // The lifecycle clock `opconform run` uses for its embedded reference.
//! let config = ReferenceConfig { step_length: EMBEDDED_STEP_LENGTH, ..Default::default() };
//! let result = opconform::Suite::bundled()?
//!     .filter("cancel")
//!     .target(opconform::TargetSpec::reference(config))
//!     .run()
//!     .await?;
//! assert!(result.passed(), "{}", opconform::Suite::explain(&result));
//! assert!(result.cases.len() > 3);
//! # Ok(())
//! # }
//! ```

pub mod case;
pub mod cli;
pub mod clock;
pub mod contract;
mod diagnostic;
pub mod exit;
pub mod fuzz;
pub mod gate;
pub mod harness;
pub mod history;
pub mod judge;
pub mod model;
pub mod profile;
pub mod race;
pub mod redact;
pub mod reference;
pub mod report;
pub mod run;
pub mod selftest;
mod suggest;
pub mod target;
pub mod vocab;

pub use harness::{Suite, SuiteError, harness_main};
pub use target::TargetSpec;
