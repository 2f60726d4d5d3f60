//! Running a whole plan with bounded concurrency and a whole-run deadline,
//! and assembling the [`RunResult`].

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::case::PlannedCase;
use crate::contract;
use crate::model::{CaseOutcome, CaseResult, RunResult, TargetInfo};

use super::adjust::settle;
use super::clock::rfc3339;
use super::engine::Engine;
use super::pacing::STOPPED_REASON;

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

/// Runs `planned` under the engine's whole-run deadline: a case that has
/// not finished by then, or that starts after the target stopped
/// answering, is [`CaseOutcome::NotRun`]. The verdict is then settled
/// (throttling, waivers: see [`super::adjust::settle`]).
pub async fn run_with_deadline(
    engine: &Engine,
    planned: &PlannedCase,
    deadline: Option<Instant>,
) -> CaseResult {
    let pacer = engine.client.pacer();
    if let Some(d) = deadline {
        pacer.arm_deadline(d);
    }
    if pacer.stopped() {
        return not_run(planned, STOPPED_REASON);
    }
    let ran = match deadline {
        None => engine.run_case(planned).await,
        Some(d) if Instant::now() >= d => return not_run(planned, DEADLINE_REASON),
        Some(d) => match tokio::time::timeout_at(d.into(), engine.run_case(planned)).await {
            Ok(r) => r,
            Err(_) => return not_run(planned, DEADLINE_REASON),
        },
    };
    settle(ran, &engine.options().waivers)
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
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (i, planned) in cases.iter().cloned().enumerate() {
        let engine = Arc::clone(&engine);
        let sem = Arc::clone(&sem);
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            (i, run_with_deadline(&engine, &planned, deadline).await)
        });
    }
    let mut results: Vec<Option<CaseResult>> = vec![None; cases.len()];
    while let Some(joined) = set.join_next().await {
        if let Ok((i, r)) = joined {
            results[i] = Some(r);
        }
    }
    let results = results
        .into_iter()
        .zip(&cases)
        .map(|(r, p)| r.unwrap_or_else(|| not_run(p, "the case's task ended abnormally")))
        .collect();
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
    }
}
