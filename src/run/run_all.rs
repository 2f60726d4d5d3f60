//! Running a whole plan: every case on one scheduler with bounded
//! concurrency and a whole-run deadline, and assembling the
//! [`RunResult`].
//!
//! A case holds one of the `concurrency` slots while its steps run, and
//! gives it back for the watch of its operations (which only reads), so a
//! watch never delays another case. The run is *quiet* once every case's
//! steps are done (see `Engine::watch`).

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::case::PlannedCase;
use crate::contract;
use crate::model::{CaseOutcome, CaseResult, RunResult, TargetInfo};

use super::adjust::settle;
use super::engine::Engine;
use crate::clock::rfc3339;
use crate::target::STOPPED_REASON;

/// Reason recorded on cases the deadline stopped.
pub const DEADLINE_REASON: &str = "the run deadline (--deadline) passed";

/// A [`CaseResult`] for a case that did not run.
pub fn not_run(planned: &PlannedCase, reason: &str) -> CaseResult {
    CaseResult {
        name: planned.name.clone(),
        file: planned.file.clone(),
        description: planned.case.description.clone(),
        invariants: planned.case.invariants.clone(),
        outcome: CaseOutcome::NotRun {
            reason: reason.to_string(),
        },
        attempts: 0,
        steps: Vec::new(),
        other_attempts: Vec::new(),
        duration_ms: 0,
    }
}

/// Runs `planned` on its own under the engine's whole-run deadline: a case
/// that has not finished by then, or that starts after the target stopped
/// answering, is [`CaseOutcome::NotRun`]. The verdict is then settled
/// (throttling, waivers: see [`super::adjust::settle`]).
pub async fn run_with_deadline(
    engine: &Engine,
    planned: &PlannedCase,
    deadline: Option<Instant>,
) -> CaseResult {
    run_one(engine, planned, deadline, None, false).await
}

/// One case: steps (holding a slot of `slots`, when given), then the watch.
async fn run_one(
    engine: &Engine,
    planned: &PlannedCase,
    deadline: Option<Instant>,
    slots: Option<&tokio::sync::Semaphore>,
    registered: bool,
) -> CaseResult {
    // Counts towards the run's quiescence until the steps are done, also
    // when the deadline cancels them.
    let guard = registered.then(|| engine.quiet.steps_of_one());
    let pacer = engine.client.pacer();
    if let Some(d) = deadline {
        pacer.arm_deadline(d);
    }
    let permit = match slots {
        Some(s) => s.acquire().await.ok(),
        None => None,
    };
    if pacer.stopped() {
        return not_run(planned, STOPPED_REASON);
    }
    let steps = engine.run_steps(planned);
    let stepped = match deadline {
        None => steps.await,
        Some(d) if Instant::now() >= d => return not_run(planned, DEADLINE_REASON),
        Some(d) => match tokio::time::timeout_at(d.into(), steps).await {
            Ok(s) => s,
            Err(_) => return not_run(planned, DEADLINE_REASON),
        },
    };
    drop(permit);
    drop(guard);
    let ran = engine.finish(planned, stepped, deadline).await;
    settle(ran, &engine.options().waivers)
}

/// Starts every case on `handle`, at most `concurrency` running their steps
/// at once; their results arrive through the handles, in plan order. Cases
/// that hold a `:wait` start first (the longest job first shortens the run);
/// the rest keep plan order.
pub(crate) fn spawn_all(
    handle: &tokio::runtime::Handle,
    engine: &Arc<Engine>,
    cases: Vec<PlannedCase>,
    concurrency: usize,
    deadline: Option<Instant>,
) -> Vec<tokio::task::JoinHandle<CaseResult>> {
    let slots = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    engine.quiet.register(cases.len());
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(held_ms(&cases[i])));
    let mut tasks: Vec<Option<tokio::task::JoinHandle<CaseResult>>> =
        (0..cases.len()).map(|_| None).collect();
    for i in order {
        let planned = cases[i].clone();
        let engine = Arc::clone(engine);
        let slots = Arc::clone(&slots);
        tasks[i] =
            Some(handle.spawn(async move {
                run_one(&engine, &planned, deadline, Some(&slots), true).await
            }));
    }
    tasks.into_iter().flatten().collect()
}

/// How long a case's steps at least take: the `not_before_ms` its steps
/// expect (a `:wait` that must hold).
fn held_ms(planned: &PlannedCase) -> u64 {
    planned
        .case
        .steps
        .iter()
        .filter_map(|s| s.expect.not_before_ms)
        .sum()
}

/// Runs every case, at most `concurrency` at a time, and returns the
/// result in plan order.
pub async fn run_all(
    engine: Arc<Engine>,
    cases: Vec<PlannedCase>,
    concurrency: usize,
) -> RunResult {
    let started = Instant::now();
    let started_at = SystemTime::now();
    let deadline = engine.options().deadline.map(|d| started + d);
    let handle = tokio::runtime::Handle::current();
    let tasks = spawn_all(&handle, &engine, cases.clone(), concurrency, deadline);
    let mut results = Vec::with_capacity(cases.len());
    for (task, planned) in tasks.into_iter().zip(&cases) {
        results.push(
            task.await
                .unwrap_or_else(|_| not_run(planned, "the case's task ended abnormally")),
        );
    }
    assemble(&engine, results, started_at, started)
}

/// A [`RunResult`] for these case results.
pub fn assemble(
    engine: &Engine,
    cases: Vec<CaseResult>,
    started_at: SystemTime,
    started: Instant,
) -> RunResult {
    let invariants = RunResult::totals(&cases, &contract::ids());
    let target = engine.target();
    RunResult {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        catalogue_version: contract::CATALOGUE_VERSION.to_string(),
        target: TargetInfo {
            base_url: engine.redactor().redact(&target.base_url).into_owned(),
            embedded: target.embedded,
            faults: target.faults.clone(),
        },
        mode: engine.options().mode,
        started_at: rfc3339(started_at),
        duration_ms: started.elapsed().as_millis() as u64,
        cases,
        invariants,
        timelines: Vec::new(),
    }
}
