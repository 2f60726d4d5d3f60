//! Property-based fuzzing of the endpoints (stateless and stateful):
//! contract-derived proptest strategies, an oracle of accepted statuses, a
//! model of the operation lifecycle, operation histories judged by
//! `crate::history`, every distinct failure of a session shrunk (up to
//! `max_failures`), a regressions file replayed first, and counterexamples
//! emitted as case files.
//!
//! ```no_run
//! use opconform::fuzz::{FuzzConfig, run};
//! use opconform::target::Target;
//! let target = Target::at("http://127.0.0.1:8080/v1");
//! let outcome = run(&FuzzConfig { cases: 200, seed: 1, ..FuzzConfig::default() }, target, &|_| {}).unwrap();
//! assert!(outcome.counterexamples.is_empty());
//! ```

#[cfg(test)]
mod agreement;
mod body_cache;
mod check;
mod dump;
mod emit_case;
mod executor;
mod found;
mod input;
mod model;
mod oracle;
mod page;
mod property;
mod recent;
mod regressions;
mod session;
mod shape;
mod sightings;
mod stateless;
mod strategies;
mod wire;

pub use dump::dump_requests;
pub use executor::ExecError;
pub use input::{
    AuthSpec, ContextSpec, DupHeader, FuzzRequest, IdSpec, IfMatchSpec, Method, STALE_TAG, Slot,
    Verb,
};
pub use model::{Action, KeyChoice, TagChoice};
pub use oracle::{Expectation, InputClass, OracleEnv, expect};
pub use property::{Property, Violation};
pub use regressions::{DEFAULT_PATH, Input, Regression, RegressionError, append, load};
pub use session::{
    Counterexample, DEFAULT_MAX_FAILURES, FuzzConfig, FuzzError, FuzzOutcome, Progress, Source, run,
};
pub use shape::{
    ActionShape, Chars, ContextShape, FailureKey, IdShape, IfMatchShape, KeyUse, Length,
    RequestShape, SequenceFixture, Shape, ValueClass,
};
pub use strategies::{StrategyOptions, request};
