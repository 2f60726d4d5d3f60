//! The runner: plan, HTTP client, fixtures, steps, captures, eventually.

mod adjust;
mod bundled;
mod checks;
mod engine;
mod eventually;
mod explain;
mod fixtures;
mod observe;
mod options;
mod partition;
mod plan_print;
mod request;
mod run_all;
mod step;
mod template;
mod trials;
mod watch;

pub use crate::gate::Waivers;
pub use crate::gate::{
    Gate, case_fails, case_warns, level_of, nothing_verified, run_fails, run_incomplete,
};
pub use adjust::settle;
pub use bundled::{bundled_files, load_bundled, load_cases};
pub use checks::accepted_statuses;
pub use engine::Engine;
pub use options::{DEFAULT_SETTLE_WINDOW, EMBEDDED_SETTLE_WINDOW, FailOn, RunOptions};
pub use partition::{Partition, PartitionError, select};
pub use plan_print::plan_text;
#[cfg(test)]
pub(crate) use request::{Credentials, build as build_request};
pub use request::{INVALID_AUTH, MALFORMED_AUTH, WRONG_SCHEME};
pub use run_all::{DEADLINE_REASON, assemble, not_run, run_all, run_with_deadline};
#[cfg(test)]
pub(crate) use step::{StepJudge, judge_response};
pub use template::{FixtureVars, OwnerVars, Renderer, TemplateError, Vars};
pub use trials::{DEFAULT_CONCURRENCY, FailureRenderer, TrialRun, run_trials};
