//! The runner: plan, HTTP client, fixtures, steps, captures, eventually.

mod checks;
mod client;
mod clock;
mod endpoint;
mod engine;
mod eventually;
mod fixtures;
mod options;
mod policy;
mod request;
mod run_all;
mod step;
mod template;

pub use checks::accepted_statuses;
pub use client::ClientError;
pub use clock::rfc3339;
pub use engine::Engine;
pub use options::{FailOn, RunOptions, Target};
pub use policy::{case_fails, case_warns, level_of, run_fails, run_incomplete};
pub use request::{INVALID_AUTH, MALFORMED_AUTH};
pub use run_all::{DEADLINE_REASON, assemble, not_run, run_all, run_with_deadline};
pub use template::{FixtureVars, Renderer, TemplateError, Vars};
