//! The race part of a selftest: every race scenario against the clean
//! reference (no trial may violate anything), and each race fault hunted by
//! the scenario that reveals it, with a stated N and R
//! ([`hunt`]; `tests/data/kill_matrix.toml` states the same budget and the
//! rate `opconform race` must kill it at).

use crate::contract::Mode;
use crate::reference::{Fault, FaultInfo};
use crate::target::{World, launch};

use crate::race::{self, HangUp, RaceOptions, Scenario, ScenarioReport};

use super::{Detection, SelftestError, detection};

/// How a race fault is hunted: the scenario, N (requests released
/// together) and R (trials).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hunt {
    /// The scenario that reveals it.
    pub scenario: Scenario,
    /// N.
    pub clients: usize,
    /// R.
    pub trials: usize,
}

/// The scenario, N and R that hunt `fault`, when races are what reveals it.
/// The budgets leave room: each fault shows in most trials of its
/// scenario on an idle machine (`docs/src/race.md`, "Benchmarks").
pub fn hunt(fault: &FaultInfo) -> Option<Hunt> {
    let (scenario, clients, trials) = match Fault::from_info(fault)? {
        Fault::IfMatchCheckThenAct => (Scenario::LostUpdate, 4, 12),
        Fault::DoubleTransitionOnConcurrentCancels => (Scenario::DifferentKeys, 4, 12),
        Fault::KeyStoredAfterResponse => (
            Scenario::LostResponse {
                keyed: true,
                hang_up: HangUp::AfterStatusLine,
            },
            2,
            12,
        ),
        Fault::WaitMissesWakeups => (Scenario::WaitersVsCancel, 4, 16),
        _ => return None,
    };
    Some(Hunt {
        scenario,
        clients,
        trials,
    })
}

/// Why `fault` cannot show in `world` although its scenario runs there, if
/// so. In the live tempo an operation changes every step and each change
/// wakes every waiter, so a waiter that missed the terminal wake-up is woken
/// by the next step anyway: the waiters still wake alike.
pub fn unseen_in(fault: &FaultInfo, world: World) -> Option<&'static str> {
    match Fault::from_info(fault)? {
        Fault::WaitMissesWakeups if world.tempo == crate::reference::Tempo::Live => Some(
            "in the live tempo every step wakes the waiters, so a missed wake-up is caught up at the next step",
        ),
        _ => None,
    }
}

/// One race fault's row.
#[derive(Debug, Clone)]
pub struct RaceRow {
    /// The fault.
    pub fault: &'static str,
    /// How it was hunted.
    pub hunt: Hunt,
    /// What the scenario found.
    pub report: ScenarioReport,
    /// Whether its own invariants failed.
    pub detection: Detection,
    /// Why the fault cannot show in this world ([`unseen_in`]): not
    /// detecting it is then no miss.
    pub unseen: Option<&'static str>,
}

/// The race part of a selftest.
#[derive(Debug, Clone)]
pub struct RaceMatrix {
    /// Every scenario against the clean reference.
    pub reference: Vec<ScenarioReport>,
    /// One row per race fault among those asked for.
    pub rows: Vec<RaceRow>,
}

impl RaceMatrix {
    /// Scenarios that violated an invariant against the clean reference.
    pub fn reference_failures(&self) -> Vec<String> {
        self.reference
            .iter()
            .filter(|r| r.rate.violations > 0)
            .map(|r| r.scenario.name())
            .collect()
    }

    /// True when the clean reference passed every scenario and every race
    /// fault whose scenario ran was detected by one of its own invariants
    /// (a scenario the world cannot run, e.g. lost-update without ETags,
    /// is no miss).
    pub fn passes(&self) -> bool {
        self.reference_failures().is_empty()
            && self.rows.iter().all(|r| {
                r.report.skipped.is_some()
                    || r.unseen.is_some()
                    || matches!(r.detection, Detection::Detected { .. })
            })
    }
}

/// The options of a selftest race: N, R, mode, and deadlines short enough
/// for the embedded reference.
pub fn options(clients: usize, trials: usize, mode: Mode) -> RaceOptions {
    RaceOptions {
        clients,
        trials,
        mode,
        settle_deadline: std::time::Duration::from_secs(5),
        wait_timeout_secs: 3,
        ..RaceOptions::default()
    }
}

/// Runs `scenario` R times against the embedded reference in `world` with
/// `faults` switched on, over HTTP.
pub async fn race_reference(
    world: World,
    faults: Vec<&'static FaultInfo>,
    scenarios: &[Scenario],
    options: &RaceOptions,
) -> Result<race::RaceRun, SelftestError> {
    let fault = faults.first().map(|f| f.name);
    let launched = launch(race::embedded(world, faults))
        .await
        .map_err(|source| SelftestError::Launch { fault, source })?;
    let run = race::race(&launched.target, scenarios, options).await;
    launched.shutdown().await;
    run.map_err(|e| SelftestError::Race(e.to_string()))
}

/// The race part of a selftest in `world`: every scenario (`trials` each,
/// N = 4) against the clean reference, then each fault of `faults` that
/// races reveal, by its [`hunt`].
pub async fn race_selftest(
    world: World,
    mode: Mode,
    faults: &[&'static FaultInfo],
    trials: usize,
) -> Result<RaceMatrix, SelftestError> {
    let clean =
        race_reference(world, Vec::new(), &Scenario::ALL, &options(4, trials, mode)).await?;
    let mut rows = Vec::new();
    for fault in faults {
        let Some(h) = hunt(fault) else { continue };
        let run = race_reference(
            world,
            vec![*fault],
            &[h.scenario],
            &options(h.clients, h.trials, mode),
        )
        .await?;
        let failed = super::failed_invariants(&run.result);
        let Some(report) = run.reports.into_iter().next() else {
            continue;
        };
        rows.push(RaceRow {
            fault: fault.name,
            hunt: h,
            detection: detection(fault, &failed, &[]),
            report,
            unseen: unseen_in(fault, world),
        });
    }
    Ok(RaceMatrix {
        reference: clean.reports,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_race_fault_has_a_hunt_and_no_other_fault_does() {
        for info in crate::reference::faults() {
            let race_fault = matches!(
                Fault::from_info(info),
                Some(
                    Fault::IfMatchCheckThenAct
                        | Fault::DoubleTransitionOnConcurrentCancels
                        | Fault::KeyStoredAfterResponse
                        | Fault::WaitMissesWakeups
                )
            );
            assert_eq!(hunt(info).is_some(), race_fault, "{}", info.name);
            if let Some(h) = hunt(info) {
                // The scenario judges an invariant the fault breaks.
                assert!(
                    h.scenario
                        .invariants()
                        .iter()
                        .any(|id| info.breaks.contains(id)),
                    "{}",
                    info.name
                );
            }
        }
    }

    #[test]
    fn a_missed_wake_up_is_unseen_only_where_steps_wake_the_waiters() {
        use crate::reference::{Dialect, Tempo};
        let wait = Fault::WaitMissesWakeups.info();
        for dialect in [Dialect::Akua, Dialect::Alternate] {
            let live = World {
                dialect,
                tempo: Tempo::Live,
            };
            let frozen = World {
                dialect,
                tempo: Tempo::Frozen,
            };
            assert!(unseen_in(wait, live).is_some());
            assert!(unseen_in(wait, frozen).is_none());
            assert!(unseen_in(Fault::IfMatchCheckThenAct.info(), live).is_none());
        }
    }
}
