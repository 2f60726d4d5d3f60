//! Race scenarios: requests released together against one operation, and
//! requests whose responses are lost, judged by per-scenario invariants and
//! by linearizability against a sequential model of one operation.
//!
//! - [`invariants`]: the race invariants (IDs, clauses), as data.
//! - [`history`]: what a trial recorded, per call (client, kind, invocation
//!   and response times, status, a digest of the body).
//! - [`model`]: the sequential specification of one operation.
//! - [`linearizability`]: the Wing–Gong / Lowe checker, and the shrinking of
//!   a non-linearizable history to a minimal part of it.
//! - [`timeline`]: a (part of a) history drawn as text and as inline SVG.
//! - [`stats`]: the Wilson score interval of a violation rate.
//! - [`barrier`]: warmed keep-alive connections released together behind a
//!   barrier, and requests whose responses the client throws away.
//! - [`scenarios`]: the scenarios, as library functions over a base URL.
//! - [`result`]: a race run in the result model (one case per scenario).
//! - [`suite`]: [`race`], the scenarios against a launched target.

pub mod barrier;
pub mod history;
pub mod invariants;
pub mod linearizability;
pub mod model;
pub mod result;
pub mod sample;
pub mod scenarios;
pub mod stats;
pub mod suite;
pub mod timeline;

pub use barrier::{HangUp, RaceError};
pub use scenarios::explore::{ExploreConfig, Explored, Program};
pub use scenarios::{RaceOptions, RaceTarget, Scenario, ScenarioReport, Trial, Verdict};
pub use suite::{ExploreRun, RaceRun, embedded, explore, race};
