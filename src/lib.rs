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

// The library a user's tests call: `Suite`, `TargetSpec`, `harness_main`,
// the result model, the reference server, the reports and the case-file
// vocabulary they name; the audit of recorded traffic and the race trials.
pub mod audit;
pub mod case;
pub mod contract;
pub mod exit;
pub mod fuzz;
pub mod harness;
pub mod model;
pub mod race;
pub mod reference;
pub mod report;
pub mod target;

// The machinery behind them: public for this crate's integration tests,
// benches and examples, hidden from the documentation, no stability promise.
#[doc(hidden)]
pub mod clock;
#[doc(hidden)]
pub mod gate;
#[doc(hidden)]
pub mod history;
#[doc(hidden)]
pub mod judge;
#[doc(hidden)]
pub mod profile;
#[doc(hidden)]
pub mod redact;
#[doc(hidden)]
pub mod run;
#[doc(hidden)]
pub mod selftest;
#[doc(hidden)]
pub mod vocab;

mod cli;
mod diagnostic;
mod suggest;

pub use harness::{Suite, SuiteError, harness_main};
pub use run::{FailOn, RunOptions};
pub use target::TargetSpec;

/// The `opconform` binary's entry point (`src/main.rs`) and its clap
/// definition (the shell-completion tests): not a library API.
#[doc(hidden)]
pub mod command_line {
    pub use crate::cli::{Cli, main};
}
