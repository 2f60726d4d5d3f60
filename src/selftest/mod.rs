//! `selftest`: the suite against the clean reference and against each
//! catalogued fault, summarised as a kill matrix; [`race`]: the race
//! scenarios against the clean reference, and each race fault hunted.

pub mod race;

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;

use crate::case::PlannedCase;
use crate::contract::Mode;
use crate::contract::Schemas;
use crate::model::{CaseOutcome, RunResult, Verdict};
use crate::reference::{Fault, FaultInfo};

use crate::target::World;

use crate::run::Engine;
use crate::run::RunOptions;
use crate::run::run_all;
pub use crate::target::Launched;
use crate::target::{LaunchError, TargetSpec};

/// Selftest could not run.
#[derive(Debug, thiserror::Error)]
pub enum SelftestError {
    /// A target (reference instance) could not be started.
    #[error("start the reference server{}: {source}", fault.map(|f| format!(" with fault {f}")).unwrap_or_default())]
    Launch {
        /// The fault it was started with.
        fault: Option<&'static str>,
        /// Why.
        #[source]
        source: LaunchError,
    },
    /// The engine could not be built.
    #[error(transparent)]
    Client(#[from] crate::target::ClientError),
    /// Schemas could not be loaded.
    #[error(transparent)]
    Schemas(#[from] crate::contract::SchemaError),
    /// A race scenario could not be run.
    #[error("race: {0}")]
    Race(String),
}

/// Whether a fault was caught.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detection {
    /// At least one of the invariants the fault breaks failed.
    Detected {
        /// The failed invariants among the fault's `breaks`.
        by: Vec<String>,
    },
    /// Its invariants failed only in flaky cases (seen once, not on the
    /// confirmation): not a decisive kill.
    FlakyOnly {
        /// The invariants among the fault's `breaks` that failed.
        by: Vec<String>,
    },
    /// Only invariants outside the fault's `breaks` failed (counts as missed).
    OtherInvariantsOnly {
        /// The failed invariants.
        by: Vec<String>,
    },
    /// Nothing failed.
    Missed,
}

/// One row of the kill matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRow {
    /// Fault name.
    pub fault: &'static str,
    /// What the fault does.
    pub summary: &'static str,
    /// The invariants it breaks.
    pub breaks: Vec<&'static str>,
    /// Only generated inputs (fuzz) are expected to find it.
    pub generated_only: bool,
    /// Whether this world and mode can see it at all.
    pub expected: Expected,
    /// Every invariant that failed against it in a failed case.
    pub failed_invariants: Vec<String>,
    /// The verdict.
    pub detection: Detection,
}

impl FaultRow {
    /// True when one of the fault's own invariants failed in a failed case.
    pub fn detected(&self) -> bool {
        matches!(self.detection, Detection::Detected { .. })
    }

    /// True when the row counts against the selftest: a fault the world and
    /// mode can see was not killed decisively.
    pub fn missed(&self) -> bool {
        self.expected == Expected::Visible && !self.detected()
    }
}

/// Whether a world and mode can see a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// The fixed cases must kill it.
    Visible,
    /// Only generated inputs (fuzz) are expected to find it.
    GeneratedOnly,
    /// It changes nothing in this world of the reference (why).
    Absent(&'static str),
    /// The lenient reading accepts what it does (why): only strict sees it.
    LenientAccepts(&'static str),
}

impl Expected {
    /// What `world` and `mode` can see of `fault`.
    pub fn of(fault: &FaultInfo, world: World, mode: Mode) -> Expected {
        // A fault of another server (a test double) knows no worlds.
        let f = Fault::from_info(fault);
        if let Some(why) = f.and_then(|f| {
            f.absent_in(world.dialect, world.tempo)
                .or_else(|| f.within_contract_in(world.dialect, world.tempo))
        }) {
            Expected::Absent(why)
        } else if fault.generated_only {
            Expected::GeneratedOnly
        } else if let Some(why) = f
            .and_then(Fault::lenient_accepts)
            .filter(|_| mode == Mode::Lenient)
        {
            Expected::LenientAccepts(why)
        } else {
            Expected::Visible
        }
    }
}

/// Inconclusive trials the clean reference may have and still pass: a
/// live world moves, and a trial may keep meeting operations that finish
/// by themselves.
pub const REFERENCE_INCONCLUSIVE_ALLOWED: usize = 2;

/// The result of a selftest.
#[derive(Debug, Clone)]
pub struct KillMatrix {
    /// The reference's world.
    pub world: World,
    /// The suite's reading.
    pub mode: Mode,
    /// The run against the clean reference.
    pub reference: RunResult,
    /// Cases that failed (or were flaky) against the clean reference.
    pub reference_failures: Vec<String>,
    /// One row per fault, in the order given.
    pub rows: Vec<FaultRow>,
}

impl KillMatrix {
    /// True when the reference passed (no failed or flaky case, at most
    /// [`REFERENCE_INCONCLUSIVE_ALLOWED`] inconclusive ones) and every fault
    /// this world and mode can see was killed decisively by one of the
    /// invariants it breaks.
    pub fn passes(&self) -> bool {
        self.reference_failures.is_empty()
            && self.reference.count("inconclusive") <= REFERENCE_INCONCLUSIVE_ALLOWED
            && !self.rows.iter().any(FaultRow::missed)
    }

    /// Did `invariant` fail against `fault`?
    pub fn caught_by(&self, fault: &str, invariant: &str) -> bool {
        self.rows
            .iter()
            .any(|r| r.fault == fault && r.failed_invariants.iter().any(|i| i == invariant))
    }
}

/// Invariants with a failing check in a failed case (a decisive verdict:
/// flaky cases do not count, see [`flaky_invariants`]).
pub fn failed_invariants(result: &RunResult) -> Vec<String> {
    invariants_failing_in(result, &CaseOutcome::Failed)
}

/// Invariants with a failing check in a flaky case.
pub fn flaky_invariants(result: &RunResult) -> Vec<String> {
    invariants_failing_in(result, &CaseOutcome::Flaky)
}

fn invariants_failing_in(result: &RunResult, outcome: &CaseOutcome) -> Vec<String> {
    let mut out = BTreeSet::new();
    for case in &result.cases {
        if &case.outcome == outcome {
            for check in case.steps.iter().flat_map(|s| &s.checks) {
                if check.verdict == Verdict::Fail {
                    out.insert(check.invariant.clone());
                }
            }
        }
    }
    out.into_iter().collect()
}

/// Classifies the invariants that failed against `fault`: in failed cases
/// (`failed`) and only in flaky ones (`flaky`).
pub fn detection(fault: &FaultInfo, failed: &[String], flaky: &[String]) -> Detection {
    let own = |list: &[String]| -> Vec<String> {
        list.iter()
            .filter(|i| fault.breaks.contains(&i.as_str()))
            .cloned()
            .collect()
    };
    let by = own(failed);
    let flaky_by = own(flaky);
    if !by.is_empty() {
        Detection::Detected { by }
    } else if !flaky_by.is_empty() {
        Detection::FlakyOnly { by: flaky_by }
    } else if !failed.is_empty() {
        Detection::OtherInvariantsOnly {
            by: failed.to_vec(),
        }
    } else {
        Detection::Missed
    }
}

/// Runs the suite once without a fault and once per fault, on targets
/// `launch` starts, one after another.
pub async fn selftest_with<F, Fut>(
    cases: &[PlannedCase],
    options: &RunOptions,
    faults: &[&'static FaultInfo],
    concurrency: usize,
    launch: F,
) -> Result<KillMatrix, SelftestError>
where
    F: Fn(Option<&'static FaultInfo>) -> Fut,
    Fut: Future<Output = Result<Launched, SelftestError>>,
{
    let plan = Plan {
        cases,
        options,
        faults,
        concurrency,
        faults_at_once: 1,
    };
    selftest_parallel(World::default(), plan, launch).await
}

/// What a selftest runs: `cases` with `options`, once without a fault and
/// once per fault of `faults`; `concurrency` cases at once per instance,
/// `faults_at_once` faulty instances at once.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    /// The cases.
    pub cases: &'a [PlannedCase],
    /// How they run.
    pub options: &'a RunOptions,
    /// The faults, one row each.
    pub faults: &'a [&'static FaultInfo],
    /// Cases at once per instance.
    pub concurrency: usize,
    /// Faulty instances at once.
    pub faults_at_once: usize,
}

/// [`selftest_with`], with up to `faults_at_once` faulty targets running at
/// the same time (each on its own instance, so they cannot interfere except
/// through CPU time). Rows keep the order of `faults`.
pub async fn selftest_parallel<F, Fut>(
    world: World,
    plan: Plan<'_>,
    launch: F,
) -> Result<KillMatrix, SelftestError>
where
    F: Fn(Option<&'static FaultInfo>) -> Fut,
    Fut: Future<Output = Result<Launched, SelftestError>>,
{
    let Plan {
        cases,
        options,
        faults,
        concurrency,
        faults_at_once,
    } = plan;
    let once = |fault: Option<&'static FaultInfo>| {
        let launched = launch(fault);
        async move {
            let launched = launched.await?;
            let engine = Arc::new(Engine::new(
                launched.target,
                options.clone(),
                Schemas::bundled()?,
            )?);
            let result = run_all(engine, cases.to_vec(), concurrency).await;
            if let Some(served) = launched.served {
                served.shutdown().await;
            }
            Ok::<RunResult, SelftestError>(result)
        }
    };
    let reference = once(None).await?;
    let reference_failures = reference
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, CaseOutcome::Failed | CaseOutcome::Flaky))
        .map(|c| c.name.clone())
        .collect();
    let runs = bounded(
        faults.iter().map(|fault| {
            let run = once(Some(fault));
            async move { (fault, run.await) }
        }),
        faults_at_once,
    )
    .await;
    let mut rows = Vec::new();
    for (fault, result) in runs {
        let result = result?;
        let failed = failed_invariants(&result);
        let flaky = flaky_invariants(&result);
        rows.push(FaultRow {
            fault: fault.name,
            summary: fault.summary,
            breaks: fault.breaks.to_vec(),
            generated_only: fault.generated_only,
            expected: Expected::of(fault, world, options.mode),
            detection: detection(fault, &failed, &flaky),
            failed_invariants: failed,
        });
    }
    Ok(KillMatrix {
        world,
        mode: options.mode,
        reference,
        reference_failures,
        rows,
    })
}

/// Runs the futures `items` yields with at most `limit` in flight (all on
/// the calling task), and returns their outputs in the order yielded.
async fn bounded<T, Fut>(items: impl IntoIterator<Item = Fut>, limit: usize) -> Vec<T>
where
    Fut: Future<Output = T>,
{
    use std::pin::Pin;
    use std::task::Poll;

    let limit = limit.max(1);
    let mut queue = items.into_iter().enumerate();
    let mut in_flight: Vec<(usize, Pin<Box<Fut>>)> = Vec::new();
    let mut done: Vec<(usize, T)> = Vec::new();
    std::future::poll_fn(|cx| {
        loop {
            while in_flight.len() < limit {
                match queue.next() {
                    Some((i, fut)) => in_flight.push((i, Box::pin(fut))),
                    None => break,
                }
            }
            if in_flight.is_empty() {
                return Poll::Ready(());
            }
            let before = in_flight.len();
            let mut i = 0;
            while i < in_flight.len() {
                if let Poll::Ready(out) = in_flight[i].1.as_mut().poll(cx) {
                    let (index, _) = in_flight.swap_remove(i);
                    done.push((index, out));
                } else {
                    i += 1;
                }
            }
            if in_flight.len() == before {
                // Nothing finished: every future in flight registered a wake-up.
                return Poll::Pending;
            }
            // Some finished: start the next ones and poll them at once.
        }
    })
    .await;
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, out)| out).collect()
}

/// The embedded reference in `world` as a selftest target (see
/// [`crate::target::embedded_config`]).
pub async fn launch_reference_in(
    world: World,
    fault: Option<&'static FaultInfo>,
) -> Result<Launched, SelftestError> {
    crate::target::launch(TargetSpec::embedded(world, fault.into_iter().collect()))
        .await
        .map_err(|source| SelftestError::Launch {
            fault: fault.map(|f| f.name),
            source,
        })
}

/// The embedded reference (akua dialect, frozen tempo) as a selftest target.
pub async fn launch_reference(
    fault: Option<&'static FaultInfo>,
) -> Result<Launched, SelftestError> {
    launch_reference_in(World::default(), fault).await
}

/// [`selftest_parallel`] against the embedded reference in its default
/// world.
pub async fn selftest(plan: Plan<'_>) -> Result<KillMatrix, SelftestError> {
    selftest_in(World::default(), plan).await
}

/// [`selftest`] against the embedded reference in `world`.
pub async fn selftest_in(world: World, plan: Plan<'_>) -> Result<KillMatrix, SelftestError> {
    selftest_parallel(world, plan, |fault| launch_reference_in(world, fault)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAULT: FaultInfo = FaultInfo {
        name: "f",
        summary: "s",
        breaks: &["A", "B"],
        generated_only: false,
    };

    #[tokio::test]
    async fn bounded_keeps_order_and_the_limit() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let now = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let futs = (0..7u64).map(|i| {
            let (now, peak) = (&now, &peak);
            async move {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(n, Ordering::SeqCst);
                // Later items finish first, so completion order differs.
                tokio::time::sleep(std::time::Duration::from_millis(30 - 3 * i)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                i * 10
            }
        });
        let out = bounded(futs, 3).await;
        assert_eq!(out, vec![0, 10, 20, 30, 40, 50, 60]);
        assert_eq!(peak.load(Ordering::SeqCst), 3);
        // One at a time: every item still runs (the queue is drained after
        // the only future in flight finishes).
        let ran = AtomicUsize::new(0);
        let futs = (0..4u64).map(|i| {
            let ran = &ran;
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                ran.fetch_add(1, Ordering::SeqCst);
                i
            }
        });
        assert_eq!(bounded(futs, 1).await, vec![0, 1, 2, 3]);
        assert_eq!(ran.load(Ordering::SeqCst), 4);
        let none: Vec<u8> = bounded(Vec::<std::future::Ready<u8>>::new(), 2).await;
        assert!(none.is_empty());
    }

    #[test]
    fn detection_prefers_own_invariants() {
        assert_eq!(
            detection(&FAULT, &["B".into(), "C".into()], &[]),
            Detection::Detected {
                by: vec!["B".into()]
            }
        );
        assert_eq!(
            detection(&FAULT, &["C".into()], &[]),
            Detection::OtherInvariantsOnly {
                by: vec!["C".into()]
            }
        );
        assert_eq!(detection(&FAULT, &[], &[]), Detection::Missed);
        // Failing only in flaky cases is not a kill.
        assert_eq!(
            detection(&FAULT, &[], &["A".into()]),
            Detection::FlakyOnly {
                by: vec!["A".into()]
            }
        );
    }
}
