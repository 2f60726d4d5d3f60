//! The runner: plan, HTTP client, fixtures, steps, captures, eventually.

mod bundled;
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
mod selftest;
mod step;
mod template;
mod trials;

pub use bundled::{bundled_files, load_bundled, load_cases};
pub use checks::accepted_statuses;
pub use client::ClientError;
pub use clock::rfc3339;
pub use engine::Engine;
pub use options::{FailOn, RunOptions, Target};
pub use policy::{case_fails, case_warns, level_of, run_fails, run_incomplete};
pub use request::{INVALID_AUTH, MALFORMED_AUTH};
pub use run_all::{DEADLINE_REASON, assemble, not_run, run_all, run_with_deadline};
pub use selftest::{
    Detection, FaultRow, KillMatrix, Launched, SelftestError, detection, failed_invariants,
    launch_reference, selftest, selftest_with,
};
pub use template::{FixtureVars, Renderer, TemplateError, Vars};
pub use trials::{FailureRenderer, TrialRun, run_trials};
