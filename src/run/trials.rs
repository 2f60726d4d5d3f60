//! The suite as libtest-mimic trials: filtering, `--skip`, `--exact`,
//! `--list` and `--test-threads` behave as in `cargo test`.
//!
//! libtest-mimic reports only counts, so each trial records its
//! [`CaseResult`] into a shared list; the caller assembles the
//! [`RunResult`] from it.

use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use libtest_mimic::{Arguments, Completion, Conclusion, Failed, Trial};

use crate::case::PlannedCase;
use crate::model::{CaseOutcome, CaseResult, RunResult};

use super::engine::Engine;
use super::run_all::{assemble, not_run, spawn_all};
use crate::gate::{Gate, case_fails};

/// What a trial run produced.
#[derive(Debug)]
pub struct TrialRun {
    /// libtest's counts.
    pub conclusion: Conclusion,
    /// Every case that ran (or was stopped), in plan order.
    pub result: RunResult,
}

/// Cases whose steps run at once when `--test-threads`/`--concurrency` is
/// not given. Cases wait on the network, not the CPU: unlike libtest's
/// default of one per core, a handful at once keeps a 2-core runner busy.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Renders the failure message of a failed case (already redacted).
pub type FailureRenderer = Arc<dyn Fn(&CaseResult) -> String + Send + Sync>;

/// Runs `cases` as trials. Each trial blocks on `handle` (a multi-thread
/// runtime that must not be entered on the calling thread). Skipped,
/// inconclusive and not-run cases are "ignored" with the reason; a failed
/// case fails its trial only when it counts under `fail_on`.
pub fn run_trials(
    engine: Arc<Engine>,
    cases: Vec<PlannedCase>,
    args: &Arguments,
    handle: tokio::runtime::Handle,
    fail_on: impl Into<Gate>,
    render_failure: FailureRenderer,
) -> TrialRun {
    let gate: Gate = fail_on.into();
    let started = Instant::now();
    let started_at = SystemTime::now();
    let deadline = engine.options().deadline.map(|d| started + d);
    let slots: Arc<Mutex<Vec<Option<CaseResult>>>> = Arc::new(Mutex::new(vec![None; cases.len()]));
    // The selected cases run on the run's own scheduler (steps bounded by
    // the thread count, watches free); each trial reports its case.
    let selected: Vec<bool> = cases
        .iter()
        .map(|c| !args.list && !args.is_filtered_out(&Trial::test(c.name.clone(), || Ok(()))))
        .collect();
    let to_run: Vec<PlannedCase> = cases
        .iter()
        .zip(&selected)
        .filter(|(_, s)| **s)
        .map(|(c, _)| c.clone())
        .collect();
    let concurrency = args.test_threads.unwrap_or(DEFAULT_CONCURRENCY);
    let mut tasks = spawn_all(&handle, &engine, to_run, concurrency, deadline).into_iter();
    let trials = cases
        .into_iter()
        .zip(selected)
        .enumerate()
        .map(|(i, (planned, selected))| {
            let task = Mutex::new(if selected { tasks.next() } else { None });
            let engine = Arc::clone(&engine);
            let slots = Arc::clone(&slots);
            let handle = handle.clone();
            let render = Arc::clone(&render_failure);
            let name = planned.name.clone();
            Trial::ignorable_test(name, move || {
                let task = task
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .take();
                let result = match task {
                    Some(t) => handle
                        .block_on(t)
                        .unwrap_or_else(|_| not_run(&planned, "the case's task ended abnormally")),
                    None => not_run(&planned, "not selected"),
                };
                let redactor = engine.redactor();
                let verdict = match &result.outcome {
                    CaseOutcome::Passed => Ok(Completion::Completed),
                    CaseOutcome::Failed | CaseOutcome::Flaky if case_fails(&result, gate) => {
                        Err(Failed::from(render(&result)))
                    }
                    CaseOutcome::Failed | CaseOutcome::Flaky => Ok(Completion::Completed),
                    CaseOutcome::Skipped { reason } => Ok(Completion::ignored_with(
                        redactor.redact(&format!("skipped: {reason}")),
                    )),
                    CaseOutcome::Inconclusive { reason } => Ok(Completion::ignored_with(
                        redactor.redact(&format!("inconclusive: {reason}")),
                    )),
                    CaseOutcome::Waived { reason } => Ok(Completion::ignored_with(
                        redactor.redact(&format!("waived: {reason}")),
                    )),
                    CaseOutcome::NotRun { reason } => Ok(Completion::ignored_with(
                        redactor.redact(&format!("not run: {reason}")),
                    )),
                };
                slots
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)[i] = Some(result);
                verdict
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(args, trials);
    let ran: Vec<CaseResult> = slots
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .drain(..)
        .flatten()
        .collect();
    let result = assemble(&engine, ran, started_at, started);
    TrialRun { conclusion, result }
}
